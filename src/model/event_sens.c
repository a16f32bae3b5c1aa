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
 * with f-/f+ the rates just before/after the execution. A constant q an
 * event assigns (a parameter, a compartment) is piecewise constant: its
 * sensitivity jumps to dv/dp, kept as dq = dv/dp - (what the compiled parts
 * count for q: its derivative through its definition at the start), which
 * the rhs, the outputs (psens.c, syn_psens_events_add) and the rows above
 * (syn_psens_event_row) add through their columns in q. After such an
 * execution the workspace's registers follow the instance's. A trigger that is
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
  size_t nq;         /* the constants events assign (psens.c) */
  double *dq;        /* cap_ns x nq: dq/dp now minus at the start (what the parts count) */
  syn_psens_exec_fn watch;
  void *watch_ctx;
};

void syn_event_sens_free(syn_instance *inst) {
  struct ev_sens *es = inst->ev.sens;
  if (es == NULL) return;
  syn_free(es->fm);
  syn_free(es->fp);
  syn_free(es->dtau);
  syn_free(es->pend);
  syn_free(es->dq);
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
  if (ns > es->cap_ns || es->dtau == NULL || es->dq == NULL) {
    syn_free(es->dtau);
    syn_free(es->pend);
    syn_free(es->dq);
    es->cap_ns = ns > 0 ? ns : 1;
    es->dtau = syn_calloc(es->cap_ns, sizeof *es->dtau);
    es->pend = syn_calloc((inst->ev.cap + 1) * (inst->m->max_assigns + 1) * es->cap_ns,
                          sizeof *es->pend);
    es->dq = syn_calloc(es->cap_ns * es->nq + 1, sizeof *es->dq);
  }
  if (es->fm == NULL || es->fp == NULL || es->dtau == NULL || es->pend == NULL || es->dq == NULL)
    return syn_error_set(err, SYN_ENOMEM, "out of memory for the sensitivities across events");
  return SYN_OK;
}

syn_status syn_psens_events_check(const syn_psens *ps, syn_error *err) {
  const syn_model *m = syn_psens_model(ps);
  long c = -1, q = -1;
  if (!syn_psens_q_conflict(ps, &c, &q)) return SYN_OK;
  for (size_t e = 0; e < m->nevents; e++)
    for (size_t a = 0; a < m->events[e].nassigns; a++) {
      if (m->events[e].assigns[a].kind == SYN_SYM_STATE ||
          m->events[e].assigns[a].index != (uint32_t)q)
        continue;
      syn_status st = syn_error_set(err, SYN_EINVAL, "sensitivities across event '%s' are not "
                                    "supported: it assigns '%s', which the definition of '%s' "
                                    "reads", m->events[e].name, m->events[e].decl->assigns[a].name,
                                    syn_psens_const_name(m, (size_t)c));
      syn_error_hint(err, "make '%s' a free parameter, or fit with optimizer bobyqa (it needs no "
                          "gradient)", syn_psens_const_name(m, (size_t)c));
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
  struct ev_sens *es = inst->ev.sens;
  size_t nq = syn_psens_q_count(syn_psens_work_psens(w));
  if (nq != es->nq) { /* another syn_psens: its own constants */
    syn_free(es->dq);
    es->dq = NULL;
    es->nq = nq;
  }
  syn_status st = grow(inst, ns, err);
  if (st != SYN_OK) return st;
  es->w = w;
  es->ns = ns;
  es->S = S;
  es->col = col;
  es->watch = NULL;
  memset(es->dtau, 0, es->cap_ns * sizeof *es->dtau);
  memset(es->dq, 0, es->cap_ns * es->nq * sizeof *es->dq);
  return SYN_OK;
}

void syn_psens_events_watch(syn_instance *inst, syn_psens_exec_fn fn, void *ctx) {
  if (inst == NULL || inst->ev.sens == NULL) return;
  inst->ev.sens->watch = fn;
  inst->ev.sens->watch_ctx = ctx;
}

void syn_psens_events_detach(syn_instance *inst) {
  if (inst != NULL && inst->ev.sens != NULL) inst->ev.sens->ns = 0;
}

static int active(const syn_instance *inst) {
  return inst->ev.sens != NULL && inst->ev.sens->ns > 0;
}

/* Sensitivity k's shifts of the assigned constants, NULL when none. */
static const double *shifts(const syn_psens_work *w, size_t k) {
  const syn_instance *inst = syn_psens_work_instance(w);
  const struct ev_sens *es = inst != NULL ? inst->ev.sens : NULL;
  return es != NULL && es->w == w && k < es->ns && es->nq > 0 ? es->dq + k * es->nq : NULL;
}

syn_status syn_psens_events_eval(syn_psens_work *w, syn_psens_part part, double t,
                                 const double *y, syn_error *err) {
  return shifts(w, 0) != NULL ? syn_psens_q_eval(w, part, t, y, err) : SYN_OK;
}

void syn_psens_events_add(const syn_psens_work *w, syn_psens_part part, size_t k, size_t first,
                          size_t count, double *out) {
  const double *dq = shifts(w, k);
  if (dq != NULL) syn_psens_q_add(w, part, dq, first, count, out);
}

/* At the start of a run the constants are the instance's again (event.c):
 * no shift yet, and the workspace's registers from them. */
void syn_event_sens_begin(syn_instance *inst, int start) {
  if (!active(inst)) return;
  struct ev_sens *es = inst->ev.sens;
  memset(es->dtau, 0, es->ns * sizeof *es->dtau);
  if (start && es->nq > 0) {
    memset(es->dq, 0, es->ns * es->nq * sizeof *es->dq);
    syn_psens_refresh(es->w);
  }
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

static const double *dq_of(const struct ev_sens *es, size_t j) {
  return es->nq > 0 ? es->dq + j * es->nq : NULL;
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
      dv[j] = syn_psens_event_row(es->w, row0 + a, es->S[j], es->fm, dte[j], es->col[j], dq_of(es, j));
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
  double rate = r >= 0 ? syn_psens_event_row(es->w, (size_t)r, NULL, es->fm, 1.0, -1, NULL) : 0.0;
  if (r >= 0 && !(fabs(rate) > 0 && isfinite(rate))) {
    char what[SYN_ERROR_MSG_MAX];
    snprintf(what, sizeof what, "event '%s' fires where its condition touches its root without "
             "crossing it (d/dt (lhs - rhs) = %g)", me->name, syn_shown(rate));
    return sens_error(inst, t, err, what, "the event time then has no derivative in the "
                                          "parameters; sensitivities need a transversal crossing");
  }
  double *dte = slot_row(inst, k, m->max_assigns);
  for (size_t j = 0; j < es->ns; j++)
    dte[j] = r >= 0 ? -syn_psens_event_row(es->w, (size_t)r, es->S[j], NULL, 0.0, es->col[j],
                                           dq_of(es, j)) / rate
                    : es->dtau[j];
  /* values at the trigger move with tau; the delay, evaluated there too,
   * adds its total derivative: dte becomes dtau_e */
  if (!(me->flags & AST_EVENT_AT_EXECUTION)) values_sens(inst, e, k);
  for (size_t j = 0; j < es->ns; j++)
    dte[j] += syn_psens_event_row(es->w, m->nroots + me->val0, es->S[j], es->fm, dte[j],
                                  es->col[j], dq_of(es, j));
  return SYN_OK;
}

syn_status syn_event_sens_before(syn_instance *inst, size_t k, double t, const double *y,
                                 syn_error *err) {
  if (!active(inst)) return SYN_OK;
  size_t e = inst->ev.pend[k].event;
  struct ev_sens *es = inst->ev.sens;
  syn_status st = derivs_at(inst, e, t, y, es->fm, err);
  if (st == SYN_OK && (inst->m->events[e].flags & AST_EVENT_AT_EXECUTION)) values_sens(inst, e, k);
  if (st == SYN_OK && es->watch != NULL) st = es->watch(es->watch_ctx, 0, t, y, NULL, err);
  return st;
}

/* An assigned constant's new shift: its value's total derivative minus what
 * the parts count for it (its derivative through the definitions). */
static void constants_after(struct ev_sens *es, const syn_instance *inst, size_t k) {
  const model_event *me = &inst->m->events[inst->ev.pend[k].event];
  const syn_psens *ps = syn_psens_work_psens(es->w);
  for (size_t a = 0; a < me->nassigns; a++) {
    if (me->assigns[a].kind == SYN_SYM_STATE) continue;
    size_t q = (size_t)syn_psens_q_of(ps, me->assigns[a].index), row = syn_psens_q_row(ps, q);
    for (size_t j = 0; j < es->ns; j++)
      es->dq[j * es->nq + q] = slot_row(inst, k, a)[j] -
                               syn_psens_event_row(es->w, row, NULL, NULL, 0.0, es->col[j], NULL);
  }
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
      if (me->assigns[a].kind == SYN_SYM_STATE) s[i] = slot_row(inst, k, a)[j] - es->fp[i] * dte[j];
    }
    es->dtau[j] = dte[j]; /* a cascade from here moves with this execution */
  }
  if (es->nq > 0) {
    constants_after(es, inst, k);
    syn_psens_refresh(es->w); /* the constants this execution changed */
  }
  return es->watch != NULL ? es->watch(es->watch_ctx, 1, t, y, dte, err) : SYN_OK;
}
