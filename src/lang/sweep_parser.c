/* synovia — the parser of .sweep files (see sweep_ast.h). Lang layer: the
 * model language's lexer in, a syn_sweep_ast out.
 *
 * The sweep words (sweep, scenario, design, vary, metrics, arms, keep, atol, the
 * design kinds, distributions and clauses) are plain names to the lexer, so
 * this parser recognises them by their text, like the scenario parser. One
 * statement per line. Distribution arguments are numbers, each with an
 * optional unit as in models (`0.1 /d`); they are separated by spaces, so
 * they cannot be full expressions (`0.3 -1` would read as a subtraction).
 * The first error stops the parse. */
#include "sweep_ast.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "suggest.h"
#include "tokstream.h"
#include "unitparse.h"
#include "units.h"

enum { DIST_ARGS = 2 };

/* Counts (N, levels) above 2^53 would not survive the lexer's double. */
#define MAX_COUNT 9007199254740992.0

typedef struct wparser {
  syn_tokstream ts; /* tokens, lookahead, lexical errors */
  syn_sweep_ast *ast;
  size_t vary_cap, atols_cap;
  int has_design;
} wparser;

/* ---- errors and tokens ------------------------------------------------------------ */

static syn_status error_at(wparser *p, syn_span at, syn_status code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static syn_status error_at(wparser *p, syn_span at, syn_status code, const char *fmt, ...) {
  char msg[SYN_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return ts_error_at(&p->ts, at, code, "%s", msg);
}

static syn_status out_of_memory(wparser *p) {
  return syn_error_set(p->ts.err, SYN_ENOMEM, "out of memory");
}

static const syn_token *peek(wparser *p, size_t k) { return ts_peek(&p->ts, k); }
static const syn_token *cur(wparser *p) { return ts_peek(&p->ts, 0); }
static syn_status advance(wparser *p) { return ts_advance(&p->ts); }
static int is_word(wparser *p, const syn_token *t, const char *word) {
  return t->kind == TK_NAME && ts_is_word(&p->ts, t, word);
}
static const char *tok_text(wparser *p, const syn_token *t) {
  return syn_span_text(p->ts.src, t->span);
}


/* The word of `words` closest to the current token, if it is a name. */
static const char *near_word(wparser *p, const char *const *words, size_t n) {
  const syn_token *t = cur(p);
  if (t->kind != TK_NAME) return NULL;
  return syn_suggest(tok_text(p, t), t->span.len, words, n);
}

static syn_status did_you_mean(wparser *p, const char *near) {
  const syn_token *t = cur(p);
  return error_at(p, t->span, SYN_EINPUT, "unexpected '%.*s' (did you mean '%s'?)",
                  (int)t->span.len, tok_text(p, t), near);
}

static syn_status expect_word(wparser *p, const char *word, const char *what) {
  if (is_word(p, cur(p), word)) return advance(p);
  const char *near = near_word(p, &word, 1);
  return near ? did_you_mean(p, near) : ts_expected(&p->ts, what);
}


static int line_of(wparser *p, syn_span s) {
  int line, col;
  syn_srcset_linecol(p->ts.src, s, &line, &col);
  return line;
}


static const char *span_str(wparser *p, syn_span s) {
  return syn_arena_strndup(p->ast->arena, syn_span_text(p->ts.src, s), s.len);
}


static syn_status parse_string(wparser *p, const char **text, syn_span *span, const char *what) {
  if (cur(p)->kind != TK_STRING) return ts_expected(&p->ts, what);
  if (span) *span = cur(p)->span;
  if ((*text = ts_string_value(&p->ts, p->ast->arena, cur(p))) == NULL) return out_of_memory(p);
  return advance(p);
}

/* qname = NAME { '.' NAME }     (no spaces around the dots) */
static syn_status parse_qname(wparser *p, const char **name, syn_span *span) {
  syn_status st = ts_qname(&p->ts, span);
  if (st == SYN_OK && (*name = span_str(p, *span)) == NULL) return out_of_memory(p);
  return st;
}

/* ---- whole numbers: counts and seeds ------------------------------------------------- */

static int on_this_line(const syn_token *t) { return !t->newline_before; }

/* A count (N, levels): a number token on this line whose value is a whole
 * number from `min` to 2^53 (1e6 is fine). `what` names it in messages. */
static syn_status parse_count(wparser *p, uint64_t min, const char *what, const char *example,
                              uint64_t *out, syn_span *span) {
  const syn_token *t = cur(p);
  if (t->kind == TK_MINUS && peek(p, 1)->kind == TK_NUMBER && !peek(p, 1)->space_before) {
    error_at(p, syn_span_join(t->span, peek(p, 1)->span), SYN_EINPUT,
             "%s must be a whole number, at least %llu (found -%.*s)", what,
             (unsigned long long)min, (int)peek(p, 1)->span.len, tok_text(p, peek(p, 1)));
    return SYN_EINPUT;
  }
  if (t->kind != TK_NUMBER || !on_this_line(t)) {
    char want[200];
    snprintf(want, sizeof want, "%s (%s)", what, example);
    return ts_expected(&p->ts, want);
  }
  double v = t->number;
  if (v != floor(v) || v < (double)min || v > MAX_COUNT)
    return error_at(p, t->span, SYN_EINPUT, "%s must be a whole number, at least %llu (found %.*s)",
                    what, (unsigned long long)min, (int)t->span.len, tok_text(p, t));
  *out = (uint64_t)v;
  *span = t->span;
  return advance(p);
}

/* A seed: digits only (exact in all 64 bits, which a double is not), at most
 * 2^64 - 1. */
static syn_status parse_seed(wparser *p, uint64_t *out, syn_span *span) {
  static const char range[] = "a whole number from 0 to 18446744073709551615";
  const syn_token *t = cur(p);
  syn_span at = t->span;
  int ok = t->kind == TK_NUMBER && on_this_line(t);
  if (t->kind == TK_MINUS && peek(p, 1)->kind == TK_NUMBER && !peek(p, 1)->space_before) {
    at = syn_span_join(t->span, peek(p, 1)->span);
    ok = 0;
  } else if (!ok) {
    return ts_expected(&p->ts, "the seed (seed 7)");
  }
  const char *s = syn_span_text(p->ts.src, at);
  uint64_t v = 0;
  for (uint32_t i = 0; ok && i < at.len; i++) {
    unsigned d = (unsigned)(s[i] - '0');
    if (d > 9 || v > (UINT64_MAX - d) / 10) ok = 0;
    else v = v * 10 + d;
  }
  if (!ok)
    return error_at(p, at, SYN_EINPUT, "the seed must be %s (found %.*s)", range, (int)at.len, s);
  *out = v;
  *span = at;
  return advance(p);
}

/* ---- numbers with units (as in literals of the model language) ------------------------ */

/* Words that end a number inside a vary line: a name right after a number
 * is a unit unless it is one of these. */
static const char *const clause_words[] = {"within", "levels"};
enum { NCLAUSE_WORDS = sizeof clause_words / sizeof *clause_words };

/* Units after numbers: the shared unit parser, with this file's clause words. */
static syn_unit_parser unit_parser(wparser *p) {
  return (syn_unit_parser){&p->ts, p->ast->arena, clause_words, NCLAUSE_WORDS};
}

static int unit_starts(wparser *p) {
  syn_unit_parser up = unit_parser(p);
  return syn_unit_starts(&up);
}

static syn_status parse_unit(wparser *p, const ast_unit **out) {
  syn_unit_parser up = unit_parser(p);
  return syn_unit_parse(&up, out);
}

/* Does a number (NUMBER or '-' NUMBER) start here, on this line? */
static int number_starts(wparser *p) {
  const syn_token *t = cur(p);
  if (t->newline_before) return 0;
  if (t->kind == TK_NUMBER) return 1;
  return t->kind == TK_MINUS && peek(p, 1)->kind == TK_NUMBER && !peek(p, 1)->newline_before;
}

/* value = [ '-' ] NUMBER [unit]    (the sign folded into the value) */
static syn_status parse_value(wparser *p, ast_expr **out) {
  ast_expr *e = syn_arena_alloc(p->ast->arena, sizeof *e);
  if (e == NULL) return out_of_memory(p);
  e->kind = AST_NUM;
  e->height = 1;
  e->span = cur(p)->span;
  double sign = 1;
  syn_status st = SYN_OK;
  if (cur(p)->kind == TK_MINUS) {
    sign = -1;
    st = advance(p);
  }
  if (st != SYN_OK) return st;
  e->u.num.value = sign * cur(p)->number;
  e->span = syn_span_join(e->span, cur(p)->span);
  st = advance(p);
  if (st == SYN_OK && unit_starts(p)) {
    st = parse_unit(p, &e->u.num.unit);
    if (st == SYN_OK) e->span = syn_span_join(e->span, e->u.num.unit->span);
  }
  *out = e;
  return st;
}

/* group = value value     exactly two; `say` describes them for messages.
 * A unit after the second number only applies to the first too when the
 * first has none (`loguniform 0.005 0.1 /d`). */
static syn_status parse_pair(wparser *p, syn_span word, const char *say, ast_expr **a,
                             ast_expr **b) {
  ast_expr *v[DIST_ARGS] = {NULL, NULL};
  size_t n = 0;
  syn_status st = SYN_OK;
  while (st == SYN_OK && n < DIST_ARGS && number_starts(p)) st = parse_value(p, &v[n++]);
  if (st != SYN_OK) return st;
  if (n < DIST_ARGS || number_starts(p)) {
    syn_span at = n < DIST_ARGS ? word : cur(p)->span;
    const char *count = n == 0 ? "none" : n == 1 ? "one" : "more";
    return error_at(p, at, SYN_EINPUT, "'%.*s' takes two numbers (%s), found %s",
                    (int)word.len, syn_span_text(p->ts.src, word), say, count);
  }
  if (v[0]->u.num.unit == NULL && v[1]->u.num.unit != NULL) v[0]->u.num.unit = v[1]->u.num.unit;
  *a = v[0];
  *b = v[1];
  return SYN_OK;
}

/* ---- statements ------------------------------------------------------------------------ */

static const char *const statement_words[] = {"sweep", "scenario", "design",    "vary",
                                              "metrics", "arms",     "keep", "difference",
                                              "atol"};
static const char statement_list[] =
    "a line starts with sweep, scenario, design, vary, metrics, arms, keep, difference or atol";

static const char *const design_words[] = {"grid", "random", "lhs", "sobol",
                                           "saltelli", "morris", "file"};
/* What N counts, per design kind (grid and file take none). */
static const char *const design_n_meaning[] = {
    NULL, "the number of samples", "the number of samples", "the number of samples",
    "the number of base samples", "the number of trajectories", NULL};
static const char design_list[] =
    "designs: grid, random N, lhs N, sobol N, saltelli N [second order], morris N [levels P], "
    "or file \"design.csv\"";

static const char *const dist_words[] = {"uniform", "loguniform", "normal", "lognormal"};
static const char *const dist_args[] = {"low and high", "low and high", "mean and sd",
                                        "mu and sigma of log"};
static const char dist_list[] = "distributions: uniform, loguniform, normal, lognormal";

static int find_word(wparser *p, const syn_token *t, const char *const *words, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (is_word(p, t, words[i])) return (int)i;
  return -1;
}

/* A statement that may be given once: it was already given at `first`. */
static syn_status once(wparser *p, syn_span kw, int seen, syn_span first, const char *what) {
  if (!seen) return SYN_OK;
  return error_at(p, kw, SYN_EINPUT, "'%s' is already given on line %d", what, line_of(p, first));
}

/* 'sweep' STRING */
static syn_status parse_title(wparser *p, syn_span kw) {
  syn_sweep_ast *a = p->ast;
  syn_status st = once(p, kw, a->title != NULL, a->title_span, "sweep");
  a->title_span = kw;
  if (st == SYN_OK) st = advance(p);
  if (st == SYN_OK) st = parse_string(p, &a->title, NULL, "the sweep's title (a string)");
  return st;
}

/* 'scenario' STRING */
static syn_status parse_scenario(wparser *p, syn_span kw) {
  syn_sweep_ast *a = p->ast;
  syn_status st = once(p, kw, a->scenario_path != NULL, a->scenario_span, "scenario");
  if (st == SYN_OK) st = advance(p);
  if (st == SYN_OK)
    st = parse_string(p, &a->scenario_path, &a->scenario_span,
                      "the scenario's path (a string: scenario \"trial.scenario\")");
  if (st == SYN_OK && a->scenario_path[0] == 0)
    return error_at(p, a->scenario_span, SYN_EINPUT, "the scenario path is empty");
  return st;
}

static syn_status option_twice(wparser *p, const char *what) {
  return error_at(p, cur(p)->span, SYN_EINPUT, "'%s' is given twice in this design", what);
}

/* 'second' 'order'    (saltelli only) */
static syn_status parse_second_order(wparser *p, ast_sweep_design *d) {
  if (d->kind != SWEEP_DESIGN_SALTELLI)
    return error_at(p, cur(p)->span, SYN_EINPUT, "'second order' applies to saltelli designs only");
  if (d->second_order) return option_twice(p, "second order");
  d->second_order = 1;
  syn_status st = advance(p);
  if (st == SYN_OK) st = expect_word(p, "order", "'order' after 'second'");
  return st;
}

/* 'levels' P    (morris only: P even, >= 2) */
static syn_status parse_morris_levels(wparser *p, ast_sweep_design *d) {
  if (d->kind != SWEEP_DESIGN_MORRIS) {
    error_at(p, cur(p)->span, SYN_EINPUT, "'levels' on the design line applies to morris designs only");
    if (d->kind == SWEEP_DESIGN_GRID)
      syn_error_hint(p->ts.err, "a grid takes its levels from the vary lines: "
                             "vary dose loguniform 1e6 1e8 levels 3");
    return SYN_EINPUT;
  }
  if (d->morris_levels) return option_twice(p, "levels");
  syn_status st = advance(p);
  if (st == SYN_OK)
    st = parse_count(p, 2, "the number of Morris levels", "levels 4", &d->morris_levels,
                     &d->levels_span);
  if (st == SYN_OK && d->morris_levels % 2 != 0)
    return error_at(p, d->levels_span, SYN_EINPUT,
                    "the number of Morris levels must be even (found %llu)",
                    (unsigned long long)d->morris_levels);
  return st;
}

/* options = { 'seed' S | 'second' 'order' | 'levels' P }   each once */
static syn_status parse_design_options(wparser *p, ast_sweep_design *d) {
  static const char *const options[] = {"seed", "second", "levels"};
  syn_status st = SYN_OK;
  while (st == SYN_OK && cur(p)->kind == TK_NAME) {
    if (is_word(p, cur(p), "seed")) {
      if (d->has_seed) return option_twice(p, "seed");
      d->has_seed = 1;
      st = advance(p);
      if (st == SYN_OK) st = parse_seed(p, &d->seed, &d->seed_span);
    } else if (is_word(p, cur(p), "second")) {
      st = parse_second_order(p, d);
    } else if (is_word(p, cur(p), "levels")) {
      st = parse_morris_levels(p, d);
    } else {
      const char *near = near_word(p, options, sizeof options / sizeof *options);
      return near ? did_you_mean(p, near) : ts_expected(&p->ts, "end of line");
    }
  }
  return st;
}

static syn_status unknown_design(wparser *p) {
  const syn_token *t = cur(p);
  if (t->kind != TK_NAME) {
    syn_status st = ts_expected(&p->ts, "the kind of design (design lhs 1000)");
    syn_error_hint(p->ts.err, "%s", design_list);
    return st;
  }
  const char *near = near_word(p, design_words, sizeof design_words / sizeof *design_words);
  if (near)
    return error_at(p, t->span, SYN_EINPUT, "unknown design '%.*s' (did you mean '%s'?)",
                    (int)t->span.len, tok_text(p, t), near);
  error_at(p, t->span, SYN_EINPUT, "unknown design '%.*s'", (int)t->span.len, tok_text(p, t));
  syn_error_hint(p->ts.err, "%s", design_list);
  return SYN_EINPUT;
}

/* 'file' STRING */
static syn_status parse_design_file(wparser *p, ast_sweep_design *d) {
  syn_status st = advance(p);
  if (st == SYN_OK)
    st = parse_string(p, &d->path, &d->path_span,
                      "the design file's path (a string: design file \"design.csv\")");
  if (st == SYN_OK && d->path[0] == 0)
    return error_at(p, d->path_span, SYN_EINPUT, "the design file path is empty");
  return st;
}

/* 'design' ( 'grid' | KIND N | 'file' STRING ) options */
static syn_status parse_design(wparser *p, syn_span kw) {
  ast_sweep_design *d = &p->ast->design;
  syn_status st = once(p, kw, p->has_design, d->span, "design");
  p->has_design = 1;
  d->span = kw;
  if (st == SYN_OK) st = advance(p);
  if (st != SYN_OK) return st;
  int k = find_word(p, cur(p), design_words, sizeof design_words / sizeof *design_words);
  if (k < 0) return unknown_design(p);
  d->kind = (sweep_design_kind)k;
  d->kind_span = cur(p)->span;
  if (d->kind == SWEEP_DESIGN_FILE) return parse_design_file(p, d);
  st = advance(p);
  if (st != SYN_OK) return st;
  if (d->kind == SWEEP_DESIGN_GRID && number_starts(p)) {
    error_at(p, cur(p)->span, SYN_EINPUT, "a grid design takes no N");
    syn_error_hint(p->ts.err, "its size is the product of the levels on the vary lines");
    return SYN_EINPUT;
  }
  if (d->kind != SWEEP_DESIGN_GRID) {
    char example[64];
    snprintf(example, sizeof example, "design %s 1000", design_words[k]);
    st = parse_count(p, 1, design_n_meaning[k], example, &d->n, &d->n_span);
  }
  if (st == SYN_OK) st = parse_design_options(p, d);
  return st;
}

static syn_status unknown_distribution(wparser *p) {
  const syn_token *t = cur(p);
  if (t->kind != TK_NAME) {
    syn_status st = ts_expected(&p->ts, "a distribution (vary potency uniform 0.3 1.0)");
    syn_error_hint(p->ts.err, "%s", dist_list);
    return st;
  }
  const char *near = near_word(p, dist_words, sizeof dist_words / sizeof *dist_words);
  if (near)
    return error_at(p, t->span, SYN_EINPUT, "unknown distribution '%.*s' (did you mean '%s'?)",
                    (int)t->span.len, tok_text(p, t), near);
  error_at(p, t->span, SYN_EINPUT, "unknown distribution '%.*s'", (int)t->span.len, tok_text(p, t));
  syn_error_hint(p->ts.err, "%s", dist_list);
  return SYN_EINPUT;
}

static syn_status clause_twice(wparser *p, const char *word) {
  return error_at(p, cur(p)->span, SYN_EINPUT, "'%s' is given twice on this line", word);
}

/* 'within' lo hi    (normal and lognormal only) */
static syn_status parse_within(wparser *p, ast_vary *v) {
  const syn_token *t = cur(p);
  if (v->dist == SWEEP_DIST_UNIFORM || v->dist == SWEEP_DIST_LOGUNIFORM) {
    error_at(p, t->span, SYN_EINPUT, "'within' applies to normal and lognormal only");
    syn_error_hint(p->ts.err, "%s is bounded by its own low and high", dist_words[v->dist]);
    return SYN_EINPUT;
  }
  if (v->lo) return clause_twice(p, "within");
  v->within_span = t->span;
  syn_status st = advance(p);
  if (st == SYN_OK) st = parse_pair(p, v->within_span, "low and high", &v->lo, &v->hi);
  return st;
}

/* clauses = { 'within' lo hi | 'levels' L }   each once */
static syn_status parse_vary_clauses(wparser *p, ast_vary *v) {
  syn_status st = SYN_OK;
  while (st == SYN_OK) {
    if (is_word(p, cur(p), "within")) {
      st = parse_within(p, v);
    } else if (is_word(p, cur(p), "levels")) {
      if (v->levels) return clause_twice(p, "levels");
      st = advance(p);
      if (st == SYN_OK)
        st = parse_count(p, 2, "the number of grid levels", "levels 5", &v->levels,
                         &v->levels_span);
    } else {
      const char *near = near_word(p, clause_words, NCLAUSE_WORDS);
      return near ? did_you_mean(p, near) : SYN_OK;
    }
  }
  return st;
}

static syn_status check_new_name(wparser *p, const ast_vary *v) {
  const syn_sweep_ast *a = p->ast;
  for (size_t i = 0; i + 1 < a->nvary; i++)
    if (strcmp(a->vary[i].name, v->name) == 0)
      return error_at(p, v->name_span, SYN_EINPUT, "'%s' is already varied on line %d", v->name,
                      line_of(p, a->vary[i].name_span));
  return SYN_OK;
}

/* Does a number follow the current token on this line? */
static int number_starts_after_name(wparser *p) {
  const syn_token *t = peek(p, 1);
  if (t->newline_before) return 0;
  return t->kind == TK_NUMBER || (t->kind == TK_MINUS && peek(p, 2)->kind == TK_NUMBER);
}

/* 'vary' qname DIST value value clauses */
static syn_status parse_vary(wparser *p) {
  syn_sweep_ast *a = p->ast;
  if (syn_arena_grow(a->arena, (void **)&a->vary, &p->vary_cap, a->nvary + 1, sizeof *a->vary) != 0)
    return out_of_memory(p);
  ast_vary *v = &a->vary[a->nvary++];
  memset(v, 0, sizeof *v);
  syn_status st = advance(p);
  if (st != SYN_OK) return st;
  if (cur(p)->kind == TK_STRING) { /* a dose: vary "dose:IA:IA.amount" loguniform 1e6 1e8 */
    v->name_span = cur(p)->span;
    if ((v->name = ts_string_value(&p->ts, a->arena, cur(p))) == NULL) return out_of_memory(p);
    st = advance(p);
  } else if (cur(p)->kind != TK_NAME) {
    return ts_expected(&p->ts, "the name of a parameter (vary potency uniform 0.3 1.0)");
  }
  /* `vary uniform 0 1`: the distribution where the name should be */
  if (st == SYN_OK && v->name == NULL &&
      find_word(p, cur(p), dist_words, sizeof dist_words / sizeof *dist_words) >= 0 &&
      number_starts_after_name(p))
    return error_at(p, cur(p)->span, SYN_EINPUT,
                    "'vary' needs the parameter's name before the distribution");
  if (st == SYN_OK && v->name == NULL) st = parse_qname(p, &v->name, &v->name_span);
  if (st == SYN_OK) st = check_new_name(p, v);
  if (st != SYN_OK) return st;
  int k = find_word(p, cur(p), dist_words, sizeof dist_words / sizeof *dist_words);
  if (k < 0 || !on_this_line(cur(p))) return unknown_distribution(p);
  v->dist = (sweep_dist_kind)k;
  v->dist_span = cur(p)->span;
  st = advance(p);
  if (st == SYN_OK) st = parse_pair(p, v->dist_span, dist_args[k], &v->a, &v->b);
  if (st == SYN_OK) st = parse_vary_clauses(p, v);
  return st;
}

/* Add a name to a list of names, refusing one listed before. */
static syn_status add_name(wparser *p, ast_sweep_name **list, size_t *n, size_t *cap,
                           const char *name, syn_span span, const char *what) {
  for (size_t i = 0; i < *n; i++)
    if (strcmp((*list)[i].name, name) == 0)
      return error_at(p, span, SYN_EINPUT, "%s '%s' is listed twice", what, name);
  if (syn_arena_grow(p->ast->arena, (void **)list, cap, *n + 1, sizeof **list) != 0)
    return out_of_memory(p);
  (*list)[(*n)++] = (ast_sweep_name){name, span};
  return SYN_OK;
}

/* 'metrics' NAME { NAME } */
static syn_status parse_metrics(wparser *p, syn_span kw) {
  syn_sweep_ast *a = p->ast;
  size_t cap = 0;
  syn_status st = once(p, kw, a->nmetrics > 0, a->metrics_span, "metrics");
  a->metrics_span = kw;
  if (st == SYN_OK) st = advance(p);
  if (st == SYN_OK && cur(p)->kind != TK_NAME)
    return ts_expected(&p->ts, "the name of a metric (metrics IL6_auc_28d pain_change)");
  while (st == SYN_OK && cur(p)->kind == TK_NAME) {
    syn_span s = cur(p)->span;
    const char *name = span_str(p, s);
    if (name == NULL) return out_of_memory(p);
    st = add_name(p, &a->metrics, &a->nmetrics, &cap, name, s, "metric");
    if (st == SYN_OK) st = advance(p);
  }
  return st;
}

/* 'arms' ( STRING | NAME ) { STRING | NAME } */
/* An arm name: a string or a plain name. */
static syn_status arm_name(wparser *p, ast_sweep_name *out) {
  if (cur(p)->kind != TK_NAME && cur(p)->kind != TK_STRING)
    return ts_expected(&p->ts, "the name of an arm (difference \"IA\" \"control\")");
  out->span = cur(p)->span;
  out->name = cur(p)->kind == TK_STRING ? ts_string_value(&p->ts, p->ast->arena, cur(p))
                                        : span_str(p, out->span);
  if (out->name == NULL) return out_of_memory(p);
  if (out->name[0] == 0) return error_at(p, out->span, SYN_EINPUT, "the arm name is empty");
  return advance(p);
}

/* difference ARM ARM */
static syn_status parse_difference(wparser *p, syn_span kw) {
  syn_sweep_ast *a = p->ast;
  ast_sweep_diff d = {{NULL, kw}, {NULL, kw}, kw};
  syn_status st = advance(p);
  if (st == SYN_OK) st = arm_name(p, &d.a);
  if (st == SYN_OK) st = arm_name(p, &d.b);
  if (st != SYN_OK) return st;
  if (strcmp(d.a.name, d.b.name) == 0)
    return error_at(p, d.b.span, SYN_EINPUT, "the difference of an arm with itself is zero");
  for (size_t i = 0; i < a->ndiffs; i++)
    if (strcmp(a->diffs[i].a.name, d.a.name) == 0 && strcmp(a->diffs[i].b.name, d.b.name) == 0)
      return error_at(p, kw, SYN_EINPUT, "this difference is already listed");
  size_t cap = a->ndiffs;
  if (syn_arena_grow(a->arena, (void **)&a->diffs, &cap, a->ndiffs + 1, sizeof *a->diffs) != 0)
    return out_of_memory(p);
  a->diffs[a->ndiffs++] = d;
  return SYN_OK;
}

static syn_status parse_arms(wparser *p, syn_span kw) {
  syn_sweep_ast *a = p->ast;
  size_t cap = 0;
  syn_status st = once(p, kw, a->narms > 0, a->arms_span, "arms");
  a->arms_span = kw;
  if (st == SYN_OK) st = advance(p);
  if (st == SYN_OK && cur(p)->kind != TK_NAME && cur(p)->kind != TK_STRING)
    return ts_expected(&p->ts, "the name of an arm (arms \"control\" \"treated\")");
  while (st == SYN_OK && (cur(p)->kind == TK_NAME || cur(p)->kind == TK_STRING)) {
    syn_span s = cur(p)->span;
    const char *name = cur(p)->kind == TK_STRING ? ts_string_value(&p->ts, p->ast->arena, cur(p))
                                                 : span_str(p, s);
    if (name == NULL) return out_of_memory(p);
    if (name[0] == 0) return error_at(p, s, SYN_EINPUT, "the arm name is empty");
    st = add_name(p, &a->arms, &a->narms, &cap, name, s, "arm");
    if (st == SYN_OK) st = advance(p);
  }
  return st;
}

/* 'keep' 'trajectories' */
static syn_status parse_keep(wparser *p, syn_span kw) {
  syn_sweep_ast *a = p->ast;
  syn_status st = once(p, kw, a->keep_trajectories, a->keep_span, "keep");
  a->keep_trajectories = 1;
  a->keep_span = kw;
  if (st == SYN_OK) st = advance(p);
  if (st == SYN_OK) st = expect_word(p, "trajectories", "'trajectories' after 'keep'");
  return st;
}

/* 'atol' qname '=' NUMBER [unit]   (one state's absolute tolerance, over the
 * scenario's; the state and the unit are checked by src/sweep/) */
static syn_status parse_atol(wparser *p) {
  syn_sweep_ast *a = p->ast;
  if (syn_arena_grow(a->arena, (void **)&a->atols, &p->atols_cap, a->natols + 1, sizeof *a->atols) != 0)
    return out_of_memory(p);
  ast_state_atol *it = &a->atols[a->natols++];
  memset(it, 0, sizeof *it);
  it->span = cur(p)->span;
  syn_status st = advance(p);
  if (st == SYN_OK && (cur(p)->kind != TK_NAME || !on_this_line(cur(p)))) {
    st = ts_expected(&p->ts, "the name of a state");
    syn_error_hint(p->ts.err, "e.g. atol knee_R.MSC = 1 cells (the state's absolute tolerance)");
    return st;
  }
  if (st == SYN_OK) st = parse_qname(p, &it->name, &it->name_span);
  if (st == SYN_OK && (cur(p)->kind != TK_ASSIGN || !on_this_line(cur(p))))
    return ts_expected(&p->ts, "'='");
  if (st == SYN_OK) st = advance(p);
  if (st == SYN_OK && (cur(p)->kind != TK_NUMBER || !on_this_line(cur(p)))) {
    st = ts_expected(&p->ts, "a positive number, optionally with a unit");
    syn_error_hint(p->ts.err, "e.g. atol %s = 1e-6 (in the state's unit) or = 1 cells", it->name);
    return st;
  }
  if (st == SYN_OK) st = parse_value(p, &it->value);
  if (st == SYN_OK && !(it->value->u.num.value > 0))
    return error_at(p, it->value->span, SYN_EINPUT, "'atol' must be a positive finite number (got %g)",
                    it->value->u.num.value);
  return st;
}

static syn_status unknown_statement(wparser *p) {
  const syn_token *t = cur(p);
  const char *near =
      near_word(p, statement_words, sizeof statement_words / sizeof *statement_words);
  if (near)
    return error_at(p, t->span, SYN_EINPUT, "unknown statement '%.*s' (did you mean '%s'?)",
                    (int)t->span.len, tok_text(p, t), near);
  error_at(p, t->span, SYN_EINPUT, "unknown statement '%.*s'", (int)t->span.len, tok_text(p, t));
  syn_error_hint(p->ts.err, "%s", statement_list);
  return SYN_EINPUT;
}

/* One statement (ts_statement_fn). */
static syn_status parse_statement(void *parser) {
  wparser *p = parser;
  const syn_token *t = cur(p);
  syn_span kw = t->span;
  if (t->kind != TK_NAME) {
    syn_status st = ts_expected(&p->ts, "a statement");
    syn_error_hint(p->ts.err, "%s", statement_list);
    return st;
  }
  if (is_word(p, t, "sweep")) return parse_title(p, kw);
  if (is_word(p, t, "scenario")) return parse_scenario(p, kw);
  if (is_word(p, t, "design")) return parse_design(p, kw);
  if (is_word(p, t, "vary")) return parse_vary(p);
  if (is_word(p, t, "metrics")) return parse_metrics(p, kw);
  if (is_word(p, t, "arms")) return parse_arms(p, kw);
  if (is_word(p, t, "keep")) return parse_keep(p, kw);
  if (is_word(p, t, "difference")) return parse_difference(p, kw);
  if (is_word(p, t, "atol")) return parse_atol(p);
  return unknown_statement(p);
}

/* ---- whole-file checks ------------------------------------------------------------------- */

/* A missing statement is reported at the start of the file. */
static syn_status missing(wparser *p, const char *msg, const char *hint) {
  error_at(p, (syn_span){p->ast->file, 0, 0}, SYN_EINPUT, "%s", msg);
  syn_error_hint(p->ts.err, "%s", hint);
  return SYN_EINPUT;
}

/* Levels on vary lines go with a grid design, and a grid needs them all. */
static syn_status check_levels(wparser *p) {
  const syn_sweep_ast *a = p->ast;
  int grid = a->design.kind == SWEEP_DESIGN_GRID;
  for (size_t i = 0; i < a->nvary; i++) {
    const ast_vary *v = &a->vary[i];
    if (grid && v->levels == 0) {
      error_at(p, v->name_span, SYN_EINPUT, "'%s' has no 'levels': a grid design needs them on every vary line",
               v->name);
      syn_error_hint(p->ts.err, "e.g. vary dose loguniform 1e6 1e8 levels 3 (1e6, 1e7, 1e8)");
      return SYN_EINPUT;
    }
    if (!grid && v->levels != 0) {
      error_at(p, v->levels_span, SYN_EINPUT, "'levels' on a vary line needs a grid design");
      syn_error_hint(p->ts.err, "the design on line %d draws values from the distribution",
                     line_of(p, a->design.span));
      return SYN_EINPUT;
    }
  }
  return SYN_OK;
}

/* The checks of the whole file (ts_language.complete). */
static syn_status check_complete(void *parser) {
  wparser *p = parser;
  const syn_sweep_ast *a = p->ast;
  if (a->scenario_path == NULL)
    return missing(p, "the sweep has no 'scenario' line",
                   "name the scenario it varies: scenario \"trial.scenario\" "
                   "(relative to the sweep file)");
  if (!p->has_design)
    return missing(p, "the sweep has no 'design' line", design_list);
  if (a->design.kind == SWEEP_DESIGN_FILE) {
    if (a->nvary == 0) return SYN_OK;
    error_at(p, a->vary[0].name_span, SYN_EINPUT, "'vary' with a design file");
    syn_error_hint(p->ts.err, "the columns of the design file name the parameters and give their "
                           "values");
    return SYN_EINPUT;
  }
  if (a->nvary == 0) {
    error_at(p, a->design.span, SYN_EINPUT, "the sweep varies nothing: no 'vary' line");
    syn_error_hint(p->ts.err, "e.g. vary potency uniform 0.3 1.0");
    return SYN_EINPUT;
  }
  return check_levels(p);
}

/* ---- entry points ---------------------------------------------------------------------- */

_Static_assert(offsetof(wparser, ts) == 0, "tokstream.c finds the stream at the parser's start");

/* Points the parser at its AST (ts_language.begin). */
static void begin(void *parser, void *ast) { ((wparser *)parser)->ast = ast; }

/* The AST's sources, arena and file (ts_language.shell). */
static ts_ast_shell shell(void *ast) {
  syn_sweep_ast *a = ast;
  return (ts_ast_shell){&a->sources, &a->arena, &a->file};
}

/* The sweep language for the shared frame of tokstream.c (the loop over the lines, the
 * making and freeing of the AST). */
static const ts_language language = {.parser_size = sizeof(wparser),
                                      .ast_size = sizeof(syn_sweep_ast),
                                      .shell = shell,
                                      .begin = begin,
                                      .statement = parse_statement,
                                      .complete = check_complete};

/* Parses `in` into a new AST in *out (NULL on failure). */
static syn_status parse_input(const ts_input *in, syn_sweep_ast **out, syn_error *err) {
  void *ast = NULL;
  syn_status st = ts_parse_file(&language, in, &ast, err);
  *out = ast;
  return st;
}

syn_status syn_sweep_parse_file(const char *path, syn_sweep_ast **out, syn_error *err) {
  if (out == NULL || path == NULL) return syn_error_set(err, SYN_EINVAL, "no sweep path given");
  return parse_input(&(ts_input){.path = path}, out, err);
}

syn_status syn_sweep_parse_text(const char *name, const char *text, size_t len, syn_sweep_ast **out,
                                syn_error *err) {
  if (out == NULL || text == NULL) return syn_error_set(err, SYN_EINVAL, "no sweep text given");
  return parse_input(&(ts_input){.name = name, .text = text, .len = len}, out, err);
}

void syn_sweep_ast_destroy(syn_sweep_ast *a) { ts_ast_destroy(&language, a); }
