/* synovia — the lm optimiser: GSL's multifit_nlinear trust region with
 * Levenberg-Marquardt steps (More scaling, QR solver), on residuals.
 *
 * Bounds: multifit_nlinear has none, so LM works on unconstrained z and the
 * residuals are evaluated at x(z) (the transform of MINUIT and lmfit):
 *   both bounds   x = c + h sin z          (c, h: the middle and half-width)
 *   lower only    x = lo - 1 + sqrt(z^2+1)
 *   upper only    x = hi + 1 - sqrt(z^2+1)
 *   none          x = z
 * and the Jacobian by the chain rule, J_z = J_x diag(dx/dz). A solution inside
 * the bounds is found as without them; one on a bound is approached (dx/dz
 * tends to 0 there, so the z-gradient vanishes and the gradient test ends the
 * run). A start exactly on a bound is moved inward by 1e-6 of the width (two
 * bounds; 5e-7 absolute for one), where dx/dz is not 0.
 *
 * A failed evaluation at a trial point becomes residuals of norm 1e150: the
 * trust region rejects the step and shrinks. */
#include <float.h>
#include <math.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit_nlinear.h>

#include "base/alloc.h"
#include "optim/optim_types.h"

enum { BOUND_NONE, BOUND_BOTH, BOUND_LOWER, BOUND_UPPER };

typedef struct lm_state {
  gsl_multifit_nlinear_workspace *w;
  gsl_multifit_nlinear_fdf fdf;
  gsl_vector *z0;
  int *kind;     /* n: BOUND_* */
  double *x;     /* n: x(z) of the latest evaluation */
  double *dxdz;  /* n */
  double *r;     /* m: residuals of a Jacobian call (GSL has its own) */
  double *jx;    /* m*n: the x-Jacobian of the latest Jacobian call (at GSL's x) */
  syn_optim *o;
} lm_state;

static const double REJECT_NORM = 1e150;

static void transform(const syn_optim *o, const lm_state *s, const double *z) {
  for (size_t i = 0; i < o->n; i++) {
    double lo = o->lo[i], hi = o->hi[i], x, d;
    switch (s->kind[i]) {
    case BOUND_BOTH:
      x = 0.5 * (lo + hi) + 0.5 * (hi - lo) * sin(z[i]);
      d = 0.5 * (hi - lo) * cos(z[i]);
      break;
    case BOUND_LOWER:
      x = lo - 1 + sqrt(z[i] * z[i] + 1);
      d = z[i] / sqrt(z[i] * z[i] + 1);
      break;
    case BOUND_UPPER:
      x = hi + 1 - sqrt(z[i] * z[i] + 1);
      d = -z[i] / sqrt(z[i] * z[i] + 1);
      break;
    default:
      x = z[i];
      d = 1;
    }
    s->x[i] = fmin(fmax(x, lo), hi); /* rounding may step past a bound */
    s->dxdz[i] = d;
  }
}

static double z_of_x(int kind, double x, double lo, double hi) {
  switch (kind) {
  case BOUND_BOTH: {
    double u = (2 * x - lo - hi) / (hi - lo);
    return hi > lo ? asin(fmin(fmax(u, -1 + 1e-6), 1 - 1e-6)) : 0;
  }
  case BOUND_LOWER: return fmax(sqrt((x - lo + 1) * (x - lo + 1) - 1), 1e-3);
  case BOUND_UPPER: return fmax(sqrt((hi - x + 1) * (hi - x + 1) - 1), 1e-3);
  default: return x;
  }
}

static int bound_kind(double lo, double hi) {
  if (isfinite(lo) && isfinite(hi)) return BOUND_BOTH;
  if (isfinite(lo)) return BOUND_LOWER;
  if (isfinite(hi)) return BOUND_UPPER;
  return BOUND_NONE;
}

/* GSL's f: the residuals at x(z); a failure rejects the step */
static int lm_f(const gsl_vector *z, void *data, gsl_vector *f) {
  lm_state *s = data;
  syn_optim *o = s->o;
  if (o->run.stop) return GSL_EBADFUNC;
  transform(o, s, z->data);
  if (optim_eval_r(o, s->x, f->data, NULL) == 0) return GSL_SUCCESS;
  if (o->run.stop) return GSL_EBADFUNC;
  for (size_t i = 0; i < o->m; i++) gsl_vector_set(f, i, REJECT_NORM / sqrt((double)o->m));
  return GSL_SUCCESS;
}

/* GSL's df: the Jacobian at an accepted z, through the chain rule */
static int lm_df(const gsl_vector *z, void *data, gsl_matrix *J) {
  lm_state *s = data;
  syn_optim *o = s->o;
  if (o->run.stop) return GSL_EBADFUNC;
  transform(o, s, z->data);
  if (optim_eval_r(o, s->x, s->r, s->jx) != 0) {
    if (o->run.have_best)
      optim_stop(o, SYN_OPTIM_FAILED,
                 "failed: the Jacobian could not be computed at an accepted point (f = %g)",
                 o->run.best_f);
    else
      optim_stop(o, SYN_OPTIM_FAILED, "failed: the residuals could not be computed at the start");
    return GSL_EBADFUNC;
  }
  for (size_t i = 0; i < o->m; i++)
    for (size_t j = 0; j < o->n; j++)
      J->data[i * J->tda + j] = s->jx[i * o->n + j] * s->dxdz[j];
  return GSL_SUCCESS;
}

syn_status optim_lm_create(syn_optim *o, syn_error *err) {
  lm_state *s = syn_calloc(1, sizeof *s);
  if (s == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory creating the lm optimiser");
  o->state = s;
  s->o = o;
  gsl_multifit_nlinear_parameters par = gsl_multifit_nlinear_default_parameters();
  par.trs = gsl_multifit_nlinear_trs_lm;
  par.solver = gsl_multifit_nlinear_solver_qr; /* rank-deficient J allowed */
  s->w = gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &par, o->m, o->n);
  s->z0 = gsl_vector_alloc(o->n);
  s->kind = syn_calloc(o->n, sizeof *s->kind);
  s->x = syn_calloc(o->n, sizeof(double));
  s->dxdz = syn_calloc(o->n, sizeof(double));
  s->r = syn_calloc(o->m, sizeof(double));
  s->jx = syn_calloc(o->m * o->n, sizeof(double));
  if (s->w == NULL || s->z0 == NULL || s->kind == NULL || s->x == NULL || s->dxdz == NULL ||
      s->r == NULL || s->jx == NULL)
    return syn_error_set(err, SYN_ENOMEM, "out of memory creating the lm optimiser");
  s->fdf.f = lm_f;
  s->fdf.df = lm_df;
  s->fdf.fvv = NULL;
  s->fdf.n = o->m;
  s->fdf.p = o->n;
  s->fdf.params = s;
  return SYN_OK;
}

void optim_lm_destroy(syn_optim *o) {
  lm_state *s = o->state;
  if (s->w) gsl_multifit_nlinear_free(s->w);
  if (s->z0) gsl_vector_free(s->z0);
  syn_free(s->kind);
  syn_free(s->x);
  syn_free(s->dxdz);
  syn_free(s->r);
  syn_free(s->jx);
  syn_free(s);
  o->state = NULL;
}

/* GSL's current point as the best one: x, f, and the x-gradient J_x^T r */
static void record_current(syn_optim *o, lm_state *s) {
  gsl_vector *z = gsl_multifit_nlinear_position(s->w), *r = gsl_multifit_nlinear_residual(s->w);
  transform(o, s, z->data);
  double ss = 0;
  for (size_t i = 0; i < o->m; i++) ss += r->data[i] * r->data[i];
  for (size_t j = 0; j < o->n; j++) {
    double g = 0;
    for (size_t i = 0; i < o->m; i++) g += s->jx[i * o->n + j] * r->data[i];
    o->best_g[j] = g;
  }
  memcpy(o->best_x, s->x, o->n * sizeof(double));
  o->run.best_f = 0.5 * ss + o->run.p->f_const;
  o->run.have_best = 1;
  o->run.best_has_grad = 1;
}

/* one iteration's outcome -> a stop, or 0 to go on */
static void check_iteration(syn_optim *o, lm_state *s, int rc, double f_prev) {
  const syn_optim_settings *st = o->run.s;
  if (o->run.stop) return;
  if (rc == GSL_ENOPROG || rc == GSL_ENOPROGJ) {
    if (o->run.failures > 0)
      optim_stop(o, SYN_OPTIM_FAILED,
                 "failed: no acceptable step (%zu points around f = %g could not be computed)",
                 o->run.failures, o->run.best_f);
    else
      optim_stop(o, SYN_OPTIM_STALLED, "%s (f = %g)", optim_status_text(SYN_OPTIM_STALLED),
                 o->run.best_f);
    return;
  }
  if (rc != GSL_SUCCESS) {
    optim_stop(o, SYN_OPTIM_FAILED, "failed: GSL multifit_nlinear: %s", gsl_strerror(rc));
    return;
  }
  o->run.iterations++;
  int info = 0;
  gsl_multifit_nlinear_test(st->xtol, st->gtol, st->ftol, &info, s->w);
  double f = o->run.best_f;
  if (info == 2)
    optim_stop(o, SYN_OPTIM_CONVERGED_GRADIENT, "%s", optim_status_text(SYN_OPTIM_CONVERGED_GRADIENT));
  else if (info == 1)
    optim_stop(o, SYN_OPTIM_CONVERGED_STEP, "%s", optim_status_text(SYN_OPTIM_CONVERGED_STEP));
  else if (fabs(f_prev - f) <= st->ftol * fmax(fabs(f), DBL_MIN) && f < f_prev)
    optim_stop(o, SYN_OPTIM_CONVERGED_F, "%s", optim_status_text(SYN_OPTIM_CONVERGED_F));
  else if (o->run.iterations >= st->max_iter)
    optim_stop(o, SYN_OPTIM_MAX_ITER, "%s (%zu)", optim_status_text(SYN_OPTIM_MAX_ITER),
               st->max_iter);
}

void optim_lm_minimize(syn_optim *o, const double *x0) {
  lm_state *s = o->state;
  for (size_t i = 0; i < o->n; i++) {
    s->kind[i] = bound_kind(o->lo[i], o->hi[i]);
    gsl_vector_set(s->z0, i, z_of_x(s->kind[i], x0[i], o->lo[i], o->hi[i]));
  }
  int rc = gsl_multifit_nlinear_init(s->z0, &s->fdf, s->w);
  if (rc != GSL_SUCCESS || o->run.failures > 0) {
    optim_stop(o, SYN_OPTIM_FAILED, "failed: the residuals could not be computed at the start");
    return;
  }
  record_current(o, s);
  while (!o->run.stop) {
    double f_prev = o->run.best_f;
    rc = gsl_multifit_nlinear_iterate(s->w);
    if (rc == GSL_SUCCESS) record_current(o, s);
    check_iteration(o, s, rc, f_prev);
  }
}
