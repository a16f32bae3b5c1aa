/* synovia — growable string builder (internal).
 * Errors are sticky: after a failed allocation `failed` is set and further
 * appends do nothing, so callers check once at the end. */
#ifndef SYN_BASE_STRBUF_H
#define SYN_BASE_STRBUF_H

#include <stddef.h>

typedef struct syn_strbuf {
  char *data;   /* NUL-terminated when len > 0 or after any append */
  size_t len, cap;
  int failed;
} syn_strbuf;

#define SYN_STRBUF_INIT {NULL, 0, 0, 0}

void syn_strbuf_append(syn_strbuf *b, const char *s);
void syn_strbuf_appendn(syn_strbuf *b, const char *s, size_t n);
void syn_strbuf_appendf(syn_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void syn_strbuf_clear(syn_strbuf *b);      /* keep capacity, len = 0 */
void syn_strbuf_free(syn_strbuf *b);       /* release memory, back to INIT */
const char *syn_strbuf_str(const syn_strbuf *b); /* "" when empty; never NULL */

#endif
