/* synovia — a PEtab v1 problem as a fit (fit layer; docs/petab.md).
 *
 * The tables are read and checked here, every error located at its cell;
 * then the problem is written as the three texts a fit file needs (a fit
 * file, a scenario and a data table) into a private temporary folder, loaded
 * with syn_fit_load's own code, and the folder removed. The fit then names
 * the problem file as its path and each data point's measurement row as its
 * place, so nothing downstream sees the translation.
 *
 * The mapping (docs/petab.md): conditions -> arms (`set` per override,
 * preequilibration -> `baseline steady`); each observable with each distinct
 * pair of observableParameters/noiseParameters -> one observable (its
 * placeholders replaced); transformation log -> lognormal noise; noise
 * formulas of the form A + B * OBS -> `noise ... sd = A + B * y`;
 * parameters -> estimate (scale, bounds, nominalValue as start, priors) or,
 * fixed, `fix` for a model symbol and the value itself in formulas. */
#define _XOPEN_SOURCE 700 /* realpath, mkdtemp */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/strbuf.h"
#include "fit_impl.h"
#include "petab.h"
#include "scenario/scenario_impl.h"
#include "synovia/model.h"
#include "synovia/sbml.h"

typedef struct pt_param {
  const char *id;
  size_t row;
  int estimate;
  const char *scale;      /* "lin", "log", "log10" */
  double lower, upper, nominal;
  int has_nominal;
  char prior[160];        /* the fit file's prior clause, "" if none */
  int used;
  int in_formula;         /* named by an observable or noise formula */
  /* Condition cells naming it (an estimated one: a condition-specific
   * parameter, the fit's `estimate COLUMN for arm "CONDITION"`). */
  size_t nbound;
  const char *column;     /* the model symbol the first such cell sets */
  const char *condition;  /* the first such cell's condition */
  pt_cell cell;           /* the first such cell */
  int bad_binding;        /* 1: a cell of another column names it too (bad_cell) */
  pt_cell bad_cell;
  const char *bad_column;
} pt_param;

typedef struct pt_variant {
  size_t obs;             /* observable table row */
  const char *opars, *npars;
  size_t meas;            /* the first measurement row, for messages */
  char name[160];
} pt_variant;

typedef struct tr {
  syn_srcset *src;
  syn_error *err;
  const char *yaml;
  pt_files files;
  pt_table par, cond, obs, meas;
  syn_model *model;
  pt_param *params;
  size_t npar;
  pt_variant *var;
  size_t nvar;
  size_t *meas_var;       /* per measurement row */
  int preeq;
  double tmax;
  syn_strbuf fit, scen, data;
} tr;

/* The columns each table must have. */
static const char *const par_cols[] = {"parameterId", "parameterScale", "lowerBound", "upperBound",
                                       "nominalValue", "estimate", NULL};
static const char *const obs_cols[] = {"observableId", "observableFormula", "noiseFormula", NULL};
static const char *const meas_cols[] = {"observableId", "simulationConditionId", "measurement",
                                        "time", NULL};
static const char *const cond_cols[] = {"conditionId", NULL};

/* PEtab's objectivePriorType -> the fit file's prior clause. */
static const struct { const char *petab, *fit; int on_scale; } prior_map[] = {
    {"normal", "normal", 0},           {"logNormal", "lognormal", 0},
    {"uniform", "uniform", 0},         {"parameterScaleNormal", "normal", 1},
    {"parameterScaleUniform", "uniform", 1}};

static const char *const scales[] = {"lin", "log", "log10"};

/* ---- messages ------------------------------------------------------------------------------- */

static syn_status at_cell(tr *T, pt_cell c, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static syn_status at_cell(tr *T, pt_cell c, const char *hint, const char *fmt, ...) {
  char msg[SYN_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (c.span.len == 0) c.span.len = 1;
  syn_diag(T->err, T->src, c.span, SYN_EINPUT, "%s", msg);
  if (hint) syn_error_hint(T->err, "%s", hint);
  return SYN_EINPUT;
}

static syn_status oom(tr *T) { return syn_error_set(T->err, SYN_ENOMEM, "out of memory"); }

static const char *col_name(const pt_table *t, long c) { return c >= 0 ? t->head[c].text : "?"; }

/* ---- cells ---------------------------------------------------------------------------------- */

static int is_number(const char *s, double *v) {
  char *end;
  if (s[0] == 0) return 0;
  errno = 0;
  *v = strtod(s, &end);
  return *end == 0 && errno != ERANGE;
}

static syn_status number_at(tr *T, const pt_table *t, size_t r, long c, double *v) {
  pt_cell cell = petab_cell(t, r, c);
  if (is_number(cell.text, v) && isfinite(*v)) return SYN_OK;
  return at_cell(T, cell, "write a finite decimal number", "%s: '%s' is not a number", col_name(t, c), cell.text);
}

static int is_id(const char *s) {
  if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_')) return 0;
  for (s++; *s; s++)
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return 0;
  return 1;
}

static syn_status id_at(tr *T, const pt_table *t, size_t r, long c) {
  pt_cell cell = petab_cell(t, r, c);
  if (is_id(cell.text)) return SYN_OK;
  return at_cell(T, cell, "PEtab ids are letters, digits and _, not starting with a digit",
                 "%s: '%s' is not a valid id", col_name(t, c), cell.text);
}

static syn_status require_columns(tr *T, const pt_table *t, const char *const *cols) {
  for (size_t i = 0; cols[i]; i++)
    if (petab_column(t, cols[i]) < 0)
      return at_cell(T, t->head[0], "see docs/petab.md for each table's columns",
                     "the table %s has no column '%s'", t->path, cols[i]);
  if (t->nrows == 0) return at_cell(T, t->head[0], "add the table's rows", "the table %s has no rows", t->path);
  return SYN_OK;
}

/* The row of table t whose column c is `id`, or SIZE_MAX. */
static size_t find_row(const pt_table *t, long c, const char *id) {
  for (size_t r = 0; r < t->nrows; r++)
    if (strcmp(petab_cell(t, r, c).text, id) == 0) return r;
  return SIZE_MAX;
}

static syn_status unique_ids(tr *T, const pt_table *t, const char *col) {
  long c = petab_column(t, col);
  for (size_t r = 0; r < t->nrows; r++) {
    syn_status st = id_at(T, t, r, c);
    if (st != SYN_OK) return st;
    if (find_row(t, c, petab_cell(t, r, c).text) != r)
      return at_cell(T, petab_cell(t, r, c), "give each row its own id", "%s: '%s' appears twice", col,
                     petab_cell(t, r, c).text);
  }
  return SYN_OK;
}

/* Any symbol of the model (a formula may read lets and outputs too). */
static int model_has(const tr *T, const char *name) {
  syn_symkind k;
  size_t i;
  return syn_model_find(T->model, name, &k, &i);
}

/* What a condition or `fix` may set: a parameter, compartment or initial value. */
static int model_settable(const tr *T, const char *name) {
  syn_symkind k;
  size_t i;
  return syn_model_find(T->model, name, &k, &i) && k != SYN_SYM_OUTPUT && k != SYN_SYM_LET;
}

static pt_param *param_of(tr *T, const char *id) {
  for (size_t i = 0; i < T->npar; i++)
    if (strcmp(T->params[i].id, id) == 0) return &T->params[i];
  return NULL;
}

/* ---- parameters ----------------------------------------------------------------------------- */

static syn_status parse_scale(tr *T, size_t r, pt_param *p) {
  long c = petab_column(&T->par, "parameterScale");
  pt_cell cell = petab_cell(&T->par, r, c);
  for (size_t i = 0; i < sizeof scales / sizeof *scales; i++)
    if (strcmp(cell.text, scales[i]) == 0) return (p->scale = scales[i]), SYN_OK;
  return at_cell(T, cell, "PEtab v1 scales: lin, log, log10", "parameterScale: '%s' is not a scale", cell.text);
}

static syn_status parse_prior(tr *T, size_t r, pt_param *p) {
  long c = petab_column(&T->par, "objectivePriorType"), cp = petab_column(&T->par, "objectivePriorParameters");
  pt_cell type = petab_cell(&T->par, r, c), pars = petab_cell(&T->par, r, cp);
  if (type.text[0] == 0 || !p->estimate) return SYN_OK;
  size_t k = 0, n = sizeof prior_map / sizeof *prior_map;
  while (k < n && strcmp(prior_map[k].petab, type.text) != 0) k++;
  if (k == n)
    return at_cell(T, type, "supported: normal, logNormal, uniform, parameterScaleNormal, parameterScaleUniform",
                   "objectivePriorType: '%s' is not supported", type.text);
  double a, b;
  char extra;
  if (sscanf(pars.text, "%lf;%lf%c", &a, &b, &extra) != 2 || !isfinite(a) || !isfinite(b))
    return at_cell(T, pars, "write the prior's two numbers as A;B", "objectivePriorParameters: '%s' is not two numbers", pars.text);
  snprintf(p->prior, sizeof p->prior, " prior %s %.17g %.17g%s", prior_map[k].fit, a, b,
           prior_map[k].on_scale ? " on scale" : "");
  return SYN_OK;
}

static syn_status parse_estimate(tr *T, size_t r, pt_param *p) {
  long c = petab_column(&T->par, "estimate");
  pt_cell cell = petab_cell(&T->par, r, c);
  if (strcmp(cell.text, "0") != 0 && strcmp(cell.text, "1") != 0)
    return at_cell(T, cell, "1 to estimate the parameter, 0 to hold it at its nominalValue",
                   "estimate: '%s' is not 0 or 1", cell.text);
  p->estimate = cell.text[0] == '1';
  return SYN_OK;
}

static syn_status parse_bounds(tr *T, size_t r, pt_param *p) {
  syn_status st = number_at(T, &T->par, r, petab_column(&T->par, "lowerBound"), &p->lower);
  if (st == SYN_OK) st = number_at(T, &T->par, r, petab_column(&T->par, "upperBound"), &p->upper);
  if (st != SYN_OK) return st;
  pt_cell lo = petab_cell(&T->par, r, petab_column(&T->par, "lowerBound"));
  if (!(p->lower < p->upper))
    return at_cell(T, lo, "the lower bound must be below the upper one", "lowerBound %g is not below upperBound %g", p->lower, p->upper);
  if (strcmp(p->scale, "lin") != 0 && !(p->lower > 0))
    return at_cell(T, lo, "a log scale needs a positive lower bound", "lowerBound %g on the %s scale", p->lower, p->scale);
  return SYN_OK;
}

static syn_status parse_nominal(tr *T, size_t r, pt_param *p) {
  long c = petab_column(&T->par, "nominalValue");
  pt_cell cell = petab_cell(&T->par, r, c);
  if (cell.text[0] == 0 && p->estimate) return SYN_OK;
  syn_status st = number_at(T, &T->par, r, c, &p->nominal);
  if (st != SYN_OK) return st;
  p->has_nominal = 1;
  if (p->estimate && (p->nominal < p->lower || p->nominal > p->upper))
    return at_cell(T, cell, "put the nominal value within the bounds", "nominalValue %g is outside the bounds %g to %g",
                   p->nominal, p->lower, p->upper);
  return SYN_OK;
}

static syn_status read_params(tr *T) {
  syn_status st = require_columns(T, &T->par, par_cols);
  if (st == SYN_OK) st = unique_ids(T, &T->par, "parameterId");
  if (st != SYN_OK) return st;
  T->npar = T->par.nrows;
  if ((T->params = syn_calloc(T->npar, sizeof *T->params)) == NULL) return oom(T);
  long cid = petab_column(&T->par, "parameterId");
  for (size_t r = 0; r < T->npar && st == SYN_OK; r++) {
    pt_param *p = &T->params[r];
    p->id = petab_cell(&T->par, r, cid).text;
    p->row = r;
    st = parse_scale(T, r, p);
    if (st == SYN_OK) st = parse_estimate(T, r, p);
    if (st == SYN_OK && p->estimate) st = parse_bounds(T, r, p);
    if (st == SYN_OK) st = parse_nominal(T, r, p);
    if (st == SYN_OK) st = parse_prior(T, r, p);
  }
  return st;
}

/* ---- formulas ------------------------------------------------------------------------------- */

/* What a name of a formula becomes: written into out (a name or a number),
 * or an error at `at`. placeholders: the values given for this variant. */
typedef struct subst {
  const char *obs_id;
  const char *prefix;     /* "observableParameter" or "noiseParameter" */
  const char *values;     /* the ;-separated cell of the measurement */
  pt_cell values_cell;
  pt_cell at;             /* the formula's cell */
  const char *formula_col;
  int noise;              /* the noise formula: the observable's own id is y */
} subst;

/* The k-th (1-based) ;-separated value of list, into buf; 0 if none. */
static int nth_value(const char *list, int k, char *buf, size_t size) {
  const char *s = list;
  for (int i = 1; i < k && s; i++) {
    s = strchr(s, ';');
    if (s) s++;
  }
  if (s == NULL || *list == 0) return 0;
  const char *e = strchr(s, ';');
  size_t n = e ? (size_t)(e - s) : strlen(s);
  while (n && s[0] == ' ') s++, n--;
  while (n && s[n - 1] == ' ') n--;
  if (n == 0 || n >= size) return 0;
  memcpy(buf, s, n);
  buf[n] = 0;
  return 1;
}

/* A parameter-table id or a number as the formula should read it: a fixed
 * parameter by its name when the model has it (`fix` sets it), except in a
 * noise formula (whose terms are numbers or estimated parameters). */
static int value_text(tr *T, const char *v, int noise, char *out, size_t size) {
  double d;
  if (is_number(v, &d)) return snprintf(out, size, "(%.17g)", d), 1;
  pt_param *p = param_of(T, v);
  if (p == NULL) return 0;
  p->used = 1;
  p->in_formula = 1;
  if (p->estimate || (!noise && model_has(T, v))) snprintf(out, size, "%s", v);
  else snprintf(out, size, "(%.17g)", p->nominal);
  return 1;
}

/* The placeholder `name` (PREFIXk_OBS) of subst s, or 0 when name is none. */
static syn_status placeholder(tr *T, const subst *s, const char *name, char *out, size_t size, int *done) {
  size_t pl = strlen(s->prefix);
  *done = 0;
  if (strncmp(name, s->prefix, pl) != 0) return SYN_OK;
  char *end;
  long k = strtol(name + pl, &end, 10);
  if (end == name + pl || *end != '_' || strcmp(end + 1, s->obs_id) != 0 || k < 1) return SYN_OK;
  char v[128];
  *done = 1;
  const char *col = s->noise ? "noiseParameters" : "observableParameters";
  if (!nth_value(s->values, (int)k, v, sizeof v))
    return at_cell(T, s->values_cell, "give one value per placeholder, separated by ;",
                   "%s: '%s' gives no value %ld for %s of observable '%s'", col, s->values, k, name, s->obs_id);
  if (!value_text(T, v, s->noise, out, size))
    return at_cell(T, s->values_cell, "give a number or a parameterId of the parameter table",
                   "%s: '%s' is neither a number nor a parameter of the parameter table", col, v);
  return SYN_OK;
}

static syn_status name_text(tr *T, const subst *s, const char *name, char *out, size_t size) {
  int done;
  syn_status st = placeholder(T, s, name, out, size, &done);
  if (st != SYN_OK || done) return st;
  if (s->noise && strcmp(name, s->obs_id) == 0) return snprintf(out, size, "y"), SYN_OK;
  if (param_of(T, name)) return value_text(T, name, s->noise, out, size), SYN_OK;
  if (model_has(T, name)) return snprintf(out, size, "%s", name), SYN_OK;
  if (strcmp(name, "time") == 0) return snprintf(out, size, "t"), SYN_OK;
  return at_cell(T, s->at, "add it to the parameter table, or correct the name",
                 "%s of '%s': '%s' is neither a symbol of the model nor a parameter of the parameter table",
                 s->formula_col, s->obs_id, name);
}

static size_t number_len(const char *s) {
  size_t i = 0;
  while ((s[i] >= '0' && s[i] <= '9') || s[i] == '.') i++;
  if (i && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (s[j] == '+' || s[j] == '-') j++;
    if (s[j] >= '0' && s[j] <= '9') {
      i = j;
      while (s[i] >= '0' && s[i] <= '9') i++;
    }
  }
  return i;
}

static int ident_char(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

/* The formula with every name replaced as name_text says (a function's
 * name, followed by '(', kept). */
static syn_status substitute(tr *T, const subst *s, const char *formula, syn_strbuf *out) {
  for (const char *p = formula; *p;) {
    size_t n = number_len(p);
    if (n) {
      syn_strbuf_appendn(out, p, n);
      p += n;
      continue;
    }
    if (!ident_char(*p)) {
      syn_strbuf_appendn(out, p++, 1);
      continue;
    }
    const char *e = p;
    while (ident_char(*e)) e++;
    char name[256], rep[256];
    snprintf(name, sizeof name, "%.*s", (int)(e - p), p);
    const char *after = e;
    while (*after == ' ') after++;
    if (*after == '(') {
      syn_strbuf_append(out, name);
    } else {
      syn_status st = name_text(T, s, name, rep, sizeof rep);
      if (st != SYN_OK) return st;
      syn_strbuf_append(out, rep);
    }
    p = e;
  }
  return out->failed ? oom(T) : SYN_OK;
}

/* ---- noise formulas ------------------------------------------------------------------------- */

/* A noise term: a number or a name, without its parentheses. */
static int noise_atom(const char *s, size_t n, char *out, size_t size) {
  while (n && *s == ' ') s++, n--;
  while (n && s[n - 1] == ' ') n--;
  if (n >= 2 && s[0] == '(' && s[n - 1] == ')') s++, n -= 2;
  if (n == 0 || n >= size) return 0;
  memcpy(out, s, n);
  out[n] = 0;
  double v;
  return is_number(out, &v) || is_id(out);
}

/* One term "A" or "A * y" / "y * A" (is_prop set). */
static int noise_term(const char *s, size_t n, char *atom, size_t size, int *is_prop) {
  const char *star = memchr(s, '*', n);
  *is_prop = 0;
  if (star == NULL) return noise_atom(s, n, atom, size) && strcmp(atom, "y") != 0;
  char a[128], b[128];
  if (!noise_atom(s, (size_t)(star - s), a, sizeof a) || !noise_atom(star + 1, n - (size_t)(star - s) - 1, b, sizeof b))
    return 0;
  *is_prop = 1;
  if (strcmp(b, "y") == 0) return snprintf(atom, size, "%s", a), strcmp(a, "y") != 0;
  if (strcmp(a, "y") == 0) return snprintf(atom, size, "%s", b), 1;
  return 0;
}

/* "sd = A + B * y" from the substituted noise formula, or 0. */
static int noise_clause(const char *f, char *out, size_t size, int *has_prop) {
  char add[128] = "", prop[128] = "";
  *has_prop = 0;
  const char *s = f;
  for (int terms = 0; *s; terms++) {
    const char *plus = strchr(s, '+');
    size_t n = plus ? (size_t)(plus - s) : strlen(s);
    char atom[128];
    int is_prop;
    if (terms == 2 || !noise_term(s, n, atom, sizeof atom, &is_prop)) return 0;
    char *slot = is_prop ? prop : add;
    if (slot[0]) return 0;
    snprintf(slot, 128, "%s", atom);
    s = plus ? plus + 1 : s + n;
  }
  double v;
  if (is_number(prop, &v) && v == 0) prop[0] = 0;  /* "A + 0 * y": a placeholder's 0 */
  if (prop[0] && is_number(add, &v) && v == 0) add[0] = 0;
  *has_prop = prop[0] != 0;
  if (add[0] && prop[0]) snprintf(out, size, "%s + %s * y", add, prop);
  else if (add[0]) snprintf(out, size, "%s", add);
  else if (prop[0]) snprintf(out, size, "%s * y", prop);
  else return 0;
  return 1;
}

/* ---- observables and measurements ----------------------------------------------------------- */

/* The noise model of a PEtab transformation and distribution (empty: lin,
 * normal), or FIT_NOISE_COUNT. */
static fit_dist noise_kind(const char *transformation, const char *distribution) {
  const char *tf = transformation[0] ? transformation : "lin", *d = distribution[0] ? distribution : "normal";
  for (size_t k = 0; k < FIT_NOISE_COUNT; k++)
    if (strcmp(fit_noise_kinds[k].petab_transformation, tf) == 0 && strcmp(fit_noise_kinds[k].petab_distribution, d) == 0)
      return (fit_dist)k;
  return FIT_NOISE_COUNT;
}

static syn_status read_observables(tr *T) {
  syn_status st = require_columns(T, &T->obs, obs_cols);
  if (st == SYN_OK) st = unique_ids(T, &T->obs, "observableId");
  long cid = petab_column(&T->obs, "observableId");
  long ctr = petab_column(&T->obs, "observableTransformation"), cd = petab_column(&T->obs, "noiseDistribution");
  for (size_t r = 0; r < T->obs.nrows && st == SYN_OK; r++) {
    pt_cell id = petab_cell(&T->obs, r, cid), tf = petab_cell(&T->obs, r, ctr), d = petab_cell(&T->obs, r, cd);
    if (model_has(T, id.text) || param_of(T, id.text))
      st = at_cell(T, id, "PEtab observable ids may not name model entities or parameters: rename it",
                   "observableId: '%s' is also a symbol of the model or a parameter", id.text);
    else if (noise_kind(tf.text, "normal") == FIT_NOISE_COUNT)
      st = at_cell(T, tf, "PEtab v1 transformations: lin, log, log10",
                   "observableTransformation: '%s' is not supported", tf.text);
    else if (noise_kind("lin", d.text) == FIT_NOISE_COUNT)
      st = at_cell(T, d, "PEtab v1 noise distributions: normal, laplace",
                   "noiseDistribution: '%s' is not supported", d.text);
  }
  return st;
}

static syn_status check_meas_row(tr *T, size_t r) {
  long co = petab_column(&T->meas, "observableId"), cs = petab_column(&T->meas, "simulationConditionId");
  long cp = petab_column(&T->meas, "preequilibrationConditionId"), ct = petab_column(&T->meas, "time");
  pt_cell o = petab_cell(&T->meas, r, co), c = petab_cell(&T->meas, r, cs), p = petab_cell(&T->meas, r, cp);
  pt_cell t = petab_cell(&T->meas, r, ct);
  long cond_id = petab_column(&T->cond, "conditionId");
  double v;
  if (find_row(&T->obs, petab_column(&T->obs, "observableId"), o.text) == SIZE_MAX)
    return at_cell(T, o, "add it to the observable table, or correct the id", "observableId: unknown observable '%s'", o.text);
  if (find_row(&T->cond, cond_id, c.text) == SIZE_MAX)
    return at_cell(T, c, "add it to the condition table, or correct the id", "simulationConditionId: unknown condition '%s'", c.text);
  if (p.text[0] && strcmp(p.text, c.text) != 0)
    return at_cell(T, p, "synovia pre-equilibrates each condition with its own parameters (baseline steady)",
                   "preequilibrationConditionId: '%s' differs from the simulation condition '%s', which is not supported", p.text, c.text);
  if ((p.text[0] != 0) != T->preeq)
    return at_cell(T, p, "pre-equilibrate every measurement or none (baseline steady is the scenario's)",
                   "preequilibrationConditionId: %s here but not in row 1", p.text[0] ? "given" : "empty");
  if (is_number(t.text, &v) && isinf(v))
    return at_cell(T, t, "give a finite time, or drop the row", "time: '%s' (a steady-state measurement) is not supported", t.text);
  syn_status st = number_at(T, &T->meas, r, ct, &v);
  if (st == SYN_OK && v < 0) st = at_cell(T, t, "times start at 0", "time: %g is negative", v);
  if (st == SYN_OK && v > T->tmax) T->tmax = v;
  if (st == SYN_OK) st = number_at(T, &T->meas, r, petab_column(&T->meas, "measurement"), &v);
  return st;
}

/* The variant of row r: its observable with its placeholders' values. */
static syn_status variant_of(tr *T, size_t r) {
  long co = petab_column(&T->meas, "observableId"), cop = petab_column(&T->meas, "observableParameters");
  long cnp = petab_column(&T->meas, "noiseParameters");
  size_t obs = find_row(&T->obs, petab_column(&T->obs, "observableId"), petab_cell(&T->meas, r, co).text);
  const char *op = petab_cell(&T->meas, r, cop).text, *np = petab_cell(&T->meas, r, cnp).text;
  for (size_t v = 0; v < T->nvar; v++)
    if (T->var[v].obs == obs && strcmp(T->var[v].opars, op) == 0 && strcmp(T->var[v].npars, np) == 0)
      return (T->meas_var[r] = v), SYN_OK;
  pt_variant *nv = syn_realloc(T->var, (T->nvar + 1) * sizeof *T->var);
  if (nv == NULL) return oom(T);
  T->var = nv;
  T->var[T->nvar] = (pt_variant){obs, op, np, r, ""};
  T->meas_var[r] = T->nvar++;
  return SYN_OK;
}

static void name_variants(tr *T) {
  long cid = petab_column(&T->obs, "observableId");
  for (size_t v = 0; v < T->nvar; v++) {
    size_t same = 0, k = 0;
    for (size_t w = 0; w < T->nvar; w++) {
      if (T->var[w].obs != T->var[v].obs) continue;
      same++;
      if (w < v) k++;
    }
    const char *id = petab_cell(&T->obs, T->var[v].obs, cid).text;
    if (same == 1) snprintf(T->var[v].name, sizeof T->var[v].name, "%s", id);
    else snprintf(T->var[v].name, sizeof T->var[v].name, "%s_%zu", id, k + 1);
  }
}

static syn_status read_measurements(tr *T) {
  syn_status st = require_columns(T, &T->meas, meas_cols);
  if (st != SYN_OK) return st;
  if ((T->meas_var = syn_calloc(T->meas.nrows, sizeof *T->meas_var)) == NULL) return oom(T);
  T->preeq = petab_cell(&T->meas, 0, petab_column(&T->meas, "preequilibrationConditionId")).text[0] != 0;
  for (size_t r = 0; r < T->meas.nrows && st == SYN_OK; r++) {
    st = check_meas_row(T, r);
    if (st == SYN_OK) st = variant_of(T, r);
  }
  if (st == SYN_OK) name_variants(T);
  return st;
}

/* ---- the fit file --------------------------------------------------------------------------- */

/* The names of a noise clause: estimated parameters (the fit's noise terms
 * take those or numbers) or y. */
static syn_status check_noise_names(tr *T, const char *clause, pt_cell at, const char *id) {
  for (const char *p = clause; *p;) {
    const char *e = p;
    while (ident_char(*e) && !(e == p && *e >= '0' && *e <= '9')) e++;
    if (e == p) {
      p += number_len(p) ? number_len(p) : 1;
      continue;
    }
    char name[160];
    snprintf(name, sizeof name, "%.*s", (int)(e - p), p);
    const pt_param *q = param_of(T, name);
    if (strcmp(name, "y") != 0 && (q == NULL || !q->estimate))
      return at_cell(T, at, "a noise formula may use numbers and estimated parameters of the parameter table only",
                     "noiseFormula of '%s': '%s' is not an estimated parameter of the parameter table", id, name);
    p = e;
  }
  return SYN_OK;
}

static syn_status write_observable(tr *T, const pt_variant *v) {
  long cf = petab_column(&T->obs, "observableFormula"), cn = petab_column(&T->obs, "noiseFormula");
  long cid = petab_column(&T->obs, "observableId"), ctr = petab_column(&T->obs, "observableTransformation");
  const char *id = petab_cell(&T->obs, v->obs, cid).text;
  long cop = petab_column(&T->meas, "observableParameters"), cnp = petab_column(&T->meas, "noiseParameters");
  subst so = {id, "observableParameter", v->opars, petab_cell(&T->meas, v->meas, cop),
              petab_cell(&T->obs, v->obs, cf), "observableFormula", 0};
  subst sn = {id, "noiseParameter", v->npars, petab_cell(&T->meas, v->meas, cnp),
              petab_cell(&T->obs, v->obs, cn), "noiseFormula", 1};
  syn_strbuf f = SYN_STRBUF_INIT, n = SYN_STRBUF_INIT;
  syn_status st = substitute(T, &so, so.at.text, &f);
  if (st == SYN_OK) st = substitute(T, &sn, sn.at.text, &n);
  char clause[400];
  long cd = petab_column(&T->obs, "noiseDistribution");
  pt_cell tf = petab_cell(&T->obs, v->obs, ctr);
  const fit_noise_kind *kind = &fit_noise_kinds[noise_kind(tf.text, petab_cell(&T->obs, v->obs, cd).text)];
  int has_prop = 0;
  if (st == SYN_OK && !noise_clause(syn_strbuf_str(&n), clause, sizeof clause, &has_prop))
    st = at_cell(T, sn.at, "synovia's noise models are sd = A, or A + B * OBSERVABLE (A, B numbers or estimated parameters)",
                 "noiseFormula of '%s': '%s' is not of the form A + B * %s", id, sn.at.text, id);
  if (st == SYN_OK && kind->transform != FIT_SCALE_LIN && has_prop)
    st = at_cell(T, sn.at, "the noise of a transformed observable is relative already: give a constant or a parameter",
                 "noiseFormula of '%s': a term in the observable with observableTransformation %s", id, tf.text);
  if (st == SYN_OK) {
    syn_strbuf_appendf(&T->fit, "observable %s = %s\n  noise %s %s = %s\n", v->name, syn_strbuf_str(&f),
                       kind->word, kind->spread, clause);
    st = check_noise_names(T, clause, sn.at, id);
  }
  syn_strbuf_free(&f);
  syn_strbuf_free(&n);
  return st;
}

static int condition_used(const tr *T, const char *id);

static size_t conditions_used(const tr *T) {
  long cid = petab_column(&T->cond, "conditionId");
  size_t n = 0;
  for (size_t r = 0; r < T->cond.nrows; r++) n += condition_used(T, petab_cell(&T->cond, r, cid).text);
  return n;
}

/* What the fit estimates for p: p itself, or for a condition-specific
 * parameter the model symbol its cells set, in its one condition (`for arm`)
 * or in all of them (renamed p after loading: rename_params). */
static syn_status estimate_target(tr *T, const pt_param *p, char *out, size_t size) {
  if (p->nbound == 0) return snprintf(out, size, "%s", p->id), SYN_OK;
  if (p->in_formula || model_has(T, p->id))
    return at_cell(T, p->cell, "give the condition its own parameter id, used by nothing else",
                   "%s: '%s' is a condition-specific parameter and also %s, which is not supported", p->column,
                   p->id, p->in_formula ? "in an observable or noise formula" : "a symbol of the model");
  if (p->bad_binding)
    return at_cell(T, p->bad_cell, "give each condition column its own condition-specific parameters",
                   "%s: '%s' sets '%s' here and '%s' in condition '%s', which is not supported", p->bad_column,
                   p->id, p->bad_column, p->column, p->condition);
  size_t nused = conditions_used(T);
  if (p->nbound == nused) return snprintf(out, size, "%s", p->column), SYN_OK;
  if (p->nbound == 1) return snprintf(out, size, "%s for arm \"%s\"", p->column, p->condition), SYN_OK;
  return at_cell(T, p->cell, "give each condition its own parameter, or name this one in every simulated condition",
                 "%s: '%s' is shared by %zu of the %zu simulated conditions, which is not supported", p->column,
                 p->id, p->nbound, nused);
}

static syn_status write_params(tr *T) {
  for (size_t i = 0; i < T->npar; i++) {
    const pt_param *p = &T->params[i];
    if (p->estimate) {
      char target[400];
      syn_status st = estimate_target(T, p, target, sizeof target);
      if (st != SYN_OK) return st;
      syn_strbuf_appendf(&T->fit, "estimate %s %s within %.17g %.17g%s", target, p->scale, p->lower, p->upper, p->prior);
      if (p->has_nominal) syn_strbuf_appendf(&T->fit, " start %.17g", p->nominal);
      syn_strbuf_append(&T->fit, "\n");
    } else if (model_settable(T, p->id)) {
      syn_strbuf_appendf(&T->fit, "fix %s = %.17g\n", p->id, p->nominal);
    }
  }
  return SYN_OK;
}

static syn_status check_used(tr *T) {
  long cid = petab_column(&T->par, "parameterId");
  for (size_t i = 0; i < T->npar; i++)
    if (T->params[i].estimate && !T->params[i].used && !model_has(T, T->params[i].id))
      return at_cell(T, petab_cell(&T->par, i, cid), "set estimate to 0, or drop the row",
                     "the parameter '%s' is estimated, but neither the model nor a formula uses it", T->params[i].id);
  return SYN_OK;
}

static syn_status write_fit(tr *T) {
  syn_strbuf_append(&T->fit, "# the translation of a PEtab problem (src/fit/petab.c)\n");
  syn_strbuf_append(&T->fit, "scenario \"problem.scenario\"\ndata \"data.csv\"\n");
  syn_status st = SYN_OK;
  for (size_t v = 0; v < T->nvar && st == SYN_OK; v++) st = write_observable(T, &T->var[v]);
  if (st == SYN_OK) st = check_used(T);
  if (st == SYN_OK) st = write_params(T);
  return T->fit.failed ? oom(T) : st;
}

/* ---- the scenario ---------------------------------------------------------------------------- */

/* Condition row r's cell for column col names the estimated parameter p:
 * checked when the fit is written (bound_estimate), once all are known. */
static void bind_param(tr *T, pt_param *p, pt_cell cell, const char *col, size_t r) {
  const char *cond = petab_cell(&T->cond, r, petab_column(&T->cond, "conditionId")).text;
  if (p->nbound++ == 0) {
    p->column = col;
    p->condition = cond;
    p->cell = cell;
  } else if (!p->bad_binding && strcmp(p->column, col) != 0) {
    p->bad_binding = 1;
    p->bad_cell = cell;
    p->bad_column = col;
  }
}

static syn_status write_override(tr *T, size_t r, long c) {
  pt_cell cell = petab_cell(&T->cond, r, c);
  const char *col = T->cond.head[c].text;
  double v;
  if (cell.text[0] == 0 || strcmp(cell.text, "nan") == 0 || strcmp(cell.text, "NaN") == 0) return SYN_OK;
  syn_symkind kind;
  size_t index;
  if (T->preeq && syn_model_find(T->model, col, &kind, &index) && kind == SYN_SYM_STATE)
    return at_cell(T, cell, "after pre-equilibration the states start from the steady state: leave the cell empty (NaN)",
                   "%s: a species value in a pre-equilibrated condition is not supported", col);
  if (!is_number(cell.text, &v)) {
    pt_param *p = param_of(T, cell.text);
    if (p == NULL)
      return at_cell(T, cell, "give a number or a parameterId of the parameter table",
                     "%s: '%s' is neither a number nor a parameter of the parameter table", col, cell.text);
    p->used = 1;
    if (p->estimate) return bind_param(T, p, cell, col, r), SYN_OK;
    v = p->nominal;
  }
  syn_strbuf_appendf(&T->scen, "set %s = %.17g\n", col, v);
  return SYN_OK;
}

static syn_status check_cond_columns(tr *T) {
  for (size_t c = 0; c < T->cond.ncols; c++) {
    const char *name = T->cond.head[c].text;
    if (strcmp(name, "conditionId") == 0 || strcmp(name, "conditionName") == 0) continue;
    if (!model_settable(T, name))
      return at_cell(T, T->cond.head[c], "a condition column names a parameter, compartment or species of the model",
                     "the condition column '%s' is no symbol of the model", name);
    if (param_of(T, name))
      return at_cell(T, T->cond.head[c], "a parameter is set by the condition table or by the parameter table, not both",
                     "'%s' is a column of the condition table and a row of the parameter table", name);
  }
  return SYN_OK;
}

static int condition_used(const tr *T, const char *id) {
  long cs = petab_column(&T->meas, "simulationConditionId");
  return find_row(&T->meas, cs, id) != SIZE_MAX;
}

static syn_status read_conditions(tr *T) {
  syn_status st = require_columns(T, &T->cond, cond_cols);
  if (st == SYN_OK) st = unique_ids(T, &T->cond, "conditionId");
  if (st == SYN_OK) st = check_cond_columns(T);
  return st;
}

/* The scenario's arms (its head, naming the model, comes at loading). */
static syn_status write_arms(tr *T) {
  syn_status st = SYN_OK;
  long cid = petab_column(&T->cond, "conditionId");
  for (size_t r = 0; r < T->cond.nrows && st == SYN_OK; r++) {
    const char *id = petab_cell(&T->cond, r, cid).text;
    if (!condition_used(T, id)) continue;
    syn_strbuf_appendf(&T->scen, "arm \"%s\"\n", id);
    for (size_t c = 0; c < T->cond.ncols && st == SYN_OK; c++)
      if ((long)c != cid && strcmp(T->cond.head[c].text, "conditionName") != 0) st = write_override(T, r, (long)c);
  }
  return st == SYN_OK && T->scen.failed ? oom(T) : st;
}

/* ---- the data table --------------------------------------------------------------------------- */

/* 1 when the scenario cannot name the model file itself: an SBML model whose
 * time unit the import could not name (docs/sbml.md), which a data table's
 * times need; it gets "s" (model_for_scenario). */
static int needs_clock(const tr *T) {
  return syn_sbml_is_sbml_path(T->files.paths[PT_MODEL][0]) && syn_model_time_unit(T->model)[0] == 0;
}

/* The data table's time unit: the model's, or the one model_for_scenario gives it. */
static const char *time_unit(const tr *T) { return needs_clock(T) ? "s" : syn_model_time_unit(T->model); }

static void write_data(tr *T) {
  const char *u = time_unit(T);
  long cs = petab_column(&T->meas, "simulationConditionId"), ct = petab_column(&T->meas, "time");
  long cm = petab_column(&T->meas, "measurement");
  if (u[0]) syn_strbuf_appendf(&T->data, "arm,time (%s),observable,value,source\n", u);
  else syn_strbuf_append(&T->data, "arm,time,observable,value,source\n");
  for (size_t r = 0; r < T->meas.nrows; r++)
    syn_strbuf_appendf(&T->data, "%s,%s,%s,%s,%zu\n", petab_cell(&T->meas, r, cs).text, petab_cell(&T->meas, r, ct).text,
                       T->var[T->meas_var[r]].name, petab_cell(&T->meas, r, cm).text, r);
}

/* ---- loading ----------------------------------------------------------------------------------- */

static syn_status write_file(tr *T, const char *dir, const char *name, const syn_strbuf *b, char *path, size_t size) {
  snprintf(path, size, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  int ok = f != NULL && fputs(syn_strbuf_str(b), f) >= 0;
  if (f && fclose(f) != 0) ok = 0;
  return ok ? SYN_OK : syn_error_set(T->err, SYN_EIO, "cannot write the translation of %s to %s", T->yaml, path);
}

/* An error in the translation (not the tables: those are checked above),
 * said of the problem file. */
static syn_status translation_error(tr *T, const char *dir) {
  syn_error *e = T->err;
  if (strncmp(e->file, dir, strlen(dir)) != 0) return e->code;
  char msg[SYN_ERROR_MSG_MAX + 128];
  snprintf(msg, sizeof msg, "in synovia's translation of the problem (%.40s line %d): %s", strrchr(e->file, '/') + 1,
           e->line, e->message);
  snprintf(e->message, sizeof e->message, "%.*s", (int)sizeof e->message - 1, msg);
  snprintf(e->file, sizeof e->file, "%s", T->yaml);
  e->line = e->col = e->span = 0;
  e->source_line[0] = 0;
  return e->code;
}

/* The fit and its scenario name the problem file (the translation is gone
 * after loading), each point its measurement row. */
/* A condition-specific parameter is estimated as the model symbol it sets
 * (write_params); it is reported by its PEtab id. The fit's parameters are
 * the estimated rows in table order, one each. */
static syn_status rename_params(tr *T, syn_fit *f) {
  size_t k = 0;
  for (size_t i = 0; i < T->npar && k < f->nparams; i++) {
    if (!T->params[i].estimate) continue;
    if (T->params[i].nbound > 0 && (f->params[k].name = syn_arena_strdup(f->ast->arena, T->params[i].id)) == NULL)
      return oom(T);
    k++;
  }
  return SYN_OK;
}

static syn_status relocate_points(tr *T, syn_fit *f) {
  syn_free(f->path);
  syn_free(f->scenario->path);
  f->scenario->path = syn_strdup(T->yaml);
  if ((f->path = syn_strdup(T->yaml)) == NULL || f->scenario->path == NULL) return oom(T);
  long cd = petab_column(&T->meas, "datasetId");
  for (size_t i = 0; i < f->npoints; i++) {
    syn_fit_point *p = &f->points[i];
    size_t r = (size_t)strtoul(p->source, NULL, 10);
    pt_cell c = petab_cell(&T->meas, r, 0);
    p->file = syn_arena_strdup(f->ast->arena, syn_srcset_get(T->src, c.span.file)->path);
    p->line = T->meas.line[r];
    p->source = syn_arena_strdup(f->ast->arena, petab_cell(&T->meas, r, cd).text);
    if (p->file == NULL || p->source == NULL) return oom(T);
  }
  return SYN_OK;
}

/* The model the scenario names: the model file itself (SBML too), or the
 * translation of an SBML model without a clock, given one and written beside
 * the other texts. */
static syn_status model_for_scenario(tr *T, const char *dir, char *path, size_t size) {
  const char *model = T->files.paths[PT_MODEL][0];
  if (!needs_clock(T)) {
    char *abs = realpath(model, NULL);
    if (abs == NULL) return syn_error_set(T->err, SYN_EIO, "cannot resolve the path of %s", model);
    snprintf(path, size, "%s", abs);
    free(abs);
    return SYN_OK;
  }
  char *text = NULL;
  syn_status st = syn_sbml_import(model, &text, NULL, T->err);
  syn_strbuf b = SYN_STRBUF_INIT;
  /* PEtab's times are numbers of the model's time unit; a fit table needs the
   * unit's name. Without one from the import, SBML Level 2's default. */
  if (st == SYN_OK)
    syn_strbuf_append(&b, "time unit s  # PEtab: times in the model's unit (docs/petab.md)\n");
  if (st == SYN_OK) syn_strbuf_append(&b, text);
  syn_sbml_free(text);
  if (st == SYN_OK) st = write_file(T, dir, "model.model", &b, path, size);
  syn_strbuf_free(&b);
  return st;
}

/* The scenario: its head (the model, the grid to the last measurement, tight
 * tolerances: docs/petab.md) and the arms. */
static syn_status write_scenario(tr *T, const char *dir, const char *model, char *path, size_t size) {
  syn_strbuf head = SYN_STRBUF_INIT;
  double end = T->tmax > 0 ? T->tmax : 1;
  syn_strbuf_appendf(&head, "scenario \"PEtab problem\"\nmodel \"%s\"\nsimulate 0 to %.17g every %.17g\n", model,
                     end, end / 100);
  syn_strbuf_append(&head, "solver rtol 1e-10 atol 1e-14\n");
  if (T->preeq) syn_strbuf_append(&head, "baseline steady\n");
  syn_strbuf_append(&head, syn_strbuf_str(&T->scen));
  syn_status st = head.failed ? oom(T) : write_file(T, dir, "problem.scenario", &head, path, size);
  syn_strbuf_free(&head);
  return st;
}

static syn_status load_translation(tr *T, syn_fit **out) {
  const char *tmp = getenv("TMPDIR");
  char dir[PATH_MAX], fit[PATH_MAX], scen[PATH_MAX], data[PATH_MAX];
  snprintf(dir, sizeof dir, "%s/synovia-petab-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
  if (mkdtemp(dir) == NULL) return syn_error_set(T->err, SYN_EIO, "cannot make a temporary folder in %s", tmp && tmp[0] ? tmp : "/tmp");
  char model[PATH_MAX];
  fit[0] = scen[0] = data[0] = model[0] = 0;
  syn_status st = model_for_scenario(T, dir, model, sizeof model);
  if (st == SYN_OK) st = write_scenario(T, dir, model, scen, sizeof scen);
  if (st == SYN_OK) st = write_file(T, dir, "problem.fit", &T->fit, fit, sizeof fit);
  if (st == SYN_OK) st = write_file(T, dir, "data.csv", &T->data, data, sizeof data);
  if (st == SYN_OK && (st = fit_file_load(fit, out, T->err)) != SYN_OK) translation_error(T, dir);
  if (st == SYN_OK && (st = relocate_points(T, *out)) == SYN_OK) st = rename_params(T, *out);
  if (st != SYN_OK && *out) {
    syn_fit_destroy(*out);
    *out = NULL;
  }
  const char *made[] = {fit, scen, data, needs_clock(T) ? model : ""};
  for (size_t i = 0; i < 4; i++)
    if (made[i][0]) unlink(made[i]);
  rmdir(dir);
  return st;
}

/* ---- entry ------------------------------------------------------------------------------------ */

static syn_status read_tables(tr *T) {
  pt_files *F = &T->files;
  syn_status st = petab_table_read(T->src, &F->parameters, &F->parameters_span, 1, &T->par, T->err);
  if (st == SYN_OK) st = petab_table_read(T->src, F->paths[PT_CONDITIONS], F->spans[PT_CONDITIONS], F->count[PT_CONDITIONS], &T->cond, T->err);
  if (st == SYN_OK) st = petab_table_read(T->src, F->paths[PT_OBSERVABLES], F->spans[PT_OBSERVABLES], F->count[PT_OBSERVABLES], &T->obs, T->err);
  if (st == SYN_OK) st = petab_table_read(T->src, F->paths[PT_MEASUREMENTS], F->spans[PT_MEASUREMENTS], F->count[PT_MEASUREMENTS], &T->meas, T->err);
  return st;
}

static syn_status load_model(tr *T) {
  const char *path = T->files.paths[PT_MODEL][0];
  uint32_t index;
  syn_status st = syn_srcset_load_file(T->src, path, &T->files.spans[PT_MODEL][0], &index, T->err);
  if (st == SYN_OK) st = syn_model_open(path, &T->model, T->err);
  return st;
}

static void tr_free(tr *T) {
  petab_files_free(&T->files);
  petab_table_free(&T->par);
  petab_table_free(&T->cond);
  petab_table_free(&T->obs);
  petab_table_free(&T->meas);
  syn_model_destroy(T->model);
  syn_free(T->params);
  syn_free(T->var);
  syn_free(T->meas_var);
  syn_strbuf_free(&T->fit);
  syn_strbuf_free(&T->scen);
  syn_strbuf_free(&T->data);
  syn_srcset_destroy(T->src);
}

syn_status petab_fit_load(const char *path, syn_fit **out, syn_error *err) {
  tr T = {0};
  T.err = err;
  T.yaml = path;
  *out = NULL;
  syn_status st = (T.src = syn_srcset_create()) ? SYN_OK : oom(&T);
  if (st == SYN_OK) st = petab_files_read(T.src, path, &T.files, err);
  if (st == SYN_OK) st = read_tables(&T);
  if (st == SYN_OK) st = load_model(&T);
  if (st == SYN_OK) st = read_params(&T);
  if (st == SYN_OK) st = read_observables(&T);
  if (st == SYN_OK) st = read_conditions(&T);
  if (st == SYN_OK) st = read_measurements(&T);
  if (st == SYN_OK) st = write_arms(&T);
  if (st == SYN_OK) st = write_fit(&T);
  if (st == SYN_OK) write_data(&T);
  if (st == SYN_OK) st = T.data.failed ? oom(&T) : load_translation(&T, out);
  tr_free(&T);
  return st;
}
