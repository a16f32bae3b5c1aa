/* synovia — allocation choke point (see alloc.h). */
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef SYN_TESTING
/* Test builds only: per-thread counters, never shared between runs. */
static _Thread_local long test_count;
static _Thread_local long test_fail_at;

long syn_alloc_test_count(void) { return test_count; }
void syn_alloc_test_fail_after(long n) { test_fail_at = n > 0 ? test_count + n : 0; }

static int should_fail(void) {
  test_count++;
  return test_fail_at > 0 && test_count >= test_fail_at;
}
#else
static int should_fail(void) { return 0; }
#endif

void *syn_malloc(size_t size) {
  if (should_fail()) return NULL;
  return malloc(size ? size : 1);
}

void *syn_calloc(size_t count, size_t size) {
  if (should_fail()) return NULL;
  if (count == 0 || size == 0) return calloc(1, 1);
  if (count > SIZE_MAX / size) return NULL;
  return calloc(count, size);
}

void *syn_realloc(void *p, size_t size) {
  if (should_fail()) return NULL;
  return realloc(p, size ? size : 1);
}

void syn_free(void *p) { free(p); }

char *syn_strndup(const char *s, size_t n) {
  if (s == NULL) return NULL;
  char *d = syn_malloc(n + 1);
  if (d == NULL) return NULL;
  memcpy(d, s, n);
  d[n] = 0;
  return d;
}

char *syn_strdup(const char *s) { return s ? syn_strndup(s, strlen(s)) : NULL; }

int syn_grow(void **p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return 0;
  size_t ncap = *cap ? *cap : 8;
  while (ncap < need) {
    if (ncap > SIZE_MAX / 2 / elem) return -1;
    ncap *= 2;
  }
  void *np = syn_realloc(*p, ncap * elem);
  if (np == NULL) return -1;
  *p = np;
  *cap = ncap;
  return 0;
}
