/* synovia — HDF5 output of a parameter sweep (NetCDF-4 compatible; io layer).
 *
 * Layout (docs/output-format.md, "Sweep files"):
 *   /                      root attributes as in run files, plus sweep_sha256,
 *                          sweep_file, design, seed, base_seed, n_samples and, for a
 *                          shard, task_index and task_count
 *   /provenance/{file,text} the input files, as in run files
 *   /sample                int64 (sample), dimension scale: the GLOBAL sample index
 *   /param                 vlen strings (param), dimension scale: parameter names
 *   /param_units           vlen strings (param)
 *   /param_lower, /param_upper  float64 (param), when given
 *   /param_distribution    vlen strings (param), when given
 *   /param_value           float64 (sample, param), NaN where not written
 *   /status                int8 (sample): 0 not_run, 1 ok, -1 solver_failure,
 *                          -2 nonfinite, -3 error (CF flag_values / flag_meanings)
 *   /status_reason         vlen strings (sample): "" unless the sample failed
 *   /arms/<arm>/metric     vlen strings (metric), dimension scale
 *   /arms/<arm>/metric_units
 *   /arms/<arm>/metric_value  float64 (sample, metric), NaN where not written
 *   /arms/<arm>/time       float64 (time), dimension scale (only with trajectories)
 *   /arms/<arm>/<series>   float64 (sample, time), NaN where not written
 *
 * Rows are keyed by the global sample index, so a shard of a sweep (an MPI
 * rank's part, a job-array task) has the full `sample` axis and writes only
 * its own rows; rows it never wrote read as NaN and status 0 (not_run), which
 * is what a merge step looks at.
 *
 * Like run files, the file is written as <path>.tmp and renamed to <path> by
 * syn_h5sweep_commit (after fsync), so <path> never names a partial file. */
#ifndef SYNOVIA_H5SWEEP_H
#define SYNOVIA_H5SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "synovia/h5.h"
#include "synovia/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The values of /status (its flag_values, in this order). */
typedef enum syn_sweep_status {
  SYN_SWEEP_NOT_RUN = 0,        /* never written: the fill value */
  SYN_SWEEP_OK = 1,
  SYN_SWEEP_SOLVER_FAILURE = -1, /* the integrator gave up (reason says why) */
  SYN_SWEEP_NONFINITE = -2,      /* a NaN/Inf state, output or metric */
  SYN_SWEEP_ERROR = -3           /* any other failure of the sample (e.g. a bad parameter) */
} syn_sweep_status;

typedef struct syn_h5sweep_spec {
  const syn_provenance *prov; /* root attributes and /provenance; NULL: none */
  const char *sweep_sha256;   /* hex; NULL or "" when unknown */
  const char *sweep_file;     /* NULL or "" when none */
  const char *design;         /* "grid", "lhs", "saltelli", ...; NULL or "" when unknown */
  uint64_t seed, base_seed;
  size_t nsamples;            /* of the whole sweep: global indices 0 .. nsamples-1 (> 0) */
  size_t task_index, task_count; /* task_count 0: the whole sweep, not a shard */

  size_t nparams;                  /* > 0 */
  const char *const *param_names;  /* [nparams], unique */
  const char *const *param_units;  /* [nparams] or NULL */
  const double *param_lower;       /* [nparams] or NULL (both or neither with upper) */
  const double *param_upper;       /* [nparams] or NULL */
  const char *const *param_distribution; /* [nparams] descriptions, or NULL */

  size_t narms;                   /* > 0 */
  const char *const *arm_names;   /* [narms], unique, valid group names */
  size_t nmetrics;                /* the same metrics in every arm; may be 0 */
  const char *const *metric_names;/* [nmetrics], unique */
  const char *const *metric_units;/* [nmetrics] or NULL */

  size_t nseries;                 /* trajectories kept per arm; 0: none */
  const char *const *series_names;/* [nseries], unique, not "time"/"metric"/... */
  const char *const *series_units;/* [nseries] or NULL */
  size_t ntimes;                  /* > 0 when nseries > 0 */
  const double *times;            /* [ntimes], the common output grid of every arm */
  const char *time_units;         /* "h"; NULL or "" -> "1" */

  /* Files whose data (uncompressed) would exceed this many bytes are written
   * straight to <path>.tmp instead of being built in memory; 0: 64 MiB. */
  size_t memory_limit;
} syn_h5sweep_spec;

typedef struct syn_h5sweep syn_h5sweep;

/* Checks the spec and starts <path>.tmp with every dataset created (NaN /
 * not_run everywhere). Nothing is left on disk on failure. */
syn_status syn_h5sweep_create(const char *path, const syn_h5sweep_spec *spec,
                              syn_h5sweep **out, syn_error *err);

/* Writes row `sample` (global index, < nsamples) of every per-sample dataset:
 *   params   [nparams]                       (required)
 *   status   a syn_sweep_status other than NOT_RUN
 *   reason   "" or NULL when ok; the failure message otherwise
 *   metrics  [narms * nmetrics], arm-major, or NULL (NaN)
 *   traj     [narms * nseries * ntimes], arm, then series, then time; or NULL
 *            (NaN); ignored when the spec has no series
 * Rows may come in any order; a row already written is refused (SYN_EINVAL),
 * as is an index out of range: both mean a bug in the caller's scheduling. */
syn_status syn_h5sweep_write_sample(syn_h5sweep *h, size_t sample, const double *params,
                                    int status, const char *reason, const double *metrics,
                                    const double *traj, syn_error *err);

/* Number of rows written so far. */
size_t syn_h5sweep_written(const syn_h5sweep *h);

/* At a block boundary: when the file is written on disk, flushes it so that
 * the rows written so far survive a crash of the process (an in-memory file
 * has nothing to flush). */
syn_status syn_h5sweep_flush(syn_h5sweep *h, syn_error *err);

/* Finishes the file, fsyncs it and renames <path>.tmp to <path>. */
syn_status syn_h5sweep_commit(syn_h5sweep *h, syn_error *err);

/* Frees; if not committed, closes and removes <path>.tmp. NULL allowed. */
void syn_h5sweep_destroy(syn_h5sweep *h);

#ifdef __cplusplus
}
#endif
#endif
