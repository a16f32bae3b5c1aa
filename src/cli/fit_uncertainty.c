/* synovia fit — profiles, intervals, predictions and the fitted curves
 * after the multistart (include/synovia/profile.h), kept for the fit file. */
#include "fit_uncertainty.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs.h"
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

/* The progress line of the walks, as the starts' (cli_show_progress). */
static syn_status run_profile_job(fit_unc *c, syn_profile_job *pj, const fit_unc_opts *o,
                                  syn_error *err) {
  char out[1100];
  snprintf(out, sizeof out, "%s.profiles", o->output);
  syn_sweep_run_opts ro;
  syn_sweep_run_opts_default(&ro);
  ro.out_path = out;
  ro.command_line = o->command_line;
  ro.resume = o->resume;
  if (o->checkpoint > 0) ro.checkpoint = o->checkpoint;
  ro.par = o->par;
  ro.stop = cli_stop_flag();
  int show = !o->quiet && o->par->rank == 0 && syn_profile_job_count(pj) > 0;
  ro.progress = show ? cli_show_progress : NULL;
  ro.progress_ctx = (void *)"profile walks";
  syn_status st = syn_profile_job_run(pj, &ro, &c->u, NULL, err);
  if (show) fputc('\n', stderr);
  return st;
}

static syn_status compute_profiles(fit_unc *c, const syn_fit *fit, const syn_optim_type *t,
                                   const double *best, double fbest, const fit_unc_opts *o,
                                   syn_error *err) {
  size_t np = syn_fit_param_count(fit);
  unsigned char *which = calloc(np + 1, 1);
  syn_profile_settings s;
  syn_profile_settings_default(&s);
  s.confidence = syn_fit_confidence(fit);
  s.step_rise = syn_profile_threshold(s.confidence) / 5;
  s.type = t;
  syn_profile_job *pj = NULL;
  syn_status st = which ? SYN_OK : syn_error_set(err, SYN_ENOMEM, "out of memory");
  for (size_t j = 0; st == SYN_OK && j < np; j++)
    which[j] = (unsigned char)(!o->no_profiles && syn_fit_profiled(fit, j));
  if (st == SYN_OK)
    st = syn_profile_job_create(fit, best, fbest, which, &s, o->config_sha256, &pj, err);
  /* every rank made its job alike, or none runs (the others would wait) */
  if (!syn_parallel_agree(o->par, st == SYN_OK) && st == SYN_OK)
    st = syn_error_set(err, SYN_EIO, "another MPI rank could not set the profiles up");
  if (st == SYN_OK) st = run_profile_job(c, pj, o, err);
  syn_profile_job_destroy(pj);
  free(which);
  return st;
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

/* Rank 0 after the profiles: predictions, curves, the writer's views, the table. */
static int finish_rank0(fit_unc *c, const syn_fit *fit, const double *best) {
  syn_error err;
  syn_error_clear(&err);
  int ok = compute_predictions(c, fit, best);
  if (ok && syn_fit_curves_compute(fit, best, CURVE_STEPS, &c->curves, &err) != SYN_OK)
    ok = fail(fit, "the fitted curves", &err);
  if (ok) ok = fill_views(c, fit);
  if (ok) print_table(c, fit);
  return ok;
}

syn_status fit_uncertainty_run(const syn_fit *fit, const syn_optim_type *t, const double *best,
                               double fbest, const fit_unc_opts *o, fit_unc **out,
                               int *printed, syn_error *err) {
  *out = NULL;
  fit_unc *c = calloc(1, sizeof *c);
  syn_status st = c ? SYN_OK : syn_error_set(err, SYN_ENOMEM, "out of memory");
  int rank0 = o->par->rank == 0;
  if (st == SYN_OK) st = compute_profiles(c, fit, t, best, fbest, o, err);
  if (st == SYN_OK && rank0 && !finish_rank0(c, fit, best)) {
    *printed = 1;
    st = syn_error_set(err, SYN_EIO, "the fit file was not written");
  }
  if (st != SYN_OK || !rank0) fit_uncertainty_free(c);
  else *out = c;
  return st;
}

void fit_uncertainty_attach(const fit_unc *c, syn_h5fit_data *d) {
  d->unc = &c->hu;
  d->curves = &c->hc;
  d->pred = c->hp.n ? &c->hp : NULL;
}
