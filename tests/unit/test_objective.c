/* synovia — unit tests of a fit's objective (src/fit/objective.c): the
 * negative log-likelihood with PEtab's constants and its gradient in closed
 * form on a one-state model (normal and log-normal noise, an estimated sd, a
 * proportional sd, priors on the linear and on the scaled value), the
 * residual form and its Jacobian, a failed evaluation that leaves the
 * workspace usable, no allocation per evaluation, and the gradient against
 * central finite differences at random points of the shipped knee example
 * (examples/fit/knee_trial.fit) and of the PEtab problem Boehm_JProteomeRes2014
 * (tests/data/petab/Boehm_JProteomeRes2014/boehm2014.fit), both solved at
 * rtol 1e-10 so that the differences resolve the gradient.
 * (Its value against the published optimum and an independent implementation
 * at other points: tests/python/test_boehm_objective.py.)
 *
 * Run from the repository root (the examples are opened by relative paths). */
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
#include "synovia/objective.h"

static char dir[256];
static const double LN_2PI = 1.8378770664093454836;

static int setup_dir(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/test_objective_XXXXXX");
  return mkdtemp(dir) == NULL;
}

static int remove_dir(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) != 0;
}

static const char *in_dir(const char *name) {
  static char path[4][512];
  static int k;
  k = (k + 1) % 4;
  snprintf(path[k], sizeof path[k], "%s/%s", dir, name);
  return path[k];
}

static void write_file(const char *name, const char *text) {
  FILE *f = fopen(in_dir(name), "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  assert_non_null(s);
  assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
  s[n] = 0;
  fclose(f);
  return s;
}

/* text with the first `from` replaced by `to` (a new string). */
static char *replace(const char *text, const char *from, const char *to) {
  const char *at = strstr(text, from);
  assert_non_null(at);
  size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
  char *out = malloc(n);
  assert_non_null(out);
  snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
  return out;
}

static syn_fit *load_path(const char *path) {
  syn_error err;
  syn_fit *f = NULL;
  syn_status st = syn_fit_load(path, &f, &err);
  if (st != SYN_OK) fprintf(stderr, "%s:%d: %s\n", err.file, err.line, err.message);
  assert_int_equal(st, SYN_OK);
  return f;
}

/* x(t) = x0 exp(-k t) on an hourly clock, solved tightly: y at t = 1 h is
 * 2 exp(-k) with x0 = 2. */
static syn_fit *load_decay(const char *fit_lines, const char *data) {
  write_file("m.model", "time unit h\nparam k = 0.5 /h\nstate x = 2\nd/dt x = -k * x\n");
  write_file("s.scenario", "model \"m.model\"\nsimulate 0 h to 2 h every 1 h\n"
                           "solver rtol 1e-12 atol 1e-14\narm \"a\"\n");
  write_file("d.csv", data);
  char text[2048];
  snprintf(text, sizeof text, "scenario \"s.scenario\"\ndata \"d.csv\"\n%s", fit_lines);
  write_file("f.fit", text);
  return load_path(in_dir("f.fit"));
}

static void eval_ok(syn_objective *o, const double *x, syn_objective_value *v, double *g) {
  syn_error err;
  syn_status st = syn_objective_eval(o, x, v, g, &err);
  if (st != SYN_OK) fprintf(stderr, "%s\n", err.message);
  assert_int_equal(st, SYN_OK);
}

/* Within tol of want relative to max(|want|, 1): the solver's global error
 * at rtol 1e-12 is some 1e-11 of y here. */
static void assert_close(double got, double want, double tol) {
  if (!(fabs(got - want) <= tol * fmax(fabs(want), 1.0))) {
    fprintf(stderr, "got %.17g, want %.17g\n", got, want);
    fail();
  }
}

/* Normal noise, fixed sd, k on log10 with a normal prior on the linear k:
 * the objective and its gradient by hand. */
static void test_closed_form_normal(void **state) {
  (void)state;
  syn_fit *f = load_decay("observable xo = x\n  noise normal sd = 0.3\n"
                          "estimate k log10 within 0.01 10 prior normal 0.4 0.2\n",
                          "arm,time (h),observable,value\na,1,xo,1.1\n");
  syn_objective *o = NULL;
  syn_error err;
  assert_int_equal(syn_objective_create(f, &o, &err), SYN_OK);
  double k = 0.7, x[] = {log10(k)}, g[1];
  syn_objective_value v;
  eval_ok(o, x, &v, g);
  double y = 2 * exp(-k), s = 0.3, r = (y - 1.1) / s, dydk = -y;
  double data = 0.5 * LN_2PI + log(s) + 0.5 * r * r;
  double z = (k - 0.4) / 0.2, prior = 0.5 * LN_2PI + log(0.2) + 0.5 * z * z;
  assert_close(v.data, data, 1e-9);
  assert_close(v.prior, prior, 1e-12);
  assert_close(v.total, data + prior, 1e-9);
  double dk = r / s * dydk + z / 0.2;
  assert_close(g[0], dk * k * log(10.0), 1e-8);
  /* Without a gradient: the same value. */
  syn_objective_value v2;
  eval_ok(o, x, &v2, NULL);
  assert_close(v2.total, v.total, 1e-9); /* other steps: with sensitivities in the error test */
  syn_objective_destroy(o);
  syn_fit_destroy(f);
}

/* Log-normal noise with an estimated sd (log scale, normal prior on the
 * scaled value): PEtab's ln m Jacobian term and sigma's derivative. */
static void test_closed_form_lognormal_estimated_sd(void **state) {
  (void)state;
  syn_fit *f = load_decay("observable xo = x\n  noise lognormal sd = sig\n"
                          "estimate k lin within 0.01 10\n"
                          "estimate sig log within 0.01 10 prior normal -1 0.5 on scale\n",
                          "arm,time (h),observable,value\na,1,xo,1.1\n");
  syn_objective *o = NULL;
  syn_error err;
  assert_int_equal(syn_objective_create(f, &o, &err), SYN_OK);
  double k = 0.3, s = 0.25, x[] = {k, log(s)}, g[2];
  syn_objective_value v;
  eval_ok(o, x, &v, g);
  double y = 2 * exp(-k), m = 1.1, r = (log(y) - log(m)) / s;
  double data = 0.5 * LN_2PI + log(s) + log(m) + 0.5 * r * r;
  double z = (log(s) + 1) / 0.5, prior = 0.5 * LN_2PI + log(0.5) + 0.5 * z * z;
  assert_close(v.data, data, 1e-9);
  assert_close(v.prior, prior, 1e-12);
  assert_close(g[0], r / s * (-1.0), 1e-8);            /* d ln y / dk = -1 */
  assert_close(g[1], (1 - r * r) + z / 0.5, 1e-8);     /* d/d ln s */
  /* the residual form with the sigma residual sqrt(2 ln s + SHIFT) and the
   * prior's, by hand: r, e, z; their Jacobian in (k, ln s) */
  char why[256];
  assert_int_equal(syn_objective_residual_form(f, why, sizeof why), 1);
  assert_int_equal(syn_objective_residual_count(f), 3);
  double res[3], J[6], C;
  assert_int_equal(syn_objective_residuals(o, x, res, J, &C, &err), SYN_OK);
  double e = sqrt(2 * log(s) + SYN_OBJECTIVE_LOG_SHIFT);
  assert_close(res[0], r, 1e-9);
  assert_close(res[1], e, 1e-12);
  assert_close(res[2], z, 1e-12);
  assert_close(J[0], -1.0 / s, 1e-8);    /* d r / dk */
  assert_close(J[1], -r, 1e-9);          /* d r / d ln s */
  assert_close(J[2], 0, 1e-12);
  assert_close(J[3], 1.0 / e, 1e-12);    /* d e / d ln s */
  assert_close(J[5], 1.0 / 0.5, 1e-12);
  assert_close(0.5 * (res[0] * res[0] + e * e + z * z) + C, v.total, 1e-12);
  assert_close(C, 0.5 * LN_2PI + log(m) - 0.5 * SYN_OBJECTIVE_LOG_SHIFT + 0.5 * LN_2PI + log(0.5),
               1e-12);
  /* an sd below exp(-SHIFT/2): no real sigma residual, refused with the line */
  double tiny[] = {k, -0.5 * SYN_OBJECTIVE_LOG_SHIFT - 1};
  assert_int_equal(syn_objective_residuals(o, tiny, res, NULL, NULL, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "too small for the residual form"));
  syn_objective_destroy(o);
  syn_fit_destroy(f);
}

/* sd = a + b * y with a estimated, b constant: sigma moves with y. */
static void test_closed_form_proportional_sd(void **state) {
  (void)state;
  syn_fit *f = load_decay("observable xo = x\n  noise normal sd = a + 0.1 * y\n"
                          "estimate k lin within 0.01 10\nestimate a lin within 0.01 1\n",
                          "arm,time (h),observable,value\na,1,xo,1.1\n");
  syn_objective *o = NULL;
  syn_error err;
  assert_int_equal(syn_objective_create(f, &o, &err), SYN_OK);
  double k = 0.3, a = 0.2, x[] = {k, a}, g[2];
  syn_objective_value v;
  eval_ok(o, x, &v, g);
  double y = 2 * exp(-k), m = 1.1, s = a + 0.1 * y, r = (y - m) / s;
  assert_close(v.total, 0.5 * LN_2PI + log(s) + 0.5 * r * r, 1e-9);
  double dT_ds = (1 - r * r) / s, dT_dy = r / s + dT_ds * 0.1;
  assert_close(g[0], dT_dy * -y, 1e-8);
  assert_close(g[1], dT_ds, 1e-8);
  /* the residual form: r and e = sqrt(2 ln s + SHIFT), s moving with k and a */
  char why[256];
  assert_int_equal(syn_objective_residual_form(f, why, sizeof why), 1);
  assert_int_equal(syn_objective_residual_count(f), 2);
  double res[2], J[4], C;
  assert_int_equal(syn_objective_residuals(o, x, res, J, &C, &err), SYN_OK);
  double e = sqrt(2 * log(s) + SYN_OBJECTIVE_LOG_SHIFT), dsdk = 0.1 * -y;
  assert_close(res[0], r, 1e-9);
  assert_close(res[1], e, 1e-12);
  assert_close(J[0], -y / s - r / s * dsdk, 1e-8);
  assert_close(J[1], -r / s, 1e-9);
  assert_close(J[2], dsdk / (e * s), 1e-8);
  assert_close(J[3], 1.0 / (e * s), 1e-9);
  assert_close(0.5 * (res[0] * res[0] + e * e) + C, v.total, 1e-12);
  syn_objective_destroy(o);
  syn_fit_destroy(f);
}

/* The residual form: two points, fixed sds, a normal prior; objective =
 * 0.5 |r|^2 + C and the Jacobian by hand. */
static void test_residuals(void **state) {
  (void)state;
  syn_fit *f = load_decay("observable xo = x\n  noise normal sd = data\n"
                          "estimate k log within 0.01 10 prior normal 0.5 0.1\n",
                          "arm,time (h),observable,value,sd\na,1,xo,1.1,0.2\na,2,xo,0.8,0.1\n");
  char why[256];
  assert_int_equal(syn_objective_residual_form(f, why, sizeof why), 1);
  assert_int_equal(syn_objective_residual_count(f), 3);
  syn_objective *o = NULL;
  syn_error err;
  assert_int_equal(syn_objective_create(f, &o, &err), SYN_OK);
  double k = 0.4, x[] = {log(k)}, r[3], J[3], C, g[1];
  assert_int_equal(syn_objective_residuals(o, x, r, J, &C, &err), SYN_OK);
  double y1 = 2 * exp(-k), y2 = 2 * exp(-2 * k);
  assert_close(r[0], (y1 - 1.1) / 0.2, 1e-9);
  assert_close(r[1], (y2 - 0.8) / 0.1, 1e-9);
  assert_close(r[2], (k - 0.5) / 0.1, 1e-12);
  assert_close(J[0], -y1 * k / 0.2, 1e-8);
  assert_close(J[1], -2 * y2 * k / 0.1, 1e-8);
  assert_close(J[2], k / 0.1, 1e-12);
  syn_objective_value v;
  eval_ok(o, x, &v, g);
  assert_close(v.total, 0.5 * (r[0] * r[0] + r[1] * r[1] + r[2] * r[2]) + C, 1e-12);
  assert_close(g[0], r[0] * J[0] + r[1] * J[1] + r[2] * J[2], 1e-9);
  syn_objective_destroy(o);
  syn_fit_destroy(f);
}

/* A log-normal observable that goes negative: an error naming the point, and
 * the workspace still evaluates afterwards. Then no allocation per
 * evaluation once the first (with a gradient) is done. */
static void test_failure_then_usable_no_allocation(void **state) {
  (void)state;
  syn_fit *f = load_decay("observable xo = x - 1\n  noise lognormal sd = 0.2\n"
                          "estimate k lin within 0.01 10\n",
                          "arm,time (h),observable,value\na,1,xo,0.3\n");
  syn_objective *o = NULL;
  syn_error err;
  assert_int_equal(syn_objective_create(f, &o, &err), SYN_OK);
  double bad[] = {2.0}, good[] = {0.3}, g[1];
  syn_objective_value v;
  assert_int_equal(syn_objective_eval(o, bad, &v, g, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "d.csv:2"));
  assert_non_null(strstr(err.message, "positive"));
  eval_ok(o, good, &v, g);
  assert_close(v.total, 0.5 * LN_2PI + log(0.2) + log(0.3) +
                            0.5 * pow((log(2 * exp(-0.3) - 1) - log(0.3)) / 0.2, 2), 1e-9);
  double inf[] = {INFINITY};
  assert_int_equal(syn_objective_eval(o, inf, &v, g, &err), SYN_EINVAL);
  long before = syn_alloc_test_count();
  for (int i = 0; i < 4; i++) {
    double x[] = {0.2 + 0.05 * i};
    eval_ok(o, x, &v, i % 2 ? g : NULL);
  }
  assert_int_equal(syn_alloc_test_count(), before);
  syn_objective_destroy(o);
  syn_fit_destroy(f);
}

/* A uniform number in [0, 1) from a 64-bit state (splitmix64). */
static double uniform01(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1.0p-53;
}

/* Central differences, Richardson-extrapolated from steps h and 2h, on the
 * parameter scale. */
static double fd_component(syn_objective *o, double *x, size_t j, double h) {
  double x0 = x[j], d[2];
  for (int s = 0; s < 2; s++) {
    double step = h * (s + 1), plus, minus;
    syn_objective_value v;
    x[j] = x0 + step;
    eval_ok(o, x, &v, NULL);
    plus = v.total;
    x[j] = x0 - step;
    eval_ok(o, x, &v, NULL);
    minus = v.total;
    d[s] = (plus - minus) / (2 * step);
  }
  x[j] = x0;
  return (4 * d[0] - d[1]) / 3;
}

/* The gradient against finite differences at npoints random points: the
 * first nrand parameters uniform on their scale inside the bounds (fixed
 * seed), the others at their start. The worst relative difference over all
 * components, each relative to its own size, or to 1e-3 of the point's
 * largest component when it is smaller (a component near zero has no
 * relative accuracy of its own). The differences resolve the gradient only
 * where the objective's own error (rtol 1e-10 of its size) divided by the
 * step is small against it: so the tests keep the objective moderate. */
static double worst_gradient_error(syn_fit *f, int npoints, uint64_t seed, double h, size_t nrand) {
  size_t np = syn_fit_param_count(f);
  syn_objective *o = NULL;
  syn_error err;
  assert_int_equal(syn_objective_create(f, &o, &err), SYN_OK);
  double *x = malloc(np * sizeof *x), *g = malloc(np * sizeof *g), *fd = malloc(np * sizeof *fd);
  assert_true(x && g && fd);
  uint64_t xs = seed;
  double worst = 0;
  for (int p = 0; p < npoints; p++) {
    syn_objective_default_x(f, x);
    for (size_t j = 0; j < nrand; j++) {
      const syn_fit_param *q = syn_fit_param_at(f, j);
      double lo = syn_objective_to_scale(q, q->lower), hi = syn_objective_to_scale(q, q->upper);
      /* inside, away from the bounds by more than the difference steps */
      x[j] = lo + (hi - lo) * (0.1 + 0.8 * uniform01(&xs));
    }
    syn_objective_value v;
    eval_ok(o, x, &v, g);
    printf("# point %d: objective %.10g\n", p, v.total);
    double gmax = 0;
    for (size_t j = 0; j < np; j++) {
      fd[j] = fd_component(o, x, j, h);
      if (fabs(fd[j]) > gmax) gmax = fabs(fd[j]);
    }
    for (size_t j = 0; j < np; j++) {
      double e = fabs(g[j] - fd[j]) / fmax(fabs(fd[j]), 1e-3 * gmax);
      printf("# point %d %-32s gradient %+.10e differences %+.10e relative %.1e\n", p,
             syn_fit_param_at(f, j)->name, g[j], fd[j], e);
      if (e > worst) worst = e;
    }
  }
  free(x);
  free(g);
  free(fd);
  syn_objective_destroy(o);
  return worst;
}

/* examples/fit/knee_trial.fit with its scenario solved at `rtol` (copies of
 * the fit file and the scenario in the scratch folder, pointing back at the
 * repository's model and data), with the edits edit[2k] -> edit[2k+1] of the
 * fit file's text (nedits pairs). */
static syn_fit *load_knee(const char *rtol, const char *const *edit, size_t nedits) {
  char cwd[400], model[512], data[512];
  assert_non_null(getcwd(cwd, sizeof cwd));
  snprintf(model, sizeof model, "model \"%s/models/knee_oa.model\"\nsolver rtol %s", cwd, rtol);
  snprintf(data, sizeof data, "data \"%s/examples/fit/knee_trial.csv\"", cwd);
  char *sc = read_text("examples/knee_ia_vs_iv.scenario");
  char *sc2 = replace(sc, "model \"../models/knee_oa.model\"", model);
  write_file("knee.scenario", sc2);
  char *fit = read_text("examples/fit/knee_trial.fit");
  char scen_line[600];
  snprintf(scen_line, sizeof scen_line, "scenario \"%s\"", in_dir("knee.scenario"));
  char *fit2 = replace(fit, "scenario \"../knee_ia_vs_iv.scenario\"", scen_line);
  char *fit3 = replace(fit2, "data \"knee_trial.csv\"", data);
  for (size_t k = 0; k < nedits; k++) {
    char *next = replace(fit3, edit[2 * k], edit[2 * k + 1]);
    free(fit3);
    fit3 = next;
  }
  write_file("knee.fit", fit3);
  free(sc);
  free(sc2);
  free(fit);
  free(fit2);
  free(fit3);
  return load_path(in_dir("knee.fit"));
}

static void test_knee_gradient(void **state) {
  (void)state;
  syn_fit *f = load_knee("1e-10", NULL, 0);
  /* severity and the arm's w_p everywhere, the IA dose in its own arm only */
  syn_objective *o = NULL;
  syn_error err;
  assert_int_equal(syn_objective_create(f, &o, &err), SYN_OK);
  assert_string_equal(syn_fit_arm_name(f, 1), "IA 50M UC-MSC");
  assert_int_equal(syn_objective_sens_count(o, 0), 2);
  assert_int_equal(syn_objective_sens_count(o, 1), 3);
  assert_int_equal(syn_objective_sens_count(o, 2), 2);
  syn_objective_destroy(o);
  double worst = worst_gradient_error(f, 3, 14, 1e-3, syn_fit_param_count(f));
  printf("# knee_trial.fit: worst relative difference of the gradient %.2e\n", worst);
  assert_true(worst <= 1e-5);
  syn_fit_destroy(f);
}

/* The residual form against syn_objective_eval and finite differences at
 * npoints random points (the first nrand parameters uniform on their scale
 * inside the bounds, fixed seed; the others at their start):
 * objective = 0.5 |r|^2 + C to rounding, the gradient J^T r, and the worst
 * relative difference of the Jacobian against central differences of the
 * residuals (Richardson-extrapolated; each entry relative to its size, or to
 * 1e-3 of the largest entry when smaller), returned. */
static double worst_residual_jacobian(syn_fit *f, int npoints, uint64_t seed, double h,
                                      size_t nrand) {
  size_t np = syn_fit_param_count(f), nr = syn_objective_residual_count(f);
  syn_objective *o = NULL;
  syn_error err;
  assert_int_equal(syn_objective_create(f, &o, &err), SYN_OK);
  double *x = malloc(np * sizeof *x), *g = malloc(np * sizeof *g), *r = malloc(nr * sizeof *r);
  double *J = malloc(nr * np * sizeof *J), *rp = malloc(nr * sizeof *rp), *rm = malloc(nr * sizeof *rm);
  double *d = malloc(2 * nr * sizeof *d);
  assert_true(x && g && r && J && rp && rm && d);
  double worst = 0;
  for (int p = 0; p < npoints; p++) {
    syn_objective_default_x(f, x);
    for (size_t j = 0; j < nrand; j++) {
      const syn_fit_param *q = syn_fit_param_at(f, j);
      double lo = syn_objective_to_scale(q, q->lower), hi = syn_objective_to_scale(q, q->upper);
      x[j] = lo + (hi - lo) * (0.1 + 0.8 * uniform01(&seed));
    }
    double C, rr = 0;
    syn_status rst = syn_objective_residuals(o, x, r, J, &C, &err);
    if (rst != SYN_OK) fprintf(stderr, "%s\n", err.message);
    assert_int_equal(rst, SYN_OK);
    syn_objective_value v;
    eval_ok(o, x, &v, g);
    for (size_t i = 0; i < nr; i++) rr += r[i] * r[i];
    printf("# point %d: objective %.15g, 0.5 |r|^2 + C %.15g\n", p, v.total, 0.5 * rr + C);
    assert_close(0.5 * rr + C, v.total, 1e-12);
    for (size_t j = 0; j < np; j++) {
      double jr = 0;
      for (size_t i = 0; i < nr; i++) jr += J[i * np + j] * r[i];
      assert_close(jr, g[j], 1e-9 * fmax(1.0, fabs(g[j])));
    }
    double jmax = 0;
    for (size_t k = 0; k < nr * np; k++) jmax = fmax(jmax, fabs(J[k]));
    for (size_t j = 0; j < np; j++) {
      double x0 = x[j];
      for (int k = 0; k < 2; k++) { /* steps h and 2h, Richardson-extrapolated */
        x[j] = x0 + h * (k + 1);
        assert_int_equal(syn_objective_residuals(o, x, rp, NULL, NULL, &err), SYN_OK);
        x[j] = x0 - h * (k + 1);
        assert_int_equal(syn_objective_residuals(o, x, rm, NULL, NULL, &err), SYN_OK);
        for (size_t i = 0; i < nr; i++) d[k * nr + i] = (rp[i] - rm[i]) / (2 * h * (k + 1));
      }
      x[j] = x0;
      for (size_t i = 0; i < nr; i++) {
        double fd = (4 * d[i] - d[nr + i]) / 3;
        double e = fabs(J[i * np + j] - fd) / fmax(fabs(fd), 1e-3 * jmax);
        if (e > worst) {
          worst = e;
          printf("# point %d residual %zu d/d %s: Jacobian %+.10e differences %+.10e relative %.1e\n",
                 p, i, syn_fit_param_at(f, j)->name, J[i * np + j], fd, e);
        }
      }
    }
  }
  free(x);
  free(g);
  free(r);
  free(J);
  free(rp);
  free(rm);
  free(d);
  syn_objective_destroy(o);
  return worst;
}

/* The knee example with a fixed CRP sd and a normal prior on severity: only
 * the data points' residuals and the prior's. At rtol 1e-12: a single
 * residual's differences need it (the gradient, a sum, resolves at 1e-10). */
static void test_knee_residual_jacobian(void **state) {
  (void)state;
  const char *const edits[] = {
      "noise normal sd = sigma_CRP + rel_CRP * y\n", "noise normal sd = 0.3\n",
      "estimate sigma_CRP log10 within 0.01 1\n", "",
      "estimate rel_CRP lin within 0.01 0.5\n", "",
      "prior lognormal -2.8 0.5", "prior normal 0.05 0.02"};
  syn_fit *f = load_knee("1e-12", edits, 4);
  char why[256];
  assert_int_equal(syn_objective_residual_form(f, why, sizeof why), 1);
  assert_int_equal(syn_fit_param_count(f), 5);
  assert_int_equal(syn_objective_residual_count(f), syn_fit_point_count(f) + 1);
  double worst = worst_residual_jacobian(f, 2, 14, 1e-3, 5);
  printf("# knee residual Jacobian: worst relative difference %.2e\n", worst);
  assert_true(worst <= 1e-5);
  syn_fit_destroy(f);
}

/* The knee example as shipped: the CRP sd estimated (sigma_CRP + rel_CRP y),
 * a log-normal prior on severity: a sigma residual per CRP point and two
 * rows for the prior. */
static void test_knee_estimated_noise_residuals(void **state) {
  (void)state;
  syn_fit *f = load_knee("1e-12", NULL, 0);
  size_t ncrp = 0;
  for (size_t i = 0; i < syn_fit_point_count(f); i++)
    ncrp += strcmp(syn_fit_observable_at(f, syn_fit_point_at(f, i)->observable)->name,
                   "CRP_serum") == 0;
  assert_true(ncrp > 0);
  assert_int_equal(syn_objective_residual_count(f), syn_fit_point_count(f) + ncrp + 2);
  double worst = worst_residual_jacobian(f, 2, 14, 1e-3, syn_fit_param_count(f));
  printf("# knee (estimated CRP sd) residual Jacobian: worst relative difference %.2e\n", worst);
  assert_true(worst <= 1e-5);
  syn_fit_destroy(f);
}

/* Boehm: three estimated noise sds (the kinetic parameters random, the sds
 * at their start). */
static void test_boehm_residuals(void **state) {
  (void)state;
  syn_fit *f = load_path("tests/data/petab/Boehm_JProteomeRes2014/boehm2014.fit");
  assert_int_equal(syn_objective_residual_count(f), 2 * syn_fit_point_count(f));
  double worst = worst_residual_jacobian(f, 2, 16, 1e-2, 6);
  printf("# boehm2014.fit residual Jacobian: worst relative difference %.2e\n", worst);
  assert_true(worst <= 1e-5);
  syn_fit_destroy(f);
}

/* The six kinetic parameters at random points, the three noise sds at the
 * optimum's values (a random sd of 1e-3 makes the objective 1e7, whose
 * rounding the differences cannot resolve). */
static void test_boehm_gradient(void **state) {
  (void)state;
  syn_fit *f = load_path("tests/data/petab/Boehm_JProteomeRes2014/boehm2014.fit");
  assert_int_equal(syn_fit_param_count(f), 9);
  double worst = worst_gradient_error(f, 4, 15, 1e-2, 6);
  printf("# boehm2014.fit: worst relative difference of the gradient %.2e\n", worst);
  assert_true(worst <= 1e-5);
  syn_fit_destroy(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_closed_form_normal),
      cmocka_unit_test(test_closed_form_lognormal_estimated_sd),
      cmocka_unit_test(test_closed_form_proportional_sd),
      cmocka_unit_test(test_residuals),
      cmocka_unit_test(test_failure_then_usable_no_allocation),
      cmocka_unit_test(test_knee_gradient),
      cmocka_unit_test(test_knee_residual_jacobian),
      cmocka_unit_test(test_knee_estimated_noise_residuals),
      cmocka_unit_test(test_boehm_residuals),
      cmocka_unit_test(test_boehm_gradient),
  };
  return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
