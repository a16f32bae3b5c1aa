/* synovia — the optimisers' shared internals (optim layer; see synovia/optim.h).
 *
 * A type is a row of the table in optim.c: its name, what it needs, and its
 * create/destroy/minimize functions (lm.c: GSL; nlopt.c: NLopt). The counting
 * of evaluations and failures, the stop flags, the best point and the
 * convergence tests are declared here and live in run.c, shared, so every
 * type counts the same way (run.c calls no other file of the module). */
#ifndef SYN_OPTIM_IMPL_H
#define SYN_OPTIM_IMPL_H

#include <stddef.h>

#include "synovia/optim.h"

struct syn_optim_type {
  const char *name;
  const char *description;
  int needs_residuals;
  int needs_gradient;
  int algorithm; /* NLopt's nlopt_algorithm for the NLopt types; unused by LM */
  /* allocate o->state; called by syn_optim_create after the common buffers */
  syn_status (*create)(syn_optim *o, syn_error *err);
  void (*destroy)(syn_optim *o);
  /* minimise: the input is checked, o->run is reset; fills o->run's outcome
   * and leaves the best point in o->best_x */
  void (*minimize)(syn_optim *o, const double *x0);
};

/* One minimisation's bookkeeping (reset by syn_optim_minimize). */
typedef struct optim_run {
  const syn_optim_problem *p;
  const syn_optim_settings *s;
  const double *lo, *hi;    /* o->lo / o->hi: the bounds, +-INFINITY where none */
  size_t evaluations, derivative_evaluations, failures, iterations;
  int stop;                 /* 1: a limit or a test ended the run (status, message set) */
  syn_optim_status status;
  char message[SYN_OPTIM_MESSAGE_MAX];
  int have_best;            /* best_f, best_x valid */
  int best_has_grad;        /* best_g holds the gradient at best_x */
  double best_f;
} optim_run;

struct syn_optim {
  const syn_optim_type *type;
  size_t n, m;
  double *lo, *hi;          /* n each */
  double *best_x, *best_g;  /* n each */
  double *xwork;            /* n: the point an algorithm works on in place (NLopt) */
  double *r, *jac;          /* m and m*n (m > 0): f from residuals for the NLopt types */
  void *state;              /* the type's own */
  optim_run run;
};

/* Evaluate f (and the gradient when g != NULL) at x through the problem's f,
 * or from its residuals when it has no f. Counts it; a failure (callback
 * non-zero or a non-finite value) returns non-zero and may set the stop flag
 * (too many failures); so does reaching max_eval (then the callback is not
 * called and non-zero is returned). Records the best point. */
int optim_eval_f(syn_optim *o, const double *x, double *f, double *g);

/* Evaluate the residuals (and the Jacobian when jac != NULL) at x: the same
 * counting, limits and failure rules as optim_eval_f; no best point. */
int optim_eval_r(syn_optim *o, const double *x, double *r, double *jac);

/* Record x with objective f (and gradient g, may be NULL) as the best point if
 * it is better than the one recorded; counts an iteration when it is. */
void optim_record(syn_optim *o, const double *x, double f, const double *g);

/* The max-norm of g projected on the bounds at x (components that push out of
 * an active bound are 0; active: within tol_rel of the bound's width, or
 * exactly on it). */
double optim_projected_norm(const syn_optim *o, const double *x, const double *g, double tol_rel);

/* The gradient test of synovia/optim.h on the projected gradient. */
int optim_gradient_small(const syn_optim *o, const double *x, const double *g, double f,
                         double tol_rel);

/* Stop the run with a status and a message (printf-style); the first stop wins. */
void optim_stop(syn_optim *o, syn_optim_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "x[3]" or the problem's name of parameter i, into buf. */
const char *optim_name(const syn_optim *o, size_t i, char *buf, size_t size);

#endif
