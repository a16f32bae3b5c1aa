/* synovia — unit tests of the SBML plugin's load on first use
 * (sbml/plugin_ops.h): the first SBML calls of the process made by several
 * threads at once (imports: synovia/sbml.h allows them concurrently, not
 * exports) load it once and each gets the translation, the text the same
 * import gives afterwards in one thread; then an export works. */
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

enum { THREADS = 4 };

typedef struct job {
  pthread_barrier_t *start;
  syn_status st;
  char *text;
  syn_error err;
} job;

static void *first_use(void *arg) {
  job *j = arg;
  pthread_barrier_wait(j->start); /* all threads reach their first call together */
  j->st = syn_sbml_import(DECAY, &j->text, NULL, &j->err);
  return NULL;
}

static void test_first_use_in_threads(void **state) {
  (void)state;
  pthread_barrier_t start;
  assert_int_equal(pthread_barrier_init(&start, NULL, THREADS), 0);
  pthread_t t[THREADS];
  job jobs[THREADS];
  for (int i = 0; i < THREADS; i++) {
    jobs[i] = (job){.start = &start};
    assert_int_equal(pthread_create(&t[i], NULL, first_use, &jobs[i]), 0);
  }
  for (int i = 0; i < THREADS; i++) assert_int_equal(pthread_join(t[i], NULL), 0);
  pthread_barrier_destroy(&start);
  syn_error err;
  char *text = NULL, *xml = NULL;
  assert_int_equal(syn_sbml_import(DECAY, &text, NULL, &err), SYN_OK);
  assert_non_null(strstr(text, "model \"first-order conversion A -> B"));
  for (int i = 0; i < THREADS; i++) {
    if (jobs[i].st != SYN_OK) fail_msg("thread %d: %s", i, jobs[i].err.message);
    assert_string_equal(jobs[i].text, text);
    syn_sbml_free(jobs[i].text);
  }
  syn_sbml_free(text);
  syn_model *m = NULL;
  assert_int_equal(syn_model_load("models/exponential_decay.model", &m, &err), SYN_OK);
  assert_int_equal(syn_sbml_export(m, NULL, &xml, &err), SYN_OK);
  assert_non_null(strstr(xml, "<sbml "));
  free(xml);
  syn_model_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_first_use_in_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
