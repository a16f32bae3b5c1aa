/* synovia — the command-line program (the only code that prints or exits).
 * Each subcommand is a function taking its arguments after the command name;
 * it returns the process exit status: 0 success, 1 the work failed (bad
 * model, failed run), 2 bad usage. */
#ifndef SYN_CLI_H
#define SYN_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "synovia/status.h"

enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2 };

int cmd_run(int argc, char **argv, const char *command_line);
int cmd_check(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_sweep(int argc, char **argv, const char *command_line);
int cmd_merge(int argc, char **argv, const char *command_line);
int cmd_summary(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_report(int argc, char **argv, const char *argv0);
int cmd_fit(int argc, char **argv, const char *command_line);
int cmd_import(int argc, char **argv);

/* Print an error object as the library rendered it, prefixed with nothing:
 * "file:line:col: error: …" + source line + caret + hint. */
void cli_print_error(const syn_error *err);

/* "synovia: error: <message>\n  hint: see 'synovia CMD --help'" for usage errors. */
void cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Option scanning: recognises "--name VALUE" and "--name=VALUE".
 * Returns 1 and sets *value when argv[*i] is the option `name` (advancing *i
 * past a separate value); 0 when it is another argument; -1 when the value is
 * missing (after printing a usage error). */
int cli_take_value(int argc, char **argv, int *i, const char *name, const char *cmd,
                   const char **value);

/* Strict number parsing: the whole text must be a finite number. */
int cli_parse_double(const char *text, double *out);
int cli_parse_long(const char *text, long *out);

/* Paths matching a shell pattern, sorted; NULL and *n = 0 when none. Free
 * with cli_glob_free. */
char **cli_glob(const char *pattern, size_t *n);
void cli_glob_free(char **paths, size_t n);

/* Is this argument a request for help? */
int cli_is_help(const char *arg);

/* 1 after a usage error when PATH is "-" (HDF5 cannot go to standard output);
 * EXAMPLE is a file name to suggest. 0 otherwise. */
int cli_refuse_stdout_h5(const char *cmd, const char *path, const char *example);

/* Outputs and inputs checked before any work (include/synovia/path.h): each
 * returns 1 when the path may be used, else 0 after printing why.
 * cli_output_usable: PATH and PATH.tmp (where it is written before the
 * rename) are absent or regular files, in an existing folder, and neither is
 * one of the n INPUTS (by device and inode). cli_written_usable: the same for
 * one other file the command writes (ROLE names it: "lock file").
 * cli_input_usable: PATH is not a FIFO, device or socket (opening one could
 * block forever); WHAT names it ("result file"). */
int cli_output_usable(const char *path, const char *const *inputs, size_t ninputs);
int cli_written_usable(const char *path, const char *role, const char *const *inputs,
                       size_t ninputs);
int cli_input_usable(const char *path, const char *what);

/* A NAME.tmp opened for writing ("w"), never through a symlink (which could
 * send the truncation to another file); NULL with errno set on failure. */
FILE *cli_fopen_tmp(const char *path);

#endif
