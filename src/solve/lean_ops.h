/* synovia — leaner SUNDIALS operations for small systems (internal, solve
 * layer; implemented in src/solve/lean_ops.c).
 *
 * A knee model has 27 states, HIRES 8: at that size CVODE's time goes into
 * the calls of the serial N_Vector's and the dense solver's routines, not
 * into their arithmetic. These replace the costliest of them in an object's
 * own operation table (SUNDIALS gives every vector, matrix and linear solver
 * its own; clones copy it). Every result is computed with the same floating
 * point operations in the same order as SUNDIALS' own routine (6.4.1, which
 * the build compiles; 7.x has the same formulas), so solutions are unchanged
 * bit for bit (the build's -std=c11 keeps the compiler from contracting a
 * product and a sum into one fused operation). Not thread-safe per object,
 * like the objects themselves; no allocation. */
#ifndef SYN_SOLVE_LEAN_OPS_H
#define SYN_SOLVE_LEAN_OPS_H

#include <sundials/sundials_linearsolver.h>
#include <sundials/sundials_matrix.h>
#include <sundials/sundials_nvector.h>

/* v, a serial N_Vector, and every later clone of it: the fused operations
 * on, and the lean linear sums, scalings, weighted norms and constant. */
void syn_lean_vector_ops(N_Vector v);

/* LS, made by SUNLinSol_Dense for A (a dense SUNMatrix): its LU
 * factorisation and solve, and A's copy and A = cA + I, the lean ones. */
void syn_lean_dense_ops(SUNLinearSolver LS, SUNMatrix A);

#endif
