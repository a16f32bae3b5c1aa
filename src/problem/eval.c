/* synovia — evaluating one arm of a compiled problem (problem layer; see
 * include/synovia/problem.h).
 *
 * Parameters: the arm's instance holds the model defaults, the scenario's
 * common use/set and the arm's (applied at workspace creation); theta goes on
 * top by index. Start: the declared initial values, or the untreated steady
 * state of those parameters (`baseline steady`, cached in the workspace).
 * Doses: every event time is an exact stop of the integrator; at a stop every
 * event due is applied (a bolus adds amount * scale to its target; an
 * infusion start or end changes the set of running infusions, and the input
 * rate of each target touched is recomputed as the sum over its running
 * infusions, so overlapping infusions never leave round-off behind), then the
 * metric engine sees the new state. Output times are syn_run's grid.
 *
 * Metrics whose arguments use other metrics (time_below(X, 0.5 * at(X, 0)))
 * are evaluated in rounds: each round is one more run of the arm (runs are
 * deterministic) with the probes whose arguments are known by then. With
 * sensitivities, the first run also takes the gradients of the calls read at
 * points fixed before it (at, auc, change); extremes and crossings of round
 * 0 take one more run with sensitivities (grad_pass).
 * Nothing here allocates: every buffer is the workspace's. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "problem_impl.h"
#include "synovia/steady.h"

/* ---- the start ------------------------------------------------------------------------------ */

static void fill_key(const syn_problem_ws *ws, const arm_ws *a, double *key) {
  const syn_problem *p = ws->p;
  const syn_model *m = p->s->model;
  const syn_solver_opts *o = &p->opts;
  size_t nc = syn_model_count(m, SYN_SYM_COMPARTMENT), np = syn_model_count(m, SYN_SYM_PARAM);
  size_t ny = p->nstates, k = 0;
  for (size_t i = 0; i < nc; i++) key[k++] = syn_instance_value(a->inst, SYN_SYM_COMPARTMENT, i);
  for (size_t i = 0; i < np; i++) key[k++] = syn_instance_value(a->inst, SYN_SYM_PARAM, i);
  for (size_t i = 0; i < ny; i++) key[k++] = ws->y0[i];
  const double opts[9] = {p->s->t_start, o->rtol, o->atol, (double)o->max_steps, o->max_step,
                          o->init_step, (double)o->max_order, (double)o->linsol,
                          (double)o->use_jacobian};
  for (size_t i = 0; i < 9; i++) key[k++] = opts[i];
  for (size_t i = 0; o->atol_vec && i < ny; i++) key[k++] = o->atol_vec[i];
}

static const baseline_entry *cached_baseline(const syn_problem_ws *ws) {
  for (size_t i = 0; i < PROBLEM_BASELINE_CACHE; i++)
    if (ws->cache[i].used && memcmp(ws->cache[i].key, ws->key, ws->nkey * sizeof *ws->key) == 0)
      return &ws->cache[i];
  return NULL;
}

static void remember_baseline(syn_problem_ws *ws, const syn_baseline_info *info) {
  baseline_entry *e = &ws->cache[ws->cache_next];
  ws->cache_next = (ws->cache_next + 1) % PROBLEM_BASELINE_CACHE;
  memcpy(e->key, ws->key, ws->nkey * sizeof *ws->key);
  memcpy(e->y, ws->y0, ws->p->nstates * sizeof *ws->y0);
  e->info = *info;
  e->used = 1;
}

static syn_status find_start(syn_problem_ws *ws, arm_ws *a, syn_baseline_info *info,
                             syn_error *err) {
  const syn_problem *p = ws->p;
  syn_instance_initial(a->inst, ws->y0);
  *info = (syn_baseline_info){"declared", 0, 0.0, 0.0};
  if (!p->s->steady) return SYN_OK;
  fill_key(ws, a, ws->key);
  const baseline_entry *hit = cached_baseline(ws);
  if (hit != NULL) {
    memcpy(ws->y0, hit->y, p->nstates * sizeof *ws->y0);
    *info = hit->info;
    return SYN_OK;
  }
  syn_steady_opts so;
  syn_steady_info si;
  syn_steady_opts_default(&so);
  so.solver = p->opts;
  syn_status st = syn_steady_state(&a->ode, p->s->t_start, ws->y0, &so, &si, err);
  if (st != SYN_OK) {
    char msg[SYN_ERROR_MSG_MAX + 64];
    snprintf(msg, sizeof msg, "%s", err->message);
    size_t n = (size_t)snprintf(err->message, sizeof err->message,
                                "arm '%s': no steady state for the baseline: ", a->arm->name);
    if (n < sizeof err->message)
      snprintf(err->message + n, sizeof err->message - n, "%.*s",
               (int)(sizeof err->message - n - 1), msg);
    return st;
  }
  *info = (syn_baseline_info){si.method, si.iterations, si.residual, si.t_integrated};
  remember_baseline(ws, info);
  return SYN_OK;
}

/* ---- doses ------------------------------------------------------------------------------------- */

static void set_running_rate(arm_ws *a, size_t state) {
  double rate = 0;
  for (size_t i = 0; i < a->nrunning; i++) {
    size_t inf = a->running[i], dose = a->inf_dose[inf];
    const scn_dose *d = &a->arm->doses[dose];
    if (d->state == state) rate += a->amount[dose] * a->dose_scale[dose] / a->sched.length[inf];
  }
  /* Only route targets get here; they always have an input. */
  (void)syn_instance_set_input(a->inst, state, rate, NULL);
}

static void stop_running(arm_ws *a, size_t infusion) {
  for (size_t i = 0; i < a->nrunning; i++)
    if (a->running[i] == infusion) {
      a->running[i] = a->running[--a->nrunning];
      return;
    }
}

static size_t apply_event(arm_ws *a, const scn_event *e, double *y, size_t ntouched) {
  const scn_dose *d = &a->arm->doses[e->dose];
  switch (e->kind) {
    case SCN_BOLUS: y[d->state] += a->amount[e->dose] * a->dose_scale[e->dose]; return ntouched;
    case SCN_INFUSION_START: a->running[a->nrunning++] = e->infusion; break;
    case SCN_INFUSION_END: stop_running(a, e->infusion); break;
  }
  for (size_t i = 0; i < ntouched; i++)
    if (a->touched[i] == d->state) return ntouched;
  a->touched[ntouched] = d->state;
  return ntouched + 1;
}

/* ---- the caller's times ----------------------------------------------------------------- */

/* The series at the caller's next time t from the state y there. */
static syn_status record_at(syn_problem_ws *ws, double t, const double *y, syn_error *err) {
  const syn_problem *p = ws->p;
  double *row = ws->at_out + ws->at_next * p->nseries;
  memcpy(row, y, p->nstates * sizeof *y);
  ws->at_next++;
  return p->noutputs > 0 ? syn_instance_outputs(ws->cur->inst, t, y, row + p->nstates, err)
                         : SYN_OK;
}

/* The time of the next dose event not applied yet (INFINITY: none). */
static double pending_stop(const arm_ws *a) {
  return a->next < a->sched.nevents ? a->sched.events[a->next].t : (double)INFINITY;
}

/* The caller's times up to t_now from the step's interpolant, but not a
 * time of a dose still to come (on_stop takes it, after the dose). */
static syn_status on_step(const syn_solver *s, double t_prev, double t_now, void *ctx,
                          syn_error *err) {
  syn_problem_ws *ws = ctx;
  syn_status st = ws->engine ? syn_metrics_step(s, t_prev, t_now, ws->engine, err) : SYN_OK;
  if (st == SYN_OK && ws->grad) st = problem_grad_hook(s, t_prev, t_now, ws, err);
  double stop = pending_stop(ws->cur);
  while (st == SYN_OK && ws->at_next < ws->nat && ws->at[ws->at_next] <= t_now &&
         ws->at[ws->at_next] < stop) {
    double t = ws->at[ws->at_next];
    st = syn_solver_interpolate(s, t, ws->at_y, err);
    if (st == SYN_OK) st = record_at(ws, t, ws->at_y, err);
    if (st == SYN_OK && ws->sens_run) st = problem_sens_at_step(ws, t, ws->at_y, ws->at_next - 1, err);
  }
  return st;
}

/* The caller's times at the start, when no dose comes first there. */
static syn_status at_start(syn_problem_ws *ws, double t0, syn_error *err) {
  syn_status st = SYN_OK;
  while (st == SYN_OK && ws->at_next < ws->nat && ws->at[ws->at_next] <= t0 &&
         pending_stop(ws->cur) > t0) {
    st = record_at(ws, t0, ws->y0, err);
    if (st == SYN_OK && ws->sens_run)
      st = problem_sens_at_row(ws, t0, ws->y0, ws->S0p, ws->at_next - 1, err);
  }
  return st;
}

static syn_status on_stop(double t, double *y, size_t n, void *ctx, syn_error *err) {
  syn_problem_ws *ws = ctx;
  arm_ws *a = ws->cur;
  size_t ntouched = 0;
  (void)n;
  ws->ev_lo = a->next; /* the events and the caller's times here: their sensitivities jump */
  ws->at_lo = ws->at_next;
  while (a->next < a->sched.nevents && a->sched.events[a->next].t <= t)
    ntouched = apply_event(a, &a->sched.events[a->next++], y, ntouched);
  for (size_t i = 0; i < ntouched; i++) set_running_rate(a, a->touched[i]);
  syn_status st = ws->engine ? syn_metrics_jump(ws->engine, t, y, err) : SYN_OK;
  while (st == SYN_OK && ws->at_next < ws->nat && ws->at[ws->at_next] <= t)
    st = record_at(ws, t, y, err);
  return st;
}

static syn_status on_output(double t, const double *y, size_t n, void *ctx, syn_error *err) {
  syn_problem_ws *ws = ctx;
  const syn_problem *p = ws->p;
  /* a non-finite output fails the run, recorded or not (a sweep's status) */
  if (!ws->check) return SYN_OK;
  double *row = ws->record ? ws->series + ws->nrec * p->nseries : ws->values;
  memcpy(row, y, n * sizeof *y);
  if (p->noutputs > 0) {
    syn_status st = syn_instance_outputs(ws->cur->inst, t, y, row + p->nstates, err);
    if (st != SYN_OK) return st;
  }
  if (ws->record) ws->nrec++;
  return ws->record && ws->sens_run ? problem_sens_grid_row(ws, t, y, ws->nrec - 1, err) : SYN_OK;
}

/* No dose applied yet and no infusion running: every infusion's target
 * without input (whatever the last evaluation's schedule was). */
static void reset_doses(arm_ws *a) {
  a->next = 0;
  a->nrunning = 0;
  for (size_t i = 0; i < a->arm->ndoses; i++)
    if (a->arm->doses[i].over > 0)
      (void)syn_instance_set_input(a->inst, a->arm->doses[i].state, 0.0, NULL);
}

/* What a dose puts into its target, amount × the route's scale, must be
 * finite, and an infusion's rate at most SCN_MAX_RATE: the amounts were
 * checked at load, but the scale depends on parameters (a sweep's values). */
static syn_status check_delivered(const syn_scenario *s, const arm_ws *a, const scn_event *e,
                                  syn_error *err) {
  const scn_dose *d = &a->arm->doses[e->dose];
  double scale = a->dose_scale[e->dose], amount = a->amount[e->dose];
  int infusion = e->kind == SCN_INFUSION_START;
  double x = amount * scale / (infusion ? a->sched.length[e->infusion] : 1);
  if (infusion ? fabs(x) <= SCN_MAX_RATE : isfinite(x)) return SYN_OK;
  const char *clock = s->clock;
  char limit[64] = "not finite";
  if (infusion) snprintf(limit, sizeof limit, "more than %g", SCN_MAX_RATE);
  syn_error_set(err, SYN_EINPUT,
                "the dose of %s at %g%s%s gives %g%s%s into '%s' (amount %g × route scale %g): "
                "%s",
                d->route, e->t / s->show_factor, s->show_unit[0] ? " " : "", s->show_unit, x,
                infusion && clock[0] ? " per " : "", infusion ? clock : "", d->target, amount,
                scale, limit);
  syn_error_hint(err, "check the route's scale and the values it uses%s",
                 infusion ? ": at higher rates the solver's error norms overflow" : "");
  return SYN_EINPUT;
}

/* The schedule as this evaluation runs it: refilled when a dose time is
 * free; the routes' scales (they depend on parameters) and what each dose
 * delivers, checked. */
static syn_status prepare_doses(const syn_problem *p, arm_ws *a, syn_error *err) {
  const syn_scenario *s = p->s;
  syn_status st = SYN_OK;
  if (a->moves_doses)
    st = scn_schedule_refill(a->arm, a->at, s->t_start, s->t_end, p->grid, p->npts, &a->sched,
                             err);
  for (size_t i = 0; i < a->arm->ndoses; i++)
    a->dose_scale[i] = syn_instance_route_scale(a->inst, a->arm->doses[i].route_index);
  for (size_t i = 0; st == SYN_OK && i < a->sched.nevents; i++)
    if (a->sched.events[i].kind == SCN_INFUSION_START)
      a->inf_dose[a->sched.events[i].infusion] = a->sched.events[i].dose;
  for (size_t i = 0; i < a->sched.nevents && st == SYN_OK; i++)
    if (a->sched.events[i].kind != SCN_INFUSION_END)
      st = check_delivered(s, a, &a->sched.events[i], err);
  if (st == SYN_OK && s->ncond > 0)
    st = scn_cdose_prepare(s, a->arm, a->amount, a->dose_scale, 0, a->inst, err);
  return st;
}

/* ---- one run ------------------------------------------------------------------------------------- */

/* Integrate the arm once over the grid, evaluating probes[0..nprobes) with
 * the engine of round `round`. */
static syn_status integrate_once(syn_problem_ws *ws, arm_ws *a, int round, size_t nprobes,
                                 syn_solver_stats *stats, syn_error *err) {
  const syn_problem *p = ws->p;
  reset_doses(a);
  ws->engine = NULL;
  if (ws->record) ws->nrec = 0;
  ws->runs++;
  syn_status st = syn_solver_reinit(a->solver, p->s->t_start, ws->y0, err);
  if (st == SYN_OK && ws->sens_run) st = problem_sens_begin(ws, a, ws->sens_opts, err);
  if (st == SYN_OK && ws->grad) st = problem_grad_start(ws, p->s->t_start, err);
  if (st == SYN_OK && nprobes > 0) {
    ws->engine = a->round[round];
    st = syn_metrics_reset(ws->engine, ws->probes, nprobes, err);
    if (st == SYN_OK) st = syn_metrics_start(ws->engine, p->s->t_start, ws->y0, err);
  }
  ws->at_next = 0;
  if (st == SYN_OK && ws->nat > 0) st = at_start(ws, p->s->t_start, err);
  if (st == SYN_OK && (ws->engine || ws->nat > 0 || ws->grad))
    syn_solver_set_step_hook(a->solver, on_step, ws);
  if (st == SYN_OK)
    st = syn_solver_integrate(a->solver, p->grid, p->npts, a->sched.stops, a->sched.nstops,
                              on_stop, ws, on_output, ws, err);
  if (st == SYN_OK && ws->engine) st = syn_metrics_finish(ws->engine, err);
  if (st == SYN_OK && ws->at_next < ws->nat)
    st = syn_error_set(err, SYN_EINTERNAL, "%zu of the %zu times asked for were not reached",
                       ws->nat - ws->at_next, ws->nat);
  if (st == SYN_OK && stats) syn_solver_get_stats(a->solver, stats);
  if (st == SYN_OK && ws->sens_run) syn_solver_sens_stats(a->solver, &ws->sens_stats);
  ws->engine = NULL;
  return st;
}

/* ---- metrics ----------------------------------------------------------------------------------- */

/* The probe of call i, its arguments evaluated with the values known so
 * far. Returns 0 when they do not give a window inside the run. */
static int make_probe(const syn_scenario *s, size_t i, const double *values, syn_probe *pr) {
  const scn_call *c = &s->calls[i];
  *pr = (syn_probe){c->kind, c->series, s->t_start, s->t_end, 0.0, (double)NAN, (double)NAN};
  if (c->t1) pr->t1 = scn_eval(s, c->t1, values);
  if (c->t2) pr->t2 = scn_eval(s, c->t2, values);
  if (c->level) pr->level = scn_eval(s, c->level, values);
  int ok = isfinite(pr->t1) && isfinite(pr->t2) && pr->t1 >= s->t_start && pr->t2 <= s->t_end &&
           (c->kind == PROBE_AT ? pr->t1 == pr->t2 : pr->t2 > pr->t1);
  return ok && (c->level == NULL || !isnan(pr->level));
}

/* Is call i part of a metric the caller keeps? */
static int call_kept(const syn_scenario *s, const unsigned char *keep, size_t i) {
  if (keep == NULL) return 1;
  for (size_t k = 0; k < s->nmetrics; k++)
    if (i >= (size_t)(s->metrics[k].calls - s->calls) &&
        i < (size_t)(s->metrics[k].calls - s->calls) + s->metrics[k].ncalls)
      return keep[k] != 0;
  return 0;
}

/* Calls read at points their window fixes before the run (its edges, the
 * areas' Gauss points on every step): the first run takes their gradients,
 * as it takes their values. Extremes and crossings are read where the run
 * finds them, known only at its end: the gradient pass takes theirs. */
static int read_at_fixed_points(syn_probe_kind k) {
  return k == PROBE_AT || k == PROBE_AUC || k == PROBE_CHANGE;
}

/* Does the gradient pass (first = 0) or the first run (first = 1)
 * differentiate call i? Calls of later rounds (windows or levels from other
 * metrics) and calls without a value or a window get NaN. */
static int grad_takes(const syn_problem_ws *ws, const syn_problem_want *want, size_t i,
                      int first) {
  const syn_scenario *s = ws->p->s;
  return s->calls[i].round == 0 && call_kept(s, want->metrics, i) && !ws->no_window[i] &&
         (first || !isnan(ws->calls[i])) &&
         read_at_fixed_points(s->calls[i].kind) == (first != 0);
}

/* The calls the first run (first = 1: every call's gradient NaN but
 * theirs) or the gradient pass differentiates, into ws->gcall. */
static void grad_select(syn_problem_ws *ws, const syn_problem_want *want, int first) {
  const syn_problem *p = ws->p;
  ws->ngcalls = 0;
  for (size_t i = 0; i < p->s->ncalls; i++) {
    double *g = ws->dcalls + i * p->nfree;
    int take = grad_takes(ws, want, i, first);
    if (!take && !first) continue;
    for (size_t k = 0; k < ws->ns; k++) g[k] = take ? 0.0 : (double)NAN;
    if (!take) continue;
    ws->gdone[2 * i] = ws->gdone[2 * i + 1] = 0;
    ws->gdist[i] = (double)INFINITY;
    make_probe(p->s, i, ws->calls, &ws->gprobe[i]);
    ws->gcall[ws->ngcalls++] = i;
  }
}

/* An event execution at an extreme or a crossing: the gradient would need
 * the side of the jump, not computed yet — no gradient rather than a wrong
 * one. (An area across an execution has Leibniz's term: sens.c.) */
static int event_in_reach(const syn_problem_ws *ws, const syn_probe *pr) {
  const double *te = NULL;
  size_t n = syn_instance_event_log(ws->cur->inst, &te, NULL);
  for (size_t e = 0; e < n && pr->kind != PROBE_AUC; e++)
    if (te[e] == pr->where) return 1;
  return 0;
}

/* After a run that took gradients: no gradient for a point never reached
 * (a window the run did not cover), a change from 0 or a call without a
 * value. */
static void grad_settle(syn_problem_ws *ws) {
  const syn_problem *p = ws->p;
  for (size_t c = 0; c < ws->ngcalls; c++) {
    size_t i = ws->gcall[c];
    syn_probe_kind k = ws->gprobe[i].kind;
    int need2 = k == PROBE_CHANGE;
    int none = (k != PROBE_AUC && (!ws->gdone[2 * i] || (need2 && !ws->gdone[2 * i + 1]))) ||
               (k == PROBE_CHANGE && ws->gx1[i] == 0.0) || isnan(ws->calls[i]) ||
               event_in_reach(ws, &ws->gprobe[i]);
    if (none)
      for (size_t j = 0; j < ws->ns; j++) ws->dcalls[i * p->nfree + j] = (double)NAN;
  }
  ws->ngcalls = 0;
}

/* The gradients of the round-0 calls the first run could not take (extremes
 * and crossings): one more run with sensitivities that reads them where
 * each was read (its argmax or crossing). */
static syn_status grad_pass(syn_problem_ws *ws, arm_ws *a, const syn_problem_want *want,
                            syn_error *err) {
  const syn_problem *p = ws->p;
  const syn_scenario *s = p->s;
  grad_select(ws, want, 0);
  if (ws->ngcalls == 0) return SYN_OK;
  reset_doses(a);
  ws->record = ws->check = 0;
  ws->nat = 0;
  ws->runs++;
  syn_status st = syn_solver_reinit(a->solver, s->t_start, ws->y0, err);
  if (st == SYN_OK) st = problem_sens_begin(ws, a, ws->sens_opts, err);
  ws->grad = 1;
  if (st == SYN_OK) st = problem_grad_start(ws, s->t_start, err);
  if (st == SYN_OK) {
    syn_solver_set_step_hook(a->solver, problem_grad_hook, ws);
    st = syn_solver_integrate(a->solver, p->grid, p->npts, a->sched.stops, a->sched.nstops,
                              on_stop, ws, on_output, ws, err);
  }
  ws->grad = 0;
  if (st == SYN_OK) grad_settle(ws);
  return st;
}

/* Every round of probes (of the metrics kept); ws->calls[i] receives call
 * i's value. Round 0's run records the series (if asked) and its statistics. */
static syn_status run_rounds(syn_problem_ws *ws, arm_ws *a, const syn_problem_want *want,
                             syn_solver_stats *stats, syn_error *err) {
  const syn_scenario *s = ws->p->s;
  syn_status st = SYN_OK;
  for (size_t i = 0; i < s->ncalls; i++) {
    ws->calls[i] = (double)NAN;
    ws->no_window[i] = 0;
  }
  int last = s->max_round < 0 ? 0 : s->max_round;
  ws->record = want->series;
  ws->check = 1;
  ws->nrec = 0;
  for (int round = 0; round <= last && st == SYN_OK; round++) {
    size_t n = 0;
    for (size_t i = 0; i < s->ncalls; i++) {
      if (s->calls[i].round != round || !call_kept(s, want->metrics, i)) continue;
      if (make_probe(s, i, ws->calls, &ws->probes[n])) ws->which[n++] = i;
      else ws->no_window[i] = 1;
    }
    if (round > 0) { /* reruns record and check nothing */
      ws->record = 0;
      ws->check = 0;
      ws->nat = 0;
    }
    if (round > 0 && n == 0) continue;
    ws->sens_run = round == 0 && ws->ns > 0;
    ws->grad = ws->sens_run && s->ncalls > 0;
    if (ws->grad) grad_select(ws, want, 1);
    st = integrate_once(ws, a, round, n, round == 0 ? stats : NULL, err);
    ws->sens_run = 0;
    for (size_t k = 0; k < n && st == SYN_OK; k++) {
      ws->calls[ws->which[k]] = ws->probes[k].value;
      ws->call_where[ws->which[k]] = ws->probes[k].where;
    }
    if (ws->grad && st == SYN_OK) grad_settle(ws);
    ws->grad = 0;
  }
  ws->record = ws->check = 0;
  if (st == SYN_OK && ws->ns > 0 && s->ncalls > 0) {
    ws->sens_run = 1;
    st = grad_pass(ws, a, want, err);
    ws->sens_run = 0;
  }
  return st;
}

/* ---- the evaluation ------------------------------------------------------------------------------ */

static syn_status apply_theta(const syn_problem *p, arm_ws *a, const double *theta,
                              syn_error *err) {
  syn_status st = SYN_OK;
  for (size_t i = 0; i < a->arm->ndoses; i++) {
    a->amount[i] = a->arm->doses[i].amount;
    a->at[i] = a->arm->doses[i].at;
  }
  for (size_t i = 0; i < p->nfree && st == SYN_OK; i++)
    st = p->fp[i].kind->apply(a, &p->fp[i], theta[i], err);
  return st;
}

static const syn_problem_want everything = {1, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL};

/* The caller's times: non-decreasing, inside the simulation, a buffer for them. */
static syn_status check_times(const syn_problem *p, const syn_problem_want *w, syn_error *err) {
  if (w->nat == 0) return SYN_OK;
  if (w->at == NULL || w->at_values == NULL)
    return syn_error_set(err, SYN_EINVAL, "syn_problem_eval: %zu times asked for, but no times "
                                          "or no buffer for their values",
                         w->nat);
  for (size_t i = 0; i < w->nat; i++)
    if (!(w->at[i] >= p->s->t_start && w->at[i] <= p->s->t_end) ||
        (i > 0 && w->at[i] < w->at[i - 1]))
      return syn_error_set(err, SYN_EINVAL,
                           "time %zu asked for (%g) is %s", i, w->at[i],
                           i > 0 && w->at[i] < w->at[i - 1] ? "before the one before it"
                                                            : "outside the simulation");
  return SYN_OK;
}

syn_status syn_problem_eval(syn_problem_ws *ws, size_t arm, const double *theta,
                            const syn_problem_want *want, syn_problem_result *out,
                            syn_error *err) {
  if (ws == NULL || out == NULL || arm >= ws->p->narms || (ws->p->nfree > 0 && theta == NULL))
    return syn_error_set(err, SYN_EINVAL, "syn_problem_eval: no such arm, no parameters or no "
                                          "result pointer");
  const syn_problem *p = ws->p;
  const syn_scenario *s = p->s;
  arm_ws *a = &ws->arms[arm];
  if (want == NULL) want = &everything;
  memset(out, 0, sizeof *out);
  ws->cur = a;
  ws->at = want->at;
  ws->nat = want->nat;
  ws->at_out = want->at_values;
  ws->sens_at = want->sens_at_values;
  ws->sens_opts = want->sens_opts;
  memset(&ws->sens_stats, 0, sizeof ws->sens_stats);
  syn_status st = check_times(p, want, err);
  if (st == SYN_OK) st = problem_sens_select(ws, want, err);
  /* what the events' jump conditions do not support: refused before any work */
  if (st == SYN_OK && ws->ns > 0) st = syn_psens_events_check(p->ps, err);
  if (st == SYN_OK) st = apply_theta(p, a, theta, err);
  if (st == SYN_OK) st = syn_instance_prepare(a->inst, err);
  if (st == SYN_OK) st = prepare_doses(p, a, err);
  if (st == SYN_OK && ws->ns > 0) st = problem_sens_prepare(ws, a, theta, err);
  reset_doses(a); /* the start is the untreated state: no infusion of the last run */
  if (st == SYN_OK) st = find_start(ws, a, &out->baseline, err);
  /* the baseline is untreated: conditional doses are switched on after it */
  if (st == SYN_OK && s->ncond > 0)
    st = scn_cdose_prepare(s, a->arm, a->amount, a->dose_scale, 1, a->inst, err);
  if (st == SYN_OK && ws->ns > 0) st = problem_sens_start(ws, a, err);
  if (st == SYN_OK) st = run_rounds(ws, a, want, &out->stats, err);
  for (size_t i = 0; i < s->nmetrics; i++)
    ws->metrics[i] = st == SYN_OK ? scn_eval(s, s->metrics[i].value, ws->calls) : (double)NAN;
  out->series = want->series && st == SYN_OK ? ws->series : NULL;
  out->ntimes = want->series && st == SYN_OK ? ws->nrec : 0;
  out->nseries = p->nseries;
  out->metrics = ws->metrics;
  out->no_window = ws->no_window;
  out->ncalls = s->ncalls;
  out->doses_skipped = a->sched.nskipped;
  if (st == SYN_OK && ws->ns > 0) {
    if (s->nmetrics > 0) problem_grad_metrics(ws);
    out->nsens = ws->ns;
    out->sens_index = ws->sel;
    out->sens = want->series ? ws->sens : NULL;
    out->sens_at = want->nat > 0 ? ws->sens_at : NULL;
    out->dmetrics = ws->dmetrics;
    out->sens_stats = ws->sens_stats;
  }
  syn_psens_events_detach(a->inst);
  ws->cur = NULL;
  ws->at = NULL;
  ws->nat = 0;
  return st;
}
