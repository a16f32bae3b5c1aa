/* synovia — unit tests of symbolic differentiation on the DAG: every
 * function's derivative against its closed form and against central finite
 * differences, the chain and product rules across two states, and the
 * structural zeros that make the Jacobian sparse. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "model/dag.h"

/* Independent evaluator: every node in id order (ids are topological). */
static double eval(const syn_dag *d, uint32_t root, const double *y, const double *p, double t) {
  double *v = malloc(d->n * sizeof *v);
  assert_non_null(v);
  for (size_t k = 0; k <= root; k++) {
    const dag_node *nd = &d->nodes[k];
    switch ((syn_op)nd->op) {
      case SYN_OP_CONST: v[k] = nd->value; break;
      case SYN_OP_STATE: v[k] = y[nd->a]; break;
      case SYN_OP_PARAM: v[k] = p[nd->a]; break;
      case SYN_OP_TIME: v[k] = t; break;
      default: {
        int n = syn_op_arity((syn_op)nd->op);
        v[k] = syn_op_apply((syn_op)nd->op, v[nd->a], n >= 2 ? v[nd->b] : 0.0, n >= 3 ? v[nd->c] : 0.0);
      }
    }
  }
  double r = v[root];
  free(v);
  return r;
}

static uint32_t derive1(syn_dag *d, uint32_t root, uint32_t wrt) {
  size_t n0 = d->n;
  uint32_t *memo = malloc(n0 * sizeof *memo), out = 0;
  assert_non_null(memo);
  assert_int_equal(syn_dag_derive(d, &root, 1, wrt, memo, n0, &out), 0);
  free(memo);
  return out;
}

/* Central difference with a step scaled to y[j]; 4th-order (Richardson). */
static double central(const syn_dag *d, uint32_t root, const double *y0, const double *p, size_t j) {
  double y[2] = {y0[0], y0[1]};
  double h = 1e-3 * fmax(fabs(y0[j]), 1e-3);
  double f[4];
  const double off[4] = {-2, -1, 1, 2};
  for (int i = 0; i < 4; i++) {
    y[j] = y0[j] + off[i] * h;
    f[i] = eval(d, root, y, p, 0.0);
  }
  return (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h);
}

static void assert_close(double got, double want, double rtol, const char *what) {
  double tol = rtol * fabs(want) + 1e-10; /* absolute part: difference noise at zero */
  if (!(fabs(got - want) <= tol)) fail_msg("%s: got %.17g, want %.17g", what, got, want);
}

typedef struct unary_case {
  syn_op op;
  double (*f)(double);
  double (*df)(double);
  double lo, hi; /* domain of the inner argument u = y0 * y1 */
} unary_case;

static double d_exp(double u) { return exp(u); }
static double d_log(double u) { return 1 / u; }
static double d_log10(double u) { return 1 / (u * log(10.0)); }
static double d_sqrt(double u) { return 0.5 / sqrt(u); }
static double d_abs(double u) { return u > 0 ? 1 : -1; }
static double d_sin(double u) { return cos(u); }
static double d_cos(double u) { return -sin(u); }
static double d_tan(double u) { return 1 / (cos(u) * cos(u)); }
static double d_asin(double u) { return 1 / sqrt(1 - u * u); }
static double d_acos(double u) { return -1 / sqrt(1 - u * u); }
static double d_atan(double u) { return 1 / (1 + u * u); }
static double d_sinh(double u) { return cosh(u); }
static double d_cosh(double u) { return sinh(u); }
static double d_tanh(double u) { return 1 / (cosh(u) * cosh(u)); }
static double neg(double u) { return -u; }
static double d_neg(double u) { (void)u; return -1; }

static const unary_case UNARY[] = {
    {SYN_OP_EXP, exp, d_exp, -3, 3},      {SYN_OP_LOG, log, d_log, 0.01, 50},
    {SYN_OP_LOG10, log10, d_log10, 0.01, 50}, {SYN_OP_SQRT, sqrt, d_sqrt, 0.01, 50},
    {SYN_OP_ABS, fabs, d_abs, -5, 5},     {SYN_OP_SIN, sin, d_sin, -6, 6},
    {SYN_OP_COS, cos, d_cos, -6, 6},      {SYN_OP_TAN, tan, d_tan, -1.2, 1.2},
    {SYN_OP_ASIN, asin, d_asin, -0.9, 0.9}, {SYN_OP_ACOS, acos, d_acos, -0.9, 0.9},
    {SYN_OP_ATAN, atan, d_atan, -5, 5},   {SYN_OP_SINH, sinh, d_sinh, -3, 3},
    {SYN_OP_COSH, cosh, d_cosh, -3, 3},   {SYN_OP_TANH, tanh, d_tanh, -3, 3},
    {SYN_OP_NEG, neg, d_neg, -5, 5},
};

/* d/dy0 f(y0*y1) = f'(u) y1 and d/dy1 = f'(u) y0, at 40 points per function. */
static void test_unary_chain_rule(void **state) {
  (void)state;
  for (size_t c = 0; c < sizeof UNARY / sizeof UNARY[0]; c++) {
    syn_dag d;
    assert_int_equal(syn_dag_init(&d), 0);
    uint32_t y0 = syn_dag_state(&d, 0), y1 = syn_dag_state(&d, 1);
    uint32_t u = syn_dag_bin(&d, SYN_OP_MUL, y0, y1);
    uint32_t f = syn_dag_un(&d, UNARY[c].op, u);
    uint32_t df0 = derive1(&d, f, 0), df1 = derive1(&d, f, 1);
    for (int i = 0; i < 40; i++) {
      double uu = UNARY[c].lo + (UNARY[c].hi - UNARY[c].lo) * (i + 0.37) / 40;
      if (UNARY[c].op == SYN_OP_ABS && fabs(uu) < 0.05) continue;
      double y[2] = {uu / 1.7, 1.7}, p[1] = {0};
      const char *name = syn_op_spelling(UNARY[c].op);
      assert_close(eval(&d, df0, y, p, 0), UNARY[c].df(uu) * y[1], 1e-12, name);
      assert_close(eval(&d, df1, y, p, 0), UNARY[c].df(uu) * y[0], 1e-12, name);
      assert_close(eval(&d, df0, y, p, 0), central(&d, f, y, p, 0), 1e-7, name);
      assert_close(eval(&d, f, y, p, 0), UNARY[c].f(uu), 1e-15, name);
    }
    syn_dag_free(&d);
  }
}

/* pow with an exponent that is constant, a parameter, or a state. */
static void test_pow_rules(void **state) {
  (void)state;
  syn_dag d;
  assert_int_equal(syn_dag_init(&d), 0);
  uint32_t y0 = syn_dag_state(&d, 0), y1 = syn_dag_state(&d, 1), k = syn_dag_param(&d, 0);
  uint32_t pc = syn_dag_bin(&d, SYN_OP_POW, y0, syn_dag_const(&d, 2.5));
  uint32_t pk = syn_dag_bin(&d, SYN_OP_POW, y0, k);
  uint32_t py = syn_dag_bin(&d, SYN_OP_POW, y0, y1);
  uint32_t sq = syn_dag_bin(&d, SYN_OP_POW, y0, syn_dag_const(&d, 2.0));
  uint32_t dpc = derive1(&d, pc, 0), dpk = derive1(&d, pk, 0), dpy0 = derive1(&d, py, 0);
  uint32_t dpy1 = derive1(&d, py, 1), dsq = derive1(&d, sq, 0);
  assert_int_equal(derive1(&d, pk, 1), d.zero);
  for (int i = 1; i <= 30; i++) {
    double y[2] = {0.05 * i * i, 0.3 + 0.1 * i}, p[1] = {1.0 / 3.0 + 0.1 * i};
    assert_close(eval(&d, dpc, y, p, 0), 2.5 * pow(y[0], 1.5), 1e-13, "x^2.5");
    assert_close(eval(&d, dpk, y, p, 0), p[0] * pow(y[0], p[0] - 1), 1e-13, "x^k");
    assert_close(eval(&d, dpy0, y, p, 0), y[1] * pow(y[0], y[1] - 1), 1e-13, "x^y dx");
    assert_close(eval(&d, dpy1, y, p, 0), pow(y[0], y[1]) * log(y[0]), 1e-12, "x^y dy");
    assert_close(eval(&d, dsq, y, p, 0), 2 * y[0], 1e-15, "x^2");
    assert_close(eval(&d, dpy1, y, p, 0), central(&d, py, y, p, 1), 1e-7, "x^y fd");
  }
  syn_dag_free(&d);
}

/* Products, quotients, sums, and the piecewise functions. */
static void test_binary_and_piecewise(void **state) {
  (void)state;
  syn_dag d;
  assert_int_equal(syn_dag_init(&d), 0);
  uint32_t a = syn_dag_state(&d, 0), b = syn_dag_state(&d, 1);
  uint32_t e[] = {
      syn_dag_bin(&d, SYN_OP_DIV, syn_dag_un(&d, SYN_OP_SIN, a), syn_dag_bin(&d, SYN_OP_ADD, a, b)),
      syn_dag_bin(&d, SYN_OP_SUB, syn_dag_bin(&d, SYN_OP_MUL, a, syn_dag_bin(&d, SYN_OP_MUL, a, b)), b),
      syn_dag_bin(&d, SYN_OP_MIN, syn_dag_bin(&d, SYN_OP_MUL, a, a), b),
      syn_dag_bin(&d, SYN_OP_MAX, syn_dag_bin(&d, SYN_OP_MUL, a, a), b),
      syn_dag_op(&d, SYN_OP_IF, syn_dag_bin(&d, SYN_OP_GT, a, b), syn_dag_un(&d, SYN_OP_EXP, a),
                 syn_dag_bin(&d, SYN_OP_MUL, b, b)),
  };
  enum { NE = sizeof e / sizeof e[0] };
  uint32_t de[NE][2];
  for (size_t i = 0; i < NE; i++)
    for (uint32_t j = 0; j < 2; j++) de[i][j] = derive1(&d, e[i], j);
  for (int s = 0; s < 50; s++) {
    double y[2] = {0.1 + 0.07 * s, 2.0 - 0.03 * s}, p[1] = {0};
    if (fabs(y[0] * y[0] - y[1]) < 0.05 || fabs(y[0] - y[1]) < 0.05) continue; /* kinks */
    for (size_t i = 0; i < NE; i++)
      for (size_t j = 0; j < 2; j++)
        assert_close(eval(&d, de[i][j], y, p, 0), central(&d, e[i], y, p, j), 1e-7, "binary");
    /* closed forms of the first two */
    double A = y[0], B = y[1];
    assert_close(eval(&d, de[0][0], y, p, 0), (cos(A) * (A + B) - sin(A)) / ((A + B) * (A + B)),
                 1e-13, "quotient");
    assert_close(eval(&d, de[1][0], y, p, 0), 2 * A * B, 1e-14, "product");
    assert_close(eval(&d, de[1][1], y, p, 0), A * A - 1, 1e-14, "product dy");
  }
  syn_dag_free(&d);
}

/* Terms that are identically zero vanish: that is the sparsity pattern. */
static void test_structural_zeros(void **state) {
  (void)state;
  syn_dag d;
  assert_int_equal(syn_dag_init(&d), 0);
  uint32_t a = syn_dag_state(&d, 0), b = syn_dag_state(&d, 1), k = syn_dag_param(&d, 0);
  uint32_t t = syn_dag_time(&d);
  uint32_t ka = syn_dag_bin(&d, SYN_OP_MUL, k, a);
  assert_int_equal(derive1(&d, ka, 1), d.zero);
  assert_int_equal(derive1(&d, ka, 0), k); /* k*1 -> k */
  assert_int_equal(derive1(&d, syn_dag_un(&d, SYN_OP_FLOOR, a), 0), d.zero);
  assert_int_equal(derive1(&d, syn_dag_un(&d, SYN_OP_CEIL, a), 0), d.zero);
  assert_int_equal(derive1(&d, syn_dag_bin(&d, SYN_OP_LT, a, b), 0), d.zero);
  assert_int_equal(derive1(&d, syn_dag_bin(&d, SYN_OP_AND, a, b), 0), d.zero);
  assert_int_equal(derive1(&d, syn_dag_un(&d, SYN_OP_SIN, t), 0), d.zero);
  assert_int_equal(derive1(&d, syn_dag_bin(&d, SYN_OP_MUL, a, d.zero), 0), d.zero);
  uint32_t sum = syn_dag_bin(&d, SYN_OP_ADD, a, b);
  assert_int_equal(derive1(&d, sum, 0), d.one);
  /* several roots in one call share the memo */
  uint32_t roots[3] = {ka, sum, syn_dag_bin(&d, SYN_OP_MUL, a, b)}, out[3];
  size_t n0 = d.n;
  uint32_t *memo = malloc(n0 * sizeof *memo);
  assert_non_null(memo);
  assert_int_equal(syn_dag_derive(&d, roots, 3, 1, memo, n0, out), 0);
  free(memo);
  assert_int_equal(out[0], d.zero);
  assert_int_equal(out[1], d.one);
  assert_int_equal(out[2], a);
  syn_dag_free(&d);
}

/* Columns over dependency cones give exactly the nodes syn_dag_derive
 * gives (hash-consing makes equal derivatives the same node), rows
 * ascending, structural zeros left out: on a ring of states with shared
 * subexpressions, a root used twice, a constant root, a state used by no
 * root, x*x (an operand used twice) and piecewise ops. */
static void test_cone_columns_match_full_derivation(void **state) {
  (void)state;
  enum { N = 12 };
  syn_dag d;
  assert_int_equal(syn_dag_init(&d), 0);
  uint32_t y[N], roots[N];
  for (uint32_t i = 0; i < N; i++) y[i] = syn_dag_state(&d, i);
  uint32_t k = syn_dag_param(&d, 0), shared = syn_dag_bin(&d, SYN_OP_MUL, y[0], y[0]);
  for (uint32_t i = 0; i < N - 3; i++) {
    uint32_t next = syn_dag_bin(&d, SYN_OP_MUL, k, y[(i + 1) % (N - 2)]);
    uint32_t own = syn_dag_un(&d, SYN_OP_EXP, syn_dag_un(&d, SYN_OP_NEG, y[i]));
    uint32_t r = syn_dag_bin(&d, SYN_OP_SUB, next, own);
    if (i % 3 == 0) r = syn_dag_bin(&d, SYN_OP_ADD, r, shared);
    if (i % 4 == 1) r = syn_dag_bin(&d, SYN_OP_MAX, r, y[i + 2]);
    if (i % 5 == 2) r = syn_dag_bin(&d, SYN_OP_ADD, r, syn_dag_un(&d, SYN_OP_FLOOR, y[i + 1]));
    if (i % 5 == 3) /* y[i+1] only in the condition: no entry; y[i+2] in a branch */
      r = syn_dag_bin(&d, SYN_OP_ADD, r,
                      syn_dag_op(&d, SYN_OP_IF, syn_dag_bin(&d, SYN_OP_GT, y[i + 1], k), y[i + 2], k));
    roots[i] = r;
  }
  roots[N - 3] = roots[2];                       /* two states, one rhs */
  roots[N - 2] = syn_dag_const(&d, 3.0);         /* constant rhs */
  roots[N - 1] = y[4];                           /* rhs is a state itself */
  /* y[N - 2] and y[N - 1] are used by no root */
  syn_jac_cols *jc = syn_jac_cols_create(&d, roots, N);
  assert_non_null(jc);
  size_t n0 = d.n, total = 0;
  uint32_t *memo = malloc(n0 * sizeof *memo);
  assert_non_null(memo);
  for (uint32_t j = 0; j < N; j++) {
    uint32_t want[N], rows[N], vals[N];
    size_t count = 0, at = 0;
    assert_int_equal(syn_dag_derive(&d, roots, N, j, memo, n0, want), 0);
    assert_int_equal(syn_jac_cols_get(jc, j, rows, vals, &count), 0);
    for (uint32_t i = 0; i < N; i++) {
      if (want[i] == d.zero) continue;
      assert_true(at < count);
      assert_int_equal(rows[at], i);
      assert_int_equal(vals[at], want[i]);
      at++;
    }
    assert_int_equal(at, count);
    assert_int_equal(syn_jac_cols_count(jc, j), count); /* counted without building */
    total += count;
  }
  assert_true(total > N); /* the ring really has off-diagonal entries */
  free(memo);
  syn_jac_cols_destroy(jc);
  syn_dag_free(&d);
}

/* A dense coupling (every root reads a balanced sum of all states, as
 * sum(joint, X) builds it): columns and cones are long enough for the radix
 * sorts, and every column has every row, in order, with the same nodes as
 * the full derivation. */
static void test_dense_columns(void **state) {
  (void)state;
  enum { N = 300 };
  syn_dag d;
  assert_int_equal(syn_dag_init(&d), 0);
  uint32_t *y = malloc(N * sizeof *y), *roots = malloc(N * sizeof *roots);
  uint32_t *want = malloc(N * sizeof *want), *rows = malloc(N * sizeof *rows);
  uint32_t *vals = malloc(N * sizeof *vals), *level = malloc(N * sizeof *level);
  assert_true(y && roots && want && rows && vals && level);
  for (uint32_t i = 0; i < N; i++) level[i] = y[i] = syn_dag_state(&d, i);
  for (size_t n = N; n > 1; n = (n + 1) / 2)
    for (size_t i = 0; i < n; i += 2)
      level[i / 2] = i + 1 < n ? syn_dag_bin(&d, SYN_OP_ADD, level[i], level[i + 1]) : level[i];
  uint32_t k = syn_dag_param(&d, 0);
  for (uint32_t i = 0; i < N; i++) /* -k y_i + sum * y_i: the diagonal differs */
    roots[i] = syn_dag_bin(&d, SYN_OP_SUB, syn_dag_bin(&d, SYN_OP_MUL, level[0], y[i]),
                           syn_dag_bin(&d, SYN_OP_MUL, k, y[i]));
  syn_jac_cols *jc = syn_jac_cols_create(&d, roots, N);
  assert_non_null(jc);
  size_t n0 = d.n;
  uint32_t *memo = malloc(n0 * sizeof *memo);
  assert_non_null(memo);
  for (uint32_t j = 0; j < N; j += 37) {
    size_t count = 0;
    assert_int_equal(syn_dag_derive(&d, roots, N, j, memo, n0, want), 0);
    assert_int_equal(syn_jac_cols_get(jc, j, rows, vals, &count), 0);
    assert_int_equal(count, N);
    assert_int_equal(syn_jac_cols_count(jc, j), N);
    for (uint32_t i = 0; i < N; i++) {
      assert_int_equal(rows[i], i);
      assert_int_equal(vals[i], want[i]);
    }
  }
  free(memo);
  free(y), free(roots), free(want), free(rows), free(vals), free(level);
  syn_jac_cols_destroy(jc);
  syn_dag_free(&d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_unary_chain_rule),
      cmocka_unit_test(test_pow_rules),
      cmocka_unit_test(test_binary_and_piecewise),
      cmocka_unit_test(test_structural_zeros),
      cmocka_unit_test(test_cone_columns_match_full_derivation),
      cmocka_unit_test(test_dense_columns),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
