/* synovia — steady states of a syn_ode (f(y) = 0), for `baseline steady`.
 *
 * Tolerance units: a state's error tolerance is tol_i = rtol |y_i| + atol_i
 * (the solver options below); the scaled rate is r(y) = max_i |f_i(y)| / tol_i
 * (tolerances per clock unit).
 *
 * 1. KINSOL (Newton with line search, the ode's exact Jacobian when present,
 *    states and rates scaled by 1/tol_i) from the given guess. Its root is
 *    taken only if it is
 *      - a root: the Newton correction J^-1 f there is at most ftol tolerance
 *        units in every state;
 *      - attracting: every eigenvalue of the Jacobian has a negative real part.
 *        A saddle, a centre, an unstable focus inside a limit cycle, or a
 *        singular Jacobian (a conserved total: the answer depends on the
 *        guess) is not where the untreated model settles, so the integration
 *        decides instead;
 *      - physical: if no component of the guess is negative, none of the root
 *        is below -atol_i (KINSOL can find non-physical roots).
 *    The last two checks use a dense Jacobian and are skipped above 2000
 *    states. Newton's method may jump from the guess into the basin of
 *    another equilibrium (a model with two steady states, started on one
 *    side of the threshold, Newton overshooting to the other). So a root
 *    that passes is confirmed by the integration of 2.: it is kept if the
 *    integration from the guess ends within 1000 ftol tolerance units of it
 *    (or does not settle within max_time); otherwise the integration's end
 *    is the answer (method "integration"). The confirming integration also
 *    stops, keeping the root c, once the trajectory is where c's
 *    linearisation governs: at a check T, with x = y(T) - c and
 *    e = x - J(c)^-1 f(y(T)) (the Newton step with c's Jacobian; e = 0 where
 *    f is linear), |e_i| <= 0.1 (|x_i| + 1000 ftol tol_i) in every state, at
 *    every check from some T' on to T, T' no earlier than c's slowest time
 *    constant tau = -1 / (max Re eigenvalue) and T - T' >= tau, with
 *    max_i |x_i| / tol_i not growing from check to check. While such a run
 *    is under way, the next check is at T' + tau if that comes before 2T.
 *    The test is per state, not in a norm of x: a slow state far from c and
 *    exactly linear would otherwise hide another one heading elsewhere. Near any other
 *    equilibrium s the test fails by the whole of s - c (f(s) = 0), so a
 *    trajectory passing a saddle is not taken. Run on, such a trajectory
 *    would settle at c or not within max_time, c either way: only the cost
 *    changes. Above 2000 states (no dense Jacobian) it runs on.
 *    info->t_confirmed and confirm_steps say how far it ran.
 *
 * Which steady state: with several, the one the untreated model settles into
 * from the guess (its declared initial values for `baseline steady`).
 * 2. Otherwise, integration with CVODE from the guess, checked at times T
 *    growing geometrically (max_time * 1e-9 * 2^k): converged when
 *        r(y(T)) * max(T, 1) <= ftol,
 *    i.e. at its current rate no state would move by more than ftol of its
 *    tolerances over as long again as it has been integrated (at least one
 *    clock unit); or, when the scaled rate fell from r' at the previous check
 *    T' to r at T, the drift still to come of an exponential approach with
 *    that time constant is below ftol:
 *        r * (T - T') / ln(r' / r) <= ftol
 *    (a slow mode that has nearly settled late in a long run). Both refuse a
 *    state that grows linearly or oscillates, whatever the horizon. Up to
 *    max_time.
 *
 * Fails (SYN_ESOLVER) with a message naming the state with the largest
 * scaled rate and whether it grows, falls or oscillates, plus why KINSOL's
 * answer was not used; on failure y holds where the integration stopped. */
#ifndef SYNOVIA_STEADY_H
#define SYNOVIA_STEADY_H

#include "synovia/ode.h"
#include "synovia/solver.h"
#include "synovia/status.h"

/* Exported from libsynovia.so; everything else is hidden (docs/c-api.md). */
#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

typedef struct syn_steady_opts {
  double ftol;          /* tolerance units, see above (default 1) */
  long max_iters;       /* KINSOL nonlinear iterations (default 200) */
  double max_time;      /* fallback integration horizon in clock units (default 1e6) */
  syn_solver_opts solver; /* tolerances used for the convergence test and the fallback */
} syn_steady_opts;

void syn_steady_opts_default(syn_steady_opts *o);

typedef struct syn_steady_info {
  const char *method;   /* "kinsol" or "integration" (static strings) */
  long iterations;      /* KINSOL iterations, or integration steps */
  double residual;      /* r(y) = max_i |f_i(y)| / (rtol |y_i| + atol_i) at the end,
                           per clock unit */
  double t_integrated;  /* clock units integrated by the fallback (0 for kinsol) */
  double t_confirmed;   /* kinsol: clock units the confirming integration ran before it
                           stopped (its last check time; 0 if none ran) */
  long confirm_steps;   /* kinsol: the confirming integration's steps */
} syn_steady_info;

/* y: in, the starting guess; out, the steady state. t: the time at which f is
 * evaluated (autonomous models ignore it). */
syn_status syn_steady_state(const syn_ode *ode, double t, double *y, const syn_steady_opts *o,
                            syn_steady_info *info, syn_error *err);

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
