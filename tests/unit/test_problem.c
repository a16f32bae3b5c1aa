/* synovia — unit tests of the compiled problem (src/problem/, synovia/problem.h):
 * free parameters of each kind and their errors (exact text), an evaluation
 * against syn_run (the plain driver, a solver of its own) bit for bit, dose
 * amount and dose time as free parameters against the closed form of a bolus
 * into x' = -k x, two workspaces interleaved against one, the same theta
 * twice giving the same bits, a failed evaluation leaving the workspace
 * usable, and no allocation per evaluation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "synovia/problem.h"
#include "synovia/run.h"
#include "synovia/scenario.h"
#include "support/scratch.h"

static int setup_dir(void **state) {
  (void)state;
  return scratch_setup("test_problem");
}

/* x' = -k x with a bolus route, a compartment and an output */
static const char decay_model[] =
    "time unit h\n"
    "compartment V = 2\n"
    "param k = 0.3 /h\n"
    "state x = 0\n"
    "state y = 1\n"
    "d/dt x = -k * x\n"
    "d/dt y = -0.5 * k * y\n"
    "output c = x / V\n"
    "route IV -> x\n"
    "route PO -> x\n";

static const char decay_scenario[] =
    "scenario \"decay\"\n"
    "model \"m.model\"\n"
    "simulate 0 h to 24 h every 0.5 h\n"
    "solver rtol 1e-10 atol 1e-12\n"
    "arm \"bolus\"\n"
    "  dose IV 10 mg at 3 h\n"
    "arm \"two\"\n"
    "  dose PO 5 mg at 1 h\n"
    "  dose PO 5 mg at 2 h over 1 h\n"
    "arm \"none\"\n"
    "arm \"at zero\"\n"
    "  dose IV 3 mg at 0 h\n"
    "metric auc_x = auc(x, 0 h, 24 h)\n"
    "metric x_max = max(x)\n"
    "metric half = time_below(x, 0.5 * max(x), tmax(x, 0 h, 24 h), 24 h)\n";

static const char joint_model[] =
    "time unit h\n"
    "joints knee_L knee_R\n"
    "param k = 0.1 /h\n"
    "state P = 1\n"
    "d/dt P = -k * P\n"
    "per joint {\n"
    "  param severity = 1\n"
    "  state MSC = 1\n"
    "  d/dt MSC = -k * severity * MSC\n"
    "}\n";

static const char joint_scenario[] =
    "scenario \"joints\"\n"
    "model \"j.model\"\n"
    "simulate 0 h to 10 h every 1 h\n"
    "arm \"a\"\n";

static syn_scenario *load(const char *model_name, const char *model, const char *scenario) {
  syn_error err;
  syn_scenario *s = NULL;
  if (scratch_load_scenario(model_name, model, scenario, &s, &err) != SYN_OK)
    fail_msg("%s", err.message);
  return s;
}

static syn_problem *make(const syn_scenario *s, const char *const *names, size_t n) {
  syn_problem *p = NULL;
  syn_error err;
  if (syn_problem_create(s, NULL, 0, names, n, NULL, &p, &err) != SYN_OK)
    fail_msg("%s", err.message);
  return p;
}

/* The creation fails with exactly this message. */
static void create_fails(const syn_scenario *s, const char *name, const char *message) {
  syn_problem *p = NULL;
  syn_error err;
  assert_int_equal(syn_problem_create(s, NULL, 0, &name, 1, NULL, &p, &err), SYN_EINVAL);
  assert_null(p);
  assert_string_equal(err.message, message);
}

/* ---- free parameters ---------------------------------------------------------------------------- */

static void test_free_parameters_resolve(void **state) {
  (void)state;
  syn_scenario *s = load("m.model", decay_model, decay_scenario);
  const char *names[] = {"k", "V", "y", "dose:bolus:IV.amount", "dose:two:PO:2.time"};
  syn_problem *p = make(s, names, 5);
  assert_int_equal(syn_problem_free_count(p), 5);
  assert_string_equal(syn_problem_free_name(p, 3), "dose:bolus:IV.amount");
  assert_int_equal(syn_problem_arm_count(p), 4);
  size_t nt = 0;
  const double *t = syn_problem_times(p, &nt);
  assert_int_equal(nt, 49);
  assert_true(t[0] == 0 && t[48] == 24);
  assert_int_equal(syn_problem_series_count(p), 3);
  syn_problem_destroy(p);

  create_fails(s, "kk", "unknown name 'kk' (did you mean 'k'?)");
  create_fails(s, "c", "'c' is an output and cannot be set");
  create_fails(s, "dose:bolsu:IV.amount",
               "'dose:bolsu:IV.amount': unknown arm 'bolsu' (did you mean 'bolus'?)");
  create_fails(s, "dose:bolus:IB.amount",
               "'dose:bolus:IB.amount': arm 'bolus' has no dose of 'IB' (did you mean 'IV'?)");
  create_fails(s, "dose:two:PO.time", "'dose:two:PO.time': arm 'two' has 2 doses of 'PO'");
  create_fails(s, "dose:two:PO:3.time", "'dose:two:PO:3.time': arm 'two' has 2 doses of 'PO', not 3");
  create_fails(s, "dose:bolus:IV.amout",
               "'dose:bolus:IV.amout': a dose's free parameter ends in .amount or .time "
               "(did you mean '.amount'?)");
  create_fails(s, "dose:bolus.time", "'dose:bolus.time': a dose is named dose:ARM:ROUTE.time");
  /* a dose of an arm the problem does not run */
  size_t arm = 1;
  const char *name = "dose:bolus:IV.amount";
  syn_problem *q = NULL;
  syn_error err;
  assert_int_equal(syn_problem_create(s, &arm, 1, &name, 1, NULL, &q, &err), SYN_EINVAL);
  assert_string_equal(err.message,
                      "'dose:bolus:IV.amount': arm 'bolus' is not one of the problem's arms");
  syn_scenario_destroy(s);
}

/* A per-joint name without its joint drives every joint's copy. */
static void test_per_joint_name_drives_every_copy(void **state) {
  (void)state;
  syn_scenario *s = load("j.model", joint_model, joint_scenario);
  const char *names[] = {"severity", "knee_R.MSC"};
  syn_problem *p = make(s, names, 2);
  syn_problem_ws *ws = NULL;
  syn_error err;
  assert_int_equal(syn_problem_ws_create(p, &ws, &err), SYN_OK);
  const double theta[] = {3.0, 2.0};
  syn_problem_result r;
  assert_int_equal(syn_problem_eval(ws, 0, theta, NULL, &r, &err), SYN_OK);
  const syn_instance *inst = syn_problem_ws_instance(ws, 0);
  const syn_model *m = syn_scenario_model(s);
  size_t n = 0;
  for (size_t i = 0; i < syn_model_count(m, SYN_SYM_PARAM); i++) {
    const syn_symbol *sym = syn_model_symbol(m, SYN_SYM_PARAM, i);
    if (strcmp(sym->base, "severity") == 0) {
      assert_true(syn_instance_value(inst, SYN_SYM_PARAM, i) == 3.0);
      n++;
    }
  }
  assert_int_equal(n, 2);
  size_t L, R;
  assert_true(syn_model_find(m, "knee_L.MSC", NULL, &L) && syn_model_find(m, "knee_R.MSC", NULL, &R));
  assert_true(r.series[L] == 1.0 && r.series[R] == 2.0); /* the start */
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_scenario_destroy(s);
}

/* A free parameter's value in each arm when the problem leaves it alone: the
 * arm's own `set`/`use` lines (a derived parameter and an initial value as
 * computed from them), a dose as written; a per-joint name whose copies
 * differ has none. */
static void test_free_base_per_arm(void **state) {
  (void)state;
  static const char model[] =
      "time unit h\n"
      "joints knee_L knee_R\n"
      "param k = 0.3 /h\n"
      "param k2 = 2 * k\n"
      "param x0 = 4 mg\n"
      "state x = x0 * k * 1 h\n"
      "d/dt x = -k2 * x\n"
      "route IV -> x\n"
      "per joint {\n"
      "  param severity = 1\n"
      "  state M = 1\n"
      "  d/dt M = -severity * M\n"
      "}\n"
      "preset fast { k = 0.5 }\n";
  static const char scenario[] =
      "scenario \"base\"\n"
      "model \"b.model\"\n"
      "simulate 0 h to 4 h every 1 h\n"
      "set severity = 2\n"
      "arm \"plain\"\n"
      "  dose IV 10 mg at 3 h\n"
      "arm \"fast\"\n"
      "  use fast\n"
      "  set knee_R.severity = 5\n"
      "  dose IV 7 mg at 1 h\n";
  syn_scenario *s = load("b.model", model, scenario);
  const char *names[] = {"k", "k2", "x", "severity", "dose:fast:IV.amount", "dose:fast:IV.time"};
  syn_problem *p = make(s, names, 6);
  syn_error err;
  double v = 0;
  static const double plain[] = {0.3, 0.6, 1.2, 2, 7, 1};
  for (size_t k = 0; k < 6; k++) {
    assert_int_equal(syn_problem_free_base(p, 0, k, &v, &err), SYN_OK);
    assert_true(fabs(v - plain[k]) <= 1e-15 * fabs(plain[k]));
  }
  static const double fast[] = {0.5, 1.0, 2.0, 0, 7, 1};
  for (size_t k = 0; k < 6; k++) {
    if (k == 3) continue;
    assert_int_equal(syn_problem_free_base(p, 1, k, &v, &err), SYN_OK);
    assert_true(fabs(v - fast[k]) <= 1e-15 * fabs(fast[k]));
  }
  assert_int_equal(syn_problem_free_base(p, 1, 3, &v, &err), SYN_EINVAL);
  assert_string_equal(err.message, "'severity' has no one value in arm 'fast': "
                                   "knee_L.severity = 2, knee_R.severity = 5");
  assert_int_equal(syn_problem_free_base(p, 2, 0, &v, &err), SYN_EINVAL);
  assert_int_equal(syn_problem_free_base(p, 0, 6, &v, &err), SYN_EINVAL);
  const char *one = "knee_R.severity";
  syn_problem *q = make(s, &one, 1);
  assert_int_equal(syn_problem_free_base(q, 1, 0, &v, &err), SYN_OK);
  assert_true(v == 5);
  syn_problem_destroy(q);
  /* after an evaluation with other values: still the arm's own */
  syn_problem_ws *ws = NULL;
  assert_int_equal(syn_problem_ws_create(p, &ws, &err), SYN_OK);
  const double theta[] = {0.9, 1.1, 3, 4, 8, 2};
  syn_problem_result r;
  assert_int_equal(syn_problem_eval(ws, 0, theta, NULL, &r, &err), SYN_OK);
  assert_int_equal(syn_problem_free_base(p, 0, 0, &v, &err), SYN_OK);
  assert_true(v == 0.3);
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_scenario_destroy(s);
}

/* ---- evaluation ------------------------------------------------------------------------------------ */

/* Arm "none" (no doses) with k and y free equals syn_run of an instance set
 * by name, bit for bit: the problem's reused solver runs as a new one. */
static void test_eval_equals_syn_run(void **state) {
  (void)state;
  syn_scenario *s = load("m.model", decay_model, decay_scenario);
  const char *names[] = {"k", "y"};
  syn_problem *p = make(s, names, 2);
  syn_problem_ws *ws = NULL;
  syn_error err;
  assert_int_equal(syn_problem_ws_create(p, &ws, &err), SYN_OK);
  const double thetas[3][2] = {{0.7, 3.0}, {0.05, 0.5}, {0.7, 3.0}};
  for (int j = 0; j < 3; j++) {
    syn_problem_result r;
    assert_int_equal(syn_problem_eval(ws, 2, thetas[j], NULL, &r, &err), SYN_OK);
    syn_instance *inst = NULL;
    assert_int_equal(syn_instance_create(syn_scenario_model(s), &inst, &err), SYN_OK);
    assert_int_equal(syn_instance_set(inst, "k", thetas[j][0], &err), SYN_OK);
    assert_int_equal(syn_instance_set(inst, "y", thetas[j][1], &err), SYN_OK);
    assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
    syn_run_opts o;
    syn_run_opts_default(&o);
    syn_scenario_grid(s, &o.t_start, &o.t_end, &o.every);
    syn_scenario_solver_opts(s, &o.solver);
    syn_result *res = NULL;
    assert_int_equal(syn_run(inst, &o, &res, &err), SYN_OK);
    assert_int_equal(syn_result_ntimes(res), r.ntimes);
    for (size_t c = 0; c < r.nseries; c++) {
      const double *v = syn_result_series(res, c);
      for (size_t k = 0; k < r.ntimes; k++) assert_true(r.series[k * r.nseries + c] == v[k]);
    }
    syn_result_destroy(res);
    syn_instance_destroy(inst);
  }
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_scenario_destroy(s);
}

static long attr_int(const syn_result *r, const char *key) {
  for (size_t i = 0; i < syn_result_attr_count(r); i++) {
    const syn_attr *a = syn_result_attr(r, i);
    if (strcmp(a->key, key) == 0 && a->type == SYN_ATTR_INT) return (long)a->i;
  }
  fail_msg("no attribute %s", key);
  return -1;
}

/* A plain model's problem (what `synovia run MODEL` runs) gives syn_run's
 * result, bit for bit, values and attributes. */
static void test_model_problem_equals_syn_run(void **state) {
  (void)state;
  syn_scenario *s = load("m.model", decay_model, decay_scenario);
  const syn_model *m = syn_scenario_model(s);
  syn_run_opts o;
  syn_run_opts_default(&o);
  o.t_end = 30;
  o.every = 0.7;
  const char *names[] = {"k", "x"};
  const double theta[] = {0.25, 4};
  syn_problem *p = NULL;
  syn_problem_ws *ws = NULL;
  syn_result *a = NULL, *b = NULL;
  syn_instance *inst = NULL;
  syn_error err;
  assert_int_equal(syn_problem_create_model(m, &o, names, 2, &p, &err), SYN_OK);
  assert_int_equal(syn_problem_ws_create(p, &ws, &err), SYN_OK);
  assert_int_equal(syn_problem_eval_run(ws, 0, theta, &a, &err), SYN_OK);
  assert_int_equal(syn_instance_create(m, &inst, &err), SYN_OK);
  assert_int_equal(syn_instance_set(inst, "k", 0.25, &err), SYN_OK);
  assert_int_equal(syn_instance_set(inst, "x", 4, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  assert_int_equal(syn_run(inst, &o, &b, &err), SYN_OK);
  assert_int_equal(syn_result_ntimes(a), syn_result_ntimes(b));
  assert_memory_equal(syn_result_times(a), syn_result_times(b), syn_result_ntimes(a) * sizeof(double));
  for (size_t c = 0; c < 3; c++)
    assert_memory_equal(syn_result_series(a, c), syn_result_series(b, c),
                        syn_result_ntimes(a) * sizeof(double));
  assert_int_equal(syn_result_attr_count(a), syn_result_attr_count(b));
  for (size_t i = 0; i < syn_result_attr_count(a); i++) {
    const syn_attr *x = syn_result_attr(a, i), *y = syn_result_attr(b, i);
    assert_string_equal(x->key, y->key);
    assert_true(x->type == y->type && x->i == y->i && memcmp(&x->d, &y->d, sizeof x->d) == 0);
    if (x->type == SYN_ATTR_STRING) assert_string_equal(x->s, y->s);
  }
  /* the grid rule and its message are syn_run's */
  syn_problem *q = NULL;
  o.every = -1;
  assert_int_equal(syn_problem_create_model(m, &o, NULL, 0, &q, &err), SYN_EINVAL);
  assert_string_equal(err.message, "the output spacing must be positive (found -1 h)");
  syn_result_destroy(a);
  syn_result_destroy(b);
  syn_instance_destroy(inst);
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_scenario_destroy(s);
}

/* The evaluation is syn_scenario_run_arm with overrides, bit for bit, and
 * so are its solver statistics, the workspace's solvers reused (a dose at
 * the start stops the solver before its first step). */
static void test_eval_equals_run_arm(void **state) {
  (void)state;
  syn_scenario *s = load("m.model", decay_model, decay_scenario);
  const char *names[] = {"k", "V"};
  syn_problem *p = make(s, names, 2);
  syn_problem_ws *ws = NULL;
  syn_error err;
  assert_int_equal(syn_problem_ws_create(p, &ws, &err), SYN_OK);
  const double theta[] = {0.45, 3.5};
  const syn_override ov[] = {{"k", 0.45}, {"V", 3.5}};
  for (size_t i = 0; i < 8; i++) {
    size_t arm = i % 4;
    syn_problem_result r;
    syn_arm_result *ar = NULL;
    assert_int_equal(syn_problem_eval(ws, arm, theta, NULL, &r, &err), SYN_OK);
    assert_int_equal(syn_scenario_run_arm(s, arm, NULL, ov, 2, &ar, &err), SYN_OK);
    assert_int_equal(syn_result_ntimes(ar->series), r.ntimes);
    for (size_t c = 0; c < r.nseries; c++) {
      const double *v = syn_result_series(ar->series, c);
      for (size_t k = 0; k < r.ntimes; k++) assert_true(r.series[k * r.nseries + c] == v[k]);
    }
    for (size_t m = 0; m < 3; m++) {
      double v;
      syn_result_metric(ar->series, m, NULL, NULL, NULL, &v);
      assert_memory_equal(&v, &r.metrics[m], sizeof v);
    }
    assert_int_equal(attr_int(ar->series, "cvode_nsteps"), r.stats.nsteps);
    assert_int_equal(attr_int(ar->series, "cvode_nfevals"), r.stats.nfevals);
    assert_int_equal(attr_int(ar->series, "cvode_njevals"), r.stats.njevals);
    assert_int_equal(attr_int(ar->series, "cvode_nlinsetups"), r.stats.nlinsetups);
    assert_int_equal(attr_int(ar->series, "cvode_nreinit"), r.stats.nreinit);
    syn_arm_result_destroy(ar);
  }
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_scenario_destroy(s);
}

static double series_at(const syn_problem_result *r, size_t k, size_t c) {
  return r->series[k * r->nseries + c];
}

/* Dose amount A and dose time t_d free: x(t) = A e^{-k (t - t_d)} after
 * t_d, 0 before; the output grid is 0.5 h, t_d on it or between points. */
static void test_dose_amount_and_time_closed_form(void **state) {
  (void)state;
  syn_scenario *s = load("m.model", decay_model, decay_scenario);
  const char *names[] = {"dose:bolus:IV.amount", "dose:bolus:IV.time", "k"};
  syn_problem *p = make(s, names, 3);
  syn_problem_ws *ws = NULL;
  syn_error err;
  assert_int_equal(syn_problem_ws_create(p, &ws, &err), SYN_OK);
  size_t nt = 0;
  const double *t = syn_problem_times(p, &nt);
  const double cases[][3] = {{10, 3, 0.3}, {250, 7.25, 0.1}, {1, 0, 1.2}, {40, 23.5, 0.2}};
  for (size_t j = 0; j < sizeof cases / sizeof *cases; j++) {
    double A = cases[j][0], td = cases[j][1], k = cases[j][2];
    syn_problem_result r;
    assert_int_equal(syn_problem_eval(ws, 0, cases[j], NULL, &r, &err), SYN_OK);
    assert_int_equal(r.ntimes, nt);
    for (size_t i = 0; i < nt; i++) {
      double want = t[i] >= td ? A * exp(-k * (t[i] - td)) : 0.0;
      double got = series_at(&r, i, 0);
      if (!(fabs(got - want) <= 1e-7 * A))
        fail_msg("case %zu t %g: x %.12g, want %.12g", j, t[i], got, want);
    }
    /* the metrics follow: max is A, and x falls to half after ln 2 / k */
    assert_true(fabs(r.metrics[1] - A) <= 1e-8 * A);
    if (td + log(2) / k < 24) assert_true(fabs(r.metrics[2] - (td + log(2) / k)) < 1e-6);
  }
  /* a dose moved after the end is skipped; before the start, refused */
  const double late[] = {10, 30, 0.3}, early[] = {10, -1, 0.3}, bad[] = {NAN, 3, 0.3};
  syn_problem_result r;
  assert_int_equal(syn_problem_eval(ws, 0, late, NULL, &r, &err), SYN_OK);
  assert_int_equal(r.doses_skipped, 1);
  assert_true(series_at(&r, nt - 1, 0) == 0.0);
  assert_int_equal(syn_problem_eval(ws, 0, early, NULL, &r, &err), SYN_EINVAL);
  assert_string_equal(err.message,
                      "'dose:bolus:IV.time' = -1 is before the start of the simulation (0)");
  assert_int_equal(syn_problem_eval(ws, 0, bad, NULL, &r, &err), SYN_EINVAL);
  assert_string_equal(err.message, "value for 'dose:bolus:IV.amount' is not finite (nan)");
  /* still usable, and the first case again gives the same bits */
  syn_problem_result r1;
  assert_int_equal(syn_problem_eval(ws, 0, cases[0], NULL, &r1, &err), SYN_OK);
  double first = series_at(&r1, 10, 0);
  assert_int_equal(syn_problem_eval(ws, 0, cases[1], NULL, &r1, &err), SYN_OK);
  assert_int_equal(syn_problem_eval(ws, 0, cases[0], NULL, &r1, &err), SYN_OK);
  assert_true(series_at(&r1, 10, 0) == first);
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_scenario_destroy(s);
}

/* The series at the caller's times: at grid times the grid's values, bit
 * for bit (and asking changes no value of the grid's); off the grid the
 * closed form; at the dose time the value after the dose; before it 0. */
static void test_series_at_given_times(void **state) {
  (void)state;
  syn_scenario *s = load("m.model", decay_model, decay_scenario);
  const char *names[] = {"dose:bolus:IV.time"};
  syn_problem *p = make(s, names, 1);
  syn_problem_ws *ws = NULL;
  syn_error err;
  assert_int_equal(syn_problem_ws_create(p, &ws, &err), SYN_OK);
  const double td = 3.3, A = 10, k = 0.3;
  size_t nt = 0, ns = syn_problem_series_count(p);
  syn_problem_times(p, &nt);
  syn_problem_result plain, with;
  assert_int_equal(syn_problem_eval(ws, 0, &td, NULL, &plain, &err), SYN_OK);
  double *grid = malloc(nt * ns * sizeof *grid);
  assert_non_null(grid);
  memcpy(grid, plain.series, nt * ns * sizeof *grid);
  double m[3];
  memcpy(m, plain.metrics, sizeof m);
  const double at[] = {0, 1.0, 3.3, 3.3, 3.31, 7.77, 12.5, 24};
  double values[8 * 3];
  syn_problem_want want = {1, NULL, at, 8, values, NULL, 0, NULL, NULL};
  assert_int_equal(syn_problem_eval(ws, 0, &td, &want, &with, &err), SYN_OK);
  assert_memory_equal(with.series, grid, nt * ns * sizeof *grid);
  assert_memory_equal(with.metrics, m, sizeof m);
  assert_true(values[0 * 3] == 0 && values[1 * 3] == 0);
  for (size_t i = 2; i < 8; i++) {
    double want_x = A * exp(-k * (at[i] - td));
    if (!(fabs(values[i * 3] - want_x) <= 1e-7 * A))
      fail_msg("t %g: x %.12g, want %.12g", at[i], values[i * 3], want_x);
    assert_true(values[i * 3 + 2] == values[i * 3] / 2); /* the output c = x / V */
  }
  assert_true(values[2 * 3] == A && values[3 * 3] == A); /* after the dose */
  assert_memory_equal(&values[6 * 3], &grid[25 * ns], 3 * sizeof *values); /* 12.5 h */
  assert_memory_equal(&values[7 * 3], &grid[48 * ns], 3 * sizeof *values); /* the end */
  const double bad[] = {2, 1};
  want = (syn_problem_want){1, NULL, bad, 2, values, NULL, 0, NULL, NULL};
  assert_int_equal(syn_problem_eval(ws, 0, &td, &want, &with, &err), SYN_EINVAL);
  assert_string_equal(err.message, "time 1 asked for (1) is before the one before it");
  free(grid);
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_scenario_destroy(s);
}

/* A value refused names the free parameter as given. */
static void test_bad_values(void **state) {
  (void)state;
  syn_scenario *s = load("m.model", decay_model, decay_scenario);
  const char *names[] = {"V", "k"};
  syn_problem *p = make(s, names, 2);
  syn_problem_ws *ws = NULL;
  syn_error err;
  syn_problem_result r;
  assert_int_equal(syn_problem_ws_create(p, &ws, &err), SYN_OK);
  const double neg[] = {-1, 0.3}, inf[] = {2, INFINITY};
  assert_int_equal(syn_problem_eval(ws, 0, neg, NULL, &r, &err), SYN_EINVAL);
  assert_string_equal(err.message, "compartment 'V' must have a positive size (found -1)");
  assert_int_equal(syn_problem_eval(ws, 0, inf, NULL, &r, &err), SYN_EINVAL);
  assert_string_equal(err.message, "value for 'k' is not finite (inf)");
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_scenario_destroy(s);
}

/* Two workspaces on one problem, evaluations interleaved, give the bits one
 * workspace gives evaluating the same thetas in turn. */
static void test_two_workspaces_interleaved(void **state) {
  (void)state;
  syn_scenario *s = load("m.model", decay_model, decay_scenario);
  const char *names[] = {"k", "dose:two:PO:1.amount", "dose:two:PO:2.time"};
  syn_problem *p = make(s, names, 3);
  syn_problem_ws *one = NULL, *a = NULL, *b = NULL;
  syn_error err;
  assert_int_equal(syn_problem_ws_create(p, &one, &err), SYN_OK);
  assert_int_equal(syn_problem_ws_create(p, &a, &err), SYN_OK);
  assert_int_equal(syn_problem_ws_create(p, &b, &err), SYN_OK);
  const double th[4][3] = {{0.3, 5, 2}, {0.9, 50, 6.5}, {0.1, 1, 20}, {0.5, 8, 0.25}};
  size_t nt = 0, ns = syn_problem_series_count(p);
  syn_problem_times(p, &nt);
  double *want = calloc(4 * nt * ns, sizeof *want), wm[4][3];
  assert_non_null(want);
  for (int j = 0; j < 4; j++) {
    syn_problem_result r;
    assert_int_equal(syn_problem_eval(one, 1, th[j], NULL, &r, &err), SYN_OK);
    memcpy(want + j * nt * ns, r.series, nt * ns * sizeof *want);
    memcpy(wm[j], r.metrics, sizeof wm[j]);
  }
  for (int j = 0; j < 4; j += 2) {
    syn_problem_result ra, rb;
    assert_int_equal(syn_problem_eval(a, 1, th[j], NULL, &ra, &err), SYN_OK);
    assert_int_equal(syn_problem_eval(b, 1, th[j + 1], NULL, &rb, &err), SYN_OK);
    assert_memory_equal(ra.series, want + j * nt * ns, nt * ns * sizeof *want);
    assert_memory_equal(rb.series, want + (j + 1) * nt * ns, nt * ns * sizeof *want);
    assert_memory_equal(ra.metrics, wm[j], sizeof wm[j]);
    assert_memory_equal(rb.metrics, wm[j + 1], sizeof wm[j + 1]);
  }
  free(want);
  syn_problem_ws_destroy(one);
  syn_problem_ws_destroy(a);
  syn_problem_ws_destroy(b);
  syn_problem_destroy(p);
  syn_scenario_destroy(s);
}

/* Once the workspace exists, an evaluation allocates nothing (doses moved,
 * infusions, metrics in two rounds, series or not). */
static void test_no_allocation_per_eval(void **state) {
  (void)state;
  syn_scenario *s = load("m.model", decay_model, decay_scenario);
  const char *names[] = {"k", "V", "dose:two:PO:1.amount", "dose:two:PO:2.time"};
  syn_problem *p = make(s, names, 4);
  syn_problem_ws *ws = NULL;
  syn_error err;
  assert_int_equal(syn_problem_ws_create(p, &ws, &err), SYN_OK);
  const unsigned char some[] = {0, 1, 1};
  const double at[] = {0.25, 5.5, 5.5, 23};
  double at_values[4 * 3];
  const syn_problem_want keep = {0, some, at, 4, at_values, NULL, 0, NULL, NULL};
  long before = syn_alloc_test_count();
  for (int j = 0; j < 6; j++) {
    const double theta[] = {0.1 + 0.2 * j, 1 + j, 5 + j, 0.5 + 3 * j};
    syn_problem_result r;
    for (size_t arm = 0; arm < 3; arm++)
      assert_int_equal(syn_problem_eval(ws, arm, theta, j % 2 ? &keep : NULL, &r, &err), SYN_OK);
  }
  assert_int_equal(syn_alloc_test_count(), before);
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_scenario_destroy(s);
}

/* A workspace makes its sensitivity buffers (which grow with the grid times
 * the series, and with the square of the states for a steady start) only
 * when an evaluation first asks for sensitivities: a plain run of 10^5
 * states failed with "out of memory for the sensitivities" when they came
 * with the workspace. The first such evaluation allocates (and, if that
 * fails, says so and a later one tries again); later ones allocate nothing. */
static void test_sensitivity_buffers_made_when_asked(void **state) {
  (void)state;
  syn_scenario *s = load("m.model", decay_model, decay_scenario);
  const char *names[] = {"k"};
  syn_problem *p = make(s, names, 1);
  syn_problem_ws *ws = NULL;
  syn_error err;
  syn_problem_result r;
  const double theta[] = {0.3};
  const syn_problem_want sens = {.series = 1, .nsens = SYN_PROBLEM_SENS_ALL};
  assert_int_equal(syn_problem_ws_create(p, &ws, &err), SYN_OK);
  long before = syn_alloc_test_count();
  assert_int_equal(syn_problem_eval(ws, 0, theta, NULL, &r, &err), SYN_OK);
  assert_int_equal(syn_alloc_test_count(), before); /* a plain evaluation: none */
  syn_alloc_test_fail_after(1);
  assert_int_equal(syn_problem_eval(ws, 0, theta, &sens, &r, &err), SYN_ENOMEM);
  syn_alloc_test_fail_after(0);
  assert_string_equal(err.message, "out of memory for the sensitivities");
  assert_int_equal(syn_problem_eval(ws, 0, theta, &sens, &r, &err), SYN_OK);
  assert_int_equal(r.nsens, 1);
  before = syn_alloc_test_count();
  assert_int_equal(syn_problem_eval(ws, 0, theta, &sens, &r, &err), SYN_OK);
  assert_int_equal(syn_alloc_test_count(), before);
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_scenario_destroy(s);
}

/* A dose at the last output time adds a stop and no step: the statistics
 * are those of the same arm without it (the last segment, without a step,
 * counted the previous segment's Jacobian evaluations again). */
static void test_stats_with_a_dose_at_the_end(void **state) {
  (void)state;
  syn_scenario *s = load("m.model", decay_model,
                         "model \"m.model\"\nsimulate 0 h to 24 h every 1 h\n"
                         "arm a\n  dose IV 10 mg at 2 h\n"
                         "arm b\n  dose IV 10 mg at 2 h\n  dose IV 1 mg at 24 h\n");
  syn_arm_result *a = NULL, *b = NULL;
  syn_error err;
  assert_int_equal(syn_scenario_run_arm(s, 0, NULL, NULL, 0, &a, &err), SYN_OK);
  assert_int_equal(syn_scenario_run_arm(s, 1, NULL, NULL, 0, &b, &err), SYN_OK);
  assert_int_equal(attr_int(b->series, "cvode_nreinit"), attr_int(a->series, "cvode_nreinit") + 1);
  const char *same[] = {"cvode_nsteps", "cvode_nfevals", "cvode_njevals", "cvode_nlinsetups"};
  for (size_t i = 0; i < 4; i++)
    assert_int_equal(attr_int(b->series, same[i]), attr_int(a->series, same[i]));
  syn_arm_result_destroy(a);
  syn_arm_result_destroy(b);
  syn_scenario_destroy(s);
}

/* Every allocation of creating a problem (free parameters of each kind), a
 * workspace and evaluating may fail: SYN_ENOMEM, nothing leaked (ASan). */
static void test_allocation_failures(void **state) {
  (void)state;
  syn_scenario *s = load("m.model", decay_model, decay_scenario);
  const char *names[] = {"k", "V", "dose:two:PO:1.amount", "dose:two:PO:2.time"};
  const double theta[] = {0.3, 2, 5, 2};
  int ok = 0;
  for (long n = 1; n < 100000 && !ok; n++) {
    syn_error err;
    syn_problem *p = NULL;
    syn_problem_ws *ws = NULL;
    syn_arm_result *ar = NULL;
    syn_problem_result r;
    syn_alloc_test_fail_after(n);
    syn_status st = syn_problem_create(s, NULL, 0, names, 4, NULL, &p, &err);
    if (st == SYN_OK) st = syn_problem_ws_create(p, &ws, &err);
    if (st == SYN_OK) st = syn_problem_eval(ws, 1, theta, NULL, &r, &err);
    if (st == SYN_OK) st = syn_problem_eval_arm(ws, 1, theta, NULL, &ar, &err);
    syn_alloc_test_fail_after(0);
    if (st == SYN_OK) ok = 1;
    else assert_int_equal(st, SYN_ENOMEM);
    syn_arm_result_destroy(ar);
    syn_problem_ws_destroy(ws);
    syn_problem_destroy(p);
  }
  assert_true(ok);
  syn_scenario_destroy(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_free_parameters_resolve),
      cmocka_unit_test(test_per_joint_name_drives_every_copy),
      cmocka_unit_test(test_free_base_per_arm),
      cmocka_unit_test(test_eval_equals_syn_run),
      cmocka_unit_test(test_eval_equals_run_arm),
      cmocka_unit_test(test_model_problem_equals_syn_run),
      cmocka_unit_test(test_dose_amount_and_time_closed_form),
      cmocka_unit_test(test_series_at_given_times),
      cmocka_unit_test(test_bad_values),
      cmocka_unit_test(test_two_workspaces_interleaved),
      cmocka_unit_test(test_no_allocation_per_eval),
      cmocka_unit_test(test_sensitivity_buffers_made_when_asked),
      cmocka_unit_test(test_stats_with_a_dose_at_the_end),
      cmocka_unit_test(test_allocation_failures),
  };
  return cmocka_run_group_tests(tests, setup_dir, scratch_teardown);
}
