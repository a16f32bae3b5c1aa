/* synovia — the HDF5 file of an estimation (`synovia fit FILE.fit -o OUT.h5`,
 * docs/fitting.md "The fit file's output").
 *
 * Layout (NetCDF-4 readable; dimension scales `start`, `param`, `point`):
 *   /                 root attributes as in run files (synovia_version,
 *                     scenario_sha256, ...), plus kind = "fit", fit_file,
 *                     fit_sha256 (of the fit file's text), optimizer, seed,
 *                     best_start, best_objective, n_data, chi2 (the data residuals'
 *                     sum of squares, NaN: not computed)
 *   /provenance       the paths and texts of the fit file, the scenario and its
 *                     model files (as run files keep theirs)
 *   /start            int64 0..nstarts-1 (scale)
 *   /param            the estimated parameters' names (scale)
 *   /start_point      [start][param] where each start began (linear values)
 *   /end_point        [start][param] where it ended (NaN: it failed)
 *   /objective        [start] final objective (NaN: failed)
 *   /status           [start] the optimiser's status text
 *   /iterations, /evaluations  [start] int64
 *   /estimate         [param] the best estimate (linear value); /scale,
 *                     /lower, /upper [param]
 *   /data/point       int64 0..npoints-1 (scale); /data/arm, /data/observable
 *                     (strings), /data/time, /data/value, /data/sd,
 *                     /data/fitted (the simulated observable at the best
 *                     estimate), /data/residual (value - fitted), [point]
 *   /uncertainty      (optional) attributes confidence, threshold, best_objective,
 *                     lowest_objective (of the profiles' re-optimisations; below
 *                     best_objective: the fit missed the optimum), profile_method;
 *                     interval_lower/upper, identifiability, fisher_lower/upper
 *                     (attributes method, note) [param]
 *   /profile          (optional) point (scale), param, value, objective, status
 *                     [point], x [point][param]: every profile point
 *   /fitted           (optional) row (scale), arm, observable, time (attribute
 *                     units), value [row]: the fitted curves, long format
 *   /prediction       (optional) prediction (scale), name, formula, estimate,
 *                     lower, upper, units, method [prediction]
 *   /observable       (optional) observable (scale), name, formula, units,
 *                     distribution (syn_fit_dist_name: "normal", "lognormal",
 *                     "log10normal", "laplace", "loglaplace", "log10laplace"),
 *                     sd_model (the noise model's sd or Laplace scale as text:
 *                     "data", "0.5 mg/L", "sigma", "0.1 + rel * y") [observable]
 * (the plotting contract: docs/fitting.md "The fit's output file")
 *
 * The file is written whole to <path>.tmp and renamed over path only when
 * complete: a failure leaves no file and an older one unchanged. */
#ifndef SYNOVIA_H5FIT_H
#define SYNOVIA_H5FIT_H

#include <stddef.h>

#include "synovia/h5.h"
#include "synovia/status.h"

/* Exported from libsynovia.so; everything else is hidden (docs/c-api.md). */
#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

/* The uncertainty of a fit (include/synovia/profile.h), as written. */
typedef struct syn_h5fit_uncertainty {
  double confidence, threshold, best_objective, lowest_objective;
  const double *interval_lower, *interval_upper;  /* [nparam] linear; NaN: no crossing */
  const char *const *identifiability;             /* [nparam] */
  const double *fisher_lower, *fisher_upper;      /* [nparam] linear */
  const char *fisher_note;                        /* "" or why the Fisher bounds are NaN */
  size_t npoints;                                 /* profile points (0: no /profile) */
  const long long *point_param;                   /* [npoints] */
  const double *point_value, *point_objective;    /* [npoints] */
  const char *const *point_status;                /* [npoints] */
  const double *point_x;                          /* [npoints][nparam] linear */
} syn_h5fit_uncertainty;

typedef struct syn_h5fit_curves {
  size_t nrows;
  const char *const *arm, *const *observable;     /* [nrows] */
  const double *time, *value;                     /* [nrows] */
  const char *time_units;                         /* the model clock's */
} syn_h5fit_curves;

typedef struct syn_h5fit_predictions {
  size_t n;
  const char *const *name, *const *formula, *const *units;  /* [n] */
  const double *estimate, *lower, *upper;                   /* [n] */
  const char *method;
} syn_h5fit_predictions;

/* The fit's observables and their noise models (all [n]). */
typedef struct syn_h5fit_observables {
  size_t n;
  const char *const *name, *const *formula, *const *units;  /* units: "" dimensionless */
  const char *const *distribution, *const *sd_model;
} syn_h5fit_observables;

/* Everything a fit file holds; the writer borrows every pointer. */
typedef struct syn_h5fit_data {
  const syn_provenance *prov;   /* files: the fit file first, then the scenario, the model */
  const char *fit_text;         /* hashed into fit_sha256 */
  const char *optimizer;
  unsigned long long seed;
  size_t nstarts, nparam, npoints;
  const char *const *param_name, *const *param_scale;  /* [nparam] */
  const double *lower, *upper, *estimate;              /* [nparam], linear */
  const double *start_point, *end_point;               /* [nstarts][nparam] */
  const double *objective;                             /* [nstarts] */
  const char *const *status;                           /* [nstarts] */
  const long long *iterations, *evaluations;           /* [nstarts] */
  size_t best_start;
  double best_objective;
  const char *const *arm, *const *observable;          /* [npoints] */
  const double *time, *value, *sd, *fitted, *residual; /* [npoints] */
  const syn_h5fit_uncertainty *unc;                    /* NULL: no /uncertainty, /profile */
  const syn_h5fit_curves *curves;                      /* NULL: no /fitted */
  const syn_h5fit_predictions *pred;                   /* NULL or n 0: no /prediction */
  const syn_h5fit_observables *obs;                    /* NULL or n 0: no /observable */
  double chi2;  /* the data residuals' sum of squares at the estimate (root attribute chi2;
                   NaN: not computed), see syn_h5fit_file */
} syn_h5fit_data;

/* Writes d to path (via <path>.tmp, renamed at the end). Errors (SYN_EIO,
 * "HDF5 output 'x.h5': cannot ..."): nothing is left at <path>.tmp and an
 * existing path is unchanged. */
syn_status syn_h5fit_write(const char *path, const syn_h5fit_data *d, syn_error *err);

/* ---- reading a fit file back (synovia summary) ---- */

/* 1 when path opens as HDF5 and its root attribute kind is "fit"; 0
 * otherwise (errors are left to the reader a caller tries next). */
int syn_h5fit_probe(const char *path);

/* What summary shows of a fit file; every string non-NULL, owned by it. */
typedef struct syn_h5fit_file {
  const char *fit_file, *fit_sha256, *scenario_file, *scenario_sha256, *version, *optimizer;
  size_t nstarts, nparam, npoints;
  const char **param_name, **param_scale;   /* [nparam] */
  double *estimate, *lower, *upper;         /* [nparam] */
  double *objective;                        /* [nstarts] */
  size_t best_start;
  double best_objective;
  double chi2;  /* sum over the data points of ((m - y) / sigma)^2 at the best estimate (ln m
                   and ln y for log-normal observables); NaN where not computed (a fit
                   without the residual form, a file written before the attribute) */
  /* /uncertainty (has_uncertainty 0: absent; the arrays NULL) */
  int has_uncertainty;
  double confidence, threshold, lowest_objective;
  double *interval_lower, *interval_upper, *fisher_lower, *fisher_upper;  /* [nparam] */
  const char **identifiability;             /* [nparam] */
  const char *fisher_note;
  size_t nprofile_points;                   /* 0 when there is no /profile */
  /* /prediction (npred 0: absent) */
  size_t npred;
  const char **pred_name, **pred_formula, **pred_units;  /* [npred] */
  double *pred_estimate, *pred_lower, *pred_upper;       /* [npred] */
  const char *pred_method;
  /* /observable (nobs 0: absent) */
  size_t nobs;
  const char **obs_name, **obs_formula, **obs_units;     /* [nobs] */
  const char **obs_distribution, **obs_sd_model;         /* [nobs] */
  void *arena_;                             /* private */
} syn_h5fit_file;

/* Errors: "fit file 'x.h5': cannot read '/objective' (HDF5: ...)" (SYN_EIO). */
syn_status syn_h5fit_read(const char *path, syn_h5fit_file **out, syn_error *err);
void syn_h5fit_file_destroy(syn_h5fit_file *f); /* NULL allowed */

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
