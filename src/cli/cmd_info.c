/* synovia info MODEL — what a model contains: clock, files, compartments,
 * parameters (value, units, description, source), states, outputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "table.h"
#include "synovia/model.h"
#include "synovia/sbml.h"
#include "synovia/scenario.h"

static const char info_help[] =
    "usage: synovia info MODEL [--markdown]\n"
    "\n"
    "Describe a model: its title and clock, the files it is built from (with the\n"
    "SHA-256 recorded in every result file), then compartments, parameters,\n"
    "states and outputs with their values, units, descriptions and sources,\n"
    "and its joints, routes, presets and events.\n"
    "\n"
    "options:\n"
    "  --markdown   print the tables as Markdown (for docs/model.md)\n";

static const char *kind_heading(syn_symkind k) {
  switch (k) {
    case SYN_SYM_COMPARTMENT: return "compartments";
    case SYN_SYM_PARAM: return "parameters";
    case SYN_SYM_STATE: return "states (initial value)";
    case SYN_SYM_LET: return "intermediates (let)";
    case SYN_SYM_OUTPUT: return "outputs";
    case SYN_SYM_KIND_COUNT: break;
  }
  return "";
}

/* Units as written to the files and docs/model.md: what the model's unit
 * algebra derived, "1" (CF's dimensionless) when it derived none. */
static const char *file_units(const syn_symbol *s) { return s->units[0] ? s->units : "1"; }

static int name_width(const syn_model *m, syn_symkind k) {
  int w = 4;
  for (size_t i = 0; i < syn_model_count(m, k); i++) {
    int n = (int)strlen(syn_model_symbol(m, k, i)->name);
    if (n > w) w = n;
  }
  return w;
}

static int has_value(syn_symkind k) {
  return k == SYN_SYM_COMPARTMENT || k == SYN_SYM_PARAM || k == SYN_SYM_STATE;
}

/* A state's absolute tolerance in a run without overrides, and where it
 * comes from: "atol 0.001 cells (cells default)". */
static void print_state_atol(const syn_model *m, size_t i) {
  const syn_symbol *s = syn_model_symbol(m, SYN_SYM_STATE, i);
  syn_solver_opts o;
  syn_solver_opts_default(&o);
  double a = s->atol > 0 ? s->atol : o.atol;
  printf(" atol %g (%s)", a, syn_state_atol_source(m, i));
}

static void print_symbol(const syn_model *m, syn_symkind k, size_t i, int w) {
  const syn_symbol *s = syn_model_symbol(m, k, i);
  if (has_value(s->kind))
    printf("  %-*s  %12.6g %-13s", w, s->name, s->value, cli_units_shown(file_units(s)));
  else
    printf("  %-*s  = %-24s", w, s->name, s->expr);
  if (s->kind == SYN_SYM_STATE && s->compartment[0]) printf(" in %s", s->compartment);
  if (s->kind == SYN_SYM_STATE) print_state_atol(m, i);
  if (s->description[0]) printf("  %s", s->description);
  if (s->source[0]) printf("  [source: %s]", s->source);
  putchar('\n');
}

static void print_kind(const syn_model *m, syn_symkind k) {
  size_t n = syn_model_count(m, k);
  if (n == 0) return;
  printf("\n%s (%zu):\n", kind_heading(k), n);
  int w = name_width(m, k);
  for (size_t i = 0; i < n; i++) print_symbol(m, k, i, w);
}

static void print_joints_routes_presets(const syn_model *m) {
  size_t nj = syn_model_joint_count(m), nr = syn_model_route_count(m);
  size_t np = syn_model_preset_count(m);
  if (nj > 0) {
    printf("\njoints (%zu):", nj);
    for (size_t i = 0; i < nj; i++) printf(" %s", syn_model_joint(m, i));
    putchar('\n');
  }
  if (nr > 0) printf("\nroutes (%zu):\n", nr);
  for (size_t i = 0; i < nr; i++) {
    const syn_route *r = syn_model_route(m, i);
    const syn_symbol *target = syn_model_symbol(m, SYN_SYM_STATE, r->state);
    printf("  %s%s%s -> %s", r->name, r->joint[0] ? " into " : "", r->joint, target->name);
    if (r->description[0]) printf("  %s", r->description);
    putchar('\n');
  }
  if (np > 0) {
    printf("\npresets (%zu):", np);
    for (size_t i = 0; i < np; i++) printf(" %s", syn_model_preset_name(m, i));
    putchar('\n');
  }
  size_t ne = syn_model_event_count(m);
  if (ne > 0) {
    printf("\nevents (%zu):", ne);
    for (size_t i = 0; i < ne; i++) printf(" %s", syn_model_event_name(m, i));
    putchar('\n');
  }
}

static void print_model(const syn_model *m) {
  const char *clock = syn_model_time_unit(m);
  printf("model: %s\n", syn_model_title(m)[0] ? syn_model_title(m) : "(untitled)");
  printf("clock: %s\n", clock[0] ? clock : "(none: time is dimensionless)");
  printf("files:");
  for (size_t i = 0; i < syn_model_file_count(m); i++) printf(" %s", syn_model_file_path(m, i));
  printf("\nsha256: %s\n", syn_model_sha256(m));
  syn_model_stats st;
  syn_model_get_stats(m, &st);
  printf("compiled: %zu rhs + %zu Jacobian instructions, %zu Jacobian entries\n",
         st.rhs_instructions, st.jac_instructions, st.jac_nnz);
  for (int k = 0; k < SYN_SYM_KIND_COUNT; k++) print_kind(m, (syn_symkind)k);
  print_joints_routes_presets(m);
}

/* Markdown: a table cell must not contain '|' or a line break. */
static void put_cell(const char *s) {
  for (; *s; s++) {
    if (*s == '|') fputs("\\|", stdout);
    else if (*s == '\n') putchar(' ');
    else putchar(*s);
  }
}

static void markdown_kind(const syn_model *m, syn_symkind k) {
  size_t n = syn_model_count(m, k);
  if (n == 0) return;
  printf("\n### %s (%zu)\n\n", kind_heading(k), n);
  if (has_value(k)) printf("| name | value | units | description | source |\n|---|---:|---|---|---|\n");
  else printf("| name | definition | units | description |\n|---|---|---|---|\n");
  for (size_t i = 0; i < n; i++) {
    const syn_symbol *s = syn_model_symbol(m, k, i);
    printf("| `%s` | ", s->name);
    if (has_value(k)) printf("%.6g", s->value);
    else {
      putchar('`');
      put_cell(s->expr);
      putchar('`');
    }
    fputs(" | ", stdout);
    put_cell(file_units(s));
    fputs(" | ", stdout);
    put_cell(s->description);
    if (has_value(k)) {
      fputs(" | ", stdout);
      put_cell(s->source);
    }
    fputs(" |\n", stdout);
  }
}

static void print_markdown(const syn_model *m) {
  const char *title = syn_model_title(m);
  printf("## %s\n\n", title[0] ? title : syn_model_file_path(m, 0));
  printf("Clock: `%s`. Files:", syn_model_time_unit(m));
  for (size_t i = 0; i < syn_model_file_count(m); i++) printf(" `%s`", syn_model_file_path(m, i));
  printf(". SHA-256 `%s`.\n", syn_model_sha256(m));
  for (int k = 0; k < SYN_SYM_KIND_COUNT; k++) markdown_kind(m, (syn_symkind)k);
}

int cmd_info(int argc, char **argv) {
  const char *path = NULL;
  int markdown = 0;
  for (int i = 0; i < argc; i++) {
    if (cli_is_help(argv[i])) {
      fputs(info_help, stdout);
      return CLI_OK;
    }
    if (strcmp(argv[i], "--markdown") == 0) {
      markdown = 1;
      continue;
    }
    if (argv[i][0] == '-' && argv[i][1] != 0) {
      cli_usage_error("info", "unknown option '%s'", argv[i]);
      return CLI_USAGE;
    }
    if (path != NULL) {
      cli_usage_error("info", "one model at a time ('%s' and '%s' given)", path, argv[i]);
      return CLI_USAGE;
    }
    path = argv[i];
  }
  if (path == NULL) {
    cli_usage_error("info", "no model file given");
    return CLI_USAGE;
  }
  syn_error err;
  syn_model *m = NULL;
  syn_error_clear(&err);
  if (syn_model_open(path, &m, &err) != SYN_OK) {
    cli_print_error(&err);
    return CLI_FAILED;
  }
  if (markdown) print_markdown(m);
  else print_model(m);
  syn_model_destroy(m);
  return CLI_OK;
}
