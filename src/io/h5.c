/* synovia — HDF5 writer, NetCDF-4 compatible (io layer; see synovia/h5.h and
 * docs/output-format.md). The only file of the project that includes hdf5.h.
 *
 * NetCDF-4 compatibility [unidata2022] needs: link + attribute
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
 * restores the handler before returning (syn_h5u_quiet_begin/syn_h5u_quiet_end). Failures are
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
 * image (about 2.4 times the data of series of 101 points, less for longer
 * ones; the results are in memory anyway), written out from HDF5's own
 * buffer without a copy (see "the file image" below). Everything grows
 * linearly with the series: 10^5 series of 101 points take 9 s of CPU,
 * 410 MB and a 194 MB file (docs/output-format.md, "Storage"). */
#include "synovia/h5.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "base/alloc.h"
#include "io/h5util.h"

/* ISTORE_K: half the fan-out of a chunk index node (v1 B-tree). HDF5's 32
 * makes a 2 KB node for every chunked dataset, most of a short series'
 * bytes in the file; 2 makes it 176 bytes, and a series of 10^8 points
 * (763 chunks of 1 MiB) is still found in 6 levels. */
enum { ISTORE_K = 2, MDC_BYTES = 2 << 20, LOCK_ATTEMPTS = 8 };
/* Chunks of at most 1 MiB: the default HDF5/h5py chunk cache [hdfgroup2021]. */

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

/* The core driver's buffer, allocated through our callbacks (file_fapl) so
 * that commit can write it out as it is instead of copying it first. */
typedef struct image_buffer {
  unsigned char *mem;
  size_t size;
  size_t failed; /* bytes of a failed allocation, 0 when none: reported as out of memory */
} image_buffer;

struct syn_h5 {
  char *path;     /* final name */
  char *tmp_path; /* <path>.tmp, written until commit */
  hid_t file;     /* < 0 when closed */
  hid_t arms;     /* the /arms group, < 0 when closed */
  int fd;         /* the open tmp file, -1 when none */
  image_buffer image; /* the in-memory file: HDF5's core driver buffer */
  int committed;
  table_metric *metrics; /* the /metrics columns */
  size_t nmetrics, metrics_cap;
  table_arm *rows; /* the /metrics rows: every arm written, in order */
  size_t nrows, rows_cap;
  int metrics_written; /* /metrics is in the file (a retried commit skips it) */
};

/* ---- create ---------------------------------------------------------------------- */

/* The tmp file is locked (fcntl, whole file) from create until after the
 * rename, or until destroy has removed it: a tmp nobody holds is stale (its
 * writer was killed) and is taken over; a locked one belongs to a run still
 * writing, so a second writer of the same output refuses instead of
 * truncating it. The lock goes with the process, however it ends. */
static syn_status refuse_locked(syn_h5 *h, int fd, syn_error *err) {
  struct flock who = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
  char pid[32] = "another process";
  if (fcntl(fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK && who.l_pid > 0)
    snprintf(pid, sizeof pid, "process %ld", (long)who.l_pid);
  syn_status st = syn_error_set(err, SYN_EINVAL,
                                "HDF5 output '%s' is being written by %s (it holds '%s')",
                                h->path, pid, h->tmp_path);
  syn_error_hint(err, "wait for that run to finish, or write to another file");
  return st;
}

/* 1 when fd is still the file named tmp_path (not removed or renamed by its
 * previous owner between our open and our lock). */
static int still_named(const syn_h5 *h, int fd) {
  struct stat a, b;
  return fstat(fd, &a) == 0 && stat(h->tmp_path, &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

/* Opens and locks <path>.tmp; returns the fd, -1 with errno, or -2 when
 * another process holds the lock (fd of that file in *held). */
static int open_locked_tmp(const syn_h5 *h, int *held) {
  for (int attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
    /* O_NONBLOCK: a FIFO of that name fails here (ENXIO) instead of blocking */
    int fd = open(h->tmp_path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0666);
    if (fd < 0) return -1;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) { /* probe_tmp says what it is */
      close(fd);
      errno = EINVAL;
      return -1;
    }
    struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_SETLK, &lk) != 0 && (errno == EACCES || errno == EAGAIN)) {
      *held = fd;
      return -2;
    } /* other errors: a file system without locks; written unlocked, as HDF5 does */
    if (still_named(h, fd)) return fd;
    close(fd); /* its owner removed or renamed it meanwhile: open the name again */
  }
  errno = EAGAIN;
  return -1;
}

/* Creates (or takes over a stale) tmp file with open(2) first: that gives the
 * real errno (directory missing, not writable, read-only file system) that
 * HDF5 would bury in its stack. Nothing is created on failure. */
static syn_status probe_tmp(syn_h5 *h, syn_error *err) {
  struct stat stt;
  if (stat(h->path, &stt) == 0 && S_ISDIR(stt.st_mode))
    return syn_error_set(err, SYN_EINVAL, "HDF5 output '%s' is a directory", h->path);
  int held = -1;
  int fd = open_locked_tmp(h, &held);
  if (fd == -2) {
    syn_status st = refuse_locked(h, held, err);
    close(held);
    return st;
  }
  if (fd < 0 || ftruncate(fd, 0) != 0) {
    int e = errno;
    if (fd >= 0) { /* locked: ours to remove */
      unlink(h->tmp_path);
      close(fd);
    }
    struct stat ls; /* a FIFO (ENXIO), symlink (ELOOP), directory, device... */
    int odd = lstat(h->tmp_path, &ls) == 0 && !S_ISREG(ls.st_mode);
    char *dir = syn_h5u_dir_of(h->path);
    syn_status st = syn_error_set(err, SYN_EIO, "cannot create HDF5 output '%s' in directory '%s': %s",
                                  h->tmp_path, dir ? dir : "?",
                                  odd ? "it exists and is not a regular file" : strerror(e));
    syn_error_hint(err, odd ? "remove it, or write to another file"
                            : "check that the directory exists and is writable");
    syn_free(dir);
    return st;
  }
  h->fd = fd; /* kept open (and locked): the image is written through it at commit */
  return SYN_OK;
}

/* ---- the file image: HDF5's core driver keeps the file in a buffer it
 * grows through these callbacks [hdfgroup2021]; recording where it is
 * lets commit write the image straight from it. H5Fget_file_image would
 * copy it first: a second image in memory at the peak (194 MB of 600 at
 * 10^5 series). The buffer is HDF5's memory, taken with plain malloc as
 * HDF5's own allocator does, not through syn_malloc: the test builds' failure
 * injection must not reach HDF5's failure paths, which in 1.10.8 leak
 * property lists when H5Fcreate cannot allocate the first block (the library
 * then loops at exit: "infinite loop closing library"). A real failure is
 * still reported as out of memory (image_status). */
static void *image_malloc(size_t size, H5FD_file_image_op_t op, void *udata) {
  image_buffer *b = udata;
  void *p = malloc(size ? size : 1);
  if (p == NULL) b->failed = size;
  else if (op == H5FD_FILE_IMAGE_OP_FILE_OPEN) *b = (image_buffer){p, size, 0};
  return p;
}

static void *image_memcpy(void *dest, const void *src, size_t size, H5FD_file_image_op_t op,
                          void *udata) {
  (void)op;
  (void)udata;
  return memcpy(dest, src, size);
}

static void *image_realloc(void *ptr, size_t size, H5FD_file_image_op_t op, void *udata) {
  image_buffer *b = udata;
  void *p = realloc(ptr, size ? size : 1);
  if (p == NULL) b->failed = size;
  else if (op == H5FD_FILE_IMAGE_OP_FILE_RESIZE) *b = (image_buffer){p, size, 0};
  return p;
}

static herr_t image_free(void *ptr, H5FD_file_image_op_t op, void *udata) {
  image_buffer *b = udata;
  if (ptr == b->mem && op == H5FD_FILE_IMAGE_OP_FILE_CLOSE) *b = (image_buffer){NULL, 0, 0};
  free(ptr);
  return 0;
}

/* An HDF5 failure that came from the image's memory is out of memory, as
 * every other allocation failure of the writer: says so (and clears it). */
static syn_status image_status(syn_h5 *h, syn_status st, syn_error *err) {
  if (st == SYN_OK || h == NULL || h->image.failed == 0) return st;
  st = syn_error_set(err, SYN_ENOMEM, "HDF5 output '%s': out of memory for %zu bytes of the file",
                     h->path, h->image.failed);
  h->image.failed = 0;
  return st;
}

/* The callbacks' udata is the writer's image_buffer, shared by every copy of
 * the property list (HDF5 copies it into the file's). */
static void *image_udata_copy(void *udata) { return udata; }
static herr_t image_udata_free(void *udata) {
  (void)udata;
  return 0;
}

/* The file access list: in memory (see the header comment), growing by
 * 1 MiB; a STRONG close degree so that closing the file closes everything in
 * it. No disk file means no file locking either [hdfgroup2021]. */
static hid_t file_fapl(image_buffer *image) {
  H5FD_file_image_callbacks_t cb = {image_malloc,     image_memcpy,     image_realloc, image_free,
                                    image_udata_copy, image_udata_free, image};
  hid_t p = H5Pcreate(H5P_FILE_ACCESS);
  if (p < 0) return p;
  if (H5Pset_fapl_core(p, (size_t)1 << 20, 0) < 0) goto fail;
  if (H5Pset_file_image_callbacks(p, &cb) < 0) goto fail;
  /* HDF5's metadata cache grows to 32 MiB by default, and what it held stays
   * on HDF5's free lists: 48 MB of the 107 MB that 10^4 series cost. With the
   * file in memory an evicted entry costs a memcpy into the image, so a small
   * cache loses nothing (the sweep writer bounds its cache the same way). */
  if (syn_h5u_bound_metadata_cache(p, MDC_BYTES) < 0) goto fail;
  if (H5Pset_fclose_degree(p, H5F_CLOSE_STRONG) < 0) goto fail;
  return p;
fail:
  H5Pclose(p);
  return -1;
}

/* The in-memory file is named "<path>.tmp/in-memory", a name no file can
 * have (<path>.tmp is a regular file): H5Fcreate first tries to open its
 * name as an existing file (to find it among the open ones), and opening and
 * closing the tmp file itself would drop our fcntl lock on it (POSIX locks
 * go with any close of the file by the process). */
static syn_status open_file(syn_h5 *h, syn_error *err) {
  static const char suffix[] = "/in-memory";
  syn_status st = SYN_OK;
  const size_t n = strlen(h->tmp_path);
  char *name = syn_malloc(n + sizeof suffix);
  if (name == NULL) return syn_error_set(err, SYN_ENOMEM, "HDF5 output '%s': out of memory", h->path);
  memcpy(name, h->tmp_path, n);
  memcpy(name + n, suffix, sizeof suffix);
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  hid_t fapl = file_fapl(&h->image);
  unsigned flags = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  if (fcpl < 0 || fapl < 0 || H5Pset_link_creation_order(fcpl, flags) < 0 ||
      H5Pset_attr_creation_order(fcpl, flags) < 0 || H5Pset_istore_k(fcpl, ISTORE_K) < 0 ||
      (h->file = H5Fcreate(name, H5F_ACC_TRUNC, fcpl, fapl)) < 0) {
    st = syn_h5u_fail(h->path, err, "create the HDF5 file in memory");
  }
  if (fapl >= 0) H5Pclose(fapl);
  if (fcpl >= 0) H5Pclose(fcpl);
  syn_free(name);
  return st;
}

syn_status syn_h5_create(const char *path, const syn_provenance *prov, syn_h5 **out,
                         syn_error *err) {
  static const syn_provenance no_prov = {"", "", "", 0, NULL, NULL, NULL, NULL, NULL};
  syn_h5 *h = NULL;
  syn_status st = SYN_OK;
  syn_h5u_quiet q;
  if (out == NULL) return syn_error_set(err, SYN_EINVAL, "HDF5 output: no place for the writer");
  *out = NULL;
  if (path == NULL || path[0] == 0)
    return syn_error_set(err, SYN_EINVAL, "HDF5 output: empty file name");
  if (prov == NULL) prov = &no_prov;
  st = syn_h5u_check_provenance(path, prov, err);
  if (st != SYN_OK) return st;

  syn_h5u_quiet_begin(&q);
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
  if (st == SYN_OK) st = syn_h5u_write_globals(h->file, h->path, prov, err);
  if (st == SYN_OK) st = syn_h5u_write_provenance(h->file, h->path, prov, err);
  if (st == SYN_OK && (h->arms = syn_h5u_create_group(h->file, "arms")) < 0)
    st = syn_h5u_fail(h->path, err, "create group '/arms'");
  if (st != SYN_OK) goto fail;
  *out = h;
  syn_h5u_quiet_end(&q);
  return SYN_OK;

nomem:
  st = syn_error_set(err, SYN_ENOMEM, "HDF5 output '%s': out of memory", path);
fail:
  st = image_status(h, st, err);
  syn_h5_destroy(h);
  syn_h5u_quiet_end(&q);
  return st;
}

/* ---- arms ------------------------------------------------------------------------ */

/* With sensitivities, the arm group holds the group `sensitivities`, and
 * that group its own tables and the group `log` beside the series. */
static const char *const sens_reserved[] = {"param", "param_value", "param_units",
                                            "metric_gradient", "metric_gradient_log", "log"};

static syn_status check_sens_name(const syn_h5 *h, const char *arm, const syn_result *r,
                                  const char *name, syn_error *err) {
  if (syn_result_sens_count(r) == 0) return SYN_OK;
  if (strcmp(name, "sensitivities") == 0)
    return syn_error_set(err, SYN_EINVAL,
                         "HDF5 output '%s': series name '%s' in arm '%s' collides with the "
                         "group 'sensitivities' the writer puts there",
                         h->path, name, arm);
  for (size_t k = 0; k < sizeof sens_reserved / sizeof sens_reserved[0]; k++)
    if (strcmp(name, sens_reserved[k]) == 0)
      return syn_error_set(err, SYN_EINVAL,
                           "HDF5 output '%s': series name '%s' in arm '%s' collides with the "
                           "%s 'sensitivities/%s' the writer puts there",
                           h->path, name, arm, k == 5 ? "group" : "dataset", name);
  return SYN_OK;
}

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
  /* the names the writer itself puts into an arm group, and when */
  enum { ALWAYS, DOSES, EVENTS, METRICS };
  static const struct {
    const char *name;
    int when;
  } reserved[] = {{"time", ALWAYS},   {"param", ALWAYS},        {"param_value", ALWAYS},
                  {"param_units", ALWAYS}, {"doses", DOSES},    {"events", EVENTS},
                  {"metric", METRICS}, {"metric_value", METRICS}, {"metric_units", METRICS},
                  {"metric_description", METRICS}};
  const int present[] = {1, syn_result_dose_count(r) > 0, syn_result_event_count(r) > 0,
                         syn_result_metric_count(r) > 0};
  for (size_t s = 0; s < syn_result_nseries(r); s++) {
    const char *name = syn_result_info(r, s)->name;
    syn_status st = check_sens_name(h, arm, r, name, err);
    if (st != SYN_OK) return st;
    if (strchr(name, '/') != NULL || strcmp(name, ".") == 0)
      return syn_error_set(err, SYN_EINVAL,
                           "HDF5 output '%s': series name '%s' is not a valid dataset name",
                           h->path, name);
    for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++)
      if (present[reserved[k].when] && strcmp(name, reserved[k].name) == 0)
        return syn_error_set(err, SYN_EINVAL,
                             "HDF5 output '%s': series name '%s' in arm '%s' collides with the "
                             "%s '%s' the writer puts there",
                             h->path, name, arm,
                             reserved[k].when == DOSES || reserved[k].when == EVENTS ? "group"
                                                                                     : "dataset",
                             reserved[k].name);
  }
  return SYN_OK;
}

static herr_t write_group_attr(hid_t g, const syn_attr *a) {
  switch (a->type) {
  case SYN_ATTR_STRING: return syn_h5u_attr_string(g, a->key, a->s);
  case SYN_ATTR_DOUBLE: return syn_h5u_attr_double(g, a->key, a->d);
  case SYN_ATTR_INT: return syn_h5u_attr_int64(g, a->key, a->i);
  }
  return -1;
}

/* ---- the time axis of an arm, attached to every series ---------------------------- */

/* H5DSattach_scale reads the scale's REFERENCE_LIST (one entry per dataset
 * attached so far), deletes it and writes it back one entry longer: N series
 * cost N^2 in time, and the dropped copies stay in the file (40 000 series
 * made an 8 GB file). So the series' side of the attachment, the attribute
 * DIMENSION_LIST (a vlen of object references, one per axis), is written
 * with each series, and the scale's REFERENCE_LIST once, with every series,
 * when the arm is done. Both attributes have exactly the types HDF5's
 * dimension-scale API (1.10) gives them, so H5DS, netCDF, h5py and xarray
 * read them as if H5DSattach_scale had written them (test_h5 checks with
 * H5DSis_attached). */

/* An entry of REFERENCE_LIST, laid out as HDF5's own ds_list_t: the file type
 * is this native compound, as H5DS writes it. */
typedef struct scale_entry {
  hobj_ref_t dataset;
  int dimension;
} scale_entry;

/* The axis of one scale (the arm's time; the sensitivities' param). */
typedef struct time_axis {
  hid_t scale;         /* the scale dataset */
  hobj_ref_t self;     /* a reference to it, the element of every DIMENSION_LIST */
  hid_t dimlist_type;  /* vlen of object references */
  hid_t one;           /* dataspace of one element (a 1-D dataset's DIMENSION_LIST) */
  scale_entry *attached; /* [n] the series attached so far */
  size_t n, cap;
} time_axis;

static void time_axis_close(time_axis *t) {
  if (t->dimlist_type >= 0) H5Tclose(t->dimlist_type);
  if (t->one >= 0) H5Sclose(t->one);
  syn_free(t->attached);
  t->dimlist_type = t->one = -1;
  t->attached = NULL;
}

/* Prepares to attach up to n series to the scale dtime. Returns < 0 on an
 * HDF5 failure, 1 when out of memory, 0 on success. */
static int time_axis_open(time_axis *t, hid_t dtime, size_t n) {
  const hsize_t one = 1;
  memset(t, 0, sizeof *t);
  t->scale = dtime;
  t->dimlist_type = t->one = -1;
  t->cap = n ? n : 1;
  if ((t->attached = syn_calloc(t->cap, sizeof *t->attached)) == NULL) return 1;
  if (H5Rcreate(&t->self, dtime, ".", H5R_OBJECT, -1) < 0 ||
      (t->dimlist_type = H5Tvlen_create(H5T_STD_REF_OBJ)) < 0 ||
      (t->one = H5Screate_simple(1, &one, NULL)) < 0)
    return -1;
  return 0;
}

/* The series' half: DIMENSION_LIST = {time}, and d noted for REFERENCE_LIST. */
static herr_t time_axis_attach(time_axis *t, hid_t d) {
  if (t->n >= t->cap) return -1;
  hvl_t list = {1, &t->self};
  hid_t a = H5Acreate2(d, "DIMENSION_LIST", t->dimlist_type, t->one, H5P_DEFAULT, H5P_DEFAULT);
  herr_t rc = a < 0 ? -1 : H5Awrite(a, t->dimlist_type, &list);
  if (a >= 0 && H5Aclose(a) < 0) rc = -1;
  if (rc >= 0) rc = H5Rcreate(&t->attached[t->n].dataset, d, ".", H5R_OBJECT, -1);
  if (rc >= 0) t->attached[t->n++].dimension = 0;
  return rc;
}

/* d noted for the scale's REFERENCE_LIST, on axis dim of d. */
static herr_t time_axis_note(time_axis *t, hid_t d, int dim) {
  if (t->n >= t->cap || H5Rcreate(&t->attached[t->n].dataset, d, ".", H5R_OBJECT, -1) < 0)
    return -1;
  t->attached[t->n++].dimension = dim;
  return 0;
}

/* A 2-D dataset's half: DIMENSION_LIST = {rows' scale, columns' scale}, and d
 * noted by both (the sensitivities: param x time). */
static herr_t time_axis_attach_2d(time_axis *rows, time_axis *cols, hid_t d) {
  const hsize_t two = 2;
  hvl_t list[2] = {{1, &rows->self}, {1, &cols->self}};
  hid_t sp = H5Screate_simple(1, &two, NULL);
  hid_t a = sp < 0 ? -1 : H5Acreate2(d, "DIMENSION_LIST", rows->dimlist_type, sp, H5P_DEFAULT,
                                     H5P_DEFAULT);
  herr_t rc = a < 0 ? -1 : H5Awrite(a, rows->dimlist_type, list);
  if (a >= 0 && H5Aclose(a) < 0) rc = -1;
  if (sp >= 0) H5Sclose(sp);
  if (rc >= 0) rc = time_axis_note(rows, d, 0);
  if (rc >= 0) rc = time_axis_note(cols, d, 1);
  return rc;
}

/* The scale's half: REFERENCE_LIST with every series attached, written once. */
static herr_t time_axis_finish(time_axis *t) {
  if (t->n == 0) return 0;
  const hsize_t n = t->n;
  herr_t rc = -1;
  hid_t type = H5Tcreate(H5T_COMPOUND, sizeof(scale_entry));
  hid_t space = H5Screate_simple(1, &n, NULL), a = -1;
  if (type >= 0 && space >= 0 &&
      H5Tinsert(type, "dataset", HOFFSET(scale_entry, dataset), H5T_STD_REF_OBJ) >= 0 &&
      H5Tinsert(type, "dimension", HOFFSET(scale_entry, dimension), H5T_NATIVE_INT) >= 0 &&
      (a = H5Acreate2(t->scale, "REFERENCE_LIST", type, space, H5P_DEFAULT, H5P_DEFAULT)) >= 0)
    rc = H5Awrite(a, type, t->attached);
  if (a >= 0 && H5Aclose(a) < 0) rc = -1;
  if (space >= 0) H5Sclose(space);
  if (type >= 0) H5Tclose(type);
  return rc;
}

/* ---- series, parameters, tables --------------------------------------------------- */

static syn_status write_series(syn_h5 *h, hid_t g, time_axis *axis, const char *arm,
                               const syn_result *r, size_t s, syn_error *err) {
  const syn_series_info *info = syn_result_info(r, s);
  const char *long_name = info->long_name[0] ? info->long_name : info->name;
  const char *kind = info->kind == SYN_SERIES_STATE ? "state" : "output";
  hid_t d = syn_h5u_write_f64(g, info->name, syn_result_ntimes(r), syn_result_series(r, s));
  herr_t rc = d < 0 ? -1 : time_axis_attach(axis, d);
  if (rc >= 0) rc = syn_h5u_attr_string(d, "units", syn_h5u_cf_units(info->units));
  if (rc >= 0) rc = syn_h5u_attr_string(d, "long_name", long_name);
  if (rc >= 0) rc = syn_h5u_attr_string(d, "kind", kind);
  if (rc >= 0 && syn_result_atol(r, s) > 0) rc = syn_h5u_attr_double(d, "atol", syn_result_atol(r, s));
  if (rc >= 0) rc = syn_h5u_attr_nan_fill(d);
  if (d >= 0 && H5Dclose(d) < 0) rc = -1;
  if (rc < 0) return syn_h5u_fail(h->path, err, "write dataset '/arms/%s/%s'", arm, info->name);
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
    units[i] = syn_h5u_cf_units(units[i]);
  }
  if ((dparam = syn_h5u_write_strings(g, "param", n, names)) < 0 ||
      H5DSset_scale(dparam, "param") < 0 ||
      syn_h5u_attr_string(dparam, "long_name", "parameter name") < 0) {
    st = syn_h5u_fail(h->path, err, "write dataset '/arms/%s/param'", arm);
    goto done;
  }
  if ((dvalue = syn_h5u_write_f64(g, "param_value", n, values)) < 0 ||
      H5DSattach_scale(dvalue, dparam, 0) < 0 ||
      syn_h5u_attr_string(dvalue, "long_name", "parameter value used in the run") < 0 ||
      syn_h5u_attr_nan_fill(dvalue) < 0) {
    st = syn_h5u_fail(h->path, err, "write dataset '/arms/%s/param_value'", arm);
    goto done;
  }
  if ((dunits = syn_h5u_write_strings(g, "param_units", n, units)) < 0 ||
      H5DSattach_scale(dunits, dparam, 0) < 0 ||
      syn_h5u_attr_string(dunits, "long_name", "units of param_value") < 0) {
    st = syn_h5u_fail(h->path, err, "write dataset '/arms/%s/param_units'", arm);
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
    hid_t d = k->num ? syn_h5u_write_f64(g, k->name, n, k->num)
                     : syn_h5u_write_strings(g, k->name, n, k->text);
    herr_t rc = d < 0 ? -1 : H5DSattach_scale(d, dim, 0);
    if (rc >= 0 && k->units != NULL) rc = syn_h5u_attr_string(d, "units", k->units);
    if (rc >= 0) rc = syn_h5u_attr_string(d, "long_name", k->long_name);
    if (rc >= 0 && k->num) rc = syn_h5u_attr_nan_fill(d);
    if (d >= 0 && H5Dclose(d) < 0) rc = -1;
    if (rc < 0) return syn_h5u_fail(h->path, err, "write dataset '%s/%s'", where, k->name);
  }
  return SYN_OK;
}

/* A table group `name` of the arm (where: its path, for messages): the
 * dimension scale `scale` (0-based record numbers, index[0..n)) with its
 * long_name, and the columns over it. */
static syn_status write_table(syn_h5 *h, hid_t arm_g, const char *where, const char *name,
                              const char *scale, const char *scale_long_name,
                              const long long *index, size_t n, const column *cols,
                              size_t ncols, syn_error *err) {
  syn_status st = SYN_OK;
  hid_t g = syn_h5u_create_group(arm_g, name), ds = -1;
  if (g < 0) return syn_h5u_fail(h->path, err, "create group '%s'", where);
  if ((ds = syn_h5u_write_i64(g, scale, n, index)) < 0 || H5DSset_scale(ds, scale) < 0 ||
      syn_h5u_attr_string(ds, "long_name", scale_long_name) < 0)
    st = syn_h5u_fail(h->path, err, "write dataset '%s/%s'", where, scale);
  if (st == SYN_OK) st = write_columns(h, g, ds, where, n, cols, ncols, err);
  if (ds >= 0) H5Dclose(ds);
  H5Gclose(g);
  return st;
}

/* The dose records of one arm: the group doses/ with the dimension scale
 * `dose` (0-based record numbers, in the order recorded) and one column per
 * field. No group when there are no doses. */
static syn_status write_doses(syn_h5 *h, hid_t arm_g, const char *arm, const syn_result *r,
                              syn_error *err) {
  syn_status st = SYN_OK;
  const size_t n = syn_result_dose_count(r), m = n ? n : 1;
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
  const char *tu = syn_h5u_cf_units(syn_result_time_units(r));
  const column cols[] = {
      {"time", num, NULL, tu, "time of the dose (start of an infusion)"},
      {"amount", num + m, NULL, NULL, "amount as written in the scenario (units in 'units')"},
      {"duration", num + 2 * m, NULL, tu, "infusion duration (0 for a bolus)"},
      {"route", NULL, text, NULL, "route"},
      {"target", NULL, text + m, NULL, "state that received the dose"},
      {"joint", NULL, text + 2 * m, NULL, "joint (empty for a systemic route)"},
      {"units", NULL, text + 3 * m, NULL, "unit of amount as written (empty if none)"},
  };
  st = write_table(h, arm_g, where, "doses", "dose", "dose record number (0-based)", index, n,
                   cols, sizeof cols / sizeof cols[0], err);
done:
  syn_free(index);
  syn_free(num);
  syn_free(text);
  return st;
}

/* The executions of the model's events in one arm: the group events/ with the
 * dimension scale `event` (0-based, in the order executed), `time` and `name`.
 * No group when no event was executed. */
static syn_status write_events(syn_h5 *h, hid_t arm_g, const char *arm, const syn_result *r,
                               syn_error *err) {
  const size_t n = syn_result_event_count(r);
  if (n == 0) return SYN_OK;
  syn_status st = SYN_OK;
  char where[512];
  snprintf(where, sizeof where, "/arms/%s/events", arm);
  long long *index = syn_calloc(n, sizeof *index);
  double *time = syn_calloc(n, sizeof *time);
  const char **name = syn_calloc(n, sizeof *name);
  if (index == NULL || time == NULL || name == NULL) {
    st = syn_error_set(err, SYN_ENOMEM, "HDF5 output '%s': out of memory", h->path);
    goto done;
  }
  for (size_t i = 0; i < n; i++) {
    index[i] = (long long)i;
    time[i] = syn_result_event(r, i, &name[i]);
  }
  const column cols[] = {
      {"time", time, NULL, syn_h5u_cf_units(syn_result_time_units(r)), "time of the execution"},
      {"name", NULL, name, NULL, "the event executed"},
  };
  st = write_table(h, arm_g, where, "events", "event", "event execution number (0-based)", index,
                   n, cols, sizeof cols / sizeof cols[0], err);
done:
  syn_free(index);
  syn_free(time);
  syn_free(name);
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
  if ((dmetric = syn_h5u_write_strings(g, "metric", n, text)) < 0 ||
      H5DSset_scale(dmetric, "metric") < 0 ||
      syn_h5u_attr_string(dmetric, "long_name", "metric name") < 0) {
    st = syn_h5u_fail(h->path, err, "write dataset '%s/metric'", where);
    goto done;
  }
  st = write_columns(h, g, dmetric, where, n, cols, sizeof cols / sizeof cols[0], err);
done:
  if (dmetric >= 0) H5Dclose(dmetric);
  syn_free(text);
  syn_free(values);
  return st;
}

/* ---- forward sensitivities: the group sensitivities/ of an arm --------------------- */

/* Return codes of the helpers below: 0, -1 HDF5 failed, -2 out of memory. */
enum { SENS_NOMEM = -2 };

/* The units of d(y)/d(p): "pg/mL per (1/h)", y's units alone for a
 * dimensionless p (UDUNITS reads "per" as division). Into buf. */
static void sens_units_one(char *buf, size_t size, const char *yu, const char *pu) {
  if (pu == NULL || pu[0] == 0 || strcmp(pu, "1") == 0)
    snprintf(buf, size, "%s", syn_h5u_cf_units(yu));
  else
    snprintf(buf, size, "%s per (%s)", syn_h5u_cf_units(yu), pu);
}

/* The `units` attribute of series s's (param x time) dataset: one unit when
 * every parameter gives the same, else row k's unit as the k-th of a list
 * joined by "; " (param_units says each row's parameter unit). NULL: no memory. */
static char *sens_units(const syn_result *r, size_t s) {
  const size_t n = syn_result_sens_count(r);
  const char *yu = syn_result_info(r, s)->units, *first = NULL;
  int same = 1;
  size_t len = 1;
  for (size_t k = 0; k < n; k++) {
    const char *pu = NULL;
    syn_result_sens_param(r, k, NULL, &pu, NULL);
    if (k == 0) first = pu;
    same &= strcmp(first, pu) == 0;
    len += strlen(syn_h5u_cf_units(yu)) + strlen(pu) + 16;
  }
  char *out = syn_malloc(len), *at = out;
  for (size_t k = 0; out != NULL && k < (same ? 1 : n); k++) {
    const char *pu = NULL;
    syn_result_sens_param(r, k, NULL, &pu, NULL);
    if (k > 0) at += snprintf(at, len - (size_t)(at - out), "; ");
    sens_units_one(at, len - (size_t)(at - out), yu, pu);
    at += strlen(at);
  }
  return out;
}

/* One (param x time) dataset of series s: raw into g, or the log form into
 * the group log/; attached to the sensitivities' `param` and the arm's `time`
 * through their axes (REFERENCE_LIST written once, as for the series). */
static int write_sens_series(hid_t g, time_axis *param, time_axis *time, const syn_result *r,
                             size_t s, int log) {
  const size_t n = syn_result_sens_count(r), nt = syn_result_ntimes(r);
  const syn_series_info *info = syn_result_info(r, s);
  const hsize_t dims[2] = {n, nt};
  const double *block = log ? syn_result_sensitivity_log(r, s, 0) : syn_result_sensitivity(r, s, 0);
  char long_name[600];
  snprintf(long_name, sizeof long_name, log ? "d ln(%s) / d ln(param)" : "d(%s) / d(param)",
           info->name);
  char *units = log ? NULL : sens_units(r, s);
  if (!log && units == NULL) return SENS_NOMEM;
  hid_t d = syn_h5u_write_nd(g, info->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, 2, dims, block);
  herr_t rc = d < 0 ? -1 : time_axis_attach_2d(param, time, d);
  if (rc >= 0) rc = syn_h5u_attr_string(d, "units", log ? "1" : units);
  if (rc >= 0) rc = syn_h5u_attr_string(d, "long_name", long_name);
  if (rc >= 0) rc = syn_h5u_attr_string(d, "series_units", syn_h5u_cf_units(info->units));
  if (rc >= 0) rc = syn_h5u_attr_string(d, "kind", info->kind == SYN_SERIES_STATE ? "state" : "output");
  if (rc >= 0) rc = syn_h5u_attr_nan_fill(d);
  if (d >= 0 && H5Dclose(d) < 0) rc = -1;
  syn_free(units);
  return rc < 0 ? -1 : 0;
}

/* param_value and param_units over the axis of `param`. */
static int write_sens_param_columns(hid_t g, time_axis *param, const syn_result *r) {
  const size_t n = syn_result_sens_count(r);
  const char **units = syn_calloc(n, sizeof *units);
  double *values = syn_calloc(n, sizeof *values);
  hid_t dv = -1, du = -1;
  int rc = units && values ? 0 : SENS_NOMEM;
  for (size_t k = 0; rc == 0 && k < n; k++) {
    syn_result_sens_param(r, k, NULL, &units[k], &values[k]);
    units[k] = syn_h5u_cf_units(units[k]);
  }
  if (rc == 0 && ((dv = syn_h5u_write_f64(g, "param_value", n, values)) < 0 ||
                  time_axis_attach(param, dv) < 0 || syn_h5u_attr_nan_fill(dv) < 0 ||
                  syn_h5u_attr_string(dv, "long_name", "value of the parameter in the run") < 0))
    rc = -1;
  if (rc == 0 && ((du = syn_h5u_write_strings(g, "param_units", n, units)) < 0 ||
                  time_axis_attach(param, du) < 0 ||
                  syn_h5u_attr_string(du, "long_name", "units of param_value") < 0))
    rc = -1;
  if (dv >= 0 && H5Dclose(dv) < 0) rc = -1;
  if (du >= 0 && H5Dclose(du) < 0) rc = -1;
  syn_free(units);
  syn_free(values);
  return rc;
}

/* The scale `param` of sensitivities/ (the free parameters' names), or < 0
 * (SENS_NOMEM when out of memory). */
static hid_t write_sens_param_scale(hid_t g, const syn_result *r) {
  const size_t n = syn_result_sens_count(r);
  const char **names = syn_calloc(n, sizeof *names);
  if (names == NULL) return SENS_NOMEM;
  for (size_t k = 0; k < n; k++) syn_result_sens_param(r, k, &names[k], NULL, NULL);
  hid_t d = syn_h5u_write_strings(g, "param", n, names);
  if (d >= 0 && (H5DSset_scale(d, "param") < 0 ||
                 syn_h5u_attr_string(d, "long_name", "free parameter of the sensitivities") < 0)) {
    H5Dclose(d);
    d = -1;
  }
  syn_free(names);
  return d < 0 ? -1 : d;
}

/* Everything of sensitivities/ on the param and time axes: the tables, each
 * series (raw, then log/). The param axis is finished here (REFERENCE_LIST
 * once); the time axis by the caller. */
static int write_sens_tables(hid_t g, hid_t dparam, time_axis *time, const syn_result *r) {
  const size_t ns = syn_result_nseries(r);
  time_axis param = {.dimlist_type = -1, .one = -1};
  int rc = time_axis_open(&param, dparam, 2 + 2 * ns);
  rc = rc > 0 ? SENS_NOMEM : rc < 0 ? -1 : write_sens_param_columns(g, &param, r);
  for (size_t s = 0; rc == 0 && s < ns; s++) rc = write_sens_series(g, &param, time, r, s, 0);
  hid_t glog = rc == 0 ? syn_h5u_create_group(g, "log") : -1;
  if (rc == 0 && glog < 0) rc = -1;
  for (size_t s = 0; rc == 0 && s < ns; s++) rc = write_sens_series(glog, &param, time, r, s, 1);
  if (glog >= 0 && H5Gclose(glog) < 0) rc = -1;
  if (rc == 0 && time_axis_finish(&param) < 0) rc = -1;
  time_axis_close(&param);
  return rc;
}

static syn_status sens_failed(syn_h5 *h, int rc, const char *what, const char *arm,
                              syn_error *err) {
  if (rc == SENS_NOMEM) return syn_error_set(err, SYN_ENOMEM, "HDF5 output '%s': out of memory", h->path);
  return syn_h5u_fail(h->path, err, "write the %s of arm '%s'", what, arm);
}

/* The group sensitivities/ (and its log/) when the result has them, attached
 * to the arm's time axis `time` (not yet finished). */
static syn_status write_sensitivities(syn_h5 *h, hid_t arm_g, time_axis *time, const char *arm,
                                      const syn_result *r, syn_error *err) {
  if (syn_result_sens_count(r) == 0) return SYN_OK;
  hid_t g = syn_h5u_create_group(arm_g, "sensitivities");
  hid_t dparam = g < 0 ? -1 : write_sens_param_scale(g, r);
  int rc = dparam < 0 ? (int)dparam : write_sens_tables(g, dparam, time, r);
  if (dparam >= 0 && H5Dclose(dparam) < 0 && rc == 0) rc = -1;
  if (g >= 0 && H5Gclose(g) < 0 && rc == 0) rc = -1;
  return rc == 0 ? SYN_OK : sens_failed(h, rc, "sensitivities", arm, err);
}

/* metric_gradient and metric_gradient_log (metric x param) in sensitivities/,
 * on the arm's `metric` scale and the group's `param`, when the metrics have
 * gradients. Written after the arm's metrics: two datasets, attached with
 * H5DSattach_scale (two small rewrites of param's REFERENCE_LIST). */
static syn_status write_metric_gradients(syn_h5 *h, hid_t arm_g, const char *arm,
                                         const syn_result *r, syn_error *err) {
  if (!syn_result_has_metric_gradients(r)) return SYN_OK;
  const size_t nm = syn_result_metric_count(r), n = syn_result_sens_count(r);
  const hsize_t dims[2] = {nm, n};
  double *block = syn_malloc(nm * n * sizeof *block);
  if (block == NULL) return sens_failed(h, SENS_NOMEM, "", arm, err);
  hid_t g = H5Gopen2(arm_g, "sensitivities", H5P_DEFAULT);
  hid_t dmetric = H5Dopen2(arm_g, "metric", H5P_DEFAULT);
  hid_t dparam = g < 0 ? -1 : H5Dopen2(g, "param", H5P_DEFAULT);
  int rc = dmetric < 0 || dparam < 0 ? -1 : 0;
  for (int log = 0; log < 2 && rc == 0; log++) {
    for (size_t i = 0; i < nm; i++)
      memcpy(block + i * n, log ? syn_result_metric_gradient_log(r, i) : syn_result_metric_gradient(r, i),
             n * sizeof *block);
    const char *name = log ? "metric_gradient_log" : "metric_gradient";
    hid_t d = syn_h5u_write_nd(g, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, 2, dims, block);
    herr_t hr = d < 0 ? -1 : H5DSattach_scale(d, dmetric, 0);
    if (hr >= 0) hr = H5DSattach_scale(d, dparam, 1);
    if (hr >= 0 && log) hr = syn_h5u_attr_string(d, "units", "1");
    if (hr >= 0)
      hr = syn_h5u_attr_string(d, "long_name", log ? "d ln(metric) / d ln(param)"
                                                   : "d(metric) / d(param), in metric_units per "
                                                     "param_units");
    if (hr >= 0) hr = syn_h5u_attr_nan_fill(d);
    if (d >= 0 && H5Dclose(d) < 0) hr = -1;
    rc = hr < 0 ? -1 : 0;
  }
  if (dparam >= 0) H5Dclose(dparam);
  if (dmetric >= 0) H5Dclose(dmetric);
  if (g >= 0) H5Gclose(g);
  syn_free(block);
  return rc == 0 ? SYN_OK : sens_failed(h, rc, "metric gradients", arm, err);
}

static syn_status write_arm_group(syn_h5 *h, const char *arm, const syn_result *r,
                                  syn_error *err) {
  syn_status st = SYN_OK;
  hid_t g = -1, dtime = -1;
  time_axis axis = {.dimlist_type = -1, .one = -1};
  if ((g = syn_h5u_create_group(h->arms, arm)) < 0) {
    st = syn_h5u_fail(h->path, err, "create group '/arms/%s'", arm);
    goto done;
  }
  for (size_t i = 0; i < syn_result_attr_count(r); i++) {
    const syn_attr *a = syn_result_attr(r, i);
    if (write_group_attr(g, a) < 0) {
      st = syn_h5u_fail(h->path, err, "write attribute '%s' of arm '%s'", a->key, arm);
      goto done;
    }
  }
  if ((dtime = syn_h5u_write_f64(g, "time", syn_result_ntimes(r), syn_result_times(r))) < 0 ||
      H5DSset_scale(dtime, "time") < 0 ||
      syn_h5u_attr_string(dtime, "units", syn_h5u_cf_units(syn_result_time_units(r))) < 0 ||
      syn_h5u_attr_string(dtime, "long_name", "time") < 0) {
    st = syn_h5u_fail(h->path, err, "write dataset '/arms/%s/time'", arm);
    goto done;
  }
  /* each series, and with sensitivities its raw and log (param x time) datasets */
  const size_t nattach = syn_result_nseries(r) * (syn_result_sens_count(r) > 0 ? 3 : 1);
  int rc = time_axis_open(&axis, dtime, nattach);
  if (rc != 0) {
    st = rc > 0 ? syn_error_set(err, SYN_ENOMEM, "HDF5 output '%s': out of memory", h->path)
                : syn_h5u_fail(h->path, err, "attach '/arms/%s/time'", arm);
    goto done;
  }
  for (size_t s = 0; s < syn_result_nseries(r) && st == SYN_OK; s++)
    st = write_series(h, g, &axis, arm, r, s, err);
  if (st == SYN_OK) st = write_sensitivities(h, g, &axis, arm, r, err);
  if (st == SYN_OK && time_axis_finish(&axis) < 0)
    st = syn_h5u_fail(h->path, err, "attach '/arms/%s/time' to the series", arm);
  if (st == SYN_OK) st = write_params(h, g, arm, r, err);
  if (st == SYN_OK) st = write_doses(h, g, arm, r, err);
  if (st == SYN_OK) st = write_events(h, g, arm, r, err);
  if (st == SYN_OK) st = write_arm_metrics(h, g, arm, r, err);
  if (st == SYN_OK) st = write_metric_gradients(h, g, arm, r, err);
done:
  time_axis_close(&axis);
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

  if ((darm = syn_h5u_write_strings(g, "arm", na, arms)) < 0 || H5DSset_scale(darm, "arm") < 0 ||
      syn_h5u_attr_string(darm, "long_name", "arm name") < 0) {
    st = syn_h5u_fail(h->path, err, "write dataset '/metrics/arm'");
    goto done;
  }
  if ((dmetric = syn_h5u_write_strings(g, "metric", nm, text)) < 0 ||
      H5DSset_scale(dmetric, "metric") < 0 ||
      syn_h5u_attr_string(dmetric, "long_name", "metric name") < 0) {
    st = syn_h5u_fail(h->path, err, "write dataset '/metrics/metric'");
    goto done;
  }
  const hsize_t dims[2] = {na, nm};
  if ((dvalue = syn_h5u_write_nd(g, "value", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, 2, dims,
                                 value)) < 0 ||
      H5DSattach_scale(dvalue, darm, 0) < 0 || H5DSattach_scale(dvalue, dmetric, 1) < 0 ||
      syn_h5u_attr_string(dvalue, "long_name", "metric value (units in 'units')") < 0 ||
      syn_h5u_attr_nan_fill(dvalue) < 0) {
    st = syn_h5u_fail(h->path, err, "write dataset '/metrics/value'");
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
  hid_t g = syn_h5u_create_group(h->file, "metrics");
  if (g < 0) return syn_h5u_fail(h->path, err, "create group '/metrics'");
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
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  htri_t exists = H5Lexists(h->arms, arm, H5P_DEFAULT);
  if (exists > 0)
    st = syn_error_set(err, SYN_EINVAL, "HDF5 output '%s': arm '%s' is already written", h->path,
                       arm);
  else if (exists < 0)
    st = syn_h5u_fail(h->path, err, "look up arm '%s'", arm);
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
  syn_h5u_quiet_end(&q);
  return image_status(h, st, err);
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

/* Writes the finished image to the tmp file from the core driver's buffer
 * and syncs it. The image is the first H5Fget_file_image(NULL) bytes of the
 * buffer, which is what H5Fget_file_image would copy (it patches nothing
 * below superblock version 3, and this file has version 1); bytes past the
 * buffer's end read as zeros there, as they do here through ftruncate. A
 * failure leaves the file open: the commit can be tried again. */
static syn_status write_image(syn_h5 *h, syn_error *err) {
  ssize_t n = -1;
  if (H5Fflush(h->file, H5F_SCOPE_GLOBAL) < 0 || (n = H5Fget_file_image(h->file, NULL, 0)) <= 0 ||
      h->image.mem == NULL)
    return syn_h5u_fail(h->path, err, "finish the file");
  const size_t have = (size_t)n < h->image.size ? (size_t)n : h->image.size;
  int rc = lseek(h->fd, 0, SEEK_SET) == 0 && ftruncate(h->fd, 0) == 0 ? 0 : -1;
  if (rc == 0) rc = syn_h5u_write_all(h->fd, h->image.mem, have);
  if (rc == 0 && have < (size_t)n) rc = ftruncate(h->fd, (off_t)n);
  if (rc == 0) rc = fsync(h->fd); /* data on disk before the rename points the name at it */
  if (rc != 0)
    return syn_error_set(err, SYN_EIO, "HDF5 output '%s': cannot write '%s': %s", h->path,
                         h->tmp_path, strerror(errno));
  return SYN_OK;
}

syn_status syn_h5_commit(syn_h5 *h, syn_error *err) {
  if (h == NULL) return syn_error_set(err, SYN_EINVAL, "HDF5 output: NULL writer");
  if (h->committed || h->file < 0 || h->fd < 0)
    return syn_error_set(err, SYN_EINVAL, "HDF5 output '%s': already committed or closed",
                         h->path);
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  syn_status st = write_metrics_table(h, err);
  if (st == SYN_OK) st = write_image(h, err);
  if (st == SYN_OK && close_file(h) < 0) st = syn_h5u_fail(h->path, err, "close the file");
  syn_h5u_quiet_end(&q);
  st = image_status(h, st, err);
  if (st == SYN_OK && rename(h->tmp_path, h->path) != 0)
    st = syn_error_set(err, SYN_EIO, "HDF5 output '%s': cannot rename '%s' to it: %s", h->path,
                       h->tmp_path, strerror(errno));
  if (st != SYN_OK) return st;
  syn_h5u_sync_dir(h->path);
  h->committed = 1;
  close(h->fd); /* after the rename: the fd's lock guards the tmp name until then */
  h->fd = -1;
  return SYN_OK;
}

void syn_h5_destroy(syn_h5 *h) {
  if (h == NULL) return;
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  close_file(h);
  /* removed while still locked, so that no other writer can take it over
   * between our unlink and our close */
  if (!h->committed && h->tmp_path != NULL) unlink(h->tmp_path);
  if (h->fd >= 0) close(h->fd);
  syn_h5u_quiet_end(&q);
  free_table(h);
  syn_free(h->path);
  syn_free(h->tmp_path);
  syn_free(h);
}
