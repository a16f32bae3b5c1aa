/* synovia — unit tests of the sweep-file writer (src/io/h5sweep.c).
 *
 * Files are written to a fresh temporary directory and read back with the
 * HDF5 C API directly, so the tests check what a reader sees: dimension
 * scales on every axis, values, NaN / not_run in rows never written, status
 * flags and reasons, metrics and trajectories per arm, the root attributes;
 * plus refusals, the <path>.tmp / rename protocol in both storage modes (in
 * memory, straight to disk), a flushed on-disk tmp file being readable, and
 * allocation failures. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "base/alloc.h"
#include "support/tmpdir.h"
#include "synovia/h5sweep.h"
#include "synovia/synovia.h"

enum { NS = 12, NP = 3, NA = 2, NM = 2, NT = 4 };

typedef syn_test_dir fixture;

static int setup(void **state) { return syn_test_dir_setup(state, "syn_h5s", "sweep.h5"); }
static int teardown(void **state) { return syn_test_dir_teardown(state); }

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static void assert_no_open_hdf5_objects(void) {
  assert_int_equal(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

/* ---- the sample sweep: closed forms of (sample i, column k, arm a, time t) ---- */

static const char *const PARAMS[NP] = {"k", "V", "n"};
static const char *const ARMS[NA] = {"IA", "IV"};
static const char *const METRICS[NM] = {"auc", "cmax"};
static const char *const SERIES[1] = {"IL6"};
static const double TIMES[NT] = {0.0, 1.0, 2.0, 4.0};
static const double LOWER[NP] = {0, 1, 2}, UPPER[NP] = {10, 11, 12};

static double pval(size_t i, size_t k) { return 1.0 + (double)k + 0.25 * (double)i; }
static double mval(size_t a, size_t i, size_t m) {
  return 100.0 * (double)a + (double)i + 0.5 * (double)m;
}
static double tval(size_t a, size_t i, size_t t) {
  return ((double)a + 1.0) * exp(-pval(i, 0) * TIMES[t]);
}

static syn_h5sweep_spec make_spec(size_t memory_limit) {
  syn_h5sweep_spec s;
  memset(&s, 0, sizeof s);
  s.sweep_sha256 = "feed";
  s.design = "sobol";
  s.seed = 7;
  s.base_seed = 99;
  s.nsamples = NS;
  s.task_index = 2;
  s.task_count = 4;
  s.nparams = NP;
  s.param_names = PARAMS;
  s.param_lower = LOWER;
  s.param_upper = UPPER;
  s.narms = NA;
  s.arm_names = ARMS;
  s.nmetrics = NM;
  s.metric_names = METRICS;
  s.nseries = 1;
  s.series_names = SERIES;
  s.ntimes = NT;
  s.times = TIMES;
  s.time_units = "h";
  s.memory_limit = memory_limit;
  return s;
}

/* Writes sample i with its closed-form values (status ok). */
static syn_status put(syn_h5sweep *h, size_t i, int status, const char *reason) {
  double p[NP], m[NA * NM], tr[NA * NT];
  for (size_t k = 0; k < NP; k++) p[k] = pval(i, k);
  for (size_t a = 0; a < NA; a++) {
    for (size_t j = 0; j < NM; j++) m[a * NM + j] = mval(a, i, j);
    for (size_t t = 0; t < NT; t++) tr[a * NT + t] = tval(a, i, t);
  }
  syn_error err;
  return syn_h5sweep_write_sample(h, i, p, status, reason, m, tr, &err);
}

/* Rows written, out of order; 1 a solver failure; the others never written. */
static const size_t WRITTEN[] = {9, 2, 0, 5, 1, 11};

static void write_file(const fixture *f, size_t memory_limit) {
  syn_h5sweep_spec s = make_spec(memory_limit);
  syn_h5sweep *h = NULL;
  syn_error err;
  assert_int_equal(syn_h5sweep_create(f->path, &s, &h, &err), SYN_OK);
  for (size_t k = 0; k < sizeof WRITTEN / sizeof WRITTEN[0]; k++) {
    size_t i = WRITTEN[k];
    assert_int_equal(put(h, i, i == 1 ? SYN_SWEEP_SOLVER_FAILURE : SYN_SWEEP_OK,
                         i == 1 ? "CVODE: too much work" : NULL),
                     SYN_OK);
  }
  assert_int_equal(syn_h5sweep_written(h), sizeof WRITTEN / sizeof WRITTEN[0]);
  assert_int_equal(syn_h5sweep_flush(h, &err), SYN_OK);
  assert_int_equal(syn_h5sweep_commit(h, &err), SYN_OK);
  syn_h5sweep_destroy(h);
  assert_no_open_hdf5_objects();
}

static int was_written(size_t i) {
  for (size_t k = 0; k < sizeof WRITTEN / sizeof WRITTEN[0]; k++)
    if (WRITTEN[k] == i) return 1;
  return 0;
}

/* ---- reading back -------------------------------------------------------------- */

static herr_t scale_name(hid_t did, unsigned dim, hid_t dsid, void *data) {
  (void)did;
  (void)dim;
  char *name = data;
  return H5DSget_scale_name(dsid, name, 64) > 0 ? 1 : -1;
}

/* The dataset has a scale attached on each of its axes, named as given. */
static void assert_scales(hid_t file, const char *name, int rank, const char *const *dims) {
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  assert_true(d >= 0);
  hid_t sp = H5Dget_space(d);
  assert_int_equal(H5Sget_simple_extent_ndims(sp), rank);
  H5Sclose(sp);
  for (int k = 0; k < rank; k++) {
    assert_int_equal(H5DSget_num_scales(d, (unsigned)k), 1);
    char got[64] = {0};
    assert_int_equal(H5DSiterate_scales(d, (unsigned)k, NULL, scale_name, got), 1);
    assert_string_equal(got, dims[k]);
  }
  H5Dclose(d);
}

static void read_f64(hid_t file, const char *name, double *buf) {
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  assert_true(d >= 0);
  assert_true(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
  H5Dclose(d);
}

static long long root_int(hid_t file, const char *name) {
  long long v = -1;
  hid_t a = H5Aopen(file, name, H5P_DEFAULT);
  assert_true(a >= 0);
  assert_true(H5Aread(a, H5T_NATIVE_LLONG, &v) >= 0);
  H5Aclose(a);
  return v;
}

static void check_file(const char *path) {
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(file >= 0);
  /* every axis of every per-sample dataset has its scale */
  static const char *const sp[] = {"sample", "param"}, *const s1[] = {"sample"},
                           *const sm[] = {"sample", "metric"}, *const st[] = {"sample", "time"};
  assert_scales(file, "param_value", 2, sp);
  assert_scales(file, "status", 1, s1);
  assert_scales(file, "status_reason", 1, s1);
  assert_scales(file, "param_lower", 1, sp + 1);
  assert_scales(file, "param_upper", 1, sp + 1);
  assert_scales(file, "param_units", 1, sp + 1);
  for (size_t a = 0; a < NA; a++) {
    char name[64];
    snprintf(name, sizeof name, "arms/%s/metric_value", ARMS[a]);
    assert_scales(file, name, 2, sm);
    snprintf(name, sizeof name, "arms/%s/IL6", ARMS[a]);
    assert_scales(file, name, 2, st);
  }
  /* the sample scale holds the global indices */
  long long idx[NS];
  hid_t d = H5Dopen2(file, "sample", H5P_DEFAULT);
  assert_true(H5DSis_scale(d) > 0);
  assert_true(H5Dread(d, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, idx) >= 0);
  H5Dclose(d);
  for (size_t i = 0; i < NS; i++) assert_int_equal(idx[i], (long long)i);
  /* parameters: written rows exact, the others NaN */
  double pv[NS * NP];
  read_f64(file, "param_value", pv);
  for (size_t i = 0; i < NS; i++)
    for (size_t k = 0; k < NP; k++) {
      if (was_written(i))
        assert_true(pv[i * NP + k] == pval(i, k));
      else
        assert_true(isnan(pv[i * NP + k]));
    }
  /* status and reasons */
  signed char status[NS];
  d = H5Dopen2(file, "status", H5P_DEFAULT);
  assert_true(H5Dread(d, H5T_NATIVE_SCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, status) >= 0);
  signed char flags[8] = {0};
  hid_t at = H5Aopen(d, "flag_values", H5P_DEFAULT);
  assert_true(at >= 0);
  assert_true(H5Aread(at, H5T_NATIVE_SCHAR, flags) >= 0);
  H5Aclose(at);
  H5Dclose(d);
  assert_int_equal(flags[0], SYN_SWEEP_NOT_RUN);
  assert_int_equal(flags[1], SYN_SWEEP_OK);
  assert_int_equal(flags[4], SYN_SWEEP_ERROR);
  char *reason[NS];
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  d = H5Dopen2(file, "status_reason", H5P_DEFAULT);
  assert_true(H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, reason) >= 0);
  for (size_t i = 0; i < NS; i++) {
    int want = !was_written(i) ? SYN_SWEEP_NOT_RUN
               : i == 1        ? SYN_SWEEP_SOLVER_FAILURE
                               : SYN_SWEEP_OK;
    assert_int_equal(status[i], want);
    const char *r = reason[i] ? reason[i] : "";
    assert_string_equal(r, i == 1 ? "CVODE: too much work" : "");
  }
  hid_t space = H5Dget_space(d);
  H5Dvlen_reclaim(t, space, H5P_DEFAULT, reason);
  H5Sclose(space);
  H5Dclose(d);
  H5Tclose(t);
  /* metrics and trajectories per arm */
  for (size_t a = 0; a < NA; a++) {
    char name[64];
    double mv[NS * NM], tv[NS * NT];
    snprintf(name, sizeof name, "arms/%s/metric_value", ARMS[a]);
    read_f64(file, name, mv);
    snprintf(name, sizeof name, "arms/%s/IL6", ARMS[a]);
    read_f64(file, name, tv);
    for (size_t i = 0; i < NS; i++) {
      for (size_t m = 0; m < NM; m++)
        assert_true(was_written(i) ? mv[i * NM + m] == mval(a, i, m) : isnan(mv[i * NM + m]));
      for (size_t k = 0; k < NT; k++)
        assert_true(was_written(i) ? tv[i * NT + k] == tval(a, i, k) : isnan(tv[i * NT + k]));
    }
    double tm[NT];
    snprintf(name, sizeof name, "arms/%s/time", ARMS[a]);
    read_f64(file, name, tm);
    assert_memory_equal(tm, TIMES, sizeof tm);
  }
  assert_int_equal(root_int(file, "n_samples"), NS);
  assert_int_equal(root_int(file, "task_index"), 2);
  assert_int_equal(root_int(file, "task_count"), 4);
  assert_int_equal(root_int(file, "seed"), 7);
  assert_int_equal(root_int(file, "base_seed"), 99);
  H5Fclose(file);
}

static void test_layout_in_memory(void **state) {
  fixture *f = *state;
  write_file(f, 0);
  assert_false(exists(f->tmp));
  check_file(f->path);
  assert_no_open_hdf5_objects();
}

static void test_layout_on_disk(void **state) {
  fixture *f = *state;
  write_file(f, 1);
  assert_false(exists(f->tmp));
  check_file(f->path);
  assert_no_open_hdf5_objects();
}

/* ---- refusals ------------------------------------------------------------------ */

static void test_refuses_bad_rows(void **state) {
  fixture *f = *state;
  syn_h5sweep_spec s = make_spec(0);
  syn_h5sweep *h = NULL;
  syn_error err;
  double p[NP] = {1, 2, 3};
  assert_int_equal(syn_h5sweep_create(f->path, &s, &h, &err), SYN_OK);
  assert_int_equal(syn_h5sweep_write_sample(h, NS, p, SYN_SWEEP_OK, "", NULL, NULL, &err),
                   SYN_EINVAL);
  assert_non_null(strstr(err.message, "out of range"));
  assert_int_equal(syn_h5sweep_write_sample(h, 3, p, SYN_SWEEP_NOT_RUN, "", NULL, NULL, &err),
                   SYN_EINVAL);
  assert_int_equal(syn_h5sweep_write_sample(h, 3, p, 7, "", NULL, NULL, &err), SYN_EINVAL);
  assert_int_equal(syn_h5sweep_write_sample(h, 3, NULL, SYN_SWEEP_OK, "", NULL, NULL, &err),
                   SYN_EINVAL);
  assert_int_equal(syn_h5sweep_written(h), 0);
  assert_int_equal(syn_h5sweep_write_sample(h, 3, p, SYN_SWEEP_ERROR, "bad", NULL, NULL, &err),
                   SYN_OK);
  assert_int_equal(syn_h5sweep_write_sample(h, 3, p, SYN_SWEEP_OK, "", NULL, NULL, &err),
                   SYN_EINVAL);
  assert_non_null(strstr(err.message, "already written"));
  assert_int_equal(syn_h5sweep_written(h), 1);
  assert_int_equal(syn_h5sweep_commit(h, &err), SYN_OK);
  assert_int_equal(syn_h5sweep_commit(h, &err), SYN_EINVAL);
  assert_int_equal(syn_h5sweep_write_sample(h, 4, p, SYN_SWEEP_OK, "", NULL, NULL, &err),
                   SYN_EINVAL);
  syn_h5sweep_destroy(h);
  /* metrics passed as NULL stay NaN, the row's status is still written */
  hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  double mv[NS * NM];
  read_f64(file, "arms/IV/metric_value", mv);
  assert_true(isnan(mv[3 * NM]));
  H5Fclose(file);
  assert_no_open_hdf5_objects();
}

static void expect_bad_spec(const fixture *f, const syn_h5sweep_spec *s, const char *needle) {
  syn_h5sweep *h = (syn_h5sweep *)1;
  syn_error err;
  assert_int_equal(syn_h5sweep_create(f->path, s, &h, &err), SYN_EINVAL);
  assert_null(h);
  if (strstr(err.message, needle) == NULL) fail_msg("'%s' lacks '%s'", err.message, needle);
  assert_false(exists(f->tmp));
  assert_false(exists(f->path));
}

static void test_refuses_bad_specs(void **state) {
  fixture *f = *state;
  static const char *const dup[] = {"IA", "IA"}, *const slash[] = {"IA", "a/b"},
                           *const tname[] = {"time"};
  syn_h5sweep_spec s = make_spec(0);
  s.nsamples = 0;
  expect_bad_spec(f, &s, "at least one sample");
  s = make_spec(0);
  s.arm_names = dup;
  expect_bad_spec(f, &s, "listed twice");
  s = make_spec(0);
  s.arm_names = slash;
  expect_bad_spec(f, &s, "not a valid name");
  s = make_spec(0);
  s.series_names = tname;
  expect_bad_spec(f, &s, "collides");
  s = make_spec(0);
  s.param_upper = NULL;
  expect_bad_spec(f, &s, "both parameter bounds");
  s = make_spec(0);
  s.task_index = 4;
  expect_bad_spec(f, &s, "task index");
  s = make_spec(0);
  s.times = NULL;
  expect_bad_spec(f, &s, "time grid");
  syn_h5sweep *h = NULL;
  syn_error err;
  s = make_spec(0);
  assert_int_equal(syn_h5sweep_create("", &s, &h, &err), SYN_EINVAL);
  assert_int_equal(syn_h5sweep_create(f->path, NULL, &h, &err), SYN_EINVAL);
  assert_int_equal(syn_h5sweep_create("/nonexistent/dir/x.h5", &s, &h, &err), SYN_EIO);
  assert_null(h);
  assert_no_open_hdf5_objects();
}

/* ---- the tmp / rename protocol --------------------------------------------------- */

static void write_text(const char *path, const char *text) {
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fputs(text, fp);
  fclose(fp);
}

static int file_is(const char *path, const char *text) {
  char buf[64] = {0};
  FILE *fp = fopen(path, "r");
  if (fp == NULL) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, fp);
  fclose(fp);
  return n == strlen(text) && memcmp(buf, text, n) == 0;
}

static void tmp_protocol(const fixture *f, size_t memory_limit) {
  syn_h5sweep_spec s = make_spec(memory_limit);
  syn_h5sweep *h = NULL;
  syn_error err;
  write_text(f->path, "old\n");
  /* not committed: the old file stays, the tmp file goes */
  assert_int_equal(syn_h5sweep_create(f->path, &s, &h, &err), SYN_OK);
  assert_true(exists(f->tmp));
  assert_int_equal(put(h, 0, SYN_SWEEP_OK, ""), SYN_OK);
  syn_h5sweep_destroy(h);
  assert_false(exists(f->tmp));
  assert_true(file_is(f->path, "old\n"));
  /* committed: replaced */
  assert_int_equal(syn_h5sweep_create(f->path, &s, &h, &err), SYN_OK);
  assert_int_equal(put(h, 0, SYN_SWEEP_OK, ""), SYN_OK);
  assert_true(file_is(f->path, "old\n"));
  assert_int_equal(syn_h5sweep_commit(h, &err), SYN_OK);
  assert_false(exists(f->tmp));
  syn_h5sweep_destroy(h);
  assert_true(exists(f->path));
  assert_true(H5Fis_hdf5(f->path) > 0);
  assert_no_open_hdf5_objects();
}

static void test_tmp_then_rename_in_memory(void **state) { tmp_protocol(*state, 0); }
static void test_tmp_then_rename_on_disk(void **state) { tmp_protocol(*state, 1); }

/* On disk, a flush makes the rows written so far readable from the tmp file
 * (read here from a copy: the writer holds the file open, and locked). */
static void test_flushed_tmp_is_readable(void **state) {
  fixture *f = *state;
  syn_h5sweep_spec s = make_spec(1);
  syn_h5sweep *h = NULL;
  syn_error err;
  assert_int_equal(syn_h5sweep_create(f->path, &s, &h, &err), SYN_OK);
  assert_int_equal(put(h, 4, SYN_SWEEP_OK, ""), SYN_OK);
  assert_int_equal(put(h, 6, SYN_SWEEP_NONFINITE, "NaN"), SYN_OK);
  assert_int_equal(syn_h5sweep_flush(h, &err), SYN_OK);
  char copy[200], cmd[480];
  snprintf(copy, sizeof copy, "%s/copy.h5", f->dir);
  snprintf(cmd, sizeof cmd, "cp '%s' '%s'", f->tmp, copy);
  assert_int_equal(system(cmd), 0);
  hid_t file = H5Fopen(copy, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(file >= 0);
  signed char status[NS];
  hid_t d = H5Dopen2(file, "status", H5P_DEFAULT);
  assert_true(H5Dread(d, H5T_NATIVE_SCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, status) >= 0);
  H5Dclose(d);
  double pv[NS * NP];
  read_f64(file, "param_value", pv);
  H5Fclose(file);
  assert_int_equal(status[4], SYN_SWEEP_OK);
  assert_int_equal(status[6], SYN_SWEEP_NONFINITE);
  assert_int_equal(status[5], SYN_SWEEP_NOT_RUN);
  assert_true(pv[4 * NP + 2] == pval(4, 2));
  assert_true(isnan(pv[5 * NP]));
  syn_h5sweep_destroy(h);
  assert_false(exists(f->tmp));
  assert_false(exists(f->path));
  assert_no_open_hdf5_objects();
}

/* A writer killed with SIGKILL after a flush leaves a tmp file that opens,
 * with every row flushed before the kill (docs/design.md, "Facts the I/O and
 * sweep code rely on"), and no final file. */
static void test_killed_writer_leaves_flushed_rows(void **state) {
  fixture *f = *state;
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) { /* the child: no cmocka here */
    syn_h5sweep_spec s = make_spec(1);
    syn_h5sweep *h = NULL;
    syn_error err;
    if (syn_h5sweep_create(f->path, &s, &h, &err) != SYN_OK) _exit(2);
    for (size_t i = 0; i < 5; i++)
      if (put(h, i, SYN_SWEEP_OK, "") != SYN_OK) _exit(3);
    if (syn_h5sweep_flush(h, &err) != SYN_OK) _exit(4);
    if (put(h, 7, SYN_SWEEP_OK, "") != SYN_OK) _exit(5); /* not flushed */
    kill(getpid(), SIGKILL);
    _exit(6);
  }
  int ws = 0;
  assert_int_equal(waitpid(pid, &ws, 0), pid);
  assert_true(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
  assert_false(exists(f->path));
  hid_t file = H5Fopen(f->tmp, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(file >= 0);
  signed char status[NS];
  hid_t d = H5Dopen2(file, "status", H5P_DEFAULT);
  assert_true(H5Dread(d, H5T_NATIVE_SCHAR, H5S_ALL, H5S_ALL, H5P_DEFAULT, status) >= 0);
  H5Dclose(d);
  double pv[NS * NP], mv[NS * NM];
  read_f64(file, "param_value", pv);
  read_f64(file, "arms/IV/metric_value", mv);
  H5Fclose(file);
  for (size_t i = 0; i < 5; i++) {
    assert_int_equal(status[i], SYN_SWEEP_OK);
    assert_true(pv[i * NP + 1] == pval(i, 1));
    assert_true(mv[i * NM + 1] == mval(1, i, 1));
  }
  for (size_t i = 5; i < NS; i++)
    if (i != 7) assert_int_equal(status[i], SYN_SWEEP_NOT_RUN);
  assert_no_open_hdf5_objects();
}

/* ---- allocation failures ----------------------------------------------------------- */

/* Every allocation failing in turn: ENOMEM, nothing left behind, the old file
 * untouched; the loop ends with a successful write. Both storage modes. */
static void alloc_failures(const fixture *f, size_t memory_limit) {
  syn_h5sweep_spec s = make_spec(memory_limit);
  write_text(f->path, "old\n");
  int failures = 0;
  syn_status st = SYN_ENOMEM;
  for (long n = 1; n < 200 && st != SYN_OK; n++) {
    syn_h5sweep *h = NULL;
    syn_error err;
    syn_alloc_test_fail_after(n);
    st = syn_h5sweep_create(f->path, &s, &h, &err);
    if (st == SYN_OK) st = put(h, 3, SYN_SWEEP_OK, "");
    if (st == SYN_OK) st = syn_h5sweep_commit(h, &err);
    syn_alloc_test_fail_after(0);
    syn_h5sweep_destroy(h);
    assert_false(exists(f->tmp));
    assert_no_open_hdf5_objects();
    if (st == SYN_OK) break;
    if (st != SYN_ENOMEM) fail_msg("allocation %ld: %s", n, err.message);
    assert_true(file_is(f->path, "old\n"));
    failures++;
  }
  assert_int_equal(st, SYN_OK);
  assert_true(failures >= 4);
  assert_true(H5Fis_hdf5(f->path) > 0);
}

static void test_alloc_failures_in_memory(void **state) { alloc_failures(*state, 0); }
static void test_alloc_failures_on_disk(void **state) { alloc_failures(*state, 1); }

/* An API call that must succeed; on failure, its message (err in scope). */
#define assert_ok(call)                                                        \
  do {                                                                         \
    syn_status st_ = (call);                                                   \
    if (st_ != SYN_OK) fail_msg("%s: %s", #call, err.message);                 \
  } while (0)

/* ---- reading back with the reader -------------------------------------------------- */

static const char *const PUNITS[NP] = {"1/h", "", "mL"};
static const char *const PDIST[NP] = {"uniform(0, 10)", "loguniform(1, 11)", "normal(7, 1)"};
static const char *const MUNITS[NM] = {"pg/mL*h", "pg/mL"};
static const char *const SUNITS[1] = {"pg/mL"};
static const char *const FILES[2] = {"a.scenario", "m.model"};
static const char *const TEXTS[2] = {"scenario a { }\n", "model m\n"};
static const syn_provenance PROV = {"the title", "synovia sweep a.sweep", "ab12", 2, FILES, TEXTS,
                                    "2026-01-02T03:04:05Z", "cd34", "a.scenario"};

static syn_h5sweep_spec full_spec(size_t memory_limit) {
  syn_h5sweep_spec s = make_spec(memory_limit);
  s.prov = &PROV;
  s.config_sha256 = "c0ffee";
  s.sweep_file = "a.sweep";
  s.design_n = 3;
  s.second_order = 1;
  s.morris_levels = 6;
  s.param_units = PUNITS;
  s.param_distribution = PDIST;
  s.metric_units = MUNITS;
  s.series_units = SUNITS;
  return s;
}

static const char *cf(const char *u) { return u == NULL || u[0] == 0 ? "1" : u; }
static const char *txt(const char *s) { return s ? s : ""; }

static void assert_names(size_t n, const char *const *want, const char *const *got, int units) {
  for (size_t i = 0; i < n; i++) {
    const char *w = want ? want[i] : NULL;
    assert_string_equal(got[i], units ? cf(w) : txt(w));
  }
}

/* got is a reader's spec of a file written from want. */
static void assert_spec_equal(const syn_h5sweep_spec *want, const syn_h5sweep_spec *got) {
  assert_string_equal(got->sweep_sha256, txt(want->sweep_sha256));
  assert_string_equal(got->config_sha256, txt(want->config_sha256));
  assert_string_equal(got->sweep_file, txt(want->sweep_file));
  assert_string_equal(got->design, txt(want->design));
  assert_true(got->seed == want->seed && got->base_seed == want->base_seed);
  assert_int_equal(got->design_n, want->design_n);
  assert_int_equal(got->second_order, want->second_order != 0);
  assert_int_equal(got->morris_levels, want->morris_levels);
  assert_int_equal(got->nsamples, want->nsamples);
  assert_int_equal(got->task_index, want->task_count ? want->task_index : 0);
  assert_int_equal(got->task_count, want->task_count);
  assert_int_equal(got->nparams, want->nparams);
  assert_names(want->nparams, want->param_names, got->param_names, 0);
  assert_names(want->nparams, want->param_units, got->param_units, 1);
  assert_int_equal(got->param_lower == NULL, want->param_lower == NULL);
  assert_int_equal(got->param_distribution == NULL, want->param_distribution == NULL);
  if (want->param_lower) {
    assert_memory_equal(got->param_lower, want->param_lower, want->nparams * sizeof(double));
    assert_memory_equal(got->param_upper, want->param_upper, want->nparams * sizeof(double));
  }
  if (want->param_distribution)
    assert_names(want->nparams, want->param_distribution, got->param_distribution, 0);
  assert_int_equal(got->narms, want->narms);
  assert_names(want->narms, want->arm_names, got->arm_names, 0);
  assert_int_equal(got->nmetrics, want->nmetrics);
  assert_names(want->nmetrics, want->metric_names, got->metric_names, 0);
  assert_names(want->nmetrics, want->metric_units, got->metric_units, 1);
  assert_int_equal(got->nseries, want->nseries);
  assert_names(want->nseries, want->series_names, got->series_names, 0);
  assert_names(want->nseries, want->series_units, got->series_units, 1);
  if (want->nseries > 0) {
    assert_int_equal(got->ntimes, want->ntimes);
    assert_memory_equal(got->times, want->times, want->ntimes * sizeof(double));
    assert_string_equal(got->time_units, cf(want->time_units));
  }
  assert_int_equal(got->memory_limit, 0);
  const syn_provenance *p = got->prov, *w = want->prov;
  assert_non_null(p);
  if (w == NULL) return;
  assert_string_equal(p->title, txt(w->title));
  assert_string_equal(p->command_line, txt(w->command_line));
  assert_string_equal(p->model_sha256, txt(w->model_sha256));
  assert_string_equal(p->created, w->created);
  assert_string_equal(p->scenario_sha256, txt(w->scenario_sha256));
  assert_string_equal(p->scenario_file, txt(w->scenario_file));
  assert_int_equal(p->nfiles, w->nfiles);
  assert_names(w->nfiles, w->file_paths, p->file_paths, 0);
  assert_names(w->nfiles, w->file_texts, p->file_texts, 0);
}

/* The rows of the round trip: WRITTEN, 1 a failure (no metrics), 5 nonfinite
 * with a reason of multi-byte characters. */
static void write_round_trip(const char *path, const syn_h5sweep_spec *s) {
  syn_h5sweep *h = NULL;
  syn_error err;
  assert_ok(syn_h5sweep_create(path, s, &h, &err));
  for (size_t k = 0; k < sizeof WRITTEN / sizeof WRITTEN[0]; k++) {
    const size_t i = WRITTEN[k];
    double p[NP];
    for (size_t j = 0; j < NP; j++) p[j] = pval(i, j);
    if (i == 1)
      assert_int_equal(syn_h5sweep_write_sample(h, i, p, SYN_SWEEP_SOLVER_FAILURE,
                                                "CVODE: too much work", NULL, NULL, &err),
                       SYN_OK);
    else
      assert_int_equal(put(h, i, i == 5 ? SYN_SWEEP_NONFINITE : SYN_SWEEP_OK,
                           i == 5 ? "IL6 is NaN at t = 2 h (µg → ∞)" : ""),
                       SYN_OK);
  }
  assert_ok(syn_h5sweep_commit(h, &err));
  syn_h5sweep_destroy(h);
}

static int expected_status(size_t i) {
  if (!was_written(i)) return SYN_SWEEP_NOT_RUN;
  return i == 1 ? SYN_SWEEP_SOLVER_FAILURE : i == 5 ? SYN_SWEEP_NONFINITE : SYN_SWEEP_OK;
}

/* Reads every row in blocks of 5 and checks it against the closed forms. */
static void check_rows_with_reader(syn_h5sweep_reader *r) {
  syn_error err;
  enum { B = 5 };
  double p[B * NP], m[B * NA * NM], tr[B * NA * NT];
  signed char st[B];
  for (size_t first = 0; first < NS; first += B) {
    const size_t n = NS - first < B ? NS - first : B;
    assert_ok(syn_h5sweep_read_rows(r, first, n, p, st, m, tr, &err));
    for (size_t k = 0; k < n; k++) {
      const size_t i = first + k;
      assert_int_equal(st[k], expected_status(i));
      const int data = was_written(i) && i != 1;
      for (size_t j = 0; j < NP; j++)
        assert_true(was_written(i) ? p[k * NP + j] == pval(i, j) : isnan(p[k * NP + j]));
      for (size_t a = 0; a < NA; a++) {
        for (size_t j = 0; j < NM; j++) {
          const double v = m[k * NA * NM + a * NM + j];
          assert_true(data ? v == mval(a, i, j) : isnan(v));
        }
        for (size_t t = 0; t < NT; t++) {
          const double v = tr[k * NA * NT + a * NT + t];
          assert_true(data ? v == tval(a, i, t) : isnan(v));
        }
      }
    }
  }
  /* status alone, in one block */
  signed char all[NS];
  assert_ok(syn_h5sweep_read_status(r, 0, NS, all, &err));
  for (size_t i = 0; i < NS; i++) assert_int_equal(all[i], expected_status(i));
}

static void check_reasons(syn_h5sweep_reader *r) {
  syn_error err;
  char buf[64];
  size_t len = 99;
  assert_ok(syn_h5sweep_read_reason(r, 1, buf, sizeof buf, &len, &err));
  assert_string_equal(buf, "CVODE: too much work");
  assert_int_equal(len, strlen("CVODE: too much work"));
  assert_ok(syn_h5sweep_read_reason(r, 0, buf, sizeof buf, &len, &err));
  assert_string_equal(buf, "");
  assert_int_equal(len, 0);
  assert_ok(syn_h5sweep_read_reason(r, 7, buf, sizeof buf, NULL, &err));
  assert_string_equal(buf, ""); /* never written */
  const char *full = "IL6 is NaN at t = 2 h (µg → ∞)";
  assert_ok(syn_h5sweep_read_reason(r, 5, buf, sizeof buf, &len, &err));
  assert_string_equal(buf, full);
  assert_int_equal(len, strlen(full));
  /* cut inside "µ" (2 bytes at offset 23): the whole character goes */
  assert_ok(syn_h5sweep_read_reason(r, 5, buf, 25, &len, &err));
  assert_string_equal(buf, "IL6 is NaN at t = 2 h (");
  assert_ok(syn_h5sweep_read_reason(r, 5, NULL, 0, &len, &err));
  assert_int_equal(len, strlen(full));
  assert_int_equal(syn_h5sweep_read_reason(r, NS, buf, sizeof buf, &len, &err), SYN_EINVAL);
  assert_int_equal(syn_h5sweep_read_rows(r, 10, 3, NULL, NULL, NULL, NULL, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "out of range"));
}

static void reader_round_trip(const fixture *f, size_t memory_limit) {
  syn_h5sweep_spec s = full_spec(memory_limit);
  write_round_trip(f->path, &s);
  syn_h5sweep_reader *r = NULL;
  syn_error err;
  assert_ok(syn_h5sweep_open(f->path, &r, &err));
  assert_string_equal(syn_h5sweep_reader_path(r), f->path);
  assert_string_equal(syn_h5sweep_reader_version(r), syn_version()); /* the writer's */
  assert_spec_equal(&s, syn_h5sweep_reader_spec(r));
  check_rows_with_reader(r);
  check_reasons(r);
  /* the spec makes an equivalent empty file */
  char other[200];
  snprintf(other, sizeof other, "%s/copy.h5", f->dir);
  syn_h5sweep *h = NULL;
  assert_ok(syn_h5sweep_create(other, syn_h5sweep_reader_spec(r), &h, &err));
  assert_ok(syn_h5sweep_commit(h, &err));
  syn_h5sweep_destroy(h);
  syn_h5sweep_reader *r2 = NULL;
  assert_ok(syn_h5sweep_open(other, &r2, &err));
  assert_spec_equal(&s, syn_h5sweep_reader_spec(r2));
  signed char st[NS];
  assert_ok(syn_h5sweep_read_status(r2, 0, NS, st, &err));
  for (size_t i = 0; i < NS; i++) assert_int_equal(st[i], 0);
  syn_h5sweep_reader_destroy(r2);
  syn_h5sweep_reader_destroy(r);
  assert_no_open_hdf5_objects();
}

static void test_reader_round_trip_in_memory(void **state) { reader_round_trip(*state, 0); }
static void test_reader_round_trip_on_disk(void **state) { reader_round_trip(*state, 1); }

/* A sweep without metrics or trajectories, bounds or distributions. */
static void test_reader_minimal_file(void **state) {
  fixture *f = *state;
  syn_h5sweep_spec s = make_spec(0);
  s.nmetrics = 0;
  s.metric_names = NULL;
  s.nseries = 0;
  s.param_lower = s.param_upper = NULL;
  s.task_count = 0;
  s.sweep_sha256 = NULL;
  syn_h5sweep *h = NULL;
  syn_error err;
  assert_ok(syn_h5sweep_create(f->path, &s, &h, &err));
  double p[NP] = {1, 2, 3};
  assert_int_equal(syn_h5sweep_write_sample(h, 4, p, SYN_SWEEP_OK, NULL, NULL, NULL, &err),
                   SYN_OK);
  assert_ok(syn_h5sweep_commit(h, &err));
  syn_h5sweep_destroy(h);
  syn_h5sweep_reader *r = NULL;
  assert_ok(syn_h5sweep_open(f->path, &r, &err));
  const syn_h5sweep_spec *g = syn_h5sweep_reader_spec(r);
  assert_spec_equal(&s, g);
  assert_null(g->param_lower);
  assert_null(g->param_distribution);
  assert_non_null(g->prov->created); /* the writer's now */
  double got[NP];
  signed char st;
  double m = 42;
  assert_ok(syn_h5sweep_read_rows(r, 4, 1, got, &st, &m, NULL, &err));
  assert_memory_equal(got, p, sizeof p);
  assert_int_equal(st, SYN_SWEEP_OK);
  assert_true(m == 42); /* no metrics: not touched */
  syn_h5sweep_reader_destroy(r);
  assert_no_open_hdf5_objects();
}

/* ---- files that are not sweep files ------------------------------------------------ */

static void expect_open_error(const char *path, syn_status code, const char *message) {
  syn_h5sweep_reader *r = (syn_h5sweep_reader *)1;
  syn_error err;
  assert_int_equal(syn_h5sweep_open(path, &r, &err), code);
  assert_null(r);
  if (strcmp(err.message, message) != 0) fail_msg("got '%s'\nwant '%s'", err.message, message);
  assert_no_open_hdf5_objects();
}

/* Opens the file read-write and lets edit change it (with HDF5's own API). */
static void edit_file(const char *path, void (*edit)(hid_t file)) {
  hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  assert_true(file >= 0);
  edit(file);
  assert_true(H5Fclose(file) >= 0);
}

static void drop_status(hid_t file) { assert_true(H5Ldelete(file, "status", H5P_DEFAULT) >= 0); }

static void short_status(hid_t file) {
  assert_true(H5Ldelete(file, "status", H5P_DEFAULT) >= 0);
  hsize_t n = 5;
  hid_t sp = H5Screate_simple(1, &n, NULL);
  hid_t d = H5Dcreate2(file, "status", H5T_STD_I8LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(d >= 0);
  H5Dclose(d);
  H5Sclose(sp);
}

static void text_params(hid_t file) {
  assert_true(H5Ldelete(file, "param_value", H5P_DEFAULT) >= 0);
  hsize_t n[2] = {NS, NP};
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, 4);
  hid_t sp = H5Screate_simple(2, n, NULL);
  hid_t d = H5Dcreate2(file, "param_value", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(d >= 0);
  H5Dclose(d);
  H5Sclose(sp);
  H5Tclose(t);
}

static void other_metrics(hid_t file) {
  assert_true(H5Ldelete(file, "arms/IV/metric", H5P_DEFAULT) >= 0);
  static const char *const names[NM] = {"auc", "tmax"};
  hsize_t n = NM;
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  hid_t sp = H5Screate_simple(1, &n, NULL);
  hid_t d = H5Dcreate2(file, "arms/IV/metric", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(d >= 0);
  assert_true(H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, names) >= 0);
  H5Dclose(d);
  H5Sclose(sp);
  H5Tclose(t);
}

static void drop_n_samples(hid_t file) { assert_true(H5Adelete(file, "n_samples") >= 0); }

static void copy_prefix(const char *from, const char *to, long bytes) {
  FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
  assert_non_null(in);
  assert_non_null(out);
  for (long k = 0; k < bytes; k++) {
    int c = fgetc(in);
    assert_true(c != EOF);
    fputc(c, out);
  }
  fclose(in);
  fclose(out);
}

static long file_size(const char *path) {
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  return (long)st.st_size;
}

static void test_reader_refuses_other_files(void **state) {
  fixture *f = *state;
  char path[200], want[600];
  /* missing, a directory, not HDF5 */
  snprintf(path, sizeof path, "%s/none.h5", f->dir);
  snprintf(want, sizeof want, "cannot open sweep file '%s': No such file or directory", path);
  expect_open_error(path, SYN_EIO, want);
  snprintf(want, sizeof want, "cannot open sweep file '%s': Is a directory", f->dir);
  expect_open_error(f->dir, SYN_EIO, want);
  snprintf(path, sizeof path, "%s/text.h5", f->dir);
  write_text(path, "this is not HDF5\n");
  snprintf(want, sizeof want, "sweep file '%s' is not an HDF5 file", path);
  expect_open_error(path, SYN_EIO, want);
  write_text(path, "");
  expect_open_error(path, SYN_EIO, want);
  /* an HDF5 file with nothing of a sweep in it */
  snprintf(path, sizeof path, "%s/empty.h5", f->dir);
  hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  assert_true(file >= 0);
  H5Fclose(file);
  snprintf(want, sizeof want,
           "sweep file '%s' is not a synovia sweep file: no root attribute 'n_samples'", path);
  expect_open_error(path, SYN_EINVAL, want);

  /* a sweep file, damaged in various ways */
  syn_h5sweep_spec s = full_spec(0);
  struct {
    void (*edit)(hid_t);
    const char *message;
  } cases[] = {
      {drop_status, "no dataset '/status'"},
      {short_status, "'/status' has shape (5), not (12)"},
      {text_params, "'/param_value' does not hold numbers"},
      {other_metrics, "arm 'IV' has other metrics than arm 'IA'"},
      {drop_n_samples, "no root attribute 'n_samples'"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    write_round_trip(f->path, &s);
    edit_file(f->path, cases[k].edit);
    snprintf(want, sizeof want, "sweep file '%s' is not a synovia sweep file: %s", f->path,
             cases[k].message);
    expect_open_error(f->path, SYN_EINVAL, want);
  }
  /* truncated: the first half of a good file */
  write_round_trip(f->path, &s);
  snprintf(path, sizeof path, "%s/half.h5", f->dir);
  copy_prefix(f->path, path, file_size(f->path) / 2);
  syn_h5sweep_reader *r = NULL;
  syn_error err;
  assert_int_equal(syn_h5sweep_open(path, &r, &err), SYN_EIO);
  assert_null(r);
  snprintf(want, sizeof want, "sweep file '%s' is truncated or damaged (HDF5: truncated file",
           path);
  if (strncmp(err.message, want, strlen(want)) != 0) fail_msg("got '%s'", err.message);
  assert_no_open_hdf5_objects();
  /* arguments */
  assert_int_equal(syn_h5sweep_open("", &r, &err), SYN_EINVAL);
  assert_int_equal(syn_h5sweep_open(f->path, NULL, &err), SYN_EINVAL);
  assert_null(syn_h5sweep_reader_spec(NULL));
  syn_h5sweep_reader_destroy(NULL);
}

/* ---- the block writer and reading back ------------------------------------------- */

static hsize_t chunk_rows_of(const char *path, const char *name) {
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  hid_t p = H5Dget_create_plist(d);
  hsize_t chunk[2] = {0, 0};
  assert_true(H5Pget_chunk(p, 2, chunk) >= 1);
  H5Pclose(p);
  H5Dclose(d);
  H5Fclose(file);
  return chunk[0];
}

/* chunk_rows bounds the chunks of every per-sample dataset, never enlarges them */
static void test_chunk_rows(void **state) {
  fixture *f = *state;
  syn_h5sweep_spec s = full_spec(0);
  s.chunk_rows = 5;
  write_round_trip(f->path, &s);
  static const char *const names[] = {"param_value", "status", "status_reason",
                                      "arms/IA/metric_value", "arms/IV/IL6"};
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
    assert_int_equal(chunk_rows_of(f->path, names[k]), 5);
  s.chunk_rows = 1000;
  write_round_trip(f->path, &s);
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
    assert_int_equal(chunk_rows_of(f->path, names[k]), NS);
  syn_h5sweep_reader *r = NULL;
  syn_error err;
  assert_ok(syn_h5sweep_open(f->path, &r, &err));
  check_rows_with_reader(r);
  assert_int_equal(syn_h5sweep_reader_spec(r)->chunk_rows, 0);
  syn_h5sweep_reader_destroy(r);
  assert_no_open_hdf5_objects();
}

static void test_write_rows_block(void **state) {
  fixture *f = *state;
  syn_h5sweep_spec s = full_spec(0);
  syn_h5sweep *h = NULL;
  syn_error err;
  assert_ok(syn_h5sweep_create(f->path, &s, &h, &err));
  enum { B = 6 };
  double p[B * NP], m[B * NA * NM], tr[B * NA * NT];
  signed char st[B] = {1, 0, -1, 1, 0, -3};
  const char *reasons[B] = {NULL, "", "bad", "", NULL, "worse"};
  for (size_t k = 0; k < B; k++) { /* rows 3..8 */
    for (size_t j = 0; j < NP; j++) p[k * NP + j] = pval(3 + k, j);
    for (size_t a = 0; a < NA; a++) {
      for (size_t j = 0; j < NM; j++) m[k * NA * NM + a * NM + j] = mval(a, 3 + k, j);
      for (size_t t = 0; t < NT; t++) tr[k * NA * NT + a * NT + t] = tval(a, 3 + k, t);
    }
  }
  /* refusals leave nothing written */
  signed char bad[B] = {1, 0, 7, 1, 0, 1};
  assert_int_equal(syn_h5sweep_write_rows(h, 3, B, p, bad, reasons, m, tr, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "sample 5: status 7"));
  assert_int_equal(syn_h5sweep_write_rows(h, 8, B, p, st, reasons, m, tr, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "sample 12 is out of range"));
  assert_int_equal(syn_h5sweep_write_rows(h, 3, B, NULL, st, reasons, m, tr, &err), SYN_EINVAL);
  assert_int_equal(syn_h5sweep_written(h), 0);
  assert_int_equal(put(h, 6, SYN_SWEEP_OK, ""), SYN_OK);
  assert_int_equal(syn_h5sweep_write_rows(h, 3, B, p, st, reasons, m, tr, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "sample 6 is already written"));
  assert_int_equal(syn_h5sweep_written(h), 1);
  /* row 6 skipped (status 0 in this block) */
  st[3] = 0;
  assert_ok(syn_h5sweep_write_rows(h, 3, B, p, st, reasons, m, tr, &err));
  assert_int_equal(syn_h5sweep_written(h), 4);
  assert_ok(syn_h5sweep_write_rows(h, 0, 0, NULL, NULL, NULL, NULL, NULL, &err));
  /* read back before the commit */
  double gp[NS * NP], gm[NS * NA * NM];
  signed char gs[NS];
  assert_ok(syn_h5sweep_read_back(h, 0, NS, gp, gs, gm, NULL, &err));
  static const signed char want[NS] = {0, 0, 0, 1, 0, -1, 1, 0, -3, 0, 0, 0};
  assert_memory_equal(gs, want, NS);
  for (size_t i = 0; i < NS; i++)
    for (size_t a = 0; a < NA; a++)
      assert_true(want[i] ? gm[i * NA * NM + a * NM + 1] == mval(a, i, 1)
                          : isnan(gm[i * NA * NM + a * NM + 1]));
  assert_int_equal(syn_h5sweep_read_back(h, 10, 3, gp, gs, gm, NULL, &err), SYN_EINVAL);
  assert_ok(syn_h5sweep_commit(h, &err));
  assert_int_equal(syn_h5sweep_read_back(h, 0, 1, gp, gs, gm, NULL, &err), SYN_EINVAL);
  syn_h5sweep_destroy(h);
  syn_h5sweep_reader *r = NULL;
  assert_ok(syn_h5sweep_open(f->path, &r, &err));
  char buf[32];
  const char *want_reason[NS] = {"", "", "", "", "", "bad", "", "", "worse", "", "", ""};
  for (size_t i = 0; i < NS; i++) {
    assert_ok(syn_h5sweep_read_reason(r, i, buf, sizeof buf, NULL, &err));
    assert_string_equal(buf, want_reason[i]);
  }
  syn_h5sweep_reader_destroy(r);
  assert_no_open_hdf5_objects();
}

/* ---- merging parts ------------------------------------------------------------------ */

/* The closed-form row of sample i: every 5th (from 1) a solver failure with
 * a reason and no metrics, every 7th (from 3) nonfinite with metrics. */
static int row_status(size_t i) {
  return i % 5 == 1 ? SYN_SWEEP_SOLVER_FAILURE : i % 7 == 3 ? SYN_SWEEP_NONFINITE : SYN_SWEEP_OK;
}

static void put_row(syn_h5sweep *h, size_t i) {
  char reason[64] = "";
  const int st = row_status(i);
  if (st != SYN_SWEEP_OK) snprintf(reason, sizeof reason, "sample %zu failed: ∞", i);
  if (st == SYN_SWEEP_SOLVER_FAILURE) {
    double p[NP];
    syn_error err;
    for (size_t j = 0; j < NP; j++) p[j] = pval(i, j);
    assert_ok(syn_h5sweep_write_sample(h, i, p, st, reason, NULL, NULL, &err));
  } else {
    assert_int_equal(put(h, i, st, reason), SYN_OK);
  }
}

/* part_of(i, nparts): the part that has sample i, or -1: none. */
typedef int (*split_fn)(size_t i, size_t nparts);

/* Writes part k of the split (memory or disk alternately; rows written in
 * descending order, to be unlike the merge), committed. */
static void write_split_part(const char *path, const syn_h5sweep_spec *s, split_fn part_of,
                             size_t nparts, size_t k) {
  syn_h5sweep_spec ps = *s;
  ps.memory_limit = k % 2;
  ps.chunk_rows = k % 3 == 0 ? 8 : 0; /* block-sized chunks in some parts */
  ps.part = k % 2 == 0;                /* parts of a sweep run and other files */
  syn_h5sweep *h = NULL;
  syn_error err;
  assert_ok(syn_h5sweep_create(path, &ps, &h, &err));
  for (size_t i = s->nsamples; i-- > 0;)
    if (part_of(i, nparts) == (int)k) put_row(h, i);
  assert_ok(syn_h5sweep_commit(h, &err));
  syn_h5sweep_destroy(h);
}

/* The whole file, read with the reader. */
typedef struct all_rows {
  double *p, *m, *t;
  signed char *s;
  char **why;
  size_t n;
} all_rows;

static all_rows read_all(const char *path) {
  syn_h5sweep_reader *r = NULL;
  syn_error err;
  assert_ok(syn_h5sweep_open(path, &r, &err));
  const syn_h5sweep_spec *s = syn_h5sweep_reader_spec(r);
  all_rows a;
  a.n = s->nsamples;
  a.p = calloc(a.n * s->nparams, sizeof(double));
  a.m = calloc(a.n * s->narms * s->nmetrics + 1, sizeof(double));
  a.t = calloc(a.n * s->narms * s->nseries * s->ntimes + 1, sizeof(double));
  a.s = calloc(a.n, 1);
  a.why = calloc(a.n, sizeof(char *));
  assert_ok(syn_h5sweep_read_rows(r, 0, a.n, a.p, a.s, a.m, a.t, &err));
  for (size_t i = 0; i < a.n; i++) {
    size_t len = 0;
    assert_ok(syn_h5sweep_read_reason(r, i, NULL, 0, &len, &err));
    a.why[i] = calloc(len + 1, 1);
    assert_ok(syn_h5sweep_read_reason(r, i, a.why[i], len + 1, NULL, &err));
  }
  syn_h5sweep_reader_destroy(r);
  return a;
}

static void free_all(all_rows *a) {
  for (size_t i = 0; i < a->n; i++) free(a->why[i]);
  free(a->p);
  free(a->m);
  free(a->t);
  free(a->s);
  free(a->why);
}

/* The data of two files are identical, bit for bit (NaN included). */
static void assert_same_data(const char *x, const char *y, const syn_h5sweep_spec *s) {
  all_rows a = read_all(x), b = read_all(y);
  assert_int_equal(a.n, b.n);
  assert_memory_equal(a.p, b.p, a.n * s->nparams * sizeof(double));
  assert_memory_equal(a.m, b.m, a.n * s->narms * s->nmetrics * sizeof(double));
  assert_memory_equal(a.t, b.t, a.n * s->narms * s->nseries * s->ntimes * sizeof(double));
  assert_memory_equal(a.s, b.s, a.n);
  for (size_t i = 0; i < a.n; i++) assert_string_equal(a.why[i], b.why[i]);
  free_all(&a);
  free_all(&b);
}

static int split_halves(size_t i, size_t n) { return i < NS / 2 ? 0 : (int)(n - 1); }
static int split_strided(size_t i, size_t n) { return (int)(i % n); }
/* blocks of 7 round robin over parts 0 and 2 (1 stays empty); 13 and 150 in none */
static int split_blocks(size_t i, size_t n) {
  (void)n;
  return i == 13 || i == 150 ? -1 : (i / 7) % 2 == 0 ? 0 : 2;
}

static void merge_case(const fixture *f, size_t nsamples, size_t nparts, split_fn part_of,
                       size_t window_rows) {
  syn_h5sweep_spec s = full_spec(0);
  s.nsamples = nsamples;
  s.task_count = 0;
  syn_error err;
  /* the reference: one writer, every row in ascending order */
  char ref[200], out[200];
  snprintf(ref, sizeof ref, "%s/ref.h5", f->dir);
  snprintf(out, sizeof out, "%s/merged.h5", f->dir);
  syn_h5sweep *h = NULL;
  assert_ok(syn_h5sweep_create(ref, &s, &h, &err));
  size_t nrows = 0;
  for (size_t i = 0; i < nsamples; i++)
    if (part_of(i, nparts) >= 0) {
      put_row(h, i);
      nrows++;
    }
  assert_ok(syn_h5sweep_commit(h, &err));
  syn_h5sweep_destroy(h);
  char(*paths)[128] = calloc(nparts, sizeof *paths);
  const char **names = calloc(nparts, sizeof *names);
  for (size_t k = 0; k < nparts; k++) {
    snprintf(paths[k], sizeof paths[k], "%s/part-%zu.h5", f->dir, k);
    names[k] = paths[k];
    write_split_part(paths[k], &s, part_of, nparts, k);
  }
  syn_h5sweep_merge_opts o;
  memset(&o, 0, sizeof o);
  o.command_line = "synovia merge";
  o.window_rows = window_rows;
  assert_ok(syn_h5sweep_merge(out, names, nparts, &o, &h, &err));
  assert_int_equal(syn_h5sweep_written(h), nrows);
  assert_true(exists(f->dir) && !exists(out));
  assert_ok(syn_h5sweep_commit(h, &err));
  syn_h5sweep_destroy(h);
  assert_same_data(ref, out, &s);
  /* the spec is the parts' with the command line of the merge */
  syn_h5sweep_reader *r = NULL;
  assert_ok(syn_h5sweep_open(out, &r, &err));
  syn_provenance prov = PROV;
  prov.command_line = "synovia merge";
  /* its date_created is its own (test_merge_date_created) */
  prov.created = syn_h5sweep_reader_spec(r)->prov->created;
  assert_string_not_equal(prov.created, PROV.created);
  s.prov = &prov;
  assert_spec_equal(&s, syn_h5sweep_reader_spec(r));
  syn_h5sweep_reader_destroy(r);
  free(paths);
  free(names);
  assert_no_open_hdf5_objects();
}

static void test_merge_two_halves(void **state) { merge_case(*state, NS, 2, split_halves, 0); }
static void test_merge_three_strided(void **state) { merge_case(*state, NS, 3, split_strided, 5); }
static void test_merge_blocks_with_gaps(void **state) {
  merge_case(*state, 200, 3, split_blocks, 16);
}
/* more parts than are kept open at a time, each in every window */
static void test_merge_many_parts(void **state) { merge_case(*state, 200, 40, split_strided, 16); }
static void test_merge_one_part(void **state) { merge_case(*state, NS, 1, split_strided, 0); }
/* blocks of 8 dealt to 40 parts, as MPI ranks take blocks in turn: each part
 * has a few runs in a long span, read run by run */
static int split_dealt(size_t i, size_t n) { return (int)((i / 8) % n); }
static void test_merge_dealt_blocks(void **state) { merge_case(*state, 2000, 40, split_dealt, 0); }

/* ---- merge refusals ------------------------------------------------------------------ */

/* Writes a committed part with rows [first, end) of the spec. */
static void write_range(const char *path, const syn_h5sweep_spec *s, size_t first, size_t end) {
  syn_h5sweep *h = NULL;
  syn_error err;
  assert_ok(syn_h5sweep_create(path, s, &h, &err));
  for (size_t i = first; i < end; i++) put_row(h, i);
  assert_ok(syn_h5sweep_commit(h, &err));
  syn_h5sweep_destroy(h);
}

typedef struct merge_env {
  char a[160], b[160], c[160], d[160], out[160], out_tmp[170];
} merge_env;

static merge_env env_of(const fixture *f) {
  merge_env e;
  snprintf(e.a, sizeof e.a, "%s/a.h5", f->dir);
  snprintf(e.b, sizeof e.b, "%s/b.h5", f->dir);
  snprintf(e.c, sizeof e.c, "%s/c.h5", f->dir);
  snprintf(e.d, sizeof e.d, "%s/d.h5", f->dir);
  snprintf(e.out, sizeof e.out, "%s/out.h5", f->dir);
  snprintf(e.out_tmp, sizeof e.out_tmp, "%s/out.h5.tmp", f->dir);
  return e;
}

static void expect_merge_error(const merge_env *e, const char *const *parts, size_t n,
                               const syn_h5sweep_merge_opts *o, syn_status code,
                               const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void expect_merge_error(const merge_env *e, const char *const *parts, size_t n,
                               const syn_h5sweep_merge_opts *o, syn_status code,
                               const char *fmt, ...) {
  char want[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(want, sizeof want, fmt, ap);
  va_end(ap);
  syn_h5sweep *h = (syn_h5sweep *)1;
  syn_error err;
  assert_int_equal(syn_h5sweep_merge(e->out, parts, n, o, &h, &err), code);
  assert_null(h);
  if (strcmp(err.message, want) != 0) fail_msg("got '%s'\nwant '%s'", err.message, want);
  assert_false(exists(e->out));
  assert_false(exists(e->out_tmp));
  assert_no_open_hdf5_objects();
}

static syn_h5sweep_spec whole_spec(void) {
  syn_h5sweep_spec s = full_spec(0);
  s.task_count = 0;
  return s;
}

/* A root attribute of a committed file as text (vlen string). */
static void root_text(const char *path, const char *name, char *buf, size_t size) {
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(file >= 0);
  hid_t a = H5Aopen(file, name, H5P_DEFAULT);
  assert_true(a >= 0);
  hid_t t = H5Aget_type(a); /* fixed-length UTF-8 (issue 12) */
  char *v = calloc(H5Tget_size(t) + 1, 1);
  assert_true(H5Tis_variable_str(t) == 0 && v != NULL && H5Aread(a, t, v) >= 0);
  snprintf(buf, size, "%s", v);
  free(v);
  H5Tclose(t);
  H5Aclose(a);
  H5Fclose(file);
}

/* Merges parts a (made 2001) and b (2002) into out with opts.created. */
static void merge_dated(const char *a, const char *b, const char *out, const char *created) {
  const char *parts[] = {b, a};
  syn_h5sweep_merge_opts o;
  memset(&o, 0, sizeof o);
  o.created = created;
  syn_h5sweep *h = NULL;
  syn_error err;
  assert_ok(syn_h5sweep_merge(out, parts, 2, &o, &h, &err));
  assert_ok(syn_h5sweep_commit(h, &err));
  syn_h5sweep_destroy(h);
}

/* A merged file's date_created is when it was merged, not its first part's
 * (issue 11 §3.9); the parts' dates are kept as an ISO 8601 interval. */
static void test_merge_date_created(void **state) {
  fixture *f = *state;
  char a[160], b[160], out[160], got[128];
  snprintf(a, sizeof a, "%s/a.h5", f->dir);
  snprintf(b, sizeof b, "%s/b.h5", f->dir);
  snprintf(out, sizeof out, "%s/merged.h5", f->dir);
  syn_h5sweep_spec s = whole_spec();
  syn_provenance pa = PROV, pb = PROV;
  pa.created = "2001-01-01T00:00:00Z";
  pb.created = "2002-02-02T00:00:00Z";
  s.prov = &pa;
  write_range(a, &s, 0, NS / 2);
  s.prov = &pb;
  write_range(b, &s, NS / 2, NS);
  merge_dated(a, b, out, NULL);
  root_text(out, "date_created", got, sizeof got);
  assert_int_equal(strlen(got), strlen("2026-12-07T09:00:00Z"));
  assert_true(got[4] == '-' && got[10] == 'T' && got[19] == 'Z');
  assert_true(strcmp(got, pb.created) > 0); /* written now, after both parts */
  root_text(out, "parts_date_created", got, sizeof got);
  assert_string_equal(got, "2001-01-01T00:00:00Z/2002-02-02T00:00:00Z");
  /* the caller's date wins */
  merge_dated(a, b, out, "2030-03-03T00:00:00Z");
  root_text(out, "date_created", got, sizeof got);
  assert_string_equal(got, "2030-03-03T00:00:00Z");
  assert_no_open_hdf5_objects();
}

static void test_merge_refuses_duplicates_and_gaps(void **state) {
  merge_env e = env_of(*state);
  syn_h5sweep_spec s = whole_spec();
  write_range(e.a, &s, 0, 7);
  write_range(e.b, &s, 9, 12);
  write_range(e.c, &s, 6, 8);
  const char *abc[] = {e.a, e.b, e.c};
  expect_merge_error(&e, abc, 3, NULL, SYN_EINVAL,
                     "merge into '%s': sample 6 is in both '%s' and '%s'", e.out, e.a, e.c);
  syn_h5sweep_merge_opts o;
  memset(&o, 0, sizeof o);
  o.require_end = SIZE_MAX;
  const char *ab[] = {e.a, e.b};
  expect_merge_error(&e, ab, 2, &o, SYN_EINVAL,
                     "merge into '%s': 2 samples of 0..11 are missing (the first is sample 7)",
                     e.out);
  o.require_first = 8;
  o.require_end = 10;
  expect_merge_error(&e, ab, 2, &o, SYN_EINVAL,
                     "merge into '%s': 1 sample of 8..9 is missing (the first is sample 8)",
                     e.out);
  /* rows outside the required range may be missing */
  o.require_first = 9;
  o.require_end = 100;
  syn_h5sweep *h = NULL;
  syn_error err;
  assert_ok(syn_h5sweep_merge(e.out, ab, 2, &o, &h, &err));
  assert_int_equal(syn_h5sweep_written(h), 10);
  syn_h5sweep_destroy(h); /* abandoned: nothing left */
  assert_false(exists(e.out) || exists(e.out_tmp));
  expect_merge_error(&e, ab, 0, NULL, SYN_EINVAL, "merge into '%s': no parts", e.out);
}

static void test_merge_refuses_mismatched_parts(void **state) {
  merge_env e = env_of(*state);
  syn_h5sweep_spec s = whole_spec();
  write_range(e.a, &s, 0, 6);
  const char *ab[] = {e.a, e.b};
  syn_h5sweep_spec t = s;
  t.config_sha256 = "beef";
  write_range(e.b, &t, 6, 12);
  expect_merge_error(&e, ab, 2, NULL, SYN_EINVAL,
                     "merge into '%s': '%s' does not match '%s': different configuration "
                     "(config_sha256 'beef' vs 'c0ffee')",
                     e.out, e.b, e.a);
  t = s;
  t.nsamples = NS + 1;
  write_range(e.b, &t, 6, 12);
  expect_merge_error(&e, ab, 2, NULL, SYN_EINVAL,
                     "merge into '%s': '%s' does not match '%s': different numbers of samples "
                     "(13 vs 12)",
                     e.out, e.b, e.a);
  static const char *const other_params[NP] = {"k", "V", "m"};
  static const char *const other_arms[NA] = {"IA", "SC"};
  static const char *const other_metrics[NM] = {"auc", "tmax"};
  static const char *const other_series[1] = {"TNF"};
  static const double other_times[NT] = {0.0, 1.0, 2.0, 8.0};
  struct {
    const char *what;
    syn_h5sweep_spec spec;
  } cases[5];
  for (size_t k = 0; k < 5; k++) cases[k].spec = s;
  cases[0].what = "parameters";
  cases[0].spec.param_names = other_params;
  cases[1].what = "arms";
  cases[1].spec.arm_names = other_arms;
  cases[2].what = "metrics";
  cases[2].spec.metric_names = other_metrics;
  cases[3].what = "trajectories";
  cases[3].spec.series_names = other_series;
  cases[4].what = "time grids";
  cases[4].spec.times = other_times;
  for (size_t k = 0; k < 5; k++) {
    write_range(e.b, &cases[k].spec, 6, 12);
    expect_merge_error(&e, ab, 2, NULL, SYN_EINVAL,
                       "merge into '%s': '%s' does not match '%s': different %s", e.out, e.b,
                       e.a, cases[k].what);
  }
  /* a part that is not a sweep file: the reader's message */
  write_text(e.b, "no\n");
  expect_merge_error(&e, ab, 2, NULL, SYN_EIO, "sweep file '%s' is not an HDF5 file", e.b);
}

static void write_task(const char *path, size_t index, size_t count) {
  syn_h5sweep_spec s = full_spec(0);
  s.task_index = index;
  s.task_count = count;
  size_t first = NS * index / count, end = NS * (index + 1) / count;
  write_range(path, &s, first, end);
}

static void test_merge_checks_tasks(void **state) {
  merge_env e = env_of(*state);
  syn_h5sweep_merge_opts o;
  memset(&o, 0, sizeof o);
  o.check_tasks = 1;
  o.require_end = SIZE_MAX;
  write_task(e.a, 0, 3);
  write_task(e.b, 2, 3);
  write_task(e.c, 1, 3);
  const char *two[] = {e.a, e.b};
  expect_merge_error(&e, two, 2, &o, SYN_EINVAL, "merge into '%s': task 1 of 3 is missing",
                     e.out);
  const char *one[] = {e.b};
  expect_merge_error(&e, one, 1, &o, SYN_EINVAL,
                     "merge into '%s': 2 tasks of 3 are missing (the first is task 0)", e.out);
  write_task(e.d, 2, 3);
  const char *twice[] = {e.a, e.b, e.c, e.d};
  expect_merge_error(&e, twice, 4, &o, SYN_EINVAL,
                     "merge into '%s': task 2 appears twice: '%s' and '%s'", e.out, e.b, e.d);
  write_task(e.d, 1, 4);
  const char *mixed[] = {e.a, e.d};
  expect_merge_error(&e, mixed, 2, &o, SYN_EINVAL,
                     "merge into '%s': '%s' is a task of 4 but '%s' of 3", e.out, e.d, e.a);
  syn_h5sweep_spec w = whole_spec();
  write_range(e.d, &w, 0, 1);
  const char *whole[] = {e.d, e.a};
  expect_merge_error(&e, whole, 2, &o, SYN_EINVAL,
                     "merge into '%s': '%s' is not a shard of a job array (no task_count)",
                     e.out, e.d);
  /* all three: a whole sweep, unless the options say otherwise */
  const char *all[] = {e.b, e.c, e.a};
  syn_h5sweep *h = NULL;
  syn_error err;
  assert_ok(syn_h5sweep_merge(e.out, all, 3, &o, &h, &err));
  assert_int_equal(syn_h5sweep_written(h), NS);
  assert_ok(syn_h5sweep_commit(h, &err));
  syn_h5sweep_destroy(h);
  syn_h5sweep_reader *r = NULL;
  assert_ok(syn_h5sweep_open(e.out, &r, &err));
  assert_int_equal(syn_h5sweep_reader_spec(r)->task_count, 0);
  assert_string_equal(syn_h5sweep_reader_spec(r)->prov->command_line, PROV.command_line);
  syn_h5sweep_reader_destroy(r);
  o.task_index = 1;
  o.task_count = 2;
  assert_ok(syn_h5sweep_merge(e.out, all, 3, &o, &h, &err));
  assert_ok(syn_h5sweep_commit(h, &err));
  syn_h5sweep_destroy(h);
  assert_ok(syn_h5sweep_open(e.out, &r, &err));
  assert_int_equal(syn_h5sweep_reader_spec(r)->task_index, 1);
  assert_int_equal(syn_h5sweep_reader_spec(r)->task_count, 2);
  syn_h5sweep_reader_destroy(r);
  assert_no_open_hdf5_objects();
}

/* Every allocation of a merge failing in turn: ENOMEM, nothing left behind,
 * no HDF5 object left open; the loop ends with a merge that works. */
static void test_merge_alloc_failures(void **state) {
  merge_env e = env_of(*state);
  syn_h5sweep_spec s = whole_spec();
  write_range(e.a, &s, 0, 5);
  s.memory_limit = 1;
  write_range(e.b, &s, 5, 9);
  write_range(e.c, &s, 9, 12);
  const char *parts[] = {e.a, e.b, e.c};
  syn_h5sweep_merge_opts o;
  memset(&o, 0, sizeof o);
  o.window_rows = 5;
  o.require_end = SIZE_MAX;
  int failures = 0;
  syn_status st = SYN_ENOMEM;
  for (long n = 1; n < 2000 && st != SYN_OK; n++) {
    syn_h5sweep *h = NULL;
    syn_error err;
    syn_alloc_test_fail_after(n);
    st = syn_h5sweep_merge(e.out, parts, 3, &o, &h, &err);
    if (st == SYN_OK) st = syn_h5sweep_commit(h, &err);
    syn_alloc_test_fail_after(0);
    syn_h5sweep_destroy(h);
    assert_false(exists(e.out_tmp));
    assert_no_open_hdf5_objects();
    if (st == SYN_OK) break;
    if (st != SYN_ENOMEM) fail_msg("allocation %ld: %s", n, err.message);
    assert_false(exists(e.out));
    failures++;
  }
  assert_int_equal(st, SYN_OK);
  assert_true(failures >= 20);
  /* the reader alone, likewise */
  st = SYN_ENOMEM;
  for (long n = 1; n < 2000 && st != SYN_OK; n++) {
    syn_h5sweep_reader *r = NULL;
    syn_error err;
    syn_alloc_test_fail_after(n);
    st = syn_h5sweep_open(e.out, &r, &err);
    syn_alloc_test_fail_after(0);
    if (st != SYN_OK && st != SYN_ENOMEM) fail_msg("allocation %ld: %s", n, err.message);
    syn_h5sweep_reader_destroy(r);
    assert_no_open_hdf5_objects();
  }
  assert_int_equal(st, SYN_OK);
}

/* ---- quiet and clear failures ------------------------------------------------------- */

/* A file a live writer of another process holds (locked): said so, not "damaged". */
static void test_reader_refuses_a_file_being_written(void **state) {
  fixture *f = *state;
  int go[2], done[2];
  assert_int_equal(pipe(go), 0);
  assert_int_equal(pipe(done), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) { /* the child holds the tmp file open for writing; no cmocka here */
    syn_h5sweep_spec s = make_spec(1);
    syn_h5sweep *h = NULL;
    syn_error err;
    char c = syn_h5sweep_create(f->path, &s, &h, &err) == SYN_OK ? 'y' : 'n';
    if (write(go[1], &c, 1) != 1 || read(done[0], &c, 1) != 1) _exit(3);
    syn_h5sweep_destroy(h);
    _exit(0);
  }
  char c = 0;
  assert_int_equal(read(go[0], &c, 1), 1);
  assert_int_equal(c, 'y');
  syn_h5sweep_reader *r = NULL;
  syn_error err;
  syn_status st = syn_h5sweep_open(f->tmp, &r, &err);
  assert_int_equal(write(done[1], &c, 1), 1);
  int ws = 0;
  assert_int_equal(waitpid(pid, &ws, 0), pid);
  assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
  close(go[0]);
  close(go[1]);
  close(done[0]);
  close(done[1]);
  assert_int_equal(st, SYN_EIO);
  char want[300];
  snprintf(want, sizeof want, "sweep file '%s' is being written by another process (HDF5: ",
           f->tmp);
  if (strncmp(err.message, want, strlen(want)) != 0) fail_msg("got '%s'", err.message);
  assert_no_open_hdf5_objects();
}

/* The error paths of the reader and the merge print nothing (HDF5 would,
 * on stderr, unless kept quiet). */
static void test_errors_print_nothing(void **state) {
  fixture *f = *state;
  char log[200];
  snprintf(log, sizeof log, "%s/stderr.txt", f->dir);
  fflush(stderr);
  int saved = dup(2);
  FILE *sink = fopen(log, "w");
  assert_non_null(sink);
  assert_true(dup2(fileno(sink), 2) >= 0);
  merge_env e = env_of(f);
  syn_h5sweep_spec s = whole_spec();
  write_range(e.a, &s, 0, 7);
  write_range(e.b, &s, 5, 12);
  write_text(e.c, "not HDF5\n");
  copy_prefix(e.a, e.d, file_size(e.a) / 2);
  syn_h5sweep_reader *r = NULL;
  syn_error err;
  char path[200];
  snprintf(path, sizeof path, "%s/none.h5", f->dir);
  const char *const bad[] = {path, e.c, e.d, f->dir};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    assert_int_not_equal(syn_h5sweep_open(bad[k], &r, &err), SYN_OK);
    const char *parts[] = {e.a, bad[k]};
    syn_h5sweep *h = NULL;
    assert_int_not_equal(syn_h5sweep_merge(e.out, parts, 2, NULL, &h, &err), SYN_OK);
  }
  const char *dup_parts[] = {e.a, e.b};
  syn_h5sweep *h = NULL;
  assert_int_equal(syn_h5sweep_merge(e.out, dup_parts, 2, NULL, &h, &err), SYN_EINVAL);
  assert_ok(syn_h5sweep_open(e.a, &r, &err));
  assert_int_equal(syn_h5sweep_read_rows(r, 5, 100, NULL, NULL, NULL, NULL, &err), SYN_EINVAL);
  syn_h5sweep_reader_destroy(r);
  fflush(stderr);
  assert_true(dup2(saved, 2) >= 0);
  close(saved);
  fclose(sink);
  assert_int_equal(file_size(log), 0);
  assert_no_open_hdf5_objects();
}

/* ---- indices ------------------------------------------------------------------------- */

static void read_ds(hid_t file, const char *name, hid_t mtype, void *buf) {
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  assert_true(d >= 0);
  assert_true(H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
  H5Dclose(d);
}

static void assert_attr_text(hid_t obj, const char *name, const char *want) {
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  assert_true(a >= 0);
  hid_t t = H5Aget_type(a); /* fixed-length UTF-8 (issue 12) */
  char *v = calloc(H5Tget_size(t) + 1, 1);
  assert_true(H5Tis_variable_str(t) == 0 && v != NULL && H5Aread(a, t, v) >= 0);
  assert_string_equal(v, want);
  free(v);
  H5Tclose(t);
  H5Aclose(a);
}

static double attr_num(hid_t obj, const char *name) {
  double v = -1;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  assert_true(a >= 0);
  assert_true(H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0);
  H5Aclose(a);
  return v;
}

static void test_indices_round_trip(void **state) {
  fixture *f = *state;
  syn_h5sweep_spec s = full_spec(0);
  syn_h5sweep *h = NULL;
  syn_error err;
  assert_ok(syn_h5sweep_create(f->path, &s, &h, &err));
  for (size_t i = 0; i < NS; i++) put_row(h, i);
  double S1[NM * NP], ST[NM * NP], S1c[NM * NP], mu[NM * NP], mus[NM * NP], sg[NM * NP];
  for (size_t k = 0; k < NM * NP; k++) {
    S1[k] = 0.1 * (double)k;
    ST[k] = 0.1 * (double)k + 0.05;
    S1c[k] = 0.01 * (double)k;
    mu[k] = -(double)k;
    mus[k] = (double)k;
    sg[k] = 2.0 * (double)k;
  }
  const size_t used[NM] = {10, 9}, dropped[NM] = {0, 1};
  syn_h5sweep_sobol sob = {S1, ST, S1c, NULL, used, dropped, 2, 100, 0.95,
                           "saltelli2010", "jansen1999"};
  syn_h5sweep_morris mor = {mu, mus, sg, NULL, used, dropped, 3, 4, 0, 0};
  assert_ok(syn_h5sweep_write_sobol(h, 0, &sob, &err));
  assert_ok(syn_h5sweep_write_morris(h, 1, &mor, &err));
  /* refusals */
  char want[400];
  assert_int_equal(syn_h5sweep_write_sobol(h, 0, &sob, &err), SYN_EINVAL);
  snprintf(want, sizeof want,
           "HDF5 sweep output '%s': the Sobol indices of arm 'IA' are already written", f->path);
  assert_string_equal(err.message, want);
  assert_int_equal(syn_h5sweep_write_morris(h, 2, &mor, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "arm 2 is out of range"));
  sob.S1 = NULL;
  assert_int_equal(syn_h5sweep_write_sobol(h, 1, &sob, &err), SYN_EINVAL);
  sob.S1 = S1;
  assert_ok(syn_h5sweep_commit(h, &err));
  assert_int_equal(syn_h5sweep_write_sobol(h, 1, &sob, &err), SYN_EINVAL);
  syn_h5sweep_destroy(h);

  hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(file >= 0);
  static const char *const mp[] = {"metric", "param"}, *const m1[] = {"metric"};
  double got[NM * NP];
  const struct {
    const char *name;
    const double *want; /* NULL: all NaN */
  } tables[] = {{"arms/IA/sobol_S1", S1},      {"arms/IA/sobol_S1_conf", S1c},
                {"arms/IA/sobol_ST", ST},      {"arms/IA/sobol_ST_conf", NULL},
                {"arms/IV/morris_mu", mu},     {"arms/IV/morris_mu_star", mus},
                {"arms/IV/morris_sigma", sg},  {"arms/IV/morris_mu_star_conf", NULL}};
  for (size_t k = 0; k < sizeof tables / sizeof tables[0]; k++) {
    assert_scales(file, tables[k].name, 2, mp);
    read_ds(file, tables[k].name, H5T_NATIVE_DOUBLE, got);
    for (size_t j = 0; j < NM * NP; j++)
      assert_true(tables[k].want ? got[j] == tables[k].want[j] : isnan(got[j]));
    hid_t d = H5Dopen2(file, tables[k].name, H5P_DEFAULT);
    assert_true(H5Aexists(d, "long_name") > 0);
    if (strstr(tables[k].name, "sobol"))
      assert_attr_text(d, "units", "1");
    else
      assert_true(H5Aexists(d, "units") == 0 && H5Aexists(d, "comment") > 0);
    H5Dclose(d);
  }
  long long n[NM];
  assert_scales(file, "arms/IA/sobol_n_used", 1, m1);
  read_ds(file, "arms/IA/sobol_n_dropped", H5T_NATIVE_LLONG, n);
  assert_true(n[0] == 0 && n[1] == 1);
  read_ds(file, "arms/IV/morris_n_used", H5T_NATIVE_LLONG, n);
  assert_true(n[0] == 10 && n[1] == 9);
  assert_true(H5Lexists(file, "arms/IV/sobol_S1", H5P_DEFAULT) == 0);
  hid_t g = H5Gopen2(file, "arms/IA", H5P_DEFAULT);
  assert_true(attr_num(g, "sobol_n_base") == 2 && attr_num(g, "sobol_n_boot") == 100);
  assert_true(attr_num(g, "sobol_confidence_level") == 0.95);
  assert_attr_text(g, "sobol_estimator_S1", "saltelli2010");
  assert_attr_text(g, "sobol_estimator_ST", "jansen1999");
  H5Gclose(g);
  g = H5Gopen2(file, "arms/IV", H5P_DEFAULT);
  assert_true(attr_num(g, "morris_n_trajectories") == 3 && attr_num(g, "morris_num_levels") == 4);
  assert_true(H5Aexists(g, "morris_n_boot") == 0);
  H5Gclose(g);
  H5Fclose(file);
  /* the reader gives them back, is not misled by them, and a merge leaves them out */
  syn_h5sweep_reader *r = NULL;
  assert_ok(syn_h5sweep_open(f->path, &r, &err));
  assert_spec_equal(&s, syn_h5sweep_reader_spec(r));
  syn_h5sweep_indices ix;
  assert_ok(syn_h5sweep_read_indices(r, 0, &ix, &err));
  assert_int_equal(ix.kind, SYN_H5SWEEP_SOBOL);
  assert_true(ix.nmetrics == NM && ix.nparams == NP);
  assert_memory_equal(ix.S1, S1, sizeof S1);
  assert_memory_equal(ix.S1_conf, S1c, sizeof S1c);
  assert_memory_equal(ix.ST, ST, sizeof ST);
  assert_true(isnan(ix.ST_conf[0]) && isnan(ix.ST_conf[NM * NP - 1]));
  assert_null(ix.mu);
  assert_true(ix.n_used[0] == 10 && ix.n_used[1] == 9 && ix.n_dropped[1] == 1);
  assert_true(ix.n_base == 2 && ix.n_boot == 100 && ix.confidence_level == 0.95);
  assert_string_equal(ix.estimator_S1, "saltelli2010");
  assert_string_equal(ix.estimator_ST, "jansen1999");
  syn_h5sweep_indices_free(&ix);
  assert_null(ix.S1);
  assert_ok(syn_h5sweep_read_indices(r, 1, &ix, &err));
  assert_int_equal(ix.kind, SYN_H5SWEEP_MORRIS);
  assert_memory_equal(ix.mu, mu, sizeof mu);
  assert_memory_equal(ix.mu_star, mus, sizeof mus);
  assert_memory_equal(ix.sigma, sg, sizeof sg);
  assert_true(isnan(ix.mu_star_conf[1]));
  assert_null(ix.S1);
  assert_true(ix.n_trajectories == 3 && ix.num_levels == 4 && ix.n_boot == 0);
  assert_string_equal(ix.estimator_S1, "");
  syn_h5sweep_indices_free(&ix);
  assert_int_equal(syn_h5sweep_read_indices(r, 2, &ix, &err), SYN_EINVAL);
  syn_h5sweep_indices_free(NULL);
  /* every allocation failing in turn: ENOMEM and nothing owned */
  syn_status rst = SYN_ENOMEM;
  for (long k = 1; k < 100 && rst != SYN_OK; k++) {
    syn_alloc_test_fail_after(k);
    rst = syn_h5sweep_read_indices(r, 0, &ix, &err);
    syn_alloc_test_fail_after(0);
    if (rst != SYN_OK) {
      assert_int_equal(rst, SYN_ENOMEM);
      assert_null(ix.S1);
    }
    syn_h5sweep_indices_free(&ix);
  }
  assert_int_equal(rst, SYN_OK);
  syn_h5sweep_reader_destroy(r);
  merge_env e = env_of(f);
  const char *parts[] = {f->path};
  assert_ok(syn_h5sweep_merge(e.out, parts, 1, NULL, &h, &err));
  assert_ok(syn_h5sweep_commit(h, &err));
  syn_h5sweep_destroy(h);
  assert_ok(syn_h5sweep_open(e.out, &r, &err));
  assert_ok(syn_h5sweep_read_indices(r, 0, &ix, &err));
  assert_int_equal(ix.kind, SYN_H5SWEEP_NO_INDICES);
  assert_null(ix.S1);
  syn_h5sweep_reader_destroy(r);
  assert_same_data(f->path, e.out, &s);
  assert_no_open_hdf5_objects();
}

/* Indices need metrics; series names may not take the indices' names. */
static void test_indices_refusals(void **state) {
  fixture *f = *state;
  syn_h5sweep_spec s = make_spec(0);
  s.nmetrics = 0;
  syn_h5sweep *h = NULL;
  syn_error err;
  assert_ok(syn_h5sweep_create(f->path, &s, &h, &err));
  double v[NP] = {0};
  syn_h5sweep_sobol sob = {v, v, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL};
  assert_int_equal(syn_h5sweep_write_sobol(h, 0, &sob, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "no metrics"));
  syn_h5sweep_destroy(h);
  static const char *const bad[1] = {"sobol_S1"};
  s = make_spec(0);
  s.series_names = bad;
  expect_bad_spec(f, &s, "collides");
}
/* ---- the seal of a part ---------------------------------------------------------- */

static void flip_byte(const char *path, long at) {
  FILE *fp = fopen(path, "r+b");
  assert_non_null(fp);
  assert_int_equal(fseek(fp, at, SEEK_SET), 0);
  int c = fgetc(fp);
  assert_true(c != EOF);
  assert_int_equal(fseek(fp, at, SEEK_SET), 0);
  fputc(c ^ 0x01, fp);
  fclose(fp);
}

static void expect_verify(const char *path, syn_status code, const char *message) {
  syn_error err;
  assert_int_equal(syn_h5sweep_part_verify(path, &err), code);
  if (strcmp(err.message, message) != 0) fprintf(stderr, "got: %s\nwant: %s\n", err.message,
                                                 message);
  assert_string_equal(err.message, message);
}

/* A committed part (in memory and on disk) carries the SHA-256 of its bytes
 * in a user block HDF5 skips; any flipped bit, a truncation, a missing seal
 * and anything but a regular file are refused by name, without HDF5. */
static void part_seal(const fixture *f, size_t memory_limit) {
  syn_h5sweep_spec s = make_spec(memory_limit);
  s.part = 1;
  syn_h5sweep *h = NULL;
  syn_error err;
  char msg[600], copy[200];
  assert_int_equal(syn_h5sweep_create(f->path, &s, &h, &err), SYN_OK);
  for (size_t i = 3; i < 7; i++) assert_int_equal(put(h, i, SYN_SWEEP_OK, NULL), SYN_OK);
  assert_int_equal(syn_h5sweep_commit(h, &err), SYN_OK);
  syn_h5sweep_destroy(h);
  assert_int_equal(syn_h5sweep_part_verify(f->path, &err), SYN_OK);
  syn_h5sweep_reader *r = NULL; /* HDF5 reads it as ever */
  assert_int_equal(syn_h5sweep_open(f->path, &r, &err), SYN_OK);
  signed char st[NS];
  assert_int_equal(syn_h5sweep_read_status(r, 0, NS, st, &err), SYN_OK);
  assert_int_equal(st[2], SYN_SWEEP_NOT_RUN);
  assert_int_equal(st[5], SYN_SWEEP_OK);
  syn_h5sweep_reader_destroy(r);

  snprintf(copy, sizeof copy, "%s/copy.h5", f->dir);
  char cmd[500];
  snprintf(cmd, sizeof cmd, "cp '%s' '%s'", f->path, copy);
  assert_int_equal(system(cmd), 0);
  const long size = file_size(f->path);
  const long at[] = {0, 600, size / 2, size - 1}; /* the seal itself, the file, its end */
  for (size_t k = 0; k < sizeof at / sizeof at[0]; k++) {
    flip_byte(f->path, at[k]);
    snprintf(msg, sizeof msg, "'%s' is damaged (%s): delete it and run again with --resume",
             f->path, k == 0 ? "no checksum where its seal belongs" : "checksum mismatch");
    expect_verify(f->path, SYN_EIO, msg);
    flip_byte(f->path, at[k]);
    assert_int_equal(syn_h5sweep_part_verify(f->path, &err), SYN_OK);
  }
  assert_int_equal(truncate(f->path, size - 1), 0);
  snprintf(msg, sizeof msg, "'%s' is damaged (%ld bytes where its checksum covers %ld): delete it "
           "and run again with --resume", f->path, size - 513, size - 512);
  expect_verify(f->path, SYN_EIO, msg);
  assert_int_equal(rename(copy, f->path), 0);
  assert_int_equal(syn_h5sweep_part_verify(f->path, &err), SYN_OK);
}
static void test_part_seal_in_memory(void **state) { part_seal(*state, 0); }
static void test_part_seal_on_disk(void **state) { part_seal(*state, 1); }

static void test_part_verify_refusals(void **state) {
  const fixture *f = *state;
  char path[200], msg[600];
  write_file(f, 0); /* a file that is not a part: no seal */
  snprintf(msg, sizeof msg, "'%s' is damaged (no checksum where its seal belongs): delete it and "
           "run again with --resume", f->path);
  expect_verify(f->path, SYN_EIO, msg);
  snprintf(path, sizeof path, "%s/fifo.h5", f->dir);
  assert_int_equal(mkfifo(path, 0600), 0); /* never opened: nothing would write into it */
  snprintf(msg, sizeof msg, "'%s' is named like a sweep part but is not a regular file (a FIFO)",
           path);
  expect_verify(path, SYN_EIO, msg);
  unlink(path);
  assert_int_equal(mkdir(path, 0700), 0);
  snprintf(msg, sizeof msg, "'%s' is named like a sweep part but is not a regular file (a "
           "directory)", path);
  expect_verify(path, SYN_EIO, msg);
  rmdir(path);
  assert_int_equal(symlink(f->path, path), 0);
  snprintf(msg, sizeof msg, "'%s' is named like a sweep part but is not a regular file (a "
           "symbolic link)", path);
  expect_verify(path, SYN_EIO, msg);
  unlink(path);
  snprintf(msg, sizeof msg, "cannot read sweep part '%s': No such file or directory", path);
  expect_verify(path, SYN_EIO, msg);
}

/* ---- a part costs what it holds ---------------------------------------------------- */

/* The size of a committed part of the 64 samples 100..163 of a sweep of n. */
static long part_size(const fixture *f, size_t n, size_t memory_limit) {
  syn_h5sweep_spec s = full_spec(memory_limit);
  s.nsamples = n;
  s.part = 1;
  syn_h5sweep *h = NULL;
  syn_error err;
  assert_int_equal(syn_h5sweep_create(f->path, &s, &h, &err), SYN_OK);
  for (size_t i = 100; i < 164; i++) assert_int_equal(put(h, i, SYN_SWEEP_OK, NULL), SYN_OK);
  assert_int_equal(syn_h5sweep_commit(h, &err), SYN_OK);
  syn_h5sweep_destroy(h);
  assert_int_equal(syn_h5sweep_part_verify(f->path, &err), SYN_OK);
  return file_size(f->path);
}

/* A part of k samples has the size of its k rows whatever the size N of the
 * sweep: its /sample holds its own rows' indices only (a part of 64 samples of
 * a sweep of 10^5 once had all 10^5, 800 kB, and of 10^7 80 MB at every
 * checkpoint). N = 1000 and 100000, in memory and on disk: within 1.5x. */
static void part_size_flat(const fixture *f, size_t memory_limit) {
  const long small = part_size(f, 1000, memory_limit), large = part_size(f, 100000, memory_limit);
  fprintf(stderr, "# a part of 64 samples (%s): %ld bytes of a sweep of 1000, %ld of 100000\n",
          memory_limit ? "on disk" : "in memory", small, large);
  assert_true(large < small + small / 2);
}
static void test_part_size_flat_in_memory(void **state) { part_size_flat(*state, 0); }
static void test_part_size_flat_on_disk(void **state) { part_size_flat(*state, 1); }

/* ---- kept series: linear in their number ----------------------------------------- */

/* Entries of the REFERENCE_LIST of scale `name` (the datasets attached to it). */
static hssize_t attached_count(const char *path, const char *name) {
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  hid_t a = H5Aopen(d, "REFERENCE_LIST", H5P_DEFAULT);
  hid_t sp = H5Aget_space(a);
  hssize_t n = H5Sget_simple_extent_npoints(sp);
  H5Sclose(sp);
  H5Aclose(a);
  H5Dclose(d);
  H5Fclose(file);
  return n;
}

/* Both axes of the last series of the last arm attached, by HDF5's own check. */
static void assert_last_series_attached(const char *path, size_t n) {
  char name[64];
  snprintf(name, sizeof name, "/arms/IV/s%zu", n - 1);
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
  hid_t sample = H5Dopen2(file, "/sample", H5P_DEFAULT);
  hid_t time = H5Dopen2(file, "/arms/IV/time", H5P_DEFAULT);
  assert_true(H5DSis_attached(d, sample, 0) > 0);
  assert_true(H5DSis_attached(d, time, 1) > 0);
  assert_int_equal(H5DSget_num_scales(d, 0), 1);
  assert_int_equal(H5DSget_num_scales(d, 1), 1);
  H5Dclose(time);
  H5Dclose(sample);
  H5Dclose(d);
  H5Fclose(file);
}

/* The size of a committed sweep file keeping n series in each of its 2 arms,
 * with its attachments checked: /sample holds every per-sample dataset
 * (param_value, status, status_reason, and per arm metric_value and the n
 * series), each arm's time its n series. */
static long kept_series_size(const fixture *f, size_t n) {
  syn_h5sweep_spec s = make_spec(0);
  char **names = calloc(n, sizeof *names);
  assert_non_null(names);
  for (size_t k = 0; k < n; k++) {
    names[k] = malloc(24);
    assert_non_null(names[k]);
    snprintf(names[k], 24, "s%zu", k);
  }
  s.nseries = n;
  s.series_names = (const char *const *)names;
  syn_h5sweep *h = NULL;
  syn_error err;
  assert_int_equal(syn_h5sweep_create(f->path, &s, &h, &err), SYN_OK);
  assert_int_equal(syn_h5sweep_commit(h, &err), SYN_OK);
  syn_h5sweep_destroy(h);
  assert_int_equal(attached_count(f->path, "/sample"), (hssize_t)(3 + NA * (1 + n)));
  assert_int_equal(attached_count(f->path, "/arms/IA/time"), (hssize_t)n);
  assert_last_series_attached(f->path, n);
  assert_no_open_hdf5_objects();
  for (size_t k = 0; k < n; k++) free(names[k]);
  free(names);
  return file_size(f->path);
}

/* The file grows with the kept series in proportion: each is attached to
 * /sample and to its arm's time once (H5DSattach_scale, one by one, rewrote
 * /sample's list of attached datasets at every series; past ~5400 entries the
 * list went to dense attribute storage, which kept every dropped copy: 2 arms
 * of 3000 series made a 122 MB file). Bytes per series at 3000
 * within 1.5x of those at 300. */
static void test_kept_series_linear(void **state) {
  const fixture *f = *state;
  const long small = kept_series_size(f, 300), large = kept_series_size(f, 3000);
  fprintf(stderr, "# a sweep file keeping 2 x 300 series: %ld bytes, 2 x 3000: %ld bytes\n",
          small, large);
  assert_true(large / 3000 < (small / 300) * 3 / 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_layout_in_memory, setup, teardown),
      cmocka_unit_test_setup_teardown(test_layout_on_disk, setup, teardown),
      cmocka_unit_test_setup_teardown(test_refuses_bad_rows, setup, teardown),
      cmocka_unit_test_setup_teardown(test_refuses_bad_specs, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tmp_then_rename_in_memory, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tmp_then_rename_on_disk, setup, teardown),
      cmocka_unit_test_setup_teardown(test_flushed_tmp_is_readable, setup, teardown),
      cmocka_unit_test_setup_teardown(test_killed_writer_leaves_flushed_rows, setup, teardown),
      cmocka_unit_test_setup_teardown(test_alloc_failures_in_memory, setup, teardown),
      cmocka_unit_test_setup_teardown(test_alloc_failures_on_disk, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reader_round_trip_in_memory, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reader_round_trip_on_disk, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reader_minimal_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reader_refuses_other_files, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reader_refuses_a_file_being_written, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_errors_print_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_chunk_rows, setup, teardown),
      cmocka_unit_test_setup_teardown(test_write_rows_block, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge_two_halves, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge_three_strided, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge_blocks_with_gaps, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge_many_parts, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge_one_part, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge_dealt_blocks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge_date_created, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge_refuses_duplicates_and_gaps, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge_refuses_mismatched_parts, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge_checks_tasks, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge_alloc_failures, setup, teardown),
      cmocka_unit_test_setup_teardown(test_indices_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_indices_refusals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_part_seal_in_memory, setup, teardown),
      cmocka_unit_test_setup_teardown(test_part_seal_on_disk, setup, teardown),
      cmocka_unit_test_setup_teardown(test_part_verify_refusals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_part_size_flat_in_memory, setup, teardown),
      cmocka_unit_test_setup_teardown(test_part_size_flat_on_disk, setup, teardown),
      cmocka_unit_test_setup_teardown(test_kept_series_linear, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
