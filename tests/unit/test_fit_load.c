/* synovia — unit tests of fit loading (src/fit/, src/lang/fit_parser.c): the
 * resolved structure of a fit file — arms with data, points sorted by arm and
 * time with times in clock units and values in the observable's unit, the
 * sd from sd / se / n (and its log-normal form), observables compiled as
 * outputs of the model (series index, units), parameters with scale, bounds in
 * the target's unit, priors and starts, per-arm copies, noise models, the
 * problem's free parameters and the map from x to each arm's theta — and the
 * shipped example examples/fit/knee_trial.fit. The bad inputs and their exact
 * messages are in tests/lang/reject_fit.tests.
 *
 * Run from the repository root (the example is opened by a relative path). */
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
#include "synovia/fit.h"
#include "synovia/model.h"
#include "synovia/problem.h"
#include "synovia/psens.h"
#include "support/scratch.h"

static int setup_dir(void **state) {
  (void)state;
  return scratch_setup("test_fit_load");
}

/* Short names for the scratch folder's helpers (tests/support/scratch.h). */
static void write_file(const char *name, const char *text) { scratch_write(name, text); }
static const char *in_dir(const char *name) { return scratch_path(name); }

/* A one-compartment model on an hourly clock, two arms. */
static void write_problem(void) {
  write_file("m.model", "time unit h\nparam k = 0.2 /h\nparam V = 2 L\nparam F = 1\n"
                        "state A = 10 mg\nd/dt A = -k * A\noutput C = F * A / V\nroute IV -> A\n");
  write_file("s.scenario", "model \"m.model\"\nsimulate 0 h to 48 h every 1 h\n"
                           "arm \"placebo\"\n  set F = 0.5\narm \"treated\"\n  dose IV 5 mg at 0 h\n");
}

static syn_fit *load(const char *fit_text, const char *data) {
  write_problem();
  write_file("f.fit", fit_text);
  write_file("d.csv", data);
  syn_error err;
  syn_fit *f = NULL;
  syn_status st = syn_fit_load(in_dir("f.fit"), &f, &err);
  if (st != SYN_OK) fprintf(stderr, "%s\n", err.message);
  assert_int_equal(st, SYN_OK);
  return f;
}

static void test_points_sorted_in_clock_units(void **state) {
  (void)state;
  syn_fit *f = load("scenario \"s.scenario\"\ndata \"d.csv\"\nobservable conc = C\n"
                    "  noise normal sd = data\nestimate k log within 0.01 1\n",
                    "arm,time,observable,value,se,source\n"
                    "treated,1 d,conc,1.5,0.1,late\n"
                    "treated,30 min,conc,2.5,0.2,\"early, first\"\n"
                    "placebo,2 h,conc,2000,100,\n");
  assert_int_equal(syn_fit_arm_count(f), 2);
  assert_string_equal(syn_fit_arm_name(f, 0), "placebo");
  assert_string_equal(syn_fit_arm_name(f, 1), "treated");
  assert_int_equal(syn_fit_point_count(f), 3);
  size_t first = 99;
  assert_int_equal(syn_fit_arm_points(f, 1, &first), 2);
  assert_int_equal(first, 1);
  const syn_fit_point *p = syn_fit_point_at(f, 1);
  assert_int_equal(p->arm, 1);
  assert_true(fabs(p->time - 0.5) < 1e-12); /* 30 min on an hourly clock */
  assert_string_equal(p->source, "early, first");
  assert_int_equal(p->line, 3);
  p = syn_fit_point_at(f, 2);
  assert_true(fabs(p->time - 24) < 1e-12);
  assert_true(p->sd == 0.1);
  syn_fit_destroy(f);
}

static void test_units_and_sd_forms(void **state) {
  (void)state;
  syn_fit *f = load("scenario \"s.scenario\"\ndata \"d.csv\"\nobservable conc = C\n"
                    "  noise lognormal sd = data\nestimate k log within 0.01 1\n",
                    "arm,time (h),observable,value (ug/mL),sd,n\n"
                    "placebo,1,conc,2000,400,4\n");
  const syn_fit_observable *o = syn_fit_observable_at(f, 0);
  assert_string_equal(o->units, "mg/L");
  assert_int_equal(o->dist, SYN_FIT_LOGNORMAL);
  assert_true(o->from_data);
  const syn_model *m = syn_scenario_model(syn_fit_scenario(f));
  assert_int_equal(o->series, syn_model_count(m, SYN_SYM_STATE) + o->output);
  assert_string_equal(syn_model_symbol(m, SYN_SYM_OUTPUT, o->output)->name, "conc");
  const syn_fit_point *p = syn_fit_point_at(f, 0);
  assert_true(fabs(p->value - 2000) < 1e-9); /* ug/mL = mg/L */
  /* sd of the mean 400 / sqrt(4) = 200, relative 0.1: sigma of ln */
  assert_true(fabs(p->sd - sqrt(log1p(0.01))) < 1e-12);
  syn_fit_destroy(f);
}

static void test_params_and_theta(void **state) {
  (void)state;
  syn_fit *f = load("scenario \"s.scenario\"\ndata \"d.csv\"\nobservable conc = C\n"
                    "  noise normal sd = sigma + rel * y\n"
                    "estimate k log10 within 0.24 24 /d prior normal -1 0.5 on scale start 4.8 /d\n"
                    "estimate V per arm lin within 1 4\n"
                    "estimate F for arm treated lin within 0.1 2\n"
                    "estimate \"dose:treated:IV.amount\" log within 1 10\n"
                    "estimate sigma log10 within 0.01 1\n"
                    "estimate rel lin within 0.01 0.5 prior uniform 0 1\n"
                    "fix A = 12 mg\n"
                    "optimizer slsqp\nmultistart 16 sobol seed 3\n",
                    "arm,time (h),observable,value\nplacebo,1,conc,2\ntreated,1,conc,3\n");
  assert_int_equal(syn_fit_param_count(f), 7); /* k, V[placebo], V[treated], F[treated], dose, sigma, rel */
  const syn_fit_param *k = syn_fit_param_at(f, 0);
  assert_string_equal(k->name, "k");
  assert_int_equal(k->scale, SYN_FIT_LOG10);
  assert_true(fabs(k->lower - 0.01) < 1e-15 && fabs(k->upper - 1) < 1e-15); /* /d -> /h */
  assert_true(k->has_start && fabs(k->start - 0.2) < 1e-15);
  assert_int_equal(k->prior.kind, SYN_FIT_PRIOR_NORMAL);
  assert_true(k->prior.on_scale);
  assert_string_equal(syn_fit_param_at(f, 1)->name, "V[placebo]");
  assert_int_equal(syn_fit_param_at(f, 2)->arm, 1);
  assert_string_equal(syn_fit_param_at(f, 3)->name, "F[treated]");
  assert_int_equal(syn_fit_param_at(f, 5)->kind, SYN_FIT_NOISE);
  assert_int_equal(syn_fit_param_at(f, 5)->free_index, SYN_FIT_NONE);
  const syn_fit_observable *o = syn_fit_observable_at(f, 0);
  assert_int_equal(o->add.param, 5);
  assert_int_equal(o->prop.param, 6);
  assert_false(o->from_data);

  const syn_problem *p = syn_fit_problem(f);
  assert_int_equal(syn_problem_arm_count(p), 2);
  assert_int_equal(syn_problem_free_count(p), 5); /* k, V, F, the dose, A */
  assert_string_equal(syn_problem_free_name(p, 4), "A");
  double x[7] = {0.3, 1.5, 2.5, 0.7, 6, 0.1, 0.2}, theta[5];
  syn_fit_theta(f, 0, x, theta);
  assert_true(theta[0] == 0.3 && theta[1] == 1.5 && theta[4] == 12);
  assert_true(theta[2] == 0.5); /* F for the treated arm only: placebo keeps its own (set F = 0.5) */
  syn_fit_theta(f, 1, x, theta);
  assert_true(theta[1] == 2.5 && theta[2] == 0.7 && theta[3] == 6);
  syn_fit_theta(f, 1, NULL, theta); /* the starts; else the middles by scale */
  assert_true(fabs(theta[0] - 0.2) < 1e-15);
  assert_true(fabs(theta[1] - 2.5) < 1e-15);
  assert_true(fabs(theta[3] - sqrt(10)) < 1e-12);

  assert_string_equal(syn_fit_optimizer(f), "slsqp");
  assert_int_equal(syn_fit_starts(f), 16);
  assert_string_equal(syn_fit_start_design(f), "sobol");
  assert_int_equal(syn_fit_seed(f), 3);
  syn_fit_destroy(f);
}

/* The problem evaluates the observable as an output: C / 1 at the grid. */
static void test_observable_is_evaluated(void **state) {
  (void)state;
  syn_fit *f = load("scenario \"s.scenario\"\ndata \"d.csv\"\nobservable conc = 2 * C\n"
                    "  noise normal sd = 0.1 mg/L\nestimate k log within 0.01 1\n",
                    "arm,time (h),observable,value\ntreated,0,conc,2\n");
  const syn_problem *p = syn_fit_problem(f);
  syn_problem_ws *ws = NULL;
  syn_error err;
  assert_int_equal(syn_problem_ws_create(p, &ws, &err), SYN_OK);
  double theta[1] = {0.2};
  syn_problem_result r;
  assert_int_equal(syn_problem_eval(ws, 0, theta, NULL, &r, &err), SYN_OK);
  const syn_fit_observable *o = syn_fit_observable_at(f, 0);
  /* at t = 0 after the dose: A = 15 mg, C = A / 2 L, conc = 2 C = 15 */
  assert_true(fabs(r.series[o->series] - 15) < 1e-9);
  assert_true(fabs(o->add.value - 0.1) < 1e-15);
  syn_problem_ws_destroy(ws);
  syn_fit_destroy(f);
}

/* An observable is an output like the model's own: psens differentiates it,
 * here by an observable parameter (declared in the model by the fit). */
static void test_observable_derivatives(void **state) {
  (void)state;
  syn_fit *f = load("scenario \"s.scenario\"\ndata \"d.csv\"\nobservable conc = scale * C\n"
                    "  noise normal sd = 0.1\nestimate scale log within 0.1 10\n",
                    "arm,time (h),observable,value\ntreated,0,conc,2\n");
  const syn_model *m = syn_scenario_model(syn_fit_scenario(f));
  const syn_fit_observable *o = syn_fit_observable_at(f, 0);
  assert_int_equal(syn_fit_param_at(f, 0)->kind, SYN_FIT_MODEL);
  const char *names[] = {"scale"};
  syn_psens *ps = NULL;
  syn_psens_work *w = NULL;
  syn_instance *inst = NULL;
  syn_error err;
  assert_int_equal(syn_psens_create(m, names, 1, &ps, &err), SYN_OK);
  assert_int_equal(syn_psens_work_create(ps, &w, &err), SYN_OK);
  assert_int_equal(syn_instance_create(m, &inst, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  assert_int_equal(syn_psens_prepare(w, inst, &err), SYN_OK);
  syn_psens_pattern pat;
  syn_psens_get_pattern(ps, SYN_PSENS_DOUTDP, &pat);
  double y[1] = {10}, vals[8];
  assert_true(pat.nnz <= 8);
  assert_int_equal(syn_psens_eval(w, inst, SYN_PSENS_DOUTDP, 0, y, vals, &err), SYN_OK);
  int found = 0;
  for (int32_t k = pat.colptr[0]; k < pat.colptr[1]; k++)
    if ((size_t)pat.rowind[k] == o->output) {
      found = 1;
      assert_true(fabs(vals[k] - 5) < 1e-12); /* d(scale * F * A / V)/d scale = 10 / 2 */
    }
  assert_true(found);
  syn_instance_destroy(inst);
  syn_psens_work_destroy(w);
  syn_psens_destroy(ps);
  syn_fit_destroy(f);
}

/* Allocation failures anywhere in the fit parser and the loader: SYN_ENOMEM,
 * no fit, nothing leaked (the ASan build checks the leaks). */
static void test_allocation_failures(void **state) {
  (void)state;
  write_problem();
  write_file("f.fit", "fit \"trial\"\nscenario \"s.scenario\"\ndata \"d.csv\"\n"
                      "observable conc = C\n  noise normal sd = data\n"
                      "estimate k log within 0.01 1\nfix V = 2 L\n");
  write_file("d.csv", "arm,time,observable,value,sd\ntreated,1 h,conc,1.5,0.1\n");
  int ok = 0;
  for (long n = 1; n < 100000 && !ok; n++) {
    syn_error err;
    syn_fit *f = NULL;
    syn_alloc_test_fail_after(n);
    syn_status st = syn_fit_load(in_dir("f.fit"), &f, &err);
    syn_alloc_test_fail_after(-1);
    if (st == SYN_OK) {
      ok = 1;
      syn_fit_destroy(f);
    } else {
      if (st != SYN_ENOMEM) fprintf(stderr, "after %ld allocations: %s\n", n, err.message);
      assert_int_equal(st, SYN_ENOMEM);
      assert_null(f);
    }
  }
  assert_true(ok);
}

static void test_knee_example(void **state) {
  (void)state;
  syn_error err;
  syn_fit *f = NULL;
  syn_status st = syn_fit_load("examples/fit/knee_trial.fit", &f, &err);
  if (st != SYN_OK) fprintf(stderr, "%s:%d: %s\n", err.file, err.line, err.message);
  assert_int_equal(st, SYN_OK);
  assert_int_equal(syn_fit_arm_count(f), 3);
  assert_int_equal(syn_fit_point_count(f), 45);
  assert_int_equal(syn_fit_observable_count(f), 3);
  assert_int_equal(syn_fit_param_count(f), 7); /* severity, w_p x 3 arms, dose, 2 noise */
  assert_string_equal(syn_fit_param_at(f, 1)->name, "w_p[control]");
  syn_fit_destroy(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_points_sorted_in_clock_units),
      cmocka_unit_test(test_units_and_sd_forms),
      cmocka_unit_test(test_params_and_theta),
      cmocka_unit_test(test_observable_is_evaluated),
      cmocka_unit_test(test_observable_derivatives),
      cmocka_unit_test(test_knee_example),
      cmocka_unit_test(test_allocation_failures),
  };
  return cmocka_run_group_tests(tests, setup_dir, scratch_teardown);
}
