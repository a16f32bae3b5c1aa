/* synovia — the operations shared by the expression DAG and the VM (internal, model layer).
 *
 * One X-macro list is the single source of truth: op code, number of operands,
 * and the spelling used in messages and tests. Leaves (CONST, TIME, STATE,
 * PARAM) exist only in the DAG; LOADY/LOADT/STORE/SETP/INIT only in bytecode. */
#ifndef SYN_MODEL_OPS_H
#define SYN_MODEL_OPS_H

#include <math.h>

/* X(name, operands, spelling) */
#define SYN_OP_LIST(X)                                                       \
  X(CONST, 0, "const") X(TIME, 0, "t") X(STATE, 0, "state") X(PARAM, 0, "param") \
  X(NEG, 1, "-") X(NOT, 1, "!") X(EXP, 1, "exp") X(LOG, 1, "log")            \
  X(LOG10, 1, "log10") X(SQRT, 1, "sqrt") X(ABS, 1, "abs") X(FLOOR, 1, "floor") \
  X(CEIL, 1, "ceil") X(SIN, 1, "sin") X(COS, 1, "cos") X(TAN, 1, "tan")      \
  X(ASIN, 1, "asin") X(ACOS, 1, "acos") X(ATAN, 1, "atan") X(SINH, 1, "sinh") \
  X(COSH, 1, "cosh") X(TANH, 1, "tanh") X(SIGN, 1, "sign")                   \
  X(FACTORIAL, 1, "factorial")                                               \
  X(ADD, 2, "+") X(SUB, 2, "-") X(MUL, 2, "*") X(DIV, 2, "/") X(POW, 2, "^")  \
  X(LT, 2, "<") X(LE, 2, "<=") X(GT, 2, ">") X(GE, 2, ">=") X(EQ, 2, "==")   \
  X(NE, 2, "!=") X(AND, 2, "&&") X(OR, 2, "||") X(MIN, 2, "min") X(MAX, 2, "max") \
  X(IF, 3, "if")                                                             \
  X(LOADY, 0, "loady") X(LOADT, 0, "loadt") X(STORE, 0, "store")             \
  X(SETP, 0, "setp") X(INIT, 0, "init")

typedef enum syn_op {
#define SYN_OP_ENUM_(name, n, s) SYN_OP_##name,
  SYN_OP_LIST(SYN_OP_ENUM_)
#undef SYN_OP_ENUM_
  SYN_OP_COUNT
} syn_op;

/* Operands of an arithmetic op (0 for leaves and bytecode-only ops). */
int syn_op_arity(syn_op op);
const char *syn_op_spelling(syn_op op);

/* a^b. The exponents the models use most (hill(x, K, 2), and 1 or 2 from a
 * derivative's b - 1) are a product, a copy and a division, at a fraction of
 * pow's cost. a^1 = a is what pow returns; a*a and 1/a are the correctly
 * rounded results, which glibc's pow (error bound 0.52 ulp) misses by one
 * unit in the last place for one operand in 1000 to 2000 (2e7 random
 * operands): the language defines
 * a^2 as a*a and a^-1 as 1/a. Special values are pow's: (-0)^2 = +0,
 * (-0)^-1 = -Inf, NaN^1 = NaN, (-Inf)^2 = +Inf. Other exponents (3, 0.5, ...)
 * are pow's: a*a*a and sqrt(a) differ from it more often, and sqrt(-0) and
 * sqrt(-Inf) in sign and value. */
static inline double syn_pow(double a, double b) {
  if (b == 2.0) return a * a;
  if (b == 1.0) return a;
  if (b == -1.0) return 1.0 / a;
  return pow(a, b);
}

/* n! for n = 0, 1, 2, ... (SBML's factorial, exact where representable: a
 * product of integers); Gamma(a + 1) between the integers, NaN below 0. Its
 * derivative is taken as 0 (deriv.c: piecewise constant like floor), right on
 * the integers it is defined on. */
static inline double syn_factorial(double a) {
  if (a >= 0.0 && a <= 170.0 && a == floor(a)) {
    double f = 1.0;
    for (double k = 2.0; k <= a; k += 1.0) f *= k;
    return f;
  }
  return a < 0.0 ? (double)NAN : tgamma(a + 1.0);
}

/* The one definition of every arithmetic op, used by the VM and by constant
 * folding, so a folded constant is bit-identical to what the VM computes.
 * min/max propagate NaN (a NaN must not silently disappear); truth is != 0,
 * so NaN counts as true; comparisons with NaN are false. */
static inline double syn_op_apply(syn_op op, double a, double b, double c) {
  switch (op) {
    case SYN_OP_NEG: return -a;
    case SYN_OP_NOT: return a == 0.0 ? 1.0 : 0.0;
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
    case SYN_OP_FACTORIAL: return syn_factorial(a);
    case SYN_OP_SIGN: return a > 0.0 ? 1.0 : a < 0.0 ? -1.0 : a; /* keeps 0 and NaN */
    case SYN_OP_ADD: return a + b;
    case SYN_OP_SUB: return a - b;
    case SYN_OP_MUL: return a * b;
    case SYN_OP_DIV: return a / b;
    case SYN_OP_POW: return syn_pow(a, b);
    case SYN_OP_LT: return a < b ? 1.0 : 0.0;
    case SYN_OP_LE: return a <= b ? 1.0 : 0.0;
    case SYN_OP_GT: return a > b ? 1.0 : 0.0;
    case SYN_OP_GE: return a >= b ? 1.0 : 0.0;
    case SYN_OP_EQ: return a == b ? 1.0 : 0.0;
    case SYN_OP_NE: return a != b ? 1.0 : 0.0;
    case SYN_OP_AND: return (a != 0.0 && b != 0.0) ? 1.0 : 0.0;
    case SYN_OP_OR: return (a != 0.0 || b != 0.0) ? 1.0 : 0.0;
    case SYN_OP_MIN: return (a < b || isnan(a)) ? a : b;
    case SYN_OP_MAX: return (a > b || isnan(a)) ? a : b;
    case SYN_OP_IF: return a != 0.0 ? b : c;
    default: return NAN;
  }
}

#endif
