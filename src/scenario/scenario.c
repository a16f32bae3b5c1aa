/* synovia — loading a scenario: parse, load its model, resolve every name
 * and time (scenario layer; see include/synovia/scenario.h).
 *
 * Everything that can be wrong in the text is found here, located at the
 * scenario line that says it, so that running an arm cannot fail on a name:
 * routes and joints of doses, presets and parameters of use/set (applied to a
 * scratch instance of each arm, in the order a run applies them), metric
 * functions, their arities and targets, and every time (converted to the
 * model clock: a bare number is in clock units). */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/sha256.h"
#include "lang/suggest.h"
#include "lang/units.h"
#include "scenario_impl.h"
#include "synovia/run.h"
#include "synovia/sbml.h"

/* More doses from one statement than this is a typo, not a regimen. */
#define SCN_MAX_TIMES 1000000.0

typedef struct loader {
  syn_scenario *s;
  syn_scenario_ast *ast;
  const syn_srcset *src;
  syn_error *err;
  size_t calls_cap;
  const char *model_extra; /* appended to the model's root file (syn_scenario_load_outputs) */
  int extra_line;          /* the line of the model's text where model_extra starts */
  size_t ncond;            /* conditional doses resolved so far */
} loader;

/* ---- messages ---------------------------------------------------------------------- */

static syn_status diag(loader *L, syn_span at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static syn_status diag(loader *L, syn_span at, const char *fmt, ...) {
  char msg[SYN_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return syn_diag(L->err, L->src, at, SYN_EINPUT, "%s", msg);
}

/* An error from the model layer (no location) moved to the scenario text
 * that caused it, keeping its code, message and hint. */
static syn_status relocate(loader *L, syn_span at) { return syn_diag_relocate(L->err, L->src, at); }

static syn_status oom(loader *L) { return syn_error_set(L->err, SYN_ENOMEM, "out of memory"); }

/* " d" after a time shown in the scenario's unit, or "" on a clockless model. */
static const char *clock_suffix(const loader *L, char *buf, size_t n) {
  snprintf(buf, n, "%s%s", L->s->show_unit[0] ? " " : "", L->s->show_unit);
  return buf;
}

/* A time in clock units as shown in messages. */
static double shown(const loader *L, double t) { return t / L->s->show_factor; }

static int line_of(loader *L, syn_span at) {
  int line, col;
  syn_srcset_linecol(L->src, at, &line, &col);
  return line;
}

/* "a, b, c" (at most the first 20) into buf. */
static void join_names(char *buf, size_t n, const char *const *names, size_t count) {
  size_t len = 0;
  buf[0] = 0;
  for (size_t i = 0; i < count && i < 20 && len < n; i++)
    len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : "", names[i]);
  if (count > 20 && len < n) snprintf(buf + len, n - len, ", …");
}

/* ---- constants: numbers with units and arithmetic ----------------------------------------- */

static const char *const metric_functions[] = {"at",  "auc",    "max",        "min",       "tmax",
                                               "tmin", "change", "time_below", "time_above"};
enum { NFUNCTIONS = sizeof metric_functions / sizeof *metric_functions };

static int is_metric_function(const char *fn) {
  for (size_t i = 0; i < NFUNCTIONS; i++)
    if (strcmp(fn, metric_functions[i]) == 0) return 1;
  return 0;
}

/* A literal "14 d" / "0.5 /d" / "3" in clock units; want_time: the unit
 * must be a time (or absent). */
static syn_status literal_value(loader *L, const ast_expr *e, int want_time, double *v) {
  char text[256];
  snprintf(text, sizeof text, "%.*s", (int)e->span.len, syn_span_text(L->src, e->span));
  const syn_model *m = L->s->model;
  syn_status st = want_time ? syn_model_parse_time(m, text, v, L->err)
                            : syn_model_parse_value(m, text, v, L->err);
  return st == SYN_OK ? SYN_OK : relocate(L, e->span);
}

static double arith(ast_op op, double a, double b) {
  switch (op) {
    case AST_ADD: return a + b;
    case AST_SUB: return a - b;
    case AST_MUL: return a * b;
    case AST_DIV: return a / b;
    case AST_POW: return pow(a, b);
    default: return (double)NAN; /* the scenario parser makes no other binary operators */
  }
}

/* A constant: numbers, units and arithmetic, no names or calls. */
static syn_status const_value(loader *L, const ast_expr *e, int want_time, double *v) {
  double a = 0, b = 0;
  syn_status st = SYN_OK;
  switch (e->kind) {
    case AST_NUM: return literal_value(L, e, want_time, v);
    case AST_NAME:
      return diag(L, e->span, "expected a number, found the name '%s'", e->u.name.id);
    case AST_CALL:
      if (is_metric_function(e->u.call.fn))
        return diag(L, e->span, "'%s' is a metric function: it can only be used in a metric",
                    e->u.call.fn);
      return diag(L, e->u.call.fn_span, "expected a number, found a call of '%s'", e->u.call.fn);
    case AST_UNARY:
      st = const_value(L, e->u.unary.a, want_time, &a);
      *v = -a;
      return st;
    case AST_BINARY:
      st = const_value(L, e->u.binary.a, want_time, &a);
      if (st == SYN_OK) st = const_value(L, e->u.binary.b, want_time, &b);
      *v = arith(e->u.binary.op, a, b);
      return st;
  }
  return SYN_EINTERNAL;
}

/* A constant time; finite. */
static syn_status const_time(loader *L, const ast_expr *e, const char *what, double *v) {
  syn_status st = const_value(L, e, 1, v);
  if (st == SYN_OK && !isfinite(*v)) return diag(L, e->span, "%s is not finite", what);
  return st;
}

/* ---- the model and the grid ------------------------------------------------------------ */

/* How many lines start within text[0..len): its newlines plus one. */
static int count_lines(const char *text, size_t len) {
  int n = 1;
  for (size_t i = 0; i < len; i++) n += text[i] == '\n';
  return n;
}

static syn_status load_model(loader *L) {
  const syn_scenario_ast *a = L->ast;
  if (a->model_path == NULL) {
    diag(L, (syn_span){a->file, 0, 0}, "the scenario does not name its model");
    syn_error_hint(L->err, "add a line: model \"path/to/file.model\" (relative to the scenario)");
    return SYN_EINPUT;
  }
  char *path = syn_path_resolve(L->s->path, a->model_path);
  if (path == NULL) return oom(L);
  uint32_t index = 0;
  syn_status st = syn_srcset_load_file(L->ast->sources, path, &a->model_span, &index, L->err);
  char *imported = NULL; /* an SBML model (docs/sbml.md): its translation */
  const char *mtext = NULL;
  size_t mlen = 0;
  if (st == SYN_OK) {
    const syn_source *f = syn_srcset_get(L->ast->sources, index);
    mtext = f->text;
    mlen = f->len;
    if (syn_sbml_is_sbml_path(path)) {
      st = syn_sbml_import(path, &imported, &mlen, L->err);
      mtext = imported;
    }
  }
  if (st == SYN_OK) {
    if (L->model_extra == NULL) {
      st = syn_model_load_text(path, mtext, mlen, &L->s->model, L->err);
    } else {
      size_t nx = strlen(L->model_extra);
      char *text = syn_malloc(mlen + nx + 2);
      if (text == NULL) {
        st = oom(L);
      } else {
        memcpy(text, mtext, mlen);
        text[mlen] = '\n';
        L->extra_line = count_lines(mtext, mlen) + 1;
        memcpy(text + mlen + 1, L->model_extra, nx + 1);
        st = syn_model_load_text(path, text, mlen + 1 + nx, &L->s->model, L->err);
        syn_free(text);
      }
    }
  }
  syn_sbml_free(imported);
  syn_free(path);
  if (st == SYN_OK) L->s->clock = L->s->show_unit = syn_model_time_unit(L->s->model);
  return st;
}

/* Times in messages are shown in the unit of the simulation's end time
 * ("180 d"), when it is written with a time unit. */
static void choose_show_unit(loader *L) {
  const ast_expr *e = L->ast->t_end;
  syn_scenario *s = L->s;
  double factor = 0;
  if (e->kind != AST_NUM || e->u.num.unit == NULL || e->u.num.unit->nterms != 1 ||
      e->u.num.unit->terms[0].exponent != 1)
    return;
  char text[64];
  snprintf(text, sizeof text, "1 %s", e->u.num.unit->terms[0].symbol);
  if (syn_model_parse_time(s->model, text, &factor, NULL) == SYN_OK && factor > 0) {
    s->show_unit = e->u.num.unit->terms[0].symbol;
    s->show_factor = factor;
  }
}

static syn_status resolve_grid(loader *L) {
  const syn_scenario_ast *a = L->ast;
  syn_scenario *s = L->s;
  if (a->t_start == NULL) {
    diag(L, (syn_span){a->file, 0, 0}, "the scenario has no 'simulate' line");
    syn_error_hint(L->err, "add one, e.g. simulate 0 d to 180 d every 1 d");
    return SYN_EINPUT;
  }
  syn_status st = const_time(L, a->t_start, "the start time", &s->t_start);
  if (st == SYN_OK) st = const_time(L, a->t_end, "the end time", &s->t_end);
  if (st == SYN_OK) st = const_time(L, a->every, "the output spacing", &s->every);
  if (st != SYN_OK) return st;
  choose_show_unit(L);
  syn_run_opts o;
  syn_run_opts_default(&o);
  o.t_start = s->t_start, o.t_end = s->t_end, o.every = s->every;
  if (syn_run_check_grid(&o, s->show_unit, s->show_factor, L->err) != SYN_OK) {
    /* located at what is wrong: the end (before the start, or too far from
     * zero), the start (too far), else the spacing (not positive; too many
     * or too close output times) */
    const ast_expr *at = !(s->t_end > s->t_start)               ? a->t_end
                         : fabs(s->t_start) > SYN_RUN_MAX_TIME ? a->t_start
                         : fabs(s->t_end) > SYN_RUN_MAX_TIME   ? a->t_end
                                                                : a->every;
    L->err->code = SYN_EINPUT;
    return relocate(L, at->span);
  }
  s->steady = a->baseline == BASELINE_STEADY;
  return SYN_OK;
}

/* ---- use / set --------------------------------------------------------------------------- */

/* A `set` value with its unit: the number as written and the product of
 * the unit terms of its literals (`500 mL`, `0.693 / 20 min`, `2 * 3 mg`),
 * converted at the end, once, to the name's declared unit (the one
 * conversion of syn_unit_convert, as for --set and a sweep's vary). */
enum { SET_TERMS = 16, SET_MAX_POWER = 16 };
typedef struct set_qty {
  double v;
  int n;
  const char *sym[SET_TERMS];
  int exp[SET_TERMS];
} set_qty;

static syn_status qty_term(loader *L, set_qty *q, const char *sym, int e, syn_span at) {
  for (int i = 0; i < q->n; i++)
    if (strcmp(q->sym[i], sym) == 0) {
      q->exp[i] += e;
      return SYN_OK;
    }
  if (q->n == SET_TERMS) return diag(L, at, "this value's unit has too many terms");
  q->sym[q->n] = sym;
  q->exp[q->n++] = e;
  return SYN_OK;
}

/* "mg.L^-1", or "" without a unit: the syntax of a unit after a number. */
static void qty_unit_text(const set_qty *q, char *buf, size_t size) {
  size_t len = 0;
  buf[0] = 0;
  for (int i = 0; i < q->n && len < size; i++) {
    if (q->exp[i] == 0) continue;
    len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "." : "", q->sym[i]);
    if (q->exp[i] != 1 && len < size)
      len += (size_t)snprintf(buf + len, size - len, "^%d", q->exp[i]);
  }
}

static int qty_has_unit(const set_qty *q) {
  for (int i = 0; i < q->n; i++)
    if (q->exp[i] != 0) return 1;
  return 0;
}

static syn_status qty_combine(loader *L, const ast_expr *e, set_qty *a, const set_qty *b) {
  char ua[128], ub[128];
  int sign = e->u.binary.op == AST_DIV ? -1 : 1;
  syn_status st = SYN_OK;
  switch (e->u.binary.op) {
    case AST_MUL:
    case AST_DIV:
      for (int i = 0; i < b->n && st == SYN_OK; i++)
        st = qty_term(L, a, b->sym[i], sign * b->exp[i], e->span);
      break;
    case AST_ADD:
    case AST_SUB:
      qty_unit_text(a, ua, sizeof ua);
      qty_unit_text(b, ub, sizeof ub);
      if (qty_has_unit(a) && qty_has_unit(b) && strcmp(ua, ub) != 0)
        return diag(L, e->span, "the two sides have different units ('%s' and '%s'): write "
                    "them in one unit", ua, ub);
      if (!qty_has_unit(a)) { /* `2 + 3 mg`: the bare number is in the other's unit */
        double v = a->v;
        *a = *b;
        a->v = v;
      }
      break;
    case AST_POW:
      if (qty_has_unit(b)) return diag(L, e->u.binary.b->span, "an exponent cannot have a unit");
      if (qty_has_unit(a) && (b->v != floor(b->v) || fabs(b->v) > SET_MAX_POWER))
        return diag(L, e->u.binary.b->span, "a value with a unit can only be raised to a whole "
                    "power from -%d to %d", SET_MAX_POWER, SET_MAX_POWER);
      for (int i = 0; i < a->n; i++) a->exp[i] *= (int)b->v;
      break;
    default: break;
  }
  return st;
}

static syn_status set_quantity(loader *L, const ast_expr *e, set_qty *q) {
  set_qty b = {0, 0, {0}, {0}};
  syn_status st = SYN_OK;
  switch (e->kind) {
    case AST_NUM:
      *q = (set_qty){e->u.num.value, 0, {0}, {0}};
      for (size_t i = 0; e->u.num.unit && i < e->u.num.unit->nterms && st == SYN_OK; i++)
        st = qty_term(L, q, e->u.num.unit->terms[i].symbol, e->u.num.unit->terms[i].exponent,
                      e->u.num.unit->span);
      return st;
    case AST_UNARY:
      st = set_quantity(L, e->u.unary.a, q);
      q->v = -q->v;
      return st;
    case AST_BINARY:
      st = set_quantity(L, e->u.binary.a, q);
      if (st == SYN_OK) st = set_quantity(L, e->u.binary.b, &b);
      if (st == SYN_OK) st = qty_combine(L, e, q, &b);
      q->v = arith(e->u.binary.op, q->v, b.v);
      return st;
    default: return const_value(L, e, 0, &q->v); /* names and calls: its messages */
  }
}

/* The value of `set NAME = VALUE` in NAME's declared unit; a bare value is
 * in it already. A single literal's unit is quoted as written. */
static syn_status set_value(loader *L, const ast_arm_item *it, double *v) {
  set_qty q;
  char unit[256];
  syn_status st = set_quantity(L, it->value, &q);
  if (st != SYN_OK) return st;
  const ast_expr *lit = it->value->kind == AST_UNARY ? it->value->u.unary.a : it->value;
  if (lit->kind == AST_NUM && lit->u.num.unit)
    snprintf(unit, sizeof unit, "%.*s", (int)lit->u.num.unit->span.len,
             syn_span_text(L->src, lit->u.num.unit->span));
  else qty_unit_text(&q, unit, sizeof unit);
  st = syn_model_convert(L->s->model, it->name, q.v, unit, v, L->err);
  return st == SYN_OK ? SYN_OK : relocate(L, it->value->span);
}

static syn_status resolve_settings(loader *L, const ast_arm_item *items, size_t n,
                                   scn_setting **out, size_t *nout) {
  size_t count = 0;
  for (size_t i = 0; i < n; i++) count += items[i].kind != ARM_DOSE;
  *nout = 0;
  *out = count ? syn_arena_alloc(L->ast->arena, count * sizeof **out) : NULL;
  if (count && *out == NULL) return oom(L);
  for (size_t i = 0; i < n; i++) {
    const ast_arm_item *it = &items[i];
    if (it->kind == ARM_DOSE) continue;
    scn_setting *set = &(*out)[(*nout)++];
    set->is_preset = it->kind == ARM_USE;
    set->name = it->name;
    if (it->kind == ARM_SET) {
      syn_status st = set_value(L, it, &set->value);
      if (st != SYN_OK) return st;
    }
  }
  return SYN_OK;
}

/* Apply settings to inst; errors located at the matching AST item. */
static syn_status apply_located(loader *L, syn_instance *inst, const scn_setting *set, size_t n,
                                const ast_arm_item *items) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++, k++) {
    while (items[k].kind == ARM_DOSE) k++;
    syn_status st = set[i].is_preset ? syn_instance_use_preset(inst, set[i].name, L->err)
                                     : syn_instance_set(inst, set[i].name, set[i].value, L->err);
    if (st == SYN_ENOMEM) return st;
    if (st != SYN_OK) return relocate(L, items[k].name_span);
  }
  return SYN_OK;
}

/* Each arm's settings on a scratch instance, as a run applies them (common
 * first), then prepare: unknown presets and parameters, and values that
 * make the model non-finite, are found here. */
static syn_status check_arm_settings(loader *L, size_t arm) {
  syn_instance *inst = NULL;
  const syn_scenario *s = L->s;
  syn_status st = syn_instance_create(s->model, &inst, L->err);
  if (st == SYN_OK) st = apply_located(L, inst, s->common, s->ncommon, L->ast->common);
  if (st == SYN_OK)
    st = apply_located(L, inst, s->arms[arm].settings, s->arms[arm].nsettings,
                       L->ast->arms[arm].items);
  if (st == SYN_OK && syn_instance_prepare(inst, L->err) != SYN_OK) {
    st = relocate(L, L->ast->arms[arm].name_span);
    char msg[2 * SYN_ERROR_MSG_MAX];
    size_t n = (size_t)snprintf(msg, sizeof msg, "arm '%s': %s", s->arms[arm].name,
                                L->err->message);
    if (n >= sizeof L->err->message) n = sizeof L->err->message - 1;
    memcpy(L->err->message, msg, n);
    L->err->message[n] = 0;
  }
  syn_instance_destroy(inst);
  return st;
}

/* ---- doses -------------------------------------------------------------------------------- */

/* Distinct route names of the model, in order. */
static size_t route_names(const syn_model *m, const char **names, size_t cap) {
  size_t n = 0, count = syn_model_route_count(m);
  for (size_t i = 0; i < count && n < cap; i++) {
    const char *name = syn_model_route(m, i)->name;
    size_t j = 0;
    while (j < n && strcmp(names[j], name) != 0) j++;
    if (j == n) names[n++] = name;
  }
  return n;
}

static syn_status unknown_route(loader *L, const ast_dose *d) {
  const char *names[64];
  char list[512];
  size_t n = route_names(L->s->model, names, 64);
  if (n == 0) {
    diag(L, d->route_span, "unknown route '%s': the model declares no routes", d->route);
    syn_error_hint(L->err, "declare one in the model, e.g. route %s -> STATE", d->route);
    return SYN_EINPUT;
  }
  const char *near = syn_suggest(d->route, strlen(d->route), names, n);
  if (near) diag(L, d->route_span, "unknown route '%s' (did you mean '%s'?)", d->route, near);
  else diag(L, d->route_span, "unknown route '%s'", d->route);
  join_names(list, sizeof list, names, n);
  syn_error_hint(L->err, "the model's routes: %s", list);
  return SYN_EINPUT;
}

static void joint_list(const syn_model *m, char *list, size_t size) {
  const char *names[64];
  size_t n = syn_model_joint_count(m);
  for (size_t i = 0; i < n && i < 64; i++) names[i] = syn_model_joint(m, i);
  join_names(list, size, names, n < 64 ? n : 64);
}

static syn_status check_joint(loader *L, const ast_dose *d) {
  const syn_model *m = L->s->model;
  size_t n = syn_model_joint_count(m);
  const char *names[64];
  char list[512];
  for (size_t i = 0; i < n; i++)
    if (strcmp(syn_model_joint(m, i), d->into) == 0) return SYN_OK;
  if (n == 0) return diag(L, d->into_span, "unknown joint '%s': the model declares no joints", d->into);
  for (size_t i = 0; i < n && i < 64; i++) names[i] = syn_model_joint(m, i);
  const char *near = syn_suggest(d->into, strlen(d->into), names, n < 64 ? n : 64);
  if (near) diag(L, d->into_span, "unknown joint '%s' (did you mean '%s'?)", d->into, near);
  else diag(L, d->into_span, "unknown joint '%s'", d->into);
  joint_list(m, list, sizeof list);
  syn_error_hint(L->err, "the model's joints: %s", list);
  return SYN_EINPUT;
}

/* The route a dose goes through: its name, and its joint from `into`. */
static syn_status find_route(loader *L, const ast_dose *d, size_t *index) {
  const syn_model *m = L->s->model;
  size_t count = syn_model_route_count(m), systemic = SIZE_MAX, per_joint = SIZE_MAX;
  char list[512];
  for (size_t i = 0; i < count; i++) {
    const syn_route *r = syn_model_route(m, i);
    if (strcmp(r->name, d->route) != 0) continue;
    if (r->joint[0] == 0) systemic = i;
    else if (per_joint == SIZE_MAX || (d->into && strcmp(r->joint, d->into) == 0)) per_joint = i;
  }
  if (systemic == SIZE_MAX && per_joint == SIZE_MAX) return unknown_route(L, d);
  if (d->into == NULL) {
    if (systemic != SIZE_MAX) {
      *index = systemic;
      return SYN_OK;
    }
    joint_list(m, list, sizeof list);
    diag(L, d->route_span, "route '%s' goes into a joint: say which with 'into JOINT'", d->route);
    syn_error_hint(L->err, "the model's joints: %s", list);
    return SYN_EINPUT;
  }
  syn_status st = check_joint(L, d);
  if (st != SYN_OK) return st;
  if (per_joint == SIZE_MAX || strcmp(syn_model_route(m, per_joint)->joint, d->into) != 0) {
    diag(L, d->into_span, "route '%s' is systemic: 'into' is only for routes declared per joint",
         d->route);
    syn_error_hint(L->err, "leave out 'into %s'", d->into);
    return SYN_EINPUT;
  }
  *index = per_joint;
  return SYN_OK;
}

/* One unit symbol in its canonical spelling ("cell" -> "cells"), or the text as it is. */
static int same_unit(const char *a, const char *b) {
  const syn_unit_def *ua = syn_unit_lookup(a, strlen(a)), *ub = syn_unit_lookup(b, strlen(b));
  if (ua && ub) return strcmp(ua->canonical, ub->canonical) == 0;
  return strcmp(a, b) == 0;
}

/* Units other than time are annotations and are never converted, so an
 * amount written in another unit than its target's ("1 g" into a state in
 * mg) would silently be read as 1 mg: refuse it. A target without units, or
 * an amount without a unit, is not checked (a route whose scale changes the
 * units, e.g. 1 / V into a concentration, takes a bare amount). */
static syn_status check_amount_unit(loader *L, const ast_dose *d, const scn_dose *out) {
  const syn_symbol *target = syn_model_symbol(L->s->model, SYN_SYM_STATE, out->state);
  const char *tu = target->units;
  if (out->units[0] == 0 || tu[0] == 0 || strcmp(tu, "?") == 0 || strcmp(tu, "1") == 0 ||
      same_unit(out->units, tu))
    return SYN_OK;
  diag(L, d->amount->u.num.unit->span, "the dose is in %s but its target '%s' is in %s",
       out->units, target->name, tu);
  syn_error_hint(L->err, "units other than time are not converted: write the amount in %s, or "
                         "without a unit", tu);
  return SYN_EINPUT;
}

static syn_status resolve_amount(loader *L, const ast_dose *d, scn_dose *out) {
  syn_status st = const_value(L, d->amount, 0, &out->amount);
  if (st != SYN_OK) return st;
  if (!isfinite(out->amount)) return diag(L, d->amount->span, "the amount of the dose is not finite");
  if (out->amount < 0)
    return diag(L, d->amount->span, "the amount of a dose cannot be negative (found %g)",
                out->amount);
  out->units = "";
  if (d->amount->kind == AST_NUM && d->amount->u.num.unit != NULL) {
    syn_span us = d->amount->u.num.unit->span;
    out->units = syn_arena_strndup(L->ast->arena, syn_span_text(L->src, us), us.len);
    if (out->units == NULL) return oom(L);
  }
  return check_amount_unit(L, d, out);
}

static syn_status resolve_timing(loader *L, const ast_dose *d, scn_dose *out) {
  const syn_scenario *s = L->s;
  char u[32];
  clock_suffix(L, u, sizeof u);
  syn_status st = const_time(L, d->at, "the time of the dose", &out->at);
  if (st != SYN_OK) return st;
  if (out->at < s->t_start) {
    diag(L, d->at->span, "the dose at %g%s comes before the start of the simulation (%g%s)",
         shown(L, out->at), u, shown(L, s->t_start), u);
    syn_error_hint(L->err, "doses can be given from the start of the simulation on");
    return SYN_EINPUT;
  }
  /* A first dose after the end is a mistake (a wrong unit, a wrong grid);
   * only the later doses of `every … times …` may run past it (a regimen cut
   * short by the simulation), and those are skipped with a warning. A time
   * within rounding of the end is the end (the schedule snaps it). */
  if (out->at > s->t_end + SCN_SNAP_REL * fmax(fabs(s->t_start), fabs(s->t_end))) {
    diag(L, d->at->span, "the dose at %g%s comes after the end of the simulation (%g%s)",
         shown(L, out->at), u, shown(L, s->t_end), u);
    syn_error_hint(L->err, "doses can be given up to the end of the simulation");
    return SYN_EINPUT;
  }
  if (d->over) {
    st = const_time(L, d->over, "the duration of the infusion", &out->over);
    if (st == SYN_OK && !(out->over > 0))
      return diag(L, d->over->span, "the duration of an infusion must be positive (found %g%s)",
                  shown(L, out->over), u);
  }
  out->times = 1;
  if (d->every && st == SYN_OK) {
    double times = 0;
    st = const_time(L, d->every, "the interval between doses", &out->every);
    if (st == SYN_OK && !(out->every > 0))
      return diag(L, d->every->span, "the interval between doses must be positive (found %g%s)",
                  shown(L, out->every), u);
    if (st == SYN_OK) st = const_value(L, d->times, 0, &times);
    if (st == SYN_OK && !(times >= 1 && times == floor(times)))
      return diag(L, d->times->span,
                  "'times' must be a whole number of doses, at least 1 (found %g)", times);
    if (st == SYN_OK && times > SCN_MAX_TIMES)
      return diag(L, d->times->span, "too many doses (%g; at most %.0f)", times, SCN_MAX_TIMES);
    if (st == SYN_OK) out->times = (long)times; /* after a failed evaluation it may be inf */
  }
  return st;
}

/* A dose must arrive whole: an infusion long enough for the run to tell its
 * end from its start (SCN_MIN_INFUSION_REL), at a rate the solver can follow
 * (SCN_MAX_RATE). The route's scale is checked when an arm runs (it may
 * depend on parameters a sweep varies). */
static syn_status check_deliverable(loader *L, const ast_dose *d, const scn_dose *out) {
  const syn_scenario *s = L->s;
  char u[32];
  clock_suffix(L, u, sizeof u);
  if (out->over <= 0) return SYN_OK;
  double shortest = SCN_MIN_INFUSION_REL * fmax(fabs(s->t_start), fabs(s->t_end));
  if (out->over < shortest) {
    diag(L, d->over->span,
         "the infusion of %g%s is too short to resolve in this simulation (%g%s to %g%s): it "
         "must last at least %g%s",
         shown(L, out->over), u, shown(L, s->t_start), u, shown(L, s->t_end), u,
         shown(L, shortest), u);
    syn_error_hint(L->err, "give it as a bolus (leave out 'over'), or make it last at least %g%s",
                   shown(L, shortest), u);
    return SYN_EINPUT;
  }
  double rate = out->amount / out->over;
  if (rate > SCN_MAX_RATE) {
    const char *au = out->units;
    char per[64];
    snprintf(per, sizeof per, " %s%s", au,
             s->clock[0] ? "/" : au[0] ? " per unit of time" : "per unit of time");
    diag(L, d->over->span, "the infusion's rate, %g%s%s, is too high: at most %g%s%s", rate, per,
         s->clock, SCN_MAX_RATE, per, s->clock);
    syn_error_hint(L->err, "beyond that the solver's error norms overflow in double precision; "
                           "check the amount, its unit and the length of the infusion");
    return SYN_EINPUT;
  }
  return SYN_OK;
}

/* A conditional dose: no schedule (times 0); the model's event cdose_K gives it. */
static syn_status resolve_cond_dose(loader *L, scn_dose *out) {
  out->is_cond = 1;
  out->cond = L->ncond++;
  out->at = L->s->t_start;
  out->times = 0;
  return SYN_OK;
}

static syn_status resolve_dose(loader *L, const ast_dose *d, scn_dose *out) {
  const syn_model *m = L->s->model;
  syn_status st = find_route(L, d, &out->route_index);
  if (st != SYN_OK) return st;
  const syn_route *r = syn_model_route(m, out->route_index);
  out->route = r->name;
  out->joint = r->joint;
  out->state = r->state;
  out->target = syn_model_symbol(m, SYN_SYM_STATE, r->state)->name;
  st = resolve_amount(L, d, out);
  if (st == SYN_OK && d->when) return resolve_cond_dose(L, out);
  if (st == SYN_OK) st = resolve_timing(L, d, out);
  if (st == SYN_OK) st = check_deliverable(L, d, out);
  return st;
}

/* ---- conditional doses (cdose.c) ----------------------------------------------------------- */

static int is_comparison(const ast_expr *e) {
  if (e->kind != AST_BINARY) return 0;
  ast_op op = e->u.binary.op;
  return op == AST_LT || op == AST_LE || op == AST_GT || op == AST_GE || op == AST_EQ ||
         op == AST_NE;
}

/* A comparison, or comparisons joined by && || and !, as an event's condition. */
static int is_condition(const ast_expr *e) {
  if (is_comparison(e)) return 1;
  if (e->kind == AST_UNARY && e->u.unary.op == AST_NOT) return is_condition(e->u.unary.a);
  if (e->kind == AST_BINARY && (e->u.binary.op == AST_AND || e->u.binary.op == AST_OR))
    return is_condition(e->u.binary.a) && is_condition(e->u.binary.b);
  return 0;
}

static syn_status unknown_cond_name(loader *L, const ast_expr *e) {
  static const syn_symkind kinds[] = {SYN_SYM_STATE, SYN_SYM_OUTPUT, SYN_SYM_LET, SYN_SYM_PARAM,
                                      SYN_SYM_COMPARTMENT};
  const syn_model *m = L->s->model;
  size_t n = 0, total = 0;
  for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) total += syn_model_count(m, kinds[k]);
  const char **names = syn_calloc(total + 1, sizeof *names);
  if (names == NULL) return oom(L);
  for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
    for (size_t i = 0; i < syn_model_count(m, kinds[k]); i++)
      names[n++] = syn_model_symbol(m, kinds[k], i)->name;
  const char *id = e->u.name.id, *near = syn_suggest(id, strlen(id), names, n);
  if (near) diag(L, e->span, "unknown name '%s' in the condition (did you mean '%s'?)", id, near);
  else diag(L, e->span, "unknown name '%s' in the condition", id);
  syn_error_hint(L->err, "a condition reads the model's states, outputs, lets, parameters and t; "
                         "a per-joint name with its joint (knee_R.pain)");
  syn_free(names);
  return SYN_EINPUT;
}

/* Every name of the condition is the model's (or t). Bounded by the parser's nesting limit. */
static syn_status check_cond_names(loader *L, const ast_expr *e) {
  syn_symkind kind;
  size_t index;
  switch (e->kind) {
    case AST_NAME:
      if (strcmp(e->u.name.id, "t") == 0 || syn_model_find(L->s->model, e->u.name.id, &kind, &index))
        return SYN_OK;
      return unknown_cond_name(L, e);
    case AST_UNARY: return check_cond_names(L, e->u.unary.a);
    case AST_BINARY: {
      syn_status st = check_cond_names(L, e->u.binary.a);
      return st == SYN_OK ? check_cond_names(L, e->u.binary.b) : st;
    }
    case AST_CALL:
      for (size_t i = 0; i < e->u.call.nargs; i++)
        if (check_cond_names(L, e->u.call.args[i]) != SYN_OK) return SYN_EINPUT;
      return SYN_OK;
    default: return SYN_OK;
  }
}

static syn_status check_condition(loader *L, const ast_dose *d) {
  if (!is_condition(d->when)) {
    diag(L, d->when->span, "the condition of a conditional dose is not a comparison");
    syn_error_hint(L->err, "e.g. dose IA 50e6 cells when knee.pain_VAS > 50; join comparisons "
                           "with && || !");
    return SYN_EINPUT;
  }
  return check_cond_names(L, d->when);
}

/* A time of the window, NAN when not given; inside the simulation. */
static syn_status window_time(loader *L, const ast_expr *e, const char *word, double *v) {
  *v = NAN;
  if (e == NULL) return SYN_OK;
  char u[32];
  clock_suffix(L, u, sizeof u);
  syn_status st = const_time(L, e, "the time", v);
  if (st == SYN_OK && (*v > L->s->t_end || *v < L->s->t_start)) {
    diag(L, e->span, "'%s %g%s' is outside the simulation (%g%s to %g%s)", word, shown(L, *v), u,
         shown(L, L->s->t_start), u, shown(L, L->s->t_end), u);
    syn_error_hint(L->err, "a conditional dose's window lies within the 'simulate' times");
    return SYN_EINPUT;
  }
  return st;
}

static syn_status cond_limits(loader *L, const ast_dose *d, scn_cdose_text *c) {
  char u[32];
  clock_suffix(L, u, sizeof u);
  double most = 0;
  c->apart = 0;
  syn_status st = window_time(L, d->after, "after", &c->after);
  if (st == SYN_OK) st = window_time(L, d->before, "before", &c->before);
  if (st == SYN_OK && !isnan(c->after) && !isnan(c->before) && !(c->before > c->after))
    return diag(L, d->before->span, "'before' (%g%s) must come after 'after' (%g%s)",
                shown(L, c->before), u, shown(L, c->after), u);
  if (st == SYN_OK && d->most) st = const_value(L, d->most, 0, &most);
  if (st == SYN_OK && d->most && !(most >= 1 && most == floor(most) && most <= SCN_MAX_TIMES))
    return diag(L, d->most->span, "'at most' takes a whole number of doses from 1 to %.0f "
                "(found %g)", SCN_MAX_TIMES, most);
  c->most = (long)most;
  if (st == SYN_OK && d->apart) st = const_time(L, d->apart, "the interval", &c->apart);
  if (st == SYN_OK && d->apart && !(c->apart > 0))
    return diag(L, d->apart->span, "the interval between doses must be positive (found %g%s)",
                shown(L, c->apart), u);
  if (st == SYN_OK && d->over) {
    diag(L, d->over->span, "a conditional dose is a bolus: 'over' is not supported for it yet");
    syn_error_hint(L->err, "leave out 'over D'");
    return SYN_EINPUT;
  }
  return st;
}

/* The model text of one conditional dose, appended to *buf. */
static syn_status cond_text(loader *L, const ast_dose *d, size_t k, char **buf, size_t *len,
                            size_t *cap) {
  const syn_model *m = L->s->model;
  size_t route = 0;
  syn_status st = find_route(L, d, &route);
  if (st == SYN_OK) st = check_condition(L, d);
  scn_cdose_text c = {.k = k, .clock = L->s->clock};
  if (st == SYN_OK) st = cond_limits(L, d, &c);
  if (st != SYN_OK) return st;
  const syn_symbol *target = syn_model_symbol(m, SYN_SYM_STATE, syn_model_route(m, route)->state);
  c.target = target->name;
  c.unit = strcmp(target->units, "?") == 0 || strcmp(target->units, "1") == 0 ? "" : target->units;
  c.cond = syn_span_text(L->src, d->when->span);
  c.cond_len = d->when->span.len;
  return scn_cdose_append_text(buf, len, cap, &c) == 0 ? SYN_OK : oom(L);
}

/* The model's parameters and event of each conditional dose, by name. */
static syn_status find_cond_parts(loader *L) {
  syn_scenario *s = L->s;
  s->cond_event = syn_arena_alloc(L->ast->arena, s->ncond * sizeof *s->cond_event);
  s->cond_param = syn_arena_alloc(L->ast->arena, s->ncond * sizeof *s->cond_param);
  if (s->cond_event == NULL || s->cond_param == NULL) return oom(L);
  size_t nev = syn_model_event_count(s->model);
  for (size_t k = 0; k < s->ncond; k++) {
    char name[64];
    syn_symkind kind;
    snprintf(name, sizeof name, "cdose_%zu_on", k + 1);
    if (!syn_model_find(s->model, name, &kind, &s->cond_param[k]) || kind != SYN_SYM_PARAM)
      return syn_error_set(L->err, SYN_EINVAL, "conditional dose %zu: no parameter %s", k + 1, name);
    snprintf(name, sizeof name, "cdose_%zu", k + 1);
    s->cond_event[k] = nev;
    for (size_t e = 0; e < nev; e++)
      if (strcmp(syn_model_event_name(s->model, e), name) == 0) s->cond_event[k] = e;
  }
  return SYN_OK;
}

/* The model again, with every conditional dose's event appended to its text
 * (after any text the caller appends); *first_line: the model text's line
 * where the appended events start. */
static syn_status reload_model(loader *L, const char *text, size_t len, int *first_line) {
  const char *outer = L->model_extra ? L->model_extra : "";
  char *all = syn_malloc(strlen(outer) + len + 2);
  if (all == NULL) return oom(L);
  snprintf(all, strlen(outer) + len + 2, "%s\n%s", outer, text);
  const char *saved = L->model_extra;
  syn_model_destroy(L->s->model);
  L->s->model = NULL;
  L->model_extra = all;
  L->extra_line = 0;
  syn_status st = load_model(L);
  *first_line = L->extra_line + count_lines(outer, strlen(outer));
  L->model_extra = saved;
  syn_free(all);
  if (st == SYN_OK) choose_show_unit(L);
  return st;
}

/* The byte offset in text of 1-based line and character column (UTF-8); -1 past its end. */
static long text_offset(const char *text, int line, int col) {
  const char *p = text;
  for (int l = 1; l < line && p != NULL; l++) {
    p = strchr(p, '\n');
    if (p != NULL) p++;
  }
  for (int c = 1; p != NULL && *p && *p != '\n' && c < col; c++)
    do p++;
    while (((unsigned char)*p & 0xC0) == 0x80);
  return p == NULL ? -1 : (long)(p - text);
}

/* An error the model found in the events appended for the conditional doses
 * (text, from the model text's line first_line on), moved to the scenario: into
 * the dose's condition where it falls there, else onto the condition as a whole. */
static syn_status relocate_cond_error(loader *L, const char *text, int first_line,
                                      const ast_dose *const *doses, size_t n) {
  long at = L->err->line >= first_line ? text_offset(text, L->err->line - first_line + 1,
                                                     L->err->col > 0 ? L->err->col : 1)
                                       : -1;
  for (size_t k = n; at >= 0 && k-- > 0;) {
    char head[64];
    snprintf(head, sizeof head, "event cdose_%zu when (", k + 1);
    const char *h = strstr(text, head);
    long cond = h ? (long)(h - text) + (long)strlen(head) : -1;
    if (cond < 0 || at < (long)(h - text)) continue;
    syn_span span = doses[k]->when->span;
    if (at >= cond && at < cond + (long)span.len) {
      uint32_t len = L->err->span > 0 ? (uint32_t)L->err->span : 1;
      span.off += (uint32_t)(at - cond);
      span.len = len < span.len - (uint32_t)(at - cond) ? len : span.len - (uint32_t)(at - cond);
    }
    return relocate(L, span);
  }
  return L->err->code;
}

static size_t count_cond_doses(const syn_scenario_ast *a) {
  size_t n = 0;
  for (size_t i = 0; i < a->narms; i++)
    for (size_t j = 0; j < a->arms[i].nitems; j++)
      n += a->arms[i].items[j].kind == ARM_DOSE && a->arms[i].items[j].dose.when != NULL;
  return n;
}

static syn_status add_cond_doses(loader *L) {
  const syn_scenario_ast *a = L->ast;
  size_t n = count_cond_doses(a), len = 0, cap = 0, k = 0;
  if (n == 0) return SYN_OK;
  const ast_dose **doses = syn_arena_alloc(L->ast->arena, n * sizeof *doses);
  char *text = NULL;
  syn_status st = doses ? SYN_OK : oom(L);
  for (size_t i = 0; i < a->narms && st == SYN_OK; i++)
    for (size_t j = 0; j < a->arms[i].nitems && st == SYN_OK; j++) {
      const ast_arm_item *it = &a->arms[i].items[j];
      if (it->kind != ARM_DOSE || it->dose.when == NULL) continue;
      doses[k] = &it->dose;
      st = cond_text(L, &it->dose, ++k, &text, &len, &cap);
    }
  L->s->ncond = k;
  int first_line = 0;
  if (st == SYN_OK) st = reload_model(L, text, len, &first_line);
  if (st == SYN_EINPUT) st = relocate_cond_error(L, text, first_line, doses, k);
  if (st == SYN_OK) st = find_cond_parts(L);
  syn_free(text);
  return st;
}

/* ---- arms ------------------------------------------------------------------------------ */

static syn_status resolve_arm(loader *L, size_t i) {
  const ast_arm *a = &L->ast->arms[i];
  scn_arm *arm = &L->s->arms[i];
  arm->name = a->name;
  for (size_t j = 0; j < i; j++)
    if (strcmp(L->ast->arms[j].name, a->name) == 0)
      return diag(L, a->name_span, "arm '%s' is already defined on line %d", a->name,
                  line_of(L, L->ast->arms[j].name_span));
  syn_status st = resolve_settings(L, a->items, a->nitems, &arm->settings, &arm->nsettings);
  size_t ndoses = 0;
  for (size_t k = 0; k < a->nitems; k++) ndoses += a->items[k].kind == ARM_DOSE;
  if (st == SYN_OK && ndoses) {
    arm->doses = syn_arena_alloc(L->ast->arena, ndoses * sizeof *arm->doses);
    if (arm->doses == NULL) return oom(L);
  }
  for (size_t k = 0; k < a->nitems && st == SYN_OK; k++)
    if (a->items[k].kind == ARM_DOSE) st = resolve_dose(L, &a->items[k].dose, &arm->doses[arm->ndoses++]);
  if (st == SYN_OK) st = check_arm_settings(L, i);
  return st;
}

static syn_status resolve_arms(loader *L) {
  syn_scenario_ast *a = L->ast;
  syn_scenario *s = L->s;
  if (a->narms == 0) {
    diag(L, (syn_span){a->file, 0, 0}, "the scenario has no arms");
    syn_error_hint(L->err, "add at least one, e.g. arm \"control\"");
    return SYN_EINPUT;
  }
  syn_status st = resolve_settings(L, a->common, a->ncommon, &s->common, &s->ncommon);
  if (st != SYN_OK) return st;
  s->arms = syn_arena_alloc(a->arena, a->narms * sizeof *s->arms);
  if (s->arms == NULL) return oom(L);
  s->narms = a->narms;
  for (size_t i = 0; i < a->narms && st == SYN_OK; i++) st = resolve_arm(L, i);
  return st;
}

/* ---- metrics ------------------------------------------------------------------------------ */

typedef enum { WINDOW_NONE, WINDOW_OPTIONAL, WINDOW_REQUIRED } window_rule;

static const struct metric_fn {
  const char *name;
  syn_probe_kind kind;
  int has_time;   /* at(X, T) */
  int has_level;  /* time_below(X, L, ...) */
  window_rule window;
  const char *usage;
} metric_fns[] = {
    {"at", PROBE_AT, 1, 0, WINDOW_NONE, "at(X, T)"},
    {"auc", PROBE_AUC, 0, 0, WINDOW_REQUIRED, "auc(X, T1, T2)"},
    {"max", PROBE_MAX, 0, 0, WINDOW_OPTIONAL, "max(X) or max(X, T1, T2)"},
    {"min", PROBE_MIN, 0, 0, WINDOW_OPTIONAL, "min(X) or min(X, T1, T2)"},
    {"tmax", PROBE_TMAX, 0, 0, WINDOW_OPTIONAL, "tmax(X) or tmax(X, T1, T2)"},
    {"tmin", PROBE_TMIN, 0, 0, WINDOW_OPTIONAL, "tmin(X) or tmin(X, T1, T2)"},
    {"change", PROBE_CHANGE, 0, 0, WINDOW_REQUIRED, "change(X, T1, T2)"},
    {"time_below", PROBE_TIME_BELOW, 0, 1, WINDOW_OPTIONAL,
     "time_below(X, level) or time_below(X, level, T1, T2)"},
    {"time_above", PROBE_TIME_ABOVE, 0, 1, WINDOW_OPTIONAL,
     "time_above(X, level) or time_above(X, level, T1, T2)"},
};

static const struct metric_fn *find_fn(const char *name) {
  for (size_t i = 0; i < sizeof metric_fns / sizeof *metric_fns; i++)
    if (strcmp(metric_fns[i].name, name) == 0) return &metric_fns[i];
  return NULL;
}

static const char *kind_phrase(syn_symkind k) {
  switch (k) {
    case SYN_SYM_COMPARTMENT: return "a compartment";
    case SYN_SYM_PARAM: return "a parameter";
    case SYN_SYM_LET: return "an intermediate value (let)";
    default: return "not a series";
  }
}

static syn_status unknown_target(loader *L, const ast_expr *arg) {
  const syn_model *m = L->s->model;
  const char *name = arg->u.name.id;
  size_t ns = syn_model_count(m, SYN_SYM_STATE), no = syn_model_count(m, SYN_SYM_OUTPUT);
  const char **names = syn_calloc(ns + no + 1, sizeof *names);
  if (names == NULL) return oom(L);
  const char *per_joint = NULL;
  for (size_t i = 0; i < ns + no; i++) {
    const syn_symbol *sym =
        syn_model_symbol(m, i < ns ? SYN_SYM_STATE : SYN_SYM_OUTPUT, i < ns ? i : i - ns);
    names[i] = sym->name;
    if (per_joint == NULL && sym->joint && sym->joint[0] && strcmp(sym->base, name) == 0)
      per_joint = sym->name;
  }
  const char *near = syn_suggest(name, strlen(name), names, ns + no);
  if (per_joint) {
    diag(L, arg->span, "'%s' exists once per joint: name one copy, e.g. %s", name, per_joint);
    syn_error_hint(L->err, "metrics follow one series; for a total, declare an output with "
                           "sum(joint, %s) in the model", name);
  } else if (near) {
    diag(L, arg->span, "unknown metric target '%s' (did you mean '%s'?)", name, near);
    syn_error_hint(L->err, "a metric follows a state or an output of the model");
  } else {
    diag(L, arg->span, "unknown metric target '%s'", name);
    syn_error_hint(L->err, "a metric follows a state or an output of the model");
  }
  syn_free(names);
  return SYN_EINPUT;
}

/* The state or output a metric function follows (its first argument). */
static syn_status find_series(loader *L, const struct metric_fn *fn, const ast_expr *arg,
                              size_t *series, const char **units) {
  const syn_model *m = L->s->model;
  if (arg->kind != AST_NAME) {
    diag(L, arg->span, "the first argument of '%s' must be a state or an output", fn->name);
    syn_error_hint(L->err, "%s", fn->usage);
    return SYN_EINPUT;
  }
  syn_symkind kind;
  size_t index;
  if (!syn_model_find(m, arg->u.name.id, &kind, &index)) return unknown_target(L, arg);
  if (kind != SYN_SYM_STATE && kind != SYN_SYM_OUTPUT) {
    diag(L, arg->span, "'%s' is %s: metrics follow states and outputs", arg->u.name.id,
         kind_phrase(kind));
    syn_error_hint(L->err, "declare an output for it in the model: output name = %s",
                   arg->u.name.id);
    return SYN_EINPUT;
  }
  *series = kind == SYN_SYM_STATE ? index : syn_model_count(m, SYN_SYM_STATE) + index;
  *units = syn_model_symbol(m, kind, index)->units;
  return SYN_OK;
}

static syn_status compile_expr(loader *L, ast_expr *e, int want_time, int *round);

static syn_status arity_error(loader *L, const ast_expr *call, const struct metric_fn *fn) {
  diag(L, call->span, "wrong number of arguments to '%s' (%zu)", fn->name, call->u.call.nargs);
  syn_error_hint(L->err, "write %s", fn->usage);
  return SYN_EINPUT;
}

static syn_status unknown_function(loader *L, const ast_expr *call) {
  const char *fn = call->u.call.fn;
  const char *near = syn_suggest(fn, strlen(fn), metric_functions, NFUNCTIONS);
  if (near)
    diag(L, call->u.call.fn_span, "unknown metric function '%s' (did you mean '%s'?)", fn, near);
  else
    diag(L, call->u.call.fn_span, "unknown metric function '%s'", fn);
  syn_error_hint(L->err, "metric functions: at, auc, max, min, tmax, tmin, change, time_below, "
                         "time_above");
  return SYN_EINPUT;
}

/* Constant times of a call (no calls inside) must lie in the simulation. */
static syn_status check_window(loader *L, const ast_expr *call, const scn_call *c) {
  const syn_scenario *s = L->s;
  char u[32];
  clock_suffix(L, u, sizeof u);
  if (c->kind == PROBE_AT) {
    double t = scn_eval(s, c->t1, NULL);
    if (t >= s->t_start && t <= s->t_end) return SYN_OK;
    return diag(L, c->t1->span, "the time %g%s is outside the simulation (%g%s to %g%s)",
                shown(L, t), u, shown(L, s->t_start), u, shown(L, s->t_end), u);
  }
  if (c->t1 == NULL) return SYN_OK;
  double t1 = scn_eval(s, c->t1, NULL), t2 = scn_eval(s, c->t2, NULL);
  if (!(t2 > t1))
    return diag(L, call->span, "the window of '%s' must end after it starts (%g%s to %g%s)",
                call->u.call.fn, shown(L, t1), u, shown(L, t2), u);
  if (t1 >= s->t_start && t2 <= s->t_end) return SYN_OK;
  return diag(L, call->span,
              "the window of '%s' (%g%s to %g%s) is outside the simulation (%g%s to %g%s)",
              call->u.call.fn, shown(L, t1), u, shown(L, t2), u, shown(L, s->t_start), u,
              shown(L, s->t_end), u);
}

static syn_status add_call(loader *L, const scn_call *c) {
  syn_scenario *s = L->s;
  if (s->ncalls == L->calls_cap) {
    size_t cap = L->calls_cap ? 2 * L->calls_cap : 8;
    scn_call *n = syn_realloc(s->calls, cap * sizeof *n);
    if (n == NULL) return oom(L);
    s->calls = n;
    L->calls_cap = cap;
  }
  s->calls[s->ncalls++] = *c;
  return SYN_OK;
}

static int max_i(int a, int b) { return a > b ? a : b; }

static syn_status compile_call(loader *L, ast_expr *call, const char **units, int *round) {
  const struct metric_fn *fn = find_fn(call->u.call.fn);
  if (fn == NULL) return unknown_function(L, call);
  size_t n = call->u.call.nargs, fixed = 1 + (size_t)fn->has_time + (size_t)fn->has_level;
  int ok = fn->window == WINDOW_NONE       ? n == fixed
           : fn->window == WINDOW_REQUIRED ? n == fixed + 2
                                           : n == fixed || n == fixed + 2;
  if (!ok) return arity_error(L, call, fn);
  ast_expr **args = call->u.call.args;
  scn_call c = {call, fn->kind, 0, NULL, NULL, NULL, 0};
  syn_status st = find_series(L, fn, args[0], &c.series, units);
  int inner = -1, r = -1, window_calls = -1;
  size_t next = 1;
  if (st == SYN_OK && fn->has_level) {
    c.level = args[next];
    st = compile_expr(L, args[next++], 0, &r);
    inner = max_i(inner, r);
  }
  if (st == SYN_OK && fn->has_time) {
    c.t1 = c.t2 = args[next];
    st = compile_expr(L, args[next++], 1, &window_calls);
  }
  if (st == SYN_OK && n == fixed + 2) {
    c.t1 = args[next];
    c.t2 = args[next + 1];
    st = compile_expr(L, args[next], 1, &r);
    window_calls = max_i(window_calls, r);
    if (st == SYN_OK) st = compile_expr(L, args[next + 1], 1, &r);
    window_calls = max_i(window_calls, r);
  }
  if (st != SYN_OK) return st;
  inner = max_i(inner, window_calls);
  c.round = inner + 1;
  if (window_calls < 0) st = check_window(L, call, &c);
  if (st == SYN_OK) st = add_call(L, &c);
  *round = c.round;
  return st;
}

/* Convert literals to clock units in place, check every call, and give the
 * highest round of the calls in e (-1 when none). */
static syn_status compile_expr(loader *L, ast_expr *e, int want_time, int *round) {
  int ra = -1, rb = -1;
  const char *units = NULL;
  syn_status st = SYN_OK;
  *round = -1;
  switch (e->kind) {
    case AST_NUM: return literal_value(L, e, want_time, &e->u.num.value);
    case AST_NAME:
      diag(L, e->span, "a name can only be the first argument of a metric function");
      syn_error_hint(L->err, "e.g. max(%s) or at(%s, 7 d)", e->u.name.id, e->u.name.id);
      return SYN_EINPUT;
    case AST_CALL: return compile_call(L, e, &units, round);
    case AST_UNARY: return compile_expr(L, e->u.unary.a, want_time, round);
    case AST_BINARY:
      st = compile_expr(L, e->u.binary.a, want_time, &ra);
      if (st == SYN_OK) st = compile_expr(L, e->u.binary.b, want_time, &rb);
      *round = max_i(ra, rb);
      return st;
  }
  return SYN_EINTERNAL;
}

/* Units of a metric expression: NULL for a pure number, "" when unknown. */
static const char *units_of(loader *L, const ast_expr *e, syn_arena *arena);

static const char *auc_units(const char *u, const char *clock, syn_arena *arena) {
  char buf[256];
  const char *slash = strchr(u, '/');
  if (u[0] == 0) return clock;
  if (clock[0] == 0) return u;
  if (slash == NULL) {
    snprintf(buf, sizeof buf, "%s*%s", u, clock);
  } else if (strcmp(slash + 1, clock) == 0) {
    snprintf(buf, sizeof buf, "%.*s", (int)(slash - u), u);
    if (strcmp(buf, "1") == 0) buf[0] = 0;
  } else if (slash == u + 1 && u[0] == '1') {
    snprintf(buf, sizeof buf, "%s%s", clock, slash);
  } else {
    snprintf(buf, sizeof buf, "%.*s*%s%s", (int)(slash - u), u, clock, slash);
  }
  return syn_arena_strdup(arena, buf);
}

static const char *call_units(loader *L, const ast_expr *call, syn_arena *arena) {
  const struct metric_fn *fn = find_fn(call->u.call.fn);
  const syn_model *m = L->s->model;
  syn_symkind kind;
  size_t index;
  syn_model_find(m, call->u.call.args[0]->u.name.id, &kind, &index);
  const char *u = syn_model_symbol(m, kind, index)->units;
  if (strcmp(u, "?") == 0) u = "";
  switch (fn->kind) {
    case PROBE_AUC: return auc_units(u, L->s->clock, arena);
    case PROBE_CHANGE: return "%";
    case PROBE_TMAX:
    case PROBE_TMIN:
    case PROBE_TIME_BELOW:
    case PROBE_TIME_ABOVE: return L->s->clock;
    default: return u;
  }
}

static const char *units_of(loader *L, const ast_expr *e, syn_arena *arena) {
  const char *a, *b;
  switch (e->kind) {
    case AST_NUM: return NULL;
    case AST_CALL: return call_units(L, e, arena);
    case AST_UNARY: return units_of(L, e->u.unary.a, arena);
    case AST_BINARY:
      a = units_of(L, e->u.binary.a, arena);
      b = units_of(L, e->u.binary.b, arena);
      switch (e->u.binary.op) {
        case AST_ADD:
        case AST_SUB:
          if (a == NULL || b == NULL) return a ? a : b;
          return strcmp(a, b) == 0 ? a : "";
        case AST_MUL: return a == NULL ? b : b == NULL ? a : "";
        case AST_DIV:
          if (b == NULL) return a;
          return a != NULL && strcmp(a, b) == 0 && a[0] ? NULL : "";
        default: return a == NULL ? NULL : "";
      }
    default: return "";
  }
}

static syn_status resolve_metrics(loader *L) {
  syn_scenario_ast *a = L->ast;
  syn_scenario *s = L->s;
  s->max_round = -1;
  if (a->nmetrics == 0) return SYN_OK;
  s->metrics = syn_arena_alloc(a->arena, a->nmetrics * sizeof *s->metrics);
  size_t *first = syn_calloc(a->nmetrics, sizeof *first);
  syn_status st = s->metrics && first ? SYN_OK : oom(L);
  for (size_t i = 0; i < a->nmetrics && st == SYN_OK; i++) {
    const ast_metric *am = &a->metrics[i];
    scn_metric *m = &s->metrics[s->nmetrics++];
    for (size_t j = 0; j < i; j++)
      if (strcmp(a->metrics[j].name, am->name) == 0)
        st = diag(L, am->name_span, "metric '%s' is already defined on line %d", am->name,
                  line_of(L, a->metrics[j].name_span));
    m->name = am->name;
    m->description = am->description ? am->description : "";
    m->value = am->value;
    first[i] = s->ncalls;
    int round = -1;
    if (st == SYN_OK) st = compile_expr(L, am->value, 0, &round);
    if (st == SYN_OK && s->ncalls == first[i]) {
      diag(L, am->value->span, "metric '%s' uses no metric function", am->name);
      syn_error_hint(L->err, "e.g. metric %s = auc(X, 0 d, 7 d)", am->name);
      st = SYN_EINPUT;
    }
    if (st == SYN_OK) {
      const char *u = units_of(L, am->value, a->arena);
      m->units = u ? u : "";
    }
    s->max_round = max_i(s->max_round, round);
  }
  for (size_t i = 0; i < s->nmetrics && st == SYN_OK; i++) {
    s->metrics[i].calls = s->calls + first[i];
    s->metrics[i].ncalls = (i + 1 < s->nmetrics ? first[i + 1] : s->ncalls) - first[i];
  }
  syn_free(first);
  return st;
}

double scn_eval(const syn_scenario *s, const ast_expr *e, const double *values) {
  switch (e->kind) {
    case AST_NUM: return e->u.num.value;
    case AST_UNARY: return -scn_eval(s, e->u.unary.a, values);
    case AST_BINARY:
      return arith(e->u.binary.op, scn_eval(s, e->u.binary.a, values),
                   scn_eval(s, e->u.binary.b, values));
    case AST_CALL:
      for (size_t i = 0; i < s->ncalls; i++)
        if (s->calls[i].node == e) return values ? values[i] : (double)NAN;
      return (double)NAN;
    default: return (double)NAN;
  }
}

/* ---- solver settings ----------------------------------------------------------------- */

static syn_status unknown_setting(loader *L, const ast_solver_setting *it) {
  const char *names[SYN_SETTING_COUNT];
  char list[200];
  for (int k = 0; k < SYN_SETTING_COUNT; k++) names[k] = syn_solver_setting_name((syn_solver_setting)k);
  const char *near = syn_suggest(it->name, strlen(it->name), names, SYN_SETTING_COUNT);
  if (near) diag(L, it->name_span, "unknown solver setting '%s' (did you mean '%s'?)", it->name, near);
  else diag(L, it->name_span, "unknown solver setting '%s'", it->name);
  join_names(list, sizeof list, names, SYN_SETTING_COUNT);
  syn_error_hint(L->err, "the solver settings: %s (as the options of synovia run and sweep)",
                 list);
  return SYN_EINPUT;
}

/* Each setting of the `solver` lines: a known name, given once, a valid
 * value (checked by the table the command line uses too). */
static syn_status resolve_solver(loader *L) {
  const syn_scenario_ast *a = L->ast;
  syn_span first[SYN_SETTING_COUNT];
  syn_solver_opts scratch;
  syn_solver_opts_default(&scratch);
  for (size_t i = 0; i < a->nsolver; i++) {
    const ast_solver_setting *it = &a->solver[i];
    syn_solver_setting k;
    if (!syn_solver_setting_find(it->name, strlen(it->name), &k)) return unknown_setting(L, it);
    if (L->s->solver[k] != NULL)
      return diag(L, it->name_span, "'%s' is already given on line %d", it->name,
                  line_of(L, first[k]));
    syn_error e;
    if (syn_solver_setting_apply(&scratch, k, it->value, &e) != SYN_OK)
      return diag(L, it->value_span, "%s", e.message);
    L->s->solver[k] = it->value;
    first[k] = it->name_span;
  }
  return SYN_OK;
}

/* ---- per-state tolerances ----------------------------------------------------------------- */

/* The unit of an `atol` line's number as written ("" without one). */
static void literal_unit(loader *L, const ast_expr *e, char *buf, size_t size) {
  buf[0] = 0;
  if (e->u.num.unit)
    snprintf(buf, size, "%.*s", (int)e->u.num.unit->span.len,
             syn_span_text(L->src, e->u.num.unit->span));
}

/* Each `atol NAME = A [UNIT]` line: a state, once, its value converted to
 * the state's unit; then the per-state vector every arm runs with (the
 * defaults, the model's own or the scenario's `solver atol`, these lines). */
static syn_status resolve_atols(loader *L) {
  const syn_scenario_ast *a = L->ast;
  syn_scenario *s = L->s;
  if (a->natols == 0) return SYN_OK;
  size_t ny = syn_model_count(s->model, SYN_SYM_STATE);
  s->atols = syn_calloc(a->natols, sizeof *s->atols);
  s->atol_vec = syn_calloc(ny ? ny : 1, sizeof *s->atol_vec);
  if (s->atols == NULL || s->atol_vec == NULL) return oom(L);
  for (size_t i = 0; i < a->natols; i++) {
    const ast_state_atol *it = &a->atols[i];
    char unit[256];
    syn_symkind kind;
    size_t idx;
    int is_state = syn_model_find(s->model, it->name, &kind, &idx) && kind == SYN_SYM_STATE;
    literal_unit(L, it->value, unit, sizeof unit);
    if (syn_state_atol_resolve(s->model, it->name, it->value->u.num.value, unit, &s->atols[i],
                               L->err) != SYN_OK) {
      L->err->code = SYN_EINPUT;
      return relocate(L, is_state ? it->value->span : it->name_span);
    }
    for (size_t j = 0; j < i; j++)
      if (s->atols[j].state == s->atols[i].state)
        return diag(L, it->name_span, "the atol of '%s' is already given on line %d", it->name,
                    line_of(L, a->atols[j].name_span));
    s->natols = i + 1;
  }
  syn_solver_opts o;
  syn_solver_opts_default(&o);
  for (int k = 0; k < SYN_SETTING_COUNT; k++)
    if (s->solver[k] != NULL) syn_solver_setting_apply(&o, (syn_solver_setting)k, s->solver[k], NULL);
  syn_state_atols_apply(s->model, &o, s->atols, s->natols, s->atol_vec);
  return SYN_OK;
}

/* ---- the `sensitivities` line -------------------------------------------------------------- */

/* The K-th (1-based) dose of route in arm, or the only one when k is 0;
 * SIZE_MAX when there is none. *count: the arm's doses of route. */
static size_t nth_dose(const scn_arm *arm, const char *route, size_t rlen, long k, size_t *count) {
  size_t found = SIZE_MAX;
  *count = 0;
  for (size_t i = 0; i < arm->ndoses; i++) {
    const scn_dose *d = &arm->doses[i];
    if (strlen(d->route) != rlen || strncmp(d->route, route, rlen) != 0) continue;
    if (++*count == (size_t)k || k == 0) found = i;
  }
  return k == 0 && *count > 1 ? SIZE_MAX : found;
}

/* "dose:ARM:ROUTE[:K].amount|.time" -> the arm, the dose and which field. */
static syn_status find_dose_param(const syn_scenario *s, const char *name, size_t *arm,
                                  size_t *dose, int *is_time, syn_error *err) {
  const char *a = name + 5, *dot = strrchr(name, '.');
  const char *c1 = dot ? memchr(a, ':', (size_t)(dot - a)) : NULL;
  if (dot == NULL || (strcmp(dot, ".amount") != 0 && strcmp(dot, ".time") != 0) || c1 == NULL ||
      c1 == a) {
    syn_status st = syn_error_set(err, SYN_EINVAL, "'%s' is not a dose's name", name);
    syn_error_hint(err, "name a dose dose:ARM:ROUTE.amount or dose:ARM:ROUTE.time, with :K "
                        "after the route for the K-th dose of that route in the arm");
    return st;
  }
  *is_time = strcmp(dot, ".time") == 0;
  char armname[256];
  snprintf(armname, sizeof armname, "%.*s", (int)(c1 - a), a);
  syn_status st = syn_scenario_find_arm(s, armname, arm, err);
  if (st != SYN_OK) return st;
  const char *route = c1 + 1, *c2 = memchr(route, ':', (size_t)(dot - route));
  size_t rlen = (size_t)((c2 ? c2 : dot) - route), count = 0;
  long k = 0;
  if (c2 != NULL) {
    char *end = NULL;
    k = strtol(c2 + 1, &end, 10);
    if (end != dot || k < 1)
      return syn_error_set(err, SYN_EINVAL, "'%s': the dose number after the route must be 1 "
                                            "or more", name);
  }
  const scn_arm *sa = &s->arms[*arm];
  *dose = nth_dose(sa, route, rlen, k, &count);
  if (*dose != SIZE_MAX) return SYN_OK;
  if (count == 0) {
    const char *routes[64];
    size_t n = 0;
    for (size_t i = 0; i < sa->ndoses && n < 64; i++) routes[n++] = sa->doses[i].route;
    char r[128];
    snprintf(r, sizeof r, "%.*s", (int)rlen, route);
    const char *near = syn_suggest(r, strlen(r), routes, n);
    return syn_error_set(err, SYN_EINVAL, "arm '%s' has no dose of '%s'%s%s%s", sa->name, r,
                         near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
  }
  st = syn_error_set(err, SYN_EINVAL, "arm '%s' has %zu doses of '%.*s'%s", sa->name, count,
                     (int)rlen, route, k > 0 ? ", not that many" : "");
  syn_error_hint(err, "name one of them: dose:%s:%.*s:1 to :%zu (in the order written)",
                 sa->name, (int)rlen, route, count);
  return st;
}

/* One name: a dose of an arm, or a model value a scratch instance takes. */
static syn_status check_sens_name(loader *L, syn_instance *scratch, const ast_sens_name *n) {
  size_t arm, dose;
  int is_time;
  syn_status st = strncmp(n->name, "dose:", 5) == 0
                      ? find_dose_param(L->s, n->name, &arm, &dose, &is_time, L->err)
                      : syn_instance_set(scratch, n->name, 1.0, L->err);
  if (st == SYN_OK || st == SYN_ENOMEM) return st;
  L->err->code = SYN_EINPUT;
  return relocate(L, n->span);
}

static syn_status resolve_sens(loader *L) {
  const syn_scenario_ast *a = L->ast;
  if (a->nsens == 0) return SYN_OK;
  L->s->sens = syn_calloc(a->nsens, sizeof *L->s->sens);
  syn_instance *scratch = NULL;
  syn_status st = L->s->sens ? syn_instance_create(L->s->model, &scratch, L->err) : oom(L);
  for (size_t i = 0; i < a->nsens && st == SYN_OK; i++) {
    const ast_sens_name *n = &a->sens[i];
    if (strcmp(n->name, "all") == 0 && a->nsens > 1)
      st = diag(L, n->span, "'all' is every parameter: it goes alone on the line");
    else if (strcmp(n->name, "all") != 0)
      st = check_sens_name(L, scratch, n);
    for (size_t j = 0; j < i && st == SYN_OK; j++)
      if (strcmp(a->sens[j].name, n->name) == 0)
        st = diag(L, n->span, "'%s' is given twice on the line", n->name);
    if (st == SYN_OK) L->s->sens[L->s->nsens++] = n->name;
  }
  syn_instance_destroy(scratch);
  return st;
}

size_t syn_scenario_sens_count(const syn_scenario *s) { return s ? s->nsens : 0; }
const char *syn_scenario_sens_name(const syn_scenario *s, size_t i) {
  return s && i < s->nsens ? s->sens[i] : NULL;
}

size_t syn_scenario_dose_param(const syn_scenario *s, size_t arm, size_t k, char *buf,
                               size_t size) {
  if (s == NULL || arm >= s->narms) return 0;
  const scn_arm *a = &s->arms[arm];
  if (k >= a->ndoses || buf == NULL || size == 0) return a->ndoses;
  const char *route = a->doses[k].route;
  size_t count = 0, nth = 0;
  for (size_t i = 0; i < a->ndoses; i++)
    if (strcmp(a->doses[i].route, route) == 0) {
      count++;
      if (i <= k) nth++;
    }
  if (count > 1) snprintf(buf, size, "dose:%s:%s:%zu", a->name, route, nth);
  else snprintf(buf, size, "dose:%s:%s", a->name, route);
  return a->ndoses;
}

size_t syn_scenario_setting(const syn_scenario *s, size_t arm, size_t k, const char **preset,
                            const char **name, double *value) {
  if (s == NULL || arm >= s->narms) return 0;
  const scn_arm *a = &s->arms[arm];
  size_t n = s->ncommon + a->nsettings;
  if (k >= n) return n;
  const scn_setting *set = k < s->ncommon ? &s->common[k] : &a->settings[k - s->ncommon];
  *preset = set->is_preset ? set->name : NULL;
  *name = set->is_preset ? NULL : set->name;
  *value = set->value;
  return n;
}

size_t syn_scenario_dose(const syn_scenario *s, size_t arm, size_t k, syn_dose_statement *out) {
  if (s == NULL || arm >= s->narms) return 0;
  const scn_arm *a = &s->arms[arm];
  if (k < a->ndoses) {
    const scn_dose *d = &a->doses[k];
    *out = (syn_dose_statement){d->route_index, d->amount, d->at,     d->over,
                                d->every,       d->times,  SIZE_MAX, SIZE_MAX, SIZE_MAX};
    if (d->is_cond) {
      out->event = s->cond_event[d->cond];
      out->on_param = s->cond_param[d->cond];
      out->amount_param = s->cond_param[d->cond] + 1;
    }
  }
  return a->ndoses;
}

const char *syn_scenario_param_units(const syn_scenario *s, const char *name) {
  if (s == NULL || name == NULL) return "";
  if (strncmp(name, "dose:", 5) != 0) {
    const char *u = syn_model_setting_units(s->model, name);
    return u ? u : "";
  }
  size_t arm, dose;
  int is_time;
  if (find_dose_param(s, name, &arm, &dose, &is_time, NULL) != SYN_OK) return "";
  return is_time ? s->clock : s->arms[arm].doses[dose].units;
}

/* ---- the public API ----------------------------------------------------------------------- */

static syn_status hash_text(syn_scenario *s, syn_error *err) {
  const syn_source *f = syn_srcset_get(s->ast->sources, s->ast->file);
  syn_sha256 h;
  char hex[SYN_SHA256_HEX];
  syn_sha256_init(&h);
  syn_sha256_update(&h, f->text, f->len);
  syn_sha256_hex(&h, hex);
  s->sha256 = syn_strdup(hex);
  return s->sha256 ? SYN_OK : syn_error_set(err, SYN_ENOMEM, "out of memory");
}

syn_status syn_scenario_load(const char *path, syn_scenario **out, syn_error *err) {
  return syn_scenario_load_outputs(path, NULL, out, err);
}

syn_status syn_scenario_load_outputs(const char *path, const char *model_extra,
                                     syn_scenario **out, syn_error *err) {
  syn_error local;
  loader L = {NULL, NULL, NULL, err ? err : &local, 0, model_extra, 0, 0};
  if (out == NULL || path == NULL) return syn_error_set(err, SYN_EINVAL, "no scenario path given");
  *out = NULL;
  syn_scenario *s = syn_calloc(1, sizeof *s);
  if (s == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  s->clock = s->show_unit = "";
  s->show_factor = 1;
  s->max_round = -1;
  L.s = s;
  syn_status st = (s->path = syn_strdup(path)) ? SYN_OK : oom(&L);
  if (st == SYN_OK) st = syn_scenario_parse_file(path, &s->ast, L.err);
  if (st == SYN_OK) {
    L.ast = s->ast;
    L.src = s->ast->sources;
    st = hash_text(s, L.err);
  }
  if (st == SYN_OK) st = load_model(&L);
  if (st == SYN_OK) st = resolve_grid(&L);
  if (st == SYN_OK) st = add_cond_doses(&L);
  if (st == SYN_OK) st = resolve_solver(&L);
  if (st == SYN_OK) st = resolve_atols(&L);
  if (st == SYN_OK) st = resolve_arms(&L);
  if (st == SYN_OK) st = resolve_metrics(&L);
  if (st == SYN_OK) st = resolve_sens(&L);
  if (st != SYN_OK) {
    syn_scenario_destroy(s);
    return st;
  }
  *out = s;
  return SYN_OK;
}

void syn_scenario_destroy(syn_scenario *s) {
  if (s == NULL) return;
  syn_model_destroy(s->model);
  syn_scenario_ast_destroy(s->ast);
  syn_free(s->calls);
  syn_free(s->atols);
  syn_free(s->atol_vec);
  syn_free(s->sens);
  syn_free(s->path);
  syn_free(s->sha256);
  syn_free(s);
}

const char *syn_scenario_title(const syn_scenario *s) {
  return s->ast->title ? s->ast->title : "";
}
const char *syn_scenario_path(const syn_scenario *s) { return s->path; }
const char *syn_scenario_text(const syn_scenario *s) {
  return syn_srcset_get(s->ast->sources, s->ast->file)->text;
}
const char *syn_scenario_sha256(const syn_scenario *s) { return s->sha256; }
const syn_model *syn_scenario_model(const syn_scenario *s) { return s->model; }

void syn_scenario_grid(const syn_scenario *s, double *t_start, double *t_end, double *every) {
  if (t_start) *t_start = s->t_start;
  if (t_end) *t_end = s->t_end;
  if (every) *every = s->every;
}

const char *syn_scenario_baseline(const syn_scenario *s) {
  return s->steady ? "steady" : "declared";
}

const char *syn_scenario_solver_setting(const syn_scenario *s, syn_solver_setting k) {
  return (unsigned)k < SYN_SETTING_COUNT ? s->solver[k] : NULL;
}

void syn_scenario_solver_opts(const syn_scenario *s, syn_solver_opts *o) {
  for (int k = 0; k < SYN_SETTING_COUNT; k++)
    if (s->solver[k] != NULL)
      syn_solver_setting_apply(o, (syn_solver_setting)k, s->solver[k], NULL);
  if (s->natols > 0) o->atol_vec = s->atol_vec;
}

size_t syn_scenario_atol_count(const syn_scenario *s) { return s->natols; }
const syn_state_atol *syn_scenario_atols(const syn_scenario *s) { return s->atols; }

size_t syn_scenario_arm_count(const syn_scenario *s) { return s->narms; }
const char *syn_scenario_arm_name(const syn_scenario *s, size_t i) {
  return i < s->narms ? s->arms[i].name : NULL;
}

syn_status syn_scenario_find_arm(const syn_scenario *s, const char *name, size_t *index,
                                 syn_error *err) {
  const char *names[64];
  char list[512];
  size_t n = s->narms < 64 ? s->narms : 64;
  for (size_t i = 0; i < s->narms; i++)
    if (name && strcmp(s->arms[i].name, name) == 0) {
      if (index) *index = i;
      return SYN_OK;
    }
  for (size_t i = 0; i < n; i++) names[i] = s->arms[i].name;
  const char *near = name ? syn_suggest(name, strlen(name), names, n) : NULL;
  if (near) syn_error_set(err, SYN_EINVAL, "unknown arm '%s' (did you mean '%s'?)", name, near);
  else syn_error_set(err, SYN_EINVAL, "unknown arm '%s'", name ? name : "");
  join_names(list, sizeof list, names, s->narms);
  syn_error_hint(err, "the scenario's arms: %s", list);
  return SYN_EINVAL;
}

size_t syn_scenario_metric_count(const syn_scenario *s) { return s->nmetrics; }
const char *syn_scenario_metric_name(const syn_scenario *s, size_t i) {
  return i < s->nmetrics ? s->metrics[i].name : NULL;
}
const char *syn_scenario_metric_units(const syn_scenario *s, size_t i) {
  return i < s->nmetrics ? s->metrics[i].units : NULL;
}
const char *syn_scenario_metric_description(const syn_scenario *s, size_t i) {
  return i < s->nmetrics ? s->metrics[i].description : NULL;
}
