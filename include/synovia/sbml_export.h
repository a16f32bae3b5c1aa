/* synovia — a model as SBML Level 3 Version 2 (sbml layer, libSBML).
 *
 * The mapping (docs/sbml-export.md): compartments -> compartments; params ->
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
#ifndef SYNOVIA_SBML_EXPORT_H
#define SYNOVIA_SBML_EXPORT_H

#include <stddef.h>

#include "synovia/model.h"
#include "synovia/status.h"

#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

/* One dose: `amount` (before the route's scale) by route `route`
 * (syn_model_route index) at `time` (model clock); duration > 0: an infusion
 * of amount over that many clock units, else a bolus. */
typedef struct syn_sbml_dose {
  double time;
  size_t route;
  double amount;
  double duration;
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
