/* synovia benchmark: dense LU against KLU, and what `linear-solver auto` picks.
 *
 *   build/release/bench_linsolve tests/bench             side by side (make bench)
 *   build/release/bench_linsolve tests/bench calibrate   the cost model's kernels (CSV)
 *
 * Side by side: the knee's IA arm (examples/knee_ia_vs_iv.scenario), the RA
 * one-year arm (tests/bench/ra_year.scenario), HIRES (tests/bench/hires.model,
 * 0..321.8122) and the stiff 24-state cascade (tests/bench/stiff20.model,
 * 0..200), each with dense, KLU and auto, interleaved, median CPU time
 * (user + sys of this process, CLOCK_PROCESS_CPUTIME_ID) per run; then the
 * cost model's counts and estimates (src/solve/linchoice.c) and its pick.
 *
 * calibrate: for the bench models' patterns and dense and banded patterns of
 * 3..200 states, the CPU time of what CVODE does per linear-solver setup
 * (SUNMatCopy, SUNMatScaleAddI, SUNLinSolSetup) and per Newton solve
 * (SUNLinSolSolve) with each solver, next to the cost model's counts: the
 * data the weights in linchoice.c were fitted to. Prints, never asserts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nvector/nvector_serial.h>
#include <sundials/sundials_context.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunlinsol/sunlinsol_klu.h>
#include <sunmatrix/sunmatrix_dense.h>
#include <sunmatrix/sunmatrix_sparse.h>

#include "solve/linchoice.h"
#include "solve/sun_compat.h"
#include "synovia/model.h"
#include "synovia/scenario.h"
#include "synovia/solver.h"

#include "timing.h"

enum { REPS = 15, NPTS = 201, NSOLVERS = 3 };

static const syn_linsol SOLVERS[NSOLVERS] = {SYN_LINSOL_DENSE, SYN_LINSOL_KLU, SYN_LINSOL_AUTO};

/* --- one case: a scenario arm or a model solved on a grid ------------------------ */

typedef struct bench_case {
  const char *label;
  syn_scenario *scn;        /* an arm of a scenario, or */
  size_t arm;
  syn_model *m;             /* a model on 0..t_end */
  syn_instance *inst;
  double t_end;
  syn_ode ode;              /* the pattern (either kind) */
} bench_case;

typedef struct run_out {
  long nsteps, nniters, nlinsetups;
  const char *used;
} run_out;

static syn_status ignore_output(double t, const double *y, size_t n, void *ctx, syn_error *err) {
  (void)t, (void)y, (void)n, (void)ctx, (void)err;
  return SYN_OK;
}

static long long attr_int(const syn_result *r, const char *key) {
  for (size_t i = 0; i < syn_result_attr_count(r); i++) {
    const syn_attr *a = syn_result_attr(r, i);
    if (strcmp(a->key, key) == 0 && a->type == SYN_ATTR_INT) return a->i;
  }
  return -1;
}

static const char *attr_str(const syn_result *r, const char *key) {
  for (size_t i = 0; i < syn_result_attr_count(r); i++) {
    const syn_attr *a = syn_result_attr(r, i);
    if (strcmp(a->key, key) == 0 && a->type == SYN_ATTR_STRING) return a->s;
  }
  return "?";
}

static int run_arm(const bench_case *c, const syn_solver_opts *o, run_out *out) {
  syn_arm_result *res = NULL;
  syn_error err;
  if (syn_scenario_run_arm(c->scn, c->arm, o, NULL, 0, &res, &err) != SYN_OK) {
    fprintf(stderr, "bench_linsolve: %s: %s\n", c->label, err.message);
    return -1;
  }
  out->nsteps = (long)attr_int(res->series, "cvode_nsteps");
  out->nniters = (long)attr_int(res->series, "cvode_nniters");
  out->nlinsetups = (long)attr_int(res->series, "cvode_nlinsetups");
  out->used = syn_linsol_name(strcmp(attr_str(res->series, "linear_solver"), "klu") == 0
                                  ? SYN_LINSOL_KLU : SYN_LINSOL_DENSE);
  syn_arm_result_destroy(res);
  return 0;
}

static int run_model(const bench_case *c, const syn_solver_opts *o, run_out *out) {
  double grid[NPTS], *y0 = calloc(c->ode.n, sizeof *y0);
  syn_solver *s = NULL;
  syn_error err;
  if (y0 == NULL) return -1;
  for (int k = 0; k < NPTS; k++) grid[k] = c->t_end * k / (NPTS - 1);
  syn_instance_initial(c->inst, y0);
  syn_status st = syn_solver_create(&c->ode, o, 0.0, y0, &s, &err);
  if (st == SYN_OK)
    st = syn_solver_integrate(s, grid, NPTS, NULL, 0, NULL, NULL, ignore_output, NULL, &err);
  if (st == SYN_OK) {
    syn_solver_stats ss;
    syn_solver_get_stats(s, &ss);
    *out = (run_out){ss.nsteps, ss.nniters, ss.nlinsetups, syn_linsol_name(ss.linsol)};
  } else {
    fprintf(stderr, "bench_linsolve: %s: %s\n", c->label, err.message);
  }
  syn_solver_destroy(s);
  free(y0);
  return st == SYN_OK ? 0 : -1;
}

static int run_case(const bench_case *c, syn_linsol which, run_out *out) {
  syn_solver_opts o;
  syn_solver_opts_default(&o);
  o.linsol = which;
  return c->scn != NULL ? run_arm(c, &o, out) : run_model(c, &o, out);
}

static int open_scenario_arm(bench_case *c, const char *path, const char *arm) {
  syn_error err;
  if (syn_scenario_load(path, &c->scn, &err) != SYN_OK) {
    fprintf(stderr, "bench_linsolve: %s: %s\n", path, err.message);
    return -1;
  }
  for (c->arm = 0; c->arm < syn_scenario_arm_count(c->scn); c->arm++)
    if (strcmp(syn_scenario_arm_name(c->scn, c->arm), arm) == 0) break;
  if (c->arm == syn_scenario_arm_count(c->scn)) {
    fprintf(stderr, "bench_linsolve: %s has no arm '%s'\n", path, arm);
    return -1;
  }
  if (syn_instance_create(syn_scenario_model(c->scn), &c->inst, &err) != SYN_OK ||
      syn_instance_prepare(c->inst, &err) != SYN_OK) {
    fprintf(stderr, "bench_linsolve: %s: %s\n", path, err.message);
    return -1;
  }
  syn_instance_ode(c->inst, &c->ode);
  return 0;
}

static int open_model(bench_case *c, const char *path, double t_end) {
  syn_error err;
  c->t_end = t_end;
  if (syn_model_load(path, &c->m, &err) != SYN_OK ||
      syn_instance_create(c->m, &c->inst, &err) != SYN_OK ||
      syn_instance_prepare(c->inst, &err) != SYN_OK) {
    fprintf(stderr, "bench_linsolve: %s: %s\n", path, err.message);
    return -1;
  }
  syn_instance_ode(c->inst, &c->ode);
  return 0;
}

static void close_case(bench_case *c) {
  syn_instance_destroy(c->inst);
  syn_model_destroy(c->m);
  syn_scenario_destroy(c->scn);
}

/* Dense, KLU and auto interleaved REPS times; medians side by side. */
static int side_by_side(const bench_case *c) {
  double t[NSOLVERS][REPS];
  run_out out[NSOLVERS];
  for (int k = 0; k < NSOLVERS; k++) /* warm-up (the arms' baseline is cached) */
    if (run_case(c, SOLVERS[k], &out[k]) != 0) return -1;
  for (int r = 0; r < REPS; r++)
    for (int k = 0; k < NSOLVERS; k++) {
      double t0 = cpu_seconds();
      if (run_case(c, SOLVERS[k], &out[k]) != 0) return -1;
      t[k][r] = cpu_seconds() - t0;
    }
  double med[NSOLVERS];
  for (int k = 0; k < NSOLVERS; k++) med[k] = median(t[k], REPS);
  syn_linsol_cost cost;
  syn_error err;
  if (syn_linsol_estimate(c->ode.n, c->ode.colptr, c->ode.rowind, &cost, &err) != SYN_OK) {
    fprintf(stderr, "bench_linsolve: %s: %s\n", c->label, err.message);
    return -1;
  }
  enum { EST_REPS = 200 };
  double te = cpu_seconds();
  for (int r = 0; r < EST_REPS; r++)
    syn_linsol_estimate(c->ode.n, c->ode.colptr, c->ode.rowind, &cost, &err);
  te = (cpu_seconds() - te) / EST_REPS;
  printf("%s: %zu states, %zu entries in I - gamma*J, %zu in L+U (KLU), %.0f flops; the cost "
         "model's analysis costs %.1f us (made at each solver creation under auto, below 100 "
         "states)\n",
         c->label, cost.n, cost.nnz, cost.lu_nnz, cost.flops, 1e6 * te);
  for (int k = 0; k < 2; k++)
    printf("  %-5s %8.3f ms CPU (nsteps %ld, nniters %ld, nlinsetups %ld)\n",
           syn_linsol_name(SOLVERS[k]), 1e3 * med[k], out[k].nsteps, out[k].nniters,
           out[k].nlinsetups);
  printf("  auto  %8.3f ms CPU: picks %s (cost model per setup + its solves: dense %.0f ns, "
         "klu %.0f ns); dense / klu = %.2f\n",
         1e3 * med[2], out[2].used, cost.dense_ns, cost.klu_ns, med[0] / med[1]);
  return 0;
}

/* --- calibrate: the kernels CVODE calls, per pattern ------------------------------ */

typedef struct kernel_times {
  double setup_ns, solve_ns;
} kernel_times;

/* Fill M's values (dense or sparse) from the pattern as a diagonally
 * dominant I - gamma*J, like linchoice.c's stand-in. */
static void fill_sparse(SUNMatrix A, size_t n, const int32_t *colptr, const int32_t *rowind) {
  sunindextype *cp = SUNSparseMatrix_IndexPointers(A), *ri = SUNSparseMatrix_IndexValues(A);
  sunrealtype *v = SUNSparseMatrix_Data(A);
  size_t p = 0;
  for (size_t j = 0; j < n; j++) {
    cp[j] = (sunindextype)p;
    int diag = 0;
    for (int32_t k = colptr[j]; k < colptr[j + 1]; k++) {
      size_t r = (size_t)rowind[k];
      if (!diag && r >= j) {
        ri[p] = (sunindextype)j;
        v[p++] = 0.0;
        diag = 1;
      }
      if (r == j) continue;
      ri[p] = (sunindextype)r;
      v[p++] = 0.1 / (double)(n + 1) * (double)(1 + (r + 3 * j) % 7);
    }
    if (!diag) {
      ri[p] = (sunindextype)j;
      v[p++] = 0.0;
    }
  }
  cp[n] = (sunindextype)p;
}

static double time_kernels(SUNMatrix J, SUNMatrix M, SUNLinearSolver LS, N_Vector x, N_Vector b,
                           int solve) {
  enum { INNER = 200, OUTER = 7 };
  double t[OUTER];
  for (int o = 0; o < OUTER; o++) {
    double t0 = cpu_seconds();
    for (int i = 0; i < INNER; i++) {
      if (solve) {
        SUNLinSolSolve(LS, M, x, b, 0.0);
      } else {
        SUNMatCopy(J, M);
        SUNMatScaleAddI(-0.5, M);
        SUNLinSolSetup(LS, M);
      }
    }
    t[o] = (cpu_seconds() - t0) / INNER;
  }
  return 1e9 * median(t, OUTER);
}

static int measure(SUNContext ctx, size_t n, const int32_t *colptr, const int32_t *rowind,
                   kernel_times *dense, kernel_times *klu) {
  sunindextype nn = (sunindextype)n;
  SUNMatrix Js = SUNSparseMatrix(nn, nn, (sunindextype)(colptr[n] + (int32_t)n), CSC_MAT, ctx);
  N_Vector x = N_VNew_Serial(nn, ctx), b = N_VNew_Serial(nn, ctx);
  if (Js == NULL || x == NULL || b == NULL) return -1;
  fill_sparse(Js, n, colptr, rowind);
  SUNMatrix Ms = SUNSparseMatrix(nn, nn, SUNSparseMatrix_NNZ(Js), CSC_MAT, ctx);
  SUNMatrix Jd = SUNDenseMatrix(nn, nn, ctx), Md = SUNDenseMatrix(nn, nn, ctx);
  SUNMatZero(Jd);
  const sunindextype *cp = SUNSparseMatrix_IndexPointers(Js), *ri = SUNSparseMatrix_IndexValues(Js);
  for (size_t j = 0; j < n; j++)
    for (sunindextype k = cp[j]; k < cp[j + 1]; k++)
      SM_ELEMENT_D(Jd, ri[k], j) = SUNSparseMatrix_Data(Js)[k];
  SUNMatCopy(Js, Ms);
  SUNLinearSolver Ld = SUNLinSol_Dense(x, Md, ctx), Lk = SUNLinSol_KLU(x, Ms, ctx);
  SUNLinSolInitialize(Ld);
  SUNLinSolInitialize(Lk);
  N_VConst(1.0, b);
  dense->setup_ns = time_kernels(Jd, Md, Ld, x, b, 0);
  dense->solve_ns = time_kernels(Jd, Md, Ld, x, b, 1);
  klu->setup_ns = time_kernels(Js, Ms, Lk, x, b, 0);
  klu->solve_ns = time_kernels(Js, Ms, Lk, x, b, 1);
  SUNLinSolFree(Ld);
  SUNLinSolFree(Lk);
  SUNMatDestroy(Js);
  SUNMatDestroy(Ms);
  SUNMatDestroy(Jd);
  SUNMatDestroy(Md);
  N_VDestroy(x);
  N_VDestroy(b);
  return 0;
}

static int calibrate_row(SUNContext ctx, const char *name, size_t n, const int32_t *colptr,
                         const int32_t *rowind) {
  syn_linsol_cost c;
  syn_error err;
  kernel_times d, k;
  if (syn_linsol_estimate(n, colptr, rowind, &c, &err) != SYN_OK) {
    fprintf(stderr, "bench_linsolve: %s: %s\n", name, err.message);
    return -1;
  }
  if (measure(ctx, n, colptr, rowind, &d, &k) != 0) return -1;
  printf("%s,%zu,%zu,%zu,%.0f,%.0f,%.1f,%.1f,%.1f,%.1f,%.0f,%.0f\n", name, c.n, c.nnz, c.lu_nnz,
         c.flops, c.dense_updates, d.setup_ns, d.solve_ns, k.setup_ns, k.solve_ns, c.dense_ns,
         c.klu_ns);
  return 0;
}

/* Band of half-width w (w >= n: dense), in compressed columns. */
static int calibrate_band(SUNContext ctx, size_t n, size_t w) {
  int32_t *cp = calloc(n + 1, sizeof *cp), *ri = calloc(n * n, sizeof *ri);
  char name[32];
  int rc = -1;
  if (cp == NULL || ri == NULL) goto done;
  size_t p = 0;
  for (size_t j = 0; j < n; j++) {
    cp[j] = (int32_t)p;
    for (size_t i = 0; i < n; i++)
      if (i + w >= j && j + w >= i) ri[p++] = (int32_t)i;
  }
  cp[n] = (int32_t)p;
  snprintf(name, sizeof name, w >= n ? "dense%zu" : "band%zu_%zu", n, w);
  rc = calibrate_row(ctx, name, n, cp, ri);
done:
  free(cp);
  free(ri);
  return rc;
}

static int calibrate(const char *dir) {
  static const char *const models[] = {"models/knee_oa.model", "models/ra.model",
                                       "models/robertson.model", "models/two_knees.model",
                                       "models/joint_demo.model"};
  static const char *const bench_models[] = {"stiff20.model", "hires.model"};
  SUNContext ctx;
  if (SUNContext_Create(SYN_SUN_COMM_NULL, &ctx) != 0) return -1;
  int rc = 0;
  printf("pattern,n,nnz,lu_nnz,flops,dense_updates,dense_setup_ns,dense_solve_ns,klu_setup_ns,"
         "klu_solve_ns,"
         "model_dense_ns,model_klu_ns\n");
  for (size_t i = 0; i < sizeof models / sizeof *models + 2 && rc == 0; i++) {
    char path[1024];
    bench_case c = {0};
    if (i < sizeof models / sizeof *models)
      snprintf(path, sizeof path, "%s", models[i]);
    else
      snprintf(path, sizeof path, "%s/%s", dir, bench_models[i - sizeof models / sizeof *models]);
    rc = open_model(&c, path, 1.0);
    if (rc == 0) rc = calibrate_row(ctx, path, c.ode.n, c.ode.colptr, c.ode.rowind);
    close_case(&c);
  }
  static const size_t dense_n[] = {3, 5, 8, 12, 16, 24, 32, 48, 64, 96};
  for (size_t i = 0; i < sizeof dense_n / sizeof *dense_n && rc == 0; i++)
    rc = calibrate_band(ctx, dense_n[i], dense_n[i]);
  static const size_t band[][2] = {{8, 1}, {16, 1}, {27, 1}, {27, 3}, {48, 2},
                                   {64, 4}, {100, 1}, {100, 5}, {200, 2}, {200, 10}};
  for (size_t i = 0; i < sizeof band / sizeof *band && rc == 0; i++)
    rc = calibrate_band(ctx, band[i][0], band[i][1]);
  SUNContext_Free(&ctx);
  return rc;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "tests/bench";
  if (argc > 2 && strcmp(argv[2], "calibrate") == 0) return calibrate(dir) == 0 ? 0 : 1;
  char ra[1024], hires[1024], stiff[1024];
  snprintf(ra, sizeof ra, "%s/ra_year.scenario", dir);
  snprintf(hires, sizeof hires, "%s/hires.model", dir);
  snprintf(stiff, sizeof stiff, "%s/stiff20.model", dir);
  bench_case cases[4] = {{.label = "knee IA arm (examples/knee_ia_vs_iv.scenario)"},
                         {.label = "RA one-year arm (tests/bench/ra_year.scenario)"},
                         {.label = "HIRES (0..321.8122, 201 outputs)"},
                         {.label = "stiff20 (0..200, 201 outputs)"}};
  int rc = open_scenario_arm(&cases[0], "examples/knee_ia_vs_iv.scenario", "IA 50M UC-MSC") ||
           open_scenario_arm(&cases[1], ra, "IV 1e8") || open_model(&cases[2], hires, 321.8122) ||
           open_model(&cases[3], stiff, 200.0);
  if (rc == 0)
    printf("linear solvers side by side: median CPU time (user+sys) of %d interleaved runs, "
           "default settings (rtol 1e-6, atol 1e-9, exact Jacobian)\n", REPS);
  for (int i = 0; i < 4 && rc == 0; i++) rc = side_by_side(&cases[i]);
  for (int i = 0; i < 4; i++) close_case(&cases[i]);
  return rc == 0 ? 0 : 1;
}
