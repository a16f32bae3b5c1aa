/* synovia — a fit's objective: the negative log-likelihood of its data, its
 * exact gradient, and the residual form for least-squares methods
 * (docs/fitting.md, "The objective").
 *
 * The parameter vector x has syn_fit_param_count values, in syn_fit_param
 * order, ON THE PARAMETER SCALE each parameter declares: x_j = v for `lin`,
 * ln v for `log`, log10 v for `log10` (v the linear value, in the target's
 * unit). Gradients are d(objective)/d(x_j) on that scale. (syn_fit_theta
 * takes linear values: syn_objective_unscale converts.)
 *
 * The objective is PEtab's: the sum over the data points of
 *   normal:      0.5 ln(2 pi sigma^2) + 0.5 ((m - y) / sigma)^2
 *   log-normal:  0.5 ln(2 pi sigma^2) + ln m + 0.5 ((ln m - ln y) / sigma)^2
 * (m the datum, y the simulated observable, sigma the point's sd: from the
 * table, a constant, an estimated parameter, or add + prop * y; for
 * log-normal the sd of ln m), plus the negative log-priors
 *   normal(a, b):     0.5 ln(2 pi b^2) + 0.5 ((v - a) / b)^2
 *   lognormal(a, b):  ln v + 0.5 ln(2 pi b^2) + 0.5 ((ln v - a) / b)^2
 *   uniform(a, b):    ln(b - a) inside [a, b], +infinity outside
 * of the linear value v, or of the scaled value x_j when the prior is
 * declared `on scale` (no Jacobian of the scale change: PEtab's convention).
 * The gradient is exact: the observables' forward sensitivities in the
 * problem's free parameters (problem.h), the chain rule through the scale,
 * sigma's own derivative for an estimated or proportional sd.
 *
 * A workspace (syn_objective) evaluates one x at a time: it holds a problem
 * workspace and every buffer; after its first evaluation (and a first with a
 * gradient) an evaluation allocates nothing of synovia's (problem.h says what
 * the solver itself may allocate). One workspace per thread; several
 * workspaces of one fit share nothing mutable.
 *
 * Failures: a simulation that fails (a solver failure, a value that is not
 * allowed, a non-finite output) or a simulated value a log-normal observable
 * cannot take (y <= 0) or a sigma that is not positive returns that status
 * with a message naming the arm (and the point's table line); the
 * workspace stays usable: an optimiser records the failure and goes on.
 *
 * Ownership: the workspace borrows the fit (which must outlive it). */
#ifndef SYNOVIA_OBJECTIVE_H
#define SYNOVIA_OBJECTIVE_H

#include <stddef.h>

#include "synovia/fit.h"
#include "synovia/status.h"

/* Exported from libsynovia.so; everything else is hidden (docs/c-api.md). */
#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

typedef struct syn_objective syn_objective;

syn_status syn_objective_create(const syn_fit *f, syn_objective **out, syn_error *err);
void syn_objective_destroy(syn_objective *o); /* NULL allowed */

/* The objective's parts: total = data + prior. */
typedef struct syn_objective_value {
  double total;
  double data;   /* the data points' negative log-likelihood */
  double prior;  /* the negative log-priors (0 without priors) */
} syn_objective_value;

/* Evaluate at x (parameter scale); grad (syn_fit_param_count values) NULL:
 * no gradient (no sensitivities are integrated). */
syn_status syn_objective_eval(syn_objective *o, const double *x, syn_objective_value *out,
                              double *grad, syn_error *err);

/* How many sensitivities a gradient integrates in arm `arm`: the model
 * values and doses an estimated parameter drives there (noise parameters
 * need none; a dose of another arm is skipped). */
size_t syn_objective_sens_count(const syn_objective *o, size_t arm);

/* Scale conversions of one parameter's value (its declared scale). */
double syn_objective_to_scale(const syn_fit_param *p, double v);
double syn_objective_unscale(const syn_fit_param *p, double x);

/* The default point on the parameter scale: each parameter's start, else the
 * middle of its bounds on its scale (what syn_fit_theta takes for x NULL). */
void syn_objective_default_x(const syn_fit *f, double *x);

/* --- The residual form (Gauss-Newton, Levenberg-Marquardt) ---------------
 * Every fit has one, except when a parameter has a uniform prior narrower
 * than its bounds (not a constant inside them). Then
 *   objective = 0.5 * sum_i r_i^2 + C
 * exactly, with C independent of x, and the residuals are, in this order:
 *  - per data point in syn_fit_point order, r = (y - m) / sigma (normal) or
 *    (ln y - ln m) / sigma (log-normal);
 *  - per data point whose sigma depends on x (an estimated sd term, or a
 *    proportional term: sigma = add + prop * y), in point order, the sigma
 *    residual of Data2Dynamics (Raue et al. 2013, Bioinformatics 29:1162;
 *    Kreutz 2016): e = sqrt(2 ln sigma + SYN_OBJECTIVE_LOG_SHIFT), so that
 *    0.5 e^2 = ln sigma + SHIFT/2; points with a fixed sigma (from the data,
 *    a constant) have none, as before;
 *  - per normal prior, in parameter order, (u - a) / b (u the linear or the
 *    scaled value, as declared); per log-normal prior two: (ln u - a) / b and
 *    sqrt(2 ln u + SYN_OBJECTIVE_LOG_SHIFT) (its ln u term). Uniform priors
 *    (constant inside the bounds) go into C.
 * The condition for a real, non-zero sigma residual is sigma (or u) >
 * exp(-SHIFT/2) = 1.4e-11: below it syn_objective_residuals fails
 * (SYN_EINVAL, the point's line), as the objective fails for sigma <= 0. The
 * gradient J^T r equals syn_objective_eval's exactly; J^T J is the usual
 * Gauss-Newton approximation. */
#define SYN_OBJECTIVE_LOG_SHIFT 50.0

/* 1 if the fit allows the residual form; else 0, and why (size bytes; may
 * be NULL) says why not, naming the observable or the parameter. */
int syn_objective_residual_form(const syn_fit *f, char *why, size_t size);
size_t syn_objective_residual_count(const syn_fit *f);

/* The residuals r (syn_objective_residual_count values) at x, and their
 * Jacobian jac ([nres][nparams] row by row, d r_i / d x_j on the parameter
 * scale; NULL: none). *constant (may be NULL) receives C. Refused
 * (SYN_EINVAL, the reason) when the fit does not allow the residual form. */
syn_status syn_objective_residuals(syn_objective *o, const double *x, double *r, double *jac,
                                   double *constant, syn_error *err);

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
