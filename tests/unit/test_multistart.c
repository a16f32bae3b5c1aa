/* synovia — unit tests of the runner's jobs (include/synovia/sweep.h: syn_job)
 * and of a fit's multistart (include/synovia/multistart.h):
 * - a toy job (row i: params {i}, metric {i * i}, every third row failed with
 *   a reason) runs serially through syn_job_run into a file of the sweep
 *   layout with every row, status and reason as eval gave them, and a job
 *   that delivers gets <out>.rows (removed afterwards) and writes `out`;
 * - start k of tests/data/fit_decay/decay.fit is a pure function of k: the
 *   same point and end, bit for bit, from a fresh multistart, with another
 *   number of starts, and after other starts ran; inside the bounds; a start
 *   past the count is refused; the rows read back through syn_multistart_run
 *   (serial) are the starts run one by one.
 * Run from the repository root (the fit is opened by a relative path). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "synovia/h5sweep.h"
#include "synovia/multistart.h"
#include "synovia/sweep.h"
#include "support/tmpdir.h"

static const char *FIT = "tests/data/fit_decay/decay.fit";
static int setup(void **state) { return syn_test_dir_setup(state, "test_multistart", "out.h5"); }

static const char *dir_of(void **state) { return ((const syn_test_dir *)*state)->dir; }

/* ---- a toy job ------------------------------------------------------------------------ */

typedef struct toy {
  double param, metric;
  char reason[64];
  int delivered;
  char rows_seen[512];
} toy;

static syn_status toy_eval(void *ctx, size_t i, syn_sweep_sample *out, syn_error *err) {
  (void)err;
  toy *t = ctx;
  t->param = (double)i;
  t->metric = (double)(i * i);
  int failed = i % 3 == 2;
  snprintf(t->reason, sizeof t->reason, "row %zu refused", i);
  *out = (syn_sweep_sample){i, failed ? SYN_SWEEP_ERROR : SYN_SWEEP_OK, failed ? t->reason : "",
                            &t->param, &t->metric, NULL};
  return SYN_OK;
}

static syn_status toy_deliver(void *ctx, const char *rows, const char *out, syn_error *err) {
  toy *t = ctx;
  t->delivered++;
  snprintf(t->rows_seen, sizeof t->rows_seen, "%s", rows);
  FILE *f = fopen(out, "w");
  if (f == NULL) return syn_error_set(err, SYN_EIO, "cannot write '%s'", out);
  fputs("delivered\n", f);
  fclose(f);
  return access(rows, R_OK) == 0 ? SYN_OK : syn_error_set(err, SYN_EIO, "no rows file");
}

static const char *const toy_params[] = {"i"};
static const char *const toy_arms[] = {"a"};
static const char *const toy_metrics[] = {"i2"};

static syn_h5sweep_spec toy_spec(size_t n) {
  syn_h5sweep_spec s = {0};
  s.config_sha256 = "toy";
  s.nsamples = n;
  s.nparams = 1;
  s.param_names = toy_params;
  s.narms = 1;
  s.arm_names = toy_arms;
  s.nmetrics = 1;
  s.metric_names = toy_metrics;
  return s;
}

static void test_toy_job_rows(void **state) {
  toy t = {0};
  syn_h5sweep_spec spec = toy_spec(10);
  syn_job job = {"toy", "row", "nothing", &spec, NULL, toy_eval, NULL, NULL, &t, SYN_OK};
  syn_sweep_run_opts o;
  syn_sweep_run_opts_default(&o);
  char out[300];
  snprintf(out, sizeof out, "%s/toy.h5", dir_of(state));
  o.out_path = out;
  syn_sweep_report rep;
  syn_error err;
  assert_int_equal(syn_job_run(&job, &o, &rep, &err), SYN_OK);
  assert_int_equal(rep.total, 10);
  assert_int_equal(rep.failed, 3);
  syn_h5sweep_reader *rd = NULL;
  assert_int_equal(syn_h5sweep_open(out, &rd, &err), SYN_OK);
  double p[10], m[10];
  signed char st[10];
  assert_int_equal(syn_h5sweep_read_rows(rd, 0, 10, p, st, m, NULL, &err), SYN_OK);
  for (size_t i = 0; i < 10; i++) {
    assert_true(p[i] == (double)i && m[i] == (double)(i * i));
    assert_int_equal(st[i], i % 3 == 2 ? SYN_SWEEP_ERROR : SYN_SWEEP_OK);
  }
  char reason[64];
  assert_int_equal(syn_h5sweep_read_reason(rd, 5, reason, sizeof reason, NULL, &err), SYN_OK);
  assert_string_equal(reason, "row 5 refused");
  syn_h5sweep_reader_destroy(rd);
  char parts[320];
  snprintf(parts, sizeof parts, "%s.parts", out);
  assert_int_not_equal(access(parts, F_OK), 0); /* merged and removed */
}

static void test_toy_job_delivers(void **state) {
  toy t = {0};
  syn_h5sweep_spec spec = toy_spec(4);
  syn_job job = {"toy", "row", "nothing", &spec, NULL, toy_eval, NULL, toy_deliver, &t, SYN_OK};
  syn_sweep_run_opts o;
  syn_sweep_run_opts_default(&o);
  char out[300], rows[320];
  snprintf(out, sizeof out, "%s/delivered.txt", dir_of(state));
  snprintf(rows, sizeof rows, "%s.rows", out);
  o.out_path = out;
  syn_error err;
  assert_int_equal(syn_job_run(&job, &o, NULL, &err), SYN_OK);
  assert_int_equal(t.delivered, 1);
  assert_string_equal(t.rows_seen, rows);
  assert_int_equal(access(out, R_OK), 0);
  assert_int_not_equal(access(rows, F_OK), 0); /* the rows file is gone */
}

/* ---- multistart ----------------------------------------------------------------------- */

static syn_multistart *make(syn_fit *fit, size_t starts) {
  syn_multistart_opts o = {starts, -1, NULL, NULL};
  syn_multistart *ms = NULL;
  syn_error err;
  assert_int_equal(syn_multistart_create(fit, &o, &ms, &err), SYN_OK);
  return ms;
}

static void copy_result(const syn_start_result *r, size_t np, double *start, double *end,
                        double *f) {
  memcpy(start, r->start, np * sizeof *start);
  memcpy(end, r->end, np * sizeof *end);
  *f = r->objective;
}

static void test_start_is_a_function_of_k(void **state) {
  (void)state;
  syn_fit *fit = NULL;
  syn_error err;
  assert_int_equal(syn_fit_load(FIT, &fit, &err), SYN_OK);
  size_t np = syn_fit_param_count(fit);
  assert_int_equal(np, 2);
  syn_multistart *a = make(fit, 12), *b = make(fit, 30);
  syn_start_result r;
  double s1[2], e1[2], f1, s2[2], e2[2], f2;
  assert_int_equal(syn_multistart_run_start(a, 9, &r, &err), SYN_OK);
  copy_result(&r, np, s1, e1, &f1);
  for (size_t k = 0; k < 5; k++) /* other starts first: no state carries over */
    assert_int_equal(syn_multistart_run_start(b, k, &r, &err), SYN_OK);
  assert_int_equal(syn_multistart_run_start(b, 9, &r, &err), SYN_OK);
  copy_result(&r, np, s2, e2, &f2);
  assert_memory_equal(s1, s2, sizeof s1);
  assert_memory_equal(e1, e2, sizeof e1);
  assert_memory_equal(&f1, &f2, sizeof f1);
  for (size_t j = 0; j < np; j++) {
    const syn_fit_param *p = syn_fit_param_at(fit, j);
    assert_true(s1[j] >= p->lower && s1[j] <= p->upper);
  }
  assert_true(isfinite(f1));
  assert_int_equal(syn_multistart_run_start(a, 12, &r, &err), SYN_EINVAL);
  syn_multistart_destroy(a);
  syn_multistart_destroy(b);
  syn_fit_destroy(fit);
}

typedef struct got {
  syn_multistart_table t;
  int calls;
} got;

static syn_status keep_table(void *ctx, const syn_multistart_table *t, const char *out,
                             syn_error *err) {
  (void)out;
  (void)err;
  got *g = ctx;
  g->calls++;
  size_t n = t->nstarts, np = t->nparams;
  g->t = *t;
  g->t.start = malloc(n * np * sizeof *t->start);
  g->t.end = malloc(n * np * sizeof *t->end);
  g->t.objective = malloc(n * sizeof *t->objective);
  memcpy(g->t.start, t->start, n * np * sizeof *t->start);
  memcpy(g->t.end, t->end, n * np * sizeof *t->end);
  memcpy(g->t.objective, t->objective, n * sizeof *t->objective);
  return SYN_OK;
}

static void test_run_reads_back_the_starts(void **state) {
  syn_fit *fit = NULL;
  syn_error err;
  assert_int_equal(syn_fit_load(FIT, &fit, &err), SYN_OK);
  syn_multistart *ms = make(fit, 5);
  syn_sweep_run_opts o;
  syn_sweep_run_opts_default(&o);
  char out[300];
  snprintf(out, sizeof out, "%s/decay.h5", dir_of(state));
  o.out_path = out;
  got g = {0};
  assert_int_equal(syn_multistart_run(ms, &o, keep_table, &g, NULL, &err), SYN_OK);
  assert_int_equal(g.calls, 1);
  assert_int_equal(g.t.nstarts, 5);
  size_t best = 0;
  for (size_t k = 0; k < 5; k++) {
    syn_start_result r;
    assert_int_equal(syn_multistart_run_start(ms, k, &r, &err), SYN_OK);
    assert_memory_equal(g.t.start + 2 * k, r.start, 2 * sizeof *r.start);
    assert_memory_equal(g.t.end + 2 * k, r.end, 2 * sizeof *r.end);
    assert_memory_equal(g.t.objective + k, &r.objective, sizeof r.objective);
    if (g.t.objective[k] < g.t.objective[best]) best = k;
  }
  assert_int_equal(g.t.best, best);
  assert_memory_equal(&g.t.best_objective, g.t.objective + best, sizeof(double));
  free(g.t.start);
  free(g.t.end);
  free(g.t.objective);
  syn_multistart_destroy(ms);
  syn_fit_destroy(fit);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_toy_job_rows, setup, syn_test_dir_teardown),
      cmocka_unit_test_setup_teardown(test_toy_job_delivers, setup, syn_test_dir_teardown),
      cmocka_unit_test(test_start_is_a_function_of_k),
      cmocka_unit_test_setup_teardown(test_run_reads_back_the_starts, setup,
                                      syn_test_dir_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
