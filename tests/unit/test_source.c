/* synovia — unit tests of the source set (src/lang/source.c): loading and
 * checking texts, line/column in characters, syn_diag, paths, UTF-8. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "lang/ast.h"
#include "lang/source.h"

/* A scratch directory per test program run, removed at the end. */
static char scratch[256];

static int make_scratch(void **state) {
  (void)state;
  snprintf(scratch, sizeof scratch, "%s/test_source.XXXXXX",
           getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  return mkdtemp(scratch) ? 0 : -1;
}

static int remove_scratch(void **state) {
  (void)state;
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
  return system(cmd) == 0 ? 0 : -1;
}

static void scratch_path(char *buf, size_t size, const char *name) {
  snprintf(buf, size, "%s/%s", scratch, name);
}

static int mkdir_in_scratch(const char *name) {
  char path[512];
  scratch_path(path, sizeof path, name);
  return mkdir(path, 0755);
}

/* A hard link (some file systems have none: then a copy of the symlink case). */
static int link_or_skip(const char *from, const char *to) {
  if (link(from, to) == 0) return 0;
  return symlink(from, to);
}

static void write_file(const char *name, const char *data, size_t len) {
  char path[512];
  scratch_path(path, sizeof path, name);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, len, f), len);
  assert_int_equal(fclose(f), 0);
}

static void test_add_text_and_get(void **state) {
  (void)state;
  syn_srcset *s = syn_srcset_create();
  uint32_t a = 99, b = 99, found = 99;
  syn_error err;
  assert_int_equal(syn_srcset_add_text(s, "a.model", "param x = 1\n", 12, &a, &err), SYN_OK);
  assert_int_equal(syn_srcset_add_text(s, "b.model", "let y = 2", 9, &b, &err), SYN_OK);
  assert_int_equal(a, 0);
  assert_int_equal(b, 1);
  assert_int_equal(syn_srcset_count(s), 2);
  const syn_source *src = syn_srcset_get(s, 1);
  assert_string_equal(src->path, "b.model");
  assert_int_equal(src->len, 9);
  assert_int_equal(src->text[9], 0);
  assert_null(syn_srcset_get(s, 2));
  assert_true(syn_srcset_find(s, "b.model", &found));
  assert_int_equal(found, 1);
  assert_false(syn_srcset_find(s, "c.model", &found));
  syn_span span = {0, 6, 1};
  assert_memory_equal(syn_span_text(s, span), "x", 1);
  syn_srcset_destroy(s);
  syn_srcset_destroy(NULL);
}

static void test_rejects_empty_and_big_text(void **state) {
  (void)state;
  syn_srcset *s = syn_srcset_create();
  syn_error err;
  assert_int_equal(syn_srcset_add_text(s, "e.model", "", 0, NULL, &err), SYN_EINPUT);
  assert_string_equal(err.message, "file is empty");
  assert_string_equal(err.file, "e.model");
  assert_int_equal(err.line, 0);
  size_t big = (size_t)SYN_SOURCE_MAX_BYTES + 1;
  char *text = malloc(big);
  assert_non_null(text);
  memset(text, '#', big);
  assert_int_equal(syn_srcset_add_text(s, "big.model", text, big, NULL, &err), SYN_ELIMIT);
  assert_string_equal(err.message, "file is larger than the 4 MiB limit");
  assert_int_equal(syn_srcset_add_text(s, "max.model", text, big - 1, NULL, &err), SYN_OK);
  free(text);
  assert_int_equal(syn_srcset_count(s), 1);
  syn_srcset_destroy(s);
}

static void test_nul_byte_is_located(void **state) {
  (void)state;
  syn_srcset *s = syn_srcset_create();
  syn_error err;
  static const char text[] = "model \"x\"\nparam a = 1\0\n";
  assert_int_equal(syn_srcset_add_text(s, "n.model", text, sizeof text - 1, NULL, &err),
                   SYN_EINPUT);
  assert_string_equal(err.message, "file contains a NUL byte (is it a binary file?)");
  assert_int_equal(err.line, 2);
  assert_int_equal(err.col, 12);
  assert_string_equal(err.source_line, "param a = 1?");
  assert_int_equal(syn_srcset_count(s), 0); /* a rejected text is not kept */
  syn_srcset_destroy(s);
}

static void test_invalid_utf8_is_located(void **state) {
  (void)state;
  syn_srcset *s = syn_srcset_create();
  syn_error err;
  static const char text[] = "# \xce\xb1\xce\xb2 \xff tail\n";
  assert_int_equal(syn_srcset_add_text(s, "u.model", text, sizeof text - 1, NULL, &err),
                   SYN_EINPUT);
  assert_string_equal(err.message, "invalid UTF-8 byte 0xFF");
  assert_int_equal(err.line, 1);
  assert_int_equal(err.col, 6); /* '#', ' ', alpha, beta, ' ' */
  assert_string_equal(err.source_line, "# \xce\xb1\xce\xb2 ? tail");
  syn_srcset_destroy(s);
}

static void test_utf8_len(void **state) {
  (void)state;
  assert_int_equal(syn_utf8_len("a", 1), 1);
  assert_int_equal(syn_utf8_len("\xce\xb1", 2), 2);           /* alpha */
  assert_int_equal(syn_utf8_len("\xe2\x82\xac", 3), 3);       /* euro */
  assert_int_equal(syn_utf8_len("\xf0\x9f\x98\x80", 4), 4);   /* emoji */
  assert_int_equal(syn_utf8_len("\xce", 1), 0);               /* truncated */
  assert_int_equal(syn_utf8_len("\xc0\xaf", 2), 0);           /* overlong */
  assert_int_equal(syn_utf8_len("\xe0\x80\xaf", 3), 0);       /* overlong */
  assert_int_equal(syn_utf8_len("\xed\xa0\x80", 3), 0);       /* surrogate */
  assert_int_equal(syn_utf8_len("\xf4\x90\x80\x80", 4), 0);   /* > U+10FFFF */
  assert_int_equal(syn_utf8_len("\x80", 1), 0);               /* lone continuation */
  assert_int_equal(syn_utf8_len("\xe2\x28\xa1", 3), 0);       /* bad continuation */
  assert_int_equal(syn_utf8_len("", 0), 0);
}

static void test_linecol_counts_characters(void **state) {
  (void)state;
  syn_srcset *s = syn_srcset_create();
  static const char text[] = "a\r\n\xce\xb1\xce\xb2 = x\n\nlast";
  assert_int_equal(syn_srcset_add_text(s, "c.model", text, sizeof text - 1, NULL, NULL), SYN_OK);
  int line = 0, col = 0;
  syn_srcset_linecol(s, (syn_span){0, 0, 1}, &line, &col);
  assert_int_equal(line, 1);
  assert_int_equal(col, 1);
  syn_srcset_linecol(s, (syn_span){0, 10, 1}, &line, &col); /* the 'x' */
  assert_int_equal(line, 2);
  assert_int_equal(col, 6);
  syn_srcset_linecol(s, (syn_span){0, 13, 1}, &line, &col); /* "last" */
  assert_int_equal(line, 4);
  assert_int_equal(col, 1);
  syn_srcset_linecol(s, (syn_span){0, 17, 0}, &line, &col); /* end of text */
  assert_int_equal(line, 4);
  assert_int_equal(col, 5);
  syn_srcset_destroy(s);
}

/* The line index against a direct count, over LF, CRLF, empty lines, a
 * last line without a newline, offsets on the '\n' itself and at the end,
 * in two files of one set (each file has its own index). */
static void test_linecol_matches_a_direct_count(void **state) {
  (void)state;
  static const char *const texts[] = {"a\n\nbc\r\n\r\n\xc3\xa9x\ny", "\n\n\nlast line\n"};
  syn_srcset *s = syn_srcset_create();
  syn_error err;
  uint32_t idx;
  assert_int_equal(syn_srcset_add_text(s, "one", texts[0], strlen(texts[0]), &idx, &err), SYN_OK);
  assert_int_equal(syn_srcset_add_text(s, "two", texts[1], strlen(texts[1]), &idx, &err), SYN_OK);
  for (uint32_t f = 0; f < 2; f++) {
    const char *t = texts[f];
    int want_line = 1, want_col = 1;
    for (size_t off = 0; off <= strlen(t); off++) {
      int line = 0, col = 0;
      syn_srcset_linecol(s, (syn_span){f, (uint32_t)off, 0}, &line, &col);
      assert_int_equal(line, want_line);
      if (((unsigned char)t[off] & 0xC0) != 0x80) assert_int_equal(col, want_col);
      if (t[off] == '\n') want_line++, want_col = 1;
      else if (((unsigned char)t[off] & 0xC0) != 0x80) want_col++;
    }
  }
  /* the echoed line stops before "\r\n" */
  syn_diag(&err, s, (syn_span){0, 3, 2}, SYN_EINPUT, "here");
  assert_int_equal(err.line, 3);
  assert_string_equal(err.source_line, "bc");
  syn_diag(&err, s, (syn_span){0, 13, 1}, SYN_EINPUT, "here");
  assert_int_equal(err.line, 6);
  assert_int_equal(err.col, 1);
  assert_string_equal(err.source_line, "y");
  syn_srcset_destroy(s);
}

static void test_diag_fills_location(void **state) {
  (void)state;
  syn_srcset *s = syn_srcset_create();
  static const char text[] = "model \"m\"\r\nlet \xce\xb1\xce\xb2\xce\xb3 = 1 + zz\r\n";
  assert_int_equal(syn_srcset_add_text(s, "d.model", text, sizeof text - 1, NULL, NULL), SYN_OK);
  syn_error err;
  syn_span greek = {0, 15, 6};
  assert_int_equal(syn_diag(&err, s, greek, SYN_EINPUT, "bad name '%s'", "abc"), SYN_EINPUT);
  assert_int_equal(err.code, SYN_EINPUT);
  assert_string_equal(err.message, "bad name 'abc'");
  assert_string_equal(err.file, "d.model");
  assert_int_equal(err.line, 2);
  assert_int_equal(err.col, 5);
  assert_int_equal(err.span, 3); /* characters, not bytes */
  assert_string_equal(err.source_line, "let \xce\xb1\xce\xb2\xce\xb3 = 1 + zz"); /* no \r */
  /* A span running past the line end is cut there; an empty span is 1. */
  syn_span past = {0, 28, 50}; /* "zz" and beyond */
  syn_diag(&err, s, past, SYN_EINPUT, "x");
  assert_int_equal(err.col, 15);
  assert_int_equal(err.span, 2);
  syn_span empty = {0, 0, 0};
  syn_diag(&err, s, empty, SYN_EINPUT, "x");
  assert_int_equal(err.span, 1);
  /* NULL err is allowed and still returns the code. */
  assert_int_equal(syn_diag(NULL, s, empty, SYN_ELIMIT, "x"), SYN_ELIMIT);
  char out[512];
  syn_diag(&err, s, greek, SYN_EINPUT, "bad name");
  syn_error_format(&err, out, sizeof out);
  assert_string_equal(out, "d.model:2:5: error: bad name\n"
                           "  let \xce\xb1\xce\xb2\xce\xb3 = 1 + zz\n"
                           "      ^~~\n");
  syn_srcset_destroy(s);
}

/* Characters (UTF-8 code points) before byte offset n of s. */
static size_t chars_before(const char *s, size_t n) {
  size_t c = 0;
  for (size_t i = 0; i < n; i++) c += ((unsigned char)s[i] & 0xC0) != 0x80;
  return c;
}

static void test_diag_truncates_long_lines_safely(void **state) {
  (void)state;
  enum { N = 2000 };
  char *text = malloc(2 * N + 1);
  assert_non_null(text);
  for (int i = 0; i < N; i++) memcpy(text + 2 * i, "\xc3\xa9", 2); /* e acute */
  text[2 * N] = 0;
  syn_srcset *s = syn_srcset_create();
  assert_int_equal(syn_srcset_add_text(s, "l.model", text, 2 * N, NULL, NULL), SYN_OK);
  syn_error err;
  syn_diag(&err, s, (syn_span){0, 2 * (N - 1), 2}, SYN_EINPUT, "end");
  assert_int_equal(err.col, N); /* the true column, for file:line:col */
  size_t n = strlen(err.source_line);
  assert_true(n < SYN_ERROR_LINE_MAX);
  assert_int_equal(n % 2, 1);   /* "…" (3 bytes) + whole 2-byte characters */
  assert_memory_equal(err.source_line, "\xe2\x80\xa6", 3);
  assert_true(err.caret_col > 1 && err.caret_col <= 42); /* near the left margin */
  assert_int_equal(chars_before(err.source_line, n), (size_t)err.caret_col); /* last char */
  free(text);
  syn_srcset_destroy(s);
}

/* A stray character at column 511 of a 1000-character line: the message
 * keeps the true column, the shown window is cut with "…" on both sides, and
 * the caret sits under the offending character. */
static void test_diag_window_puts_caret_under_the_error(void **state) {
  (void)state;
  enum { LEN = 1000, AT = 510 };
  char text[LEN + 1];
  for (int i = 0; i < LEN; i++) text[i] = (char)('a' + i % 26);
  text[AT] = '@';
  text[LEN] = 0;
  syn_srcset *s = syn_srcset_create();
  assert_int_equal(syn_srcset_add_text(s, "w.model", text, LEN, NULL, NULL), SYN_OK);
  syn_error err;
  syn_diag(&err, s, (syn_span){0, AT, 400}, SYN_EINPUT, "stray character '@'");
  char out[2048];
  syn_error_format(&err, out, sizeof out);
  assert_memory_equal(out, "w.model:1:511: error: stray character '@'\n", 42);
  char *line2 = strchr(out, '\n') + 1, *line3 = strchr(line2, '\n') + 1;
  char *at = strchr(line2, '@'), *caret = strchr(line3, '^');
  assert_non_null(at);
  assert_non_null(caret);
  assert_int_equal(chars_before(line2, (size_t)(at - line2)), (size_t)(caret - line3));
  assert_memory_equal(line2, "  \xe2\x80\xa6", 5);
  assert_non_null(strstr(line2, "\xe2\x80\xa6\n"));
  size_t shown = chars_before(line2, (size_t)(strchr(line2, '\n') - line2));
  assert_true(shown <= 2 + 1 + 120 + 1);
  /* the underline stops at the end of what is shown */
  size_t tildes = strspn(caret + 1, "~");
  assert_true((size_t)(caret - line3) + 1 + tildes <= shown);
  syn_srcset_destroy(s);
}

static void test_load_file(void **state) {
  (void)state;
  char path[512];
  write_file("ok.model", "param a = 1\n", 12);
  scratch_path(path, sizeof path, "ok.model");
  syn_srcset *s = syn_srcset_create();
  syn_error err;
  uint32_t index = 7;
  assert_int_equal(syn_srcset_load_file(s, path, NULL, &index, &err), SYN_OK);
  assert_int_equal(index, 0);
  assert_string_equal(syn_srcset_get(s, 0)->text, "param a = 1\n");
  assert_true(syn_srcset_find(s, path, NULL));
  syn_srcset_destroy(s);
}

static void test_load_file_errors(void **state) {
  (void)state;
  char path[512], expect[1024];
  syn_srcset *s = syn_srcset_create();
  syn_error err;
  scratch_path(path, sizeof path, "missing.model");
  assert_int_equal(syn_srcset_load_file(s, path, NULL, NULL, &err), SYN_EIO);
  snprintf(expect, sizeof expect, "cannot open '%s': No such file or directory", path);
  assert_string_equal(err.message, expect);
  assert_int_equal(err.line, 0);
  assert_int_equal(syn_srcset_load_file(s, scratch, NULL, NULL, &err), SYN_EIO);
  snprintf(expect, sizeof expect, "cannot open '%s': Is a directory", scratch);
  assert_string_equal(err.message, expect);
  write_file("empty.model", "", 0);
  scratch_path(path, sizeof path, "empty.model");
  assert_int_equal(syn_srcset_load_file(s, path, NULL, NULL, &err), SYN_EINPUT);
  assert_string_equal(err.message, "file is empty");
  assert_string_equal(err.file, path);
  write_file("bad.model", "a\n\xfe", 3);
  scratch_path(path, sizeof path, "bad.model");
  assert_int_equal(syn_srcset_load_file(s, path, NULL, NULL, &err), SYN_EINPUT);
  assert_string_equal(err.message, "invalid UTF-8 byte 0xFE");
  assert_int_equal(err.line, 2);
  assert_int_equal(err.col, 1);
  assert_int_equal(syn_srcset_count(s), 0);
  syn_srcset_destroy(s);
}

static void test_load_file_too_big(void **state) {
  (void)state;
  char path[512];
  scratch_path(path, sizeof path, "big.model");
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fseek(f, SYN_SOURCE_MAX_BYTES, SEEK_SET), 0); /* sparse, 4 MiB + 1 */
  assert_int_equal(fputc('\n', f), '\n');
  assert_int_equal(fclose(f), 0);
  syn_srcset *s = syn_srcset_create();
  syn_error err;
  assert_int_equal(syn_srcset_load_file(s, path, NULL, NULL, &err), SYN_ELIMIT);
  assert_string_equal(err.message, "file is larger than the 4 MiB limit");
  syn_srcset_destroy(s);
}

static void test_load_errors_located_at_import(void **state) {
  (void)state;
  syn_srcset *s = syn_srcset_create();
  syn_error err;
  static const char root[] = "import \"gone.model\"\n";
  assert_int_equal(syn_srcset_add_text(s, "root.model", root, sizeof root - 1, NULL, NULL),
                   SYN_OK);
  syn_span from = {0, 7, 12};
  char path[512];
  scratch_path(path, sizeof path, "gone.model");
  assert_int_equal(syn_srcset_load_file(s, path, &from, NULL, &err), SYN_EIO);
  assert_string_equal(err.file, "root.model");
  assert_int_equal(err.line, 1);
  assert_int_equal(err.col, 8);
  assert_int_equal(err.span, 12);
  write_file("empty2.model", "", 0);
  scratch_path(path, sizeof path, "empty2.model");
  assert_int_equal(syn_srcset_load_file(s, path, &from, NULL, &err), SYN_EINPUT);
  char expect[1024];
  snprintf(expect, sizeof expect, "cannot import '%s': file is empty", path);
  assert_string_equal(err.message, expect);
  syn_srcset_destroy(s);
}

/* A UTF-8 byte-order mark at the start of a text is dropped (it made
 * `unexpected character` at 1:1, shown as nothing), from memory and from
 * disk; offsets and columns are those of the text after it. */
static void test_byte_order_mark_dropped(void **state) {
  (void)state;
  syn_srcset *s = syn_srcset_create();
  syn_error err;
  uint32_t a = 99, b = 99;
  assert_int_equal(syn_srcset_add_text(s, "a.model", "\xef\xbb\xbfparam x = 1\n", 15, &a, &err),
                   SYN_OK);
  assert_string_equal(syn_srcset_get(s, a)->text, "param x = 1\n");
  assert_int_equal(syn_srcset_get(s, a)->len, 12);
  char path[512];
  write_file("bom.model", "\xef\xbb\xbfparam y = 2\n", 15);
  scratch_path(path, sizeof path, "bom.model");
  assert_int_equal(syn_srcset_load_file(s, path, NULL, &b, &err), SYN_OK);
  assert_string_equal(syn_srcset_get(s, b)->text, "param y = 2\n");
  syn_span y = {b, 6, 1};
  int line = 0, col = 0;
  syn_srcset_linecol(s, y, &line, &col);
  assert_int_equal(line, 1);
  assert_int_equal(col, 7);
  write_file("bomonly.model", "\xef\xbb\xbf", 3);
  scratch_path(path, sizeof path, "bomonly.model");
  assert_int_equal(syn_srcset_load_file(s, path, NULL, NULL, &err), SYN_EINPUT);
  assert_string_equal(err.message, "file is empty");
  assert_int_equal(syn_srcset_add_text(s, "c.model", "\xef\xbb\xbf", 3, NULL, &err), SYN_EINPUT);
  assert_string_equal(err.message, "file is empty");
  /* only at the start: elsewhere it stays (the lexer names it) */
  assert_int_equal(syn_srcset_add_text(s, "d.model", "a\xef\xbb\xbf", 4, &a, &err), SYN_OK);
  assert_int_equal(syn_srcset_get(s, a)->len, 4);
  syn_srcset_destroy(s);
}

/* A file is found by what it is, not how it is spelled: an absolute path,
 * a symlink and a hard link to a loaded file find it. */
static void test_find_by_identity(void **state) {
  (void)state;
  char path[512], link[512], hard[512], cwd[512];
  write_file("id.model", "param k = 1\n", 12);
  scratch_path(path, sizeof path, "id.model");
  scratch_path(link, sizeof link, "id_link.model");
  scratch_path(hard, sizeof hard, "id_hard.model");
  assert_int_equal(symlink("id.model", link), 0);
  assert_int_equal(link_or_skip(path, hard), 0);
  syn_srcset *s = syn_srcset_create();
  syn_error err;
  uint32_t index = 99, found = 99;
  assert_int_equal(syn_srcset_load_file(s, path, NULL, &index, &err), SYN_OK);
  assert_true(syn_srcset_find(s, link, &found));
  assert_int_equal(found, index);
  found = 99;
  assert_true(syn_srcset_find(s, hard, &found));
  assert_int_equal(found, index);
  assert_non_null(getcwd(cwd, sizeof cwd));
  assert_int_equal(chdir(scratch), 0);
  found = 99;
  assert_true(syn_srcset_find(s, "id.model", &found)); /* relative, from elsewhere */
  assert_int_equal(found, index);
  assert_false(syn_srcset_find(s, "gone.model", &found));
  assert_int_equal(chdir(cwd), 0);
  syn_srcset_destroy(s);
}

/* One library imported as "lib.model", by its absolute path, through a
 * symlink and through "sub/../": loaded once (it was loaded four times:
 * "'k' is already declared"). A file importing itself through a symlink is
 * a cycle, not an endless chain. */
static void test_import_same_file_by_other_paths(void **state) {
  (void)state;
  char root[512], text[2048], lib[512], selfp[512];
  assert_int_equal(mkdir_in_scratch("imp"), 0);
  assert_int_equal(mkdir_in_scratch("imp/sub"), 0);
  write_file("imp/lib.model", "param k = 1\n", 12);
  scratch_path(lib, sizeof lib, "imp/lib.model");
  char link[512];
  scratch_path(link, sizeof link, "imp/link.model");
  assert_int_equal(symlink("lib.model", link), 0);
  int n = snprintf(text, sizeof text,
                   "import \"lib.model\"\nimport \"%s\"\nimport \"link.model\"\n"
                   "import \"sub/../lib.model\"\nparam j = 2 * k\n", lib);
  write_file("imp/root.model", text, (size_t)n);
  scratch_path(root, sizeof root, "imp/root.model");
  syn_program *p = NULL;
  syn_error err;
  if (syn_program_parse_file(root, &p, &err) != SYN_OK) fail_msg("%s", err.message);
  assert_int_equal(p->nfiles, 2);
  syn_program_destroy(p);
  write_file("imp/self.model", "import \"me.model\"\nparam a = 1\n", 29);
  char me[512];
  scratch_path(me, sizeof me, "imp/me.model");
  assert_int_equal(symlink("self.model", me), 0);
  scratch_path(selfp, sizeof selfp, "imp/self.model");
  assert_int_equal(syn_program_parse_file(selfp, &p, &err), SYN_EINPUT);
  snprintf(text, sizeof text, "'%s' imports itself", selfp);
  assert_string_equal(err.message, text);
}

static void check_resolve(const char *importer, const char *rel, const char *want) {
  char *got = syn_path_resolve(importer, rel);
  assert_non_null(got);
  assert_string_equal(got, want);
  syn_free(got);
}

static void test_path_resolve(void **state) {
  (void)state;
  check_resolve(NULL, "a.model", "a.model");
  check_resolve(NULL, "./a.model", "a.model");
  check_resolve("a.model", "b.model", "b.model");
  check_resolve("dir/a.model", "b.model", "dir/b.model");
  check_resolve("dir/a.model", "../b.model", "b.model");
  check_resolve("dir/a.model", "../../b.model", "../b.model");
  check_resolve("../x/a.model", "../../b.model", "../../b.model");
  check_resolve("dir/sub/a.model", "./../c//d.model", "dir/c/d.model");
  check_resolve("dir/a.model", "/abs/b.model", "/abs/b.model");
  check_resolve("/r/a.model", "../../b.model", "/b.model");
  check_resolve(NULL, "a/..", ".");
}

/* Every allocation failure gives SYN_ENOMEM and leaks nothing (ASan). */
static void test_out_of_memory(void **state) {
  (void)state;
  char path[512];
  write_file("oom.model", "param a = 1\n", 12);
  scratch_path(path, sizeof path, "oom.model");
  for (long n = 1;; n++) {
    syn_srcset *s = syn_srcset_create();
    if (s == NULL) continue;
    syn_error err;
    syn_alloc_test_fail_after(n);
    syn_status a = syn_srcset_add_text(s, "t.model", "let x = 1", 9, NULL, &err);
    syn_status b = a == SYN_OK ? syn_srcset_load_file(s, path, NULL, NULL, &err) : a;
    syn_alloc_test_fail_after(0);
    syn_srcset_destroy(s);
    if (b == SYN_OK) break;
    assert_int_equal(b, SYN_ENOMEM);
    assert_true(n < 50);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_add_text_and_get),
      cmocka_unit_test(test_rejects_empty_and_big_text),
      cmocka_unit_test(test_nul_byte_is_located),
      cmocka_unit_test(test_invalid_utf8_is_located),
      cmocka_unit_test(test_utf8_len),
      cmocka_unit_test(test_linecol_counts_characters),
      cmocka_unit_test(test_linecol_matches_a_direct_count),
      cmocka_unit_test(test_diag_fills_location),
      cmocka_unit_test(test_diag_truncates_long_lines_safely),
      cmocka_unit_test(test_diag_window_puts_caret_under_the_error),
      cmocka_unit_test(test_load_file),
      cmocka_unit_test(test_load_file_errors),
      cmocka_unit_test(test_load_file_too_big),
      cmocka_unit_test(test_load_errors_located_at_import),
      cmocka_unit_test(test_byte_order_mark_dropped),
      cmocka_unit_test(test_find_by_identity),
      cmocka_unit_test(test_import_same_file_by_other_paths),
      cmocka_unit_test(test_path_resolve),
      cmocka_unit_test(test_out_of_memory),
  };
  return cmocka_run_group_tests(tests, make_scratch, remove_scratch);
}
