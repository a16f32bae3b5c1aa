/* synovia — reading the result file of a run back (io layer; see the end of
 * synovia/h5.h and docs/output-format.md).
 *
 * syn_h5_open reads everything but the time series at once into an arena
 * owned by the reader: the global attributes, /provenance, and per arm its
 * time axis, the names and attributes of its series, its parameter table,
 * dose records, metrics and group attributes. The series themselves are read
 * one at a time by syn_h5_read_var, so a summary of a large file costs little
 * memory. The file stays open (read-only) until the reader is destroyed.
 *
 * What counts as a series is decided by structure, not by name: a 1-D
 * floating-point dataset of the arm with the arm's `time` scale attached to
 * its axis and an attribute kind = "state" | "output". So the index tables
 * (param_value, metric_value) are never taken for series, and a model state
 * that happens to be called `metric` or `doses` in an arm without metrics or
 * doses (the writer allows that) is still one. For the same reason the
 * metrics of an arm are there when `metric` is a string dataset, its doses
 * when `doses` is a group.
 *
 * Anything that does not fit (a missing dataset, a wrong shape or type, a
 * truncated file) is one error naming the file and the first thing wrong;
 * HDF5 failures carry HDF5's innermost description. HDF5's error printing is
 * turned off around our calls (syn_h5u_quiet_begin/_end). */
#include "synovia/h5.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "io/h5util.h"

struct syn_h5_reader {
  const char *path; /* in the arena */
  hid_t file;       /* < 0 when closed */
  syn_arena *arena; /* every string and array handed out */
  syn_h5_file_info info;
  syn_h5_arm_info *arms; /* [info.narms] */
  const syn_h5_sens_info **sens; /* [info.narms]: NULL for an arm without sensitivities */
};

/* What reading needs at hand: the reader being built and the error. */
typedef struct rd {
  syn_h5_reader *r;
  syn_error *err;
} rd;

/* ---- errors ----------------------------------------------------------------------- */

/* Something in the file is not as the layout says (SYN_EINVAL). */
static syn_status bad_layout(const rd *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static syn_status bad_layout(const rd *c, const char *fmt, ...) {
  char what[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return syn_error_set(c->err, SYN_EINVAL, "result file '%s': %s", c->r->path, what);
}

/* HDF5 failed (SYN_EIO), with its innermost description. */
static syn_status h5_failed(const char *path, syn_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static syn_status h5_failed(const char *path, syn_error *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  syn_status st = syn_h5u_failv("result file", path, err, fmt, ap);
  va_end(ap);
  return st;
}

/* Something the layout needs is there but cannot be read: a checksum that
 * fails, an object header or link that does not decode (SYN_EIO). */
static syn_status damaged(const char *path, syn_error *err, const char *where, const char *name) {
  char detail[256];
  syn_h5u_innermost(detail, sizeof detail);
  return syn_error_set(err, SYN_EIO, "result file '%s' is damaged: cannot read '%s%s%s'%s%s%s",
                       path, where, where[0] && strcmp(where, "/") != 0 ? "/" : "", name,
                       detail[0] ? " (HDF5: " : "", detail, detail[0] ? ")" : "");
}

/* A dataset written whole without storage for all of it (see
 * syn_h5u_storage_complete). */
static syn_status incomplete(const char *path, syn_error *err, const char *where,
                             const char *name) {
  return syn_error_set(err, SYN_EIO,
                       "result file '%s' is damaged: '%s/%s' lacks some of its stored data (its "
                       "chunk index is damaged)",
                       path, where, name);
}

static syn_status no_memory(const rd *c) {
  return syn_error_set(c->err, SYN_ENOMEM, "result file '%s': out of memory", c->r->path);
}

/* A return code of the syn_h5u readers (0, -1 HDF5, -2 memory) as a status. */
static syn_status read_rc(const rd *c, int rc, const char *what, const char *where,
                          const char *name) {
  if (rc == -2) return no_memory(c);
  if (rc <= -3) return syn_h5u_strings_fail("result file", c->r->path, rc, c->err, "'%s/%s'", where, name);
  if (rc < 0) return h5_failed(c->r->path, c->err, "%s '%s/%s'", what, where, name);
  return SYN_OK;
}

/* ---- small readers ------------------------------------------------------------------ */

/* 1 when loc/name exists and is an object of the type given; 0 when it is
 * absent or another kind of object; -1 when it cannot be told (the link or
 * the object cannot be read: a damaged file, see damaged()). */
static int has_object(hid_t loc, const char *name, H5I_type_t type) {
  const htri_t e = H5Lexists(loc, name, H5P_DEFAULT);
  if (e <= 0) return e < 0 ? -1 : 0;
  hid_t o = H5Oopen(loc, name, H5P_DEFAULT);
  if (o < 0) return -1;
  const int is = H5Iget_type(o) == type;
  H5Oclose(o);
  return is;
}

static H5T_class_t dataset_class(hid_t d) {
  hid_t t = H5Dget_type(d);
  H5T_class_t c = t < 0 ? H5T_NO_CLASS : H5Tget_class(t);
  if (t >= 0) H5Tclose(t);
  return c;
}

/* The length of a 1-D dataset; -1 when it has another rank (or HDF5 fails). */
static long long length_1d(hid_t d) {
  hsize_t dim = 0;
  hid_t sp = H5Dget_space(d);
  const int rank = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
  if (rank == 1 && H5Sget_simple_extent_dims(sp, &dim, NULL) < 0) dim = (hsize_t)-1;
  if (sp >= 0) H5Sclose(sp);
  return rank == 1 && dim != (hsize_t)-1 ? (long long)dim : -1;
}

enum { NUMBERS, STRINGS };

/* Opens loc/name, a 1-D dataset of numbers or strings of length *n (any
 * length when any is set; then *n receives it). where: loc's path. */
static hid_t open_column(const rd *c, hid_t loc, const char *where, const char *name, int kind,
                         size_t *n, int any, syn_status *st) {
  *st = SYN_OK;
  const int has = has_object(loc, name, H5I_DATASET);
  if (has <= 0) {
    *st = has < 0 ? damaged(c->r->path, c->err, where, name)
                  : bad_layout(c, "no dataset '%s/%s'", where, name);
    return -1;
  }
  hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
  if (d < 0) {
    *st = h5_failed(c->r->path, c->err, "open '%s/%s'", where, name);
    return -1;
  }
  const H5T_class_t cls = dataset_class(d);
  const int fits = kind == STRINGS ? cls == H5T_STRING : cls == H5T_FLOAT || cls == H5T_INTEGER;
  const long long len = length_1d(d);
  if (!fits || len < 0)
    *st = bad_layout(c, "'%s/%s' is not a 1-D dataset of %s", where, name,
                     kind == STRINGS ? "strings" : "numbers");
  else if (!any && (size_t)len != *n)
    *st = bad_layout(c, "'%s/%s' has %lld values, not %zu", where, name, len, *n);
  if (*st != SYN_OK) {
    H5Dclose(d);
    return -1;
  }
  *n = (size_t)len;
  return d;
}

/* A 1-D numeric column into the arena (see open_column for n and any). */
static syn_status read_numbers(const rd *c, hid_t loc, const char *where, const char *name,
                               size_t *n, int any, const double **out) {
  syn_status st;
  hid_t d = open_column(c, loc, where, name, NUMBERS, n, any, &st);
  if (d < 0) return st;
  double *v = syn_arena_alloc(c->r->arena, (*n ? *n : 1) * sizeof *v);
  if (v == NULL)
    st = no_memory(c);
  else if (syn_h5u_storage_complete(d) != 1)
    st = incomplete(c->r->path, c->err, where, name);
  else if (*n > 0 && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0)
    st = h5_failed(c->r->path, c->err, "read '%s/%s'", where, name);
  H5Dclose(d);
  *out = v;
  return st;
}

/* A 1-D string column into the arena (see open_column for n and any). */
static syn_status read_texts(const rd *c, hid_t loc, const char *where, const char *name,
                             size_t *n, int any, const char *const **out) {
  syn_status st;
  hid_t d = open_column(c, loc, where, name, STRINGS, n, any, &st);
  if (d < 0) return st;
  const char **v = syn_arena_alloc(c->r->arena, (*n ? *n : 1) * sizeof *v);
  st = v == NULL ? no_memory(c) : read_rc(c, syn_h5u_read_strings(d, 0, *n, c->r->arena, v),
                                          "read", where, name);
  H5Dclose(d);
  *out = v;
  return st;
}

/* A string attribute of obj (one value) into the arena; "" when absent. */
static syn_status attr_text(const rd *c, hid_t obj, const char *where, const char *name,
                            const char **out) {
  *out = "";
  const htri_t e = H5Aexists(obj, name);
  if (e < 0) return damaged(c->r->path, c->err, where, name);
  if (e == 0) return SYN_OK;
  syn_status st = SYN_OK;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  hid_t t = a < 0 ? -1 : H5Aget_type(a);
  hid_t sp = a < 0 ? -1 : H5Aget_space(a);
  if (a < 0 || t < 0 || sp < 0)
    st = h5_failed(c->r->path, c->err, "open attribute '%s' of '%s'", name, where);
  else if (H5Tget_class(t) != H5T_STRING || H5Sget_simple_extent_npoints(sp) != 1)
    st = bad_layout(c, "attribute '%s' of '%s' is not a single string", name, where);
  else {
    const int rc = syn_h5u_read_strings(a, 1, 1, c->r->arena, out);
    if (rc != 0) *out = "";
    if (rc == -2) st = no_memory(c);
    if (rc == -1) st = h5_failed(c->r->path, c->err, "read attribute '%s' of '%s'", name, where);
    if (rc <= -3)
      st = syn_h5u_strings_fail("result file", c->r->path, rc, c->err, "attribute '%s' of '%s'",
                                name, where);
  }
  if (sp >= 0) H5Sclose(sp);
  if (t >= 0) H5Tclose(t);
  if (a >= 0) H5Aclose(a);
  return st;
}

/* ---- the file ------------------------------------------------------------------------ */

/* Locking is off: a run file is never written in place (the writer renames
 * a finished file over it), so there is nothing to wait for, and locks fail
 * on some network file systems. */
static hid_t open_hdf5(const char *path, syn_h5u_open_failure *why) {
  hid_t f = -1;
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl >= 0 && H5Pset_file_locking(fapl, 0, 1) >= 0 &&
      H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) >= 0)
    f = syn_h5u_open_read(path, fapl, why);
  else
    syn_h5u_innermost(why->detail, sizeof why->detail);
  if (fapl >= 0) H5Pclose(fapl);
  return f;
}

static syn_status open_file(const rd *c) {
  syn_h5u_open_failure why = {0, 0, {0}};
  const char *path = c->r->path;
  c->r->file = open_hdf5(path, &why);
  if (why.errnum != 0)
    return syn_error_set(c->err, SYN_EIO, "cannot open result file '%s': %s", path,
                         strerror(why.errnum));
  if (why.not_hdf5)
    return syn_error_set(c->err, SYN_EIO, "result file '%s' is not an HDF5 file", path);
  if (c->r->file < 0)
    return syn_error_set(c->err, SYN_EIO, "result file '%s' is truncated or damaged (HDF5: %s)",
                         path, why.detail[0] ? why.detail : "cannot open it");
  const int status = has_object(c->r->file, "status", H5I_DATASET);
  const int arms = status < 0 ? 0 : has_object(c->r->file, "arms", H5I_GROUP);
  if (status < 0 || arms < 0)
    return damaged(path, c->err, "/", status < 0 ? "status" : "arms");
  if (status > 0)
    return syn_error_set(c->err, SYN_EINVAL,
                         "result file '%s' is a sweep file, not the result of a run", path);
  if (arms == 0)
    return syn_error_set(c->err, SYN_EINVAL,
                         "result file '%s' is not a synovia result: no group '/arms'", path);
  return SYN_OK;
}

static syn_status read_globals(const rd *c) {
  syn_h5_file_info *f = &c->r->info;
  const struct {
    const char *name;
    const char **out;
  } text[] = {
      {"title", &f->title},
      {"source", &f->source},
      {"synovia_version", &f->synovia_version},
      {"date_created", &f->created},
      {"command_line", &f->command_line},
      {"model_sha256", &f->model_sha256},
      {"model_file", &f->model_file},
      {"scenario_sha256", &f->scenario_sha256},
      {"scenario_file", &f->scenario_file},
  };
  syn_status st = SYN_OK;
  for (size_t i = 0; i < sizeof text / sizeof text[0] && st == SYN_OK; i++)
    st = attr_text(c, c->r->file, "/", text[i].name, text[i].out);
  return st;
}

/* What empty tables point at: never NULL. */
static const char *const no_strings[1] = {""};
static const double no_numbers[1] = {0};

/* /provenance/file and /provenance/text; none when the group is absent. */
static syn_status read_provenance(const rd *c) {
  syn_h5_file_info *f = &c->r->info;
  f->nfiles = 0;
  f->file_paths = f->file_texts = no_strings;
  const int has = has_object(c->r->file, "provenance", H5I_GROUP);
  if (has < 0) return damaged(c->r->path, c->err, "/", "provenance");
  if (has == 0 && H5Lexists(c->r->file, "provenance", H5P_DEFAULT) == 0) return SYN_OK;
  if (has == 0) return bad_layout(c, "'/provenance' is not a group");
  hid_t g = H5Gopen2(c->r->file, "provenance", H5P_DEFAULT);
  if (g < 0) return h5_failed(c->r->path, c->err, "open '/provenance'");
  size_t n = 0;
  syn_status st = read_texts(c, g, "/provenance", "file", &n, 1, &f->file_paths);
  if (st == SYN_OK) st = read_texts(c, g, "/provenance", "text", &n, 0, &f->file_texts);
  if (st == SYN_OK) f->nfiles = n;
  H5Gclose(g);
  return st;
}

/* ---- one arm ------------------------------------------------------------------------ */

/* An arm group being read: its handle, its path for messages, the open time
 * scale. */
typedef struct arm_ctx {
  hid_t g, dtime;
  char where[600];
  syn_h5_arm_info *a;
  syn_h5u_scale_refs refs; /* the datasets attached to dtime */
  const syn_h5_sens_info **sens; /* where the arm's sensitivities go (NULL: none) */
} arm_ctx;

static syn_status read_time(const rd *c, arm_ctx *x) {
  syn_h5_arm_info *a = x->a;
  const int has = has_object(x->g, "time", H5I_DATASET);
  if (has < 0) return damaged(c->r->path, c->err, x->where, "time");
  if (has == 0) return bad_layout(c, "arm '%s' has no 'time' dataset", a->name);
  syn_status st = read_numbers(c, x->g, x->where, "time", &a->ntimes, 1, &a->times);
  if (st == SYN_OK && (x->dtime = H5Dopen2(x->g, "time", H5P_DEFAULT)) < 0)
    st = h5_failed(c->r->path, c->err, "open '%s/time'", x->where);
  if (st == SYN_OK) st = attr_text(c, x->dtime, x->where, "units", &a->time_units);
  const int rc = st == SYN_OK ? syn_h5u_scale_refs_read(x->dtime, &x->refs) : 0;
  if (rc == -2) st = no_memory(c);
  if (rc == -1) st = damaged(c->r->path, c->err, x->where, "time");
  return st;
}

/* *is 1 when the dataset d is a series of the arm (*output: of kind output). */
static syn_status series_kind(const rd *c, const arm_ctx *x, hid_t d, int *is, int *output) {
  const char *kind = "";
  *is = *output = 0;
  if (dataset_class(d) != H5T_FLOAT || length_1d(d) < 0) return SYN_OK;
  syn_status st = attr_text(c, d, x->where, "kind", &kind);
  if (st != SYN_OK || (strcmp(kind, "state") != 0 && strcmp(kind, "output") != 0)) return st;
  const int attached = syn_h5u_scale_refs_has(&x->refs, d, 0);
  if (attached < 0) return damaged(c->r->path, c->err, x->where, "time");
  *is = attached > 0;
  *output = strcmp(kind, "output") == 0;
  return SYN_OK;
}

/* Takes the series of the arm from its links (in creation order). */
static syn_status read_series(const rd *c, arm_ctx *x) {
  syn_h5_arm_info *a = x->a;
  const char **links = NULL;
  size_t n = 0;
  const int rc = syn_h5u_link_names(x->g, c->r->arena, &n, &links);
  if (rc == -2) return no_memory(c);
  if (rc < 0) return h5_failed(c->r->path, c->err, "list '%s'", x->where);
  syn_status st = SYN_OK;
  const size_t m = n ? n : 1;
  const char **names = syn_arena_alloc(c->r->arena, m * sizeof *names);
  const char **units = syn_arena_alloc(c->r->arena, m * sizeof *units);
  const char **long_names = syn_arena_alloc(c->r->arena, m * sizeof *long_names);
  int *is_output = syn_arena_alloc(c->r->arena, m * sizeof *is_output);
  if (names == NULL || units == NULL || long_names == NULL || is_output == NULL)
    return no_memory(c);
  size_t nv = 0;
  for (size_t k = 0; k < n && st == SYN_OK; k++) {
    const int has = strcmp(links[k], "time") == 0 ? 0 : has_object(x->g, links[k], H5I_DATASET);
    if (has < 0) {
      st = damaged(c->r->path, c->err, x->where, links[k]);
      break;
    }
    if (has == 0) continue;
    hid_t d = H5Dopen2(x->g, links[k], H5P_DEFAULT);
    if (d < 0) {
      st = h5_failed(c->r->path, c->err, "open '%s/%s'", x->where, links[k]);
      break;
    }
    int series = 0, output = 0;
    st = series_kind(c, x, d, &series, &output);
    if (series > 0 && (size_t)length_1d(d) != a->ntimes)
      st = bad_layout(c, "'%s/%s' has %lld values but 'time' has %zu", x->where, links[k],
                      length_1d(d), a->ntimes);
    if (series > 0 && st == SYN_OK) st = attr_text(c, d, x->where, "units", &units[nv]);
    if (series > 0 && st == SYN_OK) st = attr_text(c, d, x->where, "long_name", &long_names[nv]);
    if (series > 0 && st == SYN_OK) {
      names[nv] = links[k];
      is_output[nv] = output;
      nv++;
    }
    H5Dclose(d);
  }
  if (st != SYN_OK) return st;
  a->nvars = nv;
  a->var_names = names;
  a->var_units = units;
  a->var_long_names = long_names;
  a->var_is_output = is_output;
  return SYN_OK;
}

/* param, param_value, param_units; an empty table when `param` is absent. */
static syn_status read_params(const rd *c, arm_ctx *x) {
  syn_h5_arm_info *a = x->a;
  a->nparams = 0;
  a->param_names = a->param_units = no_strings;
  a->param_values = no_numbers;
  const htri_t e = H5Lexists(x->g, "param", H5P_DEFAULT);
  if (e < 0) return damaged(c->r->path, c->err, x->where, "param");
  if (e == 0) return SYN_OK;
  size_t n = 0;
  syn_status st = read_texts(c, x->g, x->where, "param", &n, 1, &a->param_names);
  if (st == SYN_OK) st = read_numbers(c, x->g, x->where, "param_value", &n, 0, &a->param_values);
  if (st == SYN_OK) st = read_texts(c, x->g, x->where, "param_units", &n, 0, &a->param_units);
  if (st == SYN_OK) a->nparams = n;
  return st;
}

/* The table group `name` of the arm, opened into *g with its path in where; *g < 0 (and
 * SYN_OK) when the arm has none. */
static syn_status open_table(const rd *c, const arm_ctx *x, const char *name, hid_t *g,
                             char *where, size_t size) {
  *g = -1;
  const int has = has_object(x->g, name, H5I_GROUP);
  if (has < 0) return damaged(c->r->path, c->err, x->where, name);
  if (has == 0) return SYN_OK;
  snprintf(where, size, "%s/%s", x->where, name);
  *g = H5Gopen2(x->g, name, H5P_DEFAULT);
  return *g < 0 ? h5_failed(c->r->path, c->err, "open '%s'", where) : SYN_OK;
}

/* The doses/ group: time, amount, duration, route, target, joint, units. */
static syn_status read_doses(const rd *c, arm_ctx *x) {
  syn_h5_arm_info *a = x->a;
  a->ndoses = 0;
  a->dose_time = a->dose_amount = a->dose_duration = no_numbers;
  a->dose_route = a->dose_target = a->dose_joint = a->dose_units = no_strings;
  char where[620];
  hid_t g;
  syn_status st = open_table(c, x, "doses", &g, where, sizeof where);
  if (st != SYN_OK || g < 0) return st;
  size_t n = 0;
  st = read_numbers(c, g, where, "time", &n, 1, &a->dose_time);
  if (st == SYN_OK) st = read_numbers(c, g, where, "amount", &n, 0, &a->dose_amount);
  if (st == SYN_OK) st = read_numbers(c, g, where, "duration", &n, 0, &a->dose_duration);
  if (st == SYN_OK) st = read_texts(c, g, where, "route", &n, 0, &a->dose_route);
  if (st == SYN_OK) st = read_texts(c, g, where, "target", &n, 0, &a->dose_target);
  if (st == SYN_OK) st = read_texts(c, g, where, "joint", &n, 0, &a->dose_joint);
  if (st == SYN_OK) st = read_texts(c, g, where, "units", &n, 0, &a->dose_units);
  if (st == SYN_OK) a->ndoses = n;
  H5Gclose(g);
  return st;
}

/* The events/ group: time, name. */
static syn_status read_events(const rd *c, arm_ctx *x) {
  syn_h5_arm_info *a = x->a;
  a->nevents = 0;
  a->event_time = no_numbers;
  a->event_name = no_strings;
  char where[620];
  hid_t g;
  syn_status st = open_table(c, x, "events", &g, where, sizeof where);
  if (st != SYN_OK || g < 0) return st;
  size_t n = 0;
  st = read_numbers(c, g, where, "time", &n, 1, &a->event_time);
  if (st == SYN_OK) st = read_texts(c, g, where, "name", &n, 0, &a->event_name);
  if (st == SYN_OK) a->nevents = n;
  H5Gclose(g);
  return st;
}

/* metric (names), metric_value, metric_units, metric_description. */
static syn_status read_metrics(const rd *c, arm_ctx *x) {
  syn_h5_arm_info *a = x->a;
  a->nmetrics = 0;
  a->metric_names = a->metric_units = a->metric_descriptions = no_strings;
  a->metric_values = no_numbers;
  const int has = has_object(x->g, "metric", H5I_DATASET);
  if (has < 0) return damaged(c->r->path, c->err, x->where, "metric");
  if (has == 0) return SYN_OK;
  hid_t d = H5Dopen2(x->g, "metric", H5P_DEFAULT);
  const int names = d >= 0 && dataset_class(d) == H5T_STRING;
  if (d >= 0) H5Dclose(d);
  if (!names) return SYN_OK; /* a series called `metric` (see the file comment) */
  size_t n = 0;
  syn_status st = read_texts(c, x->g, x->where, "metric", &n, 1, &a->metric_names);
  if (st == SYN_OK) st = read_numbers(c, x->g, x->where, "metric_value", &n, 0, &a->metric_values);
  if (st == SYN_OK) st = read_texts(c, x->g, x->where, "metric_units", &n, 0, &a->metric_units);
  if (st == SYN_OK)
    st = read_texts(c, x->g, x->where, "metric_description", &n, 0, &a->metric_descriptions);
  if (st == SYN_OK) a->nmetrics = n;
  return st;
}

/* The shortest of %.15g, %.16g and %.17g that reads back as v (%.17g
 * always does): rtol 1e-06 shows as "1e-06", not "9.9999999999999995e-07". */
static void format_real(char *buf, size_t size, double v) {
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(buf, size, "%.*g", digits, v);
    if (strtod(buf, NULL) == v) return;
  }
}

/* The arm's attributes being read. */
typedef struct attr_table {
  const char **names, **texts;
  syn_h5_attr_kind *kinds;
  double *reals;
} attr_table;

/* One attribute of the arm group into row i of tab: *kept 0 when it is not
 * a single text, real or integer (then it is left out). */
static syn_status read_group_attr(const rd *c, const arm_ctx *x, hid_t at, const attr_table *tab,
                                  size_t i, int *kept) {
  const char **names = tab->names, **texts = tab->texts;
  syn_h5_attr_kind *kinds = tab->kinds;
  double *reals = tab->reals;
  char buf[64];
  *kept = 0;
  ssize_t len = H5Aget_name(at, 0, NULL);
  hid_t t = H5Aget_type(at), sp = H5Aget_space(at);
  syn_status st = SYN_OK;
  if (len < 0 || t < 0 || sp < 0) {
    st = h5_failed(c->r->path, c->err, "read the attributes of '%s'", x->where);
    goto done;
  }
  const H5T_class_t cls = H5Tget_class(t);
  if (H5Sget_simple_extent_npoints(sp) != 1 ||
      (cls != H5T_STRING && cls != H5T_FLOAT && cls != H5T_INTEGER))
    goto done;
  char *name = syn_arena_alloc(c->r->arena, (size_t)len + 1);
  if (name == NULL) {
    st = no_memory(c);
    goto done;
  }
  if (H5Aget_name(at, (size_t)len + 1, name) < 0) {
    st = h5_failed(c->r->path, c->err, "read the attributes of '%s'", x->where);
    goto done;
  }
  names[i] = name;
  if (cls == H5T_STRING) {
    kinds[i] = SYN_H5_ATTR_TEXT;
    reals[i] = NAN;
    int rc = syn_h5u_read_strings(at, 1, 1, c->r->arena, &texts[i]);
    if (rc == -2) st = no_memory(c);
    if (rc == -1)
      st = h5_failed(c->r->path, c->err, "read attribute '%s' of '%s'", name, x->where);
    if (rc <= -3)
      st = syn_h5u_strings_fail("result file", c->r->path, rc, c->err, "attribute '%s' of '%s'",
                                name, x->where);
  } else if (cls == H5T_FLOAT) {
    kinds[i] = SYN_H5_ATTR_REAL;
    if (H5Aread(at, H5T_NATIVE_DOUBLE, &reals[i]) < 0)
      st = h5_failed(c->r->path, c->err, "read attribute '%s' of '%s'", name, x->where);
    format_real(buf, sizeof buf, reals[i]);
  } else {
    long long v = 0;
    kinds[i] = SYN_H5_ATTR_INTEGER;
    if (H5Aread(at, H5T_NATIVE_LLONG, &v) < 0)
      st = h5_failed(c->r->path, c->err, "read attribute '%s' of '%s'", name, x->where);
    reals[i] = (double)v;
    snprintf(buf, sizeof buf, "%lld", v);
  }
  if (st == SYN_OK && cls != H5T_STRING && (texts[i] = syn_arena_strdup(c->r->arena, buf)) == NULL)
    st = no_memory(c);
  *kept = st == SYN_OK;
done:
  if (sp >= 0) H5Sclose(sp);
  if (t >= 0) H5Tclose(t);
  return st;
}

/* The arm group's attributes in creation order (name order when the group
 * does not track it). */
static syn_status read_group_attrs(const rd *c, arm_ctx *x) {
  syn_h5_arm_info *a = x->a;
#if H5_VERSION_GE(1, 12, 0)
  H5O_info2_t oi;
  if (H5Oget_info3(x->g, &oi, H5O_INFO_NUM_ATTRS) < 0)
#else
  H5O_info_t oi;
  if (H5Oget_info2(x->g, &oi, H5O_INFO_NUM_ATTRS) < 0)
#endif
    return h5_failed(c->r->path, c->err, "read the attributes of '%s'", x->where);
  const size_t n = (size_t)oi.num_attrs, m = n ? n : 1;
  const attr_table tab = {syn_arena_alloc(c->r->arena, m * sizeof *tab.names),
                          syn_arena_alloc(c->r->arena, m * sizeof *tab.texts),
                          syn_arena_alloc(c->r->arena, m * sizeof *tab.kinds),
                          syn_arena_alloc(c->r->arena, m * sizeof *tab.reals)};
  if (tab.names == NULL || tab.texts == NULL || tab.kinds == NULL || tab.reals == NULL)
    return no_memory(c);
  a->attr_names = tab.names;
  a->attr_texts = tab.texts;
  a->attr_kinds = tab.kinds;
  a->attr_reals = tab.reals;
  H5_index_t order = H5_INDEX_CRT_ORDER;
  hid_t at = n ? H5Aopen_by_idx(x->g, ".", order, H5_ITER_INC, 0, H5P_DEFAULT, H5P_DEFAULT) : -1;
  if (n && at < 0) order = H5_INDEX_NAME; /* creation order not tracked */
  syn_status st = SYN_OK;
  size_t kept = 0;
  for (size_t k = 0; k < n && st == SYN_OK; k++) {
    if (at < 0)
      at = H5Aopen_by_idx(x->g, ".", order, H5_ITER_INC, k, H5P_DEFAULT, H5P_DEFAULT);
    if (at < 0) {
      st = h5_failed(c->r->path, c->err, "read the attributes of '%s'", x->where);
      break;
    }
    int keep = 0;
    st = read_group_attr(c, x, at, &tab, kept, &keep);
    kept += (size_t)keep;
    H5Aclose(at);
    at = -1;
  }
  if (at >= 0) H5Aclose(at);
  a->nattrs = kept;
  return st;
}

/* ---- sensitivities/ --------------------------------------------------------------- */

/* The dimensions of a 2-D floating-point dataset; 0, or -1 when it is not one. */
static int dims_2d(hid_t d, hsize_t dims[2]) {
  hid_t sp = H5Dget_space(d);
  const int rank = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
  int rc = rank == 2 && dataset_class(d) == H5T_FLOAT ? 0 : -1;
  if (rc == 0 && H5Sget_simple_extent_dims(sp, dims, NULL) < 0) rc = -1;
  if (sp >= 0) H5Sclose(sp);
  return rc;
}

/* Opens loc/name, which must be a float64 (rows x cols) dataset. */
static hid_t open_matrix(const rd *c, hid_t loc, const char *where, const char *name,
                         size_t rows, size_t cols, syn_status *st) {
  hsize_t dims[2] = {0, 0};
  *st = SYN_OK;
  const int has = has_object(loc, name, H5I_DATASET);
  if (has <= 0) {
    *st = has < 0 ? damaged(c->r->path, c->err, where, name)
                  : bad_layout(c, "no dataset '%s/%s'", where, name);
    return -1;
  }
  hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
  if (d < 0)
    *st = h5_failed(c->r->path, c->err, "open '%s/%s'", where, name);
  else if (dims_2d(d, dims) != 0)
    *st = bad_layout(c, "'%s/%s' is not a 2-D dataset of numbers", where, name);
  else if (dims[0] != rows || dims[1] != cols)
    *st = bad_layout(c, "'%s/%s' is %llu x %llu, not %zu x %zu", where, name,
                     (unsigned long long)dims[0], (unsigned long long)dims[1], rows, cols);
  if (*st != SYN_OK && d >= 0) {
    H5Dclose(d);
    d = -1;
  }
  return d;
}

/* A (rows x cols) float dataset into out (or into the arena when *out is NULL). */
static syn_status read_matrix(const rd *c, hid_t loc, const char *where, const char *name,
                              size_t rows, size_t cols, double **out) {
  syn_status st;
  hid_t d = open_matrix(c, loc, where, name, rows, cols, &st);
  if (d < 0) return st;
  const size_t cells = rows * cols;
  if (*out == NULL && (*out = syn_arena_alloc(c->r->arena, (cells > 0 ? cells : 1) *
                                                              sizeof **out)) == NULL)
    st = no_memory(c);
  else if (syn_h5u_storage_complete(d) != 1)
    st = incomplete(c->r->path, c->err, where, name);
  else if (cells > 0 && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) < 0)
    st = h5_failed(c->r->path, c->err, "read '%s/%s'", where, name);
  H5Dclose(d);
  return st;
}

/* Which series have a (param x time) dataset in g (of that shape, or the file is wrong). */
static syn_status read_sens_vars(const rd *c, const arm_ctx *x, hid_t g, const char *where,
                                 syn_h5_sens_info *s) {
  const syn_h5_arm_info *a = x->a;
  int *has = syn_arena_alloc(c->r->arena, (a->nvars ? a->nvars : 1) * sizeof *has);
  if (has == NULL) return no_memory(c);
  syn_status st = SYN_OK;
  for (size_t v = 0; v < a->nvars && st == SYN_OK; v++) {
    has[v] = has_object(g, a->var_names[v], H5I_DATASET);
    if (has[v] < 0) st = damaged(c->r->path, c->err, where, a->var_names[v]);
    if (has[v] <= 0) continue;
    hid_t d = open_matrix(c, g, where, a->var_names[v], s->nparams, a->ntimes, &st);
    if (d >= 0) H5Dclose(d);
  }
  s->var_has = has;
  return st;
}

/* metric_gradient and metric_gradient_log, when there (over the arm's metrics). */
static syn_status read_sens_gradients(const rd *c, const arm_ctx *x, hid_t g, const char *where,
                                      syn_h5_sens_info *s) {
  const int has = has_object(g, "metric_gradient", H5I_DATASET);
  if (has < 0) return damaged(c->r->path, c->err, where, "metric_gradient");
  if (has == 0) return SYN_OK;
  double *raw = NULL, *lg = NULL;
  syn_status st = read_matrix(c, g, where, "metric_gradient", x->a->nmetrics, s->nparams, &raw);
  if (st == SYN_OK)
    st = read_matrix(c, g, where, "metric_gradient_log", x->a->nmetrics, s->nparams, &lg);
  if (st != SYN_OK) return st;
  s->nmetrics = x->a->nmetrics;
  s->metric_gradient = raw;
  s->metric_gradient_log = lg;
  return SYN_OK;
}

/* The group sensitivities/ of the arm: param, param_value, param_units, which
 * series have them, the metric gradients. *x->sens stays NULL without it. */
static syn_status read_sensitivities(const rd *c, arm_ctx *x) {
  *x->sens = NULL;
  const int has = has_object(x->g, "sensitivities", H5I_GROUP);
  if (has < 0) return damaged(c->r->path, c->err, x->where, "sensitivities");
  if (has == 0) return SYN_OK;
  char where[620];
  snprintf(where, sizeof where, "%s/sensitivities", x->where);
  syn_h5_sens_info *s = syn_arena_alloc(c->r->arena, sizeof *s);
  if (s == NULL) return no_memory(c);
  memset(s, 0, sizeof *s);
  s->metric_gradient = s->metric_gradient_log = no_numbers;
  hid_t g = H5Gopen2(x->g, "sensitivities", H5P_DEFAULT);
  if (g < 0) return h5_failed(c->r->path, c->err, "open '%s'", where);
  size_t n = 0;
  syn_status st = read_texts(c, g, where, "param", &n, 1, &s->param_names);
  if (st == SYN_OK) st = read_numbers(c, g, where, "param_value", &n, 0, &s->param_values);
  if (st == SYN_OK) st = read_texts(c, g, where, "param_units", &n, 0, &s->param_units);
  s->nparams = n;
  if (st == SYN_OK) st = read_sens_vars(c, x, g, where, s);
  if (st == SYN_OK) st = read_sens_gradients(c, x, g, where, s);
  H5Gclose(g);
  if (st == SYN_OK) *x->sens = s;
  return st;
}

static syn_status read_arm(const rd *c, hid_t garms, const char *name, syn_h5_arm_info *a,
                           const syn_h5_sens_info **sens) {
  arm_ctx x = {-1, -1, {0}, a, {0, NULL, -1}, sens};
  snprintf(x.where, sizeof x.where, "/arms/%s", name);
  a->name = name;
  a->time_units = "";
  const int has = has_object(garms, name, H5I_GROUP);
  if (has < 0) return damaged(c->r->path, c->err, "/arms", name);
  if (has == 0) return bad_layout(c, "'%s' is not a group", x.where);
  syn_status st = SYN_OK;
  if ((x.g = H5Gopen2(garms, name, H5P_DEFAULT)) < 0)
    st = h5_failed(c->r->path, c->err, "open '%s'", x.where);
  if (st == SYN_OK) st = read_time(c, &x);
  if (st == SYN_OK) st = read_series(c, &x);
  if (st == SYN_OK) st = read_params(c, &x);
  if (st == SYN_OK) st = read_doses(c, &x);
  if (st == SYN_OK) st = read_events(c, &x);
  if (st == SYN_OK) st = read_metrics(c, &x);
  if (st == SYN_OK) st = read_group_attrs(c, &x);
  if (st == SYN_OK) st = read_sensitivities(c, &x);
  syn_h5u_scale_refs_free(&x.refs);
  if (x.dtime >= 0) H5Dclose(x.dtime);
  if (x.g >= 0) H5Gclose(x.g);
  return st;
}

static syn_status read_arms(const rd *c) {
  syn_h5_reader *r = c->r;
  const char **names = NULL;
  size_t n = 0;
  hid_t garms = H5Gopen2(r->file, "arms", H5P_DEFAULT);
  if (garms < 0) return h5_failed(r->path, c->err, "open '/arms'");
  const int rc = syn_h5u_link_names(garms, r->arena, &n, &names);
  syn_status st = rc == -2 ? no_memory(c)
                  : rc < 0 ? h5_failed(r->path, c->err, "list '/arms'")
                           : SYN_OK;
  if (st == SYN_OK && ((r->arms = syn_arena_alloc(r->arena, (n ? n : 1) * sizeof *r->arms)) == NULL ||
                        (r->sens = syn_arena_alloc(r->arena, (n ? n : 1) * sizeof *r->sens)) == NULL))
    st = no_memory(c);
  for (size_t k = 0; k < n && st == SYN_OK; k++)
    st = read_arm(c, garms, names[k], &r->arms[k], &r->sens[k]);
  if (st == SYN_OK) r->info.narms = n;
  H5Gclose(garms);
  return st;
}

/* ---- the reader -------------------------------------------------------------------- */

static syn_status read_file(const rd *c) {
  syn_status st = open_file(c);
  if (st == SYN_OK) st = read_globals(c);
  if (st == SYN_OK) st = read_provenance(c);
  if (st == SYN_OK) st = read_arms(c);
  return st;
}

syn_status syn_h5_open(const char *path, syn_h5_reader **out, syn_error *err) {
  if (out == NULL) return syn_error_set(err, SYN_EINVAL, "result file: no place for the reader");
  *out = NULL;
  if (path == NULL || path[0] == 0)
    return syn_error_set(err, SYN_EINVAL, "result file: empty file name");
  syn_status st = SYN_OK;
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  syn_h5_reader *r = syn_calloc(1, sizeof *r);
  if (r != NULL) {
    r->file = -1;
    r->arena = syn_arena_create();
    r->path = r->arena ? syn_arena_strdup(r->arena, path) : NULL;
  }
  if (r == NULL || r->arena == NULL || r->path == NULL) {
    st = syn_error_set(err, SYN_ENOMEM, "result file '%s': out of memory", path);
  } else {
    const rd c = {r, err};
    st = read_file(&c);
  }
  if (st != SYN_OK) {
    syn_h5_reader_destroy(r);
    r = NULL;
  }
  syn_h5u_quiet_end(&q);
  *out = r;
  return st;
}

void syn_h5_reader_destroy(syn_h5_reader *r) {
  if (r == NULL) return;
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  if (r->file >= 0) H5Fclose(r->file);
  syn_h5u_quiet_end(&q);
  syn_arena_destroy(r->arena);
  syn_free(r);
}

const syn_h5_file_info *syn_h5_reader_file(const syn_h5_reader *r) {
  return r ? &r->info : NULL;
}

const syn_h5_arm_info *syn_h5_reader_arm(const syn_h5_reader *r, size_t i) {
  return r != NULL && i < r->info.narms ? &r->arms[i] : NULL;
}

/* Reads arms/<arm>/<var> whole into out, after checking it still has ntimes
 * values (the file may have been replaced since it was opened). */
static syn_status read_series_values(const syn_h5_reader *r, const syn_h5_arm_info *a,
                                     size_t var, double *out, syn_error *err) {
  const char *name = a->var_names[var];
  syn_status st = SYN_OK;
  hid_t garms = H5Gopen2(r->file, "arms", H5P_DEFAULT);
  hid_t g = garms < 0 ? -1 : H5Gopen2(garms, a->name, H5P_DEFAULT);
  hid_t d = g < 0 ? -1 : H5Dopen2(g, name, H5P_DEFAULT);
  if (d < 0)
    st = h5_failed(r->path, err, "open '/arms/%s/%s'", a->name, name);
  else if (length_1d(d) < 0 || (size_t)length_1d(d) != a->ntimes)
    st = syn_error_set(err, SYN_EINVAL, "result file '%s': '/arms/%s/%s' no longer has %zu values",
                       r->path, a->name, name, a->ntimes);
  else if (syn_h5u_storage_complete(d) != 1)
    st = syn_error_set(err, SYN_EIO,
                       "result file '%s' is damaged: '/arms/%s/%s' lacks some of its stored data "
                       "(its chunk index is damaged)", r->path, a->name, name);
  else if (a->ntimes > 0 && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
    st = h5_failed(r->path, err, "read '/arms/%s/%s'", a->name, name);
  if (d >= 0) H5Dclose(d);
  if (g >= 0) H5Gclose(g);
  if (garms >= 0) H5Gclose(garms);
  return st;
}

syn_status syn_h5_read_var(syn_h5_reader *r, size_t arm, size_t var, double *out,
                           syn_error *err) {
  if (r == NULL) return syn_error_set(err, SYN_EINVAL, "result file: NULL reader");
  if (arm >= r->info.narms)
    return syn_error_set(err, SYN_EINVAL, "result file '%s': arm %zu is out of range (%zu arms)",
                         r->path, arm, r->info.narms);
  const syn_h5_arm_info *a = &r->arms[arm];
  if (var >= a->nvars)
    return syn_error_set(err, SYN_EINVAL,
                         "result file '%s': variable %zu is out of range (arm '%s' has %zu)",
                         r->path, var, a->name, a->nvars);
  if (out == NULL && a->ntimes > 0)
    return syn_error_set(err, SYN_EINVAL, "result file '%s': no buffer for the values", r->path);
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  syn_status st = read_series_values(r, a, var, out, err);
  syn_h5u_quiet_end(&q);
  return st;
}

const syn_h5_sens_info *syn_h5_reader_sens(const syn_h5_reader *r, size_t arm) {
  return r != NULL && arm < r->info.narms ? r->sens[arm] : NULL;
}

/* Reads /arms/<arm>/sensitivities[/log]/<var> whole into out. */
static syn_status read_sens_values(const syn_h5_reader *r, const syn_h5_arm_info *a,
                                   const syn_h5_sens_info *s, size_t var, int normalised,
                                   double *out, syn_error *err) {
  char where[620];
  snprintf(where, sizeof where, "/arms/%s/sensitivities%s", a->name, normalised ? "/log" : "");
  const rd c = {(syn_h5_reader *)r, err};
  hid_t g = H5Gopen2(r->file, where, H5P_DEFAULT);
  if (g < 0) return h5_failed(r->path, err, "open '%s'", where);
  double *buf = out;
  syn_status st = read_matrix(&c, g, where, a->var_names[var], s->nparams, a->ntimes, &buf);
  H5Gclose(g);
  return st;
}

syn_status syn_h5_read_sens(syn_h5_reader *r, size_t arm, size_t var, int normalised,
                            double *out, syn_error *err) {
  if (r == NULL) return syn_error_set(err, SYN_EINVAL, "result file: NULL reader");
  if (arm >= r->info.narms)
    return syn_error_set(err, SYN_EINVAL, "result file '%s': arm %zu is out of range (%zu arms)",
                         r->path, arm, r->info.narms);
  const syn_h5_arm_info *a = &r->arms[arm];
  const syn_h5_sens_info *s = r->sens[arm];
  if (var >= a->nvars)
    return syn_error_set(err, SYN_EINVAL,
                         "result file '%s': variable %zu is out of range (arm '%s' has %zu)",
                         r->path, var, a->name, a->nvars);
  if (s == NULL || !s->var_has[var])
    return syn_error_set(err, SYN_EINVAL, "result file '%s': arm '%s' has no sensitivities of '%s'",
                         r->path, a->name, a->var_names[var]);
  if (out == NULL && a->ntimes * s->nparams > 0)
    return syn_error_set(err, SYN_EINVAL, "result file '%s': no buffer for the values", r->path);
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  syn_status st = read_sens_values(r, a, s, var, normalised != 0, out, err);
  syn_h5u_quiet_end(&q);
  return st;
}

/* ---- probe -------------------------------------------------------------------------- */

/* A probe that found /status or /arms named but unreadable. */
static syn_status probe_damaged(const char *path, const char *name, syn_error *err) {
  char detail[256];
  syn_h5u_innermost(detail, sizeof detail);
  return syn_error_set(err, SYN_EIO, "'%s' is damaged: cannot read '/%s'%s%s%s", path, name,
                       detail[0] ? " (HDF5: " : "", detail, detail[0] ? ")" : "");
}

syn_status syn_h5_probe(const char *path, syn_h5_kind *kind, syn_error *err) {
  if (kind == NULL) return syn_error_set(err, SYN_EINVAL, "probe: no place for the kind");
  *kind = 0;
  if (path == NULL || path[0] == 0) return syn_error_set(err, SYN_EINVAL, "probe: empty file name");
  syn_h5u_open_failure why = {0, 0, {0}};
  syn_status st = SYN_OK;
  int status = 0, arms = 0;
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  hid_t f = open_hdf5(path, &why);
  if (why.errnum != 0)
    st = syn_error_set(err, SYN_EIO, "cannot open '%s': %s", path, strerror(why.errnum));
  else if (why.not_hdf5)
    st = syn_error_set(err, SYN_EIO, "'%s' is not an HDF5 file", path);
  else if (f < 0)
    st = syn_error_set(err, SYN_EIO, "'%s' is truncated or damaged (HDF5: %s)", path,
                       why.detail[0] ? why.detail : "cannot open it");
  else if ((status = has_object(f, "status", H5I_DATASET)) < 0 ||
           (status == 0 && (arms = has_object(f, "arms", H5I_GROUP)) < 0))
    st = probe_damaged(path, status < 0 ? "status" : "arms", err);
  else if (status > 0) /* a sweep file has /arms too */
    *kind = SYN_H5_SWEEP;
  else if (arms > 0)
    *kind = SYN_H5_RUN;
  else
    st = syn_error_set(err, SYN_EINVAL,
                       "'%s' is not a synovia result: it has neither /arms nor /status", path);
  if (f >= 0) H5Fclose(f);
  syn_h5u_quiet_end(&q);
  return st;
}
