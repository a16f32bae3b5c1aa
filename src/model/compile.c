/* synovia — from the DAG to bytecode (model layer).
 *
 * Register allocation is trivial and safe: register k holds DAG node k.
 * Programs:
 *   setup   parameters and compartments in dependency order (SETP applies
 *           overrides), initial values (INIT), then every constant node the
 *           other programs use ("hoisting": the rhs only does work that
 *           depends on y or t);
 *   rhs     loads of y/t, the dynamic nodes, STORE ydot[i];
 *   jac     the same for the symbolic Jacobian's nonzeros (CSC order);
 *   out     the same for outputs.
 * The last three are then lowered into the VM's fast form (vm.h).
 * Ascending node id is a topological order, so each program is emitted by
 * one scan over a reachability mark. */
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "model/model_impl.h"

typedef struct cctx {
  syn_model *m;           /* NULL for an emitter (psens.c): the generic parts only */
  const syn_dag *dag;     /* the DAG the programs come from (the model's, or an extension) */
  syn_prog *setup;        /* where constant nodes go */
  syn_error *err;         /* set by a refusal; NULL message: out of memory */
  int refused;
  unsigned char *mark;    /* per node: reachable from the program being emitted */
  unsigned char *emitted; /* per node: computed by setup already */
  uint32_t *stack;
  size_t stack_cap;
  uint32_t *list;         /* the marked nodes */
  size_t nlist, list_cap;
  uint32_t *jac_nodes;
  size_t njac;
} cctx;

/* Mark nodes reachable from roots (descending into all operands), listing
 * them in c->list. With skip_emitted, stop at nodes setup already computed
 * (their operands were computed before them), which keeps building setup
 * linear in the size of the DAG. */
static int mark_from(cctx *c, const uint32_t *roots, size_t nroots, int skip_emitted) {
  const syn_dag *d = c->dag;
  for (size_t r = 0; r < nroots; r++) {
    size_t top = 0;
    if (syn_grow((void **)&c->stack, &c->stack_cap, 1, sizeof *c->stack)) return -1;
    c->stack[top++] = roots[r];
    while (top > 0) {
      uint32_t k = c->stack[--top];
      if (c->mark[k] || (skip_emitted && c->emitted[k])) continue;
      c->mark[k] = 1;
      if (syn_grow((void **)&c->list, &c->list_cap, c->nlist + 1, sizeof *c->list)) return -1;
      c->list[c->nlist++] = k;
      const dag_node *nd = &d->nodes[k];
      int n = syn_op_arity((syn_op)nd->op);
      if (syn_grow((void **)&c->stack, &c->stack_cap, top + 3, sizeof *c->stack)) return -1;
      if (n >= 1) c->stack[top++] = nd->a;
      if (n >= 2) c->stack[top++] = nd->b;
      if (n >= 3) c->stack[top++] = nd->c;
    }
  }
  return 0;
}

static int cmp_u32(const void *x, const void *y) {
  uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
  return (a > b) - (a < b);
}

/* Sort the marked list (ascending id = evaluation order). */
static void sort_marked(cctx *c) {
  if (c->nlist > 1) qsort(c->list, c->nlist, sizeof *c->list, cmp_u32);
}

static void clear_marks(cctx *c) {
  for (size_t i = 0; i < c->nlist; i++) c->mark[c->list[i]] = 0;
  c->nlist = 0;
}

static int emit_node(syn_prog *p, const syn_dag *d, uint32_t k) {
  const dag_node *nd = &d->nodes[k];
  switch ((syn_op)nd->op) {
    case SYN_OP_CONST:
    case SYN_OP_PARAM: return 0; /* preloaded / set by setup */
    case SYN_OP_STATE: return syn_prog_emit(p, SYN_OP_LOADY, k, nd->a, 0, 0, k);
    case SYN_OP_TIME: return syn_prog_emit(p, SYN_OP_LOADT, k, 0, 0, 0, k);
    default: {
      int n = syn_op_arity((syn_op)nd->op);
      return syn_prog_emit(p, (syn_op)nd->op, k, nd->a, n >= 2 ? nd->b : nd->a,
                           n >= 3 ? nd->c : nd->a, k);
    }
  }
}

/* Emit into setup every constant op node of the (sorted) marked list not yet computed. */
static int emit_constant_part(cctx *c) {
  const syn_dag *d = c->dag;
  for (size_t i = 0; i < c->nlist; i++) {
    uint32_t k = c->list[i];
    if (c->emitted[k] || d->nodes[k].dyn) continue;
    c->emitted[k] = 1;
    if (emit_node(c->setup, d, k)) return -1;
  }
  return 0;
}

/* A program for roots: hoisted part into setup, dynamic part here, then stores. */
static int emit_program(cctx *c, syn_prog *p, const uint32_t *roots, size_t nroots) {
  const syn_dag *d = c->dag;
  if (mark_from(c, roots, nroots, 0)) return -1;
  sort_marked(c);
  if (emit_constant_part(c)) return -1;
  for (size_t i = 0; i < c->nlist; i++)
    if (d->nodes[c->list[i]].dyn && emit_node(p, d, c->list[i])) return -1;
  clear_marks(c);
  for (size_t i = 0; i < nroots; i++)
    if (syn_prog_emit(p, SYN_OP_STORE, (uint32_t)i, roots[i], 0, 0, DAG_NONE)) return -1;
  return 0;
}

/* Which symbol a PARAM leaf index belongs to. */
static const sym_info *const_info(const syn_model *m, uint32_t cidx) {
  size_t nc = m->nsym[SYN_SYM_COMPARTMENT];
  return cidx < nc ? &m->info[SYN_SYM_COMPARTMENT][cidx] : &m->info[SYN_SYM_PARAM][cidx - nc];
}

/* Route scales and preset values: constants read from registers after setup. */
static int emit_setup_extras(cctx *c) {
  syn_model *m = c->m;
  for (size_t r = 0; r < m->nroutes; r++) {
    if (m->route_info[r].scale == DAG_NONE) continue;
    if (mark_from(c, &m->route_info[r].scale, 1, 1)) return -1;
  }
  for (size_t p = 0; p < m->npresets; p++)
    for (size_t a = 0; a < m->presets[p].nassigns; a++)
      if (mark_from(c, &m->presets[p].assigns[a].node, 1, 1)) return -1;
  sort_marked(c);
  int rc = emit_constant_part(c);
  clear_marks(c);
  return rc;
}

/* Parameters in dependency order, each SETP right after its expression; then
 * initial values, then route scales and preset values. */
static int emit_setup_definitions(cctx *c) {
  syn_model *m = c->m;
  for (size_t o = 0; o < m->nconst; o++) {
    const sym_info *si = const_info(m, m->const_order[o]);
    if (mark_from(c, &si->expr, 1, 1)) return -1;
    sort_marked(c);
    if (emit_constant_part(c)) return -1;
    clear_marks(c);
    if (syn_prog_emit(&m->setup, SYN_OP_SETP, si->node, si->expr, m->const_order[o], 0, DAG_NONE))
      return -1;
  }
  for (size_t i = 0; i < m->nsym[SYN_SYM_STATE]; i++) {
    const sym_info *si = &m->info[SYN_SYM_STATE][i];
    if (mark_from(c, &si->expr, 1, 1)) return -1;
    sort_marked(c);
    if (emit_constant_part(c)) return -1;
    clear_marks(c);
    if (syn_prog_emit(&m->setup, SYN_OP_INIT, (uint32_t)i, si->expr, 0, 0, DAG_NONE)) return -1;
  }
  return emit_setup_extras(c);
}

/* The most nonzero entries a Jacobian may have. The compile costs about 32
 * bytes an entry (pattern, value node, a STORE instruction), a run as much
 * again plus the factorisations; a state that every d/dt depends on (an
 * aggregate over joints in a per-joint d/dt) makes n^2 entries: 3 GB and
 * minutes of compiling at 10^4 joints, 10^10 entries at 10^5. 2^25 entries
 * is a dense coupling of 5792 states. */
enum { JAC_MAX_NNZ = SYN_DERIV_MAX_NNZ };

/* Refuses a model whose Jacobian has more than JAC_MAX_NNZ entries, located
 * at the state whose column passes the bound: counted column by column
 * without building anything, so the refusal costs about JAC_MAX_NNZ steps
 * whatever the model's size. */
static int check_jacobian_size(cctx *c, syn_jac_cols *jc) {
  syn_model *m = c->m;
  size_t ns = m->nsym[SYN_SYM_STATE], total = 0;
  for (size_t j = 0; j < ns; j++) {
    size_t count = syn_jac_cols_count(jc, (uint32_t)j);
    total += count;
    if (total <= JAC_MAX_NNZ) continue;
    const sym_info *si = &m->info[SYN_SYM_STATE][j];
    syn_diag(c->err, m->prog->sources, si->decl->name_span, SYN_ELIMIT,
             "the Jacobian would have more than %d nonzero entries: %zu of the %zu d/dt "
             "equations depend on '%s'", JAC_MAX_NNZ, count, ns, m->sym[SYN_SYM_STATE][j].name);
    if (2 * count > ns)
      syn_error_hint(c->err, "when (nearly) every d/dt depends on every state, e.g. through an "
                     "aggregate such as sum(joint, X) in a per-joint d/dt, the Jacobian is dense "
                     "(%zu^2 entries; at most %zu states can be coupled so); a systemic state "
                     "that the aggregate drives (d/dt S = \xe2\x80\xa6 sum(joint, X) \xe2\x80\xa6) "
                     "and that the per-joint d/dt reads keeps it sparse", ns,
                     (size_t)sqrt((double)JAC_MAX_NNZ));
    else
      syn_error_hint(c->err, "the model couples too many states with each other for an exact "
                     "Jacobian; split it into smaller models");
    c->refused = 1;
    return -1;
  }
  return 0;
}

/* Symbolic Jacobian, column by column: pattern (CSC) and value nodes. */
static int build_jacobian(cctx *c, const uint32_t *rhs) {
  syn_model *m = c->m;
  size_t ns = m->nsym[SYN_SYM_STATE], cap_rows = 0, cap_nodes = 0, count = 0;
  int rc = -1;
  syn_jac_cols *jc = syn_jac_cols_create(&m->dag, rhs, ns);
  uint32_t *rows = syn_malloc((ns + 1) * sizeof *rows);
  uint32_t *vals = syn_malloc((ns + 1) * sizeof *vals);
  m->colptr = syn_calloc(ns + 1, sizeof *m->colptr);
  if (jc == NULL || rows == NULL || vals == NULL || m->colptr == NULL) goto done;
  if (check_jacobian_size(c, jc) != 0) goto done;
  for (size_t j = 0; j < ns; j++) {
    if (syn_jac_cols_get(jc, (uint32_t)j, rows, vals, &count) != 0) goto done;
    if (syn_grow((void **)&m->rowind, &cap_rows, c->njac + count + 1, sizeof *m->rowind) ||
        syn_grow((void **)&c->jac_nodes, &cap_nodes, c->njac + count + 1, sizeof *c->jac_nodes))
      goto done;
    for (size_t k = 0; k < count; k++) {
      m->rowind[c->njac] = (int32_t)rows[k];
      c->jac_nodes[c->njac++] = vals[k];
    }
    if (c->njac > INT32_MAX) goto done;
    m->colptr[j + 1] = (int32_t)c->njac;
  }
  m->nnz = c->njac;
  rc = 0;
done:
  syn_jac_cols_destroy(jc);
  syn_free(rows);
  syn_free(vals);
  return rc;
}

/* Claim for root r every node below it that no earlier root claimed. */
static int claim(cctx *c, int32_t *owner, uint32_t root, int32_t r) {
  const syn_dag *d = &c->m->dag;
  size_t top = 0;
  if (syn_grow((void **)&c->stack, &c->stack_cap, 1, sizeof *c->stack)) return -1;
  c->stack[top++] = root;
  while (top > 0) {
    uint32_t k = c->stack[--top];
    if (owner[k] >= 0) continue; /* and so is everything below it */
    owner[k] = r;
    const dag_node *nd = &d->nodes[k];
    int n = syn_op_arity((syn_op)nd->op);
    if (syn_grow((void **)&c->stack, &c->stack_cap, top + 3, sizeof *c->stack)) return -1;
    if (n >= 1) c->stack[top++] = nd->a;
    if (n >= 2) c->stack[top++] = nd->b;
    if (n >= 3) c->stack[top++] = nd->c;
  }
  return 0;
}

/* For diagnoses: which d/dt (or output) first uses each node, and the
 * symbol each node is the value of. */
static int label_nodes(cctx *c, const uint32_t *rhs, const uint32_t *outs) {
  syn_model *m = c->m;
  size_t n = m->dag.n;
  m->owner_rhs = syn_malloc((n + 1) * sizeof *m->owner_rhs);
  m->owner_out = syn_malloc((n + 1) * sizeof *m->owner_out);
  m->node_name = syn_calloc(n + 1, sizeof *m->node_name);
  if (!m->owner_rhs || !m->owner_out || !m->node_name) return -1;
  for (size_t k = 0; k < n; k++) m->owner_rhs[k] = m->owner_out[k] = -1;
  for (size_t r = 0; r < m->nsym[SYN_SYM_STATE]; r++)
    if (claim(c, m->owner_rhs, rhs[r], (int32_t)r)) return -1;
  for (size_t r = 0; r < m->nsym[SYN_SYM_OUTPUT]; r++)
    if (claim(c, m->owner_out, outs[r], (int32_t)r)) return -1;
  for (int k = 0; k < SYN_SYM_KIND_COUNT; k++)
    for (size_t i = 0; i < m->nsym[k]; i++) {
      uint32_t node = m->info[k][i].node;
      if (node != DAG_NONE && m->node_name[node] == NULL) m->node_name[node] = m->sym[k][i].name;
    }
  return 0;
}

static int build_register_image(syn_model *m) {
  m->nregs = m->dag.n;
  m->reg_init = syn_calloc(m->nregs + 1, sizeof *m->reg_init);
  if (m->reg_init == NULL) return -1;
  for (size_t k = 0; k < m->nregs; k++)
    if (m->dag.nodes[k].op == SYN_OP_CONST) m->reg_init[k] = m->dag.nodes[k].value;
  m->state_names = syn_calloc(m->nsym[SYN_SYM_STATE] + 1, sizeof *m->state_names);
  if (m->state_names == NULL) return -1;
  for (size_t i = 0; i < m->nsym[SYN_SYM_STATE]; i++)
    m->state_names[i] = m->sym[SYN_SYM_STATE][i].name;
  return 0;
}

/* The fast forms of the hot programs (vm.h); setup runs once per instance
 * and keeps its plain form. */
static int lower_programs(syn_model *m) {
  unsigned char *is_const = syn_calloc(m->nregs + 1, 1);
  if (is_const == NULL) return -1;
  for (size_t k = 0; k < m->nregs; k++) is_const[k] = m->dag.nodes[k].op == SYN_OP_CONST;
  int rc = 0;
  syn_prog *progs[4] = {&m->rhs, &m->jac, &m->out, &m->ev_roots};
  for (int i = 0; i < 4 && rc == 0; i++)
    rc = syn_prog_lower(progs[i], m->reg_init, is_const, m->nregs);
  syn_free(is_const);
  return rc;
}

/* The events' programs (model_impl.h): root functions, and per
 * event its delay, priority and assigned values. */
static int emit_event_programs(cctx *c) {
  syn_model *m = c->m;
  if (m->nevents == 0) return 0;
  int rc = -1;
  uint32_t *vals = syn_malloc((m->nvals + 1) * sizeof *vals);
  if (vals == NULL) goto done;
  for (size_t e = 0; e < m->nevents; e++) {
    const model_event *ev = &m->events[e];
    vals[ev->val0] = ev->delay;
    vals[ev->val0 + 1] = ev->priority;
    for (size_t a = 0; a < ev->nassigns; a++) vals[ev->val0 + 2 + a] = ev->assigns[a].node;
  }
  if (emit_program(c, &m->ev_roots, m->root_nodes, m->nroots) == 0 &&
      emit_program(c, &m->ev_vals, vals, m->nvals) == 0)
    rc = 0;
done:
  syn_free(vals);
  return rc;
}

static int compile_all(cctx *c) {
  syn_model *m = c->m;
  size_t ns = m->nsym[SYN_SYM_STATE], no = m->nsym[SYN_SYM_OUTPUT];
  int rc = -1;
  uint32_t *rhs = syn_malloc((ns + 1) * sizeof *rhs);
  uint32_t *outs = syn_malloc((no + 1) * sizeof *outs);
  if (rhs == NULL || outs == NULL) goto done;
  for (size_t i = 0; i < ns; i++) rhs[i] = m->info[SYN_SYM_STATE][i].rhs;
  for (size_t i = 0; i < no; i++) outs[i] = m->info[SYN_SYM_OUTPUT][i].node;
  if (build_jacobian(c, rhs)) goto done;
  /* the DAG is complete: size the per-node arrays */
  c->mark = syn_calloc(m->dag.n + 1, 1);
  c->emitted = syn_calloc(m->dag.n + 1, 1);
  if (c->mark == NULL || c->emitted == NULL) goto done;
  if (emit_setup_definitions(c)) goto done;
  if (emit_program(c, &m->rhs, rhs, ns)) goto done;
  if (emit_program(c, &m->jac, c->jac_nodes, c->njac)) goto done;
  if (emit_program(c, &m->out, outs, no)) goto done;
  if (emit_event_programs(c)) goto done;
  if (label_nodes(c, rhs, outs) || build_register_image(m) || lower_programs(m)) goto done;
  rc = 0;
done:
  syn_free(rhs);
  syn_free(outs);
  return rc;
}

syn_status syn_model_compile(syn_model *m, syn_error *err) {
  cctx c = {.m = m, .dag = &m->dag, .setup = &m->setup, .err = err};
  int rc = compile_all(&c);
  if (m->dag.failed) rc = -1;
  syn_free(c.mark);
  syn_free(c.emitted);
  syn_free(c.stack);
  syn_free(c.list);
  syn_free(c.jac_nodes);
  if (c.refused) return err->code;
  return rc ? syn_error_set(err, SYN_ENOMEM, "out of memory") : SYN_OK;
}

/* ---- programs over an extension of the model's DAG (psens.c) ------------ */

struct syn_emitter {
  cctx c;
};

syn_emitter *syn_emitter_create(const syn_dag *d, syn_prog *setup, const unsigned char *ready) {
  syn_emitter *e = syn_calloc(1, sizeof *e);
  if (e == NULL) return NULL;
  e->c = (cctx){.dag = d, .setup = setup};
  e->c.mark = syn_calloc(d->n + 1, 1);
  e->c.emitted = syn_malloc(d->n + 1);
  if (e->c.mark == NULL || e->c.emitted == NULL) {
    syn_emitter_destroy(e);
    return NULL;
  }
  memcpy(e->c.emitted, ready, d->n);
  return e;
}

void syn_emitter_destroy(syn_emitter *e) {
  if (e == NULL) return;
  syn_free(e->c.mark);
  syn_free(e->c.emitted);
  syn_free(e->c.stack);
  syn_free(e->c.list);
  syn_free(e);
}

int syn_emitter_define(syn_emitter *e, uint32_t leaf, uint32_t expr, uint32_t cidx) {
  cctx *c = &e->c;
  if (syn_emitter_constants(e, &expr, 1)) return -1;
  c->emitted[leaf] = 1;
  return syn_prog_emit(c->setup, SYN_OP_SETP, leaf, expr, cidx, 0, DAG_NONE);
}

int syn_emitter_constants(syn_emitter *e, const uint32_t *roots, size_t n) {
  cctx *c = &e->c;
  if (mark_from(c, roots, n, 1)) return -1;
  sort_marked(c);
  int rc = emit_constant_part(c);
  clear_marks(c);
  return rc;
}

int syn_emitter_program(syn_emitter *e, syn_prog *p, const uint32_t *roots, size_t n) {
  return emit_program(&e->c, p, roots, n);
}
