/* synovia — units after a number in scenario and sweep files (see unitparse.h). */
#include "unitparse.h"

#include <string.h>

#include "base/arena.h"
#include "suggest.h"
#include "units.h"

enum { UNIT_MAX_EXPONENT = 99 };

static const syn_token *cur(const syn_unit_parser *up) { return ts_peek(up->ts, 0); }

static const char *text_of(const syn_unit_parser *up, const syn_token *t) {
  return syn_span_text(up->ts->src, t->span);
}

static int is_clause_word(const syn_unit_parser *up, const syn_token *t) {
  if (t->kind != TK_NAME) return 0;
  for (size_t i = 0; i < up->nclause; i++)
    if (ts_is_word(up->ts, t, up->clause_words[i])) return 1;
  return 0;
}

static const syn_unit_def *unit_at(const syn_unit_parser *up, const syn_token *t) {
  if (t->kind != TK_NAME || t->newline_before) return NULL;
  return syn_unit_lookup(text_of(up, t), t->span.len);
}

static syn_status unknown_unit(const syn_unit_parser *up, const syn_token *t) {
  const char *text = text_of(up, t);
  const char *near = syn_unit_suggest(text, t->span.len);
  if (near)
    return ts_error_at(up->ts, t->span, SYN_EINPUT, "unknown unit '%.*s' (did you mean '%s'?)",
                       (int)t->span.len, text, near);
  ts_error_at(up->ts, t->span, SYN_EINPUT, "unknown unit '%.*s'", (int)t->span.len, text);
  syn_error_hint(up->ts->err, "known units include s, min, h, d, wk, yr, mL, L, pg, ng, mg, nM, "
                              "cells, U (see docs/language.md)");
  return SYN_EINPUT;
}

/* A name right after a number that is no unit: a misspelled clause word
 * (`5 mg att 0 d`) is likelier than a misspelled unit when it is close to one. */
static syn_status not_a_unit(const syn_unit_parser *up, const syn_token *t) {
  const char *text = text_of(up, t);
  const char *near =
      t->kind == TK_NAME ? syn_suggest(text, t->span.len, up->clause_words, up->nclause) : NULL;
  if (near == NULL) return unknown_unit(up, t);
  return ts_error_at(up->ts, t->span, SYN_EINPUT, "unexpected '%.*s' (did you mean '%s'?)",
                     (int)t->span.len, text, near);
}

static int is_integer_token(const syn_unit_parser *up, const syn_token *t) {
  if (t->kind != TK_NUMBER || t->newline_before) return 0;
  const char *s = text_of(up, t);
  for (uint32_t i = 0; i < t->span.len; i++)
    if (s[i] < '0' || s[i] > '9') return 0;
  return 1;
}

static syn_status parse_power(const syn_unit_parser *up, ast_unit_term *term) {
  syn_status st = ts_advance(up->ts); /* '^' */
  int sign = 1;
  if (st == SYN_OK && cur(up)->kind == TK_MINUS && !cur(up)->newline_before) {
    sign = -1;
    st = ts_advance(up->ts);
  }
  if (st != SYN_OK) return st;
  const syn_token *t = cur(up);
  if (!is_integer_token(up, t)) return ts_expected(up->ts, "an integer unit exponent");
  if (t->number < 1 || t->number > UNIT_MAX_EXPONENT)
    return ts_error_at(up->ts, t->span, SYN_EINPUT, "unit exponent must be from 1 to %d",
                       UNIT_MAX_EXPONENT);
  term->exponent *= sign * (int)t->number;
  term->span = syn_span_join(term->span, t->span);
  return ts_advance(up->ts);
}

static syn_status parse_term(const syn_unit_parser *up, ast_unit *u, size_t *cap,
                             const syn_unit_def *def, int sign, syn_span start) {
  if (syn_arena_grow(up->arena, (void **)&u->terms, cap, u->nterms + 1, sizeof *u->terms) != 0)
    return syn_error_set(up->ts->err, SYN_ENOMEM, "out of memory");
  ast_unit_term *term = &u->terms[u->nterms++];
  term->symbol = def->symbol;
  term->exponent = sign;
  term->span = syn_span_join(start, cur(up)->span);
  syn_status st = ts_advance(up->ts);
  if (st == SYN_OK && cur(up)->kind == TK_CARET && !cur(up)->newline_before)
    st = parse_power(up, term);
  u->span = u->nterms == 1 ? term->span : syn_span_join(u->span, term->span);
  return st;
}

int syn_unit_starts(const syn_unit_parser *up) {
  const syn_token *t = cur(up);
  if (t->newline_before) return 0;
  if (t->kind == TK_NAME) return !is_clause_word(up, t);
  return t->kind == TK_SLASH && unit_at(up, ts_peek(up->ts, 1)) != NULL;
}

syn_status syn_unit_parse(const syn_unit_parser *up, const ast_unit **out) {
  ast_unit *u = syn_arena_alloc(up->arena, sizeof *u);
  size_t cap = 0;
  if (u == NULL) return syn_error_set(up->ts->err, SYN_ENOMEM, "out of memory");
  syn_status st = SYN_OK;
  for (int first = 1; st == SYN_OK; first = 0) {
    const syn_token *t = cur(up);
    syn_span start = t->span;
    int sign = 1;
    if (!first || t->kind == TK_SLASH) {
      const syn_token *sym = ts_peek(up->ts, 1);
      int sep = (t->kind == TK_SLASH || (t->kind == TK_DOT && !first)) && !t->newline_before &&
                sym->kind == TK_NAME && !sym->newline_before;
      if (!sep || (t->kind == TK_SLASH && unit_at(up, sym) == NULL)) break;
      sign = t->kind == TK_SLASH ? -1 : 1;
      st = ts_advance(up->ts);
      if (st != SYN_OK) break;
    }
    const syn_unit_def *def = unit_at(up, cur(up));
    if (def == NULL && first) return not_a_unit(up, cur(up));
    if (def == NULL) return unknown_unit(up, cur(up));
    st = parse_term(up, u, &cap, def, sign, start);
  }
  *out = u;
  return st;
}
