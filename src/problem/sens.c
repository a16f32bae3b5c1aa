/* synovia — forward sensitivities of a compiled problem (problem layer; see
 * include/synovia/problem.h and docs/sensitivities.md).
 *
 * For the free parameters asked for (ws->sel[0..ns)), the arm's run
 * integrates s_k = dy/dtheta_k with CVODES (syn_solver_sens_start):
 *   - df/dtheta_k: the model's exact derivatives (synovia/psens.h, DFDP) for
 *     a model value, plus, for every running infusion, d(rate)/dtheta_k at
 *     its target (rate = amount * scale / length: the dose's own amount, and
 *     a parameter through the route's scale, DSCALEDP);
 *   - the start: DY0DP for the declared start; for `baseline steady` the
 *     implicit-function derivative d(x*)/dp = -J^-1 df/dp at the steady state
 *     (dense LU with partial pivoting; the inputs are off there);
 *   - at a stop: a bolus adds d(amount * scale)/dtheta_k to its target; a
 *     free dose time tau adds (f- - f+) dtau/dtheta (= 1: a repeated dose
 *     moves as a whole) for every event of that dose at that time;
 *   - outputs: dout/dy s_k + dout/dtheta_k (DOUTDY, DOUTDP).
 * Metric gradients (grad_* below) are read by the step hook where each
 * round-0 call is read: in the first run for the calls whose points the
 * window fixes (at, auc, change), in a second sensitivity run for extremes
 * and crossings (their argmax or crossing is known after the first). Nothing
 * here allocates per evaluation. */
#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "problem_impl.h"
#include "solve/dense_output.h"

/* ---- creation --------------------------------------------------------------------------- */

syn_status problem_sens_create(syn_problem *p, syn_error *err) {
  const char **names = syn_calloc(p->nfree + 1, sizeof *names);
  p->ps_col = syn_calloc(p->nfree + 1, sizeof *p->ps_col);
  if (names == NULL || p->ps_col == NULL) {
    syn_free(names);
    return syn_error_set(err, SYN_ENOMEM, "out of memory for the sensitivities");
  }
  size_t n = 0;
  for (size_t i = 0; i < p->nfree; i++) {
    p->ps_col[i] = -1;
    if (p->fp[i].kind->id == FP_VALUE) {
      p->ps_col[i] = (long)n;
      names[n++] = p->fp[i].name;
    }
  }
  syn_status st = syn_psens_create(p->s->model, names, n, &p->ps, err);
  syn_free(names);
  for (int part = 0; st == SYN_OK && part < SYN_PSENS_PART_COUNT; part++)
    syn_psens_get_pattern(p->ps, (syn_psens_part)part, &p->pat[part]);
  return st;
}

/* The workspace's sensitivity buffers are made by the first evaluation that
 * asks for sensitivities (problem_sens_select), not with the workspace: a
 * plain run needs none of them, and they grow with the grid times the series
 * (the sensitivities' own copy) and, for a steady baseline, with the square
 * of the states (its dense LU) — which a run of 10^5 states cannot afford
 * and does not use. sens_ws_alloc makes those still missing (after a failure
 * a later call tries again; the workspace frees them all); once all are
 * there it allocates nothing. */
syn_status problem_sens_ws_create(const syn_problem *p, syn_problem_ws *ws, syn_error *err) {
  /* where each call's extreme or crossing was found: every run records it */
  ws->call_where = syn_calloc(p->s->ncalls + 1, sizeof *ws->call_where);
  if (ws->call_where == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  return SYN_OK;
}

static syn_status sens_ws_alloc(const syn_problem *p, syn_problem_ws *ws, syn_error *err) {
  size_t nf = p->nfree + 1, ny = p->nstates;
  size_t nmax = 1;
  for (int part = 0; part < SYN_PSENS_PART_COUNT; part++)
    if (p->pat[part].nnz > nmax) nmax = p->pat[part].nnz;
  if (ws->sel == NULL) ws->sel = syn_calloc(nf, sizeof *ws->sel);
  if (ws->sens == NULL) ws->sens = syn_calloc(nf * p->npts * p->nseries, sizeof *ws->sens);
  if (ws->S0 == NULL) ws->S0 = syn_calloc(nf * ny, sizeof *ws->S0);
  if (ws->Sbuf == NULL) ws->Sbuf = syn_calloc(nf * ny, sizeof *ws->Sbuf);
  if (ws->Sdot == NULL) ws->Sdot = syn_calloc(nf * ny, sizeof *ws->Sdot);
  if (ws->S0p == NULL) ws->S0p = syn_calloc(nf, sizeof *ws->S0p);
  if (ws->Sbp == NULL) ws->Sbp = syn_calloc(nf, sizeof *ws->Sbp);
  if (ws->Sdp == NULL) ws->Sdp = syn_calloc(nf, sizeof *ws->Sdp);
  if (ws->pbar == NULL) ws->pbar = syn_calloc(nf, sizeof *ws->pbar);
  if (ws->dmetrics == NULL) ws->dmetrics = syn_calloc((p->s->nmetrics + 1) * nf, sizeof *ws->dmetrics);
  if (ws->dcalls == NULL) ws->dcalls = syn_calloc((p->s->ncalls + 1) * nf, sizeof *ws->dcalls);
  if (ws->gdone == NULL) ws->gdone = syn_calloc(2 * (p->s->ncalls + 1), 1);
  if (ws->gdist == NULL) ws->gdist = syn_calloc(p->s->ncalls + 1, sizeof *ws->gdist);
  if (ws->vals == NULL) ws->vals = syn_calloc(nmax, sizeof *ws->vals);
  if (ws->vals2 == NULL) ws->vals2 = syn_calloc(nmax, sizeof *ws->vals2);
  size_t nlu = p->s->steady ? ny : 1; /* the dense LU of the steady start's derivative */
  if (ws->lu == NULL) ws->lu = syn_calloc(nlu * nlu, sizeof *ws->lu);
  if (ws->piv == NULL) ws->piv = syn_calloc(nlu, sizeof *ws->piv);
  if (ws->gx1 == NULL) ws->gx1 = syn_calloc(p->s->ncalls + 1, sizeof *ws->gx1);
  if (ws->gprobe == NULL) ws->gprobe = syn_calloc(p->s->ncalls + 1, sizeof *ws->gprobe);
  if (ws->gcall == NULL) ws->gcall = syn_calloc(p->s->ncalls + 1, sizeof *ws->gcall);
  if (ws->ydot == NULL) ws->ydot = syn_calloc(ny, sizeof *ws->ydot);
  if (ws->yddot == NULL) ws->yddot = syn_calloc(ny, sizeof *ws->yddot);
  if (ws->yy == NULL) ws->yy = syn_calloc(ny, sizeof *ws->yy);
  if (ws->gtmp == NULL) ws->gtmp = syn_calloc(nf, sizeof *ws->gtmp);
  if (ws->evcol == NULL) ws->evcol = syn_calloc(nf, sizeof *ws->evcol);
  int ok = ws->sel && ws->sens && ws->S0 && ws->Sbuf && ws->Sdot && ws->S0p && ws->Sbp &&
           ws->Sdp && ws->pbar && ws->dmetrics && ws->dcalls && ws->gdone &&
           ws->gdist && ws->vals && ws->vals2 && ws->lu && ws->piv && ws->gx1 && ws->gprobe && ws->gcall && ws->ydot &&
           ws->yddot && ws->yy && ws->gtmp && ws->evcol;
  if (!ok) return syn_error_set(err, SYN_ENOMEM, "out of memory for the sensitivities");
  for (size_t k = 0; k < nf; k++) {
    ws->S0p[k] = ws->S0 + k * ny;
    ws->Sbp[k] = ws->Sbuf + k * ny;
    ws->Sdp[k] = ws->Sdot + k * ny;
  }
  return SYN_OK;
}

/* Frees the buffers and leaves their pointers NULL (none made yet: nothing). */
void problem_sens_ws_destroy(syn_problem_ws *ws) {
  syn_free(ws->sel);
  ws->sel = NULL;
  syn_free(ws->sens);
  ws->sens = NULL;
  syn_free(ws->S0);
  ws->S0 = NULL;
  syn_free(ws->Sbuf);
  ws->Sbuf = NULL;
  syn_free(ws->Sdot);
  ws->Sdot = NULL;
  syn_free(ws->S0p);
  ws->S0p = NULL;
  syn_free(ws->Sbp);
  ws->Sbp = NULL;
  syn_free(ws->Sdp);
  ws->Sdp = NULL;
  syn_free(ws->pbar);
  ws->pbar = NULL;
  syn_free(ws->dmetrics);
  ws->dmetrics = NULL;
  syn_free(ws->dcalls);
  ws->dcalls = NULL;
  syn_free(ws->call_where);
  ws->call_where = NULL;
  syn_free(ws->gdone);
  ws->gdone = NULL;
  syn_free(ws->gdist);
  ws->gdist = NULL;
  syn_free(ws->vals);
  ws->vals = NULL;
  syn_free(ws->vals2);
  ws->vals2 = NULL;
  syn_free(ws->lu);
  ws->lu = NULL;
  syn_free(ws->piv);
  ws->piv = NULL;
  syn_free(ws->gx1);
  ws->gx1 = NULL;
  syn_free(ws->gprobe);
  ws->gprobe = NULL;
  syn_free(ws->gcall);
  ws->gcall = NULL;
  syn_free(ws->ydot);
  ws->ydot = NULL;
  syn_free(ws->yddot);
  ws->yddot = NULL;
  syn_free(ws->yy);
  ws->yy = NULL;
  syn_free(ws->gtmp);
  ws->gtmp = NULL;
  syn_free(ws->evcol);
  ws->evcol = NULL;
}

syn_status problem_sens_arm_create(const syn_problem *p, arm_ws *a, syn_error *err) {
  syn_status st = syn_psens_work_create(p->ps, &a->pw, err);
  if (st != SYN_OK) return st;
  a->dsc = syn_calloc((a->arm->ndoses + 1) * (p->nfree + 1), sizeof *a->dsc);
  a->jval = syn_calloc(a->ode.nnz + 1, sizeof *a->jval);
  if (a->dsc == NULL || a->jval == NULL)
    return syn_error_set(err, SYN_ENOMEM, "out of memory for the sensitivities");
  return SYN_OK;
}

void problem_sens_arm_destroy(arm_ws *a) {
  syn_psens_work_destroy(a->pw);
  syn_free(a->dsc);
  syn_free(a->jval);
}

/* ---- per evaluation: what does not change during the run ----------------------------------- */

/* The sensitivities asked for, into ws->sel / ws->ns. */
syn_status problem_sens_select(syn_problem_ws *ws, const syn_problem_want *w, syn_error *err) {
  const syn_problem *p = ws->p;
  ws->ns = 0;
  if (w->nsens == 0) return SYN_OK;
  syn_status st = sens_ws_alloc(p, ws, err);
  if (st != SYN_OK) return st;
  if (w->nat > 0 && w->sens_at_values == NULL)
    return syn_error_set(err, SYN_EINVAL, "syn_problem_eval: sensitivities at %zu times asked "
                                          "for, but no buffer for them (sens_at_values)",
                         w->nat);
  if (w->nsens == SYN_PROBLEM_SENS_ALL) {
    for (size_t i = 0; i < p->nfree; i++) ws->sel[ws->ns++] = i;
    return SYN_OK;
  }
  if (w->sens == NULL || w->nsens > p->nfree)
    return syn_error_set(err, SYN_EINVAL, "syn_problem_eval: %zu sensitivities asked for, but "
                                          "%s", w->nsens,
                         w->sens == NULL ? "no list of them" : "more than the free parameters");
  for (size_t i = 0; i < w->nsens; i++) {
    if (w->sens[i] >= p->nfree) {
      ws->ns = 0;
      return syn_error_set(err, SYN_EINVAL, "syn_problem_eval: sensitivity %zu asked for by "
                                            "free parameter %zu, but there are %zu",
                           i, w->sens[i], p->nfree);
    }
    ws->sel[ws->ns++] = w->sens[i];
  }
  return SYN_OK;
}

static int is_dose_param(const syn_problem *p, const arm_ws *a, size_t i, size_t d, int time);

/* A conditional dose gives cdose_K_amt = amount x scale, a value set for
 * the run (cdose.c): its derivative in theta (the dose's own amount, or a
 * parameter in its route's scale) does not reach the event that gives it.
 * Refused rather than a sensitivity without it. */
static syn_status cond_dose_check(const syn_problem_ws *ws, const arm_ws *a, syn_error *err) {
  const syn_problem *p = ws->p;
  for (size_t d = 0; d < a->arm->ndoses; d++)
    for (size_t k = 0; a->arm->doses[d].is_cond && k < ws->ns; k++) {
      if (!is_dose_param(p, a, ws->sel[k], d, 0) && a->dsc[d * p->nfree + k] == 0.0) continue;
      syn_status st = syn_error_set(err, SYN_EINVAL, "arm '%s': the sensitivity to '%s' through "
                                    "the conditional dose by route %s (its amount, or its "
                                    "route's scale) is not supported", a->arm->name,
                                    p->fp[ws->sel[k]].name, a->arm->doses[d].route);
      syn_error_hint(err, "leave '%s' out of the sensitivities, or fit with optimizer bobyqa "
                          "(it needs no gradient)", p->fp[ws->sel[k]].name);
      return st;
    }
  return SYN_OK;
}

/* The psens workspace from the prepared instance, and per dose and
 * sensitivity d(route scale)/dtheta. */
syn_status problem_sens_prepare(syn_problem_ws *ws, arm_ws *a, const double *theta,
                                syn_error *err) {
  const syn_problem *p = ws->p;
  syn_status st = syn_psens_prepare(a->pw, a->inst, err);
  if (st == SYN_OK) st = syn_psens_eval(a->pw, a->inst, SYN_PSENS_DSCALEDP, p->s->t_start, NULL,
                                        ws->vals, err);
  if (st != SYN_OK) return st;
  const syn_psens_pattern *pat = &p->pat[SYN_PSENS_DSCALEDP];
  for (size_t d = 0; d < a->arm->ndoses; d++)
    for (size_t k = 0; k < ws->ns; k++) {
      long c = p->ps_col[ws->sel[k]];
      double v = 0.0;
      for (int32_t e = c >= 0 ? pat->colptr[c] : 0; c >= 0 && e < pat->colptr[c + 1]; e++)
        if ((size_t)pat->rowind[e] == a->arm->doses[d].route_index) v = ws->vals[e];
      a->dsc[d * p->nfree + k] = v;
    }
  for (size_t k = 0; k < ws->ns; k++) {
    double v = theta != NULL ? fabs(theta[ws->sel[k]]) : 1.0;
    ws->pbar[k] = isfinite(v) && v > 0 ? v : 1.0;
    ws->evcol[k] = p->ps_col[ws->sel[k]];
  }
  return cond_dose_check(ws, a, err);
}

/* Is free parameter i the amount (the time) of dose d of arm a? */
static int is_dose_param(const syn_problem *p, const arm_ws *a, size_t i, size_t d, int time) {
  const free_param *fp = &p->fp[i];
  return fp->arm == a->scn_arm && fp->dose == d &&
         fp->kind->id == (time ? FP_TIME : FP_AMOUNT);
}

/* ---- the start ----------------------------------------------------------------------------- */

/* df/dtheta (model values only: the inputs are off at the start) at (t, y)
 * into ws->S0 columns, dense. */
static syn_status dfdp_dense(syn_problem_ws *ws, arm_ws *a, double t, const double *y,
                             double *const *out, syn_error *err) {
  const syn_problem *p = ws->p;
  const syn_psens_pattern *pat = &p->pat[SYN_PSENS_DFDP];
  syn_status st = syn_psens_eval(a->pw, a->inst, SYN_PSENS_DFDP, t, y, ws->vals, err);
  for (size_t k = 0; k < ws->ns; k++) {
    memset(out[k], 0, p->nstates * sizeof **out);
    long c = p->ps_col[ws->sel[k]];
    for (int32_t e = c >= 0 ? pat->colptr[c] : 0; c >= 0 && e < pat->colptr[c + 1]; e++)
      out[k][pat->rowind[e]] = ws->vals[e];
  }
  return st;
}

/* LU with partial pivoting of the n x n column-major matrix A, in place. */
static int lu_factor(double *A, size_t n, size_t *piv) {
  for (size_t j = 0; j < n; j++) {
    size_t best = j;
    for (size_t i = j + 1; i < n; i++)
      if (fabs(A[j * n + i]) > fabs(A[j * n + best])) best = i;
    piv[j] = best;
    if (!(A[j * n + best] != 0.0) || !isfinite(A[j * n + best])) return -1;
    if (best != j)
      for (size_t k = 0; k < n; k++) {
        double tmp = A[k * n + j];
        A[k * n + j] = A[k * n + best];
        A[k * n + best] = tmp;
      }
    for (size_t i = j + 1; i < n; i++) A[j * n + i] /= A[j * n + j];
    for (size_t k = j + 1; k < n; k++) {
      double akj = A[k * n + j];
      if (akj == 0.0) continue;
      for (size_t i = j + 1; i < n; i++) A[k * n + i] -= A[j * n + i] * akj;
    }
  }
  return 0;
}

/* Solve with the factors: the row swaps first, in order (the factors' rows
 * were swapped whole, so L is that of P A), then L and U. */
static void lu_solve(const double *A, size_t n, const size_t *piv, double *b) {
  for (size_t j = 0; j < n; j++) {
    double tmp = b[piv[j]];
    b[piv[j]] = b[j];
    b[j] = tmp;
  }
  for (size_t j = 0; j < n; j++)
    for (size_t i = j + 1; i < n; i++) b[i] -= A[j * n + i] * b[j];
  for (size_t j = n; j-- > 0;) {
    b[j] /= A[j * n + j];
    for (size_t i = 0; i < j; i++) b[i] -= A[j * n + i] * b[j];
  }
}

/* The steady start's sensitivities: J s = -df/dtheta at (t0, y*). */
static syn_status steady_start(syn_problem_ws *ws, arm_ws *a, syn_error *err) {
  const syn_problem *p = ws->p;
  size_t n = p->nstates;
  double t0 = p->s->t_start;
  syn_status st = dfdp_dense(ws, a, t0, ws->y0, ws->S0p, err);
  if (st != SYN_OK) return st;
  if (a->ode.jac == NULL || a->ode.jac(t0, ws->y0, a->jval, a->ode.ctx) != 0)
    return syn_error_set(err, SYN_ENONFINITE, "arm '%s': the Jacobian at the steady baseline "
                                              "cannot be evaluated", a->arm->name);
  memset(ws->lu, 0, n * n * sizeof *ws->lu);
  for (size_t j = 0; j < n; j++)
    for (int32_t e = a->ode.colptr[j]; e < a->ode.colptr[j + 1]; e++)
      ws->lu[j * n + (size_t)a->ode.rowind[e]] = a->jval[e];
  if (lu_factor(ws->lu, n, ws->piv) != 0) {
    syn_error_set(err, SYN_ESOLVER, "arm '%s': the Jacobian at the steady baseline is "
                                    "singular, so the baseline's derivative in the parameters "
                                    "is not defined", a->arm->name);
    syn_error_hint(err, "a conserved quantity (a state that only moves with others) makes the "
                        "steady state depend on the start; use the declared start");
    return SYN_ESOLVER;
  }
  for (size_t k = 0; k < ws->ns; k++) {
    double *x = ws->S0p[k], *r = ws->Sbp[k];
    for (size_t i = 0; i < n; i++) x[i] = r[i] = -x[i]; /* r keeps -df/dp */
    lu_solve(ws->lu, n, ws->piv, x);
    /* refinement: J is often badly conditioned (slow modes of the
     * cartilage), and the start must be a fixed point of the sensitivity
     * equations to the last digits, or the run drifts from it */
    for (int it = 0; it < 2; it++) {
      double *res = ws->Sdp[k];
      memcpy(res, r, n * sizeof *res);
      for (size_t j = 0; j < n; j++)
        for (int32_t e = a->ode.colptr[j]; e < a->ode.colptr[j + 1]; e++)
          res[a->ode.rowind[e]] -= a->jval[e] * x[j];
      lu_solve(ws->lu, n, ws->piv, res);
      for (size_t i = 0; i < n; i++) x[i] += res[i];
    }
  }
  return SYN_OK;
}

/* The declared start's sensitivities: dy0/dtheta. */
static syn_status declared_start(syn_problem_ws *ws, arm_ws *a, syn_error *err) {
  const syn_problem *p = ws->p;
  const syn_psens_pattern *pat = &p->pat[SYN_PSENS_DY0DP];
  syn_status st = syn_psens_eval(a->pw, a->inst, SYN_PSENS_DY0DP, p->s->t_start, NULL, ws->vals,
                                 err);
  for (size_t k = 0; k < ws->ns; k++) {
    memset(ws->S0p[k], 0, p->nstates * sizeof **ws->S0p);
    long c = p->ps_col[ws->sel[k]];
    for (int32_t e = c >= 0 ? pat->colptr[c] : 0; c >= 0 && e < pat->colptr[c + 1]; e++)
      ws->S0p[k][pat->rowind[e]] = ws->vals[e];
  }
  return st;
}

syn_status problem_sens_start(syn_problem_ws *ws, arm_ws *a, syn_error *err) {
  return ws->p->s->steady ? steady_start(ws, a, err) : declared_start(ws, a, err);
}

/* ---- during the run ----------------------------------------------------------------------- */

/* fS's df/dtheta: the model's, plus every running infusion's rate. */
static int add_dfdp(double t, const double *y, double *const *fs, size_t ns, void *ctx) {
  syn_problem_ws *ws = ctx;
  const syn_problem *p = ws->p;
  arm_ws *a = ws->cur;
  const syn_psens_pattern *pat = &p->pat[SYN_PSENS_DFDP];
  if (pat->nnz > 0 && syn_psens_eval(a->pw, a->inst, SYN_PSENS_DFDP, t, y, ws->vals, NULL) != SYN_OK)
    return 1;
  if (syn_psens_events_eval(a->pw, SYN_PSENS_DFDP, t, y, NULL) != SYN_OK) return 1;
  for (size_t k = 0; k < ns; k++) {
    long c = p->ps_col[ws->sel[k]];
    for (int32_t e = c >= 0 ? pat->colptr[c] : 0; c >= 0 && e < pat->colptr[c + 1]; e++)
      fs[k][pat->rowind[e]] += ws->vals[e];
    syn_psens_events_add(a->pw, SYN_PSENS_DFDP, k, 0, p->nstates, fs[k]);
  }
  for (size_t r = 0; r < a->nrunning; r++) {
    size_t inf = a->running[r], d = a->inf_dose[inf];
    double len = a->sched.length[inf];
    size_t target = a->arm->doses[d].state;
    for (size_t k = 0; k < ns; k++) {
      double du = a->amount[d] / len * a->dsc[d * p->nfree + k];
      if (is_dose_param(p, a, ws->sel[k], d, 0)) du += a->dose_scale[d] / len;
      fs[k][target] += du;
    }
  }
  return 0;
}

/* dout/dy into ws->vals and dout/dp into ws->vals2 at (t, y). A derivative
 * that is not finite (an output with sqrt(x) at x = 0) is no error: that
 * output's sensitivity is NaN there, the run goes on. */
static syn_status outputs_derivs(syn_problem_ws *ws, arm_ws *a, double t, const double *y,
                                 syn_error *err) {
  syn_status st = syn_psens_eval(a->pw, a->inst, SYN_PSENS_DOUTDY, t, y, ws->vals, err);
  if (st == SYN_OK || st == SYN_ENONFINITE)
    st = syn_psens_eval(a->pw, a->inst, SYN_PSENS_DOUTDP, t, y, ws->vals2, err);
  if (st == SYN_OK || st == SYN_ENONFINITE)
    st = syn_psens_events_eval(a->pw, SYN_PSENS_DOUTDP, t, y, err);
  return st == SYN_ENONFINITE ? SYN_OK : st;
}

/* The sensitivities of every series at (t, y) from S into rows dst(k) =
 * base + k * stride (the states' as they are; the outputs' by the chain rule). */
static syn_status series_sens(syn_problem_ws *ws, arm_ws *a, double t, const double *y,
                              double *const *S, double *base, size_t stride, syn_error *err) {
  const syn_problem *p = ws->p;
  const syn_psens_pattern *dy = &p->pat[SYN_PSENS_DOUTDY], *dp = &p->pat[SYN_PSENS_DOUTDP];
  syn_status st = SYN_OK;
  if (p->noutputs > 0) {
    st = outputs_derivs(ws, a, t, y, err);
    if (st != SYN_OK) return st;
  }
  for (size_t k = 0; k < ws->ns; k++) {
    double *row = base + k * stride;
    memcpy(row, S[k], p->nstates * sizeof *row);
    if (p->noutputs == 0) continue;
    double *out = row + p->nstates;
    memset(out, 0, p->noutputs * sizeof *out);
    for (size_t j = 0; j < p->nstates; j++)
      for (int32_t e = dy->colptr[j]; e < dy->colptr[j + 1]; e++) out[dy->rowind[e]] += ws->vals[e] * S[k][j];
    long c = p->ps_col[ws->sel[k]];
    for (int32_t e = c >= 0 ? dp->colptr[c] : 0; c >= 0 && e < dp->colptr[c + 1]; e++)
      out[dp->rowind[e]] += ws->vals2[e];
    syn_psens_events_add(a->pw, SYN_PSENS_DOUTDP, k, 0, p->noutputs, out);
  }
  return SYN_OK;
}

syn_status problem_sens_grid_row(syn_problem_ws *ws, double t, const double *y, size_t row,
                                 syn_error *err) {
  const syn_problem *p = ws->p;
  syn_status st = syn_solver_sens_get(ws->cur->solver, t, 0, ws->Sbp, err);
  if (st == SYN_OK)
    st = series_sens(ws, ws->cur, t, y, ws->Sbp, ws->sens + row * p->nseries, p->npts * p->nseries,
                     err);
  return st;
}

/* The caller's time number `row` from (t, y) and the sensitivities S there. */
syn_status problem_sens_at_row(syn_problem_ws *ws, double t, const double *y, double *const *S,
                               size_t row, syn_error *err) {
  const syn_problem *p = ws->p;
  return series_sens(ws, ws->cur, t, y, S, ws->sens_at + row * p->nseries, ws->nat * p->nseries,
                     err);
}

/* Inside the step hook: the sensitivities at t from the interpolant. */
syn_status problem_sens_at_step(syn_problem_ws *ws, double t, const double *y, size_t row,
                                syn_error *err) {
  syn_status st = syn_solver_sens_get(ws->cur->solver, t, 0, ws->Sbp, err);
  return st == SYN_OK ? problem_sens_at_row(ws, t, y, ws->Sbp, row, err) : st;
}

static syn_status grad_jump(syn_problem_ws *ws, double t, const double *y, double *const *S,
                            syn_error *err);

/* At a stop, after the doses there: each bolus's own jump, and the moved
 * times' (f- - f+); then the caller's times there, and the metrics' points. */
static syn_status on_jump(double t, const double *y, const double *fm, const double *fp,
                          double *const *S, size_t ns, void *ctx, syn_error *err) {
  syn_problem_ws *ws = ctx;
  const syn_problem *p = ws->p;
  arm_ws *a = ws->cur;
  size_t n = p->nstates;
  for (size_t k = 0; k < ns; k++) {
    int moved = 0;
    for (size_t e = ws->ev_lo; e < a->next; e++) {
      const scn_event *ev = &a->sched.events[e];
      size_t d = ev->dose;
      moved |= is_dose_param(p, a, ws->sel[k], d, 1);
      if (ev->kind != SCN_BOLUS) continue;
      double jump = a->amount[d] * a->dsc[d * p->nfree + k];
      if (is_dose_param(p, a, ws->sel[k], d, 0)) jump += a->dose_scale[d];
      S[k][a->arm->doses[d].state] += jump;
    }
    if (moved)
      for (size_t i = 0; i < n; i++) S[k][i] += fm[i] - fp[i];
  }
  syn_status st = SYN_OK;
  for (size_t r = ws->at_lo; st == SYN_OK && r < ws->at_next; r++)
    st = problem_sens_at_row(ws, t, y, S, r, err);
  ws->at_lo = ws->at_next;
  if (st == SYN_OK && ws->grad) st = grad_jump(ws, t, y, S, err);
  return st;
}

static double *call_grad(syn_problem_ws *ws, size_t i);

/* The value of series `series` at (t, y) with the instance's current constants. */
static syn_status series_value(syn_problem_ws *ws, size_t series, double t, const double *y,
                               double *x, syn_error *err) {
  const syn_problem *p = ws->p;
  if (series < p->nstates) {
    *x = y[series];
    return SYN_OK;
  }
  syn_status st = syn_instance_outputs(ws->cur->inst, t, y, ws->values + p->nstates, err);
  *x = ws->values[series];
  return st;
}

/* A model event executed at t inside an area's window: by Leibniz's rule the
 * area's derivative has, besides the integral of the sensitivity, the jump
 * of the integrand times the execution's shift, (f(t-) - f(t+)) dtau/dtheta.
 * Before the execution (after = 0) each area's integrand is kept in gx1. */
static syn_status grad_event_jump(void *ctx, int after, double t, const double *y,
                                  const double *dtau, syn_error *err) {
  syn_problem_ws *ws = ctx;
  syn_status st = SYN_OK;
  for (size_t c = 0; c < ws->ngcalls && st == SYN_OK; c++) {
    size_t i = ws->gcall[c];
    const syn_probe *pr = &ws->gprobe[i];
    double x = 0.0;
    if (pr->kind != PROBE_AUC || !(t > pr->t1 && t < pr->t2)) continue;
    st = series_value(ws, pr->series, t, y, after ? &x : &ws->gx1[i], err);
    for (size_t k = 0; after && st == SYN_OK && k < ws->ns; k++)
      call_grad(ws, i)[k] += (ws->gx1[i] - x) * dtau[k];
  }
  return st;
}

/* The sensitivities on, and the model's events given them to jump (the
 * events' own conditions, event_sens.c in the model layer). */
syn_status problem_sens_begin(syn_problem_ws *ws, arm_ws *a, const syn_sens_opts *opts,
                              syn_error *err) {
  syn_status st = syn_solver_sens_start(a->solver, ws->ns, (const double *const *)ws->S0p,
                                        ws->pbar, opts, add_dfdp, on_jump, ws, err);
  if (st == SYN_OK && syn_model_event_count(ws->p->s->model) > 0)
    st = syn_psens_events_attach(a->pw, a->inst, ws->ns, syn_solver_sens_vectors(a->solver),
                                 ws->evcol, err);
  if (st == SYN_OK && ws->grad && syn_model_event_count(ws->p->s->model) > 0)
    syn_psens_events_watch(a->inst, grad_event_jump, ws);
  return st;
}

/* ---- metric gradients ------------------------------------------------------------------------ */

/* The gradient of series `series` at (t, y) with sensitivities S into g[0..ns),
 * and the series' value into *x. */
static syn_status point_grad(syn_problem_ws *ws, size_t series, double t, const double *y,
                             double *const *S, double *g, double *x, syn_error *err) {
  const syn_problem *p = ws->p;
  arm_ws *a = ws->cur;
  if (series < p->nstates) {
    for (size_t k = 0; k < ws->ns; k++) g[k] = S[k][series];
    *x = y[series];
    return SYN_OK;
  }
  /* one output: its row of dout/dy and dout/dp */
  size_t o = series - p->nstates;
  const syn_psens_pattern *dy = &p->pat[SYN_PSENS_DOUTDY], *dp = &p->pat[SYN_PSENS_DOUTDP];
  syn_status st = outputs_derivs(ws, a, t, y, err);
  if (st == SYN_OK) st = syn_instance_outputs(a->inst, t, y, ws->values + p->nstates, err);
  if (st != SYN_OK) return st;
  *x = ws->values[series];
  for (size_t k = 0; k < ws->ns; k++) {
    double v = 0.0;
    for (size_t j = 0; j < p->nstates; j++)
      for (int32_t e = dy->colptr[j]; e < dy->colptr[j + 1]; e++)
        if ((size_t)dy->rowind[e] == o) v += ws->vals[e] * S[k][j];
    long c = p->ps_col[ws->sel[k]];
    for (int32_t e = c >= 0 ? dp->colptr[c] : 0; c >= 0 && e < dp->colptr[c + 1]; e++)
      if ((size_t)dp->rowind[e] == o) v += ws->vals2[e];
    syn_psens_events_add(a->pw, SYN_PSENS_DOUTDP, k, o, 1, &v);
    g[k] = v;
  }
  return SYN_OK;
}

/* d(series)/dt from the state's rate ydot (outputs: dout/dy ydot; an
 * output's explicit dependence on time is not counted). */
static syn_status series_rate(syn_problem_ws *ws, size_t series, double t, const double *y,
                              const double *ydot, double *rate, syn_error *err) {
  const syn_problem *p = ws->p;
  if (series < p->nstates) {
    *rate = ydot[series];
    return SYN_OK;
  }
  const syn_psens_pattern *dy = &p->pat[SYN_PSENS_DOUTDY];
  syn_status st = outputs_derivs(ws, ws->cur, t, y, err);
  double v = 0.0;
  for (size_t j = 0; j < p->nstates; j++)
    for (int32_t e = dy->colptr[j]; e < dy->colptr[j + 1]; e++)
      if ((size_t)dy->rowind[e] == series - p->nstates) v += ws->vals[e] * ydot[j];
  *rate = v;
  return st;
}

static double *call_grad(syn_problem_ws *ws, size_t i) { return ws->dcalls + i * ws->p->nfree; }

static int is_stop_time(const arm_ws *a, double t) {
  for (size_t e = 0; e < a->sched.nevents; e++)
    if (a->sched.events[e].t == t) return 1;
  return 0;
}

/* Point i of call c (0: t1 or the metric's point; 1: t2 of change). */
static double grad_point(const syn_problem_ws *ws, size_t c, int which) {
  const syn_probe *pr = &ws->gprobe[c];
  switch (pr->kind) {
    case PROBE_AT: return pr->t1;
    case PROBE_CHANGE: return which == 0 ? pr->t1 : pr->t2;
    case PROBE_AUC: return (double)NAN;
    case PROBE_TIME_BELOW:
    case PROBE_TIME_ABOVE:
    case PROBE_MAX:
    case PROBE_MIN:
    case PROBE_TMAX:
    case PROBE_TMIN: return which == 0 ? ws->call_where[c] : (double)NAN;
  }
  return (double)NAN;
}

/* The gradient of call c's value at its point t (interpolated, or at a jump
 * or the start with S given). `side` 0: the left limit at a dose time (from
 * the step), 1: after the dose (or the start). */
static syn_status take_point(syn_problem_ws *ws, size_t c, int which, double t, const double *y,
                             double *const *S, int side, syn_error *err) {
  const syn_problem *p = ws->p;
  const syn_probe *pr = &ws->gprobe[c];
  arm_ws *a = ws->cur;
  double x = 0.0, *g = ws->gtmp;
  syn_status st = point_grad(ws, pr->series, t, y, S, g, &x, err);
  if (st != SYN_OK) return st;
  double *out = call_grad(ws, c);
  size_t ns = ws->ns;
  switch (pr->kind) {
    case PROBE_AT:
      if (side == 1 || !is_stop_time(a, t)) memcpy(out, g, ns * sizeof *g);
      ws->gdone[2 * c] = 1;
      return SYN_OK;
    case PROBE_CHANGE: {
      if (!(side == 1 || !is_stop_time(a, t))) return SYN_OK;
      /* store g at t1 in out, then the quotient rule once t2 is known */
      if (which == 0) {
        memcpy(out, g, ns * sizeof *g);
        ws->gx1[c] = x;
        ws->gdone[2 * c] = 1;
      } else {
        double v1 = ws->gx1[c], v2 = x;
        for (size_t k = 0; k < ns; k++)
          out[k] = 100.0 * (g[k] * v1 - v2 * out[k]) / (v1 * v1);
        ws->gdone[2 * c + 1] = 1;
      }
      return SYN_OK;
    }
    case PROBE_MAX:
    case PROBE_MIN: {
      /* at a dose time the extreme is the value before or after the dose:
       * the side whose value is the metric's */
      double dist = fabs(x - ws->calls[c]);
      if (ws->gdone[2 * c] && !(dist < ws->gdist[c])) return SYN_OK;
      ws->gdist[c] = dist;
      memcpy(out, g, ns * sizeof *g);
      ws->gdone[2 * c] = 1;
      return SYN_OK;
    }
    case PROBE_TMAX:
    case PROBE_TMIN:
    case PROBE_TIME_BELOW:
    case PROBE_TIME_ABOVE: {
      ws->gdone[2 * c] = 1;
      int crossing = pr->kind == PROBE_TIME_BELOW || pr->kind == PROBE_TIME_ABOVE;
      /* a point fixed by the window or a dose does not move with theta */
      if (t == pr->t1 || t == pr->t2 || is_stop_time(a, t)) {
        for (size_t k = 0; k < ns; k++) out[k] = 0.0;
        return SYN_OK;
      }
      if (side == 1) return SYN_OK; /* the start (then t == t1) */
      if (crossing) {
        double rate = 0.0;
        st = syn_solver_interpolate_deriv(a->solver, t, 1, ws->ydot, err);
        if (st == SYN_OK) st = series_rate(ws, pr->series, t, y, ws->ydot, &rate, err);
        for (size_t k = 0; st == SYN_OK && k < ns; k++) out[k] = -g[k] / rate;
        return st;
      }
      /* tmax/tmin of a state: d(t*)/dtheta = -(ds/dt) / (d2x/dt2) at t* */
      if (pr->series >= p->nstates || syn_solver_interp_degree(a->solver) < 2) {
        for (size_t k = 0; k < ns; k++) out[k] = (double)NAN;
        return SYN_OK;
      }
      st = syn_solver_interpolate_deriv(a->solver, t, 2, ws->yddot, err);
      if (st == SYN_OK) st = syn_solver_sens_get(a->solver, t, 1, ws->Sdp, err);
      for (size_t k = 0; st == SYN_OK && k < ns; k++)
        out[k] = -ws->Sdp[k][pr->series] / ws->yddot[pr->series];
      return st;
    }
    case PROBE_AUC: return SYN_OK;
  }
  return SYN_OK;
}

/* The window of area call i clipped to the step: lo < hi when it overlaps. */
static void auc_span(const syn_probe *pr, double t_prev, double t_now, double *lo, double *hi) {
  *lo = fmax(t_prev, pr->t1);
  *hi = fmin(t_now, pr->t2);
}

/* The areas over the step by 3-point Gauss-Legendre. The calls whose windows
 * clip the step alike share its points: the states and the sensitivities
 * are interpolated once per point for all of them (each call still adds its
 * three terms in the same order). */
static syn_status grad_areas(const syn_solver *s, double t_prev, double t_now,
                             syn_problem_ws *ws, syn_error *err) {
  static const double node = 0.77459666924148337704;
  static const double wq[3] = {5.0 / 9.0, 8.0 / 9.0, 5.0 / 9.0};
  syn_status st = SYN_OK;
  for (size_t c = 0; c < ws->ngcalls && st == SYN_OK; c++) {
    const syn_probe *pr = &ws->gprobe[ws->gcall[c]];
    double lo, hi, lo2, hi2;
    if (pr->kind != PROBE_AUC) continue;
    auc_span(pr, t_prev, t_now, &lo, &hi);
    if (!(lo < hi)) continue;
    int done = 0; /* an earlier call with this span did them all */
    for (size_t b = 0; b < c && !done; b++) {
      const syn_probe *pb = &ws->gprobe[ws->gcall[b]];
      auc_span(pb, t_prev, t_now, &lo2, &hi2);
      done = pb->kind == PROBE_AUC && lo2 == lo && hi2 == hi;
    }
    if (done) continue;
    double mid = 0.5 * (lo + hi), h = 0.5 * (hi - lo);
    const double tq[3] = {mid - node * h, mid, mid + node * h};
    for (int q = 0; q < 3 && st == SYN_OK; q++) {
      st = syn_solver_interpolate(s, tq[q], ws->yy, err);
      if (st == SYN_OK) st = syn_solver_sens_get(s, tq[q], 0, ws->Sbp, err);
      for (size_t d = c; d < ws->ngcalls && st == SYN_OK; d++) {
        size_t i = ws->gcall[d];
        const syn_probe *pd = &ws->gprobe[i];
        double x;
        if (pd->kind != PROBE_AUC) continue;
        auc_span(pd, t_prev, t_now, &lo2, &hi2);
        if (lo2 != lo || hi2 != hi) continue;
        st = point_grad(ws, pd->series, tq[q], ws->yy, ws->Sbp, ws->gtmp, &x, err);
        for (size_t k = 0; st == SYN_OK && k < ws->ns; k++)
          call_grad(ws, i)[k] += h * wq[q] * ws->gtmp[k];
      }
    }
  }
  return st;
}

/* Every point of the calls inside (t_prev, t_now] (the left limit at a dose
 * at t_now), and the areas over the step (grad_areas). */
static syn_status grad_step(const syn_solver *s, double t_prev, double t_now, void *ctx,
                            syn_error *err) {
  syn_problem_ws *ws = ctx;
  syn_status st = grad_areas(s, t_prev, t_now, ws, err);
  for (size_t c = 0; c < ws->ngcalls && st == SYN_OK; c++) {
    size_t i = ws->gcall[c];
    const syn_probe *pr = &ws->gprobe[i];
    if (pr->kind == PROBE_AUC) continue;
    for (int which = 0; which < 2 && st == SYN_OK; which++) {
      double t = grad_point(ws, i, which);
      if (!(t > t_prev && t <= t_now)) continue;
      if (pr->kind != PROBE_MAX && pr->kind != PROBE_MIN && ws->gdone[2 * i + which]) continue;
      st = syn_solver_interpolate(s, t, ws->yy, err);
      if (st == SYN_OK) st = syn_solver_sens_get(s, t, 0, ws->Sbp, err);
      if (st == SYN_OK) st = take_point(ws, i, which, t, ws->yy, ws->Sbp, 0, err);
    }
  }
  return st;
}

/* The jump at t of series `series` made by the boluses of the doses whose
 * time is free parameter sel[k] (0 when none moves here). */
static syn_status moved_jump(syn_problem_ws *ws, size_t k, size_t series, double t,
                             const double *y, double *jump, syn_error *err) {
  const syn_problem *p = ws->p;
  arm_ws *a = ws->cur;
  int any = 0;
  memset(ws->yy, 0, p->nstates * sizeof *ws->yy);
  for (size_t e = ws->ev_lo; e < a->next; e++) {
    const scn_event *ev = &a->sched.events[e];
    if (ev->kind != SCN_BOLUS || !is_dose_param(p, a, ws->sel[k], ev->dose, 1)) continue;
    ws->yy[a->arm->doses[ev->dose].state] += a->amount[ev->dose] * a->dose_scale[ev->dose];
    any = 1;
  }
  *jump = 0.0;
  if (!any) return SYN_OK;
  if (series < p->nstates) {
    *jump = ws->yy[series];
    return SYN_OK;
  }
  /* an output: its value after minus before */
  for (size_t i = 0; i < p->nstates; i++) ws->ydot[i] = y[i] - ws->yy[i];
  double *before = ws->values + p->nstates, *after = ws->at_y + p->nstates;
  syn_status st = syn_instance_outputs(a->inst, t, ws->ydot, before, err);
  if (st == SYN_OK) st = syn_instance_outputs(a->inst, t, y, after, err);
  *jump = after[series - p->nstates] - before[series - p->nstates];
  return st;
}

/* An area over a window that a moving bolus crosses: by Leibniz's rule its
 * derivative has, besides the integral of the sensitivity, minus the jump
 * for every unit the bolus moves later. */
static syn_status grad_area_jumps(syn_problem_ws *ws, double t, const double *y,
                                  syn_error *err) {
  syn_status st = SYN_OK;
  for (size_t c = 0; c < ws->ngcalls && st == SYN_OK; c++) {
    size_t i = ws->gcall[c];
    const syn_probe *pr = &ws->gprobe[i];
    if (pr->kind != PROBE_AUC || !(t > pr->t1 && t < pr->t2)) continue;
    for (size_t k = 0; k < ws->ns && st == SYN_OK; k++) {
      double jump = 0.0;
      st = moved_jump(ws, k, pr->series, t, y, &jump, err);
      call_grad(ws, i)[k] -= jump;
    }
  }
  return st;
}

/* At the start (side 1) or after the doses at t: the points there. */
static syn_status grad_jump(syn_problem_ws *ws, double t, const double *y, double *const *S,
                            syn_error *err) {
  syn_status st = grad_area_jumps(ws, t, y, err);
  for (size_t c = 0; c < ws->ngcalls && st == SYN_OK; c++) {
    size_t i = ws->gcall[c];
    for (int which = 0; which < 2 && st == SYN_OK; which++)
      if (grad_point(ws, i, which) == t) st = take_point(ws, i, which, t, y, S, 1, err);
  }
  return st;
}

syn_status problem_grad_start(syn_problem_ws *ws, double t0, syn_error *err) {
  ws->ev_lo = ws->cur->next = 0;
  /* a dose at the start comes first: its jump takes the points there */
  for (size_t e = 0; e < ws->cur->sched.nevents; e++)
    if (ws->cur->sched.events[e].t == t0) return SYN_OK;
  return grad_jump(ws, t0, ws->y0, ws->S0p, err);
}

syn_status problem_grad_hook(const syn_solver *s, double t_prev, double t_now, void *ctx,
                             syn_error *err) {
  syn_problem_ws *ws = ctx;
  return ws->grad ? grad_step(s, t_prev, t_now, ctx, err) : SYN_OK;
}

/* ---- the metrics' formulas: forward-mode derivative over their calls ---------------------- */

typedef struct dual {
  double v, d;
} dual;

static dual dual_eval(const syn_scenario *s, const ast_expr *e, const double *values,
                      const double *dcalls, size_t stride, size_t k) {
  dual r = {(double)NAN, (double)NAN};
  switch (e->kind) {
    case AST_NUM: return (dual){e->u.num.value, 0.0};
    case AST_UNARY: {
      dual a = dual_eval(s, e->u.unary.a, values, dcalls, stride, k);
      return (dual){-a.v, -a.d};
    }
    case AST_BINARY: {
      dual a = dual_eval(s, e->u.binary.a, values, dcalls, stride, k);
      dual b = dual_eval(s, e->u.binary.b, values, dcalls, stride, k);
      switch (e->u.binary.op) {
        case AST_ADD: return (dual){a.v + b.v, a.d + b.d};
        case AST_SUB: return (dual){a.v - b.v, a.d - b.d};
        case AST_MUL: return (dual){a.v * b.v, a.d * b.v + a.v * b.d};
        case AST_DIV: return (dual){a.v / b.v, (a.d * b.v - a.v * b.d) / (b.v * b.v)};
        case AST_POW: {
          double v = pow(a.v, b.v);
          double d = b.v * pow(a.v, b.v - 1.0) * a.d;
          if (b.d != 0.0) d += v * log(a.v) * b.d;
          return (dual){v, d};
        }
        default: return r;
      }
    }
    case AST_CALL:
      for (size_t i = 0; i < s->ncalls; i++)
        if (s->calls[i].node == e) return (dual){values[i], dcalls[i * stride + k]};
      return r;
    default: return r;
  }
}

void problem_grad_metrics(syn_problem_ws *ws) {
  const syn_problem *p = ws->p;
  const syn_scenario *s = p->s;
  for (size_t m = 0; m < s->nmetrics; m++)
    for (size_t k = 0; k < ws->ns; k++)
      ws->dmetrics[m * ws->ns + k] =
          dual_eval(s, s->metrics[m].value, ws->calls, ws->dcalls, p->nfree, k).d;
}
