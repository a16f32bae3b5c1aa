/* synovia — evaluating one sample of a sweep (sweep layer).
 *
 * One compiled problem (synovia/problem.h) over the arms run, the sweep's
 * parameters its free parameters, and one workspace, per evaluator (one per
 * process or thread): a sample's values are theta, applied after each arm's
 * own settings; the arms run one after the other (the workspace keeps the
 * steady-state baselines they share) with nothing resolved by name and
 * nothing allocated. A sample that fails is a result, not an error: its
 * status and reason say why, its metrics are NaN. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "synovia/problem.h"
#include "sweep_internal.h"

struct syn_sweep_eval {
  const syn_sweep *sw;
  syn_problem *problem;
  syn_problem_ws *ws;
  double *params;     /* [nparams] */
  double *metrics;    /* [narms * nmetrics] */
  double *traj;       /* [narms * nseries * ntimes] or NULL */
  size_t *series;     /* [nseries]: the problem's series of each sweep series (SIZE_MAX: none) */
  unsigned char *kept; /* per scenario metric: 1 if the sweep keeps it */
  syn_problem_want want; /* what an arm computes: the metrics kept, series only for trajectories */
  char reason[SYN_ERROR_MSG_MAX + 128];
};

/* The problem's index of series `name` (states, then outputs). */
static size_t series_index(const syn_model *m, const char *name) {
  syn_symkind kind;
  size_t i;
  if (!syn_model_find(m, name, &kind, &i)) return SIZE_MAX;
  if (kind == SYN_SYM_STATE) return i;
  if (kind == SYN_SYM_OUTPUT) return syn_model_count(m, SYN_SYM_STATE) + i;
  return SIZE_MAX;
}

static syn_status make_problem(syn_sweep_eval *ev, const syn_solver_opts *opts, syn_error *err) {
  const syn_sweep *sw = ev->sw;
  syn_status st = syn_problem_create(sw->scenario, sw->arms, sw->nrun, sw->param_names,
                                     sw->nparams, opts, &ev->problem, err);
  if (st == SYN_OK) st = syn_problem_ws_create(ev->problem, &ev->ws, err);
  return st;
}

syn_status syn_sweep_eval_create(const syn_sweep *sw, const syn_solver_opts *opts,
                                 syn_sweep_eval **out, syn_error *err) {
  *out = NULL;
  if (sw->plan_only) /* nothing to evaluate: its design was only counted */
    return syn_error_set(err, SYN_EINVAL, "the sweep was loaded for a dry run "
                                          "(syn_sweep_load_plan): it cannot be run");
  syn_sweep_eval *ev = syn_calloc(1, sizeof *ev);
  if (ev == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  ev->sw = sw;
  size_t np = sw->nparams, nm = sw->narms * sw->nmetrics;
  size_t nt = sw->narms * sw->nseries * sw->ntimes;
  ev->params = syn_calloc(np ? np : 1, sizeof *ev->params);
  ev->metrics = syn_calloc(nm ? nm : 1, sizeof *ev->metrics);
  ev->traj = nt ? syn_calloc(nt, sizeof *ev->traj) : NULL;
  ev->series = syn_calloc(sw->nseries + 1, sizeof *ev->series);
  size_t nsm = syn_scenario_metric_count(sw->scenario);
  ev->kept = syn_calloc(nsm ? nsm : 1, 1);
  if (!ev->params || !ev->metrics || (nt && !ev->traj) || !ev->series || !ev->kept) {
    syn_sweep_eval_destroy(ev);
    return syn_error_set(err, SYN_ENOMEM, "out of memory for a sweep sample");
  }
  for (size_t m = 0; m < sw->nmetrics; m++)
    if (sw->metrics[m] < nsm) ev->kept[sw->metrics[m]] = 1;
  for (size_t c = 0; c < sw->nseries; c++)
    ev->series[c] = series_index(syn_scenario_model(sw->scenario), sw->series_names[c]);
  ev->want = (syn_problem_want){nt > 0, ev->kept, NULL, 0, NULL, NULL, 0, NULL, NULL};
  syn_status st = make_problem(ev, opts, err);
  if (st != SYN_OK) {
    syn_sweep_eval_destroy(ev);
    return st;
  }
  *out = ev;
  return SYN_OK;
}

void syn_sweep_eval_destroy(syn_sweep_eval *ev) {
  if (ev == NULL) return;
  syn_problem_ws_destroy(ev->ws);
  syn_problem_destroy(ev->problem);
  syn_free(ev->params);
  syn_free(ev->metrics);
  syn_free(ev->traj);
  syn_free(ev->series);
  syn_free(ev->kept);
  syn_free(ev);
}

static int sample_status(syn_status st) {
  switch (st) {
    case SYN_ESOLVER: return SYN_SWEEP_SOLVER_FAILURE;
    case SYN_ENONFINITE: return SYN_SWEEP_NONFINITE;
    default: return SYN_SWEEP_ERROR;
  }
}

/* Metrics of arm k into ev->metrics, in the sweep's order. */
static void take_metrics(syn_sweep_eval *ev, size_t k, const syn_problem_result *r) {
  const syn_sweep *sw = ev->sw;
  size_t nsm = syn_scenario_metric_count(sw->scenario);
  for (size_t m = 0; m < sw->nmetrics; m++)
    ev->metrics[k * sw->nmetrics + m] = sw->metrics[m] < nsm ? r->metrics[sw->metrics[m]] : (double)NAN;
}

static void take_series(syn_sweep_eval *ev, size_t k, const syn_problem_result *r) {
  const syn_sweep *sw = ev->sw;
  size_t nt = r->ntimes < sw->ntimes ? r->ntimes : sw->ntimes;
  for (size_t c = 0; c < sw->nseries; c++) {
    double *dst = ev->traj + (k * sw->nseries + c) * sw->ntimes;
    if (ev->series[c] == SIZE_MAX) continue;
    for (size_t t = 0; t < nt; t++) dst[t] = r->series[t * r->nseries + ev->series[c]];
  }
}

/* The `difference` arms: first arm minus second, metric by metric (and point
 * by point for trajectories). */
static void take_differences(syn_sweep_eval *ev) {
  const syn_sweep *sw = ev->sw;
  size_t M = sw->nmetrics, T = sw->nseries * sw->ntimes;
  for (size_t i = 0; i + sw->nrun < sw->narms; i++) {
    size_t d = sw->nrun + i, a = sw->diff_a[i], b = sw->diff_b[i];
    for (size_t m = 0; m < M; m++)
      ev->metrics[d * M + m] = ev->metrics[a * M + m] - ev->metrics[b * M + m];
    for (size_t t = 0; ev->traj && t < T; t++)
      ev->traj[d * T + t] = ev->traj[a * T + t] - ev->traj[b * T + t];
  }
}

static void fill_nan(double *v, size_t n) {
  for (size_t i = 0; i < n; i++) v[i] = NAN;
}

syn_status syn_sweep_eval_sample(syn_sweep_eval *ev, size_t i, syn_sweep_sample *out,
                                 syn_error *err) {
  const syn_sweep *sw = ev->sw;
  syn_error local;
  fill_nan(ev->metrics, sw->narms * sw->nmetrics);
  if (ev->traj) fill_nan(ev->traj, sw->narms * sw->nseries * sw->ntimes);
  ev->reason[0] = 0;
  *out = (syn_sweep_sample){i, SYN_SWEEP_OK, ev->reason, ev->params, ev->metrics, ev->traj};
  syn_status st = syn_sweep_params(sw, i, ev->params, err);
  if (st != SYN_OK) return st;
  for (size_t k = 0; k < sw->nrun; k++) {
    syn_problem_result res;
    st = syn_problem_eval(ev->ws, k, ev->params, &ev->want, &res, &local);
    if (st == SYN_ENOMEM) {
      *err = local;
      return st;
    }
    if (st != SYN_OK) {
      out->status = sample_status(st);
      /* The scenario names the arm in its own messages; others get it here. */
      if (strncmp(local.message, "arm '", 5) == 0)
        snprintf(ev->reason, sizeof ev->reason, "%s", local.message);
      else
        snprintf(ev->reason, sizeof ev->reason, "arm '%s': %s", sw->arm_names[k], local.message);
      fill_nan(ev->metrics, sw->narms * sw->nmetrics);
      if (ev->traj) fill_nan(ev->traj, sw->narms * sw->nseries * sw->ntimes);
      return SYN_OK;
    }
    take_metrics(ev, k, &res);
    if (ev->traj) take_series(ev, k, &res);
  }
  take_differences(ev);
  return SYN_OK;
}
