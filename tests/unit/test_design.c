/* Unit tests of the sweep designs (src/sweep/design.[ch]). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_qrng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "sweep/design.h"

/* ---- helpers ---------------------------------------------------------------- */

#define assert_near(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

static syn_dist uni(double a, double b) {
  syn_dist d = {SYN_DIST_UNIFORM, a, b, 0, 0, 0};
  return d;
}

static syn_dist dist_of(syn_dist_kind k, double a, double b) {
  syn_dist d = {k, a, b, 0, 0, 0};
  return d;
}

static syn_dist truncated(syn_dist_kind k, double a, double b, double lo, double hi) {
  syn_dist d = {k, a, b, 1, lo, hi};
  return d;
}

static syn_design_spec spec_of(syn_design_kind kind, size_t n, size_t dims, const syn_dist *dists) {
  syn_design_spec s;
  memset(&s, 0, sizeof s);
  s.kind = kind;
  s.n = n;
  s.dims = dims;
  s.seed = 12345;
  s.dists = dists;
  return s;
}

static syn_design *make(const syn_design_spec *s) {
  syn_design *d = NULL;
  syn_error err;
  syn_error_clear(&err);
  syn_status st = syn_design_create(s, &d, &err);
  if (st != SYN_OK) fail_msg("create failed: %s", err.message);
  assert_non_null(d);
  return d;
}

static void expect_error(const syn_design_spec *s, syn_status code, const char *needle) {
  syn_design *d = (syn_design *)(uintptr_t)1;
  syn_error err;
  syn_error_clear(&err);
  syn_status st = syn_design_create(s, &d, &err);
  assert_int_equal(st, code);
  assert_int_equal(err.code, code);
  assert_null(d);
  if (!strstr(err.message, needle)) fail_msg("message '%s' lacks '%s'", err.message, needle);
}

static const syn_dist UNI3[3] = {{SYN_DIST_UNIFORM, 0, 1, 0, 0, 0},
                                 {SYN_DIST_UNIFORM, -2, 2, 0, 0, 0},
                                 {SYN_DIST_LOGUNIFORM, 0.01, 10, 0, 0, 0}};

/* ---- counts ------------------------------------------------------------------ */

static void test_counts(void **state) {
  (void)state;
  size_t levels[3] = {3, 4, 5};
  syn_design_spec s = spec_of(SYN_DESIGN_GRID, 0, 3, UNI3);
  s.levels = levels;
  syn_design *d = make(&s);
  assert_int_equal(syn_design_count(d), 60);
  assert_int_equal(syn_design_dims(d), 3);
  syn_design_destroy(d);
  const syn_design_kind plain[] = {SYN_DESIGN_RANDOM, SYN_DESIGN_LHS, SYN_DESIGN_SOBOL};
  for (size_t k = 0; k < 3; k++) {
    s = spec_of(plain[k], 17, 3, UNI3);
    d = make(&s);
    assert_int_equal(syn_design_count(d), 17);
    syn_design_destroy(d);
  }
  s = spec_of(SYN_DESIGN_SALTELLI, 16, 3, UNI3);
  s.second_order = 1;
  d = make(&s);
  assert_int_equal(syn_design_count(d), 16 * (2 * 3 + 2));
  syn_design_destroy(d);
  s.second_order = 0;
  d = make(&s);
  assert_int_equal(syn_design_count(d), 16 * (3 + 2));
  syn_design_destroy(d);
  s = spec_of(SYN_DESIGN_MORRIS, 10, 3, UNI3);
  d = make(&s);
  assert_int_equal(syn_design_count(d), 10 * 4);
  syn_design_destroy(d);
  assert_int_equal(syn_design_count(NULL), 0);
}

/* Issue 12 point 15: syn_design_plan counts what syn_design_create would
 * build, with the same checks and without allocating: a design of 1e9 lhs
 * samples in 4 parameters is counted, not built (its permutations are 16 GB),
 * and the limits are seen before anything is built. */
static void test_plan_counts_without_building(void **state) {
  (void)state;
  size_t levels[3] = {3, 4, 5}, count = 0;
  syn_error err;
  for (int kind = SYN_DESIGN_GRID; kind <= SYN_DESIGN_MORRIS; kind++) {
    syn_design_spec s = spec_of((syn_design_kind)kind, 16, 3, UNI3);
    s.levels = levels;
    s.second_order = 1;
    syn_design *d = make(&s);
    long before = syn_alloc_test_count();
    assert_int_equal(syn_design_plan(&s, &count, &err), SYN_OK);
    assert_int_equal(syn_alloc_test_count(), before);
    assert_int_equal(count, syn_design_count(d));
    syn_design_destroy(d);
  }
  const syn_dist four[4] = {UNI3[0], UNI3[1], UNI3[2], UNI3[0]};
  syn_design_spec big = spec_of(SYN_DESIGN_LHS, 1000000000, 4, four);
  long before = syn_alloc_test_count();
  assert_int_equal(syn_design_plan(&big, &count, &err), SYN_OK);
  assert_int_equal(count, 1000000000);
  assert_int_equal(syn_alloc_test_count(), before);
  big.n = (size_t)UINT32_MAX + 1; /* the same limits as create */
  assert_int_equal(syn_design_plan(&big, &count, &err), SYN_ELIMIT);
  assert_non_null(strstr(err.message, "an lhs design supports at most 4294967295 samples"));
  big.kind = SYN_DESIGN_SOBOL;
  assert_int_equal(syn_design_plan(&big, &count, &err), SYN_ELIMIT);
  assert_int_equal(syn_design_plan(NULL, &count, &err), SYN_EINVAL);
  assert_int_equal(syn_design_plan(&big, NULL, &err), SYN_EINVAL);
}

/* ---- determinism ---------------------------------------------------------------- */

static void check_order_independent(const syn_design_spec *s) {
  syn_design *d1 = make(s), *d2 = make(s);
  size_t n = syn_design_count(d1), dims = s->dims;
  double *fwd = calloc(n * dims, sizeof *fwd), *x = calloc(dims, sizeof *x);
  assert_non_null(fwd);
  assert_non_null(x);
  for (size_t i = 0; i < n; i++) assert_int_equal(syn_design_sample(d1, i, fwd + i * dims, NULL), SYN_OK);
  /* the other object, backwards and then in a scrambled order */
  for (size_t i = n; i-- > 0;) {
    assert_int_equal(syn_design_sample(d2, i, x, NULL), SYN_OK);
    assert_memory_equal(x, fwd + i * dims, dims * sizeof *x);
  }
  for (size_t k = 0; k < n; k++) {
    size_t i = (k * 7919u + 13u) % n;
    assert_int_equal(syn_design_sample(d2, i, x, NULL), SYN_OK);
    assert_memory_equal(x, fwd + i * dims, dims * sizeof *x);
  }
  free(fwd);
  free(x);
  syn_design_destroy(d1);
  syn_design_destroy(d2);
}

static void test_determinism(void **state) {
  (void)state;
  size_t levels[3] = {2, 3, 4};
  for (int k = SYN_DESIGN_GRID; k <= SYN_DESIGN_MORRIS; k++) {
    syn_design_spec s = spec_of((syn_design_kind)k, 50, 3, UNI3);
    s.levels = levels;
    s.second_order = 1;
    check_order_independent(&s);
  }
}

static void test_seed_matters(void **state) {
  (void)state;
  syn_design_spec s = spec_of(SYN_DESIGN_RANDOM, 10, 3, UNI3);
  syn_design *a = make(&s);
  s.seed += (uint64_t)1 << 32; /* differs only above 32 bits: must still differ */
  syn_design *b = make(&s);
  double xa[3], xb[3];
  assert_int_equal(syn_design_sample(a, 3, xa, NULL), SYN_OK);
  assert_int_equal(syn_design_sample(b, 3, xb, NULL), SYN_OK);
  assert_true(memcmp(xa, xb, sizeof xa) != 0);
  /* and different samples differ */
  assert_int_equal(syn_design_sample(a, 4, xb, NULL), SYN_OK);
  assert_true(memcmp(xa, xb, sizeof xa) != 0);
  syn_design_destroy(a);
  syn_design_destroy(b);
}

/* ---- grid ------------------------------------------------------------------------- */

static void test_grid_values(void **state) {
  (void)state;
  syn_dist dists[3] = {uni(1, 3), dist_of(SYN_DIST_LOGUNIFORM, 1, 100), dist_of(SYN_DIST_NORMAL, 0, 1)};
  size_t levels[3] = {3, 3, 2};
  syn_design_spec s = spec_of(SYN_DESIGN_GRID, 0, 3, dists);
  s.levels = levels;
  syn_design *d = make(&s);
  double x[3];
  /* last parameter fastest: index = (i0 * 3 + i1) * 2 + i2 */
  const double lin[3] = {1, 2, 3}, lg[3] = {1, 10, 100};
  for (size_t i0 = 0; i0 < 3; i0++)
    for (size_t i1 = 0; i1 < 3; i1++)
      for (size_t i2 = 0; i2 < 2; i2++) {
        assert_int_equal(syn_design_sample(d, (i0 * 3 + i1) * 2 + i2, x, NULL), SYN_OK);
        assert_near(x[0], lin[i0], 1e-12);
        assert_near(x[1], lg[i1], 1e-12 * lg[i1]);
        /* unbounded normal: mid-quantiles 0.25 and 0.75 */
        assert_near(x[2], gsl_cdf_ugaussian_Pinv(i2 ? 0.75 : 0.25), 1e-12);
      }
  syn_design_destroy(d);
}

/* ---- sobol ---------------------------------------------------------------------- */

static void test_sobol_first_points(void **state) {
  (void)state;
  syn_dist dists[2] = {uni(0, 1), uni(0, 1)};
  syn_design_spec s = spec_of(SYN_DESIGN_SOBOL, 4, 2, dists);
  syn_design *d = make(&s);
  const double want[4][2] = {{0.5, 0.5}, {0.75, 0.25}, {0.25, 0.75}, {0.375, 0.375}};
  double x[2];
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(syn_design_sample(d, i, x, NULL), SYN_OK);
    assert_true(x[0] == want[i][0] && x[1] == want[i][1]);
  }
  syn_design_destroy(d);
}

/* The gray-code points equal GSL's sequential ones bit for bit, in 40 dims. */
static void test_sobol_matches_gsl(void **state) {
  (void)state;
  enum { D = 40, N = 3000 };
  syn_dist dists[D];
  for (size_t j = 0; j < D; j++) dists[j] = uni(0, 1);
  syn_design_spec s = spec_of(SYN_DESIGN_SOBOL, N, D, dists);
  syn_design *d = make(&s);
  gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, D);
  assert_non_null(q);
  double want[D], got[D];
  for (size_t i = 0; i < N; i++) {
    assert_int_equal(gsl_qrng_get(q, want), 0);
    assert_int_equal(syn_design_unit(d, i, got, NULL), SYN_OK);
    assert_memory_equal(want, got, sizeof want);
  }
  gsl_qrng_free(q);
  syn_design_destroy(d);
}

/* ---- saltelli ------------------------------------------------------------------ */

static void check_saltelli(int second_order) {
  enum { D = 3, N = 8 };
  syn_dist dists[D] = {uni(0, 1), uni(0, 1), uni(0, 1)};
  syn_design_spec s = spec_of(SYN_DESIGN_SALTELLI, N, D, dists);
  s.second_order = second_order;
  syn_design *d = make(&s);
  size_t stride = second_order ? 2 * D + 2 : D + 2;
  gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, 2 * D);
  assert_non_null(q);
  double base[2 * D], row[D];
  for (size_t r = 0; r < N; r++) {
    assert_int_equal(gsl_qrng_get(q, base), 0);
    const double *A = base, *B = base + D;
    for (size_t pos = 0; pos < stride; pos++) {
      assert_int_equal(syn_design_sample(d, r * stride + pos, row, NULL), SYN_OK);
      for (size_t j = 0; j < D; j++) {
        double want;
        if (pos == 0) want = A[j];
        else if (pos == stride - 1) want = B[j];
        else if (pos <= D) want = (j == pos - 1) ? B[j] : A[j];     /* AB_m */
        else want = (j == pos - 1 - D) ? A[j] : B[j];               /* BA_m */
        assert_true(row[j] == want);
      }
    }
  }
  gsl_qrng_free(q);
  syn_design_destroy(d);
}

static void test_saltelli_order(void **state) {
  (void)state;
  check_saltelli(1);
  check_saltelli(0);
}

/* ---- lhs ------------------------------------------------------------------------ */

static void test_lhs_strata(void **state) {
  (void)state;
  enum { D = 3, N = 97 };
  syn_design_spec s = spec_of(SYN_DESIGN_LHS, N, D, UNI3);
  syn_design *d = make(&s);
  int hit[D][N];
  memset(hit, 0, sizeof hit);
  double u[D];
  for (size_t i = 0; i < N; i++) {
    assert_int_equal(syn_design_unit(d, i, u, NULL), SYN_OK);
    for (size_t j = 0; j < D; j++) {
      assert_true(u[j] > 0 && u[j] < 1);
      hit[j][(size_t)(u[j] * N)]++;
    }
  }
  for (size_t j = 0; j < D; j++)
    for (size_t k = 0; k < N; k++) assert_int_equal(hit[j][k], 1);
  /* the columns are not all the same permutation */
  double u0[D];
  int differs = 0;
  for (size_t i = 0; i < N && !differs; i++) {
    assert_int_equal(syn_design_unit(d, i, u0, NULL), SYN_OK);
    differs = (size_t)(u0[0] * N) != (size_t)(u0[1] * N);
  }
  assert_true(differs);
  syn_design_destroy(d);
}

/* The LHS permutations are uniform: a uniform random permutation has one
 * fixed point on average (a biased shuffle such as Sattolo's has none). */
static void test_lhs_permutation_uniform(void **state) {
  (void)state;
  enum { N = 5, SEEDS = 4000 };
  syn_dist dist = uni(0, 1);
  size_t fixed = 0;
  for (uint64_t seed = 0; seed < SEEDS; seed++) {
    syn_design_spec s = spec_of(SYN_DESIGN_LHS, N, 1, &dist);
    s.seed = seed;
    syn_design *d = make(&s);
    double u;
    for (size_t i = 0; i < N; i++) {
      assert_int_equal(syn_design_unit(d, i, &u, NULL), SYN_OK);
      fixed += (size_t)(u * N) == i;
    }
    syn_design_destroy(d);
  }
  /* mean 1 fixed point per permutation, variance 1: 5 sd of the total */
  assert_true(fabs((double)fixed - SEEDS) < 5 * sqrt((double)SEEDS));
}

/* ---- morris ----------------------------------------------------------------------- */

static void test_morris_trajectories(void **state) {
  (void)state;
  enum { D = 4, N = 30 };
  syn_dist dists[D] = {uni(0, 1), uni(0, 1), uni(0, 1), uni(0, 1)};
  const size_t ps[2] = {4, 6};
  for (size_t pi = 0; pi < 2; pi++) {
    size_t p = ps[pi];
    double delta = (double)p / (2.0 * (double)(p - 1));
    syn_design_spec s = spec_of(SYN_DESIGN_MORRIS, N, D, dists);
    s.morris_levels = p;
    syn_design *d = make(&s);
    double prev[D], cur[D];
    for (size_t t = 0; t < N; t++) {
      int moved[D] = {0};
      for (size_t k = 0; k <= D; k++) {
        assert_int_equal(syn_design_sample(d, t * (D + 1) + k, cur, NULL), SYN_OK);
        for (size_t j = 0; j < D; j++) {
          double lv = cur[j] * (double)(p - 1); /* on the p-level grid */
          assert_near(lv, round(lv), 1e-9);
          assert_true(cur[j] >= 0 && cur[j] <= 1);
        }
        if (k > 0) {
          size_t changed = 0;
          for (size_t j = 0; j < D; j++) {
            if (cur[j] == prev[j]) continue;
            changed++;
            assert_near(fabs(cur[j] - prev[j]), delta, 1e-12);
            assert_false(moved[j]);
            moved[j] = 1;
          }
          assert_int_equal(changed, 1);
        }
        memcpy(prev, cur, sizeof cur);
      }
    }
    syn_design_destroy(d);
  }
}

/* ---- distributions ----------------------------------------------------------------- */

enum { NSTAT = 100000 };

/* Mean and a few empirical quantiles of one parameter over a random design. */
static void sample_column(const syn_dist *dist, double *vals) {
  syn_design_spec s = spec_of(SYN_DESIGN_RANDOM, NSTAT, 1, dist);
  s.seed = 2024;
  syn_design *d = make(&s);
  for (size_t i = 0; i < NSTAT; i++) assert_int_equal(syn_design_sample(d, i, vals + i, NULL), SYN_OK);
  syn_design_destroy(d);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double mean_of(const double *v, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += v[i];
  return s / (double)n;
}

/* Empirical CDF at the distribution's p-quantile is p within 5 binomial sd. */
static void check_quantile(const double *sorted, double q, double p) {
  size_t below_q = 0;
  while (below_q < NSTAT && sorted[below_q] < q) below_q++;
  double sd = sqrt(p * (1 - p) / NSTAT);
  assert_true(fabs((double)below_q / NSTAT - p) < 5 * sd);
}

static void test_distributions(void **state) {
  (void)state;
  double *v = calloc(NSTAT, sizeof *v);
  assert_non_null(v);
  const double ps[3] = {0.1, 0.5, 0.9};

  syn_dist du = uni(2, 5);
  sample_column(&du, v);
  assert_true(fabs(mean_of(v, NSTAT) - 3.5) < 5 * 3 / sqrt(12.0 * NSTAT));
  qsort(v, NSTAT, sizeof *v, cmp_double);
  assert_true(v[0] >= 2 && v[NSTAT - 1] <= 5);
  for (int k = 0; k < 3; k++) check_quantile(v, 2 + 3 * ps[k], ps[k]);

  syn_dist dl = dist_of(SYN_DIST_LOGUNIFORM, 0.01, 100);
  sample_column(&dl, v);
  qsort(v, NSTAT, sizeof *v, cmp_double);
  assert_true(v[0] >= 0.01 && v[NSTAT - 1] <= 100);
  for (int k = 0; k < 3; k++) check_quantile(v, 0.01 * pow(1e4, ps[k]), ps[k]);

  syn_dist dn = dist_of(SYN_DIST_NORMAL, 3, 2);
  sample_column(&dn, v);
  assert_true(fabs(mean_of(v, NSTAT) - 3) < 5 * 2 / sqrt((double)NSTAT));
  qsort(v, NSTAT, sizeof *v, cmp_double);
  for (int k = 0; k < 3; k++) check_quantile(v, 3 + 2 * gsl_cdf_ugaussian_Pinv(ps[k]), ps[k]);

  syn_dist dln = dist_of(SYN_DIST_LOGNORMAL, 0.5, 0.4);
  sample_column(&dln, v);
  double m = exp(0.5 + 0.08), sdv = m * sqrt(exp(0.16) - 1);
  assert_true(fabs(mean_of(v, NSTAT) - m) < 5 * sdv / sqrt((double)NSTAT));
  qsort(v, NSTAT, sizeof *v, cmp_double);
  for (int k = 0; k < 3; k++) check_quantile(v, exp(0.5 + 0.4 * gsl_cdf_ugaussian_Pinv(ps[k])), ps[k]);
  free(v);
}

/* Truncated normal: inside the range, and the closed-form mean
 * mu + sigma (phi(alpha) - phi(beta)) / (Phi(beta) - Phi(alpha)). */
static void test_truncation(void **state) {
  (void)state;
  double *v = calloc(NSTAT, sizeof *v);
  assert_non_null(v);
  const double mu = 1, sigma = 0.5, lo = 0.2, hi = 1.4;
  syn_dist dt = truncated(SYN_DIST_NORMAL, mu, sigma, lo, hi);
  sample_column(&dt, v);
  for (size_t i = 0; i < NSTAT; i++) assert_true(v[i] >= lo && v[i] <= hi);
  double al = (lo - mu) / sigma, be = (hi - mu) / sigma;
  double Z = gsl_cdf_ugaussian_P(be) - gsl_cdf_ugaussian_P(al);
  double pdf_a = exp(-al * al / 2) / sqrt(2 * 3.14159265358979323846), pdf_b = exp(-be * be / 2) / sqrt(2 * 3.14159265358979323846);
  double want = mu + sigma * (pdf_a - pdf_b) / Z;
  assert_true(fabs(mean_of(v, NSTAT) - want) < 5 * sigma / sqrt((double)NSTAT));

  /* far upper tail: still inside, not collapsed onto one value */
  syn_dist tail = truncated(SYN_DIST_NORMAL, 0, 1, 9, 10);
  sample_column(&tail, v);
  double mn = 1e9, mx = -1e9;
  for (size_t i = 0; i < NSTAT; i++) {
    assert_true(v[i] >= 9 && v[i] <= 10);
    mn = fmin(mn, v[i]);
    mx = fmax(mx, v[i]);
  }
  assert_true(mx - mn > 0.1);
  double ta = 9, tb = 10, tz = gsl_cdf_ugaussian_Q(ta) - gsl_cdf_ugaussian_Q(tb);
  double tmean = (exp(-ta * ta / 2) - exp(-tb * tb / 2)) / sqrt(2 * 3.14159265358979323846) / tz;
  assert_true(fabs(mean_of(v, NSTAT) - tmean) < 5 * 0.2 / sqrt((double)NSTAT));

  /* lognormal within lo hi */
  syn_dist tl = truncated(SYN_DIST_LOGNORMAL, 0, 1, 0.5, 3);
  sample_column(&tl, v);
  for (size_t i = 0; i < NSTAT; i++) assert_true(v[i] >= 0.5 && v[i] <= 3);
  /* lognormal within 0 hi is legal */
  syn_dist t0 = truncated(SYN_DIST_LOGNORMAL, 0, 1, 0, 2);
  assert_int_equal(syn_dist_check(&t0, "x", NULL), SYN_OK);
  assert_true(syn_dist_map(&t0, 0.0) == 0.0 && syn_dist_map(&t0, 1.0) == 2.0);
  double mid = syn_dist_map(&t0, 0.5);
  assert_true(mid > 0 && mid < 2);
  free(v);
}

/* Morris with a truncated normal reaches its bounds; endpoints are exact. */
static void test_bounded_endpoints(void **state) {
  (void)state;
  syn_dist u = uni(-1, 7), l = dist_of(SYN_DIST_LOGUNIFORM, 0.1, 10);
  assert_true(syn_dist_map(&u, 0) == -1 && syn_dist_map(&u, 1) == 7);
  assert_true(syn_dist_map(&l, 0) == 0.1 && syn_dist_map(&l, 1) == 10);
  syn_dist dists[2] = {truncated(SYN_DIST_NORMAL, 0, 1, -2, 2), uni(0, 1)};
  syn_design_spec s = spec_of(SYN_DESIGN_MORRIS, 20, 2, dists);
  syn_design *d = make(&s);
  double x[2];
  for (size_t i = 0; i < syn_design_count(d); i++) {
    assert_int_equal(syn_design_sample(d, i, x, NULL), SYN_OK);
    assert_true(x[0] >= -2 && x[0] <= 2);
  }
  syn_design_destroy(d);
}

/* ---- errors -------------------------------------------------------------------- */

static void test_errors(void **state) {
  (void)state;
  syn_dist good[2] = {uni(0, 1), uni(0, 1)};
  const char *names[2] = {"potency", "k_MSC"};
  syn_design_spec s = spec_of(SYN_DESIGN_RANDOM, 10, 2, good);
  syn_design *d = NULL;
  assert_int_equal(syn_design_create(NULL, &d, NULL), SYN_EINVAL);
  assert_int_equal(syn_design_create(&s, NULL, NULL), SYN_EINVAL);

  s.dims = 0;
  expect_error(&s, SYN_EINVAL, "at least 1 parameter");
  s.dims = 2;
  s.n = 0;
  expect_error(&s, SYN_EINVAL, "N >= 1");
  s.n = 10;
  s.dists = NULL;
  expect_error(&s, SYN_EINVAL, "distribution per parameter");
  s.dists = good;
  s.kind = (syn_design_kind)99;
  expect_error(&s, SYN_EINVAL, "unknown design kind");
  s.kind = SYN_DESIGN_RANDOM;

  /* distributions, with the parameter's name in the message */
  syn_dist bad[2] = {uni(0, 1), uni(0, 1)};
  s.dists = bad;
  s.names = names;
  bad[1] = uni(1, 1);
  expect_error(&s, SYN_EINVAL, "'k_MSC': uniform 1 1 needs a < b");
  bad[1] = dist_of(SYN_DIST_LOGUNIFORM, 0, 1);
  expect_error(&s, SYN_EINVAL, "loguniform 0 1 needs 0 < a < b");
  bad[1] = dist_of(SYN_DIST_LOGUNIFORM, 2, 1);
  expect_error(&s, SYN_EINVAL, "needs 0 < a < b");
  bad[1] = dist_of(SYN_DIST_NORMAL, 0, 0);
  expect_error(&s, SYN_EINVAL, "sigma > 0");
  bad[1] = dist_of(SYN_DIST_LOGNORMAL, 0, -1);
  expect_error(&s, SYN_EINVAL, "sigma > 0");
  bad[1] = dist_of(SYN_DIST_NORMAL, (double)NAN, 1);
  expect_error(&s, SYN_EINVAL, "finite");
  bad[1] = truncated(SYN_DIST_UNIFORM, 0, 1, 0, 1);
  expect_error(&s, SYN_EINVAL, "`within` applies to normal and lognormal only");
  bad[1] = truncated(SYN_DIST_NORMAL, 0, 1, 2, 1);
  expect_error(&s, SYN_EINVAL, "finite lo < hi");
  bad[1] = truncated(SYN_DIST_NORMAL, 0, 1, 0, HUGE_VAL);
  expect_error(&s, SYN_EINVAL, "finite lo < hi");
  bad[1] = truncated(SYN_DIST_LOGNORMAL, 0, 1, -1, 2);
  expect_error(&s, SYN_EINVAL, "0 <= lo < hi");
  bad[1] = truncated(SYN_DIST_NORMAL, 0, 1, 50, 60);
  expect_error(&s, SYN_EINVAL, "no probability mass");
  bad[1] = dist_of((syn_dist_kind)42, 0, 1);
  expect_error(&s, SYN_EINVAL, "unknown distribution kind");
  s.names = NULL;
  bad[1] = uni(3, 2);
  expect_error(&s, SYN_EINVAL, "parameter 2: uniform");
  assert_int_equal(syn_dist_check(NULL, NULL, NULL), SYN_EINVAL);
  s.dists = good;

  /* grid */
  s.kind = SYN_DESIGN_GRID;
  expect_error(&s, SYN_EINVAL, "number of levels per parameter");
  size_t levels[2] = {3, 1};
  s.levels = levels;
  expect_error(&s, SYN_EINVAL, "at least 2 levels (got 1)");
  size_t huge[2] = {SIZE_MAX / 2, 3};
  s.levels = huge;
  expect_error(&s, SYN_ELIMIT, "too many points");
  s.levels = NULL;

  /* sobol and saltelli dimension limits */
  syn_dist many[41];
  for (size_t j = 0; j < 41; j++) many[j] = uni(0, 1);
  s = spec_of(SYN_DESIGN_SOBOL, 8, 41, many);
  expect_error(&s, SYN_ELIMIT, "at most 40 parameters");
  s.dims = 40;
  syn_design *ok = make(&s);
  syn_design_destroy(ok);
  s.kind = SYN_DESIGN_SALTELLI;
  s.dims = 21;
  expect_error(&s, SYN_ELIMIT, "at most 20 parameters");
  s.dims = 20;
  ok = make(&s);
  syn_design_destroy(ok);
  s.n = (size_t)1 << 30;
  expect_error(&s, SYN_ELIMIT, "base points");

  /* lhs size, morris levels and unbounded distributions */
  s = spec_of(SYN_DESIGN_LHS, (size_t)UINT32_MAX + 1, 2, good);
  expect_error(&s, SYN_ELIMIT, "lhs");
  s = spec_of(SYN_DESIGN_MORRIS, 4, 2, good);
  s.morris_levels = 5;
  expect_error(&s, SYN_EINVAL, "even number of grid levels");
  s.morris_levels = 0;
  syn_dist unb[2] = {uni(0, 1), dist_of(SYN_DIST_NORMAL, 0, 1)};
  s.dists = unb;
  syn_design *dd = NULL;
  syn_error err;
  syn_error_clear(&err);
  assert_int_equal(syn_design_create(&s, &dd, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "morris"));
  assert_non_null(strstr(err.hint, "within"));

  /* sampling out of range and NULL arguments */
  s = spec_of(SYN_DESIGN_RANDOM, 5, 2, good);
  d = make(&s);
  double x[2];
  syn_error_clear(&err);
  assert_int_equal(syn_design_sample(d, 5, x, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "out of range"));
  assert_int_equal(syn_design_sample(d, 0, NULL, NULL), SYN_EINVAL);
  assert_int_equal(syn_design_sample(NULL, 0, x, NULL), SYN_EINVAL);
  syn_design_destroy(d);
  syn_design_destroy(NULL);
}

/* ---- allocation failure ------------------------------------------------------------ */

static void test_alloc_failure(void **state) {
  (void)state;
  size_t levels[3] = {2, 3, 2};
  for (int kind = SYN_DESIGN_GRID; kind <= SYN_DESIGN_MORRIS; kind++) {
    syn_design_spec s = spec_of((syn_design_kind)kind, 20, 3, UNI3);
    s.levels = levels;
    for (long k = 1; k < 100; k++) {
      syn_design *d = (syn_design *)(uintptr_t)1;
      syn_error err;
      syn_error_clear(&err);
      syn_alloc_test_fail_after(k);
      syn_status st = syn_design_create(&s, &d, &err);
      syn_alloc_test_fail_after(0);
      if (st == SYN_OK) {
        syn_design_destroy(d);
        break;
      }
      assert_int_equal(st, SYN_ENOMEM);
      assert_null(d);
      assert_true(k < 99);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_counts),
      cmocka_unit_test(test_plan_counts_without_building),
      cmocka_unit_test(test_determinism),
      cmocka_unit_test(test_seed_matters),
      cmocka_unit_test(test_grid_values),
      cmocka_unit_test(test_sobol_first_points),
      cmocka_unit_test(test_sobol_matches_gsl),
      cmocka_unit_test(test_saltelli_order),
      cmocka_unit_test(test_lhs_strata),
      cmocka_unit_test(test_lhs_permutation_uniform),
      cmocka_unit_test(test_morris_trajectories),
      cmocka_unit_test(test_distributions),
      cmocka_unit_test(test_truncation),
      cmocka_unit_test(test_bounded_endpoints),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_alloc_failure),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
