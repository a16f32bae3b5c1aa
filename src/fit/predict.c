/* synovia — a fit's predictions with their intervals and its fitted curves
 * (include/synovia/profile.h says what the interval is). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "synovia/profile.h"

/* A workspace over the fit's scenario problem: theta and the metric mask. */
typedef struct predictor {
  const syn_fit *f;
  syn_problem_ws *ws;
  double *theta;
  unsigned char *mask;   /* the metrics the predictions use */
} predictor;

static void predictor_free(predictor *P) {
  syn_problem_ws_destroy(P->ws);
  free(P->theta);
  free(P->mask);
}

static syn_status predictor_init(predictor *P, const syn_fit *f, syn_error *err) {
  const syn_problem *p = syn_fit_scenario_problem(f);
  size_t nm = syn_scenario_metric_count(syn_fit_scenario(f));
  *P = (predictor){f, NULL, malloc((syn_problem_free_count(p) + 1) * sizeof(double)),
                   calloc(nm + 1, 1)};
  if (P->theta == NULL || P->mask == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  for (size_t i = 0; i < syn_fit_prediction_count(f); i++) {
    const syn_fit_prediction *d = syn_fit_prediction_at(f, i);
    for (size_t k = 0; k < d->nterms; k++) P->mask[d->terms[k].metric] = 1;
  }
  return syn_problem_ws_create(p, &P->ws, err);
}

/* Every prediction at x: each arm a term uses runs once per term (arms are
 * few; the steady baseline is cached by the workspace). */
static syn_status predictor_eval(predictor *P, const double *x, double *values, syn_error *err) {
  syn_problem_want want = {0, P->mask, NULL, 0, NULL, NULL, 0, NULL, NULL};
  for (size_t i = 0; i < syn_fit_prediction_count(P->f); i++) {
    const syn_fit_prediction *d = syn_fit_prediction_at(P->f, i);
    values[i] = 0;
    for (size_t k = 0; k < d->nterms; k++) {
      syn_problem_result res;
      syn_fit_scenario_theta(P->f, d->terms[k].arm, x, P->theta);
      syn_status st = syn_problem_eval(P->ws, d->terms[k].arm, P->theta, &want, &res, err);
      if (st != SYN_OK) return st;
      values[i] += d->terms[k].sign * res.metrics[d->terms[k].metric];
    }
  }
  return SYN_OK;
}

syn_status syn_fit_predict(const syn_fit *f, const double *xlin, double *values, syn_error *err) {
  if (syn_fit_prediction_count(f) == 0) return SYN_OK;
  predictor P;
  syn_status st = predictor_init(&P, f, err);
  if (st == SYN_OK) st = predictor_eval(&P, xlin, values, err);
  predictor_free(&P);
  return st;
}

/* The range over the profile points inside the threshold (see profile.h). */
static syn_status profile_range(predictor *P, const syn_uncertainty *u, double *v, double *lower,
                                double *upper, size_t *skipped, syn_error *err) {
  size_t np = syn_fit_prediction_count(P->f);
  for (size_t k = 0; k < u->npoints; k++) {
    double f = u->point_objective[k];
    if (!(f <= u->best_objective + u->threshold * (1 + 1e-6))) continue; /* crossings: +-rounding */
    syn_error local;
    if (predictor_eval(P, u->point_x + k * u->nparam, v, &local) != SYN_OK) {
      if (skipped) (*skipped)++;
      continue;
    }
    for (size_t i = 0; i < np; i++) {
      lower[i] = fmin(lower[i], v[i]);
      upper[i] = fmax(upper[i], v[i]);
    }
  }
  (void)err;
  return SYN_OK;
}

syn_status syn_fit_prediction_intervals(const syn_fit *f, const syn_uncertainty *u,
                                        const double *xbest, double *est, double *lower,
                                        double *upper, size_t *skipped, syn_error *err) {
  size_t np = syn_fit_prediction_count(f);
  if (skipped) *skipped = 0;
  if (np == 0) return SYN_OK;
  predictor P;
  double *v = malloc(np * sizeof *v);
  syn_status st = v ? predictor_init(&P, f, err) : syn_error_set(err, SYN_ENOMEM, "out of memory");
  if (st == SYN_OK) st = predictor_eval(&P, xbest, est, err);
  for (size_t i = 0; i < np; i++) lower[i] = upper[i] = st == SYN_OK ? est[i] : (double)NAN;
  if (st == SYN_OK && u != NULL && u->npoints > 0)
    st = profile_range(&P, u, v, lower, upper, skipped, err);
  else
    for (size_t i = 0; i < np; i++) lower[i] = upper[i] = NAN;
  if (v != NULL) predictor_free(&P);
  free(v);
  return st;
}

/* ---- fitted curves ------------------------------------------------------------- */

void syn_fit_curves_destroy(syn_fit_curves *c) {
  if (c == NULL) return;
  free(c->arm);
  free(c->observable);
  free(c->time);
  free(c->value);
  free(c);
}

static int compare_double(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  return (a > b) - (a < b);
}

/* The times of one arm: the even grid and its data times, sorted, without
 * repeats; returns how many (at has room for nper + 1 + npoints). */
static size_t arm_times(const syn_fit *f, size_t arm, double t0, double t1, size_t nper,
                        double *at) {
  size_t n = 0, first, npt = syn_fit_arm_points(f, arm, &first);
  for (size_t i = 0; i <= nper; i++) at[n++] = i == nper ? t1 : t0 + (t1 - t0) * (double)i / (double)nper;
  for (size_t i = 0; i < npt; i++) at[n++] = syn_fit_point_at(f, first + i)->time;
  qsort(at, n, sizeof *at, compare_double);
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (m == 0 || at[i] != at[m - 1]) at[m++] = at[i];
  return m;
}

/* Appends arm's rows (every observable at the times at[0..nt)). */
static void add_rows(syn_fit_curves *c, const syn_fit *f, size_t arm, const double *at, size_t nt,
                     const double *vals, size_t ns) {
  for (size_t o = 0; o < syn_fit_observable_count(f); o++) {
    const syn_fit_observable *ob = syn_fit_observable_at(f, o);
    for (size_t i = 0; i < nt; i++) {
      size_t r = c->nrows++;
      c->arm[r] = syn_fit_arm_name(f, arm);
      c->observable[r] = ob->name;
      c->time[r] = at[i];
      c->value[r] = vals[i * ns + ob->series];
    }
  }
}

syn_status syn_fit_curves_compute(const syn_fit *f, const double *xlin, size_t nper,
                                  syn_fit_curves **out, syn_error *err) {
  *out = NULL;
  const syn_problem *p = syn_fit_problem(f);
  size_t ntg, ns = syn_problem_series_count(p), na = syn_fit_arm_count(f);
  size_t nobs = syn_fit_observable_count(f), npt = syn_fit_point_count(f);
  const double *grid = syn_problem_times(p, &ntg);
  size_t cap = nper + 1 + npt, rows = na * nobs * cap;
  syn_fit_curves *c = calloc(1, sizeof *c);
  double *at = malloc(cap * sizeof *at), *vals = malloc(cap * ns * sizeof *vals);
  double *theta = malloc((syn_problem_free_count(p) + 1) * sizeof *theta);
  syn_problem_ws *ws = NULL;
  syn_status st = SYN_OK;
  if (c == NULL || at == NULL || vals == NULL || theta == NULL ||
      (c->arm = malloc((rows + 1) * sizeof *c->arm)) == NULL ||
      (c->observable = malloc((rows + 1) * sizeof *c->observable)) == NULL ||
      (c->time = malloc((rows + 1) * sizeof *c->time)) == NULL ||
      (c->value = malloc((rows + 1) * sizeof *c->value)) == NULL)
    st = syn_error_set(err, SYN_ENOMEM, "out of memory");
  if (st == SYN_OK && ntg == 0) st = syn_error_set(err, SYN_EINVAL, "the scenario has no output grid");
  if (st == SYN_OK) st = syn_problem_ws_create(p, &ws, err);
  for (size_t arm = 0; st == SYN_OK && arm < na; arm++) {
    size_t nt = arm_times(f, arm, grid[0], grid[ntg - 1], nper, at);
    syn_problem_want want = {0, NULL, at, nt, vals, NULL, 0, NULL, NULL};
    syn_problem_result res;
    syn_fit_theta(f, arm, xlin, theta);
    st = syn_problem_eval(ws, arm, theta, &want, &res, err);
    if (st == SYN_OK) add_rows(c, f, arm, at, nt, vals, ns);
  }
  syn_problem_ws_destroy(ws);
  free(at);
  free(vals);
  free(theta);
  if (st != SYN_OK) syn_fit_curves_destroy(c);
  else *out = c;
  return st;
}
