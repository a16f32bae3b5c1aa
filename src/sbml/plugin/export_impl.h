/* synovia — the SBML exporter's shared state (internal, sbml layer; the
 * files src/sbml/plugin/export*.c, in the SBML plugin: sbml/plugin_ops.h). */
#ifndef SYN_SBML_EXPORT_IMPL_H
#define SYN_SBML_EXPORT_IMPL_H

#include <sbml/SBMLTypes.h>
#include <stddef.h>

#include "synovia/exprtext.h"
#include "synovia/model.h"
#include "synovia/sbml.h"

/* The ids given so far (open addressing; owned strings). */
typedef struct sbml_idset {
  char **slot;
  size_t cap, count;
} sbml_idset;

typedef struct sbml_exporter {
  const syn_model *m;
  const syn_sbml_options *o;
  SBMLDocument_t *doc;
  Model_t *model;
  syn_expr_printer *printer;
  sbml_idset used;
  const char **id[SYN_SYM_KIND_COUNT]; /* per symbol: its SBML id (in used) */
  const char **input_id;         /* per state: the id of its input parameter, or NULL */
  unsigned char *set[SYN_SYM_KIND_COUNT]; /* per symbol: 1 when a setting gives its value */
  double *value[SYN_SYM_KIND_COUNT];      /* the value given */
  unsigned char *input_varies;   /* per state: an infusion changes its input */
  const syn_sbml_dose **amount_of; /* per parameter: the conditional dose whose amount it
                                      carries (an initial assignment), or NULL */
  syn_expr_event *events;        /* the model's events as text (nevents) */
  unsigned char *omitted;        /* per model event: 1 when o->omit_events names it */
  size_t nevents;
  unsigned char *assigned[SYN_SYM_KIND_COUNT]; /* per symbol: 1 when an event assigns it */
  syn_error *err;
} sbml_exporter;

/* export_ids.c: a valid SBML id made from name (a '.' becomes "__", a word
 * libSBML's formula parser reads as a constant or function gets a '_'),
 * unique among the ids given; owned by the set. NULL: out of memory. */
const char *sbml_id_make(sbml_idset *ids, const char *name);
void sbml_idset_free(sbml_idset *ids);

/* export_units.c */
int sbml_unit_define(sbml_exporter *x, const char *units, char *id_out, size_t size);
int sbml_unit_is_concentration(const char *units);

/* export_events.c: the options' settings and doses; the initial assignment
 * of a conditional dose's amount parameter (the formula into *text: free it). */
syn_status sbml_apply_settings(sbml_exporter *x);
syn_status sbml_add_events(sbml_exporter *x);
syn_status sbml_dose_amount(sbml_exporter *x, const syn_sbml_dose *d, char **text);

/* export_model_events.c: the model's own events — read as text (marking what
 * they assign, which is then not constant) before the symbols are added, and
 * added after them; freed with the exporter. */
syn_status sbml_read_model_events(sbml_exporter *x);
syn_status sbml_add_model_events(sbml_exporter *x);
void sbml_free_model_events(sbml_exporter *x);

/* export_math.c: math from the formula text (the caller frees it); NULL (error set in
 * x->err) when it does not parse. */
ASTNode_t *sbml_math(sbml_exporter *x, const char *formula, const char *what);

#endif
