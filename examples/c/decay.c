/* synovia C API example: simulate exponential decay, dX/dt = -k X, with
 * libsynovia and check the result against its closed form X0 e^(-k t).
 *
 *   decay [MODEL [K]]
 *
 * MODEL: a .model file with a parameter k and a state X (default: the model
 * below, built in; models/exponential_decay.model is the same law). K: a
 * value for k, with or without a unit ("0.3", "7.2 /d"). Prints the version,
 * the values used, a table of X by synovia and by the closed form, and the
 * largest relative difference. Exit status: 0 when every point agrees within
 * 1e-6, 1 when one does not or on any error (printed as synovia prints
 * errors: "file:line:col: error: ...").
 *
 * Build it against an installed synovia (docs/c-api.md):
 *   cc -std=c11 decay.c $(pkg-config --cflags --libs synovia) -lm -o decay
 *
 * Walk-through: load (or compile from text) a model, make an instance (one
 * run's parameter values), override k, prepare, run onto a grid, read the
 * series, destroy everything. Every call that can fail returns a syn_status
 * and fills a syn_error; one cleanup path at the end releases what was made
 * (every destroy function accepts NULL). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <synovia/synovia.h>

/* The same law as models/exponential_decay.model. */
static const char DECAY_MODEL[] =
    "model \"Exponential decay (built into examples/c/decay.c)\"\n"
    "time unit h\n"
    "param k = 0.5 /h  \"first-order elimination rate constant\"\n"
    "state X = 100 mg  \"amount left\"\n"
    "d/dt X = -k * X\n";

enum { GRID_POINTS = 11 };    /* t = 0, 1, ..., 10 h */
static const double TOLERANCE = 1e-6; /* relative; the solver runs at 1e-10 */

/* Prints err as synovia does (one place for every failure). */
static void report(const syn_error *err) {
  char text[2048];
  syn_error_format(err, text, sizeof text);
  fputs(text, stderr);
}

/* The index of a declared name of the wanted kind, or a message why not. */
static syn_status find_symbol(const syn_model *m, const char *name, syn_symkind want,
                              size_t *index, syn_error *err) {
  syn_symkind kind;
  if (syn_model_find(m, name, &kind, index) && kind == want) return SYN_OK;
  return syn_error_set(err, SYN_EINVAL, "the model has no %s named '%s' (decay needs k and X)",
                       want == SYN_SYM_PARAM ? "param" : "state", name);
}

/* Largest relative difference between X(t) and X0 e^(-k t) on the grid,
 * printing the table on the way. */
static double compare_with_closed_form(const syn_result *r, size_t series, double x0,
                                       double k, const char *clock) {
  const double *t = syn_result_times(r);
  const double *x = syn_result_series(r, series);
  double worst = 0.0;
  printf("%8s %22s %22s %10s\n", "t", "X (synovia)", "X0 e^(-k t)", "rel. diff");
  for (size_t i = 0; i < syn_result_ntimes(r); i++) {
    double exact = x0 * exp(-k * t[i]);
    double rel = fabs(x[i] - exact) / fabs(exact);
    if (!(rel <= worst)) worst = rel; /* a NaN counts as the worst */
    printf("%6g %s %22.15g %22.15g %10.2e\n", t[i], clock, x[i], exact, rel);
  }
  return worst;
}

int main(int argc, char **argv) {
  syn_error err;
  syn_model *model = NULL;
  syn_instance *inst = NULL;
  syn_result *result = NULL;
  double *y0 = NULL;
  int rc = 1;
  syn_error_clear(&err);
  if (argc > 3) {
    fprintf(stderr, "usage: decay [MODEL [K]]\n");
    return 2;
  }

  printf("synovia %s\n", syn_version());
  syn_status st = argc > 1 ? syn_model_load(argv[1], &model, &err)
                           : syn_model_load_text("decay.model", DECAY_MODEL, strlen(DECAY_MODEL),
                                                 &model, &err);
  if (st != SYN_OK) goto fail;

  size_t ik, ix, series;
  if (find_symbol(model, "k", SYN_SYM_PARAM, &ik, &err) != SYN_OK ||
      find_symbol(model, "X", SYN_SYM_STATE, &ix, &err) != SYN_OK)
    goto fail;
  if (syn_instance_create(model, &inst, &err) != SYN_OK) goto fail;
  if (argc > 2) { /* "0.3" is in k's own unit; "7.2 /d" is converted to it */
    double k_given;
    if (syn_model_parse_setting(model, "k", argv[2], &k_given, &err) != SYN_OK ||
        syn_instance_set(inst, "k", k_given, &err) != SYN_OK)
      goto fail;
  }
  if (syn_instance_prepare(inst, &err) != SYN_OK) goto fail;

  /* The values this run uses, read back from the instance: the closed form
   * is computed from them, independently of the solver. */
  double k = syn_instance_value(inst, SYN_SYM_PARAM, ik);
  y0 = malloc(syn_model_count(model, SYN_SYM_STATE) * sizeof *y0);
  if (y0 == NULL) {
    syn_error_set(&err, SYN_ENOMEM, "out of memory");
    goto fail;
  }
  syn_instance_initial(inst, y0);
  const char *clock = syn_model_time_unit(model);
  printf("model \"%s\": k = %g %s, X(0) = %g %s\n", syn_model_title(model), k,
         syn_model_symbol(model, SYN_SYM_PARAM, ik)->units, y0[ix],
         syn_model_symbol(model, SYN_SYM_STATE, ix)->units);

  syn_run_opts opts;
  syn_run_opts_default(&opts);
  opts.t_end = GRID_POINTS - 1;
  opts.every = 1.0;
  opts.solver.rtol = 1e-10;
  opts.solver.atol = 1e-12;
  if (syn_run(inst, &opts, &result, &err) != SYN_OK) goto fail;
  if (!syn_result_find(result, "X", &series)) {
    syn_error_set(&err, SYN_EINTERNAL, "the result has no series X");
    goto fail;
  }

  double worst = compare_with_closed_form(result, series, y0[ix], k, clock);
  if (worst <= TOLERANCE) {
    printf("largest relative difference %.2e <= %.0e: agrees with X0 e^(-k t)\n", worst,
           TOLERANCE);
    rc = 0;
  } else {
    fprintf(stderr, "decay: error: X differs from X0 e^(-k t) by %.2e (relative; at most %.0e "
                    "expected): is dX/dt = -k X the model's law?\n",
            worst, TOLERANCE);
  }
  goto done;

fail:
  report(&err);
done:
  free(y0);
  syn_result_destroy(result);
  syn_instance_destroy(inst);
  syn_model_destroy(model);
  return rc;
}
