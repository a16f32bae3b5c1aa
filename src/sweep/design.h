/* synovia — sample designs of a parameter sweep (sweep layer, internal).
 *
 * A design turns a sample index i into a parameter vector x[0..D-1]. The
 * vector is a pure function of (design spec, seed, i): nothing is carried
 * from one sample to the next, so any rank, shard or resumed run computes any
 * sample on its own and gets the same bits. Whatever needs setting up
 * (LHS permutations, Sobol direction numbers) is computed once at create and
 * is read-only afterwards, so one design may be shared by threads.
 *
 * Each kind first produces a point u of the unit cube, then each parameter's
 * distribution maps its coordinate to a value:
 *   grid      every combination of levels; the LAST parameter varies fastest
 *             (C order, like itertools.product). Bounded distributions
 *             (uniform, loguniform, truncated normal/lognormal) put their
 *             levels at u = k/(L-1), endpoints included: uniform gives linear
 *             spacing a..b, loguniform log spacing a..b. Unbounded normal and
 *             lognormal use the mid-quantiles u = (k+0.5)/L. spec->n unused.
 *   random    independent uniform u from a counter-based generator keyed by
 *             (seed, i, parameter): splitmix64 (all 64 bits of the seed count;
 *             GSL's generators would keep only 32) — see design.c.
 *   lhs       Latin hypercube: for each parameter a permutation of the N
 *             strata, a pure function of (seed, parameter), plus a jitter
 *             inside the stratum keyed by (seed, i, parameter).
 *   sobol     GSL's (unscrambled) Sobol sequence without its all-zero first
 *             point: (0.5, ...), (0.75, 0.25, ...), ... D <= 40.
 *   saltelli  SALib's row order from a 2D-dimensional Sobol base sequence:
 *             per base row A, AB_1..AB_D, [BA_1..BA_D,] B, where A = base
 *             columns 0..D-1, B = columns D..2D-1, AB_j = A with column j from
 *             B, BA_j = B with column j from A. N(2D+2) rows with second order,
 *             N(D+2) without. D <= 20.
 *   morris    N trajectories of D+1 points on a p-level grid of the unit cube
 *             (default p = 4, even), step Delta = p/(2(p-1)); consecutive
 *             points of a trajectory differ in exactly one parameter by
 *             +-Delta. N(D+1) rows, trajectory t = rows t(D+1)..t(D+1)+D.
 *             Points lie on the faces of the cube, so unbounded normal and
 *             lognormal parameters are refused (give them `within lo hi`).
 */
#ifndef SYN_SWEEP_DESIGN_H
#define SYN_SWEEP_DESIGN_H

#include <stddef.h>
#include <stdint.h>

#include "synovia/status.h"

typedef enum syn_design_kind {
  SYN_DESIGN_GRID,
  SYN_DESIGN_RANDOM,
  SYN_DESIGN_LHS,
  SYN_DESIGN_SOBOL,
  SYN_DESIGN_SALTELLI,
  SYN_DESIGN_MORRIS
} syn_design_kind;

typedef enum syn_dist_kind {
  SYN_DIST_UNIFORM,    /* a, b: bounds, a < b */
  SYN_DIST_LOGUNIFORM, /* a, b: bounds, 0 < a < b; log(x) uniform */
  SYN_DIST_NORMAL,     /* a = mu, b = sigma > 0 */
  SYN_DIST_LOGNORMAL   /* a = mu, b = sigma > 0 of log(x) (numpy's convention) */
} syn_dist_kind;

/* Largest parameter counts GSL's Sobol generator supports: 40 dimensions
 * [galassi2021], and GSL does not fail above them (docs/design.md, "Facts the
 * I/O and sweep code rely on"); saltelli needs 2 dimensions per parameter. */
enum { SYN_DESIGN_SOBOL_MAX_DIMS = 40, SYN_DESIGN_SALTELLI_MAX_DIMS = 20 };

typedef struct syn_dist {
  syn_dist_kind kind;
  double a, b;
  int truncated;  /* normal/lognormal only: sample x restricted to [lo, hi] */
  double lo, hi;  /* lognormal: 0 <= lo < hi */
} syn_dist;

typedef struct syn_design_spec {
  syn_design_kind kind;
  size_t n;                 /* base size: samples, base rows or trajectories */
  size_t dims;              /* D >= 1 */
  uint64_t seed;            /* random, lhs, morris */
  const syn_dist *dists;    /* D distributions */
  const char *const *names; /* optional D names, for messages; NULL: "parameter k" */
  const size_t *levels;     /* grid: D level counts, each >= 2 */
  int second_order;         /* saltelli: include BA_j rows */
  size_t morris_levels;     /* morris: p (even, >= 2); 0 means 4 */
} syn_design_spec;

typedef struct syn_design syn_design;

/* Validate the spec and give its number of samples, allocating nothing (a
 * design's tables can take gigabytes: lhs keeps N x D permutation entries):
 * limits are checked with this before syn_design_create, and a dry run needs
 * no more. */
syn_status syn_design_plan(const syn_design_spec *spec, size_t *count, syn_error *err);

/* Validate the spec and build the design. The spec is copied. *out is NULL
 * on failure. */
syn_status syn_design_create(const syn_design_spec *spec, syn_design **out, syn_error *err);
void syn_design_destroy(syn_design *d);

/* Number of samples (rows): grid: product of levels; random, lhs, sobol: N;
 * saltelli: N(2D+2) or N(D+2); morris: N(D+1). */
size_t syn_design_count(const syn_design *d);
size_t syn_design_dims(const syn_design *d);

/* The parameter vector of sample i (0 <= i < count) into x[0..D-1]. */
syn_status syn_design_sample(const syn_design *d, size_t i, double *x, syn_error *err);

/* The unit-cube point of sample i, before the distributions (for tests and
 * for writing the design's u values). */
syn_status syn_design_unit(const syn_design *d, size_t i, double *u, syn_error *err);

/* Map u (in [0, 1]; 0 and 1 only for bounded distributions) through one
 * distribution. Pure; the distribution must have passed validation
 * (syn_dist_check). */
double syn_dist_map(const syn_dist *dist, double u);

/* Validate one distribution; name is used in the message (may be NULL). */
syn_status syn_dist_check(const syn_dist *dist, const char *name, syn_error *err);

#endif
