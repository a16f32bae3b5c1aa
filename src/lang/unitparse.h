/* synovia — units after a number in scenario and sweep files (internal, lang
 * layer), shared by scenario_parser.c and sweep_parser.c.
 *
 *   unit = ( SYM | '/' SYM ) [power] { ( '/' | '.' ) SYM [power] }   on one line
 *   power = '^' [ '-' ] INTEGER
 *
 * The statement's clause words (`at`, `over`, `within`, …) end a number
 * without being units; a name close to one of them is reported as its
 * misspelling rather than as an unknown unit. */
#ifndef SYN_LANG_UNITPARSE_H
#define SYN_LANG_UNITPARSE_H

#include <stddef.h>

#include "ast.h"
#include "tokstream.h"

typedef struct syn_unit_parser {
  syn_tokstream *ts;
  struct syn_arena *arena;          /* where the unit's terms are allocated */
  const char *const *clause_words;  /* names that follow a number without being a unit */
  size_t nclause;
} syn_unit_parser;

/* Does a unit start at the current token (on the number's line)? A name that
 * is not a clause word must then be a unit (or an error). */
int syn_unit_starts(const syn_unit_parser *up);

/* Parse the unit at the current token. Errors: unknown unit (did you mean),
 * a misspelled clause word, an exponent that is not an integer from 1 to 99. */
syn_status syn_unit_parse(const syn_unit_parser *up, const ast_unit **out);

#endif
