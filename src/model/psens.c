/* synovia — derivatives with respect to parameters (model layer; see
 * include/synovia/psens.h).
 *
 * The model's DAG is immutable and shared, so a syn_psens starts from a copy
 * of it and adds the derivative nodes there (deriv.c, the same rules as the
 * Jacobian), then emits programs with the compiler's rules (compile.c): the
 * parts that depend on parameters only into a setup program that
 * syn_psens_prepare runs once per parameter set over a copy of the
 * instance's registers, the parts that depend on y or t into programs per
 * part, lowered into the VM's fast form.
 *
 * A parameter defined from others (`param c = a*b`) is a leaf computed by
 * the model's setup: its derivative with respect to a free a is a leaf of
 * its own, D = dc/da, computed by this setup with SETP from the derivative
 * of c's expression, so that an override of c (pset) makes it 0 as it makes
 * c independent of a. An overridden initial value is handled the same way
 * when the values are read (yset). */
#include "synovia/psens.h"

#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "model/model_impl.h"

/* The rows of all roots differentiated with respect to parameters, in one
 * syn_dcols: rhs, outputs, initial values, route scales. */
enum { R_RHS, R_OUT, R_Y0, R_SCALE, R_COUNT };

typedef struct part_pattern {
  int32_t *colptr, *rowind;
  uint32_t *node;         /* per entry: the DAG node of the value */
  unsigned char *self;    /* DY0DP: the entry is a free initial value itself (1) */
  size_t nnz, nrows, ncols;
  size_t cap_rows, cap_node, cap_self;
} part_pattern;

typedef struct dleaf {
  uint32_t leaf, de, cidx; /* D leaf <- de, cut by an override of constant cidx */
} dleaf;

struct syn_psens {
  const syn_model *m;
  size_t nfree;
  char **names;
  syn_symkind *kind;
  uint32_t **seeds;       /* per free parameter: its PARAM leaves (or states, for initial values) */
  size_t *nseeds;
  syn_dag dag;            /* the model's DAG and the derivatives */
  size_t nregs;
  double *reg_init;       /* constants of the nodes past the model's */
  double *zeros;          /* nconst: the "override" of a derivative that an override cuts */
  syn_prog setup, dfdp, doutdy, doutdp;
  part_pattern pat[SYN_PSENS_PART_COUNT];
  uint32_t *inputs;       /* input register nodes, read from the instance at each eval */
  size_t ninputs;
  dleaf *dleaves;         /* in creation order (dependency order) */
  size_t ndleaves, dleaves_cap;
  uint32_t next_index;    /* PARAM leaf index of the next D leaf */
  /* the events' derivatives (event_sens.c): rows the root functions, then
   * the event values (ev_vals: delay, priority, assigned values); columns
   * the states, time, the free parameters; and the same entries by rows */
  part_pattern evpat;
  int32_t *ev_rowptr, *ev_ent, *ev_col;
  syn_prog evd;
  /* the constants events assign (event_sens.c): q = 0..nq, their leaves,
   * and the derivatives of the rhs and the outputs with respect to each
   * taken directly (no links: an execution freezes every other constant,
   * so one defined from q no longer follows it) */
  size_t nq;
  long conflict_c, conflict_q; /* a constant not free defined from an assigned one (-1: none) */
  uint32_t *qnode;
  int32_t *qof;           /* nconst: the q of a constant, or -1 */
  part_pattern qpat[2];   /* d rhs / d q (states x nq), d out / d q (outputs x nq) */
  syn_prog dfdq, doutdq;
};

struct syn_psens_work {
  const syn_psens *ps;
  const syn_instance *inst; /* prepared from, NULL before */
  double *reg;
  double *param;            /* scratch that SETP writes */
  double *evv;              /* the events' derivatives at the last syn_psens_event_eval */
  double *qv[2];            /* d rhs / d q, d out / d q at the last syn_psens_events_eval */
};

/* ---- names ------------------------------------------------------------------------------- */

static char *copy_string(const char *s) {
  size_t n = strlen(s) + 1;
  char *c = syn_malloc(n);
  if (c != NULL) memcpy(c, s, n);
  return c;
}

static syn_status unknown_free(const syn_model *m, const char *name, syn_error *err) {
  unsigned mask = (1u << SYN_SYM_COMPARTMENT) | (1u << SYN_SYM_PARAM) | (1u << SYN_SYM_STATE);
  const char *sug = syn_names_suggest(m, name, mask);
  syn_status s = sug ? syn_error_set(err, SYN_EINVAL,
                                     "unknown free parameter '%s' (did you mean '%s'?)", name, sug)
                     : syn_error_set(err, SYN_EINVAL, "unknown free parameter '%s'", name);
  syn_error_hint(err, "a free parameter is a parameter, a compartment or a state (its initial "
                      "value) of the model");
  return s;
}

/* The symbols name stands for (all copies of a per-joint name), into idx. */
static syn_status resolve_name(const syn_model *m, const char *name, syn_symkind *kind,
                               size_t *idx, size_t *nidx, syn_error *err) {
  const name_entry *base = syn_names_get(&m->pj_names, name);
  size_t index;
  if (base != NULL) {
    *kind = m->pj[base->index].kind;
    for (size_t j = 0; j < m->njoints; j++) idx[j] = m->pj[base->index].copies[j];
    *nidx = m->njoints;
  } else if (syn_model_lookup(m, name, -1, kind, &index)) {
    idx[0] = index;
    *nidx = 1;
  } else {
    return unknown_free(m, name, err);
  }
  if (*kind == SYN_SYM_LET || *kind == SYN_SYM_OUTPUT) {
    syn_status s = syn_error_set(err, SYN_EINVAL, "'%s' is %s %s and cannot be a free parameter",
                                 name, syn_kind_article(*kind), syn_kind_noun(*kind));
    syn_error_hint(err, "it is computed from other values; make the parameters it uses free");
    return s;
  }
  return SYN_OK;
}

/* name resolves to a symbol that free parameter `first` has already. */
static syn_status given_twice(const char *name, const char *first, syn_error *err) {
  int same = strcmp(name, first) == 0;
  syn_status s = syn_error_set(err, SYN_EINVAL, "'%s' is given twice as a free parameter%s%s%s",
                               name, same ? "" : " (also through '", same ? "" : first,
                               same ? "" : "')");
  syn_error_hint(err, "give each parameter once");
  return s;
}

/* owner: per constant (then per state, past nconst) the free parameter that has it, or -1. */
static syn_status resolve_free(syn_psens *ps, const char *const *names, int32_t *owner,
                               size_t *idx, syn_error *err) {
  const syn_model *m = ps->m;
  for (size_t k = 0; k < ps->nfree; k++) {
    const char *name = names[k] ? names[k] : "";
    size_t n = 0;
    syn_status s = resolve_name(m, name, &ps->kind[k], idx, &n, err);
    if (s != SYN_OK) return s;
    ps->names[k] = copy_string(name);
    ps->seeds[k] = syn_malloc((n + 1) * sizeof *ps->seeds[k]);
    if (ps->names[k] == NULL || ps->seeds[k] == NULL)
      return syn_error_set(err, SYN_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
      int st = ps->kind[k] == SYN_SYM_STATE;
      size_t slot = st ? m->nconst + idx[i] : syn_const_index(m, ps->kind[k], idx[i]);
      if (owner[slot] >= 0) return given_twice(name, ps->names[owner[slot]], err);
      owner[slot] = (int32_t)k;
      ps->seeds[k][i] = st ? (uint32_t)idx[i] : m->info[ps->kind[k]][idx[i]].node;
    }
    for (size_t i = 1; i < n; i++) /* rows ascending (the states of joints are in order already) */
      for (size_t j = i; j > 0 && ps->seeds[k][j - 1] > ps->seeds[k][j]; j--) {
        uint32_t tmp = ps->seeds[k][j];
        ps->seeds[k][j] = ps->seeds[k][j - 1];
        ps->seeds[k][j - 1] = tmp;
      }
    ps->nseeds[k] = n;
  }
  return SYN_OK;
}

/* ---- building the derivatives ---------------------------------------------------------- */

static int copy_dag(syn_dag *to, const syn_dag *from) {
  *to = *from;
  to->nodes = syn_malloc((from->cap + 1) * sizeof *to->nodes);
  to->table = syn_malloc(from->table_cap * sizeof *to->table);
  if (to->nodes == NULL || to->table == NULL) return -1;
  memcpy(to->nodes, from->nodes, from->n * sizeof *to->nodes);
  memcpy(to->table, from->table, from->table_cap * sizeof *to->table);
  to->cap = from->cap + 1;
  return 0;
}

/* The derivative of a parameter defined from others: a leaf of its own (see the top). */
static uint32_t make_dleaf(void *ctx, uint32_t leaf, uint32_t de) {
  syn_psens *ps = ctx;
  if (syn_grow((void **)&ps->dleaves, &ps->dleaves_cap, ps->ndleaves + 1, sizeof *ps->dleaves))
    return DAG_NONE;
  uint32_t d = syn_dag_param(&ps->dag, ps->next_index++);
  if (d == DAG_NONE) return DAG_NONE;
  ps->dleaves[ps->ndleaves++] = (dleaf){.leaf = d, .de = de, .cidx = ps->dag.nodes[leaf].a};
  return d;
}

static int pattern_add(part_pattern *p, uint32_t row, uint32_t node, unsigned char self) {
  if (syn_grow((void **)&p->rowind, &p->cap_rows, p->nnz + 1, sizeof *p->rowind) ||
      syn_grow((void **)&p->node, &p->cap_node, p->nnz + 1, sizeof *p->node) ||
      syn_grow((void **)&p->self, &p->cap_self, p->nnz + 1, sizeof *p->self))
    return -1;
  p->rowind[p->nnz] = (int32_t)row;
  p->node[p->nnz] = node;
  p->self[p->nnz++] = self;
  return 0;
}

static int pattern_init(part_pattern *p, size_t nrows, size_t ncols) {
  p->nrows = nrows;
  p->ncols = ncols;
  p->colptr = syn_calloc(ncols + 1, sizeof *p->colptr);
  return p->colptr ? 0 : -1;
}

static syn_status too_many(const syn_psens *ps, const char *what, const char *where,
                           syn_error *err) {
  syn_status s = syn_error_set(err, SYN_ELIMIT,
                               "the derivatives %s would have more than %d nonzero entries "
                               "(the bound passes at '%s')",
                               what, SYN_DERIV_MAX_NNZ, where);
  syn_error_hint(err, "choose fewer free parameters (%zu given) or a model with fewer "
                      "couplings; the bound is the compiler's on the Jacobian", ps->nfree);
  return s;
}

/* The roots of the parameter derivatives: rhs, outputs, initial values, route scales. */
static uint32_t *param_roots(const syn_psens *ps, size_t start[R_COUNT + 1]) {
  const syn_model *m = ps->m;
  size_t ns = m->nsym[SYN_SYM_STATE], no = m->nsym[SYN_SYM_OUTPUT];
  start[R_RHS] = 0;
  start[R_OUT] = ns;
  start[R_Y0] = ns + no;
  start[R_SCALE] = 2 * ns + no;
  start[R_COUNT] = 2 * ns + no + m->nroutes;
  uint32_t *r = syn_malloc((start[R_COUNT] + 1) * sizeof *r);
  if (r == NULL) return NULL;
  for (size_t i = 0; i < ns; i++) {
    r[start[R_RHS] + i] = m->info[SYN_SYM_STATE][i].rhs;
    r[start[R_Y0] + i] = m->info[SYN_SYM_STATE][i].expr;
  }
  for (size_t i = 0; i < no; i++) r[start[R_OUT] + i] = m->info[SYN_SYM_OUTPUT][i].node;
  for (size_t i = 0; i < m->nroutes; i++)
    r[start[R_SCALE] + i] = m->route_info[i].scale == DAG_NONE ? ps->dag.one
                                                                : m->route_info[i].scale;
  return r;
}

/* Links: every constant that is not free, to its definition. */
static size_t param_links(const syn_psens *ps, const int32_t *owner, uint32_t *leaf,
                          uint32_t *expr) {
  const syn_model *m = ps->m;
  size_t n = 0;
  for (size_t c = 0; c < m->nconst; c++) {
    if (owner[c] >= 0) continue;
    size_t nc = m->nsym[SYN_SYM_COMPARTMENT];
    const sym_info *si = c < nc ? &m->info[SYN_SYM_COMPARTMENT][c] : &m->info[SYN_SYM_PARAM][c - nc];
    if (si->expr == DAG_NONE || si->node == DAG_NONE) continue;
    leaf[n] = si->node;
    expr[n++] = si->expr;
  }
  return n;
}

/* Split one free parameter's entries (rows of all roots) into the parts. */
static int add_param_column(syn_psens *ps, size_t k, const size_t start[R_COUNT + 1],
                            const uint32_t *rows, const uint32_t *vals, size_t count) {
  static const int part_of[R_COUNT] = {SYN_PSENS_DFDP, SYN_PSENS_DOUTDP, SYN_PSENS_DY0DP,
                                       SYN_PSENS_DSCALEDP};
  size_t i = 0;
  for (int r = 0; r < R_COUNT; r++) {
    part_pattern *p = &ps->pat[part_of[r]];
    if (r == R_Y0 && ps->kind[k] == SYN_SYM_STATE) /* the free initial values themselves */
      for (size_t s = 0; s < ps->nseeds[k]; s++)
        if (pattern_add(p, ps->seeds[k][s], ps->dag.one, 1)) return -1;
    for (; i < count && rows[i] < start[r + 1]; i++)
      if (pattern_add(p, rows[i] - (uint32_t)start[r], vals[i], 0)) return -1;
    if (p->nnz > INT32_MAX) return -1;
    p->colptr[k + 1] = (int32_t)p->nnz;
  }
  return 0;
}

static syn_status build_param_derivatives(syn_psens *ps, const int32_t *owner, syn_error *err) {
  const syn_model *m = ps->m;
  size_t start[R_COUNT + 1];
  syn_status s = syn_error_set(err, SYN_ENOMEM, "out of memory");
  uint32_t *roots = param_roots(ps, start);
  uint32_t *lleaf = syn_malloc((m->nconst + 1) * sizeof *lleaf);
  uint32_t *lexpr = syn_malloc((m->nconst + 1) * sizeof *lexpr);
  uint32_t *rows = syn_malloc((start[R_COUNT] + 1) * sizeof *rows);
  uint32_t *vals = syn_malloc((start[R_COUNT] + 1) * sizeof *vals);
  syn_dcols *dc = NULL;
  if (roots == NULL || lleaf == NULL || lexpr == NULL || rows == NULL || vals == NULL) goto done;
  size_t nlinks = param_links(ps, owner, lleaf, lexpr);
  dc = syn_dcols_create(&ps->dag, roots, start[R_COUNT], lleaf, lexpr, nlinks);
  if (dc == NULL) goto done;
  size_t total = 0;
  for (size_t k = 0; k < ps->nfree; k++) {
    int st = ps->kind[k] == SYN_SYM_STATE;
    total += st ? ps->nseeds[k] : syn_dcols_count(dc, ps->seeds[k], ps->nseeds[k]);
    if (total > SYN_DERIV_MAX_NNZ) {
      s = too_many(ps, "with respect to the free parameters", ps->names[k], err);
      goto done;
    }
  }
  for (size_t k = 0; k < ps->nfree; k++) {
    size_t count = 0;
    int st = ps->kind[k] == SYN_SYM_STATE; /* an initial value: no leaf in the expressions */
    if (!st && syn_dcols_get(dc, ps->seeds[k], ps->nseeds[k], make_dleaf, ps, rows, vals, &count))
      goto done;
    if (add_param_column(ps, k, start, rows, vals, count)) goto done;
  }
  s = SYN_OK;
done:
  syn_dcols_destroy(dc);
  syn_free(roots);
  syn_free(lleaf);
  syn_free(lexpr);
  syn_free(rows);
  syn_free(vals);
  return s;
}

/* The rows of the events' derivatives: root functions, then event values. */
static uint32_t *event_rows(const syn_psens *ps) {
  const syn_model *m = ps->m;
  uint32_t *r = syn_malloc((m->nroots + m->nvals + ps->nq + 1) * sizeof *r);
  if (r == NULL) return NULL;
  for (size_t i = 0; i < m->nroots; i++) r[i] = m->root_nodes[i];
  for (size_t q = 0; q < ps->nq; q++) r[m->nroots + m->nvals + q] = ps->qnode[q];
  for (size_t e = 0; e < m->nevents; e++) {
    const model_event *ev = &m->events[e];
    r[m->nroots + ev->val0] = ev->delay;
    r[m->nroots + ev->val0 + 1] = ev->priority;
    for (size_t a = 0; a < ev->nassigns; a++) r[m->nroots + ev->val0 + 2 + a] = ev->assigns[a].node;
  }
  return r;
}

/* Column c of the events' derivatives: d rows / d seeds. */
static int event_column(syn_psens *ps, syn_dcols *dc, size_t c, const uint32_t *seeds,
                        size_t nseeds, uint32_t *rows, uint32_t *vals) {
  size_t count = 0;
  if (nseeds > 0 && syn_dcols_get(dc, seeds, nseeds, make_dleaf, ps, rows, vals, &count)) return -1;
  for (size_t i = 0; i < count; i++)
    if (pattern_add(&ps->evpat, rows[i], vals[i], 0)) return -1;
  ps->evpat.colptr[c + 1] = (int32_t)ps->evpat.nnz;
  return 0;
}

/* The same entries by rows (event_sens.c reads one row at a time). */
static int event_by_rows(syn_psens *ps) {
  part_pattern *p = &ps->evpat;
  ps->ev_rowptr = syn_calloc(p->nrows + 2, sizeof *ps->ev_rowptr);
  ps->ev_ent = syn_malloc((p->nnz + 1) * sizeof *ps->ev_ent);
  ps->ev_col = syn_malloc((p->nnz + 1) * sizeof *ps->ev_col);
  if (ps->ev_rowptr == NULL || ps->ev_ent == NULL || ps->ev_col == NULL) return -1;
  for (size_t e = 0; e < p->nnz; e++) ps->ev_rowptr[p->rowind[e] + 2]++;
  for (size_t r = 0; r < p->nrows; r++) ps->ev_rowptr[r + 2] += ps->ev_rowptr[r + 1];
  for (size_t c = 0; c < p->ncols; c++)
    for (int32_t e = p->colptr[c]; e < p->colptr[c + 1]; e++) {
      int32_t i = ps->ev_rowptr[p->rowind[e] + 1]++;
      ps->ev_ent[i] = e;
      ps->ev_col[i] = (int32_t)c;
    }
  return 0;
}

/* The constants that events assign, each once, with its leaf. */
static int collect_assigned(syn_psens *ps) {
  const syn_model *m = ps->m;
  size_t nc = m->nsym[SYN_SYM_COMPARTMENT];
  ps->qof = syn_malloc((m->nconst + 1) * sizeof *ps->qof);
  ps->qnode = syn_malloc((m->nconst + 1) * sizeof *ps->qnode);
  if (ps->qof == NULL || ps->qnode == NULL) return -1;
  for (size_t c = 0; c < m->nconst; c++) ps->qof[c] = -1;
  for (size_t e = 0; e < m->nevents; e++)
    for (size_t a = 0; a < m->events[e].nassigns; a++) {
      const event_assign *as = &m->events[e].assigns[a];
      if (as->kind == SYN_SYM_STATE || ps->qof[as->index] >= 0) continue;
      const sym_info *si = as->index < nc ? &m->info[SYN_SYM_COMPARTMENT][as->index]
                                          : &m->info[SYN_SYM_PARAM][as->index - nc];
      ps->qof[as->index] = (int32_t)ps->nq;
      ps->qnode[ps->nq++] = si->node == DAG_NONE ? ps->dag.zero : si->node;
    }
  return 0;
}

/* A constant, not free, whose definition reads one that events assign: its
 * derivative leaf would follow the registers an execution changes, while the
 * constant stays frozen (syn_psens_events_check refuses it). Children come
 * before their parents in the DAG: one pass marks what reads which. */
static int find_conflict(syn_psens *ps, const int32_t *owner) {
  const syn_model *m = ps->m;
  size_t nc = m->nsym[SYN_SYM_COMPARTMENT];
  ps->conflict_c = ps->conflict_q = -1;
  if (ps->nq == 0) return 0;
  long *reads = syn_malloc((m->dag.n + 1) * sizeof *reads);
  if (reads == NULL) return -1;
  for (size_t i = 0; i < m->dag.n; i++) {
    const dag_node *nd = &m->dag.nodes[i];
    int arity = syn_op_arity((syn_op)nd->op);
    reads[i] = nd->op == SYN_OP_PARAM && nd->a < m->nconst && ps->qof[nd->a] >= 0 ? (long)nd->a : -1;
    if (arity >= 1 && reads[i] < 0 && nd->a < i) reads[i] = reads[nd->a];
    if (arity >= 2 && reads[i] < 0 && nd->b < i) reads[i] = reads[nd->b];
    if (arity >= 3 && reads[i] < 0 && nd->c < i) reads[i] = reads[nd->c];
  }
  for (size_t c = 0; c < m->nconst && ps->conflict_c < 0; c++) {
    const sym_info *si = c < nc ? &m->info[SYN_SYM_COMPARTMENT][c] : &m->info[SYN_SYM_PARAM][c - nc];
    if (owner[c] >= 0 || si->expr == DAG_NONE || si->expr >= m->dag.n || reads[si->expr] < 0)
      continue;
    ps->conflict_c = (long)c;
    ps->conflict_q = reads[si->expr];
  }
  syn_free(reads);
  return 0;
}

int syn_psens_q_conflict(const syn_psens *ps, long *c, long *q) {
  *c = ps->conflict_c;
  *q = ps->conflict_q;
  return ps->conflict_c >= 0;
}

const char *syn_psens_const_name(const syn_model *m, size_t c) {
  size_t nc = m->nsym[SYN_SYM_COMPARTMENT];
  return c < nc ? m->sym[SYN_SYM_COMPARTMENT][c].name : m->sym[SYN_SYM_PARAM][c - nc].name;
}

/* d rhs / d q and d out / d q for the assigned constants q (no links). */
static syn_status build_q_derivatives(syn_psens *ps, syn_error *err) {
  const syn_model *m = ps->m;
  size_t ns = m->nsym[SYN_SYM_STATE], no = m->nsym[SYN_SYM_OUTPUT];
  syn_status s = syn_error_set(err, SYN_ENOMEM, "out of memory");
  uint32_t *roots = syn_malloc((ns + no + 1) * sizeof *roots);
  uint32_t *rows = syn_malloc((ns + no + 1) * sizeof *rows);
  uint32_t *vals = syn_malloc((ns + no + 1) * sizeof *vals);
  syn_dcols *dc = NULL;
  if (collect_assigned(ps) != 0 || !roots || !rows || !vals ||
      pattern_init(&ps->qpat[0], ns, ps->nq) || pattern_init(&ps->qpat[1], no, ps->nq))
    goto done;
  for (size_t i = 0; i < ns; i++) roots[i] = m->info[SYN_SYM_STATE][i].rhs;
  for (size_t i = 0; i < no; i++) roots[ns + i] = m->info[SYN_SYM_OUTPUT][i].node;
  if (ps->nq > 0 && (dc = syn_dcols_create(&ps->dag, roots, ns + no, NULL, NULL, 0)) == NULL)
    goto done;
  for (size_t q = 0; q < ps->nq; q++) {
    size_t count = 0;
    if (ps->qnode[q] != ps->dag.zero &&
        syn_dcols_get(dc, &ps->qnode[q], 1, make_dleaf, ps, rows, vals, &count))
      goto done;
    for (size_t i = 0; i < count; i++) {
      int out = rows[i] >= ns;
      if (pattern_add(&ps->qpat[out], rows[i] - (out ? (uint32_t)ns : 0), vals[i], 0)) goto done;
    }
    for (int p = 0; p < 2; p++) ps->qpat[p].colptr[q + 1] = (int32_t)ps->qpat[p].nnz;
  }
  s = SYN_OK;
done:
  syn_dcols_destroy(dc);
  syn_free(roots);
  syn_free(rows);
  syn_free(vals);
  return s;
}

/* d(root functions, event values) / d(states, t, free parameters). */
static syn_status build_event_derivatives(syn_psens *ps, const int32_t *owner, syn_error *err) {
  const syn_model *m = ps->m;
  size_t ns = m->nsym[SYN_SYM_STATE], nrows = m->nroots + m->nvals + ps->nq;
  if (m->nevents == 0) return SYN_OK;
  syn_status s = syn_error_set(err, SYN_ENOMEM, "out of memory");
  uint32_t *roots = event_rows(ps);
  uint32_t *lleaf = syn_malloc((m->nconst + 1) * sizeof *lleaf);
  uint32_t *lexpr = syn_malloc((m->nconst + 1) * sizeof *lexpr);
  uint32_t *rows = syn_malloc((nrows + 1) * sizeof *rows);
  uint32_t *vals = syn_malloc((nrows + 1) * sizeof *vals);
  syn_dcols *dc = NULL, *dq = NULL;
  if (!roots || !lleaf || !lexpr || !rows || !vals ||
      pattern_init(&ps->evpat, nrows, ns + 1 + ps->nfree + ps->nq))
    goto done;
  dc = syn_dcols_create(&ps->dag, roots, nrows, lleaf, lexpr, param_links(ps, owner, lleaf, lexpr));
  uint32_t time = syn_dag_time(&ps->dag);
  if (dc == NULL || time == DAG_NONE) goto done;
  for (size_t j = 0; j < ns; j++)
    if (event_column(ps, dc, j, &m->info[SYN_SYM_STATE][j].node, 1, rows, vals)) goto done;
  if (event_column(ps, dc, ns, &time, 1, rows, vals)) goto done;
  for (size_t k = 0; k < ps->nfree; k++) {
    size_t nseeds = ps->kind[k] == SYN_SYM_STATE ? 0 : ps->nseeds[k];
    if (event_column(ps, dc, ns + 1 + k, ps->seeds[k], nseeds, rows, vals)) goto done;
  }
  /* the assigned constants' columns: their own uses only (no links) */
  if (ps->nq > 0 && (dq = syn_dcols_create(&ps->dag, roots, nrows, NULL, NULL, 0)) == NULL) goto done;
  for (size_t q = 0; q < ps->nq; q++)
    if (event_column(ps, dq, ns + 1 + ps->nfree + q, &ps->qnode[q], 1, rows, vals)) goto done;
  if (event_by_rows(ps) == 0) s = SYN_OK;
done:
  syn_dcols_destroy(dq);
  syn_dcols_destroy(dc);
  syn_free(roots);
  syn_free(lleaf);
  syn_free(lexpr);
  syn_free(rows);
  syn_free(vals);
  return s;
}

/* d out / d y, column by column (the states), over the outputs' cones. */
static syn_status build_output_jacobian(syn_psens *ps, syn_error *err) {
  const syn_model *m = ps->m;
  size_t ns = m->nsym[SYN_SYM_STATE], no = m->nsym[SYN_SYM_OUTPUT];
  part_pattern *p = &ps->pat[SYN_PSENS_DOUTDY];
  syn_status s = syn_error_set(err, SYN_ENOMEM, "out of memory");
  uint32_t *outs = syn_malloc((no + 1) * sizeof *outs);
  uint32_t *leaf = syn_malloc((ns + 1) * sizeof *leaf);
  uint32_t *rows = syn_malloc((no + 1) * sizeof *rows);
  uint32_t *vals = syn_malloc((no + 1) * sizeof *vals);
  syn_dcols *dc = NULL;
  if (outs == NULL || leaf == NULL || rows == NULL || vals == NULL) goto done;
  for (size_t i = 0; i < no; i++) outs[i] = m->info[SYN_SYM_OUTPUT][i].node;
  for (size_t j = 0; j < ns; j++) leaf[j] = m->info[SYN_SYM_STATE][j].node;
  dc = syn_dcols_create(&ps->dag, outs, no, NULL, NULL, 0);
  if (dc == NULL) goto done;
  size_t total = 0;
  for (size_t j = 0; j < ns; j++) {
    total += syn_dcols_count(dc, &leaf[j], 1);
    if (total > SYN_DERIV_MAX_NNZ) {
      s = too_many(ps, "of the outputs with respect to the states",
                   m->sym[SYN_SYM_STATE][j].name, err);
      goto done;
    }
  }
  for (size_t j = 0; j < ns; j++) {
    size_t count = 0;
    if (syn_dcols_get(dc, &leaf[j], 1, make_dleaf, ps, rows, vals, &count)) goto done;
    for (size_t i = 0; i < count; i++)
      if (pattern_add(p, rows[i], vals[i], 0)) goto done;
    p->colptr[j + 1] = (int32_t)p->nnz;
  }
  s = SYN_OK;
done:
  syn_dcols_destroy(dc);
  syn_free(outs);
  syn_free(leaf);
  syn_free(rows);
  syn_free(vals);
  return s;
}

/* ---- programs ----------------------------------------------------------------------------- */

/* Registers the instance holds after prepare: constants, and whatever the
 * model's setup writes. */
static unsigned char *ready_registers(const syn_psens *ps) {
  const syn_model *m = ps->m;
  unsigned char *ready = syn_calloc(ps->dag.n + 1, 1);
  if (ready == NULL) return NULL;
  for (size_t k = 0; k < m->nregs; k++) ready[k] = m->dag.nodes[k].op == SYN_OP_CONST;
  for (size_t i = 0; i < m->setup.n; i++) {
    const syn_insn *ins = &m->setup.code[i];
    if (ins->op != SYN_OP_STORE && ins->op != SYN_OP_INIT && ins->dst < m->nregs) ready[ins->dst] = 1;
  }
  return ready;
}

static int emit_programs(syn_psens *ps) {
  unsigned char *ready = ready_registers(ps);
  syn_emitter *e = ready ? syn_emitter_create(&ps->dag, &ps->setup, ready) : NULL;
  int rc = e ? 0 : -1;
  for (size_t i = 0; i < ps->ndleaves && rc == 0; i++)
    rc = syn_emitter_define(e, ps->dleaves[i].leaf, ps->dleaves[i].de, ps->dleaves[i].cidx);
  const part_pattern *pat = ps->pat;
  if (rc == 0) rc = syn_emitter_program(e, &ps->dfdp, pat[SYN_PSENS_DFDP].node, pat[SYN_PSENS_DFDP].nnz);
  if (rc == 0)
    rc = syn_emitter_program(e, &ps->doutdy, pat[SYN_PSENS_DOUTDY].node, pat[SYN_PSENS_DOUTDY].nnz);
  if (rc == 0)
    rc = syn_emitter_program(e, &ps->doutdp, pat[SYN_PSENS_DOUTDP].node, pat[SYN_PSENS_DOUTDP].nnz);
  if (rc == 0)
    rc = syn_emitter_constants(e, pat[SYN_PSENS_DY0DP].node, pat[SYN_PSENS_DY0DP].nnz);
  if (rc == 0)
    rc = syn_emitter_constants(e, pat[SYN_PSENS_DSCALEDP].node, pat[SYN_PSENS_DSCALEDP].nnz);
  if (rc == 0 && ps->evpat.nnz > 0)
    rc = syn_emitter_program(e, &ps->evd, ps->evpat.node, ps->evpat.nnz);
  if (rc == 0 && ps->qpat[0].nnz > 0)
    rc = syn_emitter_program(e, &ps->dfdq, ps->qpat[0].node, ps->qpat[0].nnz);
  if (rc == 0 && ps->qpat[1].nnz > 0)
    rc = syn_emitter_program(e, &ps->doutdq, ps->qpat[1].node, ps->qpat[1].nnz);
  syn_emitter_destroy(e);
  syn_free(ready);
  return rc;
}

static int finish(syn_psens *ps) {
  const syn_model *m = ps->m;
  ps->nregs = ps->dag.n;
  ps->reg_init = syn_calloc(ps->nregs + 1, sizeof *ps->reg_init);
  ps->zeros = syn_calloc(m->nconst + 1, sizeof *ps->zeros);
  ps->inputs = syn_malloc((m->nsym[SYN_SYM_STATE] + 1) * sizeof *ps->inputs);
  unsigned char *is_const = syn_calloc(ps->nregs + 1, 1);
  int rc = -1;
  if (ps->reg_init == NULL || ps->zeros == NULL || ps->inputs == NULL || is_const == NULL) goto done;
  for (size_t k = 0; k < ps->nregs; k++) {
    is_const[k] = ps->dag.nodes[k].op == SYN_OP_CONST;
    if (is_const[k]) ps->reg_init[k] = ps->dag.nodes[k].value;
  }
  for (size_t i = 0; i < m->nsym[SYN_SYM_STATE]; i++)
    if (m->input_node[i] != DAG_NONE) ps->inputs[ps->ninputs++] = m->input_node[i];
  syn_prog *progs[6] = {&ps->dfdp, &ps->doutdy, &ps->doutdp, &ps->evd, &ps->dfdq, &ps->doutdq};
  rc = 0;
  for (int i = 0; i < 6 && rc == 0; i++)
    rc = syn_prog_lower(progs[i], ps->reg_init, is_const, ps->nregs);
done:
  syn_free(is_const);
  return rc;
}

/* ---- the object ------------------------------------------------------------------------- */

void syn_psens_destroy(syn_psens *ps) {
  if (ps == NULL) return;
  for (size_t k = 0; k < ps->nfree; k++) {
    if (ps->names) syn_free(ps->names[k]);
    if (ps->seeds) syn_free(ps->seeds[k]);
  }
  syn_free(ps->names);
  syn_free(ps->kind);
  syn_free(ps->seeds);
  syn_free(ps->nseeds);
  syn_dag_free(&ps->dag);
  syn_free(ps->reg_init);
  syn_free(ps->zeros);
  syn_prog_free(&ps->setup);
  syn_prog_free(&ps->dfdp);
  syn_prog_free(&ps->doutdy);
  syn_prog_free(&ps->doutdp);
  syn_prog_free(&ps->evd);
  syn_prog_free(&ps->dfdq);
  syn_prog_free(&ps->doutdq);
  syn_free(ps->qnode);
  syn_free(ps->qof);
  for (int p = 0; p < 2; p++) {
    syn_free(ps->qpat[p].colptr);
    syn_free(ps->qpat[p].rowind);
    syn_free(ps->qpat[p].node);
    syn_free(ps->qpat[p].self);
  }
  syn_free(ps->evpat.colptr);
  syn_free(ps->evpat.rowind);
  syn_free(ps->evpat.node);
  syn_free(ps->evpat.self);
  syn_free(ps->ev_rowptr);
  syn_free(ps->ev_ent);
  syn_free(ps->ev_col);
  for (int p = 0; p < SYN_PSENS_PART_COUNT; p++) {
    syn_free(ps->pat[p].colptr);
    syn_free(ps->pat[p].rowind);
    syn_free(ps->pat[p].node);
    syn_free(ps->pat[p].self);
  }
  syn_free(ps->inputs);
  syn_free(ps->dleaves);
  syn_free(ps);
}

static syn_status alloc_psens(syn_psens *ps, syn_error *err) {
  const syn_model *m = ps->m;
  size_t ns = m->nsym[SYN_SYM_STATE], no = m->nsym[SYN_SYM_OUTPUT], nf = ps->nfree;
  ps->names = syn_calloc(nf + 1, sizeof *ps->names);
  ps->kind = syn_calloc(nf + 1, sizeof *ps->kind);
  ps->seeds = syn_calloc(nf + 1, sizeof *ps->seeds);
  ps->nseeds = syn_calloc(nf + 1, sizeof *ps->nseeds);
  if (!ps->names || !ps->kind || !ps->seeds || !ps->nseeds ||
      pattern_init(&ps->pat[SYN_PSENS_DFDP], ns, nf) ||
      pattern_init(&ps->pat[SYN_PSENS_DY0DP], ns, nf) ||
      pattern_init(&ps->pat[SYN_PSENS_DOUTDY], no, ns) ||
      pattern_init(&ps->pat[SYN_PSENS_DOUTDP], no, nf) ||
      pattern_init(&ps->pat[SYN_PSENS_DSCALEDP], m->nroutes, nf))
    return syn_error_set(err, SYN_ENOMEM, "out of memory");
  return SYN_OK;
}

static syn_status build_psens(syn_psens *ps, const char *const *names, syn_error *err) {
  const syn_model *m = ps->m;
  size_t nslots = m->nconst + m->nsym[SYN_SYM_STATE];
  int32_t *owner = syn_malloc((nslots + 1) * sizeof *owner);
  size_t *idx = syn_malloc((m->njoints + 1) * sizeof *idx);
  syn_status s = owner && idx ? alloc_psens(ps, err) : syn_error_set(err, SYN_ENOMEM, "out of memory");
  if (s == SYN_OK) {
    for (size_t i = 0; i < nslots; i++) owner[i] = -1;
    s = resolve_free(ps, names, owner, idx, err);
  }
  if (s == SYN_OK && copy_dag(&ps->dag, &m->dag) != 0)
    s = syn_error_set(err, SYN_ENOMEM, "out of memory");
  /* D leaves: PARAM indices past the constants and the input registers */
  ps->next_index = (uint32_t)(m->nconst + m->nsym[SYN_SYM_STATE]);
  if (s == SYN_OK) s = build_param_derivatives(ps, owner, err);
  if (s == SYN_OK) s = build_output_jacobian(ps, err);
  if (s == SYN_OK) s = build_q_derivatives(ps, err);
  if (s == SYN_OK && find_conflict(ps, owner) != 0)
    s = syn_error_set(err, SYN_ENOMEM, "out of memory");
  if (s == SYN_OK) s = build_event_derivatives(ps, owner, err);
  if (s == SYN_OK && (ps->dag.failed || emit_programs(ps) != 0 || finish(ps) != 0))
    s = syn_error_set(err, SYN_ENOMEM, "out of memory");
  syn_free(owner);
  syn_free(idx);
  return s;
}

syn_status syn_psens_create(const syn_model *m, const char *const *names, size_t n,
                            syn_psens **out, syn_error *err) {
  if (m == NULL || out == NULL || (names == NULL && n > 0))
    return syn_error_set(err, SYN_EINVAL, "no model or no parameter names given");
  *out = NULL;
  syn_psens *ps = syn_calloc(1, sizeof *ps);
  if (ps == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  ps->m = m;
  ps->nfree = n;
  syn_status s = build_psens(ps, names, err);
  if (s != SYN_OK) {
    syn_psens_destroy(ps);
    return s;
  }
  *out = ps;
  return SYN_OK;
}

const syn_model *syn_psens_model(const syn_psens *ps) { return ps->m; }
size_t syn_psens_count(const syn_psens *ps) { return ps->nfree; }
const char *syn_psens_name(const syn_psens *ps, size_t k) {
  return k < ps->nfree ? ps->names[k] : NULL;
}
syn_symkind syn_psens_kind(const syn_psens *ps, size_t k) {
  return k < ps->nfree ? ps->kind[k] : SYN_SYM_KIND_COUNT;
}

void syn_psens_get_pattern(const syn_psens *ps, syn_psens_part part, syn_psens_pattern *pat) {
  memset(pat, 0, sizeof *pat);
  if ((unsigned)part >= SYN_PSENS_PART_COUNT) return;
  const part_pattern *p = &ps->pat[part];
  *pat = (syn_psens_pattern){.nrows = p->nrows, .ncols = p->ncols, .nnz = p->nnz,
                             .colptr = p->colptr, .rowind = p->rowind};
}

void syn_psens_get_stats(const syn_psens *ps, syn_psens_stats *st) {
  memset(st, 0, sizeof *st);
  st->dfdp_instructions = ps->dfdp.n;
  st->doutdy_instructions = ps->doutdy.n;
  st->doutdp_instructions = ps->doutdp.n;
  st->dfdp_dispatched = syn_prog_fast_count(&ps->dfdp);
  st->doutdy_dispatched = syn_prog_fast_count(&ps->doutdy);
  st->doutdp_dispatched = syn_prog_fast_count(&ps->doutdp);
  st->setup_instructions = ps->setup.n;
  for (int p = 0; p < SYN_PSENS_PART_COUNT; p++) st->nnz[p] = ps->pat[p].nnz;
  st->registers = ps->nregs;
}

/* ---- evaluation ---------------------------------------------------------------------- */

void syn_psens_work_destroy(syn_psens_work *w) {
  if (w == NULL) return;
  syn_free(w->reg);
  syn_free(w->param);
  syn_free(w->evv);
  syn_free(w->qv[0]);
  syn_free(w->qv[1]);
  syn_free(w);
}

syn_status syn_psens_work_create(const syn_psens *ps, syn_psens_work **out, syn_error *err) {
  if (ps == NULL || out == NULL) return syn_error_set(err, SYN_EINVAL, "no derivatives given");
  *out = NULL;
  syn_psens_work *w = syn_calloc(1, sizeof *w);
  if (w == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  w->ps = ps;
  w->reg = syn_malloc((ps->nregs + 1) * sizeof *w->reg);
  w->param = syn_calloc(ps->m->nconst + 1, sizeof *w->param);
  w->evv = syn_calloc(ps->evpat.nnz + 1, sizeof *w->evv);
  w->qv[0] = syn_calloc(ps->qpat[0].nnz + 1, sizeof *w->qv[0]);
  w->qv[1] = syn_calloc(ps->qpat[1].nnz + 1, sizeof *w->qv[1]);
  if (w->reg == NULL || w->param == NULL || w->evv == NULL || w->qv[0] == NULL || w->qv[1] == NULL) {
    syn_psens_work_destroy(w);
    return syn_error_set(err, SYN_ENOMEM, "out of memory");
  }
  memcpy(w->reg, ps->reg_init, ps->nregs * sizeof *w->reg);
  *out = w;
  return SYN_OK;
}

syn_status syn_psens_prepare(syn_psens_work *w, const syn_instance *inst, syn_error *err) {
  const syn_psens *ps = w->ps;
  const syn_model *m = ps->m;
  w->inst = NULL;
  if (inst == NULL || inst->m != m)
    return syn_error_set(err, SYN_EINVAL, "the instance is not one of the derivatives' model");
  if (!inst->prepared)
    return syn_error_set(err, SYN_EINVAL, "the instance is not prepared (syn_instance_prepare "
                                          "comes before syn_psens_prepare)");
  w->inst = inst;
  syn_psens_refresh(w);
  return SYN_OK;
}

void syn_psens_refresh(syn_psens_work *w) {
  const syn_psens *ps = w->ps;
  const syn_model *m = ps->m;
  memcpy(w->reg, w->inst->reg, m->nregs * sizeof *w->reg);
  memcpy(w->reg + m->nregs, ps->reg_init + m->nregs, (ps->nregs - m->nregs) * sizeof *w->reg);
  syn_vm_io io = {.param = w->param, .pset = w->inst->pset, .pover = ps->zeros};
  syn_vm_run(&ps->setup, w->reg, &io);
}

/* Names the first value of part that is not finite. */
static syn_status nonfinite_value(const syn_psens *ps, syn_psens_part part, double t,
                                  const double *vals, syn_error *err) {
  const syn_model *m = ps->m;
  const part_pattern *p = &ps->pat[part];
  static const syn_symkind row_kind[SYN_PSENS_PART_COUNT] = {
      SYN_SYM_STATE, SYN_SYM_STATE, SYN_SYM_OUTPUT, SYN_SYM_OUTPUT, SYN_SYM_KIND_COUNT};
  static const char *const row_pre[SYN_PSENS_PART_COUNT] = {
      "d/dt ", "the initial value of ", "output ", "output ", "the scale of route "};
  for (size_t j = 0; j < p->ncols; j++)
    for (int32_t e = p->colptr[j]; e < p->colptr[j + 1]; e++) {
      if (isfinite(vals[e])) continue;
      size_t r = (size_t)p->rowind[e];
      const char *rn = row_kind[part] == SYN_SYM_KIND_COUNT ? m->routes[r].name
                                                             : m->sym[row_kind[part]][r].name;
      const char *cn = part == SYN_PSENS_DOUTDY ? m->sym[SYN_SYM_STATE][j].name : ps->names[j];
      return syn_error_set(err, SYN_ENONFINITE, "the derivative of %s%s with respect to '%s' is "
                           "%g at t = %g%s%s", row_pre[part], rn, cn, syn_shown(vals[e]), t,
                           m->time_unit[0] ? " " : "", m->time_unit);
    }
  return SYN_OK;
}

/* Values read from registers that prepare computed (initial values, route scales). */
static int read_constant_part(const syn_psens_work *w, syn_psens_part part, double *vals) {
  const part_pattern *p = &w->ps->pat[part];
  int ok = 1;
  for (size_t e = 0; e < p->nnz; e++) {
    /* an initial value that the instance overrides depends on no parameter */
    int cut = part == SYN_PSENS_DY0DP && !p->self[e] && w->inst->yset[p->rowind[e]];
    vals[e] = cut ? 0.0 : w->reg[p->node[e]];
    ok &= isfinite(vals[e]) != 0;
  }
  return ok;
}

syn_status syn_psens_eval(syn_psens_work *w, const syn_instance *inst, syn_psens_part part,
                          double t, const double *y, double *vals, syn_error *err) {
  const syn_psens *ps = w->ps;
  if (inst == NULL || w->inst != inst)
    return syn_error_set(err, SYN_EINVAL, "the workspace was not prepared from this instance "
                                          "(syn_psens_prepare after syn_instance_prepare)");
  if ((unsigned)part >= SYN_PSENS_PART_COUNT)
    return syn_error_set(err, SYN_EINVAL, "no such part of the derivatives (%d)", (int)part);
  int ok;
  if (part == SYN_PSENS_DY0DP || part == SYN_PSENS_DSCALEDP) {
    ok = read_constant_part(w, part, vals);
  } else {
    for (size_t i = 0; i < ps->ninputs; i++) w->reg[ps->inputs[i]] = inst->reg[ps->inputs[i]];
    const syn_prog *prog = part == SYN_PSENS_DFDP     ? &ps->dfdp
                           : part == SYN_PSENS_DOUTDY ? &ps->doutdy
                                                      : &ps->doutdp;
    syn_vm_io io = {.t = t, .y = y, .out = vals};
    ok = syn_vm_run(prog, w->reg, &io);
  }
  return ok ? SYN_OK : nonfinite_value(ps, part, t, vals, err);
}

/* ---- the events' derivatives (event_sens.c) ------------------------------------------- */

int syn_psens_event_eval(syn_psens_work *w, double t, const double *y) {
  const syn_psens *ps = w->ps;
  if (ps->evpat.nnz == 0) return 1;
  for (size_t i = 0; i < ps->ninputs; i++) w->reg[ps->inputs[i]] = w->inst->reg[ps->inputs[i]];
  syn_vm_io io = {.t = t, .y = y, .out = w->evv};
  return syn_vm_run(&ps->evd, w->reg, &io);
}

/* Row `row` (model_impl.h) along a direction: sum_j d/dy_j (s_j + f_j dtau)
 * + d/dt dtau + d/dp_col (s, f NULL: none; col < 0: none). */
double syn_psens_event_row(const syn_psens_work *w, size_t row, const double *s, const double *f,
                           double dtau, long col, const double *dq) {
  const syn_psens *ps = w->ps;
  const part_pattern *p = &ps->evpat;
  size_t ns = ps->m->nsym[SYN_SYM_STATE];
  double sum = 0.0;
  if (p->nnz == 0) return 0.0;
  for (int32_t i = ps->ev_rowptr[row]; i < ps->ev_rowptr[row + 1]; i++) {
    int32_t e = ps->ev_ent[i];
    size_t c = (size_t)ps->ev_col[i];
    double d = w->evv[e];
    if (c < ns) sum += d * ((s ? s[c] : 0.0) + (f ? f[c] * dtau : 0.0));
    else if (c == ns) sum += d * dtau;
    else if (col >= 0 && c == ns + 1 + (size_t)col) sum += d;
    else if (dq != NULL && c >= ns + 1 + ps->nfree) sum += d * dq[c - (ns + 1 + ps->nfree)];
  }
  return sum;
}

size_t syn_psens_q_count(const syn_psens *ps) { return ps->nq; }
long syn_psens_q_of(const syn_psens *ps, size_t cidx) { return ps->qof[cidx]; }
size_t syn_psens_q_row(const syn_psens *ps, size_t q) {
  return ps->m->nroots + ps->m->nvals + q;
}

/* The parts through the assigned constants: which program, pattern, buffer. */
static int q_part(syn_psens_part part) {
  return part == SYN_PSENS_DFDP ? 0 : part == SYN_PSENS_DOUTDP ? 1 : -1;
}

syn_status syn_psens_q_eval(syn_psens_work *w, syn_psens_part part, double t, const double *y,
                            syn_error *err) {
  const syn_psens *ps = w->ps;
  int p = q_part(part);
  if (p < 0 || ps->qpat[p].nnz == 0) return SYN_OK;
  for (size_t i = 0; i < ps->ninputs; i++) w->reg[ps->inputs[i]] = w->inst->reg[ps->inputs[i]];
  syn_vm_io io = {.t = t, .y = y, .out = w->qv[p]};
  if (syn_vm_run(p == 0 ? &ps->dfdq : &ps->doutdq, w->reg, &io)) return SYN_OK;
  return syn_error_set(err, SYN_ENONFINITE, "a derivative with respect to a value an event "
                       "assigns is not finite at t = %g%s%s", t, ps->m->time_unit[0] ? " " : "",
                       ps->m->time_unit);
}

void syn_psens_q_add(const syn_psens_work *w, syn_psens_part part, const double *dq, size_t first,
                     size_t count, double *out) {
  const syn_psens *ps = w->ps;
  int p = q_part(part);
  if (p < 0) return;
  const part_pattern *pat = &ps->qpat[p];
  for (size_t q = 0; q < ps->nq; q++) {
    if (dq[q] == 0.0) continue;
    for (int32_t e = pat->colptr[q]; e < pat->colptr[q + 1]; e++) {
      size_t r = (size_t)pat->rowind[e];
      if (r >= first && r < first + count) out[r - first] += w->qv[p][e] * dq[q];
    }
  }
}

const syn_instance *syn_psens_work_instance(const syn_psens_work *w) { return w->inst; }
const syn_psens *syn_psens_work_psens(const syn_psens_work *w) { return w->ps; }
