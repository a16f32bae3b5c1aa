/* synovia run FILE.scenario — every arm of a scenario into one HDF5 file, and
 * the arms' metrics side by side.
 *
 * As for a model run, everything that can be checked is checked before the
 * first arm runs (scenario, model, arm name, overrides, output path), and the
 * file appears under its name only when every arm has been written. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "synovia/problem.h"
#include "run.h"
#include "table.h"

/* Arm columns are at least MIN_COLUMN wide (a "%.6g" value such as
 * -1.23457e+299 is 13 characters) and arm names longer than MAX_COLUMN are
 * wrapped over several heading lines. */
enum { MIN_COLUMN = 13, MAX_COLUMN = 20, FINAL_ROWS = 8 };

typedef struct scenario_run {
  syn_scenario *sc;
  syn_h5 *h5;
  char *out_path;
  double *atol_vec;
  syn_override *ov;
  size_t nov;
  size_t *arms;      /* indices of the arms to run */
  size_t narms;
  double *table;     /* narms x nrows: metric values, or final values without metrics */
  size_t nrows;
  const char **row_names, **row_units;
  const run_hooks *hooks;
  syn_problem *problem; /* every arm run, the --set names free: one workspace, so arms with
                           the same parameters find their steady baseline once */
  syn_problem_ws *ws;
  double *theta;        /* the --set values */
  int dose_sets;        /* a --set names a dose */
  run_sens sens;        /* --sensitivities, or the scenario's line; "all" expanded */
  const char **names;   /* the free parameters: the --set names, then the sensitivities' */
  size_t nfree;
  size_t *sens_index;   /* free parameter of each sensitivity */
  double *arm_theta;    /* [narms][nfree]: theta of each arm (a sensitivity's parameter
                           not --set at the arm's own value) */
} scenario_run;

static void scenario_run_free(scenario_run *r) {
  run_release_output();
  syn_problem_ws_destroy(r->ws);
  syn_problem_destroy(r->problem);
  free(r->theta);
  run_sens_free(&r->sens);
  free(r->names);
  free(r->sens_index);
  free(r->arm_theta);
  syn_h5_destroy(r->h5);
  syn_scenario_destroy(r->sc);
  free(r->out_path);
  free(r->atol_vec);
  free(r->ov);
  free(r->arms);
  free(r->table);
  free(r->row_names);
  free(r->row_units);
}

/* --set 'dose:ARM:ROUTE.amount=A': A a number in the unit of the dose
 * statement; '….time=T': T in clock units, or a time ("3 d"). */
static int parse_dose_set(const syn_model *m, const name_value *set, double *v) {
  size_t n = strlen(set->name);
  if (n > 5 && strcmp(set->name + n - 5, ".time") == 0)
    return run_parse_value(m, "--set", set->value, v);
  if (cli_parse_double(set->value, v)) return 1;
  fprintf(stderr, "synovia: error: --set '%s=%s': not a number (a dose's amount is a number "
                  "in the unit its dose statement writes)\n", set->name, set->value);
  return 0;
}

/* --set values converted to their names' declared units and checked on a
 * scratch instance, so a typo fails before the first arm runs. */
static int parse_overrides(scenario_run *r, const run_args *a) {
  const syn_model *m = syn_scenario_model(r->sc);
  syn_instance *inst = NULL;
  syn_error err;
  int ok = 0;
  r->ov = calloc(a->nsets + 1, sizeof *r->ov);
  if (r->ov == NULL || syn_instance_create(m, &inst, &err) != SYN_OK) goto done;
  for (size_t k = 0; k < a->nsets; k++) {
    double v;
    if (strncmp(a->sets[k].name, "dose:", 5) == 0) { /* checked with the problem */
      if (!parse_dose_set(m, &a->sets[k], &v)) goto done;
      r->ov[r->nov++] = (syn_override){a->sets[k].name, v};
      r->dose_sets = 1;
      continue;
    }
    if (!run_parse_set(m, a->sets[k].name, a->sets[k].value, &v)) goto done;
    syn_error_clear(&err);
    if (syn_instance_set(inst, a->sets[k].name, v, &err) != SYN_OK) {
      fprintf(stderr, "synovia: error: --set '%s=%s': %s\n", a->sets[k].name, a->sets[k].value,
              err.message);
      if (err.hint[0]) fprintf(stderr, "  hint: %s\n", err.hint);
      goto done;
    }
    r->ov[r->nov++] = (syn_override){a->sets[k].name, v};
  }
  ok = 1;
done:
  syn_instance_destroy(inst);
  return ok;
}

static int choose_arms(scenario_run *r, const run_args *a) {
  size_t n = syn_scenario_arm_count(r->sc);
  r->arms = calloc(n + 1, sizeof *r->arms);
  if (r->arms == NULL) return 0;
  if (a->arm == NULL) {
    for (size_t i = 0; i < n; i++) r->arms[r->narms++] = i;
    return 1;
  }
  syn_error err;
  syn_error_clear(&err);
  size_t i;
  if (syn_scenario_find_arm(r->sc, a->arm, &i, &err) != SYN_OK) {
    fprintf(stderr, "synovia: error: --arm '%s': %s\n", a->arm, err.message);
    if (err.hint[0]) fprintf(stderr, "  hint: %s\n", err.hint);
    return 0;
  }
  r->arms[r->narms++] = i;
  return 1;
}

static syn_status open_output(scenario_run *r, const char *command_line, syn_error *err) {
  const syn_model *m = syn_scenario_model(r->sc);
  const char *paths[SYN_MAX_PROVENANCE_FILES], *texts[SYN_MAX_PROVENANCE_FILES];
  paths[0] = syn_scenario_path(r->sc);
  texts[0] = syn_scenario_text(r->sc);
  size_t nf = 1 + run_model_files(m, paths, texts, 1, SYN_MAX_PROVENANCE_FILES);
  const char *title = syn_scenario_title(r->sc)[0] ? syn_scenario_title(r->sc) : syn_model_title(m);
  syn_provenance prov = {title, command_line, syn_model_sha256(m), nf, paths, texts, NULL,
                         syn_scenario_sha256(r->sc), syn_scenario_path(r->sc)};
  return run_create_output(r->out_path, &prov, &r->h5, err);
}

/* Rows of the comparison: the metrics, or without metrics the final values
 * of the first few series. */
static int prepare_table(scenario_run *r) {
  size_t nm = syn_scenario_metric_count(r->sc);
  const syn_model *m = syn_scenario_model(r->sc);
  size_t ns = syn_model_count(m, SYN_SYM_STATE) + syn_model_count(m, SYN_SYM_OUTPUT);
  r->nrows = nm > 0 ? nm : (ns < FINAL_ROWS ? ns : FINAL_ROWS);
  r->table = calloc(r->narms * r->nrows + 1, sizeof *r->table);
  r->row_names = calloc(r->nrows + 1, sizeof *r->row_names);
  r->row_units = calloc(r->nrows + 1, sizeof *r->row_units);
  if (!r->table || !r->row_names || !r->row_units) return 0;
  for (size_t i = 0; i < nm; i++) {
    r->row_names[i] = syn_scenario_metric_name(r->sc, i);
    r->row_units[i] = syn_scenario_metric_units(r->sc, i);
  }
  return 1;
}

/* Remember what the table shows of one arm (the result is freed afterwards). */
static void record_row_values(scenario_run *r, size_t k, const syn_result *res) {
  size_t nm = syn_scenario_metric_count(r->sc);
  for (size_t i = 0; i < nm && i < syn_result_metric_count(res); i++) {
    const char *name, *units, *desc;
    syn_result_metric(res, i, &name, &units, &desc, &r->table[k * r->nrows + i]);
  }
  if (nm > 0) return;
  size_t nt = syn_result_ntimes(res);
  for (size_t i = 0; i < r->nrows; i++) /* names come from the model (series_name) */
    r->table[k * r->nrows + i] = nt ? syn_result_series(res, i)[nt - 1] : (double)NAN;
}

static const char *series_name(const syn_model *m, size_t i, const char **units) {
  size_t ns = syn_model_count(m, SYN_SYM_STATE);
  const syn_symbol *s = i < ns ? syn_model_symbol(m, SYN_SYM_STATE, i)
                               : syn_model_symbol(m, SYN_SYM_OUTPUT, i - ns);
  *units = s->units;
  return s->name;
}

static const char *row_name(const scenario_run *r, size_t i, const char **units) {
  *units = r->row_units[i];
  return r->row_names[i] ? r->row_names[i] : series_name(syn_scenario_model(r->sc), i, units);
}

/* Rows of metrics (or final values), one column per arm: name, units, values. */
static void print_table(const scenario_run *r) {
  size_t ncols = r->narms + 2;
  const char **head = calloc(ncols, sizeof *head);
  char *align = calloc(ncols + 1, 1);
  cli_cells cells = {0};
  if (head == NULL || align == NULL) goto done;
  head[0] = syn_scenario_metric_count(r->sc) ? "metric" : "at end";
  head[1] = "units";
  memset(align, 'r', ncols);
  align[0] = align[1] = 'l';
  for (size_t k = 0; k < r->narms; k++) head[k + 2] = syn_scenario_arm_name(r->sc, r->arms[k]);
  for (size_t i = 0; i < r->nrows; i++) {
    const char *units, *name = row_name(r, i, &units);
    cli_cells_add(&cells, name);
    cli_cells_add(&cells, cli_units_shown(units));
    for (size_t k = 0; k < r->narms; k++) {
      char text[64];
      cli_format_value(r->table[k * r->nrows + i], units && strcmp(units, "%") == 0, text,
                       sizeof text);
      cli_cells_add(&cells, text);
    }
  }
  if (cells.failed) goto done;
  cli_table t = {ncols, r->nrows, head, (const char *const *)cells.cell, align, MIN_COLUMN,
                 MAX_COLUMN, 0};
  cli_table_print(stdout, &t);
done:
  cli_cells_free(&cells);
  free(head);
  free(align);
}

/* A time of the grid as a person reads it: in days when the clock is finer
 * and the run spans days (as the tables and figures show it), else in the
 * clock; `day` is the day's length in the clock (0: not in days). */
static void put_time(char *buf, size_t size, double t, double day, const char *clock) {
  if (day > 0) snprintf(buf, size, "%g d", t / day);
  else snprintf(buf, size, "%g%s%s", t, clock[0] ? " " : "", clock);
}

static void print_header(const scenario_run *r) {
  double t0, t1, every, day = 0;
  const syn_model *m = syn_scenario_model(r->sc);
  syn_scenario_grid(r->sc, &t0, &t1, &every);
  const char *clock = syn_model_time_unit(m);
  const char *title = syn_scenario_title(r->sc);
  if (strcmp(clock, "d") != 0 && syn_model_parse_time(m, "1 d", &day, NULL) == SYN_OK &&
      !(t1 - t0 >= 3 * day))
    day = 0; /* a run of hours stays in hours */
  char to[48], step[48];
  put_time(to, sizeof to, t1, day, clock);
  /* a step of whole days in days, else in the clock ("every 6 h") */
  put_time(step, sizeof step, every, day > 0 && fmod(every, day) == 0 ? day : 0, clock);
  printf("%s\n", title[0] ? title : syn_scenario_path(r->sc));
  printf("%zu arm%s, t = %g to %s every %s, baseline %s\n\n", r->narms, r->narms == 1 ? "" : "s",
         day > 0 ? t0 / day : t0, to, step, syn_scenario_baseline(r->sc));
}

static void print_warnings(const char *arm, const syn_arm_result *ar) {
  for (size_t i = 0; i < ar->nwarnings; i++)
    fprintf(stderr, "synovia: warning: arm '%s': %s\n", arm, ar->warnings[i]);
}

/* Sensitivity name `name` applies to scenario arm `arm`: a model value, or one
 * of that arm's doses. */
static int applies_to(const scenario_run *r, const char *name, size_t arm) {
  if (strncmp(name, "dose:", 5) != 0) return 1;
  const char *arm_name = syn_scenario_arm_name(r->sc, arm);
  size_t len = strlen(arm_name);
  return strncmp(name + 5, arm_name, len) == 0 && name[5 + len] == ':';
}

/* A model value, or a dose of one of the arms run. */
static int dose_of_arm_run(const scenario_run *r, const char *name) {
  for (size_t k = 0; k < r->narms; k++)
    if (applies_to(r, name, r->arms[k])) return 1;
  return 0;
}

/* The parameters to differentiate by: --sensitivities, else the scenario's
 * `sensitivities` line (checked at load); "all" expanded over the arms run. */
static int take_sens(scenario_run *r, const run_args *a) {
  const syn_model *m = syn_scenario_model(r->sc);
  run_sens given = {0};
  int ok = 1;
  if (a->sensitivities) ok = run_sens_parse(a->sensitivities, &given);
  for (size_t k = 0; k < given.n && ok; k++)
    ok = run_sens_add(&r->sens, given.names[k], m, r->sc, r->arms, r->narms);
  for (size_t i = 0; !a->sensitivities && i < syn_scenario_sens_count(r->sc) && ok; i++) {
    const char *name = syn_scenario_sens_name(r->sc, i);
    if (!dose_of_arm_run(r, name)) continue; /* the line's dose of an arm --arm left out */
    ok = run_sens_add(&r->sens, name, m, r->sc, r->arms, r->narms);
  }
  run_sens_free(&given);
  return ok;
}

static void print_option_error(const run_args *a, const char *name, const syn_error *err) {
  if (a->sensitivities) fprintf(stderr, "synovia: error: --sensitivities '%s': ", a->sensitivities);
  else if (name[0]) fprintf(stderr, "synovia: error: sensitivities '%s': ", name);
  else fprintf(stderr, "synovia: error: ");
  fprintf(stderr, "%s\n", err->message);
  if (err->hint[0]) fprintf(stderr, "  hint: %s\n", err->hint);
}

/* Each arm's theta: the --set values, and a sensitivity's parameter not
 * --set at that arm's own value (its `set`/`use` lines, its doses). */
static int fill_arm_theta(scenario_run *r, const run_args *a) {
  syn_error err;
  syn_error_clear(&err);
  r->arm_theta = calloc(r->narms * r->nfree + 1, sizeof *r->arm_theta);
  if (r->arm_theta == NULL) return 0;
  for (size_t k = 0; k < r->narms; k++)
    for (size_t i = 0; i < r->nfree; i++) {
      double *v = &r->arm_theta[k * r->nfree + i];
      if (i < r->nov) *v = r->ov[i].value;
      else if (syn_problem_free_base(r->problem, k, i, v, &err) != SYN_OK) {
        print_option_error(a, r->names[i], &err);
        return 0;
      }
    }
  return 1;
}

/* With sensitivities, the problem every arm runs through, made before the
 * output is opened: a wrong name is a usage error and nothing is written. */
static int make_sens_problem(scenario_run *r, const run_args *a, const syn_solver_opts *opts) {
  syn_error err;
  syn_error_clear(&err);
  if (!run_free_names(a, &r->sens, &r->names, &r->nfree, &r->sens_index)) return 0;
  if (syn_problem_create(r->sc, r->arms, r->narms, r->names, r->nfree, opts, &r->problem, &err) !=
      SYN_OK) {
    print_option_error(a, "", &err);
    return 0;
  }
  if (!fill_arm_theta(r, a)) return 0;
  if (syn_problem_ws_create(r->problem, &r->ws, &err) != SYN_OK) {
    cli_print_error(&err);
    return 0;
  }
  return 1;
}

/* The problem every arm runs through. When it cannot be made, each arm runs
 * on its own (syn_scenario_run_arm), which reports the reason as that arm's
 * failure, as it always has. */
static void start_problem(scenario_run *r, const syn_solver_opts *opts) {
  if (r->problem) return; /* made already, with sensitivities */
  const char **names = calloc(r->nov + 1, sizeof *names);
  r->theta = calloc(r->nov + 1, sizeof *r->theta);
  if (names == NULL || r->theta == NULL) {
    free(names);
    return;
  }
  for (size_t i = 0; i < r->nov; i++) {
    names[i] = r->ov[i].name;
    r->theta[i] = r->ov[i].value;
  }
  if (syn_problem_create(r->sc, r->arms, r->narms, names, r->nov, opts, &r->problem, NULL) ==
      SYN_OK)
    (void)syn_problem_ws_create(r->problem, &r->ws, NULL);
  free(names);
}

/* The arm's sensitivities and metric gradients (a second evaluation: the
 * series written are those of the run without them, bit for bit) into res. */
static syn_status add_sensitivities(scenario_run *r, size_t k, syn_result *res, syn_error *err) {
  size_t n = r->sens.n, m = 0;
  const double *theta = r->arm_theta + k * r->nfree;
  const char **names = calloc(n + 1, sizeof *names), **units = calloc(n + 1, sizeof *units);
  double *values = calloc(n + 1, sizeof *values);
  size_t *sel = calloc(n + 1, sizeof *sel);
  syn_status st = names && units && values && sel ? SYN_OK
                                                  : syn_error_set(err, SYN_ENOMEM, "out of memory");
  for (size_t i = 0; i < n && st == SYN_OK; i++) {
    if (!applies_to(r, r->sens.names[i], r->arms[k])) continue;
    names[m] = r->sens.names[i];
    units[m] = syn_scenario_param_units(r->sc, names[m]);
    values[m] = theta[r->sens_index[i]];
    sel[m++] = r->sens_index[i];
  }
  syn_problem_want want = {1, NULL, NULL, 0, NULL, sel, m, NULL, NULL};
  syn_problem_result pr;
  if (st == SYN_OK && m > 0) st = syn_problem_eval(r->ws, k, theta, &want, &pr, err);
  if (st == SYN_OK && m > 0) st = syn_result_set_sensitivities(res, m, names, units, values,
                                                               pr.sens, err);
  if (st == SYN_OK && m > 0 && syn_scenario_metric_count(r->sc) > 0)
    st = syn_result_set_metric_gradients(res, pr.dmetrics, err);
  free(names);
  free(units);
  free(values);
  free(sel);
  return st;
}

/* Run one arm, write it, keep its row of the table. */
static int run_one_arm(scenario_run *r, size_t k, const syn_solver_opts *opts, const run_args *a) {
  size_t arm = r->arms[k];
  const char *name = syn_scenario_arm_name(r->sc, arm);
  syn_arm_result *ar = NULL;
  syn_error err;
  syn_error_clear(&err);
  int ok = 0;
  const double *theta = r->arm_theta ? r->arm_theta + k * r->nfree : r->theta;
  syn_status st = r->ws ? syn_problem_eval_arm(r->ws, k, theta, NULL, &ar, &err)
                        : syn_scenario_run_arm(r->sc, arm, opts, r->ov, r->nov, &ar, &err);
  if (st == SYN_OK && r->sens.n > 0) st = add_sensitivities(r, k, ar->series, &err);
  if (st != SYN_OK ||
      syn_h5_write_arm(r->h5, name, ar->series, &err) != SYN_OK) {
    fprintf(stderr, "synovia: arm '%s' failed:\n", name);
    cli_print_error(&err);
    goto done;
  }
  if (!a->quiet) print_warnings(name, ar);
  if (!a->quiet && ar->has_cond_doses)
    printf("arm '%s': %zu conditional dose%s given\n", name, ar->cond_doses,
           ar->cond_doses == 1 ? "" : "s");
  record_row_values(r, k, ar->series);
  if (r->hooks && r->hooks->arm_done) r->hooks->arm_done(r->hooks->ctx, r->sc, k, arm, ar->series);
  ok = 1;
done:
  syn_arm_result_destroy(ar);
  return ok;
}

int run_scenario(const run_args *a, const char *command_line, const run_hooks *hooks) {
  scenario_run r = {0};
  r.hooks = hooks;
  syn_error err;
  syn_error_clear(&err);
  syn_solver_opts opts;
  syn_solver_opts_default(&opts);
  int rc = CLI_USAGE;
  if (a->t_start || a->t_end || a->every) {
    cli_usage_error("run", "--t-start, --t-end and --every do not apply to a scenario: "
                           "its 'simulate' line sets the times");
    goto done;
  }
  rc = CLI_FAILED;
  if (syn_scenario_load(a->model_path, &r.sc, &err) != SYN_OK) goto print_fail;
  rc = CLI_USAGE;
  syn_scenario_solver_opts(r.sc, &opts); /* the scenario's `solver` line; options override it */
  if (!run_solver_options(syn_scenario_model(r.sc), a, &opts, &r.atol_vec) ||
      !parse_overrides(&r, a) || !choose_arms(&r, a) || !take_sens(&r, a) ||
      ((r.sens.n > 0 || r.dose_sets) && !make_sens_problem(&r, a, &opts)))
    goto done;
  rc = CLI_FAILED;
  if (!prepare_table(&r)) goto done;
  r.out_path = a->output_path ? strdup(a->output_path) : run_default_output(a->model_path);
  if (r.out_path == NULL) {
    fputs("synovia: error: out of memory\n", stderr);
    goto done;
  }
  /* none of the files read: the scenario, its model and the model's imports */
  if (!run_output_usable(r.out_path, syn_scenario_path(r.sc), syn_scenario_model(r.sc)))
    goto done;
  if (open_output(&r, command_line, &err) != SYN_OK) goto print_fail;
  start_problem(&r, &opts);
  for (size_t k = 0; k < r.narms; k++)
    if (!run_one_arm(&r, k, &opts, a)) goto done;
  if (run_commit_output(r.h5, &err) != SYN_OK) goto print_fail;
  if (!a->quiet) {
    print_header(&r);
    if (hooks && hooks->print) hooks->print(hooks->ctx, r.sc, r.arms, r.narms);
    print_table(&r);
    printf("\nwrote %s\n", a->output_shown ? a->output_shown : r.out_path);
    if (r.sens.n > 0)
      printf("wrote each arm's sensitivities to %zu parameter%s (d/dp and d ln/d ln p%s)\n",
             r.sens.n, r.sens.n == 1 ? "" : "s",
             syn_scenario_metric_count(r.sc) ? ", and the metrics' gradients" : "");
  }
  rc = CLI_OK;
  goto done;
print_fail:
  cli_print_error(&err);
done:
  scenario_run_free(&r);
  return rc;
}
