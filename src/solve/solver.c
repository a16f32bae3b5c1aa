/* synovia — the CVODE backend of syn_solver (solve layer; see include/synovia/solver.h).
 *
 * It owns a SUNContext, the CVODE memory, the state vector and the linear
 * solver, and adapts the syn_ode callbacks to CVODE's (the 0 / > 0 / < 0
 * contract is the same). The vectors and the dense solver carry the lean
 * operations of lean_ops.c (the same results, bit for bit, for less).
 *
 * Segment loop: the output and stop times are merged; CVODE integrates with
 * its stop time set to the next stop (or the last output) so it never steps
 * across a discontinuity; outputs between stops are taken from CVODE's own
 * interpolant at exactly the requested time. At a stop the caller may change
 * the state and CVODE is reinitialised (once per stop time). CVODE resets its
 * counters on CVodeReInit, so the solver keeps running totals. Which stops a
 * call applies is the contract in solver.h: (current time, last output], plus
 * the start time in the first call, so that consecutive calls with the whole
 * schedule apply every stop exactly once.
 *
 * Dense output: with a step hook set, each segment is run in CV_ONE_STEP
 * mode (same stop time, same tout, hence the same steps as the normal mode);
 * the hook sees every internal step's interval, clipped at the stop time, and
 * may read CVODE's interpolant over it (syn_solver_interpolate); outputs are
 * then interpolated exactly as CVODE's normal mode does. Without a hook the
 * normal mode runs unchanged (no per-step call).
 *
 * Failures are turned into messages for modellers: CVODE's own text is
 * captured by an error handler (never printed), and each failure flag becomes
 * a sentence naming the time, the state that is hardest to follow (largest
 * weighted local error) and what to try. Written for SUNDIALS 6.x; the few
 * places where 7.x differs are shimmed below. */
#include "synovia/solver.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cvodes/cvodes.h>
#include <nvector/nvector_serial.h>
#include <sundials/sundials_types.h>
#include <sundials/sundials_version.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunlinsol/sunlinsol_klu.h>
#include <sunmatrix/sunmatrix_dense.h>
#include <sunmatrix/sunmatrix_sparse.h>
#include <sunnonlinsol/sunnonlinsol_newton.h>

#include "base/alloc.h"
#include "solve/dense_output.h"
#include "solve/lean_ops.h"
#include "solve/linchoice.h"
#include "solve/sun_compat.h"

/* --- SUNDIALS 6.x / 7.x shim ---------------------------------------------- */

enum { SYN_NAME_MAX = 64, SYN_TIME_MAX = 64 };

struct syn_solver {
  const syn_ode *ode;        /* borrowed */
  syn_solver_opts opts;      /* atol_vec is NULL here: the copy lives in atol */
  SUNContext sunctx;
  void *cvode;
  N_Vector y;                /* state at the last returned time */
  double *atol;              /* per-state absolute tolerances, or NULL: opts.atol for all */
  N_Vector scratch1, scratch2; /* local errors and weights for diagnosis */
  N_Vector ystep;            /* state at the end of an internal step (hook mode) */
  N_Vector dky;              /* interpolated state (syn_solver_interpolate) */
  SUNMatrix A;
  SUNLinearSolver LS;
  syn_linsol linsol;         /* DENSE or KLU */
  int use_jac;

  double *jval;              /* ode->nnz Jacobian values from ode->jac */
  /* KLU: the pattern as CVODE wants it (ode pattern plus the diagonal). */
  sunindextype *sp_colptr, *sp_rowind;
  size_t *sp_map;            /* jval[k] goes to data[sp_map[k]] */
  size_t sp_nnz;

  double t;                  /* last returned time */
  int started;               /* an integrate call has run: stops at t0 are done */
  double due;                /* events: the next time they must be handled at (INFINITY) */
  int *roots_found;          /* ode->nroots: CVodeGetRootInfo's directions */

  /* Dense output: with a hook, CVODE runs one step at a time. */
  syn_step_fn hook;
  void *hook_ctx;
  double reach;              /* end of the last interval given to the hook (hook mode) */
  double root_held;          /* hook mode: a root CVODE returned past the output time, for the
                              * next call (NaN: none; a restart forgets it) */
  syn_solver_stats totals;   /* counters of finished segments (before reinit) */

  /* Last failing right-hand side evaluation (for the non-finite diagnosis). */
  int rhs_failing;           /* the most recent rhs call failed */
  int rhs_failed_ever;       /* some rhs call failed during this integrate call */
  double fail_t;
  double *fail_y;
  size_t fail_state;         /* first non-finite derivative, or n if none seen */
  int fail_rc;
  /* Last failing Jacobian evaluation (same purpose). */
  int jac_failing;           /* the most recent Jacobian evaluation failed */
  double jac_fail_t;
  size_t jac_fail_entry;     /* first non-finite entry (pattern order), or nnz */
  int jac_fail_rc;

  char cv_msg[SYN_SUN_MSG_MAX]; /* CVODE's own last error text */

  /* Forward sensitivities (syn_solver_sens_start): CVODES' memory for ns of
   * them, kept across restarts; sens_on while this run integrates them. */
  size_t ns;
  int sens_on, sens_ism;
  N_Vector *yS;              /* at the last returned time (after any jump there) */
  N_Vector *dkyS;            /* interpolated (syn_solver_sens_get) */
  double **sp, **fsp;        /* ns pointers into yS / into fS's output (no allocation per call) */
  double *jsens;             /* ode->nnz Jacobian values for fS */
  int32_t *jrowptr, *jcol, *jent; /* the Jacobian's pattern by rows (fS gathers J s_k per row) */
  double *jrv;               /* its values in that order */
  SUNNonlinearSolver nls_stg; /* the staggered corrector's Newton, on the sensitivities' vectors */
  double *fm, *fp;           /* rates before / after a stop */
  double *pbar;
  syn_sens_dfdp_fn dfdp;
  syn_sens_jump_fn jump;
  void *sens_ctx;
  syn_sens_stats sens_totals; /* of finished segments */
};

/* The sensitivity half of the segment loop (defined with the rest of it below). */
static syn_status sens_take(syn_solver *s, double t, syn_error *err);
static syn_status sens_stop_before(syn_solver *s, double t);
static syn_status sens_stop_after(syn_solver *s, double t, syn_error *err);
static syn_status sens_restart(syn_solver *s, double t, syn_error *err);
static void sens_free(syn_solver *s);
static void bank_sens_stats(syn_solver *s);

/* --- small helpers ------------------------------------------------------------ */

void syn_solver_opts_default(syn_solver_opts *o) {
  if (o == NULL) return;
  memset(o, 0, sizeof *o);
  o->rtol = 1e-6;
  o->atol = 1e-9;
  o->atol_vec = NULL;
  o->max_steps = 50000;
  o->max_step = 0.0;
  o->init_step = 0.0;
  o->max_order = 5;
  o->linsol = SYN_LINSOL_AUTO;
  o->klu_threshold = 100;
  o->use_jacobian = 1;
}

const char *syn_linsol_name(syn_linsol l) {
  switch (l) {
    case SYN_LINSOL_AUTO: return "auto";
    case SYN_LINSOL_DENSE: return "dense";
    case SYN_LINSOL_KLU: return "klu";
  }
  return "unknown";
}

/* "'IL6'" or "y[3]" when the ode has no names. */
static const char *state_name(const syn_ode *ode, size_t i, char *buf, size_t size) {
  if (ode->names != NULL && ode->names[i] != NULL && ode->names[i][0] != '\0')
    snprintf(buf, size, "'%s'", ode->names[i]);
  else
    snprintf(buf, size, "y[%zu]", i);
  return buf;
}

/* "12.5 h" (or "12.5" for a model without a clock unit). */
static const char *time_text(const syn_ode *ode, double t, char *buf, size_t size) {
  if (ode->time_unit != NULL && ode->time_unit[0] != '\0')
    snprintf(buf, size, "%.6g %s", t, ode->time_unit);
  else
    snprintf(buf, size, "%.6g", t);
  return buf;
}

static int is_pos_finite(double x) { return isfinite(x) && x > 0.0; }

/* --- CVODE callbacks ---------------------------------------------------------- */

static void record_rhs_failure(syn_solver *s, double t, const double *y, size_t bad, int rc) {
  s->rhs_failing = 1;
  s->rhs_failed_ever = 1;
  s->fail_t = t;
  memcpy(s->fail_y, y, s->ode->n * sizeof *y);
  s->fail_state = bad;
  s->fail_rc = rc;
}

/* The first non-finite value of v[0..n), or n. The common case, all finite,
 * is one branch-free pass over the bits (the exponent is all ones exactly
 * when (bits & EXP) + 2^52 carries into the sign bit); only then is the
 * culprit looked for. */
static size_t first_nonfinite(const double *v, size_t n) {
  uint64_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t u;
    memcpy(&u, &v[i], sizeof u);
    bad |= (u & 0x7ff0000000000000ULL) + (1ULL << 52);
  }
  if ((bad >> 63) == 0) return n;
  size_t i = 0;
  while (i < n && isfinite(v[i])) i++;
  return i;
}

/* The right-hand side. A non-finite derivative is turned into a recoverable
 * failure (> 0) so CVODE retries with a smaller step instead of carrying NaN.
 * Serial vectors: NV_DATA_S, not two calls through the vector layer. */
static int cv_rhs(sunrealtype t, N_Vector yv, N_Vector ydotv, void *user) {
  syn_solver *s = user;
  const syn_ode *ode = s->ode;
  const double *y = NV_DATA_S(yv);
  double *f = NV_DATA_S(ydotv);
  int rc = ode->rhs(t, y, f, ode->ctx);
  size_t bad = ode->n;
  if (rc == 0) {
    bad = first_nonfinite(f, ode->n);
    rc = bad < ode->n;
  }
  if (rc != 0)
    record_rhs_failure(s, t, y, bad, rc);
  else
    s->rhs_failing = 0;
  return rc;
}

/* Evaluate ode->jac into s->jval; a non-finite entry is a recoverable failure
 * (CVODE retries with a smaller step). The failure is kept for the diagnosis. */
static int eval_jac_values(syn_solver *s, double t, const double *y) {
  const syn_ode *ode = s->ode;
  size_t bad = ode->nnz;
  int rc = ode->jac(t, y, s->jval, ode->ctx);
  for (size_t k = 0; rc == 0 && k < ode->nnz; k++) {
    if (!isfinite(s->jval[k])) {
      bad = k;
      rc = 1;
    }
  }
  s->jac_failing = rc != 0;
  if (rc != 0) {
    s->jac_fail_t = t;
    s->jac_fail_entry = bad;
    s->jac_fail_rc = rc;
  }
  return rc;
}

/* CVODE zeroes a dense J before calling; scatter the pattern's entries. */
static void scatter_dense(const syn_solver *s, SUNMatrix J) {
  const syn_ode *ode = s->ode;
  for (size_t j = 0; j < ode->n; j++) {
    sunrealtype *col = SUNDenseMatrix_Column(J, (sunindextype)j);
    for (int32_t k = ode->colptr[j]; k < ode->colptr[j + 1]; k++) col[ode->rowind[k]] = s->jval[k];
  }
}

/* SUNMatZero clears a sparse J's structure too, so it is written every time.
 * The pattern always holds the diagonal, so CVODE's I - gamma*J stays in
 * place and KLU's symbolic analysis stays valid. */
static int scatter_sparse(const syn_solver *s, SUNMatrix J) {
  if ((size_t)SUNSparseMatrix_NNZ(J) < s->sp_nnz) return -1;
  memcpy(SUNSparseMatrix_IndexPointers(J), s->sp_colptr, (s->ode->n + 1) * sizeof(sunindextype));
  memcpy(SUNSparseMatrix_IndexValues(J), s->sp_rowind, s->sp_nnz * sizeof(sunindextype));
  sunrealtype *data = SUNSparseMatrix_Data(J);
  memset(data, 0, s->sp_nnz * sizeof *data);
  for (size_t k = 0; k < s->ode->nnz; k++) data[s->sp_map[k]] = s->jval[k];
  return 0;
}

static int cv_jac(sunrealtype t, N_Vector yv, N_Vector fy, SUNMatrix J, void *user, N_Vector tmp1,
                  N_Vector tmp2, N_Vector tmp3) {
  (void)fy, (void)tmp1, (void)tmp2, (void)tmp3;
  syn_solver *s = user;
  int rc = eval_jac_values(s, t, N_VGetArrayPointer(yv));
  if (rc != 0) return rc;
  if (s->linsol == SYN_LINSOL_KLU) return scatter_sparse(s, J);
  scatter_dense(s, J);
  return 0;
}

/* Keep CVODE's message for the diagnosis instead of letting it print. */
static int install_err_handler(syn_solver *s) {
  return syn_sun_capture_cvode(s->sunctx, s->cvode, s->cv_msg);
}

/* --- validation --------------------------------------------------------------- */

static syn_status check_pattern(const syn_ode *ode, syn_error *err) {
  if (ode->colptr == NULL || ode->rowind == NULL)
    return syn_error_set(err, SYN_EINVAL, "the ODE has a Jacobian function but no sparsity pattern");
  if (ode->colptr[0] != 0 || ode->colptr[ode->n] < 0 || (size_t)ode->colptr[ode->n] != ode->nnz)
    return syn_error_set(err, SYN_EINVAL,
                         "the Jacobian pattern is inconsistent: colptr[0] = %d, colptr[n] = %d, "
                         "nnz = %zu",
                         (int)ode->colptr[0], (int)ode->colptr[ode->n], ode->nnz);
  for (size_t j = 0; j < ode->n; j++) {
    if (ode->colptr[j + 1] < ode->colptr[j])
      return syn_error_set(err, SYN_EINVAL, "the Jacobian pattern's column %zu has negative length",
                           j);
    for (int32_t k = ode->colptr[j]; k < ode->colptr[j + 1]; k++) {
      int32_t r = ode->rowind[k];
      if (r < 0 || (size_t)r >= ode->n || (k > ode->colptr[j] && r <= ode->rowind[k - 1]))
        return syn_error_set(err, SYN_EINVAL,
                             "the Jacobian pattern's column %zu has a row index out of range or "
                             "out of order (%d)",
                             j, (int)r);
    }
  }
  return SYN_OK;
}

static syn_status check_ode(const syn_ode *ode, syn_error *err) {
  if (ode == NULL || ode->rhs == NULL)
    return syn_error_set(err, SYN_EINVAL, "the ODE has no right-hand side function");
  if (ode->n == 0) return syn_error_set(err, SYN_EINVAL, "the ODE has no states");
  if (ode->nroots > 0 && (ode->roots == NULL || ode->events == NULL || ode->nroots > INT32_MAX))
    return syn_error_set(err, SYN_EINVAL, "the ODE has root functions but no root or event "
                                          "function");
  if (ode->jac != NULL) return check_pattern(ode, err);
  return SYN_OK;
}

static syn_status check_opts(const syn_ode *ode, const syn_solver_opts *o, syn_error *err) {
  char nm[SYN_NAME_MAX];
  syn_status st = SYN_EINVAL;
  if (!is_pos_finite(o->rtol) || o->rtol >= 1.0) {
    syn_error_set(err, st, "invalid solver option rtol = %g: the relative tolerance must be a "
                           "positive number below 1", o->rtol);
    syn_error_hint(err, "typical values are 1e-4 to 1e-10 (default 1e-6)");
    return st;
  }
  if (o->atol_vec == NULL && !is_pos_finite(o->atol)) {
    syn_error_set(err, st, "invalid solver option atol = %g: the absolute tolerance must be a "
                           "positive finite number", o->atol);
    syn_error_hint(err, "choose it well below the smallest concentration that matters "
                        "(default 1e-9)");
    return st;
  }
  if (o->atol_vec != NULL) {
    for (size_t i = 0; i < ode->n; i++) {
      if (!is_pos_finite(o->atol_vec[i]))
        return syn_error_set(err, st, "invalid solver option atol for state %s = %g: absolute "
                                      "tolerances must be positive finite numbers",
                             state_name(ode, i, nm, sizeof nm), o->atol_vec[i]);
    }
  }
  if (o->max_steps <= 0)
    return syn_error_set(err, st, "invalid solver option max_steps = %ld: it must be at least 1",
                         o->max_steps);
  if (!isfinite(o->max_step) || o->max_step < 0.0)
    return syn_error_set(err, st, "invalid solver option max_step = %g: it must be 0 (unlimited) "
                                  "or a positive finite step", o->max_step);
  if (!isfinite(o->init_step) || o->init_step < 0.0)
    return syn_error_set(err, st, "invalid solver option init_step = %g: it must be 0 (automatic) "
                                  "or a positive finite step", o->init_step);
  if (o->max_step > 0.0 && o->init_step > o->max_step)
    return syn_error_set(err, st, "invalid solver options: init_step = %g is larger than "
                                  "max_step = %g", o->init_step, o->max_step);
  if (o->max_order < 1 || o->max_order > 5)
    return syn_error_set(err, st, "invalid solver option max_order = %d: BDF orders are 1 to 5",
                         o->max_order);
  if (o->linsol != SYN_LINSOL_AUTO && o->linsol != SYN_LINSOL_DENSE && o->linsol != SYN_LINSOL_KLU)
    return syn_error_set(err, st, "invalid solver option linsol = %d: use auto, dense or klu",
                         (int)o->linsol);
  if (o->use_jacobian != 0 && o->use_jacobian != 1)
    return syn_error_set(err, st, "invalid solver option use_jacobian = %d: use 0 or 1",
                         o->use_jacobian);
  return SYN_OK;
}

/* Dense or KLU: AUTO takes KLU only when an exact Jacobian is at hand (KLU
 * needs the pattern): always from klu_threshold states on, and below that
 * when the cost model of the pattern (linchoice.c: counts from KLU's
 * symbolic analysis, weights fitted once by measurement) says it is cheaper.
 * Deterministic: the same pattern always gets the same solver. Asking for
 * KLU without a Jacobian is refused. */
static syn_status choose_linsol(const syn_ode *ode, const syn_solver_opts *o, int use_jac,
                                syn_linsol *out, syn_error *err) {
  if (o->linsol == SYN_LINSOL_KLU) {
    if (!use_jac) {
      syn_error_set(err, SYN_EINVAL, "the sparse linear solver (KLU) needs the model's Jacobian, "
                                     "but %s",
                    ode->jac == NULL ? "this ODE has none" : "use_jacobian is off");
      syn_error_hint(err, "use the dense linear solver, or turn the symbolic Jacobian back on");
      return SYN_EINVAL;
    }
    *out = SYN_LINSOL_KLU;
  } else if (o->linsol == SYN_LINSOL_AUTO && use_jac && ode->n >= o->klu_threshold) {
    *out = SYN_LINSOL_KLU;
  } else if (o->linsol == SYN_LINSOL_AUTO && use_jac) {
    syn_linsol_cost cost;
    syn_status st = syn_linsol_estimate(ode->n, ode->colptr, ode->rowind, &cost, err);
    if (st != SYN_OK) return st;
    *out = syn_linsol_cheaper(&cost);
  } else {
    *out = SYN_LINSOL_DENSE;
  }
  return SYN_OK;
}

/* --- creation ----------------------------------------------------------------- */

/* The KLU pattern: the ode's pattern with every missing diagonal entry added. */
static syn_status build_sparse_pattern(syn_solver *s, syn_error *err) {
  const syn_ode *ode = s->ode;
  size_t n = ode->n, extra = 0;
  for (size_t j = 0; j < n; j++) {
    int has = 0;
    for (int32_t k = ode->colptr[j]; k < ode->colptr[j + 1]; k++) has |= (size_t)ode->rowind[k] == j;
    extra += !has;
  }
  s->sp_nnz = ode->nnz + extra;
  s->sp_colptr = syn_calloc(n + 1, sizeof *s->sp_colptr);
  s->sp_rowind = syn_calloc(s->sp_nnz, sizeof *s->sp_rowind);
  s->sp_map = syn_calloc(ode->nnz > 0 ? ode->nnz : 1, sizeof *s->sp_map);
  if (s->sp_colptr == NULL || s->sp_rowind == NULL || s->sp_map == NULL)
    return syn_error_set(err, SYN_ENOMEM, "out of memory for the sparse Jacobian pattern");
  size_t p = 0;
  for (size_t j = 0; j < n; j++) {
    s->sp_colptr[j] = (sunindextype)p;
    int diag_done = 0;
    for (int32_t k = ode->colptr[j]; k < ode->colptr[j + 1]; k++) {
      size_t r = (size_t)ode->rowind[k];
      if (!diag_done && r > j) s->sp_rowind[p++] = (sunindextype)j;
      if (r >= j) diag_done = 1;
      s->sp_map[k] = p;
      s->sp_rowind[p++] = (sunindextype)r;
    }
    if (!diag_done) s->sp_rowind[p++] = (sunindextype)j;
  }
  s->sp_colptr[n] = (sunindextype)p;
  return p == s->sp_nnz ? SYN_OK
                        : syn_error_set(err, SYN_EINTERNAL, "sparse pattern size mismatch");
}

static syn_status setup_linear_solver(syn_solver *s, syn_error *err) {
  sunindextype n = (sunindextype)s->ode->n;
  if (s->linsol == SYN_LINSOL_KLU) {
    syn_status st = build_sparse_pattern(s, err);
    if (st != SYN_OK) return st;
    s->A = SUNSparseMatrix(n, n, (sunindextype)s->sp_nnz, CSC_MAT, s->sunctx);
    if (s->A != NULL) s->LS = SUNLinSol_KLU(s->y, s->A, s->sunctx);
  } else {
    s->A = SUNDenseMatrix(n, n, s->sunctx);
    if (s->A != NULL) s->LS = SUNLinSol_Dense(s->y, s->A, s->sunctx);
    if (s->LS != NULL) syn_lean_dense_ops(s->LS, s->A);
  }
  if (s->A == NULL || s->LS == NULL)
    return syn_error_set(err, SYN_ENOMEM, "could not create the %s linear solver for %zu states",
                         syn_linsol_name(s->linsol), s->ode->n);
  if (CVodeSetLinearSolver(s->cvode, s->LS, s->A) != CV_SUCCESS)
    return syn_error_set(err, SYN_EINTERNAL, "CVODE refused the linear solver: %s", s->cv_msg);
  if (s->use_jac) {
    if (CVodeSetJacFn(s->cvode, cv_jac) != CV_SUCCESS)
      return syn_error_set(err, SYN_EINTERNAL, "CVODE refused the Jacobian: %s", s->cv_msg);
  }
  return SYN_OK;
}

/* CVODE's error weights w_i = 1 / (rtol |y_i| + atol_i), set before every
 * step. CVODE's own routine makes four passes through the vector layer (abs,
 * scale, add, invert: about 3 % of a small model's solve); this is one loop
 * with the same operations in the same order, each rounded (two statements:
 * no contraction into a fused multiply-add), hence the same weights to the
 * bit. All atol_i > 0 (check_opts), so no weight is infinite: CVODE's test
 * for non-positive denominators, made only when some atol is 0, never fires. */
static int cv_ewt(N_Vector yv, N_Vector wv, void *user) {
  const syn_solver *s = user;
  const double *restrict y = NV_DATA_S(yv);
  double *restrict w = NV_DATA_S(wv);
  const double rtol = s->opts.rtol, atol = s->opts.atol, *restrict atol_i = s->atol;
  size_t n = s->ode->n;
  if (atol_i != NULL) {
    for (size_t i = 0; i < n; i++) {
      double d = rtol * fabs(y[i]);
      d += atol_i[i];
      w[i] = 1.0 / d;
    }
  } else {
    for (size_t i = 0; i < n; i++) {
      double d = rtol * fabs(y[i]);
      d += atol;
      w[i] = 1.0 / d;
    }
  }
  return 0;
}

static syn_status setup_tolerances(syn_solver *s, const syn_solver_opts *o, syn_error *err) {
  if (o->atol_vec != NULL) {
    s->atol = syn_malloc(s->ode->n * sizeof *s->atol);
    if (s->atol == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory for tolerances");
    memcpy(s->atol, o->atol_vec, s->ode->n * sizeof *s->atol);
  }
  if (CVodeWFtolerances(s->cvode, cv_ewt) != CV_SUCCESS)
    return syn_error_set(err, SYN_EINVAL, "CVODE refused the tolerances: %s", s->cv_msg);
  return SYN_OK;
}

static syn_status setup_limits(syn_solver *s, const syn_solver_opts *o, syn_error *err) {
  int flag = CVodeSetMaxNumSteps(s->cvode, o->max_steps);
  if (flag == CV_SUCCESS && o->max_step > 0.0) flag = CVodeSetMaxStep(s->cvode, o->max_step);
  if (flag == CV_SUCCESS && o->init_step > 0.0) flag = CVodeSetInitStep(s->cvode, o->init_step);
  if (flag == CV_SUCCESS) flag = CVodeSetMaxOrd(s->cvode, o->max_order);
  if (flag != CV_SUCCESS)
    return syn_error_set(err, SYN_EINVAL, "CVODE refused a solver option: %s", s->cv_msg);
  return SYN_OK;
}

static syn_status check_initial(const syn_ode *ode, double t0, const double *y0, syn_error *err) {
  char nm[SYN_NAME_MAX];
  if (!isfinite(t0)) return syn_error_set(err, SYN_EINVAL, "the start time %g is not finite", t0);
  if (y0 == NULL) return syn_error_set(err, SYN_EINVAL, "no initial state given");
  for (size_t i = 0; i < ode->n; i++)
    if (!isfinite(y0[i]))
      return syn_error_set(err, SYN_ENONFINITE, "the initial value of state %s is %g",
                           state_name(ode, i, nm, sizeof nm), y0[i]);
  return SYN_OK;
}

/* The events' root functions (syn_ode.roots): CVODE locates their sign changes. */
static int cv_roots(sunrealtype t, N_Vector yv, sunrealtype *g, void *user) {
  const syn_solver *s = user;
  return s->ode->roots(t, N_VGetArrayPointer(yv), g, s->ode->ctx);
}

static syn_status create_cvode(syn_solver *s, const double *y0, syn_error *err) {
  size_t n = s->ode->n;
  if (SUNContext_Create(SYN_SUN_COMM_NULL, &s->sunctx) != 0) {
    s->sunctx = NULL;
    return syn_error_set(err, SYN_ENOMEM, "could not create the SUNDIALS context");
  }
  s->y = N_VNew_Serial((sunindextype)n, s->sunctx);
  /* CVODE clones its vectors from y: with the fused operations, a step's
   * q+1-term updates (N_VScaleAddMulti, interpolation's N_VLinearCombination)
   * are one loop instead of q+1 calls of N_VLinearSum, and lean_ops.c's
   * loops replace the serial vector's; the same products and sums in the
   * same order, so the same bits. */
  if (s->y != NULL) syn_lean_vector_ops(s->y);
  s->scratch1 = N_VNew_Serial((sunindextype)n, s->sunctx);
  s->scratch2 = N_VNew_Serial((sunindextype)n, s->sunctx);
  s->ystep = N_VNew_Serial((sunindextype)n, s->sunctx);
  s->dky = N_VNew_Serial((sunindextype)n, s->sunctx);
  /* interpolation (CVodeGetDky) combines CVODE's history into dky with dky's
   * operations: the fused, lean ones, not q+1 N_VLinearSum calls */
  if (s->dky != NULL) syn_lean_vector_ops(s->dky);
  s->cvode = CVodeCreate(CV_BDF, s->sunctx);
  if (s->y == NULL || s->scratch1 == NULL || s->scratch2 == NULL || s->ystep == NULL ||
      s->dky == NULL || s->cvode == NULL)
    return syn_error_set(err, SYN_ENOMEM, "out of memory creating CVODE for %zu states", n);
  if (install_err_handler(s) != 0)
    return syn_error_set(err, SYN_EINTERNAL, "could not install the CVODE error handler");
  memcpy(N_VGetArrayPointer(s->y), y0, n * sizeof *y0);
  if (CVodeInit(s->cvode, cv_rhs, s->t, s->y) != CV_SUCCESS)
    return syn_error_set(err, SYN_ENOMEM, "CVODE initialisation failed: %s", s->cv_msg);
  if (s->ode->nroots > 0 && CVodeRootInit(s->cvode, (int)s->ode->nroots, cv_roots) != CV_SUCCESS)
    return syn_error_set(err, SYN_ENOMEM, "CVODE's root-finding could not start: %s", s->cv_msg);
  if (CVodeSetUserData(s->cvode, s) != CV_SUCCESS)
    return syn_error_set(err, SYN_EINTERNAL, "CVODE refused the user data: %s", s->cv_msg);
  return SYN_OK;
}

syn_status syn_solver_create(const syn_ode *ode, const syn_solver_opts *opts, double t0,
                             const double *y0, syn_solver **out, syn_error *err) {
  syn_solver *s = NULL;
  syn_solver_opts dflt;
  syn_status st;
  if (out == NULL) return syn_error_set(err, SYN_EINVAL, "syn_solver_create: out is NULL");
  *out = NULL;
  if (opts == NULL) {
    syn_solver_opts_default(&dflt);
    opts = &dflt;
  }
  st = check_ode(ode, err);
  if (st == SYN_OK) st = check_opts(ode, opts, err);
  if (st == SYN_OK) st = check_initial(ode, t0, y0, err);
  if (st != SYN_OK) goto fail;

  s = syn_calloc(1, sizeof *s);
  if (s == NULL) {
    st = syn_error_set(err, SYN_ENOMEM, "out of memory creating the solver");
    goto fail;
  }
  s->root_held = (double)NAN;
  s->ode = ode;
  s->opts = *opts;
  s->opts.atol_vec = NULL;
  s->t = t0;
  s->due = INFINITY;
  s->use_jac = opts->use_jacobian && ode->jac != NULL;
  s->fail_y = syn_calloc(ode->n, sizeof *s->fail_y);
  s->jval = syn_calloc(ode->nnz > 0 ? ode->nnz : 1, sizeof *s->jval);
  s->roots_found = syn_calloc(ode->nroots + 1, sizeof *s->roots_found);
  if (s->fail_y == NULL || s->jval == NULL || s->roots_found == NULL) {
    st = syn_error_set(err, SYN_ENOMEM, "out of memory creating the solver");
    goto fail;
  }
  st = choose_linsol(ode, opts, s->use_jac, &s->linsol, err);
  if (st == SYN_OK) st = create_cvode(s, y0, err);
  if (st == SYN_OK) st = setup_tolerances(s, opts, err);
  if (st == SYN_OK) st = setup_linear_solver(s, err);
  if (st == SYN_OK) st = setup_limits(s, opts, err);
  if (st != SYN_OK) goto fail;
  s->totals.linsol = s->linsol;
  *out = s;
  return SYN_OK;
fail:
  syn_solver_destroy(s);
  return st;
}

/* Back to the state syn_solver_create leaves, reusing every allocation:
 * CVodeReInit resets CVODE's history and counters (as at a dose), and KLU's
 * factorisation is dropped so the first one is a full factorisation again,
 * as in a new solver (a refactorisation keeps the old pivots). */
syn_status syn_solver_reinit(syn_solver *s, double t0, const double *y0, syn_error *err) {
  if (s == NULL) return syn_error_set(err, SYN_EINVAL, "syn_solver_reinit: no solver");
  syn_status st = check_initial(s->ode, t0, y0, err);
  if (st != SYN_OK) return st;
  memcpy(N_VGetArrayPointer(s->y), y0, s->ode->n * sizeof *y0);
  s->t = t0;
  s->started = 0;
  s->root_held = (double)NAN;
  s->due = INFINITY;
  s->hook = NULL;
  s->hook_ctx = NULL;
  s->reach = t0;
  memset(&s->totals, 0, sizeof s->totals);
  s->totals.linsol = s->linsol;
  s->rhs_failing = s->rhs_failed_ever = s->jac_failing = 0;
  s->cv_msg[0] = '\0';
  if (s->linsol == SYN_LINSOL_KLU &&
      SUNLinSol_KLUReInit(s->LS, s->A, (sunindextype)s->sp_nnz, SUNKLU_REINIT_PARTIAL) !=
          SYN_SUNLS_SUCCESS)
    return syn_error_set(err, SYN_EINTERNAL, "the sparse linear solver could not restart");
  if (CVodeReInit(s->cvode, t0, s->y) != CV_SUCCESS)
    return syn_error_set(err, SYN_ESOLVER, "the solver could not restart at t = %g: %s", t0,
                         s->cv_msg);
  if (s->sens_on) CVodeSensToggleOff(s->cvode);
  s->sens_on = 0;
  memset(&s->sens_totals, 0, sizeof s->sens_totals);
  return SYN_OK;
}

void syn_solver_destroy(syn_solver *s) {
  if (s == NULL) return;
  sens_free(s);
  if (s->cvode != NULL) CVodeFree(&s->cvode);
  if (s->LS != NULL) SUNLinSolFree(s->LS);
  if (s->A != NULL) SUNMatDestroy(s->A);
  if (s->y != NULL) N_VDestroy(s->y);
  if (s->scratch1 != NULL) N_VDestroy(s->scratch1);
  if (s->scratch2 != NULL) N_VDestroy(s->scratch2);
  if (s->ystep != NULL) N_VDestroy(s->ystep);
  if (s->dky != NULL) N_VDestroy(s->dky);
  if (s->sunctx != NULL) SUNContext_Free(&s->sunctx);
  syn_free(s->jval);
  syn_free(s->atol);
  syn_free(s->sp_colptr);
  syn_free(s->sp_rowind);
  syn_free(s->sp_map);
  syn_free(s->fail_y);
  syn_free(s->roots_found);
  syn_free(s);
}

/* --- statistics --------------------------------------------------------------- */

/* Counters of the current CVODE segment (since the last (re)initialisation). */
static void segment_stats(const syn_solver *s, syn_solver_stats *st) {
  long nfe_ls = 0;
  memset(st, 0, sizeof *st);
  CVodeGetNumSteps(s->cvode, &st->nsteps);
  CVodeGetNumRhsEvals(s->cvode, &st->nfevals);
  CVodeGetNumLinRhsEvals(s->cvode, &nfe_ls);
  CVodeGetNumJacEvals(s->cvode, &st->njevals);
  /* Before the first step after CVodeReInit the linear solver's counters
   * still hold the last segment's (they are reset by the next CVode call):
   * a segment without a step has made no evaluation. */
  if (st->nsteps == 0) nfe_ls = st->njevals = 0;
  st->nfevals += nfe_ls; /* every right-hand side evaluation, difference quotients included */
  CVodeGetNumLinSolvSetups(s->cvode, &st->nlinsetups);
  CVodeGetNumErrTestFails(s->cvode, &st->netfails);
  CVodeGetNumNonlinSolvIters(s->cvode, &st->nniters);
  CVodeGetNumNonlinSolvConvFails(s->cvode, &st->nncfails);
  if (st->nsteps > 0) {
    sunrealtype h = 0.0;
    CVodeGetLastStep(s->cvode, &h);
    st->hlast = h;
    CVodeGetLastOrder(s->cvode, &st->qlast);
  }
}

void syn_solver_get_stats(const syn_solver *s, syn_solver_stats *st) {
  syn_solver_stats seg, sum;
  if (st == NULL) return;
  if (s == NULL) {
    memset(st, 0, sizeof *st);
    return;
  }
  segment_stats(s, &seg);
  sum = s->totals;
  sum.nsteps += seg.nsteps;
  sum.nfevals += seg.nfevals;
  sum.njevals += seg.njevals;
  sum.nlinsetups += seg.nlinsetups;
  sum.netfails += seg.netfails;
  sum.nniters += seg.nniters;
  sum.nncfails += seg.nncfails;
  if (seg.nsteps > 0) {
    sum.hlast = seg.hlast;
    sum.qlast = seg.qlast;
  }
  *st = sum; /* st may be &s->totals */
}

/* Fold the segment's counters into the totals before CVodeReInit resets them. */
static void bank_segment_stats(syn_solver *s) {
  syn_solver_get_stats(s, &s->totals);
  s->totals.nreinit++;
}

double syn_solver_time(const syn_solver *s) { return s != NULL ? s->t : (double)NAN; }

void syn_solver_state(const syn_solver *s, double *y) {
  if (s == NULL || y == NULL) return;
  memcpy(y, N_VGetArrayPointer(s->y), s->ode->n * sizeof *y);
}

/* --- failure diagnosis -------------------------------------------------------- */

/* The state with the largest weighted local error estimate, or n if CVODE
 * has none (no step attempted yet). */
static size_t hardest_state(syn_solver *s) {
  size_t n = s->ode->n, best = n;
  if (CVodeGetEstLocalErrors(s->cvode, s->scratch1) != CV_SUCCESS) return n;
  if (CVodeGetErrWeights(s->cvode, s->scratch2) != CV_SUCCESS) return n;
  const double *ele = N_VGetArrayPointer(s->scratch1), *w = N_VGetArrayPointer(s->scratch2);
  double worst = 0.0;
  for (size_t i = 0; i < n; i++) {
    double e = fabs(ele[i] * w[i]);
    if (isfinite(e) && e > worst) {
      worst = e;
      best = i;
    }
  }
  return best;
}

static double cvode_time(syn_solver *s) {
  sunrealtype t = s->t;
  if (CVodeGetCurrentTime(s->cvode, &t) != CV_SUCCESS) t = s->t;
  return t;
}

/* Explain a persistent non-finite right-hand side at the last failing point. */
static syn_status fail_nonfinite(syn_solver *s, syn_error *err) {
  const syn_ode *ode = s->ode;
  char why[SYN_ERROR_MSG_MAX / 2], tt[SYN_TIME_MAX], nm[SYN_NAME_MAX];
  why[0] = '\0';
  if (ode->explain == NULL || !ode->explain(s->fail_t, s->fail_y, why, sizeof why, ode->ctx) ||
      why[0] == '\0') {
    if (s->fail_state < ode->n)
      snprintf(why, sizeof why, "d/dt %s is not finite",
               state_name(ode, s->fail_state, nm, sizeof nm));
    else
      snprintf(why, sizeof why, "the right-hand side reported a failure (code %d)", s->fail_rc);
  }
  syn_error_set(err, SYN_ENONFINITE, "the model produced a non-finite value at t = %s: %s",
                time_text(ode, s->fail_t, tt, sizeof tt), why);
  syn_error_hint(err, "check the expression for a division by zero, log or sqrt of a negative "
                      "value, or a power that overflows; a state that should stay positive may "
                      "have gone negative (tighten --atol)");
  return SYN_ENONFINITE;
}

/* Explain a persistent failure of the Jacobian at the last failing point. */
static syn_status fail_jacobian(syn_solver *s, syn_error *err) {
  const syn_ode *ode = s->ode;
  char tt[SYN_TIME_MAX], fi[SYN_NAME_MAX], yj[SYN_NAME_MAX];
  syn_status st;
  time_text(ode, s->jac_fail_t, tt, sizeof tt);
  if (s->jac_fail_entry < ode->nnz) {
    size_t k = s->jac_fail_entry, col = 0;
    while ((size_t)ode->colptr[col + 1] <= k) col++; /* the column whose range holds k */
    st = syn_error_set(err, SYN_ENONFINITE,
                  "the model's Jacobian is not finite at t = %s: d(d/dt %s)/d%s = %g", tt,
                  state_name(ode, (size_t)ode->rowind[k], fi, sizeof fi),
                  state_name(ode, col, yj, sizeof yj), s->jval[k]);
  } else {
    st = syn_error_set(err, SYN_ESOLVER,
                  "the model's Jacobian function reported a failure (code %d) at t = %s",
                  s->jac_fail_rc, tt);
  }
  syn_error_hint(err, "the rates are finite there but their derivatives are not (sqrt or a "
                      "fractional power at 0, a kink); keep the state away from that point, or "
                      "run with --no-jacobian");
  return st;
}

/* The texts a failure message is made of. */
typedef struct fail_text {
  char t_from[SYN_TIME_MAX], t_to[SYN_TIME_MAX], t_now[SYN_TIME_MAX];
  char who[SYN_NAME_MAX + 64];  /* " (state 'X' is the hardest to follow)" or "" */
  char rate[SYN_NAME_MAX + 16]; /* "d/dt 'X'" or "the right-hand side" */
} fail_text;

static void fill_fail_text(syn_solver *s, double t_from, double t_to, double tn, fail_text *f) {
  const syn_ode *ode = s->ode;
  char nm[SYN_NAME_MAX];
  size_t hard = hardest_state(s);
  time_text(ode, t_from, f->t_from, sizeof f->t_from);
  time_text(ode, t_to, f->t_to, sizeof f->t_to);
  time_text(ode, tn, f->t_now, sizeof f->t_now);
  f->who[0] = '\0';
  snprintf(f->rate, sizeof f->rate, "the right-hand side");
  if (hard < ode->n) {
    state_name(ode, hard, nm, sizeof nm);
    snprintf(f->who, sizeof f->who, " (state %s is the hardest to follow)", nm);
    snprintf(f->rate, sizeof f->rate, "d/dt %s", nm);
  }
}

/* The message for a CVODE flag that is not about the model's callbacks. */
static syn_status fail_numerics(syn_solver *s, int flag, const fail_text *f, int to_output,
                                syn_error *err) {
  syn_status st = SYN_ESOLVER;
  switch (flag) {
    case CV_TOO_MUCH_WORK:
      syn_error_set(err, st,
                    "the solver took %ld steps between t = %s and t = %s without reaching the "
                    "next %s at t = %s%s",
                    s->opts.max_steps, f->t_from, f->t_now, to_output ? "output" : "stop",
                    f->t_to, f->who);
      syn_error_hint(err, "raise --max-steps, loosen --rtol, or check %s for a value that grows "
                          "without bound", f->rate);
      break;
    case CV_TOO_MUCH_ACC:
      syn_error_set(err, st, "the solver cannot reach the requested accuracy at t = %s%s",
                    f->t_now, f->who);
      syn_error_hint(err, "loosen --rtol or --atol (rtol below about 1e-14 is beyond double "
                          "precision)");
      break;
    case CV_ERR_FAILURE:
      syn_error_set(err, st,
                    "the solver's error test failed repeatedly at t = %s, down to the smallest "
                    "step%s", f->t_now, f->who);
      syn_error_hint(err, "a sudden change in %s (a switch or step in time) should be a stop time "
                          "of the schedule; otherwise loosen --atol for states near zero or "
                          "tighten --rtol", f->rate);
      break;
    case CV_CONV_FAILURE:
    case CV_NLS_SETUP_FAIL:
    case CV_NLS_FAIL:
      syn_error_set(err, st,
                    "the Newton iteration failed to converge repeatedly at t = %s, down to the "
                    "smallest step%s", f->t_now, f->who);
      syn_error_hint(err, "the model may be extremely stiff or discontinuous here; check %s for "
                          "a switch, tighten --rtol, or compare with --no-jacobian", f->rate);
      break;
    case CV_LSETUP_FAIL:
    case CV_LSOLVE_FAIL:
      syn_error_set(err, st,
                    "the linear solver failed at t = %s (the Newton matrix is singular)%s",
                    f->t_now, f->who);
      syn_error_hint(err, "check the Jacobian of %s for a huge entry, or try --linear-solver "
                          "dense", f->rate);
      break;
    case CV_TOO_CLOSE:
      syn_error_set(err, st,
                    "the next time t = %s is too close to the current time t = %s for the "
                    "solver to start", f->t_to, f->t_from);
      syn_error_hint(err, "space output and stop times further apart");
      break;
    case CV_MEM_FAIL:
      st = syn_error_set(err, SYN_ENOMEM, "the solver ran out of memory at t = %s", f->t_now);
      break;
    default:
      syn_error_set(err, st, "the solver failed at t = %s%s (CVODE flag %d): %s", f->t_now,
                    f->who, flag, s->cv_msg[0] ? s->cv_msg : "no details");
      syn_error_hint(err, "try --linear-solver dense, --no-jacobian or other tolerances; if it "
                          "persists, report it with the model");
      break;
  }
  return st;
}

/* Turn a CVODE failure flag into a message for modellers. */
static syn_status diagnose_failure(syn_solver *s, int flag, double t_from, double t_to,
                                   int to_output, syn_error *err) {
  double tn = cvode_time(s);
  int rhs_flag = flag == CV_RHSFUNC_FAIL || flag == CV_FIRST_RHSFUNC_ERR ||
                 flag == CV_REPTD_RHSFUNC_ERR || flag == CV_UNREC_RHSFUNC_ERR;
  /* A failing right-hand side can also surface as convergence, error-test or
   * linear-solver-setup failures (the latest evaluation failed), or as too
   * much work: CVODE creeps towards a point past which the rhs always fails,
   * with ever smaller steps (the last failure lies right ahead of tn). */
  double span = fmax(fabs(tn), fabs(t_to - t_from));
  int stuck = s->rhs_failed_ever && fabs(s->fail_t - tn) <= 1e-6 * span;
  if (rhs_flag || s->rhs_failing || stuck) return fail_nonfinite(s, err);
  /* A failing Jacobian shows as a linear-solver setup or convergence failure. */
  if (s->jac_failing) return fail_jacobian(s, err);
  fail_text f;
  fill_fail_text(s, t_from, t_to, tn, &f);
  return fail_numerics(s, flag, &f, to_output, err);
}

/* --- the segment loop ---------------------------------------------------------- */

static syn_status check_times(const syn_solver *s, const double *t_out, size_t n_out,
                              const double *t_stop, size_t n_stop, syn_error *err) {
  if (n_out > 0 && t_out == NULL) return syn_error_set(err, SYN_EINVAL, "no output times given");
  if (n_stop > 0 && t_stop == NULL) return syn_error_set(err, SYN_EINVAL, "no stop times given");
  for (size_t i = 0; i < n_out; i++) {
    if (!isfinite(t_out[i]))
      return syn_error_set(err, SYN_EINVAL, "output time %zu is not finite (%g)", i, t_out[i]);
    if (t_out[i] < s->t)
      return syn_error_set(err, SYN_EINVAL,
                           "output time %g lies before the solver's current time %g", t_out[i],
                           s->t);
    if (i > 0 && t_out[i] <= t_out[i - 1])
      return syn_error_set(err, SYN_EINVAL, "output times must increase (%g follows %g)",
                           t_out[i], t_out[i - 1]);
  }
  for (size_t j = 0; j < n_stop; j++) {
    if (!isfinite(t_stop[j]))
      return syn_error_set(err, SYN_EINVAL, "stop time %zu is not finite (%g)", j, t_stop[j]);
    if (j > 0 && t_stop[j] < t_stop[j - 1])
      return syn_error_set(err, SYN_EINVAL, "stop times must not decrease (%g follows %g)",
                           t_stop[j], t_stop[j - 1]);
  }
  return SYN_OK;
}

/* Advance CVODE to tout, never past tstop. On failure the solver's time and
 * state are where CVODE stopped (it returns both), so they stay consistent. */
static syn_status advance(syn_solver *s, double tout, double tstop, int to_output, int *rooted,
                          syn_error *err) {
  sunrealtype tret = s->t;
  double t_from = s->t;
  s->cv_msg[0] = '\0';
  s->rhs_failing = 0;
  s->rhs_failed_ever = 0;
  s->jac_failing = 0;
  int flag = CVodeSetStopTime(s->cvode, tstop);
  if (flag == CV_SUCCESS) flag = CVode(s->cvode, tout, s->y, &tret, CV_NORMAL);
  if (flag < 0) {
    if (isfinite(tret) && tret >= t_from) s->t = tret;
    return diagnose_failure(s, flag, t_from, tout, to_output, err);
  }
  if (flag == CV_ROOT_RETURN) { /* y is the state at the root */
    s->t = tret;
    *rooted = 1;
    return SYN_OK;
  }
  /* tout is reached exactly (interpolated or at the stop time). */
  s->t = tout;
  return s->sens_on ? sens_take(s, tout, err) : SYN_OK;
}

/* The root held back by advance_steps: the state there, from CVODE's last step. */
static syn_status held_root(syn_solver *s, int *rooted, syn_error *err) {
  double t = s->root_held;
  s->root_held = (double)NAN;
  if (CVodeGetDky(s->cvode, t, 0, s->y) != CV_SUCCESS)
    return syn_error_set(err, SYN_EINTERNAL, "the solver could not interpolate at the root "
                                             "t = %g: %s", t, s->cv_msg);
  s->t = t;
  *rooted = 1;
  return SYN_OK;
}

/* Hook mode: advance CVODE one internal step at a time until it has passed
 * tout (or reached tstop), giving each step's interval, clipped at tstop, to
 * the hook; then interpolate at tout exactly as CVODE's normal mode does. tout
 * is also CVODE's tout, so the first step size (and hence every step) is the
 * same as without a hook. max_steps bounds the steps per call of this
 * function, like CVODE's own limit per output interval in normal mode. */
static syn_status advance_steps(syn_solver *s, double tout, double tstop, int to_output,
                                int *rooted, syn_error *err) {
  sunrealtype tret = s->t;
  double t_from = s->t;
  long steps = 0;
  syn_status st = SYN_OK;
  s->cv_msg[0] = '\0';
  s->rhs_failing = 0;
  s->rhs_failed_ever = 0;
  s->jac_failing = 0;
  if (s->root_held <= tout) /* CVODE has not moved since it returned that root */
    return held_root(s, rooted, err);
  int flag = CVodeSetStopTime(s->cvode, tstop);
  while (flag >= 0 && s->reach < tout) {
    if (steps >= s->opts.max_steps) {
      flag = CV_TOO_MUCH_WORK;
      break;
    }
    flag = CVode(s->cvode, tout, s->ystep, &tret, CV_ONE_STEP);
    if (flag < 0) break;
    steps++;
    double t_now = flag == CV_TSTOP_RETURN ? tstop : fmin(tret, tstop);
    if (t_now > s->reach) {
      double t_prev = s->reach;
      s->reach = t_now;
      st = s->hook(s, t_prev, t_now, s->hook_ctx, err);
      if (st != SYN_OK) break;
    }
    if (flag == CV_ROOT_RETURN && tret > tout) { /* one-step mode may pass tout: it comes first */
      s->root_held = tret;
      break;
    }
    if (flag == CV_ROOT_RETURN) { /* ystep is the state at the root */
      N_VScale(1.0, s->ystep, s->y);
      s->t = tret;
      *rooted = 1;
      return SYN_OK;
    }
  }
  if (flag < 0 || st != SYN_OK) {
    /* Time and state where CVODE stopped (unchanged if it never moved). */
    double tn = fmin(cvode_time(s), tstop);
    if (isfinite(tn) && tn > t_from && CVodeGetDky(s->cvode, tn, 0, s->y) == CV_SUCCESS) s->t = tn;
    return st != SYN_OK ? st : diagnose_failure(s, flag, t_from, tout, to_output, err);
  }
  if (CVodeGetDky(s->cvode, tout, 0, s->y) != CV_SUCCESS)
    return syn_error_set(err, SYN_EINTERNAL, "the solver could not interpolate at t = %g: %s",
                         tout, s->cv_msg);
  s->t = tout;
  return s->sens_on ? sens_take(s, tout, err) : SYN_OK;
}

/* Every stop at time t (from *j on) changes the state in turn; then one check
 * and one restart: CVODE's history is void after a jump, whatever its size. */
static syn_status apply_stops(syn_solver *s, double t, const double *t_stop, size_t n_stop,
                              size_t *j, syn_stop_fn on_stop, void *ctx, syn_error *err) {
  char tt[SYN_TIME_MAX], nm[SYN_NAME_MAX];
  double *y = N_VGetArrayPointer(s->y);
  if (s->sens_on && sens_stop_before(s, t) != SYN_OK)
    return syn_error_set(err, SYN_ENONFINITE, "the rates are not finite just before the change "
                                              "at t = %s", time_text(s->ode, t, tt, sizeof tt));
  for (; *j < n_stop && t_stop[*j] == t; (*j)++) {
    if (on_stop == NULL) continue;
    syn_status st = on_stop(t, y, s->ode->n, ctx, err);
    if (st != SYN_OK) return st;
  }
  if (s->ode->events != NULL) { /* a dose may trigger events */
    int changed = 0;
    syn_status st = s->ode->events(t, y, 0, NULL, &changed, &s->due, s->ode->ctx, err);
    if (st != SYN_OK) return st;
  }
  if (s->sens_on) {
    syn_status st = sens_stop_after(s, t, err);
    if (st != SYN_OK) return st;
  }
  for (size_t i = 0; i < s->ode->n; i++)
    if (!isfinite(y[i]))
      return syn_error_set(err, SYN_ENONFINITE, "state %s is %g after the change at t = %s",
                           state_name(s->ode, i, nm, sizeof nm), y[i],
                           time_text(s->ode, t, tt, sizeof tt));
  bank_segment_stats(s);
  s->cv_msg[0] = '\0';
  s->root_held = (double)NAN;
  if (CVodeReInit(s->cvode, t, s->y) != CV_SUCCESS)
    return syn_error_set(err, SYN_ESOLVER, "the solver could not restart at t = %s: %s",
                         time_text(s->ode, t, tt, sizeof tt), s->cv_msg);
  s->reach = t;
  return s->sens_on ? sens_restart(s, t, err) : SYN_OK;
}

/* The first stop this call applies: the first call after create applies
 * stops at the start time t0 too; later calls start after the current time
 * (the previous call applied those at its last output). */
static size_t first_stop(const syn_solver *s, const double *t_stop, size_t n_stop) {
  size_t j = 0;
  while (j < n_stop && (t_stop[j] < s->t || (s->started && t_stop[j] == s->t))) j++;
  return j;
}

/* Events at the solver's time: a root, a due execution, or the start. When
 * they change the state (or what the right-hand side reads), CVODE restarts. */
static syn_status handle_events(syn_solver *s, int start, int rooted, syn_error *err) {
  char tt[SYN_TIME_MAX], nm[SYN_NAME_MAX];
  int changed = 0;
  double *y = N_VGetArrayPointer(s->y);
  if (rooted && CVodeGetRootInfo(s->cvode, s->roots_found) != CV_SUCCESS)
    return syn_error_set(err, SYN_EINTERNAL, "the solver lost the root it found: %s", s->cv_msg);
  /* the events update the sensitivities at the root in place (their jump) */
  syn_status st = rooted && s->sens_on ? sens_take(s, s->t, err) : SYN_OK;
  if (st != SYN_OK) return st;
  st = s->ode->events(s->t, y, start, rooted ? s->roots_found : NULL, &changed,
                                 &s->due, s->ode->ctx, err);
  /* CVODE may have stepped past a new due time already: restart here too.
   * After a root, restart even when nothing changed: a condition's function
   * that stays exactly 0 past its root (a state at rest on the threshold,
   * SBML case 00354) is CVODE's "close roots" error on the next step, while a
   * restart deactivates it until it moves off zero (CVODE's cvRcheck1). */
  if (st != SYN_OK || (!changed && !rooted && !(s->due < cvode_time(s)))) return st;
  for (size_t i = 0; i < s->ode->n; i++)
    if (!isfinite(y[i]))
      return syn_error_set(err, SYN_ENONFINITE, "state %s is %g after an event at t = %s",
                           state_name(s->ode, i, nm, sizeof nm), y[i],
                           time_text(s->ode, s->t, tt, sizeof tt));
  bank_segment_stats(s);
  s->cv_msg[0] = '\0';
  s->root_held = (double)NAN;
  if (CVodeReInit(s->cvode, s->t, s->y) != CV_SUCCESS)
    return syn_error_set(err, SYN_ESOLVER, "the solver could not restart at t = %s: %s",
                         time_text(s->ode, s->t, tt, sizeof tt), s->cv_msg);
  s->reach = s->t;
  return s->sens_on ? sens_restart(s, s->t, err) : SYN_OK;
}

syn_status syn_solver_integrate(syn_solver *s, const double *t_out, size_t n_out,
                                const double *t_stop, size_t n_stop, syn_stop_fn on_stop,
                                void *stop_ctx, syn_output_fn on_output, void *output_ctx,
                                syn_error *err) {
  if (s == NULL) return syn_error_set(err, SYN_EINVAL, "syn_solver_integrate: no solver");
  syn_status st = check_times(s, t_out, n_out, t_stop, n_stop, err);
  if (st != SYN_OK || n_out == 0) return st;
  double t_last = t_out[n_out - 1];
  size_t i = 0, j = first_stop(s, t_stop, n_stop);
  if (!s->started && s->ode->events != NULL) st = handle_events(s, 1, 0, err);
  s->started = 1;
  s->reach = s->t;
  /* Stops after the last output are left for a later call. */
  if (j < n_stop && t_stop[j] > t_last) j = n_stop;
  while (i < n_out && st == SYN_OK) {
    int stop_next = j < n_stop && t_stop[j] <= t_out[i] && t_stop[j] <= t_last;
    double target = stop_next ? t_stop[j] : t_out[i];
    /* a due event first; at a stop's time the stop handles it */
    int due_next = s->due < target || (s->due == target && !stop_next && s->due > s->t);
    if (due_next) target = s->due;
    /* CVODE must not step across the next stop (a jump), nor past the last output. */
    double tstop = (j < n_stop && t_stop[j] <= t_last) ? t_stop[j] : t_last;
    tstop = fmin(tstop, fmax(s->due, s->t));
    int rooted = 0;
    if (target > s->t)
      st = s->hook != NULL ? advance_steps(s, target, tstop, !stop_next, &rooted, err)
                           : advance(s, target, tstop, !stop_next, &rooted, err);
    if (st != SYN_OK) break;
    if (rooted || due_next) {
      st = handle_events(s, 0, rooted, err);
    } else if (stop_next) {
      st = apply_stops(s, target, t_stop, n_stop, &j, on_stop, stop_ctx, err);
    } else {
      if (on_output != NULL)
        st = on_output(t_out[i], N_VGetArrayPointer(s->y), s->ode->n, output_ctx, err);
      i++;
    }
  }
  return st;
}

/* --- dense output -------------------------------------------------------------- */

void syn_solver_set_step_hook(syn_solver *s, syn_step_fn fn, void *ctx) {
  if (s == NULL) return;
  s->hook = fn;
  s->hook_ctx = fn != NULL ? ctx : NULL;
  s->reach = s->t;
}

/* CVODE's interpolant of the last step (valid on [t_n - h_last, t_n]); at the
 * solver's current time the state itself (also right after a restart, when
 * CVODE has no step yet). */
syn_status syn_solver_interpolate(const syn_solver *s, double t, double *y, syn_error *err) {
  if (s == NULL || y == NULL)
    return syn_error_set(err, SYN_EINVAL, "syn_solver_interpolate: no solver or no output");
  size_t n = s->ode->n;
  if (t == s->t) {
    memcpy(y, N_VGetArrayPointer(s->y), n * sizeof *y);
    return SYN_OK;
  }
  if (!isfinite(t) || CVodeGetDky(s->cvode, t, 0, s->dky) != CV_SUCCESS) {
    sunrealtype tn = s->t, h = 0.0;
    CVodeGetCurrentTime(s->cvode, &tn);
    CVodeGetLastStep(s->cvode, &h);
    return syn_error_set(err, SYN_EINVAL,
                         "cannot interpolate the state at t = %g: outside the solver's last step "
                         "[%g, %g]", t, tn - h, tn);
  }
  memcpy(y, N_VGetArrayPointer(s->dky), n * sizeof *y);
  return SYN_OK;
}

int syn_solver_interp_degree(const syn_solver *s) {
  int q = 0;
  if (s == NULL || CVodeGetLastOrder(s->cvode, &q) != CV_SUCCESS || q < 1) return -1;
  return q;
}

syn_status syn_solver_interpolate_deriv(const syn_solver *s, double t, int k, double *dky,
                                        syn_error *err) {
  if (s == NULL || dky == NULL || k < 0)
    return syn_error_set(err, SYN_EINVAL, "syn_solver_interpolate_deriv: no solver, no output "
                                          "or a negative order");
  if (!isfinite(t) || CVodeGetDky(s->cvode, t, k, s->dky) != CV_SUCCESS)
    return syn_error_set(err, SYN_EINVAL, "cannot interpolate derivative %d of the state at "
                                          "t = %g: outside the solver's last step or above its "
                                          "order", k, t);
  memcpy(dky, N_VGetArrayPointer(s->dky), s->ode->n * sizeof *dky);
  return SYN_OK;
}

/* --- forward sensitivities ------------------------------------------------------ */

void syn_sens_opts_default(syn_sens_opts *o) {
  if (o == NULL) return;
  o->simultaneous = 0;
  o->error_control = 1;
}

/* fS for all sensitivities at once: J s_k from the exact sparse Jacobian
 * (evaluated once per call for every k), then the caller adds df/dp_k.
 * J s_k is gathered row by row (the pattern by rows, columns ascending, built
 * in sens_alloc): each fS[i] sums its products in the order the column-wise
 * scatter did, without clearing fS first or storing it per product. */
static int cv_sens_rhs(int ns, sunrealtype t, N_Vector yv, N_Vector ydot, N_Vector *yS,
                       N_Vector *ySdot, void *user, N_Vector tmp1, N_Vector tmp2) {
  (void)ydot, (void)tmp1, (void)tmp2;
  syn_solver *s = user;
  const syn_ode *ode = s->ode;
  const double *y = N_VGetArrayPointer(yv);
  int rc = ode->jac(t, y, s->jsens, ode->ctx);
  if (rc != 0) return rc;
  size_t n = ode->n;
  const int32_t *rp = s->jrowptr, *col = s->jcol;
  double *v = s->jrv;
  for (int32_t e = 0; e < rp[n]; e++) v[e] = s->jsens[s->jent[e]];
  int k = 0;
  for (; k + 2 <= ns; k += 2) { /* two at a time: each entry's value and column read once */
    const double *s0 = N_VGetArrayPointer(yS[k]), *s1 = N_VGetArrayPointer(yS[k + 1]);
    double *f0 = N_VGetArrayPointer(ySdot[k]), *f1 = N_VGetArrayPointer(ySdot[k + 1]);
    for (size_t i = 0; i < n; i++) {
      double a0 = 0.0, a1 = 0.0;
      for (int32_t e = rp[i]; e < rp[i + 1]; e++) {
        a0 += v[e] * s0[col[e]];
        a1 += v[e] * s1[col[e]];
      }
      f0[i] = a0;
      f1[i] = a1;
    }
    s->fsp[k] = f0;
    s->fsp[k + 1] = f1;
  }
  for (; k < ns; k++) {
    const double *sk = N_VGetArrayPointer(yS[k]);
    double *fs = N_VGetArrayPointer(ySdot[k]);
    for (size_t i = 0; i < n; i++) {
      double acc = 0.0;
      for (int32_t e = rp[i]; e < rp[i + 1]; e++) acc += v[e] * sk[col[e]];
      fs[i] = acc;
    }
    s->fsp[k] = fs;
  }
  rc = s->dfdp(t, y, s->fsp, (size_t)ns, s->sens_ctx);
  /* 0 x is 0 for every finite x and NaN for an infinity or a NaN: one test */
  double probe = 0.0;
  for (k = 0; rc == 0 && k < ns; k++)
    for (size_t i = 0; i < n; i++) probe += 0.0 * s->fsp[k][i];
  if (rc == 0 && !isfinite(probe)) return 1; /* a smaller step, as for the states */
  return rc;
}

/* The Jacobian's pattern (by columns) by rows: for row i, entries
 * jrowptr[i]..jrowptr[i+1] name their column (jcol) and their value's place
 * in the column-wise values (jent), columns ascending. */
static void pattern_by_rows(const syn_ode *ode, int32_t *rowptr, int32_t *col, int32_t *val) {
  size_t n = ode->n;
  memset(rowptr, 0, (n + 1) * sizeof *rowptr);
  for (int32_t e = 0; e < ode->colptr[n]; e++) rowptr[ode->rowind[e] + 1]++;
  for (size_t i = 0; i < n; i++) rowptr[i + 1] += rowptr[i];
  for (size_t j = 0; j < n; j++)
    for (int32_t e = ode->colptr[j]; e < ode->colptr[j + 1]; e++) {
      int32_t r = ode->rowind[e], at = rowptr[r]++;
      col[at] = (int32_t)j;
      val[at] = e;
    }
  for (size_t i = n; i > 0; i--) rowptr[i] = rowptr[i - 1]; /* undo the fill's advance */
  rowptr[0] = 0;
}

static void sens_free(syn_solver *s) {
  if (s->ns > 0 && s->cvode != NULL) CVodeSensFree(s->cvode);
  /* CVODES keeps a pointer to it (not its own: it never frees or uses it
   * again until the next CVodeSensInit, which replaces it: see sens_init) */
  if (s->nls_stg != NULL) SUNNonlinSolFree(s->nls_stg);
  s->nls_stg = NULL;
  if (s->yS != NULL) N_VDestroyVectorArray(s->yS, (int)s->ns);
  if (s->dkyS != NULL) N_VDestroyVectorArray(s->dkyS, (int)s->ns);
  syn_free(s->sp);
  syn_free(s->fsp);
  syn_free(s->jsens);
  syn_free(s->jrowptr);
  syn_free(s->jcol);
  syn_free(s->jent);
  syn_free(s->jrv);
  syn_free(s->fm);
  syn_free(s->fp);
  syn_free(s->pbar);
  s->yS = s->dkyS = NULL;
  s->sp = s->fsp = NULL;
  s->jsens = s->jrv = s->fm = s->fp = s->pbar = NULL;
  s->jrowptr = s->jcol = s->jent = NULL;
  s->ns = 0;
  s->sens_on = 0;
}

/* CVODES' memory for ns sensitivities (once; again for another ns). */
static syn_status sens_alloc(syn_solver *s, size_t ns, syn_error *err) {
  size_t n = s->ode->n;
  sens_free(s);
  /* clones of y: the sensitivities' vectors (and CVODES' own, cloned from
   * them) have its fused and lean operations (CVODES updates ns vectors at
   * once per step) */
  s->yS = N_VCloneVectorArray((int)ns, s->y);
  s->dkyS = N_VCloneVectorArray((int)ns, s->y);
  s->sp = syn_calloc(ns, sizeof *s->sp);
  s->fsp = syn_calloc(ns, sizeof *s->fsp);
  size_t nnz = s->ode->nnz > 0 ? s->ode->nnz : 1;
  s->jsens = syn_calloc(nnz, sizeof *s->jsens);
  s->jrowptr = syn_calloc(n + 1, sizeof *s->jrowptr);
  s->jcol = syn_calloc(nnz, sizeof *s->jcol);
  s->jent = syn_calloc(nnz, sizeof *s->jent);
  s->jrv = syn_calloc(nnz, sizeof *s->jrv);
  s->fm = syn_calloc(n, sizeof *s->fm);
  s->fp = syn_calloc(n, sizeof *s->fp);
  s->pbar = syn_calloc(ns, sizeof *s->pbar);
  if (!s->yS || !s->dkyS || !s->sp || !s->fsp || !s->jsens || !s->jrowptr || !s->jcol ||
      !s->jent || !s->jrv || !s->fm || !s->fp || !s->pbar) {
    sens_free(s);
    return syn_error_set(err, SYN_ENOMEM, "out of memory for %zu sensitivities", ns);
  }
  s->ns = ns;
  for (size_t k = 0; k < ns; k++) s->sp[k] = N_VGetArrayPointer(s->yS[k]);
  pattern_by_rows(s->ode, s->jrowptr, s->jcol, s->jent);
  return SYN_OK;
}

/* CVODES' sensitivity memory for s->ns, fresh. The staggered corrector's
 * Newton solver is ours: CVODES' default clones its vectors from the
 * states' (SUNDIALS' serial loops); this one clones them from the
 * sensitivities' (the paired loops above), and is otherwise the same solver
 * with the same settings. CVODES is initialised staggered first, so that the
 * solver it points to for that corrector is always this one, even after an
 * earlier one was freed (sens_free); the simultaneous corrector keeps
 * CVODES' own (freed and forgotten by CVodeSensFree). */
static int sens_init(syn_solver *s) {
  int flag = CVodeSensInit(s->cvode, (int)s->ns, CV_STAGGERED, cv_sens_rhs, s->yS);
  if (flag == CV_SUCCESS) {
    s->nls_stg = SUNNonlinSol_NewtonSens((int)s->ns, s->yS[0], s->sunctx);
    flag = s->nls_stg != NULL ? CVodeSetNonlinearSolverSensStg(s->cvode, s->nls_stg) : CV_MEM_FAIL;
  }
  if (flag == CV_SUCCESS && s->sens_ism != CV_STAGGERED)
    flag = CVodeSensReInit(s->cvode, s->sens_ism, s->yS);
  return flag;
}

syn_status syn_solver_sens_start(syn_solver *s, size_t ns, const double *const *S0,
                                 const double *pbar, const syn_sens_opts *opts,
                                 syn_sens_dfdp_fn dfdp, syn_sens_jump_fn jump, void *ctx,
                                 syn_error *err) {
  syn_sens_opts dflt;
  char nm[SYN_NAME_MAX];
  if (s == NULL || ns == 0 || S0 == NULL || dfdp == NULL)
    return syn_error_set(err, SYN_EINVAL, "syn_solver_sens_start: no solver, no sensitivities, "
                                          "no start or no df/dp");
  if (!s->use_jac) {
    syn_error_set(err, SYN_EINVAL, "sensitivities need the model's exact Jacobian, but %s",
                  s->ode->jac == NULL ? "this ODE has none" : "use_jacobian is off");
    syn_error_hint(err, "turn the symbolic Jacobian back on (drop --no-jacobian)");
    return SYN_EINVAL;
  }
  if (opts == NULL) {
    syn_sens_opts_default(&dflt);
    opts = &dflt;
  }
  size_t n = s->ode->n;
  for (size_t k = 0; k < ns; k++)
    for (size_t i = 0; i < n; i++)
      if (!isfinite(S0[k][i]))
        return syn_error_set(err, SYN_ENONFINITE, "the start of sensitivity %zu of state %s is "
                                                  "%g", k, state_name(s->ode, i, nm, sizeof nm),
                             S0[k][i]);
  int fresh = s->ns != ns;
  syn_status st = fresh ? sens_alloc(s, ns, err) : SYN_OK;
  if (st != SYN_OK) return st;
  for (size_t k = 0; k < ns; k++) {
    memcpy(s->sp[k], S0[k], n * sizeof **S0);
    double b = pbar != NULL ? fabs(pbar[k]) : 1.0;
    s->pbar[k] = isfinite(b) && b > 0.0 ? b : 1.0;
  }
  s->sens_ism = opts->simultaneous ? CV_SIMULTANEOUS : CV_STAGGERED;
  s->dfdp = dfdp;
  s->jump = jump;
  s->sens_ctx = ctx;
  s->cv_msg[0] = '\0';
  int flag = fresh ? sens_init(s) : CVodeSensReInit(s->cvode, s->sens_ism, s->yS);
  if (flag == CV_SUCCESS) flag = CVodeSetSensParams(s->cvode, NULL, s->pbar, NULL);
  if (flag == CV_SUCCESS) flag = CVodeSensEEtolerances(s->cvode);
  if (flag == CV_SUCCESS) flag = CVodeSetSensErrCon(s->cvode, opts->error_control ? SUNTRUE : SUNFALSE);
  if (flag != CV_SUCCESS) {
    if (fresh) sens_free(s);
    return syn_error_set(err, SYN_EINTERNAL, "CVODES refused the sensitivities: %s", s->cv_msg);
  }
  memset(&s->sens_totals, 0, sizeof s->sens_totals);
  s->sens_on = 1;
  return SYN_OK;
}

size_t syn_solver_sens_count(const syn_solver *s) { return s != NULL && s->sens_on ? s->ns : 0; }

double *const *syn_solver_sens_vectors(syn_solver *s) {
  return s != NULL && s->sens_on ? s->sp : NULL;
}

/* The sensitivities at tout, just reached. */
static syn_status sens_take(syn_solver *s, double t, syn_error *err) {
  if (CVodeGetSensDky(s->cvode, t, 0, s->yS) != CV_SUCCESS)
    return syn_error_set(err, SYN_EINTERNAL, "the solver could not interpolate the "
                                             "sensitivities at t = %g: %s", t, s->cv_msg);
  return SYN_OK;
}

/* The rate just before the stops at t (inputs as they were). */
static syn_status sens_stop_before(syn_solver *s, double t) {
  const syn_ode *ode = s->ode;
  if (ode->rhs(t, N_VGetArrayPointer(s->y), s->fm, ode->ctx) != 0) return SYN_ENONFINITE;
  return SYN_OK;
}

/* After the stops at t: the rate after, and the caller's jump. */
static syn_status sens_stop_after(syn_solver *s, double t, syn_error *err) {
  const syn_ode *ode = s->ode;
  const double *y = N_VGetArrayPointer(s->y);
  if (ode->rhs(t, y, s->fp, ode->ctx) != 0)
    return syn_error_set(err, SYN_ENONFINITE, "the rates are not finite just after the change "
                                              "at t = %g", t);
  syn_status st = s->jump != NULL ? s->jump(t, y, s->fm, s->fp, s->sp, s->ns, s->sens_ctx, err)
                                  : SYN_OK;
  for (size_t k = 0; st == SYN_OK && k < s->ns; k++)
    for (size_t i = 0; i < ode->n; i++)
      if (!isfinite(s->sp[k][i]))
        return syn_error_set(err, SYN_ENONFINITE, "sensitivity %zu is not finite after the "
                                                  "change at t = %g", k, t);
  return st;
}

static syn_status sens_restart(syn_solver *s, double t, syn_error *err) {
  bank_sens_stats(s);
  if (CVodeSensReInit(s->cvode, s->sens_ism, s->yS) != CV_SUCCESS)
    return syn_error_set(err, SYN_ESOLVER, "the solver could not restart the sensitivities at "
                                           "t = %g: %s", t, s->cv_msg);
  return SYN_OK;
}

syn_status syn_solver_sens_get(const syn_solver *s, double t, int k, double *const *S,
                               syn_error *err) {
  if (s == NULL || !s->sens_on || S == NULL || k < 0)
    return syn_error_set(err, SYN_EINVAL, "syn_solver_sens_get: no sensitivities");
  size_t n = s->ode->n;
  if (k == 0 && t == s->t) {
    for (size_t j = 0; j < s->ns; j++) memcpy(S[j], s->sp[j], n * sizeof **S);
    return SYN_OK;
  }
  if (!isfinite(t) || CVodeGetSensDky(s->cvode, t, k, s->dkyS) != CV_SUCCESS)
    return syn_error_set(err, SYN_EINVAL, "cannot interpolate the sensitivities at t = %g: "
                                          "outside the solver's last step or above its order", t);
  for (size_t j = 0; j < s->ns; j++) memcpy(S[j], N_VGetArrayPointer(s->dkyS[j]), n * sizeof **S);
  return SYN_OK;
}

static void sens_segment_stats(const syn_solver *s, syn_sens_stats *st) {
  memset(st, 0, sizeof *st);
  if (!s->sens_on) return;
  CVodeGetSensNumRhsEvals(s->cvode, &st->nfsevals);
  CVodeGetSensNumErrTestFails(s->cvode, &st->nsetfails);
  CVodeGetSensNumNonlinSolvIters(s->cvode, &st->nsniters);
  CVodeGetSensNumNonlinSolvConvFails(s->cvode, &st->nsncfails);
}

void syn_solver_sens_stats(const syn_solver *s, syn_sens_stats *st) {
  syn_sens_stats seg;
  if (st == NULL) return;
  memset(st, 0, sizeof *st);
  if (s == NULL) return;
  sens_segment_stats(s, &seg);
  st->nfsevals = s->sens_totals.nfsevals + seg.nfsevals;
  st->nsetfails = s->sens_totals.nsetfails + seg.nsetfails;
  st->nsniters = s->sens_totals.nsniters + seg.nsniters;
  st->nsncfails = s->sens_totals.nsncfails + seg.nsncfails;
}

static void bank_sens_stats(syn_solver *s) { syn_solver_sens_stats(s, &s->sens_totals); }
