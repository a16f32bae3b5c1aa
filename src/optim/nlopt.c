/* synovia — the NLopt optimisers (lbfgs, slsqp, bobyqa): NLopt enforces the
 * bounds itself. NLopt has no gradient test and no iteration count: the
 * objective wrapper applies the gradient test of synovia/optim.h at every
 * point evaluated with a gradient, counts an iteration at every improvement
 * of the best f, and stops NLopt (nlopt_force_stop) when a test or a limit
 * ends the run. A failed evaluation returns +HUGE_VAL with a zero gradient:
 * the line search or the trust region backs off from it. The best point is
 * kept by optim.c, whatever NLopt returns. */
#include <math.h>
#include <string.h>

#include <nlopt.h>

#include "optim/optim_types.h"

_Static_assert((int)NLOPT_LD_LBFGS == (int)OPTIM_NLOPT_LD_LBFGS, "NLopt's LD_LBFGS number");
_Static_assert((int)NLOPT_LN_BOBYQA == (int)OPTIM_NLOPT_LN_BOBYQA, "NLopt's LN_BOBYQA number");
_Static_assert((int)NLOPT_LD_SLSQP == (int)OPTIM_NLOPT_LD_SLSQP, "NLopt's LD_SLSQP number");

syn_status optim_nlopt_create(syn_optim *o, syn_error *err) {
  if (o->n > 0xffffffffu)
    return syn_error_set(err, SYN_EINVAL, "optimiser %s: too many parameters for NLopt (%zu)",
                         o->type->name, o->n);
  nlopt_opt opt = nlopt_create((nlopt_algorithm)o->type->algorithm, (unsigned)o->n);
  if (opt == NULL)
    return syn_error_set(err, SYN_ENOMEM, "out of memory creating the %s optimiser (NLopt)",
                         o->type->name);
  o->state = opt;
  return SYN_OK;
}

void optim_nlopt_destroy(syn_optim *o) {
  nlopt_destroy(o->state);
  o->state = NULL;
}

static double nlopt_objective(unsigned n, const double *x, double *grad, void *data) {
  syn_optim *o = data;
  nlopt_opt opt = o->state;
  double f = HUGE_VAL;
  size_t iters = o->run.iterations;
  if (optim_eval_f(o, x, &f, grad) != 0) {
    f = HUGE_VAL;
    if (grad != NULL) memset(grad, 0, n * sizeof *grad);
  } else if (grad != NULL && optim_gradient_small(o, x, grad, f, 0)) {
    optim_stop(o, SYN_OPTIM_CONVERGED_GRADIENT, "%s",
               optim_status_text(SYN_OPTIM_CONVERGED_GRADIENT));
  } else if (o->run.iterations > iters && o->run.iterations >= o->run.s->max_iter) {
    optim_stop(o, SYN_OPTIM_MAX_ITER, "%s (%zu)", optim_status_text(SYN_OPTIM_MAX_ITER),
               o->run.s->max_iter);
  }
  if (o->run.stop) nlopt_force_stop(opt);
  return f;
}

static void set_bounds(syn_optim *o, nlopt_opt opt) {
  /* NLopt takes +-HUGE_VAL (= INFINITY) for "no bound", as optim.c stores them */
  nlopt_set_lower_bounds(opt, o->lo);
  nlopt_set_upper_bounds(opt, o->hi);
}

/* NLopt gave up (FAILURE, ROUNDOFF_LIMITED: its line search found no
 * decrease) or met its own test (SUCCESS, SLSQP): the projected gradient at
 * the best point decides. Small: converged. Otherwise, with a gradient there,
 * stalled with its norm shown (a point NLopt cannot improve is not a failure
 * of the start); without one, NLopt's own test counts, or the start failed. */
static void status_by_gradient(syn_optim *o, nlopt_result rc) {
  const optim_run *run = &o->run;
  int have_g = run->have_best && run->best_has_grad;
  if (have_g && optim_gradient_small(o, o->best_x, o->best_g, run->best_f, 0))
    optim_stop(o, SYN_OPTIM_CONVERGED_GRADIENT, "%s",
               optim_status_text(SYN_OPTIM_CONVERGED_GRADIENT));
  else if (rc == NLOPT_SUCCESS)
    optim_stop(o, SYN_OPTIM_CONVERGED_F, "%s (NLopt %s: its own test)",
               optim_status_text(SYN_OPTIM_CONVERGED_F), o->type->name);
  else if (have_g)
    optim_stop(o, SYN_OPTIM_STALLED,
               "%s (NLopt %s: %s at f = %.10g, projected gradient %.3g)",
               optim_status_text(SYN_OPTIM_STALLED), o->type->name, nlopt_result_to_string(rc),
               run->best_f, optim_projected_norm(o, o->best_x, o->best_g, 0));
  else if (rc == NLOPT_ROUNDOFF_LIMITED)
    optim_stop(o, SYN_OPTIM_STALLED, "%s (NLopt: roundoff limited, f = %g)",
               optim_status_text(SYN_OPTIM_STALLED), run->best_f);
  else
    optim_stop(o, SYN_OPTIM_FAILED, "failed: NLopt %s: %s%s", o->type->name,
               nlopt_result_to_string(rc),
               run->failures > 0 ? " (some points could not be computed)" : "");
}

/* NLopt's own ending -> a status, where the wrapper did not stop the run */
static void status_of_result(syn_optim *o, nlopt_result rc) {
  switch (rc) {
  case NLOPT_FTOL_REACHED:
    optim_stop(o, SYN_OPTIM_CONVERGED_F, "%s", optim_status_text(SYN_OPTIM_CONVERGED_F));
    return;
  case NLOPT_XTOL_REACHED:
    optim_stop(o, SYN_OPTIM_CONVERGED_STEP, "%s", optim_status_text(SYN_OPTIM_CONVERGED_STEP));
    return;
  case NLOPT_MAXEVAL_REACHED:
    optim_stop(o, SYN_OPTIM_MAX_EVAL, "%s (%zu)", optim_status_text(SYN_OPTIM_MAX_EVAL),
               o->run.s->max_eval);
    return;
  case NLOPT_SUCCESS:
  case NLOPT_ROUNDOFF_LIMITED:
  case NLOPT_FAILURE:
    status_by_gradient(o, rc);
    return;
  default:
    if (o->run.failures > 0)
      optim_stop(o, SYN_OPTIM_FAILED,
                 "failed: NLopt %s: %s (%zu points could not be computed)", o->type->name,
                 nlopt_result_to_string(rc), o->run.failures);
    else
      optim_stop(o, SYN_OPTIM_FAILED, "failed: NLopt %s: %s", o->type->name,
                 nlopt_result_to_string(rc));
  }
}

void optim_nlopt_minimize(syn_optim *o, const double *x0) {
  nlopt_opt opt = o->state;
  const syn_optim_settings *s = o->run.s;
  set_bounds(o, opt);
  nlopt_set_min_objective(opt, nlopt_objective, o);
  nlopt_set_ftol_rel(opt, s->ftol);
  nlopt_set_xtol_rel(opt, s->xtol);
  nlopt_set_xtol_abs1(opt, s->xtol * s->xtol);
  /* one more than ours: optim.c refuses the call past max_eval and says so */
  nlopt_set_maxeval(opt, s->max_eval > 0x7ffffffe ? 0x7fffffff : (int)s->max_eval + 1);
  /* NLopt works in place: the best point is o->best_x anyway */
  memcpy(o->xwork, x0, o->n * sizeof *x0);
  double fmin = HUGE_VAL;
  nlopt_result rc = nlopt_optimize(opt, o->xwork, &fmin);
  if (!o->run.have_best) memcpy(o->best_x, x0, o->n * sizeof *x0);
  if (!o->run.have_best && !o->run.stop)
    optim_stop(o, SYN_OPTIM_FAILED, "failed: the objective could not be computed at the start");
  status_of_result(o, rc);
}
