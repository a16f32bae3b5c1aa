/* synovia — pieces of syn_run shared with the scenario runner (internal,
 * solve layer; implemented in src/solve/run.c).
 *
 * A scenario arm is a syn_run with stops (doses), metrics and a baseline; it
 * must build the same output grid and write the same result layout and
 * attributes, so it uses these instead of copies. */
#ifndef SYN_SOLVE_RUN_INTERNAL_H
#define SYN_SOLVE_RUN_INTERNAL_H

#include <stddef.h>

#include "synovia/model.h"
#include "synovia/result.h"
#include "synovia/run.h"

/* Fill t[0..n) with the grid of o; n = syn_run_grid_size(o). */
void syn_run_fill_grid(const syn_run_opts *o, double *t, size_t n);

/* A result with one series per state, then per output, of model m. */
syn_status syn_run_create_result(const syn_model *m, size_t capacity, syn_result **out,
                                 syn_error *err);

/* The attributes syn_run writes: solver settings and grid, CVODE statistics,
 * and the parameter table of inst. */
syn_status syn_run_add_attributes(syn_result *r, const syn_run_opts *o, const syn_ode *ode,
                                  const syn_solver_stats *st, const syn_instance *inst,
                                  syn_error *err);

#endif
