/* synovia — data tables of fit files (fit layer; see fit_impl.h).
 *
 * A table is CSV or TSV (a tab in the header line makes it TSV), UTF-8 with
 * or without a byte-order mark, LF or CRLF line ends. Lines whose first
 * non-blank character is '#' and blank lines are skipped. The first other
 * line is the header: column names (PEtab's measurement-table names are
 * accepted too), `time` and `value` optionally with a unit in parentheses or
 * brackets. A CSV field may be quoted ("…", with "" for a quote). The rows
 * are checked for shape here and resolved against the scenario by fit.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "fit_impl.h"
#include "lang/source.h"
#include "lang/suggest.h"

/* Accepted column names: ours, then PEtab's. */
static const struct {
  const char *name;
  fit_col col;
} column_names[] = {
    {"arm", FIT_COL_ARM},       {"time", FIT_COL_TIME},       {"observable", FIT_COL_OBS},
    {"value", FIT_COL_VALUE},   {"sd", FIT_COL_SD},           {"se", FIT_COL_SE},
    {"n", FIT_COL_N},           {"source", FIT_COL_SOURCE},   {"simulationConditionId", FIT_COL_ARM},
    {"observableId", FIT_COL_OBS}, {"measurement", FIT_COL_VALUE},
};
enum { NCOLUMN_NAMES = sizeof column_names / sizeof *column_names };
/* PEtab measurement-table columns synovia does not read, and what to do. */
static const struct {
  const char *name, *hint;
} petab_columns[] = {
    {"noiseParameters", "give the sd in an 'sd' (or 'se') column and write the observable's "
                        "noise as sd = data (docs/fitting.md)"},
    {"observableParameters", "estimate the observable's parameters by name in the fit file"},
    {"preequilibrationConditionId", "the scenario's `baseline steady` starts each arm at its "
                                    "steady state"},
    {"datasetId", "drop the column, or keep what it says in 'source'"},
    {"replicateId", "drop the column, or keep what it says in 'source'"},
};

static const char column_list[] =
    "columns: arm, time, observable, value, sd or se (or sd with n), source "
    "(PEtab's simulationConditionId, observableId, measurement are accepted)";

typedef struct reader {
  syn_fit_ast *ast;
  const syn_srcset *src;
  uint32_t file;
  const char *text;
  size_t len;
  char sep;
  syn_error *err;
  fit_table *t;
  int line;
} reader;

static syn_status diag(reader *r, syn_span at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static syn_status diag(reader *r, syn_span at, const char *fmt, ...) {
  char msg[SYN_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return syn_diag(r->err, r->src, at, SYN_EINPUT, "%s", msg);
}

static syn_status oom(reader *r) { return syn_error_set(r->err, SYN_ENOMEM, "out of memory"); }

static int blank(char c) { return c == ' ' || c == '\t'; }

enum { SPLIT_OOM = -1, SPLIT_OPEN_QUOTE = -2, SPLIT_AFTER_QUOTE = -3 };

/* A quoted field starting at *i (the quote): its text with "" as one quote,
 * *i moved past the closing quote and the blanks after it. NULL with *why
 * set when out of memory, the quote is not closed on its line, or other text
 * follows it in the field. */
static char *quoted_field(reader *r, size_t *i, size_t e, long *why) {
  char *val = syn_arena_alloc(r->ast->arena, e - *i + 1);
  size_t n = 0, k = *i + 1;
  if (val == NULL) {
    *why = SPLIT_OOM;
    return NULL;
  }
  for (;;) {
    if (k >= e) {
      *why = SPLIT_OPEN_QUOTE;
      return NULL;
    }
    if (r->text[k] == '"' && k + 1 < e && r->text[k + 1] == '"') {
      val[n++] = '"';
      k += 2;
    } else if (r->text[k] == '"') {
      k++;
      break;
    } else {
      val[n++] = r->text[k++];
    }
  }
  while (k < e && blank(r->text[k]) && r->text[k] != r->sep) k++;
  *i = k;
  if (k < e && r->text[k] != r->sep) {
    *why = SPLIT_AFTER_QUOTE;
    return NULL;
  }
  return val;
}

/* The cells of line [b, e): split at the separator, quotes removed, blanks
 * around a field trimmed. Returns the count, or a SPLIT_ code (the offset of
 * the bad quote in *bad). */
static long split(reader *r, size_t b, size_t e, fit_cell **cells, size_t *cap, size_t *bad) {
  long n = 0;
  size_t i = b;
  for (;;) {
    while (i < e && blank(r->text[i]) && r->text[i] != r->sep) i++;
    size_t start = i;
    char *val;
    if (i < e && r->text[i] == '"') {
      long why = 0;
      *bad = start;
      if ((val = quoted_field(r, &i, e, &why)) == NULL) return why;
    } else {
      while (i < e && r->text[i] != r->sep) i++;
      size_t end = i;
      while (end > start && blank(r->text[end - 1])) end--;
      if ((val = syn_arena_strndup(r->ast->arena, r->text + start, end - start)) == NULL)
        return SPLIT_OOM;
    }
    size_t end = i;
    while (end > start && blank(r->text[end - 1])) end--;
    if (syn_arena_grow(r->ast->arena, (void **)cells, cap, (size_t)n + 1, sizeof **cells))
      return SPLIT_OOM;
    (*cells)[n++] = (fit_cell){val, {r->file, (uint32_t)start, (uint32_t)(end - start)}};
    if (i >= e) return n;
    i++; /* the separator */
  }
}

/* "time (d)" / "time [d]": the name and the unit (NULL if none). */
static void name_and_unit(reader *r, const char *text, const char **name, const char **unit) {
  const char *open = strpbrk(text, "([");
  *unit = NULL;
  *name = text;
  if (open == NULL) return;
  char close = *open == '(' ? ')' : ']';
  const char *end = strchr(open, close);
  size_t n = (size_t)(open - text);
  while (n > 0 && blank(text[n - 1])) n--;
  *name = syn_arena_strndup(r->ast->arena, text, n);
  const char *u = open + 1;
  while (blank(*u)) u++;
  size_t ulen = end ? (size_t)(end - u) : strlen(u);
  while (ulen > 0 && blank(u[ulen - 1])) ulen--;
  *unit = syn_arena_strndup(r->ast->arena, u, ulen);
}

static syn_status read_header(reader *r, fit_cell *cells, size_t n, syn_span line, int **map) {
  fit_table *t = r->t;
  *map = syn_arena_alloc(r->ast->arena, n * sizeof **map);
  if (*map == NULL) return oom(r);
  for (size_t i = 0; i < n; i++) {
    const char *name, *unit;
    name_and_unit(r, cells[i].text, &name, &unit);
    if (name == NULL || (unit == NULL && strpbrk(cells[i].text, "([") != NULL)) return oom(r);
    if (name[0] == 0) {
      diag(r, cells[i].span, "column %zu has no name", i + 1);
      syn_error_hint(r->err, "%s", column_list);
      return SYN_EINPUT;
    }
    int col = -1;
    for (size_t k = 0; k < NCOLUMN_NAMES && col < 0; k++)
      if (strcmp(name, column_names[k].name) == 0) col = (int)column_names[k].col;
    for (size_t k = 0; col < 0 && k < sizeof petab_columns / sizeof *petab_columns; k++)
      if (strcmp(name, petab_columns[k].name) == 0) {
        diag(r, cells[i].span, "PEtab's column '%s' is not read by synovia", name);
        syn_error_hint(r->err, "%s", petab_columns[k].hint);
        return SYN_EINPUT;
      }
    if (col < 0) {
      const char *names[NCOLUMN_NAMES];
      for (size_t k = 0; k < NCOLUMN_NAMES; k++) names[k] = column_names[k].name;
      const char *near = syn_suggest(name, strlen(name), names, NCOLUMN_NAMES);
      if (near) return diag(r, cells[i].span, "unknown column '%s' (did you mean '%s'?)", name, near);
      diag(r, cells[i].span, "unknown column '%s'", name);
      syn_error_hint(r->err, "%s", column_list);
      return SYN_EINPUT;
    }
    if (t->header[col].text != NULL)
      return diag(r, cells[i].span, "'%s' repeats the column '%s'", name, t->header[col].text);
    if (unit != NULL && col != FIT_COL_TIME && col != FIT_COL_VALUE) {
      diag(r, cells[i].span, "a unit on the column '%s'", name);
      syn_error_hint(r->err, "units go on time and value (an sd or se is in the value's unit)");
      return SYN_EINPUT;
    }
    if (unit != NULL && unit[0] == 0) return diag(r, cells[i].span, "the unit in '%s' is empty", cells[i].text);
    if (col == FIT_COL_TIME) t->time_unit = unit;
    if (col == FIT_COL_VALUE) t->value_unit = unit;
    t->header[col] = (fit_cell){name, cells[i].span};
    (*map)[i] = col;
  }
  static const fit_col required[] = {FIT_COL_ARM, FIT_COL_TIME, FIT_COL_OBS, FIT_COL_VALUE};
  for (size_t k = 0; k < sizeof required / sizeof *required; k++)
    if (t->header[required[k]].text == NULL) {
      diag(r, line, "the table has no '%s' column", column_names[required[k]].name);
      syn_error_hint(r->err, "%s", column_list);
      return SYN_EINPUT;
    }
  if (t->header[FIT_COL_N].text != NULL && t->header[FIT_COL_SD].text == NULL) {
    diag(r, t->header[FIT_COL_N].span, "an 'n' column without an 'sd' column");
    syn_error_hint(r->err, "n is the number of subjects an sd is over (the mean's sd is "
                           "sd / sqrt(n)): add the sd column, or give se instead");
    return SYN_EINPUT;
  }
  if (t->header[FIT_COL_SD].text != NULL && t->header[FIT_COL_SE].text != NULL) {
    diag(r, t->header[FIT_COL_SE].span, "both an 'sd' and an 'se' column");
    syn_error_hint(r->err, "give one: the sd of the values (with n for means), or their se");
    return SYN_EINPUT;
  }
  return SYN_OK;
}

static syn_status add_row(reader *r, fit_cell *cells, size_t n, const int *map, size_t ncols,
                          syn_span line, size_t *cap) {
  fit_table *t = r->t;
  if (n != ncols)
    return diag(r, line, "this row has %zu field%s, the header %zu", n, n == 1 ? "" : "s", ncols);
  if (syn_arena_grow(r->ast->arena, (void **)&t->rows, cap, t->nrows + 1, sizeof *t->rows))
    return oom(r);
  fit_row *row = &t->rows[t->nrows++];
  memset(row, 0, sizeof *row);
  row->file = t->path;
  row->line = r->line;
  for (size_t i = 0; i < n; i++) row->cell[map[i]] = cells[i];
  return SYN_OK;
}

static syn_status read_lines(reader *r) {
  fit_cell *cells = NULL;
  size_t cells_cap = 0, rows_cap = 0, ncols = 0;
  int *map = NULL, have_header = 0;
  syn_status st = SYN_OK;
  for (size_t b = 0; b < r->len && st == SYN_OK;) {
    size_t e = b;
    while (e < r->len && r->text[e] != '\n') e++;
    size_t next = e + 1;
    r->line++;
    if (e > b && r->text[e - 1] == '\r') e--;
    size_t f = b;
    while (f < e && (blank(r->text[f]))) f++;
    if (f == e || r->text[f] == '#') {
      b = next;
      continue;
    }
    syn_span line = {r->file, (uint32_t)b, (uint32_t)(e - b)};
    if (!have_header) r->sep = memchr(r->text + b, '\t', e - b) ? '\t' : ',';
    size_t bad = 0;
    long n = split(r, b, e, &cells, &cells_cap, &bad);
    if (n == SPLIT_OOM) return oom(r);
    if (n == SPLIT_OPEN_QUOTE)
      return diag(r, (syn_span){r->file, (uint32_t)bad, 1}, "a quote that is not closed on its line");
    if (n == SPLIT_AFTER_QUOTE) {
      diag(r, (syn_span){r->file, (uint32_t)bad, 1}, "text after the closing quote of a field");
      syn_error_hint(r->err, "put the whole field in the quotes (\"Smith, 2020 (ITT)\")");
      return SYN_EINPUT;
    }
    if (!have_header) {
      st = read_header(r, cells, (size_t)n, line, &map);
      ncols = (size_t)n;
      have_header = 1;
      cells = NULL;
      cells_cap = 0;
    } else {
      st = add_row(r, cells, (size_t)n, map, ncols, line, &rows_cap);
    }
    b = next;
  }
  if (st == SYN_OK && r->t->nrows == 0) {
    diag(r, (syn_span){r->file, 0, 0}, "the table has no data rows");
    syn_error_hint(r->err, "a header line, then one row per measurement: %s", column_list);
    return SYN_EINPUT;
  }
  return st;
}

syn_status fit_table_read(syn_fit_ast *ast, const char *fit_path, const ast_fit_path *at,
                          fit_table *out, syn_error *err) {
  memset(out, 0, sizeof *out);
  char *path = syn_path_resolve(fit_path, at->path);
  if (path == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  out->path = syn_arena_strdup(ast->arena, path);
  uint32_t index = 0;
  struct stat sb;
  if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0) {
    syn_free(path);
    syn_diag(err, ast->sources, at->span, SYN_EINPUT, "the table \"%s\" is empty", at->path);
    syn_error_hint(err, "a header line, then one row per measurement: %s", column_list);
    return SYN_EINPUT;
  }
  syn_status st = syn_srcset_load_file(ast->sources, path, &at->span, &index, err);
  syn_free(path);
  if (st != SYN_OK) return st;
  if (out->path == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  const syn_source *f = syn_srcset_get(ast->sources, index);
  reader r = {ast, ast->sources, index, f->text, f->len, ',', err, out, 0};
  return read_lines(&r);
}
