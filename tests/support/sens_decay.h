/* synovia tests — a result with exact forward sensitivities, built from
 * closed forms (header only: the unit tests and tests/tools include it).
 *
 *   x(t) = x0 exp(-k t)          state  "x", pg/mL
 *   d(t) = x0 - x(t)             output "d", pg/mL (0 at t = 0: its log
 *                                sensitivity is NaN there)
 *   t = 0, 0.5, ..., 24 h;  k = 0.3 1/h, x0 = 5 pg/mL
 *   dx/dk = -x0 t e^(-kt),  dx/dx0 = e^(-kt),  dd/dk = -dx/dk,  dd/dx0 = 1 - e^(-kt)
 *   metrics x_auc = x0 (1 - e^(-kT)) / k and x_end = x0 e^(-kT), T = 24 h, with
 *   their exact gradients. The parameter table has a third, fixed V = 2 mL
 *   (so the arm's `param` and the sensitivities' `param` differ in length). Normalised: x_end ranks k (|-kT| = 7.2) before x0 (1),
 *   x_auc ranks x0 (1) before k (|-1 + kT e^(-kT)/(1 - e^(-kT))| = 0.9946). */
#ifndef SYNOVIA_TESTS_SENS_DECAY_H
#define SYNOVIA_TESTS_SENS_DECAY_H

#include <math.h>
#include <stddef.h>

#include "synovia/result.h"

enum { DECAY_NT = 49, DECAY_NSENS = 2, DECAY_NSERIES = 2, DECAY_NMETRICS = 2 };
static const double DECAY_K = 0.3, DECAY_X0 = 5.0, DECAY_T = 24.0;
static const char *const decay_param_names[DECAY_NSENS] = {"k", "x0"};
static const char *const decay_param_units[DECAY_NSENS] = {"1/h", "pg/mL"};

static inline double decay_time(size_t i) { return 0.5 * (double)i; }

/* Series s (0 x, 1 d) at t. */
static inline double decay_value(size_t s, double t) {
  const double x = DECAY_X0 * exp(-DECAY_K * t);
  return s == 0 ? x : DECAY_X0 - x;
}

/* d(series s)/d(param p) at t (p: 0 k, 1 x0). */
static inline double decay_sens(size_t s, size_t p, double t) {
  const double e = exp(-DECAY_K * t);
  const double dx = p == 0 ? -DECAY_X0 * t * e : e;
  return s == 0 ? dx : (p == 0 ? -dx : 1.0 - e);
}

/* Metric m (0 x_auc, 1 x_end) and d(metric m)/d(param p). */
static inline double decay_metric(size_t m) {
  const double e = exp(-DECAY_K * DECAY_T);
  return m == 0 ? DECAY_X0 * (1.0 - e) / DECAY_K : DECAY_X0 * e;
}

static inline double decay_metric_grad(size_t m, size_t p) {
  const double e = exp(-DECAY_K * DECAY_T), k = DECAY_K, x0 = DECAY_X0, T = DECAY_T;
  if (m == 0) return p == 0 ? -x0 * (1.0 - e) / (k * k) + x0 * T * e / k : (1.0 - e) / k;
  return p == 0 ? -x0 * T * e : e;
}

/* The result above, with sensitivities and (with_grad) metric gradients. */
static inline syn_status decay_result(int with_grad, syn_result **out, syn_error *err) {
  static const syn_series_info info[DECAY_NSERIES] = {
      {"x", "pg/mL", "decaying amount", SYN_SERIES_STATE},
      {"d", "pg/mL", "amount cleared", SYN_SERIES_OUTPUT}};
  double sens[DECAY_NSENS * DECAY_NT * DECAY_NSERIES]; /* [k][t][s] */
  const double pvals[DECAY_NSENS] = {DECAY_K, DECAY_X0};
  double dm[DECAY_NMETRICS * DECAY_NSENS];
  syn_result *r = NULL;
  syn_status st = syn_result_create(DECAY_NSERIES, info, DECAY_NT, "h", &r, err);
  for (size_t i = 0; st == SYN_OK && i < DECAY_NT; i++) {
    const double t = decay_time(i), v[2] = {decay_value(0, t), decay_value(1, t)};
    st = syn_result_append(r, t, v, err);
    for (size_t p = 0; p < DECAY_NSENS; p++)
      for (size_t s = 0; s < DECAY_NSERIES; s++)
        sens[(p * DECAY_NT + i) * DECAY_NSERIES + s] = decay_sens(s, p, t);
  }
  if (st == SYN_OK) st = syn_result_add_param(r, "k", "1/h", DECAY_K, err);
  if (st == SYN_OK) st = syn_result_add_param(r, "x0", "pg/mL", DECAY_X0, err);
  if (st == SYN_OK) st = syn_result_add_param(r, "V", "mL", 2.0, err); /* not free */
  if (st == SYN_OK)
    st = syn_result_add_metric(r, "x_auc", "pg/mL*h", "auc(x, 0 h, 24 h)", decay_metric(0), err);
  if (st == SYN_OK) st = syn_result_add_metric(r, "x_end", "pg/mL", "at(x, 24 h)", decay_metric(1), err);
  if (st == SYN_OK)
    st = syn_result_set_sensitivities(r, DECAY_NSENS, decay_param_names, decay_param_units,
                                      pvals, sens, err);
  for (size_t m = 0; m < DECAY_NMETRICS; m++)
    for (size_t p = 0; p < DECAY_NSENS; p++) dm[m * DECAY_NSENS + p] = decay_metric_grad(m, p);
  if (st == SYN_OK && with_grad) st = syn_result_set_metric_gradients(r, dm, err);
  if (st != SYN_OK) {
    syn_result_destroy(r);
    r = NULL;
  }
  *out = r;
  return st;
}

#endif
