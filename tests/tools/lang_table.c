/* synovia — table-driven language tests (jq style), a helper program for
 * tests/integration/lang_syntax.sh.
 *
 *   lang_table FILE.tests [--dir DIR]
 *
 * Each case of FILE.tests is written into a fresh directory (under DIR, or
 * $TMPDIR, or /tmp), loaded from there, and the rendered error compared
 * exactly with the expected text. Output is TAP. Format:
 *
 *   # comments and blank lines between cases are ignored
 *   %%CASE name of the case
 *   %%FILE main.model        optional (default test.model); several allowed,
 *   ...text lines...         the first file is the one loaded (a .scenario
 *                            file is loaded with syn_scenario_load, a .fit
 *                            file or a PEtab .yaml with syn_fit_load)
 *   %%BYTES "a\x00b"         C-escaped content appended to the current file
 *   %%SIZE 5000000           the current file padded with comments to n bytes
 *   %%DIR lib.model          a directory instead of a file
 *   %%ROOT name              load this path instead of the first file
 *   %%ERROR                  or %%OK (the root must load)
 *   file:1:2: error: ...     expected output of syn_error_format
 *   %%END
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lang/ast.h"
#include "synovia/fit.h"
#include "synovia/model.h"
#include "synovia/scenario.h"
#include "synovia/status.h"

enum { MAX_FILES = 16, MAX_LINE = 8192, PAD_LINE = 64 };

typedef struct tfile {
  char name[256];
  char *data;
  size_t len, cap;
  int is_dir;
} tfile;

typedef struct tcase {
  char name[256];
  int line; /* of %%CASE, for messages about the table itself */
  tfile files[MAX_FILES];
  int nfiles;
  char root[256]; /* loaded path; "" = the first file */
  int expect_ok;
  char *expected;
  size_t elen, ecap;
} tcase;

/* The one function to change when the table should exercise a later layer
 * (e.g. syn_model_load for semantic errors). A root ending in .scenario is
 * loaded as a scenario (syn_scenario_load: parse, model, resolution). */
static syn_status load(const char *path, syn_error *err) {
  size_t n = strlen(path);
  if ((n > 4 && strcmp(path + n - 4, ".fit") == 0) ||
      (n > 5 && strcmp(path + n - 5, ".yaml") == 0)) { /* a fit file or a PEtab problem: syn_fit_load */
    syn_fit *f = NULL;
    syn_status st = syn_fit_load(path, &f, err);
    syn_fit_destroy(f);
    return st;
  }
  if (n > 9 && strcmp(path + n - 9, ".scenario") == 0) {
    syn_scenario *s = NULL;
    syn_status st = syn_scenario_load(path, &s, err);
    syn_scenario_destroy(s);
    return st;
  }
  syn_model *m = NULL;
  syn_status st = syn_model_load(path, &m, err);
  syn_model_destroy(m);
  return st;
}

static void die(const char *what) {
  fprintf(stderr, "lang_table: %s\n", what);
  exit(2);
}

static void append(char **buf, size_t *len, size_t *cap, const char *s, size_t n) {
  if (*len + n + 1 > *cap) {
    size_t ncap = *cap ? *cap : 256;
    while (*len + n + 1 > ncap) ncap *= 2;
    char *nb = realloc(*buf, ncap);
    if (nb == NULL) die("out of memory");
    *buf = nb;
    *cap = ncap;
  }
  memcpy(*buf + *len, s, n);
  *len += n;
  (*buf)[*len] = 0;
}

static void case_free(tcase *c) {
  for (int i = 0; i < c->nfiles; i++) free(c->files[i].data);
  free(c->expected);
  memset(c, 0, sizeof *c);
}

static tfile *new_file(tcase *c, const char *name) {
  if (c->nfiles == MAX_FILES) die("too many %%FILE blocks in one case");
  tfile *f = &c->files[c->nfiles++];
  snprintf(f->name, sizeof f->name, "%.*s", (int)sizeof f->name - 1, name);
  return f;
}

static tfile *current_file(tcase *c) {
  return c->nfiles ? &c->files[c->nfiles - 1] : new_file(c, "test.model");
}

static int hex_value(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* One or more "..." segments with C escapes: \n \t \r \\ \" \0 \xNN. */
static void add_bytes(tfile *f, const char *s, int line) {
  for (;;) {
    while (*s == ' ' || *s == '\t') s++;
    if (*s == 0 || *s == '\n') return;
    if (*s++ != '"') {
      fprintf(stderr, "lang_table: line %d: %%BYTES wants a quoted string\n", line);
      exit(2);
    }
    while (*s && *s != '"') {
      char ch = *s++;
      if (ch == '\\') {
        char e = *s++;
        switch (e) {
          case 'n': ch = '\n'; break;
          case 't': ch = '\t'; break;
          case 'r': ch = '\r'; break;
          case '0': ch = 0; break;
          case 'x': {
            int v = 0, k = 0;
            while (k < 2 && hex_value(*s) >= 0) v = v * 16 + hex_value(*s++), k++;
            ch = (char)v;
            break;
          }
          default: ch = e; break;
        }
      }
      append(&f->data, &f->len, &f->cap, &ch, 1);
    }
    if (*s == '"') s++;
  }
}

/* A valid model padded with comment lines to exactly n bytes. */
static void add_size(tfile *f, size_t n) {
  static const char head[] = "model \"big\"\n";
  char pad[PAD_LINE + 1];
  memset(pad, '#', PAD_LINE - 1);
  pad[PAD_LINE - 1] = '\n';
  append(&f->data, &f->len, &f->cap, head, n < sizeof head - 1 ? n : sizeof head - 1);
  while (f->len < n) {
    size_t k = n - f->len < PAD_LINE ? n - f->len : PAD_LINE;
    append(&f->data, &f->len, &f->cap, pad, k);
  }
}

static int starts(const char *line, const char *word) {
  return strncmp(line, word, strlen(word)) == 0;
}

static const char *arg_of(const char *line, const char *word) {
  const char *s = line + strlen(word);
  while (*s == ' ' || *s == '\t') s++;
  return s;
}

static void chomp(char *s) {
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = 0;
}

/* Read the next case; 0 at end of file. Text lines keep their "\n". */
static int read_case(FILE *in, int *lineno, tcase *c) {
  char line[MAX_LINE];
  enum { SEEK, BODY, EXPECT } mode = SEEK;
  while (fgets(line, sizeof line, in)) {
    ++*lineno;
    if (mode == SEEK) {
      if (line[0] == '#' || line[strspn(line, " \t\r\n")] == 0) continue;
      if (!starts(line, "%%CASE")) {
        fprintf(stderr, "lang_table: line %d: expected %%%%CASE\n", *lineno);
        exit(2);
      }
      chomp(line);
      snprintf(c->name, sizeof c->name, "%.*s", (int)sizeof c->name - 1, arg_of(line, "%%CASE"));
      c->line = *lineno;
      mode = BODY;
    } else if (mode == EXPECT) {
      if (starts(line, "%%END")) return 1;
      append(&c->expected, &c->elen, &c->ecap, line, strlen(line));
    } else if (starts(line, "%%FILE") || starts(line, "%%DIR")) {
      int dir = starts(line, "%%DIR");
      chomp(line);
      new_file(c, arg_of(line, dir ? "%%DIR" : "%%FILE"))->is_dir = dir;
    } else if (starts(line, "%%ROOT")) {
      chomp(line);
      snprintf(c->root, sizeof c->root, "%.*s", (int)sizeof c->root - 1, arg_of(line, "%%ROOT"));
    } else if (starts(line, "%%BYTES")) {
      add_bytes(current_file(c), arg_of(line, "%%BYTES"), *lineno);
    } else if (starts(line, "%%SIZE")) {
      add_size(current_file(c), (size_t)strtoull(arg_of(line, "%%SIZE"), NULL, 10));
    } else if (starts(line, "%%ERROR") || starts(line, "%%OK")) {
      c->expect_ok = starts(line, "%%OK");
      if (c->root[0] == 0) current_file(c);
      mode = EXPECT;
    } else {
      tfile *f = current_file(c);
      append(&f->data, &f->len, &f->cap, line, strlen(line));
    }
  }
  if (mode != SEEK) {
    fprintf(stderr, "lang_table: case at line %d has no %%%%END\n", c->line);
    exit(2);
  }
  return 0;
}

/* mkdir -p for the directories of a relative path. */
static void make_parents(const char *path) {
  char tmp[512];
  snprintf(tmp, sizeof tmp, "%s", path);
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST) die("cannot create a directory");
    *p = '/';
  }
}

static void write_files(const tcase *c) {
  for (int i = 0; i < c->nfiles; i++) {
    const tfile *f = &c->files[i];
    make_parents(f->name);
    if (f->is_dir) {
      if (mkdir(f->name, 0700) != 0) die("cannot create a %%DIR");
      continue;
    }
    FILE *out = fopen(f->name, "wb");
    if (out == NULL || (f->len && fwrite(f->data, 1, f->len, out) != f->len) || fclose(out) != 0)
      die("cannot write a case file");
  }
}

static void print_commented(const char *label, const char *text) {
  printf("# %s\n", label);
  const char *s = text;
  while (*s) {
    const char *nl = strchr(s, '\n');
    size_t n = nl ? (size_t)(nl - s) : strlen(s);
    printf("#   |%.*s\n", (int)n, s);
    s += n + (nl != NULL);
  }
}

/* Run one case in its own directory; 1 when it passes. */
static int run_case(const tcase *c, const char *dir) {
  if (mkdir(dir, 0700) != 0 || chdir(dir) != 0) die("cannot create the case directory");
  write_files(c);
  syn_error err;
  syn_error_clear(&err);
  syn_status st = load(c->root[0] ? c->root : c->files[0].name, &err);
  char got[8192];
  if (st == SYN_OK) snprintf(got, sizeof got, "(loaded without error)\n");
  else syn_error_format(&err, got, sizeof got);
  const char *want = c->expect_ok ? "(loaded without error)\n" : (c->expected ? c->expected : "");
  int pass = strcmp(got, want) == 0;
  if (!pass) {
    print_commented("expected:", want);
    print_commented("got:", got);
  }
  return pass;
}

static void remove_tree(const char *path) {
  char cmd[4200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
  if (system(cmd) != 0) fprintf(stderr, "lang_table: could not remove %s\n", path);
}

int main(int argc, char **argv) {
  const char *table = NULL, *base = getenv("TMPDIR");
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) base = argv[++i];
    else table = argv[i];
  }
  if (table == NULL) die("usage: lang_table FILE.tests [--dir DIR]");
  FILE *in = fopen(table, "r");
  if (in == NULL) die("cannot open the table");
  char home[4096], root[4096];
  if (getcwd(home, sizeof home) == NULL) die("getcwd failed");
  snprintf(root, sizeof root, "%s/lang_table.XXXXXX", base && *base ? base : "/tmp");
  if (mkdtemp(root) == NULL) die("cannot create a temporary directory");
  int lineno = 0, n = 0, failed = 0;
  tcase c;
  memset(&c, 0, sizeof c);
  while (read_case(in, &lineno, &c)) {
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/case%d", root, ++n);
    int pass = run_case(&c, dir);
    if (chdir(home) != 0) die("cannot go back to the start directory");
    printf("%s %d - %s\n", pass ? "ok" : "not ok", n, c.name);
    failed += !pass;
    case_free(&c);
  }
  fclose(in);
  remove_tree(root);
  printf("1..%d\n", n);
  return failed ? 1 : 0;
}
