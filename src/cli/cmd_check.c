/* synovia check FILE — parse, resolve and compile a model; report the first
 * error in compiler style, or a one-line summary. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "synovia/fit.h"
#include "synovia/model.h"
#include "synovia/sbml.h"
#include "synovia/scenario.h"
#include "synovia/sweep.h"

static const char check_help[] =
    "usage: synovia check FILE...\n"
    "\n"
    "Check model files without running them: syntax, names, units of time,\n"
    "equations and the symbolic Jacobian; and scenario files (.scenario): their\n"
    "model, arms, doses, presets and metrics; and sweep files (.sweep): their\n"
    "scenario, parameters, units, distributions and design; and fit files (.fit):\n"
    "their scenario, data tables, observables, noise models and estimated parameters. Prints 'FILE: ok' with a summary, or\n"
    "the first error as 'file:line:col: error: …' with the source line.\n"
    "Exit status: 0 all files are valid, 1 a file has an error, 2 bad usage.\n";

static int check_scenario(const char *path) {
  syn_error err;
  syn_scenario *sc = NULL;
  syn_error_clear(&err);
  if (syn_scenario_load(path, &sc, &err) != SYN_OK) {
    cli_print_error(&err);
    return CLI_FAILED;
  }
  size_t na = syn_scenario_arm_count(sc), nm = syn_scenario_metric_count(sc);
  printf("%s: ok (%zu arm%s, %zu metric%s; model %s)\n", path, na, na == 1 ? "" : "s", nm,
         nm == 1 ? "" : "s", syn_model_file_path(syn_scenario_model(sc), 0));
  syn_scenario_destroy(sc);
  return CLI_OK;
}

static int check_sweep(const char *path) {
  syn_error err;
  syn_sweep *sw = NULL;
  syn_error_clear(&err);
  if (syn_sweep_load_plan(path, &sw, &err) != SYN_OK) { /* every check; the design counted */
    cli_print_error(&err);
    return CLI_FAILED;
  }
  size_t np = syn_sweep_param_count(sw), na = syn_sweep_arm_count(sw);
  size_t nm = syn_sweep_metric_count(sw);
  printf("%s: ok (%s design, %zu samples, %zu parameter%s, %zu arm%s, %zu metric%s; scenario %s)\n",
         path, syn_sweep_design_name(sw), syn_sweep_count(sw), np, np == 1 ? "" : "s", na,
         na == 1 ? "" : "s", nm, nm == 1 ? "" : "s", syn_scenario_path(syn_sweep_scenario(sw)));
  syn_sweep_destroy(sw);
  return CLI_OK;
}

static int check_fit(const char *path) {
  syn_error err;
  syn_fit *fit = NULL;
  syn_error_clear(&err);
  if (syn_fit_load(path, &fit, &err) != SYN_OK) {
    cli_print_error(&err);
    return CLI_FAILED;
  }
  size_t nd = syn_fit_point_count(fit), no = syn_fit_observable_count(fit);
  size_t np = syn_fit_param_count(fit), na = syn_fit_arm_count(fit);
  printf("%s: ok (%zu data point%s, %zu observable%s, %zu estimated parameter%s, %zu arm%s; "
         "scenario %s)\n", path, nd, nd == 1 ? "" : "s", no, no == 1 ? "" : "s", np,
         np == 1 ? "" : "s", na, na == 1 ? "" : "s", syn_scenario_path(syn_fit_scenario(fit)));
  syn_fit_destroy(fit);
  return CLI_OK;
}

static int has_extension(const char *path, const char *ext) {
  size_t n = strlen(path), k = strlen(ext);
  return n > k && strcmp(path + n - k, ext) == 0;
}

static int check_one(const char *path) {
  if (has_extension(path, ".scenario")) return check_scenario(path);
  if (has_extension(path, ".sweep")) return check_sweep(path);
  if (has_extension(path, ".fit")) return check_fit(path);
  syn_error err;
  syn_model *m = NULL;
  syn_error_clear(&err);
  if (syn_model_open(path, &m, &err) != SYN_OK) {
    cli_print_error(&err);
    return CLI_FAILED;
  }
  size_t ns = syn_model_count(m, SYN_SYM_STATE), np = syn_model_count(m, SYN_SYM_PARAM);
  size_t no = syn_model_count(m, SYN_SYM_OUTPUT);
  if (ns == 0) /* valid to import (tests/models/imports_lib.model), but `run` has nothing to solve */
    printf("%s: ok (no states: a library to import, it cannot run on its own; %zu parameter%s, "
           "%zu output%s)\n", path, np, np == 1 ? "" : "s", no, no == 1 ? "" : "s");
  else
    printf("%s: ok (%zu state%s, %zu parameter%s, %zu output%s)\n", path, ns, ns == 1 ? "" : "s",
           np, np == 1 ? "" : "s", no, no == 1 ? "" : "s");
  syn_model_destroy(m);
  return CLI_OK;
}

int cmd_check(int argc, char **argv) {
  int nfiles = 0, rc = CLI_OK;
  for (int i = 0; i < argc; i++) {
    if (cli_is_help(argv[i])) {
      fputs(check_help, stdout);
      return CLI_OK;
    }
    if (argv[i][0] == '-' && argv[i][1] != 0) {
      cli_usage_error("check", "unknown option '%s'", argv[i]);
      return CLI_USAGE;
    }
  }
  for (int i = 0; i < argc; i++) {
    nfiles++;
    if (check_one(argv[i]) != CLI_OK) rc = CLI_FAILED;
  }
  if (nfiles == 0) {
    cli_usage_error("check", "no model file given");
    return CLI_USAGE;
  }
  return rc;
}
