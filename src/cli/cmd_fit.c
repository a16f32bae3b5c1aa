/* synovia fit FILE.fit — serial multistart, whose starts and best estimate go
 * to an HDF5 fit file (include/synovia/h5fit.h, written whole through
 * OUT.tmp at the end); --evaluate: the objective of a fit at one point, its
 * parts and its gradient (include/synovia/objective.h). */
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "cli.h"
#include "fit_uncertainty.h"
#include "run.h"
#include "synovia/h5fit.h"
#include "synovia/problem.h"
#include "synovia/fit.h"
#include "synovia/objective.h"
#include "synovia/optim.h"
#include "synovia/sweep.h"

static const char fit_help[] =
    "usage: synovia fit FILE.fit [-o OUT.h5] [--starts N] [--seed S] [--optimizer NAME]\n"
    "                         [--no-profiles] [-q]\n"
    "       synovia fit FILE.fit --evaluate [--at NAME=VALUE]...\n"
    "\n"
    "Evaluate a fit's objective (docs/fitting.md): the negative log-likelihood of\n"
    "its data with PEtab's constant terms, plus the negative log-priors, at the\n"
    "estimated parameters' starts (the middle of their bounds on their scale when\n"
    "they have none), and its exact gradient from the forward sensitivities.\n"
    "Prints the objective, its parts (data, priors), a table of the parameters\n"
    "(name, scale, value, d objective / d scaled value) and whether the fit has\n"
    "a residual form for least-squares methods. Without --evaluate: estimate the\n"
    "parameters from N starts (serial multistart) and print each start's outcome\n"
    "and the best estimate.\n"
    "\n"
    "options:\n"
    "  --evaluate        evaluate the objective and its gradient at one point\n"
    "  --at NAME=VALUE   a parameter's value (linear scale, in the unit of its\n"
    "                    bounds; NAME as the table prints it, 'w_p[control]' for\n"
    "                    a per-arm copy); repeatable\n"
    "  --starts N        starts (default: the fit file's `starts`)\n"
    "  --seed S          seed of the start design (default: the fit file's `seed`)\n"
    "  --optimizer NAME  lm, lbfgs, slsqp or bobyqa (default: the fit file's)\n"
    "  -o, --output OUT  the fit's HDF5 file (default: FILE.h5 in the current\n"
    "                    folder; docs/fitting.md \"The fit's output file\")\n"
    "  --no-profiles     no profile likelihoods (the Fisher intervals, predictions\n"
    "                    and fitted curves still go to the file)\n"
    "  -q                no progress line on stderr\n"
    "Exit status: 0 evaluated or estimated (its file written), 1 the fit file, the\n"
    "evaluation, every start or the output failed (nothing written), 2 bad usage.\n";

/* Apply "NAME=VALUE" to x (parameter scale). */
static int apply_at(const syn_fit *fit, const char *arg, double *x) {
  const char *eq = strrchr(arg, '=');
  if (eq == NULL || eq == arg) {
    cli_usage_error("fit", "--at '%s' is not NAME=VALUE", arg);
    return 0;
  }
  size_t n = (size_t)(eq - arg), np = syn_fit_param_count(fit);
  for (size_t j = 0; j < np; j++) {
    const syn_fit_param *p = syn_fit_param_at(fit, j);
    if (strlen(p->name) != n || strncmp(p->name, arg, n) != 0) continue;
    double v;
    if (!cli_parse_double(eq + 1, &v) || (p->scale != SYN_FIT_LIN && !(v > 0))) {
      cli_usage_error("fit", "--at %s: '%s' is not a %snumber", p->name, eq + 1,
                      p->scale != SYN_FIT_LIN ? "positive " : "");
      return 0;
    }
    x[j] = syn_objective_to_scale(p, v);
    return 1;
  }
  cli_usage_error("fit", "--at: '%.*s' is not an estimated parameter of %s (see the table "
                  "'synovia fit FILE --evaluate' prints)", (int)n, arg, syn_fit_path(fit));
  return 0;
}

static const char *scale_name(syn_fit_scale s) {
  return s == SYN_FIT_LOG ? "log" : s == SYN_FIT_LOG10 ? "log10" : "lin";
}

static void print_evaluation(const syn_fit *fit, const double *x, const syn_objective_value *v,
                             const double *grad) {
  printf("%s: objective %.12g (data %.12g, priors %.12g)\n", syn_fit_path(fit), v->total, v->data,
         v->prior);
  printf("%-32s %-6s %-16s %s\n", "parameter", "scale", "value", "d objective/d scaled value");
  for (size_t j = 0; j < syn_fit_param_count(fit); j++) {
    const syn_fit_param *p = syn_fit_param_at(fit, j);
    double val = syn_objective_unscale(p, x[j]);
    int outside = val < p->lower || val > p->upper;
    printf("%-32s %-6s %-16.10g %.10g%s\n", p->name, scale_name(p->scale), val, grad[j],
           outside ? "   (outside the bounds)" : "");
  }
  char why[256];
  if (syn_objective_residual_form(fit, why, sizeof why))
    printf("residual form: yes (%zu residuals)\n", syn_objective_residual_count(fit));
  else
    printf("residual form: no (%s)\n", why);
}

static int evaluate(const char *path, const char *const *at, size_t nat) {
  syn_error err;
  syn_error_clear(&err);
  syn_fit *fit = NULL;
  syn_objective *obj = NULL;
  double *x = NULL, *grad = NULL;
  int rc = CLI_FAILED;
  if (syn_fit_load(path, &fit, &err) != SYN_OK) {
    cli_print_error(&err);
    goto done;
  }
  size_t np = syn_fit_param_count(fit);
  x = malloc((np ? np : 1) * sizeof *x);
  grad = malloc((np ? np : 1) * sizeof *grad);
  if (x == NULL || grad == NULL) {
    fputs("synovia fit: error: out of memory\n", stderr);
    goto done;
  }
  syn_objective_default_x(fit, x);
  for (size_t i = 0; i < nat; i++)
    if (!apply_at(fit, at[i], x)) {
      rc = CLI_USAGE;
      goto done;
    }
  syn_objective_value v;
  if (syn_objective_create(fit, &obj, &err) != SYN_OK ||
      syn_objective_eval(obj, x, &v, grad, &err) != SYN_OK) {
    fprintf(stderr, "synovia fit: error: %s: %s\n", path, err.message);
    goto done;
  }
  print_evaluation(fit, x, &v, grad);
  rc = CLI_OK;
done:
  syn_objective_destroy(obj);
  syn_fit_destroy(fit);
  free(x);
  free(grad);
  return rc;
}

/* ---- serial multistart ------------------------------------------------------ */

typedef struct fit_ctx {
  syn_objective *obj;
  size_t n;
} fit_ctx;

static int f_cb(const double *x, double *f, double *grad, void *user) {
  fit_ctx *c = user;
  syn_error err;
  syn_error_clear(&err);
  syn_objective_value v;
  if (syn_objective_eval(c->obj, x, &v, grad, &err) != SYN_OK) return 1;
  *f = v.total;
  return 0;
}

static int r_cb(const double *x, double *r, double *jac, void *user) {
  fit_ctx *c = user;
  syn_error err;
  syn_error_clear(&err);
  double constant;
  return syn_objective_residuals(c->obj, x, r, jac, &constant, &err) != SYN_OK;
}

typedef struct ms_opts {
  long starts, seed;  /* -1: the fit file's */
  const char *optimizer;
  int quiet;
  const char *output; /* the HDF5 file written (checked before any work) */
  const char *command_line;
  int no_profiles;
} ms_opts;

/* What the starts gave, kept for the output file (linear values). */
typedef struct ms_record {
  double *start, *end, *objective;
  char **status;
  long long *iterations, *evaluations;
} ms_record;

static int record_alloc(ms_record *r, size_t nstarts, size_t np) {
  size_t n = nstarts ? nstarts : 1, m = n * (np ? np : 1);
  r->start = malloc(m * sizeof *r->start);
  r->end = malloc(m * sizeof *r->end);
  r->objective = malloc(n * sizeof *r->objective);
  r->status = calloc(n, sizeof *r->status);
  r->iterations = calloc(n, sizeof *r->iterations);
  r->evaluations = calloc(n, sizeof *r->evaluations);
  return r->start && r->end && r->objective && r->status && r->iterations && r->evaluations;
}

static void record_free(ms_record *r, size_t nstarts) {
  for (size_t k = 0; r->status != NULL && k < nstarts; k++) free(r->status[k]);
  free(r->start);
  free(r->end);
  free(r->objective);
  free(r->status);
  free(r->iterations);
  free(r->evaluations);
}

static char *copy_text(const char *s) {
  size_t n = strlen(s) + 1;
  char *c = malloc(n);
  if (c != NULL) memcpy(c, s, n);
  return c;
}

/* The whole text of a file (NULL when it cannot be read; caller frees). */
static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t len = 0, cap = 0;
  if (f == NULL) return NULL;
  for (;;) {
    if (len + 4096 + 1 > cap) {
      char *b = realloc(buf, cap = 2 * cap + 8192);
      if (b == NULL) { free(buf); buf = NULL; break; }
      buf = b;
    }
    size_t got = fread(buf + len, 1, cap - len - 1, f);
    len += got;
    if (got == 0) break;
  }
  if (buf != NULL) buf[len] = 0;
  fclose(f);
  return buf;
}

/* Every file the fit read (the fit file, the scenario, its model files, the
 * data tables) may not be the output: cli_output_usable against them all. */
static int output_usable(const syn_fit *fit, const char *out) {
  const syn_scenario *sc = syn_fit_scenario(fit);
  const syn_model *m = syn_scenario_model(sc);
  size_t nm = syn_model_file_count(m), npt = syn_fit_point_count(fit), n = 0;
  const char **in = malloc((nm + npt + 2) * sizeof *in);
  if (in == NULL) {
    fputs("synovia fit: error: out of memory\n", stderr);
    return 0;
  }
  in[n++] = syn_fit_path(fit);
  in[n++] = syn_scenario_path(sc);
  for (size_t i = 0; i < nm; i++) in[n++] = syn_model_file_path(m, i);
  for (size_t i = 0; i < npt; i++) {
    const char *file = syn_fit_point_at(fit, i)->file;
    if (i == 0 || strcmp(file, syn_fit_point_at(fit, i - 1)->file) != 0) in[n++] = file;
  }
  int ok = cli_output_usable(out, in, n);
  free(in);
  return ok;
}

/* The simulated observable at each data point for the estimate xlin
 * (linear values): each arm once, at its points' times. */
static syn_status fitted_values(const syn_fit *fit, const double *xlin, double *fitted,
                                syn_error *err) {
  const syn_problem *p = syn_fit_problem(fit);
  syn_problem_ws *ws = NULL;
  size_t nfree = syn_problem_free_count(p), ns = syn_problem_series_count(p);
  size_t npt = syn_fit_point_count(fit);
  double *theta = malloc((nfree + 1) * sizeof *theta), *at = malloc((npt + 1) * sizeof *at);
  double *vals = malloc((npt + 1) * (ns + 1) * sizeof *vals);
  syn_status st = SYN_ENOMEM;
  if (theta == NULL || at == NULL || vals == NULL) {
    syn_error_set(err, st, "out of memory");
    goto done;
  }
  if ((st = syn_problem_ws_create(p, &ws, err)) != SYN_OK) goto done;
  for (size_t arm = 0; arm < syn_fit_arm_count(fit) && st == SYN_OK; arm++) {
    size_t first, n = syn_fit_arm_points(fit, arm, &first);
    if (n == 0) continue;
    for (size_t i = 0; i < n; i++) at[i] = syn_fit_point_at(fit, first + i)->time;
    syn_fit_theta(fit, arm, xlin, theta);
    syn_problem_want want = {0, NULL, at, n, vals, NULL, 0, NULL, NULL};
    syn_problem_result res;
    st = syn_problem_eval(ws, arm, theta, &want, &res, err);
    for (size_t i = 0; st == SYN_OK && i < n; i++) {
      const syn_fit_point *pt = syn_fit_point_at(fit, first + i);
      fitted[first + i] = vals[i * ns + syn_fit_observable_at(fit, pt->observable)->series];
    }
  }
done:
  syn_problem_ws_destroy(ws);
  free(theta);
  free(at);
  free(vals);
  return st;
}

/* The provenance of a fit file: the fit file, the scenario, its model files
 * (root first), with their texts, as run files keep theirs. */
typedef struct prov_files {
  size_t n;
  const char **paths;
  char **texts; /* [0] borrowed (the fit text), the others owned */
} prov_files;

static void prov_files_free(prov_files *f) {
  for (size_t i = 1; f->texts != NULL && i < f->n; i++) free(f->texts[i]);
  free(f->paths);
  free(f->texts);
}

static int provenance_files(const syn_fit *fit, char *fit_text, prov_files *f) {
  const syn_scenario *sc = syn_fit_scenario(fit);
  const syn_model *m = syn_scenario_model(sc);
  size_t nm = syn_model_file_count(m);
  f->paths = calloc(nm + 2, sizeof *f->paths);
  f->texts = calloc(nm + 2, sizeof *f->texts);
  if (f->paths == NULL || f->texts == NULL) {
    fputs("synovia fit: error: out of memory\n", stderr);
    return 0;
  }
  f->paths[0] = syn_fit_path(fit);
  f->texts[0] = fit_text;
  f->paths[1] = syn_scenario_path(sc);
  for (size_t i = 0; i < nm; i++) f->paths[2 + i] = syn_model_file_path(m, i);
  for (f->n = 1; f->n < nm + 2; f->n++)
    if ((f->texts[f->n] = read_text(f->paths[f->n])) == NULL) {
      fprintf(stderr, "synovia fit: error: %s: cannot read it again for the output file\n",
              f->paths[f->n]);
      return 0;
    }
  return 1;
}

/* The fit's HDF5 file: everything in memory, then one write through
 * <out>.tmp, renamed when complete (a failure leaves an older file intact). */
static int write_output(const syn_fit *fit, const ms_opts *o, const syn_optim_type *t,
                        uint64_t seed, size_t nstarts, const ms_record *r, const double *best,
                        size_t kbest, double fbest, const fit_unc *unc) {
  size_t np = syn_fit_param_count(fit), npt = syn_fit_point_count(fit);
  const char **pname = malloc((np + 1) * sizeof *pname), **pscale = malloc((np + 1) * sizeof *pscale);
  const char **arm = malloc((npt + 1) * sizeof *arm), **obs = malloc((npt + 1) * sizeof *obs);
  double *lo = malloc((np + 1) * sizeof *lo), *hi = malloc((np + 1) * sizeof *hi);
  double *cols = malloc((5 * npt + 1) * sizeof *cols);
  char *text = read_text(syn_fit_path(fit));
  prov_files files = {0, NULL, NULL};
  int ok = 0;
  syn_error err;
  syn_error_clear(&err);
  if (!pname || !pscale || !arm || !obs || !lo || !hi || !cols) {
    fputs("synovia fit: error: out of memory\n", stderr);
    goto done;
  }
  if (text == NULL) {
    fprintf(stderr, "synovia fit: error: %s: cannot read it again for the output file\n",
            syn_fit_path(fit));
    goto done;
  }
  for (size_t j = 0; j < np; j++) {
    const syn_fit_param *p = syn_fit_param_at(fit, j);
    pname[j] = p->name;
    pscale[j] = scale_name(p->scale);
    lo[j] = p->lower;
    hi[j] = p->upper;
  }
  double *time = cols, *value = cols + npt, *sd = cols + 2 * npt, *fitted = cols + 3 * npt,
         *resid = cols + 4 * npt;
  for (size_t i = 0; i < npt; i++) {
    const syn_fit_point *pt = syn_fit_point_at(fit, i);
    arm[i] = syn_fit_arm_name(fit, pt->arm);
    obs[i] = syn_fit_observable_at(fit, pt->observable)->name;
    time[i] = pt->time;
    value[i] = pt->value;
    sd[i] = pt->sd;
  }
  if (fitted_values(fit, best, fitted, &err) != SYN_OK) {
    fprintf(stderr, "synovia fit: error: %s: simulating the best estimate: %s\n",
            syn_fit_path(fit), err.message);
    goto done;
  }
  for (size_t i = 0; i < npt; i++) resid[i] = value[i] - fitted[i];
  const syn_scenario *sc = syn_fit_scenario(fit);
  if (!provenance_files(fit, text, &files)) goto done;
  syn_provenance prov = {syn_fit_title(fit), o->command_line ? o->command_line : "",
                         syn_model_sha256(syn_scenario_model(sc)), files.n,
                         (const char *const *)files.paths, (const char *const *)files.texts, NULL,
                         syn_scenario_sha256(sc), syn_scenario_path(sc)};
  syn_h5fit_data d = {&prov, text, syn_optim_type_name(t), (unsigned long long)seed, nstarts, np,
                      npt, pname, pscale, lo, hi, best, r->start, r->end, r->objective,
                      (const char *const *)r->status, r->iterations, r->evaluations, kbest,
                      fbest, arm, obs, time, value, sd, fitted, resid, NULL, NULL, NULL};
  fit_uncertainty_attach(unc, &d);
  if (syn_h5fit_write(o->output, &d, &err) != SYN_OK) {
    fprintf(stderr, "synovia fit: error: %s\n", err.message);
    goto done;
  }
  printf("wrote %s\n", o->output);
  ok = 1;
done:
  free(pname);
  free(pscale);
  free(arm);
  free(obs);
  free(lo);
  free(hi);
  free(cols);
  free(text);
  prov_files_free(&files);
  return ok;
}

/* The optimiser: --optimizer, else the fit file's; LM needs the residual form,
 * so without it the gradient method (lbfgs) is used instead. */
static const syn_optim_type *choose_type(const syn_fit *fit, const ms_opts *o) {
  const char *name = o->optimizer ? o->optimizer : syn_fit_optimizer(fit);
  const syn_optim_type *t = syn_optim_type_find(name);
  if (t == NULL) {
    const char *near = NULL;
    for (size_t i = 0; i < syn_optim_type_count(); i++) {
      const char *c = syn_optim_type_name(syn_optim_type_at(i));
      if (strncmp(c, name, 2) == 0) near = c;
    }
    if (near)
      cli_usage_error("fit", "unknown optimizer '%s' (did you mean '%s'? lm, lbfgs, slsqp or "
                      "bobyqa)", name, near);
    else
      cli_usage_error("fit", "unknown optimizer '%s' (lm, lbfgs, slsqp or bobyqa)", name);
    return NULL;
  }
  if (syn_optim_type_needs_residuals(t) && !syn_objective_residual_form(fit, NULL, 0))
    t = syn_optim_lbfgs();
  return t;
}

/* Start k on the parameter scale, mapped into the bounds from a point of the
 * fit file's design; start 0 takes the fit file's `start` values where given.
 * Start k must not depend on how many starts run (--starts), but an lhs point
 * depends on the design's size: so the designs have the fit file's `starts`
 * points each, start k is point k mod that of design k / that, whose seed is
 * the seed plus the design's number. The file's first N starts are one LHS. */
static int start_point(const syn_fit *fit, const char *design, uint64_t seed, size_t k,
                       const double *lo, const double *hi, double *x, syn_error *err) {
  size_t np = syn_fit_param_count(fit), block = syn_fit_starts(fit);
  if (block == 0) block = 1;
  if (syn_sweep_design_unit(design, seed + k / block, block, np, k % block, x, err) != SYN_OK)
    return 0;
  for (size_t j = 0; j < np; j++) {
    const syn_fit_param *p = syn_fit_param_at(fit, j);
    x[j] = lo[j] + x[j] * (hi[j] - lo[j]);
    if (k == 0 && p->has_start) x[j] = syn_objective_to_scale(p, p->start);
  }
  return 1;
}

static int multistart(const char *path, const ms_opts *o) {
  syn_error err;
  syn_error_clear(&err);
  syn_fit *fit = NULL;
  syn_objective *obj = NULL;
  syn_optim *opt = NULL;
  double *lo = NULL, *hi = NULL, *x = NULL, *best = NULL;
  const char **names = NULL;
  ms_record rec = {0};
  size_t nstarts = 0;
  int rc = CLI_FAILED;
  if (syn_fit_load(path, &fit, &err) != SYN_OK) {
    cli_print_error(&err);
    goto done;
  }
  if (!output_usable(fit, o->output)) goto done;
  const syn_optim_type *t = choose_type(fit, o);
  if (t == NULL) {
    rc = CLI_USAGE;
    goto done;
  }
  size_t np = syn_fit_param_count(fit), m = syn_objective_residual_count(fit);
  nstarts = o->starts >= 0 ? (size_t)o->starts : syn_fit_starts(fit);
  uint64_t seed = o->seed >= 0 ? (uint64_t)o->seed : syn_fit_seed(fit);
  lo = malloc((np + 1) * sizeof *lo);
  hi = malloc((np + 1) * sizeof *hi);
  x = malloc((np + 1) * sizeof *x);
  best = malloc((np + 1) * sizeof *best);
  names = malloc((np + 1) * sizeof *names);
  if (!lo || !hi || !x || !best || !names || !record_alloc(&rec, nstarts, np)) {
    fputs("synovia fit: error: out of memory\n", stderr);
    goto done;
  }
  for (size_t j = 0; j < np; j++) {
    const syn_fit_param *p = syn_fit_param_at(fit, j);
    lo[j] = syn_objective_to_scale(p, p->lower);
    hi[j] = syn_objective_to_scale(p, p->upper);
    names[j] = p->name;
  }
  if (syn_objective_create(fit, &obj, &err) != SYN_OK ||
      syn_optim_create(t, np, m, &opt, &err) != SYN_OK) {
    fprintf(stderr, "synovia fit: error: %s: %s\n", path, err.message);
    goto done;
  }
  fit_ctx ctx = {obj, np};
  syn_optim_problem prob = {np, syn_optim_type_needs_residuals(t) ? m : 0, f_cb,
                            syn_optim_type_needs_residuals(t) ? r_cb : NULL, 0.0, lo, hi,
                            names, &ctx};
  if (prob.residuals) { /* f_const: the objective's constant terms */
    double *r = malloc((m ? m : 1) * sizeof *r);
    if (r == NULL) { fputs("synovia fit: error: out of memory\n", stderr); goto done; }
    syn_objective_default_x(fit, x);
    syn_status st = syn_objective_residuals(obj, x, r, NULL, &prob.f_const, &err);
    free(r);
    if (st != SYN_OK) {
      fprintf(stderr, "synovia fit: error: %s: %s\n", path, err.message);
      goto done;
    }
  }
  syn_optim_settings s;
  syn_optim_settings_default(&s);
  double fbest = INFINITY;
  size_t kbest = 0;
  printf("%s: %zu starts, optimizer %s, design %s, seed %llu\n", syn_fit_path(fit), nstarts,
         syn_optim_type_name(t), syn_fit_start_design(fit), (unsigned long long)seed);
  printf("%-6s %-20s %-12s %-12s %s\n", "start", "objective", "iterations", "evaluations",
         "status");
  for (size_t k = 0; k < nstarts; k++) {
    if (!o->quiet)
      fprintf(stderr, "\rsynovia fit: start %zu/%zu, best so far %.10g", k + 1, nstarts, fbest);
    syn_optim_result res;
    int started = start_point(fit, syn_fit_start_design(fit), seed, k, lo, hi, x, &err);
    for (size_t j = 0; j < np; j++)
      rec.start[k * np + j] = started ? syn_objective_unscale(syn_fit_param_at(fit, j), x[j]) : (double)NAN;
    if (!started || syn_optim_minimize(opt, &prob, &s, x, &res, &err) != SYN_OK) {
      printf("%-6zu %-20s %-12s %-12s failed: %s\n", k, "nan", "0", "0", err.message);
      char why[sizeof err.message + 16];
      snprintf(why, sizeof why, "failed: %s", err.message);
      rec.status[k] = copy_text(why);
      rec.objective[k] = NAN;
      for (size_t j = 0; j < np; j++) rec.end[k * np + j] = NAN;
      syn_error_clear(&err);
      continue;
    }
    printf("%-6zu %-20.14g %-12zu %-12zu %s\n", k, res.f, res.iterations, res.evaluations,
           res.message);
    rec.status[k] = copy_text(res.message);
    rec.objective[k] = res.f;
    rec.iterations[k] = (long long)res.iterations;
    rec.evaluations[k] = (long long)res.evaluations;
    for (size_t j = 0; j < np; j++)
      rec.end[k * np + j] = syn_objective_unscale(syn_fit_param_at(fit, j), x[j]);
    /* The returned x is the best point the run found, even when it stopped
     * with a failure (NLopt's lbfgs reports one from rounding at a minimum):
     * its status stays recorded in the table, its point still counts. */
    if (isfinite(res.f) && res.f < fbest) {
      fbest = res.f;
      kbest = k;
      memcpy(best, x, np * sizeof *x);
    }
  }
  if (!o->quiet) fputs("\n", stderr);
  if (!isfinite(fbest)) {
    fprintf(stderr, "synovia fit: error: %s: every start failed (see the table)\n", path);
    goto done;
  }
  printf("best: objective %.14g (start %zu)\n", fbest, kbest);
  printf("%-32s %-6s %-16s %-12s %-12s\n", "parameter", "scale", "value", "lower", "upper");
  for (size_t j = 0; j < np; j++) {
    const syn_fit_param *p = syn_fit_param_at(fit, j);
    printf("%-32s %-6s %-16.10g %-12g %-12g\n", p->name, scale_name(p->scale),
           syn_objective_unscale(p, best[j]), p->lower, p->upper);
    best[j] = syn_objective_unscale(p, best[j]);
  }
  for (size_t k = 0; k < nstarts; k++)
    if (rec.status[k] == NULL) {
      fputs("synovia fit: error: out of memory\n", stderr);
      goto done;
    }
  fit_unc *unc = fit_uncertainty_run(fit, obj, t, best, fbest, o->no_profiles, o->quiet);
  if (unc && write_output(fit, o, t, seed, nstarts, &rec, best, kbest, fbest, unc)) rc = CLI_OK;
  fit_uncertainty_free(unc);
done:
  record_free(&rec, nstarts);
  syn_optim_destroy(opt);
  syn_objective_destroy(obj);
  syn_fit_destroy(fit);
  free(lo);
  free(hi);
  free(x);
  free(best);
  free(names);
  return rc;
}

/* The output named or defaulted, refused early ("-", a folder, an input)
 * before the fit file is even loaded, then multistart. */
static int multistart_to_file(const char *path, ms_opts *o) {
  if (cli_refuse_stdout_h5("fit", o->output, "fit.h5")) return CLI_USAGE;
  char *dflt = o->output ? NULL : run_default_output(path);
  if (o->output == NULL && dflt == NULL) {
    fputs("synovia fit: error: out of memory\n", stderr);
    return CLI_FAILED;
  }
  if (o->output == NULL) o->output = dflt;
  int rc = cli_output_usable(o->output, &path, 1) ? multistart(path, o) : CLI_FAILED;
  o->output = NULL;
  free(dflt);
  return rc;
}

int cmd_fit(int argc, char **argv, const char *command_line) {
  const char *path = NULL;
  const char **at = calloc((size_t)argc + 1, sizeof *at);
  size_t nat = 0;
  int evaluate_flag = 0, rc = CLI_USAGE;
  ms_opts ms = {-1, -1, NULL, 0, NULL, command_line, 0};
  if (at == NULL) {
    fputs("synovia fit: error: out of memory\n", stderr);
    return CLI_FAILED;
  }
  for (int i = 0; i < argc; i++) {
    const char *value = NULL;
    int took;
    if (cli_is_help(argv[i])) {
      fputs(fit_help, stdout);
      rc = CLI_OK;
      goto done;
    }
    if (strcmp(argv[i], "--evaluate") == 0) {
      evaluate_flag = 1;
    } else if (strcmp(argv[i], "--no-profiles") == 0) {
      ms.no_profiles = 1;
    } else if (strcmp(argv[i], "-q") == 0) {
      ms.quiet = 1;
    } else if ((took = cli_take_value(argc, argv, &i, "-o", "fit", &value)) != 0 ||
               (took = cli_take_value(argc, argv, &i, "--output", "fit", &value)) != 0) {
      if (took < 0) goto done;
      ms.output = value;
    } else if ((took = cli_take_value(argc, argv, &i, "--optimizer", "fit", &value)) != 0) {
      if (took < 0) goto done;
      ms.optimizer = value;
    } else if ((took = cli_take_value(argc, argv, &i, "--starts", "fit", &value)) != 0) {
      if (took < 0) goto done;
      if (!cli_parse_long(value, &ms.starts) || ms.starts < 1) {
        cli_usage_error("fit", "--starts '%s' is not a positive integer (give 1 or more)", value);
        goto done;
      }
    } else if ((took = cli_take_value(argc, argv, &i, "--seed", "fit", &value)) != 0) {
      if (took < 0) goto done;
      if (!cli_parse_long(value, &ms.seed) || ms.seed < 0) {
        cli_usage_error("fit", "--seed '%s' is not a non-negative integer", value);
        goto done;
      }
    } else if ((took = cli_take_value(argc, argv, &i, "--at", "fit", &value)) != 0) {
      if (took < 0) goto done;
      at[nat++] = value;
    } else if (argv[i][0] == '-' && argv[i][1] != 0) {
      cli_usage_error("fit", "unknown option '%s'", argv[i]);
      goto done;
    } else if (path != NULL) {
      cli_usage_error("fit", "one fit file at a time ('%s' and '%s')", path, argv[i]);
      goto done;
    } else {
      path = argv[i];
    }
  }
  if (path == NULL) {
    cli_usage_error("fit", "no fit file given");
  } else if (!evaluate_flag) {
    rc = multistart_to_file(path, &ms);
  } else {
    rc = evaluate(path, at, nat);
  }
done:
  free(at);
  return rc;
}
