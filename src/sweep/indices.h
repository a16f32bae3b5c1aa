/* synovia — global sensitivity indices from sweep outputs (sweep layer, internal).
 *
 * Sobol first-order and total indices from a Saltelli design (Saltelli 2010
 * [saltelli2010] estimator for S1, Jansen 1999 [jansen1999] for ST, the
 * formulas SALib's analyze.sobol uses) with bootstrap confidence intervals,
 * and Morris elementary-effect statistics (mu, mu*, sigma) from
 * one-at-a-time trajectories. Keys: docs/references.md.
 *
 * Row layout (SALib's [herman2017]; docs/sweeps.md): base row i occupies the
 * samples i*stride .. i*stride+stride-1 in the order
 *     A_i, AB_i^1 .. AB_i^D, [BA_i^1 .. BA_i^D,] B_i
 * with stride = 2D+2 when second_order, else D+2.  BA rows are accepted (so a
 * second-order design can be analysed) but second-order indices are not
 * computed here.
 *
 * Results own their arrays: the functions allocate them, the caller releases
 * them with the matching *_destroy (which takes NULL and zeroed structs).
 */
#ifndef SYN_SWEEP_INDICES_H
#define SYN_SWEEP_INDICES_H

#include <stddef.h>
#include <stdint.h>

#include "synovia/status.h"

typedef struct syn_sobol_result {
  size_t D;
  double *S1, *S1_conf; /* [D]; conf: half-width Z*sd of the bootstrap (NaN if n_boot == 0) */
  double *ST, *ST_conf; /* [D] */
  size_t n_rows_used;    /* base rows in the estimate */
  size_t n_rows_dropped; /* base rows left out: a non-finite output in one of their samples */
  int zero_variance;     /* 1: the output is constant on the used rows; all indices NaN */
} syn_sobol_result;

typedef struct syn_morris_result {
  size_t D;
  double *mu, *mu_star, *sigma; /* [D]; sigma: sd with ddof 1 (NaN with one trajectory) */
  size_t n_traj_used;
  size_t n_traj_dropped; /* trajectories left out: a non-finite output on one of their points */
} syn_morris_result;

/* Sobol S1/ST of the outputs y[n_y] of a Saltelli design with N base rows and
 * D parameters (n_y must be N*stride).  Outputs are standardised (mean, sd
 * over the used rows) as SALib does.  Base rows with a non-finite output
 * anywhere are dropped whole and counted in out->n_rows_dropped; fewer than 2
 * usable rows is an error.  Confidence intervals: n_boot resamples of the base
 * rows (0: none, else >= 2), deterministic from seed; half-width
 * Z(conf) * sd(ddof 1) of the resampled estimates, conf in (0, 1).
 * On error *out is zeroed and owns nothing. */
syn_status syn_sobol_indices(const double *y, size_t n_y, size_t N, size_t D, int second_order,
                             size_t n_boot, uint64_t seed, double conf, syn_sobol_result *out,
                             syn_error *err);
void syn_sobol_result_destroy(syn_sobol_result *r); /* frees the arrays, zeroes *r */

/* Morris statistics of r trajectories of D+1 points each: x is row-major
 * [n_samples x D] with n_samples == r*(D+1), y[n_samples].  Consecutive points
 * of a trajectory must differ in exactly one parameter and every parameter must
 * move exactly once per trajectory.  Elementary effects are scaled by the
 * parameter range like SALib (which works in the unit cube):
 *     EE_j = (y(x + d e_j) - y(x)) / (d / (upper_j - lower_j)).
 * Trajectories with a non-finite output are dropped whole (counted); none left
 * is an error.  On error *out is zeroed and owns nothing. */
syn_status syn_morris_indices(const double *x, const double *y, size_t n_samples, size_t r,
                              size_t D, const double *lower, const double *upper,
                              syn_morris_result *out, syn_error *err);
void syn_morris_result_destroy(syn_morris_result *r);

#endif
