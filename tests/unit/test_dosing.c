/* synovia — dosing against closed forms at the solver level (issue 3, point 7).
 *
 * One- and two-compartment linear PK with intravenous boluses (a stop adds
 * to the central state), zero-order infusions (a stop changes an input rate
 * kept in the ODE's context; overlapping infusions add) and repeated dosing.
 * Linear systems superpose: the exact solution is a sum over doses of the
 * impulse response (a sum of exponentials) or its integral over an infusion.
 * Checked at tight tolerances to 1e-6 relative at every dose time (after the
 * dose) and between doses. Then the same through a compiled model with a
 * route (syn_instance_set_input) and the metric probes: auc of the central
 * compartment against the exact integral (mass balance: the amount
 * eliminated, k10 ∫C, is what went in minus what is left). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "scenario/metrics.h"
#include "synovia/model.h"
#include "synovia/solver.h"

/* --- the exact solution --------------------------------------------------------- */

enum { MAXMODES = 2, MAXEV = 32 };

/* Impulse response of state s to a unit dose into the central state:
 * h_s(t) = sum_c coef[s][c] exp(-lam[c] t). */
typedef struct modes {
  size_t nstates, nmodes;
  double lam[MAXMODES];
  double coef[2][MAXMODES];
} modes;

typedef enum ev_kind { EV_BOLUS, EV_RATE } ev_kind;

/* A schedule: boluses, and infusions as rate changes at their edges. */
typedef struct event {
  double t;
  ev_kind kind;
  double amount; /* bolus amount, or rate change (+R at the start, -R at the end) */
} event;

typedef struct infusion {
  double a, b, rate;
} infusion;

typedef struct regimen {
  double bolus_t[MAXEV], bolus_amt[MAXEV];
  size_t nbolus;
  infusion inf[MAXEV];
  size_t ninf;
} regimen;

/* State s at time t (after a dose at t). */
static double exact(const modes *m, const regimen *r, size_t s, double t) {
  double y = 0.0;
  for (size_t j = 0; j < r->nbolus; j++) {
    if (r->bolus_t[j] > t) continue;
    for (size_t c = 0; c < m->nmodes; c++)
      y += r->bolus_amt[j] * m->coef[s][c] * exp(-m->lam[c] * (t - r->bolus_t[j]));
  }
  for (size_t j = 0; j < r->ninf; j++) {
    const infusion *f = &r->inf[j];
    if (f->a >= t) continue;
    double e = fmin(t, f->b);
    for (size_t c = 0; c < m->nmodes; c++)
      y += f->rate * m->coef[s][c] / m->lam[c] *
           (exp(-m->lam[c] * (t - e)) - exp(-m->lam[c] * (t - f->a)));
  }
  return y;
}

/* Amount given up to t. */
static double given(const regimen *r, double t) {
  double g = 0.0;
  for (size_t j = 0; j < r->nbolus; j++)
    if (r->bolus_t[j] <= t) g += r->bolus_amt[j];
  for (size_t j = 0; j < r->ninf; j++)
    if (r->inf[j].a < t) g += r->inf[j].rate * (fmin(t, r->inf[j].b) - r->inf[j].a);
  return g;
}

static modes one_compartment(double k) {
  modes m = {1, 1, {k, 0}, {{1.0, 0}, {0, 0}}};
  return m;
}

/* C' = -(k10 + k12) C + k21 P, P' = k12 C - k21 P: rates alpha > beta with
 * alpha + beta = k10 + k12 + k21 and alpha beta = k10 k21. */
static modes two_compartment(double k10, double k12, double k21) {
  double s = k10 + k12 + k21, d = sqrt(s * s - 4.0 * k10 * k21);
  double al = 0.5 * (s + d), be = 0.5 * (s - d);
  modes m = {2, 2, {al, be}, {{(al - k21) / (al - be), (k21 - be) / (al - be)},
                              {-k12 / (al - be), k12 / (al - be)}}};
  return m;
}

/* The schedule as sorted stop events. */
static size_t events_of(const regimen *r, event *ev) {
  size_t n = 0;
  for (size_t j = 0; j < r->nbolus; j++) ev[n++] = (event){r->bolus_t[j], EV_BOLUS, r->bolus_amt[j]};
  for (size_t j = 0; j < r->ninf; j++) {
    ev[n++] = (event){r->inf[j].a, EV_RATE, r->inf[j].rate};
    ev[n++] = (event){r->inf[j].b, EV_RATE, -r->inf[j].rate};
  }
  for (size_t i = 1; i < n; i++) /* insertion sort, stable */
    for (size_t k = i; k > 0 && ev[k].t < ev[k - 1].t; k--) {
      event tmp = ev[k];
      ev[k] = ev[k - 1];
      ev[k - 1] = tmp;
    }
  return n;
}

/* --- the hand-written system ------------------------------------------------------- */

typedef struct pk_ctx {
  double k10, k12, k21;
  double rate; /* zero-order input into the central state */
  size_t n;
  const event *ev;
  size_t nev, next;
} pk_ctx;

static int pk_rhs(double t, const double *y, double *f, void *ctx) {
  (void)t;
  const pk_ctx *c = ctx;
  if (c->n == 1) {
    f[0] = -c->k10 * y[0] + c->rate;
    return 0;
  }
  f[0] = -(c->k10 + c->k12) * y[0] + c->k21 * y[1] + c->rate;
  f[1] = c->k12 * y[0] - c->k21 * y[1];
  return 0;
}

static const int32_t pk2_colptr[] = {0, 2, 4}, pk2_rowind[] = {0, 1, 0, 1};
static const int32_t pk1_colptr[] = {0, 1}, pk1_rowind[] = {0};

static int pk_jac(double t, const double *y, double *j, void *ctx) {
  (void)t, (void)y;
  const pk_ctx *c = ctx;
  if (c->n == 1) {
    j[0] = -c->k10;
    return 0;
  }
  j[0] = -(c->k10 + c->k12), j[1] = c->k12, j[2] = c->k21, j[3] = -c->k21;
  return 0;
}

/* The solver calls this once per stop entry, in order. */
static syn_status pk_on_stop(double t, double *y, size_t n, void *ctx, syn_error *err) {
  (void)n;
  pk_ctx *c = ctx;
  if (c->next >= c->nev || c->ev[c->next].t != t)
    return syn_error_set(err, SYN_EINTERNAL, "unexpected stop at %g", t);
  const event *e = &c->ev[c->next++];
  if (e->kind == EV_BOLUS)
    y[0] += e->amount;
  else
    c->rate += e->amount;
  if (fabs(c->rate) < 1e-12) c->rate = 0.0; /* rates that cancel end exactly */
  return SYN_OK;
}

typedef struct grid {
  const modes *m;
  const regimen *r;
  double worst;
  size_t count;
} grid;

static syn_status on_out_check(double t, const double *y, size_t n, void *ctx, syn_error *err) {
  (void)err;
  grid *g = ctx;
  for (size_t s = 0; s < n; s++) {
    double want = exact(g->m, g->r, s, t);
    double d = fabs(y[s] - want) / fmax(fabs(want), 1e-6);
    if (!(d <= 1e-6))
      fail_msg("state %zu at t = %g: got %.15g, want %.15g (rel. %.3g)", s, t, y[s], want, d);
    g->worst = fmax(g->worst, d);
  }
  g->count++;
  return SYN_OK;
}

/* Integrate the regimen on a grid of step dt over [0, t_end] (dose times on
 * the grid and between grid points), checking every output. */
static double run_regimen(const modes *m, const regimen *r, double k10, double k12, double k21,
                          double t_end, double dt) {
  static event ev[2 * MAXEV + MAXEV];
  static double t_out[2048], t_stop[3 * MAXEV];
  size_t nev = events_of(r, ev), n_out = 0;
  for (size_t j = 0; j < nev; j++) t_stop[j] = ev[j].t;
  for (double t = 0.0; t <= t_end + 1e-12 && n_out < 2048; t += dt) t_out[n_out++] = t;
  pk_ctx c = {k10, k12, k21, 0.0, m->nstates, ev, nev, 0};
  syn_ode ode = {m->nstates, pk_rhs, pk_jac, m->nstates == 1 ? 1 : 4,
                 m->nstates == 1 ? pk1_colptr : pk2_colptr,
                 m->nstates == 1 ? pk1_rowind : pk2_rowind, NULL, NULL, "h", &c, 0, NULL, NULL};
  syn_solver_opts o;
  syn_solver_opts_default(&o);
  o.rtol = 1e-10;
  o.atol = 1e-12;
  double y0[2] = {0.0, 0.0};
  syn_solver *s = NULL;
  syn_error err;
  grid g = {m, r, 0.0, 0};
  assert_int_equal(syn_solver_create(&ode, &o, 0.0, y0, &s, &err), SYN_OK);
  syn_status st = syn_solver_integrate(s, t_out, n_out, t_stop, nev, pk_on_stop, &c,
                                       on_out_check, &g, &err);
  if (st != SYN_OK) fail_msg("integrate: %s", err.message);
  assert_int_equal(g.count, n_out);
  assert_int_equal(c.next, nev); /* every event applied once */
  syn_solver_destroy(s);
  return g.worst;
}

/* --- tests: hand-written systems ---------------------------------------------------- */

static void test_one_compartment_repeated_bolus(void **state) {
  (void)state;
  modes m = one_compartment(0.25);
  regimen r = {{0.0, 6.0, 12.0, 18.0}, {100.0, 100.0, 100.0, 100.0}, 4, {{0, 0, 0}}, 0};
  double w = run_regimen(&m, &r, 0.25, 0.0, 0.0, 30.0, 0.25);
  print_message("1-cpt, bolus every 6 h x 4: max rel. error %.3g\n", w);
  /* off-grid dose times: the grid (step 0.7) never hits them */
  regimen r2 = {{0.0, 5.05, 10.1}, {80.0, 40.0, 20.0}, 3, {{0, 0, 0}}, 0};
  w = run_regimen(&m, &r2, 0.25, 0.0, 0.0, 21.0, 0.7);
  print_message("1-cpt, boluses between outputs: max rel. error %.3g\n", w);
}

static void test_one_compartment_infusions(void **state) {
  (void)state;
  modes m = one_compartment(0.4);
  /* overlapping infusions [2, 4.5] and [4, 8], and one starting at 0 */
  regimen r = {{0}, {0}, 0, {{2.0, 4.5, 30.0}, {4.0, 8.0, 12.5}, {0.0, 1.0, 7.0}}, 3};
  double w = run_regimen(&m, &r, 0.4, 0.0, 0.0, 16.0, 0.25);
  print_message("1-cpt, overlapping infusions: max rel. error %.3g\n", w);
}

static void test_two_compartment_bolus_and_infusion(void **state) {
  (void)state;
  const double k10 = 0.3, k12 = 0.5, k21 = 0.2;
  modes m = two_compartment(k10, k12, k21);
  regimen r = {{0.0, 8.0, 16.0, 16.0}, {100.0, 50.0, 25.0, 25.0}, 4,
               {{3.0, 5.0, 20.0}, {12.0, 20.0, 5.0}}, 2};
  double w = run_regimen(&m, &r, k10, k12, k21, 36.0, 0.5);
  print_message("2-cpt, boluses (two at t = 16) and infusions: max rel. error %.3g\n", w);
}

/* Superposition in time: a regimen of n equal boluses equals the sum of n
 * shifted single-dose runs (checked via the closed form of both). */
static void test_two_compartment_repeated(void **state) {
  (void)state;
  const double k10 = 0.15, k12 = 0.9, k21 = 0.35;
  modes m = two_compartment(k10, k12, k21);
  regimen r = {{0}, {0}, 0, {{0, 0, 0}}, 0};
  for (size_t j = 0; j < 10; j++) {
    r.bolus_t[j] = 12.0 * (double)j;
    r.bolus_amt[j] = 10.0;
  }
  r.nbolus = 10;
  double w = run_regimen(&m, &r, k10, k12, k21, 144.0, 1.5);
  print_message("2-cpt, 10 doses every 12 h: max rel. error %.3g\n", w);
  /* the closed form itself: steady-state trough after many doses approaches
   * the geometric sum D sum_c coef_c e^{-lam_c tau} / (1 - e^{-lam_c tau}) */
  for (size_t j = 0; j < MAXEV; j++) {
    r.bolus_t[j] = 12.0 * (double)j;
    r.bolus_amt[j] = 10.0;
  }
  r.nbolus = MAXEV;
  double trough = 0.0;
  for (size_t c = 0; c < 2; c++)
    trough += 10.0 * m.coef[0][c] * exp(-m.lam[c] * 12.0) / (1.0 - exp(-m.lam[c] * 12.0));
  double t_last = 12.0 * (MAXEV - 1) + 12.0 - 1e-9; /* just before the next dose */
  assert_true(fabs(exact(&m, &r, 0, t_last) - trough) < 1e-3 * trough);
}

/* --- a compiled model with a route: metrics against the exact integral -------------- */

static const char pk_model[] =
    "model \"two compartments\"\n"
    "time unit h\n"
    "param k10 = 0.3 /h \"elimination\"\n"
    "param k12 = 0.5 /h \"to the periphery\"\n"
    "param k21 = 0.2 /h \"back\"\n"
    "state C = 0 \"central amount\"\n"
    "state P = 0 \"peripheral amount\"\n"
    "d/dt C = -(k10 + k12) * C + k21 * P\n"
    "d/dt P = k12 * C - k21 * P\n"
    "route IV -> C \"intravenous\"\n";

typedef struct model_run {
  syn_instance *inst;
  syn_metrics *metrics;
  const event *ev;
  size_t nev, next;
  double rate;
} model_run;

static syn_status model_on_stop(double t, double *y, size_t n, void *ctx, syn_error *err) {
  (void)n;
  model_run *mr = ctx;
  const event *e = &mr->ev[mr->next++];
  assert_true(e->t == t);
  syn_status st = SYN_OK;
  if (e->kind == EV_BOLUS) {
    y[0] += e->amount;
  } else {
    mr->rate += e->amount;
    if (fabs(mr->rate) < 1e-12) mr->rate = 0.0;
    st = syn_instance_set_input(mr->inst, 0, mr->rate, err);
  }
  if (st == SYN_OK) st = syn_metrics_jump(mr->metrics, t, y, err);
  return st;
}

static void test_model_route_auc(void **state) {
  (void)state;
  const double k10 = 0.3, k12 = 0.5, k21 = 0.2, T = 30.0;
  modes m = two_compartment(k10, k12, k21);
  regimen r = {{0.0, 10.0}, {100.0, 60.0}, 2, {{4.0, 7.5, 15.0}, {6.0, 14.0, 4.0}}, 2};
  syn_model *model = NULL;
  syn_instance *inst = NULL;
  syn_error err;
  if (syn_model_load_text("pk.model", pk_model, strlen(pk_model), &model, &err) != SYN_OK)
    fail_msg("load: %s", err.message);
  assert_int_equal(syn_instance_create(model, &inst, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  syn_ode ode;
  syn_instance_ode(inst, &ode);
  syn_probe p[] = {
      {PROBE_AUC, 0, 0.0, T, 0, 0, 0},       {PROBE_AUC, 0, 3.3, 12.7, 0, 0, 0},
      {PROBE_AT, 0, 7.5, 7.5, 0, 0, 0},      {PROBE_AT, 1, 10.0, 10.0, 0, 0, 0},
      {PROBE_MAX, 0, 0.5, 9.0, 0, 0, 0},     {PROBE_AT, 0, T, T, 0, 0, 0},
  };
  syn_metrics *mt = NULL;
  assert_int_equal(syn_metrics_create(inst, p, 6, &mt, &err), SYN_OK);
  event ev[8];
  size_t nev = events_of(&r, ev);
  double t_stop[8];
  for (size_t j = 0; j < nev; j++) t_stop[j] = ev[j].t;
  model_run mr = {inst, mt, ev, nev, 0, 0.0};
  syn_solver_opts o;
  syn_solver_opts_default(&o);
  o.rtol = 1e-10;
  o.atol = 1e-12;
  double y0[2] = {0.0, 0.0};
  syn_solver *s = NULL;
  assert_int_equal(syn_solver_create(&ode, &o, 0.0, y0, &s, &err), SYN_OK);
  syn_solver_set_step_hook(s, syn_metrics_step, mt);
  assert_int_equal(syn_metrics_start(mt, 0.0, y0, &err), SYN_OK);
  const double t_out[] = {0.0, 15.0, T};
  syn_status st = syn_solver_integrate(s, t_out, 3, t_stop, nev, model_on_stop, &mr, NULL, NULL,
                                       &err);
  if (st != SYN_OK) fail_msg("integrate: %s", err.message);
  assert_int_equal(syn_metrics_finish(mt, &err), SYN_OK);
  /* k10 ∫_0^T C = given(T) - C(T) - P(T) */
  double auc_T = (given(&r, T) - exact(&m, &r, 0, T) - exact(&m, &r, 1, T)) / k10;
  double left = (given(&r, 3.3) - exact(&m, &r, 0, 3.3) - exact(&m, &r, 1, 3.3)) / k10;
  double right = (given(&r, 12.7) - exact(&m, &r, 0, 12.7) - exact(&m, &r, 1, 12.7)) / k10;
  print_message("auc [0, %g]: %.12g vs %.12g (rel. %.2e)\n", T, p[0].value, auc_T,
                fabs(p[0].value - auc_T) / auc_T);
  assert_true(fabs(p[0].value - auc_T) <= 1e-6 * auc_T);
  assert_true(fabs(p[1].value - (right - left)) <= 1e-6 * (right - left));
  assert_true(fabs(p[2].value - exact(&m, &r, 0, 7.5)) <= 1e-6 * exact(&m, &r, 0, 7.5));
  assert_true(fabs(p[3].value - exact(&m, &r, 1, 10.0)) <= 1e-6 * exact(&m, &r, 1, 10.0));
  assert_true(fabs(p[5].value - exact(&m, &r, 0, T)) <= 1e-6 * exact(&m, &r, 0, T));
  /* the maximum over [0.5, 9] against a dense scan of the closed form (the
   * first dose decays; the infusions lift C again) */
  double best = 0.0;
  for (int i = 0; i <= 850000; i++) best = fmax(best, exact(&m, &r, 0, 0.5 + 1e-5 * i));
  assert_true(fabs(p[4].value - best) <= 1e-6 * best);
  syn_solver_destroy(s);
  syn_metrics_destroy(mt);
  syn_instance_destroy(inst);
  syn_model_destroy(model);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_one_compartment_repeated_bolus),
      cmocka_unit_test(test_one_compartment_infusions),
      cmocka_unit_test(test_two_compartment_bolus_and_infusion),
      cmocka_unit_test(test_two_compartment_repeated),
      cmocka_unit_test(test_model_route_auc),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
