/* synovia — the compiled model's internals, shared by the model/ files
 * (internal, model layer). Nothing outside src/model/ includes this. */
#ifndef SYN_MODEL_IMPL_H
#define SYN_MODEL_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <math.h>

#include "base/arena.h"
#include "lang/ast.h"
#include "model/dag.h"
#include "model/vm.h"
#include "synovia/model.h"
#include "synovia/psens.h"

/* A name in the one namespace of a program. */
typedef struct name_entry {
  const char *name;
  uint8_t kind;   /* syn_symkind */
  uint32_t index;
} name_entry;

typedef struct name_table {
  name_entry *slots; /* open addressing, name NULL = empty */
  size_t cap, count;
} name_table;

/* Per-symbol compile information, parallel to the public syn_symbol arrays. */
typedef struct sym_info {
  const ast_decl *decl;
  const ast_decl *ddt;   /* states: their d/dt declaration */
  uint32_t node;         /* the value as used in expressions (a leaf for
                            params/compartments/states, the expression for lets/outputs) */
  uint32_t expr;         /* params/compartments: defining expression; states: initial value;
                            lets/outputs: same as node */
  uint32_t rhs;          /* states: d/dt expression (plus the input register, if any) */
  int32_t joint;         /* declared in `per joint`: the copy's joint; -1 systemic */
  int32_t ddt_joint;     /* states: the context of the d/dt (its joint, or -1) */
} sym_info;

/* A per-joint name ("TNF" of `per joint { state TNF … }`): its copies. */
typedef struct pj_base {
  const char *name;
  syn_symkind kind;
  const ast_decl *decl;
  uint32_t *copies;      /* per joint: index in sym[kind] */
} pj_base;

typedef struct route_info {
  const ast_decl *decl;
  uint32_t scale;        /* DAG node of the scale, DAG_NONE = 1 */
} route_info;

typedef struct preset_assign {
  const char *name;      /* as written: "potency", "knee_R.severity" */
  const char *expr;      /* the value as written */
  const ast_assign *assign;
  uint32_t node;         /* DAG node of the value (constant) */
  double value;          /* evaluated at load with the declared values, times factor */
  double factor;         /* from the value's unit to the target's declared unit (1: bare) */
} preset_assign;

typedef struct model_preset {
  const char *name;
  const ast_decl *decl;
  preset_assign *assigns;
  size_t nassigns;
} model_preset;

/* One assignment of an event: a state's value or a constant's (PARAM leaf index). */
typedef struct event_assign {
  syn_symkind kind;      /* STATE, PARAM or COMPARTMENT */
  uint32_t index;        /* state index, or syn_const_index for a constant */
  uint32_t node;         /* DAG node of the value */
} event_assign;

/* An event (a per-joint one once per joint, named JOINT.NAME). Its values in
 * the ev_vals program's output start at val0: the delay, the priority, then
 * one per assignment. */
/* A condition in postfix order over the root functions: a leaf compares root
 * `root` (lhs - rhs) with 0 by op (LT ... NE); AND, OR, NOT combine. Evaluated
 * from the root values, so at a root the crossing's direction can decide. */
typedef struct cond_op {
  uint8_t op;            /* SYN_OP_LT ... SYN_OP_NE, SYN_OP_AND, SYN_OP_OR, SYN_OP_NOT */
  uint32_t root;
} cond_op;

typedef struct model_event {
  const char *name;
  const ast_decl *decl;
  int32_t joint;         /* -1 systemic */
  size_t cop0, ncop;     /* its condition: cond_ops[cop0 .. cop0 + ncop) */
  uint32_t delay, priority; /* DAG nodes (constant 0 when not given) */
  unsigned flags;        /* AST_EVENT_* */
  int has_priority;
  event_assign *assigns;
  size_t nassigns;
  size_t val0;
} model_event;

struct syn_model {
  syn_program *prog;     /* owns the sources and the AST */
  syn_arena *arena;      /* the model's own strings */
  const char *title;
  const char *time_unit; /* canonical clock symbol or "" */
  double clock_seconds;  /* 0 without a clock */
  syn_symbol *sym[SYN_SYM_KIND_COUNT];
  sym_info *info[SYN_SYM_KIND_COUNT];
  size_t nsym[SYN_SYM_KIND_COUNT];
  name_table names;
  /* joints, per-joint names, routes, presets */
  const char **joints;
  size_t njoints;
  name_table joint_names; /* joint -> index */
  name_table pj_names;    /* per-joint base name -> index in pj */
  pj_base *pj;
  size_t npj;
  syn_route *routes;
  route_info *route_info;
  size_t nroutes;
  model_preset *presets;
  size_t npresets;
  uint32_t *input_node;   /* per state: DAG node of its input register, or DAG_NONE */
  size_t nfiles;
  const char **file_path; /* root first */
  const char **file_text;
  char sha256[65];

  /* compiled form */
  syn_dag dag;
  syn_prog setup, rhs, jac, out;
  size_t nregs;
  double *reg_init;       /* register image: constants preloaded */
  size_t nconst;          /* compartments then params: the PARAM leaf index space */
  uint32_t *const_order;  /* nconst PARAM leaf indices, definitions before uses */
  int32_t *colptr, *rowind;
  size_t nnz;
  const char **state_names;
  int32_t *owner_rhs;     /* per DAG node: first state whose d/dt uses it, -1 */
  int32_t *owner_out;     /* per DAG node: first output that uses it, -1 */
  const char **node_name; /* per DAG node: the symbol it is the value of, or NULL */

  /* events (event.c): the root functions (lhs - rhs of each comparison of
   * every condition), then the programs that compute them, the conditions,
   * and every event's delay, priority and assigned values */
  model_event *events;
  size_t nevents;
  uint32_t *root_nodes;
  size_t nroots, nroots_cap;
  cond_op *cond_ops;
  size_t ncond_ops, cond_ops_cap;
  size_t nvals;           /* outputs of ev_vals */
  size_t max_assigns;
  int events_set_consts;  /* some event assigns a parameter or compartment */
  syn_prog ev_roots, ev_vals;
};

/* The run-time state of the events of one instance (event.c). */
typedef struct ev_pending {
  double t;              /* when it executes */
  uint32_t event;
  uint32_t seq;          /* order of triggering, for ties */
} ev_pending;

typedef struct ev_state {
  double *out;           /* nvals: the last ev_vals evaluation */
  double *g;             /* nroots: root functions at the current point */
  double *g_root;        /* nroots: their values where the last root was found */
  signed char *force;    /* nroots: the sign a crossed root function has just past it */
  unsigned char *stack;  /* ncond_ops: evaluation stack of a condition */
  unsigned char *prev;   /* nevents: the condition's value at the last check */
  ev_pending *pend;      /* pending executions (capacity cap) */
  double *pend_vals;     /* cap x max_assigns: values at the trigger */
  size_t npend, cap;
  uint32_t seq;
  unsigned char *pset;   /* nconst, all 1: constants frozen while events assign some */
  double *pover;         /* nconst */
  double *y0;            /* scratch for the setup program's initial values */
  int dirty;             /* constants differ from the instance's settings */
  double *log_t;         /* the executions of the run: time and event (log_cap) */
  uint32_t *log_event;
  size_t nlog, log_cap, log_dropped;
  struct ev_sens *sens;  /* forward sensitivities across the events (event_sens.c); NULL: none */
} ev_state;

struct syn_instance {
  const syn_model *m;
  double *reg;      /* nregs */
  double *param;    /* nconst current values */
  unsigned char *pset;
  double *pover;
  double *y0;       /* nstates */
  unsigned char *yset;
  double *yover;
  int prepared;
  ev_state ev;      /* only when the model has events */
};

/* names.c */
int syn_names_put(name_table *t, const char *name, syn_symkind kind, uint32_t index); /* 0, 1 dup, -1 OOM */
const name_entry *syn_names_get(const name_table *t, const char *name);
void syn_names_free(name_table *t);
/* 1 if candidate is a good "did you mean" for word (lang/suggest.h rule); *dist = distance. */
int syn_close_enough(const char *word, const char *candidate, size_t *dist);
int syn_better_tie(const char *word, const char *candidate, const char *best);
/* The closest of the model's names of the kinds in kind_mask (1 << kind). */
const char *syn_names_suggest(const syn_model *m, const char *name, unsigned kind_mask);
const char *syn_kind_noun(syn_symkind kind);     /* "parameter" */
const char *syn_kind_article(syn_symkind kind);  /* "a" / "an" */

/* Resolve a name as written where per-joint names mean joint `joint`'s copy
 * (-1: systemic context). Qualified names ("knee_R.TNF") resolve anywhere.
 * Returns 1 and fills kind/index when found. */
int syn_model_lookup(const syn_model *m, const char *name, int joint, syn_symkind *kind,
                     size_t *index);

/* resolve.c: check the program and fill symbols, the DAG and roots. */
syn_status syn_model_resolve(syn_model *m, syn_error *err);

/* compile.c: Jacobian, programs, register image. */
syn_status syn_model_compile(syn_model *m, syn_error *err);

/* The most nonzero entries a symbolic derivative may have: the Jacobian
 * (compile.c) and the parameter derivatives (psens.c). See compile.c. */
enum { SYN_DERIV_MAX_NNZ = 1 << 25 };

/* compile.c: programs over a DAG that extends a model's (psens.c), with the
 * model's emission rules (constant nodes hoisted into setup, dynamic ones in
 * the program, ascending id). ready[k] (d->n entries): node k's register
 * holds its value before setup runs (the model's setup computed it); the DAG
 * must be complete. Each function returns 0, or -1 (out of memory). */
typedef struct syn_emitter syn_emitter;
syn_emitter *syn_emitter_create(const syn_dag *d, syn_prog *setup, const unsigned char *ready);
void syn_emitter_destroy(syn_emitter *e); /* NULL allowed */
/* Setup: the constant part of expr, then SETP leaf <- expr (an override of
 * constant cidx, io->pset[cidx], wins). The leaf counts as computed after. */
int syn_emitter_define(syn_emitter *e, uint32_t leaf, uint32_t expr, uint32_t cidx);
/* Setup: every constant node the roots need that is not computed yet. */
int syn_emitter_constants(syn_emitter *e, const uint32_t *roots, size_t n);
/* p: the dynamic nodes the roots need, then STORE out[i] = roots[i]; their
 * constant part goes into setup. */
int syn_emitter_program(syn_emitter *e, syn_prog *p, const uint32_t *roots, size_t n);

/* explain.c: find the first instruction that turned finite inputs into a
 * non-finite value while running setup + the program `which` (0 rhs, 1 outputs). */
int syn_model_explain(syn_instance *inst, int which, double t, const double *y, char *buf,
                      size_t size);

/* instance.c: run the setup program; returns 1 and names the first value
 * (in evaluation order) that is not finite, or a compartment whose size is
 * not positive (the only finite *bad), 0 when all are good. */
int syn_instance_run_setup(syn_instance *inst, syn_symkind *kind, size_t *index, double *bad);
/* Reports output i as not finite after prog ran into io->out (instance.c). */
syn_status syn_instance_nonfinite_output(syn_instance *inst, const syn_prog *prog,
                                         syn_vm_io *io, size_t i, syn_error *err);

/* event.c: the instance's event state (allocated at create when the model has
 * events; freed with it); the solver's callbacks (syn_instance_ode). */
int syn_events_alloc(syn_instance *inst);
void syn_events_free(syn_instance *inst);
void syn_events_fill_ode(syn_instance *inst, syn_ode *ode);

/* event_sens.c: the sensitivities' jump conditions, called by event.c when
 * sensitivities are attached (syn_psens_events_attach): at the start of a
 * handling (no shift of the time yet; `start`: of a run, the assigned
 * constants' shifts 0 again), at each trigger of event e queued in
 * pending slot k (crossing: a root crossing triggered it), before and after
 * each execution of slot k, and when the queue moves slot `from` to `to`
 * (width: max_assigns + 1). */
void syn_event_sens_begin(syn_instance *inst, int start);
syn_status syn_event_sens_trigger(syn_instance *inst, size_t e, size_t k, double t,
                                  const double *y, syn_error *err);
syn_status syn_event_sens_before(syn_instance *inst, size_t k, double t, const double *y,
                                 syn_error *err);
syn_status syn_event_sens_after(syn_instance *inst, size_t k, double t, const double *y,
                                syn_error *err);
void syn_event_sens_move(struct ev_sens *es, size_t to, size_t from, size_t width);
void syn_event_sens_free(syn_instance *inst);

/* psens.c: the events' derivatives at (t, y) into the workspace (0: one is
 * not finite), and one row (the root functions 0..nroots, then the event
 * values nroots + i) along a direction: sum_j d/dy_j (s_j + f_j dtau) +
 * d/dt dtau + d/dp_col (s or f NULL: left out; col < 0: no parameter). */
int syn_psens_event_eval(syn_psens_work *w, double t, const double *y);
/* dq: the sensitivity's shifts of the assigned constants (event_sens.c),
 * along which their columns count; NULL: none. */
double syn_psens_event_row(const syn_psens_work *w, size_t row, const double *s, const double *f,
                           double dtau, long col, const double *dq);
/* The constants events assign: how many, the q of constant cidx (-1: none),
 * and the event row of q's own value (d q / d the free parameters, through
 * the definitions: what the other parts count for q before any execution). */
size_t syn_psens_q_count(const syn_psens *ps);
long syn_psens_q_of(const syn_psens *ps, size_t cidx);
size_t syn_psens_q_row(const syn_psens *ps, size_t q);
const syn_psens *syn_psens_work_psens(const syn_psens_work *w);
/* A constant c, not free, whose definition reads constant q that events
 * assign (1), or none (0). */
int syn_psens_q_conflict(const syn_psens *ps, long *c, long *q);
const char *syn_psens_const_name(const syn_model *m, size_t c);
/* The workspace's registers again from its instance's (after an execution
 * changed constants, or at the start of a run). */
void syn_psens_refresh(syn_psens_work *w);
/* The derivatives of part (DFDP, DOUTDP; others: nothing) in the assigned
 * constants at (t, y) into the workspace; then sum_q d row / d q dq[q]
 * added to out[r - first] for the rows r in [first, first + count). */
syn_status syn_psens_q_eval(syn_psens_work *w, syn_psens_part part, double t, const double *y,
                            syn_error *err);
void syn_psens_q_add(const syn_psens_work *w, syn_psens_part part, const double *dq, size_t first,
                     size_t count, double *out);
const syn_instance *syn_psens_work_instance(const syn_psens_work *w);

/* For messages: printf shows the sign bit of a NaN ("-nan"); users see "nan". */
static inline double syn_shown(double v) { return v != v ? fabs(v) : v; }

/* Index of a compartment/param in the PARAM leaf space. */
static inline size_t syn_const_index(const syn_model *m, syn_symkind kind, size_t i) {
  return kind == SYN_SYM_COMPARTMENT ? i : m->nsym[SYN_SYM_COMPARTMENT] + i;
}

#endif
