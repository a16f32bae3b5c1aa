/* synovia — SBML import: read the document (libSBML), refuse what cannot be
 * translated exactly, build the symbol table, and write the model text
 * (docs/sbml.md). Species are held as amounts; SBML's symbol of a species in
 * concentration is an output (amount / compartment) under the species' id. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/sha256.h"
#include "import_impl.h"
#include "lang/units.h"
#include "synovia/sbml.h"

/* ---- reading ----------------------------------------------------------------------- */

static syn_status file_sha256(imp *I, char hex[SYN_SHA256_HEX]) {
  FILE *f = fopen(I->path, "rb");
  if (f == NULL)
    return syn_error_set(I->err, SYN_EIO, "cannot open '%s': %s", I->path, strerror(errno));
  syn_sha256 h;
  syn_sha256_init(&h);
  unsigned char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) syn_sha256_update(&h, buf, n);
  int bad = ferror(f);
  fclose(f);
  syn_sha256_hex(&h, hex);
  if (bad) return syn_error_set(I->err, SYN_EIO, "cannot read '%s'", I->path);
  return SYN_OK;
}

/* libSBML's message, on one line. */
static void one_line(const char *in, char *out, size_t size) {
  size_t o = 0;
  int space = 1;
  for (; in && *in && o + 1 < size; in++) {
    int ws = *in == ' ' || *in == '\n' || *in == '\t' || *in == '\r';
    if (ws && space) continue;
    out[o++] = ws ? ' ' : *in;
    space = ws;
  }
  while (o > 0 && out[o - 1] == ' ') o--;
  out[o] = '\0';
}

static syn_status read_errors(imp *I) {
  unsigned n = SBMLDocument_getNumErrors(I->doc);
  for (unsigned i = 0; i < n; i++) {
    const XMLError_t *e = (const XMLError_t *)SBMLDocument_getError(I->doc, i);
    if (!XMLError_isError(e) && !XMLError_isFatal(e)) continue;
    char msg[SYN_ERROR_MSG_MAX - 64], hint[SYN_ERROR_HINT_MAX - 16];
    one_line(XMLError_getShortMessage(e), msg, sizeof msg);
    one_line(XMLError_getMessage(e), hint, sizeof hint);
    char *dot = strstr(hint, ". ");
    if (dot) dot[1] = '\0'; /* the first sentence */
    syn_error_set(I->err, SYN_EINPUT, "not a valid SBML file: %s", msg);
    syn_error_hint(I->err, "libSBML: %s", hint);
    if (I->err) {
      snprintf(I->err->file, sizeof I->err->file, "%s", I->path);
      I->err->line = (int)XMLError_getLine(e);
      I->err->col = I->err->line > 0 ? (int)XMLError_getColumn(e) : 0;
      if (I->err->line > 0 && I->err->col < 1) I->err->col = 1;
      I->err->span = 1;
      imp_source_line(I->path, I->err);
      if (I->err->source_line[0] == '\0') I->err->line = I->err->col = 0; /* past the end */
    }
    return SYN_EINPUT;
  }
  return SYN_OK;
}

/* How many times "PREFIX:" occurs in the file other than in its declaration
 * (xmlns:PREFIX=) and its required flag (PREFIX:required=): 0 means the
 * document declares the package but uses none of it (cases 01822, 01823). */
static long package_uses(const char *path, const char *prefix) {
  FILE *f = fopen(path, "rb");
  if (f == NULL || prefix == NULL || *prefix == '\0') {
    if (f) fclose(f);
    return 1;
  }
  char tag[80], decl[96], req[96];
  snprintf(tag, sizeof tag, "%s:", prefix);
  snprintf(decl, sizeof decl, "xmlns:%s=", prefix);
  snprintf(req, sizeof req, "%s:required=", prefix);
  long uses = 0;
  char line[65536];
  while (fgets(line, sizeof line, f)) {
    for (const char *p = strstr(line, tag); p; p = strstr(p + 1, tag)) {
      int is_decl = p - line >= 6 && strncmp(p - 6, decl, strlen(decl)) == 0;
      if (!is_decl && strncmp(p, req, strlen(req)) != 0) uses++;
    }
  }
  fclose(f);
  return uses;
}

/* Packages change the meaning of a model (comp, fbc, qual, ...): refused
 * when the document uses them. layout and render only draw it. */
static syn_status check_packages(imp *I) {
  const XMLNamespaces_t *ns = SBMLDocument_getNamespaces(I->doc);
  int n = ns ? XMLNamespaces_getLength(ns) : 0;
  for (int i = 0; i < n; i++) {
    char *uri = XMLNamespaces_getURI(ns, i);
    const char *p = uri ? strstr(uri, "sbml.org/sbml/level3/version") : NULL;
    const char *pkg = p ? strchr(p + strlen("sbml.org/sbml/level3/version"), '/') : NULL;
    char name[64] = "";
    if (pkg) sscanf(pkg + 1, "%63[^/]", name);
    free(uri);
    if (name[0] == '\0' || !strcmp(name, "core") || !strcmp(name, "layout") ||
        !strcmp(name, "render"))
      continue;
    char *prefix = XMLNamespaces_getPrefix(ns, i);
    long uses = package_uses(I->path, prefix);
    free(prefix);
    if (uses == 0) continue;
    imp_refuse(I, (const SBase_t *)I->doc, "the SBML package '%s' is not supported", name);
    syn_error_hint(I->err, "synovia imports SBML core (Levels 2 and 3) only");
    return SYN_EINPUT;
  }
  return SYN_OK;
}

/* ---- the symbol table ------------------------------------------------------------------ */

static int add_sym(imp *I, const char *id, isym_kind kind, const SBase_t *el) {
  if (imp_find(I, id) >= 0) {
    imp_refuse(I, el, "the id '%s' is declared twice", id);
    return -1;
  }
  int s = imp_add(I, id, kind, el);
  if (s < 0) syn_error_set(I->err, SYN_ENOMEM, "out of memory");
  return s;
}

/* Fills a symbol from its element (y->el): values, flags, references. */
typedef syn_status (*fill_fn)(imp *I, isym *y);

static syn_status fill_compartment(imp *I, isym *y) {
  (void)I;
  const Compartment_t *c = (const Compartment_t *)y->el;
  y->has_value = Compartment_isSetSize(c);
  y->value = Compartment_getSize(c);
  y->constant = Compartment_getConstant(c);
  return SYN_OK;
}

static syn_status fill_species(imp *I, isym *y) {
  const Species_t *sp = (const Species_t *)y->el;
  y->hosu = Species_getHasOnlySubstanceUnits(sp);
  y->boundary = Species_getBoundaryCondition(sp);
  y->constant = Species_getConstant(sp);
  y->init_is_conc = Species_isSetInitialConcentration(sp);
  y->has_value = y->init_is_conc || Species_isSetInitialAmount(sp);
  y->value = y->init_is_conc ? Species_getInitialConcentration(sp) : Species_getInitialAmount(sp);
  y->conversion = Species_isSetConversionFactor(sp) ? Species_getConversionFactor(sp) : NULL;
  y->comp = imp_find(I, Species_getCompartment(sp));
  if (y->comp < 0 || I->sym[y->comp].kind != K_COMPARTMENT)
    return imp_refuse(I, y->el, "species '%s' is in '%s', which is not a compartment", y->id,
                      Species_getCompartment(sp));
  return SYN_OK;
}

static syn_status fill_parameter(imp *I, isym *y) {
  (void)I;
  const Parameter_t *p = (const Parameter_t *)y->el;
  y->has_value = Parameter_isSetValue(p);
  y->value = Parameter_getValue(p);
  y->constant = Parameter_getConstant(p);
  return SYN_OK;
}

/* Every element of a list as a symbol of one kind (compartments before species, which name
 * theirs). */
static syn_status collect(imp *I, ListOf_t *list, isym_kind kind, fill_fn fill) {
  syn_status st = SYN_OK;
  for (unsigned i = 0; st == SYN_OK && i < ListOf_size(list); i++) {
    const SBase_t *el = ListOf_get(list, i);
    int s = add_sym(I, SBase_getIdAttribute(el), kind, el);
    st = s < 0 ? (I->err ? I->err->code : SYN_EINPUT) : fill(I, &I->sym[s]);
  }
  return st;
}

static syn_status collect_declarations(imp *I) {
  syn_status st = collect(I, Model_getListOfCompartments(I->model), K_COMPARTMENT,
                          fill_compartment);
  if (st == SYN_OK) st = collect(I, Model_getListOfSpecies(I->model), K_SPECIES, fill_species);
  if (st == SYN_OK)
    st = collect(I, Model_getListOfParameters(I->model), K_PARAM, fill_parameter);
  return st;
}

static syn_status collect_sref(imp *I, SpeciesReference_t *r) {
  if (SpeciesReference_isSetStoichiometryMath(r))
    return imp_refuse(I, (const SBase_t *)r, "StoichiometryMath (species '%s') is not supported",
                      SpeciesReference_getSpecies(r));
  int sp = imp_find(I, SpeciesReference_getSpecies(r));
  if (sp < 0 || I->sym[sp].kind != K_SPECIES)
    return imp_refuse(I, (const SBase_t *)r, "'%s' is not a species",
                      SpeciesReference_getSpecies(r));
  I->sym[sp].in_reaction = 1;
  if (!SpeciesReference_isSetId(r)) return SYN_OK;
  int s = add_sym(I, SpeciesReference_getId(r), K_SREF, (const SBase_t *)r);
  if (s < 0) return I->err ? I->err->code : SYN_EINPUT;
  I->sym[s].has_value = 1;
  I->sym[s].value = SpeciesReference_isSetStoichiometry(r) ? SpeciesReference_getStoichiometry(r) : 1;
  I->sym[s].constant = SpeciesReference_getConstant(r);
  return SYN_OK;
}

static syn_status collect_reactions(imp *I) {
  for (unsigned i = 0; i < Model_getNumReactions(I->model); i++) {
    Reaction_t *r = Model_getReaction(I->model, i);
    if (Reaction_isSetFast(r) && Reaction_getFast(r))
      return imp_refuse(I, (const SBase_t *)r, "fast reaction '%s' is not supported",
                        Reaction_getId(r));
    if (Reaction_getKineticLaw(r) == NULL || !KineticLaw_isSetMath(Reaction_getKineticLaw(r)))
      return imp_refuse(I, (const SBase_t *)r, "reaction '%s' has no kinetic law (its rate is "
                        "undefined)", Reaction_getId(r));
    int s = add_sym(I, Reaction_getId(r), K_REACTION, (const SBase_t *)r);
    if (s < 0) return I->err ? I->err->code : SYN_EINPUT;
    I->sym[s].role = ROLE_LET;
    syn_status st = SYN_OK;
    for (unsigned k = 0; st == SYN_OK && k < Reaction_getNumReactants(r); k++)
      st = collect_sref(I, Reaction_getReactant(r, k));
    for (unsigned k = 0; st == SYN_OK && k < Reaction_getNumProducts(r); k++)
      st = collect_sref(I, Reaction_getProduct(r, k));
    if (st != SYN_OK) return st;
  }
  return SYN_OK;
}

static syn_status collect_functions(imp *I) {
  unsigned n = Model_getNumFunctionDefinitions(I->model);
  I->fn = syn_calloc(n + 1, sizeof *I->fn);
  if (I->fn == NULL) return syn_error_set(I->err, SYN_ENOMEM, "out of memory");
  for (unsigned i = 0; i < n; i++) {
    FunctionDefinition_t *f = Model_getFunctionDefinition(I->model, i);
    const ASTNode_t *l = FunctionDefinition_getMath(f);
    if (l == NULL) continue; /* L3V2: without math; a call of it is refused */
    if (ASTNode_getType(l) != AST_LAMBDA)
      return imp_refuse(I, (const SBase_t *)f, "function '%s' has no lambda",
                        FunctionDefinition_getId(f));
    I->fn[I->nfn++] = (ifunc){FunctionDefinition_getId(f), l, (const SBase_t *)f, 0};
  }
  return SYN_OK;
}

static int variable_of(imp *I, const char *id, const SBase_t *el, const char *what) {
  int s = imp_find(I, id);
  if (s < 0 || I->sym[s].kind == K_REACTION) {
    imp_refuse(I, el, "%s of '%s', which is not a compartment, species, parameter or species "
               "reference", what, id ? id : "?");
    return -1;
  }
  return s;
}

static syn_status collect_rules(imp *I) {
  for (unsigned i = 0; i < Model_getNumRules(I->model); i++) {
    Rule_t *r = Model_getRule(I->model, i);
    const SBase_t *el = (const SBase_t *)r;
    if (Rule_isAlgebraic(r))
      return imp_refuse(I, el, "algebraic rule%s%s is not supported (no DAEs)",
                        SBase_isSetMetaId(el) ? " " : "",
                        SBase_isSetMetaId(el) ? SBase_getMetaId((SBase_t *)el) : "");
    int s = variable_of(I, Rule_getVariable(r), el, Rule_isRate(r) ? "rate rule" : "assignment rule");
    if (s < 0) return SYN_EINPUT;
    if (I->sym[s].rule)
      return imp_refuse(I, el, "'%s' has two rules", I->sym[s].id);
    if (Rule_getMath(r) == NULL) continue; /* L3V2: a rule without math does nothing */
    I->sym[s].rule = Rule_getMath(r);
    I->sym[s].rule_el = el;
    I->sym[s].role = Rule_isRate(r) ? ROLE_STATE : ROLE_OUTPUT;
  }
  for (unsigned i = 0; i < Model_getNumInitialAssignments(I->model); i++) {
    InitialAssignment_t *a = Model_getInitialAssignment(I->model, i);
    int s = variable_of(I, InitialAssignment_getSymbol(a), (const SBase_t *)a, "initial assignment");
    if (s < 0) return SYN_EINPUT;
    I->sym[s].ia = InitialAssignment_getMath(a);
  }
  return SYN_OK;
}

/* A species without rules and not constant is a state holding its amount;
 * in concentration its symbol is an output of the amount (docs/sbml.md). */
static syn_status assign_species_roles(imp *I) {
  for (size_t i = 0; i < I->nsym; i++) {
    isym *y = &I->sym[i];
    if (y->kind != K_SPECIES || y->rule) continue;
    if (y->constant && y->hosu) {
      y->role = ROLE_PARAM;
      continue;
    }
    /* constant in concentration: its amount is constant (a state with
     * d/dt 0), its concentration follows the compartment (case 01117) */
    y->role = ROLE_STATE;
    if (!y->hosu) y->state = (char *)1; /* named after all ids are (name_all) */
  }
  return SYN_OK;
}

/* A parameter, compartment or stoichiometry an event changes is a state with
 * d/dt 0: piecewise constant, and recorded at every output time like any
 * state (a run records a param's declared value only). */
static void hold_event_targets(imp *I) {
  for (unsigned i = 0; i < Model_getNumEvents(I->model); i++) {
    Event_t *e = Model_getEvent(I->model, i);
    for (unsigned k = 0; k < Event_getNumEventAssignments(e); k++) {
      EventAssignment_t *a = Event_getEventAssignment(e, k);
      int s = EventAssignment_isSetMath(a) ? imp_find(I, EventAssignment_getVariable(a)) : -1;
      isym *y = s >= 0 ? &I->sym[s] : NULL;
      if (y && y->kind != K_SPECIES && y->role == ROLE_PARAM && !y->undefined)
        y->role = ROLE_STATE; /* rule NULL: d/dt 0 (emit_state) */
    }
  }
}

static void mark_undefined(imp *I) {
  for (size_t i = 0; i < I->nsym; i++) {
    isym *y = &I->sym[i];
    y->undefined = y->role == ROLE_PARAM && y->kind != K_REACTION && !y->has_value && !y->ia;
  }
}

static syn_status name_all(imp *I) {
  for (size_t i = 0; i < I->nsym; i++) {
    isym *y = &I->sym[i];
    if (y->kind == K_LOCAL) continue;
    y->name = imp_new_name(I, y->id);
    if (y->name == NULL) return syn_error_set(I->err, SYN_ENOMEM, "out of memory");
  }
  for (size_t i = 0; i < I->nsym; i++) {
    isym *y = &I->sym[i];
    if (y->state == NULL) continue;
    char want[600];
    snprintf(want, sizeof want, "%s_amount", y->name);
    y->state = imp_new_name(I, want);
    if (y->state == NULL) return syn_error_set(I->err, SYN_ENOMEM, "out of memory");
  }
  return SYN_OK;
}

/* ---- values at the start --------------------------------------------------------------- */

static const char *imp_init_text(imp *I, int s, const SBase_t *where);

static syn_status put_sym_init(imp *I, int s, const SBase_t *where, syn_strbuf *b) {
  const char *t = imp_init_text(I, s, where);
  if (t == NULL) return I->err ? I->err->code : SYN_EINPUT;
  syn_strbuf_appendf(b, "(%s)", t);
  return SYN_OK;
}

/* The declared value of a symbol at the start: its initial assignment, or
 * its value (a species' in its own terms: amount or concentration). */
static syn_status symbol_init_expr(imp *I, int s, syn_strbuf *b) {
  isym *y = &I->sym[s];
  if (y->ia) return imp_math(I, y->ia, MODE_INIT, y->el, b);
  if (!y->has_value)
    return imp_refuse(I, y->el, "'%s' has no initial value (and no initial assignment)", y->id);
  imp_append_number(b, y->value);
  if (y->kind != K_SPECIES || y->hosu != y->init_is_conc) return SYN_OK;
  syn_strbuf_append(b, y->hosu ? " * " : " / ");
  return put_sym_init(I, y->comp, y->el, b);
}

/* A value given as a number in the symbol's own terms. */
static int is_literal(const isym *y) {
  return y->ia == NULL && y->has_value && !(y->kind == K_SPECIES && y->hosu == y->init_is_conc);
}

/* A species' amount at the start. */
static syn_status amount_init_expr(imp *I, int s, syn_strbuf *b) {
  isym *y = &I->sym[s];
  if (y->ia == NULL && y->has_value && !y->init_is_conc) {
    imp_append_number(b, y->value);
    return SYN_OK;
  }
  if (y->ia == NULL && y->has_value) {
    imp_append_number(b, y->value);
    syn_strbuf_append(b, " * ");
    return put_sym_init(I, y->comp, y->el, b);
  }
  syn_strbuf_append(b, "(");
  syn_status st = symbol_init_expr(I, s, b);
  syn_strbuf_append(b, ")");
  if (st != SYN_OK || y->hosu) return st;
  syn_strbuf_append(b, " * ");
  return put_sym_init(I, y->comp, y->el, b);
}

static syn_status law_text(imp *I, int r, math_mode mode, syn_strbuf *b);

/* A constant whose value is an infinity or NaN (imp_append_number's text):
 * the language's params are finite, so it is declared as a let. */
static int is_nonfinite_text(const char *t) {
  return t && (!strcmp(t, "exp(1000)") || !strcmp(t, "(-exp(1000))") ||
               !strcmp(t, "-(exp(1000))") || !strcmp(t, "(0 * exp(1000))"));
}

/* A constant's declared value as text, memoised in init_text. */
static const char *param_text(imp *I, int s) {
  isym *y = &I->sym[s];
  if (y->init_text) return y->init_text;
  if (y->busy) {
    imp_refuse(I, y->el, "the initial value of '%s' depends on itself", y->id);
    return NULL;
  }
  y->busy = 1;
  syn_strbuf b = SYN_STRBUF_INIT;
  syn_status st = symbol_init_expr(I, s, &b);
  y->busy = 0;
  if (st == SYN_OK && b.failed) st = syn_error_set(I->err, SYN_ENOMEM, "out of memory");
  if (st != SYN_OK) {
    syn_strbuf_free(&b);
    return NULL;
  }
  if (b.data == NULL) syn_strbuf_append(&b, "0");
  y->init_text = b.data;
  return y->init_text;
}

/* The text of a symbol's value at the start, memoised (imp.init_text). */
static const char *imp_init_text(imp *I, int s, const SBase_t *where) {
  isym *y = &I->sym[s];
  if (y->init_text) return y->init_text;
  if (y->undefined) {
    imp_refuse_undefined(I, s, where);
    return NULL;
  }
  if (y->role == ROLE_PARAM) {
    const char *d = param_text(I, s);
    return d == NULL || is_nonfinite_text(d) ? d : y->name;
  }
  if (y->busy) {
    imp_refuse(I, where, "the initial value of '%s' depends on itself", y->id);
    return NULL;
  }
  y->busy = 1;
  syn_strbuf b = SYN_STRBUF_INIT;
  syn_status st;
  if (y->role == ROLE_OUTPUT) st = imp_math(I, y->rule, MODE_INIT, y->rule_el, &b);
  else if (y->role == ROLE_LET) st = law_text(I, s, MODE_INIT, &b);
  else st = symbol_init_expr(I, s, &b);
  y->busy = 0;
  if (st == SYN_OK && b.failed) st = syn_error_set(I->err, SYN_ENOMEM, "out of memory");
  if (st != SYN_OK) {
    syn_strbuf_free(&b);
    return NULL;
  }
  if (b.data == NULL) syn_strbuf_append(&b, "0");
  y->init_text = b.data;
  return y->init_text;
}

/* ---- reactions ------------------------------------------------------------------------- */

static Reaction_t *reaction_of(imp *I, int r) { return (Reaction_t *)I->sym[r].el; }

/* The local parameters of every reaction, named REACTION_ID (not in the id
 * table: they are in scope in their kinetic law only). */
static syn_status collect_locals(imp *I) {
  for (size_t i = 0, n = I->nsym; i < n; i++) {
    if (I->sym[i].kind != K_REACTION) continue;
    KineticLaw_t *k = Reaction_getKineticLaw(reaction_of(I, (int)i));
    int l3 = I->level >= 3;
    unsigned np = l3 ? KineticLaw_getNumLocalParameters(k) : KineticLaw_getNumParameters(k);
    I->sym[i].lbegin = (int)I->nsym;
    for (unsigned j = 0; j < np; j++) {
      Parameter_t *p = l3 ? (Parameter_t *)KineticLaw_getLocalParameter(k, j)
                          : KineticLaw_getParameter(k, j);
      int s = imp_add(I, Parameter_getId(p), K_LOCAL, (const SBase_t *)p);
      if (s < 0) return syn_error_set(I->err, SYN_ENOMEM, "out of memory");
      char want[600];
      snprintf(want, sizeof want, "%s_%s", I->sym[i].name, Parameter_getId(p));
      I->sym[s].name = imp_new_name(I, want);
      I->sym[s].has_value = Parameter_isSetValue(p);
      I->sym[s].value = Parameter_getValue(p);
      I->sym[s].role = ROLE_PARAM;
      if (I->sym[s].name == NULL) return syn_error_set(I->err, SYN_ENOMEM, "out of memory");
      if (!I->sym[s].has_value)
        return imp_refuse(I, (const SBase_t *)p, "local parameter '%s' has no value",
                          Parameter_getId(p));
    }
    I->sym[i].lend = (int)I->nsym;
  }
  return SYN_OK;
}

static syn_status law_text(imp *I, int r, math_mode mode, syn_strbuf *b) {
  int ob = I->local_begin, oe = I->local_end;
  I->local_begin = I->sym[r].lbegin;
  I->local_end = I->sym[r].lend;
  KineticLaw_t *k = Reaction_getKineticLaw(reaction_of(I, r));
  syn_status st = imp_math(I, KineticLaw_getMath(k), mode, (const SBase_t *)k, b);
  I->local_begin = ob;
  I->local_end = oe;
  return st;
}

/* One term of a species' balance: +/- stoichiometry * rate. */
static syn_status add_term(imp *I, SpeciesReference_t *r, const char *rate, int sign) {
  int sp = imp_find(I, SpeciesReference_getSpecies(r));
  isym *y = &I->sym[sp];
  if (y->boundary || y->constant || y->role != ROLE_STATE || y->rule) return SYN_OK;
  syn_strbuf b = SYN_STRBUF_INIT;
  if (y->rhs) syn_strbuf_append(&b, y->rhs);
  syn_strbuf_append(&b, sign > 0 ? (y->rhs ? " + " : "") : (y->rhs ? " - " : "-"));
  double st = SpeciesReference_isSetStoichiometry(r) ? SpeciesReference_getStoichiometry(r) : 1;
  if (SpeciesReference_isSetId(r)) {
    syn_strbuf_appendf(&b, "%s * ", I->sym[imp_find(I, SpeciesReference_getId(r))].name);
  } else if (st != 1) {
    imp_append_number(&b, st);
    syn_strbuf_append(&b, " * ");
  }
  syn_strbuf_append(&b, rate);
  if (b.failed) {
    syn_strbuf_free(&b);
    return syn_error_set(I->err, SYN_ENOMEM, "out of memory");
  }
  syn_free(y->rhs);
  y->rhs = b.data;
  return SYN_OK;
}

static syn_status build_balances(imp *I) {
  for (size_t i = 0; i < I->nsym; i++) {
    if (I->sym[i].kind != K_REACTION) continue;
    Reaction_t *r = reaction_of(I, (int)i);
    const char *rate = I->sym[i].name;
    syn_status st = SYN_OK;
    for (unsigned k = 0; st == SYN_OK && k < Reaction_getNumReactants(r); k++)
      st = add_term(I, Reaction_getReactant(r, k), rate, -1);
    for (unsigned k = 0; st == SYN_OK && k < Reaction_getNumProducts(r); k++)
      st = add_term(I, Reaction_getProduct(r, k), rate, +1);
    if (st != SYN_OK) return st;
  }
  return SYN_OK;
}

/* The conversion factor of a species (its own, else the model's), or NULL. */
static const char *conversion_of(imp *I, const isym *y) {
  const char *id = y->conversion;
  if (id == NULL && I->model_cf >= 0) return I->sym[I->model_cf].name;
  int s = id ? imp_find(I, id) : -1;
  return s >= 0 ? I->sym[s].name : NULL;
}

/* d(amount)/dt of a species moved by reactions. */
static void put_balance(imp *I, const isym *y, syn_strbuf *b) {
  const char *cf = conversion_of(I, y);
  if (y->rhs == NULL) {
    syn_strbuf_append(b, "0");
  } else if (cf) {
    syn_strbuf_appendf(b, "(%s) * %s", y->rhs, cf);
  } else {
    syn_strbuf_append(b, y->rhs);
  }
}

/* The time derivative of a symbol for rateOf, refused where it is not
 * exact (imp.rate_of). */
/* A species' balance at the start: each reaction's rate there in place of its
 * name. */
static syn_status put_balance_init(imp *I, int sp, syn_strbuf *b) {
  const char *cf = conversion_of(I, &I->sym[sp]);
  syn_strbuf_append(b, "(0");
  for (size_t i = 0; i < I->nsym; i++) {
    if (I->sym[i].kind != K_REACTION) continue;
    Reaction_t *r = reaction_of(I, (int)i);
    for (unsigned side = 0; side < 2; side++) {
      unsigned n = side ? Reaction_getNumProducts(r) : Reaction_getNumReactants(r);
      for (unsigned k = 0; k < n; k++) {
        SpeciesReference_t *x = side ? Reaction_getProduct(r, k) : Reaction_getReactant(r, k);
        if (imp_find(I, SpeciesReference_getSpecies(x)) != sp) continue;
        const char *rate = imp_init_text(I, (int)i, (const SBase_t *)r);
        if (rate == NULL) return I->err ? I->err->code : SYN_EINPUT;
        syn_strbuf_append(b, side ? " + " : " - ");
        if (SpeciesReference_isSetId(x)) {
          const char *st = imp_init_text(I, imp_find(I, SpeciesReference_getId(x)), (const SBase_t *)x);
          if (st == NULL) return I->err ? I->err->code : SYN_EINPUT;
          syn_strbuf_appendf(b, "(%s)", st);
        } else {
          imp_append_number(b, SpeciesReference_isSetStoichiometry(x) ? SpeciesReference_getStoichiometry(x) : 1);
        }
        syn_strbuf_appendf(b, " * (%s)", rate);
      }
    }
  }
  syn_strbuf_append(b, ")");
  if (cf) syn_strbuf_appendf(b, " * %s", cf);
  return SYN_OK;
}

static syn_status imp_rate_of(imp *I, int s, math_mode mode, const SBase_t *where,
                              syn_strbuf *out);

/* The rate of a concentration in a compartment with a rate rule. */
static syn_status put_conc_rate(imp *I, int s, math_mode mode, const SBase_t *where,
                                syn_strbuf *out) {
  isym *y = &I->sym[s];
  int c = y->comp;
  const char *conc = mode == MODE_DYN ? y->name : imp_init_text(I, s, where);
  const char *size = mode == MODE_DYN ? I->sym[c].name : imp_init_text(I, c, where);
  if (conc == NULL || size == NULL) return I->err ? I->err->code : SYN_EINPUT;
  syn_strbuf_append(out, "((");
  syn_status st = mode == MODE_DYN ? SYN_OK : put_balance_init(I, s, out);
  if (mode == MODE_DYN) put_balance(I, y, out);
  syn_strbuf_appendf(out, ") - (%s) * (", conc);
  if (st == SYN_OK) st = imp_rate_of(I, c, mode, where, out);
  syn_strbuf_appendf(out, ")) / (%s)", size);
  return st;
}

static syn_status imp_rate_of(imp *I, int s, math_mode mode, const SBase_t *where,
                              syn_strbuf *out) {
  isym *y = &I->sym[s];
  if (y->role == ROLE_PARAM) {
    syn_strbuf_append(out, "0");
    return SYN_OK;
  }
  if (y->role != ROLE_STATE)
    return imp_refuse(I, where, "rateOf('%s'): '%s' is not a state (an assignment rule's "
                      "derivative is not translated)", y->id, y->id);
  if (y->derivative_busy) return imp_refuse(I, where, "rateOf('%s') depends on itself", y->id);
  y->derivative_busy = 1;
  syn_status st = SYN_OK;
  if (y->rule) {
    st = imp_math(I, y->rule, mode, y->rule_el, out);
  } else if (y->boundary || y->constant || y->kind != K_SPECIES) {
    syn_strbuf_append(out, "0"); /* a species at rest, or a value only events change */
  } else if (y->hosu) {
    if (mode == MODE_DYN) put_balance(I, y, out);
    else st = put_balance_init(I, s, out);
  } else if (I->sym[y->comp].role == ROLE_PARAM) {
    syn_strbuf_append(out, "(");
    if (mode == MODE_DYN) put_balance(I, y, out);
    else st = put_balance_init(I, s, out);
    syn_strbuf_appendf(out, ") / %s", I->sym[y->comp].name);
  } else if (I->sym[y->comp].role == ROLE_STATE) {
    /* d(n/C)/dt = (dn/dt - [S] dC/dt) / C, C with a rate rule */
    st = put_conc_rate(I, s, mode, where, out);
  } else {
    st = imp_refuse(I, where, "rateOf('%s'), a concentration in the compartment '%s' set by "
                    "an assignment rule, is not supported", y->id, I->sym[y->comp].id);
  }
  I->sym[s].derivative_busy = 0;
  return st;
}

/* ---- writing ---------------------------------------------------------------------------- */

static void put_string(syn_strbuf *b, const char *s) {
  syn_strbuf_append(b, "\"");
  for (; s && *s; s++) {
    if (*s == '"' || *s == '\\') syn_strbuf_appendf(b, "\\%c", *s);
    else if (*s == '\n' || *s == '\r' || *s == '\t') syn_strbuf_append(b, " ");
    else syn_strbuf_appendn(b, s, 1);
  }
  syn_strbuf_append(b, "\"");
}

/* The description of a declaration: the SBML name, units and (when the id
 * had to be renamed) the id. */
static void put_description(imp *I, const isym *y, const char *units, syn_strbuf *b) {
  const SBase_t *el = y->el;
  const char *name = SBase_isSetName(el) ? SBase_getName(el) : "";
  syn_strbuf d = SYN_STRBUF_INIT;
  syn_strbuf_append(&d, name);
  if (units && *units) syn_strbuf_appendf(&d, "%s[%s]", *name ? " " : "", units);
  if (y->kind != K_LOCAL && strcmp(y->id, y->name) != 0)
    syn_strbuf_appendf(&d, "%sSBML id '%s'", d.len ? "; " : "", y->id);
  (void)I;
  if (d.failed) b->failed = 1; /* reported with the whole text */
  if (d.len) {
    syn_strbuf_append(b, "  ");
    put_string(b, syn_strbuf_str(&d));
  }
  syn_strbuf_free(&d);
}

static const char *units_of(const isym *y) {
  switch (y->kind) {
  case K_COMPARTMENT: return Compartment_getUnits((const Compartment_t *)y->el);
  case K_SPECIES: return Species_getSubstanceUnits((const Species_t *)y->el);
  case K_PARAM: case K_LOCAL: return Parameter_getUnits((const Parameter_t *)y->el);
  default: return "";
  }
}

static syn_status emit_param(imp *I, int s, syn_strbuf *b) {
  isym *y = &I->sym[s];
  if (y->undefined) return SYN_OK;
  const char *text = param_text(I, s);
  if (text == NULL) return I->err ? I->err->code : SYN_EINPUT;
  int comp = y->kind == K_COMPARTMENT && is_literal(y) && y->value > 0;
  /* the language's constants are finite: an infinite or NaN one is a let (the run refuses non-finite outputs) */
  const char *decl = comp ? "compartment" : is_nonfinite_text(text) ? "let" : "param";
  syn_strbuf_appendf(b, "%s %s = %s", decl, y->name, text);
  syn_status st = SYN_OK;
  put_description(I, y, units_of(y), b);
  syn_strbuf_append(b, "\n");
  return st;
}

static syn_status emit_output(imp *I, int s, syn_strbuf *b) {
  isym *y = &I->sym[s];
  syn_strbuf_appendf(b, "output %s = ", y->name);
  syn_status st = imp_math(I, y->rule, MODE_DYN, y->rule_el, b);
  put_description(I, y, units_of(y), b);
  syn_strbuf_append(b, "\n");
  return st;
}

static syn_status emit_state(imp *I, int s, syn_strbuf *b) {
  isym *y = &I->sym[s];
  int amount = y->kind == K_SPECIES && y->rule == NULL;
  const char *st_name = y->state ? y->state : y->name;
  syn_strbuf_appendf(b, "state %s = ", st_name);
  syn_status st = amount ? amount_init_expr(I, s, b) : symbol_init_expr(I, s, b);
  put_description(I, y, units_of(y), b);
  syn_strbuf_appendf(b, "\nd/dt %s = ", st_name);
  if (st == SYN_OK && amount) put_balance(I, y, b);
  else if (st == SYN_OK && y->rule == NULL) syn_strbuf_append(b, "0"); /* held: events only */
  else if (st == SYN_OK) st = imp_math(I, y->rule, MODE_DYN, y->rule_el, b);
  syn_strbuf_append(b, "\n");
  if (st == SYN_OK && y->state && I->sym[y->comp].undefined)
    st = imp_refuse_undefined(I, y->comp, y->el);
  if (st == SYN_OK && y->state)
    syn_strbuf_appendf(b, "output %s = %s / %s  \"concentration\"\n", y->name, y->state,
                       I->sym[y->comp].name);
  return st;
}

static syn_status emit_reaction(imp *I, int s, syn_strbuf *b) {
  syn_strbuf_appendf(b, "let %s = ", I->sym[s].name);
  syn_status st = law_text(I, s, MODE_DYN, b);
  put_description(I, &I->sym[s], "", b);
  syn_strbuf_append(b, "\n");
  return st;
}

/* Every species as an amount and as a concentration (docs/sbml.md): the
 * outputs NAME_amount and NAME_conc where NAME itself is not that. */
static syn_status emit_species_views(imp *I, int s, syn_strbuf *b) {
  isym *y = &I->sym[s];
  const char *c = I->sym[y->comp].name;
  char want[600];
  if (I->sym[y->comp].undefined) return SYN_OK; /* no size: no concentration */
  if (y->hosu) {
    snprintf(want, sizeof want, "%s_conc", y->name);
    const char *n = imp_new_name(I, want);
    if (n == NULL) return syn_error_set(I->err, SYN_ENOMEM, "out of memory");
    syn_strbuf_appendf(b, "output %s = %s / %s  \"concentration\"\n", n, y->name, c);
  } else if (y->state == NULL) {
    snprintf(want, sizeof want, "%s_amount", y->name);
    const char *n = imp_new_name(I, want);
    if (n == NULL) return syn_error_set(I->err, SYN_ENOMEM, "out of memory");
    syn_strbuf_appendf(b, "output %s = %s * %s  \"amount\"\n", n, y->name, c);
  }
  if (y->role != ROLE_PARAM) return SYN_OK;
  snprintf(want, sizeof want, "%s_%s", y->name, y->hosu ? "amount" : "conc");
  const char *n = imp_new_name(I, want);
  if (n == NULL) return syn_error_set(I->err, SYN_ENOMEM, "out of memory");
  syn_strbuf_appendf(b, "output %s = %s  \"%s\"\n", n, y->name, y->hosu ? "amount" : "concentration");
  return SYN_OK;
}

/* ---- events (docs/language.md, `event`) -------------------------------------------------- */

/* The assignment of e to id (with math), or NULL. */
static EventAssignment_t *assignment_to(Event_t *e, const char *id) {
  for (unsigned k = 0; k < Event_getNumEventAssignments(e); k++) {
    EventAssignment_t *a = Event_getEventAssignment(e, k);
    if (EventAssignment_isSetMath(a) && !strcmp(EventAssignment_getVariable(a), id)) return a;
  }
  return NULL;
}

/* A species in concentration with a rate rule keeps its amount when an
 * event resizes its compartment (SBML L3, cases 01505, 01506): its state, a
 * concentration, is multiplied by C / C_new, also after an assignment of the
 * same event (whose value is a concentration in the old size). Exact when the
 * old size and the concentration are read when the event executes, as they
 * are without a delay; a delayed event reading values at its trigger is
 * refused. NULL: the species' compartment is not resized by e. */
static EventAssignment_t *resize_of(imp *I, Event_t *e, const isym *y) {
  if (y->kind != K_SPECIES || y->rule == NULL || y->role != ROLE_STATE || y->hosu) return NULL;
  return assignment_to(e, I->sym[y->comp].id);
}

static syn_status put_rescale(imp *I, Event_t *e, EventAssignment_t *size, const isym *y,
                              syn_strbuf *b) {
  const SBase_t *el = (const SBase_t *)size;
  if (Event_isSetDelay(e) && Event_getUseValuesFromTriggerTime(e))
    return imp_refuse(I, el, "a delayed event resizes '%s', which holds '%s' in concentration "
                      "with a rate rule (its amount at the execution is not translated)",
                      I->sym[y->comp].id, y->id);
  syn_strbuf_appendf(b, " * %s / (", I->sym[y->comp].name);
  syn_status st = imp_math(I, EventAssignment_getMath(size), MODE_DYN, el, b);
  syn_strbuf_append(b, ")");
  return st;
}

static syn_status emit_assignment(imp *I, Event_t *e, EventAssignment_t *a, syn_strbuf *b) {
  const SBase_t *el = (const SBase_t *)a;
  if (!EventAssignment_isSetMath(a)) return SYN_OK; /* L3V2: assigns nothing */
  int s = variable_of(I, EventAssignment_getVariable(a), el, "event assignment");
  if (s < 0) return SYN_EINPUT;
  isym *y = &I->sym[s];
  if (y->role == ROLE_OUTPUT)
    return imp_refuse(I, el, "an event assigns '%s', which has an assignment rule", y->id);
  syn_strbuf_appendf(b, "  %s = ", y->state ? y->state : y->name);
  if (y->state) syn_strbuf_append(b, "(");
  EventAssignment_t *size = resize_of(I, e, y);
  if (size) syn_strbuf_append(b, "(");
  syn_status st = imp_math(I, EventAssignment_getMath(a), MODE_DYN, el, b);
  if (y->state) syn_strbuf_appendf(b, ") * %s", I->sym[y->comp].name);
  if (size) syn_strbuf_append(b, ")");
  if (st == SYN_OK && size) st = put_rescale(I, e, size, y, b);
  syn_strbuf_append(b, "\n");
  return st;
}

/* The species an event resizes without assigning them (resize_of). */
static syn_status emit_rescales(imp *I, Event_t *e, syn_strbuf *b) {
  syn_status st = SYN_OK;
  for (size_t i = 0; st == SYN_OK && i < I->nsym; i++) {
    isym *y = &I->sym[i];
    EventAssignment_t *size = resize_of(I, e, y);
    if (size == NULL || assignment_to(e, y->id)) continue;
    syn_strbuf_appendf(b, "  %s = %s", y->name, y->name);
    st = put_rescale(I, e, size, y, b);
    syn_strbuf_append(b, "\n");
  }
  return st;
}

static int assigns_any(Event_t *e) {
  for (unsigned k = 0; k < Event_getNumEventAssignments(e); k++)
    if (EventAssignment_isSetMath(Event_getEventAssignment(e, k))) return 1;
  return 0;
}

static syn_status emit_event(imp *I, Event_t *e, unsigned index, syn_strbuf *b) {
  const SBase_t *el = (const SBase_t *)e;
  char want[64];
  snprintf(want, sizeof want, "event_%u", index + 1);
  const char *name = imp_new_name(I, Event_isSetId(e) ? Event_getId(e) : want);
  Trigger_t *tr = Event_getTrigger(e);
  if (name == NULL) return syn_error_set(I->err, SYN_ENOMEM, "out of memory");
  if (tr == NULL || !Trigger_isSetMath(tr)) { /* L3V2: never fires */
    syn_strbuf_appendf(b, "# event %s has no trigger: it never fires\n", name);
    return SYN_OK;
  }
  if (!assigns_any(e)) { /* L3V2: assignments without math change nothing */
    syn_strbuf_appendf(b, "# event %s assigns nothing: it changes nothing\n", name);
    return SYN_OK;
  }
  syn_strbuf_appendf(b, "event %s when ", name);
  syn_status st = imp_condition(I, Trigger_getMath(tr), (const SBase_t *)tr, b);
  if (st == SYN_OK && Event_isSetDelay(e) && Delay_isSetMath(Event_getDelay(e))) {
    syn_strbuf_append(b, " delay ");
    st = imp_math(I, Delay_getMath(Event_getDelay(e)), MODE_DYN, el, b);
  }
  if (st == SYN_OK && Event_isSetPriority(e) && Priority_isSetMath(Event_getPriority(e))) {
    syn_strbuf_append(b, " priority ");
    st = imp_math(I, Priority_getMath(Event_getPriority(e)), MODE_DYN, el, b);
  }
  if (I->level >= 3 && !Trigger_getPersistent(tr)) syn_strbuf_append(b, " transient");
  if (I->level >= 3 && !Trigger_getInitialValue(tr)) syn_strbuf_append(b, " initially false");
  if (!Event_getUseValuesFromTriggerTime(e)) syn_strbuf_append(b, " values at execution");
  syn_strbuf_append(b, " {\n");
  for (unsigned k = 0; st == SYN_OK && k < Event_getNumEventAssignments(e); k++)
    st = emit_assignment(I, e, Event_getEventAssignment(e, k), b);
  if (st == SYN_OK) st = emit_rescales(I, e, b);
  syn_strbuf_append(b, "}\n");
  return st;
}

/* A model with no differential equation (only rules) still runs: the model
 * layer needs a state, and one that only counts time changes nothing. */
static syn_status emit_clock_if_stateless(imp *I, syn_strbuf *b) {
  for (size_t i = 0; i < I->nsym; i++)
    if (I->sym[i].role == ROLE_STATE) return SYN_OK;
  const char *n = imp_new_name(I, "sbml_clock");
  if (n == NULL) return syn_error_set(I->err, SYN_ENOMEM, "out of memory");
  syn_strbuf_appendf(b, "\n# the SBML model has no differential equation; this state keeps "
                     "the time\nstate %s = 0  \"time since the start\"\nd/dt %s = 1\n", n, n);
  return SYN_OK;
}

/* ---- the clock ----------------------------------------------------------------------------- */

/* The length in seconds of a unit definition that is a multiple of the
 * second ((multiplier * 10^scale * second)^1), or 0. */
static double definition_seconds(const UnitDefinition_t *ud) {
  if (ud == NULL || UnitDefinition_getNumUnits(ud) != 1) return 0;
  const Unit_t *u = UnitDefinition_getUnit((UnitDefinition_t *)ud, 0);
  if (Unit_getKind(u) != UNIT_KIND_SECOND || Unit_getExponentAsDouble(u) != 1 ||
      Unit_getOffset(u) != 0)
    return 0;
  return Unit_getMultiplier(u) * pow(10, Unit_getScale(u));
}

/* The SBML model's time unit in seconds: L3's timeUnits, L2's definition
 * of `time` (else its default, the second); 0 when unknown. */
static double model_time_seconds(imp *I) {
  const char *id = I->level >= 3 ? (Model_isSetTimeUnits(I->model) ? Model_getTimeUnits(I->model)
                                                                    : NULL)
                                 : "time";
  if (id == NULL) return 0;
  const UnitDefinition_t *ud = Model_getUnitDefinitionById(I->model, id);
  if (ud) return definition_seconds(ud);
  return !strcmp(id, "second") || !strcmp(id, "time") ? 1 : 0; /* the base unit, L2's default */
}

/* `time unit X` when the model's time unit is one of the language's (s,
 * min, h, d, wk, yr): numbers stay in the SBML model's unit either way, and
 * with it times can be given with units and a fit's data table has one. */
static void emit_time_unit(imp *I, syn_strbuf *b) {
  double sec = model_time_seconds(I);
  for (size_t i = 0; sec > 0 && i < syn_unit_count(); i++) {
    const syn_unit_def *u = syn_unit_at(i);
    if (u->kind == SYN_UNIT_TIME && fabs(u->seconds - sec) <= 1e-12 * sec) {
      syn_strbuf_appendf(b, "time unit %s\n", u->canonical);
      return;
    }
  }
}

/* ---- the whole text ---------------------------------------------------------------------- */

typedef syn_status (*emit_fn)(imp *I, int s, syn_strbuf *b);

static syn_status emit_section(imp *I, const char *title, isym_role role, emit_fn fn,
                               syn_strbuf *b) {
  int any = 0;
  for (size_t i = 0; i < I->nsym; i++) {
    isym *y = &I->sym[i];
    if (y->role != role) continue;
    if (!any) syn_strbuf_appendf(b, "\n# %s\n", title);
    any = 1;
    syn_status st = fn(I, (int)i, b);
    if (st != SYN_OK) return st;
  }
  return SYN_OK;
}

static syn_status emit_all(imp *I, const char *sha, syn_strbuf *b) {
  const char *title = Model_isSetName(I->model) ? Model_getName(I->model)
                      : Model_isSetId(I->model) ? Model_getId(I->model) : "";
  syn_strbuf_appendf(b, "# imported by synovia import from %s\n# SHA-256 %s\n"
                     "# SBML Level %u Version %u; species are states in amounts (docs/sbml.md)\n",
                     I->path, sha, I->level, I->version);
  if (*title) {
    syn_strbuf_append(b, "model ");
    put_string(b, title);
    syn_strbuf_append(b, "\n");
  }
  emit_time_unit(I, b);
  syn_status st = emit_section(I, "constants", ROLE_PARAM, emit_param, b);
  if (st == SYN_OK) st = emit_section(I, "states", ROLE_STATE, emit_state, b);
  if (st == SYN_OK) st = emit_clock_if_stateless(I, b);
  if (st == SYN_OK) st = emit_section(I, "assignment rules", ROLE_OUTPUT, emit_output, b);
  if (st == SYN_OK) st = emit_section(I, "reaction rates", ROLE_LET, emit_reaction, b);
  for (size_t i = 0; st == SYN_OK && i < I->nsym; i++)
    if (I->sym[i].kind == K_SPECIES) st = emit_species_views(I, (int)i, b);
  unsigned ne = Model_getNumEvents(I->model);
  if (ne && st == SYN_OK) syn_strbuf_append(b, "\n# events\n");
  for (unsigned i = 0; st == SYN_OK && i < ne; i++)
    st = emit_event(I, Model_getEvent(I->model, i), i, b);
  if (st == SYN_OK && b->failed) st = syn_error_set(I->err, SYN_ENOMEM, "out of memory");
  return st;
}

static syn_status prepare(imp *I) {
  /* packages first: a document of a package is also invalid as core */
  syn_status st = I->level == 3 ? check_packages(I) : SYN_OK;
  if (st == SYN_OK) st = read_errors(I);
  if (st == SYN_OK && (I->level < 2 || I->level > 3))
    st = imp_refuse(I, (const SBase_t *)I->doc, "SBML Level %u is not supported (Levels 2 "
                    "and 3 are)", I->level);
  if (st == SYN_OK && I->model == NULL)
    st = imp_refuse(I, (const SBase_t *)I->doc, "the SBML document has no model");
  if (st == SYN_OK) st = collect_functions(I);
  if (st == SYN_OK) st = collect_declarations(I);
  if (st == SYN_OK) st = collect_reactions(I);
  if (st == SYN_OK) st = collect_rules(I);
  if (st == SYN_OK) st = assign_species_roles(I);
  if (st == SYN_OK) mark_undefined(I);
  if (st == SYN_OK) hold_event_targets(I);
  if (st == SYN_OK) st = name_all(I);
  if (st == SYN_OK) st = collect_locals(I);
  if (st == SYN_OK) st = build_balances(I);
  if (st == SYN_OK && I->level >= 3 && Model_isSetConversionFactor(I->model)) {
    I->model_cf = imp_find(I, Model_getConversionFactor(I->model));
    if (I->model_cf < 0)
      st = imp_refuse(I, (const SBase_t *)I->model, "unknown conversion factor '%s'",
                      Model_getConversionFactor(I->model));
  }
  return st;
}

static void imp_free(imp *I) {
  for (size_t i = 0; i < I->nsym; i++) {
    syn_free(I->sym[i].init_text);
    syn_free(I->sym[i].rhs);
  }
  syn_free(I->sym);
  syn_free(I->table);
  syn_free(I->fn);
  imp_free_names(I);
  if (I->doc) SBMLDocument_free(I->doc);
}

syn_status syn_sbml_import(const char *path, char **model_text, size_t *len, syn_error *err) {
  if (model_text) *model_text = NULL;
  if (path == NULL || model_text == NULL)
    return syn_error_set(err, SYN_EINVAL, "no SBML path given");
  imp I = {0};
  I.path = path;
  I.err = err;
  I.model_cf = -1;
  I.init_text = imp_init_text;
  I.rate_of = imp_rate_of;
  char sha[SYN_SHA256_HEX];
  syn_strbuf b = SYN_STRBUF_INIT;
  syn_status st = file_sha256(&I, sha);
  if (st == SYN_OK) {
    I.doc = readSBMLFromFile(path);
    if (I.doc == NULL) st = syn_error_set(err, SYN_ENOMEM, "out of memory");
  }
  if (st == SYN_OK) {
    I.level = SBMLDocument_getLevel(I.doc);
    I.version = SBMLDocument_getVersion(I.doc);
    I.model = SBMLDocument_getModel(I.doc);
    st = prepare(&I);
  }
  if (st == SYN_OK) st = emit_all(&I, sha, &b);
  imp_free(&I);
  if (st != SYN_OK) {
    syn_strbuf_free(&b);
    return st;
  }
  if (len) *len = b.len;
  *model_text = b.data;
  return SYN_OK;
}

void syn_sbml_free(char *model_text) { syn_free(model_text); }
