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

/* Forward sensitivities (CVODES). With them on, the solver also integrates
 * s_k = dy/dp_k for ns parameters: ds_k/dt = J s_k + df/dp_k, with J the
 * ODE's exact Jacobian (ode->jac is required: no difference quotients) and
 * df/dp_k added by the caller's dfdp callback. At a stop time, after every
 * on_stop there, the jump callback gets the rates just before (fm, at the
 * state and inputs before the stops) and after (fp) and changes the
 * sensitivities in place (a bolus: s += d(amount)/dp; a moved event time:
 * s += (fm - fp) dtau/dp). Output times and the step hook read them with
 * syn_solver_sens_get.
 *
 * Options: the corrector (staggered, the default: the states' Newton
 * iteration converges first, then the sensitivities' linear systems with the
 * same Newton matrix; or simultaneous: one iteration for all), and whether
 * the sensitivities take part in the local error test (on by default: their
 * accuracy is then controlled like the states', with tolerances rtol and
 * atol / |pbar_k| (CVodeSensEEtolerances); off, the steps are those of the
 * states alone and the sensitivities' error is not estimated). */
typedef struct syn_sens_opts {
  int simultaneous;  /* 0 (default): staggered corrector; 1: simultaneous */
  int error_control; /* 1 (default): sensitivities in the error test; 0: not */
} syn_sens_opts;
void syn_sens_opts_default(syn_sens_opts *o);

/* Add df/dp_k at (t, y) to fs[k][0..n) for k < ns (fs holds J s_k already).
 * Returns as the ODE's callbacks do (0, > 0 recoverable, < 0 fatal); must not
 * allocate. */
typedef int (*syn_sens_dfdp_fn)(double t, const double *y, double *const *fs, size_t ns,
                                void *ctx);
/* At a stop time t, once after all its stops: fm/fp the rates before/after,
 * S[k][0..n) the sensitivities to change in place. */
typedef syn_status (*syn_sens_jump_fn)(double t, const double *y, const double *fm,
                                       const double *fp, double *const *S, size_t ns,
                                       void *ctx, syn_error *err);

/* Turn sensitivities on from the current time (call it right after
 * syn_solver_create or syn_solver_reinit): S0[k][0..n) the start, pbar[k]
 * > 0 the parameters' scales for the tolerances (NULL: 1), opts NULL: the
 * defaults. The first call, and a call with another ns, allocates (CVODES'
 * memory for ns sensitivities); later calls reuse it. syn_solver_reinit
 * turns them off again (a plain run after a sensitivity run is as on a new
 * solver). Errors: no exact Jacobian, ns 0, a non-finite start. */
syn_status syn_solver_sens_start(syn_solver *s, size_t ns, const double *const *S0,
                                 const double *pbar, const syn_sens_opts *opts,
                                 syn_sens_dfdp_fn dfdp, syn_sens_jump_fn jump, void *ctx,
                                 syn_error *err);
size_t syn_solver_sens_count(const syn_solver *s); /* 0 when off */
/* The sensitivities at the solver's current time, S[k][0..n), NULL when off:
 * the ODE's events callback (syn_ode.events) may change them in place (their
 * jump at an event; the solver restarts them after an event that changed
 * the state). Valid until the next syn_solver_sens_start. */
double *const *syn_solver_sens_vectors(syn_solver *s);
/* The k-th time derivative (k = 0: the value) of the sensitivities at t into
 * S[j][0..n), j < ns: at the solver's current time (k = 0) those it holds
 * (after any jump there); inside a step hook, from CVODES' interpolant of the
 * last step. SYN_EINVAL when off or outside the step. */
syn_status syn_solver_sens_get(const syn_solver *s, double t, int k, double *const *S,
                               syn_error *err);

/* Sensitivity statistics since the last (re)start. */
typedef struct syn_sens_stats {
  long nfsevals;    /* calls of the sensitivity right-hand side */
  long nsetfails;   /* error test failures due to sensitivities */
  long nsniters, nsncfails; /* the sensitivities' nonlinear iterations and failures */
} syn_sens_stats;
void syn_solver_sens_stats(const syn_solver *s, syn_sens_stats *st);

/* Current time and state of the solver. */
double syn_solver_time(const syn_solver *s);
void syn_solver_state(const syn_solver *s, double *y);

void syn_solver_get_stats(const syn_solver *s, syn_solver_stats *st);

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
