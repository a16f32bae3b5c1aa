/* synovia — the syntax tree of .fit files (internal, lang layer).
 *
 * A fit file says what to estimate from which data (grammar and examples in
 * docs/fitting.md):
 *
 *   fit "IL-6 after IA or IV UC-MSCs"
 *   scenario "../knee_ia_vs_iv.scenario"       # its arms are the conditions
 *   data "trial.csv"                           # one or more tables
 *   observable IL6 = knee.IL6                  # an expression of the model
 *     noise lognormal sd = data                # the observable just above
 *   estimate severity log10 within 0.01 0.3 prior lognormal -3 1 start 0.06
 *   estimate sigma_pain lin within 0.1 5       # a noise parameter (in a noise line)
 *   estimate placebo per arm lin within 0 2    # one parameter per arm
 *   fix k_MSC_IA = 0.02 /h
 *   optimizer lm
 *   multistart 64 lhs seed 7
 *   profile all                                # or none, or NAME...
 *   confidence 0.95
 *   predict "IL-6 AUC IA - IV" = auc_IL6 in "IA" - auc_IL6 in "IV"
 *
 * The parser checks syntax and what one file can tell on its own (a name
 * estimated twice, bounds reversed, a log scale on a non-positive bound, a
 * start or a prior outside the bounds). Names, units and data are resolved by
 * src/fit/. Observable expressions are kept as text (with their span): they
 * are compiled by the model compiler as outputs of the scenario's model. */
#ifndef SYN_LANG_FIT_AST_H
#define SYN_LANG_FIT_AST_H

#include <stddef.h>
#include <stdint.h>

#include "ast.h"

typedef enum fit_scale { FIT_SCALE_LIN, FIT_SCALE_LOG, FIT_SCALE_LOG10 } fit_scale;
/* The noise models (fit_noise_kinds, fit_parser.c, is their one definition;
 * syn_fit_dist follows the same order). */
typedef enum fit_dist {
  FIT_NOISE_NORMAL, FIT_NOISE_LOGNORMAL, FIT_NOISE_LOG10NORMAL,
  FIT_NOISE_LAPLACE, FIT_NOISE_LOGLAPLACE, FIT_NOISE_LOG10LAPLACE, FIT_NOISE_COUNT
} fit_dist;

/* One noise model: the value's transformation (the residual is
 * T(y) - T(m) for T = identity, ln or log10) and the density of that
 * residual, with the words a fit file and PEtab v1 use for it. */
typedef struct fit_noise_kind {
  const char *word;          /* noise WORD ... */
  const char *adjective;     /* in messages: "log-normal" */
  const char *spread;        /* the word of its spread: sd (normal) or scale (Laplace) */
  fit_scale transform;       /* FIT_SCALE_LIN, _LOG (ln) or _LOG10 */
  int laplace;               /* 0: normal density, 1: Laplace */
  const char *petab_transformation, *petab_distribution;
} fit_noise_kind;

extern const fit_noise_kind fit_noise_kinds[FIT_NOISE_COUNT];
typedef enum fit_prior_kind {
  FIT_PRIOR_NONE,
  FIT_PRIOR_NORMAL,    /* mean sd */
  FIT_PRIOR_LOGNORMAL, /* mu sigma of ln(x) */
  FIT_PRIOR_UNIFORM    /* low high */
} fit_prior_kind;

/* A number (with its unit, NULL if none) or a parameter's name. */
typedef struct ast_fit_term {
  int present;
  const char *name;        /* NULL: the number */
  double value;
  const ast_unit *unit;
  syn_span span;
} ast_fit_term;

/* noise DIST sd|scale = data | A | B * y | A + B * y */
typedef struct ast_fit_noise {
  int given;
  fit_dist dist;
  int from_data;           /* `sd = data` */
  ast_fit_term add;        /* the constant part */
  ast_fit_term prop;       /* the factor of y (normal only) */
  syn_span span;           /* the `noise` keyword */
} ast_fit_noise;

typedef struct ast_observable {
  const char *name;
  syn_span name_span;
  const char *formula;     /* the expression as written */
  syn_span formula_span;
  ast_fit_noise noise;     /* not given: normal, sd = data */
} ast_observable;

typedef struct ast_fit_prior {
  fit_prior_kind kind;
  double a, b;
  int on_scale;            /* `on scale`: a density of the scaled parameter */
  syn_span span;           /* the `prior` keyword to its last number */
} ast_fit_prior;

typedef enum fit_arms { FIT_ARMS_ALL, FIT_ARMS_EACH, FIT_ARMS_ONE } fit_arms;

/* estimate NAME [per arm | for arm ARM] [SCALE] within LO HI [UNIT]
 *          [prior DIST a b [on scale]] [start X] */
typedef struct ast_estimate {
  const char *name;        /* a model value, a dose (dose:ARM:ROUTE.amount) or a noise parameter */
  syn_span name_span;
  fit_arms arms;
  const char *arm;         /* FIT_ARMS_ONE: the arm */
  syn_span arm_span;
  fit_scale scale;
  ast_expr *lo, *hi;       /* AST_NUM; the unit (on hi, or both) applies to the start too */
  syn_span within_span;
  ast_fit_prior prior;
  int has_start;
  ast_expr *start;
  syn_span span;           /* the `estimate` keyword */
} ast_estimate;

/* fix NAME = VALUE [UNIT] */
typedef struct ast_fix {
  const char *name;
  syn_span name_span;
  ast_expr *value;
} ast_fix;

typedef struct ast_fit_path {
  const char *path;        /* as written, relative to the fit file */
  syn_span span;
} ast_fit_path;

/* One term of a prediction: [+|-] METRIC in "ARM" */
typedef struct ast_pred_term {
  int sign;                /* +1 or -1 */
  const char *metric;
  syn_span metric_span;
  const char *arm;
  syn_span arm_span;
} ast_pred_term;

/* predict "NAME" = term { (+|-) term } */
typedef struct ast_prediction {
  const char *name;
  syn_span name_span;
  const char *formula;     /* the right-hand side as written */
  syn_span formula_span;
  ast_pred_term *terms;
  size_t nterms;
} ast_prediction;

typedef enum fit_profile_mode { FIT_PROFILE_ALL, FIT_PROFILE_NONE, FIT_PROFILE_NAMES } fit_profile_mode;

typedef struct syn_fit_ast {
  syn_srcset *sources;      /* owned: the fit file, then the data tables read by src/fit */
  struct syn_arena *arena;  /* owned: every node and string */
  uint32_t file;
  const char *title;        /* NULL if no `fit` line */
  syn_span title_span;
  const char *scenario_path;
  syn_span scenario_span;
  ast_fit_path *data;
  size_t ndata;
  ast_observable *obs;
  size_t nobs;
  ast_estimate *est;
  size_t nest;
  ast_fix *fixes;
  size_t nfixes;
  const char *optimizer;    /* NULL: the default */
  syn_span optimizer_span;
  uint64_t starts;          /* multistart N (0: not given) */
  const char *design;       /* lhs, sobol or random; NULL: the default */
  int has_seed;
  uint64_t seed;
  syn_span multistart_span;
  fit_profile_mode profile;  /* FIT_PROFILE_ALL when no `profile` line */
  const char **profile_names; /* FIT_PROFILE_NAMES: the parameters named */
  syn_span *profile_spans;
  size_t nprofile;
  syn_span profile_span;     /* the `profile` keyword (len 0: no line) */
  double confidence;         /* 0: not given (0.95) */
  syn_span confidence_span;
  ast_prediction *preds;
  size_t npreds;
} syn_fit_ast;

/* A scale's name as written ("lin", "log", "log10"), for messages. */
const char *syn_fit_scale_name(fit_scale s);

/* Parse a fit file / text. Syntax errors are located like model errors; on
 * error *out is NULL. */
syn_status syn_fit_parse_file(const char *path, syn_fit_ast **out, syn_error *err);
syn_status syn_fit_parse_text(const char *name, const char *text, size_t len, syn_fit_ast **out,
                              syn_error *err);
void syn_fit_ast_destroy(syn_fit_ast *f); /* NULL allowed */

#endif
