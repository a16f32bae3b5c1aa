/* synovia — instances: one run's values and workspace; the ODE callbacks
 * (model layer). Everything is allocated at create; rhs, jac and outputs
 * only run bytecode. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "model/model_impl.h"

void syn_instance_destroy(syn_instance *inst) {
  if (inst == NULL) return;
  syn_free(inst->reg);
  syn_free(inst->param);
  syn_free(inst->pset);
  syn_free(inst->pover);
  syn_free(inst->y0);
  syn_free(inst->yset);
  syn_free(inst->yover);
  syn_events_free(inst);
  syn_free(inst);
}

syn_status syn_instance_create(const syn_model *m, syn_instance **out, syn_error *err) {
  if (m == NULL || out == NULL) return syn_error_set(err, SYN_EINVAL, "no model given");
  *out = NULL;
  syn_instance *inst = syn_calloc(1, sizeof *inst);
  if (inst == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  size_t ns = m->nsym[SYN_SYM_STATE];
  inst->m = m;
  inst->reg = syn_malloc((m->nregs + 1) * sizeof *inst->reg);
  inst->param = syn_calloc(m->nconst + 1, sizeof *inst->param);
  inst->pset = syn_calloc(m->nconst + 1, 1);
  inst->pover = syn_calloc(m->nconst + 1, sizeof *inst->pover);
  inst->y0 = syn_calloc(ns + 1, sizeof *inst->y0);
  inst->yset = syn_calloc(ns + 1, 1);
  inst->yover = syn_calloc(ns + 1, sizeof *inst->yover);
  if (!inst->reg || !inst->param || !inst->pset || !inst->pover || !inst->y0 || !inst->yset ||
      !inst->yover || syn_events_alloc(inst) != 0) {
    syn_instance_destroy(inst);
    return syn_error_set(err, SYN_ENOMEM, "out of memory");
  }
  memcpy(inst->reg, m->reg_init, m->nregs * sizeof *inst->reg);
  *out = inst;
  return SYN_OK;
}

const syn_model *syn_instance_model(const syn_instance *inst) { return inst->m; }

static void set_symbol(syn_instance *inst, syn_symkind kind, size_t index, double value) {
  if (kind == SYN_SYM_STATE) {
    inst->yset[index] = 1;
    inst->yover[index] = value;
  } else {
    size_t c = syn_const_index(inst->m, kind, index);
    inst->pset[c] = 1;
    inst->pover[c] = value;
  }
  inst->prepared = 0;
}

static syn_status unknown_setting(const syn_model *m, const char *name, syn_error *err) {
  unsigned mask = (1u << SYN_SYM_COMPARTMENT) | (1u << SYN_SYM_PARAM) | (1u << SYN_SYM_STATE);
  const char *sug = name ? syn_names_suggest(m, name, mask) : NULL;
  if (sug) return syn_error_set(err, SYN_EINVAL, "unknown name '%s' (did you mean '%s'?)", name, sug);
  return syn_error_set(err, SYN_EINVAL, "unknown name '%s'", name ? name : "");
}

syn_status syn_instance_set(syn_instance *inst, const char *name, double value, syn_error *err) {
  const syn_model *m = inst->m;
  syn_symkind kind;
  size_t index;
  const name_entry *base = name ? syn_names_get(&m->pj_names, name) : NULL;
  if (base != NULL) {
    kind = m->pj[base->index].kind;
    index = m->pj[base->index].copies[0];
  } else if (name == NULL || !syn_model_lookup(m, name, -1, &kind, &index)) {
    return unknown_setting(m, name, err);
  }
  if (kind == SYN_SYM_LET || kind == SYN_SYM_OUTPUT) {
    syn_status s = syn_error_set(err, SYN_EINVAL, "'%s' is %s %s and cannot be set", name,
                                 syn_kind_article(kind), syn_kind_noun(kind));
    syn_error_hint(err, "it is computed from other values; set the parameters it uses");
    return s;
  }
  if (!isfinite(value))
    return syn_error_set(err, SYN_EINVAL, "value for '%s' is not finite (%g)", name, syn_shown(value));
  if (kind == SYN_SYM_COMPARTMENT && !(value > 0))
    return syn_error_set(err, SYN_EINVAL, "compartment '%s' must have a positive size (found %g)",
                         name, value);
  if (base == NULL) {
    set_symbol(inst, kind, index, value);
  } else { /* a per-joint name without a joint: every joint's copy */
    for (size_t j = 0; j < m->njoints; j++)
      set_symbol(inst, kind, m->pj[base->index].copies[j], value);
  }
  return SYN_OK;
}

syn_status syn_instance_set_index(syn_instance *inst, syn_symkind kind, size_t index, double value,
                                  syn_error *err) {
  const syn_model *m = inst->m;
  if ((kind != SYN_SYM_COMPARTMENT && kind != SYN_SYM_PARAM && kind != SYN_SYM_STATE) ||
      index >= m->nsym[kind])
    return syn_error_set(err, SYN_EINVAL, "syn_instance_set_index: no settable symbol %zu of kind %d",
                         index, (int)kind);
  const char *name = m->sym[kind][index].name;
  if (!isfinite(value))
    return syn_error_set(err, SYN_EINVAL, "value for '%s' is not finite (%g)", name, syn_shown(value));
  if (kind == SYN_SYM_COMPARTMENT && !(value > 0))
    return syn_error_set(err, SYN_EINVAL, "compartment '%s' must have a positive size (found %g)",
                         name, value);
  set_symbol(inst, kind, index, value);
  return SYN_OK;
}

syn_status syn_instance_use_preset(syn_instance *inst, const char *name, syn_error *err) {
  const syn_model *m = inst->m;
  const char *best = NULL;
  size_t best_d = 3, d;
  for (size_t p = 0; p < m->npresets; p++) {
    const model_preset *pr = &m->presets[p];
    if (name != NULL && strcmp(pr->name, name) == 0) {
      syn_status s = SYN_OK;
      for (size_t a = 0; a < pr->nassigns && s == SYN_OK; a++)
        s = syn_instance_set(inst, pr->assigns[a].name, pr->assigns[a].value, err);
      return s;
    }
    if (name != NULL && syn_close_enough(name, pr->name, &d) &&
        (d < best_d || (d == best_d && syn_better_tie(name, pr->name, best)))) {
      best_d = d;
      best = pr->name;
    }
  }
  if (best) return syn_error_set(err, SYN_EINVAL, "unknown preset '%s' (did you mean '%s'?)", name, best);
  syn_status s = syn_error_set(err, SYN_EINVAL, "unknown preset '%s'", name ? name : "");
  if (m->npresets == 0) syn_error_hint(err, "the model declares no presets");
  return s;
}

double syn_instance_route_scale(const syn_instance *inst, size_t route) {
  const syn_model *m = inst->m;
  if (route >= m->nroutes) return NAN;
  uint32_t node = m->route_info[route].scale;
  return node == DAG_NONE ? 1.0 : inst->reg[node];
}

syn_status syn_instance_set_input(syn_instance *inst, size_t state, double rate, syn_error *err) {
  const syn_model *m = inst->m;
  size_t ns = m->nsym[SYN_SYM_STATE];
  if (state >= ns)
    return syn_error_set(err, SYN_EINVAL, "no state %zu (the model has %zu)", state, ns);
  if (m->input_node[state] == DAG_NONE)
    return syn_error_set(err, SYN_EINVAL, "state '%s' has no input: no route goes to it",
                         m->sym[SYN_SYM_STATE][state].name);
  if (!isfinite(rate))
    return syn_error_set(err, SYN_EINVAL, "input rate into '%s' is not finite (%g)",
                         m->sym[SYN_SYM_STATE][state].name, syn_shown(rate));
  inst->reg[m->input_node[state]] = rate;
  return SYN_OK;
}

double syn_instance_input(const syn_instance *inst, size_t state) {
  const syn_model *m = inst->m;
  if (state >= m->nsym[SYN_SYM_STATE] || m->input_node[state] == DAG_NONE) return 0.0;
  return inst->reg[m->input_node[state]];
}

static void setup_io(syn_instance *inst, syn_vm_io *io) {
  memset(io, 0, sizeof *io);
  io->param = inst->param;
  io->pset = inst->pset;
  io->pover = inst->pover;
  io->y0 = inst->y0;
  io->yset = inst->yset;
  io->yover = inst->yover;
}

int syn_instance_run_setup(syn_instance *inst, syn_symkind *kind, size_t *index, double *bad) {
  const syn_model *m = inst->m;
  syn_vm_io io;
  setup_io(inst, &io);
  syn_vm_run(&m->setup, inst->reg, &io);
  size_t nc = m->nsym[SYN_SYM_COMPARTMENT];
  for (size_t o = 0; o < m->nconst; o++) {
    uint32_t c = m->const_order[o];
    if (isfinite(inst->param[c]) && (c >= nc || inst->param[c] > 0)) continue; /* sizes > 0 */
    *kind = c < nc ? SYN_SYM_COMPARTMENT : SYN_SYM_PARAM;
    *index = c < nc ? c : c - nc;
    *bad = inst->param[c];
    return 1;
  }
  for (size_t i = 0; i < m->nsym[SYN_SYM_STATE]; i++) {
    if (isfinite(inst->y0[i])) continue;
    *kind = SYN_SYM_STATE;
    *index = i;
    *bad = inst->y0[i];
    return 1;
  }
  return 0;
}

syn_status syn_instance_prepare(syn_instance *inst, syn_error *err) {
  syn_symkind kind;
  size_t index;
  double bad;
  if (syn_instance_run_setup(inst, &kind, &index, &bad)) {
    inst->prepared = 0;
    const syn_symbol *s = &inst->m->sym[kind][index];
    if (kind == SYN_SYM_STATE)
      return syn_error_set(err, SYN_ENONFINITE, "initial value of state '%s' is %g", s->name,
                            syn_shown(bad));
    if (isfinite(bad)) /* a compartment's size that is not positive */
      return syn_error_set(err, SYN_EINVAL, "compartment '%s' must have a positive size (found %g)",
                           s->name, bad);
    return syn_error_set(err, SYN_ENONFINITE, "%s '%s' is %g", syn_kind_noun(kind), s->name,
                          syn_shown(bad));
  }
  for (size_t r = 0; r < inst->m->nroutes; r++) {
    double v = syn_instance_route_scale(inst, r);
    if (isfinite(v)) continue;
    inst->prepared = 0;
    const syn_route *rt = &inst->m->routes[r];
    return syn_error_set(err, SYN_ENONFINITE, "scale of route '%s'%s%s is %g", rt->name,
                         rt->joint[0] ? " into " : "", rt->joint, syn_shown(v));
  }
  inst->prepared = 1;
  return SYN_OK;
}

double syn_instance_value(const syn_instance *inst, syn_symkind kind, size_t i) {
  const syn_model *m = inst->m;
  if ((kind != SYN_SYM_COMPARTMENT && kind != SYN_SYM_PARAM) || i >= m->nsym[kind]) return NAN;
  return inst->param[syn_const_index(m, kind, i)];
}

void syn_instance_initial(const syn_instance *inst, double *y0) {
  memcpy(y0, inst->y0, inst->m->nsym[SYN_SYM_STATE] * sizeof *y0);
}

/* The programs store every ydot[i] and every jval[k]: "all stored values
 * finite" (the VM checks them as it stores) is "all of ydot (jval) finite". */
static int ode_rhs(double t, const double *y, double *ydot, void *ctx) {
  syn_instance *inst = ctx;
  syn_vm_io io = {.t = t, .y = y, .out = ydot};
  return syn_vm_run(&inst->m->rhs, inst->reg, &io) ? 0 : 1;
}

static int ode_jac(double t, const double *y, double *jval, void *ctx) {
  syn_instance *inst = ctx;
  syn_vm_io io = {.t = t, .y = y, .out = jval};
  return syn_vm_run(&inst->m->jac, inst->reg, &io) ? 0 : 1;
}

static int ode_explain(double t, const double *y, char *buf, size_t size, void *ctx) {
  return syn_model_explain(ctx, 0, t, y, buf, size);
}

void syn_instance_ode(syn_instance *inst, syn_ode *ode) {
  const syn_model *m = inst->m;
  *ode = (syn_ode){
      .n = m->nsym[SYN_SYM_STATE],
      .rhs = ode_rhs,
      .jac = ode_jac,
      .nnz = m->nnz,
      .colptr = m->colptr,
      .rowind = m->rowind,
      .explain = ode_explain,
      .names = m->state_names,
      .time_unit = m->time_unit,
      .ctx = inst,
  };
  syn_events_fill_ode(inst, ode);
}

/* Output i is not finite after `prog` ran into io->out: the error, with the
 * diagnosis as its hint; the diagnosis reruns the programs, so `prog` is run
 * again to put the caller's values back. Shared by syn_instance_outputs and
 * syn_instance_outputs_of (outset.c). */
syn_status syn_instance_nonfinite_output(syn_instance *inst, const syn_prog *prog,
                                         syn_vm_io *io, size_t i, syn_error *err) {
  const syn_model *m = inst->m;
  syn_status s = syn_error_set(err, SYN_ENONFINITE, "output '%s' is %g at t = %g%s%s",
                               m->sym[SYN_SYM_OUTPUT][i].name, syn_shown(io->out[i]), io->t,
                               m->time_unit[0] ? " " : "", m->time_unit);
  if (err != NULL) {
    char why[SYN_ERROR_HINT_MAX];
    if (syn_model_explain(inst, 1, io->t, io->y, why, sizeof why)) syn_error_hint(err, "%s", why);
    syn_vm_run(prog, inst->reg, io);
  }
  return s;
}

syn_status syn_instance_outputs(syn_instance *inst, double t, const double *y, double *out,
                                syn_error *err) {
  const syn_model *m = inst->m;
  syn_vm_io io = {.t = t, .y = y, .out = out};
  syn_vm_run(&m->out, inst->reg, &io);
  for (size_t i = 0; i < m->nsym[SYN_SYM_OUTPUT]; i++)
    if (!isfinite(out[i])) return syn_instance_nonfinite_output(inst, &m->out, &io, i, err);
  return SYN_OK;
}
