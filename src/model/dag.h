/* synovia — the expression DAG (internal, model layer).
 *
 * Every expression of a model (right-hand sides, parameters, initial values,
 * outputs, and the symbolic derivatives) lives in one DAG. Nodes are
 * hash-consed: building the same operation on the same operands twice returns
 * the same node, so a repeated subexpression is computed once. Children are
 * always created before their parents, so node ids are a topological order
 * (codegen relies on this: ascending id = valid evaluation order).
 *
 * Simplification rules (all exact in IEEE arithmetic, NaN and Inf included):
 *   - an op whose operands are all constants folds, unless the result is not
 *     finite (then the instruction stays, so a diagnosis can point at it);
 *   - x+0, 0+x, x-0, x*1, 1*x, x/1, x^1 -> x;  x^0 -> 1;  -(-x) -> x;
 *     if(c, a, b) with constant c -> the chosen branch.
 *   - x*0 is NOT folded (Inf*0 and NaN*0 are NaN), and neither is x-x.
 * Derivative construction (deriv.c) uses its own absorbing "structural zero"
 * so that terms which are identically zero disappear from the Jacobian. */
#ifndef SYN_MODEL_DAG_H
#define SYN_MODEL_DAG_H

#include <stddef.h>
#include <stdint.h>

#include "lang/source.h"
#include "model/ops.h"

#define DAG_NONE UINT32_MAX

typedef struct dag_node {
  uint8_t op;      /* syn_op */
  uint8_t dyn;     /* 1 if it depends on a state or on t */
  uint32_t a, b, c;/* operands; leaves: a = state / param index */
  double value;    /* SYN_OP_CONST */
  syn_span span;   /* source of the first expression that built it */
  uint8_t has_span;
} dag_node;

typedef struct syn_dag {
  dag_node *nodes;
  size_t n, cap;
  uint32_t *table;  /* open addressing hash: node ids, DAG_NONE = empty */
  size_t table_cap;
  int failed;       /* sticky out-of-memory flag: builders return DAG_NONE */
  uint32_t zero, one;
} syn_dag;

/* 0 on success, -1 out of memory. */
int syn_dag_init(syn_dag *d);
void syn_dag_free(syn_dag *d);

/* Builders return the node id, or DAG_NONE when out of memory (or when an
 * operand is DAG_NONE, so calls can be nested and checked once). */
uint32_t syn_dag_const(syn_dag *d, double v);
uint32_t syn_dag_time(syn_dag *d);
uint32_t syn_dag_state(syn_dag *d, uint32_t index);
uint32_t syn_dag_param(syn_dag *d, uint32_t index);
/* An input register (an infusion rate set between solver calls): a PARAM leaf
 * with an index past the constants, marked dynamic so that nothing using it
 * is hoisted into setup; its derivative is zero. Setup never writes it. */
uint32_t syn_dag_input(syn_dag *d, uint32_t index);
uint32_t syn_dag_op(syn_dag *d, syn_op op, uint32_t a, uint32_t b, uint32_t c);
static inline uint32_t syn_dag_un(syn_dag *d, syn_op op, uint32_t a) {
  return syn_dag_op(d, op, a, DAG_NONE, DAG_NONE);
}
static inline uint32_t syn_dag_bin(syn_dag *d, syn_op op, uint32_t a, uint32_t b) {
  return syn_dag_op(d, op, a, b, DAG_NONE);
}

/* Attach a source span to a node that has none yet (the first builder wins). */
void syn_dag_set_span(syn_dag *d, uint32_t node, syn_span span);

static inline int syn_dag_is_const(const syn_dag *d, uint32_t id, double v) {
  return id != DAG_NONE && d->nodes[id].op == SYN_OP_CONST && d->nodes[id].value == v;
}

/* Forward-mode symbolic derivatives of roots[0..nroots-1] with respect to
 * state `wrt` (deriv.c). out[i] = d roots[i] / d y_wrt, d->zero when it is
 * identically zero. memo must have room for d->n entries at call time (the
 * caller's node count before the call); it is overwritten. 0 / -1 (OOM). */
int syn_dag_derive(syn_dag *d, const uint32_t *roots, size_t nroots, uint32_t wrt,
                   uint32_t *memo, size_t memo_len, uint32_t *out);

/* The Jacobian of roots[0..nroots-1] (one per state) column by column, each
 * column in time proportional to the nodes that depend on its state rather
 * than to the whole DAG (deriv.c). Same derivatives as syn_dag_derive. */
typedef struct syn_jac_cols syn_jac_cols;
syn_jac_cols *syn_jac_cols_create(syn_dag *d, const uint32_t *roots, size_t nroots); /* NULL: OOM */
void syn_jac_cols_destroy(syn_jac_cols *c); /* NULL allowed */
/* The nonzero derivatives d roots[rows[k]] / d y_wrt = node vals[k], k < *count,
 * rows ascending; rows and vals need room for nroots. 0 / -1 (OOM). */
int syn_jac_cols_get(syn_jac_cols *c, uint32_t wrt, uint32_t *rows, uint32_t *vals,
                     size_t *count);
/* The number of entries syn_jac_cols_get gives for wrt, without building
 * them: in time proportional to the nodes that depend on the state, and no
 * memory (so the size of a Jacobian can be bounded before it is built). */
size_t syn_jac_cols_count(syn_jac_cols *c, uint32_t wrt);

/* Derivatives with respect to any leaves (the parameter derivatives, and
 * the outputs' with respect to states), over cones like syn_jac_cols but
 * through every node reachable from the roots, constant ones included.
 * A link (link_leaf[i] <- link_expr[i]) says that the PARAM leaf is computed
 * from the expression (a parameter defined from others): its derivative is
 * the node link_fn returns for the expression's derivative de (called once
 * per linked leaf and get, only when de is not the structural zero). */
typedef struct syn_dcols syn_dcols;
typedef uint32_t (*syn_dcols_link_fn)(void *ctx, uint32_t leaf, uint32_t de); /* DAG_NONE: OOM */
syn_dcols *syn_dcols_create(syn_dag *d, const uint32_t *roots, size_t nroots,
                            const uint32_t *link_leaf, const uint32_t *link_expr,
                            size_t nlinks); /* NULL: OOM */
void syn_dcols_destroy(syn_dcols *c); /* NULL allowed */
/* The nonzero derivatives d roots[rows[k]] / d(seeds) = node vals[k], the
 * seeds (leaves without a link, all with derivative 1: one parameter may be
 * several leaves, as a per-joint name is) moving together; rows ascending,
 * rows and vals with room for nroots. 0 / -1 (OOM). */
int syn_dcols_get(syn_dcols *c, const uint32_t *seeds, size_t nseeds, syn_dcols_link_fn link_fn,
                  void *ctx, uint32_t *rows, uint32_t *vals, size_t *count);
/* The number of entries syn_dcols_get gives, without building them. */
size_t syn_dcols_count(syn_dcols *c, const uint32_t *seeds, size_t nseeds);

#endif
