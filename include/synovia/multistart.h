/* synovia — a fit's multistart: N optimisations from starts drawn inside the
 * bounds (fit layer; docs/fitting.md, "Estimating: multistart").
 *
 * Start k is a pure function of k (the fit file's design, seed and `starts`
 * block: syn_multistart_run_start says how), so the starts can run in any
 * order on any process. syn_multistart_run hands them to the sweep runner as
 * a job (sweep.h: syn_job): serially, under MPI (rank 0 coordinates and
 * computes) or as one shard of a job array, with the runner's part files,
 * lock, checkpoints, --resume and merge. Each start is one row of those files
 * (the sweep layout, h5sweep.h): params = the start point, arm "fit" with the
 * metrics objective, iterations, evaluations, optimizer_status (a
 * syn_optim_status; -1 when the optimiser did not run) and "end NAME" per
 * parameter (linear values). A start is ok when it converged with the status's
 * own text; else its status is error and its reason the optimiser's message
 * ("failed: ...", "stopped: ..."), its values still there. A failed start is a
 * result, never an error.
 *
 * Ownership: create gives a multistart to destroy; it borrows the fit, which
 * must outlive it. Results' pointers live until the next call. One
 * multistart is used by one thread at a time. The library never prints. */
#ifndef SYNOVIA_MULTISTART_H
#define SYNOVIA_MULTISTART_H

#include <stddef.h>
#include <stdint.h>

#include "synovia/fit.h"
#include "synovia/optim.h"
#include "synovia/status.h"
#include "synovia/sweep.h"

/* Exported from libsynovia.so; everything else is hidden (docs/c-api.md). */
#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

typedef struct syn_multistart syn_multistart;

typedef struct syn_multistart_opts {
  size_t starts;              /* 0: the fit file's `multistart N` */
  int64_t seed;               /* < 0: the fit file's */
  const syn_optim_type *type; /* NULL: the fit file's; a least-squares type on a fit with
                                 no residual form becomes lbfgs (exact gradient) */
  const char *command_line;   /* provenance of the files written; may be NULL */
} syn_multistart_opts;

/* SYN_ENOMEM, or the objective's / optimiser's errors (SYN_EINVAL). */
syn_status syn_multistart_create(const syn_fit *fit, const syn_multistart_opts *o,
                                 syn_multistart **out, syn_error *err);
void syn_multistart_destroy(syn_multistart *ms); /* NULL allowed */

size_t syn_multistart_count(const syn_multistart *ms);
uint64_t syn_multistart_seed(const syn_multistart *ms);
const syn_optim_type *syn_multistart_type(const syn_multistart *ms);
/* SHA-256 of what decides the rows: synovia's version, the fit, scenario,
 * model and data texts, the optimiser, design, block and seed. */
const char *syn_multistart_config_sha256(const syn_multistart *ms);

typedef struct syn_start_result {
  size_t index;
  const double *start, *end; /* [param count], linear; NaN where unknown */
  double objective;          /* at end; NaN when the optimiser did not run */
  size_t iterations, evaluations;
  int optim_status;          /* a syn_optim_status; -1: the optimiser did not run */
  const char *message;       /* the optimiser's, or "failed: REASON" */
} syn_start_result;

/* Start k: its point on each parameter's scale is lower + u (upper - lower)
 * with u point k mod B of the design's B-point design number k / B (B the
 * fit file's `starts`, seed + k / B), so the first B starts are one Latin
 * hypercube and start k does not depend on how many run; start 0 takes the
 * fit file's `start` values where given. Then the optimiser from there.
 * Errors: SYN_ENOMEM and k out of range only. */
syn_status syn_multistart_run_start(syn_multistart *ms, size_t k, syn_start_result *out,
                                    syn_error *err);

/* The starts of a whole multistart, read back from its merged rows. */
typedef struct syn_multistart_table {
  size_t nstarts, nparams;
  double *start, *end;         /* [nstarts * nparams] linear */
  double *objective;           /* [nstarts] */
  long long *iterations, *evaluations;
  char **status;               /* [nstarts] the optimisers' messages */
  size_t best;                 /* the lowest finite objective (the first of equals) */
  double best_objective;       /* NaN when no start has a finite one */
} syn_multistart_table;

void syn_multistart_table_free(syn_multistart_table *t); /* zeroes; NULL allowed */

/* Writes the output `out` from the starts (e.g. a fit file). */
typedef syn_status (*syn_multistart_deliver)(void *ctx, const syn_multistart_table *t,
                                             const char *out, syn_error *err);

/* Runs every start (or the shard o->task_index of o->task_count) through the
 * sweep runner, as syn_sweep_run runs a sweep (o->out_path the output; its
 * parts in <out>.parts/, its lock <out>.lock; stop, resume, progress, par).
 * A whole run then reads the merged starts and calls deliver(ctx, table,
 * out_path) on EVERY rank (under MPI a collective step, as syn_job says: the
 * deliverer may run the profiles as another job on all the ranks; rank 0
 * writes the output); a shard writes <stem>.task-I-of-N.h5 (sweep layout).
 * SYN_EINTR when stopped (report->interrupted). */
syn_status syn_multistart_run(syn_multistart *ms, const syn_sweep_run_opts *o,
                              syn_multistart_deliver deliver, void *ctx,
                              syn_sweep_report *report, syn_error *err);

/* Joins the shards of one multistart (this fit's configuration and count)
 * and delivers out_path, under its lock, as the end of a whole run does.
 * par NULL: alone; under MPI every rank calls it (rank 0's shards are merged,
 * then every rank delivers). */
syn_status syn_multistart_merge(syn_multistart *ms, const char *out_path,
                                const char *const *shards, size_t nshards,
                                syn_multistart_deliver deliver, void *ctx,
                                const syn_parallel *par, syn_sweep_report *report,
                                syn_error *err);

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
