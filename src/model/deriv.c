/* synovia — forward-mode symbolic differentiation on the DAG (model layer).
 *
 * d(node)/d(y_wrt) is built for every node reachable from the roots, in
 * ascending id order (children first), memoised per call, hash-consed into
 * the same DAG. A derivative that is identically zero is the structural zero
 * d->zero, which absorbs in products and vanishes in sums: that is what makes
 * the Jacobian sparse. (Only in derivative terms: a user's x*0 is kept.) */
#include "model/dag.h"

#include <math.h>

#include "base/alloc.h"

#define MARK (DAG_NONE - 1u)

static uint32_t op1(syn_dag *d, syn_op op, uint32_t a) { return syn_dag_un(d, op, a); }
static uint32_t op2(syn_dag *d, syn_op op, uint32_t a, uint32_t b) {
  return syn_dag_bin(d, op, a, b);
}
static uint32_t num(syn_dag *d, double v) { return syn_dag_const(d, v); }

/* Arithmetic on derivative terms, with the structural zero. */
static uint32_t z_add(syn_dag *d, uint32_t x, uint32_t y) {
  if (x == d->zero) return y;
  if (y == d->zero) return x;
  return op2(d, SYN_OP_ADD, x, y);
}
static uint32_t z_sub(syn_dag *d, uint32_t x, uint32_t y) {
  if (y == d->zero) return x;
  if (x == d->zero) return op1(d, SYN_OP_NEG, y);
  return op2(d, SYN_OP_SUB, x, y);
}
static uint32_t z_mul(syn_dag *d, uint32_t x, uint32_t y) {
  if (x == d->zero || y == d->zero) return d->zero;
  return op2(d, SYN_OP_MUL, x, y);
}
static uint32_t z_div(syn_dag *d, uint32_t x, uint32_t y) {
  if (x == d->zero) return d->zero;
  return op2(d, SYN_OP_DIV, x, y);
}
static uint32_t z_neg(syn_dag *d, uint32_t x) {
  return x == d->zero ? d->zero : op1(d, SYN_OP_NEG, x);
}

/* 1 - a*a, shared by asin/acos and tanh-like rules. */
static uint32_t one_minus_sq(syn_dag *d, uint32_t a) {
  return op2(d, SYN_OP_SUB, d->one, op2(d, SYN_OP_MUL, a, a));
}
static uint32_t one_plus_sq(syn_dag *d, uint32_t a) {
  return op2(d, SYN_OP_ADD, d->one, op2(d, SYN_OP_MUL, a, a));
}

/* d(node) from the derivatives da, db, dc of its operands. */
static uint32_t derive_node(syn_dag *d, uint32_t id, uint32_t da, uint32_t db, uint32_t dc) {
  dag_node nd = d->nodes[id]; /* copy: builders may move the array */
  uint32_t a = nd.a, b = nd.b;
  switch ((syn_op)nd.op) {
    case SYN_OP_NEG: return z_neg(d, da);
    case SYN_OP_ADD: return z_add(d, da, db);
    case SYN_OP_SUB: return z_sub(d, da, db);
    case SYN_OP_MUL: return z_add(d, z_mul(d, da, b), z_mul(d, a, db));
    case SYN_OP_DIV: /* (a' - (a/b) b') / b */
      return z_div(d, z_sub(d, da, z_mul(d, id, db)), b);
    case SYN_OP_POW: {
      uint32_t t1 = d->zero, t2 = d->zero;
      if (da != d->zero) { /* b a^(b-1) a' */
        uint32_t p = op2(d, SYN_OP_POW, a, op2(d, SYN_OP_SUB, b, d->one));
        t1 = z_mul(d, op2(d, SYN_OP_MUL, b, p), da);
      }
      if (db != d->zero) /* a^b ln(a) b' */
        t2 = z_mul(d, op2(d, SYN_OP_MUL, id, op1(d, SYN_OP_LOG, a)), db);
      return z_add(d, t1, t2);
    }
    case SYN_OP_EXP: return z_mul(d, id, da);
    case SYN_OP_LOG: return z_div(d, da, a);
    case SYN_OP_LOG10: return z_div(d, da, op2(d, SYN_OP_MUL, a, num(d, log(10.0))));
    case SYN_OP_SQRT: return z_div(d, da, op2(d, SYN_OP_MUL, num(d, 2.0), id));
    case SYN_OP_ABS: return z_mul(d, op1(d, SYN_OP_SIGN, a), da);
    case SYN_OP_SIN: return z_mul(d, op1(d, SYN_OP_COS, a), da);
    case SYN_OP_COS: return z_neg(d, z_mul(d, op1(d, SYN_OP_SIN, a), da));
    case SYN_OP_TAN: return z_mul(d, one_plus_sq(d, id), da);
    case SYN_OP_ASIN: return z_div(d, da, op1(d, SYN_OP_SQRT, one_minus_sq(d, a)));
    case SYN_OP_ACOS: return z_neg(d, z_div(d, da, op1(d, SYN_OP_SQRT, one_minus_sq(d, a))));
    case SYN_OP_ATAN: return z_div(d, da, one_plus_sq(d, a));
    case SYN_OP_SINH: return z_mul(d, op1(d, SYN_OP_COSH, a), da);
    case SYN_OP_COSH: return z_mul(d, op1(d, SYN_OP_SINH, a), da);
    case SYN_OP_TANH: return z_mul(d, one_minus_sq(d, id), da);
    case SYN_OP_MIN: /* piecewise: the derivative of the selected operand */
      if (da == d->zero && db == d->zero) return d->zero;
      return syn_dag_op(d, SYN_OP_IF, op2(d, SYN_OP_LE, a, b), da, db);
    case SYN_OP_MAX:
      if (da == d->zero && db == d->zero) return d->zero;
      return syn_dag_op(d, SYN_OP_IF, op2(d, SYN_OP_GE, a, b), da, db);
    case SYN_OP_IF:
      if (db == d->zero && dc == d->zero) return d->zero;
      return syn_dag_op(d, SYN_OP_IF, a, db, dc);
    default: /* floor, ceil, sign, comparisons, logic: piecewise constant */
      return d->zero;
  }
}

/* Mark (memo[k] = MARK) every dynamic node reachable from the roots. */
static int mark_reachable(const syn_dag *d, const uint32_t *roots, size_t nroots, uint32_t *memo) {
  size_t cap = 64, top = 0;
  uint32_t *stack = syn_malloc(cap * sizeof *stack);
  if (stack == NULL) return -1;
  int rc = 0;
  for (size_t r = 0; r < nroots && rc == 0; r++) {
    stack[top++] = roots[r];
    while (top > 0) {
      uint32_t k = stack[--top];
      if (memo[k] == MARK || !d->nodes[k].dyn) continue;
      memo[k] = MARK;
      const dag_node *nd = &d->nodes[k];
      int n = syn_op_arity((syn_op)nd->op);
      if (syn_grow((void **)&stack, &cap, top + 3, sizeof *stack) != 0) {
        rc = -1;
        break;
      }
      if (n >= 1) stack[top++] = nd->a;
      if (n >= 2) stack[top++] = nd->b;
      if (n >= 3) stack[top++] = nd->c;
    }
  }
  syn_free(stack);
  return rc;
}

int syn_dag_derive(syn_dag *d, const uint32_t *roots, size_t nroots, uint32_t wrt,
                   uint32_t *memo, size_t memo_len, uint32_t *out) {
  for (size_t k = 0; k < memo_len; k++) memo[k] = DAG_NONE;
  if (mark_reachable(d, roots, nroots, memo) != 0) return -1;
  for (size_t k = 0; k < memo_len; k++) {
    if (memo[k] != MARK) continue;
    dag_node nd = d->nodes[k];
    uint32_t r;
    if (nd.op == SYN_OP_STATE) {
      r = nd.a == wrt ? d->one : d->zero;
    } else if (nd.op == SYN_OP_TIME) {
      r = d->zero;
    } else {
      int n = syn_op_arity((syn_op)nd.op);
      /* operands that are not dynamic were never marked: their derivative is 0 */
      uint32_t da = n >= 1 && memo[nd.a] != DAG_NONE ? memo[nd.a] : d->zero;
      uint32_t db = n >= 2 && memo[nd.b] != DAG_NONE ? memo[nd.b] : d->zero;
      uint32_t dc = n >= 3 && memo[nd.c] != DAG_NONE ? memo[nd.c] : d->zero;
      r = (da == d->zero && db == d->zero && dc == d->zero) ? d->zero
                                                           : derive_node(d, (uint32_t)k, da, db, dc);
    }
    if (r == DAG_NONE) return -1;
    memo[k] = r;
  }
  for (size_t i = 0; i < nroots; i++) {
    uint32_t r = roots[i];
    out[i] = (r < memo_len && memo[r] != DAG_NONE) ? memo[r] : d->zero;
  }
  return d->failed ? -1 : 0;
}
