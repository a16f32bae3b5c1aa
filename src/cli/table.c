/* synovia — aligned text tables (see table.h). */
#include "table.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* A `change` metric (in %) below this is the round-off of a series that did
 * not change (a control arm's -1e-14 %) and is shown as 0; elsewhere a small
 * value may be real, so it is shown as it is. Files keep every digit. */
static const double ROUNDOFF_PERCENT = 1e-7;

int cli_display_width(const char *s, size_t n) {
  int w = 0;
  for (size_t i = 0; i < n; i++) w += ((unsigned char)s[i] & 0xC0) != 0x80;
  return w;
}

void cli_format_value(double v, int is_percent, char *buf, size_t size) {
  if (isnan(v)) snprintf(buf, size, "n/a");
  else if (v == 0 || (is_percent && fabs(v) < ROUNDOFF_PERCENT)) snprintf(buf, size, "0");
  else snprintf(buf, size, "%.6g", v);
}

const char *cli_units_shown(const char *units) {
  return units == NULL || units[0] == 0 || strcmp(units, "1") == 0 ? "dimensionless" : units;
}

size_t cli_wrap_line(const char *s, int width, const char **next) {
  size_t n = strlen(s), cut = 0, space = 0;
  int w = 0;
  if (width <= 0 || cli_display_width(s, n) <= width) {
    *next = s + n;
    return n;
  }
  for (cut = 0; cut < n; cut++) {
    if (((unsigned char)s[cut] & 0xC0) != 0x80 && w++ == width) break;
    if (s[cut] == ' ') space = cut;
  }
  /* a break that falls on a space keeps the whole word before it */
  if (s[cut] != ' ' && space > 0) cut = space;
  *next = s + cut;
  while (**next == ' ') (*next)++;
  while (cut > 0 && s[cut - 1] == ' ') cut--;
  return cut;
}

/* Lines of a wrapped heading, and the widest of them. */
static int heading_lines(const char *s, int width, int *widest) {
  const char *next;
  int count = 0;
  *widest = 0;
  for (const char *p = s; *p; p = next, count++) {
    size_t n = cli_wrap_line(p, width, &next);
    int w = cli_display_width(p, n);
    if (w > *widest) *widest = w;
  }
  return count ? count : 1;
}

/* Line `line` (0 = top) of a heading wrapped into `lines` lines,
 * bottom-aligned: NULL above the text. */
static const char *heading_line(const char *s, int width, int lines, int line, size_t *len) {
  const char *p = s, *next;
  int widest, count = heading_lines(s, width, &widest);
  if (line < lines - count) return NULL;
  for (int i = lines - count; i < line; i++) {
    cli_wrap_line(p, width, &next);
    p = next;
  }
  *len = cli_wrap_line(p, width, &next);
  return p;
}

static void put_field(FILE *out, const char *s, size_t n, int width, int right, int last) {
  int pad = width - cli_display_width(s, n);
  if (right)
    for (; pad > 0; pad--) fputc(' ', out);
  fwrite(s, 1, n, out);
  if (!right && !last)
    for (; pad > 0; pad--) fputc(' ', out);
}

static const char *cell(const cli_table *t, size_t r, size_t c) {
  const char *s = t->cells[r * t->ncols + c];
  return s ? s : "";
}

/* What is printed of a table at once: some of its columns, in order, their
 * widths, and the width each is wrapped at (0: not wrapped). */
typedef struct view {
  const cli_table *t;
  const size_t *col; /* [n] table columns */
  size_t n;
  int *width;        /* [t->ncols] widths (of a wrapped column: its wrap) */
  int *wrap;         /* [t->ncols] 0 or the width the column is wrapped at */
  const char **text; /* [n] scratch: the line of each column */
  const char **rest; /* [n] scratch: what is left of each cell */
  size_t *len;       /* [n] scratch */
} view;

/* Headings of a wrapped column are wrapped at its width too. */
static int heading_wrap(const view *v, size_t c) {
  int w = v->t->wrap;
  if (v->wrap[c] && (w <= 0 || w > v->wrap[c])) w = v->wrap[c];
  return w;
}

/* Every line of a table is equally wide (right-aligned columns are padded
 * even when empty), except that a left-aligned last column is not padded. */
static void put_row(FILE *out, const view *v) {
  for (int i = 0; i < v->t->indent; i++) fputc(' ', out);
  for (size_t i = 0; i < v->n; i++) {
    size_t c = v->col[i];
    if (i > 0) fputs("  ", out);
    put_field(out, v->text[i] ? v->text[i] : "", v->len[i], v->width[c],
              v->t->align[c] == 'r', i + 1 == v->n);
  }
  fputc('\n', out);
}

/* The next line of every column's rest; 0 when every cell is done. */
static int next_line(const view *v) {
  int any = 0;
  for (size_t i = 0; i < v->n; i++) {
    v->text[i] = v->rest[i];
    v->len[i] = cli_wrap_line(v->rest[i], v->wrap[v->col[i]], &v->rest[i]);
    any |= v->len[i] > 0;
  }
  return any;
}

static void print_view(FILE *out, const view *v) {
  const cli_table *t = v->t;
  int lines = 1, widest;
  for (size_t i = 0; i < v->n; i++) {
    int n = heading_lines(t->head[v->col[i]], heading_wrap(v, v->col[i]), &widest);
    if (n > lines) lines = n;
  }
  for (int line = 0; line < lines; line++) {
    for (size_t i = 0; i < v->n; i++) {
      v->len[i] = 0;
      v->text[i] =
          heading_line(t->head[v->col[i]], heading_wrap(v, v->col[i]), lines, line, &v->len[i]);
    }
    put_row(out, v);
  }
  /* a row takes as many lines as its most wrapped cell */
  for (size_t r = 0; r < t->nrows; r++) {
    for (size_t i = 0; i < v->n; i++) v->rest[i] = cell(t, r, v->col[i]);
    next_line(v);
    do put_row(out, v);
    while (next_line(v));
  }
}

/* Columns a view of columns col[0..n) takes, with its indent. */
static int view_width(const cli_table *t, const int *width, const size_t *col, size_t n) {
  int w = t->indent + 2 * (int)(n ? n - 1 : 0);
  for (size_t i = 0; i < n; i++) w += width[col[i]];
  return w;
}

enum { WRAP_LEAST = 24 }; /* a wrapped column keeps at least this many columns */

/* Room left for the last column of the view if it were wrapped to make the
 * view fit; 0 when it cannot (right-aligned, or less than WRAP_LEAST). */
static int last_room(const view *v, int max_width) {
  size_t last = v->col[v->n - 1];
  int total = view_width(v->t, v->width, v->col, v->n);
  int room = max_width - (total - v->width[last]);
  if (max_width <= 0 || total <= max_width) return 0;
  return v->t->align[last] == 'l' && room >= WRAP_LEAST ? room : 0;
}

/* Prints the view, wrapping its last column when that makes it fit. */
static void print_fitted(FILE *out, view *v, int max_width) {
  size_t last = v->col[v->n - 1];
  int room = last_room(v, max_width), keep = v->width[last], kept_wrap = v->wrap[last];
  if (room) v->width[last] = v->wrap[last] = room;
  print_view(out, v);
  v->width[last] = keep;
  v->wrap[last] = kept_wrap;
}

/* Too wide even with a wrapped last column: the columns after the leading
 * left-aligned ones (the row names) in groups that fit, each group printed
 * with the row names again, a blank line between groups. */
static void print_groups(FILE *out, view *v, size_t *col, int max_width) {
  const cli_table *t = v->t;
  size_t nkey = 0;
  while (nkey + 1 < t->ncols && t->align[nkey] == 'l') nkey++;
  if (nkey == 0) nkey = 1;
  for (size_t i = 0; i < nkey; i++) col[i] = i;
  for (size_t first = nkey; first < t->ncols;) {
    size_t n = nkey;
    col[n++] = first++;
    while (first < t->ncols) {
      col[n] = first;
      if (view_width(t, v->width, col, n + 1) > max_width) break;
      n++, first++;
    }
    if (col[nkey] > nkey) fputc('\n', out);
    v->n = n;
    print_fitted(out, v, max_width);
  }
}

/* Widths from the headings and cells; on a limited width a left-aligned
 * column wider than half of it (a very long name) is wrapped at that. */
static void measure(const cli_table *t, int max_width, int *width, int *wrap) {
  int cap = max_width / 2 > WRAP_LEAST ? max_width / 2 : WRAP_LEAST;
  for (size_t c = 0; c < t->ncols; c++) {
    heading_lines(t->head[c], t->wrap, &width[c]);
    if (t->align[c] == 'r' && width[c] < t->min_width) width[c] = t->min_width;
    for (size_t r = 0; r < t->nrows; r++) {
      int w = cli_display_width(cell(t, r, c), strlen(cell(t, r, c)));
      if (w > width[c]) width[c] = w;
    }
    wrap[c] = 0;
    if (max_width > 0 && t->align[c] == 'l' && width[c] > cap) width[c] = wrap[c] = cap;
  }
}

void cli_table_print_width(FILE *out, const cli_table *t, int max_width) {
  size_t n = t->ncols + 1;
  int *width = calloc(n, sizeof *width), *wrap = calloc(n, sizeof *wrap);
  size_t *col = calloc(n, sizeof *col), *len = calloc(n, sizeof *len);
  const char **text = calloc(n, sizeof *text), **rest = calloc(n, sizeof *rest);
  if (!width || !wrap || !col || !len || !text || !rest || t->ncols == 0) goto done;
  measure(t, max_width, width, wrap);
  for (size_t c = 0; c < t->ncols; c++) col[c] = c;
  view v = {t, col, t->ncols, width, wrap, text, rest, len};
  int total = view_width(t, width, col, t->ncols);
  if (max_width <= 0 || total <= max_width || last_room(&v, max_width) || t->ncols == 1)
    print_fitted(out, &v, max_width);
  else
    print_groups(out, &v, col, max_width);
done:
  free(width);
  free(wrap);
  free(col);
  free(len);
  free(text);
  free(rest);
}

void cli_table_print(FILE *out, const cli_table *t) { cli_table_print_width(out, t, 0); }

void cli_cells_add(cli_cells *c, const char *text) {
  if (c->failed) return;
  if (c->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 64;
    char **grown = realloc(c->cell, cap * sizeof *grown);
    if (grown == NULL) {
      c->failed = 1;
      return;
    }
    c->cell = grown;
    c->cap = cap;
  }
  size_t n = strlen(text ? text : "");
  char *copy = malloc(n + 1);
  if (copy == NULL) {
    c->failed = 1;
    return;
  }
  memcpy(copy, text ? text : "", n + 1);
  c->cell[c->n++] = copy;
}

char *cli_vformat(const char *fmt, va_list ap) {
  va_list again;
  va_copy(again, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (s) vsnprintf(s, (size_t)n + 1, fmt, again);
  va_end(again);
  return s;
}

void cli_cells_addf(cli_cells *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *text = cli_vformat(fmt, ap);
  va_end(ap);
  if (text == NULL) c->failed = 1;
  else cli_cells_add(c, text);
  free(text);
}

void cli_cells_free(cli_cells *c) {
  for (size_t i = 0; i < c->n; i++) free(c->cell[i]);
  free(c->cell);
  memset(c, 0, sizeof *c);
}
