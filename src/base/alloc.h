/* synovia — the one allocation choke point (internal).
 *
 * Every allocation in the library goes through these functions, so a test
 * build (-DSYN_TESTING) can count allocations (the right-hand side must make
 * none) and fail the N-th one on purpose (failure-injection tests). */
#ifndef SYN_BASE_ALLOC_H
#define SYN_BASE_ALLOC_H

#include <stddef.h>

void *syn_malloc(size_t size);
void *syn_calloc(size_t count, size_t size); /* zeroed; overflow-checked */
void *syn_realloc(void *p, size_t size);
void syn_free(void *p);
char *syn_strdup(const char *s);              /* NULL in -> NULL out */
char *syn_strndup(const char *s, size_t n);

/* Grow *p (an array of *cap elements of elem bytes) to hold at least need
 * elements, doubling. Returns 0 on success, -1 when out of memory (then *p
 * and *cap are unchanged). */
int syn_grow(void **p, size_t *cap, size_t need, size_t elem);

#ifdef SYN_TESTING
/* Test hooks, per thread. count: allocations made so far by this thread.
 * fail_after(n): the n-th allocation from now fails (n >= 1); 0 disables. */
long syn_alloc_test_count(void);
void syn_alloc_test_fail_after(long n);
#endif

#endif
