/* synovia — the step's interpolating polynomial itself (internal, solve
 * layer; implemented in src/solve/solver.c).
 *
 * Inside a step hook (syn_solver_set_step_hook) CVODE's interpolant over the
 * step is one polynomial per state, of the degree of the method's order for
 * that step (BDF: 1..5). With its derivatives at one point t0 of the step the
 * polynomial is known exactly,
 *     y_i(t) = sum_{k=0..q} y_i^(k)(t0) (t - t0)^k / k!,
 * so a caller can find every extremum and level crossing inside the step
 * (the metrics do) instead of sampling it. */
#ifndef SYN_SOLVE_DENSE_OUTPUT_H
#define SYN_SOLVE_DENSE_OUTPUT_H

#include "synovia/solver.h"
#include "synovia/status.h"

/* The degree q of the last step's interpolant (CVODE's order for it); -1
 * before the first step. Only meaningful inside the step hook. */
int syn_solver_interp_degree(const syn_solver *s);

/* The k-th time derivative (0 <= k <= degree) of the interpolant at t, for
 * every state, into dky. SYN_EINVAL when k or t is out of range. */
syn_status syn_solver_interpolate_deriv(const syn_solver *s, double t, int k, double *dky,
                                        syn_error *err);

#endif
