/* synovia — unit tests of PEtab v1 problems read by syn_fit_load (src/fit/petab*.c,
 * docs/petab.md): the resolved structure — an observable per distinct pair of
 * placeholder values, noise terms from the noise formula, log-normal from
 * observableTransformation log, scales, bounds, starts and priors from the
 * parameter table, a fixed model parameter's value in theta, a condition's
 * override, points placed at their measurement rows with datasetId as source —
 * and syn_fit_export_petab writing a problem that reads back to the same
 * structure. Objectives against closed forms and published values are in
 * tests/integration/petab.sh; bad inputs in tests/lang/reject_petab.tests. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "synovia/fit.h"
#include "synovia/problem.h"
#include "support/scratch.h"

static int setup_dir(void **state) {
  (void)state;
  return scratch_setup("test_petab");
}

static void write_problem(void) {
  scratch_write("m.model", "time unit h\nparam k = 0.3 /h\nparam p = 2 /h\nstate A = 1\nd/dt A = p - k * A\n");
  scratch_write("p.yaml", "format_version: 1\nparameter_file: par.tsv\nproblems:\n- condition_files: [cond.tsv]\n"
                          "  measurement_files: [meas.tsv]\n  observable_files: [obs.tsv]\n  sbml_files: [m.model]\n");
  scratch_write("cond.tsv", "conditionId\tp\nc1\t\nc2\t1\n");
  scratch_write("obs.tsv", "observableId\tobservableFormula\tnoiseFormula\tobservableTransformation\tnoiseDistribution\n"
                           "obsA\tobservableParameter1_obsA * A\tnoiseParameter1_obsA + noiseParameter2_obsA * obsA\tlin\tnormal\n"
                           "obsL\tA\tsigL\tlog\tnormal\n");
  scratch_write("par.tsv", "parameterId\tparameterScale\tlowerBound\tupperBound\tnominalValue\testimate\tobjectivePriorType\tobjectivePriorParameters\n"
                           "k\tlog10\t0.01\t10\t0.3\t1\tparameterScaleNormal\t-0.5;1\n"
                           "scale1\tlin\t0.1\t10\t1.5\t1\t\t\n"
                           "sigL\tlog\t0.01\t1\t\t1\t\t\n"
                           "p\tlin\t0\t5\t2.5\t0\t\t\n");
  scratch_write("meas.tsv", "observableId\tsimulationConditionId\tmeasurement\ttime\tobservableParameters\tnoiseParameters\tdatasetId\n"
                            "obsA\tc1\t6.1\t1\tscale1\t0.1;0.05\td1\n"
                            "obsA\tc2\t3.1\t2\t2\tsigL;0\td2\n"
                            "obsL\tc2\t2.6\t6\t\t\td3\n");
}

static syn_fit *load(const char *name) {
  syn_error err;
  syn_fit *f = NULL;
  syn_status st = syn_fit_load(scratch_path(name), &f, &err);
  if (st != SYN_OK) fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.col, err.message);
  assert_int_equal(st, SYN_OK);
  return f;
}

static size_t param_index(const syn_fit *f, const char *name) {
  for (size_t j = 0; j < syn_fit_param_count(f); j++)
    if (strcmp(syn_fit_param_at(f, j)->name, name) == 0) return j;
  fail_msg("no parameter %s", name);
  return 0;
}

static void test_observables_and_noise(void **state) {
  (void)state;
  write_problem();
  scratch_write("cond.tsv", "conditionId\nc1\nc2\n");
  scratch_write("par.tsv", "parameterId\tparameterScale\tlowerBound\tupperBound\tnominalValue\testimate\n"
                           "k\tlog10\t0.01\t10\t0.3\t1\nscale1\tlin\t0.1\t10\t1.5\t1\nsigL\tlog\t0.01\t1\t0.1\t1\n");
  syn_fit *f = load("p.yaml");
  assert_int_equal(syn_fit_observable_count(f), 3); /* obsA twice (its placeholders differ), obsL */
  const syn_fit_observable *a1 = syn_fit_observable_at(f, 0), *a2 = syn_fit_observable_at(f, 1);
  const syn_fit_observable *l = syn_fit_observable_at(f, 2);
  assert_string_equal(a1->name, "obsA_1");
  assert_string_equal(a2->name, "obsA_2");
  assert_string_equal(l->name, "obsL");
  assert_true(a1->add.param == SYN_FIT_NONE && fabs(a1->add.value - 0.1) < 1e-15);
  assert_true(a1->prop.param == SYN_FIT_NONE && fabs(a1->prop.value - 0.05) < 1e-15);
  assert_int_equal(a2->add.param, param_index(f, "sigL")); /* "sigL + 0 * y": the 0 dropped */
  assert_true(a2->prop.param == SYN_FIT_NONE && a2->prop.value == 0);
  assert_int_equal(l->dist, SYN_FIT_LOGNORMAL);
  assert_int_equal(a1->dist, SYN_FIT_NORMAL);
  syn_fit_destroy(f);
}

static void test_parameters_conditions_points(void **state) {
  (void)state;
  write_problem();
  scratch_write("cond.tsv", "conditionId\tA\nc1\t\nc2\t3\n");
  syn_fit *f = NULL;
  syn_error err;
  /* p is a condition column and a parameter row: refused */
  scratch_write("cond.tsv", "conditionId\tp\nc1\t\nc2\t1\n");
  assert_int_equal(syn_fit_load(scratch_path("p.yaml"), &f, &err), SYN_EINPUT);
  assert_non_null(strstr(err.message, "'p' is a column of the condition table and a row of the parameter table"));
  scratch_write("cond.tsv", "conditionId\tA\nc1\t\nc2\t3\n");
  f = load("p.yaml");
  const syn_fit_param *k = syn_fit_param_at(f, param_index(f, "k"));
  assert_int_equal(k->scale, SYN_FIT_LOG10);
  assert_true(k->lower == 0.01 && k->upper == 10 && k->has_start && k->start == 0.3);
  assert_int_equal(k->prior.kind, SYN_FIT_PRIOR_NORMAL);
  assert_true(k->prior.on_scale && k->prior.a == -0.5 && k->prior.b == 1);
  assert_false(syn_fit_param_at(f, param_index(f, "sigL"))->has_start); /* no nominalValue */
  assert_int_equal(syn_fit_param_count(f), 3);                         /* p is fixed */
  assert_int_equal(syn_fit_arm_count(f), 2);
  assert_string_equal(syn_fit_arm_name(f, 1), "c2");
  assert_int_equal(syn_fit_point_count(f), 3);
  const syn_fit_point *pt = syn_fit_point_at(f, 2);
  assert_string_equal(pt->source, "d3");
  assert_int_equal(pt->line, 4);
  assert_non_null(strstr(pt->file, "meas.tsv"));
  assert_true(pt->time == 6 && pt->value == 2.6);
  assert_string_equal(syn_fit_path(f), scratch_path("p.yaml"));
  /* theta of each arm: p fixed at the table's 2.5 in both */
  const syn_problem *pr = syn_fit_problem(f);
  size_t nfree = syn_problem_free_count(pr);
  double theta[16];
  assert_true(nfree <= 16);
  for (size_t arm = 0; arm < 2; arm++) {
    syn_fit_theta(f, arm, NULL, theta);
    int seen = 0;
    for (size_t i = 0; i < nfree; i++)
      if (strcmp(syn_problem_free_name(pr, i), "p") == 0) seen = 1, assert_true(theta[i] == 2.5);
    assert_true(seen);
  }
  syn_fit_destroy(f);
}

static void test_export_reads_back(void **state) {
  (void)state;
  write_problem();
  scratch_write("cond.tsv", "conditionId\tA\nc1\t\nc2\t3\n");
  syn_fit *f = load("p.yaml");
  syn_error err;
  assert_int_equal(syn_fit_export_petab(f, scratch_path("out"), &err), SYN_OK);
  syn_fit *g = load("out/problem.yaml");
  assert_int_equal(syn_fit_param_count(g), syn_fit_param_count(f));
  assert_int_equal(syn_fit_observable_count(g), syn_fit_observable_count(f));
  assert_int_equal(syn_fit_point_count(g), syn_fit_point_count(f));
  for (size_t j = 0; j < syn_fit_param_count(f); j++) {
    const syn_fit_param *a = syn_fit_param_at(f, j), *b = syn_fit_param_at(g, j);
    assert_string_equal(a->name, b->name);
    assert_true(a->scale == b->scale && a->lower == b->lower && a->upper == b->upper);
    assert_true(a->prior.kind == b->prior.kind && a->prior.on_scale == b->prior.on_scale);
  }
  for (size_t i = 0; i < syn_fit_point_count(f); i++) {
    const syn_fit_point *a = syn_fit_point_at(f, i), *b = syn_fit_point_at(g, i);
    assert_true(a->time == b->time && a->value == b->value && a->arm == b->arm);
  }
  syn_fit_destroy(g);
  syn_fit_destroy(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_observables_and_noise),
      cmocka_unit_test(test_parameters_conditions_points),
      cmocka_unit_test(test_export_reads_back),
  };
  return cmocka_run_group_tests(tests, setup_dir, scratch_teardown);
}
