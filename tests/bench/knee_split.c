/* synovia benchmark: where a knee sample's time goes (issue 13, points 3 and 4).
 *
 *   build/release/bench_knee_split
 *
 * A sample of a knee sweep (examples/knee_ia_vs_iv.scenario: `baseline
 * steady`, three arms) is run as `synovia sweep` runs it: one compiled problem
 * (synovia/problem.h) and one workspace, syn_problem_eval per arm, the metrics
 * the sweep keeps (all five), no series. The same
 * SAMPLES parameter sets (knee.severity spread over 0.04–0.09, potency 0.7–1.4,
 * the range of tests/bench/sweep.sh's sweep) are run
 *   A. as a sweep does: baseline + 3 arms + metrics;
 *   B. keeping no metric: baseline + 3 arms (the metric hook not installed);
 *   C. the baseline alone: syn_steady_state with the arm's parameters
 *      (KINSOL, and the integration that confirms its root: its steps and
 *      how far it ran are printed too, from syn_steady_info).
 * The split: baseline C, arms' integration B - C, metrics A - B.
 * Accuracy: A's metrics against the same samples solved with rtol 1e-10 and
 * one atol of 1e-9 (the reference of tests/bench/state_tol.py): per metric the
 * largest relative error over samples and arms, |x - ref| / max(|ref|, 1e-12
 * max |ref| of that metric). Each variant
 * builds its problem afresh (its workspace's baseline cache starts empty) and is timed
 * REPS times; the median is printed. Times are CPU time of this process
 * (user + system), which a loaded machine disturbs less than wall time.
 * Prints figures; asserts nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "synovia/model.h"
#include "synovia/problem.h"
#include "synovia/scenario.h"
#include "synovia/steady.h"

#include "timing.h"

enum { SAMPLES = 20, REPS = 5, NOV = 2, MAX_VALUES = 4096 };

static const char *const SCENARIO = "examples/knee_ia_vs_iv.scenario";
/* the scenario's common `use` lines: the baseline alone is rebuilt with them */
static const char *const PRESETS[] = {"effusive_OA", "UC_MSC"};

/* Sample i's parameters. */
static void sample(size_t i, syn_override *ov) {
  double u = (i + 0.5) / SAMPLES;
  ov[0] = (syn_override){"knee.severity", 0.04 + 0.05 * u};
  ov[1] = (syn_override){"potency", 0.7 + 0.7 * fmod(7.0 * u, 1.0)};
}

/* CPU seconds for every sample's arms (metrics kept: keep_metrics), through
 * one compiled problem and one workspace, the sample's values its free
 * parameters, as a sweep's evaluator runs them (src/sweep/eval.c); solver
 * options opts (NULL: the scenario's). values (NULL: not wanted): every
 * metric of every arm of every sample, *nvalues of them. */
static int time_arms(int keep_metrics, const syn_solver_opts *opts, double *secs,
                     double *values, size_t *nvalues) {
  syn_scenario *s = NULL;
  syn_problem *p = NULL;
  syn_problem_ws *ws = NULL;
  syn_error err;
  const char *names[NOV];
  int rc = -1;
  unsigned char *kept = NULL;
  syn_override ov[NOV];
  sample(0, ov);
  for (size_t k = 0; k < NOV; k++) names[k] = ov[k].name;
  if (syn_scenario_load(SCENARIO, &s, &err) != SYN_OK ||
      syn_problem_create(s, NULL, 0, names, NOV, opts, &p, &err) != SYN_OK ||
      syn_problem_ws_create(p, &ws, &err) != SYN_OK) {
    fprintf(stderr, "bench: %s: %s\n", SCENARIO, err.message);
    goto done;
  }
  size_t nm = syn_scenario_metric_count(s);
  kept = calloc(nm + 1, 1);
  if (kept == NULL) goto done;
  for (size_t m = 0; m < nm; m++) kept[m] = (unsigned char)keep_metrics;
  syn_problem_want want = {.series = 0, .metrics = kept};
  size_t nv = 0;
  rc = 0;
  double t0 = cpu_seconds();
  for (size_t i = 0; i < SAMPLES && rc == 0; i++) {
    double theta[NOV];
    sample(i, ov);
    for (size_t k = 0; k < NOV; k++) theta[k] = ov[k].value;
    for (size_t a = 0; a < syn_problem_arm_count(p) && rc == 0; a++) {
      syn_problem_result res;
      if (syn_problem_eval(ws, a, theta, &want, &res, &err) != SYN_OK) {
        fprintf(stderr, "bench: %s, arm %zu: %s\n", SCENARIO, a, err.message);
        rc = -1;
      }
      for (size_t m = 0; values != NULL && rc == 0 && m < nm && nv < MAX_VALUES; m++)
        values[nv++] = res.metrics[m];
    }
  }
  *secs = cpu_seconds() - t0;
  if (nvalues != NULL) *nvalues = nv;
done:
  free(kept);
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_scenario_destroy(s);
  return rc;
}

/* What the baselines' confirming integrations did (syn_steady_info). */
typedef struct confirm_tally {
  long steps;     /* summed over the samples */
  double t_sum;   /* clock units integrated, summed */
  double t_min;   /* the earliest stop */
} confirm_tally;

/* CPU seconds for every sample's baseline alone; *method: the last one's. */
static int time_baselines(double *secs, const char **method, confirm_tally *ct) {
  syn_scenario *s = NULL;
  syn_instance *inst = NULL;
  syn_error err;
  syn_ode ode;
  double y[512], total = 0.0;
  int rc = -1;
  if (syn_scenario_load(SCENARIO, &s, &err) != SYN_OK) goto done;
  for (size_t i = 0; i < SAMPLES; i++) {
    syn_override ov[NOV];
    sample(i, ov);
    syn_status st = syn_instance_create(syn_scenario_model(s), &inst, &err);
    for (size_t p = 0; p < sizeof PRESETS / sizeof *PRESETS && st == SYN_OK; p++)
      st = syn_instance_use_preset(inst, PRESETS[p], &err);
    for (size_t k = 0; k < NOV && st == SYN_OK; k++)
      st = syn_instance_set(inst, ov[k].name, ov[k].value, &err);
    if (st == SYN_OK) st = syn_instance_prepare(inst, &err);
    if (st != SYN_OK) goto done;
    syn_instance_ode(inst, &ode);
    if (ode.n > sizeof y / sizeof *y) goto done;
    syn_steady_opts so;
    syn_steady_info si;
    double t_start, t_end, every;
    syn_steady_opts_default(&so);
    syn_scenario_solver_opts(s, &so.solver);
    syn_scenario_grid(s, &t_start, &t_end, &every);
    syn_instance_initial(inst, y);
    double t0 = cpu_seconds();
    st = syn_steady_state(&ode, t_start, y, &so, &si, &err);
    total += cpu_seconds() - t0;
    *method = si.method;
    ct->steps += si.confirm_steps;
    ct->t_sum += si.t_confirmed;
    ct->t_min = fmin(ct->t_min, si.t_confirmed);
    syn_instance_destroy(inst);
    inst = NULL;
    if (st != SYN_OK) goto done;
  }
  *secs = total;
  rc = 0;
done:
  if (rc != 0) fprintf(stderr, "bench: baseline: %s\n", err.message);
  syn_instance_destroy(inst);
  syn_scenario_destroy(s);
  return rc;
}

/* The largest relative error of each metric (nm of them, interleaved in
 * x[0..n) and ref[0..n)) into err[0..nm). */
static void metric_errors(const double *x, const double *ref, size_t n, size_t nm, double *err) {
  for (size_t m = 0; m < nm; m++) {
    double big = 0.0;
    for (size_t i = m; i < n; i += nm) big = fmax(big, fabs(ref[i]));
    err[m] = 0.0;
    for (size_t i = m; i < n; i += nm) {
      double scale = fmax(fabs(ref[i]), 1e-12 * big);
      err[m] = fmax(err[m], fabs(x[i] - ref[i]) / (scale > 0.0 ? scale : 1.0));
    }
  }
}

/* The metrics at the default settings against the rtol 1e-10 reference. */
static int print_accuracy(void) {
  static double x[MAX_VALUES], ref[MAX_VALUES];
  size_t n = 0, nref = 0;
  double secs;
  syn_scenario *s = NULL;
  syn_error err;
  if (syn_scenario_load(SCENARIO, &s, &err) != SYN_OK) return -1;
  size_t nm = syn_scenario_metric_count(s);
  syn_solver_opts o;
  syn_solver_opts_default(&o);
  syn_scenario_solver_opts(s, &o);
  o.rtol = 1e-10;
  o.atol = 1e-9;
  o.atol_given = 1; /* one atol for every state, as state_tol.py's reference */
  o.atol_vec = NULL;
  int rc = time_arms(1, NULL, &secs, x, &n) == 0 && time_arms(1, &o, &secs, ref, &nref) == 0 &&
                   n == nref && nm > 0 && nm <= 64
               ? 0
               : -1;
  double e[64];
  if (rc == 0) {
    metric_errors(x, ref, n, nm, e);
    printf("  metrics' accuracy (largest relative error over %d samples x arms against rtol "
           "1e-10, atol 1e-9):", SAMPLES);
    for (size_t m = 0; m < nm; m++) printf(" %s %.2g", syn_scenario_metric_name(s, m), e[m]);
    printf("\n");
  }
  syn_scenario_destroy(s);
  return rc;
}

int main(void) {
  double a[REPS], b[REPS], c[REPS];
  const char *method = "?";
  confirm_tally ct = {0, 0.0, INFINITY};
  for (int r = 0; r < REPS; r++) {
    ct = (confirm_tally){0, 0.0, INFINITY};
    if (time_arms(1, NULL, &a[r], NULL, NULL) != 0 || time_arms(0, NULL, &b[r], NULL, NULL) != 0 ||
        time_baselines(&c[r], &method, &ct) != 0)
      return 1;
  }
  double A = median(a, REPS) / SAMPLES, B = median(b, REPS) / SAMPLES,
         C = median(c, REPS) / SAMPLES;
  printf("knee sample (%s: baseline steady + 3 arms, 5 metrics kept, no series), CPU time, "
         "median of %d runs of %d samples: %.2f ms, %.0f samples/s/core\n",
         SCENARIO, REPS, SAMPLES, 1e3 * A, 1.0 / A);
  printf("  split: baseline %.2f ms (%.0f %%, method %s: KINSOL + the integration that "
         "confirms its root), arms' integration %.2f ms (%.0f %%), metrics %.2f ms (%.0f %%)\n",
         1e3 * C, 100 * C / A, method, 1e3 * (B - C), 100 * (B - C) / A, 1e3 * (A - B),
         100 * (A - B) / A);
  printf("  baseline: %.2f ms, %.0f baselines/s/core; its confirming integration (steady.h: it "
         "stops at rest or once in the root's linear regime) %.0f steps, %.3g h on average "
         "(earliest stop %.3g h)\n",
         1e3 * C, 1.0 / C, (double)ct.steps / SAMPLES, ct.t_sum / SAMPLES, ct.t_min);
  return print_accuracy() == 0 ? 0 : 1;
}
