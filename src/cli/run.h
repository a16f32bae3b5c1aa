/* synovia — what `synovia run` was asked, shared by the model and the
 * scenario paths of the command. Files, each calling only those below it:
 * cmd_run.c (the command) -> cmd_demo.c (no arguments: the demonstration)
 * -> cmd_scenario.c (a .scenario) -> runopts.c (option helpers), runguard.c
 * (the output file and signals). */
#ifndef SYN_CLI_RUN_H
#define SYN_CLI_RUN_H

#include "synovia/synovia.h"

/* Most files recorded in a result file's provenance (a scenario and its model
 * with imports). */
enum { SYN_MAX_PROVENANCE_FILES = 64 };

typedef struct name_value {
  const char *option; /* the argument as typed, for messages */
  char *name;
  const char *value;
} name_value;

typedef struct run_args {
  const char *model_path, *output_path;
  const char *t_start, *t_end, *every;
  name_value *sets, *atols;
  size_t nsets, natols;
  const char *rtol, *atol, *max_steps, *linsol;
  const char *arm;
  const char *sensitivities; /* --sensitivities P1,P2,… as typed, or NULL */
  const char *output_shown; /* the output path as the user knows it, for "wrote"
                               (NULL: output_path) */
  int no_jacobian, quiet;
} run_args;

/* A time option (--t-start, --t-end, --every): a plain number in clock units
 * or a time ("180 d"). Prints the error and returns 0 when the text is not one. */
int run_parse_value(const syn_model *m, const char *option, const char *text, double *out);

/* The value of `--set NAME=VALUE`: a decimal number, in NAME's declared unit,
 * or with a unit converted to it ("500 mL" for a volume in L); see
 * syn_model_parse_setting. Prints "--set 'NAME=VALUE': why" and returns 0
 * when it is not one. */
int run_parse_set(const syn_model *m, const char *name, const char *value, double *out);

/* The output grid of --t-start, --t-end and --every (in clock units) by the
 * rule every grid follows (syn_run_check_grid); prints the error as a usage
 * error and returns 0 when it breaks it. */
int run_check_grid(const syn_model *m, const syn_run_opts *o);

/* --rtol, --atol, --max-steps, --linear-solver, --no-jacobian into o; per-state
 * --atol NAME=A into *atol_vec (allocated, or NULL when none). 0 after a
 * usage error. */
int run_solver_options(const syn_model *m, const run_args *a, syn_solver_opts *o,
                       double **atol_vec);

/* Per-state --atol NAME=A (A a number, optionally with a unit: "1 cells")
 * over the tolerances o gives each state (syn_state_atols_apply): a vector
 * of one value per state, malloc'd for the caller; NULL after printing a
 * usage error of `synovia cmd` (an unknown state, with a suggestion) when
 * report is set (one MPI rank of several prints it). */
double *run_state_atols(const char *cmd, const syn_model *m, const syn_solver_opts *o,
                        const name_value *atols, size_t n, int report);

/* Apply every --set to inst; 0 after printing an error. */
int run_apply_sets(const syn_model *m, syn_instance *inst, const run_args *a);

/* The parameters a run differentiates by (--sensitivities, or a scenario's
 * `sensitivities` line): names as given, "all" expanded. */
typedef struct run_sens {
  char **names;
  size_t n;
} run_sens;

/* "P1, P2,…" (--sensitivities) into out: names trimmed, none empty, none
 * twice. 0 after printing a usage error. */
int run_sens_parse(const char *text, run_sens *out);

/* Add one name (copied); "all" adds every `param` and `compartment` of m
 * whose value is written as a number (not computed from others), then,
 * given a scenario, the amount and the time of every dose of its arms
 * arms[0..narms). Names already there are not added again. 0 when out of
 * memory. */
int run_sens_add(run_sens *out, const char *name, const syn_model *m, const syn_scenario *sc,
                 const size_t *arms, size_t narms);
void run_sens_free(run_sens *s);

/* The free parameters of a run: the --set names, then each sensitivity name
 * not among them; sens_index[k]: the free parameter of sensitivity k (both
 * malloc'd). 0 when out of memory. */
int run_free_names(const run_args *a, const run_sens *sens, const char ***names, size_t *nfree,
                   size_t **sens_index);

/* "models/knee.model" -> "knee.h5" (in the current directory); caller frees. */
char *run_default_output(const char *path);

/* Model files as provenance arrays (at most max, root first) after `first`
 * leading entries already filled by the caller; returns the count written. */
size_t run_model_files(const syn_model *m, const char **paths, const char **texts,
                       size_t first, size_t max);

/* The output checked before any work (cli_output_usable): early, before the
 * model is loaded, against the file named on the command line; then, once it
 * is loaded, against every file read (FIRST, e.g. the scenario, may be NULL,
 * then the model's files with their imports). 0 after printing why not. */
int run_output_early(const run_args *a);
int run_output_usable(const char *out, const char *first, const syn_model *m);

/* What a caller adds to the scenario path (the demonstration's table of
 * biomarkers): `arm_done` sees each arm's result after it is written (k-th
 * of the arms run, scenario arm index `arm`); `print` runs after the header
 * and before the metrics table. Either may be NULL. */
typedef struct run_hooks {
  void *ctx;
  void (*arm_done)(void *ctx, const syn_scenario *sc, size_t k, size_t arm,
                   const syn_result *res);
  void (*print)(void *ctx, const syn_scenario *sc, const size_t *arms, size_t narms);
} run_hooks;

/* The scenario path of `synovia run`; hooks may be NULL. Returns the exit
 * status. */
int run_scenario(const run_args *a, const char *command_line, const run_hooks *hooks);

/* The result file while it is written (runguard.c): syn_h5_create, after
 * which a SIGINT or SIGTERM removes <out>.tmp, says so and ends the process
 * by that signal; syn_h5_commit, after which they no longer touch it. Call
 * run_release_output before syn_h5_destroy on every other path. */
syn_status run_create_output(const char *out_path, const syn_provenance *prov, syn_h5 **h,
                             syn_error *err);
syn_status run_commit_output(syn_h5 *h, syn_error *err);
void run_release_output(void);

/* `synovia run` with no arguments: the built-in demonstration (src/cli/demo.h).
 * Returns the exit status. */
int run_demo(const char *command_line);

#endif
