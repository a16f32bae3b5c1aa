/* synovia — one simulation of a model instance onto an output grid.
 *
 * The driver that joins the layers below: it builds the output grid, runs the
 * solver over it, evaluates the outputs at every output time, and returns a
 * syn_result with states and outputs, solver settings and statistics as
 * attributes, and the parameter values used. */
#ifndef SYNOVIA_RUN_H
#define SYNOVIA_RUN_H

#include <stddef.h>

#include "synovia/model.h"
#include "synovia/result.h"
#include "synovia/solver.h"
#include "synovia/status.h"

/* Exported from libsynovia.so; everything else is hidden (docs/c-api.md). */
#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

typedef struct syn_run_opts {
  double t_start;        /* model clock units (default 0) */
  double t_end;          /* > t_start */
  double every;          /* output spacing (> 0); the grid is t_start + k*every (no
                            drift), always ending exactly at t_end, never twice; a
                            spacing below ~1e-11 of the times is refused */
  syn_solver_opts solver;
} syn_run_opts;

void syn_run_opts_default(syn_run_opts *o);

/* Every time of a run lies within +-SYN_RUN_MAX_TIME clock units: the
 * solver's first-step estimate multiplies two time spans, which overflows in
 * double precision near 1e154. No simulation needs times anywhere near it. */
#define SYN_RUN_MAX_TIME 1e100

/* An output grid has fewer points than this: every point of every series is
 * kept in memory (8 bytes each) and written to the result, so more is almost
 * certainly a slip in the output spacing. */
#define SYN_RUN_MAX_POINTS 100000000.0

/* The one rule for an output grid, for every way one is given (a scenario's
 * `simulate`, `synovia run --t-end/--every`): start, end and spacing finite;
 * the end after the start; the spacing positive; |start| and |end| at most
 * SYN_RUN_MAX_TIME; fewer than SYN_RUN_MAX_POINTS points; a spacing coarse
 * enough that consecutive times differ in double precision (about 1e-11 of
 * the times). The message says which part fails, times shown as value /
 * factor followed by unit (unit NULL or "": bare clock units). */
syn_status syn_run_check_grid(const syn_run_opts *o, const char *unit, double factor,
                              syn_error *err);

/* Number of points of the output grid the options describe (0 if invalid:
 * syn_run_check_grid says why). */
size_t syn_run_grid_size(const syn_run_opts *o);

/* Run inst (already prepared) with opts. Errors: invalid grid or solver
 * options, solver failure (with the CVODE diagnosis), non-finite output. */
syn_status syn_run(syn_instance *inst, const syn_run_opts *opts, syn_result **out,
                   syn_error *err);

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
