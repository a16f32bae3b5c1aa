/* synovia run MODEL — simulate one model and write an HDF5 time series.
 *
 * Order matters for the user: every argument is checked and the output file
 * is opened (as <out>.tmp) before the simulation starts, so a typo fails in
 * milliseconds, and an existing result is replaced only when the new one is
 * complete. The output must be a new or a regular file and none of the files
 * the run reads (run_output_early, run_output_usable). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "synovia/problem.h"
#include "synovia/sbml.h"
#include "run.h"

static const char run_help[] =
    "usage: synovia run [MODEL|SCENARIO [options]]\n"
    "\n"
    "Simulate MODEL from its initial values and write every state and output to\n"
    "an HDF5 file (NetCDF-4 compatible; see docs/output-format.md). Prints a short\n"
    "table of the result.\n"
    "\n"
    "Without arguments, run the built-in demonstration: knee osteoarthritis, one\n"
    "injection of UC-MSCs into the knee (IA) versus an intravenous infusion (IV)\n"
    "versus no treatment, over 6 months; writes synovia-demo.h5 and prints the key\n"
    "biomarkers of each arm at days 0, 7, 28, 90 and 180.\n"
    "\n"
    "Given a scenario (a .scenario file; docs/scenarios.md), run each of its arms\n"
    "(doses, presets, settings) on its model into one file, one group per arm,\n"
    "and print the metrics of every arm side by side.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE      result file (default: the model's name with .h5,\n"
    "                         in the current directory); HDF5 cannot be written\n"
    "                         to a pipe, so '-' (standard output) is refused;\n"
    "                         an existing FILE must be a regular file, not one\n"
    "                         of the files the run reads\n"
    "  --t-start T            start time (default 0)\n"
    "  --t-end T              end time (default 24 clock units)\n"
    "  --every DT             output spacing (default: 100 intervals)\n"
    "                         T and DT are in the model clock, or carry a time\n"
    "                         unit: --t-end '180 d', --every '30 min'\n"
    "  --set NAME=VALUE       override a parameter, a compartment or a state's\n"
    "                         initial value (repeatable); VALUE is in NAME's\n"
    "                         unit, or carries a unit converted to it:\n"
    "                         --set 't_half=20 min', --set 'V=500 mL'\n"
    "                         For a scenario, also a dose's amount (in the unit\n"
    "                         of its dose statement) or time: --set\n"
    "                         'dose:IA:IA.amount=2e6' (docs/sensitivities.md)\n"
    "  --rtol R               relative tolerance (default 1e-6)\n"
    "  --atol A               absolute tolerance for every state (default: a state's\n"
    "                         own atol, 1e-3 for cells, else 1e-9)\n"
    "  --atol STATE=A         absolute tolerance for one state (repeatable)\n"
    "  --max-steps N          most solver steps between two outputs (default 50000)\n"
    "  --linear-solver KIND   auto (default), dense or klu (sparse)\n"
    "  --no-jacobian          difference quotients instead of the exact Jacobian\n"
    "  --arm NAME             scenarios: run only this arm\n"
    "  --sensitivities P1,P2,...\n"
    "                         also write d(series)/dP and the normalised\n"
    "                         d ln(series)/d ln P of every state and output, and\n"
    "                         the metrics' gradients, for these parameters: names\n"
    "                         as --set takes them, and a scenario's doses,\n"
    "                         'dose:ARM:ROUTE.amount' or '.time' (':K' after ROUTE\n"
    "                         for its K-th dose). A parameter not --set is taken\n"
    "                         at each arm's own value. 'all': every param and\n"
    "                         compartment written as a number (not those computed\n"
    "                         from others, nor initial values) and every dose's\n"
    "                         amount and time of the arms run. Overrides a\n"
    "                         scenario's 'sensitivities' line\n"
    "  -q, --quiet            print nothing but errors\n"
    "\n"
    "SIGINT (Ctrl-C) or SIGTERM stop a run at once: its unfinished file is\n"
    "removed, an older FILE is left as it was, and synovia ends by that signal.\n"
    "\n"
    "Exit status: 0 success, 1 the model or the run failed, 2 bad usage.\n";

enum { DEFAULT_T_END = 24, DEFAULT_INTERVALS = 100, TABLE_ROWS = 7, TABLE_COLUMNS = 6 };

static void free_pairs(name_value *p, size_t n) {
  for (size_t i = 0; i < n; i++) free(p[i].name);
  free(p);
}

static void free_args(run_args *a) {
  free_pairs(a->sets, a->nsets);
  free_pairs(a->atols, a->natols);
}

/* "NAME=VALUE" -> pair; 0 on a malformed argument (after a usage error). */
static int add_pair(name_value **list, size_t *n, const char *option, const char *text) {
  const char *eq = strchr(text, '=');
  if (eq == NULL || eq == text || eq[1] == 0) {
    cli_usage_error("run", "%s '%s' is not NAME=VALUE", option, text);
    return 0;
  }
  name_value *grown = realloc(*list, (*n + 1) * sizeof **list);
  if (grown == NULL) return 0;
  *list = grown;
  size_t len = (size_t)(eq - text);
  char *name = malloc(len + 1);
  if (name == NULL) return 0;
  memcpy(name, text, len);
  name[len] = 0;
  grown[*n] = (name_value){option, name, eq + 1};
  *n += 1;
  return 1;
}

/* One option with a value; returns 1 taken, 0 not this option, -1 error. */
static int take_valued(int argc, char **argv, int *i, run_args *a) {
  static const struct { const char *name; size_t off; } simple[] = {
      {"--output", offsetof(run_args, output_path)}, {"-o", offsetof(run_args, output_path)},
      {"--t-start", offsetof(run_args, t_start)},    {"--t-end", offsetof(run_args, t_end)},
      {"--every", offsetof(run_args, every)},        {"--rtol", offsetof(run_args, rtol)},
      {"--max-steps", offsetof(run_args, max_steps)},
      {"--linear-solver", offsetof(run_args, linsol)}, {"--arm", offsetof(run_args, arm)},
      {"--sensitivities", offsetof(run_args, sensitivities)},
  };
  const char *v = NULL;
  for (size_t k = 0; k < sizeof simple / sizeof simple[0]; k++) {
    int r = cli_take_value(argc, argv, i, simple[k].name, "run", &v);
    if (r < 0) return -1;
    if (r > 0) {
      *(const char **)(void *)((char *)a + simple[k].off) = v;
      return 1;
    }
  }
  int r = cli_take_value(argc, argv, i, "--set", "run", &v);
  if (r != 0) return r < 0 ? -1 : (add_pair(&a->sets, &a->nsets, "--set", v) ? 1 : -1);
  r = cli_take_value(argc, argv, i, "--atol", "run", &v);
  if (r < 0) return -1;
  if (r > 0) {
    if (strchr(v, '=') == NULL) {
      a->atol = v;
      return 1;
    }
    return add_pair(&a->atols, &a->natols, "--atol", v) ? 1 : -1;
  }
  return 0;
}

/* Returns CLI_OK, CLI_USAGE, or -1 for "help was printed". */
static int parse_args(int argc, char **argv, run_args *a) {
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (cli_is_help(arg)) {
      fputs(run_help, stdout);
      return -1;
    }
    if (strcmp(arg, "--no-jacobian") == 0) {
      a->no_jacobian = 1;
      continue;
    }
    if (strcmp(arg, "-q") == 0 || strcmp(arg, "--quiet") == 0) {
      a->quiet = 1;
      continue;
    }
    int r = take_valued(argc, argv, &i, a);
    if (r < 0) return CLI_USAGE;
    if (r > 0) continue;
    if (arg[0] == '-' && arg[1] != 0) {
      cli_usage_error("run", "unknown option '%s'", arg);
      return CLI_USAGE;
    }
    if (a->model_path != NULL) {
      cli_usage_error("run", "one model at a time ('%s' and '%s' given)", a->model_path, arg);
      return CLI_USAGE;
    }
    a->model_path = arg;
  }
  if (a->model_path == NULL) {
    cli_usage_error("run", "no model file given (run 'synovia run' alone for the demonstration)");
    return CLI_USAGE;
  }
  if (cli_refuse_stdout_h5("run", a->output_path, "run.h5")) return CLI_USAGE;
  return CLI_OK;
}

static int resolve_times(const syn_model *m, const run_args *a, syn_run_opts *o) {
  double v;
  if (a->t_start) {
    if (!run_parse_value(m, "--t-start", a->t_start, &v)) return 0;
    o->t_start = v;
  }
  o->t_end = o->t_start + DEFAULT_T_END;
  if (a->t_end) {
    if (!run_parse_value(m, "--t-end", a->t_end, &v)) return 0;
    o->t_end = v;
  }
  o->every = (o->t_end - o->t_start) / DEFAULT_INTERVALS;
  if (a->every) {
    if (!run_parse_value(m, "--every", a->every, &v)) return 0;
    o->every = v;
  }
  return run_check_grid(m, o);
}

static void print_header(const syn_result *r, const size_t *cols, size_t ncols) {
  printf("%12s", "time");
  for (size_t c = 0; c < ncols; c++) printf(" %14.14s", syn_result_info(r, cols[c])->name);
  printf("\n%12s", syn_result_time_units(r)[0] ? syn_result_time_units(r) : "");
  for (size_t c = 0; c < ncols; c++) printf(" %14.14s", syn_result_info(r, cols[c])->units);
  putchar('\n');
}

/* A glance at the result: a few rows spread over the run, a few series. */
static void print_table(const syn_result *r) {
  size_t ns = syn_result_nseries(r), nt = syn_result_ntimes(r);
  size_t cols[TABLE_COLUMNS], ncols = ns < TABLE_COLUMNS ? ns : TABLE_COLUMNS;
  for (size_t c = 0; c < ncols; c++) cols[c] = c;
  if (nt == 0) return;
  print_header(r, cols, ncols);
  size_t rows = nt < TABLE_ROWS ? nt : TABLE_ROWS;
  for (size_t k = 0; k < rows; k++) {
    size_t i = rows > 1 ? k * (nt - 1) / (rows - 1) : 0;
    printf("%12.6g", syn_result_times(r)[i]);
    for (size_t c = 0; c < ncols; c++) printf(" %14.6g", syn_result_series(r, cols[c])[i]);
    putchar('\n');
  }
  if (ns > ncols) printf("(%zu more series in the file)\n", ns - ncols);
}

static long long attr_int(const syn_result *r, const char *key) {
  for (size_t i = 0; i < syn_result_attr_count(r); i++) {
    const syn_attr *a = syn_result_attr(r, i);
    if (strcmp(a->key, key) == 0) return a->type == SYN_ATTR_INT ? a->i : (long long)a->d;
  }
  return 0;
}

static const char *attr_str(const syn_result *r, const char *key) {
  for (size_t i = 0; i < syn_result_attr_count(r); i++) {
    const syn_attr *a = syn_result_attr(r, i);
    if (strcmp(a->key, key) == 0 && a->type == SYN_ATTR_STRING) return a->s;
  }
  return "";
}

static void print_summary(const syn_model *m, const syn_result *r, const char *out_path) {
  const char *title = syn_model_title(m);
  size_t nt = syn_result_ntimes(r);
  printf("%s\n", title[0] ? title : "(untitled model)");
  printf("%zu outputs from t = %g to %g %s; %lld steps, %lld right-hand sides, "
         "%s linear solver, %s Jacobian\n\n",
         nt, syn_result_times(r)[0], syn_result_times(r)[nt - 1], syn_result_time_units(r),
         attr_int(r, "cvode_nsteps"), attr_int(r, "cvode_nfevals"), attr_str(r, "linear_solver"),
         attr_str(r, "jacobian"));
  print_table(r);
  printf("\nwrote %s\n", out_path);
}

typedef struct run_state {
  syn_model *model;
  syn_instance *inst;
  syn_result *result;
  syn_h5 *h5;
  double *atol_vec;
  char *out_path;
  syn_problem *problem;   /* the --set names and the sensitivities' free */
  syn_problem_ws *ws;
  const char **names;     /* the free parameters' names (borrowed strings) */
  size_t nfree;
  double *theta;
  run_sens sens;
  size_t *sens_index;     /* free parameter of each sensitivity */
} run_state;

static void run_state_free(run_state *s) {
  run_release_output();
  syn_problem_ws_destroy(s->ws);
  syn_problem_destroy(s->problem);
  free(s->names);
  free(s->theta);
  free(s->sens_index);
  run_sens_free(&s->sens);
  syn_h5_destroy(s->h5);
  syn_result_destroy(s->result);
  syn_instance_destroy(s->inst);
  syn_model_destroy(s->model);
  free(s->atol_vec);
  free(s->out_path);
}

static syn_status open_output(run_state *s, const char *command_line, syn_error *err) {
  const char *paths[SYN_MAX_PROVENANCE_FILES], *texts[SYN_MAX_PROVENANCE_FILES];
  size_t nf = run_model_files(s->model, paths, texts, 0, SYN_MAX_PROVENANCE_FILES);
  syn_provenance prov = {syn_model_title(s->model), command_line, syn_model_sha256(s->model),
                         nf, paths, texts, NULL, NULL, NULL};
  return run_create_output(s->out_path, &prov, &s->h5, err);
}

/* --sensitivities on a plain model: every name but a dose's (a model has none). */
static int take_model_sens(run_state *s, const run_args *a) {
  run_sens given = {0};
  int ok = a->sensitivities == NULL || run_sens_parse(a->sensitivities, &given);
  for (size_t k = 0; k < given.n && ok; k++) {
    if (strncmp(given.names[k], "dose:", 5) == 0) {
      cli_usage_error("run", "--sensitivities '%s': a model has no doses (a dose is a "
                             "scenario's: run a .scenario)", given.names[k]);
      ok = 0;
    } else if (!run_sens_add(&s->sens, given.names[k], s->model, NULL, NULL, 0)) {
      fputs("synovia: error: out of memory\n", stderr);
      ok = 0;
    }
  }
  run_sens_free(&given);
  return ok;
}

/* The model as a compiled problem (synovia/problem.h), the --set values and
 * the sensitivities' parameters free, the driver scenarios and sweeps run
 * through too; made before the output is opened, so a wrong name fails
 * first. A parameter only differentiated keeps the model's value. The --set
 * values were checked on s->inst already. Returns the exit status so far:
 * CLI_OK, CLI_USAGE (a name) or CLI_FAILED (the model), after printing why. */
static int make_problem(run_state *s, const run_args *a, const syn_run_opts *opts) {
  syn_error err;
  syn_error_clear(&err);
  if (!run_free_names(a, &s->sens, &s->names, &s->nfree, &s->sens_index) ||
      (s->theta = calloc(s->nfree + 1, sizeof *s->theta)) == NULL) {
    fputs("synovia: error: out of memory\n", stderr);
    return CLI_FAILED;
  }
  for (size_t k = 0; k < a->nsets; k++)
    if (!run_parse_set(s->model, a->sets[k].name, a->sets[k].value, &s->theta[k])) return CLI_USAGE;
  if (syn_problem_create_model(s->model, opts, s->names, s->nfree, &s->problem, &err) != SYN_OK) {
    if (s->sens.n == 0) { /* not a name: the model itself (no states to solve) */
      cli_print_error(&err);
      return CLI_FAILED;
    }
    fprintf(stderr, "synovia: error: --sensitivities '%s': %s\n", a->sensitivities, err.message);
    if (err.hint[0]) fprintf(stderr, "  hint: %s\n", err.hint);
    return CLI_USAGE;
  }
  for (size_t k = a->nsets; k < s->nfree; k++)
    if (syn_problem_free_base(s->problem, 0, k, &s->theta[k], &err) != SYN_OK) {
      fprintf(stderr, "synovia: error: --sensitivities '%s': %s\n", s->names[k], err.message);
      if (err.hint[0]) fprintf(stderr, "  hint: %s\n", err.hint);
      return CLI_USAGE;
    }
  return CLI_OK;
}

/* The sensitivities of the run (a second evaluation: the series written are
 * those of the run without them, bit for bit) into the result. */
static syn_status add_sensitivities(run_state *s, syn_error *err) {
  size_t n = s->sens.n;
  const char **units = calloc(n + 1, sizeof *units);
  double *values = calloc(n + 1, sizeof *values);
  syn_problem_want want = {1, NULL, NULL, 0, NULL, s->sens_index, n, NULL, NULL};
  syn_problem_result r;
  syn_status st = units && values ? SYN_OK : syn_error_set(err, SYN_ENOMEM, "out of memory");
  for (size_t k = 0; k < n && st == SYN_OK; k++) {
    units[k] = syn_model_setting_units(s->model, s->sens.names[k]);
    values[k] = s->theta[s->sens_index[k]];
  }
  if (st == SYN_OK) st = syn_problem_eval(s->ws, 0, s->theta, &want, &r, err);
  if (st == SYN_OK)
    st = syn_result_set_sensitivities(s->result, n, (const char *const *)s->sens.names, units,
                                      values, r.sens, err);
  free(units);
  free(values);
  return st;
}

static syn_status run_model(run_state *s, syn_error *err) {
  syn_status st = syn_problem_ws_create(s->problem, &s->ws, err);
  if (st == SYN_OK) st = syn_problem_eval_run(s->ws, 0, s->theta, &s->result, err);
  if (st == SYN_OK && s->sens.n > 0) st = add_sensitivities(s, err);
  return st;
}

/* Everything after the arguments are parsed; returns the exit status. */
static int simulate(const run_args *a, const char *command_line) {
  run_state s = {0};
  syn_error err;
  syn_error_clear(&err);
  int rc = CLI_FAILED;
  syn_run_opts opts;
  syn_run_opts_default(&opts);
  if (syn_model_open(a->model_path, &s.model, &err) != SYN_OK) goto print_fail;
  if (syn_instance_create(s.model, &s.inst, &err) != SYN_OK) goto print_fail;
  rc = CLI_USAGE;
  if (!run_apply_sets(s.model, s.inst, a) || !resolve_times(s.model, a, &opts) ||
      !run_solver_options(s.model, a, &opts.solver, &s.atol_vec) || !take_model_sens(&s, a))
    goto done;
  rc = make_problem(&s, a, &opts);
  if (rc != CLI_OK) goto done;
  rc = CLI_FAILED;
  if (syn_instance_prepare(s.inst, &err) != SYN_OK) goto print_fail;
  s.out_path = a->output_path ? strdup(a->output_path) : run_default_output(a->model_path);
  if (s.out_path == NULL) {
    fputs("synovia: error: out of memory\n", stderr);
    goto done;
  }
  if (!run_output_usable(s.out_path, NULL, s.model)) goto done;
  if (open_output(&s, command_line, &err) != SYN_OK) goto print_fail;
  if (run_model(&s, &err) != SYN_OK) goto print_fail;
  if (syn_h5_write_arm(s.h5, "run", s.result, &err) != SYN_OK) goto print_fail;
  if (run_commit_output(s.h5, &err) != SYN_OK) goto print_fail;
  if (!a->quiet) print_summary(s.model, s.result, s.out_path);
  if (!a->quiet && s.sens.n > 0)
    printf("wrote the sensitivities of %zu series to %zu parameter%s (d/dp and d ln/d ln p)\n",
           syn_result_nseries(s.result), s.sens.n, s.sens.n == 1 ? "" : "s");
  rc = CLI_OK;
  goto done;
print_fail:
  cli_print_error(&err);
done:
  run_state_free(&s);
  return rc;
}

static int is_scenario_path(const char *path) {
  size_t n = strlen(path);
  return n > 9 && strcmp(path + n - 9, ".scenario") == 0;
}

int cmd_run(int argc, char **argv, const char *command_line) {
  run_args a = {0};
  if (argc == 0) return run_demo(command_line);
  int rc = parse_args(argc, argv, &a);
  if (rc == CLI_OK && !run_output_early(&a)) rc = CLI_FAILED; /* before anything is loaded */
  if (rc == CLI_OK && is_scenario_path(a.model_path)) rc = run_scenario(&a, command_line, NULL);
  else if (rc == CLI_OK && a.arm) {
    cli_usage_error("run", "--arm needs a scenario (a .scenario file), not a model");
    rc = CLI_USAGE;
  } else if (rc == CLI_OK) rc = simulate(&a, command_line);
  else if (rc < 0) rc = CLI_OK;
  free_args(&a);
  return rc;
}
