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

/* The text built in p->out into a new string. */
static syn_status take_text(syn_expr_printer *p, char **out, syn_error *err) {
  const char *s = syn_strbuf_str(&p->out);
  *out = p->out.failed ? NULL : malloc(strlen(s) + 1);
  if (*out == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  memcpy(*out, s, strlen(s) + 1);
  return SYN_OK;
}

/* The text of node root into a new string. */
static syn_status print_root(syn_expr_printer *p, uint32_t root, char **out, syn_error *err) {
  syn_strbuf_clear(&p->out);
  put_num(p, root, root);
  return take_text(p, out, err);
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

/* --- events ------------------------------------------------------------------------------- */

/* Lets inside an event's expressions are always written by name. */
enum { NO_ROOT = UINT32_MAX };

/* Where the condition subtree ending at postfix position k starts. */
static size_t cond_start(const syn_model *m, const model_event *me, size_t k) {
  uint8_t op = m->cond_ops[me->cop0 + k].op;
  if (op == SYN_OP_NOT) return cond_start(m, me, k - 1);
  if (op == SYN_OP_AND || op == SYN_OP_OR) return cond_start(m, me, cond_start(m, me, k - 1) - 1);
  return k;
}

/* A comparison of root function g = lhs - rhs with 0: written `lhs OP rhs`
 * when g is that subtraction (the same truth value for finite numbers, and
 * what SBML readers find roots of), else `g OP 0`. */
static void put_comparison(syn_expr_printer *p, const cond_op *op) {
  uint32_t g = p->m->root_nodes[op->root];
  const dag_node *n = &p->m->dag.nodes[g];
  syn_strbuf_append(&p->out, "(");
  put_num(p, n->op == SYN_OP_SUB ? n->a : g, NO_ROOT);
  syn_strbuf_append(&p->out, op_text[op->op]);
  if (n->op == SYN_OP_SUB) put_num(p, n->b, NO_ROOT);
  else syn_strbuf_append(&p->out, "0");
  syn_strbuf_append(&p->out, ")");
}

/* The condition subtree ending at postfix position k, infix. */
static void put_cond(syn_expr_printer *p, const model_event *me, size_t k) {
  const cond_op *op = &p->m->cond_ops[me->cop0 + k];
  if (op->op == SYN_OP_NOT) {
    syn_strbuf_append(&p->out, "!(");
    put_cond(p, me, k - 1);
    syn_strbuf_append(&p->out, ")");
  } else if (op->op == SYN_OP_AND || op->op == SYN_OP_OR) {
    size_t right = cond_start(p->m, me, k - 1);
    syn_strbuf_append(&p->out, "(");
    put_cond(p, me, right - 1);
    syn_strbuf_append(&p->out, op_text[op->op]);
    put_cond(p, me, k - 1);
    syn_strbuf_append(&p->out, ")");
  } else {
    put_comparison(p, op);
  }
}

static syn_status print_node(syn_expr_printer *p, uint32_t node, char **out, syn_error *err) {
  syn_strbuf_clear(&p->out);
  put_num(p, node, NO_ROOT);
  return take_text(p, out, err);
}

/* An assignment's target as a symbol kind and index (a constant's is a PARAM
 * leaf index: compartments first). */
static void event_target(const syn_model *m, const event_assign *a, syn_symkind *kind,
                         size_t *index) {
  size_t ncomp = m->nsym[SYN_SYM_COMPARTMENT];
  *kind = a->kind == SYN_SYM_STATE ? SYN_SYM_STATE
          : a->index < ncomp      ? SYN_SYM_COMPARTMENT
                                  : SYN_SYM_PARAM;
  *index = *kind == SYN_SYM_PARAM ? a->index - ncomp : a->index;
}

static syn_status event_assignments(syn_expr_printer *p, const model_event *me,
                                    syn_expr_event *out, syn_error *err) {
  out->kind = calloc(me->nassigns + 1, sizeof *out->kind);
  out->index = calloc(me->nassigns + 1, sizeof *out->index);
  out->value = calloc(me->nassigns + 1, sizeof *out->value);
  if (!out->kind || !out->index || !out->value)
    return syn_error_set(err, SYN_ENOMEM, "out of memory");
  out->nassigns = me->nassigns;
  syn_status st = SYN_OK;
  for (size_t k = 0; st == SYN_OK && k < me->nassigns; k++) {
    event_target(p->m, &me->assigns[k], &out->kind[k], &out->index[k]);
    st = print_node(p, me->assigns[k].node, &out->value[k], err);
  }
  return st;
}

syn_status syn_expr_printer_event(syn_expr_printer *p, size_t e, syn_expr_event *out,
                                  syn_error *err) {
  memset(out, 0, sizeof *out);
  if (e >= p->m->nevents)
    return syn_error_set(err, SYN_EINVAL, "syn_expr_printer_event: no event %zu", e);
  const model_event *me = &p->m->events[e];
  out->persistent = !(me->flags & AST_EVENT_TRANSIENT);
  out->initial_value = !(me->flags & AST_EVENT_INITIALLY_FALSE);
  out->values_at_trigger = !(me->flags & AST_EVENT_AT_EXECUTION);
  syn_strbuf_clear(&p->out);
  put_cond(p, me, me->ncop - 1);
  syn_status st = take_text(p, &out->trigger, err);
  if (st == SYN_OK && me->decl->delay) st = print_node(p, me->delay, &out->delay, err);
  if (st == SYN_OK && me->has_priority) st = print_node(p, me->priority, &out->priority, err);
  return st == SYN_OK ? event_assignments(p, me, out, err) : st;
}

void syn_expr_event_free(syn_expr_event *ev) {
  if (ev == NULL) return;
  for (size_t k = 0; ev->value && k < ev->nassigns; k++) free(ev->value[k]);
  free(ev->trigger);
  free(ev->delay);
  free(ev->priority);
  free(ev->kind);
  free(ev->index);
  free(ev->value);
  memset(ev, 0, sizeof *ev);
}
