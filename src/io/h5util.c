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
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hdf5_hl.h>

#include "base/alloc.h"
#include "base/sha256.h"
#include "synovia/version.h"

/* Chunks of at most 1 MiB: the default HDF5/h5py chunk cache [hdfgroup2021]. */
enum { CHUNK_MAX_BYTES = 1 << 20, DEFLATE_LEVEL = 1 };

/* ---- the HDF5 error stack -------------------------------------------------------- */

/* H5dont_atexit: HDF5 1.10 keeps some of its own objects after it failed on
 * a damaged file (with every one of ours closed), and its exit handler then
 * prints "HDF5: infinite loop closing library" and a list of its
 * interfaces. The handler is installed when the library starts, so this
 * turns it off when it is the first HDF5 call of the process (every entry
 * point of the io layer begins here); later it fails and changes nothing.
 * Nothing is lost: every file is closed before its function returns. */
void syn_h5u_quiet_begin(syn_h5u_quiet *q) {
  (void)H5dont_atexit();
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

syn_status syn_h5u_fail_noun(const char *noun, const char *path, syn_error *err,
                             const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  syn_status st = syn_h5u_failv(noun, path, err, fmt, ap);
  va_end(ap);
  return st;
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

/* A fixed-length UTF-8 type of size bytes (at least 1), null-padded. */
hid_t syn_h5u_utf8_fixed_type(size_t size) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t < 0) return t;
  if (H5Tset_size(t, size > 0 ? size : 1) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0 ||
      H5Tset_strpad(t, H5T_STR_NULLPAD) < 0) {
    H5Tclose(t);
    return -1;
  }
  return t;
}

/* Fixed-length UTF-8 scalar of exactly the text's bytes (one NUL for ""):
 * it lives in the object header, which HDF5 checksums, never in the global
 * heap of variable-length strings, which it does not (and on whose damage
 * HDF5 1.10 crashes). netCDF sees a text attribute, h5py bytes. */
herr_t syn_h5u_attr_string(hid_t obj, const char *name, const char *value) {
  const char *v = value ? value : "";
  const size_t len = strlen(v);
  hid_t t = syn_h5u_utf8_fixed_type(len);
  if (t < 0) return -1;
  herr_t rc = syn_h5u_attr_scalar(obj, name, t, t, len > 0 ? v : "\0");
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

/* Dataset creation properties: attribute creation order always; for data
 * with no empty axis chunks <= 1 MiB and a Fletcher-32 checksum of every
 * chunk, so that a damaged file is an error rather than other numbers or
 * other numbers (variable-length strings have their own: string_dcpl); float64
 * also gets shuffle + deflate(1) before the checksum and a NaN fill value.
 * (Filters need chunks and chunks need every axis > 0, so an empty dataset
 * is stored contiguous; it still gets the NaN fill value.) */
hid_t syn_h5u_dataset_dcpl(int is_f64, int rank, const hsize_t *dims) {
  hid_t p = H5Pcreate(H5P_DATASET_CREATE);
  if (p < 0) return p;
  if (H5Pset_attr_creation_order(p, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0)
    goto fail;
  double fill = NAN;
  if (is_f64 && H5Pset_fill_value(p, H5T_NATIVE_DOUBLE, &fill) < 0) goto fail;
  hsize_t n = 1;
  for (int k = 0; k < rank; k++) n *= dims[k];
  if (n > 0) {
    hsize_t chunk[2];
    syn_h5u_chunk_shape(rank, dims, chunk);
    if (H5Pset_chunk(p, rank, chunk) < 0 ||
        (is_f64 && (H5Pset_shuffle(p) < 0 || H5Pset_deflate(p, DEFLATE_LEVEL) < 0)) ||
        H5Pset_fletcher32(p) < 0)
      goto fail;
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

/* A variable-length string dataset: contiguous, no filter (HDF5 cannot put a
 * checksum on one, and the readers take its heap references as stored:
 * syn_h5u_read_vlen_rows), fill value "". */
static hid_t string_dcpl(void) {
  hid_t p = H5Pcreate(H5P_DATASET_CREATE);
  if (p < 0) return p;
  if (H5Pset_attr_creation_order(p, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
      syn_h5u_set_empty_string_fill(p) < 0) {
    H5Pclose(p);
    return -1;
  }
  return p;
}

/* A transfer list whose type conversion buffers fit n values. HDF5's
 * default is 1 MiB each for the conversion and the background buffer,
 * allocated (the background one zeroed) at every write that converts, as
 * every variable-length string write does: a file of 800 arms spent 77 % of
 * its 123 s zeroing them (issue 12). */
static hid_t small_transfer(hid_t ftype, hid_t mtype, hsize_t n) {
  size_t fs = H5Tget_size(ftype), ms = H5Tget_size(mtype);
  size_t each = fs > ms ? fs : ms;
  if (each == 0) return -1;
  size_t size = n < (hsize_t)((1u << 20) / each) ? (size_t)n * each : (size_t)1 << 20;
  if (size < 1024) size = 1024;
  hid_t x = H5Pcreate(H5P_DATASET_XFER);
  if (x >= 0 && H5Pset_buffer(x, size, NULL, NULL) < 0) {
    H5Pclose(x);
    x = -1;
  }
  return x;
}

/* A dataset of rank 1 or 2 written from buf (which may be NULL when it is
 * empty), with the creation properties of syn_h5u_dataset_dcpl (strings:
 * string_dcpl). Returns the open dataset or < 0. */
hid_t syn_h5u_write_nd(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int is_f64,
                      int rank, const hsize_t *dims, const void *buf) {
  hid_t d = -1;
  hsize_t n = 1;
  for (int k = 0; k < rank; k++) n *= dims[k];
  hid_t sp = H5Screate_simple(rank, dims, NULL);
  const int vlen = H5Tis_variable_str(ftype) > 0;
  hid_t p = vlen ? string_dcpl() : syn_h5u_dataset_dcpl(is_f64, rank, dims);
  if (sp >= 0 && p >= 0) d = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, p, H5P_DEFAULT);
  hid_t x = d >= 0 && n > 0 ? small_transfer(ftype, mtype, n) : H5P_DEFAULT;
  if (d >= 0 && n > 0 && (x < 0 || H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, x, buf) < 0)) {
    H5Dclose(d);
    d = -1;
  }
  if (x > 0 && x != H5P_DEFAULT) H5Pclose(x);
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

/* ---- the seal of a string dataset ----
 * The global heap that holds variable-length strings has no checksum, so a
 * string dataset carries its own: the attribute text_sha256, the SHA-256 (hex)
 * of its strings in row order, each followed by a NUL (a NULL string as "").
 * The readers compare it after reading the strings (syn_h5u_read_strings,
 * syn_h5u_check_seal): a flipped byte in a text is "damaged", not other text. */
static const char SEAL_ATTR[] = "text_sha256";

static void seal_add(syn_sha256 *h, const char *s, size_t len) {
  syn_sha256_update(h, s, len);
  syn_sha256_update(h, "", 1);
}

static herr_t write_seal(hid_t d, syn_sha256 *h) {
  char hex[SYN_SHA256_HEX];
  syn_sha256_hex(h, hex);
  const htri_t e = H5Aexists(d, SEAL_ATTR);
  if (e < 0 || (e > 0 && H5Adelete(d, SEAL_ATTR) < 0)) return -1;
  return syn_h5u_attr_string(d, SEAL_ATTR, hex);
}

/* The dataset's seal into hex: 1, 0 when it has none, -1 when it cannot be read. */
static int read_seal(hid_t d, char hex[SYN_SHA256_HEX]) {
  const htri_t e = H5Aexists(d, SEAL_ATTR);
  if (e <= 0) return e < 0 ? -1 : 0;
  int rc = -1;
  hid_t a = H5Aopen(d, SEAL_ATTR, H5P_DEFAULT);
  hid_t t = a < 0 ? -1 : H5Aget_type(a); /* read as stored: any cset, 64 bytes */
  memset(hex, 0, SYN_SHA256_HEX);
  if (t >= 0 && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) == 0 &&
      H5Tget_size(t) == SYN_SHA256_HEX - 1 && H5Aread(a, t, hex) >= 0)
    rc = 1;
  if (t >= 0) H5Tclose(t);
  if (a >= 0) H5Aclose(a);
  return rc;
}

/* NULL entries (and a NULL list) are written as "": never a NULL string in a
 * file (syn_h5u_set_empty_string_fill says why). Only a list with a NULL in
 * it is copied. Sealed (text_sha256, above). */
hid_t syn_h5u_write_strings(hid_t loc, const char *name, size_t n, const char *const *v) {
  const char **copy = NULL;
  if (any_null(n, v)) {
    if ((copy = syn_calloc(n, sizeof *copy)) == NULL) return -1;
    for (size_t i = 0; i < n; i++) copy[i] = v != NULL && v[i] != NULL ? v[i] : "";
  }
  const char *const *text = copy ? copy : v;
  hid_t t = syn_h5u_utf8_vlen_type();
  hid_t d = t < 0 ? -1 : syn_h5u_write_1d(loc, name, t, t, 0, n, text);
  if (t >= 0) H5Tclose(t);
  syn_sha256 h;
  syn_sha256_init(&h);
  for (size_t i = 0; i < n; i++) seal_add(&h, text[i], strlen(text[i]));
  if (d >= 0 && write_seal(d, &h) < 0) {
    H5Dclose(d);
    d = -1;
  }
  syn_free(copy);
  return d;
}

enum { SEAL_WINDOW = 256 }; /* rows read at a time by syn_h5u_seal_strings (on the stack:
                               sealing allocates nothing of ours, so it cannot fail for
                               want of memory after the rows were written) */

/* Rows [first, first + count) of d hashed, as HDF5 reads them (a file of
 * our own being written, not a damaged one). */
static herr_t seal_rows(hid_t d, hid_t fs, hid_t t, hsize_t first, hsize_t count, char **buf,
                        syn_sha256 *h) {
  hid_t ms = H5Screate_simple(1, &count, NULL);
  herr_t rc = ms < 0 ? -1 : H5Sselect_hyperslab(fs, H5S_SELECT_SET, &first, NULL, &count, NULL);
  for (hsize_t k = 0; k < count; k++) buf[k] = NULL;
  if (rc >= 0) rc = H5Dread(d, t, ms, fs, H5P_DEFAULT, buf);
  for (hsize_t k = 0; rc >= 0 && k < count; k++)
    seal_add(h, buf[k] ? buf[k] : "", buf[k] ? strlen(buf[k]) : 0);
  for (hsize_t k = 0; k < count; k++)
    if (buf[k] != NULL) H5free_memory(buf[k]);
  if (ms >= 0) H5Sclose(ms);
  return rc;
}

static int to_seal(void *data, size_t i, const char *s, size_t len);
static int seal_by_windows(hid_t d, size_t n, syn_sha256 *h);

herr_t syn_h5u_seal_strings(hid_t d) {
  hsize_t n = 0;
  hid_t fs = H5Dget_space(d);
  hid_t t = syn_h5u_utf8_vlen_type();
  char *buf[SEAL_WINDOW];
  herr_t rc = fs < 0 || t < 0 || H5Sget_simple_extent_ndims(fs) != 1 ||
                      H5Sget_simple_extent_dims(fs, &n, NULL) != 1
                  ? -1
                  : 0;
  syn_sha256 h;
  syn_sha256_init(&h);
  /* On disk: flushed, then read as the readers do, which skips the "" rows
   * (a shard's fill puts one "" heap object in every row; reading them all
   * through HDF5 loaded the whole heap, 18 bytes a sample, into its cache). */
  hid_t f = rc < 0 ? -1 : H5Iget_file_id(d);
  const int own = f >= 0 && H5Fflush(f, H5F_SCOPE_LOCAL) >= 0 &&
                  seal_by_windows(d, (size_t)n, &h) == 0;
  if (f >= 0) H5Fclose(f);
  if (!own) syn_sha256_init(&h); /* in memory (or not readable so): through HDF5 */
  for (hsize_t lo = 0; rc >= 0 && !own && lo < n; lo += SEAL_WINDOW)
    rc = seal_rows(d, fs, t, lo, n - lo < SEAL_WINDOW ? n - lo : SEAL_WINDOW, buf, &h);
  if (rc >= 0) rc = write_seal(d, &h);
  if (t >= 0) H5Tclose(t);
  if (fs >= 0) H5Sclose(fs);
  return rc;
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

/* ---- variable-length strings, read without HDF5's global heap code ----
 *
 * HDF5 1.10 follows a variable-length string's heap reference without
 * checking it, and the global heap has no checksum: a damaged file crashes
 * or hangs it (H5HG_read). So the readers never let HDF5 convert one. They
 * take the references themselves, as stored (a 4-byte length, a file
 * address, a 4-byte index; little-endian): from a contiguous dataset by
 * reading its bytes, from a chunked one (unfiltered) by H5Dread_chunk, and
 * never ask for the creation properties (HDF5 converts the "" fill value
 * through the heap to make them). Then each global heap collection ("GCOL", version 1, its
 * size, then objects: 2-byte index, 2-byte reference count, 4 reserved
 * bytes, the size, the data padded to 8 bytes; index 0 is the free space)
 * is read with pread and walked with every offset checked against its
 * size. Anything that does not fit is "damaged" (-3); a layout or filter
 * this does not read (compression of the references, as older synovia
 * files had in /status_reason) is -4. */

typedef struct vlen_src {
  int fd;
  unsigned long long base;   /* the userblock: heap addresses start after it */
  unsigned long long fsize;  /* the file's size */
  size_t sa, sl;             /* sizes of addresses and lengths in the file */
  size_t esize;              /* bytes of one reference: 4 + sa + 4 */
  unsigned long long caddr;  /* the collection in cbuf (0: none) */
  unsigned char *cbuf;
  size_t csize;
} vlen_src;

enum {
  VLEN_OK = 0,
  VLEN_HDF5 = -1,
  VLEN_NOMEM = -2,
  VLEN_DAMAGED = -3,
  VLEN_UNSUPPORTED = -4,
  VLEN_UNSEALED = -5 /* the strings do not match their seal */
};
enum { GCOL_MAX_BYTES = 1 << 30 }; /* far above what a writer makes (a collection holds the
                                      objects of one write, at least 4 KiB) */

static unsigned long long get_le(const unsigned char *p, size_t n) {
  unsigned long long v = 0;
  for (size_t k = n; k-- > 0;) v = (v << 8) | p[k];
  return v;
}

static int vlen_src_open(hid_t obj, vlen_src *v) {
  int rc = VLEN_HDF5;
  memset(v, 0, sizeof *v);
  v->fd = -1;
  hid_t f = H5Iget_file_id(obj);
  hid_t fcpl = f < 0 ? -1 : H5Fget_create_plist(f);
  hid_t fapl = f < 0 ? -1 : H5Fget_access_plist(f);
  hsize_t ub = 0;
  void *handle = NULL;
  struct stat sb;
  if (fapl >= 0 && H5Pget_driver(fapl) != H5FD_SEC2) /* the handle is a file descriptor */
    rc = VLEN_UNSUPPORTED;
  else if (fcpl >= 0 && H5Pget_sizes(fcpl, &v->sa, &v->sl) >= 0 &&
           H5Pget_userblock(fcpl, &ub) >= 0 && H5Fget_vfd_handle(f, H5P_DEFAULT, &handle) >= 0 &&
           handle != NULL) {
    v->fd = *(int *)handle;
    v->base = ub;
    rc = fstat(v->fd, &sb) == 0 && v->sa >= 2 && v->sa <= 8 && v->sl >= 2 && v->sl <= 8
             ? VLEN_OK
             : VLEN_UNSUPPORTED;
    v->fsize = (unsigned long long)sb.st_size;
    v->esize = 4 + v->sa + 4;
  }
  if (fapl >= 0) H5Pclose(fapl);
  if (fcpl >= 0) H5Pclose(fcpl);
  if (f >= 0) H5Fclose(f);
  return rc;
}

static void vlen_src_close(vlen_src *v) { syn_free(v->cbuf); }

static int pread_all(int fd, unsigned char *buf, size_t n, unsigned long long at) {
  while (n > 0) {
    ssize_t r = pread(fd, buf, n, (off_t)at);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    buf += r;
    n -= (size_t)r;
    at += (unsigned long long)r;
  }
  return 0;
}

/* The collection at file address addr into v->cbuf, checked for its
 * signature, version and a size within the file. */
static int load_collection(vlen_src *v, unsigned long long addr) {
  unsigned char head[16 + 8];
  const size_t hsize = 8 + v->sl;
  if (addr == v->caddr && v->cbuf != NULL) return VLEN_OK;
  const unsigned long long at = v->base + addr;
  if (addr == 0 || at < addr || at >= v->fsize || v->fsize - at < hsize) return VLEN_DAMAGED;
  if (pread_all(v->fd, head, hsize, at) < 0) return VLEN_DAMAGED;
  const unsigned long long size = get_le(head + 8, v->sl);
  if (memcmp(head, "GCOL", 4) != 0 || head[4] != 1 || size < hsize || size > GCOL_MAX_BYTES ||
      size > v->fsize - at)
    return VLEN_DAMAGED;
  unsigned char *buf = syn_malloc((size_t)size);
  if (buf == NULL) return VLEN_NOMEM;
  if (pread_all(v->fd, buf, (size_t)size, at) < 0) {
    syn_free(buf);
    return VLEN_DAMAGED;
  }
  syn_free(v->cbuf);
  v->cbuf = buf;
  v->csize = (size_t)size;
  v->caddr = addr;
  return VLEN_OK;
}

/* The string of one reference: *s (not NUL-terminated) and *len. */
static int follow_reference(vlen_src *v, const unsigned char *ref, const char **s, size_t *len) {
  const unsigned long long n = get_le(ref, 4), addr = get_le(ref + 4, v->sa);
  const unsigned long long idx = get_le(ref + 4 + v->sa, 4);
  *s = "";
  *len = 0;
  if (n == 0) return VLEN_OK; /* "" (or a NULL string): nothing in the heap */
  int rc = load_collection(v, addr);
  if (rc != VLEN_OK) return rc;
  const size_t ohead = 8 + v->sl;
  for (size_t off = 8 + v->sl; off <= v->csize && v->csize - off >= ohead;) {
    const unsigned long long oidx = get_le(v->cbuf + off, 2);
    const unsigned long long size = get_le(v->cbuf + off + 8, v->sl);
    if (oidx == 0) break; /* the free space ends the objects */
    const size_t data = off + ohead;
    if (size > v->csize - data) return VLEN_DAMAGED;
    if (oidx == idx) {
      if (size != n) return VLEN_DAMAGED;
      *s = (const char *)v->cbuf + data;
      *len = (size_t)size;
      return VLEN_OK;
    }
    const size_t padded = (size_t)((size + 7) / 8 * 8);
    if (padded > v->csize - data) return VLEN_DAMAGED;
    off = data + padded;
  }
  return VLEN_DAMAGED;
}

/* Rows per chunk of a chunked 1-D dataset of references, from its first
 * chunk (chunks are stored whole, so an unfiltered one is rows * esize
 * bytes): 0 when it has no chunk; VLEN_UNSUPPORTED when the size does not
 * fit (filtered references: compressed, as in older synovia files). The
 * creation property list is not asked: HDF5 converts a variable-length fill
 * value ("") when it makes one, through the global heap (H5HG_read), which
 * is what must not be reached. */
static int chunk_rows(hid_t d, hid_t sp, const vlen_src *v, hsize_t *rows) {
  hsize_t nchunks = 0, at = 0, size = 0;
  unsigned mask = 0;
  haddr_t addr = HADDR_UNDEF;
  *rows = 0;
  if (H5Dget_num_chunks(d, sp, &nchunks) < 0) return VLEN_HDF5;
  if (nchunks == 0) return VLEN_OK;
  if (H5Dget_chunk_info(d, sp, 0, &at, &mask, &addr, &size) < 0) return VLEN_HDF5;
  if (size == 0 || size % v->esize != 0 || size > GCOL_MAX_BYTES) return VLEN_UNSUPPORTED;
  *rows = size / v->esize;
  return at % *rows == 0 ? VLEN_OK : VLEN_DAMAGED;
}

/* The raw references of rows [first, first + count) of a 1-D chunked
 * dataset into out (count * esize bytes; rows without storage stay 0: ""). */
static int chunked_references(hid_t d, const vlen_src *v, hsize_t first, hsize_t count,
                              unsigned char *out) {
  hsize_t rows = 0;
  hid_t sp = H5Dget_space(d);
  int rc = sp < 0 ? VLEN_HDF5 : chunk_rows(d, sp, v, &rows);
  if (sp >= 0) H5Sclose(sp);
  memset(out, 0, (size_t)count * v->esize);
  if (rc != VLEN_OK || rows == 0) return rc;
  const size_t cbytes = (size_t)rows * v->esize;
  unsigned char *buf = syn_malloc(cbytes);
  if (buf == NULL) return VLEN_NOMEM;
  for (hsize_t c0 = first / rows * rows; rc == VLEN_OK && c0 < first + count; c0 += rows) {
    hsize_t stored = 0;
    uint32_t mask = 0;
    unsigned fmask = 0;
    haddr_t addr = HADDR_UNDEF;
    if (H5Dget_chunk_info_by_coord(d, &c0, &fmask, &addr, &stored) < 0 || addr == HADDR_UNDEF)
      continue; /* no storage: the rows are "" */
    if (stored != cbytes) {
      rc = VLEN_DAMAGED;
      break;
    }
    if (H5Dread_chunk(d, H5P_DEFAULT, &c0, &mask, buf) < 0) {
      rc = VLEN_DAMAGED;
      break;
    }
    const hsize_t lo = c0 > first ? c0 : first;
    const hsize_t hi = c0 + rows < first + count ? c0 + rows : first + count;
    memcpy(out + (size_t)(lo - first) * v->esize, buf + (size_t)(lo - c0) * v->esize,
           (size_t)(hi - lo) * v->esize);
  }
  syn_free(buf);
  return rc;
}

/* The raw references of rows [first, first + count) of a 1-D dataset:
 * contiguous (an address: read from the file) or chunked. */
static int read_references(hid_t d, const vlen_src *v, hsize_t first, hsize_t count,
                           unsigned char *out) {
  const haddr_t addr = H5Dget_offset(d); /* in the file: the userblock counted already */
  if (addr == HADDR_UNDEF) return chunked_references(d, v, first, count, out);
  const unsigned long long at = addr + first * v->esize;
  const size_t n = (size_t)count * v->esize;
  if (at < addr || at > v->fsize || v->fsize - at < n || pread_all(v->fd, out, n, at) < 0)
    return VLEN_DAMAGED;
  return VLEN_OK;
}

/* The dataset's shape checked against what is asked: rank 1, at least
 * first + count rows. */
static int check_rows(hid_t d, hsize_t first, hsize_t count) {
  hsize_t dim = 0;
  hid_t sp = H5Dget_space(d);
  const int rank = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
  const int got = rank == 1 && H5Sget_simple_extent_dims(sp, &dim, NULL) == 1;
  if (sp >= 0) H5Sclose(sp);
  if (rank < 0) return VLEN_HDF5;
  return got && first <= dim && count <= dim - first ? VLEN_OK : VLEN_DAMAGED;
}

int syn_h5u_read_vlen_rows(hid_t d, size_t first, size_t count, syn_h5u_string_sink sink,
                           void *data) {
  vlen_src v;
  int rc = check_rows(d, first, count);
  if (rc != VLEN_OK || count == 0) return rc;
  rc = vlen_src_open(d, &v);
  unsigned char *refs = NULL;
  if (rc == VLEN_OK && count > SIZE_MAX / v.esize) rc = VLEN_DAMAGED;
  if (rc == VLEN_OK && (refs = syn_malloc(count * v.esize)) == NULL) rc = VLEN_NOMEM;
  if (rc == VLEN_OK) rc = read_references(d, &v, first, count, refs);
  for (size_t i = 0; rc == VLEN_OK && i < count; i++) {
    const char *s;
    size_t len;
    rc = follow_reference(&v, refs + i * v.esize, &s, &len);
    if (rc == VLEN_OK && sink(data, i, s, strnlen(s, len)) < 0) rc = VLEN_NOMEM;
  }
  syn_free(refs);
  vlen_src_close(&v);
  return rc;
}

const char *syn_h5u_strings_problem(int rc) {
  switch (rc) {
    case VLEN_DAMAGED: return "a text does not match the file's string heap";
    case VLEN_UNSEALED:
      return "the text does not match its checksum (text_sha256): damaged, or changed after "
             "synovia wrote it";
    case VLEN_UNSUPPORTED:
      return "its text is stored as variable-length strings in a form this synovia does not "
             "read (a file of an older synovia)";
    default: return "";
  }
}

syn_status syn_h5u_strings_fail(const char *noun, const char *path, int rc, syn_error *err,
                                const char *fmt, ...) {
  char what[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  if (rc == VLEN_NOMEM) return syn_error_set(err, SYN_ENOMEM, "%s '%s': out of memory", noun, path);
  if (rc == VLEN_DAMAGED || rc == VLEN_UNSEALED)
    return syn_error_set(err, SYN_EIO, "%s '%s' is damaged: %s: %s", noun, path, what,
                         syn_h5u_strings_problem(rc));
  if (rc == VLEN_UNSUPPORTED)
    return syn_error_set(err, SYN_EINVAL,
                         "%s '%s' cannot be read: %s: %s (make it again with this synovia)", noun,
                         path, what, syn_h5u_strings_problem(rc));
  return syn_h5u_fail_noun(noun, path, err, "read %s", what);
}

/* rc, or VLEN_UNSEALED when d has a seal and h (the strings read, finished
 * here) does not match it. */
static int seal_verdict(hid_t d, syn_sha256 *h, int rc) {
  char want[SYN_SHA256_HEX], got[SYN_SHA256_HEX];
  syn_sha256_hex(h, got);
  if (rc != VLEN_OK) return rc;
  const int has = read_seal(d, want);
  if (has < 0) return VLEN_DAMAGED;
  return has == 0 || strcmp(want, got) == 0 ? VLEN_OK : VLEN_UNSEALED;
}

static int to_seal(void *data, size_t i, const char *s, size_t len) {
  (void)i;
  seal_add(data, s, len);
  return 0;
}

enum { CHECK_WINDOW = 1 << 16 }; /* rows whose references are held at a time (1 MiB) */

/* All n rows of d into the hash, a window of rows at a time. */
static int seal_by_windows(hid_t d, size_t n, syn_sha256 *h) {
  int rc = VLEN_OK;
  for (size_t lo = 0; rc == VLEN_OK && lo < n; lo += CHECK_WINDOW)
    rc = syn_h5u_read_vlen_rows(d, lo, n - lo < CHECK_WINDOW ? n - lo : CHECK_WINDOW, to_seal, h);
  return rc;
}

int syn_h5u_check_seal(hid_t d) {
  hsize_t n = 0;
  hid_t fs = H5Dget_space(d);
  const int ok = fs >= 0 && H5Sget_simple_extent_ndims(fs) == 1 &&
                 H5Sget_simple_extent_dims(fs, &n, NULL) == 1;
  if (fs >= 0) H5Sclose(fs);
  if (!ok) return VLEN_HDF5;
  char want[SYN_SHA256_HEX];
  const int has = read_seal(d, want);
  if (has <= 0) return has < 0 ? VLEN_DAMAGED : VLEN_OK;
  syn_sha256 h;
  syn_sha256_init(&h);
  return seal_verdict(d, &h, seal_by_windows(d, (size_t)n, &h));
}

typedef struct arena_sink {
  syn_arena *a;
  const char **out;
} arena_sink;

static int to_arena(void *data, size_t i, const char *s, size_t len) {
  arena_sink *k = data;
  return (k->out[i] = syn_arena_strndup(k->a, s, len)) == NULL ? -1 : 0;
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
  arena_sink sink = {a, out};
  int rc = var < 0   ? -1
           : var > 0 ? (is_attr ? VLEN_UNSUPPORTED : syn_h5u_read_vlen_rows(obj, 0, n, to_arena,
                                                                            &sink))
                     : read_fixed_strings(obj, kind, ft, n, a, out);
  if (var > 0 && !is_attr && rc == VLEN_OK) { /* the strings against their seal */
    syn_sha256 h;
    syn_sha256_init(&h);
    for (size_t i = 0; i < n; i++) seal_add(&h, out[i], strlen(out[i]));
    rc = seal_verdict(obj, &h, rc);
  }
  hid_t stack = rc == -1 ? H5Eget_current_stack() : -1;
  H5Tclose(ft);
  if (stack >= 0) H5Eset_current_stack(stack);
  return rc;
}

/* 1 when every chunk on the grid of d (rank 1 or 2) has storage, found by
 * its coordinates (a chunk whose coordinates a damaged index changed is not
 * found); 0 when one has none; -1 when HDF5 fails. */
static int grid_complete(hid_t d, int rank, const hsize_t *dims, const hsize_t *chunk) {
  hsize_t at[2] = {0, 0};
  const hsize_t step1 = rank == 2 ? chunk[1] : 1, end1 = rank == 2 ? dims[1] : 1;
  for (at[0] = 0; at[0] < dims[0]; at[0] += chunk[0])
    for (at[1] = 0; at[1] < end1; at[1] += step1) {
      unsigned mask = 0;
      haddr_t addr = HADDR_UNDEF;
      hsize_t size = 0;
      if (H5Dget_chunk_info_by_coord(d, at, &mask, &addr, &size) < 0) return -1;
      if (addr == HADDR_UNDEF || size == 0) return 0;
    }
  return 1;
}

int syn_h5u_storage_complete(hid_t d) {
  hsize_t dims[H5S_MAX_RANK], chunk[H5S_MAX_RANK], n = 1;
  hid_t p = H5Dget_create_plist(d), sp = H5Dget_space(d);
  const int rank = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
  int rc = -1;
  if (p < 0 || rank < 0 || rank > H5S_MAX_RANK || H5Sget_simple_extent_dims(sp, dims, NULL) < 0)
    goto done;
  for (int k = 0; k < rank; k++) n *= dims[k];
  const H5D_layout_t layout = H5Pget_layout(p);
  if (n == 0 || layout == H5D_COMPACT)
    rc = 1;
  else if (layout == H5D_CONTIGUOUS)
    rc = H5Dget_offset(d) != HADDR_UNDEF;
  else if (layout == H5D_CHUNKED && rank <= 2 && H5Pget_chunk(p, rank, chunk) == rank &&
           chunk[0] > 0 && (rank == 1 || chunk[1] > 0))
    rc = grid_complete(d, rank, dims, chunk);
done:
  if (sp >= 0) H5Sclose(sp);
  if (p >= 0) H5Pclose(p);
  return rc;
}

int syn_h5u_chunks_in_place(hid_t d, unsigned long long max_walk) {
  hsize_t dims[H5S_MAX_RANK], chunk[H5S_MAX_RANK], nchunks = 0;
  hid_t p = H5Dget_create_plist(d), sp = H5Dget_space(d);
  const int rank = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
  int rc = -1;
  if (p < 0 || rank < 0 || rank > H5S_MAX_RANK || H5Sget_simple_extent_dims(sp, dims, NULL) < 0)
    goto done;
  rc = 1;
  if (H5Pget_layout(p) != H5D_CHUNKED) goto done;
  if (H5Pget_chunk(p, rank, chunk) != rank || H5Dget_num_chunks(d, sp, &nchunks) < 0) {
    rc = -1;
    goto done;
  }
  for (int k = 0; k < rank; k++)
    if (chunk[k] == 0) rc = 0;
  for (hsize_t i = 0; rc == 1 && i < nchunks && i < max_walk; i++) {
    hsize_t at[H5S_MAX_RANK], size = 0;
    unsigned mask = 0;
    haddr_t addr = HADDR_UNDEF;
    if (H5Dget_chunk_info(d, sp, i, at, &mask, &addr, &size) < 0) {
      rc = -1;
      break;
    }
    rc = addr != HADDR_UNDEF && size > 0;
    for (int k = 0; rc == 1 && k < rank; k++) rc = at[k] < dims[k] && at[k] % chunk[k] == 0;
  }
done:
  if (sp >= 0) H5Sclose(sp);
  if (p >= 0) H5Pclose(p);
  return rc;
}

/* ---- dimension scales, without DIMENSION_LIST ----
 * H5DSis_attached reads the dataset's DIMENSION_LIST, a variable-length
 * attribute (so through the global heap, which a damaged file makes HDF5
 * crash or hang on). The scale's REFERENCE_LIST says the same from the other
 * side and is a plain compound of (object reference, axis), in the scale's
 * checksummed header: read once per scale, then looked up per dataset. */

typedef struct ref_entry {
  hobj_ref_t ref;
  int dim;
} ref_entry;

static int cmp_ref(const void *a, const void *b) {
  const ref_entry *x = a, *y = b;
  if (x->ref != y->ref) return x->ref < y->ref ? -1 : 1;
  return (x->dim > y->dim) - (x->dim < y->dim);
}

int syn_h5u_scale_refs_read(hid_t scale, syn_h5u_scale_refs *out) {
  memset(out, 0, sizeof *out);
  out->scale = scale;
  const htri_t e = H5Aexists(scale, "REFERENCE_LIST");
  if (e <= 0) return e < 0 ? -1 : 0;
  int rc = -1;
  hid_t a = H5Aopen(scale, "REFERENCE_LIST", H5P_DEFAULT);
  hid_t sp = a < 0 ? -1 : H5Aget_space(a);
  hid_t m = H5Tcreate(H5T_COMPOUND, sizeof(ref_entry));
  const hssize_t n = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
  ref_entry *v = n > 0 ? syn_malloc((size_t)n * sizeof *v) : NULL;
  if (m >= 0 && H5Tinsert(m, "dataset", HOFFSET(ref_entry, ref), H5T_STD_REF_OBJ) >= 0 &&
      H5Tinsert(m, "dimension", HOFFSET(ref_entry, dim), H5T_NATIVE_INT) >= 0 && n >= 0) {
    if (n > 0 && v == NULL)
      rc = -2;
    else if (n == 0 || H5Aread(a, m, v) >= 0)
      rc = 0;
  }
  if (rc == 0 && n > 0) {
    qsort(v, (size_t)n, sizeof *v, cmp_ref);
    out->n = (size_t)n;
    out->entries = v;
    v = NULL;
  }
  syn_free(v);
  if (m >= 0) H5Tclose(m);
  if (sp >= 0) H5Sclose(sp);
  if (a >= 0) H5Aclose(a);
  return rc;
}

void syn_h5u_scale_refs_free(syn_h5u_scale_refs *r) {
  syn_free(r->entries);
  memset(r, 0, sizeof *r);
}

int syn_h5u_scale_refs_has(const syn_h5u_scale_refs *r, hid_t d, unsigned dim) {
#if H5_VERSION_GE(1, 12, 0)
  (void)r;
  return H5DSis_attached(d, r->scale, dim); /* object tokens there: left to HDF5 */
#else
  H5O_info_t oi;
  if (H5Oget_info2(d, &oi, H5O_INFO_BASIC) < 0) return -1;
  const ref_entry key = {(hobj_ref_t)oi.addr, (int)dim};
  return r->n > 0 && bsearch(&key, r->entries, r->n, sizeof key, cmp_ref) != NULL;
#endif
}

/* ---- dimension scales attached in bulk (see h5util.h) ---- */

/* REFERENCE_LIST's type, H5DS's own (1.10): a native compound of (object
 * reference, int axis), laid out as ref_entry. */
static hid_t reflist_type(void) {
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(ref_entry));
  if (t >= 0 && (H5Tinsert(t, "dataset", HOFFSET(ref_entry, ref), H5T_STD_REF_OBJ) < 0 ||
                 H5Tinsert(t, "dimension", HOFFSET(ref_entry, dim), H5T_NATIVE_INT) < 0)) {
    H5Tclose(t);
    t = -1;
  }
  return t;
}

int syn_h5u_scale_list_open(syn_h5u_scale_list *l, hid_t scale, size_t expect) {
  memset(l, 0, sizeof *l);
  l->scale = scale;
  if (syn_grow(&l->entries, &l->cap, expect ? expect : 1, sizeof(ref_entry)) != 0) return -2;
  return H5Rcreate(&l->self, scale, ".", H5R_OBJECT, -1) < 0 ? -1 : 0;
}

static int scale_list_add(syn_h5u_scale_list *l, hid_t d, int dim) {
  if (syn_grow(&l->entries, &l->cap, l->n + 1, sizeof(ref_entry)) != 0) return -2;
  ref_entry *e = (ref_entry *)l->entries + l->n;
  if (H5Rcreate(&e->ref, d, ".", H5R_OBJECT, -1) < 0) return -1;
  e->dim = dim;
  l->n++;
  return 0;
}

int syn_h5u_scale_attach(hid_t d, int rank, syn_h5u_scale_list *const *lists) {
  hvl_t list[H5S_MAX_RANK];
  hobj_ref_t refs[H5S_MAX_RANK];
  const hsize_t n = (hsize_t)rank;
  if (rank < 1 || rank > H5S_MAX_RANK) return -1;
  for (int k = 0; k < rank; k++) {
    refs[k] = lists[k] ? lists[k]->self : 0;
    list[k] = lists[k] ? (hvl_t){1, &refs[k]} : (hvl_t){0, NULL};
  }
  int rc = -1;
  hid_t type = H5Tvlen_create(H5T_STD_REF_OBJ);
  hid_t space = H5Screate_simple(1, &n, NULL), a = -1;
  if (type >= 0 && space >= 0 &&
      (a = H5Acreate2(d, "DIMENSION_LIST", type, space, H5P_DEFAULT, H5P_DEFAULT)) >= 0 &&
      H5Awrite(a, type, list) >= 0)
    rc = 0;
  if (a >= 0 && H5Aclose(a) < 0) rc = -1;
  if (space >= 0) H5Sclose(space);
  if (type >= 0) H5Tclose(type);
  for (int k = 0; k < rank && rc == 0; k++)
    if (lists[k]) rc = scale_list_add(lists[k], d, k);
  return rc;
}

/* The entries REFERENCE_LIST already holds go in front of the list's (the
 * attribute is then deleted, to be written again whole). */
static int take_old_entries(syn_h5u_scale_list *l, hid_t type) {
  const htri_t e = H5Aexists(l->scale, "REFERENCE_LIST");
  if (e <= 0) return e < 0 ? -1 : 0;
  hid_t a = H5Aopen(l->scale, "REFERENCE_LIST", H5P_DEFAULT);
  hid_t sp = a < 0 ? -1 : H5Aget_space(a);
  const hssize_t m = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
  int rc = m < 0 ? -1 : syn_grow(&l->entries, &l->cap, l->n + (size_t)m, sizeof(ref_entry)) ? -2 : 0;
  if (rc == 0 && m > 0) {
    ref_entry *v = l->entries;
    memmove(v + m, v, l->n * sizeof *v);
    rc = H5Aread(a, type, v) < 0 ? -1 : 0;
    if (rc == 0) l->n += (size_t)m;
  }
  if (sp >= 0) H5Sclose(sp);
  if (a >= 0 && H5Aclose(a) < 0) rc = -1;
  if (rc == 0 && H5Adelete(l->scale, "REFERENCE_LIST") < 0) rc = -1;
  return rc < 0 ? rc : 0;
}

int syn_h5u_scale_list_finish(syn_h5u_scale_list *l) {
  if (l->n == 0) return 0;
  int rc = -1;
  hid_t type = reflist_type(), space = -1, a = -1;
  if (type >= 0) rc = take_old_entries(l, type);
  if (rc == 0) {
    const hsize_t n = l->n;
    rc = -1;
    if ((space = H5Screate_simple(1, &n, NULL)) >= 0 &&
        (a = H5Acreate2(l->scale, "REFERENCE_LIST", type, space, H5P_DEFAULT, H5P_DEFAULT)) >= 0 &&
        H5Awrite(a, type, l->entries) >= 0)
      rc = 0;
  }
  if (a >= 0 && H5Aclose(a) < 0) rc = -1;
  if (space >= 0) H5Sclose(space);
  if (type >= 0) H5Tclose(type);
  syn_h5u_scale_list_free(l);
  return rc;
}

void syn_h5u_scale_list_free(syn_h5u_scale_list *l) {
  syn_free(l->entries);
  l->entries = NULL;
  l->n = l->cap = 0;
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

herr_t syn_h5u_bound_metadata_cache(hid_t fapl, size_t max_bytes) {
  H5AC_cache_config_t c = {.version = H5AC__CURR_CACHE_CONFIG_VERSION};
  if (H5Pget_mdc_config(fapl, &c) < 0) return -1;
  c.set_initial_size = 1;
  c.initial_size = max_bytes / 2;
  c.min_size = max_bytes / 2;
  c.max_size = max_bytes;
  return H5Pset_mdc_config(fapl, &c);
}
