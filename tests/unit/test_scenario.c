/* synovia — unit tests of scenarios (src/scenario/scenario.c, schedule.c,
 * src/problem/armrun.c): loading and resolution errors with their exact located messages,
 * dose schedules (same time, t = 0, last output, overlapping infusions,
 * after the end, repeats), the output grid, presets and overrides, dose
 * records, metrics, and the closed forms of tests/scenario/ (one- and
 * two-compartment models, superposition) at tight tolerances. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "scenario/scenario_impl.h"
#include "synovia/run.h"
#include "synovia/scenario.h"
#include "support/scratch.h"

/* ---- files ----------------------------------------------------------------------------- */

static int setup_dir(void **state) {
  (void)state;
  return scratch_setup("test_scenario");
}

/* Short names for the scratch folder's helpers (tests/support/scratch.h). */
static void write_file(const char *name, const char *text) { scratch_write(name, text); }

static const char pk_model[] =
    "time unit h\n"
    "param k = 0.2 /h\n"
    "param V = 10\n"
    "param F = 0.5\n"
    "state A = 0\n"
    "state B = 0\n"
    "d/dt A = -k * A\n"
    "d/dt B = -k * B\n"
    "output C = A / V\n"
    "route IV -> A \"intravenous\"\n"
    "route IVB -> B\n"
    "route PO -> A scale F\n"
    "preset fast { k = 0.4 }\n";

static const char joint_model[] =
    "time unit h\n"
    "joints knee_L knee_R\n"
    "param k = 0.1 /h\n"
    "state P = 0\n"
    "d/dt P = -k * P\n"
    "per joint {\n"
    "  param severity = 1\n"
    "  state MSC = 0\n"
    "  d/dt MSC = -k * severity * MSC\n"
    "  route IA -> MSC\n"
    "}\n"
    "route IV -> P\n";

/* Load a scenario written next to `model` (as m.model). */
static syn_status load(const char *model, const char *scenario, syn_scenario **s, syn_error *err) {
  return scratch_load_scenario("m.model", model, scenario, s, err);
}

static syn_scenario *load_ok(const char *model, const char *scenario) {
  syn_error err;
  syn_scenario *s = NULL;
  syn_status st = load(model, scenario, &s, &err);
  if (st != SYN_OK) {
    char buf[4096];
    syn_error_format(&err, buf, sizeof buf);
    fprintf(stderr, "%s", buf);
  }
  assert_int_equal(st, SYN_OK);
  return s;
}

/* The load fails with this message at line:col of s.scenario. */
static void load_fails(const char *model, const char *scenario, const char *message, int line,
                       int col) {
  syn_error err;
  syn_scenario *s = NULL;
  syn_status st = load(model, scenario, &s, &err);
  assert_int_not_equal(st, SYN_OK);
  assert_null(s);
  if (strcmp(err.message, message) != 0 || err.line != line || err.col != col)
    fprintf(stderr, "got %d:%d: %s (hint: %s)\n", err.line, err.col, err.message, err.hint);
  assert_string_equal(err.message, message);
  assert_int_equal(err.line, line);
  assert_int_equal(err.col, col);
  if (line > 0) assert_non_null(strstr(err.file, "s.scenario"));
}

static syn_arm_result *run_arm(const syn_scenario *s, size_t arm) {
  syn_error err;
  syn_arm_result *r = NULL;
  syn_solver_opts o;
  syn_solver_opts_default(&o);
  o.rtol = 1e-10;
  o.atol = 1e-12;
  syn_status st = syn_scenario_run_arm(s, arm, &o, NULL, 0, &r, &err);
  if (st != SYN_OK) fprintf(stderr, "run: %s\n", err.message);
  assert_int_equal(st, SYN_OK);
  return r;
}

/* One arm's steps and end value of `name`, with opts (NULL: the scenario's). */
static long arm_steps(const syn_scenario *s, const syn_solver_opts *o, const char *name,
                      double *end) {
  syn_error err;
  syn_arm_result *r = NULL;
  assert_int_equal(syn_scenario_run_arm(s, 0, o, NULL, 0, &r, &err), SYN_OK);
  size_t i, n = syn_result_ntimes(r->series);
  assert_true(syn_result_find(r->series, name, &i));
  *end = syn_result_series(r->series, i)[n - 1];
  long steps = -1;
  for (size_t k = 0; k < syn_result_attr_count(r->series); k++)
    if (strcmp(syn_result_attr(r->series, k)->key, "cvode_nsteps") == 0)
      steps = (long)syn_result_attr(r->series, k)->i;
  syn_arm_result_destroy(r);
  return steps;
}

/* An arm takes the model's state tolerances (declared, or the default for
 * cells) unless an atol is given: by the scenario's solver line or by the
 * caller through the settings table (--atol). A vector the caller gives is
 * used as it is. */
static void test_state_tolerances(void **state) {
  (void)state;
  static const char model[] = "time unit h\nstate C = 0 cells\nstate X = 1 atol 1e-3\n"
                              "d/dt C = -C\nd/dt X = -X\nroute IA -> C\n";
  static const char arm[] = "model \"m.model\"\nsimulate 0 h to 24 h every 1 h\narm \"a\"\n  dose IA 1e7 cells at 0 h\n";
  syn_scenario *s = load_ok(model, arm);
  syn_solver_opts o, given;
  syn_solver_opts_default(&o);
  given = o;
  assert_int_equal(syn_solver_setting_apply(&given, SYN_SETTING_ATOL, "1e-9", NULL), SYN_OK);
  const double vec[2] = {SYN_CELLS_ATOL, 1e-3};
  syn_solver_opts as_vec = o;
  as_vec.atol_vec = vec;
  double e_model, e_vec, e_given, e_file;
  long s_model = arm_steps(s, NULL, "C", &e_model);
  long s_vec = arm_steps(s, &as_vec, "C", &e_vec);
  long s_given = arm_steps(s, &given, "C", &e_given);
  assert_true(s_model == s_vec && e_model == e_vec);
  assert_true(s_given > s_model);
  syn_scenario_destroy(s);
  char text[512];
  snprintf(text, sizeof text, "solver atol 1e-9\n%s", arm);
  s = load_ok(model, text);
  long s_file = arm_steps(s, NULL, "C", &e_file);
  assert_true(s_file == s_given && e_file == e_given);
  syn_scenario_destroy(s);
}

/* A scenario's `atol NAME = A [UNIT]` lines: converted to the state's unit,
 * over the model's own and the scenario's `solver atol`; they reach the
 * options (syn_scenario_solver_opts) and the result (each state's atol); a
 * later whole-run atol drops them, as --atol A does. */
static void test_scenario_state_atols(void **state) {
  (void)state;
  static const char model[] = "time unit h\nstate C = 0 cells\nstate X = 1 mg/L\n"
                              "state Y = 1 mg/L atol 1e-6\nd/dt C = -C\nd/dt X = -X\n"
                              "d/dt Y = -Y\nroute IA -> C\n";
  static const char arm[] = "arm \"a\"\n  dose IA 1e7 cells at 0 h\n";
  char text[512];
  snprintf(text, sizeof text, "model \"m.model\"\nsimulate 0 h to 24 h every 1 h\n"
                              "atol X = 2 ug/L\natol C = 1 cells\n%s", arm);
  syn_scenario *s = load_ok(model, text);
  assert_int_equal(syn_scenario_atol_count(s), 2);
  assert_int_equal(syn_scenario_atols(s)[0].state, 1);
  assert_true(syn_scenario_atols(s)[0].value == 2e-3);
  syn_solver_opts o;
  syn_solver_opts_default(&o);
  syn_scenario_solver_opts(s, &o);
  assert_non_null(o.atol_vec);
  assert_true(o.atol_vec[0] == 1 && o.atol_vec[1] == 2e-3 && o.atol_vec[2] == 1e-6);
  /* the result records them on the states (what the run file's `atol` attributes show) */
  syn_error err;
  syn_arm_result *r = NULL;
  assert_int_equal(syn_scenario_run_arm(s, 0, NULL, NULL, 0, &r, &err), SYN_OK);
  size_t i;
  assert_true(syn_result_find(r->series, "X", &i));
  assert_true(syn_result_atol(r->series, i) == 2e-3);
  assert_true(syn_result_find(r->series, "Y", &i));
  assert_true(syn_result_atol(r->series, i) == 1e-6);
  syn_arm_result_destroy(r);
  /* a whole-run atol after them replaces them */
  assert_int_equal(syn_solver_setting_apply(&o, SYN_SETTING_ATOL, "1e-7", NULL), SYN_OK);
  assert_null(o.atol_vec);
  syn_scenario_destroy(s);
  /* the scenario's own solver atol is below its atol lines */
  snprintf(text, sizeof text, "model \"m.model\"\nsimulate 0 h to 24 h every 1 h\n"
                              "solver atol 1e-10\natol X = 1e-4\n%s", arm);
  s = load_ok(model, text);
  syn_solver_opts_default(&o);
  syn_scenario_solver_opts(s, &o);
  assert_true(o.atol_vec[0] == 1e-10 && o.atol_vec[1] == 1e-4 && o.atol_vec[2] == 1e-10);
  syn_scenario_destroy(s);
}

/* syn_state_atol_resolve: a state, in its unit; a suggestion for a near
 * name; a parameter refused; another dimension refused. */
static void test_state_atol_resolve(void **state) {
  (void)state;
  static const char model[] = "time unit h\nparam k = 1 /h\nstate Cells = 0 cells\n"
                              "state X = 1 mg/L\nd/dt Cells = -k * Cells\nd/dt X = -k * X\n";
  syn_scenario *s = load_ok(model, "model \"m.model\"\nsimulate 0 h to 1 h every 1 h\narm \"a\"\n");
  const syn_model *m = syn_scenario_model(s);
  syn_state_atol a;
  syn_error err;
  assert_int_equal(syn_state_atol_resolve(m, "X", 3, "g/L", &a, &err), SYN_OK);
  assert_int_equal(a.state, 1);
  assert_true(a.value == 3000);
  assert_int_equal(syn_state_atol_resolve(m, "Cells", 2, NULL, &a, &err), SYN_OK);
  assert_true(a.state == 0 && a.value == 2);
  assert_int_equal(syn_state_atol_resolve(m, "Cels", 2, NULL, &a, &err), SYN_EINVAL);
  assert_string_equal(err.message, "unknown state 'Cels' (did you mean 'Cells'?)");
  assert_int_equal(syn_state_atol_resolve(m, "k", 2, NULL, &a, &err), SYN_EINVAL);
  assert_string_equal(err.message, "'k' is not a state of the model");
  assert_int_equal(syn_state_atol_resolve(m, "X", 2, "cells", &a, &err), SYN_EINVAL);
  assert_int_equal(syn_state_atol_resolve(m, "X", 0, NULL, &a, &err), SYN_EINVAL);
  assert_string_equal(syn_state_atol_source(m, 0), "cells default");
  assert_string_equal(syn_state_atol_source(m, 1), "default");
  syn_scenario_destroy(s);
}

static const double *series(const syn_arm_result *r, const char *name) {
  size_t i;
  assert_true(syn_result_find(r->series, name, &i));
  return syn_result_series(r->series, i);
}

static double metric(const syn_arm_result *r, const char *name) {
  for (size_t i = 0; i < syn_result_metric_count(r->series); i++) {
    const char *n, *u, *d;
    double v;
    syn_result_metric(r->series, i, &n, &u, &d, &v);
    if (strcmp(n, name) == 0) return v;
  }
  fail_msg("no metric %s", name);
  return 0;
}

static void assert_close(double got, double want, double rel, double abs_tol) {
  if (!(fabs(got - want) <= rel * fabs(want) + abs_tol))
    fail_msg("got %.15g, want %.15g (diff %.3g)", got, want, got - want);
}

/* ---- loading: what is resolved ------------------------------------------------------------ */

static void test_load_resolves(void **state) {
  (void)state;
  syn_scenario *s = load_ok(pk_model,
                            "scenario \"t\"\nmodel \"m.model\"\nsimulate 0 d to 2 d every 6 h\n"
                            "baseline 0\nset V = 20\narm a\narm \"b c\"\n  use fast\n"
                            "  dose IV 5 mg at 1 d over 2 h every 6 h times 2\n"
                            "metric x = auc(C, 0 h, 1 d) \"desc\"\nmetric y = change(A, 0, 2 h)\n"
                            "metric z = tmax(A)\nmetric w = 2 * max(C) / max(C)\n");
  double t0, t1, ev;
  syn_scenario_grid(s, &t0, &t1, &ev);
  assert_true(t0 == 0 && t1 == 48 && ev == 6);
  assert_string_equal(syn_scenario_title(s), "t");
  assert_string_equal(syn_scenario_baseline(s), "declared");
  assert_int_equal(syn_scenario_arm_count(s), 2);
  assert_string_equal(syn_scenario_arm_name(s, 1), "b c");
  assert_int_equal(strlen(syn_scenario_sha256(s)), 64);
  assert_non_null(strstr(syn_scenario_text(s), "metric y"));
  assert_non_null(strstr(syn_scenario_path(s), "s.scenario"));
  assert_string_equal(syn_model_time_unit(syn_scenario_model(s)), "h");
  assert_int_equal(syn_scenario_metric_count(s), 4);
  assert_string_equal(syn_scenario_metric_name(s, 0), "x");
  assert_string_equal(syn_scenario_metric_units(s, 0), "h");
  assert_string_equal(syn_scenario_metric_description(s, 0), "desc");
  assert_string_equal(syn_scenario_metric_units(s, 1), "%");
  assert_string_equal(syn_scenario_metric_units(s, 2), "h");
  assert_string_equal(syn_scenario_metric_description(s, 1), "");
  size_t i = 9;
  syn_error err;
  assert_int_equal(syn_scenario_find_arm(s, "b c", &i, &err), SYN_OK);
  assert_int_equal(i, 1);
  assert_int_equal(syn_scenario_find_arm(s, "bc", &i, &err), SYN_EINVAL);
  assert_string_equal(err.message, "unknown arm 'bc' (did you mean 'b c'?)");
  assert_string_equal(err.hint, "the scenario's arms: a, b c");
  assert_int_equal(syn_scenario_find_arm(s, "zzzzz", &i, &err), SYN_EINVAL);
  assert_string_equal(err.message, "unknown arm 'zzzzz'");
  const scn_dose *d = &s->arms[1].doses[0];
  assert_true(d->at == 24 && d->over == 2 && d->every == 6 && d->times == 2);
  assert_string_equal(d->units, "mg");
  assert_string_equal(d->target, "A");
  syn_scenario_destroy(s);
  syn_scenario_destroy(NULL);
}

static void test_metric_units(void **state) {
  (void)state;
  const char model[] = "time unit d\nparam k = 1 /d\nstate X = 0 \"x\"\nd/dt X = -k * X\n"
                       "output Y = X * 3 pg/mL\noutput R = k * 1 /d\n";
  syn_scenario *s = load_ok(model, "model \"m.model\"\nsimulate 0 to 10 every 1\narm a\n"
                                   "metric a = auc(Y, 0, 1)\nmetric b = max(Y)\n"
                                   "metric c = auc(R, 0, 1)\nmetric d = at(Y, 1) - at(Y, 2)\n"
                                   "metric e = max(Y) * max(Y)\n");
  assert_string_equal(syn_scenario_metric_units(s, 0), "pg*d/mL");
  assert_string_equal(syn_scenario_metric_units(s, 1), "pg/mL");
  assert_string_equal(syn_scenario_metric_units(s, 3), "pg/mL");
  assert_string_equal(syn_scenario_metric_units(s, 4), "");
  syn_scenario_destroy(s);
}

/* ---- loading: errors ---------------------------------------------------------------------------- */

#define HEAD "model \"m.model\"\nsimulate 0 h to 48 h every 1 h\n"

static void test_errors_model_and_grid(void **state) {
  (void)state;
  char missing[600];
  snprintf(missing, sizeof missing, "cannot open '%s/missing.model': No such file or directory",
           scratch_dir());
  load_fails(pk_model, "model \"missing.model\"\n",
             missing, 1, 7);
  load_fails(pk_model, "simulate 0 to 1 every 1\narm a\n",
             "the scenario does not name its model", 1, 1);
  load_fails(pk_model, "model \"m.model\"\narm a\n", "the scenario has no 'simulate' line", 1, 1);
  load_fails(pk_model, "model \"m.model\"\nsimulate 0 h to 0 h every 1 h\narm a\n",
             "the simulation must end after it starts (0 h to 0 h)", 2, 17);
  load_fails(pk_model, "model \"m.model\"\nsimulate 0 h to 5 h every 0 h\narm a\n",
             "the output spacing must be positive (found 0 h)", 2, 27);
  load_fails(pk_model, "model \"m.model\"\nsimulate 0 h to 5 mg every 1 h\narm a\n",
             "invalid time '5 mg': the unit is not a unit of time", 2, 17);
  load_fails(pk_model, "model \"m.model\"\nsimulate 0 h to k every 1 h\narm a\n",
             "expected a number, found the name 'k'", 2, 17);
  load_fails(pk_model, HEAD, "the scenario has no arms", 1, 1);
  load_fails(pk_model, HEAD "arm a\narm b\narm a\n", "arm 'a' is already defined on line 3", 5,
             5);
  /* the model's own errors stay located in the model */
  syn_error err;
  syn_scenario *s = NULL;
  assert_int_not_equal(load("param k = \n", HEAD "arm a\n", &s, &err), SYN_OK);
  assert_non_null(strstr(err.file, "m.model"));
  assert_int_equal(err.line, 1);
}

/* The `sensitivities` line is checked at load, each error at its name; the
 * doses as free-parameter names and the parameters' units. */
static void test_sensitivities_line_checked(void **state) {
  (void)state;
  static const char two[] = HEAD "arm a\n dose IV 2 mg at 1 h\n dose PO 1 mg at 0 h\n"
                                 " dose PO 1 mg at 2 h\narm b\n";
  char text[1024];
  snprintf(text, sizeof text, "%ssensitivities k, \"dose:a:PO:2.time\", \"dose:a:IV.amount\"\n",
           two);
  syn_scenario *s = load_ok(pk_model, text);
  assert_int_equal(syn_scenario_sens_count(s), 3);
  assert_string_equal(syn_scenario_sens_name(s, 1), "dose:a:PO:2.time");
  assert_null(syn_scenario_sens_name(s, 3));
  char buf[64];
  assert_int_equal(syn_scenario_dose_param(s, 0, 0, buf, sizeof buf), 3);
  assert_string_equal(buf, "dose:a:IV");
  syn_scenario_dose_param(s, 0, 2, buf, sizeof buf);
  assert_string_equal(buf, "dose:a:PO:2");
  assert_int_equal(syn_scenario_dose_param(s, 1, 0, buf, sizeof buf), 0);
  assert_string_equal(syn_scenario_param_units(s, "k"), "1/h");
  assert_string_equal(syn_scenario_param_units(s, "dose:a:IV.amount"), "mg");
  assert_string_equal(syn_scenario_param_units(s, "dose:a:PO:2.time"), "h");
  assert_string_equal(syn_scenario_param_units(s, "dose:a:XX.time"), "");
  syn_scenario_destroy(s);
  snprintf(text, sizeof text, "%ssensitivities kk\n", two);
  load_fails(pk_model, text, "unknown name 'kk' (did you mean 'k'?)", 8, 15);
  snprintf(text, sizeof text, "%ssensitivities k, C\n", two);
  load_fails(pk_model, text, "'C' is an output and cannot be set", 8, 18);
  snprintf(text, sizeof text, "%ssensitivities \"dose:c:IV.amount\"\n", two);
  load_fails(pk_model, text, "unknown arm 'c'", 8, 15);
  snprintf(text, sizeof text, "%ssensitivities \"dose:a:IB.amount\"\n", two);
  load_fails(pk_model, text, "arm 'a' has no dose of 'IB' (did you mean 'IV'?)", 8, 15);
  snprintf(text, sizeof text, "%ssensitivities \"dose:a:PO.amount\"\n", two);
  load_fails(pk_model, text, "arm 'a' has 2 doses of 'PO'", 8, 15);
  snprintf(text, sizeof text, "%ssensitivities \"dose:a:IV.amout\"\n", two);
  load_fails(pk_model, text, "'dose:a:IV.amout' is not a dose's name", 8, 15);
  snprintf(text, sizeof text, "%ssensitivities k, k\n", two);
  load_fails(pk_model, text, "'k' is given twice on the line", 8, 18);
  snprintf(text, sizeof text, "%ssensitivities all, k\n", two);
  load_fails(pk_model, text, "'all' is every parameter: it goes alone on the line", 8, 15);
}

static void test_errors_routes_and_joints(void **state) {
  (void)state;
  load_fails(pk_model, HEAD "arm a\n dose IVV 1 at 0\n",
             "unknown route 'IVV' (did you mean 'IV'?)", 4, 7);
  load_fails(pk_model, HEAD "arm a\n dose XYZQ 1 at 0\n", "unknown route 'XYZQ'", 4, 7);
  load_fails("state X = 0\nd/dt X = -X\n", "model \"m.model\"\nsimulate 0 to 1 every 1\narm a\n dose IV 1 at 0\n",
             "unknown route 'IV': the model declares no routes", 4, 7);
  load_fails(pk_model, HEAD "arm a\n dose IV 1 at 0 into knee\n",
             "unknown joint 'knee': the model declares no joints", 4, 22);
  load_fails(joint_model, HEAD "arm a\n dose IA 1 at 0\n",
             "route 'IA' goes into a joint: say which with 'into JOINT'", 4, 7);
  load_fails(joint_model, HEAD "arm a\n dose IA 1 at 0 into knee_X\n",
             "unknown joint 'knee_X' (did you mean 'knee_L'?)", 4, 22);
  load_fails(joint_model, HEAD "arm a\n dose IV 1 at 0 into knee_L\n",
             "route 'IV' is systemic: 'into' is only for routes declared per joint", 4, 22);
  syn_error err;
  syn_scenario *s = NULL;
  assert_int_not_equal(load(joint_model, HEAD "arm a\n dose IA 1 at 0\n", &s, &err), SYN_OK);
  assert_string_equal(err.hint, "the model's joints: knee_L, knee_R");
}

static void test_errors_doses(void **state) {
  (void)state;
  load_fails(pk_model, HEAD "arm a\n dose IV -1 mg at 0\n",
             "the amount of a dose cannot be negative (found -1)", 4, 10);
  load_fails(pk_model, HEAD "arm a\n dose IV 1e308 * 10 at 0\n",
             "the amount of the dose is not finite", 4, 10);
  load_fails(pk_model, "model \"m.model\"\nsimulate 2 h to 48 h every 1 h\narm a\n dose IV 1 at 1 h\n",
             "the dose at 1 h comes before the start of the simulation (2 h)", 4, 15);
  /* a first dose after the end is refused; only later repeats may pass it */
  load_fails(pk_model, HEAD "arm a\n dose IV 1 at 49 h every 1 h times 3\n",
             "the dose at 49 h comes after the end of the simulation (48 h)", 4, 15);
  load_fails(pk_model, "model \"m.model\"\nsimulate 0 d to 2 d every 1 h\narm a\n dose IV 1 at 50 h\n",
             "the dose at 2.08333 d comes after the end of the simulation (2 d)", 4, 15);
  load_fails(pk_model, HEAD "arm a\n dose IV 1 at 0 over 0 h\n",
             "the duration of an infusion must be positive (found 0 h)", 4, 22);
  load_fails(pk_model, HEAD "arm a\n dose IV 1 at 0 every -2 h times 3\n",
             "the interval between doses must be positive (found -2 h)", 4, 23);
  load_fails(pk_model, HEAD "arm a\n dose IV 1 at 0 every 2 h times 1 + 0.5\n",
             "'times' must be a whole number of doses, at least 1 (found 1.5)", 4, 33);
  load_fails(pk_model, HEAD "arm a\n dose IV 1 at 0 every 2 h times 0\n",
             "'times' must be a whole number of doses, at least 1 (found 0)", 4, 33);
  load_fails(pk_model, HEAD "arm a\n dose IV 1 at 0 every 2 h times 1e9\n",
             "too many doses (1e+09; at most 1000000)", 4, 33);
  load_fails(pk_model, HEAD "arm a\n dose IV 1 at 3 mg\n",
             "invalid time '3 mg': the unit is not a unit of time", 4, 15);
  load_fails(pk_model, HEAD "arm a\n dose IV max(A) at 0\n",
             "'max' is a metric function: it can only be used in a metric", 4, 10);
}

/* Units other than time are not converted: an amount in another unit than
 * its target's is refused, not read as a number in the target's unit. */
static void test_errors_dose_units(void **state) {
  (void)state;
  static const char units_model[] = "time unit h\nstate A = 0 mg\nstate N = 0 cells\n"
                                    "state B = 0\nd/dt A = -A\nd/dt N = -N\nd/dt B = -B\n"
                                    "route IV -> A\nroute IA -> N\nroute X -> B\n";
  load_fails(units_model, HEAD "arm a\n dose IV 1 g at 0\n",
             "the dose is in g but its target 'A' is in mg", 4, 12);
  load_fails(units_model, HEAD "arm a\n dose IV 100 mg/h at 0 over 1 h\n",
             "the dose is in mg/h but its target 'A' is in mg", 4, 14);
  load_fails(units_model, HEAD "arm a\n dose IA 5 mg at 0\n",
             "the dose is in mg but its target 'N' is in cells", 4, 12);
  /* the target's unit (any spelling), no unit, or a target without units */
  syn_scenario *s = load_ok(units_model, HEAD "arm a\n dose IV 1 mg at 0\n dose IA 1 cell at 0\n"
                                              " dose IA 2 at 0\n dose X 3 g at 0\n");
  syn_scenario_destroy(s);
}

static void test_errors_settings(void **state) {
  (void)state;
  load_fails(pk_model, HEAD "use fsat\narm a\n",
             "unknown preset 'fsat' (did you mean 'fast'?)", 3, 5);
  load_fails(pk_model, HEAD "arm a\n set kk = 1\n", "unknown name 'kk' (did you mean 'k'?)", 4, 6);
  load_fails(pk_model, HEAD "arm a\n set C = 1\n", "'C' is an output and cannot be set", 4, 6);
  load_fails(pk_model, HEAD "arm a\n set V = 1 / 0\n", "value for 'V' is not finite (inf)", 4, 6);
  load_fails(joint_model, HEAD "arm a\n set knee_X.severity = 2\n",
             "unknown name 'knee_X.severity' (did you mean 'knee_L.severity'?)", 4, 6);
}

static void test_errors_metrics(void **state) {
  (void)state;
  load_fails(pk_model, HEAD "arm a\nmetric m = max(AA)\n",
             "unknown metric target 'AA' (did you mean 'A'?)", 4, 16);
  load_fails(pk_model, HEAD "arm a\nmetric m = max(k)\n",
             "'k' is a parameter: metrics follow states and outputs", 4, 16);
  load_fails(joint_model, HEAD "arm a\nmetric m = max(MSC)\n",
             "'MSC' exists once per joint: name one copy, e.g. knee_L.MSC", 4, 16);
  load_fails(pk_model, HEAD "arm a\nmetric m = mx(A)\n",
             "unknown metric function 'mx' (did you mean 'max'?)", 4, 12);
  load_fails(pk_model, HEAD "arm a\nmetric m = auc(A, 0 h)\n",
             "wrong number of arguments to 'auc' (2)", 4, 12);
  load_fails(pk_model, HEAD "arm a\nmetric m = max(A, 1 h)\n",
             "wrong number of arguments to 'max' (2)", 4, 12);
  load_fails(pk_model, HEAD "arm a\nmetric m = at(A)\n", "wrong number of arguments to 'at' (1)",
             4, 12);
  load_fails(pk_model, HEAD "arm a\nmetric m = max(2 * A)\n",
             "the first argument of 'max' must be a state or an output", 4, 16);
  load_fails(pk_model, HEAD "arm a\nmetric m = auc(A, 0 h, 49 h)\n",
             "the window of 'auc' (0 h to 49 h) is outside the simulation (0 h to 48 h)", 4, 12);
  load_fails(pk_model, HEAD "arm a\nmetric m = auc(A, 5 h, 1 h)\n",
             "the window of 'auc' must end after it starts (5 h to 1 h)", 4, 12);
  load_fails(pk_model, HEAD "arm a\nmetric m = at(A, 3 d)\n",
             "the time 72 h is outside the simulation (0 h to 48 h)", 4, 18);
  load_fails(pk_model, "model \"m.model\"\nsimulate 0 d to 2 d every 1 h\narm a\n"
                       "metric m = at(A, 36 h + 1 d)\n",
             "the time 2.5 d is outside the simulation (0 d to 2 d)", 4, 18);
  load_fails(pk_model, HEAD "arm a\nmetric m = at(A, 3 mg)\n",
             "invalid time '3 mg': the unit is not a unit of time", 4, 18);
  load_fails(pk_model, HEAD "arm a\nmetric m = 3\n", "metric 'm' uses no metric function", 4, 12);
  load_fails(pk_model, HEAD "arm a\nmetric m = A\n",
             "a name can only be the first argument of a metric function", 4, 12);
  load_fails(pk_model, HEAD "arm a\nmetric m = max(A)\nmetric m = min(A)\n",
             "metric 'm' is already defined on line 4", 5, 8);
  syn_error err;
  syn_scenario *s = NULL;
  assert_int_not_equal(load(joint_model, HEAD "arm a\nmetric m = max(MSC)\n", &s, &err), SYN_OK);
  assert_string_equal(err.hint, "metrics follow one series; for a total, declare an output with "
                                "sum(joint, MSC) in the model");
}

/* The whole rendered message of one error, as the CLI prints it. */
static void test_error_rendering(void **state) {
  (void)state;
  syn_error err;
  syn_scenario *s = NULL;
  char buf[2048], want[2048];
  assert_int_not_equal(load(pk_model, HEAD "arm a\n  dose IVV 1 mg at 0 h\n", &s, &err), SYN_OK);
  syn_error_format(&err, buf, sizeof buf);
  snprintf(want, sizeof want,
           "%s/s.scenario:4:8: error: unknown route 'IVV' (did you mean 'IV'?)\n"
           "    dose IVV 1 mg at 0 h\n"
           "         ^~~\n"
           "  hint: the model's routes: IV, IVB, PO\n",
           scratch_dir());
  assert_string_equal(buf, want);
}

/* ---- schedules --------------------------------------------------------------------------------- */

static void test_schedule_events(void **state) {
  (void)state;
  scn_dose doses[3] = {
      {.route = "IV", .amount = 1, .at = 5, .over = 0, .every = 0, .times = 1},
      {.route = "IV", .amount = 2, .at = 0, .over = 4, .every = 3, .times = 4},
      {.route = "PO", .amount = 3, .at = 12, .over = 0, .every = 0, .times = 1},
  };
  scn_arm arm = {"a", NULL, 0, doses, 3};
  scn_schedule s;
  syn_error err;
  assert_int_equal(scn_schedule_build(&arm, 0, 10, NULL, 0, "h", 1, &s, &err), SYN_OK);
  /* infusions start 0 3 6 9, end 4 7 10 (13 is past the end); bolus at 5 */
  double want_t[] = {0, 3, 4, 5, 6, 7, 9, 10};
  assert_int_equal(s.nevents, 8);
  for (size_t i = 0; i < s.nevents; i++) assert_true(s.events[i].t == want_t[i]);
  assert_int_equal(s.events[2].kind, SCN_INFUSION_END);
  assert_int_equal(s.events[3].kind, SCN_BOLUS);
  assert_int_equal(s.nstops, 8);
  assert_int_equal(s.ninfusions, 4);
  assert_int_equal(s.nwarnings, 1);
  assert_string_equal(s.warnings[0],
                      "dose of PO at 12 h is after the end of the simulation (10 h): skipped");
  scn_schedule_free(&s);

  /* equal times: one stop; scenario order kept */
  scn_dose same[2] = {{.route = "A", .amount = 1, .at = 2, .times = 1},
                      {.route = "B", .amount = 1, .at = 2, .times = 3, .every = 4}};
  scn_arm arm2 = {"b", NULL, 0, same, 2};
  assert_int_equal(scn_schedule_build(&arm2, 0, 7, NULL, 0, "", 1, &s, &err), SYN_OK);
  assert_int_equal(s.nevents, 3);
  assert_int_equal(s.nstops, 2);
  assert_int_equal(s.events[0].dose, 0);
  assert_int_equal(s.events[1].dose, 1);
  assert_int_equal(s.nwarnings, 1);
  assert_string_equal(s.warnings[0],
                      "1 of the 3 doses of B (from 10) are after the end of the simulation (7): "
                      "skipped");
  scn_schedule_free(&s);
  scn_schedule_free(NULL);
}

/* Times equal to an output time or to each other up to rounding are one
 * stop at the output time (the integrator cannot reach a stop 1e-16 away). */
static void test_schedule_snaps_rounding(void **state) {
  (void)state;
  double grid[11];
  for (int i = 0; i <= 10; i++) grid[i] = i;
  /* 0.1 + 3 * 0.3 is 0.9999999999999999 in doubles */
  scn_dose doses[3] = {{.route = "A", .amount = 1, .at = 0.1, .every = 0.3, .times = 4},
                       {.route = "B", .amount = 1, .at = 2.5, .over = 0.1 + 0.2, .times = 1},
                       {.route = "C", .amount = 1, .at = 2.8 + 1e-13, .times = 1}};
  scn_arm arm = {"a", NULL, 0, doses, 3};
  scn_schedule s;
  syn_error err;
  assert_int_equal(scn_schedule_build(&arm, 0, 10, grid, 11, "", 1, &s, &err), SYN_OK);
  assert_int_equal(s.nevents, 7);
  assert_true(s.events[3].t == 1.0);
  assert_true(s.events[5].t == s.events[6].t); /* the infusion's end and 2.8 + 1e-13: one stop */
  assert_int_equal(s.nstops, 6);
  for (size_t i = 1; i < s.nstops; i++) assert_true(s.stops[i] > s.stops[i - 1]);
  scn_schedule_free(&s);
}

static void test_schedule_allocation_failures(void **state) {
  (void)state;
  scn_dose doses[2] = {{.route = "IV", .amount = 1, .at = 50, .times = 1},
                       {.route = "IV", .amount = 2, .at = 0, .over = 4, .every = 3, .times = 4}};
  scn_arm arm = {"a", NULL, 0, doses, 2};
  int ok = 0;
  for (long n = 1; n < 100 && !ok; n++) {
    scn_schedule s;
    syn_error err;
    syn_alloc_test_fail_after(n);
    syn_status st = scn_schedule_build(&arm, 0, 10, NULL, 0, "h", 1, &s, &err);
    syn_alloc_test_fail_after(-1);
    if (st == SYN_OK) ok = 1;
    else assert_int_equal(st, SYN_ENOMEM);
    scn_schedule_free(&s);
  }
  assert_true(ok);
}

/* A(t) for boluses of IV into A with k = 0.2 (and F = 0.5 for PO). */
static double bolus_sum(const double *t0, const double *amt, size_t n, double k, double t) {
  double a = 0;
  for (size_t i = 0; i < n; i++)
    if (t >= t0[i]) a += amt[i] * exp(-k * (t - t0[i]));
  return a;
}

static void check_grid(const syn_arm_result *r, double t0, double every, size_t n) {
  const double *t = syn_result_times(r->series);
  assert_int_equal(syn_result_ntimes(r->series), n);
  for (size_t i = 0; i < n; i++) assert_true(t[i] == t0 + (double)i * every);
}

static void test_doses_at_same_time_start_and_end(void **state) {
  (void)state;
  syn_scenario *s = load_ok(pk_model, "model \"m.model\"\nsimulate 0 h to 10 h every 1 h\n"
                                      "arm a\n dose IV 1 at 0\n dose IV 2 at 0 h\n"
                                      " dose PO 4 at 3.5 h\n dose IV 8 at 10 h\n dose IV 16 at 10 h\n"
                                      " dose IVB 3 at 10 h every 1 h times 3\n"
                                      " dose IVB 3 at 8.5 h every 1.5 h times 3\n");
  syn_arm_result *r = run_arm(s, 0);
  check_grid(r, 0, 1, 11);
  const double *A = series(r, "A"), *B = series(r, "B");
  double t0[] = {0, 0, 3.5, 10, 10}, amt[] = {1, 2, 2, 8, 16};
  for (size_t i = 0; i <= 10; i++) assert_close(A[i], bolus_sum(t0, amt, 5, 0.2, (double)i), 1e-7, 1e-12);
  assert_close(A[0], 3, 1e-12, 0);
  assert_close(A[10], 3 * exp(-2.0) + 2 * exp(-0.2 * 6.5) + 24, 1e-7, 0);
  for (size_t i = 0; i <= 8; i++) assert_true(B[i] == 0);
  assert_close(B[9], 3 * exp(-0.2 * 0.5), 1e-7, 0); /* IVB: d/dt B = -k B */
  assert_close(B[10], 3 * exp(-0.2 * 1.5) + 3 + 3, 1e-7, 0);
  assert_int_equal(r->nwarnings, 2);
  assert_string_equal(r->warnings[0],
                      "2 of the 3 doses of IVB (from 11 h) are after the end of the simulation "
                      "(10 h): skipped");
  assert_string_equal(r->warnings[1],
                      "1 of the 3 doses of IVB (from 11.5 h) are after the end of the simulation "
                      "(10 h): skipped");
  /* dose records: the applied doses, in time order */
  assert_int_equal(syn_result_dose_count(r->series), 8);
  const syn_dose_record *d = syn_result_dose(r->series, 2);
  assert_true(d->time == 3.5 && d->amount == 4 && d->duration == 0);
  assert_string_equal(d->route, "PO");
  assert_string_equal(d->target, "A");
  assert_string_equal(d->joint, "");
  assert_true(syn_result_dose(r->series, 4)->time == 10);
  syn_arm_result_destroy(r);
  syn_scenario_destroy(s);
}

/* Infusion contribution of rate R over [s, e] to dA/dt = -k A + R, at t. */
static double infusion(double R, double s, double e, double k, double t) {
  if (t <= s) return 0;
  double u = fmin(t, e);
  return R / k * (exp(-k * (t - u)) - exp(-k * (t - s)));
}

static void test_overlapping_infusions(void **state) {
  (void)state;
  syn_scenario *s = load_ok(pk_model, "model \"m.model\"\nsimulate 0 h to 24 h every 0.5 h\n"
                                      "arm a\n dose IV 6 at 1 h over 3 h\n dose IV 4 at 2.25 h over 6 h\n"
                                      " dose IV 6 at 1 h over 3 h\n dose IV 10 at 20 h over 10 h\n");
  syn_arm_result *r = run_arm(s, 0);
  check_grid(r, 0, 0.5, 49);
  const double *A = series(r, "A"), *t = syn_result_times(r->series);
  for (size_t i = 0; i < 49; i++) {
    double want = 2 * infusion(2, 1, 4, 0.2, t[i]) + infusion(4.0 / 6, 2.25, 8.25, 0.2, t[i]) +
                  infusion(1, 20, 30, 0.2, t[i]);
    assert_close(A[i], want, 1e-7, 1e-10);
  }
  assert_int_equal(r->nwarnings, 0);
  assert_int_equal(syn_result_dose_count(r->series), 4);
  assert_true(syn_result_dose(r->series, 0)->duration == 3);
  syn_arm_result_destroy(r);
  syn_scenario_destroy(s);
}

/* After every infusion has ended the input is exactly zero again: A decays
 * as a pure exponential (no residual rate from round-off). */
static void test_infusions_leave_no_rate(void **state) {
  (void)state;
  syn_scenario *s = load_ok(pk_model, "model \"m.model\"\nsimulate 0 h to 40 h every 1 h\n"
                                      "arm a\n dose IV 0.1 at 0.1 h over 0.7 h every 0.3 h times 7\n");
  syn_arm_result *r = run_arm(s, 0);
  const double *A = series(r, "A");
  for (size_t i = 5; i < 40; i++) assert_close(A[i + 1] / A[i], exp(-0.2), 1e-8, 0);
  syn_arm_result_destroy(r);
  syn_scenario_destroy(s);
}

/* A(t_end) after 1 of IV over [s, s + d] into dA/dt = -k A, in a form that
 * keeps its digits for tiny d: exp(-k (t - s - d)) (1 - exp(-k d)) / (k d). */
static double after_short_infusion(double s, double d, double k, double t) {
  return exp(-k * (t - s - d)) * -expm1(-k * d) / (k * d);
}

/* Issue 12 point 5: an infusion as short as the scenario allows arrives
 * whole, wherever its ends fall (on an output time, between them, with its
 * end within rounding of an output time): A at the end is the closed form
 * and the mass balance holds (amount = A(end) + k * auc(A)). The shortest
 * allowed is 1e-7 of the run's time scale: here 1e-6 h. */
static void test_short_infusions_deliver_the_dose(void **state) {
  (void)state;
  static const struct {
    double at, over;
  } cases[] = {{1, 1e-6},          {1, 1.5e-6},   {1.5, 1e-6},   {1 - 0.5e-6, 1e-6},
               {2 - 1e-6 + 1e-12, 1e-6}, {1 + 5e-12, 1e-6}, {1, 1e-3}, {10 - 1e-6, 1e-6}};
  const double k = 0.2;
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char text[512];
    snprintf(text, sizeof text,
             "model \"m.model\"\nsimulate 0 h to 10 h every 1 h\narm a\n"
             " dose IV 1 at %.17g h over %.17g h\nmetric auc_A = auc(A, 0 h, 10 h)\n",
             cases[i].at, cases[i].over);
    syn_scenario *s = load_ok(pk_model, text);
    syn_arm_result *r = run_arm(s, 0);
    const double *A = series(r, "A");
    double end = A[syn_result_ntimes(r->series) - 1];
    double want = after_short_infusion(cases[i].at, cases[i].over, k, 10);
    double total = end + k * metric(r, "auc_A");
    if (!(fabs(end - want) <= 1e-7 * want) || !(fabs(total - 1) <= 1e-7))
      fail_msg("1 over %.17g h at %.17g h: A(10 h) = %.15g (want %.15g), delivered %.15g",
               cases[i].over, cases[i].at, end, want, total);
    syn_arm_result_destroy(r);
    syn_scenario_destroy(s);
  }
}

/* What a dose puts in (amount × route scale; per hour for an infusion, at
 * most 1e100) is checked when the arm runs: the scale may come from a
 * sweep's values. */
static void test_dose_scaled_beyond_the_solver(void **state) {
  (void)state;
  syn_scenario *s = load_ok(pk_model, HEAD "arm a\n dose PO 1e10 at 1 h\n"
                                           "arm b\n dose PO 100 at 1 h over 0.5 h\n");
  syn_override ov = {"F", 1e300};
  syn_arm_result *r = NULL;
  syn_error err;
  assert_int_equal(syn_scenario_run_arm(s, 0, NULL, &ov, 1, &r, &err), SYN_EINPUT);
  assert_null(r);
  assert_string_equal(err.message, "the dose of PO at 1 h gives inf into 'A' (amount 1e+10 × "
                                   "route scale 1e+300): not finite");
  ov.value = 1e99;
  assert_int_equal(syn_scenario_run_arm(s, 1, NULL, &ov, 1, &r, &err), SYN_EINPUT);
  assert_string_equal(err.message, "the dose of PO at 1 h gives 2e+101 per h into 'A' (amount "
                                   "100 × route scale 1e+99): more than 1e+100");
  ov.value = 4e97; /* 8e99 per hour into A: within the limit */
  assert_int_equal(syn_scenario_run_arm(s, 1, NULL, &ov, 1, &r, &err), SYN_OK);
  syn_arm_result_destroy(r);
  syn_scenario_destroy(s);
}

static void test_presets_settings_overrides(void **state) {
  (void)state;
  syn_scenario *s = load_ok(pk_model, "model \"m.model\"\nsimulate 0 h to 4 h every 1 h\n"
                                      "set V = 2\narm plain\n dose IV 1 at 0\n"
                                      "arm fast\n use fast\n dose IV 1 at 0\n"
                                      "arm both\n use fast\n set k = 0.3 /h\n dose IV 1 at 0\n");
  syn_arm_result *r = run_arm(s, 1);
  assert_close(series(r, "A")[4], exp(-1.6), 1e-8, 0);
  assert_close(series(r, "C")[0], 0.5, 1e-12, 0);
  syn_arm_result_destroy(r);
  r = run_arm(s, 2);
  assert_close(series(r, "A")[4], exp(-1.2), 1e-8, 0);
  syn_arm_result_destroy(r);
  syn_override ov[] = {{"k", 0.5}, {"A", 2}};
  syn_error err;
  assert_int_equal(syn_scenario_run_arm(s, 2, NULL, ov, 2, &r, &err), SYN_OK);
  assert_close(series(r, "A")[0], 3, 1e-12, 0);
  assert_close(series(r, "A")[2], 3 * exp(-1.0), 1e-5, 0);
  const char *bm = NULL;
  for (size_t i = 0; i < syn_result_attr_count(r->series); i++)
    if (strcmp(syn_result_attr(r->series, i)->key, "baseline_method") == 0)
      bm = syn_result_attr(r->series, i)->s;
  assert_non_null(bm);
  assert_string_equal(bm, "declared");
  assert_string_equal(r->baseline.method, "declared");
  syn_arm_result_destroy(r);
  ov[0].name = "kk";
  assert_int_equal(syn_scenario_run_arm(s, 0, NULL, ov, 1, &r, &err), SYN_EINVAL);
  assert_null(r);
  assert_int_equal(syn_scenario_run_arm(s, 7, NULL, NULL, 0, &r, &err), SYN_EINVAL);
  syn_scenario_destroy(s);
}

static void test_joint_route(void **state) {
  (void)state;
  syn_scenario *s = load_ok(joint_model, "model \"m.model\"\nsimulate 0 h to 10 h every 1 h\n"
                                         "arm a\n dose IA 5 cells at 2 h into knee_R\n"
                                         " set knee_R.severity = 2\n");
  syn_arm_result *r = run_arm(s, 0);
  const double *R = series(r, "knee_R.MSC"), *L = series(r, "knee_L.MSC");
  for (size_t i = 0; i <= 10; i++) {
    assert_true(L[i] == 0);
    assert_close(R[i], i >= 2 ? 5 * exp(-0.2 * ((double)i - 2)) : 0, 1e-7, 1e-12);
  }
  const syn_dose_record *d = syn_result_dose(r->series, 0);
  assert_string_equal(d->joint, "knee_R");
  assert_string_equal(d->target, "knee_R.MSC");
  assert_string_equal(d->units, "cells");
  syn_arm_result_destroy(r);
  syn_scenario_destroy(s);
}

static void test_steady_baseline(void **state) {
  (void)state;
  const char model[] = "time unit h\nparam r = 2 /h\nparam k = 0.5 /h\nstate A = 0\n"
                       "d/dt A = r - k * A\nroute IV -> A\n";
  syn_scenario *s = load_ok(model, "model \"m.model\"\nsimulate 0 h to 10 h every 1 h\n"
                                   "baseline steady\narm a\narm b\n set r = 1 /h\n dose IV 1 at 5 h\n");
  assert_string_equal(syn_scenario_baseline(s), "steady");
  syn_arm_result *r = run_arm(s, 0);
  for (size_t i = 0; i <= 10; i++) assert_close(series(r, "A")[i], 4, 1e-6, 0);
  assert_string_not_equal(r->baseline.method, "declared");
  syn_arm_result_destroy(r);
  r = run_arm(s, 1);
  assert_close(series(r, "A")[0], 2, 1e-6, 0);
  assert_close(series(r, "A")[10], 2 + exp(-2.5), 1e-6, 0);
  syn_arm_result_destroy(r);
  syn_scenario_destroy(s);
}

/* Arms with the same parameters share one steady state, found once: arm c
 * run after arm a (a cached baseline) starts exactly where arm c run alone
 * starts, and an override that changes a parameter does not reuse it. The
 * model's slow approach makes the baseline come from integration, so a cache
 * hit and a fresh search give bitwise the same start only if the cache keyed
 * everything right. */
static void test_steady_baseline_shared_by_arms(void **state) {
  (void)state;
  const char model[] = "time unit h\nparam r = 2 /h\nparam k = 0.5 /h\nstate A = 0\nstate B = 1\n"
                       "d/dt A = r - k * A * B\nd/dt B = 0.25 /h * (A / 4 - B)\nroute IV -> A\n";
  const char scn[] = "model \"m.model\"\nsimulate 0 h to 10 h every 1 h\nbaseline steady\n"
                     "arm a\narm b\n set r = 1 /h\narm c\n dose IV 1 at 5 h\n";
  syn_scenario *s = load_ok(model, scn);
  syn_arm_result *ra = run_arm(s, 0), *rb = run_arm(s, 1), *rc = run_arm(s, 2);
  syn_scenario *fresh = load_ok(model, scn);
  syn_arm_result *rc_alone = run_arm(fresh, 2);
  assert_true(series(rc, "A")[0] == series(rc_alone, "A")[0]);
  assert_true(series(rc, "B")[0] == series(rc_alone, "B")[0]);
  assert_true(series(rc, "A")[0] == series(ra, "A")[0]);
  assert_string_equal(rc->baseline.method, rc_alone->baseline.method);
  assert_true(rc->baseline.iterations == rc_alone->baseline.iterations);
  assert_true(fabs(series(rb, "A")[0] - series(ra, "A")[0]) > 0.1); /* r = 1 vs 2 */
  syn_solver_opts o;
  syn_solver_opts_default(&o);
  o.rtol = 1e-10;
  o.atol = 1e-12;
  syn_override ov = {"k", 0.25};
  syn_arm_result *rk = NULL;
  syn_error err;
  assert_int_equal(syn_scenario_run_arm(s, 2, &o, &ov, 1, &rk, &err), SYN_OK);
  assert_true(fabs(series(rk, "A")[0] - series(rc, "A")[0]) > 0.1); /* k halved: new baseline */
  syn_arm_result_destroy(rk);
  syn_arm_result_destroy(ra);
  syn_arm_result_destroy(rb);
  syn_arm_result_destroy(rc);
  syn_arm_result_destroy(rc_alone);
  syn_scenario_destroy(s);
  syn_scenario_destroy(fresh);
}

/* No steady state to find: the run fails, naming the arm. */
static void test_steady_baseline_fails(void **state) {
  (void)state;
  syn_scenario *s = load_ok("time unit h\nstate A = 0\nd/dt A = 1 /h\n",
                            "model \"m.model\"\nsimulate 0 h to 1 h every 1 h\nbaseline steady\n"
                            "arm growing\n");
  syn_error err;
  syn_arm_result *r = NULL;
  assert_int_not_equal(syn_scenario_run_arm(s, 0, NULL, NULL, 0, &r, &err), SYN_OK);
  assert_null(r);
  assert_non_null(strstr(err.message, "arm 'growing': no steady state for the baseline: "));
  syn_scenario_destroy(s);
}

static void test_nested_metric(void **state) {
  (void)state;
  syn_scenario *s = load_ok(pk_model, "model \"m.model\"\nsimulate 0 h to 24 h every 1 h\n"
                                      "arm a\n dose IV 8 at 0.5 h\n"
                                      "metric half = time_below(A, 0.5 * max(A), 1 h, 24 h)\n"
                                      "metric quarter = time_below(A, 0.5 * at(A, "
                                      "time_below(A, 0.5 * max(A), 1 h, 24 h)), 1 h, 24 h)\n"
                                      "metric never = time_below(A, -1, 1 h, 24 h)\n"
                                      "metric late = at(A, 2 * time_below(A, 0.5 * max(A), 1 h, 24 h))\n"
                                      "metric off = at(A, 100 * time_below(A, 0.5 * max(A), 1 h, 24 h))\n");
  syn_arm_result *r = run_arm(s, 0);
  double half = 0.5 + log(2) / 0.2;
  assert_close(metric(r, "half"), half, 1e-7, 0);
  assert_close(metric(r, "quarter"), 0.5 + 2 * log(2) / 0.2, 1e-7, 0);
  assert_true(isnan(metric(r, "never")));
  assert_close(metric(r, "late"), 8 * exp(-0.2 * (2 * half - 0.5)), 1e-7, 0);
  assert_true(isnan(metric(r, "off")));
  assert_int_equal(r->nwarnings, 1);
  assert_string_equal(r->warnings[0], "metric 'off': the arguments of 'at' give no window inside "
                                      "the simulation: its value is NaN");
  syn_arm_result_destroy(r);
  syn_scenario_destroy(s);
}

/* ---- closed forms (tests/scenario) -------------------------------------------------------------- */

/* Response of the target series to one dose: sum of c_i exp(-lam_i t). */
typedef struct kernel {
  double c[2], lam[2];
  int n;
} kernel;

typedef struct tdose {
  double t, amount, over;
  const kernel *k;
} tdose;

static double response(const tdose *d, size_t nd, double t) {
  double v = 0;
  for (size_t i = 0; i < nd; i++)
    for (int j = 0; j < d[i].k->n; j++) {
      double c = d[i].k->c[j], l = d[i].k->lam[j];
      if (t < d[i].t) continue;
      if (d[i].over == 0) {
        v += d[i].amount * c * exp(-l * (t - d[i].t));
      } else {
        double R = d[i].amount / d[i].over, u = fmin(t, d[i].t + d[i].over);
        v += R * c / l * (exp(-l * (t - u)) - exp(-l * (t - d[i].t)));
      }
    }
  return v;
}

/* ∫_p^q exp(-l (t - x)) dt */
static double iexp(double l, double x, double p, double q) {
  return (exp(-l * (p - x)) - exp(-l * (q - x))) / l;
}

static double response_integral(const tdose *d, size_t nd, double a, double b) {
  double v = 0;
  for (size_t i = 0; i < nd; i++)
    for (int j = 0; j < d[i].k->n; j++) {
      double c = d[i].k->c[j], l = d[i].k->lam[j], s = d[i].t;
      double p = fmax(a, s);
      if (b <= p) continue;
      if (d[i].over == 0) {
        v += d[i].amount * c * iexp(l, s, p, b);
        continue;
      }
      double R = d[i].amount / d[i].over, e = s + d[i].over;
      double q1 = fmin(b, e); /* during the infusion */
      if (q1 > p) v += R * c / l * ((q1 - p) - iexp(l, s, p, q1));
      double p2 = fmax(p, e); /* after it */
      if (b > p2) v += R * c / l * (iexp(l, e, p2, b) - iexp(l, s, p2, b));
    }
  return v;
}

static syn_scenario *load_path(const char *path) {
  syn_error err;
  syn_scenario *s = NULL;
  syn_status st = syn_scenario_load(path, &s, &err);
  if (st != SYN_OK) fprintf(stderr, "%s:%d: %s\n", err.file, err.line, err.message);
  assert_int_equal(st, SYN_OK);
  return s;
}

/* Every grid point (at and between dose times) and the metrics of one arm. */
static void check_arm(const syn_arm_result *r, const char *name, const tdose *d, size_t nd,
                      double peak) {
  const double *x = series(r, name), *t = syn_result_times(r->series);
  for (size_t i = 0; i < syn_result_ntimes(r->series); i++)
    assert_close(x[i], response(d, nd, t[i]), 1e-6, 1e-9 * peak);
}

static void test_closed_form_one_compartment(void **state) {
  (void)state;
  syn_scenario *s = load_path("tests/scenario/one_compartment.scenario");
  const double ka = 1.5, k = 0.25, F = 0.6, ks = 0.1;
  const kernel iv = {{1, 0}, {k, 0}, 1};
  const kernel po = {{F * ka / (ka - k), -F * ka / (ka - k)}, {k, ka}, 2};
  const kernel po_slow = {{F * ka / (ka - ks), -F * ka / (ka - ks)}, {ks, ka}, 2};
  /* IV bolus */
  syn_arm_result *r = run_arm(s, 0);
  tdose bolus[] = {{0, 100, 0, &iv}, {6.25, 50, 0, &iv}, {48, 25, 0, &iv}};
  check_arm(r, "A", bolus, 3, 100);
  assert_close(series(r, "A")[96], response(bolus, 3, 48), 1e-7, 0); /* shows the dose at 48 h */
  assert_close(metric(r, "auc_A"), response_integral(bolus, 3, 0, 48), 1e-6, 0);
  assert_close(metric(r, "auc_A_early"), response_integral(bolus, 3, 1, 13.3), 1e-6, 0);
  assert_close(metric(r, "A_max"), 100, 1e-7, 0); /* right after the first dose */
  assert_close(metric(r, "A_6h"), response(bolus, 3, 6.25), 1e-7, 0);
  assert_close(metric(r, "C_48h"), response(bolus, 3, 48) / 20, 1e-7, 0);
  assert_close(metric(r, "half"), log(2) / k, 1e-6, 0);
  syn_arm_result_destroy(r);
  /* overlapping infusions */
  r = run_arm(s, 1);
  tdose inf[] = {{2, 60, 3, &iv}, {4, 40, 6, &iv}};
  check_arm(r, "A", inf, 2, 60);
  assert_close(metric(r, "auc_A"), response_integral(inf, 2, 0, 48), 1e-6, 0);
  assert_close(metric(r, "auc_A_early"), response_integral(inf, 2, 1, 13.3), 1e-6, 0);
  syn_arm_result_destroy(r);
  /* repeated oral doses into the depot, scaled by F */
  r = run_arm(s, 2);
  tdose po4[4];
  for (int i = 0; i < 4; i++) po4[i] = (tdose){12.0 * i, 100, 0, &po};
  check_arm(r, "A", po4, 4, 60);
  assert_close(metric(r, "auc_A"), response_integral(po4, 4, 0, 48), 1e-6, 0);
  assert_close(metric(r, "A_tmax"), log(ka / k) / (ka - k), 1e-6, 0);
  assert_int_equal(syn_result_dose_count(r->series), 4);
  syn_arm_result_destroy(r);
  /* a preset, and doses after the end */
  r = run_arm(s, 3);
  tdose po6[4];
  for (int i = 0; i < 4; i++) po6[i] = (tdose){1 + 12.0 * i, 100, 0, &po_slow};
  check_arm(r, "A", po6, 4, 60);
  assert_int_equal(r->nwarnings, 1);
  assert_string_equal(r->warnings[0], "2 of the 6 doses of PO (from 49 h) are after the end of the "
                                      "simulation (48 h): skipped");
  syn_arm_result_destroy(r);
  syn_scenario_destroy(s);
}

static void test_closed_form_two_compartment(void **state) {
  (void)state;
  syn_scenario *s = load_path("tests/scenario/two_compartment.scenario");
  const double k10 = 0.3, k12 = 0.5, k21 = 0.2;
  double sum = k10 + k12 + k21, disc = sqrt(sum * sum - 4 * k10 * k21);
  double l1 = (sum + disc) / 2, l2 = (sum - disc) / 2;
  const kernel a1 = {{(k21 - l1) / (l2 - l1), (k21 - l2) / (l1 - l2)}, {l1, l2}, 2};
  syn_arm_result *r = run_arm(s, 0);
  tdose bolus[] = {{0, 10, 0, &a1}};
  check_arm(r, "A1", bolus, 1, 10);
  assert_close(metric(r, "auc_A1"), response_integral(bolus, 1, 0, 48), 1e-6, 0);
  assert_close(metric(r, "auc_C1_day1"), response_integral(bolus, 1, 0, 24) / 5, 1e-6, 0);
  syn_arm_result_destroy(r);
  r = run_arm(s, 1);
  tdose inf[] = {{0.5, 30, 10, &a1}};
  check_arm(r, "A1", inf, 1, 10);
  assert_close(metric(r, "auc_A1"), response_integral(inf, 1, 0, 48), 1e-6, 0);
  syn_arm_result_destroy(r);
  r = run_arm(s, 2);
  tdose rep[9];
  for (int i = 0; i < 6; i++) rep[i] = (tdose){8.0 * i, 10, 0, &a1};
  for (int i = 0; i < 3; i++) rep[6 + i] = (tdose){3.7 + 12.0 * i, 5, 2.1, &a1};
  check_arm(r, "A1", rep, 9, 10);
  assert_close(metric(r, "auc_A1"), response_integral(rep, 9, 0, 48), 1e-6, 0);
  assert_close(metric(r, "A1_at"), response(rep, 9, 3.7), 1e-7, 0);
  syn_arm_result_destroy(r);
  syn_scenario_destroy(s);
}

/* Allocation failures anywhere in load and run: SYN_ENOMEM, nothing leaked. */
static void test_allocation_failures(void **state) {
  (void)state;
  write_file("m.model", pk_model);
  write_file("s.scenario", "model \"m.model\"\nsimulate 0 h to 4 h every 1 h\narm a\n"
                           " dose IV 1 at 0 over 1 h\n dose IV 1 at 3 every 6 h times 2\n"
                           "metric m = time_below(A, 0.5 * max(A), 0 h, 4 h)\n");
  const char *path = scratch_path("s.scenario");
  int ok = 0;
  for (long n = 1; n < 100000 && !ok; n++) {
    syn_error err;
    syn_scenario *s = NULL;
    syn_arm_result *r = NULL;
    syn_alloc_test_fail_after(n);
    syn_status st = syn_scenario_load(path, &s, &err);
    if (st == SYN_OK) st = syn_scenario_run_arm(s, 0, NULL, NULL, 0, &r, &err);
    syn_alloc_test_fail_after(-1);
    if (st == SYN_OK) ok = 1;
    else assert_int_equal(st, SYN_ENOMEM);
    syn_arm_result_destroy(r);
    syn_scenario_destroy(s);
  }
  assert_true(ok);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_load_resolves),
      cmocka_unit_test(test_state_tolerances),
      cmocka_unit_test(test_scenario_state_atols),
      cmocka_unit_test(test_state_atol_resolve),
      cmocka_unit_test(test_metric_units),
      cmocka_unit_test(test_errors_model_and_grid),
      cmocka_unit_test(test_errors_routes_and_joints),
      cmocka_unit_test(test_sensitivities_line_checked),
      cmocka_unit_test(test_errors_doses),
      cmocka_unit_test(test_errors_dose_units),
      cmocka_unit_test(test_errors_settings),
      cmocka_unit_test(test_errors_metrics),
      cmocka_unit_test(test_error_rendering),
      cmocka_unit_test(test_schedule_events),
      cmocka_unit_test(test_schedule_snaps_rounding),
      cmocka_unit_test(test_schedule_allocation_failures),
      cmocka_unit_test(test_doses_at_same_time_start_and_end),
      cmocka_unit_test(test_overlapping_infusions),
      cmocka_unit_test(test_infusions_leave_no_rate),
      cmocka_unit_test(test_short_infusions_deliver_the_dose),
      cmocka_unit_test(test_dose_scaled_beyond_the_solver),
      cmocka_unit_test(test_presets_settings_overrides),
      cmocka_unit_test(test_joint_route),
      cmocka_unit_test(test_steady_baseline),
      cmocka_unit_test(test_steady_baseline_shared_by_arms),
      cmocka_unit_test(test_steady_baseline_fails),
      cmocka_unit_test(test_nested_metric),
      cmocka_unit_test(test_closed_form_one_compartment),
      cmocka_unit_test(test_closed_form_two_compartment),
      cmocka_unit_test(test_allocation_failures),
  };
  return cmocka_run_group_tests(tests, setup_dir, scratch_teardown);
}
