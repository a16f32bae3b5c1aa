/* synovia — SBML import and export through the SBML plugin, loaded on first
 * use (sbml/plugin_ops.h says why and how). The one state is that of the
 * one-time load: the plugin's table, or why it could not be loaded. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/alloc.h"
#include "base/plugin.h"
#include "base/sha256.h"
#include "lang/units.h"
#include "plugin_ops.h"

static const sbml_host host = {
    syn_malloc, syn_calloc, syn_realloc, syn_free, syn_strdup, syn_grow,
    syn_sha256_init, syn_sha256_update, syn_sha256_hex,
    syn_unit_count, syn_unit_at,
    syn_model_title, syn_model_time_unit, syn_model_count, syn_model_symbol, syn_model_find,
    syn_model_file_path, syn_model_sha256, syn_model_route_count, syn_model_route,
    syn_model_preset_count, syn_model_preset_name, syn_model_preset_assign_count,
    syn_model_preset_assign, syn_model_event_count, syn_model_event_name,
    syn_expr_printer_create, syn_expr_printer_destroy, syn_expr_printer_symbol,
    syn_expr_printer_route_scale, syn_expr_printer_event, syn_expr_event_free, syn_expr_number,
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const sbml_plugin_ops *loaded; /* NULL: not loaded, and why says why */
static char why[512];

/* The handle of the plugin: the embedded one; in a test build, the file
 * $SYN_TEST_SBML_PLUGIN instead when set (so a test can see a failed load). */
static void *open_plugin(void) {
#ifdef SYN_TESTING
  const char *path = getenv("SYN_TEST_SBML_PLUGIN");
  if (path != NULL) {
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) snprintf(why, sizeof why, "%s", dlerror());
    return lib;
  }
#endif
  return syn_plugin_open("synovia-sbml", syn_sbml_plugin, syn_sbml_plugin_size,
                         RTLD_NOW | RTLD_LOCAL, why, sizeof why);
}

static void load(void) {
  void *lib = open_plugin();
  const sbml_plugin_ops *ops = lib != NULL ? dlsym(lib, SBML_PLUGIN_OPS_SYMBOL) : NULL;
  if (lib != NULL && ops == NULL) snprintf(why, sizeof why, "%s", dlerror());
  if (ops == NULL) return;
  ops->attach(&host);
  loaded = ops;
}

/* The plugin's table, loading it the first time; NULL (err set) if it could not be. */
static const sbml_plugin_ops *plugin(syn_error *err) {
  pthread_once(&once, load);
  if (loaded != NULL) return loaded;
  syn_error_set(err, SYN_EIO, "SBML support (libSBML, loaded when first needed) could not be loaded: %s",
                why);
  syn_error_hint(err, "the libraries named must be installed (docs/building.md lists them)");
  return NULL;
}

syn_status syn_sbml_import(const char *path, char **model_text, size_t *len, syn_error *err) {
  if (model_text != NULL) *model_text = NULL;
  const sbml_plugin_ops *ops = plugin(err);
  return ops != NULL ? ops->import(path, model_text, len, err) : SYN_EIO;
}

void syn_sbml_free(char *model_text) { syn_free(model_text); }

syn_status syn_sbml_export(const syn_model *m, const syn_sbml_options *o, char **xml,
                           syn_error *err) {
  if (xml != NULL) *xml = NULL;
  const sbml_plugin_ops *ops = plugin(err);
  return ops != NULL ? ops->export_xml(m, o, xml, err) : SYN_EIO;
}
