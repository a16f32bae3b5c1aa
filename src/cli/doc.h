/* synovia — a small document model of what a result file holds (cli layer).
 *
 * `synovia summary` and `synovia report` show the same things: headings,
 * "key  value" facts, aligned tables and notes. summary.c builds one cli_doc
 * from a file; doc.c renders it as terminal text or as HTML, so the two views
 * cannot drift apart. Every string is copied into the document. */
#ifndef SYN_CLI_DOC_H
#define SYN_CLI_DOC_H

#include <stdio.h>

#include "table.h"

typedef enum cli_block_kind { CLI_HEADING, CLI_FACT, CLI_TABLE, CLI_NOTE } cli_block_kind;

typedef struct cli_block {
  cli_block_kind kind;
  char *text, *value; /* heading/note text; fact key and value */
  int verbatim;       /* a fact printed on one line however long (a command) */
  cli_table table;    /* CLI_TABLE: head, cells and align owned by the block */
  cli_cells owned;    /* the table's heads then cells */
} cli_block;

typedef struct cli_doc {
  cli_block *block;
  size_t n, cap;
  cli_cells pending; /* heads and cells of the table being built */
  size_t pending_cols;
  char *pending_align;
  int failed;        /* out of memory: the document is incomplete */
} cli_doc;

void cli_doc_heading(cli_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_doc_fact(cli_doc *d, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cli_doc_note(cli_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A fact never wrapped in the terminal: a command line stays one line that
 * can be copied and run again. */
void cli_doc_fact_verbatim(cli_doc *d, const char *key, const char *value);

/* "a, b, c" + tail as one fact, each item between `quote`s (any length). */
void cli_doc_fact_list(cli_doc *d, const char *key, const char *const *items, size_t n,
                       const char *quote, const char *tail);

/* A table: begin with the alignment of each column ("llrr", any number of
 * columns), then the headings, then the cells row by row; end adds it.
 * _wide: the columns of `lead` then nright right-aligned ones (one per arm). */
void cli_doc_table_begin(cli_doc *d, const char *align);
void cli_doc_table_begin_wide(cli_doc *d, const char *lead, size_t nright);
void cli_doc_cell(cli_doc *d, const char *text);
void cli_doc_cellf(cli_doc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_doc_value(cli_doc *d, double v); /* a number as tables show it */
void cli_doc_table_end(cli_doc *d);

void cli_doc_free(cli_doc *d);

/* Terminal text: headings flush left after a blank line, facts and tables
 * indented by two spaces. _width: fitted into `width` columns (0: no
 * limit; see cli_table_print_width), facts wrapped with a hanging indent. */
void cli_doc_print_text(FILE *out, const cli_doc *d);
void cli_doc_print_text_width(FILE *out, const cli_doc *d, int width);

/* HTML fragment: <h2>, <dl class="facts">, <table> (in <div class="scroll">),
 * <p>; text escaped. */
void cli_doc_print_html(FILE *out, const cli_doc *d);

/* s with &, <, > and " escaped for HTML. */
void cli_html_escape(FILE *out, const char *s);

#endif
