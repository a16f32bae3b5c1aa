/* synovia — HDF5 sweep files: writer, reader and merge (NetCDF-4 compatible;
 * io layer).
 *
 * Layout (docs/output-format.md, "Sweep files"):
 *   /                      root attributes as in run files, plus sweep_sha256,
 *                          config_sha256, sweep_file, design, seed, base_seed,
 *                          n_samples, design_n, second_order and morris_levels
 *                          (int64, when not 0), solver_config (text, when written:
 *                          syn_h5sweep_write_solver_config) and, for a shard,
 *                          task_index and task_count
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
 * Sensitivity indices (syn_h5sweep_write_sobol / _morris), per arm, with the
 * arm's `metric` scale on axis 0 and the root `param` scale on axis 1 (a
 * scale of the parent group: netCDF-4 and xarray see the dimension `param`
 * in the arm group; its coordinate values are the root's /param):
 *   /arms/<arm>/sobol_S1, sobol_S1_conf, sobol_ST, sobol_ST_conf
 *                          float64 (metric, param), units "1", NaN fill; _conf is
 *                          the half-width of the bootstrap confidence interval
 *   /arms/<arm>/sobol_n_used, sobol_n_dropped   int64 (metric): base rows used
 *                          in / left out of the estimate (a failed sample in them)
 *   /arms/<arm> attributes sobol_n_base, sobol_n_boot, sobol_confidence_level,
 *                          sobol_estimator_S1, sobol_estimator_ST
 *   /arms/<arm>/morris_mu, morris_mu_star, morris_sigma, morris_mu_star_conf
 *                          float64 (metric, param), NaN fill; elementary effects
 *                          per unit-cube step (SALib), so in the units of each
 *                          metric (metric_units): no `units` attribute, a comment
 *   /arms/<arm>/morris_n_used, morris_n_dropped  int64 (metric): trajectories
 *   /arms/<arm> attributes morris_n_trajectories, morris_num_levels,
 *                          morris_n_boot, morris_confidence_level
 *
 * Rows are keyed by the global sample index, so a shard of a sweep (an MPI
 * rank's part, a job-array task) has the full `sample` axis and writes only
 * its own rows; rows it never wrote read as NaN and status 0 (not_run), which
 * is what a merge step looks at.
 *
 * Like run files, the file is written as <path>.tmp and renamed to <path> by
 * syn_h5sweep_commit (after fsync), so <path> never names a partial file.
 *
 * Errors: SYN_EINVAL for a bad argument or call (a row written twice, a spec
 * that cannot be written), a file that is not a synovia sweep file, and parts
 * that do not belong together; SYN_EIO when a file cannot be created, opened
 * (missing, not HDF5, truncated), read or written; SYN_ENOMEM. Every message
 * names the file. HDF5 never prints. */
#ifndef SYNOVIA_H5SWEEP_H
#define SYNOVIA_H5SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "synovia/h5.h"
#include "synovia/status.h"

/* Exported from libsynovia.so; everything else is hidden (docs/c-api.md). */
#pragma GCC visibility push(default)
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
  const char *sweep_sha256;   /* hex of the sweep text; NULL or "" when unknown */
  const char *config_sha256;  /* hex of everything that decides the rows (resume and
                                 merge compare it); NULL or "" when unknown */
  const char *sweep_file;     /* NULL or "" when none */
  const char *design;         /* "grid", "lhs", "saltelli", ...; NULL or "" when unknown */
  uint64_t seed, base_seed;
  size_t design_n;            /* base size N of the design (saltelli, morris, sobol, lhs,
                                 random); 0: none (grid, file) or unknown */
  int second_order;           /* saltelli with the BA rows: N(2D+2) samples */
  size_t morris_levels;       /* p of a morris design; 0: none */
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
  const char *const *series_names;/* [nseries], unique, not "time", "metric",
                                     "metric_units", "metric_value", sobol_*, morris_* */
  const char *const *series_units;/* [nseries] or NULL */
  size_t ntimes;                  /* > 0 when nseries > 0 */
  const double *times;            /* [ntimes], the common output grid of every arm */
  const char *time_units;         /* "h"; NULL or "" -> "1" */

  /* Files whose data (uncompressed) would exceed this many bytes are written
   * straight to <path>.tmp instead of being built in memory; 0: 64 MiB. */
  size_t memory_limit;
  /* At most this many rows per chunk of the per-sample datasets; 0: chunks of
   * up to 256 KiB (tens of thousands of rows of a small table), best for the
   * final file. A part whose rows interleave with other writers' (MPI ranks
   * taking blocks of samples in turn) is merged several times faster with
   * chunks of about one block: the merge then decompresses only its rows. */
  size_t chunk_rows;
  /* A part file (in OUT.parts/, read back only by syn_h5sweep_merge, which
   * reads the reasons of failed rows only): /status_reason gets no fill value
   * and /sample holds only the indices of the rows written (the others read
   * as -1), so both have storage only for the rows written and a part costs
   * what it holds, whatever nsamples; and the committed file is sealed
   * (syn_h5sweep_part_verify). Its rows never written read as NULL strings, on which rhdf5 and
   * ncdf4 crash. 0 for every file a person reads: then /status_reason has the
   * fill value "" and all its chunks allocated at creation (about 18 bytes
   * per sample; HDF5 1.10 cannot read an unallocated chunk of a string
   * dataset with a fill value from a read-only file). */
  int part;
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
/* The root attribute solver_config: the solver options the rows were
 * computed with, as text (not part of the spec, so that the spec's layout
 * stays as it is). Before the commit; NULL or "" writes nothing. */
syn_status syn_h5sweep_write_solver_config(syn_h5sweep *h, const char *text, syn_error *err);

/* Frees; if not committed, closes and removes <path>.tmp. NULL allowed. */
void syn_h5sweep_destroy(syn_h5sweep *h);

/* A part (spec.part) is sealed when it is committed: its first 512 bytes
 * are an HDF5 user block holding the SHA-256 of every byte after them (the
 * whole HDF5 file; HDF5 and its tools skip the block). This checks a part
 * before anything reads it, with no HDF5 call:
 *   "'P' is named like a sweep part but is not a regular file (a FIFO)" (a
 *      directory, a symbolic link, a device, ...; never opened)      SYN_EIO
 *   "'P' is damaged (checksum mismatch): delete it and run again with
 *      --resume" (or "(no checksum where its seal belongs)", or "(N bytes
 *      where its checksum covers M)"), with a hint                   SYN_EIO
 *   "cannot read sweep part 'P': <errno text>"                       SYN_EIO */
syn_status syn_h5sweep_part_verify(const char *path, syn_error *err);

/* Writes the rows first .. first+count-1 from blocks laid out like
 * write_sample's arguments, row after row:
 *   params  [count * nparams]                         (required)
 *   status  [count]: a row with status 0 (NOT_RUN) is skipped, not written
 *   reasons [count] strings ("" or NULL when ok), or NULL: all ""
 *   metrics [count * narms * nmetrics] or NULL; traj [count * narms * nseries *
 *           ntimes] or NULL (NaN)
 * Each run of consecutive written rows goes to every dataset in one write, so
 * this is much faster than a loop of write_sample. Everything is checked
 * before anything is written: a row already written, an index out of range
 * or a bad status refuse the whole block (SYN_EINVAL). */
syn_status syn_h5sweep_write_rows(syn_h5sweep *h, size_t first, size_t count,
                                  const double *params, const signed char *status,
                                  const char *const *reasons, const double *metrics,
                                  const double *traj, syn_error *err);

/* Reads back rows of the file being written (e.g. the merged metrics, to
 * compute indices before the commit); layout as in syn_h5sweep_read_rows. */
syn_status syn_h5sweep_read_back(syn_h5sweep *h, size_t first, size_t count, double *params,
                                 signed char *status, double *metrics, double *traj,
                                 syn_error *err);

/* ---- sensitivity indices (layout above) ---------------------------------------- */

/* Sobol indices of one arm. Arrays [nmetrics * nparams] are metric-major (metric
 * m, parameter j at m * nparams + j), nmetrics and nparams those of the file. */
typedef struct syn_h5sweep_sobol {
  const double *S1, *ST;           /* required */
  const double *S1_conf, *ST_conf; /* half-widths of the intervals, or NULL (NaN) */
  const size_t *n_used;            /* [nmetrics] base rows used, or NULL (not written) */
  const size_t *n_dropped;         /* [nmetrics] base rows dropped, or NULL */
  size_t n_base;                   /* N, base rows of the design; 0: not written */
  size_t n_boot;                   /* bootstrap resamples (0: none) */
  double confidence_level;         /* of the intervals, in (0, 1); 0: not written */
  const char *estimator_S1;        /* e.g. "saltelli2010"; NULL or "": not written */
  const char *estimator_ST;        /* e.g. "jansen1999"; NULL or "": not written */
} syn_h5sweep_sobol;

/* Morris statistics of one arm, arrays as for Sobol. */
typedef struct syn_h5sweep_morris {
  const double *mu, *mu_star, *sigma; /* required */
  const double *mu_star_conf;         /* or NULL (NaN) */
  const size_t *n_used;               /* [nmetrics] trajectories used, or NULL */
  const size_t *n_dropped;            /* [nmetrics] trajectories dropped, or NULL */
  size_t n_trajectories;              /* r; 0: not written */
  size_t num_levels;                  /* p of the grid; 0: not written */
  size_t n_boot;                      /* for mu_star_conf (0: none) */
  double confidence_level;            /* 0: not written */
} syn_h5sweep_morris;

/* Writes the indices of arm `arm` (index into the spec's arm_names) before the
 * commit. Refused (SYN_EINVAL) when the file has no metrics, the arm is out of
 * range, a required array is NULL, or the arm's indices of that kind are
 * already written. */
syn_status syn_h5sweep_write_sobol(syn_h5sweep *h, size_t arm, const syn_h5sweep_sobol *ix,
                                   syn_error *err);
syn_status syn_h5sweep_write_morris(syn_h5sweep *h, size_t arm, const syn_h5sweep_morris *ix,
                                    syn_error *err);

/* ---- reading ------------------------------------------------------------------- */

typedef struct syn_h5sweep_reader syn_h5sweep_reader;

/* Opens a sweep file (or a committed part, or a shard) for reading and checks
 * that it is one: every dataset of the layout there, of the right type and
 * shape, the same metrics, series and time grid in every arm. Anything else
 * is one error naming the file and what is wrong:
 *   "cannot open sweep file 'x.h5': No such file or directory"       (SYN_EIO)
 *   "sweep file 'x.h5' is not an HDF5 file"                          (SYN_EIO)
 *   "sweep file 'x.h5' is truncated or damaged (HDF5: <detail>)"     (SYN_EIO)
 *   "sweep file 'x.h5' is being written by another process (HDF5: ...)" (SYN_EIO)
 *   "sweep file 'x.h5' is not a synovia sweep file: no dataset '/status'" (SYN_EINVAL)
 * (and "... : '/param_value' has shape (10, 2), not (10, 3)", etc.) */
syn_status syn_h5sweep_open(const char *path, syn_h5sweep_reader **out, syn_error *err);
void syn_h5sweep_reader_destroy(syn_h5sweep_reader *r); /* NULL allowed */

/* The spec reconstructed from the file: every name, unit, bound, distribution,
 * the time grid, design, seeds, nsamples, task_index/count, the hashes and
 * prov (provenance files and texts, title, model_sha256, scenario_sha256 and
 * scenario_file, command_line, created). Units the writer stored as "1" (CF's
 * dimensionless, also for "" or NULL) read as "1"; param_lower/upper and
 * param_distribution are NULL when the file has none; memory_limit and
 * chunk_rows are 0.
 * Everything is owned by the reader, valid until it is destroyed. Passing it
 * to syn_h5sweep_create makes an equivalent empty file. */
const syn_h5sweep_spec *syn_h5sweep_reader_spec(const syn_h5sweep_reader *r);
const char *syn_h5sweep_reader_path(const syn_h5sweep_reader *r);
/* The synovia version that wrote the file (root attribute synovia_version);
 * "" when the file has none. Owned by the reader. */
const char *syn_h5sweep_reader_version(const syn_h5sweep_reader *r);
/* The root attribute solver_config (syn_h5sweep_write_solver_config); "" when absent. */
const char *syn_h5sweep_reader_solver_config(const syn_h5sweep_reader *r);

/* Rows first .. first+count-1 (first + count <= nsamples). status [count];
 * params [count * nparams]; metrics [count * narms * nmetrics], arm-major per
 * row as in write_sample; traj [count * narms * nseries * ntimes]. Any of the
 * buffers may be NULL (not read). Rows never written read as NaN / status 0.
 * Reading in blocks of a few thousand rows is efficient (the datasets are
 * chunked by rows). */
syn_status syn_h5sweep_read_status(syn_h5sweep_reader *r, size_t first, size_t count,
                                   signed char *status, syn_error *err);
syn_status syn_h5sweep_read_rows(syn_h5sweep_reader *r, size_t first, size_t count,
                                 double *params, signed char *status, double *metrics,
                                 double *traj, syn_error *err);

/* The reason of row `sample` ("" unless it failed), snprintf-like: at most
 * size bytes including the NUL into buf (NULL when size is 0), cut at a
 * UTF-8 character boundary; *len (may be NULL) gets the full length. */
syn_status syn_h5sweep_read_reason(syn_h5sweep_reader *r, size_t sample, char *buf,
                                   size_t size, size_t *len, syn_error *err);

/* The indices of one arm as written by syn_h5sweep_write_sobol / _morris.
 * Arrays [nmetrics * nparams] metric-major (NaN where unknown), counts
 * [nmetrics]; NULL when the file has no such dataset (e.g. every field of the
 * other kind). Arrays are owned by the struct (syn_h5sweep_indices_free);
 * the estimator strings by the reader. */
typedef enum syn_h5sweep_index_kind {
  SYN_H5SWEEP_NO_INDICES = 0,
  SYN_H5SWEEP_SOBOL = 1,
  SYN_H5SWEEP_MORRIS = 2
} syn_h5sweep_index_kind;

typedef struct syn_h5sweep_indices {
  syn_h5sweep_index_kind kind; /* Sobol when the arm has sobol_S1, else Morris when it
                                  has morris_mu, else none */
  size_t nmetrics, nparams;
  double *S1, *S1_conf, *ST, *ST_conf;         /* Sobol */
  double *mu, *mu_star, *mu_star_conf, *sigma; /* Morris */
  size_t *n_used, *n_dropped;                  /* of the kind */
  size_t n_base, n_boot, n_trajectories, num_levels; /* 0 when not in the file */
  double confidence_level;                     /* 0 when not in the file */
  const char *estimator_S1, *estimator_ST;     /* "" when not in the file */
} syn_h5sweep_indices;

/* Reads the indices of arm `arm` (an index into the spec's arm_names); an
 * arm without indices gives kind NO_INDICES and SYN_OK. On error *out owns
 * nothing. */
syn_status syn_h5sweep_read_indices(syn_h5sweep_reader *r, size_t arm, syn_h5sweep_indices *out,
                                    syn_error *err);
void syn_h5sweep_indices_free(syn_h5sweep_indices *ix); /* frees the arrays, zeroes; NULL ok */

/* ---- merging parts ------------------------------------------------------------- */

typedef struct syn_h5sweep_merge_opts {
  const char *command_line;  /* of the merged file; NULL: the first part's */
  const char *created;       /* date_created; NULL: now (the merge's own time). The
                                parts' are kept as parts_date_created, the ISO 8601
                                interval "<earliest>/<latest>" */
  int check_tasks;           /* the parts are the shards of a job array: all of the same
                                task_count, each task exactly once */
  size_t require_first;      /* every sample in [require_first, require_end) must be */
  size_t require_end;        /* in a part; end is clamped to nsamples, so {0, SIZE_MAX}
                                requires all; end <= first: none */
  size_t task_index, task_count; /* of the merged file; task_count 0: a whole sweep */
  size_t memory_limit;       /* of the merged file (syn_h5sweep_spec.memory_limit) */
  size_t window_rows;        /* rows copied at a time; 0: automatic (16 MiB of rows,
                                at most 65536); never more than the automatic number */
} syn_h5sweep_merge_opts;

/* Merges the rows of parts (files of one sweep, each with the full sample
 * axis and some rows written) into <out_path>.tmp, with the first part's spec
 * (task and provenance fields from opts; NULL opts: all zero) and returns the
 * open, uncommitted writer: the caller may add indices (syn_h5sweep_read_back
 * gives the merged rows), then syn_h5sweep_commit, or destroy to abandon.
 *
 * Streams: parts are read and the output written in windows of rows in
 * ascending sample order, so the data are the same however the rows were
 * split among parts, and memory does not grow with the number of samples
 * beyond the writer's bitmap (one bit per sample): a window (at most 32 MiB
 * with its scratch copy), the chunk caches of the parts kept open (at most
 * 32 parts, 64 MiB), a few words per part, and the merged file itself while
 * it is smaller than memory_limit (it is written on disk otherwise). Only the
 * rows a part has are read (the chunks of its /status with storage, then its
 * runs of rows), so many small parts cost what they hold.
 *
 * Refused (SYN_EINVAL, nothing left on disk), e.g.:
 *   "merge into 'out.h5': 'b.h5' does not match 'a.h5': different configuration
 *    (config_sha256 'ab12' vs 'cd34')"  (or numbers of samples, parameters,
 *    arms, metrics, trajectories, time grids)
 *   "merge into 'out.h5': sample 17 is in both 'a.h5' and 'b.h5'"
 *   "merge into 'out.h5': 3 samples of 0..99 are missing (the first is sample 40)"
 *   "merge into 'out.h5': task 3 of 8 is missing"
 *   "merge into 'out.h5': task 2 appears twice: 'a.h5' and 'b.h5'"
 *   "merge into 'out.h5': 'a.h5' is not a shard of a job array (no task_count)"
 *   "merge into 'out.h5': 'b.h5' is a task of 4 but 'a.h5' of 8"
 * and a part that cannot be read gives its reader's error. */
syn_status syn_h5sweep_merge(const char *out_path, const char *const *parts, size_t nparts,
                             const syn_h5sweep_merge_opts *opts, syn_h5sweep **out,
                             syn_error *err);

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
