/* synovia — a fit's multistart as a job of the sweep runner (fit layer).
 *
 * One start = one optimisation from a point of the fit file's design (a pure
 * function of its index, so any process may run any start); its outcome is
 * one row of the runner's part files (layout in include/synovia/multistart.h).
 * The runner (src/sweep/run.c) does the rest as for sweeps: MPI, shards,
 * checkpoints, resume, lock and merge; at the end the merged rows are read
 * back into a table and handed to the caller, which writes the fit file. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/sha256.h"
#include "synovia/multistart.h"
#include "synovia/objective.h"
#include "synovia/version.h"

/* The metrics of a start's row before its end point (the order of row_values). */
enum { M_OBJECTIVE, M_ITERATIONS, M_EVALUATIONS, M_OPTIM_STATUS, M_FIXED };
static const char *const fixed_metrics[M_FIXED] = {"objective", "iterations", "evaluations",
                                                    "optimizer_status"};
static const char *const arm_names[] = {"fit"};

/* The optimisers' statuses and their own texts (optim.h's one list). */
typedef struct status_text {
  int status;
  const char *text;
} status_text;
#define MS_STATUS_ROW_(name, value, key, msg) {value, msg},
static const status_text status_texts[] = {SYN_OPTIM_STATUS_LIST(MS_STATUS_ROW_)};
#undef MS_STATUS_ROW_

struct syn_multistart {
  const syn_fit *fit;
  const syn_optim_type *type;
  syn_objective *obj;
  syn_optim *opt;
  syn_optim_problem prob;
  syn_optim_settings settings;
  size_t nstarts, np, block;
  uint64_t seed;
  double *lo, *hi;         /* [np] bounds on the parameter scale */
  const char **names;      /* [np] */
  double *x, *start, *end; /* [np] scratch: scaled point, linear start and end */
  double *row;             /* [M_FIXED + np] a row's metrics */
  const char **metric_names; /* [M_FIXED + np] */
  char **end_names;        /* [np] "end NAME" */
  double *plin_lo, *plin_hi; /* [np] linear bounds (the rows' param_lower/upper) */
  char message[SYN_OPTIM_MESSAGE_MAX + SYN_ERROR_MSG_MAX];
  char fit_sha256[SYN_SHA256_HEX], config_sha256[SYN_SHA256_HEX];
  char *fit_text;
  const char **prov_paths, **prov_texts; /* fit, scenario, model files */
  syn_provenance prov;
  syn_h5sweep_spec spec;
  syn_multistart_deliver deliver;
  void *deliver_ctx;
};

/* ---- the optimiser's callbacks ------------------------------------------------------- */

static int f_cb(const double *x, double *f, double *grad, void *user) {
  syn_multistart *ms = user;
  syn_error err;
  syn_objective_value v;
  if (syn_objective_eval(ms->obj, x, &v, grad, &err) != SYN_OK) return 1;
  *f = v.total;
  return 0;
}

static int r_cb(const double *x, double *r, double *jac, void *user) {
  syn_multistart *ms = user;
  syn_error err;
  double constant;
  return syn_objective_residuals(ms->obj, x, r, jac, &constant, &err) != SYN_OK;
}

/* ---- files read for the configuration hash --------------------------------------------- */

/* The whole text of a file; NULL when it cannot be read (caller frees). */
static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t len = 0, cap = 0;
  int ok = f != NULL;
  for (int more = ok; more;) {
    char *b = len + 4097 > cap ? syn_realloc(buf, cap = 2 * cap + 8192) : buf;
    if (b == NULL) {
      ok = 0;
      break;
    }
    buf = b;
    size_t got = fread(buf + len, 1, cap - len - 1, f);
    len += got;
    more = got > 0;
  }
  if (f != NULL && ferror(f)) ok = 0;
  if (f != NULL) fclose(f);
  if (!ok) {
    syn_free(buf);
    return NULL;
  }
  buf[len] = 0;
  return buf;
}

static void hash_text(syn_sha256 *h, const char *label, const char *text) {
  syn_sha256_update(h, label, strlen(label) + 1);
  syn_sha256_update(h, text ? text : "", strlen(text ? text : "") + 1);
}

/* The data tables' texts, each file once (the points are sorted by arm, so
 * a file may come back: every earlier point is compared). */
static syn_status hash_data(syn_sha256 *h, const syn_fit *fit, syn_error *err) {
  size_t n = syn_fit_point_count(fit);
  for (size_t i = 0; i < n; i++) {
    const char *file = syn_fit_point_at(fit, i)->file;
    size_t k = 0;
    while (k < i && strcmp(syn_fit_point_at(fit, k)->file, file) != 0) k++;
    if (k < i) continue;
    char *text = read_text(file);
    if (text == NULL) return syn_error_set(err, SYN_EIO, "cannot read the data table '%s'", file);
    hash_text(h, file, text);
    syn_free(text);
  }
  return SYN_OK;
}

static syn_status make_config_hash(syn_multistart *ms, syn_error *err) {
  const syn_scenario *sc = syn_fit_scenario(ms->fit);
  const syn_model *m = syn_scenario_model(sc);
  syn_sha256 h;
  char num[96];
  syn_sha256_init(&h);
  hash_text(&h, "synovia", syn_version());
  hash_text(&h, "fit", ms->fit_text);
  hash_text(&h, "scenario", syn_scenario_text(sc));
  for (size_t i = 0; i < syn_model_file_count(m); i++)
    hash_text(&h, syn_model_file_path(m, i), syn_model_file_text(m, i));
  syn_status st = hash_data(&h, ms->fit, err);
  hash_text(&h, "optimizer", syn_optim_type_name(ms->type));
  hash_text(&h, "design", syn_fit_start_design(ms->fit));
  snprintf(num, sizeof num, "%llu %zu", (unsigned long long)ms->seed, ms->block);
  hash_text(&h, "seed block", num);
  syn_sha256_hex(&h, ms->config_sha256);
  syn_sha256 fh;
  syn_sha256_init(&fh);
  syn_sha256_update(&fh, ms->fit_text, strlen(ms->fit_text));
  syn_sha256_hex(&fh, ms->fit_sha256);
  return st;
}

/* ---- create ---------------------------------------------------------------------------- */

static syn_status alloc_arrays(syn_multistart *ms) {
  size_t n = ms->np + 1, nm = M_FIXED + ms->np;
  ms->lo = syn_calloc(n, sizeof *ms->lo);
  ms->hi = syn_calloc(n, sizeof *ms->hi);
  ms->plin_lo = syn_calloc(n, sizeof *ms->plin_lo);
  ms->plin_hi = syn_calloc(n, sizeof *ms->plin_hi);
  ms->names = syn_calloc(n, sizeof *ms->names);
  ms->x = syn_calloc(n, sizeof *ms->x);
  ms->start = syn_calloc(n, sizeof *ms->start);
  ms->end = syn_calloc(n, sizeof *ms->end);
  ms->row = syn_calloc(nm, sizeof *ms->row);
  ms->metric_names = syn_calloc(nm, sizeof *ms->metric_names);
  ms->end_names = syn_calloc(n, sizeof *ms->end_names);
  int ok = ms->lo && ms->hi && ms->plin_lo && ms->plin_hi && ms->names && ms->x && ms->start &&
           ms->end && ms->row && ms->metric_names && ms->end_names;
  return ok ? SYN_OK : SYN_ENOMEM;
}

static syn_status fill_params(syn_multistart *ms) {
  for (size_t k = 0; k < M_FIXED; k++) ms->metric_names[k] = fixed_metrics[k];
  for (size_t j = 0; j < ms->np; j++) {
    const syn_fit_param *p = syn_fit_param_at(ms->fit, j);
    ms->lo[j] = syn_objective_to_scale(p, p->lower);
    ms->hi[j] = syn_objective_to_scale(p, p->upper);
    ms->plin_lo[j] = p->lower;
    ms->plin_hi[j] = p->upper;
    ms->names[j] = p->name;
    size_t len = strlen(p->name) + 5;
    if ((ms->end_names[j] = syn_malloc(len)) == NULL) return SYN_ENOMEM;
    snprintf(ms->end_names[j], len, "end %s", p->name);
    ms->metric_names[M_FIXED + j] = ms->end_names[j];
  }
  return SYN_OK;
}

/* The objective's constant terms for the least-squares types (f = 1/2|r|^2 + c). */
static syn_status residual_constant(syn_multistart *ms, syn_error *err) {
  size_t m = ms->prob.m;
  double *r = syn_malloc((m ? m : 1) * sizeof *r);
  if (r == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  syn_objective_default_x(ms->fit, ms->x);
  syn_status st = syn_objective_residuals(ms->obj, ms->x, r, NULL, &ms->prob.f_const, err);
  syn_free(r);
  return st;
}

static syn_status make_optimiser(syn_multistart *ms, syn_error *err) {
  size_t m = syn_objective_residual_count(ms->fit);
  int lsq = syn_optim_type_needs_residuals(ms->type);
  syn_status st = syn_objective_create(ms->fit, &ms->obj, err);
  if (st == SYN_OK) st = syn_optim_create(ms->type, ms->np, m, &ms->opt, err);
  if (st != SYN_OK) return st;
  ms->prob = (syn_optim_problem){ms->np, lsq ? m : 0, f_cb, lsq ? r_cb : NULL, 0.0,
                                 ms->lo, ms->hi, ms->names, ms};
  syn_optim_settings_default(&ms->settings);
  return lsq ? residual_constant(ms, err) : SYN_OK;
}

static const syn_optim_type *choose_type(const syn_fit *fit, const syn_optim_type *given) {
  const syn_optim_type *t = given ? given : syn_optim_type_find(syn_fit_optimizer(fit));
  if (t == NULL) t = syn_optim_lm();
  if (syn_optim_type_needs_residuals(t) && !syn_objective_residual_form(fit, NULL, 0))
    t = syn_optim_lbfgs();
  return t;
}

/* The provenance of the rows' files: the fit file, the scenario, its model
 * files (root first), as the fit file keeps them. */
static syn_status make_provenance(syn_multistart *ms, const char *command_line) {
  const syn_scenario *sc = syn_fit_scenario(ms->fit);
  const syn_model *m = syn_scenario_model(sc);
  size_t nm = syn_model_file_count(m);
  ms->prov_paths = syn_calloc(nm + 2, sizeof *ms->prov_paths);
  ms->prov_texts = syn_calloc(nm + 2, sizeof *ms->prov_texts);
  if (ms->prov_paths == NULL || ms->prov_texts == NULL) return SYN_ENOMEM;
  ms->prov_paths[0] = syn_fit_path(ms->fit);
  ms->prov_texts[0] = ms->fit_text;
  ms->prov_paths[1] = syn_scenario_path(sc);
  ms->prov_texts[1] = syn_scenario_text(sc);
  for (size_t i = 0; i < nm; i++) {
    ms->prov_paths[2 + i] = syn_model_file_path(m, i);
    ms->prov_texts[2 + i] = syn_model_file_text(m, i);
  }
  ms->prov = (syn_provenance){syn_fit_title(ms->fit), command_line ? command_line : "",
                              syn_model_sha256(m), nm + 2, ms->prov_paths, ms->prov_texts,
                              NULL, syn_scenario_sha256(sc), syn_scenario_path(sc)};
  return SYN_OK;
}

static void fill_spec(syn_multistart *ms) {
  syn_h5sweep_spec *s = &ms->spec;
  *s = (syn_h5sweep_spec){0};
  s->prov = &ms->prov;
  s->sweep_sha256 = ms->fit_sha256;
  s->config_sha256 = ms->config_sha256;
  s->sweep_file = syn_fit_path(ms->fit);
  s->design = syn_fit_start_design(ms->fit);
  s->seed = s->base_seed = ms->seed;
  s->nsamples = ms->nstarts;
  s->nparams = ms->np;
  s->param_names = ms->names;
  s->param_lower = ms->plin_lo;
  s->param_upper = ms->plin_hi;
  s->narms = 1;
  s->arm_names = arm_names;
  s->nmetrics = M_FIXED + ms->np;
  s->metric_names = ms->metric_names;
}

static syn_status setup(syn_multistart *ms, const syn_multistart_opts *o, syn_error *err) {
  const syn_fit *fit = ms->fit;
  ms->np = syn_fit_param_count(fit);
  ms->block = syn_fit_starts(fit) ? syn_fit_starts(fit) : 1;
  ms->nstarts = o && o->starts ? o->starts : syn_fit_starts(fit);
  ms->seed = o && o->seed >= 0 ? (uint64_t)o->seed : syn_fit_seed(fit);
  ms->type = choose_type(fit, o ? o->type : NULL);
  if (ms->np == 0 || ms->nstarts == 0)
    return syn_error_set(err, SYN_EINVAL, "%s: nothing to estimate (%zu parameters, %zu starts)",
                         syn_fit_path(fit), ms->np, ms->nstarts);
  if (alloc_arrays(ms) != SYN_OK || fill_params(ms) != SYN_OK)
    return syn_error_set(err, SYN_ENOMEM, "out of memory");
  if ((ms->fit_text = read_text(syn_fit_path(fit))) == NULL)
    return syn_error_set(err, SYN_EIO, "cannot read the fit file '%s' again", syn_fit_path(fit));
  if (make_provenance(ms, o ? o->command_line : NULL) != SYN_OK)
    return syn_error_set(err, SYN_ENOMEM, "out of memory");
  syn_status st = make_config_hash(ms, err);
  if (st == SYN_OK) st = make_optimiser(ms, err);
  fill_spec(ms);
  return st;
}

syn_status syn_multistart_create(const syn_fit *fit, const syn_multistart_opts *o,
                                 syn_multistart **out, syn_error *err) {
  *out = NULL;
  syn_multistart *ms = syn_calloc(1, sizeof *ms);
  if (ms == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  ms->fit = fit;
  syn_status st = setup(ms, o, err);
  if (st != SYN_OK) {
    syn_multistart_destroy(ms);
    return st;
  }
  *out = ms;
  return SYN_OK;
}

void syn_multistart_destroy(syn_multistart *ms) {
  if (ms == NULL) return;
  syn_optim_destroy(ms->opt);
  syn_objective_destroy(ms->obj);
  for (size_t j = 0; ms->end_names && j < ms->np; j++) syn_free(ms->end_names[j]);
  void *arrays[] = {ms->lo, ms->hi, ms->plin_lo, ms->plin_hi, ms->names, ms->x, ms->start,
                    ms->end, ms->row, ms->metric_names, ms->end_names, ms->fit_text,
                    ms->prov_paths, ms->prov_texts};
  for (size_t i = 0; i < sizeof arrays / sizeof *arrays; i++) syn_free(arrays[i]);
  syn_free(ms);
}

size_t syn_multistart_count(const syn_multistart *ms) { return ms->nstarts; }
uint64_t syn_multistart_seed(const syn_multistart *ms) { return ms->seed; }
const syn_optim_type *syn_multistart_type(const syn_multistart *ms) { return ms->type; }
const char *syn_multistart_config_sha256(const syn_multistart *ms) { return ms->config_sha256; }

/* ---- one start ------------------------------------------------------------------------- */

/* Start k on the parameter scale into ms->x (see syn_multistart_run_start). */
static syn_status start_point(syn_multistart *ms, size_t k, syn_error *err) {
  syn_status st = syn_sweep_design_unit(syn_fit_start_design(ms->fit), ms->seed + k / ms->block,
                                        ms->block, ms->np, k % ms->block, ms->x, err);
  for (size_t j = 0; st == SYN_OK && j < ms->np; j++) {
    const syn_fit_param *p = syn_fit_param_at(ms->fit, j);
    ms->x[j] = ms->lo[j] + ms->x[j] * (ms->hi[j] - ms->lo[j]);
    if (k == 0 && p->has_start) ms->x[j] = syn_objective_to_scale(p, p->start);
  }
  return st;
}

static void unscale(const syn_multistart *ms, const double *x, double *lin) {
  for (size_t j = 0; j < ms->np; j++)
    lin[j] = x ? syn_objective_unscale(syn_fit_param_at(ms->fit, j), x[j]) : (double)NAN;
}

/* A start that never reached the optimiser (or that it refused). */
static void start_failed(syn_multistart *ms, syn_start_result *out, const syn_error *e) {
  snprintf(ms->message, sizeof ms->message, "failed: %s", e->message);
  unscale(ms, NULL, ms->end);
  out->objective = NAN;
  out->iterations = out->evaluations = 0;
  out->optim_status = -1;
}

syn_status syn_multistart_run_start(syn_multistart *ms, size_t k, syn_start_result *out,
                                    syn_error *err) {
  if (k >= ms->nstarts)
    return syn_error_set(err, SYN_EINVAL, "start %zu of %zu does not exist", k, ms->nstarts);
  syn_error e;
  syn_error_clear(&e);
  syn_optim_result res;
  *out = (syn_start_result){k, ms->start, ms->end, NAN, 0, 0, -1, ms->message};
  int drawn = start_point(ms, k, &e) == SYN_OK;
  unscale(ms, drawn ? ms->x : NULL, ms->start);
  if (!drawn || syn_optim_minimize(ms->opt, &ms->prob, &ms->settings, ms->x, &res, &e) != SYN_OK) {
    start_failed(ms, out, &e);
    return SYN_OK;
  }
  snprintf(ms->message, sizeof ms->message, "%s", res.message);
  unscale(ms, ms->x, ms->end);
  out->objective = res.f;
  out->iterations = res.iterations;
  out->evaluations = res.evaluations;
  out->optim_status = (int)res.status;
  return SYN_OK;
}

/* ---- a start as a row ------------------------------------------------------------------ */

static const char *status_own_text(int status) {
  for (size_t i = 0; i < sizeof status_texts / sizeof *status_texts; i++)
    if (status_texts[i].status == status) return status_texts[i].text;
  return NULL;
}

/* ok: converged, with the status's own text (which the row then need not keep) */
static int row_ok(const syn_start_result *r) {
  const char *own = status_own_text(r->optim_status);
  return r->optim_status >= 0 && syn_optim_status_converged((syn_optim_status)r->optim_status) &&
         own != NULL && strcmp(own, r->message) == 0;
}

static syn_status eval_start(void *ctx, size_t i, syn_sweep_sample *out, syn_error *err) {
  syn_multistart *ms = ctx;
  syn_start_result r;
  syn_status st = syn_multistart_run_start(ms, i, &r, err);
  if (st != SYN_OK) return st;
  ms->row[M_OBJECTIVE] = r.objective;
  ms->row[M_ITERATIONS] = (double)r.iterations;
  ms->row[M_EVALUATIONS] = (double)r.evaluations;
  ms->row[M_OPTIM_STATUS] = r.optim_status;
  memcpy(ms->row + M_FIXED, r.end, ms->np * sizeof *r.end);
  int ok = row_ok(&r);
  *out = (syn_sweep_sample){i, ok ? SYN_SWEEP_OK : SYN_SWEEP_ERROR, ok ? "" : r.message,
                            r.start, ms->row, NULL};
  return SYN_OK;
}

/* ---- the merged rows back as a table ----------------------------------------------------- */

void syn_multistart_table_free(syn_multistart_table *t) {
  if (t == NULL) return;
  for (size_t k = 0; t->status != NULL && k < t->nstarts; k++) syn_free(t->status[k]);
  void *arrays[] = {t->start, t->end, t->objective, t->iterations, t->evaluations, t->status};
  for (size_t i = 0; i < sizeof arrays / sizeof *arrays; i++) syn_free(arrays[i]);
  *t = (syn_multistart_table){0};
}

static syn_status table_alloc(syn_multistart_table *t, size_t n, size_t np) {
  *t = (syn_multistart_table){0};
  t->nstarts = n;
  t->nparams = np;
  t->start = syn_calloc(n * np, sizeof *t->start);
  t->end = syn_calloc(n * np, sizeof *t->end);
  t->objective = syn_calloc(n, sizeof *t->objective);
  t->iterations = syn_calloc(n, sizeof *t->iterations);
  t->evaluations = syn_calloc(n, sizeof *t->evaluations);
  t->status = syn_calloc(n, sizeof *t->status);
  int ok = t->start && t->end && t->objective && t->iterations && t->evaluations && t->status;
  return ok ? SYN_OK : SYN_ENOMEM;
}

static char *copy_text(const char *s) {
  size_t n = strlen(s) + 1;
  char *c = syn_malloc(n);
  if (c != NULL) memcpy(c, s, n);
  return c;
}

/* Row k's message: its reason, or for an ok row its status's own text. */
static syn_status row_message(syn_h5sweep_reader *rd, size_t k, int ok, double status,
                              char **out, syn_error *err) {
  char buf[SYN_OPTIM_MESSAGE_MAX + SYN_ERROR_MSG_MAX];
  const char *own = status_own_text((int)status);
  syn_status st = ok ? SYN_OK : syn_h5sweep_read_reason(rd, k, buf, sizeof buf, NULL, err);
  if (st != SYN_OK) return st;
  *out = copy_text(ok ? (own ? own : "") : buf);
  return *out ? SYN_OK : syn_error_set(err, SYN_ENOMEM, "out of memory");
}

static void table_row(syn_multistart_table *t, size_t k, const double *params,
                      const double *m) {
  size_t np = t->nparams;
  memcpy(t->start + k * np, params, np * sizeof *params);
  memcpy(t->end + k * np, m + M_FIXED, np * sizeof *m);
  t->objective[k] = m[M_OBJECTIVE];
  t->iterations[k] = (long long)m[M_ITERATIONS];
  t->evaluations[k] = (long long)m[M_EVALUATIONS];
  if (isfinite(m[M_OBJECTIVE]) && !(m[M_OBJECTIVE] >= t->best_objective)) {
    t->best = k;
    t->best_objective = m[M_OBJECTIVE];
  }
}

static syn_status read_table(syn_h5sweep_reader *rd, syn_multistart_table *t, syn_error *err) {
  size_t np = t->nparams, nm = M_FIXED + np;
  double *params = syn_malloc(np * sizeof *params), *m = syn_malloc(nm * sizeof *m);
  syn_status st = params && m ? SYN_OK : syn_error_set(err, SYN_ENOMEM, "out of memory");
  t->best_objective = NAN;
  for (size_t k = 0; st == SYN_OK && k < t->nstarts; k++) {
    signed char status;
    st = syn_h5sweep_read_rows(rd, k, 1, params, &status, m, NULL, err);
    if (st == SYN_OK) {
      table_row(t, k, params, m);
      st = row_message(rd, k, status == SYN_SWEEP_OK, m[M_OPTIM_STATUS], &t->status[k], err);
    }
  }
  syn_free(params);
  syn_free(m);
  return st;
}

static syn_status deliver_rows(void *ctx, const char *rows_path, const char *out,
                               syn_error *err) {
  syn_multistart *ms = ctx;
  syn_h5sweep_reader *rd = NULL;
  syn_multistart_table t = {0};
  syn_status st = syn_h5sweep_open(rows_path, &rd, err);
  if (st == SYN_OK && table_alloc(&t, ms->nstarts, ms->np) != SYN_OK)
    st = syn_error_set(err, SYN_ENOMEM, "out of memory");
  if (st == SYN_OK) st = read_table(rd, &t, err);
  if (st == SYN_OK) st = ms->deliver(ms->deliver_ctx, &t, out, err);
  syn_multistart_table_free(&t);
  syn_h5sweep_reader_destroy(rd);
  return st;
}

/* ---- running ----------------------------------------------------------------------------- */

static syn_job make_job(syn_multistart *ms, syn_multistart_deliver deliver, void *ctx) {
  ms->deliver = deliver;
  ms->deliver_ctx = ctx;
  return (syn_job){"fit", "start",
                   "the fit, scenario, model or data files, the optimizer, design or seed, or "
                   "synovia",
                   &ms->spec, NULL, eval_start, NULL, deliver ? deliver_rows : NULL, ms, SYN_OK};
}

syn_status syn_multistart_run(syn_multistart *ms, const syn_sweep_run_opts *o,
                              syn_multistart_deliver deliver, void *ctx,
                              syn_sweep_report *report, syn_error *err) {
  syn_job job = make_job(ms, deliver, ctx);
  return syn_job_run(&job, o, report, err);
}

syn_status syn_multistart_merge(syn_multistart *ms, const char *out_path,
                                const char *const *shards, size_t nshards,
                                syn_multistart_deliver deliver, void *ctx,
                                const syn_parallel *par, syn_sweep_report *report,
                                syn_error *err) {
  syn_job job = make_job(ms, deliver, ctx);
  return syn_job_merge_files(&job, out_path, shards, nshards, ms->prov.command_line, par,
                             report, err);
}
