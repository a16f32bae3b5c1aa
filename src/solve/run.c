/* synovia — one simulation of a model instance onto an output grid (solve layer;
 * see include/synovia/run.h).
 *
 * Joins the layers: the instance's ODE goes to syn_solver, every output time
 * evaluates the model's outputs and appends states and outputs to a
 * syn_result, which also receives the solver settings, the statistics and
 * the parameter table. Uses only the public model.h / result.h API. */
#include "synovia/run.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "run_internal.h"

void syn_run_opts_default(syn_run_opts *o) {
  if (o == NULL) return;
  memset(o, 0, sizeof *o);
  o->t_start = 0.0;
  o->t_end = 0.0; /* invalid until set */
  o->every = 0.0;
  syn_solver_opts_default(&o->solver);
}

/* Larger of |t_start| and |t_end|: the magnitude that sets the rounding of
 * t_start + k*every. */
static double time_scale(const syn_run_opts *o) { return fmax(fabs(o->t_start), fabs(o->t_end)); }

/* Spacing finer than this (relative to the times) cannot be told apart from
 * rounding: far from zero, t_start + k*every would repeat or barely move. */
#define SYN_RUN_MIN_REL_EVERY 1e-11

static int grid_valid(const syn_run_opts *o) {
  return o != NULL && isfinite(o->t_start) && isfinite(o->t_end) && isfinite(o->every) &&
         o->t_end > o->t_start && o->every > 0.0 && time_scale(o) <= SYN_RUN_MAX_TIME &&
         (o->t_end - o->t_start) / o->every < SYN_RUN_MAX_POINTS &&
         o->every >= SYN_RUN_MIN_REL_EVERY * time_scale(o);
}

/* A regular point closer than this to t_end is t_end (rounding in k*every,
 * or in the unit conversion of the user's numbers). Capped at a thousandth of
 * the spacing: a tolerance near the spacing would snap the point after the
 * last one too and repeat t_end. The cap stays far above rounding because
 * grid_valid asks every >= 1e-11 * time_scale. */
static double snap_tol(const syn_run_opts *o) {
  return fmin(1e-9 * fmax(time_scale(o), o->t_end - o->t_start), 1e-3 * o->every);
}

/* Index of the last regular point t_start + m*every that is not past t_end
 * (allowing for rounding). */
static size_t last_regular_index(const syn_run_opts *o) {
  double tol = snap_tol(o);
  size_t m = (size_t)floor((o->t_end - o->t_start) / o->every);
  if (o->t_start + (double)(m + 1) * o->every <= o->t_end + tol) m++;
  while (m > 0 && o->t_start + (double)m * o->every > o->t_end + tol) m--;
  return m;
}

size_t syn_run_grid_size(const syn_run_opts *o) {
  if (!grid_valid(o)) return 0;
  size_t m = last_regular_index(o);
  double tm = o->t_start + (double)m * o->every;
  return fabs(tm - o->t_end) <= snap_tol(o) ? m + 1 : m + 2;
}

/* Fill t[0..n-1]: t_start + k*every, ending exactly at t_end. Each point is
 * computed from k, not by adding every to the previous one, so the error
 * stays at a rounding of one product and one sum (no drift over 1e6 points). */
static void fill_grid(const syn_run_opts *o, double *t, size_t n) {
  for (size_t k = 0; k + 1 < n; k++) t[k] = o->t_start + (double)k * o->every;
  t[n - 1] = o->t_end;
}

/* "12.5 h" (t / factor, then the unit) into buf. */
static const char *shown_time(double t, const char *unit, double factor, char *buf, size_t n) {
  snprintf(buf, n, "%g%s%s", t / factor, unit[0] ? " " : "", unit);
  return buf;
}

/* The one rule for an output grid, with the message that says which part fails. */
syn_status syn_run_check_grid(const syn_run_opts *o, const char *unit, double factor,
                              syn_error *err) {
  char a[64], b[64], c[64];
  if (o == NULL) return syn_error_set(err, SYN_EINVAL, "no run options given");
  if (unit == NULL || !(factor > 0) || !isfinite(factor)) unit = "", factor = 1.0;
  const double t[3] = {o->t_start, o->t_end, o->every};
  static const char *const what[3] = {"the start time", "the end time", "the output spacing"};
  for (int k = 0; k < 3; k++)
    if (!isfinite(t[k]))
      return syn_error_set(err, SYN_EINVAL, "%s is not finite in the model's clock (%g)", what[k],
                           t[k]);
  if (!(o->t_end > o->t_start))
    return syn_error_set(err, SYN_EINVAL, "the simulation must end after it starts (%s to %s)",
                         shown_time(o->t_start, unit, factor, a, sizeof a),
                         shown_time(o->t_end, unit, factor, b, sizeof b));
  if (!(o->every > 0.0))
    return syn_error_set(err, SYN_EINVAL, "the output spacing must be positive (found %s)",
                         shown_time(o->every, unit, factor, a, sizeof a));
  if (time_scale(o) > SYN_RUN_MAX_TIME) {
    syn_error_set(err, SYN_ELIMIT,
                  "the simulation's times (%s to %s) go beyond ±%s, the most the solver can take",
                  shown_time(o->t_start, unit, factor, a, sizeof a),
                  shown_time(o->t_end, unit, factor, b, sizeof b),
                  shown_time(SYN_RUN_MAX_TIME, unit, factor, c, sizeof c));
    syn_error_hint(err, "the solver's step-size estimate multiplies two times, which overflows "
                        "near 1e154; check the times and their units");
    return SYN_ELIMIT;
  }
  double intervals = (o->t_end - o->t_start) / o->every, points = floor(intervals) + 1;
  if (!(intervals < SYN_RUN_MAX_POINTS)) { /* as grid_valid */
    syn_error_set(err, SYN_ELIMIT,
                  "the output grid from %s to %s every %s would have %.4g points: at most %.0f",
                  shown_time(o->t_start, unit, factor, a, sizeof a),
                  shown_time(o->t_end, unit, factor, b, sizeof b),
                  shown_time(o->every, unit, factor, c, sizeof c), points, SYN_RUN_MAX_POINTS);
    syn_error_hint(err, "every point of every series is kept in memory and written to the "
                        "result; choose a coarser output spacing");
    return SYN_ELIMIT;
  }
  if (o->every < SYN_RUN_MIN_REL_EVERY * time_scale(o)) {
    syn_error_set(err, SYN_EINVAL,
                  "the output spacing %s is too fine for times near %s: consecutive output "
                  "times would not differ in double precision",
                  shown_time(o->every, unit, factor, a, sizeof a),
                  shown_time(time_scale(o), unit, factor, b, sizeof b));
    syn_error_hint(err, "use a coarser output spacing, or start the clock nearer zero");
    return SYN_EINVAL;
  }
  return SYN_OK;
}

/* --- the output callback -------------------------------------------------------- */

typedef struct run_ctx {
  syn_instance *inst;
  syn_result *result;
  size_t nstates, noutputs;
  double *values; /* nstates + noutputs */
} run_ctx;

static syn_status on_output(double t, const double *y, size_t n, void *ctx, syn_error *err) {
  run_ctx *rc = ctx;
  memcpy(rc->values, y, n * sizeof *y);
  if (rc->noutputs > 0) {
    syn_status st = syn_instance_outputs(rc->inst, t, y, rc->values + rc->nstates, err);
    if (st != SYN_OK) return st;
  }
  return syn_result_append(rc->result, t, rc->values, err);
}

/* --- building the result ---------------------------------------------------------- */

static syn_status create_result(const syn_model *m, size_t capacity, syn_result **out,
                                syn_error *err) {
  size_t ns = syn_model_count(m, SYN_SYM_STATE), no = syn_model_count(m, SYN_SYM_OUTPUT);
  syn_series_info *info = syn_calloc(ns + no > 0 ? ns + no : 1, sizeof *info);
  if (info == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory for the result");
  for (size_t i = 0; i < ns + no; i++) {
    int is_state = i < ns;
    const syn_symbol *sym = syn_model_symbol(m, is_state ? SYN_SYM_STATE : SYN_SYM_OUTPUT,
                                             is_state ? i : i - ns);
    info[i].name = sym->name;
    info[i].units = sym->units;
    info[i].long_name = sym->description;
    info[i].kind = is_state ? SYN_SERIES_STATE : SYN_SERIES_OUTPUT;
  }
  syn_status st = syn_result_create(ns + no, info, capacity, syn_model_time_unit(m), out, err);
  syn_free(info);
  return st;
}

/* Each state's absolute tolerance as the solver used it (per state, or the
 * scalar): the `atol` attribute of its dataset in the result file. */
static syn_status add_state_atols(syn_result *r, const syn_solver_opts *so, syn_error *err) {
  syn_status s = SYN_OK;
  for (size_t i = 0, k = 0; i < syn_result_nseries(r) && s == SYN_OK; i++)
    if (syn_result_info(r, i)->kind == SYN_SERIES_STATE) {
      s = syn_result_set_atol(r, i, so->atol_vec ? so->atol_vec[k] : so->atol, err);
      k++;
    }
  return s;
}

static syn_status add_settings(syn_result *r, const syn_run_opts *o, const syn_ode *ode,
                               const syn_solver_stats *st, syn_error *err) {
  const syn_solver_opts *so = &o->solver;
  int exact = so->use_jacobian && ode->jac != NULL;
  syn_status s = syn_result_attr_double(r, "rtol", so->rtol, err);
  if (s == SYN_OK) s = syn_result_attr_double(r, "atol", so->atol, err);
  if (s == SYN_OK) s = syn_result_attr_int(r, "max_steps", so->max_steps, err);
  if (s == SYN_OK) s = syn_result_attr_string(r, "linear_solver", syn_linsol_name(st->linsol), err);
  if (s == SYN_OK)
    s = syn_result_attr_string(r, "jacobian", exact ? "symbolic" : "difference quotients", err);
  if (s == SYN_OK) s = syn_result_attr_double(r, "t_start", o->t_start, err);
  if (s == SYN_OK) s = syn_result_attr_double(r, "t_end", o->t_end, err);
  if (s == SYN_OK) s = syn_result_attr_double(r, "every", o->every, err);
  if (s == SYN_OK) s = add_state_atols(r, so, err);
  return s;
}

static syn_status add_stats(syn_result *r, const syn_solver_stats *st, syn_error *err) {
  const struct {
    const char *key;
    long value;
  } counts[] = {{"cvode_nsteps", st->nsteps},         {"cvode_nfevals", st->nfevals},
                {"cvode_njevals", st->njevals},       {"cvode_nlinsetups", st->nlinsetups},
                {"cvode_netfails", st->netfails},     {"cvode_nniters", st->nniters},
                {"cvode_nncfails", st->nncfails},     {"cvode_last_order", st->qlast}};
  syn_status s = SYN_OK;
  for (size_t i = 0; i < sizeof counts / sizeof *counts && s == SYN_OK; i++)
    s = syn_result_attr_int(r, counts[i].key, counts[i].value, err);
  if (s == SYN_OK) s = syn_result_attr_double(r, "cvode_last_step", st->hlast, err);
  return s;
}

static syn_status add_params(syn_result *r, const syn_instance *inst, syn_error *err) {
  const syn_model *m = syn_instance_model(inst);
  const syn_symkind kinds[] = {SYN_SYM_COMPARTMENT, SYN_SYM_PARAM};
  syn_status s = SYN_OK;
  for (size_t k = 0; k < 2 && s == SYN_OK; k++) {
    size_t count = syn_model_count(m, kinds[k]);
    for (size_t i = 0; i < count && s == SYN_OK; i++) {
      const syn_symbol *sym = syn_model_symbol(m, kinds[k], i);
      s = syn_result_add_param(r, sym->name, sym->units, syn_instance_value(inst, kinds[k], i),
                               err);
    }
  }
  return s;
}

/* --- the run ---------------------------------------------------------------------------- */

/* The executions of the model's events in the instance's last run. */
static syn_status add_events(syn_result *r, const syn_instance *inst, syn_error *err) {
  const double *t = NULL;
  const uint32_t *ev = NULL;
  const syn_model *m = syn_instance_model(inst);
  size_t n = syn_instance_event_log(inst, &t, &ev);
  syn_status s = SYN_OK;
  for (size_t k = 0; k < n && s == SYN_OK; k++)
    s = syn_result_add_event(r, t[k], syn_model_event_name(m, ev[k]), err);
  return s;
}

syn_status syn_run(syn_instance *inst, const syn_run_opts *opts, syn_result **out,
                   syn_error *err) {
  syn_solver *solver = NULL;
  syn_result *result = NULL;
  double *grid = NULL, *y0 = NULL, *atol = NULL;
  run_ctx rc = {inst, NULL, 0, 0, NULL};
  syn_ode ode;
  syn_solver_stats stats;
  syn_status st;

  if (out == NULL || inst == NULL)
    return syn_error_set(err, SYN_EINVAL, "syn_run: missing instance or result pointer");
  *out = NULL;
  st = syn_run_check_grid(opts, syn_model_time_unit(syn_instance_model(inst)), 1.0, err);
  if (st != SYN_OK) return st;

  const syn_model *m = syn_instance_model(inst);
  size_t npts = syn_run_grid_size(opts);
  rc.nstates = syn_model_count(m, SYN_SYM_STATE);
  rc.noutputs = syn_model_count(m, SYN_SYM_OUTPUT);
  if (rc.nstates == 0) return syn_error_set(err, SYN_EINVAL, "the model has no states to solve");

  grid = syn_calloc(npts, sizeof *grid);
  y0 = syn_calloc(rc.nstates, sizeof *y0);
  atol = syn_calloc(rc.nstates, sizeof *atol);
  rc.values = syn_calloc(rc.nstates + rc.noutputs, sizeof *rc.values);
  if (grid == NULL || y0 == NULL || atol == NULL || rc.values == NULL) {
    st = syn_error_set(err, SYN_ENOMEM, "out of memory for a run of %zu points", npts);
    goto done;
  }
  fill_grid(opts, grid, npts);
  syn_instance_ode(inst, &ode);
  syn_instance_initial(inst, y0);

  st = create_result(m, npts, &result, err);
  /* the model's state tolerances, unless the caller gave its own (see
   * syn_solver_opts.atol_given); none declared: the scalar, as before */
  syn_solver_opts so = opts->solver;
  if (so.atol_vec == NULL && !so.atol_given && syn_model_state_atols(m, so.atol, atol) > 0)
    so.atol_vec = atol;
  if (st == SYN_OK) st = syn_solver_create(&ode, &so, opts->t_start, y0, &solver, err);
  if (st != SYN_OK) goto done;
  rc.result = result;
  st = syn_solver_integrate(solver, grid, npts, NULL, 0, NULL, NULL, on_output, &rc, err);
  if (st != SYN_OK) goto done;

  syn_solver_get_stats(solver, &stats);
  syn_run_opts used = *opts; /* with the state tolerances the solver ran with */
  used.solver = so;
  st = add_settings(result, &used, &ode, &stats, err);
  if (st == SYN_OK) st = add_stats(result, &stats, err);
  if (st == SYN_OK) st = add_params(result, inst, err);
  if (st == SYN_OK) st = add_events(result, inst, err);
  if (st == SYN_OK) {
    *out = result;
    result = NULL;
  }
done:
  syn_solver_destroy(solver);
  syn_result_destroy(result);
  syn_free(grid);
  syn_free(y0);
  syn_free(atol);
  syn_free(rc.values);
  return st;
}

/* --- shared with the scenario runner (run_internal.h) --------------------------------- */

void syn_run_fill_grid(const syn_run_opts *o, double *t, size_t n) { fill_grid(o, t, n); }

syn_status syn_run_create_result(const syn_model *m, size_t capacity, syn_result **out,
                                 syn_error *err) {
  return create_result(m, capacity, out, err);
}

syn_status syn_run_add_attributes(syn_result *r, const syn_run_opts *o, const syn_ode *ode,
                                  const syn_solver_stats *st, const syn_instance *inst,
                                  syn_error *err) {
  syn_status s = add_settings(r, o, ode, st, err);
  if (s == SYN_OK) s = add_stats(r, st, err);
  if (s == SYN_OK) s = add_params(r, inst, err);
  if (s == SYN_OK) s = add_events(r, inst, err);
  return s;
}
