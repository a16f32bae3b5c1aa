/* synovia — a sweep as a job of the runner (sweep layer).
 *
 * syn_sweep_run describes the sweep to the runner (run.c): its rows (the
 * h5sweep spec with its provenance), the configuration hash of the solver
 * options it runs with, an evaluator for its samples and, at the end, its
 * sensitivity indices. Everything else (parts, lock, resume, MPI, merge) is
 * the runner's, shared with the other kinds of job (a fit's starts). */
#include <string.h>

#include "base/alloc.h"
#include "sweep_internal.h"

/* What each sweep run holds while the runner uses it. */
typedef struct sweep_job {
  sweep_job_ctx ctx;
  sweep_prov prov;
  syn_h5sweep_spec spec;
  syn_solver_opts solver;
  char config_sha256[SYN_SHA256_HEX];
  char *solver_config; /* owned (sweep_run_config) */
} sweep_job;

static syn_status eval_sample(void *ctx, size_t i, syn_sweep_sample *out, syn_error *err) {
  return syn_sweep_eval_sample(((sweep_job_ctx *)ctx)->ev, i, out, err);
}

static syn_status sweep_job_init(sweep_job *j, const syn_sweep *sw, const syn_sweep_run_opts *o,
                                 syn_error *err) {
  syn_status st = sweep_prov_init(sw, o->command_line, &j->prov, err);
  if (st != SYN_OK) return st;
  sweep_fill_spec(sw, &j->prov.prov, &j->spec);
  sweep_solver_opts(sw, o->solver, &j->solver);
  st = sweep_run_config(sw, &j->solver, j->config_sha256, &j->solver_config, err);
  j->spec.config_sha256 = j->config_sha256;
  j->ctx.n_boot = o->n_boot;
  j->ctx.conf_level = o->conf_level;
  if (st == SYN_OK) st = syn_sweep_eval_create(sw, &j->solver, &j->ctx.ev, err);
  return st;
}

static void sweep_job_free(sweep_job *j) {
  syn_sweep_eval_destroy(j->ctx.ev);
  sweep_prov_free(&j->prov);
  syn_free(j->solver_config);
}

syn_status syn_sweep_run(const syn_sweep *sw, const syn_sweep_run_opts *o,
                         syn_sweep_report *report, syn_error *err) {
  syn_error local;
  syn_sweep_report rep_local;
  if (err == NULL) err = &local;
  if (report == NULL) report = &rep_local;
  *report = (syn_sweep_report){0};
  sweep_job j;
  memset(&j, 0, sizeof j);
  syn_status st = sweep_job_init(&j, sw, o, err);
  syn_job job = {"sweep", "sample",
                 "the sweep, scenario or model files, the solver options, or synovia",
                 &j.spec, j.solver_config, eval_sample, sweep_job_finish, NULL, &j.ctx, st};
  st = syn_job_run(&job, o, report, err); /* on every rank, even one that failed here */
  sweep_job_free(&j);
  return st;
}
