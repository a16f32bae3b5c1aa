/* synovia — the runner: a whole job (a sweep's samples, a fit's starts:
 * syn_job), serial, shard, MPI; parts, resume, merge (sweep layer).
 *
 * Rows are called samples here, as a sweep's are; a job says what its own
 * are called (syn_job.noun) in every message.
 *
 * Every process writes the samples it runs into its own part files in
 * <out>.parts/ (one HDF5 sweep file each, keyed by global sample index). A
 * part is committed (renamed from .tmp) every `checkpoint` seconds and at the
 * end, so a committed part is complete: it is the record that its samples are
 * done. It is sealed with a SHA-256 of its bytes, checked before a resume or
 * the merge reads it, so a damaged part is refused by name instead of
 * passing its damage on. A killed run leaves committed parts and perhaps a
 * .tmp, which resume deletes (under the output's lock, so never the .tmp of
 * a run still going). When every sample of the range is done, rank 0 merges
 * the parts into the final file (rows in sample order, so the data do not
 * depend on who ran what; for a job that delivers, into <out>.rows, from
 * which the job writes the final file) and removes the folder.
 *
 * Under MPI rank 0 is the manager and also computes: between its own
 * samples it answers the workers. Each worker holds up to two blocks (one
 * queued) so it never waits while rank 0 is busy with a sample; rank 0 takes
 * a sample of its own only while that holds (own_turn), so at scale it only
 * coordinates. Rank 0 measures what answering a block costs it (the report's
 * coord_seconds / coord_blocks, printed by `make bench`). */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "sweep_internal.h"

enum { QUEUED_BLOCKS = 2, MAX_BLOCK = 64, BLOCKS_PER_RANK = 8 };
/* The merged file is written straight to disk above this size, so the
 * coordinating rank's memory does not grow with the number of samples (the
 * merge's window is its own, within 32 MiB whatever the width of a row). */
enum { MERGE_MEMORY = 4 << 20 };
static const double DEFAULT_CHECKPOINT = 30.0, DEFAULT_PROGRESS = 1.0, DEFAULT_CONF = 0.95;
static const size_t DEFAULT_BOOT = 1000;

typedef struct runner {
  const syn_job *job;
  const syn_sweep_run_opts *o;
  syn_parallel par;
  syn_error *err;
  size_t first, end;          /* the range this run is responsible for */
  char final_path[1024];
  char parts_dir[1100];
  uint64_t gen;               /* generation of this run's parts */
  sweep_lock lock;            /* rank 0: the output's, for the whole run */

  /* rank 0 */
  unsigned char *done;        /* bit per sample of the range: finished before */
  size_t skipped, cursor, block;
  size_t ndone, nfailed;      /* of the whole run (all ranks), this run only */
  double t0, last_progress;

  /* every rank */
  syn_h5sweep_spec spec;      /* the job's, with this run's task */
  syn_h5sweep *part;
  size_t part_seq;
  double part_t0;
  size_t my_done, my_failed;
  int stop_seen;              /* this rank saw its stop flag or an ABORT */
} runner;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int stop_requested(runner *r) {
  if (r->o->stop && *r->o->stop) r->stop_seen = 1;
  return r->stop_seen;
}

static int is_done(const runner *r, size_t i) {
  size_t k = i - r->first;
  return r->done && ((r->done[k / 8] >> (k % 8)) & 1);
}

static void mark_done(runner *r, size_t i) {
  size_t k = i - r->first;
  r->done[k / 8] = (unsigned char)(r->done[k / 8] | (1u << (k % 8)));
}

/* ---- paths ------------------------------------------------------------------------- */

void syn_sweep_shard_range(size_t nsamples, size_t index, size_t count, size_t *first,
                           size_t *end) {
  if (count == 0) {
    *first = 0;
    *end = nsamples;
    return;
  }
  size_t q = nsamples / count, rem = nsamples % count;
  *first = index * q + (index < rem ? index : rem);
  *end = *first + q + (index < rem);
}

syn_status syn_sweep_shard_path(const char *out_path, size_t index, size_t count, char *buf,
                                size_t size, syn_error *err) {
  size_t n = strlen(out_path);
  const char *slash = strrchr(out_path, '/'), *dot = strrchr(out_path, '.');
  if (dot == NULL || (slash && dot < slash) || dot == out_path || (slash && dot == slash + 1))
    dot = out_path + n; /* no extension: append */
  int w = snprintf(buf, size, "%.*s.task-%04zu-of-%04zu%s", (int)(dot - out_path), out_path,
                   index, count, *dot ? dot : ".h5");
  if (w < 0 || (size_t)w >= size)
    return syn_error_set(err, SYN_ELIMIT, "the output name '%s' is too long", out_path);
  return SYN_OK;
}

static int has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* ---- the parts folder -------------------------------------------------------------- */

typedef struct part_list {
  char **paths;
  size_t n, cap;
  uint64_t max_gen;
} part_list;

static void part_list_free(part_list *l) {
  for (size_t i = 0; i < l->n; i++) syn_free(l->paths[i]);
  syn_free(l->paths);
  *l = (part_list){0};
}

static int part_list_add(part_list *l, const char *path) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    char **p = syn_realloc(l->paths, cap * sizeof *p);
    if (p == NULL) return -1;
    l->paths = p;
    l->cap = cap;
  }
  if ((l->paths[l->n] = syn_strdup(path)) == NULL) return -1;
  l->n++;
  return 0;
}

static int cmp_paths(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Committed parts of dir (sorted), deleting the .tmp ones a killed run left. */
static syn_status list_parts(const char *dir, part_list *l, syn_error *err) {
  *l = (part_list){0};
  DIR *d = opendir(dir);
  if (d == NULL) {
    if (errno == ENOENT) return SYN_OK;
    return syn_error_set(err, SYN_EIO, "cannot read the folder '%s': %s", dir, strerror(errno));
  }
  syn_status st = SYN_OK;
  struct dirent *e;
  char path[1400];
  while (st == SYN_OK && (e = readdir(d)) != NULL) {
    unsigned long long gen = 0;
    if (e->d_name[0] != 'g' || sscanf(e->d_name, "g%llu-", &gen) != 1) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (has_suffix(e->d_name, ".h5.tmp")) {
      unlink(path);
      continue;
    }
    if (!has_suffix(e->d_name, ".h5")) continue;
    if (gen > l->max_gen) l->max_gen = gen;
    if (part_list_add(l, path) != 0) st = syn_error_set(err, SYN_ENOMEM, "out of memory");
  }
  closedir(d);
  if (st == SYN_OK && l->n > 1) qsort(l->paths, l->n, sizeof *l->paths, cmp_paths);
  if (st != SYN_OK) part_list_free(l);
  return st;
}

static void remove_parts(const char *dir, const part_list *l) {
  for (size_t i = 0; i < l->n; i++) unlink(l->paths[i]);
  rmdir(dir);
}

/* Marks the samples a committed part holds as done; refuses a part of another
 * configuration. */
static syn_status absorb_part(runner *r, const char *path) {
  syn_h5sweep_reader *rd = NULL;
  signed char status[4096];
  syn_status st = syn_h5sweep_part_verify(path, r->err); /* before HDF5 reads a byte */
  if (st == SYN_OK) st = syn_h5sweep_open(path, &rd, r->err);
  if (st != SYN_OK) return st;
  const syn_h5sweep_spec *ps = syn_h5sweep_reader_spec(rd);
  if (strcmp(ps->config_sha256 ? ps->config_sha256 : "", r->spec.config_sha256) != 0 ||
      ps->nsamples != r->spec.nsamples) {
    st = syn_error_set(r->err, SYN_EINVAL,
                       "cannot resume: '%s' was written by a %s with another configuration "
                       "(%s, changed since)",
                       path, r->job->what, r->job->inputs);
    syn_error_hint(r->err, "rerun without --resume to start again (the old parts in '%s' must "
                           "be deleted first), or restore the files the %s was started with",
                   r->parts_dir, r->job->what);
  }
  for (size_t lo = r->first; st == SYN_OK && lo < r->end; lo += sizeof status) {
    size_t n = r->end - lo < sizeof status ? r->end - lo : sizeof status;
    st = syn_h5sweep_read_status(rd, lo, n, status, r->err);
    for (size_t k = 0; st == SYN_OK && k < n; k++)
      if (status[k] != SYN_SWEEP_NOT_RUN && !is_done(r, lo + k)) {
        mark_done(r, lo + k);
        r->skipped++;
        r->nfailed += status[k] != SYN_SWEEP_OK;
      }
  }
  syn_h5sweep_reader_destroy(rd);
  return st;
}

/* Rank 0, before any sample: the folder, the done samples, the generation. */
static syn_status prepare_parts(runner *r) {
  part_list l;
  syn_status st = list_parts(r->parts_dir, &l, r->err);
  if (st != SYN_OK) return st;
  if (l.n > 0 && !r->o->resume) {
    st = syn_error_set(r->err, SYN_EINVAL,
                       "'%s' holds %zu part%s of an earlier, unfinished run of this %s",
                       r->parts_dir, l.n, l.n == 1 ? "" : "s", r->job->what);
    syn_error_hint(r->err, "add --resume to keep the %ss they hold, or delete the folder "
                           "to start again", r->job->noun);
  }
  for (size_t i = 0; i < l.n && st == SYN_OK; i++) st = absorb_part(r, l.paths[i]);
  r->gen = l.max_gen + 1;
  part_list_free(&l);
  if (st == SYN_OK && mkdir(r->parts_dir, 0777) != 0 && errno != EEXIST)
    st = syn_error_set(r->err, SYN_EIO, "cannot create the folder '%s': %s", r->parts_dir,
                       strerror(errno));
  return st;
}

/* ---- this rank's part files -------------------------------------------------------- */

static syn_status open_part(runner *r) {
  char path[1400];
  snprintf(path, sizeof path, "%s/g%llu-r%d-%zu.h5", r->parts_dir, (unsigned long long)r->gen,
           r->par.rank, r->part_seq++);
  r->part_t0 = now();
  syn_h5sweep_spec spec = r->spec;
  spec.part = 1; /* read only by the merge: storage for its own rows only */
  syn_status st = syn_h5sweep_create(path, &spec, &r->part, r->err);
  if (st == SYN_OK) st = syn_h5sweep_write_solver_config(r->part, r->job->config_text, r->err);
  return st;
}

static syn_status commit_part(runner *r) {
  if (r->part == NULL) return SYN_OK;
  syn_status st = syn_h5sweep_commit(r->part, r->err);
  syn_h5sweep_destroy(r->part);
  r->part = NULL;
  return st;
}

static syn_status run_sample(runner *r, size_t i) {
  syn_sweep_sample s;
  syn_status st = r->job->eval(r->job->ctx, i, &s, r->err);
  if (st == SYN_OK && r->part == NULL) st = open_part(r);
  if (st == SYN_OK)
    st = syn_h5sweep_write_sample(r->part, i, s.params, s.status, s.reason, s.metrics, s.traj,
                                  r->err);
  if (st != SYN_OK) return st;
  r->my_done++;
  r->my_failed += s.status != SYN_SWEEP_OK;
  if (r->par.rank == 0) { /* the serial run, or the manager's own samples */
    r->ndone++;
    r->nfailed += s.status != SYN_SWEEP_OK;
  }
  double checkpoint = r->o->checkpoint > 0 ? r->o->checkpoint : DEFAULT_CHECKPOINT;
  if (now() - r->part_t0 >= checkpoint) st = commit_part(r);
  return st;
}

/* ---- rank 0's scheduling ------------------------------------------------------------ */

static int next_block(runner *r, size_t *lo, size_t *hi) {
  while (r->cursor < r->end && is_done(r, r->cursor)) r->cursor++;
  if (r->cursor >= r->end) return 0;
  *lo = r->cursor;
  while (r->cursor < r->end && !is_done(r, r->cursor) && r->cursor - *lo < r->block) r->cursor++;
  *hi = r->cursor;
  return 1;
}

static void choose_block(runner *r) {
  size_t todo = r->end - r->first - r->skipped;
  size_t per = todo / ((size_t)r->par.size * BLOCKS_PER_RANK);
  r->block = r->o->block ? r->o->block : per < 1 ? 1 : per > MAX_BLOCK ? MAX_BLOCK : per;
}

static void report_progress(runner *r, int force) {
  if (r->o->progress == NULL || r->par.rank != 0) return;
  double t = now(), every = r->o->progress_every > 0 ? r->o->progress_every : DEFAULT_PROGRESS;
  if (!force && t - r->last_progress < every) return;
  r->last_progress = t;
  syn_sweep_progress p = {r->skipped + r->ndone, r->end - r->first, r->nfailed, r->skipped,
                          t - r->t0};
  r->o->progress(r->o->progress_ctx, &p);
}

/* Serial: every sample of the range not done before, in order. */
static syn_status run_alone(runner *r) {
  syn_status st = SYN_OK;
  size_t lo, hi;
  while (st == SYN_OK && !stop_requested(r) && next_block(r, &lo, &hi))
    for (size_t i = lo; i < hi && st == SYN_OK && !stop_requested(r); i++) {
      st = run_sample(r, i);
      report_progress(r, 0);
    }
  return st;
}

/* ---- MPI: rank 0 manages and computes; the others compute ------------------------- */

typedef struct manager {
  int *outstanding;       /* blocks a worker holds */
  unsigned char *stopped; /* STOP sent */
  int halting;            /* no more blocks: stop signal or an error */
  int nstopped;
  size_t blocks;          /* DONE messages handled */
  double seconds;         /* ... and the time handling them took (receive, bookkeeping, the
                             next block sent), waiting for them left out */
  size_t own;             /* samples rank 0 ran itself */
  double own_seconds;
} manager;

static syn_status mpi_failed(runner *r, const char *what) {
  return syn_error_set(r->err, SYN_EIO, "MPI: %s failed on rank %d", what, r->par.rank);
}

static syn_status send_msg(runner *r, int to, sweep_msg_kind kind, const sweep_msg *m) {
  return sweep_mpi_send(&r->par, to, kind, m) == 0 ? SYN_OK : mpi_failed(r, "a send");
}

/* Another block for worker w, or STOP when it has none left to finish. */
static syn_status feed(runner *r, manager *m, int w) {
  sweep_msg msg = {0};
  size_t lo, hi;
  if (m->stopped[w]) return SYN_OK;
  if (!m->halting && next_block(r, &lo, &hi)) {
    msg.lo = (int64_t)lo;
    msg.hi = (int64_t)hi;
    m->outstanding[w]++;
    return send_msg(r, w, SWEEP_MSG_WORK, &msg);
  }
  if (m->outstanding[w] > 0) return SYN_OK;
  m->stopped[w] = 1;
  m->nstopped++;
  return send_msg(r, w, SWEEP_MSG_STOP, &msg);
}

/* The error worker w sends after a DONE of status code; the first one
 * becomes the run's, whole (its hint too), named by the rank. */
static syn_status take_worker_error(runner *r, int w, syn_status code, syn_status st) {
  syn_error e;
  if (sweep_mpi_recv_error(&r->par, w, &e) != 0)
    return st == SYN_OK ? mpi_failed(r, "a receive") : st;
  if (st != SYN_OK) return st;
  syn_error_set(r->err, code, "rank %d: %s", w, e.message);
  memcpy(r->err->hint, e.hint, sizeof e.hint);
  return code;
}

static syn_status on_message(runner *r, manager *m, int w, sweep_msg_kind kind,
                             const sweep_msg *msg, syn_status st) {
  if (kind != SWEEP_MSG_DONE) return st; /* nothing else comes unasked to rank 0 */
  m->outstanding[w]--;
  r->ndone += (size_t)msg->done;
  r->nfailed += (size_t)msg->failed;
  if (msg->interrupted) r->stop_seen = 1;
  if (msg->status != SYN_OK) st = take_worker_error(r, w, (syn_status)msg->status, st);
  report_progress(r, 0);
  syn_status fst = feed(r, m, w);
  return st == SYN_OK ? fst : st;
}

/* Stop handing out blocks: tell every worker to abandon what it holds. */
static syn_status halt(runner *r, manager *m) {
  sweep_msg msg = {0};
  syn_status st = SYN_OK;
  m->halting = 1;
  for (int w = 1; w < r->par.size && st == SYN_OK; w++) {
    if (m->stopped[w]) continue;
    st = m->outstanding[w] > 0 ? send_msg(r, w, SWEEP_MSG_ABORT, &msg) : feed(r, m, w);
  }
  return st;
}

/* Handles one message; t0: when handling began (its probe and receive). */
static syn_status handle(runner *r, manager *m, int w, sweep_msg_kind kind,
                         const sweep_msg *msg, syn_status st, double t0) {
  st = on_message(r, m, w, kind, msg, st);
  m->blocks++;
  m->seconds += now() - t0;
  return st;
}

/* Whether rank 0 may run a sample of its own now. A worker that has just
 * reported a block holds one more (QUEUED_BLOCKS), B samples of work; rank 0
 * answers it after its own sample and the messages waiting by then (one per
 * worker at worst). Rank 0 computes only while that takes at most half a
 * block, so no worker waits for it: with many ranks (or blocks of 1-2
 * samples) it only coordinates, which is worth more than its samples. */
static int own_turn(const runner *r, const manager *m) {
  const double slack = 0.5 * (double)(QUEUED_BLOCKS - 1) * (double)r->block;
  if (m->own == 0) return slack >= 1.5; /* blocks of >= 3 samples: try one sample */
  double s = m->own_seconds / (double)m->own;
  double c = m->blocks ? m->seconds / (double)m->blocks : 0;
  return s + (double)(r->par.size - 1) * c <= slack * s;
}

static syn_status own_sample(runner *r, manager *m, size_t i) {
  double t0 = now();
  syn_status st = run_sample(r, i);
  m->own++;
  m->own_seconds += now() - t0;
  report_progress(r, 0);
  return st;
}

static syn_status manage(runner *r, manager *m) {
  syn_status st = SYN_OK;
  size_t lo = 0, hi = 0;
  for (int w = 1; w < r->par.size && st == SYN_OK; w++)
    for (int k = 0; k < QUEUED_BLOCKS && st == SYN_OK; k++) st = feed(r, m, w);
  while (st == SYN_OK || m->nstopped < r->par.size - 1) {
    int from, got;
    sweep_msg_kind kind;
    sweep_msg msg;
    double t0 = now();
    while ((got = sweep_mpi_poll(&r->par, -1, 1, SWEEP_MSG_DONE, &from, &kind, &msg)) == 1) {
      st = handle(r, m, from, kind, &msg, st, t0);
      t0 = now();
    }
    if (got < 0) return mpi_failed(r, "a probe");
    if (!m->halting && (stop_requested(r) || st != SYN_OK)) {
      syn_status hst = halt(r, m);
      if (st == SYN_OK) st = hst;
      if (hst != SYN_OK) return st;
    }
    if (!m->halting && lo < hi) {
      st = own_sample(r, m, lo++);
      continue;
    }
    if (!m->halting && own_turn(r, m) && next_block(r, &lo, &hi)) continue;
    if (m->nstopped == r->par.size - 1) break;
    /* nothing to do but wait; the poll above then receives (and times) it */
    if (sweep_mpi_wait(&r->par) != 0) return mpi_failed(r, "a probe");
  }
  return st;
}

static syn_status run_manager(runner *r, syn_sweep_report *rep) {
  manager m = {0};
  m.outstanding = syn_calloc((size_t)r->par.size, sizeof *m.outstanding);
  m.stopped = syn_calloc((size_t)r->par.size, 1);
  syn_status st = m.outstanding && m.stopped
                      ? manage(r, &m)
                      : syn_error_set(r->err, SYN_ENOMEM, "out of memory");
  rep->coord_blocks = m.blocks;
  rep->coord_seconds = m.seconds;
  rep->own_samples = m.own;
  rep->own_seconds = m.own_seconds;
  syn_free(m.outstanding);
  syn_free(m.stopped);
  return st;
}

/* A block: its samples until done, aborted or stopped. */
static void work_block(runner *r, const sweep_msg *in, int *aborted, syn_status *st) {
  sweep_msg out = {0};
  size_t done0 = r->my_done, failed0 = r->my_failed;
  for (int64_t i = in->lo; i < in->hi && *st == SYN_OK && !*aborted; i++) {
    sweep_msg ab;
    if (stop_requested(r)) *aborted = 1;
    if (sweep_mpi_poll(&r->par, 0, 0, SWEEP_MSG_ABORT, NULL, NULL, &ab) == 1) *aborted = 1;
    if (!*aborted) *st = run_sample(r, (size_t)i);
  }
  out.done = (int64_t)(r->my_done - done0);
  out.failed = (int64_t)(r->my_failed - failed0);
  out.status = *st;
  out.interrupted = r->stop_seen;
  if (*st != SYN_OK) *aborted = 1;
  int sent = sweep_mpi_send(&r->par, 0, SWEEP_MSG_DONE, &out) == 0;
  if (sent && *st != SYN_OK) sent = sweep_mpi_send_error(&r->par, 0, r->err) == 0;
  if (!sent && *st == SYN_OK) *st = mpi_failed(r, "a send");
}

static syn_status run_worker(runner *r) {
  syn_status st = SYN_OK;
  int aborted = 0;
  for (;;) {
    sweep_msg msg;
    sweep_msg_kind kind;
    if (sweep_mpi_recv(&r->par, NULL, &kind, &msg) != 0) return mpi_failed(r, "a receive");
    if (kind == SWEEP_MSG_STOP) break;
    if (kind == SWEEP_MSG_ABORT) aborted = 1;
    if (kind == SWEEP_MSG_WORK) work_block(r, &msg, &aborted, &st);
  }
  return st;
}

/* Every rank set up: rank 0 then scans the parts and tells the others the
 * generation (or the error). */
static syn_status agree_setup(runner *r, syn_status st) {
  if (!syn_parallel_agree(&r->par, st == SYN_OK)) {
    if (st == SYN_OK)
      st = syn_error_set(r->err, SYN_EIO, "another MPI rank could not set the %s up",
                         r->job->what);
    return st;
  }
  sweep_msg msg = {0};
  if (r->par.rank == 0) {
    st = prepare_parts(r);
    msg.status = st;
    msg.value = r->gen;
  }
  if (sweep_mpi_bcast(&r->par, &msg) != 0) return mpi_failed(r, "a broadcast");
  r->gen = msg.value;
  if (msg.status != SYN_OK && sweep_mpi_bcast_error(&r->par, r->err) != 0)
    return mpi_failed(r, "a broadcast");
  return (syn_status)msg.status;
}

/* Every rank has committed its parts before rank 0 merges them. */
static syn_status agree_outcome(runner *r, syn_status st) {
  syn_status bst = sweep_mpi_barrier(&r->par) == 0 ? SYN_OK : mpi_failed(r, "a barrier");
  return st == SYN_OK ? bst : st;
}

/* Rank 0's result becomes every rank's, so all exit alike. */
static syn_status share_outcome(runner *r, syn_status st) {
  sweep_msg msg = {0};
  if (r->par.rank == 0) {
    msg.status = st;
    msg.interrupted = r->stop_seen;
    msg.done = (int64_t)r->ndone;
  }
  if (sweep_mpi_bcast(&r->par, &msg) != 0) return mpi_failed(r, "a broadcast");
  if (msg.status != SYN_OK && sweep_mpi_bcast_error(&r->par, r->err) != 0)
    return mpi_failed(r, "a broadcast");
  return (syn_status)msg.status;
}

/* ---- merging ----------------------------------------------------------------------- */

/* A whole run of a job that writes its own output from the merged rows. */
static int delivers(const runner *r) { return r->o->task_count == 0 && r->job->deliver != NULL; }

static syn_status merge_parts(runner *r) {
  part_list l;
  syn_status st = list_parts(r->parts_dir, &l, r->err);
  /* every part again, those of this run too: hours may have passed on a disk */
  for (size_t i = 0; i < l.n && st == SYN_OK; i++)
    st = syn_h5sweep_part_verify(l.paths[i], r->err);
  if (st != SYN_OK) {
    part_list_free(&l);
    return st;
  }
  syn_h5sweep_merge_opts mo = {0};
  mo.require_first = r->first;
  mo.require_end = r->end;
  mo.command_line = r->o->command_line;
  mo.task_index = r->o->task_index;
  mo.task_count = r->o->task_count;
  mo.memory_limit = MERGE_MEMORY;
  st = job_merge(r->job, &r->spec, r->final_path, (const char *const *)l.paths, l.n, &mo,
                 r->err);
  if (st == SYN_OK && !delivers(r)) remove_parts(r->parts_dir, &l);
  part_list_free(&l);
  return st;
}

/* Every rank: a delivering job's delivery; then rank 0 removes the parts
 * (kept when it failed, for a --resume). */
static syn_status deliver(runner *r, syn_status st) {
  st = job_deliver(r->job, &r->par, r->final_path, st, r->err);
  part_list l;
  if (st == SYN_OK && r->par.rank == 0 && list_parts(r->parts_dir, &l, r->err) == SYN_OK) {
    remove_parts(r->parts_dir, &l);
    part_list_free(&l);
  }
  return st;
}

/* ---- the run ---------------------------------------------------------------------- */

void syn_sweep_run_opts_default(syn_sweep_run_opts *o) {
  *o = (syn_sweep_run_opts){0};
  o->checkpoint = DEFAULT_CHECKPOINT;
  o->n_boot = DEFAULT_BOOT;
  o->conf_level = DEFAULT_CONF;
  o->progress_every = DEFAULT_PROGRESS;
}

/* Rank 0, before the parts folder is looked at: the lock of the output. */
static syn_status lock_output(runner *r) {
  syn_status st = sweep_lock_take(r->final_path, &r->lock, r->err);
  if (st == SYN_OK && r->lock.unsupported[0] && r->o->notice)
    r->o->notice(r->o->notice_ctx, r->lock.unsupported);
  return st;
}

static syn_status setup(runner *r) {
  const syn_sweep_run_opts *o = r->o;
  if (r->job->setup_status != SYN_OK) return r->job->setup_status;
  size_t count = r->job->spec->nsamples;
  if (o->out_path == NULL || o->out_path[0] == 0)
    return syn_error_set(r->err, SYN_EINVAL, "no output file given");
  if (o->task_count > 0 && o->task_index >= o->task_count)
    return syn_error_set(r->err, SYN_EINVAL, "task index %zu is not below the task count %zu",
                         o->task_index, o->task_count);
  if (o->task_count > count)
    return syn_error_set(r->err, SYN_EINVAL, "%zu tasks for %zu %ss: some would be empty",
                         o->task_count, count, r->job->noun);
  syn_sweep_shard_range(count, o->task_index, o->task_count, &r->first, &r->end);
  r->cursor = r->first;
  syn_status st = SYN_OK;
  if (o->task_count > 0)
    st = syn_sweep_shard_path(o->out_path, o->task_index, o->task_count, r->final_path,
                              sizeof r->final_path, r->err);
  else if (strlen(o->out_path) >= sizeof r->final_path)
    st = syn_error_set(r->err, SYN_ELIMIT, "the output name '%s' is too long", o->out_path);
  else
    snprintf(r->final_path, sizeof r->final_path, "%s", o->out_path);
  if (st != SYN_OK) return st;
  snprintf(r->parts_dir, sizeof r->parts_dir, "%s.parts", r->final_path);
  if (r->par.rank == 0) st = lock_output(r);
  if (st != SYN_OK) return st;
  r->spec = *r->job->spec;
  r->spec.task_index = o->task_index;
  r->spec.task_count = o->task_count;
  if (r->par.rank == 0) {
    size_t n = r->end - r->first;
    r->done = syn_calloc(n / 8 + 1, 1);
    if (r->done == NULL) st = syn_error_set(r->err, SYN_ENOMEM, "out of memory");
  }
  return st;
}

static void teardown(runner *r) {
  syn_h5sweep_destroy(r->part); /* an uncommitted part is removed */
  syn_free(r->done);
  sweep_lock_release(&r->lock);
}

static syn_status interrupted(runner *r, syn_sweep_report *rep) {
  rep->interrupted = 1;
  syn_error_set(r->err, SYN_EINTR,
                "interrupted: %zu of %zu %ss are done and kept in '%s'",
                r->skipped + r->ndone, r->end - r->first, r->job->noun, r->parts_dir);
  syn_error_hint(r->err, "run the same command with --resume to finish the %s", r->job->what);
  return SYN_EINTR;
}

syn_status syn_job_run(const syn_job *job, const syn_sweep_run_opts *o,
                       syn_sweep_report *report, syn_error *err) {
  syn_error local;
  syn_sweep_report rep_local;
  if (err == NULL) err = &local;
  if (report == NULL) report = &rep_local;
  *report = (syn_sweep_report){0};
  runner r = {0};
  r.job = job;
  r.o = o;
  r.err = err;
  r.par = o->par ? *o->par : (syn_parallel){0, 1, 0, NULL};
  r.lock.fd = -1;
  r.t0 = now();
  syn_status st = setup(&r);
  int multi = r.par.mpi && r.par.size > 1;
  if (multi) st = agree_setup(&r, st);
  else if (st == SYN_OK) st = prepare_parts(&r);
  int started = st == SYN_OK; /* progress is reported only for a run that began */
  if (started) {
    choose_block(&r);
    report_progress(&r, 1);
    st = multi ? (r.par.rank == 0 ? run_manager(&r, report) : run_worker(&r)) : run_alone(&r);
  }
  syn_status cst = st == SYN_OK ? commit_part(&r) : SYN_OK;
  if (st == SYN_OK) st = cst;
  if (multi) st = agree_outcome(&r, st);
  int stopped = r.stop_seen;
  if (st == SYN_OK && stopped && r.par.rank == 0 && r.skipped + r.ndone < r.end - r.first)
    st = interrupted(&r, report);
  if (st == SYN_OK && r.par.rank == 0) st = merge_parts(&r);
  if (multi) st = share_outcome(&r, st);
  if (started) report_progress(&r, 1); /* the rows' last line, before any delivery's own */
  if (delivers(&r) && started) st = deliver(&r, st);
  report->total = r.end - r.first;
  report->ran = r.ndone;
  report->skipped = r.skipped;
  report->failed = r.nfailed;
  report->interrupted = st == SYN_EINTR;
  snprintf(report->out_path, sizeof report->out_path, "%s", r.final_path);
  report->seconds = now() - r.t0;
  teardown(&r);
  return st;
}
