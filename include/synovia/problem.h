/* synovia — the compiled problem: a scenario's arms with a list of free
 * parameters, built once, evaluated many times by index.
 *
 * syn_problem_create (a scenario) or syn_problem_create_model (a plain model
 * and a grid) resolves everything by name once: the arms, the free
 * parameters, the output grid, the dose schedules, the metric probes and the
 * solver options. A workspace (syn_problem_ws) holds everything one
 * evaluation needs: per arm an instance with the arm's settings, a solver, the
 * schedule, the metric engines, the output buffers and the cache of
 * steady-state baselines. syn_problem_eval applies a parameter vector theta by
 * symbol index and runs one arm: no name is looked up and synovia allocates
 * nothing (CVODE's and KLU's own memory is reused too; a `baseline steady`
 * not found in the workspace's cache runs the steady-state solver, which does
 * allocate; so does an arm's first evaluation with sensitivities, or with
 * another number of them: CVODES' memory for them, kept for the next).
 *
 * Free parameters, named once at creation:
 *   - a model value, as `synovia run --set` takes it: a parameter, a
 *     compartment's size, or a state's initial value ("k", "V", "A", or
 *     "knee_R.severity"); a per-joint name without its joint ("severity")
 *     drives every joint's copy. It applies to every arm, after the arm's own
 *     settings (as an override).
 *   - a dose amount or a dose time: "dose:ARM:ROUTE.amount",
 *     "dose:ARM:ROUTE.time", for the one dose statement of ROUTE in arm ARM;
 *     "dose:ARM:ROUTE:K.amount" for its K-th (from 1, in the order written)
 *     when the arm has several. The amount is in the unit the scenario
 *     writes it in (before the route's scale), the time in clock units; a
 *     repeated dose (`every … times …`) moves as a whole. It applies to that
 *     arm only.
 * Unknown names fail with a did-you-mean message.
 *
 * Results are those of syn_scenario_run_arm with the free parameters given
 * as overrides (bitwise: the scenario runner is this evaluation).
 *
 * Units: model clock units for times, declared units for values.
 * Ownership: the problem borrows the scenario (which must outlive it) and
 * copies the names; a workspace borrows its problem. Buffers a result points
 * to belong to the workspace and are valid until its next evaluation.
 * Thread safety: a problem is read-only after creation; one workspace per
 * thread; two workspaces of one problem share no mutable state. */
#ifndef SYNOVIA_PROBLEM_H
#define SYNOVIA_PROBLEM_H

#include <stddef.h>

#include "synovia/result.h"
#include "synovia/run.h"
#include "synovia/scenario.h"
#include "synovia/solver.h"
#include "synovia/status.h"

/* Exported from libsynovia.so; everything else is hidden (docs/c-api.md). */
#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

typedef struct syn_problem syn_problem;
typedef struct syn_problem_ws syn_problem_ws;

/* A problem over the scenario's arms arms[0..narms) (scenario arm indices;
 * arms NULL: every arm, in order) with free parameters names[0..nfree),
 * solved with opts (NULL: the defaults with the scenario's `solver` lines,
 * syn_scenario_solver_opts). Errors: an arm out of range, an unknown or
 * unsettable name (the message of syn_instance_set, or for doses one naming
 * the arm, the route and the doses there are), an invalid output grid. */
syn_status syn_problem_create(const syn_scenario *s, const size_t *arms, size_t narms,
                              const char *const *names, size_t nfree,
                              const syn_solver_opts *opts, syn_problem **out, syn_error *err);
void syn_problem_destroy(syn_problem *p); /* NULL allowed */

/* A problem over a plain model (what `synovia run MODEL` runs): one arm
 * ("run", index 0) from the model's declared values (free parameters on top)
 * over the grid of opts with its solver options, no doses, no metrics.
 * The model is borrowed. Errors: those of syn_run's grid check, unknown
 * names. */
syn_status syn_problem_create_model(const syn_model *m, const syn_run_opts *opts,
                                    const char *const *names, size_t nfree, syn_problem **out,
                                    syn_error *err);

size_t syn_problem_arm_count(const syn_problem *p);
size_t syn_problem_scenario_arm(const syn_problem *p, size_t arm); /* its index in the scenario */
size_t syn_problem_free_count(const syn_problem *p);
const char *syn_problem_free_name(const syn_problem *p, size_t i); /* as given */
/* The output grid (model clock units), its size, and the series on it: the
 * model's states, then its outputs (syn_model_symbol order). */
const double *syn_problem_times(const syn_problem *p, size_t *ntimes);
size_t syn_problem_series_count(const syn_problem *p);

syn_status syn_problem_ws_create(const syn_problem *p, syn_problem_ws **out, syn_error *err);
void syn_problem_ws_destroy(syn_problem_ws *ws); /* NULL allowed */

/* What an evaluation computes. */
typedef struct syn_problem_want {
  int series;                   /* 1: the series on the grid (else only checked: a
                                   non-finite output still fails the evaluation) */
  const unsigned char *metrics; /* per scenario metric: nonzero to compute it; NULL: all
                                   (the others are NaN, their probes not run) */
  const double *at;             /* nat times (clock units, non-decreasing, within the
                                   simulation): every series there too, from the solver's
                                   interpolant (the steps are those of the run without them),
                                   at a dose time after the dose, as on the grid */
  size_t nat;
  double *at_values;            /* caller-owned [nat][nseries], row by row: filled */
  /* Forward sensitivities (docs/sensitivities.md): the free parameters
   * sens[0..nsens) (indices, 0..nfree) to differentiate by; nsens
   * SYN_PROBLEM_SENS_ALL: every free parameter in order (sens ignored); 0:
   * none. The result then has sens (with the series), sens_at (with the
   * caller's times) and dmetrics. */
  const size_t *sens;
  size_t nsens;
  double *sens_at_values;       /* caller-owned [nsens][nat][nseries] when nat > 0 */
  const syn_sens_opts *sens_opts; /* the corrector and error control; NULL: defaults */
} syn_problem_want;

#define SYN_PROBLEM_SENS_ALL ((size_t)-1)

/* What an evaluation gives (pointers into the workspace). */
typedef struct syn_problem_result {
  const double *series;          /* [ntimes][nseries] row by row, or NULL when not asked */
  size_t ntimes, nseries;
  const double *metrics;         /* [scenario metric count] */
  const unsigned char *no_window; /* per metric call (in the scenario's order): 1 when its
                                    arguments gave no window inside the run (a NaN value) */
  size_t ncalls;
  syn_solver_stats stats;        /* of the run that gave the series */
  syn_baseline_info baseline;    /* how the start was found */
  size_t doses_skipped;          /* doses after the end of the simulation */
  /* With sensitivities asked (syn_problem_want.sens), else NULL / 0: */
  size_t nsens;                  /* how many; sens_index[k] is the free parameter of k */
  const size_t *sens_index;
  const double *sens;      /* [nsens][ntimes][nseries] d(series)/d(theta_k) on the grid */
  const double *sens_at;   /* [nsens][nat][nseries] at the caller's times, if asked
                              (the caller's want.sens_at_values) */
  const double *dmetrics;  /* [nmetrics][nsens] gradients of the metrics (NaN: not
                              differentiable or not differentiated, docs/sensitivities.md) */
  syn_sens_stats sens_stats; /* of the run that gave sens */
} syn_problem_result;

/* Evaluate arm `arm` (0..syn_problem_arm_count) with theta[0..nfree)
 * (theta may be NULL when nfree is 0). want NULL: everything. Errors are
 * those of syn_scenario_run_arm (a value that is not allowed, a solver
 * failure, a non-finite output), naming the free parameter by its name.
 * After an error the workspace is still usable. */
syn_status syn_problem_eval(syn_problem_ws *ws, size_t arm, const double *theta,
                            const syn_problem_want *want, syn_problem_result *out,
                            syn_error *err);

/* syn_problem_eval, then its result as syn_scenario_run_arm gives it (a new
 * syn_arm_result to destroy: series on the grid, dose records, metrics,
 * solver settings and statistics, baseline attributes, warnings), computing
 * only what keep asks for (NULL: everything). This allocates the result:
 * for callers that write arms out (`synovia run FILE.scenario` runs every
 * arm through one problem, so arms with the same parameters find their
 * steady baseline once). With a dose time free, the warnings are those of the
 * doses as written. */
syn_status syn_problem_eval_arm(syn_problem_ws *ws, size_t arm, const double *theta,
                                const syn_arm_keep *keep, syn_arm_result **out, syn_error *err);

/* syn_problem_eval, then its result as syn_run gives it (a new syn_result
 * to destroy: states and outputs on the grid, solver settings and
 * statistics, the parameter table); for a model problem, bit for bit
 * syn_run's on an instance with the same values. */
syn_status syn_problem_eval_run(syn_problem_ws *ws, size_t arm, const double *theta,
                                syn_result **out, syn_error *err);

/* The value free parameter k has in arm `arm` (0..syn_problem_arm_count)
 * when the problem does not set it: the model's value after the scenario's
 * common and the arm's own `set`/`use` lines (a derived parameter or an
 * initial value as computed from them), or a dose's amount / first time as
 * written (a dose of another arm: that arm's). What `synovia run
 * --sensitivities` differentiates at for a parameter it does not --set.
 * Reads nothing of any workspace (a scratch instance: it allocates).
 * Errors: arm or k out of range; a per-joint name without its joint whose
 * joints' copies differ in that arm (no one value: name a joint); a value
 * the arm's settings make invalid (the message of syn_instance_prepare). */
syn_status syn_problem_free_base(const syn_problem *p, size_t arm, size_t k, double *value,
                                 syn_error *err);

/* The instance the last evaluation of arm ran with (its parameter values,
 * for the record); borrowed from the workspace. */
const syn_instance *syn_problem_ws_instance(const syn_problem_ws *ws, size_t arm);

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
