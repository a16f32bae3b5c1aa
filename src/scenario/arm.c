/* synovia — running one arm of a scenario (scenario layer; see
 * include/synovia/scenario.h, syn_scenario_run_arm).
 *
 * Parameters: model defaults, the scenario's common use/set, the arm's,
 * then the caller's overrides. Start: the declared initial values, or the
 * untreated steady state of those parameters (`baseline steady`). Doses:
 * every event time is an exact stop of the integrator; at a stop every event
 * due is applied (a bolus adds amount * scale to its target; an infusion
 * start or end changes the set of running infusions, and the input rate of
 * each target touched is recomputed as the sum over its running infusions,
 * so overlapping infusions never leave round-off behind), then the metric
 * engine sees the new state. Output times are syn_run's grid, unchanged.
 *
 * Metrics whose arguments use other metrics (time_below(X, 0.5 * at(X, 0)))
 * are evaluated in rounds: each round is one more run of the arm (runs are
 * deterministic) with the probes whose arguments are known by then. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "scenario_impl.h"
#include "solve/run_internal.h"
#include "synovia/steady.h"

typedef struct arm_run {
  const syn_scenario *s;
  const scn_arm *arm;
  syn_instance *inst;
  syn_ode ode;
  scn_schedule sched;
  size_t nstates, noutputs;
  double *y0;          /* the arm's start (after the baseline) */
  double *grid;
  size_t npts;
  double *dose_scale;  /* per dose: the route's scale */
  size_t *inf_dose;    /* per infusion: its dose */
  size_t *running;     /* infusions running now */
  size_t nrunning;
  size_t *touched;     /* target states changed at the current stop */
  size_t next;         /* next event to apply */
  syn_metrics *metrics;
  syn_result *result;  /* NULL in the reruns of later metric rounds, or when the
                          caller keeps no series */
  int first_run;       /* round 0: the outputs are checked at every output time */
  double *values;      /* nstates + noutputs */
  double *atol;        /* the model's state tolerances, when the run uses them */
} arm_run;

/* ---- parameters and the start ---------------------------------------------------------- */

static syn_status apply_settings(syn_instance *inst, const scn_setting *set, size_t n,
                                 syn_error *err) {
  syn_status st = SYN_OK;
  for (size_t i = 0; i < n && st == SYN_OK; i++)
    st = set[i].is_preset ? syn_instance_use_preset(inst, set[i].name, err)
                          : syn_instance_set(inst, set[i].name, set[i].value, err);
  return st;
}

static syn_status prepare_instance(arm_run *r, const syn_override *ov, size_t nov,
                                   syn_error *err) {
  const syn_scenario *s = r->s;
  syn_status st = syn_instance_create(s->model, &r->inst, err);
  if (st == SYN_OK) st = apply_settings(r->inst, s->common, s->ncommon, err);
  if (st == SYN_OK) st = apply_settings(r->inst, r->arm->settings, r->arm->nsettings, err);
  for (size_t i = 0; i < nov && st == SYN_OK; i++)
    st = syn_instance_set(r->inst, ov[i].name, ov[i].value, err);
  if (st == SYN_OK) st = syn_instance_prepare(r->inst, err);
  if (st == SYN_OK) syn_instance_ode(r->inst, &r->ode);
  return st;
}

/* Everything a steady-state baseline depends on, as one vector (NULL on OOM:
 * then nothing is cached). */
static double *baseline_key(const arm_run *r, const syn_solver_opts *o, size_t *nkey) {
  const syn_model *m = r->s->model;
  size_t nc = syn_model_count(m, SYN_SYM_COMPARTMENT), np = syn_model_count(m, SYN_SYM_PARAM);
  size_t ny = syn_model_count(m, SYN_SYM_STATE), k = 0;
  *nkey = nc + np + ny + 9 + (o->atol_vec ? ny : 0);
  double *key = syn_malloc(*nkey * sizeof *key);
  if (key == NULL) return NULL;
  for (size_t i = 0; i < nc; i++) key[k++] = syn_instance_value(r->inst, SYN_SYM_COMPARTMENT, i);
  for (size_t i = 0; i < np; i++) key[k++] = syn_instance_value(r->inst, SYN_SYM_PARAM, i);
  for (size_t i = 0; i < ny; i++) key[k++] = r->y0[i];
  const double opts[9] = {r->s->t_start, o->rtol, o->atol, (double)o->max_steps, o->max_step,
                          o->init_step, (double)o->max_order, (double)o->linsol,
                          (double)o->use_jacobian};
  for (size_t i = 0; i < 9; i++) key[k++] = opts[i];
  for (size_t i = 0; o->atol_vec && i < ny; i++) key[k++] = o->atol_vec[i];
  return key;
}

static const scn_baseline_entry *cached_baseline(const scn_baseline_cache *c, const double *key,
                                                 size_t nkey) {
  for (size_t i = 0; key && i < SCN_BASELINE_CACHE; i++)
    if (c->entry[i].key && c->entry[i].nkey == nkey &&
        memcmp(c->entry[i].key, key, nkey * sizeof *key) == 0)
      return &c->entry[i];
  return NULL;
}

/* Keep key (taken) and a copy of y; on OOM simply does not cache. */
static void remember_baseline(scn_baseline_cache *c, double *key, size_t nkey, const double *y,
                              size_t ny, const syn_baseline_info *info) {
  double *copy = key ? syn_malloc((ny ? ny : 1) * sizeof *copy) : NULL;
  if (copy == NULL) {
    syn_free(key);
    return;
  }
  memcpy(copy, y, ny * sizeof *copy);
  scn_baseline_entry *e = &c->entry[c->next];
  c->next = (c->next + 1) % SCN_BASELINE_CACHE;
  syn_free(e->key);
  syn_free(e->y);
  *e = (scn_baseline_entry){key, nkey, copy, *info};
}

static syn_status find_start(arm_run *r, const syn_solver_opts *opts, syn_baseline_info *info,
                             syn_error *err) {
  syn_instance_initial(r->inst, r->y0);
  *info = (syn_baseline_info){"declared", 0, 0.0, 0.0};
  if (!r->s->steady) return SYN_OK;
  size_t ny = syn_model_count(r->s->model, SYN_SYM_STATE), nkey = 0;
  double *key = baseline_key(r, opts, &nkey);
  const scn_baseline_entry *hit = cached_baseline(r->s->baselines, key, nkey);
  if (hit != NULL) {
    memcpy(r->y0, hit->y, ny * sizeof *r->y0);
    *info = hit->info;
    syn_free(key);
    return SYN_OK;
  }
  syn_steady_opts so;
  syn_steady_info si;
  syn_steady_opts_default(&so);
  so.solver = *opts;
  syn_status st = syn_steady_state(&r->ode, r->s->t_start, r->y0, &so, &si, err);
  if (st != SYN_OK) {
    char msg[SYN_ERROR_MSG_MAX + 64];
    snprintf(msg, sizeof msg, "%s", err->message);
    size_t n = (size_t)snprintf(err->message, sizeof err->message,
                                "arm '%s': no steady state for the baseline: ", r->arm->name);
    if (n < sizeof err->message)
      snprintf(err->message + n, sizeof err->message - n, "%.*s",
               (int)(sizeof err->message - n - 1), msg);
    syn_free(key);
    return st;
  }
  *info = (syn_baseline_info){si.method, si.iterations, si.residual, si.t_integrated};
  remember_baseline(r->s->baselines, key, nkey, r->y0, ny, info);
  return SYN_OK;
}

/* ---- doses --------------------------------------------------------------------------------- */

static void set_running_rate(arm_run *r, size_t state) {
  double rate = 0;
  for (size_t i = 0; i < r->nrunning; i++) {
    size_t inf = r->running[i], dose = r->inf_dose[inf];
    const scn_dose *d = &r->arm->doses[dose];
    if (d->state == state) rate += d->amount * r->dose_scale[dose] / r->sched.length[inf];
  }
  /* Only route targets get here; they always have an input. */
  (void)syn_instance_set_input(r->inst, state, rate, NULL);
}

static void stop_running(arm_run *r, size_t infusion) {
  for (size_t i = 0; i < r->nrunning; i++)
    if (r->running[i] == infusion) {
      r->running[i] = r->running[--r->nrunning];
      return;
    }
}

static size_t apply_event(arm_run *r, const scn_event *e, double *y, size_t ntouched) {
  const scn_dose *d = &r->arm->doses[e->dose];
  switch (e->kind) {
    case SCN_BOLUS: y[d->state] += d->amount * r->dose_scale[e->dose]; return ntouched;
    case SCN_INFUSION_START: r->running[r->nrunning++] = e->infusion; break;
    case SCN_INFUSION_END: stop_running(r, e->infusion); break;
  }
  for (size_t i = 0; i < ntouched; i++)
    if (r->touched[i] == d->state) return ntouched;
  r->touched[ntouched] = d->state;
  return ntouched + 1;
}

static syn_status on_stop(double t, double *y, size_t n, void *ctx, syn_error *err) {
  arm_run *r = ctx;
  size_t ntouched = 0;
  (void)n;
  while (r->next < r->sched.nevents && r->sched.events[r->next].t <= t)
    ntouched = apply_event(r, &r->sched.events[r->next++], y, ntouched);
  for (size_t i = 0; i < ntouched; i++) set_running_rate(r, r->touched[i]);
  return r->metrics ? syn_metrics_jump(r->metrics, t, y, err) : SYN_OK;
}

static syn_status on_output(double t, const double *y, size_t n, void *ctx, syn_error *err) {
  arm_run *r = ctx;
  /* a non-finite output fails the run, recorded or not (a sweep's status) */
  if (!r->first_run) return SYN_OK;
  memcpy(r->values, y, n * sizeof *y);
  if (r->noutputs > 0) {
    syn_status st = syn_instance_outputs(r->inst, t, y, r->values + r->nstates, err);
    if (st != SYN_OK) return st;
  }
  return r->result ? syn_result_append(r->result, t, r->values, err) : SYN_OK;
}

/* ---- one run ----------------------------------------------------------------------------------- */

static void reset_doses(arm_run *r) {
  r->next = 0;
  r->nrunning = 0;
  for (size_t i = 0; i < r->sched.ninfusions; i++)
    (void)syn_instance_set_input(r->inst, r->arm->doses[r->inf_dose[i]].state, 0.0, NULL);
}

/* Integrate the arm once over the grid, evaluating probes[0..nprobes). */
static syn_status integrate_once(arm_run *r, const syn_solver_opts *opts, syn_probe *probes,
                                 size_t nprobes, syn_solver_stats *stats, syn_error *err) {
  syn_solver *solver = NULL;
  reset_doses(r);
  r->metrics = NULL;
  syn_status st = syn_solver_create(&r->ode, opts, r->s->t_start, r->y0, &solver, err);
  if (st == SYN_OK && nprobes > 0) {
    st = syn_metrics_create(r->inst, probes, nprobes, &r->metrics, err);
    if (st == SYN_OK) syn_metrics_set_rtol(r->metrics, opts->rtol);
    if (st == SYN_OK) syn_solver_set_step_hook(solver, syn_metrics_step, r->metrics);
    if (st == SYN_OK) st = syn_metrics_start(r->metrics, r->s->t_start, r->y0, err);
  }
  if (st == SYN_OK)
    st = syn_solver_integrate(solver, r->grid, r->npts, r->sched.stops, r->sched.nstops, on_stop,
                              r, on_output, r, err);
  if (st == SYN_OK && r->metrics) st = syn_metrics_finish(r->metrics, err);
  if (st == SYN_OK && stats) syn_solver_get_stats(solver, stats);
  syn_metrics_destroy(r->metrics);
  r->metrics = NULL;
  syn_solver_destroy(solver);
  return st;
}

/* ---- setup ---------------------------------------------------------------------------------------- */

static syn_status allocate(arm_run *r, syn_error *err) {
  r->y0 = syn_calloc(r->nstates, sizeof *r->y0);
  r->grid = syn_calloc(r->npts, sizeof *r->grid);
  r->values = syn_calloc(r->nstates + r->noutputs, sizeof *r->values);
  r->atol = syn_calloc(r->nstates, sizeof *r->atol);
  if (!r->y0 || !r->grid || !r->values || !r->atol)
    return syn_error_set(err, SYN_ENOMEM, "out of memory for arm '%s'", r->arm->name);
  return SYN_OK;
}

/* What a dose puts into its target, amount × the route's scale, must be
 * finite, and an infusion's rate at most SCN_MAX_RATE: the amounts were
 * checked at load, but the scale depends on parameters (a sweep's values). */
static syn_status check_delivered(const arm_run *r, const scn_event *e, syn_error *err) {
  const scn_dose *d = &r->arm->doses[e->dose];
  double scale = r->dose_scale[e->dose];
  int infusion = e->kind == SCN_INFUSION_START;
  double x = d->amount * scale / (infusion ? r->sched.length[e->infusion] : 1);
  if (infusion ? fabs(x) <= SCN_MAX_RATE : isfinite(x)) return SYN_OK;
  const char *clock = r->s->clock;
  char limit[64] = "not finite";
  if (infusion) snprintf(limit, sizeof limit, "more than %g", SCN_MAX_RATE);
  syn_error_set(err, SYN_EINPUT,
                "the dose of %s at %g%s%s gives %g%s%s into '%s' (amount %g × route scale %g): "
                "%s",
                d->route, e->t / r->s->show_factor, r->s->show_unit[0] ? " " : "",
                r->s->show_unit, x, infusion && clock[0] ? " per " : "", infusion ? clock : "",
                d->target, d->amount, scale, limit);
  syn_error_hint(err, "check the route's scale and the values it uses%s",
                 infusion ? ": at higher rates the solver's error norms overflow" : "");
  return SYN_EINPUT;
}

static syn_status allocate_doses(arm_run *r, syn_error *err) {
  const scn_arm *arm = r->arm;
  size_t ninf = r->sched.ninfusions;
  r->dose_scale = syn_calloc(arm->ndoses + 1, sizeof *r->dose_scale);
  r->inf_dose = syn_calloc(ninf + 1, sizeof *r->inf_dose);
  r->running = syn_calloc(ninf + 1, sizeof *r->running);
  r->touched = syn_calloc(r->sched.nevents + 1, sizeof *r->touched);
  if (!r->dose_scale || !r->inf_dose || !r->running || !r->touched)
    return syn_error_set(err, SYN_ENOMEM, "out of memory for arm '%s'", arm->name);
  for (size_t i = 0; i < arm->ndoses; i++)
    r->dose_scale[i] = syn_instance_route_scale(r->inst, arm->doses[i].route_index);
  for (size_t i = 0; i < r->sched.nevents; i++)
    if (r->sched.events[i].kind == SCN_INFUSION_START)
      r->inf_dose[r->sched.events[i].infusion] = r->sched.events[i].dose;
  syn_status st = SYN_OK;
  for (size_t i = 0; i < r->sched.nevents && st == SYN_OK; i++)
    if (r->sched.events[i].kind != SCN_INFUSION_END)
      st = check_delivered(r, &r->sched.events[i], err);
  return st;
}

static void release(arm_run *r) {
  syn_instance_destroy(r->inst);
  scn_schedule_free(&r->sched);
  syn_free(r->y0);
  syn_free(r->grid);
  syn_free(r->values);
  syn_free(r->dose_scale);
  syn_free(r->inf_dose);
  syn_free(r->running);
  syn_free(r->touched);
  syn_free(r->atol);
}

/* The model's state tolerances (syn_model_state_atols) where the caller gave
 * neither a vector nor an atol of its own. A model without any keeps the
 * scalar tolerance, so its results do not change. */
static void use_state_atols(arm_run *r, syn_solver_opts *so) {
  if (so->atol_vec == NULL && !so->atol_given &&
      syn_model_state_atols(r->s->model, so->atol, r->atol) > 0)
    so->atol_vec = r->atol;
}

static void run_options(const syn_scenario *s, const syn_solver_opts *opts, syn_run_opts *o) {
  syn_run_opts_default(o);
  o->t_start = s->t_start;
  o->t_end = s->t_end;
  o->every = s->every;
  if (opts) o->solver = *opts;
}

/* ---- metrics --------------------------------------------------------------------------------------- */

/* The metric a call belongs to (for messages). */
static const char *metric_of(const syn_scenario *s, size_t call) {
  for (size_t i = 0; i < s->nmetrics; i++)
    if (call >= (size_t)(s->metrics[i].calls - s->calls) &&
        call < (size_t)(s->metrics[i].calls - s->calls) + s->metrics[i].ncalls)
      return s->metrics[i].name;
  return "?";
}

/* The probe of call i, its arguments evaluated with the values known so
 * far. Returns 0 (and warns) when they do not give a window inside the run. */
static int make_probe(const syn_scenario *s, size_t i, const double *values, syn_probe *p) {
  const scn_call *c = &s->calls[i];
  *p = (syn_probe){c->kind, c->series, s->t_start, s->t_end, 0.0, (double)NAN};
  if (c->t1) p->t1 = scn_eval(s, c->t1, values);
  if (c->t2) p->t2 = scn_eval(s, c->t2, values);
  if (c->level) p->level = scn_eval(s, c->level, values);
  int ok = isfinite(p->t1) && isfinite(p->t2) && p->t1 >= s->t_start && p->t2 <= s->t_end &&
           (c->kind == PROBE_AT ? p->t1 == p->t2 : p->t2 > p->t1);
  return ok && (c->level == NULL || !isnan(p->level));
}

/* Is call i part of a metric the caller keeps? */
static int call_kept(const syn_scenario *s, const syn_arm_keep *keep, size_t i) {
  if (keep == NULL || keep->metrics == NULL) return 1;
  for (size_t k = 0; k < s->nmetrics; k++)
    if (i >= (size_t)(s->metrics[k].calls - s->calls) &&
        i < (size_t)(s->metrics[k].calls - s->calls) + s->metrics[k].ncalls)
      return keep->metrics[k] != 0;
  return 0;
}

/* Every round of probes (of the metrics kept); values[i] receives call i's
 * value. Round 0's run records the series (r->result, if kept) and its
 * statistics. */
static syn_status run_rounds(arm_run *r, const syn_solver_opts *opts, const syn_arm_keep *keep,
                             double *values, syn_solver_stats *stats, syn_arm_result *out,
                             syn_error *err) {
  const syn_scenario *s = r->s;
  syn_probe *probes = syn_calloc(s->ncalls + 1, sizeof *probes);
  size_t *which = syn_calloc(s->ncalls + 1, sizeof *which);
  syn_status st = probes && which ? SYN_OK : syn_error_set(err, SYN_ENOMEM, "out of memory");
  for (size_t i = 0; i < s->ncalls; i++) values[i] = (double)NAN;
  int last = s->max_round < 0 ? 0 : s->max_round;
  for (int round = 0; round <= last && st == SYN_OK; round++) {
    size_t n = 0;
    for (size_t i = 0; i < s->ncalls && st == SYN_OK; i++) {
      if (s->calls[i].round != round || !call_kept(s, keep, i)) continue;
      if (make_probe(s, i, values, &probes[n])) {
        which[n++] = i;
      } else {
        char text[512];
        snprintf(text, sizeof text,
                 "metric '%s': the arguments of '%s' give no window inside the simulation: "
                 "its value is NaN",
                 metric_of(s, i), s->calls[i].node->u.call.fn);
        st = scn_add_warning(&out->warnings, &out->nwarnings, text, err);
      }
    }
    if (st != SYN_OK) break;
    if (round > 0) { /* reruns record and check nothing */
      r->result = NULL;
      r->first_run = 0;
    }
    if (round > 0 && n == 0) continue;
    st = integrate_once(r, opts, probes, n, round == 0 ? stats : NULL, err);
    for (size_t k = 0; k < n && st == SYN_OK; k++) values[which[k]] = probes[k].value;
  }
  syn_free(probes);
  syn_free(which);
  return st;
}

/* ---- the result ------------------------------------------------------------------------------------- */

static syn_status add_doses(const arm_run *r, syn_result *res, syn_error *err) {
  syn_status st = SYN_OK;
  for (size_t i = 0; i < r->sched.nevents && st == SYN_OK; i++) {
    const scn_event *e = &r->sched.events[i];
    if (e->kind == SCN_INFUSION_END) continue;
    const scn_dose *d = &r->arm->doses[e->dose];
    syn_dose_record rec = {e->t, d->amount, d->over, d->route, d->target, d->joint, d->units};
    st = syn_result_add_dose(res, &rec, err);
  }
  return st;
}

static syn_status add_metrics(const syn_scenario *s, const double *values, syn_result *res,
                              syn_error *err) {
  syn_status st = SYN_OK;
  for (size_t i = 0; i < s->nmetrics && st == SYN_OK; i++) {
    const scn_metric *m = &s->metrics[i];
    st = syn_result_add_metric(res, m->name, m->units, m->description,
                               scn_eval(s, m->value, values), err);
  }
  return st;
}

static syn_status add_arm_attributes(const arm_run *r, const syn_baseline_info *b,
                                     const syn_solver_stats *stats, syn_result *res,
                                     syn_error *err) {
  syn_status st = syn_result_attr_string(res, "arm", r->arm->name, err);
  if (st == SYN_OK) st = syn_result_attr_string(res, "baseline", r->s->steady ? "steady" : "declared", err);
  if (st == SYN_OK) st = syn_result_attr_string(res, "baseline_method", b->method, err);
  if (st == SYN_OK) st = syn_result_attr_int(res, "baseline_iterations", b->iterations, err);
  if (st == SYN_OK) st = syn_result_attr_double(res, "baseline_residual", b->residual, err);
  if (st == SYN_OK) st = syn_result_attr_int(res, "cvode_nreinit", stats->nreinit, err);
  return st;
}

static syn_status take_warnings(arm_run *r, syn_arm_result *out, syn_error *err) {
  syn_status st = SYN_OK;
  for (size_t i = 0; i < r->sched.nwarnings && st == SYN_OK; i++)
    st = scn_add_warning(&out->warnings, &out->nwarnings, r->sched.warnings[i], err);
  return st;
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
  syn_solver_opts so;
  syn_run_opts ro;
  syn_solver_stats stats;
  arm_run r;
  double *values = NULL;
  memset(&r, 0, sizeof r);
  memset(&stats, 0, sizeof stats);
  if (out == NULL || s == NULL || arm >= s->narms || (nov > 0 && ov == NULL))
    return syn_error_set(err, SYN_EINVAL, "syn_scenario_run_arm: no such arm or no result pointer");
  *out = NULL;
  syn_solver_opts_default(&so);
  if (opts) so = *opts;
  else syn_scenario_solver_opts(s, &so);
  run_options(s, &so, &ro);
  syn_arm_result *res = syn_calloc(1, sizeof *res);
  r.s = s;
  r.arm = &s->arms[arm];
  r.nstates = syn_model_count(s->model, SYN_SYM_STATE);
  r.noutputs = syn_model_count(s->model, SYN_SYM_OUTPUT);
  r.npts = syn_run_grid_size(&ro);
  values = syn_calloc(s->ncalls + 1, sizeof *values);
  syn_status st = res && values ? SYN_OK : syn_error_set(err, SYN_ENOMEM, "out of memory");
  if (st == SYN_OK && r.nstates == 0)
    st = syn_error_set(err, SYN_EINVAL, "the model has no states to solve");
  if (st == SYN_OK) st = syn_run_check_grid(&ro, s->show_unit, s->show_factor, err);
  if (st == SYN_OK) st = prepare_instance(&r, ov, nov, err);
  if (st == SYN_OK) st = allocate(&r, err);
  if (st == SYN_OK) use_state_atols(&r, &so);
  ro.solver.atol_vec = so.atol_vec; /* recorded with the result (the states' `atol`) */
  if (st == SYN_OK) {
    syn_run_fill_grid(&ro, r.grid, r.npts);
    st = scn_schedule_build(r.arm, s->t_start, s->t_end, r.grid, r.npts, s->show_unit,
                            s->show_factor, &r.sched, err);
  }
  if (st == SYN_OK) st = allocate_doses(&r, err);
  if (st == SYN_OK) st = find_start(&r, &so, &res->baseline, err);
  /* without series the result holds no times: room for one is enough */
  if (st == SYN_OK)
    st = syn_run_create_result(s->model, keep && !keep->series ? 1 : r.npts, &res->series, err);
  if (st == SYN_OK) st = take_warnings(&r, res, err);
  r.result = res && (keep == NULL || keep->series) ? res->series : NULL;
  r.first_run = 1;
  if (st == SYN_OK) st = run_rounds(&r, &so, keep, values, &stats, res, err);
  r.result = NULL;
  if (st == SYN_OK) st = syn_run_add_attributes(res->series, &ro, &r.ode, &stats, r.inst, err);
  if (st == SYN_OK) st = add_arm_attributes(&r, &res->baseline, &stats, res->series, err);
  if (st == SYN_OK) st = add_doses(&r, res->series, err);
  if (st == SYN_OK) st = add_metrics(s, values, res->series, err);
  release(&r);
  syn_free(values);
  if (st != SYN_OK) {
    syn_arm_result_destroy(res);
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
