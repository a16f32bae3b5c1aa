/* synovia — loading a sweep: the .sweep file resolved against its scenario
 * (sweep layer). Every name, unit, distribution and the design are checked
 * here, each error located at the sweep text that caused it, so that a run
 * only meets the failures of individual samples. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "synovia/problem.h"
#include "synovia/synovia.h"
#include "lang/source.h"
#include "lang/suggest.h"
#include "lang/units.h"
#include "solve/run_internal.h"
#include "sweep_internal.h"
#include "synovia/run.h"

enum { MAX_SAMPLES = 1000000000 }; /* 1e9: far beyond any sweep a file can hold sensibly */

typedef struct loader {
  syn_sweep *sw;
  const syn_sweep_ast *ast;
  const syn_srcset *src;
  syn_arena *arena;
  syn_error *err;
} loader;

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

/* An unlocated error from a lower layer moved to the sweep text that caused it. */
static syn_status relocate(loader *L, syn_span at) { return syn_diag_relocate(L->err, L->src, at); }

static syn_status oom(loader *L) { return syn_error_set(L->err, SYN_ENOMEM, "out of memory"); }

static void *arena_array(loader *L, size_t n, size_t size) {
  return syn_arena_alloc(L->arena, (n ? n : 1) * size);
}

/* ---- the scenario ------------------------------------------------------------------- */

static syn_status load_scenario(loader *L) {
  char *path = syn_path_resolve(L->sw->path, L->ast->scenario_path);
  if (path == NULL) return oom(L);
  syn_status st = syn_scenario_load(path, &L->sw->scenario, L->err);
  /* A scenario that cannot be opened is the sweep's mistake; errors inside it
   * keep their own location. */
  if (st == SYN_EIO && L->err->line == 0) {
    diag(L, L->ast->scenario_span, "cannot read the scenario '%s': %s", path, L->err->message);
    syn_error_hint(L->err, "the path is relative to the sweep file's folder");
  }
  syn_free(path);
  return st;
}

/* ---- parameters ------------------------------------------------------------------- */

static const char *const dist_words[] = {"uniform", "loguniform", "normal", "lognormal"};

static syn_dist_kind dist_kind(sweep_dist_kind k) {
  switch (k) {
    case SWEEP_DIST_UNIFORM: return SYN_DIST_UNIFORM;
    case SWEEP_DIST_LOGUNIFORM: return SYN_DIST_LOGUNIFORM;
    case SWEEP_DIST_NORMAL: return SYN_DIST_NORMAL;
    case SWEEP_DIST_LOGNORMAL: return SYN_DIST_LOGNORMAL;
  }
  return SYN_DIST_UNIFORM;
}

/* The factor that takes a number in the literal's unit to model clock units
 * (time units converted, others annotation: 1), and the unit's text. */
/* The unit of a value after conversion to the model clock: the written unit
 * with its time symbols replaced by the clock's ("mg/d" -> "mg/h", "min" ->
 * "h"), so that the label and the stored number agree. Without a clock the
 * unit stays as written. */
static const char *clock_label(loader *L, const ast_unit *u) {
  const char *clock = syn_model_time_unit(syn_scenario_model(L->sw->scenario));
  char buf[256] = "";
  size_t len = 0;
  int tpow = 0;
  for (size_t k = 0; k < u->nterms; k++) {
    const ast_unit_term *t = &u->terms[k];
    const syn_unit_def *def = syn_unit_lookup(t->symbol, strlen(t->symbol));
    if (clock[0] && def && def->kind == SYN_UNIT_TIME) {
      tpow += t->exponent;
      continue;
    }
    if (t->exponent > 0 && len < sizeof buf)
      len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", len ? "." : "", t->symbol);
    if (t->exponent > 1 && len < sizeof buf)
      len += (size_t)snprintf(buf + len, sizeof buf - len, "^%d", t->exponent);
  }
  for (size_t k = 0; k < u->nterms; k++) { /* the denominators, after the numerators */
    const ast_unit_term *t = &u->terms[k];
    const syn_unit_def *def = syn_unit_lookup(t->symbol, strlen(t->symbol));
    if ((clock[0] && def && def->kind == SYN_UNIT_TIME) || t->exponent >= 0 || len >= sizeof buf)
      continue;
    len += (size_t)snprintf(buf + len, sizeof buf - len, "/%s", t->symbol);
    if (t->exponent < -1 && len < sizeof buf)
      len += (size_t)snprintf(buf + len, sizeof buf - len, "^%d", -t->exponent);
  }
  if (tpow > 0 && len < sizeof buf)
    len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", len ? "." : "", clock);
  if (tpow < 0 && len < sizeof buf)
    len += (size_t)snprintf(buf + len, sizeof buf - len, "/%s", clock);
  if ((tpow > 1 || tpow < -1) && len < sizeof buf)
    snprintf(buf + len, sizeof buf - len, "^%d", tpow > 0 ? tpow : -tpow);
  return syn_arena_strdup(L->arena, buf);
}

/* The factor that takes a number in the literal's unit to the parameter's
 * declared unit (syn_model_convert: "0.3 /d" on a rate in 1/h, "500 mL" on a
 * volume in L; another dimension is refused), and the unit the values are
 * then in. */
static int is_dose(const char *name) { return strncmp(name, "dose:", 5) == 0; }

/* A dose's amount is in the unit of its dose statement (a unit written on
 * the numbers must be that one); its time in clock units, or a time unit
 * converted. The values are labelled with that unit. */
static syn_status dose_unit_factor(loader *L, const ast_vary *v, const char *text, double *factor,
                                   const char **unit, syn_span at) {
  const syn_scenario *s = L->sw->scenario;
  const syn_model *m = syn_scenario_model(s);
  const char *declared = syn_scenario_param_units(s, v->name);
  size_t n = strlen(v->name);
  *unit = declared;
  if (n > 5 && strcmp(v->name + n - 5, ".time") == 0) {
    char one[272];
    snprintf(one, sizeof one, "1 %s", text);
    if (syn_model_parse_time(m, one, factor, L->err) != SYN_OK) return relocate(L, at);
    return SYN_OK;
  }
  if (strcmp(text, declared) == 0) return SYN_OK;
  return diag(L, at, "'%s' is in %s, the unit of its dose statement, not %s", v->name,
              declared[0] ? declared : "no unit", text);
}

static syn_status unit_factor(loader *L, const ast_vary *v, const ast_expr *e, double *factor,
                              const char **unit) {
  const syn_model *m = syn_scenario_model(L->sw->scenario);
  *factor = 1;
  *unit = is_dose(v->name) ? syn_scenario_param_units(L->sw->scenario, v->name) : "";
  const ast_unit *u = e->u.num.unit;
  if (u == NULL) return SYN_OK;
  char text[256];
  snprintf(text, sizeof text, "%.*s", (int)u->span.len, syn_span_text(L->src, u->span));
  if (is_dose(v->name)) return dose_unit_factor(L, v, text, factor, unit, u->span);
  syn_status st = syn_model_convert(m, v->name, 1.0, text, factor, L->err);
  if (st != SYN_OK) return relocate(L, u->span);
  /* "/d" on a rate in 1/h: only time is converted, and the written unit in
   * clock terms ("/h", as before) labels the values; "500 mL" on a volume in
   * L: the values are in L */
  double clock_factor = 1;
  char one[272];
  snprintf(one, sizeof one, "1 %s", text);
  const char *declared = syn_model_setting_units(m, v->name);
  int rescaled = syn_model_parse_value(m, one, &clock_factor, NULL) != SYN_OK ||
                 fabs(clock_factor - *factor) > 1e-12 * fabs(*factor);
  *unit = rescaled && declared ? declared : clock_label(L, u);
  return *unit == NULL ? oom(L) : SYN_OK;
}

/* A distribution's numbers in clock units. A lognormal's unit scales x, so
 * it shifts mu by log(factor) and leaves sigma. */
static syn_status resolve_numbers(loader *L, const ast_vary *v, syn_dist *d, const char **unit) {
  double fa, fb, flo = 1, fhi = 1;
  const char *ua, *ub, *ulo = "", *uhi = "";
  syn_status st = unit_factor(L, v, v->a, &fa, &ua);
  if (st == SYN_OK) st = unit_factor(L, v, v->b, &fb, &ub);
  if (st == SYN_OK && v->lo) st = unit_factor(L, v, v->lo, &flo, &ulo);
  if (st == SYN_OK && v->hi) st = unit_factor(L, v, v->hi, &fhi, &uhi);
  if (st != SYN_OK) return st;
  d->kind = dist_kind(v->dist);
  if (d->kind == SYN_DIST_LOGNORMAL) {
    if (fa != fb) return diag(L, v->b->span, "the two numbers of 'lognormal' need the same unit");
    d->a = v->a->u.num.value + log(fa);
    d->b = v->b->u.num.value;
  } else {
    d->a = v->a->u.num.value * fa;
    d->b = v->b->u.num.value * fb;
  }
  d->truncated = v->lo != NULL;
  if (d->truncated) {
    d->lo = v->lo->u.num.value * flo;
    d->hi = v->hi->u.num.value * fhi;
  }
  *unit = ub[0] ? ub : ua[0] ? ua : ulo[0] ? ulo : uhi;
  return SYN_OK;
}

/* "uniform 0.3 1 /d", as written (numbers and units from the text). */
static const char *dist_text(loader *L, const ast_vary *v) {
  char buf[512];
  int n = snprintf(buf, sizeof buf, "%s %.*s %.*s", dist_words[v->dist], (int)v->a->span.len,
                   syn_span_text(L->src, v->a->span), (int)v->b->span.len,
                   syn_span_text(L->src, v->b->span));
  if (v->lo && n > 0 && (size_t)n < sizeof buf)
    snprintf(buf + n, sizeof buf - (size_t)n, " within %.*s %.*s", (int)v->lo->span.len,
             syn_span_text(L->src, v->lo->span), (int)v->hi->span.len,
             syn_span_text(L->src, v->hi->span));
  return syn_arena_strdup(L->arena, buf);
}

/* The range of values a distribution gives (for bounds and Morris scaling). */
static void dist_range(const syn_dist *d, double *lo, double *hi) {
  *lo = -INFINITY;
  *hi = INFINITY;
  if (d->kind == SYN_DIST_UNIFORM || d->kind == SYN_DIST_LOGUNIFORM) {
    *lo = d->a;
    *hi = d->b;
  } else if (d->truncated) {
    *lo = d->lo;
    *hi = d->hi;
  } else if (d->kind == SYN_DIST_LOGNORMAL) {
    *lo = 0;
  }
}

/* The parameter can be set (a scratch instance takes it): unknown names get
 * the model's own did-you-mean, located at the vary line. */
static syn_status check_settable(loader *L, syn_instance *inst, const ast_vary *v, double value) {
  if (is_dose(v->name)) return SYN_OK; /* a dose: checked with the arms (check_doses) */
  syn_status st = syn_instance_set(inst, v->name, value, L->err);
  return st == SYN_OK ? SYN_OK : relocate(L, v->name_span);
}

static syn_status alloc_params(loader *L, size_t n) {
  syn_sweep *sw = L->sw;
  sw->nparams = n;
  sw->param_names = arena_array(L, n, sizeof *sw->param_names);
  sw->param_units = arena_array(L, n, sizeof *sw->param_units);
  sw->param_dist = arena_array(L, n, sizeof *sw->param_dist);
  sw->param_lo = arena_array(L, n, sizeof *sw->param_lo);
  sw->param_hi = arena_array(L, n, sizeof *sw->param_hi);
  sw->dists = arena_array(L, n, sizeof *sw->dists);
  sw->levels = arena_array(L, n, sizeof *sw->levels);
  if (!sw->param_names || !sw->param_units || !sw->param_dist || !sw->param_lo ||
      !sw->param_hi || !sw->dists || !sw->levels)
    return oom(L);
  return SYN_OK;
}

static syn_status resolve_vary(loader *L, syn_instance *inst, size_t j) {
  syn_sweep *sw = L->sw;
  const ast_vary *v = &L->ast->vary[j];
  sw->param_names[j] = v->name;
  sw->levels[j] = (size_t)v->levels;
  syn_status st = resolve_numbers(L, v, &sw->dists[j], &sw->param_units[j]);
  if (st != SYN_OK) return st;
  st = syn_dist_check(&sw->dists[j], v->name, L->err);
  if (st != SYN_OK) return relocate(L, v->dist_span);
  sw->param_dist[j] = dist_text(L, v);
  if (sw->param_dist[j] == NULL) return oom(L);
  dist_range(&sw->dists[j], &sw->param_lo[j], &sw->param_hi[j]);
  st = check_settable(L, inst, v, syn_dist_map(&sw->dists[j], 0.5));
  /* the low end of a bounded range too: a compartment's size must stay positive */
  if (st == SYN_OK && isfinite(sw->param_lo[j])) {
    st = check_settable(L, inst, v, sw->param_lo[j]);
    if (st != SYN_OK && st != SYN_ENOMEM)
      syn_error_hint(L->err, "'%s' reaches %g", sw->param_dist[j], sw->param_lo[j]);
  }
  return st;
}

static syn_status resolve_params(loader *L) {
  syn_instance *inst = NULL;
  syn_status st = alloc_params(L, L->ast->nvary);
  if (st == SYN_OK) st = syn_instance_create(syn_scenario_model(L->sw->scenario), &inst, L->err);
  for (size_t j = 0; j < L->ast->nvary && st == SYN_OK; j++) st = resolve_vary(L, inst, j);
  syn_instance_destroy(inst);
  return st;
}

/* ---- the design ------------------------------------------------------------------- */

static const struct {
  sweep_design_kind ast;
  syn_design_kind kind;
  const char *name;
} design_kinds[] = {
    {SWEEP_DESIGN_GRID, SYN_DESIGN_GRID, "grid"},
    {SWEEP_DESIGN_RANDOM, SYN_DESIGN_RANDOM, "random"},
    {SWEEP_DESIGN_LHS, SYN_DESIGN_LHS, "lhs"},
    {SWEEP_DESIGN_SOBOL, SYN_DESIGN_SOBOL, "sobol"},
    {SWEEP_DESIGN_SALTELLI, SYN_DESIGN_SALTELLI, "saltelli"},
    {SWEEP_DESIGN_MORRIS, SYN_DESIGN_MORRIS, "morris"},
};

/* A design file: its header names the parameters, which must all be settable
 * (checked with the first row's values). */
static syn_status resolve_table(loader *L) {
  syn_sweep *sw = L->sw;
  const ast_sweep_design *d = &L->ast->design;
  char *path = syn_path_resolve(sw->path, d->path);
  if (path == NULL) return oom(L);
  syn_status st = sweep_table_load(&sw->table, path, L->err);
  syn_free(path);
  if (st == SYN_EIO) relocate(L, d->path_span);
  if (st == SYN_OK) st = alloc_params(L, sw->table.cols);
  if (st != SYN_OK) return st;
  sw->design_name = "file";
  sw->nsamples = sw->table.rows;
  syn_instance *inst = NULL;
  st = syn_instance_create(syn_scenario_model(sw->scenario), &inst, L->err);
  for (size_t j = 0; j < sw->nparams && st == SYN_OK; j++) {
    sw->param_names[j] = sw->table.names[j];
    sw->param_units[j] = "";
    sw->param_dist[j] = "design file";
    sw->param_lo[j] = INFINITY;
    sw->param_hi[j] = -INFINITY;
    for (size_t i = 0; i < sw->table.rows; i++) {
      double x = sw->table.v[i * sw->nparams + j];
      sw->param_lo[j] = fmin(sw->param_lo[j], x);
      sw->param_hi[j] = fmax(sw->param_hi[j], x);
    }
    if (is_dose(sw->param_names[j])) { /* checked with the arms (check_doses) */
      sw->param_units[j] = syn_scenario_param_units(sw->scenario, sw->param_names[j]);
      continue;
    }
    st = syn_instance_set(inst, sw->param_names[j], sw->table.v[j], L->err);
    if (st == SYN_OK) /* and the column's least value (a compartment's size must be > 0) */
      st = syn_instance_set(inst, sw->param_names[j], sw->param_lo[j], L->err);
    if (st != SYN_OK && st != SYN_ENOMEM) {
      syn_error e = *L->err;
      syn_error_set(L->err, e.code, "%s:%zu: column '%s': %s", sw->table.path,
                    sw->table.header_line, sw->param_names[j], e.message);
      if (e.hint[0]) syn_error_hint(L->err, "%s", e.hint);
    }
  }
  syn_instance_destroy(inst);
  return st;
}

static syn_status resolve_design(loader *L) {
  syn_sweep *sw = L->sw;
  const ast_sweep_design *d = &L->ast->design;
  sw->seed = d->has_seed ? d->seed : 0;
  if (d->kind == SWEEP_DESIGN_FILE) return resolve_table(L);
  size_t k = 0;
  while (design_kinds[k].ast != d->kind) k++;
  sw->design_name = design_kinds[k].name;
  syn_design_spec spec = {design_kinds[k].kind, (size_t)d->n, sw->nparams, sw->seed,
                          sw->dists, sw->param_names, sw->levels, d->second_order,
                          (size_t)d->morris_levels};
  /* the limits first: building a design can take gigabytes (lhs) */
  syn_status st = syn_design_plan(&spec, &sw->nsamples, L->err);
  if (st != SYN_OK) return relocate(L, d->kind_span);
  if (sw->nsamples == 0 || sw->nsamples > MAX_SAMPLES) {
    diag(L, d->span, "the design has %zu samples: at most %d are supported", sw->nsamples,
         MAX_SAMPLES);
    syn_error_hint(L->err, "split the question into several sweeps");
    return SYN_EINPUT;
  }
  if (sw->plan_only) return SYN_OK;
  st = syn_design_create(&spec, &sw->design, L->err);
  return st == SYN_OK ? SYN_OK : relocate(L, d->kind_span);
}

/* ---- arms and metrics ------------------------------------------------------------- */

/* Index among the arms run of a difference's arm, or SIZE_MAX. */
static size_t run_index(const syn_sweep *sw, const ast_sweep_name *n) {
  for (size_t k = 0; k < sw->nrun; k++)
    if (strcmp(sw->arm_names[k], n->name) == 0) return k;
  return (size_t)-1;
}

static syn_status resolve_diff(loader *L, size_t i) {
  syn_sweep *sw = L->sw;
  const ast_sweep_diff *d = &L->ast->diffs[i];
  const ast_sweep_name *side[2] = {&d->a, &d->b};
  size_t idx[2];
  for (int k = 0; k < 2; k++) {
    size_t scn;
    syn_status st = syn_scenario_find_arm(sw->scenario, side[k]->name, &scn, L->err);
    if (st != SYN_OK) return relocate(L, side[k]->span);
    if ((idx[k] = run_index(sw, side[k])) == (size_t)-1) {
      diag(L, side[k]->span, "the arm '%s' is not among the sweep's arms", side[k]->name);
      syn_error_hint(L->err, "add it to the `arms` line");
      return SYN_EINPUT;
    }
  }
  sw->diff_a[i] = idx[0];
  sw->diff_b[i] = idx[1];
  char name[512];
  snprintf(name, sizeof name, "%s - %s", d->a.name, d->b.name);
  sw->arm_names[sw->nrun + i] = syn_arena_strdup(L->arena, name);
  return sw->arm_names[sw->nrun + i] ? SYN_OK : oom(L);
}

static int line_at(loader *L, syn_span at) {
  int line, col;
  syn_srcset_linecol(L->src, at, &line, &col);
  return line;
}

/* The result has one group per output arm, so the name a difference is given
 * ("IA - control") must not be one of the arms run, nor another difference's
 * ("a - b - c" from "a - b" and "c" or from "a" and "b - c"). */
static syn_status check_diff_name(loader *L, size_t i) {
  const syn_sweep *sw = L->sw;
  const char *name = sw->arm_names[sw->nrun + i];
  syn_span at = L->ast->diffs[i].span;
  for (size_t k = 0; k < sw->nrun + i; k++) {
    if (strcmp(sw->arm_names[k], name) != 0) continue;
    if (k < sw->nrun) {
      diag(L, at, "this difference is named '%s', like an arm of the scenario the sweep runs",
           name);
      syn_error_hint(L->err, "rename the scenario's arm '%s': the result has one group per arm",
                     name);
    } else {
      diag(L, at, "this difference is named '%s', like the difference on line %d", name,
           line_at(L, L->ast->diffs[k - sw->nrun].span));
      syn_error_hint(L->err, "rename one of the scenario's arms they use: the result has one "
                             "group per arm");
    }
    return SYN_EINPUT;
  }
  return SYN_OK;
}

static syn_status resolve_arms(loader *L) {
  syn_sweep *sw = L->sw;
  const syn_scenario *s = sw->scenario;
  size_t n = L->ast->narms ? L->ast->narms : syn_scenario_arm_count(s), nd = L->ast->ndiffs;
  sw->nrun = n;
  sw->narms = n + nd;
  sw->arms = arena_array(L, n, sizeof *sw->arms);
  sw->arm_names = arena_array(L, n + nd, sizeof *sw->arm_names);
  sw->diff_a = arena_array(L, nd, sizeof *sw->diff_a);
  sw->diff_b = arena_array(L, nd, sizeof *sw->diff_b);
  if (!sw->arms || !sw->arm_names || !sw->diff_a || !sw->diff_b) return oom(L);
  for (size_t k = 0; k < n; k++) {
    if (L->ast->narms == 0) {
      sw->arms[k] = k;
    } else {
      syn_status st = syn_scenario_find_arm(s, L->ast->arms[k].name, &sw->arms[k], L->err);
      if (st != SYN_OK) return relocate(L, L->ast->arms[k].span);
    }
    sw->arm_names[k] = syn_scenario_arm_name(s, sw->arms[k]);
  }
  for (size_t i = 0; i < nd; i++) {
    syn_status st = resolve_diff(L, i);
    if (st == SYN_OK) st = check_diff_name(L, i);
    if (st != SYN_OK) return st;
  }
  return SYN_OK;
}

static syn_status unknown_metric(loader *L, const ast_sweep_name *m) {
  const syn_scenario *s = L->sw->scenario;
  size_t n = syn_scenario_metric_count(s);
  const char **names = arena_array(L, n, sizeof *names);
  if (names == NULL) return oom(L);
  char list[512] = "";
  size_t len = 0;
  for (size_t i = 0; i < n; i++) {
    names[i] = syn_scenario_metric_name(s, i);
    if (len < sizeof list)
      len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", names[i]);
  }
  const char *near = syn_suggest(m->name, strlen(m->name), names, n);
  if (near)
    diag(L, m->span, "the scenario has no metric '%s' (did you mean '%s'?)", m->name, near);
  else
    diag(L, m->span, "the scenario has no metric '%s'", m->name);
  if (n == 0)
    syn_error_hint(L->err, "the scenario defines no metrics: add `metric NAME = …` lines to it");
  else
    syn_error_hint(L->err, "its metrics: %s", list);
  return SYN_EINPUT;
}

static syn_status resolve_metrics(loader *L) {
  syn_sweep *sw = L->sw;
  const syn_scenario *s = sw->scenario;
  size_t n = L->ast->nmetrics ? L->ast->nmetrics : syn_scenario_metric_count(s);
  sw->nmetrics = n;
  sw->metrics = arena_array(L, n, sizeof *sw->metrics);
  sw->metric_names = arena_array(L, n, sizeof *sw->metric_names);
  sw->metric_units = arena_array(L, n, sizeof *sw->metric_units);
  if (!sw->metrics || !sw->metric_names || !sw->metric_units) return oom(L);
  for (size_t k = 0; k < n; k++) {
    size_t idx = k;
    if (L->ast->nmetrics) {
      size_t m = syn_scenario_metric_count(s);
      for (idx = 0; idx < m; idx++)
        if (strcmp(syn_scenario_metric_name(s, idx), L->ast->metrics[k].name) == 0) break;
      if (idx == m) return unknown_metric(L, &L->ast->metrics[k]);
    }
    sw->metrics[k] = idx;
    sw->metric_names[k] = syn_scenario_metric_name(s, idx);
    sw->metric_units[k] = syn_scenario_metric_units(s, idx);
  }
  if (n == 0 && !L->ast->keep_trajectories) {
    diag(L, (syn_span){L->ast->file, 0, 0},
         "the sweep would keep nothing: its scenario has no metrics");
    syn_error_hint(L->err, "add metrics to the scenario, or `keep trajectories` to the sweep");
    return SYN_EINPUT;
  }
  return SYN_OK;
}

/* ---- trajectories -------------------------------------------------------------------- */

static syn_status resolve_series(loader *L) {
  syn_sweep *sw = L->sw;
  double t0, t1, every;
  syn_scenario_grid(sw->scenario, &t0, &t1, &every);
  syn_run_opts ro;
  syn_run_opts_default(&ro);
  ro.t_start = t0;
  ro.t_end = t1;
  ro.every = every;
  sw->ntimes = syn_run_grid_size(&ro);
  sw->times = arena_array(L, sw->ntimes, sizeof *sw->times);
  if (sw->times == NULL) return oom(L);
  syn_run_fill_grid(&ro, sw->times, sw->ntimes);
  if (!L->ast->keep_trajectories) return SYN_OK;
  const syn_model *m = syn_scenario_model(sw->scenario);
  const syn_symkind kinds[2] = {SYN_SYM_STATE, SYN_SYM_OUTPUT};
  size_t n = syn_model_count(m, SYN_SYM_STATE) + syn_model_count(m, SYN_SYM_OUTPUT), k = 0;
  sw->series_names = arena_array(L, n, sizeof *sw->series_names);
  sw->series_units = arena_array(L, n, sizeof *sw->series_units);
  if (sw->series_names == NULL || sw->series_units == NULL) return oom(L);
  for (size_t c = 0; c < 2; c++)
    for (size_t i = 0; i < syn_model_count(m, kinds[c]); i++, k++) {
      const syn_symbol *sym = syn_model_symbol(m, kinds[c], i);
      sw->series_names[k] = sym->name;
      sw->series_units[k] = sym->units;
    }
  sw->nseries = n;
  return SYN_OK;
}

/* ---- hashes ----------------------------------------------------------------------- */

static void hash_string(syn_sha256 *h, const char *s) {
  syn_sha256_update(h, s, strlen(s) + 1); /* the NUL separates fields */
}

/* Everything that decides the rows (not the task split, not the output name). */
static syn_status hash_config(syn_sweep *sw, syn_error *err) {
  syn_sha256 h;
  syn_sha256_init(&h);
  hash_string(&h, "synovia sweep configuration 1");
  hash_string(&h, syn_version());
  hash_string(&h, syn_sweep_text(sw));
  if (sw->table.text) hash_string(&h, sw->table.text);
  hash_string(&h, syn_scenario_text(sw->scenario));
  const syn_model *m = syn_scenario_model(sw->scenario);
  for (size_t i = 0; i < syn_model_file_count(m); i++) hash_string(&h, syn_model_file_text(m, i));
  syn_sha256_hex(&h, sw->files_sha256);
  syn_solver_opts o;
  sweep_solver_opts(sw, NULL, &o);
  return sweep_run_config(sw, &o, sw->config_sha256, &sw->solver_config, err);
}

void sweep_solver_opts(const syn_sweep *sw, const syn_solver_opts *given, syn_solver_opts *o) {
  if (given != NULL) {
    *o = *given;
    return;
  }
  syn_sweep_solver_opts(sw, o);
}

void syn_sweep_solver_opts(const syn_sweep *sw, syn_solver_opts *o) {
  syn_solver_opts_default(o);
  syn_scenario_solver_opts(sw->scenario, o);
  if (sw->natols > 0) o->atol_vec = sw->atol_vec;
}

/* The linear solver `auto` resolves to for this model (what a sample's
 * solver takes: the choice depends on the Jacobian's pattern and the
 * options, not on the values); the one asked for when not `auto`. */
static syn_status resolved_linsol(const syn_sweep *sw, const syn_solver_opts *o, syn_linsol *out,
                                  syn_error *err) {
  const syn_model *m = syn_scenario_model(sw->scenario);
  size_t n = syn_model_count(m, SYN_SYM_STATE);
  syn_instance *inst = NULL;
  syn_solver *solver = NULL;
  syn_ode ode;
  *out = o->linsol;
  if (o->linsol != SYN_LINSOL_AUTO || n == 0) return SYN_OK;
  double *y0 = syn_calloc(n, sizeof *y0);
  syn_status st = y0 ? syn_instance_create(m, &inst, err) : syn_error_set(err, SYN_ENOMEM, "out of memory");
  if (st == SYN_OK) {
    syn_instance_ode(inst, &ode);
    syn_instance_initial(inst, y0);
    st = syn_solver_create(&ode, o, 0.0, y0, &solver, err);
  }
  if (st == SYN_OK) {
    syn_solver_stats stats;
    syn_solver_get_stats(solver, &stats);
    *out = stats.linsol;
  }
  syn_solver_destroy(solver);
  syn_instance_destroy(inst);
  syn_free(y0);
  return st;
}

/* Appends to a growing text; 0 when out of memory. */
static int text_add(char **text, size_t *len, size_t *cap, const char *piece) {
  size_t n = strlen(piece);
  if (*len + n + 1 > *cap) {
    size_t c = (*cap ? *cap * 2 : 256) + n;
    char *t = syn_realloc(*text, c);
    if (t == NULL) return 0;
    *text = t;
    *cap = c;
  }
  memcpy(*text + *len, piece, n + 1);
  *len += n;
  return 1;
}

/* The solver options as text: every one that changes the rows, the linear
 * solver asked for and the one it resolves to, and each state whose
 * tolerance is not the scalar atol ("state atol MSC_blood 1 cells"). */
static syn_status config_text(const syn_sweep *sw, const syn_solver_opts *o, char **out,
                              syn_error *err) {
  const syn_model *m = syn_scenario_model(sw->scenario);
  syn_linsol used;
  syn_status st = resolved_linsol(sw, o, &used, err);
  if (st != SYN_OK) return st;
  char line[400];
  char *text = NULL;
  size_t len = 0, cap = 0;
  snprintf(line, sizeof line,
           "rtol %.17g atol %.17g max_steps %ld max_step %.17g init_step %.17g max_order %d "
           "linsol %s used %s klu_threshold %zu jacobian %d",
           o->rtol, o->atol, o->max_steps, o->max_step, o->init_step, o->max_order,
           syn_linsol_name(o->linsol), syn_linsol_name(used), o->klu_threshold, o->use_jacobian);
  int ok = text_add(&text, &len, &cap, line);
  size_t n = syn_model_count(m, SYN_SYM_STATE);
  double *v = syn_calloc(n ? n : 1, sizeof *v);
  ok = ok && v != NULL;
  if (ok) syn_state_atols_apply(m, o, NULL, 0, v); /* what the arms run with */
  for (size_t i = 0; ok && i < n; i++) {
    if (v[i] == o->atol) continue;
    const syn_symbol *sym = syn_model_symbol(m, SYN_SYM_STATE, i);
    snprintf(line, sizeof line, "; state atol %s %.17g%s%s", sym->name, v[i],
             sym->units[0] ? " " : "", sym->units);
    ok = text_add(&text, &len, &cap, line);
  }
  syn_free(v);
  if (!ok) {
    syn_free(text);
    return syn_error_set(err, SYN_ENOMEM, "out of memory");
  }
  *out = text;
  return SYN_OK;
}

syn_status sweep_run_config(const syn_sweep *sw, const syn_solver_opts *o,
                            char hash[SYN_SHA256_HEX], char **text, syn_error *err) {
  *text = NULL;
  syn_status st = config_text(sw, o, text, err);
  if (st != SYN_OK) return st;
  syn_sha256 h;
  syn_sha256_init(&h);
  hash_string(&h, "synovia sweep run configuration 2");
  hash_string(&h, sw->files_sha256);
  hash_string(&h, *text);
  syn_sha256_hex(&h, hash);
  return SYN_OK;
}

/* ---- load ------------------------------------------------------------------------ */

/* Each `atol NAME = A [UNIT]` line: a state of the scenario's model, once,
 * converted to the state's unit; then the per-state vector every sample
 * runs with (the scenario's tolerances, these lines over them). */
static syn_status resolve_atols(loader *L) {
  syn_sweep *sw = L->sw;
  const syn_model *m = syn_scenario_model(sw->scenario);
  size_t n = L->ast->natols, ny = syn_model_count(m, SYN_SYM_STATE);
  if (n == 0) return SYN_OK;
  sw->atols = arena_array(L, n, sizeof *sw->atols);
  sw->atol_vec = arena_array(L, ny ? ny : 1, sizeof *sw->atol_vec);
  if (sw->atols == NULL || sw->atol_vec == NULL) return oom(L);
  for (size_t i = 0; i < n; i++) {
    const ast_state_atol *it = &L->ast->atols[i];
    const ast_expr *e = it->value;
    char unit[256] = "";
    if (e->u.num.unit)
      snprintf(unit, sizeof unit, "%.*s", (int)e->u.num.unit->span.len,
               syn_span_text(L->src, e->u.num.unit->span));
    syn_symkind kind;
    size_t idx;
    int is_state = syn_model_find(m, it->name, &kind, &idx) && kind == SYN_SYM_STATE;
    if (syn_state_atol_resolve(m, it->name, e->u.num.value, unit, &sw->atols[i], L->err) != SYN_OK) {
      L->err->code = SYN_EINPUT;
      return relocate(L, is_state ? e->span : it->name_span);
    }
    for (size_t j = 0; j < i; j++)
      if (sw->atols[j].state == sw->atols[i].state) {
        int line, col;
        syn_srcset_linecol(L->src, L->ast->atols[j].name_span, &line, &col);
        return diag(L, it->name_span, "the atol of '%s' is already given on line %d", it->name,
                    line);
      }
  }
  sw->natols = n;
  syn_solver_opts o;
  syn_solver_opts_default(&o);
  syn_scenario_solver_opts(sw->scenario, &o);
  syn_state_atols_apply(m, &o, sw->atols, n, sw->atol_vec);
  return SYN_OK;
}

/* Every dose the sweep varies is a dose of an arm it runs (the problem's own
 * resolution: did-you-mean for the arm and the route), the error at the
 * vary line or the design file's header. */
static syn_status check_doses(loader *L) {
  syn_sweep *sw = L->sw;
  syn_status st = SYN_OK;
  for (size_t j = 0; j < sw->nparams && st == SYN_OK; j++) {
    if (!is_dose(sw->param_names[j])) continue;
    syn_problem *p = NULL;
    st = syn_problem_create(sw->scenario, sw->arms, sw->nrun, &sw->param_names[j], 1, NULL, &p,
                            L->err);
    syn_problem_destroy(p);
    if (st == SYN_OK || st == SYN_ENOMEM) continue;
    L->err->code = SYN_EINPUT;
    if (L->ast->design.kind != SWEEP_DESIGN_FILE) return relocate(L, L->ast->vary[j].name_span);
    syn_error e = *L->err;
    syn_error_set(L->err, e.code, "%s:%zu: column '%s': %s", sw->table.path,
                  sw->table.header_line, sw->param_names[j], e.message);
    if (e.hint[0]) syn_error_hint(L->err, "%s", e.hint);
  }
  return st;
}

static syn_status resolve(loader *L) {
  syn_status st = load_scenario(L);
  if (st == SYN_OK) st = resolve_atols(L);
  if (st == SYN_OK && L->ast->design.kind == SWEEP_DESIGN_FILE) {
    st = resolve_design(L); /* the table names the parameters */
  } else if (st == SYN_OK) {
    st = resolve_params(L);
    if (st == SYN_OK) st = resolve_design(L);
  }
  if (st == SYN_OK) st = resolve_arms(L);
  if (st == SYN_OK) st = check_doses(L);
  if (st == SYN_OK) st = resolve_metrics(L);
  if (st == SYN_OK) st = resolve_series(L);
  return st;
}

static syn_status load_sweep(const char *path, int plan_only, syn_sweep **out, syn_error *err) {
  syn_error local;
  if (err == NULL) err = &local;
  if (out == NULL || path == NULL) return syn_error_set(err, SYN_EINVAL, "no sweep path given");
  *out = NULL;
  syn_sweep *sw = syn_calloc(1, sizeof *sw);
  if (sw == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  sw->plan_only = plan_only;
  loader L = {sw, NULL, NULL, NULL, err};
  syn_status st = (sw->path = syn_strdup(path)) ? SYN_OK : oom(&L);
  if (st == SYN_OK) st = syn_sweep_parse_file(path, &sw->ast, err);
  if (st == SYN_OK) {
    L.ast = sw->ast;
    L.src = sw->ast->sources;
    L.arena = sw->ast->arena;
    syn_sha256 h;
    syn_sha256_init(&h);
    syn_sha256_update(&h, syn_sweep_text(sw), strlen(syn_sweep_text(sw)));
    syn_sha256_hex(&h, sw->sha256);
    st = resolve(&L);
  }
  if (st != SYN_OK) {
    syn_sweep_destroy(sw);
    return st;
  }
  st = hash_config(sw, err);
  if (st != SYN_OK) {
    syn_sweep_destroy(sw);
    return st;
  }
  *out = sw;
  return SYN_OK;
}

syn_status syn_sweep_load(const char *path, syn_sweep **out, syn_error *err) {
  return load_sweep(path, 0, out, err);
}

syn_status syn_sweep_load_plan(const char *path, syn_sweep **out, syn_error *err) {
  return load_sweep(path, 1, out, err);
}

int syn_sweep_is_plan(const syn_sweep *sw) { return sw->plan_only; }

void syn_sweep_destroy(syn_sweep *sw) {
  if (sw == NULL) return;
  syn_design_destroy(sw->design);
  sweep_table_free(&sw->table);
  syn_scenario_destroy(sw->scenario);
  syn_sweep_ast_destroy(sw->ast);
  syn_free(sw->solver_config);
  syn_free(sw->path);
  syn_free(sw);
}

/* ---- queries ---------------------------------------------------------------------- */

const char *syn_sweep_title(const syn_sweep *sw) { return sw->ast->title ? sw->ast->title : ""; }
const char *syn_sweep_path(const syn_sweep *sw) { return sw->path; }
const char *syn_sweep_text(const syn_sweep *sw) {
  return syn_srcset_get(sw->ast->sources, sw->ast->file)->text;
}
const char *syn_sweep_sha256(const syn_sweep *sw) { return sw->sha256; }
const char *syn_sweep_config_sha256(const syn_sweep *sw) { return sw->config_sha256; }
const syn_scenario *syn_sweep_scenario(const syn_sweep *sw) { return sw->scenario; }
const char *syn_sweep_design_name(const syn_sweep *sw) { return sw->design_name; }
const char *syn_sweep_design_file(const syn_sweep *sw) {
  return sw->table.path ? sw->table.path : "";
}
uint64_t syn_sweep_seed(const syn_sweep *sw) { return sw->seed; }
size_t syn_sweep_count(const syn_sweep *sw) { return sw->nsamples; }
size_t syn_sweep_base_count(const syn_sweep *sw) { return (size_t)sw->ast->design.n; }
int syn_sweep_second_order(const syn_sweep *sw) { return sw->ast->design.second_order; }

size_t syn_sweep_param_count(const syn_sweep *sw) { return sw->nparams; }
const char *syn_sweep_param_name(const syn_sweep *sw, size_t j) { return sw->param_names[j]; }
const char *syn_sweep_param_units(const syn_sweep *sw, size_t j) { return sw->param_units[j]; }
const char *syn_sweep_param_distribution(const syn_sweep *sw, size_t j) {
  return sw->param_dist[j];
}
void syn_sweep_param_range(const syn_sweep *sw, size_t j, double *lo, double *hi) {
  *lo = sw->param_lo[j];
  *hi = sw->param_hi[j];
}

size_t syn_sweep_arm_count(const syn_sweep *sw) { return sw->narms; }
const char *syn_sweep_arm_name(const syn_sweep *sw, size_t k) { return sw->arm_names[k]; }
size_t syn_sweep_metric_count(const syn_sweep *sw) { return sw->nmetrics; }
const char *syn_sweep_metric_name(const syn_sweep *sw, size_t k) { return sw->metric_names[k]; }
const char *syn_sweep_metric_units(const syn_sweep *sw, size_t k) { return sw->metric_units[k]; }
int syn_sweep_keeps_trajectories(const syn_sweep *sw) { return sw->nseries > 0; }

size_t syn_sweep_series_count(const syn_sweep *sw) { return sw->nseries; }
const char *syn_sweep_series_name(const syn_sweep *sw, size_t k) { return sw->series_names[k]; }
const char *syn_sweep_series_units(const syn_sweep *sw, size_t k) { return sw->series_units[k]; }
size_t syn_sweep_time_count(const syn_sweep *sw) { return sw->ntimes; }
const double *syn_sweep_times(const syn_sweep *sw) { return sw->times; }

syn_status syn_sweep_params(const syn_sweep *sw, size_t i, double *x, syn_error *err) {
  if (i >= sw->nsamples)
    return syn_error_set(err, SYN_EINVAL, "sample %zu is out of range (the sweep has %zu)", i,
                         sw->nsamples);
  if (sw->design) return syn_design_sample(sw->design, i, x, err);
  if (sw->table.v == NULL)
    return syn_error_set(err, SYN_EINVAL, "the sweep was loaded for a dry run: its design was "
                                          "not built (load it with syn_sweep_load)");
  memcpy(x, sw->table.v + i * sw->nparams, sw->nparams * sizeof *x);
  return SYN_OK;
}

/* ---- provenance and the output spec ------------------------------------------------ */

syn_status sweep_prov_init(const syn_sweep *sw, const char *command_line, sweep_prov *p,
                           syn_error *err) {
  const syn_model *m = syn_scenario_model(sw->scenario);
  size_t nm = syn_model_file_count(m), n = nm + 2 + (sw->table.text != NULL), k = 0;
  *p = (sweep_prov){0};
  p->paths = syn_calloc(n, sizeof *p->paths);
  p->texts = syn_calloc(n, sizeof *p->texts);
  if (p->paths == NULL || p->texts == NULL) {
    sweep_prov_free(p);
    return syn_error_set(err, SYN_ENOMEM, "out of memory");
  }
  p->paths[k] = sw->path;
  p->texts[k++] = syn_sweep_text(sw);
  if (sw->table.text) {
    p->paths[k] = sw->table.path;
    p->texts[k++] = sw->table.text;
  }
  p->paths[k] = syn_scenario_path(sw->scenario);
  p->texts[k++] = syn_scenario_text(sw->scenario);
  for (size_t i = 0; i < nm; i++, k++) {
    p->paths[k] = syn_model_file_path(m, i);
    p->texts[k] = syn_model_file_text(m, i);
  }
  p->prov = (syn_provenance){syn_sweep_title(sw)[0] ? syn_sweep_title(sw) : syn_model_title(m),
                             command_line ? command_line : "",
                             syn_model_sha256(m),
                             k,
                             p->paths,
                             p->texts,
                             NULL,
                             syn_scenario_sha256(sw->scenario),
                             syn_scenario_path(sw->scenario)};
  return SYN_OK;
}

void sweep_prov_free(sweep_prov *p) {
  syn_free(p->paths);
  syn_free(p->texts);
  *p = (sweep_prov){0};
}

void sweep_fill_spec(const syn_sweep *sw, const syn_provenance *prov, syn_h5sweep_spec *spec) {
  *spec = (syn_h5sweep_spec){0};
  spec->prov = prov;
  spec->sweep_sha256 = sw->sha256;
  spec->config_sha256 = sw->config_sha256;
  spec->sweep_file = sw->path;
  spec->design = sw->design_name;
  spec->seed = sw->seed;
  spec->base_seed = sw->seed;
  spec->design_n = (size_t)sw->ast->design.n;
  spec->second_order = sw->ast->design.second_order;
  spec->morris_levels = strcmp(sw->design_name, "morris") == 0
                            ? (sw->ast->design.morris_levels ? (size_t)sw->ast->design.morris_levels
                                                             : 4)
                            : 0;
  spec->nsamples = sw->nsamples;
  spec->nparams = sw->nparams;
  spec->param_names = sw->param_names;
  spec->param_units = sw->param_units;
  spec->param_lower = sw->param_lo;
  spec->param_upper = sw->param_hi;
  spec->param_distribution = sw->param_dist;
  spec->narms = sw->narms;
  spec->arm_names = sw->arm_names;
  spec->nmetrics = sw->nmetrics;
  spec->metric_names = sw->metric_names;
  spec->metric_units = sw->metric_units;
  spec->nseries = sw->nseries;
  spec->series_names = sw->series_names;
  spec->series_units = sw->series_units;
  spec->ntimes = sw->ntimes;
  spec->times = sw->times;
  spec->time_units = syn_model_time_unit(syn_scenario_model(sw->scenario));
}
