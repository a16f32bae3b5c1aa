/* synovia — the vocabulary of unit symbols (internal, lang layer).
 *
 * Time units convert literals to the model clock; in model expressions every
 * other unit is an annotation carried to outputs. The parser needs the
 * vocabulary to tell a unit after a number (`3 pg/mL`, `0.5 /d`) from an
 * operator. A value given for a declared quantity (`--set 'V=500 mL'`, a
 * scenario's `set`, a sweep's `vary`) is converted to the quantity's declared
 * unit by syn_unit_convert, from each symbol's dimension and scale. */
#ifndef SYN_LANG_UNITS_H
#define SYN_LANG_UNITS_H

#include <stddef.h>

#include "synovia/status.h"

typedef enum { SYN_UNIT_TIME, SYN_UNIT_OTHER } syn_unit_kind;

/* The base dimensions. Volume is length^3 (1 L = 1e-3 m^3, so mL = cm^3);
 * a molar concentration is amount / length^3. Cells, U, IU and mmHg are each
 * their own dimension: nothing converts them into one another. */
typedef enum {
  SYN_DIM_TIME, SYN_DIM_LENGTH, SYN_DIM_MASS, SYN_DIM_AMOUNT, SYN_DIM_CELLS, SYN_DIM_U,
  SYN_DIM_IU, SYN_DIM_PRESSURE, SYN_DIM_COUNT
} syn_dim;

typedef struct syn_unit_def {
  const char *symbol;     /* as written: "min", "pg", "mL", "cells" */
  syn_unit_kind kind;
  double seconds;         /* SYN_UNIT_TIME: length of one unit in seconds; else 0 */
  const char *canonical;  /* name written to outputs ("h" for "hr", "d" for "day") */
  double mantissa;        /* one unit is mantissa * 10^exp10 base units (s, m, kg, mol, */
  int exp10;              /* cells, U, IU, mmHg): kept apart so mL -> L is exactly /1000 */
  signed char dim[SYN_DIM_COUNT]; /* powers of the base dimensions */
} syn_unit_def;

/* NULL when the symbol is not a known unit. Case-sensitive ("M" molar, "m" is not). */
const syn_unit_def *syn_unit_lookup(const char *symbol, size_t len);

/* The known symbol closest to `symbol` by edit distance (for "did you mean"),
 * or NULL when nothing is close. */
const char *syn_unit_suggest(const char *symbol, size_t len);

/* Same, among the units of one kind only (the `time unit` declaration). */
const char *syn_unit_suggest_kind(const char *symbol, size_t len, syn_unit_kind kind);

/* Convert a value given for the quantity `name` to its declared unit.
 *
 *   value, unit  the number and the unit written after it, in the syntax of
 *                a unit after a number ("mL", "/d", "pg/mL", "mg.L^-1");
 *                "" or NULL: no unit, and the value is taken in the declared
 *                unit as it is (the rule for bare numbers everywhere)
 *   target       the declared unit as the model derives it (syn_symbol.units:
 *                "L", "1/h", "mg*L/(h*mL)"; "" dimensionless; "?" unknown)
 *
 * A unit of the same dimension is converted (500 mL -> 0.5 L, 1 /d -> 1/24
 * 1/h on an hourly clock); any other is refused with a message naming the
 * quantity, its unit and a compatible one ("ka is in 1/h; 'mg' is not a rate
 * (give a value in 1/h or a compatible unit such as 1/d)"), as is a unit on a
 * quantity whose unit is unknown ("?"). The message does not quote the value:
 * the caller says where it was given. Returns SYN_OK or SYN_EINVAL. */
syn_status syn_unit_convert(const char *name, double value, const char *unit, const char *target,
                            double *out, syn_error *err);

/* All known units, for docs and `synovia info --units`. */
size_t syn_unit_count(void);
const syn_unit_def *syn_unit_at(size_t i);

#endif
