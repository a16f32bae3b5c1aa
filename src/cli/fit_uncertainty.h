/* synovia fit — the uncertainty step after the multistart (fit_uncertainty.c):
 * profiles, intervals, the Fisher interval, predictions and the fitted
 * curves, computed once and handed to the fit file's writer. */
#ifndef SYN_CLI_FIT_UNCERTAINTY_H
#define SYN_CLI_FIT_UNCERTAINTY_H

#include "synovia/fit.h"
#include "synovia/h5fit.h"
#include "synovia/objective.h"
#include "synovia/optim.h"

#include "synovia/sweep.h"

typedef struct fit_unc fit_unc;

/* How the profiles run: as a job of the sweep runner (profile.h), with the
 * multistart's ranks, its stop flag and --resume, their parts in
 * <output>.profiles.parts/. */
typedef struct fit_unc_opts {
  int no_profiles, quiet, resume;
  const char *output;        /* the fit file */
  const char *config_sha256; /* the multistart's: what decides the fit */
  const char *command_line;
  double checkpoint;         /* 0: the runner's */
  const syn_parallel *par;
} fit_unc_opts;

/* Everything after the multistart, from the best estimate best (linear
 * values, objective fbest): the profiles (every rank takes part: a
 * collective step under MPI) unless no_profiles, the Fisher intervals, and
 * on rank 0 the predictions and the fitted curves; prints the interval
 * table (rank 0). *out NULL on other ranks. Errors: the profiles' run (in
 * err, not printed: SYN_EINTR when stopped) or SYN_EIO after another error
 * whose message was printed (*printed = 1). */
syn_status fit_uncertainty_run(const syn_fit *fit, const syn_optim_type *t, const double *best,
                               double fbest, const fit_unc_opts *o, fit_unc **out,
                               int *printed, syn_error *err);
/* Points d's optional parts at u's (u must outlive the write). */
void fit_uncertainty_attach(const fit_unc *u, syn_h5fit_data *d);
void fit_uncertainty_free(fit_unc *u); /* NULL allowed */

#endif
