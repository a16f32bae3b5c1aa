/* synovia — optimisers: the type table, settings, input checks and the
 * driver of a minimisation (see synovia/optim.h and optim_impl.h); the shared
 * bookkeeping the types call is in run.c. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "optim/optim_impl.h"
#include "optim/optim_types.h"

/* ---- the type table: the one place a kind of optimiser is defined ---------- */
/* NLopt's numbers for its algorithms (nlopt.h's enum, stable across versions;
 * nlopt.c checks them against the header at compile time). */
static const syn_optim_type types[] = {
    {"lm", "trust-region Levenberg-Marquardt on residuals (GSL multifit_nlinear)", 1, 0, 0,
     optim_lm_create, optim_lm_destroy, optim_lm_minimize},
    {"lbfgs", "limited-memory BFGS with bounds (NLopt LD_LBFGS)", 0, 1, OPTIM_NLOPT_LD_LBFGS,
     optim_nlopt_create, optim_nlopt_destroy, optim_nlopt_minimize},
    {"slsqp", "sequential quadratic programming with bounds (NLopt LD_SLSQP)", 0, 1,
     OPTIM_NLOPT_LD_SLSQP, optim_nlopt_create, optim_nlopt_destroy, optim_nlopt_minimize},
    {"bobyqa", "gradient-free quadratic models in a trust region (NLopt LN_BOBYQA)", 0, 0,
     OPTIM_NLOPT_LN_BOBYQA, optim_nlopt_create, optim_nlopt_destroy, optim_nlopt_minimize},
};
enum { N_TYPES = sizeof types / sizeof types[0] };

const syn_optim_type *syn_optim_lm(void) { return &types[0]; }
const syn_optim_type *syn_optim_lbfgs(void) { return &types[1]; }
const syn_optim_type *syn_optim_slsqp(void) { return &types[2]; }
const syn_optim_type *syn_optim_bobyqa(void) { return &types[3]; }

size_t syn_optim_type_count(void) { return N_TYPES; }
const syn_optim_type *syn_optim_type_at(size_t i) { return i < N_TYPES ? &types[i] : NULL; }

const syn_optim_type *syn_optim_type_find(const char *name) {
  for (size_t i = 0; name != NULL && i < N_TYPES; i++)
    if (strcmp(types[i].name, name) == 0) return &types[i];
  return NULL;
}

const char *syn_optim_type_name(const syn_optim_type *t) { return t ? t->name : "(none)"; }
const char *syn_optim_type_description(const syn_optim_type *t) {
  return t ? t->description : "";
}
int syn_optim_type_needs_residuals(const syn_optim_type *t) { return t ? t->needs_residuals : 0; }
int syn_optim_type_needs_gradient(const syn_optim_type *t) { return t ? t->needs_gradient : 0; }


void syn_optim_settings_default(syn_optim_settings *s) {
  s->gtol = 1e-8;
  s->xtol = 1e-10;
  s->ftol = 1e-12;
  s->max_iter = 1000;
  s->max_eval = 10000;
  s->max_failures = 50;
}

/* ---- create / destroy ----------------------------------------------------------- */
void syn_optim_destroy(syn_optim *o) {
  if (o == NULL) return;
  if (o->type != NULL && o->state != NULL) o->type->destroy(o);
  syn_free(o->lo);
  syn_free(o->hi);
  syn_free(o->best_x);
  syn_free(o->best_g);
  syn_free(o->xwork);
  syn_free(o->r);
  syn_free(o->jac);
  syn_free(o);
}

static syn_status check_sizes(const syn_optim_type *t, size_t n, size_t m, syn_error *err) {
  if (t == NULL) return syn_error_set(err, SYN_EINVAL, "optimiser: no type given (use syn_optim_lm(), syn_optim_lbfgs(), ...)");
  if (n == 0) return syn_error_set(err, SYN_EINVAL, "optimiser %s: no parameters to estimate (n = 0)", t->name);
  if (m > ((size_t)-1) / sizeof(double) / n)
    return syn_error_set(err, SYN_EINVAL, "optimiser %s: %zu residuals x %zu parameters is too large", t->name, m, n);
  if (t->needs_residuals && m < n)
    return syn_error_set(err, SYN_EINVAL,
                         "optimiser %s needs at least as many residuals as parameters "
                         "(%zu residuals, %zu parameters; use a general method such as lbfgs)",
                         t->name, m, n);
  return SYN_OK;
}

syn_status syn_optim_create(const syn_optim_type *t, size_t n, size_t m, syn_optim **out,
                            syn_error *err) {
  *out = NULL;
  syn_status st = check_sizes(t, n, m, err);
  if (st != SYN_OK) return st;
  syn_optim *o = syn_calloc(1, sizeof *o);
  if (o == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory creating an optimiser");
  o->type = t;
  o->n = n;
  o->m = m;
  o->lo = syn_calloc(n, sizeof(double));
  o->hi = syn_calloc(n, sizeof(double));
  o->best_x = syn_calloc(n, sizeof(double));
  o->best_g = syn_calloc(n, sizeof(double));
  o->xwork = syn_calloc(n, sizeof(double));
  if (m > 0) {
    o->r = syn_calloc(m, sizeof(double));
    o->jac = syn_calloc(m * n, sizeof(double));
  }
  if (o->lo == NULL || o->hi == NULL || o->best_x == NULL || o->best_g == NULL || o->xwork == NULL ||
      (m > 0 && (o->r == NULL || o->jac == NULL)))
    st = syn_error_set(err, SYN_ENOMEM, "out of memory creating an optimiser");
  else
    st = t->create(o, err);
  if (st != SYN_OK) {
    syn_optim_destroy(o);
    return st;
  }
  *out = o;
  return SYN_OK;
}

const syn_optim_type *syn_optim_get_type(const syn_optim *o) { return o ? o->type : NULL; }

/* ---- input checks --------------------------------------------------------------- */
const char *optim_name(const syn_optim *o, size_t i, char *buf, size_t size) {
  const syn_optim_problem *p = o->run.p;
  if (p != NULL && p->names != NULL && p->names[i] != NULL)
    snprintf(buf, size, "%s", p->names[i]);
  else
    snprintf(buf, size, "x[%zu]", i);
  return buf;
}

static syn_status check_problem(const syn_optim *o, const syn_optim_problem *p, syn_error *err) {
  const char *tn = o->type->name;
  if (p->n != o->n)
    return syn_error_set(err, SYN_EINVAL, "optimiser %s: the problem has %zu parameters, the optimiser was created for %zu", tn, p->n, o->n);
  if (o->type->needs_residuals && (p->residuals == NULL || p->m != o->m))
    return syn_error_set(err, SYN_EINVAL,
                         "optimiser %s needs residuals: the problem has %s%zu of them, the optimiser was created for %zu (give residuals, or use a general method such as lbfgs)",
                         tn, p->residuals ? "" : "no callback and ", p->m, o->m);
  if (!o->type->needs_residuals && p->f == NULL && (p->residuals == NULL || p->m != o->m))
    return syn_error_set(err, SYN_EINVAL,
                         "optimiser %s: the problem has no objective (give f, or residuals with m = %zu as at create)",
                         tn, o->m);
  if (!isfinite(p->f_const))
    return syn_error_set(err, SYN_EINVAL, "optimiser %s: the objective's constant term is not finite", tn);
  return SYN_OK;
}

static syn_status check_settings(const syn_optim *o, const syn_optim_settings *s, syn_error *err) {
  if (!(s->gtol >= 0) || !(s->xtol >= 0) || !(s->ftol >= 0) || !isfinite(s->gtol) ||
      !isfinite(s->xtol) || !isfinite(s->ftol))
    return syn_error_set(err, SYN_EINVAL, "optimiser %s: the tolerances must be finite and >= 0 (gtol %g, xtol %g, ftol %g)",
                         o->type->name, s->gtol, s->xtol, s->ftol);
  if (s->max_iter == 0 || s->max_eval == 0)
    return syn_error_set(err, SYN_EINVAL, "optimiser %s: the maximum of iterations and of evaluations must be >= 1",
                         o->type->name);
  return SYN_OK;
}

/* the bounds into o->lo, o->hi; each start inside them */
static syn_status check_bounds(syn_optim *o, const syn_optim_problem *p, const double *x,
                               syn_error *err) {
  char name[96];
  for (size_t i = 0; i < o->n; i++) {
    double lo = p->lower ? p->lower[i] : -HUGE_VAL, hi = p->upper ? p->upper[i] : HUGE_VAL;
    optim_name(o, i, name, sizeof name);
    if (isnan(lo) || isnan(hi) || lo == HUGE_VAL || hi == -HUGE_VAL)
      return syn_error_set(err, SYN_EINVAL, "parameter '%s': bounds [%g, %g] are not usable (give finite bounds, or -/+infinity for none)", name, lo, hi);
    if (lo > hi)
      return syn_error_set(err, SYN_EINVAL, "parameter '%s': the lower bound %g is above the upper bound %g (swap them)", name, lo, hi);
    if (!isfinite(x[i]))
      return syn_error_set(err, SYN_EINVAL, "parameter '%s': the start %g is not a finite number", name, x[i]);
    if (x[i] < lo || x[i] > hi)
      return syn_error_set(err, SYN_EINVAL, "parameter '%s': the start %g is outside its bounds [%g, %g] (start inside them)", name, x[i], lo, hi);
    o->lo[i] = lo;
    o->hi[i] = hi;
  }
  return SYN_OK;
}


/* ---- minimise ----------------------------------------------------------------------- */
static void fill_result(const syn_optim *o, syn_optim_result *res) {
  const optim_run *run = &o->run;
  res->status = run->status;
  snprintf(res->message, sizeof res->message, "%s", run->message);
  res->iterations = run->iterations;
  res->evaluations = run->evaluations;
  res->derivative_evaluations = run->derivative_evaluations;
  res->failures = run->failures;
  res->f = run->have_best ? run->best_f : (double)NAN;
  res->grad_norm = run->have_best && run->best_has_grad
                       ? optim_projected_norm(o, o->best_x, o->best_g, 1e-6)
                       : (double)NAN;
}

/* A step or f test met next to points that could not be computed may be the
 * edge of the failing region, not a minimum (BOBYQA's models collapse there):
 * unless the gradient is small, say so as stalled. */
static void distrust_convergence_near_failures(syn_optim *o) {
  optim_run *run = &o->run;
  if (!run->stop || run->failures == 0 ||
      (run->status != SYN_OPTIM_CONVERGED_STEP && run->status != SYN_OPTIM_CONVERGED_F))
    return;
  if (run->have_best && run->best_has_grad &&
      optim_gradient_small(o, o->best_x, o->best_g, run->best_f, 1e-6))
    return;
  run->status = SYN_OPTIM_STALLED;
  snprintf(run->message, sizeof run->message,
           "stopped: no further progress next to %zu point%s where the objective could not be "
           "computed (f = %g; perhaps not a minimum: try another start)",
           run->failures, run->failures == 1 ? "" : "s", run->best_f);
}

syn_status syn_optim_minimize(syn_optim *o, const syn_optim_problem *p,
                              const syn_optim_settings *s, double *x, syn_optim_result *res,
                              syn_error *err) {
  if (o == NULL || p == NULL || s == NULL || x == NULL || res == NULL)
    return syn_error_set(err, SYN_EINVAL, "optimiser: a NULL argument");
  memset(&o->run, 0, sizeof o->run);
  o->run.p = p;
  o->run.s = s;
  o->run.lo = o->lo;
  o->run.hi = o->hi;
  syn_status st = check_problem(o, p, err);
  if (st == SYN_OK) st = check_settings(o, s, err);
  if (st == SYN_OK) st = check_bounds(o, p, x, err);
  if (st != SYN_OK) return st;
  o->type->minimize(o, x);
  distrust_convergence_near_failures(o);
  if (!o->run.stop)
    optim_stop(o, SYN_OPTIM_FAILED, "failed: the optimiser %s ended without a reason (internal)",
               o->type->name);
  if (o->run.have_best) memcpy(x, o->best_x, o->n * sizeof *x);
  fill_result(o, res);
  return SYN_OK;
}

