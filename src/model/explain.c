/* synovia — diagnosis of a value that is not finite (model layer).
 *
 * Outside the hot path: re-run the setup program and then the rhs (or the
 * outputs) one instruction at a time, and report the first instruction that
 * turned finite operands into Inf or NaN, with the source expression, its
 * location, the d/dt (or output) it belongs to, and the operand values:
 *   d/dt X: 'log(x)' at knee.model:5:12 gave -inf (x = 0)
 * Uses only the instance's workspace and snprintf: no allocation. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model/model_impl.h"

typedef struct out_text {
  char *buf;
  size_t size, len;
} out_text;

static void put(out_text *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(out_text *o, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t room = o->len < o->size ? o->size - o->len : 0;
  int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
  va_end(ap);
  if (n > 0) o->len += (size_t)n;
}

/* A node's source text, cut at 40 bytes (at a UTF-8 boundary). */
/* Source text of at most max bytes, cut before a whole UTF-8 character and
 * marked with "…" when cut. */
static void put_clipped(out_text *o, const char *s, size_t len, size_t max) {
  if (len <= max) {
    put(o, "%.*s", (int)len, s);
    return;
  }
  len = max;
  while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80) len--;
  put(o, "%.*s\xe2\x80\xa6", (int)len, s);
}

static void put_source(out_text *o, const syn_model *m, uint32_t node) {
  const dag_node *nd = &m->dag.nodes[node];
  if (m->node_name[node]) {
    put(o, "%s", m->node_name[node]);
  } else if (nd->has_span) {
    put_clipped(o, syn_span_text(m->prog->sources, nd->span), nd->span.len, 40);
  } else {
    put(o, "%s", syn_op_spelling((syn_op)nd->op));
  }
}

static void put_owner(out_text *o, const syn_model *m, int which, int32_t owner) {
  if (which == 0)
    put(o, "d/dt %s: ", m->sym[SYN_SYM_STATE][owner].name);
  else
    put(o, "output %s: ", m->sym[SYN_SYM_OUTPUT][owner].name);
}

static void describe(out_text *o, const syn_model *m, int which, int32_t owner, uint32_t node,
                     const double *reg) {
  const dag_node *nd = &m->dag.nodes[node];
  put_owner(o, m, which, owner);
  put(o, "'");
  if (nd->has_span) {
    put_clipped(o, syn_span_text(m->prog->sources, nd->span), nd->span.len, 60);
    int line = 0, col = 0;
    syn_srcset_linecol(m->prog->sources, nd->span, &line, &col);
    put(o, "' at %s:%d:%d", syn_srcset_get(m->prog->sources, nd->span.file)->path, line, col);
  } else {
    put(o, "%s'", syn_op_spelling((syn_op)nd->op));
  }
  put(o, " gave %g", syn_shown(reg[node]));
  int n = syn_op_arity((syn_op)nd->op), shown = 0;
  uint32_t ops[3] = {nd->a, nd->b, nd->c};
  for (int i = 0; i < n; i++) {
    if (m->dag.nodes[ops[i]].op == SYN_OP_CONST) continue;
    int dup = 0;
    for (int j = 0; j < i; j++) dup |= ops[j] == ops[i];
    if (dup) continue;
    put(o, shown++ ? ", " : " (");
    put_source(o, m, ops[i]);
    put(o, " = %g", syn_shown(reg[ops[i]]));
  }
  if (shown) put(o, ")");
}

/* 1 if the instruction's operands were finite and its result is not. */
static int newly_nonfinite(const syn_insn *ins, const double *reg) {
  if (isfinite(reg[ins->dst])) return 0;
  int n = syn_op_arity((syn_op)ins->op);
  return (n < 1 || isfinite(reg[ins->a])) && (n < 2 || isfinite(reg[ins->b])) &&
         (n < 3 || isfinite(reg[ins->c]));
}

/* Step through one program; returns 1 when it wrote an explanation. */
static int scan(syn_instance *inst, const syn_prog *p, int which, const syn_vm_io *io, out_text *o) {
  const syn_model *m = inst->m;
  const int32_t *owner = which == 0 ? m->owner_rhs : m->owner_out;
  for (size_t k = 0; k < p->n; k++) {
    const syn_insn *ins = &p->code[k];
    if (ins->op == SYN_OP_STORE) continue;
    syn_vm_step(ins, inst->reg, io);
    uint32_t node = p->node[k];
    if (node == DAG_NONE || owner[node] < 0) continue;
    if (ins->op == SYN_OP_LOADY) {
      if (isfinite(inst->reg[node])) continue;
      put_owner(o, m, which, owner[node]);
      put(o, "state '%s' is %g", m->sym[SYN_SYM_STATE][ins->a].name, syn_shown(inst->reg[node]));
      return 1;
    }
    if (ins->op == SYN_OP_LOADT) {
      if (isfinite(inst->reg[node])) continue;
      put_owner(o, m, which, owner[node]);
      put(o, "time t is %g", syn_shown(inst->reg[node]));
      return 1;
    }
    if (!newly_nonfinite(ins, inst->reg)) continue;
    describe(o, m, which, owner[node], node, inst->reg);
    return 1;
  }
  return 0;
}

int syn_model_explain(syn_instance *inst, int which, double t, const double *y, char *buf,
                      size_t size) {
  const syn_model *m = inst->m;
  out_text o = {buf, size, 0};
  if (size > 0) buf[0] = 0;
  syn_vm_io io = {.t = t,
                  .y = y,
                  .param = inst->param,
                  .pset = inst->pset,
                  .pover = inst->pover,
                  .y0 = inst->y0,
                  .yset = inst->yset,
                  .yover = inst->yover};
  int found = scan(inst, &m->setup, which, &io, &o);
  if (!found) found = scan(inst, which == 0 ? &m->rhs : &m->out, which, &io, &o);
  return found;
}
