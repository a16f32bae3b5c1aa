/* synovia — name resolution, checking and DAG construction (model layer).
 *
 * From the parsed program (all files, imports first) to the model's symbol
 * tables and one expression DAG. Every error is one located diagnostic; the
 * checks run in passes (clock, declarations, compartments, d/dt, expressions,
 * cycles, constancy) so each pass can assume the previous ones hold. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "lang/units.h"
#include "model/model_impl.h"

/* --- functions of the language ------------------------------------------ */

typedef enum { FN_OP, FN_HILL, FN_INHIBIT } fn_kind;

typedef struct fn_def {
  const char *name;
  int min_args, max_args; /* max -1: any number */
  syn_op op;
  fn_kind kind;
} fn_def;

static const fn_def FUNCTIONS[] = {
    {"exp", 1, 1, SYN_OP_EXP, FN_OP},       {"log", 1, 1, SYN_OP_LOG, FN_OP},
    {"ln", 1, 1, SYN_OP_LOG, FN_OP},        {"log10", 1, 1, SYN_OP_LOG10, FN_OP},
    {"sqrt", 1, 1, SYN_OP_SQRT, FN_OP},     {"abs", 1, 1, SYN_OP_ABS, FN_OP},
    {"min", 2, -1, SYN_OP_MIN, FN_OP},      {"max", 2, -1, SYN_OP_MAX, FN_OP},
    {"pow", 2, 2, SYN_OP_POW, FN_OP},       {"floor", 1, 1, SYN_OP_FLOOR, FN_OP},
    {"ceil", 1, 1, SYN_OP_CEIL, FN_OP},     {"sin", 1, 1, SYN_OP_SIN, FN_OP},
    {"cos", 1, 1, SYN_OP_COS, FN_OP},       {"tan", 1, 1, SYN_OP_TAN, FN_OP},
    {"asin", 1, 1, SYN_OP_ASIN, FN_OP},     {"acos", 1, 1, SYN_OP_ACOS, FN_OP},
    {"atan", 1, 1, SYN_OP_ATAN, FN_OP},     {"sinh", 1, 1, SYN_OP_SINH, FN_OP},
    {"cosh", 1, 1, SYN_OP_COSH, FN_OP},     {"tanh", 1, 1, SYN_OP_TANH, FN_OP},
    {"hill", 3, 3, SYN_OP_POW, FN_HILL},    {"inhibit", 3, 3, SYN_OP_POW, FN_INHIBIT},
    {"factorial", 1, 1, SYN_OP_FACTORIAL, FN_OP},
    {"if", 3, 3, SYN_OP_IF, FN_OP},
};
enum { NFUNCTIONS = sizeof FUNCTIONS / sizeof FUNCTIONS[0] };

static const fn_def *find_function(const char *name) {
  for (size_t i = 0; i < NFUNCTIONS; i++)
    if (strcmp(FUNCTIONS[i].name, name) == 0) return &FUNCTIONS[i];
  return NULL;
}

static const char *suggest_function(const char *name) {
  const char *best = NULL;
  size_t best_d = 3, d;
  for (size_t i = 0; i < NFUNCTIONS; i++) {
    if (syn_close_enough(name, FUNCTIONS[i].name, &d) &&
        (d < best_d || (d == best_d && syn_better_tie(name, FUNCTIONS[i].name, best)))) {
      best_d = d;
      best = FUNCTIONS[i].name;
    }
  }
  return best;
}

/* --- unit algebra (annotation only) --------------------------------------- */

/* A product of unit symbols with integer exponents. Units are annotations,
 * so rather than overflow (a chain of `let a2 = a1 * a1` doubles exponents)
 * or silently drop terms, a unit the fixed representation cannot hold
 * becomes `unknown` and is shown as "?". */
enum { UNIT_TERMS = 8, UNIT_MAX_EXP = 1000 };
typedef struct ualg {
  const char *sym[UNIT_TERMS];
  int exp[UNIT_TERMS];
  int n;
  int unknown;
} ualg;

/* Multiply by sym^e; |e| <= 16 * UNIT_MAX_EXP, so no sum below overflows. */
static void u_term(ualg *u, const char *sym, int e) {
  if (u->unknown) return;
  for (int i = 0; i < u->n; i++) {
    if (strcmp(u->sym[i], sym) != 0) continue;
    u->exp[i] += e;
    if (u->exp[i] > UNIT_MAX_EXP || u->exp[i] < -UNIT_MAX_EXP) u->unknown = 1;
    if (u->exp[i] == 0) {
      for (int j = i + 1; j < u->n; j++) u->sym[j - 1] = u->sym[j], u->exp[j - 1] = u->exp[j];
      u->n--;
    }
    return;
  }
  if (e == 0) return;
  if (u->n == UNIT_TERMS || e > UNIT_MAX_EXP || e < -UNIT_MAX_EXP) {
    u->unknown = 1;
    return;
  }
  u->sym[u->n] = sym, u->exp[u->n++] = e;
}

static ualg u_combine(const ualg *a, const ualg *b, int sign) {
  ualg r = *a;
  r.unknown |= b->unknown;
  for (int i = 0; i < b->n; i++) u_term(&r, b->sym[i], sign * b->exp[i]);
  return r;
}

static int u_empty(const ualg *u) { return u->n == 0 && !u->unknown; }

static void u_render(const ualg *u, char *buf, size_t size) {
  char num[128] = "", den[128] = "";
  int nden = 0;
  if (u->unknown) {
    snprintf(buf, size, "?");
    return;
  }
  for (int i = 0; i < u->n; i++) {
    char *dst = u->exp[i] > 0 ? num : den;
    int e = u->exp[i] > 0 ? u->exp[i] : -u->exp[i];
    size_t len = strlen(dst);
    if (u->exp[i] < 0) nden++;
    snprintf(dst + len, 128 - len, len ? "*%s" : "%s", u->sym[i]);
    len = strlen(dst);
    if (e != 1) snprintf(dst + len, 128 - len, "^%d", e);
  }
  if (nden == 0)
    snprintf(buf, size, "%s", num);
  else
    snprintf(buf, size, nden > 1 ? "%s/(%s)" : "%s/%s", num[0] ? num : "1", den);
}

/* Declared names after replication per joint: a bound on the memory a small
 * hostile file (many joints times many per-joint lines) can ask for. */
enum { MAX_SYMBOLS = 1000000 };

/* --- the resolver's state ------------------------------------------------ */

/* The aggregates of the program, by AST node. An aggregate reads its body in
 * each joint's context and so means the same wherever it appears: in every
 * joint's copy of a per-joint declaration too. It is checked and built once
 * and each later use gets the same DAG node; otherwise a `sum(joint, X)` in
 * a per-joint line costs joints^2 lookups (and as many dependency records),
 * minutes and gigabytes at 10^4 joints. For the definition order, each one
 * is a node of its own (the global ids after the symbols') standing between
 * the definitions that use it and the names its body reads. */
typedef struct agg_memo {
  const ast_expr **key;   /* open addressing by address; NULL = empty */
  uint32_t *node;         /* its DAG node once built, else DAG_NONE */
  unsigned char *checked; /* bit 1 << in_compartment: checked in that setting */
  size_t cap, count;
} agg_memo;

typedef struct ref {
  uint32_t target; /* global symbol id */
  syn_span span;
} ref;

typedef struct rctx {
  syn_model *m;
  const syn_srcset *src;
  syn_error *err;
  size_t base[SYN_SYM_KIND_COUNT + 1]; /* global id = base[kind] + index */
  ref **refs;                          /* per global id: names its definition uses */
  size_t *nrefs, *caprefs;
  ualg *units;                         /* per global id */
  uint32_t *order;                     /* global ids, definitions before uses */
  uint32_t *declared;                  /* global ids in the order of the files */
  size_t norder;
  int joint;                           /* name context: the joint whose copies unqualified
                                          per-joint names mean; -1 systemic */
  agg_memo agg;                        /* every aggregate of the program */
  name_table route_names;              /* route name -> index of its first route */
  name_table preset_names;             /* preset name -> index */
  name_table event_names;              /* event name -> index */
} rctx;

static syn_status diag(rctx *c, syn_span sp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static syn_status diag(rctx *c, syn_span sp, const char *fmt, ...) {
  char msg[SYN_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return syn_diag(c->err, c->src, sp, SYN_EINPUT, "%s", msg);
}

static syn_status oom(rctx *c) { return syn_error_set(c->err, SYN_ENOMEM, "out of memory"); }

/* A zeroed array of n elements in the model's arena (never NULL for n = 0). */
static void *arena_array(rctx *c, size_t n, size_t elem) {
  if (n + 1 > SIZE_MAX / elem) return NULL;
  return syn_arena_alloc(c->m->arena, (n + 1) * elem);
}

/* A name in the current context (c->joint). */
static int lookup(const rctx *c, const char *name, syn_symkind *kind, size_t *index) {
  return syn_model_lookup(c->m, name, c->joint, kind, index);
}

/* The joint contexts a declaration is read in: each joint for one inside
 * `per joint`, else only the systemic context. */
static int ctx_first(const ast_decl *d) { return d->per_joint ? 0 : -1; }
static int ctx_end(const rctx *c, const ast_decl *d) {
  return d->per_joint ? (int)c->m->njoints : 0;
}

/* sum(joint, e), mean(joint, e), max(joint, e), min(joint, e) */
static int is_aggregate(const ast_expr *e) {
  return e->kind == AST_CALL && e->u.call.nargs >= 1 && e->u.call.args[0]->kind == AST_NAME &&
         strcmp(e->u.call.args[0]->u.name.id, "joint") == 0;
}

/* --- the aggregates (agg_memo) -------------------------------------------- */

static size_t agg_hash(const ast_expr *e) {
  uint64_t x = (uint64_t)(uintptr_t)e;
  x ^= x >> 29;
  x *= 0x9e3779b97f4a7c15ull;
  return (size_t)(x ^ (x >> 32));
}

/* The slot of e: where it is, or the empty one where it goes. */
static size_t agg_slot(const agg_memo *a, const ast_expr *e) {
  size_t mask = a->cap - 1, i = agg_hash(e) & mask;
  while (a->key[i] != NULL && a->key[i] != e) i = (i + 1) & mask;
  return i;
}

/* Counts the aggregates under e (a->key NULL) or enters them. */
static void walk_aggregates(agg_memo *a, const ast_expr *e) {
  if (e == NULL) return;
  switch (e->kind) {
    case AST_NUM:
    case AST_NAME: return;
    case AST_UNARY: walk_aggregates(a, e->u.unary.a); return;
    case AST_BINARY:
      walk_aggregates(a, e->u.binary.a);
      walk_aggregates(a, e->u.binary.b);
      return;
    case AST_CALL:
      if (is_aggregate(e)) {
        if (a->key == NULL) {
          a->count++;
        } else {
          size_t i = agg_slot(a, e);
          a->key[i] = e;
          a->node[i] = DAG_NONE;
        }
      }
      for (size_t i = 0; i < e->u.call.nargs; i++) walk_aggregates(a, e->u.call.args[i]);
      return;
  }
}

static void walk_program_aggregates(agg_memo *a, const syn_program *p) {
  for (size_t f = 0; f < p->nfiles; f++)
    for (size_t d = 0; d < p->files[f].ndecls; d++) {
      const ast_decl *decl = &p->files[f].decls[d];
      walk_aggregates(a, decl->value);
      walk_aggregates(a, decl->delay);
      walk_aggregates(a, decl->priority);
      for (size_t i = 0; i < decl->nassigns; i++) walk_aggregates(a, decl->assigns[i].value);
    }
}

/* Finds every aggregate of the program; the table is at most half full. */
static int index_aggregates(agg_memo *a, const syn_program *p) {
  walk_program_aggregates(a, p);
  a->cap = 16;
  while (a->cap < 2 * a->count) a->cap *= 2;
  a->key = syn_calloc(a->cap, sizeof *a->key);
  a->node = syn_calloc(a->cap, sizeof *a->node);
  a->checked = syn_calloc(a->cap, 1);
  if (a->key == NULL || a->node == NULL || a->checked == NULL) return -1;
  walk_program_aggregates(a, p);
  return 0;
}

static void agg_memo_free(agg_memo *a) {
  syn_free(a->key);
  syn_free(a->node);
  syn_free(a->checked);
}

/* "file:line:col" of a span, for hints. */
static void where(const rctx *c, syn_span sp, char *buf, size_t size) {
  int line = 0, col = 0;
  syn_srcset_linecol(c->src, sp, &line, &col);
  snprintf(buf, size, "%s:%d:%d", syn_srcset_get(c->src, sp.file)->path, line, col);
}

static int is_symbol_decl(ast_decl_kind k) {
  return k == DECL_COMPARTMENT || k == DECL_PARAM || k == DECL_STATE || k == DECL_LET ||
         k == DECL_OUTPUT;
}

static syn_symkind decl_symkind(ast_decl_kind k) {
  switch (k) {
    case DECL_COMPARTMENT: return SYN_SYM_COMPARTMENT;
    case DECL_PARAM: return SYN_SYM_PARAM;
    case DECL_STATE: return SYN_SYM_STATE;
    case DECL_LET: return SYN_SYM_LET;
    default: return SYN_SYM_OUTPUT;
  }
}

static uint32_t gid(const rctx *c, syn_symkind kind, size_t index) {
  return (uint32_t)(c->base[kind] + index);
}

static void gid_split(const rctx *c, uint32_t g, syn_symkind *kind, size_t *index) {
  int k = 0;
  while (k + 1 < SYN_SYM_KIND_COUNT && g >= c->base[k + 1]) k++;
  *kind = (syn_symkind)k;
  *index = g - c->base[k];
}

/* Global ids: the symbols', then one per aggregate slot (agg_memo). */
static size_t gid_count(const rctx *c) { return c->base[SYN_SYM_KIND_COUNT] + c->agg.cap; }
static int is_agg_gid(const rctx *c, uint32_t g) { return g >= c->base[SYN_SYM_KIND_COUNT]; }

static const char *gid_name(const rctx *c, uint32_t g) {
  syn_symkind k;
  size_t i;
  gid_split(c, g, &k, &i);
  return c->m->sym[k][i].name;
}

/* --- pass 1: the clock -------------------------------------------------- */

/* The unit symbol of a file's `time unit` line (the parser's file-level span
 * covers the keyword). */
static syn_span clock_span(const ast_file *f) {
  for (size_t d = 0; d < f->ndecls; d++)
    if (f->decls[d].kind == DECL_TIME_UNIT) return f->decls[d].text_span;
  return f->time_unit_span;
}

static syn_status resolve_clock(rctx *c) {
  syn_model *m = c->m;
  const syn_program *p = m->prog;
  const ast_file *root = &p->files[p->nfiles - 1];
  m->time_unit = "";
  const char *root_written = NULL;
  if (root->time_unit != NULL) {
    const syn_unit_def *def = syn_unit_lookup(root->time_unit, strlen(root->time_unit));
    if (def == NULL || def->kind != SYN_UNIT_TIME)
      return diag(c, clock_span(root), "'%s' is not a unit of time", root->time_unit);
    m->time_unit = def->canonical;
    m->clock_seconds = def->seconds;
    root_written = root->time_unit;
  }
  for (size_t f = 0; f + 1 < p->nfiles; f++) {
    const ast_file *file = &p->files[f];
    if (file->time_unit == NULL) continue;
    const syn_unit_def *def = syn_unit_lookup(file->time_unit, strlen(file->time_unit));
    if (def == NULL || def->kind != SYN_UNIT_TIME)
      return diag(c, clock_span(file), "'%s' is not a unit of time", file->time_unit);
    if (root_written == NULL) {
      syn_status s = diag(c, clock_span(file),
                          "imported file declares time unit '%s' but the model has no clock",
                          file->time_unit);
      syn_error_hint(c->err, "declare the clock in the main file: 'time unit %s'", file->time_unit);
      return s;
    }
    if (strcmp(def->canonical, m->time_unit) != 0)
      return diag(c, clock_span(file),
                  "imported file declares time unit '%s' but the model's clock is '%s'",
                  file->time_unit, root_written);
  }
  return SYN_OK;
}

/* --- pass 2: declarations ------------------------------------------------ */

static const char *span_copy(rctx *c, syn_span sp) {
  const char *s = syn_span_text(c->src, sp);
  return syn_arena_strndup(c->m->arena, s, sp.len);
}

/* `joints A B C`: at most once per model, names unique. */
static syn_status declare_joints(rctx *c) {
  syn_model *m = c->m;
  const syn_program *p = m->prog;
  const ast_decl *first = NULL, *first_pj = NULL;
  for (size_t f = 0; f < p->nfiles; f++)
    for (size_t d = 0; d < p->files[f].ndecls; d++) {
      const ast_decl *decl = &p->files[f].decls[d];
      if (decl->per_joint && first_pj == NULL) first_pj = decl;
      if (decl->kind != DECL_JOINTS) continue;
      if (first != NULL) {
        char at[600];
        where(c, first->span, at, sizeof at);
        syn_status s = diag(c, decl->span, "'joints' is declared twice");
        syn_error_hint(c->err, "list every joint on one 'joints' line; the first is at %s", at);
        return s;
      }
      first = decl;
    }
  if (first == NULL) {
    if (first_pj == NULL) return SYN_OK;
    syn_status s = diag(c, first_pj->span, "'per joint' needs joints, but the model declares none");
    syn_error_hint(c->err, "declare them, e.g. 'joints knee_L knee_R'");
    return s;
  }
  m->joints = arena_array(c, first->nnames, sizeof *m->joints);
  if (m->joints == NULL) return oom(c);
  for (size_t i = 0; i < first->nnames; i++) {
    int rc = syn_names_put(&m->joint_names, first->names[i], SYN_SYM_PARAM, (uint32_t)i);
    if (rc < 0) return oom(c);
    if (rc > 0) return diag(c, first->name_spans[i], "joint '%s' is listed twice", first->names[i]);
    m->joints[m->njoints++] = first->names[i];
  }
  return SYN_OK;
}

static syn_status bad_declared_name(rctx *c, const ast_decl *decl, const char *what) {
  if (strcmp(decl->name, "t") == 0) {
    syn_status s = diag(c, decl->name_span, "'t' is reserved for time");
    syn_error_hint(c->err, "choose another name");
    return s;
  }
  if (strchr(decl->name, '.') != NULL) {
    syn_status s = diag(c, decl->name_span, "%s name '%s' cannot contain '.'", what, decl->name);
    syn_error_hint(c->err, "names like 'knee_R.TNF' are the copies of a 'per joint' declaration; "
                           "declare '%s' inside 'per joint { \xe2\x80\xa6 }'",
                   strchr(decl->name, '.') + 1);
    return s;
  }
  if (syn_names_get(&c->m->joint_names, decl->name) != NULL)
    return diag(c, decl->name_span, "'%s' is already the name of a joint", decl->name);
  return SYN_OK;
}

static syn_status already_declared(rctx *c, syn_span at_span, const char *name, syn_span first) {
  char at[600];
  where(c, first, at, sizeof at);
  syn_status s = diag(c, at_span, "'%s' is already declared", name);
  syn_error_hint(c->err, "first declared at %s", at);
  return s;
}

/* Per-joint base names: their own namespace, disjoint from the systemic one. */
static syn_status declare_bases(rctx *c) {
  syn_model *m = c->m;
  const syn_program *p = m->prog;
  size_t n = 0;
  for (size_t f = 0; f < p->nfiles; f++)
    for (size_t d = 0; d < p->files[f].ndecls; d++)
      n += p->files[f].decls[d].per_joint && is_symbol_decl(p->files[f].decls[d].kind);
  m->pj = arena_array(c, n, sizeof *m->pj);
  if (m->pj == NULL) return oom(c);
  for (size_t f = 0; f < p->nfiles; f++)
    for (size_t d = 0; d < p->files[f].ndecls; d++) {
      const ast_decl *decl = &p->files[f].decls[d];
      if (!decl->per_joint || !is_symbol_decl(decl->kind)) continue;
      syn_status s = bad_declared_name(c, decl, "declared");
      if (s != SYN_OK) return s;
      int rc = syn_names_put(&m->pj_names, decl->name, decl_symkind(decl->kind), (uint32_t)m->npj);
      if (rc < 0) return oom(c);
      if (rc > 0)
        return already_declared(c, decl->name_span, decl->name,
                                m->pj[syn_names_get(&m->pj_names, decl->name)->index].decl->name_span);
      pj_base *b = &m->pj[m->npj++];
      b->name = decl->name;
      b->kind = decl_symkind(decl->kind);
      b->decl = decl;
      b->copies = arena_array(c, m->njoints, sizeof *b->copies);
      if (b->copies == NULL) return oom(c);
    }
  return SYN_OK;
}

/* One symbol: a systemic declaration (joint -1) or joint j's copy. */
static syn_status declare_one(rctx *c, const ast_decl *decl, int j, const char *path,
                              size_t *ndeclared) {
  syn_model *m = c->m;
  syn_symkind kind = decl_symkind(decl->kind);
  const char *name = decl->name;
  if (j < 0) {
    syn_status s = bad_declared_name(c, decl, "declared");
    if (s != SYN_OK) return s;
    const name_entry *b = syn_names_get(&m->pj_names, decl->name);
    if (b != NULL) {
      char at[600];
      where(c, m->pj[b->index].decl->name_span, at, sizeof at);
      s = diag(c, decl->name_span, "'%s' is already declared", decl->name);
      syn_error_hint(c->err, "declared per joint at %s", at);
      return s;
    }
  } else {
    size_t len = strlen(m->joints[j]) + strlen(decl->name) + 2;
    char *q = syn_arena_alloc(m->arena, len);
    if (q == NULL) return oom(c);
    snprintf(q, len, "%s.%s", m->joints[j], decl->name);
    name = q;
  }
  size_t idx = m->nsym[kind];
  int rc = syn_names_put(&m->names, name, kind, (uint32_t)idx);
  if (rc < 0) return oom(c);
  if (rc > 0) {
    const name_entry *first = syn_names_get(&m->names, name);
    return already_declared(c, decl->name_span, name,
                            m->info[first->kind][first->index].decl->name_span);
  }
  if (j >= 0) m->pj[syn_names_get(&m->pj_names, decl->name)->index].copies[j] = (uint32_t)idx;
  int line = 0;
  syn_srcset_linecol(c->src, decl->name_span, &line, NULL);
  const char *expr = decl->value ? span_copy(c, decl->value->span) : "";
  if (expr == NULL) return oom(c);
  m->sym[kind][idx] = (syn_symbol){
      .name = name,
      .kind = kind,
      .units = "",
      .description = decl->description ? decl->description : "",
      .source = decl->source ? decl->source : "",
      .expr = expr,
      .compartment = decl->compartment ? decl->compartment : "",
      .file = path,
      .line = line,
      .joint = j >= 0 ? m->joints[j] : "",
      .base = decl->name,
  };
  m->info[kind][idx] = (sym_info){.decl = decl, .node = DAG_NONE, .expr = DAG_NONE,
                                  .rhs = DAG_NONE, .joint = j, .ddt_joint = -1};
  c->declared[(*ndeclared)++] = gid(c, kind, idx);
  m->nsym[kind]++;
  return SYN_OK;
}

static syn_status declare_all(rctx *c) {
  syn_model *m = c->m;
  const syn_program *p = m->prog;
  size_t count[SYN_SYM_KIND_COUNT] = {0};
  syn_status s = declare_joints(c);
  if (s == SYN_OK) s = declare_bases(c);
  if (s != SYN_OK) return s;
  for (size_t f = 0; f < p->nfiles; f++)
    for (size_t d = 0; d < p->files[f].ndecls; d++) {
      const ast_decl *decl = &p->files[f].decls[d];
      if (is_symbol_decl(decl->kind))
        count[decl_symkind(decl->kind)] += decl->per_joint ? m->njoints : 1;
    }
  size_t all = 0;
  for (int k = 0; k < SYN_SYM_KIND_COUNT; k++) all += count[k];
  if (all > MAX_SYMBOLS) { /* joints x per-joint declarations, from a small file */
    const ast_decl *j = NULL;
    for (size_t f = 0; f < p->nfiles && j == NULL; f++)
      for (size_t d = 0; d < p->files[f].ndecls && j == NULL; d++)
        if (p->files[f].decls[d].kind == DECL_JOINTS) j = &p->files[f].decls[d];
    return syn_diag(c->err, c->src, j ? j->span : p->files[0].decls[0].span, SYN_ELIMIT,
                    "the model would have %zu names (at most %d)", all, MAX_SYMBOLS);
  }
  size_t total = 0;
  for (int k = 0; k < SYN_SYM_KIND_COUNT; k++) {
    c->base[k] = total;
    total += count[k];
    m->sym[k] = syn_calloc(count[k], sizeof *m->sym[k]);
    m->info[k] = syn_calloc(count[k], sizeof *m->info[k]);
    if (m->sym[k] == NULL || m->info[k] == NULL) return oom(c);
  }
  c->base[SYN_SYM_KIND_COUNT] = total;
  size_t ndeclared = 0;
  c->declared = syn_calloc(total, sizeof *c->declared);
  if (c->declared == NULL) return oom(c);
  m->nconst = count[SYN_SYM_COMPARTMENT] + count[SYN_SYM_PARAM];

  /* A run of consecutive per-joint declarations (one block) is laid out
   * joint by joint, so each joint's states are contiguous. */
  for (size_t f = 0; f < p->nfiles; f++) {
    const ast_file *file = &p->files[f];
    const char *path = syn_srcset_get(c->src, file->file)->path;
    size_t d = 0;
    while (d < file->ndecls && s == SYN_OK) {
      size_t end = d + 1;
      if (file->decls[d].per_joint)
        while (end < file->ndecls && file->decls[end].per_joint) end++;
      for (int j = ctx_first(&file->decls[d]); j < ctx_end(c, &file->decls[d]) && s == SYN_OK; j++)
        for (size_t e = d; e < end && s == SYN_OK; e++)
          if (is_symbol_decl(file->decls[e].kind))
            s = declare_one(c, &file->decls[e], j, path, &ndeclared);
      d = end;
    }
  }
  return s;
}

/* --- pass 3 and 4: compartments of states, d/dt ---------------------------- */

static syn_status check_compartments(rctx *c) {
  syn_model *m = c->m;
  for (size_t i = 0; i < m->nsym[SYN_SYM_STATE]; i++) {
    const ast_decl *d = m->info[SYN_SYM_STATE][i].decl;
    if (d->compartment == NULL) continue;
    syn_symkind ek;
    size_t ei;
    c->joint = m->info[SYN_SYM_STATE][i].joint;
    if (!lookup(c, d->compartment, &ek, &ei)) {
      const char *sug = syn_names_suggest(m, d->compartment, 1u << SYN_SYM_COMPARTMENT);
      if (sug)
        return diag(c, d->compartment_span,
                    "state '%s' is in unknown compartment '%s' (did you mean '%s'?)", d->name,
                    d->compartment, sug);
      return diag(c, d->compartment_span, "state '%s' is in unknown compartment '%s'", d->name,
                  d->compartment);
    }
    if (ek != SYN_SYM_COMPARTMENT)
      return diag(c, d->compartment_span, "'%s' is %s %s, not a compartment", d->compartment,
                  syn_kind_article(ek), syn_kind_noun(ek));
  }
  c->joint = -1;
  return SYN_OK;
}

/* The closest per-joint base name, or NULL. */
static const char *suggest_base(const syn_model *m, const char *name) {
  const char *best = NULL;
  size_t best_d = 3, d;
  for (size_t i = 0; i < m->npj; i++)
    if (syn_close_enough(name, m->pj[i].name, &d) &&
        (d < best_d || (d == best_d && syn_better_tie(name, m->pj[i].name, best)))) {
      best_d = d;
      best = m->pj[i].name;
    }
  return best;
}

/* 'A.x' that does not exist: A is not a joint, or x is not per joint. */
static syn_status unknown_qualified(rctx *c, syn_span sp, const char *name) {
  const syn_model *m = c->m;
  const char *dot = strchr(name, '.');
  int n = (int)(dot - name);
  char joint[256];
  snprintf(joint, sizeof joint, "%.*s", n, name);
  syn_status s;
  if (m->njoints == 0) {
    s = diag(c, sp, "unknown name '%s'", name);
    syn_error_hint(c->err, "a name with '.' is one joint's copy ('%s' of joint '%s'), but the "
                           "model declares no joints", dot + 1, joint);
    return s;
  }
  if (syn_names_get(&m->joint_names, joint) == NULL) {
    const char *best = NULL;
    size_t best_d = 3, d;
    for (size_t i = 0; i < m->njoints; i++)
      if (syn_close_enough(joint, m->joints[i], &d) &&
          (d < best_d || (d == best_d && syn_better_tie(joint, m->joints[i], best)))) {
        best_d = d;
        best = m->joints[i];
      }
    if (best) return diag(c, sp, "unknown joint '%s' in '%s' (did you mean '%s'?)", joint, name, best);
    s = diag(c, sp, "unknown joint '%s' in '%s'", joint, name);
    syn_error_hint(c->err, "the joints are declared with 'joints'; the first is '%s'", m->joints[0]);
    return s;
  }
  const char *base = dot + 1;
  if (syn_names_get(&m->names, base) != NULL) {
    s = diag(c, sp, "'%s' is not declared per joint, so there is no '%s'", base, name);
    syn_error_hint(c->err, "write '%s'", base);
    return s;
  }
  const char *sug = suggest_base(m, base);
  if (sug) return diag(c, sp, "unknown name '%s' (did you mean '%s.%s'?)", name, joint, sug);
  return diag(c, sp, "unknown name '%s': no per-joint declaration '%s'", name, base);
}

static syn_status unknown_name(rctx *c, syn_span sp, const char *name, unsigned mask) {
  const syn_model *m = c->m;
  if (strchr(name, '.') != NULL) return unknown_qualified(c, sp, name);
  if (syn_names_get(&m->pj_names, name) != NULL) { /* only in a systemic context */
    syn_status s = diag(c, sp, "'%s' is declared per joint; name one joint's copy or aggregate",
                        name);
    syn_error_hint(c->err, "write e.g. '%s.%s' or 'sum(joint, %s)'", m->joints[0], name, name);
    return s;
  }
  const char *sug = syn_names_suggest(m, name, mask);
  if (sug == NULL && c->joint >= 0) sug = suggest_base(m, name);
  if (sug) return diag(c, sp, "unknown name '%s' (did you mean '%s'?)", name, sug);
  return diag(c, sp, "unknown name '%s'", name);
}

static syn_status check_ddt(rctx *c, const ast_decl *decl) {
  syn_model *m = c->m;
  syn_symkind ek;
  size_t ei;
  if (strcmp(decl->name, "t") == 0)
    return diag(c, decl->name_span, "d/dt of 't', which is time, not a state");
  if (!lookup(c, decl->name, &ek, &ei))
    return unknown_name(c, decl->name_span, decl->name, 1u << SYN_SYM_STATE);
  if (ek != SYN_SYM_STATE)
    return diag(c, decl->name_span, "d/dt of '%s', which is %s %s, not a state", decl->name,
                syn_kind_article(ek), syn_kind_noun(ek));
  sym_info *si = &m->info[SYN_SYM_STATE][ei];
  if (si->ddt != NULL) {
    char at[600];
    where(c, si->ddt->name_span, at, sizeof at);
    syn_status s = diag(c, decl->name_span, "second d/dt for '%s'", m->sym[SYN_SYM_STATE][ei].name);
    syn_error_hint(c->err, "first at %s", at);
    return s;
  }
  si->ddt = decl;
  si->ddt_joint = c->joint;
  return SYN_OK;
}

static syn_status check_ddts(rctx *c) {
  syn_model *m = c->m;
  const syn_program *p = m->prog;
  for (size_t f = 0; f < p->nfiles; f++) {
    for (size_t d = 0; d < p->files[f].ndecls; d++) {
      const ast_decl *decl = &p->files[f].decls[d];
      if (decl->kind != DECL_DDT) continue;
      for (c->joint = ctx_first(decl); c->joint < ctx_end(c, decl); c->joint++) {
        syn_status s = check_ddt(c, decl);
        if (s != SYN_OK) return s;
      }
    }
  }
  c->joint = -1;
  for (size_t i = 0; i < m->nsym[SYN_SYM_STATE]; i++) {
    const sym_info *si = &m->info[SYN_SYM_STATE][i];
    if (si->ddt != NULL) continue;
    syn_status s = diag(c, si->decl->name_span, "state '%s' has no d/dt equation", si->decl->name);
    syn_error_hint(c->err, "add a line: d/dt %s = \xe2\x80\xa6", si->decl->name);
    return s;
  }
  return SYN_OK;
}

/* --- pass 5: expressions (names, calls, units) --------------------------- */

static syn_status check_unit(rctx *c, const ast_unit *u, int in_compartment) {
  for (size_t i = 0; i < u->nterms; i++) {
    const ast_unit_term *t = &u->terms[i];
    const syn_unit_def *def = syn_unit_lookup(t->symbol, strlen(t->symbol));
    if (def == NULL || def->kind != SYN_UNIT_TIME) continue;
    if (in_compartment) return diag(c, t->span, "a compartment size cannot have a time unit");
    if (c->m->clock_seconds <= 0) {
      syn_status s = diag(c, t->span, "'%s' is a time unit but the model has no clock", t->symbol);
      syn_error_hint(c->err, "declare one, e.g. 'time unit h'");
      return s;
    }
  }
  return SYN_OK;
}

/* Record that the definition of `owner` uses symbol `target`. */
static syn_status add_ref(rctx *c, uint32_t owner, uint32_t target, syn_span sp) {
  if (syn_grow((void **)&c->refs[owner], &c->caprefs[owner], c->nrefs[owner] + 1, sizeof(ref)))
    return oom(c);
  c->refs[owner][c->nrefs[owner]++] = (ref){target, sp};
  return SYN_OK;
}

static syn_status check_expr(rctx *c, const ast_expr *e, uint32_t owner, int in_compartment);

static int is_aggregate_fn(const char *fn) {
  return !strcmp(fn, "sum") || !strcmp(fn, "mean") || !strcmp(fn, "max") || !strcmp(fn, "min");
}

/* fn(joint, body): body is read once per joint, in that joint's context. */
static syn_status check_aggregate(rctx *c, const ast_expr *e, uint32_t owner, int in_compartment) {
  const char *fn = e->u.call.fn;
  syn_status s;
  if (!is_aggregate_fn(fn)) {
    s = diag(c, e->u.call.fn_span, "'%s' cannot aggregate over joints", fn);
    syn_error_hint(c->err, "aggregate with sum, mean, max or min, as in sum(joint, TNF)");
    return s;
  }
  if (e->u.call.nargs != 2)
    return diag(c, e->u.call.fn_span, "%s(joint, \xe2\x80\xa6) takes one expression after 'joint', got %zu",
                fn, e->u.call.nargs - 1);
  if (c->m->njoints == 0) {
    s = diag(c, e->u.call.args[0]->span, "%s(joint, \xe2\x80\xa6) needs joints, but the model declares none", fn);
    syn_error_hint(c->err, "declare them, e.g. 'joints knee_L knee_R'");
    return s;
  }
  /* the body means the same in every context: read it once (agg_memo) */
  size_t slot = agg_slot(&c->agg, e);
  unsigned char bit = (unsigned char)(in_compartment ? 2 : 1);
  if (c->agg.key[slot] == e) {
    uint32_t self = (uint32_t)(c->base[SYN_SYM_KIND_COUNT] + slot);
    if (owner != DAG_NONE && (s = add_ref(c, owner, self, e->span)) != SYN_OK) return s;
    if (c->agg.checked[slot] & bit) return SYN_OK;
    c->agg.checked[slot] |= bit;
    owner = self;
  }
  int saved = c->joint;
  s = SYN_OK;
  for (c->joint = 0; c->joint < (int)c->m->njoints && s == SYN_OK; c->joint++)
    s = check_expr(c, e->u.call.args[1], owner, in_compartment);
  c->joint = saved;
  return s;
}

static syn_status check_expr(rctx *c, const ast_expr *e, uint32_t owner, int in_compartment) {
  syn_status s = SYN_OK;
  switch (e->kind) {
    case AST_NUM:
      return e->u.num.unit ? check_unit(c, e->u.num.unit, in_compartment) : SYN_OK;
    case AST_NAME: {
      if (strcmp(e->u.name.id, "t") == 0) return SYN_OK;
      syn_symkind nk;
      size_t ni;
      if (!lookup(c, e->u.name.id, &nk, &ni)) return unknown_name(c, e->span, e->u.name.id, 0x1f);
      return owner == DAG_NONE ? SYN_OK : add_ref(c, owner, gid(c, nk, ni), e->span);
    }
    case AST_UNARY: return check_expr(c, e->u.unary.a, owner, in_compartment);
    case AST_BINARY:
      s = check_expr(c, e->u.binary.a, owner, in_compartment);
      return s ? s : check_expr(c, e->u.binary.b, owner, in_compartment);
    case AST_CALL: {
      const char *fn = e->u.call.fn;
      syn_symkind nk;
      size_t ni;
      if (lookup(c, fn, &nk, &ni))
        return diag(c, e->u.call.fn_span, "'%s' is %s %s, not a function", fn,
                    syn_kind_article(nk), syn_kind_noun(nk));
      if (strcmp(fn, "t") == 0)
        return diag(c, e->u.call.fn_span, "'t' is time, not a function");
      if (is_aggregate(e)) return check_aggregate(c, e, owner, in_compartment);
      const fn_def *def = find_function(fn);
      if (def == NULL && (strcmp(fn, "sum") == 0 || strcmp(fn, "mean") == 0)) {
        syn_status st = diag(c, e->u.call.fn_span, "'%s' aggregates over joints", fn);
        syn_error_hint(c->err, "write %s(joint, expr)", fn);
        return st;
      }
      if (def == NULL) {
        const char *sug = suggest_function(fn);
        if (sug)
          return diag(c, e->u.call.fn_span, "unknown function '%s' (did you mean '%s'?)", fn, sug);
        return diag(c, e->u.call.fn_span, "unknown function '%s'", fn);
      }
      int nargs = (int)e->u.call.nargs;
      if (def->max_args < 0 && nargs < def->min_args)
        return diag(c, e->u.call.fn_span, "'%s' takes at least %d arguments, got %d", fn,
                    def->min_args, nargs);
      if (def->max_args >= 0 && nargs != def->min_args)
        return diag(c, e->u.call.fn_span, "'%s' takes %d argument%s, got %d", fn, def->min_args,
                    def->min_args == 1 ? "" : "s", nargs);
      for (size_t i = 0; i < e->u.call.nargs && s == SYN_OK; i++)
        s = check_expr(c, e->u.call.args[i], owner, in_compartment);
      return s;
    }
  }
  return SYN_OK;
}

static syn_status check_decl_exprs(rctx *c, const ast_decl *decl) {
  syn_status s = SYN_OK;
  if (decl->kind == DECL_PRESET) {
    for (size_t i = 0; i < decl->nassigns && s == SYN_OK; i++)
      s = check_expr(c, decl->assigns[i].value, DAG_NONE, 0);
    return s;
  }
  if (decl->value == NULL) return SYN_OK;
  for (c->joint = ctx_first(decl); c->joint < ctx_end(c, decl) && s == SYN_OK; c->joint++) {
    uint32_t owner = DAG_NONE;
    syn_symkind nk;
    size_t ni;
    if (is_symbol_decl(decl->kind) && lookup(c, decl->name, &nk, &ni)) owner = gid(c, nk, ni);
    s = check_expr(c, decl->value, owner, decl->kind == DECL_COMPARTMENT);
  }
  c->joint = -1;
  return s;
}

static syn_status check_expressions(rctx *c) {
  const syn_program *p = c->m->prog;
  for (size_t f = 0; f < p->nfiles; f++)
    for (size_t d = 0; d < p->files[f].ndecls; d++) {
      syn_status s = check_decl_exprs(c, &p->files[f].decls[d]);
      if (s != SYN_OK) return s;
    }
  return SYN_OK;
}

/* --- pass 6: definition order and cycles ----------------------------------- */

/* "cyclic definition: a -> b -> a" for the cycle on the stack from r's
 * target to its top, which r closes; aggregates are not named. */
static syn_status cyclic(rctx *c, const uint32_t *stack, size_t top, const ref *r) {
  char msg[SYN_ERROR_MSG_MAX] = "";
  size_t pos = 0, len = 0;
  uint32_t first = DAG_NONE;
  while (stack[pos] != r->target) pos++;
  for (; pos < top; pos++) {
    if (is_agg_gid(c, stack[pos])) continue;
    if (first == DAG_NONE) first = stack[pos];
    len += (size_t)snprintf(msg + len, len < sizeof msg ? sizeof msg - len : 0, "%s -> ",
                            gid_name(c, stack[pos]));
  }
  if (len < sizeof msg && first != DAG_NONE) snprintf(msg + len, sizeof msg - len, "%s", gid_name(c, first));
  return diag(c, r->span, "cyclic definition: %s", msg);
}

/* Depth-first over definitions, iteratively (a hostile file may chain
 * thousands of lets). With include_states, states are nodes too (their
 * initial values) and every use of a state is an edge; without, uses of
 * states are ignored, which is the definition graph whose cycles are errors. */
static syn_status order_definitions(rctx *c, int include_states) {
  size_t total = gid_count(c), nsyms = c->base[SYN_SYM_KIND_COUNT];
  syn_status s = SYN_OK;
  unsigned char *color = syn_calloc(total, 1);
  uint32_t *stack = syn_malloc((total + 1) * sizeof *stack);
  size_t *next = syn_calloc(total, sizeof *next);
  if (color == NULL || stack == NULL || next == NULL) {
    s = oom(c);
    goto done;
  }
  c->norder = 0;
  for (size_t si = 0; si < nsyms && s == SYN_OK; si++) {
    uint32_t start = c->declared[si];
    syn_symkind k;
    size_t idx;
    gid_split(c, start, &k, &idx);
    if (color[start] || (k == SYN_SYM_STATE && !include_states)) continue;
    size_t top = 0;
    stack[top++] = start;
    color[start] = 1;
    next[start] = 0;
    while (top > 0 && s == SYN_OK) {
      uint32_t g = stack[top - 1];
      if (next[g] == c->nrefs[g]) {
        color[g] = 2;
        if (!is_agg_gid(c, g)) c->order[c->norder++] = g;
        top--;
        continue;
      }
      const ref *r = &c->refs[g][next[g]++];
      gid_split(c, r->target, &k, &idx);
      if (k == SYN_SYM_STATE && !include_states && !is_agg_gid(c, r->target)) continue;
      if (color[r->target] == 2) continue;
      if (color[r->target] == 1) { /* a cycle: from target up the stack, back to target */
        s = cyclic(c, stack, top, r);
        break;
      }
      color[r->target] = 1;
      next[r->target] = 0;
      stack[top++] = r->target;
    }
  }
done:
  syn_free(color);
  syn_free(stack);
  syn_free(next);
  return s;
}

/* --- pass 7: the DAG -------------------------------------------------------- */

static double time_factor(const rctx *c, const ast_unit *u) {
  double f = 1.0;
  if (u == NULL) return f;
  for (size_t i = 0; i < u->nterms; i++) {
    const syn_unit_def *def = syn_unit_lookup(u->terms[i].symbol, strlen(u->terms[i].symbol));
    if (def == NULL || def->kind != SYN_UNIT_TIME || c->m->clock_seconds <= 0) continue;
    f *= pow(def->seconds / c->m->clock_seconds, u->terms[i].exponent);
  }
  return f;
}

static syn_op binary_op(ast_op op) {
  switch (op) {
    case AST_ADD: return SYN_OP_ADD;
    case AST_SUB: return SYN_OP_SUB;
    case AST_MUL: return SYN_OP_MUL;
    case AST_DIV: return SYN_OP_DIV;
    case AST_POW: return SYN_OP_POW;
    case AST_LT: return SYN_OP_LT;
    case AST_LE: return SYN_OP_LE;
    case AST_GT: return SYN_OP_GT;
    case AST_GE: return SYN_OP_GE;
    case AST_EQ: return SYN_OP_EQ;
    case AST_NE: return SYN_OP_NE;
    case AST_AND: return SYN_OP_AND;
    case AST_OR: return SYN_OP_OR;
    case AST_NOT: return SYN_OP_NOT;
    case AST_NEG: return SYN_OP_NEG;
  }
  return SYN_OP_ADD;
}

/* hill(x, K, n) = x^n / (K^n + x^n); inhibit = K^n / (K^n + x^n). */
static uint32_t build_hill(syn_dag *d, uint32_t x, uint32_t k, uint32_t n, int inhibit,
                           syn_span sp) {
  uint32_t xn = syn_dag_bin(d, SYN_OP_POW, x, n);
  syn_dag_set_span(d, xn, sp);
  uint32_t kn = syn_dag_bin(d, SYN_OP_POW, k, n);
  syn_dag_set_span(d, kn, sp);
  uint32_t den = syn_dag_bin(d, SYN_OP_ADD, kn, xn);
  syn_dag_set_span(d, den, sp);
  return syn_dag_bin(d, SYN_OP_DIV, inhibit ? kn : xn, den);
}

static uint32_t build_expr(rctx *c, const ast_expr *e);

/* sum: a + b + …; mean: the sum / number of joints; max, min: chained. */
/* expr of an aggregate over joints [lo, hi), combined by op as a balanced
 * tree: a left-deep chain of N max/min would make the derivative of the
 * result in one joint's copy a nest of up to N selections (O(N^2) Jacobian
 * code over all joints); the tree keeps each at log2 N (and sums pairwise). */
static uint32_t build_joint_range(rctx *c, const ast_expr *e, syn_op op, int lo, int hi) {
  if (hi - lo == 1) {
    c->joint = lo;
    return build_expr(c, e->u.call.args[1]);
  }
  int mid = lo + (hi - lo) / 2;
  uint32_t a = build_joint_range(c, e, op, lo, mid), b = build_joint_range(c, e, op, mid, hi);
  syn_dag *d = &c->m->dag;
  syn_dag_set_span(d, a, e->span);
  syn_dag_set_span(d, b, e->span);
  return syn_dag_bin(d, op, a, b);
}

static uint32_t build_aggregate(rctx *c, const ast_expr *e) {
  syn_dag *d = &c->m->dag;
  const char *fn = e->u.call.fn;
  syn_op op = !strcmp(fn, "max") ? SYN_OP_MAX : !strcmp(fn, "min") ? SYN_OP_MIN : SYN_OP_ADD;
  int saved = c->joint;
  uint32_t r = build_joint_range(c, e, op, 0, (int)c->m->njoints);
  c->joint = saved;
  if (!strcmp(fn, "mean")) {
    syn_dag_set_span(d, r, e->span);
    r = syn_dag_bin(d, SYN_OP_DIV, r, syn_dag_const(d, (double)c->m->njoints));
  }
  return r;
}

static uint32_t build_expr(rctx *c, const ast_expr *e) {
  syn_model *m = c->m;
  syn_dag *d = &m->dag;
  uint32_t r = DAG_NONE;
  switch (e->kind) {
    case AST_NUM: r = syn_dag_const(d, e->u.num.value * time_factor(c, e->u.num.unit)); break;
    case AST_NAME: {
      if (strcmp(e->u.name.id, "t") == 0) {
        r = syn_dag_time(d);
        break;
      }
      syn_symkind nk;
      size_t ni;
      lookup(c, e->u.name.id, &nk, &ni); /* checked in pass 5 */
      return m->info[nk][ni].node; /* a symbol keeps its own span */
    }
    case AST_UNARY: r = syn_dag_un(d, binary_op(e->u.unary.op), build_expr(c, e->u.unary.a)); break;
    case AST_BINARY:
      r = syn_dag_bin(d, binary_op(e->u.binary.op), build_expr(c, e->u.binary.a),
                      build_expr(c, e->u.binary.b));
      break;
    case AST_CALL: {
      if (is_aggregate(e)) { /* built once: the same node in every context (agg_memo) */
        size_t slot = agg_slot(&c->agg, e);
        int known = c->agg.key[slot] == e;
        if (known && c->agg.node[slot] != DAG_NONE) return c->agg.node[slot];
        r = build_aggregate(c, e);
        if (known) c->agg.node[slot] = r;
        break;
      }
      const fn_def *def = find_function(e->u.call.fn);
      uint32_t args[3] = {DAG_NONE, DAG_NONE, DAG_NONE};
      for (size_t i = 0; i < e->u.call.nargs && i < 3; i++) args[i] = build_expr(c, e->u.call.args[i]);
      if (def->kind == FN_HILL || def->kind == FN_INHIBIT) {
        r = build_hill(d, args[0], args[1], args[2], def->kind == FN_INHIBIT, e->span);
      } else if (def->op == SYN_OP_MIN || def->op == SYN_OP_MAX) {
        r = syn_dag_bin(d, def->op, args[0], args[1]);
        for (size_t i = 2; i < e->u.call.nargs; i++) {
          syn_dag_set_span(d, r, e->span);
          r = syn_dag_bin(d, def->op, r, build_expr(c, e->u.call.args[i]));
        }
      } else {
        r = syn_dag_op(d, def->op, args[0], args[1], args[2]);
      }
      break;
    }
  }
  syn_dag_set_span(d, r, e->span);
  return r;
}

/* The first state (or t) a dynamic node depends on, for messages. */
static const char *dynamic_culprit(const syn_model *m, uint32_t node) {
  const syn_dag *d = &m->dag;
  while (node != DAG_NONE) {
    const dag_node *nd = &d->nodes[node];
    if (nd->op == SYN_OP_STATE) return m->sym[SYN_SYM_STATE][nd->a].name;
    if (nd->op == SYN_OP_TIME) return "t";
    int n = syn_op_arity((syn_op)nd->op);
    uint32_t next = DAG_NONE;
    if (n >= 1 && d->nodes[nd->a].dyn) next = nd->a;
    else if (n >= 2 && d->nodes[nd->b].dyn) next = nd->b;
    else if (n >= 3 && d->nodes[nd->c].dyn) next = nd->c;
    node = next;
  }
  return "?";
}

/* The first name in e whose value is dynamic; *joint = the context it was
 * read in (inside an aggregate, the joint). */
static const ast_expr *find_dynamic_name(rctx *c, const ast_expr *e, int *joint) {
  const syn_model *m = c->m;
  switch (e->kind) {
    case AST_NUM: return NULL;
    case AST_NAME: {
      if (strcmp(e->u.name.id, "t") == 0) return e;
      syn_symkind nk;
      size_t ni;
      if (!lookup(c, e->u.name.id, &nk, &ni)) return NULL; /* `joint` of an aggregate */
      uint32_t node = m->info[nk][ni].node;
      *joint = c->joint;
      return (node != DAG_NONE && m->dag.nodes[node].dyn) ? e : NULL;
    }
    case AST_UNARY: return find_dynamic_name(c, e->u.unary.a, joint);
    case AST_BINARY: {
      const ast_expr *r = find_dynamic_name(c, e->u.binary.a, joint);
      return r ? r : find_dynamic_name(c, e->u.binary.b, joint);
    }
    case AST_CALL:
      if (is_aggregate(e)) {
        int saved = c->joint;
        const ast_expr *r = NULL;
        for (c->joint = 0; c->joint < (int)m->njoints && r == NULL; c->joint++)
          r = find_dynamic_name(c, e->u.call.args[1], joint);
        c->joint = saved;
        return r;
      }
      for (size_t i = 0; i < e->u.call.nargs; i++) {
        const ast_expr *r = find_dynamic_name(c, e->u.call.args[i], joint);
        if (r) return r;
      }
      return NULL;
  }
  return NULL;
}

/* `what` is "parameter 'k'" or "initial value of 'X'". */
static syn_status not_constant(rctx *c, const ast_expr *value, const char *what, const char *hint) {
  const syn_model *m = c->m;
  int joint = c->joint;
  const ast_expr *at = find_dynamic_name(c, value, &joint);
  int saved = c->joint;
  c->joint = joint;
  syn_status s;
  if (at == NULL) { /* cannot happen: a dynamic value uses a dynamic name */
    s = diag(c, value->span, "%s cannot change with time", what);
  } else if (strcmp(at->u.name.id, "t") == 0) {
    s = diag(c, at->span, "%s cannot depend on time 't'", what);
  } else {
    syn_symkind nk = SYN_SYM_STATE;
    size_t ni = 0;
    lookup(c, at->u.name.id, &nk, &ni);
    if (nk == SYN_SYM_STATE) {
      s = diag(c, at->span, "%s cannot depend on state '%s'", what, at->u.name.id);
    } else {
      const char *culprit = dynamic_culprit(m, m->info[nk][ni].node);
      if (strcmp(culprit, "t") == 0)
        s = diag(c, at->span, "%s cannot depend on %s '%s', which depends on time 't'", what,
                 syn_kind_noun(nk), at->u.name.id);
      else
        s = diag(c, at->span, "%s cannot depend on %s '%s', which depends on state '%s'", what,
                 syn_kind_noun(nk), at->u.name.id, culprit);
    }
  }
  c->joint = saved;
  syn_error_hint(c->err, "%s", hint);
  return s;
}

static syn_status build_all(rctx *c) {
  syn_model *m = c->m;
  syn_dag *d = &m->dag;
  for (int k = SYN_SYM_COMPARTMENT; k <= SYN_SYM_PARAM; k++)
    for (size_t i = 0; i < m->nsym[k]; i++)
      m->info[k][i].node = syn_dag_param(d, (uint32_t)syn_const_index(m, (syn_symkind)k, i));
  for (size_t i = 0; i < m->nsym[SYN_SYM_STATE]; i++)
    m->info[SYN_SYM_STATE][i].node = syn_dag_state(d, (uint32_t)i);
  if (d->failed) return oom(c);

  size_t nconst_done = 0;
  m->const_order = syn_calloc(m->nconst, sizeof *m->const_order);
  if (m->const_order == NULL) return oom(c);
  for (size_t o = 0; o < c->norder; o++) {
    syn_symkind k;
    size_t i;
    gid_split(c, c->order[o], &k, &i);
    sym_info *si = &m->info[k][i];
    c->joint = si->joint;
    si->expr = build_expr(c, si->decl->value);
    if (si->expr == DAG_NONE) return oom(c);
    if (k == SYN_SYM_LET || k == SYN_SYM_OUTPUT) {
      si->node = si->expr;
      continue;
    }
    m->const_order[nconst_done++] = (uint32_t)syn_const_index(m, k, i);
    if (d->nodes[si->expr].dyn) {
      char what[300];
      snprintf(what, sizeof what, "%s '%s'", syn_kind_noun(k), m->sym[k][i].name);
      return not_constant(c, si->decl->value, what,
                          "parameters and compartments are constants; use a let for a value "
                          "that changes with time");
    }
  }
  for (size_t i = 0; i < m->nsym[SYN_SYM_STATE]; i++) {
    sym_info *si = &m->info[SYN_SYM_STATE][i];
    c->joint = si->joint;
    si->expr = build_expr(c, si->decl->value);
    if (si->expr == DAG_NONE) return oom(c);
    if (d->nodes[si->expr].dyn) {
      char what[300];
      snprintf(what, sizeof what, "initial value of '%s'", m->sym[SYN_SYM_STATE][i].name);
      return not_constant(c, si->decl->value, what,
                          "initial values may use parameters and compartments only");
    }
  }
  for (size_t i = 0; i < m->nsym[SYN_SYM_STATE]; i++) {
    sym_info *si = &m->info[SYN_SYM_STATE][i];
    c->joint = si->ddt_joint;
    si->rhs = build_expr(c, si->ddt->value);
    if (si->rhs == DAG_NONE) return oom(c);
  }
  c->joint = -1;
  return SYN_OK;
}

/* --- pass 10: derived units ------------------------------------------------- */

static ualg units_of(rctx *c, const ast_expr *e);

static ualg first_nonempty(rctx *c, const ast_expr *const *args, size_t n) {
  ualg empty = {0};
  for (size_t i = 0; i < n; i++) {
    ualg u = units_of(c, args[i]);
    if (!u_empty(&u)) return u;
  }
  return empty;
}

static ualg power_units(rctx *c, const ast_expr *base, const ast_expr *expo) {
  ualg u = units_of(c, base), r = {0};
  if (expo->kind != AST_NUM || expo->u.num.unit != NULL) return u;
  double v = expo->u.num.value;
  if (v != floor(v) || fabs(v) > 16) return u;
  r.unknown = u.unknown;
  for (int i = 0; i < u.n; i++) u_term(&r, u.sym[i], u.exp[i] * (int)v);
  return r;
}

static ualg units_of(rctx *c, const ast_expr *e) {
  ualg u = {0};
  const syn_model *m = c->m;
  switch (e->kind) {
    case AST_NUM:
      if (e->u.num.unit == NULL) return u;
      for (size_t i = 0; i < e->u.num.unit->nterms; i++) {
        const ast_unit_term *t = &e->u.num.unit->terms[i];
        const syn_unit_def *def = syn_unit_lookup(t->symbol, strlen(t->symbol));
        const char *sym = def == NULL ? t->symbol
                          : def->kind == SYN_UNIT_TIME ? m->time_unit : def->canonical;
        u_term(&u, sym, t->exponent);
      }
      return u;
    case AST_NAME: {
      if (strcmp(e->u.name.id, "t") == 0) {
        if (m->time_unit[0]) u_term(&u, m->time_unit, 1);
        return u;
      }
      syn_symkind nk;
      size_t ni;
      if (!lookup(c, e->u.name.id, &nk, &ni)) return u;
      return c->units[gid(c, nk, ni)];
    }
    case AST_UNARY: return e->u.unary.op == AST_NEG ? units_of(c, e->u.unary.a) : u;
    case AST_BINARY: {
      switch (e->u.binary.op) {
        case AST_ADD:
        case AST_SUB: {
          const ast_expr *args[2] = {e->u.binary.a, e->u.binary.b};
          return first_nonempty(c, args, 2);
        }
        case AST_MUL:
        case AST_DIV: {
          ualg a = units_of(c, e->u.binary.a), b = units_of(c, e->u.binary.b);
          return u_combine(&a, &b, e->u.binary.op == AST_MUL ? 1 : -1);
        }
        case AST_POW: return power_units(c, e->u.binary.a, e->u.binary.b);
        default: return u; /* comparisons and logic: pure numbers */
      }
    }
    case AST_CALL: {
      const char *fn = e->u.call.fn;
      const ast_expr *const *args = (const ast_expr *const *)e->u.call.args;
      if (is_aggregate(e)) { /* the first joint's copy stands for all */
        int saved = c->joint;
        c->joint = 0;
        u = units_of(c, args[1]);
        c->joint = saved;
        return u;
      }
      if (strcmp(fn, "pow") == 0) return power_units(c, args[0], args[1]);
      if (strcmp(fn, "if") == 0) return first_nonempty(c, args + 1, 2);
      if (!strcmp(fn, "abs") || !strcmp(fn, "min") || !strcmp(fn, "max") || !strcmp(fn, "floor") ||
          !strcmp(fn, "ceil"))
        return first_nonempty(c, args, e->u.call.nargs);
      if (strcmp(fn, "sqrt") == 0) {
        ualg a = units_of(c, args[0]);
        for (int i = 0; i < a.n; i++)
          if (a.exp[i] % 2) return a;
        for (int i = 0; i < a.n; i++) a.exp[i] /= 2;
        return a;
      }
      return u; /* exp, log, trigonometry, hill, inhibit: dimensionless */
    }
  }
  return u;
}


static syn_status derive_units(rctx *c) {
  syn_model *m = c->m;
  for (size_t o = 0; o < c->norder; o++) {
    syn_symkind k;
    size_t i;
    gid_split(c, c->order[o], &k, &i);
    c->joint = m->info[k][i].joint;
    c->units[c->order[o]] = units_of(c, m->info[k][i].decl->value);
    char buf[256];
    u_render(&c->units[c->order[o]], buf, sizeof buf);
    m->sym[k][i].units = syn_arena_strdup(m->arena, buf);
    if (m->sym[k][i].units == NULL) return oom(c);
  }
  return SYN_OK;
}

/* --- pass 8: routes and inputs ------------------------------------------------ */

static syn_status route_target(rctx *c, const ast_decl *decl, size_t *state) {
  const syn_model *m = c->m;
  syn_symkind k;
  if (lookup(c, decl->target, &k, state)) {
    if (k == SYN_SYM_STATE) return SYN_OK;
    syn_status s = diag(c, decl->target_span, "route '%s' goes to '%s', which is %s %s, not a state",
                        decl->name, decl->target, syn_kind_article(k), syn_kind_noun(k));
    syn_error_hint(c->err, "doses go into a state");
    return s;
  }
  if (strchr(decl->target, '.') != NULL || syn_names_get(&m->pj_names, decl->target) != NULL)
    return unknown_name(c, decl->target_span, decl->target, 1u << SYN_SYM_STATE);
  const char *sug = syn_names_suggest(m, decl->target, 1u << SYN_SYM_STATE);
  if (sug == NULL && c->joint >= 0) sug = suggest_base(m, decl->target);
  if (sug)
    return diag(c, decl->target_span, "route '%s' goes to unknown state '%s' (did you mean '%s'?)",
                decl->name, decl->target, sug);
  return diag(c, decl->target_span, "route '%s' goes to unknown state '%s'", decl->name,
              decl->target);
}


static syn_status add_route(rctx *c, const ast_decl *decl) {
  syn_model *m = c->m;
  size_t state;
  syn_status s = route_target(c, decl, &state);
  if (s != SYN_OK) return s;
  uint32_t scale = DAG_NONE;
  if (decl->value != NULL) {
    scale = build_expr(c, decl->value);
    if (scale == DAG_NONE) return oom(c);
    if (m->dag.nodes[scale].dyn) {
      char what[300];
      snprintf(what, sizeof what, "scale of route '%s'", decl->name);
      return not_constant(c, decl->value, what,
                          "a route's scale is a constant: use parameters, compartments and numbers");
    }
  }
  size_t r = m->nroutes++;
  m->routes[r] = (syn_route){.name = decl->name,
                             .joint = c->joint >= 0 ? m->joints[c->joint] : "",
                             .state = state,
                             .description = decl->description ? decl->description : ""};
  m->route_info[r] = (route_info){.decl = decl, .scale = scale};
  m->input_node[state] = 0; /* marked: gets an input register below */
  return SYN_OK;
}

static syn_status check_route_name(rctx *c, const ast_decl *decl) {
  if (strchr(decl->name, '.') != NULL)
    return diag(c, decl->name_span, "route name '%s' cannot contain '.'", decl->name);
  /* a hash, not a scan of the routes so far: a model may have 10^5 of them */
  int rc = syn_names_put(&c->route_names, decl->name, SYN_SYM_PARAM, (uint32_t)c->m->nroutes);
  if (rc < 0) return oom(c);
  if (rc == 0) return SYN_OK;
  const ast_decl *first =
      c->m->route_info[syn_names_get(&c->route_names, decl->name)->index].decl;
  char at[600];
  where(c, first->name_span, at, sizeof at);
  syn_status s = diag(c, decl->name_span, "route '%s' is already declared", decl->name);
  syn_error_hint(c->err, "first declared at %s", at);
  return s;
}

/* Routes in file order (a per-joint route once per joint); every target
 * gets an input register added to its d/dt. */
static syn_status resolve_routes(rctx *c) {
  syn_model *m = c->m;
  const syn_program *p = m->prog;
  size_t n = 0, ns = m->nsym[SYN_SYM_STATE];
  for (size_t f = 0; f < p->nfiles; f++)
    for (size_t d = 0; d < p->files[f].ndecls; d++)
      if (p->files[f].decls[d].kind == DECL_ROUTE)
        n += p->files[f].decls[d].per_joint ? m->njoints : 1;
  m->routes = arena_array(c, n, sizeof *m->routes);
  m->route_info = arena_array(c, n, sizeof *m->route_info);
  m->input_node = arena_array(c, ns, sizeof *m->input_node);
  if (m->routes == NULL || m->route_info == NULL || m->input_node == NULL) return oom(c);
  for (size_t i = 0; i < ns; i++) m->input_node[i] = DAG_NONE;
  syn_status s = SYN_OK;
  for (size_t f = 0; f < p->nfiles && s == SYN_OK; f++)
    for (size_t d = 0; d < p->files[f].ndecls && s == SYN_OK; d++) {
      const ast_decl *decl = &p->files[f].decls[d];
      if (decl->kind != DECL_ROUTE) continue;
      s = check_route_name(c, decl);
      for (c->joint = ctx_first(decl); c->joint < ctx_end(c, decl) && s == SYN_OK; c->joint++)
        s = add_route(c, decl);
      c->joint = -1;
    }
  for (size_t i = 0; i < ns && s == SYN_OK; i++) {
    if (m->input_node[i] == DAG_NONE) continue;
    sym_info *si = &m->info[SYN_SYM_STATE][i];
    m->input_node[i] = syn_dag_input(&m->dag, (uint32_t)(m->nconst + i));
    uint32_t rhs = syn_dag_bin(&m->dag, SYN_OP_ADD, si->rhs, m->input_node[i]);
    if (rhs == DAG_NONE) return oom(c);
    syn_dag_set_span(&m->dag, rhs, si->ddt->value->span);
    si->rhs = rhs;
  }
  return s;
}

/* --- pass 9: presets ------------------------------------------------------------ */

static syn_status preset_target(rctx *c, const ast_decl *decl, const ast_assign *a) {
  const syn_model *m = c->m;
  syn_symkind k;
  size_t i;
  const name_entry *b = syn_names_get(&m->pj_names, a->name);
  if (b != NULL) {
    k = m->pj[b->index].kind;
  } else if (!lookup(c, a->name, &k, &i)) {
    if (strchr(a->name, '.') != NULL) return unknown_qualified(c, a->name_span, a->name);
    unsigned mask = (1u << SYN_SYM_COMPARTMENT) | (1u << SYN_SYM_PARAM) | (1u << SYN_SYM_STATE);
    const char *sug = syn_names_suggest(m, a->name, mask);
    if (sug == NULL) sug = suggest_base(m, a->name);
    if (sug)
      return diag(c, a->name_span, "unknown name '%s' in preset '%s' (did you mean '%s'?)",
                  a->name, decl->name, sug);
    return diag(c, a->name_span, "unknown name '%s' in preset '%s'", a->name, decl->name);
  }
  if (k == SYN_SYM_LET || k == SYN_SYM_OUTPUT) {
    syn_status s = diag(c, a->name_span, "preset '%s' sets '%s', which is %s %s", decl->name,
                        a->name, syn_kind_article(k), syn_kind_noun(k));
    syn_error_hint(c->err, "a preset sets compartments, parameters and initial values of states");
    return s;
  }
  return SYN_OK;
}

/* One `NAME = value` of a preset: its target, not set twice (seen: the
 * names set so far, a hash so a preset may set every joint's copy), a
 * constant value. */
static syn_status add_preset_assign(rctx *c, const ast_decl *decl, const ast_assign *a,
                                    model_preset *pr, name_table *seen) {
  syn_model *m = c->m;
  syn_status s = preset_target(c, decl, a);
  if (s != SYN_OK) return s;
  int rc = syn_names_put(seen, a->name, SYN_SYM_PARAM, 0);
  if (rc < 0) return oom(c);
  if (rc > 0) return diag(c, a->name_span, "'%s' is set twice in preset '%s'", a->name, decl->name);
  preset_assign *pa = &pr->assigns[pr->nassigns++];
  pa->name = a->name;
  pa->expr = span_copy(c, a->value->span);
  pa->node = build_expr(c, a->value);
  pa->assign = a;
  if (pa->expr == NULL || pa->node == DAG_NONE) return oom(c);
  if (m->dag.nodes[pa->node].dyn) {
    char what[600];
    snprintf(what, sizeof what, "value of '%s' in preset '%s'", a->name, decl->name);
    return not_constant(c, a->value, what,
                        "preset values are constants: use parameters, compartments and numbers");
  }
  return SYN_OK;
}

static syn_status add_preset(rctx *c, const ast_decl *decl) {
  syn_model *m = c->m;
  if (strchr(decl->name, '.') != NULL)
    return diag(c, decl->name_span, "preset name '%s' cannot contain '.'", decl->name);
  int rc = syn_names_put(&c->preset_names, decl->name, SYN_SYM_PARAM, (uint32_t)m->npresets);
  if (rc < 0) return oom(c);
  if (rc > 0) {
    char at[600];
    where(c, m->presets[syn_names_get(&c->preset_names, decl->name)->index].decl->name_span, at,
          sizeof at);
    syn_status s = diag(c, decl->name_span, "preset '%s' is already declared", decl->name);
    syn_error_hint(c->err, "first declared at %s", at);
    return s;
  }
  model_preset *pr = &m->presets[m->npresets++];
  pr->name = decl->name;
  pr->decl = decl;
  pr->assigns = arena_array(c, decl->nassigns, sizeof *pr->assigns);
  if (pr->assigns == NULL) return oom(c);
  name_table seen = {0}; /* names set so far: a preset may set every joint's copy */
  syn_status s = SYN_OK;
  for (size_t i = 0; i < decl->nassigns && s == SYN_OK; i++)
    s = add_preset_assign(c, decl, &decl->assigns[i], pr, &seen);
  syn_names_free(&seen);
  return s;
}

/* Presets are read in the systemic context; values are evaluated at load. */
static syn_status resolve_presets(rctx *c) {
  syn_model *m = c->m;
  const syn_program *p = m->prog;
  size_t n = 0;
  for (size_t f = 0; f < p->nfiles; f++)
    for (size_t d = 0; d < p->files[f].ndecls; d++) n += p->files[f].decls[d].kind == DECL_PRESET;
  m->presets = arena_array(c, n, sizeof *m->presets);
  if (m->presets == NULL) return oom(c);
  c->joint = -1;
  for (size_t f = 0; f < p->nfiles; f++)
    for (size_t d = 0; d < p->files[f].ndecls; d++) {
      if (p->files[f].decls[d].kind != DECL_PRESET) continue;
      syn_status s = add_preset(c, &p->files[f].decls[d]);
      if (s != SYN_OK) return s;
    }
  return SYN_OK;
}


/* --- pass 9b: events ------------------------------------------------------------ */

/* A condition is a comparison, or comparisons joined by && || and !. */
static int is_condition(const ast_expr *e) {
  if (e->kind == AST_UNARY) return e->u.unary.op == AST_NOT && is_condition(e->u.unary.a);
  if (e->kind != AST_BINARY) return 0;
  ast_op op = e->u.binary.op;
  if (op >= AST_LT && op <= AST_NE) return 1;
  return (op == AST_AND || op == AST_OR) && is_condition(e->u.binary.a) &&
         is_condition(e->u.binary.b);
}

static syn_status add_cond_op(rctx *c, syn_op op, uint32_t root) {
  syn_model *m = c->m;
  if (syn_grow((void **)&m->cond_ops, &m->cond_ops_cap, m->ncond_ops + 1, sizeof *m->cond_ops))
    return oom(c);
  m->cond_ops[m->ncond_ops++] = (cond_op){.op = (uint8_t)op, .root = root};
  return SYN_OK;
}

/* The root functions of a condition (lhs - rhs of each of its comparisons)
 * and the condition in postfix order over them. */
static syn_status add_roots(rctx *c, const ast_expr *e) {
  syn_model *m = c->m;
  syn_status s;
  if (e->kind == AST_UNARY) {
    s = add_roots(c, e->u.unary.a);
    return s ? s : add_cond_op(c, SYN_OP_NOT, 0);
  }
  if (e->u.binary.op == AST_AND || e->u.binary.op == AST_OR) {
    s = add_roots(c, e->u.binary.a);
    if (s == SYN_OK) s = add_roots(c, e->u.binary.b);
    return s ? s : add_cond_op(c, binary_op(e->u.binary.op), 0);
  }
  uint32_t g = syn_dag_bin(&m->dag, SYN_OP_SUB, build_expr(c, e->u.binary.a),
                           build_expr(c, e->u.binary.b));
  if (g == DAG_NONE || syn_grow((void **)&m->root_nodes, &m->nroots_cap, m->nroots + 1,
                                sizeof *m->root_nodes))
    return oom(c);
  syn_dag_set_span(&m->dag, g, e->span);
  m->root_nodes[m->nroots++] = g;
  return add_cond_op(c, binary_op(e->u.binary.op), (uint32_t)(m->nroots - 1));
}

static syn_status event_target(rctx *c, const model_event *ev, const ast_assign *a,
                               event_assign *out) {
  const syn_model *m = c->m;
  syn_symkind k;
  size_t i;
  if (!lookup(c, a->name, &k, &i)) {
    unsigned mask = (1u << SYN_SYM_COMPARTMENT) | (1u << SYN_SYM_PARAM) | (1u << SYN_SYM_STATE);
    if (strchr(a->name, '.') != NULL) return unknown_qualified(c, a->name_span, a->name);
    const char *sug = syn_names_suggest(m, a->name, mask);
    if (sug)
      return diag(c, a->name_span, "unknown name '%s' in event '%s' (did you mean '%s'?)",
                  a->name, ev->decl->name, sug);
    return diag(c, a->name_span, "unknown name '%s' in event '%s'", a->name, ev->decl->name);
  }
  if (k == SYN_SYM_LET || k == SYN_SYM_OUTPUT) {
    syn_status s = diag(c, a->name_span, "event '%s' assigns '%s', which is %s %s",
                        ev->decl->name, a->name, syn_kind_article(k), syn_kind_noun(k));
    syn_error_hint(c->err, "an event assigns states, parameters and compartments");
    return s;
  }
  *out = (event_assign){.kind = k,
                        .index = (uint32_t)(k == SYN_SYM_STATE ? i : syn_const_index(m, k, i))};
  return SYN_OK;
}

static syn_status event_assigns(rctx *c, model_event *ev) {
  syn_model *m = c->m;
  const ast_decl *decl = ev->decl;
  ev->assigns = arena_array(c, decl->nassigns, sizeof *ev->assigns);
  if (ev->assigns == NULL) return oom(c);
  for (size_t a = 0; a < decl->nassigns; a++) {
    event_assign *ea = &ev->assigns[a];
    syn_status s = event_target(c, ev, &decl->assigns[a], ea);
    if (s != SYN_OK) return s;
    for (size_t b = 0; b < a; b++)
      if (ev->assigns[b].kind == ea->kind && ev->assigns[b].index == ea->index)
        return diag(c, decl->assigns[a].name_span, "'%s' is assigned twice in event '%s'",
                    decl->assigns[a].name, decl->name);
    if ((s = check_expr(c, decl->assigns[a].value, DAG_NONE, 0)) != SYN_OK) return s;
    if ((ea->node = build_expr(c, decl->assigns[a].value)) == DAG_NONE) return oom(c);
    m->events_set_consts |= ea->kind != SYN_SYM_STATE;
  }
  ev->nassigns = decl->nassigns;
  if (ev->nassigns > m->max_assigns) m->max_assigns = ev->nassigns;
  return SYN_OK;
}

/* The event's name: unique among the model's names and events. */
static syn_status event_name(rctx *c, const ast_decl *decl, int j, const char **out) {
  syn_model *m = c->m;
  const char *name = decl->name;
  syn_status s = bad_declared_name(c, decl, "event");
  if (s != SYN_OK) return s;
  if (j >= 0) {
    size_t len = strlen(m->joints[j]) + strlen(decl->name) + 2;
    char *q = syn_arena_alloc(m->arena, len);
    if (q == NULL) return oom(c);
    snprintf(q, len, "%s.%s", m->joints[j], decl->name);
    name = q;
  }
  const name_entry *sym = syn_names_get(&m->names, name);
  const name_entry *base = syn_names_get(&m->pj_names, name);
  if (sym != NULL || base != NULL)
    return already_declared(c, decl->name_span, name,
                            sym ? m->info[sym->kind][sym->index].decl->name_span
                                : m->pj[base->index].decl->name_span);
  int rc = syn_names_put(&c->event_names, name, SYN_SYM_PARAM, (uint32_t)m->nevents);
  if (rc < 0) return oom(c);
  if (rc > 0)
    return already_declared(c, decl->name_span, name,
                            m->events[syn_names_get(&c->event_names, name)->index].decl->name_span);
  *out = name;
  return SYN_OK;
}

static syn_status event_expr(rctx *c, const ast_expr *e, uint32_t *node) {
  if (e == NULL) {
    *node = syn_dag_const(&c->m->dag, 0.0);
    return *node == DAG_NONE ? oom(c) : SYN_OK;
  }
  syn_status s = check_expr(c, e, DAG_NONE, 0);
  if (s != SYN_OK) return s;
  *node = build_expr(c, e);
  return *node == DAG_NONE ? oom(c) : SYN_OK;
}

/* One event in context j (-1 systemic, else joint j's copy). */
static syn_status add_event(rctx *c, const ast_decl *decl, int j) {
  syn_model *m = c->m;
  model_event *ev = &m->events[m->nevents];
  *ev = (model_event){.decl = decl, .joint = j, .flags = decl->event_flags,
                      .has_priority = decl->priority != NULL, .val0 = m->nvals};
  c->joint = j;
  syn_status s = event_name(c, decl, j, &ev->name);
  if (s == SYN_OK) s = check_expr(c, decl->value, DAG_NONE, 0);
  if (s == SYN_OK && !is_condition(decl->value)) {
    s = diag(c, decl->value->span, "the condition of event '%s' is not a comparison", decl->name);
    syn_error_hint(c->err, "write a comparison such as 'X < 1' or 't >= 5 d', possibly joined "
                           "with &&, || and !");
  }
  ev->cop0 = m->ncond_ops;
  if (s == SYN_OK) s = add_roots(c, decl->value);
  ev->ncop = m->ncond_ops - ev->cop0;
  if (s == SYN_OK) s = event_expr(c, decl->delay, &ev->delay);
  if (s == SYN_OK) s = event_expr(c, decl->priority, &ev->priority);
  if (s == SYN_OK) s = event_assigns(c, ev);
  c->joint = -1;
  if (s != SYN_OK) return s;
  m->nvals += 2 + ev->nassigns;
  m->nevents++;
  return SYN_OK;
}

/* Events in file order; one inside `per joint` once per joint. */
static syn_status resolve_events(rctx *c) {
  syn_model *m = c->m;
  const syn_program *p = m->prog;
  size_t n = 0;
  for (size_t f = 0; f < p->nfiles; f++)
    for (size_t d = 0; d < p->files[f].ndecls; d++) {
      const ast_decl *decl = &p->files[f].decls[d];
      if (decl->kind == DECL_EVENT) n += decl->per_joint ? m->njoints : 1;
    }
  m->events = arena_array(c, n, sizeof *m->events);
  if (m->events == NULL) return oom(c);
  for (size_t f = 0; f < p->nfiles; f++)
    for (size_t d = 0; d < p->files[f].ndecls; d++) {
      const ast_decl *decl = &p->files[f].decls[d];
      if (decl->kind != DECL_EVENT) continue;
      for (int j = ctx_first(decl); j < ctx_end(c, decl); j++) {
        syn_status s = add_event(c, decl, j);
        if (s != SYN_OK) return s;
      }
    }
  return SYN_OK;
}

/* A preset value with a unit is converted to the declared unit of what it
 * sets (`V = 500 mL` on a volume in L is 0.5), as --set and a scenario's set
 * are (syn_unit_convert); another dimension is refused, located. Needs the
 * derived units; a value whose unit the algebra cannot hold ("?") is taken
 * as it is. */
static syn_status convert_presets(rctx *c) {
  syn_model *m = c->m;
  c->joint = -1;
  for (size_t p = 0; p < m->npresets; p++)
    for (size_t i = 0; i < m->presets[p].nassigns; i++) {
      preset_assign *pa = &m->presets[p].assigns[i];
      ualg u = units_of(c, pa->assign->value);
      char unit[256];
      u_render(&u, unit, sizeof unit);
      pa->factor = 1;
      if (u.unknown || unit[0] == 0) continue;
      syn_error e;
      if (syn_unit_convert(pa->name, 1.0, unit, syn_model_setting_units(m, pa->name), &pa->factor,
                           &e) != SYN_OK)
        return diag(c, pa->assign->value->span, "in preset '%s': %s", m->presets[p].name,
                    e.message);
    }
  return SYN_OK;
}

/* Each state's absolute tolerance (syn_symbol.atol): the `atol` it declares,
 * converted to its unit as a preset value is (another dimension refused,
 * located); else the default for a state counted in cells. Needs the derived
 * units. */
static syn_status state_tolerances(rctx *c) {
  syn_model *m = c->m;
  c->joint = -1;
  for (size_t i = 0; i < m->nsym[SYN_SYM_STATE]; i++) {
    syn_symbol *sym = &m->sym[SYN_SYM_STATE][i];
    const ast_expr *a = m->info[SYN_SYM_STATE][i].decl->atol;
    if (a == NULL) {
      if (strcmp(sym->units, "cells") == 0) sym->atol = SYN_CELLS_ATOL;
      continue;
    }
    sym->atol = a->u.num.value;
    if (a->u.num.unit == NULL) continue;
    ualg u = units_of(c, a);
    char unit[256];
    u_render(&u, unit, sizeof unit);
    syn_error e;
    if (unit[0] != 0 && syn_unit_convert(sym->name, a->u.num.value, unit, sym->units, &sym->atol,
                                         &e) != SYN_OK)
      return diag(c, a->span, "atol of state '%s': %s", sym->name, e.message);
  }
  return SYN_OK;
}

/* --- driver ------------------------------------------------------------------ */

static const char *root_title(const syn_program *p) {
  const ast_file *root = &p->files[p->nfiles - 1];
  for (size_t d = 0; d < root->ndecls; d++)
    if (root->decls[d].kind == DECL_MODEL && root->decls[d].text) return root->decls[d].text;
  return "";
}

/* A file of only comments and blank lines is valid syntax but no model (it
 * passed `check` and then `run` found no states); refused as an empty file
 * is. A file with declarations but no states is a library for import. */
static syn_status check_nonempty_files(rctx *c) {
  const syn_program *p = c->m->prog;
  for (size_t f = 0; f < p->nfiles; f++) {
    if (p->files[f].ndecls > 0) continue;
    syn_span at = {p->files[f].file, 0, 0};
    syn_status s = diag(c, at, "the file declares nothing: only comments and blank lines");
    if (f + 1 < p->nfiles)
      syn_error_hint(c->err, "an imported file declares parameters, states or lets; remove the "
                             "import or fill the file");
    else
      syn_error_hint(c->err, "a model needs at least one state and its equation, e.g. "
                             "'state X = 1' and 'd/dt X = -0.1 * X'");
    return s;
  }
  return SYN_OK;
}

static syn_status resolve_passes(rctx *c) {
  syn_status s = check_nonempty_files(c);
  if (s == SYN_OK) s = resolve_clock(c);
  if (s == SYN_OK) s = declare_all(c);
  if (s != SYN_OK) return s;
  if (index_aggregates(&c->agg, c->m->prog) != 0) return oom(c);
  size_t total = gid_count(c);
  c->refs = syn_calloc(total, sizeof *c->refs);
  c->nrefs = syn_calloc(total, sizeof *c->nrefs);
  c->caprefs = syn_calloc(total, sizeof *c->caprefs);
  c->units = syn_calloc(total, sizeof *c->units);
  c->order = syn_calloc(total, sizeof *c->order);
  if (!c->refs || !c->nrefs || !c->caprefs || !c->units || !c->order) return oom(c);
  c->joint = -1;
  s = check_compartments(c);
  if (s == SYN_OK) s = check_ddts(c);
  if (s == SYN_OK) s = check_expressions(c);
  if (s == SYN_OK) s = order_definitions(c, 0);
  if (s == SYN_OK) s = build_all(c);
  if (s == SYN_OK) s = resolve_routes(c);
  if (s == SYN_OK) s = resolve_presets(c);
  if (s == SYN_OK) s = resolve_events(c);
  if (s == SYN_OK) s = order_definitions(c, 1);
  if (s == SYN_OK) s = derive_units(c);
  if (s == SYN_OK) s = convert_presets(c);
  if (s == SYN_OK) s = state_tolerances(c);
  return s;
}

syn_status syn_model_resolve(syn_model *m, syn_error *err) {
  rctx c = {.m = m, .src = m->prog->sources, .err = err, .joint = -1};
  m->title = root_title(m->prog);
  syn_status s = resolve_passes(&c);
  if (c.refs)
    for (size_t i = 0; i < gid_count(&c); i++) syn_free(c.refs[i]);
  agg_memo_free(&c.agg);
  syn_names_free(&c.route_names);
  syn_names_free(&c.preset_names);
  syn_names_free(&c.event_names);
  syn_free(c.refs);
  syn_free(c.nrefs);
  syn_free(c.caprefs);
  syn_free(c.units);
  syn_free(c.order);
  syn_free(c.declared);
  return s;
}
