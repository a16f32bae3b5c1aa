/* synovia — unit tests of the bytecode VM: every arithmetic op against the C
 * library at many random operands (fixed seed, spread over many decades and
 * both signs), and the load/store/setup instructions; the fast form
 * (syn_prog_lower) against the plain one, bit for bit, on every op and on
 * random programs; powers (x^2 = x*x, x^-1 = 1/x, special values); the
 * fast form of a model's programs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <string.h>

#include "model/model_impl.h"
#include "model/vm.h"
#include "synovia/model.h"

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
    case SYN_OP_FACTORIAL: /* n! by its definition; Gamma(a + 1) between the integers */
      if (a < 0.0) return NAN;
      if (a != floor(a) || a > 170.0) return tgamma(a + 1.0);
      {
        double f = 1.0;
        for (int k = 2; k <= (int)a; k++) f *= k;
        return f;
      }
    case SYN_OP_ADD: return a + b;
    case SYN_OP_SUB: return a - b;
    case SYN_OP_MUL: return a * b;
    case SYN_OP_DIV: return a / b;
    case SYN_OP_POW: /* the language's a^2 and a^-1 are the correctly rounded a*a and 1/a */
      return b == 2.0 ? a * a : b == -1.0 ? 1.0 / a : pow(a, b);
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
      if (op == SYN_OP_FACTORIAL && s % 2) y[0] = floor(uniform() * 40); /* 0! ... 39! */
      double got = run_op(&p, (syn_op)op, y), want = reference((syn_op)op, y[0], y[1], y[2]);
      if (!same(got, want))
        fail_msg("%s(%g, %g, %g) = %g, libm says %g", syn_op_spelling((syn_op)op), y[0], y[1],
                 y[2], got, want);
    }
  }
  assert_int_equal(tested, 36);
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

/* --- the fast form ------------------------------------------------------------------ */

static int same_bits(double x, double y) {
  if (isnan(x) || isnan(y)) return isnan(x) && isnan(y);
  return memcmp(&x, &y, sizeof x) == 0;
}

/* Run p plainly and lowered (reg_init: the register image, is_const: which
 * registers are constants), outputs in plain[] and fast[]; returns the
 * fast form's dispatched instructions. */
static size_t run_both(syn_prog *p, const double *reg_init, const unsigned char *is_const,
                       size_t nregs, double t, const double *y, double *plain, double *fast) {
  double reg1[256], reg2[256];
  assert_true(nregs <= 256);
  memcpy(reg1, reg_init, nregs * sizeof *reg1);
  memcpy(reg2, reg_init, nregs * sizeof *reg2);
  syn_vm_io io = {.t = t, .y = y, .out = plain};
  assert_int_equal(syn_prog_lower(p, NULL, NULL, 0), 0); /* nregs 0: declined */
  assert_int_equal(syn_prog_fast_count(p), 0);
  syn_vm_run(p, reg1, &io);
  assert_int_equal(syn_prog_lower(p, reg_init, is_const, nregs), 0);
  size_t n = syn_prog_fast_count(p);
  io.out = fast;
  syn_vm_run(p, reg2, &io);
  return n;
}

/* Every op, and a^b with the exponent as a constant register (2, -1: the
 * product and the reciprocal without a test) or as a run-time value. */
static void test_fast_form_every_op(void **state) {
  (void)state;
  syn_prog p = {0};
  double init[6] = {0, 0, 0, 0, 2.0, -1.0}, plain[1], fast[1];
  unsigned char is_const[6] = {0, 0, 0, 0, 1, 1};
  for (int op = 0; op < SYN_OP_COUNT; op++) {
    int n = syn_op_arity((syn_op)op);
    if (n == 0) continue;
    for (int variant = 0; variant < (op == SYN_OP_POW ? 3 : 1); variant++)
      for (int s = 0; s < SAMPLES; s++) {
        double y[3] = {wild(), wild(), wild()};
        if (op == SYN_OP_POW && s % 2) y[1] = floor(uniform() * 9 - 4);
        uint32_t b = variant == 1 ? 4 : variant == 2 ? 5 : n >= 2 ? 1 : 0;
        p.n = 0;
        for (uint32_t i = 0; i < 3; i++) assert_int_equal(syn_prog_emit(&p, SYN_OP_LOADY, i, i, 0, 0, i), 0);
        assert_int_equal(syn_prog_emit(&p, (syn_op)op, 3, 0, b, n >= 3 ? 2 : 0, 3), 0);
        assert_int_equal(syn_prog_emit(&p, SYN_OP_STORE, 0, 3, 0, 0, UINT32_MAX), 0);
        assert_int_equal(run_both(&p, init, is_const, 6, 0.0, y, plain, fast), 1);
        if (!same_bits(plain[0], fast[0]))
          fail_msg("%s(%a, %a, %a): plain %a, fast %a", syn_op_spelling((syn_op)op), y[0],
                   init[b] ? init[b] : y[b], y[2], plain[0], fast[0]);
      }
  }
  syn_prog_free(&p);
}

/* Every fused pair: C(P(r0, r1), r2) and C(r2, P(r0, r1)) for the four
 * basic operations, with P's result read only by C: one instruction, the
 * same bits as the two. */
static void test_fast_form_fused_pairs(void **state) {
  (void)state;
  static const syn_op basic[4] = {SYN_OP_ADD, SYN_OP_SUB, SYN_OP_MUL, SYN_OP_DIV};
  syn_prog p = {0};
  double init[5] = {0}, plain[1], fast[1];
  unsigned char is_const[5] = {0};
  for (int c = 0; c < 4; c++)
    for (int pr = 0; pr < 4; pr++)
      for (int right = 0; right < 2; right++)
        for (int s = 0; s < SAMPLES; s++) {
          double y[3] = {wild(), wild(), wild()};
          p.n = 0;
          for (uint32_t i = 0; i < 3; i++) assert_int_equal(syn_prog_emit(&p, SYN_OP_LOADY, i, i, 0, 0, i), 0);
          assert_int_equal(syn_prog_emit(&p, basic[pr], 3, 0, 1, 0, 3), 0);
          assert_int_equal(syn_prog_emit(&p, basic[c], 4, right ? 2 : 3, right ? 3 : 2, 0, 4), 0);
          assert_int_equal(syn_prog_emit(&p, SYN_OP_STORE, 0, 4, 0, 0, UINT32_MAX), 0);
          assert_int_equal(run_both(&p, init, is_const, 5, 0.0, y, plain, fast), 1);
          if (!same_bits(plain[0], fast[0]))
            fail_msg("%s of (%s of %a, %a) and %a (right %d): plain %a, fast %a",
                     syn_op_spelling(basic[c]), syn_op_spelling(basic[pr]), y[0], y[1], y[2], right,
                     plain[0], fast[0]);
        }
  syn_prog_free(&p);
}

/* Random single-assignment programs over every arithmetic op: loads, t,
 * constants, shared and single-use products (fused), stores of any
 * register (a load, a constant, twice the same). */
static void build_random_program(syn_prog *p, double *init, unsigned char *is_const, size_t *nregs) {
  static const syn_op ops[] = {SYN_OP_ADD, SYN_OP_SUB, SYN_OP_MUL, SYN_OP_MUL, SYN_OP_MUL,
                               SYN_OP_DIV, SYN_OP_NEG, SYN_OP_POW, SYN_OP_EXP, SYN_OP_MIN,
                               SYN_OP_IF,  SYN_OP_LT,  SYN_OP_SQRT, SYN_OP_ADD, SYN_OP_SUB};
  static const double konst[] = {2.0, -1.0, 0.5, 3.0, 1e-3, -7.25};
  uint32_t r = 0;
  p->n = 0;
  for (; r < 6; r++) init[r] = konst[r], is_const[r] = 1;
  for (uint32_t i = 0; i < 4; r++, i++) {
    is_const[r] = 0, init[r] = 0.0;
    assert_int_equal(syn_prog_emit(p, SYN_OP_LOADY, r, i, 0, 0, r), 0);
  }
  is_const[r] = 0, init[r] = 0.0;
  assert_int_equal(syn_prog_emit(p, SYN_OP_LOADT, r, 0, 0, 0, r), 0);
  for (r++; r < 120; r++) {
    syn_op op = ops[(size_t)(uniform() * (sizeof ops / sizeof *ops))];
    uint32_t a = (uint32_t)(uniform() * r), b = (uint32_t)(uniform() * r), c = (uint32_t)(uniform() * r);
    if (uniform() < 0.5) a = r - 1; /* chains: single-use results */
    if (op == SYN_OP_POW && uniform() < 0.7) b = (uint32_t)(uniform() * 2); /* exponent 2 or -1 */
    is_const[r] = 0, init[r] = 0.0;
    assert_int_equal(syn_prog_emit(p, op, r, a, syn_op_arity(op) >= 2 ? b : a,
                                   syn_op_arity(op) >= 3 ? c : a, r), 0);
  }
  for (uint32_t k = 0; k < 40; k++) {
    uint32_t src = k < 2 ? k * 7 : (uint32_t)(uniform() * r); /* a constant, a load */
    assert_int_equal(syn_prog_emit(p, SYN_OP_STORE, k, src, 0, 0, UINT32_MAX), 0);
  }
  assert_int_equal(syn_prog_emit(p, SYN_OP_STORE, 40, r - 1, 0, 0, UINT32_MAX), 0);
  assert_int_equal(syn_prog_emit(p, SYN_OP_STORE, 41, r - 1, 0, 0, UINT32_MAX), 0);
  *nregs = r;
}

static void test_fast_form_random_programs(void **state) {
  (void)state;
  syn_prog p = {0};
  double init[256], plain[42], fast[42];
  unsigned char is_const[256];
  size_t nregs, fused = 0;
  for (int prog = 0; prog < 200; prog++) {
    build_random_program(&p, init, is_const, &nregs);
    for (int run = 0; run < 20; run++) {
      double y[4] = {wild(), wild(), wild(), wild()};
      size_t n = run_both(&p, init, is_const, nregs, wild(), y, plain, fast);
      fused += nregs - 11 - n; /* arithmetic instructions folded into another */
      for (int k = 0; k < 42; k++)
        if (!same_bits(plain[k], fast[k]))
          fail_msg("program %d, run %d, out[%d]: plain %a, fast %a", prog, run, k, plain[k], fast[k]);
    }
  }
  assert_true(fused > 0); /* the test covers fused products */
  syn_prog_free(&p);
}

/* Programs the fast form cannot express keep their plain form, and run right. */
static void test_fast_form_declined(void **state) {
  (void)state;
  syn_prog p = {0};
  double init[4] = {0}, y[1] = {3.0}, plain[1], fast[1];
  unsigned char is_const[4] = {0};
  /* r1 read before the program writes it */
  assert_int_equal(syn_prog_emit(&p, SYN_OP_LOADY, 0, 0, 0, 0, 0), 0);
  assert_int_equal(syn_prog_emit(&p, SYN_OP_ADD, 2, 0, 1, 0, 2), 0);
  assert_int_equal(syn_prog_emit(&p, SYN_OP_MUL, 1, 0, 0, 0, 1), 0);
  assert_int_equal(syn_prog_emit(&p, SYN_OP_STORE, 0, 2, 0, 0, UINT32_MAX), 0);
  assert_int_equal(run_both(&p, init, is_const, 4, 0.0, y, plain, fast), 0);
  assert_true(plain[0] == 3.0 && fast[0] == 3.0);
  /* a register written twice */
  syn_prog_free(&p);
  assert_int_equal(syn_prog_emit(&p, SYN_OP_LOADY, 0, 0, 0, 0, 0), 0);
  assert_int_equal(syn_prog_emit(&p, SYN_OP_NEG, 0, 0, 0, 0, 0), 0);
  assert_int_equal(syn_prog_emit(&p, SYN_OP_STORE, 0, 0, 0, 0, UINT32_MAX), 0);
  assert_int_equal(run_both(&p, init, is_const, 4, 0.0, y, plain, fast), 0);
  /* a register out of range, a setup instruction */
  syn_prog_free(&p);
  assert_int_equal(syn_prog_emit(&p, SYN_OP_LOADY, 9, 0, 0, 0, 0), 0);
  assert_int_equal(syn_prog_lower(&p, init, is_const, 4), 0);
  assert_int_equal(syn_prog_fast_count(&p), 0);
  assert_null(p.fast);
  syn_prog_free(&p);
  assert_int_equal(syn_prog_emit(&p, SYN_OP_SETP, 1, 0, 0, 0, UINT32_MAX), 0);
  assert_int_equal(syn_prog_lower(&p, init, is_const, 4), 0);
  assert_null(p.fast);
  /* emitting after lowering drops the fast form: it would be stale */
  syn_prog_free(&p);
  assert_int_equal(syn_prog_emit(&p, SYN_OP_LOADY, 0, 0, 0, 0, 0), 0);
  assert_int_equal(syn_prog_emit(&p, SYN_OP_STORE, 0, 0, 0, 0, UINT32_MAX), 0);
  assert_int_equal(syn_prog_lower(&p, init, is_const, 4), 0);
  assert_non_null(p.fast);
  assert_int_equal(syn_prog_emit(&p, SYN_OP_STORE, 0, 1, 0, 0, UINT32_MAX), 0);
  assert_null(p.fast);
  syn_prog_free(&p);
}

/* syn_vm_run says whether every stored value is finite, in both forms,
 * with loads in order (copied as a block) or not, stores in order or not. */
static void test_run_checks_stored_values(void **state) {
  (void)state;
  syn_prog p = {0};
  double init[4] = {0}, out[4];
  unsigned char is_const[4] = {0};
  static const double finite[] = {DBL_MAX, -DBL_MAX, 0x1p-1074, 0.0, -0.0, 1.0};
  static const double bad[] = {INFINITY, -INFINITY, NAN, -NAN};
  for (int order = 0; order < 2; order++) {
    p.n = 0;
    for (uint32_t i = 0; i < 3; i++) { /* order 1: y[2], y[1], y[0] into r0, r1, r2 */
      uint32_t src = order ? 2 - i : i;
      assert_int_equal(syn_prog_emit(&p, SYN_OP_LOADY, i, src, 0, 0, i), 0);
    }
    assert_int_equal(syn_prog_emit(&p, SYN_OP_ADD, 3, 0, 1, 0, 3), 0);
    for (uint32_t k = 0; k < 4; k++)
      assert_int_equal(syn_prog_emit(&p, SYN_OP_STORE, order ? 3 - k : k, k, 0, 0, UINT32_MAX), 0);
    for (int lowered = 0; lowered < 2; lowered++) {
      assert_int_equal(syn_prog_lower(&p, init, is_const, lowered ? 4 : 0), 0);
      assert_true((syn_prog_fast_count(&p) > 0) == lowered);
      for (size_t a = 0; a < sizeof finite / sizeof *finite; a++)
        for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
          double reg[4] = {0}, y[3] = {finite[a], finite[(a + 1) % 6], 1.0};
          syn_vm_io io = {.y = y, .out = out};
          int want = isfinite(y[0] + y[1]);
          assert_int_equal(syn_vm_run(&p, reg, &io), want);
          y[b % 3] = bad[b];
          assert_int_equal(syn_vm_run(&p, reg, &io), 0);
        }
    }
  }
  syn_prog_free(&p);
}

/* x^2 is x*x and x^-1 is 1/x, bit for bit (glibc's pow misses the correctly
 * rounded result by one unit for about one operand in 1500); x^1 is x;
 * special values as pow defines them. */
static void test_powers(void **state) {
  (void)state;
  for (int s = 0; s < 100000; s++) {
    double x = wild() * (1.0 + uniform());
    assert_true(same_bits(syn_op_apply(SYN_OP_POW, x, 2.0, 0.0), x * x));
    assert_true(same_bits(syn_op_apply(SYN_OP_POW, x, -1.0, 0.0), 1.0 / x));
    assert_true(same_bits(syn_op_apply(SYN_OP_POW, x, 1.0, 0.0), x));
  }
  static const struct { double a, b, want; } cases[] = {
      {-3.0, 2.0, 9.0},         {-0.0, 2.0, 0.0},        {-INFINITY, 2.0, INFINITY},
      {NAN, 2.0, NAN},          {1e200, 2.0, INFINITY},  {1e-200, 2.0, 0.0},
      {-0.0, -1.0, -INFINITY},  {0.0, -1.0, INFINITY},   {-INFINITY, -1.0, -0.0},
      {4.0, -1.0, 0.25},        {NAN, -1.0, NAN},        {-0.0, 1.0, -0.0},
      {NAN, 1.0, NAN},          {-INFINITY, 1.0, -INFINITY}, {0.0, 0.0, 1.0},
      {NAN, 0.0, 1.0},          {-2.0, 3.0, -8.0},       {-8.0, 1.0 / 3.0, NAN},
      {-2.0, -2.0, 0.25},       {4.0, 0.5, 2.0},         {-0.0, 0.5, 0.0}};
  syn_prog p = {0};
  double init[5] = {0}, plain[2], fast[2];
  unsigned char is_const[5] = {0, 0, 1, 0, 0};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    /* the exponent at run time (a load) and as a constant register */
    double y[2] = {cases[i].a, cases[i].b};
    init[2] = cases[i].b;
    p.n = 0;
    assert_int_equal(syn_prog_emit(&p, SYN_OP_LOADY, 0, 0, 0, 0, 0), 0);
    assert_int_equal(syn_prog_emit(&p, SYN_OP_LOADY, 1, 1, 0, 0, 1), 0);
    assert_int_equal(syn_prog_emit(&p, SYN_OP_POW, 3, 0, 1, 0, 3), 0);
    assert_int_equal(syn_prog_emit(&p, SYN_OP_POW, 4, 0, 2, 0, 4), 0);
    assert_int_equal(syn_prog_emit(&p, SYN_OP_STORE, 0, 3, 0, 0, UINT32_MAX), 0);
    assert_int_equal(syn_prog_emit(&p, SYN_OP_STORE, 1, 4, 0, 0, UINT32_MAX), 0);
    assert_int_equal(run_both(&p, init, is_const, 5, 0.0, y, plain, fast), 2);
    for (int k = 0; k < 2; k++)
      if (!same_bits(plain[k], cases[i].want) || !same_bits(fast[k], cases[i].want))
        fail_msg("%a^%a: plain %a, fast %a, want %a", cases[i].a, cases[i].b, plain[k], fast[k],
                 cases[i].want);
  }
  syn_prog_free(&p);
}

/* A model's rhs, Jacobian and outputs have a fast form, computing the same
 * bits as the plain one; hill(x, K, 2) calls no pow (a literal exponent),
 * nor does a parameter exponent of 2 at run time (then it is syn_pow's test). */
static const char MODEL[] =
    "param K = 0.5\nparam n = 2\nparam k = 3\nparam kon = 50\n"
    "state X = 1\nstate Y = 2\nstate Z = 0.25\n"
    "d/dt X = 2 * hill(Y, K, 2) * inhibit(Z, K, 1) - k * X - kon * X * Y\n"
    "d/dt Y = kon * X * Y - k * Y + hill(X, K, n) / (1 + Z)\n"
    "d/dt Z = -kon * X * Y + Z^-1 * 1e-3 - exp(-Z) * max(X, Y)\n"
    "output total = X + Y + Z\n";

static void test_model_programs_fast_form(void **state) {
  (void)state;
  syn_model *m = NULL;
  syn_instance *inst = NULL;
  syn_error err;
  assert_int_equal(syn_model_load_text("vm.model", MODEL, strlen(MODEL), &m, &err), SYN_OK);
  assert_int_equal(syn_instance_create(m, &inst, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  const syn_prog *progs[3] = {&m->rhs, &m->jac, &m->out};
  size_t nout[3] = {3, m->nnz, 1};
  for (int k = 0; k < 3; k++) {
    assert_true(syn_prog_fast_count(progs[k]) > 0);
    assert_true(syn_prog_fast_count(progs[k]) < progs[k]->n); /* no loads, stores, fused products */
  }
  assert_int_equal(syn_prog_fast_pow_calls(&m->rhs), 1); /* X^n only */
  for (int s = 0; s < 1000; s++) {
    double y[3] = {wild(), wild(), wild()}, a[64], b[64];
    for (int k = 0; k < 3; k++) {
      syn_prog plain = *progs[k];
      plain.fast = NULL;
      syn_vm_io io = {.t = 0.0, .y = y, .out = a};
      syn_vm_run(progs[k], inst->reg, &io);
      io.out = b;
      syn_vm_run(&plain, inst->reg, &io);
      for (size_t i = 0; i < nout[k]; i++)
        if (!same_bits(a[i], b[i])) fail_msg("program %d, entry %zu: fast %a, plain %a", k, i, a[i], b[i]);
    }
  }
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_op_against_libm),
      cmocka_unit_test(test_nan_propagates_through_min_max),
      cmocka_unit_test(test_time_and_setup_instructions),
      cmocka_unit_test(test_fast_form_every_op),
      cmocka_unit_test(test_fast_form_fused_pairs),
      cmocka_unit_test(test_fast_form_random_programs),
      cmocka_unit_test(test_fast_form_declined),
      cmocka_unit_test(test_run_checks_stored_values),
      cmocka_unit_test(test_powers),
      cmocka_unit_test(test_model_programs_fast_form),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
