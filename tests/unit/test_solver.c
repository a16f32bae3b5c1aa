/* synovia — unit tests of the solve layer: syn_solver (CVODE) and the GSL msbdf cross-check.
 *
 * Every system here is hand-written C (no model files). Accuracy is checked
 * against closed forms, against an eigen-decomposition, and against published
 * Robertson reference values; dense vs KLU, exact Jacobian vs difference
 * quotients and CVODE vs GSL msbdf are checked against each other. Stops,
 * option validation, failure messages and statistics are checked too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "solve/gslode.h"
#include "synovia/solver.h"
#include "solve/dense_output.h"

/* --- helpers ------------------------------------------------------------------ */

enum { MAXN = 8, MAXT = 64 };

typedef struct collect {
  size_t n, count;
  double t[MAXT];
  double y[MAXT][MAXN];
} collect;

static syn_status on_out_collect(double t, const double *y, size_t n, void *ctx, syn_error *err) {
  (void)err;
  collect *c = ctx;
  assert_true(c->count < MAXT);
  c->t[c->count] = t;
  memcpy(c->y[c->count], y, n * sizeof *y);
  c->n = n;
  c->count++;
  return SYN_OK;
}

/* Solve ode from (t0, y0) onto t_out with opts; asserts success. */
static void solve_grid(const syn_ode *ode, const syn_solver_opts *o, double t0, const double *y0,
                       const double *t_out, size_t n_out, collect *c) {
  syn_solver *s = NULL;
  syn_error err;
  memset(c, 0, sizeof *c);
  syn_status st = syn_solver_create(ode, o, t0, y0, &s, &err);
  if (st != SYN_OK) fail_msg("create: %s", err.message);
  st = syn_solver_integrate(s, t_out, n_out, NULL, 0, NULL, NULL, on_out_collect, c, &err);
  if (st != SYN_OK) fail_msg("integrate: %s", err.message);
  assert_int_equal(c->count, n_out);
  for (size_t i = 0; i < n_out; i++) assert_true(c->t[i] == t_out[i]);
  syn_solver_destroy(s);
}

static void tight_opts(syn_solver_opts *o) {
  syn_solver_opts_default(o);
  o->rtol = 1e-10;
  o->atol = 1e-14;
}

/* |got - want| <= rel * |want| + abs_floor, with a readable failure. */
static void check_close(double got, double want, double rel, double abs_floor, const char *what,
                        double t) {
  double d = fabs(got - want);
  if (!(d <= rel * fabs(want) + abs_floor))
    fail_msg("%s at t = %g: got %.15g, want %.15g (rel. diff %.3g, allowed %.3g)", what, t, got,
             want, d / fabs(want), rel);
}

static double max_rel_diff(const collect *a, const collect *b, double floor) {
  double worst = 0.0;
  for (size_t k = 0; k < a->count; k++)
    for (size_t i = 0; i < a->n; i++) {
      double d = fabs(a->y[k][i] - b->y[k][i]) / fmax(fabs(b->y[k][i]), floor);
      worst = fmax(worst, d);
    }
  return worst;
}

/* --- the systems --------------------------------------------------------------- */

/* Exponential decay y' = -k y: y = y0 exp(-k t). */
typedef struct decay_ctx {
  double k;
  int fail_once_at;   /* return 1 once for t >= 1 when set */
  int failed;
  int nan_after_1;    /* write NaN for t > 1 */
  int fail_after_1;   /* return 1 for t > 1 */
  int fatal_after_1;  /* return -1 for t > 1 */
} decay_ctx;

static int decay_rhs(double t, const double *y, double *f, void *ctx) {
  decay_ctx *c = ctx;
  if (c->fail_once_at && !c->failed && t >= 1.0) {
    c->failed = 1;
    return 1;
  }
  if (c->fail_after_1 && t > 1.0) return 1;
  if (c->fatal_after_1 && t > 1.0) return -1;
  f[0] = -c->k * y[0];
  if (c->nan_after_1 && t > 1.0) f[0] = log(-1.0 - t);
  return 0;
}

static int decay_jac(double t, const double *y, double *j, void *ctx) {
  (void)t, (void)y;
  j[0] = -((decay_ctx *)ctx)->k;
  return 0;
}

static int decay_explain(double t, const double *y, char *buf, size_t size, void *ctx) {
  (void)y, (void)ctx;
  if (t <= 1.0) return 0;
  snprintf(buf, size, "d/dt X: log(x) at decay.model:3:12 gave nan");
  return 1;
}

static const int32_t one_colptr[] = {0, 1};
static const int32_t one_rowind[] = {0};
static const char *const decay_names[] = {"X"};

static syn_ode decay_ode(decay_ctx *c) {
  syn_ode o = {1, decay_rhs, decay_jac, 1, one_colptr, one_rowind, decay_explain, decay_names,
               "h", c, 0, NULL, NULL};
  return o;
}

/* Logistic y' = r y (1 - y/K): y = K / (1 + (K/y0 - 1) exp(-r t)). */
typedef struct logistic_ctx {
  double r, K;
} logistic_ctx;

static int logistic_rhs(double t, const double *y, double *f, void *ctx) {
  (void)t;
  const logistic_ctx *c = ctx;
  f[0] = c->r * y[0] * (1.0 - y[0] / c->K);
  return 0;
}

static int logistic_jac(double t, const double *y, double *j, void *ctx) {
  (void)t;
  const logistic_ctx *c = ctx;
  j[0] = c->r * (1.0 - 2.0 * y[0] / c->K);
  return 0;
}

/* Two compartments (depot A -> central C -> out):
 *   A' = -ka A,  C' = ka A - ke C,  A(0) = D, C(0) = 0
 *   A = D e^{-ka t},  C = D ka/(ka - ke) (e^{-ke t} - e^{-ka t}). */
typedef struct twocomp_ctx {
  double ka, ke;
} twocomp_ctx;

static int twocomp_rhs(double t, const double *y, double *f, void *ctx) {
  (void)t;
  const twocomp_ctx *c = ctx;
  f[0] = -c->ka * y[0];
  f[1] = c->ka * y[0] - c->ke * y[1];
  return 0;
}

/* CSC: column 0 rows {0, 1}, column 1 row {1}. */
static const int32_t twocomp_colptr[] = {0, 2, 3};
static const int32_t twocomp_rowind[] = {0, 1, 1};

static int twocomp_jac(double t, const double *y, double *j, void *ctx) {
  (void)t, (void)y;
  const twocomp_ctx *c = ctx;
  j[0] = -c->ka;
  j[1] = c->ka;
  j[2] = -c->ke;
  return 0;
}

/* Stiff linear y' = A y with A = V diag(lambda) V^{-1}, V the unit upper
 * triangular matrix of ones, V^{-1} the bidiagonal (1 on the diagonal, -1
 * above). Eigenvalues -1e4, -1e2, -1, -1e-2. With c = V^{-1} y0,
 * y(t) = V diag(e^{lambda t}) c, i.e. y_i = sum_{j >= i} c_j e^{lambda_j t}. */
enum { SL_N = 4 };
static const double sl_lambda[SL_N] = {-1e4, -1e2, -1.0, -1e-2};

typedef struct stiff_ctx {
  double A[SL_N][SL_N];
} stiff_ctx;

static void stiff_init(stiff_ctx *c) {
  /* A = V L V^{-1}: (V L)_{ij} = lambda_j for j >= i; times V^{-1}. */
  for (int i = 0; i < SL_N; i++)
    for (int j = 0; j < SL_N; j++) {
      double vl_j = j >= i ? sl_lambda[j] : 0.0;
      double vl_jm1 = (j - 1 >= i) ? sl_lambda[j - 1] : 0.0;
      /* column j of V^{-1} has 1 at row j and -1 at row j-1 */
      c->A[i][j] = vl_j - (j >= 1 ? vl_jm1 : 0.0);
    }
}

static void stiff_exact(const double *y0, double t, double *y) {
  double cc[SL_N];
  for (int j = 0; j < SL_N; j++) cc[j] = y0[j] - (j + 1 < SL_N ? y0[j + 1] : 0.0);
  for (int i = 0; i < SL_N; i++) {
    y[i] = 0.0;
    for (int j = i; j < SL_N; j++) y[i] += cc[j] * exp(sl_lambda[j] * t);
  }
}

static int stiff_rhs(double t, const double *y, double *f, void *ctx) {
  (void)t;
  const stiff_ctx *c = ctx;
  for (int i = 0; i < SL_N; i++) {
    f[i] = 0.0;
    for (int j = 0; j < SL_N; j++) f[i] += c->A[i][j] * y[j];
  }
  return 0;
}

/* A is upper triangular: column j holds rows 0..j. */
static const int32_t stiff_colptr[] = {0, 1, 3, 6, 10};
static const int32_t stiff_rowind[] = {0, 0, 1, 0, 1, 2, 0, 1, 2, 3};

static int stiff_jac(double t, const double *y, double *jv, void *ctx) {
  (void)t, (void)y;
  const stiff_ctx *c = ctx;
  for (int j = 0, k = 0; j < SL_N; j++)
    for (int i = 0; i <= j; i++) jv[k++] = c->A[i][j];
  return 0;
}

/* Robertson: y1' = -k1 y1 + k3 y2 y3, y2' = k1 y1 - k3 y2 y3 - k2 y2^2, y3' = k2 y2^2. */
static int rober_rhs(double t, const double *y, double *f, void *ctx) {
  (void)t, (void)ctx;
  f[0] = -0.04 * y[0] + 1e4 * y[1] * y[2];
  f[2] = 3e7 * y[1] * y[1];
  f[1] = -f[0] - f[2];
  return 0;
}

static const int32_t rober_colptr[] = {0, 2, 5, 7};
static const int32_t rober_rowind[] = {0, 1, 0, 1, 2, 0, 1};

static int rober_jac(double t, const double *y, double *j, void *ctx) {
  (void)t, (void)ctx;
  j[0] = -0.04;                      /* (0,0) */
  j[1] = 0.04;                       /* (1,0) */
  j[2] = 1e4 * y[2];                 /* (0,1) */
  j[3] = -1e4 * y[2] - 6e7 * y[1];   /* (1,1) */
  j[4] = 6e7 * y[1];                 /* (2,1) */
  j[5] = 1e4 * y[1];                 /* (0,2) */
  j[6] = -1e4 * y[1];                /* (1,2) */
  return 0;
}

static const char *const rober_names[] = {"y1", "y2", "y3"};

static syn_ode rober_ode(void) {
  syn_ode o = {3, rober_rhs, rober_jac, 7, rober_colptr, rober_rowind, NULL, rober_names, "s",
               NULL, 0, NULL, NULL};
  return o;
}

/* --- closed forms ----------------------------------------------------------------- */

static void test_exponential_decay(void **state) {
  (void)state;
  decay_ctx c = {.k = 0.7};
  syn_ode ode = decay_ode(&c);
  syn_solver_opts o;
  tight_opts(&o);
  const double t_out[] = {0.0, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0};
  const size_t n = sizeof t_out / sizeof *t_out;
  const double y0 = 2.0;
  collect col;
  solve_grid(&ode, &o, 0.0, &y0, t_out, n, &col);
  double worst = 0.0;
  for (size_t k = 0; k < n; k++) {
    double want = y0 * exp(-c.k * t_out[k]);
    check_close(col.y[k][0], want, 1e-6, 0.0, "decay", t_out[k]);
    worst = fmax(worst, fabs(col.y[k][0] - want) / want);
  }
  print_message("exponential decay: max rel. error %.2e\n", worst);
}

static void test_logistic(void **state) {
  (void)state;
  logistic_ctx c = {1.5, 10.0};
  syn_ode ode = {1, logistic_rhs, logistic_jac, 1, one_colptr, one_rowind, NULL, NULL, "d", &c, 0, NULL, NULL};
  syn_solver_opts o;
  tight_opts(&o);
  const double t_out[] = {0.0, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 10.0, 20.0};
  const size_t n = sizeof t_out / sizeof *t_out;
  const double y0 = 0.1;
  collect col;
  solve_grid(&ode, &o, 0.0, &y0, t_out, n, &col);
  double worst = 0.0;
  for (size_t k = 0; k < n; k++) {
    double want = c.K / (1.0 + (c.K / y0 - 1.0) * exp(-c.r * t_out[k]));
    check_close(col.y[k][0], want, 1e-6, 0.0, "logistic", t_out[k]);
    worst = fmax(worst, fabs(col.y[k][0] - want) / want);
  }
  print_message("logistic: max rel. error %.2e\n", worst);
}

static syn_ode twocomp_ode(twocomp_ctx *c) {
  static const char *const names[] = {"depot", "central"};
  syn_ode o = {2, twocomp_rhs, twocomp_jac, 3, twocomp_colptr, twocomp_rowind, NULL, names, "h",
               c, 0, NULL, NULL};
  return o;
}

static void test_two_compartment(void **state) {
  (void)state;
  twocomp_ctx c = {1.2, 0.25};
  syn_ode ode = twocomp_ode(&c);
  syn_solver_opts o;
  tight_opts(&o);
  const double t_out[] = {0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 12.0, 24.0, 48.0};
  const size_t n = sizeof t_out / sizeof *t_out;
  const double D = 100.0, y0[2] = {D, 0.0};
  collect col;
  solve_grid(&ode, &o, 0.0, y0, t_out, n, &col);
  double worst = 0.0;
  for (size_t k = 0; k < n; k++) {
    double t = t_out[k];
    double A = D * exp(-c.ka * t);
    double C = D * c.ka / (c.ka - c.ke) * (exp(-c.ke * t) - exp(-c.ka * t));
    /* the depot falls to 1e-11 by 24 h: below 10 atol only the absolute error is controlled */
    check_close(col.y[k][0], A, 1e-6, 10.0 * o.atol, "depot", t);
    check_close(col.y[k][1], C, 1e-6, 10.0 * o.atol, "central", t);
    if (t > 0 && A > 1e-6) worst = fmax(worst, fabs(col.y[k][0] - A) / A);
    if (t > 0) worst = fmax(worst, fabs(col.y[k][1] - C) / C);
  }
  print_message("two compartments: max rel. error %.2e\n", worst);
}

static const double stiff_times[] = {0.0, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0, 500.0};
static const double stiff_y0[SL_N] = {4.0, 3.0, 2.0, 1.0};

static void stiff_ode_make(stiff_ctx *c, syn_ode *ode) {
  stiff_init(c);
  syn_ode o = {SL_N, stiff_rhs, stiff_jac, 10, stiff_colptr, stiff_rowind, NULL, NULL, "h", c, 0, NULL, NULL};
  *ode = o;
}

static void check_stiff(const collect *col, double rel) {
  double worst = 0.0;
  for (size_t k = 0; k < col->count; k++) {
    double want[SL_N];
    stiff_exact(stiff_y0, col->t[k], want);
    for (int i = 0; i < SL_N; i++) {
      check_close(col->y[k][i], want[i], rel, 0.0, "stiff linear", col->t[k]);
      worst = fmax(worst, fabs(col->y[k][i] - want[i]) / fabs(want[i]));
    }
  }
  print_message("stiff linear: max rel. error %.2e\n", worst);
}

static void test_stiff_linear(void **state) {
  (void)state;
  stiff_ctx c;
  syn_ode ode;
  stiff_ode_make(&c, &ode);
  /* the matrix really is V diag(lambda) V^{-1}: its eigenvalues are its diagonal */
  for (int i = 0; i < SL_N; i++) assert_true(c.A[i][i] == sl_lambda[i]);
  syn_solver_opts o;
  tight_opts(&o);
  collect col;
  const size_t n = sizeof stiff_times / sizeof *stiff_times;
  solve_grid(&ode, &o, 0.0, stiff_y0, stiff_times, n, &col);
  check_stiff(&col, 1e-6);
}

/* --- Robertson ------------------------------------------------------------------------- */

/* SUNDIALS examples/cvode/serial/cvRoberts_dns.out (LLNL/sundials), printed to 7
 * digits. Those runs used rtol = 1e-4 and atol = (1e-8, 1e-14, 1e-6), so the
 * values are only as accurate as those tolerances, not as their digits: the
 * comparison allows the example's own error bound (10x its weighted tolerance,
 * the loosening cvRoberts_dns.c's check_ans uses) plus the print rounding. */
static const double rober_out_t[] = {0.4, 4.0, 40.0, 400.0, 4e3, 4e4, 4e10};
static const double rober_out_y[][3] = {
    {9.851641e-01, 3.386242e-05, 1.480205e-02}, {9.055097e-01, 2.240338e-05, 9.446793e-02},
    {7.158017e-01, 9.185037e-06, 2.841892e-01}, {4.505360e-01, 3.223271e-06, 5.494608e-01},
    {1.832066e-01, 8.942601e-07, 8.167925e-01}, {3.898824e-02, 1.621985e-07, 9.610116e-01},
    {3.630684e-08, 1.452274e-13, 1.000000e+00}};

/* High-accuracy references:
 *  t = 4e10: cvRoberts_dns.c check_ans(), "a reference solution computed using a
 *            relative tolerance of 1e-8 and absolute tolerance of 1e-14";
 *  t = 1e11: the Test Set for IVP Solvers (Mazzia & Magherini; Hairer & Wanner,
 *            http://www.unige.ch/~hairer/testset/testset.html), problem ROBER. */
static const double rober_ref_4e10[3] = {5.2083495894337328e-08, 2.0833399429795671e-13,
                                         9.9999994791629776e-01};
static const double rober_ref_1e11[3] = {0.2083340149701255e-07, 0.8333360770334713e-13,
                                         0.9999999791665050};

static void rober_tight(syn_solver_opts *o, double *atol) {
  syn_solver_opts_default(o);
  o->rtol = 1e-10;
  atol[0] = 1e-18;
  atol[1] = 1e-24;
  atol[2] = 1e-16;
  o->atol_vec = atol;
  o->max_steps = 100000;
}

static void test_robertson_sundials_example(void **state) {
  (void)state;
  syn_ode ode = rober_ode();
  syn_solver_opts o;
  double atol[3];
  rober_tight(&o, atol);
  const double y0[3] = {1.0, 0.0, 0.0};
  const double ex_atol[3] = {1e-8, 1e-14, 1e-6};
  collect col;
  const size_t n = sizeof rober_out_t / sizeof *rober_out_t;
  solve_grid(&ode, &o, 0.0, y0, rober_out_t, n, &col);
  double worst[3] = {0, 0, 0};
  for (size_t k = 0; k < n; k++)
    for (int i = 0; i < 3; i++) {
      double ref = rober_out_y[k][i];
      double allowed = 10.0 * (1e-4 * fabs(ref) + ex_atol[i]) + 5e-7 * fabs(ref);
      double d = fabs(col.y[k][i] - ref);
      if (d > allowed)
        fail_msg("Robertson y%d at t = %g: got %.7e, example %.7e", i + 1, rober_out_t[k],
                 col.y[k][i], ref);
      if (k + 1 < n) worst[i] = fmax(worst[i], d / fabs(ref));
    }
  print_message("Robertson vs cvRoberts_dns.out (t <= 4e4): max rel. diff y1 %.2e y2 %.2e y3 "
                "%.2e\n",
                worst[0], worst[1], worst[2]);
}

static void test_robertson_reference(void **state) {
  (void)state;
  syn_ode ode = rober_ode();
  syn_solver_opts o;
  double atol[3];
  rober_tight(&o, atol);
  const double y0[3] = {1.0, 0.0, 0.0};
  const double t_out[] = {4e10, 1e11};
  collect col;
  solve_grid(&ode, &o, 0.0, y0, t_out, 2, &col);
  double worst = 0.0;
  for (int i = 0; i < 3; i++) {
    check_close(col.y[0][i], rober_ref_4e10[i], 1e-6, 0.0, "Robertson (4e10)", 4e10);
    check_close(col.y[1][i], rober_ref_1e11[i], 1e-6, 0.0, "Robertson (1e11)", 1e11);
    worst = fmax(worst, fabs(col.y[1][i] - rober_ref_1e11[i]) / rober_ref_1e11[i]);
  }
  /* mass is conserved: y1 + y2 + y3 = 1 */
  check_close(col.y[1][0] + col.y[1][1] + col.y[1][2], 1.0, 1e-9, 0.0, "mass", 1e11);
  print_message("Robertson vs test set (1e11): max rel. error %.2e\n", worst);
}

/* --- backends agree ------------------------------------------------------------------- */

static void test_dense_vs_klu(void **state) {
  (void)state;
  syn_ode ode = rober_ode();
  syn_solver_opts o;
  double atol[3];
  rober_tight(&o, atol);
  const double y0[3] = {1.0, 0.0, 0.0};
  collect dense, klu;
  const size_t n = sizeof rober_out_t / sizeof *rober_out_t;
  o.linsol = SYN_LINSOL_DENSE;
  solve_grid(&ode, &o, 0.0, y0, rober_out_t, n, &dense);
  o.linsol = SYN_LINSOL_KLU;
  solve_grid(&ode, &o, 0.0, y0, rober_out_t, n, &klu);
  double d = max_rel_diff(&klu, &dense, 1e-30);
  assert_true(d < 1e-6);

  /* AUTO picks KLU at the threshold, and the stiff system agrees too */
  stiff_ctx c;
  syn_ode sode;
  stiff_ode_make(&c, &sode);
  tight_opts(&o);
  o.klu_threshold = SL_N;
  syn_solver *s = NULL;
  syn_error err;
  assert_int_equal(syn_solver_create(&sode, &o, 0.0, stiff_y0, &s, &err), SYN_OK);
  syn_solver_stats st;
  syn_solver_get_stats(s, &st);
  assert_int_equal(st.linsol, SYN_LINSOL_KLU);
  syn_solver_destroy(s);
  collect sk;
  solve_grid(&sode, &o, 0.0, stiff_y0, stiff_times, sizeof stiff_times / sizeof *stiff_times, &sk);
  check_stiff(&sk, 1e-6);
  print_message("dense vs KLU (Robertson): max rel. diff %.2e\n", d);
}

static void test_jacobian_vs_difference_quotients(void **state) {
  (void)state;
  syn_ode ode = rober_ode();
  syn_solver_opts o;
  double atol[3];
  rober_tight(&o, atol);
  const double y0[3] = {1.0, 0.0, 0.0};
  collect exact, dq;
  const size_t n = sizeof rober_out_t / sizeof *rober_out_t;
  solve_grid(&ode, &o, 0.0, y0, rober_out_t, n, &exact);
  o.use_jacobian = 0;
  solve_grid(&ode, &o, 0.0, y0, rober_out_t, n, &dq);
  double d = max_rel_diff(&dq, &exact, 1e-30);
  assert_true(d < 1e-6);

  stiff_ctx c;
  syn_ode sode;
  stiff_ode_make(&c, &sode);
  sode.jac = NULL; /* no Jacobian at all: difference quotients */
  tight_opts(&o);
  collect sc;
  solve_grid(&sode, &o, 0.0, stiff_y0, stiff_times, sizeof stiff_times / sizeof *stiff_times, &sc);
  check_stiff(&sc, 1e-6);
  print_message("exact Jacobian vs difference quotients (Robertson): max rel. diff %.2e\n", d);
}

static void gsl_vs_cvode(const syn_ode *ode, const syn_solver_opts *o, const double *y0,
                         const double *t_out, size_t n_out, double gsl_atol, double rel,
                         double floor, const char *name) {
  /* floor: below it, differences count in absolute terms (atol territory) */
  collect cv;
  double gy[MAXT * MAXN];
  syn_error err;
  solve_grid(ode, o, t_out[0], y0, t_out, n_out, &cv);
  syn_status st = syn_gsl_integrate(ode, t_out[0], y0, t_out, n_out, 1e-10, gsl_atol, gy, &err);
  if (st != SYN_OK) fail_msg("gsl %s: %s", name, err.message);
  double worst = 0.0;
  for (size_t k = 0; k < n_out; k++)
    for (size_t i = 0; i < ode->n; i++) {
      double a = cv.y[k][i], b = gy[k * ode->n + i];
      double d = fabs(a - b) / fmax(fabs(b), floor);
      if (d > rel) fail_msg("%s: CVODE %.12g vs GSL %.12g at t = %g", name, a, b, t_out[k]);
      worst = fmax(worst, d);
    }
  print_message("GSL msbdf vs CVODE (%s): max rel. diff %.2e\n", name, worst);
}

static void test_gsl_agrees(void **state) {
  (void)state;
  syn_solver_opts o;
  tight_opts(&o);

  decay_ctx dc = {.k = 0.7};
  syn_ode d = decay_ode(&dc);
  const double d_t[] = {0.0, 0.5, 1.0, 5.0, 20.0}, d_y0 = 2.0;
  gsl_vs_cvode(&d, &o, &d_y0, d_t, 5, 1e-14, 1e-6, 1e-300, "decay");

  logistic_ctx lc = {1.5, 10.0};
  syn_ode l = {1, logistic_rhs, NULL, 0, NULL, NULL, NULL, NULL, "", &lc, 0, NULL, NULL};
  const double l_t[] = {0.0, 1.0, 3.0, 6.0, 20.0}, l_y0 = 0.1;
  gsl_vs_cvode(&l, &o, &l_y0, l_t, 5, 1e-14, 1e-6, 1e-300, "logistic, no Jacobian");

  twocomp_ctx tc = {1.2, 0.25};
  syn_ode tw = twocomp_ode(&tc);
  const double tw_t[] = {0.0, 0.5, 2.0, 8.0, 24.0}, tw_y0[2] = {100.0, 0.0};
  gsl_vs_cvode(&tw, &o, tw_y0, tw_t, 5, 1e-14, 1e-6, 1e-6, "two compartments");

  stiff_ctx sc;
  syn_ode s;
  stiff_ode_make(&sc, &s);
  gsl_vs_cvode(&s, &o, stiff_y0, stiff_times, sizeof stiff_times / sizeof *stiff_times, 1e-14,
               1e-6, 1e-300, "stiff linear");

  syn_ode r = rober_ode();
  double atol[3];
  rober_tight(&o, atol);
  const double r_t[] = {0.0, 0.4, 4.0, 40.0, 400.0, 4e3, 4e4}, r_y0[3] = {1.0, 0.0, 0.0};
  /* GSL takes one scalar atol; y2 ~ 1e-7..1e-5 needs a tiny one */
  gsl_vs_cvode(&r, &o, r_y0, r_t, 7, 1e-20, 1e-6, 1e-300, "Robertson");
}

/* --- stops ---------------------------------------------------------------------------- */

typedef struct bolus {
  double amount;
  int calls;
  double t_seen[8];
} bolus;

static syn_status on_stop_bolus(double t, double *y, size_t n, void *ctx, syn_error *err) {
  (void)n, (void)err;
  bolus *b = ctx;
  if (b->calls < 8) b->t_seen[b->calls] = t;
  b->calls++;
  y[0] += b->amount;
  return SYN_OK;
}

/* y' = -k y, y(0) = 1, y += 1 at t = 0 (the start: applied by the first
 * call, before the output there) and at t = 2:
 * y = 2 e^{-kt} (t < 2), y = 2 e^{-kt} + e^{-k(t-2)} (t >= 2). */
static void test_stop_bolus(void **state) {
  (void)state;
  decay_ctx c = {.k = 0.7};
  syn_ode ode = decay_ode(&c);
  syn_solver_opts o;
  tight_opts(&o);
  const double t_out[] = {0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0};
  const size_t n = sizeof t_out / sizeof *t_out;
  const double t_stop[] = {-1.0, 0.0, 2.0, 7.0}; /* 0 and 2 are inside [0, 5] */
  const double y0 = 1.0;
  bolus b = {1.0, 0, {0}};
  collect col;
  memset(&col, 0, sizeof col);
  syn_solver *s = NULL;
  syn_error err;
  assert_int_equal(syn_solver_create(&ode, &o, 0.0, &y0, &s, &err), SYN_OK);
  assert_int_equal(syn_solver_integrate(s, t_out, n, t_stop, 4, on_stop_bolus, &b,
                                        on_out_collect, &col, &err),
                   SYN_OK);
  assert_int_equal(b.calls, 2);
  assert_true(b.t_seen[0] == 0.0);
  assert_true(b.t_seen[1] == 2.0);
  assert_int_equal(col.count, n); /* no shifted or duplicated outputs */
  assert_true(col.y[0][0] == 2.0); /* the output at the start is after the dose there */
  for (size_t k = 0; k < n; k++) {
    double t = t_out[k];
    assert_true(col.t[k] == t);
    double want = 2.0 * exp(-c.k * t) + (t >= 2.0 ? exp(-c.k * (t - 2.0)) : 0.0);
    check_close(col.y[k][0], want, 1e-6, 0.0, "bolus", t);
  }
  /* the output at the stop time is after the jump */
  assert_true(col.y[4][0] > 1.0);
  syn_solver_stats st;
  syn_solver_get_stats(s, &st);
  assert_int_equal(st.nreinit, 2);
  assert_true(syn_solver_time(s) == 5.0);
  syn_solver_destroy(s);
}

/* Stops between outputs, two stops at once, and integrating in two calls. */
static void test_stops_between_outputs(void **state) {
  (void)state;
  decay_ctx c = {.k = 0.3};
  syn_ode ode = decay_ode(&c);
  syn_solver_opts o;
  tight_opts(&o);
  const double y0 = 0.0;
  const double t_out1[] = {0.0, 1.0, 2.0};
  const double t_out2[] = {3.0, 4.0, 6.0};
  const double t_stop[] = {0.75, 0.75, 2.5, 5.0};
  bolus b = {2.0, 0, {0}};
  collect c1, c2;
  memset(&c1, 0, sizeof c1);
  memset(&c2, 0, sizeof c2);
  syn_solver *s = NULL;
  syn_error err;
  assert_int_equal(syn_solver_create(&ode, &o, 0.0, &y0, &s, &err), SYN_OK);
  assert_int_equal(
      syn_solver_integrate(s, t_out1, 3, t_stop, 4, on_stop_bolus, &b, on_out_collect, &c1, &err),
      SYN_OK);
  assert_int_equal(b.calls, 2); /* both doses at 0.75; 2.5 and 5 lie beyond this call */
  assert_true(syn_solver_time(s) == 2.0);
  double y;
  syn_solver_state(s, &y);
  check_close(y, 4.0 * exp(-c.k * 1.25), 1e-6, 0.0, "after two doses", 2.0);
  assert_int_equal(
      syn_solver_integrate(s, t_out2, 3, t_stop, 4, on_stop_bolus, &b, on_out_collect, &c2, &err),
      SYN_OK);
  assert_int_equal(b.calls, 4);
  for (size_t k = 0; k < 3; k++) {
    double t = t_out2[k];
    double want = 4.0 * exp(-c.k * (t - 0.75)) + 2.0 * exp(-c.k * (t - 2.5)) +
                  (t >= 5.0 ? 2.0 * exp(-c.k * (t - 5.0)) : 0.0);
    check_close(c2.y[k][0], want, 1e-6, 0.0, "doses", t);
  }
  syn_solver_destroy(s);
}

/* The contract of solver.h for stops on the edges of a call: a stop at the
 * start time is applied once, by the first call, even when that call only
 * emits the output there; a stop at a call's last output is applied by that
 * call (its output shows the jump) and not again by the next call, which
 * starts at that time. Several stops at one time are one restart. */
static void test_stops_at_call_edges(void **state) {
  (void)state;
  decay_ctx c = {.k = 0.4};
  syn_ode ode = decay_ode(&c);
  syn_solver_opts o;
  tight_opts(&o);
  const double y0 = 0.0;
  const double only_start[] = {0.0}, first[] = {0.5, 1.0}, second[] = {1.0, 3.0};
  const double t_stop[] = {0.0, 1.0, 1.0, 1.0};
  bolus b = {1.0, 0, {0}};
  collect c0, c1, c2;
  memset(&c0, 0, sizeof c0);
  memset(&c1, 0, sizeof c1);
  memset(&c2, 0, sizeof c2);
  syn_solver *s = NULL;
  syn_error err;
  assert_int_equal(syn_solver_create(&ode, &o, 0.0, &y0, &s, &err), SYN_OK);
  /* the dose at t0 comes before the output at t0 */
  assert_int_equal(syn_solver_integrate(s, only_start, 1, t_stop, 4, on_stop_bolus, &b,
                                        on_out_collect, &c0, &err),
                   SYN_OK);
  assert_int_equal(b.calls, 1);
  assert_true(c0.y[0][0] == 1.0);
  /* a second call from t0 does not apply it again; three doses at 1.0 (the
   * last output) are applied by this call, before its output */
  assert_int_equal(syn_solver_integrate(s, first, 2, t_stop, 4, on_stop_bolus, &b,
                                        on_out_collect, &c1, &err),
                   SYN_OK);
  assert_int_equal(b.calls, 4);
  check_close(c1.y[1][0], exp(-c.k * 1.0) + 3.0, 1e-6, 0.0, "after three doses", 1.0);
  syn_solver_stats st;
  syn_solver_get_stats(s, &st);
  assert_int_equal(st.nreinit, 2); /* one restart at 0, one at 1 for the three doses */
  /* the next call starts at 1.0: the doses there are not applied twice */
  assert_int_equal(syn_solver_integrate(s, second, 2, t_stop, 4, on_stop_bolus, &b,
                                        on_out_collect, &c2, &err),
                   SYN_OK);
  assert_int_equal(b.calls, 4);
  assert_true(c2.y[0][0] == c1.y[1][0]);
  check_close(c2.y[1][0], (exp(-c.k) + 3.0) * exp(-c.k * 2.0), 1e-6, 0.0, "decay after", 3.0);
  syn_solver_destroy(s);
}

static void test_output_at_current_time(void **state) {
  (void)state;
  decay_ctx c = {.k = 1.0};
  syn_ode ode = decay_ode(&c);
  const double y0 = 3.0, t_out[] = {1.0};
  collect col;
  memset(&col, 0, sizeof col);
  syn_solver *s = NULL;
  syn_error err;
  assert_int_equal(syn_solver_create(&ode, NULL, 1.0, &y0, &s, &err), SYN_OK);
  assert_int_equal(syn_solver_integrate(s, t_out, 1, NULL, 0, NULL, NULL, on_out_collect, &col,
                                        &err),
                   SYN_OK);
  assert_int_equal(col.count, 1);
  assert_true(col.y[0][0] == 3.0);
  syn_solver_stats st;
  syn_solver_get_stats(s, &st);
  assert_int_equal(st.nsteps, 0);
  /* outputs before the current time or not increasing are refused */
  const double back[] = {0.5}, same[] = {2.0, 2.0};
  assert_int_equal(syn_solver_integrate(s, back, 1, NULL, 0, NULL, NULL, NULL, NULL, &err),
                   SYN_EINVAL);
  assert_int_equal(syn_solver_integrate(s, same, 2, NULL, 0, NULL, NULL, NULL, NULL, &err),
                   SYN_EINVAL);
  assert_non_null(strstr(err.message, "increase"));
  syn_solver_destroy(s);
}

typedef struct stats_probe {
  syn_solver *s;
  long last_nsteps;
  int calls;
} stats_probe;

static syn_status on_stop_probe(double t, double *y, size_t n, void *ctx, syn_error *err) {
  (void)t, (void)n, (void)err;
  stats_probe *p = ctx;
  syn_solver_stats st;
  syn_solver_get_stats(p->s, &st);
  assert_true(st.nsteps > p->last_nsteps); /* each segment adds steps to the total */
  p->last_nsteps = st.nsteps;
  p->calls++;
  y[0] += 1.0;
  return SYN_OK;
}

static void test_stats_accumulate(void **state) {
  (void)state;
  decay_ctx c = {.k = 0.5};
  syn_ode ode = decay_ode(&c);
  const double y0 = 1.0, t_out[] = {0.0, 10.0}, t_stop[] = {2.0, 4.0, 6.0};
  stats_probe p = {NULL, 0, 0};
  syn_error err;
  assert_int_equal(syn_solver_create(&ode, NULL, 0.0, &y0, &p.s, &err), SYN_OK);
  assert_int_equal(
      syn_solver_integrate(p.s, t_out, 2, t_stop, 3, on_stop_probe, &p, NULL, NULL, &err), SYN_OK);
  assert_int_equal(p.calls, 3);
  syn_solver_stats st;
  syn_solver_get_stats(p.s, &st);
  assert_int_equal(st.nreinit, 3);
  assert_true(st.nsteps > p.last_nsteps);
  assert_true(st.nfevals >= st.nsteps);
  assert_true(st.njevals >= 4); /* at least one Jacobian per segment */
  assert_true(st.qlast >= 1 && st.qlast <= 5);
  assert_true(st.hlast > 0.0);
  assert_int_equal(st.linsol, SYN_LINSOL_DENSE);
  syn_solver_destroy(p.s);
}

/* --- options ---------------------------------------------------------------------------- */

static void expect_invalid(const syn_ode *ode, const syn_solver_opts *o, const double *y0,
                           const char *w1, const char *w2) {
  syn_solver *s = (syn_solver *)&s; /* must be reset to NULL */
  syn_error err;
  syn_status st = syn_solver_create(ode, o, 0.0, y0, &s, &err);
  assert_int_equal(st, SYN_EINVAL);
  assert_null(s);
  if (strstr(err.message, w1) == NULL || (w2 != NULL && strstr(err.message, w2) == NULL))
    fail_msg("message '%s' lacks '%s' / '%s'", err.message, w1, w2 ? w2 : "");
}

static void test_option_validation(void **state) {
  (void)state;
  decay_ctx c = {.k = 1.0};
  syn_ode ode = decay_ode(&c);
  const double y0 = 1.0;
  syn_solver_opts o;

  syn_solver_opts_default(&o);
  assert_true(o.rtol == 1e-6 && o.atol == 1e-9 && o.max_steps == 50000 && o.max_order == 5);
  assert_true(o.linsol == SYN_LINSOL_AUTO && o.klu_threshold == 100 && o.use_jacobian == 1);

  o.rtol = -1e-6;
  expect_invalid(&ode, &o, &y0, "rtol", "-1e-06");
  o.rtol = NAN;
  expect_invalid(&ode, &o, &y0, "rtol", "nan");
  syn_solver_opts_default(&o);
  o.atol = 0.0;
  expect_invalid(&ode, &o, &y0, "atol", "0");
  syn_solver_opts_default(&o);
  double bad_atol[1] = {-2.0};
  o.atol_vec = bad_atol;
  expect_invalid(&ode, &o, &y0, "atol for state 'X'", "-2");
  syn_solver_opts_default(&o);
  o.max_steps = 0;
  expect_invalid(&ode, &o, &y0, "max_steps", "0");
  syn_solver_opts_default(&o);
  o.max_step = -1.0;
  expect_invalid(&ode, &o, &y0, "max_step", "-1");
  syn_solver_opts_default(&o);
  o.init_step = INFINITY;
  expect_invalid(&ode, &o, &y0, "init_step", "inf");
  syn_solver_opts_default(&o);
  o.max_order = 6;
  expect_invalid(&ode, &o, &y0, "max_order", "6");
  syn_solver_opts_default(&o);
  o.linsol = (syn_linsol)7;
  expect_invalid(&ode, &o, &y0, "linsol", "7");

  /* KLU without a Jacobian is refused, AUTO falls back to dense */
  syn_solver_opts_default(&o);
  o.linsol = SYN_LINSOL_KLU;
  o.use_jacobian = 0;
  expect_invalid(&ode, &o, &y0, "KLU", "use_jacobian");
  syn_ode nojac = ode;
  nojac.jac = NULL;
  o.use_jacobian = 1;
  expect_invalid(&nojac, &o, &y0, "KLU", "none");
  o.linsol = SYN_LINSOL_AUTO;
  o.klu_threshold = 1;
  syn_solver *s = NULL;
  syn_error err;
  assert_int_equal(syn_solver_create(&nojac, &o, 0.0, &y0, &s, &err), SYN_OK);
  syn_solver_stats st;
  syn_solver_get_stats(s, &st);
  assert_int_equal(st.linsol, SYN_LINSOL_DENSE);
  syn_solver_destroy(s);

  /* a broken pattern and a missing rhs */
  syn_ode broken = ode;
  static const int32_t bad_rows[] = {3};
  broken.rowind = bad_rows;
  syn_solver_opts_default(&o);
  expect_invalid(&broken, &o, &y0, "pattern", NULL);
  broken = ode;
  broken.rhs = NULL;
  expect_invalid(&broken, &o, &y0, "right-hand side", NULL);

  /* a non-finite initial value names the state */
  const double nan0 = NAN;
  s = NULL;
  assert_int_equal(syn_solver_create(&ode, &o, 0.0, &nan0, &s, &err), SYN_ENONFINITE);
  assert_non_null(strstr(err.message, "'X'"));
  assert_string_equal(syn_linsol_name(SYN_LINSOL_KLU), "klu");
  assert_string_equal(syn_linsol_name(SYN_LINSOL_DENSE), "dense");
  assert_string_equal(syn_linsol_name(SYN_LINSOL_AUTO), "auto");
  syn_solver_destroy(NULL);
}

/* Per-state atol: a component of size 1e-12 next to one of size 1. With one
 * loose atol the small one is lost in the noise; with its own tiny atol it is
 * accurate. */
static int twoscale_rhs(double t, const double *y, double *f, void *ctx) {
  (void)t, (void)ctx;
  f[0] = -2.0 * y[0] + 1e-12 * y[1];
  f[1] = -0.1 * y[1];
  return 0;
}

static void test_per_state_atol(void **state) {
  (void)state;
  /* y1 = e^{-0.1t}; y0' = -2 y0 + 1e-12 e^{-0.1t}, y0(0) = 1e-12:
   * y0 = 1e-12/1.9 e^{-0.1t} + (1e-12 - 1e-12/1.9) e^{-2t}. */
  syn_ode ode = {2, twoscale_rhs, NULL, 0, NULL, NULL, NULL, NULL, "h", NULL, 0, NULL, NULL};
  const double y0[2] = {1e-12, 1.0}, t_out[] = {0.0, 1.0, 2.0, 5.0, 10.0};
  syn_solver_opts o;
  syn_solver_opts_default(&o);
  o.rtol = 1e-10;
  o.atol = 1e-6;
  collect loose, vec;
  solve_grid(&ode, &o, 0.0, y0, t_out, 5, &loose);
  const double atol[2] = {1e-24, 1e-14};
  o.atol_vec = atol;
  solve_grid(&ode, &o, 0.0, y0, t_out, 5, &vec);
  double err_loose = 0.0, err_vec = 0.0;
  for (size_t k = 1; k < 5; k++) {
    double t = t_out[k];
    double want = 1e-12 / 1.9 * exp(-0.1 * t) + (1e-12 - 1e-12 / 1.9) * exp(-2.0 * t);
    check_close(vec.y[k][0], want, 1e-6, 0.0, "small component (per-state atol)", t);
    check_close(vec.y[k][1], exp(-0.1 * t), 1e-6, 0.0, "large component", t);
    err_loose = fmax(err_loose, fabs(loose.y[k][0] - want) / want);
    err_vec = fmax(err_vec, fabs(vec.y[k][0] - want) / want);
  }
  assert_true(err_vec < err_loose); /* the per-state tolerance is what makes the difference */
  print_message("per-state atol: small component rel. error %.2e (vs %.2e with scalar atol)\n",
                err_vec, err_loose);
}

/* The solver computes CVODE's error weights itself (one pass: cv_ewt): a
 * per-state atol holding one value everywhere must give the trajectory of
 * that scalar atol (here the default, 1e-9) bit for bit. */
static void test_atol_vector_of_one_value(void **state) {
  (void)state;
  syn_ode ode = {2, twoscale_rhs, NULL, 0, NULL, NULL, NULL, NULL, "h", NULL, 0, NULL, NULL};
  const double y0[2] = {1e-3, 1.0}, t_out[] = {0.0, 0.5, 1.0, 2.0, 5.0, 10.0};
  const double atol[2] = {1e-9, 1e-9};
  syn_solver_opts o;
  syn_solver_opts_default(&o);
  collect scalar, vec;
  solve_grid(&ode, &o, 0.0, y0, t_out, 6, &scalar);
  o.atol = 1e-3; /* not used: the vector is */
  o.atol_vec = atol;
  solve_grid(&ode, &o, 0.0, y0, t_out, 6, &vec);
  for (size_t k = 0; k < 6; k++) assert_memory_equal(scalar.y[k], vec.y[k], 2 * sizeof(double));
}

/* --- failures ------------------------------------------------------------------------------ */

/* A fast decay needs more than 5 steps to reach t = 10: with max_steps = 5 it stops. */
static void test_too_much_work(void **state) {
  (void)state;
  decay_ctx c = {.k = 50.0};
  syn_ode ode = decay_ode(&c);
  syn_solver_opts o;
  syn_solver_opts_default(&o);
  o.max_steps = 5;
  const double y0 = 1.0, t_out[] = {10.0};
  syn_solver *s = NULL;
  syn_error err;
  assert_int_equal(syn_solver_create(&ode, &o, 0.0, &y0, &s, &err), SYN_OK);
  syn_status st = syn_solver_integrate(s, t_out, 1, NULL, 0, NULL, NULL, NULL, NULL, &err);
  assert_int_equal(st, SYN_ESOLVER);
  print_message("%s\n  hint: %s\n", err.message, err.hint);
  assert_non_null(strstr(err.message, "the solver took 5 steps between t = 0 h and t = "));
  assert_non_null(strstr(err.message, "next output at t = 10 h"));
  assert_non_null(strstr(err.message, "state 'X' is the hardest to follow"));
  assert_non_null(strstr(err.hint, "--max-steps"));
  assert_non_null(strstr(err.hint, "d/dt 'X'"));
  /* time and state agree after the failure: both where CVODE stopped */
  double t_fail = syn_solver_time(s), y_fail;
  syn_solver_state(s, &y_fail);
  assert_true(t_fail > 0.0 && t_fail < 10.0);
  check_close(y_fail, exp(-c.k * t_fail), 1e-4, 0.0, "state at the failure", t_fail);
  syn_solver_destroy(s);

  /* without names, states are numbered */
  ode.names = NULL;
  ode.time_unit = NULL;
  assert_int_equal(syn_solver_create(&ode, &o, 0.0, &y0, &s, &err), SYN_OK);
  assert_int_equal(syn_solver_integrate(s, t_out, 1, NULL, 0, NULL, NULL, NULL, NULL, &err),
                   SYN_ESOLVER);
  assert_non_null(strstr(err.message, "state y[0]"));
  assert_non_null(strstr(err.message, "at t = 10 "));
  syn_solver_destroy(s);
}


/* --- dense output (step hook, interpolation) ------------------------------------ */

enum { MAXSTEPS = 4096 };

/* What a step hook saw: the intervals, and the worst deviation of the
 * interpolant from the closed form of the bolus decay of test_stop_bolus
 * (y' = -k y, +amount at each stop) at interior points of every step. */
typedef struct hook_log {
  size_t count;
  double t_prev[MAXSTEPS], t_now[MAXSTEPS];
  double k, stops[4], amount, y0; /* closed form */
  size_t nstops;
  double worst_rel;               /* interpolant vs closed form inside steps */
  int fail_at;                    /* return an error at this call (1-based), 0: never */
} hook_log;

/* The closed form at t with the doses given at or before t_dosed. */
static double bolus_decay_exact(const hook_log *h, double t, double t_dosed) {
  double y = h->y0 * exp(-h->k * t);
  for (size_t j = 0; j < h->nstops; j++)
    if (h->stops[j] <= t_dosed) y += h->amount * exp(-h->k * (t - h->stops[j]));
  return y;
}

static syn_status hook_record(const syn_solver *s, double t_prev, double t_now, void *ctx,
                              syn_error *err) {
  hook_log *h = ctx;
  assert_true(h->count < MAXSTEPS);
  h->t_prev[h->count] = t_prev;
  h->t_now[h->count] = t_now;
  h->count++;
  if (h->fail_at > 0 && (size_t)h->fail_at == h->count)
    return syn_error_set(err, SYN_EINVAL, "hook says stop");
  static const double frac[] = {0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0};
  for (size_t q = 0; q < sizeof frac / sizeof *frac; q++) {
    double t = q == 0 ? t_prev : q == 6 ? t_now : t_prev + frac[q] * (t_now - t_prev), y;
    syn_status st = syn_solver_interpolate(s, t, &y, err);
    if (st != SYN_OK) fail_msg("interpolate at %.17g in [%.17g, %.17g]: %s", t, t_prev, t_now,
                               err->message);
    /* doses happen at step edges: a step sees those up to its start (at a
     * stop, it ends with the state before the dose there) */
    double want = bolus_decay_exact(h, t, t_prev);
    h->worst_rel = fmax(h->worst_rel, fabs(y - want) / want);
  }
  return SYN_OK;
}

/* The intervals tile [t0, t_end] exactly: no gaps, no overlaps, each stop an
 * edge, every interval non-empty. */
static void check_tiling(const hook_log *h, double t0, double t_end, const double *stops,
                         size_t nstops) {
  assert_true(h->count > 0);
  assert_true(h->t_prev[0] == t0);
  for (size_t i = 0; i < h->count; i++) {
    assert_true(h->t_now[i] > h->t_prev[i]);
    if (i > 0 && h->t_prev[i] != h->t_now[i - 1])
      fail_msg("gap or overlap: step %zu starts at %.17g, step %zu ended at %.17g", i,
               h->t_prev[i], i - 1, h->t_now[i - 1]);
  }
  assert_true(h->t_now[h->count - 1] == t_end);
  for (size_t j = 0; j < nstops; j++) {
    int edge = 0;
    for (size_t i = 0; i < h->count; i++) edge |= h->t_now[i] == stops[j];
    if (!edge) fail_msg("stop %g is not the end of a step", stops[j]);
  }
}

/* With a hook: the intervals tile the run across stops and across two calls,
 * the interpolant matches the closed form inside steps, and the outputs are
 * those of the run without a hook (same steps, same interpolation). */
static void test_step_hook_tiles_the_run(void **state) {
  (void)state;
  decay_ctx c = {.k = 0.7};
  syn_ode ode = decay_ode(&c);
  syn_solver_opts o;
  tight_opts(&o);
  const double t_out[] = {0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.5, 10.0};
  const size_t n = sizeof t_out / sizeof *t_out;
  const double t_stop[] = {0.0, 2.0, 3.3, 7.5}; /* one between outputs, one at the call edge */
  const double y0 = 1.0;
  static hook_log h;
  memset(&h, 0, sizeof h);
  h.k = c.k;
  h.y0 = y0;
  h.amount = 1.0;
  memcpy(h.stops, t_stop, sizeof t_stop);
  h.nstops = 4;
  bolus b1 = {1.0, 0, {0}}, b2 = {1.0, 0, {0}};
  collect plain, hooked;
  memset(&hooked, 0, sizeof hooked);
  solve_grid(&ode, &o, 0.0, &y0, t_out, 0, &plain); /* memset only */
  syn_solver *s = NULL;
  syn_error err;
  assert_int_equal(syn_solver_create(&ode, &o, 0.0, &y0, &s, &err), SYN_OK);
  assert_int_equal(syn_solver_integrate(s, t_out, n, t_stop, 4, on_stop_bolus, &b1,
                                        on_out_collect, &plain, &err),
                   SYN_OK);
  syn_solver_stats st_plain, st_hook;
  syn_solver_get_stats(s, &st_plain);
  syn_solver_destroy(s);

  assert_int_equal(syn_solver_create(&ode, &o, 0.0, &y0, &s, &err), SYN_OK);
  syn_solver_set_step_hook(s, hook_record, &h);
  /* two calls, the whole schedule each time; the first ends at 7.5, a stop */
  assert_int_equal(syn_solver_integrate(s, t_out, 10, t_stop, 4, on_stop_bolus, &b2,
                                        on_out_collect, &hooked, &err),
                   SYN_OK);
  assert_int_equal(syn_solver_integrate(s, t_out + 10, 1, t_stop, 4, on_stop_bolus, &b2,
                                        on_out_collect, &hooked, &err),
                   SYN_OK);
  syn_solver_get_stats(s, &st_hook);
  assert_int_equal(b2.calls, 4);
  check_tiling(&h, 0.0, 10.0, t_stop + 1, 3);
  print_message("hook: %zu steps, interpolant vs closed form: %.3g relative\n", h.count,
                h.worst_rel);
  assert_true(h.worst_rel < 1e-8);
  assert_true(h.count == (size_t)st_hook.nsteps);
  /* same steps, same outputs */
  assert_int_equal(hooked.count, n);
  assert_int_equal(st_hook.nsteps, st_plain.nsteps);
  assert_int_equal(st_hook.nreinit, st_plain.nreinit);
  for (size_t k = 0; k < n; k++) {
    assert_true(hooked.t[k] == plain.t[k]);
    check_close(hooked.y[k][0], plain.y[k][0], 1e-13, 0.0, "hook vs no hook", t_out[k]);
    check_close(hooked.y[k][0], bolus_decay_exact(&h, t_out[k], t_out[k]), 1e-8, 0.0, "closed form",
                t_out[k]);
  }
  /* removing the hook returns to the fast path */
  syn_solver_set_step_hook(s, NULL, NULL);
  size_t before = h.count;
  const double t_more[] = {12.0};
  assert_int_equal(syn_solver_integrate(s, t_more, 1, NULL, 0, NULL, NULL, NULL, NULL, &err),
                   SYN_OK);
  assert_int_equal(h.count, before);
  syn_solver_destroy(s);
}

/* Coarse outputs (one at the end): many steps per output, all reported. */
static void test_step_hook_single_output(void **state) {
  (void)state;
  decay_ctx c = {.k = 2.0};
  syn_ode ode = decay_ode(&c);
  syn_solver_opts o;
  tight_opts(&o);
  const double y0 = 3.0, t_out[] = {6.0};
  static hook_log h;
  memset(&h, 0, sizeof h);
  h.k = c.k;
  h.y0 = y0;
  syn_solver *s = NULL;
  syn_error err;
  assert_int_equal(syn_solver_create(&ode, &o, 1.0, &y0, &s, &err), SYN_OK);
  syn_solver_set_step_hook(s, hook_record, &h);
  h.y0 = y0 * exp(c.k * 1.0); /* closed form from t0 = 1 */
  assert_int_equal(syn_solver_integrate(s, t_out, 1, NULL, 0, NULL, NULL, NULL, NULL, &err),
                   SYN_OK);
  check_tiling(&h, 1.0, 6.0, NULL, 0);
  assert_true(h.count > 20);
  print_message("one output: %zu steps, interpolant vs closed form: %.3g relative\n", h.count,
                h.worst_rel);
  assert_true(h.worst_rel < 1e-7); /* the global error of test_exponential_decay */
  /* after the run, the last step can still be interpolated; outside it, not */
  double y;
  assert_int_equal(syn_solver_interpolate(s, 6.0, &y, &err), SYN_OK);
  check_close(y, y0 * exp(-c.k * 5.0), 1e-7, 0.0, "end", 6.0);
  assert_int_equal(syn_solver_interpolate(s, 2.0, &y, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "outside the solver's last step"));
  assert_int_equal(syn_solver_interpolate(s, NAN, &y, &err), SYN_EINVAL);
  assert_int_equal(syn_solver_interpolate(NULL, 1.0, &y, &err), SYN_EINVAL);
  syn_solver_destroy(s);
}

/* Inside every step: the degree is CVODE's order (1..5), and the Taylor
 * polynomial built from syn_solver_interpolate_deriv at the step's end is the
 * interpolant (syn_solver_interpolate) anywhere in the step. */
typedef struct taylor_log {
  size_t steps;
  int max_deg;
  double worst;
} taylor_log;

static syn_status hook_taylor(const syn_solver *s, double t_prev, double t_now, void *ctx,
                              syn_error *err) {
  taylor_log *L = ctx;
  int q = syn_solver_interp_degree(s);
  assert_true(q >= 1 && q <= 5);
  L->max_deg = q > L->max_deg ? q : L->max_deg;
  double c[6], fact = 1.0;
  for (int k = 0; k <= q; k++) {
    if (syn_solver_interpolate_deriv(s, t_now, k, &c[k], err) != SYN_OK)
      fail_msg("derivative %d: %s", k, err->message);
    if (k > 0) fact *= k;
    c[k] /= fact;
  }
  double dummy;
  assert_int_equal(syn_solver_interpolate_deriv(s, t_now, q + 1, &dummy, err), SYN_EINVAL);
  for (int j = 0; j <= 8; j++) {
    double t = t_prev + (t_now - t_prev) * j / 8.0, x = t - t_now, p = c[q], y;
    for (int k = q - 1; k >= 0; k--) p = p * x + c[k];
    assert_int_equal(syn_solver_interpolate(s, t, &y, err), SYN_OK);
    L->worst = fmax(L->worst, fabs(p - y) / fabs(y));
  }
  L->steps++;
  return SYN_OK;
}

static void test_step_hook_taylor(void **state) {
  (void)state;
  decay_ctx c = {.k = 0.7};
  syn_ode ode = decay_ode(&c);
  syn_solver_opts o;
  tight_opts(&o);
  const double y0 = 2.0, t_out[] = {10.0};
  taylor_log L = {0, 0, 0.0};
  syn_solver *s = NULL;
  syn_error err;
  assert_int_equal(syn_solver_create(&ode, &o, 0.0, &y0, &s, &err), SYN_OK);
  assert_int_equal(syn_solver_interp_degree(s), -1); /* no step yet */
  syn_solver_set_step_hook(s, hook_taylor, &L);
  assert_int_equal(syn_solver_integrate(s, t_out, 1, NULL, 0, NULL, NULL, NULL, NULL, &err),
                   SYN_OK);
  print_message("%zu steps, degree up to %d, Taylor vs interpolant %.3g relative\n", L.steps,
                L.max_deg, L.worst);
  assert_true(L.steps > 10);
  assert_true(L.max_deg >= 3);
  assert_true(L.worst < 1e-12);
  double y;
  assert_int_equal(syn_solver_interpolate_deriv(NULL, 1.0, 0, &y, &err), SYN_EINVAL);
  assert_int_equal(syn_solver_interpolate_deriv(s, 10.0, -1, &y, &err), SYN_EINVAL);
  assert_int_equal(syn_solver_interpolate_deriv(s, NAN, 0, &y, &err), SYN_EINVAL);
  assert_int_equal(syn_solver_interp_degree(NULL), -1);
  syn_solver_destroy(s);
}

/* A hook error ends the run with time and state agreeing; max_steps counts
 * internal steps per output interval as without a hook, with the same message. */
static void test_step_hook_errors(void **state) {
  (void)state;
  decay_ctx c = {.k = 1.0};
  syn_ode ode = decay_ode(&c);
  syn_solver_opts o;
  tight_opts(&o);
  const double y0 = 1.0, t_out[] = {0.0, 5.0};
  static hook_log h;
  memset(&h, 0, sizeof h);
  h.k = c.k;
  h.y0 = y0;
  h.fail_at = 7;
  syn_solver *s = NULL;
  syn_error err;
  assert_int_equal(syn_solver_create(&ode, &o, 0.0, &y0, &s, &err), SYN_OK);
  syn_solver_set_step_hook(s, hook_record, &h);
  assert_int_equal(syn_solver_integrate(s, t_out, 2, NULL, 0, NULL, NULL, NULL, NULL, &err),
                   SYN_EINVAL);
  assert_string_equal(err.message, "hook says stop");
  assert_int_equal(h.count, 7);
  double y;
  assert_true(syn_solver_time(s) == h.t_now[6]);
  syn_solver_state(s, &y);
  check_close(y, exp(-h.t_now[6]), 1e-8, 0.0, "state after a hook error", h.t_now[6]);
  syn_solver_destroy(s);

  c.k = 50.0;
  o.rtol = 1e-6;
  o.atol = 1e-9;
  o.max_steps = 5;
  memset(&h, 0, sizeof h);
  h.k = c.k;
  h.y0 = y0;
  const double t_far[] = {10.0};
  assert_int_equal(syn_solver_create(&ode, &o, 0.0, &y0, &s, &err), SYN_OK);
  syn_solver_set_step_hook(s, hook_record, &h);
  assert_int_equal(syn_solver_integrate(s, t_far, 1, NULL, 0, NULL, NULL, NULL, NULL, &err),
                   SYN_ESOLVER);
  assert_non_null(strstr(err.message, "the solver took 5 steps between t = 0 h and t = "));
  assert_non_null(strstr(err.message, "next output at t = 10 h"));
  assert_int_equal(h.count, 5);
  assert_true(syn_solver_time(s) == h.t_now[4]);
  syn_solver_state(s, &y);
  check_close(y, exp(-c.k * h.t_now[4]), 1e-3, 0.0, "state at the failure", h.t_now[4]);
  syn_solver_destroy(s);
}

/* A' = -A, B' = A - B, with a Jacobian that turns bad after t = 1 while the
 * right-hand side stays finite (like sqrt(x) at 0: finite, slope infinite). */
typedef struct badjac_ctx {
  int nan_entry; /* >= 0: this pattern entry is NaN after t = 1 */
  int fatal;     /* return -1 after t = 1 */
} badjac_ctx;

static int badjac_rhs(double t, const double *y, double *f, void *ctx) {
  (void)t, (void)ctx;
  f[0] = -y[0];
  f[1] = y[0] - y[1];
  return 0;
}

static const int32_t badjac_colptr[] = {0, 2, 3};
static const int32_t badjac_rowind[] = {0, 1, 1};
static const char *const badjac_names[] = {"A", "B"};

static int badjac_jac(double t, const double *y, double *j, void *ctx) {
  (void)y;
  const badjac_ctx *c = ctx;
  j[0] = -1.0, j[1] = 1.0, j[2] = -1.0;
  if (t > 1.0 && c->fatal) return -1;
  if (t > 1.0 && c->nan_entry >= 0) j[c->nan_entry] = NAN;
  return 0;
}

static syn_status run_badjac(badjac_ctx *c, syn_error *err) {
  syn_ode ode = {2, badjac_rhs, badjac_jac, 3, badjac_colptr, badjac_rowind, NULL,
                 badjac_names, "h", c, 0, NULL, NULL};
  const double y0[2] = {1.0, 0.0}, t_out[] = {0.5, 5.0};
  syn_solver *s = NULL;
  assert_int_equal(syn_solver_create(&ode, NULL, 0.0, y0, &s, err), SYN_OK);
  syn_status st = syn_solver_integrate(s, t_out, 2, NULL, 0, NULL, NULL, NULL, NULL, err);
  print_message("%s: %s\n  hint: %s\n", syn_status_name(st), err->message, err->hint);
  syn_solver_destroy(s);
  return st;
}

/* A bad Jacobian used to be reported as a singular Newton matrix or a
 * convergence failure; the message now names the entry and the time. */
static void test_nonfinite_jacobian(void **state) {
  (void)state;
  syn_error err;
  badjac_ctx c = {1, 0}; /* entry 1: row 1 of column 0, d(d/dt B)/dA */
  assert_int_equal(run_badjac(&c, &err), SYN_ENONFINITE);
  assert_non_null(strstr(err.message, "Jacobian is not finite at t = 1"));
  assert_non_null(strstr(err.message, "d(d/dt 'B')/d'A' = nan"));
  assert_non_null(strstr(err.hint, "--no-jacobian"));
  badjac_ctx fatal = {-1, 1};
  assert_int_equal(run_badjac(&fatal, &err), SYN_ESOLVER);
  assert_non_null(strstr(err.message, "Jacobian function reported a failure (code -1) at t = 1"));
}

static void expect_nonfinite(decay_ctx *c, const char *want_why) {
  syn_ode ode = decay_ode(c);
  const double y0 = 1.0, t_out[] = {0.5, 1.0, 2.0};
  collect col;
  memset(&col, 0, sizeof col);
  syn_solver *s = NULL;
  syn_error err;
  assert_int_equal(syn_solver_create(&ode, NULL, 0.0, &y0, &s, &err), SYN_OK);
  syn_status st = syn_solver_integrate(s, t_out, 3, NULL, 0, NULL, NULL, on_out_collect, &col,
                                       &err);
  print_message("%s: %s\n", syn_status_name(st), err.message);
  assert_int_equal(st, SYN_ENONFINITE);
  assert_int_equal(col.count, 2); /* 0.5 and 1.0 were fine */
  assert_non_null(strstr(err.message, "the model produced a non-finite value at t = 1"));
  assert_non_null(strstr(err.message, " h: "));
  assert_non_null(strstr(err.message, want_why));
  assert_true(err.hint[0] != '\0');
  syn_solver_destroy(s);
}

/* The decay without ode->explain, integrated to t = 2: a non-finite failure
 * whose message holds want. */
static void expect_unexplained(decay_ctx *c, const char *want) {
  syn_ode ode = decay_ode(c);
  ode.explain = NULL;
  const double y0 = 1.0, t_out[] = {2.0};
  syn_solver *s = NULL;
  syn_error err;
  assert_int_equal(syn_solver_create(&ode, NULL, 0.0, &y0, &s, &err), SYN_OK);
  assert_int_equal(syn_solver_integrate(s, t_out, 1, NULL, 0, NULL, NULL, NULL, NULL, &err),
                   SYN_ENONFINITE);
  if (strstr(err.message, want) == NULL) fail_msg("message '%s' lacks '%s'", err.message, want);
  syn_solver_destroy(s);
}

static void test_nonfinite_rhs(void **state) {
  (void)state;
  decay_ctx c = {.k = 0.5, .nan_after_1 = 1};
  expect_nonfinite(&c, "d/dt X: log(x) at decay.model:3:12 gave nan");
  /* a recoverable failure that never recovers is diagnosed the same way */
  decay_ctx c2 = {.k = 0.5, .fail_after_1 = 1};
  expect_nonfinite(&c2, "log(x)");
  /* without explain, the state is named */
  decay_ctx c3 = {.k = 0.5, .nan_after_1 = 1};
  expect_unexplained(&c3, "d/dt 'X' is not finite");
}

static void test_fatal_rhs(void **state) {
  (void)state;
  decay_ctx c = {.k = 0.5, .fatal_after_1 = 1};
  expect_unexplained(&c, "reported a failure (code -1)");
}

/* The rhs fails once (returns 1) and then recovers: CVODE retries with a
 * smaller step and the answer is still right. */
static void test_rhs_recovers(void **state) {
  (void)state;
  decay_ctx c = {.k = 0.7, .fail_once_at = 1};
  syn_ode ode = decay_ode(&c);
  syn_solver_opts o;
  tight_opts(&o);
  const double y0 = 2.0, t_out[] = {0.0, 0.5, 1.0, 2.0, 5.0};
  collect col;
  solve_grid(&ode, &o, 0.0, &y0, t_out, 5, &col);
  assert_int_equal(c.failed, 1);
  for (size_t k = 0; k < 5; k++)
    check_close(col.y[k][0], y0 * exp(-c.k * t_out[k]), 1e-6, 0.0, "recovering decay", t_out[k]);
}

static syn_status on_out_fail(double t, const double *y, size_t n, void *ctx, syn_error *err) {
  (void)y, (void)n, (void)ctx;
  if (t >= 1.0) return syn_error_set(err, SYN_EIO, "sink full at %g", t);
  return SYN_OK;
}

static void test_callback_errors_end_the_run(void **state) {
  (void)state;
  decay_ctx c = {.k = 0.7};
  syn_ode ode = decay_ode(&c);
  const double y0 = 2.0, t_out[] = {0.0, 0.5, 1.0, 2.0};
  syn_solver *s = NULL;
  syn_error err;
  assert_int_equal(syn_solver_create(&ode, NULL, 0.0, &y0, &s, &err), SYN_OK);
  assert_int_equal(syn_solver_integrate(s, t_out, 4, NULL, 0, NULL, NULL, on_out_fail, NULL, &err),
                   SYN_EIO);
  assert_string_equal(err.message, "sink full at 1");
  assert_true(syn_solver_time(s) == 1.0);
  syn_solver_destroy(s);
}

/* Every allocation failure during create is reported, without leaks. */
static void test_alloc_failures(void **state) {
  (void)state;
  syn_ode ode = rober_ode();
  syn_solver_opts o;
  syn_solver_opts_default(&o);
  o.linsol = SYN_LINSOL_KLU;
  const double y0[3] = {1.0, 0.0, 0.0};
  int failures = 0;
  for (long n = 1; n < 20; n++) {
    syn_solver *s = NULL;
    syn_error err;
    syn_alloc_test_fail_after(n);
    syn_status st = syn_solver_create(&ode, &o, 0.0, y0, &s, &err);
    syn_alloc_test_fail_after(0);
    if (st == SYN_OK) {
      assert_non_null(s);
      syn_solver_destroy(s);
      break;
    }
    assert_int_equal(st, SYN_ENOMEM);
    assert_null(s);
    failures++;
  }
  assert_true(failures >= 3);
}

int main(void) {
  gsl_set_error_handler_off();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exponential_decay),
      cmocka_unit_test(test_logistic),
      cmocka_unit_test(test_two_compartment),
      cmocka_unit_test(test_stiff_linear),
      cmocka_unit_test(test_robertson_sundials_example),
      cmocka_unit_test(test_robertson_reference),
      cmocka_unit_test(test_dense_vs_klu),
      cmocka_unit_test(test_jacobian_vs_difference_quotients),
      cmocka_unit_test(test_gsl_agrees),
      cmocka_unit_test(test_stop_bolus),
      cmocka_unit_test(test_stops_between_outputs),
      cmocka_unit_test(test_stops_at_call_edges),
      cmocka_unit_test(test_output_at_current_time),
      cmocka_unit_test(test_stats_accumulate),
      cmocka_unit_test(test_option_validation),
      cmocka_unit_test(test_per_state_atol),
      cmocka_unit_test(test_atol_vector_of_one_value),
      cmocka_unit_test(test_too_much_work),
      cmocka_unit_test(test_nonfinite_rhs),
      cmocka_unit_test(test_fatal_rhs),
      cmocka_unit_test(test_nonfinite_jacobian),
      cmocka_unit_test(test_rhs_recovers),
      cmocka_unit_test(test_callback_errors_end_the_run),
      cmocka_unit_test(test_alloc_failures),
      cmocka_unit_test(test_step_hook_tiles_the_run),
      cmocka_unit_test(test_step_hook_single_output),
      cmocka_unit_test(test_step_hook_taylor),
      cmocka_unit_test(test_step_hook_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
