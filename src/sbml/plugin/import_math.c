/* synovia — SBML import: MathML (libSBML's AST) as an expression of the
 * model language. Every translation is exact (docs/sbml.md lists them);
 * anything else is refused, located at the element that holds the math. */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "import_impl.h"

typedef struct ctx {
  imp *I;
  math_mode mode;
  const SBase_t *el;
  const ibind *env;         /* bound variables of the function being inlined */
  size_t nenv;
  int depth;
} ctx;

enum { MAX_DEPTH = 200 };

static syn_status tr(ctx *c, const ASTNode_t *m, syn_strbuf *out);

/* One-to-one functions: %0, %1 stand for the arguments (parenthesised). */
typedef struct fn_map {
  ASTNodeType_t type;
  int nargs;
  const char *tmpl;
} fn_map;

static const fn_map FN[] = {
    {AST_FUNCTION_ABS, 1, "abs(%0)"},        {AST_FUNCTION_ARCCOS, 1, "acos(%0)"},
    {AST_FUNCTION_ARCSIN, 1, "asin(%0)"},    {AST_FUNCTION_ARCTAN, 1, "atan(%0)"},
    {AST_FUNCTION_CEILING, 1, "ceil(%0)"},   {AST_FUNCTION_COS, 1, "cos(%0)"},
    {AST_FUNCTION_COSH, 1, "cosh(%0)"},      {AST_FUNCTION_EXP, 1, "exp(%0)"},
    {AST_FUNCTION_FLOOR, 1, "floor(%0)"},    {AST_FUNCTION_FACTORIAL, 1, "factorial(%0)"},    {AST_FUNCTION_LN, 1, "ln(%0)"},
    {AST_FUNCTION_SIN, 1, "sin(%0)"},        {AST_FUNCTION_SINH, 1, "sinh(%0)"},
    {AST_FUNCTION_TAN, 1, "tan(%0)"},        {AST_FUNCTION_TANH, 1, "tanh(%0)"},
    {AST_FUNCTION_SEC, 1, "1 / cos(%0)"},    {AST_FUNCTION_CSC, 1, "1 / sin(%0)"},
    {AST_FUNCTION_COT, 1, "1 / tan(%0)"},    {AST_FUNCTION_SECH, 1, "1 / cosh(%0)"},
    {AST_FUNCTION_CSCH, 1, "1 / sinh(%0)"},  {AST_FUNCTION_COTH, 1, "1 / tanh(%0)"},
    {AST_FUNCTION_ARCSEC, 1, "acos(1 / (%0))"}, {AST_FUNCTION_ARCCSC, 1, "asin(1 / (%0))"},
    {AST_FUNCTION_ARCCOT, 1, "atan(1 / (%0))"},
    {AST_FUNCTION_ARCSINH, 1, "ln(%0 + sqrt(%0 ^ 2 + 1))"},
    {AST_FUNCTION_ARCCOSH, 1, "ln(%0 + sqrt(%0 ^ 2 - 1))"},
    {AST_FUNCTION_ARCTANH, 1, "0.5 * ln((1 + %0) / (1 - %0))"},
    {AST_FUNCTION_ARCSECH, 1, "ln((1 + sqrt(1 - %0 ^ 2)) / %0)"},
    {AST_FUNCTION_ARCCSCH, 1, "ln(1 / (%0) + sqrt(1 / (%0) ^ 2 + 1))"},
    {AST_FUNCTION_ARCCOTH, 1, "0.5 * ln((%0 + 1) / (%0 - 1))"},
    {AST_FUNCTION_POWER, 2, "%0 ^ %1"},      {AST_POWER, 2, "%0 ^ %1"},
    {AST_DIVIDE, 2, "%0 / %1"},              {AST_LOGICAL_NOT, 1, "!%0"},
    {AST_LOGICAL_IMPLIES, 2, "!%0 || %1"},   {AST_RELATIONAL_NEQ, 2, "%0 != %1"},
    {AST_FUNCTION_QUOTIENT, 2, "if(%0 / %1 < 0, ceil(%0 / %1), floor(%0 / %1))"},
    {AST_FUNCTION_REM, 2, "%0 - %1 * if(%0 / %1 < 0, ceil(%0 / %1), floor(%0 / %1))"},
};

/* n-ary operators: the operator between the arguments, the value of none. */
typedef struct nary_map {
  ASTNodeType_t type;
  const char *op;
  const char *empty;
} nary_map;

static const nary_map NARY[] = {
    {AST_PLUS, " + ", "0"},          {AST_TIMES, " * ", "1"},
    {AST_LOGICAL_AND, " && ", "1"},  {AST_LOGICAL_OR, " || ", "0"},
    {AST_RELATIONAL_EQ, " == ", "1"}, {AST_RELATIONAL_GEQ, " >= ", "1"},
    {AST_RELATIONAL_GT, " > ", "1"}, {AST_RELATIONAL_LEQ, " <= ", "1"},
    {AST_RELATIONAL_LT, " < ", "1"},
};

static int is_relational(ASTNodeType_t t) {
  return t == AST_RELATIONAL_EQ || t == AST_RELATIONAL_GEQ || t == AST_RELATIONAL_GT ||
         t == AST_RELATIONAL_LEQ || t == AST_RELATIONAL_LT;
}

/* A name or a non-negative number needs no parentheses as an operand. */
static int is_atom(const char *s) {
  if (*s == '\0') return 0;
  for (const char *p = s; *p; p++)
    if (!(*p == '_' || *p == '.' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
          (*p >= 'A' && *p <= 'Z') || ((*p == '+' || *p == '-') && p > s && (p[-1] == 'e' || p[-1] == 'E'))))
      return 0;
  return 1;
}

static int starts_numeric(const char *s) { return (*s >= '0' && *s <= '9') || *s == '.'; }

/* An operand: parenthesised unless an atom; a number before '/' too, where
 * a following name would otherwise be read as its unit ("2 / h"). */
static void put_operand(syn_strbuf *out, const char *s, int before_slash) {
  if (is_atom(s) && !(before_slash && starts_numeric(s))) {
    syn_strbuf_append(out, s);
    return;
  }
  syn_strbuf_appendf(out, "(%s)", s);
}

/* An argument's text into b (a scratch buffer: a failed allocation there is
 * reported here, not left as a gap in the expression). */
static syn_status child_text(ctx *c, const ASTNode_t *m, unsigned i, syn_strbuf *b) {
  const ASTNode_t *k = ASTNode_getChild(m, i);
  if (k == NULL) return imp_refuse(c->I, c->el, "malformed math: an argument is missing");
  syn_status s = tr(c, k, b);
  if (s == SYN_OK && b->failed) s = syn_error_set(c->I->err, SYN_ENOMEM, "out of memory");
  return s;
}

static syn_status put_template(ctx *c, const ASTNode_t *m, const fn_map *f, syn_strbuf *out) {
  if ((int)ASTNode_getNumChildren(m) != f->nargs)
    return imp_refuse(c->I, c->el, "'%s' takes %d argument%s, found %u",
                      ASTNode_getName(m) ? ASTNode_getName(m) : "function", f->nargs,
                      f->nargs == 1 ? "" : "s", ASTNode_getNumChildren(m));
  syn_strbuf arg[2] = {SYN_STRBUF_INIT, SYN_STRBUF_INIT};
  syn_status s = SYN_OK;
  for (int i = 0; i < f->nargs && s == SYN_OK; i++) s = child_text(c, m, (unsigned)i, &arg[i]);
  for (const char *p = f->tmpl; s == SYN_OK && *p; p++) {
    if (p[0] == '%' && (p[1] == '0' || p[1] == '1')) {
      put_operand(out, syn_strbuf_str(&arg[p[1] - '0']), strncmp(p + 2, " /", 2) == 0);
      p++;
    } else {
      syn_strbuf_appendn(out, p, 1);
    }
  }
  syn_strbuf_free(&arg[0]);
  syn_strbuf_free(&arg[1]);
  return s;
}

/* a + b + c; relations chain pairwise: a < b < c is (a < b) && (b < c). */
static syn_status put_nary(ctx *c, const ASTNode_t *m, const nary_map *n, syn_strbuf *out) {
  unsigned k = ASTNode_getNumChildren(m);
  if (k == 0) {
    syn_strbuf_append(out, n->empty);
    return SYN_OK;
  }
  syn_strbuf prev = SYN_STRBUF_INIT, cur = SYN_STRBUF_INIT;
  syn_status s = child_text(c, m, 0, &prev);
  int rel = is_relational(ASTNode_getType(m));
  if (s == SYN_OK && k == 1) syn_strbuf_append(out, rel ? "1" : syn_strbuf_str(&prev));
  for (unsigned i = 1; s == SYN_OK && i < k; i++) {
    syn_strbuf_clear(&cur);
    s = child_text(c, m, i, &cur);
    if (s != SYN_OK) break;
    if (rel) {
      if (i > 1) syn_strbuf_append(out, " && ");
      syn_strbuf_append(out, "(");
      put_operand(out, syn_strbuf_str(&prev), 0);
      syn_strbuf_append(out, n->op);
      put_operand(out, syn_strbuf_str(&cur), 0);
      syn_strbuf_append(out, ")");
      syn_strbuf_clear(&prev);
      syn_strbuf_append(&prev, syn_strbuf_str(&cur));
      if (prev.failed) s = syn_error_set(c->I->err, SYN_ENOMEM, "out of memory");
    } else {
      if (i == 1) put_operand(out, syn_strbuf_str(&prev), 0);
      syn_strbuf_append(out, n->op);
      put_operand(out, syn_strbuf_str(&cur), 0);
    }
  }
  syn_strbuf_free(&prev);
  syn_strbuf_free(&cur);
  return s;
}

static syn_status put_minus(ctx *c, const ASTNode_t *m, syn_strbuf *out) {
  unsigned k = ASTNode_getNumChildren(m);
  if (k == 1) {
    static const fn_map neg = {AST_MINUS, 1, "-%0"};
    return put_template(c, m, &neg, out);
  }
  static const fn_map sub = {AST_MINUS, 2, "%0 - %1"};
  return put_template(c, m, &sub, out);
}

/* xor of any number of arguments: true when an odd number are true. */
static syn_status put_xor(ctx *c, const ASTNode_t *m, syn_strbuf *out) {
  unsigned k = ASTNode_getNumChildren(m);
  syn_strbuf acc = SYN_STRBUF_INIT, cur = SYN_STRBUF_INIT;
  syn_strbuf_append(&acc, "0");
  syn_status s = SYN_OK;
  for (unsigned i = 0; i < k && s == SYN_OK; i++) {
    syn_strbuf_clear(&cur);
    s = child_text(c, m, i, &cur);
    syn_strbuf next = SYN_STRBUF_INIT;
    syn_strbuf_appendf(&next, "(%s) != ((%s) != 0)", syn_strbuf_str(&acc), syn_strbuf_str(&cur));
    syn_strbuf_free(&acc);
    acc = next;
    if (s == SYN_OK && acc.failed) s = syn_error_set(c->I->err, SYN_ENOMEM, "out of memory");
  }
  if (s == SYN_OK) syn_strbuf_append(out, syn_strbuf_str(&acc));
  syn_strbuf_free(&acc);
  syn_strbuf_free(&cur);
  return s;
}

static syn_status put_minmax(ctx *c, const ASTNode_t *m, const char *fn, syn_strbuf *out) {
  unsigned k = ASTNode_getNumChildren(m);
  if (k == 0) return imp_refuse(c->I, c->el, "'%s' needs at least one argument", fn);
  if (k == 1) return child_text(c, m, 0, out);
  syn_strbuf_appendf(out, "%s(", fn);
  syn_status s = SYN_OK;
  for (unsigned i = 0; i < k && s == SYN_OK; i++) {
    if (i) syn_strbuf_append(out, ", ");
    s = child_text(c, m, i, out);
  }
  syn_strbuf_append(out, ")");
  return s;
}

/* piecewise(v1, c1, v2, c2, ..., otherwise) -> if(c1, v1, if(c2, v2, otherwise));
 * no otherwise: undefined (NaN), as SBML leaves it. */
static syn_status put_piecewise(ctx *c, const ASTNode_t *m, unsigned from, syn_strbuf *out) {
  unsigned k = ASTNode_getNumChildren(m);
  if (from + 1 == k) return child_text(c, m, from, out);
  if (from >= k) {
    imp_append_number(out, 0.0 / 0.0);
    return SYN_OK;
  }
  syn_strbuf_append(out, "if(");
  syn_status s = child_text(c, m, from + 1, out);
  syn_strbuf_append(out, ", ");
  if (s == SYN_OK) s = child_text(c, m, from, out);
  syn_strbuf_append(out, ", ");
  if (s == SYN_OK) s = put_piecewise(c, m, from + 2, out);
  syn_strbuf_append(out, ")");
  return s;
}

/* log with a base (default 10), root with a degree (default 2). */
static syn_status put_log_root(ctx *c, const ASTNode_t *m, syn_strbuf *out) {
  int is_log = ASTNode_getType(m) == AST_FUNCTION_LOG;
  unsigned k = ASTNode_getNumChildren(m);
  if (k != 1 && k != 2) return imp_refuse(c->I, c->el, "malformed %s", is_log ? "log" : "root");
  syn_strbuf x = SYN_STRBUF_INIT, q = SYN_STRBUF_INIT;
  syn_status s = child_text(c, m, k - 1, &x);
  if (s == SYN_OK && k == 2) s = child_text(c, m, 0, &q);
  const char *qs = syn_strbuf_str(&q), *xs = syn_strbuf_str(&x);
  if (s == SYN_OK && is_log && (k == 1 || strcmp(qs, "10") == 0))
    syn_strbuf_appendf(out, "log10(%s)", xs);
  else if (s == SYN_OK && is_log)
    syn_strbuf_appendf(out, "ln(%s) / ln(%s)", xs, qs);
  else if (s == SYN_OK && (k == 1 || strcmp(qs, "2") == 0))
    syn_strbuf_appendf(out, "sqrt(%s)", xs);
  else if (s == SYN_OK)
    syn_strbuf_appendf(out, "(%s) ^ (1 / (%s))", xs, qs);
  syn_strbuf_free(&x);
  syn_strbuf_free(&q);
  return s;
}

static const ifunc *find_func(const imp *I, const char *id) {
  for (size_t i = 0; id && i < I->nfn; i++)
    if (strcmp(I->fn[i].id, id) == 0) return &I->fn[i];
  return NULL;
}

typedef syn_status (*body_fn)(ctx *c, const ASTNode_t *m, syn_strbuf *out);

/* A call of a function definition: its body, translated by body (as a value,
 * or as an event's condition), with the arguments in place of its bound
 * variables (the arguments translated in the caller's scope). */
static syn_status inline_call(ctx *c, const ASTNode_t *m, body_fn body, syn_strbuf *out) {
  const char *id = ASTNode_getName(m);
  ifunc *f = (ifunc *)find_func(c->I, id);
  if (f == NULL || f->lambda == NULL)
    return imp_refuse(c->I, c->el, "call of an unknown function '%s'", id ? id : "?");
  unsigned nl = ASTNode_getNumChildren(f->lambda), k = ASTNode_getNumChildren(m);
  unsigned nb = nl > 0 ? nl - 1 : 0;
  if (k != nb)
    return imp_refuse(c->I, c->el, "function '%s' takes %u argument%s, found %u", id, nb,
                      nb == 1 ? "" : "s", k);
  if (f->busy) return imp_refuse(c->I, f->el, "function '%s' calls itself", id);
  syn_strbuf *args = syn_calloc(nb + 1, sizeof *args);
  ibind *env = syn_calloc(nb + 1, sizeof *env);
  syn_status s = args && env ? SYN_OK : syn_error_set(c->I->err, SYN_ENOMEM, "out of memory");
  for (unsigned i = 0; s == SYN_OK && i < nb; i++) {
    s = child_text(c, m, i, &args[i]);
    env[i].name = ASTNode_getName(ASTNode_getChild(f->lambda, i));
    env[i].text = syn_strbuf_str(&args[i]);
  }
  if (s == SYN_OK) {
    ctx inner = *c;
    inner.env = env;
    inner.nenv = nb;
    f->busy = 1;
    s = body(&inner, ASTNode_getChild(f->lambda, nb), out);
    f->busy = 0;
  }
  for (unsigned i = 0; args && i < nb; i++) syn_strbuf_free(&args[i]);
  syn_free(args);
  syn_free(env);
  return s;
}

static syn_status put_call(ctx *c, const ASTNode_t *m, syn_strbuf *out) {
  return inline_call(c, m, tr, out);
}

/* A local parameter of the reaction in scope, by id, or -1. */
static int find_local(const imp *I, const char *id) {
  for (int i = I->local_begin; i < I->local_end; i++)
    if (strcmp(I->sym[i].id, id) == 0) return i;
  return -1;
}

static syn_status put_name(ctx *c, const ASTNode_t *m, syn_strbuf *out) {
  const char *id = ASTNode_getName(m);
  if (id == NULL) return imp_refuse(c->I, c->el, "malformed math: a name without a name");
  for (size_t i = 0; i < c->nenv; i++)
    if (c->env[i].name && strcmp(c->env[i].name, id) == 0) {
      put_operand(out, c->env[i].text, 1);
      return SYN_OK;
    }
  if (c->env != NULL)
    return imp_refuse(c->I, c->el, "a function definition uses '%s', which is not one of its "
                      "arguments", id);
  int s = find_local(c->I, id);
  if (s >= 0) {
    syn_strbuf_append(out, c->I->sym[s].name);
    return SYN_OK;
  }
  s = imp_find(c->I, id);
  if (s < 0) return imp_refuse(c->I, c->el, "unknown name '%s' in math", id);
  if (c->I->sym[s].undefined) return imp_refuse_undefined(c->I, s, c->el);
  if (c->mode == MODE_DYN) {
    syn_strbuf_append(out, c->I->sym[s].name);
    return SYN_OK;
  }
  const char *t = c->I->init_text(c->I, s, c->el);
  if (t == NULL) return c->I->err ? c->I->err->code : SYN_EINPUT;
  put_operand(out, t, 1);
  return SYN_OK;
}

static syn_status put_rate_of(ctx *c, const ASTNode_t *m, syn_strbuf *out) {
  const ASTNode_t *k = ASTNode_getChild(m, 0);
  if (ASTNode_getNumChildren(m) != 1 || ASTNode_getType(k) != AST_NAME)
    return imp_refuse(c->I, c->el, "rateOf takes one name");
  if (find_local(c->I, ASTNode_getName(k)) >= 0) { /* a local parameter: a constant */
    syn_strbuf_append(out, "0");
    return SYN_OK;
  }
  int s = imp_find(c->I, ASTNode_getName(k));
  if (s < 0)
    return imp_refuse(c->I, c->el, "rateOf of '%s', which is not a model variable",
                      ASTNode_getName(k));
  syn_strbuf_append(out, "(");
  syn_status st = c->I->rate_of(c->I, s, c->mode, c->el, out);
  syn_strbuf_append(out, ")");
  return st;
}

static syn_status put_leaf(ctx *c, const ASTNode_t *m, syn_strbuf *out) {
  switch (ASTNode_getType(m)) {
  case AST_INTEGER: imp_append_number(out, (double)ASTNode_getInteger(m)); return SYN_OK;
  case AST_REAL: case AST_REAL_E: case AST_RATIONAL: case AST_NAME_AVOGADRO:
    imp_append_number(out, ASTNode_getReal(m));
    return SYN_OK;
  case AST_CONSTANT_PI: imp_append_number(out, 3.141592653589793); return SYN_OK;
  case AST_CONSTANT_E: syn_strbuf_append(out, "exp(1)"); return SYN_OK;
  case AST_CONSTANT_TRUE: syn_strbuf_append(out, "1"); return SYN_OK;
  case AST_CONSTANT_FALSE: syn_strbuf_append(out, "0"); return SYN_OK;
  case AST_NAME_TIME: syn_strbuf_append(out, c->mode == MODE_DYN ? "t" : "0"); return SYN_OK;
  case AST_NAME: return put_name(c, m, out);
  default: return SYN_EINTERNAL;
  }
}

static syn_status tr_node(ctx *c, const ASTNode_t *m, syn_strbuf *out) {
  ASTNodeType_t t = ASTNode_getType(m);
  for (size_t i = 0; i < sizeof FN / sizeof FN[0]; i++)
    if (FN[i].type == t) return put_template(c, m, &FN[i], out);
  for (size_t i = 0; i < sizeof NARY / sizeof NARY[0]; i++)
    if (NARY[i].type == t) return put_nary(c, m, &NARY[i], out);
  switch (t) {
  case AST_MINUS: return put_minus(c, m, out);
  case AST_LOGICAL_XOR: return put_xor(c, m, out);
  case AST_FUNCTION_MAX: return put_minmax(c, m, "max", out);
  case AST_FUNCTION_MIN: return put_minmax(c, m, "min", out);
  case AST_FUNCTION_PIECEWISE: return put_piecewise(c, m, 0, out);
  case AST_FUNCTION_LOG: case AST_FUNCTION_ROOT: return put_log_root(c, m, out);
  case AST_FUNCTION: return put_call(c, m, out);
  case AST_FUNCTION_RATE_OF: return put_rate_of(c, m, out);
  case AST_FUNCTION_DELAY:
    return imp_refuse(c->I, c->el, "the delay csymbol is not supported (no delay equations)");
  default: break;
  }
  syn_status s = put_leaf(c, m, out);
  if (s != SYN_EINTERNAL) return s;
  const char *nm = ASTNode_getName(m);
  return imp_refuse(c->I, c->el, "MathML '%s' is not supported", nm ? nm : "element");
}

static syn_status tr(ctx *c, const ASTNode_t *m, syn_strbuf *out) {
  if (m == NULL) return imp_refuse(c->I, c->el, "math is missing");
  if (++c->depth > MAX_DEPTH) return imp_refuse(c->I, c->el, "math is nested too deeply");
  syn_status s = tr_node(c, m, out);
  c->depth--;
  return s;
}

syn_status imp_math(imp *I, const ASTNode_t *m, math_mode mode, const SBase_t *el,
                    syn_strbuf *out) {
  ctx c = {I, mode, el, NULL, 0, 0};
  syn_status s = tr(&c, m, out);
  if (s == SYN_OK && out->failed) s = syn_error_set(I->err, SYN_ENOMEM, "out of memory");
  return s;
}

char *imp_math_str(imp *I, const ASTNode_t *m, math_mode mode, const SBase_t *el) {
  syn_strbuf b = SYN_STRBUF_INIT;
  if (imp_math(I, m, mode, el, &b) != SYN_OK) {
    syn_strbuf_free(&b);
    return NULL;
  }
  if (b.data == NULL) syn_strbuf_append(&b, "");
  return b.data;
}

/* ---- event triggers: the language's conditions are comparisons joined by
 * && || ! (docs/language.md, events); MathML's logic is kept as logic and
 * any other value x becomes the comparison (x) != 0, true where x is. */

static syn_status cond(ctx *c, const ASTNode_t *m, syn_strbuf *out);

/* The children of m as conditions, joined by op. */
static syn_status cond_join(ctx *c, const ASTNode_t *m, const char *op, const char *empty,
                            syn_strbuf *out) {
  unsigned k = ASTNode_getNumChildren(m);
  if (k == 0) syn_strbuf_append(out, empty);
  syn_status s = SYN_OK;
  for (unsigned i = 0; i < k && s == SYN_OK; i++) {
    syn_strbuf_append(out, i ? op : "");
    syn_strbuf_append(out, "(");
    s = cond(c, ASTNode_getChild(m, i), out);
    syn_strbuf_append(out, ")");
  }
  return s;
}

/* xor: true when an odd number of the children are; folded pairwise as
 * (a && !b) || (!a && b). */
static syn_status cond_xor(ctx *c, const ASTNode_t *m, unsigned upto, syn_strbuf *out) {
  if (upto == 0) {
    syn_strbuf_append(out, "0 != 0");
    return SYN_OK;
  }
  syn_strbuf a = SYN_STRBUF_INIT, b = SYN_STRBUF_INIT;
  syn_status s = cond_xor(c, m, upto - 1, &a);
  if (s == SYN_OK) s = cond(c, ASTNode_getChild(m, upto - 1), &b);
  const char *x = syn_strbuf_str(&a), *y = syn_strbuf_str(&b);
  if (s == SYN_OK)
    syn_strbuf_appendf(out, "((%s) && !(%s)) || (!(%s) && (%s))", x, y, x, y);
  if (s == SYN_OK && (a.failed || b.failed)) s = syn_error_set(c->I->err, SYN_ENOMEM, "out of memory");
  syn_strbuf_free(&a);
  syn_strbuf_free(&b);
  return s;
}

static syn_status cond(ctx *c, const ASTNode_t *m, syn_strbuf *out) {
  if (m == NULL) return imp_refuse(c->I, c->el, "math is missing");
  ASTNodeType_t t = ASTNode_getType(m);
  unsigned k = ASTNode_getNumChildren(m);
  if ((is_relational(t) || t == AST_RELATIONAL_NEQ) && k >= 2) return tr(c, m, out);
  switch (t) {
  case AST_LOGICAL_AND: return cond_join(c, m, " && ", "1 != 0", out);
  case AST_LOGICAL_OR: return cond_join(c, m, " || ", "0 != 0", out);
  case AST_LOGICAL_XOR: return cond_xor(c, m, k, out);
  case AST_FUNCTION: return inline_call(c, m, cond, out); /* a function of comparisons */
  case AST_LOGICAL_NOT:
  case AST_LOGICAL_IMPLIES:
    if (k != (t == AST_LOGICAL_NOT ? 1u : 2u)) break;
    syn_strbuf_append(out, "!(");
    syn_status s = cond(c, ASTNode_getChild(m, 0), out);
    syn_strbuf_append(out, ")");
    if (s != SYN_OK || t == AST_LOGICAL_NOT) return s;
    syn_strbuf_append(out, " || (");
    s = cond(c, ASTNode_getChild(m, 1), out);
    syn_strbuf_append(out, ")");
    return s;
  default: break;
  }
  syn_strbuf_append(out, "(");
  syn_status s = tr(c, m, out);
  syn_strbuf_append(out, ") != 0");
  return s;
}

syn_status imp_condition(imp *I, const ASTNode_t *m, const SBase_t *el, syn_strbuf *out) {
  ctx c = {I, MODE_DYN, el, NULL, 0, 0};
  syn_status s = cond(&c, m, out);
  if (s == SYN_OK && out->failed) s = syn_error_set(I->err, SYN_ENOMEM, "out of memory");
  return s;
}
