/* synovia — HDF5 writer, NetCDF-4 compatible (io layer; see synovia/h5.h and
 * docs/output-format.md). The only file of the project that includes hdf5.h.
 *
 * NetCDF-4 compatibility (reference/hpc.md §1.2) needs: link + attribute
 * creation order tracked and indexed on every group (the root through the
 * fcpl, the others through a gcpl), attribute creation order on every
 * dataset, and a dimension scale on every axis of every dataset. Scales are
 * created before the variables that use them, so no _Netcdf4Dimid is needed.
 *
 * HDF5's error stack: HDF5 prints its error stack to stderr by default, and
 * the library must never print. H5Eset_auto2(H5E_DEFAULT, NULL, NULL) once
 * would silence it for the whole process, including any other HDF5 user in a
 * program that embeds synovia. Instead every public function here saves the
 * current handler, turns printing off for its own sequence of HDF5 calls and
 * restores the handler before returning (quiet_begin/quiet_end). Failures are
 * turned into syn_error messages naming the file, what failed, and the
 * innermost HDF5 description (read with H5Ewalk2).
 *
 * The file is built in memory (the core driver, no backing store) and written
 * to <path>.tmp with plain write(2) at commit, then fsync'ed and renamed (and
 * the directory fsync'ed, so the rename is durable too). Why:
 * HDF5 1.10.8 does not survive a failed H5Fclose (disk full, quota, file size
 * limit): the file identifier stays half-closed and the library crashes at
 * exit in H5F__close_cb (seen in test_h5's test_disk_failure_is_reported). With the core
 * driver HDF5 never does disk I/O, so it cannot fail that way; disk errors
 * come from our own write() with a real errno. The cost is memory: the file
 * image (compressed, so at most about the size of the results, which are in
 * memory anyway) plus one copy of it during commit. */
#include "synovia/h5.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "base/alloc.h"
#include "synovia/synovia.h"

/* Chunks of at most 1 MiB: the default HDF5/h5py chunk cache (hpc.md §1.5). */
enum { CHUNK_MAX_BYTES = 1 << 20, DEFLATE_LEVEL = 1 };

/* The file-level /metrics table is gathered arm by arm (the results may be
 * gone by commit): the union of metric names in first-seen order, and for
 * every arm written the columns it has and their values. */
typedef struct table_metric {
  char *name, *units, *description; /* units/description: from the first arm that had it */
} table_metric;

typedef struct table_arm {
  char *name;
  size_t n;      /* metrics of this arm */
  size_t *col;   /* [n] column in the table */
  double *value; /* [n] */
} table_arm;

struct syn_h5 {
  char *path;     /* final name */
  char *tmp_path; /* <path>.tmp, written until commit */
  hid_t file;     /* < 0 when closed */
  hid_t arms;     /* the /arms group, < 0 when closed */
  int fd;         /* the open tmp file, -1 when none */
  int committed;
  table_metric *metrics; /* the /metrics columns */
  size_t nmetrics, metrics_cap;
  table_arm *rows; /* the /metrics rows: every arm written, in order */
  size_t nrows, rows_cap;
  int metrics_written; /* /metrics is in the file (a retried commit skips it) */
};

/* ---- the HDF5 error stack -------------------------------------------------------- */

typedef struct quiet {
  H5E_auto2_t func;
  void *data;
  int saved;
} quiet;

static void quiet_begin(quiet *q) {
  q->saved = H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data) >= 0;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void quiet_end(const quiet *q) {
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

/* Sets err to SYN_EIO: "<path>: cannot <what> (HDF5: <detail>)". */
static syn_status h5_fail(const syn_h5 *h, syn_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static syn_status h5_fail(const syn_h5 *h, syn_error *err, const char *fmt, ...) {
  char what[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  h5_detail d = {{0}};
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_innermost, &d);
  if (d.text[0])
    return syn_error_set(err, SYN_EIO, "HDF5 output '%s': cannot %s (HDF5: %s)", h->path, what,
                         d.text);
  return syn_error_set(err, SYN_EIO, "HDF5 output '%s': cannot %s", h->path, what);
}

/* ---- small writers; each returns < 0 on failure and closes what it opened ------ */

static hid_t utf8_vlen_type(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t < 0) return t;
  if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
    H5Tclose(t);
    return -1;
  }
  return t;
}

/* A scalar attribute of file type ftype, written from memory type mtype. */
static herr_t attr_scalar(hid_t obj, const char *name, hid_t ftype, hid_t mtype,
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
static herr_t attr_string(hid_t obj, const char *name, const char *value) {
  hid_t t = utf8_vlen_type();
  if (t < 0) return -1;
  const char *v = value ? value : "";
  herr_t rc = attr_scalar(obj, name, t, t, &v);
  H5Tclose(t);
  return rc;
}

static herr_t attr_double(hid_t obj, const char *name, double value) {
  return attr_scalar(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

static herr_t attr_int64(hid_t obj, const char *name, long long value) {
  return attr_scalar(obj, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, &value);
}

/* Units as CF wants them: "1" for dimensionless. */
static const char *cf_units(const char *units) {
  return (units == NULL || units[0] == 0) ? "1" : units;
}

/* Group creation properties with link + attribute creation order. */
static hid_t ordered_gcpl(void) {
  hid_t p = H5Pcreate(H5P_GROUP_CREATE);
  if (p < 0) return p;
  unsigned flags = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  if (H5Pset_link_creation_order(p, flags) < 0 || H5Pset_attr_creation_order(p, flags) < 0) {
    H5Pclose(p);
    return -1;
  }
  return p;
}

static hid_t create_group(hid_t loc, const char *name) {
  hid_t p = ordered_gcpl();
  if (p < 0) return -1;
  hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, p, H5P_DEFAULT);
  H5Pclose(p);
  return g;
}

/* Chunk shape of at most 1 MiB of doubles: the last axis first (whole rows
 * when they fit), then as many rows as fit. */
static void chunk_shape(int rank, const hsize_t *dims, hsize_t *chunk) {
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
static hid_t dataset_dcpl(int is_f64, int rank, const hsize_t *dims) {
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
      chunk_shape(rank, dims, chunk);
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

/* A dataset of rank 1 or 2 written from buf (which may be NULL when it is
 * empty). String and integer datasets are left contiguous: filters would
 * compress only the heap references of variable-length strings, and the
 * integer ones are short indices. Returns the open dataset or < 0. */
static hid_t write_nd(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int is_f64,
                      int rank, const hsize_t *dims, const void *buf) {
  hid_t d = -1;
  hsize_t n = 1;
  for (int k = 0; k < rank; k++) n *= dims[k];
  hid_t sp = H5Screate_simple(rank, dims, NULL);
  hid_t p = dataset_dcpl(is_f64, rank, dims);
  if (sp >= 0 && p >= 0) d = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, p, H5P_DEFAULT);
  if (d >= 0 && n > 0 && H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
    H5Dclose(d);
    d = -1;
  }
  if (p >= 0) H5Pclose(p);
  if (sp >= 0) H5Sclose(sp);
  return d;
}

static hid_t write_1d(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int is_f64,
                      size_t n, const void *buf) {
  hsize_t dim = n;
  return write_nd(loc, name, ftype, mtype, is_f64, 1, &dim, buf);
}

static hid_t write_f64(hid_t loc, const char *name, size_t n, const double *v) {
  return write_1d(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, n, v);
}

static hid_t write_i64(hid_t loc, const char *name, size_t n, const long long *v) {
  return write_1d(loc, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, 0, n, v);
}

static hid_t write_strings(hid_t loc, const char *name, size_t n, const char *const *v) {
  hid_t t = utf8_vlen_type();
  if (t < 0) return -1;
  hid_t d = write_1d(loc, name, t, t, 0, n, v);
  H5Tclose(t);
  return d;
}

/* A float64 data variable: _FillValue = NaN of the dataset's own type. */
static herr_t attr_nan_fill(hid_t d) { return attr_double(d, "_FillValue", NAN); }

/* ---- create ---------------------------------------------------------------------- */

static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (slash == NULL) return syn_strdup(".");
  if (slash == path) return syn_strdup("/");
  return syn_strndup(path, (size_t)(slash - path));
}

/* Creates the tmp file with open(2) first: that gives the real errno
 * (directory missing, not writable, read-only file system) that HDF5 would
 * bury in its stack. Nothing is created on failure. */
static syn_status probe_tmp(syn_h5 *h, syn_error *err) {
  struct stat stt;
  if (stat(h->path, &stt) == 0 && S_ISDIR(stt.st_mode))
    return syn_error_set(err, SYN_EINVAL, "HDF5 output '%s' is a directory", h->path);
  int fd = open(h->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0666);
  if (fd < 0) {
    int e = errno;
    char *dir = dir_of(h->path);
    syn_status st = syn_error_set(err, SYN_EIO, "cannot create HDF5 output '%s' in directory '%s': %s",
                                  h->tmp_path, dir ? dir : "?", strerror(e));
    syn_error_hint(err, "check that the directory exists and is writable");
    syn_free(dir);
    return st;
  }
  h->fd = fd; /* kept open: the image is written through it at commit */
  return SYN_OK;
}

static void iso8601_now(char *buf, size_t size) {
  time_t now = time(NULL);
  struct tm tmv;
  if (gmtime_r(&now, &tmv) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tmv) == 0)
    snprintf(buf, size, "unknown");
}

/* The root model file: the first file, or the second when the first is the
 * scenario (a scenario run lists its own text first, then the model's). */
static const char *model_root(const syn_provenance *prov) {
  size_t first = 0;
  if (prov->nfiles == 0 || prov->file_paths == NULL) return "";
  if (prov->scenario_file != NULL && prov->scenario_file[0] != 0 &&
      prov->file_paths[0] != NULL && strcmp(prov->file_paths[0], prov->scenario_file) == 0)
    first = 1;
  if (first >= prov->nfiles || prov->file_paths[first] == NULL) return "";
  return prov->file_paths[first];
}

static syn_status write_globals(syn_h5 *h, const syn_provenance *prov, syn_error *err) {
  char source[256], now[64];
  snprintf(source, sizeof source, "synovia %s", syn_version());
  const char *created = prov->created;
  if (created == NULL) {
    iso8601_now(now, sizeof now);
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
      {"model_file", model_root(prov)},
      {"scenario_sha256", prov->scenario_sha256},
      {"scenario_file", prov->scenario_file},
  };
  for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
    /* the scenario's attributes only when the run came from one */
    if (strncmp(attrs[i].key, "scenario_", 9) == 0 &&
        (!scenario || attrs[i].value == NULL || attrs[i].value[0] == 0))
      continue;
    if (attr_string(h->file, attrs[i].key, attrs[i].value) < 0)
      return h5_fail(h, err, "write global attribute '%s'", attrs[i].key);
  }
  return SYN_OK;
}

/* /provenance/file: dimension scale of paths; /provenance/text attached. */
static syn_status write_provenance(syn_h5 *h, const syn_provenance *prov, syn_error *err) {
  syn_status st = SYN_OK;
  hid_t g = -1, dfile = -1, dtext = -1;
  const char **paths = syn_calloc(prov->nfiles ? prov->nfiles : 1, sizeof *paths);
  const char **texts = syn_calloc(prov->nfiles ? prov->nfiles : 1, sizeof *texts);
  if (paths == NULL || texts == NULL) {
    st = syn_error_set(err, SYN_ENOMEM, "HDF5 output '%s': out of memory", h->path);
    goto done;
  }
  for (size_t i = 0; i < prov->nfiles; i++) { /* NULL entries are written as "" */
    paths[i] = prov->file_paths[i] ? prov->file_paths[i] : "";
    texts[i] = prov->file_texts[i] ? prov->file_texts[i] : "";
  }
  if ((g = create_group(h->file, "provenance")) < 0) {
    st = h5_fail(h, err, "create group '/provenance'");
    goto done;
  }
  if ((dfile = write_strings(g, "file", prov->nfiles, paths)) < 0 ||
      H5DSset_scale(dfile, "file") < 0 || attr_string(dfile, "long_name", "input file path") < 0) {
    st = h5_fail(h, err, "write dataset '/provenance/file'");
    goto done;
  }
  if ((dtext = write_strings(g, "text", prov->nfiles, texts)) < 0 ||
      H5DSattach_scale(dtext, dfile, 0) < 0 ||
      attr_string(dtext, "long_name", "input file text") < 0) {
    st = h5_fail(h, err, "write dataset '/provenance/text'");
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

static syn_status check_provenance(const char *path, const syn_provenance *prov,
                                   syn_error *err) {
  if (prov->nfiles > 0 && (prov->file_paths == NULL || prov->file_texts == NULL))
    return syn_error_set(err, SYN_EINVAL,
                         "HDF5 output '%s': provenance lists %zu files but no paths or texts", path,
                         prov->nfiles);
  return SYN_OK;
}

/* The file access list: in memory (see the header comment), growing by
 * 1 MiB; a STRONG close degree so that closing the file closes everything in
 * it. No disk file means no file locking either (hpc.md §1.8). */
static hid_t file_fapl(void) {
  hid_t p = H5Pcreate(H5P_FILE_ACCESS);
  if (p < 0) return p;
  if (H5Pset_fapl_core(p, (size_t)1 << 20, 0) < 0) goto fail;
  if (H5Pset_fclose_degree(p, H5F_CLOSE_STRONG) < 0) goto fail;
  return p;
fail:
  H5Pclose(p);
  return -1;
}

static syn_status open_file(syn_h5 *h, syn_error *err) {
  syn_status st = SYN_OK;
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  hid_t fapl = file_fapl();
  unsigned flags = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  if (fcpl < 0 || fapl < 0 || H5Pset_link_creation_order(fcpl, flags) < 0 ||
      H5Pset_attr_creation_order(fcpl, flags) < 0 ||
      (h->file = H5Fcreate(h->tmp_path, H5F_ACC_TRUNC, fcpl, fapl)) < 0) {
    st = h5_fail(h, err, "create the HDF5 file in memory");
  }
  if (fapl >= 0) H5Pclose(fapl);
  if (fcpl >= 0) H5Pclose(fcpl);
  return st;
}

syn_status syn_h5_create(const char *path, const syn_provenance *prov, syn_h5 **out,
                         syn_error *err) {
  static const syn_provenance no_prov = {"", "", "", 0, NULL, NULL, NULL, NULL, NULL};
  syn_h5 *h = NULL;
  syn_status st = SYN_OK;
  quiet q;
  if (out == NULL) return syn_error_set(err, SYN_EINVAL, "HDF5 output: no place for the writer");
  *out = NULL;
  if (path == NULL || path[0] == 0)
    return syn_error_set(err, SYN_EINVAL, "HDF5 output: empty file name");
  if (prov == NULL) prov = &no_prov;
  st = check_provenance(path, prov, err);
  if (st != SYN_OK) return st;

  quiet_begin(&q);
  h = syn_calloc(1, sizeof *h);
  if (h == NULL) goto nomem;
  h->file = h->arms = -1;
  h->fd = -1;
  h->committed = 0;
  size_t n = strlen(path);
  h->path = syn_strdup(path);
  h->tmp_path = syn_malloc(n + sizeof ".tmp");
  if (h->path == NULL || h->tmp_path == NULL) goto nomem;
  memcpy(h->tmp_path, path, n);
  memcpy(h->tmp_path + n, ".tmp", sizeof ".tmp");

  st = probe_tmp(h, err);
  if (st != SYN_OK) {
    syn_free(h->tmp_path); /* nothing was created: destroy must not unlink */
    h->tmp_path = NULL;
    goto fail;
  }
  st = open_file(h, err);
  if (st == SYN_OK) st = write_globals(h, prov, err);
  if (st == SYN_OK) st = write_provenance(h, prov, err);
  if (st == SYN_OK && (h->arms = create_group(h->file, "arms")) < 0)
    st = h5_fail(h, err, "create group '/arms'");
  if (st != SYN_OK) goto fail;
  *out = h;
  quiet_end(&q);
  return SYN_OK;

nomem:
  st = syn_error_set(err, SYN_ENOMEM, "HDF5 output '%s': out of memory", path);
fail:
  syn_h5_destroy(h);
  quiet_end(&q);
  return st;
}

/* ---- arms ------------------------------------------------------------------------ */

static syn_status check_arm(const syn_h5 *h, const char *arm, const syn_result *r,
                            syn_error *err) {
  if (h->committed || h->file < 0)
    return syn_error_set(err, SYN_EINVAL, "HDF5 output '%s': already committed or closed",
                         h->path);
  if (r == NULL)
    return syn_error_set(err, SYN_EINVAL, "HDF5 output '%s': no result for arm '%s'", h->path,
                         arm ? arm : "");
  if (arm == NULL || arm[0] == 0)
    return syn_error_set(err, SYN_EINVAL, "HDF5 output '%s': empty arm name", h->path);
  if (strchr(arm, '/') != NULL || strcmp(arm, ".") == 0)
    return syn_error_set(err, SYN_EINVAL,
                         "HDF5 output '%s': arm name '%s' is not a valid group name (no '/', not '.')",
                         h->path, arm);
  /* the names the writer itself puts into an arm group: always the first
   * four, the others when the result has doses / metrics */
  static const char *const reserved[] = {
      "time",   "param",        "param_value",  "param_units",       /* always */
      "doses",                                                       /* with doses */
      "metric", "metric_value", "metric_units", "metric_description" /* with metrics */
  };
  const size_t nreserved = 4 + (syn_result_dose_count(r) > 0 ? 1 : 0);
  const int has_metrics = syn_result_metric_count(r) > 0;
  for (size_t s = 0; s < syn_result_nseries(r); s++) {
    const char *name = syn_result_info(r, s)->name;
    if (strchr(name, '/') != NULL || strcmp(name, ".") == 0)
      return syn_error_set(err, SYN_EINVAL,
                           "HDF5 output '%s': series name '%s' is not a valid dataset name",
                           h->path, name);
    for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++) {
      if (k >= nreserved && (k < 5 || !has_metrics)) continue;
      if (strcmp(name, reserved[k]) == 0)
        return syn_error_set(err, SYN_EINVAL,
                             "HDF5 output '%s': series name '%s' in arm '%s' collides with the "
                             "%s '%s' the writer puts there",
                             h->path, name, arm, k == 4 ? "group" : "dataset", reserved[k]);
    }
  }
  return SYN_OK;
}

static herr_t write_group_attr(hid_t g, const syn_attr *a) {
  switch (a->type) {
  case SYN_ATTR_STRING: return attr_string(g, a->key, a->s);
  case SYN_ATTR_DOUBLE: return attr_double(g, a->key, a->d);
  case SYN_ATTR_INT: return attr_int64(g, a->key, a->i);
  }
  return -1;
}

static syn_status write_series(syn_h5 *h, hid_t g, hid_t dtime, const char *arm,
                               const syn_result *r, size_t s, syn_error *err) {
  const syn_series_info *info = syn_result_info(r, s);
  const char *long_name = info->long_name[0] ? info->long_name : info->name;
  const char *kind = info->kind == SYN_SERIES_STATE ? "state" : "output";
  hid_t d = write_f64(g, info->name, syn_result_ntimes(r), syn_result_series(r, s));
  herr_t rc = d < 0 ? -1 : H5DSattach_scale(d, dtime, 0);
  if (rc >= 0) rc = attr_string(d, "units", cf_units(info->units));
  if (rc >= 0) rc = attr_string(d, "long_name", long_name);
  if (rc >= 0) rc = attr_string(d, "kind", kind);
  if (rc >= 0) rc = attr_nan_fill(d);
  if (d >= 0 && H5Dclose(d) < 0) rc = -1;
  if (rc < 0) return h5_fail(h, err, "write dataset '/arms/%s/%s'", arm, info->name);
  return SYN_OK;
}

static syn_status write_params(syn_h5 *h, hid_t g, const char *arm, const syn_result *r,
                               syn_error *err) {
  syn_status st = SYN_OK;
  size_t n = syn_result_param_count(r);
  hid_t dparam = -1, dvalue = -1, dunits = -1;
  const char **names = syn_calloc(n ? n : 1, sizeof *names);
  const char **units = syn_calloc(n ? n : 1, sizeof *units);
  double *values = syn_calloc(n ? n : 1, sizeof *values);
  if (names == NULL || units == NULL || values == NULL) {
    st = syn_error_set(err, SYN_ENOMEM, "HDF5 output '%s': out of memory", h->path);
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    syn_result_param(r, i, &names[i], &units[i], &values[i]);
    units[i] = cf_units(units[i]);
  }
  if ((dparam = write_strings(g, "param", n, names)) < 0 || H5DSset_scale(dparam, "param") < 0 ||
      attr_string(dparam, "long_name", "parameter name") < 0) {
    st = h5_fail(h, err, "write dataset '/arms/%s/param'", arm);
    goto done;
  }
  if ((dvalue = write_f64(g, "param_value", n, values)) < 0 ||
      H5DSattach_scale(dvalue, dparam, 0) < 0 ||
      attr_string(dvalue, "long_name", "parameter value used in the run") < 0 ||
      attr_nan_fill(dvalue) < 0) {
    st = h5_fail(h, err, "write dataset '/arms/%s/param_value'", arm);
    goto done;
  }
  if ((dunits = write_strings(g, "param_units", n, units)) < 0 ||
      H5DSattach_scale(dunits, dparam, 0) < 0 ||
      attr_string(dunits, "long_name", "units of param_value") < 0) {
    st = h5_fail(h, err, "write dataset '/arms/%s/param_units'", arm);
    goto done;
  }
done:
  if (dunits >= 0) H5Dclose(dunits);
  if (dvalue >= 0) H5Dclose(dvalue);
  if (dparam >= 0) H5Dclose(dparam);
  syn_free(names);
  syn_free(units);
  syn_free(values);
  return st;
}

/* One numeric or text column of a table (doses, metrics). */
typedef struct column {
  const char *name;
  const double *num;        /* float64 data, or NULL */
  const char *const *text;  /* vlen strings, when num is NULL */
  const char *units;        /* attribute "units" of a float64 column; NULL: none */
  const char *long_name;
} column;

/* Writes the columns of a 1-D table over the dimension scale dim (already
 * written in g, n rows), each attached to it. */
static syn_status write_columns(syn_h5 *h, hid_t g, hid_t dim, const char *where, size_t n,
                                const column *cols, size_t ncols, syn_error *err) {
  for (size_t c = 0; c < ncols; c++) {
    const column *k = &cols[c];
    hid_t d = k->num ? write_f64(g, k->name, n, k->num) : write_strings(g, k->name, n, k->text);
    herr_t rc = d < 0 ? -1 : H5DSattach_scale(d, dim, 0);
    if (rc >= 0 && k->units != NULL) rc = attr_string(d, "units", k->units);
    if (rc >= 0) rc = attr_string(d, "long_name", k->long_name);
    if (rc >= 0 && k->num) rc = attr_nan_fill(d);
    if (d >= 0 && H5Dclose(d) < 0) rc = -1;
    if (rc < 0) return h5_fail(h, err, "write dataset '%s/%s'", where, k->name);
  }
  return SYN_OK;
}

/* The dose records of one arm: the group doses/ with the dimension scale
 * `dose` (0-based record numbers, in the order recorded) and one column per
 * field. No group when there are no doses. */
static syn_status write_doses(syn_h5 *h, hid_t arm_g, const char *arm, const syn_result *r,
                              syn_error *err) {
  syn_status st = SYN_OK;
  const size_t n = syn_result_dose_count(r), m = n ? n : 1;
  hid_t g = -1, ddose = -1;
  char where[512];
  snprintf(where, sizeof where, "/arms/%s/doses", arm);
  if (n == 0) return SYN_OK;
  long long *index = syn_calloc(m, sizeof *index);
  double *num = syn_calloc(3 * m, sizeof *num); /* time, amount, duration */
  const char **text = syn_calloc(4 * m, sizeof *text); /* route, target, joint, units */
  if (index == NULL || num == NULL || text == NULL) {
    st = syn_error_set(err, SYN_ENOMEM, "HDF5 output '%s': out of memory", h->path);
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    const syn_dose_record *d = syn_result_dose(r, i);
    index[i] = (long long)i;
    num[i] = d->time;
    num[m + i] = d->amount;
    num[2 * m + i] = d->duration;
    text[i] = d->route;
    text[m + i] = d->target;
    text[2 * m + i] = d->joint;
    text[3 * m + i] = d->units;
  }
  const char *tu = cf_units(syn_result_time_units(r));
  const column cols[] = {
      {"time", num, NULL, tu, "time of the dose (start of an infusion)"},
      {"amount", num + m, NULL, NULL, "amount as written in the scenario (units in 'units')"},
      {"duration", num + 2 * m, NULL, tu, "infusion duration (0 for a bolus)"},
      {"route", NULL, text, NULL, "route"},
      {"target", NULL, text + m, NULL, "state that received the dose"},
      {"joint", NULL, text + 2 * m, NULL, "joint (empty for a systemic route)"},
      {"units", NULL, text + 3 * m, NULL, "unit of amount as written (empty if none)"},
  };
  if ((g = create_group(arm_g, "doses")) < 0) {
    st = h5_fail(h, err, "create group '%s'", where);
    goto done;
  }
  if ((ddose = write_i64(g, "dose", n, index)) < 0 || H5DSset_scale(ddose, "dose") < 0 ||
      attr_string(ddose, "long_name", "dose record number (0-based)") < 0) {
    st = h5_fail(h, err, "write dataset '%s/dose'", where);
    goto done;
  }
  st = write_columns(h, g, ddose, where, n, cols, sizeof cols / sizeof cols[0], err);
done:
  if (ddose >= 0) H5Dclose(ddose);
  if (g >= 0) H5Gclose(g);
  syn_free(index);
  syn_free(num);
  syn_free(text);
  return st;
}

/* The arm's own metrics: the dimension scale `metric` and metric_value,
 * metric_units, metric_description over it. Nothing when there are none. */
static syn_status write_arm_metrics(syn_h5 *h, hid_t g, const char *arm, const syn_result *r,
                                    syn_error *err) {
  syn_status st = SYN_OK;
  const size_t n = syn_result_metric_count(r), m = n ? n : 1;
  hid_t dmetric = -1;
  char where[512];
  snprintf(where, sizeof where, "/arms/%s", arm);
  if (n == 0) return SYN_OK;
  const char **text = syn_calloc(3 * m, sizeof *text); /* names, units, descriptions */
  double *values = syn_calloc(m, sizeof *values);
  if (text == NULL || values == NULL) {
    st = syn_error_set(err, SYN_ENOMEM, "HDF5 output '%s': out of memory", h->path);
    goto done;
  }
  for (size_t i = 0; i < n; i++)
    syn_result_metric(r, i, &text[i], &text[m + i], &text[2 * m + i], &values[i]);
  const column cols[] = {
      {"metric_value", values, NULL, NULL, "metric value"},
      {"metric_units", NULL, text + m, NULL, "units of metric_value (empty if unknown)"},
      {"metric_description", NULL, text + 2 * m, NULL, "metric definition"},
  };
  if ((dmetric = write_strings(g, "metric", n, text)) < 0 ||
      H5DSset_scale(dmetric, "metric") < 0 ||
      attr_string(dmetric, "long_name", "metric name") < 0) {
    st = h5_fail(h, err, "write dataset '%s/metric'", where);
    goto done;
  }
  st = write_columns(h, g, dmetric, where, n, cols, sizeof cols / sizeof cols[0], err);
done:
  if (dmetric >= 0) H5Dclose(dmetric);
  syn_free(text);
  syn_free(values);
  return st;
}

static syn_status write_arm_group(syn_h5 *h, const char *arm, const syn_result *r,
                                  syn_error *err) {
  syn_status st = SYN_OK;
  hid_t g = -1, dtime = -1;
  if ((g = create_group(h->arms, arm)) < 0) {
    st = h5_fail(h, err, "create group '/arms/%s'", arm);
    goto done;
  }
  for (size_t i = 0; i < syn_result_attr_count(r); i++) {
    const syn_attr *a = syn_result_attr(r, i);
    if (write_group_attr(g, a) < 0) {
      st = h5_fail(h, err, "write attribute '%s' of arm '%s'", a->key, arm);
      goto done;
    }
  }
  if ((dtime = write_f64(g, "time", syn_result_ntimes(r), syn_result_times(r))) < 0 ||
      H5DSset_scale(dtime, "time") < 0 ||
      attr_string(dtime, "units", cf_units(syn_result_time_units(r))) < 0 ||
      attr_string(dtime, "long_name", "time") < 0) {
    st = h5_fail(h, err, "write dataset '/arms/%s/time'", arm);
    goto done;
  }
  for (size_t s = 0; s < syn_result_nseries(r) && st == SYN_OK; s++)
    st = write_series(h, g, dtime, arm, r, s, err);
  if (st == SYN_OK) st = write_params(h, g, arm, r, err);
  if (st == SYN_OK) st = write_doses(h, g, arm, r, err);
  if (st == SYN_OK) st = write_arm_metrics(h, g, arm, r, err);
done:
  if (dtime >= 0) H5Dclose(dtime);
  if (g >= 0) H5Gclose(g);
  return st;
}

/* ---- the /metrics table, gathered arm by arm --------------------------------------- */

/* What one arm adds to the table, prepared before its group is written so
 * that taking it in afterwards cannot fail (all memory reserved). */
typedef struct staged_row {
  table_arm row;
  table_metric *fresh; /* metric names not seen in earlier arms, in order */
  size_t nfresh;
} staged_row;

static void free_table_metric(table_metric *m) {
  syn_free(m->name);
  syn_free(m->units);
  syn_free(m->description);
}

static void free_table_arm(table_arm *a) {
  syn_free(a->name);
  syn_free(a->col);
  syn_free(a->value);
}

static void staged_free(staged_row *sg) {
  free_table_arm(&sg->row);
  for (size_t i = 0; i < sg->nfresh; i++) free_table_metric(&sg->fresh[i]);
  syn_free(sg->fresh);
  memset(sg, 0, sizeof *sg);
}

static int find_table_metric(const syn_h5 *h, const char *name, size_t *col) {
  for (size_t j = 0; j < h->nmetrics; j++) {
    if (strcmp(h->metrics[j].name, name) == 0) {
      *col = j;
      return 1;
    }
  }
  return 0;
}

/* A metric of the same name must mean the same quantity in every arm: one
 * column of /metrics has one unit. Checked before anything is written. */
static syn_status check_metric_units(const syn_h5 *h, const char *arm, const syn_result *r,
                                     syn_error *err) {
  for (size_t i = 0; i < syn_result_metric_count(r); i++) {
    const char *name = NULL, *units = NULL;
    size_t col = 0;
    syn_result_metric(r, i, &name, &units, NULL, NULL);
    if (find_table_metric(h, name, &col) && strcmp(h->metrics[col].units, units) != 0)
      return syn_error_set(err, SYN_EINVAL,
                           "HDF5 output '%s': metric '%s' has units '%s' in arm '%s' but '%s' "
                           "in an earlier arm (one column of /metrics has one unit)",
                           h->path, name, units, arm, h->metrics[col].units);
  }
  return SYN_OK;
}

static syn_status stage_row(syn_h5 *h, const char *arm, const syn_result *r, staged_row *sg,
                            syn_error *err) {
  const size_t n = syn_result_metric_count(r);
  memset(sg, 0, sizeof *sg);
  sg->row.n = n;
  sg->row.name = syn_strdup(arm);
  sg->row.col = syn_calloc(n ? n : 1, sizeof *sg->row.col);
  sg->row.value = syn_calloc(n ? n : 1, sizeof *sg->row.value);
  sg->fresh = syn_calloc(n ? n : 1, sizeof *sg->fresh);
  if (sg->row.name == NULL || sg->row.col == NULL || sg->row.value == NULL || sg->fresh == NULL)
    goto nomem;
  for (size_t i = 0; i < n; i++) {
    const char *name = NULL, *units = NULL, *description = NULL;
    syn_result_metric(r, i, &name, &units, &description, &sg->row.value[i]);
    if (find_table_metric(h, name, &sg->row.col[i])) continue;
    /* names are unique within a result, so a fresh name is new to the table */
    table_metric *m = &sg->fresh[sg->nfresh++];
    m->name = syn_strdup(name);
    m->units = syn_strdup(units);
    m->description = syn_strdup(description);
    if (m->name == NULL || m->units == NULL || m->description == NULL) goto nomem;
    sg->row.col[i] = h->nmetrics + sg->nfresh - 1;
  }
  void *pm = h->metrics, *pr = h->rows;
  int grow_m = syn_grow(&pm, &h->metrics_cap, h->nmetrics + sg->nfresh, sizeof *h->metrics);
  h->metrics = pm;
  if (grow_m != 0) goto nomem;
  int grow_r = syn_grow(&pr, &h->rows_cap, h->nrows + 1, sizeof *h->rows);
  h->rows = pr;
  if (grow_r != 0) goto nomem;
  return SYN_OK;
nomem:
  staged_free(sg);
  return syn_error_set(err, SYN_ENOMEM, "HDF5 output '%s': out of memory", h->path);
}

/* Takes a staged row into the table; the room was reserved by stage_row. */
static void take_row(syn_h5 *h, staged_row *sg) {
  for (size_t i = 0; i < sg->nfresh; i++) h->metrics[h->nmetrics++] = sg->fresh[i];
  syn_free(sg->fresh);
  h->rows[h->nrows++] = sg->row;
  memset(sg, 0, sizeof *sg);
}

static void free_table(syn_h5 *h) {
  for (size_t j = 0; j < h->nmetrics; j++) free_table_metric(&h->metrics[j]);
  syn_free(h->metrics);
  for (size_t i = 0; i < h->nrows; i++) free_table_arm(&h->rows[i]);
  syn_free(h->rows);
  h->metrics = NULL;
  h->rows = NULL;
  h->nmetrics = h->nrows = 0;
}

/* /metrics: the arm and metric dimension scales, value(arm, metric) with NaN
 * where an arm lacks a metric, and units and description per metric. */
static syn_status write_metrics_datasets(syn_h5 *h, hid_t g, syn_error *err) {
  syn_status st = SYN_OK;
  const size_t na = h->nrows, nm = h->nmetrics;
  hid_t darm = -1, dmetric = -1, dvalue = -1;
  const char **arms = syn_calloc(na ? na : 1, sizeof *arms);
  const char **text = syn_calloc(3 * nm, sizeof *text); /* names, units, descriptions */
  double *value = NULL;
  if (na > 0 && nm > ((size_t)-1) / sizeof(double) / na) goto nomem;
  value = syn_malloc((na ? na : 1) * nm * sizeof *value);
  if (arms == NULL || text == NULL || value == NULL) goto nomem;
  for (size_t i = 0; i < na; i++) arms[i] = h->rows[i].name;
  for (size_t j = 0; j < nm; j++) {
    text[j] = h->metrics[j].name;
    text[nm + j] = h->metrics[j].units;
    text[2 * nm + j] = h->metrics[j].description;
  }
  for (size_t k = 0; k < na * nm; k++) value[k] = NAN;
  for (size_t i = 0; i < na; i++)
    for (size_t k = 0; k < h->rows[i].n; k++) value[i * nm + h->rows[i].col[k]] = h->rows[i].value[k];

  if ((darm = write_strings(g, "arm", na, arms)) < 0 || H5DSset_scale(darm, "arm") < 0 ||
      attr_string(darm, "long_name", "arm name") < 0) {
    st = h5_fail(h, err, "write dataset '/metrics/arm'");
    goto done;
  }
  if ((dmetric = write_strings(g, "metric", nm, text)) < 0 ||
      H5DSset_scale(dmetric, "metric") < 0 ||
      attr_string(dmetric, "long_name", "metric name") < 0) {
    st = h5_fail(h, err, "write dataset '/metrics/metric'");
    goto done;
  }
  const hsize_t dims[2] = {na, nm};
  if ((dvalue = write_nd(g, "value", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, 2, dims, value)) < 0 ||
      H5DSattach_scale(dvalue, darm, 0) < 0 || H5DSattach_scale(dvalue, dmetric, 1) < 0 ||
      attr_string(dvalue, "long_name", "metric value (units in 'units')") < 0 ||
      attr_nan_fill(dvalue) < 0) {
    st = h5_fail(h, err, "write dataset '/metrics/value'");
    goto done;
  }
  const column cols[] = {
      {"units", NULL, text + nm, NULL, "units of value (empty if unknown)"},
      {"description", NULL, text + 2 * nm, NULL, "metric definition"},
  };
  st = write_columns(h, g, dmetric, "/metrics", nm, cols, sizeof cols / sizeof cols[0], err);
  goto done;
nomem:
  st = syn_error_set(err, SYN_ENOMEM, "HDF5 output '%s': out of memory for the metrics table",
                     h->path);
done:
  if (dvalue >= 0) H5Dclose(dvalue);
  if (dmetric >= 0) H5Dclose(dmetric);
  if (darm >= 0) H5Dclose(darm);
  syn_free(arms);
  syn_free(text);
  syn_free(value);
  return st;
}

/* Written at commit when any arm had metrics. A failure removes the partial
 * group, so the writer stays as it was and the commit can be retried. */
static syn_status write_metrics_table(syn_h5 *h, syn_error *err) {
  if (h->nmetrics == 0 || h->metrics_written) return SYN_OK;
  syn_status st = SYN_OK;
  hid_t g = create_group(h->file, "metrics");
  if (g < 0) return h5_fail(h, err, "create group '/metrics'");
  st = write_metrics_datasets(h, g, err);
  H5Gclose(g);
  if (st != SYN_OK) H5Ldelete(h->file, "metrics", H5P_DEFAULT);
  h->metrics_written = st == SYN_OK;
  return st;
}

syn_status syn_h5_write_arm(syn_h5 *h, const char *arm, const syn_result *r, syn_error *err) {
  if (h == NULL) return syn_error_set(err, SYN_EINVAL, "HDF5 output: NULL writer");
  syn_status st = check_arm(h, arm, r, err);
  if (st != SYN_OK) return st;
  staged_row sg;
  memset(&sg, 0, sizeof sg);
  quiet q;
  quiet_begin(&q);
  htri_t exists = H5Lexists(h->arms, arm, H5P_DEFAULT);
  if (exists > 0)
    st = syn_error_set(err, SYN_EINVAL, "HDF5 output '%s': arm '%s' is already written", h->path,
                       arm);
  else if (exists < 0)
    st = h5_fail(h, err, "look up arm '%s'", arm);
  else if ((st = check_metric_units(h, arm, r, err)) == SYN_OK &&
           (st = stage_row(h, arm, r, &sg, err)) == SYN_OK) {
    st = write_arm_group(h, arm, r, err);
    if (st == SYN_OK) {
      take_row(h, &sg);
      if (h->metrics_written) { /* after a failed commit: the table is rebuilt at the next */
        H5Ldelete(h->file, "metrics", H5P_DEFAULT);
        h->metrics_written = 0;
      }
    } else /* a partial group would make the arm look written */
      H5Ldelete(h->arms, arm, H5P_DEFAULT);
  }
  staged_free(&sg);
  quiet_end(&q);
  return st;
}

/* ---- commit / destroy ------------------------------------------------------------ */

/* Closes the in-memory file; returns < 0 if HDF5 reports a failure. */
static herr_t close_file(syn_h5 *h) {
  herr_t rc = 0;
  if (h->arms >= 0 && H5Gclose(h->arms) < 0) rc = -1;
  h->arms = -1;
  if (h->file >= 0 && H5Fclose(h->file) < 0) rc = -1;
  h->file = -1;
  return rc;
}

/* Writes all of buf to fd; returns 0 or -1 with errno set. */
static int write_all(int fd, const unsigned char *buf, size_t n) {
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

/* The image of the finished file, copied out of HDF5 (then closed). */
static syn_status take_image(syn_h5 *h, unsigned char **image, size_t *size, syn_error *err) {
  *image = NULL;
  *size = 0;
  ssize_t n = -1;
  if (H5Fflush(h->file, H5F_SCOPE_GLOBAL) < 0 || (n = H5Fget_file_image(h->file, NULL, 0)) <= 0)
    return h5_fail(h, err, "finish the file");
  *image = syn_malloc((size_t)n);
  if (*image == NULL)
    return syn_error_set(err, SYN_ENOMEM, "HDF5 output '%s': out of memory for %zd bytes", h->path,
                         n);
  if (H5Fget_file_image(h->file, *image, (size_t)n) != n) return h5_fail(h, err, "copy the file");
  *size = (size_t)n;
  if (close_file(h) < 0) return h5_fail(h, err, "close the file");
  return SYN_OK;
}

/* The rename is a change of the directory: it survives a crash only once the
 * directory is synced too. Best effort: some file systems refuse fsync on a
 * directory (EINVAL), and the file under its final name is complete either
 * way, so a failure here is not reported. */
static void sync_dir(const char *path) {
  char *dir = dir_of(path);
  int fd = dir != NULL ? open(dir, O_RDONLY | O_DIRECTORY) : -1;
  if (fd >= 0) {
    (void)fsync(fd);
    close(fd);
  }
  syn_free(dir);
}

/* Data on disk (fsync) before the rename makes the final name point at it. */
static syn_status store_image(syn_h5 *h, const unsigned char *image, size_t size, syn_error *err) {
  int rc = write_all(h->fd, image, size);
  if (rc == 0) rc = fsync(h->fd);
  int e = errno;
  if (close(h->fd) != 0 && rc == 0) {
    rc = -1;
    e = errno;
  }
  h->fd = -1;
  if (rc != 0)
    return syn_error_set(err, SYN_EIO, "HDF5 output '%s': cannot write '%s': %s", h->path,
                         h->tmp_path, strerror(e));
  if (rename(h->tmp_path, h->path) != 0)
    return syn_error_set(err, SYN_EIO, "HDF5 output '%s': cannot rename '%s' to it: %s", h->path,
                         h->tmp_path, strerror(errno));
  sync_dir(h->path);
  return SYN_OK;
}

syn_status syn_h5_commit(syn_h5 *h, syn_error *err) {
  if (h == NULL) return syn_error_set(err, SYN_EINVAL, "HDF5 output: NULL writer");
  if (h->committed || h->file < 0 || h->fd < 0)
    return syn_error_set(err, SYN_EINVAL, "HDF5 output '%s': already committed or closed",
                         h->path);
  unsigned char *image = NULL;
  size_t size = 0;
  quiet q;
  quiet_begin(&q);
  syn_status st = write_metrics_table(h, err);
  if (st == SYN_OK) st = take_image(h, &image, &size, err);
  quiet_end(&q);
  if (st == SYN_OK) st = store_image(h, image, size, err);
  if (st == SYN_OK) h->committed = 1;
  syn_free(image);
  return st;
}

void syn_h5_destroy(syn_h5 *h) {
  if (h == NULL) return;
  quiet q;
  quiet_begin(&q);
  close_file(h);
  if (h->fd >= 0) close(h->fd);
  if (!h->committed && h->tmp_path != NULL) unlink(h->tmp_path);
  quiet_end(&q);
  free_table(h);
  syn_free(h->path);
  syn_free(h->tmp_path);
  syn_free(h);
}
