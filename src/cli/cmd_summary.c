/* synovia summary FILE — what a result file holds, as aligned tables. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "summary.h"

static const char summary_help[] =
    "usage: synovia summary FILE.h5\n"
    "\n"
    "Prints what a result file holds and its numbers as aligned tables.\n"
    "A run file (synovia run): the title, scenario and model (with SHA-256), who\n"
    "wrote it and how, its arms (time span, solver), doses, the parameters that\n"
    "differ between arms, and the metrics side by side (without metrics: every\n"
    "series at start and end with its range).\n"
    "A sweep file (synovia sweep): the design, the samples ok and failed (the\n"
    "first reasons), the parameters and their distributions, each metric's\n"
    "statistics by arm over the ok samples, and the Sobol or Morris indices.\n"
    "\n"
    "See also: synovia export FILE --csv DIR, synovia report FILE -o report.html,\n"
    "scripts/synovia-plot FILE. Exit status: 0, 1 (the file cannot be read), 2 (usage).\n";

int cmd_summary(int argc, char **argv) {
  const char *path = NULL;
  for (int i = 0; i < argc; i++) {
    if (cli_is_help(argv[i])) {
      fputs(summary_help, stdout);
      return CLI_OK;
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
  if (summary_build(path, &doc, NULL, &err) != SYN_OK) {
    cli_print_error(&err);
    rc = CLI_FAILED;
  } else {
    cli_doc_print_text(stdout, &doc);
  }
  cli_doc_free(&doc);
  return rc;
}
