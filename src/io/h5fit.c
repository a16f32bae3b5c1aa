/* synovia — the HDF5 file of an estimation (include/synovia/h5fit.h).
 *
 * Why written whole at the end and not grown as the starts finish: a fit
 * file is small (starts x parameters, the data points) and only useful once
 * the best estimate is known; writing it in one go to <path>.tmp and
 * renaming keeps the rule every synovia output follows (a failure leaves an
 * older file of that name intact) without the run writer's journal. */
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5_hl.h>

#include "base/arena.h"
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
         syn_h5u_attr_double(file, "chi2", d->chi2) >= 0 &&
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

/* A dataset with a text attribute (d returned; closed on failure). */
static hid_t with_text(hid_t d, const char *name, const char *text) {
  if (d >= 0 && syn_h5u_attr_string(d, name, text) < 0) {
    H5Dclose(d);
    return -1;
  }
  return d;
}

/* An int64 index scale 0..n-1 named `name` in g (-1 on failure). */
static hid_t index_scale(hid_t g, const char *name, size_t n) {
  long long *idx = index_array(n);
  hid_t d = idx ? syn_h5u_write_i64(g, name, n, idx) : -1;
  free(idx);
  if (d >= 0 && H5DSset_scale(d, name) < 0) {
    H5Dclose(d);
    return -1;
  }
  return d;
}

static int write_uncertainty(hid_t file, const syn_h5fit_data *d, hid_t dp) {
  const syn_h5fit_uncertainty *u = d->unc;
  hid_t g = syn_h5u_create_group(file, "uncertainty");
  int ok = g >= 0 && syn_h5u_attr_double(g, "confidence", u->confidence) >= 0 &&
           syn_h5u_attr_double(g, "threshold", u->threshold) >= 0 &&
           syn_h5u_attr_double(g, "best_objective", u->best_objective) >= 0 &&
           syn_h5u_attr_double(g, "lowest_objective", u->lowest_objective) >= 0 &&
           syn_h5u_attr_string(g, "profile_method",
                               "profile likelihood: each parameter stepped on its scale, the "
                               "others re-optimised; crossings of best + threshold") >= 0;
  if (ok) ok = attach_close(syn_h5u_write_f64(g, "interval_lower", d->nparam, u->interval_lower), dp, -1);
  if (ok) ok = attach_close(syn_h5u_write_f64(g, "interval_upper", d->nparam, u->interval_upper), dp, -1);
  if (ok) ok = attach_close(syn_h5u_write_strings(g, "identifiability", d->nparam, u->identifiability), dp, -1);
  static const char method[] = "Fisher information (Wald) at the best estimate";
  if (ok) ok = attach_close(with_text(with_text(syn_h5u_write_f64(g, "fisher_lower", d->nparam, u->fisher_lower), "method", method), "note", u->fisher_note), dp, -1);
  if (ok) ok = attach_close(with_text(with_text(syn_h5u_write_f64(g, "fisher_upper", d->nparam, u->fisher_upper), "method", method), "note", u->fisher_note), dp, -1);
  if (g >= 0) H5Gclose(g);
  return ok;
}

static int write_profile(hid_t file, const syn_h5fit_data *d, hid_t dp) {
  const syn_h5fit_uncertainty *u = d->unc;
  hid_t g = syn_h5u_create_group(file, "profile"), s = g < 0 ? -1 : index_scale(g, "point", u->npoints);
  int ok = s >= 0;
  if (ok) ok = attach_close(syn_h5u_write_i64(g, "param", u->npoints, u->point_param), s, -1);
  if (ok) ok = attach_close(syn_h5u_write_f64(g, "value", u->npoints, u->point_value), s, -1);
  if (ok) ok = attach_close(syn_h5u_write_f64(g, "objective", u->npoints, u->point_objective), s, -1);
  if (ok) ok = attach_close(syn_h5u_write_strings(g, "status", u->npoints, u->point_status), s, -1);
  if (ok) ok = attach_close(write_2d(g, "x", u->npoints, d->nparam, u->point_x), s, dp);
  if (s >= 0) H5Dclose(s);
  if (g >= 0) H5Gclose(g);
  return ok;
}

static int write_curves(hid_t file, const syn_h5fit_curves *c) {
  hid_t g = syn_h5u_create_group(file, "fitted"), s = g < 0 ? -1 : index_scale(g, "row", c->nrows);
  int ok = s >= 0;
  if (ok) ok = attach_close(syn_h5u_write_strings(g, "arm", c->nrows, c->arm), s, -1);
  if (ok) ok = attach_close(syn_h5u_write_strings(g, "observable", c->nrows, c->observable), s, -1);
  if (ok) ok = attach_close(with_text(syn_h5u_write_f64(g, "time", c->nrows, c->time), "units", c->time_units), s, -1);
  if (ok) ok = attach_close(syn_h5u_write_f64(g, "value", c->nrows, c->value), s, -1);
  if (s >= 0) H5Dclose(s);
  if (g >= 0) H5Gclose(g);
  return ok;
}

static int write_predictions(hid_t file, const syn_h5fit_predictions *p) {
  hid_t g = syn_h5u_create_group(file, "prediction"), s = g < 0 ? -1 : index_scale(g, "prediction", p->n);
  const char **method = malloc(p->n * sizeof *method);
  int ok = s >= 0 && method != NULL;
  for (size_t i = 0; ok && i < p->n; i++) method[i] = p->method;
  if (ok) ok = attach_close(syn_h5u_write_strings(g, "name", p->n, p->name), s, -1);
  if (ok) ok = attach_close(syn_h5u_write_strings(g, "formula", p->n, p->formula), s, -1);
  if (ok) ok = attach_close(syn_h5u_write_f64(g, "estimate", p->n, p->estimate), s, -1);
  if (ok) ok = attach_close(syn_h5u_write_f64(g, "lower", p->n, p->lower), s, -1);
  if (ok) ok = attach_close(syn_h5u_write_f64(g, "upper", p->n, p->upper), s, -1);
  if (ok) ok = attach_close(syn_h5u_write_strings(g, "units", p->n, p->units), s, -1);
  if (ok) ok = attach_close(syn_h5u_write_strings(g, "method", p->n, method), s, -1);
  free(method);
  if (s >= 0) H5Dclose(s);
  if (g >= 0) H5Gclose(g);
  return ok;
}

/* The observables as a table of strings, one row each (scale `observable`). */
static int write_observables(hid_t file, const syn_h5fit_observables *o) {
  hid_t g = syn_h5u_create_group(file, "observable");
  hid_t s = g < 0 ? -1 : index_scale(g, "observable", o->n);
  const struct {
    const char *name;
    const char *const *v;
  } cols[] = {{"name", o->name},
              {"formula", o->formula},
              {"units", o->units},
              {"distribution", o->distribution},
              {"sd_model", o->sd_model}};
  int ok = s >= 0;
  for (size_t i = 0; ok && i < sizeof cols / sizeof cols[0]; i++)
    ok = attach_close(syn_h5u_write_strings(g, cols[i].name, o->n, cols[i].v), s, -1);
  if (s >= 0) H5Dclose(s);
  if (g >= 0) H5Gclose(g);
  return ok;
}

/* The optional groups; the param scale is reopened to attach to. */
static int write_extras(hid_t file, const syn_h5fit_data *d) {
  hid_t dp = H5Dopen2(file, "param", H5P_DEFAULT);
  int ok = dp >= 0;
  if (ok && d->unc) ok = write_uncertainty(file, d, dp);
  if (ok && d->unc && d->unc->npoints) ok = write_profile(file, d, dp);
  if (ok && d->curves) ok = write_curves(file, d->curves);
  if (ok && d->pred && d->pred->n) ok = write_predictions(file, d->pred);
  if (ok && d->obs && d->obs->n) ok = write_observables(file, d->obs);
  if (dp >= 0) H5Dclose(dp);
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
    if (st == SYN_OK && !write_extras(file, d))
      st = syn_h5u_fail(path, err,
                        "write the uncertainty, fitted curves, predictions or observables");
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

/* ---- reading back ---------------------------------------------------------------- */

int syn_h5fit_probe(const char *path) {
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  syn_h5u_open_failure why;
  hid_t file = syn_h5u_open_read(path, H5P_DEFAULT, &why);
  int yes = 0;
  if (file >= 0 && H5Aexists(file, "kind") > 0) {
    syn_arena *a = syn_arena_create();
    hid_t at = H5Aopen(file, "kind", H5P_DEFAULT);
    const char *kind = NULL;
    if (a != NULL && at >= 0 && syn_h5u_read_strings(at, 1, 1, a, &kind) == 0)
      yes = strcmp(kind, "fit") == 0;
    if (at >= 0) H5Aclose(at);
    syn_arena_destroy(a);
  }
  if (file >= 0) H5Fclose(file);
  syn_h5u_quiet_end(&q);
  return yes;
}

/* A root text attribute ("" when absent); 0 on failure. */
static int read_root_text(hid_t file, const char *name, syn_arena *a, const char **out) {
  *out = "";
  if (H5Aexists(file, name) <= 0) return 1;
  hid_t at = H5Aopen(file, name, H5P_DEFAULT);
  int ok = at >= 0 && syn_h5u_read_strings(at, 1, 1, a, out) == 0;
  if (at >= 0) H5Aclose(at);
  return ok;
}

static int read_root_number(hid_t file, const char *name, hid_t mtype, void *out) {
  hid_t at = H5Aopen(file, name, H5P_DEFAULT);
  int ok = at >= 0 && H5Aread(at, mtype, out) >= 0;
  if (at >= 0) H5Aclose(at);
  return ok;
}

/* The length of a 1-D dataset (0 on failure, with *ok cleared). */
static size_t dataset_length(hid_t file, const char *name, int *ok) {
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT), sp = d < 0 ? -1 : H5Dget_space(d);
  hsize_t n = 0;
  if (sp < 0 || H5Sget_simple_extent_ndims(sp) != 1 || H5Sget_simple_extent_dims(sp, &n, NULL) < 0)
    *ok = 0;
  if (sp >= 0) H5Sclose(sp);
  if (d >= 0) H5Dclose(d);
  return (size_t)n;
}

static double *read_f64(hid_t file, const char *name, size_t n, syn_arena *a) {
  double *v = syn_arena_alloc(a, (n ? n : 1) * sizeof *v);
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  int ok = v != NULL && d >= 0 && (n == 0 || H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                                                     H5P_DEFAULT, v) >= 0);
  if (d >= 0) H5Dclose(d);
  return ok ? v : NULL;
}

static const char **read_texts(hid_t file, const char *name, size_t n, syn_arena *a) {
  const char **v = syn_arena_alloc(a, (n ? n : 1) * sizeof *v);
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  int ok = v != NULL && d >= 0 && syn_h5u_read_strings(d, 0, n, a, v) == 0;
  if (d >= 0) H5Dclose(d);
  return ok ? v : NULL;
}

/* A text attribute of an object ("" when absent); 0 on failure. */
static int read_text_attr(hid_t obj, const char *name, syn_arena *a, const char **out) {
  *out = "";
  if (H5Aexists(obj, name) <= 0) return 1;
  hid_t at = H5Aopen(obj, name, H5P_DEFAULT);
  int ok = at >= 0 && syn_h5u_read_strings(at, 1, 1, a, out) == 0;
  if (at >= 0) H5Aclose(at);
  return ok;
}

static const char *read_uncertainty(hid_t file, syn_h5fit_file *f, syn_arena *a) {
  if (H5Lexists(file, "uncertainty", H5P_DEFAULT) <= 0) return NULL;
  hid_t g = H5Gopen2(file, "uncertainty", H5P_DEFAULT), fl = -1;
  int ok = g >= 0 && read_root_number(g, "confidence", H5T_NATIVE_DOUBLE, &f->confidence) &&
           read_root_number(g, "threshold", H5T_NATIVE_DOUBLE, &f->threshold) &&
           read_root_number(g, "lowest_objective", H5T_NATIVE_DOUBLE, &f->lowest_objective) &&
           (f->interval_lower = read_f64(g, "interval_lower", f->nparam, a)) != NULL &&
           (f->interval_upper = read_f64(g, "interval_upper", f->nparam, a)) != NULL &&
           (f->fisher_lower = read_f64(g, "fisher_lower", f->nparam, a)) != NULL &&
           (f->fisher_upper = read_f64(g, "fisher_upper", f->nparam, a)) != NULL &&
           (f->identifiability = read_texts(g, "identifiability", f->nparam, a)) != NULL &&
           (fl = H5Dopen2(g, "fisher_lower", H5P_DEFAULT)) >= 0 &&
           read_text_attr(fl, "note", a, &f->fisher_note);
  if (fl >= 0) H5Dclose(fl);
  if (g >= 0) H5Gclose(g);
  if (ok && H5Lexists(file, "profile", H5P_DEFAULT) > 0)
    f->nprofile_points = dataset_length(file, "profile/point", &ok);
  f->has_uncertainty = ok;
  return ok ? NULL : "/uncertainty";
}

static const char *read_predictions(hid_t file, syn_h5fit_file *f, syn_arena *a) {
  f->pred_method = "";
  if (H5Lexists(file, "prediction", H5P_DEFAULT) <= 0) return NULL;
  int ok = 1;
  size_t n = dataset_length(file, "prediction/prediction", &ok);
  const char **method = NULL;
  ok = ok && (f->pred_name = read_texts(file, "prediction/name", n, a)) != NULL &&
       (f->pred_formula = read_texts(file, "prediction/formula", n, a)) != NULL &&
       (f->pred_units = read_texts(file, "prediction/units", n, a)) != NULL &&
       (method = read_texts(file, "prediction/method", n, a)) != NULL &&
       (f->pred_estimate = read_f64(file, "prediction/estimate", n, a)) != NULL &&
       (f->pred_lower = read_f64(file, "prediction/lower", n, a)) != NULL &&
       (f->pred_upper = read_f64(file, "prediction/upper", n, a)) != NULL;
  if (!ok) return "/prediction";
  f->npred = n;
  if (n) f->pred_method = method[0];
  return NULL;
}

static const char *read_observables(hid_t file, syn_h5fit_file *f, syn_arena *a) {
  if (H5Lexists(file, "observable", H5P_DEFAULT) <= 0) return NULL;
  int ok = 1;
  size_t n = dataset_length(file, "observable/observable", &ok);
  ok = ok && (f->obs_name = read_texts(file, "observable/name", n, a)) != NULL &&
       (f->obs_formula = read_texts(file, "observable/formula", n, a)) != NULL &&
       (f->obs_units = read_texts(file, "observable/units", n, a)) != NULL &&
       (f->obs_distribution = read_texts(file, "observable/distribution", n, a)) != NULL &&
       (f->obs_sd_model = read_texts(file, "observable/sd_model", n, a)) != NULL;
  if (!ok) return "/observable";
  f->nobs = n;
  return NULL;
}

static const char *read_fit(hid_t file, syn_h5fit_file *f, syn_arena *a) {
  int ok = 1;
  long long best = 0, npt = 0;
  if (!read_root_text(file, "fit_file", a, &f->fit_file) ||
      !read_root_text(file, "fit_sha256", a, &f->fit_sha256) ||
      !read_root_text(file, "scenario_file", a, &f->scenario_file) ||
      !read_root_text(file, "scenario_sha256", a, &f->scenario_sha256) ||
      !read_root_text(file, "synovia_version", a, &f->version) ||
      !read_root_text(file, "optimizer", a, &f->optimizer))
    return "root attributes";
  if (!read_root_number(file, "best_start", H5T_NATIVE_LLONG, &best) ||
      !read_root_number(file, "n_data", H5T_NATIVE_LLONG, &npt) ||
      !read_root_number(file, "best_objective", H5T_NATIVE_DOUBLE, &f->best_objective))
    return "root attributes best_start, n_data, best_objective";
  if (H5Aexists(file, "chi2") <= 0 || !read_root_number(file, "chi2", H5T_NATIVE_DOUBLE, &f->chi2))
    f->chi2 = NAN; /* optional: files written before it */
  f->best_start = (size_t)best;
  f->npoints = (size_t)npt;
  f->nstarts = dataset_length(file, "objective", &ok);
  f->nparam = dataset_length(file, "param", &ok);
  if (!ok) return "/objective and /param";
  if ((f->param_name = read_texts(file, "param", f->nparam, a)) == NULL) return "/param";
  if ((f->param_scale = read_texts(file, "scale", f->nparam, a)) == NULL) return "/scale";
  if ((f->estimate = read_f64(file, "estimate", f->nparam, a)) == NULL) return "/estimate";
  if ((f->lower = read_f64(file, "lower", f->nparam, a)) == NULL) return "/lower";
  if ((f->upper = read_f64(file, "upper", f->nparam, a)) == NULL) return "/upper";
  if ((f->objective = read_f64(file, "objective", f->nstarts, a)) == NULL) return "/objective";
  const char *what = read_uncertainty(file, f, a);
  if (what == NULL) what = read_predictions(file, f, a);
  return what ? what : read_observables(file, f, a);
}

syn_status syn_h5fit_read(const char *path, syn_h5fit_file **out, syn_error *err) {
  *out = NULL;
  syn_arena *a = syn_arena_create();
  syn_h5fit_file *f = a ? syn_arena_alloc(a, sizeof *f) : NULL;
  if (f != NULL) memset(f, 0, sizeof *f);
  if (f == NULL) {
    syn_arena_destroy(a);
    return syn_error_set(err, SYN_ENOMEM, "fit file '%s': out of memory", path);
  }
  f->arena_ = a;
  syn_h5u_quiet q;
  syn_h5u_quiet_begin(&q);
  syn_h5u_open_failure why;
  hid_t file = syn_h5u_open_read(path, H5P_DEFAULT, &why);
  syn_status st = SYN_OK;
  const char *what = file < 0 ? "open it" : read_fit(file, f, a);
  if (what != NULL) {
    char detail[256];
    syn_h5u_innermost(detail, sizeof detail);
    st = syn_error_set(err, SYN_EIO, "fit file '%s': cannot read %s (HDF5: %s)", path, what,
                       file < 0 ? why.detail : detail);
  }
  if (file >= 0) H5Fclose(file);
  syn_h5u_quiet_end(&q);
  if (st != SYN_OK) {
    syn_arena_destroy(a);
    return st;
  }
  *out = f;
  return SYN_OK;
}

void syn_h5fit_file_destroy(syn_h5fit_file *f) {
  if (f != NULL) syn_arena_destroy(f->arena_);
}
