/* synovia — PEtab v1 problems (internal, fit layer; docs/petab.md).
 *
 * petab_read.c reads the problem file (YAML, with libyaml) and the TSV
 * tables into located cells; petab.c translates them into a fit file, a
 * scenario and a data table and loads those with syn_fit_load's own code, so
 * a PEtab problem ends in the same structures as a .fit file. Every text is
 * kept in one source set, so that each message names FILE:LINE:COL of the
 * cell at fault. Not thread-safe per object; no global state. */
#ifndef SYN_FIT_PETAB_H
#define SYN_FIT_PETAB_H

#include <stddef.h>

#include "lang/source.h"
#include "synovia/fit.h"

/* One cell of a table: its text (trimmed; "" when empty) and where it is. */
typedef struct pt_cell {
  const char *text;
  syn_span span;
} pt_cell;

/* A TSV table: its header and rows of ncols cells each (a short row is
 * padded with empty cells placed at its end). */
typedef struct pt_table {
  const char *path;
  uint32_t file;          /* index in the source set */
  size_t ncols, nrows;
  pt_cell *head;          /* [ncols] */
  pt_cell *cells;         /* [nrows * ncols] */
  int *line;              /* [nrows] 1-based line of each row */
  struct syn_arena *arena; /* owns the cells and their texts */
} pt_table;

/* The table kinds of a problem file, in the order of the PEtab v1 keys. */
typedef enum pt_kind {
  PT_CONDITIONS, PT_MEASUREMENTS, PT_OBSERVABLES, PT_MODEL, PT_VISUALIZATION, PT_KIND_COUNT
} pt_kind;

/* A problem file: its paths resolved against its folder, each with the span
 * of its mention in the YAML. */
typedef struct pt_files {
  char *parameters;
  syn_span parameters_span;
  char **paths[PT_KIND_COUNT];
  syn_span *spans[PT_KIND_COUNT];
  size_t count[PT_KIND_COUNT];
  syn_span whole;         /* the YAML's first byte, for what is missing */
} pt_files;

/* 1 when path names a PEtab problem file (.yaml or .yml). */
int petab_is_problem(const char *path);

/* Read the problem file `path` into src and files (free with
 * petab_files_free). Errors: located in the YAML (a missing key, a second
 * problem, a format version other than 1). */
syn_status petab_files_read(syn_srcset *src, const char *path, pt_files *files, syn_error *err);
void petab_files_free(pt_files *files);

/* Read and append the TSV tables `paths` (mentioned at `from`) into one
 * table; the later ones must have the first one's header. */
syn_status petab_table_read(syn_srcset *src, char *const *paths, const syn_span *from,
                            size_t n, pt_table *t, syn_error *err);
void petab_table_free(pt_table *t);

/* The column `name` of t, or -1. */
long petab_column(const pt_table *t, const char *name);
/* The cell of row r in column c; an empty cell (placed at the row's start)
 * for c < 0. */
pt_cell petab_cell(const pt_table *t, size_t r, long c);

/* Load the PEtab problem `path` as a fit (syn_fit_load's route for .yaml). */
syn_status petab_fit_load(const char *path, syn_fit **out, syn_error *err);

#endif
