/* synovia — forward-mode symbolic differentiation on the DAG (model layer).
 *
 * d(node)/d(y_wrt) is built for every node reachable from the roots, in
 * ascending id order (children first), memoised per call, hash-consed into
 * the same DAG. A derivative that is identically zero is the structural zero
 * d->zero, which absorbs in products and vanishes in sums: that is what makes
 * the Jacobian sparse. (Only in derivative terms: a user's x*0 is kept.) */
#include "model/dag.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- Jacobian columns over dependency cones ------------------------------

 * syn_dag_derive visits the whole DAG per column, so a Jacobian of n states
 * costs O(n * DAG): minutes for 10^5 states. Here the users (parents) of
 * every node reachable from the roots are indexed once; a column then
 * visits only the cone of nodes that depend on its state. */
struct syn_jac_cols {
  syn_dag *d;
  size_t n0;           /* nodes when created; derivatives are appended after */
  uint32_t *ustart;    /* users of node k: users[ustart[k] .. ustart[k+1]) */
  uint32_t *users;
  uint32_t *rstart;    /* roots equal to node k: rows[rstart[k] .. rstart[k+1]) */
  uint32_t *rows;
  uint32_t *memo;      /* derivative per node of the current cone, else DAG_NONE */
  uint32_t *cone;      /* nodes of the current cone */
  uint64_t *entries;   /* (row << 32 | derivative node) of the current column */
  uint32_t *cone_tmp;  /* scratch of the sorts: as long as cone, entries */
  uint64_t *entries_tmp;
  unsigned node_bits, row_bits; /* bits of the largest node id, row */
  uint32_t *leaf;      /* per state index < nroots: its STATE node, or DAG_NONE */
  size_t nroots;
};

void syn_jac_cols_destroy(syn_jac_cols *c) {
  if (c == NULL) return;
  syn_free(c->ustart);
  syn_free(c->users);
  syn_free(c->rstart);
  syn_free(c->rows);
  syn_free(c->memo);
  syn_free(c->cone);
  syn_free(c->entries);
  syn_free(c->cone_tmp);
  syn_free(c->entries_tmp);
  syn_free(c->leaf);
  syn_free(c);
}

/* CSR of users for the marked (reachable, dynamic) nodes; memo is the mark. */
static int index_users(syn_jac_cols *c) {
  const syn_dag *d = c->d;
  size_t nusers = 0;
  for (size_t k = 0; k < c->n0; k++) {
    if (c->memo[k] != MARK) continue;
    int n = syn_op_arity((syn_op)d->nodes[k].op);
    uint32_t ops[3] = {d->nodes[k].a, d->nodes[k].b, d->nodes[k].c};
    for (int i = 0; i < n; i++)
      if (c->memo[ops[i]] == MARK) c->ustart[ops[i] + 1]++, nusers++;
  }
  for (size_t k = 0; k < c->n0; k++) c->ustart[k + 1] += c->ustart[k];
  c->users = syn_malloc((nusers + 1) * sizeof *c->users);
  uint32_t *fill = syn_malloc((c->n0 + 1) * sizeof *fill);
  int rc = c->users && fill ? 0 : -1;
  if (rc == 0) {
    memcpy(fill, c->ustart, c->n0 * sizeof *fill);
    for (size_t k = 0; k < c->n0; k++) {
      if (c->memo[k] != MARK) continue;
      int n = syn_op_arity((syn_op)d->nodes[k].op);
      uint32_t ops[3] = {d->nodes[k].a, d->nodes[k].b, d->nodes[k].c};
      for (int i = 0; i < n; i++)
        if (c->memo[ops[i]] == MARK && (i == 0 || ops[i] != ops[i - 1]) &&
            (i < 2 || ops[i] != ops[0]))
          c->users[fill[ops[i]]++] = (uint32_t)k;
    }
    /* a node using one operand twice (x*x) was counted twice, listed once */
    for (size_t k = 0; k < c->n0; k++)
      while (fill[k] < c->ustart[k + 1]) c->users[fill[k]++] = DAG_NONE;
  }
  syn_free(fill);
  return rc;
}

static unsigned bit_width(size_t n) {
  unsigned b = 0;
  while (b < 64 && (n >> b) != 0) b++;
  return b;
}

/* Sorting the cone and the column's entries is the inner loop of the
 * Jacobian: a column of a dense coupling holds every row, and qsort's
 * n log n with a call per comparison was half of the compile. LSD radix
 * sort, 11 bits a pass, on the low `bits` bits of the key; below RADIX_MIN
 * elements, insertion sort. */
enum { RADIX_BITS = 11, RADIX_MIN = 64 };

static void sort_u32(uint32_t *a, uint32_t *tmp, size_t n, unsigned bits) {
  if (n < RADIX_MIN) { /* insertion sort */
    for (size_t i = 1; i < n; i++) {
      uint32_t v = a[i];
      size_t j = i;
      for (; j > 0 && a[j - 1] > v; j--) a[j] = a[j - 1];
      a[j] = v;
    }
    return;
  }
  uint32_t *src = a, *dst = tmp;
  for (unsigned shift = 0; shift < bits; shift += RADIX_BITS) {
    size_t count[(1u << RADIX_BITS) + 1] = {0};
    for (size_t i = 0; i < n; i++) count[((src[i] >> shift) & ((1u << RADIX_BITS) - 1)) + 1]++;
    for (size_t k = 1; k <= (1u << RADIX_BITS); k++) count[k] += count[k - 1];
    for (size_t i = 0; i < n; i++) dst[count[(src[i] >> shift) & ((1u << RADIX_BITS) - 1)]++] = src[i];
    uint32_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != a) memcpy(a, src, n * sizeof *a);
}

/* By the high 32 bits (the row) only. */
static void sort_by_row(uint64_t *a, uint64_t *tmp, size_t n, unsigned bits) {
  if (n < RADIX_MIN) {
    for (size_t i = 1; i < n; i++) {
      uint64_t v = a[i];
      size_t j = i;
      for (; j > 0 && (a[j - 1] >> 32) > (v >> 32); j--) a[j] = a[j - 1];
      a[j] = v;
    }
    return;
  }
  uint64_t *src = a, *dst = tmp;
  for (unsigned shift = 32; shift < 32 + bits; shift += RADIX_BITS) {
    size_t count[(1u << RADIX_BITS) + 1] = {0};
    for (size_t i = 0; i < n; i++) count[((src[i] >> shift) & ((1u << RADIX_BITS) - 1)) + 1]++;
    for (size_t k = 1; k <= (1u << RADIX_BITS); k++) count[k] += count[k - 1];
    for (size_t i = 0; i < n; i++) dst[count[(src[i] >> shift) & ((1u << RADIX_BITS) - 1)]++] = src[i];
    uint64_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != a) memcpy(a, src, n * sizeof *a);
}

syn_jac_cols *syn_jac_cols_create(syn_dag *d, const uint32_t *roots, size_t nroots) {
  syn_jac_cols *c = syn_calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  c->d = d;
  c->n0 = d->n;
  c->nroots = nroots;
  c->ustart = syn_calloc(c->n0 + 1, sizeof *c->ustart);
  c->rstart = syn_calloc(c->n0 + 1, sizeof *c->rstart);
  c->rows = syn_malloc((nroots + 1) * sizeof *c->rows);
  c->memo = syn_malloc((c->n0 + 1) * sizeof *c->memo);
  c->cone = syn_malloc((c->n0 + 1) * sizeof *c->cone);
  c->entries = syn_malloc((nroots + 1) * sizeof *c->entries);
  c->leaf = syn_malloc((nroots + 1) * sizeof *c->leaf);
  c->cone_tmp = syn_malloc((c->n0 + 1) * sizeof *c->cone_tmp);
  c->entries_tmp = syn_malloc((nroots + 1) * sizeof *c->entries_tmp);
  if (!c->ustart || !c->rstart || !c->rows || !c->memo || !c->cone || !c->entries || !c->leaf ||
      !c->cone_tmp || !c->entries_tmp)
    goto fail;
  c->node_bits = bit_width(c->n0);
  c->row_bits = bit_width(nroots);
  for (size_t i = 0; i < nroots; i++) c->leaf[i] = DAG_NONE;
  for (size_t k = 0; k < c->n0; k++) {
    c->memo[k] = DAG_NONE;
    if (d->nodes[k].op == SYN_OP_STATE && d->nodes[k].a < nroots) c->leaf[d->nodes[k].a] = (uint32_t)k;
  }
  if (mark_reachable(d, roots, nroots, c->memo) != 0 || index_users(c) != 0) goto fail;
  for (size_t i = 0; i < nroots; i++) c->rstart[roots[i] + 1]++;
  for (size_t k = 0; k < c->n0; k++) c->rstart[k + 1] += c->rstart[k];
  memcpy(c->memo, c->rstart, c->n0 * sizeof *c->memo); /* memo as fill cursor */
  for (size_t i = 0; i < nroots; i++) c->rows[c->memo[roots[i]]++] = (uint32_t)i;
  for (size_t k = 0; k < c->n0; k++) c->memo[k] = DAG_NONE;
  return c;
fail:
  syn_jac_cols_destroy(c);
  return NULL;
}


/* The nodes that depend on `leaf`, ascending (= evaluation order). */
static size_t collect_cone(syn_jac_cols *c, uint32_t leaf) {
  size_t n = 0, done = 0;
  c->memo[leaf] = MARK;
  c->cone[n++] = leaf;
  while (done < n) { /* the cone array doubles as the work list */
    uint32_t k = c->cone[done++];
    for (uint32_t u = c->ustart[k]; u < c->ustart[k + 1]; u++) {
      uint32_t p = c->users[u];
      if (p == DAG_NONE || c->memo[p] == MARK) continue;
      c->memo[p] = MARK;
      c->cone[n++] = p;
    }
  }
  sort_u32(c->cone, c->cone_tmp, n, c->node_bits);
  return n;
}

/* Whether the derivative of user p is nonzero when that of its operand
 * `from` is (and its other operands' are zero): derive_node's structural
 * zeros. Piecewise-constant ops and the condition of an `if` stop it. */
static int propagates(const dag_node *p, uint32_t from) {
  switch ((syn_op)p->op) {
    case SYN_OP_NEG: case SYN_OP_ADD: case SYN_OP_SUB: case SYN_OP_MUL: case SYN_OP_DIV:
    case SYN_OP_POW: case SYN_OP_EXP: case SYN_OP_LOG: case SYN_OP_LOG10: case SYN_OP_SQRT:
    case SYN_OP_ABS: case SYN_OP_SIN: case SYN_OP_COS: case SYN_OP_TAN: case SYN_OP_ASIN:
    case SYN_OP_ACOS: case SYN_OP_ATAN: case SYN_OP_SINH: case SYN_OP_COSH: case SYN_OP_TANH:
    case SYN_OP_MIN: case SYN_OP_MAX: return 1;
    case SYN_OP_IF: return p->b == from || p->c == from;
    default: return 0;
  }
}

size_t syn_jac_cols_count(syn_jac_cols *c, uint32_t wrt) {
  uint32_t leaf = wrt < c->nroots ? c->leaf[wrt] : DAG_NONE;
  if (leaf == DAG_NONE) return 0;
  size_t n = 0, done = 0, count = 0;
  c->memo[leaf] = MARK;
  c->cone[n++] = leaf;
  while (done < n) { /* the nodes whose derivative is not the structural zero */
    uint32_t k = c->cone[done++];
    count += c->rstart[k + 1] - c->rstart[k];
    for (uint32_t u = c->ustart[k]; u < c->ustart[k + 1]; u++) {
      uint32_t p = c->users[u];
      if (p == DAG_NONE || c->memo[p] == MARK || !propagates(&c->d->nodes[p], k)) continue;
      c->memo[p] = MARK;
      c->cone[n++] = p;
    }
  }
  for (size_t i = 0; i < n; i++) c->memo[c->cone[i]] = DAG_NONE;
  return count;
}

int syn_jac_cols_get(syn_jac_cols *c, uint32_t wrt, uint32_t *rows, uint32_t *vals,
                     size_t *count) {
  syn_dag *d = c->d;
  *count = 0;
  uint32_t leaf = wrt < c->nroots ? c->leaf[wrt] : DAG_NONE;
  if (leaf == DAG_NONE) return 0; /* no expression uses this state */
  size_t n = collect_cone(c, leaf), nent = 0;
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    uint32_t k = c->cone[i];
    dag_node nd = d->nodes[k];
    uint32_t r = d->one;
    if (k != leaf) {
      int ar = syn_op_arity((syn_op)nd.op);
      uint32_t da = ar >= 1 && c->memo[nd.a] != DAG_NONE ? c->memo[nd.a] : d->zero;
      uint32_t db = ar >= 2 && c->memo[nd.b] != DAG_NONE ? c->memo[nd.b] : d->zero;
      uint32_t dc = ar >= 3 && c->memo[nd.c] != DAG_NONE ? c->memo[nd.c] : d->zero;
      r = (da == d->zero && db == d->zero && dc == d->zero) ? d->zero
                                                           : derive_node(d, k, da, db, dc);
    }
    if (r == DAG_NONE) rc = -1;
    else c->memo[k] = r;
  }
  for (size_t i = 0; i < n && rc == 0; i++) {
    uint32_t k = c->cone[i];
    if (c->memo[k] == d->zero) continue;
    for (uint32_t j = c->rstart[k]; j < c->rstart[k + 1]; j++)
      c->entries[nent++] = (uint64_t)c->rows[j] << 32 | c->memo[k];
  }
  for (size_t i = 0; i < n; i++) c->memo[c->cone[i]] = DAG_NONE;
  if (rc != 0 || d->failed) return -1;
  sort_by_row(c->entries, c->entries_tmp, nent, c->row_bits);
  for (size_t i = 0; i < nent; i++) {
    rows[i] = (uint32_t)(c->entries[i] >> 32);
    vals[i] = (uint32_t)c->entries[i];
  }
  *count = nent;
  return 0;
}

/* ---- derivatives with respect to any leaves: parameters ------------------

 * The parameter derivatives (psens.c) differentiate the rhs, the outputs,
 * the initial values and the route scales with respect to PARAM leaves, and
 * the outputs with respect to states. Constants are not leaves of the
 * expressions only: a parameter defined from others (`param c = a*b`) is a
 * PARAM leaf that setup computes from its expression, so a "link" (leaf c
 * <- expression of c) carries a derivative from the expression to the leaf,
 * where the caller decides what the leaf's derivative is (a register of its
 * own, since an override cuts the link at run time). Links break the rule
 * that ascending id is an evaluation order (a leaf may be older than its
 * expression), so the nodes get a topological position of their own. The
 * cones, the users index and the count are those of syn_jac_cols, over
 * every node reachable from the roots rather than the dynamic ones only. */
struct syn_dcols {
  syn_dag *d;
  size_t n0;
  uint32_t *link;      /* per node: the expression a linked leaf is computed from, else DAG_NONE */
  uint32_t *pos;       /* per reachable node: its place in a topological order */
  uint32_t *ustart, *users;
  uint32_t *rstart, *rows;
  uint32_t *memo;      /* derivative per node of the current cone, else DAG_NONE */
  uint64_t *cone, *cone_tmp; /* (position << 32 | node) */
  uint64_t *entries, *entries_tmp;
  unsigned pos_bits, row_bits;
  size_t nroots;
};

void syn_dcols_destroy(syn_dcols *c) {
  if (c == NULL) return;
  syn_free(c->link);
  syn_free(c->pos);
  syn_free(c->ustart);
  syn_free(c->users);
  syn_free(c->rstart);
  syn_free(c->rows);
  syn_free(c->memo);
  syn_free(c->cone);
  syn_free(c->cone_tmp);
  syn_free(c->entries);
  syn_free(c->entries_tmp);
  syn_free(c);
}

/* The operands of node k, its link included: up to 4 (a, b, c, link). */
static int dcols_operands(const syn_dcols *c, uint32_t k, uint32_t ops[4]) {
  const dag_node *nd = &c->d->nodes[k];
  int n = syn_op_arity((syn_op)nd->op);
  ops[0] = nd->a, ops[1] = nd->b, ops[2] = nd->c;
  if (c->link[k] != DAG_NONE) ops[n++] = c->link[k];
  return n;
}

/* Depth-first postorder from the roots over operands and links: pos[k] is
 * k's place (a topological order), DAG_NONE for nodes not reachable. */
static int dcols_order(syn_dcols *c, const uint32_t *roots, size_t nroots) {
  size_t cap = 64, top = 0;
  uint32_t *stack = syn_malloc(cap * sizeof *stack), next = 0;
  unsigned char *open = syn_calloc(c->n0 + 1, 1); /* children pushed, not yet placed */
  int rc = stack && open ? 0 : -1;
  for (size_t r = 0; r < nroots && rc == 0; r++) {
    stack[top++] = roots[r];
    while (top > 0 && rc == 0) {
      uint32_t k = stack[top - 1];
      if (c->pos[k] != DAG_NONE) { top--; continue; }
      if (open[k]) {
        open[k] = 0;
        c->pos[k] = next++;
        top--;
        continue;
      }
      open[k] = 1;
      uint32_t ops[4];
      int n = dcols_operands(c, k, ops);
      if (syn_grow((void **)&stack, &cap, top + 4, sizeof *stack) != 0) rc = -1;
      for (int i = 0; i < n && rc == 0; i++)
        if (c->pos[ops[i]] == DAG_NONE && !open[ops[i]]) stack[top++] = ops[i];
    }
  }
  syn_free(stack);
  syn_free(open);
  return rc;
}

/* CSR of users (operand and link edges) of the reachable nodes. */
static int dcols_index_users(syn_dcols *c) {
  size_t nusers = 0;
  for (size_t k = 0; k < c->n0; k++) {
    if (c->pos[k] == DAG_NONE) continue;
    uint32_t ops[4];
    int n = dcols_operands(c, (uint32_t)k, ops);
    for (int i = 0; i < n; i++) c->ustart[ops[i] + 1]++, nusers++;
  }
  for (size_t k = 0; k < c->n0; k++) c->ustart[k + 1] += c->ustart[k];
  c->users = syn_malloc((nusers + 1) * sizeof *c->users);
  uint32_t *fill = syn_malloc((c->n0 + 1) * sizeof *fill);
  int rc = c->users && fill ? 0 : -1;
  if (rc == 0) {
    memcpy(fill, c->ustart, c->n0 * sizeof *fill);
    for (size_t k = 0; k < c->n0; k++) {
      if (c->pos[k] == DAG_NONE) continue;
      uint32_t ops[4];
      int n = dcols_operands(c, (uint32_t)k, ops);
      for (int i = 0; i < n; i++) c->users[fill[ops[i]]++] = (uint32_t)k; /* x*x: listed twice */
    }
  }
  syn_free(fill);
  return rc;
}

syn_dcols *syn_dcols_create(syn_dag *d, const uint32_t *roots, size_t nroots,
                            const uint32_t *link_leaf, const uint32_t *link_expr, size_t nlinks) {
  syn_dcols *c = syn_calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  c->d = d;
  c->n0 = d->n;
  c->nroots = nroots;
  c->link = syn_malloc((c->n0 + 1) * sizeof *c->link);
  c->pos = syn_malloc((c->n0 + 1) * sizeof *c->pos);
  c->ustart = syn_calloc(c->n0 + 2, sizeof *c->ustart);
  c->rstart = syn_calloc(c->n0 + 2, sizeof *c->rstart);
  c->rows = syn_malloc((nroots + 1) * sizeof *c->rows);
  c->memo = syn_malloc((c->n0 + 1) * sizeof *c->memo);
  c->cone = syn_malloc((c->n0 + 1) * sizeof *c->cone);
  c->cone_tmp = syn_malloc((c->n0 + 1) * sizeof *c->cone_tmp);
  c->entries = syn_malloc((nroots + 1) * sizeof *c->entries);
  c->entries_tmp = syn_malloc((nroots + 1) * sizeof *c->entries_tmp);
  if (!c->link || !c->pos || !c->ustart || !c->rstart || !c->rows || !c->memo || !c->cone ||
      !c->cone_tmp || !c->entries || !c->entries_tmp)
    goto fail;
  for (size_t k = 0; k < c->n0; k++) c->link[k] = c->pos[k] = c->memo[k] = DAG_NONE;
  for (size_t i = 0; i < nlinks; i++) c->link[link_leaf[i]] = link_expr[i];
  c->pos_bits = bit_width(c->n0);
  c->row_bits = bit_width(nroots);
  if (dcols_order(c, roots, nroots) != 0 || dcols_index_users(c) != 0) goto fail;
  for (size_t i = 0; i < nroots; i++) c->rstart[roots[i] + 1]++;
  for (size_t k = 0; k < c->n0; k++) c->rstart[k + 1] += c->rstart[k];
  memcpy(c->memo, c->rstart, c->n0 * sizeof *c->memo); /* memo as fill cursor */
  for (size_t i = 0; i < nroots; i++) c->rows[c->memo[roots[i]]++] = (uint32_t)i;
  for (size_t k = 0; k < c->n0; k++) c->memo[k] = DAG_NONE;
  return c;
fail:
  syn_dcols_destroy(c);
  return NULL;
}

/* Whether user p passes on a nonzero derivative of its operand `from`: as
 * propagates(), and a linked leaf always does. */
static int dcols_propagates(const syn_dcols *c, uint32_t p, uint32_t from) {
  return c->link[p] == from || propagates(&c->d->nodes[p], from);
}

/* The cone of the seeds (nodes depending on them), or with `nonzero` only
 * the nodes whose derivative is not the structural zero; memo[k] = MARK. */
static size_t dcols_cone(syn_dcols *c, const uint32_t *seeds, size_t nseeds, int nonzero) {
  size_t n = 0, done = 0;
  for (size_t s = 0; s < nseeds; s++) {
    /* a seed that no root reaches has no derivative to pass on */
    if (seeds[s] >= c->n0 || c->pos[seeds[s]] == DAG_NONE || c->memo[seeds[s]] == MARK) continue;
    c->memo[seeds[s]] = MARK;
    c->cone[n++] = seeds[s];
  }
  while (done < n) { /* the cone array doubles as the work list */
    uint32_t k = (uint32_t)c->cone[done++];
    for (uint32_t u = c->ustart[k]; u < c->ustart[k + 1]; u++) {
      uint32_t p = c->users[u];
      if (c->memo[p] == MARK || (nonzero && !dcols_propagates(c, p, k))) continue;
      c->memo[p] = MARK;
      c->cone[n++] = p;
    }
  }
  return n;
}

size_t syn_dcols_count(syn_dcols *c, const uint32_t *seeds, size_t nseeds) {
  size_t n = dcols_cone(c, seeds, nseeds, 1), count = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t k = (uint32_t)c->cone[i];
    count += c->rstart[k + 1] - c->rstart[k];
    c->memo[k] = DAG_NONE;
  }
  return count;
}

/* The derivative of cone node k from its operands' (memo; outside the cone: zero). */
static uint32_t dcols_derive(syn_dcols *c, uint32_t k, syn_dcols_link_fn link_fn, void *ctx) {
  syn_dag *d = c->d;
  dag_node nd = d->nodes[k];
  if (c->link[k] != DAG_NONE) { /* a linked leaf: the caller's node for it */
    uint32_t de = c->memo[c->link[k]];
    return de == DAG_NONE || de == d->zero ? d->zero : link_fn(ctx, k, de);
  }
  int ar = syn_op_arity((syn_op)nd.op);
  if (ar == 0) return d->zero; /* a leaf that is not a seed */
  uint32_t da = c->memo[nd.a] != DAG_NONE && c->memo[nd.a] != MARK ? c->memo[nd.a] : d->zero;
  uint32_t db = ar >= 2 && c->memo[nd.b] != DAG_NONE && c->memo[nd.b] != MARK ? c->memo[nd.b] : d->zero;
  uint32_t dc = ar >= 3 && c->memo[nd.c] != DAG_NONE && c->memo[nd.c] != MARK ? c->memo[nd.c] : d->zero;
  if (da == d->zero && db == d->zero && dc == d->zero) return d->zero;
  return derive_node(d, k, da, db, dc);
}

int syn_dcols_get(syn_dcols *c, const uint32_t *seeds, size_t nseeds, syn_dcols_link_fn link_fn,
                  void *ctx, uint32_t *rows, uint32_t *vals, size_t *count) {
  syn_dag *d = c->d;
  *count = 0;
  size_t n = dcols_cone(c, seeds, nseeds, 0), nent = 0;
  for (size_t i = 0; i < n; i++) c->cone[i] |= (uint64_t)c->pos[(uint32_t)c->cone[i]] << 32;
  sort_by_row(c->cone, c->cone_tmp, n, c->pos_bits); /* topological order */
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    uint32_t k = (uint32_t)c->cone[i];
    /* a leaf without a link enters the cone only as a seed */
    int seed = c->link[k] == DAG_NONE && syn_op_arity((syn_op)d->nodes[k].op) == 0;
    uint32_t r = seed ? d->one : dcols_derive(c, k, link_fn, ctx);
    if (r == DAG_NONE) rc = -1;
    else c->memo[k] = r;
  }
  for (size_t i = 0; i < n && rc == 0; i++) {
    uint32_t k = (uint32_t)c->cone[i];
    if (c->memo[k] == d->zero) continue;
    for (uint32_t j = c->rstart[k]; j < c->rstart[k + 1]; j++)
      c->entries[nent++] = (uint64_t)c->rows[j] << 32 | c->memo[k];
  }
  for (size_t i = 0; i < n; i++) c->memo[(uint32_t)c->cone[i]] = DAG_NONE;
  if (rc != 0 || d->failed) return -1;
  sort_by_row(c->entries, c->entries_tmp, nent, c->row_bits);
  for (size_t i = 0; i < nent; i++) {
    rows[i] = (uint32_t)(c->entries[i] >> 32);
    vals[i] = (uint32_t)c->entries[i];
  }
  *count = nent;
  return 0;
}
