/* synovia — unit tests of the scenario parser (src/lang/scenario_parser.c):
 * the statements and their AST, expressions with units and qualified names,
 * and every syntax error path with its exact, located message. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "lang/scenario_ast.h"

static syn_scenario_ast *parse(const char *text, syn_error *err, syn_status want) {
  syn_scenario_ast *a = NULL;
  syn_status st = syn_scenario_parse_text("t.scenario", text, strlen(text), &a, err);
  if (st != want) fprintf(stderr, "unexpected status %d: %s\n", st, err->message);
  assert_int_equal(st, want);
  assert_true((a != NULL) == (st == SYN_OK));
  return a;
}

static void check_error(const char *text, const char *message, int line, int col) {
  syn_error err;
  syn_scenario_ast *a = parse(text, &err, SYN_EINPUT);
  assert_null(a);
  if (strcmp(err.message, message) != 0 || err.line != line || err.col != col)
    fprintf(stderr, "got: %d:%d: %s\n", err.line, err.col, err.message);
  assert_string_equal(err.message, message);
  assert_int_equal(err.line, line);
  assert_int_equal(err.col, col);
}

static void print(const ast_expr *e, char *buf, size_t n) { syn_ast_print(e, buf, n); }

static void assert_expr(const ast_expr *e, const char *want) {
  char got[512];
  assert_non_null(e);
  print(e, got, sizeof got);
  if (strcmp(got, want) != 0) fprintf(stderr, "got %s, want %s\n", got, want);
  assert_string_equal(got, want);
}

static const char full[] =
    "# a comment\n"
    "scenario \"IA vs IV in knee OA\"\n"
    "model \"../models/knee_oa.model\"\n"
    "simulate 0 d to 180 d every 6 h\n"
    "baseline steady\n"
    "set severity = 1.2\n"
    "use early_OA\n"
    "arm \"control\"\n"
    "arm \"IA UC-MSC\"\n"
    "  dose IA 50e6 cells at 0 d\n"
    "arm \"IV then IA\"\n"
    "  use autologous\n"
    "  dose IV 100e6 cells at 0 d over 1 h\n"
    "  dose IA 25e6 cells at 14 d every 28 d times 3 into knee_R\n"
    "  set knee_R.severity = 1.5\n"
    "metric IL6_auc_28d = auc(IL6, 0 d, 28 d)     \"IL-6 exposure over four weeks\"\n"
    "metric time_to_half = time_below(knee_R.TNF, 0.5 * at(TNF, 0 d))\n";

static void test_full_example(void **state) {
  (void)state;
  syn_error err;
  syn_scenario_ast *a = parse(full, &err, SYN_OK);
  assert_string_equal(a->title, "IA vs IV in knee OA");
  assert_string_equal(a->model_path, "../models/knee_oa.model");
  assert_expr(a->t_start, "0 [d]");
  assert_expr(a->t_end, "180 [d]");
  assert_expr(a->every, "6 [h]");
  assert_int_equal(a->baseline, BASELINE_STEADY);
  assert_int_equal(a->ncommon, 2);
  assert_int_equal(a->common[0].kind, ARM_SET);
  assert_string_equal(a->common[0].name, "severity");
  assert_expr(a->common[0].value, "1.2");
  assert_int_equal(a->common[1].kind, ARM_USE);
  assert_string_equal(a->common[1].name, "early_OA");
  assert_int_equal(a->narms, 3);
  assert_string_equal(a->arms[0].name, "control");
  assert_int_equal(a->arms[0].nitems, 0);
  assert_string_equal(a->arms[1].name, "IA UC-MSC");
  assert_int_equal(a->arms[1].nitems, 1);
  const ast_dose *d = &a->arms[1].items[0].dose;
  assert_string_equal(d->route, "IA");
  assert_expr(d->amount, "50000000 [cells]");
  assert_expr(d->at, "0 [d]");
  assert_null(d->over);
  assert_null(d->every);
  assert_null(d->into);
  const ast_arm *arm = &a->arms[2];
  assert_int_equal(arm->nitems, 4);
  assert_int_equal(arm->items[0].kind, ARM_USE);
  assert_string_equal(arm->items[0].name, "autologous");
  d = &arm->items[1].dose;
  assert_string_equal(d->route, "IV");
  assert_expr(d->over, "1 [h]");
  d = &arm->items[2].dose;
  assert_expr(d->at, "14 [d]");
  assert_expr(d->every, "28 [d]");
  assert_expr(d->times, "3");
  assert_string_equal(d->into, "knee_R");
  assert_int_equal(arm->items[3].kind, ARM_SET);
  assert_string_equal(arm->items[3].name, "knee_R.severity");
  assert_int_equal(a->nmetrics, 2);
  assert_string_equal(a->metrics[0].name, "IL6_auc_28d");
  assert_string_equal(a->metrics[0].description, "IL-6 exposure over four weeks");
  assert_expr(a->metrics[0].value, "(auc IL6 0 [d] 28 [d])");
  assert_null(a->metrics[1].description);
  assert_expr(a->metrics[1].value, "(time_below knee_R.TNF (* 0.5 (at TNF 0 [d])))");
  syn_scenario_ast_destroy(a);
}

static void test_spans_and_defaults(void **state) {
  (void)state;
  syn_error err;
  syn_scenario_ast *a = parse("model \"m.model\"\narm x\n dose IV 1 at 2\n", &err, SYN_OK);
  assert_null(a->title);
  assert_null(a->t_start);
  assert_int_equal(a->baseline, BASELINE_DECLARED);
  assert_string_equal(a->arms[0].name, "x");
  const ast_dose *d = &a->arms[0].items[0].dose;
  assert_int_equal(d->span.off, 23);
  assert_int_equal(d->route_span.off, 28);
  assert_int_equal(d->route_span.len, 2);
  assert_int_equal(a->model_span.off, 6);
  syn_scenario_ast_destroy(a);
}

static void test_expressions(void **state) {
  (void)state;
  syn_error err;
  syn_scenario_ast *a =
      parse("metric a = -max(X) + 2 * (min(Y, 1 h, 2 h) - 3) / 4 ^ 2 ^ 1\n"
            "metric b =\n  auc(k.X, 0 /d, 1 mg/mL)\n"
            "metric c = change(X, 0 d,\n   7 d)\n",
            &err, SYN_OK);
  assert_expr(a->metrics[0].value, "(+ (- (max X)) (/ (* 2 (- (min Y 1 [h] 2 [h]) 3)) (^ 4 (^ 2 1))))");
  assert_expr(a->metrics[1].value, "(auc k.X 0 [/d] 1 [mg/mL])");
  assert_expr(a->metrics[2].value, "(change X 0 [d] 7 [d])");
  syn_scenario_ast_destroy(a);
}

static void test_clause_order_and_baseline(void **state) {
  (void)state;
  syn_error err;
  syn_scenario_ast *a = parse("baseline 0\narm \"a\"\ndose IA 1 mg at 1 d into L every 2 d times 2 over 3 h\n",
                              &err, SYN_OK);
  assert_int_equal(a->baseline, BASELINE_DECLARED);
  const ast_dose *d = &a->arms[0].items[0].dose;
  assert_string_equal(d->into, "L");
  assert_expr(d->every, "2 [d]");
  assert_expr(d->over, "3 [h]");
  syn_scenario_ast_destroy(a);
}

static void test_arm_after_metric(void **state) {
  (void)state;
  syn_error err;
  syn_scenario_ast *a = parse("arm a\nmetric m = max(X)\narm b\ndose IV 1 at 0\n", &err, SYN_OK);
  assert_int_equal(a->narms, 2);
  assert_int_equal(a->arms[1].nitems, 1);
  syn_scenario_ast_destroy(a);
}

static void test_errors_statements(void **state) {
  (void)state;
  check_error("arm a\ndsoe IA 1 at 0\n", "unknown statement 'dsoe' (did you mean 'dose'?)", 2, 1);
  check_error("frobnicate x\n", "unknown statement 'frobnicate'", 1, 1);
  check_error("simulat 0 to 1 every 1\n", "unknown statement 'simulat' (did you mean 'simulate'?)",
              1, 1);
  check_error("42\n", "expected a statement, found '42'", 1, 1);
  check_error("model \"a\"\nmodel \"b\"\n", "'model' is already given on line 1", 2, 1);
  check_error("model \"\"\n", "the model path is empty", 1, 7);
  check_error("model m\n", "expected string, found 'm'", 1, 7);
  check_error("scenario \"a\"\nscenario \"b\"\n", "'scenario' is already given on line 1", 2, 1);
  check_error("simulate 0 to 1 every 1\nsimulate 0 to 1 every 1\n",
              "'simulate' is already given on line 1", 2, 1);
  check_error("baseline 0\nbaseline steady\n", "'baseline' is already given on line 1", 2, 1);
  check_error("baseline stedy\n", "unknown baseline 'stedy' (did you mean 'steady'?)", 1, 10);
  check_error("baseline 1\n", "expected 'steady' or 0 after 'baseline', found '1'", 1, 10);
  check_error("arm\n", "expected the arm's name (a string, e.g. arm \"control\"), found end of line",
              1, 4);
  check_error("arm \"\"\n", "the arm name is empty", 1, 5);
  check_error("arm a b\n", "expected end of line, found 'b'", 1, 7);
  check_error("use\n", "expected the name of a preset, found end of line", 1, 4);
  check_error("set x 3\n", "expected '=', found '3'", 1, 7);
  check_error("set = 3\n", "expected name, found '='", 1, 5);
  check_error("metric = 3\n", "expected the metric's name, found '='", 1, 8);
  check_error("metric m 3\n", "expected '=', found '3'", 1, 10);
  check_error("metric m = \"x\"\n", "expected expression, found '\"x\"'", 1, 12);
  check_error("metric m = max(X\n", "expected ',' or ')', found end of file", 1, 17);
  check_error("arm a\nmetric m = max(X)\nuse p\n", "'use' after a metric: it belongs to no arm", 3,
              1);
  check_error("arm a\nmetric m = max(X)\nset k = 1\n", "'set' after a metric: it belongs to no arm",
              3, 1);
}

/* `sensitivities a, b.c, "dose:ARM:R.amount"`: names in order, spans; once. */
static void test_sensitivities_line(void **state) {
  (void)state;
  syn_error err;
  syn_scenario_ast *a = parse("sensitivities k, knee_R.severity , \"dose:IA arm:IA.amount\"\n"
                              "arm \"x\"\n", &err, SYN_OK);
  assert_int_equal(a->nsens, 3);
  assert_string_equal(a->sens[0].name, "k");
  assert_string_equal(a->sens[1].name, "knee_R.severity");
  assert_string_equal(a->sens[2].name, "dose:IA arm:IA.amount");
  syn_scenario_ast_destroy(a);
  check_error("sensitivities\n", "expected a parameter's name, found end of line", 1, 14);
  check_error("sensitivities k,\n", "expected a parameter's name, found end of line", 1, 17);
  check_error("sensitivities k l\n", "expected end of line, found 'l'", 1, 17);
  check_error("sensitivities \"\"\n", "the name is empty", 1, 15);
  check_error("sensitivities k\nsensitivities l\n", "'sensitivities' is already given on line 1",
              2, 1);
  check_error("sensitivitys k\n", "unknown statement 'sensitivitys' (did you mean "
                                  "'sensitivities'?)", 1, 1);
}

static void test_errors_simulate(void **state) {
  (void)state;
  check_error("simulate 0 d 180 d every 1 d\n",
              "expected 'to' and the end time (simulate 0 d to 180 d every 1 d), found '180'", 1,
              14);
  check_error("simulate 0 d to 180 d\n",
              "expected 'every' and the output spacing (simulate 0 d to 180 d every 1 d), found "
              "end of line",
              1, 22);
  check_error("simulate 0 dd to 1 d every 1 d\n", "unknown unit 'dd' (did you mean 'd'?)", 1, 12);
  check_error("simulate 0 d tu 1 d every 1 d\n", "unexpected 'tu' (did you mean 'to'?)", 1, 14);
}

static void test_errors_dose(void **state) {
  (void)state;
  check_error("dose IA 1 at 0\n", "a dose before the first arm: doses belong to an arm", 1, 1);
  check_error("arm a\nmetric m = max(X)\ndose IA 1 at 0\n",
              "'dose' after a metric: it belongs to no arm", 3, 1);
  check_error("arm a\ndose IA 1 mg 0 d\n", "expected 'at' and the time of the dose, found '0'", 2,
              14);
}

static void test_errors_dose_clauses(void **state) {
  (void)state;
  check_error("arm a\ndose IA 1 mg\n", "expected 'at' and the time of the dose, found end of line",
              2, 13);
  check_error("arm a\ndose IA 1 mg att 0 d\n", "unexpected 'att' (did you mean 'at'?)", 2, 14);
  check_error("arm a\ndose IA at 0 d\n", "expected the amount of the dose, found 'at'", 2, 9);
  check_error("arm a\ndose 5 mg at 0 d\n",
              "expected the name of a route (dose IV 5 mg at 0 d), found '5'", 2, 6);
  check_error("arm a\ndose IA 1 at 0 every 1 d times 0\n",
              "'times' must be a whole number of doses, at least 1 (found 0)", 2, 32);
  check_error("arm a\ndose IA 1 at 0 every 1 d times 2.5\n",
              "'times' must be a whole number of doses, at least 1 (found 2.5)", 2, 32);
  check_error("arm a\ndose IA 1 at 0 every 1 d times 2 d\n",
              "'times' takes a number of doses, without a unit", 2, 32);
  check_error("arm a\ndose IA 1 at 0 every 1 d\n",
              "expected 'times' and the number of doses after 'every', found end of line", 2, 25);
  check_error("arm a\ndose IA 1 at 0 times 3\n", "'times' without 'every'", 2, 16);
  check_error("arm a\ndose IA 1 at 0 over 1 h over 2 h\n", "'over' is given twice in this dose", 2,
              25);
  check_error("arm a\ndose IA 1 at 0 into L into R\n", "'into' is given twice in this dose", 2, 23);
  check_error("arm a\ndose IA 1 at 0 into 3\n", "expected the name of a joint, found '3'", 2, 21);
  check_error("arm a\ndose IA 1 at 0 every 1 times 2 every 1 times 2\n",
              "'every' is given twice in this dose", 2, 32);
}

static void test_lexical_error_and_file(void **state) {
  (void)state;
  check_error("arm a\ndose IA 1 at 0 $\n", "unexpected character '$'", 2, 16);
  syn_error err;
  syn_scenario_ast *a = NULL;
  assert_int_equal(syn_scenario_parse_file("/nonexistent/x.scenario", &a, &err), SYN_EIO);
  assert_null(a);
  char path[] = "/tmp/scn_parse_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  const char text[] = "model \"m.model\"\n";
  assert_int_equal(write(fd, text, sizeof text - 1), (long)(sizeof text - 1));
  close(fd);
  assert_int_equal(syn_scenario_parse_file(path, &a, &err), SYN_OK);
  assert_string_equal(a->model_path, "m.model");
  syn_scenario_ast_destroy(a);
  unlink(path);
  syn_scenario_ast_destroy(NULL);
  assert_int_equal(syn_scenario_parse_text("x", NULL, 0, &a, &err), SYN_EINVAL);
}

/* Every allocation failure is reported as SYN_ENOMEM, without leaks. */
static void test_allocation_failures(void **state) {
  (void)state;
  int ok = 0;
  for (long n = 1; n < 10000 && !ok; n++) {
    syn_error err;
    syn_scenario_ast *a = NULL;
    syn_alloc_test_fail_after(n);
    syn_status st = syn_scenario_parse_text("t.scenario", full, strlen(full), &a, &err);
    syn_alloc_test_fail_after(-1);
    if (st == SYN_OK) {
      ok = 1;
      syn_scenario_ast_destroy(a);
    } else {
      assert_int_equal(st, SYN_ENOMEM);
      assert_null(a);
    }
  }
  assert_true(ok);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_full_example),
      cmocka_unit_test(test_spans_and_defaults),
      cmocka_unit_test(test_expressions),
      cmocka_unit_test(test_clause_order_and_baseline),
      cmocka_unit_test(test_arm_after_metric),
      cmocka_unit_test(test_errors_statements),
      cmocka_unit_test(test_sensitivities_line),
      cmocka_unit_test(test_errors_simulate),
      cmocka_unit_test(test_errors_dose),
      cmocka_unit_test(test_errors_dose_clauses),
      cmocka_unit_test(test_lexical_error_and_file),
      cmocka_unit_test(test_allocation_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
