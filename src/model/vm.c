/* synovia — the bytecode interpreter (see vm.h). Model layer, hot path:
 * nothing here allocates, prints or looks at text. */
#include "model/vm.h"

#include <string.h>

#include "base/alloc.h"

int syn_prog_emit(syn_prog *p, syn_op op, uint32_t dst, uint32_t a, uint32_t b, uint32_t c,
                  uint32_t node) {
  size_t cap = p->cap;
  if (syn_grow((void **)&p->code, &cap, p->n + 1, sizeof *p->code) != 0) return -1;
  size_t cap2 = p->cap;
  if (syn_grow((void **)&p->node, &cap2, p->n + 1, sizeof *p->node) != 0) return -1;
  p->cap = cap < cap2 ? cap : cap2;
  p->code[p->n] = (syn_insn){.op = (uint8_t)op, .dst = dst, .a = a, .b = b, .c = c};
  p->node[p->n] = node;
  p->n++;
  return 0;
}

void syn_prog_free(syn_prog *p) {
  if (p == NULL) return;
  syn_free(p->code);
  syn_free(p->node);
  memset(p, 0, sizeof *p);
}

static inline void exec(const syn_insn *ins, double *restrict reg, const syn_vm_io *io) {
  switch ((syn_op)ins->op) {
    case SYN_OP_LOADY: reg[ins->dst] = io->y[ins->a]; break;
    case SYN_OP_LOADT: reg[ins->dst] = io->t; break;
    case SYN_OP_STORE: io->out[ins->dst] = reg[ins->a]; break;
    case SYN_OP_SETP: {
      double v = io->pset[ins->b] ? io->pover[ins->b] : reg[ins->a];
      reg[ins->dst] = v;
      io->param[ins->b] = v;
      break;
    }
    case SYN_OP_INIT: io->y0[ins->dst] = io->yset[ins->dst] ? io->yover[ins->dst] : reg[ins->a]; break;
    /* the hottest ops get their own case so the compiler inlines them */
    case SYN_OP_ADD: reg[ins->dst] = reg[ins->a] + reg[ins->b]; break;
    case SYN_OP_SUB: reg[ins->dst] = reg[ins->a] - reg[ins->b]; break;
    case SYN_OP_MUL: reg[ins->dst] = reg[ins->a] * reg[ins->b]; break;
    case SYN_OP_DIV: reg[ins->dst] = reg[ins->a] / reg[ins->b]; break;
    case SYN_OP_NEG: reg[ins->dst] = -reg[ins->a]; break;
    default: /* codegen fills unused operands with a valid register */
      reg[ins->dst] = syn_op_apply((syn_op)ins->op, reg[ins->a], reg[ins->b], reg[ins->c]);
      break;
  }
}

void syn_vm_run(const syn_prog *p, double *reg, const syn_vm_io *io) {
  if (p->n == 0) return; /* an empty program may have no code array at all */
  const syn_insn *ins = p->code, *end = p->code + p->n;
  for (; ins < end; ins++) exec(ins, reg, io);
}

void syn_vm_step(const syn_insn *ins, double *reg, const syn_vm_io *io) { exec(ins, reg, io); }
