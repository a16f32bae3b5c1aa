/* synovia — fit files: what to estimate from which data (docs/fitting.md).
 *
 * syn_fit_load parses a .fit file, loads its scenario with the observables
 * compiled as extra outputs of the scenario's model (`output NAME = EXPR`
 * appended to the model's root file: their values and parameter derivatives
 * come from the model compiler and psens, like any output), reads the data
 * tables, resolves every name (arm, observable, parameter, dose), converts
 * times to model clock units and values to the observables' units, checks
 * bounds, scales and priors, and builds the compiled problem (problem.h)
 * whose free parameters are the model values, initial values and dose
 * amounts the fit estimates or fixes. Every error is one located message
 * (the fit file's FILE:LINE:COL, or a data table's FILE:LINE:COL).
 * A path ending in .yaml or .yml is a PEtab v1 problem file instead
 * (docs/petab.md): its tables are loaded into the same structures, each error
 * located at its table's cell, and the fit's path is the problem file's.
 *
 * The estimated parameters form the vector x (linear scale, in the order of
 * syn_fit_param); syn_fit_theta maps x to the problem's free parameters of
 * one arm (per-arm parameters, fixed values and an arm's own values for a
 * parameter estimated for another arm only). Nothing is evaluated here.
 *
 * Units: times in model clock units; data values, sds and bounds in the
 * units of what they apply to (the observable's output unit, the model
 * value's declared unit, a dose amount in the unit of its dose statement).
 * Ownership: load gives a fit to destroy; every pointer a query returns lives
 * as long as the fit. A fit is read-only after load. */
#ifndef SYNOVIA_FIT_H
#define SYNOVIA_FIT_H

#include <stddef.h>
#include <stdint.h>

#include "synovia/problem.h"
#include "synovia/scenario.h"
#include "synovia/status.h"

/* Exported from libsynovia.so; everything else is hidden (docs/c-api.md). */
#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

typedef struct syn_fit syn_fit;

#define SYN_FIT_NONE ((size_t)-1)

typedef enum syn_fit_scale { SYN_FIT_LIN, SYN_FIT_LOG, SYN_FIT_LOG10 } syn_fit_scale;
/* An observable's noise model: the density (normal or Laplace) of the
 * residual T(y) - T(m), T the identity, ln or log10 (docs/fitting.md, The
 * objective; PEtab's noiseDistribution and observableTransformation). */
typedef enum syn_fit_dist {
  SYN_FIT_NORMAL, SYN_FIT_LOGNORMAL, SYN_FIT_LOG10NORMAL,
  SYN_FIT_LAPLACE, SYN_FIT_LOGLAPLACE, SYN_FIT_LOG10LAPLACE
} syn_fit_dist;
typedef enum syn_fit_prior_kind {
  SYN_FIT_PRIOR_NONE,
  SYN_FIT_PRIOR_NORMAL,    /* a = mean, b = sd */
  SYN_FIT_PRIOR_LOGNORMAL, /* a = mu, b = sigma of ln(x) */
  SYN_FIT_PRIOR_UNIFORM    /* a = low, b = high */
} syn_fit_prior_kind;

/* What an estimated parameter is. */
typedef enum syn_fit_target {
  SYN_FIT_MODEL, /* a model value as syn_problem takes it (parameter, compartment,
                    initial value), or a dose amount/time ("dose:ARM:ROUTE.amount") */
  SYN_FIT_NOISE  /* a parameter of a noise model only */
} syn_fit_target;

typedef struct syn_fit_prior {
  syn_fit_prior_kind kind;
  double a, b;
  int on_scale;   /* 1: a density of the scaled parameter (PEtab parameterScaleNormal,
                     parameterScaleUniform); 0: of the linear value */
} syn_fit_prior;

typedef struct syn_fit_param {
  const char *name;       /* as reported: "severity", "placebo[control]" for a per-arm copy */
  const char *target;     /* the problem's free name (model value or dose), or the noise
                             parameter's name */
  syn_fit_target kind;
  size_t arm;             /* the fit arm it applies to; SYN_FIT_NONE: every arm */
  syn_fit_scale scale;
  double lower, upper;    /* linear scale, in the target's unit */
  int has_start;
  double start;           /* the initial guess, linear scale (has_start) */
  syn_fit_prior prior;
  size_t free_index;      /* the problem free parameter it sets; SYN_FIT_NONE for noise */
} syn_fit_param;

/* A noise model's sd = add + prop * y, each term a constant (param ==
 * SYN_FIT_NONE) or an estimated parameter (index into syn_fit_param). */
typedef struct syn_fit_term {
  size_t param;
  double value;           /* the constant (0 when the term is absent) */
} syn_fit_term;

typedef struct syn_fit_observable {
  const char *name;
  const char *formula;    /* as written in the fit file */
  const char *units;      /* the output's derived unit ("" dimensionless, "?" unknown) */
  size_t output;          /* its index among the model's outputs (SYN_SYM_OUTPUT) */
  size_t series;          /* its index in a problem result's series (states, then outputs) */
  syn_fit_dist dist;
  int from_data;          /* sd = data: each point's sd */
  syn_fit_term add, prop; /* otherwise */
} syn_fit_observable;

typedef struct syn_fit_point {
  size_t arm;             /* fit arm */
  size_t observable;
  double time;            /* clock units */
  double value;           /* in the observable's unit */
  double sd;              /* the table's sd of the value (se, or sd / sqrt(n)), in the
                             observable's unit; for a transformed noise model the sd of
                             ln(value) (sqrt(ln(1 + (sd/value)^2))), or of log10(value)
                             (that / ln 10); for a Laplace one the scale sd / sqrt(2) of
                             that; NaN when the table gives none */
  const char *source;     /* the source column, verbatim; "" if none */
  const char *file;       /* the table and line it came from */
  int line;
} syn_fit_point;

/* A noise model's word in a fit file ("lognormal"), its transformation
 * (SYN_FIT_LIN: none, SYN_FIT_LOG: ln, SYN_FIT_LOG10) and whether its density
 * is Laplace's (1; its spread is the scale b) or the normal one (0; the sd). */
const char *syn_fit_dist_name(syn_fit_dist d);
syn_fit_scale syn_fit_dist_transform(syn_fit_dist d);
int syn_fit_dist_laplace(syn_fit_dist d);

syn_status syn_fit_load(const char *path, syn_fit **out, syn_error *err);
void syn_fit_destroy(syn_fit *f); /* NULL allowed */

const char *syn_fit_title(const syn_fit *f);               /* "" if none */
const char *syn_fit_path(const syn_fit *f);
const syn_scenario *syn_fit_scenario(const syn_fit *f);    /* with the observables as outputs */
const syn_problem *syn_fit_problem(const syn_fit *f);

/* The fit's arms: the scenario's arms that have data, in scenario order
 * (they are the problem's arms, same index). */
size_t syn_fit_arm_count(const syn_fit *f);
const char *syn_fit_arm_name(const syn_fit *f, size_t arm);

size_t syn_fit_observable_count(const syn_fit *f);
const syn_fit_observable *syn_fit_observable_at(const syn_fit *f, size_t i);

size_t syn_fit_param_count(const syn_fit *f);
const syn_fit_param *syn_fit_param_at(const syn_fit *f, size_t i);

/* The data points, sorted by arm, then time (stable: table order within). */
size_t syn_fit_point_count(const syn_fit *f);
const syn_fit_point *syn_fit_point_at(const syn_fit *f, size_t i);
/* The points of one arm: [*first, *first + return value). */
size_t syn_fit_arm_points(const syn_fit *f, size_t arm, size_t *first);

/* The problem's free parameters for arm `arm` (theta, syn_problem_free_count
 * values) from the estimated parameters x (syn_fit_param_count values, linear
 * scale; NULL: each one's start, else the geometric or arithmetic middle of
 * its bounds by scale): fixed values, per-arm copies, and for a parameter
 * estimated for another arm only the value this arm's own settings give. */
void syn_fit_theta(const syn_fit *f, size_t arm, const double *x, double *theta);

/* Settings, validated and kept for the optimisers. */
const char *syn_fit_optimizer(const syn_fit *f);  /* "lm" by default */
size_t syn_fit_starts(const syn_fit *f);          /* multistart N, 1 by default */
const char *syn_fit_start_design(const syn_fit *f); /* "lhs" by default */
uint64_t syn_fit_seed(const syn_fit *f);          /* 1 by default */

/* Uncertainty settings (docs/fitting.md "Uncertainty"): the confidence of
 * the intervals (`confidence`, 0.95 by default) and whether parameter j's
 * profile is asked for (`profile all | none | NAME...`; all by default; a
 * per-arm parameter's name profiles every copy). */
double syn_fit_confidence(const syn_fit *f);
int syn_fit_profiled(const syn_fit *f, size_t param);

/* Predictions (`predict "NAME" = METRIC in "ARM" - METRIC in "ARM" ...`):
 * sums and differences of the scenario's metrics in any of its arms (with
 * data or not), in the metrics' common unit. */
typedef struct syn_fit_pred_term {
  int sign;         /* +1 or -1 */
  size_t metric;    /* the scenario's metric index */
  size_t arm;       /* the SCENARIO's arm index (an arm without data too) */
} syn_fit_pred_term;

typedef struct syn_fit_prediction {
  const char *name, *formula, *units;   /* units "" when the metric has none */
  const syn_fit_pred_term *terms;
  size_t nterms;
} syn_fit_prediction;

size_t syn_fit_prediction_count(const syn_fit *f);
const syn_fit_prediction *syn_fit_prediction_at(const syn_fit *f, size_t i);

/* The problem over every arm of the scenario (same free parameters as
 * syn_fit_problem; its arm index is the scenario's), built when the fit
 * has predictions (NULL otherwise), and its theta for scenario arm `arm`
 * as syn_fit_theta gives it for fit arms (an arm without data: the shared
 * estimates, the fixed values, its own value of a per-arm parameter). */
const syn_problem *syn_fit_scenario_problem(const syn_fit *f);
void syn_fit_scenario_theta(const syn_fit *f, size_t arm, const double *x, double *theta);

/* Write the fit as a PEtab v1 problem into folder dir (created if missing):
 * problem.yaml, parameters.tsv, conditions.tsv, observables.tsv,
 * measurements.tsv, the yaml naming the model file by its absolute path
 * (docs/petab.md). A model value estimated for one arm, or under another
 * name (a PEtab import's condition-specific parameter), becomes that name in
 * the condition cells. Refused (SYN_EINVAL, nothing written): doses, presets,
 * parameter names that are not PEtab ids (a per-arm copy's NAME[ARM]), dose
 * parameters, arm or setting names that are not PEtab ids.
 * Files of those names are replaced, each written whole then renamed. */
syn_status syn_fit_export_petab(const syn_fit *f, const char *dir, syn_error *err);

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
