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

/* The next line of s wrapped at `width` columns: its length in bytes (cut at
 * the last space that fits when there is one, else after `width`
 * characters); *next gets where the line after it starts. */
static size_t wrap_line(const char *s, int width, const char **next) {
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
  if (space > 0) cut = space;
  *next = s + cut;
  while (**next == ' ') (*next)++;
  return cut;
}

/* Lines of a wrapped heading, and the widest of them. */
static int heading_lines(const char *s, int width, int *widest) {
  const char *next;
  int count = 0;
  *widest = 0;
  for (const char *p = s; *p; p = next, count++) {
    size_t n = wrap_line(p, width, &next);
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
    wrap_line(p, width, &next);
    p = next;
  }
  *len = wrap_line(p, width, &next);
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

/* Every line of a table is equally wide (right-aligned columns are padded
 * even when empty), except that a left-aligned last column is not padded. */
static void put_row(FILE *out, const cli_table *t, const int *width, const char *const *text,
                    const size_t *len) {
  for (int i = 0; i < t->indent; i++) fputc(' ', out);
  for (size_t c = 0; c < t->ncols; c++) {
    if (c > 0) fputs("  ", out);
    put_field(out, text[c] ? text[c] : "", len[c], width[c], t->align[c] == 'r',
              c + 1 == t->ncols);
  }
  fputc('\n', out);
}

void cli_table_print(FILE *out, const cli_table *t) {
  int *width = calloc(t->ncols + 1, sizeof *width);
  const char **text = calloc(t->ncols + 1, sizeof *text);
  size_t *len = calloc(t->ncols + 1, sizeof *len);
  int lines = 1;
  if (width == NULL || text == NULL || len == NULL) goto done;
  for (size_t c = 0; c < t->ncols; c++) {
    int n = heading_lines(t->head[c], t->wrap, &width[c]);
    if (n > lines) lines = n;
    if (t->align[c] == 'r' && width[c] < t->min_width) width[c] = t->min_width;
    for (size_t r = 0; r < t->nrows; r++) {
      int w = cli_display_width(cell(t, r, c), strlen(cell(t, r, c)));
      if (w > width[c]) width[c] = w;
    }
  }
  for (int line = 0; line < lines; line++) {
    for (size_t c = 0; c < t->ncols; c++) {
      len[c] = 0;
      text[c] = heading_line(t->head[c], t->wrap, lines, line, &len[c]);
    }
    put_row(out, t, width, text, len);
  }
  for (size_t r = 0; r < t->nrows; r++) {
    for (size_t c = 0; c < t->ncols; c++) {
      text[c] = cell(t, r, c);
      len[c] = strlen(text[c]);
    }
    put_row(out, t, width, text, len);
  }
done:
  free(width);
  free(text);
  free(len);
}

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

void cli_cells_addf(cli_cells *c, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  cli_cells_add(c, buf);
}

void cli_cells_free(cli_cells *c) {
  for (size_t i = 0; i < c->n; i++) free(c->cell[i]);
  free(c->cell);
  memset(c, 0, sizeof *c);
}
