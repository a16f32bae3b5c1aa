/* synovia — forward sensitivities across events: the jump conditions
 * (model layer; docs/sensitivities.md § Events).
 *
 * An event triggered at tau by the root g(x, p, t) = 0 of its condition,
 * executed at tau_e = tau + delay with the values v = h(x, p, t) of its
 * assignments (at the trigger, or at the execution), moves with the free
 * parameters p. For each sensitivity s = dx/dp_k:
 *
 *   dtau/dp   = -(dg/dx s + dg/dp) / (dg/dx f + dg/dt)     (a root crossing)
 *   dtau_e/dp = dtau/dp + d(delay)/dp (total, at the trigger)
 *   dv/dp     = dh/dx (s + f dtau) + dh/dt dtau + dh/dp     (total, where evaluated)
 *   s+        = dv/dp - f+ dtau_e/dp        (an assigned state)
 *   s+        = s- + (f- - f+) dtau_e/dp    (a state not assigned)
 *
 * with f-/f+ the rates just before/after the execution. A trigger that is
 * no crossing (at the start, after a dose, in a cascade after another
 * execution) happens at a time that moves as the current one does: dtau/dp
 * is the shift of the last execution at this time (0 at the start or a dose).
 * The derivatives are the model compiler's (psens.c); the values are stored
 * per pending execution alongside the queue's own (event.c moves both).
 * Everything is allocated by syn_psens_events_attach; nothing here
 * allocates per event. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "model/model_impl.h"

struct ev_sens {
  syn_psens_work *w;
  size_t ns, cap_ns;
  double *const *S;  /* ns x n: the solver's sensitivities at the current time */
  const long *col;   /* ns: the free parameter (psens column) of each, or -1 */
  double *fm, *fp;   /* n: the rates before and after an execution */
  double *dtau;      /* cap_ns: the shift of the current time */
  double *pend;      /* ev.cap x (max_assigns + 1) x cap_ns: dv/dp, then dtau_e/dp */
};

void syn_event_sens_free(syn_instance *inst) {
  struct ev_sens *es = inst->ev.sens;
  if (es == NULL) return;
  syn_free(es->fm);
  syn_free(es->fp);
  syn_free(es->dtau);
  syn_free(es->pend);
  syn_free(es);
  inst->ev.sens = NULL;
}

/* Row a (an assignment; max_assigns: the execution's shift) of pending slot k. */
static double *slot_row(const syn_instance *inst, size_t k, size_t a) {
  const struct ev_sens *es = inst->ev.sens;
  return es->pend + (k * (inst->m->max_assigns + 1) + a) * es->cap_ns;
}

static syn_status grow(syn_instance *inst, size_t ns, syn_error *err) {
  struct ev_sens *es = inst->ev.sens;
  size_t n = inst->m->nsym[SYN_SYM_STATE];
  if (es->fm == NULL) es->fm = syn_calloc(n + 1, sizeof *es->fm);
  if (es->fp == NULL) es->fp = syn_calloc(n + 1, sizeof *es->fp);
  if (ns > es->cap_ns || es->dtau == NULL) {
    syn_free(es->dtau);
    syn_free(es->pend);
    es->cap_ns = ns > 0 ? ns : 1;
    es->dtau = syn_calloc(es->cap_ns, sizeof *es->dtau);
    es->pend = syn_calloc((inst->ev.cap + 1) * (inst->m->max_assigns + 1) * es->cap_ns,
                          sizeof *es->pend);
  }
  if (es->fm == NULL || es->fp == NULL || es->dtau == NULL || es->pend == NULL)
    return syn_error_set(err, SYN_ENOMEM, "out of memory for the sensitivities across events");
  return SYN_OK;
}

syn_status syn_psens_events_check(const syn_psens *ps, syn_error *err) {
  const syn_model *m = syn_psens_model(ps);
  for (size_t e = 0; e < m->nevents; e++)
    for (size_t a = 0; a < m->events[e].nassigns; a++) {
      if (m->events[e].assigns[a].kind == SYN_SYM_STATE) continue;
      syn_status st = syn_error_set(err, SYN_EINVAL, "sensitivities across event '%s' are not "
                                    "supported: it assigns %s '%s' (only states so far)",
                                    m->events[e].name,
                                    syn_kind_noun(m->events[e].assigns[a].kind),
                                    m->events[e].decl->assigns[a].name);
      syn_error_hint(err, "fit with optimizer bobyqa (it needs no gradient), or assign a state "
                          "the right-hand side reads instead of the parameter");
      return st;
    }
  return SYN_OK;
}

syn_status syn_psens_events_attach(syn_psens_work *w, syn_instance *inst, size_t ns,
                                   double *const *S, const long *col, syn_error *err) {
  if (w == NULL || inst == NULL || (ns > 0 && (S == NULL || col == NULL)))
    return syn_error_set(err, SYN_EINVAL, "syn_psens_events_attach: no workspace, instance or "
                                          "sensitivities");
  if (syn_psens_work_instance(w) != inst)
    return syn_error_set(err, SYN_EINVAL, "the workspace was not prepared from this instance "
                                          "(syn_psens_prepare after syn_instance_prepare)");
  if (inst->m->nevents == 0) return SYN_OK;
  if (inst->ev.sens == NULL) inst->ev.sens = syn_calloc(1, sizeof *inst->ev.sens);
  if (inst->ev.sens == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  syn_status st = grow(inst, ns, err);
  if (st != SYN_OK) return st;
  struct ev_sens *es = inst->ev.sens;
  es->w = w;
  es->ns = ns;
  es->S = S;
  es->col = col;
  memset(es->dtau, 0, es->cap_ns * sizeof *es->dtau);
  return SYN_OK;
}

void syn_psens_events_detach(syn_instance *inst) {
  if (inst != NULL && inst->ev.sens != NULL) inst->ev.sens->ns = 0;
}

static int active(const syn_instance *inst) {
  return inst->ev.sens != NULL && inst->ev.sens->ns > 0;
}

void syn_event_sens_begin(syn_instance *inst) {
  if (active(inst)) memset(inst->ev.sens->dtau, 0, inst->ev.sens->ns * sizeof *inst->ev.sens->dtau);
}

void syn_event_sens_move(struct ev_sens *es, size_t to, size_t from, size_t width) {
  if (es == NULL || es->pend == NULL || to == from) return;
  width *= es->cap_ns;
  memcpy(es->pend + to * width, es->pend + from * width, width * sizeof *es->pend);
}

/* "WHAT at t = 5 h". */
static syn_status sens_error(const syn_instance *inst, double t, syn_error *err, const char *what,
                             const char *hint) {
  const syn_model *m = inst->m;
  syn_status st = syn_error_set(err, SYN_ENONFINITE, "%s at t = %g%s%s", what, t,
                                m->time_unit[0] ? " " : "", m->time_unit);
  syn_error_hint(err, "%s", hint);
  return st;
}

/* The events' derivatives and the rates f at (t, y). */
static syn_status derivs_at(syn_instance *inst, size_t e, double t, const double *y, double *f,
                            syn_error *err) {
  char what[SYN_ERROR_MSG_MAX];
  syn_vm_io io = {.t = t, .y = y, .out = f};
  if (syn_psens_event_eval(inst->ev.sens->w, t, y) && syn_vm_run(&inst->m->rhs, inst->reg, &io))
    return SYN_OK;
  snprintf(what, sizeof what, "the derivatives of event '%s' or the rates are not finite",
           inst->m->events[e].name);
  return sens_error(inst, t, err, what, "the sensitivities need finite derivatives of the "
                                        "condition and the assigned values there");
}

/* The root function of event e that a crossing has just forced, or -1. */
static long crossed_root(const syn_instance *inst, size_t e) {
  const syn_model *m = inst->m;
  const model_event *me = &m->events[e];
  for (size_t k = 0; k < me->ncop; k++) {
    const cond_op *op = &m->cond_ops[me->cop0 + k];
    if (op->op == SYN_OP_NOT || op->op == SYN_OP_AND || op->op == SYN_OP_OR) continue;
    if (inst->ev.force[op->root] != 0) return (long)op->root;
  }
  return -1;
}

/* The values' total derivatives into slot k (at the trigger or the execution). */
static void values_sens(syn_instance *inst, size_t e, size_t k) {
  struct ev_sens *es = inst->ev.sens;
  const model_event *me = &inst->m->events[e];
  size_t row0 = inst->m->nroots + me->val0 + 2;
  const double *dte = slot_row(inst, k, inst->m->max_assigns);
  for (size_t a = 0; a < me->nassigns; a++) {
    double *dv = slot_row(inst, k, a);
    for (size_t j = 0; j < es->ns; j++)
      dv[j] = syn_psens_event_row(es->w, row0 + a, es->S[j], es->fm, dte[j], es->col[j]);
  }
}

syn_status syn_event_sens_trigger(syn_instance *inst, size_t e, size_t k, double t,
                                  const double *y, syn_error *err) {
  if (!active(inst)) return SYN_OK;
  struct ev_sens *es = inst->ev.sens;
  const syn_model *m = inst->m;
  const model_event *me = &m->events[e];
  syn_status st = derivs_at(inst, e, t, y, es->fm, err);
  if (st != SYN_OK) return st;
  long r = crossed_root(inst, e);
  double rate = r >= 0 ? syn_psens_event_row(es->w, (size_t)r, NULL, es->fm, 1.0, -1) : 0.0;
  if (r >= 0 && !(fabs(rate) > 0 && isfinite(rate))) {
    char what[SYN_ERROR_MSG_MAX];
    snprintf(what, sizeof what, "event '%s' fires where its condition touches its root without "
             "crossing it (d/dt (lhs - rhs) = %g)", me->name, syn_shown(rate));
    return sens_error(inst, t, err, what, "the event time then has no derivative in the "
                                          "parameters; sensitivities need a transversal crossing");
  }
  double *dte = slot_row(inst, k, m->max_assigns);
  for (size_t j = 0; j < es->ns; j++)
    dte[j] = r >= 0 ? -syn_psens_event_row(es->w, (size_t)r, es->S[j], NULL, 0.0, es->col[j]) / rate
                    : es->dtau[j];
  /* values at the trigger move with tau; the delay, evaluated there too,
   * adds its total derivative: dte becomes dtau_e */
  if (!(me->flags & AST_EVENT_AT_EXECUTION)) values_sens(inst, e, k);
  for (size_t j = 0; j < es->ns; j++)
    dte[j] += syn_psens_event_row(es->w, m->nroots + me->val0, es->S[j], es->fm, dte[j], es->col[j]);
  return SYN_OK;
}

syn_status syn_event_sens_before(syn_instance *inst, size_t k, double t, const double *y,
                                 syn_error *err) {
  if (!active(inst)) return SYN_OK;
  size_t e = inst->ev.pend[k].event;
  syn_status st = derivs_at(inst, e, t, y, inst->ev.sens->fm, err);
  if (st == SYN_OK && (inst->m->events[e].flags & AST_EVENT_AT_EXECUTION)) values_sens(inst, e, k);
  return st;
}

syn_status syn_event_sens_after(syn_instance *inst, size_t k, double t, const double *y,
                                syn_error *err) {
  if (!active(inst)) return SYN_OK;
  struct ev_sens *es = inst->ev.sens;
  const syn_model *m = inst->m;
  const model_event *me = &m->events[inst->ev.pend[k].event];
  size_t n = m->nsym[SYN_SYM_STATE];
  syn_vm_io io = {.t = t, .y = y, .out = es->fp};
  if (!syn_vm_run(&m->rhs, inst->reg, &io)) {
    char what[SYN_ERROR_MSG_MAX];
    snprintf(what, sizeof what, "the rates are not finite just after event '%s'", me->name);
    return sens_error(inst, t, err, what, "the sensitivities' jump needs the rates there");
  }
  const double *dte = slot_row(inst, k, m->max_assigns);
  for (size_t j = 0; j < es->ns; j++) {
    double *s = es->S[j];
    for (size_t i = 0; i < n; i++) s[i] += (es->fm[i] - es->fp[i]) * dte[j];
    for (size_t a = 0; a < me->nassigns; a++) {
      size_t i = me->assigns[a].index;
      s[i] = slot_row(inst, k, a)[j] - es->fp[i] * dte[j];
    }
    es->dtau[j] = dte[j]; /* a cascade from here moves with this execution */
  }
  return SYN_OK;
}
