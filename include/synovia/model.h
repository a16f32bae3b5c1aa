/* synovia — models: load, compile, query, instantiate.
 *
 * A syn_model is the immutable result of parsing a .model file (and its
 * imports), checking it, and compiling every expression to bytecode,
 * including the exact symbolic Jacobian and its sparsity pattern. It is
 * shared read-only by any number of syn_instance objects.
 *
 * A syn_instance holds one run's parameter values and the evaluation
 * workspace (allocated once, at create): evaluating the right-hand side, the
 * Jacobian or the outputs never allocates.
 *
 * Ownership: create/load functions give the caller a new object to destroy;
 * pointers returned by queries are borrowed and live as long as the model.
 * Time: all times and rates are in the model clock (`time unit`). */
#ifndef SYNOVIA_MODEL_H
#define SYNOVIA_MODEL_H

#include <stddef.h>

#include "synovia/ode.h"
#include "synovia/status.h"

/* Exported from libsynovia.so; everything else is hidden (docs/c-api.md). */
#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

typedef struct syn_model syn_model;
typedef struct syn_instance syn_instance;

typedef enum syn_symkind {
  SYN_SYM_COMPARTMENT,
  SYN_SYM_PARAM,
  SYN_SYM_STATE,
  SYN_SYM_LET,
  SYN_SYM_OUTPUT,
  SYN_SYM_KIND_COUNT
} syn_symkind;

/* Everything the model says about one declared name. Strings are never NULL
 * ("" when absent). */
typedef struct syn_symbol {
  const char *name;
  syn_symkind kind;
  const char *units;        /* derived from the expression's literals: "pg/mL", "1/h", "" */
  const char *description;
  const char *source;       /* citation or "assumed: …" */
  const char *expr;         /* the defining expression as written */
  const char *compartment;  /* states: the compartment name, "" if none */
  const char *file;         /* where it is declared */
  int line;
  double value;             /* compartments and params: default value; states:
                               default initial value (model clock units) */
  const char *joint;        /* declared in `per joint { … }`: this copy's joint; "" otherwise */
  const char *base;         /* the name without the joint: "TNF" for "knee_R.TNF" */
  double atol;              /* states: the absolute tolerance the state declares
                               (`atol 1e-3 cells`, in its unit), else SYN_CELLS_ATOL
                               for a state in cells, else 0 (none: the solver's) */
} syn_symbol;

/* The absolute tolerance of a state in cells that declares none: a thousandth
 * of a cell, far below any count that means something (a dose is 10^6–10^8
 * cells; one cell is the smallest real change), yet 10^6 times looser than
 * the solver's 1e-9, which made CVODE follow 10^7 cells to the last 10^-9. */
#define SYN_CELLS_ATOL 1e-3

/* Each state's absolute tolerance for a run: its own (syn_symbol.atol) where
 * it has one, else `fallback` (the solver's scalar atol). out holds one value
 * per state. Returns how many states have their own; 0 means every value is
 * the fallback, and a caller keeps the scalar tolerance (results as before). */
size_t syn_model_state_atols(const syn_model *m, double fallback, double *out);
/* 1 when state i declares its `atol` (then syn_symbol.atol is that one), 0
 * otherwise (the cells default, or none), or when there is no state i. */
int syn_model_state_atol_declared(const syn_model *m, size_t i);

/* Load and compile. Errors are located (file:line:col) in err. */
syn_status syn_model_load(const char *path, syn_model **out, syn_error *err);
syn_status syn_model_load_text(const char *name, const char *text, size_t len,
                               syn_model **out, syn_error *err);
void syn_model_destroy(syn_model *m); /* NULL allowed */

const char *syn_model_title(const syn_model *m);      /* "" if no `model` line */
const char *syn_model_time_unit(const syn_model *m);  /* "" if the model has no clock */
size_t syn_model_count(const syn_model *m, syn_symkind kind);
const syn_symbol *syn_model_symbol(const syn_model *m, syn_symkind kind, size_t i);

/* Look a name up; returns 1 and fills kind/index (either may be NULL) if found. */
int syn_model_find(const syn_model *m, const char *name, syn_symkind *kind, size_t *index);

/* The model's files (root first, then imports) and a SHA-256 over all of them
 * (each file's path and text, in that order), as 64 lowercase hex digits. */
size_t syn_model_file_count(const syn_model *m);
const char *syn_model_file_path(const syn_model *m, size_t i);
const char *syn_model_file_text(const syn_model *m, size_t i);
const char *syn_model_sha256(const syn_model *m);

/* Parse a value written like a literal of the language, "0.5 /d", "3 pg/mL",
 * "20 min", "42": time units in the unit are converted to the model clock
 * (a rate per day becomes a rate per hour on an hourly clock); other units
 * are accepted as annotation. Errors name the text and the bad unit. A value
 * given for a name (--set, set, vary) goes through syn_model_parse_setting or
 * syn_model_convert instead, which convert every unit to the name's own. */
syn_status syn_model_parse_value(const syn_model *m, const char *text, double *out,
                                 syn_error *err);

/* Parse a time such as "180 d", "36", "20 min" into model clock units: like
 * syn_model_parse_value, but the unit must be a unit of time (or absent). */
syn_status syn_model_parse_time(const syn_model *m, const char *text, double *out,
                                syn_error *err);

/* The declared unit (syn_symbol.units) of a name as syn_instance_set finds
 * it: a per-joint name without its joint gives its first copy's (all copies
 * share it). NULL for a name the model does not have. */
const char *syn_model_setting_units(const syn_model *m, const char *name);

/* A value given for a settable name (as syn_instance_set takes it) with the
 * unit it was written in, converted to the name's declared unit (its
 * syn_symbol.units): `--set 'V=500 mL'` on `compartment V = 2 L` gives 0.5.
 * A bare value (unit "" or NULL) is in the declared unit already and is
 * returned as it is; a unit of another dimension, or any unit on a name
 * whose unit is unknown ("?"), is refused with a message naming the name,
 * its unit and a compatible one. An unknown name is not an error here (the
 * value comes back as given): syn_instance_set reports it. */
syn_status syn_model_convert(const syn_model *m, const char *name, double value,
                             const char *unit, double *out, syn_error *err);

/* The same from text: "0.5", "500 mL", "0.5 /d" (a decimal number — no hex,
 * inf or nan — then optionally a unit). */
syn_status syn_model_parse_setting(const syn_model *m, const char *name, const char *text,
                                   double *out, syn_error *err);

/* Compiled sizes, for `synovia info` and the benchmark. */
typedef struct syn_model_stats {
  size_t rhs_instructions, jac_instructions, setup_instructions, output_instructions;
  size_t jac_nnz;
  size_t registers;
} syn_model_stats;
void syn_model_get_stats(const syn_model *m, syn_model_stats *st);

/* --- joints, routes, presets ----------------------------------------------- */

/* Joints declared with `joints A B C`, in order. Declarations inside
 * `per joint { … }` exist once per joint under qualified names ("A.TNF"). */
size_t syn_model_joint_count(const syn_model *m);
const char *syn_model_joint(const syn_model *m, size_t i);

/* A route: where doses of that name go. A route declared inside `per joint`
 * exists once per joint (joint = that joint), else joint = "". */
typedef struct syn_route {
  const char *name;         /* "IA" */
  const char *joint;        /* "knee_R", or "" for a systemic route */
  size_t state;             /* index of the target state */
  const char *description;
} syn_route;

size_t syn_model_route_count(const syn_model *m);
const syn_route *syn_model_route(const syn_model *m, size_t i);

/* The route called name for joint ("" or NULL: the systemic one). Errors
 * with did-you-mean for an unknown route, and say so when a per-joint route
 * is asked for without a joint (or a systemic one with a joint). */
syn_status syn_model_find_route(const syn_model *m, const char *name, const char *joint,
                                size_t *index, syn_error *err);

/* Presets: named sets of parameter values (`preset autologous { potency = 0.45 }`). */
size_t syn_model_preset_count(const syn_model *m);
const char *syn_model_preset_name(const syn_model *m, size_t i);

/* Preset i's assignments, in the order written: assignment k sets *name
 * ("potency", "knee_R.severity", or a per-joint name for every joint) to the
 * returned value, evaluated once at load from *expr (the value as written)
 * with the model's declared values. name/expr may be NULL; out of range: NAN. */
size_t syn_model_preset_assign_count(const syn_model *m, size_t i);
double syn_model_preset_assign(const syn_model *m, size_t i, size_t k, const char **name,
                               const char **expr);

/* --- instances ------------------------------------------------------------ */

/* Events (docs/language.md §12), in declaration order (a per-joint event once
 * per joint, named JOINT.NAME). */
size_t syn_model_event_count(const syn_model *m);
const char *syn_model_event_name(const syn_model *m, size_t i); /* NULL if out of range */

/* The executions of events in the instance's last run, in order: *t (model
 * clock) and *event (index) point to the count entries, valid until the next
 * run of the instance. At most 100000 are kept. */
size_t syn_instance_event_log(const syn_instance *inst, const double **t, const uint32_t **event);

syn_status syn_instance_create(const syn_model *m, syn_instance **out, syn_error *err);
void syn_instance_destroy(syn_instance *inst); /* NULL allowed */
const syn_model *syn_instance_model(const syn_instance *inst);

/* Override a compartment, a parameter, or a state's initial value by name
 * (model clock units). Parameters defined from others are recomputed by
 * syn_instance_prepare unless overridden themselves. Unknown names and lets /
 * outputs are refused with a did-you-mean message. A per-joint name without
 * its joint ("severity") sets every joint's copy; "knee_R.severity" one. */
syn_status syn_instance_set(syn_instance *inst, const char *name, double value, syn_error *err);

/* The same by symbol (kind COMPARTMENT, PARAM or STATE: its initial value;
 * index as syn_model_symbol), with no name lookup: what a compiled problem
 * (synovia/problem.h) does per evaluation. Same checks and messages as
 * syn_instance_set, naming the symbol; an invalid kind or index -> SYN_EINVAL.
 * No allocation. */
syn_status syn_instance_set_index(syn_instance *inst, syn_symkind kind, size_t index, double value,
                                  syn_error *err);

/* Apply a preset's assignments (as syn_instance_set each). Unknown preset ->
 * SYN_EINVAL with did-you-mean. */
syn_status syn_instance_use_preset(syn_instance *inst, const char *name, syn_error *err);

/* The scale of route i (`route IA -> MSC scale f_viable`), after prepare; 1 when
 * the route has none. A dose of amount A puts A * scale into the target. */
double syn_instance_route_scale(const syn_instance *inst, size_t route);

/* Input rate into a state (amount per clock unit), added to its d/dt: how
 * zero-order infusions enter. Only targets of some route have an input;
 * others return SYN_EINVAL. Rates start at 0; they are not reset by prepare. */
syn_status syn_instance_set_input(syn_instance *inst, size_t state, double rate,
                                  syn_error *err);
double syn_instance_input(const syn_instance *inst, size_t state);

/* Evaluate parameters (in dependency order) and initial values. Must be called
 * after the last set and before using the ODE. Fails if any value is not finite,
 * naming it. */
syn_status syn_instance_prepare(syn_instance *inst, syn_error *err);

/* Current value of a compartment or parameter (after prepare). */
double syn_instance_value(const syn_instance *inst, syn_symkind kind, size_t i);

/* Initial state vector (n states), after prepare. */
void syn_instance_initial(const syn_instance *inst, double *y0);

/* The ODE view of the instance: rhs, exact Jacobian with pattern, explain.
 * Valid while inst lives; prepare first. */
void syn_instance_ode(syn_instance *inst, syn_ode *ode);

/* Evaluate the outputs at (t, y) into out[noutputs]. No allocation.
 * Returns SYN_ENONFINITE (with the output named in err) if one is not finite;
 * the values are still written. */
syn_status syn_instance_outputs(syn_instance *inst, double t, const double *y, double *out,
                                syn_error *err);

/* Some of the outputs: a set made once (outputs[0..n), indices into the
 * model's outputs) evaluates only those and what they depend on, with the
 * same operations in the same order as syn_instance_outputs (so the same
 * values). For callers that read a few outputs very often (metrics on the
 * solver's dense output). It serves any instance of m, which must outlive
 * it. An index out of range -> SYN_EINVAL. */
typedef struct syn_output_set syn_output_set;
syn_status syn_output_set_create(const syn_model *m, const size_t *outputs, size_t n,
                                 syn_output_set **out, syn_error *err);
void syn_output_set_destroy(syn_output_set *set); /* NULL allowed */

/* As syn_instance_outputs for the outputs of set: writes those into
 * out[noutputs] (indexed as always) and leaves the others as they were;
 * SYN_ENONFINITE names the first of them that is not finite. */
syn_status syn_instance_outputs_of(syn_instance *inst, const syn_output_set *set, double t,
                                   const double *y, double *out, syn_error *err);

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
