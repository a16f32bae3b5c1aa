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
#include "synovia/h5sweep.h"

enum { NS = 12, NP = 3, NA = 2, NM = 2, NT = 4 };

typedef struct fixture {
  char dir[64];
  char path[128];
  char tmp[140];
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  if (f == NULL) return -1;
  strcpy(f->dir, "/tmp/syn_h5s_XXXXXX");
  if (mkdtemp(f->dir) == NULL) return -1;
  snprintf(f->path, sizeof f->path, "%s/sweep.h5", f->dir);
  snprintf(f->tmp, sizeof f->tmp, "%s/sweep.h5.tmp", f->dir);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  int rc = system(cmd);
  free(f);
  return rc == 0 ? 0 : -1;
}

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
 * with every row flushed before the kill (hpc.md §1.8), and no final file. */
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
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
