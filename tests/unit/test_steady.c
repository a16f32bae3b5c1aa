/* synovia — unit tests of syn_steady_state (src/solve/steady.c).
 *
 * Hand-written systems with known equilibria: a linear system (exact fixed
 * point), a bistable switch (the root depends on the guess; an unstable root
 * found by Newton is refused and integration decides; a stable root Newton
 * reaches by jumping over the threshold is refused too), logistic growth (K),
 * a conserved total (singular Jacobian: integration keeps the total), a
 * negative root (refused from KINSOL, found again by integration), and
 * systems without a steady state: constant growth, a centre and a limit
 * cycle (van der Pol), each with a clear message. Six-state linear systems
 * with known complex spectra check the stability test (its own QR
 * eigensolver); a Jacobian that is NaN at the root is refused cleanly.
 * Where the integration decides: a saddle KINSOL lands on, a conserved total
 * with its exact (singular) Jacobian, a stable spiral reached by integration
 * (integrated in one pass over the check times, CVODE's large BDF steps kept
 * a spurious oscillation around it going); its checks are at the documented
 * times max_time 1e-9 2^k. KINSOL's root confirmed: a stable spiral is taken
 * once its confirming integration is in the root's linear regime, well before
 * rest; a trajectory that lingers next to a saddle and then leaves for the
 * other node is not taken for KINSOL's node, not even when a slow, linear
 * third state makes up nearly all of the distance to it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "synovia/steady.h"

/* --- systems -------------------------------------------------------------------- */

typedef struct sys {
  double p[4];
} sys;

static const int32_t dense2_colptr[] = {0, 2, 4};
static const int32_t dense2_rowind[] = {0, 1, 0, 1};
static const int32_t one_colptr[] = {0, 1};
static const int32_t one_rowind[] = {0};
static const char *const xy_names[] = {"X", "Y"};

/* X' = a - X, Y' = X - b Y: (a, a/b). */
static int linear_rhs(double t, const double *y, double *f, void *ctx) {
  (void)t;
  const sys *s = ctx;
  f[0] = s->p[0] - y[0];
  f[1] = y[0] - s->p[1] * y[1];
  return 0;
}
static int linear_jac(double t, const double *y, double *j, void *ctx) {
  (void)t, (void)y;
  const sys *s = ctx;
  j[0] = -1.0, j[1] = 1.0, j[2] = 0.0, j[3] = -s->p[1];
  return 0;
}

/* X' = r X (1 - X)(X - a): stable 0 and 1, unstable a. */
static int bistable_rhs(double t, const double *y, double *f, void *ctx) {
  (void)t;
  const sys *s = ctx;
  f[0] = s->p[0] * y[0] * (1.0 - y[0]) * (y[0] - s->p[1]);
  return 0;
}
static int bistable_jac(double t, const double *y, double *j, void *ctx) {
  (void)t;
  const sys *s = ctx;
  double x = y[0], a = s->p[1];
  j[0] = s->p[0] * (-3.0 * x * x + 2.0 * (1.0 + a) * x - a);
  return 0;
}

/* X' = r X (1 - X/K). */
static int logistic_rhs(double t, const double *y, double *f, void *ctx) {
  (void)t;
  const sys *s = ctx;
  f[0] = s->p[0] * y[0] * (1.0 - y[0] / s->p[1]);
  return 0;
}
static int logistic_jac(double t, const double *y, double *j, void *ctx) {
  (void)t;
  const sys *s = ctx;
  j[0] = s->p[0] * (1.0 - 2.0 * y[0] / s->p[1]);
  return 0;
}

/* A <-> B with rates k1, k2: A + B is conserved. No Jacobian given. */
static int exchange_rhs(double t, const double *y, double *f, void *ctx) {
  (void)t;
  const sys *s = ctx;
  double flux = s->p[0] * y[0] - s->p[1] * y[1];
  f[0] = -flux;
  f[1] = flux;
  return 0;
}

/* X' = (X + 1)(X - 2): stable at -1 (negative), unstable at 2. */
static int negroot_rhs(double t, const double *y, double *f, void *ctx) {
  (void)t, (void)ctx;
  f[0] = (y[0] + 1.0) * (y[0] - 2.0);
  return 0;
}

/* X' = 1: no steady state. */
static int growth_rhs(double t, const double *y, double *f, void *ctx) {
  (void)t, (void)y, (void)ctx;
  f[0] = 1.0;
  return 0;
}
static int growth_jac(double t, const double *y, double *j, void *ctx) {
  (void)t, (void)y, (void)ctx;
  j[0] = 0.0;
  return 0;
}

/* van der Pol: X' = Y, Y' = mu (1 - X^2) Y - X; mu = 0: a centre. */
static int vdp_rhs(double t, const double *y, double *f, void *ctx) {
  (void)t;
  const sys *s = ctx;
  f[0] = y[1];
  f[1] = s->p[0] * (1.0 - y[0] * y[0]) * y[1] - y[0];
  return 0;
}
static int vdp_jac(double t, const double *y, double *j, void *ctx) {
  (void)t;
  const sys *s = ctx;
  j[0] = 0.0;                                   /* dX'/dX */
  j[1] = -2.0 * s->p[0] * y[0] * y[1] - 1.0;    /* dY'/dX */
  j[2] = 1.0;                                   /* dX'/dY */
  j[3] = s->p[0] * (1.0 - y[0] * y[0]);         /* dY'/dY */
  return 0;
}

static syn_ode ode1(syn_ode_rhs_fn rhs, syn_ode_jac_fn jac, sys *s) {
  syn_ode o = {1, rhs, jac, 1, one_colptr, one_rowind, NULL, xy_names, "h", s, 0, NULL, NULL};
  if (jac == NULL) o.nnz = 0, o.colptr = NULL, o.rowind = NULL;
  return o;
}

static syn_ode ode2(syn_ode_rhs_fn rhs, syn_ode_jac_fn jac, sys *s) {
  syn_ode o = {2, rhs, jac, 4, dense2_colptr, dense2_rowind, NULL, xy_names, "h", s, 0, NULL, NULL};
  if (jac == NULL) o.nnz = 0, o.colptr = NULL, o.rowind = NULL;
  return o;
}

static syn_steady_opts tight(void) {
  syn_steady_opts o;
  syn_steady_opts_default(&o);
  o.solver.rtol = 1e-10;
  o.solver.atol = 1e-12;
  return o;
}

static void steady_ok(const syn_ode *ode, double *y, const syn_steady_opts *o,
                      syn_steady_info *info) {
  syn_error err;
  syn_status st = syn_steady_state(ode, 0.0, y, o, info, &err);
  if (st != SYN_OK) fail_msg("steady state: %s", err.message);
  print_message("  %s: %ld iterations/steps, residual %.3g, integrated %g\n", info->method,
                info->iterations, info->residual, info->t_integrated);
}

static void check_close(double got, double want, double rel, const char *what) {
  double d = fabs(got - want);
  if (!(d <= rel * fabs(want) + 1e-14))
    fail_msg("%s: got %.15g, want %.15g (rel. diff %.3g)", what, got, want, d / fabs(want));
}

/* --- tests ---------------------------------------------------------------------- */

static void test_linear(void **state) {
  (void)state;
  sys s = {{2.0, 3.0, 0, 0}};
  syn_ode ode = ode2(linear_rhs, linear_jac, &s);
  syn_steady_opts o = tight();
  syn_steady_info info;
  double y[2] = {0.0, 0.0};
  steady_ok(&ode, y, &o, &info);
  assert_string_equal(info.method, "kinsol");
  assert_true(info.iterations >= 1);
  assert_true(info.t_integrated == 0.0);
  assert_true(info.residual < 1e-3);
  check_close(y[0], 2.0, 1e-12, "X");
  check_close(y[1], 2.0 / 3.0, 1e-12, "Y");
  /* the same without the exact Jacobian (KINSOL's difference quotients) */
  ode.jac = NULL;
  y[0] = 5.0, y[1] = 7.0;
  steady_ok(&ode, y, &o, &info);
  assert_string_equal(info.method, "kinsol");
  check_close(y[0], 2.0, 1e-9, "X (no Jacobian)");
  check_close(y[1], 2.0 / 3.0, 1e-9, "Y (no Jacobian)");
}

/* Guesses near each stable root go there; a guess next to the unstable root
 * lets Newton land on it, which is refused: integration goes to 1. */
static void test_bistable(void **state) {
  (void)state;
  sys s = {{2.0, 0.3, 0, 0}};
  syn_ode ode = ode1(bistable_rhs, bistable_jac, &s);
  syn_steady_opts o = tight();
  syn_steady_info info;
  double y = 0.8;
  steady_ok(&ode, &y, &o, &info);
  assert_string_equal(info.method, "kinsol");
  check_close(y, 1.0, 1e-12, "from 0.8");
  y = 0.1;
  steady_ok(&ode, &y, &o, &info);
  assert_string_equal(info.method, "kinsol");
  assert_true(fabs(y) <= 1e-12);
  y = 0.3001;
  steady_ok(&ode, &y, &o, &info);
  assert_string_equal(info.method, "integration");
  assert_true(info.t_integrated > 0.0);
  check_close(y, 1.0, 1e-8, "from 0.3001 (above the unstable root)");
  y = 0.2999;
  steady_ok(&ode, &y, &o, &info);
  assert_string_equal(info.method, "integration");
  assert_true(fabs(y) <= 1e-9);
}

/* Newton jumps basins: from 0.15 (which settles to 0) its first step lands
 * exactly on the stable root 1, from 0.65 (which settles to 1) on 0. Both
 * roots are attracting; the model's own trajectory decides. */
static void test_bistable_newton_jumps_basin(void **state) {
  (void)state;
  sys s = {{2.0, 0.3, 0, 0}};
  syn_ode ode = ode1(bistable_rhs, bistable_jac, &s);
  syn_steady_opts o = tight();
  syn_steady_info info;
  double y = 0.15;
  steady_ok(&ode, &y, &o, &info);
  if (!(fabs(y) <= 1e-9)) fail_msg("from 0.15: got %g (%s), want 0", y, info.method);
  assert_string_equal(info.method, "integration");
  y = 0.65;
  steady_ok(&ode, &y, &o, &info);
  check_close(y, 1.0, 1e-8, "from 0.65");
  /* well inside a basin KINSOL's (sharper) root is kept */
  y = 0.9;
  steady_ok(&ode, &y, &o, &info);
  assert_string_equal(info.method, "kinsol");
  check_close(y, 1.0, 1e-12, "from 0.9");
}

/* From a small population Newton overshoots to the unstable 0 (or below):
 * the answer is K either way. */
static void test_logistic(void **state) {
  (void)state;
  sys s = {{0.5, 100.0, 0, 0}};
  syn_ode ode = ode1(logistic_rhs, logistic_jac, &s);
  syn_steady_opts o = tight();
  syn_steady_info info;
  const double guesses[] = {1.0, 10.0, 80.0, 250.0};
  for (size_t k = 0; k < 4; k++) {
    double y = guesses[k];
    steady_ok(&ode, &y, &o, &info);
    check_close(y, 100.0, 1e-8, "logistic K");
  }
}

/* A conserved total: the Jacobian is singular, KINSOL cannot be used; the
 * integration keeps the total of the guess. */
static void test_conserved_total(void **state) {
  (void)state;
  sys s = {{0.2, 0.6, 0, 0}};
  syn_ode ode = ode2(exchange_rhs, NULL, &s);
  syn_steady_opts o = tight();
  syn_steady_info info;
  double y[2] = {4.0, 0.0};
  steady_ok(&ode, y, &o, &info);
  assert_string_equal(info.method, "integration");
  assert_true(info.t_integrated > 1.0);
  assert_true(isfinite(info.residual));
  check_close(y[0], 4.0 * 0.6 / 0.8, 1e-8, "A");
  check_close(y[1], 4.0 * 0.2 / 0.8, 1e-8, "B");
}

/* A conserved pair (KINSOL's Jacobian is singular: integration decides) and a
 * slow mode, C' = -(C - 1) / 200 h from C = 2. With max_time 3000 h the slow
 * mode is still moving when the time runs out (r * T ~ 5 tolerance units), but
 * its rate has been falling with a 200 h time constant, so what is left to
 * come is r * 200 h < 1 tolerance unit: that is a steady state, and the
 * projected-drift test of steady.h must say so. */
static int exchange_slow_rhs(double t, const double *y, double *f, void *ctx) {
  (void)t;
  (void)ctx;
  double flux = 0.2 * y[0] - 0.6 * y[1];
  f[0] = -flux;
  f[1] = flux;
  f[2] = -(y[2] - 1.0) / 200.0;
  return 0;
}

static void test_slow_mode_settles_by_its_time_constant(void **state) {
  (void)state;
  static const char *const names[] = {"A", "B", "C"};
  syn_ode ode = {3, exchange_slow_rhs, NULL, 0, NULL, NULL, NULL, names, "h", NULL, 0, NULL, NULL};
  syn_steady_opts o;
  syn_steady_opts_default(&o);
  o.solver.rtol = 1e-6;
  o.solver.atol = 1e-9;
  o.max_time = 3000.0;
  syn_steady_info info;
  double y[3] = {4.0, 0.0, 2.0};
  steady_ok(&ode, y, &o, &info);
  assert_string_equal(info.method, "integration");
  assert_true(info.residual * info.t_integrated > o.ftol); /* the plain test alone fails */
  check_close(y[2], 1.0, 2e-6, "C at rest within tolerance");
  check_close(y[0], 3.0, 1e-6, "A");
}

/* KINSOL's negative root from a non-negative guess is not taken; integration
 * from the guess decides (here it goes to the same root: the model says so). */
static void test_negative_root(void **state) {
  (void)state;
  syn_ode ode = ode1(negroot_rhs, NULL, NULL);
  syn_steady_opts o = tight();
  syn_steady_info info;
  double y = 0.1;
  steady_ok(&ode, &y, &o, &info);
  assert_string_equal(info.method, "integration");
  check_close(y, -1.0, 1e-8, "the negative root, by integration");
  /* from a negative guess, KINSOL's answer is taken */
  y = -0.5;
  steady_ok(&ode, &y, &o, &info);
  assert_string_equal(info.method, "kinsol");
  check_close(y, -1.0, 1e-12, "the negative root, by KINSOL");
}

static void test_no_steady_state_growth(void **state) {
  (void)state;
  syn_ode ode = ode1(growth_rhs, growth_jac, NULL);
  syn_steady_opts o;
  syn_steady_opts_default(&o);
  syn_steady_info info;
  syn_error err;
  double y = 0.0;
  assert_int_equal(syn_steady_state(&ode, 0.0, &y, &o, &info, &err), SYN_ESOLVER);
  print_message("%s\n  hint: %s\n", err.message, err.hint);
  assert_non_null(strstr(err.message, "no steady state found"));
  assert_non_null(strstr(err.message, "'X' keeps growing"));
  assert_non_null(strstr(err.message, "KINSOL found no root either: the Jacobian is singular"));
  assert_non_null(strstr(err.hint, "baseline 0"));
  assert_string_equal(info.method, "integration");
  assert_true(info.t_integrated == o.max_time);
  assert_true(y > 0.99e6); /* where the integration stopped */
}

/* A centre (mu = 0) and a limit cycle (mu = 1): KINSOL's root at the origin
 * is a steady state, but not one the model settles into from the guess; the
 * integration sees an oscillation. */
static void test_no_steady_state_oscillation(void **state) {
  (void)state;
  for (int k = 0; k < 2; k++) {
    sys s = {{k == 0 ? 0.0 : 1.0, 0, 0, 0}};
    syn_ode ode = ode2(vdp_rhs, vdp_jac, &s);
    syn_steady_opts o;
    syn_steady_opts_default(&o);
    syn_steady_info info;
    syn_error err;
    double y[2] = {2.0, 0.0};
    assert_int_equal(syn_steady_state(&ode, 0.0, y, &o, &info, &err), SYN_ESOLVER);
    print_message("%s\n", err.message);
    assert_non_null(strstr(err.message, "no steady state found"));
    assert_non_null(strstr(err.message, "oscillates"));
    assert_non_null(strstr(err.message, "KINSOL's root is not attracting"));
  }
}

/* A stable focus (mu < 0 damps near the origin): complex eigenvalues with a
 * negative real part are attracting, so KINSOL's root is taken. */
static void test_damped_oscillation_converges(void **state) {
  (void)state;
  sys s = {{-0.3, 0, 0, 0}}; /* negative mu near the origin: damping */
  syn_ode ode = ode2(vdp_rhs, vdp_jac, &s);
  syn_steady_opts o = tight();
  syn_steady_info info;
  double y[2] = {0.5, 0.0};
  steady_ok(&ode, y, &o, &info);
  assert_string_equal(info.method, "kinsol");
  assert_true(fabs(y[0]) < 1e-12 && fabs(y[1]) < 1e-12);
}

/* T is one of the check times max_time * 1e-9 * 2^k (or max_time). */
static void check_time_is_a_check(double T, double max_time) {
  double k = log2(T / (max_time * 1e-9));
  if (!(T == max_time || (k >= 0 && fabs(k - nearbyint(k)) < 1e-9)))
    fail_msg("integrated %.17g: not a check time (k = %.17g)", T, k);
}

/* X' = X - X^3, Y' = -2 Y: a saddle at the origin (eigenvalues 1 and -2),
 * stable nodes at (+-1, 0). From (0.01, 1) Newton lands on the saddle, which
 * is refused (an eigenvalue with a positive real part); the integration goes
 * to (1, 0). */
static int saddle_rhs(double t, const double *y, double *f, void *ctx) {
  (void)t, (void)ctx;
  f[0] = y[0] - y[0] * y[0] * y[0];
  f[1] = -2.0 * y[1];
  return 0;
}
static int saddle_jac(double t, const double *y, double *j, void *ctx) {
  (void)t, (void)ctx;
  j[0] = 1.0 - 3.0 * y[0] * y[0], j[1] = 0.0, j[2] = 0.0, j[3] = -2.0;
  return 0;
}

static void test_saddle_refused(void **state) {
  (void)state;
  syn_ode ode = ode2(saddle_rhs, saddle_jac, NULL);
  syn_steady_opts o = tight();
  syn_steady_info info;
  double y[2] = {0.01, 1.0};
  steady_ok(&ode, y, &o, &info);
  assert_string_equal(info.method, "integration");
  check_close(y[0], 1.0, 1e-8, "X at the node");
  assert_true(fabs(y[1]) < 1e-9);
  check_time_is_a_check(info.t_integrated, o.max_time);
  /* from the other side, the other node; next to a node, KINSOL's root */
  y[0] = -0.01, y[1] = 1.0;
  steady_ok(&ode, y, &o, &info);
  check_close(y[0], -1.0, 1e-8, "X at the other node");
  y[0] = 0.9, y[1] = 0.1;
  steady_ok(&ode, y, &o, &info);
  assert_string_equal(info.method, "kinsol");
  check_close(y[0], 1.0, 1e-12, "X by KINSOL");
}

/* A <-> B with the exact Jacobian: a zero eigenvalue (the total is
 * conserved), so KINSOL's answer cannot be judged; the integration keeps the
 * total of the guess. */
static int exchange_jac(double t, const double *y, double *j, void *ctx) {
  (void)t, (void)y;
  const sys *s = ctx;
  j[0] = -s->p[0], j[1] = s->p[0], j[2] = s->p[1], j[3] = -s->p[1];
  return 0;
}

static void test_conserved_total_exact_jacobian(void **state) {
  (void)state;
  sys s = {{0.2, 0.6, 0, 0}};
  syn_ode ode = ode2(exchange_rhs, exchange_jac, &s);
  syn_steady_opts o = tight();
  syn_steady_info info;
  double y[2] = {1.0, 3.0};
  steady_ok(&ode, y, &o, &info);
  assert_string_equal(info.method, "integration");
  check_close(y[0], 4.0 * 0.6 / 0.8, 1e-8, "A");
  check_close(y[1], 4.0 * 0.2 / 0.8, 1e-8, "B");
  check_time_is_a_check(info.t_integrated, o.max_time);
}

/* A stable spiral around (-1, -1) (eigenvalues -0.1 +- i): from (0, 0) KINSOL's
 * root is negative, so not taken; the integration winds in (its rate changes
 * sign check after check) and settles there: a damped oscillation is not a
 * sustained one. */
static int spiral_rhs(double t, const double *y, double *f, void *ctx) {
  (void)t, (void)ctx;
  double u = y[0] + 1.0, v = y[1] + 1.0;
  f[0] = -0.1 * u - v;
  f[1] = u - 0.1 * v;
  return 0;
}
static int spiral_jac(double t, const double *y, double *j, void *ctx) {
  (void)t, (void)y, (void)ctx;
  j[0] = -0.1, j[1] = 1.0, j[2] = -1.0, j[3] = -0.1;
  return 0;
}

static void test_spiral_settles_by_integration(void **state) {
  (void)state;
  syn_ode ode = ode2(spiral_rhs, spiral_jac, NULL);
  syn_steady_opts o = tight();
  syn_steady_info info;
  double y[2] = {0.0, 0.0};
  steady_ok(&ode, y, &o, &info);
  assert_string_equal(info.method, "integration");
  check_close(y[0], -1.0, 1e-8, "X");
  check_close(y[1], -1.0, 1e-8, "Y");
  check_time_is_a_check(info.t_integrated, o.max_time);
}

/* X' = r X (1 - X)(X - a) + b Y^2, Y' = -Y (r 2, a 0.3, b 0.3508): nodes at
 * (0, 0) and (1, 0), a saddle at (0.3, 0). From (0.15, 1) Newton lands on the
 * node (1, 0), attracting; but the trajectory, kicked up by Y^2, climbs to
 * within 3e-4 of the saddle (b is just below the 0.35090 that would carry it
 * over), lingers there for some 10 h, and falls back to (0, 0). The
 * confirmation must not take (1, 0): not on the way (the linear test at
 * (1, 0) fails by the whole distance near the saddle), nor by skipping. */
static int kicked_rhs(double t, const double *y, double *f, void *ctx) {
  (void)t, (void)ctx;
  f[0] = 2.0 * y[0] * (1.0 - y[0]) * (y[0] - 0.3) + 0.3508 * y[1] * y[1];
  f[1] = -y[1];
  return 0;
}
static int kicked_jac(double t, const double *y, double *j, void *ctx) {
  (void)t, (void)ctx;
  double x = y[0];
  j[0] = 2.0 * (-3.0 * x * x + 2.0 * 1.3 * x - 0.3), j[1] = 0.0;
  j[2] = 2.0 * 0.3508 * y[1], j[3] = -1.0;
  return 0;
}

static void test_passing_a_saddle_not_accepted(void **state) {
  (void)state;
  syn_ode ode = ode2(kicked_rhs, kicked_jac, NULL);
  syn_steady_opts o = tight();
  syn_steady_info info;
  double y[2] = {0.15, 1.0};
  steady_ok(&ode, y, &o, &info);
  if (!(fabs(y[0]) <= 1e-9 && fabs(y[1]) <= 1e-9))
    fail_msg("got (%g, %g) by %s, want the node (0, 0) the trajectory reaches", y[0], y[1],
             info.method);
  assert_string_equal(info.method, "integration");
}

/* The kicked switch with a third, slow and linear state: Z' = -0.1 Z from
 * Z = 1000, which dominates any norm of the distance to a root. The
 * trajectory lingers near the saddle and falls back to (0, 0, 0) as above,
 * the other node from KINSOL's (1, 0, 0). There, and near the saddle, the
 * linear test at (1, 0, 0) holds for Z (exactly linear, by far the largest
 * distance) and fails for X by the whole of its distance: a misfit measured
 * in a norm of the distance (|e| <= 0.1 |x|, in tolerance units) instead of
 * state by state would pass it and take (1, 0, 0) once the time constant
 * rule allows (some 20 h, Z's tau being 10 h). */
static const int32_t dense3_colptr[] = {0, 3, 6, 9};
static const int32_t dense3_rowind[] = {0, 1, 2, 0, 1, 2, 0, 1, 2};
static const char *const xyz_names[] = {"X", "Y", "Z"};

static int kicked_slow_rhs(double t, const double *y, double *f, void *ctx) {
  kicked_rhs(t, y, f, ctx);
  f[2] = -0.1 * y[2];
  return 0;
}
static int kicked_slow_jac(double t, const double *y, double *j, void *ctx) {
  double j2[4];
  kicked_jac(t, y, j2, ctx);
  memset(j, 0, 9 * sizeof *j);
  j[0] = j2[0], j[1] = j2[1], j[3] = j2[2], j[4] = j2[3];
  j[8] = -0.1;
  return 0;
}

static void test_slow_linear_state_does_not_hide_the_other_node(void **state) {
  (void)state;
  syn_ode ode = {3, kicked_slow_rhs, kicked_slow_jac, 9, dense3_colptr, dense3_rowind, NULL,
                 xyz_names, "h", NULL, 0, NULL, NULL};
  syn_steady_opts o = tight();
  syn_steady_info info;
  double y[3] = {0.15, 1.0, 1000.0};
  steady_ok(&ode, y, &o, &info);
  if (!(fabs(y[0]) <= 1e-9 && fabs(y[1]) <= 1e-9 && fabs(y[2]) <= 1e-6))
    fail_msg("got (%g, %g, %g) by %s, want the node (0, 0, 0) the trajectory reaches", y[0],
             y[1], y[2], info.method);
  assert_string_equal(info.method, "integration");
}

/* The damped van der Pol (mu -0.3) from (0.5, 0): a stable focus at the
 * origin, KINSOL's root. The confirming integration winds in and stops once
 * it is where the linearisation governs (two checks in a row), long before
 * the trajectory is at rest: at rest (r T <= 1, atol 1e-12) needs about
 * 0.5 e^(-0.15 T) <= 1e-12 / T, T ~ 210 h; the linear regime (misfit
 * mu X^2 / 10 within a tenth) is reached within a few tens of hours. */
static void test_spiral_confirmed_in_linear_regime(void **state) {
  (void)state;
  sys s = {{-0.3, 0, 0, 0}};
  syn_ode ode = ode2(vdp_rhs, vdp_jac, &s);
  syn_steady_opts o = tight();
  syn_steady_info info;
  double y[2] = {0.5, 0.0};
  steady_ok(&ode, y, &o, &info);
  print_message("  confirmed over %g h, %ld steps\n", info.t_confirmed, info.confirm_steps);
  assert_string_equal(info.method, "kinsol");
  assert_true(y[0] == 0.0 && y[1] == 0.0);
  assert_true(info.confirm_steps > 0);
  /* checks from one time constant (tau = 1 / 0.15 h) on, over a run of one
   * more: never before 2 tau */
  assert_true(info.t_confirmed >= 2.0 / 0.15);
  assert_true(info.t_confirmed < 100.0);
}

/* An attracting focus inside an unstable cycle inside a stable one:
 * X' = g X - Y, Y' = g Y + X, g = -0.1 + r^2 - r^4 (r^2 = X^2 + Y^2): the
 * origin is attracting (-0.1 +- i), the cycles are at r^2 = 0.113 (unstable)
 * and 0.887 (stable). From (0.5, 0), r^2 = 0.25, the trajectory winds out
 * onto the stable cycle. KINSOL's root is the origin; the confirming
 * integration must never see it in the origin's linear regime (it runs to
 * max_time, where the origin stands as documented: no other steady state
 * was reached). */
static int cycles_rhs(double t, const double *y, double *f, void *ctx) {
  (void)t, (void)ctx;
  double r2 = y[0] * y[0] + y[1] * y[1], g = -0.1 + r2 - r2 * r2;
  f[0] = g * y[0] - y[1];
  f[1] = g * y[1] + y[0];
  return 0;
}

static void test_limit_cycle_never_confirmed_early(void **state) {
  (void)state;
  syn_ode ode = ode2(cycles_rhs, NULL, NULL);
  syn_steady_opts o;
  syn_steady_opts_default(&o);
  o.max_time = 1e3;
  syn_steady_info info;
  double y[2] = {0.5, 0.0};
  steady_ok(&ode, y, &o, &info);
  print_message("  confirmed over %g h, %ld steps\n", info.t_confirmed, info.confirm_steps);
  assert_string_equal(info.method, "kinsol");
  assert_true(info.t_confirmed == o.max_time);
}

static void test_bad_arguments(void **state) {
  (void)state;
  sys s = {{2.0, 3.0, 0, 0}};
  syn_ode ode = ode2(linear_rhs, linear_jac, &s);
  syn_steady_opts o;
  syn_error err;
  double y[2] = {0.0, 0.0};
  syn_steady_opts_default(&o);
  o.ftol = 0.0;
  assert_int_equal(syn_steady_state(&ode, 0.0, y, &o, NULL, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "ftol"));
  syn_steady_opts_default(&o);
  o.max_iters = 0;
  assert_int_equal(syn_steady_state(&ode, 0.0, y, &o, NULL, &err), SYN_EINVAL);
  syn_steady_opts_default(&o);
  o.max_time = -1.0;
  assert_int_equal(syn_steady_state(&ode, 0.0, y, &o, NULL, &err), SYN_EINVAL);
  y[1] = NAN;
  assert_int_equal(syn_steady_state(&ode, 0.0, y, NULL, NULL, &err), SYN_ENONFINITE);
  assert_non_null(strstr(err.message, "'Y'"));
  assert_int_equal(syn_steady_state(NULL, 0.0, y, NULL, NULL, &err), SYN_EINVAL);
  /* NULL options and info are allowed */
  y[0] = 1.0, y[1] = 1.0;
  assert_int_equal(syn_steady_state(&ode, 0.0, y, NULL, NULL, &err), SYN_OK);
  check_close(y[0], 2.0, 1e-9, "X with default options");
}

static void test_alloc_failures(void **state) {
  (void)state;
  sys s = {{0.2, 0.6, 0, 0}};
  syn_ode ode = ode2(exchange_rhs, NULL, &s); /* the integration path too */
  syn_error err;
  for (long k = 1; k < 200; k++) {
    double y[2] = {3.0, 1.0};
    syn_alloc_test_fail_after(k);
    syn_status st = syn_steady_state(&ode, 0.0, y, NULL, NULL, &err);
    syn_alloc_test_fail_after(0);
    if (st == SYN_OK) break;
    assert_int_equal(st, SYN_ENOMEM);
  }
}

/* --- six states: y' = A (y - c), A = Q B Q with B block diagonal of known
 * eigenvalues and Q = I - 2 v v^T / v^T v (orthogonal, its own inverse) ---- */

enum { N6 = 6 };
typedef struct lin6 {
  double a[N6 * N6]; /* row-major A */
  double c[N6];
  int nan_at_root;   /* the Jacobian has a NaN entry exactly at y = c */
} lin6;
static int32_t dense6_colptr[N6 + 1], dense6_rowind[N6 * N6];

static int lin6_rhs(double t, const double *y, double *f, void *ctx) {
  (void)t;
  const lin6 *L = ctx;
  for (int i = 0; i < N6; i++) {
    f[i] = 0.0;
    for (int j = 0; j < N6; j++) f[i] += L->a[i * N6 + j] * (y[j] - L->c[j]);
  }
  return 0;
}
static int lin6_jac(double t, const double *y, double *jv, void *ctx) {
  (void)t;
  const lin6 *L = ctx;
  int at_root = 1;
  for (int i = 0; i < N6; i++) at_root &= y[i] == L->c[i];
  for (int j = 0; j < N6; j++)
    for (int i = 0; i < N6; i++) jv[j * N6 + i] = L->a[i * N6 + j]; /* column-major */
  if (L->nan_at_root && at_root) jv[0 * N6 + 2] = (double)NAN;   /* d f2 / d y0 */
  return 0;
}

/* B: blocks [[re, -im], [im, re]] for the pairs re +- i im, then reals. */
static void lin6_make(lin6 *L, const double *re, const double *im) {
  double b[N6 * N6] = {0}, v[N6] = {1.0, -2.0, 0.5, 3.0, -1.0, 2.0}, q[N6 * N6], qb[N6 * N6],
         vv = 0.0;
  for (int k = 0; k < N6; k += 2) {
    b[k * N6 + k] = re[k / 2], b[(k + 1) * N6 + k + 1] = re[k / 2];
    b[k * N6 + k + 1] = -im[k / 2], b[(k + 1) * N6 + k] = im[k / 2];
  }
  for (int i = 0; i < N6; i++) vv += v[i] * v[i];
  for (int i = 0; i < N6; i++)
    for (int j = 0; j < N6; j++) q[i * N6 + j] = (i == j) - 2.0 * v[i] * v[j] / vv;
  for (int i = 0; i < N6; i++)
    for (int j = 0; j < N6; j++) {
      qb[i * N6 + j] = 0.0;
      for (int k = 0; k < N6; k++) qb[i * N6 + j] += q[i * N6 + k] * b[k * N6 + j];
    }
  for (int i = 0; i < N6; i++)
    for (int j = 0; j < N6; j++) {
      L->a[i * N6 + j] = 0.0;
      for (int k = 0; k < N6; k++) L->a[i * N6 + j] += qb[i * N6 + k] * q[k * N6 + j];
    }
  for (int i = 0; i < N6; i++) L->c[i] = 1.0 + 0.5 * i;
  L->nan_at_root = 0;
  for (int j = 0; j <= N6; j++) dense6_colptr[j] = j * N6;
  for (int k = 0; k < N6 * N6; k++) dense6_rowind[k] = k % N6;
}

static syn_ode ode6(lin6 *L) {
  syn_ode o = {N6, lin6_rhs, lin6_jac, N6 * N6, dense6_colptr, dense6_rowind, NULL, NULL,
               "h", L, 0, NULL, NULL};
  return o;
}

/* Stable foci and nodes (one slow, weakly damped pair): KINSOL's root is taken.
 * Move one pair's real part to +0.01 (an unstable focus): refused as not
 * attracting, and the integration finds no steady state. */
static void test_spectrum_six_states(void **state) {
  (void)state;
  lin6 L;
  const double im[3] = {2.0, 0.3, 0.0};
  const double stable[3] = {-0.01, -0.5, -3.0}, unstable[3] = {-0.5, 0.01, -3.0};
  lin6_make(&L, stable, im);
  syn_ode ode = ode6(&L);
  syn_steady_opts o = tight();
  syn_steady_info info;
  double y[N6] = {0};
  steady_ok(&ode, y, &o, &info);
  assert_string_equal(info.method, "kinsol");
  for (int i = 0; i < N6; i++) check_close(y[i], L.c[i], 1e-9, "stable six-state root");

  lin6_make(&L, unstable, im);
  o.max_time = 1e3;
  for (int i = 0; i < N6; i++) y[i] = 0.0;
  syn_error err;
  assert_int_equal(syn_steady_state(&ode, 0.0, y, &o, &info, &err), SYN_ESOLVER);
  if (strstr(err.message, "not attracting") == NULL) fail_msg("message: %s", err.message);
  assert_non_null(strstr(err.message, "0.01"));
}

/* A Jacobian with a NaN entry at the root (a kink such as sqrt(|x|) at 0):
 * the root cannot be judged by its linearisation. With GSL's default
 * (aborting) error handler in force, this used to abort the process inside
 * the eigenvalue routine; now it is refused with a message. */
static void test_nan_jacobian_at_root(void **state) {
  (void)state;
  lin6 L;
  const double re[3] = {-1.0, -0.5, -3.0}, im[3] = {2.0, 0.3, 0.0};
  lin6_make(&L, re, im);
  L.nan_at_root = 1;
  syn_ode ode = ode6(&L);
  syn_steady_opts o = tight();
  syn_steady_info info;
  syn_error err;
  double y[N6];
  memcpy(y, L.c, sizeof y); /* the root itself: KINSOL takes the guess as it is */
  syn_status st = syn_steady_state(&ode, 0.0, y, &o, &info, &err);
  if (st == SYN_OK) {
    assert_string_equal(info.method, "integration");
    for (int i = 0; i < N6; i++) check_close(y[i], L.c[i], 1e-9, "root");
  } else {
    assert_non_null(strstr(err.message, "not finite at KINSOL's root"));
  }
}

/* No gsl_set_error_handler_off() here on purpose: the library must not depend on
 * the program turning GSL's aborting error handler off. */
int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_linear),
      cmocka_unit_test(test_bistable),
      cmocka_unit_test(test_bistable_newton_jumps_basin),
      cmocka_unit_test(test_logistic),
      cmocka_unit_test(test_conserved_total),
      cmocka_unit_test(test_slow_mode_settles_by_its_time_constant),
      cmocka_unit_test(test_negative_root),
      cmocka_unit_test(test_no_steady_state_growth),
      cmocka_unit_test(test_no_steady_state_oscillation),
      cmocka_unit_test(test_damped_oscillation_converges),
      cmocka_unit_test(test_saddle_refused),
      cmocka_unit_test(test_conserved_total_exact_jacobian),
      cmocka_unit_test(test_spiral_settles_by_integration),
      cmocka_unit_test(test_passing_a_saddle_not_accepted),
      cmocka_unit_test(test_slow_linear_state_does_not_hide_the_other_node),
      cmocka_unit_test(test_spiral_confirmed_in_linear_regime),
      cmocka_unit_test(test_limit_cycle_never_confirmed_early),
      cmocka_unit_test(test_bad_arguments),
      cmocka_unit_test(test_spectrum_six_states),
      cmocka_unit_test(test_nan_jacobian_at_root),
      cmocka_unit_test(test_alloc_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
