/* synovia — the Fisher-information (Wald) interval of a fit's parameters
 * (include/synovia/profile.h): the Hessian of the objective on the parameter
 * scale at the best estimate, by Gauss-Newton (J^T J) where the fit has the
 * residual form, else by central differences of the exact gradient. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synovia/profile.h"

/* The threshold lives here, not in profile.c, which calls this file. */
/* The standard normal quantile of q in (0, 1) by Newton's method on erfc
 * (to rounding: the test compares intervals with the classical ones). */
static double normal_quantile(double q) {
  double z = 0;
  for (int i = 0; i < 100; i++) {
    double cdf = 0.5 * erfc(-z / sqrt(2.0)), pdf = exp(-0.5 * z * z) / 2.5066282746310002;
    double dz = (cdf - q) / pdf;
    z -= fmax(-1.0, fmin(1.0, dz));
    if (fabs(dz) < 1e-15 * fmax(1.0, fabs(z))) break;
  }
  return z;
}

double syn_profile_threshold(double confidence) {
  if (!(confidence > 0 && confidence < 1)) return NAN;
  double z = normal_quantile(0.5 + 0.5 * confidence);
  return 0.5 * z * z;
}

/* H = J^T J from the residuals' Jacobian at x. */
static syn_status gauss_newton(const syn_fit *f, syn_objective *o, const double *x, double *h,
                               syn_error *err) {
  size_t n = syn_fit_param_count(f), m = syn_objective_residual_count(f);
  double *r = malloc((m + 1) * sizeof *r), *jac = malloc((m * n + 1) * sizeof *jac);
  syn_status st = r && jac ? syn_objective_residuals(o, x, r, jac, NULL, err)
                           : syn_error_set(err, SYN_ENOMEM, "out of memory");
  for (size_t a = 0; st == SYN_OK && a < n; a++)
    for (size_t b = 0; b < n; b++) {
      double s = 0;
      for (size_t i = 0; i < m; i++) s += jac[i * n + a] * jac[i * n + b];
      h[a * n + b] = s;
    }
  free(r);
  free(jac);
  return st;
}

/* H by central differences of the gradient, step 1e-4 max(1, |x_j|) on the
 * scale, symmetrised. */
static syn_status gradient_differences(const syn_fit *f, syn_objective *o, const double *x0,
                                       double *h, syn_error *err) {
  size_t n = syn_fit_param_count(f);
  double *x = malloc(n * sizeof *x), *gp = malloc(n * sizeof *gp), *gm = malloc(n * sizeof *gm);
  syn_status st = x && gp && gm ? SYN_OK : syn_error_set(err, SYN_ENOMEM, "out of memory");
  syn_objective_value v;
  for (size_t j = 0; st == SYN_OK && j < n; j++) {
    double step = 1e-4 * fmax(1.0, fabs(x0[j]));
    memcpy(x, x0, n * sizeof *x);
    x[j] = x0[j] + step;
    st = syn_objective_eval(o, x, &v, gp, err);
    x[j] = x0[j] - step;
    if (st == SYN_OK) st = syn_objective_eval(o, x, &v, gm, err);
    for (size_t i = 0; st == SYN_OK && i < n; i++) h[i * n + j] = (gp[i] - gm[i]) / (2 * step);
  }
  for (size_t a = 0; st == SYN_OK && a < n; a++)
    for (size_t b = a + 1; b < n; b++) h[a * n + b] = h[b * n + a] = 0.5 * (h[a * n + b] + h[b * n + a]);
  free(x);
  free(gp);
  free(gm);
  return st;
}

/* In-place Cholesky H = L L^T (lower triangle); 0 when H is not positive
 * definite (a pivot <= 1e-14 of the largest diagonal element). */
static int cholesky(double *h, size_t n) {
  double big = 0;
  for (size_t i = 0; i < n; i++) big = fmax(big, fabs(h[i * n + i]));
  for (size_t j = 0; j < n; j++) {
    double d = h[j * n + j];
    for (size_t k = 0; k < j; k++) d -= h[j * n + k] * h[j * n + k];
    if (!(d > 1e-14 * big) || !isfinite(d)) return 0;
    h[j * n + j] = sqrt(d);
    for (size_t i = j + 1; i < n; i++) {
      double s = h[i * n + j];
      for (size_t k = 0; k < j; k++) s -= h[i * n + k] * h[j * n + k];
      h[i * n + j] = s / h[j * n + j];
    }
  }
  return 1;
}

/* (H^-1)_jj from the Cholesky factor: |L^-1 e_j|^2, by forward substitution. */
static double inverse_diagonal(const double *l, size_t n, size_t j, double *w) {
  double s = 0;
  for (size_t i = 0; i < n; i++) {
    double v = i == j ? 1.0 : 0.0;
    for (size_t k = 0; k < i; k++) v -= l[i * n + k] * w[k];
    w[i] = v / l[i * n + i];
    s += w[i] * w[i];
  }
  return s;
}

syn_status syn_fisher_se(const syn_fit *f, syn_objective *o, const double *best, double *se,
                         char *why, size_t size, syn_error *err) {
  size_t n = syn_fit_param_count(f);
  double *h = malloc((n * n + 1) * sizeof *h), *w = malloc((n + 1) * sizeof *w);
  syn_status st = h && w ? SYN_OK : syn_error_set(err, SYN_ENOMEM, "out of memory");
  int gn = syn_objective_residual_form(f, NULL, 0);
  if (st == SYN_OK)
    st = gn ? gauss_newton(f, o, best, h, err) : gradient_differences(f, o, best, h, err);
  int ok = st == SYN_OK && cholesky(h, n);
  for (size_t j = 0; j < n; j++) se[j] = ok ? sqrt(inverse_diagonal(h, n, j, w)) : (double)NAN;
  if (why != NULL && size > 0)
    snprintf(why, size, "%s", ok || st != SYN_OK ? ""
             : gn ? "the Gauss-Newton Hessian J^T J is singular (a parameter or a combination "
                    "the data do not inform)"
                  : "the Hessian (central differences of the gradient) is singular or indefinite");
  free(h);
  free(w);
  return st;
}

syn_status syn_fisher_interval(const syn_fit *f, syn_objective *o, const double *best,
                               double confidence, double *lower, double *upper, char *why,
                               size_t size, syn_error *err) {
  size_t n = syn_fit_param_count(f);
  double *se = malloc((n + 1) * sizeof *se);
  if (se == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  syn_status st = syn_fisher_se(f, o, best, se, why, size, err);
  double z = sqrt(2 * syn_profile_threshold(confidence));
  for (size_t j = 0; j < n; j++) {
    const syn_fit_param *p = syn_fit_param_at(f, j);
    lower[j] = st == SYN_OK ? syn_objective_unscale(p, best[j] - z * se[j]) : (double)NAN;
    upper[j] = st == SYN_OK ? syn_objective_unscale(p, best[j] + z * se[j]) : (double)NAN;
  }
  free(se);
  return st;
}
