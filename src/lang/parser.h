/* synovia — the parser: tokens of one file -> declarations (internal, lang layer).
 *
 * Recursive descent for declarations, precedence climbing for expressions
 * (a priority table, Lua style). Imports are not followed here: program.c
 * does that with the DECL_IMPORT declarations this returns. */
#ifndef SYN_LANG_PARSER_H
#define SYN_LANG_PARSER_H

#include "ast.h"
#include "base/arena.h"

/* Parse file `file` of the source set into *out; every node and string goes
 * into `arena`. On error returns the status of the first error in reading
 * order (SYN_EINPUT for lexical and syntax errors, SYN_ELIMIT for nesting
 * and argument limits, SYN_ENOMEM) with err filled and located. */
syn_status parse_file(const syn_srcset *src, uint32_t file, syn_arena *arena, ast_file *out,
                      syn_error *err);

#endif
