/* synovia — joining sweep parts and computing sensitivity indices (sweep layer).
 *
 * The io layer merges the rows (syn_h5sweep_merge: checks, sample order,
 * streaming). Here the merged sweep gets its Sobol or Morris indices: every
 * arm's metric columns are gathered from the parts in one pass (the indices
 * need whole columns), then each (arm, metric) is analysed. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "indices.h"
#include "sweep_internal.h"

enum { READ_BLOCK = 1024 };

typedef struct columns {
  size_t n, D, A, M;
  double *y;  /* [A*M][n]: metric columns, NaN where failed */
  double *x;  /* [n][D]: parameters (Morris) or NULL */
  double *rp, *rm; /* read buffers: [READ_BLOCK*D], [READ_BLOCK*A*M] */
  signed char *rs; /* [READ_BLOCK] */
} columns;

static void columns_free(columns *c) {
  syn_free(c->y);
  syn_free(c->x);
  syn_free(c->rp);
  syn_free(c->rm);
  syn_free(c->rs);
}

static syn_status columns_alloc(columns *c, const syn_h5sweep_spec *s, int want_x,
                                syn_error *err) {
  *c = (columns){s->nsamples, s->nparams, s->narms, s->nmetrics, NULL, NULL, NULL, NULL, NULL};
  size_t am = c->A * c->M;
  c->y = syn_malloc((am ? am : 1) * c->n * sizeof *c->y);
  c->x = want_x ? syn_malloc(c->n * c->D * sizeof *c->x) : NULL;
  c->rp = syn_malloc(READ_BLOCK * c->D * sizeof *c->rp);
  c->rm = syn_malloc(READ_BLOCK * (am ? am : 1) * sizeof *c->rm);
  c->rs = syn_malloc(READ_BLOCK);
  if (!c->y || (want_x && !c->x) || !c->rp || !c->rm || !c->rs) {
    columns_free(c);
    return syn_error_set(err, SYN_ENOMEM, "out of memory for the sensitivity analysis of %zu "
                                          "samples", s->nsamples);
  }
  for (size_t i = 0; i < am * c->n; i++) c->y[i] = NAN;
  for (size_t i = 0; c->x && i < c->n * c->D; i++) c->x[i] = NAN;
  return SYN_OK;
}

static void scatter(columns *c, size_t first, size_t count) {
  size_t am = c->A * c->M;
  for (size_t k = 0; k < count; k++) {
    if (c->rs[k] == SYN_SWEEP_NOT_RUN) continue;
    size_t i = first + k;
    for (size_t q = 0; q < am; q++)
      c->y[q * c->n + i] = c->rs[k] == SYN_SWEEP_OK ? c->rm[k * am + q] : (double)NAN;
    if (c->x) memcpy(c->x + i * c->D, c->rp + k * c->D, c->D * sizeof *c->x);
  }
}

/* Every written row of the merged file h, in blocks. */
static syn_status gather(columns *c, syn_h5sweep *h, syn_error *err) {
  syn_status st = SYN_OK;
  for (size_t lo = 0; st == SYN_OK && lo < c->n; lo += READ_BLOCK) {
    size_t cnt = c->n - lo < READ_BLOCK ? c->n - lo : READ_BLOCK;
    st = syn_h5sweep_read_back(h, lo, cnt, c->rp, c->rs, c->rm, NULL, err);
    if (st == SYN_OK) scatter(c, lo, cnt);
  }
  return st;
}

static void set_nan(double *v, size_t n) {
  for (size_t i = 0; i < n; i++) v[i] = NAN;
}

static syn_status sobol_arm(syn_h5sweep *h, const syn_h5sweep_spec *s, const columns *c,
                            size_t a, size_t n_boot, double conf, syn_error *err) {
  size_t M = c->M, D = c->D;
  syn_h5sweep_sobol ix = {0};
  double *buf = syn_malloc((4 * M * D + 1) * sizeof *buf);
  size_t *cnt = syn_malloc((2 * M + 1) * sizeof *cnt);
  if (buf == NULL || cnt == NULL) {
    syn_free(buf);
    syn_free(cnt);
    return syn_error_set(err, SYN_ENOMEM, "out of memory");
  }
  double *S1 = buf, *S1c = buf + M * D, *ST = buf + 2 * M * D, *STc = buf + 3 * M * D;
  ix.S1 = S1;
  ix.S1_conf = S1c;
  ix.ST = ST;
  ix.ST_conf = STc;
  ix.n_used = cnt;
  ix.n_dropped = cnt + M;
  ix.n_base = s->design_n;
  ix.n_boot = n_boot;
  ix.confidence_level = conf;
  ix.estimator_S1 = "saltelli2010";
  ix.estimator_ST = "jansen1999";
  syn_status st = SYN_OK;
  for (size_t m = 0; m < M && st == SYN_OK; m++) {
    syn_sobol_result r;
    syn_error local;
    syn_status ist = syn_sobol_indices(c->y + (a * M + m) * c->n, c->n, s->design_n, D,
                                       s->second_order, n_boot, s->seed, conf, &r, &local);
    if (ist == SYN_ENOMEM) st = syn_error_set(err, SYN_ENOMEM, "out of memory");
    if (ist != SYN_OK) { /* too few usable rows: the indices are unknown, not an error */
      set_nan(S1 + m * D, D);
      set_nan(S1c + m * D, D);
      set_nan(ST + m * D, D);
      set_nan(STc + m * D, D);
      cnt[m] = 0;
      cnt[M + m] = s->design_n;
      continue;
    }
    memcpy(S1 + m * D, r.S1, D * sizeof *buf);
    memcpy(S1c + m * D, r.S1_conf, D * sizeof *buf);
    memcpy(ST + m * D, r.ST, D * sizeof *buf);
    memcpy(STc + m * D, r.ST_conf, D * sizeof *buf);
    cnt[m] = r.n_rows_used;
    cnt[M + m] = r.n_rows_dropped;
    syn_sobol_result_destroy(&r);
  }
  if (st == SYN_OK) st = syn_h5sweep_write_sobol(h, a, &ix, err);
  syn_free(buf);
  syn_free(cnt);
  return st;
}

static syn_status morris_arm(syn_h5sweep *h, const syn_h5sweep_spec *s, const columns *c,
                             size_t a, syn_error *err) {
  size_t M = c->M, D = c->D;
  syn_h5sweep_morris ix = {0};
  double *buf = syn_malloc((3 * M * D + 1) * sizeof *buf);
  size_t *cnt = syn_malloc((2 * M + 1) * sizeof *cnt);
  if (buf == NULL || cnt == NULL) {
    syn_free(buf);
    syn_free(cnt);
    return syn_error_set(err, SYN_ENOMEM, "out of memory");
  }
  double *mu = buf, *mus = buf + M * D, *sg = buf + 2 * M * D;
  ix.mu = mu;
  ix.mu_star = mus;
  ix.sigma = sg;
  ix.n_used = cnt;
  ix.n_dropped = cnt + M;
  ix.n_trajectories = s->design_n;
  ix.num_levels = s->morris_levels;
  syn_status st = SYN_OK;
  for (size_t m = 0; m < M && st == SYN_OK; m++) {
    syn_morris_result r;
    syn_error local;
    syn_status ist = syn_morris_indices(c->x, c->y + (a * M + m) * c->n, c->n, s->design_n, D,
                                        s->param_lower, s->param_upper, &r, &local);
    if (ist == SYN_ENOMEM) st = syn_error_set(err, SYN_ENOMEM, "out of memory");
    if (ist != SYN_OK) {
      set_nan(mu + m * D, D); /* unknown: every trajectory failed */
      set_nan(mus + m * D, D);
      set_nan(sg + m * D, D);
      cnt[m] = 0;
      cnt[M + m] = s->design_n;
      continue;
    }
    memcpy(mu + m * D, r.mu, D * sizeof *buf);
    memcpy(mus + m * D, r.mu_star, D * sizeof *buf);
    memcpy(sg + m * D, r.sigma, D * sizeof *buf);
    cnt[m] = r.n_traj_used;
    cnt[M + m] = r.n_traj_dropped;
    syn_morris_result_destroy(&r);
  }
  if (st == SYN_OK) st = syn_h5sweep_write_morris(h, a, &ix, err);
  syn_free(buf);
  syn_free(cnt);
  return st;
}

syn_status sweep_write_indices(syn_h5sweep *h, const syn_h5sweep_spec *spec, size_t n_boot,
                               double conf_level, syn_error *err) {
  int sobol = spec->design && strcmp(spec->design, "saltelli") == 0;
  int morris = spec->design && strcmp(spec->design, "morris") == 0;
  if ((!sobol && !morris) || spec->nmetrics == 0 || spec->design_n == 0) return SYN_OK;
  columns c;
  syn_status st = columns_alloc(&c, spec, morris, err);
  if (st != SYN_OK) return st;
  st = gather(&c, h, err);
  for (size_t a = 0; a < spec->narms && st == SYN_OK; a++)
    st = sobol ? sobol_arm(h, spec, &c, a, n_boot, conf_level, err)
               : morris_arm(h, spec, &c, a, err);
  columns_free(&c);
  return st;
}

syn_status sweep_job_finish(void *ctx, syn_h5sweep *merged, const syn_h5sweep_spec *spec,
                            syn_error *err) {
  const sweep_job_ctx *c = ctx;
  return sweep_write_indices(merged, spec, c->n_boot, c->conf_level > 0 ? c->conf_level : 0.95,
                             err);
}

/* <out>.rows: where a delivering job's rows are merged */
static syn_status rows_path(const char *out, char *buf, size_t size, syn_error *err) {
  int w = snprintf(buf, size, "%s.rows", out);
  if (w < 0 || (size_t)w >= size)
    return syn_error_set(err, SYN_ELIMIT, "the output name '%s' is too long", out);
  return SYN_OK;
}

syn_status job_merge(const syn_job *job, const syn_h5sweep_spec *spec, const char *out,
                     const char *const *parts, size_t nparts, const syn_h5sweep_merge_opts *mo,
                     syn_error *err) {
  int whole = mo->task_count == 0, deliver = whole && job->deliver != NULL;
  char rows[1200];
  syn_status st = deliver ? rows_path(out, rows, sizeof rows, err) : SYN_OK;
  const char *target = deliver ? rows : out;
  syn_h5sweep *h = NULL;
  if (st == SYN_OK) st = syn_h5sweep_merge(target, parts, nparts, mo, &h, err);
  if (st == SYN_OK && whole && job->finish) st = job->finish(job->ctx, h, spec, err);
  if (st == SYN_OK) st = syn_h5sweep_commit(h, err);
  syn_h5sweep_destroy(h);
  return st;
}

syn_status job_share_status(const syn_parallel *par, syn_status st, syn_error *err) {
  if (par == NULL || !par->mpi || par->size < 2) return st;
  sweep_msg msg = {0};
  msg.status = st;
  if (sweep_mpi_bcast(par, &msg) != 0)
    return syn_error_set(err, SYN_EIO, "MPI: a broadcast failed on rank %d", par->rank);
  if (msg.status != SYN_OK && sweep_mpi_bcast_error(par, err) != 0)
    return syn_error_set(err, SYN_EIO, "MPI: a broadcast failed on rank %d", par->rank);
  return (syn_status)msg.status;
}

syn_status job_deliver(const syn_job *job, const syn_parallel *par, const char *out,
                       syn_status st, syn_error *err) {
  char rows[1200];
  if (st == SYN_OK) st = rows_path(out, rows, sizeof rows, err);
  st = job_share_status(par, st, err);
  if (st != SYN_OK) return st;
  st = job->deliver(job->ctx, rows, out, err);
  st = job_share_status(par, st, err); /* every rank has read the rows */
  if (par == NULL || par->rank == 0) unlink(rows);
  return st;
}

/* The shards are of this job: its configuration and count. */
static syn_status shards_of_job(const syn_job *job, const syn_h5sweep_spec *ps,
                                const char *part, syn_error *err) {
  if (job->spec == NULL) return SYN_OK;
  const char *want = job->spec->config_sha256 ? job->spec->config_sha256 : "";
  if (strcmp(ps->config_sha256 ? ps->config_sha256 : "", want) == 0 &&
      ps->nsamples == job->spec->nsamples)
    return SYN_OK;
  syn_error_set(err, SYN_EINVAL, "'%s' was written by a %s with another configuration (%s, "
                "or the number of %ss, changed since)", part, job->what, job->inputs, job->noun);
  syn_error_hint(err, "merge the shards with the files and options they were run with");
  return SYN_EINVAL;
}

/* Rank 0: the shards (checked against the job) merged into out_path, or
 * its rows for a job that delivers; *total their count. */
static syn_status merge_shard_files(const syn_job *job, const char *out_path,
                                    const char *const *parts, size_t nparts,
                                    const char *command_line, size_t *total, syn_error *err) {
  if (nparts == 0) return syn_error_set(err, SYN_EINVAL, "no parts to merge");
  syn_h5sweep_reader *rd = NULL;
  syn_status st = syn_h5sweep_open(parts[0], &rd, err);
  if (st != SYN_OK) return st;
  const syn_h5sweep_spec *spec = syn_h5sweep_reader_spec(rd);
  syn_h5sweep_merge_opts mo = {0};
  mo.require_first = 0;
  mo.require_end = spec->nsamples;
  mo.check_tasks = spec->task_count > 0;
  mo.memory_limit = 4 << 20; /* above 4 MiB straight to disk: memory flat in the samples */
  mo.command_line = command_line;
  st = shards_of_job(job, spec, parts[0], err);
  if (st == SYN_OK) st = job_merge(job, spec, out_path, parts, nparts, &mo, err);
  *total = spec->nsamples;
  syn_h5sweep_reader_destroy(rd);
  return st;
}

syn_status syn_job_merge_files(const syn_job *job, const char *out_path,
                               const char *const *parts, size_t nparts,
                               const char *command_line, const syn_parallel *par,
                               syn_sweep_report *report, syn_error *err) {
  syn_sweep_report local_rep;
  if (report == NULL) report = &local_rep;
  *report = (syn_sweep_report){0};
  int rank0 = par == NULL || par->rank == 0;
  sweep_lock lock; /* where the file system has no locks, the merge (short) goes on */
  lock.fd = -1;
  syn_status st = rank0 ? sweep_lock_take(out_path, &lock, err) : SYN_OK;
  if (st == SYN_OK && rank0)
    st = merge_shard_files(job, out_path, parts, nparts, command_line, &report->total, err);
  if (job->deliver != NULL) st = job_deliver(job, par, out_path, st, err);
  else st = job_share_status(par, st, err);
  snprintf(report->out_path, sizeof report->out_path, "%s", out_path);
  if (rank0) sweep_lock_release(&lock);
  return st;
}

syn_status syn_sweep_merge_files(const char *out_path, const char *const *parts, size_t nparts,
                                 const char *command_line, size_t n_boot, double conf_level,
                                 syn_sweep_report *report, syn_error *err) {
  sweep_job_ctx ctx = {NULL, n_boot, conf_level};
  syn_job job = {"sweep", "sample", "", NULL, NULL, NULL, sweep_job_finish, NULL, &ctx,
                 SYN_OK};
  return syn_job_merge_files(&job, out_path, parts, nparts, command_line, NULL, report, err);
}
