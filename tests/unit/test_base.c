/* Unit tests of src/base: error rendering, the allocator's test hooks, the
 * arena, the string builder and SHA-256 (against FIPS 180-2 test vectors). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "base/alloc.h"
#include "base/arena.h"
#include "base/sha256.h"
#include "base/strbuf.h"
#include "synovia/number.h"
#include "synovia/synovia.h"

static void test_status_names(void **state) {
  (void)state;
  assert_string_equal(syn_status_name(SYN_OK), "SYN_OK");
  assert_string_equal(syn_status_name(SYN_EINPUT), "SYN_EINPUT");
  assert_string_equal(syn_status_str(SYN_ENOMEM), "out of memory");
  assert_string_equal(syn_status_str((syn_status)-999), "unknown status");
}

static void test_error_format_full(void **state) {
  (void)state;
  syn_error e;
  syn_error_set(&e, SYN_EINPUT, "unknown name '%s' (did you mean '%s'?)", "TNFa", "TNF");
  strcpy(e.file, "knee.model");
  e.line = 12;
  e.col = 16;
  e.span = 4;
  strcpy(e.source_line, "d/dt IL6 = k * TNFa - c");
  syn_error_hint(&e, "names are case-sensitive");
  char buf[512];
  size_t n = syn_error_format(&e, buf, sizeof buf);
  const char *want =
      "knee.model:12:16: error: unknown name 'TNFa' (did you mean 'TNF'?)\n"
      "  d/dt IL6 = k * TNFa - c\n"
      "                 ^~~~\n"
      "  hint: names are case-sensitive\n";
  assert_string_equal(buf, want);
  assert_int_equal(n, strlen(want));
}

static void test_error_format_tabs_and_utf8(void **state) {
  (void)state;
  syn_error e;
  syn_error_set(&e, SYN_EINPUT, "bad");
  strcpy(e.file, "f.model");
  e.line = 1;
  e.col = 5; /* after a tab, 'α' and a space: the caret keeps the tab, counts α once */
  e.span = 1;
  strcpy(e.source_line, "\t\xce\xb1 x?");
  char buf[256];
  syn_error_format(&e, buf, sizeof buf);
  assert_string_equal(buf, "f.model:1:5: error: bad\n  \t\xce\xb1 x?\n  \t   ^\n");
}

static void test_error_format_no_location_and_truncation(void **state) {
  (void)state;
  syn_error e;
  syn_error_set(&e, SYN_EIO, "cannot write '%s'", "out.h5");
  char buf[16];
  size_t n = syn_error_format(&e, buf, sizeof buf);
  assert_int_equal(n, strlen("error: cannot write 'out.h5'\n"));
  assert_int_equal(strlen(buf), sizeof buf - 1);
  assert_memory_equal(buf, "error: cannot w", 15);
  assert_int_equal(syn_error_set(NULL, SYN_EINVAL, "ignored"), SYN_EINVAL);
}

static void test_alloc_fail_injection(void **state) {
  (void)state;
  long before = syn_alloc_test_count();
  void *a = syn_malloc(10);
  assert_non_null(a);
  assert_int_equal(syn_alloc_test_count(), before + 1);
  syn_alloc_test_fail_after(2);
  void *b = syn_malloc(10);
  assert_non_null(b);
  assert_null(syn_malloc(10)); /* the 2nd from now fails */
  syn_alloc_test_fail_after(0);
  void *c = syn_calloc(3, 4);
  assert_non_null(c);
  assert_null(syn_calloc(SIZE_MAX / 2, 4)); /* overflow is refused, not wrapped */
  syn_free(a);
  syn_free(b);
  syn_free(c);
}

static void test_grow_and_strdup(void **state) {
  (void)state;
  int *v = NULL;
  size_t cap = 0;
  assert_int_equal(syn_grow((void **)&v, &cap, 100, sizeof *v), 0);
  assert_true(cap >= 100);
  v[99] = 7;
  assert_int_equal(syn_grow((void **)&v, &cap, SIZE_MAX / 2, sizeof *v), -1);
  assert_int_equal(v[99], 7);
  syn_free(v);
  char *s = syn_strndup("abcdef", 3);
  assert_string_equal(s, "abc");
  syn_free(s);
  assert_null(syn_strdup(NULL));
}

static void test_arena(void **state) {
  (void)state;
  syn_arena *a = syn_arena_create();
  assert_non_null(a);
  unsigned char *p = syn_arena_alloc(a, 13);
  for (int i = 0; i < 13; i++) assert_int_equal(p[i], 0);
  assert_int_equal((uintptr_t)p % 16, 0);
  void *big = syn_arena_alloc(a, 200000); /* larger than a block */
  assert_non_null(big);
  memset(big, 1, 200000);
  assert_string_equal(syn_arena_strndup(a, "hello world", 5), "hello");
  assert_null(syn_arena_strdup(a, NULL));
  int *v = NULL;
  size_t cap = 0;
  assert_int_equal(syn_arena_grow(a, (void **)&v, &cap, 3, sizeof *v), 0);
  assert_int_equal(cap, 4);
  v[0] = 11;
  v[3] = 44;
  assert_int_equal(syn_arena_grow(a, (void **)&v, &cap, 9, sizeof *v), 0);
  assert_int_equal(cap, 16);
  assert_int_equal(v[0], 11); /* contents kept */
  assert_int_equal(v[3], 44);
  int *before = v;
  assert_int_equal(syn_arena_grow(a, (void **)&v, &cap, SIZE_MAX / 2, sizeof *v), -1);
  assert_ptr_equal(v, before); /* unchanged on failure */
  assert_int_equal(cap, 16);
  syn_arena_destroy(a);
  syn_arena_destroy(NULL);
}

static void test_strbuf(void **state) {
  (void)state;
  syn_strbuf b = SYN_STRBUF_INIT;
  assert_string_equal(syn_strbuf_str(&b), "");
  syn_strbuf_append(&b, "k = ");
  syn_strbuf_appendf(&b, "%.3g %s", 2.385, "/h");
  assert_string_equal(syn_strbuf_str(&b), "k = 2.38 /h");
  syn_strbuf_clear(&b);
  for (int i = 0; i < 1000; i++) syn_strbuf_appendn(&b, "xy", 1);
  assert_int_equal(b.len, 1000);
  syn_alloc_test_fail_after(1);
  syn_strbuf_appendf(&b, "%0500d", 1); /* needs to grow: fails, sticky */
  syn_alloc_test_fail_after(0);
  assert_true(b.failed);
  syn_strbuf_append(&b, "more");
  assert_int_equal(b.len, 1000);
  syn_strbuf_free(&b);
}

static void sha_of(const char *text, size_t repeat, char out[SYN_SHA256_HEX]) {
  syn_sha256 h;
  syn_sha256_init(&h);
  for (size_t i = 0; i < repeat; i++) syn_sha256_update(&h, text, strlen(text));
  syn_sha256_hex(&h, out);
}

static void test_sha256_vectors(void **state) {
  (void)state;
  char hex[SYN_SHA256_HEX];
  sha_of("abc", 1, hex); /* FIPS 180-2, appendix B.1 */
  assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  sha_of("", 1, hex);
  assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  sha_of("a", 1000000, hex); /* FIPS 180-2, appendix B.3 */
  assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_version(void **state) {
  (void)state;
  assert_memory_equal(syn_version(), SYN_VERSION_STRING, strlen(SYN_VERSION_STRING));
}

/* Numbers given outside model files are decimal, as the language writes them:
 * hex, inf/infinity/nan and trailing text are refused (issue 12, point 7). */
static void test_number_parse(void **state) {
  (void)state;
  static const struct {
    const char *text;
    int ok;
    double value;
  } cases[] = {
      {"12", 1, 12},        {"-0.5", 1, -0.5},     {".5", 1, 0.5},       {"5.", 1, 5},
      {"+1e-3", 1, 1e-3},   {"2.5E+6", 1, 2.5e6},  {"1e-400", 1, 0},     {"0", 1, 0},
      {"0x10", 0, 0},       {"0x1p-1", 0, 0},      {"0X1P3", 0, 0},      {"inf", 0, 0},
      {"-inf", 0, 0},       {"infinity", 0, 0},    {"INF", 0, 0},        {"nan", 0, 0},
      {"NaN", 0, 0},        {"nan(1)", 0, 0},      {"1e999", 0, 0},      {"", 0, 0},
      {" 1", 0, 0},         {"1 ", 0, 0},          {"1e", 0, 0},         {"1e+", 0, 0},
      {".", 0, 0},          {"-", 0, 0},           {"1.2.3", 0, 0},      {"12abc", 0, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    double v = -99;
    int ok = syn_number_parse(cases[i].text, &v);
    if (ok != cases[i].ok) fail_msg("'%s': parse gave %d, want %d", cases[i].text, ok, cases[i].ok);
    if (ok) assert_true(v == cases[i].value);
    else assert_true(v == -99);
  }
  assert_int_equal(syn_number_span("500 mL"), 3);
  assert_int_equal(syn_number_span("0x10"), 1);
  assert_int_equal(syn_number_span("2e mg"), 1);
  assert_int_equal(syn_number_span("mL"), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_status_names),
      cmocka_unit_test(test_error_format_full),
      cmocka_unit_test(test_error_format_tabs_and_utf8),
      cmocka_unit_test(test_error_format_no_location_and_truncation),
      cmocka_unit_test(test_alloc_fail_injection),
      cmocka_unit_test(test_grow_and_strdup),
      cmocka_unit_test(test_arena),
      cmocka_unit_test(test_strbuf),
      cmocka_unit_test(test_sha256_vectors),
      cmocka_unit_test(test_version),
      cmocka_unit_test(test_number_parse),
  };
  return cmocka_run_group_tests_name("base", tests, NULL, NULL);
}
