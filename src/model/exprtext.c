/* synovia — a model's resolved expressions as infix text (model layer; see
 * include/synovia/exprtext.h). Walks the expression DAG from a symbol's
 * root: numbers, leaves by the caller's names, lets by name when used inside
 * another expression, the rest inline with full parentheses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/strbuf.h"
#include "model/model_impl.h"
#include "synovia/exprtext.h"

struct syn_expr_printer {
  const syn_model *m;
  syn_expr_names names;
  int32_t *let_of;   /* per DAG node: the let whose value it is, or -1 */
  int32_t *input_of; /* per DAG node: the state whose input register it is, or -1 */
  syn_strbuf out;
};

/* The text of each op, in the formula syntax; NULL: not a plain call or infix. */
static const char *const op_text[SYN_OP_COUNT] = {
    [SYN_OP_EXP] = "exp",     [SYN_OP_LOG] = "ln",      [SYN_OP_LOG10] = "log10",
    [SYN_OP_SQRT] = "sqrt",   [SYN_OP_ABS] = "abs",     [SYN_OP_FLOOR] = "floor",
    [SYN_OP_CEIL] = "ceil",   [SYN_OP_SIN] = "sin",     [SYN_OP_COS] = "cos",
    [SYN_OP_TAN] = "tan",     [SYN_OP_ASIN] = "asin",   [SYN_OP_ACOS] = "acos",
    [SYN_OP_ATAN] = "atan",   [SYN_OP_SINH] = "sinh",   [SYN_OP_COSH] = "cosh",
    [SYN_OP_TANH] = "tanh",   [SYN_OP_MIN] = "min",     [SYN_OP_MAX] = "max",
    [SYN_OP_ADD] = " + ",     [SYN_OP_SUB] = " - ",     [SYN_OP_MUL] = " * ",
    [SYN_OP_DIV] = " / ",     [SYN_OP_POW] = " ^ ",      [SYN_OP_LT] = " < ",
    [SYN_OP_LE] = " <= ",     [SYN_OP_GT] = " > ",      [SYN_OP_GE] = " >= ",
    [SYN_OP_EQ] = " == ",     [SYN_OP_NE] = " != ",     [SYN_OP_AND] = " && ",
    [SYN_OP_OR] = " || ",
};

void syn_expr_number(double v, char *buf, size_t size) {
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(buf, size, "%.*g", digits, v);
    if (strtod(buf, NULL) == v) break;
  }
}

static int is_infix(syn_op op) { return op >= SYN_OP_ADD && op <= SYN_OP_OR; }
static int is_logical(syn_op op) { return op >= SYN_OP_LT && op <= SYN_OP_OR; }
static int is_boolean(syn_op op) { return op == SYN_OP_NOT || is_logical(op); }

static void put_num(syn_expr_printer *p, uint32_t id, uint32_t root);

static void put_leaf(syn_expr_printer *p, const dag_node *n, uint32_t id) {
  const syn_model *m = p->m;
  size_t ncomp = m->nsym[SYN_SYM_COMPARTMENT];
  char num[40];
  switch ((syn_op)n->op) {
  case SYN_OP_CONST:
    syn_expr_number(n->value, num, sizeof num);
    syn_strbuf_append(&p->out, n->value < 0 ? "(" : "");
    syn_strbuf_append(&p->out, num);
    syn_strbuf_append(&p->out, n->value < 0 ? ")" : "");
    return;
  case SYN_OP_TIME: syn_strbuf_append(&p->out, "time"); return;
  case SYN_OP_STATE:
    syn_strbuf_append(&p->out, p->names.symbol(p->names.ctx, SYN_SYM_STATE, n->a));
    return;
  default: break;
  }
  if (p->input_of[id] >= 0)
    syn_strbuf_append(&p->out, p->names.input(p->names.ctx, (size_t)p->input_of[id]));
  else if (n->a < ncomp)
    syn_strbuf_append(&p->out, p->names.symbol(p->names.ctx, SYN_SYM_COMPARTMENT, n->a));
  else
    syn_strbuf_append(&p->out, p->names.symbol(p->names.ctx, SYN_SYM_PARAM, n->a - ncomp));
}

/* A condition: comparisons and logic as they are, any other value as x != 0. */
static void put_bool(syn_expr_printer *p, uint32_t id, uint32_t root) {
  const dag_node *n = &p->m->dag.nodes[id];
  syn_op op = (syn_op)n->op;
  if (op == SYN_OP_NOT) {
    syn_strbuf_append(&p->out, "!(");
    put_bool(p, n->a, root);
    syn_strbuf_append(&p->out, ")");
  } else if (is_logical(op)) {
    int logic = op == SYN_OP_AND || op == SYN_OP_OR;
    syn_strbuf_append(&p->out, "(");
    (logic ? put_bool : put_num)(p, n->a, root);
    syn_strbuf_append(&p->out, op_text[op]);
    (logic ? put_bool : put_num)(p, n->b, root);
    syn_strbuf_append(&p->out, ")");
  } else {
    syn_strbuf_append(&p->out, "(");
    put_num(p, id, root);
    syn_strbuf_append(&p->out, " != 0)");
  }
}

static void put_call(syn_expr_printer *p, const dag_node *n, uint32_t root) {
  syn_op op = (syn_op)n->op;
  syn_strbuf_append(&p->out, op_text[op]);
  syn_strbuf_append(&p->out, "(");
  put_num(p, n->a, root);
  if (syn_op_arity(op) == 2) {
    syn_strbuf_append(&p->out, ", ");
    put_num(p, n->b, root);
  }
  syn_strbuf_append(&p->out, ")");
}

/* Operations that are not a call or an infix operator of the syntax. */
static void put_special(syn_expr_printer *p, const dag_node *n, uint32_t root) {
  syn_op op = (syn_op)n->op;
  if (op == SYN_OP_NEG) {
    syn_strbuf_append(&p->out, "(-");
    put_num(p, n->a, root);
    syn_strbuf_append(&p->out, ")");
  } else if (op == SYN_OP_IF) {
    syn_strbuf_append(&p->out, "piecewise(");
    put_num(p, n->b, root);
    syn_strbuf_append(&p->out, ", ");
    put_bool(p, n->a, root);
    syn_strbuf_append(&p->out, ", ");
    put_num(p, n->c, root);
    syn_strbuf_append(&p->out, ")");
  } else { /* SIGN: keeps 0 and NaN, as syn_op_apply */
    syn_strbuf_append(&p->out, "piecewise(1, ");
    put_num(p, n->a, root);
    syn_strbuf_append(&p->out, " > 0, -1, ");
    put_num(p, n->a, root);
    syn_strbuf_append(&p->out, " < 0, ");
    put_num(p, n->a, root);
    syn_strbuf_append(&p->out, ")");
  }
}

/* A value. A comparison or logic used as a number is 1 or 0. */
static void put_num(syn_expr_printer *p, uint32_t id, uint32_t root) {
  const dag_node *n = &p->m->dag.nodes[id];
  syn_op op = (syn_op)n->op;
  if (id != root && p->let_of[id] >= 0) {
    syn_strbuf_append(&p->out,
                      p->names.symbol(p->names.ctx, SYN_SYM_LET, (size_t)p->let_of[id]));
  } else if (syn_op_arity(op) == 0) {
    put_leaf(p, n, id);
  } else if (is_boolean(op)) {
    syn_strbuf_append(&p->out, "piecewise(1, ");
    put_bool(p, id, root);
    syn_strbuf_append(&p->out, ", 0)");
  } else if (is_infix(op)) {
    syn_strbuf_append(&p->out, "(");
    put_num(p, n->a, root);
    syn_strbuf_append(&p->out, op_text[op]);
    put_num(p, n->b, root);
    syn_strbuf_append(&p->out, ")");
  } else if (op_text[op] != NULL) {
    put_call(p, n, root);
  } else {
    put_special(p, n, root);
  }
}

/* Which let each node is the value of (the first declared), and which state's
 * input each input register is. */
static int label(syn_expr_printer *p) {
  const syn_model *m = p->m;
  size_t n = m->dag.n;
  p->let_of = syn_malloc((n + 1) * sizeof *p->let_of);
  p->input_of = syn_malloc((n + 1) * sizeof *p->input_of);
  if (p->let_of == NULL || p->input_of == NULL) return -1;
  for (size_t k = 0; k < n; k++) p->let_of[k] = p->input_of[k] = -1;
  for (size_t i = m->nsym[SYN_SYM_LET]; i-- > 0;) {
    uint32_t node = m->info[SYN_SYM_LET][i].node;
    if (node != DAG_NONE) p->let_of[node] = (int32_t)i;
  }
  for (size_t s = 0; s < m->nsym[SYN_SYM_STATE]; s++)
    if (m->input_node[s] != DAG_NONE) p->input_of[m->input_node[s]] = (int32_t)s;
  return 0;
}

syn_status syn_expr_printer_create(const syn_model *m, const syn_expr_names *names,
                                   syn_expr_printer **out, syn_error *err) {
  *out = NULL;
  syn_expr_printer *p = syn_calloc(1, sizeof *p);
  if (p == NULL || (p->m = m, p->names = *names, label(p) != 0)) {
    syn_expr_printer_destroy(p);
    return syn_error_set(err, SYN_ENOMEM, "out of memory");
  }
  *out = p;
  return SYN_OK;
}

void syn_expr_printer_destroy(syn_expr_printer *p) {
  if (p == NULL) return;
  syn_free(p->let_of);
  syn_free(p->input_of);
  syn_strbuf_free(&p->out);
  syn_free(p);
}

/* The text of node root into a new string. */
static syn_status print_root(syn_expr_printer *p, uint32_t root, char **out, syn_error *err) {
  syn_strbuf_clear(&p->out);
  put_num(p, root, root);
  const char *s = syn_strbuf_str(&p->out);
  *out = p->out.failed ? NULL : malloc(strlen(s) + 1);
  if (*out == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  memcpy(*out, s, strlen(s) + 1);
  return SYN_OK;
}

static uint32_t root_of(const syn_model *m, syn_symkind kind, size_t i, syn_expr_part part) {
  if (kind >= SYN_SYM_KIND_COUNT || i >= m->nsym[kind]) return DAG_NONE;
  const sym_info *info = &m->info[kind][i];
  if (part == SYN_EXPR_DERIV) return kind == SYN_SYM_STATE ? info->rhs : DAG_NONE;
  return info->expr;
}

syn_status syn_expr_printer_symbol(syn_expr_printer *p, syn_symkind kind, size_t i,
                                   syn_expr_part part, char **out, int *constant,
                                   syn_error *err) {
  *out = NULL;
  uint32_t root = root_of(p->m, kind, i, part);
  if (root == DAG_NONE)
    return syn_error_set(err, SYN_EINVAL, "syn_expr_printer_symbol: no such expression");
  if (constant) *constant = p->m->dag.nodes[root].op == SYN_OP_CONST;
  return print_root(p, root, out, err);
}

syn_status syn_expr_printer_route_scale(syn_expr_printer *p, size_t r, char **out,
                                        syn_error *err) {
  *out = NULL;
  if (r >= p->m->nroutes)
    return syn_error_set(err, SYN_EINVAL, "syn_expr_printer_route_scale: no route %zu", r);
  uint32_t root = p->m->route_info[r].scale;
  return print_root(p, root == DAG_NONE ? p->m->dag.one : root, out, err);
}
