/* synovia — SBML import, internal: the symbol table of one translation and
 * the MathML translator (import_math.c). Only the SBML plugin (src/sbml/plugin/,
 * see sbml/plugin_ops.h) includes libSBML. */
#ifndef SYN_SBML_IMPORT_IMPL_H
#define SYN_SBML_IMPORT_IMPL_H

#include <sbml/SBMLTypes.h>

#include "base/strbuf.h"
#include "synovia/status.h"

/* What an SBML id names. */
typedef enum isym_kind { K_COMPARTMENT, K_SPECIES, K_PARAM, K_SREF, K_REACTION, K_LOCAL } isym_kind;

/* How the symbol is declared in the model text. */
typedef enum isym_role {
  ROLE_PARAM,   /* param/compartment: constant, or changed by events only */
  ROLE_OUTPUT,  /* an assignment rule: output NAME = rule */
  ROLE_STATE,   /* a rate rule, or a species moved by reactions (its amount) */
  ROLE_LET      /* a reaction's rate */
} isym_role;

typedef struct isym {
  const char *id;           /* the SBML id (borrowed from the document) */
  char *name;               /* the synovia name of the symbol's value */
  char *state;              /* the state's name when it differs (a species' amount) */
  isym_kind kind;
  isym_role role;
  const SBase_t *el;        /* where it is declared */
  const ASTNode_t *ia;      /* initial assignment, or NULL */
  const ASTNode_t *rule;    /* assignment or rate rule math, or NULL */
  const SBase_t *rule_el;
  int has_value;
  double value;             /* size, value, stoichiometry, initial amount/concentration */
  int constant;
  int undefined;            /* no value, no initial assignment, no rule: not declared;
                               using it is refused */
  /* species only */
  int hosu, boundary, init_is_conc, in_reaction;
  int comp;                 /* its compartment's symbol */
  const char *conversion;   /* conversion factor id or NULL */
  /* memo of the initial value as text; busy guards against a cycle */
  char *init_text;
  int busy;
  int derivative_busy;
  char *rhs;                /* species amount states: the reaction terms (without factor) */
  int lbegin, lend;         /* reactions: their local parameters in sym[] */
} isym;

typedef struct ifunc {      /* a function definition: inlined at each call */
  const char *id;
  const ASTNode_t *lambda;
  const SBase_t *el;
  int busy;
} ifunc;

typedef struct ibind {      /* a bound variable of a function being inlined */
  const char *name;
  const char *text;
} ibind;

typedef enum math_mode { MODE_DYN, MODE_INIT } math_mode;

typedef struct imp imp;
struct imp {
  const char *path;         /* the SBML file as the user named it */
  SBMLDocument_t *doc;
  Model_t *model;
  unsigned level, version;
  isym *sym;
  size_t nsym, capsym;
  int *table;               /* open addressing: id -> index + 1 */
  size_t table_cap;
  char **names;             /* every name given so far (uniqueness) */
  size_t nnames, capnames;
  ifunc *fn;
  size_t nfn;
  int model_cf;             /* the model's conversion factor symbol, -1 if none */
  syn_error *err;
  int local_begin, local_end; /* the reaction whose local parameters are in scope */
  /* What the translator needs of the symbols, given by import.c (files call
   * only downward: import.c -> import_math.c; the recursion of initial
   * values through math goes through these). */
  const char *(*init_text)(struct imp *I, int s, const SBase_t *where);
  syn_status (*rate_of)(struct imp *I, int s, math_mode mode, const SBase_t *where,
                        syn_strbuf *out);
};


/* Translate math into out (parenthesised as needed). el locates refusals. */
syn_status imp_math(imp *I, const ASTNode_t *m, math_mode mode, const SBase_t *el,
                    syn_strbuf *out);
/* An event's trigger as a condition of the language (comparisons joined by
 * && || !): any other value x as (x) != 0. */
syn_status imp_condition(imp *I, const ASTNode_t *m, const SBase_t *el, syn_strbuf *out);
/* The same into a fresh string (NULL on error, err set). */
char *imp_math_str(imp *I, const ASTNode_t *m, math_mode mode, const SBase_t *el);

/* Symbols (import_names.c). */
int imp_find(const imp *I, const char *id);   /* index or -1 */
int imp_add(imp *I, const char *id, isym_kind kind, const SBase_t *el); /* -1: out of memory */
char *imp_new_name(imp *I, const char *want); /* unique, valid, recorded; NULL: no memory */
void imp_free_names(imp *I);
void imp_append_number(syn_strbuf *b, double v);


/* Fill err->source_line with its line of the file at path. */
void imp_source_line(const char *path, syn_error *err);

/* A use of a symbol that has no value: refused, located. */
syn_status imp_refuse_undefined(imp *I, int s, const SBase_t *where);

/* A refusal located at el: "path:line:col: error: msg". Returns SYN_EINPUT. */
syn_status imp_refuse(imp *I, const SBase_t *el, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
