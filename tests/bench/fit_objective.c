/* synovia bench — a fit's objective and gradient against a plain solve
 * (issue 15 point 2): examples/fit/knee_trial.fit (3 arms, 45 data points, 7
 * estimated parameters), at its default point. Side by side in one run,
 * alternated, median CPU time (user + sys of the process) of REPS:
 *   plain:     every arm solved on the scenario's grid (series, no metrics),
 *              as a simulation of the same arms with the same values;
 *   objective: the negative log-likelihood (every arm at its data times);
 *   + gradient: the same with the forward sensitivities of every estimated
 *              parameter that drives the arm.
 * Run from the repository root: build/release/bench_fit_objective */
#include <stdio.h>
#include <stdlib.h>

#include "synovia/fit.h"
#include "synovia/objective.h"
#include "synovia/problem.h"
#include "timing.h"

enum { REPS = 21 };
static const char *const FIT = "examples/fit/knee_trial.fit";

/* Every arm of the fit's problem solved on the grid, as `synovia run` would. */
static int plain_solve(const syn_fit *f, syn_problem_ws *ws, const double *xlin, double *theta,
                       const unsigned char *none) {
  syn_problem_want want = {1, none, NULL, 0, NULL, NULL, 0, NULL, NULL};
  for (size_t a = 0; a < syn_fit_arm_count(f); a++) {
    syn_problem_result r;
    syn_error err;
    syn_fit_theta(f, a, xlin, theta);
    if (syn_problem_eval(ws, a, theta, &want, &r, &err) != SYN_OK) {
      fprintf(stderr, "bench: %s\n", err.message);
      return -1;
    }
  }
  return 0;
}

static int objective(syn_objective *o, const double *x, double *grad) {
  syn_objective_value v;
  syn_error err;
  if (syn_objective_eval(o, x, &v, grad, &err) != SYN_OK) {
    fprintf(stderr, "bench: %s\n", err.message);
    return -1;
  }
  return 0;
}

int main(void) {
  syn_fit *f = NULL;
  syn_objective *o = NULL;
  syn_problem_ws *ws = NULL;
  syn_error err;
  int rc = 1;
  size_t np = 0;
  double *x = NULL, *xlin = NULL, *grad = NULL, *theta = NULL;
  unsigned char *none = NULL;
  if (syn_fit_load(FIT, &f, &err) != SYN_OK || syn_objective_create(f, &o, &err) != SYN_OK ||
      syn_problem_ws_create(syn_fit_problem(f), &ws, &err) != SYN_OK) {
    fprintf(stderr, "bench: %s: %s\n", FIT, err.message);
    goto done;
  }
  np = syn_fit_param_count(f);
  x = malloc(np * sizeof *x);
  xlin = malloc(np * sizeof *xlin);
  grad = malloc(np * sizeof *grad);
  theta = malloc((syn_problem_free_count(syn_fit_problem(f)) + 1) * sizeof *theta);
  none = calloc(syn_scenario_metric_count(syn_fit_scenario(f)) + 1, 1);
  if (!x || !xlin || !grad || !theta || !none) goto done;
  syn_objective_default_x(f, x);
  for (size_t j = 0; j < np; j++) xlin[j] = syn_objective_unscale(syn_fit_param_at(f, j), x[j]);
  /* warm-up: steady baselines found and cached, CVODES' memory made */
  if (plain_solve(f, ws, xlin, theta, none) || objective(o, x, NULL) || objective(o, x, grad))
    goto done;
  double tp[REPS], tv[REPS], tg[REPS];
  for (int k = 0; k < REPS; k++) {
    double t0 = cpu_seconds();
    if (plain_solve(f, ws, xlin, theta, none)) goto done;
    double t1 = cpu_seconds();
    if (objective(o, x, NULL)) goto done;
    double t2 = cpu_seconds();
    if (objective(o, x, grad)) goto done;
    double t3 = cpu_seconds();
    tp[k] = t1 - t0;
    tv[k] = t2 - t1;
    tg[k] = t3 - t2;
  }
  double mp = median(tp, REPS), mv = median(tv, REPS), mg = median(tg, REPS);
  printf("issue 15: the objective of %s (%zu arms, %zu data points, %zu estimated parameters) "
         "at its default point; median CPU time of %d runs, alternated\n",
         FIT, syn_fit_arm_count(f), syn_fit_point_count(f), np, REPS);
  printf("  plain solve of the arms on the grid  %8.3f ms\n", 1e3 * mp);
  printf("  objective                            %8.3f ms   ratio %.2f\n", 1e3 * mv, mv / mp);
  printf("  objective + gradient                 %8.3f ms   ratio %.2f  (sensitivities per arm:",
         1e3 * mg, mg / mp);
  for (size_t a = 0; a < syn_fit_arm_count(f); a++) printf(" %zu", syn_objective_sens_count(o, a));
  printf("; noise parameters need none)\n");
  rc = 0;
done:
  free(x);
  free(xlin);
  free(grad);
  free(theta);
  free(none);
  syn_problem_ws_destroy(ws);
  syn_objective_destroy(o);
  syn_fit_destroy(f);
  return rc;
}
