/* synovia — unit test: how many times an evaluation with sensitivities and
 * metrics integrates the arm (ws->runs, src/problem/problem_impl.h). The
 * gradients of metric calls read at points their window fixes before the
 * run (at, auc, change) come from the first run, with the series'
 * sensitivities; only extremes and crossings (read where the run finds them)
 * take a second run with sensitivities, and metrics whose windows or levels
 * come from other metrics one rerun per round, without. The counts are the
 * design's, so that the saving cannot silently go away. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "problem/problem_impl.h"
#include "synovia/model.h"
#include "synovia/problem.h"
#include "synovia/scenario.h"

/* The runs of one evaluation of arm 0 with every free parameter
 * differentiated (sens = 1) or none, and the metrics named in keep (NULL:
 * all). */
static size_t runs_of(const char *path, const char *keep, int sens) {
  static const char *const names[2] = {"k_IL6", "k_TNF"};
  syn_scenario *s = NULL;
  syn_problem *p = NULL;
  syn_problem_ws *ws = NULL;
  syn_error err;
  if (syn_scenario_load(path, &s, &err) != SYN_OK ||
      syn_problem_create(s, NULL, 0, names, 2, NULL, &p, &err) != SYN_OK ||
      syn_problem_ws_create(p, &ws, &err) != SYN_OK)
    fail_msg("%s: %s", path, err.message);
  const syn_model *m = syn_scenario_model(s);
  double theta[2];
  for (size_t i = 0; i < 2; i++) {
    size_t index;
    assert_true(syn_model_find(m, names[i], NULL, &index));
    theta[i] = syn_model_symbol(m, SYN_SYM_PARAM, index)->value;
  }
  unsigned char kept[64] = {0};
  size_t nm = syn_scenario_metric_count(s);
  assert_true(nm <= sizeof kept);
  for (size_t i = 0; keep != NULL && i < nm; i++)
    kept[i] = strcmp(syn_scenario_metric_name(s, i), keep) == 0;
  syn_problem_want w = {0, keep ? kept : NULL, NULL, 0, NULL, NULL,
                        sens ? SYN_PROBLEM_SENS_ALL : 0, NULL, NULL};
  syn_problem_result r;
  size_t before = ws->runs;
  if (syn_problem_eval(ws, 0, theta, &w, &r, &err) != SYN_OK) fail_msg("%s", err.message);
  size_t runs = ws->runs - before;
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_scenario_destroy(s);
  return runs;
}

/* at, auc and change only: one run gives values, series sensitivities and
 * gradients. */
static void test_fixed_points_take_one_run(void **state) {
  (void)state;
  assert_int_equal(runs_of("examples/knee_ia_vs_iv.scenario", NULL, 1), 1);
  assert_int_equal(runs_of("examples/knee_ia_vs_iv.scenario", NULL, 0), 1);
  assert_int_equal(runs_of("examples/knee_ia_vs_iv.scenario", "pain_change_90d", 1), 1);
}

/* An extreme's argmax is known at the end: one more run with sensitivities. */
static void test_extremes_take_a_second_run(void **state) {
  (void)state;
  assert_int_equal(runs_of("examples/pain_vs_structure.scenario", "pain_tmin", 1), 2);
  assert_int_equal(runs_of("examples/pain_vs_structure.scenario", "pain_tmin", 0), 1);
}

/* A later round (a level from another metric) reruns for its value only:
 * its gradient is NaN, and the round-0 calls' come from the first run. */
static void test_later_rounds_rerun_once(void **state) {
  (void)state;
  assert_int_equal(runs_of("examples/repeated_ia.scenario", NULL, 1), 2);
  assert_int_equal(runs_of("examples/repeated_ia.scenario", NULL, 0), 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fixed_points_take_one_run),
      cmocka_unit_test(test_extremes_take_a_second_run),
      cmocka_unit_test(test_later_rounds_rerun_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
