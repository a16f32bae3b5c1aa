/* synovia — headings, facts, tables and notes, as text or HTML (see doc.h). */
#include "doc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum { FACT_KEY_WIDTH = 11, TABLE_MIN_WIDTH = 8, TABLE_WRAP = 24 };

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

void cli_doc_heading(cli_doc *d, const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  add_text(d, CLI_HEADING, buf, NULL);
}

void cli_doc_fact(cli_doc *d, const char *key, const char *fmt, ...) {
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  add_text(d, CLI_FACT, key, buf);
}

void cli_doc_note(cli_doc *d, const char *fmt, ...) {
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  add_text(d, CLI_NOTE, buf, NULL);
}

void cli_doc_table_begin(cli_doc *d, const char *align) {
  cli_cells_free(&d->pending);
  d->pending_cols = strlen(align);
  if (d->pending_cols >= sizeof d->pending_align) d->failed = 1;
  snprintf(d->pending_align, sizeof d->pending_align, "%s", align);
}

void cli_doc_cell(cli_doc *d, const char *text) {
  cli_cells_add(&d->pending, text);
  if (d->pending.failed) d->failed = 1;
}

void cli_doc_cellf(cli_doc *d, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  cli_doc_cell(d, buf);
}

void cli_doc_value(cli_doc *d, double v) {
  char buf[64];
  cli_format_value(v, 0, buf, sizeof buf);
  cli_doc_cell(d, buf);
}

void cli_doc_table_end(cli_doc *d) {
  size_t ncols = d->pending_cols;
  cli_block *b = ncols && d->pending.n >= ncols ? add_block(d, CLI_TABLE) : NULL;
  if (b == NULL) {
    cli_cells_free(&d->pending);
    return;
  }
  b->owned = d->pending;
  memset(&d->pending, 0, sizeof d->pending);
  b->value = copy_text(d->pending_align);
  if (b->value == NULL) d->failed = 1;
  b->table.ncols = ncols;
  b->table.nrows = b->owned.n / ncols - 1;
  b->table.head = (const char *const *)b->owned.cell;
  b->table.cells = (const char *const *)b->owned.cell + ncols;
  b->table.align = b->value ? b->value : "";
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
  memset(d, 0, sizeof *d);
}

/* ---- text -------------------------------------------------------------------------- */

void cli_doc_print_text(FILE *out, const cli_doc *d) {
  for (size_t i = 0; i < d->n; i++) {
    const cli_block *b = &d->block[i];
    switch (b->kind) {
    case CLI_HEADING:
      fprintf(out, "%s%s\n", i ? "\n" : "", b->text);
      break;
    case CLI_FACT: {
      int pad = FACT_KEY_WIDTH - cli_display_width(b->text, strlen(b->text));
      fprintf(out, "  %s%*s %s\n", b->text, pad > 0 ? pad : 0, "", b->value);
      break;
    }
    case CLI_TABLE:
      if (b->table.ncols == strlen(b->table.align)) cli_table_print(out, &b->table);
      break;
    case CLI_NOTE:
      fprintf(out, "  %s\n", b->text);
      break;
    }
  }
}

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

static void html_table(FILE *out, const cli_table *t) {
  fputs("<table>\n<thead><tr>", out);
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
  fputs("</tbody>\n</table>\n", out);
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
