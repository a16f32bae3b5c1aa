/* synovia — running one arm of a scenario (problem layer; see
 * include/synovia/scenario.h, syn_scenario_run_arm): a one-shot compiled
 * problem whose free parameters are the overrides, evaluated once
 * (syn_problem_eval_arm), its workspace's buffers turned into a syn_arm_result (series, dose records,
 * metrics, solver settings and statistics, baseline, warnings). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "problem_impl.h"
#include "solve/run_internal.h"

static syn_status add_series(const syn_problem *p, const syn_problem_result *r, syn_result *res,
                             syn_error *err) {
  syn_status st = SYN_OK;
  for (size_t k = 0; r->series && k < r->ntimes && st == SYN_OK; k++)
    st = syn_result_append(res, p->grid[k], r->series + k * r->nseries, err);
  return st;
}

/* The conditional doses the run gave (the model's event log), after the scheduled ones. */
static syn_status add_cond_doses(const syn_scenario *s, const arm_ws *a, syn_result *res,
                                 syn_error *err) {
  const double *t = NULL;
  const uint32_t *ev = NULL;
  size_t n = s->ncond > 0 ? syn_instance_event_log(a->inst, &t, &ev) : 0;
  syn_status st = SYN_OK;
  for (size_t k = 0; k < n && st == SYN_OK; k++) {
    size_t i = scn_cdose_of_event(s, a->arm, ev[k]);
    if (i == SIZE_MAX) continue;
    const scn_dose *d = &a->arm->doses[i];
    syn_dose_record rec = {t[k], a->amount[i], 0, d->route, d->target, d->joint, d->units};
    st = syn_result_add_dose(res, &rec, err);
  }
  return st;
}

/* The conditional doses the run gave, counted for the caller (syn_arm_result). */
static void count_cond_doses(const syn_scenario *s, const arm_ws *a, syn_arm_result *out) {
  const double *t = NULL;
  const uint32_t *ev = NULL;
  size_t n = s->ncond > 0 ? syn_instance_event_log(a->inst, &t, &ev) : 0;
  for (size_t i = 0; i < a->arm->ndoses; i++) out->has_cond_doses |= a->arm->doses[i].is_cond;
  for (size_t k = 0; k < n; k++) out->cond_doses += scn_cdose_of_event(s, a->arm, ev[k]) != SIZE_MAX;
}

static syn_status add_doses(const syn_scenario *s, const arm_ws *a, syn_result *res,
                            syn_error *err) {
  syn_status st = SYN_OK;
  for (size_t i = 0; i < a->sched.nevents && st == SYN_OK; i++) {
    const scn_event *e = &a->sched.events[i];
    if (e->kind == SCN_INFUSION_END) continue;
    const scn_dose *d = &a->arm->doses[e->dose];
    syn_dose_record rec = {e->t, a->amount[e->dose], d->over, d->route, d->target, d->joint,
                           d->units};
    st = syn_result_add_dose(res, &rec, err);
  }
  return st == SYN_OK ? add_cond_doses(s, a, res, err) : st;
}

static syn_status add_metrics(const syn_scenario *s, const double *values, syn_result *res,
                              syn_error *err) {
  syn_status st = SYN_OK;
  for (size_t i = 0; i < s->nmetrics && st == SYN_OK; i++) {
    const scn_metric *m = &s->metrics[i];
    st = syn_result_add_metric(res, m->name, m->units, m->description, values[i], err);
  }
  return st;
}

static syn_status add_arm_attributes(const syn_scenario *s, const arm_ws *a,
                                     const syn_problem_result *r, syn_result *res,
                                     syn_error *err) {
  const syn_baseline_info *b = &r->baseline;
  syn_status st = syn_result_attr_string(res, "arm", a->arm->name, err);
  if (st == SYN_OK) st = syn_result_attr_string(res, "baseline", s->steady ? "steady" : "declared", err);
  if (st == SYN_OK) st = syn_result_attr_string(res, "baseline_method", b->method, err);
  if (st == SYN_OK) st = syn_result_attr_int(res, "baseline_iterations", b->iterations, err);
  if (st == SYN_OK) st = syn_result_attr_double(res, "baseline_residual", b->residual, err);
  if (st == SYN_OK) st = syn_result_attr_int(res, "cvode_nreinit", r->stats.nreinit, err);
  return st;
}

/* The metric a call belongs to (for messages). */
static const char *metric_of(const syn_scenario *s, size_t call) {
  for (size_t i = 0; i < s->nmetrics; i++)
    if (call >= (size_t)(s->metrics[i].calls - s->calls) &&
        call < (size_t)(s->metrics[i].calls - s->calls) + s->metrics[i].ncalls)
      return s->metrics[i].name;
  return "?";
}

/* The schedule's warnings, then one per call whose arguments gave no window
 * (round by round, as they were met). */
static syn_status take_warnings(const syn_scenario *s, const arm_ws *a,
                                const syn_problem_result *r, syn_arm_result *out,
                                syn_error *err) {
  syn_status st = SYN_OK;
  for (size_t i = 0; i < a->sched.nwarnings && st == SYN_OK; i++)
    st = scn_add_warning(&out->warnings, &out->nwarnings, a->sched.warnings[i], err);
  for (int round = 0; round <= s->max_round && st == SYN_OK; round++)
    for (size_t i = 0; i < s->ncalls && st == SYN_OK; i++) {
      if (s->calls[i].round != round || !r->no_window[i]) continue;
      char text[512];
      snprintf(text, sizeof text,
               "metric '%s': the arguments of '%s' give no window inside the simulation: "
               "its value is NaN",
               metric_of(s, i), s->calls[i].node->u.call.fn);
      st = scn_add_warning(&out->warnings, &out->nwarnings, text, err);
    }
  return st;
}

static syn_status fill_result(const syn_problem_ws *ws, size_t arm, const syn_problem_result *r,
                              const syn_arm_keep *keep, syn_arm_result *res, syn_error *err) {
  const syn_problem *p = ws->p;
  const syn_scenario *s = p->s;
  const arm_ws *a = &ws->arms[arm];
  res->baseline = r->baseline;
  /* without series the result holds no times: room for one is enough */
  syn_status st = syn_run_create_result(s->model, keep && !keep->series ? 1 : p->npts,
                                        &res->series, err);
  if (st == SYN_OK) st = take_warnings(s, a, r, res, err);
  if (st == SYN_OK) st = add_series(p, r, res->series, err);
  if (st == SYN_OK) st = syn_run_add_attributes(res->series, &p->ro, &a->ode, &r->stats, a->inst, err);
  if (st == SYN_OK) st = add_arm_attributes(s, a, r, res->series, err);
  if (st == SYN_OK) st = add_doses(s, a, res->series, err);
  if (st == SYN_OK) count_cond_doses(s, a, res);
  if (st == SYN_OK) st = add_metrics(s, r->metrics, res->series, err);
  return st;
}

syn_status syn_problem_eval_arm(syn_problem_ws *ws, size_t arm, const double *theta,
                                const syn_arm_keep *keep, syn_arm_result **out, syn_error *err) {
  if (out == NULL) return syn_error_set(err, SYN_EINVAL, "syn_problem_eval_arm: no result pointer");
  *out = NULL;
  syn_problem_result r;
  syn_problem_want want = {keep == NULL || keep->series, keep ? keep->metrics : NULL, NULL, 0,
                          NULL, NULL, 0, NULL, NULL};
  syn_arm_result *res = syn_calloc(1, sizeof *res);
  syn_status st = res ? SYN_OK : syn_error_set(err, SYN_ENOMEM, "out of memory");
  if (st == SYN_OK) st = syn_problem_eval(ws, arm, theta, &want, &r, err);
  if (st == SYN_OK) st = fill_result(ws, arm, &r, keep, res, err);
  if (st != SYN_OK) {
    syn_arm_result_destroy(res);
    return st;
  }
  *out = res;
  return SYN_OK;
}

syn_status syn_scenario_run_arm(const syn_scenario *s, size_t arm, const syn_solver_opts *opts,
                                const syn_override *ov, size_t nov, syn_arm_result **out,
                                syn_error *err) {
  return syn_scenario_run_arm_keep(s, arm, opts, ov, nov, NULL, out, err);
}

syn_status syn_scenario_run_arm_keep(const syn_scenario *s, size_t arm,
                                     const syn_solver_opts *opts, const syn_override *ov,
                                     size_t nov, const syn_arm_keep *keep,
                                     syn_arm_result **out, syn_error *err) {
  if (out == NULL || s == NULL || arm >= s->narms || (nov > 0 && ov == NULL))
    return syn_error_set(err, SYN_EINVAL, "syn_scenario_run_arm: no such arm or no result pointer");
  *out = NULL;
  syn_problem *p = NULL;
  syn_problem_ws *ws = NULL;
  const char **names = syn_calloc(nov + 1, sizeof *names);
  double *theta = syn_calloc(nov + 1, sizeof *theta);
  syn_status st = names && theta ? SYN_OK : syn_error_set(err, SYN_ENOMEM, "out of memory");
  for (size_t i = 0; i < nov && st == SYN_OK; i++) {
    names[i] = ov[i].name;
    theta[i] = ov[i].value;
  }
  if (st == SYN_OK) st = syn_problem_create(s, &arm, 1, names, nov, opts, &p, err);
  if (st == SYN_OK) st = syn_problem_ws_create(p, &ws, err);
  if (st == SYN_OK) st = syn_problem_eval_arm(ws, 0, theta, keep, out, err);
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_free(names);
  syn_free(theta);
  return st;
}

syn_status syn_problem_eval_run(syn_problem_ws *ws, size_t arm, const double *theta,
                                syn_result **out, syn_error *err) {
  if (out == NULL) return syn_error_set(err, SYN_EINVAL, "syn_problem_eval_run: no result pointer");
  *out = NULL;
  const syn_problem *p = ws ? ws->p : NULL;
  syn_problem_result r;
  syn_result *res = NULL;
  syn_status st = syn_problem_eval(ws, arm, theta, NULL, &r, err);
  if (st == SYN_OK) st = syn_run_create_result(p->s->model, p->npts, &res, err);
  if (st == SYN_OK) st = add_series(p, &r, res, err);
  if (st == SYN_OK)
    st = syn_run_add_attributes(res, &p->ro, &ws->arms[arm].ode, &r.stats, ws->arms[arm].inst,
                                err);
  if (st != SYN_OK) {
    syn_result_destroy(res);
    return st;
  }
  *out = res;
  return SYN_OK;
}

void syn_arm_result_destroy(syn_arm_result *r) {
  if (r == NULL) return;
  syn_result_destroy(r->series);
  for (size_t i = 0; i < r->nwarnings; i++) syn_free(r->warnings[i]);
  syn_free(r->warnings);
  syn_free(r);
}
