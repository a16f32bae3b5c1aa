/* synovia — a model as SBML Level 3 Version 2 (sbml layer; see
 * include/synovia/sbml.h and docs/sbml.md, Export).
 *
 * Expressions come from the model layer as formula text (synovia/exprtext.h:
 * the values the solver computes, constants folded and printed to round-trip)
 * and are turned into MathML by libSBML's Level 3 formula parser. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/strbuf.h"
#include "export_impl.h"

static const int SBML_LEVEL = 3, SBML_VERSION = 2;

static syn_status nomem(sbml_exporter *x) {
  return syn_error_set(x->err, SYN_ENOMEM, "out of memory");
}

/* libSBML said no to a setter: a bug of the exporter, not of the model. */
static syn_status refused(sbml_exporter *x, const char *what) {
  return syn_error_set(x->err, SYN_EINTERNAL, "libSBML refused %s", what);
}

static int ok(int code) { return code == LIBSBML_OPERATION_SUCCESS; }

/* --- names for the printer ---------------------------------------------------------------- */

static const char *symbol_id(void *ctx, syn_symkind kind, size_t i) {
  return ((sbml_exporter *)ctx)->id[kind][i];
}
static const char *input_id(void *ctx, size_t state) {
  return ((sbml_exporter *)ctx)->input_id[state];
}

static syn_status make_ids(sbml_exporter *x) {
  const syn_model *m = x->m;
  for (int k = 0; k < SYN_SYM_KIND_COUNT; k++) {
    size_t n = syn_model_count(m, (syn_symkind)k);
    x->id[k] = syn_calloc(n + 1, sizeof *x->id[k]);
    x->set[k] = syn_calloc(n + 1, 1);
    x->value[k] = syn_calloc(n + 1, sizeof(double));
    if (!x->id[k] || !x->set[k] || !x->value[k]) return nomem(x);
    for (size_t i = 0; i < n; i++)
      if ((x->id[k][i] = sbml_id_make(&x->used, syn_model_symbol(m, (syn_symkind)k, i)->name)) ==
          NULL)
        return nomem(x);
  }
  size_t ns = syn_model_count(m, SYN_SYM_STATE);
  x->input_id = syn_calloc(ns + 1, sizeof *x->input_id);
  x->input_varies = syn_calloc(ns + 1, 1);
  x->amount_of = syn_calloc(syn_model_count(m, SYN_SYM_PARAM) + 1, sizeof *x->amount_of);
  if (!x->input_id || !x->input_varies || !x->amount_of) return nomem(x);
  for (size_t r = 0; r < syn_model_route_count(m); r++) {
    size_t s = syn_model_route(m, r)->state;
    if (x->input_id[s]) continue;
    char *name = syn_malloc(strlen(x->id[SYN_SYM_STATE][s]) + 8);
    if (name == NULL) return nomem(x);
    sprintf(name, "%s_input", x->id[SYN_SYM_STATE][s]);
    x->input_id[s] = sbml_id_make(&x->used, name);
    syn_free(name);
    if (x->input_id[s] == NULL) return nomem(x);
  }
  return SYN_OK;
}

/* --- notes -------------------------------------------------------------------------------- */

static void put_escaped(syn_strbuf *b, const char *s) {
  for (; *s; s++) {
    if (*s == '<') syn_strbuf_append(b, "&lt;");
    else if (*s == '>') syn_strbuf_append(b, "&gt;");
    else if (*s == '&') syn_strbuf_append(b, "&amp;");
    else syn_strbuf_appendn(b, s, 1);
  }
}

static void put_paragraph(syn_strbuf *b, const char *label, const char *text) {
  if (text == NULL || text[0] == 0) return;
  syn_strbuf_append(b, "<p>");
  put_escaped(b, label);
  put_escaped(b, text);
  syn_strbuf_append(b, "</p>");
}

/* Description, source, the definition as written and where: an XHTML body. */
static syn_status set_notes(sbml_exporter *x, SBase_t *sb, const syn_symbol *sym) {
  syn_strbuf b = SYN_STRBUF_INIT;
  syn_strbuf_append(&b, "<body xmlns=\"http://www.w3.org/1999/xhtml\">");
  put_paragraph(&b, "", sym->description);
  put_paragraph(&b, "source: ", sym->source);
  put_paragraph(&b, "as written: ", sym->expr);
  put_paragraph(&b, "units: ", sym->units);
  syn_strbuf_appendf(&b, "<p>declared at %s:%d</p></body>", sym->file, sym->line);
  syn_status st = b.failed ? nomem(x)
                  : ok(SBase_setNotesString(sb, syn_strbuf_str(&b))) ? SYN_OK
                                                                     : refused(x, "the notes");
  syn_strbuf_free(&b);
  return st;
}

/* --- math --------------------------------------------------------------------------------- */

/* The text of a symbol's expression into *text (free it). */
static syn_status expr_text(sbml_exporter *x, syn_symkind kind, size_t i, syn_expr_part part,
                            int *constant, char **text) {
  return syn_expr_printer_symbol(x->printer, kind, i, part, text, constant, x->err);
}

typedef enum rule_kind { RULE_INITIAL, RULE_RATE, RULE_ASSIGNMENT } rule_kind;

/* An initial assignment, rate rule or assignment rule for variable id. */
static syn_status add_math(sbml_exporter *x, rule_kind kind, const char *id, const char *formula,
                           const char *what) {
  ASTNode_t *ast = sbml_math(x, formula, what);
  if (ast == NULL) return SYN_EINTERNAL;
  int good;
  if (kind == RULE_INITIAL) {
    InitialAssignment_t *ia = Model_createInitialAssignment(x->model);
    good = ia && ok(InitialAssignment_setSymbol(ia, id)) && ok(InitialAssignment_setMath(ia, ast));
  } else {
    Rule_t *r = kind == RULE_RATE ? Model_createRateRule(x->model)
                                  : Model_createAssignmentRule(x->model);
    good = r && ok(Rule_setVariable(r, id)) && ok(Rule_setMath(r, ast));
  }
  ASTNode_free(ast);
  return good ? SYN_OK : refused(x, what);
}

/* The symbol's value: a number (returned in *value, 1) or, when its
 * expression is not a constant and no setting gives it, an initial
 * assignment (0). */
static syn_status value_or_assignment(sbml_exporter *x, syn_symkind kind, size_t i,
                                      double *value, int *is_number) {
  const syn_symbol *sym = syn_model_symbol(x->m, kind, i);
  *value = x->set[kind][i] ? x->value[kind][i] : sym->value;
  *is_number = 1;
  if (x->set[kind][i]) return SYN_OK;
  int constant = 0;
  char *text = NULL;
  const syn_sbml_dose *dose = kind == SYN_SYM_PARAM ? x->amount_of[i] : NULL;
  syn_status st = dose ? sbml_dose_amount(x, dose, &text)
                       : expr_text(x, kind, i, SYN_EXPR_VALUE, &constant, &text);
  if (st == SYN_OK && !constant) {
    *is_number = 0;
    st = add_math(x, RULE_INITIAL, x->id[kind][i], text, sym->name);
  }
  free(text);
  return st;
}

/* --- components --------------------------------------------------------------------------- */

/* Units of a symbol where they map; -1: libSBML failed. */
static int unit_of(sbml_exporter *x, const char *units, char *id, size_t size) {
  return sbml_unit_define(x, units, id, size);
}

static syn_status add_compartment(sbml_exporter *x, size_t i) {
  const syn_symbol *sym = syn_model_symbol(x->m, SYN_SYM_COMPARTMENT, i);
  Compartment_t *c = Model_createCompartment(x->model);
  char unit[256];
  double value;
  int number, u = unit_of(x, sym->units, unit, sizeof unit);
  if (c == NULL || u < 0 || !ok(Compartment_setId(c, x->id[SYN_SYM_COMPARTMENT][i])) ||
      !ok(Compartment_setName(c, sym->name)) ||
      !ok(Compartment_setConstant(c, !x->assigned[SYN_SYM_COMPARTMENT][i])) ||
      !ok(Compartment_setSpatialDimensions(c, 3)) ||
      (u > 0 && !ok(Compartment_setUnits(c, unit))))
    return refused(x, sym->name);
  syn_status st = value_or_assignment(x, SYN_SYM_COMPARTMENT, i, &value, &number);
  if (st == SYN_OK && !ok(Compartment_setSize(c, value))) st = refused(x, sym->name);
  return st == SYN_OK ? set_notes(x, (SBase_t *)c, sym) : st;
}

/* A parameter: id, name, constant, units, value (NAN: none). */
static Parameter_t *new_parameter(sbml_exporter *x, const char *id, const char *name,
                                  int constant, const char *units) {
  Parameter_t *p = Model_createParameter(x->model);
  char unit[256];
  int u = unit_of(x, units, unit, sizeof unit);
  if (p == NULL || u < 0 || !ok(Parameter_setId(p, id)) || !ok(Parameter_setName(p, name)) ||
      !ok(Parameter_setConstant(p, constant)) || (u > 0 && !ok(Parameter_setUnits(p, unit)))) {
    refused(x, name);
    return NULL;
  }
  return p;
}

static syn_status add_param(sbml_exporter *x, size_t i) {
  const syn_symbol *sym = syn_model_symbol(x->m, SYN_SYM_PARAM, i);
  Parameter_t *p = new_parameter(x, x->id[SYN_SYM_PARAM][i], sym->name,
                                 !x->assigned[SYN_SYM_PARAM][i], sym->units);
  double value;
  int number;
  if (p == NULL) return SYN_EINTERNAL;
  syn_status st = value_or_assignment(x, SYN_SYM_PARAM, i, &value, &number);
  if (st == SYN_OK && !ok(Parameter_setValue(p, value))) st = refused(x, sym->name);
  return st == SYN_OK ? set_notes(x, (SBase_t *)p, sym) : st;
}

/* The compartment of a state: as named, or, inside `per joint`, the state's
 * joint's copy. 1 when found. */
static int state_compartment(const syn_model *m, const syn_symbol *sym, size_t *comp) {
  syn_symkind kind;
  char qualified[512];
  snprintf(qualified, sizeof qualified, "%s.%s", sym->joint, sym->compartment);
  if (sym->joint[0] && syn_model_find(m, qualified, &kind, comp) && kind == SYN_SYM_COMPARTMENT)
    return 1;
  return syn_model_find(m, sym->compartment, &kind, comp) && kind == SYN_SYM_COMPARTMENT;
}

/* A state in a compartment: a species, in amount or (unit per volume) in
 * concentration; the rate rule makes the species' value follow d/dt either
 * way. In a compartment an event resizes, always in amount: SBML would
 * rescale a concentration there, synovia keeps the state's value. */
static SBase_t *state_species(sbml_exporter *x, size_t i, const syn_symbol *sym, double value) {
  size_t comp;
  Species_t *s = Model_createSpecies(x->model);
  if (s == NULL || !state_compartment(x->m, sym, &comp)) return NULL;
  int conc = sbml_unit_is_concentration(sym->units) && !x->assigned[SYN_SYM_COMPARTMENT][comp];
  if (!ok(Species_setId(s, x->id[SYN_SYM_STATE][i])) || !ok(Species_setName(s, sym->name)) ||
      !ok(Species_setCompartment(s, x->id[SYN_SYM_COMPARTMENT][comp])) ||
      !ok(Species_setHasOnlySubstanceUnits(s, !conc)) ||
      !ok(Species_setBoundaryCondition(s, 0)) || !ok(Species_setConstant(s, 0)) ||
      !ok(conc ? Species_setInitialConcentration(s, value) : Species_setInitialAmount(s, value)))
    return NULL;
  char unit[256];
  int u = conc ? 0 : unit_of(x, sym->units, unit, sizeof unit);
  if (u < 0 || (u > 0 && !ok(Species_setSubstanceUnits(s, unit)))) return NULL;
  return (SBase_t *)s;
}

static syn_status add_state(sbml_exporter *x, size_t i) {
  const syn_symbol *sym = syn_model_symbol(x->m, SYN_SYM_STATE, i);
  double value;
  int number;
  syn_status st = value_or_assignment(x, SYN_SYM_STATE, i, &value, &number);
  if (st != SYN_OK) return st;
  SBase_t *sb = NULL;
  if (sym->compartment[0]) {
    sb = state_species(x, i, sym, value);
  } else {
    Parameter_t *p = new_parameter(x, x->id[SYN_SYM_STATE][i], sym->name, 0, sym->units);
    sb = p && ok(Parameter_setValue(p, value)) ? (SBase_t *)p : NULL;
  }
  if (sb == NULL) return refused(x, sym->name);
  char *text = NULL, what[300];
  snprintf(what, sizeof what, "d/dt %s", sym->name);
  st = expr_text(x, SYN_SYM_STATE, i, SYN_EXPR_DERIV, NULL, &text);
  if (st == SYN_OK) st = add_math(x, RULE_RATE, x->id[SYN_SYM_STATE][i], text, what);
  free(text);
  return st == SYN_OK ? set_notes(x, sb, sym) : st;
}

/* The zero-order input of a state some route goes to: 0, or what the
 * infusion events set. */
static syn_status add_input(sbml_exporter *x, size_t s) {
  const syn_symbol *sym = syn_model_symbol(x->m, SYN_SYM_STATE, s);
  char name[300];
  snprintf(name, sizeof name, "input of %s", sym->name);
  Parameter_t *p = new_parameter(x, x->input_id[s], name, !x->input_varies[s], "");
  if (p == NULL || !ok(Parameter_setValue(p, 0))) return refused(x, name);
  return ok(SBase_setNotesString((SBase_t *)p,
                                 "<body xmlns=\"http://www.w3.org/1999/xhtml\"><p>the rate of "
                                 "zero-order infusions into the state (amount per clock unit), "
                                 "added to its rate rule</p></body>"))
             ? SYN_OK
             : refused(x, name);
}

/* A let or output: a parameter given by an assignment rule. */
static syn_status add_rule_value(sbml_exporter *x, syn_symkind kind, size_t i) {
  const syn_symbol *sym = syn_model_symbol(x->m, kind, i);
  Parameter_t *p = new_parameter(x, x->id[kind][i], sym->name, 0, sym->units);
  if (p == NULL) return SYN_EINTERNAL;
  char *text = NULL;
  syn_status st = expr_text(x, kind, i, SYN_EXPR_VALUE, NULL, &text);
  if (st == SYN_OK) st = add_math(x, RULE_ASSIGNMENT, x->id[kind][i], text, sym->name);
  free(text);
  return st == SYN_OK ? set_notes(x, (SBase_t *)p, sym) : st;
}

static syn_status add_symbols(sbml_exporter *x) {
  const syn_model *m = x->m;
  syn_status st = SYN_OK;
  for (size_t i = 0; st == SYN_OK && i < syn_model_count(m, SYN_SYM_COMPARTMENT); i++)
    st = add_compartment(x, i);
  for (size_t i = 0; st == SYN_OK && i < syn_model_count(m, SYN_SYM_PARAM); i++)
    st = add_param(x, i);
  for (size_t i = 0; st == SYN_OK && i < syn_model_count(m, SYN_SYM_STATE); i++) {
    st = add_state(x, i);
    if (st == SYN_OK && x->input_id[i]) st = add_input(x, i);
  }
  for (size_t i = 0; st == SYN_OK && i < syn_model_count(m, SYN_SYM_LET); i++)
    st = add_rule_value(x, SYN_SYM_LET, i);
  for (size_t i = 0; st == SYN_OK && i < syn_model_count(m, SYN_SYM_OUTPUT); i++)
    st = add_rule_value(x, SYN_SYM_OUTPUT, i);
  return st;
}

/* --- the document ------------------------------------------------------------------------- */

/* Model id, name (the title), time units, notes (files and hash, the note). */
static syn_status describe_model(sbml_exporter *x) {
  const syn_model *m = x->m;
  const char *title = syn_model_title(m);
  char unit[64];
  int u = syn_model_time_unit(m)[0] ? unit_of(x, syn_model_time_unit(m), unit, sizeof unit) : 0;
  syn_strbuf b = SYN_STRBUF_INIT;
  syn_strbuf_append(&b, "<body xmlns=\"http://www.w3.org/1999/xhtml\">");
  put_paragraph(&b, "Exported by synovia from ", syn_model_file_path(m, 0));
  put_paragraph(&b, "model sha256: ", syn_model_sha256(m));
  put_paragraph(&b, "", x->o ? x->o->note : NULL);
  syn_strbuf_append(&b, "</body>");
  int good = !b.failed && u >= 0 && ok(Model_setId(x->model, "synovia_model")) &&
             (title[0] == 0 || ok(Model_setName(x->model, title))) &&
             (u == 0 || ok(Model_setTimeUnits(x->model, unit))) &&
             ok(SBase_setNotesString((SBase_t *)x->model, syn_strbuf_str(&b)));
  syn_strbuf_free(&b);
  return good ? SYN_OK : refused(x, "the model's description");
}

/* libSBML's consistency checks: any error (not a warning) fails the export. */
static syn_status check_document(sbml_exporter *x) {
  unsigned n = SBMLDocument_checkConsistency(x->doc);
  for (unsigned i = 0; i < n; i++) {
    const SBMLError_t *e = SBMLDocument_getError(x->doc, i);
    if (XMLError_isError((const XMLError_t *)e) || XMLError_isFatal((const XMLError_t *)e))
      return syn_error_set(x->err, SYN_EINTERNAL,
                           "the exported SBML fails libSBML's consistency check: %s",
                           XMLError_getMessage((const XMLError_t *)e));
  }
  return SYN_OK;
}

static syn_status build(sbml_exporter *x) {
  syn_expr_names names = {symbol_id, input_id, x};
  x->doc = SBMLDocument_createWithLevelAndVersion((unsigned)SBML_LEVEL, (unsigned)SBML_VERSION);
  x->model = x->doc ? SBMLDocument_createModel(x->doc) : NULL;
  if (x->model == NULL) return nomem(x);
  syn_status st = make_ids(x);
  if (st == SYN_OK) st = sbml_apply_settings(x);
  if (st == SYN_OK) st = syn_expr_printer_create(x->m, &names, &x->printer, x->err);
  if (st == SYN_OK) st = sbml_read_model_events(x);
  if (st == SYN_OK) st = describe_model(x);
  if (st == SYN_OK) st = add_symbols(x);
  if (st == SYN_OK) st = sbml_add_model_events(x);
  if (st == SYN_OK) st = sbml_add_events(x);
  if (st == SYN_OK) st = check_document(x);
  return st;
}

static void exporter_free(sbml_exporter *x) {
  for (int k = 0; k < SYN_SYM_KIND_COUNT; k++) {
    syn_free(x->id[k]);
    syn_free(x->set[k]);
    syn_free(x->value[k]);
  }
  syn_free(x->input_id);
  syn_free(x->input_varies);
  syn_free(x->amount_of);
  sbml_free_model_events(x);
  syn_expr_printer_destroy(x->printer);
  sbml_idset_free(&x->used);
  if (x->doc) SBMLDocument_free(x->doc);
}

syn_status syn_sbml_export(const syn_model *m, const syn_sbml_options *o, char **xml,
                           syn_error *err) {
  syn_error local; /* the exporter's steps read the error back */
  sbml_exporter x = {.m = m, .o = o, .err = err ? err : &local};
  *xml = NULL;
  syn_error_clear(x.err);
  syn_status st = build(&x);
  if (st == SYN_OK) {
    char *text = writeSBMLToString(x.doc);
    *xml = text ? syn_strdup(text) : NULL;
    free(text);
    if (*xml == NULL) st = nomem(&x);
  }
  exporter_free(&x);
  return st;
}
