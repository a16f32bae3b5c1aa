/* synovia — Sobol (Saltelli 2010 / Jansen) and Morris sensitivity indices
 * (sweep layer).  See indices.h for the layouts and conventions. */
#include "sweep/indices.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <string.h>

#include "base/alloc.h"

/* ---- shared helpers ------------------------------------------------------ */

/* splitmix64's finaliser: a counter-based generator, so a bootstrap draw is a
 * pure function of (seed, resample, position) with no state to carry. */
static uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Uniform draw in [0, n); the modulo bias (n / 2^64) is far below anything a
 * bootstrap can resolve. */
static size_t draw_index(uint64_t seed, uint64_t counter, size_t n) {
  return (size_t)(mix64(mix64(seed) ^ counter) % (uint64_t)n);
}

static int all_finite(const double *v, size_t n) {
  for (size_t k = 0; k < n; k++)
    if (!isfinite(v[k])) return 0;
  return 1;
}

static void fill_nan(double *v, size_t n) {
  for (size_t k = 0; k < n; k++) v[k] = (double)NAN;
}

/* ---- Sobol --------------------------------------------------------------- */

/* Where the samples of the used base rows are, and how to standardise them. */
typedef struct saltelli_view {
  const double *y;
  size_t stride, D;
  double mean, sd;
} saltelli_view;

static double view_at(const saltelli_view *v, size_t row, size_t k) {
  return (v->y[row * v->stride + k] - v->mean) / v->sd;
}
static double view_a(const saltelli_view *v, size_t row) { return view_at(v, row, 0); }
static double view_b(const saltelli_view *v, size_t row) {
  return view_at(v, row, v->stride - 1);
}
static double view_ab(const saltelli_view *v, size_t row, size_t j) {
  return view_at(v, row, 1 + j);
}

/* Mean and sd (ddof 0) over every sample of the used rows, as SALib
 * standardises Y before estimating (it makes S1's estimator shift-invariant). */
static void standardise(saltelli_view *v, const size_t *rows, size_t n) {
  double mean = 0.0, m2 = 0.0, count = 0.0;
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < v->stride; k++) {
      double x = v->y[rows[i] * v->stride + k];
      count += 1.0;
      double d = x - mean;
      mean += d / count;
      m2 += d * (x - mean);
    }
  v->mean = mean;
  v->sd = sqrt(m2 / count);
}

/* Saltelli 2010 S1 and Jansen ST for every parameter over the base rows
 * rows[0..n-1] (repeats allowed: bootstrap).  Variance: of [f(A), f(B)]. */
static void estimate(const saltelli_view *v, const size_t *rows, size_t n, double *s1,
                     double *st) {
  double mean = 0.0, m2 = 0.0, count = 0.0;
  for (size_t i = 0; i < n; i++) {
    double pair[2] = {view_a(v, rows[i]), view_b(v, rows[i])};
    for (int k = 0; k < 2; k++) {
      count += 1.0;
      double d = pair[k] - mean;
      mean += d / count;
      m2 += d * (pair[k] - mean);
    }
  }
  double var = m2 / count;
  for (size_t j = 0; j < v->D; j++) {
    double sum1 = 0.0, sumt = 0.0;
    for (size_t i = 0; i < n; i++) {
      double fa = view_a(v, rows[i]), fb = view_b(v, rows[i]), fab = view_ab(v, rows[i], j);
      sum1 += fb * (fab - fa);
      sumt += (fa - fab) * (fa - fab);
    }
    s1[j] = sum1 / (double)n / var;
    st[j] = 0.5 * sumt / (double)n / var;
  }
}

static syn_status check_sobol_args(const double *y, size_t n_y, size_t N, size_t D,
                                   size_t n_boot, double conf, const syn_sobol_result *out,
                                   size_t *stride_out, int second_order, syn_error *err) {
  if (!y || !out) return syn_error_set(err, SYN_EINVAL, "sobol indices: NULL outputs or result");
  if (N == 0) return syn_error_set(err, SYN_EINVAL, "sobol indices: no base rows (N = 0)");
  if (D == 0) return syn_error_set(err, SYN_EINVAL, "sobol indices: no parameters (D = 0)");
  if (!(conf > 0.0 && conf < 1.0))
    return syn_error_set(err, SYN_EINVAL,
                         "sobol indices: confidence level %g is not inside (0, 1)", conf);
  if (n_boot == 1)
    return syn_error_set(err, SYN_EINVAL,
                         "sobol indices: 1 bootstrap resample gives no spread (use 0 or >= 2)");
  size_t per = second_order ? 2 : 1;
  if (D > (SIZE_MAX - 2) / per - 1)
    return syn_error_set(err, SYN_ELIMIT, "sobol indices: D = %zu is too large", D);
  size_t stride = per * D + 2;
  if (N > SIZE_MAX / stride)
    return syn_error_set(err, SYN_ELIMIT, "sobol indices: N = %zu is too large", N);
  if (n_y != N * stride)
    return syn_error_set(err, SYN_EINVAL,
                         "sobol indices: %zu outputs, but a %s Saltelli design with N = %zu and "
                         "D = %zu has N*(%s) = %zu",
                         n_y, second_order ? "second-order" : "first-order", N, D,
                         second_order ? "2D+2" : "D+2", N * stride);
  *stride_out = stride;
  return SYN_OK;
}

/* Bootstrap: resample base rows n_boot times, accumulate the spread of the
 * estimates (Welford) and turn it into Z * sd half-widths. */
static void bootstrap(const saltelli_view *v, const size_t *rows, size_t n, size_t n_boot,
                      uint64_t seed, double z, size_t *pick, double *scratch,
                      syn_sobol_result *out) {
  size_t D = v->D;
  double *s1 = scratch, *st = scratch + D, *mean1 = scratch + 2 * D, *meant = scratch + 3 * D;
  for (size_t j = 0; j < D; j++) mean1[j] = meant[j] = out->S1_conf[j] = out->ST_conf[j] = 0.0;
  for (size_t b = 0; b < n_boot; b++) {
    for (size_t i = 0; i < n; i++)
      pick[i] = rows[draw_index(seed, (uint64_t)b * (uint64_t)n + (uint64_t)i, n)];
    estimate(v, pick, n, s1, st);
    double count = (double)(b + 1);
    for (size_t j = 0; j < D; j++) {
      double d1 = s1[j] - mean1[j], dt = st[j] - meant[j];
      mean1[j] += d1 / count;
      meant[j] += dt / count;
      out->S1_conf[j] += d1 * (s1[j] - mean1[j]);
      out->ST_conf[j] += dt * (st[j] - meant[j]);
    }
  }
  for (size_t j = 0; j < D; j++) {
    out->S1_conf[j] = z * sqrt(out->S1_conf[j] / (double)(n_boot - 1));
    out->ST_conf[j] = z * sqrt(out->ST_conf[j] / (double)(n_boot - 1));
  }
}

syn_status syn_sobol_indices(const double *y, size_t n_y, size_t N, size_t D, int second_order,
                             size_t n_boot, uint64_t seed, double conf, syn_sobol_result *out,
                             syn_error *err) {
  size_t stride = 0;
  size_t *rows = NULL, *pick = NULL;
  double *scratch = NULL;
  if (out) memset(out, 0, sizeof *out);
  syn_status st = check_sobol_args(y, n_y, N, D, n_boot, conf, out, &stride, second_order, err);
  if (st != SYN_OK) return st;

  rows = syn_calloc(N, sizeof *rows);
  double *arrays = syn_calloc(4 * D, sizeof *arrays);
  if (!rows || !arrays) {
    syn_free(arrays);
    st = syn_error_set(err, SYN_ENOMEM, "sobol indices: out of memory");
    goto done;
  }
  out->D = D;
  out->S1 = arrays;
  out->S1_conf = arrays + D;
  out->ST = arrays + 2 * D;
  out->ST_conf = arrays + 3 * D;

  size_t n = 0;
  for (size_t i = 0; i < N; i++)
    if (all_finite(y + i * stride, stride)) rows[n++] = i;
  out->n_rows_used = n;
  out->n_rows_dropped = N - n;
  if (n < 2) {
    st = syn_error_set(err, SYN_ENONFINITE,
                       "sobol indices: %zu of %zu base rows have a non-finite output; "
                       "at least 2 usable rows are needed",
                       N - n, N);
    goto done;
  }

  saltelli_view v = {.y = y, .stride = stride, .D = D, .mean = 0.0, .sd = 0.0};
  standardise(&v, rows, n);
  if (!(v.sd > 0.0) || !isfinite(v.sd)) {
    out->zero_variance = 1;
    fill_nan(arrays, 4 * D);
    goto done;
  }
  estimate(&v, rows, n, out->S1, out->ST);

  if (n_boot == 0) {
    fill_nan(out->S1_conf, D);
    fill_nan(out->ST_conf, D);
    goto done;
  }
  pick = syn_calloc(n, sizeof *pick);
  scratch = syn_calloc(4 * D, sizeof *scratch);
  if (!pick || !scratch) {
    st = syn_error_set(err, SYN_ENOMEM, "sobol indices: out of memory");
    goto done;
  }
  bootstrap(&v, rows, n, n_boot, seed, gsl_cdf_ugaussian_Pinv(0.5 + 0.5 * conf), pick, scratch,
            out);

done:
  syn_free(rows);
  syn_free(pick);
  syn_free(scratch);
  if (st != SYN_OK) syn_sobol_result_destroy(out);
  return st;
}

void syn_sobol_result_destroy(syn_sobol_result *r) {
  if (!r) return;
  syn_free(r->S1); /* one block holds all four arrays */
  memset(r, 0, sizeof *r);
}

/* ---- Morris -------------------------------------------------------------- */

static syn_status check_morris_args(const double *x, const double *y, size_t n_samples, size_t r,
                                    size_t D, const double *lower, const double *upper,
                                    const syn_morris_result *out, syn_error *err) {
  if (!x || !y || !lower || !upper || !out)
    return syn_error_set(err, SYN_EINVAL, "morris indices: NULL argument");
  if (r == 0) return syn_error_set(err, SYN_EINVAL, "morris indices: no trajectories (r = 0)");
  if (D == 0) return syn_error_set(err, SYN_EINVAL, "morris indices: no parameters (D = 0)");
  if (D == SIZE_MAX || r > SIZE_MAX / (D + 1) || (r * (D + 1)) > SIZE_MAX / D)
    return syn_error_set(err, SYN_ELIMIT, "morris indices: r = %zu, D = %zu is too large", r, D);
  if (n_samples != r * (D + 1))
    return syn_error_set(err, SYN_EINVAL,
                         "morris indices: %zu samples, but %zu trajectories of D+1 = %zu points "
                         "make %zu",
                         n_samples, r, D + 1, r * (D + 1));
  for (size_t j = 0; j < D; j++)
    if (!(isfinite(lower[j]) && isfinite(upper[j]) && upper[j] > lower[j]))
      return syn_error_set(err, SYN_EINVAL,
                           "morris indices: parameter %zu has an empty range [%g, %g]", j,
                           lower[j], upper[j]);
  if (!all_finite(x, n_samples * D))
    return syn_error_set(err, SYN_EINVAL, "morris indices: a parameter value is not finite");
  return SYN_OK;
}

/* The one parameter in which two consecutive points differ, or D when they
 * differ in none or in several. */
static size_t moved_parameter(const double *p, const double *q, size_t D) {
  size_t moved = D;
  for (size_t j = 0; j < D; j++) {
    if (p[j] == q[j]) continue;
    if (moved != D) return D;
    moved = j;
  }
  return moved;
}

/* Check that trajectory t moves every parameter exactly once (seen: D flags). */
static syn_status check_trajectory(const double *x, size_t t, size_t D, unsigned char *seen,
                                   syn_error *err) {
  memset(seen, 0, D);
  const double *pts = x + t * (D + 1) * D;
  for (size_t k = 0; k < D; k++) {
    size_t j = moved_parameter(pts + k * D, pts + (k + 1) * D, D);
    if (j == D)
      return syn_error_set(err, SYN_EINVAL,
                           "morris indices: trajectory %zu, step %zu changes %s parameter "
                           "(one-at-a-time steps expected)",
                           t, k, "not exactly one");
    if (seen[j])
      return syn_error_set(err, SYN_EINVAL,
                           "morris indices: trajectory %zu moves parameter %zu twice", t, j);
    seen[j] = 1;
  }
  return SYN_OK;
}

/* Welford over trajectories: mu holds the running mean, sigma the sum of
 * squared deviations, mu_star the sum of |EE| until finish_morris. */
static void add_trajectory(const double *x, const double *y, size_t t, size_t D,
                           const double *lower, const double *upper, syn_morris_result *out) {
  const double *pts = x + t * (D + 1) * D;
  const double *ys = y + t * (D + 1);
  double count = (double)(out->n_traj_used + 1);
  for (size_t k = 0; k < D; k++) {
    size_t j = moved_parameter(pts + k * D, pts + (k + 1) * D, D);
    double step = (pts[(k + 1) * D + j] - pts[k * D + j]) / (upper[j] - lower[j]);
    double ee = (ys[k + 1] - ys[k]) / step;
    double d = ee - out->mu[j];
    out->mu[j] += d / count;
    out->sigma[j] += d * (ee - out->mu[j]);
    out->mu_star[j] += fabs(ee);
  }
  out->n_traj_used++;
}

syn_status syn_morris_indices(const double *x, const double *y, size_t n_samples, size_t r,
                              size_t D, const double *lower, const double *upper,
                              syn_morris_result *out, syn_error *err) {
  unsigned char *seen = NULL;
  if (out) memset(out, 0, sizeof *out);
  syn_status st = check_morris_args(x, y, n_samples, r, D, lower, upper, out, err);
  if (st != SYN_OK) return st;

  seen = syn_malloc(D);
  double *arrays = syn_calloc(3 * D, sizeof *arrays);
  if (!seen || !arrays) {
    syn_free(arrays);
    st = syn_error_set(err, SYN_ENOMEM, "morris indices: out of memory");
    goto done;
  }
  out->D = D;
  out->mu = arrays;
  out->mu_star = arrays + D;
  out->sigma = arrays + 2 * D;

  for (size_t t = 0; t < r && st == SYN_OK; t++) st = check_trajectory(x, t, D, seen, err);
  if (st != SYN_OK) goto done;
  for (size_t t = 0; t < r; t++) {
    if (all_finite(y + t * (D + 1), D + 1))
      add_trajectory(x, y, t, D, lower, upper, out);
    else
      out->n_traj_dropped++;
  }
  if (out->n_traj_used == 0) {
    st = syn_error_set(err, SYN_ENONFINITE,
                       "morris indices: all %zu trajectories have a non-finite output", r);
    goto done;
  }
  double used = (double)out->n_traj_used;
  for (size_t j = 0; j < D; j++) {
    out->mu_star[j] /= used;
    if (used > 1.0)
      out->sigma[j] = sqrt(out->sigma[j] / (used - 1.0));
    else
      out->sigma[j] = (double)NAN;
  }

done:
  syn_free(seen);
  if (st != SYN_OK) syn_morris_result_destroy(out);
  return st;
}

void syn_morris_result_destroy(syn_morris_result *r) {
  if (!r) return;
  syn_free(r->mu); /* one block holds all three arrays */
  memset(r, 0, sizeof *r);
}
