/* synovia — unit tests of syn_run (solve layer): the output grid, the result
 * it builds (series, attributes, parameter table), accuracy against a closed
 * form, and its errors. Models come from text (syn_model_load_text). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "synovia/run.h"

static const char decay_text[] =
    "model \"decay\"\n"
    "time unit h\n"
    "param k = 0.5 /h \"elimination\" source \"assumed\"\n"
    "state X = 100 mg \"amount\"\n"
    "d/dt X = -k * X\n"
    "output frac = X / 100 \"fraction left\"\n";

static syn_model *load(const char *text) {
  syn_model *m = NULL;
  syn_error err;
  if (syn_model_load_text("test.model", text, strlen(text), &m, &err) != SYN_OK)
    fail_msg("load: %s", err.message);
  return m;
}

static syn_instance *instance(const syn_model *m) {
  syn_instance *inst = NULL;
  syn_error err;
  assert_int_equal(syn_instance_create(m, &inst, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  return inst;
}

static const syn_attr *find_attr(const syn_result *r, const char *key) {
  for (size_t i = 0; i < syn_result_attr_count(r); i++)
    if (strcmp(syn_result_attr(r, i)->key, key) == 0) return syn_result_attr(r, i);
  return NULL;
}

static size_t grid(double t0, double t1, double every) {
  syn_run_opts o;
  syn_run_opts_default(&o);
  o.t_start = t0;
  o.t_end = t1;
  o.every = every;
  return syn_run_grid_size(&o);
}

static void test_grid_size(void **state) {
  (void)state;
  syn_run_opts o;
  syn_run_opts_default(&o);
  assert_int_equal(syn_run_grid_size(&o), 0); /* t_end unset */
  assert_true(o.solver.rtol == 1e-6);
  assert_int_equal(grid(0, 10, 2), 6);     /* 0 2 4 6 8 10 */
  assert_int_equal(grid(0, 10, 3), 5);     /* 0 3 6 9 10 */
  assert_int_equal(grid(0, 1, 0.1), 11);   /* 10 * 0.1 rounds below 1: no extra point */
  assert_int_equal(grid(0, 0.3, 0.1), 4);  /* 3 * 0.1 rounds above 0.3 */
  assert_int_equal(grid(0, 0.7, 0.1), 8);
  assert_int_equal(grid(5, 6, 10), 2);     /* spacing wider than the run */
  assert_int_equal(grid(0, 10, -1), 0);
  assert_int_equal(grid(0, 10, 0), 0);
  assert_int_equal(grid(3, 3, 1), 0);
  assert_int_equal(grid(0, NAN, 1), 0);
  assert_int_equal(grid(0, 1e12, 1e-3), 0); /* absurdly many points */
  assert_int_equal(syn_run_grid_size(NULL), 0);
}

/* Runs the decay model over [t0, t1] every `every`; asserts success. */
static syn_result *run_grid(double t0, double t1, double every) {
  syn_model *m = load(decay_text);
  syn_instance *inst = instance(m);
  syn_run_opts o;
  syn_run_opts_default(&o);
  o.t_start = t0;
  o.t_end = t1;
  o.every = every;
  syn_result *r = NULL;
  syn_error err;
  if (syn_run(inst, &o, &r, &err) != SYN_OK) fail_msg("run: %s", err.message);
  syn_instance_destroy(inst);
  syn_model_destroy(m);
  return r;
}

/* Strictly increasing, starting at t0 and ending exactly at t1. */
static void check_times(const syn_result *r, double t0, double t1) {
  const double *t = syn_result_times(r);
  size_t n = syn_result_ntimes(r);
  assert_true(n >= 2);
  assert_true(t[0] == t0);
  assert_true(t[n - 1] == t1);
  for (size_t k = 1; k < n; k++)
    if (!(t[k] > t[k - 1])) fail_msg("time %zu (%.17g) does not follow %.17g", k, t[k], t[k - 1]);
}

/* Far from zero the snapping tolerance (relative to the times) used to exceed
 * the spacing: 1e6 + 10000 * 1e-4 was snapped to t_end, and so was the point
 * before it, repeating t_end. Spacing below rounding is refused. */
static void test_grid_far_from_zero(void **state) {
  (void)state;
  assert_int_equal(grid(1e6, 1e6 + 1, 1e-4), 10001);
  assert_int_equal(grid(1e7, 1e7 + 1, 1e-3), 1001);
  syn_result *r = run_grid(1e6, 1e6 + 1, 1e-4);
  assert_int_equal(syn_result_ntimes(r), 10001);
  check_times(r, 1e6, 1e6 + 1);
  syn_result_destroy(r);
  assert_int_equal(grid(1e17, 1e17 + 1600, 1), 0); /* 1 is below the spacing of doubles there */
  syn_model *m = load(decay_text);
  syn_instance *inst = instance(m);
  syn_run_opts o;
  syn_run_opts_default(&o);
  o.t_start = 1e17;
  o.t_end = 1e17 + 1600;
  o.every = 1;
  syn_result *bad = (syn_result *)&bad;
  syn_error err;
  assert_int_equal(syn_run(inst, &o, &bad, &err), SYN_EINVAL);
  assert_null(bad);
  assert_non_null(strstr(err.message, "too fine"));
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

/* Issue 12 point 20: the one rule for output grids, and what it says for
 * each way a grid can be wrong (times in the unit and factor given). */
static void test_check_grid_messages(void **state) {
  (void)state;
  static const struct {
    double t0, t1, every, factor;
    const char *unit, *message;
  } cases[] = {
      {0, 1e308, 1e307, 1, "h",
       "the simulation's times (0 h to 1e+308 h) go beyond ±1e+100 h, the most the solver can "
       "take"},
      {-1e101, 0, 1e100, 24, "d",
       "the simulation's times (-4.16667e+99 d to 0 d) go beyond ±4.16667e+98 d, the most the "
       "solver can take"},
      {0, 1e9, 1, 1, "",
       "the output grid from 0 to 1e+09 every 1 would have 1e+09 points: at most 100000000"},
      {0, 10, 1e-12, 1, "h",
       "the output grid from 0 h to 10 h every 1e-12 h would have 1e+13 points: at most "
       "100000000"},
      {1e6, 1e6 + 1, 1e-6, 1, "h",
       "the output spacing 1e-06 h is too fine for times near 1e+06 h: consecutive output times "
       "would not differ in double precision"},
      {0, INFINITY, 1, 1, "h", "the end time is not finite in the model's clock (inf)"},
      {NAN, 1, 1, 1, "h", "the start time is not finite in the model's clock (nan)"},
      {0, 1, -INFINITY, 1, "h", "the output spacing is not finite in the model's clock (-inf)"},
      {2, 1, 1, 1, "h", "the simulation must end after it starts (2 h to 1 h)"},
      {0, 1, 0, 1, "h", "the output spacing must be positive (found 0 h)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    syn_run_opts o;
    syn_error err;
    syn_run_opts_default(&o);
    o.t_start = cases[i].t0, o.t_end = cases[i].t1, o.every = cases[i].every;
    assert_int_not_equal(syn_run_check_grid(&o, cases[i].unit, cases[i].factor, &err), SYN_OK);
    assert_string_equal(err.message, cases[i].message);
    assert_int_equal(syn_run_grid_size(&o), 0); /* the same rule */
  }
  syn_run_opts o;
  syn_error err;
  syn_run_opts_default(&o);
  o.t_end = 1e100, o.every = 1e93; /* at the limits: 1e7 points, times up to 1e100 */
  assert_int_equal(syn_run_check_grid(&o, "h", 1, &err), SYN_OK);
  assert_int_equal(syn_run_grid_size(&o), 10000001);
}

/* A spacing wider than the run gives just the two ends. */
static void test_grid_wider_than_run(void **state) {
  (void)state;
  syn_result *r = run_grid(5, 6, 10);
  assert_int_equal(syn_result_ntimes(r), 2);
  check_times(r, 5, 6);
  syn_result_destroy(r);
}

/* 1e5 intervals of 0.1 (not exact in binary): no drift, no extra or repeated
 * last point, and the values still follow the closed form. */
static void test_grid_long(void **state) {
  (void)state;
  const size_t n = 100001;
  syn_result *r = run_grid(0, 1e4, 0.1);
  assert_int_equal(syn_result_ntimes(r), n);
  check_times(r, 0, 1e4);
  const double *t = syn_result_times(r), *x = syn_result_series(r, 0);
  long double every = 0.1; /* the double 0.1, widened: the exact grid is k * that */
  double worst = 0.0;
  for (size_t k = 0; k + 1 < n; k++) {
    long double exact = (long double)k * every;
    worst = fmax(worst, (double)fabsl((long double)t[k] - exact));
  }
  /* one rounding of k*0.1 near 1e4 is at most half an ulp there (9.1e-13) */
  if (worst > 1e-12) fail_msg("grid drifts by %.3g", worst);
  for (size_t k = 0; k < n; k += 997) {
    double want = 100.0 * exp(-0.5 * t[k]);
    assert_true(fabs(x[k] - want) <= 1e-4 * want + 1e-8);
  }
  syn_result_destroy(r);
}

static void test_run_decay(void **state) {
  (void)state;
  syn_model *m = load(decay_text);
  syn_instance *inst = instance(m);
  syn_run_opts o;
  syn_run_opts_default(&o);
  o.t_end = 0.3;
  o.every = 0.1;
  o.solver.rtol = 1e-10;
  o.solver.atol = 1e-12;
  syn_result *r = NULL;
  syn_error err;
  assert_int_equal(syn_run(inst, &o, &r, &err), SYN_OK);
  assert_int_equal(syn_result_ntimes(r), 4);
  assert_int_equal(syn_result_nseries(r), 2);
  assert_string_equal(syn_result_time_units(r), "h");
  const double *t = syn_result_times(r), *x = syn_result_series(r, 0), *f = syn_result_series(r, 1);
  assert_true(t[3] == 0.3); /* ends exactly at t_end */
  for (size_t k = 0; k < 4; k++) {
    double want = 100.0 * exp(-0.5 * t[k]);
    assert_true(fabs(x[k] - want) <= 1e-8 * want);
    assert_true(fabs(f[k] - want / 100.0) <= 1e-8 * want / 100.0);
  }
  const syn_series_info *si = syn_result_info(r, 0), *so = syn_result_info(r, 1);
  assert_string_equal(si->name, "X");
  assert_int_equal(si->kind, SYN_SERIES_STATE);
  assert_string_equal(si->long_name, "amount");
  assert_string_equal(so->name, "frac");
  assert_int_equal(so->kind, SYN_SERIES_OUTPUT);
  assert_string_equal(so->long_name, "fraction left");

  const syn_attr *a = find_attr(r, "linear_solver");
  assert_non_null(a);
  assert_string_equal(a->s, "dense");
  a = find_attr(r, "jacobian");
  assert_non_null(a);
  assert_string_equal(a->s, "symbolic");
  a = find_attr(r, "rtol");
  assert_non_null(a);
  assert_true(a->d == 1e-10);
  a = find_attr(r, "cvode_nsteps");
  assert_non_null(a);
  assert_true(a->i > 0);
  const char *keys[] = {"atol", "max_steps", "t_start", "t_end", "every", "cvode_nfevals",
                        "cvode_njevals", "cvode_nlinsetups", "cvode_netfails", "cvode_nniters",
                        "cvode_nncfails", "cvode_last_step", "cvode_last_order"};
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
    if (find_attr(r, keys[i]) == NULL) fail_msg("attribute %s missing", keys[i]);

  assert_int_equal(syn_result_param_count(r), 1);
  const char *name, *units;
  double value;
  syn_result_param(r, 0, &name, &units, &value);
  assert_string_equal(name, "k");
  assert_true(value == 0.5);
  syn_result_destroy(r);

  /* difference quotients are recorded as such */
  o.solver.use_jacobian = 0;
  assert_int_equal(syn_run(inst, &o, &r, &err), SYN_OK);
  assert_string_equal(find_attr(r, "jacobian")->s, "difference quotients");
  syn_result_destroy(r);
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

/* A linear chain A0 -> A1 -> ... -> A(n-1) of n states, rates spread over
 * six decades (stiff); the last state only collects, so the states sum to 1. */
static char *chain_text(size_t n) {
  size_t cap = 160 * n + 64, len = 0;
  char *text = syn_malloc(cap);
  assert_non_null(text);
  len += (size_t)snprintf(text + len, cap - len, "model \"chain\"\ntime unit h\n");
  for (size_t i = 0; i + 1 < n; i++)
    len += (size_t)snprintf(text + len, cap - len, "param k%zu = %g /h \"rate\" source \"test\"\n",
                            i, pow(10.0, (double)(i % 7) - 3.0));
  for (size_t i = 0; i < n; i++)
    len += (size_t)snprintf(text + len, cap - len, "state A%zu = %d \"amount\"\n", i, i == 0);
  for (size_t i = 0; i < n; i++) {
    len += (size_t)snprintf(text + len, cap - len, "d/dt A%zu =", i);
    if (i > 0) len += (size_t)snprintf(text + len, cap - len, " k%zu * A%zu", i - 1, i - 1);
    if (i + 1 < n) len += (size_t)snprintf(text + len, cap - len, " - k%zu * A%zu", i, i);
    len += (size_t)snprintf(text + len, cap - len, "\n");
  }
  assert_true(len < cap);
  return text;
}

static syn_result *run_chain(syn_instance *inst, syn_linsol linsol, const char *want) {
  syn_run_opts o;
  syn_run_opts_default(&o);
  o.t_end = 1000;
  o.every = 10;
  o.solver.rtol = 1e-10;
  o.solver.atol = 1e-14;
  o.solver.linsol = linsol;
  syn_result *r = NULL;
  syn_error err;
  if (syn_run(inst, &o, &r, &err) != SYN_OK) fail_msg("run: %s", err.message);
  assert_string_equal(find_attr(r, "linear_solver")->s, want);
  return r;
}

/* AUTO picks KLU at 100 states and more: a 150-state model compiled from text
 * runs through the sparse path and gives the dense answer. */
static double run_steps(const syn_model *m, const syn_solver_opts *so, double *end) {
  syn_instance *inst = instance(m);
  syn_run_opts o;
  syn_run_opts_default(&o);
  o.t_end = 24;
  o.every = 1;
  o.solver = *so;
  syn_result *r = NULL;
  syn_error err;
  assert_int_equal(syn_run(inst, &o, &r, &err), SYN_OK);
  *end = syn_result_series(r, 0)[24];
  double steps = (double)find_attr(r, "cvode_nsteps")->i;
  syn_result_destroy(r);
  syn_instance_destroy(inst);
  return steps;
}

/* A run takes the model's state tolerances (here the default for cells) as a
 * vector of absolute tolerances, exactly as if the caller had given it; an
 * atol the user gives (atol_given) replaces them, and so does a vector. */
static void test_run_state_tolerances(void **state) {
  (void)state;
  syn_model *m = load("time unit h\nstate C = 1e7 cells\nd/dt C = -C\n");
  syn_solver_opts model, vec, given;
  syn_solver_opts_default(&model);
  vec = given = model;
  const double cells = SYN_CELLS_ATOL;
  vec.atol_vec = &cells;
  given.atol_given = 1;
  double end_model, end_vec, end_given;
  double s_model = run_steps(m, &model, &end_model);
  double s_vec = run_steps(m, &vec, &end_vec);
  double s_given = run_steps(m, &given, &end_given);
  assert_true(s_model == s_vec && end_model == end_vec); /* the same run, bit for bit */
  assert_true(s_given > s_model); /* 1e-9 cells: the decay followed much further down */
  syn_model_destroy(m);
}

static void test_run_klu_auto(void **state) {
  (void)state;
  const size_t n = 150;
  char *text = chain_text(n);
  syn_model *m = load(text);
  syn_free(text);
  syn_instance *inst = instance(m);
  syn_result *klu = run_chain(inst, SYN_LINSOL_AUTO, "klu");
  syn_result *dense = run_chain(inst, SYN_LINSOL_DENSE, "dense");
  assert_int_equal(syn_result_nseries(klu), n);
  assert_int_equal(syn_result_ntimes(klu), syn_result_ntimes(dense));
  double worst = 0.0, mass_err = 0.0;
  for (size_t k = 0; k < syn_result_ntimes(klu); k++) {
    double mass = 0.0;
    for (size_t i = 0; i < n; i++) {
      double a = syn_result_series(klu, i)[k], b = syn_result_series(dense, i)[k];
      worst = fmax(worst, fabs(a - b));
      mass += a;
    }
    mass_err = fmax(mass_err, fabs(mass - 1.0));
  }
  print_message("150-state chain: KLU vs dense max abs diff %.3g, mass error %.3g\n", worst,
                mass_err);
  assert_true(worst <= 1e-9);    /* same method, same tolerances: only rounding differs */
  assert_true(mass_err <= 1e-8); /* the chain conserves the total */
  /* the last state has collected some of the total by t = 1000 */
  assert_true(syn_result_series(klu, n - 1)[syn_result_ntimes(klu) - 1] > 0.0);
  syn_result_destroy(klu);
  syn_result_destroy(dense);
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

/* Every attribute a run writes is documented (by name, in backquotes) in
 * docs/output-format.md: readers rely on the names. Run from the top of the
 * tree, as tests/run.sh does. */
static void test_attributes_documented(void **state) {
  (void)state;
  FILE *fp = fopen("docs/output-format.md", "r");
  if (fp == NULL) fail_msg("docs/output-format.md not found: run from the top of the tree");
  static char doc[1 << 16];
  size_t len = fread(doc, 1, sizeof doc - 1, fp);
  fclose(fp);
  doc[len] = '\0';
  syn_result *r = run_grid(0, 1, 0.5);
  assert_true(syn_result_attr_count(r) >= 15);
  for (size_t i = 0; i < syn_result_attr_count(r); i++) {
    char quoted[80];
    snprintf(quoted, sizeof quoted, "`%s`", syn_result_attr(r, i)->key);
    if (strstr(doc, quoted) == NULL)
      fail_msg("attribute %s is not in docs/output-format.md", quoted);
  }
  syn_result_destroy(r);
}

static void test_run_errors(void **state) {
  (void)state;
  syn_model *m = load(decay_text);
  syn_instance *inst = instance(m);
  syn_run_opts o;
  syn_run_opts_default(&o);
  syn_result *r = (syn_result *)&r;
  syn_error err;
  assert_int_equal(syn_run(inst, &o, &r, &err), SYN_EINVAL); /* no end time */
  assert_null(r);
  assert_non_null(strstr(err.message, "end"));
  o.t_end = 10;
  assert_int_equal(syn_run(inst, &o, &r, &err), SYN_EINVAL); /* no spacing */
  assert_string_equal(err.message, "the output spacing must be positive (found 0 h)");
  o.every = 1;
  o.solver.rtol = 2.0;
  assert_int_equal(syn_run(inst, &o, &r, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "rtol"));
  o.solver.rtol = 1e-6;
  o.solver.max_steps = 1;
  assert_int_equal(syn_run(inst, &o, &r, &err), SYN_ESOLVER);
  assert_null(r);
  assert_non_null(strstr(err.message, "'X'"));
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

static void test_run_nonfinite_output(void **state) {
  (void)state;
  static const char text[] =
      "model \"bad output\"\n"
      "time unit h\n"
      "state X = 1 \"amount\"\n"
      "d/dt X = -X\n"
      "output lx = log(X - 0.5) \"log of the excess\"\n";
  syn_model *m = load(text);
  syn_instance *inst = instance(m);
  syn_run_opts o;
  syn_run_opts_default(&o);
  o.t_end = 2;
  o.every = 0.5;
  syn_result *r = NULL;
  syn_error err;
  assert_int_equal(syn_run(inst, &o, &r, &err), SYN_ENONFINITE); /* X < 0.5 after ln 2 h */
  assert_null(r);
  assert_non_null(strstr(err.message, "lx"));
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

static void test_run_alloc_failures(void **state) {
  (void)state;
  syn_model *m = load(decay_text);
  syn_instance *inst = instance(m);
  syn_run_opts o;
  syn_run_opts_default(&o);
  o.t_end = 2;
  o.every = 0.5;
  int failures = 0;
  for (long n = 1; n < 200; n++) {
    syn_result *r = NULL;
    syn_error err;
    syn_alloc_test_fail_after(n);
    syn_status st = syn_run(inst, &o, &r, &err);
    syn_alloc_test_fail_after(0);
    if (st == SYN_OK) {
      syn_result_destroy(r);
      break;
    }
    assert_int_equal(st, SYN_ENOMEM);
    assert_null(r);
    failures++;
  }
  assert_true(failures >= 5);
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grid_size),
      cmocka_unit_test(test_grid_far_from_zero),
      cmocka_unit_test(test_grid_wider_than_run),
      cmocka_unit_test(test_check_grid_messages),
      cmocka_unit_test(test_grid_long),
      cmocka_unit_test(test_run_decay),
      cmocka_unit_test(test_run_state_tolerances),
      cmocka_unit_test(test_run_klu_auto),
      cmocka_unit_test(test_attributes_documented),
      cmocka_unit_test(test_run_errors),
      cmocka_unit_test(test_run_nonfinite_output),
      cmocka_unit_test(test_run_alloc_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
