/* crosscheck MODEL T_END RTOL ATOL TOL — the whole pipeline (parse, compile,
 * bytecode right-hand side and Jacobian) integrated twice, by CVODE through
 * syn_run and by GSL's odeiv2 msbdf, an independent BDF implementation, on
 * the same 50-interval grid. Prints the largest relative difference over all
 * states and times, |a-b| / max(|a|, |b|, 1e-6 * the state's largest value,
 * 100 * ATOL),
 * and exits 0 when it is below TOL. Used by tests/integration/crosscheck.sh. */
#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "solve/gslode.h"
#include "synovia/synovia.h"

enum { INTERVALS = 50 };

/* A state that decays to 1e-20 of its peak is compared on the scale of its
 * peak, and values far below the absolute tolerance are noise to both solvers. */
static double compare(const syn_result *r, const double *g, size_t n, size_t nt, double atol) {
  double worst = 0;
  for (size_t i = 0; i < n; i++) {
    double peak = 0;
    for (size_t k = 0; k < nt; k++) peak = fmax(peak, fabs(syn_result_series(r, i)[k]));
    for (size_t k = 0; k < nt; k++) {
      double a = syn_result_series(r, i)[k], b = g[k * n + i];
      double scale = fmax(fmax(fabs(a), fabs(b)), fmax(1e-6 * peak, 100 * atol));
      if (scale > 0) worst = fmax(worst, fabs(a - b) / scale);
    }
  }
  return worst;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: crosscheck MODEL T_END RTOL ATOL TOL\n");
    return 2;
  }
  gsl_set_error_handler_off();
  syn_error err;
  syn_error_clear(&err);
  syn_model *m = NULL;
  syn_instance *inst = NULL;
  syn_result *r = NULL;
  double *y0 = NULL, *g = NULL;
  int rc = 1;
  syn_run_opts o;
  syn_run_opts_default(&o);
  o.t_end = atof(argv[2]);
  o.every = o.t_end / INTERVALS;
  o.solver.rtol = atof(argv[3]);
  o.solver.atol = atof(argv[4]);
  if (syn_model_load(argv[1], &m, &err) || syn_instance_create(m, &inst, &err) ||
      syn_instance_prepare(inst, &err) || syn_run(inst, &o, &r, &err))
    goto done;
  size_t n = syn_model_count(m, SYN_SYM_STATE), nt = syn_result_ntimes(r);
  y0 = malloc(n * sizeof *y0);
  g = malloc(n * nt * sizeof *g);
  if (y0 == NULL || g == NULL) goto done;
  syn_instance_initial(inst, y0);
  syn_ode ode;
  syn_instance_ode(inst, &ode);
  if (syn_gsl_integrate(&ode, 0, y0, syn_result_times(r), nt, o.solver.rtol, o.solver.atol, g,
                        &err))
    goto done;
  double worst = compare(r, g, n, nt, o.solver.atol), tol = atof(argv[5]);
  printf("%s: CVODE vs GSL msbdf, largest relative difference %.3g over %zu states x %zu times\n",
         argv[1], worst, n, nt);
  rc = worst < tol ? 0 : 1;
done:
  if (err.code) {
    char buf[4096];
    syn_error_format(&err, buf, sizeof buf);
    fputs(buf, stderr);
  }
  free(y0);
  free(g);
  syn_result_destroy(r);
  syn_instance_destroy(inst);
  syn_model_destroy(m);
  return rc;
}
