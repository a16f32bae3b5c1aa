/* synovia summary FILE — what a result file holds, as aligned tables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "summary.h"

static const char summary_help[] =
    "usage: synovia summary FILE.h5 [--width N]\n"
    "\n"
    "Prints what a result file holds and its numbers as aligned tables.\n"
    "A run file (synovia run): the title, scenario and model (with SHA-256), who\n"
    "wrote it and how, its arms (time span, solver), doses, the parameters that\n"
    "differ between arms, and the metrics side by side (without metrics: every\n"
    "series at start and end with its range); with sensitivities, each metric's\n"
    "parameters ranked by |d ln metric / d ln parameter|.\n"
    "A sweep file (synovia sweep): the design, the samples ok and failed (the\n"
    "first reasons), the parameters and their distributions, each metric's\n"
    "statistics by arm over the ok samples, and the Sobol or Morris indices.\n"
    "\n"
    "  --width N   fit the output into N columns (0: no limit); default: the\n"
    "              terminal's width, else $COLUMNS, else 100. Tables too wide\n"
    "              are wrapped, or printed in groups of columns.\n"
    "\n"
    "See also: synovia export FILE --csv DIR, synovia report FILE -o report.html,\n"
    "scripts/synovia-plot FILE. Exit status: 0, 1 (the file cannot be read), 2 (usage).\n";

enum { DEFAULT_WIDTH = 100 };

/* The columns to fit into: the terminal's when standard output is one (a
 * pipe or file has none: $COLUMNS, else DEFAULT_WIDTH). */
static int output_width(void) {
  struct winsize ws;
  long n;
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
    return ws.ws_col;
  const char *env = getenv("COLUMNS");
  if (env && cli_parse_long(env, &n) && n > 0 && n < 100000) return (int)n;
  return DEFAULT_WIDTH;
}

int cmd_summary(int argc, char **argv) {
  const char *path = NULL, *v;
  long width = -1;
  for (int i = 0; i < argc; i++) {
    int got;
    if (cli_is_help(argv[i])) {
      fputs(summary_help, stdout);
      return CLI_OK;
    }
    if ((got = cli_take_value(argc, argv, &i, "--width", "summary", &v)) != 0) {
      if (got < 0) return CLI_USAGE;
      if (!cli_parse_long(v, &width) || width < 0 || width > 100000) {
        cli_usage_error("summary", "--width takes a number of columns, 0 or more (not '%s')",
                        v);
        return CLI_USAGE;
      }
      continue;
    }
    if (argv[i][0] == '-' && argv[i][1] != 0) {
      cli_usage_error("summary", "unknown option '%s'", argv[i]);
      return CLI_USAGE;
    }
    if (path) {
      cli_usage_error("summary", "one file at a time ('%s' and '%s')", path, argv[i]);
      return CLI_USAGE;
    }
    path = argv[i];
  }
  if (path == NULL) {
    cli_usage_error("summary", "which file? (synovia summary FILE.h5)");
    return CLI_USAGE;
  }
  cli_doc doc = {0};
  syn_error err;
  int rc = CLI_OK;
  if (!cli_input_usable(path, "result file")) {
    rc = CLI_FAILED;
  } else if (summary_build(path, &doc, NULL, &err) != SYN_OK) {
    cli_print_error(&err);
    rc = CLI_FAILED;
  } else {
    cli_doc_print_text_width(stdout, &doc, width >= 0 ? (int)width : output_width());
  }
  cli_doc_free(&doc);
  return rc;
}
