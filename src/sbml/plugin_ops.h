/* synovia — libSBML behind a table of functions (sbml layer, internal).
 *
 * Why: libSBML is C++; linked into the program, its static initialisers ran
 * and libxml2 and the C++ run time were mapped at every start (`synovia
 * --version` took 8.3 ms of CPU instead of 3.7), though only SBML import and
 * export use it. So only the SBML plugin calls libSBML: the importer and the
 * exporter (src/sbml/plugin/), built as a shared object linked with libSBML,
 * whose bytes the build embeds in the library (syn_sbml_plugin[], generated).
 * src/sbml/load.c loads it (base/plugin.h) on the first SBML import or
 * export of the process, once, and calls it through sbml_plugin_ops, as
 * sweep/mpi_ops.h does for MPI.
 *
 * The plugin is linked with nothing of synovia but the pure code of
 * base/status.c and base/strbuf.c: what else it needs of the library (its
 * allocation choke point, the model's accessors, the expression printer, the
 * unit table, SHA-256) it calls through sbml_host, which the library hands it
 * once, before any other call (attach). So the plugin reads the caller's
 * model with the library's own code, and its allocations are the library's
 * (the test build counts them and fails them on purpose; the memory it
 * returns is freed with syn_free). Loaded RTLD_LOCAL, with every symbol but
 * its table local: nothing of it is seen from outside. */
#ifndef SYN_SBML_PLUGIN_OPS_H
#define SYN_SBML_PLUGIN_OPS_H

#include <stddef.h>

#include "base/sha256.h"
#include "lang/units.h"
#include "synovia/exprtext.h"
#include "synovia/model.h"
#include "synovia/sbml.h"
#include "synovia/status.h"

/* The library's functions the plugin calls (each the function of that name). */
typedef struct sbml_host {
  void *(*malloc)(size_t size);
  void *(*calloc)(size_t count, size_t size);
  void *(*realloc)(void *p, size_t size);
  void (*free)(void *p);
  char *(*strdup)(const char *s);
  int (*grow)(void **p, size_t *cap, size_t need, size_t elem);
  void (*sha256_init)(syn_sha256 *h);
  void (*sha256_update)(syn_sha256 *h, const void *data, size_t len);
  void (*sha256_hex)(syn_sha256 *h, char out[SYN_SHA256_HEX]);
  size_t (*unit_count)(void);
  const syn_unit_def *(*unit_at)(size_t i);
  const char *(*model_title)(const syn_model *m);
  const char *(*model_time_unit)(const syn_model *m);
  size_t (*model_count)(const syn_model *m, syn_symkind kind);
  const syn_symbol *(*model_symbol)(const syn_model *m, syn_symkind kind, size_t i);
  int (*model_find)(const syn_model *m, const char *name, syn_symkind *kind, size_t *index);
  const char *(*model_file_path)(const syn_model *m, size_t i);
  const char *(*model_sha256)(const syn_model *m);
  size_t (*model_route_count)(const syn_model *m);
  const syn_route *(*model_route)(const syn_model *m, size_t i);
  size_t (*model_preset_count)(const syn_model *m);
  const char *(*model_preset_name)(const syn_model *m, size_t i);
  size_t (*model_preset_assign_count)(const syn_model *m, size_t i);
  double (*model_preset_assign)(const syn_model *m, size_t i, size_t k, const char **name,
                                const char **expr);
  size_t (*model_event_count)(const syn_model *m);
  const char *(*model_event_name)(const syn_model *m, size_t i);
  syn_status (*printer_create)(const syn_model *m, const syn_expr_names *names,
                               syn_expr_printer **out, syn_error *err);
  void (*printer_destroy)(syn_expr_printer *p);
  syn_status (*printer_symbol)(syn_expr_printer *p, syn_symkind kind, size_t i,
                               syn_expr_part part, char **out, int *constant, syn_error *err);
  syn_status (*printer_route_scale)(syn_expr_printer *p, size_t r, char **out, syn_error *err);
  syn_status (*printer_event)(syn_expr_printer *p, size_t e, syn_expr_event *out, syn_error *err);
  void (*event_free)(syn_expr_event *ev);
  void (*number)(double v, char *buf, size_t size);
} sbml_host;

/* What the plugin does: syn_sbml_import and syn_sbml_export (synovia/sbml.h). */
typedef struct sbml_plugin_ops {
  void (*attach)(const sbml_host *host); /* once, before any other call */
  syn_status (*import)(const char *path, char **model_text, size_t *len, syn_error *err);
  syn_status (*export_xml)(const syn_model *m, const syn_sbml_options *o, char **xml,
                           syn_error *err);
} sbml_plugin_ops;

/* The plugin's one exported symbol: its table (versioned by name). */
#define SBML_PLUGIN_OPS_SYMBOL "sbml_plugin_ops_v1"
extern const sbml_plugin_ops sbml_plugin_ops_v1;

/* The plugin's bytes, embedded in the library (generated at build time). */
extern const unsigned char syn_sbml_plugin[];
extern const size_t syn_sbml_plugin_size;

#endif
