/* synovia — unit tests of `linear-solver auto`'s choice (src/solve/linchoice.c, solver.c).
 *
 * The choice is a deterministic function of the Jacobian's pattern: checked
 * on a full small pattern (dense LU wins), on a large banded one (KLU wins)
 * and on the knee model's pattern (27 states, 100 entries: KLU, which the
 * old rule "KLU from 100 states" missed), both through the chooser and
 * through syn_solver_create. Explicit dense/klu are never overridden. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "solve/linchoice.h"
#include "synovia/model.h"
#include "synovia/solver.h"

/* A band of half-width w in compressed columns (w >= n - 1: full). */
typedef struct band {
  size_t n;
  int32_t *colptr, *rowind;
} band;

static band band_make(size_t n, size_t w) {
  band b = {n, calloc(n + 1, sizeof(int32_t)), calloc(n * n, sizeof(int32_t))};
  assert_non_null(b.colptr);
  assert_non_null(b.rowind);
  size_t p = 0;
  for (size_t j = 0; j < n; j++) {
    b.colptr[j] = (int32_t)p;
    for (size_t i = 0; i < n; i++)
      if (i + w >= j && j + w >= i) b.rowind[p++] = (int32_t)i;
  }
  b.colptr[n] = (int32_t)p;
  return b;
}

static void band_free(band *b) {
  free(b->colptr);
  free(b->rowind);
}

static syn_linsol choose(size_t n, const int32_t *colptr, const int32_t *rowind) {
  syn_linsol_cost c;
  syn_error err;
  assert_int_equal(syn_linsol_estimate(n, colptr, rowind, &c, &err), SYN_OK);
  assert_int_equal(c.n, n);
  assert_true(c.nnz >= (size_t)colptr[n] && c.lu_nnz >= c.nnz);
  assert_true(c.dense_ns > 0.0 && c.klu_ns > 0.0);
  syn_linsol first = syn_linsol_cheaper(&c);
  syn_linsol_cost again;
  assert_int_equal(syn_linsol_estimate(n, colptr, rowind, &again, &err), SYN_OK);
  assert_true(again.dense_ns == c.dense_ns && again.klu_ns == c.klu_ns); /* deterministic */
  return first;
}

static void test_dense_small_takes_dense(void **state) {
  (void)state;
  for (size_t n = 2; n <= 16; n *= 2) {
    band b = band_make(n, n);
    assert_int_equal(choose(b.n, b.colptr, b.rowind), SYN_LINSOL_DENSE);
    band_free(&b);
  }
}

static void test_sparse_large_takes_klu(void **state) {
  (void)state;
  band b = band_make(90, 2);
  assert_int_equal(choose(b.n, b.colptr, b.rowind), SYN_LINSOL_KLU);
  band_free(&b);
  b = band_make(400, 1);
  assert_int_equal(choose(b.n, b.colptr, b.rowind), SYN_LINSOL_KLU);
  band_free(&b);
}

/* A missing diagonal is added, as for CVODE's I - gamma*J. */
static void test_missing_diagonal(void **state) {
  (void)state;
  static const int32_t colptr[] = {0, 1, 2, 2}, rowind[] = {1, 2};
  syn_linsol_cost c;
  syn_error err;
  assert_int_equal(syn_linsol_estimate(3, colptr, rowind, &c, &err), SYN_OK);
  assert_int_equal(c.nnz, 5);
}

static void knee_ode(syn_model **m, syn_instance **inst, syn_ode *ode) {
  syn_error err;
  if (syn_model_load("models/knee_oa.model", m, &err) != SYN_OK ||
      syn_instance_create(*m, inst, &err) != SYN_OK || syn_instance_prepare(*inst, &err) != SYN_OK)
    fail_msg("knee model: %s", err.message);
  syn_instance_ode(*inst, ode);
}

static syn_linsol used(const syn_ode *ode, syn_linsol asked) {
  syn_solver_opts o;
  syn_solver_opts_default(&o);
  o.linsol = asked;
  double *y0 = calloc(ode->n, sizeof *y0);
  syn_solver *s = NULL;
  syn_error err;
  assert_non_null(y0);
  if (syn_solver_create(ode, &o, 0.0, y0, &s, &err) != SYN_OK) fail_msg("create: %s", err.message);
  syn_solver_stats st;
  syn_solver_get_stats(s, &st);
  syn_solver_destroy(s);
  free(y0);
  return st.linsol;
}

/* The knee: 27 states, 100 Jacobian entries; KLU measured faster (make bench). */
static void test_knee_pattern_takes_klu(void **state) {
  (void)state;
  syn_model *m = NULL;
  syn_instance *inst = NULL;
  syn_ode ode;
  knee_ode(&m, &inst, &ode);
  assert_true(ode.n < 100 && ode.jac != NULL);
  assert_int_equal(choose(ode.n, ode.colptr, ode.rowind), SYN_LINSOL_KLU);
  assert_int_equal(used(&ode, SYN_LINSOL_AUTO), SYN_LINSOL_KLU);
  assert_int_equal(used(&ode, SYN_LINSOL_DENSE), SYN_LINSOL_DENSE); /* explicit wins */
  assert_int_equal(used(&ode, SYN_LINSOL_KLU), SYN_LINSOL_KLU);
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dense_small_takes_dense),
      cmocka_unit_test(test_sparse_large_takes_klu),
      cmocka_unit_test(test_missing_diagonal),
      cmocka_unit_test(test_knee_pattern_takes_klu),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
