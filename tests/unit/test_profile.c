/* synovia — unit tests of a fit's uncertainty (src/fit/profile.c,
 * src/fit/fisher.c) on problems with analytic answers:
 *   - a straight line y = a + b t with normal noise of known sd: the
 *     profile of each parameter is exactly quadratic, so both the profile
 *     and the Fisher (Wald) intervals are the classical ones, estimate -/+
 *     z se with z = sqrt(chi2_1(0.95)) = 1.959964 and se from
 *     sigma^2 (X^T X)^-1 (ordinary least squares, computed here by hand);
 *   - the same line with a log-normal-free, lbfgs-only set-up (an estimated
 *     prior-free fit without the residual form: an estimated sd) so that the
 *     Fisher interval comes from differences of the gradient;
 *   - an exponential decay where two parameters enter only as a product:
 *     one of them is structurally non-identifiable (a flat profile);
 *   - the line with a bound just below the estimate: no crossing on that
 *     side, practically non-identifiable;
 *   - the profiles as a job of the sweep runner (one row per walk): on the
 *     line the classical intervals again, and on the line and the product
 *     problem the same record, bit for bit, as syn_uncertainty_compute;
 *     nothing left beside the job's output path.
 * Run from the repository root. */
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

#include "synovia/fit.h"
#include "synovia/objective.h"
#include "synovia/profile.h"

#include "support/scratch.h"

static int setup_dir(void **state) {
  (void)state;
  return scratch_setup("test_profile");
}

static syn_fit *load_fit(const char *model, const char *fit_lines, const char *data) {
  scratch_write("m.model", model);
  scratch_write("s.scenario", "model \"m.model\"\nsimulate 0 h to 5 h every 1 h\n"
                           "solver rtol 1e-12 atol 1e-14\narm \"a\"\n");
  scratch_write("d.csv", data);
  char text[2048];
  snprintf(text, sizeof text, "scenario \"s.scenario\"\ndata \"d.csv\"\n%s", fit_lines);
  scratch_write("f.fit", text);
  syn_error err;
  syn_fit *f = NULL;
  syn_status st = syn_fit_load(scratch_path("f.fit"), &f, &err);
  if (st != SYN_OK) fprintf(stderr, "%s:%d: %s\n", err.file, err.line, err.message);
  assert_int_equal(st, SYN_OK);
  return f;
}

static const char line_model[] =
    "time unit h\nparam a = 1\nparam b = 1 /h\nstate z = 0 h\nd/dt z = 1\n"
    "output y = a + b * z\n";
static const double T[] = {1, 2, 3, 4, 5}, Y[] = {2.1, 2.9, 4.2, 4.8, 6.3};
static const char line_data[] = "arm,time (h),observable,value\n"
                                "a,1,yo,2.1\na,2,yo,2.9\na,3,yo,4.2\na,4,yo,4.8\na,5,yo,6.3\n";

/* OLS of Y on (1, T): estimates and the covariance sigma^2 (X^T X)^-1. */
static void ols(double sigma, double est[2], double se[2]) {
  double n = 5, st = 0, stt = 0, sy = 0, sty = 0;
  for (int i = 0; i < 5; i++) {
    st += T[i];
    stt += T[i] * T[i];
    sy += Y[i];
    sty += T[i] * Y[i];
  }
  double det = n * stt - st * st;
  est[0] = (stt * sy - st * sty) / det;
  est[1] = (n * sty - st * sy) / det;
  se[0] = sigma * sqrt(stt / det);
  se[1] = sigma * sqrt(n / det);
}

static void assert_close(double got, double want, double tol) {
  if (!(fabs(got - want) <= tol)) {
    fprintf(stderr, "got %.17g, want %.17g (tolerance %g)\n", got, want, tol);
    fail();
  }
}

static double objective_at(syn_objective *o, const double *x) {
  syn_error err;
  syn_objective_value v;
  assert_int_equal(syn_objective_eval(o, x, &v, NULL, &err), SYN_OK);
  return v.total;
}

static syn_uncertainty *compute(syn_fit *f, syn_objective *o, const double *best,
                                const unsigned char *which) {
  syn_profile_settings s;
  syn_profile_settings_default(&s);
  s.optim.gtol = 1e-12;
  syn_uncertainty *u = NULL;
  syn_error err;
  syn_status st = syn_uncertainty_compute(f, o, best, objective_at(o, best), which, &s, &u, &err);
  if (st != SYN_OK) fprintf(stderr, "%s\n", err.message);
  assert_int_equal(st, SYN_OK);
  return u;
}

static void test_threshold(void **state) {
  (void)state;
  /* chi2_1 quantiles: 3.841458820694124 (0.95), 6.634896601021214 (0.99), scipy.stats.chi2 */
  assert_close(syn_profile_threshold(0.95), 3.841458820694124 / 2, 1e-13);
  assert_close(syn_profile_threshold(0.99), 6.634896601021214 / 2, 1e-13);
  assert_true(isnan(syn_profile_threshold(1.0)));
}

/* The line, sd 0.3: profile and Fisher intervals = estimate -/+ 1.959964 se. */
static void test_line_classical(void **state) {
  (void)state;
  syn_fit *f = load_fit(line_model,
                        "observable yo = y\n  noise normal sd = 0.3\n"
                        "estimate a lin within -20 20\nestimate b lin within -20 20\n",
                        line_data);
  syn_objective *o = NULL;
  syn_error err;
  assert_int_equal(syn_objective_create(f, &o, &err), SYN_OK);
  double est[2], se[2];
  ols(0.3, est, se);
  syn_uncertainty *u = compute(f, o, est, NULL);
  double z = 1.959963984540054;
  for (int j = 0; j < 2; j++) {
    assert_close(u->lower[j], est[j] - z * se[j], 1e-6);
    assert_close(u->upper[j], est[j] + z * se[j], 1e-6);
    assert_close(u->fisher_lower[j], est[j] - z * se[j], 1e-6);
    assert_close(u->fisher_upper[j], est[j] + z * se[j], 1e-6);
    assert_int_equal(u->ident[j], SYN_IDENT_IDENTIFIABLE);
  }
  assert_string_equal(syn_identifiability_name(u->ident[0]), "identifiable");
  assert_true(u->npoints > 8);
  assert_false(u->below_best);
  /* sorted by parameter, then value; each point re-optimised: b at the
   * conditional optimum given a (the regression through the fixed intercept) */
  for (size_t k = 1; k < u->npoints; k++)
    assert_true(u->point_param[k - 1] < u->point_param[k] ||
                (u->point_param[k - 1] == u->point_param[k] &&
                 u->point_value[k - 1] <= u->point_value[k]));
  for (size_t k = 0; k < u->npoints; k++) {
    if (u->point_param[k] != 0) continue;
    double a = u->point_x[k * 2], sty = 0, stt = 0;
    for (int i = 0; i < 5; i++) {
      sty += T[i] * (Y[i] - a);
      stt += T[i] * T[i];
    }
    assert_close(u->point_x[k * 2 + 1], sty / stt, 1e-6);
  }
  syn_uncertainty_destroy(u);
  syn_objective_destroy(o);
  syn_fit_destroy(f);
}

/* Without the residual form (lbfgs re-optimisations, Hessian from gradient
 * differences): the same classical interval for a, within the methods'
 * tolerances. A uniform prior on b keeps the residual form away. */
static void test_line_gradient_hessian(void **state) {
  (void)state;
  syn_fit *f = load_fit(line_model,
                        "observable yo = y\n  noise normal sd = 0.3\n"
                        "estimate a lin within -20 20\n"
                        "estimate b lin within -20 20 prior uniform -30 10\n",
                        line_data);
  char why[200];
  assert_false(syn_objective_residual_form(f, why, sizeof why));
  syn_objective *o = NULL;
  syn_error err;
  assert_int_equal(syn_objective_create(f, &o, &err), SYN_OK);
  double est[2], se[2], lo[2], hi[2];
  ols(0.3, est, se);
  assert_int_equal(syn_fisher_interval(f, o, est, 0.95, lo, hi, why, sizeof why, &err), SYN_OK);
  double z = 1.959963984540054;
  for (int j = 0; j < 2; j++) {
    assert_close(lo[j], est[j] - z * se[j], 1e-6);
    assert_close(hi[j], est[j] + z * se[j], 1e-6);
  }
  unsigned char which[2] = {1, 0};
  syn_uncertainty *u = compute(f, o, est, which);
  assert_close(u->lower[0], est[0] - z * se[0], 1e-5);
  assert_close(u->upper[0], est[0] + z * se[0], 1e-5);
  assert_int_equal(u->ident[1], SYN_IDENT_NOT_PROFILED);
  assert_true(isnan(u->lower[1]));
  syn_uncertainty_destroy(u);
  syn_objective_destroy(o);
  syn_fit_destroy(f);
}

/* y = A c exp(-k t): A and c only as their product, so A's profile is flat
 * (c makes up for it everywhere within A's bounds); the Fisher matrix is
 * singular. Exact data from A c = 2, k = 0.5. */
static void test_product_structural(void **state) {
  (void)state;
  char data[512] = "arm,time (h),observable,value\n";
  for (int i = 1; i <= 5; i++)
    snprintf(data + strlen(data), sizeof data - strlen(data), "a,%d,yo,%.17g\n", i,
             2 * exp(-0.5 * i));
  syn_fit *f = load_fit("time unit h\nparam A = 1\nparam c = 1\nparam k = 0.5 /h\n"
                        "state x = 1\nd/dt x = -k * x\noutput y = A * c * x\n",
                        "observable yo = y\n  noise normal sd = 0.1\n"
                        "estimate A log10 within 0.5 5\nestimate c log10 within 0.01 100\n"
                        "estimate k log10 within 0.01 10\n",
                        data);
  syn_objective *o = NULL;
  syn_error err;
  assert_int_equal(syn_objective_create(f, &o, &err), SYN_OK);
  double best[3] = {0.0, log10(2.0), log10(0.5)};
  unsigned char which[3] = {1, 0, 1};
  syn_uncertainty *u = compute(f, o, best, which);
  assert_int_equal(u->ident[0], SYN_IDENT_STRUCTURAL);
  assert_true(isnan(u->lower[0]) && isnan(u->upper[0]));
  assert_int_equal(u->ident[2], SYN_IDENT_IDENTIFIABLE);
  assert_true(isnan(u->fisher_lower[0]));
  assert_true(strlen(u->fisher_why) > 0);
  /* A's profile reached both bounds */
  double lo = INFINITY, hi = -INFINITY;
  for (size_t k = 0; k < u->npoints; k++)
    if (u->point_param[k] == 0) {
      lo = fmin(lo, u->point_value[k]);
      hi = fmax(hi, u->point_value[k]);
    }
  assert_close(lo, 0.5, 1e-12);
  assert_close(hi, 5.0, 1e-12);
  syn_uncertainty_destroy(u);
  syn_objective_destroy(o);
  syn_fit_destroy(f);
}

/* The line with b's lower bound half a standard error below its estimate:
 * no crossing below (NaN), the classical crossing above, practically
 * non-identifiable. */
static void test_bound_practical(void **state) {
  (void)state;
  double est[2], se[2];
  ols(0.3, est, se);
  char lines[512];
  snprintf(lines, sizeof lines,
           "observable yo = y\n  noise normal sd = 0.3\nestimate a lin within -20 20\n"
           "estimate b lin within %.17g 20\n", est[1] - 0.5 * se[1]);
  syn_fit *f = load_fit(line_model, lines, line_data);
  syn_objective *o = NULL;
  syn_error err;
  assert_int_equal(syn_objective_create(f, &o, &err), SYN_OK);
  syn_uncertainty *u = compute(f, o, est, NULL);
  assert_int_equal(u->ident[1], SYN_IDENT_PRACTICAL);
  assert_true(isnan(u->lower[1]));
  assert_close(u->upper[1], est[1] + 1.959963984540054 * se[1], 1e-6);
  assert_string_equal(syn_identifiability_name(u->ident[1]), "practically non-identifiable");
  syn_uncertainty_destroy(u);
  syn_objective_destroy(o);
  syn_fit_destroy(f);
}

/* A best point that is not the optimum: the profile finds lower objectives
 * and says so. */
static void test_below_best_reported(void **state) {
  (void)state;
  syn_fit *f = load_fit(line_model,
                        "observable yo = y\n  noise normal sd = 0.3\n"
                        "estimate a lin within -20 20\nestimate b lin within -20 20\n",
                        line_data);
  syn_objective *o = NULL;
  syn_error err;
  assert_int_equal(syn_objective_create(f, &o, &err), SYN_OK);
  double est[2], se[2];
  ols(0.3, est, se);
  double off[2] = {est[0] + 3 * se[0], est[1]};
  syn_uncertainty *u = compute(f, o, off, NULL);
  assert_true(u->below_best);
  assert_true(u->lowest_objective < u->best_objective - 1);
  syn_uncertainty_destroy(u);
  syn_objective_destroy(o);
  syn_fit_destroy(f);
}

/* Predictions on the line, in the arm with data and in one without (z
 * starts at 1 h there): y(0) in "a" is the intercept a, y(0) in "b" minus
 * y(0) in "a" the slope b; their intervals are a's and b's classical ones
 * (the range over the profiled vectors holds the crossings). */
static void test_prediction_line(void **state) {
  (void)state;
  scratch_write("m.model", line_model);
  scratch_write("s.scenario", "model \"m.model\"\nsimulate 0 h to 5 h every 1 h\n"
                           "solver rtol 1e-12 atol 1e-14\narm \"a\"\narm \"b\"\n  set z = 1 h\n"
                           "metric y0 = at(y, 0 h)\n");
  scratch_write("d.csv", line_data);
  scratch_write("f.fit", "scenario \"s.scenario\"\ndata \"d.csv\"\nobservable yo = y\n"
                      "  noise normal sd = 0.3\nestimate a lin within -20 20\n"
                      "estimate b lin within -20 20\n"
                      "predict \"intercept\" = y0 in \"a\"\n"
                      "predict \"slope\" = y0 in \"b\" - y0 in \"a\"\n");
  syn_error err;
  syn_fit *f = NULL;
  assert_int_equal(syn_fit_load(scratch_path("f.fit"), &f, &err), SYN_OK);
  assert_int_equal(syn_fit_prediction_count(f), 2);
  assert_string_equal(syn_fit_prediction_at(f, 1)->formula, "y0 in \"b\" - y0 in \"a\"");
  syn_objective *o = NULL;
  assert_int_equal(syn_objective_create(f, &o, &err), SYN_OK);
  double est[2], se[2], pe[2], lo[2], hi[2];
  ols(0.3, est, se);
  syn_uncertainty *u = compute(f, o, est, NULL);
  size_t skipped = 99;
  assert_int_equal(syn_fit_prediction_intervals(f, u, est, pe, lo, hi, &skipped, &err), SYN_OK);
  assert_int_equal(skipped, 0);
  double z = 1.959963984540054;
  for (int j = 0; j < 2; j++) {
    assert_close(pe[j], est[j], 1e-8);
    assert_close(lo[j], est[j] - z * se[j], 1e-6);
    assert_close(hi[j], est[j] + z * se[j], 1e-6);
  }
  /* without profiles: no interval */
  assert_int_equal(syn_fit_prediction_intervals(f, NULL, est, pe, lo, hi, NULL, &err), SYN_OK);
  assert_true(isnan(lo[0]) && isnan(hi[1]));
  syn_uncertainty_destroy(u);
  syn_objective_destroy(o);
  syn_fit_destroy(f);
}

/* The fitted curves: every observable of the arm at the even times and the
 * data times, the line's values there. */
static void test_curves_line(void **state) {
  (void)state;
  syn_fit *f = load_fit(line_model,
                        "observable yo = y\n  noise normal sd = 0.3\n"
                        "estimate a lin within -20 20\nestimate b lin within -20 20\n",
                        line_data);
  double x[2] = {1.5, 0.75};
  syn_fit_curves *c = NULL;
  syn_error err;
  assert_int_equal(syn_fit_curves_compute(f, x, 200, &c, &err), SYN_OK);
  assert_int_equal(c->nrows, 201); /* the data times are on the even grid */
  for (size_t r = 0; r < c->nrows; r++) {
    assert_string_equal(c->arm[r], "a");
    assert_string_equal(c->observable[r], "yo");
    assert_close(c->value[r], 1.5 + 0.75 * c->time[r], 1e-9);
    if (r) assert_true(c->time[r] > c->time[r - 1]);
  }
  assert_close(c->time[c->nrows - 1], 5.0, 0);
  syn_fit_curves_destroy(c);
  syn_fit_destroy(f);
}

/* The same record, bit for bit (NaN patterns included). */
static void assert_same_record(const syn_uncertainty *a, const syn_uncertainty *b) {
  size_t n = a->nparam;
  assert_int_equal(a->npoints, b->npoints);
  assert_memory_equal(a->lower, b->lower, n * sizeof *a->lower);
  assert_memory_equal(a->upper, b->upper, n * sizeof *a->upper);
  assert_memory_equal(a->ident, b->ident, n * sizeof *a->ident);
  assert_memory_equal(a->fisher_lower, b->fisher_lower, n * sizeof *a->fisher_lower);
  assert_memory_equal(a->fisher_upper, b->fisher_upper, n * sizeof *a->fisher_upper);
  assert_string_equal(a->fisher_why, b->fisher_why);
  assert_memory_equal(a->point_param, b->point_param, a->npoints * sizeof *a->point_param);
  assert_memory_equal(a->point_value, b->point_value, a->npoints * sizeof *a->point_value);
  assert_memory_equal(a->point_objective, b->point_objective,
                      a->npoints * sizeof *a->point_objective);
  assert_memory_equal(a->point_x, b->point_x, a->npoints * n * sizeof *a->point_x);
  for (size_t k = 0; k < a->npoints; k++) assert_string_equal(a->point_status[k], b->point_status[k]);
  assert_memory_equal(&a->lowest_objective, &b->lowest_objective, sizeof a->lowest_objective);
  assert_int_equal(a->below_best, b->below_best);
}

/* The walks run by the runner (serially) into a record; best on the scale. */
static syn_uncertainty *run_job(syn_fit *f, syn_objective *o, const double *best,
                                const unsigned char *which, size_t walks) {
  syn_profile_settings s;
  syn_profile_settings_default(&s);
  s.optim.gtol = 1e-12;
  size_t n = syn_fit_param_count(f);
  double lin[8];
  for (size_t j = 0; j < n; j++) lin[j] = syn_objective_unscale(syn_fit_param_at(f, j), best[j]);
  syn_profile_job *pj = NULL;
  syn_error err;
  syn_status st = syn_profile_job_create(f, lin, objective_at(o, best), which, &s, "test", &pj, &err);
  if (st != SYN_OK) fprintf(stderr, "%s\n", err.message);
  assert_int_equal(st, SYN_OK);
  assert_int_equal(syn_profile_job_count(pj), walks);
  syn_sweep_run_opts ro;
  syn_sweep_run_opts_default(&ro);
  ro.out_path = scratch_path("walks");
  syn_uncertainty *u = NULL;
  st = syn_profile_job_run(pj, &ro, &u, NULL, &err);
  if (st != SYN_OK) fprintf(stderr, "%s\n", err.message);
  assert_int_equal(st, SYN_OK);
  syn_profile_job_destroy(pj);
  /* nothing beside the output path: no parts, rows or lock; nothing at it */
  const char *left[] = {"walks", "walks.parts", "walks.rows", "walks.lock"};
  for (size_t k = 0; k < 4; k++) assert_int_not_equal(access(scratch_path(left[k]), F_OK), 0);
  return u;
}

static void test_job_same_record(void **state) {
  (void)state;
  syn_fit *f = load_fit(line_model,
                        "observable yo = y\n  noise normal sd = 0.3\n"
                        "estimate a lin within -20 20\nestimate b lin within -20 20\n",
                        line_data);
  syn_objective *o = NULL;
  syn_error err;
  assert_int_equal(syn_objective_create(f, &o, &err), SYN_OK);
  double est[2], se[2], z = 1.959963984540054;
  ols(0.3, est, se);
  syn_uncertainty *ju = run_job(f, o, est, NULL, 4), *u = compute(f, o, est, NULL);
  for (int j = 0; j < 2; j++) {
    assert_close(ju->lower[j], est[j] - z * se[j], 1e-6);
    assert_close(ju->upper[j], est[j] + z * se[j], 1e-6);
  }
  assert_same_record(ju, u);
  syn_uncertainty_destroy(ju);
  syn_uncertainty_destroy(u);
  syn_objective_destroy(o);
  syn_fit_destroy(f);
}

static void test_job_structural_same_record(void **state) {
  (void)state;
  char data[512] = "arm,time (h),observable,value\n";
  for (int i = 1; i <= 5; i++)
    snprintf(data + strlen(data), sizeof data - strlen(data), "a,%d,yo,%.17g\n", i,
             2 * exp(-0.5 * i));
  syn_fit *f = load_fit("time unit h\nparam A = 1\nparam c = 1\nparam k = 0.5 /h\n"
                        "state x = 1\nd/dt x = -k * x\noutput y = A * c * x\n",
                        "observable yo = y\n  noise normal sd = 0.1\n"
                        "estimate A log10 within 0.5 5\nestimate c log10 within 0.01 100\n"
                        "estimate k log10 within 0.01 10\n",
                        data);
  syn_objective *o = NULL;
  syn_error err;
  assert_int_equal(syn_objective_create(f, &o, &err), SYN_OK);
  double best[3] = {0.0, log10(2.0), log10(0.5)};
  unsigned char which[3] = {1, 0, 1};
  syn_uncertainty *ju = run_job(f, o, best, which, 4), *u = compute(f, o, best, which);
  assert_int_equal(ju->ident[0], SYN_IDENT_STRUCTURAL);
  assert_int_equal(ju->ident[1], SYN_IDENT_NOT_PROFILED);
  assert_int_equal(ju->ident[2], SYN_IDENT_IDENTIFIABLE);
  assert_same_record(ju, u);
  syn_uncertainty_destroy(ju);
  syn_uncertainty_destroy(u);
  syn_objective_destroy(o);
  syn_fit_destroy(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_threshold),
      cmocka_unit_test(test_line_classical),
      cmocka_unit_test(test_line_gradient_hessian),
      cmocka_unit_test(test_product_structural),
      cmocka_unit_test(test_bound_practical),
      cmocka_unit_test(test_below_best_reported),
      cmocka_unit_test(test_prediction_line),
      cmocka_unit_test(test_curves_line),
      cmocka_unit_test(test_job_same_record),
      cmocka_unit_test(test_job_structural_same_record),
  };
  return cmocka_run_group_tests(tests, setup_dir, scratch_teardown);
}
