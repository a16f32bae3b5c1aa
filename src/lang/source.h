/* synovia — the set of source texts a model was built from (internal, lang layer).
 *
 * Every token and AST node points into a text through a syn_span. The source
 * set owns the texts, checks them on load (size limit, NUL bytes, UTF-8), and
 * turns spans into file:line:col diagnostics. */
#ifndef SYN_LANG_SOURCE_H
#define SYN_LANG_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "synovia/status.h"

/* Largest accepted source file. A model is text typed by people; anything
 * bigger is almost certainly the wrong file. */
enum { SYN_SOURCE_MAX_BYTES = 4 * 1024 * 1024 };

/* A byte range of one file of the source set. */
typedef struct syn_span {
  uint32_t file; /* index in the source set */
  uint32_t off;  /* byte offset */
  uint32_t len;  /* bytes */
} syn_span;

typedef struct syn_source {
  char *path;      /* as given (relative paths resolved against the importer) */
  char *text;      /* NUL-terminated copy; len bytes before the NUL */
  size_t len;
  int on_disk;     /* read from a file: dev and ino say which */
  uint64_t dev, ino;
} syn_source;

typedef struct syn_srcset syn_srcset;

syn_srcset *syn_srcset_create(void);        /* NULL on OOM */
void syn_srcset_destroy(syn_srcset *s);     /* NULL allowed */

/* Read a file and add it. Rejects (with a located error when `from` is given,
 * e.g. the import statement) a missing or unreadable file, a directory, an
 * empty file, a file over SYN_SOURCE_MAX_BYTES, NUL bytes and invalid UTF-8
 * (the last two located at the offending byte). On success *index is set.
 * A UTF-8 byte-order mark (EF BB BF, which some Windows editors write) at the
 * start of a text is dropped, here and in syn_srcset_add_text: it is
 * invisible, and the text's offsets and columns are those of what follows. */
syn_status syn_srcset_load_file(syn_srcset *s, const char *path, const syn_span *from,
                                uint32_t *index, syn_error *err);

/* Add an in-memory text under a display name, with the same checks. */
syn_status syn_srcset_add_text(syn_srcset *s, const char *name, const char *text, size_t len,
                               uint32_t *index, syn_error *err);

size_t syn_srcset_count(const syn_srcset *s);
const syn_source *syn_srcset_get(const syn_srcset *s, uint32_t index);

/* Find an already-loaded file by its path, or else by what the path names:
 * the same device and inode as a file read from disk (an absolute and a
 * relative path, a symlink, a hard link). Returns 1 and sets *index if found. */
int syn_srcset_find(const syn_srcset *s, const char *path, uint32_t *index);

/* Fill err with code, location of span (file, line, character column, the
 * source line, underline length) and a printf-style message. Returns code. */
syn_status syn_diag(syn_error *err, const syn_srcset *s, syn_span span, syn_status code,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* An error a lower layer set without a location (e.g. "unknown name 'x'"),
 * moved to the text at span that caused it, keeping its code, message and
 * hint. Out of memory is left as it is. Returns the code. */
syn_status syn_diag_relocate(syn_error *err, const syn_srcset *s, syn_span span);

/* 1-based line and character column of a byte offset. */
void syn_srcset_linecol(const syn_srcset *s, syn_span span, int *line, int *col);

/* The span's text as a fresh NUL-terminated string is rarely needed; this
 * gives pointer and length into the source instead. */
const char *syn_span_text(const syn_srcset *s, syn_span span);

/* Length (1-4) of the valid UTF-8 sequence starting at s, looking at no
 * more than avail bytes; 0 when the bytes there are not valid UTF-8
 * (overlong forms, surrogates and code points above U+10FFFF included). */
size_t syn_utf8_len(const char *s, size_t avail);

/* The path of `rel` as seen from the file `importer` (its directory; NULL or
 * a name without '/' means the current directory), lexically normalised:
 * "./" and "x/.." removed. Absolute `rel` is only normalised. Returns a
 * syn_malloc'd string, NULL when out of memory. */
char *syn_path_resolve(const char *importer, const char *rel);

#endif
