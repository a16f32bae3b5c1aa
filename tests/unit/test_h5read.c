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

#include "base/alloc.h"
#include "synovia/h5.h"
#include "synovia/h5sweep.h"
#include "synovia/model.h"
#include "synovia/result.h"
#include "synovia/run.h"
#include "synovia/synovia.h"

typedef struct fixture {
  char dir[64];
  char path[128];
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  if (f == NULL) return -1;
  strcpy(f->dir, "/tmp/syn_h5read_XXXXXX");
  if (mkdtemp(f->dir) == NULL) return -1;
  snprintf(f->path, sizeof f->path, "%s/run.h5", f->dir);
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
  assert_int_equal(syn_result_attr_double(r, "last_step", 1.0 / 3.0, &err), SYN_OK);
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
        assert_true(same_bits(strtod(a->attr_texts[i], NULL), w->d)); /* %.17g round-trips */
        snprintf(want, sizeof want, "%.17g", w->d);
        assert_string_equal(a->attr_texts[i], want);
        break;
      case SYN_ATTR_INT:
        assert_int_equal(a->attr_kinds[i], SYN_H5_ATTR_INTEGER);
        assert_true(a->attr_reals[i] == (double)w->i);
        assert_true(strtoll(a->attr_texts[i], NULL, 10) == w->i);
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
  assert_null(syn_h5_reader_arm(rd, NA));
  syn_h5_reader_destroy(rd);
  assert_no_open_hdf5_objects();
}

static void test_round_trip_scenario(void **state) { round_trip(*state, 1); }
static void test_round_trip_plain(void **state) { round_trip(*state, 0); }

static void test_probe_run(void **state) {
  const fixture *f = *state;
  char path[160];
  in_dir(f, "run.h5", path, sizeof path);
  write_sample(path, 0);
  syn_h5_kind kind = 0;
  syn_error err;
  assert_int_equal(syn_h5_probe(path, &kind, &err), SYN_OK);
  assert_int_equal(kind, SYN_H5_RUN);
  assert_no_open_hdf5_objects();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_round_trip_scenario, setup, teardown),
      cmocka_unit_test_setup_teardown(test_round_trip_plain, setup, teardown),
      cmocka_unit_test_setup_teardown(test_probe_run, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
