/* synovia — the unit vocabulary (see units.h).
 *
 * One static table. Time units carry their length in seconds so model/ can
 * convert literals to the model clock; the rest are annotations. `m` (metre or
 * milli?) and `mo` (months have no fixed length) are deliberately absent. */
#include "units.h"

#include <string.h>

#include "suggest.h"

#define DAY_S 86400.0
#define TIME(sym, sec, canon) {sym, SYN_UNIT_TIME, sec, canon}
#define OTHER(sym, canon) {sym, SYN_UNIT_OTHER, 0.0, canon}

static const syn_unit_def units[] = {
    /* time */
    TIME("s", 1.0, "s"), TIME("sec", 1.0, "s"), TIME("min", 60.0, "min"),
    TIME("h", 3600.0, "h"), TIME("hr", 3600.0, "h"), TIME("d", DAY_S, "d"),
    TIME("day", DAY_S, "d"), TIME("wk", 7 * DAY_S, "wk"), TIME("week", 7 * DAY_S, "wk"),
    TIME("yr", 365.25 * DAY_S, "yr"), /* Julian year */
    /* amount of substance */
    OTHER("mol", "mol"), OTHER("mmol", "mmol"), OTHER("umol", "umol"), OTHER("nmol", "nmol"),
    OTHER("pmol", "pmol"),
    /* mass */
    OTHER("kg", "kg"), OTHER("g", "g"), OTHER("mg", "mg"), OTHER("ug", "ug"), OTHER("ng", "ng"),
    OTHER("pg", "pg"),
    /* volume */
    OTHER("L", "L"), OTHER("dL", "dL"), OTHER("mL", "mL"), OTHER("uL", "uL"), OTHER("nL", "nL"),
    /* concentration (molar) */
    OTHER("M", "M"), OTHER("mM", "mM"), OTHER("uM", "uM"), OTHER("nM", "nM"), OTHER("pM", "pM"),
    /* counts and activity */
    OTHER("cells", "cells"), OTHER("cell", "cells"), OTHER("U", "U"), OTHER("IU", "IU"),
    /* pressure and length */
    OTHER("mmHg", "mmHg"), OTHER("cm", "cm"), OTHER("mm", "mm"), OTHER("um", "um"),
    /* dimensionless */
    OTHER("percent", "percent"),
};

enum { UNIT_COUNT = sizeof units / sizeof units[0] };

const syn_unit_def *syn_unit_lookup(const char *symbol, size_t len) {
  for (size_t i = 0; i < UNIT_COUNT; i++)
    if (strlen(units[i].symbol) == len && memcmp(units[i].symbol, symbol, len) == 0)
      return &units[i];
  return NULL;
}

static const char *suggest_among(const char *symbol, size_t len, int kind) {
  const char *symbols[UNIT_COUNT];
  size_t n = 0;
  for (size_t i = 0; i < UNIT_COUNT; i++)
    if (kind < 0 || units[i].kind == (syn_unit_kind)kind) symbols[n++] = units[i].symbol;
  return syn_suggest(symbol, len, symbols, n);
}

const char *syn_unit_suggest(const char *symbol, size_t len) {
  return suggest_among(symbol, len, -1);
}

const char *syn_unit_suggest_kind(const char *symbol, size_t len, syn_unit_kind kind) {
  return suggest_among(symbol, len, (int)kind);
}

size_t syn_unit_count(void) { return UNIT_COUNT; }

const syn_unit_def *syn_unit_at(size_t i) { return i < UNIT_COUNT ? &units[i] : NULL; }
