/* synovia — SBML import: the id table, unique valid names, numbers and
 * located refusals. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "import_impl.h"

/* Words a name of the model language cannot be: reserved words, the time,
 * the names of functions, and the words of the event syntax (docs/sbml.md). */
static const char *const RESERVED[] = {
    "model", "time", "unit", "import", "compartment", "param", "state", "in", "let",
    "output", "source", "if", "route", "preset", "joints", "joint", "per", "scale", "atol",
    "t", "event", "when", "delay", "priority", "transient", "initially", "values", "at",
    "execution", "exp", "log", "ln", "log10", "sqrt", "abs", "min", "max", "pow", "floor",
    "ceil", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "hill",
    "inhibit", "sum", "mean", "factorial", "d",
};

static int is_reserved(const char *s) {
  for (size_t i = 0; i < sizeof RESERVED / sizeof RESERVED[0]; i++)
    if (strcmp(s, RESERVED[i]) == 0) return 1;
  return 0;
}

static size_t hash(const char *s) {
  size_t h = 1469598103934665603u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
  return h;
}

static int rehash(imp *I) {
  size_t cap = I->table_cap ? I->table_cap * 2 : 256;
  int *t = syn_calloc(cap, sizeof *t);
  if (t == NULL) return -1;
  for (size_t i = 0; i < I->nsym; i++) {
    size_t h = hash(I->sym[i].id) & (cap - 1);
    while (t[h]) h = (h + 1) & (cap - 1);
    t[h] = (int)i + 1;
  }
  syn_free(I->table);
  I->table = t;
  I->table_cap = cap;
  return 0;
}

int imp_find(const imp *I, const char *id) {
  if (I->table_cap == 0 || id == NULL) return -1;
  size_t h = hash(id) & (I->table_cap - 1);
  for (; I->table[h]; h = (h + 1) & (I->table_cap - 1))
    if (strcmp(I->sym[I->table[h] - 1].id, id) == 0) return I->table[h] - 1;
  return -1;
}

/* Local parameters are not in the table (they are scoped to their reaction);
 * everything else is. */
int imp_add(imp *I, const char *id, isym_kind kind, const SBase_t *el) {
  if (syn_grow((void **)&I->sym, &I->capsym, I->nsym + 1, sizeof *I->sym) != 0) return -1;
  isym *s = &I->sym[I->nsym];
  memset(s, 0, sizeof *s);
  s->id = id;
  s->kind = kind;
  s->el = el;
  s->comp = -1;
  I->nsym++;
  if (kind == K_LOCAL) return (int)I->nsym - 1;
  if (2 * I->nsym > I->table_cap && rehash(I) != 0) return -1;
  size_t h = hash(id) & (I->table_cap - 1);
  while (I->table[h]) h = (h + 1) & (I->table_cap - 1);
  I->table[h] = (int)I->nsym;
  return (int)I->nsym - 1;
}

static int name_taken(const imp *I, const char *s) {
  if (is_reserved(s)) return 1;
  for (size_t i = 0; i < I->nnames; i++)
    if (strcmp(I->names[i], s) == 0) return 1;
  return 0;
}

/* SBML ids are names of the language already ([A-Za-z_][A-Za-z0-9_]*); a
 * reserved word or a name given before gets '_' appended until free. */
char *imp_new_name(imp *I, const char *want) {
  syn_strbuf b = SYN_STRBUF_INIT;
  syn_strbuf_append(&b, want);
  while (!b.failed && name_taken(I, syn_strbuf_str(&b))) syn_strbuf_append(&b, "_");
  if (b.failed ||
      syn_grow((void **)&I->names, &I->capnames, I->nnames + 1, sizeof *I->names) != 0) {
    syn_strbuf_free(&b);
    return NULL;
  }
  I->names[I->nnames++] = b.data;
  return b.data;
}

void imp_free_names(imp *I) {
  for (size_t i = 0; i < I->nnames; i++) syn_free(I->names[i]);
  syn_free(I->names);
}

/* The shortest decimal that reads back as v; negatives in parentheses;
 * infinities and NaN as expressions (the language has no literal for them). */
void imp_append_number(syn_strbuf *b, double v) {
  if (isnan(v)) {
    syn_strbuf_append(b, "(0 * exp(1000))");
    return;
  }
  if (isinf(v)) {
    syn_strbuf_append(b, v > 0 ? "exp(1000)" : "(-exp(1000))");
    return;
  }
  char s[40];
  snprintf(s, sizeof s, "%.15g", v);
  if (strtod(s, NULL) != v) snprintf(s, sizeof s, "%.17g", v);
  if (v < 0) {
    syn_strbuf_appendf(b, "(%s)", s);
    return;
  }
  syn_strbuf_append(b, s);
}

/* The text of the error's line, for the caret display (long lines: a
 * window around the column). */
void imp_source_line(const char *path, syn_error *err) {
  FILE *f = err->line > 0 ? fopen(path, "rb") : NULL;
  if (f == NULL) return;
  int line = 1, ch;
  while (line < err->line && (ch = getc(f)) != EOF)
    if (ch == '\n') line++;
  char buf[8192];
  if (line == err->line && fgets(buf, sizeof buf, f)) {
    buf[strcspn(buf, "\r\n")] = '\0';
    size_t start = 0, n = strlen(buf), max = sizeof err->source_line - 1;
    if (err->col > 1 && (size_t)err->col > max / 2 && n > max) start = (size_t)err->col - max / 2;
    if (start > n) start = n;
    size_t k = strlen(buf + start);
    if (k > max) k = max;
    memcpy(err->source_line, buf + start, k);
    err->source_line[k] = '\0';
    err->caret_col = err->col - (int)start;
  }
  fclose(f);
}

syn_status imp_refuse(imp *I, const SBase_t *el, const char *fmt, ...) {
  char msg[SYN_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  syn_error_set(I->err, SYN_EINPUT, "%s", msg);
  if (I->err == NULL) return SYN_EINPUT;
  snprintf(I->err->file, sizeof I->err->file, "%s", I->path);
  I->err->line = el ? (int)SBase_getLine(el) : 0;
  I->err->col = el && I->err->line > 0 ? (int)SBase_getColumn(el) : 0;
  if (I->err->line > 0 && I->err->col < 1) I->err->col = 1;
  I->err->span = 1;
  imp_source_line(I->path, I->err);
  return SYN_EINPUT;
}

syn_status imp_refuse_undefined(imp *I, int s, const SBase_t *where) {
  imp_refuse(I, where, "'%s' is used but has no value (no size or value, no initial "
             "assignment, no rule)", I->sym[s].id);
  return I->err ? I->err->code : SYN_EINPUT;
}
