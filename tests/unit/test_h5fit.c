/* synovia — unit tests: the fit file's /observable table (include/synovia/h5fit.h)
 * written by syn_h5fit_write and read back by syn_h5fit_read, every column
 * as given; a file without the table reads back with nobs 0. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "support/tmpdir.h"
#include "synovia/h5fit.h"

static int setup(void **state) { return syn_test_dir_setup(state, "syn_h5fit", "fit.h5"); }
static int teardown(void **state) { return syn_test_dir_teardown(state); }

static const char *const obs_name[] = {"IL6", "VAS"}, *const obs_formula[] = {"knee.IL6", "pain"};
static const char *const obs_units[] = {"pg/mL", ""}, *const obs_dist[] = {"lognormal", "normal"};
static const char *const obs_sd[] = {"data", "sigma + 0.1 * y"};

/* A fit file of one start, one parameter and one data point; obs may be NULL. */
static syn_status write_fit(const char *path, const syn_h5fit_observables *obs) {
  static const char *const paths[] = {"x.fit"}, *const texts[] = {"fit text"};
  static const char *const pname[] = {"k"}, *const pscale[] = {"log10"}, *const status[] = {"ok"};
  static const char *const arm[] = {"a"}, *const observable[] = {"VAS"};
  static const double lo[] = {0.1}, hi[] = {10}, est[] = {1}, obj[] = {3}, t[] = {1}, v[] = {2},
                      sd[] = {NAN}, fitted[] = {2.5}, resid[] = {-0.5};
  static const long long iter[] = {4}, evals[] = {5};
  syn_provenance prov = {"t", "", "", 1, paths, texts, NULL, "", "x.scenario"};
  syn_h5fit_data d = {&prov, "fit text", "lm", 1, 1, 1, 1, pname, pscale, lo, hi, est, est,
                      est, obj, status, iter, evals, 0, 3.0, arm, observable, t, v, sd, fitted,
                      resid, NULL, NULL, NULL, obs, 2.5};
  syn_error err;
  return syn_h5fit_write(path, &d, &err);
}

static void observables_read_back(void **state) {
  syn_test_dir *f = *state;
  syn_h5fit_observables obs = {2, obs_name, obs_formula, obs_units, obs_dist, obs_sd};
  assert_int_equal(write_fit(f->path, &obs), SYN_OK);
  syn_h5fit_file *h = NULL;
  syn_error err;
  assert_int_equal(syn_h5fit_read(f->path, &h, &err), SYN_OK);
  assert_int_equal(h->nobs, 2);
  assert_true(h->chi2 == 2.5);
  for (size_t i = 0; i < 2; i++) {
    assert_string_equal(h->obs_name[i], obs_name[i]);
    assert_string_equal(h->obs_formula[i], obs_formula[i]);
    assert_string_equal(h->obs_units[i], obs_units[i]);
    assert_string_equal(h->obs_distribution[i], obs_dist[i]);
    assert_string_equal(h->obs_sd_model[i], obs_sd[i]);
  }
  syn_h5fit_file_destroy(h);
}

static void no_table_reads_as_none(void **state) {
  syn_test_dir *f = *state;
  assert_int_equal(write_fit(f->path, NULL), SYN_OK);
  syn_h5fit_file *h = NULL;
  syn_error err;
  assert_int_equal(syn_h5fit_read(f->path, &h, &err), SYN_OK);
  assert_int_equal(h->nobs, 0);
  assert_null(h->obs_name);
  syn_h5fit_file_destroy(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(observables_read_back, setup, teardown),
      cmocka_unit_test_setup_teardown(no_table_reads_as_none, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
