/* synovia — the public syn_model_* functions: load, query, files, hash,
 * time parsing, statistics (model layer). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/sha256.h"
#include "synovia/number.h"
#include "lang/units.h"
#include "model/model_impl.h"

void syn_model_destroy(syn_model *m) {
  if (m == NULL) return;
  for (int k = 0; k < SYN_SYM_KIND_COUNT; k++) {
    syn_free(m->sym[k]);
    syn_free(m->info[k]);
  }
  syn_names_free(&m->names);
  syn_names_free(&m->joint_names);
  syn_names_free(&m->pj_names);
  syn_free(m->file_path);
  syn_free(m->file_text);
  syn_dag_free(&m->dag);
  syn_prog_free(&m->setup);
  syn_prog_free(&m->rhs);
  syn_prog_free(&m->jac);
  syn_prog_free(&m->out);
  syn_prog_free(&m->ev_roots);
  syn_prog_free(&m->ev_vals);
  syn_free(m->root_nodes);
  syn_free(m->cond_ops);
  syn_free(m->reg_init);
  syn_free(m->const_order);
  syn_free(m->colptr);
  syn_free(m->rowind);
  syn_free(m->state_names);
  syn_free(m->owner_rhs);
  syn_free(m->owner_out);
  syn_free(m->node_name);
  syn_arena_destroy(m->arena);
  syn_program_destroy(m->prog);
  syn_free(m);
}

/* Root first, then the imports in dependency order; hash over (path, text). */
static syn_status collect_files(syn_model *m, syn_error *err) {
  const syn_program *p = m->prog;
  m->nfiles = p->nfiles;
  m->file_path = syn_calloc(p->nfiles, sizeof *m->file_path);
  m->file_text = syn_calloc(p->nfiles, sizeof *m->file_text);
  if (m->file_path == NULL || m->file_text == NULL)
    return syn_error_set(err, SYN_ENOMEM, "out of memory");
  syn_sha256 h;
  syn_sha256_init(&h);
  for (size_t i = 0; i < p->nfiles; i++) {
    size_t f = i == 0 ? p->nfiles - 1 : i - 1;
    const syn_source *s = syn_srcset_get(p->sources, p->files[f].file);
    m->file_path[i] = s->path;
    m->file_text[i] = s->text;
    /* lengths delimit the fields, so ("ab","c") and ("a","bc") differ */
    char len[64];
    size_t plen = strlen(s->path);
    int n = snprintf(len, sizeof len, "%zu:%zu:", plen, s->len);
    syn_sha256_update(&h, len, (size_t)n);
    syn_sha256_update(&h, s->path, plen);
    syn_sha256_update(&h, s->text, s->len);
  }
  syn_sha256_hex(&h, m->sha256);
  return SYN_OK;
}

/* Preset values, with the declared values of what they use (after setup). */
static syn_status preset_values(syn_model *m, const syn_instance *inst, syn_error *err) {
  for (size_t p = 0; p < m->npresets; p++)
    for (size_t a = 0; a < m->presets[p].nassigns; a++) {
      preset_assign *pa = &m->presets[p].assigns[a];
      pa->value = inst->reg[pa->node] * pa->factor;
      if (isfinite(pa->value)) continue;
      syn_status s = syn_diag(err, m->prog->sources, pa->assign->value->span, SYN_ENONFINITE,
                              "value of '%s' in preset '%s' is %g", pa->name, m->presets[p].name,
                              syn_shown(pa->value));
      syn_error_hint(err, "check for a division by zero or a logarithm of zero");
      return s;
    }
  return SYN_OK;
}

/* Default values: run setup once on a fresh instance; a value that is not
 * finite is a model error, located at its declaration. */
static syn_status compute_defaults(syn_model *m, syn_error *err) {
  syn_instance *inst = NULL;
  syn_status s = syn_instance_create(m, &inst, err);
  if (s != SYN_OK) return s;
  syn_symkind kind;
  size_t index;
  double bad;
  if (syn_instance_run_setup(inst, &kind, &index, &bad)) {
    const ast_decl *d = m->info[kind][index].decl;
    s = syn_diag(err, m->prog->sources, d->name_span, SYN_ENONFINITE,
                 "%s of %s '%s' is %g", kind == SYN_SYM_STATE ? "initial value" : "value",
                 syn_kind_noun(kind), d->name, syn_shown(bad));
    syn_error_hint(err, "check for a division by zero or a logarithm of zero in its definition");
    if (isfinite(bad)) /* not a non-finite value: a compartment's size <= 0 (replaces the above) */
      s = syn_diag(err, m->prog->sources, d->name_span, SYN_EINPUT,
                   "compartment '%s' must have a positive size (found %g)", d->name, bad);
  } else {
    for (int k = SYN_SYM_COMPARTMENT; k <= SYN_SYM_PARAM; k++)
      for (size_t i = 0; i < m->nsym[k]; i++)
        m->sym[k][i].value = inst->param[syn_const_index(m, (syn_symkind)k, i)];
    for (size_t i = 0; i < m->nsym[SYN_SYM_STATE]; i++)
      m->sym[SYN_SYM_STATE][i].value = inst->y0[i];
    s = preset_values(m, inst, err);
  }
  syn_instance_destroy(inst);
  return s;
}

static syn_status build_model(syn_program *prog, syn_model **out, syn_error *err) {
  syn_status s = SYN_OK;
  syn_model *m = syn_calloc(1, sizeof *m);
  if (m == NULL) {
    syn_program_destroy(prog);
    return syn_error_set(err, SYN_ENOMEM, "out of memory");
  }
  m->prog = prog;
  m->arena = syn_arena_create();
  if (m->arena == NULL || syn_dag_init(&m->dag) != 0) {
    s = syn_error_set(err, SYN_ENOMEM, "out of memory");
    goto fail;
  }
  s = syn_model_resolve(m, err);
  if (s == SYN_OK) s = syn_model_compile(m, err);
  if (s == SYN_OK) s = collect_files(m, err);
  if (s == SYN_OK) s = compute_defaults(m, err);
  if (s != SYN_OK) goto fail;
  *out = m;
  return SYN_OK;
fail:
  syn_model_destroy(m);
  return s;
}

syn_status syn_model_load(const char *path, syn_model **out, syn_error *err) {
  syn_program *prog = NULL;
  if (out == NULL || path == NULL) return syn_error_set(err, SYN_EINVAL, "no model path given");
  *out = NULL;
  syn_status s = syn_program_parse_file(path, &prog, err);
  return s != SYN_OK ? s : build_model(prog, out, err);
}

syn_status syn_model_load_text(const char *name, const char *text, size_t len, syn_model **out,
                               syn_error *err) {
  syn_program *prog = NULL;
  if (out == NULL || text == NULL) return syn_error_set(err, SYN_EINVAL, "no model text given");
  *out = NULL;
  syn_status s = syn_program_parse_text(name ? name : "<text>", text, len, &prog, err);
  return s != SYN_OK ? s : build_model(prog, out, err);
}

const char *syn_model_title(const syn_model *m) { return m->title ? m->title : ""; }
const char *syn_model_time_unit(const syn_model *m) { return m->time_unit ? m->time_unit : ""; }

size_t syn_model_count(const syn_model *m, syn_symkind kind) {
  return kind < SYN_SYM_KIND_COUNT ? m->nsym[kind] : 0;
}

const syn_symbol *syn_model_symbol(const syn_model *m, syn_symkind kind, size_t i) {
  if (kind >= SYN_SYM_KIND_COUNT || i >= m->nsym[kind]) return NULL;
  return &m->sym[kind][i];
}

int syn_model_find(const syn_model *m, const char *name, syn_symkind *kind, size_t *index) {
  const name_entry *e = name ? syn_names_get(&m->names, name) : NULL;
  if (e == NULL) return 0;
  if (kind) *kind = (syn_symkind)e->kind;
  if (index) *index = e->index;
  return 1;
}

size_t syn_model_file_count(const syn_model *m) { return m->nfiles; }
const char *syn_model_file_path(const syn_model *m, size_t i) {
  return i < m->nfiles ? m->file_path[i] : NULL;
}
const char *syn_model_file_text(const syn_model *m, size_t i) {
  return i < m->nfiles ? m->file_text[i] : NULL;
}
const char *syn_model_sha256(const syn_model *m) { return m->sha256; }

/* A unit text after a number, as in literals: ["/"] SYM ["^" ["-"] INT]
 * { ("/" | ".") SYM ["^" ["-"] INT] }. Accumulates the conversion factor of
 * the time terms to the model clock, the net power of time, and whether any
 * other unit appears. Returns 0 with err set on a malformed or unknown unit. */
typedef struct quantity_unit {
  double factor;
  int time_power;
  int has_other;
} quantity_unit;

static const char *skip_space(const char *p) {
  while (isspace((unsigned char)*p)) p++;
  return p;
}

/* A decimal number at *pp (synovia/number.h: no hex, inf or nan), followed
 * by the end or a space (then *pp is past the spaces, at the unit) or by '/'
 * ("0.5/d"). */
static int number_then_unit(const char **pp, double *v) {
  const char *p = *pp;
  size_t n = syn_number_span(p);
  char buf[64];
  if (n == 0 || n >= sizeof buf || (p[n] != 0 && p[n] != '/' && !isspace((unsigned char)p[n])))
    return 0;
  memcpy(buf, p, n);
  buf[n] = 0;
  if (!syn_number_parse(buf, v)) return 0;
  *pp = skip_space(p + n);
  return 1;
}

static int parse_unit_term(const syn_model *m, const char *text, const char **pp, int sign,
                           quantity_unit *u, syn_error *err) {
  const char *p = skip_space(*pp), *sym = p;
  while (isalpha((unsigned char)*p) || *p == '_') p++;
  size_t len = (size_t)(p - sym);
  const syn_unit_def *def = len ? syn_unit_lookup(sym, len) : NULL;
  if (def == NULL) {
    syn_error_set(err, SYN_EINVAL, "invalid value '%s': '%.*s' is not a known unit", text,
                  len ? (int)len : 1, len ? sym : p);
    return 0;
  }
  long power = 1;
  if (*p == '^') {
    char *end = NULL;
    power = strtol(p + 1, &end, 10);
    if (end == p + 1 || power == 0 || labs(power) > 16) {
      syn_error_set(err, SYN_EINVAL, "invalid value '%s': bad exponent after '%.*s'", text,
                    (int)len, sym);
      return 0;
    }
    p = end;
  }
  power *= sign;
  if (def->kind == SYN_UNIT_TIME) {
    if (m->clock_seconds <= 0) {
      syn_error_set(err, SYN_EINVAL,
                    "invalid value '%s': '%.*s' is a time unit but the model has no clock", text,
                    (int)len, sym);
      return 0;
    }
    u->factor *= pow(def->seconds / m->clock_seconds, (double)power);
    u->time_power += (int)power;
  } else {
    u->has_other = 1;
  }
  *pp = p;
  return 1;
}

/* Parse "NUMBER [UNIT]" into clock units. */
static syn_status parse_quantity(const syn_model *m, const char *text, double *out,
                                 quantity_unit *u, syn_error *err) {
  *u = (quantity_unit){1.0, 0, 0};
  if (text == NULL) return syn_error_set(err, SYN_EINVAL, "no value given");
  const char *p = skip_space(text);
  double v = 0;
  if (!number_then_unit(&p, &v))
    return syn_error_set(err, SYN_EINVAL,
                         "invalid value '%s': expected a number, optionally with a unit "
                         "('180 d', '0.5 /d')", text);
  int sign = 1;
  if (*p == '/') {
    sign = -1;
    p++;
  }
  if (*p != 0 && !parse_unit_term(m, text, &p, sign, u, err)) return err ? err->code : SYN_EINVAL;
  for (p = skip_space(p); *p != 0; p = skip_space(p)) {
    if (*p != '/' && *p != '.')
      return syn_error_set(err, SYN_EINVAL, "invalid value '%s': unexpected '%c' in the unit",
                           text, *p);
    sign = *p == '/' ? -1 : 1;
    p++;
    if (!parse_unit_term(m, text, &p, sign, u, err)) return err ? err->code : SYN_EINVAL;
  }
  *out = v * u->factor;
  return SYN_OK;
}

syn_status syn_model_parse_value(const syn_model *m, const char *text, double *out,
                                 syn_error *err) {
  quantity_unit u;
  return parse_quantity(m, text, out, &u, err);
}

syn_status syn_model_parse_time(const syn_model *m, const char *text, double *out, syn_error *err) {
  quantity_unit u;
  double v;
  syn_status st = parse_quantity(m, text, &v, &u, err);
  if (st != SYN_OK) return st;
  if (u.has_other || (u.time_power != 0 && u.time_power != 1))
    return syn_error_set(err, SYN_EINVAL, "invalid time '%s': the unit is not a unit of time", text);
  *out = v;
  return SYN_OK;
}

syn_status syn_model_convert(const syn_model *m, const char *name, double value,
                             const char *unit, double *out, syn_error *err) {
  const char *target = name ? syn_model_setting_units(m, name) : NULL;
  if (target == NULL || unit == NULL || unit[0] == 0) { /* the setter names an unknown name */
    *out = value;
    return SYN_OK;
  }
  return syn_unit_convert(name, value, unit, target, out, err);
}

syn_status syn_model_parse_setting(const syn_model *m, const char *name, const char *text,
                                   double *out, syn_error *err) {
  const char *p = text ? skip_space(text) : "";
  double v = 0;
  if (!number_then_unit(&p, &v)) {
    syn_status st =
        syn_error_set(err, SYN_EINVAL, "'%s' is not a finite decimal number", text ? text : "");
    syn_error_hint(err, "write a decimal number, optionally with a unit: 'V=0.5', 'V=500 mL', "
                        "'k=0.5 /d' (no hex, inf or nan)");
    return st;
  }
  return syn_model_convert(m, name, v, p, out, err);
}

size_t syn_model_state_atols(const syn_model *m, double fallback, double *out) {
  size_t own = 0;
  for (size_t i = 0; i < m->nsym[SYN_SYM_STATE]; i++) {
    double a = m->sym[SYN_SYM_STATE][i].atol;
    out[i] = a > 0 ? a : fallback;
    own += a > 0;
  }
  return own;
}

int syn_model_state_atol_declared(const syn_model *m, size_t i) {
  return m != NULL && i < m->nsym[SYN_SYM_STATE] && m->info[SYN_SYM_STATE][i].decl->atol != NULL;
}

void syn_model_get_stats(const syn_model *m, syn_model_stats *st) {
  st->rhs_instructions = m->rhs.n;
  st->jac_instructions = m->jac.n;
  st->setup_instructions = m->setup.n;
  st->output_instructions = m->out.n;
  st->jac_nnz = m->nnz;
  st->registers = m->nregs;
}

/* --- joints, routes, presets ----------------------------------------------- */

size_t syn_model_joint_count(const syn_model *m) { return m->njoints; }
const char *syn_model_joint(const syn_model *m, size_t i) {
  return i < m->njoints ? m->joints[i] : NULL;
}

size_t syn_model_route_count(const syn_model *m) { return m->nroutes; }
const syn_route *syn_model_route(const syn_model *m, size_t i) {
  return i < m->nroutes ? &m->routes[i] : NULL;
}

/* The closest of a list of names (did-you-mean), or NULL. */
static const char *closest(const char *word, const char *const *names, size_t n, size_t stride) {
  const char *best = NULL;
  size_t best_d = 3, d;
  for (size_t i = 0; i < n; i++) {
    const char *cand = *(const char *const *)((const char *)names + i * stride);
    if (syn_close_enough(word, cand, &d) &&
        (d < best_d || (d == best_d && syn_better_tie(word, cand, best)))) {
      best_d = d;
      best = cand;
    }
  }
  return best;
}

static syn_status unknown_joint(const syn_model *m, const char *joint, syn_error *err) {
  if (m->njoints == 0)
    return syn_error_set(err, SYN_EINVAL, "unknown joint '%s': the model declares no joints", joint);
  const char *sug = closest(joint, m->joints, m->njoints, sizeof *m->joints);
  if (sug) return syn_error_set(err, SYN_EINVAL, "unknown joint '%s' (did you mean '%s'?)", joint, sug);
  syn_status s = syn_error_set(err, SYN_EINVAL, "unknown joint '%s'", joint);
  syn_error_hint(err, "the model's joints are listed by 'synovia info'");
  return s;
}

syn_status syn_model_find_route(const syn_model *m, const char *name, const char *joint,
                                size_t *index, syn_error *err) {
  int any = 0, per_joint = 0;
  if (joint == NULL) joint = "";
  if (name == NULL) name = "";
  for (size_t r = 0; r < m->nroutes; r++) {
    if (strcmp(m->routes[r].name, name) != 0) continue;
    any = 1;
    per_joint = m->routes[r].joint[0] != 0;
    if (strcmp(m->routes[r].joint, joint) == 0) {
      if (index) *index = r;
      return SYN_OK;
    }
  }
  if (!any) {
    const char *sug = closest(name, &m->routes[0].name, m->nroutes, sizeof *m->routes);
    if (sug) return syn_error_set(err, SYN_EINVAL, "unknown route '%s' (did you mean '%s'?)", name, sug);
    syn_status s = syn_error_set(err, SYN_EINVAL, "unknown route '%s'", name);
    if (m->nroutes == 0) syn_error_hint(err, "the model declares no routes");
    return s;
  }
  if (!per_joint)
    return syn_error_set(err, SYN_EINVAL, "route '%s' is not per joint, so it cannot go into joint '%s'",
                         name, joint);
  if (joint[0] == 0) {
    syn_status s = syn_error_set(err, SYN_EINVAL, "route '%s' is per joint: say which joint", name);
    syn_error_hint(err, "e.g. 'into %s'", m->joints[0]);
    return s;
  }
  return unknown_joint(m, joint, err);
}

size_t syn_model_preset_count(const syn_model *m) { return m->npresets; }
const char *syn_model_preset_name(const syn_model *m, size_t i) {
  return i < m->npresets ? m->presets[i].name : NULL;
}
size_t syn_model_preset_assign_count(const syn_model *m, size_t i) {
  return i < m->npresets ? m->presets[i].nassigns : 0;
}
double syn_model_preset_assign(const syn_model *m, size_t i, size_t k, const char **name,
                               const char **expr) {
  if (i >= m->npresets || k >= m->presets[i].nassigns) return NAN;
  const preset_assign *a = &m->presets[i].assigns[k];
  if (name) *name = a->name;
  if (expr) *expr = a->expr;
  return a->value;
}
