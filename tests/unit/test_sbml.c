/* synovia — unit tests of SBML import (synovia/sbml.h): the text of a small
 * model (declarations, names, amounts and concentrations), the same text
 * twice, syn_model_open on an .xml, a refusal located in the XML, and
 * allocation failures (each one SYN_ENOMEM, nothing leaked: ASan). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "synovia/sbml.h"

static const char *DECAY = "tests/data/sbml/decay.xml";

static char *import(const char *path) {
  char *text = NULL;
  size_t len = 0;
  syn_error err;
  if (syn_sbml_import(path, &text, &len, &err) != SYN_OK)
    fail_msg("import failed: %s:%d:%d: %s", err.file, err.line, err.col, err.message);
  assert_int_equal(len, strlen(text));
  return text;
}

static void test_text(void **state) {
  (void)state;
  char *t = import(DECAY);
  const char *want[] = {
      "\nstate A_amount = 3 * (2)  \"substrate\"\n",   /* 3 mol/L in 2 L */
      "\nd/dt A_amount = -conversion\n",
      "\noutput A = A_amount / cell  \"concentration\"\n",
      "\nstate B = 0\nd/dt B = 2 * conversion\n",        /* amounts: no conversion */
      "\noutput B_conc = B / cell  \"concentration\"\n",
      "\nstate cell = 2  \"cell volume [litre]\"\nd/dt cell = g * cell\n",
      "\nlet conversion = cell * (k * A)\n",             /* the function inlined */
      "\noutput time_ = t\n",
      "\nmodel \"first-order conversion A -> B in a growing cell\"\n",
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    if (strstr(t, want[i]) == NULL) fail_msg("missing: %s\nin:\n%s", want[i], t);
  char *again = import(DECAY);
  assert_string_equal(t, again);
  syn_sbml_free(again);
  syn_sbml_free(t);
}

static void test_open(void **state) {
  (void)state;
  syn_model *m = NULL;
  syn_error err;
  assert_int_equal(syn_model_open(DECAY, &m, &err), SYN_OK);
  assert_int_equal(syn_model_count(m, SYN_SYM_STATE), 3);
  syn_symkind k;
  assert_true(syn_model_find(m, "A_amount", &k, NULL));
  assert_int_equal(k, SYN_SYM_STATE);
  assert_string_equal(syn_model_file_path(m, 0), DECAY);
  syn_model_destroy(m);
  assert_true(syn_sbml_is_sbml_path("a/b.XML"));
  assert_true(syn_sbml_is_sbml_path("b.sbml"));
  assert_false(syn_sbml_is_sbml_path("b.model"));
  assert_false(syn_sbml_is_sbml_path("x.xml/b"));
}

static void test_refusal_located(void **state) {
  (void)state;
  char *text = (char *)1;
  syn_error err;
  assert_int_equal(syn_sbml_import("tests/data/sbml/algebraic.xml", &text, NULL, &err), SYN_EINPUT);
  assert_null(text);
  assert_int_equal(err.line, 28);
  assert_int_equal(err.col, 42);
  assert_non_null(strstr(err.message, "algebraic rule constraint1 is not supported"));
  assert_non_null(strstr(err.source_line, "<algebraicRule"));
}

static void test_allocation_failures(void **state) {
  (void)state;
  int succeeded = 0;
  for (long n = 1; n < 20000 && !succeeded; n++) {
    char *text = NULL;
    syn_model *m = NULL;
    syn_error err;
    syn_alloc_test_fail_after(n);
    syn_status si = syn_sbml_import(DECAY, &text, NULL, &err), s = si;
    if (s == SYN_OK) s = syn_model_open(DECAY, &m, &err);
    syn_alloc_test_fail_after(0);
    if (s == SYN_OK) {
      succeeded = 1;
      char *ref = import(DECAY);
      assert_string_equal(text, ref); /* no failure left a silent gap */
      syn_sbml_free(ref);
    } else {
      if (s != SYN_ENOMEM) fail_msg("allocation %ld: %s", n, err.message);
      if (si != SYN_OK) assert_null(text);
    }
    syn_sbml_free(text);
    syn_model_destroy(m);
  }
  assert_true(succeeded);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_text),
      cmocka_unit_test(test_open),
      cmocka_unit_test(test_refusal_located),
      cmocka_unit_test(test_allocation_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
