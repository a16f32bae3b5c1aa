/* synovia — flat register bytecode and its interpreter (internal, model layer).
 *
 * A program is an array of fixed-size instructions over one register file
 * (one double per DAG node; constants are preloaded once). The VM is a switch
 * loop: no allocation, no text, no recursion.
 *
 *   arithmetic   reg[dst] = op(reg[a], reg[b], reg[c])  (unused operands = a)
 *   LOADY        reg[dst] = y[a]
 *   LOADT        reg[dst] = t
 *   STORE        out[dst] = reg[a]
 *   SETP         reg[dst] = set[b] ? over[b] : reg[a];  param[b] = reg[dst]
 *   INIT         y0[dst]  = yset[dst] ? yover[dst] : reg[a]
 */
#ifndef SYN_MODEL_VM_H
#define SYN_MODEL_VM_H

#include <stddef.h>
#include <stdint.h>

#include "model/ops.h"

typedef struct syn_insn {
  uint8_t op;
  uint32_t dst, a, b, c;
} syn_insn;

typedef struct syn_prog {
  syn_insn *code;
  size_t n, cap;
  uint32_t *node; /* per instruction: the DAG node it computes (DAG_NONE for STORE/SETP/INIT) */
} syn_prog;

/* Everything a program may read or write besides registers. */
typedef struct syn_vm_io {
  double t;
  const double *y;
  double *out;
  /* setup only */
  double *param;
  const unsigned char *pset;
  const double *pover;
  double *y0;
  const unsigned char *yset;
  const double *yover;
} syn_vm_io;

/* Append an instruction; 0 or -1 (OOM). */
int syn_prog_emit(syn_prog *p, syn_op op, uint32_t dst, uint32_t a, uint32_t b, uint32_t c,
                  uint32_t node);
void syn_prog_free(syn_prog *p);

/* Run a whole program. */
void syn_vm_run(const syn_prog *p, double *reg, const syn_vm_io *io);

/* Run one instruction (for the diagnosis, which checks after each). */
void syn_vm_step(const syn_insn *ins, double *reg, const syn_vm_io *io);

#endif
