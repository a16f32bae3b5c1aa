/* synovia — a fit's uncertainty: profile likelihoods, the confidence
 * intervals at the chi-square threshold, an identifiability class per
 * parameter, and the Fisher-information (Wald) interval as a quick
 * alternative (docs/fitting.md, "Uncertainty").
 *
 * Profiles (src/fit/profile.c). For each parameter asked for, the parameter
 * is stepped away from the best estimate on its scale, both ways; at each
 * value every other parameter is re-optimised (syn_optim, the reduced
 * problem of n - 1 parameters) from the previous profile point. Steps adapt
 * so that each one raises the objective by about `step_rise` (the
 * pyPESTO/Data2Dynamics idea: sqrt(step_rise / rise of the last step) times
 * the last step, limited to 0.5..2 times); the first step is the one the
 * Fisher information predicts for that rise (else 1 % of the bounds' span).
 * A side ends at the first point above best + threshold (the crossing is
 * then bracketed: it is refined by regula falsi on sqrt(rise), exact for a
 * quadratic profile), at the bound, or after max_steps points.
 * threshold = chi2_1(confidence) / 2 (on the negative log-likelihood;
 * 1.920729 for 0.95). The interval bounds are the crossings; NaN on a side
 * that does not cross within the bounds.
 *
 * Classes, per parameter:
 *   identifiable                   crosses on both sides
 *   structurally non-identifiable  the largest rise over every point of both
 *                                  sides stays below flat_tol
 *   practically non-identifiable   otherwise (no crossing on one side at least,
 *                                  but the profile rises)
 *   not profiled                   not asked for
 *
 * A re-optimisation that finds an objective below best - 1e-6 max(1, |best|)
 * means the fit missed the global optimum: it is kept (lowest_objective,
 * lowest_x), never hidden; the profile goes on with the best given.
 *
 * Fisher interval (src/fit/fisher.c): H, the Hessian of the objective on
 * the parameter scale at the best estimate: J^T J of the residuals where the
 * fit has the residual form (Gauss-Newton), else central differences of the
 * exact gradient. The Wald interval x_j -/+ sqrt(chi2_1(confidence)
 * (H^-1)_jj), transformed back to linear values. A Hessian that is not
 * positive definite (Cholesky fails), or one that cannot be computed (an
 * evaluation failing next to the best): NaN bounds and the reason in `why`
 * (syn_uncertainty_compute goes on with the profiles).
 *
 * Values: parameter vectors given on the parameter scale (objective.h);
 * everything returned is linear (the target's unit) unless said otherwise.
 * Ownership: a syn_uncertainty owns its arrays. Thread safety: one objective
 * workspace per call (it is used, not shared). Nothing is printed. */
#ifndef SYNOVIA_PROFILE_H
#define SYNOVIA_PROFILE_H

#include <stddef.h>

#include "synovia/fit.h"
#include "synovia/objective.h"
#include "synovia/optim.h"
#include "synovia/status.h"
#include "synovia/sweep.h"

/* Exported from libsynovia.so; everything else is hidden (docs/c-api.md). */
#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

/* The identifiability classes: one list, expanded into the enum and the
 * table of names written to fit files (syn_identifiability_name). */
#define SYN_IDENT_LIST(X)                                              \
  X(SYN_IDENT_NOT_PROFILED, "not profiled")                            \
  X(SYN_IDENT_IDENTIFIABLE, "identifiable")                            \
  X(SYN_IDENT_PRACTICAL, "practically non-identifiable")               \
  X(SYN_IDENT_STRUCTURAL, "structurally non-identifiable")

typedef enum syn_identifiability {
#define SYN_IDENT_ENUM_(name, text) name,
  SYN_IDENT_LIST(SYN_IDENT_ENUM_)
#undef SYN_IDENT_ENUM_
} syn_identifiability;

const char *syn_identifiability_name(syn_identifiability c);

/* chi2_1(confidence) / 2: the rise of the objective at the interval's ends
 * (confidence in (0, 1); NaN otherwise). */
double syn_profile_threshold(double confidence);

typedef struct syn_profile_settings {
  double confidence;       /* 0.95 */
  double step_rise;        /* the objective rise each step aims at: threshold / 5 */
  double flat_tol;         /* below this largest rise: structurally flat (0.01) */
  size_t max_steps;        /* points per side before giving up (100) */
  size_t max_refine;       /* regula falsi steps at a crossing (8) */
  double crossing_tol;     /* |rise - threshold| that ends refining (1e-9) */
  const syn_optim_type *type;  /* the re-optimisations' method; NULL: lm where the
                                  fit has the residual form, else lbfgs */
  syn_optim_settings optim;    /* syn_optim_settings_default */
} syn_profile_settings;

void syn_profile_settings_default(syn_profile_settings *s);

typedef struct syn_uncertainty {
  size_t nparam;
  double confidence, threshold, best_objective;
  double *lower, *upper;              /* [nparam] profile interval, linear; NaN: no crossing */
  syn_identifiability *ident;         /* [nparam] */
  double *fisher_lower, *fisher_upper; /* [nparam] Wald interval, linear; NaN: see fisher_why */
  char fisher_why[256];               /* "" or why the Fisher bounds are NaN */
  /* the profile points, grouped by parameter, sorted by value within */
  size_t npoints;
  size_t *point_param;                /* [npoints] the profiled parameter */
  double *point_value;                /* [npoints] its fixed value, linear */
  double *point_objective;            /* [npoints] NaN: the re-optimisation failed */
  const char **point_status;          /* [npoints] static strings (syn_optim_status_name,
                                         "evaluated" for a fit of one parameter, or "failed") */
  double *point_x;                    /* [npoints][nparam] the whole point, linear */
  double lowest_objective;            /* the lowest objective any re-optimisation found */
  double *lowest_x;                   /* [nparam] where, linear */
  int below_best;                     /* 1: lowest_objective < best by more than 1e-6 max(1,|best|) */
} syn_uncertainty;

/* The profiles of the parameters with which[j] != 0 (which NULL: all) and
 * the Fisher intervals of all, around best (parameter scale, the multistart's
 * best point, objective fbest). Errors: SYN_EINVAL for settings out of range
 * (confidence outside (0, 1)); SYN_ENOMEM; those of the optimiser's creation.
 * A re-optimisation that fails is a point with objective NaN, not an error. */
syn_status syn_uncertainty_compute(const syn_fit *f, syn_objective *o, const double *best,
                                   double fbest, const unsigned char *which,
                                   const syn_profile_settings *s, syn_uncertainty **out,
                                   syn_error *err);
void syn_uncertainty_destroy(syn_uncertainty *u); /* NULL allowed */

/* ---- profiles as a job of the sweep runner --------------------------------------
 * Each side of each profiled parameter's profile (a walk) depends only on the
 * best estimate, the settings and the Fisher step, so the walks are rows of
 * a job of the sweep runner (sweep.h: syn_job), run like a fit's starts:
 * serially, or under MPI spread over the ranks (rank 0 coordinates and
 * walks), with part files, checkpoints, --resume and the output's lock
 * (<out>.parts/, <out>.lock, <out>.rows for the output path given in the run
 * options; nothing is written at <out> itself). Walk 2w is the lower side
 * of the w-th profiled parameter, 2w + 1 its upper side. A row: params
 * "parameter" (its index) and "direction" (-1, 1); arm "summary" (value: the
 * crossing, linear, NaN: none; objective: the largest rise; status: the
 * number of points) then arms "point_0001".."point_K" (K = max_steps +
 * max_refine), each with value, objective, status (a syn_optim_status, -1
 * "evaluated", -2 "failed"; NaN: no point) and "x NAME" per parameter, all
 * linear. The record assembled from the rows is the one
 * syn_uncertainty_compute makes (the same walks in the same order), whatever
 * process ran which walk.
 *
 * Thread safety: one job per process (MPI rank), each with its own
 * objective; create it on every rank alike. */
typedef struct syn_profile_job syn_profile_job;

/* The job of the profiles of the parameters with which[j] != 0 (NULL: all)
 * around best_lin (linear values, objective fbest), and the Fisher intervals
 * of all (computed here). base_sha256: what decides the fit (e.g.
 * syn_multistart_config_sha256), part of the job's configuration hash with
 * the best point, which and the settings. Errors as syn_uncertainty_compute. */
syn_status syn_profile_job_create(const syn_fit *f, const double *best_lin, double fbest,
                                  const unsigned char *which, const syn_profile_settings *s,
                                  const char *base_sha256, syn_profile_job **out,
                                  syn_error *err);
void syn_profile_job_destroy(syn_profile_job *pj); /* NULL allowed */
size_t syn_profile_job_count(const syn_profile_job *pj); /* walks: 2 per profiled parameter */
const char *syn_profile_job_config_sha256(const syn_profile_job *pj);

/* Runs the walks through the runner (o as for syn_multistart_run; a shard,
 * o->task_count > 0, is refused: profiles run where the whole fit is
 * delivered) and assembles the record into *out (every rank; caller
 * destroys). No walks (nothing profiled): the record with the Fisher
 * intervals alone, nothing run. SYN_EINTR when stopped (the walks done are
 * kept for a resume); the runner's errors otherwise. */
syn_status syn_profile_job_run(syn_profile_job *pj, const syn_sweep_run_opts *o,
                               syn_uncertainty **out, syn_sweep_report *report,
                               syn_error *err);

/* The Fisher-information interval alone (fisher.c): lower/upper [nparam]
 * linear; why (size bytes) "" or the reason the bounds are NaN. Errors: a
 * failed evaluation at best (its message), SYN_ENOMEM. */
syn_status syn_fisher_interval(const syn_fit *f, syn_objective *o, const double *best,
                               double confidence, double *lower, double *upper, char *why,
                               size_t size, syn_error *err);

/* The fisher standard errors on the parameter scale (sqrt of the diagonal of
 * H^-1), se [nparam]; returns 0 and NaNs with the reason in why when H is
 * not positive definite. Used by the profiles for their first step. */
syn_status syn_fisher_se(const syn_fit *f, syn_objective *o, const double *best, double *se,
                         char *why, size_t size, syn_error *err);

/* ---- predictions and fitted curves (src/fit/predict.c) ------------------------
 * A prediction (fit.h, syn_fit_prediction) is evaluated on the fit's
 * scenario problem over every arm. Its interval is the RANGE OVER THE
 * PROFILED PARAMETER VECTORS INSIDE THE THRESHOLD: the minimum and maximum of
 * the prediction over the best estimate and every profile point whose
 * objective is within best + threshold (1e-6 relative to the threshold
 * allowed: the refined crossings sit on it; each a whole re-optimised parameter
 * vector). It is an inner approximation of the profile-likelihood interval
 * of the prediction (it only sees the directions the parameter profiles
 * walked), exact when the prediction is monotone along one profiled
 * parameter's profile path, as for a + b t* with t* = 0 on a straight line. */
#define SYN_PREDICTION_METHOD "range over the profiled parameter vectors inside the threshold"

/* est, lower, upper [syn_fit_prediction_count] (lower/upper NaN without
 * profile points; a point whose evaluation fails is skipped, counted in
 * *skipped, may be NULL). xbest linear values. Errors: the evaluation at
 * the best estimate (its message), SYN_ENOMEM. */
syn_status syn_fit_prediction_intervals(const syn_fit *f, const syn_uncertainty *u,
                                        const double *xbest, double *est, double *lower,
                                        double *upper, size_t *skipped, syn_error *err);

/* The predictions at one point xlin (linear values): values [count]. */
syn_status syn_fit_predict(const syn_fit *f, const double *xlin, double *values, syn_error *err);

/* The fitted curves of every fit arm and observable at xlin (linear values),
 * long format, rows sorted by arm, observable, time: nper + 1 times evenly
 * from the simulation's start to its end, plus the arm's data times.
 * Strings borrowed from the fit. */
typedef struct syn_fit_curves {
  size_t nrows;
  const char **arm, **observable;   /* [nrows] */
  double *time, *value;             /* [nrows] clock units, the observable's unit */
} syn_fit_curves;

syn_status syn_fit_curves_compute(const syn_fit *f, const double *xlin, size_t nper,
                                  syn_fit_curves **out, syn_error *err);
void syn_fit_curves_destroy(syn_fit_curves *c); /* NULL allowed */

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
