/* synovia — the cost model behind `linear-solver auto` (see linchoice.h).
 *
 * Counts, then weights. Per linear-solver setup CVODE copies J, forms
 * M = I - gamma*J and factorises M; between setups it solves with the
 * factors once per Newton iteration. Dense LU touches n^2 entries per copy,
 * per scale-add and per solve and does ~n^3/3 multiply-adds per
 * factorisation; KLU touches the pattern's entries, refactorises with KLU's
 * flop count on the fill of L and U, and solves over L, U and the
 * off-diagonal blocks. KLU also pays fixed costs per call (its rcond check,
 * the permutations) that dense LU does not: that is why dense wins on very
 * small systems even when they are sparse.
 *
 * The weights (ns per count) were fitted by non-negative least squares, on
 * relative errors, to CPU times of
 * the kernels CVODE calls (SUNMatCopy, SUNMatScaleAddI, SUNLinSolSetup,
 * SUNLinSolSolve), measured with `build/release/bench_linsolve tests/bench
 * calibrate` on the development machine (2 cores, -O2 static SUNDIALS 6.4.1,
 * Debian's KLU) on the models of this project and on dense and banded
 * patterns of 3 to 200 states. They only rank two solvers, so a machine that
 * is uniformly faster or slower picks the same. Each kernel is predicted
 * within 42 % (27 patterns); the pick matched the measured faster solver on
 * all but joint_demo.model, a 2 % near-tie. SOLVES_PER_SETUP is the ratio of
 * Newton iterations to setups in the bench runs (7.7 HIRES, 8.6 RA, 10.6
 * knee, 11.0 stiff20). */
#include "solve/linchoice.h"

#include <klu.h>
#include <stdlib.h>

#include "base/alloc.h"

/* Fitted weights, ns per count (see above). */
static const double DENSE_SETUP_UPD = 0.314, DENSE_SETUP_N2 = 1.09, DENSE_SETUP_N = 6.17,
                    DENSE_SETUP_1 = 6.15;
static const double DENSE_SOLVE_N2 = 0.399, DENSE_SOLVE_N = 5.91, DENSE_SOLVE_1 = 0.0;
static const double KLU_SETUP_FLOP = 0.204, KLU_SETUP_NZ = 1.99, KLU_SETUP_N = 3.08,
                    KLU_SETUP_1 = 132.0;
static const double KLU_SOLVE_NZ = 0.302, KLU_SOLVE_N = 8.37, KLU_SOLVE_1 = 5.38;
static const double SOLVES_PER_SETUP = 10.0;

/* The pattern of M: the given columns with each missing diagonal entry added,
 * valued as a diagonally dominant I - gamma*J (diagonal 1, others small), so
 * KLU keeps its diagonal pivots as it does for CVODE's M at small gamma. */
typedef struct m_pattern {
  int *colptr, *rowind;
  double *val;
  size_t nnz;
} m_pattern;

static void m_pattern_free(m_pattern *m) {
  free(m->colptr);
  free(m->rowind);
  free(m->val);
}

static syn_status m_pattern_build(size_t n, const int32_t *colptr, const int32_t *rowind,
                                  m_pattern *m, syn_error *err) {
  size_t cap = (size_t)colptr[n] + n, p = 0;
  m->colptr = syn_calloc(n + 1, sizeof *m->colptr);
  m->rowind = syn_calloc(cap, sizeof *m->rowind);
  m->val = syn_calloc(cap, sizeof *m->val);
  if (m->colptr == NULL || m->rowind == NULL || m->val == NULL)
    return syn_error_set(err, SYN_ENOMEM, "out of memory for the linear solver's cost model");
  const double off = 1.0 / (double)(4 * n + 4);
  for (size_t j = 0; j < n; j++) {
    m->colptr[j] = (int)p;
    int diag_done = 0;
    for (int32_t k = colptr[j]; k < colptr[j + 1]; k++) {
      size_t r = (size_t)rowind[k];
      if (!diag_done && r >= j) {
        m->rowind[p] = (int)j;
        m->val[p++] = 1.0;
        diag_done = 1;
      }
      if (r == j) continue;
      m->rowind[p] = (int)r;
      m->val[p++] = -off;
    }
    if (!diag_done) {
      m->rowind[p] = (int)j;
      m->val[p++] = 1.0;
    }
  }
  m->colptr[n] = (int)p;
  m->nnz = p;
  return SYN_OK;
}

/* KLU's analysis and one factorisation of m: fill and flops. */
static syn_status klu_counts(size_t n, const m_pattern *m, syn_linsol_cost *c, syn_error *err) {
  klu_common common;
  klu_defaults(&common);
  common.ordering = 1; /* COLAMD, as SUNLinSol_KLU's default */
  klu_symbolic *sym = klu_analyze((int)n, m->colptr, m->rowind, &common);
  klu_numeric *num = sym == NULL ? NULL : klu_factor(m->colptr, m->rowind, m->val, sym, &common);
  syn_status st = SYN_OK;
  if (num == NULL || !klu_flops(sym, num, &common))
    st = syn_error_set(err, common.status == KLU_OUT_OF_MEMORY ? SYN_ENOMEM : SYN_EINTERNAL,
                       "KLU could not analyse the Jacobian pattern of %zu states (KLU status %d)",
                       n, common.status);
  else {
    /* lnz and unz both count the diagonal: once is enough. */
    c->lu_nnz = (size_t)num->lnz + (size_t)num->unz - n + (size_t)num->nzoff;
    c->flops = common.flops;
  }
  klu_free_numeric(&num, &common);
  klu_free_symbolic(&sym, &common);
  return st;
}

/* Dense LU's work beyond its n^2 scans: SUNDIALS' dense GETRF skips a column
 * update when the multiplier row entry U(k,j) is zero, and otherwise updates
 * the n-k-1 rows below k. So it costs sum over nonzero U(k,j), j > k, of
 * (n-k-1), with U the fill of an LU in the natural order (diagonal pivots,
 * as for a diagonally dominant M): KLU without BTF and with the identity
 * ordering gives that U. */
static syn_status dense_updates(size_t n, const m_pattern *m, syn_linsol_cost *c,
                                syn_error *err) {
  klu_common common;
  klu_defaults(&common);
  common.btf = 0;
  klu_symbolic *sym = klu_analyze_given((int)n, m->colptr, m->rowind, NULL, NULL, &common);
  klu_numeric *num = sym == NULL ? NULL : klu_factor(m->colptr, m->rowind, m->val, sym, &common);
  int *up = num == NULL ? NULL : syn_calloc(n + 1, sizeof *up);
  int *ui = num == NULL ? NULL : syn_calloc((size_t)num->unz, sizeof *ui);
  /* klu_extract fills U only when given all three of Up, Ui and Ux. */
  double *ux = num == NULL ? NULL : syn_calloc((size_t)num->unz, sizeof *ux);
  syn_status st = SYN_OK;
  if (up == NULL || ui == NULL || ux == NULL ||
      !klu_extract(num, sym, NULL, NULL, NULL, up, ui, ux, NULL, NULL, NULL, NULL, NULL, NULL,
                   NULL, &common))
    st = syn_error_set(err, common.status == KLU_OUT_OF_MEMORY || up == NULL || ui == NULL ||
                                    ux == NULL
                                ? SYN_ENOMEM : SYN_EINTERNAL,
                       "KLU could not factorise the Jacobian pattern of %zu states in the "
                       "natural order (KLU status %d)", n, common.status);
  else {
    double updates = 0.0;
    for (size_t j = 0; j < n; j++)
      for (int k = up[j]; k < up[j + 1]; k++)
        if ((size_t)ui[k] < j) updates += (double)(n - (size_t)ui[k] - 1);
    c->dense_updates = updates;
  }
  free(up);
  free(ui);
  free(ux);
  klu_free_numeric(&num, &common);
  klu_free_symbolic(&sym, &common);
  return st;
}

static void weigh(syn_linsol_cost *c) {
  const double n = (double)c->n, n2 = n * n, nz = (double)c->nnz, lu = (double)c->lu_nnz;
  double dense_setup =
      DENSE_SETUP_UPD * c->dense_updates + DENSE_SETUP_N2 * n2 + DENSE_SETUP_N * n + DENSE_SETUP_1;
  double dense_solve = DENSE_SOLVE_N2 * n2 + DENSE_SOLVE_N * n + DENSE_SOLVE_1;
  double klu_setup =
      KLU_SETUP_FLOP * c->flops + KLU_SETUP_NZ * (nz + lu) + KLU_SETUP_N * n + KLU_SETUP_1;
  double klu_solve = KLU_SOLVE_NZ * lu + KLU_SOLVE_N * n + KLU_SOLVE_1;
  c->dense_ns = dense_setup + SOLVES_PER_SETUP * dense_solve;
  c->klu_ns = klu_setup + SOLVES_PER_SETUP * klu_solve;
}

syn_status syn_linsol_estimate(size_t n, const int32_t *colptr, const int32_t *rowind,
                               syn_linsol_cost *out, syn_error *err) {
  m_pattern m = {0};
  *out = (syn_linsol_cost){.n = n};
  syn_status st = m_pattern_build(n, colptr, rowind, &m, err);
  if (st == SYN_OK) {
    out->nnz = m.nnz;
    st = klu_counts(n, &m, out, err);
  }
  if (st == SYN_OK) st = dense_updates(n, &m, out, err);
  if (st == SYN_OK) weigh(out);
  m_pattern_free(&m);
  return st;
}

syn_linsol syn_linsol_cheaper(const syn_linsol_cost *c) {
  return c->klu_ns < c->dense_ns ? SYN_LINSOL_KLU : SYN_LINSOL_DENSE;
}
