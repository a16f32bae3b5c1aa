/* synovia fit — the fit's observables as the fit file's /observable table
 * (fit_observables.c): name, formula, units, noise distribution and the sd
 * model written out as text, for readers that have no fit-file parser. */
#ifndef SYN_CLI_FIT_OBSERVABLES_H
#define SYN_CLI_FIT_OBSERVABLES_H

#include "synovia/fit.h"
#include "synovia/h5fit.h"

typedef struct fit_obs_table fit_obs_table;

/* The table of fit's observables (borrowing fit's strings; fit must outlive
 * it). NULL when out of memory. */
fit_obs_table *fit_obs_table_create(const syn_fit *fit);
/* The writer's view of t (valid while t lives). */
const syn_h5fit_observables *fit_obs_table_view(const fit_obs_table *t);
void fit_obs_table_destroy(fit_obs_table *t); /* NULL allowed */

#endif
