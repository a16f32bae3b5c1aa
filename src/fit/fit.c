/* synovia — loading a fit file into resolved structures (fit layer; see
 * include/synovia/fit.h).
 *
 * Order: parse; check the scenario file exists (located at the fit's
 * scenario line); load the scenario once as it is (its model's names) and
 * again with the observables appended to its model as outputs (and the
 * observables' own parameters as model parameters), an error there moved to
 * the observable's expression in the fit file; read the tables; resolve the
 * arms with data, the points, the parameters and the noise models; build the
 * problem and the map from estimated parameters to each arm's free ones. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/strbuf.h"
#include "fit_impl.h"
#include "lang/source.h"
#include "lang/suggest.h"
#include "lang/units.h"
#include "scenario/scenario_impl.h"
#include "synovia/model.h"
#include "synovia/optim.h"

/* Below this share of its mass inside the bounds, a prior contradicts them. */
#define PRIOR_MIN_MASS 0.01

typedef struct loader {
  syn_fit *f;
  syn_fit_ast *ast;
  const syn_srcset *src;
  syn_error *err;
  const syn_model *model;   /* the fit scenario's (with the observables) */
  fit_table *tables;
  size_t *est_first;        /* per estimate line: its first syn_fit_param */
  double *fix_values;       /* per fix line: converted */
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

static syn_status hint(syn_status st, loader *L, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static syn_status hint(syn_status st, loader *L, const char *fmt, ...) {
  char msg[SYN_ERROR_HINT_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  syn_error_hint(L->err, "%s", msg);
  return st;
}

static syn_status oom(loader *L) { return syn_error_set(L->err, SYN_ENOMEM, "out of memory"); }

static void *alloc(loader *L, size_t n, size_t size) {
  return syn_arena_alloc(L->ast->arena, (n ? n : 1) * size);
}

static int line_of(loader *L, syn_span s) {
  int line, col;
  syn_srcset_linecol(L->src, s, &line, &col);
  return line;
}

static const char *unit_text(loader *L, const ast_unit *u) {
  return u ? syn_arena_strndup(L->ast->arena, syn_span_text(L->src, u->span), u->span.len) : NULL;
}

/* ---- the scenario with the observables as outputs ------------------------------------ */

static int is_ident_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
static int is_ident(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }

/* Does the expression text use the plain name `name` (not after a '.')? */
static int formula_uses(const char *formula, const char *name) {
  size_t n = strlen(name);
  for (const char *s = formula; *s; s++) {
    if (!is_ident_start(*s) || (s > formula && (is_ident(s[-1]) || s[-1] == '.'))) continue;
    const char *e = s;
    while (is_ident(*e)) e++;
    if ((size_t)(e - s) == n && strncmp(s, name, n) == 0) return 1;
    s = e - 1;
  }
  return 0;
}

static int is_model_name(const syn_model *m, const char *name) {
  return syn_model_find(m, name, NULL, NULL) || syn_model_setting_units(m, name) != NULL;
}

/* An estimated name the model lacks, used in an observable's expression: a
 * parameter of the observables only (PEtab's observableParameters, a scale or
 * an offset), declared as a model parameter. */
static int observable_param(const syn_fit_ast *a, const syn_model *plain, const char *name) {
  if (strncmp(name, "dose:", 5) == 0 || is_model_name(plain, name)) return 0;
  for (size_t i = 0; i < a->nobs; i++)
    if (formula_uses(a->obs[i].formula, name)) return 1;
  return 0;
}

static double default_start(const ast_estimate *e) {
  double lo = e->lo->u.num.value, hi = e->hi->u.num.value;
  if (e->has_start) return e->start->u.num.value;
  return e->scale != FIT_SCALE_LIN && lo > 0 ? sqrt(lo * hi) : 0.5 * (lo + hi);
}

/* The lines appended to the model: observable parameters (nparam_lines of
 * them), then one output per observable. */
static syn_status extra_text(loader *L, const syn_model *plain, char **out, size_t *nparam_lines) {
  const syn_fit_ast *a = L->ast;
  syn_strbuf b = SYN_STRBUF_INIT;
  *nparam_lines = 0;
  for (size_t i = 0; i < a->nest; i++) {
    const ast_estimate *e = &a->est[i];
    if (!observable_param(a, plain, e->name)) continue;
    syn_strbuf_appendf(&b, "param %s = %.17g\n", e->name, default_start(e));
    ++*nparam_lines;
  }
  for (size_t i = 0; i < a->nobs; i++) {
    syn_strbuf_appendf(&b, "output %s = ", a->obs[i].name);
    for (const char *s = a->obs[i].formula; *s; s++) syn_strbuf_appendn(&b, *s == '\n' ? " " : s, 1);
    syn_strbuf_append(&b, "\n");
  }
  *out = b.failed ? NULL : syn_strdup(syn_strbuf_str(&b));
  syn_strbuf_free(&b);
  return *out ? SYN_OK : oom(L);
}

static size_t count_lines(const char *text) {
  size_t n = 0;
  for (; *text; text++) n += *text == '\n';
  return n;
}

/* An error in the appended lines, moved to the fit file. */
static syn_status relocate_extra(loader *L, const syn_model *plain, size_t nparam_lines) {
  syn_error *e = L->err;
  long first = (long)count_lines(syn_model_file_text(plain, 0)) + 2;
  long k = e->line - first;
  if (e->line == 0 || strcmp(e->file, syn_model_file_path(plain, 0)) != 0 || k < 0) return e->code;
  const syn_fit_ast *a = L->ast;
  if ((size_t)k < nparam_lines) {
    for (size_t i = 0, seen = 0; i < a->nest; i++)
      if (observable_param(a, plain, a->est[i].name) && seen++ == (size_t)k)
        return syn_diag_relocate(e, L->src, a->est[i].name_span);
    return e->code;
  }
  size_t o = (size_t)k - nparam_lines;
  if (o >= a->nobs) return e->code;
  const ast_observable *ob = &a->obs[o];
  long prefix = (long)strlen("output  = ") + (long)strlen(ob->name);
  long off = e->col - 1 - prefix;
  if (off < 0) return syn_diag_relocate(e, L->src, ob->name_span);
  if (off >= (long)ob->formula_span.len) off = (long)ob->formula_span.len - 1;
  long len = e->span > 0 ? e->span : 1;
  if (off + len > (long)ob->formula_span.len) len = (long)ob->formula_span.len - off;
  syn_span at = {ob->formula_span.file, ob->formula_span.off + (uint32_t)off, (uint32_t)len};
  if (strstr(e->hint, " at line ") != NULL) e->hint[0] = 0; /* a place in the model's text */
  return syn_diag_relocate(e, L->src, at);
}

static syn_status check_observable_names(loader *L, const syn_model *plain) {
  const syn_fit_ast *a = L->ast;
  for (size_t i = 0; i < a->nobs; i++)
    if (is_model_name(plain, a->obs[i].name))
      return hint(diag(L, a->obs[i].name_span, "the observable '%s' has the name of a symbol of "
                                                "the model", a->obs[i].name),
                  L, "observables become outputs of the model: give it another name (%s_obs)",
                  a->obs[i].name);
  return SYN_OK;
}

static syn_status load_scenario(loader *L) {
  syn_fit *f = L->f;
  const syn_fit_ast *a = L->ast;
  char *path = syn_path_resolve(f->path, a->scenario_path);
  if (path == NULL) return oom(L);
  uint32_t index;
  syn_scenario *plain = NULL;
  char *extra = NULL;
  size_t nparam_lines = 0;
  syn_status st = syn_srcset_load_file(L->ast->sources, path, &a->scenario_span, &index, L->err);
  if (st == SYN_OK) st = syn_scenario_load(path, &plain, L->err);
  if (st == SYN_OK) st = check_observable_names(L, syn_scenario_model(plain));
  if (st == SYN_OK) f->model_plain_len = strlen(syn_model_file_text(syn_scenario_model(plain), 0));
  if (st == SYN_OK) st = extra_text(L, syn_scenario_model(plain), &extra, &nparam_lines);
  if (st == SYN_OK) {
    st = syn_scenario_load_outputs(path, extra, &f->scenario, L->err);
    if (st != SYN_OK) relocate_extra(L, syn_scenario_model(plain), nparam_lines);
  }
  syn_free(extra);
  syn_scenario_destroy(plain);
  syn_free(path);
  if (st == SYN_OK) L->model = syn_scenario_model(f->scenario);
  return st;
}

/* ---- observables ------------------------------------------------------------------------ */

static syn_status resolve_observables(loader *L) {
  syn_fit *f = L->f;
  const syn_fit_ast *a = L->ast;
  size_t nstates = syn_model_count(L->model, SYN_SYM_STATE);
  f->nobs = a->nobs;
  if ((f->obs = alloc(L, a->nobs, sizeof *f->obs)) == NULL) return oom(L);
  for (size_t i = 0; i < a->nobs; i++) {
    syn_fit_observable *o = &f->obs[i];
    syn_symkind kind;
    size_t index = 0;
    if (!syn_model_find(L->model, a->obs[i].name, &kind, &index) || kind != SYN_SYM_OUTPUT)
      return syn_error_set(L->err, SYN_EINTERNAL, "the observable '%s' is not an output", a->obs[i].name);
    const syn_symbol *sym = syn_model_symbol(L->model, SYN_SYM_OUTPUT, index);
    o->name = a->obs[i].name;
    o->formula = a->obs[i].formula;
    o->units = sym->units;
    o->output = index;
    o->series = nstates + index;
    o->dist = (syn_fit_dist)a->obs[i].noise.dist;
    o->from_data = !a->obs[i].noise.given || a->obs[i].noise.from_data;
    o->add.param = o->prop.param = SYN_FIT_NONE;
  }
  return SYN_OK;
}

static size_t find_observable(const syn_fit *f, const char *name) {
  for (size_t i = 0; i < f->nobs; i++)
    if (strcmp(f->obs[i].name, name) == 0) return i;
  return SYN_FIT_NONE;
}

/* ---- data --------------------------------------------------------------------------------- */

static syn_status read_tables(loader *L) {
  const syn_fit_ast *a = L->ast;
  if ((L->tables = alloc(L, a->ndata, sizeof *L->tables)) == NULL) return oom(L);
  syn_status st = SYN_OK;
  for (size_t i = 0; i < a->ndata && st == SYN_OK; i++)
    st = fit_table_read(L->ast, L->f->path, &a->data[i], &L->tables[i], L->err);
  return st;
}

/* The fit's arms: the scenario's arms that some row names, in scenario order. */
static syn_status resolve_arms(loader *L) {
  syn_fit *f = L->f;
  size_t na = syn_scenario_arm_count(f->scenario);
  unsigned char *used = alloc(L, na, 1);
  if (used == NULL) return oom(L);
  for (size_t t = 0; t < L->ast->ndata; t++)
    for (size_t r = 0; r < L->tables[t].nrows; r++) {
      const fit_cell *c = &L->tables[t].rows[r].cell[FIT_COL_ARM];
      size_t k;
      if (c->text[0] == 0) return hint(diag(L, c->span, "the arm is empty"), L, "name one of the scenario's arms");
      if (syn_scenario_find_arm(f->scenario, c->text, &k, L->err) != SYN_OK)
        return syn_diag_relocate(L->err, L->src, c->span);
      used[k] = 1;
    }
  if ((f->arms = alloc(L, na, sizeof *f->arms)) == NULL) return oom(L);
  for (size_t k = 0; k < na; k++)
    if (used[k]) f->arms[f->narms++] = k;
  return SYN_OK;
}

static size_t fit_arm_of(const syn_fit *f, const char *name) {
  for (size_t i = 0; i < f->narms; i++)
    if (strcmp(syn_scenario_arm_name(f->scenario, f->arms[i]), name) == 0) return i;
  return SYN_FIT_NONE;
}

/* A decimal number filling the whole cell (no hex, inf or nan). */
static int parse_number(const char *s, double *v) {
  if (*s == 0 || strpbrk(s, "xXiInN") != NULL) return 0;
  char *end;
  *v = strtod(s, &end);
  return *end == 0 && isfinite(*v);
}

static syn_status number_cell(loader *L, const fit_cell *c, const char *what, double *v) {
  if (parse_number(c->text, v)) return SYN_OK;
  if (c->text[0] == 0) return hint(diag(L, c->span, "the %s is empty", what), L, "every row needs its %s", what);
  return hint(diag(L, c->span, "the %s '%s' is not a number", what, c->text), L,
              "write a decimal number (1.5, 2e-3)%s",
              strcmp(what, "value") == 0 ? "; a unit goes in the header: value (pg/mL)" : "");
}

static syn_status time_cell(loader *L, const fit_table *t, const fit_cell *c, double *clock) {
  double v;
  char buf[256];
  if (parse_number(c->text, &v)) {
    if (t->time_unit == NULL)
      return hint(diag(L, c->span, "the time '%s' has no unit", c->text), L,
                  "give the unit in the header, time (d), or in the cell, %s d", c->text);
    snprintf(buf, sizeof buf, "%s %s", c->text, t->time_unit);
  } else if (t->time_unit != NULL) {
    return hint(diag(L, c->span, "the time '%s' is not a number", c->text), L,
                "the header gives its unit (%s): write the number alone", t->time_unit);
  } else {
    snprintf(buf, sizeof buf, "%s", c->text);
  }
  if (syn_model_parse_time(L->model, buf, clock, L->err) != SYN_OK)
    return syn_diag_relocate(L->err, L->src, t->time_unit && c->text[0] ? t->header[FIT_COL_TIME].span : c->span);
  double t0, t1, every;
  syn_scenario_grid(L->f->scenario, &t0, &t1, &every);
  if (*clock < t0 || *clock > t1) {
    double unit = 1;
    const char *u = t->time_unit;
    char one[64];
    if (u) {
      snprintf(one, sizeof one, "1 %s", u);
      if (syn_model_parse_time(L->model, one, &unit, NULL) != SYN_OK) unit = 1;
    } else {
      u = syn_model_time_unit(L->model);
    }
    return hint(diag(L, c->span, "the time %s is outside the simulation (%g to %g %s)", c->text,
                     t0 / unit, t1 / unit, u), L,
                "drop the row, or simulate longer in the scenario");
  }
  return SYN_OK;
}

/* The value's unit factor to the observable's unit (1 without a unit). */
static syn_status value_factor(loader *L, const fit_table *t, const fit_row *row,
                               const syn_fit_observable *o, double *k) {
  *k = 1;
  if (t->value_unit == NULL) return SYN_OK;
  if (syn_unit_convert(o->name, 1.0, t->value_unit, o->units, k, L->err) != SYN_OK)
    return syn_diag_relocate(L->err, L->src, row->cell[FIT_COL_VALUE].span);
  return SYN_OK;
}

/* The sd of the point from the sd / se / n cells; NaN when none. */
static syn_status sd_cells(loader *L, const fit_row *row, double *sd) {
  const fit_cell *csd = &row->cell[FIT_COL_SD], *cse = &row->cell[FIT_COL_SE], *cn = &row->cell[FIT_COL_N];
  *sd = NAN;
  const fit_cell *c = csd->text && csd->text[0] ? csd : cse->text && cse->text[0] ? cse : NULL;
  double n = 1;
  if (cn->text && cn->text[0]) {
    if (c == NULL)
      return hint(diag(L, cn->span, "n without an sd"), L, "n counts the subjects an sd is over: fill in the sd");
    if (!parse_number(cn->text, &n) || n != floor(n) || n < 1)
      return hint(diag(L, cn->span, "n must be a whole number, at least 1 (found '%s')", cn->text), L,
                  "the number of subjects the mean and sd are over");
  }
  if (c == NULL) return SYN_OK;
  const char *what = c == csd ? "sd" : "se";
  syn_status st = number_cell(L, c, what, sd);
  if (st == SYN_OK && !(*sd > 0))
    return hint(diag(L, c->span, "the %s must be positive (found %s)", what, c->text), L,
                "a zero or negative %s gives no likelihood: correct it, or leave the cell empty and "
                "give the observable a noise model", what);
  *sd /= sqrt(n);
  return st;
}

/* A table's sd of value v as the noise model's spread: the sd of ln v or
 * log10 v for a transformed model, and for a Laplace one its scale (the sd
 * of a Laplace density is sqrt(2) times its scale). */
static double data_spread(const fit_noise_kind *nk, double v, double sd) {
  if (!isfinite(sd)) return sd;
  if (nk->transform != FIT_SCALE_LIN) sd = sqrt(log1p((sd / v) * (sd / v)));
  if (nk->transform == FIT_SCALE_LOG10) sd /= log(10.0);
  return nk->laplace ? sd / sqrt(2.0) : sd;
}

static syn_status resolve_row(loader *L, const fit_table *t, const fit_row *row, syn_fit_point *p) {
  syn_fit *f = L->f;
  const fit_cell *cobs = &row->cell[FIT_COL_OBS];
  p->observable = find_observable(f, cobs->text);
  if (p->observable == SYN_FIT_NONE) {
    const char **names = alloc(L, f->nobs, sizeof *names);
    if (names == NULL) return oom(L);
    for (size_t i = 0; i < f->nobs; i++) names[i] = f->obs[i].name;
    const char *near = syn_suggest(cobs->text, strlen(cobs->text), names, f->nobs);
    if (near) return diag(L, cobs->span, "unknown observable '%s' (did you mean '%s'?)", cobs->text, near);
    return hint(diag(L, cobs->span, "unknown observable '%s'", cobs->text), L,
                "define it in the fit file: observable %s = …", cobs->text[0] ? cobs->text : "NAME");
  }
  const syn_fit_observable *o = &f->obs[p->observable];
  p->arm = fit_arm_of(f, row->cell[FIT_COL_ARM].text);
  p->file = row->file;
  p->line = row->line;
  p->source = row->cell[FIT_COL_SOURCE].text ? row->cell[FIT_COL_SOURCE].text : "";
  double k = 1, sd = NAN;
  syn_status st = time_cell(L, t, &row->cell[FIT_COL_TIME], &p->time);
  if (st == SYN_OK) st = number_cell(L, &row->cell[FIT_COL_VALUE], "value", &p->value);
  if (st == SYN_OK) st = sd_cells(L, row, &sd);
  if (st == SYN_OK) st = value_factor(L, t, row, o, &k);
  if (st != SYN_OK) return st;
  p->value *= k;
  sd *= k;
  const fit_noise_kind *nk = &fit_noise_kinds[o->dist];
  if (nk->transform != FIT_SCALE_LIN && !(p->value > 0))
    return hint(diag(L, row->cell[FIT_COL_VALUE].span, "a value of %s with %s noise",
                     row->cell[FIT_COL_VALUE].text, nk->adjective), L,
                "%s noise needs positive values: use normal noise for '%s'", nk->adjective, o->name);
  sd = data_spread(nk, p->value, sd);
  p->sd = sd;
  if (o->from_data && !isfinite(sd))
    return hint(diag(L, row->cell[FIT_COL_OBS].span, "no sd for '%s', which takes its sd from the data",
                     o->name), L,
                "fill in this row's sd (or se), or give '%s' a noise model: noise normal sd = 0.5",
                o->name);
  return SYN_OK;
}

static int point_order(const void *pa, const void *pb) {
  const syn_fit_point *a = pa, *b = pb;
  if (a->arm != b->arm) return a->arm < b->arm ? -1 : 1;
  if (a->time != b->time) return a->time < b->time ? -1 : 1;
  if (a->file != b->file) return strcmp(a->file, b->file);
  return (a->line > b->line) - (a->line < b->line);
}

static syn_status resolve_points(loader *L) {
  syn_fit *f = L->f;
  size_t n = 0;
  for (size_t t = 0; t < L->ast->ndata; t++) n += L->tables[t].nrows;
  if ((f->points = alloc(L, n, sizeof *f->points)) == NULL) return oom(L);
  syn_status st = SYN_OK;
  for (size_t t = 0; t < L->ast->ndata && st == SYN_OK; t++)
    for (size_t r = 0; r < L->tables[t].nrows && st == SYN_OK; r++)
      st = resolve_row(L, &L->tables[t], &L->tables[t].rows[r], &f->points[f->npoints++]);
  if (st != SYN_OK) return st;
  qsort(f->points, f->npoints, sizeof *f->points, point_order);
  f->arm_first = alloc(L, f->narms, sizeof *f->arm_first);
  f->arm_count = alloc(L, f->narms, sizeof *f->arm_count);
  if (f->arm_first == NULL || f->arm_count == NULL) return oom(L);
  for (size_t i = f->npoints; i-- > 0;) {
    f->arm_first[f->points[i].arm] = i;
    f->arm_count[f->points[i].arm]++;
  }
  return SYN_OK;
}

/* ---- parameters --------------------------------------------------------------------------- */

static int noise_uses(const syn_fit_ast *a, const char *name) {
  for (size_t i = 0; i < a->nobs; i++) {
    const ast_fit_noise *n = &a->obs[i].noise;
    if ((n->add.name && strcmp(n->add.name, name) == 0) || (n->prop.name && strcmp(n->prop.name, name) == 0))
      return 1;
  }
  return 0;
}

/* Is the name settable in the problem? A scratch problem says (the same
 * message as syn_problem_create would give), moved to the name. */
static syn_status check_settable(loader *L, const char *name, syn_span at) {
  syn_problem *p = NULL;
  syn_status st = syn_problem_create(L->f->scenario, NULL, 0, &name, 1, NULL, &p, L->err);
  syn_problem_destroy(p);
  return st == SYN_OK ? SYN_OK : syn_diag_relocate(L->err, L->src, at);
}

static syn_status unknown_param(loader *L, const ast_estimate *e) {
  size_t total = 0;
  for (int k = 0; k < SYN_SYM_KIND_COUNT; k++) total += syn_model_count(L->model, (syn_symkind)k);
  const char **names = alloc(L, total, sizeof *names);
  if (names == NULL) return oom(L);
  size_t n = 0;
  static const syn_symkind settable[] = {SYN_SYM_PARAM, SYN_SYM_STATE, SYN_SYM_COMPARTMENT};
  for (size_t k = 0; k < 3; k++)
    for (size_t i = 0; i < syn_model_count(L->model, settable[k]); i++)
      names[n++] = syn_model_symbol(L->model, settable[k], i)->name;
  const char *near = syn_suggest(e->name, strlen(e->name), names, n);
  syn_status st = near ? diag(L, e->name_span, "unknown parameter '%s' (did you mean '%s'?)", e->name, near)
                       : diag(L, e->name_span, "unknown parameter '%s'", e->name);
  return hint(st, L, "estimate a model parameter, a state's initial value, a compartment, a dose "
                     "(\"dose:ARM:ROUTE.amount\") or a parameter of a noise line");
}

/* The target's unit factor: bounds written in `unit` into the target's unit. */
static syn_status bound_factor(loader *L, const ast_estimate *e, syn_fit_target kind, const ast_unit *u,
                               double *k) {
  *k = 1;
  if (u == NULL) return SYN_OK;
  if (kind == SYN_FIT_NOISE || strncmp(e->name, "dose:", 5) == 0)
    return hint(diag(L, u->span, "a unit on the bounds of '%s'", e->name), L,
                kind == SYN_FIT_NOISE ? "a noise parameter is in its observable's unit: give bare numbers"
                                      : "a dose amount is in the unit of its dose statement: give bare numbers");
  if (syn_model_convert(L->model, e->name, 1.0, unit_text(L, u), k, L->err) != SYN_OK)
    return syn_diag_relocate(L->err, L->src, u->span);
  return SYN_OK;
}

static double to_scale(syn_fit_scale s, double x) {
  return s == SYN_FIT_LOG ? log(x) : s == SYN_FIT_LOG10 ? log10(x) : x;
}

static double normal_cdf(double z) { return 0.5 * erfc(-z / sqrt(2.0)); }

/* The share of the prior's mass inside [lo, hi]. */
static double prior_mass(const syn_fit_prior *p, syn_fit_scale s, double lo, double hi) {
  if (p->on_scale) {
    lo = to_scale(s, lo);
    hi = to_scale(s, hi);
  }
  switch (p->kind) {
    case SYN_FIT_PRIOR_NORMAL: return normal_cdf((hi - p->a) / p->b) - normal_cdf((lo - p->a) / p->b);
    case SYN_FIT_PRIOR_LOGNORMAL:
      return normal_cdf((log(hi) - p->a) / p->b) - (lo > 0 ? normal_cdf((log(lo) - p->a) / p->b) : 0);
    case SYN_FIT_PRIOR_UNIFORM: {
      double a = fmax(lo, p->a), b = fmin(hi, p->b);
      return b > a ? (b - a) / (p->b - p->a) : 0;
    }
    default: return 1;
  }
}

static syn_status check_bounds(loader *L, const ast_estimate *e, const syn_fit_param *p) {
  if (!(p->lower < p->upper))
    return hint(diag(L, e->within_span, "the bounds of '%s' are reversed or equal (%g is not below %g)",
                     e->name, p->lower, p->upper), L,
                "write the lower bound first: within LOW HIGH");
  if (p->scale != SYN_FIT_LIN && !(p->lower > 0))
    return hint(diag(L, e->within_span, "a %s scale needs a positive lower bound (found %g)",
                     syn_fit_scale_name((fit_scale)p->scale), p->lower), L,
                "use a small positive lower bound (1e-6), or the lin scale");
  if (p->has_start && !(p->start >= p->lower && p->start <= p->upper))
    return hint(diag(L, e->start->span, "the start %g of '%s' is outside its bounds (%g to %g)", p->start,
                     e->name, p->lower, p->upper), L, "choose a start within the bounds");
  if (p->prior.kind != SYN_FIT_PRIOR_NONE) {
    double mass = prior_mass(&p->prior, p->scale, p->lower, p->upper);
    if (!(mass >= PRIOR_MIN_MASS))
      return hint(diag(L, e->prior.span, "the prior of '%s' lies outside its bounds (%.2g%% of its mass "
                                          "within %g to %g)", e->name, 100 * mass, p->lower, p->upper),
                  L, "a prior%s is in the parameter's %s; move it or the bounds",
                  p->prior.on_scale ? " on scale" : "", p->prior.on_scale ? "scale" : "linear value");
  }
  return SYN_OK;
}

static syn_status fill_param(loader *L, const ast_estimate *e, syn_fit_target kind, syn_fit_param *p) {
  double klo, khi, kst = 1;
  syn_status st = bound_factor(L, e, kind, e->lo->u.num.unit, &klo);
  if (st == SYN_OK) st = bound_factor(L, e, kind, e->hi->u.num.unit, &khi);
  if (st == SYN_OK && e->has_start) st = bound_factor(L, e, kind, e->start->u.num.unit, &kst);
  if (st != SYN_OK) return st;
  p->target = e->name;
  p->kind = kind;
  p->scale = (syn_fit_scale)e->scale;
  p->lower = e->lo->u.num.value * klo;
  p->upper = e->hi->u.num.value * khi;
  p->has_start = e->has_start;
  p->start = e->has_start ? e->start->u.num.value * kst : (double)NAN;
  p->prior.kind = (syn_fit_prior_kind)e->prior.kind;
  p->prior.a = e->prior.a;
  p->prior.b = e->prior.b;
  p->prior.on_scale = e->prior.on_scale;
  p->free_index = SYN_FIT_NONE;
  return check_bounds(L, e, p);
}

static syn_status estimate_kind(loader *L, const ast_estimate *e, syn_fit_target *kind) {
  if (strncmp(e->name, "dose:", 5) == 0 || is_model_name(L->model, e->name)) {
    *kind = SYN_FIT_MODEL;
    if (noise_uses(L->ast, e->name))
      return hint(diag(L, e->name_span, "'%s' is a name of the model and a noise parameter", e->name), L,
                  "give the noise parameter its own name (sigma_%s)", e->name);
    return check_settable(L, e->name, e->name_span);
  }
  if (!noise_uses(L->ast, e->name)) return unknown_param(L, e);
  *kind = SYN_FIT_NOISE;
  if (e->arms != FIT_ARMS_ALL)
    return hint(diag(L, e->arm_span, "a noise parameter per arm"), L,
                "a noise parameter belongs to its observable, in every arm");
  return SYN_OK;
}

static syn_status arm_of_estimate(loader *L, const ast_estimate *e, size_t *arm) {
  size_t k;
  if (syn_scenario_find_arm(L->f->scenario, e->arm, &k, L->err) != SYN_OK)
    return syn_diag_relocate(L->err, L->src, e->arm_span);
  *arm = fit_arm_of(L->f, e->arm);
  if (*arm == SYN_FIT_NONE)
    return hint(diag(L, e->arm_span, "the arm '%s' has no data", e->arm), L,
                "nothing in the tables can estimate '%s' for it", e->name);
  return SYN_OK;
}

static syn_status resolve_params(loader *L) {
  syn_fit *f = L->f;
  const syn_fit_ast *a = L->ast;
  size_t total = 0;
  for (size_t i = 0; i < a->nest; i++) total += a->est[i].arms == FIT_ARMS_EACH ? f->narms : 1;
  f->params = alloc(L, total, sizeof *f->params);
  L->est_first = alloc(L, a->nest, sizeof *L->est_first);
  if (f->params == NULL || L->est_first == NULL) return oom(L);
  for (size_t i = 0; i < a->nest; i++) {
    const ast_estimate *e = &a->est[i];
    syn_fit_target kind = SYN_FIT_MODEL;
    syn_status st = estimate_kind(L, e, &kind);
    if (st == SYN_OK && e->arms != FIT_ARMS_ALL && strncmp(e->name, "dose:", 5) == 0)
      return hint(diag(L, e->arm_span, "a dose per arm"), L, "a dose belongs to its arm already: %s", e->name);
    size_t arm = SYN_FIT_NONE;
    if (st == SYN_OK && e->arms == FIT_ARMS_ONE) st = arm_of_estimate(L, e, &arm);
    if (st != SYN_OK) return st;
    L->est_first[i] = f->nparams;
    size_t copies = e->arms == FIT_ARMS_EACH ? f->narms : 1;
    for (size_t c = 0; c < copies; c++) {
      syn_fit_param *p = &f->params[f->nparams++];
      if ((st = fill_param(L, e, kind, p)) != SYN_OK) return st;
      p->arm = e->arms == FIT_ARMS_EACH ? c : arm;
      if (e->arms == FIT_ARMS_ALL) {
        p->name = e->name;
      } else {
        const char *an = syn_scenario_arm_name(f->scenario, f->arms[p->arm]);
        size_t len = strlen(e->name) + strlen(an) + 3;
        char *nm = alloc(L, len, 1);
        if (nm == NULL) return oom(L);
        snprintf(nm, len, "%s[%s]", e->name, an);
        p->name = nm;
      }
    }
  }
  return SYN_OK;
}

static syn_status resolve_fixes(loader *L) {
  const syn_fit_ast *a = L->ast;
  if ((L->fix_values = alloc(L, a->nfixes, sizeof *L->fix_values)) == NULL) return oom(L);
  for (size_t i = 0; i < a->nfixes; i++) {
    const ast_fix *x = &a->fixes[i];
    for (size_t j = 0; j < a->nest; j++)
      if (strcmp(a->est[j].name, x->name) == 0)
        return hint(diag(L, x->name_span, "'%s' is estimated on line %d and fixed here", x->name,
                         line_of(L, a->est[j].span)), L, "estimate it or fix it, not both");
    if (!is_model_name(L->model, x->name) && strncmp(x->name, "dose:", 5) != 0)
      return hint(diag(L, x->name_span, "unknown parameter '%s'", x->name), L,
                  "fix a model parameter, a state's initial value, a compartment or a dose "
                  "(\"dose:ARM:ROUTE.amount\")");
    syn_status st = check_settable(L, x->name, x->name_span);
    const ast_unit *u = x->value->u.num.unit;
    L->fix_values[i] = x->value->u.num.value;
    if (st == SYN_OK && u != NULL) {
      if (strncmp(x->name, "dose:", 5) == 0)
        return hint(diag(L, u->span, "a unit on the dose '%s'", x->name), L,
                    "a dose amount is in the unit of its dose statement: give a bare number");
      if (syn_model_convert(L->model, x->name, x->value->u.num.value, unit_text(L, u), &L->fix_values[i],
                            L->err) != SYN_OK)
        return syn_diag_relocate(L->err, L->src, u->span);
    }
    if (st != SYN_OK) return st;
  }
  return SYN_OK;
}

/* A noise term: a constant (in the observable's unit) or an estimated noise parameter. */
static syn_status noise_term(loader *L, const ast_observable *ao, const ast_fit_term *t,
                             syn_fit_term *out) {
  const syn_fit *f = L->f;
  out->param = SYN_FIT_NONE;
  out->value = 0;
  if (!t->present) return SYN_OK;
  if (t->name) {
    for (size_t i = 0; i < f->nparams; i++)
      if (f->params[i].kind == SYN_FIT_NOISE && strcmp(f->params[i].target, t->name) == 0) {
        out->param = i;
        return SYN_OK;
      }
    return hint(diag(L, t->span, "'%s' is not estimated", t->name), L,
                "estimate it (estimate %s log10 within 0.01 10), or write the sd's value", t->name);
  }
  out->value = t->value;
  if (t->unit != NULL) {
    const fit_noise_kind *nk = &fit_noise_kinds[ao->noise.dist];
    if (nk->transform != FIT_SCALE_LIN)
      return hint(diag(L, t->unit->span, "a unit on a %s %s", nk->adjective, nk->spread), L,
                  "the %s %s is the %s of %s(y), without a unit", nk->adjective, nk->spread, nk->spread,
                  nk->transform == FIT_SCALE_LOG ? "ln" : "log10");
    const syn_fit_observable *o = &f->obs[find_observable(f, ao->name)];
    if (syn_unit_convert(o->name, t->value, unit_text(L, t->unit), o->units, &out->value, L->err) != SYN_OK)
      return syn_diag_relocate(L->err, L->src, t->unit->span);
  }
  if (!(out->value > 0))
    return hint(diag(L, t->span, "the %s must be positive (found %g)", fit_noise_kinds[ao->noise.dist].spread,
                     t->value), L,
                "a zero or negative sd gives no likelihood");
  return SYN_OK;
}

static syn_status resolve_noise(loader *L) {
  const syn_fit_ast *a = L->ast;
  syn_status st = SYN_OK;
  for (size_t i = 0; i < a->nobs && st == SYN_OK; i++) {
    const ast_observable *ao = &a->obs[i];
    if (!ao->noise.given || ao->noise.from_data) continue;
    st = noise_term(L, ao, &ao->noise.add, &L->f->obs[i].add);
    if (st == SYN_OK) st = noise_term(L, ao, &ao->noise.prop, &L->f->obs[i].prop);
  }
  return st;
}

/* ---- noise models (fit_noise_kinds is their table) ---------------------------------------- */

_Static_assert((int)SYN_FIT_LOG10LAPLACE + 1 == (int)FIT_NOISE_COUNT, "syn_fit_dist follows fit_dist");
_Static_assert((int)SYN_FIT_LOG10 == (int)FIT_SCALE_LOG10, "syn_fit_scale follows fit_scale");

const char *syn_fit_dist_name(syn_fit_dist d) {
  return (unsigned)d < FIT_NOISE_COUNT ? fit_noise_kinds[d].word : "?";
}

syn_fit_scale syn_fit_dist_transform(syn_fit_dist d) {
  return (unsigned)d < FIT_NOISE_COUNT ? (syn_fit_scale)fit_noise_kinds[d].transform : SYN_FIT_LIN;
}

int syn_fit_dist_laplace(syn_fit_dist d) { return (unsigned)d < FIT_NOISE_COUNT && fit_noise_kinds[d].laplace; }

/* ---- the problem and the map x -> theta ------------------------------------------------- */

static size_t free_index(syn_fit *f, const char *name) {
  for (size_t i = 0; i < f->nfree; i++)
    if (strcmp(f->free_names[i], name) == 0) return i;
  return SYN_FIT_NONE;
}

static void add_free(syn_fit *f, const char *name) {
  if (free_index(f, name) == SYN_FIT_NONE) f->free_names[f->nfree++] = name;
}

/* The symbol a settable name sets: itself, or for a per-joint name without
 * its joint ("severity") the first joint's copy (all copies get one value). */
static void find_setting(const syn_model *m, const char *name, syn_symkind *kind, size_t *index) {
  if (syn_model_find(m, name, kind, index)) return;
  static const syn_symkind kinds[] = {SYN_SYM_PARAM, SYN_SYM_COMPARTMENT, SYN_SYM_STATE};
  for (size_t k = 0; k < 3; k++)
    for (size_t i = 0; i < syn_model_count(m, kinds[k]); i++)
      if (strcmp(syn_model_symbol(m, kinds[k], i)->base, name) == 0) {
        *kind = kinds[k];
        *index = i;
        return;
      }
}

/* The value arm k's own settings give a model value (for a parameter
 * estimated for another arm only). */
static syn_status arm_value(loader *L, size_t arm, const char *name, double *out) {
  const syn_scenario *s = L->f->scenario;
  const scn_arm *A = &s->arms[arm]; /* a scenario arm */
  syn_instance *inst = NULL;
  syn_status st = syn_instance_create(L->model, &inst, L->err);
  for (size_t i = 0; i < s->ncommon + A->nsettings && st == SYN_OK; i++) {
    const scn_setting *x = i < s->ncommon ? &s->common[i] : &A->settings[i - s->ncommon];
    st = x->is_preset ? syn_instance_use_preset(inst, x->name, L->err)
                      : syn_instance_set(inst, x->name, x->value, L->err);
  }
  if (st == SYN_OK) st = syn_instance_prepare(inst, L->err);
  if (st == SYN_OK) {
    syn_symkind kind = SYN_SYM_PARAM;
    size_t index = 0;
    find_setting(L->model, name, &kind, &index);
    if (kind == SYN_SYM_STATE) {
      double *y0 = syn_calloc(syn_model_count(L->model, SYN_SYM_STATE), sizeof *y0);
      if (y0 == NULL) st = oom(L);
      else {
        syn_instance_initial(inst, y0);
        *out = y0[index];
        syn_free(y0);
      }
    } else {
      *out = syn_instance_value(inst, kind, index);
    }
  }
  syn_instance_destroy(inst);
  return st;
}

/* The map from estimated parameters to the free ones of the scenario arms
 * sarms[0..narms): per arm and free parameter the estimate giving it, else
 * the fixed value or, for a parameter estimated for other arms only, this
 * arm's own value. */
static syn_status fill_theta_map(loader *L, const size_t *sarms, size_t narms, size_t **param_out,
                                 double **value_out) {
  syn_fit *f = L->f;
  const syn_fit_ast *a = L->ast;
  size_t n = narms * f->nfree;
  size_t *param = *param_out = alloc(L, n, sizeof *param);
  double *value = *value_out = alloc(L, n, sizeof *value);
  if (param == NULL || value == NULL) return oom(L);
  for (size_t k = 0; k < n; k++) param[k] = SYN_FIT_NONE;
  for (size_t i = 0; i < a->nfixes; i++)
    for (size_t arm = 0; arm < narms; arm++)
      value[arm * f->nfree + free_index(f, a->fixes[i].name)] = L->fix_values[i];
  for (size_t i = 0; i < f->nparams; i++) {
    syn_fit_param *p = &f->params[i];
    if (p->kind != SYN_FIT_MODEL) continue;
    p->free_index = free_index(f, p->target);
    for (size_t arm = 0; arm < narms; arm++)
      if (p->arm == SYN_FIT_NONE || f->arms[p->arm] == sarms[arm])
        param[arm * f->nfree + p->free_index] = i;
  }
  /* an estimate for some arms only: the others keep their own value */
  for (size_t i = 0; i < f->nparams; i++) {
    const syn_fit_param *p = &f->params[i];
    if (p->kind != SYN_FIT_MODEL || p->arm == SYN_FIT_NONE) continue;
    for (size_t arm = 0; arm < narms; arm++) {
      size_t k = arm * f->nfree + p->free_index;
      if (param[k] != SYN_FIT_NONE) continue;
      syn_status st = arm_value(L, sarms[arm], p->target, &value[k]);
      if (st != SYN_OK) return st;
    }
  }
  return SYN_OK;
}

static syn_status build_theta_map(loader *L) {
  return fill_theta_map(L, L->f->arms, L->f->narms, &L->f->theta_param, &L->f->theta_value);
}

static syn_status build_problem(loader *L) {
  syn_fit *f = L->f;
  const syn_fit_ast *a = L->ast;
  f->free_names = alloc(L, f->nparams + a->nfixes, sizeof *f->free_names);
  if (f->free_names == NULL) return oom(L);
  for (size_t i = 0; i < f->nparams; i++)
    if (f->params[i].kind == SYN_FIT_MODEL) add_free(f, f->params[i].target);
  for (size_t i = 0; i < a->nfixes; i++) add_free(f, a->fixes[i].name);
  syn_status st = syn_problem_create(f->scenario, f->arms, f->narms, f->free_names, f->nfree, NULL,
                                     &f->problem, L->err);
  if (st != SYN_OK) return syn_diag_relocate(L->err, L->src, a->scenario_span);
  return build_theta_map(L);
}

/* ---- uncertainty settings and predictions ------------------------------------------------- */

/* `profile NAME`: the parameter of that name, or every per-arm copy of it. */
static int names_param(const syn_fit_param *p, const char *name) {
  size_t n = strlen(name);
  return strcmp(p->name, name) == 0 || (strncmp(p->name, name, n) == 0 && p->name[n] == '[');
}

static syn_status resolve_profile(loader *L) {
  syn_fit *f = L->f;
  const syn_fit_ast *a = L->ast;
  if ((f->profiled = alloc(L, f->nparams, 1)) == NULL) return oom(L);
  for (size_t j = 0; j < f->nparams; j++) f->profiled[j] = a->profile == FIT_PROFILE_ALL;
  for (size_t i = 0; i < a->nprofile; i++) {
    int found = 0;
    for (size_t j = 0; j < f->nparams; j++)
      if (names_param(&f->params[j], a->profile_names[i])) f->profiled[j] = (unsigned char)(found = 1);
    if (!found)
      return hint(diag(L, a->profile_spans[i], "'%s' is not an estimated parameter",
                       a->profile_names[i]),
                  L, "profile names parameters of 'estimate' lines (or: profile all, profile none)");
  }
  return SYN_OK;
}

static syn_status resolve_term(loader *L, const ast_pred_term *t, syn_fit_pred_term *out,
                               const char **units) {
  const syn_scenario *s = L->f->scenario;
  size_t nm = syn_scenario_metric_count(s), m = 0;
  while (m < nm && strcmp(syn_scenario_metric_name(s, m), t->metric) != 0) m++;
  if (m == nm) {
    const char **names = alloc(L, nm, sizeof *names);
    if (names == NULL) return oom(L);
    for (size_t i = 0; i < nm; i++) names[i] = syn_scenario_metric_name(s, i);
    const char *near = syn_suggest(t->metric, strlen(t->metric), names, nm);
    if (near) return diag(L, t->metric_span, "unknown metric '%s' (did you mean '%s'?)", t->metric, near);
    return hint(diag(L, t->metric_span, "unknown metric '%s'", t->metric), L,
                nm ? "name one of the scenario's 'metric' lines" : "the scenario defines no metrics");
  }
  if (syn_scenario_find_arm(s, t->arm, &out->arm, L->err) != SYN_OK)
    return syn_diag_relocate(L->err, L->src, t->arm_span);
  out->sign = t->sign;
  out->metric = m;
  const char *u = syn_scenario_metric_units(s, m);
  if (*units == NULL) *units = u;
  else if (strcmp(*units, u) != 0)
    return hint(diag(L, t->metric_span, "'%s' is in %s, the terms before it in %s", t->metric,
                     u[0] ? u : "no unit", (*units)[0] ? *units : "no unit"),
                L, "the terms of a prediction add up: give them one unit");
  return SYN_OK;
}

static syn_status resolve_predictions(loader *L) {
  syn_fit *f = L->f;
  const syn_fit_ast *a = L->ast;
  if (a->npreds == 0) return SYN_OK;
  if ((f->preds = alloc(L, a->npreds, sizeof *f->preds)) == NULL) return oom(L);
  for (size_t i = 0; i < a->npreds; i++) {
    const ast_prediction *d = &a->preds[i];
    syn_fit_pred_term *terms = alloc(L, d->nterms, sizeof *terms);
    const char *units = NULL;
    if (terms == NULL) return oom(L);
    for (size_t k = 0; k < d->nterms; k++) {
      syn_status st = resolve_term(L, &d->terms[k], &terms[k], &units);
      if (st != SYN_OK) return st;
    }
    f->preds[f->npreds++] = (syn_fit_prediction){d->name, d->formula, units ? units : "", terms, d->nterms};
  }
  size_t ns = syn_scenario_arm_count(f->scenario);
  size_t *all = alloc(L, ns, sizeof *all);
  if (all == NULL) return oom(L);
  for (size_t k = 0; k < ns; k++) all[k] = k;
  syn_status st = syn_problem_create(f->scenario, NULL, 0, f->free_names, f->nfree, NULL,
                                     &f->sproblem, L->err);
  if (st != SYN_OK) return syn_diag_relocate(L->err, L->src, a->preds[0].name_span);
  return fill_theta_map(L, all, ns, &f->stheta_param, &f->stheta_value);
}

/* The fit file's optimizer against the optimisers' table (the parser takes
 * any word): an unknown name is located, with a did-you-mean and the list. */
static syn_status check_optimizer(loader *L) {
  const char *name = L->ast->optimizer;
  if (name == NULL || syn_optim_type_find(name) != NULL) return SYN_OK;
  const char *names[16];
  char list[256] = "";
  size_t n = 0;
  for (; n < syn_optim_type_count() && n < 16; n++) {
    names[n] = syn_optim_type_name(syn_optim_type_at(n));
    size_t used = strlen(list);
    snprintf(list + used, sizeof list - used, "%s%s", n ? ", " : "", names[n]);
  }
  const char *near = syn_suggest(name, strlen(name), names, n);
  syn_status st = near ? diag(L, L->ast->optimizer_span, "unknown optimizer '%s' (did you mean '%s'?)", name, near)
                       : diag(L, L->ast->optimizer_span, "unknown optimizer '%s'", name);
  return hint(st, L, "optimizers: %s (docs/optimisers.md)", list);
}

/* ---- entry points ------------------------------------------------------------------------ */

syn_status fit_file_load(const char *path, syn_fit **out, syn_error *err) {
  syn_error local;
  if (err == NULL) err = &local;
  if (out == NULL || path == NULL) return syn_error_set(err, SYN_EINVAL, "no fit path given");
  *out = NULL;
  syn_fit *f = syn_calloc(1, sizeof *f);
  if (f == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  syn_status st = (f->path = syn_strdup(path)) ? SYN_OK : syn_error_set(err, SYN_ENOMEM, "out of memory");
  if (st == SYN_OK) st = syn_fit_parse_file(path, &f->ast, err);
  loader L = {f, f->ast, f->ast ? f->ast->sources : NULL, err, NULL, NULL, NULL, NULL};
  if (st == SYN_OK) st = check_optimizer(&L);
  if (st == SYN_OK) st = load_scenario(&L);
  if (st == SYN_OK) st = resolve_observables(&L);
  if (st == SYN_OK) st = read_tables(&L);
  if (st == SYN_OK) st = resolve_arms(&L);
  if (st == SYN_OK) st = resolve_points(&L);
  if (st == SYN_OK) st = resolve_params(&L);
  if (st == SYN_OK) st = resolve_fixes(&L);
  if (st == SYN_OK) st = resolve_noise(&L);
  if (st == SYN_OK) st = build_problem(&L);
  if (st == SYN_OK) st = resolve_profile(&L);
  if (st == SYN_OK) st = resolve_predictions(&L);
  if (st != SYN_OK) {
    syn_fit_destroy(f);
    return st;
  }
  *out = f;
  return SYN_OK;
}

void syn_fit_destroy(syn_fit *f) {
  if (f == NULL) return;
  syn_problem_destroy(f->problem);
  syn_problem_destroy(f->sproblem);
  syn_scenario_destroy(f->scenario);
  syn_fit_ast_destroy(f->ast);
  syn_free(f->path);
  syn_free(f);
}

const char *syn_fit_title(const syn_fit *f) { return f->ast->title ? f->ast->title : ""; }
const char *syn_fit_path(const syn_fit *f) { return f->path; }
const syn_scenario *syn_fit_scenario(const syn_fit *f) { return f->scenario; }
const syn_problem *syn_fit_problem(const syn_fit *f) { return f->problem; }
size_t syn_fit_arm_count(const syn_fit *f) { return f->narms; }
const char *syn_fit_arm_name(const syn_fit *f, size_t arm) {
  return arm < f->narms ? syn_scenario_arm_name(f->scenario, f->arms[arm]) : NULL;
}
size_t syn_fit_observable_count(const syn_fit *f) { return f->nobs; }
const syn_fit_observable *syn_fit_observable_at(const syn_fit *f, size_t i) {
  return i < f->nobs ? &f->obs[i] : NULL;
}
size_t syn_fit_param_count(const syn_fit *f) { return f->nparams; }
const syn_fit_param *syn_fit_param_at(const syn_fit *f, size_t i) {
  return i < f->nparams ? &f->params[i] : NULL;
}
size_t syn_fit_point_count(const syn_fit *f) { return f->npoints; }
const syn_fit_point *syn_fit_point_at(const syn_fit *f, size_t i) {
  return i < f->npoints ? &f->points[i] : NULL;
}
size_t syn_fit_arm_points(const syn_fit *f, size_t arm, size_t *first) {
  if (arm >= f->narms) {
    if (first) *first = 0;
    return 0;
  }
  if (first) *first = f->arm_first[arm];
  return f->arm_count[arm];
}

static double start_of(const syn_fit_param *p) {
  if (p->has_start) return p->start;
  return p->scale != SYN_FIT_LIN ? sqrt(p->lower * p->upper) : 0.5 * (p->lower + p->upper);
}

static void theta_from(const syn_fit *f, const size_t *param, const double *value,
                       const double *x, double *theta) {
  for (size_t j = 0; j < f->nfree; j++) {
    size_t p = param[j];
    theta[j] = p == SYN_FIT_NONE ? value[j] : x ? x[p] : start_of(&f->params[p]);
  }
}

void syn_fit_theta(const syn_fit *f, size_t arm, const double *x, double *theta) {
  theta_from(f, f->theta_param + arm * f->nfree, f->theta_value + arm * f->nfree, x, theta);
}

void syn_fit_scenario_theta(const syn_fit *f, size_t arm, const double *x, double *theta) {
  theta_from(f, f->stheta_param + arm * f->nfree, f->stheta_value + arm * f->nfree, x, theta);
}

const syn_problem *syn_fit_scenario_problem(const syn_fit *f) { return f->sproblem; }
size_t syn_fit_prediction_count(const syn_fit *f) { return f->npreds; }
const syn_fit_prediction *syn_fit_prediction_at(const syn_fit *f, size_t i) {
  return i < f->npreds ? &f->preds[i] : NULL;
}
double syn_fit_confidence(const syn_fit *f) {
  return f->ast->confidence > 0 ? f->ast->confidence : 0.95;
}
int syn_fit_profiled(const syn_fit *f, size_t param) {
  return param < f->nparams && f->profiled[param];
}

const char *syn_fit_optimizer(const syn_fit *f) {
  return f->ast->optimizer ? f->ast->optimizer : "lm";
}
size_t syn_fit_starts(const syn_fit *f) { return f->ast->starts ? (size_t)f->ast->starts : 1; }
const char *syn_fit_start_design(const syn_fit *f) {
  return f->ast->design ? f->ast->design : "lhs";
}
uint64_t syn_fit_seed(const syn_fit *f) { return f->ast->has_seed ? f->ast->seed : 1; }
