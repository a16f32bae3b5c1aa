/* synovia — an in-memory time series of one run (one arm).
 *
 * Series-major storage: each series (a state or an output) is a contiguous
 * array over time, as the HDF5 writer wants it. Attributes (solver settings,
 * statistics) and the parameter table travel with it. The result copies every
 * string it is given. */
#ifndef SYNOVIA_RESULT_H
#define SYNOVIA_RESULT_H

#include <stddef.h>

#include "synovia/status.h"

/* Exported from libsynovia.so; everything else is hidden (docs/c-api.md). */
#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

typedef enum syn_series_kind { SYN_SERIES_STATE, SYN_SERIES_OUTPUT } syn_series_kind;

typedef struct syn_series_info {
  const char *name;
  const char *units;      /* "" allowed */
  const char *long_name;  /* description; "" allowed (the writer falls back to name) */
  syn_series_kind kind;
} syn_series_info;

typedef enum syn_attr_type { SYN_ATTR_STRING, SYN_ATTR_DOUBLE, SYN_ATTR_INT } syn_attr_type;

typedef struct syn_attr {
  const char *key;
  syn_attr_type type;
  const char *s;
  double d;
  long long i;
} syn_attr;

typedef struct syn_result syn_result;

/* capacity: number of time points expected (grows if exceeded). */
syn_status syn_result_create(size_t nseries, const syn_series_info *info, size_t capacity,
                             const char *time_units, syn_result **out, syn_error *err);
void syn_result_destroy(syn_result *r); /* NULL allowed */

/* Append one time point: values[nseries]. */
syn_status syn_result_append(syn_result *r, double t, const double *values, syn_error *err);

size_t syn_result_nseries(const syn_result *r);
size_t syn_result_ntimes(const syn_result *r);
const char *syn_result_time_units(const syn_result *r);
const syn_series_info *syn_result_info(const syn_result *r, size_t s);
const double *syn_result_times(const syn_result *r);
const double *syn_result_series(const syn_result *r, size_t s); /* ntimes values */
/* The absolute tolerance series s (a state) was solved with, in its units:
 * set (> 0) by the runner, written as the dataset's `atol` attribute; 0 when
 * not recorded (outputs). */
syn_status syn_result_set_atol(syn_result *r, size_t s, double atol, syn_error *err);
double syn_result_atol(const syn_result *r, size_t s);
/* Index of a series by name; returns 1 and sets *s if found. */
int syn_result_find(const syn_result *r, const char *name, size_t *s);

/* Attributes (replacing an existing key). */
syn_status syn_result_attr_string(syn_result *r, const char *key, const char *value,
                                  syn_error *err);
syn_status syn_result_attr_double(syn_result *r, const char *key, double value, syn_error *err);
syn_status syn_result_attr_int(syn_result *r, const char *key, long long value, syn_error *err);
size_t syn_result_attr_count(const syn_result *r);
const syn_attr *syn_result_attr(const syn_result *r, size_t i);

/* The parameter table: values actually used (compartments and params). */
syn_status syn_result_add_param(syn_result *r, const char *name, const char *units,
                                double value, syn_error *err);
size_t syn_result_param_count(const syn_result *r);
void syn_result_param(const syn_result *r, size_t i, const char **name, const char **units,
                      double *value);

/* Dose records: what was given to this arm (written to /arms/<arm>/doses). */
typedef struct syn_dose_record {
  double time;            /* clock units */
  double amount;          /* as written in the scenario (before the route's scale) */
  double duration;        /* 0 for a bolus; infusion length in clock units */
  const char *route;      /* "IA" */
  const char *target;     /* the state that received it ("knee_R.MSC") */
  const char *joint;      /* "" for a systemic route */
  const char *units;      /* the amount's unit as written, "" if none */
} syn_dose_record;

syn_status syn_result_add_dose(syn_result *r, const syn_dose_record *d, syn_error *err);
size_t syn_result_dose_count(const syn_result *r);
const syn_dose_record *syn_result_dose(const syn_result *r, size_t i);

/* Event executions: what the model's own events did in the run (written to
 * /arms/<arm>/events), in the order executed: the time (clock units) and the
 * event's name (copied). A conditional dose of a scenario is its event
 * `cdose_K` here and a dose record too. */
syn_status syn_result_add_event(syn_result *r, double time, const char *name, syn_error *err);
size_t syn_result_event_count(const syn_result *r);
/* Execution i: its time, and its event's name in *name (owned by r); NaN if i is not one. */
double syn_result_event(const syn_result *r, size_t i, const char **name);

/* Metrics of this arm (written per arm and gathered into the file's /metrics
 * table by the HDF5 writer). NaN is allowed (e.g. a threshold never crossed). */
syn_status syn_result_add_metric(syn_result *r, const char *name, const char *units,
                                 const char *description, double value, syn_error *err);
size_t syn_result_metric_count(const syn_result *r);
void syn_result_metric(const syn_result *r, size_t i, const char **name, const char **units,
                       const char **description, double *value);

/* ---- forward sensitivities (optional) -------------------------------------------
 * The local sensitivities of every series to nsens free parameters p_k (model
 * parameters, initial values, dose amounts and times, named as `synovia run
 * --set` names them: "k_fast", "knee_R.severity", "dose:ARM:ROUTE.amount"), on
 * the result's time grid, and the gradients of its metrics. A result without
 * them is written exactly as before (docs/output-format.md, "Sensitivities").
 *
 * syn_result_set_sensitivities: call after the last time point (the grid is
 * then fixed: syn_result_append fails with SYN_EINVAL). names: nsens unique,
 * non-empty; units: NULL, or entries NULL/"" for dimensionless; values: the
 * p_k the run used. sens: [nsens][ntimes][nseries] (k, then time, then
 * series), d(series)/d(p_k), copied. The normalised (log) sensitivities
 * d ln y / d ln p = (p_k / y) * dy/dp_k are computed here: NaN where y = 0
 * (undefined), 0 where p_k = 0 and y != 0. Setting them again replaces
 * them and drops the metric gradients. nsens = 0 removes them. */
syn_status syn_result_set_sensitivities(syn_result *r, size_t nsens, const char *const *names,
                                        const char *const *units, const double *values,
                                        const double *sens, syn_error *err);
size_t syn_result_sens_count(const syn_result *r); /* 0: none */
/* Parameter k < sens_count (NULLs and 0 otherwise); units "" when dimensionless. */
void syn_result_sens_param(const syn_result *r, size_t k, const char **name, const char **units,
                           double *value);
/* d(series s)/d(p_k) and d ln(series s)/d ln(p_k) over time: [ntimes] values,
 * NULL when s or k is out of range or there are no sensitivities. */
const double *syn_result_sensitivity(const syn_result *r, size_t s, size_t k);
const double *syn_result_sensitivity_log(const syn_result *r, size_t s, size_t k);

/* The gradients of the metrics: dm [nmetrics][nsens], d(metric i)/d(p_k), for
 * every metric added so far, after syn_result_set_sensitivities (which gives
 * the p_k); copied. The normalised gradient is (p_k / m_i) * dm_i/dp_k, NaN
 * where m_i is 0 or NaN. No metric can be added afterwards (SYN_EINVAL). */
syn_status syn_result_set_metric_gradients(syn_result *r, const double *dm, syn_error *err);
int syn_result_has_metric_gradients(const syn_result *r);
/* [nsens] values for metric i, NULL when there are no gradients or i is out of range. */
const double *syn_result_metric_gradient(const syn_result *r, size_t i);
const double *syn_result_metric_gradient_log(const syn_result *r, size_t i);

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
