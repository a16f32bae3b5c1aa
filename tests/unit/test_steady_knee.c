/* synovia — syn_steady_state on the knee model (models/knee_oa.model), the
 * model whose steady baseline issue 13 made cheaper to confirm.
 *
 * - The bistable knee (knee.severity 0.01, examples/teaching/
 *   inflammation_switch): started healthy, its healthy steady state, where
 *   the integration goes; started inflamed, no steady state, as before.
 * - The knee sweep's range (effusive_OA, knee.severity 0.04-0.09): the
 *   baseline is the state the untreated model's own integration from the
 *   start reaches (run here for 10^6 h with syn_solver; states compared to
 *   1e-2, the slow states are still moving), KINSOL's root confirmed.
 * - The oscillating mild knees (effusive_OA at severities below 0.03, as in
 *   examples/virtual_population.sweep): no steady state, the message says the
 *   root is refused as not attracting, as before. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synovia/model.h"
#include "synovia/solver.h"
#include "synovia/steady.h"

typedef struct knee {
  syn_model *m;
  syn_instance *inst;
  syn_ode ode;
  double *y0; /* the starting state */
} knee;

/* The knee with preset (NULL: the declared values) and knee.severity. */
static void knee_open(knee *k, const char *preset, double severity) {
  syn_error err;
  memset(k, 0, sizeof *k);
  syn_status st = syn_model_load("models/knee_oa.model", &k->m, &err);
  if (st == SYN_OK) st = syn_instance_create(k->m, &k->inst, &err);
  if (st == SYN_OK && preset != NULL) st = syn_instance_use_preset(k->inst, preset, &err);
  if (st == SYN_OK) st = syn_instance_set(k->inst, "knee.severity", severity, &err);
  if (st == SYN_OK) st = syn_instance_prepare(k->inst, &err);
  if (st != SYN_OK) fail_msg("knee model: %s", err.message);
  syn_instance_ode(k->inst, &k->ode);
  k->y0 = calloc(k->ode.n, sizeof *k->y0);
  assert_non_null(k->y0);
  syn_instance_initial(k->inst, k->y0);
}

static void knee_close(knee *k) {
  free(k->y0);
  syn_instance_destroy(k->inst);
  syn_model_destroy(k->m);
}

static size_t state_index(const knee *k, const char *name) {
  for (size_t i = 0; i < k->ode.n; i++)
    if (k->ode.names != NULL && strcmp(k->ode.names[i], name) == 0) return i;
  fail_msg("no state %s", name);
  return 0;
}

/* Where the untreated knee is after horizon clock units from its start. */
static void integrate_from_start(const knee *k, const syn_solver_opts *o, double horizon,
                                 double *y) {
  syn_solver *s = NULL;
  syn_error err;
  double t_out = horizon;
  if (syn_solver_create(&k->ode, o, 0.0, k->y0, &s, &err) != SYN_OK ||
      syn_solver_integrate(s, &t_out, 1, NULL, 0, NULL, NULL, NULL, NULL, &err) != SYN_OK)
    fail_msg("integration: %s", err.message);
  syn_solver_state(s, y);
  syn_solver_destroy(s);
}

/* The baseline from the start, and the integration's end after 10^6 h: the
 * same state (each within 1e-4 of its size, or of atol). Returns SF IL-6. */
static double baseline_is_where_integration_goes(const char *preset, double severity) {
  knee k;
  knee_open(&k, preset, severity);
  syn_steady_opts o;
  syn_steady_info info;
  syn_error err;
  syn_steady_opts_default(&o);
  double *y = calloc(k.ode.n, sizeof *y), *z = calloc(k.ode.n, sizeof *z);
  assert_non_null(y);
  assert_non_null(z);
  memcpy(y, k.y0, k.ode.n * sizeof *y);
  if (syn_steady_state(&k.ode, 0.0, y, &o, &info, &err) != SYN_OK)
    fail_msg("%s, severity %g: %s", preset ? preset : "declared", severity, err.message);
  integrate_from_start(&k, &o.solver, 1e6, z);
  size_t il6 = state_index(&k, "knee.IL6");
  print_message("  %s, severity %g: %s, IL-6 %g (integration %g), confirmed over %g h, "
                "%ld steps\n",
                preset ? preset : "declared", severity, info.method, y[il6], z[il6],
                info.t_confirmed, info.confirm_steps);
  for (size_t i = 0; i < k.ode.n; i++)
    if (!(fabs(y[i] - z[i]) <= 1e-2 * fabs(z[i]) + 1e3 * o.solver.atol))
      fail_msg("%s, severity %g: %s is %.9g at the baseline, %.9g after 1e6 h",
               preset ? preset : "declared", severity, k.ode.names[i], y[i], z[i]);
  double v = y[il6];
  free(y);
  free(z);
  knee_close(&k);
  return v;
}

/* The bistable knee of examples/teaching/inflammation_switch (drive 0.01):
 * started healthy (the declared values) it keeps its healthy steady state,
 * the one its integration reaches (the confirming integration stops early
 * there, in the root's linear regime); started inflamed (effusive_OA) it
 * keeps drifting for 10^6 h and no steady baseline is found, as before. */
static void test_bistable_knee(void **state) {
  (void)state;
  double healthy = baseline_is_where_integration_goes(NULL, 0.01);
  assert_true(healthy < 100.0);
  knee k;
  knee_open(&k, "effusive_OA", 0.01);
  syn_error err;
  syn_status st = syn_steady_state(&k.ode, 0.0, k.y0, NULL, NULL, &err);
  print_message("  started inflamed: %s\n", st == SYN_OK ? "a steady state" : err.message);
  assert_int_equal(st, SYN_ESOLVER);
  assert_non_null(strstr(err.message, "no steady state found"));
  knee_close(&k);
}

/* The knee sweep's range: KINSOL's root, confirmed by an integration. */
static void test_sweep_range_knee(void **state) {
  (void)state;
  for (double sev = 0.04; sev <= 0.09 + 1e-12; sev += 0.025) {
    double v = baseline_is_where_integration_goes("effusive_OA", sev);
    assert_true(v > 300.0); /* inflamed */
  }
}

/* Mild knees oscillate: no steady state, as before. */
static void test_mild_knees_oscillate(void **state) {
  (void)state;
  const double sev[] = {0.02, 0.025};
  for (size_t j = 0; j < sizeof sev / sizeof *sev; j++) {
    knee k;
    knee_open(&k, "effusive_OA", sev[j]);
    syn_steady_info info;
    syn_error err;
    syn_status st = syn_steady_state(&k.ode, 0.0, k.y0, NULL, &info, &err);
    print_message("  severity %g: %s\n", sev[j], st == SYN_OK ? info.method : err.message);
    assert_int_equal(st, SYN_ESOLVER);
    assert_non_null(strstr(err.message, "no steady state found"));
    assert_non_null(strstr(err.message, "not attracting"));
    knee_close(&k);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bistable_knee),
      cmocka_unit_test(test_sweep_range_knee),
      cmocka_unit_test(test_mild_knees_oscillate),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
