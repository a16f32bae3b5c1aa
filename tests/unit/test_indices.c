/* Tests for src/sweep/indices.c: Sobol S1/ST (Saltelli 2010 / Jansen) and
 * Morris mu, mu*, sigma against closed-form indices of test functions.
 *
 * The Saltelli designs are built here, independently of the sweep's design
 * code, from GSL's Sobol sequence (2D dimensions: A = first D, B = last D),
 * skipping the sequence's first point (the origin). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <gsl/gsl_qrng.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "sweep/indices.h"

static const double PI_ = 3.14159265358979323846;

typedef double (*model_fn)(const double *x, size_t D, const void *ctx);

/* A Saltelli design in SALib's row order (A, AB_1..AB_D, [BA_1..BA_D], B),
 * each column mapped from [0,1) to [lo, hi]; the outputs of f on it. */
static double *saltelli_outputs(size_t N, size_t D, int second_order, double lo, double hi,
                                model_fn f, const void *ctx, size_t *n_y) {
  size_t stride = (second_order ? 2 * D : D) + 2;
  double *y = malloc(N * stride * sizeof *y);
  double *q = malloc(2 * D * sizeof *q), *a = malloc(D * sizeof *a), *b = malloc(D * sizeof *b);
  double *row = malloc(D * sizeof *row);
  gsl_qrng *g = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)(2 * D));
  assert_true(y && q && a && b && row && g);
  gsl_qrng_get(g, q); /* skip the origin */
  for (size_t i = 0; i < N; i++) {
    gsl_qrng_get(g, q);
    for (size_t j = 0; j < D; j++) {
      a[j] = lo + (hi - lo) * q[j];
      b[j] = lo + (hi - lo) * q[D + j];
    }
    double *out = y + i * stride;
    out[0] = f(a, D, ctx);
    for (size_t j = 0; j < D; j++) {
      memcpy(row, a, D * sizeof *row);
      row[j] = b[j];
      out[1 + j] = f(row, D, ctx);
    }
    if (second_order)
      for (size_t j = 0; j < D; j++) {
        memcpy(row, b, D * sizeof *row);
        row[j] = a[j];
        out[1 + D + j] = f(row, D, ctx);
      }
    out[stride - 1] = f(b, D, ctx);
  }
  gsl_qrng_free(g);
  free(q);
  free(a);
  free(b);
  free(row);
  *n_y = N * stride;
  return y;
}

/* ---- test functions and their closed-form indices ----------------------- */

static double ishigami(const double *x, size_t D, const void *ctx) {
  (void)D;
  (void)ctx;
  const double a = 7.0, b = 0.1;
  return sin(x[0]) + a * sin(x[1]) * sin(x[1]) + b * pow(x[2], 4) * sin(x[0]);
}

/* Ishigami & Homma 1990 [ishigami1990]; variance terms of Sobol & Levitan
 * 1999 [sobol1999]: V1 = (1 + b pi^4/5)^2 / 2, V2 = a^2/8,
 * V13 = 8 b^2 pi^8 / 225. */
static void ishigami_exact(double s1[3], double st[3]) {
  const double a = 7.0, b = 0.1, pi4 = pow(PI_, 4), pi8 = pow(PI_, 8);
  double v1 = 0.5 * (1.0 + b * pi4 / 5.0) * (1.0 + b * pi4 / 5.0);
  double v2 = a * a / 8.0, v13 = 8.0 * b * b * pi8 / 225.0;
  double v = a * a / 8.0 + b * pi4 / 5.0 + b * b * pi8 / 18.0 + 0.5;
  s1[0] = v1 / v;
  s1[1] = v2 / v;
  s1[2] = 0.0;
  st[0] = (v1 + v13) / v;
  st[1] = v2 / v;
  st[2] = v13 / v;
}

static double sobol_g(const double *x, size_t D, const void *ctx) {
  const double *a = ctx;
  double g = 1.0;
  for (size_t j = 0; j < D; j++) g *= (fabs(4.0 * x[j] - 2.0) + a[j]) / (1.0 + a[j]);
  return g;
}

/* Sobol' G: V_i = 1 / (3 (1 + a_i)^2), V = prod(1 + V_i) - 1, S_i = V_i / V,
 * ST_i = V_i prod_{j != i}(1 + V_j) / V (the G function of [saltelli1995];
 * Saltelli et al. 2010 [saltelli2010], and SALib's test_functions/Sobol_G.py). */
static void sobol_g_exact(const double *a, size_t D, double *s1, double *st) {
  double vi[16], prod = 1.0;
  for (size_t j = 0; j < D; j++) {
    vi[j] = 1.0 / (3.0 * (1.0 + a[j]) * (1.0 + a[j]));
    prod *= 1.0 + vi[j];
  }
  double v = prod - 1.0;
  for (size_t j = 0; j < D; j++) {
    s1[j] = vi[j] / v;
    st[j] = vi[j] * (prod / (1.0 + vi[j])) / v;
  }
}

static double linear(const double *x, size_t D, const void *ctx) {
  const double *c = ctx;
  double s = 0.0;
  for (size_t j = 0; j < D; j++) s += c[j] * x[j];
  return s;
}

static void check_near(double got, double want, double tol, const char *what, size_t j) {
  if (!(fabs(got - want) <= tol)) {
    fprintf(stderr, "%s[%zu] = %.5f, expected %.5f +- %.3f\n", what, j, got, want, tol);
    fail();
  }
}

/* ---- Sobol --------------------------------------------------------------- */

/* Tolerance 0.02 at N = 2^13: plain Monte Carlo with these estimators is off
 * by ~0.008 at N = 2^16, so ~0.02 at 2^13 (error ~ N^-1/2; measured:
 * docs/design.md, "Tolerances of the Sobol-index tests"); the quasi-random
 * base does at least as well. */
static void test_ishigami(void **state) {
  (void)state;
  size_t n_y, N = 8192, D = 3;
  double *y = saltelli_outputs(N, D, 0, -PI_, PI_, ishigami, NULL, &n_y);
  double s1[3], st[3];
  ishigami_exact(s1, st);
  /* the closed forms reproduce the reference table (guards the test itself) */
  assert_true(fabs(s1[0] - 0.3139) < 1e-4 && fabs(s1[1] - 0.4424) < 1e-4);
  assert_true(fabs(st[0] - 0.5576) < 1e-4 && fabs(st[2] - 0.2437) < 1e-4);

  syn_sobol_result r;
  syn_error err;
  assert_int_equal(syn_sobol_indices(y, n_y, N, D, 0, 100, 42, 0.95, &r, &err), SYN_OK);
  assert_int_equal(r.D, 3);
  assert_int_equal(r.n_rows_used, N);
  assert_int_equal(r.n_rows_dropped, 0);
  assert_false(r.zero_variance);
  for (size_t j = 0; j < D; j++) {
    check_near(r.S1[j], s1[j], 0.02, "Ishigami S1", j);
    check_near(r.ST[j], st[j], 0.02, "Ishigami ST", j);
    /* 95% intervals contain the true value and are not absurdly wide */
    check_near(r.S1[j], s1[j], r.S1_conf[j], "Ishigami S1 (CI)", j);
    check_near(r.ST[j], st[j], r.ST_conf[j], "Ishigami ST (CI)", j);
    assert_true(r.S1_conf[j] > 0.0 && r.S1_conf[j] < 0.1);
    assert_true(r.ST_conf[j] > 0.0 && r.ST_conf[j] < 0.1);
  }

  /* the bootstrap is a function of the seed */
  syn_sobol_result same, other;
  assert_int_equal(syn_sobol_indices(y, n_y, N, D, 0, 100, 42, 0.95, &same, &err), SYN_OK);
  assert_int_equal(syn_sobol_indices(y, n_y, N, D, 0, 100, 43, 0.95, &other, &err), SYN_OK);
  assert_memory_equal(same.S1_conf, r.S1_conf, D * sizeof(double));
  assert_memory_equal(same.ST_conf, r.ST_conf, D * sizeof(double));
  assert_true(memcmp(other.S1_conf, r.S1_conf, D * sizeof(double)) != 0);
  /* a higher confidence level gives wider intervals, same resamples */
  syn_sobol_result wide;
  assert_int_equal(syn_sobol_indices(y, n_y, N, D, 0, 100, 42, 0.99, &wide, &err), SYN_OK);
  for (size_t j = 0; j < D; j++) {
    assert_true(wide.S1_conf[j] > r.S1_conf[j]);
    assert_true(fabs(wide.S1_conf[j] / r.S1_conf[j] - 2.5758293 / 1.9599640) < 1e-6);
  }
  syn_sobol_result_destroy(&wide);
  syn_sobol_result_destroy(&other);
  syn_sobol_result_destroy(&same);
  syn_sobol_result_destroy(&r);
  free(y);
}

static void test_sobol_g(void **state) {
  (void)state;
  const double a[8] = {0, 1, 4.5, 9, 99, 99, 99, 99};
  const double table_s1[4] = {0.7162, 0.1790, 0.0237, 0.0072};
  const double table_st[4] = {0.7871, 0.2422, 0.0343, 0.0105};
  size_t n_y, N = 8192, D = 8;
  double s1[8], st[8];
  sobol_g_exact(a, D, s1, st);
  for (size_t j = 0; j < 4; j++) {
    assert_true(fabs(s1[j] - table_s1[j]) < 1e-4);
    assert_true(fabs(st[j] - table_st[j]) < 1e-4);
  }
  double *y = saltelli_outputs(N, D, 0, 0.0, 1.0, sobol_g, a, &n_y);
  syn_sobol_result r;
  syn_error err;
  assert_int_equal(syn_sobol_indices(y, n_y, N, D, 0, 100, 7, 0.95, &r, &err), SYN_OK);
  for (size_t j = 0; j < D; j++) {
    check_near(r.S1[j], s1[j], 0.02, "Sobol-G S1", j);
    check_near(r.ST[j], st[j], 0.02, "Sobol-G ST", j);
    check_near(r.S1[j], s1[j], r.S1_conf[j], "Sobol-G S1 (CI)", j);
    check_near(r.ST[j], st[j], r.ST_conf[j], "Sobol-G ST (CI)", j);
  }
  syn_sobol_result_destroy(&r);
  free(y);
}

/* Linear model with independent U(0,1) inputs: S1_j = ST_j = c_j^2 / sum c^2.
 * Both layouts (with and without BA rows). */
static void test_linear(void **state) {
  (void)state;
  const double c[4] = {1.0, 2.0, -0.5, 0.0};
  const double sum = 1.0 + 4.0 + 0.25;
  size_t N = 8192, D = 4;
  for (int second = 0; second <= 1; second++) {
    size_t n_y;
    double *y = saltelli_outputs(N, D, second, 0.0, 1.0, linear, c, &n_y);
    assert_int_equal(n_y, N * (second ? 2 * D + 2 : D + 2));
    syn_sobol_result r;
    syn_error err;
    assert_int_equal(syn_sobol_indices(y, n_y, N, D, second, 50, 1, 0.95, &r, &err), SYN_OK);
    for (size_t j = 0; j < D; j++) {
      check_near(r.S1[j], c[j] * c[j] / sum, 0.02, "linear S1", j);
      check_near(r.ST[j], c[j] * c[j] / sum, 0.02, "linear ST", j);
    }
    /* a parameter the output does not depend on: ST exactly 0 (Jansen) */
    assert_true(r.ST[3] == 0.0 && r.ST_conf[3] == 0.0);
    syn_sobol_result_destroy(&r);
    free(y);
  }
}

/* Failed samples: their whole base rows are dropped and counted, and the
 * estimate is the one of the design without those rows. */
static void test_sobol_nan_rows(void **state) {
  (void)state;
  const double c[3] = {1.0, 2.0, 3.0};
  size_t n_y, N = 1024, D = 3, stride = D + 2;
  double *y = saltelli_outputs(N, D, 0, 0.0, 1.0, linear, c, &n_y);
  double *pruned = malloc(n_y * sizeof *pruned);
  assert_non_null(pruned);
  /* failures in an A, an AB and a B sample of three rows, two in one row */
  y[5 * stride + 0] = (double)NAN;
  y[7 * stride + 2] = (double)INFINITY;
  y[7 * stride + 3] = (double)NAN;
  y[1000 * stride + stride - 1] = (double)NAN;
  size_t m = 0;
  for (size_t i = 0; i < N; i++)
    if (i != 5 && i != 7 && i != 1000)
      memcpy(pruned + (m++) * stride, y + i * stride, stride * sizeof *y);
  syn_sobol_result r, p;
  syn_error err;
  assert_int_equal(syn_sobol_indices(y, n_y, N, D, 0, 0, 1, 0.95, &r, &err), SYN_OK);
  assert_int_equal(r.n_rows_dropped, 3);
  assert_int_equal(r.n_rows_used, N - 3);
  assert_int_equal(syn_sobol_indices(pruned, m * stride, m, D, 0, 0, 1, 0.95, &p, &err), SYN_OK);
  assert_int_equal(p.n_rows_dropped, 0);
  for (size_t j = 0; j < D; j++) {
    assert_true(r.S1[j] == p.S1[j] && r.ST[j] == p.ST[j]);
    assert_true(isnan(r.S1_conf[j]) && isnan(r.ST_conf[j])); /* n_boot = 0: no intervals */
    check_near(r.S1[j], c[j] * c[j] / 14.0, 0.03, "linear S1 with NaN rows", j);
  }
  syn_sobol_result_destroy(&r);
  syn_sobol_result_destroy(&p);

  /* all rows but one failed: refused, naming how many */
  for (size_t i = 1; i < N; i++) y[i * stride] = (double)NAN;
  assert_int_equal(syn_sobol_indices(y, n_y, N, D, 0, 10, 1, 0.95, &r, &err), SYN_ENONFINITE);
  assert_non_null(strstr(err.message, "1023 of 1024 base rows"));
  assert_null(r.S1);
  free(pruned);
  free(y);
}

static void test_sobol_constant_output(void **state) {
  (void)state;
  double y[3 * 4];
  for (size_t k = 0; k < 12; k++) y[k] = 2.5;
  syn_sobol_result r;
  syn_error err;
  assert_int_equal(syn_sobol_indices(y, 12, 3, 2, 0, 10, 1, 0.95, &r, &err), SYN_OK);
  assert_true(r.zero_variance);
  assert_true(isnan(r.S1[0]) && isnan(r.ST[1]) && isnan(r.S1_conf[1]));
  syn_sobol_result_destroy(&r);
}

static void test_sobol_errors(void **state) {
  (void)state;
  double y[2 * 5] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  syn_sobol_result r;
  syn_error err;
  assert_int_equal(syn_sobol_indices(y, 10, 2, 3, 0, 10, 1, 0.95, &r, &err), SYN_OK);
  syn_sobol_result_destroy(&r);
  assert_int_equal(syn_sobol_indices(NULL, 10, 2, 3, 0, 10, 1, 0.95, &r, &err), SYN_EINVAL);
  assert_int_equal(syn_sobol_indices(y, 10, 2, 3, 0, 10, 1, 0.95, NULL, &err), SYN_EINVAL);
  assert_int_equal(syn_sobol_indices(y, 10, 0, 3, 0, 10, 1, 0.95, &r, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "N = 0"));
  assert_int_equal(syn_sobol_indices(y, 10, 2, 0, 0, 10, 1, 0.95, &r, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "D = 0"));
  const double bad_conf[] = {0.0, 1.0, -0.5, 1.5, (double)NAN};
  for (size_t k = 0; k < 5; k++) {
    assert_int_equal(syn_sobol_indices(y, 10, 2, 3, 0, 10, 1, bad_conf[k], &r, &err),
                     SYN_EINVAL);
    assert_non_null(strstr(err.message, "confidence level"));
  }
  assert_int_equal(syn_sobol_indices(y, 10, 2, 3, 0, 1, 1, 0.95, &r, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "bootstrap"));
  /* mismatched sizes: wrong count, and the second-order layout of the same data */
  assert_int_equal(syn_sobol_indices(y, 9, 2, 3, 0, 10, 1, 0.95, &r, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "9 outputs"));
  assert_int_equal(syn_sobol_indices(y, 10, 2, 3, 1, 10, 1, 0.95, &r, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "N*(2D+2) = 16"));
  assert_int_equal(syn_sobol_indices(y, 10, SIZE_MAX / 2, 3, 0, 10, 1, 0.95, &r, &err),
                   SYN_ELIMIT);
  assert_null(r.S1);
  syn_sobol_result_destroy(NULL);
  syn_sobol_result_destroy(&r);
}

static void test_sobol_alloc_failures(void **state) {
  (void)state;
  const double c[2] = {1.0, 3.0};
  size_t n_y, N = 64, D = 2;
  double *y = saltelli_outputs(N, D, 0, 0.0, 1.0, linear, c, &n_y);
  syn_sobol_result ref, r;
  syn_error err;
  assert_int_equal(syn_sobol_indices(y, n_y, N, D, 0, 20, 3, 0.9, &ref, &err), SYN_OK);
  int succeeded = 0;
  for (long k = 1; k < 20 && !succeeded; k++) {
    syn_alloc_test_fail_after(k);
    syn_status st = syn_sobol_indices(y, n_y, N, D, 0, 20, 3, 0.9, &r, &err);
    syn_alloc_test_fail_after(0);
    if (st == SYN_OK) {
      assert_memory_equal(r.S1_conf, ref.S1_conf, D * sizeof(double));
      syn_sobol_result_destroy(&r);
      succeeded = 1;
    } else {
      assert_int_equal(st, SYN_ENOMEM);
      assert_null(r.S1);
    }
  }
  assert_true(succeeded);
  syn_sobol_result_destroy(&ref);
  free(y);
}

/* ---- Morris -------------------------------------------------------------- */

/* r trajectories on a p = 4 level grid (step 2/3 of the range, SALib's
 * default), parameters moved in a random order, up or down so that the
 * point stays in the box; then mapped to [lower, upper]. */
static double *morris_design(size_t r, size_t D, const double *lower, const double *upper,
                             unsigned long seed) {
  const double levels[4] = {0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0}, delta = 2.0 / 3.0;
  double *x = malloc(r * (D + 1) * D * sizeof *x);
  double *u = malloc(D * sizeof *u);
  size_t *order = malloc(D * sizeof *order);
  gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
  assert_true(x && u && order && g);
  gsl_rng_set(g, seed);
  for (size_t t = 0; t < r; t++) {
    for (size_t j = 0; j < D; j++) {
      u[j] = levels[gsl_rng_uniform_int(g, 4)];
      order[j] = j;
    }
    for (size_t j = D - 1; j > 0; j--) {
      size_t k = gsl_rng_uniform_int(g, j + 1), tmp = order[j];
      order[j] = order[k];
      order[k] = tmp;
    }
    double *pts = x + t * (D + 1) * D;
    for (size_t k = 0; k <= D; k++) {
      if (k > 0) {
        size_t j = order[k - 1];
        u[j] = u[j] + delta <= 1.0 + 1e-12 ? u[j] + delta : u[j] - delta;
      }
      for (size_t j = 0; j < D; j++) pts[k * D + j] = lower[j] + (upper[j] - lower[j]) * u[j];
    }
  }
  gsl_rng_free(g);
  free(u);
  free(order);
  return x;
}

static double *eval_rows(const double *x, size_t rows, size_t D, model_fn f, const void *ctx) {
  double *y = malloc(rows * sizeof *y);
  assert_non_null(y);
  for (size_t i = 0; i < rows; i++) y[i] = f(x + i * D, D, ctx);
  return y;
}

static void test_morris_linear(void **state) {
  (void)state;
  const double c[4] = {2.0, -3.0, 0.0, 0.5};
  const double lower[4] = {0.0, -1.0, 10.0, 1.0}, upper[4] = {1.0, 3.0, 20.0, 1.5};
  size_t r = 20, D = 4;
  double *x = morris_design(r, D, lower, upper, 11);
  double *y = eval_rows(x, r * (D + 1), D, linear, c);
  syn_morris_result m;
  syn_error err;
  assert_int_equal(syn_morris_indices(x, y, r * (D + 1), r, D, lower, upper, &m, &err), SYN_OK);
  assert_int_equal(m.n_traj_used, r);
  assert_int_equal(m.n_traj_dropped, 0);
  for (size_t j = 0; j < D; j++) {
    double range = upper[j] - lower[j];
    check_near(m.mu[j], c[j] * range, 1e-9, "linear mu", j);
    check_near(m.mu_star[j], fabs(c[j]) * range, 1e-9, "linear mu*", j);
    check_near(m.sigma[j], 0.0, 1e-9, "linear sigma", j);
  }
  syn_morris_result_destroy(&m);

  /* a failed point drops its trajectory only */
  y[3 * (D + 1) + 2] = (double)NAN;
  assert_int_equal(syn_morris_indices(x, y, r * (D + 1), r, D, lower, upper, &m, &err), SYN_OK);
  assert_int_equal(m.n_traj_used, r - 1);
  assert_int_equal(m.n_traj_dropped, 1);
  check_near(m.mu_star[1], 3.0 * 4.0, 1e-9, "linear mu* after drop", 1);
  syn_morris_result_destroy(&m);
  for (size_t t = 0; t < r; t++) y[t * (D + 1)] = (double)NAN;
  assert_int_equal(syn_morris_indices(x, y, r * (D + 1), r, D, lower, upper, &m, &err),
                   SYN_ENONFINITE);
  assert_non_null(strstr(err.message, "all 20 trajectories"));
  assert_null(m.mu);
  free(x);
  free(y);
}

/* f = x0 + 4 x1 x2 + x3: x1 and x2 interact (their elementary effects depend
 * on the other's value), x0 and x3 do not. */
static double interacting(const double *x, size_t D, const void *ctx) {
  (void)D;
  (void)ctx;
  return x[0] + 4.0 * x[1] * x[2] + x[3];
}

static void test_morris_interaction(void **state) {
  (void)state;
  const double lower[4] = {0, 0, 0, 0}, upper[4] = {1, 1, 1, 1};
  size_t r = 30, D = 4;
  double *x = morris_design(r, D, lower, upper, 5);
  double *y = eval_rows(x, r * (D + 1), D, interacting, NULL);
  syn_morris_result m;
  syn_error err;
  assert_int_equal(syn_morris_indices(x, y, r * (D + 1), r, D, lower, upper, &m, &err), SYN_OK);
  check_near(m.sigma[0], 0.0, 1e-9, "sigma x0", 0);
  check_near(m.sigma[3], 0.0, 1e-9, "sigma x3", 3);
  check_near(m.mu_star[0], 1.0, 1e-9, "mu* x0", 0);
  /* EE of x1 is 4 * x2 with x2 on the levels {0, 1/3, 2/3, 1}: spread > 0.3 */
  assert_true(m.sigma[1] > 0.3 && m.sigma[2] > 0.3);
  assert_true(m.mu_star[1] > 0.5 && m.mu_star[1] < 3.5);
  syn_morris_result_destroy(&m);
  free(x);
  free(y);
}

static void test_morris_errors(void **state) {
  (void)state;
  const double lower[2] = {0, 0}, upper[2] = {1, 1}, flat[2] = {0, 0};
  /* one trajectory of 3 points */
  double x[6] = {0, 0, 1, 0, 1, 1};
  double y[3] = {0, 1, 2};
  syn_morris_result m;
  syn_error err;
  assert_int_equal(syn_morris_indices(x, y, 3, 1, 2, lower, upper, &m, &err), SYN_OK);
  assert_true(isnan(m.sigma[0])); /* one trajectory: no spread */
  assert_true(m.mu[0] == 1.0 && m.mu[1] == 1.0);
  syn_morris_result_destroy(&m);
  assert_int_equal(syn_morris_indices(NULL, y, 3, 1, 2, lower, upper, &m, &err), SYN_EINVAL);
  assert_int_equal(syn_morris_indices(x, y, 3, 1, 2, lower, upper, NULL, &err), SYN_EINVAL);
  assert_int_equal(syn_morris_indices(x, y, 3, 0, 2, lower, upper, &m, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "r = 0"));
  assert_int_equal(syn_morris_indices(x, y, 3, 1, 0, lower, upper, &m, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "D = 0"));
  assert_int_equal(syn_morris_indices(x, y, 4, 1, 2, lower, upper, &m, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "4 samples"));
  assert_int_equal(syn_morris_indices(x, y, 3, 1, 2, lower, flat, &m, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "empty range"));
  double two[6] = {0, 0, 1, 1, 1, 0}; /* first step moves both */
  assert_int_equal(syn_morris_indices(two, y, 3, 1, 2, lower, upper, &m, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "trajectory 0, step 0"));
  double twice[6] = {0, 0, 1, 0, 0, 0}; /* x0 moved twice, x1 never */
  assert_int_equal(syn_morris_indices(twice, y, 3, 1, 2, lower, upper, &m, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "twice"));
  double inf[6] = {0, 0, (double)INFINITY, 0, 1, 1};
  assert_int_equal(syn_morris_indices(inf, y, 3, 1, 2, lower, upper, &m, &err), SYN_EINVAL);
  assert_null(m.mu);
  syn_morris_result_destroy(NULL);

  int succeeded = 0;
  for (long k = 1; k < 10 && !succeeded; k++) {
    syn_alloc_test_fail_after(k);
    syn_status st = syn_morris_indices(x, y, 3, 1, 2, lower, upper, &m, &err);
    syn_alloc_test_fail_after(0);
    if (st == SYN_OK) {
      succeeded = 1;
      syn_morris_result_destroy(&m);
    } else {
      assert_int_equal(st, SYN_ENOMEM);
      assert_null(m.mu);
    }
  }
  assert_true(succeeded);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ishigami),
      cmocka_unit_test(test_sobol_g),
      cmocka_unit_test(test_linear),
      cmocka_unit_test(test_sobol_nan_rows),
      cmocka_unit_test(test_sobol_constant_output),
      cmocka_unit_test(test_sobol_errors),
      cmocka_unit_test(test_sobol_alloc_failures),
      cmocka_unit_test(test_morris_linear),
      cmocka_unit_test(test_morris_interaction),
      cmocka_unit_test(test_morris_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
