/* synovia — unit tests of the expression DAG: hash-consing, constant
 * folding, exact simplifications, the dynamic flag, and (through models)
 * common-subexpression reuse and hoisting into the setup program. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "model/dag.h"
#include "model/model_impl.h"
#include "synovia/model.h"

static void test_hash_consing(void **state) {
  (void)state;
  syn_dag d;
  assert_int_equal(syn_dag_init(&d), 0);
  uint32_t x = syn_dag_state(&d, 0), y = syn_dag_state(&d, 1), k = syn_dag_param(&d, 0);
  assert_int_equal(syn_dag_state(&d, 0), x);
  uint32_t kx = syn_dag_bin(&d, SYN_OP_MUL, k, x);
  size_t n = d.n;
  assert_int_equal(syn_dag_bin(&d, SYN_OP_MUL, k, x), kx);
  assert_int_equal(syn_dag_bin(&d, SYN_OP_MUL, x, k), kx); /* commutative ops are canonical */
  assert_int_equal(d.n, n);
  uint32_t a = syn_dag_bin(&d, SYN_OP_SUB, x, y), b = syn_dag_bin(&d, SYN_OP_SUB, y, x);
  assert_int_not_equal(a, b); /* SUB is not commutative */
  assert_int_equal(syn_dag_const(&d, 2.5), syn_dag_const(&d, 2.5));
  assert_int_not_equal(syn_dag_const(&d, 0.0), syn_dag_const(&d, -0.0));
  syn_dag_free(&d);
}

static void test_children_before_parents(void **state) {
  (void)state;
  syn_dag d;
  assert_int_equal(syn_dag_init(&d), 0);
  uint32_t x = syn_dag_state(&d, 0);
  uint32_t e = x;
  for (int i = 0; i < 200; i++)
    e = syn_dag_bin(&d, i % 2 ? SYN_OP_ADD : SYN_OP_MUL, e, syn_dag_const(&d, 1.5 + i));
  for (size_t id = 0; id < d.n; id++) {
    int n = syn_op_arity((syn_op)d.nodes[id].op);
    if (n >= 1) assert_true(d.nodes[id].a < id);
    if (n >= 2) assert_true(d.nodes[id].b < id);
  }
  syn_dag_free(&d);
}

static void test_constant_folding(void **state) {
  (void)state;
  syn_dag d;
  assert_int_equal(syn_dag_init(&d), 0);
  uint32_t two = syn_dag_const(&d, 2.0), three = syn_dag_const(&d, 3.0);
  uint32_t r = syn_dag_bin(&d, SYN_OP_MUL, two, three);
  assert_int_equal(d.nodes[r].op, SYN_OP_CONST);
  assert_true(d.nodes[r].value == 6.0);
  r = syn_dag_un(&d, SYN_OP_EXP, syn_dag_bin(&d, SYN_OP_DIV, two, three));
  assert_int_equal(d.nodes[r].op, SYN_OP_CONST);
  assert_true(d.nodes[r].value == exp(2.0 / 3.0));
  r = syn_dag_op(&d, SYN_OP_IF, syn_dag_bin(&d, SYN_OP_LT, two, three), two, three);
  assert_int_equal(r, two);
  /* a non-finite result stays an instruction, so a diagnosis can point at it */
  r = syn_dag_bin(&d, SYN_OP_DIV, two, d.zero);
  assert_int_equal(d.nodes[r].op, SYN_OP_DIV);
  r = syn_dag_un(&d, SYN_OP_LOG, d.zero);
  assert_int_equal(d.nodes[r].op, SYN_OP_LOG);
  syn_dag_free(&d);
}

static void test_exact_identities(void **state) {
  (void)state;
  syn_dag d;
  assert_int_equal(syn_dag_init(&d), 0);
  uint32_t x = syn_dag_state(&d, 0), c = syn_dag_param(&d, 3);
  assert_int_equal(syn_dag_bin(&d, SYN_OP_ADD, x, d.zero), x);
  assert_int_equal(syn_dag_bin(&d, SYN_OP_ADD, d.zero, x), x);
  assert_int_equal(syn_dag_bin(&d, SYN_OP_SUB, x, d.zero), x);
  assert_int_equal(syn_dag_bin(&d, SYN_OP_MUL, d.one, x), x);
  assert_int_equal(syn_dag_bin(&d, SYN_OP_DIV, x, d.one), x);
  assert_int_equal(syn_dag_bin(&d, SYN_OP_POW, x, d.one), x);
  assert_int_equal(syn_dag_bin(&d, SYN_OP_POW, x, d.zero), d.one);
  assert_int_equal(syn_dag_un(&d, SYN_OP_NEG, syn_dag_un(&d, SYN_OP_NEG, x)), x);
  assert_int_equal(syn_dag_op(&d, SYN_OP_IF, c, x, x), x);
  /* x*0 and x-x are not zero when x is Inf or NaN: kept */
  uint32_t r = syn_dag_bin(&d, SYN_OP_MUL, x, d.zero);
  assert_int_equal(d.nodes[r].op, SYN_OP_MUL);
  r = syn_dag_bin(&d, SYN_OP_SUB, x, x);
  assert_int_equal(d.nodes[r].op, SYN_OP_SUB);
  syn_dag_free(&d);
}

static void test_dynamic_flag(void **state) {
  (void)state;
  syn_dag d;
  assert_int_equal(syn_dag_init(&d), 0);
  uint32_t k = syn_dag_param(&d, 0), x = syn_dag_state(&d, 0), t = syn_dag_time(&d);
  /* (builders may move the node array: take the id first) */
  uint32_t r = syn_dag_bin(&d, SYN_OP_MUL, k, syn_dag_const(&d, 2));
  assert_false(d.nodes[r].dyn);
  r = syn_dag_bin(&d, SYN_OP_MUL, k, x);
  assert_true(d.nodes[r].dyn);
  r = syn_dag_un(&d, SYN_OP_SIN, t);
  assert_true(d.nodes[r].dyn);
  r = syn_dag_op(&d, SYN_OP_IF, k, k, x);
  assert_true(d.nodes[r].dyn);
  syn_dag_free(&d);
}

static size_t count_op(const syn_prog *p, syn_op op) {
  size_t n = 0;
  for (size_t i = 0; i < p->n; i++) n += p->code[i].op == op;
  return n;
}

static syn_model *load(const char *text) {
  syn_model *m = NULL;
  syn_error err;
  syn_status s = syn_model_load_text("dag.model", text, strlen(text), &m, &err);
  if (s != SYN_OK) fail_msg("%s", err.message);
  return m;
}

/* k*X appears three times and s*s/7 twice: each is computed once. */
static void test_cse_in_rhs(void **state) {
  (void)state;
  syn_model *m = load("time unit h\nparam k = 2 /h\nparam s = 3\nstate X = 1\nstate Y = 0\n"
                      "d/dt X = -(k * X) - (s * s / 7) * X\n"
                      "d/dt Y = k * X - k * X * Y - (s * s / 7) * Y\n");
  syn_model_stats st;
  syn_model_get_stats(m, &st);
  /* LOADY X, k*X, -(k*X), c*X, SUB, LOADY Y, (k*X)*Y, SUB, c*Y, SUB, STORE, STORE */
  assert_int_equal(st.rhs_instructions, 12);
  assert_int_equal(count_op(&m->rhs, SYN_OP_MUL), 4); /* k*X, c*X, kX*Y, c*Y */
  assert_int_equal(count_op(&m->rhs, SYN_OP_LOADY), 2);
  /* s*s/7 is constant: hoisted into setup, computed there once */
  assert_int_equal(count_op(&m->rhs, SYN_OP_DIV), 0);
  assert_int_equal(count_op(&m->setup, SYN_OP_DIV), 1);
  syn_model_destroy(m);
}

/* Nothing in rhs/jac/outputs depends only on constants. */
static void test_hoisting(void **state) {
  (void)state;
  syn_model *m = load("time unit h\nparam k = ln(2) / 20 min\nparam V = 3\nstate X = 1\n"
                      "d/dt X = -k * exp(-V / 2) * X + sqrt(V) * sin(t)\n"
                      "output o = X * log(V)\n");
  const syn_prog *progs[3] = {&m->rhs, &m->jac, &m->out};
  for (int p = 0; p < 3; p++)
    for (size_t i = 0; i < progs[p]->n; i++) {
      uint32_t node = progs[p]->node[i];
      if (node != DAG_NONE) assert_true(m->dag.nodes[node].dyn);
    }
  assert_int_equal(count_op(&m->rhs, SYN_OP_EXP), 0);
  assert_int_equal(count_op(&m->setup, SYN_OP_EXP), 1);
  assert_int_equal(count_op(&m->rhs, SYN_OP_SIN), 1);
  /* jac: d/dX = -k*exp(-V/2), a constant: a single STORE */
  assert_int_equal(m->jac.n, 1);
  assert_int_equal(m->jac.code[0].op, SYN_OP_STORE);
  syn_model_destroy(m);
}

/* Let chains are inlined: a let used by several equations is computed once. */
static void test_let_shared(void **state) {
  (void)state;
  syn_model *m = load("state A = 1\nstate B = 2\nlet r = exp(A * B)\n"
                      "d/dt A = -r\nd/dt B = r\noutput o = r\n");
  assert_int_equal(count_op(&m->rhs, SYN_OP_EXP), 1);
  assert_int_equal(count_op(&m->out, SYN_OP_EXP), 1);
  syn_model_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hash_consing),     cmocka_unit_test(test_children_before_parents),
      cmocka_unit_test(test_constant_folding), cmocka_unit_test(test_exact_identities),
      cmocka_unit_test(test_dynamic_flag),     cmocka_unit_test(test_cse_in_rhs),
      cmocka_unit_test(test_hoisting),         cmocka_unit_test(test_let_shared),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
