/* synovia — AST helpers: operator names and the test printer (see ast.h).
 * Lang layer; the nodes themselves are built by parser.c in the program's arena. */
#include "ast.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* ORDER: follows ast_op in ast.h. */
static const char *const op_names[] = {"+", "-",  "*", "/",  "^",  "<", "<=", ">",
                                       ">=", "==", "!=", "&&", "||", "-", "!"};

_Static_assert(sizeof op_names / sizeof op_names[0] == AST_NOT + 1, "op_names follows ast_op");

const char *syn_op_name(ast_op op) {
  return op >= AST_ADD && op <= AST_NOT ? op_names[op] : "?";
}

typedef struct out_buf {
  char *buf;
  size_t size, len;
} out_buf;

static void put(out_buf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(out_buf *o, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *at = o->len < o->size ? o->buf + o->len : NULL;
  int n = vsnprintf(at, at ? o->size - o->len : 0, fmt, ap);
  va_end(ap);
  if (n > 0) o->len += (size_t)n;
}

/* The shortest %g text (of 15 to 17 digits) that reads back as the same double. */
static void put_number(out_buf *o, double v) {
  char tmp[40];
  for (int prec = 15; prec <= 17; prec++) { /* 15 digits always print 20 as "20" */
    snprintf(tmp, sizeof tmp, "%.*g", prec, v);
    if (strtod(tmp, NULL) == v) break;
  }
  put(o, "%s", tmp);
}

/* "pg/mL", "/d", "mm^2", "mg.L^-1" style: '/' for negative exponents. */
static void put_unit(out_buf *o, const ast_unit *u) {
  put(o, " [");
  for (size_t i = 0; i < u->nterms; i++) {
    const ast_unit_term *t = &u->terms[i];
    int e = t->exponent;
    if (e < 0) put(o, "/");
    else if (i > 0) put(o, ".");
    put(o, "%s", t->symbol);
    if (e != 1 && e != -1) put(o, "^%d", e < 0 ? -e : e);
  }
  put(o, "]");
}

static void print_expr(out_buf *o, const ast_expr *e) {
  switch (e->kind) {
    case AST_NUM:
      put_number(o, e->u.num.value);
      if (e->u.num.unit) put_unit(o, e->u.num.unit);
      break;
    case AST_NAME: put(o, "%s", e->u.name.id); break;
    case AST_UNARY:
      put(o, "(%s ", syn_op_name(e->u.unary.op));
      print_expr(o, e->u.unary.a);
      put(o, ")");
      break;
    case AST_BINARY:
      put(o, "(%s ", syn_op_name(e->u.binary.op));
      print_expr(o, e->u.binary.a);
      put(o, " ");
      print_expr(o, e->u.binary.b);
      put(o, ")");
      break;
    case AST_CALL:
      put(o, "(%s", e->u.call.fn);
      for (size_t i = 0; i < e->u.call.nargs; i++) {
        put(o, " ");
        print_expr(o, e->u.call.args[i]);
      }
      put(o, ")");
      break;
  }
}

size_t syn_ast_print(const ast_expr *e, char *buf, size_t size) {
  out_buf o = {buf, size, 0};
  if (size > 0) buf[0] = 0;
  if (e) print_expr(&o, e);
  return o.len;
}
