/* synovia — helpers shared by the HDF5 writers and readers (io layer, internal): the
 * HDF5 error stack kept quiet and turned into syn_error, NetCDF-4 compatible
 * groups and datasets (creation order, shuffle + deflate, NaN fill, chunks
 * <= 1 MiB), variable-length UTF-8 attributes, the root attributes and
 * /provenance group every synovia file has, and the durable write + rename of
 * the tmp file; for the readers, opening a file with one clear reason when it
 * cannot be, strings and link names read into an arena. Used by h5.c (run
 * and scenario files), h5read.c, and the sweep files' h5sweep.c,
 * h5sweep_read.c, h5sweep_rows.c and h5sweep_merge.c. See src/io/h5util.h. */
#include "io/h5util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hdf5_hl.h>

#include "base/alloc.h"
#include "synovia/version.h"

/* Chunks of at most 1 MiB: the default HDF5/h5py chunk cache [hdfgroup2021]. */
enum { CHUNK_MAX_BYTES = 1 << 20, DEFLATE_LEVEL = 1 };

/* ---- the HDF5 error stack -------------------------------------------------------- */

void syn_h5u_quiet_begin(syn_h5u_quiet *q) {
  q->saved = H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data) >= 0;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void syn_h5u_quiet_end(const syn_h5u_quiet *q) {
  if (q->saved) H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

typedef struct h5_detail {
  char text[256];
} h5_detail;

/* Walked upward, entry 0 is the innermost error: the most specific one. */
static herr_t keep_innermost(unsigned n, const H5E_error2_t *e, void *data) {
  h5_detail *d = data;
  if (n == 0 && e->desc != NULL) snprintf(d->text, sizeof d->text, "%s", e->desc);
  return 0;
}

void syn_h5u_innermost(char *buf, size_t size) {
  h5_detail d = {{0}};
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_innermost, &d);
  if (size > 0) snprintf(buf, size, "%s", d.text);
}

syn_status syn_h5u_failv(const char *noun, const char *path, syn_error *err, const char *fmt,
                         va_list ap) {
  char what[600], detail[256];
  vsnprintf(what, sizeof what, fmt, ap);
  syn_h5u_innermost(detail, sizeof detail);
  if (detail[0])
    return syn_error_set(err, SYN_EIO, "%s '%s': cannot %s (HDF5: %s)", noun, path, what,
                         detail);
  return syn_error_set(err, SYN_EIO, "%s '%s': cannot %s", noun, path, what);
}

syn_status syn_h5u_fail(const char *path, syn_error *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  syn_status st = syn_h5u_failv("HDF5 output", path, err, fmt, ap);
  va_end(ap);
  return st;
}

/* ---- small writers; each returns < 0 on failure and closes what it opened ------ */

hid_t syn_h5u_utf8_vlen_type(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t < 0) return t;
  if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
    H5Tclose(t);
    return -1;
  }
  return t;
}

/* A scalar attribute of file type ftype, written from memory type mtype. */
herr_t syn_h5u_attr_scalar(hid_t obj, const char *name, hid_t ftype, hid_t mtype,
                          const void *value) {
  herr_t rc = -1;
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = sp < 0 ? -1 : H5Acreate2(obj, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
  if (a >= 0) rc = H5Awrite(a, mtype, value);
  if (a >= 0 && H5Aclose(a) < 0) rc = -1;
  if (sp >= 0) H5Sclose(sp);
  return rc;
}

/* Variable-length UTF-8 scalar: h5py reads it as str, netCDF as NC_STRING. */
herr_t syn_h5u_attr_string(hid_t obj, const char *name, const char *value) {
  hid_t t = syn_h5u_utf8_vlen_type();
  if (t < 0) return -1;
  const char *v = value ? value : "";
  herr_t rc = syn_h5u_attr_scalar(obj, name, t, t, &v);
  H5Tclose(t);
  return rc;
}

herr_t syn_h5u_attr_double(hid_t obj, const char *name, double value) {
  return syn_h5u_attr_scalar(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

herr_t syn_h5u_attr_int64(hid_t obj, const char *name, long long value) {
  return syn_h5u_attr_scalar(obj, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, &value);
}

/* Units as CF wants them: "1" for dimensionless. */
const char *syn_h5u_cf_units(const char *units) {
  return (units == NULL || units[0] == 0) ? "1" : units;
}

/* Group creation properties with link + attribute creation order. */
hid_t syn_h5u_ordered_gcpl(void) {
  hid_t p = H5Pcreate(H5P_GROUP_CREATE);
  if (p < 0) return p;
  unsigned flags = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  if (H5Pset_link_creation_order(p, flags) < 0 || H5Pset_attr_creation_order(p, flags) < 0) {
    H5Pclose(p);
    return -1;
  }
  return p;
}

hid_t syn_h5u_create_group(hid_t loc, const char *name) {
  hid_t p = syn_h5u_ordered_gcpl();
  if (p < 0) return -1;
  hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, p, H5P_DEFAULT);
  H5Pclose(p);
  return g;
}

/* Chunk shape of at most 1 MiB of doubles: the last axis first (whole rows
 * when they fit), then as many rows as fit. */
void syn_h5u_chunk_shape(int rank, const hsize_t *dims, hsize_t *chunk) {
  hsize_t room = CHUNK_MAX_BYTES / sizeof(double);
  for (int k = rank; k-- > 0;) {
    chunk[k] = dims[k] < room ? dims[k] : room;
    room /= chunk[k];
    if (room == 0) room = 1;
  }
}

/* Dataset creation properties: attribute creation order always; for float64
 * data with no empty axis also chunks <= 1 MiB, shuffle + deflate(1) and a NaN
 * fill value. (Filters need chunks and chunks need every axis > 0, so an empty
 * series is stored contiguous; it still gets the NaN fill value.) */
hid_t syn_h5u_dataset_dcpl(int is_f64, int rank, const hsize_t *dims) {
  hid_t p = H5Pcreate(H5P_DATASET_CREATE);
  if (p < 0) return p;
  if (H5Pset_attr_creation_order(p, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0)
    goto fail;
  if (is_f64) {
    double fill = NAN;
    if (H5Pset_fill_value(p, H5T_NATIVE_DOUBLE, &fill) < 0) goto fail;
    hsize_t n = 1;
    for (int k = 0; k < rank; k++) n *= dims[k];
    if (n > 0) {
      hsize_t chunk[2];
      syn_h5u_chunk_shape(rank, dims, chunk);
      if (H5Pset_chunk(p, rank, chunk) < 0 || H5Pset_shuffle(p) < 0 ||
          H5Pset_deflate(p, DEFLATE_LEVEL) < 0)
        goto fail;
    }
  }
  return p;
fail:
  H5Pclose(p);
  return -1;
}

/* The fill value "" for a variable-length string dataset. Without one HDF5
 * fills with NULL strings, on which rhdf5 2.42 and ncdf4 1.21 crash reading
 * the data and h5py 3.7 reading .fillvalue. */
herr_t syn_h5u_set_empty_string_fill(hid_t dcpl) {
  static const char *const empty = "";
  hid_t t = syn_h5u_utf8_vlen_type();
  if (t < 0) return -1;
  herr_t rc = H5Pset_fill_value(dcpl, t, &empty);
  H5Tclose(t);
  return rc;
}

/* A dataset of rank 1 or 2 written from buf (which may be NULL when it is
 * empty). String and integer datasets are left contiguous: filters would
 * compress only the heap references of variable-length strings, and the
 * integer ones are short indices. Returns the open dataset or < 0. */
hid_t syn_h5u_write_nd(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int is_f64,
                      int rank, const hsize_t *dims, const void *buf) {
  hid_t d = -1;
  hsize_t n = 1;
  for (int k = 0; k < rank; k++) n *= dims[k];
  hid_t sp = H5Screate_simple(rank, dims, NULL);
  hid_t p = syn_h5u_dataset_dcpl(is_f64, rank, dims);
  if (p >= 0 && H5Tis_variable_str(ftype) > 0 && syn_h5u_set_empty_string_fill(p) < 0) {
    H5Pclose(p);
    p = -1;
  }
  if (sp >= 0 && p >= 0) d = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, p, H5P_DEFAULT);
  if (d >= 0 && n > 0 && H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
    H5Dclose(d);
    d = -1;
  }
  if (p >= 0) H5Pclose(p);
  if (sp >= 0) H5Sclose(sp);
  return d;
}

hid_t syn_h5u_write_1d(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int is_f64,
                      size_t n, const void *buf) {
  hsize_t dim = n;
  return syn_h5u_write_nd(loc, name, ftype, mtype, is_f64, 1, &dim, buf);
}

hid_t syn_h5u_write_f64(hid_t loc, const char *name, size_t n, const double *v) {
  return syn_h5u_write_1d(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, n, v);
}

hid_t syn_h5u_write_i64(hid_t loc, const char *name, size_t n, const long long *v) {
  return syn_h5u_write_1d(loc, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, 0, n, v);
}

static int any_null(size_t n, const char *const *v) {
  for (size_t i = 0; i < n; i++)
    if (v == NULL || v[i] == NULL) return 1;
  return 0;
}

/* NULL entries (and a NULL list) are written as "": never a NULL string in a
 * file (syn_h5u_set_empty_string_fill says why). Only a list with a NULL in
 * it is copied. */
hid_t syn_h5u_write_strings(hid_t loc, const char *name, size_t n, const char *const *v) {
  const char **copy = NULL;
  if (any_null(n, v)) {
    if ((copy = syn_calloc(n, sizeof *copy)) == NULL) return -1;
    for (size_t i = 0; i < n; i++) copy[i] = v != NULL && v[i] != NULL ? v[i] : "";
  }
  hid_t t = syn_h5u_utf8_vlen_type();
  hid_t d = t < 0 ? -1 : syn_h5u_write_1d(loc, name, t, t, 0, n, copy ? copy : v);
  if (t >= 0) H5Tclose(t);
  syn_free(copy);
  return d;
}

/* A float64 data variable: _FillValue = NaN of the dataset's own type. */
herr_t syn_h5u_attr_nan_fill(hid_t d) { return syn_h5u_attr_double(d, "_FillValue", NAN); }

char *syn_h5u_dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (slash == NULL) return syn_strdup(".");
  if (slash == path) return syn_strdup("/");
  return syn_strndup(path, (size_t)(slash - path));
}

void syn_h5u_iso8601_now(char *buf, size_t size) {
  time_t now = time(NULL);
  struct tm tmv;
  if (gmtime_r(&now, &tmv) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tmv) == 0)
    snprintf(buf, size, "unknown");
}

/* The root model file: the first file, or the second when the first is the
 * scenario (a scenario run lists its own text first, then the model's). */
/* The model's root file: the first file, or the one after the scenario (a
 * scenario lists its model next; a sweep lists itself, its design file and
 * then its scenario). */
static const char *syn_h5u_model_root(const syn_provenance *prov) {
  size_t first = 0;
  if (prov->nfiles == 0 || prov->file_paths == NULL) return "";
  for (size_t i = 0; prov->scenario_file != NULL && prov->scenario_file[0] != 0 && i < prov->nfiles;
       i++)
    if (prov->file_paths[i] != NULL && strcmp(prov->file_paths[i], prov->scenario_file) == 0) {
      first = i + 1;
      break;
    }
  if (first >= prov->nfiles || prov->file_paths[first] == NULL) return "";
  return prov->file_paths[first];
}

syn_status syn_h5u_write_globals(hid_t file, const char *path, const syn_provenance *prov,
                                 syn_error *err) {
  char source[256], now[64];
  snprintf(source, sizeof source, "synovia %s", syn_version());
  const char *created = prov->created;
  if (created == NULL) {
    syn_h5u_iso8601_now(now, sizeof now);
    created = now;
  }
  const int scenario = prov->scenario_file != NULL && prov->scenario_file[0] != 0;
  const struct {
    const char *key, *value;
  } attrs[] = {
      {"Conventions", "CF-1.8"},
      {"title", prov->title},
      {"source", source},
      {"synovia_version", syn_version()},
      {"date_created", created},
      {"command_line", prov->command_line},
      {"model_sha256", prov->model_sha256},
      {"model_file", syn_h5u_model_root(prov)},
      {"scenario_sha256", prov->scenario_sha256},
      {"scenario_file", prov->scenario_file},
  };
  for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
    /* the scenario's attributes only when the run came from one */
    if (strncmp(attrs[i].key, "scenario_", 9) == 0 &&
        (!scenario || attrs[i].value == NULL || attrs[i].value[0] == 0))
      continue;
    if (syn_h5u_attr_string(file, attrs[i].key, attrs[i].value) < 0)
      return syn_h5u_fail(path, err, "write global attribute '%s'", attrs[i].key);
  }
  return SYN_OK;
}

/* /provenance/file: dimension scale of paths; /provenance/text attached. */
syn_status syn_h5u_write_provenance(hid_t file, const char *path, const syn_provenance *prov,
                                    syn_error *err) {
  syn_status st = SYN_OK;
  hid_t g = -1, dfile = -1, dtext = -1;
  const char **paths = syn_calloc(prov->nfiles ? prov->nfiles : 1, sizeof *paths);
  const char **texts = syn_calloc(prov->nfiles ? prov->nfiles : 1, sizeof *texts);
  if (paths == NULL || texts == NULL) {
    st = syn_error_set(err, SYN_ENOMEM, "HDF5 output '%s': out of memory", path);
    goto done;
  }
  for (size_t i = 0; i < prov->nfiles; i++) { /* NULL entries are written as "" */
    paths[i] = prov->file_paths[i] ? prov->file_paths[i] : "";
    texts[i] = prov->file_texts[i] ? prov->file_texts[i] : "";
  }
  if ((g = syn_h5u_create_group(file, "provenance")) < 0) {
    st = syn_h5u_fail(path, err, "create group '/provenance'");
    goto done;
  }
  if ((dfile = syn_h5u_write_strings(g, "file", prov->nfiles, paths)) < 0 ||
      H5DSset_scale(dfile, "file") < 0 ||
      syn_h5u_attr_string(dfile, "long_name", "input file path") < 0) {
    st = syn_h5u_fail(path, err, "write dataset '/provenance/file'");
    goto done;
  }
  if ((dtext = syn_h5u_write_strings(g, "text", prov->nfiles, texts)) < 0 ||
      H5DSattach_scale(dtext, dfile, 0) < 0 ||
      syn_h5u_attr_string(dtext, "long_name", "input file text") < 0) {
    st = syn_h5u_fail(path, err, "write dataset '/provenance/text'");
    goto done;
  }
done:
  if (dtext >= 0) H5Dclose(dtext);
  if (dfile >= 0) H5Dclose(dfile);
  if (g >= 0) H5Gclose(g);
  syn_free(paths);
  syn_free(texts);
  return st;
}

syn_status syn_h5u_check_provenance(const char *path, const syn_provenance *prov,
                                   syn_error *err) {
  if (prov->nfiles > 0 && (prov->file_paths == NULL || prov->file_texts == NULL))
    return syn_error_set(err, SYN_EINVAL,
                         "HDF5 output '%s': provenance lists %zu files but no paths or texts", path,
                         prov->nfiles);
  return SYN_OK;
}

/* ---- reading ---------------------------------------------------------------------- */

hid_t syn_h5u_open_read(const char *path, hid_t fapl, syn_h5u_open_failure *why) {
  struct stat sb;
  memset(why, 0, sizeof *why);
  int fd = open(path, O_RDONLY);
  int e = errno;
  if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) e = EISDIR;
  if (fd >= 0) close(fd);
  if (fd < 0 || e == EISDIR) {
    why->errnum = e ? e : EIO;
    return -1;
  }
  if (H5Fis_hdf5(path) <= 0) {
    why->not_hdf5 = 1;
    return -1;
  }
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
  if (f < 0) syn_h5u_innermost(why->detail, sizeof why->detail);
  return f;
}

enum { OBJ_DATASET, OBJ_ATTR };

static hid_t obj_type(hid_t obj, int kind) {
  return kind == OBJ_ATTR ? H5Aget_type(obj) : H5Dget_type(obj);
}

static herr_t obj_read(hid_t obj, int kind, hid_t mtype, void *buf) {
  return kind == OBJ_ATTR ? H5Aread(obj, mtype, buf)
                          : H5Dread(obj, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
}

static int read_vlen_strings(hid_t obj, int kind, hid_t ftype, size_t n, syn_arena *a,
                             const char **out) {
  int rc = 0;
  char **raw = syn_calloc(n, sizeof *raw);
  hid_t m = H5Tcopy(H5T_C_S1);
  if (raw == NULL) rc = -2;
  hid_t stack = -1;
  if (rc == 0 && (m < 0 || H5Tset_size(m, H5T_VARIABLE) < 0 ||
                  H5Tset_cset(m, H5Tget_cset(ftype)) < 0 || obj_read(obj, kind, m, raw) < 0)) {
    rc = -1;
    stack = H5Eget_current_stack(); /* the cleanup below would clear it */
  }
  for (size_t i = 0; rc == 0 && i < n; i++)
    if ((out[i] = syn_arena_strdup(a, raw[i] ? raw[i] : "")) == NULL) rc = -2;
  for (size_t i = 0; raw != NULL && i < n; i++)
    if (raw[i] != NULL) H5free_memory(raw[i]);
  if (m >= 0) H5Tclose(m);
  if (stack >= 0) H5Eset_current_stack(stack);
  syn_free(raw);
  return rc;
}

/* Fixed-length strings (as other tools may write them), cut at the first NUL. */
static int read_fixed_strings(hid_t obj, int kind, hid_t ftype, size_t n, syn_arena *a,
                              const char **out) {
  int rc = 0;
  const size_t size = H5Tget_size(ftype);
  char *buf = size > 0 && n <= SIZE_MAX / size ? syn_malloc(n * size) : NULL;
  hid_t m = H5Tcopy(ftype);
  if (buf == NULL) rc = size > 0 && n <= SIZE_MAX / size ? -2 : -1;
  hid_t stack = -1;
  if (rc == 0 && (m < 0 || obj_read(obj, kind, m, buf) < 0)) {
    rc = -1;
    stack = H5Eget_current_stack();
  }
  for (size_t i = 0; rc == 0 && i < n; i++) {
    const char *s = buf + i * size;
    if ((out[i] = syn_arena_strndup(a, s, strnlen(s, size))) == NULL) rc = -2;
  }
  if (m >= 0) H5Tclose(m);
  if (stack >= 0) H5Eset_current_stack(stack);
  syn_free(buf);
  return rc;
}

int syn_h5u_read_strings(hid_t obj, int is_attr, size_t n, syn_arena *a, const char **out) {
  const int kind = is_attr ? OBJ_ATTR : OBJ_DATASET;
  if (n == 0) return 0;
  hid_t ft = obj_type(obj, kind);
  if (ft < 0) return -1;
  htri_t var = H5Tis_variable_str(ft);
  int rc = var < 0   ? -1
           : var > 0 ? read_vlen_strings(obj, kind, ft, n, a, out)
                     : read_fixed_strings(obj, kind, ft, n, a, out);
  hid_t stack = rc == -1 ? H5Eget_current_stack() : -1;
  H5Tclose(ft);
  if (stack >= 0) H5Eset_current_stack(stack);
  return rc;
}

/* The name of link k of g in the order given, into the arena (NULL with *rc). */
static const char *link_name(hid_t g, hsize_t k, H5_index_t order, syn_arena *a, int *rc) {
  ssize_t n = H5Lget_name_by_idx(g, ".", order, H5_ITER_INC, k, NULL, 0, H5P_DEFAULT);
  *rc = -1;
  if (n < 0) return NULL;
  char *name = syn_arena_alloc(a, (size_t)n + 1);
  if (name == NULL) {
    *rc = -2;
    return NULL;
  }
  if (H5Lget_name_by_idx(g, ".", order, H5_ITER_INC, k, name, (size_t)n + 1, H5P_DEFAULT) < 0)
    return NULL;
  *rc = 0;
  return name;
}

static H5_index_t link_order(hid_t g) {
  return H5Lget_name_by_idx(g, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, 0, NULL, 0, H5P_DEFAULT) >= 0
             ? H5_INDEX_CRT_ORDER
             : H5_INDEX_NAME;
}

int syn_h5u_link_names(hid_t g, syn_arena *a, size_t *n, const char ***out) {
  H5G_info_t info;
  int rc = 0;
  *n = 0;
  *out = NULL;
  if (H5Gget_info(g, &info) < 0) return -1;
  const size_t m = (size_t)info.nlinks;
  const char **names = syn_arena_alloc(a, (m ? m : 1) * sizeof *names);
  if (names == NULL) return -2;
  const H5_index_t order = m ? link_order(g) : H5_INDEX_NAME;
  for (size_t k = 0; k < m; k++)
    if ((names[k] = link_name(g, k, order, a, &rc)) == NULL) return rc;
  *n = m;
  *out = names;
  return 0;
}

/* ---- files ------------------------------------------------------------------------ */

/* Writes all of buf to fd; returns 0 or -1 with errno set. */
int syn_h5u_write_all(int fd, const unsigned char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      if (w == 0) errno = EIO;
      return -1;
    }
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

/* The rename is a change of the directory: it survives a crash only once the
 * directory is synced too. Best effort: some file systems refuse fsync on a
 * directory (EINVAL), and the file under its final name is complete either
 * way, so a failure here is not reported. */
void syn_h5u_sync_dir(const char *path) {
  char *dir = syn_h5u_dir_of(path);
  int fd = dir != NULL ? open(dir, O_RDONLY | O_DIRECTORY) : -1;
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
  syn_free(dir);
}

