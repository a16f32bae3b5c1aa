/* synovia — the resolved form of a fit file (internal, fit layer).
 *
 * fit.c builds it from the syntax tree (src/lang/fit_parser.c) and the data
 * tables (table.c reads them into raw rows, located in the fit's source set so
 * that every message names the table's FILE:LINE:COL). */
#ifndef SYN_FIT_IMPL_H
#define SYN_FIT_IMPL_H

#include <stddef.h>

#include "lang/fit_ast.h"
#include "synovia/fit.h"

/* One cell of a table: its text (unquoted, trimmed) and where it is. */
typedef struct fit_cell {
  const char *text;
  syn_span span;
} fit_cell;

typedef enum fit_col {
  FIT_COL_ARM, FIT_COL_TIME, FIT_COL_OBS, FIT_COL_VALUE, FIT_COL_SD, FIT_COL_SE, FIT_COL_N,
  FIT_COL_SOURCE, FIT_COL_COUNT
} fit_col;

/* A data row as written: the cells of the known columns (text NULL when the
 * table has no such column). */
typedef struct fit_row {
  fit_cell cell[FIT_COL_COUNT];
  const char *file;
  int line;
} fit_row;

/* A table's header facts. */
typedef struct fit_table {
  const char *path;
  const char *time_unit;  /* from the header "time (d)"; NULL if none */
  const char *value_unit; /* from the header "value (pg/mL)"; NULL if none */
  fit_cell header[FIT_COL_COUNT]; /* text NULL: no such column */
  fit_row *rows;
  size_t nrows;
} fit_table;

/* Read the table `rel` (relative to the fit file) named at `at` in the fit
 * file: columns, units, rows (not yet resolved against the scenario). The
 * text is added to ast->sources; rows live in ast->arena. */
syn_status fit_table_read(syn_fit_ast *ast, const char *fit_path, const ast_fit_path *at,
                          fit_table *out, syn_error *err);

/* Load a .fit file (syn_fit_load's route for everything but PEtab's .yaml,
 * fit_load.c; petab.c loads its translation with it). */
syn_status fit_file_load(const char *path, syn_fit **out, syn_error *err);

struct syn_fit {
  syn_fit_ast *ast;          /* owned: sources (fit file, tables) and the arena */
  char *path;
  syn_scenario *scenario;    /* owned: its model has the observables as outputs */
  size_t model_plain_len;    /* the model's root text before those outputs (PEtab export) */
  syn_problem *problem;      /* owned */
  size_t *arms;              /* fit arm -> scenario arm */
  size_t narms;
  syn_fit_observable *obs;
  size_t nobs;
  syn_fit_param *params;
  size_t nparams;
  syn_fit_point *points;
  size_t npoints;
  size_t *arm_first, *arm_count;
  const char **free_names;   /* the problem's free parameters */
  size_t nfree;
  size_t *theta_param;       /* [narms][nfree]: the parameter giving the value, or NONE */
  double *theta_value;       /* [narms][nfree]: the value when no parameter gives it */
  unsigned char *profiled;   /* [nparams] */
  syn_fit_prediction *preds;
  size_t npreds;
  syn_problem *sproblem;     /* owned: every scenario arm (with predictions only) */
  size_t *stheta_param;      /* [scenario arms][nfree], as theta_param */
  double *stheta_value;
};

#endif
