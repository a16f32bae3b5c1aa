/* synovia — unit tests of the bytecode VM: every arithmetic op against the C
 * library at many random operands (fixed seed, spread over many decades and
 * both signs), and the load/store/setup instructions. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "model/vm.h"

enum { SAMPLES = 2000 };

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static double uniform(void) { /* xorshift64*, in [0, 1) */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (double)((rng_state * 2685821657736338717ULL) >> 11) * 0x1.0p-53;
}
/* Sign and 12 decades of magnitude, plus the odd exact zero and integer. */
static double wild(void) {
  double u = uniform();
  if (u < 0.03) return 0.0;
  if (u < 0.08) return floor(uniform() * 20 - 10);
  double mag = pow(10.0, uniform() * 12 - 6);
  return uniform() < 0.5 ? -mag : mag;
}

/* Reference: the C library, written independently of syn_op_apply. */
static double reference(syn_op op, double a, double b, double c) {
  switch (op) {
    case SYN_OP_NEG: return -a;
    case SYN_OP_NOT: return !(a != 0.0);
    case SYN_OP_EXP: return exp(a);
    case SYN_OP_LOG: return log(a);
    case SYN_OP_LOG10: return log10(a);
    case SYN_OP_SQRT: return sqrt(a);
    case SYN_OP_ABS: return fabs(a);
    case SYN_OP_FLOOR: return floor(a);
    case SYN_OP_CEIL: return ceil(a);
    case SYN_OP_SIN: return sin(a);
    case SYN_OP_COS: return cos(a);
    case SYN_OP_TAN: return tan(a);
    case SYN_OP_ASIN: return asin(a);
    case SYN_OP_ACOS: return acos(a);
    case SYN_OP_ATAN: return atan(a);
    case SYN_OP_SINH: return sinh(a);
    case SYN_OP_COSH: return cosh(a);
    case SYN_OP_TANH: return tanh(a);
    case SYN_OP_SIGN: return (a > 0) - (a < 0);
    case SYN_OP_ADD: return a + b;
    case SYN_OP_SUB: return a - b;
    case SYN_OP_MUL: return a * b;
    case SYN_OP_DIV: return a / b;
    case SYN_OP_POW: return pow(a, b);
    case SYN_OP_LT: return a < b;
    case SYN_OP_LE: return a <= b;
    case SYN_OP_GT: return a > b;
    case SYN_OP_GE: return a >= b;
    case SYN_OP_EQ: return a == b;
    case SYN_OP_NE: return a != b;
    case SYN_OP_AND: return a != 0.0 && b != 0.0;
    case SYN_OP_OR: return a != 0.0 || b != 0.0;
    case SYN_OP_MIN: return isnan(a) || isnan(b) ? (double)NAN : fmin(a, b);
    case SYN_OP_MAX: return isnan(a) || isnan(b) ? (double)NAN : fmax(a, b);
    case SYN_OP_IF: return a != 0.0 ? b : c;
    default: return NAN;
  }
}

static int same(double x, double y) {
  if (isnan(x) || isnan(y)) return isnan(x) && isnan(y);
  return x == y;
}

/* Program: y[0..2] -> r0..r2, r3 = op(r0, r1, r2), out[0] = r3. */
static double run_op(syn_prog *p, syn_op op, const double y[3]) {
  double reg[4] = {0}, out[1] = {0};
  syn_vm_io io = {.y = y, .out = out};
  p->n = 0;
  int n = syn_op_arity(op);
  for (uint32_t i = 0; i < 3; i++) assert_int_equal(syn_prog_emit(p, SYN_OP_LOADY, i, i, 0, 0, i), 0);
  assert_int_equal(syn_prog_emit(p, op, 3, 0, n >= 2 ? 1 : 0, n >= 3 ? 2 : 0, 3), 0);
  assert_int_equal(syn_prog_emit(p, SYN_OP_STORE, 0, 3, 0, 0, UINT32_MAX), 0);
  syn_vm_run(p, reg, &io);
  return out[0];
}

static void test_every_op_against_libm(void **state) {
  (void)state;
  syn_prog p = {0};
  int tested = 0;
  for (int op = 0; op < SYN_OP_COUNT; op++) {
    if (syn_op_arity((syn_op)op) == 0) continue;
    tested++;
    for (int s = 0; s < SAMPLES; s++) {
      double y[3] = {wild(), wild(), wild()};
      if (op == SYN_OP_ASIN || op == SYN_OP_ACOS) y[0] = uniform() * 2.2 - 1.1;
      if (op == SYN_OP_POW && s % 2) y[1] = floor(uniform() * 9 - 4); /* integer powers of negatives */
      if (op == SYN_OP_EQ && s % 3 == 0) y[1] = y[0];
      double got = run_op(&p, (syn_op)op, y), want = reference((syn_op)op, y[0], y[1], y[2]);
      if (!same(got, want))
        fail_msg("%s(%g, %g, %g) = %g, libm says %g", syn_op_spelling((syn_op)op), y[0], y[1],
                 y[2], got, want);
    }
  }
  assert_int_equal(tested, 35);
  syn_prog_free(&p);
}

static void test_nan_propagates_through_min_max(void **state) {
  (void)state;
  syn_prog p = {0};
  double y1[3] = {NAN, 1.0, 0.0}, y2[3] = {1.0, NAN, 0.0};
  assert_true(isnan(run_op(&p, SYN_OP_MIN, y1)));
  assert_true(isnan(run_op(&p, SYN_OP_MIN, y2)));
  assert_true(isnan(run_op(&p, SYN_OP_MAX, y1)));
  assert_true(isnan(run_op(&p, SYN_OP_MAX, y2)));
  double y3[3] = {NAN, 2.0, 3.0}; /* NaN is "true": != 0 */
  assert_true(run_op(&p, SYN_OP_IF, y3) == 2.0);
  syn_prog_free(&p);
}

static void test_time_and_setup_instructions(void **state) {
  (void)state;
  syn_prog p = {0};
  double reg[4] = {0, 0, 5.0, 0}, out[2] = {0}, param[2] = {0}, pover[2] = {0, 7.0}, y0[1] = {0};
  double yover[1] = {0};
  unsigned char pset[2] = {0, 1}, yset[1] = {0};
  syn_vm_io io = {.t = 2.5, .out = out, .param = param, .pset = pset, .pover = pover,
                  .y0 = y0, .yset = yset, .yover = yover};
  assert_int_equal(syn_prog_emit(&p, SYN_OP_LOADT, 0, 0, 0, 0, 0), 0);
  assert_int_equal(syn_prog_emit(&p, SYN_OP_SETP, 1, 2, 0, 0, UINT32_MAX), 0); /* not overridden */
  assert_int_equal(syn_prog_emit(&p, SYN_OP_SETP, 3, 2, 1, 0, UINT32_MAX), 0); /* overridden */
  assert_int_equal(syn_prog_emit(&p, SYN_OP_INIT, 0, 3, 0, 0, UINT32_MAX), 0);
  assert_int_equal(syn_prog_emit(&p, SYN_OP_STORE, 1, 0, 0, 0, UINT32_MAX), 0);
  syn_vm_run(&p, reg, &io);
  assert_true(reg[0] == 2.5 && out[1] == 2.5);
  assert_true(reg[1] == 5.0 && param[0] == 5.0);
  assert_true(reg[3] == 7.0 && param[1] == 7.0);
  assert_true(y0[0] == 7.0);
  yset[0] = 1;
  yover[0] = -3.0;
  syn_vm_run(&p, reg, &io);
  assert_true(y0[0] == -3.0);
  /* one instruction at a time gives the same result */
  memset(out, 0, sizeof out);
  io.t = 4.0;
  for (size_t i = 0; i < p.n; i++) syn_vm_step(&p.code[i], reg, &io);
  assert_true(out[1] == 4.0);
  syn_prog_free(&p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_op_against_libm),
      cmocka_unit_test(test_nan_propagates_through_min_max),
      cmocka_unit_test(test_time_and_setup_instructions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
