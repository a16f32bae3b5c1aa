/* synovia import MODEL.xml -o MODEL.model — translate an SBML file into a
 * readable model file (docs/sbml.md). The text is written to OUT.tmp and
 * renamed, so OUT is either the whole model or untouched. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "synovia/sbml.h"

static const char import_help[] =
    "usage: synovia import FILE.xml -o FILE.model [--force]\n"
    "\n"
    "Translate an SBML model (Level 2 or 3) into the model language: SBML ids\n"
    "become names, names and units become descriptions, species are states\n"
    "in amounts with outputs for amounts and concentrations (docs/sbml.md).\n"
    "What cannot be translated exactly (algebraic rules, delays, fast\n"
    "reactions, packages such as comp or fbc) is refused, located.\n"
    "Every command that takes a model also takes the .xml directly.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE   the model file to write ('-': standard output)\n"
    "  --force             replace FILE if it exists\n"
    "\n"
    "Exit status: 0 success, 1 the file could not be imported, 2 bad usage.\n";

typedef struct import_args {
  const char *in, *out;
  int force;
} import_args;

static int parse_args(int argc, char **argv, import_args *a) {
  for (int i = 0; i < argc; i++) {
    const char *v = NULL;
    int r = cli_take_value(argc, argv, &i, "--output", "import", &v);
    if (r == 0) r = cli_take_value(argc, argv, &i, "-o", "import", &v);
    if (r < 0) return CLI_USAGE;
    if (r > 0) {
      a->out = v;
    } else if (strcmp(argv[i], "--force") == 0) {
      a->force = 1;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      cli_usage_error("import", "unknown option '%s'", argv[i]);
      return CLI_USAGE;
    } else if (a->in == NULL) {
      a->in = argv[i];
    } else {
      cli_usage_error("import", "one SBML file at a time ('%s' is a second one)", argv[i]);
      return CLI_USAGE;
    }
  }
  if (a->in == NULL || a->out == NULL) {
    cli_usage_error("import", a->in ? "no output given (-o FILE.model)" : "no SBML file given");
    return CLI_USAGE;
  }
  return CLI_OK;
}

static int write_model(const char *out, const char *in, const char *text, size_t len) {
  if (strcmp(out, "-") == 0) return fwrite(text, 1, len, stdout) == len ? CLI_OK : CLI_FAILED;
  const char *inputs[] = {in};
  if (!cli_output_usable(out, inputs, 1)) return CLI_FAILED;
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", out);
  FILE *f = cli_fopen_tmp(tmp);
  if (f == NULL) {
    fprintf(stderr, "synovia: error: cannot write '%s': %s\n", tmp, strerror(errno));
    return CLI_FAILED;
  }
  int ok = fwrite(text, 1, len, f) == len;
  ok = (fclose(f) == 0) && ok;
  if (ok && rename(tmp, out) != 0) ok = 0;
  if (!ok) {
    fprintf(stderr, "synovia: error: cannot write '%s': %s\n", out, strerror(errno));
    unlink(tmp);
    return CLI_FAILED;
  }
  return CLI_OK;
}

int cmd_import(int argc, char **argv) {
  for (int i = 0; i < argc; i++)
    if (cli_is_help(argv[i])) {
      fputs(import_help, stdout);
      return CLI_OK;
    }
  import_args a = {NULL, NULL, 0};
  int rc = parse_args(argc, argv, &a);
  if (rc != CLI_OK) return rc;
  if (!a.force && strcmp(a.out, "-") != 0 && access(a.out, F_OK) == 0) {
    fprintf(stderr, "synovia: error: '%s' exists\n  hint: give --force to replace it\n", a.out);
    return CLI_FAILED;
  }
  if (!cli_input_usable(a.in, "SBML file")) return CLI_FAILED;
  syn_error err;
  syn_error_clear(&err);
  char *text = NULL;
  size_t len = 0;
  if (syn_sbml_import(a.in, &text, &len, &err) != SYN_OK) {
    cli_print_error(&err);
    return CLI_FAILED;
  }
  rc = write_model(a.out, a.in, text, len);
  syn_sbml_free(text);
  return rc;
}
