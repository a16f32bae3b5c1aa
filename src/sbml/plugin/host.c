/* synovia — the SBML plugin's side of sbml/plugin_ops.h: its table, and the
 * library's functions its code calls, each forwarded to the library through
 * the host table given once by attach. */
#include "base/alloc.h"
#include "base/sha256.h"
#include "lang/units.h"
#include "sbml/plugin_ops.h"

/* Set once by attach, before any other call (src/sbml/load.c, under
 * pthread_once, which also orders it before the calls of other threads). */
static const sbml_host *H;

static void attach(const sbml_host *host) { H = host; }

/* The one symbol the plugin exports (its objects are compiled -fvisibility=hidden). */
__attribute__((visibility("default"))) const sbml_plugin_ops sbml_plugin_ops_v1 = {attach, syn_sbml_import, syn_sbml_export};

void *syn_malloc(size_t size) { return H->malloc(size); }
void *syn_calloc(size_t count, size_t size) { return H->calloc(count, size); }
void *syn_realloc(void *p, size_t size) { return H->realloc(p, size); }
void syn_free(void *p) { H->free(p); }
char *syn_strdup(const char *s) { return H->strdup(s); }
int syn_grow(void **p, size_t *cap, size_t need, size_t elem) {
  return H->grow(p, cap, need, elem);
}

void syn_sha256_init(syn_sha256 *h) { H->sha256_init(h); }
void syn_sha256_update(syn_sha256 *h, const void *data, size_t len) {
  H->sha256_update(h, data, len);
}
void syn_sha256_hex(syn_sha256 *h, char out[SYN_SHA256_HEX]) { H->sha256_hex(h, out); }

size_t syn_unit_count(void) { return H->unit_count(); }
const syn_unit_def *syn_unit_at(size_t i) { return H->unit_at(i); }

const char *syn_model_title(const syn_model *m) { return H->model_title(m); }
const char *syn_model_time_unit(const syn_model *m) { return H->model_time_unit(m); }
size_t syn_model_count(const syn_model *m, syn_symkind kind) { return H->model_count(m, kind); }
const syn_symbol *syn_model_symbol(const syn_model *m, syn_symkind kind, size_t i) {
  return H->model_symbol(m, kind, i);
}
int syn_model_find(const syn_model *m, const char *name, syn_symkind *kind, size_t *index) {
  return H->model_find(m, name, kind, index);
}
const char *syn_model_file_path(const syn_model *m, size_t i) { return H->model_file_path(m, i); }
const char *syn_model_sha256(const syn_model *m) { return H->model_sha256(m); }
size_t syn_model_route_count(const syn_model *m) { return H->model_route_count(m); }
const syn_route *syn_model_route(const syn_model *m, size_t i) { return H->model_route(m, i); }
size_t syn_model_preset_count(const syn_model *m) { return H->model_preset_count(m); }
const char *syn_model_preset_name(const syn_model *m, size_t i) {
  return H->model_preset_name(m, i);
}
size_t syn_model_preset_assign_count(const syn_model *m, size_t i) {
  return H->model_preset_assign_count(m, i);
}
double syn_model_preset_assign(const syn_model *m, size_t i, size_t k, const char **name,
                               const char **expr) {
  return H->model_preset_assign(m, i, k, name, expr);
}
size_t syn_model_event_count(const syn_model *m) { return H->model_event_count(m); }
const char *syn_model_event_name(const syn_model *m, size_t i) {
  return H->model_event_name(m, i);
}

syn_status syn_expr_printer_create(const syn_model *m, const syn_expr_names *names,
                                   syn_expr_printer **out, syn_error *err) {
  return H->printer_create(m, names, out, err);
}
void syn_expr_printer_destroy(syn_expr_printer *p) { H->printer_destroy(p); }
syn_status syn_expr_printer_symbol(syn_expr_printer *p, syn_symkind kind, size_t i,
                                   syn_expr_part part, char **out, int *constant,
                                   syn_error *err) {
  return H->printer_symbol(p, kind, i, part, out, constant, err);
}
syn_status syn_expr_printer_route_scale(syn_expr_printer *p, size_t r, char **out,
                                        syn_error *err) {
  return H->printer_route_scale(p, r, out, err);
}
syn_status syn_expr_printer_event(syn_expr_printer *p, size_t e, syn_expr_event *out,
                                  syn_error *err) {
  return H->printer_event(p, e, out, err);
}
void syn_expr_event_free(syn_expr_event *ev) { H->event_free(ev); }
void syn_expr_number(double v, char *buf, size_t size) { H->number(v, buf, size); }
