/* synovia — string builder (see strbuf.h). */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

static int reserve(syn_strbuf *b, size_t extra) {
  if (b->failed) return -1;
  if (syn_grow((void **)&b->data, &b->cap, b->len + extra + 1, 1) != 0) {
    b->failed = 1;
    return -1;
  }
  return 0;
}

void syn_strbuf_appendn(syn_strbuf *b, const char *s, size_t n) {
  if (reserve(b, n) != 0) return;
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = 0;
}

void syn_strbuf_append(syn_strbuf *b, const char *s) { syn_strbuf_appendn(b, s, strlen(s)); }

void syn_strbuf_appendf(syn_strbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || reserve(b, (size_t)n) != 0) return;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void syn_strbuf_clear(syn_strbuf *b) {
  b->len = 0;
  if (b->data) b->data[0] = 0;
}

void syn_strbuf_free(syn_strbuf *b) {
  syn_free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
  b->failed = 0;
}

const char *syn_strbuf_str(const syn_strbuf *b) { return b->data ? b->data : ""; }
