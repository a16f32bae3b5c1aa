/* synovia — the unit vocabulary (see units.h).
 *
 * One static table. Time units carry their length in seconds so model/ can
 * convert literals to the model clock; every unit carries its dimension and
 * scale so that a value given for a declared quantity can be converted to
 * its unit (syn_unit_convert). `m` (metre or milli?) and `mo` (months have no
 * fixed length) are deliberately absent. */
#include "units.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "suggest.h"

#define DAY_S 86400.0
/* dims: time, length, mass, amount, cells, U, IU, mmHg */
#define TIME(sym, sec, canon) {sym, SYN_UNIT_TIME, sec, canon, sec, 0, {1, 0, 0, 0, 0, 0, 0, 0}}
#define OTHER(sym, canon, e10, l, ma, n, c, u, iu, p) \
  {sym, SYN_UNIT_OTHER, 0.0, canon, 1.0, e10, {0, l, ma, n, c, u, iu, p}}
#define VOLUME(sym, e10) OTHER(sym, sym, (e10) - 3, 3, 0, 0, 0, 0, 0, 0) /* L = 1e-3 m^3 */
#define MASS(sym, e10) OTHER(sym, sym, e10, 0, 1, 0, 0, 0, 0, 0)
#define AMOUNT(sym, e10) OTHER(sym, sym, e10, 0, 0, 1, 0, 0, 0, 0)
#define MOLAR(sym, e10) OTHER(sym, sym, (e10) + 3, -3, 0, 1, 0, 0, 0, 0) /* M = 1e3 mol/m^3 */
#define LENGTH(sym, e10) OTHER(sym, sym, e10, 1, 0, 0, 0, 0, 0, 0)

static const syn_unit_def units[] = {
    /* time */
    TIME("s", 1.0, "s"), TIME("sec", 1.0, "s"), TIME("min", 60.0, "min"),
    TIME("h", 3600.0, "h"), TIME("hr", 3600.0, "h"), TIME("d", DAY_S, "d"),
    TIME("day", DAY_S, "d"), TIME("wk", 7 * DAY_S, "wk"), TIME("week", 7 * DAY_S, "wk"),
    TIME("yr", 365.25 * DAY_S, "yr"), /* Julian year */
    /* amount of substance */
    AMOUNT("mol", 0), AMOUNT("mmol", -3), AMOUNT("umol", -6), AMOUNT("nmol", -9),
    AMOUNT("pmol", -12),
    /* mass */
    MASS("kg", 0), MASS("g", -3), MASS("mg", -6), MASS("ug", -9), MASS("ng", -12),
    MASS("pg", -15),
    /* volume */
    VOLUME("L", 0), VOLUME("dL", -1), VOLUME("mL", -3), VOLUME("uL", -6), VOLUME("nL", -9),
    /* concentration (molar) */
    MOLAR("M", 0), MOLAR("mM", -3), MOLAR("uM", -6), MOLAR("nM", -9), MOLAR("pM", -12),
    /* counts and activity */
    OTHER("cells", "cells", 0, 0, 0, 0, 1, 0, 0, 0), OTHER("cell", "cells", 0, 0, 0, 0, 1, 0, 0, 0),
    OTHER("U", "U", 0, 0, 0, 0, 0, 1, 0, 0), OTHER("IU", "IU", 0, 0, 0, 0, 0, 0, 1, 0),
    /* pressure and length */
    OTHER("mmHg", "mmHg", 0, 0, 0, 0, 0, 0, 0, 1), LENGTH("cm", -2), LENGTH("mm", -3),
    LENGTH("um", -6),
    /* dimensionless */
    OTHER("percent", "percent", -2, 0, 0, 0, 0, 0, 0, 0),
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

/* ---- converting a value to a declared unit ----------------------------------------------- */

/* What a unit text means: num / den * 10^exp10 base units^dim. The
 * mantissas (lengths of time units in seconds) are whole numbers kept on
 * either side of the fraction and the powers of ten apart, so that a
 * conversion rounds at most twice: 500 mL is exactly 0.5 L, 1 g 1000 mg. */
typedef struct unit_scale {
  double num, den;
  long exp10;
  int dim[SYN_DIM_COUNT];
} unit_scale;

/* Exponents beyond this are no unit anyone writes (the model's unit algebra
 * stops at 1000); it keeps the sums below far from overflow. */
enum { UNIT_TEXT_MAX_EXP = 1000 };

typedef struct unit_reader {
  const char *p;
  unit_scale u;
  const char *bad; /* the symbol that is no unit, or NULL for a syntax error */
  size_t badlen;
} unit_reader;

static void skip_blanks(unit_reader *r) {
  while (*r->p == ' ' || *r->p == '\t') r->p++;
}

static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* SYM ['^' ['-'] INT], times sign, into r->u. */
static int read_term(unit_reader *r, int sign) {
  skip_blanks(r);
  const char *sym = r->p;
  while (is_alpha(*r->p)) r->p++;
  size_t len = (size_t)(r->p - sym);
  const syn_unit_def *def = len ? syn_unit_lookup(sym, len) : NULL;
  if (def == NULL) {
    r->bad = len ? sym : NULL;
    r->badlen = len;
    return 0;
  }
  long e = 1;
  skip_blanks(r);
  if (*r->p == '^') {
    r->p++;
    skip_blanks(r);
    int neg = *r->p == '-';
    r->p += neg;
    if (*r->p < '0' || *r->p > '9') return 0;
    for (e = 0; *r->p >= '0' && *r->p <= '9' && e <= UNIT_TEXT_MAX_EXP; r->p++)
      e = 10 * e + (*r->p - '0');
    if (e == 0 || e > UNIT_TEXT_MAX_EXP) return 0;
    if (neg) e = -e;
  }
  e *= sign;
  if (e > 0) r->u.num *= pow(def->mantissa, (double)e);
  else r->u.den *= pow(def->mantissa, (double)-e);
  r->u.exp10 += e * def->exp10;
  for (int k = 0; k < SYN_DIM_COUNT; k++) r->u.dim[k] += (int)e * def->dim[k];
  return 1;
}

/* After '/': one term, or "(a*b)" as the model writes a denominator. */
static int read_divisor(unit_reader *r) {
  skip_blanks(r);
  if (*r->p != '(') return read_term(r, -1);
  r->p++;
  for (;;) {
    if (!read_term(r, -1)) return 0;
    skip_blanks(r);
    if (*r->p == ')') break;
    if (*r->p != '*' && *r->p != '.') return 0;
    r->p++;
  }
  r->p++;
  return 1;
}

/* unit = ["1"] [ "/" ] term { ("/" | "." | "*") term }: both the unit after a
 * number ("/d", "mg.L^-1") and the model's rendering ("1/h", "mg*L/(h*mL)"). */
static int read_unit(unit_reader *r, const char *text) {
  r->p = text;
  r->u = (unit_scale){1.0, 1.0, 0, {0}};
  r->bad = NULL;
  skip_blanks(r);
  if (*r->p == 0) return 1;
  if (r->p[0] == '1' && !(r->p[1] >= '0' && r->p[1] <= '9')) {
    const char *q = r->p + 1;
    while (*q == ' ' || *q == '\t') q++;
    if (*q == '/') r->p = q;
  }
  if (*r->p == '/') r->p++;
  if (!(r->p > text && r->p[-1] == '/' ? read_divisor(r) : read_term(r, 1))) return 0;
  for (skip_blanks(r); *r->p; skip_blanks(r)) {
    char sep = *r->p++;
    if (sep == '/') {
      if (!read_divisor(r)) return 0;
    } else if (sep == '.' || sep == '*') {
      if (!read_term(r, 1)) return 0;
    } else {
      return 0;
    }
  }
  return 1;
}

static int same_dim(const unit_scale *a, const unit_scale *b) {
  for (int k = 0; k < SYN_DIM_COUNT; k++)
    if (a->dim[k] != b->dim[k]) return 0;
  return 1;
}

/* "a rate", "a volume", …: the kind of quantity a dimension is, or NULL. */
static const char *kind_of(const unit_scale *u) {
  /* dims: time, length, mass, amount, cells, U, IU, mmHg */
  static const struct {
    signed char dim[SYN_DIM_COUNT];
    const char *what;
  } kinds[] = {
      {{0, 0, 0, 0, 0, 0, 0, 0}, "a pure number"},
      {{1, 0, 0, 0, 0, 0, 0, 0}, "a time"},
      {{-1, 0, 0, 0, 0, 0, 0, 0}, "a rate"},
      {{0, 1, 0, 0, 0, 0, 0, 0}, "a length"},
      {{0, 2, 0, 0, 0, 0, 0, 0}, "an area"},
      {{0, 3, 0, 0, 0, 0, 0, 0}, "a volume"},
      {{-1, 3, 0, 0, 0, 0, 0, 0}, "a flow (volume per time)"},
      {{0, 0, 1, 0, 0, 0, 0, 0}, "a mass"},
      {{-1, 0, 1, 0, 0, 0, 0, 0}, "a mass per time"},
      {{0, -3, 1, 0, 0, 0, 0, 0}, "a mass concentration"},
      {{-1, -3, 1, 0, 0, 0, 0, 0}, "a mass concentration per time"},
      {{0, 0, 0, 1, 0, 0, 0, 0}, "an amount of substance"},
      {{-1, 0, 0, 1, 0, 0, 0, 0}, "an amount per time"},
      {{0, -3, 0, 1, 0, 0, 0, 0}, "a molar concentration"},
      {{-1, -3, 0, 1, 0, 0, 0, 0}, "a molar concentration per time"},
      {{0, 0, 0, 0, 1, 0, 0, 0}, "a number of cells"},
      {{-1, 0, 0, 0, 1, 0, 0, 0}, "a number of cells per time"},
      {{0, -3, 0, 0, 1, 0, 0, 0}, "a cell density"},
      {{0, 0, 0, 0, 0, 1, 0, 0}, "an activity in U"},
      {{0, 0, 0, 0, 0, 0, 1, 0}, "an activity in IU"},
      {{0, 0, 0, 0, 0, 0, 0, 1}, "a pressure"},
  };
  for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
    int k = 0;
    while (k < SYN_DIM_COUNT && kinds[i].dim[k] == u->dim[k]) k++;
    if (k == SYN_DIM_COUNT) return kinds[i].what;
  }
  return NULL;
}

/* Another symbol of the same dimension as def, the nearest in scale (ties:
 * the first in the table), or NULL: "d" for "h", "ng" for "pg". */
static const syn_unit_def *sibling(const syn_unit_def *def) {
  const syn_unit_def *best = NULL;
  double best_d = INFINITY;
  for (size_t i = 0; i < UNIT_COUNT; i++) {
    const syn_unit_def *u = &units[i];
    if (strcmp(u->canonical, def->canonical) == 0 || memcmp(u->dim, def->dim, sizeof u->dim) != 0)
      continue;
    double d = fabs(log(u->mantissa / def->mantissa) + (u->exp10 - def->exp10) * log(10.0));
    if (d < best_d) best_d = d, best = u;
  }
  return best;
}

/* The target with its first symbol that has a sibling replaced by it
 * ("1/h" -> "1/d", "pg/mL" -> "ng/mL"); 0 when no symbol has one. */
static int compatible_example(const char *target, char *buf, size_t size) {
  for (const char *p = target; *p;) {
    if (!is_alpha(*p)) {
      p++;
      continue;
    }
    const char *sym = p;
    while (is_alpha(*p)) p++;
    const syn_unit_def *def = syn_unit_lookup(sym, (size_t)(p - sym));
    const syn_unit_def *alt = def ? sibling(def) : NULL;
    if (alt == NULL) continue;
    int n = snprintf(buf, size, "%.*s%s%s", (int)(sym - target), target, alt->canonical, p);
    return n > 0 && (size_t)n < size;
  }
  return 0;
}

static syn_status unreadable_unit(const unit_reader *r, const char *unit, syn_error *err) {
  if (r->bad == NULL)
    return syn_error_set(err, SYN_EINVAL, "cannot read the unit '%s' (write it as after a number "
                         "in a model: 'mL', '/d', 'pg/mL', 'mg.L^-1')", unit);
  const char *near = syn_unit_suggest(r->bad, r->badlen);
  if (near)
    return syn_error_set(err, SYN_EINVAL, "unknown unit '%.*s' (did you mean '%s'?)",
                         (int)r->badlen, r->bad, near);
  syn_status st = syn_error_set(err, SYN_EINVAL, "unknown unit '%.*s'", (int)r->badlen, r->bad);
  syn_error_hint(err, "known units include s, min, h, d, wk, yr, mL, L, pg, ng, mg, nM, cells, U "
                      "(see docs/language.md)");
  return st;
}

static syn_status incompatible(const char *name, const char *unit, const char *target,
                               const unit_scale *want, syn_error *err) {
  char example[128];
  const char *what = kind_of(want);
  if (target[0] == 0)
    return syn_error_set(err, SYN_EINVAL, "%s is dimensionless; '%s' is not a pure number (give "
                         "a bare number)", name, unit);
  char also[160] = "";
  if (compatible_example(target, example, sizeof example))
    snprintf(also, sizeof also, " or a compatible unit such as %s", example);
  if (what)
    return syn_error_set(err, SYN_EINVAL, "%s is in %s; '%s' is not %s (give a value in %s%s)",
                         name, target, unit, what, target, also);
  return syn_error_set(err, SYN_EINVAL, "%s is in %s; '%s' cannot be converted to it (give a "
                       "value in %s%s)", name, target, unit, target, also);
}

syn_status syn_unit_convert(const char *name, double value, const char *unit, const char *target,
                            double *out, syn_error *err) {
  unit_reader given, want;
  if (unit == NULL || unit[strspn(unit, " \t")] == 0) {
    *out = value;
    return SYN_OK;
  }
  if (!read_unit(&given, unit)) return unreadable_unit(&given, unit, err);
  if (target == NULL || !read_unit(&want, target)) {
    syn_status st = syn_error_set(err, SYN_EINVAL, "the unit of %s is not known ('%s'), so '%s' "
                                  "cannot be converted to it (give a bare number)", name,
                                  target ? target : "?", unit);
    syn_error_hint(err, "'synovia info' shows what the model derives for each name");
    return st;
  }
  if (!same_dim(&given.u, &want.u)) return incompatible(name, unit, target, &want.u, err);
  double v = value * (given.u.num * want.u.den) / (given.u.den * want.u.num);
  long d = given.u.exp10 - want.u.exp10;
  v = d >= 0 ? v * pow(10.0, (double)d) : v / pow(10.0, (double)-d); /* 10^k is exact to 1e22 */
  if (!isfinite(v) || (v == 0 && value != 0))
    return syn_error_set(err, SYN_EINVAL, "%g %s is out of range in %s", value, unit, target);
  *out = v;
  return SYN_OK;
}
