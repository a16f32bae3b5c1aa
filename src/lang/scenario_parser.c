/* synovia — the parser of .scenario files (see scenario_ast.h). Lang layer:
 * the model language's lexer in, a syn_scenario_ast out.
 *
 * The scenario words (scenario, simulate, to, every, baseline, arm, dose, at,
 * over, times, into, use, set, metric, steady, solver, atol) are plain names to the lexer
 * (they are not reserved in .model files), so this parser recognises them by
 * their text. Line oriented like the model parser: a statement ends at a
 * newline, except inside parentheses and right after a binary operator, ','
 * or '='. Expressions are numbers with units, names (qualified names
 * `knee_R.TNF` too), calls, + - * / ^ and unary minus; what they mean is
 * decided by src/scenario/. The first error stops the parse. */
#include "scenario_ast.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "tokstream.h"
#include "unitparse.h"
#include "suggest.h"
#include "units.h"

enum { UNARY_PRIORITY = 6 };

/* The statements given at most once: whether they were, and where. */
typedef struct seen_once {
  int title, baseline;
  syn_span title_span;
} seen_once;

typedef struct sparser {
  syn_tokstream ts;        /* tokens, lookahead, lexical errors */
  int depth;
  syn_scenario_ast *ast;
  size_t common_cap, arms_cap, metrics_cap, items_cap, solver_cap, atols_cap, sens_cap;
  int in_arm;        /* an `arm` line was seen and no metric since */
  int after_metric;  /* a metric line ended the last arm */
  seen_once seen;
  int in_condition;  /* parsing a conditional dose's condition: comparisons, && || ! */
} sparser;

/* ---- errors ------------------------------------------------------------------ */

static syn_status error_at(sparser *p, syn_span at, syn_status code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static syn_status error_at(sparser *p, syn_span at, syn_status code, const char *fmt, ...) {
  char msg[SYN_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return ts_error_at(&p->ts, at, code, "%s", msg);
}

static syn_status out_of_memory(sparser *p) {
  return syn_error_set(p->ts.err, SYN_ENOMEM, "out of memory");
}

/* ---- tokens -------------------------------------------------------------------- */

static const syn_token *peek(sparser *p, size_t k) { return ts_peek(&p->ts, k); }
static const syn_token *cur(sparser *p) { return ts_peek(&p->ts, 0); }
static syn_status advance(sparser *p) { return ts_advance(&p->ts); }
static syn_status skip_newlines(sparser *p) { return ts_skip_newlines(&p->ts); }
static int is_word(sparser *p, const syn_token *t, const char *word) {
  return t->kind == TK_NAME && ts_is_word(&p->ts, t, word);
}


/* Expected `word`: a name close to it is taken for a misspelling of it. */
static syn_status expected_word(sparser *p, const char *word, const char *what) {
  const syn_token *t = cur(p);
  const char *text = syn_span_text(p->ts.src, t->span);
  if (t->kind == TK_NAME && syn_suggest(text, t->span.len, &word, 1) != NULL)
    return error_at(p, t->span, SYN_EINPUT, "unexpected '%.*s' (did you mean '%s'?)",
                    (int)t->span.len, text, word);
  return ts_expected(&p->ts, what);
}

static syn_status expect_word(sparser *p, const char *word, const char *what) {
  if (is_word(p, cur(p), word)) return advance(p);
  return expected_word(p, word, what);
}

static const char *span_str(sparser *p, syn_span s) {
  return syn_arena_strndup(p->ast->arena, syn_span_text(p->ts.src, s), s.len);
}


static int line_of(sparser *p, syn_span s) {
  int line, col;
  syn_srcset_linecol(p->ts.src, s, &line, &col);
  return line;
}



/* ---- units (as in literals of the model language) --------------------------------- */

/* Words that end an expression inside a statement: a name right after a
 * number is a unit unless it is one of these. */
static const char *const clause_words[] = {"to",    "every", "at",    "over",
                                           "times", "into",  "after", "before", "when"};

/* Units after numbers: the shared unit parser, with this file's clause words. */
static syn_unit_parser unit_parser(sparser *p) {
  return (syn_unit_parser){&p->ts, p->ast->arena, clause_words,
                           sizeof clause_words / sizeof *clause_words};
}

static int unit_starts(sparser *p) {
  syn_unit_parser up = unit_parser(p);
  return syn_unit_starts(&up);
}

static syn_status parse_unit(sparser *p, const ast_unit **out) {
  syn_unit_parser up = unit_parser(p);
  return syn_unit_parse(&up, out);
}

/* ---- expressions ---------------------------------------------------------------- */

static ast_expr *new_expr(sparser *p, ast_kind kind, syn_span span) {
  ast_expr *e = syn_arena_alloc(p->ast->arena, sizeof *e);
  if (e == NULL) return NULL;
  e->kind = kind;
  e->span = span;
  e->height = 1;
  return e;
}

static syn_status check_height(sparser *p, ast_expr *e, syn_span at) {
  if (e->height <= SYN_MAX_NESTING) return SYN_OK;
  return error_at(p, at, SYN_ELIMIT, "expression is nested too deeply (more than %d levels)",
                  SYN_MAX_NESTING);
}

static unsigned max_u(unsigned a, unsigned b) { return a > b ? a : b; }

static syn_status parse_expr(sparser *p, ast_expr **out);

static const struct {
  unsigned char left, right;
} priority[] = {
    [AST_ADD] = {4, 4}, [AST_SUB] = {4, 4}, [AST_MUL] = {5, 5}, [AST_DIV] = {5, 5},
    [AST_POW] = {8, 7}, [AST_LT] = {3, 3},  [AST_LE] = {3, 3},  [AST_GT] = {3, 3},
    [AST_GE] = {3, 3},  [AST_EQ] = {3, 3},  [AST_NE] = {3, 3},  [AST_AND] = {2, 2},
    [AST_OR] = {1, 1},
};

/* Arithmetic everywhere; comparisons and logic only in a condition (as the
 * model language's events write them). */
static int binary_op(const sparser *p, syn_tk kind) {
  switch (kind) {
    case TK_PLUS: return AST_ADD;
    case TK_MINUS: return AST_SUB;
    case TK_STAR: return AST_MUL;
    case TK_SLASH: return AST_DIV;
    case TK_CARET: return AST_POW;
    default: break;
  }
  if (!p->in_condition) return -1;
  switch (kind) {
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

/* number = NUMBER [unit] */
static syn_status parse_number(sparser *p, ast_expr **out) {
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

static syn_status unclosed(sparser *p, syn_span open, const char *what) {
  int line, col;
  syn_srcset_linecol(p->ts.src, open, &line, &col);
  syn_status st = ts_expected(&p->ts, what);
  syn_error_hint(p->ts.err, "the '(' at line %d, column %d is not closed", line, col);
  return st;
}

/* args = '(' [ expr { ',' expr } ] ')' */
static syn_status parse_args(sparser *p, ast_expr *call) {
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
    st = parse_expr(p, &arg);
    if (st != SYN_OK) return st;
    if (syn_arena_grow(p->ast->arena, (void **)&call->u.call.args, &cap, call->u.call.nargs + 1,
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

/* qname = NAME { '.' NAME }     (no spaces around the dots) */
static syn_status parse_qname(sparser *p, const char **name, syn_span *span) {
  const syn_token *t = cur(p);
  if (t->kind != TK_NAME) {
    syn_status st = ts_expected(&p->ts, "name");
    if (lex_is_keyword(t->kind))
      syn_error_hint(p->ts.err, "'%s' is a reserved word and cannot be used as a name",
                     lex_kind_text(t->kind));
    return st;
  }
  syn_status st = ts_qname(&p->ts, span);
  if (st == SYN_OK && (*name = span_str(p, *span)) == NULL) return out_of_memory(p);
  return st;
}

/* simple = number | qname | NAME args | '(' expr ')' */
static syn_status parse_simple(sparser *p, ast_expr **out) {
  const syn_token *t = cur(p);
  if (t->kind == TK_NUMBER) return parse_number(p, out);
  if (t->kind == TK_LPAREN) {
    syn_span open = t->span;
    p->ts.paren_depth++;
    syn_status st = advance(p);
    if (st == SYN_OK) st = parse_expr(p, out);
    if (st != SYN_OK) return st;
    if (cur(p)->kind != TK_RPAREN) return unclosed(p, open, "')'");
    (*out)->span = syn_span_join(open, cur(p)->span);
    p->ts.paren_depth--;
    return advance(p);
  }
  if (t->kind == TK_NAME && peek(p, 1)->kind == TK_LPAREN) {
    ast_expr *e = new_expr(p, AST_CALL, t->span);
    if (e == NULL || (e->u.call.fn = span_str(p, t->span)) == NULL) return out_of_memory(p);
    e->u.call.fn_span = t->span;
    *out = e;
    syn_status st = advance(p);
    return st == SYN_OK ? parse_args(p, e) : st;
  }
  if (t->kind == TK_NAME) {
    ast_expr *e = new_expr(p, AST_NAME, t->span);
    if (e == NULL) return out_of_memory(p);
    *out = e;
    return parse_qname(p, &e->u.name.id, &e->span);
  }
  syn_status st = ts_expected(&p->ts, "expression");
  if (t->kind == TK_STRING)
    syn_error_hint(p->ts.err, "strings are descriptions; they cannot be used in a calculation");
  return st;
}

static syn_status parse_subexpr(sparser *p, ast_expr **out, unsigned limit);

static syn_status parse_unary(sparser *p, ast_expr **out) {
  syn_span at = cur(p)->span;
  ast_expr *e = new_expr(p, AST_UNARY, at);
  if (e == NULL) return out_of_memory(p);
  e->u.unary.op = cur(p)->kind == TK_BANG ? AST_NOT : AST_NEG;
  *out = e;
  syn_status st = advance(p);
  if (st == SYN_OK) st = parse_subexpr(p, &e->u.unary.a, UNARY_PRIORITY);
  if (st != SYN_OK) return st;
  e->span = syn_span_join(at, e->u.unary.a->span);
  e->height = e->u.unary.a->height + 1;
  return check_height(p, e, at);
}

static syn_status make_binary(sparser *p, int op, ast_expr **left, ast_expr *right,
                              syn_span at) {
  ast_expr *e = new_expr(p, AST_BINARY, syn_span_join((*left)->span, right->span));
  if (e == NULL) return out_of_memory(p);
  e->u.binary.op = (ast_op)op;
  e->u.binary.a = *left;
  e->u.binary.b = right;
  e->height = max_u((*left)->height, right->height) + 1;
  *left = e;
  return check_height(p, e, at);
}

/* subexpr = ( '-' subexpr(UNARY) | simple ) { binop subexpr(priority[binop].right) } */
static syn_status parse_subexpr(sparser *p, ast_expr **out, unsigned limit) {
  if (++p->depth > SYN_MAX_NESTING)
    return error_at(p, cur(p)->span, SYN_ELIMIT,
                    "expression is nested too deeply (more than %d levels)", SYN_MAX_NESTING);
  syn_tk k = cur(p)->kind;
  syn_status st = k == TK_MINUS || (k == TK_BANG && p->in_condition) ? parse_unary(p, out)
                                                                     : parse_simple(p, out);
  int op;
  while (st == SYN_OK && (op = binary_op(p, cur(p)->kind)) >= 0 && priority[op].left > limit) {
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

static syn_status parse_expr(sparser *p, ast_expr **out) { return parse_subexpr(p, out, 0); }

/* ---- statements ------------------------------------------------------------------ */

static const char *const statement_words[] = {"scenario", "model", "simulate", "baseline", "arm",
                                              "dose",     "use",   "set",      "metric",   "solver",
                                              "atol",     "sensitivities"};

static const char statement_list[] = "a line starts with scenario, model, simulate, baseline, "
                                     "solver, atol, arm, dose, use, set, metric or "
                                     "sensitivities";

static syn_status parse_string(sparser *p, const char **text, syn_span *span) {
  if (cur(p)->kind != TK_STRING) return ts_expected(&p->ts, "string");
  if (span) *span = cur(p)->span;
  if ((*text = ts_string_value(&p->ts, p->ast->arena, cur(p))) == NULL) return out_of_memory(p);
  return advance(p);
}

/* A statement that may be given once: `what` was already seen at `first`. */
static syn_status once(sparser *p, syn_span kw, int seen, syn_span first, const char *what) {
  if (!seen) return SYN_OK;
  return error_at(p, kw, SYN_EINPUT, "'%s' is already given on line %d", what,
                  line_of(p, first));
}

/* 'scenario' STRING */
static syn_status parse_title(sparser *p, syn_span kw, int *seen, syn_span *first) {
  syn_status st = once(p, kw, *seen, *first, "scenario");
  if (st == SYN_OK) st = advance(p);
  if (st == SYN_OK) st = parse_string(p, &p->ast->title, NULL);
  *seen = 1;
  *first = kw;
  return st;
}

/* 'model' STRING */
static syn_status parse_model(sparser *p, syn_span kw) {
  syn_scenario_ast *a = p->ast;
  syn_status st = once(p, kw, a->model_path != NULL, a->model_span, "model");
  if (st == SYN_OK) st = advance(p);
  if (st == SYN_OK) st = parse_string(p, &a->model_path, &a->model_span);
  if (st == SYN_OK && a->model_path[0] == 0)
    return error_at(p, a->model_span, SYN_EINPUT, "the model path is empty");
  return st;
}

/* 'simulate' expr 'to' expr 'every' expr */
static syn_status parse_simulate(sparser *p, syn_span kw) {
  syn_scenario_ast *a = p->ast;
  syn_status st = once(p, kw, a->t_start != NULL, a->simulate_span, "simulate");
  a->simulate_span = kw;
  if (st == SYN_OK) st = advance(p);
  if (st == SYN_OK) st = parse_expr(p, &a->t_start);
  if (st == SYN_OK) st = expect_word(p, "to", "'to' and the end time (simulate 0 d to 180 d every 1 d)");
  if (st == SYN_OK) st = parse_expr(p, &a->t_end);
  if (st == SYN_OK)
    st = expect_word(p, "every", "'every' and the output spacing (simulate 0 d to 180 d every 1 d)");
  if (st == SYN_OK) st = parse_expr(p, &a->every);
  return st;
}

/* 'baseline' ( 'steady' | '0' ) */
static syn_status parse_baseline(sparser *p, syn_span kw, int *seen) {
  syn_scenario_ast *a = p->ast;
  syn_status st = once(p, kw, *seen, a->baseline_span, "baseline");
  *seen = 1;
  a->baseline_span = kw;
  if (st == SYN_OK) st = advance(p);
  if (st != SYN_OK) return st;
  const syn_token *t = cur(p);
  if (is_word(p, t, "steady")) {
    a->baseline = BASELINE_STEADY;
    return advance(p);
  }
  if (t->kind == TK_NUMBER && t->number == 0.0) {
    a->baseline = BASELINE_DECLARED;
    return advance(p);
  }
  static const char *const words[] = {"steady"};
  const char *near = t->kind == TK_NAME
                         ? syn_suggest(syn_span_text(p->ts.src, t->span), t->span.len, words, 1)
                         : NULL;
  if (near)
    return error_at(p, t->span, SYN_EINPUT, "unknown baseline '%.*s' (did you mean 'steady'?)",
                    (int)t->span.len, syn_span_text(p->ts.src, t->span));
  st = ts_expected(&p->ts, "'steady' or 0 after 'baseline'");
  syn_error_hint(p->ts.err, "baseline steady: start each arm from its untreated steady state; "
                         "baseline 0: from the declared initial values");
  return st;
}

/* An arm's name names its group in the result file (/arms/NAME) and is how
 * `--arm` and the sweeps' `arms` and `difference` lines find it, so it must be
 * an HDF5 link name that reads back as written: not empty, no '/', not '.'
 * or '..', no control characters (a "\n" or "\t" escape) and no spaces at
 * its ends (an arm "control " would be told from "control" by nothing
 * visible). */
static syn_status check_arm_name(sparser *p, const char *name, syn_span at) {
  size_t n = strlen(name);
  const char *why = NULL, *hint = NULL;
  if (n == 0) return error_at(p, at, SYN_EINPUT, "the arm name is empty");
  if (strchr(name, '/')) {
    why = "cannot contain '/'";
    hint = "the name is the arm's group in the result file (/arms/NAME), where '/' separates "
           "groups; write e.g. \"IA or IV\"";
  } else if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
    why = "cannot be '.' or '..'";
    hint = "the name is the arm's group in the result file (/arms/NAME), where '.' and '..' "
           "are the group itself and its parent";
  } else if (name[0] == ' ' || name[n - 1] == ' ') {
    why = "cannot begin or end with a space";
    hint = "remove the space: nothing visible would tell this arm from one named without it";
  }
  for (size_t i = 0; i < n && why == NULL; i++)
    if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f) {
      why = "cannot contain control characters (a tab or a line break)";
      hint = "use spaces: the name is shown on one line in tables and files";
    }
  if (why == NULL) return SYN_OK;
  error_at(p, at, SYN_EINPUT, "an arm name %s", why);
  syn_error_hint(p->ts.err, "%s", hint);
  return SYN_EINPUT;
}

/* 'arm' ( STRING | NAME ) */
static syn_status parse_arm(sparser *p) {
  syn_scenario_ast *a = p->ast;
  if (syn_arena_grow(a->arena, (void **)&a->arms, &p->arms_cap, a->narms + 1, sizeof *a->arms) != 0)
    return out_of_memory(p);
  ast_arm *arm = &a->arms[a->narms++];
  memset(arm, 0, sizeof *arm);
  p->items_cap = 0;
  p->in_arm = 1;
  p->after_metric = 0;
  syn_status st = advance(p);
  if (st != SYN_OK) return st;
  if (cur(p)->kind == TK_STRING) {
    st = parse_string(p, &arm->name, &arm->name_span);
    return st == SYN_OK ? check_arm_name(p, arm->name, arm->name_span) : st;
  }
  if (cur(p)->kind == TK_NAME) {
    arm->name_span = cur(p)->span;
    if ((arm->name = span_str(p, cur(p)->span)) == NULL) return out_of_memory(p);
    return advance(p);
  }
  return ts_expected(&p->ts, "the arm's name (a string, e.g. arm \"control\")");
}

/* The list use/set/dose go to: the current arm, or the common part. */
static ast_arm_item *new_item(sparser *p, ast_arm_item_kind kind) {
  syn_scenario_ast *a = p->ast;
  ast_arm_item **items;
  size_t *n, *cap;
  if (p->in_arm) {
    ast_arm *arm = &a->arms[a->narms - 1];
    items = &arm->items, n = &arm->nitems, cap = &p->items_cap;
  } else {
    items = &a->common, n = &a->ncommon, cap = &p->common_cap;
  }
  if (syn_arena_grow(p->ast->arena, (void **)items, cap, *n + 1, sizeof **items) != 0) return NULL;
  ast_arm_item *it = &(*items)[(*n)++];
  memset(it, 0, sizeof *it);
  it->kind = kind;
  return it;
}

/* After a metric line, use/set/dose have no arm to belong to. */
static syn_status check_placement(sparser *p, syn_span kw, const char *what) {
  if (!p->after_metric) return SYN_OK;
  error_at(p, kw, SYN_EINPUT, "'%s' after a metric: it belongs to no arm", what);
  syn_error_hint(p->ts.err, "write arms (with their doses, use and set lines) before the metrics, "
                         "or start a new arm here");
  return SYN_EINPUT;
}

/* 'use' NAME */
static syn_status parse_use(sparser *p, syn_span kw) {
  syn_status st = check_placement(p, kw, "use");
  if (st != SYN_OK) return st;
  ast_arm_item *it = new_item(p, ARM_USE);
  if (it == NULL) return out_of_memory(p);
  st = advance(p);
  if (st == SYN_OK && cur(p)->kind != TK_NAME) return ts_expected(&p->ts, "the name of a preset");
  if (st == SYN_OK) st = parse_qname(p, &it->name, &it->name_span);
  return st;
}

/* 'set' qname '=' expr */
static syn_status parse_set(sparser *p, syn_span kw) {
  syn_status st = check_placement(p, kw, "set");
  if (st != SYN_OK) return st;
  ast_arm_item *it = new_item(p, ARM_SET);
  if (it == NULL) return out_of_memory(p);
  st = advance(p);
  if (st == SYN_OK) st = parse_qname(p, &it->name, &it->name_span);
  if (st == SYN_OK && cur(p)->kind != TK_ASSIGN) return ts_expected(&p->ts, "'='");
  if (st == SYN_OK) st = advance(p);
  if (st == SYN_OK) st = skip_newlines(p);
  if (st == SYN_OK) st = parse_expr(p, &it->value);
  return st;
}

/* `times N` with N a literal: a whole number of doses, at least one. */
static syn_status check_times_literal(sparser *p, const ast_expr *e) {
  if (e->kind != AST_NUM) return SYN_OK;
  double n = e->u.num.value;
  if (e->u.num.unit != NULL)
    return error_at(p, e->span, SYN_EINPUT, "'times' takes a number of doses, without a unit");
  if (n >= 1 && n == floor(n)) return SYN_OK;
  error_at(p, e->span, SYN_EINPUT, "'times' must be a whole number of doses, at least 1 (found %g)",
           n);
  syn_error_hint(p->ts.err, "every P times N gives N doses, P apart; for a single dose leave out "
                         "'every' and 'times'");
  return SYN_EINPUT;
}

static syn_status clause_twice(sparser *p, const char *word) {
  return error_at(p, cur(p)->span, SYN_EINPUT, "'%s' is given twice in this dose", word);
}

/* clauses = { 'over' expr | 'every' expr 'times' expr | 'into' NAME } (each once) */
static syn_status parse_dose_clauses(sparser *p, ast_dose *d) {
  syn_status st = SYN_OK;
  while (st == SYN_OK) {
    const syn_token *t = cur(p);
    if (is_word(p, t, "over")) {
      if (d->over) return clause_twice(p, "over");
      st = advance(p);
      if (st == SYN_OK) st = parse_expr(p, &d->over);
    } else if (is_word(p, t, "every")) {
      if (d->every) return clause_twice(p, "every");
      st = advance(p);
      if (st == SYN_OK) st = parse_expr(p, &d->every);
      if (st == SYN_OK && !is_word(p, cur(p), "times")) {
        st = expected_word(p, "times", "'times' and the number of doses after 'every'");
        syn_error_hint(p->ts.err, "repeated doses: dose IA 5 mg at 0 d every 7 d times 4");
        return st;
      }
      if (st == SYN_OK) st = advance(p);
      if (st == SYN_OK) st = parse_expr(p, &d->times);
      if (st == SYN_OK) st = check_times_literal(p, d->times);
    } else if (is_word(p, t, "times")) {
      error_at(p, t->span, SYN_EINPUT, "'times' without 'every'");
      syn_error_hint(p->ts.err, "repeated doses: dose IA 5 mg at 0 d every 7 d times 4");
      return SYN_EINPUT;
    } else if (is_word(p, t, "into")) {
      if (d->into) return clause_twice(p, "into");
      st = advance(p);
      if (st == SYN_OK && cur(p)->kind != TK_NAME) return ts_expected(&p->ts, "the name of a joint");
      if (st == SYN_OK) {
        d->into_span = cur(p)->span;
        if ((d->into = span_str(p, cur(p)->span)) == NULL) return out_of_memory(p);
        st = advance(p);
      }
    } else {
      break;
    }
  }
  return st;
}

/* One clause of a conditional dose that takes an expression: `after T`,
 * `before T`, `at most N times`, `every at least P` (each once). */
static syn_status cdose_expr_clause(sparser *p, ast_expr **slot, const char *word) {
  if (*slot) return clause_twice(p, word);
  return parse_expr(p, slot);
}

/* after the condition: { 'after' expr | 'before' expr | 'at' 'most' expr 'times'
 * | 'every' 'at' 'least' expr | 'into' NAME } (each once). */
static syn_status parse_cdose_clauses(sparser *p, ast_dose *d) {
  syn_status st = SYN_OK;
  while (st == SYN_OK) {
    const syn_token *t = cur(p);
    if (is_word(p, t, "after") || is_word(p, t, "before")) {
      ast_expr **slot = is_word(p, t, "after") ? &d->after : &d->before;
      const char *word = slot == &d->after ? "after" : "before";
      if (*slot) return clause_twice(p, word);
      st = advance(p);
      if (st == SYN_OK) st = cdose_expr_clause(p, slot, word);
    } else if (is_word(p, t, "at")) {
      st = advance(p);
      if (st == SYN_OK) st = expect_word(p, "most", "'most' (a conditional dose: at most N times)");
      if (st == SYN_OK) st = cdose_expr_clause(p, &d->most, "at most");
      if (st == SYN_OK) st = expect_word(p, "times", "'times' after 'at most N'");
    } else if (is_word(p, t, "every")) {
      st = advance(p);
      if (st == SYN_OK) st = expect_word(p, "at", "'at least P' (a conditional dose: every at "
                                                  "least 28 d)");
      if (st == SYN_OK) st = expect_word(p, "least", "'least' (every at least 28 d)");
      if (st == SYN_OK) st = cdose_expr_clause(p, &d->apart, "every at least");
    } else if (is_word(p, t, "over")) {
      st = advance(p);
      if (st == SYN_OK) st = cdose_expr_clause(p, &d->over, "over");
    } else if (is_word(p, t, "into")) {
      if (d->into) return clause_twice(p, "into");
      st = advance(p);
      if (st == SYN_OK && cur(p)->kind != TK_NAME) return ts_expected(&p->ts, "the name of a joint");
      d->into_span = cur(p)->span;
      if (st == SYN_OK && (d->into = span_str(p, cur(p)->span)) == NULL) return out_of_memory(p);
      if (st == SYN_OK) st = advance(p);
    } else {
      break;
    }
  }
  return st;
}

/* 'dose' NAME expr 'when' expr cdose-clauses */
static syn_status parse_cdose(sparser *p, ast_dose *d) {
  syn_status st = advance(p);
  p->in_condition = 1;
  if (st == SYN_OK) st = parse_expr(p, &d->when);
  p->in_condition = 0;
  if (st == SYN_OK) st = parse_cdose_clauses(p, d);
  return st;
}

/* 'dose' NAME expr 'at' expr clauses */
static syn_status parse_dose(sparser *p, syn_span kw) {
  syn_status st = check_placement(p, kw, "dose");
  if (st != SYN_OK) return st;
  if (!p->in_arm) {
    error_at(p, kw, SYN_EINPUT, "a dose before the first arm: doses belong to an arm");
    syn_error_hint(p->ts.err, "start an arm first, e.g. arm \"treated\"");
    return SYN_EINPUT;
  }
  ast_arm_item *it = new_item(p, ARM_DOSE);
  if (it == NULL) return out_of_memory(p);
  ast_dose *d = &it->dose;
  d->span = kw;
  st = advance(p);
  if (st != SYN_OK) return st;
  if (cur(p)->kind != TK_NAME) return ts_expected(&p->ts, "the name of a route (dose IV 5 mg at 0 d)");
  d->route_span = cur(p)->span;
  if ((d->route = span_str(p, cur(p)->span)) == NULL) return out_of_memory(p);
  st = advance(p);
  if (st == SYN_OK && is_word(p, cur(p), "at")) return ts_expected(&p->ts, "the amount of the dose");
  if (st == SYN_OK) st = parse_expr(p, &d->amount);
  if (st == SYN_OK && is_word(p, cur(p), "when")) return parse_cdose(p, d);
  if (st == SYN_OK && !is_word(p, cur(p), "at")) {
    st = expected_word(p, "at", "'at' and the time of the dose");
    syn_error_hint(p->ts.err, "e.g. dose IV 5 mg at 0 d");
    return st;
  }
  if (st == SYN_OK) st = advance(p);
  if (st == SYN_OK) st = parse_expr(p, &d->at);
  if (st == SYN_OK) st = parse_dose_clauses(p, d);
  return st;
}

/* NAME { '-' NAME }, with no spaces around the hyphens: linear-solver. */
static syn_status parse_setting_name(sparser *p, ast_solver_setting *it) {
  syn_span s = cur(p)->span;
  syn_status st = advance(p);
  while (st == SYN_OK && cur(p)->kind == TK_MINUS && !cur(p)->space_before &&
         peek(p, 1)->kind == TK_NAME && !peek(p, 1)->space_before) {
    st = advance(p);
    if (st == SYN_OK) {
      s = syn_span_join(s, cur(p)->span);
      st = advance(p);
    }
  }
  it->name_span = s;
  if (st == SYN_OK && (it->name = span_str(p, s)) == NULL) return out_of_memory(p);
  return st;
}

/* value = NAME | NUMBER | '-' NUMBER, kept as written */
static syn_status parse_setting_value(sparser *p, ast_solver_setting *it) {
  const syn_token *t = cur(p);
  syn_span s = t->span;
  syn_status st = SYN_OK;
  if (t->kind == TK_MINUS && peek(p, 1)->kind == TK_NUMBER && !peek(p, 1)->space_before) {
    st = advance(p);
    if (st == SYN_OK) s = syn_span_join(s, cur(p)->span);
  } else if (t->kind != TK_NAME && t->kind != TK_NUMBER) {
    char what[160];
    snprintf(what, sizeof what, "the value of '%s'", it->name);
    st = ts_expected(&p->ts, what);
    syn_error_hint(p->ts.err, "e.g. solver rtol 1e-8 atol 1e-10 linear-solver klu");
    return st;
  }
  it->value_span = s;
  if ((it->value = span_str(p, s)) == NULL) return out_of_memory(p);
  return advance(p);
}

/* A line for every arm (`kw`) given after the first arm: `msg`, and `hint`. */
static syn_status before_first_arm(sparser *p, syn_span kw, const char *msg, const char *hint) {
  if (p->ast->narms == 0) return SYN_OK;
  error_at(p, kw, SYN_EINPUT, "%s", msg);
  syn_error_hint(p->ts.err, "%s", hint);
  return SYN_EINPUT;
}

/* 'solver' setting value { setting value }   (before the first arm) */
static syn_status parse_solver(sparser *p, syn_span kw) {
  syn_scenario_ast *a = p->ast;
  syn_status st =
      before_first_arm(p, kw, "'solver' after the first arm: solver settings apply to every arm",
                       "move the solver line before the first arm");
  if (st == SYN_OK) st = advance(p);
  if (st == SYN_OK && cur(p)->kind != TK_NAME) {
    st = ts_expected(&p->ts, "a solver setting");
    syn_error_hint(p->ts.err, "e.g. solver rtol 1e-8 atol 1e-10 linear-solver klu");
    return st;
  }
  while (st == SYN_OK && cur(p)->kind == TK_NAME) {
    if (syn_arena_grow(a->arena, (void **)&a->solver, &p->solver_cap, a->nsolver + 1,
                       sizeof *a->solver) != 0)
      return out_of_memory(p);
    ast_solver_setting *it = &a->solver[a->nsolver++];
    memset(it, 0, sizeof *it);
    st = parse_setting_name(p, it);
    if (st == SYN_OK) st = parse_setting_value(p, it);
  }
  return st;
}

/* 'atol' qname '=' NUMBER [unit]   (before the first arm: one state's
 * absolute tolerance for every arm) */
static syn_status parse_atol(sparser *p, syn_span kw) {
  syn_scenario_ast *a = p->ast;
  syn_status st = before_first_arm(
      p, kw, "'atol' after the first arm: a state's tolerance applies to every arm",
      "move the atol line before the first arm");
  if (st != SYN_OK) return st;
  if (syn_arena_grow(a->arena, (void **)&a->atols, &p->atols_cap, a->natols + 1, sizeof *a->atols) != 0)
    return out_of_memory(p);
  ast_state_atol *it = &a->atols[a->natols++];
  memset(it, 0, sizeof *it);
  it->span = kw;
  st = advance(p);
  if (st == SYN_OK && cur(p)->kind != TK_NAME) {
    st = ts_expected(&p->ts, "the name of a state");
    syn_error_hint(p->ts.err, "e.g. atol knee_R.MSC = 1 cells (the state's absolute tolerance)");
    return st;
  }
  if (st == SYN_OK) st = parse_qname(p, &it->name, &it->name_span);
  if (st == SYN_OK && cur(p)->kind != TK_ASSIGN) return ts_expected(&p->ts, "'='");
  if (st == SYN_OK) st = advance(p);
  if (st == SYN_OK && cur(p)->kind != TK_NUMBER) {
    st = ts_expected(&p->ts, "a positive number, optionally with a unit");
    syn_error_hint(p->ts.err, "e.g. atol %s = 1e-6 (in the state's unit) or = 1 cells", it->name);
    return st;
  }
  if (st == SYN_OK) st = parse_number(p, &it->value);
  if (st == SYN_OK && !(it->value->u.num.value > 0))
    return error_at(p, it->value->span, SYN_EINPUT, "'atol' must be a positive finite number (got %g)",
                    it->value->u.num.value);
  return st;
}

/* 'metric' NAME '=' expr [ STRING ] */
static syn_status parse_metric(sparser *p) {
  syn_scenario_ast *a = p->ast;
  if (syn_arena_grow(a->arena, (void **)&a->metrics, &p->metrics_cap, a->nmetrics + 1,
                 sizeof *a->metrics) != 0)
    return out_of_memory(p);
  ast_metric *m = &a->metrics[a->nmetrics++];
  memset(m, 0, sizeof *m);
  p->in_arm = 0;
  p->after_metric = 1;
  syn_status st = advance(p);
  if (st == SYN_OK && cur(p)->kind != TK_NAME) return ts_expected(&p->ts, "the metric's name");
  if (st == SYN_OK) {
    m->name_span = cur(p)->span;
    if ((m->name = span_str(p, cur(p)->span)) == NULL) return out_of_memory(p);
    st = advance(p);
  }
  if (st == SYN_OK && cur(p)->kind != TK_ASSIGN) return ts_expected(&p->ts, "'='");
  if (st == SYN_OK) st = advance(p);
  if (st == SYN_OK) st = skip_newlines(p);
  if (st == SYN_OK) st = parse_expr(p, &m->value);
  if (st == SYN_OK && cur(p)->kind == TK_STRING) st = parse_string(p, &m->description, NULL);
  return st;
}

/* One name of a `sensitivities` line: a qualified name, or a string for a
 * dose ("dose:IA:IA.amount": its colons are not a name's). Checked against
 * the model when the scenario is loaded. */
static syn_status parse_sens_name(sparser *p, ast_sens_name *n) {
  if (cur(p)->kind == TK_STRING) {
    syn_status st = parse_string(p, &n->name, &n->span);
    if (st == SYN_OK && n->name[0] == 0) return error_at(p, n->span, SYN_EINPUT, "the name is empty");
    return st;
  }
  if (cur(p)->kind != TK_NAME) {
    syn_status st = ts_expected(&p->ts, "a parameter's name");
    syn_error_hint(p->ts.err, "e.g. sensitivities k_deg, knee_R.severity, \"dose:IA:IA.amount\" "
                           "(a dose in quotes), or sensitivities all");
    return st;
  }
  return parse_qname(p, &n->name, &n->span);
}

/* 'sensitivities' name { ',' name }   (once; the parameters every arm's
 * result is differentiated by, docs/sensitivities.md) */
static syn_status parse_sensitivities(sparser *p, syn_span kw) {
  syn_scenario_ast *a = p->ast;
  if (a->nsens > 0)
    return error_at(p, kw, SYN_EINPUT, "'sensitivities' is already given on line %d",
                    line_of(p, a->sens_span));
  a->sens_span = kw;
  syn_status st = advance(p);
  while (st == SYN_OK) {
    if (syn_arena_grow(a->arena, (void **)&a->sens, &p->sens_cap, a->nsens + 1, sizeof *a->sens) != 0)
      return out_of_memory(p);
    st = parse_sens_name(p, &a->sens[a->nsens++]);
    if (st != SYN_OK || cur(p)->kind != TK_COMMA) break;
    st = advance(p);
  }
  return st;
}

static syn_status unknown_statement(sparser *p) {
  const syn_token *t = cur(p);
  const char *text = syn_span_text(p->ts.src, t->span);
  const char *near = syn_suggest(text, t->span.len, statement_words,
                                 sizeof statement_words / sizeof *statement_words);
  if (near)
    return error_at(p, t->span, SYN_EINPUT, "unknown statement '%.*s' (did you mean '%s'?)",
                    (int)t->span.len, text, near);
  error_at(p, t->span, SYN_EINPUT, "unknown statement '%.*s'", (int)t->span.len, text);
  syn_error_hint(p->ts.err, "%s", statement_list);
  return SYN_EINPUT;
}

/* One statement (ts_statement_fn). */
static syn_status parse_statement(void *parser) {
  sparser *p = parser;
  seen_once *seen = &p->seen;
  const syn_token *t = cur(p);
  syn_span kw = t->span;
  if (t->kind == TK_MODEL) return parse_model(p, kw);
  if (t->kind != TK_NAME) {
    syn_status st = ts_expected(&p->ts, "a statement");
    syn_error_hint(p->ts.err, "%s", statement_list);
    return st;
  }
  if (is_word(p, t, "scenario")) return parse_title(p, kw, &seen->title, &seen->title_span);
  if (is_word(p, t, "simulate")) return parse_simulate(p, kw);
  if (is_word(p, t, "baseline")) return parse_baseline(p, kw, &seen->baseline);
  if (is_word(p, t, "arm")) return parse_arm(p);
  if (is_word(p, t, "dose")) return parse_dose(p, kw);
  if (is_word(p, t, "use")) return parse_use(p, kw);
  if (is_word(p, t, "set")) return parse_set(p, kw);
  if (is_word(p, t, "metric")) return parse_metric(p);
  if (is_word(p, t, "solver")) return parse_solver(p, kw);
  if (is_word(p, t, "atol")) return parse_atol(p, kw);
  if (is_word(p, t, "sensitivities")) return parse_sensitivities(p, kw);
  return unknown_statement(p);
}

/* ---- entry points ---------------------------------------------------------------------- */

_Static_assert(offsetof(sparser, ts) == 0, "tokstream.c finds the stream at the parser's start");

/* Points the parser at its AST (ts_language.begin). */
static void begin(void *parser, void *ast) { ((sparser *)parser)->ast = ast; }

/* The AST's sources, arena and file (ts_language.shell). */
static ts_ast_shell shell(void *ast) {
  syn_scenario_ast *a = ast;
  return (ts_ast_shell){&a->sources, &a->arena, &a->file};
}

/* The scenario language for the shared frame of tokstream.c (the loop over the lines, the
 * making and freeing of the AST). */
static const ts_language language = {.parser_size = sizeof(sparser),
                                      .ast_size = sizeof(syn_scenario_ast),
                                      .shell = shell,
                                      .begin = begin,
                                      .statement = parse_statement,
                                      .complete = NULL};

/* Parses `in` into a new AST in *out (NULL on failure). */
static syn_status parse_input(const ts_input *in, syn_scenario_ast **out, syn_error *err) {
  void *ast = NULL;
  syn_status st = ts_parse_file(&language, in, &ast, err);
  *out = ast;
  return st;
}

syn_status syn_scenario_parse_file(const char *path, syn_scenario_ast **out, syn_error *err) {
  if (out == NULL || path == NULL) return syn_error_set(err, SYN_EINVAL, "no scenario path given");
  return parse_input(&(ts_input){.path = path}, out, err);
}

syn_status syn_scenario_parse_text(const char *name, const char *text, size_t len,
                                   syn_scenario_ast **out, syn_error *err) {
  if (out == NULL || text == NULL) return syn_error_set(err, SYN_EINVAL, "no scenario text given");
  return parse_input(&(ts_input){.name = name, .text = text, .len = len}, out, err);
}

void syn_scenario_ast_destroy(syn_scenario_ast *a) { ts_ast_destroy(&language, a); }
