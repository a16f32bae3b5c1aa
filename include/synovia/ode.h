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
} syn_ode;

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
