/* synovia — open a model file of either kind: SBML (imported, then loaded
 * as text under the SBML file's name) or the model language. */
#include <string.h>
#include <strings.h>

#include "synovia/sbml.h"

int syn_sbml_is_sbml_path(const char *path) {
  const char *dot = path ? strrchr(path, '.') : NULL;
  if (dot == NULL || strchr(dot, '/') != NULL) return 0;
  return strcasecmp(dot, ".xml") == 0 || strcasecmp(dot, ".sbml") == 0;
}

syn_status syn_model_open(const char *path, syn_model **out, syn_error *err) {
  if (!syn_sbml_is_sbml_path(path)) return syn_model_load(path, out, err);
  if (out == NULL) return syn_error_set(err, SYN_EINVAL, "no output given");
  *out = NULL;
  char *text = NULL;
  size_t len = 0;
  syn_status st = syn_sbml_import(path, &text, &len, err);
  if (st == SYN_OK) st = syn_model_load_text(path, text, len, out, err);
  syn_sbml_free(text);
  return st;
}
