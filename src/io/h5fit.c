/* synovia — the HDF5 file of an estimation (include/synovia/h5fit.h).
 *
 * Why written whole at the end and not grown as the starts finish: a fit
 * file is small (starts x parameters, the data points) and only useful once
 * the best estimate is known; writing it in one go to <path>.tmp and
 * renaming keeps the rule every synovia output follows (a failure leaves an
 * older file of that name intact) without the run writer's journal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5_hl.h>

#include "base/sha256.h"
#include "io/h5util.h"
#include "synovia/h5fit.h"

static hid_t write_2d(hid_t loc, const char *name, size_t n0, size_t n1, const double *v) {
  hsize_t dims[2] = {n0, n1};
  return syn_h5u_write_nd(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, 2, dims, v);
}

/* Closes d after attaching the scales (NULL: no scale on that axis). */
static int attach_close(hid_t d, hid_t s0, hid_t s1) {
  int ok = d >= 0 && (s0 < 0 || H5DSattach_scale(d, s0, 0) >= 0) &&
           (s1 < 0 || H5DSattach_scale(d, s1, 1) >= 0);
  if (d >= 0) H5Dclose(d);
  return ok;
}

static long long *index_array(size_t n) {
  long long *v = malloc((n ? n : 1) * sizeof *v);
  if (v != NULL)
    for (size_t i = 0; i < n; i++) v[i] = (long long)i;
  return v;
}

static int write_root_attrs(hid_t file, const syn_h5fit_data *d) {
  char hex[SYN_SHA256_HEX];
  syn_sha256 h;
  syn_sha256_init(&h);
  syn_sha256_update(&h, d->fit_text, strlen(d->fit_text));
  syn_sha256_hex(&h, hex);
  const char *fit_file = d->prov->nfiles ? d->prov->file_paths[0] : "";
  return syn_h5u_attr_string(file, "kind", "fit") >= 0 &&
         syn_h5u_attr_string(file, "fit_file", fit_file) >= 0 &&
         syn_h5u_attr_string(file, "fit_sha256", hex) >= 0 &&
         syn_h5u_attr_string(file, "optimizer", d->optimizer) >= 0 &&
         syn_h5u_attr_int64(file, "seed", (long long)d->seed) >= 0 &&
         syn_h5u_attr_int64(file, "best_start", (long long)d->best_start) >= 0 &&
         syn_h5u_attr_double(file, "best_objective", d->best_objective) >= 0 &&
         syn_h5u_attr_int64(file, "n_data", (long long)d->npoints) >= 0;
}

static int write_starts(hid_t file, const syn_h5fit_data *d) {
  long long *idx = index_array(d->nstarts);
  hid_t ds = -1, dp = -1;
  int ok = idx != NULL;
  if (ok) ok = (ds = syn_h5u_write_i64(file, "start", d->nstarts, idx)) >= 0 &&
               H5DSset_scale(ds, "start") >= 0;
  if (ok) ok = (dp = syn_h5u_write_strings(file, "param", d->nparam, d->param_name)) >= 0 &&
               H5DSset_scale(dp, "param") >= 0;
  if (ok) ok = attach_close(write_2d(file, "start_point", d->nstarts, d->nparam, d->start_point),
                            ds, dp);
  if (ok) ok = attach_close(write_2d(file, "end_point", d->nstarts, d->nparam, d->end_point),
                            ds, dp);
  if (ok) ok = attach_close(syn_h5u_write_f64(file, "objective", d->nstarts, d->objective), ds, -1);
  if (ok) ok = attach_close(syn_h5u_write_strings(file, "status", d->nstarts, d->status), ds, -1);
  if (ok) ok = attach_close(syn_h5u_write_i64(file, "iterations", d->nstarts, d->iterations), ds,
                            -1);
  if (ok) ok = attach_close(syn_h5u_write_i64(file, "evaluations", d->nstarts, d->evaluations),
                            ds, -1);
  if (ok) ok = attach_close(syn_h5u_write_f64(file, "estimate", d->nparam, d->estimate), dp, -1);
  if (ok) ok = attach_close(syn_h5u_write_strings(file, "scale", d->nparam, d->param_scale), dp,
                            -1);
  if (ok) ok = attach_close(syn_h5u_write_f64(file, "lower", d->nparam, d->lower), dp, -1);
  if (ok) ok = attach_close(syn_h5u_write_f64(file, "upper", d->nparam, d->upper), dp, -1);
  if (ds >= 0) H5Dclose(ds);
  if (dp >= 0) H5Dclose(dp);
  free(idx);
  return ok;
}

static int write_data(hid_t file, const syn_h5fit_data *d) {
  long long *idx = index_array(d->npoints);
  hid_t g = syn_h5u_create_group(file, "data"), dpt = -1;
  int ok = idx != NULL && g >= 0;
  if (ok) ok = (dpt = syn_h5u_write_i64(g, "point", d->npoints, idx)) >= 0 &&
               H5DSset_scale(dpt, "point") >= 0;
  if (ok) ok = attach_close(syn_h5u_write_strings(g, "arm", d->npoints, d->arm), dpt, -1);
  if (ok) ok = attach_close(syn_h5u_write_strings(g, "observable", d->npoints, d->observable),
                            dpt, -1);
  const struct {
    const char *name;
    const double *v;
  } cols[] = {{"time", d->time},     {"value", d->value},       {"sd", d->sd},
              {"fitted", d->fitted}, {"residual", d->residual}};
  for (size_t i = 0; ok && i < sizeof cols / sizeof cols[0]; i++)
    ok = attach_close(syn_h5u_write_f64(g, cols[i].name, d->npoints, cols[i].v), dpt, -1);
  if (dpt >= 0) H5Dclose(dpt);
  if (g >= 0) H5Gclose(g);
  free(idx);
  return ok;
}

syn_status syn_h5fit_write(const char *path, const syn_h5fit_data *d, syn_error *err) {
  size_t n = strlen(path);
  char *tmp = malloc(n + sizeof ".tmp");
  if (tmp == NULL) return syn_error_set(err, SYN_ENOMEM, "HDF5 output '%s': out of memory", path);
  memcpy(tmp, path, n);
  memcpy(tmp + n, ".tmp", sizeof ".tmp");
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  syn_status st = SYN_OK;
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  if (fcpl >= 0)
    H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
        H5Pset_attr_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  hid_t file = fcpl < 0 ? -1 : H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
  if (fcpl >= 0) H5Pclose(fcpl);
  if (file < 0) {
    st = syn_h5u_fail(path, err, "create '%s'", tmp);
  } else {
    st = syn_h5u_write_globals(file, path, d->prov, err);
    if (st == SYN_OK) st = syn_h5u_write_provenance(file, path, d->prov, err);
    if (st == SYN_OK && !write_root_attrs(file, d))
      st = syn_h5u_fail(path, err, "write the root attributes");
    if (st == SYN_OK && !write_starts(file, d)) st = syn_h5u_fail(path, err, "write the starts");
    if (st == SYN_OK && !write_data(file, d)) st = syn_h5u_fail(path, err, "write the data");
    if (H5Fclose(file) < 0 && st == SYN_OK) st = syn_h5u_fail(path, err, "close '%s'", tmp);
  }
  syn_h5u_quiet_end(&q);
  if (st == SYN_OK && rename(tmp, path) != 0)
    st = syn_error_set(err, SYN_EIO, "HDF5 output '%s': cannot rename '%s' to it", path, tmp);
  if (st == SYN_OK) syn_h5u_sync_dir(path);
  if (st != SYN_OK && file >= 0) unlink(tmp);
  free(tmp);
  return st;
}
