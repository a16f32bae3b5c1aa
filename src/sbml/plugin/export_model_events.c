/* synovia — a model's events in the exported SBML (sbml layer; see
 * export_impl.h and docs/sbml.md, Export).
 *
 * The language's events are SBML Level 3's (docs/language.md §12), so the
 * mapping is one to one: the condition is the trigger, `initially false` its
 * initialValue="false", `transient` persistent="false", `delay` and
 * `priority` the Delay and Priority, `values at execution`
 * useValuesFromTriggerTime="false", each assignment an event assignment. A
 * parameter or compartment an event assigns is declared constant="false". */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "export_impl.h"

static int ok(int code) { return code == LIBSBML_OPERATION_SUCCESS; }

/* x->omitted from the options' names; an unknown name is an error. */
static syn_status mark_omitted(sbml_exporter *x) {
  size_t n = syn_model_event_count(x->m), nomit = x->o ? x->o->nomit_events : 0;
  for (size_t k = 0; k < nomit; k++) {
    size_t e = 0;
    while (e < n && strcmp(syn_model_event_name(x->m, e), x->o->omit_events[k]) != 0) e++;
    if (e == n)
      return syn_error_set(x->err, SYN_EINVAL, "no event '%s' in the model to leave out",
                           x->o->omit_events[k]);
    x->omitted[e] = 1;
  }
  return SYN_OK;
}

syn_status sbml_read_model_events(sbml_exporter *x) {
  size_t n = syn_model_event_count(x->m);
  x->events = syn_calloc(n + 1, sizeof *x->events);
  x->omitted = syn_calloc(n + 1, 1);
  for (int k = 0; k < SYN_SYM_KIND_COUNT; k++)
    x->assigned[k] = syn_calloc(syn_model_count(x->m, (syn_symkind)k) + 1, 1);
  for (int k = 0; k < SYN_SYM_KIND_COUNT; k++)
    if (x->assigned[k] == NULL || x->events == NULL || x->omitted == NULL)
      return syn_error_set(x->err, SYN_ENOMEM, "out of memory");
  syn_status st = mark_omitted(x);
  for (; st == SYN_OK && x->nevents < n; x->nevents++) {
    syn_expr_event *ev = &x->events[x->nevents];
    st = syn_expr_printer_event(x->printer, x->nevents, ev, x->err);
    for (size_t a = 0; st == SYN_OK && !x->omitted[x->nevents] && a < ev->nassigns; a++)
      x->assigned[ev->kind[a]][ev->index[a]] = 1;
  }
  return st;
}

void sbml_free_model_events(sbml_exporter *x) {
  for (size_t e = 0; x->events && e < syn_model_event_count(x->m); e++)
    syn_expr_event_free(&x->events[e]); /* all calloc'd: the unread ones are empty */
  syn_free(x->events);
  syn_free(x->omitted);
  for (int k = 0; k < SYN_SYM_KIND_COUNT; k++) syn_free(x->assigned[k]);
}

/* libSBML's math of formula set by setter on obj; 0 when it failed. */
static int set_math(sbml_exporter *x, const char *formula, const char *what,
                    int (*setter)(void *, const ASTNode_t *), void *obj) {
  ASTNode_t *ast = sbml_math(x, formula, what);
  int good = ast && obj && ok(setter(obj, ast));
  ASTNode_free(ast);
  return good;
}

/* libSBML's setters take their own struct types: adapters with one signature. */
static int trigger_math(void *o, const ASTNode_t *a) { return Trigger_setMath(o, a); }
static int delay_math(void *o, const ASTNode_t *a) { return Delay_setMath(o, a); }
static int priority_math(void *o, const ASTNode_t *a) { return Priority_setMath(o, a); }
static int assignment_math(void *o, const ASTNode_t *a) { return EventAssignment_setMath(o, a); }

static int add_assignments(sbml_exporter *x, Event_t *e, const syn_expr_event *ev,
                           const char *name) {
  int good = 1;
  for (size_t a = 0; good && a < ev->nassigns; a++) {
    EventAssignment_t *ea = Event_createEventAssignment(e);
    good = ea && ok(EventAssignment_setVariable(ea, x->id[ev->kind[a]][ev->index[a]])) &&
           set_math(x, ev->value[a], name, assignment_math, ea);
  }
  return good;
}

static syn_status add_model_event(sbml_exporter *x, size_t i) {
  const syn_expr_event *ev = &x->events[i];
  const char *name = syn_model_event_name(x->m, i);
  const char *id = sbml_id_make(&x->used, name);
  if (id == NULL) return syn_error_set(x->err, SYN_ENOMEM, "out of memory");
  Event_t *e = Model_createEvent(x->model);
  Trigger_t *tr = e ? Event_createTrigger(e) : NULL;
  int good = tr && ok(Event_setId(e, id)) && ok(Event_setName(e, name)) &&
             ok(Event_setUseValuesFromTriggerTime(e, ev->values_at_trigger)) &&
             ok(Trigger_setInitialValue(tr, ev->initial_value)) &&
             ok(Trigger_setPersistent(tr, ev->persistent)) &&
             set_math(x, ev->trigger, name, trigger_math, tr) &&
             (ev->delay == NULL || set_math(x, ev->delay, name, delay_math, Event_createDelay(e))) &&
             (ev->priority == NULL ||
              set_math(x, ev->priority, name, priority_math, Event_createPriority(e))) &&
             add_assignments(x, e, ev, name);
  if (good) return SYN_OK;
  return x->err->code != SYN_OK ? x->err->code
                                : syn_error_set(x->err, SYN_EINTERNAL,
                                                "libSBML refused event '%s'", name);
}

syn_status sbml_add_model_events(sbml_exporter *x) {
  syn_status st = SYN_OK;
  for (size_t i = 0; st == SYN_OK && i < x->nevents; i++)
    if (!x->omitted[i]) st = add_model_event(x, i);
  return st;
}
