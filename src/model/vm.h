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
 *
 * This one-instruction-per-DAG-node form is what the diagnosis steps through
 * (explain.c). The hot programs (rhs, Jacobian, outputs) are also lowered
 * once, at compile time, into a faster form that computes the same bits
 * (syn_prog_lower): the loads of y and t become a copy before the code and
 * the stores a gather after it, so only arithmetic is dispatched; a basic
 * operation (+ - * /) whose result only one other basic operation reads is
 * fused into it ((a*b) - c, c / (a + b): the same two roundings, no fused
 * multiply-add); an exponent that is the constant 2 or -1 is a product or a
 * division (see syn_pow in ops.h); rare ops are out of line. Dispatch is
 * token-threaded (GCC, Clang) or a switch. syn_vm_run uses the fast form when
 * there is one; it may leave the registers of fused results unwritten, which
 * only the plain form reads (the diagnosis reruns it). Tests: test_vm. */
#ifndef SYN_MODEL_VM_H
#define SYN_MODEL_VM_H

#include <stddef.h>
#include <stdint.h>

#include "model/ops.h"

typedef struct syn_insn {
  uint8_t op;
  uint32_t dst, a, b, c;
} syn_insn;

typedef struct syn_fast syn_fast; /* the lowered form (vm.c) */

typedef struct syn_prog {
  syn_insn *code;
  size_t n, cap;
  uint32_t *node; /* per instruction: the DAG node it computes (DAG_NONE for STORE/SETP/INIT) */
  syn_fast *fast; /* NULL until syn_prog_lower; cleared by syn_prog_emit */
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

/* Append an instruction; 0 or -1 (OOM). Drops a lowered form. */
int syn_prog_emit(syn_prog *p, syn_op op, uint32_t dst, uint32_t a, uint32_t b, uint32_t c,
                  uint32_t node);
void syn_prog_free(syn_prog *p);

/* Build the fast form of a finished program. is_const[r] (nregs entries)
 * says register r holds a constant whose value is reg_init[r] in every run;
 * every register the program reads or writes is < nregs. A program the fast
 * form cannot express (setup instructions, a register written twice or read
 * before the program writes it) keeps only its plain form. 0, or -1 (OOM:
 * the program keeps its plain form and stays correct). */
int syn_prog_lower(syn_prog *p, const double *reg_init, const unsigned char *is_const,
                   size_t nregs);

/* Instructions the fast form dispatches (0 when there is none): the plain
 * count minus loads, stores and fused products. For statistics and tests. */
size_t syn_prog_fast_count(const syn_prog *p);
/* How many dispatched instructions of the fast form call the C library's pow. */
size_t syn_prog_fast_pow_calls(const syn_prog *p);

/* Run a whole program; 1 when every value it stored is finite, else 0. */
int syn_vm_run(const syn_prog *p, double *reg, const syn_vm_io *io);

/* Run one instruction of the plain form (for the diagnosis, which checks after each). */
void syn_vm_step(const syn_insn *ins, double *reg, const syn_vm_io *io);

#endif
