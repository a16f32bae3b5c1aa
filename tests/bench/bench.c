/* synovia benchmark: the bytecode interpreter against hand-written C.
 *
 *   build/release/bench tests/bench
 *
 * The stiff 24-state cytokine cascade of tests/bench/stiff20.model is written
 * a second time below as plain C (right-hand side and exact Jacobian by
 * hand, dense). Both go through the same syn_solver with the same settings
 * (BDF, dense LU, exact Jacobian, rtol 1e-6, atol 1e-9, 0..200 h every 1 h).
 * The program checks that both give the same trajectory, then times many
 * solves of each (median of the repetitions) and prints the ratio
 * synovia / hand-written (design target <= 1.3). It also times the start-up
 * cost (load + compile) of the largest model under models/ and the bench
 * folder. Timings are printed, never asserted.
 *
 * Issue 4 (speed of the joint models), with the scenario API as the program
 * uses it (load once, one compiled problem, syn_problem_eval_arm per arm;
 * results stay in memory, no HDF5):
 *   - every arm of examples/knee_ia_vs_iv.scenario, median of KNEE_REPS runs,
 *     and the steady-state baseline on its own (the same syn_steady_state call
 *     the arm makes), so the arm's integration is the difference (target: well
 *     under 10 ms per arm);
 *   - the 1-year arm of tests/bench/ra_year.scenario (16-joint RA model) with
 *     the dense and the KLU linear solver, median of RA_REPS runs (target:
 *     under 100 ms), with CVODE's counters and the largest relative difference
 *     between the two solutions at the end;
 *   - load + compile of models/ra.model (median of LOAD_REPS).
 *
 * Issue 14 (the compiled problem, synovia/problem.h): every knee arm with
 * k_fast free, a new value per repetition (so every run finds its steady
 * baseline anew), as syn_scenario_run_arm (everything rebuilt per call, by
 * name: the run the problem replaces) and as syn_problem_eval on one
 * workspace; median CPU time (process CPU seconds) of PROBLEM_REPS each,
 * alternated, their ratio, and whether the metrics agree bit for bit.
 *
 *   build/release/bench tests/bench issue4    only the issue-4 part
 * Issue 14, sensitivities: the knee's IA arm with 10 free parameters, plain
 * and with all ten forward sensitivities, per corrector and error control
 * (bench_sensitivities): the CPU-time ratio against the target (1 + n)/2.
 *
 *   build/release/bench tests/bench issue14   only the issue-14 part
 *   build/release/bench tests/bench issue14-sens   only its sensitivities */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "synovia/model.h"
#include "synovia/problem.h"
#include "synovia/scenario.h"
#include "synovia/solver.h"
#include "synovia/steady.h"

#include "stiff20.h"
#include "timing.h"

enum { NS = 24, NPTS = 201, REPS = 200, LOAD_REPS = 51, KNEE_REPS = 20, RA_REPS = 10,
       PROBLEM_REPS = 40 };

/* --- the hand-written system -------------------------------------------------------- */


static int32_t dense_colptr[NS + 1], dense_rowind[NS * NS];

static void hand_ode(syn_ode *ode) {
  for (int j = 0; j <= NS; j++) dense_colptr[j] = j * NS;
  for (int k = 0; k < NS * NS; k++) dense_rowind[k] = k % NS;
  syn_ode o = {NS, stiff20_rhs, stiff20_jac, NS * NS, dense_colptr, dense_rowind, NULL, stiff20_names,
               "h", NULL, 0, NULL, NULL};
  *ode = o;
}

static void hand_initial(double *y0) {
  memset(y0, 0, NS * sizeof *y0);
  y0[IS] = 10.0;
  for (int i = 1; i <= 6; i++) y0[IR(i)] = 2.0;
}

/* --- timing and solving ---------------------------------------------------------- */

typedef struct traj {
  size_t count;
  double y[NPTS][NS];
} traj;

static syn_status store(double t, const double *y, size_t n, void *ctx, syn_error *err) {
  (void)t, (void)err;
  traj *tr = ctx;
  if (tr->count < NPTS) memcpy(tr->y[tr->count], y, n * sizeof *y);
  tr->count++;
  return SYN_OK;
}

/* Tolerances of the timed runs, and of the run that checks the two codes
 * compute the same trajectory: at the timed tolerances two correct codes may
 * legitimately differ by ~1e-3 after different rounding picks different steps. */
static const double TIMED_RTOL = 1e-6, TIMED_ATOL = 1e-9, CHECK_RTOL = 1e-10, CHECK_ATOL = 1e-14;

static int solve(const syn_ode *ode, const double *y0, const double *grid, traj *tr,
                 syn_solver_stats *stats, double rtol, double atol) {
  syn_solver_opts o;
  syn_solver_opts_default(&o);
  o.rtol = rtol;
  o.atol = atol;
  o.linsol = SYN_LINSOL_DENSE;
  syn_solver *s = NULL;
  syn_error err;
  tr->count = 0;
  syn_status st = syn_solver_create(ode, &o, 0.0, y0, &s, &err);
  if (st == SYN_OK) st = syn_solver_integrate(s, grid, NPTS, NULL, 0, NULL, NULL, store, tr, &err);
  if (st == SYN_OK && stats != NULL) syn_solver_get_stats(s, stats);
  syn_solver_destroy(s);
  if (st != SYN_OK) fprintf(stderr, "bench: solve failed: %s\n", err.message);
  return st == SYN_OK ? 0 : -1;
}

/* --- start-up cost ------------------------------------------------------------------- */

typedef struct model_file {
  char path[1024];
  long size;
} model_file;

enum { MAX_MODELS = 256 };

static void list_models(const char *dir, model_file *files, size_t *count) {
  DIR *d = opendir(dir);
  if (d == NULL) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && *count < MAX_MODELS) {
    size_t len = strlen(e->d_name);
    struct stat sb;
    model_file *f = &files[*count];
    if (len < 7 || strcmp(e->d_name + len - 6, ".model") != 0) continue;
    snprintf(f->path, sizeof f->path, "%s/%s", dir, e->d_name);
    if (stat(f->path, &sb) != 0) continue;
    f->size = (long)sb.st_size;
    (*count)++;
  }
  closedir(d);
}

static int larger_first(const void *a, const void *b) {
  long x = ((const model_file *)a)->size, y = ((const model_file *)b)->size;
  return (y > x) - (y < x);
}

/* Median load + compile time of the largest model that loads (models that do
 * not load are reported and skipped). */
static int time_startup(const char *bench_dir) {
  static model_file files[MAX_MODELS];
  size_t count = 0;
  list_models("models", files, &count);
  list_models(bench_dir, files, &count);
  qsort(files, count, sizeof *files, larger_first);
  for (size_t f = 0; f < count; f++) {
    double t[LOAD_REPS];
    size_t nstates = 0;
    int ok = 1;
    for (int r = 0; r < LOAD_REPS && ok; r++) {
      syn_model *m = NULL;
      syn_error err;
      double t0 = now_seconds();
      syn_status st = syn_model_load(files[f].path, &m, &err);
      t[r] = now_seconds() - t0;
      if (st != SYN_OK) {
        printf("start-up: skipping %s (does not load: %s)\n", files[f].path, err.message);
        ok = 0;
      } else {
        nstates = syn_model_count(m, SYN_SYM_STATE);
      }
      syn_model_destroy(m);
    }
    if (!ok) continue;
    printf("start-up: load + compile %s (%ld bytes, %zu states): median %.3f ms over %d loads\n",
           files[f].path, files[f].size, nstates, 1e3 * median(t, LOAD_REPS), LOAD_REPS);
    return 0;
  }
  fprintf(stderr, "bench: no .model file could be loaded\n");
  return -1;
}

/* --- issue 4: the joint models ------------------------------------------------------ */

static const char *const KNEE_SCENARIO = "examples/knee_ia_vs_iv.scenario";
static const char *const RA_MODEL = "models/ra.model";

/* Median wall time of one arm as the program runs it (syn_problem_eval_arm on
 * one workspace, which keeps the steady baselines it has found); the last
 * run's result is kept in *keep when keep is not NULL. */
static int time_arm(const syn_scenario *s, size_t arm, const syn_solver_opts *o, int reps,
                    double *med, syn_arm_result **keep) {
  double t[KNEE_REPS > RA_REPS ? KNEE_REPS : RA_REPS];
  syn_problem *p = NULL;
  syn_problem_ws *ws = NULL;
  syn_error err;
  int rc = -1;
  if (syn_problem_create(s, &arm, 1, NULL, 0, o, &p, &err) != SYN_OK ||
      syn_problem_ws_create(p, &ws, &err) != SYN_OK)
    goto fail;
  for (int r = 0; r < reps; r++) {
    syn_arm_result *res = NULL;
    double t0 = now_seconds();
    syn_status st = syn_problem_eval_arm(ws, 0, NULL, NULL, &res, &err);
    t[r] = now_seconds() - t0;
    if (st != SYN_OK) goto fail;
    if (keep != NULL && r == reps - 1)
      *keep = res;
    else
      syn_arm_result_destroy(res);
  }
  *med = median(t, (size_t)reps);
  rc = 0;
  goto done;
fail:
  fprintf(stderr, "bench: %s, arm '%s': %s\n", syn_scenario_path(s),
          syn_scenario_arm_name(s, arm), err.message);
done:
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  return rc;
}

static long long result_count(const syn_result *r, const char *key) {
  for (size_t i = 0; i < syn_result_attr_count(r); i++) {
    const syn_attr *a = syn_result_attr(r, i);
    if (strcmp(a->key, key) == 0 && a->type == SYN_ATTR_INT) return a->i;
  }
  return -1;
}

/* The scenario's common `use` lines (before the first arm), when that is all
 * it sets: then the baseline can be rebuilt here and timed on its own. */
static int common_presets(const char *text, char names[][64], size_t max, size_t *count) {
  *count = 0;
  for (const char *line = text; line != NULL && *line; line = strchr(line, '\n')) {
    if (*line == '\n') line++;
    char word[16], name[64];
    if (sscanf(line, "%15s %63s", word, name) != 2) continue;
    if (strcmp(word, "arm") == 0) break;
    if (strcmp(word, "set") == 0) return -1;
    if (strcmp(word, "use") == 0 && line[0] == 'u') {
      if (*count == max) return -1;
      snprintf(names[(*count)++], 64, "%s", name);
    }
  }
  /* Settings inside arms would make the baselines differ. */
  const char *arm = strstr(text, "\narm ");
  if (arm != NULL && (strstr(arm, "\n  use ") != NULL || strstr(arm, "\n  set ") != NULL))
    return -1;
  return 0;
}

/* Median time of the baseline's syn_steady_state with the scenario's presets. */
static int time_baseline(const syn_scenario *s, double *med, const char **method) {
  char names[16][64];
  size_t npresets;
  double t[KNEE_REPS];
  syn_instance *inst = NULL;
  syn_ode ode;
  syn_error err;
  int rc = -1;
  if (common_presets(syn_scenario_text(s), names, 16, &npresets) != 0) return 1;
  syn_status st = syn_instance_create(syn_scenario_model(s), &inst, &err);
  for (size_t i = 0; i < npresets && st == SYN_OK; i++)
    st = syn_instance_use_preset(inst, names[i], &err);
  if (st == SYN_OK) st = syn_instance_prepare(inst, &err);
  if (st != SYN_OK) goto done;
  syn_instance_ode(inst, &ode);
  double *y = calloc(ode.n, sizeof *y);
  if (y == NULL) goto done;
  for (int r = 0; r < KNEE_REPS && st == SYN_OK; r++) {
    syn_steady_opts so;
    syn_steady_info si;
    double t_start, t_end, every;
    syn_steady_opts_default(&so);
    syn_solver_opts_default(&so.solver);
    syn_scenario_grid(s, &t_start, &t_end, &every);
    syn_instance_initial(inst, y);
    double t0 = now_seconds();
    st = syn_steady_state(&ode, t_start, y, &so, &si, &err);
    t[r] = now_seconds() - t0;
    *method = si.method;
  }
  free(y);
  if (st == SYN_OK) {
    *med = median(t, KNEE_REPS);
    rc = 0;
  }
done:
  if (rc != 0 && st != SYN_OK) fprintf(stderr, "bench: baseline: %s\n", err.message);
  syn_instance_destroy(inst);
  return rc;
}

static int bench_knee(void) {
  syn_scenario *s = NULL;
  syn_error err;
  int rc = -1;
  double base = 0.0;
  const char *method = "?";
  if (syn_scenario_load(KNEE_SCENARIO, &s, &err) != SYN_OK) {
    fprintf(stderr, "bench: %s: %s\n", KNEE_SCENARIO, err.message);
    return -1;
  }
  int have_base = time_baseline(s, &base, &method);
  if (have_base < 0) goto done;
  printf("issue 4: knee OA scenario %s (%zu states, baseline %s), median of %d runs per arm\n",
         KNEE_SCENARIO, syn_model_count(syn_scenario_model(s), SYN_SYM_STATE),
         syn_scenario_baseline(s), KNEE_REPS);
  if (have_base == 0)
    printf("  steady-state baseline alone (method %s; syn_steady_state, i.e. KINSOL and the "
           "integration that confirms its root): %.3f ms, once per parameter set: the workspace "
           "keeps baselines it has found, so the arms below (same parameters) reuse it\n",
           method, 1e3 * base);
  for (size_t a = 0; a < syn_scenario_arm_count(s); a++) {
    double med;
    syn_arm_result *res = NULL;
    if (time_arm(s, a, NULL, KNEE_REPS, &med, &res) != 0) goto done;
    printf("  arm %-18s total %.3f ms", syn_scenario_arm_name(s, a), 1e3 * med);
    if (have_base == 0) printf(" (baseline reused), first arm of a parameter set +%.3f ms",
                               1e3 * base);
    printf(" (nsteps %lld, nfevals %lld, njevals %lld) [target: well under 10 ms]\n",
           result_count(res->series, "cvode_nsteps"), result_count(res->series, "cvode_nfevals"),
           result_count(res->series, "cvode_njevals"));
    syn_arm_result_destroy(res);
  }
  rc = 0;
done:
  syn_scenario_destroy(s);
  return rc;
}

/* Largest relative difference between two results' last rows. */
static double end_difference(const syn_result *a, const syn_result *b) {
  double worst = 0.0;
  size_t last = syn_result_ntimes(a) - 1;
  for (size_t k = 0; k < syn_result_nseries(a); k++) {
    double x = syn_result_series(a, k)[last], y = syn_result_series(b, k)[last];
    worst = fmax(worst, fabs(x - y) / fmax(fmax(fabs(x), fabs(y)), 1e-6));
  }
  return worst;
}

static int bench_ra(const char *dir) {
  char path[1024];
  syn_scenario *s = NULL;
  syn_error err;
  syn_arm_result *res[2] = {NULL, NULL};
  const syn_linsol which[2] = {SYN_LINSOL_DENSE, SYN_LINSOL_KLU};
  double med[2];
  int rc = -1;
  snprintf(path, sizeof path, "%s/ra_year.scenario", dir);
  double t0 = now_seconds();
  if (syn_scenario_load(path, &s, &err) != SYN_OK) {
    fprintf(stderr, "bench: %s: %s\n", path, err.message);
    return -1;
  }
  double t_load = now_seconds() - t0;
  printf("issue 4: RA 1-year arm %s (%zu states), median of %d runs\n", path,
         syn_model_count(syn_scenario_model(s), SYN_SYM_STATE), RA_REPS);
  printf("  scenario load (parse, load + compile the model, resolve): %.3f ms (one run)\n",
         1e3 * t_load);
  for (int k = 0; k < 2; k++) {
    syn_solver_opts o;
    syn_solver_opts_default(&o);
    o.linsol = which[k];
    if (time_arm(s, 0, &o, RA_REPS, &med[k], &res[k]) != 0) goto done;
    const syn_result *r = res[k]->series;
    printf("  %-5s %.3f ms (nsteps %lld, nfevals %lld, njevals %lld, nlinsetups %lld) "
           "[target: under 100 ms]\n",
           syn_linsol_name(which[k]), 1e3 * med[k], result_count(r, "cvode_nsteps"),
           result_count(r, "cvode_nfevals"), result_count(r, "cvode_njevals"),
           result_count(r, "cvode_nlinsetups"));
  }
  printf("  dense / KLU: %.2f; largest relative difference at the end: %.2g\n", med[0] / med[1],
         end_difference(res[0]->series, res[1]->series));
  rc = 0;
done:
  syn_arm_result_destroy(res[0]);
  syn_arm_result_destroy(res[1]);
  syn_scenario_destroy(s);
  return rc;
}

static int time_ra_startup(void) {
  double t[LOAD_REPS];
  for (int r = 0; r < LOAD_REPS; r++) {
    syn_model *m = NULL;
    syn_error err;
    double t0 = now_seconds();
    syn_status st = syn_model_load(RA_MODEL, &m, &err);
    t[r] = now_seconds() - t0;
    syn_model_destroy(m);
    if (st != SYN_OK) {
      fprintf(stderr, "bench: %s: %s\n", RA_MODEL, err.message);
      return -1;
    }
  }
  printf("  start-up: load + compile %s: median %.3f ms over %d loads\n", RA_MODEL,
         1e3 * median(t, LOAD_REPS), LOAD_REPS);
  return 0;
}

static int bench_issue4(const char *dir) {
  if (bench_knee() != 0 || bench_ra(dir) != 0 || time_ra_startup() != 0) return -1;
  return 0;
}

/* One arm: run k (CPU seconds into *run) and evaluation k (into *ev) with
 * k_fast = base * (1 + k / 1000); 1 when the metrics differ in a bit. */
static int time_problem_rep(const syn_scenario *s, size_t arm, syn_problem_ws *ws, double theta,
                            double *run, double *ev, int *same) {
  syn_error err;
  syn_arm_result *res = NULL;
  syn_problem_result r;
  syn_override ov = {"k_fast", theta};
  double t0 = cpu_seconds();
  if (syn_scenario_run_arm(s, arm, NULL, &ov, 1, &res, &err) != SYN_OK) goto fail;
  double t1 = cpu_seconds();
  if (syn_problem_eval(ws, arm, &theta, NULL, &r, &err) != SYN_OK) goto fail;
  double t2 = cpu_seconds();
  *run = t1 - t0;
  *ev = t2 - t1;
  for (size_t m = 0; m < syn_result_metric_count(res->series); m++) {
    double v;
    syn_result_metric(res->series, m, NULL, NULL, NULL, &v);
    *same &= memcmp(&v, &r.metrics[m], sizeof v) == 0;
  }
  syn_arm_result_destroy(res);
  return 0;
fail:
  fprintf(stderr, "bench: problem: %s\n", err.message);
  syn_arm_result_destroy(res);
  return -1;
}

static int bench_problem(void) {
  syn_scenario *s = NULL;
  syn_problem *p = NULL;
  syn_problem_ws *ws = NULL;
  syn_error err;
  const char *name = "k_fast";
  int rc = -1;
  if (syn_scenario_load(KNEE_SCENARIO, &s, &err) != SYN_OK ||
      syn_problem_create(s, NULL, 0, &name, 1, NULL, &p, &err) != SYN_OK ||
      syn_problem_ws_create(p, &ws, &err) != SYN_OK) {
    fprintf(stderr, "bench: %s: %s\n", KNEE_SCENARIO, err.message);
    goto done;
  }
  size_t index;
  const syn_model *m = syn_scenario_model(s);
  if (!syn_model_find(m, name, NULL, &index)) goto done;
  double base = syn_model_symbol(m, SYN_SYM_PARAM, index)->value;
  printf("issue 14: compiled problem on %s, k_fast free (new value per run, so each run finds "
         "its steady baseline), median CPU time of %d runs per arm\n",
         KNEE_SCENARIO, PROBLEM_REPS);
  for (size_t a = 0; a < syn_scenario_arm_count(s); a++) {
    double run[PROBLEM_REPS], ev[PROBLEM_REPS];
    int same = 1;
    for (int k = 0; k < PROBLEM_REPS; k++)
      if (time_problem_rep(s, a, ws, base * (1 + 1e-3 * (a * PROBLEM_REPS + k + 1)), &run[k],
                           &ev[k], &same) != 0)
        goto done;
    double mr = median(run, PROBLEM_REPS), me = median(ev, PROBLEM_REPS);
    printf("  arm %-18s run (syn_scenario_run_arm) %.3f ms, problem evaluation %.3f ms: "
           "ratio %.3f [target <= 1]; metrics %s\n",
           syn_scenario_arm_name(s, a), 1e3 * mr, 1e3 * me, me / mr,
           same ? "bit for bit the same" : "DIFFER");
  }
  rc = 0;
done:
  syn_problem_ws_destroy(ws);
  syn_problem_destroy(p);
  syn_scenario_destroy(s);
  return rc;
}

/* Issue 14, sensitivities: the knee's IA arm with n = 10 free parameters,
 * the series on the grid (no metrics), as a plain evaluation and with all
 * ten sensitivities, for each corrector (staggered, simultaneous) with the
 * sensitivities' error control on and off; median CPU time of SENS_REPS,
 * alternated, and the ratio against the target (1 + n) / 2; then the
 * default with every metric and its gradient (at, auc and change: taken in
 * the same run as the series' sensitivities). Two blocks:
 *   - cached baseline: theta fixed, so the steady baseline is solved once
 *     (before timing) and both sides time the integration;
 *   - new parameters each time: every evaluation scales theta[0] by
 *     1 + 1e-6 k (k counts the evaluations, both sides alike), as in a fit or
 *     a sweep, so the plain side includes the baseline's solve and the
 *     sensitivity side the solve plus its implicit-function derivative. */
enum { SENS_REPS = 5 };
static const char *const SENS_NAMES[10] = {"k_TNF", "k_IL1", "k_IL6",   "k_act", "k_rest",
                                           "a_cyt", "s_TNF", "s_IL6_0", "K_IL10", "k_MMP"};

typedef struct sens_bench {
  syn_problem_ws *ws;
  size_t arm;
  double theta[10], theta0; /* theta0: theta[0]'s value in the model */
  int fresh;                /* 1: new parameters at every evaluation */
  long evals;               /* the k of theta[0] * (1 + 1e-6 k) */
} sens_bench;

static int time_sens(sens_bench *b, const syn_problem_want *w, double *cpu, syn_sens_stats *st,
                     syn_solver_stats *ss) {
  syn_problem_result r;
  syn_error err;
  if (b->fresh) b->theta[0] = b->theta0 * (1.0 + 1e-6 * (double)++b->evals);
  double t0 = cpu_seconds();
  if (syn_problem_eval(b->ws, b->arm, b->theta, w, &r, &err) != SYN_OK) {
    fprintf(stderr, "bench: %s\n", err.message);
    return -1;
  }
  *cpu = cpu_seconds() - t0;
  if (st) *st = r.sens_stats;
  if (ss) *ss = r.stats;
  return 0;
}

/* One block: every corrector and error control, then the metrics. */
static int sens_block(sens_bench *b, size_t nmetrics) {
  static const unsigned char none[256] = {0};
  syn_problem_want plain = {1, none, NULL, 0, NULL, NULL, 0, NULL, NULL};
  for (int sim = 0; sim < 2; sim++)
    for (int ec = 1; ec >= 0; ec--) {
      syn_sens_opts o = {sim, ec};
      syn_problem_want w = {1, none, NULL, 0, NULL, NULL, SYN_PROBLEM_SENS_ALL, NULL, &o};
      double tp[SENS_REPS], ts[SENS_REPS];
      syn_sens_stats st;
      syn_solver_stats pst, sst;
      for (int k = 0; k < SENS_REPS; k++)
        if (time_sens(b, &plain, &tp[k], NULL, &pst) != 0 ||
            time_sens(b, &w, &ts[k], &st, &sst) != 0)
          return -1;
      double mp = median(tp, SENS_REPS), ms = median(ts, SENS_REPS);
      printf("  %-12s error control %-3s plain %.2f ms (%ld steps), with 10 sensitivities "
             "%.2f ms (%ld steps, %ld fS calls, %ld sensitivity Newton iterations; states %ld): ratio %.2f [target <= 5.5]\n",
             sim ? "simultaneous" : "staggered", ec ? "on" : "off", 1e3 * mp, pst.nsteps,
             1e3 * ms, sst.nsteps, st.nfsevals, st.nsniters, sst.nniters, ms / mp);
    }
  /* the metrics too: their gradients (at, auc, change) come from the same run */
  syn_problem_want pm = {1, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL};
  syn_problem_want wm = {1, NULL, NULL, 0, NULL, NULL, SYN_PROBLEM_SENS_ALL, NULL, NULL};
  double tp[SENS_REPS], ts[SENS_REPS];
  for (int k = 0; k < SENS_REPS; k++)
    if (time_sens(b, &pm, &tp[k], NULL, NULL) != 0 || time_sens(b, &wm, &ts[k], NULL, NULL) != 0)
      return -1;
  double mp = median(tp, SENS_REPS), ms = median(ts, SENS_REPS);
  printf("  default (staggered, error control on) with the %zu metrics and their gradients: "
         "plain %.2f ms, with 10 sensitivities %.2f ms: ratio %.2f\n",
         nmetrics, 1e3 * mp, 1e3 * ms, ms / mp);
  return 0;
}

static int bench_sensitivities(void) {
  syn_scenario *s = NULL;
  syn_problem *p = NULL;
  sens_bench b = {NULL, 1 /* IA 50M UC-MSC */, {0}, 0.0, 0, 0};
  syn_error err;
  int rc = -1;
  if (syn_scenario_load(KNEE_SCENARIO, &s, &err) != SYN_OK ||
      syn_problem_create(s, NULL, 0, SENS_NAMES, 10, NULL, &p, &err) != SYN_OK ||
      syn_problem_ws_create(p, &b.ws, &err) != SYN_OK) {
    fprintf(stderr, "bench: %s: %s\n", KNEE_SCENARIO, err.message);
    goto done;
  }
  const syn_model *m = syn_scenario_model(s);
  for (size_t i = 0; i < 10; i++) {
    size_t index;
    if (!syn_model_find(m, SENS_NAMES[i], NULL, &index)) goto done;
    b.theta[i] = syn_model_symbol(m, SYN_SYM_PARAM, index)->value;
  }
  b.theta0 = b.theta[0];
  static const unsigned char none[256] = {0};
  syn_problem_want plain = {1, none, NULL, 0, NULL, NULL, 0, NULL, NULL};
  printf("issue 14: forward sensitivities on %s arm '%s', n = 10 free parameters, the series "
         "on the grid; median CPU time of %d runs, alternated with the plain evaluation\n",
         KNEE_SCENARIO, syn_scenario_arm_name(s, b.arm), SENS_REPS);
  double warm;
  if (time_sens(&b, &plain, &warm, NULL, NULL) != 0) goto done; /* the baseline */
  printf(" cached baseline (the same theta every time: the steady baseline solved once, "
         "before timing):\n");
  if (sens_block(&b, syn_scenario_metric_count(s)) != 0) goto done;
  printf(" new parameters each time (theta[0] * (1 + 1e-6 k), k counting the evaluations: "
         "the plain side solves the baseline, the sensitivity side solves it and its "
         "derivative):\n");
  b.fresh = 1;
  if (sens_block(&b, syn_scenario_metric_count(s)) != 0) goto done;
  rc = 0;
done:
  syn_problem_ws_destroy(b.ws);
  syn_problem_destroy(p);
  syn_scenario_destroy(s);
  return rc;
}

/* --- main ------------------------------------------------------------------------------ */

static int load_model_ode(const char *dir, syn_model **m, syn_instance **inst, syn_ode *ode,
                          int *perm, double *y0) {
  char path[1024];
  syn_error err;
  snprintf(path, sizeof path, "%s/stiff20.model", dir);
  if (syn_model_load(path, m, &err) != SYN_OK || syn_instance_create(*m, inst, &err) != SYN_OK ||
      syn_instance_prepare(*inst, &err) != SYN_OK) {
    fprintf(stderr, "bench: %s: %s\n", path, err.message);
    return -1;
  }
  if (syn_model_count(*m, SYN_SYM_STATE) != NS) {
    fprintf(stderr, "bench: %s has %zu states, expected %d\n", path,
            syn_model_count(*m, SYN_SYM_STATE), NS);
    return -1;
  }
  for (int i = 0; i < NS; i++) { /* perm[hand index] = model index */
    size_t idx;
    syn_symkind kind;
    if (!syn_model_find(*m, stiff20_names[i], &kind, &idx) || kind != SYN_SYM_STATE) {
      fprintf(stderr, "bench: state %s missing from the model\n", stiff20_names[i]);
      return -1;
    }
    perm[i] = (int)idx;
  }
  syn_instance_ode(*inst, ode);
  syn_instance_initial(*inst, y0);
  return 0;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "tests/bench";
  static traj hand_tr, model_tr;
  syn_model *m = NULL;
  syn_instance *inst = NULL;
  syn_ode mode, hode;
  syn_solver_stats hst, mst;
  double grid[NPTS], hy0[NS], my0[NS];
  int perm[NS], rc = 1;
  int only_issue4 = argc > 2 && strcmp(argv[2], "issue4") == 0;

  if (only_issue4) return bench_issue4(dir) == 0 ? 0 : 1;
  if (argc > 2 && strcmp(argv[2], "issue14") == 0)
    return bench_problem() == 0 && bench_sensitivities() == 0 ? 0 : 1;
  if (argc > 2 && strcmp(argv[2], "issue14-sens") == 0) return bench_sensitivities() == 0 ? 0 : 1;

  for (int k = 0; k < NPTS; k++) grid[k] = (double)k;
  hand_ode(&hode);
  hand_initial(hy0);
  if (load_model_ode(dir, &m, &inst, &mode, perm, my0) != 0) goto done;
  for (int i = 0; i < NS; i++)
    if (my0[perm[i]] != hy0[i]) {
      fprintf(stderr, "bench: initial %s differs: %g vs %g\n", stiff20_names[i], my0[perm[i]], hy0[i]);
      goto done;
    }

  /* Same trajectory? */
  if (solve(&hode, hy0, grid, &hand_tr, NULL, CHECK_RTOL, CHECK_ATOL) != 0 ||
      solve(&mode, my0, grid, &model_tr, NULL, CHECK_RTOL, CHECK_ATOL) != 0)
    goto done;
  double worst = 0.0;
  for (int k = 0; k < NPTS; k++)
    for (int i = 0; i < NS; i++) {
      double a = hand_tr.y[k][i], b = model_tr.y[k][perm[i]];
      worst = fmax(worst, fabs(a - b) / fmax(fabs(a), 1e-6));
    }
  if (solve(&hode, hy0, grid, &hand_tr, &hst, TIMED_RTOL, TIMED_ATOL) != 0 ||
      solve(&mode, my0, grid, &model_tr, &mst, TIMED_RTOL, TIMED_ATOL) != 0)
    goto done;
  printf("stiff20 (%d states, %d outputs, rtol 1e-6, atol 1e-9, dense, exact Jacobian)\n", NS,
         NPTS);
  printf("  hand-written: nsteps %ld nfevals %ld njevals %ld\n", hst.nsteps, hst.nfevals,
         hst.njevals);
  printf("  synovia:      nsteps %ld nfevals %ld njevals %ld\n", mst.nsteps, mst.nfevals,
         mst.njevals);
  printf("  max relative difference of the trajectories at rtol %g: %.3g\n", CHECK_RTOL, worst);
  if (!(worst < 1e-4)) {
    fprintf(stderr, "bench: FAIL: the two trajectories differ (max rel. diff %.3g)\n", worst);
    goto done;
  }

  /* Timing: alternate the two so drifts in machine load hit both alike. */
  static double th[REPS], tm[REPS];
  for (int r = 0; r < REPS; r++) {
    double t0 = now_seconds();
    if (solve(&hode, hy0, grid, &hand_tr, NULL, TIMED_RTOL, TIMED_ATOL) != 0) goto done;
    double t1 = now_seconds();
    if (solve(&mode, my0, grid, &model_tr, NULL, TIMED_RTOL, TIMED_ATOL) != 0) goto done;
    double t2 = now_seconds();
    th[r] = t1 - t0;
    tm[r] = t2 - t1;
  }
  double mh = median(th, REPS), mm = median(tm, REPS);
  printf("  hand-written C: median %.3f ms per solve (%d solves)\n", 1e3 * mh, REPS);
  printf("  synovia:        median %.3f ms per solve (%d solves)\n", 1e3 * mm, REPS);
  printf("  ratio synovia / hand-written: %.2f (target <= 1.3)\n", mm / mh);
  if (time_startup(dir) != 0) goto done;
  if (bench_issue4(dir) != 0 || bench_problem() != 0 || bench_sensitivities() != 0) goto done;
  rc = 0;
done:
  syn_instance_destroy(inst);
  syn_model_destroy(m);
  return rc;
}
