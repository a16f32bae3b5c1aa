/* synovia — SBML ids for the model's names (sbml layer; see export_impl.h).
 * synovia names are already SBML ids except for the '.' of a per-joint name
 * and for the words libSBML's Level 3 formula parser gives a meaning of its
 * own (constants, functions, `time`): those would be read as something else
 * in a formula, so they get a '_' appended. Collisions get more '_'. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "export_impl.h"

/* Words of the L3 formula syntax (compared ignoring case, as the parser
 * reads some of them). */
static const char *const formula_words[] = {
    "abs",   "and",    "arccos", "arcsin",  "arctan",   "avogadro", "ceil",    "ceiling",
    "cos",   "cosh",   "delay",  "e",       "eq",       "exp",      "exponentiale", "factorial",
    "false", "floor",  "geq",    "gt",      "implies",  "inf",      "infinity", "leq",
    "ln",    "log",    "log10",  "lt",      "max",      "min",      "nan",     "neq",
    "not",   "notanumber", "or", "pi",      "piecewise", "pow",     "power",   "quotient",
    "rateOf", "rem",   "root",   "sin",     "sinh",     "sqr",      "sqrt",    "tan",
    "tanh",  "time",   "true",   "xor",     "acos",     "asin",     "atan",    "sec",
    "csc",   "cot",    "plus",   "minus",   "times",    "divide",
};

static int is_formula_word(const char *s) {
  for (size_t i = 0; i < sizeof formula_words / sizeof *formula_words; i++)
    if (strcasecmp(s, formula_words[i]) == 0) return 1;
  return 0;
}

static size_t hash(const char *s) {
  size_t h = 5381;
  for (; *s; s++) h = h * 33 + (unsigned char)*s;
  return h;
}

static char **find_slot(sbml_idset *ids, const char *s) {
  size_t i = hash(s) & (ids->cap - 1);
  while (ids->slot[i] && strcmp(ids->slot[i], s) != 0) i = (i + 1) & (ids->cap - 1);
  return &ids->slot[i];
}

static int grow(sbml_idset *ids) {
  sbml_idset bigger = {syn_calloc(ids->cap ? ids->cap * 2 : 64, sizeof(char *)),
                       ids->cap ? ids->cap * 2 : 64, ids->count};
  if (bigger.slot == NULL) return -1;
  for (size_t i = 0; i < ids->cap; i++)
    if (ids->slot[i]) *find_slot(&bigger, ids->slot[i]) = ids->slot[i];
  syn_free(ids->slot);
  *ids = bigger;
  return 0;
}

const char *sbml_id_make(sbml_idset *ids, const char *name) {
  if (2 * (ids->count + 1) > ids->cap && grow(ids) != 0) return NULL;
  size_t dots = 0;
  for (const char *s = name; *s; s++) dots += *s == '.';
  size_t len = strlen(name) + dots + 1;
  char *id = syn_malloc(len + 1);
  if (id == NULL) return NULL;
  size_t k = 0;
  for (const char *s = name; *s; s++) {
    if (*s == '.') id[k++] = '_';
    id[k++] = *s == '.' ? '_' : *s;
  }
  id[k] = 0;
  while (is_formula_word(id) || *find_slot(ids, id) != NULL) {
    char *longer = syn_realloc(id, ++len + 1); /* one more '_' */
    if (longer == NULL) {
      syn_free(id);
      return NULL;
    }
    id = longer;
    id[k++] = '_';
    id[k] = 0;
  }
  *find_slot(ids, id) = id;
  ids->count++;
  return id;
}

void sbml_idset_free(sbml_idset *ids) {
  for (size_t i = 0; i < ids->cap; i++) syn_free(ids->slot[i]);
  syn_free(ids->slot);
  *ids = (sbml_idset){NULL, 0, 0};
}
