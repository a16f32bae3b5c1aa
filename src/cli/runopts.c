/* synovia — the option helpers shared by the model and the scenario paths of
 * `synovia run` (see run.h): values with units, solver settings, --set, the
 * default output name and the provenance files. Below cmd_run.c and
 * cmd_scenario.c, which both call it; it calls neither. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run.h"

/* A library error about an option: "synovia: error: --set 'x=1': message". */
static void option_error(const char *option, const char *text, const syn_error *err) {
  fprintf(stderr, "synovia: error: %s '%s': %s\n", option, text, err->message);
  if (err->hint[0]) fprintf(stderr, "  hint: %s\n", err->hint);
}

/* A time option: a plain number in clock units, or a time ("180 d"). */
int run_parse_value(const syn_model *m, const char *option, const char *text, double *out) {
  if (cli_parse_double(text, out)) return 1;
  syn_error err;
  syn_error_clear(&err);
  if (syn_model_parse_time(m, text, out, &err) == SYN_OK) return 1;
  option_error(option, text, &err);
  return 0;
}

int run_check_grid(const syn_model *m, const syn_run_opts *o) {
  syn_error err;
  syn_error_clear(&err);
  if (syn_run_check_grid(o, syn_model_time_unit(m), 1.0, &err) == SYN_OK) return 1;
  fprintf(stderr, "synovia: error: --t-start, --t-end, --every: %s\n  hint: %s\n", err.message,
          err.hint[0] ? err.hint : "see 'synovia run --help'");
  return 0;
}

/* --rtol, --atol, --max-steps and --linear-solver through the one table of
 * solver settings (syn_solver_setting), as `synovia sweep` and a scenario's
 * `solver` line take them: the same names, values and messages. */
static int parse_solver_options(const run_args *a, syn_solver_opts *o) {
  const char *given[SYN_SETTING_COUNT] = {
      [SYN_SETTING_RTOL] = a->rtol,
      [SYN_SETTING_ATOL] = a->atol,
      [SYN_SETTING_LINEAR_SOLVER] = a->linsol,
      [SYN_SETTING_MAX_STEPS] = a->max_steps,
  };
  for (int k = 0; k < SYN_SETTING_COUNT; k++) {
    syn_error e;
    if (given[k] != NULL &&
        syn_solver_setting_apply(o, (syn_solver_setting)k, given[k], &e) != SYN_OK) {
      cli_usage_error("run", "--%s", e.message);
      return 0;
    }
  }
  if (a->no_jacobian) o->use_jacobian = 0;
  return 1;
}

/* "1e-6" or "1 cells": the number and the unit after it ("" when none). */
static int split_quantity(const char *text, double *v, const char **unit) {
  char *end = NULL;
  *v = strtod(text, &end);
  if (end == text) return 0;
  while (*end == ' ') end++;
  *unit = end;
  return 1;
}

double *run_state_atols(const char *cmd, const syn_model *m, const syn_solver_opts *o,
                        const name_value *atols, size_t n, int report) {
  size_t ny = syn_model_count(m, SYN_SYM_STATE);
  double *v = malloc((ny ? ny : 1) * sizeof *v);
  syn_state_atol *ov = malloc((n ? n : 1) * sizeof *ov);
  if (v == NULL || ov == NULL) {
    fputs("synovia: error: out of memory\n", stderr);
    goto fail;
  }
  for (size_t k = 0; k < n; k++) {
    double d;
    const char *unit = "";
    syn_error e;
    syn_error_clear(&e);
    if (!split_quantity(atols[k].value, &d, &unit)) {
      if (report)
        cli_usage_error(cmd, "--atol '%s=%s': '%s' is not a positive number", atols[k].name,
                        atols[k].value, atols[k].value);
      goto fail;
    }
    if (syn_state_atol_resolve(m, atols[k].name, d, unit, &ov[k], &e) != SYN_OK) {
      char shown[512];
      snprintf(shown, sizeof shown, "%s=%s", atols[k].name, atols[k].value);
      if (report) option_error("--atol", shown, &e);
      goto fail;
    }
  }
  syn_state_atols_apply(m, o, ov, n, v);
  free(ov);
  return v;
fail:
  free(ov);
  free(v);
  return NULL;
}

int run_solver_options(const syn_model *m, const run_args *a, syn_solver_opts *o,
                       double **atol_vec) {
  *atol_vec = NULL;
  if (!parse_solver_options(a, o)) return 0;
  if (a->natols == 0) return 1;
  if ((*atol_vec = run_state_atols("run", m, o, a->atols, a->natols, 1)) == NULL) return 0;
  o->atol_vec = *atol_vec;
  return 1;
}

size_t run_model_files(const syn_model *m, const char **paths, const char **texts,
                       size_t first, size_t max) {
  size_t n = first;
  for (size_t i = 0; i < syn_model_file_count(m) && n < max; i++, n++) {
    paths[n] = syn_model_file_path(m, i);
    texts[n] = syn_model_file_text(m, i);
  }
  return n - first;
}

int run_parse_set(const syn_model *m, const char *name, const char *value, double *out) {
  syn_error err;
  syn_error_clear(&err);
  if (syn_model_parse_setting(m, name, value, out, &err) == SYN_OK) return 1;
  char shown[512];
  snprintf(shown, sizeof shown, "%s=%s", name, value);
  option_error("--set", shown, &err);
  return 0;
}

int run_apply_sets(const syn_model *m, syn_instance *inst, const run_args *a) {
  for (size_t k = 0; k < a->nsets; k++) {
    double v;
    char shown[512];
    snprintf(shown, sizeof shown, "%s=%s", a->sets[k].name, a->sets[k].value);
    if (!run_parse_set(m, a->sets[k].name, a->sets[k].value, &v)) return 0;
    syn_error err;
    syn_error_clear(&err);
    if (syn_instance_set(inst, a->sets[k].name, v, &err) != SYN_OK) {
      option_error("--set", shown, &err);
      return 0;
    }
  }
  return 1;
}

/* ---- --sensitivities ------------------------------------------------------------------ */

static int sens_has(const run_sens *s, const char *name) {
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->names[i], name) == 0) return 1;
  return 0;
}

static int sens_push(run_sens *s, const char *name) {
  char **grown = realloc(s->names, (s->n + 1) * sizeof *grown);
  if (grown == NULL) return 0;
  s->names = grown;
  if ((s->names[s->n] = strdup(name)) == NULL) return 0;
  s->n++;
  return 1;
}

void run_sens_free(run_sens *s) {
  for (size_t i = 0; i < s->n; i++) free(s->names[i]);
  free(s->names);
  s->names = NULL;
  s->n = 0;
}

int run_sens_parse(const char *text, run_sens *out) {
  const char *p = text;
  for (;;) {
    const char *comma = strchr(p, ',');
    size_t len = comma ? (size_t)(comma - p) : strlen(p);
    while (len > 0 && (*p == ' ' || *p == '\t')) p++, len--;
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
    char name[512];
    if (len == 0 || len >= sizeof name) {
      cli_usage_error("run", "--sensitivities '%s': %s", text,
                      len ? "a name is too long" : "an empty name (write P1,P2,… or all)");
      return 0;
    }
    memcpy(name, p, len);
    name[len] = 0;
    if (sens_has(out, name)) {
      cli_usage_error("run", "--sensitivities '%s': '%s' is given twice", text, name);
      return 0;
    }
    if (!sens_push(out, name)) return 0;
    if (comma == NULL) break;
    p = comma + 1;
  }
  if (out->n > 1 && sens_has(out, "all")) {
    cli_usage_error("run", "--sensitivities '%s': 'all' is every parameter: give it alone", text);
    return 0;
  }
  return 1;
}

/* The model's parameters and compartments written as numbers. */
static int add_model_values(run_sens *out, const syn_model *m) {
  static const syn_symkind kinds[] = {SYN_SYM_PARAM, SYN_SYM_COMPARTMENT};
  for (size_t k = 0; k < 2; k++)
    for (size_t i = 0; i < syn_model_count(m, kinds[k]); i++) {
      const syn_symbol *sym = syn_model_symbol(m, kinds[k], i);
      double v;
      if (syn_model_parse_value(m, sym->expr, &v, NULL) != SYN_OK || sens_has(out, sym->name))
        continue;
      if (!sens_push(out, sym->name)) return 0;
    }
  return 1;
}

static int add_doses(run_sens *out, const syn_scenario *sc, const size_t *arms, size_t narms) {
  for (size_t k = 0; k < narms; k++) {
    size_t nd = syn_scenario_dose_param(sc, arms[k], 0, NULL, 0);
    for (size_t d = 0; d < nd; d++) {
      char base[400], name[420];
      syn_scenario_dose_param(sc, arms[k], d, base, sizeof base);
      snprintf(name, sizeof name, "%s.amount", base);
      if (!sens_has(out, name) && !sens_push(out, name)) return 0;
      snprintf(name, sizeof name, "%s.time", base);
      if (!sens_has(out, name) && !sens_push(out, name)) return 0;
    }
  }
  return 1;
}

int run_sens_add(run_sens *out, const char *name, const syn_model *m, const syn_scenario *sc,
                 const size_t *arms, size_t narms) {
  if (strcmp(name, "all") != 0) return sens_has(out, name) || sens_push(out, name);
  return add_model_values(out, m) && (sc == NULL || add_doses(out, sc, arms, narms));
}

int run_free_names(const run_args *a, const run_sens *sens, const char ***names, size_t *nfree,
                   size_t **sens_index) {
  *names = calloc(a->nsets + sens->n + 1, sizeof **names);
  *sens_index = calloc(sens->n + 1, sizeof **sens_index);
  if (*names == NULL || *sens_index == NULL) return 0;
  *nfree = a->nsets;
  for (size_t k = 0; k < a->nsets; k++) (*names)[k] = a->sets[k].name;
  for (size_t k = 0; k < sens->n; k++) {
    size_t i = 0;
    while (i < *nfree && strcmp((*names)[i], sens->names[k]) != 0) i++;
    if (i == *nfree) (*names)[(*nfree)++] = sens->names[k];
    (*sens_index)[k] = i;
  }
  return 1;
}

/* "models/knee.model" -> "knee.h5" (in the current directory). */
char *run_default_output(const char *model_path) {
  const char *base = strrchr(model_path, '/');
  base = base ? base + 1 : model_path;
  size_t len = strlen(base);
  const char *dot = strrchr(base, '.');
  if (dot && dot != base) len = (size_t)(dot - base);
  char *out = malloc(len + 4);
  if (out == NULL) return NULL;
  memcpy(out, base, len);
  memcpy(out + len, ".h5", 4);
  return out;
}


int run_output_usable(const char *out, const char *first, const syn_model *m) {
  size_t nm = syn_model_file_count(m), n = 0;
  const char **inputs = malloc((nm + 1) * sizeof *inputs);
  if (inputs == NULL) {
    fputs("synovia: error: out of memory\n", stderr);
    return 0;
  }
  if (first) inputs[n++] = first;
  for (size_t i = 0; i < nm; i++) inputs[n++] = syn_model_file_path(m, i);
  int ok = cli_output_usable(out, inputs, n);
  free(inputs);
  return ok;
}

int run_output_early(const run_args *a) {
  if (a->output_path && strcmp(a->output_path, "-") == 0) return 1; /* refused with a usage error */
  char *out = a->output_path ? NULL : run_default_output(a->model_path);
  const char *path = a->output_path ? a->output_path : out;
  int ok = path != NULL && cli_output_usable(path, &a->model_path, 1);
  if (path == NULL) fputs("synovia: error: out of memory\n", stderr);
  free(out);
  return ok;
}
