/* synovia — unit test: one workspace, evaluations that change the number of
 * sensitivities and the corrector between them (syn_solver_sens_start
 * reallocates CVODES' sensitivity memory for another count and the
 * staggered corrector's Newton solver built on the sensitivities' vectors,
 * src/solve/solver.c: sens_init / sens_free), give bit for bit what a fresh
 * workspace gives for the same request, series, sensitivities and metric
 * gradients. The sequence goes staggered -> simultaneous with another count
 * -> staggered with that count: the step where CVODES could be left
 * pointing at a freed solver (run under AddressSanitizer by the asan build). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "synovia/model.h"
#include "synovia/problem.h"
#include "synovia/scenario.h"

static const char *const SCENARIO = "examples/knee_ia_vs_iv.scenario";
static const char *const NAMES[5] = {"k_TNF", "k_IL6", "a_cyt", "K_IL10", "k_MMP"};

typedef struct request {
  size_t nsens; /* SYN_PROBLEM_SENS_ALL or a count of SEL's first entries */
  int simultaneous, error_control;
} request;

static const size_t SEL[3] = {4, 0, 2};

static double theta[5]; /* the parameters' values in the model */

static void eval(syn_problem_ws *ws, const request *q, syn_problem_result *r) {
  syn_sens_opts o = {q->simultaneous, q->error_control};
  syn_problem_want w = {1, NULL, NULL, 0, NULL, SEL, q->nsens, NULL, &o};
  syn_error err;
  if (syn_problem_eval(ws, 1, theta, &w, r, &err) != SYN_OK) fail_msg("%s", err.message);
}

static void same(const double *a, const double *b, size_t n, const char *what, size_t step) {
  if (n > 0 && memcmp(a, b, n * sizeof *a) != 0)
    fail_msg("step %zu: %s differ from a fresh workspace's", step, what);
}

static void test_counts_and_correctors_on_one_workspace(void **state) {
  (void)state;
  syn_scenario *s = NULL;
  syn_problem *p = NULL;
  syn_problem_ws *ws = NULL;
  syn_error err;
  if (syn_scenario_load(SCENARIO, &s, &err) != SYN_OK ||
      syn_problem_create(s, NULL, 0, NAMES, 5, NULL, &p, &err) != SYN_OK ||
      syn_problem_ws_create(p, &ws, &err) != SYN_OK)
    fail_msg("%s: %s", SCENARIO, err.message);
  const syn_model *m = syn_scenario_model(s);
  for (size_t i = 0; i < 5; i++) {
    size_t index;
    assert_true(syn_model_find(m, NAMES[i], NULL, &index));
    theta[i] = syn_model_symbol(m, SYN_SYM_PARAM, index)->value;
  }
  const request seq[] = {{SYN_PROBLEM_SENS_ALL, 0, 1}, {3, 1, 1}, {3, 0, 1}, {1, 0, 0},
                         {1, 1, 0},                    {SYN_PROBLEM_SENS_ALL, 1, 1},
                         {SYN_PROBLEM_SENS_ALL, 0, 1}};
  size_t nm = syn_scenario_metric_count(s);
  for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
    syn_problem_result r, f;
    syn_problem_ws *fresh = NULL;
    eval(ws, &seq[i], &r);
    assert_int_equal(syn_problem_ws_create(p, &fresh, &err), SYN_OK);
    eval(fresh, &seq[i], &f);
    assert_int_equal(r.nsens, f.nsens);
    assert_int_equal(r.nsens, seq[i].nsens == SYN_PROBLEM_SENS_ALL ? 5 : seq[i].nsens);
    same(r.series, f.series, r.ntimes * r.nseries, "the series", i);
    same(r.sens, f.sens, r.nsens * r.ntimes * r.nseries, "the sensitivities", i);
    same(r.dmetrics, f.dmetrics, nm * r.nsens, "the metric gradients", i);
    syn_problem_ws_destroy(fresh);
  }
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_scenario_destroy(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_counts_and_correctors_on_one_workspace),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
