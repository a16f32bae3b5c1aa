/* synovia — GSL odeiv2 msbdf as a cross-check backend (solve layer, internal; see gslode.h).
 *
 * Adapts a syn_ode to gsl_odeiv2_system. msbdf needs a dense row-major
 * Jacobian: scattered from the CSC values when the ode has a Jacobian, else
 * built by forward differences. dfdt is always a forward difference (the
 * systems may depend on time). */
#include "solve/gslode.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>

#include "base/alloc.h"

typedef struct gsl_adapter {
  const syn_ode *ode;
  double *jval;  /* nnz */
  double *f0;    /* n: f(t, y) */
  double *f1;    /* n: f at a perturbed point */
  double *ypert; /* n */
} gsl_adapter;

/* GSL: GSL_SUCCESS, GSL_EBADFUNC (stop), anything else (retry smaller step). */
static int gsl_status_of(int rc) {
  if (rc == 0) return GSL_SUCCESS;
  return rc > 0 ? GSL_FAILURE : GSL_EBADFUNC;
}

static int call_rhs(const gsl_adapter *a, double t, const double *y, double *f) {
  int rc = a->ode->rhs(t, y, f, a->ode->ctx);
  if (rc == 0)
    for (size_t i = 0; i < a->ode->n; i++)
      if (!isfinite(f[i])) return 1;
  return rc;
}

static int gsl_rhs(double t, const double y[], double dydt[], void *params) {
  return gsl_status_of(call_rhs(params, t, y, dydt));
}

static double fd_step(double x) { return sqrt(DBL_EPSILON) * fmax(1.0, fabs(x)); }

/* Row-major dfdy[i*n + j] = d f_i / d y_j. */
static int dense_jacobian(gsl_adapter *a, double t, const double *y, double *dfdy) {
  const syn_ode *ode = a->ode;
  size_t n = ode->n;
  memset(dfdy, 0, n * n * sizeof *dfdy);
  if (ode->jac != NULL) {
    int rc = ode->jac(t, y, a->jval, ode->ctx);
    if (rc != 0) return rc;
    for (size_t j = 0; j < n; j++)
      for (int32_t k = ode->colptr[j]; k < ode->colptr[j + 1]; k++)
        dfdy[(size_t)ode->rowind[k] * n + j] = a->jval[k];
    return 0;
  }
  memcpy(a->ypert, y, n * sizeof *y);
  for (size_t j = 0; j < n; j++) {
    double h = fd_step(y[j]);
    a->ypert[j] = y[j] + h;
    int rc = call_rhs(a, t, a->ypert, a->f1);
    a->ypert[j] = y[j];
    if (rc != 0) return rc;
    for (size_t i = 0; i < n; i++) dfdy[i * n + j] = (a->f1[i] - a->f0[i]) / h;
  }
  return 0;
}

static int gsl_jac(double t, const double y[], double *dfdy, double dfdt[], void *params) {
  gsl_adapter *a = params;
  size_t n = a->ode->n;
  double h = fd_step(t);
  int rc = call_rhs(a, t, y, a->f0);
  if (rc == 0) rc = call_rhs(a, t + h, y, a->f1);
  if (rc == 0)
    for (size_t i = 0; i < n; i++) dfdt[i] = (a->f1[i] - a->f0[i]) / h;
  if (rc == 0) rc = dense_jacobian(a, t, y, dfdy);
  return gsl_status_of(rc);
}

static syn_status check_args(const syn_ode *ode, const double *y0, const double *t_out,
                             size_t n_out, double t0, double *y_out, syn_error *err) {
  if (ode == NULL || ode->rhs == NULL || ode->n == 0 || y0 == NULL || y_out == NULL ||
      (n_out > 0 && t_out == NULL))
    return syn_error_set(err, SYN_EINVAL, "syn_gsl_integrate: missing argument");
  if (ode->jac != NULL && (ode->colptr == NULL || ode->rowind == NULL))
    return syn_error_set(err, SYN_EINVAL, "syn_gsl_integrate: Jacobian without a pattern");
  if (ode->events != NULL) /* it has no root-finding: it would run past them */
    return syn_error_set(err, SYN_EINVAL, "the GSL cross-check cannot run a model with events");
  for (size_t k = 0; k < n_out; k++)
    if (!(t_out[k] >= (k > 0 ? t_out[k - 1] : t0)))
      return syn_error_set(err, SYN_EINVAL, "syn_gsl_integrate: output times must not decrease");
  return SYN_OK;
}

syn_status syn_gsl_integrate(const syn_ode *ode, double t0, const double *y0, const double *t_out,
                             size_t n_out, double rtol, double atol, double *y_out,
                             syn_error *err) {
  gsl_adapter a = {ode, NULL, NULL, NULL, NULL};
  gsl_odeiv2_driver *d = NULL;
  double *y = NULL;
  syn_status st = check_args(ode, y0, t_out, n_out, t0, y_out, err);
  if (st != SYN_OK) return st;
  size_t n = ode->n;
  a.jval = syn_calloc(ode->nnz > 0 ? ode->nnz : 1, sizeof *a.jval);
  a.f0 = syn_calloc(n, sizeof *a.f0);
  a.f1 = syn_calloc(n, sizeof *a.f1);
  a.ypert = syn_calloc(n, sizeof *a.ypert);
  y = syn_calloc(n, sizeof *y);
  if (a.jval == NULL || a.f0 == NULL || a.f1 == NULL || a.ypert == NULL || y == NULL) {
    st = syn_error_set(err, SYN_ENOMEM, "out of memory in the GSL backend");
    goto done;
  }
  gsl_odeiv2_system sys = {gsl_rhs, gsl_jac, n, &a};
  double span = n_out > 0 ? fabs(t_out[n_out - 1] - t0) : 1.0;
  d = gsl_odeiv2_driver_alloc_y_new(&sys, gsl_odeiv2_step_msbdf, 1e-9 * fmax(span, 1e-3), atol,
                                    rtol);
  if (d == NULL) {
    st = syn_error_set(err, SYN_ENOMEM, "could not create the GSL msbdf driver");
    goto done;
  }
  memcpy(y, y0, n * sizeof *y);
  double t = t0;
  for (size_t k = 0; k < n_out; k++) {
    if (t_out[k] > t) {
      int rc = gsl_odeiv2_driver_apply(d, &t, t_out[k], y);
      if (rc != GSL_SUCCESS) {
        st = syn_error_set(err, SYN_ESOLVER, "GSL msbdf failed at t = %g: %s", t,
                           gsl_strerror(rc));
        goto done;
      }
    }
    memcpy(y_out + k * n, y, n * sizeof *y);
  }
done:
  if (d != NULL) gsl_odeiv2_driver_free(d);
  syn_free(y);
  syn_free(a.jval);
  syn_free(a.f0);
  syn_free(a.f1);
  syn_free(a.ypert);
  return st;
}
