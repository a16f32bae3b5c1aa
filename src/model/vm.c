/* synovia — the bytecode interpreter (see vm.h). Model layer, hot path:
 * nothing here allocates, prints or looks at text, except lowering, which
 * runs once at compile time. */
#include "model/vm.h"

#include <string.h>

#include "base/alloc.h"

#define NONE UINT32_MAX /* no register, no instruction */

#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

/* --- the fast form's instructions ------------------------------------------------------ */

/* The four basic operations, in the order of the fused codes below. */
#define FAST_ARITH(X) X(ADD, +) X(SUB, -) X(MUL, *) X(DIV, /)

/* Fused pairs: an operation C whose operand is the result of an operation P
 * that nothing else reads. C_P_L: d = (a P b) C c;  C_P_R: d = c C (a P b).
 * The same two operations in the same order, each rounded: bit-identical to
 * the two instructions (no contraction into a fused multiply-add: see the
 * handlers). */
#define FAST_FUSED_P(X, C, cop) X(C, cop, ADD, +) X(C, cop, SUB, -) X(C, cop, MUL, *) X(C, cop, DIV, /)
#define FAST_FUSED(X) \
  FAST_FUSED_P(X, ADD, +) FAST_FUSED_P(X, SUB, -) FAST_FUSED_P(X, MUL, *) FAST_FUSED_P(X, DIV, /)

/* The codes the fast form dispatches on. */
typedef enum fast_op {
#define FAST_ENUM_(name, op) F_##name,
  FAST_ARITH(FAST_ENUM_)
#undef FAST_ENUM_
  F_NEG,
  F_SQR,    /* a*a: a^2 */
  F_RECIP,  /* 1/a: a^-1 */
  F_POW,    /* syn_pow(a, b), exponent known only at run time */
  F_APPLY,  /* any other op: syn_op_apply(sub, a, b, c) */
  F_END,    /* the last instruction */
#define FAST_FUSED_ENUM_(C, cop, P, pop) F_##C##_##P##_L, F_##C##_##P##_R,
  FAST_FUSED(FAST_FUSED_ENUM_)
#undef FAST_FUSED_ENUM_
  F_COUNT
} fast_op;

/* ADD, SUB, MUL, DIV -> 0..3 (their place in FAST_ARITH), others -1. */
static int arith_index(syn_op op) {
  switch (op) {
    case SYN_OP_ADD: return 0;
    case SYN_OP_SUB: return 1;
    case SYN_OP_MUL: return 2;
    case SYN_OP_DIV: return 3;
    default: return -1;
  }
}

static fast_op fused_code(int consumer, int producer, int right) {
  return (fast_op)(F_ADD_ADD_L + (consumer * 4 + producer) * 2 + right);
}

typedef struct fast_insn {
  uint16_t op, sub;
  uint32_t d, a, b, c;
} fast_insn;

struct syn_fast {
  fast_insn *code;
  size_t n;
  uint32_t *load_reg, *load_y; /* reg[load_reg[i]] = y[load_y[i]] */
  size_t nload;
  uint32_t *time_reg;          /* reg[time_reg[i]] = t */
  size_t ntime;
  uint32_t load_base;           /* NONE, or: load i is y[i] into reg[load_base + i] */
  uint32_t *store_out, *store_reg; /* out[store_out[i]] = reg[store_reg[i]] */
  size_t nstore;
  int store_in_order;           /* store_out[i] == i */
  size_t npow;
};

static void fast_free(syn_fast *f) {
  if (f == NULL) return;
  syn_free(f->code);
  syn_free(f->load_reg);
  syn_free(f->load_y);
  syn_free(f->time_reg);
  syn_free(f->store_out);
  syn_free(f->store_reg);
  syn_free(f);
}

/* --- the plain form ------------------------------------------------------------------- */

int syn_prog_emit(syn_prog *p, syn_op op, uint32_t dst, uint32_t a, uint32_t b, uint32_t c,
                  uint32_t node) {
  fast_free(p->fast); /* it no longer describes the program */
  p->fast = NULL;
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
  fast_free(p->fast);
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

void syn_vm_step(const syn_insn *ins, double *reg, const syn_vm_io *io) { exec(ins, reg, io); }

/* --- running the fast form ---------------------------------------------------------------- */

/* The rare ops, out of line so that the dispatch loop stays small. */
static NOINLINE double apply_rare(const fast_insn *ins, const double *reg) {
  return syn_op_apply((syn_op)ins->sub, reg[ins->a], reg[ins->b], reg[ins->c]);
}

static NOINLINE double pow_rare(double a, double b) { return syn_pow(a, b); }

/* The dispatch loop. With GCC or Clang each handler jumps straight to the
 * next one through a table of label addresses ("token threading": no bounds
 * check, one indirect jump per instruction, each with its own history in the
 * branch predictor); the code ends with F_END. Elsewhere, a switch. Labels as
 * values are an extension, hence the local pragma (-Wpedantic);
 * -DSYN_VM_SWITCH builds the switch (test_vm passes with both). */
#if defined(__GNUC__) && !defined(SYN_VM_SWITCH)
#define FAST_THREADED 1
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#define CASE(op) L_##op:
#define NEXT goto *table[(++ins)->op]
#else
#define FAST_THREADED 0
#define CASE(op) case op:
#define NEXT break
#endif

#define R(x) reg[ins->x]
static void run_code(const fast_insn *ins, double *restrict reg) {
#if FAST_THREADED
  static const void *const table[F_COUNT] = {
#define FAST_LABEL_(name, op) [F_##name] = &&L_F_##name,
      FAST_ARITH(FAST_LABEL_)
#undef FAST_LABEL_
      [F_NEG] = &&L_F_NEG, [F_SQR] = &&L_F_SQR, [F_RECIP] = &&L_F_RECIP, [F_POW] = &&L_F_POW,
      [F_APPLY] = &&L_F_APPLY, [F_END] = &&L_F_END,
#define FAST_FUSED_LABEL_(C, cop, P, pop) \
  [F_##C##_##P##_L] = &&L_F_##C##_##P##_L, [F_##C##_##P##_R] = &&L_F_##C##_##P##_R,
      FAST_FUSED(FAST_FUSED_LABEL_)
#undef FAST_FUSED_LABEL_
  };
  goto *table[ins->op];
#else
  for (;; ins++) switch ((fast_op)ins->op) {
#endif
#define FAST_CASE_(name, op) CASE(F_##name) R(d) = R(a) op R(b); NEXT;
  FAST_ARITH(FAST_CASE_)
#undef FAST_CASE_
  CASE(F_NEG) R(d) = -R(a); NEXT;
  CASE(F_SQR) R(d) = R(a) * R(a); NEXT;
  CASE(F_RECIP) R(d) = 1.0 / R(a); NEXT;
  CASE(F_POW) R(d) = pow_rare(R(a), R(b)); NEXT;
  CASE(F_APPLY) R(d) = apply_rare(ins, reg); NEXT;
  /* Two statements: ISO C contracts a*b + c into a fused multiply-add only
   * within one expression (Clang's default); GCC's -std=c11 never does. */
#define FAST_FUSED_CASE_(C, cop, P, pop)                         \
  CASE(F_##C##_##P##_L) {                                        \
    double t = R(a) pop R(b);                                    \
    R(d) = t cop R(c);                                           \
  }                                                              \
  NEXT;                                                          \
  CASE(F_##C##_##P##_R) {                                        \
    double t = R(a) pop R(b);                                    \
    R(d) = R(c) cop t;                                           \
  }                                                              \
  NEXT;
  FAST_FUSED(FAST_FUSED_CASE_)
#undef FAST_FUSED_CASE_
  CASE(F_END) return;
#if !FAST_THREADED
    default: return; /* F_COUNT: never emitted */
  }
#endif
}
#undef R
#undef CASE
#undef NEXT
#if FAST_THREADED
#pragma GCC diagnostic pop
#endif

/* 1 when the bits of v are not those of a finite double (exponent all ones):
 * (bits & EXP) + 2^52 carries into the sign bit exactly then. OR-ed over the
 * stores, it checks them all without a branch. */
static inline uint64_t nonfinite_bit(double v) {
  uint64_t u;
  memcpy(&u, &v, sizeof u);
  return ((u & 0x7ff0000000000000ULL) + (1ULL << 52)) >> 63;
}

static int run_fast(const syn_fast *f, double *restrict reg, const syn_vm_io *io) {
  const double *restrict y = io->y;
  if (f->load_base != NONE) {
    memcpy(reg + f->load_base, y, f->nload * sizeof *y);
  } else {
    for (size_t i = 0; i < f->nload; i++) reg[f->load_reg[i]] = y[f->load_y[i]];
  }
  for (size_t i = 0; i < f->ntime; i++) reg[f->time_reg[i]] = io->t;
  run_code(f->code, reg);
  double *restrict out = io->out;
  uint64_t bad = 0;
  if (f->store_in_order) {
    for (size_t i = 0; i < f->nstore; i++) {
      double v = reg[f->store_reg[i]];
      out[i] = v;
      bad |= nonfinite_bit(v);
    }
  } else {
    for (size_t i = 0; i < f->nstore; i++) {
      double v = reg[f->store_reg[i]];
      out[f->store_out[i]] = v;
      bad |= nonfinite_bit(v);
    }
  }
  return bad == 0;
}

int syn_vm_run(const syn_prog *p, double *reg, const syn_vm_io *io) {
  if (p->fast != NULL) return run_fast(p->fast, reg, io);
  if (p->n == 0) return 1; /* an empty program may have no code array at all */
  const syn_insn *ins = p->code, *end = p->code + p->n;
  uint64_t bad = 0;
  for (; ins < end; ins++) {
    exec(ins, reg, io);
    if (ins->op == SYN_OP_STORE) bad |= nonfinite_bit(reg[ins->a]);
  }
  return bad == 0;
}

size_t syn_prog_fast_count(const syn_prog *p) { return p->fast ? p->fast->n : 0; }
size_t syn_prog_fast_pow_calls(const syn_prog *p) { return p->fast ? p->fast->npow : 0; }

/* --- lowering ---------------------------------------------------------------------------- */


typedef struct lower_ctx {
  const syn_prog *p;
  const double *reg_init;
  const unsigned char *is_const;
  size_t nregs;
  uint32_t *writer;     /* per register: the instruction writing it, or NONE */
  uint32_t *uses;       /* per register: operand and store reads */
  unsigned char *fused; /* per instruction: folded into its one reader */
  unsigned char *absorbed; /* per instruction: it folded in an operand (so it cannot be folded) */
  syn_fast *f;
} lower_ctx;

/* The registers an instruction reads (operands of arithmetic, a of STORE);
 * -1 for an instruction the fast form has no place for. */
static int reads(const syn_insn *ins, uint32_t r[3]) {
  syn_op op = (syn_op)ins->op;
  r[0] = ins->a, r[1] = ins->b, r[2] = ins->c;
  if (op == SYN_OP_STORE) return 1;
  if (op == SYN_OP_LOADY || op == SYN_OP_LOADT) return 0;
  int n = op < SYN_OP_COUNT ? syn_op_arity(op) : 0;
  return n > 0 ? n : -1; /* setup instructions, leaves, unknown codes */
}

/* Single assignment, every read after the write (or of a register the
 * program does not write), registers in range: then loads can move to the
 * front, stores to the end, and products into their reader. 0 or 1. */
static int check_shape(lower_ctx *c) {
  const syn_prog *p = c->p;
  for (size_t r = 0; r < c->nregs; r++) c->writer[r] = NONE, c->uses[r] = 0;
  for (size_t i = 0; i < p->n; i++) {
    const syn_insn *ins = &p->code[i];
    uint32_t r[3];
    if (reads(ins, r) < 0 || p->n >= NONE) return 0;
    if (ins->op == SYN_OP_STORE) continue;
    if (ins->dst >= c->nregs || c->writer[ins->dst] != NONE) return 0;
    c->writer[ins->dst] = (uint32_t)i;
  }
  for (size_t i = 0; i < p->n; i++) {
    uint32_t r[3];
    int n = reads(&p->code[i], r);
    for (int k = 0; k < n; k++) {
      if (r[k] >= c->nregs || (c->writer[r[k]] != NONE && c->writer[r[k]] >= i)) return 0;
      c->uses[r[k]]++;
    }
  }
  return 1;
}

/* Register r is the result of a basic operation (one that folded nothing in
 * itself) that only the instruction at hand reads: it can be folded in. */
static int foldable(const lower_ctx *c, uint32_t r) {
  uint32_t w = c->writer[r];
  return w != NONE && c->uses[r] == 1 && arith_index((syn_op)c->p->code[w].op) >= 0 &&
         !c->fused[w] && !c->absorbed[w];
}

static int const_is(const lower_ctx *c, uint32_t r, double v) {
  return c->is_const[r] && c->reg_init[r] == v;
}

/* A basic operation at i, folding in one operand when it can (the left one
 * first). */
static fast_insn translate_arith(lower_ctx *c, size_t i, int ci) {
  const syn_insn *ins = &c->p->code[i];
  fast_insn f = {.op = (uint16_t)ci, .d = ins->dst, .a = ins->a, .b = ins->b, .c = ins->c};
  for (int right = 0; right < 2; right++) {
    uint32_t r = right ? ins->b : ins->a;
    if (!foldable(c, r)) continue;
    const syn_insn *pr = &c->p->code[c->writer[r]];
    c->fused[c->writer[r]] = 1;
    c->absorbed[i] = 1;
    f.op = (uint16_t)fused_code(ci, arith_index((syn_op)pr->op), right);
    f.a = pr->a, f.b = pr->b, f.c = right ? ins->a : ins->b;
    break;
  }
  return f;
}

/* The fast instruction for plain instruction i (arithmetic). */
static fast_insn translate(lower_ctx *c, size_t i) {
  const syn_insn *ins = &c->p->code[i];
  int ci = arith_index((syn_op)ins->op);
  if (ci >= 0) return translate_arith(c, i, ci);
  fast_insn f = {.op = F_APPLY, .sub = ins->op, .d = ins->dst, .a = ins->a, .b = ins->b, .c = ins->c};
  if (ins->op == SYN_OP_NEG) f.op = F_NEG;
  if (ins->op == SYN_OP_POW)
    f.op = const_is(c, ins->b, 2.0) ? F_SQR : const_is(c, ins->b, -1.0) ? F_RECIP : F_POW;
  return f;
}

/* An operation is fused into its reader, which comes later: decide readers
 * first (one scan, in order), then emit what is left. */
static int emit_fast(lower_ctx *c) {
  const syn_prog *p = c->p;
  syn_fast *f = c->f;
  fast_insn *tmp = syn_malloc((p->n + 1) * sizeof *tmp);
  if (tmp == NULL) return -1;
  for (size_t i = 0; i < p->n; i++) {
    const syn_insn *ins = &p->code[i];
    if (ins->op == SYN_OP_LOADY) {
      f->load_reg[f->nload] = ins->dst, f->load_y[f->nload++] = ins->a;
    } else if (ins->op == SYN_OP_LOADT) {
      f->time_reg[f->ntime++] = ins->dst;
    } else if (ins->op == SYN_OP_STORE) {
      f->store_out[f->nstore] = ins->dst, f->store_reg[f->nstore++] = ins->a;
    } else {
      tmp[i] = translate(c, i);
    }
  }
  for (size_t i = 0; i < p->n; i++) {
    syn_op op = (syn_op)p->code[i].op;
    if (op == SYN_OP_LOADY || op == SYN_OP_LOADT || op == SYN_OP_STORE || c->fused[i]) continue;
    f->npow += tmp[i].op == F_POW;
    f->code[f->n++] = tmp[i];
  }
  f->code[f->n] = (fast_insn){.op = F_END};
  f->load_base = f->nload > 0 ? f->load_reg[0] : NONE;
  for (size_t i = 0; i < f->nload && f->load_base != NONE; i++)
    if (f->load_y[i] != i || f->load_reg[i] != f->load_base + i) f->load_base = NONE;
  f->store_in_order = 1;
  for (size_t i = 0; i < f->nstore; i++) f->store_in_order &= f->store_out[i] == i;
  syn_free(tmp);
  return 0;
}

static syn_fast *fast_alloc(size_t n) {
  syn_fast *f = syn_calloc(1, sizeof *f);
  if (f == NULL) return NULL;
  size_t k = n + 1;
  f->code = syn_malloc((k + 1) * sizeof *f->code); /* and F_END */
  f->load_reg = syn_malloc(k * sizeof *f->load_reg);
  f->load_y = syn_malloc(k * sizeof *f->load_y);
  f->time_reg = syn_malloc(k * sizeof *f->time_reg);
  f->store_out = syn_malloc(k * sizeof *f->store_out);
  f->store_reg = syn_malloc(k * sizeof *f->store_reg);
  if (!f->code || !f->load_reg || !f->load_y || !f->time_reg || !f->store_out || !f->store_reg) {
    fast_free(f);
    return NULL;
  }
  return f;
}

int syn_prog_lower(syn_prog *p, const double *reg_init, const unsigned char *is_const,
                   size_t nregs) {
  lower_ctx c = {.p = p, .reg_init = reg_init, .is_const = is_const, .nregs = nregs};
  int rc = -1;
  fast_free(p->fast);
  p->fast = NULL;
  c.writer = syn_malloc((nregs + 1) * sizeof *c.writer);
  c.uses = syn_malloc((nregs + 1) * sizeof *c.uses);
  c.fused = syn_calloc(p->n + 1, 1);
  c.absorbed = syn_calloc(p->n + 1, 1);
  if (c.writer == NULL || c.uses == NULL || c.fused == NULL || c.absorbed == NULL) goto done;
  rc = 0;
  if (!check_shape(&c)) goto done;
  rc = -1;
  c.f = fast_alloc(p->n);
  if (c.f == NULL || emit_fast(&c) != 0) goto done;
  p->fast = c.f;
  c.f = NULL;
  rc = 0;
done:
  fast_free(c.f);
  syn_free(c.writer);
  syn_free(c.uses);
  syn_free(c.fused);
  syn_free(c.absorbed);
  return rc;
}
