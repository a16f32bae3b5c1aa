/* synovia — headings, facts, tables and notes, as text or HTML (see doc.h). */
#include "doc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* FACT_LEAST: a fact's value, heading or note is wrapped only when that leaves
 * it this many columns (a narrower terminal gets long lines instead). */
enum { FACT_KEY_WIDTH = 11, TABLE_MIN_WIDTH = 8, TABLE_WRAP = 24, FACT_LEAST = 30 };

static char *copy_text(const char *s) {
  size_t n = strlen(s);
  char *c = malloc(n + 1);
  if (c) memcpy(c, s, n + 1);
  return c;
}

static cli_block *add_block(cli_doc *d, cli_block_kind kind) {
  if (d->failed) return NULL;
  if (d->n == d->cap) {
    size_t cap = d->cap ? 2 * d->cap : 32;
    cli_block *grown = realloc(d->block, cap * sizeof *grown);
    if (grown == NULL) {
      d->failed = 1;
      return NULL;
    }
    d->block = grown;
    d->cap = cap;
  }
  cli_block *b = &d->block[d->n++];
  memset(b, 0, sizeof *b);
  b->kind = kind;
  return b;
}

static void add_text(cli_doc *d, cli_block_kind kind, const char *text, const char *value) {
  cli_block *b = add_block(d, kind);
  if (b == NULL) return;
  b->text = copy_text(text);
  b->value = value ? copy_text(value) : NULL;
  if (b->text == NULL || (value && b->value == NULL)) d->failed = 1;
}

/* A block whose text is printf'd: no fixed buffer, nothing cut. */
static void add_textv(cli_doc *d, cli_block_kind kind, const char *key, const char *fmt,
                      va_list ap) {
  char *text = cli_vformat(fmt, ap);
  if (text == NULL) d->failed = 1;
  else add_text(d, kind, key ? key : text, key ? text : NULL);
  free(text);
}

void cli_doc_heading(cli_doc *d, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  add_textv(d, CLI_HEADING, NULL, fmt, ap);
  va_end(ap);
}

void cli_doc_fact(cli_doc *d, const char *key, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  add_textv(d, CLI_FACT, key, fmt, ap);
  va_end(ap);
}

void cli_doc_note(cli_doc *d, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  add_textv(d, CLI_NOTE, NULL, fmt, ap);
  va_end(ap);
}

void cli_doc_fact_verbatim(cli_doc *d, const char *key, const char *value) {
  add_text(d, CLI_FACT, key, value);
  if (!d->failed) d->block[d->n - 1].verbatim = 1;
}

void cli_doc_fact_list(cli_doc *d, const char *key, const char *const *items, size_t n,
                       const char *quote, const char *tail) {
  size_t size = strlen(tail) + 1, used = 0;
  for (size_t i = 0; i < n; i++) size += strlen(items[i]) + 2 * strlen(quote) + 2;
  char *text = malloc(size);
  if (text == NULL) {
    d->failed = 1;
    return;
  }
  for (size_t i = 0; i < n; i++)
    used += (size_t)snprintf(text + used, size - used, "%s%s%s%s", i ? ", " : "", quote,
                             items[i], quote);
  snprintf(text + used, size - used, "%s", tail);
  add_text(d, CLI_FACT, key, text);
  free(text);
}

void cli_doc_table_begin(cli_doc *d, const char *align) {
  cli_cells_free(&d->pending);
  free(d->pending_align);
  d->pending_align = copy_text(align);
  d->pending_cols = d->pending_align ? strlen(align) : 0;
  if (d->pending_align == NULL) d->failed = 1;
}

void cli_doc_table_begin_wide(cli_doc *d, const char *lead, size_t nright) {
  size_t n = strlen(lead);
  char *align = malloc(n + nright + 1);
  if (align == NULL) {
    d->failed = 1;
    cli_doc_table_begin(d, "");
    return;
  }
  memcpy(align, lead, n);
  memset(align + n, 'r', nright);
  align[n + nright] = 0;
  cli_doc_table_begin(d, align);
  free(align);
}

void cli_doc_cell(cli_doc *d, const char *text) {
  cli_cells_add(&d->pending, text);
  if (d->pending.failed) d->failed = 1;
}

void cli_doc_cellf(cli_doc *d, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *text = cli_vformat(fmt, ap);
  va_end(ap);
  if (text == NULL) d->failed = 1;
  else cli_doc_cell(d, text);
  free(text);
}

void cli_doc_value(cli_doc *d, double v) {
  char buf[64];
  cli_format_value(v, 0, buf, sizeof buf);
  cli_doc_cell(d, buf);
}

/* The block takes the pending cells and alignment; a table without columns
 * or whose cells do not fill its rows (an allocation failed) is dropped. */
void cli_doc_table_end(cli_doc *d) {
  size_t ncols = d->pending_cols;
  int whole = ncols && d->pending.n >= ncols && d->pending.n % ncols == 0;
  cli_block *b = whole ? add_block(d, CLI_TABLE) : NULL;
  if (b == NULL) {
    if (ncols && !whole) d->failed = 1;
    cli_cells_free(&d->pending);
    return;
  }
  b->owned = d->pending;
  memset(&d->pending, 0, sizeof d->pending);
  b->value = d->pending_align;
  d->pending_align = NULL;
  d->pending_cols = 0;
  b->table.ncols = ncols;
  b->table.nrows = b->owned.n / ncols - 1;
  b->table.head = (const char *const *)b->owned.cell;
  b->table.cells = (const char *const *)b->owned.cell + ncols;
  b->table.align = b->value;
  b->table.min_width = TABLE_MIN_WIDTH;
  b->table.wrap = TABLE_WRAP;
  b->table.indent = 2;
}

void cli_doc_free(cli_doc *d) {
  for (size_t i = 0; i < d->n; i++) {
    free(d->block[i].text);
    free(d->block[i].value);
    cli_cells_free(&d->block[i].owned);
  }
  free(d->block);
  cli_cells_free(&d->pending);
  free(d->pending_align);
  memset(d, 0, sizeof *d);
}

/* ---- text -------------------------------------------------------------------------- */

/* A fact: its key padded, its value wrapped to the width with a hanging
 * indent, so a long command line or list of files stays readable. */
static void print_fact(FILE *out, const cli_block *b, int width) {
  int pad = FACT_KEY_WIDTH - cli_display_width(b->text, strlen(b->text));
  int at = 2 + (pad > 0 ? FACT_KEY_WIDTH : cli_display_width(b->text, strlen(b->text))) + 1;
  int room = width > 0 && width - at >= FACT_LEAST && !b->verbatim ? width - at : 0;
  const char *p = b->value, *next;
  fprintf(out, "  %s%*s ", b->text, pad > 0 ? pad : 0, "");
  do {
    size_t n = cli_wrap_line(p, room, &next);
    if (p != b->value) fprintf(out, "%*s", at, "");
    fprintf(out, "%.*s\n", (int)n, p);
    p = next;
  } while (*p);
}

/* Headings and notes wrapped to the width (a heading's lines flush left, a
 * note's indented). */
static void print_wrapped(FILE *out, const char *text, int indent, int width) {
  const char *p = text, *next;
  int room = width > 0 && width - indent >= FACT_LEAST ? width - indent : 0;
  do {
    size_t n = cli_wrap_line(p, room, &next);
    fprintf(out, "%*s%.*s\n", indent, "", (int)n, p);
    p = next;
  } while (*p);
}

void cli_doc_print_text_width(FILE *out, const cli_doc *d, int width) {
  for (size_t i = 0; i < d->n; i++) {
    const cli_block *b = &d->block[i];
    switch (b->kind) {
    case CLI_HEADING:
      if (i) fputc('\n', out);
      print_wrapped(out, b->text, 0, width);
      break;
    case CLI_FACT:
      print_fact(out, b, width);
      break;
    case CLI_TABLE:
      cli_table_print_width(out, &b->table, width);
      break;
    case CLI_NOTE:
      print_wrapped(out, b->text, 2, width);
      break;
    }
  }
}

void cli_doc_print_text(FILE *out, const cli_doc *d) { cli_doc_print_text_width(out, d, 0); }

/* ---- HTML -------------------------------------------------------------------------- */

void cli_html_escape(FILE *out, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '&': fputs("&amp;", out); break;
    case '<': fputs("&lt;", out); break;
    case '>': fputs("&gt;", out); break;
    case '"': fputs("&quot;", out); break;
    default: fputc(*s, out);
    }
  }
}

/* In a scrolling box: a table of many arms scrolls instead of widening the page. */
static void html_table(FILE *out, const cli_table *t) {
  fputs("<div class=\"scroll\"><table>\n<thead><tr>", out);
  for (size_t c = 0; c < t->ncols; c++) {
    fputs(t->align[c] == 'r' ? "<th class=\"num\">" : "<th>", out);
    cli_html_escape(out, t->head[c]);
    fputs("</th>", out);
  }
  fputs("</tr></thead>\n<tbody>\n", out);
  for (size_t r = 0; r < t->nrows; r++) {
    fputs("<tr>", out);
    for (size_t c = 0; c < t->ncols; c++) {
      const char *s = t->cells[r * t->ncols + c];
      fputs(t->align[c] == 'r' ? "<td class=\"num\">" : "<td>", out);
      cli_html_escape(out, s ? s : "");
      fputs("</td>", out);
    }
    fputs("</tr>\n", out);
  }
  fputs("</tbody>\n</table></div>\n", out);
}

void cli_doc_print_html(FILE *out, const cli_doc *d) {
  int in_facts = 0;
  for (size_t i = 0; i < d->n; i++) {
    const cli_block *b = &d->block[i];
    if (in_facts && b->kind != CLI_FACT) {
      fputs("</dl>\n", out);
      in_facts = 0;
    }
    switch (b->kind) {
    case CLI_HEADING:
      fputs("<h2>", out);
      cli_html_escape(out, b->text);
      fputs("</h2>\n", out);
      break;
    case CLI_FACT:
      if (!in_facts) fputs("<dl class=\"facts\">\n", out);
      in_facts = 1;
      fputs("<dt>", out);
      cli_html_escape(out, b->text);
      fputs("</dt><dd>", out);
      cli_html_escape(out, b->value);
      fputs("</dd>\n", out);
      break;
    case CLI_TABLE:
      html_table(out, &b->table);
      break;
    case CLI_NOTE:
      fputs("<p class=\"note\">", out);
      cli_html_escape(out, b->text);
      fputs("</p>\n", out);
      break;
    }
  }
  if (in_facts) fputs("</dl>\n", out);
}
