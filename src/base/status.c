/* synovia — status messages and the error object (see include/synovia/status.h).
 * Lowest layer: no project dependencies. */
#include "synovia/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *syn_status_name(syn_status s) {
  switch (s) {
#define SYN_STATUS_NAME_(name, value, msg) \
  case name:                               \
    return #name;
    SYN_STATUS_LIST(SYN_STATUS_NAME_)
#undef SYN_STATUS_NAME_
  }
  return "SYN_EUNKNOWN";
}

const char *syn_status_str(syn_status s) {
  switch (s) {
#define SYN_STATUS_MSG_(name, value, msg) \
  case name:                              \
    return msg;
    SYN_STATUS_LIST(SYN_STATUS_MSG_)
#undef SYN_STATUS_MSG_
  }
  return "unknown status";
}

void syn_error_clear(syn_error *err) {
  if (err == NULL) return;
  memset(err, 0, sizeof *err);
}

syn_status syn_error_set(syn_error *err, syn_status code, const char *fmt, ...) {
  if (err == NULL) return code;
  syn_error_clear(err);
  err->code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->message, sizeof err->message, fmt, ap);
  va_end(ap);
  return code;
}

void syn_error_hint(syn_error *err, const char *fmt, ...) {
  if (err == NULL) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->hint, sizeof err->hint, fmt, ap);
  va_end(ap);
}

/* A tiny bounded writer so each piece of the rendering is one call. */
typedef struct {
  char *buf;
  size_t size, len;
} out_buf;

static void put_char(out_buf *o, char c) {
  if (o->len + 1 < o->size) o->buf[o->len] = c;
  o->len++;
}

static void put_str(out_buf *o, const char *s) {
  while (*s) put_char(o, *s++);
}

static void put_int(out_buf *o, int v) {
  char tmp[24];
  snprintf(tmp, sizeof tmp, "%d", v);
  put_str(o, tmp);
}

static int is_utf8_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

/* The caret line: keep tabs from the source so the caret lines up. */
static void put_caret(out_buf *o, const syn_error *err) {
  put_str(o, "  ");
  int col = 1, at = err->caret_col > 0 ? err->caret_col : err->col;
  for (const char *p = err->source_line; *p && col < at; p++) {
    if (is_utf8_continuation((unsigned char)*p)) continue;
    put_char(o, *p == '\t' ? '\t' : ' ');
    col++;
  }
  for (; col < at; col++) put_char(o, ' ');
  put_char(o, '^');
  for (int i = 1; i < err->span; i++) put_char(o, '~');
  put_char(o, '\n');
}

static void put_location(out_buf *o, const syn_error *err) {
  if (err->file[0] == 0 && err->line == 0) return;
  if (err->file[0]) put_str(o, err->file);
  if (err->line > 0) {
    if (err->file[0]) put_char(o, ':');
    put_int(o, err->line);
    if (err->col > 0) {
      put_char(o, ':');
      put_int(o, err->col);
    }
  }
  put_str(o, ": ");
}

size_t syn_error_format(const syn_error *err, char *buf, size_t size) {
  out_buf o = {buf, size, 0};
  if (err == NULL) return 0;
  put_location(&o, err);
  put_str(&o, "error: ");
  put_str(&o, err->message[0] ? err->message : syn_status_str(err->code));
  put_char(&o, '\n');
  if (err->line > 0 && err->col > 0) {
    put_str(&o, "  ");
    put_str(&o, err->source_line);
    put_char(&o, '\n');
    put_caret(&o, err);
  }
  if (err->hint[0]) {
    put_str(&o, "  hint: ");
    put_str(&o, err->hint);
    put_char(&o, '\n');
  }
  if (size > 0) buf[o.len < size ? o.len : size - 1] = 0;
  return o.len;
}
