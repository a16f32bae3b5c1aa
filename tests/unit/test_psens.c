/* synovia — unit tests of the derivatives with respect to parameters
 * (include/synovia/psens.h): closed forms (d(-k x)/dk = -x, an initial value
 * 2*a, a let and a parameter defined from others, overrides that cut them),
 * every part against 4th-order central differences for every model of the
 * repository at random parameter points (the pattern included: an entry
 * left out must be zero), the errors for bad names, the bound on the size,
 * no allocation when evaluating, and allocation failures. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "model/model_impl.h"
#include "synovia/psens.h"

static syn_model *load(const char *text) {
  syn_model *m = NULL;
  syn_error err;
  if (syn_model_load_text("test.model", text, strlen(text), &m, &err) != SYN_OK)
    fail_msg("load failed: %s:%d:%d: %s", err.file, err.line, err.col, err.message);
  return m;
}

static syn_psens *psens(const syn_model *m, const char *const *names, size_t n) {
  syn_psens *ps = NULL;
  syn_error err;
  if (syn_psens_create(m, names, n, &ps, &err) != SYN_OK) fail_msg("psens: %s", err.message);
  return ps;
}

/* Dense d(part)/d(column) from the pattern and the values. */
static double entry(const syn_psens *ps, syn_psens_part part, const double *vals, size_t row,
                    size_t col) {
  syn_psens_pattern p;
  syn_psens_get_pattern(ps, part, &p);
  for (int32_t e = p.colptr[col]; e < p.colptr[col + 1]; e++)
    if ((size_t)p.rowind[e] == row) return vals[e];
  return 0.0;
}

/* A prepared instance with a workspace. */
typedef struct fixture {
  syn_model *m;
  syn_psens *ps;
  syn_instance *inst;
  syn_psens_work *w;
} fixture;

static void fixture_open(fixture *f, const char *text, const char *const *names, size_t n) {
  syn_error err;
  f->m = load(text);
  f->ps = psens(f->m, names, n);
  assert_int_equal(syn_instance_create(f->m, &f->inst, &err), SYN_OK);
  assert_int_equal(syn_psens_work_create(f->ps, &f->w, &err), SYN_OK);
}

static void fixture_prepare(fixture *f) {
  syn_error err;
  if (syn_instance_prepare(f->inst, &err) != SYN_OK) fail_msg("prepare: %s", err.message);
  if (syn_psens_prepare(f->w, f->inst, &err) != SYN_OK) fail_msg("psens prepare: %s", err.message);
}

static void fixture_close(fixture *f) {
  syn_psens_work_destroy(f->w);
  syn_instance_destroy(f->inst);
  syn_psens_destroy(f->ps);
  syn_model_destroy(f->m);
}

static double eval1(fixture *f, syn_psens_part part, double t, const double *y, size_t row,
                    size_t col) {
  double vals[64];
  syn_error err;
  syn_psens_pattern p;
  syn_psens_get_pattern(f->ps, part, &p);
  assert_true(p.nnz <= 64);
  if (syn_psens_eval(f->w, f->inst, part, t, y, vals, &err) != SYN_OK)
    fail_msg("eval: %s", err.message);
  return entry(f->ps, part, vals, row, col);
}

/* ---- closed forms --------------------------------------------------------------------- */

static void test_decay_dk(void **state) {
  (void)state;
  fixture f;
  const char *names[] = {"k"};
  fixture_open(&f, "param k = 0.3\nstate x = 5\nd/dt x = -k * x\noutput k2 = k * k * x\n", names, 1);
  assert_int_equal(syn_instance_set(f.inst, "k", 0.7, NULL), SYN_OK);
  fixture_prepare(&f);
  double y = 2.5;
  assert_true(eval1(&f, SYN_PSENS_DFDP, 0.0, &y, 0, 0) == -2.5);
  assert_true(eval1(&f, SYN_PSENS_DOUTDP, 0.0, &y, 0, 0) == 2 * 0.7 * 2.5);
  assert_true(eval1(&f, SYN_PSENS_DOUTDY, 0.0, &y, 0, 0) == 0.7 * 0.7);
  syn_psens_pattern p;
  syn_psens_get_pattern(f.ps, SYN_PSENS_DY0DP, &p);
  assert_int_equal(p.nnz, 0); /* x0 = 5 does not depend on k */
  fixture_close(&f);
}

static void test_initial_value(void **state) {
  (void)state;
  fixture f;
  const char *names[] = {"a", "z"};
  fixture_open(&f, "param a = 1.5\nstate x = 2 * a\nstate z = 1\nd/dt x = -x\nd/dt z = -z\n",
               names, 2);
  fixture_prepare(&f);
  assert_true(eval1(&f, SYN_PSENS_DY0DP, 0, NULL, 0, 0) == 2.0); /* dx0/da */
  assert_true(eval1(&f, SYN_PSENS_DY0DP, 0, NULL, 1, 1) == 1.0); /* dz0/dz0 */
  assert_true(eval1(&f, SYN_PSENS_DY0DP, 0, NULL, 1, 0) == 0.0);
  /* an initial value set by the caller no longer follows a */
  assert_int_equal(syn_instance_set(f.inst, "x", 4.0, NULL), SYN_OK);
  fixture_prepare(&f);
  assert_true(eval1(&f, SYN_PSENS_DY0DP, 0, NULL, 0, 0) == 0.0);
  assert_int_equal(syn_psens_kind(f.ps, 1), SYN_SYM_STATE);
  assert_string_equal(syn_psens_name(f.ps, 0), "a");
  fixture_close(&f);
}

/* d/da of -c x where c = a*b (a let, then a parameter defined from others):
 * -b x, through the definition; an override of c cuts it. */
static void test_derived_constants(void **state) {
  (void)state;
  const char *models[] = {
      "param a = 2\nparam b = 3\nlet c = a * b\nstate x = 1\nd/dt x = -c * x\n",
      "param a = 2\nparam b = 3\nparam c = a * b\nstate x = 1\nd/dt x = -c * x\n",
      "param a = 2\nparam b = 3\nparam c = a * b\nparam e = c + a\nstate x = 1\nd/dt x = -e * x\n",
  };
  const double want[] = {-3.0 * 1.5, -3.0 * 1.5, -(3.0 + 1.0) * 1.5};
  for (int i = 0; i < 3; i++) {
    fixture f;
    const char *names[] = {"a"};
    fixture_open(&f, models[i], names, 1);
    fixture_prepare(&f);
    double y = 1.5;
    assert_true(eval1(&f, SYN_PSENS_DFDP, 0, &y, 0, 0) == want[i]);
    if (i == 1) { /* c given: a no longer acts through it */
      assert_int_equal(syn_instance_set(f.inst, "c", 6.0, NULL), SYN_OK);
      fixture_prepare(&f);
      assert_true(eval1(&f, SYN_PSENS_DFDP, 0, &y, 0, 0) == 0.0);
    }
    fixture_close(&f);
  }
}

/* A free parameter defined from others is independent of them. */
static void test_free_derived(void **state) {
  (void)state;
  fixture f;
  const char *names[] = {"a", "c"};
  fixture_open(&f, "param a = 2\nparam c = a * 3\nstate x = 1\nd/dt x = -c * x - a\n", names, 2);
  assert_int_equal(syn_instance_set(f.inst, "c", 5.0, NULL), SYN_OK);
  fixture_prepare(&f);
  double y = 2.0;
  assert_true(eval1(&f, SYN_PSENS_DFDP, 0, &y, 0, 0) == -1.0);
  assert_true(eval1(&f, SYN_PSENS_DFDP, 0, &y, 0, 1) == -2.0);
  fixture_close(&f);
}

/* Route scales, per-joint names moving together, and inputs (d f/d u = 1
 * is not part of df/dp: an input rate does not change it). */
static void test_routes_and_joints(void **state) {
  (void)state;
  fixture f;
  const char *names[] = {"f_viable", "k"};
  fixture_open(&f,
               "joints L R\nparam f_viable = 0.5\n"
               "per joint {\n  param k = 0.2\n  state X = 0\n  d/dt X = -k * X\n"
               "  route IA -> X scale f_viable * k\n}\n",
               names, 2);
  assert_int_equal(syn_psens_count(f.ps), 2);
  fixture_prepare(&f);
  assert_int_equal(syn_instance_set_input(f.inst, 0, 3.0, NULL), SYN_OK);
  double y[2] = {1.0, 2.0};
  assert_true(eval1(&f, SYN_PSENS_DFDP, 0, y, 0, 1) == -1.0);
  assert_true(eval1(&f, SYN_PSENS_DFDP, 0, y, 1, 1) == -2.0);
  assert_true(eval1(&f, SYN_PSENS_DFDP, 0, y, 0, 0) == 0.0);
  for (size_t r = 0; r < 2; r++) {
    assert_true(eval1(&f, SYN_PSENS_DSCALEDP, 0, NULL, r, 0) == 0.2);
    assert_true(eval1(&f, SYN_PSENS_DSCALEDP, 0, NULL, r, 1) == 0.5);
  }
  fixture_close(&f);
}

static void expect_error(const char *text, const char *const *names, size_t n, syn_status code,
                         const char *message) {
  syn_model *m = load(text);
  syn_psens *ps = NULL;
  syn_error err;
  assert_int_equal(syn_psens_create(m, names, n, &ps, &err), code);
  assert_null(ps);
  if (strstr(err.message, message) == NULL) fail_msg("message '%s' lacks '%s'", err.message, message);
  syn_model_destroy(m);
}

static void test_bad_names(void **state) {
  (void)state;
  const char *text = "joints L R\nparam k_deg = 1\nlet c = 2 * k_deg\nper joint {\n"
                     "  param s = 1\n  state X = 1\n  d/dt X = -c * s * X\n}\noutput o = c\n";
  const char *typo[] = {"k_dge"};
  expect_error(text, typo, 1, SYN_EINVAL, "unknown free parameter 'k_dge' (did you mean 'k_deg'?)");
  const char *let[] = {"c"};
  expect_error(text, let, 1, SYN_EINVAL, "'c' is a let and cannot be a free parameter");
  const char *out[] = {"o"};
  expect_error(text, out, 1, SYN_EINVAL, "'o' is an output and cannot be a free parameter");
  const char *twice[] = {"k_deg", "k_deg"};
  expect_error(text, twice, 2, SYN_EINVAL, "'k_deg' is given twice as a free parameter");
  const char *copy[] = {"s", "R.s"};
  expect_error(text, copy, 2, SYN_EINVAL, "'R.s' is given twice as a free parameter (also through 's')");
  const char *empty[] = {""};
  expect_error(text, empty, 1, SYN_EINVAL, "unknown free parameter ''");
}

/* An instance of another model, one not prepared, or a workspace that was not prepared. */
static void test_misuse(void **state) {
  (void)state;
  fixture f, g;
  const char *names[] = {"k"};
  const char *text = "param k = 1\nstate x = 1\nd/dt x = -k * x\n";
  fixture_open(&f, text, names, 1);
  fixture_open(&g, text, names, 1);
  syn_error err;
  double v[4], y = 1;
  assert_int_equal(syn_psens_eval(f.w, f.inst, SYN_PSENS_DFDP, 0, &y, v, &err), SYN_EINVAL);
  assert_int_equal(syn_psens_prepare(f.w, f.inst, &err), SYN_EINVAL); /* not prepared */
  assert_int_equal(syn_instance_prepare(g.inst, &err), SYN_OK);
  assert_int_equal(syn_psens_prepare(f.w, g.inst, &err), SYN_EINVAL); /* another model */
  fixture_prepare(&f);
  assert_int_equal(syn_psens_eval(f.w, g.inst, SYN_PSENS_DFDP, 0, &y, v, &err), SYN_EINVAL);
  fixture_close(&f);
  fixture_close(&g);
}

/* Two workspaces on one syn_psens, prepared from two instances with other
 * values, evaluated in turn: neither sees the other's values. */
static void test_two_workspaces(void **state) {
  (void)state;
  fixture f;
  const char *names[] = {"k"};
  fixture_open(&f, "param k = 1\nparam c = k * k\nstate x = 1\nd/dt x = -c * x\n", names, 1);
  syn_instance *inst2 = NULL;
  syn_psens_work *w2 = NULL;
  syn_error err;
  assert_int_equal(syn_instance_create(f.m, &inst2, &err), SYN_OK);
  assert_int_equal(syn_psens_work_create(f.ps, &w2, &err), SYN_OK);
  assert_int_equal(syn_instance_set(f.inst, "k", 2.0, NULL), SYN_OK);
  assert_int_equal(syn_instance_set(inst2, "k", 3.0, NULL), SYN_OK);
  fixture_prepare(&f);
  assert_int_equal(syn_instance_prepare(inst2, &err), SYN_OK);
  assert_int_equal(syn_psens_prepare(w2, inst2, &err), SYN_OK);
  double y = 1.0, v1 = 0, v2 = 0;
  for (int i = 0; i < 3; i++) {
    assert_int_equal(syn_psens_eval(f.w, f.inst, SYN_PSENS_DFDP, 0, &y, &v1, NULL), SYN_OK);
    assert_int_equal(syn_psens_eval(w2, inst2, SYN_PSENS_DFDP, 0, &y, &v2, NULL), SYN_OK);
    assert_true(v1 == -4.0); /* -2k x */
    assert_true(v2 == -6.0);
  }
  syn_psens_work_destroy(w2);
  syn_instance_destroy(inst2);
  fixture_close(&f);
}

static void test_nonfinite(void **state) {
  (void)state;
  fixture f;
  const char *names[] = {"a"};
  fixture_open(&f, "param a = 1\nstate x = 1\nd/dt x = -sqrt(a * x)\n", names, 1);
  fixture_prepare(&f);
  double y = 0.0, v[4];
  syn_error err;
  assert_int_equal(syn_psens_eval(f.w, f.inst, SYN_PSENS_DFDP, 0, &y, v, &err), SYN_ENONFINITE);
  if (strstr(err.message, "derivative of d/dt x with respect to 'a'") == NULL)
    fail_msg("%s", err.message);
  fixture_close(&f);
}

static void test_no_allocation(void **state) {
  (void)state;
  fixture f;
  const char *names[] = {"a", "b", "x"};
  fixture_open(&f, "param a = 2\nparam b = a * 3\nstate x = b\nd/dt x = -b * x + a\n"
                   "output o = x * a\nroute IV -> x scale a\n", names, 3);
  syn_instance_set(f.inst, "x", 1.0, NULL);
  fixture_prepare(&f);
  double y = 1, v[16];
  long before = syn_alloc_test_count();
  fixture_prepare(&f);
  for (int part = 0; part < SYN_PSENS_PART_COUNT; part++)
    assert_int_equal(syn_psens_eval(f.w, f.inst, (syn_psens_part)part, 0, &y, v, NULL), SYN_OK);
  /* syn_instance_prepare above allocates nothing either */
  assert_int_equal(syn_alloc_test_count(), before);
  fixture_close(&f);
}

static void test_allocation_failures(void **state) {
  (void)state;
  syn_model *m = load("param a = 2\nparam b = a * 3\nstate x = b\nd/dt x = -b * x + a\n"
                      "output o = x * a\nroute IV -> x scale a\n");
  const char *names[] = {"a", "x"};
  for (long n = 1;; n++) {
    syn_psens *ps = NULL;
    syn_psens_work *w = NULL;
    syn_error err;
    syn_alloc_test_fail_after(n);
    syn_status s = syn_psens_create(m, names, 2, &ps, &err);
    if (s == SYN_OK) s = syn_psens_work_create(ps, &w, &err);
    syn_alloc_test_fail_after(0);
    syn_psens_work_destroy(w);
    syn_psens_destroy(ps);
    if (s == SYN_OK) break;
    assert_int_equal(s, SYN_ENOMEM);
    assert_true(n < 10000);
  }
  syn_model_destroy(m);
}

/* The bound of the compiler: J joints, each with its own parameter p that
 * every d/dt reads through sum(joint, p): J^2 entries of df/dp for the J
 * copies, over 2^25 at J = 6000 (the Jacobian has J entries). */
static void test_bound(void **state) {
  (void)state;
  enum { J = 6000 };
  size_t cap = 16 * J + 256, len = 0;
  char *text = malloc(cap);
  const char **names = malloc(J * sizeof *names);
  char *name_buf = malloc(J * 16);
  assert_non_null(text);
  assert_non_null(names);
  assert_non_null(name_buf);
  len += (size_t)snprintf(text + len, cap - len, "joints");
  for (int j = 0; j < J; j++) {
    len += (size_t)snprintf(text + len, cap - len, " j%d", j);
    snprintf(name_buf + 16 * j, 16, "j%d.p", j);
    names[j] = name_buf + 16 * j;
  }
  snprintf(text + len, cap - len,
           "\nper joint {\n  param p = 1\n  state X = 1\n  d/dt X = -sum(joint, p) * X\n}\n");
  syn_model *m = load(text);
  syn_psens *ps = NULL;
  syn_error err;
  assert_int_equal(syn_psens_create(m, names, J, &ps, &err), SYN_ELIMIT);
  if (strstr(err.message, "more than 33554432 nonzero entries") == NULL) fail_msg("%s", err.message);
  /* one per-joint name: the copies move together, J entries */
  const char *all[] = {"p"};
  ps = psens(m, all, 1);
  syn_psens_pattern p;
  syn_psens_get_pattern(ps, SYN_PSENS_DFDP, &p);
  assert_int_equal(p.nnz, J);
  syn_psens_destroy(ps);
  syn_model_destroy(m);
  free(text);
  free(names);
  free(name_buf);
}

/* ---- every model against finite differences ---------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static double uniform(void) { /* xorshift64*, fixed seed */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (double)((rng_state * 0x2545f4914f6cdd1dULL) >> 11) / 9007199254740992.0;
}
static double factor(void) { return exp(log(0.5) + uniform() * log(4.0)); } /* [0.5, 2] */

typedef struct fd_run {
  const char *path;
  syn_model *m;
  syn_instance *inst;
  size_t ns, no, nr, nrows; /* rows: rhs, outputs, initial values, route scales */
  double t;
  double *y;
  double worst;             /* relative error */
  char worst_at[256];
  size_t checked;
} fd_run;

/* Everything differentiated, at the instance's current values. */
static void all_values(fd_run *r, const double *y, double *out) {
  syn_error err;
  if (syn_instance_prepare(r->inst, &err) != SYN_OK) fail_msg("%s: %s", r->path, err.message);
  syn_ode ode;
  syn_instance_ode(r->inst, &ode);
  ode.rhs(r->t, y, out, ode.ctx);
  syn_instance_outputs(r->inst, r->t, y, out + r->ns, NULL);
  syn_instance_initial(r->inst, out + r->ns + r->no);
  for (size_t i = 0; i < r->nr; i++) out[2 * r->ns + r->no + i] = syn_instance_route_scale(r->inst, i);
}

/* 4th-order central differences of all rows with respect to one value (set
 * by name, or y[j] when name is NULL), with NH relative steps: d[s][i],
 * noise[s][i] the rounding level of step s. A derivative is compared with
 * the step that agrees best: truncation wants a small step, rounding (a
 * d/dt that is a difference of large terms) a large one, and the best step
 * differs between rows; a wrong rule agrees at none. */
enum { NH = 4 };
static const double rel_step[NH] = {1e-2, 1e-3, 1e-4, 1e-5};

static void central(fd_run *r, const char *name, double v, size_t j, double *d[NH],
                    double *noise[NH]) {
  const double off[4] = {-2, -1, 1, 2}, w[4] = {1, -8, 8, -1};
  double *f = calloc(r->nrows + 1, sizeof *f), *yy = malloc((r->ns + 1) * sizeof *yy);
  assert_non_null(f);
  assert_non_null(yy);
  memcpy(yy, r->y, r->ns * sizeof *yy);
  for (int k = 0; k < NH; k++) {
    double h = v != 0 ? rel_step[k] * fabs(v) : rel_step[k] * 1e-3;
    for (size_t i = 0; i < r->nrows; i++) d[k][i] = noise[k][i] = 0;
    for (int s = 0; s < 4; s++) {
      if (name) assert_int_equal(syn_instance_set(r->inst, name, v + off[s] * h, NULL), SYN_OK);
      else yy[j] = v + off[s] * h;
      all_values(r, yy, f);
      for (size_t i = 0; i < r->nrows; i++) {
        d[k][i] += w[s] * f[i] / (12 * h);
        noise[k][i] = fmax(noise[k][i], 1e-13 * fabs(f[i]) / h);
      }
    }
  }
  if (name) assert_int_equal(syn_instance_set(r->inst, name, v, NULL), SYN_OK);
  free(f);
  free(yy);
}

static void compare(fd_run *r, double exact, double *d[NH], double *noise[NH], size_t row,
                    const char *what) {
  int best = 0;
  double best_e = HUGE_VAL;
  for (int k = 0; k < NH; k++) { /* a step across a pole or out of the domain gives NaN */
    double e = fabs(exact - d[k][row]);
    if (e < best_e) best = k, best_e = e;
  }
  double fd = d[best][row], nz = noise[best][row];
  double e = fabs(exact - fd), rel = e / fmax(fabs(fd), 1e-300);
  if (!(e <= 1e-6 * fabs(fd) + nz))
    fail_msg("%s: %s: exact %.17g, finite differences %.17g (noise %.3g)", r->path, what, exact,
             fd, nz);
  r->checked++;
  if (fabs(fd) > 1e3 * nz && rel > r->worst) {
    r->worst = rel;
    snprintf(r->worst_at, sizeof r->worst_at, "%s", what);
  }
}

/* Column col of part (rows offset by base in the fd vectors) against them. */
static void compare_column(fd_run *r, const syn_psens *ps, syn_psens_part part, const double *vals,
                           size_t col, double *d[NH], double *noise[NH], size_t base,
                           size_t nrows, const char *wrt) {
  static const char *const part_name[] = {"df/dp", "dy0/dp", "dout/dy", "dout/dp", "dscale/dp"};
  for (size_t i = 0; i < nrows; i++) {
    char what[200];
    snprintf(what, sizeof what, "%s row %zu wrt %s", part_name[part], i, wrt);
    compare(r, entry(ps, part, vals, i, col), d, noise, base + i, what);
  }
}

static int is_base_constant(const syn_model *m, syn_symkind k, size_t i) {
  return m->dag.nodes[m->info[k][i].expr].op == SYN_OP_CONST;
}

/* Values and registers that are not finite at r->y: the registers tell
 * which joint's part of an aggregate is out of its domain. */
static size_t count_nonfinite(fd_run *r, double *f) {
  size_t n = 0;
  all_values(r, r->y, f);
  for (size_t i = 0; i < r->nrows; i++) n += !isfinite(f[i]);
  for (size_t k = 0; k < r->m->nregs; k++) n += !isfinite(r->inst->reg[k]);
  return n;
}

/* Of 20 random values of state i (the others as they are), the first that
 * leaves fewer values non-finite than *bad, and fewest; y[i] stays as it
 * is when none does. */
static void best_draw(fd_run *r, size_t i, double y0i, double *f, size_t *bad) {
  double keep = r->y[i];
  for (int tries = 0; tries < 20 && *bad > 0; tries++) {
    r->y[i] = (fabs(y0i) + 0.01) * factor();
    size_t now = count_nonfinite(r, f);
    if (now < *bad) *bad = now, keep = r->y[i];
  }
  r->y[i] = keep;
}

/* A random state near the initial one, and a time, where the model's own
 * values are finite. A random state may leave the model's domain (a lining
 * thinner than normal, or cartilage above normal, under a power whose
 * exponent is perturbed), and so may the initial state with perturbed
 * parameters: each state is drawn alone from the initial state (the
 * domains here are one state's each), keeping the draw that leaves fewest
 * values non-finite; then state by state until none is. */
static void draw_state(fd_run *r) {
  double *f = malloc((r->nrows + 1) * sizeof *f), *y0 = malloc((r->ns + 1) * sizeof *y0);
  double *draw = malloc((r->ns + 1) * sizeof *draw);
  assert_non_null(f);
  assert_non_null(y0);
  assert_non_null(draw);
  r->t = 10 * uniform();
  syn_instance_initial(r->inst, y0);
  memcpy(r->y, y0, r->ns * sizeof *y0);
  size_t bad0 = count_nonfinite(r, f);
  for (size_t i = 0; i < r->ns; i++) {
    size_t bad = bad0 + 1; /* a draw that is no worse than the initial value */
    best_draw(r, i, y0[i], f, &bad);
    draw[i] = r->y[i];
    r->y[i] = y0[i];
  }
  memcpy(r->y, draw, r->ns * sizeof *draw);
  size_t bad = count_nonfinite(r, f);
  for (int sweep = 0; sweep < 5 && bad > 0; sweep++)
    for (size_t i = 0; i < r->ns && bad > 0; i++) best_draw(r, i, y0[i], f, &bad);
  all_values(r, r->y, f);
  for (size_t i = 0; i < r->nrows; i++)
    if (!isfinite(f[i])) fail_msg("%s: no random state where all values are finite", r->path);
  free(f);
  free(y0);
  free(draw);
}

/* all: every constant and initial value free and set; else the constants
 * defined by a number (the others follow them). */
static void check_model_config(fd_run *r, int all) {
  const syn_model *m = r->m;
  syn_error err;
  const char **names = calloc(m->nconst + r->ns + 1, sizeof *names);
  assert_non_null(names);
  size_t n = 0;
  assert_int_equal(syn_instance_create(m, &r->inst, &err), SYN_OK);
  for (int k = SYN_SYM_COMPARTMENT; k <= SYN_SYM_STATE; k++)
    for (size_t i = 0; i < m->nsym[k]; i++) {
      int base = k != SYN_SYM_STATE && is_base_constant(m, (syn_symkind)k, i);
      if (!all && !base) continue;
      const char *name = m->sym[k][i].name;
      names[n++] = name;
      if (k != SYN_SYM_STATE || all)
        assert_int_equal(syn_instance_set(r->inst, name, m->sym[k][i].value * factor(), NULL), SYN_OK);
    }
  syn_psens *ps = NULL;
  syn_psens_work *w = NULL;
  if (syn_psens_create(m, names, n, &ps, &err) != SYN_OK) fail_msg("%s: %s", r->path, err.message);
  assert_int_equal(syn_psens_work_create(ps, &w, &err), SYN_OK);
  if (syn_instance_prepare(r->inst, &err) != SYN_OK) fail_msg("%s: %s", r->path, err.message);
  for (size_t i = 0; i < m->nsym[SYN_SYM_STATE]; i++)
    if (m->input_node[i] != DAG_NONE) syn_instance_set_input(r->inst, i, uniform(), NULL);
  draw_state(r);
  if (syn_psens_prepare(w, r->inst, &err) != SYN_OK) fail_msg("%s: %s", r->path, err.message);
  double *vals[SYN_PSENS_PART_COUNT];
  for (int p = 0; p < SYN_PSENS_PART_COUNT; p++) {
    syn_psens_pattern pat;
    syn_psens_get_pattern(ps, (syn_psens_part)p, &pat);
    vals[p] = malloc((pat.nnz + 1) * sizeof *vals[p]);
    assert_non_null(vals[p]);
    if (syn_psens_eval(w, r->inst, (syn_psens_part)p, r->t, r->y, vals[p], &err) != SYN_OK)
      fail_msg("%s: %s", r->path, err.message);
  }
  double *d[NH], *noise[NH];
  for (int k = 0; k < NH; k++) {
    d[k] = malloc((r->nrows + 1) * sizeof *d[k]);
    noise[k] = malloc((r->nrows + 1) * sizeof *noise[k]);
    assert_non_null(d[k]);
    assert_non_null(noise[k]);
  }
  size_t o_out = r->ns, o_y0 = r->ns + r->no, o_sc = 2 * r->ns + r->no;
  for (size_t k = 0; k < n; k++) {
    syn_symkind kind;
    size_t i;
    assert_true(syn_model_find(m, names[k], &kind, &i));
    double v = kind == SYN_SYM_STATE ? m->sym[kind][i].value : syn_instance_value(r->inst, kind, i);
    if (kind == SYN_SYM_STATE) { /* its current (set) initial value */
      double *y0 = malloc((r->ns + 1) * sizeof *y0);
      assert_non_null(y0);
      syn_instance_initial(r->inst, y0);
      v = y0[i];
      free(y0);
    }
    central(r, names[k], v, 0, d, noise);
    compare_column(r, ps, SYN_PSENS_DFDP, vals[SYN_PSENS_DFDP], k, d, noise, 0, r->ns, names[k]);
    compare_column(r, ps, SYN_PSENS_DOUTDP, vals[SYN_PSENS_DOUTDP], k, d, noise, o_out, r->no, names[k]);
    compare_column(r, ps, SYN_PSENS_DY0DP, vals[SYN_PSENS_DY0DP], k, d, noise, o_y0, r->ns, names[k]);
    compare_column(r, ps, SYN_PSENS_DSCALEDP, vals[SYN_PSENS_DSCALEDP], k, d, noise, o_sc, r->nr, names[k]);
  }
  if (!all) /* d out / d y once per model */
    for (size_t j = 0; j < r->ns; j++) {
      central(r, NULL, r->y[j], j, d, noise);
      compare_column(r, ps, SYN_PSENS_DOUTDY, vals[SYN_PSENS_DOUTDY], j, d, noise, o_out, r->no,
                     m->sym[SYN_SYM_STATE][j].name);
    }
  for (int p = 0; p < SYN_PSENS_PART_COUNT; p++) free(vals[p]);
  for (int k = 0; k < NH; k++) {
    free(d[k]);
    free(noise[k]);
  }
  free(names);
  syn_psens_work_destroy(w);
  syn_psens_destroy(ps);
  syn_instance_destroy(r->inst);
  r->inst = NULL;
}

static void check_model(const char *path, double *worst, char *worst_at, size_t size) {
  fd_run r = {.path = path};
  syn_error err;
  if (syn_model_load(path, &r.m, &err) != SYN_OK) fail_msg("%s: %s", path, err.message);
  r.ns = r.m->nsym[SYN_SYM_STATE];
  r.no = r.m->nsym[SYN_SYM_OUTPUT];
  r.nr = r.m->nroutes;
  r.nrows = 2 * r.ns + r.no + r.nr;
  r.y = malloc((r.ns + 1) * sizeof *r.y);
  assert_non_null(r.y);
  check_model_config(&r, 0);
  check_model_config(&r, 1);
  print_message("# %s: %zu derivatives, worst relative difference %.2g (%s)\n", path, r.checked,
                r.worst, r.worst_at);
  if (r.worst > *worst) {
    *worst = r.worst;
    snprintf(worst_at, size, "%s: %s", path, r.worst_at);
  }
  free(r.y);
  syn_model_destroy(r.m);
}

/* Every *.model under dir (recursively), except under skip: appended to *list. */
static void find_models(const char *dir, const char *skip, char ***list, size_t *n) {
  DIR *d = opendir(dir);
  if (d == NULL) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat st;
    if (stat(path, &st) != 0 || (skip && strcmp(path, skip) == 0)) continue;
    size_t len = strlen(path);
    if (S_ISDIR(st.st_mode)) {
      find_models(path, skip, list, n);
    } else if (len > 6 && strcmp(path + len - 6, ".model") == 0) {
      *list = realloc(*list, (*n + 1) * sizeof **list);
      assert_non_null(*list);
      (*list)[(*n)++] = strdup(path);
    }
  }
  closedir(d);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* As tests/integration/jacobian.sh: every model of models/ and examples/
 * (models/parts/ are checked through the models importing them), and every
 * model under tests/ that loads (some are meant to fail; tests/lang/ holds
 * rejection tables). */
static void test_every_model(void **state) {
  (void)state;
  char **shipped = NULL, **fixtures = NULL;
  size_t nshipped = 0, nfixtures = 0, nchecked = 0;
  find_models("models", "models/parts", &shipped, &nshipped);
  find_models("examples", NULL, &shipped, &nshipped);
  find_models("tests", "tests/lang", &fixtures, &nfixtures);
  assert_true(nshipped >= 10); /* run from the top of the tree */
  qsort(shipped, nshipped, sizeof *shipped, cmp_str);
  qsort(fixtures, nfixtures, sizeof *fixtures, cmp_str);
  double worst = 0;
  char worst_at[512] = "";
  for (size_t i = 0; i < nshipped + nfixtures; i++) {
    const char *path = i < nshipped ? shipped[i] : fixtures[i - nshipped];
    syn_model *m = NULL;
    if (i >= nshipped && syn_model_load(path, &m, NULL) != SYN_OK) continue;
    syn_model_destroy(m);
    check_model(path, &worst, worst_at, sizeof worst_at);
    nchecked++;
  }
  print_message("# %zu models: worst relative difference %.2g at %s\n", nchecked, worst, worst_at);
  for (size_t i = 0; i < nshipped; i++) free(shipped[i]);
  for (size_t i = 0; i < nfixtures; i++) free(fixtures[i]);
  free(shipped);
  free(fixtures);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_decay_dk),
      cmocka_unit_test(test_initial_value),
      cmocka_unit_test(test_derived_constants),
      cmocka_unit_test(test_free_derived),
      cmocka_unit_test(test_routes_and_joints),
      cmocka_unit_test(test_bad_names),
      cmocka_unit_test(test_misuse),
      cmocka_unit_test(test_two_workspaces),
      cmocka_unit_test(test_nonfinite),
      cmocka_unit_test(test_no_allocation),
      cmocka_unit_test(test_allocation_failures),
      cmocka_unit_test(test_bound),
      cmocka_unit_test(test_every_model),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
