/* synovia — SBML import: an SBML file (Level 2 or 3, libSBML) as model text.
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
 * Thread safety: both functions may run concurrently on different files.
 * Ownership: *model_text is the caller's, freed with syn_sbml_free. */
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

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
