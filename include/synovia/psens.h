/* synovia — exact derivatives of a model with respect to its parameters.
 *
 * For a list of free parameters of a compiled model, a syn_psens holds the
 * symbolic derivatives (derived by the model compiler, as the Jacobian is)
 * compiled to bytecode, with their sparsity:
 *
 *   SYN_PSENS_DFDP     d f_i / d p_k      rows: states (d/dt), columns: free parameters
 *   SYN_PSENS_DY0DP    d y0_i / d p_k     rows: states (initial values), columns: free parameters
 *   SYN_PSENS_DOUTDY   d out_i / d y_j    rows: outputs, columns: states
 *   SYN_PSENS_DOUTDP   d out_i / d p_k    rows: outputs, columns: free parameters
 *   SYN_PSENS_DSCALEDP d scale_r / d p_k  rows: routes (syn_model_route), columns: free parameters
 *
 * so that forward sensitivities s_k = d y / d p_k follow
 * d s_k/dt = J s_k + d f / d p_k, s_k(0) = d y0 / d p_k, and the outputs'
 * d out / d p_k = (d out / d y) s_k + d out / d p_k.
 *
 * Free parameters, by name as syn_instance_set takes them: a parameter or a
 * compartment (its value), or a state (its initial value). A per-joint name
 * without its joint ("severity") is every joint's copy moving together, as
 * syn_instance_set sets them all. The derivatives go through everything
 * computed from the free parameters: lets, parameters defined from others
 * (`param c = a*b`: d/da reaches every use of c), initial values, route
 * scales. A free parameter is independent: one defined from others is the
 * value given for it (the caller sets it), and the parameters its definition
 * uses no longer act through it. Likewise a parameter or an initial value
 * that the instance overrides (syn_instance_set) does not depend on the
 * parameters its definition uses: its derivative is 0 at run time (the
 * pattern, computed once, still lists it).
 *
 * Inputs (infusions): a route target's d/dt is rhs + u, so d f_i / d u_i = 1
 * for every target i of a route and 0 elsewhere; the scenario layer sets
 * u = amount * scale / duration, whose derivative is the dose's own
 * (amount, duration) plus amount / duration * SYN_PSENS_DSCALEDP. A bolus of
 * amount A through route r adds A * scale_r to its target: the sensitivity
 * jumps by A * d scale_r / d p_k.
 *
 * Patterns are compressed sparse columns (as the Jacobian's, syn_ode), rows
 * ascending within a column; an entry is listed when its derivative is not
 * identically zero. Values come in pattern order.
 *
 * Ownership and threads: syn_psens_create gives a read-only object that any
 * number of threads may share; it borrows the model, which must outlive it.
 * Per-thread state is a syn_psens_work (caller-owned, one per thread or per
 * instance): syn_psens_prepare fills it from a prepared instance, then the
 * evaluations read the instance (its input rates) and the workspace and write
 * into caller-owned arrays. All allocation happens in the create functions;
 * prepare and eval never allocate, look up names or print. Names are
 * resolved at creation: an unknown name is refused with a suggestion. */
#ifndef SYNOVIA_PSENS_H
#define SYNOVIA_PSENS_H

#include <stddef.h>
#include <stdint.h>

#include "synovia/model.h"
#include "synovia/status.h"

/* Exported from libsynovia.so; everything else is hidden (docs/c-api.md). */
#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

typedef struct syn_psens syn_psens;
typedef struct syn_psens_work syn_psens_work;

typedef enum syn_psens_part {
  SYN_PSENS_DFDP,
  SYN_PSENS_DY0DP,
  SYN_PSENS_DOUTDY,
  SYN_PSENS_DOUTDP,
  SYN_PSENS_DSCALEDP,
  SYN_PSENS_PART_COUNT
} syn_psens_part;

/* A sparsity pattern in compressed sparse columns: column j's entries are
 * k = colptr[j] .. colptr[j+1]-1, in rows rowind[k] (ascending). Borrowed
 * from the syn_psens. */
typedef struct syn_psens_pattern {
  size_t nrows, ncols, nnz;
  const int32_t *colptr; /* ncols + 1 */
  const int32_t *rowind; /* nnz */
} syn_psens_pattern;

/* Compile the derivatives for the free parameters names[0..n) of m. Errors:
 * an unknown name (with a did-you-mean), a let or an output, a name given
 * twice (or a joint's copy also given through its per-joint name), and
 * derivatives with more nonzero entries than the compiler's bound on the
 * Jacobian (2^25; SYN_ELIMIT, naming the parameter where the count passes). */
syn_status syn_psens_create(const syn_model *m, const char *const *names, size_t n,
                            syn_psens **out, syn_error *err);
void syn_psens_destroy(syn_psens *ps); /* NULL allowed */

const syn_model *syn_psens_model(const syn_psens *ps);
size_t syn_psens_count(const syn_psens *ps); /* free parameters */
/* Free parameter k as given, and its kind: SYN_SYM_PARAM, SYN_SYM_COMPARTMENT,
 * or SYN_SYM_STATE (the state's initial value). */
const char *syn_psens_name(const syn_psens *ps, size_t k);
syn_symkind syn_psens_kind(const syn_psens *ps, size_t k);

void syn_psens_get_pattern(const syn_psens *ps, syn_psens_part part, syn_psens_pattern *pat);

/* Compiled sizes: instructions of the plain bytecode (as syn_model_stats),
 * and those the VM's fast form dispatches (0: none, the plain form runs). */
typedef struct syn_psens_stats {
  size_t dfdp_instructions, doutdy_instructions, doutdp_instructions;
  size_t dfdp_dispatched, doutdy_dispatched, doutdp_dispatched;
  size_t setup_instructions; /* the parts that depend on parameters only, run by prepare */
  size_t nnz[SYN_PSENS_PART_COUNT];
  size_t registers;
} syn_psens_stats;
void syn_psens_get_stats(const syn_psens *ps, syn_psens_stats *st);

syn_status syn_psens_work_create(const syn_psens *ps, syn_psens_work **out, syn_error *err);
void syn_psens_work_destroy(syn_psens_work *w); /* NULL allowed */

/* Compute what depends on the parameters only (derivatives of derived
 * constants, of initial values and route scales, constant factors) from a
 * prepared instance of the same model. Call it after every
 * syn_instance_prepare (new parameter values); the workspace then belongs to
 * that instance until the next prepare. SYN_EINVAL: another model's
 * instance, or an instance not prepared. */
syn_status syn_psens_prepare(syn_psens_work *w, const syn_instance *inst, syn_error *err);

/* Values of `part` at (t, y) (ignored by DY0DP and DSCALEDP: y may be NULL)
 * into vals[nnz of the part], pattern order; inst is the instance w was
 * prepared from (its current input rates are read). SYN_ENONFINITE names the
 * first value that is not finite (all values are still written); SYN_EINVAL:
 * w was not prepared from inst. */
syn_status syn_psens_eval(syn_psens_work *w, const syn_instance *inst, syn_psens_part part,
                          double t, const double *y, double *vals, syn_error *err);

/* Forward sensitivities across the events of a model (docs/sensitivities.md):
 * the jump conditions of each execution (the event time moves with the
 * parameters; the assigned values and the rates before and after change
 * the sensitivities). A parameter or a compartment an event assigns is
 * piecewise constant: its own sensitivity jumps to the total derivative of
 * the value assigned, and the parts through it (SYN_PSENS_DFDP and
 * SYN_PSENS_DOUTDP, which count its derivative through its definition as at
 * the start) need syn_psens_events_eval / syn_psens_events_add on top.
 * syn_psens_events_check refuses, with a message naming the event, what is
 * not supported: an event that assigns a constant whose value another
 * constant (not free) is defined from. syn_psens_events_attach makes the
 * events of inst (w prepared from it) update S[0..ns)[0..n), the
 * sensitivities at the solver's current time, in place whenever
 * syn_ode.events runs; col[k] is the free parameter of w
 * (0..syn_psens_count) sensitivity k is with respect to, or -1 for one the
 * model does not see (a dose's amount or time). S and col are borrowed
 * until syn_psens_events_detach (or the instance's destruction), which must
 * come before w is destroyed. Attach allocates (once per instance and
 * largest ns); the updates do not. A grazing root (the condition touches 0
 * without crossing) or a derivative that is not finite stops the run with
 * an error. */
syn_status syn_psens_events_check(const syn_psens *ps, syn_error *err);
syn_status syn_psens_events_attach(syn_psens_work *w, syn_instance *inst, size_t ns,
                                   double *const *S, const long *col, syn_error *err);
/* The derivatives of `part` (SYN_PSENS_DFDP or SYN_PSENS_DOUTDP; others:
 * nothing) with respect to the constants events assign, at (t, y), into w;
 * then, for attached sensitivity k, sum over them of d row / d q times q's
 * sensitivity now minus at the start added to out[r - first] for the rows
 * r in [first, first + count). Nothing to add (no such constant, nothing
 * attached): no-ops. SYN_ENONFINITE: a derivative is not finite. */
syn_status syn_psens_events_eval(syn_psens_work *w, syn_psens_part part, double t,
                                 const double *y, syn_error *err);
void syn_psens_events_add(const syn_psens_work *w, syn_psens_part part, size_t k, size_t first,
                          size_t count, double *out);
/* Called, while sensitivities are attached, just before (after = 0, dtau
 * NULL) and just after (after = 1) each execution of an event at t, with the
 * states there and each sensitivity's shift of the execution time
 * dtau[0..ns) (for Leibniz's rule on integrals across it). Attach clears it;
 * an error it returns stops the run. */
typedef syn_status (*syn_psens_exec_fn)(void *ctx, int after, double t, const double *y,
                                        const double *dtau, syn_error *err);
void syn_psens_events_watch(syn_instance *inst, syn_psens_exec_fn fn, void *ctx);
void syn_psens_events_detach(syn_instance *inst); /* NULL allowed */

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
