/* synovia — optimisers (module optim; layer: uses only base, like io).
 *
 * One module, several algorithms, GSL-style: the algorithm is chosen by
 * passing a type (syn_optim_lm(), syn_optim_lbfgs(), ...). The type table in
 * src/optim/optim.c is the one place a kind of optimiser is defined: its name
 * (the fit file's `optimizer` setting), whether it needs residuals and whether
 * it needs a gradient. docs/optimisers.md describes the types, the bounds
 * handling, the statuses and how the default was chosen.
 *
 * The module knows nothing of models or data: the caller gives callbacks for
 * a scalar objective f(x) and its gradient, and, for least-squares methods,
 * residuals r(x) with their Jacobian (f = 1/2 |r|^2 + f_const). x is on the
 * caller's parameter scale (log10 etc.); the bounds are on that scale too.
 *
 * Memory: syn_optim_create allocates everything the module itself needs; a
 * minimisation allocates nothing of its own (NLopt's algorithms allocate
 * their work arrays inside nlopt_optimize; they free them before returning).
 * No global state, nothing printed.
 * Threads: one syn_optim is used by one thread at a time; separate objects may
 * run concurrently in separate threads (the callbacks must allow it).
 * GSL: the caller turns GSL's abort-on-error handler off
 * (gsl_set_error_handler_off), as the program does at start. */
#ifndef SYNOVIA_OPTIM_H
#define SYNOVIA_OPTIM_H

#include <stddef.h>

#include "synovia/status.h"

/* Exported from libsynovia.so; everything else is hidden (docs/c-api.md). */
#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

/* A kind of optimiser (opaque; the table lives in src/optim/optim.c). */
typedef struct syn_optim_type syn_optim_type;

/* The types (functions, not variables: the library exports functions only,
 * tests/integration/libapi.sh). Never NULL.
 * lm:     trust-region Levenberg-Marquardt on residuals (GSL multifit_nlinear,
 *         plain LM steps, QR solver); bounds by a sine transform
 * lbfgs:  limited-memory BFGS with bounds (NLopt NLOPT_LD_LBFGS); needs the gradient
 * slsqp:  sequential quadratic programming with bounds (NLopt NLOPT_LD_SLSQP)
 * bobyqa: gradient-free quadratic models in a trust region (NLopt NLOPT_LN_BOBYQA) */
const syn_optim_type *syn_optim_lm(void);
const syn_optim_type *syn_optim_lbfgs(void);
const syn_optim_type *syn_optim_slsqp(void);
const syn_optim_type *syn_optim_bobyqa(void);

/* The types in table order (i < syn_optim_type_count()); NULL past the end. */
size_t syn_optim_type_count(void);
const syn_optim_type *syn_optim_type_at(size_t i);
/* The type of a name ("lm", "lbfgs", "slsqp", "bobyqa"); NULL if none. */
const syn_optim_type *syn_optim_type_find(const char *name);
const char *syn_optim_type_name(const syn_optim_type *t);
/* One line for people: the method and the library that implements it. */
const char *syn_optim_type_description(const syn_optim_type *t);
/* 1 if the type needs residuals and a Jacobian (least squares), else 0. */
int syn_optim_type_needs_residuals(const syn_optim_type *t);
/* 1 if the type needs the gradient of f, else 0 (it never asks for it). */
int syn_optim_type_needs_gradient(const syn_optim_type *t);

/* f(x) and, when grad != NULL, its gradient (n values). Return 0 on success;
 * non-zero means the objective cannot be computed at x (a solver failure
 * there): the optimiser treats it as an infinite objective (LM: rejects the
 * step) and goes on. A non-finite *f or gradient counts as a failure too. */
typedef int (*syn_optim_fn)(const double *x, double *f, double *grad, void *user);
/* The m residuals at x and, when jac != NULL, their Jacobian, row-major
 * (jac[i * n + j] = d r_i / d x_j). Return 0 on success, as above. */
typedef int (*syn_optim_residual_fn)(const double *x, double *r, double *jac, void *user);

typedef struct syn_optim_problem {
  size_t n;                       /* parameters (>= 1) */
  size_t m;                       /* residuals (0: none; >= n for LM) */
  syn_optim_fn f;                 /* needed by the types that do not use residuals */
  syn_optim_residual_fn residuals; /* needed by the least-squares types; NULL: none */
  double f_const;                 /* f = 1/2 |r|^2 + f_const where f is computed from the
                                     residuals (the objective's constant terms, so the
                                     result's f is the objective); f() includes it itself */
  const double *lower, *upper;    /* n bounds each (-/+INFINITY allowed); NULL: none */
  const char *const *names;       /* n names for messages; NULL: "x[i]" */
  void *user;                     /* passed to the callbacks */
} syn_optim_problem;

typedef struct syn_optim_settings {
  double gtol;         /* gradient: |g_i| max(|x_i|, 1) <= gtol max(f, 1) (projected at bounds) */
  double xtol;         /* step: |dx_i| <= xtol (|x_i| + xtol) */
  double ftol;         /* relative f: |df| <= ftol max(|f|, tiny) over an iteration */
  size_t max_iter;     /* iterations (LM: accepted steps; NLopt: improvements of f) */
  size_t max_eval;     /* evaluations of f or of r (with or without derivatives) */
  size_t max_failures; /* failed evaluations before stopping with the reason */
} syn_optim_settings;

/* gtol 1e-8, xtol 1e-10, ftol 1e-12, max_iter 1000, max_eval 10000, max_failures 50. */
void syn_optim_settings_default(syn_optim_settings *s);

/* How a minimisation ended: one list, expanded into the enum and the table of
 * names (syn_optim_status_name). Converged ones are >= 0 and < SYN_OPTIM_MAX_ITER. */
#define SYN_OPTIM_STATUS_LIST(X)                                              \
  X(SYN_OPTIM_CONVERGED_GRADIENT, 0, "converged-gradient", "converged: the gradient is below gtol") \
  X(SYN_OPTIM_CONVERGED_STEP, 1, "converged-step", "converged: the step is below xtol") \
  X(SYN_OPTIM_CONVERGED_F, 2, "converged-f", "converged: the relative change of f is below ftol") \
  X(SYN_OPTIM_MAX_ITER, 3, "max-iterations", "stopped: the maximum of iterations was reached") \
  X(SYN_OPTIM_MAX_EVAL, 4, "max-evaluations", "stopped: the maximum of evaluations was reached") \
  X(SYN_OPTIM_STALLED, 5, "stalled", "stopped: no further progress possible (rounding)") \
  X(SYN_OPTIM_FAILED, 6, "failed", "failed")

typedef enum syn_optim_status {
#define SYN_OPTIM_STATUS_ENUM_(name, value, key, msg) name = (value),
  SYN_OPTIM_STATUS_LIST(SYN_OPTIM_STATUS_ENUM_)
#undef SYN_OPTIM_STATUS_ENUM_
} syn_optim_status;

/* "converged-gradient", ...; "unknown" for a value outside the list. */
const char *syn_optim_status_name(syn_optim_status s);
/* 1 for the three converged statuses. */
int syn_optim_status_converged(syn_optim_status s);

enum { SYN_OPTIM_MESSAGE_MAX = 256 };

typedef struct syn_optim_result {
  syn_optim_status status;
  char message[SYN_OPTIM_MESSAGE_MAX]; /* the status's text; for failed, "failed: REASON" */
  double f;                 /* objective at the returned x (with f_const) */
  double grad_norm;         /* max-norm of the gradient at x, projected on the bounds
                               (components pushing out of an active bound are 0);
                               NAN where the type never computes a gradient */
  size_t iterations;
  size_t evaluations;       /* calls of the callback (f or residuals) */
  size_t derivative_evaluations; /* of them, those that asked for the gradient or the
                                    Jacobian (the costly ones: sensitivities) */
  size_t failures;          /* of them, failed ones */
} syn_optim_result;

typedef struct syn_optim syn_optim;

/* An optimiser of type t for n parameters and m residuals (m is ignored by
 * types without residuals; it must be >= n for those with). SYN_EINVAL for a
 * NULL type, n == 0 or m < n where needed; SYN_ENOMEM. */
syn_status syn_optim_create(const syn_optim_type *t, size_t n, size_t m, syn_optim **out,
                            syn_error *err);
void syn_optim_destroy(syn_optim *o);
const syn_optim_type *syn_optim_get_type(const syn_optim *o);

/* Minimise p from x (n values: the start in, the best point found out).
 * SYN_EINVAL (nothing run, x unchanged) for input the caller must fix: n or
 * m other than at create, a callback the type needs missing, a lower bound
 * above its upper bound, a start outside its bounds or not finite, settings
 * out of range. Otherwise SYN_OK, whatever the outcome: the outcome is in
 * *res (a start that fails is a result, "failed: REASON", not an error). */
syn_status syn_optim_minimize(syn_optim *o, const syn_optim_problem *p,
                              const syn_optim_settings *s, double *x, syn_optim_result *res,
                              syn_error *err);

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
