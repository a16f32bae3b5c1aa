/* synovia — events at run time: triggers, the queue of pending executions,
 * priorities and cascades (model layer; docs/language.md §12).
 *
 * The solver finds the roots of the conditions' comparisons (ev_roots) and
 * calls syn_ode.events at each root, at each due execution, after each stop
 * (dose) and once at the start. There the conditions are evaluated (ev_conds):
 * one that went from false to true triggers its event, which is queued at
 * t + delay with its values (at the trigger, unless `values at execution`).
 * Then the due executions run one at a time, highest priority first (ties:
 * declaration order, then trigger order), re-evaluating the conditions after
 * each (new triggers join, transient executions whose condition turned false
 * leave) — SBML Level 3's rules. An assignment to a constant freezes every
 * constant at its current value (an event changes the one it names; the
 * others keep theirs, as SBML's initial assignments do) and reruns the
 * setup program, so lets and hoisted constants follow.
 *
 * Everything is allocated at instance creation; nothing here allocates. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "model/model_impl.h"

/* Executions at one time point before a cascade counts as endless; pending
 * executions per event (a delay longer than the time between triggers). */
enum { EV_CASCADE_MAX = 10000, EV_PENDING_PER_EVENT = 64, EV_LOG_MAX = 100000 };

int syn_events_alloc(syn_instance *inst) {
  const syn_model *m = inst->m;
  ev_state *ev = &inst->ev;
  if (m->nevents == 0) return 0;
  ev->cap = m->nevents * EV_PENDING_PER_EVENT;
  ev->log_cap = EV_LOG_MAX;
  ev->out = syn_calloc(m->nvals + 1, sizeof *ev->out);
  ev->g = syn_calloc(m->nroots + 1, sizeof *ev->g);
  ev->g_root = syn_calloc(m->nroots + 1, sizeof *ev->g_root);
  ev->force = syn_calloc(m->nroots + 1, 1);
  ev->stack = syn_calloc(m->ncond_ops + 1, 1);
  ev->prev = syn_calloc(m->nevents, 1);
  ev->pend = syn_calloc(ev->cap, sizeof *ev->pend);
  ev->pend_vals = syn_calloc(ev->cap * (m->max_assigns + 1), sizeof *ev->pend_vals);
  ev->pset = syn_malloc(m->nconst + 1);
  ev->pover = syn_calloc(m->nconst + 1, sizeof *ev->pover);
  ev->y0 = syn_calloc(m->nsym[SYN_SYM_STATE] + 1, sizeof *ev->y0);
  ev->log_t = syn_calloc(ev->log_cap, sizeof *ev->log_t);
  ev->log_event = syn_calloc(ev->log_cap, sizeof *ev->log_event);
  if (!ev->out || !ev->g || !ev->g_root || !ev->force || !ev->stack || !ev->prev || !ev->pend || !ev->pend_vals || !ev->pset ||
      !ev->pover || !ev->y0 || !ev->log_t || !ev->log_event)
    return -1;
  memset(ev->pset, 1, m->nconst + 1);
  return 0;
}

void syn_events_free(syn_instance *inst) {
  ev_state *ev = &inst->ev;
  syn_event_sens_free(inst);
  syn_free(ev->out);
  syn_free(ev->g);
  syn_free(ev->g_root);
  syn_free(ev->force);
  syn_free(ev->stack);
  syn_free(ev->prev);
  syn_free(ev->pend);
  syn_free(ev->pend_vals);
  syn_free(ev->pset);
  syn_free(ev->pover);
  syn_free(ev->y0);
  syn_free(ev->log_t);
  syn_free(ev->log_event);
  memset(ev, 0, sizeof *ev);
}

/* --- evaluation ------------------------------------------------------------- */

static int ev_roots(double t, const double *y, double *g, void *ctx) {
  syn_instance *inst = ctx;
  syn_vm_io io = {.t = t, .y = y, .out = g};
  syn_vm_run(&inst->m->ev_roots, inst->reg, &io);
  return 0; /* a NaN root function is no sign change: never an error here */
}

/* The root functions at (t, y). A root function a crossing has just forced
 * keeps the crossing's sign while its value stays the one at the root (an
 * execution that changes it, as a reset does, ends that): at the root CVODE
 * returns, lhs - rhs may be exactly 0 or a rounding short of the new side. */
static void eval_roots(syn_instance *inst, double t, const double *y) {
  ev_state *ev = &inst->ev;
  ev_roots(t, y, ev->g, inst);
  for (size_t r = 0; r < inst->m->nroots; r++)
    if (ev->force[r] != 0 && ev->g[r] != ev->g_root[r]) ev->force[r] = 0;
}

/* Event me's condition from the root functions (postfix, model_impl.h). */
static int cond_value(const syn_model *m, ev_state *ev, const model_event *me) {
  unsigned char *st = ev->stack;
  size_t top = 0;
  for (size_t k = 0; k < me->ncop; k++) {
    const cond_op *op = &m->cond_ops[me->cop0 + k];
    if (op->op == SYN_OP_NOT) {
      st[top - 1] = !st[top - 1];
    } else if (op->op == SYN_OP_AND || op->op == SYN_OP_OR) {
      top--;
      st[top - 1] = op->op == SYN_OP_AND ? (st[top - 1] && st[top]) : (st[top - 1] || st[top]);
    } else {
      double g = ev->force[op->root] != 0 ? (double)ev->force[op->root] : ev->g[op->root];
      st[top++] = syn_op_apply((syn_op)op->op, g, 0.0, 0.0) != 0.0;
    }
  }
  return top == 1 && st[0];
}

static void eval_vals(syn_instance *inst, double t, const double *y) {
  syn_vm_io io = {.t = t, .y = y, .out = inst->ev.out};
  syn_vm_run(&inst->m->ev_vals, inst->reg, &io);
}

/* "WHAT at t = 5 h": what[] already says what went wrong. */
static syn_status event_error(const syn_instance *inst, double t, syn_error *err,
                              const char *what) {
  const syn_model *m = inst->m;
  return syn_error_set(err, SYN_ENONFINITE, "%s at t = %g%s%s", what, t,
                       m->time_unit[0] ? " " : "", m->time_unit);
}

/* --- the queue -------------------------------------------------------------- */

static void drop_pending(ev_state *ev, size_t k, size_t width) {
  ev->npend--;
  if (k == ev->npend) return;
  ev->pend[k] = ev->pend[ev->npend];
  syn_event_sens_move(ev->sens, k, ev->npend, width);
  memcpy(&ev->pend_vals[k * width], &ev->pend_vals[ev->npend * width],
         width * sizeof *ev->pend_vals);
}

/* Queue event e triggered at t: its delay and (unless at execution) values now. */
static syn_status trigger(syn_instance *inst, size_t e, double t, const double *y,
                          syn_error *err) {
  const syn_model *m = inst->m;
  const model_event *me = &m->events[e];
  ev_state *ev = &inst->ev;
  size_t width = m->max_assigns + 1;
  eval_vals(inst, t, y);
  double delay = ev->out[me->val0];
  char what[SYN_ERROR_MSG_MAX];
  if (!(delay >= 0) || !isfinite(delay)) {
    snprintf(what, sizeof what, "the delay of event '%s' is %g (it must be finite and not "
             "negative)", me->name, syn_shown(delay));
    return event_error(inst, t, err, what);
  }
  if (ev->npend == ev->cap)
    return syn_error_set(err, SYN_ELIMIT, "event '%s' has too many pending executions (%zu) at "
                         "t = %g", me->name, ev->cap, t);
  ev->pend[ev->npend] = (ev_pending){.t = t + delay, .event = (uint32_t)e, .seq = ev->seq++};
  memcpy(&ev->pend_vals[ev->npend * width], &ev->out[me->val0 + 2],
         me->nassigns * sizeof *ev->pend_vals);
  ev->npend++;
  return syn_event_sens_trigger(inst, e, ev->npend - 1, t, y, err);
}

/* Conditions at (t, y): triggers on false -> true, cancels transient
 * executions whose condition is false. */
static syn_status check_conditions(syn_instance *inst, double t, const double *y,
                                   syn_error *err) {
  const syn_model *m = inst->m;
  ev_state *ev = &inst->ev;
  eval_roots(inst, t, y);
  for (size_t e = 0; e < m->nevents; e++) {
    unsigned char now = (unsigned char)cond_value(m, ev, &m->events[e]);
    unsigned char was = ev->prev[e];
    ev->prev[e] = now;
    if (now && !was) {
      syn_status st = trigger(inst, e, t, y, err);
      if (st != SYN_OK) return st;
    }
  }
  for (size_t k = ev->npend; k-- > 0;) {
    uint32_t e = ev->pend[k].event;
    if ((m->events[e].flags & AST_EVENT_TRANSIENT) && !ev->prev[e])
      drop_pending(ev, k, m->max_assigns + 1);
  }
  return SYN_OK;
}

/* The due execution to run first (priority evaluated now), or -1. */
static long next_due(syn_instance *inst, double t, const double *y) {
  const syn_model *m = inst->m;
  ev_state *ev = &inst->ev;
  long best = -1;
  double best_p = 0;
  int evaluated = 0;
  for (size_t k = 0; k < ev->npend; k++) {
    if (ev->pend[k].t > t) continue;
    if (!evaluated) eval_vals(inst, t, y);
    evaluated = 1;
    const ev_pending *pk = &ev->pend[k];
    const model_event *me = &m->events[pk->event];
    double p = me->has_priority ? ev->out[me->val0 + 1] : -HUGE_VAL;
    if (best >= 0) {
      const ev_pending *pb = &ev->pend[best];
      if (p < best_p || (p == best_p && (pk->event > pb->event ||
                                         (pk->event == pb->event && pk->seq > pb->seq))))
        continue;
    }
    best = (long)k;
    best_p = p;
  }
  return best;
}

/* --- execution --------------------------------------------------------------- */

/* New values of constants: every constant frozen at its current value (in
 * ev->pover: the instance's values at the first such execution of a run),
 * the assigned ones changed, and the setup program rerun, so lets and
 * hoisted constants follow. The instance's own values (inst->param, what
 * syn_instance_value reports) and initial values are not touched. */
static syn_status apply_constants(syn_instance *inst, const model_event *me, const double *v,
                                  double t, syn_error *err) {
  const syn_model *m = inst->m;
  ev_state *ev = &inst->ev;
  for (size_t a = 0; a < me->nassigns; a++)
    if (me->assigns[a].kind == SYN_SYM_COMPARTMENT && !(v[a] > 0)) {
      char what[SYN_ERROR_MSG_MAX];
      snprintf(what, sizeof what, "event '%s' makes compartment '%s' %g", me->name,
               me->decl->assigns[a].name, v[a]);
      return event_error(inst, t, err, what);
    }
  if (!ev->dirty) memcpy(ev->pover, inst->param, m->nconst * sizeof *ev->pover);
  for (size_t a = 0; a < me->nassigns; a++)
    if (me->assigns[a].kind != SYN_SYM_STATE) ev->pover[me->assigns[a].index] = v[a];
  /* SETP writes param[b] = over[b] here: the same array, the same values */
  syn_vm_io io = {.param = ev->pover, .pset = ev->pset, .pover = ev->pover, .y0 = ev->y0,
                  .yset = inst->yset, .yover = inst->yover};
  syn_vm_run(&m->setup, inst->reg, &io);
  ev->dirty = 1;
  return SYN_OK;
}

static void log_execution(ev_state *ev, double t, uint32_t e) {
  if (ev->nlog == ev->log_cap) {
    ev->log_dropped++;
    return;
  }
  ev->log_t[ev->nlog] = t;
  ev->log_event[ev->nlog++] = e;
}

/* Run pending execution k at t: values (kept or evaluated now), all
 * evaluated before any is applied. */
static syn_status execute(syn_instance *inst, size_t k, double t, double *y, syn_error *err) {
  const syn_model *m = inst->m;
  ev_state *ev = &inst->ev;
  size_t width = m->max_assigns + 1;
  const model_event *me = &m->events[ev->pend[k].event];
  double *v = &ev->pend_vals[k * width];
  if (me->flags & AST_EVENT_AT_EXECUTION) {
    eval_vals(inst, t, y);
    memcpy(v, &ev->out[me->val0 + 2], me->nassigns * sizeof *v);
  }
  for (size_t a = 0; a < me->nassigns; a++)
    if (!isfinite(v[a])) {
      char what[SYN_ERROR_MSG_MAX];
      snprintf(what, sizeof what, "event '%s' assigns %g to '%s'", me->name, syn_shown(v[a]),
               me->decl->assigns[a].name);
      return event_error(inst, t, err, what);
    }
  syn_status st = syn_event_sens_before(inst, k, t, y, err);
  if (st != SYN_OK) return st;
  log_execution(ev, t, ev->pend[k].event);
  int consts = 0;
  for (size_t a = 0; a < me->nassigns; a++) {
    if (me->assigns[a].kind == SYN_SYM_STATE) y[me->assigns[a].index] = v[a];
    else consts = 1;
  }
  st = consts ? apply_constants(inst, me, v, t, err) : SYN_OK;
  if (st == SYN_OK) st = syn_event_sens_after(inst, k, t, y, err);
  drop_pending(ev, k, width);
  return st;
}

/* Back to the instance's own constants after a run whose events changed some
 * (the registers; inst->param never changed). */
static void restore_constants(syn_instance *inst) {
  syn_vm_io io = {.param = inst->ev.pover, .pset = inst->pset, .pover = inst->pover,
                  .y0 = inst->ev.y0, .yset = inst->yset, .yover = inst->yover};
  syn_vm_run(&inst->m->setup, inst->reg, &io);
  inst->ev.dirty = 0;
}

static void start_run(syn_instance *inst) {
  const syn_model *m = inst->m;
  ev_state *ev = &inst->ev;
  if (ev->dirty) restore_constants(inst);
  ev->npend = 0;
  ev->seq = 0;
  ev->nlog = ev->log_dropped = 0;
  for (size_t e = 0; e < m->nevents; e++)
    ev->prev[e] = (m->events[e].flags & AST_EVENT_INITIALLY_FALSE) ? 0 : 1;
}

static double earliest_pending(const ev_state *ev) {
  double t = INFINITY;
  for (size_t k = 0; k < ev->npend; k++) t = fmin(t, ev->pend[k].t);
  return t;
}

/* syn_ode.events: everything due at t, cascades included. */
static syn_status ev_handle(double t, double *y, int start, const int *crossed, int *changed,
                            double *due, void *ctx, syn_error *err) {
  syn_instance *inst = ctx;
  ev_state *ev = &inst->ev;
  if (start) start_run(inst);
  syn_event_sens_begin(inst, start);
  if (crossed != NULL) ev_roots(t, y, ev->g_root, inst);
  for (size_t r = 0; r < inst->m->nroots; r++)
    ev->force[r] = (signed char)(crossed == NULL ? 0 : crossed[r] > 0 ? 1 : crossed[r] < 0 ? -1 : 0);
  syn_status st = check_conditions(inst, t, y, err);
  for (size_t n = 0; st == SYN_OK; n++) {
    long k = next_due(inst, t, y);
    if (k < 0) break;
    if (n == EV_CASCADE_MAX)
      return syn_error_set(err, SYN_ELIMIT, "events keep firing at t = %g: event '%s' and others "
                           "executed %d times without time advancing (an endless cascade)", t,
                           inst->m->events[inst->ev.pend[k].event].name, EV_CASCADE_MAX);
    st = execute(inst, (size_t)k, t, y, err);
    *changed = 1;
    if (st == SYN_OK) st = check_conditions(inst, t, y, err);
  }
  *due = earliest_pending(&inst->ev);
  return st;
}

void syn_events_fill_ode(syn_instance *inst, syn_ode *ode) {
  if (inst->m->nevents == 0) return;
  ode->nroots = inst->m->nroots;
  ode->roots = ev_roots;
  ode->events = ev_handle;
}

/* --- the public view ------------------------------------------------------------ */

size_t syn_model_event_count(const syn_model *m) { return m->nevents; }

const char *syn_model_event_name(const syn_model *m, size_t i) {
  return i < m->nevents ? m->events[i].name : NULL;
}

size_t syn_instance_event_log(const syn_instance *inst, const double **t, const uint32_t **event) {
  if (t) *t = inst->ev.log_t;
  if (event) *event = inst->ev.log_event;
  return inst->ev.nlog;
}
