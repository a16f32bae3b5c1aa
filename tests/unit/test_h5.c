/* synovia — unit tests of the HDF5 writer (src/io/h5.c).
 *
 * Files are written to a fresh temporary directory and read back with the
 * HDF5 C API directly (not through synovia), so the tests check the layout a
 * reader sees: values, attribute types and values, dimension scales,
 * creation-order flags, filters and the NaN fill; plus the <path>.tmp /
 * rename() protocol and the error paths. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "base/alloc.h"
#include "support/sens_decay.h"
#include "support/tmpdir.h"
#include "synovia/h5.h"
#include "synovia/result.h"
#include "synovia/synovia.h"

enum { NT = 11 };

typedef syn_test_dir fixture;

static int setup(void **state) { return syn_test_dir_setup(state, "syn_h5", "out.h5"); }
static int teardown(void **state) { return syn_test_dir_teardown(state); }

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* ---- a representative result --------------------------------------------------- */

static double il6(double t) { return 10.0 * exp(-0.3 * t); }
static double tnf(double t) { return 2.0 + sin(t); }
static double ratio(double t) { return il6(t) / tnf(t); }

static syn_result *make_result(const char *time_units, size_t nt) {
  static const syn_series_info info[] = {
      {"IL6", "pg/mL", "interleukin-6 in synovial fluid", SYN_SERIES_STATE},
      {"TNF", "pg/mL", "", SYN_SERIES_STATE},
      {"ratio", "", "IL6 / TNF", SYN_SERIES_OUTPUT},
  };
  syn_result *r = NULL;
  syn_error err;
  assert_int_equal(syn_result_create(3, info, 4, time_units, &r, &err), SYN_OK);
  for (size_t k = 0; k < nt; k++) {
    double t = 0.5 * (double)k;
    double v[3] = {il6(t), tnf(t), ratio(t)};
    assert_int_equal(syn_result_append(r, t, v, &err), SYN_OK);
  }
  assert_int_equal(syn_result_attr_string(r, "solver", "CVODE BDF", &err), SYN_OK);
  assert_int_equal(syn_result_attr_double(r, "rtol", 1e-8, &err), SYN_OK);
  assert_int_equal(syn_result_attr_int(r, "nsteps", 4242, &err), SYN_OK);
  assert_int_equal(syn_result_add_param(r, "k_deg", "1/h", 0.3, &err), SYN_OK);
  assert_int_equal(syn_result_add_param(r, "V_joint", "mL", 2.5, &err), SYN_OK);
  assert_int_equal(syn_result_add_param(r, "hill", "", 1.5, &err), SYN_OK);
  return r;
}

static const char *const prov_paths[] = {"models/knee.model", "models/lib/cytokines.model"};
static const char *const prov_texts[] = {"model knee\nuse \"lib/cytokines.model\"\n",
                                         "# cytokines \xce\xb2\nstate IL6\n"};

static syn_provenance make_prov(void) {
  syn_provenance p = {"Knee OA \xe2\x80\x94 IA dose", "synovia run models/knee.model -o out.h5",
                      "ab12cd34", 2, prov_paths, prov_texts, "2024-05-06T07:08:09Z", NULL, NULL};
  return p;
}

/* Writes one arm "run" to f->path and commits. */
static void write_sample(const fixture *f, const char *time_units) {
  syn_provenance prov = make_prov();
  syn_result *r = make_result(time_units, NT);
  syn_h5 *h = NULL;
  syn_error err;
  assert_int_equal(syn_h5_create(f->path, &prov, &h, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "run", r, &err), SYN_OK);
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  syn_h5_destroy(h);
  syn_result_destroy(r);
}

/* ---- readers ---------------------------------------------------------------------- */

/* A scalar attribute that must be a fixed-length UTF-8 string (issue 12: never
 * in the global heap). */
static void str_attr(hid_t obj, const char *name, char *buf, size_t size) {
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  assert_true(a >= 0);
  hid_t t = H5Aget_type(a);
  assert_int_equal(H5Tget_class(t), H5T_STRING);
  assert_true(H5Tis_variable_str(t) == 0);
  assert_int_equal(H5Tget_cset(t), H5T_CSET_UTF8);
  hid_t sp = H5Aget_space(a);
  assert_int_equal(H5Sget_simple_extent_type(sp), H5S_SCALAR);
  const size_t n = H5Tget_size(t);
  char *s = calloc(n + 1, 1);
  assert_non_null(s);
  assert_true(H5Aread(a, t, s) >= 0);
  snprintf(buf, size, "%s", s);
  free(s);
  H5Sclose(sp);
  H5Tclose(t);
  H5Aclose(a);
}

static void assert_str_attr(hid_t obj, const char *name, const char *want) {
  char buf[512];
  str_attr(obj, name, buf, sizeof buf);
  assert_string_equal(buf, want);
}

static double f64_attr(hid_t obj, const char *name) {
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  assert_true(a >= 0);
  hid_t t = H5Aget_type(a);
  assert_int_equal(H5Tget_class(t), H5T_FLOAT);
  assert_int_equal(H5Tget_size(t), 8);
  double v = 0;
  assert_true(H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0);
  H5Tclose(t);
  H5Aclose(a);
  return v;
}

static long long i64_attr(hid_t obj, const char *name) {
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  assert_true(a >= 0);
  hid_t t = H5Aget_type(a);
  assert_int_equal(H5Tget_class(t), H5T_INTEGER);
  assert_int_equal(H5Tget_size(t), 8);
  assert_int_equal(H5Tget_sign(t), H5T_SGN_2);
  long long v = 0;
  assert_true(H5Aread(a, H5T_NATIVE_LLONG, &v) >= 0);
  H5Tclose(t);
  H5Aclose(a);
  return v;
}

/* A 1-D float64 dataset of exactly n elements, into out[n]. */
static void read_f64(hid_t loc, const char *name, size_t n, double *out) {
  hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
  assert_true(d >= 0);
  hid_t t = H5Dget_type(d);
  assert_int_equal(H5Tget_class(t), H5T_FLOAT);
  assert_int_equal(H5Tget_size(t), 8);
  hid_t sp = H5Dget_space(d);
  hsize_t dim = 0;
  assert_int_equal(H5Sget_simple_extent_ndims(sp), 1);
  H5Sget_simple_extent_dims(sp, &dim, NULL);
  assert_int_equal(dim, n);
  if (n > 0) assert_true(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0);
  H5Sclose(sp);
  H5Tclose(t);
  H5Dclose(d);
}

/* Element i of a 1-D variable-length UTF-8 string dataset. */
static void read_str_elem(hid_t loc, const char *name, size_t n, size_t i, char *buf,
                          size_t size) {
  hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
  assert_true(d >= 0);
  hid_t t = H5Dget_type(d);
  assert_true(H5Tis_variable_str(t) > 0);
  assert_int_equal(H5Tget_cset(t), H5T_CSET_UTF8);
  hid_t sp = H5Dget_space(d);
  hsize_t dim = 0;
  H5Sget_simple_extent_dims(sp, &dim, NULL);
  assert_int_equal(dim, n);
  char **v = calloc(n, sizeof *v);
  assert_true(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
  snprintf(buf, size, "%s", v[i]);
  H5Dvlen_reclaim(t, sp, H5P_DEFAULT, v);
  free(v);
  H5Sclose(sp);
  H5Tclose(t);
  H5Dclose(d);
}

static void assert_creation_order(hid_t plist, int links) {
  unsigned flags = 0;
  unsigned want = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  assert_true(H5Pget_attr_creation_order(plist, &flags) >= 0);
  assert_int_equal(flags, want);
  if (links) {
    flags = 0;
    assert_true(H5Pget_link_creation_order(plist, &flags) >= 0);
    assert_int_equal(flags, want);
  }
}

/* Chunked <= 1 MiB, shuffle then deflate level 1 then Fletcher-32 (issue 12), NaN
 * fill, _FillValue NaN. */
static void assert_data_storage(hid_t d) {
  hid_t p = H5Dget_create_plist(d);
  assert_creation_order(p, 0);
  assert_int_equal(H5Pget_layout(p), H5D_CHUNKED);
  hsize_t chunk = 0;
  assert_int_equal(H5Pget_chunk(p, 1, &chunk), 1);
  assert_true(chunk >= 1 && chunk * 8 <= (1u << 20));
  assert_int_equal(H5Pget_nfilters(p), 3);
  unsigned flags = 0, cd[4] = {0};
  size_t ncd = 4;
  assert_int_equal(H5Pget_filter2(p, 0, &flags, &ncd, cd, 0, NULL, NULL), H5Z_FILTER_SHUFFLE);
  ncd = 4;
  assert_int_equal(H5Pget_filter2(p, 1, &flags, &ncd, cd, 0, NULL, NULL), H5Z_FILTER_DEFLATE);
  assert_true(ncd >= 1);
  size_t ncd2 = 4;
  assert_int_equal(H5Pget_filter2(p, 2, &flags, &ncd2, cd + 1, 0, NULL, NULL),
                   H5Z_FILTER_FLETCHER32);
  assert_int_equal(cd[0], 1);
  double fill = 0;
  assert_true(H5Pget_fill_value(p, H5T_NATIVE_DOUBLE, &fill) >= 0);
  assert_true(isnan(fill));
  assert_true(isnan(f64_attr(d, "_FillValue")));
  H5Pclose(p);
}

/* No HDF5 identifier may stay open after the writer is gone. */
static void assert_no_open_hdf5_objects(void) {
  assert_int_equal(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

/* ---- layout -------------------------------------------------------------------------- */

static void test_global_attributes_and_provenance(void **state) {
  fixture *f = *state;
  write_sample(f, "h");
  assert_no_open_hdf5_objects();
  hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(file >= 0);
  hid_t root = H5Gopen2(file, "/", H5P_DEFAULT); /* the fcpl's orders live on the root group */
  hid_t rcpl = H5Gget_create_plist(root);
  assert_creation_order(rcpl, 1);
  H5Pclose(rcpl);
  H5Gclose(root);

  char want[256];
  assert_str_attr(file, "Conventions", "CF-1.8");
  assert_str_attr(file, "title", "Knee OA \xe2\x80\x94 IA dose");
  snprintf(want, sizeof want, "synovia %s", syn_version());
  assert_str_attr(file, "source", want);
  assert_str_attr(file, "synovia_version", syn_version());
  assert_str_attr(file, "date_created", "2024-05-06T07:08:09Z");
  assert_str_attr(file, "command_line", "synovia run models/knee.model -o out.h5");
  assert_str_attr(file, "model_sha256", "ab12cd34");
  assert_str_attr(file, "model_file", "models/knee.model");

  hid_t g = H5Gopen2(file, "provenance", H5P_DEFAULT);
  assert_true(g >= 0);
  hid_t gcpl = H5Gget_create_plist(g);
  assert_creation_order(gcpl, 1);
  H5Pclose(gcpl);
  char buf[256];
  for (size_t i = 0; i < 2; i++) {
    read_str_elem(g, "file", 2, i, buf, sizeof buf);
    assert_string_equal(buf, prov_paths[i]);
    read_str_elem(g, "text", 2, i, buf, sizeof buf);
    assert_string_equal(buf, prov_texts[i]);
  }
  hid_t dfile = H5Dopen2(g, "file", H5P_DEFAULT), dtext = H5Dopen2(g, "text", H5P_DEFAULT);
  assert_true(H5DSis_scale(dfile) > 0);
  assert_true(H5DSis_attached(dtext, dfile, 0) > 0);
  hid_t p = H5Dget_create_plist(dtext);
  assert_creation_order(p, 0);
  H5Pclose(p);
  H5Dclose(dtext);
  H5Dclose(dfile);
  H5Gclose(g);
  H5Fclose(file);
}

static void test_arm_datasets(void **state) {
  fixture *f = *state;
  write_sample(f, "h");
  hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(file >= 0);
  hid_t arms = H5Gopen2(file, "arms", H5P_DEFAULT);
  hid_t g = H5Gopen2(file, "arms/run", H5P_DEFAULT);
  assert_true(arms >= 0 && g >= 0);
  hid_t gcpl = H5Gget_create_plist(arms);
  assert_creation_order(gcpl, 1);
  H5Pclose(gcpl);
  gcpl = H5Gget_create_plist(g);
  assert_creation_order(gcpl, 1);
  H5Pclose(gcpl);

  /* group attributes keep their types */
  assert_str_attr(g, "solver", "CVODE BDF");
  assert_true(f64_attr(g, "rtol") == 1e-8);
  assert_int_equal(i64_attr(g, "nsteps"), 4242);

  double t[NT], v[NT];
  read_f64(g, "time", NT, t);
  for (int k = 0; k < NT; k++) assert_true(t[k] == 0.5 * k);
  hid_t dtime = H5Dopen2(g, "time", H5P_DEFAULT);
  assert_true(H5DSis_scale(dtime) > 0);
  assert_str_attr(dtime, "units", "h");
  assert_str_attr(dtime, "long_name", "time");

  static const struct {
    const char *name, *units, *long_name, *kind;
    double (*fn)(double);
  } want[] = {
      {"IL6", "pg/mL", "interleukin-6 in synovial fluid", "state", il6},
      {"TNF", "pg/mL", "TNF", "state", tnf},  /* empty description: the name */
      {"ratio", "1", "IL6 / TNF", "output", ratio}, /* empty units: "1" */
  };
  for (size_t s = 0; s < 3; s++) {
    read_f64(g, want[s].name, NT, v);
    for (int k = 0; k < NT; k++) assert_true(v[k] == want[s].fn(t[k]));
    hid_t d = H5Dopen2(g, want[s].name, H5P_DEFAULT);
    assert_true(H5DSis_attached(d, dtime, 0) > 0);
    assert_str_attr(d, "units", want[s].units);
    assert_str_attr(d, "long_name", want[s].long_name);
    assert_str_attr(d, "kind", want[s].kind);
    assert_data_storage(d);
    H5Dclose(d);
  }
  hid_t p = H5Dget_create_plist(dtime);
  assert_creation_order(p, 0);
  H5Pclose(p);
  H5Dclose(dtime);

  /* the parameter table */
  static const char *const pn[] = {"k_deg", "V_joint", "hill"};
  static const char *const pu[] = {"1/h", "mL", "1"};
  static const double pv[] = {0.3, 2.5, 1.5};
  char buf[64];
  double vals[3];
  read_f64(g, "param_value", 3, vals);
  for (size_t i = 0; i < 3; i++) {
    read_str_elem(g, "param", 3, i, buf, sizeof buf);
    assert_string_equal(buf, pn[i]);
    read_str_elem(g, "param_units", 3, i, buf, sizeof buf);
    assert_string_equal(buf, pu[i]);
    assert_true(vals[i] == pv[i]);
  }
  hid_t dparam = H5Dopen2(g, "param", H5P_DEFAULT);
  hid_t dvalue = H5Dopen2(g, "param_value", H5P_DEFAULT);
  hid_t dunits = H5Dopen2(g, "param_units", H5P_DEFAULT);
  assert_true(H5DSis_scale(dparam) > 0);
  assert_true(H5DSis_attached(dvalue, dparam, 0) > 0);
  assert_true(H5DSis_attached(dunits, dparam, 0) > 0);
  dtime = H5Dopen2(g, "time", H5P_DEFAULT);
  assert_false(H5DSis_attached(dvalue, dtime, 0) > 0);
  assert_data_storage(dvalue);
  H5Dclose(dtime);
  H5Dclose(dunits);
  H5Dclose(dvalue);
  H5Dclose(dparam);
  H5Gclose(g);
  H5Gclose(arms);
  H5Fclose(file);
}

/* NaN data stay NaN; empty time units become "1"; date_created defaults to
 * now (ISO 8601 UTC); no files and no parameters give empty tables. */
static void test_nan_values_and_empty_units(void **state) {
  fixture *f = *state;
  syn_series_info info = {"x", "", "", SYN_SERIES_STATE};
  syn_result *r = NULL;
  syn_error err;
  assert_int_equal(syn_result_create(1, &info, 2, "", &r, &err), SYN_OK);
  double v = NAN;
  assert_int_equal(syn_result_append(r, 0.0, &v, &err), SYN_OK);
  v = 1.0;
  assert_int_equal(syn_result_append(r, 1.0, &v, &err), SYN_OK);
  syn_h5 *h = NULL;
  syn_provenance prov = {"", "", "", 0, NULL, NULL, NULL, NULL, NULL}; /* created NULL: now */
  assert_int_equal(syn_h5_create(f->path, &prov, &h, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "a", r, &err), SYN_OK);
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  syn_h5_destroy(h);
  syn_result_destroy(r);

  hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  char buf[64];
  str_attr(file, "date_created", buf, sizeof buf);
  int y, mo, d, hh, mm, ss;
  char z = 0;
  assert_int_equal(sscanf(buf, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &hh, &mm, &ss, &z), 7);
  assert_int_equal(strlen(buf), 20);
  assert_int_equal(z, 'Z');
  assert_true(y >= 2024 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31);
  assert_str_attr(file, "model_file", "");
  hid_t g = H5Gopen2(file, "arms/a", H5P_DEFAULT);
  hid_t dt = H5Dopen2(g, "time", H5P_DEFAULT);
  assert_str_attr(dt, "units", "1"); /* empty time units: "1" */
  double x[2];
  read_f64(g, "x", 2, x);
  assert_true(isnan(x[0]) && x[1] == 1.0);
  /* no parameters: empty but present param table */
  read_f64(g, "param_value", 0, x);
  hid_t pf = H5Gopen2(file, "provenance", H5P_DEFAULT);
  hid_t df = H5Dopen2(pf, "file", H5P_DEFAULT);
  assert_true(H5DSis_scale(df) > 0);
  H5Dclose(df);
  H5Gclose(pf);
  H5Dclose(dt);
  H5Gclose(g);
  H5Fclose(file);
}

/* A series longer than 1 MiB of doubles is split into several chunks. */
static void test_long_series_chunks(void **state) {
  fixture *f = *state;
  enum { N = 300000 };
  syn_series_info info = {"y", "1", "", SYN_SERIES_OUTPUT};
  syn_result *r = NULL;
  syn_error err;
  assert_int_equal(syn_result_create(1, &info, N, "s", &r, &err), SYN_OK);
  for (int k = 0; k < N; k++) {
    double v = (double)k * 0.25;
    assert_int_equal(syn_result_append(r, (double)k, &v, &err), SYN_OK);
  }
  syn_h5 *h = NULL;
  assert_int_equal(syn_h5_create(f->path, NULL, &h, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "run", r, &err), SYN_OK);
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  syn_h5_destroy(h);
  syn_result_destroy(r);
  hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(file, "arms/run/y", H5P_DEFAULT);
  assert_data_storage(d);
  hid_t p = H5Dget_create_plist(d);
  hsize_t chunk = 0;
  H5Pget_chunk(p, 1, &chunk);
  assert_true(chunk < N);
  H5Pclose(p);
  H5Dclose(d);
  double *v = malloc(N * sizeof *v);
  read_f64(file, "arms/run/y", N, v);
  for (int k = 0; k < N; k++) assert_true(v[k] == (double)k * 0.25);
  free(v);
  H5Fclose(file);
}

static void test_several_arms(void **state) {
  fixture *f = *state;
  syn_result *r = make_result("h", NT);
  syn_h5 *h = NULL;
  syn_error err;
  assert_int_equal(syn_h5_create(f->path, NULL, &h, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "IA", r, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "IV", r, &err), SYN_OK);
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  syn_h5_destroy(h);
  syn_result_destroy(r);
  hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t arms = H5Gopen2(file, "arms", H5P_DEFAULT);
  H5G_info_t gi;
  H5Gget_info(arms, &gi);
  assert_int_equal(gi.nlinks, 2);
  char name[16];
  /* listed in creation order */
  H5Lget_name_by_idx(arms, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, 0, name, sizeof name,
                     H5P_DEFAULT);
  assert_string_equal(name, "IA");
  H5Lget_name_by_idx(arms, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, 1, name, sizeof name,
                     H5P_DEFAULT);
  assert_string_equal(name, "IV");
  H5Gclose(arms);
  H5Fclose(file);
}

/* ---- many series: the writer scales linearly ------------------------------------------------ */

/* n series of NT_SCALE smooth values each ("s0", "s1", ...), time in h. */
enum { NT_SCALE = 101 };

static syn_result *make_wide_result(size_t n) {
  syn_series_info *info = calloc(n, sizeof *info);
  char (*names)[24] = calloc(n, sizeof *names);
  assert_true(info != NULL && names != NULL);
  for (size_t s = 0; s < n; s++) {
    snprintf(names[s], sizeof names[s], "s%zu", s);
    info[s] = (syn_series_info){names[s], "mg", "", SYN_SERIES_STATE};
  }
  syn_result *r = NULL;
  syn_error err;
  assert_int_equal(syn_result_create(n, info, NT_SCALE, "h", &r, &err), SYN_OK);
  double *v = calloc(n, sizeof *v);
  assert_non_null(v);
  for (size_t k = 0; k < NT_SCALE; k++) {
    for (size_t s = 0; s < n; s++) v[s] = exp(-0.01 * (double)(s % 97 + 1) * (double)k);
    assert_int_equal(syn_result_append(r, 0.24 * (double)k, v, &err), SYN_OK);
  }
  free(v);
  free(names);
  free(info);
  return r;
}

static double file_bytes(const char *path) {
  struct stat sb;
  assert_int_equal(stat(path, &sb), 0);
  return (double)sb.st_size;
}

/* Writes n series and returns the file's bytes per series; checks that the
 * time axis is attached to the first, a middle and the last series, and that
 * its REFERENCE_LIST names every series once. */
static double bytes_per_series(const fixture *f, size_t n) {
  syn_result *r = make_wide_result(n);
  syn_h5 *h = NULL;
  syn_error err;
  assert_int_equal(syn_h5_create(f->path, NULL, &h, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "run", r, &err), SYN_OK);
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  syn_h5_destroy(h);
  syn_result_destroy(r);
  hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t dtime = H5Dopen2(file, "arms/run/time", H5P_DEFAULT);
  const size_t probe[] = {0, n / 2, n - 1};
  for (size_t i = 0; i < 3; i++) {
    char name[32];
    snprintf(name, sizeof name, "arms/run/s%zu", probe[i]);
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    assert_true(H5DSis_attached(d, dtime, 0) > 0);
    assert_int_equal(H5DSget_num_scales(d, 0), 1);
    H5Dclose(d);
  }
  hid_t a = H5Aopen(dtime, "REFERENCE_LIST", H5P_DEFAULT);
  hid_t sp = H5Aget_space(a);
  assert_int_equal(H5Sget_simple_extent_npoints(sp), (hssize_t)n);
  H5Sclose(sp);
  H5Aclose(a);
  H5Dclose(dtime);
  H5Fclose(file);
  return file_bytes(f->path) / (double)n;
}

/* 40 000 series once made an 8 GB file (H5DSattach_scale rewrote the time
 * axis's REFERENCE_LIST at every series, and the old copies stayed): a
 * file's size must grow with the data, so the bytes per series may not grow
 * with the number of series. (Before the fix: 5.8 KB at 10^3, 7.9 KB at 10^4.) */
static void test_file_size_proportional_to_series(void **state) {
  fixture *f = *state;
  double small = bytes_per_series(f, 1000);
  double large = bytes_per_series(f, 10000);
  if (!(large <= 1.1 * small))
    fail_msg("%.0f bytes per series at 10^4 series, %.0f at 10^3", large, small);
  /* and the overhead on the data stays bounded: 101 doubles are 808 bytes */
  if (!(large <= 4.0 * 8 * NT_SCALE))
    fail_msg("%.0f bytes per series of %d doubles", large, NT_SCALE);
  assert_no_open_hdf5_objects();
}

/* The same with sensitivities (2 parameters: every series also has a raw and
 * a log (param x time) dataset on the time axis and the sensitivities' param
 * axis): the bytes per series may not grow with the number of series.
 * (Attached with H5DSattach_scale they did: 47 KB at 10^3 series, 115 KB at
 * 4 x 10^3.) */
static double sens_bytes_per_series(const fixture *f, size_t n) {
  syn_result *r = make_wide_result(n);
  syn_h5 *h = NULL;
  syn_error err;
  const char *const names[2] = {"a", "b"};
  const double values[2] = {1.0, 2.0};
  double *sens = calloc(2 * NT_SCALE * n, sizeof *sens);
  assert_non_null(sens);
  for (size_t i = 0; i < 2 * NT_SCALE * n; i++) sens[i] = sin(0.001 * (double)i);
  assert_int_equal(syn_result_set_sensitivities(r, 2, names, NULL, values, sens, &err), SYN_OK);
  free(sens);
  assert_int_equal(syn_h5_create(f->path, NULL, &h, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "run", r, &err), SYN_OK);
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  syn_h5_destroy(h);
  syn_result_destroy(r);
  hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  const char *const scales[2] = {"arms/run/time", "arms/run/sensitivities/param"};
  const hssize_t attached[2] = {(hssize_t)(3 * n), (hssize_t)(2 * n + 2)};
  for (size_t k = 0; k < 2; k++) { /* every dataset once in REFERENCE_LIST */
    hid_t d = H5Dopen2(file, scales[k], H5P_DEFAULT);
    hid_t a = H5Aopen(d, "REFERENCE_LIST", H5P_DEFAULT);
    hid_t sp = H5Aget_space(a);
    assert_int_equal(H5Sget_simple_extent_npoints(sp), attached[k]);
    H5Sclose(sp);
    H5Aclose(a);
    H5Dclose(d);
  }
  H5Fclose(file);
  return file_bytes(f->path) / (double)n;
}

static void test_sens_file_size_proportional_to_series(void **state) {
  fixture *f = *state;
  double small = sens_bytes_per_series(f, 300);
  double large = sens_bytes_per_series(f, 3000);
  if (!(large <= 1.1 * small))
    fail_msg("%.0f bytes per series at 3000 series, %.0f at 300", large, small);
  /* and the overhead stays bounded: a series and its 2 x 2 rows are 5 x 101 doubles */
  if (!(large <= 3.0 * 5 * 8 * NT_SCALE))
    fail_msg("%.0f bytes per series of 5 x %d doubles", large, NT_SCALE);
  assert_no_open_hdf5_objects();
}

/* Every allocation failure while writing an arm with sensitivities and
 * metric gradients is ENOMEM, and the writer stays usable: the same arm then
 * writes, and the file reads back with its sensitivities (ASan: no leak). */
static void test_sens_alloc_failures_keep_writer_usable(void **state) {
  fixture *f = *state;
  syn_result *r = NULL;
  syn_error err;
  assert_int_equal(decay_result(1, &r, &err), SYN_OK);
  int failures = 0, done = 0;
  for (long n = 1; n < 400 && !done; n++) {
    syn_h5 *h = NULL;
    assert_int_equal(syn_h5_create(f->path, NULL, &h, &err), SYN_OK);
    syn_alloc_test_fail_after(n);
    syn_status st = syn_h5_write_arm(h, "decay", r, &err);
    syn_alloc_test_fail_after(0);
    if (st == SYN_OK) {
      done = 1;
    } else {
      if (st != SYN_ENOMEM) fail_msg("allocation %ld: %s: %s", n, syn_status_name(st), err.message);
      failures++;
      assert_int_equal(syn_h5_write_arm(h, "decay", r, &err), SYN_OK);
    }
    assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
    syn_h5_destroy(h);
    assert_no_open_hdf5_objects();
    syn_h5_reader *rd = NULL;
    assert_int_equal(syn_h5_open(f->path, &rd, &err), SYN_OK);
    assert_int_equal(syn_h5_reader_sens(rd, 0)->nparams, 2);
    assert_int_equal(syn_h5_reader_sens(rd, 0)->nmetrics, 2);
    syn_h5_reader_destroy(rd);
  }
  assert_true(done);
  assert_true(failures > 3);
  syn_result_destroy(r);
  assert_no_open_hdf5_objects();
}

/* The writer's DIMENSION_LIST and REFERENCE_LIST have exactly the types of
 * HDF5's own H5DSattach_scale (netCDF and h5py read them by those types). */
static void test_scale_attributes_match_h5ds(void **state) {
  fixture *f = *state;
  write_sample(f, "h");
  char ref_path[200];
  snprintf(ref_path, sizeof ref_path, "%s/h5ds.h5", f->dir);
  hid_t rf = H5Fcreate(ref_path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t n = 3;
  hid_t sp = H5Screate_simple(1, &n, NULL);
  hid_t rs = H5Dcreate2(rf, "x", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  hid_t rd = H5Dcreate2(rf, "y", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(H5DSset_scale(rs, "x") >= 0 && H5DSattach_scale(rd, rs, 0) >= 0);
  hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t ws = H5Dopen2(file, "arms/run/time", H5P_DEFAULT);
  hid_t wd = H5Dopen2(file, "arms/run/IL6", H5P_DEFAULT);
  const struct { hid_t mine, theirs; const char *attr; } pairs[] = {
      {ws, rs, "REFERENCE_LIST"}, {wd, rd, "DIMENSION_LIST"}};
  for (size_t i = 0; i < 2; i++) {
    hid_t a = H5Aopen(pairs[i].mine, pairs[i].attr, H5P_DEFAULT);
    hid_t b = H5Aopen(pairs[i].theirs, pairs[i].attr, H5P_DEFAULT);
    hid_t ta = H5Aget_type(a), tb = H5Aget_type(b);
    if (H5Tequal(ta, tb) <= 0) fail_msg("%s differs from H5DS's", pairs[i].attr);
    H5Tclose(ta);
    H5Tclose(tb);
    H5Aclose(a);
    H5Aclose(b);
  }
  H5Dclose(wd);
  H5Dclose(ws);
  H5Fclose(file);
  H5Dclose(rd);
  H5Dclose(rs);
  H5Sclose(sp);
  H5Fclose(rf);
  assert_no_open_hdf5_objects();
}

/* ---- the tmp / rename protocol --------------------------------------------------------- */

static void test_tmp_then_rename(void **state) {
  fixture *f = *state;
  syn_result *r = make_result("h", NT);
  syn_h5 *h = NULL;
  syn_error err;
  assert_int_equal(syn_h5_create(f->path, NULL, &h, &err), SYN_OK);
  assert_true(exists(f->tmp));
  assert_false(exists(f->path));
  assert_int_equal(syn_h5_write_arm(h, "run", r, &err), SYN_OK);
  assert_false(exists(f->path));
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  assert_true(exists(f->path));
  assert_false(exists(f->tmp));
  /* after commit: no more writes, no second commit */
  assert_int_equal(syn_h5_write_arm(h, "late", r, &err), SYN_EINVAL);
  assert_int_equal(syn_h5_commit(h, &err), SYN_EINVAL);
  syn_h5_destroy(h); /* committed: the final file stays */
  assert_true(exists(f->path));
  syn_result_destroy(r);
  assert_no_open_hdf5_objects();
}

static void write_text(const char *path, const char *text) {
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fputs(text, fp);
  fclose(fp);
}

static void assert_text(const char *path, const char *want) {
  char buf[128] = {0};
  FILE *fp = fopen(path, "r");
  assert_non_null(fp);
  size_t n = fread(buf, 1, sizeof buf - 1, fp);
  fclose(fp);
  buf[n] = 0;
  assert_string_equal(buf, want);
}

static void test_destroy_without_commit_keeps_old_file(void **state) {
  fixture *f = *state;
  write_text(f->path, "old result\n");
  syn_result *r = make_result("h", NT);
  syn_h5 *h = NULL;
  syn_error err;
  assert_int_equal(syn_h5_create(f->path, NULL, &h, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "run", r, &err), SYN_OK);
  assert_text(f->path, "old result\n");
  syn_h5_destroy(h);
  assert_false(exists(f->tmp));
  assert_text(f->path, "old result\n");
  assert_no_open_hdf5_objects();
  /* and a commit replaces it */
  assert_int_equal(syn_h5_create(f->path, NULL, &h, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "run", r, &err), SYN_OK);
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  syn_h5_destroy(h);
  assert_true(H5Fis_hdf5(f->path) > 0);
  syn_result_destroy(r);
}

/* A stale tmp file from a crashed run is simply overwritten. */
static void test_stale_tmp_is_replaced(void **state) {
  fixture *f = *state;
  write_text(f->tmp, "garbage from a crash");
  write_sample(f, "h");
  assert_false(exists(f->tmp));
  assert_true(H5Fis_hdf5(f->path) > 0);
}

/* While one process writes an output, another writer of the same output
 * refuses, naming it, and leaves its tmp file alone (it used to truncate
 * it); once the first is done the output is free again. */
static void test_busy_tmp_is_refused(void **state) {
  fixture *f = *state;
  write_text(f->path, "old result\n");
  int up[2], down[2];
  assert_int_equal(pipe(up), 0);
  assert_int_equal(pipe(down), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) { /* the first writer: holds the output until told to let go (or EOF) */
    close(up[0]);
    close(down[1]);
    syn_h5 *h = NULL;
    syn_error err;
    char c = syn_h5_create(f->path, NULL, &h, &err) == SYN_OK ? 'y' : 'n';
    if (write(up[1], &c, 1) != 1 || read(down[0], &c, 1) != 1) c = 'n';
    syn_h5_destroy(h);
    _exit(c == 'n');
  }
  close(up[1]);
  close(down[0]);
  char c = 0;
  assert_int_equal(read(up[0], &c, 1), 1);
  assert_int_equal(c, 'y');
  syn_h5 *h = (syn_h5 *)&h;
  syn_error err;
  assert_int_equal(syn_h5_create(f->path, NULL, &h, &err), SYN_EINVAL);
  assert_null(h);
  char want[64];
  snprintf(want, sizeof want, "is being written by process %ld", (long)pid);
  if (strstr(err.message, want) == NULL) fail_msg("message: %s", err.message);
  assert_true(exists(f->tmp));
  assert_int_equal(write(down[1], "x", 1), 1);
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  assert_false(exists(f->tmp)); /* the first writer removed its own */
  assert_text(f->path, "old result\n");
  write_sample(f, "h");
  assert_true(H5Fis_hdf5(f->path) > 0);
  close(up[0]);
  close(down[1]);
}

/* A FIFO named like the tmp file is refused at once (opening it for
 * writing used to block forever, waiting for a reader). */
static void test_fifo_tmp_is_refused(void **state) {
  fixture *f = *state;
  assert_int_equal(mkfifo(f->tmp, 0600), 0);
  alarm(20); /* a hang fails the test instead of stalling the suite */
  syn_h5 *h = NULL;
  syn_error err;
  syn_status st = syn_h5_create(f->path, NULL, &h, &err);
  alarm(0);
  assert_int_equal(st, SYN_EIO);
  assert_null(h);
  if (strstr(err.message, "not a regular file") == NULL) fail_msg("message: %s", err.message);
  assert_false(exists(f->path));
}

/* ---- errors ------------------------------------------------------------------------------ */

static void test_missing_directory(void **state) {
  fixture *f = *state;
  char path[200];
  snprintf(path, sizeof path, "%s/no/such/dir/out.h5", f->dir);
  syn_h5 *h = (syn_h5 *)&h;
  syn_error err;
  assert_int_equal(syn_h5_create(path, NULL, &h, &err), SYN_EIO);
  assert_null(h);
  assert_non_null(strstr(err.message, strerror(ENOENT)));
  assert_non_null(strstr(err.message, "no/such/dir"));
  assert_false(exists(path));
  assert_no_open_hdf5_objects();
}

/* A directory component that is a regular file: ENOTDIR, nothing created. */
static void test_directory_is_a_file(void **state) {
  fixture *f = *state;
  char file[160], path[200];
  snprintf(file, sizeof file, "%s/plain", f->dir);
  write_text(file, "x");
  snprintf(path, sizeof path, "%s/out.h5", file);
  syn_h5 *h = NULL;
  syn_error err;
  assert_int_equal(syn_h5_create(path, NULL, &h, &err), SYN_EIO);
  assert_non_null(strstr(err.message, strerror(ENOTDIR)));
  assert_non_null(strstr(err.message, file));
  assert_null(h);
}

enum { SYSFS_MAGIC_NUMBER = 0x62656572 }; /* linux/magic.h: SYSFS_MAGIC */

static void test_unwritable_directory(void **state) {
  fixture *f = *state;
  char dir[160], path[200];
  struct stat sb;
  if (geteuid() == 0) {
    /* root writes into any mode-0555 directory; sysfs refuses even root
     * (EACCES). Without a mounted sysfs (a chroot, say) the two tests above
     * cover the error path and this one is a skip (tests/run.sh lists it). */
    struct statfs fs;
    if (stat("/sys", &sb) != 0 || !S_ISDIR(sb.st_mode)) skip();
    if (statfs("/sys", &fs) != 0 || fs.f_type != SYSFS_MAGIC_NUMBER) skip();
    snprintf(dir, sizeof dir, "/sys");
  } else {
    snprintf(dir, sizeof dir, "%s/ro", f->dir);
    assert_int_equal(mkdir(dir, 0555), 0);
  }
  snprintf(path, sizeof path, "%s/out.h5", dir);
  syn_h5 *h = NULL;
  syn_error err;
  assert_int_equal(syn_h5_create(path, NULL, &h, &err), SYN_EIO);
  assert_null(h);
  assert_non_null(strstr(err.message, strerror(EACCES)));
  assert_non_null(strstr(err.message, dir));
  assert_false(exists(path));
  if (geteuid() != 0) chmod(dir, 0755);
}

static void test_bad_create_arguments(void **state) {
  fixture *f = *state;
  syn_h5 *h = NULL;
  syn_error err;
  assert_int_equal(syn_h5_create(NULL, NULL, &h, &err), SYN_EINVAL);
  assert_int_equal(syn_h5_create("", NULL, &h, &err), SYN_EINVAL);
  assert_int_equal(syn_h5_create(f->path, NULL, NULL, &err), SYN_EINVAL);
  syn_provenance prov = {"", "", "", 2, NULL, NULL, NULL, NULL, NULL};
  assert_int_equal(syn_h5_create(f->path, &prov, &h, &err), SYN_EINVAL);
  assert_int_equal(syn_h5_create(f->dir, NULL, &h, &err), SYN_EINVAL); /* a directory */
  assert_non_null(strstr(err.message, "directory"));
  assert_null(h);
  assert_false(exists(f->tmp));
  assert_int_equal(syn_h5_commit(NULL, &err), SYN_EINVAL);
  assert_int_equal(syn_h5_write_arm(NULL, "a", NULL, &err), SYN_EINVAL);
  syn_h5_destroy(NULL);
}

static void test_bad_arms(void **state) {
  fixture *f = *state;
  syn_result *r = make_result("h", NT);
  syn_h5 *h = NULL;
  syn_error err;
  assert_int_equal(syn_h5_create(f->path, NULL, &h, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "run", r, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "run", r, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "'run'"));
  assert_non_null(strstr(err.message, "already"));
  assert_non_null(strstr(err.message, f->path));
  assert_int_equal(syn_h5_write_arm(h, "", r, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "empty"));
  assert_int_equal(syn_h5_write_arm(h, NULL, r, &err), SYN_EINVAL);
  assert_int_equal(syn_h5_write_arm(h, "a/b", r, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "'a/b'"));
  assert_int_equal(syn_h5_write_arm(h, "ok", NULL, &err), SYN_EINVAL);
  /* a series named like a dataset every arm has */
  syn_series_info clash = {"time", "h", "", SYN_SERIES_OUTPUT};
  syn_result *r2 = NULL;
  assert_int_equal(syn_result_create(1, &clash, 1, "h", &r2, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "clash", r2, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "'time'"));
  syn_result_destroy(r2);
  /* the file is still good after refused arms */
  assert_int_equal(syn_h5_write_arm(h, "second", r, &err), SYN_OK);
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  syn_h5_destroy(h);
  syn_result_destroy(r);
  hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(H5Lexists(file, "arms/second", H5P_DEFAULT) > 0);
  assert_false(H5Lexists(file, "arms/clash", H5P_DEFAULT) > 0);
  H5Fclose(file);
}

/* ---- doses, metrics, scenario provenance ------------------------------------------------ */

static const syn_dose_record sample_doses[] = {
    {24.0, 10.0, 0.0, "IA", "knee_R.MSC", "knee_R", "Mcell"},
    {0.0, 2.5, 1.5, "IV", "plasma.drug", "", "mg"},
    {48.0, 7.0, 0.0, "oral", "gut.drug", "", ""},
};
enum { NDOSES = sizeof sample_doses / sizeof sample_doses[0] };

static void add_sample_doses(syn_result *r) {
  syn_error err;
  for (size_t i = 0; i < NDOSES; i++)
    assert_int_equal(syn_result_add_dose(r, &sample_doses[i], &err), SYN_OK);
}

static int has_attr(hid_t obj, const char *name) { return H5Aexists(obj, name) > 0; }

static int has_link(hid_t loc, const char *name) { return H5Lexists(loc, name, H5P_DEFAULT) > 0; }

static void read_i64(hid_t loc, const char *name, size_t n, long long *out) {
  hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
  assert_true(d >= 0);
  hid_t t = H5Dget_type(d);
  assert_int_equal(H5Tget_class(t), H5T_INTEGER);
  assert_int_equal(H5Tget_size(t), 8);
  hid_t sp = H5Dget_space(d);
  hsize_t dim = 0;
  H5Sget_simple_extent_dims(sp, &dim, NULL);
  assert_int_equal(dim, n);
  assert_true(H5Dread(d, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) >= 0);
  H5Sclose(sp);
  H5Tclose(t);
  H5Dclose(d);
}

/* Dataset `name` in loc is attached to the scale `scale` (in loc) on axis idx. */
static void assert_attached(hid_t loc, const char *name, const char *scale, unsigned idx) {
  hid_t d = H5Dopen2(loc, name, H5P_DEFAULT), ds = H5Dopen2(loc, scale, H5P_DEFAULT);
  assert_true(d >= 0 && ds >= 0);
  assert_true(H5DSis_scale(ds) > 0);
  assert_true(H5DSis_attached(d, ds, idx) > 0);
  hid_t p = H5Dget_create_plist(d);
  assert_creation_order(p, 0);
  H5Pclose(p);
  H5Dclose(ds);
  H5Dclose(d);
}

/* Every dataset of group g is attached on every axis to a scale, or is one. */
static void assert_all_axes_scaled(hid_t g) {
  H5G_info_t gi;
  assert_true(H5Gget_info(g, &gi) >= 0);
  for (hsize_t i = 0; i < gi.nlinks; i++) {
    char name[64];
    assert_true(H5Lget_name_by_idx(g, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, i, name, sizeof name,
                                   H5P_DEFAULT) > 0);
    H5O_info_t oi;
    assert_true(H5Oget_info_by_name(g, name, &oi, H5P_DEFAULT) >= 0);
    if (oi.type != H5O_TYPE_DATASET) continue;
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (H5DSis_scale(d) <= 0) {
      hid_t sp = H5Dget_space(d);
      int rank = H5Sget_simple_extent_ndims(sp);
      for (int k = 0; k < rank; k++)
        if (H5DSget_num_scales(d, (unsigned)k) != 1) fail_msg("'%s' axis %d has no scale", name, k);
      H5Sclose(sp);
    }
    H5Dclose(d);
  }
}

static void test_doses_group(void **state) {
  fixture *f = *state;
  syn_result *r = make_result("h", NT), *none = make_result("h", NT);
  add_sample_doses(r);
  syn_provenance prov = make_prov();
  syn_h5 *h = NULL;
  syn_error err;
  assert_int_equal(syn_h5_create(f->path, &prov, &h, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "dosed", r, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "untreated", none, &err), SYN_OK);
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  syn_h5_destroy(h);
  syn_result_destroy(r);
  syn_result_destroy(none);

  hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(file >= 0);
  /* an arm without doses has no doses group; no metrics anywhere: no /metrics */
  assert_false(has_link(file, "arms/untreated/doses"));
  assert_false(has_link(file, "metrics"));
  assert_false(has_link(file, "arms/dosed/metric"));
  hid_t g = H5Gopen2(file, "arms/dosed/doses", H5P_DEFAULT);
  assert_true(g >= 0);
  hid_t gcpl = H5Gget_create_plist(g);
  assert_creation_order(gcpl, 1);
  H5Pclose(gcpl);

  long long index[NDOSES];
  read_i64(g, "dose", NDOSES, index);
  double tv[NDOSES], amount[NDOSES], duration[NDOSES];
  read_f64(g, "time", NDOSES, tv);
  read_f64(g, "amount", NDOSES, amount);
  read_f64(g, "duration", NDOSES, duration);
  char buf[64];
  for (size_t i = 0; i < NDOSES; i++) {
    const syn_dose_record *d = &sample_doses[i];
    assert_int_equal(index[i], (long long)i);
    assert_true(tv[i] == d->time && amount[i] == d->amount && duration[i] == d->duration);
    read_str_elem(g, "route", NDOSES, i, buf, sizeof buf);
    assert_string_equal(buf, d->route);
    read_str_elem(g, "target", NDOSES, i, buf, sizeof buf);
    assert_string_equal(buf, d->target);
    read_str_elem(g, "joint", NDOSES, i, buf, sizeof buf);
    assert_string_equal(buf, d->joint);
    read_str_elem(g, "units", NDOSES, i, buf, sizeof buf);
    assert_string_equal(buf, d->units);
  }
  static const char *const cols[] = {"time",  "amount", "duration", "route",
                                     "target", "joint", "units"};
  for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
    assert_attached(g, cols[c], "dose", 0);
    hid_t d = H5Dopen2(g, cols[c], H5P_DEFAULT);
    assert_true(has_attr(d, "long_name"));
    if (c < 3) assert_data_storage(d);
    /* time and duration are in the clock unit; amount's units vary per dose */
    if (c == 0 || c == 2) assert_str_attr(d, "units", "h");
    if (c == 1) assert_false(has_attr(d, "units"));
    H5Dclose(d);
  }
  hid_t dd = H5Dopen2(g, "dose", H5P_DEFAULT);
  assert_str_attr(dd, "long_name", "dose record number (0-based)");
  H5Dclose(dd);
  assert_all_axes_scaled(g);
  /* listed in creation order: the scale first, then the columns */
  char name[32];
  H5Lget_name_by_idx(g, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, 0, name, sizeof name, H5P_DEFAULT);
  assert_string_equal(name, "dose");
  H5Lget_name_by_idx(g, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, 7, name, sizeof name, H5P_DEFAULT);
  assert_string_equal(name, "units");
  H5Gclose(g);
  H5Fclose(file);
}

/* Event executions: the group events/ (scale `event`, `time` in the clock unit, `name`), in
 * the order added; none in an arm without. */
static void test_events_group(void **state) {
  fixture *f = *state;
  syn_result *r = make_result("h", NT), *none = make_result("h", NT);
  syn_error err;
  assert_int_equal(syn_result_add_event(r, 4.0, "reset", &err), SYN_OK);
  assert_int_equal(syn_result_add_event(r, 2.5, "knee_R.flare", &err), SYN_OK);
  syn_provenance prov = make_prov();
  syn_h5 *h = NULL;
  assert_int_equal(syn_h5_create(f->path, &prov, &h, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "with", r, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "without", none, &err), SYN_OK);
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  syn_h5_destroy(h);
  syn_result_destroy(r);
  syn_result_destroy(none);
  hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(file >= 0);
  assert_false(has_link(file, "arms/without/events"));
  hid_t g = H5Gopen2(file, "arms/with/events", H5P_DEFAULT);
  assert_true(g >= 0);
  long long index[2];
  double tv[2];
  char buf[32];
  read_i64(g, "event", 2, index);
  read_f64(g, "time", 2, tv);
  assert_true(index[0] == 0 && index[1] == 1 && tv[0] == 4.0 && tv[1] == 2.5);
  read_str_elem(g, "name", 2, 0, buf, sizeof buf);
  assert_string_equal(buf, "reset");
  read_str_elem(g, "name", 2, 1, buf, sizeof buf);
  assert_string_equal(buf, "knee_R.flare");
  assert_attached(g, "time", "event", 0);
  assert_attached(g, "name", "event", 0);
  hid_t d = H5Dopen2(g, "time", H5P_DEFAULT);
  assert_str_attr(d, "units", "h");
  H5Dclose(d);
  assert_all_axes_scaled(g);
  H5Gclose(g);
  H5Fclose(file);
}

/* Three arms: A has m1 and m2, B has m3 and m2 (same units), C none. */
static void write_metric_arms(const fixture *f) {
  syn_result *a = make_result("h", NT), *b = make_result("h", NT), *c = make_result("h", NT);
  syn_error err;
  assert_int_equal(syn_result_add_metric(a, "m1", "pg/mL*h", "auc(IL6, 0 h, 5 h)", 1.5, &err),
                   SYN_OK);
  assert_int_equal(syn_result_add_metric(a, "m2", "h", "tmax(TNF, 0 h, 5 h)", NAN, &err), SYN_OK);
  assert_int_equal(syn_result_add_metric(b, "m3", "", "", -4.0, &err), SYN_OK);
  assert_int_equal(syn_result_add_metric(b, "m2", "h", "other text", 2.25, &err), SYN_OK);
  syn_h5 *h = NULL;
  assert_int_equal(syn_h5_create(f->path, NULL, &h, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "A", a, &err), SYN_OK);
  syn_result_destroy(a); /* the table keeps its own copy */
  assert_int_equal(syn_h5_write_arm(h, "B", b, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "C", c, &err), SYN_OK);
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  syn_h5_destroy(h);
  syn_result_destroy(b);
  syn_result_destroy(c);
}

static void test_arm_metrics(void **state) {
  fixture *f = *state;
  write_metric_arms(f);
  hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t g = H5Gopen2(file, "arms/B", H5P_DEFAULT);
  char buf[64];
  double v[2];
  read_f64(g, "metric_value", 2, v);
  assert_true(v[0] == -4.0 && v[1] == 2.25);
  static const char *const names[] = {"m3", "m2"}, *const units[] = {"", "h"},
                           *const desc[] = {"", "other text"};
  for (size_t i = 0; i < 2; i++) {
    read_str_elem(g, "metric", 2, i, buf, sizeof buf);
    assert_string_equal(buf, names[i]);
    read_str_elem(g, "metric_units", 2, i, buf, sizeof buf);
    assert_string_equal(buf, units[i]); /* "" = unknown, kept as is */
    read_str_elem(g, "metric_description", 2, i, buf, sizeof buf);
    assert_string_equal(buf, desc[i]);
  }
  assert_attached(g, "metric_value", "metric", 0);
  assert_attached(g, "metric_units", "metric", 0);
  assert_attached(g, "metric_description", "metric", 0);
  hid_t d = H5Dopen2(g, "metric_value", H5P_DEFAULT);
  assert_data_storage(d);
  assert_str_attr(d, "long_name", "metric value");
  H5Dclose(d);
  d = H5Dopen2(g, "metric", H5P_DEFAULT);
  assert_str_attr(d, "long_name", "metric name");
  H5Dclose(d);
  assert_all_axes_scaled(g);
  H5Gclose(g);
  g = H5Gopen2(file, "arms/A", H5P_DEFAULT);
  read_f64(g, "metric_value", 2, v);
  assert_true(v[0] == 1.5 && isnan(v[1]));
  H5Gclose(g);
  assert_false(has_link(file, "arms/C/metric")); /* no metrics, no metric datasets */
  assert_false(has_link(file, "arms/C/metric_value"));
  H5Fclose(file);
}

static void test_metrics_table(void **state) {
  fixture *f = *state;
  write_metric_arms(f);
  hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t g = H5Gopen2(file, "metrics", H5P_DEFAULT);
  assert_true(g >= 0);
  hid_t gcpl = H5Gget_create_plist(g);
  assert_creation_order(gcpl, 1);
  H5Pclose(gcpl);
  char buf[64];
  static const char *const arms[] = {"A", "B", "C"}; /* every arm, in the order written */
  static const char *const names[] = {"m1", "m2", "m3"}; /* union, first seen */
  static const char *const units[] = {"pg/mL*h", "h", ""};
  static const char *const desc[] = {"auc(IL6, 0 h, 5 h)", "tmax(TNF, 0 h, 5 h)", ""};
  for (size_t i = 0; i < 3; i++) {
    read_str_elem(g, "arm", 3, i, buf, sizeof buf);
    assert_string_equal(buf, arms[i]);
    read_str_elem(g, "metric", 3, i, buf, sizeof buf);
    assert_string_equal(buf, names[i]);
    read_str_elem(g, "units", 3, i, buf, sizeof buf);
    assert_string_equal(buf, units[i]);
    read_str_elem(g, "description", 3, i, buf, sizeof buf); /* the first arm's text */
    assert_string_equal(buf, desc[i]);
  }
  hid_t d = H5Dopen2(g, "value", H5P_DEFAULT);
  hid_t sp = H5Dget_space(d);
  hsize_t dims[2] = {0, 0};
  assert_int_equal(H5Sget_simple_extent_ndims(sp), 2);
  H5Sget_simple_extent_dims(sp, dims, NULL);
  assert_true(dims[0] == 3 && dims[1] == 3);
  double v[3][3];
  assert_true(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
  /* row = arm, column = metric; NaN where the arm lacks the metric (and A's own NaN) */
  assert_true(v[0][0] == 1.5 && isnan(v[0][1]) && isnan(v[0][2]));
  assert_true(isnan(v[1][0]) && v[1][1] == 2.25 && v[1][2] == -4.0);
  assert_true(isnan(v[2][0]) && isnan(v[2][1]) && isnan(v[2][2]));
  hid_t p = H5Dget_create_plist(d);
  assert_int_equal(H5Pget_layout(p), H5D_CHUNKED);
  hsize_t chunk[2] = {0, 0};
  assert_int_equal(H5Pget_chunk(p, 2, chunk), 2);
  assert_true(chunk[0] == 3 && chunk[1] == 3);
  assert_int_equal(H5Pget_nfilters(p), 3);
  assert_creation_order(p, 0);
  H5Pclose(p);
  assert_true(isnan(f64_attr(d, "_FillValue")));
  assert_true(has_attr(d, "long_name"));
  H5Sclose(sp);
  H5Dclose(d);
  assert_attached(g, "value", "arm", 0);
  assert_attached(g, "value", "metric", 1);
  assert_attached(g, "units", "metric", 0);
  assert_attached(g, "description", "metric", 0);
  hid_t da = H5Dopen2(g, "arm", H5P_DEFAULT), dm = H5Dopen2(g, "metric", H5P_DEFAULT);
  d = H5Dopen2(g, "value", H5P_DEFAULT);
  assert_false(H5DSis_attached(d, dm, 0) > 0); /* each scale on its own axis only */
  assert_false(H5DSis_attached(d, da, 1) > 0);
  H5Dclose(d);
  H5Dclose(dm);
  H5Dclose(da);
  assert_all_axes_scaled(g);
  H5Gclose(g);
  H5Fclose(file);
}

/* A table larger than 1 MiB: whole rows per chunk, as many rows as fit. */
static void test_metrics_table_chunks(void **state) {
  fixture *f = *state;
  enum { NA = 300, NM = 500 }; /* 150000 doubles > 131072 = 1 MiB */
  syn_result *r = make_result("h", 2);
  syn_error err;
  for (int j = 0; j < NM; j++) {
    char name[32];
    snprintf(name, sizeof name, "m%d", j);
    assert_int_equal(syn_result_add_metric(r, name, "1", "", j, &err), SYN_OK);
  }
  syn_h5 *h = NULL;
  assert_int_equal(syn_h5_create(f->path, NULL, &h, &err), SYN_OK);
  for (int i = 0; i < NA; i++) {
    char arm[16];
    snprintf(arm, sizeof arm, "arm%d", i);
    assert_int_equal(syn_h5_write_arm(h, arm, r, &err), SYN_OK);
  }
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  syn_h5_destroy(h);
  syn_result_destroy(r);
  hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(file, "metrics/value", H5P_DEFAULT);
  hid_t p = H5Dget_create_plist(d);
  hsize_t chunk[2] = {0, 0};
  assert_int_equal(H5Pget_chunk(p, 2, chunk), 2);
  assert_true(chunk[0] >= 1 && chunk[0] < NA && chunk[1] == NM);
  assert_true(chunk[0] * chunk[1] * 8 <= (1u << 20));
  H5Pclose(p);
  double *v = malloc((size_t)NA * NM * sizeof *v);
  assert_true(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
  for (int i = 0; i < NA; i++)
    for (int j = 0; j < NM; j++) assert_true(v[(size_t)i * NM + j] == (double)j);
  free(v);
  H5Dclose(d);
  H5Fclose(file);
}

/* One column of /metrics has one unit: a metric whose units differ from an
 * earlier arm's is refused before anything of that arm is written. */
static void test_metric_units_conflict(void **state) {
  fixture *f = *state;
  syn_result *a = make_result("h", NT), *b = make_result("h", NT);
  syn_error err;
  assert_int_equal(syn_result_add_metric(a, "auc", "pg/mL*h", "", 1.0, &err), SYN_OK);
  assert_int_equal(syn_result_add_metric(b, "auc", "pg/mL*d", "", 2.0, &err), SYN_OK);
  syn_h5 *h = NULL;
  assert_int_equal(syn_h5_create(f->path, NULL, &h, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "A", a, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "B", b, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "'auc'"));
  assert_non_null(strstr(err.message, "'pg/mL*d'"));
  assert_non_null(strstr(err.message, "'pg/mL*h'"));
  assert_non_null(strstr(err.message, "'B'"));
  assert_int_equal(syn_h5_write_arm(h, "A2", a, &err), SYN_OK);
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  syn_h5_destroy(h);
  syn_result_destroy(a);
  syn_result_destroy(b);
  hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_false(has_link(file, "arms/B"));
  char buf[16];
  read_str_elem(file, "metrics/arm", 2, 1, buf, sizeof buf); /* B is not a row */
  assert_string_equal(buf, "A2");
  H5Fclose(file);
}

/* The writer's own names are refused as series names only where it writes
 * them: "doses" with dose records, metric* with metrics. */
static void test_reserved_names_with_doses_and_metrics(void **state) {
  fixture *f = *state;
  static const char *const names[] = {"doses", "metric", "metric_value", "metric_units",
                                      "metric_description"};
  syn_h5 *h = NULL;
  syn_error err;
  assert_int_equal(syn_h5_create(f->path, NULL, &h, &err), SYN_OK);
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
    syn_series_info info = {names[k], "", "", SYN_SERIES_STATE};
    syn_result *r = NULL;
    assert_int_equal(syn_result_create(1, &info, 1, "h", &r, &err), SYN_OK);
    char arm[32];
    snprintf(arm, sizeof arm, "plain%zu", k);
    assert_int_equal(syn_h5_write_arm(h, arm, r, &err), SYN_OK); /* nothing to collide with */
    if (k == 0)
      add_sample_doses(r);
    else
      assert_int_equal(syn_result_add_metric(r, "m", "", "", 1.0, &err), SYN_OK);
    snprintf(arm, sizeof arm, "clash%zu", k);
    assert_int_equal(syn_h5_write_arm(h, arm, r, &err), SYN_EINVAL);
    assert_non_null(strstr(err.message, names[k]));
    assert_non_null(strstr(err.message, "collides"));
    syn_result_destroy(r);
  }
  /* a series called "metric" is fine next to doses, "doses" next to metrics */
  syn_series_info info = {"metric", "", "", SYN_SERIES_STATE};
  syn_result *r = NULL;
  assert_int_equal(syn_result_create(1, &info, 1, "h", &r, &err), SYN_OK);
  add_sample_doses(r);
  assert_int_equal(syn_h5_write_arm(h, "mixed", r, &err), SYN_OK);
  syn_result_destroy(r);
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  syn_h5_destroy(h);
}

static void test_scenario_provenance(void **state) {
  fixture *f = *state;
  static const char *const paths[] = {"scenarios/ia_vs_iv.scenario", "models/knee.model"};
  static const char *const texts[] = {"model \"../models/knee.model\"\n", "model knee\n"};
  syn_provenance prov = {"t", "synovia run scenarios/ia_vs_iv.scenario", "ab12", 2, paths,
                         texts, "2024-05-06T07:08:09Z", "5ce0", "scenarios/ia_vs_iv.scenario"};
  syn_result *r = make_result("h", NT);
  syn_h5 *h = NULL;
  syn_error err;
  assert_int_equal(syn_h5_create(f->path, &prov, &h, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "run", r, &err), SYN_OK);
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  syn_h5_destroy(h);
  hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_str_attr(file, "scenario_sha256", "5ce0");
  assert_str_attr(file, "scenario_file", "scenarios/ia_vs_iv.scenario");
  assert_str_attr(file, "model_file", "models/knee.model"); /* the scenario is not the model */
  assert_str_attr(file, "model_sha256", "ab12");
  char buf[64];
  read_str_elem(file, "provenance/file", 2, 0, buf, sizeof buf);
  assert_string_equal(buf, "scenarios/ia_vs_iv.scenario");
  hid_t df = H5Dopen2(file, "provenance/file", H5P_DEFAULT);
  assert_str_attr(df, "long_name", "input file path");
  H5Dclose(df);
  H5Fclose(file);

  /* without a scenario: no scenario attributes (NULL and "" alike), model_file first */
  const char *empty[] = {NULL, ""};
  for (size_t k = 0; k < 2; k++) {
    syn_provenance p2 = make_prov();
    p2.scenario_sha256 = empty[k];
    p2.scenario_file = empty[k];
    assert_int_equal(syn_h5_create(f->path, &p2, &h, &err), SYN_OK);
    assert_int_equal(syn_h5_write_arm(h, "run", r, &err), SYN_OK);
    assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
    syn_h5_destroy(h);
    file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_false(has_attr(file, "scenario_sha256"));
    assert_false(has_attr(file, "scenario_file"));
    assert_str_attr(file, "model_file", "models/knee.model");
    H5Fclose(file);
  }
  /* a scenario whose model text is not listed: model_file is "" */
  syn_provenance p3 = prov;
  p3.nfiles = 1;
  assert_int_equal(syn_h5_create(f->path, &p3, &h, &err), SYN_OK);
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  syn_h5_destroy(h);
  file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_str_attr(file, "model_file", "");
  assert_str_attr(file, "scenario_file", "scenarios/ia_vs_iv.scenario");
  H5Fclose(file);
  syn_result_destroy(r);
}

/* Allocation failures while a second arm (doses, metrics) is written or at
 * the commit (the /metrics table): ENOMEM, and the writer stays usable: the
 * same calls then succeed and the file holds exactly arms A and B. */
static void test_alloc_failures_keep_writer_usable(void **state) {
  fixture *f = *state;
  syn_result *a = make_result("h", NT), *b = make_result("h", NT);
  syn_error err;
  add_sample_doses(b);
  assert_int_equal(syn_result_add_metric(a, "m1", "h", "d1", 1.0, &err), SYN_OK);
  assert_int_equal(syn_result_add_metric(b, "m2", "1", "d2", 2.0, &err), SYN_OK);
  assert_int_equal(syn_result_add_metric(b, "m1", "h", "d1", 3.0, &err), SYN_OK);
  int failures = 0, done = 0;
  for (long n = 1; n < 200 && !done; n++) {
    syn_h5 *h = NULL;
    assert_int_equal(syn_h5_create(f->path, NULL, &h, &err), SYN_OK);
    assert_int_equal(syn_h5_write_arm(h, "A", a, &err), SYN_OK);
    syn_alloc_test_fail_after(n);
    syn_status st = syn_h5_write_arm(h, "B", b, &err);
    int in_commit = st == SYN_OK;
    if (st == SYN_OK) st = syn_h5_commit(h, &err);
    syn_alloc_test_fail_after(0);
    if (st == SYN_OK) {
      done = 1;
    } else {
      if (st != SYN_ENOMEM) fail_msg("allocation %ld: %s: %s", n, syn_status_name(st), err.message);
      failures++;
      if (!in_commit) assert_int_equal(syn_h5_write_arm(h, "B", b, &err), SYN_OK);
      st = syn_h5_commit(h, &err);
      if (st != SYN_OK) fail_msg("allocation %ld: retry: %s", n, err.message);
    }
    syn_h5_destroy(h);
    assert_no_open_hdf5_objects();
    hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(file >= 0);
    hid_t arms = H5Gopen2(file, "arms", H5P_DEFAULT);
    H5G_info_t gi;
    H5Gget_info(arms, &gi);
    assert_int_equal(gi.nlinks, 2);
    H5Gclose(arms);
    char buf[16];
    read_str_elem(file, "metrics/arm", 2, 1, buf, sizeof buf);
    assert_string_equal(buf, "B");
    double v[2][2];
    hid_t d = H5Dopen2(file, "metrics/value", H5P_DEFAULT);
    assert_true(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    H5Dclose(d);
    assert_true(v[0][0] == 1.0 && isnan(v[0][1]) && v[1][0] == 3.0 && v[1][1] == 2.0);
    long long idx[NDOSES];
    read_i64(file, "arms/B/doses/dose", NDOSES, idx);
    H5Fclose(file);
  }
  assert_true(done);
  assert_true(failures >= 5);
  syn_result_destroy(a);
  syn_result_destroy(b);
}

/* A disk failure (the file size limit makes writes fail with EFBIG, as a full
 * disk would with ENOSPC) becomes a syn_error naming the file and the errno
 * text; nothing is printed; the caller's own HDF5 error handler is restored
 * afterwards; neither the tmp file nor the final name is left behind, and the
 * process exits cleanly (HDF5 1.10.8 crashed at exit after a failed
 * H5Fclose: the reason the writer builds the file in memory). */
static herr_t my_handler(hid_t stack, void *data) {
  (void)stack;
  (void)data;
  return 0;
}

/* Every allocation failure (synovia's own; HDF5 allocates with malloc) is
 * reported as ENOMEM and leaves nothing behind: no tmp file, no half-written
 * final file, the old file untouched, no open HDF5 object, no leak (ASan). */
static void test_alloc_failures(void **state) {
  fixture *f = *state;
  static const char *const paths[] = {"a.model", "b.model"}, *const texts[] = {"x", "y"};
  const syn_provenance prov = {"t", "synovia run", "ab", 2, paths, texts, "2024-01-01T00:00:00Z", NULL,
                               NULL};
  syn_result *r = make_result("h", NT);
  assert_int_equal(syn_result_add_param(r, "k", "1/h", 0.5, NULL), SYN_OK);
  add_sample_doses(r);
  assert_int_equal(syn_result_add_metric(r, "m", "h", "", 1.0, NULL), SYN_OK);
  write_text(f->path, "old result\n");
  int failures = 0;
  for (long n = 1; n < 200; n++) {
    syn_h5 *h = NULL;
    syn_error err;
    syn_alloc_test_fail_after(n);
    syn_status st = syn_h5_create(f->path, &prov, &h, &err);
    if (st == SYN_OK) st = syn_h5_write_arm(h, "run", r, &err);
    if (st == SYN_OK) st = syn_h5_write_arm(h, "other", r, &err);
    if (st == SYN_OK) st = syn_h5_commit(h, &err);
    syn_alloc_test_fail_after(0);
    syn_h5_destroy(h);
    assert_false(exists(f->tmp));
    assert_no_open_hdf5_objects();
    if (st == SYN_OK) break;
    if (st != SYN_ENOMEM) fail_msg("allocation %ld: %s: %s", n, syn_status_name(st), err.message);
    assert_text(f->path, "old result\n");
    failures++;
  }
  assert_true(failures >= 5);
  assert_true(H5Fis_hdf5(f->path) > 0); /* the loop ended with a successful write */
  syn_result_destroy(r);
}

static void test_disk_failure_is_reported(void **state) {
  fixture *f = *state;
  enum { N = 200000 };
  syn_series_info info[2] = {{"a", "1", "", SYN_SERIES_STATE}, {"b", "1", "", SYN_SERIES_STATE}};
  syn_result *r = NULL;
  syn_error err;
  assert_int_equal(syn_result_create(2, info, N, "h", &r, &err), SYN_OK);
  for (int k = 0; k < N; k++) { /* noisy data so that deflate cannot shrink it much */
    double v[2] = {sin(k * 12.9898) * 43758.5453, cos(k * 78.233) * 1234.5};
    assert_int_equal(syn_result_append(r, k, v, &err), SYN_OK);
  }
  int marker = 7;
  H5E_auto2_t orig_func = NULL;
  void *orig_data = NULL;
  H5Eget_auto2(H5E_DEFAULT, &orig_func, &orig_data);
  H5Eset_auto2(H5E_DEFAULT, my_handler, &marker);

  char errpath[200];
  snprintf(errpath, sizeof errpath, "%s/stderr.txt", f->dir);
  fflush(stderr);
  int saved = dup(2);
  int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(saved >= 0 && fd >= 0);
  dup2(fd, 2);
  close(fd);
  struct rlimit old, lim;
  getrlimit(RLIMIT_FSIZE, &old);
  lim = old;
  lim.rlim_cur = 64 * 1024;
  void (*old_sig)(int) = signal(SIGXFSZ, SIG_IGN);
  setrlimit(RLIMIT_FSIZE, &lim);

  syn_h5 *h = NULL;
  syn_status st = syn_h5_create(f->path, NULL, &h, &err);
  if (st == SYN_OK) st = syn_h5_write_arm(h, "run", r, &err);
  if (st == SYN_OK) st = syn_h5_commit(h, &err);
  syn_h5_destroy(h);

  setrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, old_sig);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);

  assert_int_equal(st, SYN_EIO);
  assert_non_null(strstr(err.message, f->path));
  assert_non_null(strstr(err.message, "cannot write"));
  assert_non_null(strstr(err.message, strerror(EFBIG)));
  struct stat sb;
  assert_int_equal(stat(errpath, &sb), 0);
  assert_int_equal(sb.st_size, 0); /* HDF5 printed nothing */
  assert_false(exists(f->tmp));
  assert_false(exists(f->path));
  H5E_auto2_t func = NULL;
  void *data = NULL;
  H5Eget_auto2(H5E_DEFAULT, &func, &data);
  assert_true(func == my_handler);
  assert_true(data == &marker);
  H5Eset_auto2(H5E_DEFAULT, orig_func, orig_data);
  syn_result_destroy(r);
  assert_no_open_hdf5_objects();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_global_attributes_and_provenance, setup, teardown),
      cmocka_unit_test_setup_teardown(test_arm_datasets, setup, teardown),
      cmocka_unit_test_setup_teardown(test_nan_values_and_empty_units, setup, teardown),
      cmocka_unit_test_setup_teardown(test_long_series_chunks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_several_arms, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tmp_then_rename, setup, teardown),
      cmocka_unit_test_setup_teardown(test_destroy_without_commit_keeps_old_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_stale_tmp_is_replaced, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missing_directory, setup, teardown),
      cmocka_unit_test_setup_teardown(test_directory_is_a_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unwritable_directory, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_create_arguments, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_arms, setup, teardown),
      cmocka_unit_test_setup_teardown(test_alloc_failures, setup, teardown),
      cmocka_unit_test_setup_teardown(test_doses_group, setup, teardown),
      cmocka_unit_test_setup_teardown(test_events_group, setup, teardown),
      cmocka_unit_test_setup_teardown(test_arm_metrics, setup, teardown),
      cmocka_unit_test_setup_teardown(test_metrics_table, setup, teardown),
      cmocka_unit_test_setup_teardown(test_metrics_table_chunks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_metric_units_conflict, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reserved_names_with_doses_and_metrics, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_scenario_provenance, setup, teardown),
      cmocka_unit_test_setup_teardown(test_alloc_failures_keep_writer_usable, setup, teardown),
      cmocka_unit_test_setup_teardown(test_disk_failure_is_reported, setup, teardown),
      cmocka_unit_test_setup_teardown(test_busy_tmp_is_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fifo_tmp_is_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_file_size_proportional_to_series, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sens_file_size_proportional_to_series, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sens_alloc_failures_keep_writer_usable, setup, teardown),
      cmocka_unit_test_setup_teardown(test_scale_attributes_match_h5ds, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
