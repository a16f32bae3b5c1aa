/* synovia — the parser of .fit files (see fit_ast.h). Lang layer: the model
 * language's lexer in, a syn_fit_ast out.
 *
 * The fit words (fit, scenario, data, observable, noise, estimate, fix,
 * optimizer, multistart and their clauses) are plain names to the lexer, so
 * this parser recognises them by their text, like the sweep parser. One
 * statement per line (an observable's expression too). Numbers are written as in sweeps: a value with an
 * optional unit, separated by spaces. The first error stops the parse. */
#include "fit_ast.h"

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

/* Counts above 2^53 would not survive the lexer's double. */
#define MAX_COUNT 9007199254740992.0

typedef struct fparser {
  syn_tokstream ts;
  syn_fit_ast *ast;
  size_t data_cap, obs_cap, est_cap, fix_cap, pred_cap, prof_cap, prof_span_cap;
  const char *const *clauses; /* the words that end a number on the current line */
  size_t nclauses;
} fparser;

static const char *const scale_words[] = {"lin", "log", "log10"};
enum { NSCALES = sizeof scale_words / sizeof *scale_words };

const char *syn_fit_scale_name(fit_scale s) {
  return (size_t)s < NSCALES ? scale_words[s] : "";
}

/* ---- errors and tokens ------------------------------------------------------------ */

static syn_status error_at(fparser *p, syn_span at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static syn_status error_at(fparser *p, syn_span at, const char *fmt, ...) {
  char msg[SYN_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return ts_error_at(&p->ts, at, SYN_EINPUT, "%s", msg);
}

static syn_status with_hint(syn_status st, fparser *p, const char *hint) {
  syn_error_hint(p->ts.err, "%s", hint);
  return st;
}

static syn_status out_of_memory(fparser *p) {
  return syn_error_set(p->ts.err, SYN_ENOMEM, "out of memory");
}

static const syn_token *peek(fparser *p, size_t k) { return ts_peek(&p->ts, k); }
static const syn_token *cur(fparser *p) { return ts_peek(&p->ts, 0); }
static syn_status advance(fparser *p) { return ts_advance(&p->ts); }
static int is_word(fparser *p, const syn_token *t, const char *word) {
  return t->kind == TK_NAME && ts_is_word(&p->ts, t, word);
}
static const char *tok_text(fparser *p, const syn_token *t) {
  return syn_span_text(p->ts.src, t->span);
}
static int on_this_line(const syn_token *t) { return !t->newline_before; }
static int at_end(fparser *p) {
  syn_tk k = cur(p)->kind;
  return k == TK_NEWLINE || k == TK_EOF;
}

static int line_of(fparser *p, syn_span s) {
  int line, col;
  syn_srcset_linecol(p->ts.src, s, &line, &col);
  return line;
}

static const char *span_str(fparser *p, syn_span s) {
  return syn_arena_strndup(p->ast->arena, syn_span_text(p->ts.src, s), s.len);
}

static int find_word(fparser *p, const syn_token *t, const char *const *words, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (is_word(p, t, words[i])) return (int)i;
  return -1;
}

/* An unknown word where one of `words` belongs: did-you-mean, else `what`
 * expected with `list` as the hint. */
static syn_status unknown_word(fparser *p, const char *const *words, size_t n, const char *what,
                               const char *list) {
  const syn_token *t = cur(p);
  const char *near = t->kind == TK_NAME ? syn_suggest(tok_text(p, t), t->span.len, words, n) : NULL;
  if (near)
    return error_at(p, t->span, "unknown %s '%.*s' (did you mean '%s'?)", what, (int)t->span.len,
                    tok_text(p, t), near);
  syn_status st = t->kind == TK_NAME
                      ? error_at(p, t->span, "unknown %s '%.*s'", what, (int)t->span.len,
                                 tok_text(p, t))
                      : ts_expected(&p->ts, what);
  return with_hint(st, p, list);
}

static syn_status expect_word(fparser *p, const char *word, const char *what) {
  if (is_word(p, cur(p), word) && on_this_line(cur(p))) return advance(p);
  const char *near =
      cur(p)->kind == TK_NAME ? syn_suggest(tok_text(p, cur(p)), cur(p)->span.len, &word, 1) : NULL;
  if (near)
    return error_at(p, cur(p)->span, "unexpected '%.*s' (did you mean '%s'?)",
                    (int)cur(p)->span.len, tok_text(p, cur(p)), near);
  return ts_expected(&p->ts, what);
}

static syn_status parse_string(fparser *p, const char **text, syn_span *span, const char *what) {
  if (cur(p)->kind != TK_STRING || !on_this_line(cur(p))) return ts_expected(&p->ts, what);
  if (span) *span = cur(p)->span;
  if ((*text = ts_string_value(&p->ts, p->ast->arena, cur(p))) == NULL) return out_of_memory(p);
  if ((*text)[0] == 0) return error_at(p, cur(p)->span, "the path is empty");
  return advance(p);
}

/* qname = NAME { '.' NAME }     (no spaces around the dots) */
static syn_status parse_qname(fparser *p, const char **name, syn_span *span) {
  syn_status st = ts_qname(&p->ts, span);
  if (st == SYN_OK && (*name = span_str(p, *span)) == NULL) return out_of_memory(p);
  return st;
}

/* A parameter's name: a qualified name or a string ("dose:IA:IA.amount"). */
static syn_status parse_param_name(fparser *p, const char **name, syn_span *span,
                                   const char *what) {
  if (cur(p)->kind == TK_STRING && on_this_line(cur(p))) {
    *span = cur(p)->span;
    if ((*name = ts_string_value(&p->ts, p->ast->arena, cur(p))) == NULL) return out_of_memory(p);
    if ((*name)[0] == 0) return error_at(p, *span, "the name is empty");
    return advance(p);
  }
  if (cur(p)->kind != TK_NAME || !on_this_line(cur(p))) return ts_expected(&p->ts, what);
  return parse_qname(p, name, span);
}

/* ---- numbers with units ---------------------------------------------------------------- */

static syn_unit_parser unit_parser(fparser *p) {
  return (syn_unit_parser){&p->ts, p->ast->arena, p->clauses, p->nclauses};
}

static int number_starts(fparser *p) {
  const syn_token *t = cur(p);
  if (t->newline_before) return 0;
  if (t->kind == TK_NUMBER) return 1;
  return t->kind == TK_MINUS && peek(p, 1)->kind == TK_NUMBER && !peek(p, 1)->newline_before;
}

/* value = [ '-' ] NUMBER [unit] */
static syn_status parse_value(fparser *p, int with_unit, ast_expr **out) {
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
  syn_unit_parser up = unit_parser(p);
  if (st == SYN_OK && with_unit && syn_unit_starts(&up)) {
    st = syn_unit_parse(&up, &e->u.num.unit);
    if (st == SYN_OK) e->span = syn_span_join(e->span, e->u.num.unit->span);
  }
  *out = e;
  return st;
}

/* Exactly n plain numbers (no units) after `word`; `say` names them. */
static syn_status parse_numbers(fparser *p, syn_span word, size_t n, const char *say,
                                double *out, syn_span *last) {
  size_t got = 0;
  syn_status st = SYN_OK;
  while (st == SYN_OK && got < n && number_starts(p)) {
    ast_expr *e = NULL;
    st = parse_value(p, 0, &e);
    if (st == SYN_OK) {
      out[got++] = e->u.num.value;
      *last = e->span;
    }
  }
  if (st != SYN_OK) return st;
  if (got < n || number_starts(p)) {
    syn_span at = got < n ? word : cur(p)->span;
    return error_at(p, at, "'%.*s' takes %s numbers (%s), found %s", (int)word.len,
                    syn_span_text(p->ts.src, word), n == 2 ? "two" : "more", say,
                    got == 0 ? "none" : got < n ? "fewer" : "more");
  }
  return SYN_OK;
}

/* A count (multistart N): a whole number from 1 to 2^53. */
static syn_status parse_count(fparser *p, const char *what, uint64_t *out) {
  const syn_token *t = cur(p);
  if (!number_starts(p)) return ts_expected(&p->ts, what);
  if (t->kind == TK_MINUS || t->number != floor(t->number) || t->number < 1 || t->number > MAX_COUNT) {
    syn_span at = t->kind == TK_MINUS ? syn_span_join(t->span, peek(p, 1)->span) : t->span;
    return error_at(p, at, "%s must be a whole number, at least 1 (found %.*s)", what,
                    (int)at.len, syn_span_text(p->ts.src, at));
  }
  *out = (uint64_t)t->number;
  return advance(p);
}

/* A seed: digits only, at most 2^64 - 1. */
static syn_status parse_seed(fparser *p, uint64_t *out) {
  const syn_token *t = cur(p);
  if (t->kind != TK_NUMBER || !on_this_line(t)) return ts_expected(&p->ts, "the seed (seed 7)");
  const char *s = tok_text(p, t);
  uint64_t v = 0;
  for (uint32_t i = 0; i < t->span.len; i++) {
    unsigned d = (unsigned)(s[i] - '0');
    if (d > 9 || v > (UINT64_MAX - d) / 10)
      return error_at(p, t->span,
                      "the seed must be a whole number from 0 to 18446744073709551615 (found %.*s)",
                      (int)t->span.len, s);
    v = v * 10 + d;
  }
  *out = v;
  return advance(p);
}

/* ---- statements ------------------------------------------------------------------------ */

static const char *const statement_words[] = {"fit", "scenario", "data", "observable", "noise",
                                              "estimate", "fix", "optimizer", "multistart",
                                              "profile", "confidence", "predict"};
static const char statement_list[] =
    "a line starts with fit, scenario, data, observable, noise, estimate, fix, optimizer, "
    "multistart, profile, confidence or predict";

static syn_status once(fparser *p, syn_span kw, int seen, syn_span first, const char *what) {
  if (!seen) return SYN_OK;
  return error_at(p, kw, "'%s' is already given on line %d", what, line_of(p, first));
}

/* 'fit' STRING */
static syn_status parse_title(fparser *p, syn_span kw) {
  syn_fit_ast *a = p->ast;
  syn_status st = once(p, kw, a->title != NULL, a->title_span, "fit");
  a->title_span = kw;
  if (st == SYN_OK) st = advance(p);
  if (st == SYN_OK && (cur(p)->kind != TK_STRING || !on_this_line(cur(p))))
    return ts_expected(&p->ts, "the fit's title (a string)");
  if (st == SYN_OK && (a->title = ts_string_value(&p->ts, p->ast->arena, cur(p))) == NULL)
    return out_of_memory(p);
  return st == SYN_OK ? advance(p) : st;
}

/* 'scenario' STRING */
static syn_status parse_scenario(fparser *p, syn_span kw) {
  syn_fit_ast *a = p->ast;
  syn_status st = once(p, kw, a->scenario_path != NULL, a->scenario_span, "scenario");
  if (st == SYN_OK) st = advance(p);
  if (st == SYN_OK)
    st = parse_string(p, &a->scenario_path, &a->scenario_span,
                      "the scenario's path (a string: scenario \"trial.scenario\")");
  return st;
}

/* 'data' STRING */
static syn_status parse_data(fparser *p) {
  syn_fit_ast *a = p->ast;
  ast_fit_path d = {NULL, cur(p)->span};
  syn_status st = advance(p);
  if (st == SYN_OK)
    st = parse_string(p, &d.path, &d.span, "the data table's path (a string: data \"trial.csv\")");
  if (st != SYN_OK) return st;
  for (size_t i = 0; i < a->ndata; i++)
    if (strcmp(a->data[i].path, d.path) == 0)
      return error_at(p, d.span, "the table \"%s\" is already read on line %d", d.path,
                      line_of(p, a->data[i].span));
  if (syn_arena_grow(a->arena, (void **)&a->data, &p->data_cap, a->ndata + 1, sizeof *a->data))
    return out_of_memory(p);
  a->data[a->ndata++] = d;
  return SYN_OK;
}

/* 'observable' NAME '=' EXPR     (the expression kept as text: the model
 * compiler reads it as an output of the scenario's model) */
static syn_status parse_observable(fparser *p) {
  syn_fit_ast *a = p->ast;
  ast_observable o;
  memset(&o, 0, sizeof o);
  syn_status st = advance(p);
  if (st != SYN_OK) return st;
  if (cur(p)->kind != TK_NAME || !on_this_line(cur(p)))
    return ts_expected(&p->ts, "the observable's name (observable IL6 = knee.IL6)");
  o.name_span = cur(p)->span;
  if ((o.name = span_str(p, o.name_span)) == NULL) return out_of_memory(p);
  for (size_t i = 0; i < a->nobs; i++)
    if (strcmp(a->obs[i].name, o.name) == 0)
      return error_at(p, o.name_span, "the observable '%s' is already defined on line %d", o.name,
                      line_of(p, a->obs[i].name_span));
  st = advance(p);
  if (st == SYN_OK && (cur(p)->kind != TK_ASSIGN || !on_this_line(cur(p))))
    return ts_expected(&p->ts, "'=' and the observable's expression");
  if (st == SYN_OK) st = advance(p);
  if (st == SYN_OK && at_end(p))
    return ts_expected(&p->ts, "the observable's expression (states, outputs, parameters)");
  o.formula_span = cur(p)->span;
  while (st == SYN_OK && !at_end(p)) { /* to the end of the line: the compiler checks it */
    o.formula_span = syn_span_join(o.formula_span, cur(p)->span);
    st = advance(p);
  }
  if (st != SYN_OK) return st;
  if ((o.formula = span_str(p, o.formula_span)) == NULL) return out_of_memory(p);
  if (syn_arena_grow(a->arena, (void **)&a->obs, &p->obs_cap, a->nobs + 1, sizeof *a->obs))
    return out_of_memory(p);
  a->obs[a->nobs++] = o;
  return SYN_OK;
}

/* factor = NUMBER [unit] | NAME | 'y' ; returns is_y. */
static syn_status parse_factor(fparser *p, ast_fit_term *t, int *is_y) {
  *is_y = 0;
  if (number_starts(p)) {
    ast_expr *e = NULL;
    syn_status st = parse_value(p, 1, &e);
    if (st != SYN_OK) return st;
    *t = (ast_fit_term){1, NULL, e->u.num.value, e->u.num.unit, e->span};
    return SYN_OK;
  }
  if (cur(p)->kind != TK_NAME || !on_this_line(cur(p)))
    return with_hint(ts_expected(&p->ts, "a number, a parameter's name or y"), p,
                     "sd = data, sd = 0.2, sd = sigma, sd = 0.1 * y or sd = sigma_a + sigma_b * y");
  if (is_word(p, cur(p), "y")) {
    *is_y = 1;
    *t = (ast_fit_term){1, NULL, 1, NULL, cur(p)->span};
    return advance(p);
  }
  t->present = 1;
  t->value = 0;
  t->unit = NULL;
  return parse_qname(p, &t->name, &t->span);
}

/* term = factor [ '*' factor ]   (at most one of them y) */
static syn_status parse_term(fparser *p, ast_fit_term *t, int *proportional) {
  int y1 = 0, y2 = 0;
  ast_fit_term other;
  syn_status st = parse_factor(p, t, &y1);
  *proportional = y1;
  if (st != SYN_OK || cur(p)->kind != TK_STAR || !on_this_line(cur(p))) return st;
  st = advance(p);
  if (st == SYN_OK) st = parse_factor(p, &other, &y2);
  if (st != SYN_OK) return st;
  if (y1 == y2)
    return with_hint(error_at(p, syn_span_join(t->span, other.span),
                              y1 ? "y * y: the sd is linear in y" : "a product without y"),
                     p, "the sd is a + b * y: a number or a parameter, times y for the second");
  syn_span whole = syn_span_join(t->span, other.span);
  if (y1) *t = other;
  *proportional = 1;
  t->span = whole;
  if (t->unit != NULL)
    return error_at(p, t->unit->span, "the factor of y takes no unit (it is relative)");
  return SYN_OK;
}

const fit_noise_kind fit_noise_kinds[FIT_NOISE_COUNT] = {
    [FIT_NOISE_NORMAL] = {"normal", "normal", "sd", FIT_SCALE_LIN, 0, "lin", "normal"},
    [FIT_NOISE_LOGNORMAL] = {"lognormal", "log-normal", "sd", FIT_SCALE_LOG, 0, "log", "normal"},
    [FIT_NOISE_LOG10NORMAL] = {"log10normal", "log10-normal", "sd", FIT_SCALE_LOG10, 0, "log10", "normal"},
    [FIT_NOISE_LAPLACE] = {"laplace", "Laplace", "scale", FIT_SCALE_LIN, 1, "lin", "laplace"},
    [FIT_NOISE_LOGLAPLACE] = {"loglaplace", "log-Laplace", "scale", FIT_SCALE_LOG, 1, "log", "laplace"},
    [FIT_NOISE_LOG10LAPLACE] = {"log10laplace", "log10-Laplace", "scale", FIT_SCALE_LOG10, 1, "log10", "laplace"}};


/* The noise model's word after 'noise' (its spread's word comes next). */
static syn_status parse_dist(fparser *p, ast_fit_noise *n) {
  const char *words[FIT_NOISE_COUNT];
  for (size_t i = 0; i < FIT_NOISE_COUNT; i++) words[i] = fit_noise_kinds[i].word;
  int k = find_word(p, cur(p), words, FIT_NOISE_COUNT);
  if (k < 0 || !on_this_line(cur(p)))
    return unknown_word(p, words, FIT_NOISE_COUNT, "noise distribution",
                        "noise distributions: normal, lognormal, log10normal (sd = ...); laplace, "
                        "loglaplace, log10laplace (scale = ...)");
  n->dist = (fit_dist)k;
  return advance(p);
}

/* 'noise' DIST ('sd' | 'scale') '=' ( 'data' | term [ '+' term ] ) */
static syn_status parse_noise(fparser *p) {
  syn_fit_ast *a = p->ast;
  syn_span kw = cur(p)->span;
  if (a->nobs == 0)
    return with_hint(error_at(p, kw, "'noise' before any observable"), p,
                     "a noise line follows the observable it describes");
  ast_fit_noise *n = &a->obs[a->nobs - 1].noise;
  if (n->given)
    return error_at(p, kw, "the observable '%s' already has its noise on line %d",
                    a->obs[a->nobs - 1].name, line_of(p, n->span));
  n->given = 1;
  n->span = kw;
  syn_status st = advance(p);
  if (st != SYN_OK) return st;
  st = parse_dist(p, n);
  const fit_noise_kind *kind = &fit_noise_kinds[n->dist];
  if (st == SYN_OK)
    st = expect_word(p, kind->spread, kind->laplace ? "'scale' (noise laplace scale = 0.2)" : "'sd' (noise normal sd = 0.2)");
  if (st == SYN_OK && (cur(p)->kind != TK_ASSIGN || !on_this_line(cur(p))))
    return ts_expected(&p->ts, kind->laplace ? "'=' after 'scale'" : "'=' after 'sd'");
  if (st == SYN_OK) st = advance(p);
  if (st != SYN_OK) return st;
  if (is_word(p, cur(p), "data") && on_this_line(cur(p))) {
    n->from_data = 1;
    return advance(p);
  }
  static const char *const clauses[] = {"y"};
  p->clauses = clauses;
  p->nclauses = 1;
  for (int i = 0; i < 2 && st == SYN_OK; i++) {
    ast_fit_term t;
    int prop = 0;
    st = parse_term(p, &t, &prop);
    if (st != SYN_OK) break;
    ast_fit_term *slot = prop ? &n->prop : &n->add;
    if (slot->present)
      return error_at(p, t.span, prop ? "two terms in y: write the sd as a + b * y"
                                      : "two constant terms: write the sd as a + b * y");
    *slot = t;
    if (cur(p)->kind != TK_PLUS || !on_this_line(cur(p))) break;
    if (i == 1) return error_at(p, cur(p)->span, "the sd has at most two terms (a + b * y)");
    st = advance(p);
  }
  if (st == SYN_OK && kind->transform != FIT_SCALE_LIN && n->prop.present) {
    st = error_at(p, n->prop.span, "a term in y with %s noise", kind->adjective);
    syn_error_hint(p->ts.err, "a %s %s is the %s of %s(y), relative already: %s = 0.2", kind->adjective,
                   kind->spread, kind->spread, kind->transform == FIT_SCALE_LOG ? "ln" : "log10", kind->spread);
  }
  return st;
}

static const char scale_list[] = "scales: lin, log (natural), log10";
static const char *const prior_words[] = {"normal", "lognormal", "uniform"};
static const char *const prior_args[] = {"mean and sd", "mu and sigma of ln", "low and high"};

/* 'prior' DIST a b [ 'on' 'scale' ] */
static syn_status parse_prior(fparser *p, ast_estimate *e) {
  if (e->prior.kind != FIT_PRIOR_NONE)
    return error_at(p, cur(p)->span, "'prior' is given twice on this line");
  e->prior.span = cur(p)->span;
  syn_status st = advance(p);
  if (st != SYN_OK) return st;
  int k = find_word(p, cur(p), prior_words, 3);
  if (k < 0 || !on_this_line(cur(p)))
    return unknown_word(p, prior_words, 3, "prior", "priors: normal MEAN SD, lognormal MU SIGMA, uniform LOW HIGH");
  syn_span word = cur(p)->span;
  e->prior.kind = (fit_prior_kind)(k + 1);
  double v[2] = {0, 0};
  syn_span last = word;
  st = advance(p);
  if (st == SYN_OK) st = parse_numbers(p, word, 2, prior_args[k], v, &last);
  if (st != SYN_OK) return st;
  e->prior.a = v[0];
  e->prior.b = v[1];
  e->prior.span = syn_span_join(e->prior.span, last);
  if ((e->prior.kind == FIT_PRIOR_NORMAL || e->prior.kind == FIT_PRIOR_LOGNORMAL) && !(v[1] > 0))
    return error_at(p, word, "the prior's %s must be positive (found %g)",
                    k == 0 ? "sd" : "sigma", v[1]);
  if (e->prior.kind == FIT_PRIOR_UNIFORM && !(v[0] < v[1]))
    return error_at(p, word, "the uniform prior's low must be below its high (found %g %g)", v[0], v[1]);
  if (is_word(p, cur(p), "on") && on_this_line(cur(p))) {
    st = advance(p);
    syn_span scale = cur(p)->span;
    if (st == SYN_OK) st = expect_word(p, "scale", "'scale' after 'on' (prior normal -2 1 on scale)");
    if (st == SYN_OK) e->prior.span = syn_span_join(e->prior.span, scale);
    if (st == SYN_OK && e->prior.kind == FIT_PRIOR_LOGNORMAL)
      return with_hint(error_at(p, word, "a log-normal prior 'on scale'"), p,
                       "a log-normal prior is a normal prior of ln(x): write prior normal MU SIGMA "
                       "on scale with the log scale");
    e->prior.on_scale = 1;
  }
  return st;
}

/* [ 'per' 'arm' | 'for' 'arm' ARM ] */
static syn_status parse_arm_clause(fparser *p, ast_estimate *e) {
  syn_status st = SYN_OK;
  if (is_word(p, cur(p), "per") && on_this_line(cur(p))) {
    e->arms = FIT_ARMS_EACH;
    e->arm_span = cur(p)->span;
    st = advance(p);
    if (st == SYN_OK) st = expect_word(p, "arm", "'arm' after 'per'");
  } else if (is_word(p, cur(p), "for") && on_this_line(cur(p))) {
    e->arms = FIT_ARMS_ONE;
    st = advance(p);
    if (st == SYN_OK) st = expect_word(p, "arm", "'arm' after 'for' (for arm \"placebo\")");
    if (st != SYN_OK) return st;
    if ((cur(p)->kind != TK_STRING && cur(p)->kind != TK_NAME) || !on_this_line(cur(p)))
      return ts_expected(&p->ts, "the arm's name (for arm \"placebo\")");
    e->arm_span = cur(p)->span;
    e->arm = cur(p)->kind == TK_STRING ? ts_string_value(&p->ts, p->ast->arena, cur(p))
                                       : span_str(p, cur(p)->span);
    if (e->arm == NULL) return out_of_memory(p);
    st = advance(p);
  }
  return st;
}

static syn_status check_estimated_once(fparser *p, const ast_estimate *e) {
  const syn_fit_ast *a = p->ast;
  for (size_t i = 0; i + 1 < a->nest; i++) {
    const ast_estimate *o = &a->est[i];
    if (strcmp(o->name, e->name) != 0) continue;
    int clash = o->arms != FIT_ARMS_ONE || e->arms != FIT_ARMS_ONE || strcmp(o->arm, e->arm) == 0;
    if (clash)
      return error_at(p, e->name_span, "'%s' is already estimated on line %d", e->name,
                      line_of(p, o->span));
  }
  return SYN_OK;
}

/* 'estimate' NAME arms [SCALE] 'within' LO HI [prior] ['start' X] */
static syn_status parse_estimate(fparser *p) {
  syn_fit_ast *a = p->ast;
  if (syn_arena_grow(a->arena, (void **)&a->est, &p->est_cap, a->nest + 1, sizeof *a->est))
    return out_of_memory(p);
  ast_estimate *e = &a->est[a->nest++];
  memset(e, 0, sizeof *e);
  e->span = cur(p)->span;
  static const char *const clauses[] = {"prior", "start", "within", "per", "for", "on"};
  p->clauses = clauses;
  p->nclauses = sizeof clauses / sizeof *clauses;
  syn_status st = advance(p);
  if (st == SYN_OK)
    st = parse_param_name(p, &e->name, &e->name_span,
                          "the name of a parameter (estimate severity log10 within 0.01 0.3)");
  if (st == SYN_OK) st = parse_arm_clause(p, e);
  if (st == SYN_OK) st = check_estimated_once(p, e);
  if (st != SYN_OK) return st;
  int k = find_word(p, cur(p), scale_words, NSCALES);
  if (k >= 0 && on_this_line(cur(p))) {
    e->scale = (fit_scale)k;
    st = advance(p);
  } else if (!is_word(p, cur(p), "within")) {
    if (cur(p)->kind == TK_NAME && on_this_line(cur(p)) &&
        syn_suggest(tok_text(p, cur(p)), cur(p)->span.len, scale_words, NSCALES))
      return unknown_word(p, scale_words, NSCALES, "scale", scale_list);
    return with_hint(ts_expected(&p->ts, "'within' and the bounds"), p,
                     "estimate NAME [per arm | for arm ARM] [lin|log|log10] within LOW HIGH [prior …] [start X]");
  }
  syn_span within = cur(p)->span;
  if (st == SYN_OK) st = expect_word(p, "within", "'within' and the bounds (within 0.01 0.3)");
  if (st == SYN_OK) {
    /* within LO HI: a unit on the second number applies to the first too
     * when the first has none (within 0.005 0.1 /h) */
    ast_expr *v[2] = {NULL, NULL};
    size_t n = 0;
    while (st == SYN_OK && n < 2 && number_starts(p)) st = parse_value(p, 1, &v[n++]);
    if (st != SYN_OK) return st;
    if (n < 2 || number_starts(p))
      return error_at(p, n < 2 ? within : cur(p)->span,
                      "'within' takes two numbers (the lower and upper bounds), found %s",
                      n == 0 ? "none" : n == 1 ? "one" : "more");
    if (v[0]->u.num.unit == NULL && v[1]->u.num.unit != NULL) v[0]->u.num.unit = v[1]->u.num.unit;
    e->lo = v[0];
    e->hi = v[1];
    e->within_span = syn_span_join(v[0]->span, v[1]->span);
  }
  while (st == SYN_OK && !at_end(p)) {
    if (is_word(p, cur(p), "prior")) {
      st = parse_prior(p, e);
    } else if (is_word(p, cur(p), "start")) {
      if (e->has_start) return error_at(p, cur(p)->span, "'start' is given twice on this line");
      e->has_start = 1;
      st = advance(p);
      if (st == SYN_OK && !number_starts(p)) return ts_expected(&p->ts, "the initial guess (start 0.05)");
      if (st == SYN_OK) st = parse_value(p, 1, &e->start);
      if (st == SYN_OK && e->start->u.num.unit == NULL) e->start->u.num.unit = e->hi->u.num.unit;
    } else {
      static const char *const words[] = {"prior", "start"};
      const char *near = cur(p)->kind == TK_NAME
                             ? syn_suggest(tok_text(p, cur(p)), cur(p)->span.len, words, 2) : NULL;
      if (near)
        return error_at(p, cur(p)->span, "unexpected '%.*s' (did you mean '%s'?)",
                        (int)cur(p)->span.len, tok_text(p, cur(p)), near);
      return ts_expected(&p->ts, "'prior', 'start' or end of line");
    }
  }
  return st;
}

/* 'fix' NAME '=' VALUE [UNIT] */
static syn_status parse_fix(fparser *p) {
  syn_fit_ast *a = p->ast;
  ast_fix f;
  memset(&f, 0, sizeof f);
  p->clauses = NULL;
  p->nclauses = 0;
  syn_status st = advance(p);
  if (st == SYN_OK) st = parse_param_name(p, &f.name, &f.name_span, "the name of a parameter (fix k = 0.2 /h)");
  if (st == SYN_OK && (cur(p)->kind != TK_ASSIGN || !on_this_line(cur(p))))
    return ts_expected(&p->ts, "'=' and the value");
  if (st == SYN_OK) st = advance(p);
  if (st == SYN_OK && !number_starts(p)) return ts_expected(&p->ts, "a number, optionally with a unit");
  if (st == SYN_OK) st = parse_value(p, 1, &f.value);
  if (st != SYN_OK) return st;
  for (size_t i = 0; i < a->nfixes; i++)
    if (strcmp(a->fixes[i].name, f.name) == 0)
      return error_at(p, f.name_span, "'%s' is already fixed on line %d", f.name,
                      line_of(p, a->fixes[i].name_span));
  if (syn_arena_grow(a->arena, (void **)&a->fixes, &p->fix_cap, a->nfixes + 1, sizeof *a->fixes))
    return out_of_memory(p);
  a->fixes[a->nfixes++] = f;
  return SYN_OK;
}

/* 'optimizer' NAME: the name is a word here; the fit layer checks it against
 * the optimisers' table (src/optim/optim.c), which this layer cannot see. */
static syn_status parse_optimizer(fparser *p, syn_span kw) {
  syn_fit_ast *a = p->ast;
  syn_status st = once(p, kw, a->optimizer != NULL, a->optimizer_span, "optimizer");
  if (st == SYN_OK) st = advance(p);
  if (st != SYN_OK) return st;
  if (cur(p)->kind != TK_NAME || !on_this_line(cur(p)))
    return with_hint(ts_expected(&p->ts, "an optimizer name"), p,
                     "optimizer NAME, e.g. optimizer lm (docs/optimisers.md lists them)");
  a->optimizer_span = cur(p)->span;
  if ((a->optimizer = span_str(p, cur(p)->span)) == NULL) return out_of_memory(p);
  return advance(p);
}

static const char *const design_words[] = {"lhs", "sobol", "random"};

/* 'multistart' N [DESIGN] ['seed' S] */
static syn_status parse_multistart(fparser *p, syn_span kw) {
  syn_fit_ast *a = p->ast;
  syn_status st = once(p, kw, a->starts != 0, a->multistart_span, "multistart");
  a->multistart_span = kw;
  if (st == SYN_OK) st = advance(p);
  if (st == SYN_OK) st = parse_count(p, "the number of starts (multistart 64 lhs seed 7)", &a->starts);
  if (st == SYN_OK && !at_end(p) && !is_word(p, cur(p), "seed")) {
    int k = find_word(p, cur(p), design_words, 3);
    if (k < 0) return unknown_word(p, design_words, 3, "design", "start designs: lhs, sobol, random");
    a->design = design_words[k];
    st = advance(p);
  }
  if (st == SYN_OK && is_word(p, cur(p), "seed")) {
    a->has_seed = 1;
    st = advance(p);
    if (st == SYN_OK) st = parse_seed(p, &a->seed);
  }
  return st;
}

/* 'profile' ( 'all' | 'none' | NAME { NAME } ) */
static syn_status parse_profile(fparser *p, syn_span kw) {
  syn_fit_ast *a = p->ast;
  syn_status st = once(p, kw, a->profile_span.len != 0, a->profile_span, "profile");
  a->profile_span = kw;
  if (st == SYN_OK) st = advance(p);
  if (st != SYN_OK) return st;
  if (at_end(p))
    return with_hint(ts_expected(&p->ts, "all, none or the parameters to profile"), p,
                     "profile all, profile none or profile severity w_p");
  if (is_word(p, cur(p), "all") || is_word(p, cur(p), "none")) {
    a->profile = is_word(p, cur(p), "all") ? FIT_PROFILE_ALL : FIT_PROFILE_NONE;
    st = advance(p);
    if (st == SYN_OK && !at_end(p))
      return error_at(p, cur(p)->span, "'profile %s' takes nothing after it",
                      a->profile == FIT_PROFILE_ALL ? "all" : "none");
    return st;
  }
  a->profile = FIT_PROFILE_NAMES;
  while (st == SYN_OK && !at_end(p)) {
    const char *name = NULL;
    syn_span span;
    st = parse_param_name(p, &name, &span, "an estimated parameter's name");
    for (size_t i = 0; st == SYN_OK && i < a->nprofile; i++)
      if (strcmp(a->profile_names[i], name) == 0)
        return error_at(p, span, "'%s' is already named on this line", name);
    if (st == SYN_OK && (syn_arena_grow(a->arena, (void **)&a->profile_names, &p->prof_cap,
                                        a->nprofile + 1, sizeof *a->profile_names) ||
                         syn_arena_grow(a->arena, (void **)&a->profile_spans, &p->prof_span_cap,
                                        a->nprofile + 1, sizeof *a->profile_spans)))
      return out_of_memory(p);
    if (st == SYN_OK) {
      a->profile_names[a->nprofile] = name;
      a->profile_spans[a->nprofile] = span;
      a->nprofile++;
    }
  }
  return st;
}

/* 'confidence' NUMBER   (strictly between 0 and 1) */
static syn_status parse_confidence(fparser *p, syn_span kw) {
  syn_fit_ast *a = p->ast;
  syn_status st = once(p, kw, a->confidence != 0, a->confidence_span, "confidence");
  a->confidence_span = kw;
  if (st == SYN_OK) st = advance(p);
  ast_expr *e = NULL;
  if (st == SYN_OK && !number_starts(p))
    return ts_expected(&p->ts, "the confidence level (confidence 0.95)");
  if (st == SYN_OK) st = parse_value(p, 0, &e);
  if (st != SYN_OK) return st;
  if (!(e->u.num.value > 0 && e->u.num.value < 1))
    return with_hint(error_at(p, e->span, "the confidence must be between 0 and 1 (found %.*s)",
                              (int)e->span.len, syn_span_text(p->ts.src, e->span)),
                     p, "confidence 0.95 for 95 % intervals");
  a->confidence = e->u.num.value;
  if (!at_end(p)) return error_at(p, cur(p)->span, "'confidence' takes one number");
  return SYN_OK;
}

/* term = METRIC 'in' STRING */
static syn_status parse_pred_term(fparser *p, int sign, ast_pred_term *t) {
  t->sign = sign;
  if (cur(p)->kind != TK_NAME || !on_this_line(cur(p)))
    return with_hint(ts_expected(&p->ts, "a metric of the scenario"), p,
                     "predict \"AUC IA - IV\" = auc_IL6 in \"IA\" - auc_IL6 in \"IV\"");
  t->metric_span = cur(p)->span;
  if ((t->metric = span_str(p, t->metric_span)) == NULL) return out_of_memory(p);
  syn_status st = advance(p);
  if (st == SYN_OK && (cur(p)->kind != TK_IN || !on_this_line(cur(p))))
    return with_hint(ts_expected(&p->ts, "'in' and the arm (auc_IL6 in \"IA\")"), p,
                     "each metric names its arm: METRIC in \"ARM\"");
  if (st == SYN_OK) st = advance(p);
  if (st == SYN_OK && (cur(p)->kind != TK_STRING || !on_this_line(cur(p))))
    return ts_expected(&p->ts, "the arm's name (a string: in \"IA 50M UC-MSC\")");
  if (st == SYN_OK) {
    t->arm_span = cur(p)->span;
    if ((t->arm = ts_string_value(&p->ts, p->ast->arena, cur(p))) == NULL) return out_of_memory(p);
    st = advance(p);
  }
  return st;
}

/* 'predict' STRING '=' ['-'] term { ('+' | '-') term } */
static syn_status parse_predict(fparser *p) {
  syn_fit_ast *a = p->ast;
  ast_prediction d;
  memset(&d, 0, sizeof d);
  syn_status st = advance(p);
  if (st == SYN_OK && (cur(p)->kind != TK_STRING || !on_this_line(cur(p))))
    return ts_expected(&p->ts, "the prediction's name (a string: predict \"IL-6 AUC IA - IV\" = ...)");
  d.name_span = cur(p)->span;
  if (st == SYN_OK && (d.name = ts_string_value(&p->ts, a->arena, cur(p))) == NULL)
    return out_of_memory(p);
  for (size_t i = 0; st == SYN_OK && i < a->npreds; i++)
    if (strcmp(a->preds[i].name, d.name) == 0)
      return error_at(p, d.name_span, "the prediction \"%s\" is already defined on line %d",
                      d.name, line_of(p, a->preds[i].name_span));
  if (st == SYN_OK) st = advance(p);
  if (st == SYN_OK && (cur(p)->kind != TK_ASSIGN || !on_this_line(cur(p))))
    return ts_expected(&p->ts, "'=' and what to predict");
  if (st == SYN_OK) st = advance(p);
  if (st != SYN_OK) return st;
  d.formula_span = cur(p)->span;
  size_t cap = 0;
  int sign = 1;
  if (cur(p)->kind == TK_MINUS && on_this_line(cur(p))) {
    sign = -1;
    st = advance(p);
  }
  while (st == SYN_OK) {
    if (syn_arena_grow(a->arena, (void **)&d.terms, &cap, d.nterms + 1, sizeof *d.terms))
      return out_of_memory(p);
    st = parse_pred_term(p, sign, &d.terms[d.nterms]);
    if (st != SYN_OK) break;
    d.formula_span = syn_span_join(d.formula_span, d.terms[d.nterms++].arm_span);
    if (at_end(p)) break;
    if (cur(p)->kind != TK_PLUS && cur(p)->kind != TK_MINUS)
      return error_at(p, cur(p)->span, "'+' or '-' between the terms, or the end of the line");
    sign = cur(p)->kind == TK_PLUS ? 1 : -1;
    st = advance(p);
  }
  if (st != SYN_OK) return st;
  if ((d.formula = span_str(p, d.formula_span)) == NULL) return out_of_memory(p);
  if (syn_arena_grow(a->arena, (void **)&a->preds, &p->pred_cap, a->npreds + 1, sizeof *a->preds))
    return out_of_memory(p);
  a->preds[a->npreds++] = d;
  return SYN_OK;
}

/* One statement (ts_statement_fn). */
static syn_status parse_statement(void *parser) {
  fparser *p = parser;
  const syn_token *t = cur(p);
  syn_span kw = t->span;
  if (t->kind != TK_NAME) return with_hint(ts_expected(&p->ts, "a statement"), p, statement_list);
  if (is_word(p, t, "fit")) return parse_title(p, kw);
  if (is_word(p, t, "scenario")) return parse_scenario(p, kw);
  if (is_word(p, t, "data")) return parse_data(p);
  if (is_word(p, t, "observable")) return parse_observable(p);
  if (is_word(p, t, "noise")) return parse_noise(p);
  if (is_word(p, t, "estimate")) return parse_estimate(p);
  if (is_word(p, t, "fix")) return parse_fix(p);
  if (is_word(p, t, "optimizer")) return parse_optimizer(p, kw);
  if (is_word(p, t, "multistart")) return parse_multistart(p, kw);
  if (is_word(p, t, "profile")) return parse_profile(p, kw);
  if (is_word(p, t, "confidence")) return parse_confidence(p, kw);
  if (is_word(p, t, "predict")) return parse_predict(p);
  const char *near = syn_suggest(tok_text(p, t), t->span.len, statement_words,
                                 sizeof statement_words / sizeof *statement_words);
  if (near)
    return error_at(p, t->span, "unknown statement '%.*s' (did you mean '%s'?)", (int)t->span.len,
                    tok_text(p, t), near);
  return with_hint(error_at(p, t->span, "unknown statement '%.*s'", (int)t->span.len, tok_text(p, t)),
                   p, statement_list);
}

/* ---- whole-file checks ------------------------------------------------------------------- */

static syn_status missing(fparser *p, const char *msg, const char *hint) {
  return with_hint(error_at(p, (syn_span){p->ast->file, 0, 0}, "%s", msg), p, hint);
}

/* The checks of the whole file (ts_language.complete). */
static syn_status check_complete(void *parser) {
  fparser *p = parser;
  const syn_fit_ast *a = p->ast;
  if (a->scenario_path == NULL)
    return missing(p, "the fit has no 'scenario' line",
                   "name the scenario whose arms are the conditions: scenario \"trial.scenario\"");
  if (a->ndata == 0)
    return missing(p, "the fit has no 'data' line", "name a data table: data \"trial.csv\"");
  if (a->nobs == 0)
    return missing(p, "the fit has no 'observable' line",
                   "say what the data measure: observable IL6 = knee.IL6");
  if (a->nest == 0)
    return missing(p, "the fit estimates nothing: no 'estimate' line",
                   "e.g. estimate severity log10 within 0.01 0.3");
  return SYN_OK;
}

/* ---- entry points ---------------------------------------------------------------------- */

_Static_assert(offsetof(fparser, ts) == 0, "tokstream.c finds the stream at the parser's start");

/* Points the parser at its AST (ts_language.begin). */
static void begin(void *parser, void *ast) { ((fparser *)parser)->ast = ast; }

/* The AST's sources, arena and file (ts_language.shell). */
static ts_ast_shell shell(void *ast) {
  syn_fit_ast *a = ast;
  return (ts_ast_shell){&a->sources, &a->arena, &a->file};
}

/* The fit language for the shared frame of tokstream.c (the loop over the lines, the
 * making and freeing of the AST). */
static const ts_language language = {.parser_size = sizeof(fparser),
                                      .ast_size = sizeof(syn_fit_ast),
                                      .shell = shell,
                                      .begin = begin,
                                      .statement = parse_statement,
                                      .complete = check_complete};

/* Parses `in` into a new AST in *out (NULL on failure). */
static syn_status parse_input(const ts_input *in, syn_fit_ast **out, syn_error *err) {
  void *ast = NULL;
  syn_status st = ts_parse_file(&language, in, &ast, err);
  *out = ast;
  return st;
}

syn_status syn_fit_parse_file(const char *path, syn_fit_ast **out, syn_error *err) {
  if (out == NULL || path == NULL) return syn_error_set(err, SYN_EINVAL, "no fit path given");
  return parse_input(&(ts_input){.path = path}, out, err);
}

syn_status syn_fit_parse_text(const char *name, const char *text, size_t len, syn_fit_ast **out,
                              syn_error *err) {
  if (out == NULL || text == NULL) return syn_error_set(err, SYN_EINVAL, "no fit text given");
  return parse_input(&(ts_input){.name = name, .text = text, .len = len}, out, err);
}

void syn_fit_ast_destroy(syn_fit_ast *a) { ts_ast_destroy(&language, a); }
