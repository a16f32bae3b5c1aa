/* synovia — evaluating some of a model's outputs (model layer; see
 * syn_output_set_create in include/synovia/model.h).
 *
 * The set's program is the outputs program with every instruction dropped
 * that the chosen outputs do not need: a backward scan over the bytecode
 * keeps an instruction when a later kept one (or a kept STORE) reads the
 * register it writes. It works on the bytecode, whatever the code generator
 * emitted, so the kept instructions are the very ones syn_instance_outputs
 * runs, in the same order: the values are the same bit for bit. Operands
 * are taken as read whatever the op (codegen fills unused ones with a
 * register that is valid anyway), which can only keep too much, never too
 * little. It relies on one property of the bytecode (vm.h): an instruction
 * other than STORE writes only reg[dst] (STORE only out[dst]); an op that
 * wrote more would need its own case in needed_code. */
#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "model/model_impl.h"

struct syn_output_set {
  const syn_model *m;
  syn_prog prog;
  size_t *outputs; /* the chosen outputs, ascending, each once */
  size_t n;
};

/* Mark register r live (registers beyond the file cannot be: no op writes them). */
static void mark_live(unsigned char *live, size_t nregs, uint32_t r) {
  if (r < nregs) live[r] = 1;
}

/* keep[i] = 1 for every instruction of the outputs program the chosen outputs need. */
static void needed_code(const syn_model *m, const unsigned char *chosen, unsigned char *live,
                        unsigned char *keep) {
  const syn_prog *p = &m->out;
  for (size_t i = p->n; i-- > 0;) {
    const syn_insn *ins = &p->code[i];
    switch ((syn_op)ins->op) {
      case SYN_OP_STORE:
        keep[i] = chosen[ins->dst];
        if (keep[i]) mark_live(live, m->nregs, ins->a);
        break;
      case SYN_OP_LOADY: /* reads y, not registers */
      case SYN_OP_LOADT:
        keep[i] = ins->dst < m->nregs && live[ins->dst];
        if (keep[i]) live[ins->dst] = 0;
        break;
      default:
        keep[i] = ins->dst < m->nregs && live[ins->dst];
        if (!keep[i]) break;
        live[ins->dst] = 0; /* written here: earlier writes are dead unless read again */
        mark_live(live, m->nregs, ins->a);
        mark_live(live, m->nregs, ins->b);
        mark_live(live, m->nregs, ins->c);
        break;
    }
  }
}

static syn_status build(syn_output_set *set, const unsigned char *chosen, syn_error *err) {
  const syn_model *m = set->m;
  const syn_prog *p = &m->out;
  unsigned char *live = syn_calloc(m->nregs + 1, 1), *keep = syn_calloc(p->n + 1, 1);
  syn_status st = SYN_OK;
  if (live == NULL || keep == NULL) {
    st = syn_error_set(err, SYN_ENOMEM, "out of memory for a set of outputs");
    goto done;
  }
  needed_code(m, chosen, live, keep);
  for (size_t i = 0; i < p->n && st == SYN_OK; i++) {
    const syn_insn *ins = &p->code[i];
    if (keep[i] && syn_prog_emit(&set->prog, (syn_op)ins->op, ins->dst, ins->a, ins->b, ins->c,
                                 p->node ? p->node[i] : DAG_NONE) != 0)
      st = syn_error_set(err, SYN_ENOMEM, "out of memory for a set of outputs");
  }
done:
  syn_free(live);
  syn_free(keep);
  return st;
}

syn_status syn_output_set_create(const syn_model *m, const size_t *outputs, size_t n,
                                 syn_output_set **out, syn_error *err) {
  if (out == NULL) return syn_error_set(err, SYN_EINVAL, "syn_output_set_create: out is NULL");
  *out = NULL;
  if (m == NULL || (n > 0 && outputs == NULL))
    return syn_error_set(err, SYN_EINVAL, "syn_output_set_create: no model or no outputs");
  size_t no = m->nsym[SYN_SYM_OUTPUT];
  for (size_t i = 0; i < n; i++)
    if (outputs[i] >= no)
      return syn_error_set(err, SYN_EINVAL, "output %zu asked for, but the model has %zu outputs",
                           outputs[i], no);
  syn_output_set *set = syn_calloc(1, sizeof *set);
  unsigned char *chosen = syn_calloc(no + 1, 1);
  syn_status st = SYN_OK;
  if (set == NULL || chosen == NULL) {
    st = syn_error_set(err, SYN_ENOMEM, "out of memory for a set of outputs");
    goto done;
  }
  set->m = m;
  for (size_t i = 0; i < n; i++) chosen[outputs[i]] = 1;
  set->outputs = syn_calloc(n + 1, sizeof *set->outputs);
  if (set->outputs == NULL) {
    st = syn_error_set(err, SYN_ENOMEM, "out of memory for a set of outputs");
    goto done;
  }
  for (size_t i = 0; i < no; i++)
    if (chosen[i]) set->outputs[set->n++] = i;
  st = build(set, chosen, err);
done:
  syn_free(chosen);
  if (st != SYN_OK) {
    syn_output_set_destroy(set);
    return st;
  }
  *out = set;
  return SYN_OK;
}

void syn_output_set_destroy(syn_output_set *set) {
  if (set == NULL) return;
  syn_prog_free(&set->prog);
  syn_free(set->outputs);
  syn_free(set);
}

syn_status syn_instance_outputs_of(syn_instance *inst, const syn_output_set *set, double t,
                                   const double *y, double *out, syn_error *err) {
  if (inst == NULL || set == NULL || set->m != inst->m)
    return syn_error_set(err, SYN_EINVAL, "syn_instance_outputs_of: no instance, or a set of "
                                          "outputs of another model");
  syn_vm_io io = {.t = t, .y = y, .out = out};
  syn_vm_run(&set->prog, inst->reg, &io);
  for (size_t k = 0; k < set->n; k++)
    if (!isfinite(out[set->outputs[k]]))
      return syn_instance_nonfinite_output(inst, &set->prog, &io, set->outputs[k], err);
  return SYN_OK;
}
