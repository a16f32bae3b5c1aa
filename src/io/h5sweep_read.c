/* synovia — reading sweep files back (io layer; see synovia/h5sweep.h).
 *
 * syn_h5sweep_open checks the whole layout before it hands out a reader, so
 * that a file that is not a synovia sweep file (another HDF5 file, a half
 * copied one, a file of a different sweep shape) is one clear error naming
 * the file and the first thing wrong, and the row readers afterwards can only
 * fail on a damaged chunk. The spec is rebuilt from the file into an arena
 * owned by the reader: the names and units of every axis, the bounds and
 * distributions, the time grid, the design attributes and the provenance, so
 * that syn_h5sweep_create(other, spec) makes an equivalent empty file (what
 * the merge does).
 *
 * Arms are listed in creation order (the writer's order); the series of an
 * arm are its 2-D datasets with the arm's `time` scale on axis 1, so the
 * index tables (metric, param) and anything else in the group are not taken
 * for trajectories. */
#include "synovia/h5sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "io/h5sweep_impl.h"
#include "io/h5util.h"

enum { CACHE_SLOTS = 521 };
enum { CHUNK_WALK_MAX = 1 << 12 }; /* chunks checked per per-sample dataset (an O(n^2) walk) */
enum { READER_MDC_BYTES = 1 << 20 }; /* HDF5's default number of chunk cache slots (a prime) */

struct syn_h5sweep_reader {
  char *path;
  hid_t file;
  syn_h5s_tables t;
  syn_arena *arena; /* every string and array of spec and prov */
  syn_h5sweep_spec spec;
  syn_provenance prov;
  const char *version; /* root attribute synovia_version, "" when absent */
  const char *solver_config; /* root attribute solver_config, "" when absent */
};

/* ---- errors ---------------------------------------------------------------------- */

/* What opening needs at hand: the reader being built and the error. */
typedef struct rd {
  syn_h5sweep_reader *r;
  syn_error *err;
} rd;

static syn_status not_sweep(const rd *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static syn_status not_sweep(const rd *c, const char *fmt, ...) {
  char what[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return syn_error_set(c->err, SYN_EINVAL, "sweep file '%s' is not a synovia sweep file: %s",
                       c->r->path, what);
}

/* Something the layout needs is there but cannot be read (a checksum that
 * fails, a header or link that does not decode): "damaged", not "not a
 * synovia sweep file". */
static syn_status damaged(const rd *c, const char *where, const char *name) {
  char detail[256];
  syn_h5u_innermost(detail, sizeof detail);
  return syn_error_set(c->err, SYN_EIO, "sweep file '%s' is damaged: cannot read '%s/%s'%s%s%s",
                       c->r->path, where, name, detail[0] ? " (HDF5: " : "", detail,
                       detail[0] ? ")" : "");
}

/* A dataset with a chunk its index misplaces: HDF5 would read the fill value
 * there. (Storage for all of it is not required: an index table of NaN, a
 * part's rows not run, have none.) */
static syn_status incomplete(const rd *c, const char *where, const char *name) {
  return syn_error_set(c->err, SYN_EIO,
                       "sweep file '%s' is damaged: '%s/%s' lacks some of its stored data (its "
                       "chunk index is damaged)",
                       c->r->path, where, name);
}

/* Dataset d checked for misplaced chunks (see syn_h5u_chunks_in_place). */
static syn_status rows_in_place(const rd *c, hid_t d, const char *where, const char *name) {
  const int rc = syn_h5u_chunks_in_place(d, CHUNK_WALK_MAX);
  if (rc < 0) return syn_h5s_fail(c->r->path, c->err, "list the chunks of '%s/%s'", where, name);
  return rc == 1 ? SYN_OK : incomplete(c, where, name);
}

static syn_status no_memory(const rd *c) {
  return syn_error_set(c->err, SYN_ENOMEM, "sweep file '%s': out of memory", c->r->path);
}

/* ---- datasets and attributes ------------------------------------------------------ */

enum { KIND_NUM, KIND_INT, KIND_STR };

static int class_fits(hid_t d, int kind) {
  hid_t t = H5Dget_type(d);
  if (t < 0) return 0;
  H5T_class_t c = H5Tget_class(t);
  H5Tclose(t);
  switch (kind) {
    case KIND_NUM: return c == H5T_FLOAT || c == H5T_INTEGER;
    case KIND_INT: return c == H5T_INTEGER;
    default: return c == H5T_STRING;
  }
}

static const char *kind_name(int kind) {
  return kind == KIND_NUM ? "numbers" : kind == KIND_INT ? "integers" : "strings";
}

static void shape_text(char *buf, size_t size, int rank, const hsize_t *dims) {
  int n = snprintf(buf, size, "(");
  for (int k = 0; k < rank && n > 0 && (size_t)n < size; k++)
    n += snprintf(buf + n, size - (size_t)n, "%s%llu", k ? ", " : "", (unsigned long long)dims[k]);
  if (n > 0 && (size_t)n < size) snprintf(buf + n, size - (size_t)n, ")");
}

/* Checks the rank and shape of d; want[k] == 0 accepts any length, and got
 * receives the lengths. */
static syn_status check_shape(const rd *c, hid_t d, const char *where, const char *name,
                              int rank, const hsize_t *want, hsize_t *got) {
  hsize_t dims[H5S_MAX_RANK];
  hid_t sp = H5Dget_space(d);
  int r = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
  if (r >= 0 && r <= H5S_MAX_RANK && H5Sget_simple_extent_dims(sp, dims, NULL) < 0) r = -1;
  if (sp >= 0) H5Sclose(sp);
  if (r < 0) return syn_h5s_fail(c->r->path, c->err, "read the shape of '%s/%s'", where, name);
  int ok = r == rank;
  for (int k = 0; ok && k < rank; k++) ok = want[k] == 0 || want[k] == dims[k];
  if (!ok) {
    char have[96], need[96];
    hsize_t shown[H5S_MAX_RANK];
    for (int k = 0; k < rank; k++) shown[k] = want[k];
    shape_text(have, sizeof have, r, dims);
    shape_text(need, sizeof need, rank, shown);
    if (r != rank)
      return not_sweep(c, "'%s/%s' has %d axes %s, not %d", where, name, r, have, rank);
    return not_sweep(c, "'%s/%s' has shape %s, not %s", where, name, have, need);
  }
  for (int k = 0; got != NULL && k < rank; k++) got[k] = dims[k];
  return SYN_OK;
}

/* Opens loc/name, a dataset of the kind and shape given (see check_shape);
 * where is loc's path in messages ("" for the root). Returns < 0 with *st. */
static hid_t open_ds(const rd *c, hid_t loc, const char *where, const char *name, int kind,
                     int rank, const hsize_t *want, hsize_t *got, syn_status *st) {
  htri_t e = H5Lexists(loc, name, H5P_DEFAULT);
  if (e <= 0) {
    *st = e < 0 ? damaged(c, where, name) : not_sweep(c, "no dataset '%s/%s'", where, name);
    return -1;
  }
  hid_t d = H5Oopen(loc, name, H5P_DEFAULT);
  if (d < 0) {
    *st = damaged(c, where, name);
    return -1;
  }
  if (H5Iget_type(d) != H5I_DATASET) {
    if (d >= 0) H5Oclose(d);
    *st = not_sweep(c, "'%s/%s' is not a dataset", where, name);
    return -1;
  }
  if (!class_fits(d, kind)) {
    H5Oclose(d);
    *st = not_sweep(c, "'%s/%s' does not hold %s", where, name, kind_name(kind));
    return -1;
  }
  *st = check_shape(c, d, where, name, rank, want, got);
  if (*st != SYN_OK) {
    H5Oclose(d);
    return -1;
  }
  return d;
}

/* A 1-D string dataset read whole into the arena (length *n, or any when *n
 * is 0 and any is set). */
static syn_status read_string_ds(const rd *c, hid_t loc, const char *where, const char *name,
                                 size_t *n, int any, const char ***out) {
  syn_status st = SYN_OK;
  hsize_t want = any ? 0 : *n, got = 0;
  hid_t d = open_ds(c, loc, where, name, KIND_STR, 1, &want, &got, &st);
  if (d < 0) return st;
  *n = (size_t)got;
  *out = syn_arena_alloc(c->r->arena, (*n ? *n : 1) * sizeof **out);
  int rc = *out == NULL ? -2 : syn_h5u_read_strings(d, 0, *n, c->r->arena, *out);
  H5Dclose(d);
  if (rc == -2) return no_memory(c);
  if (rc <= -3)
    return syn_h5u_strings_fail("sweep file", c->r->path, rc, c->err, "'%s/%s'", where, name);
  if (rc < 0) return syn_h5s_fail(c->r->path, c->err, "read '%s/%s'", where, name);
  return SYN_OK;
}

/* A 1-D numeric dataset of length *n (any when any is set) into the arena. */
static syn_status read_f64_ds(const rd *c, hid_t loc, const char *where, const char *name,
                              size_t *n, int any, double **out) {
  syn_status st = SYN_OK;
  hsize_t want = any ? 0 : *n, got = 0;
  hid_t d = open_ds(c, loc, where, name, KIND_NUM, 1, &want, &got, &st);
  if (d < 0) return st;
  *n = (size_t)got;
  *out = syn_arena_alloc(c->r->arena, (*n ? *n : 1) * sizeof **out);
  if (*out == NULL) st = no_memory(c);
  if (st == SYN_OK) st = rows_in_place(c, d, where, name);
  if (st == SYN_OK && *n > 0 &&
      H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
    st = syn_h5s_fail(c->r->path, c->err, "read '%s/%s'", where, name);
  H5Dclose(d);
  return st;
}

/* A scalar attribute of obj, opened and checked for its class; 0 when absent. */
static hid_t open_attr(const rd *c, hid_t obj, const char *where, const char *name,
                       H5T_class_t cls, syn_status *st) {
  *st = SYN_OK;
  const htri_t e = H5Aexists(obj, name);
  if (e < 0) *st = damaged(c, where, name);
  if (e <= 0) return e < 0 ? -1 : 0;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  hid_t t = a < 0 ? -1 : H5Aget_type(a);
  hid_t sp = a < 0 ? -1 : H5Aget_space(a);
  int ok = t >= 0 && sp >= 0 && H5Tget_class(t) == cls && H5Sget_simple_extent_npoints(sp) == 1;
  if (t >= 0) H5Tclose(t);
  if (sp >= 0) H5Sclose(sp);
  if (!ok) {
    if (a >= 0) H5Aclose(a);
    *st = not_sweep(c, "attribute '%s' of '%s' is not a single %s", name, where[0] ? where : "/",
                    cls == H5T_STRING ? "string" : "integer");
    return -1;
  }
  return a;
}

/* A string attribute of obj into the arena; absent: "" (or NULL when
 * absent_null is set). */
static syn_status attr_text(const rd *c, hid_t obj, const char *where, const char *name,
                            int absent_null, const char **out) {
  syn_status st;
  *out = absent_null ? NULL : "";
  hid_t a = open_attr(c, obj, where, name, H5T_STRING, &st);
  if (a <= 0) return st;
  int rc = syn_h5u_read_strings(a, 1, 1, c->r->arena, out);
  H5Aclose(a);
  if (rc == -2) return no_memory(c);
  if (rc <= -3)
    return syn_h5u_strings_fail("sweep file", c->r->path, rc, c->err, "attribute '%s' of '%s'",
                                name, where[0] ? where : "/");
  if (rc < 0) return syn_h5s_fail(c->r->path, c->err, "read attribute '%s'", name);
  return SYN_OK;
}

/* An integer attribute of obj; *present 0 when absent (then *out is 0). */
static syn_status obj_attr_u64(const rd *c, hid_t obj, const char *where, const char *name,
                               uint64_t *out, int *present) {
  syn_status st;
  unsigned long long v = 0;
  *out = 0;
  *present = 0;
  hid_t a = open_attr(c, obj, where, name, H5T_INTEGER, &st);
  if (a <= 0) return st;
  if (H5Aread(a, H5T_NATIVE_ULLONG, &v) < 0)
    st = syn_h5s_fail(c->r->path, c->err, "read attribute '%s'", name);
  H5Aclose(a);
  *out = v;
  *present = st == SYN_OK;
  return st;
}

static syn_status attr_u64(const rd *c, const char *name, uint64_t *out, int *present) {
  return obj_attr_u64(c, c->r->file, "", name, out, present);
}

/* ---- the file ---------------------------------------------------------------------- */

/* syn_h5u_open_read: open(2) first, for a real errno; then HDF5's
 * signature; then HDF5, which refuses a file another process writes (the
 * lock) or a truncated one. */
static syn_status open_file(syn_h5sweep_reader *r, size_t cache_bytes, syn_error *err) {
  syn_h5u_open_failure why = {0, 0, {0}};
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl >= 0 && H5Pset_file_locking(fapl, 1, 1) >= 0 &&
      H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) >= 0 &&
      (cache_bytes == 0 || (H5Pset_cache(fapl, 0, CACHE_SLOTS, cache_bytes, 0.75) >= 0 &&
                            syn_h5u_bound_metadata_cache(fapl, READER_MDC_BYTES) >= 0)))
    r->file = syn_h5u_open_read(r->path, fapl, &why);
  else
    syn_h5u_innermost(why.detail, sizeof why.detail);
  if (fapl >= 0) H5Pclose(fapl);
  if (why.errnum != 0)
    return syn_error_set(err, SYN_EIO, "cannot open sweep file '%s': %s", r->path,
                         strerror(why.errnum));
  if (why.not_hdf5)
    return syn_error_set(err, SYN_EIO, "sweep file '%s' is not an HDF5 file", r->path);
  if (r->file < 0 && strstr(why.detail, "unable to lock") != NULL) /* a writer has it open */
    return syn_error_set(err, SYN_EIO, "sweep file '%s' is being written by another process "
                         "(HDF5: %s)", r->path, why.detail);
  if (r->file < 0)
    return syn_error_set(err, SYN_EIO, "sweep file '%s' is truncated or damaged (HDF5: %s)",
                         r->path, why.detail[0] ? why.detail : "cannot open it");
  return SYN_OK;
}

static syn_status read_root_attrs(const rd *c) {
  syn_h5sweep_spec *s = &c->r->spec;
  syn_provenance *p = &c->r->prov;
  hid_t f = c->r->file;
  uint64_t n = 0, ti = 0, tc = 0;
  int has_n, has_ti, has_tc, dummy;
  syn_status st = attr_u64(c, "n_samples", &n, &has_n);
  if (st == SYN_OK && !has_n) st = not_sweep(c, "no root attribute 'n_samples'");
  if (st == SYN_OK && (n == 0 || n > SIZE_MAX / 16))
    st = not_sweep(c, "n_samples is %llu", (unsigned long long)n);
  if (st == SYN_OK) st = attr_u64(c, "seed", &s->seed, &dummy);
  if (st == SYN_OK) st = attr_u64(c, "base_seed", &s->base_seed, &dummy);
  uint64_t dn = 0, so = 0, ml = 0;
  if (st == SYN_OK) st = attr_u64(c, "design_n", &dn, &dummy);
  if (st == SYN_OK) st = attr_u64(c, "second_order", &so, &dummy);
  if (st == SYN_OK) st = attr_u64(c, "morris_levels", &ml, &dummy);
  s->design_n = (size_t)dn;
  s->second_order = so != 0;
  s->morris_levels = (size_t)ml;
  if (st == SYN_OK) st = attr_u64(c, "task_index", &ti, &has_ti);
  if (st == SYN_OK) st = attr_u64(c, "task_count", &tc, &has_tc);
  if (st == SYN_OK && has_tc && ti >= tc)
    st = not_sweep(c, "task_index %llu is not below task_count %llu", (unsigned long long)ti,
                   (unsigned long long)tc);
  if (st != SYN_OK) return st;
  s->nsamples = (size_t)n;
  s->task_index = has_tc ? (size_t)ti : 0;
  s->task_count = has_tc ? (size_t)tc : 0;
  const struct {
    const char *name;
    const char **out;
    int absent_null;
  } text[] = {
      {"sweep_sha256", &s->sweep_sha256, 0},    {"config_sha256", &s->config_sha256, 0},
      {"solver_config", &c->r->solver_config, 0},
      {"sweep_file", &s->sweep_file, 0},        {"design", &s->design, 0},
      {"title", &p->title, 0},                  {"command_line", &p->command_line, 0},
      {"model_sha256", &p->model_sha256, 0},    {"date_created", &p->created, 1},
      {"scenario_sha256", &p->scenario_sha256, 0}, {"scenario_file", &p->scenario_file, 0},
      {"synovia_version", &c->r->version, 0},
  };
  for (size_t i = 0; i < sizeof text / sizeof text[0] && st == SYN_OK; i++)
    st = attr_text(c, f, "", text[i].name, text[i].absent_null, text[i].out);
  return st;
}

static syn_status read_provenance(const rd *c) {
  syn_provenance *p = &c->r->prov;
  const htri_t e = H5Lexists(c->r->file, "provenance", H5P_DEFAULT);
  if (e <= 0) return e < 0 ? damaged(c, "", "provenance") : SYN_OK;
  hid_t o = H5Oopen(c->r->file, "provenance", H5P_DEFAULT);
  const int group = o >= 0 && H5Iget_type(o) == H5I_GROUP;
  if (o >= 0) H5Oclose(o);
  if (o < 0) return damaged(c, "", "provenance");
  hid_t g = group ? H5Gopen2(c->r->file, "provenance", H5P_DEFAULT) : -1;
  if (!group) return not_sweep(c, "'/provenance' is not a group");
  if (g < 0) return damaged(c, "", "provenance");
  const char **paths = NULL, **texts = NULL;
  size_t n = 0;
  syn_status st = read_string_ds(c, g, "/provenance", "file", &n, 1, &paths);
  if (st == SYN_OK) st = read_string_ds(c, g, "/provenance", "text", &n, 0, &texts);
  H5Gclose(g);
  p->nfiles = n;
  p->file_paths = paths;
  p->file_texts = texts;
  return st;
}

/* The parameter table and the per-sample datasets of the root. */
static syn_status read_root_tables(const rd *c) {
  syn_h5sweep_reader *r = c->r;
  syn_h5sweep_spec *s = &r->spec;
  const char **names = NULL, **units = NULL, **dist = NULL;
  double *lower = NULL, *upper = NULL;
  size_t np = 0, n = s->nsamples;
  syn_status st = SYN_OK;
  hsize_t ns = n;
  hid_t d = open_ds(c, r->file, "", "sample", KIND_INT, 1, &ns, NULL, &st);
  if (d < 0) return st;
  H5Dclose(d);
  st = read_string_ds(c, r->file, "", "param", &np, 1, &names);
  if (st == SYN_OK && np == 0) st = not_sweep(c, "no parameters ('/param' is empty)");
  if (st == SYN_OK) st = read_string_ds(c, r->file, "", "param_units", &np, 0, &units);
  const int has_lower = H5Lexists(r->file, "param_lower", H5P_DEFAULT) > 0;
  const int has_upper = H5Lexists(r->file, "param_upper", H5P_DEFAULT) > 0;
  if (st == SYN_OK && has_lower != has_upper)
    st = not_sweep(c, "'/param_%s' without '/param_%s'", has_lower ? "lower" : "upper",
                   has_lower ? "upper" : "lower");
  if (st == SYN_OK && has_lower) st = read_f64_ds(c, r->file, "", "param_lower", &np, 0, &lower);
  if (st == SYN_OK && has_upper) st = read_f64_ds(c, r->file, "", "param_upper", &np, 0, &upper);
  if (st == SYN_OK && H5Lexists(r->file, "param_distribution", H5P_DEFAULT) > 0)
    st = read_string_ds(c, r->file, "", "param_distribution", &np, 0, &dist);
  if (st != SYN_OK) return st;
  s->nparams = np;
  s->param_names = names;
  s->param_units = units;
  s->param_lower = lower;
  s->param_upper = upper;
  s->param_distribution = dist;
  const hsize_t pv[2] = {n, np};
  if ((r->t.param_value = open_ds(c, r->file, "", "param_value", KIND_NUM, 2, pv, NULL, &st)) < 0 ||
      (r->t.status = open_ds(c, r->file, "", "status", KIND_INT, 1, &ns, NULL, &st)) < 0 ||
      (r->t.reason = open_ds(c, r->file, "", "status_reason", KIND_STR, 1, &ns, NULL, &st)) < 0)
    return st;
  hid_t t = H5Dget_type(r->t.reason);
  htri_t var = t < 0 ? -1 : H5Tis_variable_str(t);
  if (t >= 0) H5Tclose(t);
  if (var <= 0) return not_sweep(c, "'/status_reason' does not hold variable-length strings");
  if ((st = rows_in_place(c, r->t.param_value, "", "param_value")) != SYN_OK ||
      (st = rows_in_place(c, r->t.status, "", "status")) != SYN_OK)
    return st;
  const int rc = syn_h5u_check_seal(r->t.reason); /* read in rows later: checked whole here */
  if (rc == -2) return no_memory(c);
  if (rc <= -3) return syn_h5u_strings_fail("sweep file", r->path, rc, c->err, "'/status_reason'");
  if (rc < 0) return syn_h5s_fail(r->path, c->err, "read '/status_reason'");
  return SYN_OK;
}

/* ---- arms ------------------------------------------------------------------------- */

static syn_status link_names(const rd *c, hid_t g, const char *where, size_t *n,
                             const char ***out) {
  int rc = syn_h5u_link_names(g, c->r->arena, n, out);
  if (rc == -2) return no_memory(c);
  if (rc < 0) return syn_h5s_fail(c->r->path, c->err, "list '%s'", where);
  return SYN_OK;
}

static int same_strings(size_t n, const char *const *a, const char *const *b) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(a[i], b[i]) != 0) return 0;
  return 1;
}

/* What one arm group holds, before the tables are opened. */
typedef struct arm_desc {
  size_t nmetrics, nseries, ntimes;
  const char **metrics, **metric_units, **series;
  double *times;
} arm_desc;

/* The names the writer reserves in arm groups (cf. check_series in
 * h5sweep.c): never series, so not even looked at. */
static int is_index_or_metric(const char *name) {
  return strcmp(name, "time") == 0 || strcmp(name, "metric") == 0 ||
         strcmp(name, "metric_units") == 0 || strcmp(name, "metric_value") == 0 ||
         strncmp(name, "sobol_", 6) == 0 || strncmp(name, "morris_", 7) == 0;
}

/* The series of an arm: its 2-D datasets with the arm's time scale on axis 1. */
static syn_status arm_series(const rd *c, hid_t g, const char *where, arm_desc *a) {
  const char **links = NULL;
  size_t n = 0;
  a->nseries = 0;
  if (H5Lexists(g, "time", H5P_DEFAULT) <= 0) return SYN_OK;
  syn_status st = read_f64_ds(c, g, where, "time", &a->ntimes, 1, &a->times);
  if (st == SYN_OK) st = link_names(c, g, where, &n, &links);
  if (st != SYN_OK) return st;
  a->series = links; /* filtered in place */
  hid_t dtime = H5Dopen2(g, "time", H5P_DEFAULT);
  if (dtime < 0) return syn_h5s_fail(c->r->path, c->err, "open '%s/time'", where);
  syn_h5u_scale_refs refs; /* not H5DSis_attached: see syn_h5u_scale_refs */
  const int rc = syn_h5u_scale_refs_read(dtime, &refs);
  if (rc == -2) st = no_memory(c);
  if (rc == -1) st = damaged(c, where, "time");
  for (size_t k = 0; k < n && st == SYN_OK; k++) {
    if (is_index_or_metric(links[k])) continue;
    hid_t d = H5Oopen(g, links[k], H5P_DEFAULT);
    if (d < 0) {
      st = damaged(c, where, links[k]);
      break;
    }
    int series = 0;
    if (H5Iget_type(d) == H5I_DATASET) {
      hid_t sp = H5Dget_space(d);
      series = sp >= 0 && H5Sget_simple_extent_ndims(sp) == 2 ? syn_h5u_scale_refs_has(&refs, d, 1)
                                                              : 0;
      if (sp >= 0) H5Sclose(sp);
    }
    H5Oclose(d);
    if (series < 0) st = damaged(c, where, links[k]);
    if (series > 0) a->series[a->nseries++] = links[k];
  }
  syn_h5u_scale_refs_free(&refs);
  H5Dclose(dtime);
  return st;
}

static syn_status describe_arm(const rd *c, hid_t g, const char *where, int first,
                               arm_desc *a) {
  syn_status st = SYN_OK;
  memset(a, 0, sizeof *a);
  if (H5Lexists(g, "metric", H5P_DEFAULT) > 0) {
    st = read_string_ds(c, g, where, "metric", &a->nmetrics, 1, &a->metrics);
    if (st == SYN_OK && first)
      st = read_string_ds(c, g, where, "metric_units", &a->nmetrics, 0, &a->metric_units);
  }
  if (st == SYN_OK) st = arm_series(c, g, where, a);
  if (st == SYN_OK && a->nseries == 0) a->ntimes = 0;
  return st;
}

static syn_status same_as_first_arm(const rd *c, const char *arm, const char *arm0,
                                    const arm_desc *a, const arm_desc *a0) {
  if (a->nmetrics != a0->nmetrics || !same_strings(a->nmetrics, a->metrics, a0->metrics))
    return not_sweep(c, "arm '%s' has other metrics than arm '%s'", arm, arm0);
  if (a->nseries != a0->nseries || !same_strings(a->nseries, a->series, a0->series))
    return not_sweep(c, "arm '%s' has other trajectories than arm '%s'", arm, arm0);
  int same_times = a->ntimes == a0->ntimes;
  for (size_t k = 0; same_times && k < a->ntimes; k++) same_times = a->times[k] == a0->times[k];
  if (!same_times) return not_sweep(c, "arm '%s' has another time grid than arm '%s'", arm, arm0);
  return SYN_OK;
}

/* Units of arm 0's time and series, from their `units` attributes. */
static syn_status series_units(const rd *c, hid_t g, const char *where, const arm_desc *a0) {
  syn_h5sweep_spec *s = &c->r->spec;
  syn_status st = SYN_OK;
  if (a0->nseries == 0) return SYN_OK;
  const char **units = syn_arena_alloc(c->r->arena, a0->nseries * sizeof *units);
  if (units == NULL) return no_memory(c);
  hid_t d = H5Dopen2(g, "time", H5P_DEFAULT);
  if (d < 0) return syn_h5s_fail(c->r->path, c->err, "open '%s/time'", where);
  st = attr_text(c, d, where, "units", 0, &s->time_units);
  H5Dclose(d);
  for (size_t k = 0; k < a0->nseries && st == SYN_OK; k++) {
    if ((d = H5Dopen2(g, a0->series[k], H5P_DEFAULT)) < 0)
      return syn_h5s_fail(c->r->path, c->err, "open '%s/%s'", where, a0->series[k]);
    st = attr_text(c, d, where, "units", 0, &units[k]);
    H5Dclose(d);
  }
  s->series_units = units;
  return st;
}

/* The per-sample datasets of arm a. */
static syn_status open_arm_tables(const rd *c, hid_t g, const char *where, size_t a) {
  syn_h5s_tables *t = &c->r->t;
  syn_status st = SYN_OK;
  const hsize_t mv[2] = {t->nsamples, t->nmetrics}, tv[2] = {t->nsamples, t->ntimes};
  if (t->nmetrics > 0 &&
      ((t->metric_value[a] = open_ds(c, g, where, "metric_value", KIND_NUM, 2, mv, NULL, &st)) <
           0 ||
       (st = rows_in_place(c, t->metric_value[a], where, "metric_value")) != SYN_OK))
    return st;
  for (size_t k = 0; k < t->nseries; k++) {
    const char *name = c->r->spec.series_names[k];
    if ((t->traj[a * t->nseries + k] = open_ds(c, g, where, name, KIND_NUM, 2, tv, NULL, &st)) <
            0 ||
        (st = rows_in_place(c, t->traj[a * t->nseries + k], where, name)) != SYN_OK)
      return st;
  }
  return SYN_OK;
}

static syn_status set_arm_spec(const rd *c, size_t narms, const char **arms, const arm_desc *a0) {
  syn_h5sweep_reader *r = c->r;
  syn_h5sweep_spec *s = &r->spec;
  s->narms = narms;
  s->arm_names = arms;
  s->nmetrics = a0->nmetrics;
  s->metric_names = a0->metrics;
  s->metric_units = a0->metric_units;
  s->nseries = a0->nseries;
  s->series_names = a0->nseries ? a0->series : NULL;
  s->ntimes = a0->ntimes;
  s->times = a0->nseries ? a0->times : NULL;
  r->t.nsamples = s->nsamples;
  r->t.nparams = s->nparams;
  r->t.narms = narms;
  r->t.nmetrics = a0->nmetrics;
  r->t.nseries = a0->nseries;
  r->t.ntimes = a0->ntimes;
  return syn_h5s_tables_alloc(&r->t) == SYN_OK ? SYN_OK : no_memory(c);
}

/* One pass over the arms: describe each (arm 0 sets the spec, the others
 * must agree with it), then open its tables. */
static syn_status read_arms(const rd *c) {
  syn_h5sweep_reader *r = c->r;
  const char **arms = NULL;
  size_t narms = 0;
  arm_desc a0, a;
  char where[600];
  const htri_t e = H5Lexists(r->file, "arms", H5P_DEFAULT);
  if (e <= 0) return e < 0 ? damaged(c, "", "arms") : not_sweep(c, "no group '/arms'");
  hid_t garms = H5Gopen2(r->file, "arms", H5P_DEFAULT);
  if (garms < 0) return not_sweep(c, "'/arms' is not a group");
  syn_status st = link_names(c, garms, "/arms", &narms, &arms);
  if (st == SYN_OK && narms == 0) st = not_sweep(c, "no arms in '/arms'");
  for (size_t k = 0; k < narms && st == SYN_OK; k++) {
    snprintf(where, sizeof where, "/arms/%s", arms[k]);
    hid_t g = H5Oopen(garms, arms[k], H5P_DEFAULT);
    if (g < 0) {
      st = damaged(c, "/arms", arms[k]);
      break;
    }
    if (H5Iget_type(g) != H5I_GROUP) {
      if (g >= 0) H5Oclose(g);
      st = not_sweep(c, "'%s' is not a group", where);
      break;
    }
    st = describe_arm(c, g, where, k == 0, k == 0 ? &a0 : &a);
    if (st == SYN_OK && k == 0) st = set_arm_spec(c, narms, arms, &a0);
    if (st == SYN_OK && k == 0) st = series_units(c, g, where, &a0);
    if (st == SYN_OK && k > 0) st = same_as_first_arm(c, arms[k], arms[0], &a, &a0);
    if (st == SYN_OK) st = open_arm_tables(c, g, where, k);
    H5Oclose(g);
  }
  H5Gclose(garms);
  return st;
}

/* ---- the reader ------------------------------------------------------------------- */

static syn_status read_file(syn_h5sweep_reader *r, size_t cache_bytes, syn_error *err) {
  const rd c = {r, err};
  syn_status st = open_file(r, cache_bytes, err);
  if (st == SYN_OK) st = read_root_attrs(&c);
  if (st == SYN_OK) st = read_root_tables(&c);
  if (st == SYN_OK) st = read_arms(&c);
  if (st == SYN_OK) st = read_provenance(&c);
  if (st == SYN_OK) r->spec.prov = &r->prov;
  return st;
}

syn_status syn_h5sweep_open(const char *path, syn_h5sweep_reader **out, syn_error *err) {
  return syn_h5s_open(path, 0, out, err);
}

syn_status syn_h5s_open(const char *path, size_t cache_bytes, syn_h5sweep_reader **out,
                        syn_error *err) {
  if (out == NULL) return syn_error_set(err, SYN_EINVAL, "sweep file: no place for the reader");
  *out = NULL;
  if (path == NULL || path[0] == 0)
    return syn_error_set(err, SYN_EINVAL, "sweep file: empty file name");
  syn_status st = SYN_OK;
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  syn_h5sweep_reader *r = syn_calloc(1, sizeof *r);
  if (r != NULL) {
    r->file = r->t.param_value = r->t.status = r->t.reason = -1;
    r->path = syn_strdup(path);
    r->arena = syn_arena_create();
  }
  if (r == NULL || r->path == NULL || r->arena == NULL)
    st = syn_error_set(err, SYN_ENOMEM, "sweep file '%s': out of memory", path);
  else
    st = read_file(r, cache_bytes, err);
  if (st != SYN_OK) {
    syn_h5sweep_reader_destroy(r);
    r = NULL;
  }
  syn_h5u_quiet_end(&q);
  *out = r;
  return st;
}

void syn_h5sweep_reader_destroy(syn_h5sweep_reader *r) {
  if (r == NULL) return;
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  syn_h5s_tables_close(&r->t);
  if (r->file >= 0) H5Fclose(r->file);
  syn_h5u_quiet_end(&q);
  syn_arena_destroy(r->arena);
  syn_free(r->path);
  syn_free(r);
}

const syn_h5sweep_spec *syn_h5sweep_reader_spec(const syn_h5sweep_reader *r) {
  return r ? &r->spec : NULL;
}

const char *syn_h5sweep_reader_path(const syn_h5sweep_reader *r) { return r ? r->path : NULL; }

const char *syn_h5sweep_reader_version(const syn_h5sweep_reader *r) {
  return r && r->version ? r->version : "";
}

const char *syn_h5sweep_reader_solver_config(const syn_h5sweep_reader *r) {
  return r && r->solver_config ? r->solver_config : "";
}

const syn_h5s_tables *syn_h5s_reader_tables(const syn_h5sweep_reader *r) { return &r->t; }

/* ---- rows ------------------------------------------------------------------------- */

static int cmp_size(const void *a, const void *b) {
  const size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return x < y ? -1 : x > y;
}

/* The row offsets of the allocated chunks of d (1-D, chunks of *rows rows). */
static syn_status chunk_firsts(const syn_h5sweep_reader *r, hid_t d, size_t **firsts, size_t *n,
                               syn_error *err) {
  hsize_t nchunks = 0;
  syn_status st = SYN_OK;
  hid_t sp = H5Dget_space(d); /* HDF5 1.10 wants a real dataspace, not H5S_ALL */
  if (sp < 0 || H5Dget_num_chunks(d, sp, &nchunks) < 0) {
    st = syn_h5s_fail(r->path, err, "list the chunks of '/status'");
    goto done;
  }
  if ((*firsts = syn_malloc((nchunks ? nchunks : 1) * sizeof **firsts)) == NULL) {
    st = syn_error_set(err, SYN_ENOMEM, "sweep file '%s': out of memory", r->path);
    goto done;
  }
  for (hsize_t k = 0; k < nchunks; k++) {
    hsize_t offset = 0, size = 0;
    haddr_t addr;
    unsigned mask;
    if (H5Dget_chunk_info(d, sp, k, &offset, &mask, &addr, &size) < 0) {
      st = syn_h5s_fail(r->path, err, "list the chunks of '/status'");
      goto done;
    }
    (*firsts)[k] = (size_t)offset;
  }
  *n = (size_t)nchunks;
  qsort(*firsts, *n, sizeof **firsts, cmp_size);
done:
  if (sp >= 0) H5Sclose(sp);
  return st;
}

syn_status syn_h5s_status_blocks(const syn_h5sweep_reader *r, size_t **firsts, size_t *n,
                                 size_t *rows, syn_error *err) {
  *firsts = NULL;
  *n = 0;
  *rows = r->t.nsamples;
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  hsize_t chunk = 0;
  hid_t p = H5Dget_create_plist(r->t.status);
  const int chunked = p >= 0 && H5Pget_layout(p) == H5D_CHUNKED && H5Pget_chunk(p, 1, &chunk) == 1;
  if (p >= 0) H5Pclose(p);
  syn_status st = SYN_OK;
  if (chunked && chunk > 0) {
    *rows = (size_t)chunk;
    st = chunk_firsts(r, r->t.status, firsts, n, err);
  } else if ((*firsts = syn_calloc(1, sizeof **firsts)) == NULL) {
    st = syn_error_set(err, SYN_ENOMEM, "sweep file '%s': out of memory", r->path);
  } else {
    *n = 1;
  }
  syn_h5u_quiet_end(&q);
  if (st != SYN_OK) {
    syn_free(*firsts);
    *firsts = NULL;
    *n = 0;
  }
  return st;
}

syn_status syn_h5sweep_read_status(syn_h5sweep_reader *r, size_t first, size_t count,
                                   signed char *status, syn_error *err) {
  return syn_h5sweep_read_rows(r, first, count, NULL, status, NULL, NULL, err);
}

syn_status syn_h5sweep_read_rows(syn_h5sweep_reader *r, size_t first, size_t count,
                                 double *params, signed char *status, double *metrics,
                                 double *traj, syn_error *err) {
  if (r == NULL) return syn_error_set(err, SYN_EINVAL, "sweep file: NULL reader");
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  syn_status st =
      syn_h5s_read_block(&r->t, r->path, first, count, params, status, metrics, traj, err);
  syn_h5u_quiet_end(&q);
  return st;
}

/* Copies s into buf (size > 0), cut at a UTF-8 character boundary. */
static void copy_cut(char *buf, size_t size, const char *s, size_t len) {
  size_t n = len < size ? len : size - 1;
  if (n < len)
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
  memcpy(buf, s, n);
  buf[n] = 0;
}

syn_status syn_h5sweep_read_reason(syn_h5sweep_reader *r, size_t sample, char *buf,
                                   size_t size, size_t *len, syn_error *err) {
  if (r == NULL) return syn_error_set(err, SYN_EINVAL, "sweep file: NULL reader");
  if (size > 0 && buf == NULL)
    return syn_error_set(err, SYN_EINVAL, "sweep file '%s': no buffer for the reason", r->path);
  if (sample >= r->t.nsamples)
    return syn_error_set(err, SYN_EINVAL,
                         "sweep file '%s': sample %zu is out of range (the sweep has %zu)",
                         r->path, sample, r->t.nsamples);
  char *reason = NULL;
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  syn_status st = syn_h5s_read_reasons(&r->t, r->path, sample, 1, &reason, err);
  const char *s = reason ? reason : "";
  const size_t n = strlen(s);
  if (st == SYN_OK && len != NULL) *len = n;
  if (st == SYN_OK && size > 0) copy_cut(buf, size, s, n);
  if (reason != NULL) H5free_memory(reason);
  syn_h5u_quiet_end(&q);
  return st;
}

/* ---- indices ---------------------------------------------------------------------- */

void syn_h5sweep_indices_free(syn_h5sweep_indices *ix) {
  if (ix == NULL) return;
  double *tables[] = {ix->S1, ix->S1_conf, ix->ST, ix->ST_conf,
                      ix->mu, ix->mu_star, ix->mu_star_conf, ix->sigma};
  for (size_t k = 0; k < sizeof tables / sizeof tables[0]; k++) syn_free(tables[k]);
  syn_free(ix->n_used);
  syn_free(ix->n_dropped);
  memset(ix, 0, sizeof *ix);
}

/* A (metric, param) table of the arm, or NULL when absent. */
static syn_status read_index_table(const rd *c, hid_t g, const char *where, const char *name,
                                   double **out) {
  const syn_h5s_tables *t = &c->r->t;
  syn_status st = SYN_OK;
  *out = NULL;
  if (H5Lexists(g, name, H5P_DEFAULT) <= 0) return SYN_OK;
  const hsize_t want[2] = {t->nmetrics, t->nparams};
  hid_t d = open_ds(c, g, where, name, KIND_NUM, 2, want, NULL, &st);
  if (d < 0) return st;
  *out = syn_malloc((t->nmetrics * t->nparams + 1) * sizeof **out);
  if (*out == NULL) st = no_memory(c);
  if (st == SYN_OK) st = rows_in_place(c, d, where, name);
  if (st == SYN_OK && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
    st = syn_h5s_fail(c->r->path, c->err, "read '%s/%s'", where, name);
  H5Dclose(d);
  return st;
}

/* A (metric) count of the arm, or NULL when absent. */
static syn_status read_index_counts(const rd *c, hid_t g, const char *where, const char *name,
                                    size_t **out) {
  const size_t n = c->r->t.nmetrics;
  syn_status st = SYN_OK;
  *out = NULL;
  if (H5Lexists(g, name, H5P_DEFAULT) <= 0) return SYN_OK;
  const hsize_t want = n;
  hid_t d = open_ds(c, g, where, name, KIND_INT, 1, &want, NULL, &st);
  if (d < 0) return st;
  unsigned long long *v = syn_malloc((n + 1) * sizeof *v);
  *out = syn_malloc((n + 1) * sizeof **out);
  if (v == NULL || *out == NULL) st = no_memory(c);
  if (st == SYN_OK) st = rows_in_place(c, d, where, name);
  if (st == SYN_OK && H5Dread(d, H5T_NATIVE_ULLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
    st = syn_h5s_fail(c->r->path, c->err, "read '%s/%s'", where, name);
  for (size_t m = 0; st == SYN_OK && m < n; m++) (*out)[m] = (size_t)v[m];
  syn_free(v);
  H5Dclose(d);
  return st;
}

static syn_status attr_size(const rd *c, hid_t g, const char *where, const char *name,
                            size_t *out) {
  uint64_t v = 0;
  int present = 0;
  syn_status st = obj_attr_u64(c, g, where, name, &v, &present);
  *out = (size_t)v;
  return st;
}

static syn_status attr_f64(const rd *c, hid_t g, const char *where, const char *name,
                           double *out) {
  *out = 0;
  if (H5Aexists(g, name) <= 0) return SYN_OK;
  hid_t a = H5Aopen(g, name, H5P_DEFAULT);
  syn_status st = SYN_OK;
  if (a < 0 || H5Aread(a, H5T_NATIVE_DOUBLE, out) < 0)
    st = syn_h5s_fail(c->r->path, c->err, "read attribute '%s' of '%s'", name, where);
  if (a >= 0) H5Aclose(a);
  return st;
}

static syn_status read_sobol(const rd *c, hid_t g, const char *where, syn_h5sweep_indices *ix) {
  syn_status st = read_index_table(c, g, where, "sobol_S1", &ix->S1);
  if (st == SYN_OK) st = read_index_table(c, g, where, "sobol_S1_conf", &ix->S1_conf);
  if (st == SYN_OK) st = read_index_table(c, g, where, "sobol_ST", &ix->ST);
  if (st == SYN_OK) st = read_index_table(c, g, where, "sobol_ST_conf", &ix->ST_conf);
  if (st == SYN_OK) st = read_index_counts(c, g, where, "sobol_n_used", &ix->n_used);
  if (st == SYN_OK) st = read_index_counts(c, g, where, "sobol_n_dropped", &ix->n_dropped);
  if (st == SYN_OK) st = attr_size(c, g, where, "sobol_n_base", &ix->n_base);
  if (st == SYN_OK) st = attr_size(c, g, where, "sobol_n_boot", &ix->n_boot);
  if (st == SYN_OK) st = attr_f64(c, g, where, "sobol_confidence_level", &ix->confidence_level);
  if (st == SYN_OK) st = attr_text(c, g, where, "sobol_estimator_S1", 0, &ix->estimator_S1);
  if (st == SYN_OK) st = attr_text(c, g, where, "sobol_estimator_ST", 0, &ix->estimator_ST);
  return st;
}

static syn_status read_morris(const rd *c, hid_t g, const char *where, syn_h5sweep_indices *ix) {
  const int counts = ix->kind == SYN_H5SWEEP_MORRIS; /* Sobol's counts win */
  syn_status st = read_index_table(c, g, where, "morris_mu", &ix->mu);
  if (st == SYN_OK) st = read_index_table(c, g, where, "morris_mu_star", &ix->mu_star);
  if (st == SYN_OK) st = read_index_table(c, g, where, "morris_mu_star_conf", &ix->mu_star_conf);
  if (st == SYN_OK) st = read_index_table(c, g, where, "morris_sigma", &ix->sigma);
  if (st == SYN_OK && counts) st = read_index_counts(c, g, where, "morris_n_used", &ix->n_used);
  if (st == SYN_OK && counts)
    st = read_index_counts(c, g, where, "morris_n_dropped", &ix->n_dropped);
  if (st == SYN_OK) st = attr_size(c, g, where, "morris_n_trajectories", &ix->n_trajectories);
  if (st == SYN_OK) st = attr_size(c, g, where, "morris_num_levels", &ix->num_levels);
  if (st == SYN_OK && counts) st = attr_size(c, g, where, "morris_n_boot", &ix->n_boot);
  if (st == SYN_OK && counts)
    st = attr_f64(c, g, where, "morris_confidence_level", &ix->confidence_level);
  return st;
}

syn_status syn_h5sweep_read_indices(syn_h5sweep_reader *r, size_t arm, syn_h5sweep_indices *out,
                                    syn_error *err) {
  if (out == NULL) return syn_error_set(err, SYN_EINVAL, "sweep file: no place for the indices");
  memset(out, 0, sizeof *out);
  if (r == NULL) return syn_error_set(err, SYN_EINVAL, "sweep file: NULL reader");
  if (arm >= r->spec.narms)
    return syn_error_set(err, SYN_EINVAL, "sweep file '%s': arm %zu is out of range (%zu arms)",
                         r->path, arm, r->spec.narms);
  const rd c = {r, err};
  char where[600];
  snprintf(where, sizeof where, "/arms/%s", r->spec.arm_names[arm]);
  out->nmetrics = r->spec.nmetrics;
  out->nparams = r->spec.nparams;
  out->estimator_S1 = out->estimator_ST = "";
  syn_status st = SYN_OK;
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  hid_t g = H5Gopen2(r->file, where, H5P_DEFAULT);
  if (g < 0) st = syn_h5s_fail(r->path, err, "open group '%s'", where);
  const int sobol = g >= 0 && H5Lexists(g, "sobol_S1", H5P_DEFAULT) > 0;
  const int morris = g >= 0 && H5Lexists(g, "morris_mu", H5P_DEFAULT) > 0;
  out->kind = sobol ? SYN_H5SWEEP_SOBOL : morris ? SYN_H5SWEEP_MORRIS : SYN_H5SWEEP_NO_INDICES;
  if (st == SYN_OK && sobol) st = read_sobol(&c, g, where, out);
  if (st == SYN_OK && morris) st = read_morris(&c, g, where, out);
  if (g >= 0) H5Gclose(g);
  syn_h5u_quiet_end(&q);
  if (st != SYN_OK) syn_h5sweep_indices_free(out);
  return st;
}
