/* synovia — which linear solver `auto` takes for a Jacobian pattern (solve layer, internal).
 *
 * A deterministic cost model, not a timed trial: the same pattern always gets
 * the same solver, whatever the machine's load, so results are reproducible
 * run to run. The model counts the work of one linear-solver setup (CVODE's
 * copy of J, M = I - gamma*J, the factorisation) and of the Newton solves
 * that follow it, for dense LU (from n) and for KLU (from KLU's own symbolic
 * analysis with SUNDIALS' ordering, COLAMD after BTF, and one factorisation of
 * a diagonally dominant matrix of the pattern, as I - gamma*J is for small
 * gamma: the fill of L and U and the flop count). The weights converting the
 * counts to time were fitted once by timing both solvers' kernels on this
 * project's models on the development machine (tests/bench/linsolve.c,
 * `calibrate`); they are constants here, not measured at run time. */
#ifndef SYN_SOLVE_LINCHOICE_H
#define SYN_SOLVE_LINCHOICE_H

#include <stddef.h>
#include <stdint.h>

#include "synovia/solver.h"
#include "synovia/status.h"

/* What the cost model knows of a pattern, and its two estimates. */
typedef struct syn_linsol_cost {
  size_t n;           /* states */
  size_t nnz;         /* entries of M = I - gamma*J (the pattern plus the diagonal) */
  size_t lu_nnz;      /* entries of L and U (diagonals once each) and off-diagonal blocks */
  double flops;       /* KLU's flop count of one factorisation */
  double dense_updates; /* multiply-adds of dense LU (it skips zero multipliers) */
  double dense_ns;    /* estimated time of a setup and its Newton solves, dense LU */
  double klu_ns;      /* the same with KLU */
} syn_linsol_cost;

/* The estimates for the n x n pattern colptr/rowind (compressed columns,
 * rows sorted within a column, nnz = colptr[n]; the diagonal may be missing).
 * SYN_ENOMEM or SYN_EINTERNAL (KLU refused the pattern) with a message. */
syn_status syn_linsol_estimate(size_t n, const int32_t *colptr, const int32_t *rowind,
                               syn_linsol_cost *out, syn_error *err);

/* DENSE or KLU, whichever c estimates cheaper (dense on a tie). */
syn_linsol syn_linsol_cheaper(const syn_linsol_cost *c);

#endif
