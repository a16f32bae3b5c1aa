/* synovia — unit tests of SBML support when its plugin cannot be loaded
 * (sbml/plugin_ops.h): every SBML entry point returns SYN_EIO with a message
 * saying what failed and why (the loader's own text), every time and in
 * every thread, nothing else is touched, and models in the language still
 * load. The test build's hook SYN_TEST_SBML_PLUGIN names a file to load
 * instead of the embedded plugin; set here before the first SBML call. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "synovia/sbml.h"

static const char *DECAY = "tests/data/sbml/decay.xml";
static const char *MISSING = "/nonexistent/synovia-sbml.so";

/* err is the failed load's: code, what failed, why. */
static void assert_load_error(const syn_error *err) {
  assert_int_equal(err->code, SYN_EIO);
  assert_non_null(strstr(err->message, "SBML support"));
  assert_non_null(strstr(err->message, "could not be loaded"));
  assert_non_null(strstr(err->message, MISSING)); /* dlerror's text */
  assert_non_null(strstr(err->message, "No such file or directory"));
}

static void test_import(void **state) {
  (void)state;
  for (int i = 0; i < 2; i++) { /* the second call: the same, not a retry */
    char *text = (char *)1;
    size_t len = 7;
    syn_error err;
    assert_int_equal(syn_sbml_import(DECAY, &text, &len, &err), SYN_EIO);
    assert_null(text);
    assert_int_equal(len, 7);
    assert_load_error(&err);
  }
}

static void test_open(void **state) {
  (void)state;
  syn_model *m = (syn_model *)1;
  syn_error err;
  assert_int_equal(syn_model_open(DECAY, &m, &err), SYN_EIO);
  assert_null(m);
  assert_load_error(&err);
  /* a model in the language needs no plugin */
  assert_int_equal(syn_model_open("models/exponential_decay.model", &m, &err), SYN_OK);
  syn_model_destroy(m);
}

static void test_export(void **state) {
  (void)state;
  syn_model *m = NULL;
  syn_error err;
  assert_int_equal(syn_model_open("models/exponential_decay.model", &m, &err), SYN_OK);
  char *xml = (char *)1;
  assert_int_equal(syn_sbml_export(m, NULL, &xml, &err), SYN_EIO);
  assert_null(xml);
  assert_load_error(&err);
  assert_int_equal(syn_sbml_export(m, NULL, &xml, NULL), SYN_EIO); /* err may be NULL */
  assert_null(xml);
  syn_model_destroy(m);
}

enum { THREADS = 4 };

static void *import_in_thread(void *arg) {
  syn_error *err = arg;
  char *text = NULL;
  if (syn_sbml_import(DECAY, &text, NULL, err) == SYN_OK) syn_sbml_free(text);
  return NULL;
}

static void test_threads(void **state) {
  (void)state;
  pthread_t t[THREADS];
  syn_error err[THREADS];
  for (int i = 0; i < THREADS; i++)
    assert_int_equal(pthread_create(&t[i], NULL, import_in_thread, &err[i]), 0);
  for (int i = 0; i < THREADS; i++) {
    assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_load_error(&err[i]);
  }
}

int main(void) {
  setenv("SYN_TEST_SBML_PLUGIN", MISSING, 1);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_threads), /* first: the first use is in threads */
      cmocka_unit_test(test_import),
      cmocka_unit_test(test_open),
      cmocka_unit_test(test_export),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
