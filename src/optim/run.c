/* synovia — optimisers: the bookkeeping every type shares (see optim_impl.h):
 * the status table, stopping a run, counting and checking the caller's
 * evaluations, recording the best point, the projected gradient's norm.
 * Below optim.c and the types' files (lm.c, nlopt.c), which call it; it calls
 * none of them. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "optim/optim_impl.h"
#include "optim/optim_types.h"

/* ---- statuses ------------------------------------------------------------------ */
typedef struct status_row {
  syn_optim_status status;
  const char *key, *text;
} status_row;
static const status_row status_rows[] = {
#define SYN_OPTIM_STATUS_ROW_(name, value, key, msg) {name, key, msg},
    SYN_OPTIM_STATUS_LIST(SYN_OPTIM_STATUS_ROW_)
#undef SYN_OPTIM_STATUS_ROW_
};

static const status_row *status_find(syn_optim_status s) {
  for (size_t i = 0; i < sizeof status_rows / sizeof *status_rows; i++)
    if (status_rows[i].status == s) return &status_rows[i];
  return NULL;
}

const char *syn_optim_status_name(syn_optim_status s) {
  const status_row *r = status_find(s);
  return r ? r->key : "unknown";
}

int syn_optim_status_converged(syn_optim_status s) {
  return s == SYN_OPTIM_CONVERGED_GRADIENT || s == SYN_OPTIM_CONVERGED_STEP ||
         s == SYN_OPTIM_CONVERGED_F;
}

/* the status texts for the types' messages */
const char *optim_status_text(syn_optim_status s) {
  const status_row *r = status_find(s);
  return r ? r->text : "unknown";
}

/* ---- the shared bookkeeping ------------------------------------------------------- */
void optim_stop(syn_optim *o, syn_optim_status st, const char *fmt, ...) {
  if (o->run.stop) return;
  o->run.stop = 1;
  o->run.status = st;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(o->run.message, sizeof o->run.message, fmt, ap);
  va_end(ap);
}

/* before a call: 1 if the evaluation limit forbids it (and stops the run) */
static int eval_refused(syn_optim *o) {
  if (o->run.evaluations < o->run.s->max_eval) return 0;
  optim_stop(o, SYN_OPTIM_MAX_EVAL, "%s (%zu)", optim_status_text(SYN_OPTIM_MAX_EVAL),
             o->run.s->max_eval);
  return 1;
}

/* after a failed call: count it, stop when there were too many */
static int eval_failed(syn_optim *o) {
  o->run.failures++;
  if (o->run.failures > o->run.s->max_failures)
    optim_stop(o, SYN_OPTIM_FAILED,
               "failed: the objective could not be computed at %zu points (more than max_failures %zu)",
               o->run.failures, o->run.s->max_failures);
  return 1;
}

static int all_finite(const double *v, size_t k) {
  for (size_t i = 0; i < k; i++)
    if (!isfinite(v[i])) return 0;
  return 1;
}

int optim_eval_r(syn_optim *o, const double *x, double *r, double *jac) {
  if (eval_refused(o)) return 1;
  const syn_optim_problem *p = o->run.p;
  o->run.evaluations++;
  o->run.derivative_evaluations += jac != NULL;
  if (p->residuals(x, r, jac, p->user) != 0 || !all_finite(r, p->m) ||
      (jac != NULL && !all_finite(jac, p->m * p->n)))
    return eval_failed(o);
  return 0;
}

/* f = 1/2 |r|^2 + f_const and g = J^T r from the residuals */
static int eval_f_from_residuals(syn_optim *o, const double *x, double *f, double *g) {
  const syn_optim_problem *p = o->run.p;
  if (optim_eval_r(o, x, o->r, g ? o->jac : NULL) != 0) return 1;
  double ss = 0;
  for (size_t i = 0; i < p->m; i++) ss += o->r[i] * o->r[i];
  *f = 0.5 * ss + p->f_const;
  for (size_t j = 0; g != NULL && j < p->n; j++) {
    double s = 0;
    for (size_t i = 0; i < p->m; i++) s += o->jac[i * p->n + j] * o->r[i];
    g[j] = s;
  }
  return isfinite(*f) ? 0 : eval_failed(o);
}

int optim_eval_f(syn_optim *o, const double *x, double *f, double *g) {
  const syn_optim_problem *p = o->run.p;
  int failed;
  if (p->f == NULL) {
    failed = eval_f_from_residuals(o, x, f, g);
  } else {
    if (eval_refused(o)) return 1;
    o->run.evaluations++;
    o->run.derivative_evaluations += g != NULL;
    failed = p->f(x, f, g, p->user) != 0 || !isfinite(*f) || (g != NULL && !all_finite(g, p->n));
    if (failed) eval_failed(o);
  }
  if (!failed) optim_record(o, x, *f, g);
  return failed;
}

void optim_record(syn_optim *o, const double *x, double f, const double *g) {
  optim_run *run = &o->run;
  if (run->have_best && !(f < run->best_f)) {
    /* the same point again with its gradient this time (NLopt's BOBYQA never) */
    if (g != NULL && !run->best_has_grad && f == run->best_f &&
        memcmp(x, o->best_x, o->n * sizeof *x) == 0) {
      memcpy(o->best_g, g, o->n * sizeof *g);
      run->best_has_grad = 1;
    }
    return;
  }
  if (run->have_best) run->iterations++;
  run->have_best = 1;
  run->best_f = f;
  memcpy(o->best_x, x, o->n * sizeof *x);
  run->best_has_grad = g != NULL;
  if (g != NULL) memcpy(o->best_g, g, o->n * sizeof *g);
}

double optim_projected_norm(const syn_optim *o, const double *x, const double *g, double tol_rel) {
  double norm = 0;
  for (size_t i = 0; i < o->n; i++) {
    double w = o->hi[i] - o->lo[i], tol = isfinite(w) ? tol_rel * w : 0;
    int at_lo = x[i] <= o->lo[i] + tol, at_hi = x[i] >= o->hi[i] - tol;
    if ((at_lo && g[i] > 0) || (at_hi && g[i] < 0)) continue;
    if (fabs(g[i]) > norm) norm = fabs(g[i]);
  }
  return norm;
}

int optim_gradient_small(const syn_optim *o, const double *x, const double *g, double f,
                         double tol_rel) {
  double scale = fmax(fabs(f), 1.0);
  for (size_t i = 0; i < o->n; i++) {
    double w = o->hi[i] - o->lo[i], tol = isfinite(w) ? tol_rel * w : 0;
    int at_lo = x[i] <= o->lo[i] + tol, at_hi = x[i] >= o->hi[i] - tol;
    if ((at_lo && g[i] > 0) || (at_hi && g[i] < 0)) continue;
    if (fabs(g[i]) * fmax(fabs(x[i]), 1.0) > o->run.s->gtol * scale) return 0;
  }
  return 1;
}
