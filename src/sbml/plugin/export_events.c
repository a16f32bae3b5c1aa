/* synovia — an arm's settings and doses in the exported SBML (sbml layer;
 * see export_impl.h).
 *
 * Settings replace values (and the initial assignment they replace), as a
 * scenario's `use`/`set` do before a run. Doses become events: one event per
 * dose time, triggered by `time >= T` (initialValue false, so a dose at the
 * start fires at the start; persistent), with one assignment per variable it
 * changes — a bolus adds amount × the route's scale to the target state, an
 * infusion adds amount / duration × scale to the state's input at its start
 * and takes it off at its end. Doses at the same time are one event because
 * SBML evaluates simultaneous events' assignments at the trigger time: two
 * events `X = X + a` and `X = X + b` at one time would give X + b, not
 * X + a + b. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/strbuf.h"
#include "export_impl.h"

/* --- settings ----------------------------------------------------------------------------- */

static int settable(syn_symkind k) {
  return k == SYN_SYM_COMPARTMENT || k == SYN_SYM_PARAM || k == SYN_SYM_STATE;
}

/* Every copy of a per-joint name without its joint; returns how many. */
static size_t set_copies(sbml_exporter *x, const char *name, double value) {
  size_t found = 0;
  for (int k = 0; k < SYN_SYM_KIND_COUNT; k++)
    for (size_t i = 0; settable((syn_symkind)k) && i < syn_model_count(x->m, (syn_symkind)k);
         i++) {
      const syn_symbol *sym = syn_model_symbol(x->m, (syn_symkind)k, i);
      if (sym->joint[0] == 0 || strcmp(sym->base, name) != 0) continue;
      x->set[k][i] = 1;
      x->value[k][i] = value;
      found++;
    }
  return found;
}

static syn_status set_name(sbml_exporter *x, const char *name, double value) {
  syn_symkind kind;
  size_t i;
  if (syn_model_find(x->m, name, &kind, &i)) {
    if (!settable(kind))
      return syn_error_set(x->err, SYN_EINVAL, "'%s' is computed (a let or an output): "
                                               "a setting cannot give its value", name);
    x->set[kind][i] = 1;
    x->value[kind][i] = value;
    return SYN_OK;
  }
  if (set_copies(x, name, value) > 0) return SYN_OK;
  return syn_error_set(x->err, SYN_EINVAL, "unknown name '%s' in a setting", name);
}

static syn_status use_preset(sbml_exporter *x, const char *preset) {
  const syn_model *m = x->m;
  for (size_t p = 0; p < syn_model_preset_count(m); p++) {
    if (strcmp(syn_model_preset_name(m, p), preset) != 0) continue;
    syn_status st = SYN_OK;
    for (size_t k = 0; st == SYN_OK && k < syn_model_preset_assign_count(m, p); k++) {
      const char *name = NULL;
      double value = syn_model_preset_assign(m, p, k, &name, NULL);
      st = set_name(x, name, value);
    }
    return st;
  }
  return syn_error_set(x->err, SYN_EINVAL, "unknown preset '%s'", preset);
}

/* A conditional dose's amount parameter: a parameter of the model, once. */
static syn_status take_amount_param(sbml_exporter *x, size_t k, const syn_sbml_dose *d) {
  syn_symkind kind;
  size_t i;
  if (!syn_model_find(x->m, d->amount_param, &kind, &i) || kind != SYN_SYM_PARAM)
    return syn_error_set(x->err, SYN_EINVAL, "dose %zu: '%s' is not a parameter of the model",
                         k + 1, d->amount_param);
  if (x->amount_of[i] != NULL)
    return syn_error_set(x->err, SYN_EINVAL, "dose %zu: parameter '%s' carries another dose",
                         k + 1, d->amount_param);
  x->amount_of[i] = d;
  return SYN_OK;
}

static syn_status take_dose(sbml_exporter *x, size_t k, const syn_sbml_dose *d) {
  int timed = d->amount_param == NULL;
  if (d->route >= syn_model_route_count(x->m) || !isfinite(d->amount) ||
      (timed && (!isfinite(d->time) || !(d->duration >= 0))))
    return syn_error_set(x->err, SYN_EINVAL, "dose %zu: no such route, or a time, amount or "
                                             "duration that is not a finite number", k + 1);
  if (!timed) return take_amount_param(x, k, d);
  if (d->duration > 0) x->input_varies[syn_model_route(x->m, d->route)->state] = 1;
  return SYN_OK;
}

syn_status sbml_apply_settings(sbml_exporter *x) {
  syn_status st = SYN_OK;
  for (size_t k = 0; x->o && st == SYN_OK && k < x->o->nsettings; k++) {
    const syn_sbml_setting *s = &x->o->settings[k];
    st = s->preset ? use_preset(x, s->preset) : set_name(x, s->name, s->value);
  }
  for (size_t k = 0; x->o && st == SYN_OK && k < x->o->ndoses; k++)
    st = take_dose(x, k, &x->o->doses[k]);
  return st;
}

/* --- events ------------------------------------------------------------------------------- */

/* One change a dose makes at a time: `amount` (× the route's scale) added to
 * the state or to its input. */
typedef struct change {
  double time;
  size_t state;
  int input;
  size_t route;
  double amount;
} change;

static int change_order(const void *pa, const void *pb) {
  const change *a = pa, *b = pb;
  if (a->time != b->time) return a->time < b->time ? -1 : 1;
  if (a->state != b->state) return a->state < b->state ? -1 : 1;
  return a->input - b->input;
}

/* The changes of every dose, sorted by time then variable; *n of them. */
static change *list_changes(sbml_exporter *x, size_t *n) {
  const syn_sbml_options *o = x->o;
  change *c = syn_calloc(2 * o->ndoses + 1, sizeof *c);
  *n = 0;
  for (size_t k = 0; c && k < o->ndoses; k++) {
    const syn_sbml_dose *d = &o->doses[k];
    size_t s = syn_model_route(x->m, d->route)->state;
    if (d->amount_param != NULL) continue; /* the model's own event gives it */
    if (d->duration > 0) {
      double rate = d->amount / d->duration;
      c[(*n)++] = (change){d->time, s, 1, d->route, rate};
      c[(*n)++] = (change){d->time + d->duration, s, 1, d->route, -rate};
    } else {
      c[(*n)++] = (change){d->time, s, 0, d->route, d->amount};
    }
  }
  if (c) qsort(c, *n, sizeof *c, change_order);
  return c;
}

/* "a * (scale)" of one dose amount by a route; a negative amount as " - |a| * (scale)" when
 * it follows another term (sign), else as "-|a| * (scale)". */
static syn_status dose_term(sbml_exporter *x, size_t route, double amount, int sign,
                            syn_strbuf *b) {
  char num[40], *scale = NULL;
  syn_status st = syn_expr_printer_route_scale(x->printer, route, &scale, x->err);
  if (st != SYN_OK) return st;
  syn_expr_number(fabs(amount), num, sizeof num);
  if (sign) syn_strbuf_appendf(b, " %c ", amount < 0 ? '-' : '+');
  else if (amount < 0) syn_strbuf_append(b, "-");
  syn_strbuf_appendf(b, "%s * (%s)", num, scale);
  free(scale);
  return SYN_OK;
}

/* VAR + a1 * (scale1) + a2 * (scale2) ... for changes c[0..n) of one variable. */
static syn_status change_formula(sbml_exporter *x, const change *c, size_t n, syn_strbuf *b) {
  const char *var = c->input ? x->input_id[c->state] : x->id[SYN_SYM_STATE][c->state];
  syn_strbuf_append(b, var);
  syn_status st = SYN_OK;
  for (size_t k = 0; st == SYN_OK && k < n; k++) st = dose_term(x, c[k].route, c[k].amount, 1, b);
  if (st == SYN_OK && b->failed) st = syn_error_set(x->err, SYN_ENOMEM, "out of memory");
  return st;
}

syn_status sbml_dose_amount(sbml_exporter *x, const syn_sbml_dose *d, char **text) {
  syn_strbuf b = SYN_STRBUF_INIT;
  syn_status st = dose_term(x, d->route, d->amount, 0, &b);
  if (st == SYN_OK && b.failed) st = syn_error_set(x->err, SYN_ENOMEM, "out of memory");
  *text = st == SYN_OK ? syn_strdup(syn_strbuf_str(&b)) : NULL;
  syn_strbuf_free(&b);
  if (st == SYN_OK && *text == NULL) st = syn_error_set(x->err, SYN_ENOMEM, "out of memory");
  return st;
}

static syn_status add_assignment(sbml_exporter *x, Event_t *ev, const change *c, size_t n) {
  syn_strbuf b = SYN_STRBUF_INIT;
  syn_status st = change_formula(x, c, n, &b);
  ASTNode_t *ast = st == SYN_OK ? sbml_math(x, syn_strbuf_str(&b), "a dose") : NULL;
  syn_strbuf_free(&b);
  if (ast == NULL) return st == SYN_OK ? SYN_EINTERNAL : st;
  EventAssignment_t *ea = Event_createEventAssignment(ev);
  const char *var = c->input ? x->input_id[c->state] : x->id[SYN_SYM_STATE][c->state];
  int good = ea && EventAssignment_setVariable(ea, var) == LIBSBML_OPERATION_SUCCESS &&
             EventAssignment_setMath(ea, ast) == LIBSBML_OPERATION_SUCCESS;
  ASTNode_free(ast);
  return good ? SYN_OK : syn_error_set(x->err, SYN_EINTERNAL, "libSBML refused a dose event");
}

/* An event at c[0].time with the trigger time >= T. */
static Event_t *new_event(sbml_exporter *x, size_t number, double time) {
  char id[64], num[40], formula[80];
  syn_expr_number(time, num, sizeof num);
  snprintf(formula, sizeof formula, time < 0 ? "time >= (%s)" : "time >= %s", num);
  snprintf(id, sizeof id, "dose_event_%zu", number);
  const char *uid = sbml_id_make(&x->used, id);
  ASTNode_t *ast = uid ? sbml_math(x, formula, "a dose time") : NULL;
  Event_t *ev = ast ? Model_createEvent(x->model) : NULL;
  Trigger_t *tr = ev ? Event_createTrigger(ev) : NULL;
  int good = tr && Event_setId(ev, uid) == LIBSBML_OPERATION_SUCCESS &&
             Event_setUseValuesFromTriggerTime(ev, 1) == LIBSBML_OPERATION_SUCCESS &&
             Trigger_setMath(tr, ast) == LIBSBML_OPERATION_SUCCESS &&
             Trigger_setInitialValue(tr, 0) == LIBSBML_OPERATION_SUCCESS &&
             Trigger_setPersistent(tr, 1) == LIBSBML_OPERATION_SUCCESS;
  ASTNode_free(ast);
  if (!good && x->err->code == SYN_OK)
    syn_error_set(x->err, SYN_EINTERNAL, "libSBML refused a dose event");
  return good ? ev : NULL;
}

/* Changes c[0..n) all at one time: one event, one assignment per variable. */
static syn_status add_event(sbml_exporter *x, size_t number, const change *c, size_t n) {
  Event_t *ev = new_event(x, number, c[0].time);
  if (ev == NULL) return SYN_EINTERNAL;
  syn_status st = SYN_OK;
  for (size_t a = 0, b; st == SYN_OK && a < n; a = b) {
    for (b = a + 1; b < n && c[b].state == c[a].state && c[b].input == c[a].input; b++) {}
    st = add_assignment(x, ev, c + a, b - a);
  }
  return st;
}

syn_status sbml_add_events(sbml_exporter *x) {
  if (x->o == NULL || x->o->ndoses == 0) return SYN_OK;
  size_t n;
  change *c = list_changes(x, &n);
  if (c == NULL) return syn_error_set(x->err, SYN_ENOMEM, "out of memory");
  syn_status st = SYN_OK;
  size_t events = 0;
  for (size_t a = 0, b; st == SYN_OK && a < n; a = b) {
    for (b = a + 1; b < n && c[b].time == c[a].time; b++) {}
    st = add_event(x, ++events, c + a, b - a);
  }
  syn_free(c);
  return st;
}
