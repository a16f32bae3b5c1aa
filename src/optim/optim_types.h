/* synovia — the functions of the optimiser types (optim layer, internal):
 * lm.c (GSL multifit_nlinear) and nlopt.c (NLopt), named by the type table in
 * optim.c. The library headers stay in those two files. */
#ifndef SYN_OPTIM_TYPES_H
#define SYN_OPTIM_TYPES_H

#include "optim/optim_impl.h"

/* NLopt's algorithm numbers (its enum nlopt_algorithm); nlopt.c checks them
 * against nlopt.h at compile time. */
enum { OPTIM_NLOPT_LD_LBFGS = 11, OPTIM_NLOPT_LN_BOBYQA = 34, OPTIM_NLOPT_LD_SLSQP = 40 };

syn_status optim_lm_create(syn_optim *o, syn_error *err);
void optim_lm_destroy(syn_optim *o);
void optim_lm_minimize(syn_optim *o, const double *x0);

syn_status optim_nlopt_create(syn_optim *o, syn_error *err);
void optim_nlopt_destroy(syn_optim *o);
void optim_nlopt_minimize(syn_optim *o, const double *x0);

/* The text of a status ("converged: the gradient is below gtol"). */
const char *optim_status_text(syn_optim_status s);

#endif
