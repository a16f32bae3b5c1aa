/* synovia — the per-sample datasets of a sweep file, shared by the writer
 * (h5sweep.c), the reader (h5sweep_read.c) and the merge (io layer, internal;
 * see io/h5sweep_impl.h): the table of dataset ids, and blocks of rows moved
 * between them and memory, one hyperslab per dataset. It lies below both the
 * writer and the reader, so neither calls the other. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <hdf5.h>

#include "base/alloc.h"
#include "io/h5sweep_impl.h"
#include "io/h5util.h"

/* ---- errors ---------------------------------------------------------------------- */

syn_status syn_h5s_fail(const char *path, syn_error *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  syn_status st = syn_h5u_failv("sweep file", path, err, fmt, ap);
  va_end(ap);
  return st;
}

/* ---- the tables ------------------------------------------------------------------ */

syn_status syn_h5s_tables_alloc(syn_h5s_tables *t) {
  t->metric_value = syn_malloc((t->narms ? t->narms : 1) * sizeof *t->metric_value);
  const size_t ntraj = t->narms * t->nseries;
  t->traj = syn_malloc((ntraj > 0 ? ntraj : 1) * sizeof *t->traj);
  if (t->metric_value == NULL || t->traj == NULL) return SYN_ENOMEM;
  for (size_t a = 0; a < t->narms; a++) t->metric_value[a] = -1;
  for (size_t k = 0; k < t->narms * t->nseries; k++) t->traj[k] = -1;
  return SYN_OK;
}

herr_t syn_h5s_tables_close(syn_h5s_tables *t) {
  herr_t rc = 0;
  hid_t *one[] = {&t->param_value, &t->status, &t->reason};
  for (size_t k = 0; k < sizeof one / sizeof one[0]; k++) {
    if (*one[k] >= 0 && H5Dclose(*one[k]) < 0) rc = -1;
    *one[k] = -1;
  }
  for (size_t a = 0; t->metric_value != NULL && a < t->narms; a++)
    if (t->metric_value[a] >= 0 && H5Dclose(t->metric_value[a]) < 0) rc = -1;
  for (size_t k = 0; t->traj != NULL && k < t->narms * t->nseries; k++)
    if (t->traj[k] >= 0 && H5Dclose(t->traj[k]) < 0) rc = -1;
  syn_free(t->metric_value);
  syn_free(t->traj);
  t->metric_value = t->traj = NULL;
  return rc;
}

size_t syn_h5s_metric_cols(const syn_h5s_tables *t) { return t->narms * t->nmetrics; }
size_t syn_h5s_traj_cols(const syn_h5s_tables *t) { return t->narms * t->nseries * t->ntimes; }

/* The file selection of rows [first, first + count) and the memory selection
 * of columns [col, col + ncols) of a (count, mcols) buffer. */
static herr_t select_rows(hid_t d, hsize_t first, hsize_t count, hsize_t ncols, hsize_t mcols,
                          hsize_t col, hid_t *fs, hid_t *ms) {
  const int rank = ncols ? 2 : 1;
  const hsize_t fstart[2] = {first, 0}, fcount[2] = {count, ncols};
  const hsize_t mdims[2] = {count, rank == 2 ? mcols : 1};
  const hsize_t mstart[2] = {0, col};
  *fs = H5Dget_space(d);
  *ms = H5Screate_simple(rank, mdims, NULL);
  if (*fs < 0 || *ms < 0 ||
      H5Sselect_hyperslab(*fs, H5S_SELECT_SET, fstart, NULL, fcount, NULL) < 0)
    return -1;
  if (rank == 2 && (mcols != ncols || col != 0) &&
      H5Sselect_hyperslab(*ms, H5S_SELECT_SET, mstart, NULL, fcount, NULL) < 0)
    return -1;
  return 0;
}

herr_t syn_h5s_read_rows(hid_t d, hsize_t first, hsize_t count, hsize_t ncols, hsize_t mcols,
                         hsize_t col, hid_t mtype, void *buf) {
  hid_t fs = -1, ms = -1;
  herr_t rc = select_rows(d, first, count, ncols, mcols, col, &fs, &ms);
  if (rc >= 0) rc = H5Dread(d, mtype, ms, fs, H5P_DEFAULT, buf);
  if (ms >= 0) H5Sclose(ms);
  if (fs >= 0) H5Sclose(fs);
  return rc;
}

herr_t syn_h5s_write_rows(hid_t d, hsize_t first, hsize_t count, hsize_t ncols, hsize_t mcols,
                          hsize_t col, hid_t mtype, const void *buf) {
  hid_t fs = -1, ms = -1;
  herr_t rc = select_rows(d, first, count, ncols, mcols, col, &fs, &ms);
  if (rc >= 0) rc = H5Dwrite(d, mtype, ms, fs, H5P_DEFAULT, buf);
  if (ms >= 0) H5Sclose(ms);
  if (fs >= 0) H5Sclose(fs);
  return rc;
}

/* ---- reading blocks of rows --------------------------------------------------------- */

/* "'/arms/IA/metric_value'" for messages. */
static void ds_name(hid_t d, char *buf, size_t size) {
  if (H5Iget_name(d, buf, size) <= 0) snprintf(buf, size, "?");
}

static syn_status check_range(const syn_h5s_tables *t, const char *path, size_t first,
                              size_t count, syn_error *err) {
  if (first > t->nsamples || count > t->nsamples - first)
    return syn_error_set(err, SYN_EINVAL,
                         "sweep file '%s': rows %zu..%zu are out of range (the sweep has %zu "
                         "samples)",
                         path, first, first + count - 1, t->nsamples);
  return SYN_OK;
}

static syn_status read_fail(hid_t d, const char *path, size_t first, size_t count,
                            syn_error *err) {
  char name[256];
  ds_name(d, name, sizeof name);
  return syn_h5s_fail(path, err, "read rows %zu..%zu of '%s'", first, first + count - 1, name);
}

syn_status syn_h5s_read_block(const syn_h5s_tables *t, const char *path, size_t first,
                              size_t count, double *params, signed char *status,
                              double *metrics, double *traj, syn_error *err) {
  syn_status st = check_range(t, path, first, count, err);
  if (st != SYN_OK || count == 0) return st;
  const size_t mc = syn_h5s_metric_cols(t), tc = syn_h5s_traj_cols(t);
  if (params != NULL && syn_h5s_read_rows(t->param_value, first, count, t->nparams, t->nparams,
                                          0, H5T_NATIVE_DOUBLE, params) < 0)
    return read_fail(t->param_value, path, first, count, err);
  for (size_t a = 0; metrics != NULL && t->nmetrics > 0 && a < t->narms; a++)
    if (syn_h5s_read_rows(t->metric_value[a], first, count, t->nmetrics, mc, a * t->nmetrics,
                          H5T_NATIVE_DOUBLE, metrics) < 0)
      return read_fail(t->metric_value[a], path, first, count, err);
  for (size_t k = 0; traj != NULL && k < t->narms * t->nseries; k++)
    if (syn_h5s_read_rows(t->traj[k], first, count, t->ntimes, tc, k * t->ntimes,
                          H5T_NATIVE_DOUBLE, traj) < 0)
      return read_fail(t->traj[k], path, first, count, err);
  if (status != NULL &&
      syn_h5s_read_rows(t->status, first, count, 0, 0, 0, H5T_NATIVE_SCHAR, status) < 0)
    return read_fail(t->status, path, first, count, err);
  return SYN_OK;
}

/* A reason as HDF5 would have allocated it (the callers release it with
 * H5free_memory); "" stays NULL. */
static int to_h5_memory(void *data, size_t i, const char *s, size_t len) {
  char **out = data;
  if (len == 0) return 0;
  if ((out[i] = H5allocate_memory(len + 1, 0)) == NULL) return -1;
  memcpy(out[i], s, len);
  out[i][len] = 0;
  return 0;
}

syn_status syn_h5s_read_reasons(const syn_h5s_tables *t, const char *path, size_t first,
                                size_t count, char **out, syn_error *err) {
  syn_status st = check_range(t, path, first, count, err);
  if (st != SYN_OK || count == 0) return st;
  for (size_t k = 0; k < count; k++) out[k] = NULL;
  const int rc = syn_h5u_read_vlen_rows(t->reason, first, count, to_h5_memory, out);
  if (rc == -2)
    st = syn_error_set(err, SYN_ENOMEM, "sweep file '%s': out of memory", path);
  else if (rc <= -3)
    st = syn_h5u_strings_fail("sweep file", path, rc, err, "rows %zu..%zu of '/status_reason'",
                              first, first + count - 1);
  else if (rc < 0)
    st = read_fail(t->reason, path, first, count, err);
  for (size_t k = 0; st != SYN_OK && k < count; k++) {
    if (out[k] != NULL) H5free_memory(out[k]);
    out[k] = NULL;
  }
  return st;
}
