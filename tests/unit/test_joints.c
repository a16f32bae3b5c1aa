/* synovia — unit tests of many-joint models, routes, presets and inputs
 * (model layer, with syn_run for the 20-joint model): replication of
 * `per joint` declarations, name contexts, aggregates against values computed
 * here from the state vector, the sparsity and exactness of the Jacobian,
 * per-joint settings, presets, route scales and input registers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "synovia/model.h"
#include "synovia/result.h"
#include "synovia/run.h"

static const char *const J20 = "tests/models/joints20.model";

/* A small model: two joints, a systemic state, routes, presets. */
static const char TWO[] =
    "time unit h\n"
    "joints L R\n"
    "param f = 0.5\n"
    "param k = 0.1 /h\n"
    "state C = 1\n"
    "per joint {\n"
    "  param s = 1\n"
    "  param k = 2 * s    # a per-joint name may not repeat a systemic one\n"
    "}\n";

static const char KNEES[] =
    "time unit h\n"
    "joints L R\n"
    "param f = 0.5\n"
    "param kc = 0.1 /h\n"
    "state C = 1\n"
    "per joint {\n"
    "  param s = 1\n"
    "  param g = 2 * s + f\n"
    "  state X = s\n"
    "  state M = 0\n"
    "  d/dt X = g - X * X + C\n"
    "  d/dt M = -0.5 * M\n"
    "  route IA -> M scale f * s\n"
    "  output y = X * g\n"
    "}\n"
    "d/dt C = -kc * C + 0.1 * sum(joint, X)\n"
    "output tot = sum(joint, X)\n"
    "output hi = max(joint, X)\n"
    "output lo = min(joint, X)\n"
    "output avg = mean(joint, X * s)\n"
    "output r = R.X - L.X\n"
    "route IV -> C\n"
    "preset flare { R.s = 3; f = 0.8 }\n"
    "preset all { s = 2 * f }\n";

static syn_model *load_text(const char *text) {
  syn_model *m = NULL;
  syn_error err;
  syn_status s = syn_model_load_text("knees.model", text, strlen(text), &m, &err);
  if (s != SYN_OK) fprintf(stderr, "%s:%d:%d: %s\n", err.file, err.line, err.col, err.message);
  assert_int_equal(s, SYN_OK);
  return m;
}

static size_t state_index(const syn_model *m, const char *name) {
  syn_symkind k;
  size_t i;
  assert_true(syn_model_find(m, name, &k, &i));
  assert_int_equal(k, SYN_SYM_STATE);
  return i;
}

static size_t output_index(const syn_model *m, const char *name) {
  syn_symkind k;
  size_t i;
  assert_true(syn_model_find(m, name, &k, &i));
  assert_int_equal(k, SYN_SYM_OUTPUT);
  return i;
}

static double param_value(const syn_instance *inst, const char *name) {
  syn_symkind k;
  size_t i;
  assert_true(syn_model_find(syn_instance_model(inst), name, &k, &i));
  return syn_instance_value(inst, k, i);
}

static void test_replication_and_names(void **state) {
  (void)state;
  syn_model *m = load_text(KNEES);
  assert_int_equal(syn_model_joint_count(m), 2);
  assert_string_equal(syn_model_joint(m, 1), "R");
  assert_null(syn_model_joint(m, 2));
  assert_int_equal(syn_model_count(m, SYN_SYM_STATE), 5);
  assert_int_equal(syn_model_count(m, SYN_SYM_PARAM), 6);
  /* a block is laid out joint by joint */
  static const char *const states[] = {"C", "L.X", "L.M", "R.X", "R.M"};
  for (size_t i = 0; i < 5; i++)
    assert_string_equal(syn_model_symbol(m, SYN_SYM_STATE, i)->name, states[i]);
  const syn_symbol *rx = syn_model_symbol(m, SYN_SYM_STATE, 3);
  assert_string_equal(rx->joint, "R");
  assert_string_equal(rx->base, "X");
  const syn_symbol *c = syn_model_symbol(m, SYN_SYM_STATE, 0);
  assert_string_equal(c->joint, "");
  assert_string_equal(c->base, "C");
  assert_false(syn_model_find(m, "X", NULL, NULL)); /* only the copies are symbols */
  /* defaults: g = 2 s + f per joint */
  syn_symkind k;
  size_t i;
  assert_true(syn_model_find(m, "R.g", &k, &i));
  assert_true(syn_model_symbol(m, k, i)->value == 2.5);
  syn_model_destroy(m);
}

/* Outputs that aggregate, checked against the state vector and parameters. */
static void test_aggregates(void **state) {
  (void)state;
  syn_model *m = load_text(KNEES);
  syn_instance *inst = NULL;
  syn_error err;
  assert_int_equal(syn_instance_create(m, &inst, &err), SYN_OK);
  assert_int_equal(syn_instance_set(inst, "L.s", 0.5, &err), SYN_OK);
  assert_int_equal(syn_instance_set(inst, "R.s", 4, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  double y[5] = {0}, out[16];
  syn_instance_initial(inst, y);
  size_t lx = state_index(m, "L.X"), rx = state_index(m, "R.X");
  assert_true(y[lx] == 0.5 && y[rx] == 4);
  y[lx] = 1.25;
  y[rx] = -0.75;
  assert_int_equal(syn_instance_outputs(inst, 0, y, out, &err), SYN_OK);
  assert_true(out[output_index(m, "tot")] == y[lx] + y[rx]);
  assert_true(out[output_index(m, "hi")] == 1.25);
  assert_true(out[output_index(m, "lo")] == -0.75);
  assert_true(fabs(out[output_index(m, "avg")] - (1.25 * 0.5 + -0.75 * 4) / 2) < 1e-15);
  assert_true(out[output_index(m, "r")] == -2.0);
  /* per-joint output y = X * g with g = 2 s + f of that joint */
  assert_true(fabs(out[output_index(m, "R.y")] - (-0.75 * (2 * 4 + 0.5))) < 1e-15);
  assert_true(fabs(out[output_index(m, "L.y")] - (1.25 * (2 * 0.5 + 0.5))) < 1e-15);
  /* d/dt C uses sum(joint, X) */
  syn_ode ode;
  double yd[5];
  syn_instance_ode(inst, &ode);
  assert_int_equal(ode.rhs(0, y, yd, ode.ctx), 0);
  assert_true(fabs(yd[state_index(m, "C")] - (-0.1 * y[0] + 0.1 * (1.25 - 0.75))) < 1e-15);
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

static void test_per_joint_settings_and_presets(void **state) {
  (void)state;
  syn_model *m = load_text(KNEES);
  syn_instance *inst = NULL;
  syn_error err;
  assert_int_equal(syn_instance_create(m, &inst, &err), SYN_OK);
  /* a per-joint name without a joint sets every copy */
  assert_int_equal(syn_instance_set(inst, "s", 3, &err), SYN_OK);
  assert_int_equal(syn_instance_set(inst, "L.s", 5, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  assert_true(param_value(inst, "L.s") == 5 && param_value(inst, "R.s") == 3);
  assert_true(param_value(inst, "R.g") == 6.5);
  assert_int_equal(syn_instance_set(inst, "R.y", 1, &err), SYN_EINVAL);
  assert_string_equal(err.message, "'R.y' is an output and cannot be set");
  assert_int_equal(syn_instance_set(inst, "Q.s", 1, &err), SYN_EINVAL);
  /* presets, in order; values were evaluated at load */
  assert_int_equal(syn_model_preset_count(m), 2);
  assert_string_equal(syn_model_preset_name(m, 0), "flare");
  assert_int_equal(syn_model_preset_assign_count(m, 0), 2);
  const char *name = NULL, *expr = NULL;
  assert_true(syn_model_preset_assign(m, 1, 0, &name, &expr) == 1.0); /* 2 * f, f = 0.5 */
  assert_string_equal(name, "s");
  assert_string_equal(expr, "2 * f");
  assert_true(isnan(syn_model_preset_assign(m, 1, 1, NULL, NULL)));
  assert_int_equal(syn_instance_use_preset(inst, "flare", &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  assert_true(param_value(inst, "R.s") == 3 && param_value(inst, "f") == 0.8);
  assert_true(param_value(inst, "L.s") == 5);
  assert_int_equal(syn_instance_use_preset(inst, "all", &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  assert_true(param_value(inst, "R.s") == 1 && param_value(inst, "L.s") == 1);
  assert_int_equal(syn_instance_use_preset(inst, "flair", &err), SYN_EINVAL);
  assert_string_equal(err.message, "unknown preset 'flair' (did you mean 'flare'?)");
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

static void test_routes(void **state) {
  (void)state;
  syn_model *m = load_text(KNEES);
  syn_instance *inst = NULL;
  syn_error err;
  size_t r = 99;
  assert_int_equal(syn_model_route_count(m), 3);
  assert_int_equal(syn_model_find_route(m, "IA", "R", &r, &err), SYN_OK);
  const syn_route *rt = syn_model_route(m, r);
  assert_string_equal(rt->name, "IA");
  assert_string_equal(rt->joint, "R");
  assert_int_equal(rt->state, state_index(m, "R.M"));
  assert_int_equal(syn_model_find_route(m, "IV", NULL, &r, &err), SYN_OK);
  assert_int_equal(syn_model_route(m, r)->state, state_index(m, "C"));
  assert_int_equal(syn_model_find_route(m, "IA", "", &r, &err), SYN_EINVAL);
  assert_string_equal(err.message, "route 'IA' is per joint: say which joint");
  assert_int_equal(syn_model_find_route(m, "IV", "L", &r, &err), SYN_EINVAL);
  assert_string_equal(err.message, "route 'IV' is not per joint, so it cannot go into joint 'L'");
  assert_int_equal(syn_model_find_route(m, "IA", "Q", &r, &err), SYN_EINVAL);
  assert_string_equal(err.message, "unknown joint 'Q'");
  assert_int_equal(syn_model_find_route(m, "IVX", NULL, &r, &err), SYN_EINVAL);
  assert_string_equal(err.message, "unknown route 'IVX' (did you mean 'IV'?)");
  assert_null(syn_model_route(m, 3));
  /* scale = f * s of the route's joint, after prepare; 1 without a scale */
  assert_int_equal(syn_instance_create(m, &inst, &err), SYN_OK);
  assert_int_equal(syn_instance_set(inst, "R.s", 4, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  assert_int_equal(syn_model_find_route(m, "IA", "R", &r, &err), SYN_OK);
  assert_true(syn_instance_route_scale(inst, r) == 2.0);
  assert_int_equal(syn_model_find_route(m, "IA", "L", &r, &err), SYN_OK);
  assert_true(syn_instance_route_scale(inst, r) == 0.5);
  assert_int_equal(syn_model_find_route(m, "IV", NULL, &r, &err), SYN_OK);
  assert_true(syn_instance_route_scale(inst, r) == 1.0);
  assert_true(isnan(syn_instance_route_scale(inst, 3)));
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

/* Inputs enter d/dt additively, without allocation, and leave the Jacobian alone. */
static void test_inputs(void **state) {
  (void)state;
  syn_model *m = load_text(KNEES);
  syn_instance *inst = NULL;
  syn_error err;
  assert_int_equal(syn_instance_create(m, &inst, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  size_t n = syn_model_count(m, SYN_SYM_STATE), c = state_index(m, "C"), rm = state_index(m, "R.M");
  double y[5], yd0[5], yd1[5], j0[64], j1[64];
  syn_instance_initial(inst, y);
  syn_ode ode;
  syn_instance_ode(inst, &ode);
  assert_true(ode.nnz <= 64);
  assert_int_equal(ode.rhs(0, y, yd0, ode.ctx), 0);
  assert_int_equal(ode.jac(0, y, j0, ode.ctx), 0);
  assert_true(syn_instance_input(inst, c) == 0.0);
  assert_int_equal(syn_instance_set_input(inst, c, 7.5, &err), SYN_OK);
  assert_int_equal(syn_instance_set_input(inst, rm, 0.25, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK); /* inputs survive prepare */
  long before = syn_alloc_test_count();
  assert_int_equal(ode.rhs(0, y, yd1, ode.ctx), 0);
  assert_int_equal(ode.jac(0, y, j1, ode.ctx), 0);
  assert_int_equal(syn_alloc_test_count(), before);
  for (size_t i = 0; i < n; i++) {
    double add = i == c ? 7.5 : i == rm ? 0.25 : 0.0;
    assert_true(yd1[i] == yd0[i] + add);
  }
  assert_memory_equal(j0, j1, ode.nnz * sizeof *j0);
  assert_true(syn_instance_input(inst, c) == 7.5);
  assert_int_equal(syn_instance_set_input(inst, state_index(m, "L.X"), 1, &err), SYN_EINVAL);
  assert_string_equal(err.message, "state 'L.X' has no input: no route goes to it");
  assert_int_equal(syn_instance_set_input(inst, c, NAN, &err), SYN_EINVAL);
  assert_int_equal(syn_instance_set_input(inst, 99, 1, &err), SYN_EINVAL);
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

/* The systemic and per-joint namespaces are disjoint. */
static void test_namespace_clash(void **state) {
  (void)state;
  syn_model *m = NULL;
  syn_error err;
  assert_int_equal(syn_model_load_text("two.model", TWO, strlen(TWO), &m, &err), SYN_EINPUT);
  assert_null(m);
  assert_string_equal(err.message, "'k' is already declared");
  assert_int_equal(err.line, 4);
  assert_string_equal(err.hint, "declared per joint at two.model:8:9");
}

/* Which joint a state belongs to, or -1 for a systemic one. */
static int joint_of(const syn_model *m, size_t state) {
  const char *j = syn_model_symbol(m, SYN_SYM_STATE, state)->joint;
  for (size_t i = 0; i < syn_model_joint_count(m); i++)
    if (strcmp(syn_model_joint(m, i), j) == 0) return (int)i;
  return -1;
}

/* 163 states: a sparse pattern (no coupling between joints except through
 * systemic states), exact against central differences. */
static void test_joints20_jacobian(void **state) {
  (void)state;
  syn_model *m = NULL;
  syn_instance *inst = NULL;
  syn_error err;
  assert_int_equal(syn_model_load(J20, &m, &err), SYN_OK);
  assert_int_equal(syn_model_joint_count(m), 20);
  size_t n = syn_model_count(m, SYN_SYM_STATE);
  assert_int_equal(n, 20 * 8 + 3);
  assert_int_equal(syn_model_route_count(m), 21);
  assert_int_equal(syn_instance_create(m, &inst, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  syn_ode ode;
  syn_instance_ode(inst, &ode);
  assert_true(ode.nnz * 10 < n * n); /* 443 of 163^2 entries: 1.7 % dense */
  double *y = calloc(n, sizeof *y), *yp = calloc(n, sizeof *yp), *fp = calloc(n, sizeof *fp),
         *fm = calloc(n, sizeof *fm), *jv = calloc(ode.nnz, sizeof *jv);
  assert_non_null(y);
  assert_non_null(yp);
  assert_non_null(fp);
  assert_non_null(fm);
  assert_non_null(jv);
  syn_instance_initial(inst, y);
  /* off the zeros, and all different: max(joint, …) has no ties (no kinks) */
  for (size_t i = 0; i < n; i++) y[i] += 0.1 + 0.003 * (double)i;
  assert_int_equal(ode.jac(0, y, jv, ode.ctx), 0);
  for (size_t col = 0; col < n; col++) {
    for (int32_t k = ode.colptr[col]; k < ode.colptr[col + 1]; k++) {
      int rj = joint_of(m, (size_t)ode.rowind[k]), cj = joint_of(m, col);
      assert_true(rj < 0 || cj < 0 || rj == cj);
    }
    /* central differences of column col; every entry off the pattern must be 0 */
    double h = 1e-6 * fmax(1.0, fabs(y[col]));
    memcpy(yp, y, n * sizeof *y);
    yp[col] = y[col] + h;
    assert_int_equal(ode.rhs(0, yp, fp, ode.ctx), 0);
    yp[col] = y[col] - h;
    assert_int_equal(ode.rhs(0, yp, fm, ode.ctx), 0);
    int32_t k = ode.colptr[col];
    for (size_t row = 0; row < n; row++) {
      double fd = (fp[row] - fm[row]) / (2 * h), exact = 0;
      if (k < ode.colptr[col + 1] && (size_t)ode.rowind[k] == row) exact = jv[k++];
      if (fabs(fd - exact) > 1e-6 * (1 + fabs(exact)))
        fprintf(stderr, "d f[%zu] / d y[%zu]: exact %g, differences %g\n", row, col, exact, fd);
      assert_true(fabs(fd - exact) <= 1e-6 * (1 + fabs(exact)));
    }
  }
  free(y);
  free(yp);
  free(fp);
  free(fm);
  free(jv);
  syn_instance_destroy(inst);
  syn_model_destroy(m);
}

static const char *attr_string(const syn_result *r, const char *key) {
  for (size_t i = 0; i < syn_result_attr_count(r); i++)
    if (strcmp(syn_result_attr(r, i)->key, key) == 0) return syn_result_attr(r, i)->s;
  return NULL;
}

static syn_result *run_j20(syn_model *m, syn_linsol linsol) {
  syn_instance *inst = NULL;
  syn_result *res = NULL;
  syn_error err;
  syn_run_opts o;
  syn_run_opts_default(&o);
  o.t_end = 240;
  o.every = 24;
  o.solver.rtol = 1e-8;
  o.solver.atol = 1e-10;
  o.solver.linsol = linsol;
  assert_int_equal(syn_instance_create(m, &inst, &err), SYN_OK);
  assert_int_equal(syn_instance_use_preset(inst, "right_knee_flare", &err), SYN_OK);
  assert_int_equal(syn_instance_set(inst, "j05.MSC", 1e3, &err), SYN_OK);
  assert_int_equal(syn_instance_set(inst, "MSC_blood", 1e4, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  syn_status s = syn_run(inst, &o, &res, &err);
  if (s != SYN_OK) fprintf(stderr, "run: %s\n", err.message);
  assert_int_equal(s, SYN_OK);
  syn_instance_destroy(inst);
  return res;
}

/* The 20-joint model runs with KLU (AUTO at >= 100 states) and agrees with dense LU. */
static void test_joints20_runs_with_klu(void **state) {
  (void)state;
  syn_model *m = NULL;
  syn_error err;
  assert_int_equal(syn_model_load(J20, &m, &err), SYN_OK);
  syn_result *klu = run_j20(m, SYN_LINSOL_AUTO), *dense = run_j20(m, SYN_LINSOL_DENSE);
  assert_string_equal(attr_string(klu, "linear_solver"), "klu");
  assert_string_equal(attr_string(dense, "linear_solver"), "dense");
  assert_int_equal(syn_result_ntimes(klu), 11);
  assert_int_equal(syn_result_nseries(klu), syn_result_nseries(dense));
  for (size_t s = 0; s < syn_result_nseries(klu); s++) {
    const double *a = syn_result_series(klu, s), *b = syn_result_series(dense, s);
    for (size_t t = 0; t < syn_result_ntimes(klu); t++) {
      assert_true(isfinite(a[t]));
      assert_true(fabs(a[t] - b[t]) <= 1e-5 * (1 + fabs(b[t])));
    }
  }
  /* the flare in j02 shows: more TNF there than in an untouched joint */
  size_t s2, s3;
  assert_true(syn_result_find(klu, "j02.TNF", &s2));
  assert_true(syn_result_find(klu, "j03.TNF", &s3));
  assert_true(syn_result_series(klu, s2)[10] > 2 * syn_result_series(klu, s3)[10]);
  syn_result_destroy(klu);
  syn_result_destroy(dense);
  syn_model_destroy(m);
}

/* z' = max(joint, x) + min(joint, x) - z over n joints, from text. */
static syn_model *many_joints(size_t n) {
  size_t cap = 200 + 8 * n;
  char *text = malloc(cap), *p = text;
  assert_non_null(text);
  p += sprintf(p, "model \"many\"\njoints");
  for (size_t j = 0; j < n; j++) p += sprintf(p, " j%zu", j);
  sprintf(p, "\nstate z = 0\nper joint {\n  state x = 1\n  d/dt x = -x\n}\n"
             "d/dt z = max(joint, x) + min(joint, x) - z\n");
  syn_model *m = NULL;
  syn_error err;
  if (syn_model_load_text("many.model", text, strlen(text), &m, &err) != SYN_OK)
    fail_msg("load: %s", err.message);
  free(text);
  return m;
}

/* max/min over joints: the Jacobian code grows like n log n, not n^2 (a
 * left-deep chain nested the selections n deep: 3000 joints took 1.9 s and
 * 460 MB to compile); the derivative picks the arg max and arg min wherever
 * they are. */
static void test_max_over_many_joints(void **state) {
  (void)state;
  syn_model *m64 = many_joints(64), *m512 = many_joints(512);
  syn_model_stats s64, s512;
  syn_model_get_stats(m64, &s64);
  syn_model_get_stats(m512, &s512);
  double ratio = (double)s512.jac_instructions / (double)s64.jac_instructions;
  print_message("Jacobian instructions: %zu (64 joints), %zu (512 joints), ratio %.1f\n",
                s64.jac_instructions, s512.jac_instructions, ratio);
  assert_true(ratio < 8.0 * 1.6); /* n log n: 8 x 9/6 = 12; n^2 would be 64 */
  syn_instance *inst = NULL;
  syn_error err;
  assert_int_equal(syn_instance_create(m64, &inst, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  syn_ode ode;
  syn_instance_ode(inst, &ode);
  size_t n = ode.n, iz = 0;
  assert_true(syn_model_find(m64, "z", NULL, &iz));
  double *y = calloc(n, sizeof *y), *jv = calloc(ode.nnz, sizeof *jv);
  assert_non_null(y);
  assert_non_null(jv);
  for (size_t hi = 0; hi < 64; hi += 7) {
    size_t lo = (hi * 5 + 3) % 64 == hi ? (hi + 1) % 64 : (hi * 5 + 3) % 64;
    for (size_t j = 0; j < 64; j++) {
      size_t ix = 0;
      char name[16];
      snprintf(name, sizeof name, "j%zu.x", j);
      assert_true(syn_model_find(m64, name, NULL, &ix));
      y[ix] = j == hi ? 10.0 : j == lo ? -10.0 : 1.0 + 0.01 * (double)((j * 37) % 64);
    }
    assert_int_equal(ode.jac(0, y, jv, ode.ctx), 0);
    for (size_t col = 0; col < n; col++)
      for (int32_t k = ode.colptr[col]; k < ode.colptr[col + 1]; k++) {
        if ((size_t)ode.rowind[k] != iz || col == iz) continue;
        char name[16];
        snprintf(name, sizeof name, "j%zu.x", (size_t)0);
        double want = 0.0;
        for (size_t j = 0; j < 64; j++) {
          size_t ix = 0;
          snprintf(name, sizeof name, "j%zu.x", j);
          syn_model_find(m64, name, NULL, &ix);
          if (ix == col) want = (j == hi) + (j == lo);
        }
        if (jv[k] != want) fail_msg("d z' / d y[%zu] = %g, want %g (arg max j%zu, arg min j%zu)",
                                    col, jv[k], want, hi, lo);
      }
  }
  free(y);
  free(jv);
  syn_instance_destroy(inst);
  syn_model_destroy(m64);
  syn_model_destroy(m512);
}

/* n joints of one state; every d/dt reads sum(joint, X) (a dense Jacobian). */
static char *dense_text(size_t n) {
  size_t cap = 200 + 8 * n;
  char *text = malloc(cap), *p = text;
  assert_non_null(text);
  p += sprintf(p, "model \"dense\"\njoints");
  for (size_t j = 0; j < n; j++) p += sprintf(p, " j%zu", j);
  sprintf(p, "\nper joint {\n  state X = 1\n  d/dt X = -X + sum(joint, X) / %zu\n}\n", n);
  return text;
}

/* A dense coupling has n^2 entries: 100 joints compile with all of them;
 * 6000 joints (3.6x10^7) pass the bound of 2^25 and are refused, located at
 * the state, before anything is built (it compiled for seconds into
 * gigabytes, and at 10^5 joints never finished). */
static void test_dense_coupling_bound(void **state) {
  (void)state;
  char *text = dense_text(100);
  syn_model *m = NULL;
  syn_error err;
  assert_int_equal(syn_model_load_text("dense.model", text, strlen(text), &m, &err), SYN_OK);
  syn_model_stats st;
  syn_model_get_stats(m, &st);
  assert_int_equal(st.jac_nnz, 100 * 100);
  syn_model_destroy(m);
  free(text);
  text = dense_text(6000);
  m = NULL;
  assert_int_equal(syn_model_load_text("dense.model", text, strlen(text), &m, &err), SYN_ELIMIT);
  assert_null(m);
  assert_string_equal(err.message, "the Jacobian would have more than 33554432 nonzero entries: "
                                   "6000 of the 6000 d/dt equations depend on 'j5592.X'");
  assert_int_equal(err.line, 4);
  assert_int_equal(err.col, 9);
  assert_non_null(strstr(err.hint, "the Jacobian is dense (6000^2 entries; at most 5792 states"));
  free(text);
}

/* An aggregate in a per-joint let and output (read in every joint's copy):
 * built once, the same value everywhere, and a cycle through it is named
 * as before. */
static void test_aggregate_in_per_joint_lines(void **state) {
  (void)state;
  static const char *const SHARE =
      "model \"share\"\njoints a b c\nper joint {\n  param w = 1\n  state X = 1\n"
      "  let frac = X / sum(joint, X)\n  d/dt X = -0.1 * X\n  output share = frac * w\n}\n"
      "output total = sum(joint, share)\n";
  syn_model *m = load_text(SHARE);
  syn_instance *inst = NULL;
  syn_error err;
  assert_int_equal(syn_instance_create(m, &inst, &err), SYN_OK);
  assert_int_equal(syn_instance_set(inst, "b.w", 2, &err), SYN_OK);
  assert_int_equal(syn_instance_prepare(inst, &err), SYN_OK);
  double y[3] = {1, 2, 5}, out[4];
  assert_int_equal(syn_instance_outputs(inst, 0, y, out, &err), SYN_OK);
  assert_true(out[output_index(m, "a.share")] == 1.0 / 8);
  assert_true(out[output_index(m, "b.share")] == 2 * (2.0 / 8));
  assert_true(out[output_index(m, "c.share")] == 5.0 / 8);
  assert_true(fabs(out[output_index(m, "total")] - 1.25) < 1e-15);
  syn_model_stats st;
  syn_model_get_stats(m, &st);
  assert_int_equal(st.jac_nnz, 3); /* d/dt X does not read the aggregate */
  syn_instance_destroy(inst);
  syn_model_destroy(m);
  static const char *const CYCLE = "model \"c\"\njoints a b\nper joint {\n"
                                   "  let p = sum(joint, q) + 1\n  let q = p * 2\n"
                                   "  state X = 1\n  d/dt X = -X * p\n}\n";
  m = NULL;
  assert_int_equal(syn_model_load_text("c.model", CYCLE, strlen(CYCLE), &m, &err), SYN_EINPUT);
  assert_string_equal(err.message, "cyclic definition: a.p -> a.q -> a.p");
  assert_int_equal(err.line, 5);
}

/* Many joints times many per-joint lines: refused before allocating them. */
static void test_replication_limit(void **state) {
  (void)state;
  size_t cap = 64 * 1024, len = 0;
  char *text = malloc(cap);
  assert_non_null(text);
  len += (size_t)snprintf(text + len, cap - len, "joints");
  for (int i = 0; i < 1001; i++) len += (size_t)snprintf(text + len, cap - len, " j%d", i);
  len += (size_t)snprintf(text + len, cap - len, "\nper joint {\n");
  for (int i = 0; i < 1000; i++) len += (size_t)snprintf(text + len, cap - len, "param p%d = 1\n", i);
  len += (size_t)snprintf(text + len, cap - len, "}\n");
  assert_true(len < cap);
  syn_model *m = NULL;
  syn_error err;
  assert_int_equal(syn_model_load_text("big.model", text, len, &m, &err), SYN_ELIMIT);
  assert_null(m);
  assert_string_equal(err.message, "the model would have 1001000 names (at most 1000000)");
  assert_int_equal(err.line, 1);
  free(text);
}

/* Every allocation of loading a joints model may fail: a clean error, no leak. */
static void test_allocation_failures(void **state) {
  (void)state;
  int succeeded = 0;
  for (long n = 1; n < 20000 && !succeeded; n++) {
    syn_model *m = NULL;
    syn_instance *inst = NULL;
    syn_error err;
    syn_alloc_test_fail_after(n);
    syn_status s = syn_model_load_text("k.model", KNEES, strlen(KNEES), &m, &err);
    if (s == SYN_OK) s = syn_instance_create(m, &inst, &err);
    if (s == SYN_OK) s = syn_instance_use_preset(inst, "flare", &err);
    syn_alloc_test_fail_after(0);
    if (s == SYN_OK)
      succeeded = 1;
    else
      assert_int_equal(s, SYN_ENOMEM);
    syn_instance_destroy(inst);
    syn_model_destroy(m);
  }
  assert_true(succeeded);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_replication_and_names),
      cmocka_unit_test(test_aggregates),
      cmocka_unit_test(test_per_joint_settings_and_presets),
      cmocka_unit_test(test_routes),
      cmocka_unit_test(test_inputs),
      cmocka_unit_test(test_namespace_clash),
      cmocka_unit_test(test_joints20_jacobian),
      cmocka_unit_test(test_joints20_runs_with_klu),
      cmocka_unit_test(test_max_over_many_joints),
      cmocka_unit_test(test_dense_coupling_bound),
      cmocka_unit_test(test_aggregate_in_per_joint_lines),
      cmocka_unit_test(test_replication_limit),
      cmocka_unit_test(test_allocation_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
