/* synovia — the resolved sweep shared by the sweep layer's files (internal).
 *
 * sweep.c loads and resolves (syn_sweep_load), eval.c runs samples,
 * designfile.c reads `design file` tables, run.c drives a whole sweep
 * (serial, shards, MPI through parallel.c) and merge.c joins parts. */
#ifndef SYN_SWEEP_INTERNAL_H
#define SYN_SWEEP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "base/sha256.h"
#include "design.h"
#include "lang/sweep_ast.h"
#include "synovia/h5sweep.h"
#include "synovia/sweep.h"

/* A `design file` table: rows x cols values, column j for parameter j. */
typedef struct sweep_table {
  size_t rows, cols;
  size_t header_line; /* 1-based line of the header (comments may come before it) */
  double *v;      /* row-major [rows * cols] */
  char **names;   /* [cols] the header */
  char *text;     /* the file's text (for provenance and the hash) */
  char *path;     /* resolved path */
} sweep_table;

struct syn_sweep {
  syn_sweep_ast *ast;
  syn_scenario *scenario;
  char *path;
  char sha256[SYN_SHA256_HEX];
  char files_sha256[SYN_SHA256_HEX];  /* the files and synovia's version */
  char config_sha256[SYN_SHA256_HEX]; /* ... and the default solver options with the
                                         scenario's settings (sweep_run_config) */
  char *solver_config;                /* owned: their text (sweep_run_config) */
  const char *design_name;
  uint64_t seed;
  size_t nsamples;

  size_t nparams;
  const char **param_names;     /* arena */
  const char **param_units;     /* arena */
  const char **param_dist;      /* arena: "uniform 0.3 1" */
  double *param_lo, *param_hi;  /* arena */
  syn_dist *dists;              /* arena */
  size_t *levels;               /* arena (grid) */
  syn_design *design;           /* NULL for a design file, and in a plan */
  int plan_only;                /* syn_sweep_load_plan: the design is counted, not built */
  sweep_table table;            /* design file */

  size_t narms;                 /* output arms: the arms run, then the differences */
  size_t nrun;                  /* arms run */
  size_t *arms;                 /* arena [nrun]: scenario arm indices */
  const char **arm_names;       /* arena [narms] */
  size_t *diff_a, *diff_b;      /* arena [narms - nrun]: indices into the arms run */
  size_t nmetrics;
  size_t *metrics;              /* arena: scenario metric indices */
  const char **metric_names, **metric_units; /* arena */

  size_t nseries;               /* 0 unless keep trajectories */
  const char **series_names, **series_units; /* arena */
  size_t ntimes;
  double *times;                /* arena */

  syn_state_atol *atols;        /* arena: the `atol` lines, resolved */
  size_t natols;
  double *atol_vec;             /* arena, one per state when natols > 0: the scenario's
                                   tolerances with these lines over them */
};

/* Reads a CSV table: a header of parameter names, then rows of numbers
 * (comma-separated; blank lines and lines starting with # skipped). Errors
 * name the file and line; SYN_EIO when it cannot be read. */
syn_status sweep_table_load(sweep_table *t, const char *path, syn_error *err);
void sweep_table_free(sweep_table *t);

/* The h5sweep spec of the sweep (strings borrowed from sw and prov). */
void sweep_fill_spec(const syn_sweep *sw, const syn_provenance *prov, syn_h5sweep_spec *spec);

/* The provenance of the sweep: the sweep file, the design file, the
 * scenario, the model files. Strings borrowed; arrays owned by p. */
typedef struct sweep_prov {
  syn_provenance prov;
  const char **paths, **texts;
} sweep_prov;
syn_status sweep_prov_init(const syn_sweep *sw, const char *command_line, sweep_prov *p,
                           syn_error *err);
void sweep_prov_free(sweep_prov *p);

/* The solver options a run uses: given (the command line's, complete), else
 * the defaults with the scenario's `solver` settings. */
void sweep_solver_opts(const syn_sweep *sw, const syn_solver_opts *given, syn_solver_opts *o);
/* The configuration of a run's files: its text (every solver option that
 * changes the rows, with the linear solver asked for and the one `auto`
 * resolves to, and the states' own tolerances; malloc'd into *text, the
 * record /solver_config) and its hash (the sweep's files and synovia's
 * version, and that text), which resume and merge compare. */
syn_status sweep_run_config(const syn_sweep *sw, const syn_solver_opts *o,
                            char hash[SYN_SHA256_HEX], char **text, syn_error *err);

/* ---- a sweep as a job (sweep_job.c; finish in merge.c) ------------------------------- */

/* The context of a sweep's job: its evaluator (NULL for a merge of shards)
 * and what its indices are computed with. */
typedef struct sweep_job_ctx {
  syn_sweep_eval *ev;
  size_t n_boot;
  double conf_level;
} sweep_job_ctx;

/* syn_job.finish of sweeps: the Sobol or Morris indices (sweep_write_indices). */
syn_status sweep_job_finish(void *ctx, syn_h5sweep *merged, const syn_h5sweep_spec *spec,
                            syn_error *err);

/* ---- merging a job's rows (merge.c) ------------------------------------------------- */

/* The parts (checked) merged into out (or <out>.rows for a job that delivers),
 * then the job's finish and the commit (rank 0). spec: of the merged rows
 * (the job's, or the parts'). */
syn_status job_merge(const syn_job *job, const syn_h5sweep_spec *spec, const char *out,
                     const char *const *parts, size_t nparts, const syn_h5sweep_merge_opts *mo,
                     syn_error *err);

/* Rank 0's st becomes every rank's (with its error): collective under MPI;
 * st itself without (par NULL or one rank). */
syn_status job_share_status(const syn_parallel *par, syn_status st, syn_error *err);

/* The end of a whole run of a delivering job, on EVERY rank (collective):
 * rank 0's st (its merge into <out>.rows) is shared; if ok every rank calls
 * job->deliver (which may itself run another job on all the ranks, as a
 * fit's profiles do); the outcome is shared again and rank 0 removes the
 * rows file. Returns the shared outcome. */
syn_status job_deliver(const syn_job *job, const syn_parallel *par, const char *out,
                       syn_status st, syn_error *err);

/* ---- one run of an output at a time (lock.c) ------------------------------------------ */

/* An advisory fcntl lock on <target>.lock, which holds "pid N on host H". */
typedef struct sweep_lock {
  int fd;                /* -1: none held */
  char path[1200];
  char unsupported[1400]; /* "" or why the file system gave no lock (the run goes on) */
} sweep_lock;

/* Takes the lock of the output `target` (the final file, or the shard file
 * of a task) before anything of it is touched. SYN_OK with the lock held,
 * or with none when the folder does not exist (creating the output then
 * says so) or the file system has no locks (l->unsupported says so);
 * SYN_EINVAL naming the pid and host of the run that holds it. */
syn_status sweep_lock_take(const char *target, sweep_lock *l, syn_error *err);
/* Removes and releases the lock; nothing when none is held. */
void sweep_lock_release(sweep_lock *l);

/* ---- messages between ranks (parallel.c) ---------------------------------------------- */

typedef enum sweep_msg_kind {
  SWEEP_MSG_WORK = 1,  /* manager -> worker: samples [lo, hi) */
  SWEEP_MSG_DONE = 2,  /* worker -> manager: a block finished (or abandoned) */
  SWEEP_MSG_STOP = 3,  /* manager -> worker: no more work */
  SWEEP_MSG_ABORT = 4, /* manager -> worker: stop after the current sample */
  SWEEP_MSG_ERROR = 5  /* worker -> manager, right after a DONE whose status is not SYN_OK:
                          the worker's syn_error */
} sweep_msg_kind;

/* The messages of the hot path (a block handed out, a block done) stay
 * within the 256 bytes Open MPI 4.1 sends inline on shared memory
 * (btl_vader_max_inline_send; its eager limit is 4096, yet larger blocking
 * sends waited for a busy receiver: docs/design.md, "Facts the I/O and sweep
 * code rely on"): a blocking send above it waits for the receiver, 14-17 ms
 * against 5-13 us, so a 1 KB error text inlined here made rank 0 stall for
 * half a sample per block. An error travels apart (SWEEP_MSG_ERROR), only
 * when there is one. */
enum { SWEEP_MSG_EAGER_MAX = 256 };

typedef struct sweep_msg {
  int64_t lo, hi;         /* WORK: the block */
  int64_t done, failed;   /* DONE: samples finished in the block, of which failed */
  int32_t status;         /* DONE / outcome: a syn_status; not SYN_OK: an error follows */
  int32_t interrupted;    /* DONE: the worker was signalled */
  uint64_t value;         /* broadcasts: e.g. the part generation */
} sweep_msg;

_Static_assert(sizeof(sweep_msg) <= SWEEP_MSG_EAGER_MAX,
               "a sweep message must stay small enough to be sent eagerly");

/* 0 on success, -1 on an MPI error. poll: 1 if a message was received, 0 if
 * none is waiting; source -1 = any; any_kind or only `kind`. */
int sweep_mpi_send(const syn_parallel *p, int to, sweep_msg_kind kind, const sweep_msg *m);
int sweep_mpi_recv(const syn_parallel *p, int *from, sweep_msg_kind *kind, sweep_msg *m);
int sweep_mpi_poll(const syn_parallel *p, int source, int any_kind, sweep_msg_kind kind,
                   int *from, sweep_msg_kind *got, sweep_msg *m);
int sweep_mpi_wait(const syn_parallel *p); /* until a message for this rank is waiting */
int sweep_mpi_barrier(const syn_parallel *p);
int sweep_mpi_bcast(const syn_parallel *p, sweep_msg *m); /* from rank 0 */
/* An error, whole (message, hint, location), as SWEEP_MSG_ERROR to rank `to`
 * / from rank `from`, or broadcast from rank 0 (after a broadcast message
 * whose status is not SYN_OK, so that every rank knows one comes). */
int sweep_mpi_send_error(const syn_parallel *p, int to, const syn_error *e);
int sweep_mpi_recv_error(const syn_parallel *p, int from, syn_error *e);
int sweep_mpi_bcast_error(const syn_parallel *p, syn_error *e);

/* ---- indices (merge.c) ------------------------------------------------------------- */

/* Computes Sobol or Morris indices of every arm and metric from the rows of
 * the open merged file h and writes them into it (saltelli and morris designs
 * of a whole sweep; otherwise nothing). */
syn_status sweep_write_indices(syn_h5sweep *h, const syn_h5sweep_spec *spec, size_t n_boot,
                               double conf_level, syn_error *err);

#endif
