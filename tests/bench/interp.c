/* synovia benchmark: the bytecode interpreter against hand-written C, on the
 * stiff 24-state cytokine cascade (tests/bench/stiff20.model) and on HIRES
 * (the 8-state photomorphogenesis test problem of Hairer & Wanner, written
 * below as model text).
 *
 *   build/release/bench-interp tests/bench                 everything
 *   build/release/bench-interp tests/bench micro NAME N    only N rhs and N
 *                                Jacobian calls of each code (for callgrind)
 *   build/release/bench-interp tests/bench solves NAME N   only N whole solves
 *                                of the model, as timed (for a profiler)
 *   build/release/bench-interp tests/bench dump NAME       the model's trajectory
 *                                as timed, in hexadecimal (to compare two
 *                                builds bit for bit)
 *
 * For each system:
 *   - the two codes must give the same right-hand side and Jacobian at every
 *     point of a trajectory (largest relative difference printed) and the
 *     same trajectory at tight tolerances;
 *   - whole solves (BDF, dense LU, exact Jacobian, rtol 1e-6, atol 1e-9),
 *     alternating the two codes, median CPU time (user + sys of this
 *     process, not wall time: the machine may be shared) and the ratio
 *     interpreter / hand-written (design target <= 1.3);
 *   - the right-hand side and the Jacobian alone, called MICRO_CALLS times
 *     each over the trajectory's points outside the solver: CPU time per call
 *     and the ratio.
 * tests/bench/interp.sh adds callgrind instruction counts per call. Timings
 * are printed, never asserted. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "synovia/model.h"
#include "synovia/solver.h"

#include "stiff20.h"
#include "timing.h"

enum { NPTS = 201, REPS = 100, MICRO_CALLS = 20000, MAXN = 24 };

/* --- stiff20, by hand (the same system as tests/bench/bench.c) ------------------------ */

enum { S_N = STIFF20_N };

static void stiff_initial(double *y0) {
  memset(y0, 0, S_N * sizeof *y0);
  y0[IS] = 10.0;
  for (int i = 1; i <= 6; i++) y0[IR(i)] = 2.0;
}

/* --- HIRES, by hand and as model text -------------------------------------------------- */

enum { H_N = 8 };
static const char *const hires_names[H_N] = {"y1", "y2", "y3", "y4", "y5", "y6", "y7", "y8"};

static int hires_hand_rhs(double t, const double *y, double *f, void *ctx) {
  (void)t, (void)ctx;
  f[0] = -1.71 * y[0] + 0.43 * y[1] + 8.32 * y[2] + 0.0007;
  f[1] = 1.71 * y[0] - 8.75 * y[1];
  f[2] = -10.03 * y[2] + 0.43 * y[3] + 0.035 * y[4];
  f[3] = 8.32 * y[1] + 1.71 * y[2] - 1.12 * y[3];
  f[4] = -1.745 * y[4] + 0.43 * y[5] + 0.43 * y[6];
  f[5] = -280.0 * y[5] * y[7] + 0.69 * y[3] + 1.71 * y[4] - 0.43 * y[5] + 0.69 * y[6];
  f[6] = 280.0 * y[5] * y[7] - 1.81 * y[6];
  f[7] = -f[6];
  return 0;
}

#define J(i, j) jv[(size_t)(j) * H_N + (size_t)(i)]
static int hires_hand_jac(double t, const double *y, double *jv, void *ctx) {
  (void)t, (void)ctx;
  memset(jv, 0, H_N * H_N * sizeof *jv);
  J(0, 0) = -1.71, J(0, 1) = 0.43, J(0, 2) = 8.32;
  J(1, 0) = 1.71, J(1, 1) = -8.75;
  J(2, 2) = -10.03, J(2, 3) = 0.43, J(2, 4) = 0.035;
  J(3, 1) = 8.32, J(3, 2) = 1.71, J(3, 3) = -1.12;
  J(4, 4) = -1.745, J(4, 5) = 0.43, J(4, 6) = 0.43;
  J(5, 3) = 0.69, J(5, 4) = 1.71, J(5, 5) = -0.43 - 280.0 * y[7], J(5, 6) = 0.69;
  J(5, 7) = -280.0 * y[5];
  J(6, 5) = 280.0 * y[7], J(6, 6) = -1.81, J(6, 7) = 280.0 * y[5];
  J(7, 5) = -280.0 * y[7], J(7, 6) = 1.81, J(7, 7) = -280.0 * y[5];
  return 0;
}
#undef J

static void hires_initial(double *y0) {
  memset(y0, 0, H_N * sizeof *y0);
  y0[0] = 1.0;
  y0[7] = 0.0057;
}

static const char HIRES_MODEL[] =
    "model \"HIRES (Hairer & Wanner, photomorphogenesis)\"\n"
    "state y1 = 1\nstate y2 = 0\nstate y3 = 0\nstate y4 = 0\n"
    "state y5 = 0\nstate y6 = 0\nstate y7 = 0\nstate y8 = 0.0057\n"
    "d/dt y1 = -1.71 * y1 + 0.43 * y2 + 8.32 * y3 + 0.0007\n"
    "d/dt y2 = 1.71 * y1 - 8.75 * y2\n"
    "d/dt y3 = -10.03 * y3 + 0.43 * y4 + 0.035 * y5\n"
    "d/dt y4 = 8.32 * y2 + 1.71 * y3 - 1.12 * y4\n"
    "d/dt y5 = -1.745 * y5 + 0.43 * y6 + 0.43 * y7\n"
    "d/dt y6 = -280 * y6 * y8 + 0.69 * y4 + 1.71 * y5 - 0.43 * y6 + 0.69 * y7\n"
    "d/dt y7 = 280 * y6 * y8 - 1.81 * y7\n"
    "d/dt y8 = -280 * y6 * y8 + 1.81 * y7\n";

/* --- one system, two codes ------------------------------------------------------------ */

typedef struct sys {
  const char *name;
  size_t n;
  const char *const *names;
  double t_end;
  syn_ode hand, model;
  double hand_y0[MAXN], model_y0[MAXN];
  int perm[MAXN]; /* perm[hand index] = model index */
  int32_t colptr[MAXN + 1], rowind[MAXN * MAXN];
  syn_model *m;
  syn_instance *inst;
  double points[NPTS][MAXN]; /* hand order: a trajectory, for the micro-benchmark */
} sys;

typedef struct traj {
  size_t n, count;
  double y[NPTS][MAXN];
} traj;

static syn_status store(double t, const double *y, size_t n, void *ctx, syn_error *err) {
  (void)t, (void)err;
  traj *tr = ctx;
  if (tr->count < NPTS) memcpy(tr->y[tr->count], y, n * sizeof *y);
  tr->count++;
  return SYN_OK;
}

static int solve(const sys *s, int model, double rtol, double atol, traj *tr) {
  syn_solver_opts o;
  syn_solver_opts_default(&o);
  o.rtol = rtol;
  o.atol = atol;
  o.linsol = SYN_LINSOL_DENSE;
  double grid[NPTS];
  for (int k = 0; k < NPTS; k++) grid[k] = s->t_end * k / (NPTS - 1);
  syn_solver *sv = NULL;
  syn_error err;
  tr->count = 0;
  syn_status st = syn_solver_create(model ? &s->model : &s->hand, &o, 0.0,
                                    model ? s->model_y0 : s->hand_y0, &sv, &err);
  if (st == SYN_OK) st = syn_solver_integrate(sv, grid, NPTS, NULL, 0, NULL, NULL, store, tr, &err);
  syn_solver_destroy(sv);
  if (st != SYN_OK) fprintf(stderr, "bench-interp: %s: solve failed: %s\n", s->name, err.message);
  return st == SYN_OK ? 0 : -1;
}

static void dense_pattern(sys *s) {
  for (size_t j = 0; j <= s->n; j++) s->colptr[j] = (int32_t)(j * s->n);
  for (size_t k = 0; k < s->n * s->n; k++) s->rowind[k] = (int32_t)(k % s->n);
}

/* The model (from a file, or from text when path is NULL), its instance and
 * the permutation from the hand-written order. */
static int open_model(sys *s, const char *path, const char *text) {
  syn_error err;
  syn_status st = path ? syn_model_load(path, &s->m, &err)
                       : syn_model_load_text(s->name, text, strlen(text), &s->m, &err);
  if (st == SYN_OK) st = syn_instance_create(s->m, &s->inst, &err);
  if (st == SYN_OK) st = syn_instance_prepare(s->inst, &err);
  if (st != SYN_OK) {
    fprintf(stderr, "bench-interp: %s: %s\n", s->name, err.message);
    return -1;
  }
  if (syn_model_count(s->m, SYN_SYM_STATE) != s->n) {
    fprintf(stderr, "bench-interp: %s: %zu states, expected %zu\n", s->name,
            syn_model_count(s->m, SYN_SYM_STATE), s->n);
    return -1;
  }
  for (size_t i = 0; i < s->n; i++) {
    size_t idx;
    syn_symkind kind;
    if (!syn_model_find(s->m, s->names[i], &kind, &idx) || kind != SYN_SYM_STATE) {
      fprintf(stderr, "bench-interp: %s: state %s missing\n", s->name, s->names[i]);
      return -1;
    }
    s->perm[i] = (int)idx;
  }
  syn_instance_ode(s->inst, &s->model);
  syn_instance_initial(s->inst, s->model_y0);
  for (size_t i = 0; i < s->n; i++)
    if (s->model_y0[s->perm[i]] != s->hand_y0[i]) {
      fprintf(stderr, "bench-interp: %s: initial %s differs\n", s->name, s->names[i]);
      return -1;
    }
  return 0;
}

static int setup_stiff(sys *s, const char *dir) {
  char path[1024];
  snprintf(path, sizeof path, "%s/stiff20.model", dir);
  s->name = "stiff20";
  s->n = S_N;
  s->names = stiff20_names;
  s->t_end = 200.0;
  stiff_initial(s->hand_y0);
  dense_pattern(s);
  s->hand = (syn_ode){.n = S_N, .rhs = stiff20_rhs, .jac = stiff20_jac, .nnz = S_N * S_N,
                      .colptr = s->colptr, .rowind = s->rowind, .names = stiff20_names};
  return open_model(s, path, NULL);
}

static int setup_hires(sys *s) {
  s->name = "HIRES";
  s->n = H_N;
  s->names = hires_names;
  s->t_end = 321.8122;
  hires_initial(s->hand_y0);
  dense_pattern(s);
  s->hand = (syn_ode){.n = H_N, .rhs = hires_hand_rhs, .jac = hires_hand_jac, .nnz = H_N * H_N,
                      .colptr = s->colptr, .rowind = s->rowind, .names = hires_names};
  return open_model(s, NULL, HIRES_MODEL);
}

/* A trajectory of the model (at the timed tolerances), kept in hand order
 * as the points of the micro-benchmark. */
static int sample_points(sys *s) {
  static traj tr;
  if (solve(s, 1, 1e-6, 1e-9, &tr) != 0) return -1;
  for (int k = 0; k < NPTS; k++)
    for (size_t i = 0; i < s->n; i++) s->points[k][i] = tr.y[k][s->perm[i]];
  return 0;
}

static void to_model_order(const sys *s, const double *hand_y, double *model_y) {
  for (size_t i = 0; i < s->n; i++) model_y[s->perm[i]] = hand_y[i];
}

/* Largest difference between the two codes' right-hand sides and Jacobians
 * over the trajectory's points, each entry relative to its largest magnitude
 * over the points (a plain relative difference would measure cancellation
 * in the entries that pass through zero, not the codes). */
static void compare_functions(const sys *s, double *rhs_diff, double *jac_diff) {
  size_t n = s->n, nn = n * n;
  double ym[MAXN], jh[MAXN * MAXN];
  static double fh[NPTS][MAXN], fm[NPTS][MAXN], jhs[NPTS][MAXN * MAXN], jms[NPTS][MAXN * MAXN];
  double *jm = malloc((s->model.nnz + 1) * sizeof *jm);
  *rhs_diff = *jac_diff = 0.0;
  if (jm == NULL) {
    *rhs_diff = *jac_diff = NAN;
    return;
  }
  for (int k = 0; k < NPTS; k++) {
    double fmodel[MAXN];
    to_model_order(s, s->points[k], ym);
    s->hand.rhs(0.0, s->points[k], fh[k], NULL);
    s->model.rhs(0.0, ym, fmodel, s->model.ctx);
    for (size_t i = 0; i < n; i++) fm[k][i] = fmodel[s->perm[i]];
    s->hand.jac(0.0, s->points[k], jh, NULL);
    s->model.jac(0.0, ym, jm, s->model.ctx);
    memcpy(jhs[k], jh, nn * sizeof *jh);
    for (size_t j = 0; j < n; j++) /* model column perm[j], row perm[i] */
      for (size_t i = 0; i < n; i++) {
        int32_t mj = s->perm[j], mi = s->perm[i];
        jms[k][j * n + i] = 0.0;
        for (int32_t e = s->model.colptr[mj]; e < s->model.colptr[mj + 1]; e++)
          if (s->model.rowind[e] == mi) jms[k][j * n + i] = jm[e];
      }
  }
  for (size_t i = 0; i < nn; i++) {
    double scale_f = 0.0, scale_j = 0.0;
    for (int k = 0; k < NPTS; k++) {
      if (i < n) scale_f = fmax(scale_f, fabs(fh[k][i]));
      scale_j = fmax(scale_j, fabs(jhs[k][i]));
    }
    for (int k = 0; k < NPTS; k++) {
      if (i < n && fh[k][i] != fm[k][i]) *rhs_diff = fmax(*rhs_diff, fabs(fh[k][i] - fm[k][i]) / scale_f);
      if (jhs[k][i] != jms[k][i]) *jac_diff = fmax(*jac_diff, fabs(jhs[k][i] - jms[k][i]) / scale_j);
    }
  }
  free(jm);
}

static int check_trajectories(const sys *s, double *worst) {
  static traj th, tm;
  if (solve(s, 0, 1e-10, 1e-14, &th) != 0 || solve(s, 1, 1e-10, 1e-14, &tm) != 0) return -1;
  *worst = 0.0;
  for (int k = 0; k < NPTS; k++)
    for (size_t i = 0; i < s->n; i++) {
      double a = th.y[k][i], b = tm.y[k][s->perm[i]];
      *worst = fmax(*worst, fabs(a - b) / fmax(fabs(a), 1e-6));
    }
  return 0;
}

/* Median CPU time per solve of each code, alternating them so that drifts
 * in the machine's load hit both alike. */
static int time_solves(const sys *s, double *hand, double *model) {
  static double th[REPS], tm[REPS];
  static traj tr;
  for (int r = 0; r < REPS; r++) {
    double t0 = cpu_seconds();
    if (solve(s, 0, 1e-6, 1e-9, &tr) != 0) return -1;
    double t1 = cpu_seconds();
    if (solve(s, 1, 1e-6, 1e-9, &tr) != 0) return -1;
    double t2 = cpu_seconds();
    th[r] = t1 - t0;
    tm[r] = t2 - t1;
  }
  *hand = median(th, REPS);
  *model = median(tm, REPS);
  return 0;
}

/* calls evaluations of ode's rhs (jac = 0) or Jacobian over the points
 * (given in the ode's own state order); returns the sum of one entry so the
 * work cannot be optimised away. */
static __attribute__((noinline)) double micro_run(const syn_ode *ode, double (*pts)[MAXN], int calls, int jac,
                        double *buf) {
  double sink = 0.0;
  for (int c = 0; c < calls; c++) {
    const double *y = pts[c % NPTS];
    if (jac)
      ode->jac(0.0, y, buf, ode->ctx);
    else
      ode->rhs(0.0, y, buf, ode->ctx);
    sink += buf[0];
  }
  return sink;
}

typedef struct micro_times {
  double hand_rhs, model_rhs, hand_jac, model_jac; /* seconds per call */
} micro_times;

static int micro(sys *s, int calls, micro_times *mt) {
  static double model_pts[NPTS][MAXN];
  size_t size = s->model.nnz > s->n * s->n ? s->model.nnz : s->n * s->n;
  double *buf = malloc((size + 1) * sizeof *buf), sink = 0.0;
  if (buf == NULL) return -1;
  for (int k = 0; k < NPTS; k++) to_model_order(s, s->points[k], model_pts[k]);
  double *slot[4] = {&mt->hand_rhs, &mt->model_rhs, &mt->hand_jac, &mt->model_jac};
  for (int w = 0; w < 4; w++) {
    const syn_ode *ode = w % 2 ? &s->model : &s->hand;
    double t0 = cpu_seconds();
    sink += micro_run(ode, w % 2 ? model_pts : s->points, calls, w / 2, buf);
    *slot[w] = (cpu_seconds() - t0) / calls;
  }
  free(buf);
  return isnan(sink) ? 1 : 0; /* a NaN would mean a broken code; keeps sink alive */
}

static int report(sys *s) {
  double rhs_diff, jac_diff, worst, th, tm;
  micro_times mt;
  syn_model_stats st;
  if (sample_points(s) != 0 || check_trajectories(s, &worst) != 0) return -1;
  compare_functions(s, &rhs_diff, &jac_diff);
  syn_model_get_stats(s->m, &st);
  printf("interpreter vs hand-written C: %s (%zu states; bytecode: rhs %zu, Jacobian %zu "
         "instructions, %zu nonzeros)\n",
         s->name, s->n, st.rhs_instructions, st.jac_instructions, s->model.nnz);
  printf("  largest difference (relative to each entry's largest) over %d trajectory points: rhs %.3g, Jacobian %.3g; "
         "trajectories at rtol 1e-10: %.3g\n",
         NPTS, rhs_diff, jac_diff, worst);
  if (!(rhs_diff < 1e-12 && jac_diff < 1e-12 && worst < 1e-4)) {
    fflush(stdout);
    fprintf(stderr, "bench-interp: FAIL: %s: the two codes differ\n", s->name);
    return -1;
  }
  if (time_solves(s, &th, &tm) != 0 || micro(s, MICRO_CALLS, &mt) != 0) return -1;
  printf("  whole solve (dense, rtol 1e-6, atol 1e-9), median CPU time of %d: hand %.3f ms, "
         "interpreter %.3f ms, ratio %.2f (target <= 1.3)\n",
         REPS, 1e3 * th, 1e3 * tm, tm / th);
  printf("  rhs alone, CPU per call over %d calls: hand %.0f ns, interpreter %.0f ns, ratio %.2f\n",
         MICRO_CALLS, 1e9 * mt.hand_rhs, 1e9 * mt.model_rhs, mt.model_rhs / mt.hand_rhs);
  printf("  Jacobian alone, CPU per call:          hand %.0f ns, interpreter %.0f ns, ratio %.2f\n",
         1e9 * mt.hand_jac, 1e9 * mt.model_jac, mt.model_jac / mt.hand_jac);
  return 0;
}

static void close_sys(sys *s) {
  syn_instance_destroy(s->inst);
  syn_model_destroy(s->m);
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "tests/bench";
  static sys systems[2];
  int rc = 1;
  if (setup_stiff(&systems[0], dir) != 0 || setup_hires(&systems[1]) != 0) goto done;
  if (argc > 4 && strcmp(argv[2], "micro") == 0) { /* for callgrind: no timing */
    micro_times mt;
    int calls = atoi(argv[4]);
    for (int k = 0; k < 2; k++)
      if (strcmp(argv[3], systems[k].name) == 0 && sample_points(&systems[k]) == 0 &&
          micro(&systems[k], calls > 0 ? calls : 1, &mt) == 0)
        rc = 0;
    goto done;
  }
  if (argc > 4 && strcmp(argv[2], "solves") == 0) { /* for a profiler: no timing */
    static traj tr;
    for (int k = 0; k < 2; k++)
      if (strcmp(argv[3], systems[k].name) == 0) {
        rc = 0;
        for (int r = 0; r < atoi(argv[4]) && rc == 0; r++) rc = solve(&systems[k], 1, 1e-6, 1e-9, &tr) ? 1 : 0;
      }
    goto done;
  }
  if (argc > 3 && strcmp(argv[2], "dump") == 0) {
    static traj tr;
    for (int k = 0; k < 2; k++)
      if (strcmp(argv[3], systems[k].name) == 0 && solve(&systems[k], 1, 1e-6, 1e-9, &tr) == 0) {
        rc = 0;
        for (int p = 0; p < NPTS; p++)
          for (size_t i = 0; i < systems[k].n; i++) printf("%a%c", tr.y[p][i], i + 1 < systems[k].n ? ' ' : '\n');
      }
    goto done;
  }
  rc = 0;
  for (int k = 0; k < 2 && rc == 0; k++) rc = report(&systems[k]) ? 1 : 0;
done:
  close_sys(&systems[0]);
  close_sys(&systems[1]);
  return rc;
}
