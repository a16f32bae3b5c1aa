/* synovia fit — profiles, intervals, predictions and the fitted curves
 * after the multistart (include/synovia/profile.h), kept for the fit file. */
#include "fit_uncertainty.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synovia/profile.h"

/* Number of even times per arm in the fitted curves (LAYOUT: >= 200). */
enum { CURVE_STEPS = 200 };

struct fit_unc {
  syn_uncertainty *u;
  syn_fit_curves *curves;
  double *pred;                 /* [3][npred]: estimate, lower, upper */
  const char **ident;           /* [nparam] */
  long long *point_param;       /* [npoints] */
  const char **pname, **pformula, **punits; /* [npred] */
  syn_h5fit_uncertainty hu;
  syn_h5fit_curves hc;
  syn_h5fit_predictions hp;
};

void fit_uncertainty_free(fit_unc *c) {
  if (c == NULL) return;
  syn_uncertainty_destroy(c->u);
  syn_fit_curves_destroy(c->curves);
  free(c->pred);
  free(c->ident);
  free(c->point_param);
  free(c->pname);
  free(c->pformula);
  free(c->punits);
  free(c);
}

static int fail(const syn_fit *fit, const char *what, const syn_error *err) {
  fprintf(stderr, "synovia fit: error: %s: %s: %s\n", syn_fit_path(fit), what, err->message);
  return 0;
}

static int compute_profiles(fit_unc *c, const syn_fit *fit, syn_objective *obj,
                            const syn_optim_type *t, const double *best, double fbest,
                            int no_profiles) {
  size_t np = syn_fit_param_count(fit);
  unsigned char *which = calloc(np + 1, 1);
  double *x = malloc((np + 1) * sizeof *x);
  syn_profile_settings s;
  syn_profile_settings_default(&s);
  s.confidence = syn_fit_confidence(fit);
  s.step_rise = syn_profile_threshold(s.confidence) / 5;
  s.type = t;
  syn_error err;
  syn_error_clear(&err);
  int ok = which != NULL && x != NULL;
  for (size_t j = 0; ok && j < np; j++) {
    which[j] = (unsigned char)(!no_profiles && syn_fit_profiled(fit, j));
    x[j] = syn_objective_to_scale(syn_fit_param_at(fit, j), best[j]);
  }
  if (!ok) fputs("synovia fit: error: out of memory\n", stderr);
  else if (syn_uncertainty_compute(fit, obj, x, fbest, which, &s, &c->u, &err) != SYN_OK)
    ok = fail(fit, "profiles", &err);
  free(which);
  free(x);
  return ok;
}

static int compute_predictions(fit_unc *c, const syn_fit *fit, const double *best) {
  size_t n = syn_fit_prediction_count(fit);
  syn_error err;
  syn_error_clear(&err);
  c->pred = malloc((3 * n + 1) * sizeof *c->pred);
  c->pname = malloc((n + 1) * sizeof *c->pname);
  c->pformula = malloc((n + 1) * sizeof *c->pformula);
  c->punits = malloc((n + 1) * sizeof *c->punits);
  if (!c->pred || !c->pname || !c->pformula || !c->punits) {
    fputs("synovia fit: error: out of memory\n", stderr);
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    const syn_fit_prediction *p = syn_fit_prediction_at(fit, i);
    c->pname[i] = p->name;
    c->pformula[i] = p->formula;
    c->punits[i] = p->units;
  }
  size_t skipped = 0;
  if (syn_fit_prediction_intervals(fit, c->u, best, c->pred, c->pred + n, c->pred + 2 * n,
                                   &skipped, &err) != SYN_OK)
    return fail(fit, "predictions at the best estimate", &err);
  if (skipped)
    fprintf(stderr, "synovia fit: warning: %zu profile point%s could not be simulated for the "
            "predictions (left out of their ranges)\n", skipped, skipped == 1 ? "" : "s");
  c->hp = (syn_h5fit_predictions){n, c->pname, c->pformula, c->punits, c->pred, c->pred + n,
                                  c->pred + 2 * n, SYN_PREDICTION_METHOD};
  return 1;
}

/* The views the writer takes. */
static int fill_views(fit_unc *c, const syn_fit *fit) {
  const syn_uncertainty *u = c->u;
  c->ident = malloc((u->nparam + 1) * sizeof *c->ident);
  c->point_param = malloc((u->npoints + 1) * sizeof *c->point_param);
  if (c->ident == NULL || c->point_param == NULL) {
    fputs("synovia fit: error: out of memory\n", stderr);
    return 0;
  }
  for (size_t j = 0; j < u->nparam; j++) c->ident[j] = syn_identifiability_name(u->ident[j]);
  for (size_t k = 0; k < u->npoints; k++) c->point_param[k] = (long long)u->point_param[k];
  c->hu = (syn_h5fit_uncertainty){u->confidence, u->threshold, u->best_objective,
                                  u->lowest_objective, u->lower, u->upper, c->ident,
                                  u->fisher_lower, u->fisher_upper, u->fisher_why, u->npoints,
                                  c->point_param, u->point_value, u->point_objective,
                                  u->point_status, u->point_x};
  const syn_model *m = syn_scenario_model(syn_fit_scenario(fit));
  c->hc = (syn_h5fit_curves){c->curves->nrows, c->curves->arm, c->curves->observable,
                             c->curves->time, c->curves->value, syn_model_time_unit(m)};
  return 1;
}

static void print_table(const fit_unc *c, const syn_fit *fit) {
  const syn_uncertainty *u = c->u;
  printf("uncertainty: %g %% intervals (objective rise %.6g)\n", 100 * u->confidence, u->threshold);
  printf("  %-32s %-14s %-14s %-14s %-14s %s\n", "parameter", "profile lower", "profile upper",
         "Fisher lower", "Fisher upper", "identifiability");
  for (size_t j = 0; j < u->nparam; j++)
    printf("  %-32s %-14.8g %-14.8g %-14.8g %-14.8g %s\n", syn_fit_param_at(fit, j)->name,
           u->lower[j], u->upper[j], u->fisher_lower[j], u->fisher_upper[j],
           syn_identifiability_name(u->ident[j]));
  if (u->fisher_why[0]) printf("Fisher intervals: NaN: %s\n", u->fisher_why);
  if (u->below_best)
    printf("warning: a profile found objective %.14g below the best %.14g: the multistart did "
           "not reach the optimum (more starts?)\n", u->lowest_objective, u->best_objective);
  for (size_t i = 0; i < c->hp.n; i++)
    printf("prediction \"%s\": %.8g [%.8g, %.8g] %s\n", c->hp.name[i], c->hp.estimate[i],
           c->hp.lower[i], c->hp.upper[i], c->hp.units[i]);
}

fit_unc *fit_uncertainty_run(const syn_fit *fit, syn_objective *obj, const syn_optim_type *t,
                             const double *best, double fbest, int no_profiles, int quiet) {
  fit_unc *c = calloc(1, sizeof *c);
  syn_error err;
  syn_error_clear(&err);
  if (c == NULL) {
    fputs("synovia fit: error: out of memory\n", stderr);
    return NULL;
  }
  if (!quiet && !no_profiles) fputs("synovia fit: profiles ...\n", stderr);
  int ok = compute_profiles(c, fit, obj, t, best, fbest, no_profiles) &&
           compute_predictions(c, fit, best);
  if (ok && syn_fit_curves_compute(fit, best, CURVE_STEPS, &c->curves, &err) != SYN_OK)
    ok = fail(fit, "the fitted curves", &err);
  if (ok) ok = fill_views(c, fit);
  if (!ok) {
    fit_uncertainty_free(c);
    return NULL;
  }
  print_table(c, fit);
  return c;
}

void fit_uncertainty_attach(const fit_unc *c, syn_h5fit_data *d) {
  d->unc = &c->hu;
  d->curves = &c->hc;
  d->pred = c->hp.n ? &c->hp : NULL;
}
