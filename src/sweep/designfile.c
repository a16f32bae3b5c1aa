/* synovia — `design file "x.csv"`: a design given as a table (sweep layer).
 *
 * The file is CSV as spreadsheets and pandas write it: a header line naming
 * one parameter per column, then one line of numbers per sample, in model
 * clock units. Blank lines and lines starting with '#' are skipped; fields
 * may be quoted ("k_fast") and padded with spaces; a UTF-8 byte-order mark
 * at the start is skipped. Numbers are decimal (synovia/number.h: no hex,
 * inf or nan). Errors name file:line. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "lang/source.h"
#include "synovia/number.h"
#include "sweep_internal.h"

enum { MAX_COLUMNS = 1000 };
#define UTF8_BOM "\xEF\xBB\xBF"

typedef struct reader {
  sweep_table *t;
  syn_error *err;
  const char *p;   /* current position in t->text */
  size_t line;     /* 1-based line of p */
  size_t cap;      /* capacity of t->v in values */
} reader;

static syn_status fail(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static syn_status fail(reader *r, const char *fmt, ...) {
  char msg[SYN_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return syn_error_set(r->err, SYN_EINPUT, "%s:%zu: %s", r->t->path, r->line, msg);
}

/* The next line that is neither blank nor a comment: [*b, *e); 0 at the end. */
static int next_line(reader *r, const char **b, const char **e) {
  while (*r->p) {
    const char *s = r->p, *end = strchr(s, '\n');
    if (end == NULL) end = s + strlen(s);
    r->p = *end ? end + 1 : end;
    const char *q = s;
    while (q < end && isspace((unsigned char)*q)) q++;
    if (q < end && *q != '#') {
      *b = s;
      *e = end > s && end[-1] == '\r' ? end - 1 : end;
      return 1;
    }
    r->line++;
  }
  return 0;
}

/* One field of [*p, e): trimmed, unquoted, into buf. Advances past the comma. */
static void field(const char **p, const char *e, char *buf, size_t size) {
  const char *s = *p, *c = memchr(s, ',', (size_t)(e - s));
  const char *end = c ? c : e;
  *p = c ? c + 1 : e + 1;
  while (s < end && isspace((unsigned char)*s)) s++;
  while (end > s && isspace((unsigned char)end[-1])) end--;
  if (end - s >= 2 && *s == '"' && end[-1] == '"') {
    s++;
    end--;
  }
  size_t n = (size_t)(end - s) < size - 1 ? (size_t)(end - s) : size - 1;
  memcpy(buf, s, n);
  buf[n] = 0;
}

static size_t count_fields(const char *b, const char *e) {
  size_t n = 1;
  for (const char *q = b; q < e; q++) n += *q == ',';
  return n;
}

static syn_status read_header(reader *r) {
  sweep_table *t = r->t;
  const char *b, *e;
  if (!next_line(r, &b, &e)) return fail(r, "the design file is empty: it needs a header line");
  t->cols = count_fields(b, e);
  if (t->cols > MAX_COLUMNS) return fail(r, "%zu columns: at most %d", t->cols, MAX_COLUMNS);
  t->names = syn_calloc(t->cols, sizeof *t->names);
  if (t->names == NULL) return syn_error_set(r->err, SYN_ENOMEM, "out of memory");
  char buf[256];
  for (size_t j = 0; j < t->cols; j++) {
    field(&b, e, buf, sizeof buf);
    if (buf[0] == 0) return fail(r, "column %zu of the header has no name", j + 1);
    double number = 0;
    if (syn_number_parse(buf, &number))
      return fail(r, "the first line must name the parameters, found the number '%s'", buf);
    for (size_t k = 0; k < j; k++)
      if (strcmp(t->names[k], buf) == 0) return fail(r, "the parameter '%s' is named twice", buf);
    if ((t->names[j] = syn_strdup(buf)) == NULL)
      return syn_error_set(r->err, SYN_ENOMEM, "out of memory");
  }
  t->header_line = r->line;
  r->line++;
  return SYN_OK;
}

static syn_status read_row(reader *r, const char *b, const char *e) {
  sweep_table *t = r->t;
  size_t n = count_fields(b, e);
  if (n != t->cols)
    return fail(r, "%zu values for %zu columns", n, t->cols);
  if (r->cap < (t->rows + 1) * t->cols) {
    size_t cap = r->cap ? 2 * r->cap : 64 * t->cols;
    double *v = syn_realloc(t->v, cap * sizeof *v);
    if (v == NULL) return syn_error_set(r->err, SYN_ENOMEM, "out of memory");
    t->v = v;
    r->cap = cap;
  }
  char buf[128];
  for (size_t j = 0; j < t->cols; j++) {
    field(&b, e, buf, sizeof buf);
    double x = 0;
    if (!syn_number_parse(buf, &x))
      return fail(r, "column '%s': '%s' is not a finite decimal number", t->names[j], buf);
    t->v[t->rows * t->cols + j] = x;
  }
  t->rows++;
  return SYN_OK;
}

syn_status sweep_table_load(sweep_table *t, const char *path, syn_error *err) {
  *t = (sweep_table){0};
  syn_srcset *src = syn_srcset_create();
  if (src == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  uint32_t id = 0;
  syn_status st = syn_srcset_load_file(src, path, NULL, &id, err);
  if (st == SYN_OK) {
    t->text = syn_strdup(syn_srcset_get(src, id)->text);
    t->path = syn_strdup(path);
    if (t->text == NULL || t->path == NULL) st = syn_error_set(err, SYN_ENOMEM, "out of memory");
  }
  syn_srcset_destroy(src);
  /* a byte-order mark, as spreadsheets on Windows write it, is no text */
  reader r = {t, err, t->text, 1, 0};
  if (st == SYN_OK && strncmp(r.p, UTF8_BOM, sizeof UTF8_BOM - 1) == 0) r.p += sizeof UTF8_BOM - 1;
  if (st == SYN_OK) st = read_header(&r);
  const char *b, *e;
  while (st == SYN_OK && next_line(&r, &b, &e)) {
    st = read_row(&r, b, e);
    r.line++;
  }
  if (st == SYN_OK && t->rows == 0) st = fail(&r, "the design file has a header but no rows");
  if (st != SYN_OK) sweep_table_free(t);
  return st;
}

void sweep_table_free(sweep_table *t) {
  for (size_t j = 0; t->names && j < t->cols; j++) syn_free(t->names[j]);
  syn_free(t->names);
  syn_free(t->v);
  syn_free(t->text);
  syn_free(t->path);
  *t = (sweep_table){0};
}
