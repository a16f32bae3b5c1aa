/* synovia — building a compiled problem and its workspaces (problem layer;
 * see include/synovia/problem.h).
 *
 * Every kind of free parameter is one row of `kinds`: the form of its name,
 * how the name is resolved (once, here) and how a value is applied (per
 * evaluation, by index: eval.c calls kind->apply). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "lang/suggest.h"
#include "problem_impl.h"
#include "solve/run_internal.h"

/* ---- model values: parameters, compartment sizes, initial values ------------------ */

static int is_dose_name(const char *name) { return strncmp(name, "dose:", 5) == 0; }

static int claims_value(const char *name) { return !is_dose_name(name); }

static int settable(syn_symkind k) {
  return k == SYN_SYM_COMPARTMENT || k == SYN_SYM_PARAM || k == SYN_SYM_STATE;
}

static syn_status add_target(free_param *fp, syn_symkind kind, size_t index, syn_error *err) {
  syn_symkind *k = syn_realloc(fp->tkind, (fp->ntargets + 1) * sizeof *k);
  if (k != NULL) fp->tkind = k;
  size_t *i = k ? syn_realloc(fp->tindex, (fp->ntargets + 1) * sizeof *i) : NULL;
  if (i == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory for a free parameter");
  fp->tindex = i;
  fp->tkind[fp->ntargets] = kind;
  fp->tindex[fp->ntargets++] = index;
  return SYN_OK;
}

/* As syn_instance_set finds a name: a per-joint name without its joint is
 * every joint's copy; else the name itself. Not found, or not settable: the
 * message syn_instance_set gives (a scratch instance says it). */
static syn_status resolve_value(const syn_problem *p, const char *name, free_param *fp,
                                syn_error *err) {
  const syn_model *m = syn_scenario_model(p->s);
  static const syn_symkind kinds[] = {SYN_SYM_COMPARTMENT, SYN_SYM_PARAM, SYN_SYM_STATE};
  syn_status st = SYN_OK;
  for (size_t k = 0; k < 3 && st == SYN_OK; k++)
    for (size_t i = 0; i < syn_model_count(m, kinds[k]) && st == SYN_OK; i++) {
      const syn_symbol *sym = syn_model_symbol(m, kinds[k], i);
      if (sym->joint[0] && strcmp(sym->base, name) == 0) st = add_target(fp, kinds[k], i, err);
    }
  syn_symkind kind;
  size_t index;
  if (st == SYN_OK && fp->ntargets == 0 && syn_model_find(m, name, &kind, &index) &&
      settable(kind))
    st = add_target(fp, kind, index, err);
  if (st != SYN_OK || fp->ntargets > 0) return st;
  syn_instance *scratch = NULL;
  st = syn_instance_create(m, &scratch, err);
  if (st == SYN_OK) st = syn_instance_set(scratch, name, 1.0, err);
  syn_instance_destroy(scratch);
  return st != SYN_OK ? st : syn_error_set(err, SYN_EINVAL, "'%s' cannot be a free parameter", name);
}

static syn_status apply_value(arm_ws *a, const free_param *fp, double v, syn_error *err) {
  /* the checks of syn_instance_set, naming the parameter as the caller did */
  if (!isfinite(v))
    return syn_error_set(err, SYN_EINVAL, "value for '%s' is not finite (%g)", fp->name,
                         v != v ? fabs(v) : v);
  if (fp->tkind[0] == SYN_SYM_COMPARTMENT && !(v > 0))
    return syn_error_set(err, SYN_EINVAL, "compartment '%s' must have a positive size (found %g)",
                         fp->name, v);
  syn_status st = SYN_OK;
  for (size_t i = 0; i < fp->ntargets && st == SYN_OK; i++)
    st = syn_instance_set_index(a->inst, fp->tkind[i], fp->tindex[i], v, err);
  return st;
}

/* ---- doses: dose:ARM:ROUTE[:K].amount / .time --------------------------------------- */

static const char *const dose_fields[] = {"amount", "time"};

static int has_field(const char *name, const char *field) {
  const char *dot = strrchr(name, '.');
  return is_dose_name(name) && dot != NULL && strcmp(dot + 1, field) == 0;
}

static int claims_amount(const char *name) { return has_field(name, "amount"); }
static int claims_time(const char *name) { return has_field(name, "time"); }

/* The arm of the problem called arm[0..n). */
static syn_status find_problem_arm(const syn_problem *p, const char *name, const char *arm,
                                   size_t n, size_t *index, syn_error *err) {
  char buf[256];
  snprintf(buf, sizeof buf, "%.*s", (int)n, arm);
  syn_status st = syn_scenario_find_arm(p->s, buf, index, err);
  for (size_t i = 0; st == SYN_OK && i < p->narms; i++)
    if (p->arms[i] == *index) return SYN_OK;
  if (st == SYN_OK)
    st = syn_error_set(err, SYN_EINVAL, "'%s': arm '%s' is not one of the problem's arms", name,
                       buf);
  else {
    char msg[SYN_ERROR_MSG_MAX];
    snprintf(msg, sizeof msg, "%s", err->message);
    syn_error_set(err, st, "'%s': %s", name, msg);
  }
  return st;
}

/* "IA, IV" (distinct routes of the arm's doses). */
static void route_list(const scn_arm *arm, char *buf, size_t size) {
  size_t len = 0;
  buf[0] = 0;
  for (size_t i = 0; i < arm->ndoses && len < size; i++) {
    int seen = 0;
    for (size_t j = 0; j < i; j++) seen |= strcmp(arm->doses[j].route, arm->doses[i].route) == 0;
    if (!seen)
      len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "", arm->doses[i].route);
  }
}

/* The K-th (1-based; 0: the only) dose of route in arm. */
static syn_status find_dose(const char *name, const scn_arm *arm, const char *route, size_t rlen,
                            long k, size_t *dose, syn_error *err) {
  size_t count = 0;
  const char *routes[64];
  size_t nroutes = 0;
  for (size_t i = 0; i < arm->ndoses; i++) {
    const scn_dose *d = &arm->doses[i];
    if (nroutes < 64) routes[nroutes++] = d->route;
    if (strlen(d->route) != rlen || strncmp(d->route, route, rlen) != 0) continue;
    if (++count == (size_t)k || k == 0) *dose = i;
  }
  char list[256];
  route_list(arm, list, sizeof list);
  if (count == 0) {
    char r[128];
    snprintf(r, sizeof r, "%.*s", (int)rlen, route);
    const char *near = syn_suggest(r, strlen(r), routes, nroutes);
    syn_status st = syn_error_set(err, SYN_EINVAL, "'%s': arm '%s' has no dose of '%s'%s%s%s",
                                  name, arm->name, r, near ? " (did you mean '" : "",
                                  near ? near : "", near ? "'?)" : "");
    if (arm->ndoses) syn_error_hint(err, "the arm's doses go by %s", list);
    else syn_error_hint(err, "the arm gives no dose");
    return st;
  }
  if (k == 0 && count > 1) {
    syn_status st = syn_error_set(err, SYN_EINVAL, "'%s': arm '%s' has %zu doses of '%.*s'",
                                  name, arm->name, count, (int)rlen, route);
    syn_error_hint(err, "name one of them: dose:%s:%.*s:1 to :%zu (in the order written)",
                   arm->name, (int)rlen, route, count);
    return st;
  }
  if (k > 0 && (size_t)k > count)
    return syn_error_set(err, SYN_EINVAL, "'%s': arm '%s' has %zu dose%s of '%.*s', not %ld",
                         name, arm->name, count, count == 1 ? "" : "s", (int)rlen, route, k);
  return SYN_OK;
}

/* dose:ARM:ROUTE[:K].FIELD */
static syn_status resolve_dose(const syn_problem *p, const char *name, free_param *fp,
                               syn_error *err) {
  const char *arm = name + 5, *dot = strrchr(name, '.');
  const char *c1 = memchr(arm, ':', (size_t)(dot - arm));
  if (c1 == NULL || c1 == arm) {
    syn_status st = syn_error_set(err, SYN_EINVAL, "'%s': a dose is named dose:ARM:ROUTE.%s",
                                  name, dot + 1);
    syn_error_hint(err, "with :K after the route for the K-th dose of that route in the arm");
    return st;
  }
  const char *route = c1 + 1, *c2 = memchr(route, ':', (size_t)(dot - route));
  size_t rlen = (size_t)((c2 ? c2 : dot) - route);
  long k = 0;
  if (c2 != NULL) {
    char *end = NULL;
    k = strtol(c2 + 1, &end, 10);
    if (end != dot || k < 1)
      return syn_error_set(err, SYN_EINVAL,
                           "'%s': the dose number after the route must be 1 or more", name);
  }
  size_t a = 0;
  syn_status st = find_problem_arm(p, name, arm, (size_t)(c1 - arm), &a, err);
  if (st == SYN_OK) st = find_dose(name, &p->s->arms[a], route, rlen, k, &fp->dose, err);
  fp->arm = a;
  return st;
}

static syn_status apply_amount(arm_ws *a, const free_param *fp, double v, syn_error *err) {
  if (a->scn_arm != fp->arm) return SYN_OK;
  if (!isfinite(v))
    return syn_error_set(err, SYN_EINVAL, "value for '%s' is not finite (%g)", fp->name,
                         v != v ? fabs(v) : v);
  a->amount[fp->dose] = v;
  return SYN_OK;
}

static syn_status apply_time(arm_ws *a, const free_param *fp, double v, syn_error *err);

/* The kinds of free parameter; the first that claims a name resolves it. */
static const fp_kind kinds[] = {
    {FP_AMOUNT, "dose amount", claims_amount, resolve_dose, apply_amount},
    {FP_TIME, "dose time", claims_time, resolve_dose, apply_time},
    {FP_VALUE, "model value", claims_value, resolve_value, apply_value},
};

static syn_status unknown_dose_field(const char *name, syn_error *err) {
  const char *dot = strrchr(name, '.');
  const char *field = dot ? dot + 1 : "";
  const char *near = syn_suggest(field, strlen(field), dose_fields, 2);
  syn_status st = syn_error_set(err, SYN_EINVAL, "'%s': a dose's free parameter ends in .amount "
                                "or .time%s%s%s",
                                name, near ? " (did you mean '." : "", near ? near : "",
                                near ? "'?)" : "");
  syn_error_hint(err, "name it dose:ARM:ROUTE.amount, or dose:ARM:ROUTE:K.time for the K-th "
                      "dose of that route");
  return st;
}

static syn_status resolve(const syn_problem *p, const char *name, free_param *fp,
                          syn_error *err) {
  for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
    if (kinds[k].claims(name)) {
      fp->kind = &kinds[k];
      fp->arm = SIZE_MAX;
      return kinds[k].resolve(p, name, fp, err);
    }
  return unknown_dose_field(name, err);
}

/* ---- the problem ------------------------------------------------------------------------ */

static syn_status take_arms(syn_problem *p, const size_t *arms, size_t narms, syn_error *err) {
  const syn_scenario *s = p->s;
  p->narms = arms ? narms : s->narms;
  p->arms = syn_calloc(p->narms + 1, sizeof *p->arms);
  if (p->arms == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory for the problem");
  for (size_t i = 0; i < p->narms; i++) {
    p->arms[i] = arms ? arms[i] : i;
    if (p->arms[i] >= s->narms)
      return syn_error_set(err, SYN_EINVAL, "arm %zu asked for, but the scenario has %zu",
                           p->arms[i], s->narms);
  }
  return SYN_OK;
}

static syn_status take_free(syn_problem *p, const char *const *names, size_t n, syn_error *err) {
  p->fp = syn_calloc(n + 1, sizeof *p->fp);
  if (p->fp == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory for the problem");
  syn_status st = SYN_OK;
  for (size_t i = 0; i < n && st == SYN_OK; i++) {
    p->nfree++;
    if (names[i] == NULL) return syn_error_set(err, SYN_EINVAL, "free parameter %zu has no name", i);
    p->fp[i].name = syn_strdup(names[i]);
    if (p->fp[i].name == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
    st = resolve(p, names[i], &p->fp[i], err);
  }
  return st;
}

/* The grid and solver options, as syn_scenario_run_arm takes them. */
static syn_status take_grid(syn_problem *p, const syn_solver_opts *opts, syn_error *err) {
  const syn_scenario *s = p->s;
  syn_solver_opts_default(&p->opts);
  if (opts) p->opts = *opts;
  else syn_scenario_solver_opts(s, &p->opts);
  syn_run_opts_default(&p->ro);
  p->ro.t_start = s->t_start;
  p->ro.t_end = s->t_end;
  p->ro.every = s->every;
  p->ro.solver = p->opts;
  p->nstates = syn_model_count(s->model, SYN_SYM_STATE);
  p->noutputs = syn_model_count(s->model, SYN_SYM_OUTPUT);
  p->nseries = p->nstates + p->noutputs;
  if (p->nstates == 0) return syn_error_set(err, SYN_EINVAL, "the model has no states to solve");
  syn_status st = syn_run_check_grid(&p->ro, s->show_unit, s->show_factor, err);
  if (st != SYN_OK) return st;
  p->npts = syn_run_grid_size(&p->ro);
  p->grid = syn_calloc(p->npts, sizeof *p->grid);
  p->atol = syn_calloc(p->nstates, sizeof *p->atol);
  if (p->grid == NULL || p->atol == NULL)
    return syn_error_set(err, SYN_ENOMEM, "out of memory for the output grid");
  syn_run_fill_grid(&p->ro, p->grid, p->npts);
  /* the model's state tolerances where the caller gave neither a vector nor
   * an atol of its own (a model without any keeps the scalar) */
  if (p->opts.atol_vec == NULL && !p->opts.atol_given &&
      syn_model_state_atols(s->model, p->opts.atol, p->atol) > 0)
    p->opts.atol_vec = p->atol;
  p->ro.solver.atol_vec = p->opts.atol_vec; /* recorded with the result (the states' atol) */
  return SYN_OK;
}

syn_status syn_problem_create(const syn_scenario *s, const size_t *arms, size_t narms,
                              const char *const *names, size_t nfree,
                              const syn_solver_opts *opts, syn_problem **out, syn_error *err) {
  if (out == NULL || s == NULL || (nfree > 0 && names == NULL))
    return syn_error_set(err, SYN_EINVAL, "syn_problem_create: no scenario, names or result pointer");
  *out = NULL;
  syn_problem *p = syn_calloc(1, sizeof *p);
  if (p == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory for the problem");
  p->s = s;
  syn_status st = take_arms(p, arms, narms, err);
  if (st == SYN_OK) st = take_grid(p, opts, err);
  if (st == SYN_OK) st = take_free(p, names, nfree, err);
  if (st == SYN_OK) st = problem_sens_create(p, err);
  if (st != SYN_OK) {
    syn_problem_destroy(p);
    return st;
  }
  *out = p;
  return SYN_OK;
}

/* A plain model is a scenario of its own: one arm ("run") without doses,
 * settings or metrics, the declared start, the grid of opts. The problem owns
 * it (the model stays the caller's). */
static syn_status make_model_scenario(syn_problem *p, const syn_model *m, const syn_run_opts *o,
                                      syn_error *err) {
  syn_scenario *s = syn_calloc(1, sizeof *s);
  scn_arm *arm = s ? syn_calloc(1, sizeof *arm) : NULL;
  if (arm == NULL) {
    syn_free(s);
    return syn_error_set(err, SYN_ENOMEM, "out of memory for the problem");
  }
  arm->name = "run";
  s->model = (syn_model *)(uintptr_t)m; /* read only: never destroyed through s */
  s->t_start = o->t_start;
  s->t_end = o->t_end;
  s->every = o->every;
  s->arms = arm;
  s->narms = 1;
  s->max_round = -1;
  s->clock = s->show_unit = syn_model_time_unit(m);
  s->show_factor = 1.0;
  p->own = s;
  p->s = s;
  return SYN_OK;
}

syn_status syn_problem_create_model(const syn_model *m, const syn_run_opts *opts,
                                    const char *const *names, size_t nfree, syn_problem **out,
                                    syn_error *err) {
  if (out == NULL || m == NULL || opts == NULL || (nfree > 0 && names == NULL))
    return syn_error_set(err, SYN_EINVAL,
                         "syn_problem_create_model: no model, options, names or result pointer");
  *out = NULL;
  syn_problem *p = syn_calloc(1, sizeof *p);
  if (p == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory for the problem");
  /* syn_run's order: the grid, then the states */
  syn_status st = syn_run_check_grid(opts, syn_model_time_unit(m), 1.0, err);
  if (st == SYN_OK) st = make_model_scenario(p, m, opts, err);
  if (st == SYN_OK) st = take_arms(p, NULL, 0, err);
  if (st == SYN_OK) st = take_grid(p, &opts->solver, err);
  if (st == SYN_OK) st = take_free(p, names, nfree, err);
  if (st == SYN_OK) st = problem_sens_create(p, err);
  if (st != SYN_OK) {
    syn_problem_destroy(p);
    return st;
  }
  *out = p;
  return SYN_OK;
}

void syn_problem_destroy(syn_problem *p) {
  if (p == NULL) return;
  if (p->own != NULL) syn_free(p->own->arms);
  syn_free(p->own);
  for (size_t i = 0; i < p->nfree; i++) {
    syn_free(p->fp[i].name);
    syn_free(p->fp[i].tkind);
    syn_free(p->fp[i].tindex);
  }
  syn_free(p->fp);
  syn_psens_destroy(p->ps);
  syn_free(p->ps_col);
  syn_free(p->arms);
  syn_free(p->grid);
  syn_free(p->atol);
  syn_free(p);
}

size_t syn_problem_arm_count(const syn_problem *p) { return p ? p->narms : 0; }
size_t syn_problem_scenario_arm(const syn_problem *p, size_t arm) {
  return p && arm < p->narms ? p->arms[arm] : SIZE_MAX;
}
size_t syn_problem_free_count(const syn_problem *p) { return p ? p->nfree : 0; }
const char *syn_problem_free_name(const syn_problem *p, size_t i) {
  return p && i < p->nfree ? p->fp[i].name : NULL;
}
const double *syn_problem_times(const syn_problem *p, size_t *ntimes) {
  if (ntimes) *ntimes = p ? p->npts : 0;
  return p ? p->grid : NULL;
}
size_t syn_problem_series_count(const syn_problem *p) { return p ? p->nseries : 0; }

/* ---- workspaces -------------------------------------------------------------------------- */

static syn_status apply_settings(syn_instance *inst, const scn_setting *set, size_t n,
                                 syn_error *err) {
  syn_status st = SYN_OK;
  for (size_t i = 0; i < n && st == SYN_OK; i++)
    st = set[i].is_preset ? syn_instance_use_preset(inst, set[i].name, err)
                          : syn_instance_set(inst, set[i].name, set[i].value, err);
  return st;
}

/* One engine per metric round with every call of that round (windows are
 * set per evaluation, syn_metrics_reset). */
static syn_status make_engines(const syn_problem *p, arm_ws *a, syn_probe *probes,
                               syn_error *err) {
  const syn_scenario *s = p->s;
  int rounds = s->max_round < 0 ? 0 : s->max_round + 1;
  a->round = syn_calloc((size_t)rounds + 1, sizeof *a->round);
  if (a->round == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory for the metrics");
  syn_status st = SYN_OK;
  for (int r = 0; r < rounds && st == SYN_OK; r++) {
    size_t n = 0;
    for (size_t i = 0; i < s->ncalls; i++)
      if (s->calls[i].round == r)
        probes[n++] = (syn_probe){s->calls[i].kind, s->calls[i].series, s->t_start, s->t_end,
                                  0.0, (double)NAN, (double)NAN};
    if (n == 0) continue;
    st = syn_metrics_create(a->inst, probes, n, &a->round[r], err);
    if (st == SYN_OK) syn_metrics_set_rtol(a->round[r], p->opts.rtol);
  }
  return st;
}

static syn_status make_arm(const syn_problem *p, syn_problem_ws *ws, size_t k, syn_error *err) {
  const syn_scenario *s = p->s;
  arm_ws *a = &ws->arms[k];
  a->scn_arm = p->arms[k];
  a->arm = &s->arms[a->scn_arm];
  a->t_start = s->t_start;
  syn_status st = syn_instance_create(s->model, &a->inst, err);
  if (st == SYN_OK) st = apply_settings(a->inst, s->common, s->ncommon, err);
  if (st == SYN_OK) st = apply_settings(a->inst, a->arm->settings, a->arm->nsettings, err);
  if (st != SYN_OK) return st;
  syn_instance_ode(a->inst, &a->ode);
  /* the start is set per evaluation (syn_solver_reinit) */
  st = syn_solver_create(&a->ode, &p->opts, s->t_start, ws->y0, &a->solver, err);
  if (st == SYN_OK)
    st = scn_schedule_build(a->arm, s->t_start, s->t_end, p->grid, p->npts, s->show_unit,
                            s->show_factor, &a->sched, err);
  if (st != SYN_OK) return st;
  size_t nd = a->arm->ndoses, cap = a->sched.capacity;
  a->amount = syn_calloc(nd + 1, sizeof *a->amount);
  a->at = syn_calloc(nd + 1, sizeof *a->at);
  a->dose_scale = syn_calloc(nd + 1, sizeof *a->dose_scale);
  a->inf_dose = syn_calloc(cap + 1, sizeof *a->inf_dose);
  a->running = syn_calloc(cap + 1, sizeof *a->running);
  a->touched = syn_calloc(cap + 1, sizeof *a->touched);
  if (!a->amount || !a->at || !a->dose_scale || !a->inf_dose || !a->running || !a->touched)
    return syn_error_set(err, SYN_ENOMEM, "out of memory for arm '%s'", a->arm->name);
  for (size_t i = 0; i < p->nfree; i++)
    a->moves_doses |= p->fp[i].kind->apply == apply_time && p->fp[i].arm == a->scn_arm;
  st = problem_sens_arm_create(p, a, err);
  return st == SYN_OK ? make_engines(p, a, ws->probes, err) : st;
}

static void free_arm(arm_ws *a, const syn_scenario *s) {
  int rounds = s->max_round < 0 ? 0 : s->max_round + 1;
  for (int r = 0; a->round && r < rounds; r++) syn_metrics_destroy(a->round[r]);
  syn_free(a->round);
  problem_sens_arm_destroy(a);
  syn_solver_destroy(a->solver);
  syn_instance_destroy(a->inst);
  scn_schedule_free(&a->sched);
  syn_free(a->amount);
  syn_free(a->at);
  syn_free(a->dose_scale);
  syn_free(a->inf_dose);
  syn_free(a->running);
  syn_free(a->touched);
}

/* Everything a steady-state baseline depends on: compartments, parameters,
 * the declared start, the start time and the solver options. */
static size_t key_size(const syn_problem *p) {
  const syn_model *m = p->s->model;
  return syn_model_count(m, SYN_SYM_COMPARTMENT) + syn_model_count(m, SYN_SYM_PARAM) +
         p->nstates + 9 + (p->opts.atol_vec ? p->nstates : 0);
}

static syn_status make_buffers(const syn_problem *p, syn_problem_ws *ws, syn_error *err) {
  const syn_scenario *s = p->s;
  size_t nc = s->ncalls + 1;
  ws->y0 = syn_calloc(p->nstates, sizeof *ws->y0);
  ws->values = syn_calloc(p->nseries, sizeof *ws->values);
  ws->at_y = syn_calloc(p->nseries, sizeof *ws->at_y);
  ws->series = syn_calloc(p->npts * p->nseries, sizeof *ws->series);
  ws->calls = syn_calloc(nc, sizeof *ws->calls);
  ws->metrics = syn_calloc(s->nmetrics + 1, sizeof *ws->metrics);
  ws->no_window = syn_calloc(nc, 1);
  ws->probes = syn_calloc(nc, sizeof *ws->probes);
  ws->which = syn_calloc(nc, sizeof *ws->which);
  ws->nkey = key_size(p);
  ws->key = syn_calloc(ws->nkey, sizeof *ws->key);
  int ok = ws->y0 && ws->values && ws->at_y && ws->series && ws->calls && ws->metrics && ws->no_window &&
           ws->probes && ws->which && ws->key;
  for (size_t i = 0; ok && i < PROBLEM_BASELINE_CACHE; i++) {
    ws->cache[i].key = syn_calloc(ws->nkey, sizeof *ws->cache[i].key);
    ws->cache[i].y = syn_calloc(p->nstates, sizeof *ws->cache[i].y);
    ok = ws->cache[i].key && ws->cache[i].y;
  }
  return ok ? SYN_OK : syn_error_set(err, SYN_ENOMEM, "out of memory for a workspace");
}

syn_status syn_problem_ws_create(const syn_problem *p, syn_problem_ws **out, syn_error *err) {
  if (p == NULL || out == NULL)
    return syn_error_set(err, SYN_EINVAL, "syn_problem_ws_create: no problem or result pointer");
  *out = NULL;
  syn_problem_ws *ws = syn_calloc(1, sizeof *ws);
  if (ws == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory for a workspace");
  ws->p = p;
  ws->arms = syn_calloc(p->narms + 1, sizeof *ws->arms);
  syn_status st = ws->arms ? make_buffers(p, ws, err)
                           : syn_error_set(err, SYN_ENOMEM, "out of memory for a workspace");
  if (st == SYN_OK) st = problem_sens_ws_create(p, ws, err);
  for (size_t k = 0; k < p->narms && st == SYN_OK; k++) st = make_arm(p, ws, k, err);
  if (st != SYN_OK) {
    syn_problem_ws_destroy(ws);
    return st;
  }
  *out = ws;
  return SYN_OK;
}

void syn_problem_ws_destroy(syn_problem_ws *ws) {
  if (ws == NULL) return;
  for (size_t k = 0; ws->arms && k < ws->p->narms; k++) free_arm(&ws->arms[k], ws->p->s);
  syn_free(ws->arms);
  problem_sens_ws_destroy(ws);
  syn_free(ws->y0);
  syn_free(ws->values);
  syn_free(ws->at_y);
  syn_free(ws->series);
  syn_free(ws->calls);
  syn_free(ws->metrics);
  syn_free(ws->no_window);
  syn_free(ws->probes);
  syn_free(ws->which);
  syn_free(ws->key);
  for (size_t i = 0; i < PROBLEM_BASELINE_CACHE; i++) {
    syn_free(ws->cache[i].key);
    syn_free(ws->cache[i].y);
  }
  syn_free(ws);
}

const syn_instance *syn_problem_ws_instance(const syn_problem_ws *ws, size_t arm) {
  return ws && arm < ws->p->narms ? ws->arms[arm].inst : NULL;
}

/* ---- dose times ------------------------------------------------------------------------------ */

/* A dose time inside the simulation or after it (then skipped, as a repeat
 * after the end is); before the start it would be a dose that never was. */
static syn_status apply_time(arm_ws *a, const free_param *fp, double v, syn_error *err) {
  if (a->scn_arm != fp->arm) return SYN_OK;
  if (!isfinite(v))
    return syn_error_set(err, SYN_EINVAL, "value for '%s' is not finite (%g)", fp->name,
                         v != v ? fabs(v) : v);
  if (v < a->t_start)
    return syn_error_set(err, SYN_EINVAL, "'%s' = %g is before the start of the simulation (%g)",
                         fp->name, v, a->t_start);
  a->at[fp->dose] = v;
  return SYN_OK;
}

/* ---- a free parameter's value in an arm when left alone ----------------------------------- */

static double target_value(const syn_instance *inst, const double *y0, syn_symkind kind,
                           size_t index) {
  return kind == SYN_SYM_STATE ? y0[index] : syn_instance_value(inst, kind, index);
}

/* The model value's targets all hold one value in inst (a per-joint name
 * without its joint drives every copy: they must agree). */
static syn_status value_base(const syn_problem *p, const syn_instance *inst, const double *y0,
                             const free_param *fp, const char *arm, double *value,
                             syn_error *err) {
  *value = target_value(inst, y0, fp->tkind[0], fp->tindex[0]);
  for (size_t i = 1; i < fp->ntargets; i++) {
    double v = target_value(inst, y0, fp->tkind[i], fp->tindex[i]);
    if (v == *value) continue;
    const syn_symbol *a = syn_model_symbol(p->s->model, fp->tkind[0], fp->tindex[0]);
    const syn_symbol *b = syn_model_symbol(p->s->model, fp->tkind[i], fp->tindex[i]);
    syn_status st = syn_error_set(err, SYN_EINVAL,
                                  "'%s' has no one value in arm '%s': %s = %g, %s = %g", fp->name,
                                  arm, a->name, *value, b->name, v);
    syn_error_hint(err, "name one joint's copy ('%s')", a->name);
    return st;
  }
  return SYN_OK;
}

syn_status syn_problem_free_base(const syn_problem *p, size_t arm, size_t k, double *value,
                                 syn_error *err) {
  if (p == NULL || value == NULL || arm >= p->narms || k >= p->nfree)
    return syn_error_set(err, SYN_EINVAL, "syn_problem_free_base: no such arm or free parameter");
  const free_param *fp = &p->fp[k];
  const scn_arm *sa = &p->s->arms[p->arms[arm]];
  if (fp->kind->id != FP_VALUE) {
    const scn_dose *d = &p->s->arms[fp->arm].doses[fp->dose];
    *value = fp->kind->id == FP_AMOUNT ? d->amount : d->at;
    return SYN_OK;
  }
  syn_instance *inst = NULL;
  double *y0 = syn_calloc(p->nstates + 1, sizeof *y0);
  syn_status st = y0 ? syn_instance_create(p->s->model, &inst, err)
                     : syn_error_set(err, SYN_ENOMEM, "out of memory");
  if (st == SYN_OK) st = apply_settings(inst, p->s->common, p->s->ncommon, err);
  if (st == SYN_OK) st = apply_settings(inst, sa->settings, sa->nsettings, err);
  if (st == SYN_OK) st = syn_instance_prepare(inst, err);
  if (st == SYN_OK) syn_instance_initial(inst, y0);
  if (st == SYN_OK) st = value_base(p, inst, y0, fp, sa->name, value, err);
  syn_instance_destroy(inst);
  syn_free(y0);
  return st;
}
