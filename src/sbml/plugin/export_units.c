/* synovia — units of a model as SBML unit definitions (sbml layer; see
 * export_impl.h). A unit as the model derives it ("pg/(mL*h)", "1/h",
 * "cells") is a product of symbols with integer powers; each symbol of the
 * language's vocabulary that SBML can express is one row of unit_table. A
 * unit with any other symbol (U, IU, mmHg, percent, "?") has no mapping and
 * is left unset. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export_impl.h"

/* symbol -> (multiplier * 10^scale * kind); a molar unit is also litre^-1. */
typedef struct unit_row {
  const char *symbol;
  UnitKind_t kind;
  int scale;
  double multiplier;
  int per_litre;
} unit_row;

static const unit_row unit_table[] = {
    {"s", UNIT_KIND_SECOND, 0, 1, 0},        {"sec", UNIT_KIND_SECOND, 0, 1, 0},
    {"min", UNIT_KIND_SECOND, 0, 60, 0},     {"h", UNIT_KIND_SECOND, 0, 3600, 0},
    {"hr", UNIT_KIND_SECOND, 0, 3600, 0},    {"d", UNIT_KIND_SECOND, 0, 86400, 0},
    {"day", UNIT_KIND_SECOND, 0, 86400, 0},  {"wk", UNIT_KIND_SECOND, 0, 604800, 0},
    {"week", UNIT_KIND_SECOND, 0, 604800, 0}, {"yr", UNIT_KIND_SECOND, 0, 31557600, 0},
    {"mol", UNIT_KIND_MOLE, 0, 1, 0},        {"mmol", UNIT_KIND_MOLE, -3, 1, 0},
    {"umol", UNIT_KIND_MOLE, -6, 1, 0},      {"nmol", UNIT_KIND_MOLE, -9, 1, 0},
    {"pmol", UNIT_KIND_MOLE, -12, 1, 0},     {"kg", UNIT_KIND_GRAM, 3, 1, 0},
    {"g", UNIT_KIND_GRAM, 0, 1, 0},          {"mg", UNIT_KIND_GRAM, -3, 1, 0},
    {"ug", UNIT_KIND_GRAM, -6, 1, 0},        {"ng", UNIT_KIND_GRAM, -9, 1, 0},
    {"pg", UNIT_KIND_GRAM, -12, 1, 0},       {"L", UNIT_KIND_LITRE, 0, 1, 0},
    {"dL", UNIT_KIND_LITRE, -1, 1, 0},       {"mL", UNIT_KIND_LITRE, -3, 1, 0},
    {"uL", UNIT_KIND_LITRE, -6, 1, 0},       {"nL", UNIT_KIND_LITRE, -9, 1, 0},
    {"M", UNIT_KIND_MOLE, 0, 1, 1},          {"mM", UNIT_KIND_MOLE, -3, 1, 1},
    {"uM", UNIT_KIND_MOLE, -6, 1, 1},        {"nM", UNIT_KIND_MOLE, -9, 1, 1},
    {"pM", UNIT_KIND_MOLE, -12, 1, 1},       {"cells", UNIT_KIND_ITEM, 0, 1, 0},
    {"cell", UNIT_KIND_ITEM, 0, 1, 0},       {"cm", UNIT_KIND_METRE, -2, 1, 0},
    {"mm", UNIT_KIND_METRE, -3, 1, 0},       {"um", UNIT_KIND_METRE, -6, 1, 0},
};

static const unit_row *unit_find(const char *s, size_t n) {
  for (size_t i = 0; i < sizeof unit_table / sizeof *unit_table; i++)
    if (strlen(unit_table[i].symbol) == n && strncmp(unit_table[i].symbol, s, n) == 0)
      return &unit_table[i];
  return NULL;
}

/* One factor of a parsed unit. */
typedef struct unit_factor {
  const unit_row *row;
  int power;
} unit_factor;

enum { MAX_FACTORS = 16 };

typedef struct unit_parse {
  const char *s;
  unit_factor f[MAX_FACTORS];
  size_t n;
  int bad;
} unit_parse;

static void add_factor(unit_parse *u, const unit_row *row, int power) {
  if (u->n == MAX_FACTORS || row == NULL) {
    u->bad = 1;
    return;
  }
  u->f[u->n++] = (unit_factor){row, power};
}

/* symbol [^ int] ; sign: -1 inside a denominator. */
static void parse_symbol(unit_parse *u, int sign) {
  const char *start = u->s;
  while (isalpha((unsigned char)*u->s)) u->s++;
  size_t len = (size_t)(u->s - start);
  int power = 1;
  if (*u->s == '^') {
    char *end;
    power = (int)strtol(u->s + 1, &end, 10);
    u->bad |= end == u->s + 1;
    u->s = end;
  }
  if (len == 1 && *start == '1' && power == 1) return;
  add_factor(u, unit_find(start, len), sign * power);
}

/* term { ('*' | '.') term }, a term being a symbol, "1" or "( ... )". */
static void parse_product(unit_parse *u, int sign) {
  for (;;) {
    if (*u->s == '(') {
      u->s++;
      parse_product(u, sign);
      u->bad |= *u->s != ')';
      if (*u->s == ')') u->s++;
    } else if (*u->s == '1') {
      u->s++;
    } else if (isalpha((unsigned char)*u->s)) {
      parse_symbol(u, sign);
    } else {
      u->bad = 1;
      return;
    }
    if (*u->s != '*' && *u->s != '.') return;
    u->s++;
  }
}

/* The unit as factors; 0 when it does not map. */
static int unit_parse_text(const char *text, unit_parse *u) {
  *u = (unit_parse){.s = text};
  if (text[0] == 0 || strcmp(text, "dimensionless") == 0) return text[0] != 0;
  parse_product(u, 1);
  while (!u->bad && *u->s == '/') {
    u->s++;
    parse_product(u, -1);
  }
  return !u->bad && *u->s == 0;
}

int sbml_unit_is_concentration(const char *units) {
  unit_parse u;
  if (!unit_parse_text(units, &u)) return 0;
  int volume = 0;
  for (size_t i = 0; i < u.n; i++) {
    if (u.f[i].row->kind == UNIT_KIND_LITRE) volume += u.f[i].power;
    if (u.f[i].row->per_litre) volume -= u.f[i].power;
  }
  return volume == -1;
}

/* The unit's id: u_ then its text with every other character as '_'. */
static void unit_id(const char *units, char *buf, size_t size) {
  if (strcmp(units, "dimensionless") == 0) {
    snprintf(buf, size, "dimensionless");
    return;
  }
  size_t k = (size_t)snprintf(buf, size, "u_");
  for (const char *s = units; *s && k + 1 < size; s++)
    buf[k++] = isalnum((unsigned char)*s) ? *s : *s == '/' ? 'p' : '_';
  buf[k] = 0;
}

static int add_unit(UnitDefinition_t *ud, UnitKind_t kind, int scale, double mult, int power) {
  Unit_t *unit = UnitDefinition_createUnit(ud);
  return unit == NULL || Unit_setKind(unit, kind) != LIBSBML_OPERATION_SUCCESS ||
         Unit_setScale(unit, scale) != LIBSBML_OPERATION_SUCCESS ||
         Unit_setMultiplier(unit, mult) != LIBSBML_OPERATION_SUCCESS ||
         Unit_setExponentAsDouble(unit, power) != LIBSBML_OPERATION_SUCCESS;
}

/* A unit definition made once per unit text, its id into id_out. 0: the
 * unit does not map (id_out ""), 1: it does, -1: libSBML failed. */
int sbml_unit_define(sbml_exporter *x, const char *units, char *id_out, size_t size) {
  unit_parse u;
  id_out[0] = 0;
  if (!unit_parse_text(units, &u)) return 0;
  unit_id(units, id_out, size);
  if (strcmp(id_out, "dimensionless") == 0 || Model_getUnitDefinitionById(x->model, id_out))
    return 1;
  UnitDefinition_t *ud = Model_createUnitDefinition(x->model);
  int bad = ud == NULL || UnitDefinition_setId(ud, id_out) != LIBSBML_OPERATION_SUCCESS ||
            UnitDefinition_setName(ud, units) != LIBSBML_OPERATION_SUCCESS;
  for (size_t i = 0; !bad && i < u.n; i++) {
    const unit_row *r = u.f[i].row;
    bad = add_unit(ud, r->kind, r->scale, r->multiplier, u.f[i].power) ||
          (r->per_litre && add_unit(ud, UNIT_KIND_LITRE, 0, 1, -u.f[i].power));
  }
  if (!bad && u.n == 0) bad = add_unit(ud, UNIT_KIND_DIMENSIONLESS, 0, 1, 1);
  return bad ? -1 : 1;
}
