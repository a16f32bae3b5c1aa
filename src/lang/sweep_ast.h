/* synovia — the syntax tree of .sweep files (internal, lang layer).
 *
 * A sweep runs one scenario many times, each time with other values of some
 * of its parameters, drawn by a design:
 *
 *   sweep "What drives the IA advantage?"
 *   scenario "ia_vs_iv.scenario"              # relative to the sweep file
 *   design saltelli 1024 second order seed 7
 *   vary potency          uniform    0.3 1.0
 *   vary k_MSC_IA         loguniform 0.005 0.1 /d
 *   vary knee_R.severity  normal     1.0 0.2 within 0.2 3
 *   metrics IL6_auc_28d pain_change          # default: all the scenario's metrics
 *   arms "control" "IA UC-MSC"               # default: all its arms
 *   keep trajectories                        # default: metrics only
 *   difference "IA UC-MSC" "control"         # one more output arm: IA minus control
 *   atol knee_R.MSC = 1 cells                # a state's atol over the scenario's
 *
 * The parser checks syntax and what one file can tell on its own (counts,
 * seeds, duplicates, which clauses go with which design). Parameter, metric
 * and arm names, units and the distributions' values are resolved against
 * the scenario by src/sweep/. Numbers stay expressions with units here. */
#ifndef SYN_LANG_SWEEP_AST_H
#define SYN_LANG_SWEEP_AST_H

#include <stddef.h>
#include <stdint.h>

#include "ast.h"

typedef enum sweep_design_kind {
  SWEEP_DESIGN_GRID,     /* every combination of the vary lines' levels */
  SWEEP_DESIGN_RANDOM,   /* N independent samples */
  SWEEP_DESIGN_LHS,      /* Latin hypercube of N samples */
  SWEEP_DESIGN_SOBOL,    /* the first N points of the Sobol sequence */
  SWEEP_DESIGN_SALTELLI, /* N base rows: N(D+2) samples, N(2D+2) with second order */
  SWEEP_DESIGN_MORRIS,   /* N trajectories: N(D+1) samples */
  SWEEP_DESIGN_FILE      /* the rows of a file with one named column per parameter */
} sweep_design_kind;

typedef enum sweep_dist_kind {
  SWEEP_DIST_UNIFORM,    /* low high */
  SWEEP_DIST_LOGUNIFORM, /* low high (both > 0): log(x) uniform */
  SWEEP_DIST_NORMAL,     /* mean sd [within lo hi] */
  SWEEP_DIST_LOGNORMAL   /* mu sigma of log(x) [within lo hi] */
} sweep_dist_kind;

typedef struct ast_sweep_design {
  sweep_design_kind kind;
  syn_span span;           /* the `design` keyword */
  syn_span kind_span;      /* the kind word (`file` for a design file) */
  uint64_t n;              /* samples, base rows or trajectories; 0 for grid and file */
  syn_span n_span;
  int has_seed;            /* `seed S` given (otherwise the sweep layer's default) */
  uint64_t seed;
  syn_span seed_span;
  int second_order;        /* saltelli: `second order` given */
  uint64_t morris_levels;  /* morris: `levels P` (even, >= 2); 0 when not given */
  syn_span levels_span;
  const char *path;        /* file: as written, relative to the sweep file; else NULL */
  syn_span path_span;
} ast_sweep_design;

/* vary NAME DIST a b [within lo hi] [levels L] */
typedef struct ast_vary {
  const char *name;        /* possibly qualified: knee_R.severity */
  syn_span name_span;
  sweep_dist_kind dist;
  syn_span dist_span;
  ast_expr *a, *b;         /* the distribution's two numbers (AST_NUM, unit or NULL) */
  ast_expr *lo, *hi;       /* `within lo hi`; NULL when not given (normal, lognormal only) */
  syn_span within_span;
  uint64_t levels;         /* grid designs: number of levels (>= 2); 0 otherwise */
  syn_span levels_span;
} ast_vary;

/* A metric or arm name of the scenario, as listed. */
typedef struct ast_sweep_name {
  const char *name;
  syn_span span;
} ast_sweep_name;

/* difference ARM ARM: the metrics of the first arm minus the second's, kept
 * (and analysed) as one more arm of the output. */
typedef struct ast_sweep_diff {
  ast_sweep_name a, b;
  syn_span span;             /* the `difference` keyword */
} ast_sweep_diff;

typedef struct syn_sweep_ast {
  syn_srcset *sources;      /* owned: the sweep file */
  struct syn_arena *arena;  /* owned: every node and string */
  uint32_t file;
  const char *title;        /* NULL if no `sweep` line */
  syn_span title_span;
  const char *scenario_path;/* as written; relative to the sweep file's directory */
  syn_span scenario_span;
  ast_sweep_design design;
  ast_vary *vary;           /* in the order written (the order of the parameters) */
  size_t nvary;
  ast_sweep_name *metrics;  /* nmetrics == 0: all the scenario's metrics */
  size_t nmetrics;
  syn_span metrics_span;    /* the `metrics` keyword */
  ast_sweep_name *arms;     /* narms == 0: all the scenario's arms */
  size_t narms;
  syn_span arms_span;
  int keep_trajectories;
  syn_span keep_span;
  ast_sweep_diff *diffs;    /* in the order written */
  size_t ndiffs;
  ast_state_atol *atols;    /* `atol NAME = A [UNIT]` lines, in the order written */
  size_t natols;
} syn_sweep_ast;

/* Parse a sweep file / text. Syntax errors are located like model errors; on
 * error *out is NULL. */
syn_status syn_sweep_parse_file(const char *path, syn_sweep_ast **out, syn_error *err);
syn_status syn_sweep_parse_text(const char *name, const char *text, size_t len,
                                syn_sweep_ast **out, syn_error *err);
void syn_sweep_ast_destroy(syn_sweep_ast *s); /* NULL allowed */

#endif
