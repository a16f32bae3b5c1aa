/* synovia — program entry: process-wide set-up and dispatch to subcommands. */
#include <gsl/gsl_errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "synovia/synovia.h"

static const char usage_text[] =
    "synovia — simulate the cytokine network of an arthritic joint under MSC therapy\n"
    "\n"
    "usage: synovia <command> [options]\n"
    "\n"
    "commands:\n"
    "  run             the built-in demonstration (knee OA: IA vs IV MSCs vs none)\n"
    "  run MODEL       simulate a model and write its time series to HDF5\n"
    "  run SCENARIO    run every arm of a .scenario and compare their metrics\n"
    "  check FILE      check a model file and report the first error, if any\n"
    "  info MODEL      list states, parameters (units, descriptions, sources), outputs\n"
    "  sweep FILE      run a parameter sweep (.sweep): serial, MPI or job-array shards\n"
    "  merge OUT PARTS join the shard files of a sweep\n"
    "  summary FILE    what a result file holds: provenance, arms or design, metrics\n"
    "  export FILE     write a result file as tidy CSV files (--csv DIR)\n"
    "  report FILE     one self-contained HTML report with figures (-o report.html)\n"
    "  fit FILE.fit --evaluate  a fit's objective and gradient at one point\n"
    "  import FILE.xml translate an SBML model into a model file (-o FILE.model)\n"
    "  help [COMMAND]  show help for a command\n"
    "\n"
    "options:\n"
    "  -h, --help      show this help\n"
    "  --version       print the version\n"
    "\n"
    "Every command that takes a model also takes an SBML file (.xml).\n"
    "Every command takes --help. Documentation: README.md, docs/language.md,\n"
    "docs/output-format.md.\n";

/* The command line as typed, shell-quoted where needed, for provenance. */
static char *join_command_line(int argc, char **argv) {
  size_t size = 1;
  for (int i = 0; i < argc; i++) size += 3 + 2 * strlen(argv[i]);
  char *out = malloc(size);
  if (out == NULL) return NULL;
  char *p = out;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    int quote = a[0] == 0 || strpbrk(a, " \t\n'\"\\$`*?;&|<>()#~") != NULL;
    if (i > 0) *p++ = ' ';
    if (quote) *p++ = '\'';
    for (; *a; a++) {
      if (quote && *a == '\'') {
        memcpy(p, "'\\''", 4);
        p += 4;
      } else {
        *p++ = *a;
      }
    }
    if (quote) *p++ = '\'';
  }
  *p = 0;
  return out;
}

static int dispatch(int argc, char **argv, const char *command_line) {
  const char *cmd = argv[1];
  if (strcmp(cmd, "run") == 0) return cmd_run(argc - 2, argv + 2, command_line);
  if (strcmp(cmd, "check") == 0) return cmd_check(argc - 2, argv + 2);
  if (strcmp(cmd, "info") == 0) return cmd_info(argc - 2, argv + 2);
  if (strcmp(cmd, "sweep") == 0) return cmd_sweep(argc - 2, argv + 2, command_line);
  if (strcmp(cmd, "merge") == 0) return cmd_merge(argc - 2, argv + 2, command_line);
  if (strcmp(cmd, "summary") == 0) return cmd_summary(argc - 2, argv + 2);
  if (strcmp(cmd, "export") == 0) return cmd_export(argc - 2, argv + 2);
  if (strcmp(cmd, "report") == 0) return cmd_report(argc - 2, argv + 2, argv[0]);
  if (strcmp(cmd, "fit") == 0) return cmd_fit(argc - 2, argv + 2, command_line);
  if (strcmp(cmd, "import") == 0) return cmd_import(argc - 2, argv + 2);
  if (strcmp(cmd, "help") == 0) {
    if (argc < 3) {
      fputs(usage_text, stdout);
      return CLI_OK;
    }
    char help[] = "--help";
    char *args[] = {argv[0], argv[2], help, NULL};
    return dispatch(3, args, command_line);
  }
  if (cli_is_help(cmd)) {
    fputs(usage_text, stdout);
    return CLI_OK;
  }
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
    printf("synovia %s\n", syn_version());
    return CLI_OK;
  }
  cli_usage_error("", "unknown command '%s' (commands: run, check, info, sweep, merge, summary, export, report, fit, import, help)", cmd);
  return CLI_USAGE;
}

int main(int argc, char **argv) {
  setlocale(LC_ALL, "C"); /* numbers are read and written with '.', always */
  gsl_set_error_handler_off(); /* GSL's default handler aborts the process */
  if (argc < 2) {
    fputs(usage_text, stderr);
    return CLI_USAGE;
  }
  char *command_line = join_command_line(argc, argv);
  if (command_line == NULL) {
    fputs("synovia: error: out of memory\n", stderr);
    return CLI_FAILED;
  }
  int rc = dispatch(argc, argv, command_line);
  free(command_line);
  return rc;
}
