/* synovia — the parser (see parser.h). Lang layer: lexer tokens in, AST out.
 *
 * Line oriented: a declaration ends at a newline, except inside parentheses
 * and right after a binary operator, ',' or '=' (continuation lines). Every
 * parse function starts with its grammar rule; docs/language.md has the
 * whole grammar. The first error stops the parse. */
#include "parser.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "tokstream.h"
#include "suggest.h"
#include "units.h"

/* Tokens of lookahead: `3 mm ^ - 2` needs the current one and three more. */
enum { UNIT_MAX_EXPONENT = 99, UNARY_PRIORITY = 6 };

typedef struct parser {
  syn_tokstream ts;        /* tokens, lookahead, lexical errors */
  const syn_srcset *src;
  syn_arena *arena;
  syn_error *err;
  int in_block;            /* inside `per joint { … }` */
  int depth;               /* expression recursion depth (SYN_MAX_NESTING) */
} parser;

/* ---- errors ------------------------------------------------------------- */

static syn_status error_at(parser *p, syn_span at, syn_status code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static syn_status error_at(parser *p, syn_span at, syn_status code, const char *fmt, ...) {
  char msg[SYN_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return ts_error_at(&p->ts, at, code, "%s", msg);
}

static syn_status out_of_memory(parser *p) {
  return syn_error_set(p->err, SYN_ENOMEM, "out of memory");
}

/* ---- tokens ---------------------------------------------------------------- */

static const syn_token *peek(parser *p, size_t k) { return ts_peek(&p->ts, k); }
static const syn_token *cur(parser *p) { return ts_peek(&p->ts, 0); }
static syn_status advance(parser *p) { return ts_advance(&p->ts); }
static syn_status skip_newlines(parser *p) { return ts_skip_newlines(&p->ts); }
static int is_word(parser *p, const syn_token *t, const char *word) {
  return ts_is_word(&p->ts, t, word);
}


static syn_status expect(parser *p, syn_tk kind) {
  if (cur(p)->kind == kind) return advance(p);
  char what[32];
  snprintf(what, sizeof what, "'%s'", lex_kind_text(kind));
  return ts_expected(&p->ts, what);
}

static const char *span_str(parser *p, syn_span s) {
  return syn_arena_strndup(p->arena, syn_span_text(p->src, s), s.len);
}


/* ---- AST nodes --------------------------------------------------------------- */

static ast_expr *new_expr(parser *p, ast_kind kind, syn_span span) {
  ast_expr *e = syn_arena_alloc(p->arena, sizeof *e);
  if (e == NULL) return NULL;
  e->kind = kind;
  e->span = span;
  e->height = 1;
  return e;
}

/* Nodes deeper than SYN_MAX_NESTING are refused even when the parser did
 * not recurse (a + b + c + ... builds a deep tree iteratively), because
 * everything downstream walks the tree recursively. */
static syn_status check_height(parser *p, ast_expr *e, syn_span at) {
  if (e->height <= SYN_MAX_NESTING) return SYN_OK;
  return error_at(p, at, SYN_ELIMIT, "expression is nested too deeply (more than %d levels)",
                  SYN_MAX_NESTING);
}

static unsigned max_u(unsigned a, unsigned b) { return a > b ? a : b; }

/* Grow an arena array by doubling (the old copy stays in the arena; the
 * waste is bounded by the final size). */

/* The text of a string token without quotes, escapes decoded. */

/* ---- units ------------------------------------------------------------------------ */

/* Length of the first '.'-separated segment of a name token: the lexer reads
 * `mg.L` as one (qualified) name, which in a unit is the product mg*L. */
static uint32_t first_segment(const char *s, uint32_t len) {
  uint32_t n = 0;
  while (n < len && s[n] != '.') n++;
  return n;
}

/* The unit named by the first segment of a name token, or NULL. */
static const syn_unit_def *unit_at(parser *p, const syn_token *t) {
  if (t->kind != TK_NAME || t->newline_before) return NULL;
  const char *s = syn_span_text(p->src, t->span);
  return syn_unit_lookup(s, first_segment(s, t->span.len));
}

static syn_status unknown_unit(parser *p, syn_span at) {
  const char *text = syn_span_text(p->src, at);
  const char *near = syn_unit_suggest(text, at.len);
  if (near)
    return error_at(p, at, SYN_EINPUT, "unknown unit '%.*s' (did you mean '%s'?)",
                    (int)at.len, text, near);
  error_at(p, at, SYN_EINPUT, "unknown unit '%.*s'", (int)at.len, text);
  syn_error_hint(p->err, "known units include s, min, h, d, wk, yr, mL, L, pg, ng, mg, nM, "
                         "cells, U (see docs/language.md)");
  return SYN_EINPUT;
}

static int is_integer_token(parser *p, const syn_token *t) {
  if (t->kind != TK_NUMBER || t->newline_before) return 0;
  const char *s = syn_span_text(p->src, t->span);
  for (uint32_t i = 0; i < t->span.len; i++)
    if (s[i] < '0' || s[i] > '9') return 0;
  return 1;
}

/* power = '^' ['-'] INTEGER        (after a unit symbol: always part of the unit) */
static syn_status parse_unit_power(parser *p, ast_unit_term *term) {
  syn_status st = advance(p); /* '^' */
  int sign = 1;
  if (st == SYN_OK && cur(p)->kind == TK_MINUS && !cur(p)->newline_before) {
    sign = -1;
    st = advance(p);
  }
  if (st != SYN_OK) return st;
  const syn_token *t = cur(p);
  if (!is_integer_token(p, t)) return ts_expected(&p->ts, "an integer unit exponent");
  if (t->number < 1 || t->number > UNIT_MAX_EXPONENT)
    return error_at(p, t->span, SYN_EINPUT, "unit exponent must be from 1 to %d",
                    UNIT_MAX_EXPONENT);
  term->exponent *= sign * (int)t->number;
  term->span = syn_span_join(term->span, t->span);
  return advance(p);
}

/* term = SYM { '.' SYM } [power]   (the current token; the lexer joined
 * `mg.L` into one name, so it is split here and a power binds to the last) */
static syn_status parse_unit_term(parser *p, ast_unit *u, size_t *cap, int sign, syn_span start) {
  const syn_token *t = cur(p);
  const char *text = syn_span_text(p->src, t->span);
  ast_unit_term *term = NULL;
  for (uint32_t off = 0; off < t->span.len;) {
    uint32_t n = first_segment(text + off, t->span.len - off);
    syn_span seg = {t->span.file, t->span.off + off, n};
    const syn_unit_def *def = syn_unit_lookup(text + off, n);
    if (def == NULL) return unknown_unit(p, seg);
    if (syn_arena_grow(p->arena, (void **)&u->terms, cap, u->nterms + 1, sizeof *u->terms) != 0)
      return out_of_memory(p);
    term = &u->terms[u->nterms++];
    term->symbol = def->symbol;
    term->exponent = off == 0 ? sign : 1;
    term->span = off == 0 ? syn_span_join(start, seg) : seg;
    u->span = u->nterms == 1 ? term->span : syn_span_join(u->span, term->span);
    off += n + 1;
  }
  if (term == NULL) return unknown_unit(p, t->span); /* a name token is never empty */
  syn_status st = advance(p);
  if (st == SYN_OK && cur(p)->kind == TK_CARET && !cur(p)->newline_before)
    st = parse_unit_power(p, term);
  u->span = u->nterms == 1 ? term->span : syn_span_join(u->span, term->span);
  return st;
}

static int is_event_option(parser *p, const syn_token *t);

/* Does a unit start at the current token (right after a number)?
 * unit = ( SYM | '/' SYM ) [power] { ( '/' | '.' ) SYM [power] }   on one line */
static int unit_starts(parser *p) {
  const syn_token *t = cur(p);
  if (t->newline_before) return 0;
  /* a name must be a unit (unknown ones are errors), except the word that
   * starts a state's tolerance: `state X = 1 atol 1e-6` */
  if (t->kind == TK_NAME) return !is_word(p, t, "atol") && !is_event_option(p, t);
  return t->kind == TK_SLASH && unit_at(p, peek(p, 1)) != NULL;
}

static syn_status parse_unit(parser *p, const ast_unit **out) {
  ast_unit *u = syn_arena_alloc(p->arena, sizeof *u);
  size_t cap = 0;
  if (u == NULL) return out_of_memory(p);
  syn_status st = SYN_OK;
  for (int first = 1; st == SYN_OK; first = 0) {
    const syn_token *t = cur(p);
    syn_span start = t->span;
    int sign = 1;
    if (!first || t->kind == TK_SLASH) {
      const syn_token *sym = peek(p, 1);
      int sep = (t->kind == TK_SLASH || (t->kind == TK_DOT && !first)) && !t->newline_before &&
                sym->kind == TK_NAME && !sym->newline_before;
      if (!sep || (t->kind == TK_SLASH && unit_at(p, sym) == NULL)) break; /* a division */
      sign = t->kind == TK_SLASH ? -1 : 1;
      st = advance(p);
      if (st != SYN_OK) break;
    }
    if (cur(p)->kind != TK_NAME || cur(p)->newline_before) return unknown_unit(p, cur(p)->span);
    st = parse_unit_term(p, u, &cap, sign, start);
  }
  *out = u;
  return st;
}

/* ---- expressions --------------------------------------------------------------- */

static syn_status parse_expr(parser *p, ast_expr **out);

/* Binary operators and their priorities: left > limit continues the
 * current operand; right is the limit for the right operand, so right <
 * left makes an operator right associative ('^'). */
static const struct {
  unsigned char left, right;
} priority[] = {
    [AST_ADD] = {4, 4}, [AST_SUB] = {4, 4}, [AST_MUL] = {5, 5}, [AST_DIV] = {5, 5},
    [AST_POW] = {8, 7}, [AST_LT] = {3, 3},  [AST_LE] = {3, 3},  [AST_GT] = {3, 3},
    [AST_GE] = {3, 3},  [AST_EQ] = {3, 3},  [AST_NE] = {3, 3},  [AST_AND] = {2, 2},
    [AST_OR] = {1, 1},
};

static int binary_op(syn_tk kind) {
  switch (kind) {
    case TK_PLUS: return AST_ADD;
    case TK_MINUS: return AST_SUB;
    case TK_STAR: return AST_MUL;
    case TK_SLASH: return AST_DIV;
    case TK_CARET: return AST_POW;
    case TK_LT: return AST_LT;
    case TK_LE: return AST_LE;
    case TK_GT: return AST_GT;
    case TK_GE: return AST_GE;
    case TK_EQEQ: return AST_EQ;
    case TK_NE: return AST_NE;
    case TK_AND: return AST_AND;
    case TK_OR: return AST_OR;
    default: return -1;
  }
}

static int is_comparison(int op) { return op >= AST_LT && op <= AST_NE; }

/* number = NUMBER [unit] */
static syn_status parse_number(parser *p, ast_expr **out) {
  ast_expr *e = new_expr(p, AST_NUM, cur(p)->span);
  if (e == NULL) return out_of_memory(p);
  e->u.num.value = cur(p)->number;
  syn_status st = advance(p);
  if (st == SYN_OK && unit_starts(p)) {
    st = parse_unit(p, &e->u.num.unit);
    if (st == SYN_OK) e->span = syn_span_join(e->span, e->u.num.unit->span);
  }
  *out = e;
  return st;
}

/* "expected WHAT", with a hint pointing at the unclosed bracket (the
 * character at `open`: '(' or '{'). */
static syn_status unclosed_at(parser *p, syn_span open, char bracket, const char *what) {
  int line, col;
  syn_srcset_linecol(p->src, open, &line, &col);
  syn_status st = ts_expected(&p->ts, what);
  syn_error_hint(p->err, "the '%c' at line %d, column %d is not closed", bracket, line, col);
  return st;
}

static syn_status unclosed(parser *p, syn_span open, const char *what) {
  return unclosed_at(p, open, '(', what);
}

/* The `joint` of sum(joint, expr): a name no declaration can have, since
 * `joint` is reserved; the model layer checks the function aggregates. */
static syn_status parse_joint_arg(parser *p, ast_expr **out) {
  ast_expr *e = new_expr(p, AST_NAME, cur(p)->span);
  if (e == NULL || (e->u.name.id = span_str(p, cur(p)->span)) == NULL) return out_of_memory(p);
  *out = e;
  return advance(p);
}

/* args = '(' [ ( expr | 'joint' ) { ',' expr } ] ')'      (the current token is '(') */
static syn_status parse_args(parser *p, ast_expr *call) {
  syn_span open = cur(p)->span;
  size_t cap = 0;
  p->ts.paren_depth++;
  syn_status st = advance(p);
  int more = st == SYN_OK && cur(p)->kind != TK_RPAREN;
  while (st == SYN_OK && more) {
    if (call->u.call.nargs == SYN_MAX_ARGS)
      return error_at(p, cur(p)->span, SYN_ELIMIT, "too many arguments to '%s' (at most %d)",
                      call->u.call.fn, SYN_MAX_ARGS);
    ast_expr *arg = NULL;
    if (call->u.call.nargs == 0 && cur(p)->kind == TK_JOINT)
      st = parse_joint_arg(p, &arg);
    else
      st = parse_expr(p, &arg);
    if (st != SYN_OK) return st;
    if (syn_arena_grow(p->arena, (void **)&call->u.call.args, &cap, call->u.call.nargs + 1,
                   sizeof *call->u.call.args) != 0)
      return out_of_memory(p);
    call->u.call.args[call->u.call.nargs++] = arg;
    call->height = max_u(call->height, arg->height + 1);
    more = cur(p)->kind == TK_COMMA;
    if (more) st = advance(p);
    else if (cur(p)->kind != TK_RPAREN) return unclosed(p, open, "',' or ')'");
  }
  if (st != SYN_OK) return st;
  call->span = syn_span_join(call->span, cur(p)->span);
  p->ts.paren_depth--;
  st = advance(p);
  return st == SYN_OK ? check_height(p, call, call->span) : st;
}

/* call = ( NAME | 'if' ) args */
static syn_status parse_call(parser *p, ast_expr **out) {
  ast_expr *e = new_expr(p, AST_CALL, cur(p)->span);
  if (e == NULL) return out_of_memory(p);
  e->u.call.fn = span_str(p, cur(p)->span);
  e->u.call.fn_span = cur(p)->span;
  if (e->u.call.fn == NULL) return out_of_memory(p);
  *out = e;
  syn_status st = advance(p);
  if (st != SYN_OK) return st;
  return parse_args(p, e);
}

/* group = '(' expr ')' */
static syn_status parse_group(parser *p, ast_expr **out) {
  syn_span open = cur(p)->span;
  p->ts.paren_depth++;
  syn_status st = advance(p);
  if (st == SYN_OK) st = parse_expr(p, out);
  if (st != SYN_OK) return st;
  if (cur(p)->kind != TK_RPAREN) return unclosed(p, open, "')'");
  (*out)->span = syn_span_join(open, cur(p)->span);
  p->ts.paren_depth--;
  return advance(p);
}

/* simple = number | NAME | call | group */
static syn_status parse_simple(parser *p, ast_expr **out) {
  const syn_token *t = cur(p);
  switch (t->kind) {
    case TK_NUMBER: return parse_number(p, out);
    case TK_LPAREN: return parse_group(p, out);
    case TK_IF:
      if (peek(p, 1)->kind == TK_LPAREN) return parse_call(p, out);
      error_at(p, t->span, SYN_EINPUT, "'if' must be called like a function");
      syn_error_hint(p->err, "write if(condition, value_if_true, value_if_false)");
      return SYN_EINPUT;
    case TK_NAME: {
      if (peek(p, 1)->kind == TK_LPAREN) return parse_call(p, out);
      ast_expr *e = new_expr(p, AST_NAME, t->span);
      if (e == NULL || (e->u.name.id = span_str(p, t->span)) == NULL) return out_of_memory(p);
      *out = e;
      return advance(p);
    }
    default: break;
  }
  syn_status st = ts_expected(&p->ts, "expression");
  if (t->kind == TK_STRING)
    syn_error_hint(p->err, "strings are descriptions; they cannot be used in a calculation");
  else if (t->kind == TK_JOINT)
    syn_error_hint(p->err, "'joint' can only be the first argument of sum, mean, max or min, "
                           "as in sum(joint, TNF)");
  else if (t->kind == TK_LBRACE || t->kind == TK_RBRACE)
    syn_error_hint(p->err, "group expressions with '(' and ')'");
  else if (lex_is_keyword(t->kind))
    syn_error_hint(p->err, "'%s' is a reserved word", lex_kind_text(t->kind));
  return st;
}

static syn_status parse_subexpr(parser *p, ast_expr **out, unsigned limit);

/* unary = ( '-' | '!' ) subexpr(UNARY_PRIORITY) */
static syn_status parse_unary(parser *p, ast_expr **out) {
  syn_span at = cur(p)->span;
  ast_expr *e = new_expr(p, AST_UNARY, at);
  if (e == NULL) return out_of_memory(p);
  e->u.unary.op = cur(p)->kind == TK_MINUS ? AST_NEG : AST_NOT;
  *out = e;
  syn_status st = advance(p);
  if (st == SYN_OK) st = parse_subexpr(p, &e->u.unary.a, UNARY_PRIORITY);
  if (st != SYN_OK) return st;
  e->span = syn_span_join(at, e->u.unary.a->span);
  e->height = e->u.unary.a->height + 1;
  return check_height(p, e, at);
}

static syn_status make_binary(parser *p, int op, ast_expr **left, ast_expr *right, syn_span at) {
  ast_expr *e = new_expr(p, AST_BINARY, syn_span_join((*left)->span, right->span));
  if (e == NULL) return out_of_memory(p);
  e->u.binary.op = (ast_op)op;
  e->u.binary.a = *left;
  e->u.binary.b = right;
  e->height = max_u((*left)->height, right->height) + 1;
  *left = e;
  return check_height(p, e, at);
}

static syn_status chained_comparison(parser *p) {
  error_at(p, cur(p)->span, SYN_EINPUT, "comparisons cannot be chained");
  syn_error_hint(p->err, "write 'a < b && b < c', or add parentheses");
  return SYN_EINPUT;
}

/* subexpr = ( unary | simple ) { binop subexpr(priority[binop].right) }
 *           where only operators with priority[binop].left > limit are taken */
static syn_status parse_subexpr(parser *p, ast_expr **out, unsigned limit) {
  if (++p->depth > SYN_MAX_NESTING)
    return error_at(p, cur(p)->span, SYN_ELIMIT,
                    "expression is nested too deeply (more than %d levels)", SYN_MAX_NESTING);
  syn_tk k = cur(p)->kind;
  syn_status st = k == TK_MINUS || k == TK_BANG ? parse_unary(p, out) : parse_simple(p, out);
  int op, prev_comparison = 0;
  while (st == SYN_OK && (op = binary_op(cur(p)->kind)) >= 0 && priority[op].left > limit) {
    if (is_comparison(op) && prev_comparison) return chained_comparison(p);
    prev_comparison = is_comparison(op);
    syn_span at = cur(p)->span;
    ast_expr *right = NULL;
    st = advance(p);
    if (st == SYN_OK) st = skip_newlines(p);
    if (st == SYN_OK) st = parse_subexpr(p, &right, priority[op].right);
    if (st == SYN_OK) st = make_binary(p, op, out, right, at);
  }
  p->depth--;
  return st;
}

/* expr = subexpr(0) */
static syn_status parse_expr(parser *p, ast_expr **out) { return parse_subexpr(p, out, 0); }

/* ---- declarations ------------------------------------------------------------------ */

static const char *const decl_words[] = {"model", "time",  "import", "compartment",
                                         "param", "state", "let",    "output",
                                         "route", "preset", "joints", "per", "event"};

static const char decl_list[] =
    "a line starts with model, time unit, import, compartment, param, state, let, d/dt, "
    "output, route, preset, joints, per joint or event";

/* NAME, with a helpful message for reserved words. */
static syn_status parse_name(parser *p, const char **name, syn_span *span) {
  const syn_token *t = cur(p);
  if (t->kind != TK_NAME) {
    syn_status st = ts_expected(&p->ts, "name");
    if (lex_is_keyword(t->kind))
      syn_error_hint(p->err, "'%s' is a reserved word and cannot be used as a name",
                     lex_kind_text(t->kind));
    return st;
  }
  *span = t->span;
  if ((*name = span_str(p, t->span)) == NULL) return out_of_memory(p);
  return advance(p);
}

static syn_status parse_string(parser *p, const char **text, syn_span *span) {
  if (cur(p)->kind != TK_STRING) return ts_expected(&p->ts, "string");
  if (span) *span = cur(p)->span;
  if ((*text = ts_string_value(&p->ts, p->arena, cur(p))) == NULL) return out_of_memory(p);
  return advance(p);
}

static syn_status no_semicolon_hint(parser *p, syn_status st) {
  if (cur(p)->kind == TK_SEMI)
    syn_error_hint(p->err, "a declaration ends at the end of its line; no ';' is needed");
  return st;
}

/* end = NEWLINE | EOF */
static syn_status expect_end(parser *p) {
  syn_tk k = cur(p)->kind;
  if (k == TK_NEWLINE || k == TK_EOF) return SYN_OK;
  int atol = is_word(p, cur(p), "atol");
  syn_status st = no_semicolon_hint(p, ts_expected(&p->ts, "end of line"));
  if (atol)
    syn_error_hint(p->err, "only a state takes an absolute tolerance, once, right after its "
                           "value: state X = 0 cells atol 1e-3");
  return st;
}

/* annotations = [ STRING ] [ 'source' STRING ] */
static syn_status parse_annotations(parser *p, ast_decl *d) {
  syn_status st = SYN_OK;
  if (cur(p)->kind == TK_STRING) st = parse_string(p, &d->description, NULL);
  if (st == SYN_OK && cur(p)->kind == TK_SOURCE) {
    st = advance(p);
    if (st == SYN_OK) st = parse_string(p, &d->source, NULL);
  }
  return st;
}

/* value = '=' expr        (newlines after '=' continue the line) */
static syn_status parse_value(parser *p, ast_decl *d) {
  syn_status st = expect(p, TK_ASSIGN);
  if (st == SYN_OK) st = skip_newlines(p);
  if (st == SYN_OK) st = parse_expr(p, &d->value);
  return st;
}

/* atol = 'atol' NUMBER [ UNIT ]   (a state's absolute tolerance; 'atol' is a
 * word only here, so it stays free as a name). Only a literal: the tolerance
 * is fixed with the model, not computed from parameters a run may change. */
static syn_status parse_atol(parser *p, ast_decl *d) {
  syn_span kw = cur(p)->span;
  syn_status st = advance(p);
  if (st != SYN_OK) return st;
  if (cur(p)->kind != TK_NUMBER) {
    st = ts_expected(&p->ts, "a number after 'atol'");
    syn_error_hint(p->err, "e.g. state MSC = 0 cells atol 1e-3 (the state's absolute tolerance, "
                           "in its unit)");
    return st;
  }
  st = parse_expr(p, &d->atol);
  if (st != SYN_OK) return st;
  if (d->atol->kind != AST_NUM) {
    error_at(p, d->atol->span, SYN_EINPUT, "'atol' takes a number, optionally with a unit");
    syn_error_hint(p->err, "e.g. state MSC = 0 cells atol 1e-3");
    return SYN_EINPUT;
  }
  double v = d->atol->u.num.value;
  if (!(v > 0) || !isfinite(v))
    return error_at(p, syn_span_join(kw, d->atol->span), SYN_EINPUT,
                    "'atol' must be a positive finite number (got %g)", v);
  return SYN_OK;
}

/* named = ( 'compartment' | 'param' | 'let' | 'output' ) NAME value annotations
 * state = 'state' NAME [ 'in' NAME ] value [ atol ] annotations */
static syn_status parse_named(parser *p, ast_decl *d) {
  syn_status st = advance(p);
  if (st == SYN_OK) st = parse_name(p, &d->name, &d->name_span);
  if (st == SYN_OK && d->kind == DECL_STATE && cur(p)->kind == TK_IN) {
    st = advance(p);
    if (st == SYN_OK) st = parse_name(p, &d->compartment, &d->compartment_span);
  }
  if (st == SYN_OK) st = parse_value(p, d);
  if (st == SYN_OK && d->kind == DECL_STATE && is_word(p, cur(p), "atol")) st = parse_atol(p, d);
  if (st == SYN_OK) st = parse_annotations(p, d);
  return st;
}

/* ddt = 'd/dt' NAME value        ('d/dt' written without spaces) */
static syn_status parse_ddt(parser *p, ast_decl *d) {
  syn_status st = advance(p); /* d */
  if (st == SYN_OK) st = advance(p); /* / */
  if (st == SYN_OK) st = advance(p); /* dt */
  if (st == SYN_OK) st = parse_name(p, &d->name, &d->name_span);
  if (st == SYN_OK) st = parse_value(p, d);
  return st;
}

/* textual = ( 'model' | 'import' ) STRING */
static syn_status parse_textual(parser *p, ast_decl *d) {
  syn_status st = advance(p);
  if (st == SYN_OK) st = parse_string(p, &d->text, &d->text_span);
  if (st == SYN_OK && d->kind == DECL_IMPORT && d->text[0] == 0)
    return error_at(p, d->text_span, SYN_EINPUT, "import path is empty");
  return st;
}

static syn_status bad_time_unit(parser *p, const syn_token *t) {
  const char *text = syn_span_text(p->src, t->span);
  int n = (int)t->span.len;
  const syn_unit_def *u = syn_unit_lookup(text, t->span.len);
  if (u != NULL)
    return error_at(p, t->span, SYN_EINPUT,
                    "'%.*s' is not a time unit (use s, min, h, d, wk or yr)", n, text);
  const char *near = syn_unit_suggest_kind(text, t->span.len, SYN_UNIT_TIME);
  if (near)
    return error_at(p, t->span, SYN_EINPUT, "unknown time unit '%.*s' (did you mean '%s'?)", n,
                    text, near);
  return error_at(p, t->span, SYN_EINPUT,
                  "unknown time unit '%.*s' (use s, min, h, d, wk or yr)", n, text);
}

/* time = 'time' 'unit' SYM        (SYM a time unit; once per file) */
static syn_status parse_time_unit(parser *p, ast_decl *d, ast_file *f) {
  syn_status st = advance(p);
  if (st == SYN_OK) st = expect(p, TK_UNIT);
  if (st != SYN_OK) return st;
  const syn_token *t = cur(p);
  if (t->kind != TK_NAME) return ts_expected(&p->ts, "a time unit");
  const syn_unit_def *u = syn_unit_lookup(syn_span_text(p->src, t->span), t->span.len);
  if (u == NULL || u->kind != SYN_UNIT_TIME) return bad_time_unit(p, t);
  if (f->time_unit != NULL) {
    int line, col;
    syn_srcset_linecol(p->src, f->time_unit_span, &line, &col);
    return error_at(p, d->span, SYN_EINPUT, "'time unit' is already declared on line %d", line);
  }
  d->text_span = t->span;
  if ((d->text = span_str(p, t->span)) == NULL) return out_of_memory(p);
  f->time_unit = d->text;
  f->time_unit_span = d->span;
  return advance(p);
}

static int is_ddt(parser *p) {
  const syn_token *slash = peek(p, 1), *dt = peek(p, 2);
  return is_word(p, cur(p), "d") && slash->kind == TK_SLASH && dt->kind == TK_NAME &&
         is_word(p, dt, "dt") && !slash->space_before && !dt->space_before;
}

/* A line that starts with a name that is not a declaration keyword. */
static syn_status unknown_declaration(parser *p) {
  const syn_token *t = cur(p);
  const char *text = syn_span_text(p->src, t->span);
  int n = (int)t->span.len;
  const syn_token *next = peek(p, 1), *after = peek(p, 2);
  if (is_word(p, t, "d") && next->kind == TK_SLASH && is_word(p, after, "dt")) {
    error_at(p, syn_span_join(t->span, after->span), SYN_EINPUT, "'d/dt' is written without spaces");
    return SYN_EINPUT;
  }
  if (is_word(p, t, "d") && next->kind == TK_SLASH && !next->space_before) {
    char found[200];
    lex_describe(p->src, after, found, sizeof found);
    return error_at(p, after->span, SYN_EINPUT, "expected 'dt' after 'd/', found %s", found);
  }
  const char *near = syn_suggest(text, t->span.len, decl_words,
                                 sizeof decl_words / sizeof decl_words[0]);
  if (near)
    return error_at(p, t->span, SYN_EINPUT, "unknown declaration '%.*s' (did you mean '%s'?)", n,
                    text, near);
  error_at(p, t->span, SYN_EINPUT, "unknown declaration '%.*s'", n, text);
  if (next->kind == TK_ASSIGN)
    syn_error_hint(p->err, "to define a value write 'param %.*s = ...' or 'let %.*s = ...'", n,
                   text, n, text);
  else
    syn_error_hint(p->err, "%s", decl_list);
  return SYN_EINPUT;
}

static syn_status unclosed_brace(parser *p, syn_span open, const char *what) {
  return unclosed_at(p, open, '{', what);
}

/* route = 'route' NAME '->' NAME [ 'scale' expr ] annotations */
static syn_status parse_route(parser *p, ast_decl *d) {
  syn_status st = advance(p);
  if (st == SYN_OK) st = parse_name(p, &d->name, &d->name_span);
  if (st == SYN_OK && cur(p)->kind != TK_ARROW) {
    st = ts_expected(&p->ts, "'->'");
    syn_error_hint(p->err, "write 'route %s -> STATE'", d->name);
    return st;
  }
  if (st == SYN_OK) st = advance(p);
  if (st == SYN_OK) st = parse_name(p, &d->target, &d->target_span);
  if (st == SYN_OK && is_word(p, cur(p), "scale")) {
    st = advance(p);
    if (st == SYN_OK) st = parse_expr(p, &d->value);
  }
  if (st == SYN_OK) st = parse_annotations(p, d);
  return st;
}

/* Separators inside braces: newlines and ';'. */
static syn_status skip_separators(parser *p) {
  syn_status st = SYN_OK;
  while (st == SYN_OK && (cur(p)->kind == TK_NEWLINE || cur(p)->kind == TK_SEMI)) st = advance(p);
  return st;
}

/* assign = NAME '=' expr */
static syn_status parse_assign(parser *p, ast_decl *d, size_t *cap) {
  if (syn_arena_grow(p->arena, (void **)&d->assigns, cap, d->nassigns + 1, sizeof *d->assigns) != 0)
    return out_of_memory(p);
  ast_assign *a = &d->assigns[d->nassigns++];
  memset(a, 0, sizeof *a);
  syn_status st = parse_name(p, &a->name, &a->name_span);
  if (st == SYN_OK) st = expect(p, TK_ASSIGN);
  if (st == SYN_OK) st = skip_newlines(p);
  if (st == SYN_OK) st = parse_expr(p, &a->value);
  return st;
}

/* The assignments of a preset or an event: '{' { assign ( ';' | NEWLINE ) } '}'
 * (the current token is '{'), over several lines. */
static syn_status parse_assign_block(parser *p, ast_decl *d) {
  size_t cap = 0;
  syn_span open = cur(p)->span;
  syn_status st = advance(p);
  while (st == SYN_OK) {
    st = skip_separators(p);
    if (st != SYN_OK) return st;
    if (cur(p)->kind == TK_RBRACE) return advance(p);
    /* a declaration keyword here means the '}' was forgotten */
    if (cur(p)->kind == TK_EOF || lex_is_keyword(cur(p)->kind))
      return unclosed_brace(p, open, "'}'");
    st = parse_assign(p, d, &cap);
    syn_tk k = cur(p)->kind;
    if (st == SYN_OK && k != TK_SEMI && k != TK_NEWLINE && k != TK_RBRACE)
      return k == TK_EOF ? unclosed_brace(p, open, "'}'") : ts_expected(&p->ts, "';', end of line or '}'");
  }
  return st;
}

/* preset = 'preset' NAME '{' { assign ( ';' | NEWLINE ) } '}'   (over several lines) */
static syn_status parse_preset(parser *p, ast_decl *d) {
  syn_status st = advance(p);
  if (st == SYN_OK) st = parse_name(p, &d->name, &d->name_span);
  if (st != SYN_OK) return st;
  if (cur(p)->kind != TK_LBRACE) return ts_expected(&p->ts, "'{'");
  return parse_assign_block(p, d);
}

/* The words that may follow an event's condition (ordinary names elsewhere). */
static const char *const event_options[] = {"delay", "priority", "transient", "initially",
                                            "values"};

static int is_event_option(parser *p, const syn_token *t) {
  for (size_t i = 0; i < sizeof event_options / sizeof event_options[0]; i++)
    if (is_word(p, t, event_options[i])) return 1;
  return 0;
}

static syn_status option_twice(parser *p, syn_span at) {
  return error_at(p, at, SYN_EINPUT, "event option '%.*s' is given twice", (int)at.len,
                  syn_span_text(p->src, at));
}

/* `delay EXPR` or `priority EXPR` */
static syn_status parse_event_expr(parser *p, ast_expr **out) {
  if (*out != NULL) return option_twice(p, cur(p)->span);
  syn_status st = advance(p);
  return st == SYN_OK ? parse_expr(p, out) : st;
}

/* `WORD1 WORD2` where WORD2 is `yes` (sets flag) or `no` (clears it); twice is an error. */
static syn_status parse_event_pair(parser *p, ast_decl *d, const char *mid, const char *yes,
                                   const char *no, unsigned flag, unsigned *seen) {
  syn_span at = cur(p)->span;
  syn_status st = advance(p);
  if (st == SYN_OK && mid != NULL) {
    if (!is_word(p, cur(p), mid)) {
      char what[64];
      snprintf(what, sizeof what, "'%s'", mid);
      return ts_expected(&p->ts, what);
    }
    st = advance(p);
  }
  if (st != SYN_OK) return st;
  int on = is_word(p, cur(p), yes);
  if (!on && !is_word(p, cur(p), no)) {
    char what[64];
    snprintf(what, sizeof what, "'%s' or '%s'", yes, no);
    return ts_expected(&p->ts, what);
  }
  if (*seen & flag) return option_twice(p, at);
  *seen |= flag;
  if (on) d->event_flags |= flag;
  return advance(p);
}

/* option = 'delay' expr | 'priority' expr | 'transient'
 *        | 'initially' ( 'false' | 'true' ) | 'values' 'at' ( 'execution' | 'trigger' ) */
static syn_status parse_event_option(parser *p, ast_decl *d, unsigned *seen) {
  const syn_token *t = cur(p);
  if (is_word(p, t, "delay")) return parse_event_expr(p, &d->delay);
  if (is_word(p, t, "priority")) return parse_event_expr(p, &d->priority);
  if (is_word(p, t, "initially"))
    return parse_event_pair(p, d, NULL, "false", "true", AST_EVENT_INITIALLY_FALSE, seen);
  if (is_word(p, t, "values"))
    return parse_event_pair(p, d, "at", "execution", "trigger", AST_EVENT_AT_EXECUTION, seen);
  if (*seen & AST_EVENT_TRANSIENT) return option_twice(p, t->span);
  *seen |= AST_EVENT_TRANSIENT;
  d->event_flags |= AST_EVENT_TRANSIENT;
  return advance(p);
}

/* event = 'event' NAME 'when' expr { option } '{' { assign ( ';' | NEWLINE ) } '}' */
static syn_status parse_event(parser *p, ast_decl *d) {
  unsigned seen = 0;
  syn_status st = advance(p);
  if (st == SYN_OK) st = parse_name(p, &d->name, &d->name_span);
  if (st == SYN_OK && !is_word(p, cur(p), "when")) {
    st = ts_expected(&p->ts, "'when'");
    syn_error_hint(p->err, "write 'event %s when CONDITION { NAME = value }'", d->name);
    return st;
  }
  if (st == SYN_OK) st = advance(p);
  if (st == SYN_OK) st = parse_expr(p, &d->value);
  while (st == SYN_OK && is_event_option(p, cur(p))) st = parse_event_option(p, d, &seen);
  if (st != SYN_OK) return st;
  if (cur(p)->kind != TK_LBRACE) {
    st = ts_expected(&p->ts, "an event option or '{'");
    syn_error_hint(p->err, "the options are delay EXPR, priority EXPR, transient, initially false "
                           "and values at execution");
    return st;
  }
  syn_span open = cur(p)->span;
  st = parse_assign_block(p, d);
  if (st == SYN_OK && d->nassigns == 0) {
    st = error_at(p, open, SYN_EINPUT, "event '%s' assigns nothing", d->name);
    syn_error_hint(p->err, "write at least one assignment, e.g. { X = 0 }");
  }
  return st;
}

/* joints = 'joints' NAME { NAME }      (plain names) */
static syn_status parse_joints(parser *p, ast_decl *d) {
  size_t cap = 0, scap = 0;
  syn_status st = advance(p);
  if (st == SYN_OK && cur(p)->kind != TK_NAME) {
    st = ts_expected(&p->ts, "a joint name");
    syn_error_hint(p->err, "list the joints on one line: joints knee_L knee_R");
  }
  while (st == SYN_OK && cur(p)->kind == TK_NAME) {
    const syn_token *t = cur(p);
    if (memchr(syn_span_text(p->src, t->span), '.', t->span.len) != NULL)
      return error_at(p, t->span, SYN_EINPUT, "a joint name cannot contain '.'");
    if (syn_arena_grow(p->arena, (void **)&d->names, &cap, d->nnames + 1, sizeof *d->names) != 0 ||
        syn_arena_grow(p->arena, (void **)&d->name_spans, &scap, d->nnames + 1,
                   sizeof *d->name_spans) != 0)
      return out_of_memory(p);
    d->name_spans[d->nnames] = t->span;
    if ((d->names[d->nnames] = span_str(p, t->span)) == NULL) return out_of_memory(p);
    d->nnames++;
    st = advance(p);
  }
  if (st == SYN_OK && lex_is_keyword(cur(p)->kind)) {
    st = ts_expected(&p->ts, "a joint name or end of line");
    syn_error_hint(p->err, "'%s' is a reserved word and cannot be used as a name",
                   lex_kind_text(cur(p)->kind));
  }
  return st;
}

static int is_event(parser *p) {
  return is_word(p, cur(p), "event") && peek(p, 1)->kind != TK_ASSIGN;
}

static int is_per_joint(parser *p) {
  return is_word(p, cur(p), "per") && peek(p, 1)->kind == TK_JOINT;
}

static ast_decl *new_decl(parser *p, ast_file *f, size_t *cap, ast_decl_kind kind) {
  if (syn_arena_grow(p->arena, (void **)&f->decls, cap, f->ndecls + 1, sizeof *f->decls) != 0)
    return NULL;
  ast_decl *d = &f->decls[f->ndecls++];
  memset(d, 0, sizeof *d);
  d->kind = kind;
  d->span = cur(p)->span;
  d->per_joint = p->in_block;
  return d;
}

static int decl_kind_of(parser *p, ast_decl_kind *kind) {
  switch (cur(p)->kind) {
    case TK_MODEL: *kind = DECL_MODEL; return 1;
    case TK_TIME: *kind = DECL_TIME_UNIT; return 1;
    case TK_IMPORT: *kind = DECL_IMPORT; return 1;
    case TK_COMPARTMENT: *kind = DECL_COMPARTMENT; return 1;
    case TK_PARAM: *kind = DECL_PARAM; return 1;
    case TK_STATE: *kind = DECL_STATE; return 1;
    case TK_LET: *kind = DECL_LET; return 1;
    case TK_OUTPUT: *kind = DECL_OUTPUT; return 1;
    case TK_ROUTE: *kind = DECL_ROUTE; return 1;
    case TK_PRESET: *kind = DECL_PRESET; return 1;
    case TK_JOINTS: *kind = DECL_JOINTS; return 1;
    case TK_NAME:
      *kind = is_event(p) ? DECL_EVENT : DECL_DDT;
      return *kind == DECL_EVENT || is_ddt(p);
    default: return 0;
  }
}

static syn_status parse_block(parser *p, ast_file *f, size_t *cap);

/* What cannot appear inside `per joint { … }`. */
static syn_status not_in_block(parser *p, ast_decl_kind kind) {
  if (kind == DECL_COMPARTMENT || kind == DECL_PARAM || kind == DECL_STATE ||
      kind == DECL_LET || kind == DECL_DDT || kind == DECL_OUTPUT || kind == DECL_ROUTE ||
      kind == DECL_EVENT)
    return SYN_OK;
  const char *word = kind == DECL_DDT ? "d/dt" : lex_kind_text(cur(p)->kind);
  syn_status st = error_at(p, cur(p)->span, SYN_EINPUT, "'%s' cannot appear inside 'per joint'",
                           word);
  syn_error_hint(p->err, "a 'per joint' block holds compartment, param, state, let, d/dt, "
                         "output, route and event declarations");
  return st;
}

/* decl = model | time | import | named | state | ddt | route | preset | joints | block */
static syn_status parse_decl(parser *p, ast_file *f, size_t *cap) {
  ast_decl_kind kind;
  if (is_per_joint(p)) {
    if (!p->in_block) return parse_block(p, f, cap);
    syn_status st = error_at(p, syn_span_join(cur(p)->span, peek(p, 1)->span), SYN_EINPUT,
                             "'per joint' blocks cannot be nested");
    syn_error_hint(p->err, "everything inside a 'per joint' block is already per joint");
    return st;
  }
  if (!decl_kind_of(p, &kind)) {
    if (cur(p)->kind == TK_NAME) return unknown_declaration(p);
    syn_status st = ts_expected(&p->ts, "a declaration");
    syn_error_hint(p->err, "%s", decl_list);
    return st;
  }
  if (p->in_block) {
    syn_status st = not_in_block(p, kind);
    if (st != SYN_OK) return st;
  }
  ast_decl *d = new_decl(p, f, cap, kind);
  if (d == NULL) return out_of_memory(p);
  switch (kind) {
    case DECL_ROUTE: return parse_route(p, d);
    case DECL_PRESET: return parse_preset(p, d);
    case DECL_EVENT: return parse_event(p, d);
    case DECL_JOINTS: return parse_joints(p, d);
    case DECL_MODEL:
    case DECL_IMPORT: return parse_textual(p, d);
    case DECL_TIME_UNIT: return parse_time_unit(p, d, f);
    case DECL_DDT:
      d->span = syn_span_join(cur(p)->span, peek(p, 2)->span);
      return parse_ddt(p, d);
    default: return parse_named(p, d);
  }
}

/* block = 'per' 'joint' '{' { [ decl ] ( end | ';' ) } '}'     (over several lines) */
static syn_status parse_block(parser *p, ast_file *f, size_t *cap) {
  syn_status st = advance(p); /* per */
  if (st == SYN_OK) st = advance(p); /* joint */
  if (st != SYN_OK) return st;
  if (cur(p)->kind != TK_LBRACE) return ts_expected(&p->ts, "'{'");
  syn_span open = cur(p)->span;
  st = advance(p);
  p->in_block = 1;
  while (st == SYN_OK) {
    st = skip_separators(p);
    if (st != SYN_OK) break;
    if (cur(p)->kind == TK_RBRACE) {
      st = advance(p);
      break;
    }
    if (cur(p)->kind == TK_EOF) {
      st = unclosed_brace(p, open, "'}'");
      break;
    }
    st = parse_decl(p, f, cap);
    syn_tk k = cur(p)->kind;
    if (st == SYN_OK && k != TK_SEMI && k != TK_NEWLINE && k != TK_RBRACE)
      st = k == TK_EOF ? unclosed_brace(p, open, "'}'") : ts_expected(&p->ts, "end of line or '}'");
  }
  p->in_block = 0;
  return st;
}

/* file = { [ decl ] end } EOF */
static syn_status parse_lines(parser *p, ast_file *f) {
  size_t cap = 0;
  syn_status st = SYN_OK;
  if (cur(p)->kind == TK_ERROR) return ts_lex_error(&p->ts);
  while (st == SYN_OK && cur(p)->kind != TK_EOF) {
    if (cur(p)->kind != TK_NEWLINE) st = parse_decl(p, f, &cap);
    if (st == SYN_OK) st = expect_end(p);
    if (st == SYN_OK && cur(p)->kind == TK_NEWLINE) st = advance(p);
  }
  return st;
}

syn_status parse_file(const syn_srcset *src, uint32_t file, syn_arena *arena, ast_file *out,
                      syn_error *err) {
  parser *p = syn_calloc(1, sizeof *p);
  if (p == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  ts_init(&p->ts, src, file, err);
  p->src = src;
  p->arena = arena;
  p->err = err;
  memset(out, 0, sizeof *out);
  out->file = file;
  syn_status st = parse_lines(p, out);
  syn_free(p);
  return st;
}
