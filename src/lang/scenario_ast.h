/* synovia — the syntax tree of .scenario files (internal, lang layer).
 *
 * A scenario compares arms (as in a trial) on one model: a time grid, an
 * optional baseline, and for each arm its doses, presets and settings, plus
 * metrics computed for every arm. The parser checks syntax only; names of
 * routes, presets, joints and metric targets are resolved against the model
 * by src/scenario/. Times and amounts stay expressions with units here.
 *
 *   scenario "IA vs IV in knee OA"
 *   model "../models/knee_oa.model"
 *   simulate 0 d to 180 d every 6 h
 *   baseline steady                      # or: baseline 0 (the declared initial values)
 *   set severity = 1.2                   # before the first arm: applies to every arm
 *   use early_OA                         # likewise
 *   arm "control"
 *   arm "IA UC-MSC"
 *     dose IA 50e6 cells at 0 d
 *   arm "IV then IA"
 *     use autologous
 *     dose IV 100e6 cells at 0 d over 1 h
 *     dose IA 25e6 cells at 14 d every 28 d times 3 into knee_R
 *     set knee_R.severity = 1.5
 *   solver rtol 1e-8 linear-solver klu   # before the first arm: for every arm
 *   atol knee_R.Frag = 1e-6 mg/mL        # before the first arm: one state's atol
 *   metric IL6_auc_28d = auc(IL6, 0 d, 28 d)     "IL-6 exposure over four weeks"
 *   metric time_to_half = time_below(TNF, 0.5 * at(TNF, 0 d))
 *
 * Statements after an `arm` line belong to that arm until the next `arm` or a
 * `metric` line; indentation is not significant. */
#ifndef SYN_LANG_SCENARIO_AST_H
#define SYN_LANG_SCENARIO_AST_H

#include <stddef.h>

#include "ast.h"

typedef struct ast_dose {
  syn_span span;            /* the `dose` keyword */
  const char *route;
  syn_span route_span;
  ast_expr *amount;         /* a number, optionally with a unit (annotation) */
  ast_expr *at;             /* time of the (first) dose */
  ast_expr *over;           /* infusion duration; NULL for a bolus */
  ast_expr *every;          /* repeat interval; NULL when given once */
  ast_expr *times;          /* number of doses (>= 1) when `every` is given */
  const char *into;         /* joint name; NULL when not given */
  syn_span into_span;
  /* A conditional dose (`dose IA 50e6 cells when knee.pain_VAS > 50 after 90 d
   * before 1 y at most 3 times every at least 28 d`, docs/scenarios.md): given
   * each time the condition becomes true; `at` is NULL then. */
  ast_expr *when;           /* the condition; NULL for a scheduled dose */
  ast_expr *after, *before; /* the window; NULL when not given */
  ast_expr *most;           /* `at most N times`; NULL: no limit */
  ast_expr *apart;          /* `every at least P`; NULL: none */
} ast_dose;

/* What an arm (or the scenario, before its first arm) says, in order. */
typedef enum ast_arm_item_kind { ARM_USE, ARM_SET, ARM_DOSE } ast_arm_item_kind;

typedef struct ast_arm_item {
  ast_arm_item_kind kind;
  const char *name;         /* USE: preset name; SET: the (possibly qualified) name */
  syn_span name_span;
  ast_expr *value;          /* SET */
  ast_dose dose;            /* DOSE */
} ast_arm_item;

typedef struct ast_arm {
  const char *name;
  syn_span name_span;
  ast_arm_item *items;
  size_t nitems;
} ast_arm;

/* metric NAME = expr ["description"]; the expression's leaves are numbers and
 * calls of the metric functions: at(X, T) auc(X, T1, T2) max(X[, T1, T2])
 * min(X[, T1, T2]) tmax(X[, T1, T2]) change(X, T1, T2) time_below(X, level[, T1, T2])
 * time_above(X, level[, T1, T2]). */
typedef struct ast_metric {
  const char *name;
  syn_span name_span;
  ast_expr *value;
  const char *description;  /* NULL if none */
} ast_metric;

/* One setting of a `solver` line, as written: `rtol 1e-8`, `linear-solver klu`.
 * Which names and values are valid is decided by src/scenario/ (one table
 * with the command line's --rtol, --atol, ...). */
typedef struct ast_solver_setting {
  const char *name;         /* "rtol", "linear-solver" (a hyphenated name joined) */
  syn_span name_span;
  const char *value;        /* the value's text: "1e-8", "-1", "klu" */
  syn_span value_span;
} ast_solver_setting;

/* One name of the `sensitivities` line: a model value (qualified name) or a
 * dose as a string ("dose:IA:IA.amount"), or the word all. */
typedef struct ast_sens_name {
  const char *name;
  syn_span span;
} ast_sens_name;

typedef enum ast_baseline { BASELINE_DECLARED = 0, BASELINE_STEADY = 1 } ast_baseline;

typedef struct syn_scenario_ast {
  syn_srcset *sources;      /* owned: the scenario file */
  struct syn_arena *arena;  /* owned: every node and string */
  uint32_t file;
  const char *title;        /* NULL if no `scenario` line */
  const char *model_path;   /* as written; relative to the scenario's directory */
  syn_span model_span;
  ast_expr *t_start, *t_end, *every; /* from `simulate`; NULL if absent */
  syn_span simulate_span;
  ast_baseline baseline;
  syn_span baseline_span;
  ast_arm_item *common;     /* use/set before the first arm (doses not allowed there) */
  size_t ncommon;
  ast_arm *arms;
  size_t narms;
  ast_metric *metrics;
  size_t nmetrics;
  ast_solver_setting *solver; /* every `solver` line's settings, in order */
  size_t nsolver;
  ast_state_atol *atols;    /* every `atol` line, in order */
  size_t natols;
  ast_sens_name *sens;      /* the `sensitivities` line's names, in order (none: 0) */
  size_t nsens;
  syn_span sens_span;       /* its keyword */
} syn_scenario_ast;

/* Parse a scenario file / text. Syntax errors are located like model errors. */
syn_status syn_scenario_parse_file(const char *path, syn_scenario_ast **out, syn_error *err);
syn_status syn_scenario_parse_text(const char *name, const char *text, size_t len,
                                   syn_scenario_ast **out, syn_error *err);
void syn_scenario_ast_destroy(syn_scenario_ast *s); /* NULL allowed */

#endif
