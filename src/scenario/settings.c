/* synovia — solver settings by name (scenario layer; see
 * include/synovia/scenario.h, syn_solver_setting).
 *
 * The one definition of the settings a user gives by name: `synovia sweep
 * --rtol 1e-8` builds its options from this table, and a scenario's
 * `solver rtol 1e-8 linear-solver klu` line is checked against it, so the
 * names, the values accepted and the messages are the same everywhere. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "synovia/number.h"
#include "synovia/scenario.h"

typedef enum value_kind { NUMBER, WHOLE, LINEAR_SOLVER } value_kind;

/* Each number's valid range — above lo, and below hi (hi_open) or up to it
 * — and how it is said in the one message a bad value gets, whether it is out
 * of range on either side or not a number at all ("rtol must be a number
 * above 0 and below 1 (got '10')"). The ranges are the solver's own
 * (syn_solver_opts checks them again): a value accepted here runs. */
static const struct {
  const char *name;
  value_kind kind;
  double lo, hi;
  int hi_open;
  const char *range;
} settings[SYN_SETTING_COUNT] = {
    [SYN_SETTING_RTOL] = {"rtol", NUMBER, 0, 1, 1, "a number above 0 and below 1"},
    [SYN_SETTING_ATOL] = {"atol", NUMBER, 0, DBL_MAX, 0, "a positive number"},
    [SYN_SETTING_LINEAR_SOLVER] = {"linear-solver", LINEAR_SOLVER, 0, 0, 0, ""},
    [SYN_SETTING_MAX_STEPS] = {"max-steps", WHOLE, 0, 1e15, 0,
                               "a whole number from 1 to 10^15"},
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

static int in_range(syn_solver_setting k, double v) {
  if (!(v > settings[k].lo)) return 0; /* every lower bound is open */
  if (settings[k].kind == WHOLE && v != floor(v)) return 0;
  return settings[k].hi_open ? v < settings[k].hi : v <= settings[k].hi;
}

static syn_status apply_number(syn_solver_opts *o, syn_solver_setting k, const char *value,
                               syn_error *err) {
  double v = 0;
  if (!syn_number_parse(value, &v) || !in_range(k, v))
    return syn_error_set(err, SYN_EINVAL, "%s must be %s (got '%s')", settings[k].name,
                         settings[k].range, value);
  if (k == SYN_SETTING_RTOL) o->rtol = v;
  else if (k == SYN_SETTING_ATOL) {
    o->atol = v;
    o->atol_given = 1; /* the user's atol replaces the model's state tolerances */
  }
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
