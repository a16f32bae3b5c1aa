/* synovia — token stream with lookahead (see tokstream.h). */
#include "tokstream.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "source.h"

void ts_init(syn_tokstream *ts, const syn_srcset *src, uint32_t file, syn_error *err) {
  memset(ts, 0, sizeof *ts);
  ts->src = src;
  ts->err = err;
  lex_init(&ts->lx, src, file);
}

static void fill(syn_tokstream *ts, size_t k) {
  while (ts->nla <= k) {
    syn_token *t = &ts->la[ts->nla];
    if (ts->nla > 0 && ts->la[ts->nla - 1].kind == TK_ERROR) {
      *t = ts->la[ts->nla - 1]; /* the lexer stopped: repeat the error token */
    } else if (ts->lex_status == SYN_OK) {
      syn_status st = lex_next(&ts->lx, t, &ts->lex_err);
      if (st != SYN_OK) {
        t->kind = TK_ERROR;
        ts->lex_status = st;
      }
    } else {
      t->kind = TK_ERROR;
    }
    ts->nla++;
  }
}

const syn_token *ts_peek(syn_tokstream *ts, size_t k) {
  fill(ts, k);
  return &ts->la[k];
}

syn_status ts_lex_error(syn_tokstream *ts) {
  if (ts_peek(ts, 0)->kind != TK_ERROR) return SYN_OK;
  if (ts->err) *ts->err = ts->lex_err;
  return ts->lex_status;
}

syn_status ts_advance(syn_tokstream *ts) {
  do {
    fill(ts, 0);
    memmove(&ts->la[0], &ts->la[1], (ts->nla - 1) * sizeof ts->la[0]);
    ts->nla--;
  } while (ts->paren_depth > 0 && ts_peek(ts, 0)->kind == TK_NEWLINE);
  return ts_lex_error(ts);
}

syn_status ts_skip_newlines(syn_tokstream *ts) {
  while (ts_peek(ts, 0)->kind == TK_NEWLINE) {
    syn_status st = ts_advance(ts);
    if (st != SYN_OK) return st;
  }
  return SYN_OK;
}

syn_status ts_error_at(syn_tokstream *ts, syn_span at, syn_status code, const char *fmt, ...) {
  char msg[SYN_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return syn_diag(ts->err, ts->src, at, code, "%s", msg);
}

int ts_is_word(const syn_tokstream *ts, const syn_token *t, const char *word) {
  size_t n = strlen(word);
  return t->span.len == n && memcmp(syn_span_text(ts->src, t->span), word, n) == 0;
}

syn_status ts_expected(syn_tokstream *ts, const char *what) {
  char found[200];
  const syn_token *t = ts_peek(ts, 0);
  lex_describe(ts->src, t, found, sizeof found);
  return ts_error_at(ts, t->span, SYN_EINPUT, "expected %s, found %s", what, found);
}

const char *ts_string_value(const syn_tokstream *ts, syn_arena *arena, const syn_token *t) {
  const char *s = syn_span_text(ts->src, t->span) + 1;
  size_t n = t->span.len - 2, o = 0;
  char *d = syn_arena_alloc(arena, n + 1);
  if (d == NULL) return NULL;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '\\') {
      c = s[++i];
      c = c == 'n' ? '\n' : c == 't' ? '\t' : c; /* the lexer allowed only these, '"', '\\' */
    }
    d[o++] = c;
  }
  d[o] = 0;
  return d;
}

syn_span syn_span_join(syn_span a, syn_span b) {
  return (syn_span){a.file, a.off, b.off + b.len - a.off};
}

syn_status ts_qname(syn_tokstream *ts, syn_span *span) {
  syn_span s = ts_peek(ts, 0)->span;
  syn_status st = ts_advance(ts);
  while (st == SYN_OK && ts_peek(ts, 0)->kind == TK_DOT && !ts_peek(ts, 0)->space_before &&
         ts_peek(ts, 1)->kind == TK_NAME && !ts_peek(ts, 1)->space_before) {
    st = ts_advance(ts);
    if (st == SYN_OK) {
      s = syn_span_join(s, ts_peek(ts, 0)->span);
      st = ts_advance(ts);
    }
  }
  if (st == SYN_OK) *span = s;
  return st;
}

/* ---- the frame of the line-oriented file parsers ----------------------------------------- */

static int at_line_end(syn_tokstream *ts) {
  syn_tk k = ts_peek(ts, 0)->kind;
  return k == TK_NEWLINE || k == TK_EOF;
}

syn_status ts_parse_lines(syn_tokstream *ts, ts_statement_fn statement, void *parser) {
  syn_status st = ts_lex_error(ts);
  while (st == SYN_OK && ts_peek(ts, 0)->kind != TK_EOF) {
    if (ts_peek(ts, 0)->kind != TK_NEWLINE) st = statement(parser);
    if (st == SYN_OK && !at_line_end(ts)) st = ts_expected(ts, "end of line");
    if (st == SYN_OK && ts_peek(ts, 0)->kind == TK_NEWLINE) st = ts_advance(ts);
  }
  return st;
}

static syn_status load_input(ts_ast_shell shell, const ts_input *in, syn_error *err) {
  if (in->path != NULL)
    return syn_srcset_load_file(*shell.sources, in->path, NULL, shell.file, err);
  return syn_srcset_add_text(*shell.sources, in->name ? in->name : "<text>", in->text, in->len,
                             shell.file, err);
}

/* Parses the loaded file of `ast` with a parser state of its own. */
static syn_status parse_loaded(const ts_language *lang, void *ast, ts_ast_shell shell,
                               syn_error *err) {
  void *parser = syn_calloc(1, lang->parser_size);
  if (parser == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  syn_tokstream *ts = parser; /* the state's first member */
  ts_init(ts, *shell.sources, *shell.file, err);
  lang->begin(parser, ast);
  syn_status st = ts_parse_lines(ts, lang->statement, parser);
  if (st == SYN_OK && lang->complete != NULL) st = lang->complete(parser);
  syn_free(parser);
  return st;
}

/* Makes the shell's sources and arena, loads `in`, parses it. */
static syn_status fill_ast(const ts_language *lang, const ts_input *in, void *ast, syn_error *err) {
  ts_ast_shell shell = lang->shell(ast);
  *shell.sources = syn_srcset_create();
  *shell.arena = syn_arena_create();
  if (*shell.sources == NULL || *shell.arena == NULL)
    return syn_error_set(err, SYN_ENOMEM, "out of memory");
  syn_status st = load_input(shell, in, err);
  if (st == SYN_OK) st = parse_loaded(lang, ast, shell, err);
  return st;
}

syn_status ts_parse_file(const ts_language *lang, const ts_input *in, void **ast, syn_error *err) {
  *ast = NULL;
  void *a = syn_calloc(1, lang->ast_size);
  if (a == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  syn_status st = fill_ast(lang, in, a, err);
  if (st == SYN_OK)
    *ast = a;
  else
    ts_ast_destroy(lang, a);
  return st;
}

void ts_ast_destroy(const ts_language *lang, void *ast) {
  if (ast == NULL) return;
  ts_ast_shell shell = lang->shell(ast);
  syn_srcset_destroy(*shell.sources);
  syn_arena_destroy(*shell.arena);
  syn_free(ast);
}
