/* synovia — the ODE system interface between a model and a solver.
 *
 * Plain data, no ownership: whoever fills a syn_ode keeps the pointed-to
 * memory alive while a solver uses it. The compiled model fills one
 * (syn_instance_ode); tests and benchmarks fill one with hand-written C.
 *
 *   dy/dt = f(t, y),  y in R^n
 *
 * Callback return values follow CVODE: 0 success, > 0 recoverable failure
 * (e.g. a NaN or Inf: the solver retries with a smaller step), < 0 fatal.
 * Callbacks must not allocate, print or keep pointers to y. */
#ifndef SYNOVIA_ODE_H
#define SYNOVIA_ODE_H

#include <stddef.h>
#include <stdint.h>

#include "synovia/status.h"

/* Exported from libsynovia.so; everything else is hidden (docs/c-api.md). */
#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

typedef int (*syn_ode_rhs_fn)(double t, const double *y, double *ydot, void *ctx);

/* Jacobian values J[i][j] = d f_i / d y_j at the pattern's entries, in the
 * pattern's compressed-column order (jval[k] belongs to row rowind[k] of the
 * column whose range colptr[j]..colptr[j+1]-1 contains k). */
typedef int (*syn_ode_jac_fn)(double t, const double *y, double *jval, void *ctx);

/* Optional: explain a non-finite right-hand side in words for the user, e.g.
 * "d/dt IL6: log(x) at knee.model:12:20 gave -inf". Writes at most size bytes;
 * returns 1 if it found an explanation, 0 if not. Called outside the hot path. */
typedef int (*syn_ode_explain_fn)(double t, const double *y, char *buf, size_t size, void *ctx);

/* Optional, for events: nroots root functions g(t, y) whose sign changes the
 * solver locates (CVODE's root-finding). Must not allocate. */
typedef int (*syn_ode_roots_fn)(double t, const double *y, double *g, void *ctx);

/* Optional, for events: called at t once at the start of a run (start = 1),
 * at each root of the root functions (crossed[i]: +1 root function i crossed
 * upwards, -1 downwards, 0 not; NULL elsewhere), at each due time it asked
 * for and after each stop (dose). It may change y (then it sets *changed and the
 * solver restarts at t) and values the right-hand side reads; *due is the
 * next time it must be called at (INFINITY: none). An error stops the run. */
typedef syn_status (*syn_ode_events_fn)(double t, double *y, int start, const int *crossed,
                                        int *changed, double *due, void *ctx, syn_error *err);

typedef struct syn_ode {
  size_t n;                 /* number of states */
  syn_ode_rhs_fn rhs;       /* required */
  syn_ode_jac_fn jac;       /* NULL: the solver uses difference quotients */
  size_t nnz;               /* entries in the Jacobian pattern (when jac) */
  const int32_t *colptr;    /* n + 1 column starts (when jac) */
  const int32_t *rowind;    /* nnz row indices, sorted within each column */
  syn_ode_explain_fn explain; /* may be NULL */
  const char *const *names; /* n state names for messages; may be NULL */
  const char *time_unit;    /* clock symbol for messages ("h"); may be NULL or "" */
  void *ctx;                /* passed to every callback */
  size_t nroots;            /* root functions (0: none) */
  syn_ode_roots_fn roots;   /* when nroots > 0 */
  syn_ode_events_fn events; /* NULL: the system has no events */
} syn_ode;

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
