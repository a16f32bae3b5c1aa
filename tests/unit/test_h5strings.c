/* synovia — unit tests: every string of every synovia file can be read by
 * any HDF5 client (issue 11 §2).
 *
 * rhdf5 2.42 (h5read, h5dump) and ncdf4 1.21 crash on a NULL variable-length
 * string, and h5py 3.7 on the fill value of a vlen string dataset that has
 * none. So in a run file, a sweep file (ok, failed and never-written samples,
 * chunks never allocated, in memory and on disk) and a merged file, each
 * variable-length string dataset and attribute is walked (H5Ovisit, every
 * object; H5Aiterate, every attribute) and read with the HDF5 C API: no
 * element may be a NULL pointer, and each string dataset must have a
 * user-defined fill value of "". */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "support/tmpdir.h"
#include "synovia/h5.h"
#include "synovia/h5sweep.h"
#include "synovia/result.h"
#include "synovia/synovia.h"

typedef syn_test_dir fixture;

static int setup(void **state) { return syn_test_dir_setup(state, "syn_h5str", "file.h5"); }
static int teardown(void **state) { return syn_test_dir_teardown(state); }

/* ---- the walk ------------------------------------------------------------------- */

typedef struct tally {
  size_t datasets, attrs, elements; /* vlen strings seen */
  int saw_reason;                   /* /status_reason among them */
  size_t nproblems;
  char problems[8192];              /* every object found wrong, one per line */
} tally;

static void problem(tally *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(tally *t, const char *fmt, ...) {
  size_t used = strlen(t->problems);
  va_list ap;
  va_start(ap, fmt);
  if (used + 2 < sizeof t->problems) vsnprintf(t->problems + used, sizeof t->problems - used - 1, fmt, ap);
  va_end(ap);
  used = strlen(t->problems);
  if (used + 1 < sizeof t->problems) strcat(t->problems, "\n");
  t->nproblems++;
}

static hid_t vlen_mem_type(hid_t ftype) {
  hid_t m = H5Tcopy(H5T_C_S1);
  assert_true(m >= 0);
  assert_true(H5Tset_size(m, H5T_VARIABLE) >= 0);
  assert_true(H5Tset_cset(m, H5Tget_cset(ftype)) >= 0);
  return m;
}

/* Variable-length strings only: fixed-length ones (the CLASS and NAME
 * attributes HDF5's dimension-scale API writes) cannot hold a NULL. */
static int is_vlen_string(hid_t ftype) {
  return H5Tget_class(ftype) == H5T_STRING && H5Tis_variable_str(ftype) > 0;
}

static void find_nulls(tally *t, char **v, size_t n, const char *what) {
  size_t nulls = 0, first = 0;
  for (size_t i = 0; i < n; i++)
    if (v[i] == NULL && nulls++ == 0) first = i;
  if (nulls > 0)
    problem(t, "%s: %zu of %zu elements are NULL strings (the first is %zu)", what, nulls, n,
            first);
}

static herr_t check_attr(hid_t obj, const char *name, const H5A_info_t *info, void *data) {
  (void)info;
  tally *t = data;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  assert_true(a >= 0);
  hid_t ft = H5Aget_type(a);
  if (is_vlen_string(ft)) {
    hid_t sp = H5Aget_space(a);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    assert_true(n >= 1);
    char **v = calloc((size_t)n, sizeof *v);
    hid_t m = vlen_mem_type(ft);
    assert_true(H5Aread(a, m, v) >= 0);
    find_nulls(t, v, (size_t)n, name);
    t->attrs++;
    t->elements += (size_t)n;
    H5Dvlen_reclaim(m, sp, H5P_DEFAULT, v);
    free(v);
    H5Tclose(m);
    H5Sclose(sp);
  }
  H5Tclose(ft);
  H5Aclose(a);
  return 0;
}

/* All elements of a vlen string dataset non-NULL; its fill value is "". */
static void check_string_dataset(hid_t d, hid_t ft, const char *name, tally *t) {
  hid_t sp = H5Dget_space(d);
  hssize_t n = H5Sget_simple_extent_npoints(sp);
  hid_t m = vlen_mem_type(ft);
  if (n > 0) {
    char **v = calloc((size_t)n, sizeof *v);
    assert_true(H5Dread(d, m, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    find_nulls(t, v, (size_t)n, name);
    H5Dvlen_reclaim(m, sp, H5P_DEFAULT, v);
    free(v);
    t->elements += (size_t)n;
  }
  hid_t p = H5Dget_create_plist(d);
  H5D_fill_value_t how;
  assert_true(H5Pfill_value_defined(p, &how) >= 0);
  char *fill = NULL;
  if (how != H5D_FILL_VALUE_USER_DEFINED)
    problem(t, "%s: no fill value of its own (a NULL string)", name);
  else if (H5Pget_fill_value(p, m, &fill) < 0 || fill == NULL)
    problem(t, "%s: the fill value is a NULL string", name);
  else if (strcmp(fill, "") != 0)
    problem(t, "%s: the fill value is '%s', not \"\"", name, fill);
  if (fill != NULL) H5free_memory(fill);
  H5Pclose(p);
  H5Tclose(m);
  H5Sclose(sp);
  t->datasets++;
  if (strcmp(name, "status_reason") == 0) t->saw_reason = 1;
}

static herr_t check_object(hid_t root, const char *name, const H5O_info_t *info, void *data) {
  tally *t = data;
  hid_t o = H5Oopen(root, name, H5P_DEFAULT);
  assert_true(o >= 0);
  if (info->type == H5O_TYPE_DATASET) {
    hid_t ft = H5Dget_type(o);
    if (is_vlen_string(ft)) check_string_dataset(o, ft, name, t);
    H5Tclose(ft);
  }
  hsize_t idx = 0;
  assert_true(H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, &idx, check_attr, t) >= 0);
  H5Oclose(o);
  return 0;
}

static tally check_file(const char *path) {
  tally t;
  memset(&t, 0, sizeof t);
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  assert_true(f >= 0);
  assert_true(H5Ovisit2(f, H5_INDEX_NAME, H5_ITER_INC, check_object, &t, H5O_INFO_BASIC) >= 0);
  H5Fclose(f);
  assert_int_equal(H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
  if (t.nproblems > 0) fail_msg("%zu strings a reader may crash on:\n%s", t.nproblems, t.problems);
  return t;
}

/* ---- a run file ------------------------------------------------------------------- */

static const char *const PROV_PATHS[] = {"s.scenario", "m.model"};
static const char *const PROV_TEXTS[] = {"arm \"A\"\n", "model m\n"};

static syn_provenance make_prov(void) {
  syn_provenance p = {"", "synovia run s.scenario", "ab12", 2, PROV_PATHS, PROV_TEXTS,
                      NULL,  "cd34", "s.scenario"};
  return p;
}

static syn_result *make_result(void) {
  static const syn_series_info info[] = {{"X", "mg", "", SYN_SERIES_STATE},
                                         {"Y", "", "an output", SYN_SERIES_OUTPUT}};
  syn_result *r = NULL;
  syn_error err;
  assert_int_equal(syn_result_create(2, info, 4, "h", &r, &err), SYN_OK);
  for (int k = 0; k < 3; k++) {
    double v[2] = {k, 2.0 * k};
    assert_int_equal(syn_result_append(r, k, v, &err), SYN_OK);
  }
  assert_int_equal(syn_result_attr_string(r, "jacobian", "", &err), SYN_OK);
  assert_int_equal(syn_result_add_param(r, "k", "", 0.5, &err), SYN_OK);
  const syn_dose_record iv = {0.0, 10.0, 0.0, "IV", "X", "", ""};
  const syn_dose_record ia = {1.0, 2.0, 0.5, "IA", "X", "knee", "mg"};
  assert_int_equal(syn_result_add_dose(r, &iv, &err), SYN_OK);
  assert_int_equal(syn_result_add_dose(r, &ia, &err), SYN_OK);
  assert_int_equal(syn_result_add_metric(r, "auc", "", "", 1.0, &err), SYN_OK);
  assert_int_equal(syn_result_add_metric(r, "peak", "mg", "the highest X", NAN, &err), SYN_OK);
  return r;
}

static void test_run_file(void **state) {
  fixture *f = *state;
  syn_provenance prov = make_prov();
  syn_result *r = make_result();
  syn_h5 *h = NULL;
  syn_error err;
  assert_int_equal(syn_h5_create(f->path, &prov, &h, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "A", r, &err), SYN_OK);
  assert_int_equal(syn_h5_write_arm(h, "B", r, &err), SYN_OK);
  assert_int_equal(syn_h5_commit(h, &err), SYN_OK);
  syn_h5_destroy(h);
  syn_result_destroy(r);
  tally t = check_file(f->path);
  /* provenance (2), per arm param, param_units, 4 dose texts, 3 metric texts
   * (x 2 arms), /metrics arm, metric, units, description */
  assert_int_equal(t.datasets, 2 + 2 * (2 + 4 + 3) + 4);
  assert_int_equal(t.attrs, 0); /* text attributes are fixed-length (issue 12) */
}

/* ---- sweep files ------------------------------------------------------------------ */

enum { NS = 40, NP = 2, NA = 2, NM = 1, NT = 3 };

static const char *const PARAMS[NP] = {"k", "V"};
static const char *const PARAM_UNITS[NP] = {"/h", NULL};
static const char *const DISTS[NP] = {"uniform 0 1", NULL};
static const char *const ARMS[NA] = {"slow", "slow - fast"};
static const char *const METRICS[NM] = {"auc"};
static const char *const SERIES[1] = {"X"};
static const double TIMES[NT] = {0.0, 1.0, 2.0};

static syn_h5sweep_spec make_spec(const syn_provenance *prov, size_t memory_limit) {
  syn_h5sweep_spec s;
  memset(&s, 0, sizeof s);
  s.prov = prov;
  s.design = "lhs";
  s.config_sha256 = "c0ffee";
  s.nsamples = NS;
  s.nparams = NP;
  s.param_names = PARAMS;
  s.param_units = PARAM_UNITS;
  s.param_distribution = DISTS;
  s.narms = NA;
  s.arm_names = ARMS;
  s.nmetrics = NM;
  s.metric_names = METRICS;
  s.nseries = 1;
  s.series_names = SERIES;
  s.ntimes = NT;
  s.times = TIMES;
  s.memory_limit = memory_limit;
  s.chunk_rows = 4; /* rows 24..39 are never written: whole chunks without storage */
  return s;
}

/* Sample i, when `mine` says this writer has it: 3, 7 and 8 fail (7 with an
 * empty reason), every other fifth row is skipped, the rest are ok. */
static int written(size_t i) { return i < 24 && (i % 5 != 4 || i == 4); }

static void write_rows(syn_h5sweep *h, int (*mine)(size_t)) {
  syn_error err;
  for (size_t i = 0; i < NS; i++) {
    if (!written(i) || !mine(i)) continue;
    const double p[NP] = {(double)i, 1.0}, m[NA * NM] = {(double)i, -(double)i};
    const double tr[NA * NT] = {0, 1, 2, 0, -1, -2};
    const int failed = i == 3 || i == 7 || i == 8;
    const char *reason = i == 3 ? "arm 'slow': CVODE gave up" : i == 8 ? "arm 'slow': NaN" : i == 7 ? "" : NULL;
    assert_int_equal(syn_h5sweep_write_sample(h, i, p, failed ? SYN_SWEEP_ERROR : SYN_SWEEP_OK,
                                              reason, m, tr, &err),
                     SYN_OK);
  }
}

static int every_row(size_t i) { return (int)(i + 1); }
static int low_rows(size_t i) { return i < 10; }
static int high_rows(size_t i) { return i >= 10; }

static void write_sweep(const char *path, size_t memory_limit, int (*mine)(size_t), int part) {
  syn_provenance prov = make_prov();
  syn_h5sweep_spec s = make_spec(&prov, memory_limit);
  s.part = part;
  syn_h5sweep *h = NULL;
  syn_error err;
  assert_int_equal(syn_h5sweep_create(path, &s, &h, &err), SYN_OK);
  write_rows(h, mine);
  assert_int_equal(syn_h5sweep_commit(h, &err), SYN_OK);
  syn_h5sweep_destroy(h);
}

/* param, param_units, param_distribution, status_reason, 2 x (metric,
 * metric_units), provenance file and text */
enum { SWEEP_STRING_DATASETS = 4 + 2 * NA + 2 };

static void sweep_file(const fixture *f, size_t memory_limit) {
  write_sweep(f->path, memory_limit, every_row, 0);
  tally t = check_file(f->path);
  assert_int_equal(t.datasets, SWEEP_STRING_DATASETS);
  assert_true(t.saw_reason && t.attrs == 0);
}

static void test_sweep_file_in_memory(void **state) { sweep_file(*state, 0); }
static void test_sweep_file_on_disk(void **state) { sweep_file(*state, 1); }

/* A merge of two parts (the failed rows all in the first, a part file of a
 * sweep run, whose unwritten rows are NULL: syn_h5sweep_spec.part). */
static void test_merged_file(void **state) {
  fixture *f = *state;
  char a[160], b[160];
  snprintf(a, sizeof a, "%s/a.h5", f->dir);
  snprintf(b, sizeof b, "%s/b.h5", f->dir);
  write_sweep(a, 0, low_rows, 1);
  write_sweep(b, 1, high_rows, 0);
  const char *parts[] = {a, b};
  syn_h5sweep_merge_opts o;
  memset(&o, 0, sizeof o);
  syn_h5sweep *h = NULL;
  syn_error err;
  assert_int_equal(syn_h5sweep_merge(f->path, parts, 2, &o, &h, &err), SYN_OK);
  assert_int_equal(syn_h5sweep_commit(h, &err), SYN_OK);
  syn_h5sweep_destroy(h);
  tally t = check_file(f->path);
  assert_int_equal(t.datasets, SWEEP_STRING_DATASETS);
  assert_true(t.saw_reason);
}

static hsize_t reason_storage(const char *path) {
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, "status_reason", H5P_DEFAULT);
  assert_true(f >= 0 && d >= 0);
  hsize_t n = H5Dget_storage_size(d);
  H5Dclose(d);
  H5Fclose(f);
  return n;
}

/* A part of a sweep run (syn_h5sweep_spec.part) keeps /status_reason sparse:
 * storage for the chunks of its own rows only, as before, so that a rank's
 * parts cost what they hold; every other file allocates all of it. */
static void test_part_reasons_stay_sparse(void **state) {
  fixture *f = *state;
  char part[160], whole[160];
  snprintf(part, sizeof part, "%s/part.h5", f->dir);
  snprintf(whole, sizeof whole, "%s/whole.h5", f->dir);
  write_sweep(part, 0, low_rows, 1);
  write_sweep(whole, 0, low_rows, 0);
  const hsize_t p = reason_storage(part), w = reason_storage(whole);
  assert_true(p > 0 && 3 * p <= w); /* rows 0..9 of 40: 3 chunks of 4 rows of 10 */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_run_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sweep_file_in_memory, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sweep_file_on_disk, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merged_file, setup, teardown),
      cmocka_unit_test_setup_teardown(test_part_reasons_stay_sparse, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
