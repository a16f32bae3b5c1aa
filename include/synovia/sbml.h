/* synovia — SBML in and out (sbml layer, libSBML).
 *
 * Import: an SBML file (Level 2 or 3) as model text.
 *
 * syn_sbml_import translates an SBML document into the text of a synovia
 * model (docs/sbml.md): SBML ids become names (a reserved word gets a '_'
 * appended), names and units become descriptions, notes become comments, and
 * a first comment names the source file and its SHA-256. Species are held as
 * amounts (exact when compartments change); each species is also given as
 * an amount and as a concentration under the names docs/sbml.md lists.
 * What cannot be translated exactly (algebraic rules, delay csymbols, fast
 * reactions, packages such as comp or fbc, StoichiometryMath, ...) is
 * refused with one message located at the element (file:line:col). The
 * translation is deterministic: the same file gives the same text.
 *
 * syn_model_open loads a model file of either kind: a path ending in ".xml"
 * or ".sbml" (any case) is imported and then loaded as text (its name stays
 * the .xml path); anything else goes to syn_model_load.
 *
 * libSBML is loaded on the first import or export of the process (once,
 * also when that first call is made by several threads at once), not at
 * start-up. If it cannot be loaded (a shared library it needs is missing),
 * syn_sbml_import, syn_model_open of an SBML file and syn_sbml_export
 * return SYN_EIO, the message saying why, every time they are called.
 *
 * Thread safety: both functions may run concurrently on different files.
 * Ownership: *model_text is the caller's, freed with syn_sbml_free.
 *
 * Export: a model as SBML Level 3 Version 2.
 *
 * The mapping (docs/sbml.md, Export): compartments -> compartments; params ->
 * constant parameters; a state in a compartment -> a species (amount or
 * concentration by its unit), any other state -> a parameter, each with a
 * rate rule that is its d/dt; values that are expressions -> initial
 * assignments; lets and outputs -> assignment rules; per-joint names
 * unrolled ("knee_R.TNF" -> id knee_R__TNF, name "knee_R.TNF"); descriptions
 * and sources -> names and notes; units -> unit definitions where they map.
 * A state some route goes to gets a parameter ID_input (its infusion rate,
 * 0) added to its rate rule. Doses (an arm of a scenario) become events.
 *
 * The document is checked with libSBML's consistency checks before it is
 * returned: an error there is an error of the export (SYN_EINTERNAL, with
 * libSBML's message), so a returned document has none (unit warnings may
 * remain). The model is only read, but two exports should not run at once:
 * libSBML's formula parser keeps its last error in a global. Errors:
 * SYN_ENOMEM, SYN_EINVAL (a bad option: an unknown preset or name, a route
 * out of range), SYN_EINTERNAL. */
#ifndef SYNOVIA_SBML_H
#define SYNOVIA_SBML_H

#include <stddef.h>

#include "synovia/model.h"
#include "synovia/status.h"

/* Exported from libsynovia.so; everything else is hidden (docs/c-api.md). */
#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

/* Translate the SBML file at path. On success *model_text (NUL-terminated,
 * *len bytes without the NUL; len may be NULL) is the model; on error it is
 * NULL and err says why, located in the SBML file where it can be. */
syn_status syn_sbml_import(const char *path, char **model_text, size_t *len, syn_error *err);
void syn_sbml_free(char *model_text); /* NULL allowed */

/* 1 when path names an SBML file by its extension (.xml, .sbml), else 0. */
int syn_sbml_is_sbml_path(const char *path);

/* Load a .model or an SBML file into a compiled model (syn_model_load). */
syn_status syn_model_open(const char *path, syn_model **out, syn_error *err);

/* One dose: `amount` (before the route's scale) by route `route`
 * (syn_model_route index) at `time` (model clock); duration > 0: an infusion
 * of amount over that many clock units, else a bolus — an event at `time`.
 * amount_param != NULL: a conditional dose, which the model's own event
 * gives each time it fires by adding that parameter to the route's state
 * (a scenario's `dose ... when`); the export gives the parameter the value
 * amount × the route's scale (an initial assignment) and no event of its
 * own; time and duration are not read. */
typedef struct syn_sbml_dose {
  double time;
  size_t route;
  double amount;
  double duration;
  const char *amount_param;
} syn_sbml_dose;

/* A setting, applied in order before the run as a scenario applies them:
 * preset != NULL: `use preset`; else `set name = value` (declared unit; a
 * per-joint name without its joint sets every copy; a state: its initial
 * value). A set value replaces the symbol's initial assignment. */
typedef struct syn_sbml_setting {
  const char *preset;
  const char *name;
  double value;
} syn_sbml_setting;

typedef struct syn_sbml_options {
  const syn_sbml_setting *settings;
  size_t nsettings;
  const syn_sbml_dose *doses;
  size_t ndoses;
  const char *note; /* a paragraph added to the model's notes; NULL or "": none */
  /* Names of model events left out of the document (a scenario's conditional
   * doses of other arms, which cannot fire in this one); unknown names are
   * an error. */
  const char *const *omit_events;
  size_t nomit_events;
} syn_sbml_options;

/* The model (with o's settings and doses; o may be NULL) as an SBML L3V2
 * document in *xml (malloc'd, NUL-terminated; free it). */
syn_status syn_sbml_export(const syn_model *m, const syn_sbml_options *o, char **xml,
                           syn_error *err);

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
