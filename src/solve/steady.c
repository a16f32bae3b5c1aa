/* synovia — steady states for `baseline steady` (solve layer; see include/synovia/steady.h).
 *
 * 1. KINSOL: Newton with line search from the guess, dense linear solver,
 *    the ode's exact Jacobian when it has one, states and rates scaled by
 *    1/(rtol |y_i| + atol_i). Its root is accepted only if it is
 *      - a root: the Newton correction J^-1 f there is below ftol tolerance
 *        units in every state (a distance, independent of the clock);
 *      - attracting: every eigenvalue of J has a negative real part (LAPACK
 *        dgeev); an unstable or neutral equilibrium is not
 *        where the untreated model settles (a centre, a saddle, the origin of
 *        a limit cycle, a conserved total);
 *      - physical: when the guess has no negative component, neither has the
 *        root (beyond atol).
 *    The stability check needs the dense Jacobian: above SYN_STEADY_DENSE_MAX
 *    states it is skipped (documented in steady.h).
 *    Newton can jump from the guess into another basin of attraction, so
 *    the root is then confirmed by integrating from the guess (2.): it is
 *    taken if the integration ends within SYN_BASIN_TOL tolerance units of
 *    it (or does not settle), the integration's end otherwise; it stops
 *    early, keeping the root, once in the root's linear regime (steady.h).
 * 2. Otherwise, integration with CVODE from the guess, checked at times
 *    growing geometrically (T = max_time * 1e-9 * 2^k) until the test of
 *    steady.h holds or max_time is reached.
 * Failures name the state that keeps moving and say whether it grows, falls
 * or oscillates (its rate changes sign between checks).
 *
 * KINSOL's own messages are captured (never printed). */
#include "synovia/steady.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <kinsol/kinsol.h>
#include <nvector/nvector_serial.h>
#include <sundials/sundials_version.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>

#include <lapacke.h>

#include "base/alloc.h"
#include "solve/sun_compat.h"


enum { SYN_STEADY_DENSE_MAX = 2000, SYN_NAME_MAX = 64, SYN_WHY_MAX = 320 };

/* dgeev's workspace without eigenvectors: at least 3n; 4n lets it block a little. */
enum { SYN_EIG_WORK = 4 };

/* How far (in ftol tolerance units) the integration may end from KINSOL's
 * root and still be taken as settling there: its convergence test leaves it
 * a little short of the equilibrium along slow modes. */
static const double SYN_BASIN_TOL = 1e3;

/* Everything one call needs, allocated once. */
typedef struct steady_ws {
  const syn_ode *ode;
  const syn_steady_opts *o;
  double t;
  size_t n;
  double *guess;   /* the starting state */
  double *f;       /* rates */
  double *jac;     /* dense J, column-major n x n (n <= SYN_STEADY_DENSE_MAX) */
  double *lu;      /* a copy of J for elimination / eigenvalues */
  double *jval;    /* ode->nnz Jacobian values */
  double *eval;    /* (2 + SYN_EIG_WORK) n: eigenvalues (real, imaginary parts), LAPACK work */
  double *lin;     /* n: J(c)^-1 f(y), the Newton step with a root's Jacobian */
  lapack_int *piv; /* LU pivots */
  double slow_time; /* -1 / (largest real part of J's eigenvalues) at an accepted root:
                       its slowest mode's time constant */
  char kin_msg[SYN_SUN_MSG_MAX]; /* KINSOL's last message (kept from stderr) */
  char why_kinsol[SYN_WHY_MAX]; /* why KINSOL's answer was not taken */
} steady_ws;

void syn_steady_opts_default(syn_steady_opts *o) {
  if (o == NULL) return;
  memset(o, 0, sizeof *o);
  o->ftol = 1.0;
  o->max_iters = 200;
  o->max_time = 1e6;
  syn_solver_opts_default(&o->solver);
}

/* --- small helpers ------------------------------------------------------------- */

static const char *state_name(const syn_ode *ode, size_t i, char *buf, size_t size) {
  if (ode->names != NULL && ode->names[i] != NULL && ode->names[i][0] != '\0')
    snprintf(buf, size, "'%s'", ode->names[i]);
  else
    snprintf(buf, size, "y[%zu]", i);
  return buf;
}

static const char *unit_of(const syn_ode *ode) {
  return ode->time_unit != NULL && ode->time_unit[0] != '\0' ? ode->time_unit : "clock unit";
}

static double atol_of(const steady_ws *w, size_t i) {
  return w->o->solver.atol_vec != NULL ? w->o->solver.atol_vec[i] : w->o->solver.atol;
}

/* rtol |y_i| + atol_i: the size of a state's error tolerance. */
static double tol_of(const steady_ws *w, const double *y, size_t i) {
  return w->o->solver.rtol * fabs(y[i]) + atol_of(w, i);
}

/* Rates at y into w->f; 0 when finite. */
static int eval_rates(steady_ws *w, const double *y) {
  int rc = w->ode->rhs(w->t, y, w->f, w->ode->ctx);
  for (size_t i = 0; rc == 0 && i < w->n; i++)
    if (!isfinite(w->f[i])) rc = 1;
  return rc;
}

/* max_i |f_i| / tol_i (w->f must hold the rates at y); *worst: the argmax. */
static double scaled_rate(const steady_ws *w, const double *y, size_t *worst) {
  double r = 0.0;
  size_t k = 0;
  for (size_t i = 0; i < w->n; i++) {
    double q = fabs(w->f[i]) / tol_of(w, y, i);
    if (q > r || !isfinite(q)) {
      r = q;
      k = i;
      if (!isfinite(q)) break;
    }
  }
  if (worst != NULL) *worst = k;
  return r;
}

/* --- the dense Jacobian, its eigenvalues and the Newton correction ------------- */

/* J at y into w->jac: the ode's exact Jacobian, or forward differences.
 * -1 unless every entry is finite (a kink like sqrt at 0 gives an infinite
 * slope: no linearisation to judge the root by). */
static int dense_jacobian(steady_ws *w, const double *y) {
  size_t n = w->n;
  const syn_ode *ode = w->ode;
  memset(w->jac, 0, n * n * sizeof *w->jac);
  if (ode->jac != NULL) {
    if (ode->jac(w->t, y, w->jval, ode->ctx) != 0) return -1;
    for (size_t j = 0; j < n; j++)
      for (int32_t k = ode->colptr[j]; k < ode->colptr[j + 1]; k++) {
        if (!isfinite(w->jval[k])) return -1;
        w->jac[j * n + (size_t)ode->rowind[k]] = w->jval[k];
      }
    return 0;
  }
  /* differences: w->lu holds f(y) in its first column, y + h e_j in w->eval */
  double *f0 = w->lu, *yp = w->eval;
  if (eval_rates(w, y) != 0) return -1;
  memcpy(f0, w->f, n * sizeof *f0);
  memcpy(yp, y, n * sizeof *yp);
  for (size_t j = 0; j < n; j++) {
    double h = sqrt(DBL_EPSILON) * fmax(fabs(y[j]), tol_of(w, y, j) / w->o->solver.rtol);
    yp[j] = y[j] + h;
    if (eval_rates(w, yp) != 0) return -1;
    for (size_t i = 0; i < n; i++) {
      w->jac[j * n + i] = (w->f[i] - f0[i]) / h;
      if (!isfinite(w->jac[j * n + i])) return -1;
    }
    yp[j] = y[j];
  }
  return 0;
}

/* Solve J x = b in place (b := x) by LU with partial pivoting (LAPACK
 * dgetrf/dgetrs) on a copy of J. Returns -1 when J is singular to working
 * precision (a pivot below 1e3 eps of J's largest entry). */
static int dense_solve(steady_ws *w, double *b) {
  lapack_int n = (lapack_int)w->n;
  double *a = w->lu, scale = 0.0, smallest = INFINITY;
  memcpy(a, w->jac, w->n * w->n * sizeof *a);
  for (size_t k = 0; k < w->n * w->n; k++) scale = fmax(scale, fabs(a[k]));
  if (scale == 0.0) return -1;
  if (LAPACKE_dgetrf_work(LAPACK_COL_MAJOR, n, n, a, n, w->piv) != 0) return -1;
  for (size_t k = 0; k < w->n; k++) smallest = fmin(smallest, fabs(a[k * w->n + k]));
  if (smallest <= 1e3 * DBL_EPSILON * scale) return -1;
  return LAPACKE_dgetrs_work(LAPACK_COL_MAJOR, 'N', n, 1, a, n, w->piv, b, n) == 0 ? 0 : -1;
}

/* The largest real part of J's eigenvalues, and the largest modulus (LAPACK
 * dgeev, eigenvalues only, with its balancing; the _work variant does not
 * allocate, and LAPACK reports failure by its return value, never by
 * aborting). */
static int spectrum(steady_ws *w, double *max_re, double *max_abs) {
  size_t n = w->n;
  double *re = w->eval, *im = w->eval + n, *work = w->eval + 2 * n;
  memcpy(w->lu, w->jac, n * n * sizeof *w->lu);
  lapack_int ln = (lapack_int)n;
  if (LAPACKE_dgeev_work(LAPACK_COL_MAJOR, 'N', 'N', ln, w->lu, ln, re, im, NULL, 1, NULL, 1,
                         work, (lapack_int)(SYN_EIG_WORK * n)) != 0)
    return -1;
  *max_re = -INFINITY;
  *max_abs = 0.0;
  for (size_t i = 0; i < n; i++) {
    *max_re = fmax(*max_re, re[i]);
    *max_abs = fmax(*max_abs, hypot(re[i], im[i]));
  }
  return 0;
}

/* --- KINSOL --------------------------------------------------------------------- */

static int kin_rates(N_Vector u, N_Vector fu, void *user) {
  steady_ws *w = user;
  const double *y = N_VGetArrayPointer(u);
  double *f = N_VGetArrayPointer(fu);
  int rc = w->ode->rhs(w->t, y, f, w->ode->ctx);
  for (size_t i = 0; rc == 0 && i < w->n; i++)
    if (!isfinite(f[i])) rc = 1; /* recoverable: the line search backs off */
  return rc;
}

static int kin_jac(N_Vector u, N_Vector fu, SUNMatrix J, void *user, N_Vector tmp1,
                   N_Vector tmp2) {
  (void)fu, (void)tmp1, (void)tmp2;
  steady_ws *w = user;
  const syn_ode *ode = w->ode;
  if (ode->jac(w->t, N_VGetArrayPointer(u), w->jval, ode->ctx) != 0) return 1;
  SUNMatZero(J);
  for (size_t j = 0; j < w->n; j++) {
    sunrealtype *col = SUNDenseMatrix_Column(J, (sunindextype)j);
    for (int32_t k = ode->colptr[j]; k < ode->colptr[j + 1]; k++) {
      if (!isfinite(w->jval[k])) return 1;
      col[ode->rowind[k]] = w->jval[k];
    }
  }
  return 0;
}

/* A sentence for KINSOL's failure flags. */
static const char *kin_reason(int flag) {
  switch (flag) {
    case KIN_LINESEARCH_NONCONV: return "the line search could not reduce the rates";
    case KIN_MAXITER_REACHED: return "it reached the iteration limit";
    case KIN_MXNEWT_5X_EXCEEDED: return "its steps kept growing (no nearby root)";
    case KIN_LINSOLV_NO_RECOVERY:
    case KIN_LSETUP_FAIL:
    case KIN_LSOLVE_FAIL: return "the Jacobian is singular (a conserved total, or a state "
                                 "that never settles)";
    case KIN_SYSFUNC_FAIL:
    case KIN_FIRST_SYSFUNC_ERR:
    case KIN_REPTD_SYSFUNC_ERR: return "the rates were not finite along the way";
    case KIN_MEM_FAIL: return "it ran out of memory";
    default: return "it failed";
  }
}

/* Newton from the guess into y. Returns the KINSOL flag (>= 0: a candidate). */
static int run_kinsol(steady_ws *w, double *y, long *iters) {
  size_t n = w->n;
  SUNContext ctx = NULL;
  void *kin = NULL;
  N_Vector u = NULL, us = NULL, fs = NULL;
  SUNMatrix A = NULL;
  SUNLinearSolver LS = NULL;
  int flag = KIN_MEM_FAIL;
  *iters = 0;
  if (SUNContext_Create(SYN_SUN_COMM_NULL, &ctx) != 0) return KIN_MEM_FAIL;
  u = N_VNew_Serial((sunindextype)n, ctx);
  us = N_VNew_Serial((sunindextype)n, ctx);
  fs = N_VNew_Serial((sunindextype)n, ctx);
  A = SUNDenseMatrix((sunindextype)n, (sunindextype)n, ctx);
  kin = KINCreate(ctx);
  if (u == NULL || us == NULL || fs == NULL || A == NULL || kin == NULL) goto done;
  LS = SUNLinSol_Dense(u, A, ctx);
  if (LS == NULL) goto done;
  memcpy(N_VGetArrayPointer(u), w->guess, n * sizeof *y);
  for (size_t i = 0; i < n; i++) {
    double s = 1.0 / tol_of(w, w->guess, i);
    NV_Ith_S(us, i) = s;
    NV_Ith_S(fs, i) = s;
  }
  flag = syn_sun_capture_kinsol(ctx, kin, w->kin_msg) == 0 ? KIN_SUCCESS : KIN_MEM_FAIL;
  if (flag == KIN_SUCCESS) flag = KINInit(kin, kin_rates, u);
  if (flag == KIN_SUCCESS) flag = KINSetUserData(kin, w);
  if (flag == KIN_SUCCESS) flag = KINSetLinearSolver(kin, LS, A);
  if (flag == KIN_SUCCESS && w->ode->jac != NULL) flag = KINSetJacFn(kin, kin_jac);
  if (flag == KIN_SUCCESS) flag = KINSetNumMaxIters(kin, w->o->max_iters);
  if (flag == KIN_SUCCESS) flag = KINSetMaxSetupCalls(kin, 1); /* exact Newton */
  /* KINSOL caps a step at 1000 x the scaled guess: a guess at 0, scaled by
   * 1/atol, would allow only atol-sized steps. The line search guards. */
  if (flag == KIN_SUCCESS) flag = KINSetMaxNewtonStep(kin, 1e100);
  /* converged in KINSOL's terms far below what we check afterwards */
  /* KINSOL's own stopping test is only a guide: its last iterate is checked
   * afterwards (distance to the root, stability) whatever the flag */
  if (flag == KIN_SUCCESS) flag = KINSetFuncNormTol(kin, 1e-6 * w->o->ftol);
  if (flag == KIN_SUCCESS) flag = KINSol(kin, u, KIN_LINESEARCH, us, fs);
  KINGetNumNonlinSolvIters(kin, iters);
  memcpy(y, N_VGetArrayPointer(u), n * sizeof *y);
done:
  if (kin != NULL) KINFree(&kin);
  if (LS != NULL) SUNLinSolFree(LS);
  if (A != NULL) SUNMatDestroy(A);
  if (u != NULL) N_VDestroy(u);
  if (us != NULL) N_VDestroy(us);
  if (fs != NULL) N_VDestroy(fs);
  if (ctx != NULL) SUNContext_Free(&ctx);
  return flag;
}

/* Is KINSOL's candidate y a physical, attracting root? If not, why (in
 * w->why_kinsol). */
static int accept_root(steady_ws *w, const double *y) {
  size_t n = w->n;
  char nm[SYN_NAME_MAX];
  int guess_nonneg = 1;
  for (size_t i = 0; i < n; i++) guess_nonneg &= w->guess[i] >= 0.0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(y[i])) {
      snprintf(w->why_kinsol, sizeof w->why_kinsol, "KINSOL's answer is not finite");
      return 0;
    }
    if (guess_nonneg && y[i] < -atol_of(w, i)) {
      snprintf(w->why_kinsol, sizeof w->why_kinsol,
               "KINSOL's root has a negative %s = %g (not physical)",
               state_name(w->ode, i, nm, sizeof nm), y[i]);
      return 0;
    }
  }
  if (w->jac == NULL) return 1; /* too large for the dense checks */
  if (eval_rates(w, y) != 0 || dense_jacobian(w, y) != 0) {
    snprintf(w->why_kinsol, sizeof w->why_kinsol,
             "the rates or the Jacobian are not finite at KINSOL's root");
    return 0;
  }
  /* the eigenvalues first (judged below, after the distance): dense_solve's
   * LU factors of J, left in w->lu, serve the confirming integration's
   * linear test (linear_misfit) */
  double max_re = 0.0, max_abs = 0.0;
  int spectrum_failed = spectrum(w, &max_re, &max_abs) != 0;
  /* the distance to the exact root, in tolerance units */
  double *dx = w->eval; /* n doubles are enough here */
  if (eval_rates(w, y) != 0) return 0;
  memcpy(dx, w->f, n * sizeof *dx);
  if (dense_solve(w, dx) != 0) {
    snprintf(w->why_kinsol, sizeof w->why_kinsol, "the Jacobian at KINSOL's root is singular");
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    if (!(fabs(dx[i]) <= w->o->ftol * tol_of(w, y, i))) { /* NaN too */
      snprintf(w->why_kinsol, sizeof w->why_kinsol,
               "KINSOL stopped %g tolerances away from a root in %s",
               fabs(dx[i]) / tol_of(w, y, i), state_name(w->ode, i, nm, sizeof nm));
      return 0;
    }
  }
  if (spectrum_failed) {
    snprintf(w->why_kinsol, sizeof w->why_kinsol,
             "the eigenvalues of the Jacobian at KINSOL's root could not be computed");
    return 0;
  }
  if (!(max_re < -100.0 * DBL_EPSILON * max_abs) || max_abs == 0.0) {
    snprintf(w->why_kinsol, sizeof w->why_kinsol,
             "KINSOL's root is not attracting (an eigenvalue of the Jacobian has real part "
             "%g /%s), so the model does not settle there",
             max_re, unit_of(w->ode));
    return 0;
  }
  w->slow_time = -1.0 / max_re;
  return 1;
}

/* --- integration ----------------------------------------------------------------- */

static syn_status no_steady_state(steady_ws *w, const double *y, double T, size_t worst,
                                  int sign_changes, syn_error *err) {
  char nm[SYN_NAME_MAX];
  state_name(w->ode, worst, nm, sizeof nm);
  const char *how = sign_changes ? "oscillates (its rate keeps changing sign)"
                    : w->f[worst] > 0.0 ? "keeps growing"
                                        : "keeps falling";
  syn_error_set(err, SYN_ESOLVER,
                "no steady state found: after %g %s of integration from the starting state, "
                "%s %s (%s = %g, d/dt = %g per %s); %s",
                T, unit_of(w->ode), nm, how, nm, y[worst], w->f[worst],
                unit_of(w->ode), w->why_kinsol);
  syn_error_hint(err, "a steady baseline needs an equilibrium the untreated model settles "
                      "into: check for a production without a matching loss, or sustained "
                      "oscillations; otherwise start from the initial values (baseline 0)");
  return SYN_ESOLVER;
}

/* Integrate from the guess, checking at T = T0 * 2^k, until
 * r(y) * max(T, 1) <= ftol or T = max_time. */
/* The second convergence test: the scaled rate fell from prev_r (at T_prev)
 * to r (at T). Read as an exponential approach, its time constant is
 * tau = (T - T_prev) / ln(prev_r / r), and the drift still to come is about
 * r * tau tolerance units. A late, slow but steady approach (a rate of 1e-10
 * per hour after 10^6 hours, halving every few hundred hours) passes this,
 * where the first test (no drift for another T) would not; steady growth does
 * not (the rate falls only like 1/T there, so tau ~ T), nor does a rate that
 * stops falling. */
static int decays_to_rest(double r, double prev_r, double T, double prev_T, double ftol) {
  if (!(r < prev_r) || !isfinite(prev_r) || r <= 0.0) return r <= 0.0;
  double tau = (T - prev_T) / log(prev_r / r);
  return r * tau <= ftol;
}

/* The confirming integration may stop early, once the trajectory is where the
 * linearisation at KINSOL's root c governs (see steady.h): in every state, the
 * Newton step from y with c's Jacobian, J(c)^-1 f(y), must match y - c to
 * within SYN_LINEAR_MISFIT of |y_i - c_i| + SYN_BASIN_TOL ftol tol_i. A tenth:
 * well inside what keeps each mode contracting (the perturbation must stay
 * below the mode's damping), and at any other equilibrium s the misfit is the
 * whole of s - c (f(s) = 0), so a trajectory near one is never taken. */
static const double SYN_LINEAR_MISFIT = 0.1;

/* b := J(c)^-1 b from the LU factors accept_root left in w->lu (dgetrf's: row
 * interchanges, unit lower L, upper U, column-major). Written out: LAPACK's
 * dgetrs costs ten times as much for one right-hand side of this size, and
 * it runs at every check. */
static void lu_solve(const steady_ws *w, double *b) {
  size_t n = w->n;
  const double *a = w->lu;
  for (size_t i = 0; i < n; i++) {
    size_t p = (size_t)w->piv[i] - 1;
    if (p != i) {
      double t = b[i];
      b[i] = b[p];
      b[p] = t;
    }
  }
  for (size_t j = 0; j < n; j++) {
    double bj = b[j];
    if (bj != 0.0)
      for (size_t i = j + 1; i < n; i++) b[i] -= a[j * n + i] * bj;
  }
  for (size_t j = n; j-- > 0;) {
    b[j] /= a[j * n + j];
    double bj = b[j];
    if (bj != 0.0)
      for (size_t i = 0; i < j; i++) b[i] -= a[j * n + i] * bj;
  }
}

/* How far y is from c's linear regime: with e = (y - c) - J(c)^-1 f(y) (zero
 * where f is linear), returns max_i |e_i| / (|y_i - c_i| + SYN_BASIN_TOL ftol
 * tol_i), tol_i at c, and *dist = max_i |y_i - c_i| / tol_i. w->f must hold
 * f(y), w->lu J(c)'s LU factors. Infinite if anything is not finite. */
static double linear_misfit(steady_ws *w, const double *y, const double *c, double *dist) {
  size_t n = w->n;
  double d = 0.0, worst = 0.0, floor = SYN_BASIN_TOL * w->o->ftol;
  *dist = INFINITY;
  memcpy(w->lin, w->f, n * sizeof *w->lin);
  lu_solve(w, w->lin);
  for (size_t i = 0; i < n; i++) {
    double tol = tol_of(w, c, i), x = (y[i] - c[i]) / tol, e = x - w->lin[i] / tol;
    d = fmax(d, fabs(x));
    worst = fmax(worst, fabs(e) / (fabs(x) + floor));
    if (!isfinite(worst)) return INFINITY;
  }
  *dist = d;
  return worst;
}

/* The linear-regime test at the checks of the confirming integration. It
 * counts only from one slowest time constant of c (-1 / max Re eigenvalue)
 * on: before that the slowest mode has not yet had time to move, so being
 * near-linear says little about the way ahead. It must then hold at every
 * check from some T' to T, T - T' at least that time constant, with c's
 * distance not growing from check to check (the trajectory seen in the
 * regime, coming closer, while the slowest linear mode shrinks by e; not at
 * one passing instant). */
typedef struct linear_watch {
  int inside;       /* the test held at the previous check */
  double prev_dist; /* c's distance at the previous check */
  double run_start; /* when the current run of passing checks began */
} linear_watch;

static int in_linear_regime(steady_ws *w, const double *y, double T, const double *c,
                            linear_watch *lw) {
  if (T < w->slow_time) return 0;
  double dist, misfit = linear_misfit(w, y, c, &dist);
  int inside = misfit <= SYN_LINEAR_MISFIT;
  int going_on = inside && lw->inside && dist <= lw->prev_dist;
  if (!going_on) lw->run_start = T; /* a run of passing checks starts (again) here */
  int settled = going_on && T - lw->run_start >= w->slow_time;
  lw->inside = inside;
  lw->prev_dist = dist;
  return settled;
}

/* The check after T: twice as late; but while a run of passing checks of the
 * linear test is under way (lw, when confirming a root), as soon as the run
 * can be one slowest time constant long (its start plus tau), if that comes
 * first. The same test at more checks, each of which must pass: the
 * confirmation stops up to a doubling sooner, never on less evidence. */
static double next_check(const steady_ws *w, double T, const linear_watch *lw) {
  double next = 2.0 * T;
  if (lw != NULL && lw->inside && T >= w->slow_time)
    next = fmin(next, fmax(lw->run_start + w->slow_time, T * (1.0 + DBL_EPSILON)));
  return fmin(next, w->o->max_time);
}

static syn_status integrate_to_rest(steady_ws *w, double *y, const double *target,
                                    int *reached, syn_steady_info *info, syn_error *err) {
  syn_solver *s = NULL;
  syn_error e;
  syn_status st = syn_solver_create(w->ode, &w->o->solver, w->t, w->guess, &s, &e);
  double T = w->o->max_time * 1e-9;
  size_t worst = 0, prev_worst = w->n;
  double prev_r = INFINITY, prev_T = 0.0;
  int sign_changes = 0;
  double prev_sign = 0.0;
  linear_watch watch = {0, INFINITY, 0.0};
  info->method = "integration";
  if (reached != NULL) *reached = 0;
  if (st != SYN_OK) {
    if (err != NULL) *err = e;
    return st;
  }
  for (;;) {
    double t_out = w->t + T;
    st = syn_solver_integrate(s, &t_out, 1, NULL, 0, NULL, NULL, NULL, NULL, &e);
    syn_solver_state(s, y);
    if (st == SYN_OK && eval_rates(w, y) != 0)
      st = syn_error_set(&e, SYN_ENONFINITE, "the rates are not finite at t = %g", t_out);
    if (st != SYN_OK && st != SYN_ENOMEM && sign_changes >= 2 && eval_rates(w, y) == 0) {
      /* an oscillation makes the solver work ever harder as T doubles */
      scaled_rate(w, y, &worst);
      st = no_steady_state(w, y, fmax(syn_solver_time(s) - w->t, 0.0), worst, 1, err);
      break;
    }
    if (st != SYN_OK) {
      syn_error_set(err, st, "no steady state found: integrating from the starting state "
                             "failed: %.600s; %s", e.message, w->why_kinsol);
      syn_error_hint(err, "%s", e.hint);
      break;
    }
    double r = scaled_rate(w, y, &worst);
    /* a state whose rate changes sign between checks is oscillating */
    double sign = w->f[worst] > 0.0 ? 1.0 : -1.0;
    if (worst == prev_worst && sign != prev_sign) sign_changes++;
    prev_worst = worst;
    prev_sign = sign;
    info->residual = r;
    info->t_integrated = T;
    if (r * fmax(T, 1.0) <= w->o->ftol || decays_to_rest(r, prev_r, T, prev_T, w->o->ftol)) break;
    if (target != NULL && in_linear_regime(w, y, T, target, &watch)) {
      *reached = 1;
      break;
    }
    prev_r = r;
    prev_T = T;
    if (T >= w->o->max_time) {
      st = no_steady_state(w, y, T, worst, sign_changes >= 2, err);
      break;
    }
    T = next_check(w, T, target != NULL ? &watch : NULL);
  }
  syn_solver_stats stats;
  syn_solver_get_stats(s, &stats);
  info->iterations = stats.nsteps;
  syn_solver_destroy(s);
  return st;
}

/* Is the integrated state z within SYN_BASIN_TOL tolerance units of root c? */
static int same_equilibrium(const steady_ws *w, const double *z, const double *c) {
  for (size_t i = 0; i < w->n; i++)
    if (!(fabs(z[i] - c[i]) <= SYN_BASIN_TOL * w->o->ftol * tol_of(w, c, i))) return 0;
  return 1;
}

/* KINSOL's root cand is an attracting equilibrium, but Newton may have jumped
 * from the guess into another basin of attraction (a bistable switch started
 * below its threshold, Newton overshooting it). The untreated model settles
 * where the integration from the guess goes: cand is taken if that
 * integration ends at it, the integration's end otherwise. If the integration
 * does not settle (max_time, a solver failure), cand stands. Result in y. */
static syn_status choose_basin(steady_ws *w, const double *cand, long iters, double *y,
                               syn_steady_info *info, syn_error *err) {
  syn_steady_info run;
  syn_error e;
  memset(&run, 0, sizeof run);
  int reached = 0;
  /* the linear test needs J(c)'s factors, which accept_root leaves when dense */
  const double *target = w->jac != NULL ? cand : NULL;
  syn_status st = integrate_to_rest(w, y, target, &reached, &run, &e);
  if (st == SYN_ENOMEM) {
    if (err != NULL) *err = e;
    return st;
  }
  if (st == SYN_OK && !reached && !same_equilibrium(w, y, cand)) {
    *info = run;
    return SYN_OK;
  }
  memcpy(y, cand, w->n * sizeof *y);
  info->method = "kinsol";
  info->iterations = iters;
  info->residual = eval_rates(w, y) == 0 ? scaled_rate(w, y, NULL) : (double)INFINITY;
  info->t_integrated = 0.0;
  info->t_confirmed = run.t_integrated;
  info->confirm_steps = run.iterations;
  return SYN_OK;
}

/* --- the entry point --------------------------------------------------------------- */

static syn_status check_args(const syn_ode *ode, const double *y, const syn_steady_opts *o,
                             syn_error *err) {
  if (ode == NULL || ode->rhs == NULL || ode->n == 0 || y == NULL)
    return syn_error_set(err, SYN_EINVAL, "syn_steady_state: no ODE or no starting state");
  if (!isfinite(o->ftol) || o->ftol <= 0.0)
    return syn_error_set(err, SYN_EINVAL, "invalid steady-state option ftol = %g: it must be a "
                                          "positive finite number", o->ftol);
  if (o->max_iters <= 0)
    return syn_error_set(err, SYN_EINVAL, "invalid steady-state option max_iters = %ld: it "
                                          "must be at least 1", o->max_iters);
  if (!isfinite(o->max_time) || o->max_time <= 0.0)
    return syn_error_set(err, SYN_EINVAL, "invalid steady-state option max_time = %g: it must "
                                          "be a positive finite time", o->max_time);
  char nm[SYN_NAME_MAX];
  for (size_t i = 0; i < ode->n; i++)
    if (!isfinite(y[i]))
      return syn_error_set(err, SYN_ENONFINITE, "the starting value of state %s is %g",
                           state_name(ode, i, nm, sizeof nm), y[i]);
  return SYN_OK;
}

static void ws_free(steady_ws *w) {
  syn_free(w->guess);
  syn_free(w->f);
  syn_free(w->jac);
  syn_free(w->lu);
  syn_free(w->jval);
  syn_free(w->eval);
  syn_free(w->lin);
  syn_free(w->piv);
}

static syn_status ws_alloc(steady_ws *w, syn_error *err) {
  size_t n = w->n;
  w->guess = syn_calloc(n, sizeof *w->guess);
  w->f = syn_calloc(n, sizeof *w->f);
  w->jval = syn_calloc(w->ode->nnz > 0 ? w->ode->nnz : 1, sizeof *w->jval);
  if (w->guess == NULL || w->f == NULL || w->jval == NULL) goto oom;
  if (n <= SYN_STEADY_DENSE_MAX) {
    w->jac = syn_calloc(n * n, sizeof *w->jac);
    w->lu = syn_calloc(n * n, sizeof *w->lu);
    w->eval = syn_calloc((2 + SYN_EIG_WORK) * n, sizeof *w->eval);
    w->lin = syn_calloc(n, sizeof *w->lin);
    w->piv = syn_calloc(n, sizeof *w->piv);
    if (w->jac == NULL || w->lu == NULL || w->eval == NULL || w->lin == NULL || w->piv == NULL)
      goto oom;
  }
  return SYN_OK;
oom:
  return syn_error_set(err, SYN_ENOMEM, "out of memory for the steady-state search (%zu states)",
                       n);
}

syn_status syn_steady_state(const syn_ode *ode, double t, double *y, const syn_steady_opts *o,
                            syn_steady_info *info, syn_error *err) {
  syn_steady_opts dflt;
  syn_steady_info local;
  if (o == NULL) {
    syn_steady_opts_default(&dflt);
    o = &dflt;
  }
  if (info == NULL) info = &local;
  memset(info, 0, sizeof *info);
  info->method = "kinsol";
  syn_status st = check_args(ode, y, o, err);
  if (st != SYN_OK) return st;
  steady_ws w;
  memset(&w, 0, sizeof w);
  w.ode = ode;
  w.o = o;
  w.t = t;
  w.n = ode->n;
  double *cand = NULL;
  st = ws_alloc(&w, err);
  if (st == SYN_OK) {
    cand = syn_calloc(w.n, sizeof *cand);
    if (cand == NULL) st = syn_error_set(err, SYN_ENOMEM, "out of memory for the steady state");
  }
  if (st != SYN_OK) goto done;
  memcpy(w.guess, y, w.n * sizeof *y);

  long iters = 0;
  int flag = run_kinsol(&w, cand, &iters);
  int usable = flag >= 0 || flag == KIN_LINESEARCH_NONCONV || flag == KIN_MAXITER_REACHED;
  if (usable && accept_root(&w, cand)) {
    st = choose_basin(&w, cand, iters, y, info, err);
    goto done;
  }
  if (flag < 0 && (!usable || strncmp(w.why_kinsol, "KINSOL's root", 13) != 0))
    snprintf(w.why_kinsol, sizeof w.why_kinsol, "KINSOL found no root either: %s",
             kin_reason(flag));
  /* integration from the guess; on failure y holds where it got to */
  st = integrate_to_rest(&w, y, NULL, NULL, info, err);
done:
  syn_free(cand);
  ws_free(&w);
  return st;
}
