/* synovia — leaner SUNDIALS operations for small systems (solve layer; see
 * lean_ops.h for the contract: the same operations in the same order as
 * SUNDIALS' own, hence the same bits). */
#include "solve/lean_ops.h"

#include <math.h>

#include <nvector/nvector_serial.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>

/* Return codes: success is 0 in SUNDIALS 6 (SUNLS_SUCCESS, SUNMAT_SUCCESS) and
 * 7 (SUN_SUCCESS, which replaced them); a bad argument is any other value. A
 * zero pivot is the dense solver's own recoverable SUNLS_LUFACT_FAIL. */
enum { LEAN_OK = 0, LEAN_BAD_ARG = -1 };

/* --- vectors -------------------------------------------------------------------
 * CVODE works on vectors of only ode->n elements (27 on the knee, 8 for
 * HIRES) with the serial N_Vector's loops, one element at a time, behind a
 * generic wrapper and a case analysis per call. These replace the costliest
 * ones, two or four elements per iteration so that the compiler pairs them
 * in SIMD registers (-O2 vectorises such groups, not the plain loop). Every
 * element is computed with the same operations in the same order as
 * N_VLinearSum_Serial, N_VScale_Serial and their fused and vector-array forms
 * do (their special cases are the general formula's, since x * 1 and x * -1
 * are exact, except c (x + y) and c (x - y)). */

/* z = a x + b y; the unit cases without their (exact) products. */
#define PAIRED(EXPR)                                                                           \
  do {                                                                                         \
    sunindextype i = 0;                                                                        \
    for (; i + 4 <= n; i += 4) {                                                               \
      double x0 = x[i], x1 = x[i + 1], x2 = x[i + 2], x3 = x[i + 3];                           \
      double y0 = y[i], y1 = y[i + 1], y2 = y[i + 2], y3 = y[i + 3];                           \
      z[i] = EXPR(x0, y0);                                                                     \
      z[i + 1] = EXPR(x1, y1);                                                                 \
      z[i + 2] = EXPR(x2, y2);                                                                 \
      z[i + 3] = EXPR(x3, y3);                                                                 \
    }                                                                                          \
    for (; i < n; i++) z[i] = EXPR(x[i], y[i]);                                                \
  } while (0)
#define SUM_XY(u, v) ((u) + (v))
#define AX_Y(u, v) (a * (u) + (v))
#define X_BY(u, v) ((u) + b * (v))
#define AX_BY(u, v) (a * (u) + b * (v))
static void lin_ab(sunindextype n, double a, const double *x, double b, const double *y,
                   double *z) {
  if (a == 1.0 && b == 1.0) PAIRED(SUM_XY);
  else if (b == 1.0) PAIRED(AX_Y);
  else if (a == 1.0) PAIRED(X_BY);
  else PAIRED(AX_BY);
}

#define C_SUM(u, v) (a * ((u) + (v)))
#define C_DIFF(u, v) (a * ((u) - (v)))
static void lin_scaled(sunindextype n, double a, const double *x, double sign, const double *y,
                       double *z) { /* z = a (x + y) or a (x - y) (sign 1 or -1) */
  if (sign > 0) PAIRED(C_SUM);
  else PAIRED(C_DIFF);
}

#undef C_SUM
#undef C_DIFF
#undef SUM_XY
#undef AX_Y
#undef X_BY
#undef AX_BY
#undef PAIRED

/* One vector of N_VLinearSum_Serial: which formula its cases come to. */
static void lin_sum(sunindextype n, double a, const double *x, double b, const double *y,
                    double *z) {
  int unit = a == 1.0 || b == 1.0 || a == -1.0 || b == -1.0;
  if (!unit && a == b) lin_scaled(n, a, x, 1.0, y, z);
  else if (!unit && a == -b) lin_scaled(n, a, x, -1.0, y, z);
  else lin_ab(n, a, x, b, y, z);
}

/* The commonest case, x + y (CVODE's predictor adds q (q + 1) / 2 pairs of
 * its history at every step), goes straight to its loop. */
static void lean_linear_sum(sunrealtype a, N_Vector x, sunrealtype b, N_Vector y, N_Vector z) {
  sunindextype n = NV_LENGTH_S(z), i = 0;
  const double *xd = NV_DATA_S(x), *yd = NV_DATA_S(y);
  double *zd = NV_DATA_S(z);
  if (a != 1.0 || b != 1.0) {
    lin_sum(n, a, xd, b, yd, zd);
    return;
  }
  for (; i + 2 <= n; i += 2) {
    double s0 = xd[i] + yd[i], s1 = xd[i + 1] + yd[i + 1];
    zd[i] = s0;
    zd[i + 1] = s1;
  }
  for (; i < n; i++) zd[i] = xd[i] + yd[i];
}

static void lean_scale(sunrealtype c, N_Vector x, N_Vector z) {
  sunindextype n = NV_LENGTH_S(z), i = 0;
  const double *xd = NV_DATA_S(x);
  double *zd = NV_DATA_S(z);
  for (; i + 2 <= n; i += 2) {
    double x0 = xd[i], x1 = xd[i + 1];
    zd[i] = c * x0;
    zd[i + 1] = c * x1;
  }
  for (; i < n; i++) zd[i] = c * xd[i];
}

static int lean_linear_sum_array(int nvec, sunrealtype a, N_Vector *X, sunrealtype b,
                                 N_Vector *Y, N_Vector *Z) {
  if (nvec < 1) return -1;
  for (int v = 0; v < nvec; v++)
    lin_sum(NV_LENGTH_S(Z[v]), a, NV_DATA_S(X[v]), b, NV_DATA_S(Y[v]), NV_DATA_S(Z[v]));
  return 0;
}

/* Z[j][i] = a[j] X[i] + Y[j][i] (the Nordsieck array's update): per
 * element a x + y, as N_VScaleAddMultiVectorArray_Serial and
 * N_VScaleAddMulti_Serial (its case of one vector) compute it, a single sum
 * as N_VLinearSum. */
static int lean_scale_add_multi_array(int nvec, int nsum, sunrealtype *a, N_Vector *X,
                                      N_Vector **Y, N_Vector **Z) {
  if (nvec < 1 || nsum < 1) return -1;
  for (int v = 0; v < nvec; v++)
    for (int j = 0; j < nsum; j++)
      if (nsum == 1) lin_sum(NV_LENGTH_S(X[v]), a[j], NV_DATA_S(X[v]), 1.0, NV_DATA_S(Y[j][v]),
                             NV_DATA_S(Z[j][v]));
      else lin_ab(NV_LENGTH_S(X[v]), a[j], NV_DATA_S(X[v]), 1.0, NV_DATA_S(Y[j][v]),
                  NV_DATA_S(Z[j][v]));
  return 0;
}

/* One vector of N_VLinearCombination_Serial: c0 x0 (+ c1 x1 ...), the terms
 * added element by element in the same order (its in-place cases are the
 * same formula, c0 = 1 times z being z); a later term aliasing z goes to
 * the serial loop, which reads z as updated. */
enum { LC_MAX = 16 };
static void lin_comb(sunindextype n, int nsum, const double *c, const double *const *x,
                     double *z) {
  if (nsum == 1) {
    for (sunindextype i = 0; i < n; i++) z[i] = c[0] * x[0][i];
    return;
  }
  if (nsum == 2) {
    lin_sum(n, c[0], x[0], c[1], x[1], z);
    return;
  }
  sunindextype i = 0;
  for (; i + 2 <= n; i += 2) {
    double z0 = c[0] * x[0][i], z1 = c[0] * x[0][i + 1];
    for (int j = 1; j < nsum; j++) {
      z0 += c[j] * x[j][i];
      z1 += c[j] * x[j][i + 1];
    }
    z[i] = z0;
    z[i + 1] = z1;
  }
  for (; i < n; i++) {
    double zi = c[0] * x[0][i];
    for (int j = 1; j < nsum; j++) zi += c[j] * x[j][i];
    z[i] = zi;
  }
}

static int lean_linear_combination(int nvec, sunrealtype *c, N_Vector *X, N_Vector z) {
  const double *x[LC_MAX];
  if (nvec < 1 || nvec > LC_MAX) return N_VLinearCombination_Serial(nvec, c, X, z);
  for (int j = 0; j < nvec; j++) {
    if (j > 0 && X[j] == z) return N_VLinearCombination_Serial(nvec, c, X, z);
    x[j] = NV_DATA_S(X[j]);
  }
  lin_comb(NV_LENGTH_S(z), nvec, c, x, NV_DATA_S(z));
  return 0;
}

static int lean_linear_combination_array(int nvec, int nsum, sunrealtype *c, N_Vector **X,
                                         N_Vector *Z) {
  const double *x[LC_MAX];
  if (nvec < 1 || nsum < 1 || nsum > LC_MAX)
    return N_VLinearCombinationVectorArray_Serial(nvec, nsum, c, X, Z);
  for (int v = 0; v < nvec; v++)
    for (int j = 1; j < nsum; j++)
      if (X[j][v] == Z[v]) return N_VLinearCombinationVectorArray_Serial(nvec, nsum, c, X, Z);
  for (int v = 0; v < nvec; v++) {
    for (int j = 0; j < nsum; j++) x[j] = NV_DATA_S(X[j][v]);
    lin_comb(NV_LENGTH_S(Z[v]), nsum, c, x, NV_DATA_S(Z[v]));
  }
  return 0;
}

static void lean_const(sunrealtype c, N_Vector z) {
  sunindextype n = NV_LENGTH_S(z);
  double *zd = NV_DATA_S(z);
  for (sunindextype i = 0; i < n; i++) zd[i] = c;
}

static int lean_scale_array(int nvec, sunrealtype *c, N_Vector *X, N_Vector *Z) {
  if (nvec < 1) return -1;
  for (int v = 0; v < nvec; v++) lean_scale(c[v], X[v], Z[v]);
  return 0;
}

/* Z[i] = a[i] x + Y[i] (N_VScaleAddMulti_Serial: one vector is N_VLinearSum
 * with b = 1; Y == Z is y += a x, the same sum). */
static int lean_scale_add_multi(int nvec, sunrealtype *a, N_Vector x, N_Vector *Y, N_Vector *Z) {
  if (nvec < 1) return -1;
  sunindextype n = NV_LENGTH_S(x);
  for (int i = 0; i < nvec; i++) {
    if (nvec == 1) lin_sum(n, a[0], NV_DATA_S(x), 1.0, NV_DATA_S(Y[0]), NV_DATA_S(Z[0]));
    else lin_ab(n, a[i], NV_DATA_S(x), 1.0, NV_DATA_S(Y[i]), NV_DATA_S(Z[i]));
  }
  return 0;
}

/* sqrt(sum (x_i w_i)^2 / n), summed in order (N_VWrmsNorm_Serial through
 * N_VWSqrSumLocal_Serial and SUNRsqrt, in one call). */
static sunrealtype lean_wrms_norm(N_Vector x, N_Vector w) {
  sunindextype n = NV_LENGTH_S(x);
  const double *xd = NV_DATA_S(x), *wd = NV_DATA_S(w);
  double sum = 0.0;
  for (sunindextype i = 0; i < n; i++) {
    double p = xd[i] * wd[i];
    sum += p * p;
  }
  double mean = sum / (double)n;
  return mean <= 0.0 ? 0.0 : sqrt(mean);
}

void syn_lean_vector_ops(N_Vector v) {
  N_VEnableFusedOps_Serial(v, SUNTRUE);
  v->ops->nvlinearsum = lean_linear_sum;
  v->ops->nvscale = lean_scale;
  v->ops->nvconst = lean_const;
  v->ops->nvwrmsnorm = lean_wrms_norm;
  v->ops->nvscaleaddmulti = lean_scale_add_multi;
  v->ops->nvlinearsumvectorarray = lean_linear_sum_array;
  v->ops->nvscaleaddmultivectorarray = lean_scale_add_multi_array;
  v->ops->nvlinearcombination = lean_linear_combination;
  v->ops->nvlinearcombinationvectorarray = lean_linear_combination_array;
  v->ops->nvscalevectorarray = lean_scale_array;
}

/* --- the dense linear solver -----------------------------------------------------
 * CVODE factors I - gamma J about once every few steps and solves with the
 * factors at every Newton iteration. SUNDIALS' solve (SUNDlsMat_denseGETRS)
 * reads b[k] again after every update of b[i], since b might alias a column,
 * and its copy-in and the matrix's copy and shift go through generic
 * wrappers; for a few states that is most of their cost. Below, the same
 * loops over the column-major data (column j at a + j n) with what cannot
 * change held in locals: the factors and b are distinct arrays here (CVODE's
 * matrix and its own vector). */

/* LU with partial pivoting in place, pivots in p; 0, or k + 1 when column k
 * has no non-zero pivot (SUNDlsMat_denseGETRF). */
static sunindextype lu_factor(double *a, sunindextype n, sunindextype *p) {
  for (sunindextype k = 0; k < n; k++) {
    double *ck = a + k * n;
    sunindextype l = k;
    for (sunindextype i = k + 1; i < n; i++)
      if (fabs(ck[i]) > fabs(ck[l])) l = i;
    p[k] = l;
    if (ck[l] == 0.0) return k + 1;
    if (l != k)
      for (sunindextype j = 0; j < n; j++) {
        double t = a[j * n + l];
        a[j * n + l] = a[j * n + k];
        a[j * n + k] = t;
      }
    double mult = 1.0 / ck[k];
    for (sunindextype i = k + 1; i < n; i++) ck[i] *= mult;
    for (sunindextype j = k + 1; j < n; j++) {
      double *restrict cj = a + j * n;
      const double akj = cj[k];
      if (akj != 0.0)
        for (sunindextype i = k + 1; i < n; i++) cj[i] -= akj * ck[i];
    }
  }
  return 0;
}

/* b = A^-1 b from the factors (SUNDlsMat_denseGETRS). Inlined with a
 * constant n for small systems (lu_solve_small): the loops then unroll and b
 * stays in registers instead of going through memory between updates. */
static inline __attribute__((always_inline)) void lu_solve_n(const double *restrict a,
                                                             sunindextype n,
                                                             const sunindextype *p,
                                                             double *restrict b) {
#pragma GCC unroll 8
  for (sunindextype k = 0; k < n; k++) {
    sunindextype pk = p[k];
    if (pk != k) {
      double t = b[k];
      b[k] = b[pk];
      b[pk] = t;
    }
  }
#pragma GCC unroll 8
  for (sunindextype k = 0; k + 1 < n; k++) {
    const double *ck = a + k * n, bk = b[k];
#pragma GCC unroll 8
    for (sunindextype i = k + 1; i < n; i++) b[i] -= ck[i] * bk;
  }
#pragma GCC unroll 8
  for (sunindextype k = n - 1; k > 0; k--) {
    const double *ck = a + k * n, bk = b[k] / ck[k];
    b[k] = bk;
#pragma GCC unroll 8
    for (sunindextype i = 0; i < k; i++) b[i] -= ck[i] * bk;
  }
  b[0] /= a[0];
}

enum { LU_SMALL = 8 };

/* x = A^-1 b; the small case reads b into locals and writes x from them. */
static void lu_solve_small(const double *restrict a, sunindextype n, const sunindextype *p,
                           const double *b, double *x) {
  double w[LU_SMALL];
  for (sunindextype i = 0; i < n; i++) w[i] = b[i];
  switch (n) {
#define CASE(N) case N: lu_solve_n(a, N, p, w); break;
    CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6) CASE(7) CASE(8)
#undef CASE
    default: break;
  }
  for (sunindextype i = 0; i < n; i++) x[i] = w[i];
}

/* x = A^-1 b (b and x may be the same array). */
static void lu_solve(const double *restrict a, sunindextype n, const sunindextype *p,
                     const double *b, double *x) {
  if (n <= LU_SMALL) {
    lu_solve_small(a, n, p, b, x);
    return;
  }
  if (x != b)
    for (sunindextype i = 0; i < n; i++) x[i] = b[i];
  lu_solve_n(a, n, p, x);
}

/* The dense solver's own content (public in sunlinsol_dense.h, without an
 * accessor for the pivots). */
static sunindextype *pivots(SUNLinearSolver S) {
  return ((SUNLinearSolverContent_Dense)S->content)->pivots;
}

static void set_last_flag(SUNLinearSolver S, sunindextype flag) {
  ((SUNLinearSolverContent_Dense)S->content)->last_flag = flag;
}

static int lean_dense_setup(SUNLinearSolver S, SUNMatrix A) {
  sunindextype flag = lu_factor(SUNDenseMatrix_Data(A), SUNDenseMatrix_Rows(A),
                                pivots(S));
  set_last_flag(S, flag);
  return flag > 0 ? SUNLS_LUFACT_FAIL : LEAN_OK;
}

/* x = A^-1 b (SUNLinSolSolve_Dense copies b into x by N_VScale(1, b, x),
 * and 1 b is b). */
static int lean_dense_solve(SUNLinearSolver S, SUNMatrix A, N_Vector x, N_Vector b,
                            sunrealtype tol) {
  (void)tol;
  lu_solve(SUNDenseMatrix_Data(A), SUNDenseMatrix_Rows(A), pivots(S), NV_DATA_S(b),
           NV_DATA_S(x));
  set_last_flag(S, 0);
  return LEAN_OK;
}

/* B = A (SUNMatCopy_Dense; both n x n, made alike by CVODE). */
static int lean_dense_copy(SUNMatrix A, SUNMatrix B) {
  sunindextype size = SUNDenseMatrix_LData(A);
  if (SUNDenseMatrix_LData(B) != size) return LEAN_BAD_ARG;
  const double *restrict ad = SUNDenseMatrix_Data(A);
  double *restrict bd = SUNDenseMatrix_Data(B);
  for (sunindextype i = 0; i < size; i++) bd[i] = ad[i];
  return LEAN_OK;
}

/* A = c A + I (SUNMatScaleAddI_Dense: each entry scaled, then 1 added to the
 * diagonal's). */
static int lean_dense_scale_add_i(sunrealtype c, SUNMatrix A) {
  sunindextype rows = SUNDenseMatrix_Rows(A), cols = SUNDenseMatrix_Columns(A);
  double *ad = SUNDenseMatrix_Data(A);
  for (sunindextype k = 0; k < rows * cols; k++) ad[k] *= c;
  for (sunindextype j = 0; j < cols && j < rows; j++) ad[j * rows + j] += 1.0;
  return LEAN_OK;
}

static void lean_matrix_ops(SUNMatrix A);

/* CVODE keeps the Jacobian in a clone of A (and copies it into A, through
 * the clone's operations): clones get the lean operations too. */
static SUNMatrix lean_dense_clone(SUNMatrix A) {
  SUNMatrix B = SUNMatClone_Dense(A);
  if (B != NULL) lean_matrix_ops(B);
  return B;
}

static void lean_matrix_ops(SUNMatrix A) {
  A->ops->clone = lean_dense_clone;
  A->ops->copy = lean_dense_copy;
  A->ops->scaleaddi = lean_dense_scale_add_i;
}

void syn_lean_dense_ops(SUNLinearSolver LS, SUNMatrix A) {
  LS->ops->setup = lean_dense_setup;
  LS->ops->solve = lean_dense_solve;
  lean_matrix_ops(A);
}
