/* synovia — metric probes evaluated on the solver's dense output (internal,
 * scenario layer).
 *
 * A probe is one metric primitive on one series (a state or an output of the
 * model) over a window [t1, t2]:
 *
 *   at(X, T)               X(T)
 *   auc(X, T1, T2)         ∫ X dt over [T1, T2]
 *   max/min(X, T1, T2)     extreme value over the window (inside steps, not only
 *                          at grid points)
 *   tmax/tmin(X, T1, T2)   first time the extreme is reached
 *   change(X, T1, T2)      100 * (X(T2) - X(T1)) / X(T1)   (percent; NaN if X(T1) = 0)
 *   time_below(X, L, T1, T2) / time_above: the first time in the window at which
 *                          X < L (> L); NaN if never. If X is already below
 *                          (above) at T1, the value is T1.
 *
 * The engine is driven by the solver's step hook: after every internal step
 * it reads the interpolating polynomial where it needs to: Gauss–Legendre
 * points for areas (exact for the BDF interpolant of a state, whose degree is
 * at most 5), the exact time for `at`.
 *
 * Resolution of extrema and crossings:
 *   - of a state: exact within each step. The step's interpolant is read as a
 *     polynomial (its derivatives at the step's end, solve/dense_output.h);
 *     extrema are the ends and every real zero of its slope, a crossing is the
 *     first real root of (state - level) after which the state is beyond the
 *     level, roots isolated between the zeros of the derivative (recursively)
 *     and refined by bisection. A dip of any width inside a step is seen.
 *   - of an output (a nonlinear function of the states, evaluated with
 *     syn_instance_outputs_of): 9 samples per step (clipped to the window), an
 *     extremum bracketed by samples refined as the zero of the slope, a
 *     crossing bracketed by the first sample beyond the level refined by
 *     bisection. An excursion beyond the level that starts and ends between
 *     two samples (shorter than 1/8 of the step) can be missed; a metric on
 *     the underlying state does not have this limit. Values at stop times (doses)
 * are taken after the dose, like the output grid; for extrema and crossings
 * the value just before a dose (the limit from the left: the trough before
 * the next dose) also counts, at the dose time. A probe whose window the run
 * did not cover (t1 before the start, t2 after the end) is NaN. Times are
 * located to ~1e-13 relative; the solver's accuracy is the limit (a crossing
 * where the slope is small moves by error / slope). No allocation per step. */
#ifndef SYN_SCENARIO_METRICS_H
#define SYN_SCENARIO_METRICS_H

#include <stddef.h>

#include "synovia/model.h"
#include "synovia/solver.h"
#include "synovia/status.h"

typedef enum syn_probe_kind {
  PROBE_AT, PROBE_AUC, PROBE_MAX, PROBE_MIN, PROBE_TMAX, PROBE_TMIN, PROBE_CHANGE,
  PROBE_TIME_BELOW, PROBE_TIME_ABOVE
} syn_probe_kind;

typedef struct syn_probe {
  syn_probe_kind kind;
  size_t series;   /* < nstates: a state; else output series - nstates */
  double t1, t2;   /* window (t1 = t2 = T for PROBE_AT), clock units */
  double level;    /* TIME_BELOW / TIME_ABOVE */
  double value;    /* out, after syn_metrics_finish; NaN when undefined */
  double where;    /* out: the time of the extreme (max/min/tmax/tmin) or of the
                      crossing (time_below/above); NaN otherwise (for gradients) */
} syn_probe;

typedef struct syn_metrics syn_metrics;

/* Workspace for evaluating probes[0..n) on one run of inst (borrowed; the
 * probes array too, whose `value`s are written by finish). */
syn_status syn_metrics_create(syn_instance *inst, syn_probe *probes, size_t n,
                              syn_metrics **out, syn_error *err);
void syn_metrics_destroy(syn_metrics *m);

/* Use m again, from scratch, for probes[0..n) (borrowed): n at most the
 * number it was created with, and the outputs they read among the outputs
 * its probes read then (so that nothing is allocated: a compiled problem
 * creates one per round of probes with all of them, then resets it per
 * evaluation with those whose windows are known). Values are as from a new
 * syn_metrics. SYN_EINVAL when the probes do not fit. */
syn_status syn_metrics_reset(syn_metrics *m, syn_probe *probes, size_t n, syn_error *err);

/* The relative tolerance the run is integrated to (0, the default: none). A
 * `change` whose two values differ by less than it (relative to the larger)
 * is not resolved by the integration and is 0 exactly: an undosed arm at a
 * steady baseline has no change by construction, and reports none rather
 * than the -1e-11 % the solver's drift from the baseline's residual gives. */
void syn_metrics_set_rtol(syn_metrics *m, double rtol);

/* The step hook to install on the solver (ctx = the syn_metrics). */
syn_status syn_metrics_step(const syn_solver *s, double t_prev, double t_now, void *ctx,
                            syn_error *err);

/* Called by the runner right after a dose was applied at time t with the new
 * state y, so probes see the post-dose value there (at, extrema, crossings). */
syn_status syn_metrics_jump(syn_metrics *m, double t, const double *y, syn_error *err);

/* How many times the probes have read the interpolant at a point so far:
 * each time inside a step is interpolated once, whatever the number of
 * probes that read it (for tests and benchmarks). */
size_t syn_metrics_points(const syn_metrics *m);

/* Called once with the initial state before integrating, and once at the end. */
syn_status syn_metrics_start(syn_metrics *m, double t0, const double *y0, syn_error *err);
syn_status syn_metrics_finish(syn_metrics *m, syn_error *err);

#endif
