/* synovia — small helpers shared by the subcommands: error printing and
 * option scanning. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "synovia/number.h"
#include "synovia/path.h"

void cli_print_error(const syn_error *err) {
  char buf[4096];
  syn_error_format(err, buf, sizeof buf);
  fputs(buf, stderr);
}

void cli_usage_error(const char *cmd, const char *fmt, ...) {
  va_list ap;
  fputs("synovia: error: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  if (cmd && cmd[0])
    fprintf(stderr, "\n  hint: see 'synovia %s --help'\n", cmd);
  else
    fputs("\n  hint: see 'synovia --help'\n", stderr);
}

int cli_take_value(int argc, char **argv, int *i, const char *name, const char *cmd,
                   const char **value) {
  const char *arg = argv[*i];
  size_t n = strlen(name);
  if (strncmp(arg, name, n) != 0) return 0;
  if (arg[n] == '=') {
    *value = arg + n + 1;
    return 1;
  }
  if (arg[n] != 0) return 0;
  if (*i + 1 >= argc) {
    cli_usage_error(cmd, "option '%s' needs a value", name);
    return -1;
  }
  *i += 1;
  *value = argv[*i];
  return 1;
}

/* Decimal only, as the language writes numbers (synovia/number.h): no hex,
 * inf or nan. */
int cli_parse_double(const char *text, double *out) { return syn_number_parse(text, out); }

int cli_parse_long(const char *text, long *out) {
  char *end = NULL;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (end == text || *end != 0 || errno == ERANGE) return 0;
  *out = v;
  return 1;
}

/* "-" as an HDF5 output: refused, since HDF5 writes in place, not in order. */
int cli_refuse_stdout_h5(const char *cmd, const char *path, const char *example) {
  if (path == NULL || strcmp(path, "-") != 0) return 0;
  cli_usage_error(cmd, "-o -: an HDF5 file cannot be written to standard output (it is written in "
                       "place, not in order); give a file name, e.g. -o %s", example);
  return 1;
}

/* "synovia: error: …" and the hint, as the library words it. */
static void print_path_error(const syn_error *err) {
  fputs("synovia: ", stderr);
  cli_print_error(err);
}

int cli_written_usable(const char *path, const char *role, const char *const *inputs,
                       size_t ninputs) {
  syn_error err;
  syn_error_clear(&err);
  if (syn_path_check_output(path, role, &err) != SYN_OK ||
      syn_path_check_not_input(path, inputs, ninputs, NULL, &err) != SYN_OK) {
    print_path_error(&err);
    return 0;
  }
  return 1;
}

int cli_output_usable(const char *path, const char *const *inputs, size_t ninputs) {
  size_t n = strlen(path) + sizeof ".tmp";
  char *tmp = malloc(n);
  if (tmp == NULL) {
    fputs("synovia: error: out of memory\n", stderr);
    return 0;
  }
  snprintf(tmp, n, "%s.tmp", path);
  syn_error err;
  syn_error_clear(&err);
  int ok = cli_written_usable(path, "output", inputs, ninputs);
  /* NAME.tmp is truncated when opened: no link, not an input (a hard link) */
  if (ok && (syn_path_check_temporary(tmp, &err) != SYN_OK ||
             syn_path_check_not_input(tmp, inputs, ninputs, NULL, &err) != SYN_OK)) {
    print_path_error(&err);
    ok = 0;
  }
  free(tmp);
  return ok;
}

FILE *cli_fopen_tmp(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) return NULL;
  FILE *f = fdopen(fd, "w");
  if (f == NULL) {
    int e = errno;
    close(fd);
    errno = e;
  }
  return f;
}

int cli_input_usable(const char *path, const char *what) {
  syn_error err;
  syn_error_clear(&err);
  if (syn_path_check_input(path, what, &err) == SYN_OK) return 1;
  print_path_error(&err);
  return 0;
}

int cli_is_help(const char *arg) { return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0; }

char **cli_glob(const char *pattern, size_t *n) {
  glob_t g;
  *n = 0;
  if (glob(pattern, 0, NULL, &g) != 0) return NULL;
  char **out = calloc(g.gl_pathc ? g.gl_pathc : 1, sizeof *out);
  for (size_t i = 0; out && i < g.gl_pathc; i++) {
    out[i] = malloc(strlen(g.gl_pathv[i]) + 1);
    if (out[i] == NULL) {
      cli_glob_free(out, i);
      out = NULL;
      break;
    }
    strcpy(out[i], g.gl_pathv[i]);
  }
  if (out) *n = g.gl_pathc;
  globfree(&g);
  return out;
}

void cli_glob_free(char **paths, size_t n) {
  for (size_t i = 0; paths && i < n; i++) free(paths[i]);
  free(paths);
}
