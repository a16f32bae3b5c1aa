/* synovia — scenarios: arms, doses, a baseline and metrics on one model.
 *
 * A scenario file (.scenario; grammar in docs/scenarios.md) names a model,
 * a time grid, an optional baseline (`baseline steady`: each arm starts from
 * the untreated steady state of its own parameters), arms with doses, presets
 * and settings, and metrics. syn_scenario_load parses it, loads the model and
 * resolves every name (routes, joints, presets, parameters, metric targets),
 * so that running an arm cannot fail on a name.
 *
 * Running an arm: parameters = model defaults, then the scenario's common
 * `use`/`set` in order, then the arm's `use`/`set` in order, then the
 * caller's overrides. The dose schedule becomes exact integrator stops: a
 * bolus adds amount * route scale to the target state at its time; an
 * infusion adds amount * scale / duration to the target's input rate from
 * its start to its end. Outputs at a dose time show the state after the dose.
 * Doses at the same time are all applied; a dose time outside the
 * simulation is an error at load, but repeats (`every … times …`) after the
 * end are skipped with a warning. Metrics are computed from the solver's
 * dense output.
 *
 * Ownership: load gives a scenario to destroy; run gives an arm result to
 * destroy; strings returned by queries live as long as the scenario. */
#ifndef SYNOVIA_SCENARIO_H
#define SYNOVIA_SCENARIO_H

#include <stddef.h>

#include "synovia/model.h"
#include "synovia/result.h"
#include "synovia/solver.h"
#include "synovia/status.h"

/* Exported from libsynovia.so; everything else is hidden (docs/c-api.md). */
#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

typedef struct syn_scenario syn_scenario;

syn_status syn_scenario_load(const char *path, syn_scenario **out, syn_error *err);
/* The same with model_extra (model-language lines, e.g. `output NAME = EXPR`)
 * appended to the model's root file after a newline, as if written at its end:
 * the fit layer's observables become outputs of the model (after its own, in
 * the order written). NULL: syn_scenario_load. An error in those lines is
 * located in the model file, past its last line. */
syn_status syn_scenario_load_outputs(const char *path, const char *model_extra,
                                     syn_scenario **out, syn_error *err);
void syn_scenario_destroy(syn_scenario *s); /* NULL allowed */

const char *syn_scenario_title(const syn_scenario *s);     /* "" if none */
const char *syn_scenario_path(const syn_scenario *s);
const char *syn_scenario_text(const syn_scenario *s);
const char *syn_scenario_sha256(const syn_scenario *s);    /* of the scenario text */
const syn_model *syn_scenario_model(const syn_scenario *s); /* borrowed */

/* The simulation grid in model clock units, and the baseline ("steady" or "declared"). */
void syn_scenario_grid(const syn_scenario *s, double *t_start, double *t_end, double *every);
const char *syn_scenario_baseline(const syn_scenario *s);

size_t syn_scenario_arm_count(const syn_scenario *s);
const char *syn_scenario_arm_name(const syn_scenario *s, size_t i);
/* Index of the arm called name; unknown -> SYN_EINVAL with did-you-mean and the list. */
syn_status syn_scenario_find_arm(const syn_scenario *s, const char *name, size_t *index,
                                 syn_error *err);

/* The `sensitivities` line (docs/sensitivities.md): its names as written, 0
 * without one. Checked at load: model values that can be set (as `set`
 * takes them), doses of the scenario's arms ("dose:ARM:ROUTE[:K].amount" or
 * ".time"), no name twice, the word all only alone. */
size_t syn_scenario_sens_count(const syn_scenario *s);
const char *syn_scenario_sens_name(const syn_scenario *s, size_t i);

/* The doses of arm `arm` as free parameters (synovia/problem.h): dose k's
 * name without its field into buf, "dose:ARM:ROUTE", or
 * "dose:ARM:ROUTE:K" when the arm has several doses of ROUTE. Returns the
 * arm's number of doses (buf untouched when k is not one of them). */
size_t syn_scenario_dose_param(const syn_scenario *s, size_t arm, size_t k, char *buf,
                               size_t size);

/* The settings arm `arm` runs with, in the order a run applies them: the
 * scenario's own `use`/`set` lines, then the arm's. Setting k is a `use`
 * when *preset is set (the preset's name; *name NULL), else a `set` of *name
 * to *value (the name as written, the value in its declared unit). Returns
 * the number of settings; the outputs are untouched when k is not one. */
size_t syn_scenario_setting(const syn_scenario *s, size_t arm, size_t k, const char **preset,
                            const char **name, double *value);

/* Dose statement k of arm `arm` as written, resolved: route (index of
 * syn_model_route), amount (before the route's scale), first time, infusion
 * length (0: a bolus), repeat interval and count, all times in clock units.
 * Doses given at at + j * every, j < times. Returns the number of dose
 * statements; *out untouched when k is not one.
 * A conditional dose (`dose ... when`, docs/scenarios.md) has times 0: the
 * model event `event` gives it each time it fires, while the model parameter
 * `on_param` is 1 (the scenario sets it in this arm only), adding the model
 * parameter `amount_param` (set to amount × the route's scale) to the route's
 * state. A timed dose has all three SIZE_MAX. */
typedef struct syn_dose_statement {
  size_t route;
  double amount, at, over, every;
  long times;
  size_t event, on_param, amount_param; /* syn_model event and parameter indices */
} syn_dose_statement;
size_t syn_scenario_dose(const syn_scenario *s, size_t arm, size_t k, syn_dose_statement *out);

/* The unit of free parameter `name`: a model value's declared unit, a dose
 * amount's as its statement writes it, a dose time's the model clock; ""
 * when dimensionless or not a name of the scenario. */
const char *syn_scenario_param_units(const syn_scenario *s, const char *name);

size_t syn_scenario_metric_count(const syn_scenario *s);
const char *syn_scenario_metric_name(const syn_scenario *s, size_t i);
const char *syn_scenario_metric_units(const syn_scenario *s, size_t i); /* "" if unknown */
const char *syn_scenario_metric_description(const syn_scenario *s, size_t i);

/* An override applied after the arm's own settings (CLI --set, sweeps). */
typedef struct syn_override {
  const char *name;
  double value; /* model clock units */
} syn_override;

/* How the arm's start was found (baseline steady), for the record. */
typedef struct syn_baseline_info {
  const char *method;   /* "declared", "kinsol" or "integration" */
  long iterations;
  double residual;
  double t_integrated;
} syn_baseline_info;

typedef struct syn_arm_result {
  syn_result *series;   /* owned: states and outputs on the grid, with the arm's dose
                           records, metrics (syn_result_add_metric, in scenario order),
                           solver settings and statistics, baseline attributes */
  syn_baseline_info baseline;
  char **warnings;      /* owned: e.g. "dose of IA at 200 d is after the end (180 d): skipped" */
  size_t nwarnings;
  int has_cond_doses;   /* the arm has conditional doses (docs/scenarios.md) */
  size_t cond_doses;    /* how many of them the run gave (also in the dose records) */
} syn_arm_result;

/* ---- solver settings by name ------------------------------------------------------
 * The settings a user gives by name, as `synovia sweep --rtol 1e-8` and as a
 * scenario's `solver rtol 1e-8 atol 1e-10 linear-solver klu` line: one table,
 * one validation. Names: "rtol", "atol", "linear-solver", "max-steps". */
typedef enum syn_solver_setting {
  SYN_SETTING_RTOL,
  SYN_SETTING_ATOL,          /* for every state */
  SYN_SETTING_LINEAR_SOLVER, /* auto, dense or klu (syn_linsol_name) */
  SYN_SETTING_MAX_STEPS,
  SYN_SETTING_COUNT
} syn_solver_setting;

const char *syn_solver_setting_name(syn_solver_setting k); /* "" for no setting */
/* The setting called name[0..n) (as written: "linear-solver"); 0 if none. */
int syn_solver_setting_find(const char *name, size_t n, syn_solver_setting *k);
/* Sets k in o from its text as written ("1e-8", "klu"). SYN_EINVAL, o
 * unchanged: "rtol must be a positive number (got '-1')", "max-steps must be
 * a positive whole number (got '2.5')", "linear-solver must be one of auto,
 * dense or klu (got 'lu')". err may be NULL. An atol (the whole run's) sets
 * o->atol_given and clears o->atol_vec: it replaces the states' own
 * tolerances and the per-state ones given before it. */
syn_status syn_solver_setting_apply(syn_solver_opts *o, syn_solver_setting k, const char *value,
                                    syn_error *err);

/* ---- per-state absolute tolerances ---------------------------------------------------
 * Where a state's atol comes from, each layer over the one before: the
 * default (syn_solver_opts.atol, 1e-9), the state's own (syn_symbol.atol:
 * declared, or SYN_CELLS_ATOL for cells), a whole-run atol (a scenario's
 * `solver atol`, --atol A: it replaces every value below it), then per-state
 * overrides (a scenario's or sweep's `atol NAME = A [UNIT]` line, --atol
 * NAME=A), each over the ones before. */
typedef struct syn_state_atol {
  size_t state;  /* index among the model's states */
  double value;  /* in the state's unit, > 0 and finite */
} syn_state_atol;

/* The override of state `name` by `value` written in `unit` (NULL or "":
 * the state's own unit). SYN_EINVAL, with a suggestion: "unknown state
 * 'Fragg' (did you mean 'Frag'?)" and the hint listing the states; "'MSC'
 * exists once per joint: name one copy, e.g. knee_L.MSC"; "'k' is not a state
 * of the model"; "'atol' must be a positive finite number (got -1)"; a unit of
 * another dimension than the state's (syn_unit_convert's message). */
syn_status syn_state_atol_resolve(const syn_model *m, const char *name, double value,
                                  const char *unit, syn_state_atol *out, syn_error *err);
/* Each state's tolerance (out: one per state) under o, then ov[0..nov) over
 * them: o->atol_vec when set, else the state's own (unless o->atol_given),
 * else o->atol. */
void syn_state_atols_apply(const syn_model *m, const syn_solver_opts *o, const syn_state_atol *ov,
                           size_t nov, double *out);
/* Where state i's tolerance comes from in a model alone: "declared" (its
 * `atol`), "cells default" (SYN_CELLS_ATOL) or "default" (the solver's). */
const char *syn_state_atol_source(const syn_model *m, size_t i);

/* The value the scenario's `solver` lines give setting k, as written; NULL
 * when they do not give it. */
const char *syn_scenario_solver_setting(const syn_scenario *s, syn_solver_setting k);
/* Applies the scenario's solver settings onto o (the others stay as they are):
 * the defaults, then the scenario, then the command line. With `atol NAME = A`
 * lines, o->atol_vec points to the scenario's per-state tolerances (owned by
 * the scenario: the defaults' 1e-9, the states' own or its `solver atol`, then
 * its lines); a later whole-run atol (syn_solver_setting_apply) drops it. */
void syn_scenario_solver_opts(const syn_scenario *s, syn_solver_opts *o);
/* The scenario's `atol NAME = A [UNIT]` lines, resolved, in order. */
size_t syn_scenario_atol_count(const syn_scenario *s);
const syn_state_atol *syn_scenario_atols(const syn_scenario *s);

/* Run arm `arm` with solver options opts (NULL: the defaults with the
 * scenario's `solver` settings, syn_scenario_solver_opts) and overrides.
 * Each call is a one-shot compiled problem (synovia/problem.h, the overrides
 * its free parameters): nothing is kept between calls, so a steady baseline
 * is found anew each time, and the scenario is never changed (calls from
 * several threads are fine). To run arms many times, make a problem and a
 * workspace (which keeps the baselines it has found). */
syn_status syn_scenario_run_arm(const syn_scenario *s, size_t arm, const syn_solver_opts *opts,
                                const syn_override *ov, size_t nov, syn_arm_result **out,
                                syn_error *err);
void syn_arm_result_destroy(syn_arm_result *r); /* NULL allowed */

/* What a caller keeps of an arm's result (a sweep keeps a few metrics and,
 * unless it keeps trajectories, no series): the rest is not computed. */
typedef struct syn_arm_keep {
  const unsigned char *metrics; /* per scenario metric: nonzero to compute it; NULL: all.
                                   A metric not computed is NaN in the result (its probes
                                   are not evaluated, nor warned about) */
  int series;                   /* 0: record no series on the grid (the result then has no
                                   times; metrics, attributes and doses are still there, and
                                   a non-finite output still fails the run) */
} syn_arm_keep;

/* syn_scenario_run_arm computing only what keep asks for (NULL: everything,
 * as syn_scenario_run_arm). The metrics computed have the same values. */
syn_status syn_scenario_run_arm_keep(const syn_scenario *s, size_t arm,
                                     const syn_solver_opts *opts, const syn_override *ov,
                                     size_t nov, const syn_arm_keep *keep,
                                     syn_arm_result **out, syn_error *err);

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
