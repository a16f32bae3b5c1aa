/* synovia — status codes and the error object.
 *
 * Every fallible public function returns a syn_status and fills a syn_error
 * (which may be NULL when the caller does not want details).  The library never
 * prints: the CLI renders errors with syn_error_format().
 */
#ifndef SYNOVIA_STATUS_H
#define SYNOVIA_STATUS_H

#include <stddef.h>

/* Exported from libsynovia.so; everything else is hidden (docs/c-api.md). */
#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

/* One list, expanded into the enum and into the message table (status.c).
 * 0 is success, errors are negative. */
#define SYN_STATUS_LIST(X)                                                    \
  X(SYN_OK, 0, "success")                                                   \
  X(SYN_ENOMEM, -1, "out of memory")                                        \
  X(SYN_EIO, -2, "input/output error")                                      \
  X(SYN_EINPUT, -3, "invalid input text")                                   \
  X(SYN_EINVAL, -4, "invalid argument")                                     \
  X(SYN_ELIMIT, -5, "limit exceeded")                                       \
  X(SYN_ESOLVER, -6, "integration failed")                                  \
  X(SYN_ENONFINITE, -7, "the model produced a value that is not finite")    \
  X(SYN_EINTERNAL, -8, "internal error")                                   \
  X(SYN_EINTR, -9, "interrupted")

typedef enum syn_status {
#define SYN_STATUS_ENUM_(name, value, msg) name = (value),
  SYN_STATUS_LIST(SYN_STATUS_ENUM_)
#undef SYN_STATUS_ENUM_
} syn_status;

/* Sizes of the fixed buffers in syn_error; text longer than this is cut. */
enum { SYN_ERROR_MSG_MAX = 1024, SYN_ERROR_HINT_MAX = 512, SYN_ERROR_FILE_MAX = 512,
       SYN_ERROR_LINE_MAX = 512 };

/* An error with an optional source location.
 * file[0] == 0: no file; line == 0: no line (and no caret). Columns count
 * characters (UTF-8 code points), starting at 1. */
typedef struct syn_error {
  syn_status code;
  char message[SYN_ERROR_MSG_MAX];   /* "unknown name 'TNFa' (did you mean 'TNF'?)" */
  char hint[SYN_ERROR_HINT_MAX];     /* optional advice, "" if none */
  char file[SYN_ERROR_FILE_MAX];     /* file name as the user gave it */
  int line;                          /* 1-based, 0 if none */
  int col;                           /* 1-based character column, 0 if none */
  int span;                          /* characters to underline (>= 1 when line > 0) */
  char source_line[SYN_ERROR_LINE_MAX]; /* the offending line, or a window of a long
                                           one with "…" where it is cut */
  int caret_col;                     /* column of the caret within source_line;
                                        0: the same as col */
} syn_error;

/* Short name ("SYN_EINPUT") and generic message of a status. Never NULL. */
const char *syn_status_name(syn_status s);
const char *syn_status_str(syn_status s);

/* Reset an error object to "no error". NULL is allowed. */
void syn_error_clear(syn_error *err);

/* Set code and message (printf-style); keeps no location. Returns code.
 * The one place errors are raised: a breakpoint here catches them all.
 * err may be NULL. */
syn_status syn_error_set(syn_error *err, syn_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Set the hint of an already-set error (printf-style). err may be NULL. */
void syn_error_hint(syn_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Render an error for people, like a compiler:
 *
 *   file:line:col: error: message
 *     <source line>
 *     <spaces>^~~~
 *     hint: <hint>
 *
 * Parts without data are left out ("error: message" alone when there is no
 * location). Writes at most size bytes including the NUL; returns the length
 * the full text needs (snprintf semantics). The text ends with a newline. */
size_t syn_error_format(const syn_error *err, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
