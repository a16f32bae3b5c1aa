/* synovia — unit tests of the reader of run files (src/io/h5read.c).
 *
 * Files are written with synovia's own writer (syn_h5_create / write_arm /
 * commit) from results built here, and read back: every field must come back
 * exactly (series bitwise). Files that are not run files (sweeps, other HDF5
 * files, text, truncated copies, hand-made files with parts missing) must
 * give one error naming the file, never a crash, and leave no HDF5 object
 * open; every allocation failure is reported as such with no leak (ASan). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "base/alloc.h"
#include "support/sens_decay.h"
#include "support/tmpdir.h"
#include "synovia/h5.h"
#include "synovia/h5sweep.h"
#include "synovia/model.h"
#include "synovia/result.h"
#include "synovia/run.h"
#include "synovia/synovia.h"

typedef syn_test_dir fixture;

static int setup(void **state) { return syn_test_dir_setup(state, "syn_h5read", "run.h5"); }
static int teardown(void **state) { return syn_test_dir_teardown(state); }

static void assert_no_open_hdf5_objects(void) {
  assert_int_equal(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

static void in_dir(const fixture *f, const char *name, char *buf, size_t size) {
  snprintf(buf, size, "%s/%s", f->dir, name);
}

/* ---- results to write ------------------------------------------------------------ */

enum { NT = 13 };

static double il6(double t) { return 10.0 * exp(-0.3 * t); }
static double tnf(double t) { return 2.0 + sin(t); }

static const syn_series_info INFO[] = {
    {"IL6", "pg/mL", "interleukin-6 in synovial fluid", SYN_SERIES_STATE},
    {"TNF", "", "", SYN_SERIES_STATE},
    {"ratio", "1", "IL6 / TNF \xe2\x80\x94 ratio", SYN_SERIES_OUTPUT},
    {"knee_R.MSC", "cells", "MSC in the right knee", SYN_SERIES_STATE},
};
enum { NS = sizeof INFO / sizeof INFO[0] };

/* The value of series s at time point k of an arm (scale: which arm); some
 * values NaN and infinite, which must come back bit for bit too. */
static double value(size_t s, size_t k, double scale) {
  const double t = 0.75 * (double)k;
  switch (s) {
    case 0: return scale * il6(t);
    case 1: return tnf(t) / scale;
    case 2: return k == 3 ? (double)NAN : il6(t) / tnf(t);
    default: return k == 5 ? (double)INFINITY : k == 6 ? -0.0 : scale * (double)k * 1e-300;
  }
}

static syn_result *make_result(const char *time_units, size_t nt, double scale) {
  syn_result *r = NULL;
  syn_error err;
  assert_int_equal(syn_result_create(NS, INFO, 4, time_units, &r, &err), SYN_OK);
  for (size_t k = 0; k < nt; k++) {
    double v[NS];
    for (size_t s = 0; s < NS; s++) v[s] = value(s, k, scale);
    assert_int_equal(syn_result_append(r, 0.75 * (double)k, v, &err), SYN_OK);
  }
  assert_int_equal(syn_result_attr_string(r, "solver", "CVODE BDF \xc2\xb5", &err), SYN_OK);
  assert_int_equal(syn_result_attr_double(r, "rtol", 1e-8 * scale, &err), SYN_OK);
  assert_int_equal(syn_result_attr_int(r, "nsteps", -4242, &err), SYN_OK);
  assert_int_equal(syn_result_attr_double(r, "last_step", 0.1 + 0.2, &err), SYN_OK);
  assert_int_equal(syn_result_attr_int(r, "big", 9007199254740993LL, &err), SYN_OK);
  assert_int_equal(syn_result_attr_string(r, "empty", "", &err), SYN_OK);
  assert_int_equal(syn_result_add_param(r, "k_deg", "1/h", 0.3 * scale, &err), SYN_OK);
  assert_int_equal(syn_result_add_param(r, "V_joint", "mL", 2.5, &err), SYN_OK);
  assert_int_equal(syn_result_add_param(r, "hill", "", 1.5, &err), SYN_OK);
  return r;
}

static const syn_dose_record DOSES[] = {
    {0.0, 10.0, 0.0, "IA", "knee_R.MSC", "knee_R", "Mcells"},
    {24.0, 2.5e6, 0.5, "IV", "blood.MSC", "", ""},
    {168.0, 1.0 / 3.0, 2.0, "IA", "knee_R.MSC", "knee_R", "\xc2\xb5g"},
};
enum { ND = sizeof DOSES / sizeof DOSES[0] };

static void add_doses(syn_result *r) {
  for (size_t i = 0; i < ND; i++) assert_int_equal(syn_result_add_dose(r, &DOSES[i], NULL), SYN_OK);
}

static void add_metrics(syn_result *r, double scale) {
  assert_int_equal(syn_result_add_metric(r, "auc_IL6", "pg/mL*h", "area under IL6", 12.5 * scale,
                                         NULL),
                   SYN_OK);
  assert_int_equal(syn_result_add_metric(r, "t_half", "h", "first time below half", NAN, NULL),
                   SYN_OK);
  assert_int_equal(syn_result_add_metric(r, "n", "", "", 3.0, NULL), SYN_OK);
}

static const char *const PATHS[] = {"ia_vs_iv.scenario", "models/knee.model",
                                    "models/lib/cytok\xc3\xafnes.model"};
static const char *const TEXTS[] = {"scenario \"IA \xe2\x86\x92 IV\"\n", "model knee\n",
                                    "# \xce\xb2 cytokines\nstate IL6\n"};

static syn_provenance make_prov(int scenario) {
  syn_provenance p = {"Knee OA \xe2\x80\x94 IA vs IV",
                      "synovia run ia_vs_iv.scenario -o run.h5",
                      "ab12cd34",
                      scenario ? 3 : 2,
                      scenario ? PATHS : PATHS + 1,
                      scenario ? TEXTS : TEXTS + 1,
                      "2024-05-06T07:08:09Z",
                      scenario ? "5c3a" : NULL,
                      scenario ? PATHS[0] : NULL};
  return p;
}

/* The arms of the sample file, written in this order (not name order). */
static const char *const ARMS[] = {"IV", "IA", "control"};
enum { NA = 3 };
static const double SCALE[NA] = {1.0, 2.0, 0.5};

static syn_result *sample_arm(size_t a) {
  syn_result *r = make_result("h", NT, SCALE[a]);
  if (a < 2) add_doses(r);     /* "control" has no doses */
  if (a != 1) add_metrics(r, SCALE[a]); /* "IA" has no metrics */
  return r;
}

static void write_sample(const char *path, int scenario) {
  syn_provenance prov = make_prov(scenario);
  syn_h5 *h = NULL;
  syn_error err;
  assert_int_equal(syn_h5_create(path, &prov, &h, &err), SYN_OK);
  for (size_t a = 0; a < NA; a++) {
    syn_result *r = sample_arm(a);
    if (syn_h5_write_arm(h, ARMS[a], r, &err) != SYN_OK) fail_msg("write: %s", err.message);
    syn_result_destroy(r);
  }
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  syn_h5_destroy(h);
}

static syn_h5_reader *open_ok(const char *path) {
  syn_h5_reader *r = NULL;
  syn_error err;
  if (syn_h5_open(path, &r, &err) != SYN_OK) fail_msg("open: %s", err.message);
  assert_non_null(r);
  return r;
}

/* ---- round trip ------------------------------------------------------------------- */

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

static void check_file_info(const syn_h5_file_info *fi, int scenario) {
  char source[128];
  snprintf(source, sizeof source, "synovia %s", syn_version());
  assert_string_equal(fi->title, "Knee OA \xe2\x80\x94 IA vs IV");
  assert_string_equal(fi->source, source);
  assert_string_equal(fi->synovia_version, syn_version());
  assert_string_equal(fi->created, "2024-05-06T07:08:09Z");
  assert_string_equal(fi->command_line, "synovia run ia_vs_iv.scenario -o run.h5");
  assert_string_equal(fi->model_sha256, "ab12cd34");
  assert_string_equal(fi->model_file, "models/knee.model");
  assert_string_equal(fi->scenario_sha256, scenario ? "5c3a" : "");
  assert_string_equal(fi->scenario_file, scenario ? "ia_vs_iv.scenario" : "");
  const size_t off = scenario ? 0 : 1;
  assert_int_equal(fi->nfiles, 3 - off);
  for (size_t i = 0; i < fi->nfiles; i++) {
    assert_string_equal(fi->file_paths[i], PATHS[i + off]);
    assert_string_equal(fi->file_texts[i], TEXTS[i + off]);
  }
  assert_int_equal(fi->narms, NA);
}

static void check_attrs(const syn_h5_arm_info *a, const syn_result *r) {
  assert_int_equal(a->nattrs, syn_result_attr_count(r));
  for (size_t i = 0; i < a->nattrs; i++) {
    const syn_attr *w = syn_result_attr(r, i);
    char want[64];
    assert_string_equal(a->attr_names[i], w->key);
    switch (w->type) {
      case SYN_ATTR_STRING:
        assert_int_equal(a->attr_kinds[i], SYN_H5_ATTR_TEXT);
        assert_string_equal(a->attr_texts[i], w->s);
        assert_true(isnan(a->attr_reals[i]));
        break;
      case SYN_ATTR_DOUBLE:
        assert_int_equal(a->attr_kinds[i], SYN_H5_ATTR_REAL);
        assert_true(same_bits(a->attr_reals[i], w->d));
        assert_true(same_bits(strtod(a->attr_texts[i], NULL), w->d)); /* exact */
        snprintf(want, sizeof want, "%.15g", w->d); /* and the shortest that is */
        if (strtod(want, NULL) == w->d) assert_string_equal(a->attr_texts[i], want);
        snprintf(want, sizeof want, "%.17g", w->d);
        assert_true(strlen(a->attr_texts[i]) <= strlen(want));
        break;
      case SYN_ATTR_INT:
        assert_int_equal(a->attr_kinds[i], SYN_H5_ATTR_INTEGER);
        assert_true(a->attr_reals[i] == (double)w->i);
        snprintf(want, sizeof want, "%lld", w->i);
        assert_string_equal(a->attr_texts[i], want);
        break;
    }
  }
}

static void check_series(syn_h5_reader *rd, size_t ai, const syn_h5_arm_info *a,
                         const syn_result *r) {
  syn_error err;
  double *buf = calloc(a->ntimes + 1, sizeof *buf);
  assert_non_null(buf);
  assert_int_equal(a->ntimes, syn_result_ntimes(r));
  assert_int_equal(memcmp(a->times, syn_result_times(r), a->ntimes * sizeof(double)), 0);
  assert_string_equal(a->time_units, "h");
  assert_int_equal(a->nvars, syn_result_nseries(r));
  for (size_t s = 0; s < a->nvars; s++) {
    const syn_series_info *in = syn_result_info(r, s);
    assert_string_equal(a->var_names[s], in->name);
    assert_string_equal(a->var_units[s], in->units[0] ? in->units : "1");
    assert_string_equal(a->var_long_names[s], in->long_name[0] ? in->long_name : in->name);
    assert_int_equal(a->var_is_output[s], in->kind == SYN_SERIES_OUTPUT);
    for (size_t k = 0; k <= a->ntimes; k++) buf[k] = 42.0;
    if (syn_h5_read_var(rd, ai, s, buf, &err) != SYN_OK) fail_msg("read: %s", err.message);
    assert_int_equal(memcmp(buf, syn_result_series(r, s), a->ntimes * sizeof(double)), 0);
    assert_true(buf[a->ntimes] == 42.0); /* nothing past the end */
  }
  free(buf);
}

static void check_params(const syn_h5_arm_info *a, const syn_result *r) {
  assert_int_equal(a->nparams, syn_result_param_count(r));
  for (size_t i = 0; i < a->nparams; i++) {
    const char *name = NULL, *units = NULL;
    double v = 0;
    syn_result_param(r, i, &name, &units, &v);
    assert_string_equal(a->param_names[i], name);
    assert_string_equal(a->param_units[i], units[0] ? units : "1");
    assert_true(same_bits(a->param_values[i], v));
  }
}

static void check_doses(const syn_h5_arm_info *a, const syn_result *r) {
  assert_int_equal(a->ndoses, syn_result_dose_count(r));
  for (size_t i = 0; i < a->ndoses; i++) {
    const syn_dose_record *d = syn_result_dose(r, i);
    assert_true(same_bits(a->dose_time[i], d->time));
    assert_true(same_bits(a->dose_amount[i], d->amount));
    assert_true(same_bits(a->dose_duration[i], d->duration));
    assert_string_equal(a->dose_route[i], d->route);
    assert_string_equal(a->dose_target[i], d->target);
    assert_string_equal(a->dose_joint[i], d->joint);
    assert_string_equal(a->dose_units[i], d->units);
  }
  assert_non_null(a->dose_time); /* never NULL, even when empty */
  assert_non_null(a->dose_route);
}

static void check_metrics(const syn_h5_arm_info *a, const syn_result *r) {
  assert_int_equal(a->nmetrics, syn_result_metric_count(r));
  for (size_t i = 0; i < a->nmetrics; i++) {
    const char *name = NULL, *units = NULL, *description = NULL;
    double v = 0;
    syn_result_metric(r, i, &name, &units, &description, &v);
    assert_string_equal(a->metric_names[i], name);
    assert_string_equal(a->metric_units[i], units);
    assert_string_equal(a->metric_descriptions[i], description);
    assert_true(same_bits(a->metric_values[i], v));
  }
  assert_non_null(a->metric_names);
  assert_non_null(a->metric_values);
}

static void round_trip(const fixture *f, int scenario) {
  write_sample(f->path, scenario);
  syn_h5_reader *rd = open_ok(f->path);
  check_file_info(syn_h5_reader_file(rd), scenario);
  for (size_t ai = 0; ai < NA; ai++) {
    const syn_h5_arm_info *a = syn_h5_reader_arm(rd, ai);
    assert_non_null(a);
    assert_string_equal(a->name, ARMS[ai]);
    syn_result *r = sample_arm(ai);
    check_series(rd, ai, a, r);
    check_params(a, r);
    check_doses(a, r);
    check_metrics(a, r);
    check_attrs(a, r);
    syn_result_destroy(r);
  }
  const syn_h5_arm_info *iv = syn_h5_reader_arm(rd, 0);
  assert_string_equal(iv->attr_names[1], "rtol");
  assert_string_equal(iv->attr_texts[1], "1e-08");
  assert_string_equal(iv->attr_texts[2], "-4242");
  assert_string_equal(iv->attr_texts[3], "0.30000000000000004"); /* needs all 17 digits */
  assert_string_equal(iv->attr_texts[4], "9007199254740993");    /* beyond 2^53: exact */
  assert_null(syn_h5_reader_arm(rd, NA));
  syn_h5_reader_destroy(rd);
  assert_no_open_hdf5_objects();
}

static void test_round_trip_scenario(void **state) { round_trip(*state, 1); }
static void test_round_trip_plain(void **state) { round_trip(*state, 0); }

/* ---- other files ---------------------------------------------------------------------- */

static void write_text(const char *path, const char *text) {
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fputs(text, fp);
  fclose(fp);
}

static void write_sweep(const char *path) {
  static const char *const params[] = {"k"}, *const arms[] = {"IA"};
  syn_h5sweep_spec s;
  memset(&s, 0, sizeof s);
  s.nsamples = 2;
  s.nparams = 1;
  s.param_names = params;
  s.narms = 1;
  s.arm_names = arms;
  syn_h5sweep *h = NULL;
  syn_error err;
  if (syn_h5sweep_create(path, &s, &h, &err) != SYN_OK) fail_msg("sweep: %s", err.message);
  const double p = 1.0;
  assert_int_equal(syn_h5sweep_write_sample(h, 0, &p, SYN_SWEEP_OK, NULL, NULL, NULL, &err), SYN_OK);
  assert_int_equal(syn_h5sweep_commit(h, &err), SYN_OK);
  syn_h5sweep_destroy(h);
}

/* An HDF5 file with a group that is neither /arms nor /status. */
static void write_other_hdf5(const char *path) {
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(f >= 0);
  hid_t g = H5Gcreate2(f, "data", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(g >= 0);
  H5Gclose(g);
  H5Fclose(f);
}

/* The first n bytes of src into dst. */
static void copy_prefix(const char *src, const char *dst, long n) {
  FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
  assert_non_null(in);
  assert_non_null(out);
  for (long k = 0; k < n; k++) {
    int ch = fgetc(in);
    assert_true(ch != EOF);
    fputc(ch, out);
  }
  fclose(in);
  assert_int_equal(fclose(out), 0);
}

static long file_size(const char *path) {
  struct stat sb;
  assert_int_equal(stat(path, &sb), 0);
  return (long)sb.st_size;
}

/* The message expected: before, the path, after. */
static void expect_probe(const char *path, syn_status want, const char *before, const char *after) {
  char msg[512];
  syn_error err;
  syn_h5_kind kind = SYN_H5_RUN;
  snprintf(msg, sizeof msg, "%s%s%s", before, path, after);
  assert_int_equal(syn_h5_probe(path, &kind, &err), want);
  assert_string_equal(err.message, msg);
  assert_no_open_hdf5_objects();
}

static void expect_open(const char *path, syn_status want, const char *before, const char *after) {
  char msg[512];
  syn_error err;
  syn_h5_reader *r = (syn_h5_reader *)&err; /* must be reset to NULL */
  snprintf(msg, sizeof msg, "%s%s%s", before, path, after);
  assert_int_equal(syn_h5_open(path, &r, &err), want);
  assert_null(r);
  assert_string_equal(err.message, msg);
  assert_no_open_hdf5_objects();
}

static void test_probe(void **state) {
  const fixture *f = *state;
  char path[160];
  syn_h5_kind kind = 0;
  syn_error err;
  in_dir(f, "run.h5", path, sizeof path);
  write_sample(path, 0);
  assert_int_equal(syn_h5_probe(path, &kind, &err), SYN_OK);
  assert_int_equal(kind, SYN_H5_RUN);
  in_dir(f, "sweep.h5", path, sizeof path);
  write_sweep(path);
  assert_int_equal(syn_h5_probe(path, &kind, &err), SYN_OK);
  assert_int_equal(kind, SYN_H5_SWEEP); /* it has /arms too: /status decides */
  assert_no_open_hdf5_objects();

  in_dir(f, "missing.h5", path, sizeof path);
  expect_probe(path, SYN_EIO, "cannot open '", "': No such file or directory");
  expect_probe(f->dir, SYN_EIO, "cannot open '", "': Is a directory");
  in_dir(f, "text.h5", path, sizeof path);
  write_text(path, "time,IL6\n0,1\n");
  expect_probe(path, SYN_EIO, "'", "' is not an HDF5 file");
  in_dir(f, "empty.h5", path, sizeof path);
  write_text(path, "");
  expect_probe(path, SYN_EIO, "'", "' is not an HDF5 file");
  in_dir(f, "other.h5", path, sizeof path);
  write_other_hdf5(path);
  expect_probe(path, SYN_EINVAL, "'", "' is not a synovia result: it has neither /arms nor /status");

  assert_int_equal(syn_h5_probe(NULL, &kind, &err), SYN_EINVAL);
  assert_int_equal(syn_h5_probe("", &kind, &err), SYN_EINVAL);
  assert_int_equal(syn_h5_probe(path, NULL, &err), SYN_EINVAL);
  assert_int_equal(syn_h5_probe(path, &kind, NULL), SYN_EINVAL); /* no error wanted */
}

static void test_open_errors(void **state) {
  const fixture *f = *state;
  char path[160];
  in_dir(f, "missing.h5", path, sizeof path);
  expect_open(path, SYN_EIO, "cannot open result file '", "': No such file or directory");
  expect_open(f->dir, SYN_EIO, "cannot open result file '", "': Is a directory");
  in_dir(f, "text.h5", path, sizeof path);
  write_text(path, "not HDF5 at all\n");
  expect_open(path, SYN_EIO, "result file '", "' is not an HDF5 file");
  in_dir(f, "sweep.h5", path, sizeof path);
  write_sweep(path);
  expect_open(path, SYN_EINVAL, "result file '", "' is a sweep file, not the result of a run");
  in_dir(f, "other.h5", path, sizeof path);
  write_other_hdf5(path);
  expect_open(path, SYN_EINVAL, "result file '", "' is not a synovia result: no group '/arms'");

  syn_h5_reader *r = NULL;
  syn_error err;
  assert_int_equal(syn_h5_open(NULL, &r, &err), SYN_EINVAL);
  assert_int_equal(syn_h5_open("", &r, &err), SYN_EINVAL);
  assert_int_equal(syn_h5_open(path, NULL, &err), SYN_EINVAL);
  assert_int_equal(syn_h5_open(path, &r, NULL), SYN_EINVAL);
  assert_null(r);
  syn_h5_reader_destroy(NULL);
  assert_null(syn_h5_reader_file(NULL));
  assert_null(syn_h5_reader_arm(NULL, 0));
}

/* Every prefix length that matters (empty, inside the superblock, half, all
 * but the last byte) is refused with the file named; never a crash. */
static void test_truncated_copies(void **state) {
  const fixture *f = *state;
  char cut[160];
  write_sample(f->path, 1);
  in_dir(f, "cut.h5", cut, sizeof cut);
  const long size = file_size(f->path);
  const long lengths[] = {0, 4, 8, 100, 512, size / 4, size / 2, size - 100, size - 1};
  for (size_t k = 0; k < sizeof lengths / sizeof lengths[0]; k++) {
    copy_prefix(f->path, cut, lengths[k]);
    syn_h5_reader *r = NULL;
    syn_error err;
    syn_h5_kind kind = 0;
    syn_status st = syn_h5_open(cut, &r, &err);
    if (st == SYN_OK) fail_msg("a copy of %ld of %ld bytes opened", lengths[k], size);
    assert_null(r);
    assert_int_equal(st, SYN_EIO);
    assert_non_null(strstr(err.message, cut));
    assert_int_equal(syn_h5_probe(cut, &kind, &err), SYN_EIO);
    assert_non_null(strstr(err.message, cut));
    assert_no_open_hdf5_objects();
  }
  /* past the superblock the words are HDF5's own, after ours */
  char want[256];
  copy_prefix(f->path, cut, size - 1);
  syn_h5_reader *r = NULL;
  syn_error err;
  snprintf(want, sizeof want, "result file '%s' is truncated or damaged (HDF5: ", cut);
  assert_int_equal(syn_h5_open(cut, &r, &err), SYN_EIO);
  assert_memory_equal(err.message, want, strlen(want));
}

/* The file offset of the first chunk of dataset name (HDF5's own view). */
static long chunk_offset(const char *path, const char *name, long *size) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  hid_t sp = H5Dget_space(d);
  hsize_t offset[1] = {0}, nbytes = 0;
  haddr_t addr = 0;
  unsigned mask = 0;
  assert_true(H5Dget_chunk_info(d, sp, 0, offset, &mask, &addr, &nbytes) >= 0);
  H5Sclose(sp);
  H5Dclose(d);
  H5Fclose(f);
  *size = (long)nbytes;
  return (long)addr;
}

/* Overwrites n bytes of path at offset with 0xA5. */
static void damage(const char *path, long at, long n) {
  FILE *fp = fopen(path, "r+b");
  assert_non_null(fp);
  assert_int_equal(fseek(fp, at, SEEK_SET), 0);
  for (long k = 0; k < n; k++) fputc(0xA5, fp);
  assert_int_equal(fclose(fp), 0);
}

/* Damage HDF5 detects: a compressed chunk of one series (deflate's checksum)
 * is an error of that series alone, naming the file and the series; a
 * damaged superblock is refused at open. (Damage HDF5 does not check, in
 * its global heap of strings, can crash HDF5 1.10 itself; no reader on top
 * of it can prevent that.) */
static void test_damaged_copies(void **state) {
  const fixture *f = *state;
  char bad[160], want[256];
  write_sample(f->path, 0);
  in_dir(f, "bad.h5", bad, sizeof bad);
  const long size = file_size(f->path);
  long nbytes = 0;
  const long at = chunk_offset(f->path, "/arms/IA/TNF", &nbytes);
  assert_true(nbytes > 8);
  copy_prefix(f->path, bad, size);
  damage(bad, at + nbytes / 2 - 4, 8);
  syn_h5_reader *r = open_ok(bad);
  double buf[NT];
  syn_error err;
  assert_int_equal(syn_h5_read_var(r, 1, 0, buf, &err), SYN_OK); /* IA/IL6 */
  assert_int_equal(syn_h5_read_var(r, 1, 1, buf, &err), SYN_EIO);
  snprintf(want, sizeof want, "result file '%s': cannot read '/arms/IA/TNF' (HDF5: ", bad);
  assert_memory_equal(err.message, want, strlen(want));
  assert_int_equal(syn_h5_read_var(r, 0, 1, buf, &err), SYN_OK); /* IV/TNF */
  syn_h5_reader_destroy(r);
  assert_no_open_hdf5_objects();

  for (long off = 8; off < 48; off += 8) { /* past the signature, inside the superblock */
    copy_prefix(f->path, bad, size);
    damage(bad, off, 8);
    r = NULL;
    assert_int_equal(syn_h5_open(bad, &r, &err), SYN_EIO);
    assert_null(r);
    assert_non_null(strstr(err.message, bad));
    assert_no_open_hdf5_objects();
  }
}

static void test_bad_indices(void **state) {
  const fixture *f = *state;
  write_sample(f->path, 0);
  syn_h5_reader *r = open_ok(f->path);
  double buf[NT];
  syn_error err;
  char want[512];
  assert_int_equal(syn_h5_read_var(r, NA, 0, buf, &err), SYN_EINVAL);
  snprintf(want, sizeof want, "result file '%s': arm 3 is out of range (3 arms)", f->path);
  assert_string_equal(err.message, want);
  assert_int_equal(syn_h5_read_var(r, 0, NS, buf, &err), SYN_EINVAL);
  snprintf(want, sizeof want, "result file '%s': variable 4 is out of range (arm 'IV' has 4)",
           f->path);
  assert_string_equal(err.message, want);
  assert_int_equal(syn_h5_read_var(r, (size_t)-1, 0, buf, &err), SYN_EINVAL);
  assert_int_equal(syn_h5_read_var(r, 0, (size_t)-1, buf, &err), SYN_EINVAL);
  assert_int_equal(syn_h5_read_var(r, 0, 0, NULL, &err), SYN_EINVAL);
  assert_int_equal(syn_h5_read_var(NULL, 0, 0, buf, &err), SYN_EINVAL);
  assert_null(syn_h5_reader_arm(r, NA));
  assert_null(syn_h5_reader_arm(r, (size_t)-1));
  /* the reader is still good after refusals */
  assert_int_equal(syn_h5_read_var(r, 2, 1, buf, &err), SYN_OK);
  assert_true(same_bits(buf[NT - 1], value(1, NT - 1, SCALE[2])));
  syn_h5_reader_destroy(r);
  assert_no_open_hdf5_objects();
}

/* ---- edge cases of the writer's own files ------------------------------------------ */

/* A state may be called `metric` or `doses` in an arm without metrics or
 * doses (the writer allows it): it is a series, not a table. */
static void test_series_named_like_tables(void **state) {
  const fixture *f = *state;
  static const syn_series_info info[] = {
      {"metric", "mg", "", SYN_SERIES_STATE},
      {"doses", "", "", SYN_SERIES_OUTPUT},
  };
  syn_result *r = NULL;
  syn_h5 *h = NULL;
  syn_error err;
  assert_int_equal(syn_result_create(2, info, 2, "", &r, &err), SYN_OK);
  const double v0[2] = {1.0, 2.0}, v1[2] = {3.0, 4.0};
  assert_int_equal(syn_result_append(r, 0.0, v0, &err), SYN_OK);
  assert_int_equal(syn_result_append(r, 1.0, v1, &err), SYN_OK);
  assert_int_equal(syn_h5_create(f->path, NULL, &h, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "run", r, &err), SYN_OK);
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  syn_h5_destroy(h);
  syn_result_destroy(r);

  syn_h5_reader *rd = open_ok(f->path);
  const syn_h5_file_info *fi = syn_h5_reader_file(rd);
  assert_string_equal(fi->title, "");
  assert_string_equal(fi->scenario_file, "");
  assert_int_equal(fi->nfiles, 0);
  assert_non_null(fi->file_paths);
  const syn_h5_arm_info *a = syn_h5_reader_arm(rd, 0);
  assert_string_equal(a->time_units, "1"); /* no clock unit */
  assert_int_equal(a->nvars, 2);
  assert_string_equal(a->var_names[0], "metric");
  assert_string_equal(a->var_names[1], "doses");
  assert_int_equal(a->var_is_output[0], 0);
  assert_int_equal(a->var_is_output[1], 1);
  assert_int_equal(a->nmetrics, 0);
  assert_int_equal(a->ndoses, 0);
  assert_int_equal(a->nparams, 0);
  assert_int_equal(a->nattrs, 0);
  assert_non_null(a->param_names);
  assert_non_null(a->param_values);
  double buf[2];
  assert_int_equal(syn_h5_read_var(rd, 0, 1, buf, &err), SYN_OK);
  assert_true(buf[0] == 2.0 && buf[1] == 4.0);
  syn_h5_reader_destroy(rd);
  assert_no_open_hdf5_objects();
}

/* No time points (an arm that failed at once) and a file with no arms. */
static void test_empty_arm_and_no_arms(void **state) {
  const fixture *f = *state;
  syn_result *r = make_result("min", 0, 1.0);
  syn_h5 *h = NULL;
  syn_error err;
  assert_int_equal(syn_h5_create(f->path, NULL, &h, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "empty", r, &err), SYN_OK);
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  syn_h5_destroy(h);
  syn_result_destroy(r);
  syn_h5_reader *rd = open_ok(f->path);
  const syn_h5_arm_info *a = syn_h5_reader_arm(rd, 0);
  assert_int_equal(a->ntimes, 0);
  assert_non_null(a->times);
  assert_string_equal(a->time_units, "min");
  assert_int_equal(a->nvars, NS);
  assert_int_equal(syn_h5_read_var(rd, 0, 0, NULL, &err), SYN_OK); /* nothing to read */
  syn_h5_reader_destroy(rd);

  assert_int_equal(syn_h5_create(f->path, NULL, &h, &err), SYN_OK);
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  syn_h5_destroy(h);
  rd = open_ok(f->path);
  assert_int_equal(syn_h5_reader_file(rd)->narms, 0);
  assert_null(syn_h5_reader_arm(rd, 0));
  assert_int_equal(syn_h5_read_var(rd, 0, 0, NULL, &err), SYN_EINVAL);
  syn_h5_reader_destroy(rd);
  assert_no_open_hdf5_objects();
}

/* A real run of a small model (solver settings and statistics as the
 * attributes synovia writes) comes back as written. */
static void test_real_run(void **state) {
  const fixture *f = *state;
  static const char text[] = "model \"decay\"\n"
                             "time unit h\n"
                             "param k = 0.5 /h \"elimination\"\n"
                             "state X = 100 mg \"amount\"\n"
                             "d/dt X = -k * X\n"
                             "output frac = X / 100 \"fraction left\"\n";
  syn_model *m = NULL;
  syn_instance *inst = NULL;
  syn_result *r = NULL;
  syn_h5 *h = NULL;
  syn_error err;
  if (syn_model_load_text("decay.model", text, strlen(text), &m, &err) != SYN_OK)
    fail_msg("load: %s", err.message);
  assert_int_equal(syn_instance_create(m, &inst, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  syn_run_opts o;
  syn_run_opts_default(&o);
  o.t_end = 10;
  o.every = 0.5;
  if (syn_run(inst, &o, &r, &err) != SYN_OK) fail_msg("run: %s", err.message);
  const char *paths[] = {syn_model_file_path(m, 0)}, *texts[] = {syn_model_file_text(m, 0)};
  const syn_provenance prov = {syn_model_title(m), "synovia run decay.model", syn_model_sha256(m),
                               1, paths, texts, NULL, NULL, NULL};
  assert_int_equal(syn_h5_create(f->path, &prov, &h, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "run", r, &err), SYN_OK);
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  syn_h5_destroy(h);

  syn_h5_reader *rd = open_ok(f->path);
  const syn_h5_file_info *fi = syn_h5_reader_file(rd);
  assert_string_equal(fi->title, syn_model_title(m));
  assert_string_equal(fi->model_sha256, syn_model_sha256(m));
  assert_string_equal(fi->model_file, "decay.model");
  assert_int_equal(strlen(fi->created), strlen("2024-05-06T07:08:09Z")); /* now, ISO 8601 */
  assert_string_equal(fi->file_texts[0], text);
  const syn_h5_arm_info *a = syn_h5_reader_arm(rd, 0);
  check_series(rd, 0, a, r);
  check_params(a, r);
  check_attrs(a, r);
  assert_true(a->nattrs > 3);
  assert_int_equal(a->ndoses, 0);
  assert_int_equal(a->nmetrics, 0);
  syn_h5_reader_destroy(rd);
  syn_result_destroy(r);
  syn_instance_destroy(inst);
  syn_model_destroy(m);
  assert_no_open_hdf5_objects();
}

/* ---- files made by hand (other writers, older or damaged layouts) ------------------- */

static void raw_attr_fixed(hid_t obj, const char *name, const char *value) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, strlen(value) + 1);
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(a >= 0);
  assert_true(H5Awrite(a, t, value) >= 0);
  H5Aclose(a);
  H5Sclose(sp);
  H5Tclose(t);
}

static hid_t raw_f64(hid_t loc, const char *name, int rank, const hsize_t *dims, const double *v) {
  hid_t sp = H5Screate_simple(rank, dims, NULL);
  hid_t d = H5Dcreate2(loc, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(d >= 0);
  assert_true(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
  H5Sclose(sp);
  return d;
}

static hid_t raw_fixed_strings(hid_t loc, const char *name, size_t n, size_t width,
                               const char *chars) {
  hsize_t dim = n;
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, width);
  hid_t sp = H5Screate_simple(1, &dim, NULL);
  hid_t d = H5Dcreate2(loc, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(d >= 0);
  assert_true(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, chars) >= 0);
  H5Sclose(sp);
  H5Tclose(t);
  return d;
}

/* What a hand-made arm has; each flag breaks one thing. */
typedef struct raw_arm {
  int no_time, time_2d, short_series, param_without_value, as_dataset;
} raw_arm;

static const double RAW_T[4] = {0, 1, 2, 3}, RAW_X[4] = {1, 0.5, 0.25, 0.125};

/* An arm group as another program might write it: default property lists
 * (no creation order), fixed-length strings, a series attached to time. */
static void raw_arm_group(hid_t arms, const char *name, const raw_arm *w) {
  if (w->as_dataset) {
    hsize_t n = 4;
    H5Dclose(raw_f64(arms, name, 1, &n, RAW_T));
    return;
  }
  hid_t g = H5Gcreate2(arms, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(g >= 0);
  raw_attr_fixed(g, "solver", "hand");
  hsize_t n = 4, n2[2] = {2, 2}, n3 = 3;
  if (!w->no_time) {
    hid_t t = raw_f64(g, "time", w->time_2d ? 2 : 1, w->time_2d ? n2 : &n, RAW_T);
    raw_attr_fixed(t, "units", "d");
    assert_true(H5DSset_scale(t, "time") >= 0);
    hid_t x = raw_f64(g, "X", 1, w->short_series ? &n3 : &n, RAW_X);
    raw_attr_fixed(x, "kind", "state");
    raw_attr_fixed(x, "units", "mg");
    if (!w->time_2d) assert_true(H5DSattach_scale(x, t, 0) >= 0);
    hid_t y = raw_f64(g, "Y", 1, &n, RAW_X); /* no kind: not a series */
    hid_t z = raw_f64(g, "Z", 1, &n, RAW_X); /* kind but not attached: not a series */
    raw_attr_fixed(z, "kind", "output");
    H5Dclose(z);
    H5Dclose(y);
    H5Dclose(x);
    H5Dclose(t);
  }
  hid_t p = raw_fixed_strings(g, "param", 2, 4, "kdegV\0\0\0");
  H5Dclose(p);
  if (!w->param_without_value) {
    const double pv[2] = {0.5, 2.0};
    hsize_t np = 2;
    H5Dclose(raw_f64(g, "param_value", 1, &np, pv));
    H5Dclose(raw_fixed_strings(g, "param_units", 2, 3, "/h\0mL\0"));
  }
  H5Gclose(g);
}

static void write_raw(const char *path, const raw_arm *first, const char *root_title_int) {
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(f >= 0);
  if (root_title_int) {
    long long v = 7;
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(f, "title", H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_LLONG, &v);
    H5Aclose(a);
    H5Sclose(sp);
  } else {
    raw_attr_fixed(f, "title", "made by hand");
  }
  raw_attr_fixed(f, "extra", "ignored");
  hid_t arms = H5Gcreate2(f, "arms", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const raw_arm good = {0, 0, 0, 0, 0};
  raw_arm_group(arms, "b", first);
  raw_arm_group(arms, "a", &good);
  H5Gclose(arms);
  H5Fclose(f);
}

static void test_hand_made_file(void **state) {
  const fixture *f = *state;
  const raw_arm good = {0, 0, 0, 0, 0};
  write_raw(f->path, &good, NULL);
  syn_h5_reader *rd = open_ok(f->path);
  const syn_h5_file_info *fi = syn_h5_reader_file(rd);
  assert_string_equal(fi->title, "made by hand");
  assert_string_equal(fi->source, "");
  assert_int_equal(fi->nfiles, 0);
  assert_int_equal(fi->narms, 2);
  /* no creation order tracked: name order */
  assert_string_equal(syn_h5_reader_arm(rd, 0)->name, "a");
  assert_string_equal(syn_h5_reader_arm(rd, 1)->name, "b");
  const syn_h5_arm_info *a = syn_h5_reader_arm(rd, 1);
  assert_string_equal(a->time_units, "d");
  assert_int_equal(a->nvars, 1); /* X; not Y (no kind) nor Z (not on the time axis) */
  assert_string_equal(a->var_names[0], "X");
  assert_string_equal(a->var_units[0], "mg");
  assert_string_equal(a->var_long_names[0], "");
  assert_int_equal(a->nparams, 2);
  assert_string_equal(a->param_names[0], "kdeg");
  assert_string_equal(a->param_names[1], "V");
  assert_string_equal(a->param_units[0], "/h");
  assert_true(a->param_values[1] == 2.0);
  assert_int_equal(a->nattrs, 1);
  assert_string_equal(a->attr_texts[0], "hand");
  double buf[4];
  syn_error err;
  assert_int_equal(syn_h5_read_var(rd, 1, 0, buf, &err), SYN_OK);
  assert_memory_equal(buf, RAW_X, sizeof buf);
  syn_h5_reader_destroy(rd);
  assert_no_open_hdf5_objects();
}

static void test_hand_made_errors(void **state) {
  const fixture *f = *state;
  const raw_arm no_time = {1, 0, 0, 0, 0}, time_2d = {0, 1, 0, 0, 0}, short_series = {0, 0, 1, 0, 0},
                no_value = {0, 0, 0, 1, 0}, dataset = {0, 0, 0, 0, 1}, good = {0, 0, 0, 0, 0};
  write_raw(f->path, &no_time, NULL);
  expect_open(f->path, SYN_EINVAL, "result file '", "': arm 'b' has no 'time' dataset");
  write_raw(f->path, &time_2d, NULL);
  expect_open(f->path, SYN_EINVAL, "result file '", "': '/arms/b/time' is not a 1-D dataset of numbers");
  write_raw(f->path, &short_series, NULL);
  expect_open(f->path, SYN_EINVAL, "result file '", "': '/arms/b/X' has 3 values but 'time' has 4");
  write_raw(f->path, &no_value, NULL);
  expect_open(f->path, SYN_EINVAL, "result file '", "': no dataset '/arms/b/param_value'");
  write_raw(f->path, &dataset, NULL);
  expect_open(f->path, SYN_EINVAL, "result file '", "': '/arms/b' is not a group");
  write_raw(f->path, &good, "int");
  expect_open(f->path, SYN_EINVAL, "result file '", "': attribute 'title' of '/' is not a single string");
  /* the probe only looks at the layout's top */
  syn_h5_kind kind = 0;
  assert_int_equal(syn_h5_probe(f->path, &kind, NULL), SYN_OK);
  assert_int_equal(kind, SYN_H5_RUN);
}

/* ---- HDF5's error stack and memory -------------------------------------------------- */

static int handler_calls;

static herr_t counting_handler(hid_t stack, void *data) {
  (void)stack;
  (void)data;
  handler_calls++;
  return 0;
}

/* Failures never print (the handler is never called) and the caller's
 * handler is back afterwards. */
static void test_error_stack_stays_quiet(void **state) {
  const fixture *f = *state;
  char path[160];
  H5E_auto2_t old_func = NULL;
  void *old_data = NULL;
  H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
  H5Eset_auto2(H5E_DEFAULT, counting_handler, NULL);
  handler_calls = 0;
  write_sample(f->path, 0);
  in_dir(f, "cut.h5", path, sizeof path);
  copy_prefix(f->path, path, file_size(f->path) / 2);
  syn_h5_reader *r = NULL;
  syn_error err;
  syn_h5_kind kind = 0;
  assert_int_equal(syn_h5_open(path, &r, &err), SYN_EIO);
  assert_int_equal(syn_h5_probe(path, &kind, &err), SYN_EIO);
  in_dir(f, "other.h5", path, sizeof path);
  write_other_hdf5(path);
  assert_int_equal(syn_h5_open(path, &r, &err), SYN_EINVAL);
  const raw_arm no_value = {0, 0, 0, 1, 0};
  write_raw(path, &no_value, NULL);
  assert_int_equal(syn_h5_open(path, &r, &err), SYN_EINVAL);
  assert_int_equal(handler_calls, 0);
  H5E_auto2_t func = NULL;
  H5Eget_auto2(H5E_DEFAULT, &func, NULL);
  assert_true(func == counting_handler);
  H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
}

/* Every allocation failure while opening is reported (ENOMEM, the file
 * named) with nothing left open or allocated (ASan); the loop ends with an
 * open that succeeds and reads the same as an unhindered one. */
static void test_alloc_failures(void **state) {
  const fixture *f = *state;
  write_sample(f->path, 1);
  int failures = 0;
  syn_h5_reader *r = NULL;
  for (long n = 1; n < 10000; n++) {
    syn_error err;
    syn_alloc_test_fail_after(n);
    syn_status st = syn_h5_open(f->path, &r, &err);
    syn_alloc_test_fail_after(0);
    if (st == SYN_OK) break;
    if (st != SYN_ENOMEM) fail_msg("allocation %ld: %s: %s", n, syn_status_name(st), err.message);
    assert_null(r);
    assert_non_null(strstr(err.message, f->path));
    assert_no_open_hdf5_objects();
    failures++;
  }
  assert_non_null(r);
  assert_true(failures >= 3);
  const syn_h5_arm_info *a = syn_h5_reader_arm(r, 0);
  assert_int_equal(syn_h5_reader_file(r)->narms, NA);
  assert_int_equal(a->nvars, NS);
  assert_int_equal(a->ndoses, ND);
  syn_h5_reader_destroy(r);
  assert_no_open_hdf5_objects();
}

/* ---- sensitivities ------------------------------------------------------------------- */

/* decay (tests/support/sens_decay.h) with gradients, decay2 without, plain
 * without sensitivities: each read back bit for bit, the others say none. */
static void write_decay(const char *path) {
  syn_result *a = NULL, *b = NULL, *plain = make_result("h", NT, 1.0);
  syn_h5 *h = NULL;
  syn_error err;
  assert_int_equal(decay_result(1, &a, &err), SYN_OK);
  assert_int_equal(decay_result(0, &b, &err), SYN_OK);
  assert_int_equal(syn_h5_create(path, NULL, &h, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "decay", a, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "decay2", b, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "plain", plain, &err), SYN_OK);
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  syn_h5_destroy(h);
  syn_result_destroy(a);
  syn_result_destroy(b);
  syn_result_destroy(plain);
}

static void test_sensitivities_round_trip(void **state) {
  const fixture *f = *state;
  write_decay(f->path);
  syn_h5_reader *rd = open_ok(f->path);
  syn_error err;
  const syn_h5_sens_info *s = syn_h5_reader_sens(rd, 0);
  const syn_h5_arm_info *a = syn_h5_reader_arm(rd, 0);
  assert_non_null(s);
  assert_int_equal(a->nvars, 2);
  assert_int_equal(a->nparams, 3); /* the table keeps the fixed V */
  assert_int_equal(s->nparams, 2);
  assert_string_equal(s->param_names[0], "k");
  assert_string_equal(s->param_names[1], "x0");
  assert_string_equal(s->param_units[0], "1/h");
  assert_true(s->param_values[0] == DECAY_K && s->param_values[1] == DECAY_X0);
  double out[DECAY_NSENS * DECAY_NT];
  for (size_t v = 0; v < 2; v++) {
    assert_true(s->var_has[v]);
    const size_t series = strcmp(a->var_names[v], "x") == 0 ? 0 : 1;
    assert_int_equal(syn_h5_read_sens(rd, 0, v, 0, out, &err), SYN_OK);
    for (size_t p = 0; p < DECAY_NSENS; p++)
      for (size_t i = 0; i < DECAY_NT; i++)
        assert_true(same_bits(out[p * DECAY_NT + i], decay_sens(series, p, decay_time(i))));
    assert_int_equal(syn_h5_read_sens(rd, 0, v, 1, out, &err), SYN_OK);
    for (size_t p = 0; p < DECAY_NSENS; p++)
      for (size_t i = 0; i < DECAY_NT; i++) {
        const double t = decay_time(i), y = decay_value(series, t);
        const double want = (p == 0 ? DECAY_K : DECAY_X0) / y * decay_sens(series, p, t);
        if (y == 0)
          assert_true(isnan(out[p * DECAY_NT + i]));
        else
          assert_true(fabs(out[p * DECAY_NT + i] - want) <= 1e-13 * (1 + fabs(want)));
      }
  }
  assert_int_equal(s->nmetrics, 2);
  for (size_t m = 0; m < 2; m++)
    for (size_t p = 0; p < 2; p++) {
      assert_true(same_bits(s->metric_gradient[m * 2 + p], decay_metric_grad(m, p)));
      const double pv = p == 0 ? DECAY_K : DECAY_X0;
      const double want = pv / decay_metric(m) * decay_metric_grad(m, p);
      assert_true(fabs(s->metric_gradient_log[m * 2 + p] - want) <= 1e-13 * fabs(want));
    }
  const syn_h5_sens_info *s2 = syn_h5_reader_sens(rd, 1);
  assert_non_null(s2);
  assert_int_equal(s2->nmetrics, 0); /* no gradients */
  assert_null(syn_h5_reader_sens(rd, 2));
  assert_null(syn_h5_reader_sens(rd, 3));
  assert_int_equal(syn_h5_read_sens(rd, 2, 0, 0, out, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "arm 'plain' has no sensitivities of 'IL6'"));
  assert_int_equal(syn_h5_read_sens(rd, 0, 2, 0, out, &err), SYN_EINVAL);
  assert_int_equal(syn_h5_read_sens(rd, 3, 0, 0, out, &err), SYN_EINVAL);
  assert_int_equal(syn_h5_read_sens(rd, 0, 0, 0, NULL, &err), SYN_EINVAL);
  syn_h5_reader_destroy(rd);
  assert_no_open_hdf5_objects();
}

/* The (param x time) datasets and the gradients are attached to their scales
 * as HDF5's dimension-scale API sees it (the writer writes REFERENCE_LIST
 * itself, once per scale). */
static void test_sensitivities_scales_attached(void **state) {
  const fixture *f = *state;
  write_decay(f->path);
  hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t time = H5Dopen2(file, "/arms/decay/time", H5P_DEFAULT);
  hid_t param = H5Dopen2(file, "/arms/decay/sensitivities/param", H5P_DEFAULT);
  hid_t metric = H5Dopen2(file, "/arms/decay/metric", H5P_DEFAULT);
  static const char *const two_d[] = {"x", "d", "log/x", "log/d"};
  char name[128];
  for (size_t k = 0; k < 4; k++) {
    snprintf(name, sizeof name, "/arms/decay/sensitivities/%s", two_d[k]);
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    assert_true(d >= 0);
    assert_int_equal(H5DSis_attached(d, param, 0), 1);
    assert_int_equal(H5DSis_attached(d, time, 1), 1);
    assert_int_equal(H5DSget_num_scales(d, 0), 1);
    H5Dclose(d);
  }
  static const char *const one_d[] = {"param_value", "param_units"};
  for (size_t k = 0; k < 2; k++) {
    snprintf(name, sizeof name, "/arms/decay/sensitivities/%s", one_d[k]);
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    assert_int_equal(H5DSis_attached(d, param, 0), 1);
    H5Dclose(d);
  }
  for (int log = 0; log < 2; log++) {
    hid_t d = H5Dopen2(file, log ? "/arms/decay/sensitivities/metric_gradient_log"
                                 : "/arms/decay/sensitivities/metric_gradient", H5P_DEFAULT);
    assert_int_equal(H5DSis_attached(d, metric, 0), 1);
    assert_int_equal(H5DSis_attached(d, param, 1), 1);
    H5Dclose(d);
  }
  hid_t x = H5Dopen2(file, "/arms/decay/x", H5P_DEFAULT); /* the series keep theirs */
  assert_int_equal(H5DSis_attached(x, time, 0), 1);
  H5Dclose(x);
  H5Dclose(metric);
  H5Dclose(param);
  H5Dclose(time);
  H5Fclose(file);
  assert_no_open_hdf5_objects();
}

/* Every allocation failure while opening a file with sensitivities is
 * reported (ENOMEM) with nothing left open or allocated (ASan). */
static void test_sensitivities_alloc_failures(void **state) {
  const fixture *f = *state;
  write_decay(f->path);
  syn_h5_reader *r = NULL;
  for (long n = 1; n < 10000; n++) {
    syn_error err;
    syn_alloc_test_fail_after(n);
    syn_status st = syn_h5_open(f->path, &r, &err);
    syn_alloc_test_fail_after(0);
    if (st == SYN_OK) break;
    if (st != SYN_ENOMEM) fail_msg("allocation %ld: %s: %s", n, syn_status_name(st), err.message);
    assert_null(r);
    assert_no_open_hdf5_objects();
  }
  assert_non_null(r);
  assert_int_equal(syn_h5_reader_sens(r, 0)->nmetrics, 2);
  syn_h5_reader_destroy(r);
  assert_no_open_hdf5_objects();
}

/* A series named like what the writer puts into sensitivities/ is refused
 * (named), before anything is written. */
static void test_sensitivities_reserved_names(void **state) {
  const fixture *f = *state;
  static const char *const bad[] = {"sensitivities", "log", "metric_gradient"};
  for (size_t b = 0; b < 3; b++) {
    const syn_series_info info[1] = {{bad[b], "", "", SYN_SERIES_STATE}};
    const char *const names[1] = {"p"};
    const double p[1] = {1}, v[1] = {2}, sens[1] = {3};
    syn_result *r = NULL;
    syn_h5 *h = NULL;
    syn_error err;
    assert_int_equal(syn_result_create(1, info, 1, "h", &r, &err), SYN_OK);
    assert_int_equal(syn_result_append(r, 0, v, &err), SYN_OK);
    assert_int_equal(syn_result_set_sensitivities(r, 1, names, NULL, p, sens, &err), SYN_OK);
    assert_int_equal(syn_h5_create(f->path, NULL, &h, &err), SYN_OK);
    assert_int_equal(syn_h5_write_arm(h, "A", r, &err), SYN_EINVAL);
    assert_non_null(strstr(err.message, "collides"));
    assert_non_null(strstr(err.message, bad[b]));
    syn_h5_destroy(h);
    syn_result_destroy(r);
  }
  assert_no_open_hdf5_objects();
}

/* A (param x time) dataset of the wrong shape is one error naming it. */
static void test_sensitivities_bad_shape(void **state) {
  const fixture *f = *state;
  write_decay(f->path);
  hid_t file = H5Fopen(f->path, H5F_ACC_RDWR, H5P_DEFAULT);
  assert_true(file >= 0);
  assert_true(H5Ldelete(file, "/arms/decay/sensitivities/x", H5P_DEFAULT) >= 0);
  const hsize_t dims[2] = {3, DECAY_NT};
  hid_t sp = H5Screate_simple(2, dims, NULL);
  hid_t d = H5Dcreate2(file, "/arms/decay/sensitivities/x", H5T_IEEE_F64LE, sp, H5P_DEFAULT,
                       H5P_DEFAULT, H5P_DEFAULT);
  assert_true(d >= 0);
  H5Dclose(d);
  H5Sclose(sp);
  H5Fclose(file);
  syn_h5_reader *rd = NULL;
  syn_error err;
  assert_int_equal(syn_h5_open(f->path, &rd, &err), SYN_EINVAL);
  assert_null(rd);
  assert_non_null(strstr(err.message, "'/arms/decay/sensitivities/x' is 3 x 49, not 2 x 49"));
  assert_no_open_hdf5_objects();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_round_trip_scenario, setup, teardown),
      cmocka_unit_test_setup_teardown(test_round_trip_plain, setup, teardown),
      cmocka_unit_test_setup_teardown(test_probe, setup, teardown),
      cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_truncated_copies, setup, teardown),
      cmocka_unit_test_setup_teardown(test_damaged_copies, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_indices, setup, teardown),
      cmocka_unit_test_setup_teardown(test_series_named_like_tables, setup, teardown),
      cmocka_unit_test_setup_teardown(test_empty_arm_and_no_arms, setup, teardown),
      cmocka_unit_test_setup_teardown(test_real_run, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hand_made_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_hand_made_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_error_stack_stays_quiet, setup, teardown),
      cmocka_unit_test_setup_teardown(test_alloc_failures, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sensitivities_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sensitivities_reserved_names, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sensitivities_scales_attached, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sensitivities_alloc_failures, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sensitivities_bad_shape, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
