/* synovia — aligned text tables for the terminal (cli layer).
 *
 * Every table the program prints (a scenario's metrics, `synovia summary`)
 * goes through cli_table_print, so they share one look: columns separated by
 * two spaces, text left-aligned, numbers right-aligned, headings wrapped over
 * several lines when longer than `wrap` columns and bottom-aligned, widths
 * counted in characters (UTF-8), no trailing blanks. The same struct is what
 * `synovia report` turns into an HTML table. */
#ifndef SYN_CLI_TABLE_H
#define SYN_CLI_TABLE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

typedef struct cli_table {
  size_t ncols, nrows;
  const char *const *head;  /* [ncols] headings */
  const char *const *cells; /* [nrows * ncols] row-major; a NULL cell is empty */
  const char *align;        /* [ncols] 'l' or 'r' */
  int min_width;            /* least width of a right-aligned column */
  int wrap;                 /* headings wider than this are wrapped; 0: never */
  int indent;               /* spaces before every line */
} cli_table;

void cli_table_print(FILE *out, const cli_table *t);

/* The same, fitted into `max_width` columns (0: no limit) when it is wider:
 * a left-aligned last column (descriptions, reasons) is wrapped onto
 * continuation lines when that leaves it at least 24 columns; otherwise the
 * columns are printed in groups one under the other, each group repeating the
 * leading left-aligned columns (the row names), as R prints a wide data frame.
 * Nothing is cut. */
void cli_table_print_width(FILE *out, const cli_table *t, int max_width);

/* The next line of s wrapped at `width` columns (at the last space that
 * fits, else after `width` characters): its length in bytes; *next gets where
 * the line after it starts (spaces skipped). width <= 0: the whole of s. */
size_t cli_wrap_line(const char *s, int width, const char **next);

/* printf into a new buffer (malloc; NULL when out of memory): no fixed size,
 * so no text is ever cut. */
char *cli_vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Columns taken on a terminal by the n bytes of UTF-8 text s. */
int cli_display_width(const char *s, size_t n);

/* A value as the tables show it: "%.6g", "n/a" for NaN, "0" for zero and for
 * a percentage below the round-off of an unchanged series. */
void cli_format_value(double v, int is_percent, char *buf, size_t size);

/* A unit as a person reads it next to a number: "dimensionless" for CF's
 * "1" and for "" (no unit derived), so a value 1 never reads "1 1". */
const char *cli_units_shown(const char *units);

/* A growing array of cells: every cell is a copy owned by the set. */
typedef struct cli_cells {
  char **cell;
  size_t n, cap;
  int failed; /* an allocation failed: the set is incomplete */
} cli_cells;

void cli_cells_add(cli_cells *c, const char *text);
void cli_cells_addf(cli_cells *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_cells_free(cli_cells *c);

#endif
