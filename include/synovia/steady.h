/* synovia — steady states of a syn_ode (f(y) = 0), for `baseline steady`.
 *
 * KINSOL (Newton with line search and the exact Jacobian) from the given
 * guess; if it fails, integration from the guess with CVODE until the scaled
 * right-hand side is below tolerance (a convergence test over time), up to a
 * time limit. Reports how it got there. Fails with a clear message when
 * neither finds a steady state (e.g. a state that grows without bound or
 * oscillates), naming the state that keeps moving. */
#ifndef SYNOVIA_STEADY_H
#define SYNOVIA_STEADY_H

#include "synovia/ode.h"
#include "synovia/solver.h"
#include "synovia/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct syn_steady_opts {
  double ftol;          /* converged when max_i |f_i| / (rtol |y_i| + atol) * rate_scale < 1;
                           see steady.c (default 1e-6 relative change per clock unit) */
  long max_iters;       /* KINSOL nonlinear iterations (default 200) */
  double max_time;      /* fallback integration horizon in clock units (default 1e6) */
  syn_solver_opts solver; /* tolerances used for the convergence test and the fallback */
} syn_steady_opts;

void syn_steady_opts_default(syn_steady_opts *o);

typedef struct syn_steady_info {
  const char *method;   /* "kinsol" or "integration" (static strings) */
  long iterations;      /* KINSOL iterations, or integration steps */
  double residual;      /* max_i |f_i(y)| / (rtol |y_i| + atol) at the end */
  double t_integrated;  /* clock units integrated by the fallback (0 for kinsol) */
} syn_steady_info;

/* y: in, the starting guess; out, the steady state. t: the time at which f is
 * evaluated (autonomous models ignore it). */
syn_status syn_steady_state(const syn_ode *ode, double t, double *y, const syn_steady_opts *o,
                            syn_steady_info *info, syn_error *err);

#ifdef __cplusplus
}
#endif
#endif
