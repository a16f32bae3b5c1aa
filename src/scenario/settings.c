/* synovia — solver settings by name (scenario layer; see
 * include/synovia/scenario.h, syn_solver_setting).
 *
 * The one definition of the settings a user gives by name: `synovia sweep
 * --rtol 1e-8` builds its options from this table, and a scenario's
 * `solver rtol 1e-8 linear-solver klu` line is checked against it, so the
 * names, the values accepted and the messages are the same everywhere. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "lang/suggest.h"
#include "lang/units.h"
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
    o->atol_given = 1;    /* the user's atol replaces the model's state tolerances */
    o->atol_vec = NULL;   /* and the per-state ones of the layers below it */
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

/* ---- per-state absolute tolerances ----------------------------------------------------- */

/* The hint after an unknown state: the states, up to a line's worth. */
static void hint_states(const syn_model *m, syn_error *err) {
  char list[200];
  size_t len = 0, n = syn_model_count(m, SYN_SYM_STATE), i = 0;
  list[0] = 0;
  for (; i < n && len + strlen(syn_model_symbol(m, SYN_SYM_STATE, i)->name) + 8 < sizeof list; i++)
    len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "",
                            syn_model_symbol(m, SYN_SYM_STATE, i)->name);
  syn_error_hint(err, "an atol names a state of the model: %s%s", list, i < n ? ", ..." : "");
}

static syn_status unknown_state(const syn_model *m, const char *name, syn_error *err) {
  size_t n = syn_model_count(m, SYN_SYM_STATE);
  syn_symkind kind;
  size_t idx;
  if (syn_model_find(m, name, &kind, &idx)) {
    syn_status st = syn_error_set(err, SYN_EINVAL, "'%s' is not a state of the model", name);
    syn_error_hint(err, "only states have an absolute tolerance (the solver's error weight)");
    return st;
  }
  const char **names = syn_calloc(n + 1, sizeof *names);
  if (names == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  const char *per_joint = NULL;
  for (size_t i = 0; i < n; i++) {
    const syn_symbol *sym = syn_model_symbol(m, SYN_SYM_STATE, i);
    names[i] = sym->name;
    if (per_joint == NULL && sym->joint && sym->joint[0] && strcmp(sym->base, name) == 0)
      per_joint = sym->name;
  }
  const char *near = syn_suggest(name, strlen(name), names, n);
  syn_status st;
  if (per_joint) {
    st = syn_error_set(err, SYN_EINVAL, "'%s' exists once per joint: name one copy, e.g. %s", name,
                       per_joint);
    syn_error_hint(err, "give each joint's copy its own atol line");
  } else {
    if (near) st = syn_error_set(err, SYN_EINVAL, "unknown state '%s' (did you mean '%s'?)", name, near);
    else st = syn_error_set(err, SYN_EINVAL, "unknown state '%s'", name);
    hint_states(m, err);
  }
  syn_free(names);
  return st;
}

syn_status syn_state_atol_resolve(const syn_model *m, const char *name, double value,
                                  const char *unit, syn_state_atol *out, syn_error *err) {
  syn_symkind kind;
  size_t idx;
  if (!syn_model_find(m, name, &kind, &idx) || kind != SYN_SYM_STATE)
    return unknown_state(m, name, err);
  if (!(value > 0) || !isfinite(value)) {
    syn_status st = syn_error_set(err, SYN_EINVAL, "'atol' must be a positive finite number (got %g)",
                                  value);
    syn_error_hint(err, "e.g. atol %s = 1e-6 %s", name, syn_model_symbol(m, SYN_SYM_STATE, idx)->units);
    return st;
  }
  const char *target = syn_model_symbol(m, SYN_SYM_STATE, idx)->units;
  double v = value;
  if (unit != NULL && unit[0] != 0) {
    syn_status st = syn_unit_convert(name, value, unit, target, &v, err);
    if (st != SYN_OK) return st;
  }
  if (!(v > 0) || !isfinite(v)) /* a conversion out of double's range */
    return syn_error_set(err, SYN_EINVAL, "'atol' of %s is %g %s in its unit (%s): out of range",
                         name, v, target, unit);
  out->state = idx;
  out->value = v;
  return SYN_OK;
}

void syn_state_atols_apply(const syn_model *m, const syn_solver_opts *o, const syn_state_atol *ov,
                           size_t nov, double *out) {
  size_t n = syn_model_count(m, SYN_SYM_STATE);
  for (size_t i = 0; i < n; i++) out[i] = o->atol_vec ? o->atol_vec[i] : o->atol;
  if (o->atol_vec == NULL && !o->atol_given) syn_model_state_atols(m, o->atol, out);
  for (size_t k = 0; k < nov; k++)
    if (ov[k].state < n) out[ov[k].state] = ov[k].value;
}

const char *syn_state_atol_source(const syn_model *m, size_t i) {
  const syn_symbol *sym = syn_model_symbol(m, SYN_SYM_STATE, i);
  if (syn_model_state_atol_declared(m, i)) return "declared";
  return sym->atol > 0 ? "cells default" : "default";
}
