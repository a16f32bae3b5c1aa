/* synovia — a token stream with lookahead over the lexer, shared by the model
 * parser (parser.c) and the line-oriented file parsers (scenario_parser.c,
 * sweep_parser.c, fit_parser.c), with the frame those three share: the loop
 * over their lines and the making of their ASTs (internal, lang layer).
 *
 * A lexical error becomes a TK_ERROR token that repeats forever, and is
 * reported (its own message, in err) when the parser moves onto it, so a
 * parser can look ahead past the end of valid input without special cases.
 * Inside parentheses (paren_depth > 0) newlines are skipped. */
#ifndef SYN_LANG_TOKSTREAM_H
#define SYN_LANG_TOKSTREAM_H

#include <stddef.h>

#include "base/arena.h"
#include "lexer.h"

enum { SYN_TOK_LOOKAHEAD = 4 };

typedef struct syn_tokstream {
  syn_lexer lx;
  const syn_srcset *src;
  syn_error *err;
  syn_token la[SYN_TOK_LOOKAHEAD]; /* la[0] is the current token */
  size_t nla;
  syn_status lex_status; /* status of the TK_ERROR token, once the lexer failed */
  syn_error lex_err;     /* its message, reported when the parser reaches it */
  int paren_depth;       /* > 0: newlines are not significant */
} syn_tokstream;

void ts_init(syn_tokstream *ts, const syn_srcset *src, uint32_t file, syn_error *err);

/* The k-th token ahead (0: the current one), k < SYN_TOK_LOOKAHEAD. */
const syn_token *ts_peek(syn_tokstream *ts, size_t k);

/* Drop the current token. Fails (with the lexer's message) when the new
 * current token is a lexical error. */
syn_status ts_advance(syn_tokstream *ts);

/* Skip newlines (continuation lines after an operator, ',' or '='). */
syn_status ts_skip_newlines(syn_tokstream *ts);

/* The lexer's error, if the current token is one (SYN_OK otherwise). */
syn_status ts_lex_error(syn_tokstream *ts);

/* A located error at span (printf-style message). Returns code. */
syn_status ts_error_at(syn_tokstream *ts, syn_span at, syn_status code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "expected WHAT, found <the current token>" at the current token. */
syn_status ts_expected(syn_tokstream *ts, const char *what);

/* The text of a string token without its quotes, escapes resolved, in the
 * arena (the lexer has already checked the escapes). NULL on OOM. */
const char *ts_string_value(const syn_tokstream *ts, syn_arena *arena, const syn_token *t);

/* The span from the start of a to the end of b (same file). */
syn_span syn_span_join(syn_span a, syn_span b);

/* Is token t the word `word` (by its text)? */
int ts_is_word(const syn_tokstream *ts, const syn_token *t, const char *word);

/* A qualified name, NAME { '.' NAME } with no spaces around the dots, from
 * the current token (a NAME) on: moves past it and sets *span to its whole
 * text (only on success). */
syn_status ts_qname(syn_tokstream *ts, syn_span *span);

/* ---- the frame of the line-oriented file parsers (scenario, sweep, fit) ----------------- */

/* Parses one statement for the parser state `parser`; the current token is
 * its first (never a newline or the end of the file). */
typedef syn_status (*ts_statement_fn)(void *parser);

/* Parses every line of the file: one statement a line (blank lines skipped),
 * each followed by the end of its line ("expected end of line, found ..."
 * otherwise). Stops at the first error; a lexical error at the very start is
 * reported as such. */
syn_status ts_parse_lines(syn_tokstream *ts, ts_statement_fn statement, void *parser);

/* Where a file AST's text comes from: the file at `path`, or else `text`
 * (`len` bytes), called `name` in messages (NULL: "<text>"). */
typedef struct ts_input {
  const char *path;
  const char *name;
  const char *text;
  size_t len;
} ts_input;

/* The fields every file AST (syn_scenario_ast, syn_sweep_ast, syn_fit_ast)
 * begins with, by address: its owned sources and arena, and its file. */
typedef struct ts_ast_shell {
  syn_srcset **sources;
  syn_arena **arena;
  uint32_t *file;
} ts_ast_shell;

/* One line-oriented file language: the sizes of its parser state and AST,
 * and the callbacks ts_parse_file needs. */
typedef struct ts_language {
  size_t parser_size;                /* the parser state; its first member is its syn_tokstream */
  size_t ast_size;                   /* the AST */
  ts_ast_shell (*shell)(void *ast);  /* the AST's shell fields */
  void (*begin)(void *parser, void *ast); /* points the parser (stream ready) at the AST */
  ts_statement_fn statement;         /* one statement (see ts_parse_lines) */
  ts_statement_fn complete;          /* checks of the whole file after its last line; NULL: none */
} ts_language;

/* Parses `in` as `lang` into a new zeroed AST: makes its sources and arena,
 * loads the file or text, parses every line, then runs lang->complete. On
 * success *ast is the AST; on failure NULL, with nothing left allocated. */
syn_status ts_parse_file(const ts_language *lang, const ts_input *in, void **ast, syn_error *err);

/* Frees an AST of `lang` (NULL: nothing), its shell's parts included. */
void ts_ast_destroy(const ts_language *lang, void *ast);

#endif
