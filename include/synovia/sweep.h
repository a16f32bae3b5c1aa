/* synovia — parameter sweeps: one scenario run many times (sweep layer).
 *
 * A sweep file (.sweep; grammar in docs/sweeps.md) names a scenario, a design
 * and the parameters it varies. syn_sweep_load parses it, loads the scenario
 * and resolves everything (parameter names through a scratch instance, units,
 * distributions, metrics, arms, a design file's columns), so that evaluating
 * a sample can only fail for reasons of that sample's own values.
 *
 * Determinism: sample i's parameter vector is a pure function of (design,
 * seed, i) (src/sweep/design.h); evaluating it runs the selected arms with
 * those values as overrides after the arms' own settings. Nothing depends on
 * which process evaluates which sample, or in which order.
 *
 * Running a sweep (syn_sweep_run) writes part files in <out>.parts/, commits a
 * part every `checkpoint` seconds, and at the end merges the parts into <out>
 * (the layout of include/synovia/h5sweep.h) with sensitivity indices. Under
 * MPI (syn_parallel_begin found several ranks) rank 0 hands out blocks of
 * samples to every rank including itself and merges at the end.
 *
 * Ownership: load gives a sweep to destroy; strings returned by queries live
 * as long as the sweep. The library never prints: progress goes through a
 * callback, messages through syn_error. */
#ifndef SYNOVIA_SWEEP_H
#define SYNOVIA_SWEEP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "synovia/h5sweep.h"
#include "synovia/scenario.h"
#include "synovia/solver.h"
#include "synovia/status.h"

/* Exported from libsynovia.so; everything else is hidden (docs/c-api.md). */
#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

typedef struct syn_sweep syn_sweep;

syn_status syn_sweep_load(const char *path, syn_sweep **out, syn_error *err);
/* As syn_sweep_load, with every check, but the design is only counted, not
 * built (its tables can take gigabytes: an lhs design of 1e9 samples 4 GB):
 * for a dry run, which reports the sweep without running it. Such a sweep
 * has no parameter vectors (syn_sweep_params fails, but for a design file)
 * and cannot be run or evaluated. */
syn_status syn_sweep_load_plan(const char *path, syn_sweep **out, syn_error *err);
int syn_sweep_is_plan(const syn_sweep *sw); /* 1 when loaded by syn_sweep_load_plan */
void syn_sweep_destroy(syn_sweep *sw); /* NULL allowed */

const char *syn_sweep_title(const syn_sweep *sw);   /* "" if none */
const char *syn_sweep_path(const syn_sweep *sw);
const char *syn_sweep_text(const syn_sweep *sw);
const char *syn_sweep_sha256(const syn_sweep *sw);  /* of the sweep text */
/* SHA-256 of everything that decides the rows: synovia's version, the sweep,
 * scenario and model texts, the design file, and the solver options: here
 * the defaults with the scenario's `solver` settings, which a run records
 * unless given other options (syn_sweep_run_opts.solver, e.g. --rtol): its
 * files then carry the hash with those. Resuming and merging require the
 * same value, so another rtol is never mixed in. */
const char *syn_sweep_config_sha256(const syn_sweep *sw);
const syn_scenario *syn_sweep_scenario(const syn_sweep *sw); /* borrowed */
/* The solver options a sweep runs with unless given others: the defaults,
 * the scenario's `solver` and `atol` lines, then the sweep's `atol` lines
 * (o->atol_vec then points into sw). A caller adds its own on top. */
void syn_sweep_solver_opts(const syn_sweep *sw, syn_solver_opts *o);

const char *syn_sweep_design_name(const syn_sweep *sw); /* "grid", ..., "file" */
/* The CSV file of a `design file` sweep as the sweep names it (resolved
 * like its scenario); "" for the other designs. */
const char *syn_sweep_design_file(const syn_sweep *sw);
uint64_t syn_sweep_seed(const syn_sweep *sw);
size_t syn_sweep_count(const syn_sweep *sw);            /* samples */
/* Base size N of saltelli/morris/sobol/lhs/random designs (0 for grid and file);
 * second order for saltelli. */
size_t syn_sweep_base_count(const syn_sweep *sw);
int syn_sweep_second_order(const syn_sweep *sw);

size_t syn_sweep_param_count(const syn_sweep *sw);
const char *syn_sweep_param_name(const syn_sweep *sw, size_t j);
const char *syn_sweep_param_units(const syn_sweep *sw, size_t j);        /* "" if none */
const char *syn_sweep_param_distribution(const syn_sweep *sw, size_t j); /* "uniform 0.3 1" */
/* The range a sample can take (model clock units): bounds of bounded
 * distributions, -inf/inf otherwise; a design file's column range. */
void syn_sweep_param_range(const syn_sweep *sw, size_t j, double *lo, double *hi);

/* The arms and metrics kept (the sweep's `arms` and `metrics`, or all). */
size_t syn_sweep_arm_count(const syn_sweep *sw);
const char *syn_sweep_arm_name(const syn_sweep *sw, size_t k);
size_t syn_sweep_metric_count(const syn_sweep *sw);
const char *syn_sweep_metric_name(const syn_sweep *sw, size_t k);
const char *syn_sweep_metric_units(const syn_sweep *sw, size_t k);
int syn_sweep_keeps_trajectories(const syn_sweep *sw);

/* Sample i's parameter values (model clock units) into x[param_count]. */
syn_status syn_sweep_params(const syn_sweep *sw, size_t i, double *x, syn_error *err);

/* Point i of an n-point design ("random", "lhs" or "sobol") in the unit cube
 * of dims dimensions into u[dims], each coordinate in (0, 1): the sweep's own
 * design code, for callers that draw starting points (synovia fit). random
 * and sobol points depend on i (and the seed) only, not on n; an lhs point
 * depends on n too (its strata). SYN_EINVAL for another name or i >= n. */
syn_status syn_sweep_design_unit(const char *design, uint64_t seed, size_t n, size_t dims,
                                 size_t i, double *u, syn_error *err);

/* ---- evaluating samples ------------------------------------------------------------- */

/* Per-thread/rank workspace: the buffers one sample fills. */
typedef struct syn_sweep_eval syn_sweep_eval;

syn_status syn_sweep_eval_create(const syn_sweep *sw, const syn_solver_opts *opts,
                                 syn_sweep_eval **out, syn_error *err);
void syn_sweep_eval_destroy(syn_sweep_eval *ev); /* NULL allowed */

typedef struct syn_sweep_sample {
  size_t index;
  int status;              /* a syn_sweep_status (h5sweep.h): OK or a failure */
  const char *reason;      /* "" when ok; else "arm 'IA': <message>" */
  const double *params;    /* [param_count] */
  const double *metrics;   /* [arm_count * metric_count], arm-major */
  const double *traj;      /* [arm_count * nseries * ntimes] or NULL */
} syn_sweep_sample;

/* Run sample i. A failure of the sample itself (the solver gives up, a
 * non-finite value, a value the model refuses) is not an error: it is
 * returned in out->status/reason with NaN metrics. Errors are only
 * SYN_ENOMEM and bad arguments. out's pointers live until the next call. */
syn_status syn_sweep_eval_sample(syn_sweep_eval *ev, size_t i, syn_sweep_sample *out,
                                 syn_error *err);

/* The trajectories kept per arm (all states and outputs of the model) and
 * their common time grid. 0 series when the sweep keeps none. */
size_t syn_sweep_series_count(const syn_sweep *sw);
const char *syn_sweep_series_name(const syn_sweep *sw, size_t k);
const char *syn_sweep_series_units(const syn_sweep *sw, size_t k);
size_t syn_sweep_time_count(const syn_sweep *sw);
const double *syn_sweep_times(const syn_sweep *sw);

/* ---- parallel runs ------------------------------------------------------------------ */

/* MPI, when the process was started by mpirun/srun (Open MPI, MPICH, PMIx or
 * Slurm PMI variables in the environment); otherwise nothing is initialised
 * and the sweep runs alone: the same binary works without mpirun. */
typedef struct syn_parallel {
  int rank, size; /* 0, 1 without MPI */
  int mpi;        /* 1 if MPI was initialised (call syn_parallel_end) */
  const struct sweep_mpi_ops *mpi_ops; /* internal: MPI's functions, loaded by begin */
} syn_parallel;

syn_status syn_parallel_begin(int *argc, char ***argv, syn_parallel *p, syn_error *err);
void syn_parallel_end(syn_parallel *p); /* finalises MPI if begun; NULL allowed */
/* When srun started this process as one of several tasks that are not one
 * MPI job (each rank 0 of 1: srun without a usable MPI plugin), the number of
 * those tasks; else 0. Such copies would each run the same samples into the
 * same files. Under mpirun the answer is 0 (its ranks are not srun's tasks). */
long syn_parallel_separate_copies(const syn_parallel *p);
/* 1 if ok is non-zero on every rank (collective: every rank must call it at
 * the same point). A rank that failed alone (e.g. could not read a file)
 * thus stops all the others instead of leaving them waiting. */
int syn_parallel_agree(const syn_parallel *p, int ok);

/* ---- running a sweep ---------------------------------------------------------------- */

typedef struct syn_sweep_progress {
  size_t done, total;  /* samples finished (this run and resumed), of the run's range */
  size_t failed;       /* of the done ones, those with a non-ok status */
  size_t skipped;      /* finished before (--resume) */
  double elapsed;      /* seconds since the run started */
} syn_sweep_progress;

typedef struct syn_sweep_run_opts {
  const char *out_path;      /* the final file */
  const char *command_line;  /* provenance; may be NULL */
  const syn_solver_opts *solver; /* complete options (e.g. the defaults, the scenario's
                                    `solver` settings, the command line's); NULL: the
                                    defaults with the scenario's settings. Part of the
                                    configuration hash of the files */
  int resume;                /* 1: keep the finished samples of committed parts */
  size_t task_index, task_count; /* task_count > 0: run shard task_index only and write
                                    it as <out stem>.task-<i>-of-<n>.h5 (see
                                    syn_sweep_shard_path) */
  size_t block;              /* samples per block handed out (0: automatic) */
  double checkpoint;         /* seconds between part commits (0: 30 s) */
  size_t n_boot;             /* bootstrap resamples for Sobol intervals (0: 1000) */
  double conf_level;         /* 0: 0.95 */
  const volatile sig_atomic_t *stop; /* set by a signal handler: finish the current
                                        sample, commit, return SYN_EINTR */
  void (*progress)(void *ctx, const syn_sweep_progress *p); /* rank 0 only; may be NULL */
  void *progress_ctx;
  double progress_every;     /* seconds between progress calls (0: 1 s) */
  const syn_parallel *par;   /* NULL: alone */
  /* A warning worth showing that does not stop the run (rank 0 only; may be
   * NULL): the file system has no locks, so nothing stops a second run. */
  void (*notice)(void *ctx, const char *text);
  void *notice_ctx;
} syn_sweep_run_opts;

void syn_sweep_run_opts_default(syn_sweep_run_opts *o);

typedef struct syn_sweep_report {
  size_t total, ran, skipped, failed; /* samples in the run's range; run now; finished before;
                                         failed (of all done) */
  int interrupted;           /* stopped by a signal: parts committed, no final file */
  char out_path[1024];       /* the file written (the shard file for a task) */
  double seconds;
  /* Under MPI, rank 0 (zero elsewhere): the blocks the workers reported and
   * the time handling them took (receive, bookkeeping, the next block sent;
   * waiting left out), and the samples rank 0 ran itself and their time. */
  size_t coord_blocks, own_samples;
  double coord_seconds, own_seconds;
} syn_sweep_report;

/* Runs the sweep (or its shard) and writes the result. Interrupted by *stop:
 * returns SYN_EINTR with a message saying how to resume, report->interrupted=1.
 *
 * One run of an output at a time: rank 0 holds an advisory fcntl lock on
 * <final file>.lock ("pid N on host H") from before it looks at the parts
 * folder <final file>.parts/ until the run ends. A second run (or a merge,
 * syn_sweep_merge_files) of the same output is refused at once, SYN_EINVAL
 * naming that pid and host, and touches nothing.
 *
 * Every committed part carries a SHA-256 of its bytes (syn_h5sweep_part_verify);
 * a resume and the final merge refuse a damaged part, or anything in the
 * folder named like a part that is not a regular file, by name (SYN_EIO). */
syn_status syn_sweep_run(const syn_sweep *sw, const syn_sweep_run_opts *o,
                         syn_sweep_report *report, syn_error *err);

/* ---- jobs: what the runner evaluates per index ---------------------------------------- */

/* The runner (syn_job_run) drives any job whose work is `count` independent
 * rows, each a pure function of its index: it splits them among MPI ranks or
 * job-array shards, writes them into part files of the sweep layout
 * (h5sweep.h), commits, resumes and merges them. A sweep is one kind of job
 * (its samples), a fit's multistart another (its starts: fit/multistart.h).
 * The job describes its rows with an h5sweep spec: params are the row's
 * inputs (a sample's values, a start point), the metrics of its arms the
 * rest (a sweep's metrics, a start's end point and objective).
 *
 * Thread safety: eval is called by one thread of each process; every process
 * (MPI rank) builds its own job. Strings and the spec are borrowed: they
 * live as long as the run. */
typedef struct syn_job {
  const char *what;   /* "sweep", "fit": in messages ("... of this sweep") */
  const char *noun;   /* "sample", "start": in messages and progress */
  const char *inputs; /* what decides its rows, for a refused resume: "the sweep,
                         scenario or model files, the solver options, or synovia" */
  const syn_h5sweep_spec *spec; /* the rows' layout; nsamples is the count, config_sha256
                                   what resume and merge compare; task fields ignored */
  const char *config_text; /* the root attribute solver_config of its files; may be NULL */
  /* Row i into *out (pointers valid until the next call). A failure of the row
   * itself is its status and reason, not an error: errors are SYN_ENOMEM and
   * bad arguments only, and stop the run. */
  syn_status (*eval)(void *ctx, size_t i, syn_sweep_sample *out, syn_error *err);
  /* Whole runs (not a shard), rank 0: the merged file, open before its
   * commit, with its spec; e.g. a sweep's sensitivity indices. NULL: none. */
  syn_status (*finish)(void *ctx, syn_h5sweep *merged, const syn_h5sweep_spec *spec,
                       syn_error *err);
  /* Whole runs, under the output's lock and before the parts are removed:
   * NULL, the merged rows are the output. Otherwise rank 0 merges the rows
   * into <out>.rows (committed) and then EVERY rank calls deliver (under MPI
   * a collective step: it may run another job with the same ranks, as a
   * fit's profiles do, and must then be called alike on all of them); it
   * writes `out` from the rows (a fit file from the starts, on rank 0) or
   * keeps what it needs of them. <out>.rows is removed afterwards, and a
   * failure (rank 0's outcome is every rank's) keeps the parts for a
   * --resume. */
  syn_status (*deliver)(void *ctx, const char *rows_path, const char *out, syn_error *err);
  void *ctx;
  /* SYN_OK; else this process could not build the job (the err passed to
   * syn_job_run already says why): the run then fails on every MPI rank
   * alike instead of leaving the others waiting. */
  syn_status setup_status;
} syn_job;

/* Runs the job (or its shard) as syn_sweep_run runs a sweep: the same parts,
 * lock, resume, MPI and signals; o->solver, n_boot and conf_level are the
 * job's business (ignored here). Messages name the job's `what` and `noun`. */
syn_status syn_job_run(const syn_job *job, const syn_sweep_run_opts *o,
                       syn_sweep_report *report, syn_error *err);

/* Joins shard files of a job into out_path as syn_sweep_merge_files does,
 * then finish and deliver as at the end of syn_job_run. job->spec may be NULL
 * (the shards' own spec is used); else the shards must have its
 * config_sha256 and count (SYN_EINVAL naming the first shard that has not).
 * par NULL: alone; under MPI every rank calls it (collective): rank 0 takes
 * the lock and merges the parts it was given (the others' are ignored), then
 * every rank delivers, as at the end of syn_job_run. */
syn_status syn_job_merge_files(const syn_job *job, const char *out_path,
                               const char *const *parts, size_t nparts,
                               const char *command_line, const syn_parallel *par,
                               syn_sweep_report *report, syn_error *err);

/* The sample range [*first, *end) of shard `index` of `count` (contiguous,
 * sizes differing by at most one). */
void syn_sweep_shard_range(size_t nsamples, size_t index, size_t count, size_t *first,
                           size_t *end);
/* "<dir>/<stem>.task-0003-of-0008.h5" for out_path "<dir>/<stem>.h5" into buf;
 * SYN_ELIMIT if it does not fit. */
syn_status syn_sweep_shard_path(const char *out_path, size_t index, size_t count, char *buf,
                                size_t size, syn_error *err);

/* Joins shard files (or any parts of one sweep) into out_path, computes the
 * indices, commits. Refuses missing, duplicated or mismatched parts, and an
 * output that a run or another merge holds the lock of (as syn_sweep_run). */
syn_status syn_sweep_merge_files(const char *out_path, const char *const *parts, size_t nparts,
                                 const char *command_line, size_t n_boot, double conf_level,
                                 syn_sweep_report *report, syn_error *err);

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
