/* synovia — solver settings by name (scenario layer; see
 * include/synovia/scenario.h, syn_solver_setting).
 *
 * The one definition of the settings a user gives by name: `synovia sweep
 * --rtol 1e-8` builds its options from this table, and a scenario's
 * `solver rtol 1e-8 linear-solver klu` line is checked against it, so the
 * names, the values accepted and the messages are the same everywhere. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "synovia/scenario.h"

typedef enum value_kind { POSITIVE_NUMBER, POSITIVE_WHOLE, LINEAR_SOLVER } value_kind;

static const struct {
  const char *name;
  value_kind kind;
} settings[SYN_SETTING_COUNT] = {
    [SYN_SETTING_RTOL] = {"rtol", POSITIVE_NUMBER},
    [SYN_SETTING_ATOL] = {"atol", POSITIVE_NUMBER},
    [SYN_SETTING_LINEAR_SOLVER] = {"linear-solver", LINEAR_SOLVER},
    [SYN_SETTING_MAX_STEPS] = {"max-steps", POSITIVE_WHOLE},
};

static const syn_linsol linear_solvers[] = {SYN_LINSOL_AUTO, SYN_LINSOL_DENSE, SYN_LINSOL_KLU};

const char *syn_solver_setting_name(syn_solver_setting k) {
  return (unsigned)k < SYN_SETTING_COUNT ? settings[k].name : "";
}

int syn_solver_setting_find(const char *name, size_t n, syn_solver_setting *k) {
  for (int i = 0; i < SYN_SETTING_COUNT; i++)
    if (strlen(settings[i].name) == n && strncmp(settings[i].name, name, n) == 0) {
      *k = (syn_solver_setting)i;
      return 1;
    }
  return 0;
}

/* The whole text is one finite number. */
static int parse_number(const char *text, double *out) {
  char *end = NULL;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || *end != 0 || errno == ERANGE || !isfinite(v)) return 0;
  *out = v;
  return 1;
}

static syn_status apply_number(syn_solver_opts *o, syn_solver_setting k, const char *value,
                               syn_error *err) {
  double v = 0;
  int whole = settings[k].kind == POSITIVE_WHOLE;
  if (!parse_number(value, &v) || !(v > 0) || (whole && (v != floor(v) || v > 1e15)))
    return syn_error_set(err, SYN_EINVAL, "%s must be a positive %s (got '%s')", settings[k].name,
                         whole ? "whole number" : "number", value);
  if (k == SYN_SETTING_RTOL) o->rtol = v;
  else if (k == SYN_SETTING_ATOL) o->atol = v;
  else o->max_steps = (long)v;
  return SYN_OK;
}

static syn_status apply_linear_solver(syn_solver_opts *o, const char *value, syn_error *err) {
  const size_t n = sizeof linear_solvers / sizeof *linear_solvers;
  for (size_t i = 0; i < n; i++)
    if (strcmp(value, syn_linsol_name(linear_solvers[i])) == 0) {
      o->linsol = linear_solvers[i];
      return SYN_OK;
    }
  return syn_error_set(err, SYN_EINVAL, "linear-solver must be one of %s, %s or %s (got '%s')",
                       syn_linsol_name(SYN_LINSOL_AUTO), syn_linsol_name(SYN_LINSOL_DENSE),
                       syn_linsol_name(SYN_LINSOL_KLU), value);
}

syn_status syn_solver_setting_apply(syn_solver_opts *o, syn_solver_setting k, const char *value,
                                    syn_error *err) {
  if ((unsigned)k >= SYN_SETTING_COUNT || value == NULL)
    return syn_error_set(err, SYN_EINVAL, "no such solver setting");
  if (settings[k].kind == LINEAR_SOLVER) return apply_linear_solver(o, value, err);
  return apply_number(o, k, value, err);
}
