/* synovia — unit tests of the metric probes (src/scenario/metrics.c).
 *
 * Small models from text are integrated by syn_solver with the metrics' step
 * hook at tight tolerances; doses are stop callbacks that add to a state and
 * report the jump. Every value is checked against a closed form: areas of
 * exponential decay over windows that cut steps and across a bolus, the
 * Bateman peak (tmax = ln(ka/ke)/(ka-ke)), first crossing times, percent
 * change, and values at exact times. The output grid is deliberately coarse:
 * everything must come from the dense output.
 *
 * Cost (issue 13): probes over one window read each point of a step once;
 * a set of outputs (syn_output_set, what the probes use) gives the values of
 * syn_instance_outputs bit for bit and leaves the other outputs alone; an arm
 * run for a sweep (syn_scenario_run_arm_keep) computes only the metrics kept,
 * with the values of a full run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "scenario/metrics.h"
#include "synovia/model.h"
#include "synovia/scenario.h"
#include "synovia/solver.h"

/* --- models --------------------------------------------------------------------- */

/* X' = -k X, X(0) = 100; outputs: a linear and a nonlinear one. */
static const char decay_text[] =
    "model \"decay\"\n"
    "time unit h\n"
    "param k = 0.5 /h \"elimination\"\n"
    "state X = 100 \"amount\"\n"
    "d/dt X = -k * X\n"
    "output frac = X / 100 \"fraction left\"\n"
    "output sq = X * X \"square\"\n";

/* Depot A -> central C -> out: C = D ka/(ka-ke) (e^{-ke t} - e^{-ka t}). */
static const char bateman_text[] =
    "model \"bateman\"\n"
    "time unit h\n"
    "param ka = 1.3 /h \"absorption\"\n"
    "param ke = 0.2 /h \"elimination\"\n"
    "state A = 100 \"depot\"\n"
    "state C = 0 \"central\"\n"
    "d/dt A = -ka * A\n"
    "d/dt C = ka * A - ke * C\n"
    "output conc = C / 10 \"concentration\"\n";

/* x = (t - a)^2 + 1 exactly (u is the clock): a polynomial the BDF method
 * integrates without error, so its steps grow to several hours and the dip
 * to 1 at t = a lies deep inside one step. */
static const char dip_text[] =
    "model \"dip\"\n"
    "time unit h\n"
    "param a = 3.7 h \"bottom of the dip\"\n"
    "state u = 0 h \"clock\"\n"
    "state x = 1 + 3.7 * 3.7 \"parabola\"\n"
    "d/dt u = 1\n"
    "d/dt x = 2 * (u - a) / 1 h\n"
    "output xo = x \"the same, as an output\"\n";

static const double K = 0.5, X0 = 100.0, KA = 1.3, KE = 0.2, D = 100.0;

static double decay(double t) { return X0 * exp(-K * t); }

static double bateman(double t) { return D * KA / (KA - KE) * (exp(-KE * t) - exp(-KA * t)); }

/* --- the harness ------------------------------------------------------------------ */

typedef struct dosing {
  syn_metrics *m;
  size_t state;
  double amount;
} dosing;

static syn_status on_dose(double t, double *y, size_t n, void *ctx, syn_error *err) {
  (void)n;
  dosing *d = ctx;
  y[d->state] += d->amount;
  return syn_metrics_jump(d->m, t, y, err);
}

typedef struct harness {
  syn_model *model;
  syn_instance *inst;
  syn_ode ode;
  syn_solver *solver;
  syn_metrics *metrics;
} harness;

static void harness_open(harness *h, const char *text, syn_probe *probes, size_t n) {
  syn_error err;
  memset(h, 0, sizeof *h);
  if (syn_model_load_text("test.model", text, strlen(text), &h->model, &err) != SYN_OK)
    fail_msg("load: %s", err.message);
  assert_int_equal(syn_instance_create(h->model, &h->inst, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(h->inst, &err), SYN_OK);
  syn_instance_ode(h->inst, &h->ode);
  double y0[4];
  assert_true(h->ode.n <= 4);
  syn_instance_initial(h->inst, y0);
  syn_solver_opts o;
  syn_solver_opts_default(&o);
  o.rtol = 1e-11;
  o.atol = 1e-12;
  assert_int_equal(syn_solver_create(&h->ode, &o, 0.0, y0, &h->solver, &err), SYN_OK);
  if (syn_metrics_create(h->inst, probes, n, &h->metrics, &err) != SYN_OK)
    fail_msg("metrics: %s", err.message);
  syn_solver_set_step_hook(h->solver, syn_metrics_step, h->metrics);
  assert_int_equal(syn_metrics_start(h->metrics, 0.0, y0, &err), SYN_OK);
}

/* Integrate onto t_out with doses of amount into state at t_stop, then finish. */
static void harness_run(harness *h, const double *t_out, size_t n_out, const double *t_stop,
                        size_t n_stop, size_t state, double amount) {
  syn_error err;
  dosing d = {h->metrics, state, amount};
  syn_status st = syn_solver_integrate(h->solver, t_out, n_out, t_stop, n_stop, on_dose, &d,
                                       NULL, NULL, &err);
  if (st != SYN_OK) fail_msg("integrate: %s", err.message);
  assert_int_equal(syn_metrics_finish(h->metrics, &err), SYN_OK);
}

static void harness_close(harness *h) {
  syn_metrics_destroy(h->metrics);
  syn_solver_destroy(h->solver);
  syn_instance_destroy(h->inst);
  syn_model_destroy(h->model);
}

static void check_rel(double got, double want, double rel, const char *what) {
  double d = fabs(got - want);
  print_message("%-34s got %.15g want %.15g (rel. %.2e)\n", what, got, want,
                d / fmax(fabs(want), 1e-300));
  if (!(d <= rel * fabs(want)))
    fail_msg("%s: got %.15g, want %.15g (rel. diff %.3g, allowed %.3g)", what, got, want,
             d / fabs(want), rel);
}

static void check_abs(double got, double want, double tol, const char *what) {
  print_message("%-34s got %.15g want %.15g (abs. %.2e)\n", what, got, want, fabs(got - want));
  if (!(fabs(got - want) <= tol))
    fail_msg("%s: got %.15g, want %.15g (diff %.3g, allowed %.3g)", what, got, want,
             fabs(got - want), tol);
}

static syn_probe probe(syn_probe_kind kind, size_t series, double t1, double t2, double level) {
  syn_probe p = {kind, series, t1, t2, level, 0.0, (double)NAN};
  return p;
}

/* --- tests ---------------------------------------------------------------------- */

/* ∫ X over windows that start and end inside steps; outputs (linear and
 * quadratic in X) too. One output time: everything comes from the steps. */
static void test_auc_decay(void **state) {
  (void)state;
  syn_probe p[] = {
      probe(PROBE_AUC, 0, 0.0, 10.0, 0),   probe(PROBE_AUC, 0, 0.3, 2.7, 0),
      probe(PROBE_AUC, 0, 1.234, 7.77, 0), probe(PROBE_AUC, 1, 0.3, 2.7, 0),
      probe(PROBE_AUC, 2, 0.5, 9.5, 0),    probe(PROBE_AUC, 0, 4.0, 4.0, 0),
  };
  harness h;
  harness_open(&h, decay_text, p, 6);
  const double t_out[] = {10.0};
  harness_run(&h, t_out, 1, NULL, 0, 0, 0.0);
#define AUC(a, b) (X0 / K * (exp(-K * (a)) - exp(-K * (b))))
  check_rel(p[0].value, AUC(0.0, 10.0), 1e-9, "auc X [0, 10]");
  check_rel(p[1].value, AUC(0.3, 2.7), 1e-9, "auc X [0.3, 2.7]");
  check_rel(p[2].value, AUC(1.234, 7.77), 1e-9, "auc X [1.234, 7.77]");
  check_rel(p[3].value, AUC(0.3, 2.7) / 100.0, 1e-9, "auc frac [0.3, 2.7]");
  check_rel(p[4].value, X0 * X0 / (2 * K) * (exp(-2 * K * 0.5) - exp(-2 * K * 9.5)), 1e-8,
            "auc X^2 [0.5, 9.5]");
#undef AUC
  assert_true(p[5].value == 0.0); /* an empty window */
  harness_close(&h);
}

/* Inside steps only the outputs of areas, extrema and crossings are
 * evaluated; a point value of another output at a time whose slot already
 * holds those (here: the area's window end, 7.7) must evaluate the rest
 * there, not read what the slot left. Values against the closed forms. */
static void test_point_outputs_beside_step_outputs(void **state) {
  (void)state;
  syn_probe p[] = {
      probe(PROBE_AUC, 1, 0.3, 7.7, 0),    probe(PROBE_AT, 2, 7.7, 7.7, 0),
      probe(PROBE_CHANGE, 2, 1.2, 7.7, 0), probe(PROBE_AT, 1, 7.7, 7.7, 0),
      probe(PROBE_MAX, 1, 2.0, 5.0, 0),    probe(PROBE_AT, 2, 4.25, 4.25, 0),
  };
  harness h;
  harness_open(&h, decay_text, p, 6);
  const double t_out[] = {10.0};
  harness_run(&h, t_out, 1, NULL, 0, 0, 0.0);
  double sq77 = decay(7.7) * decay(7.7), sq12 = decay(1.2) * decay(1.2);
  check_rel(p[0].value, X0 / K * (exp(-K * 0.3) - exp(-K * 7.7)) / 100.0, 1e-9,
            "auc frac [0.3, 7.7]");
  check_rel(p[1].value, sq77, 1e-8, "at(sq, 7.7)");
  check_rel(p[2].value, 100.0 * (sq77 - sq12) / sq12, 1e-8, "change(sq, 1.2, 7.7)");
  check_rel(p[3].value, decay(7.7) / 100.0, 1e-9, "at(frac, 7.7)");
  check_rel(p[4].value, decay(2.0) / 100.0, 1e-9, "max(frac, 2, 5)");
  check_rel(p[5].value, decay(4.25) * decay(4.25), 1e-8, "at(sq, 4.25)");
  harness_close(&h);
}

/* A bolus of 50 at t = 3: the area is the sum of the two pieces; at(), max and
 * change see the value after the dose at the dose time; the trough just
 * before the dose is the minimum, at the dose time. */
static void test_auc_across_bolus(void **state) {
  (void)state;
  syn_probe p[] = {
      probe(PROBE_AUC, 0, 1.0, 8.0, 0),    probe(PROBE_AT, 0, 3.0, 3.0, 0),
      probe(PROBE_MAX, 0, 2.0, 8.0, 0),    probe(PROBE_TMAX, 0, 2.0, 8.0, 0),
      probe(PROBE_MIN, 0, 0.0, 5.0, 0),    probe(PROBE_TMIN, 0, 0.0, 5.0, 0),
      probe(PROBE_CHANGE, 0, 3.0, 6.0, 0), probe(PROBE_TIME_ABOVE, 0, 2.0, 8.0, 40.0),
  };
  harness h;
  harness_open(&h, decay_text, p, 8);
  const double t_out[] = {0.0, 8.0}, t_stop[] = {3.0};
  harness_run(&h, t_out, 2, t_stop, 1, 0, 50.0);
  double pre = decay(3.0), post = pre + 50.0;
  double want = X0 / K * (exp(-K * 1.0) - exp(-K * 8.0)) + 50.0 / K * (1 - exp(-K * 5.0));
  check_rel(p[0].value, want, 1e-9, "auc across the bolus");
  check_rel(p[1].value, post, 1e-9, "at the dose time (after it)");
  check_rel(p[2].value, post, 1e-9, "max: right after the dose");
  check_abs(p[3].value, 3.0, 0.0, "tmax: the dose time");
  check_rel(p[4].value, pre, 1e-9, "min: the trough before the dose");
  check_abs(p[5].value, 3.0, 0.0, "tmin: the dose time");
  check_rel(p[6].value, 100.0 * (exp(-K * 3.0) - 1.0), 1e-9, "change from the dose");
  /* X < 40 at t = 2 (36.8), above it after the dose */
  check_abs(p[7].value, 3.0, 0.0, "time_above: the dose lifts it");
  harness_close(&h);
}

/* The Bateman peak between coarse grid points: tmax = ln(ka/ke)/(ka-ke). */
static void test_bateman_peak(void **state) {
  (void)state;
  syn_probe p[] = {
      probe(PROBE_MAX, 1, 0.0, 24.0, 0),  probe(PROBE_TMAX, 1, 0.0, 24.0, 0),
      probe(PROBE_MAX, 2, 0.0, 24.0, 0),  probe(PROBE_TMAX, 2, 0.0, 24.0, 0),
      probe(PROBE_MIN, 1, 0.5, 24.0, 0),  probe(PROBE_TMIN, 1, 0.5, 24.0, 0),
      probe(PROBE_TMAX, 1, 5.0, 24.0, 0), probe(PROBE_MIN, 0, 0.0, 5.0, 0),
  };
  harness h;
  harness_open(&h, bateman_text, p, 8);
  const double t_out[] = {0.0, 12.0, 24.0};
  harness_run(&h, t_out, 3, NULL, 0, 0, 0.0);
  double tmax = log(KA / KE) / (KA - KE);
  check_rel(p[0].value, bateman(tmax), 1e-9, "Cmax");
  check_abs(p[1].value, tmax, 1e-8, "tmax");
  check_rel(p[2].value, bateman(tmax) / 10.0, 1e-9, "max of an output");
  check_abs(p[3].value, tmax, 1e-8, "tmax of an output");
  /* C rises then falls: the minimum over [0.5, 24] is at an edge */
  double lo = fmin(bateman(0.5), bateman(24.0));
  check_rel(p[4].value, lo, 1e-9, "min at a window edge");
  check_abs(p[5].value, bateman(0.5) < bateman(24.0) ? 0.5 : 24.0, 0.0, "tmin at the edge");
  check_abs(p[6].value, 5.0, 0.0, "tmax after the peak: the window start");
  check_rel(p[7].value, D * exp(-KA * 5.0), 1e-8, "min of the depot on [0, 5]");
  harness_close(&h);
}

/* First crossing times of exponential decay between coarse grid points:
 * X < L first at ln(X0/L)/k; already below at t1 gives t1; never: NaN. */
static void test_time_below_above(void **state) {
  (void)state;
  syn_probe p[] = {
      probe(PROBE_TIME_BELOW, 0, 0.0, 20.0, 10.0), probe(PROBE_TIME_BELOW, 1, 0.0, 20.0, 0.37),
      probe(PROBE_TIME_BELOW, 0, 8.0, 20.0, 10.0), probe(PROBE_TIME_BELOW, 0, 0.0, 20.0, 1e-6),
      probe(PROBE_TIME_ABOVE, 0, 0.0, 20.0, 100.0), probe(PROBE_TIME_ABOVE, 0, 0.0, 20.0, 99.0),
      probe(PROBE_TIME_BELOW, 0, 0.0, 4.0, 10.0),
  };
  harness h;
  harness_open(&h, decay_text, p, 7);
  const double t_out[] = {20.0};
  harness_run(&h, t_out, 1, NULL, 0, 0, 0.0);
  double t10 = log(X0 / 10.0) / K;
  check_abs(p[0].value, t10, 1e-9 * t10, "time_below 10");
  check_abs(p[1].value, log(1.0 / 0.37) / K, 1e-9, "time_below of an output");
  check_abs(p[2].value, 8.0, 0.0, "already below at t1");
  assert_true(isnan(p[3].value)); /* X(20) = 4.5e-3 > 1e-6 */
  assert_true(isnan(p[4].value)); /* never strictly above its start */
  check_abs(p[5].value, 0.0, 0.0, "above at the start");
  assert_true(isnan(p[6].value)); /* t10 = 4.6 lies after the window */
  harness_close(&h);
}

/* time_above on the rising Bateman curve (reference by bisection on the
 * closed form); at() and change at times off the grid; two calls. */
static void test_bateman_crossing_and_points(void **state) {
  (void)state;
  const double L = 30.0;
  syn_probe p[] = {
      probe(PROBE_TIME_ABOVE, 1, 0.0, 24.0, L), probe(PROBE_AT, 1, 1.2345, 1.2345, 0),
      probe(PROBE_CHANGE, 1, 2.0, 13.3, 0),     probe(PROBE_CHANGE, 1, 0.0, 5.0, 0),
      probe(PROBE_AT, 0, 0.0, 0.0, 0),          probe(PROBE_AUC, 1, 0.0, 30.0, 0),
  };
  harness h;
  harness_open(&h, bateman_text, p, 6);
  const double t_first[] = {0.0, 12.0}, t_second[] = {24.0};
  harness_run(&h, t_first, 2, NULL, 0, 0, 0.0);
  syn_error err;
  syn_status st = syn_solver_integrate(h.solver, t_second, 1, NULL, 0, NULL, NULL, NULL, NULL,
                                       &err);
  assert_int_equal(st, SYN_OK);
  assert_int_equal(syn_metrics_finish(h.metrics, &err), SYN_OK);
  double a = 0.0, b = log(KA / KE) / (KA - KE); /* C rises on [0, tmax] */
  for (int i = 0; i < 200; i++) {
    double mid = 0.5 * (a + b);
    if (bateman(mid) > L)
      b = mid;
    else
      a = mid;
  }
  check_abs(p[0].value, 0.5 * (a + b), 1e-9, "time_above 30");
  check_rel(p[1].value, bateman(1.2345), 1e-9, "at 1.2345");
  check_rel(p[2].value, 100.0 * (bateman(13.3) - bateman(2.0)) / bateman(2.0), 1e-8,
            "change [2, 13.3]");
  assert_true(isnan(p[3].value)); /* C(0) = 0 */
  check_rel(p[4].value, D, 0.0, "at the start");
  assert_true(isnan(p[5].value)); /* the run ended before the window */
  harness_close(&h);
}

/* Doses at t = 0 (before everything) and at the last output time. */
static void test_doses_at_the_edges(void **state) {
  (void)state;
  syn_probe p[] = {
      probe(PROBE_AT, 0, 0.0, 0.0, 0),   probe(PROBE_AT, 0, 6.0, 6.0, 0),
      probe(PROBE_MAX, 0, 0.0, 6.0, 0),  probe(PROBE_TMAX, 0, 1.0, 6.0, 0),
      probe(PROBE_AUC, 0, 0.0, 6.0, 0),  probe(PROBE_CHANGE, 0, 0.0, 6.0, 0),
  };
  harness h;
  harness_open(&h, decay_text, p, 6);
  const double t_out[] = {0.0, 3.0, 6.0}, t_stop[] = {0.0, 6.0};
  harness_run(&h, t_out, 3, t_stop, 2, 0, 500.0);
  double x6 = 600.0 * exp(-K * 6.0) + 500.0;
  check_rel(p[0].value, 600.0, 1e-12, "at 0 after the dose at 0");
  check_rel(p[1].value, x6, 1e-9, "at the end after the dose there");
  check_rel(p[2].value, 600.0, 1e-12, "max: the start");
  check_abs(p[3].value, 6.0, 0.0, "tmax on [1, 6]: the last dose");
  check_rel(p[4].value, 600.0 / K * (1 - exp(-K * 6.0)), 1e-9, "auc with doses at the edges");
  check_rel(p[5].value, 100.0 * (x6 - 600.0) / 600.0, 1e-9, "change");
  harness_close(&h);
}

/* A level just above the bottom of a dip inside one solver step: the series
 * is below it only for 2e-4 h (a step of hours, 9 samples per step miss it).
 * A state's crossing is exact (the interpolating polynomial's roots); tmin
 * and min too. */
static void test_dip_inside_one_step(void **state) {
  (void)state;
  const double a = 3.7, eps = 1e-8;
  syn_probe p[] = {
      probe(PROBE_TIME_BELOW, 1, 0.0, 10.0, 1.0 + eps),
      probe(PROBE_TIME_ABOVE, 1, 4.0, 10.0, 1.0 + 0.3 * 0.3 + eps),
      probe(PROBE_MIN, 1, 0.0, 10.0, 0.0),
      probe(PROBE_TMIN, 1, 0.0, 10.0, 0.0),
      probe(PROBE_TIME_BELOW, 1, 0.0, 10.0, 1.0 - eps), /* never */
  };
  harness h;
  harness_open(&h, dip_text, p, 5);
  const double t_out[] = {10.0};
  harness_run(&h, t_out, 1, NULL, 0, 0, 0.0);
  syn_solver_stats st;
  syn_solver_get_stats(h.solver, &st);
  print_message("%ld steps over 10 h\n", st.nsteps);
  assert_true(st.nsteps < 200); /* the premise: long steps */
  /* ill-conditioned: the slope there is 2 sqrt(eps), so the state's own error
   * (~1e-10) moves the crossing by ~1e-6 h; the dip is 2e-4 h wide */
  check_abs(p[0].value, a - sqrt(eps), 1e-5, "time_below just above the bottom");
  check_abs(p[1].value, a + 0.3 + eps / 0.6, 1e-9, "time_above on the way up");
  check_abs(p[2].value, 1.0, 1e-9, "min");
  check_abs(p[3].value, a, 1e-6, "tmin");
  assert_true(isnan(p[4].value));
  harness_close(&h);
}

/* The metrics' step hook, counting the steps it is given. */
typedef struct counted {
  syn_metrics *m;
  size_t steps;
} counted;

static syn_status counting_step(const syn_solver *s, double t_prev, double t_now, void *ctx,
                                syn_error *err) {
  counted *c = ctx;
  c->steps++;
  return syn_metrics_step(s, t_prev, t_now, c->m, err);
}

/* Three areas over one window (a state and two outputs): every Gauss node of
 * a step is interpolated once for all of them (a one-entry cache read each
 * node three times), and the areas are those of probes run one by one. */
static void test_each_point_interpolated_once(void **state) {
  (void)state;
  syn_probe p[] = {probe(PROBE_AUC, 0, 0.0, 10.0, 0), probe(PROBE_AUC, 1, 0.0, 10.0, 0),
                   probe(PROBE_AUC, 2, 0.0, 10.0, 0)};
  const double t_out[] = {10.0};
  harness h;
  harness_open(&h, decay_text, p, 3);
  counted c = {h.metrics, 0};
  syn_solver_set_step_hook(h.solver, counting_step, &c);
  harness_run(&h, t_out, 1, NULL, 0, 0, 0.0);
  print_message("%zu steps, %zu points read\n", c.steps, syn_metrics_points(h.metrics));
  assert_true(c.steps > 5);
  /* and the window's end, a point value read once for the three */
  assert_int_equal(syn_metrics_points(h.metrics), 3 * c.steps + 1);
  harness_close(&h);
  /* an extreme read between two areas (its samples and slopes reading points
   * of their own) costs the same as after them */
  size_t points[2];
  for (int k = 0; k < 2; k++) {
    syn_probe q[] = {probe(PROBE_AUC, 1, 0.0, 10.0, 0), probe(PROBE_MAX, 2, 0.5, 9.0, 0),
                     probe(PROBE_AUC, 2, 0.0, 10.0, 0)};
    if (k == 1) q[1] = q[2], q[2] = probe(PROBE_MAX, 2, 0.5, 9.0, 0);
    harness_open(&h, decay_text, q, 3);
    harness_run(&h, t_out, 1, NULL, 0, 0, 0.0);
    points[k] = syn_metrics_points(h.metrics);
    harness_close(&h);
  }
  print_message("areas around an extreme: %zu points; before it: %zu\n", points[0], points[1]);
  assert_int_equal(points[0], points[1]);
  for (size_t i = 0; i < 3; i++) {
    syn_probe one = p[i];
    harness_open(&h, decay_text, &one, 1);
    harness_run(&h, t_out, 1, NULL, 0, 0, 0.0);
    assert_true(one.value == p[i].value);
    harness_close(&h);
  }
}

/* Outputs with their own dependencies, one of them NaN (sqrt of a negative). */
static const char outputs_text[] =
    "model \"outputs\"\n"
    "time unit h\n"
    "param k = 0.5 /h \"elimination\"\n"
    "state X = 100 \"amount\"\n"
    "state Y = 3 \"other\"\n"
    "d/dt X = -k * X\n"
    "d/dt Y = -Y\n"
    "let w = exp(X / 50) \"shared\"\n"
    "output frac = X / 100 \"fraction left\"\n"
    "output bad = sqrt(Y - 1000) \"NaN\"\n"
    "output mix = w * Y + sin(X) \"nonlinear\"\n"
    "output sq = w * w \"square\"\n";

/* Outputs of many kinds sharing lets, time and constants: each on its own. */
static const char many_text[] =
    "model \"many\"\n"
    "time unit h\n"
    "param k = 0.5 /h \"rate\"\n"
    "param K = 2 \"half point\"\n"
    "state X = 3 \"x\"\n"
    "state Y = 4 \"y\"\n"
    "state Z = 0.25 \"z\"\n"
    "d/dt X = -k * X\n"
    "d/dt Y = k * X - k * Y\n"
    "d/dt Z = -k * Z\n"
    "let h = X^2 / (K^2 + X^2) \"hill\"\n"
    "let g = if(Y > X, Y - X, X^3 - Y) \"branch\"\n"
    "output o1 = h * Y \"1\"\n"
    "output o2 = min(g, 5) + max(Z, 0.1) \"2\"\n"
    "output o3 = exp(-Z) * sin(t / 1 h) + h^4 \"3\"\n"
    "output o4 = sqrt(abs(g)) / (1 + h) \"4\"\n"
    "output o5 = K * Z + log(X + 1) \"5\"\n";

/* Each output alone, at several points, is the full evaluation's bit for bit
 * (the pruning of the outputs program keeps what each one needs). */
static void test_output_set_each_alone(void **state) {
  (void)state;
  syn_model *m = NULL;
  syn_instance *inst = NULL;
  syn_error err;
  if (syn_model_load_text("m.model", many_text, strlen(many_text), &m, &err) != SYN_OK)
    fail_msg("load: %s", err.message);
  assert_int_equal(syn_instance_create(m, &inst, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  size_t no = syn_model_count(m, SYN_SYM_OUTPUT);
  assert_int_equal(no, 5);
  const double ys[3][3] = {{3.0, 4.0, 0.25}, {5.5, 1.25, 2.0}, {0.1, 0.2, 7.0}};
  for (size_t p = 0; p < 3; p++) {
    double all[5], one[5];
    assert_int_equal(syn_instance_outputs(inst, 1.5 + p, ys[p], all, &err), SYN_OK);
    for (size_t i = 0; i < no; i++) {
      syn_output_set *set = NULL;
      assert_int_equal(syn_output_set_create(m, &i, 1, &set, &err), SYN_OK);
      /* every register left at another point: what the set needs, it computes */
      double junk[5];
      assert_int_equal(syn_instance_outputs(inst, 0.5, ys[(p + 1) % 3], junk, &err), SYN_OK);
      assert_int_equal(syn_instance_outputs_of(inst, set, 1.5 + p, ys[p], one, &err), SYN_OK);
      if (memcmp(&one[i], &all[i], sizeof *all) != 0)
        fail_msg("output %zu at point %zu: %.17g alone, %.17g with all", i, p, one[i], all[i]);
      syn_output_set_destroy(set);
    }
  }
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

/* A set of outputs computes its outputs exactly as syn_instance_outputs does
 * and writes no other; a NaN among them is named; bad indices and a set of
 * another model are refused; allocation failures leave nothing behind. */
static void test_output_set(void **state) {
  (void)state;
  syn_model *m = NULL, *other = NULL;
  syn_instance *inst = NULL;
  syn_output_set *set = NULL;
  syn_error err;
  const double y[2] = {37.25, 1.5};
  double all[4], some[4];
  if (syn_model_load_text("o.model", outputs_text, strlen(outputs_text), &m, &err) != SYN_OK)
    fail_msg("load: %s", err.message);
  assert_int_equal(syn_instance_create(m, &inst, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  assert_int_equal(syn_instance_outputs(inst, 2.0, y, all, &err), SYN_ENONFINITE);
  const size_t pick[] = {3, 2, 3};
  assert_int_equal(syn_output_set_create(m, pick, 3, &set, &err), SYN_OK);
  for (size_t i = 0; i < 4; i++) some[i] = -7.0;
  assert_int_equal(syn_instance_outputs_of(inst, set, 2.0, y, some, &err), SYN_OK);
  assert_memory_equal(&some[2], &all[2], 2 * sizeof *all); /* mix and sq, bit for bit */
  assert_true(some[0] == -7.0 && some[1] == -7.0);          /* frac and bad untouched */
  syn_output_set_destroy(set);

  const size_t nan_one[] = {1, 0};
  assert_int_equal(syn_output_set_create(m, nan_one, 2, &set, &err), SYN_OK);
  assert_int_equal(syn_instance_outputs_of(inst, set, 2.0, y, some, &err), SYN_ENONFINITE);
  assert_non_null(strstr(err.message, "output 'bad' is nan"));
  assert_true(some[0] == all[0] && isnan(some[1]));
  syn_output_set_destroy(set);

  assert_int_equal(syn_output_set_create(m, NULL, 0, &set, &err), SYN_OK);
  for (size_t i = 0; i < 4; i++) some[i] = -7.0;
  assert_int_equal(syn_instance_outputs_of(inst, set, 2.0, y, some, &err), SYN_OK);
  assert_true(some[0] == -7.0 && some[3] == -7.0);
  syn_output_set_destroy(set);
  set = NULL;

  const size_t beyond[] = {4};
  assert_int_equal(syn_output_set_create(m, beyond, 1, &set, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "the model has 4 outputs"));
  assert_null(set);
  assert_int_equal(syn_model_load_text("d.model", decay_text, strlen(decay_text), &other, &err),
                   SYN_OK);
  assert_int_equal(syn_output_set_create(other, nan_one + 1, 1, &set, &err), SYN_OK);
  assert_int_equal(syn_instance_outputs_of(inst, set, 2.0, y, some, &err), SYN_EINVAL);
  syn_output_set_destroy(set);
  syn_output_set_destroy(NULL);

  for (long k = 1; k < 20; k++) {
    set = NULL;
    syn_alloc_test_fail_after(k);
    syn_status st = syn_output_set_create(m, pick, 3, &set, &err);
    syn_alloc_test_fail_after(0);
    if (st == SYN_OK) {
      syn_output_set_destroy(set);
      break;
    }
    assert_int_equal(st, SYN_ENOMEM);
    assert_null(set);
  }
  syn_model_destroy(other);
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

/* --- an arm that keeps some metrics --------------------------------------------------- */

/* outputs_text without its NaN output (an arm records every output). */
static const char keep_model[] =
    "model \"keep\"\n"
    "time unit h\n"
    "param k = 0.5 /h \"elimination\"\n"
    "state X = 100 \"amount\"\n"
    "state Y = 3 \"other\"\n"
    "d/dt X = -k * X\n"
    "d/dt Y = -Y\n"
    "let w = exp(X / 50) \"shared\"\n"
    "output frac = X / 100 \"fraction left\"\n"
    "output mix = w * Y + sin(X) \"nonlinear\"\n"
    "output sq = w * w \"square\"\n";

static const char keep_scenario[] =
    "scenario \"keep\"\n"
    "model \"o.model\"\n"
    "simulate 0 h to 10 h every 1 h\n"
    "arm \"a\"\n"
    "metric area = auc(X, 0 h, 8 h)\n"
    "metric peak_mix = max(mix, 1 h, 9 h)\n"
    "metric nowhere = at(frac, 0.5 * at(X, 0 h))\n"
    "metric half = time_below(X, 0.5 * at(X, 0 h))\n";

static void write_text(const char *dir, const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static double metric_of(const syn_arm_result *r, size_t i) {
  double v = -1.0;
  syn_result_metric(r->series, i, NULL, NULL, NULL, &v);
  return v;
}

/* A sweep keeps some metrics: those are the values of a full run, the others
 * NaN and not warned about (the probe whose window is outside the run warns
 * only when kept); without series the result has no times. */
static void test_arm_keeps_some_metrics(void **state) {
  (void)state;
  char dir[] = "/tmp/test_metrics_XXXXXX", path[512];
  assert_non_null(mkdtemp(dir));
  write_text(dir, "o.model", keep_model);
  write_text(dir, "s.scenario", keep_scenario);
  snprintf(path, sizeof path, "%s/s.scenario", dir);
  syn_scenario *s = NULL;
  syn_arm_result *full = NULL, *part = NULL;
  syn_error err;
  if (syn_scenario_load(path, &s, &err) != SYN_OK) fail_msg("scenario: %s", err.message);
  assert_int_equal(syn_scenario_run_arm(s, 0, NULL, NULL, 0, &full, &err), SYN_OK);
  assert_int_equal(full->nwarnings, 1);
  assert_int_equal(syn_result_ntimes(full->series), 11);
  const unsigned char kept[] = {0, 1, 0, 1};
  syn_arm_keep keep = {kept, 0};
  assert_int_equal(syn_scenario_run_arm_keep(s, 0, NULL, NULL, 0, &keep, &part, &err), SYN_OK);
  assert_int_equal(part->nwarnings, 0);
  assert_int_equal(syn_result_ntimes(part->series), 0);
  assert_int_equal(syn_result_metric_count(part->series), 4);
  assert_true(isnan(metric_of(part, 0)) && isnan(metric_of(part, 2)));
  assert_true(metric_of(part, 1) == metric_of(full, 1)); /* bit for bit */
  assert_true(metric_of(part, 3) == metric_of(full, 3)); /* a nested metric: two rounds */
  assert_true(isfinite(metric_of(full, 1)) && isfinite(metric_of(full, 3)));
  syn_arm_result_destroy(part);
  keep = (syn_arm_keep){NULL, 1};
  assert_int_equal(syn_scenario_run_arm_keep(s, 0, NULL, NULL, 0, &keep, &part, &err), SYN_OK);
  for (size_t i = 0; i < 4; i++)
    if (i != 2) assert_true(metric_of(part, i) == metric_of(full, i));
  assert_int_equal(syn_result_ntimes(part->series), 11);
  syn_arm_result_destroy(part);
  syn_arm_result_destroy(full);
  syn_scenario_destroy(s);
  /* an output that is not finite at an output time fails the run, series or not */
  write_text(dir, "o.model", outputs_text);
  if (syn_scenario_load(path, &s, &err) != SYN_OK) fail_msg("scenario: %s", err.message);
  keep = (syn_arm_keep){kept, 0};
  assert_int_equal(syn_scenario_run_arm_keep(s, 0, NULL, NULL, 0, &keep, &part, &err),
                   SYN_ENONFINITE);
  assert_non_null(strstr(err.message, "output 'bad'"));
  assert_null(part);
  syn_scenario_destroy(s);
  snprintf(path, sizeof path, "%s/s.scenario", dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/o.model", dir);
  unlink(path);
  rmdir(dir);
}

/* No allocation during the run; bad probes are refused; allocation failures
 * at create leave nothing behind. */
static void test_no_allocation_and_errors(void **state) {
  (void)state;
  syn_probe p[] = {probe(PROBE_AUC, 2, 0.0, 10.0, 0), probe(PROBE_TMAX, 0, 0.0, 10.0, 0),
                   probe(PROBE_TIME_BELOW, 1, 0.0, 10.0, 0.5)};
  harness h;
  harness_open(&h, decay_text, p, 3);
  const double t_out[] = {2.0, 10.0};
  long before = syn_alloc_test_count();
  harness_run(&h, t_out, 2, NULL, 0, 0, 0.0);
  assert_int_equal(syn_alloc_test_count(), before);
  check_abs(p[2].value, log(2.0) / K, 1e-9, "time_below 0.5 of frac");

  syn_error err;
  syn_metrics *m = NULL;
  syn_probe bad[] = {probe(PROBE_AUC, 3, 0.0, 1.0, 0)};
  assert_int_equal(syn_metrics_create(h.inst, bad, 1, &m, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "1 states and 2 outputs"));
  assert_null(m);
  bad[0] = probe(PROBE_AUC, 0, 2.0, 1.0, 0);
  assert_int_equal(syn_metrics_create(h.inst, bad, 1, &m, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "invalid window"));
  bad[0] = probe(PROBE_TIME_ABOVE, 0, 0.0, 1.0, NAN);
  assert_int_equal(syn_metrics_create(h.inst, bad, 1, &m, &err), SYN_EINVAL);
  assert_int_equal(syn_metrics_create(NULL, bad, 1, &m, &err), SYN_EINVAL);
  syn_metrics_destroy(NULL);

  for (long k = 1; k < 30; k++) {
    syn_alloc_test_fail_after(k);
    syn_status st = syn_metrics_create(h.inst, p, 3, &m, &err);
    syn_alloc_test_fail_after(0);
    if (st == SYN_OK) {
      syn_metrics_destroy(m);
      break;
    }
    assert_int_equal(st, SYN_ENOMEM);
    assert_null(m);
  }
  harness_close(&h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_auc_decay),
      cmocka_unit_test(test_auc_across_bolus),
      cmocka_unit_test(test_point_outputs_beside_step_outputs),
      cmocka_unit_test(test_bateman_peak),
      cmocka_unit_test(test_time_below_above),
      cmocka_unit_test(test_bateman_crossing_and_points),
      cmocka_unit_test(test_doses_at_the_edges),
      cmocka_unit_test(test_dip_inside_one_step),
      cmocka_unit_test(test_no_allocation_and_errors),
      cmocka_unit_test(test_each_point_interpolated_once),
      cmocka_unit_test(test_output_set),
      cmocka_unit_test(test_output_set_each_alone),
      cmocka_unit_test(test_arm_keeps_some_metrics),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
