/* synovia — expression DAG: hash-consing, constant folding, simplification
 * (see dag.h). Model layer; no text, no lang dependencies beyond spans. */
#include "model/dag.h"

#include <math.h>
#include <string.h>

#include "base/alloc.h"

int syn_op_arity(syn_op op) {
  switch (op) {
#define SYN_OP_ARITY_(name, n, s) \
  case SYN_OP_##name:             \
    return n;
    SYN_OP_LIST(SYN_OP_ARITY_)
#undef SYN_OP_ARITY_
    default: return 0;
  }
}

const char *syn_op_spelling(syn_op op) {
  switch (op) {
#define SYN_OP_SPELL_(name, n, s) \
  case SYN_OP_##name:             \
    return s;
    SYN_OP_LIST(SYN_OP_SPELL_)
#undef SYN_OP_SPELL_
    default: return "?";
  }
}

static uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdULL;
}

static uint64_t double_bits(double v) {
  uint64_t u;
  memcpy(&u, &v, sizeof u);
  return u;
}

static uint64_t node_hash(const dag_node *k) {
  uint64_t h = mix(k->op, k->a);
  h = mix(h, k->b);
  h = mix(h, k->c);
  if (k->op == SYN_OP_CONST) h = mix(h, double_bits(k->value));
  return h ^ (h >> 29);
}

/* Constants compare by bit pattern: -0 and 0 stay distinct, NaNs collapse. */
static int node_equal(const dag_node *x, const dag_node *y) {
  if (x->op != y->op || x->a != y->a || x->b != y->b || x->c != y->c) return 0;
  return x->op != SYN_OP_CONST || double_bits(x->value) == double_bits(y->value);
}

static int table_rehash(syn_dag *d, size_t cap) {
  uint32_t *t = syn_malloc(cap * sizeof *t);
  if (t == NULL) return -1;
  for (size_t i = 0; i < cap; i++) t[i] = DAG_NONE;
  for (size_t id = 0; id < d->n; id++) {
    size_t i = (size_t)node_hash(&d->nodes[id]) & (cap - 1);
    while (t[i] != DAG_NONE) i = (i + 1) & (cap - 1);
    t[i] = (uint32_t)id;
  }
  syn_free(d->table);
  d->table = t;
  d->table_cap = cap;
  return 0;
}

int syn_dag_init(syn_dag *d) {
  memset(d, 0, sizeof *d);
  if (table_rehash(d, 256) != 0) return -1;
  d->zero = syn_dag_const(d, 0.0);
  d->one = syn_dag_const(d, 1.0);
  return d->failed ? -1 : 0;
}

void syn_dag_free(syn_dag *d) {
  if (d == NULL) return;
  syn_free(d->nodes);
  syn_free(d->table);
  memset(d, 0, sizeof *d);
}

/* Find or insert the node `key` (operands already canonical). */
static uint32_t intern(syn_dag *d, const dag_node *key) {
  if (d->failed) return DAG_NONE;
  size_t mask = d->table_cap - 1;
  size_t i = (size_t)node_hash(key) & mask;
  while (d->table[i] != DAG_NONE) {
    if (node_equal(&d->nodes[d->table[i]], key)) return d->table[i];
    i = (i + 1) & mask;
  }
  if (d->n >= UINT32_MAX - 2 || syn_grow((void **)&d->nodes, &d->cap, d->n + 1, sizeof *d->nodes)) {
    d->failed = 1;
    return DAG_NONE;
  }
  uint32_t id = (uint32_t)d->n++;
  d->nodes[id] = *key;
  d->table[i] = id;
  if (d->n * 2 > d->table_cap && table_rehash(d, d->table_cap * 2) != 0) {
    d->failed = 1;
    return DAG_NONE;
  }
  return id;
}

uint32_t syn_dag_const(syn_dag *d, double v) {
  dag_node k = {.op = SYN_OP_CONST, .a = DAG_NONE, .b = DAG_NONE, .c = DAG_NONE, .value = v};
  return intern(d, &k);
}

static uint32_t leaf(syn_dag *d, syn_op op, uint32_t index, uint8_t dyn) {
  dag_node k = {.op = (uint8_t)op, .dyn = dyn, .a = index, .b = DAG_NONE, .c = DAG_NONE};
  return intern(d, &k);
}

uint32_t syn_dag_time(syn_dag *d) { return leaf(d, SYN_OP_TIME, 0, 1); }
uint32_t syn_dag_state(syn_dag *d, uint32_t index) { return leaf(d, SYN_OP_STATE, index, 1); }
uint32_t syn_dag_param(syn_dag *d, uint32_t index) { return leaf(d, SYN_OP_PARAM, index, 0); }
uint32_t syn_dag_input(syn_dag *d, uint32_t index) { return leaf(d, SYN_OP_PARAM, index, 1); }

void syn_dag_set_span(syn_dag *d, uint32_t node, syn_span span) {
  if (node == DAG_NONE || d->nodes[node].has_span) return;
  d->nodes[node].span = span;
  d->nodes[node].has_span = 1;
}

static int is_commutative(syn_op op) {
  return op == SYN_OP_ADD || op == SYN_OP_MUL || op == SYN_OP_EQ || op == SYN_OP_NE ||
         op == SYN_OP_AND || op == SYN_OP_OR || op == SYN_OP_MIN || op == SYN_OP_MAX;
}

/* Exact identities only (see dag.h). Returns DAG_NONE when none applies. */
static uint32_t simplify(syn_dag *d, syn_op op, uint32_t a, uint32_t b, uint32_t c) {
  switch (op) {
    case SYN_OP_NEG:
      if (d->nodes[a].op == SYN_OP_NEG) return d->nodes[a].a;
      break;
    case SYN_OP_ADD:
      if (syn_dag_is_const(d, a, 0.0)) return b;
      if (syn_dag_is_const(d, b, 0.0)) return a;
      break;
    case SYN_OP_SUB:
      if (syn_dag_is_const(d, b, 0.0)) return a;
      if (syn_dag_is_const(d, a, 0.0)) return syn_dag_un(d, SYN_OP_NEG, b);
      break;
    case SYN_OP_MUL:
      if (syn_dag_is_const(d, a, 1.0)) return b;
      if (syn_dag_is_const(d, b, 1.0)) return a;
      if (syn_dag_is_const(d, a, -1.0)) return syn_dag_un(d, SYN_OP_NEG, b);
      if (syn_dag_is_const(d, b, -1.0)) return syn_dag_un(d, SYN_OP_NEG, a);
      break;
    case SYN_OP_DIV:
      if (syn_dag_is_const(d, b, 1.0)) return a;
      break;
    case SYN_OP_POW:
      if (syn_dag_is_const(d, b, 1.0)) return a;
      if (syn_dag_is_const(d, b, 0.0)) return d->one;
      break;
    case SYN_OP_IF:
      if (d->nodes[a].op == SYN_OP_CONST) return d->nodes[a].value != 0.0 ? b : c;
      if (b == c) return b;
      break;
    default: break;
  }
  return DAG_NONE;
}

uint32_t syn_dag_op(syn_dag *d, syn_op op, uint32_t a, uint32_t b, uint32_t c) {
  int n = syn_op_arity(op);
  if (d->failed || n == 0 || a == DAG_NONE || (n >= 2 && b == DAG_NONE) ||
      (n >= 3 && c == DAG_NONE))
    return DAG_NONE;
  if (n < 2) b = DAG_NONE;
  if (n < 3) c = DAG_NONE;
  if (is_commutative(op) && b < a) {
    uint32_t tmp = a;
    a = b;
    b = tmp;
  }
  const dag_node *na = &d->nodes[a];
  int all_const = na->op == SYN_OP_CONST && (n < 2 || d->nodes[b].op == SYN_OP_CONST) &&
                  (n < 3 || d->nodes[c].op == SYN_OP_CONST);
  if (all_const) {
    double v = syn_op_apply(op, na->value, n >= 2 ? d->nodes[b].value : 0.0,
                            n >= 3 ? d->nodes[c].value : 0.0);
    if (isfinite(v)) return syn_dag_const(d, v);
  }
  uint32_t s = simplify(d, op, a, b, c);
  if (s != DAG_NONE || d->failed) return s;
  dag_node k = {.op = (uint8_t)op, .a = a, .b = b, .c = c};
  k.dyn = (uint8_t)(d->nodes[a].dyn | (n >= 2 ? d->nodes[b].dyn : 0) |
                    (n >= 3 ? d->nodes[c].dyn : 0));
  return intern(d, &k);
}
