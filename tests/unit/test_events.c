/* synovia — unit tests of events (docs/language.md §12): the model's view
 * (names, per-joint copies), the solver's root-finding interface on a
 * hand-written ODE (a bouncing ball, bounce times in closed form), the
 * execution log of a run, the constants an event changes (restored for the
 * next run, not reported as the instance's), and the errors: an endless
 * cascade, a negative delay, sensitivities across events (accepted by the
 * solver, computed by the problem layer: tests/unit/test_event_sens.c, an
 * event assigning a parameter included). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "synovia/problem.h"
#include "synovia/run.h"
#include "synovia/solver.h"

static syn_model *load(const char *text) {
  syn_model *m = NULL;
  syn_error err;
  if (syn_model_load_text("test.model", text, strlen(text), &m, &err) != SYN_OK)
    fail_msg("load: %s", err.message);
  return m;
}

static syn_instance *instance(const syn_model *m) {
  syn_instance *inst = NULL;
  syn_error err;
  assert_int_equal(syn_instance_create(m, &inst, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  return inst;
}

/* syn_run over [0, t_end] every dt; the status, the result in *out (or NULL). */
static syn_status run(syn_instance *inst, double t_end, double dt, syn_result **out,
                      syn_error *err) {
  syn_run_opts o;
  syn_run_opts_default(&o);
  o.t_end = t_end;
  o.every = dt;
  o.solver.rtol = 1e-10;
  o.solver.atol = 1e-12;
  return syn_run(inst, &o, out, err);
}

static void test_names_per_joint(void **state) {
  (void)state;
  syn_model *m = load("joints a b\n"
                      "state s = 1\n"
                      "d/dt s = 0\n"
                      "event first when s > 2 { s = 0 }\n"
                      "per joint {\n"
                      "  state x = 1\n"
                      "  d/dt x = -x\n"
                      "  event low when x < 0.5 { x = 1 }\n"
                      "}\n");
  assert_int_equal(syn_model_event_count(m), 3);
  assert_string_equal(syn_model_event_name(m, 0), "first");
  assert_string_equal(syn_model_event_name(m, 1), "a.low");
  assert_string_equal(syn_model_event_name(m, 2), "b.low");
  assert_null(syn_model_event_name(m, 3));
  syn_model_destroy(m);
}

/* The ball: h' = v, v' = -g; at h < 0 (falling) v = -e v. From h0 = 1, v0 = 0
 * it lands at t1 = sqrt(2/g), then each flight lasts 2 e^k v1 / g. */
typedef struct ball {
  double g, e;
  int bounces;
  double t_bounce[8];
} ball;

static int ball_rhs(double t, const double *y, double *ydot, void *ctx) {
  (void)t;
  ydot[0] = y[1];
  ydot[1] = -((ball *)ctx)->g;
  return 0;
}

static int ball_roots(double t, const double *y, double *g, void *ctx) {
  (void)t;
  (void)ctx;
  g[0] = y[0];
  return 0;
}

static syn_status ball_events(double t, double *y, int start, const int *crossed, int *changed,
                              double *due, void *ctx, syn_error *err) {
  (void)err;
  ball *b = ctx;
  *due = INFINITY;
  if (start || crossed == NULL || crossed[0] >= 0) return SYN_OK;
  if (b->bounces < 8) b->t_bounce[b->bounces] = t;
  b->bounces++;
  y[0] = 0;
  y[1] = -b->e * y[1];
  *changed = 1;
  return SYN_OK;
}

static void test_solver_bouncing_ball(void **state) {
  (void)state;
  ball b = {.g = 9.81, .e = 0.5};
  syn_ode ode = {.n = 2, .rhs = ball_rhs, .ctx = &b, .nroots = 1, .roots = ball_roots,
                 .events = ball_events};
  syn_solver_opts o;
  syn_solver_opts_default(&o);
  o.rtol = 1e-10;
  o.atol = 1e-12;
  o.use_jacobian = 0;
  double y0[2] = {1, 0}, tout[2] = {1.5, 2.0};
  syn_solver *s = NULL;
  syn_error err;
  assert_int_equal(syn_solver_create(&ode, &o, 0, y0, &s, &err), SYN_OK);
  if (syn_solver_integrate(s, tout, 2, NULL, 0, NULL, NULL, NULL, NULL, &err) != SYN_OK)
    fail_msg("integrate: %s", err.message);
  double v = sqrt(2 * b.g), t = sqrt(2 / b.g);
  assert_true(b.bounces >= 3);
  for (int k = 0; k < 3; k++) {
    if (fabs(b.t_bounce[k] - t) > 1e-7) fail_msg("bounce %d at %.12g, not %.12g", k, b.t_bounce[k], t);
    v *= b.e;
    t += 2 * v / b.g;
  }
  syn_solver_destroy(s);
}

static const char reset_text[] = "time unit d\n"
                                 "param k = 0.5 /d\n"
                                 "state x = 2\n"
                                 "d/dt x = -k * x\n"
                                 "event reset when x < 1 { x = 2 }\n";

/* The resets are at n ln(2) / k; the log has them in order. */
static void test_log_of_resets(void **state) {
  (void)state;
  syn_model *m = load(reset_text);
  syn_instance *inst = instance(m);
  syn_result *r = NULL;
  syn_error err;
  assert_int_equal(run(inst, 10, 0.5, &r, &err), SYN_OK);
  const double *t;
  const uint32_t *e;
  size_t n = syn_instance_event_log(inst, &t, &e);
  assert_int_equal(n, 7); /* 10 / 1.386 */
  for (size_t k = 0; k < n; k++) {
    assert_int_equal(e[k], 0);
    double want = (double)(k + 1) * log(2) / 0.5;
    if (fabs(t[k] - want) > 1e-7 * want) fail_msg("reset %zu at %.12g, not %.12g", k, t[k], want);
  }
  syn_result_destroy(r);
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

/* k is set to 0 at t = 2: the instance still reports k = 0.5, and a second
 * run starts from it (the same trajectory, bit for bit). */
static void test_constants_restored(void **state) {
  (void)state;
  syn_model *m = load("param k = 0.5\n"
                      "state x = 1\n"
                      "d/dt x = -k * x\n"
                      "event stop when t >= 2 { k = 0 }\n");
  syn_instance *inst = instance(m);
  syn_result *r1 = NULL, *r2 = NULL;
  syn_error err;
  assert_int_equal(run(inst, 5, 1, &r1, &err), SYN_OK);
  assert_true(syn_instance_value(inst, SYN_SYM_PARAM, 0) == 0.5);
  assert_int_equal(run(inst, 5, 1, &r2, &err), SYN_OK);
  size_t n = syn_result_ntimes(r1);
  const double *x1 = syn_result_series(r1, 0), *x2 = syn_result_series(r2, 0);
  for (size_t i = 0; i < n; i++) assert_true(x1[i] == x2[i]);
  if (fabs(x1[n - 1] - exp(-1.0)) > 1e-8) fail_msg("x(5) = %.12g, not e^-1", x1[n - 1]);
  syn_result_destroy(r1);
  syn_result_destroy(r2);
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

static void expect_run_error(const char *text, syn_status code, const char *part) {
  syn_model *m = load(text);
  syn_instance *inst = instance(m);
  syn_result *r = (syn_result *)&r;
  syn_error err;
  assert_int_equal(run(inst, 10, 1, &r, &err), code);
  assert_null(r);
  if (strstr(err.message, part) == NULL) fail_msg("'%s' not in '%s'", part, err.message);
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

static void test_errors(void **state) {
  (void)state;
  expect_run_error("state a = 1\n"
                   "d/dt a = 0\n"
                   "event off when a > 0.5 initially false { a = 0 }\n"
                   "event on when a < 0.5 { a = 1 }\n",
                   SYN_ELIMIT, "endless cascade");
  expect_run_error("state a = 1\n"
                   "d/dt a = -a\n"
                   "event e when a < 0.5 delay -1 { a = 1 }\n",
                   SYN_ENONFINITE, "the delay of event 'e' is -1");
  expect_run_error("state a = 1\n"
                   "d/dt a = -a\n"
                   "event e when a < 0.5 { a = log(a - 1) }\n",
                   SYN_ENONFINITE, "event 'e' assigns nan to 'a'");
}

static int no_dfdp(double t, const double *y, double *const *fs, size_t ns, void *ctx) {
  (void)t, (void)y, (void)fs, (void)ns, (void)ctx;
  return 0;
}

/* The solver takes sensitivities with events: their jumps are the events
 * callback's (syn_psens_events_attach). */
static void test_sensitivities_accepted(void **state) {
  (void)state;
  syn_model *m = load(reset_text);
  syn_instance *inst = instance(m);
  syn_ode ode;
  syn_instance_ode(inst, &ode);
  double y0[1] = {2}, s0[1] = {0};
  const double *S0[1] = {s0};
  syn_solver *s = NULL;
  syn_error err;
  assert_int_equal(syn_solver_create(&ode, NULL, 0, y0, &s, &err), SYN_OK);
  assert_int_equal(syn_solver_sens_start(s, 1, S0, NULL, NULL, no_dfdp, NULL, NULL, &err),
                   SYN_OK);
  syn_solver_destroy(s);
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

/* At the problem layer (fits): the reset's sensitivities are computed
 * (dx/dk = -t x, the resets' times moving with k), and an event assigning a
 * parameter's (its sensitivity jumps to 0 there); values without
 * sensitivities are still computed. */
static void test_problem_sensitivities(void **state) {
  (void)state;
  syn_model *m = load(reset_text);
  syn_run_opts ro;
  syn_run_opts_default(&ro);
  ro.t_end = 5;
  ro.every = 1;
  const char *names[] = {"k"};
  double theta[] = {0.5};
  syn_problem *p = NULL;
  syn_problem_ws *ws = NULL;
  syn_error err;
  assert_int_equal(syn_problem_create_model(m, &ro, names, 1, &p, &err), SYN_OK);
  assert_int_equal(syn_problem_ws_create(p, &ws, &err), SYN_OK);
  syn_problem_want w = {.series = 1, .nsens = SYN_PROBLEM_SENS_ALL};
  syn_problem_result r;
  assert_int_equal(syn_problem_eval(ws, 0, theta, &w, &r, &err), SYN_OK);
  double x5 = r.series[5 * r.nseries];
  if (fabs(r.sens[5 * r.nseries] + 5 * x5) > 1e-4 * 5 * x5)
    fail_msg("dx/dk(5) = %.10g, not %.10g", r.sens[5 * r.nseries], -5 * x5);
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_model_destroy(m);
  m = load("param k = 0.5\nstate x = 2\nd/dt x = -k * x\nevent slow when t > 1 { k = 0.1 }\n");
  assert_int_equal(syn_problem_create_model(m, &ro, names, 1, &p, &err), SYN_OK);
  assert_int_equal(syn_problem_ws_create(p, &ws, &err), SYN_OK);
  /* an event that assigns k: dk/dk = 0 after t = 1, x = 2 e^(-k) e^(-0.1 (t - 1)), dx/dk = -x */
  assert_int_equal(syn_problem_eval(ws, 0, theta, &w, &r, &err), SYN_OK);
  x5 = r.series[5 * r.nseries];
  if (fabs(r.sens[5 * r.nseries] + x5) > 1e-4 * x5)
    fail_msg("dx/dk(5) = %.10g, not %.10g", r.sens[5 * r.nseries], -x5);
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_model_destroy(m);
  m = load(reset_text);
  assert_int_equal(syn_problem_create_model(m, &ro, names, 1, &p, &err), SYN_OK);
  assert_int_equal(syn_problem_ws_create(p, &ws, &err), SYN_OK);
  w.nsens = 0;
  assert_int_equal(syn_problem_eval(ws, 0, theta, &w, &r, &err), SYN_OK);
  assert_int_equal(r.ntimes, 6);
  /* x(5), three resets (every ln(2)/0.5) later: 2 e^{-0.5 (5 mod 2 ln 2)} */
  double want = 2 * exp(-0.5 * fmod(5, 2 * log(2)));
  if (fabs(r.series[5 * r.nseries] - want) > 1e-5 * want)
    fail_msg("x(5) = %.10g, not %.10g", r.series[5 * r.nseries], want);
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_model_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names_per_joint),
      cmocka_unit_test(test_solver_bouncing_ball),
      cmocka_unit_test(test_log_of_resets),
      cmocka_unit_test(test_constants_restored),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_sensitivities_accepted),
      cmocka_unit_test(test_problem_sensitivities),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
