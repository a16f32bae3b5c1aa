/* synovia — unit tests of the in-memory result (src/io/result.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "synovia/result.h"
#include "support/sens_decay.h"

static const syn_series_info two_series[] = {
    {"IL6", "pg/mL", "interleukin-6", SYN_SERIES_STATE},
    {"ratio", "", "", SYN_SERIES_OUTPUT},
};

static syn_result *make_two(size_t capacity) {
  syn_result *r = NULL;
  syn_error err;
  assert_int_equal(syn_result_create(2, two_series, capacity, "h", &r, &err), SYN_OK);
  assert_non_null(r);
  return r;
}

static void test_create_and_accessors(void **state) {
  (void)state;
  syn_result *r = make_two(4);
  assert_int_equal(syn_result_nseries(r), 2);
  assert_int_equal(syn_result_ntimes(r), 0);
  assert_string_equal(syn_result_time_units(r), "h");
  assert_string_equal(syn_result_info(r, 0)->name, "IL6");
  assert_string_equal(syn_result_info(r, 0)->units, "pg/mL");
  assert_string_equal(syn_result_info(r, 0)->long_name, "interleukin-6");
  assert_int_equal(syn_result_info(r, 0)->kind, SYN_SERIES_STATE);
  assert_int_equal(syn_result_info(r, 1)->kind, SYN_SERIES_OUTPUT);
  assert_null(syn_result_info(r, 2));
  assert_null(syn_result_series(r, 2));
  size_t s = 99;
  assert_int_equal(syn_result_find(r, "ratio", &s), 1);
  assert_int_equal(s, 1);
  assert_int_equal(syn_result_find(r, "nope", &s), 0);
  assert_int_equal(s, 1);
  syn_result_destroy(r);
}

static void test_append_series_major(void **state) {
  (void)state;
  syn_result *r = make_two(8);
  syn_error err;
  for (int k = 0; k < 5; k++) {
    double v[2] = {10.0 * k, -1.0 * k};
    assert_int_equal(syn_result_append(r, 0.5 * k, v, &err), SYN_OK);
  }
  assert_int_equal(syn_result_ntimes(r), 5);
  const double *t = syn_result_times(r), *a = syn_result_series(r, 0),
               *b = syn_result_series(r, 1);
  for (int k = 0; k < 5; k++) {
    assert_true(t[k] == 0.5 * k);
    assert_true(a[k] == 10.0 * k);
    assert_true(b[k] == -1.0 * k);
  }
  syn_result_destroy(r);
}

/* Capacity 1 forces many doublings; every series must survive each move. */
static void test_growth_beyond_capacity(void **state) {
  (void)state;
  syn_result *r = make_two(1);
  syn_error err;
  enum { N = 1000 };
  for (int k = 0; k < N; k++) {
    double v[2] = {k * 3.0 + 1.0, k * 7.0 - 2.0};
    assert_int_equal(syn_result_append(r, (double)k, v, &err), SYN_OK);
  }
  assert_int_equal(syn_result_ntimes(r), N);
  const double *a = syn_result_series(r, 0), *b = syn_result_series(r, 1);
  for (int k = 0; k < N; k++) {
    assert_true(syn_result_times(r)[k] == (double)k);
    assert_true(a[k] == k * 3.0 + 1.0);
    assert_true(b[k] == k * 7.0 - 2.0);
  }
  syn_result_destroy(r);
}

static void test_capacity_zero_and_no_series(void **state) {
  (void)state;
  syn_result *r = NULL;
  syn_error err;
  assert_int_equal(syn_result_create(0, NULL, 0, NULL, &r, &err), SYN_OK);
  assert_string_equal(syn_result_time_units(r), "");
  for (int k = 0; k < 200; k++) assert_int_equal(syn_result_append(r, k, NULL, &err), SYN_OK);
  assert_int_equal(syn_result_ntimes(r), 200);
  assert_true(syn_result_times(r)[199] == 199.0);
  syn_result_destroy(r);
}

/* The result keeps its own copies of every string. */
static void test_strings_are_copied(void **state) {
  (void)state;
  char name[16], units[16], desc[16], tu[8], key[16], sval[16], pname[16], punits[16];
  strcpy(name, "TNF");
  strcpy(units, "pg/mL");
  strcpy(desc, "tumour");
  strcpy(tu, "min");
  syn_series_info info = {name, units, desc, SYN_SERIES_STATE};
  syn_result *r = NULL;
  syn_error err;
  assert_int_equal(syn_result_create(1, &info, 2, tu, &r, &err), SYN_OK);
  strcpy(key, "method");
  strcpy(sval, "bdf");
  assert_int_equal(syn_result_attr_string(r, key, sval, &err), SYN_OK);
  strcpy(pname, "k_deg");
  strcpy(punits, "1/h");
  assert_int_equal(syn_result_add_param(r, pname, punits, 0.25, &err), SYN_OK);
  memset(name, 'x', 15);
  memset(units, 'x', 15);
  memset(desc, 'x', 15);
  memset(tu, 'x', 7);
  memset(key, 'x', 15);
  memset(sval, 'x', 15);
  memset(pname, 'x', 15);
  memset(punits, 'x', 15);
  assert_string_equal(syn_result_info(r, 0)->name, "TNF");
  assert_string_equal(syn_result_info(r, 0)->units, "pg/mL");
  assert_string_equal(syn_result_info(r, 0)->long_name, "tumour");
  assert_string_equal(syn_result_time_units(r), "min");
  assert_string_equal(syn_result_attr(r, 0)->key, "method");
  assert_string_equal(syn_result_attr(r, 0)->s, "bdf");
  const char *n = NULL, *u = NULL;
  double v = 0;
  syn_result_param(r, 0, &n, &u, &v);
  assert_string_equal(n, "k_deg");
  assert_string_equal(u, "1/h");
  assert_true(v == 0.25);
  syn_result_destroy(r);
}

static void test_null_units_become_empty(void **state) {
  (void)state;
  syn_series_info info = {"x", NULL, NULL, SYN_SERIES_OUTPUT};
  syn_result *r = NULL;
  syn_error err;
  assert_int_equal(syn_result_create(1, &info, 1, "h", &r, &err), SYN_OK);
  assert_string_equal(syn_result_info(r, 0)->units, "");
  assert_string_equal(syn_result_info(r, 0)->long_name, "");
  assert_int_equal(syn_result_add_param(r, "p", NULL, 1.0, &err), SYN_OK);
  const char *u = NULL;
  syn_result_param(r, 0, NULL, &u, NULL);
  assert_string_equal(u, "");
  syn_result_destroy(r);
}

static void test_attributes_replace(void **state) {
  (void)state;
  syn_result *r = make_two(1);
  syn_error err;
  assert_int_equal(syn_result_attr_string(r, "solver", "cvode", &err), SYN_OK);
  assert_int_equal(syn_result_attr_double(r, "rtol", 1e-6, &err), SYN_OK);
  assert_int_equal(syn_result_attr_int(r, "nsteps", 12, &err), SYN_OK);
  assert_int_equal(syn_result_attr_count(r), 3);
  /* same key, same type: replaced in place */
  assert_int_equal(syn_result_attr_double(r, "rtol", 1e-8, &err), SYN_OK);
  /* same key, another type: replaced, old string released */
  assert_int_equal(syn_result_attr_int(r, "solver", 7, &err), SYN_OK);
  assert_int_equal(syn_result_attr_string(r, "nsteps", "many", &err), SYN_OK);
  assert_int_equal(syn_result_attr_count(r), 3);
  const syn_attr *a0 = syn_result_attr(r, 0), *a1 = syn_result_attr(r, 1),
                 *a2 = syn_result_attr(r, 2);
  assert_string_equal(a0->key, "solver");
  assert_int_equal(a0->type, SYN_ATTR_INT);
  assert_int_equal(a0->i, 7);
  assert_null(a0->s);
  assert_string_equal(a1->key, "rtol");
  assert_int_equal(a1->type, SYN_ATTR_DOUBLE);
  assert_true(a1->d == 1e-8);
  assert_string_equal(a2->key, "nsteps");
  assert_int_equal(a2->type, SYN_ATTR_STRING);
  assert_string_equal(a2->s, "many");
  assert_null(syn_result_attr(r, 3));
  /* many keys: growth of the table */
  char key[32];
  for (int i = 0; i < 40; i++) {
    snprintf(key, sizeof key, "k%d", i);
    assert_int_equal(syn_result_attr_int(r, key, i, &err), SYN_OK);
  }
  assert_int_equal(syn_result_attr_count(r), 43);
  assert_int_equal(syn_result_attr(r, 42)->i, 39);
  syn_result_destroy(r);
}

static void test_params(void **state) {
  (void)state;
  syn_result *r = make_two(1);
  syn_error err;
  char name[32];
  for (int i = 0; i < 30; i++) {
    snprintf(name, sizeof name, "p%d", i);
    assert_int_equal(syn_result_add_param(r, name, "1/h", i * 0.5, &err), SYN_OK);
  }
  assert_int_equal(syn_result_param_count(r), 30);
  const char *n = NULL, *u = NULL;
  double v = 0;
  syn_result_param(r, 17, &n, &u, &v);
  assert_string_equal(n, "p17");
  assert_string_equal(u, "1/h");
  assert_true(v == 8.5);
  syn_result_param(r, 30, &n, &u, &v); /* out of range: NULLs */
  assert_null(n);
  assert_null(u);
  assert_int_equal(syn_result_add_param(r, "p3", "", 1.0, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "p3"));
  assert_int_equal(syn_result_param_count(r), 30);
  syn_result_destroy(r);
}

/* Thousands of parameters (a model of many joints): every name is kept and
 * found again, every repeat refused, in any order, and far apart in the
 * series of names a table that grows sees. */
static void test_many_params(void **state) {
  (void)state;
  enum { N = 5000 };
  syn_result *r = make_two(1);
  syn_error err;
  char name[32];
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof name, "j%d.k", (i * 7919) % N);
    assert_int_equal(syn_result_add_param(r, name, "1/h", i, &err), SYN_OK);
  }
  for (int i = 0; i < N; i += 97) {
    snprintf(name, sizeof name, "j%d.k", i);
    assert_int_equal(syn_result_add_param(r, name, "", 0.0, &err), SYN_EINVAL);
    assert_non_null(strstr(err.message, name));
  }
  assert_int_equal(syn_result_param_count(r), N);
  const char *n = NULL;
  double v = 0;
  syn_result_param(r, N - 1, &n, NULL, &v);
  snprintf(name, sizeof name, "j%d.k", ((N - 1) * 7919) % N);
  assert_string_equal(n, name);
  assert_true(v == N - 1);
  syn_series_info many[3] = {{"b", "", "", SYN_SERIES_STATE}, {"a", "", "", SYN_SERIES_STATE},
                             {"b", "", "", SYN_SERIES_OUTPUT}};
  syn_result *d = (syn_result *)&d;
  assert_int_equal(syn_result_create(3, many, 1, "h", &d, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "duplicate series name 'b'"));
  assert_null(d);
  syn_result_destroy(r);
}

static void test_create_errors(void **state) {
  (void)state;
  syn_result *r = (syn_result *)&r; /* must be reset to NULL on failure */
  syn_error err;
  assert_int_equal(syn_result_create(2, NULL, 1, "h", &r, &err), SYN_EINVAL);
  assert_null(r);
  assert_int_equal(syn_result_create(1, two_series, 1, "h", NULL, &err), SYN_EINVAL);

  syn_series_info dup[] = {{"A", "", "", SYN_SERIES_STATE}, {"A", "", "", SYN_SERIES_OUTPUT}};
  assert_int_equal(syn_result_create(2, dup, 1, "h", &r, &err), SYN_EINVAL);
  assert_int_equal(err.code, SYN_EINVAL);
  assert_non_null(strstr(err.message, "duplicate"));
  assert_non_null(strstr(err.message, "'A'"));
  assert_null(r);

  syn_series_info noname[] = {{"A", "", "", SYN_SERIES_STATE}, {NULL, "", "", SYN_SERIES_STATE}};
  assert_int_equal(syn_result_create(2, noname, 1, "h", &r, &err), SYN_EINVAL);
  noname[1].name = "";
  assert_int_equal(syn_result_create(2, noname, 1, "h", &r, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "no name"));
  assert_null(r);
  /* NULL err is allowed */
  assert_int_equal(syn_result_create(2, dup, 1, "h", &r, NULL), SYN_EINVAL);
}

static void test_append_errors(void **state) {
  (void)state;
  syn_result *r = make_two(2);
  syn_error err;
  double v[2] = {1, 2};
  assert_int_equal(syn_result_append(NULL, 0, v, &err), SYN_EINVAL);
  assert_int_equal(syn_result_append(r, 0, NULL, &err), SYN_EINVAL);
  assert_int_equal(syn_result_append(r, NAN, v, &err), SYN_EINVAL);
  assert_int_equal(syn_result_append(r, INFINITY, v, &err), SYN_EINVAL);
  assert_int_equal(syn_result_append(r, 1.0, v, &err), SYN_OK);
  assert_int_equal(syn_result_append(r, 1.0, v, &err), SYN_EINVAL); /* equal */
  assert_non_null(strstr(err.message, "increase"));
  assert_int_equal(syn_result_append(r, 0.5, v, &err), SYN_EINVAL); /* decreasing */
  assert_non_null(strstr(err.message, "increase"));
  assert_int_equal(syn_result_ntimes(r), 1);
  /* NaN values are data, not errors (they become the fill value in files) */
  double nanv[2] = {NAN, 3};
  assert_int_equal(syn_result_append(r, 2.0, nanv, &err), SYN_OK);
  assert_true(isnan(syn_result_series(r, 0)[1]));
  syn_result_destroy(r);
}

static void test_attr_param_errors(void **state) {
  (void)state;
  syn_result *r = make_two(2);
  syn_error err;
  assert_int_equal(syn_result_attr_string(NULL, "k", "v", &err), SYN_EINVAL);
  assert_int_equal(syn_result_attr_string(r, NULL, "v", &err), SYN_EINVAL);
  assert_int_equal(syn_result_attr_string(r, "", "v", &err), SYN_EINVAL);
  assert_int_equal(syn_result_attr_string(r, "k", NULL, &err), SYN_EINVAL);
  assert_int_equal(syn_result_attr_double(NULL, "k", 1.0, &err), SYN_EINVAL);
  assert_int_equal(syn_result_attr_int(r, "", 1, &err), SYN_EINVAL);
  assert_int_equal(syn_result_attr_count(r), 0);
  assert_int_equal(syn_result_add_param(NULL, "p", "", 1.0, &err), SYN_EINVAL);
  assert_int_equal(syn_result_add_param(r, NULL, "", 1.0, &err), SYN_EINVAL);
  assert_int_equal(syn_result_add_param(r, "", "", 1.0, &err), SYN_EINVAL);
  assert_int_equal(syn_result_param_count(r), 0);
  syn_result_destroy(r);
}

static void test_null_accessors(void **state) {
  (void)state;
  assert_int_equal(syn_result_nseries(NULL), 0);
  assert_int_equal(syn_result_ntimes(NULL), 0);
  assert_null(syn_result_times(NULL));
  assert_null(syn_result_series(NULL, 0));
  assert_null(syn_result_info(NULL, 0));
  assert_int_equal(syn_result_find(NULL, "x", NULL), 0);
  assert_int_equal(syn_result_attr_count(NULL), 0);
  assert_int_equal(syn_result_param_count(NULL), 0);
  syn_result_destroy(NULL);
}

/* ---- dose records ------------------------------------------------------------------ */

static void test_doses(void **state) {
  (void)state;
  syn_result *r = make_two(4);
  syn_error err;
  char route[8] = "IA", target[16] = "knee_R.MSC", joint[8] = "knee_R", units[8] = "Mcell";
  syn_dose_record d = {24.0, 10.0, 0.0, route, target, joint, units};
  assert_int_equal(syn_result_dose_count(r), 0);
  assert_null(syn_result_dose(r, 0));
  assert_int_equal(syn_result_add_dose(r, &d, &err), SYN_OK);
  /* the caller's strings may change right after: the record holds copies */
  strcpy(route, "XX");
  strcpy(target, "XX");
  strcpy(joint, "XX");
  strcpy(units, "XX");
  syn_dose_record iv = {0.0, 2.5, 1.5, "IV", "plasma.drug", NULL, NULL}; /* NULL -> "" */
  assert_int_equal(syn_result_add_dose(r, &iv, &err), SYN_OK);
  assert_int_equal(syn_result_dose_count(r), 2);
  const syn_dose_record *a = syn_result_dose(r, 0), *b = syn_result_dose(r, 1);
  assert_true(a->time == 24.0 && a->amount == 10.0 && a->duration == 0.0);
  assert_string_equal(a->route, "IA");
  assert_string_equal(a->target, "knee_R.MSC");
  assert_string_equal(a->joint, "knee_R");
  assert_string_equal(a->units, "Mcell");
  /* kept in the order added, not sorted by time */
  assert_true(b->time == 0.0 && b->amount == 2.5 && b->duration == 1.5);
  assert_string_equal(b->route, "IV");
  assert_string_equal(b->joint, "");
  assert_string_equal(b->units, "");
  assert_null(syn_result_dose(r, 2));
  syn_result_destroy(r);
}

static void test_dose_errors(void **state) {
  (void)state;
  syn_result *r = make_two(4);
  syn_error err;
  const syn_dose_record ok = {1.0, 1.0, 0.0, "IA", "x", "", ""};
  syn_dose_record d = ok;
  assert_int_equal(syn_result_add_dose(NULL, &d, &err), SYN_EINVAL);
  assert_int_equal(syn_result_add_dose(r, NULL, &err), SYN_EINVAL);
  d.route = NULL;
  assert_int_equal(syn_result_add_dose(r, &d, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "route"));
  d.route = "";
  assert_int_equal(syn_result_add_dose(r, &d, &err), SYN_EINVAL);
  d = ok;
  d.target = "";
  assert_int_equal(syn_result_add_dose(r, &d, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "target"));
  d = ok;
  d.time = NAN;
  assert_int_equal(syn_result_add_dose(r, &d, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "non-finite"));
  d = ok;
  d.amount = INFINITY;
  assert_int_equal(syn_result_add_dose(r, &d, &err), SYN_EINVAL);
  d = ok;
  d.duration = -1.0;
  assert_int_equal(syn_result_add_dose(r, &d, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "duration"));
  d.duration = NAN;
  assert_int_equal(syn_result_add_dose(r, &d, &err), SYN_EINVAL);
  assert_int_equal(syn_result_dose_count(r), 0); /* nothing refused was kept */
  assert_int_equal(syn_result_add_dose(r, &ok, &err), SYN_OK);
  assert_int_equal(syn_result_dose_count(r), 1);
  syn_result_destroy(r);
}

/* Event executions: kept in the order added, names copied; a nameless one or a non-finite
 * time refused and not kept. */
static void test_events(void **state) {
  (void)state;
  syn_result *r = make_two(4);
  syn_error err;
  char name[16] = "reset";
  const char *got = "x";
  assert_int_equal(syn_result_event_count(r), 0);
  assert_true(isnan(syn_result_event(r, 0, &got)));
  assert_null(got);
  assert_int_equal(syn_result_add_event(r, 3.0, name, &err), SYN_OK);
  strcpy(name, "XX");
  assert_int_equal(syn_result_add_event(r, 1.0, "knee_R.flare", &err), SYN_OK);
  assert_int_equal(syn_result_add_event(r, NAN, "reset", &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "non-finite time"));
  assert_int_equal(syn_result_add_event(r, 1.0, "", &err), SYN_EINVAL);
  assert_int_equal(syn_result_add_event(r, 1.0, NULL, &err), SYN_EINVAL);
  assert_int_equal(syn_result_add_event(NULL, 1.0, "reset", &err), SYN_EINVAL);
  assert_int_equal(syn_result_event_count(r), 2);
  assert_true(syn_result_event(r, 0, &got) == 3.0);
  assert_string_equal(got, "reset");
  assert_true(syn_result_event(r, 1, &got) == 1.0);
  assert_string_equal(got, "knee_R.flare");
  for (int k = 0; k < 100; k++) /* growth */
    assert_int_equal(syn_result_add_event(r, k, "tick", &err), SYN_OK);
  assert_true(syn_result_event(r, 101, &got) == 99.0);
  syn_result_destroy(r);
}

/* ---- metrics ------------------------------------------------------------------------ */

static void test_metrics(void **state) {
  (void)state;
  syn_result *r = make_two(4);
  syn_error err;
  char name[16] = "IL6_auc", units[16] = "pg/mL*h", desc[32] = "auc(IL6, 0 d, 28 d)";
  assert_int_equal(syn_result_metric_count(r), 0);
  assert_int_equal(syn_result_add_metric(r, name, units, desc, 123.5, &err), SYN_OK);
  strcpy(name, "XX");
  strcpy(units, "XX");
  strcpy(desc, "XX");
  assert_int_equal(syn_result_add_metric(r, "t_half", NULL, NULL, NAN, &err), SYN_OK);
  assert_int_equal(syn_result_metric_count(r), 2);
  const char *n = NULL, *u = NULL, *ds = NULL;
  double v = 0;
  syn_result_metric(r, 0, &n, &u, &ds, &v);
  assert_string_equal(n, "IL6_auc");
  assert_string_equal(u, "pg/mL*h");
  assert_string_equal(ds, "auc(IL6, 0 d, 28 d)");
  assert_true(v == 123.5);
  syn_result_metric(r, 1, &n, &u, &ds, &v);
  assert_string_equal(n, "t_half");
  assert_string_equal(u, "");
  assert_string_equal(ds, "");
  assert_true(isnan(v)); /* NaN is a value (a threshold never crossed) */
  syn_result_metric(r, 2, &n, &u, &ds, &v); /* out of range */
  assert_null(n);
  assert_null(u);
  assert_null(ds);
  assert_true(isnan(v));
  syn_result_metric(r, 0, NULL, NULL, NULL, NULL); /* every output optional */
  /* errors */
  assert_int_equal(syn_result_add_metric(r, "IL6_auc", "", "", 1.0, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "duplicate metric 'IL6_auc'"));
  assert_int_equal(syn_result_add_metric(r, "", "", "", 1.0, &err), SYN_EINVAL);
  assert_int_equal(syn_result_add_metric(r, NULL, "", "", 1.0, &err), SYN_EINVAL);
  assert_int_equal(syn_result_add_metric(NULL, "m", "", "", 1.0, &err), SYN_EINVAL);
  assert_int_equal(syn_result_metric_count(r), 2);
  assert_int_equal(syn_result_metric_count(NULL), 0);
  assert_int_equal(syn_result_dose_count(NULL), 0);
  assert_null(syn_result_dose(NULL, 0));
  syn_result_destroy(r);
}

/* Fail each allocation in turn: every failure reports SYN_ENOMEM, leaves the
 * result usable (or not created) and leaks nothing (checked under ASan). */
static void test_allocation_failures(void **state) {
  (void)state;
  int saw_ok = 0;
  for (long n = 1; n < 200 && !saw_ok; n++) {
    syn_result *r = NULL;
    syn_error err;
    syn_status st = SYN_OK;
    syn_alloc_test_fail_after(n);
    st = syn_result_create(2, two_series, 1, "h", &r, &err);
    for (int k = 0; st == SYN_OK && k < 10; k++) {
      double v[2] = {k, k};
      st = syn_result_append(r, k, v, &err);
    }
    if (st == SYN_OK) st = syn_result_attr_string(r, "a", "b", &err);
    if (st == SYN_OK) st = syn_result_attr_string(r, "a", "c", &err);
    if (st == SYN_OK) st = syn_result_add_param(r, "p", "u", 1.0, &err);
    for (int k = 0; st == SYN_OK && k < 3; k++) { /* grows the dose and metric tables */
      const syn_dose_record d = {k, 1.0, 0.5, "IA", "x", "knee", "mg"};
      char name[16];
      snprintf(name, sizeof name, "m%d", k);
      st = syn_result_add_dose(r, &d, &err);
      if (st == SYN_OK) st = syn_result_add_metric(r, name, "h", "a metric", k, &err);
    }
    syn_alloc_test_fail_after(0);
    if (st == SYN_OK) {
      saw_ok = 1;
      assert_int_equal(syn_result_ntimes(r), 10);
      assert_true(syn_result_series(r, 1)[9] == 9.0);
      assert_int_equal(syn_result_dose_count(r), 3);
      assert_int_equal(syn_result_metric_count(r), 3);
      assert_string_equal(syn_result_dose(r, 2)->units, "mg");
    } else {
      assert_int_equal(st, SYN_ENOMEM);
      assert_int_equal(err.code, SYN_ENOMEM);
      if (r != NULL) { /* data so far intact */
        size_t nt = syn_result_ntimes(r);
        for (size_t k = 0; k < nt; k++) assert_true(syn_result_series(r, 1)[k] == (double)k);
        for (size_t k = 0; k < syn_result_dose_count(r); k++) /* a failed add kept nothing */
          assert_true(syn_result_dose(r, k)->time == (double)k);
        for (size_t k = 0; k < syn_result_metric_count(r); k++) {
          double v = -1;
          syn_result_metric(r, k, NULL, NULL, NULL, &v);
          assert_true(v == (double)k);
        }
      }
    }
    syn_result_destroy(r);
  }
  assert_true(saw_ok);
}

/* ---- forward sensitivities --------------------------------------------------------- */

static void assert_close(double got, double want) {
  assert_true(fabs(got - want) <= 1e-13 * (1.0 + fabs(want)));
}

/* The exact d/dk and d/dx0 of x0 e^(-kt) (and of x0 - x0 e^(-kt)) come back per
 * series and parameter, with their normalised form (p/y) dy/dp. */
static void test_sensitivities_exact(void **state) {
  (void)state;
  syn_result *r = NULL;
  syn_error err;
  assert_int_equal(decay_result(1, &r, &err), SYN_OK);
  assert_int_equal(syn_result_sens_count(r), 2);
  const char *name = NULL, *units = NULL;
  double value = 0;
  syn_result_sens_param(r, 0, &name, &units, &value);
  assert_string_equal(name, "k");
  assert_string_equal(units, "1/h");
  assert_true(value == DECAY_K);
  syn_result_sens_param(r, 1, &name, &units, &value);
  assert_string_equal(name, "x0");
  assert_true(value == DECAY_X0);
  for (size_t s = 0; s < 2; s++)
    for (size_t p = 0; p < 2; p++) {
      const double *raw = syn_result_sensitivity(r, s, p), *lg = syn_result_sensitivity_log(r, s, p);
      assert_non_null(raw);
      assert_non_null(lg);
      for (size_t i = 0; i < DECAY_NT; i++) {
        const double t = decay_time(i), y = decay_value(s, t), pv = p == 0 ? DECAY_K : DECAY_X0;
        assert_true(raw[i] == decay_sens(s, p, t)); /* copied bit for bit */
        if (y == 0)
          assert_true(isnan(lg[i]));
        else
          assert_close(lg[i], pv / y * decay_sens(s, p, t));
      }
    }
  /* d ln x / d ln k = -k t, d ln x / d ln x0 = 1 */
  assert_close(syn_result_sensitivity_log(r, 0, 0)[10], -DECAY_K * decay_time(10));
  assert_close(syn_result_sensitivity_log(r, 0, 1)[10], 1.0);
  assert_true(isnan(syn_result_sensitivity_log(r, 1, 0)[0])); /* d = 0 at t = 0 */
  assert_null(syn_result_sensitivity(r, 2, 0));
  assert_null(syn_result_sensitivity(r, 0, 2));
  assert_true(syn_result_has_metric_gradients(r));
  for (size_t m = 0; m < 2; m++)
    for (size_t p = 0; p < 2; p++) {
      const double pv = p == 0 ? DECAY_K : DECAY_X0;
      assert_true(syn_result_metric_gradient(r, m)[p] == decay_metric_grad(m, p));
      assert_close(syn_result_metric_gradient_log(r, m)[p],
                   pv / decay_metric(m) * decay_metric_grad(m, p));
    }
  assert_close(syn_result_metric_gradient_log(r, 1)[0], -DECAY_K * DECAY_T);
  assert_null(syn_result_metric_gradient(r, 2));
  syn_result_destroy(r);
}

static void test_sensitivities_errors(void **state) {
  (void)state;
  syn_result *r = make_two(4);
  syn_error err;
  const double v[2] = {1, 2}, p[1] = {1}, sens[2] = {0, 0};
  const char *const dup[2] = {"a", "a"}, *const one[1] = {"a"}, *const empty[1] = {""};
  assert_int_equal(syn_result_append(r, 0, v, &err), SYN_OK);
  assert_false(syn_result_has_metric_gradients(r));
  assert_null(syn_result_sensitivity(r, 0, 0));
  assert_int_equal(syn_result_set_metric_gradients(r, p, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "without sensitivities"));
  assert_int_equal(syn_result_set_sensitivities(r, 2, dup, NULL, v, sens, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "duplicate sensitivity parameter 'a'"));
  assert_int_equal(syn_result_set_sensitivities(r, 1, empty, NULL, p, sens, &err), SYN_EINVAL);
  assert_int_equal(syn_result_set_sensitivities(r, 1, NULL, NULL, p, sens, &err), SYN_EINVAL);
  assert_int_equal(syn_result_set_sensitivities(r, 1, one, NULL, NULL, sens, &err), SYN_EINVAL);
  assert_int_equal(syn_result_set_sensitivities(r, 1, one, NULL, p, NULL, &err), SYN_EINVAL);
  assert_int_equal(syn_result_set_sensitivities(NULL, 1, one, NULL, p, sens, &err), SYN_EINVAL);
  assert_int_equal(syn_result_sens_count(r), 0);
  assert_int_equal(syn_result_set_sensitivities(r, 1, one, NULL, p, sens, &err), SYN_OK);
  const char *units = NULL;
  syn_result_sens_param(r, 0, NULL, &units, NULL);
  assert_string_equal(units, ""); /* NULL units: dimensionless */
  assert_int_equal(syn_result_append(r, 1, v, &err), SYN_EINVAL); /* the grid is fixed */
  assert_non_null(strstr(err.message, "after the sensitivities"));
  assert_int_equal(syn_result_ntimes(r), 1);
  assert_int_equal(syn_result_set_metric_gradients(r, p, &err), SYN_EINVAL); /* no metrics */
  assert_int_equal(syn_result_add_metric(r, "m", "", "", 2.0, &err), SYN_OK);
  assert_int_equal(syn_result_set_metric_gradients(r, NULL, &err), SYN_EINVAL);
  assert_int_equal(syn_result_set_metric_gradients(r, p, &err), SYN_OK);
  assert_int_equal(syn_result_add_metric(r, "late", "", "", 2.0, &err), SYN_EINVAL);
  assert_non_null(strstr(err.message, "after the metric gradients"));
  /* replaced: the gradients go with the old parameters */
  assert_int_equal(syn_result_set_sensitivities(r, 1, one, NULL, p, sens, &err), SYN_OK);
  assert_false(syn_result_has_metric_gradients(r));
  assert_int_equal(syn_result_set_sensitivities(r, 0, NULL, NULL, NULL, NULL, &err), SYN_OK);
  assert_int_equal(syn_result_sens_count(r), 0);
  assert_int_equal(syn_result_append(r, 1, v, &err), SYN_OK); /* removed: grid free again */
  syn_result_destroy(r);
}

/* Each allocation of set_sensitivities / set_metric_gradients failing in turn:
 * SYN_ENOMEM, the result as it was, no leak (ASan). */
static void test_sensitivities_allocation_failures(void **state) {
  (void)state;
  int saw_ok = 0;
  const double v[2] = {1, 2}, p[2] = {1, 2}, sens[4] = {1, 2, 3, 4}, dm[2] = {5, 6};
  const char *const names[2] = {"a", "b"}, *const units[2] = {"u", NULL};
  for (long n = 1; n < 50 && !saw_ok; n++) {
    syn_result *r = make_two(4);
    syn_error err;
    assert_int_equal(syn_result_append(r, 0, v, &err), SYN_OK);
    assert_int_equal(syn_result_add_metric(r, "m", "", "", 2.0, &err), SYN_OK);
    syn_alloc_test_fail_after(n);
    syn_status st = syn_result_set_sensitivities(r, 2, names, units, p, sens, &err);
    if (st == SYN_OK) st = syn_result_set_metric_gradients(r, dm, &err);
    syn_alloc_test_fail_after(0);
    if (st == SYN_OK) {
      saw_ok = 1;
      assert_true(syn_result_sensitivity(r, 1, 1)[0] == 4.0);
      assert_true(syn_result_metric_gradient(r, 0)[1] == 6.0);
    } else {
      assert_int_equal(st, SYN_ENOMEM);
      assert_false(syn_result_has_metric_gradients(r));
    }
    syn_result_destroy(r);
  }
  assert_true(saw_ok);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_create_and_accessors),
      cmocka_unit_test(test_append_series_major),
      cmocka_unit_test(test_growth_beyond_capacity),
      cmocka_unit_test(test_capacity_zero_and_no_series),
      cmocka_unit_test(test_strings_are_copied),
      cmocka_unit_test(test_null_units_become_empty),
      cmocka_unit_test(test_attributes_replace),
      cmocka_unit_test(test_params),
      cmocka_unit_test(test_many_params),
      cmocka_unit_test(test_create_errors),
      cmocka_unit_test(test_append_errors),
      cmocka_unit_test(test_attr_param_errors),
      cmocka_unit_test(test_null_accessors),
      cmocka_unit_test(test_doses),
      cmocka_unit_test(test_events),
      cmocka_unit_test(test_dose_errors),
      cmocka_unit_test(test_metrics),
      cmocka_unit_test(test_allocation_failures),
      cmocka_unit_test(test_sensitivities_exact),
      cmocka_unit_test(test_sensitivities_errors),
      cmocka_unit_test(test_sensitivities_allocation_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
