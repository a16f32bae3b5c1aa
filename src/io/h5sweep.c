/* synovia — HDF5 writer for sweep files, NetCDF-4 compatible (io layer; see
 * synovia/h5sweep.h and docs/output-format.md, "Sweep files").
 *
 * Every dataset is created at syn_h5sweep_create with its full shape and a
 * fill value (NaN, status 0 = not_run), then filled row by row: rows are keyed
 * by the global sample index (so a rerun of a sample rewrites its own row:
 * shards and resumed runs need no bookkeeping of completion order), and chunked
 * storage is allocated only for chunks that get written, so a shard that
 * writes a tenth of the rows costs a tenth of the space.
 *
 * Memory or disk. Small files are built in memory with the core driver and
 * written to <path>.tmp with write(2) at commit, as run files are (h5.c
 * explains why: HDF5 1.10.8 crashes at exit after a failed H5Fclose, and with
 * the core driver disk errors come from our own write() with a real errno).
 * But a sweep of 10^5..10^6 samples with trajectories can hold gigabytes, far
 * more than a worker should keep in RAM, and a sweep that runs for hours must
 * not lose everything when it is killed: so when the uncompressed data would
 * exceed spec->memory_limit (64 MiB by default), the file is written straight
 * to <path>.tmp (sec2 driver) and syn_h5sweep_flush, called by the driver at
 * block boundaries, makes the rows written so far durable in the tmp file
 * (a flushed default-libver file stays readable after SIGKILL: docs/design.md,
 * "Facts the I/O and sweep code rely on").
 * The price is the H5Fclose risk above on a full disk; the final name is
 * still never a partial file, because the rename happens only after a
 * successful close and fsync.
 *
 * Order of the writes of one row: the data first, /status last, so that a
 * status other than not_run in a flushed file means the row is complete. */
#include "synovia/h5sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "base/alloc.h"
#include "io/h5sweep_impl.h"
#include "io/h5util.h"

enum {
  DEFAULT_MEMORY_LIMIT = 64 << 20,
  ROW_CHUNK_BYTES = 256 << 10, /* (sample, k) tables: chunks of 256 KiB (docs/design.md) */
  TRAJ_CHUNK_ROWS = 64,        /* trajectories: (64, 512) chunks */
  TRAJ_CHUNK_TIMES = 512,
  STATUS_CHUNK = 1 << 16,
  REASON_CHUNK = 1 << 12,
  WRITER_CACHE_BYTES = 320 << 10, /* chunk cache per dataset: one chunk (file_fapl) */
  WRITER_CACHE_SLOTS = 521,
  SCALE_WINDOW = 1 << 16, /* rows of /sample written at a time */
  WRITER_MDC_BYTES = 2 << 20
};

static const signed char FLAG_VALUES[] = {0, 1, -1, -2, -3};
static const char FLAG_MEANINGS[] = "not_run ok solver_failure nonfinite error";

struct syn_h5sweep {
  char *path, *tmp_path;
  hid_t file;
  int fd;      /* memory mode: the open tmp file, written at commit; -1 otherwise */
  int on_disk; /* written straight to the tmp file */
  int committed;
  syn_h5s_tables t;    /* the per-sample datasets */
  hid_t sample;        /* a part's /sample, written row by row; < 0 otherwise */
  size_t chunk_rows;   /* at most this many rows per chunk; 0: no limit */
  int part;            /* a part: /status_reason without a fill value (spec.part) */
  char **arm_names;    /* [t.narms], for the indices */
  unsigned char *done; /* bitmap of rows written */
  size_t nwritten;
};

/* ---- checking the spec --------------------------------------------------------- */

static int bad_name(const char *s) {
  return s == NULL || s[0] == 0 || strchr(s, '/') != NULL || strcmp(s, ".") == 0;
}

/* Names must be valid HDF5 link names and unique within their list. */
static syn_status check_names(const char *path, const char *what, size_t n,
                              const char *const *names, syn_error *err) {
  if (n > 0 && names == NULL)
    return syn_error_set(err, SYN_EINVAL, "HDF5 sweep output '%s': %zu %s names missing", path,
                         n, what);
  for (size_t i = 0; i < n; i++) {
    if (bad_name(names[i]))
      return syn_error_set(err, SYN_EINVAL,
                           "HDF5 sweep output '%s': %s name '%s' is empty or not a valid name "
                           "(no '/', not '.')",
                           path, what, names[i] ? names[i] : "(null)");
    for (size_t j = 0; j < i; j++)
      if (strcmp(names[i], names[j]) == 0)
        return syn_error_set(err, SYN_EINVAL, "HDF5 sweep output '%s': %s '%s' is listed twice",
                             path, what, names[i]);
  }
  return SYN_OK;
}

/* The names of the datasets the writer puts into arm groups: the metrics,
 * the time scale and the indices (any name with these prefixes). */
static int reserved_series_name(const char *name) {
  static const char *const reserved[] = {"time", "metric", "metric_units", "metric_value"};
  for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++)
    if (strcmp(name, reserved[k]) == 0) return 1;
  return strncmp(name, "sobol_", 6) == 0 || strncmp(name, "morris_", 7) == 0;
}

static syn_status check_series(const char *path, const syn_h5sweep_spec *s, syn_error *err) {
  if (s->nseries == 0) return SYN_OK;
  if (s->ntimes == 0 || s->times == NULL)
    return syn_error_set(err, SYN_EINVAL,
                         "HDF5 sweep output '%s': trajectories need a time grid (ntimes > 0)",
                         path);
  syn_status st = check_names(path, "series", s->nseries, s->series_names, err);
  for (size_t i = 0; i < s->nseries && st == SYN_OK; i++)
    if (reserved_series_name(s->series_names[i]))
      return syn_error_set(err, SYN_EINVAL,
                           "HDF5 sweep output '%s': series name '%s' collides with the "
                           "datasets the writer puts into every arm (time, metric*, sobol_*, "
                           "morris_*)",
                           path, s->series_names[i]);
  return st;
}

static syn_status check_spec(const char *path, const syn_h5sweep_spec *s, syn_error *err) {
  if (s->nsamples == 0 || s->nparams == 0 || s->narms == 0)
    return syn_error_set(err, SYN_EINVAL,
                         "HDF5 sweep output '%s': needs at least one sample, parameter and arm "
                         "(got %zu, %zu, %zu)",
                         path, s->nsamples, s->nparams, s->narms);
  if (s->task_count > 0 && s->task_index >= s->task_count)
    return syn_error_set(err, SYN_EINVAL,
                         "HDF5 sweep output '%s': task index %zu is not below the task count %zu",
                         path, s->task_index, s->task_count);
  if ((s->param_lower == NULL) != (s->param_upper == NULL))
    return syn_error_set(err, SYN_EINVAL,
                         "HDF5 sweep output '%s': give both parameter bounds or neither", path);
  syn_status st = check_names(path, "parameter", s->nparams, s->param_names, err);
  if (st == SYN_OK) st = check_names(path, "arm", s->narms, s->arm_names, err);
  if (st == SYN_OK) st = check_names(path, "metric", s->nmetrics, s->metric_names, err);
  if (st == SYN_OK) st = check_series(path, s, err);
  if (st == SYN_OK && s->prov != NULL) st = syn_h5u_check_provenance(path, s->prov, err);
  return st;
}

/* ---- creating the file ----------------------------------------------------------- */

/* Uncompressed bytes of all per-sample data (double arithmetic: no overflow). */
static double data_bytes(const syn_h5sweep_spec *s) {
  double per = (double)s->nparams + (double)s->narms * (double)s->nmetrics +
               (double)s->narms * (double)s->nseries * (double)s->ntimes;
  return (double)s->nsamples * (8.0 * per + 8.0 + 1.0 + 16.0);
}

/* On disk when the data would exceed memory_limit. (A part has storage only
 * for its own rows, /sample included: see write_sample_scale.) */
static int goes_to_disk(const syn_h5sweep_spec *s) {
  const size_t limit = s->memory_limit ? s->memory_limit : (size_t)DEFAULT_MEMORY_LIMIT;
  return data_bytes(s) > (double)limit;
}

/* Creates <path>.tmp with open(2) first for a real errno (cf. h5.c). */
static syn_status probe_tmp(syn_h5sweep *h, syn_error *err) {
  struct stat stt;
  if (stat(h->path, &stt) == 0 && S_ISDIR(stt.st_mode))
    return syn_error_set(err, SYN_EINVAL, "HDF5 sweep output '%s' is a directory", h->path);
  int fd = open(h->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0666);
  if (fd < 0) {
    int e = errno;
    char *dir = syn_h5u_dir_of(h->path);
    syn_status st = syn_error_set(err, SYN_EIO,
                                  "cannot create HDF5 sweep output '%s' in directory '%s': %s",
                                  h->tmp_path, dir ? dir : "?", strerror(e));
    syn_error_hint(err, "check that the directory exists and is writable");
    syn_free(dir);
    return st;
  }
  if (h->on_disk)
    close(fd); /* HDF5 opens it itself */
  else
    h->fd = fd;
  return SYN_OK;
}

/* In memory: the core driver without backing store. On disk: sec2, file
 * locking where the file system has it (ignored where it does not
 * [hdfgroup2021], as on Lustre clients mounted without flock [lustre2015]).
 * Closing the file closes all in it. */
static hid_t file_fapl(int on_disk) {
  hid_t p = H5Pcreate(H5P_FILE_ACCESS);
  if (p < 0) return p;
  if (!on_disk && H5Pset_fapl_core(p, (size_t)1 << 20, 0) < 0) goto fail;
  if (on_disk && H5Pset_file_locking(p, 1, 1) < 0) goto fail;
  /* Rows are written in ascending blocks: a chunk cache of one chunk per
   * dataset (chunks are at most 256 KiB) is enough. HDF5's default of 1 MiB
   * per dataset costs 240 MiB of a sweep keeping the trajectories of 3 arms
   * x 80 series, on every rank that writes. */
  if (on_disk && H5Pset_cache(p, 0, WRITER_CACHE_SLOTS, WRITER_CACHE_BYTES, 1.0) < 0) goto fail;
  if (on_disk && syn_h5u_bound_metadata_cache(p, WRITER_MDC_BYTES) < 0) goto fail;
  if (H5Pset_fclose_degree(p, H5F_CLOSE_STRONG) < 0) goto fail;
  return p;
fail:
  H5Pclose(p);
  return -1;
}

static syn_status open_file(syn_h5sweep *h, syn_error *err) {
  syn_status st = SYN_OK;
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  hid_t fapl = file_fapl(h->on_disk);
  unsigned flags = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  /* a part on disk: room for its seal (an in-memory part's image gets it in front) */
  if (fcpl < 0 || fapl < 0 || H5Pset_link_creation_order(fcpl, flags) < 0 ||
      H5Pset_attr_creation_order(fcpl, flags) < 0 ||
      (h->part && h->on_disk && H5Pset_userblock(fcpl, SYN_H5S_SEAL_BYTES) < 0) ||
      (h->file = H5Fcreate(h->tmp_path, H5F_ACC_TRUNC, fcpl, fapl)) < 0)
    st = syn_h5u_fail(h->path, err, "create the HDF5 file");
  if (fapl >= 0) H5Pclose(fapl);
  if (fcpl >= 0) H5Pclose(fcpl);
  return st;
}

static herr_t attr_u64(hid_t obj, const char *name, uint64_t v) {
  unsigned long long x = v;
  return syn_h5u_attr_scalar(obj, name, H5T_STD_U64LE, H5T_NATIVE_ULLONG, &x);
}

static syn_status write_sweep_attrs(syn_h5sweep *h, const syn_h5sweep_spec *s, syn_error *err) {
  const char *txt[][2] = {{"sweep_sha256", s->sweep_sha256},
                          {"config_sha256", s->config_sha256},
                          {"sweep_file", s->sweep_file},
                          {"design", s->design}};
  for (size_t i = 0; i < sizeof txt / sizeof txt[0]; i++)
    if (txt[i][1] != NULL && txt[i][1][0] != 0 &&
        syn_h5u_attr_string(h->file, txt[i][0], txt[i][1]) < 0)
      return syn_h5u_fail(h->path, err, "write global attribute '%s'", txt[i][0]);
  if (attr_u64(h->file, "seed", s->seed) < 0 || attr_u64(h->file, "base_seed", s->base_seed) < 0 ||
      syn_h5u_attr_int64(h->file, "n_samples", (long long)s->nsamples) < 0)
    return syn_h5u_fail(h->path, err, "write the sweep's global attributes");
  const struct {
    const char *name;
    size_t value;
  } design[] = {{"design_n", s->design_n},
                {"second_order", s->second_order != 0},
                {"morris_levels", s->morris_levels}};
  for (size_t i = 0; i < sizeof design / sizeof design[0]; i++)
    if (design[i].value != 0 &&
        syn_h5u_attr_int64(h->file, design[i].name, (long long)design[i].value) < 0)
      return syn_h5u_fail(h->path, err, "write global attribute '%s'", design[i].name);
  if (s->task_count > 0 &&
      (syn_h5u_attr_int64(h->file, "task_index", (long long)s->task_index) < 0 ||
       syn_h5u_attr_int64(h->file, "task_count", (long long)s->task_count) < 0))
    return syn_h5u_fail(h->path, err, "write the shard's global attributes");
  return SYN_OK;
}

/* Creation properties of a per-sample dataset: attribute creation order,
 * the given chunk shape, shuffle (not for bytes) + deflate(1), fill value.
 *
 * A variable-length string fill ("" for /status_reason) also allocates every
 * chunk at creation. HDF5 up to 1.14 (HDFGroup/hdf5#6187) cannot read a chunk
 * without storage of such a dataset from a read-only file: it would write the
 * fill's heap objects ("no write intent on file"), in every client. Without a
 * fill, those rows would read as NULL strings, on which rhdf5 and ncdf4 crash.
 * The price: every row holds a "" heap object from the start, about 18 bytes
 * per sample (18 MB and 0.3 s for 10^6 samples); so the parts of a sweep run
 * (spec.part), read only by the merge, get no fill and stay sparse. */
static hid_t sample_dcpl(int rank, const hsize_t *chunk, hid_t fill_type, const void *fill,
                         int shuffle) {
  hid_t p = H5Pcreate(H5P_DATASET_CREATE);
  if (p < 0) return p;
  const int vlen = H5Tis_variable_str(fill_type) > 0, vlen_fill = fill != NULL && vlen;
  /* vlen strings: no deflate on their heap references, which the readers
   * take as stored (syn_h5u_read_vlen_rows) */
  if (H5Pset_attr_creation_order(p, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
      H5Pset_chunk(p, rank, chunk) < 0 || (shuffle && H5Pset_shuffle(p) < 0) ||
      (!vlen && H5Pset_deflate(p, 1) < 0) ||
      (fill != NULL && H5Pset_fill_value(p, fill_type, fill) < 0) ||
      (vlen_fill && H5Pset_alloc_time(p, H5D_ALLOC_TIME_EARLY) < 0)) {
    H5Pclose(p);
    return -1;
  }
  return p;
}

static hsize_t min_h(hsize_t a, hsize_t b) { return a < b ? a : b; }

/* Rows per chunk: dflt, but no more than the sweep has or the spec allows. */
static hsize_t chunk_len(const syn_h5sweep *h, hsize_t dflt) {
  hsize_t n = min_h(h->t.nsamples, dflt ? dflt : 1);
  return h->chunk_rows > 0 ? min_h(n, h->chunk_rows) : n;
}

/* A failure of the bulk attachment (syn_h5u_scale_list: -2 is no memory). */
static syn_status scale_fail(const syn_h5sweep *h, syn_error *err, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static syn_status scale_fail(const syn_h5sweep *h, syn_error *err, int rc, const char *fmt, ...) {
  if (rc == -2)
    return syn_error_set(err, SYN_ENOMEM, "HDF5 sweep output '%s': out of memory", h->path);
  va_list ap;
  va_start(ap, fmt);
  syn_status st = syn_h5u_failv("HDF5 output", h->path, err, fmt, ap);
  va_end(ap);
  return st;
}

/* An empty per-sample dataset with a dimension scale on each axis: axis k
 * in bulk on lists[k] (the sample axis, a trajectory's time: one entry per
 * dataset, thousands with kept trajectories; see syn_h5u_scale_list), or,
 * when lists[k] is NULL, by H5DSattach_scale on scales[k] (the short axes of
 * parameters and metrics, which other datasets attach to that way). */
static hid_t create_sample_ds(hid_t loc, const char *name, hid_t ftype, int rank,
                              const hsize_t *dims, const hsize_t *chunk, const void *fill,
                              hid_t fill_type, int shuffle, syn_h5u_scale_list *const *lists,
                              const hid_t *scales) {
  hid_t d = -1;
  hid_t sp = H5Screate_simple(rank, dims, NULL);
  hid_t p = sample_dcpl(rank, chunk, fill_type, fill, shuffle);
  if (sp >= 0 && p >= 0) d = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, p, H5P_DEFAULT);
  if (d >= 0 && syn_h5u_scale_attach(d, rank, lists) != 0) {
    H5Dclose(d);
    d = -1;
  }
  for (int k = 0; k < rank && d >= 0; k++) {
    if (lists[k] == NULL && H5DSattach_scale(d, scales[k], (unsigned)k) < 0) {
      H5Dclose(d);
      d = -1;
    }
  }
  if (p >= 0) H5Pclose(p);
  if (sp >= 0) H5Sclose(sp);
  return d;
}

/* float64 (sample, k) with NaN fill, chunks of <= 256 KiB of whole rows. */
static hid_t create_table(const syn_h5sweep *h, hid_t loc, const char *name, size_t k,
                          syn_h5u_scale_list *sample, hid_t dk, const char *long_name) {
  const hsize_t dims[2] = {h->t.nsamples, k};
  const hsize_t chunk[2] = {chunk_len(h, ROW_CHUNK_BYTES / sizeof(double) / (k ? k : 1)), k};
  const double nan = NAN;
  syn_h5u_scale_list *const lists[2] = {sample, NULL};
  const hid_t scales[2] = {-1, dk};
  hid_t d = create_sample_ds(loc, name, H5T_IEEE_F64LE, 2, dims, chunk, &nan, H5T_NATIVE_DOUBLE,
                             1, lists, scales);
  if (d >= 0 && (syn_h5u_attr_string(d, "long_name", long_name) < 0 ||
                 syn_h5u_attr_nan_fill(d) < 0)) {
    H5Dclose(d);
    d = -1;
  }
  return d;
}

/* A 1-D vlen-string scale with a long_name. */
static hid_t string_scale(hid_t loc, const char *name, size_t n, const char *const *v,
                          const char *long_name) {
  hid_t d = syn_h5u_write_strings(loc, name, n, v);
  if (d >= 0 &&
      (H5DSset_scale(d, name) < 0 || syn_h5u_attr_string(d, "long_name", long_name) < 0)) {
    H5Dclose(d);
    d = -1;
  }
  return d;
}

/* A 1-D column attached to the scale dim (strings when num is NULL; a NULL
 * string list writes ""). */
static herr_t column(hid_t loc, const char *name, hid_t dim, size_t n, const double *num,
                     const char *const *text, const char *long_name) {
  hid_t d = num ? syn_h5u_write_f64(loc, name, n, num) : syn_h5u_write_strings(loc, name, n, text);
  herr_t rc = d < 0 ? -1 : H5DSattach_scale(d, dim, 0);
  if (rc >= 0) rc = syn_h5u_attr_string(d, "long_name", long_name);
  if (rc >= 0 && num) rc = syn_h5u_attr_nan_fill(d);
  if (d >= 0 && H5Dclose(d) < 0) rc = -1;
  return rc;
}

/* Units lists with "" for missing entries mapped to CF's "1". */
static const char **units_list(size_t n, const char *const *units) {
  const char **u = syn_calloc(n ? n : 1, sizeof *u);
  for (size_t i = 0; u != NULL && i < n; i++) u[i] = syn_h5u_cf_units(units ? units[i] : NULL);
  return u;
}

/* The indices 0..n-1, written through idx (w rows, a whole number of
 * chunks) a window at a time: an array of n would be 8 bytes a sample on
 * every rank, at every part's creation. */
static herr_t write_index_windows(hid_t d, hsize_t n, long long *idx, hsize_t w) {
  hid_t fs = H5Dget_space(d);
  herr_t rc = fs < 0 ? -1 : 0;
  for (hsize_t lo = 0; rc >= 0 && lo < n; lo += w) {
    hsize_t cnt = n - lo < w ? n - lo : w;
    for (hsize_t i = 0; i < cnt; i++) idx[i] = (long long)(lo + i);
    hid_t ms = H5Screate_simple(1, &cnt, NULL);
    rc = ms < 0 ? -1 : H5Sselect_hyperslab(fs, H5S_SELECT_SET, &lo, NULL, &cnt, NULL);
    if (rc >= 0) rc = H5Dwrite(d, H5T_NATIVE_LLONG, ms, fs, H5P_DEFAULT, idx);
    if (ms >= 0) H5Sclose(ms);
  }
  if (fs >= 0) H5Sclose(fs);
  return rc;
}

/* Same creation properties as syn_h5u_write_i64, so the same file. */
static hid_t create_sample_scale(hid_t file, hsize_t n, hid_t dcpl, long long *idx, hsize_t w) {
  hid_t sp = H5Screate_simple(1, &n, NULL);
  hid_t d = sp < 0 ? -1 : H5Dcreate2(file, "sample", H5T_STD_I64LE, sp, H5P_DEFAULT, dcpl,
                                     H5P_DEFAULT);
  if (d >= 0 && write_index_windows(d, n, idx, w) < 0) {
    H5Dclose(d);
    d = -1;
  }
  if (sp >= 0) H5Sclose(sp);
  return d;
}

/* Rows of /sample per write: SCALE_WINDOW, rounded down to whole chunks
 * when chunked (it is contiguous: any window). */
static hsize_t scale_window(hid_t dcpl, hsize_t n) {
  hsize_t chunk = 1;
  if (H5Pget_layout(dcpl) == H5D_CHUNKED && (H5Pget_chunk(dcpl, 1, &chunk) < 1 || chunk == 0))
    chunk = n;
  hsize_t w = chunk * (SCALE_WINDOW / chunk > 0 ? SCALE_WINDOW / chunk : 1);
  return w < n ? w : n;
}

/* A part's /sample: chunked like a (sample, 1) table, without storage until
 * its rows are written (write_run writes each row's index with the row), so
 * that a part of k samples costs k rows whatever the size of the sweep; the
 * rows of other parts read as the fill, -1. The merged file's is whole. */
static syn_status part_sample_scale(syn_h5sweep *h, hid_t *dsample, syn_error *err) {
  const hsize_t n = h->t.nsamples, chunk = chunk_len(h, ROW_CHUNK_BYTES / sizeof(long long));
  const long long none = -1;
  hid_t sp = H5Screate_simple(1, &n, NULL);
  hid_t p = sample_dcpl(1, &chunk, H5T_NATIVE_LLONG, &none, 1);
  *dsample = sp >= 0 && p >= 0 ? H5Dcreate2(h->file, "sample", H5T_STD_I64LE, sp, H5P_DEFAULT, p,
                                            H5P_DEFAULT)
                               : -1;
  if (p >= 0) H5Pclose(p);
  if (sp >= 0) H5Sclose(sp);
  if (*dsample < 0 || H5DSset_scale(*dsample, "sample") < 0 ||
      syn_h5u_attr_string(*dsample, "long_name", "global sample index") < 0 ||
      (h->sample = H5Dopen2(h->file, "sample", H5P_DEFAULT)) < 0)
    return syn_h5u_fail(h->path, err, "create dataset '/sample'");
  return SYN_OK;
}

static syn_status write_sample_scale(syn_h5sweep *h, hid_t *dsample, syn_error *err) {
  if (h->part) return part_sample_scale(h, dsample, err);
  const hsize_t n = h->t.nsamples;
  hid_t dcpl = syn_h5u_dataset_dcpl(0, 1, &n);
  if (dcpl < 0) return syn_h5u_fail(h->path, err, "write dataset '/sample'");
  const hsize_t w = scale_window(dcpl, n);
  long long *idx = syn_malloc((size_t)(w ? w : 1) * sizeof *idx);
  syn_status st = SYN_OK;
  if (idx == NULL)
    st = syn_error_set(err, SYN_ENOMEM, "HDF5 sweep output '%s': out of memory", h->path);
  else if ((*dsample = create_sample_scale(h->file, n, dcpl, idx, w)) < 0 ||
           H5DSset_scale(*dsample, "sample") < 0 ||
           syn_h5u_attr_string(*dsample, "long_name", "global sample index") < 0)
    st = syn_h5u_fail(h->path, err, "write dataset '/sample'");
  syn_free(idx);
  H5Pclose(dcpl);
  return st;
}

static syn_status write_params(syn_h5sweep *h, const syn_h5sweep_spec *s,
                               syn_h5u_scale_list *sample, syn_error *err) {
  syn_status st = SYN_OK;
  hid_t dparam = -1;
  const char **units = units_list(s->nparams, s->param_units);
  if (units == NULL) {
    st = syn_error_set(err, SYN_ENOMEM, "HDF5 sweep output '%s': out of memory", h->path);
    goto done;
  }
  if ((dparam = string_scale(h->file, "param", s->nparams, s->param_names, "parameter name")) < 0 ||
      column(h->file, "param_units", dparam, s->nparams, NULL, units, "units of param_value") < 0 ||
      (s->param_lower != NULL &&
       (column(h->file, "param_lower", dparam, s->nparams, s->param_lower, NULL,
               "lower bound of the parameter's range") < 0 ||
        column(h->file, "param_upper", dparam, s->nparams, s->param_upper, NULL,
               "upper bound of the parameter's range") < 0)) ||
      (s->param_distribution != NULL &&
       column(h->file, "param_distribution", dparam, s->nparams, NULL, s->param_distribution,
              "distribution the parameter was sampled from") < 0)) {
    st = syn_h5u_fail(h->path, err, "write the parameter table");
    goto done;
  }
  if ((h->t.param_value = create_table(h, h->file, "param_value", s->nparams, sample, dparam,
                                       "parameter value of the sample (units in "
                                       "param_units)")) < 0)
    st = syn_h5u_fail(h->path, err, "create dataset '/param_value'");
done:
  if (dparam >= 0) H5Dclose(dparam);
  syn_free(units);
  return st;
}

static herr_t write_flags(hid_t d) {
  const hsize_t n = sizeof FLAG_VALUES;
  herr_t rc = -1;
  hid_t sp = H5Screate_simple(1, &n, NULL);
  hid_t a = sp < 0 ? -1 : H5Acreate2(d, "flag_values", H5T_STD_I8LE, sp, H5P_DEFAULT, H5P_DEFAULT);
  if (a >= 0) rc = H5Awrite(a, H5T_NATIVE_SCHAR, FLAG_VALUES);
  if (a >= 0 && H5Aclose(a) < 0) rc = -1;
  if (sp >= 0) H5Sclose(sp);
  if (rc >= 0) rc = syn_h5u_attr_string(d, "flag_meanings", FLAG_MEANINGS);
  return rc;
}

/* /status int8 (fill 0 = not_run; no _FillValue attribute, which xarray
 * would turn into NaN) and /status_reason vlen strings (fill "", but none in
 * a part: see syn_h5sweep_spec.part). */
static syn_status write_status(syn_h5sweep *h, syn_h5u_scale_list *sample, syn_error *err) {
  const hsize_t n = h->t.nsamples;
  syn_h5u_scale_list *const lists[1] = {sample};
  const hsize_t cs = chunk_len(h, STATUS_CHUNK), cr = chunk_len(h, REASON_CHUNK);
  const signed char zero = 0;
  h->t.status = create_sample_ds(h->file, "status", H5T_STD_I8LE, 1, &n, &cs, &zero,
                                 H5T_NATIVE_SCHAR, 0, lists, NULL);
  if (h->t.status < 0 ||
      syn_h5u_attr_string(h->t.status, "long_name", "outcome of the sample") < 0 ||
      write_flags(h->t.status) < 0)
    return syn_h5u_fail(h->path, err, "create dataset '/status'");
  static const char *const empty = ""; /* the fill: "" for rows without a reason */
  hid_t t = syn_h5u_utf8_vlen_type();
  if (t >= 0)
    h->t.reason = create_sample_ds(h->file, "status_reason", t, 1, &n, &cr,
                                   h->part ? NULL : &empty, t, 0, lists, NULL);
  if (t >= 0) H5Tclose(t);
  if (h->t.reason < 0 ||
      syn_h5u_attr_string(h->t.reason, "long_name", "why the sample failed (empty when ok)") < 0)
    return syn_h5u_fail(h->path, err, "create dataset '/status_reason'");
  return SYN_OK;
}

static syn_status write_arm_metrics(syn_h5sweep *h, const syn_h5sweep_spec *s, size_t a,
                                    hid_t g, syn_h5u_scale_list *sample, syn_error *err) {
  if (s->nmetrics == 0) return SYN_OK;
  syn_status st = SYN_OK;
  const char *arm = s->arm_names[a];
  hid_t dmetric = -1;
  const char **units = units_list(s->nmetrics, s->metric_units);
  if (units == NULL) {
    st = syn_error_set(err, SYN_ENOMEM, "HDF5 sweep output '%s': out of memory", h->path);
    goto done;
  }
  if ((dmetric = string_scale(g, "metric", s->nmetrics, s->metric_names, "metric name")) < 0 ||
      column(g, "metric_units", dmetric, s->nmetrics, NULL, units, "units of metric_value") < 0 ||
      (h->t.metric_value[a] = create_table(h, g, "metric_value", s->nmetrics, sample, dmetric,
                                           "metric value of the sample")) < 0)
    st = syn_h5u_fail(h->path, err, "write the metrics of arm '%s'", arm);
done:
  if (dmetric >= 0) H5Dclose(dmetric);
  syn_free(units);
  return st;
}

static syn_status write_arm_series(syn_h5sweep *h, const syn_h5sweep_spec *s, size_t a,
                                   hid_t g, syn_h5u_scale_list *sample, syn_error *err) {
  if (s->nseries == 0) return SYN_OK;
  const char *arm = s->arm_names[a];
  hid_t dtime = syn_h5u_write_f64(g, "time", s->ntimes, s->times);
  if (dtime < 0 || H5DSset_scale(dtime, "time") < 0 ||
      syn_h5u_attr_string(dtime, "units", syn_h5u_cf_units(s->time_units)) < 0 ||
      syn_h5u_attr_string(dtime, "long_name", "time") < 0) {
    if (dtime >= 0) H5Dclose(dtime);
    return syn_h5u_fail(h->path, err, "write dataset '/arms/%s/time'", arm);
  }
  const hsize_t dims[2] = {h->t.nsamples, s->ntimes};
  const hsize_t chunk[2] = {chunk_len(h, TRAJ_CHUNK_ROWS),
                           min_h(s->ntimes, TRAJ_CHUNK_TIMES)};
  syn_h5u_scale_list time;
  syn_h5u_scale_list *const lists[2] = {sample, &time};
  const double nan = NAN;
  syn_status st = SYN_OK;
  int rc = syn_h5u_scale_list_open(&time, dtime, s->nseries);
  if (rc != 0) st = scale_fail(h, err, rc, "write dataset '/arms/%s/time'", arm);
  for (size_t k = 0; k < s->nseries && st == SYN_OK; k++) {
    const char *name = s->series_names[k];
    hid_t d = create_sample_ds(g, name, H5T_IEEE_F64LE, 2, dims, chunk, &nan, H5T_NATIVE_DOUBLE,
                               1, lists, NULL);
    h->t.traj[a * s->nseries + k] = d;
    if (d < 0 ||
        syn_h5u_attr_string(d, "units", syn_h5u_cf_units(s->series_units ? s->series_units[k]
                                                                         : NULL)) < 0 ||
        syn_h5u_attr_string(d, "long_name", name) < 0 || syn_h5u_attr_nan_fill(d) < 0)
      st = syn_h5u_fail(h->path, err, "create dataset '/arms/%s/%s'", arm, name);
  }
  if (st == SYN_OK && (rc = syn_h5u_scale_list_finish(&time)) != 0)
    st = scale_fail(h, err, rc, "attach '/arms/%s/time' to the trajectories", arm);
  syn_h5u_scale_list_free(&time);
  H5Dclose(dtime);
  return st;
}

static syn_status write_arms(syn_h5sweep *h, const syn_h5sweep_spec *s,
                             syn_h5u_scale_list *sample, syn_error *err) {
  syn_status st = SYN_OK;
  hid_t arms = syn_h5u_create_group(h->file, "arms");
  if (arms < 0) return syn_h5u_fail(h->path, err, "create group '/arms'");
  for (size_t a = 0; a < s->narms && st == SYN_OK; a++) {
    hid_t g = syn_h5u_create_group(arms, s->arm_names[a]);
    if (g < 0) {
      st = syn_h5u_fail(h->path, err, "create group '/arms/%s'", s->arm_names[a]);
      break;
    }
    st = write_arm_metrics(h, s, a, g, sample, err);
    if (st == SYN_OK) st = write_arm_series(h, s, a, g, sample, err);
    H5Gclose(g);
  }
  H5Gclose(arms);
  return st;
}

static syn_status build_file(syn_h5sweep *h, const syn_h5sweep_spec *s, syn_error *err) {
  static const syn_provenance no_prov = {"", "", "", 0, NULL, NULL, NULL, NULL, NULL};
  hid_t dsample = -1;
  syn_status st = open_file(h, err);
  if (st == SYN_OK) st = syn_h5u_write_globals(h->file, h->path, s->prov ? s->prov : &no_prov, err);
  if (st == SYN_OK) st = write_sweep_attrs(h, s, err);
  if (st == SYN_OK)
    st = syn_h5u_write_provenance(h->file, h->path, s->prov ? s->prov : &no_prov, err);
  if (st == SYN_OK) st = write_sample_scale(h, &dsample, err);
  /* Every per-sample dataset is attached to /sample, in bulk: param_value,
   * status, status_reason, then per arm metric_value and the trajectories. */
  syn_h5u_scale_list sample = {.scale = -1};
  const size_t nattach = 3 + s->narms * ((s->nmetrics > 0) + s->nseries);
  int rc = st == SYN_OK ? syn_h5u_scale_list_open(&sample, dsample, nattach) : 0;
  if (rc != 0) st = scale_fail(h, err, rc, "write dataset '/sample'");
  if (st == SYN_OK) st = write_params(h, s, &sample, err);
  if (st == SYN_OK) st = write_status(h, &sample, err);
  if (st == SYN_OK) st = write_arms(h, s, &sample, err);
  if (st == SYN_OK && (rc = syn_h5u_scale_list_finish(&sample)) != 0)
    st = scale_fail(h, err, rc, "attach '/sample' to the per-sample datasets");
  syn_h5u_scale_list_free(&sample);
  if (dsample >= 0) H5Dclose(dsample);
  return st;
}

static syn_status copy_arm_names(syn_h5sweep *h, const syn_h5sweep_spec *s) {
  h->arm_names = syn_calloc(s->narms, sizeof *h->arm_names);
  if (h->arm_names == NULL) return SYN_ENOMEM;
  for (size_t a = 0; a < s->narms; a++)
    if ((h->arm_names[a] = syn_strdup(s->arm_names[a])) == NULL) return SYN_ENOMEM;
  return SYN_OK;
}

syn_status syn_h5sweep_create(const char *path, const syn_h5sweep_spec *spec, syn_h5sweep **out,
                              syn_error *err) {
  syn_h5sweep *h = NULL;
  syn_status st = SYN_OK;
  syn_h5u_quiet q;
  if (out == NULL)
    return syn_error_set(err, SYN_EINVAL, "HDF5 sweep output: no place for the writer");
  *out = NULL;
  if (path == NULL || path[0] == 0)
    return syn_error_set(err, SYN_EINVAL, "HDF5 sweep output: empty file name");
  if (spec == NULL) return syn_error_set(err, SYN_EINVAL, "HDF5 sweep output '%s': no spec", path);
  st = check_spec(path, spec, err);
  if (st != SYN_OK) return st;

  syn_h5u_quiet_begin(&q);
  h = syn_calloc(1, sizeof *h);
  if (h == NULL) goto nomem;
  h->file = h->t.param_value = h->t.status = h->t.reason = h->sample = -1;
  h->fd = -1;
  h->t.nsamples = spec->nsamples;
  h->t.nparams = spec->nparams;
  h->t.narms = spec->narms;
  h->t.nmetrics = spec->nmetrics;
  h->t.nseries = spec->nseries;
  h->t.ntimes = spec->nseries ? spec->ntimes : 0;
  h->chunk_rows = spec->chunk_rows;
  h->part = spec->part != 0;
  h->on_disk = goes_to_disk(spec);
  const size_t n = strlen(path);
  if (syn_h5s_tables_alloc(&h->t) != SYN_OK) goto nomem;
  h->path = syn_strdup(path);
  h->tmp_path = syn_malloc(n + sizeof ".tmp");
  h->done = syn_calloc(h->t.nsamples / 8 + 1, 1);
  if (h->path == NULL || h->tmp_path == NULL || h->done == NULL ||
      copy_arm_names(h, spec) != SYN_OK)
    goto nomem;
  memcpy(h->tmp_path, path, n);
  memcpy(h->tmp_path + n, ".tmp", sizeof ".tmp");

  st = probe_tmp(h, err);
  if (st != SYN_OK) {
    syn_free(h->tmp_path); /* nothing was created: destroy must not unlink */
    h->tmp_path = NULL;
    goto fail;
  }
  st = build_file(h, spec, err);
  if (st != SYN_OK) goto fail;
  *out = h;
  syn_h5u_quiet_end(&q);
  return SYN_OK;

nomem:
  st = syn_error_set(err, SYN_ENOMEM, "HDF5 sweep output '%s': out of memory", path);
fail:
  syn_h5sweep_destroy(h);
  syn_h5u_quiet_end(&q);
  return st;
}

/* ---- rows ------------------------------------------------------------------------- */

static int is_done(const syn_h5sweep *h, size_t i) { return (h->done[i / 8] >> (i % 8)) & 1; }

static int valid_status(int status) {
  for (size_t k = 1; k < sizeof FLAG_VALUES; k++)
    if (status == FLAG_VALUES[k]) return 1;
  return 0;
}

static syn_status check_open(const syn_h5sweep *h, syn_error *err) {
  if (h->committed || h->file < 0)
    return syn_error_set(err, SYN_EINVAL, "HDF5 sweep output '%s': already committed or closed",
                         h->path);
  return SYN_OK;
}

/* Everything about a block that can be refused, before anything is written. */
static syn_status check_block(const syn_h5sweep *h, size_t first, size_t count,
                              const double *params, const signed char *status, syn_error *err) {
  syn_status st = check_open(h, err);
  if (st != SYN_OK) return st;
  if (first > h->t.nsamples || count > h->t.nsamples - first) {
    size_t bad = first >= h->t.nsamples ? first : h->t.nsamples;
    return syn_error_set(err, SYN_EINVAL,
                         "HDF5 sweep output '%s': sample %zu is out of range (the sweep has %zu)",
                         h->path, bad, h->t.nsamples);
  }
  if (count > 0 && (params == NULL || status == NULL))
    return syn_error_set(err, SYN_EINVAL,
                         "HDF5 sweep output '%s': rows %zu..%zu have no parameters or status",
                         h->path, first, first + count - 1);
  for (size_t k = 0; k < count; k++) {
    if (status[k] == SYN_SWEEP_NOT_RUN) continue;
    if (!valid_status(status[k]))
      return syn_error_set(err, SYN_EINVAL,
                           "HDF5 sweep output '%s': sample %zu: status %d is not one of 1, -1, "
                           "-2, -3",
                           h->path, first + k, status[k]);
    if (is_done(h, first + k))
      return syn_error_set(err, SYN_EINVAL,
                           "HDF5 sweep output '%s': sample %zu is already written", h->path,
                           first + k);
  }
  return SYN_OK;
}

/* The non-empty reasons of rows [a, b) of the block, in one write of just
 * those elements: every other row keeps the fill ("", or NULL in a part), so
 * a block of ok rows writes no reason at all, and no "" heap object is
 * replaced by another (which would only churn the global heap). */
static herr_t write_reason_rows(hid_t d, size_t n, const hsize_t *rows, const char **text) {
  const hsize_t count = n;
  herr_t rc = -1;
  hid_t t = syn_h5u_utf8_vlen_type();
  hid_t fs = t < 0 ? -1 : H5Dget_space(d);
  hid_t ms = fs < 0 ? -1 : H5Screate_simple(1, &count, NULL);
  if (ms >= 0 && H5Sselect_elements(fs, H5S_SELECT_SET, n, rows) >= 0)
    rc = H5Dwrite(d, t, ms, fs, H5P_DEFAULT, text);
  if (ms >= 0) H5Sclose(ms);
  if (fs >= 0) H5Sclose(fs);
  if (t >= 0) H5Tclose(t);
  return rc;
}

static syn_status write_reasons(syn_h5sweep *h, size_t first, size_t a, size_t b,
                                const char *const *reasons, syn_error *err) {
  size_t n = 0, lo = b, hi = a;
  for (size_t k = a; reasons != NULL && k < b; k++)
    if (reasons[k] != NULL && reasons[k][0] != 0) {
      if (n++ == 0) lo = k;
      hi = k + 1;
    }
  if (n == 0) return SYN_OK;
  syn_status st = SYN_OK;
  const char **text = syn_malloc(n * sizeof *text);
  hsize_t *rows = syn_malloc(n * sizeof *rows);
  if (text == NULL || rows == NULL) {
    st = syn_error_set(err, SYN_ENOMEM, "HDF5 sweep output '%s': out of memory", h->path);
    goto done;
  }
  n = 0;
  for (size_t k = lo; k < hi; k++)
    if (reasons[k] != NULL && reasons[k][0] != 0) {
      rows[n] = first + k;
      text[n++] = reasons[k];
    }
  if (write_reason_rows(h->t.reason, n, rows, text) < 0)
    st = syn_h5u_fail(h->path, err, "write the reasons of rows %zu..%zu of '/status_reason'",
                      first + lo, first + hi - 1);
done:
  syn_free(text);
  syn_free(rows);
  return st;
}

/* A part's /sample over rows [row, row + n): their indices. */
static syn_status write_sample_rows(syn_h5sweep *h, hsize_t row, hsize_t n, syn_error *err) {
  long long *idx = syn_malloc((size_t)n * sizeof *idx);
  if (idx == NULL)
    return syn_error_set(err, SYN_ENOMEM, "HDF5 sweep output '%s': out of memory", h->path);
  for (hsize_t k = 0; k < n; k++) idx[k] = (long long)(row + k);
  syn_status st = SYN_OK;
  if (syn_h5s_write_rows(h->sample, row, n, 0, 0, 0, H5T_NATIVE_LLONG, idx) < 0)
    st = syn_h5u_fail(h->path, err, "write rows %llu..%llu of '/sample'",
                      (unsigned long long)row, (unsigned long long)(row + n - 1));
  syn_free(idx);
  return st;
}

/* Rows [a, b) of the block, all to be written: the data first, /status last,
 * so that a status in the file means the row is complete. */
static syn_status write_run(syn_h5sweep *h, size_t first, size_t a, size_t b,
                            const double *params, const signed char *status,
                            const char *const *reasons, const double *metrics,
                            const double *traj, syn_error *err) {
  const syn_h5s_tables *t = &h->t;
  const hsize_t row = first + a, n = b - a;
  const size_t mc = syn_h5s_metric_cols(t), tc = syn_h5s_traj_cols(t);
  if (syn_h5s_write_rows(t->param_value, row, n, t->nparams, t->nparams, 0, H5T_NATIVE_DOUBLE,
                         params + a * t->nparams) < 0)
    return syn_h5u_fail(h->path, err, "write rows %zu..%zu of '/param_value'", first + a,
                        first + b - 1);
  for (size_t k = 0; metrics != NULL && t->nmetrics > 0 && k < t->narms; k++)
    if (syn_h5s_write_rows(t->metric_value[k], row, n, t->nmetrics, mc, k * t->nmetrics,
                           H5T_NATIVE_DOUBLE, metrics + a * mc) < 0)
      return syn_h5u_fail(h->path, err, "write rows %zu..%zu of the metrics of arm '%s'",
                          first + a, first + b - 1, h->arm_names[k]);
  for (size_t k = 0; traj != NULL && k < t->narms * t->nseries; k++)
    if (syn_h5s_write_rows(t->traj[k], row, n, t->ntimes, tc, k * t->ntimes, H5T_NATIVE_DOUBLE,
                           traj + a * tc) < 0)
      return syn_h5u_fail(h->path, err, "write rows %zu..%zu of trajectory %zu of arm '%s'",
                          first + a, first + b - 1, k % t->nseries,
                          h->arm_names[k / t->nseries]);
  syn_status st = write_reasons(h, first, a, b, reasons, err);
  if (st == SYN_OK && h->sample >= 0) st = write_sample_rows(h, row, n, err);
  if (st != SYN_OK) return st;
  if (syn_h5s_write_rows(t->status, row, n, 0, 0, 0, H5T_NATIVE_SCHAR, status + a) < 0)
    return syn_h5u_fail(h->path, err, "write rows %zu..%zu of '/status'", first + a,
                        first + b - 1);
  for (size_t i = first + a; i < first + b; i++)
    h->done[i / 8] = (unsigned char)(h->done[i / 8] | (1u << (i % 8)));
  h->nwritten += b - a;
  return SYN_OK;
}

syn_status syn_h5sweep_write_rows(syn_h5sweep *h, size_t first, size_t count,
                                  const double *params, const signed char *status,
                                  const char *const *reasons, const double *metrics,
                                  const double *traj, syn_error *err) {
  if (h == NULL) return syn_error_set(err, SYN_EINVAL, "HDF5 sweep output: NULL writer");
  syn_status st = check_block(h, first, count, params, status, err);
  if (st != SYN_OK) return st;
  if (h->t.nseries == 0) traj = NULL;
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  for (size_t a = 0; a < count && st == SYN_OK;) {
    while (a < count && status[a] == SYN_SWEEP_NOT_RUN) a++;
    size_t b = a;
    while (b < count && status[b] != SYN_SWEEP_NOT_RUN) b++;
    if (b > a) st = write_run(h, first, a, b, params, status, reasons, metrics, traj, err);
    a = b;
  }
  syn_h5u_quiet_end(&q);
  return st;
}

syn_status syn_h5sweep_write_sample(syn_h5sweep *h, size_t sample, const double *params,
                                    int status, const char *reason, const double *metrics,
                                    const double *traj, syn_error *err) {
  if (h == NULL) return syn_error_set(err, SYN_EINVAL, "HDF5 sweep output: NULL writer");
  syn_status st = check_open(h, err);
  if (st != SYN_OK) return st;
  if (params == NULL)
    return syn_error_set(err, SYN_EINVAL, "HDF5 sweep output '%s': sample %zu has no parameters",
                         h->path, sample);
  /* NOT_RUN means "skip" to write_rows; for one row it is a caller's bug */
  if (!valid_status(status))
    return syn_error_set(err, SYN_EINVAL,
                         "HDF5 sweep output '%s': sample %zu: status %d is not one of 1, -1, -2, "
                         "-3",
                         h->path, sample, status);
  const signed char code = (signed char)status;
  return syn_h5sweep_write_rows(h, sample, 1, params, &code, &reason, metrics, traj, err);
}

size_t syn_h5sweep_written(const syn_h5sweep *h) { return h ? h->nwritten : 0; }

int syn_h5s_writer_mark(syn_h5sweep *h, size_t i) {
  const int was = is_done(h, i);
  h->done[i / 8] = (unsigned char)(h->done[i / 8] | (1u << (i % 8)));
  return was;
}

void syn_h5s_writer_clear_marks(syn_h5sweep *h) { memset(h->done, 0, h->t.nsamples / 8 + 1); }

size_t syn_h5s_writer_unmarked(const syn_h5sweep *h, size_t first, size_t end,
                               size_t *first_unmarked) {
  size_t n = 0;
  for (size_t i = first; i < end; i++) {
    if ((i % 8) == 0 && i + 8 <= end && h->done[i / 8] == 0xFF) { /* a full byte */
      i += 7;
      continue;
    }
    if (!is_done(h, i) && n++ == 0) *first_unmarked = i;
  }
  return n;
}

syn_status syn_h5s_writer_attr_string(syn_h5sweep *h, const char *name, const char *value,
                                      syn_error *err) {
  syn_status st = check_open(h, err);
  if (st != SYN_OK) return st;
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  if (syn_h5u_attr_string(h->file, name, value) < 0)
    st = syn_h5u_fail(h->path, err, "write global attribute '%s'", name);
  syn_h5u_quiet_end(&q);
  return st;
}

syn_status syn_h5sweep_read_back(syn_h5sweep *h, size_t first, size_t count, double *params,
                                 signed char *status, double *metrics, double *traj,
                                 syn_error *err) {
  if (h == NULL) return syn_error_set(err, SYN_EINVAL, "HDF5 sweep output: NULL writer");
  syn_status st = check_open(h, err);
  if (st != SYN_OK) return st;
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  st = syn_h5s_read_block(&h->t, h->path, first, count, params, status, metrics, traj, err);
  syn_h5u_quiet_end(&q);
  return st;
}

syn_status syn_h5sweep_flush(syn_h5sweep *h, syn_error *err) {
  if (h == NULL) return syn_error_set(err, SYN_EINVAL, "HDF5 sweep output: NULL writer");
  syn_status st = check_open(h, err);
  if (st != SYN_OK || !h->on_disk) return st;
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  if (H5Fflush(h->file, H5F_SCOPE_GLOBAL) < 0) st = syn_h5u_fail(h->path, err, "flush the file");
  syn_h5u_quiet_end(&q);
  return st;
}

/* ---- sensitivity indices ------------------------------------------------------------ */

/* An index table (metric, param) over the arm's metric scale and the root's
 * param scale; NULL values leave the NaN fill. */
static herr_t index_table(hid_t g, const char *name, const syn_h5s_tables *t, hid_t dmetric,
                          hid_t dparam, const double *values, const char *long_name,
                          const char *comment, int unitless) {
  const hsize_t dims[2] = {t->nmetrics, t->nparams};
  herr_t rc = -1;
  hid_t sp = H5Screate_simple(2, dims, NULL);
  hid_t p = syn_h5u_dataset_dcpl(1, 2, dims);
  hid_t d = sp >= 0 && p >= 0 ? H5Dcreate2(g, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, p,
                                           H5P_DEFAULT)
                              : -1;
  if (d >= 0 && (values == NULL || H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                            values) >= 0) &&
      H5DSattach_scale(d, dmetric, 0) >= 0 && H5DSattach_scale(d, dparam, 1) >= 0 &&
      syn_h5u_attr_string(d, "long_name", long_name) >= 0 &&
      (!unitless || syn_h5u_attr_string(d, "units", "1") >= 0) &&
      (comment == NULL || syn_h5u_attr_string(d, "comment", comment) >= 0) &&
      syn_h5u_attr_nan_fill(d) >= 0)
    rc = 0;
  if (d >= 0 && H5Dclose(d) < 0) rc = -1;
  if (p >= 0) H5Pclose(p);
  if (sp >= 0) H5Sclose(sp);
  return rc;
}

/* Counts per metric, int64 over the metric scale; NULL: not written. */
static herr_t index_counts(hid_t g, const char *name, size_t nmetrics, hid_t dmetric,
                           const size_t *counts, const char *long_name) {
  if (counts == NULL) return 0;
  long long *v = syn_malloc(nmetrics * sizeof *v);
  if (v == NULL) return -1;
  for (size_t m = 0; m < nmetrics; m++) v[m] = (long long)counts[m];
  hid_t d = syn_h5u_write_i64(g, name, nmetrics, v);
  herr_t rc = d < 0 ? -1 : H5DSattach_scale(d, dmetric, 0);
  if (rc >= 0) rc = syn_h5u_attr_string(d, "long_name", long_name);
  if (d >= 0 && H5Dclose(d) < 0) rc = -1;
  syn_free(v);
  return rc;
}

/* Scalars as attributes of the arm group; zero / empty values not written. */
static herr_t index_attr_size(hid_t g, const char *name, size_t v) {
  return v == 0 ? 0 : syn_h5u_attr_int64(g, name, (long long)v);
}
static herr_t index_attr_double(hid_t g, const char *name, double v) {
  return v == 0.0 ? 0 : syn_h5u_attr_double(g, name, v);
}
static herr_t index_attr_string(hid_t g, const char *name, const char *v) {
  return v == NULL || v[0] == 0 ? 0 : syn_h5u_attr_string(g, name, v);
}

typedef struct index_table_def {
  const char *name;
  const double *values;
  const char *long_name;
} index_table_def;

typedef struct index_set {
  const char *kind;  /* "Sobol", "Morris" */
  const char *probe; /* a dataset name that says "already written" */
  index_table_def tables[4];
  const char *comment; /* of every table; NULL: unitless ("1") instead */
  const char *used_name, *dropped_name, *used_long, *dropped_long;
  const size_t *used, *dropped;
} index_set;

/* Everything of one kind of indices into /arms/<arm>; scalars by write_scalars. */
static syn_status write_index_set(syn_h5sweep *h, size_t arm, const index_set *set,
                                  herr_t (*write_scalars)(hid_t g, const void *ix),
                                  const void *ix, syn_error *err) {
  syn_status st = check_open(h, err);
  if (st != SYN_OK) return st;
  if (arm >= h->t.narms)
    return syn_error_set(err, SYN_EINVAL, "HDF5 sweep output '%s': arm %zu is out of range (%zu "
                         "arms)", h->path, arm, h->t.narms);
  if (h->t.nmetrics == 0)
    return syn_error_set(err, SYN_EINVAL,
                         "HDF5 sweep output '%s': no metrics, so no %s indices for arm '%s'",
                         h->path, set->kind, h->arm_names[arm]);
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  hid_t arms = -1, g = -1, dmetric = -1, dparam = -1;
  if ((arms = H5Gopen2(h->file, "arms", H5P_DEFAULT)) < 0 ||
      (g = H5Gopen2(arms, h->arm_names[arm], H5P_DEFAULT)) < 0) {
    st = syn_h5u_fail(h->path, err, "open group '/arms/%s'", h->arm_names[arm]);
    goto done;
  }
  if (H5Lexists(g, set->probe, H5P_DEFAULT) > 0) {
    st = syn_error_set(err, SYN_EINVAL,
                       "HDF5 sweep output '%s': the %s indices of arm '%s' are already written",
                       h->path, set->kind, h->arm_names[arm]);
    goto done;
  }
  if ((dmetric = H5Dopen2(g, "metric", H5P_DEFAULT)) < 0 ||
      (dparam = H5Dopen2(h->file, "param", H5P_DEFAULT)) < 0) {
    st = syn_h5u_fail(h->path, err, "open the scales of '/arms/%s'", h->arm_names[arm]);
    goto done;
  }
  for (size_t k = 0; k < 4; k++)
    if (index_table(g, set->tables[k].name, &h->t, dmetric, dparam, set->tables[k].values,
                    set->tables[k].long_name, set->comment, set->comment == NULL) < 0) {
      st = syn_h5u_fail(h->path, err, "write '/arms/%s/%s'", h->arm_names[arm],
                        set->tables[k].name);
      goto done;
    }
  if (index_counts(g, set->used_name, h->t.nmetrics, dmetric, set->used, set->used_long) < 0 ||
      index_counts(g, set->dropped_name, h->t.nmetrics, dmetric, set->dropped,
                   set->dropped_long) < 0 ||
      write_scalars(g, ix) < 0)
    st = syn_h5u_fail(h->path, err, "write the %s counts and attributes of '/arms/%s'",
                      set->kind, h->arm_names[arm]);
done:
  if (dparam >= 0) H5Dclose(dparam);
  if (dmetric >= 0) H5Dclose(dmetric);
  if (g >= 0) H5Gclose(g);
  if (arms >= 0) H5Gclose(arms);
  syn_h5u_quiet_end(&q);
  return st;
}

static herr_t sobol_scalars(hid_t g, const void *p) {
  const syn_h5sweep_sobol *ix = p;
  if (index_attr_size(g, "sobol_n_base", ix->n_base) < 0 ||
      syn_h5u_attr_int64(g, "sobol_n_boot", (long long)ix->n_boot) < 0 ||
      index_attr_double(g, "sobol_confidence_level", ix->confidence_level) < 0 ||
      index_attr_string(g, "sobol_estimator_S1", ix->estimator_S1) < 0 ||
      index_attr_string(g, "sobol_estimator_ST", ix->estimator_ST) < 0)
    return -1;
  return 0;
}

syn_status syn_h5sweep_write_sobol(syn_h5sweep *h, size_t arm, const syn_h5sweep_sobol *ix,
                                   syn_error *err) {
  if (h == NULL) return syn_error_set(err, SYN_EINVAL, "HDF5 sweep output: NULL writer");
  if (ix == NULL || ix->S1 == NULL || ix->ST == NULL)
    return syn_error_set(err, SYN_EINVAL, "HDF5 sweep output '%s': Sobol indices without S1 "
                         "or ST", h->path);
  const index_set set = {
      "Sobol",
      "sobol_S1",
      {{"sobol_S1", ix->S1, "first-order Sobol index"},
       {"sobol_S1_conf", ix->S1_conf, "half-width of the confidence interval of sobol_S1"},
       {"sobol_ST", ix->ST, "total Sobol index"},
       {"sobol_ST_conf", ix->ST_conf, "half-width of the confidence interval of sobol_ST"}},
      NULL,
      "sobol_n_used",
      "sobol_n_dropped",
      "base rows used in the Sobol estimates",
      "base rows left out of the Sobol estimates (a failed sample among them)",
      ix->n_used,
      ix->n_dropped};
  return write_index_set(h, arm, &set, sobol_scalars, ix, err);
}

static herr_t morris_scalars(hid_t g, const void *p) {
  const syn_h5sweep_morris *ix = p;
  if (index_attr_size(g, "morris_n_trajectories", ix->n_trajectories) < 0 ||
      index_attr_size(g, "morris_num_levels", ix->num_levels) < 0 ||
      (ix->mu_star_conf != NULL &&
       (syn_h5u_attr_int64(g, "morris_n_boot", (long long)ix->n_boot) < 0 ||
        index_attr_double(g, "morris_confidence_level", ix->confidence_level) < 0)))
    return -1;
  return 0;
}

syn_status syn_h5sweep_write_morris(syn_h5sweep *h, size_t arm, const syn_h5sweep_morris *ix,
                                    syn_error *err) {
  if (h == NULL) return syn_error_set(err, SYN_EINVAL, "HDF5 sweep output: NULL writer");
  if (ix == NULL || ix->mu == NULL || ix->mu_star == NULL || ix->sigma == NULL)
    return syn_error_set(err, SYN_EINVAL, "HDF5 sweep output '%s': Morris indices without mu, "
                         "mu_star or sigma", h->path);
  static const char comment[] =
      "elementary effects per step of the unit cube (the parameter's range), as SALib: "
      "in the units of the metric (metric_units)";
  const index_set set = {
      "Morris",
      "morris_mu",
      {{"morris_mu", ix->mu, "mean of the elementary effects"},
       {"morris_mu_star", ix->mu_star, "mean of the absolute elementary effects"},
       {"morris_sigma", ix->sigma, "standard deviation of the elementary effects"},
       {"morris_mu_star_conf", ix->mu_star_conf,
        "half-width of the confidence interval of morris_mu_star"}},
      comment,
      "morris_n_used",
      "morris_n_dropped",
      "trajectories used in the Morris statistics",
      "trajectories left out of the Morris statistics (a failed sample on them)",
      ix->n_used,
      ix->n_dropped};
  return write_index_set(h, arm, &set, morris_scalars, ix, err);
}

/* ---- commit / destroy ------------------------------------------------------------ */

static herr_t close_datasets(syn_h5sweep *h) {
  herr_t rc = 0;
  hid_t *one[] = {&h->t.param_value, &h->t.status, &h->t.reason, &h->sample};
  for (size_t k = 0; k < sizeof one / sizeof one[0]; k++) {
    if (*one[k] >= 0 && H5Dclose(*one[k]) < 0) rc = -1;
    *one[k] = -1;
  }
  for (size_t a = 0; h->t.metric_value != NULL && a < h->t.narms; a++) {
    if (h->t.metric_value[a] >= 0 && H5Dclose(h->t.metric_value[a]) < 0) rc = -1;
    h->t.metric_value[a] = -1;
  }
  for (size_t k = 0; h->t.traj != NULL && k < h->t.narms * h->t.nseries; k++) {
    if (h->t.traj[k] >= 0 && H5Dclose(h->t.traj[k]) < 0) rc = -1;
    h->t.traj[k] = -1;
  }
  return rc;
}
static herr_t close_file(syn_h5sweep *h) {
  herr_t rc = close_datasets(h);
  if (h->file >= 0 && H5Fclose(h->file) < 0) rc = -1;
  h->file = -1;
  return rc;
}

/* In memory: the image is written through the fd kept open since create. */
static syn_status store_image(syn_h5sweep *h, syn_error *err) {
  syn_status st = SYN_OK;
  unsigned char *image = NULL;
  ssize_t n = -1;
  if (close_datasets(h) < 0 || H5Fflush(h->file, H5F_SCOPE_GLOBAL) < 0 ||
      (n = H5Fget_file_image(h->file, NULL, 0)) <= 0)
    return syn_h5u_fail(h->path, err, "finish the file");
  image = syn_malloc((size_t)n);
  if (image == NULL)
    return syn_error_set(err, SYN_ENOMEM, "HDF5 sweep output '%s': out of memory for %zd bytes",
                         h->path, n);
  if (H5Fget_file_image(h->file, image, (size_t)n) != n || close_file(h) < 0) {
    st = syn_h5u_fail(h->path, err, "copy the file");
    goto done;
  }
  int rc = 0;
  if (h->part) { /* the seal first: HDF5 finds the file after it */
    char seal[SYN_H5S_SEAL_BYTES];
    syn_h5s_seal_text(image, (size_t)n, seal);
    rc = syn_h5u_write_all(h->fd, (const unsigned char *)seal, sizeof seal);
  }
  if (rc == 0) rc = syn_h5u_write_all(h->fd, image, (size_t)n);
  if (rc == 0) rc = fsync(h->fd);
  int e = errno;
  if (close(h->fd) != 0 && rc == 0) {
    rc = -1;
    e = errno;
  }
  h->fd = -1;
  if (rc != 0)
    st = syn_error_set(err, SYN_EIO, "HDF5 sweep output '%s': cannot write '%s': %s", h->path,
                       h->tmp_path, strerror(e));
done:
  syn_free(image);
  return st;
}

/* On disk: close, then fsync the tmp file through a descriptor of our own
 * (a part: after sealing it). */
static syn_status finish_on_disk(syn_h5sweep *h, syn_error *err) {
  if (close_datasets(h) < 0 || H5Fflush(h->file, H5F_SCOPE_GLOBAL) < 0 || close_file(h) < 0)
    return syn_h5u_fail(h->path, err, "finish the file");
  if (h->part) return syn_h5s_seal_file(h->path, h->tmp_path, err);
  int fd = open(h->tmp_path, O_WRONLY | O_NOFOLLOW);
  int rc = fd < 0 ? -1 : fsync(fd);
  int e = errno;
  if (fd >= 0 && close(fd) != 0 && rc == 0) {
    rc = -1;
    e = errno;
  }
  if (rc != 0)
    return syn_error_set(err, SYN_EIO, "HDF5 sweep output '%s': cannot sync '%s': %s", h->path,
                         h->tmp_path, strerror(e));
  return SYN_OK;
}

syn_status syn_h5sweep_write_solver_config(syn_h5sweep *h, const char *text, syn_error *err) {
  if (h == NULL) return syn_error_set(err, SYN_EINVAL, "HDF5 sweep output: NULL writer");
  if (h->committed || h->file < 0)
    return syn_error_set(err, SYN_EINVAL, "HDF5 sweep output '%s': already committed or closed",
                         h->path);
  if (text == NULL || text[0] == 0) return SYN_OK;
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  syn_status st = syn_h5u_attr_string(h->file, "solver_config", text) < 0
                      ? syn_h5u_fail(h->path, err, "write global attribute 'solver_config'")
                      : SYN_OK;
  syn_h5u_quiet_end(&q);
  return st;
}

syn_status syn_h5sweep_commit(syn_h5sweep *h, syn_error *err) {
  if (h == NULL) return syn_error_set(err, SYN_EINVAL, "HDF5 sweep output: NULL writer");
  if (h->committed || h->file < 0)
    return syn_error_set(err, SYN_EINVAL, "HDF5 sweep output '%s': already committed or closed",
                         h->path);
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  /* the reasons' checksum, for the readers (syn_h5u_seal_strings) */
  syn_status st = syn_h5u_seal_strings(h->t.reason) < 0
                      ? syn_h5u_fail(h->path, err, "seal dataset '/status_reason'")
                      : SYN_OK;
  if (st == SYN_OK) st = h->on_disk ? finish_on_disk(h, err) : store_image(h, err);
  syn_h5u_quiet_end(&q);
  if (st == SYN_OK && rename(h->tmp_path, h->path) != 0)
    st = syn_error_set(err, SYN_EIO, "HDF5 sweep output '%s': cannot rename '%s' to it: %s",
                       h->path, h->tmp_path, strerror(errno));
  if (st == SYN_OK) {
    syn_h5u_sync_dir(h->path);
    h->committed = 1;
  }
  return st;
}

void syn_h5sweep_destroy(syn_h5sweep *h) {
  if (h == NULL) return;
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  close_file(h);
  if (h->fd >= 0) close(h->fd);
  if (!h->committed && h->tmp_path != NULL) unlink(h->tmp_path);
  syn_h5u_quiet_end(&q);
  syn_free(h->t.metric_value);
  syn_free(h->t.traj);
  for (size_t a = 0; h->arm_names != NULL && a < h->t.narms; a++) syn_free(h->arm_names[a]);
  syn_free(h->arm_names);
  syn_free(h->done);
  syn_free(h->path);
  syn_free(h->tmp_path);
  syn_free(h);
}
