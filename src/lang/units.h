/* synovia — the vocabulary of unit symbols (internal, lang layer).
 *
 * Time units convert literals to the model clock; every other unit is an
 * annotation carried to outputs. The parser needs the vocabulary to tell a
 * unit after a number (`3 pg/mL`, `0.5 /d`) from an operator. */
#ifndef SYN_LANG_UNITS_H
#define SYN_LANG_UNITS_H

#include <stddef.h>

typedef enum { SYN_UNIT_TIME, SYN_UNIT_OTHER } syn_unit_kind;

typedef struct syn_unit_def {
  const char *symbol;     /* as written: "min", "pg", "mL", "cells" */
  syn_unit_kind kind;
  double seconds;         /* SYN_UNIT_TIME: length of one unit in seconds; else 0 */
  const char *canonical;  /* name written to outputs ("h" for "hr", "d" for "day") */
} syn_unit_def;

/* NULL when the symbol is not a known unit. Case-sensitive ("M" molar, "m" is not). */
const syn_unit_def *syn_unit_lookup(const char *symbol, size_t len);

/* The known symbol closest to `symbol` by edit distance (for "did you mean"),
 * or NULL when nothing is close. */
const char *syn_unit_suggest(const char *symbol, size_t len);

/* Same, among the units of one kind only (the `time unit` declaration). */
const char *syn_unit_suggest_kind(const char *symbol, size_t len, syn_unit_kind kind);

/* All known units, for docs and `synovia info --units`. */
size_t syn_unit_count(void);
const syn_unit_def *syn_unit_at(size_t i);

#endif
