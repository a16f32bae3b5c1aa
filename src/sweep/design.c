/* synovia — sample designs of a parameter sweep (sweep layer; see design.h).
 *
 * Random numbers: a counter-based generator, not a seeded gsl_rng. The value
 * for (seed, sample i, parameter j) is splitmix64's output j of a stream whose
 * key is splitmix64's output i of a stream keyed by the seed and a purpose
 * tag. That is a pure integer function: no generator object, no state between
 * samples, all 64 bits of the seed used (GSL's mt19937 keeps 32, measured:
 * docs/design.md, "Facts the I/O and sweep code rely on"; and hashing
 * (seed, i) into a 32-bit GSL seed collides after ~65 000 samples, the
 * birthday bound), and it costs a few multiplications per number.
 *
 * Sobol: GSL's generator has no skip-ahead, so at create we read its
 * direction numbers back from the sequence (Antonov–Saleev gray-code order:
 * point k = XOR of the direction numbers v_b over the set bits b of
 * gray(k) = k ^ (k >> 1), and v_b = x(2^b) XOR x(2^b - 1)); a sample then
 * costs O(log N) XORs and equals GSL's k-th point bit for bit (the unit test
 * compares them).
 *
 * GSL must never reach its error handler (the default one aborts): every
 * input to a GSL call is checked first (dimensions, sequence length,
 * probabilities in [0, 1]). */
#include "sweep/design.h"
#include "synovia/sweep.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_qrng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

/* GSL's Sobol keeps 30-bit numerators and stops after 2^30 points. */
#define SOBOL_MAX_POINTS ((size_t)1 << 29)
#define SOBOL_SCALE 4294967296.0 /* 2^32: numerators are stored at this scale */

enum { TAG_RANDOM = 1, TAG_LHS_PERM = 2, TAG_LHS_JITTER = 3, TAG_MORRIS = 4 };

struct syn_design {
  syn_design_spec spec; /* dists/levels point to the copies below; names NULL */
  syn_dist *dists;
  size_t *levels;
  size_t count;
  size_t stride;       /* saltelli: rows per base row; morris: D + 1 */
  uint32_t *perm;      /* lhs: D permutations of n strata, parameter-major */
  uint64_t *sobol_v;   /* sobol_bits x sobol_dims direction numbers (scale 2^32) */
  size_t sobol_bits;
  size_t sobol_dims;
  size_t morris_p;
};

/* ---- counter-based random numbers ------------------------------------------ */

#define GOLDEN 0x9e3779b97f4a7c15ULL

static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Output idx of the splitmix64 stream seeded by key. */
static uint64_t stream_at(uint64_t key, uint64_t idx) { return mix64(key + GOLDEN * (idx + 1)); }

/* The key of item idx for a purpose tag: independent streams per (seed, tag, idx). */
static uint64_t item_key(uint64_t seed, uint64_t tag, uint64_t idx) {
  return stream_at(mix64(seed ^ mix64(tag * GOLDEN)), idx);
}

/* 53 random bits as a double strictly inside (0, 1). */
static double open_unit(uint64_t h) { return ((double)(h >> 11) + 0.5) * 0x1p-53; }

/* An integer in [0, m) (m < 2^32: the bias of the float route is < 2^-21). */
static size_t below(uint64_t h, size_t m) {
  size_t k = (size_t)((double)(h >> 11) * 0x1p-53 * (double)m);
  return k < m ? k : m - 1;
}

/* ---- distributions ---------------------------------------------------------- */

static int is_inf(double x) { return x == HUGE_VAL || x == -HUGE_VAL; }

static int dist_bounded(const syn_dist *dist) {
  return dist->kind == SYN_DIST_UNIFORM || dist->kind == SYN_DIST_LOGUNIFORM || dist->truncated;
}

/* Standard-normal bounds of a truncated normal/lognormal (may be infinite). */
static void trunc_z(const syn_dist *dist, double *zlo, double *zhi) {
  double lo = dist->lo, hi = dist->hi;
  if (dist->kind == SYN_DIST_LOGNORMAL) {
    *zlo = lo > 0 ? (log(lo) - dist->a) / dist->b : -HUGE_VAL;
    *zhi = (log(hi) - dist->a) / dist->b;
  } else {
    *zlo = (lo - dist->a) / dist->b;
    *zhi = (hi - dist->a) / dist->b;
  }
}

/* Probability mass of [zlo, zhi] under N(0,1), computed on the side of the
 * tail the range lies in so that far-tail ranges keep their digits. */
static double trunc_mass(double zlo, double zhi) {
  if (zlo > 0) return gsl_cdf_ugaussian_Q(zlo) - (is_inf(zhi) ? 0.0 : gsl_cdf_ugaussian_Q(zhi));
  return (is_inf(zhi) ? 1.0 : gsl_cdf_ugaussian_P(zhi)) -
         (is_inf(zlo) ? 0.0 : gsl_cdf_ugaussian_P(zlo));
}

/* Inverse CDF of N(0,1) restricted to [zlo, zhi], at u in [0, 1]. */
static double trunc_zinv(double u, double zlo, double zhi) {
  double z;
  if (zlo > 0) { /* upper tail: work with Q = 1 - P */
    double qlo = gsl_cdf_ugaussian_Q(zlo), qhi = is_inf(zhi) ? 0.0 : gsl_cdf_ugaussian_Q(zhi);
    double q = qlo - u * (qlo - qhi);
    q = q < 0 ? 0 : (q > 1 ? 1 : q);
    z = gsl_cdf_ugaussian_Qinv(q);
  } else {
    double plo = is_inf(zlo) ? 0.0 : gsl_cdf_ugaussian_P(zlo);
    double phi = is_inf(zhi) ? 1.0 : gsl_cdf_ugaussian_P(zhi);
    double p = plo + u * (phi - plo);
    p = p < 0 ? 0 : (p > 1 ? 1 : p);
    z = gsl_cdf_ugaussian_Pinv(p);
  }
  if (z < zlo) z = zlo;
  if (z > zhi) z = zhi;
  return z;
}

static double clamp(double x, double lo, double hi) { return x < lo ? lo : (x > hi ? hi : x); }

double syn_dist_map(const syn_dist *dist, double u) {
  switch (dist->kind) {
  case SYN_DIST_UNIFORM:
    if (u <= 0) return dist->a;
    if (u >= 1) return dist->b;
    return dist->a + u * (dist->b - dist->a);
  case SYN_DIST_LOGUNIFORM: {
    if (u <= 0) return dist->a;
    if (u >= 1) return dist->b;
    double la = log(dist->a), lb = log(dist->b);
    return clamp(exp(la + u * (lb - la)), dist->a, dist->b);
  }
  case SYN_DIST_NORMAL:
  case SYN_DIST_LOGNORMAL: {
    double z;
    if (dist->truncated) {
      if (u <= 0) return dist->lo;
      if (u >= 1) return dist->hi;
      double zlo, zhi;
      trunc_z(dist, &zlo, &zhi);
      z = trunc_zinv(u, zlo, zhi);
    } else {
      /* u in (0, 1) here (validated designs never give 0 or 1 to an
       * unbounded distribution); the clamp keeps GSL's input legal anyway. */
      z = gsl_cdf_ugaussian_Pinv(clamp(u, 0.0, 1.0));
    }
    double x = dist->a + dist->b * z;
    if (dist->kind == SYN_DIST_LOGNORMAL) x = exp(x);
    return dist->truncated ? clamp(x, dist->lo, dist->hi) : x;
  }
  }
  return (double)NAN;
}

static const char *dist_kind_name(syn_dist_kind k) {
  switch (k) {
  case SYN_DIST_UNIFORM: return "uniform";
  case SYN_DIST_LOGUNIFORM: return "loguniform";
  case SYN_DIST_NORMAL: return "normal";
  case SYN_DIST_LOGNORMAL: return "lognormal";
  }
  return "?";
}

static syn_status check_truncation(const syn_dist *dist, const char *name, syn_error *err) {
  const char *kn = dist_kind_name(dist->kind);
  if (!isfinite(dist->lo) || !isfinite(dist->hi) || !(dist->lo < dist->hi))
    return syn_error_set(err, SYN_EINVAL,
                         "%s: %s ... within %g %g: the range needs finite lo < hi", name, kn,
                         dist->lo, dist->hi);
  if (dist->kind == SYN_DIST_LOGNORMAL && (dist->lo < 0 || dist->hi <= 0))
    return syn_error_set(err, SYN_EINVAL,
                         "%s: lognormal ... within %g %g: a lognormal value is positive, so "
                         "the range needs 0 <= lo < hi", name, dist->lo, dist->hi);
  double zlo, zhi;
  trunc_z(dist, &zlo, &zhi);
  double mass = trunc_mass(zlo, zhi);
  if (!(mass > 0) || !isfinite(mass))
    return syn_error_set(err, SYN_EINVAL,
                         "%s: %s(%g, %g) within %g %g: the range has no probability mass in "
                         "double precision (it lies too far in a tail)", name, kn, dist->a,
                         dist->b, dist->lo, dist->hi);
  return SYN_OK;
}

syn_status syn_dist_check(const syn_dist *dist, const char *name, syn_error *err) {
  if (!name) name = "parameter";
  if (!dist) return syn_error_set(err, SYN_EINVAL, "%s: no distribution given", name);
  if (!isfinite(dist->a) || !isfinite(dist->b))
    return syn_error_set(err, SYN_EINVAL, "%s: distribution parameters must be finite numbers",
                         name);
  switch (dist->kind) {
  case SYN_DIST_UNIFORM:
  case SYN_DIST_LOGUNIFORM: {
    const char *kn = dist_kind_name(dist->kind);
    if (dist->truncated)
      return syn_error_set(err, SYN_EINVAL,
                           "%s: `within` applies to normal and lognormal only; %s already has "
                           "bounds (%g, %g)", name, kn, dist->a, dist->b);
    if (dist->kind == SYN_DIST_LOGUNIFORM && !(dist->a > 0 && dist->b > dist->a))
      return syn_error_set(err, SYN_EINVAL,
                           "%s: loguniform %g %g needs 0 < a < b", name, dist->a, dist->b);
    if (!(dist->b > dist->a))
      return syn_error_set(err, SYN_EINVAL, "%s: uniform %g %g needs a < b", name, dist->a,
                           dist->b);
    return SYN_OK;
  }
  case SYN_DIST_NORMAL:
  case SYN_DIST_LOGNORMAL:
    if (!(dist->b > 0))
      return syn_error_set(err, SYN_EINVAL, "%s: %s(mu = %g, sigma = %g) needs sigma > 0", name,
                           dist_kind_name(dist->kind), dist->a, dist->b);
    return dist->truncated ? check_truncation(dist, name, err) : SYN_OK;
  }
  return syn_error_set(err, SYN_EINVAL, "%s: unknown distribution kind %d", name,
                       (int)dist->kind);
}

/* ---- validation of the spec ------------------------------------------------- */

static void param_name(const syn_design_spec *spec, size_t j, char *buf, size_t size) {
  if (spec->names && spec->names[j])
    snprintf(buf, size, "parameter '%s'", spec->names[j]);
  else
    snprintf(buf, size, "parameter %zu", j + 1);
}

static const char *kind_name(syn_design_kind k) {
  switch (k) {
  case SYN_DESIGN_GRID: return "grid";
  case SYN_DESIGN_RANDOM: return "random";
  case SYN_DESIGN_LHS: return "lhs";
  case SYN_DESIGN_SOBOL: return "sobol";
  case SYN_DESIGN_SALTELLI: return "saltelli";
  case SYN_DESIGN_MORRIS: return "morris";
  }
  return "?";
}

static int mul_overflows(size_t a, size_t b, size_t *out) {
  if (a != 0 && b > SIZE_MAX / a) return 1;
  *out = a * b;
  return 0;
}

static syn_status check_dists(const syn_design_spec *spec, syn_error *err) {
  char name[160];
  for (size_t j = 0; j < spec->dims; j++) {
    param_name(spec, j, name, sizeof name);
    syn_status st = syn_dist_check(&spec->dists[j], name, err);
    if (st != SYN_OK) return st;
    if (spec->kind == SYN_DESIGN_MORRIS && !dist_bounded(&spec->dists[j])) {
      syn_error_set(err, SYN_EINVAL,
                    "%s: a morris design puts points on the edges of the range, so an "
                    "unbounded %s distribution cannot be used", name,
                    dist_kind_name(spec->dists[j].kind));
      syn_error_hint(err, "give it a range with `within lo hi`");
      return SYN_EINVAL;
    }
  }
  return SYN_OK;
}

static syn_status grid_count(const syn_design_spec *spec, size_t *count, syn_error *err) {
  if (!spec->levels)
    return syn_error_set(err, SYN_EINVAL, "a grid design needs a number of levels per parameter");
  size_t c = 1;
  char name[160];
  for (size_t j = 0; j < spec->dims; j++) {
    if (spec->levels[j] < 2) {
      param_name(spec, j, name, sizeof name);
      return syn_error_set(err, SYN_EINVAL, "%s: a grid needs at least 2 levels (got %zu)", name,
                           spec->levels[j]);
    }
    if (mul_overflows(c, spec->levels[j], &c))
      return syn_error_set(err, SYN_ELIMIT, "the grid has too many points (more than %zu)",
                           SIZE_MAX);
  }
  *count = c;
  return SYN_OK;
}

static syn_status check_sobol_size(const syn_design_spec *spec, size_t max_dims, syn_error *err) {
  if (spec->dims > max_dims) {
    syn_error_set(err, SYN_ELIMIT,
                  "a %s design supports at most %zu parameters (GSL's Sobol sequence has %d "
                  "dimensions%s); this sweep varies %zu", kind_name(spec->kind), max_dims,
                  SYN_DESIGN_SOBOL_MAX_DIMS,
                  spec->kind == SYN_DESIGN_SALTELLI ? " and saltelli needs 2 per parameter" : "",
                  spec->dims);
    syn_error_hint(err, "vary fewer parameters, or generate the design elsewhere (SALib, SciPy) "
                        "and give it as a design file");
    return SYN_ELIMIT;
  }
  if (spec->n >= SOBOL_MAX_POINTS)
    return syn_error_set(err, SYN_ELIMIT, "a %s design supports at most %zu base points (got %zu)",
                         kind_name(spec->kind), SOBOL_MAX_POINTS - 1, spec->n);
  return SYN_OK;
}

/* Validate everything and compute count and stride. */
static syn_status check_spec(const syn_design_spec *spec, size_t *count, size_t *stride,
                             syn_error *err) {
  if (spec->dims < 1) return syn_error_set(err, SYN_EINVAL, "a design needs at least 1 parameter");
  if (!spec->dists)
    return syn_error_set(err, SYN_EINVAL, "a design needs a distribution per parameter");
  if ((int)spec->kind < (int)SYN_DESIGN_GRID || (int)spec->kind > (int)SYN_DESIGN_MORRIS)
    return syn_error_set(err, SYN_EINVAL, "unknown design kind %d", (int)spec->kind);
  if (spec->kind != SYN_DESIGN_GRID && spec->n < 1)
    return syn_error_set(err, SYN_EINVAL, "a %s design needs N >= 1 (got 0)",
                         kind_name(spec->kind));
  syn_status st = check_dists(spec, err);
  if (st != SYN_OK) return st;
  *stride = 1;
  switch (spec->kind) {
  case SYN_DESIGN_GRID: return grid_count(spec, count, err);
  case SYN_DESIGN_RANDOM: *count = spec->n; return SYN_OK;
  case SYN_DESIGN_LHS: {
    size_t cells;
    if (spec->n > UINT32_MAX || mul_overflows(spec->n, spec->dims, &cells))
      return syn_error_set(err, SYN_ELIMIT, "an lhs design supports at most %lu samples (got %zu)",
                           (unsigned long)UINT32_MAX, spec->n);
    *count = spec->n;
    return SYN_OK;
  }
  case SYN_DESIGN_SOBOL:
    *count = spec->n;
    return check_sobol_size(spec, SYN_DESIGN_SOBOL_MAX_DIMS, err);
  case SYN_DESIGN_SALTELLI:
    st = check_sobol_size(spec, SYN_DESIGN_SALTELLI_MAX_DIMS, err);
    if (st != SYN_OK) return st;
    *stride = spec->second_order ? 2 * spec->dims + 2 : spec->dims + 2;
    if (mul_overflows(spec->n, *stride, count))
      return syn_error_set(err, SYN_ELIMIT, "the saltelli design has too many rows");
    return SYN_OK;
  case SYN_DESIGN_MORRIS: {
    size_t p = spec->morris_levels ? spec->morris_levels : 4;
    if (p < 2 || p % 2 != 0)
      return syn_error_set(err, SYN_EINVAL,
                           "a morris design needs an even number of grid levels >= 2 (got %zu)",
                           p);
    if (spec->dims == SIZE_MAX || mul_overflows(spec->n, spec->dims + 1, count))
      return syn_error_set(err, SYN_ELIMIT, "the morris design has too many rows");
    *stride = spec->dims + 1;
    return SYN_OK;
  }
  }
  return syn_error_set(err, SYN_EINVAL, "unknown design kind %d", (int)spec->kind);
}

/* ---- set-up at create ------------------------------------------------------- */

/* D Fisher–Yates shuffles of 0..n-1, each keyed by (seed, parameter). */
static syn_status lhs_setup(syn_design *d, syn_error *err) {
  size_t n = d->spec.n, dims = d->spec.dims;
  d->perm = syn_calloc(n * dims, sizeof *d->perm);
  if (!d->perm) return syn_error_set(err, SYN_ENOMEM, "out of memory for the lhs permutations");
  for (size_t j = 0; j < dims; j++) {
    uint32_t *p = d->perm + j * n;
    uint64_t key = item_key(d->spec.seed, TAG_LHS_PERM, j);
    for (size_t k = 0; k < n; k++) p[k] = (uint32_t)k;
    for (size_t k = n - 1; k > 0; k--) {
      size_t r = below(stream_at(key, k), k + 1);
      uint32_t t = p[k];
      p[k] = p[r];
      p[r] = t;
    }
  }
  return SYN_OK;
}

/* Read one GSL point into 2^32-scaled integers; refuses a value that is not
 * an exact multiple of 2^-32 (GSL's layout would have changed). */
static syn_status sobol_read(const double *x, size_t dims, uint64_t *num, syn_error *err) {
  for (size_t k = 0; k < dims; k++) {
    double s = x[k] * SOBOL_SCALE;
    if (!(s >= 0 && s < SOBOL_SCALE) || s != floor(s))
      return syn_error_set(err, SYN_EINTERNAL, "GSL's Sobol point is not a dyadic fraction");
    num[k] = (uint64_t)s;
  }
  return SYN_OK;
}

/* Direction numbers v_b = x(2^b) XOR x(2^b - 1) for b = 0..bits-1, where
 * 2^(bits-1) <= points (the largest index a sample needs). */
static syn_status sobol_setup(syn_design *d, size_t dims, size_t points, syn_error *err) {
  syn_status st = SYN_OK;
  gsl_qrng *q = NULL;
  double *x = NULL;
  uint64_t *prev = NULL, *cur = NULL;
  size_t bits = 0;
  while (bits < 63 && ((size_t)1 << bits) <= points) bits++;
  d->sobol_bits = bits;
  d->sobol_dims = dims;
  d->sobol_v = syn_calloc(bits * dims, sizeof *d->sobol_v);
  x = syn_calloc(dims, sizeof *x);
  prev = syn_calloc(dims, sizeof *prev); /* x(0) = 0 */
  cur = syn_calloc(dims, sizeof *cur);
  if (!d->sobol_v || !x || !prev || !cur) {
    st = syn_error_set(err, SYN_ENOMEM, "out of memory for the Sobol direction numbers");
    goto done;
  }
  /* dims <= 40 and points < 2^29 were checked: GSL's limits hold. */
  q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)dims);
  if (!q) {
    st = syn_error_set(err, SYN_ENOMEM, "out of memory for GSL's Sobol generator");
    goto done;
  }
  size_t last = (size_t)1 << (bits - 1);
  for (size_t k = 1, b = 0; k <= last; k++) {
    if (gsl_qrng_get(q, x) != 0) {
      st = syn_error_set(err, SYN_EINTERNAL, "GSL's Sobol generator failed at point %zu", k);
      goto done;
    }
    st = sobol_read(x, dims, cur, err);
    if (st != SYN_OK) goto done;
    if (k == ((size_t)1 << b)) {
      for (size_t c = 0; c < dims; c++) d->sobol_v[b * dims + c] = cur[c] ^ prev[c];
      b++;
    }
    uint64_t *t = prev;
    prev = cur;
    cur = t;
  }
done:
  if (q) gsl_qrng_free(q);
  syn_free(x);
  syn_free(prev);
  syn_free(cur);
  return st;
}

static syn_status copy_spec(syn_design *d, const syn_design_spec *spec, syn_error *err) {
  d->spec = *spec;
  d->spec.names = NULL; /* only needed for messages at create */
  d->spec.levels = NULL;
  d->dists = syn_calloc(spec->dims, sizeof *d->dists);
  if (!d->dists) return syn_error_set(err, SYN_ENOMEM, "out of memory for the design");
  memcpy(d->dists, spec->dists, spec->dims * sizeof *d->dists);
  d->spec.dists = d->dists;
  if (spec->kind == SYN_DESIGN_GRID) {
    d->levels = syn_calloc(spec->dims, sizeof *d->levels);
    if (!d->levels) return syn_error_set(err, SYN_ENOMEM, "out of memory for the design");
    memcpy(d->levels, spec->levels, spec->dims * sizeof *d->levels);
    d->spec.levels = d->levels;
  }
  if (spec->kind == SYN_DESIGN_MORRIS) d->morris_p = spec->morris_levels ? spec->morris_levels : 4;
  return SYN_OK;
}

syn_status syn_design_plan(const syn_design_spec *spec, size_t *count, syn_error *err) {
  size_t stride = 1;
  if (!count) return syn_error_set(err, SYN_EINVAL, "syn_design_plan: count is NULL");
  *count = 0;
  if (!spec) return syn_error_set(err, SYN_EINVAL, "syn_design_plan: no design given");
  return check_spec(spec, count, &stride, err);
}

syn_status syn_design_create(const syn_design_spec *spec, syn_design **out, syn_error *err) {
  syn_status st = SYN_OK;
  syn_design *d = NULL;
  size_t count = 0, stride = 1;
  if (!out) return syn_error_set(err, SYN_EINVAL, "syn_design_create: out is NULL");
  *out = NULL;
  if (!spec) return syn_error_set(err, SYN_EINVAL, "syn_design_create: no design given");
  st = check_spec(spec, &count, &stride, err);
  if (st != SYN_OK) goto done;
  d = syn_calloc(1, sizeof *d);
  if (!d) {
    st = syn_error_set(err, SYN_ENOMEM, "out of memory for the design");
    goto done;
  }
  d->count = count;
  d->stride = stride;
  st = copy_spec(d, spec, err);
  if (st != SYN_OK) goto done;
  if (spec->kind == SYN_DESIGN_LHS) st = lhs_setup(d, err);
  else if (spec->kind == SYN_DESIGN_SOBOL) st = sobol_setup(d, spec->dims, spec->n, err);
  else if (spec->kind == SYN_DESIGN_SALTELLI) st = sobol_setup(d, 2 * spec->dims, spec->n, err);
done:
  if (st != SYN_OK) {
    syn_design_destroy(d);
    d = NULL;
  }
  *out = d;
  return st;
}

void syn_design_destroy(syn_design *d) {
  if (!d) return;
  syn_free(d->dists);
  syn_free(d->levels);
  syn_free(d->perm);
  syn_free(d->sobol_v);
  syn_free(d);
}

size_t syn_design_count(const syn_design *d) { return d ? d->count : 0; }
size_t syn_design_dims(const syn_design *d) { return d ? d->spec.dims : 0; }

/* ---- unit-cube points ------------------------------------------------------- */

static void grid_unit(const syn_design *d, size_t i, double *u) {
  for (size_t j = d->spec.dims; j-- > 0;) { /* last parameter fastest */
    size_t levels = d->levels[j], k = i % levels;
    i /= levels;
    u[j] = dist_bounded(&d->dists[j]) ? (double)k / (double)(levels - 1)
                                      : ((double)k + 0.5) / (double)levels;
  }
}

static void random_unit(const syn_design *d, size_t i, double *u) {
  uint64_t key = item_key(d->spec.seed, TAG_RANDOM, i);
  for (size_t j = 0; j < d->spec.dims; j++) u[j] = open_unit(stream_at(key, j));
}

static void lhs_unit(const syn_design *d, size_t i, double *u) {
  size_t n = d->spec.n;
  uint64_t key = item_key(d->spec.seed, TAG_LHS_JITTER, i);
  for (size_t j = 0; j < d->spec.dims; j++) {
    double v = ((double)d->perm[j * n + i] + open_unit(stream_at(key, j))) / (double)n;
    u[j] = v < 1.0 ? v : nextafter(1.0, 0.0); /* rounding may reach 1 for large n */
  }
}

/* Coordinate c of GSL's Sobol point k (k >= 1; k = 1 is (0.5, ...)). */
static double sobol_coord(const syn_design *d, size_t k, size_t c) {
  size_t g = k ^ (k >> 1);
  uint64_t num = 0;
  for (size_t b = 0; g; b++, g >>= 1)
    if (g & 1) num ^= d->sobol_v[b * d->sobol_dims + c];
  return (double)num / SOBOL_SCALE;
}

static void saltelli_unit(const syn_design *d, size_t i, double *u) {
  size_t dims = d->spec.dims, k = i / d->stride + 1, pos = i % d->stride;
  for (size_t j = 0; j < dims; j++) {
    int from_b;
    if (pos == 0) from_b = 0;                          /* A */
    else if (pos == d->stride - 1) from_b = 1;         /* B */
    else if (pos <= dims) from_b = (j == pos - 1);     /* AB_m: A, column m from B */
    else from_b = (j != pos - 1 - dims);               /* BA_m: B, column m from A */
    u[j] = sobol_coord(d, k, from_b ? dims + j : j);
  }
}

/* Trajectory t: per parameter a base level b_j in 0..p/2-1, a direction and
 * a random sort key whose rank is the step at which the parameter moves.
 * Point s has moved the parameters of rank < s; a parameter sits at its upper
 * level b_j + p/2 when (moving up) == (already moved). */
static void morris_unit(const syn_design *d, size_t i, double *u) {
  size_t dims = d->spec.dims, t = i / d->stride, s = i % d->stride, p = d->morris_p;
  uint64_t key = item_key(d->spec.seed, TAG_MORRIS, t);
  for (size_t j = 0; j < dims; j++) {
    uint64_t order = stream_at(key, 3 * j + 2);
    size_t rank = 0;
    for (size_t m = 0; m < dims; m++) {
      uint64_t om = stream_at(key, 3 * m + 2);
      if (om < order || (om == order && m < j)) rank++;
    }
    size_t base = below(stream_at(key, 3 * j), p / 2);
    int up = (int)(stream_at(key, 3 * j + 1) >> 63);
    int moved = rank < s;
    size_t level = base + (up == moved ? p / 2 : 0);
    u[j] = (double)level / (double)(p - 1);
  }
}

syn_status syn_design_unit(const syn_design *d, size_t i, double *u, syn_error *err) {
  if (!d || !u) return syn_error_set(err, SYN_EINVAL, "syn_design_unit: NULL argument");
  if (i >= d->count)
    return syn_error_set(err, SYN_EINVAL, "sample %zu is out of range (the design has %zu)", i,
                         d->count);
  switch (d->spec.kind) {
  case SYN_DESIGN_GRID: grid_unit(d, i, u); break;
  case SYN_DESIGN_RANDOM: random_unit(d, i, u); break;
  case SYN_DESIGN_LHS: lhs_unit(d, i, u); break;
  case SYN_DESIGN_SOBOL:
    for (size_t j = 0; j < d->spec.dims; j++) u[j] = sobol_coord(d, i + 1, j);
    break;
  case SYN_DESIGN_SALTELLI: saltelli_unit(d, i, u); break;
  case SYN_DESIGN_MORRIS: morris_unit(d, i, u); break;
  }
  return SYN_OK;
}

syn_status syn_design_sample(const syn_design *d, size_t i, double *x, syn_error *err) {
  syn_status st = syn_design_unit(d, i, x, err);
  if (st != SYN_OK) return st;
  for (size_t j = 0; j < d->spec.dims; j++) x[j] = syn_dist_map(&d->dists[j], x[j]);
  return SYN_OK;
}

/* ---- a public entry for drawing points (synovia fit's starts) --------------- */

syn_status syn_sweep_design_unit(const char *design, uint64_t seed, size_t n, size_t dims,
                                 size_t i, double *u, syn_error *err) {
  static const struct { const char *name; syn_design_kind kind; } kinds[] = {
      {"random", SYN_DESIGN_RANDOM}, {"lhs", SYN_DESIGN_LHS}, {"sobol", SYN_DESIGN_SOBOL}};
  size_t k = 0, nk = sizeof kinds / sizeof kinds[0];
  while (k < nk && (design == NULL || strcmp(design, kinds[k].name) != 0)) k++;
  if (k == nk)
    return syn_error_set(err, SYN_EINVAL, "unknown design '%s' (random, lhs or sobol)",
                         design ? design : "(null)");
  if (dims == 0 || u == NULL)
    return syn_error_set(err, SYN_EINVAL, "syn_sweep_design_unit: no dimensions");
  syn_dist *dists = malloc(dims * sizeof *dists);
  if (dists == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  for (size_t j = 0; j < dims; j++) dists[j] = (syn_dist){SYN_DIST_UNIFORM, 0.0, 1.0, 0, 0, 0};
  syn_design_spec spec = {0};
  spec.kind = kinds[k].kind;
  spec.n = n;
  spec.dims = dims;
  spec.seed = seed;
  spec.dists = dists;
  syn_design *d = NULL;
  syn_status st = syn_design_create(&spec, &d, err);
  if (st == SYN_OK) st = syn_design_unit(d, i, u, err);
  syn_design_destroy(d);
  free(dists);
  return st;
}
