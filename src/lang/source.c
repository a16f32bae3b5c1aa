/* synovia — the source set: loading, checking and locating model texts
 * (see source.h). Lang layer: everything else in lang/ points into these
 * texts by syn_span, and every located diagnostic is built by syn_diag(). */
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"

/* Offsets of the line starts of one file, built once when the file is
 * added, so locating an offset is a binary search instead of a rescan from
 * the start of the file (diagnostics and symbol line numbers of big
 * generated models would otherwise be quadratic). */
typedef struct line_index {
  uint32_t *start; /* start[0] = 0; start[i] = offset after the i-th '\n' */
  size_t n;        /* lines (>= 1) */
} line_index;

struct syn_srcset {
  syn_source *files;
  line_index *lines; /* parallel to files */
  size_t count, cap, lines_cap;
};

syn_srcset *syn_srcset_create(void) { return syn_calloc(1, sizeof(syn_srcset)); }

void syn_srcset_destroy(syn_srcset *s) {
  if (s == NULL) return;
  for (size_t i = 0; i < s->count; i++) {
    syn_free(s->files[i].path);
    syn_free(s->files[i].text);
    syn_free(s->lines[i].start);
  }
  syn_free(s->files);
  syn_free(s->lines);
  syn_free(s);
}

size_t syn_srcset_count(const syn_srcset *s) { return s ? s->count : 0; }

const syn_source *syn_srcset_get(const syn_srcset *s, uint32_t index) {
  return s && index < s->count ? &s->files[index] : NULL;
}

int syn_srcset_find(const syn_srcset *s, const char *path, uint32_t *index) {
  for (size_t i = 0; s && i < s->count; i++) {
    if (strcmp(s->files[i].path, path) == 0) {
      if (index) *index = (uint32_t)i;
      return 1;
    }
  }
  struct stat st;
  if (s == NULL || stat(path, &st) != 0) return 0;
  for (size_t i = 0; i < s->count; i++) {
    const syn_source *f = &s->files[i];
    if (f->on_disk && f->dev == (uint64_t)st.st_dev && f->ino == (uint64_t)st.st_ino) {
      if (index) *index = (uint32_t)i;
      return 1;
    }
  }
  return 0;
}

const char *syn_span_text(const syn_srcset *s, syn_span span) {
  const syn_source *src = syn_srcset_get(s, span.file);
  if (src == NULL) return "";
  return src->text + (span.off <= src->len ? span.off : src->len);
}

/* ---- UTF-8 ------------------------------------------------------------- */

static int in_range(unsigned char c, unsigned lo, unsigned hi) { return c >= lo && c <= hi; }

size_t syn_utf8_len(const char *s, size_t avail) {
  const unsigned char *p = (const unsigned char *)s;
  if (avail == 0) return 0;
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t need;
  unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
  if (in_range(c, 0xC2, 0xDF)) need = 2;
  else if (c == 0xE0) need = 3, lo = 0xA0;             /* no overlongs */
  else if (c == 0xED) need = 3, hi = 0x9F;             /* no surrogates */
  else if (in_range(c, 0xE1, 0xEF)) need = 3;
  else if (c == 0xF0) need = 4, lo = 0x90;             /* no overlongs */
  else if (c == 0xF4) need = 4, hi = 0x8F;             /* <= U+10FFFF */
  else if (in_range(c, 0xF1, 0xF3)) need = 4;
  else return 0;
  if (avail < need || !in_range(p[1], lo, hi)) return 0;
  for (size_t i = 2; i < need; i++)
    if (!in_range(p[i], 0x80, 0xBF)) return 0;
  return need;
}

/* Advance over one character; an invalid byte counts as one character so
 * columns stay defined even in text that failed validation. */
static size_t char_step(const char *p, size_t avail) {
  size_t k = syn_utf8_len(p, avail);
  return k ? k : 1;
}

static size_t count_chars(const char *p, size_t n) {
  size_t chars = 0;
  for (size_t i = 0; i < n; i += char_step(p + i, n - i)) chars++;
  return chars;
}

/* ---- locating ------------------------------------------------------------ */

typedef struct line_info {
  size_t start, end; /* byte range of the line, without "\n" or "\r\n" */
  int line, col;     /* of the located offset */
} line_info;

static line_info locate(const syn_source *src, const line_index *lx, size_t off) {
  line_info li = {0, 0, 1, 1};
  if (off > src->len) off = src->len;
  size_t lo = 0, hi = lx->n; /* the line is the last start <= off */
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (lx->start[mid] <= off) lo = mid;
    else hi = mid;
  }
  li.line = (int)lo + 1;
  li.start = lx->start[lo];
  li.end = lo + 1 < lx->n ? lx->start[lo + 1] - 1 : src->len; /* at its '\n' */
  if (li.end > li.start && li.end > off && src->text[li.end - 1] == '\r') li.end--;
  li.col = (int)count_chars(src->text + li.start, off - li.start) + 1;
  return li;
}

void syn_srcset_linecol(const syn_srcset *s, syn_span span, int *line, int *col) {
  const syn_source *src = syn_srcset_get(s, span.file);
  line_info li = {0, 0, 0, 0};
  if (src) li = locate(src, &s->lines[span.file], span.off);
  if (line) *line = li.line;
  if (col) *col = li.col;
}

/* Copy a source line for display: whole characters only, and bytes that
 * would garble a terminal (NUL, invalid UTF-8, control characters other
 * than tab) shown as '?', one per character so the caret still lines up. */
static void copy_line(char *dst, size_t size, const char *p, size_t n) {
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    size_t k = syn_utf8_len(p + i, n - i);
    int printable = k > 1 || (k == 1 && ((unsigned char)p[i] >= 0x20 || p[i] == '\t') &&
                              p[i] != 0x7F);
    size_t out = printable ? k : 1;
    if (o + out >= size) break;
    if (printable) memcpy(dst + o, p + i, k);
    else dst[o] = '?';
    o += out;
    i += k ? k : 1;
  }
  dst[o] = 0;
}

/* Bytes of the first `chars` characters of p[0..n). */
static size_t bytes_of_chars(const char *p, size_t n, size_t chars) {
  size_t i = 0;
  for (; i < n && chars > 0; chars--) {
    size_t k = syn_utf8_len(p + i, n - i);
    i += k ? k : 1;
  }
  return i < n ? i : n;
}

/* Show the offending line, or for a long line a window of it around the
 * column ("…" marks what is cut), so the caret stays near the left margin and
 * within the buffer. caret_col is the caret's column within what is shown. */
enum { WINDOW_BEFORE = 40, WINDOW_CHARS = 120 };
static void copy_window(syn_error *err, const char *line, size_t len) {
  static const char ellipsis[] = "\xe2\x80\xa6"; /* U+2026, one character */
  size_t total = count_chars(line, len), col = (size_t)err->col;
  err->caret_col = 0;
  if (total <= WINDOW_CHARS && len + 1 < sizeof err->source_line) {
    copy_line(err->source_line, sizeof err->source_line, line, len);
    return;
  }
  size_t skip = col - 1 > WINDOW_BEFORE ? col - 1 - WINDOW_BEFORE : 0;
  size_t from = bytes_of_chars(line, len, skip);
  size_t shown = bytes_of_chars(line + from, len - from, WINDOW_CHARS);
  char *dst = err->source_line;
  size_t o = 0, cap = sizeof err->source_line;
  if (skip > 0) {
    memcpy(dst, ellipsis, 3);
    o = 3;
  }
  copy_line(dst + o, cap - o - 4, line + from, shown);
  if (from + shown < len) strcat(dst, ellipsis);
  err->caret_col = (int)(col - skip + (skip > 0));
  size_t room = count_chars(line + from, shown) - (col - 1 - skip);
  if ((size_t)err->span > room) err->span = room > 0 ? (int)room : 1;
}

static void copy_path(char *dst, size_t size, const char *path) {
  size_t n = strlen(path);
  if (n >= size) n = size - 1;
  /* Do not cut a multi-byte character in half. */
  while (n > 0 && n < strlen(path) && ((unsigned char)path[n] & 0xC0) == 0x80) n--;
  memcpy(dst, path, n);
  dst[n] = 0;
}

static void fill_location(syn_error *err, const syn_srcset *s, syn_span span) {
  const syn_source *src = syn_srcset_get(s, span.file);
  if (src == NULL) return;
  copy_path(err->file, sizeof err->file, src->path);
  size_t off = span.off <= src->len ? span.off : src->len;
  line_info li = locate(src, &s->lines[span.file], off);
  err->line = li.line;
  err->col = li.col;
  size_t stop = span.len <= li.end - off ? off + span.len : li.end;
  size_t chars = count_chars(src->text + off, stop - off);
  err->span = chars > 0 ? (int)chars : 1;
  copy_window(err, src->text + li.start, li.end - li.start);
}

syn_status syn_diag(syn_error *err, const syn_srcset *s, syn_span span, syn_status code,
                    const char *fmt, ...) {
  if (err == NULL) return code;
  char msg[SYN_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  syn_error_set(err, code, "%s", msg);
  fill_location(err, s, span);
  return code;
}

/* ---- adding texts -------------------------------------------------------- */

/* A problem with a whole file: located at the import statement `from` when
 * there is one, otherwise reported against the file name alone. */
static syn_status file_error(syn_error *err, const syn_srcset *s, const syn_span *from,
                             const char *path, syn_status code, const char *what) {
  if (from) return syn_diag(err, s, *from, code, "cannot import '%s': %s", path, what);
  syn_error_set(err, code, "%s", what);
  if (err) copy_path(err->file, sizeof err->file, path);
  return code;
}

static syn_status open_error(syn_error *err, const syn_srcset *s, const syn_span *from,
                             const char *path, int errnum) {
  char why[128];
  if (strerror_r(errnum, why, sizeof why) != 0) snprintf(why, sizeof why, "error %d", errnum);
  if (from) return syn_diag(err, s, *from, SYN_EIO, "cannot open '%s': %s", path, why);
  return syn_error_set(err, SYN_EIO, "cannot open '%s': %s", path, why);
}

/* Reject NUL bytes and invalid UTF-8, located at the offending byte of the
 * (already added) file `index`. */
static syn_status check_text(const syn_srcset *s, uint32_t index, syn_error *err) {
  const syn_source *src = &s->files[index];
  for (size_t i = 0; i < src->len;) {
    syn_span at = {index, (uint32_t)i, 1};
    if (src->text[i] == 0)
      return syn_diag(err, s, at, SYN_EINPUT, "file contains a NUL byte (is it a binary file?)");
    size_t k = syn_utf8_len(src->text + i, src->len - i);
    if (k == 0)
      return syn_diag(err, s, at, SYN_EINPUT, "invalid UTF-8 byte 0x%02X",
                      (unsigned)(unsigned char)src->text[i]);
    i += k;
  }
  return SYN_OK;
}

static int build_line_index(line_index *lx, const char *text, size_t len) {
  size_t n = 1;
  for (size_t i = 0; i < len; i++) n += text[i] == '\n';
  lx->start = syn_malloc(n * sizeof *lx->start);
  if (lx->start == NULL) return -1;
  lx->n = 0;
  lx->start[lx->n++] = 0;
  for (size_t i = 0; i < len; i++)
    if (text[i] == '\n') lx->start[lx->n++] = (uint32_t)(i + 1); /* len <= 4 MiB */
  return 0;
}

/* Append (path, text) — both taken, freed on failure — and check the text.
 * id: the file's identity (NULL for a text from memory). */
static syn_status add_owned(syn_srcset *s, char *path, char *text, size_t len,
                            const struct stat *id, uint32_t *index, syn_error *err) {
  line_index lx = {NULL, 0};
  if (syn_grow((void **)&s->files, &s->cap, s->count + 1, sizeof *s->files) != 0 ||
      syn_grow((void **)&s->lines, &s->lines_cap, s->count + 1, sizeof *s->lines) != 0 ||
      build_line_index(&lx, text, len) != 0) {
    syn_free(path);
    syn_free(text);
    return syn_error_set(err, SYN_ENOMEM, "out of memory");
  }
  uint32_t at = (uint32_t)s->count;
  s->files[s->count] = (syn_source){path, text, len, id != NULL, id ? (uint64_t)id->st_dev : 0,
                                    id ? (uint64_t)id->st_ino : 0};
  s->lines[s->count++] = lx;
  syn_status st = check_text(s, at, err);
  if (st != SYN_OK) {
    s->count--;
    syn_free(path);
    syn_free(text);
    syn_free(lx.start);
    return st;
  }
  if (index) *index = at;
  return SYN_OK;
}

/* The UTF-8 byte-order mark: dropped from the start of a text. */
static const char BOM[] = "\xef\xbb\xbf";

static int starts_with_bom(const char *text, size_t len) {
  return len >= 3 && memcmp(text, BOM, 3) == 0;
}

static const char too_big_msg[] = "file is larger than the 4 MiB limit";
_Static_assert(SYN_SOURCE_MAX_BYTES == 4 * 1024 * 1024, "update too_big_msg");

syn_status syn_srcset_add_text(syn_srcset *s, const char *name, const char *text, size_t len,
                               uint32_t *index, syn_error *err) {
  if (s == NULL || name == NULL || (text == NULL && len > 0))
    return syn_error_set(err, SYN_EINVAL, "syn_srcset_add_text: missing argument");
  if (starts_with_bom(text, len)) text += 3, len -= 3;
  if (len == 0) return file_error(err, s, NULL, name, SYN_EINPUT, "file is empty");
  if (len > SYN_SOURCE_MAX_BYTES) return file_error(err, s, NULL, name, SYN_ELIMIT, too_big_msg);
  char *path = syn_strdup(name);
  char *copy = syn_strndup(text, len);
  if (path == NULL || copy == NULL) {
    syn_free(path);
    syn_free(copy);
    return syn_error_set(err, SYN_ENOMEM, "out of memory");
  }
  return add_owned(s, path, copy, len, NULL, index, err);
}

/* Read at most SYN_SOURCE_MAX_BYTES + 1 bytes (one more than allowed, to
 * notice a file that grew past the limit after stat). */
static char *read_all(int fd, size_t hint, size_t *len, int *errnum) {
  size_t cap = (hint < SYN_SOURCE_MAX_BYTES ? hint : SYN_SOURCE_MAX_BYTES) + 2;
  char *buf = syn_malloc(cap);
  size_t n = 0;
  while (buf != NULL && n <= SYN_SOURCE_MAX_BYTES) {
    if (n + 1 >= cap && syn_grow((void **)&buf, &cap, cap + 1, 1) != 0) break;
    ssize_t got = read(fd, buf + n, cap - 1 - n);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) *errnum = errno;
    if (got <= 0) {
      buf[n] = 0;
      *len = n;
      return buf;
    }
    n += (size_t)got;
  }
  if (buf != NULL && n > SYN_SOURCE_MAX_BYTES) {
    buf[n] = 0;
    *len = n;
    return buf;
  }
  syn_free(buf);
  *errnum = ENOMEM;
  return NULL;
}

syn_status syn_srcset_load_file(syn_srcset *s, const char *path, const syn_span *from,
                                uint32_t *index, syn_error *err) {
  if (s == NULL || path == NULL)
    return syn_error_set(err, SYN_EINVAL, "syn_srcset_load_file: missing argument");
  struct stat st;
  if (stat(path, &st) != 0) return open_error(err, s, from, path, errno);
  if (S_ISDIR(st.st_mode)) return open_error(err, s, from, path, EISDIR);
  if (!S_ISREG(st.st_mode))
    return file_error(err, s, from, path, SYN_EIO, "not a regular file");
  if (st.st_size > SYN_SOURCE_MAX_BYTES)
    return file_error(err, s, from, path, SYN_ELIMIT, too_big_msg);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return open_error(err, s, from, path, errno);
  size_t len = 0;
  int errnum = 0;
  char *text = read_all(fd, (size_t)st.st_size, &len, &errnum);
  if (fstat(fd, &st) != 0 && errnum == 0) errnum = errno; /* the identity of what was read */
  close(fd);
  if (text != NULL && starts_with_bom(text, len)) {
    memmove(text, text + 3, len - 3 + 1); /* and the NUL */
    len -= 3;
  }
  syn_status rc = SYN_OK;
  char *copy = NULL;
  if (text == NULL && errnum == ENOMEM) rc = syn_error_set(err, SYN_ENOMEM, "out of memory");
  else if (errnum != 0) rc = open_error(err, s, from, path, errnum);
  else if (len == 0) rc = file_error(err, s, from, path, SYN_EINPUT, "file is empty");
  else if (len > SYN_SOURCE_MAX_BYTES) rc = file_error(err, s, from, path, SYN_ELIMIT, too_big_msg);
  else if ((copy = syn_strdup(path)) == NULL) rc = syn_error_set(err, SYN_ENOMEM, "out of memory");
  if (rc != SYN_OK) {
    syn_free(text);
    return rc;
  }
  return add_owned(s, copy, text, len, &st, index, err);
}

/* ---- paths ------------------------------------------------------------------- */

/* Copy `in` to `out` (at least as large) without "." segments, empty
 * segments and "x/.." pairs. */
static void normalise_path(const char *in, char *out) {
  int absolute = in[0] == '/';
  char *start = out + absolute, *o = start;
  if (absolute) out[0] = '/';
  while (*in) {
    const char *seg = in;
    while (*in && *in != '/') in++;
    size_t n = (size_t)(in - seg);
    if (*in == '/') in++;
    if (n == 0 || (n == 1 && seg[0] == '.')) continue;
    if (n == 2 && seg[0] == '.' && seg[1] == '.') {
      /* Pop the previous segment unless there is none or it is "..". */
      char *last = o > start ? o - 1 : start; /* o - 1 is its trailing '/' */
      while (last > start && last[-1] != '/') last--;
      int prev_is_up = o - last == 3 && last[0] == '.' && last[1] == '.';
      if (o > start && !prev_is_up) {
        o = last;
        continue;
      }
      if (absolute) continue; /* "/.." is "/" */
    }
    memcpy(o, seg, n);
    o += n;
    *o++ = '/';
  }
  if (o > start) o--; /* drop the trailing '/' */
  *o = 0;
  if (out[0] == 0) strcpy(out, ".");
}

char *syn_path_resolve(const char *importer, const char *rel) {
  size_t dir_len = 0;
  if (importer && rel[0] != '/') {
    const char *slash = strrchr(importer, '/');
    if (slash) dir_len = (size_t)(slash - importer) + 1;
  }
  size_t rel_len = strlen(rel);
  char *joined = syn_malloc(dir_len + rel_len + 2);
  char *p = syn_malloc(dir_len + rel_len + 3);
  if (joined && p) {
    if (dir_len > 0) memcpy(joined, importer, dir_len);
    memcpy(joined + dir_len, rel, rel_len + 1);
    normalise_path(joined, p);
  } else {
    syn_free(p);
    p = NULL;
  }
  syn_free(joined);
  return p;
}

syn_status syn_diag_relocate(syn_error *err, const syn_srcset *s, syn_span span) {
  syn_error e = *err;
  if (e.code == SYN_ENOMEM) return e.code;
  syn_diag(err, s, span, e.code, "%s", e.message);
  if (e.hint[0]) syn_error_hint(err, "%s", e.hint);
  return e.code;
}
