/* synovia — the lexer: bytes of one source file -> tokens (internal, lang layer).
 *
 * Tokens are produced on demand (Lua style) so the first error in reading
 * order wins, and they point into the source by span; nothing is allocated.
 * Newlines are tokens: the parser decides where a line break ends a
 * declaration and where it is a continuation. */
#ifndef SYN_LANG_LEXER_H
#define SYN_LANG_LEXER_H

#include <stddef.h>

#include "source.h"
#include "token.h"

typedef struct syn_token {
  syn_tk kind;
  syn_span span;      /* NEWLINE/EOF: zero length, right after the last token of the line */
  double number;      /* TK_NUMBER: the value (always finite) */
  int newline_before; /* a line break lies between the previous token and this one */
  int space_before;   /* whitespace, a comment or a line break precedes this token */
} syn_token;

typedef struct syn_lexer {
  const syn_srcset *src;
  uint32_t file;
  const char *text;
  size_t len, pos;
  size_t line_start; /* offset of the current line */
  size_t last_end;   /* end of the last real (non-newline) token; SIZE_MAX if none */
  int newline_seen;  /* since the last token */
} syn_lexer;

/* Start reading file `file` of the source set (borrowed; must outlive the lexer). */
void lex_init(syn_lexer *lx, const syn_srcset *src, uint32_t file);

/* The next token. On a lexical error returns SYN_EINPUT (or SYN_ENOMEM), fills
 * err, and sets tok->kind = TK_ERROR; after that the lexer must not be used. */
syn_status lex_next(syn_lexer *lx, syn_token *tok, syn_error *err);

/* Spelling of a kind for messages: "+", "model", "end of line", "name". */
const char *lex_kind_text(syn_tk kind);

/* 1 if the kind is a reserved word. */
int lex_is_keyword(syn_tk kind);

/* The token as it appears in "found X": 'text' (quoted, long text cut with
 * "..."), or `end of line` / `end of file`. Writes at most size bytes. */
void lex_describe(const syn_srcset *src, const syn_token *tok, char *buf, size_t size);

#endif
