/* synovia — integrating a syn_ode with CVODE (BDF, Newton).
 *
 * The solver integrates segment by segment: it stops exactly at every stop
 * time (a future dose, an infusion edge), lets the caller change the state,
 * and reinitialises. Output times are hit exactly (CVODE interpolates inside
 * a step; it never steps past a stop time).
 *
 * Linear solver: dense or KLU (sparse) when asked; AUTO takes KLU at or
 * above opts.klu_threshold states and, below, whichever a deterministic cost
 * model of the Jacobian's pattern predicts is faster (dense without an
 * exact Jacobian). The Jacobian comes from the
 * syn_ode when it has one, else from CVODE's difference quotients.
 *
 * Ownership: the solver borrows the syn_ode (and what it points to) for its
 * whole life; it copies y0 and atol_vec. */
#ifndef SYNOVIA_SOLVER_H
#define SYNOVIA_SOLVER_H

#include <stddef.h>

#include "synovia/ode.h"
#include "synovia/status.h"

/* Exported from libsynovia.so; everything else is hidden (docs/c-api.md). */
#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

typedef enum syn_linsol { SYN_LINSOL_AUTO, SYN_LINSOL_DENSE, SYN_LINSOL_KLU } syn_linsol;

typedef struct syn_solver_opts {
  double rtol;              /* relative tolerance (default 1e-6) */
  double atol;              /* absolute tolerance for all states (default 1e-9) */
  const double *atol_vec;   /* per-state absolute tolerances (n), or NULL */
  int atol_given;           /* 1 when the user set atol (a scenario's `solver atol`, --atol):
                               it then replaces the model's state tolerances
                               (syn_model_state_atols), which apply only when 0 (default);
                               the solver itself does not read it */
  long max_steps;           /* per output interval (default 50000) */
  double max_step;          /* largest step, 0 = unlimited */
  double init_step;         /* first step, 0 = CVODE's estimate */
  int max_order;            /* BDF order limit 1..5 (default 5) */
  syn_linsol linsol;        /* default AUTO */
  size_t klu_threshold;     /* AUTO picks KLU at >= this many states (default 100); below,
                               by the pattern's cost model */
  int use_jacobian;         /* 1 (default): use ode->jac when present */
} syn_solver_opts;

void syn_solver_opts_default(syn_solver_opts *o);
const char *syn_linsol_name(syn_linsol l); /* "auto", "dense", "klu" */

typedef struct syn_solver_stats {
  long nsteps, nfevals, njevals, nlinsetups, netfails, nniters, nncfails;
  long nreinit;             /* reinitialisations at stop times */
  double hlast;             /* last step size taken */
  int qlast;                /* last method order */
  syn_linsol linsol;        /* what was actually used (DENSE or KLU) */
} syn_solver_stats;

typedef struct syn_solver syn_solver;

/* Create a solver at (t0, y0). Validates options (tolerances positive and
 * finite, max_steps > 0, ...) with a message naming the bad one. */
syn_status syn_solver_create(const syn_ode *ode, const syn_solver_opts *opts, double t0,
                             const double *y0, syn_solver **out, syn_error *err);
void syn_solver_destroy(syn_solver *s); /* NULL allowed */

/* Start again at (t0, y0) with the same ODE and options, reusing the
 * solver's memory (no allocation by synovia): the next integrate call runs
 * as it would on a new solver (same steps, same values, statistics from 0,
 * stops at t0 applied, no step hook). For callers that solve the same ODE
 * many times (synovia/problem.h). */
syn_status syn_solver_reinit(syn_solver *s, double t0, const double *y0, syn_error *err);

/* Called at a stop time with the state there; may change y in place (a dose).
 * Return SYN_OK or an error (filled into err) to end the run. */
typedef syn_status (*syn_stop_fn)(double t, double *y, size_t n, void *ctx, syn_error *err);

/* Called at each output time with the state there (after any stop at the
 * same time was applied). Return SYN_OK or an error to end the run. */
typedef syn_status (*syn_output_fn)(double t, const double *y, size_t n, void *ctx,
                                    syn_error *err);

/* Integrate from the current time through every output time.
 *
 * t_out: n_out strictly increasing times >= the current time; an output at
 * the current time is emitted without integrating. n_out == 0 does nothing.
 *
 * t_stop: n_stop non-decreasing times (may be NULL when n_stop is 0). Which
 * stops a call applies (each stop is applied exactly once when calls follow
 * each other, so a schedule can be passed whole to every call):
 *   - those in (current time, last output] — a stop at the call's last output
 *     is applied by that call, before its output, and not by the next call,
 *     which starts at that time;
 *   - and, in the first call after syn_solver_create that has outputs, those at
 *     the start time t0 itself: a dose at t = 0 comes before the output at t = 0.
 * Stops before that range or after the last output are ignored here (the
 * caller warns about the ones it will never reach).
 * Several stops at one time call on_stop once each, in order, then the solver
 * restarts once. Order at equal times: every stop first, then the output.
 *
 * On a CVODE failure the message says which state, what time, and what to
 * try; a persistent non-finite right-hand side is explained via ode->explain,
 * a non-finite Jacobian entry by its row and column. After a failure,
 * syn_solver_time and syn_solver_state agree (where CVODE stopped); the
 * solver should then only be inspected and destroyed. */
syn_status syn_solver_integrate(syn_solver *s, const double *t_out, size_t n_out,
                                const double *t_stop, size_t n_stop, syn_stop_fn on_stop,
                                void *stop_ctx, syn_output_fn on_output, void *output_ctx,
                                syn_error *err);

/* Dense output. When a step hook is set, the solver integrates step by step
 * and calls it after every internal step with the interval it covered,
 * [t_prev, t_now] (clipped at stop times); inside the hook,
 * syn_solver_interpolate gives the state anywhere in that interval from
 * CVODE's interpolating polynomial (exact at t_now). Used by metrics (areas,
 * extrema, threshold crossings) that must not depend on the output grid.
 * fn NULL removes the hook. */
typedef syn_status (*syn_step_fn)(const syn_solver *s, double t_prev, double t_now, void *ctx,
                                  syn_error *err);
void syn_solver_set_step_hook(syn_solver *s, syn_step_fn fn, void *ctx);
syn_status syn_solver_interpolate(const syn_solver *s, double t, double *y, syn_error *err);

/* Current time and state of the solver. */
double syn_solver_time(const syn_solver *s);
void syn_solver_state(const syn_solver *s, double *y);

void syn_solver_get_stats(const syn_solver *s, syn_solver_stats *st);

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
