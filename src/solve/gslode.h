/* synovia — an independent cross-check backend: GSL odeiv2 msbdf (solve layer, internal).
 *
 * Integrates the same syn_ode as the CVODE solver onto an output grid, with
 * the analytic Jacobian when the ode has one (dense, from the CSC pattern)
 * and forward differences otherwise. Used by tests to check CVODE against a
 * second implementation of BDF. No stops: one smooth segment.
 *
 * GSL's default error handler aborts; the library does not change it (that
 * is global state): callers that want errors as return codes call
 * gsl_set_error_handler_off() at start-up (tests and the CLI do). */
#ifndef SYN_SOLVE_GSLODE_H
#define SYN_SOLVE_GSLODE_H

#include <stddef.h>

#include "synovia/ode.h"
#include "synovia/status.h"

/* Integrate from (t0, y0) and store the state at t_out[k] (increasing, >= t0)
 * into y_out[k*n .. k*n+n-1]. rtol/atol as in CVODE (per state: atol + rtol*|y|). */
syn_status syn_gsl_integrate(const syn_ode *ode, double t0, const double *y0, const double *t_out,
                             size_t n_out, double rtol, double atol, double *y_out,
                             syn_error *err);

#endif
