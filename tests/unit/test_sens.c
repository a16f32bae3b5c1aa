/* synovia — unit tests of forward sensitivities through the compiled problem
 * (synovia/problem.h: syn_problem_want.sens; src/problem/sens.c;
 * syn_solver_sens_*):
 *   - closed forms: d/dk and d/dx0 of x0 e^(-kt); the Bateman function
 *     (a bolus into a depot, first-order absorption) in ka, ke, the dose
 *     amount and the dose time; a steady baseline x* = a/b of x' = a - b x
 *     (the implicit-function start) in a and b; an infusion's amount;
 *   - the metrics' gradients against their closed forms;
 *   - the staggered and the simultaneous corrector, error control on and off;
 *   - no allocation per evaluation after the first; bad requests' messages
 *     (an index out of range, no list, no buffer for the caller's times:
 *     the last one crashed before it was checked with "all");
 *   - central finite differences of the series and the metrics for every
 *     shipped model (models/NAME.model) and example scenario
 *     (examples/NAME.scenario) at random parameter points (fixed seed), rtol
 *     1e-10: relative agreement <= 1e-5 (the worst is printed).
 * Dropping the dose jump or the implicit-function start fails the closed
 * forms. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "scenario/scenario_impl.h"
#include "synovia/problem.h"
#include "synovia/run.h"
#include "synovia/scenario.h"
#include "support/scratch.h"

static int setup_dir(void **state) {
  (void)state;
  return scratch_setup("test_sens");
}

static syn_scenario *load(const char *model, const char *scenario) {
  return scratch_scenario(model, scenario);
}

static syn_problem *make(const syn_scenario *s, const char *const *names, size_t n) {
  syn_problem *p = NULL;
  syn_error err;
  if (syn_problem_create(s, NULL, 0, names, n, NULL, &p, &err) != SYN_OK)
    fail_msg("%s", err.message);
  return p;
}

/* d(series c)/d(theta_k) at grid point i */
static double sens_at(const syn_problem_result *r, size_t k, size_t i, size_t c) {
  return r->sens[(k * r->ntimes + i) * r->nseries + c];
}

static void near(double got, double want, double tol, const char *what, double t) {
  if (!(fabs(got - want) <= tol * fmax(1.0, fabs(want))))
    fail_msg("%s at t = %g: got %.12g, want %.12g (diff %.3g)", what, t, got, want,
             fabs(got - want));
}

static void eval_all(syn_problem_ws *ws, size_t arm, const double *theta, syn_problem_result *r) {
  syn_error err;
  syn_problem_want w = {1, NULL, NULL, 0, NULL, NULL, SYN_PROBLEM_SENS_ALL, NULL, NULL};
  if (syn_problem_eval(ws, arm, theta, &w, r, &err) != SYN_OK) fail_msg("%s", err.message);
}

/* ---- closed forms ------------------------------------------------------------------------ */

static const char decay_model[] =
    "time unit h\n"
    "param k = 0.3 /h\n"
    "state x = 5\n"
    "d/dt x = -k * x\n"
    "output twice = 2 * k * x\n";

static const char decay_scenario[] =
    "scenario \"decay\"\n"
    "model \"m.model\"\n"
    "simulate 0 h to 10 h every 0.5 h\n"
    "solver rtol 1e-10 atol 1e-12\n"
    "arm \"none\"\n"
    "metric a3 = at(x, 3 h)\n"
    "metric area = auc(x, 1 h, 7 h)\n"
    "metric ch = change(x, 2 h, 8 h)\n"
    "metric below = time_below(x, 1, 0 h, 10 h)\n"
    "metric ratio = at(x, 3 h) / auc(x, 1 h, 7 h)\n";

/* x = x0 e^(-kt): dx/dk = -t x, dx/dx0 = e^(-kt); the output 2 k x by the
 * chain rule (d/dk: 2x + 2k dx/dk); the metrics' gradients in closed form. */
static void test_decay(void **state) {
  (void)state;
  syn_scenario *s = load(decay_model, decay_scenario);
  const char *names[] = {"k", "x"};
  syn_problem *p = make(s, names, 2);
  syn_problem_ws *ws = NULL;
  syn_error err;
  assert_int_equal(syn_problem_ws_create(p, &ws, &err), SYN_OK);
  const double theta[] = {0.45, 3.0};
  double k = theta[0], x0 = theta[1];
  syn_problem_result r;
  eval_all(ws, 0, theta, &r);
  assert_int_equal(r.nsens, 2);
  size_t nt;
  const double *t = syn_problem_times(p, &nt);
  for (size_t i = 0; i < nt; i++) {
    double x = x0 * exp(-k * t[i]);
    near(sens_at(&r, 0, i, 0), -t[i] * x, 1e-8, "dx/dk", t[i]);
    near(sens_at(&r, 1, i, 0), exp(-k * t[i]), 1e-8, "dx/dx0", t[i]);
    near(sens_at(&r, 0, i, 1), 2 * x + 2 * k * (-t[i] * x), 1e-8, "d(2kx)/dk", t[i]);
    near(sens_at(&r, 1, i, 1), 2 * k * exp(-k * t[i]), 1e-8, "d(2kx)/dx0", t[i]);
  }
  /* at(x, 3) */
  near(r.dmetrics[0 * 2 + 0], -3 * x0 * exp(-3 * k), 1e-8, "d at/dk", 3);
  near(r.dmetrics[0 * 2 + 1], exp(-3 * k), 1e-8, "d at/dx0", 3);
  /* auc = x0/k (e^-k - e^-7k) */
  double E = exp(-k) - exp(-7 * k), dE = -exp(-k) + 7 * exp(-7 * k);
  near(r.dmetrics[1 * 2 + 0], -x0 / (k * k) * E + x0 / k * dE, 1e-8, "d auc/dk", 0);
  near(r.dmetrics[1 * 2 + 1], E / k, 1e-8, "d auc/dx0", 0);
  /* change = 100 (e^(-6k) - 1): d/dk = -600 e^(-6k), d/dx0 = 0 */
  near(r.dmetrics[2 * 2 + 0], -600 * exp(-6 * k), 1e-7, "d change/dk", 0);
  near(r.dmetrics[2 * 2 + 1], 0.0, 1e-7, "d change/dx0", 0);
  /* time below 1: ln(x0)/k */
  near(r.dmetrics[3 * 2 + 0], -log(x0) / (k * k), 1e-7, "d time_below/dk", 0);
  near(r.dmetrics[3 * 2 + 1], 1 / (x0 * k), 1e-7, "d time_below/dx0", 0);
  /* a formula over calls: the quotient rule */
  double at3 = x0 * exp(-3 * k), auc = x0 / k * E;
  double dat = -3 * at3, dauc = -x0 / (k * k) * E + x0 / k * dE;
  near(r.dmetrics[4 * 2 + 0], (dat * auc - at3 * dauc) / (auc * auc), 1e-7, "d ratio/dk", 0);
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_scenario_destroy(s);
}

static const char bateman_model[] =
    "time unit h\n"
    "param ka = 1.2 /h\n"
    "param ke = 0.2 /h\n"
    "state D = 0 mg\n"
    "state A = 0 mg\n"
    "d/dt D = -ka * D\n"
    "d/dt A = ka * D - ke * A\n"
    "route PO -> D\n";

static const char bateman_scenario[] =
    "scenario \"oral\"\n"
    "model \"m.model\"\n"
    "simulate 0 h to 24 h every 0.25 h\n"
    "solver rtol 1e-10 atol 1e-12\n"
    "arm \"oral\"\n"
    "  dose PO 10 mg at 2 h\n"
    "metric peak = max(A)\n"
    "metric when = tmax(A, 0 h, 24 h)\n";

/* A(t) = Dose ka/(ka-ke) (e^(-ke tau) - e^(-ka tau)), tau = t - t0, and its
 * derivatives in ka, ke, Dose and t0; the peak (envelope theorem) and its
 * time in closed form. */
static void test_bateman(void **state) {
  (void)state;
  syn_scenario *s = load(bateman_model, bateman_scenario);
  const char *names[] = {"ka", "ke", "dose:oral:PO.amount", "dose:oral:PO.time"};
  syn_problem *p = make(s, names, 4);
  syn_problem_ws *ws = NULL;
  syn_error err;
  assert_int_equal(syn_problem_ws_create(p, &ws, &err), SYN_OK);
  const double theta[] = {0.9, 0.15, 12.0, 2.37};
  double ka = theta[0], ke = theta[1], dose = theta[2], t0 = theta[3];
  syn_problem_result r;
  eval_all(ws, 0, theta, &r);
  size_t nt;
  const double *t = syn_problem_times(p, &nt);
  double c = ka / (ka - ke), dc_dka = -ke / ((ka - ke) * (ka - ke)),
         dc_dke = ka / ((ka - ke) * (ka - ke));
  for (size_t i = 0; i < nt; i++) {
    double tau = t[i] - t0;
    if (tau < 0) {
      for (size_t j = 0; j < 4; j++) near(sens_at(&r, j, i, 1), 0.0, 1e-12, "before", t[i]);
      continue;
    }
    double eke = exp(-ke * tau), eka = exp(-ka * tau), E = eke - eka, A = dose * c * E;
    near(sens_at(&r, 0, i, 1), dose * (dc_dka * E + c * tau * eka), 1e-7, "dA/dka", t[i]);
    near(sens_at(&r, 1, i, 1), dose * (dc_dke * E - c * tau * eke), 1e-7, "dA/dke", t[i]);
    near(sens_at(&r, 2, i, 1), A / dose, 1e-7, "dA/dDose", t[i]);
    near(sens_at(&r, 3, i, 1), -dose * c * (-ke * eke + ka * eka), 1e-7, "dA/dt0", t[i]);
    near(sens_at(&r, 3, i, 0), ka * dose * eka, 1e-7, "dD/dt0", t[i]);
    near(sens_at(&r, 2, i, 0), eka, 1e-7, "dD/dDose", t[i]);
  }
  /* the peak at tau* = ln(ka/ke)/(ka - ke): d(A*)/dp = dA/dp at tau* */
  double ts = log(ka / ke) / (ka - ke), eke = exp(-ke * ts), eka = exp(-ka * ts);
  double E = eke - eka;
  near(r.dmetrics[0 * 4 + 0], dose * (dc_dka * E + c * ts * eka), 1e-6, "d peak/dka", ts);
  near(r.dmetrics[0 * 4 + 1], dose * (dc_dke * E - c * ts * eke), 1e-6, "d peak/dke", ts);
  near(r.dmetrics[0 * 4 + 2], c * E, 1e-6, "d peak/dDose", ts);
  near(r.dmetrics[0 * 4 + 3], 0.0, 1e-6, "d peak/dt0", ts);
  /* t* = t0 + ln(ka/ke)/(ka - ke) */
  double L = log(ka / ke), d = ka - ke;
  near(r.dmetrics[1 * 4 + 0], (1 / ka) / d - L / (d * d), 1e-5, "d tmax/dka", ts);
  near(r.dmetrics[1 * 4 + 1], (-1 / ke) / d + L / (d * d), 1e-5, "d tmax/dke", ts);
  near(r.dmetrics[1 * 4 + 2], 0.0, 1e-5, "d tmax/dDose", ts);
  near(r.dmetrics[1 * 4 + 3], 1.0, 1e-5, "d tmax/dt0", ts);
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_scenario_destroy(s);
}

static const char steady_model[] =
    "time unit h\n"
    "param a = 2 /h\n"
    "param b = 0.5 /h\n"
    "state x = 0\n"
    "d/dt x = a - b * x\n"
    "route IV -> x\n";

static const char steady_scenario[] =
    "scenario \"steady\"\n"
    "model \"m.model\"\n"
    "simulate 0 h to 12 h every 1 h\n"
    "baseline steady\n"
    "solver rtol 1e-10 atol 1e-12\n"
    "arm \"rest\"\n"
    "arm \"infused\"\n"
    "  dose IV 6 at 2 h over 3 h\n";

/* x* = a/b: d(x*)/da = 1/b, d(x*)/db = -a/b^2, and the run stays there; an
 * infusion of amount M over T from t1 adds (M/T)/b (1 - e^(-b (t - t1)))
 * during, so d/dM = (1/T)/b (1 - e^(-b (t - t1))). */
static void test_steady_baseline(void **state) {
  (void)state;
  syn_scenario *s = load(steady_model, steady_scenario);
  const char *names[] = {"a", "b", "dose:infused:IV.amount"};
  syn_problem *p = make(s, names, 3);
  syn_problem_ws *ws = NULL;
  syn_error err;
  assert_int_equal(syn_problem_ws_create(p, &ws, &err), SYN_OK);
  const double theta[] = {3.0, 0.4, 6.0};
  double a = theta[0], b = theta[1], M = theta[2];
  syn_problem_result r;
  eval_all(ws, 0, theta, &r);
  size_t nt;
  const double *t = syn_problem_times(p, &nt);
  for (size_t i = 0; i < nt; i++) {
    near(sens_at(&r, 0, i, 0), 1 / b, 1e-7, "dx*/da", t[i]);
    near(sens_at(&r, 1, i, 0), -a / (b * b), 1e-7, "dx*/db", t[i]);
    near(sens_at(&r, 2, i, 0), 0.0, 1e-7, "dx*/dM (no dose in this arm)", t[i]);
  }
  eval_all(ws, 1, theta, &r);
  for (size_t i = 0; i < nt; i++) {
    double during = fmin(fmax(t[i] - 2, 0), 3);
    double x_inf = (1 / 3.0) / b * (1 - exp(-b * during)) * exp(-b * fmax(t[i] - 5, 0));
    near(sens_at(&r, 2, i, 0), x_inf, 1e-7, "dx/dM", t[i]);
    (void)M;
  }
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_scenario_destroy(s);
}

/* The corrector and error control: every combination agrees with the
 * closed form; the sensitivities' statistics count their work. */
static void test_corrector_choices(void **state) {
  (void)state;
  syn_scenario *s = load(bateman_model, bateman_scenario);
  const char *names[] = {"ka", "dose:oral:PO.time"};
  syn_problem *p = make(s, names, 2);
  syn_problem_ws *ws = NULL;
  syn_error err;
  assert_int_equal(syn_problem_ws_create(p, &ws, &err), SYN_OK);
  const double theta[] = {1.1, 3.1};
  for (int sim = 0; sim < 2; sim++)
    for (int ec = 0; ec < 2; ec++) {
      syn_sens_opts o = {sim, ec};
      const size_t which[] = {1};
      syn_problem_want w = {1, NULL, NULL, 0, NULL, which, 1, NULL, &o};
      syn_problem_result r;
      if (syn_problem_eval(ws, 0, theta, &w, &r, &err) != SYN_OK) fail_msg("%s", err.message);
      assert_int_equal(r.nsens, 1);
      assert_int_equal(r.sens_index[0], 1);
      assert_true(r.sens_stats.nfsevals > 0);
      size_t nt;
      const double *t = syn_problem_times(p, &nt);
      for (size_t i = 0; i < nt; i++) {
        double tau = t[i] - theta[1];
        if (tau < 0) continue;
        double want = 1.1 * 10 * exp(-1.1 * tau); /* dD/dt0 = ka D */
        near(sens_at(&r, 0, i, 0), want, ec ? 1e-7 : 1e-5, "dD/dt0", t[i]);
      }
    }
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_scenario_destroy(s);
}

/* The caller's times get sensitivities too (from the interpolant; at a dose
 * time after the dose). */
static void test_sens_at_times(void **state) {
  (void)state;
  syn_scenario *s = load(bateman_model, bateman_scenario);
  const char *names[] = {"dose:oral:PO.amount"};
  syn_problem *p = make(s, names, 1);
  syn_problem_ws *ws = NULL;
  syn_error err;
  assert_int_equal(syn_problem_ws_create(p, &ws, &err), SYN_OK);
  const double theta[] = {10.0};
  const double at[] = {0.0, 1.0, 2.0, 3.3, 7.77};
  double values[5 * 2], sv[5 * 2];
  syn_problem_want w = {1, NULL, at, 5, values, NULL, SYN_PROBLEM_SENS_ALL, sv, NULL};
  syn_problem_result r;
  if (syn_problem_eval(ws, 0, theta, &w, &r, &err) != SYN_OK) fail_msg("%s", err.message);
  assert_ptr_equal(r.sens_at, sv);
  for (size_t i = 0; i < 5; i++) {
    near(sv[i * 2 + 0], values[i * 2 + 0] / 10.0, 1e-9, "dD/dDose at", at[i]);
    near(sv[i * 2 + 1], values[i * 2 + 1] / 10.0, 1e-9, "dA/dDose at", at[i]);
  }
  assert_true(sv[2 * 2 + 0] == 1.0); /* after the dose at 2 h */
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_scenario_destroy(s);
}

/* After the first evaluation with sensitivities on an arm (CVODES' memory
 * for them), evaluations allocate nothing: series, caller's times, metric
 * gradients, doses moving, the steady start's derivative. */
static void test_no_allocation_per_eval(void **state) {
  (void)state;
  syn_scenario *s = load(bateman_model, bateman_scenario);
  const char *names[] = {"ka", "ke", "dose:oral:PO.amount", "dose:oral:PO.time"};
  syn_problem *p = make(s, names, 4);
  syn_problem_ws *ws = NULL;
  syn_error err;
  assert_int_equal(syn_problem_ws_create(p, &ws, &err), SYN_OK);
  const double at[] = {1.0, 2.5, 7.0};
  double values[3 * 2], sv[4 * 3 * 2];
  syn_problem_want w = {1, NULL, at, 3, values, NULL, SYN_PROBLEM_SENS_ALL, sv, NULL};
  syn_problem_result r;
  const double first[] = {0.9, 0.15, 12.0, 2.37};
  assert_int_equal(syn_problem_eval(ws, 0, first, &w, &r, &err), SYN_OK);
  long before = syn_alloc_test_count();
  for (int j = 0; j < 5; j++) {
    const double theta[] = {0.8 + 0.1 * j, 0.1 + 0.02 * j, 5 + j, 1 + 0.7 * j};
    assert_int_equal(syn_problem_eval(ws, 0, theta, &w, &r, &err), SYN_OK);
    assert_int_equal(syn_problem_eval(ws, 0, theta, NULL, &r, &err), SYN_OK);
  }
  assert_int_equal(syn_alloc_test_count(), before);
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_scenario_destroy(s);
}

/* Bad requests: an index out of range, a list missing, no buffer for the
 * caller's times; the workspace stays usable. */
static void test_bad_requests(void **state) {
  (void)state;
  syn_scenario *s = load(bateman_model, bateman_scenario);
  const char *names[] = {"ka"};
  syn_problem *p = make(s, names, 1);
  syn_problem_ws *ws = NULL;
  syn_error err;
  assert_int_equal(syn_problem_ws_create(p, &ws, &err), SYN_OK);
  const double theta[] = {1.0};
  const size_t bad[] = {1};
  syn_problem_result r;
  syn_problem_want w = {1, NULL, NULL, 0, NULL, bad, 1, NULL, NULL};
  assert_int_equal(syn_problem_eval(ws, 0, theta, &w, &r, &err), SYN_EINVAL);
  assert_string_equal(err.message, "syn_problem_eval: sensitivity 0 asked for by free parameter "
                                   "1, but there are 1");
  w = (syn_problem_want){1, NULL, NULL, 0, NULL, NULL, 1, NULL, NULL};
  assert_int_equal(syn_problem_eval(ws, 0, theta, &w, &r, &err), SYN_EINVAL);
  assert_string_equal(err.message, "syn_problem_eval: 1 sensitivities asked for, but no list of "
                                   "them");
  const double at[] = {1.0};
  double values[2];
  w = (syn_problem_want){1, NULL, at, 1, values, NULL, SYN_PROBLEM_SENS_ALL, NULL, NULL};
  assert_int_equal(syn_problem_eval(ws, 0, theta, &w, &r, &err), SYN_EINVAL);
  assert_string_equal(err.message, "syn_problem_eval: sensitivities at 1 times asked for, but no "
                                   "buffer for them (sens_at_values)");
  w.sens_at_values = values;
  double sv[2];
  w.sens_at_values = sv;
  assert_int_equal(syn_problem_eval(ws, 0, theta, &w, &r, &err), SYN_OK);
  assert_int_equal(r.nsens, 1);
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_scenario_destroy(s);
}

/* ---- finite differences over every shipped model and example ------------------------------- */

typedef struct worst {
  double series, metric;
  char where_s[256], where_m[256];
  size_t nan_metrics, checked_metrics, unresolved_metrics, resolved, unresolved, kinks;
} worst;

/* One evaluation without sensitivities: the series and metrics into ys, ms. */
static void run_plain(const syn_problem *p, syn_problem_ws *ws, size_t arm, const double *theta, double *ys,
                      size_t n, double *ms, size_t nm, const char *what) {
  syn_problem_want plain = {1, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL};
  syn_problem_result r;
  syn_error err;
  if (syn_problem_eval(ws, arm, theta, &plain, &r, &err) != SYN_OK) {
    for (size_t i = 0; i < syn_problem_free_count(p); i++)
      print_message("# %s = %.17g\n", syn_problem_free_name(p, i), theta[i]);
    fail_msg("%s: %s", what, err.message);
  }
  memcpy(ys, r.series, n * sizeof *ys);
  memcpy(ms, r.metrics, nm * sizeof *ms);
}

/* Richardson's central difference from y(+-h) and y(+-2h): error O(h^4). */
static double richardson(double p1, double m1, double p2, double m2, double h) {
  return (8 * (p1 - m1) - (p2 - m2)) / (12 * h);
}

/* Compare s with the difference quotients d over one column (n values):
 * the column is resolved by differences when its scale (the largest |d|)
 * is above 1e5 times the gap between two independent quotients (steps h and
 * 1.3 h: the integration noise they carry, divided by h, their truncation
 * being O(h^4)), so that they can tell 1e-5, and above floor; then the worst |s - d| over that scale.
 * Returns -1 when not resolved, -2 at a kink: the one-sided differences'
 * gap (h y'' for a smooth y) does not halve with h but stays (a jump of
 * the slope: a threshold that the run sits on, where no derivative exists). */
static double column_error(const double *s, const double *d, const double *d2,
                           const double *kink, size_t n, size_t stride, double floor,
                           size_t *iw) {
  double scale = 0, noise = 0, e = 0, kinked = 0;
  for (size_t i = 0; i < n; i++) {
    if (isnan(s[i * stride])) continue;
    scale = fmax(scale, fabs(d[i * stride]));
    noise = fmax(noise, fabs(d[i * stride] - d2[i * stride]));
    kinked = fmax(kinked, fabs(kink[i * stride]));
  }
  if (!(scale > 1e5 * noise) || !(scale > floor)) return -1;
  if (kinked > 1e-4 * scale) return -2; /* not differentiable there */
  for (size_t i = 0; i < n; i++) {
    if (isnan(s[i * stride])) continue;
    double x = fabs(s[i * stride] - d[i * stride]) / scale;
    if (x > e) e = x, *iw = i;
  }
  return e;
}

/* Central differences of the series and metrics of arm `arm` in each free
 * parameter (Richardson, h = 1e-3 theta), against the sensitivities. */
static void fd_check(const char *what, syn_problem *p, syn_problem *pfd, size_t arm,
                     const double *theta0, size_t nm, worst *w) {
  syn_problem_ws *ws = NULL, *wfd = NULL;
  syn_error err;
  assert_int_equal(syn_problem_ws_create(p, &ws, &err), SYN_OK);
  assert_int_equal(syn_problem_ws_create(pfd, &wfd, &err), SYN_OK);
  size_t nf = syn_problem_free_count(p), ns = syn_problem_series_count(p);
  syn_problem_result r;
  syn_problem_want want = {1, NULL, NULL, 0, NULL, NULL, SYN_PROBLEM_SENS_ALL, NULL, NULL};
  if (syn_problem_eval(ws, arm, theta0, &want, &r, &err) != SYN_OK)
    fail_msg("%s: %s", what, err.message);
  size_t nt = r.ntimes, n = nt * ns;
  double *sens = malloc(nf * n * sizeof *sens), *dm = malloc((nm + 1) * nf * sizeof *dm);
  double *y[9], *m[9], *fd = malloc(n * sizeof *fd), *fd1 = malloc(n * sizeof *fd1);
  double *kink = malloc(n * sizeof *kink);
  double mfd[256], mfd1[256], mkink[256], *theta = malloc(nf * sizeof *theta);
  for (int j = 0; j < 9; j++) {
    y[j] = malloc(n * sizeof **y);
    m[j] = malloc((nm + 1) * sizeof **m);
  }
  memcpy(sens, r.sens, nf * n * sizeof *sens);
  memcpy(dm, r.dmetrics, nm * nf * sizeof *dm);
  for (size_t k = 0; k < nf; k++) {
    const double steps[9] = {1, -1, 2, -2, 0, 1.3, -1.3, 2.6, -2.6};
    double h = theta0[k] != 0 ? 1e-3 * fabs(theta0[k]) : 1e-3;
    for (int j = 0; j < 9; j++) {
      memcpy(theta, theta0, nf * sizeof *theta);
      theta[k] = theta0[k] + steps[j] * h;
      run_plain(pfd, wfd, arm, theta, y[j], n, m[j], nm, what);
    }
    for (size_t i = 0; i < n; i++) {
      fd[i] = richardson(y[0][i], y[1][i], y[2][i], y[3][i], h);
      fd1[i] = richardson(y[5][i], y[6][i], y[7][i], y[8][i], 1.3 * h);
      kink[i] = (y[0][i] - 2 * y[4][i] + y[1][i]) / h - (y[2][i] - 2 * y[4][i] + y[3][i]) / (4 * h);
    }
    for (size_t c = 0; c < ns; c++) {
      size_t iw = 0;
      /* a normalised sensitivity theta/max|y| dy/dtheta below 1e-6 is not compared */
      double ymax = 0;
      for (size_t i = 0; i < nt; i++) ymax = fmax(ymax, fabs(y[0][i * ns + c]));
      double e = column_error(sens + k * n + c, fd + c, fd1 + c, kink + c, nt, ns,
                              1e-6 * ymax / fmax(fabs(theta0[k]), 1e-300), &iw);
      if (e < 0) {
        w->unresolved += e == -1;
        w->kinks += e == -2;
        continue;
      }
      w->resolved++;
      if (e > w->series) {
        w->series = e;
        snprintf(w->where_s, sizeof w->where_s,
                 "%s arm %zu: d(series %zu)/d(%s) at point %zu: %.10g vs fd %.10g", what, arm, c,
                 syn_problem_free_name(p, k), iw, sens[k * n + iw * ns + c], fd[iw * ns + c]);
      }
    }
    for (size_t j = 0; j < nm && j < 256; j++) {
      mfd[j] = richardson(m[0][j], m[1][j], m[2][j], m[3][j], h);
      mfd1[j] = richardson(m[5][j], m[6][j], m[7][j], m[8][j], 1.3 * h);
      mkink[j] = (m[0][j] - 2 * m[4][j] + m[1][j]) / h - (m[2][j] - 2 * m[4][j] + m[3][j]) / (4 * h);
      double g = dm[j * nf + k];
      if (isnan(g) || isnan(mfd[j])) {
        w->nan_metrics += isnan(g);
        continue;
      }
      size_t iw = 0;
      double e = column_error(&g, &mfd[j], &mfd1[j], &mkink[j], 1, 1,
                              1e-6 * fabs(m[4][j]) / fmax(fabs(theta0[k]), 1e-300), &iw);
      if (e < 0) {
        w->unresolved_metrics += e == -1;
        w->kinks += e == -2;
        continue;
      }
      w->checked_metrics++;
      if (e > w->metric) {
        w->metric = e;
        snprintf(w->where_m, sizeof w->where_m, "%s arm %zu: d(metric %zu)/d(%s): %.10g vs fd %.10g",
                 what, arm, j, syn_problem_free_name(p, k), g, mfd[j]);
      }
    }
  }
  for (int j = 0; j < 9; j++) free(y[j]), free(m[j]);
  free(sens), free(dm), free(fd), free(fd1), free(kink), free(theta);
  syn_problem_ws_destroy(ws);
  syn_problem_ws_destroy(wfd);
}

static unsigned long rng_state = 12345;
static double uniform(void) {
  rng_state = rng_state * 6364136223846793005ul + 1442695040888963407ul;
  return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* Up to `most` parameters of m (base names for per-joint ones), chosen by
 * the generator, with values at their defaults times U(0.8, 1.2). */
static size_t pick_params(const syn_model *m, const char **names, double *values, size_t most) {
  syn_instance *inst = NULL;
  syn_error err;
  assert_int_equal(syn_instance_create(m, &inst, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  size_t np = syn_model_count(m, SYN_SYM_PARAM), n = 0;
  for (size_t tries = 0; tries < 4 * np && n < most; tries++) {
    size_t i = (size_t)(uniform() * (double)np);
    const syn_symbol *sym = syn_model_symbol(m, SYN_SYM_PARAM, i);
    const char *name = sym->joint[0] ? sym->base : sym->name;
    double v = syn_instance_value(inst, SYN_SYM_PARAM, i);
    int dup = 0;
    for (size_t j = 0; j < n; j++) dup |= strcmp(names[j], name) == 0;
    /* cdose_K_*: a conditional dose's switch, amount, count and last time,
     * which the scenario sets and its event assigns */
    if (dup || v == 0.0 || strncmp(name, "cdose_", 6) == 0) continue;
    names[n] = name;
    values[n++] = v * (0.8 + 0.4 * uniform());
  }
  syn_instance_destroy(inst);
  return n;
}

/* rtol 1e-10 for the sensitivities; the differences need more (their
 * error is the integration's divided by h): rtol 1e-12 */
static void tight(syn_solver_opts *o, double rtol) {
  o->rtol = rtol;
  o->atol = 1e-2 * rtol < 1e-13 ? 1e-13 : 1e-2 * rtol;
  o->max_steps = 1000000;
  o->atol_given = 1;
  o->atol_vec = NULL;
}

static void fd_model(const char *path, worst *w) {
  syn_model *m = NULL;
  syn_error err;
  if (syn_model_load(path, &m, &err) != SYN_OK) fail_msg("%s: %s", path, err.message);
  const char *names[8];
  double theta[8];
  size_t n = pick_params(m, names, theta, 6);
  syn_run_opts ro, rfd;
  syn_run_opts_default(&ro);
  ro.t_end = 24;
  ro.every = 0.5;
  rfd = ro;
  tight(&ro.solver, 1e-10);
  tight(&rfd.solver, 1e-12);
  syn_problem *p = NULL, *pfd = NULL;
  if (syn_problem_create_model(m, &ro, names, n, &p, &err) != SYN_OK ||
      syn_problem_create_model(m, &rfd, names, n, &pfd, &err) != SYN_OK)
    fail_msg("%s: %s", path, err.message);
  if (n > 0) fd_check(path, p, pfd, 0, theta, 0, w);
  syn_problem_destroy(p);
  syn_problem_destroy(pfd);
  syn_model_destroy(m);
}

/* The model's parameters and the first dosed arm's first dose (amount and
 * time, moved off the grid by the generator). */
static void fd_scenario(const char *path, worst *w) {
  syn_scenario *s = NULL;
  syn_error err;
  if (syn_scenario_load(path, &s, &err) != SYN_OK) fail_msg("%s: %s", path, err.message);
  const syn_model *m = syn_scenario_model(s);
  const char *names[10];
  double theta[10];
  char dn[2][256];
  size_t n = pick_params(m, names, theta, 4);
  syn_solver_opts o, ofd;
  syn_solver_opts_default(&o);
  syn_scenario_solver_opts(s, &o);
  ofd = o;
  tight(&o, 1e-10);
  tight(&ofd, 1e-12);
  size_t arm = 0;
  syn_problem *p = NULL, *pfd = NULL;
  /* a dose by name: try the arms in turn */
  for (size_t a = 0; a < syn_scenario_arm_count(s) && n + 2 <= 10; a++) {
    if (s->arms[a].ndoses == 0) continue;
    const scn_dose *d0 = &s->arms[a].doses[0];
    const char *route = d0->route;
    snprintf(dn[0], sizeof dn[0], "dose:%s:%s:1.amount", syn_scenario_arm_name(s, a), route);
    snprintf(dn[1], sizeof dn[1], "dose:%s:%s:1.time", syn_scenario_arm_name(s, a), route);
    names[n] = dn[0];
    theta[n++] = d0->amount * (0.8 + 0.4 * uniform());
    names[n] = dn[1];
    theta[n++] = d0->at + 0.1 + 0.3 * uniform();
    arm = a;
    break;
  }
  if (syn_problem_create(s, NULL, 0, names, n, &o, &p, &err) != SYN_OK ||
      syn_problem_create(s, NULL, 0, names, n, &ofd, &pfd, &err) != SYN_OK)
    fail_msg("%s: %s", path, err.message);
  if (getenv("SENS_VERBOSE"))
    for (size_t i = 0; i < n; i++) print_message("#     %s = %.17g\n", names[i], theta[i]);
  fd_check(path, p, pfd, arm, theta, syn_scenario_metric_count(s), w);
  if (arm != 0) fd_check(path, p, pfd, 0, theta, syn_scenario_metric_count(s), w); /* undosed */
  /* an arm with conditional doses: model events that assign parameters
   * (cdose.c), their sensitivities through the jump conditions */
  for (size_t a = 0; a < syn_scenario_arm_count(s); a++) {
    int cond = 0;
    for (size_t d = 0; d < s->arms[a].ndoses; d++) cond |= s->arms[a].doses[d].is_cond;
    if (cond && a != arm && a != 0) fd_check(path, p, pfd, a, theta, syn_scenario_metric_count(s), w);
  }
  syn_problem_destroy(p);
  syn_problem_destroy(pfd);
  syn_scenario_destroy(s);
}

static int has_suffix(const char *name, const char *suffix) {
  size_t a = strlen(name), b = strlen(suffix);
  return a > b && strcmp(name + a - b, suffix) == 0;
}

static void for_each(const char *where, const char *suffix, void (*fn)(const char *, worst *),
                     worst *w) {
  DIR *d = opendir(where);
  assert_non_null(d);
  struct dirent *e;
  char *paths[64];
  size_t n = 0;
  while ((e = readdir(d)) != NULL && n < 64)
    if (has_suffix(e->d_name, suffix)) {
      paths[n] = malloc(strlen(where) + strlen(e->d_name) + 2);
      sprintf(paths[n++], "%s/%s", where, e->d_name);
    }
  closedir(d);
  /* a fixed order, so the generator's draws are the same every run */
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      if (strcmp(paths[j], paths[i]) < 0) {
        char *t = paths[i];
        paths[i] = paths[j];
        paths[j] = t;
      }
  for (size_t i = 0; i < n; i++) {
    worst one = {0, 0, "", "", 0, 0, 0, 0, 0, 0};
    fn(paths[i], &one);
    print_message("# %s: series %.3g, metrics %.3g\n", paths[i], one.series, one.metric);
    if (getenv("SENS_VERBOSE")) print_message("#   %s\n#   %s\n", one.where_s, one.where_m);
    w->resolved += one.resolved;
    w->unresolved += one.unresolved;
    w->nan_metrics += one.nan_metrics;
    w->checked_metrics += one.checked_metrics;
    w->unresolved_metrics += one.unresolved_metrics;
    w->kinks += one.kinks;
    if (one.series > w->series) w->series = one.series, memcpy(w->where_s, one.where_s, sizeof one.where_s);
    if (one.metric > w->metric) w->metric = one.metric, memcpy(w->where_m, one.where_m, sizeof one.where_m);
    free(paths[i]);
  }
}

static void test_finite_differences_everywhere(void **state) {
  (void)state;
  worst w = {0, 0, "", "", 0, 0, 0, 0, 0, 0};
  for_each("models", ".model", fd_model, &w);
  for_each("examples", ".scenario", fd_scenario, &w);
  print_message("# worst series: %.3g (%s); %zu columns checked, %zu below the differences' "
                "noise\n", w.series, w.where_s, w.resolved, w.unresolved);
  print_message("# worst metric: %.3g (%s); %zu metric gradients checked, %zu below the noise, "
                "%zu NaN; %zu columns at a kink\n", w.metric, w.where_m, w.checked_metrics,
                w.unresolved_metrics, w.nan_metrics, w.kinks);
  if (!(w.series <= 1e-5)) fail_msg("series: relative disagreement %.3g at %s", w.series, w.where_s);
  if (!(w.metric <= 1e-5)) fail_msg("metrics: relative disagreement %.3g at %s", w.metric, w.where_m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_decay),
      cmocka_unit_test(test_bateman),
      cmocka_unit_test(test_steady_baseline),
      cmocka_unit_test(test_corrector_choices),
      cmocka_unit_test(test_sens_at_times),
      cmocka_unit_test(test_no_allocation_per_eval),
      cmocka_unit_test(test_bad_requests),
      cmocka_unit_test(test_finite_differences_everywhere),
  };
  return cmocka_run_group_tests(tests, setup_dir, scratch_teardown);
}
