/* synovia fit — the uncertainty step after the multistart (fit_uncertainty.c):
 * profiles, intervals, the Fisher interval, predictions and the fitted
 * curves, computed once and handed to the fit file's writer. */
#ifndef SYN_CLI_FIT_UNCERTAINTY_H
#define SYN_CLI_FIT_UNCERTAINTY_H

#include "synovia/fit.h"
#include "synovia/h5fit.h"
#include "synovia/objective.h"
#include "synovia/optim.h"

typedef struct fit_unc fit_unc;

/* Everything after the multistart, from the best estimate best (linear
 * values, objective fbest): the fit file's profiles unless no_profiles,
 * the Fisher intervals, the predictions and the fitted curves; prints the
 * interval table. NULL after an error (its message printed). */
fit_unc *fit_uncertainty_run(const syn_fit *fit, syn_objective *obj, const syn_optim_type *t,
                             const double *best, double fbest, int no_profiles, int quiet);
/* Points d's optional parts at u's (u must outlive the write). */
void fit_uncertainty_attach(const fit_unc *u, syn_h5fit_data *d);
void fit_uncertainty_free(fit_unc *u); /* NULL allowed */

#endif
