/* synovia — the in-memory time series of one run (io layer; see synovia/result.h).
 *
 * Storage is series-major: one block of nseries * cap doubles, series s at
 * data + s * cap, so each series is contiguous over time and the HDF5 writer
 * can hand it to H5Dwrite as is. Growing reallocates the block and moves each
 * series to its new offset. Every string is copied, so callers may free or
 * reuse theirs as soon as a call returns. Dose records and metrics are kept
 * in the order they were added. Uses only the base layer. */
#include "synovia/result.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"

enum { DEFAULT_CAPACITY = 64 };

typedef struct param_entry {
  char *name;
  char *units;
  double value;
} param_entry;

/* A metric of the arm; name, units and description owned. */
typedef struct metric_entry {
  char *name;
  char *units;
  char *description;
  double value;
} metric_entry;

/* One execution of a model event. */
typedef struct event_entry {
  double time; /* clock units */
  char *name;  /* owned */
} event_entry;

/* The optional forward sensitivities: d and d ln of every series by every
 * free parameter, stored [series][param][time] so that one series' block is
 * the (param x time) dataset the HDF5 writer hands over as is; the metric
 * gradients [metric][param]. */
typedef struct sens_block {
  size_t nsens, ntimes; /* ntimes: the grid they were given on */
  char **names, **units;
  double *values;
  double *raw, *log;          /* nseries * nsens * ntimes */
  size_t ngrad;               /* metrics with gradients (0: none) */
  double *grad, *grad_log;    /* ngrad * nsens */
} sens_block;

struct syn_result {
  size_t nseries;
  syn_series_info *info; /* strings owned */
  double *atol;          /* per series: the solver's atol (0: not recorded); NULL: none yet */
  char *time_units;
  size_t ntimes, cap;
  double *times; /* cap */
  double *data;  /* nseries * cap, series-major */
  syn_attr *attrs; /* key and s owned */
  size_t nattrs, attrs_cap;
  param_entry *params;
  size_t nparams, params_cap;
  size_t *param_slots; /* params by name (open addressing): index + 1, 0 = empty */
  size_t param_slots_cap; /* a power of two, at least twice nparams */
  syn_dose_record *doses; /* route, target, joint, units owned */
  size_t ndoses, doses_cap;
  event_entry *events;    /* names owned */
  size_t nevents, events_cap;
  metric_entry *metrics;
  size_t nmetrics, metrics_cap;
  sens_block sens; /* nsens == 0: none */
};

/* NULL means "" for the optional text fields (units, descriptions). */
static const char *or_empty(const char *s) { return s ? s : ""; }

static void free_info(syn_series_info *info, size_t n) {
  if (info == NULL) return;
  for (size_t i = 0; i < n; i++) {
    syn_free((char *)info[i].name);
    syn_free((char *)info[i].units);
    syn_free((char *)info[i].long_name);
  }
  syn_free(info);
}

static void free_dose_strings(syn_dose_record *d) {
  syn_free((char *)d->route);
  syn_free((char *)d->target);
  syn_free((char *)d->joint);
  syn_free((char *)d->units);
}

static void free_metric_strings(metric_entry *m) {
  syn_free(m->name);
  syn_free(m->units);
  syn_free(m->description);
}

static void free_grad(sens_block *b) {
  syn_free(b->grad);
  syn_free(b->grad_log);
  b->grad = b->grad_log = NULL;
  b->ngrad = 0;
}

static void free_sens(sens_block *b) {
  for (size_t k = 0; b->names != NULL && k < b->nsens; k++) syn_free(b->names[k]);
  for (size_t k = 0; b->units != NULL && k < b->nsens; k++) syn_free(b->units[k]);
  syn_free(b->names);
  syn_free(b->units);
  syn_free(b->values);
  syn_free(b->raw);
  syn_free(b->log);
  free_grad(b);
  memset(b, 0, sizeof *b);
}

void syn_result_destroy(syn_result *r) {
  if (r == NULL) return;
  free_info(r->info, r->nseries);
  syn_free(r->atol);
  syn_free(r->time_units);
  syn_free(r->times);
  syn_free(r->data);
  for (size_t i = 0; i < r->nattrs; i++) {
    syn_free((char *)r->attrs[i].key);
    syn_free((char *)r->attrs[i].s);
  }
  syn_free(r->attrs);
  for (size_t i = 0; i < r->nparams; i++) {
    syn_free(r->params[i].name);
    syn_free(r->params[i].units);
  }
  syn_free(r->params);
  syn_free(r->param_slots);
  for (size_t i = 0; i < r->ndoses; i++) free_dose_strings(&r->doses[i]);
  syn_free(r->doses);
  for (size_t i = 0; i < r->nevents; i++) syn_free(r->events[i].name);
  syn_free(r->events);
  for (size_t i = 0; i < r->nmetrics; i++) free_metric_strings(&r->metrics[i]);
  syn_free(r->metrics);
  free_sens(&r->sens);
  syn_free(r);
}

/* Names are checked before anything is allocated, so a bad argument never
 * costs a cleanup. */
static int compare_names(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Duplicates found by sorting the names (n log n: a model of 10^5 states
 * spent most of `run` in a pairwise comparison). */
static syn_status check_unique_names(size_t nseries, const syn_series_info *info,
                                     syn_error *err) {
  syn_status st = SYN_OK;
  const char **names = syn_malloc((nseries ? nseries : 1) * sizeof *names);
  if (names == NULL) return syn_error_set(err, SYN_ENOMEM, "result: out of memory");
  for (size_t s = 0; s < nseries; s++) names[s] = info[s].name;
  qsort(names, nseries, sizeof *names, compare_names);
  for (size_t s = 1; s < nseries && st == SYN_OK; s++)
    if (strcmp(names[s - 1], names[s]) == 0)
      st = syn_error_set(err, SYN_EINVAL, "result: duplicate series name '%s'", names[s]);
  syn_free(names);
  return st;
}

static syn_status check_series_info(size_t nseries, const syn_series_info *info,
                                    syn_error *err) {
  if (nseries > 0 && info == NULL)
    return syn_error_set(err, SYN_EINVAL, "result: %zu series but no series descriptions",
                         nseries);
  for (size_t s = 0; s < nseries; s++) {
    if (info[s].name == NULL || info[s].name[0] == 0)
      return syn_error_set(err, SYN_EINVAL, "result: series %zu has no name", s);
    if (info[s].kind != SYN_SERIES_STATE && info[s].kind != SYN_SERIES_OUTPUT)
      return syn_error_set(err, SYN_EINVAL, "result: series '%s' has an unknown kind %d",
                           info[s].name, (int)info[s].kind);
  }
  return check_unique_names(nseries, info, err);
}

/* Copies the descriptions into r->info (r->nseries counts the copied ones, so
 * destroy frees exactly what was made). */
static int copy_series_info(syn_result *r, size_t nseries, const syn_series_info *info) {
  r->info = syn_calloc(nseries ? nseries : 1, sizeof *r->info);
  if (r->info == NULL) return -1;
  for (size_t s = 0; s < nseries; s++) {
    syn_series_info *d = &r->info[s];
    r->nseries = s + 1;
    d->kind = info[s].kind;
    d->name = syn_strdup(info[s].name);
    d->units = syn_strdup(or_empty(info[s].units));
    d->long_name = syn_strdup(or_empty(info[s].long_name));
    if (d->name == NULL || d->units == NULL || d->long_name == NULL) return -1;
  }
  r->nseries = nseries;
  return 0;
}

syn_status syn_result_create(size_t nseries, const syn_series_info *info, size_t capacity,
                             const char *time_units, syn_result **out, syn_error *err) {
  syn_result *r = NULL;
  syn_status st = SYN_OK;
  if (out == NULL) return syn_error_set(err, SYN_EINVAL, "result: no place for the result");
  *out = NULL;
  st = check_series_info(nseries, info, err);
  if (st != SYN_OK) return st;
  if (capacity == 0) capacity = DEFAULT_CAPACITY;
  if (nseries > 0 && capacity > ((size_t)-1) / sizeof(double) / nseries)
    return syn_error_set(err, SYN_ELIMIT, "result: %zu series x %zu time points is too large",
                         nseries, capacity);

  r = syn_calloc(1, sizeof *r);
  if (r == NULL) goto nomem;
  if (copy_series_info(r, nseries, info) != 0) goto nomem;
  r->time_units = syn_strdup(or_empty(time_units));
  r->times = syn_malloc(capacity * sizeof *r->times);
  r->data = syn_malloc((nseries ? nseries : 1) * capacity * sizeof *r->data);
  if (r->time_units == NULL || r->times == NULL || r->data == NULL) goto nomem;
  r->cap = capacity;
  *out = r;
  return SYN_OK;

nomem:
  syn_result_destroy(r);
  return syn_error_set(err, SYN_ENOMEM, "result: out of memory creating a result of %zu series",
                       nseries);
}

/* Doubles the time capacity; each series moves from offset s*cap to s*ncap,
 * last series first so that nothing is overwritten before it is moved. */
static int grow_times(syn_result *r) {
  if (r->cap > ((size_t)-1) / 2 / sizeof(double) / (r->nseries ? r->nseries : 1)) return -1;
  size_t ncap = r->cap * 2;
  double *t = syn_realloc(r->times, ncap * sizeof *t);
  if (t == NULL) return -1;
  r->times = t;
  double *d = syn_realloc(r->data, (r->nseries ? r->nseries : 1) * ncap * sizeof *d);
  if (d == NULL) return -1; /* times grew, data did not: cap stays, still consistent */
  for (size_t s = r->nseries; s-- > 1;)
    memmove(d + s * ncap, d + s * r->cap, r->ntimes * sizeof *d);
  r->data = d;
  r->cap = ncap;
  return 0;
}

syn_status syn_result_append(syn_result *r, double t, const double *values, syn_error *err) {
  if (r == NULL) return syn_error_set(err, SYN_EINVAL, "result: append to a NULL result");
  if (values == NULL && r->nseries > 0)
    return syn_error_set(err, SYN_EINVAL, "result: append at t=%g without values", t);
  if (r->sens.nsens > 0)
    return syn_error_set(err, SYN_EINVAL,
                         "result: append at t=%g after the sensitivities were set (their grid "
                         "is fixed: append every time point first)", t);
  if (!isfinite(t))
    return syn_error_set(err, SYN_EINVAL, "result: time point %zu is not finite (%g)",
                         r->ntimes, t);
  if (r->ntimes > 0 && !(t > r->times[r->ntimes - 1]))
    return syn_error_set(err, SYN_EINVAL,
                         "result: times must increase, but t=%.17g follows t=%.17g", t,
                         r->times[r->ntimes - 1]);
  if (r->ntimes == r->cap && grow_times(r) != 0)
    return syn_error_set(err, SYN_ENOMEM, "result: out of memory storing %zu time points",
                         r->ntimes + 1);
  r->times[r->ntimes] = t;
  for (size_t s = 0; s < r->nseries; s++) r->data[s * r->cap + r->ntimes] = values[s];
  r->ntimes++;
  return SYN_OK;
}

size_t syn_result_nseries(const syn_result *r) { return r ? r->nseries : 0; }
size_t syn_result_ntimes(const syn_result *r) { return r ? r->ntimes : 0; }
const char *syn_result_time_units(const syn_result *r) { return r ? r->time_units : ""; }

const syn_series_info *syn_result_info(const syn_result *r, size_t s) {
  return (r && s < r->nseries) ? &r->info[s] : NULL;
}

const double *syn_result_times(const syn_result *r) { return r ? r->times : NULL; }

const double *syn_result_series(const syn_result *r, size_t s) {
  return (r && s < r->nseries) ? r->data + s * r->cap : NULL;
}

syn_status syn_result_set_atol(syn_result *r, size_t s, double atol, syn_error *err) {
  if (r == NULL || s >= r->nseries || !(atol > 0))
    return syn_error_set(err, SYN_EINVAL, "syn_result_set_atol: no series %zu or atol %g not positive",
                         s, atol);
  if (r->atol == NULL && (r->atol = syn_calloc(r->nseries, sizeof *r->atol)) == NULL)
    return syn_error_set(err, SYN_ENOMEM, "out of memory");
  r->atol[s] = atol;
  return SYN_OK;
}

double syn_result_atol(const syn_result *r, size_t s) {
  return r != NULL && r->atol != NULL && s < r->nseries ? r->atol[s] : 0;
}

int syn_result_find(const syn_result *r, const char *name, size_t *s) {
  if (r == NULL || name == NULL) return 0;
  for (size_t i = 0; i < r->nseries; i++) {
    if (strcmp(r->info[i].name, name) == 0) {
      if (s) *s = i;
      return 1;
    }
  }
  return 0;
}

/* ---- attributes ------------------------------------------------------------ */

/* The slot for key: the existing one (its old string freed) or a new one at
 * the end. NULL when out of memory. */
static syn_attr *attr_slot(syn_result *r, const char *key) {
  for (size_t i = 0; i < r->nattrs; i++) {
    if (strcmp(r->attrs[i].key, key) == 0) {
      syn_free((char *)r->attrs[i].s);
      r->attrs[i].s = NULL;
      return &r->attrs[i];
    }
  }
  void *p = r->attrs;
  if (syn_grow(&p, &r->attrs_cap, r->nattrs + 1, sizeof *r->attrs) != 0) return NULL;
  r->attrs = p;
  char *k = syn_strdup(key);
  if (k == NULL) return NULL;
  syn_attr *a = &r->attrs[r->nattrs++];
  memset(a, 0, sizeof *a);
  a->key = k;
  return a;
}

/* s may be NULL for non-string types; copied before the slot is touched so a
 * failed copy leaves the old value in place. */
static syn_status set_attr(syn_result *r, const char *key, syn_attr_type type, const char *s,
                           double d, long long i, syn_error *err) {
  if (r == NULL) return syn_error_set(err, SYN_EINVAL, "result: attribute on a NULL result");
  if (key == NULL || key[0] == 0)
    return syn_error_set(err, SYN_EINVAL, "result: attribute without a name");
  if (type == SYN_ATTR_STRING && s == NULL)
    return syn_error_set(err, SYN_EINVAL, "result: attribute '%s' has a NULL value", key);
  char *copy = NULL;
  if (type == SYN_ATTR_STRING && (copy = syn_strdup(s)) == NULL) goto nomem;
  syn_attr *a = attr_slot(r, key);
  if (a == NULL) goto nomem;
  a->type = type;
  a->s = copy;
  a->d = type == SYN_ATTR_DOUBLE ? d : 0.0;
  a->i = type == SYN_ATTR_INT ? i : 0;
  return SYN_OK;
nomem:
  syn_free(copy);
  return syn_error_set(err, SYN_ENOMEM, "result: out of memory storing attribute '%s'", key);
}

syn_status syn_result_attr_string(syn_result *r, const char *key, const char *value,
                                  syn_error *err) {
  return set_attr(r, key, SYN_ATTR_STRING, value, 0.0, 0, err);
}

syn_status syn_result_attr_double(syn_result *r, const char *key, double value, syn_error *err) {
  return set_attr(r, key, SYN_ATTR_DOUBLE, NULL, value, 0, err);
}

syn_status syn_result_attr_int(syn_result *r, const char *key, long long value, syn_error *err) {
  return set_attr(r, key, SYN_ATTR_INT, NULL, 0.0, value, err);
}

size_t syn_result_attr_count(const syn_result *r) { return r ? r->nattrs : 0; }

const syn_attr *syn_result_attr(const syn_result *r, size_t i) {
  return (r && i < r->nattrs) ? &r->attrs[i] : NULL;
}

/* ---- parameters -------------------------------------------------------------- */

/* Duplicate names are found through a hash table (FNV-1a): a model of 10^5
 * joints has 10^5 parameters, and comparing each new one with all before it
 * was a third of `run`'s time at 4x10^4. */
static size_t name_hash(const char *s) {
  size_t h = (size_t)1469598103934665603u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * (size_t)1099511628211u;
  return h;
}

/* The slot of name: where it is, or the empty slot where it would go. */
static size_t *param_slot(const syn_result *r, const char *name) {
  const size_t mask = r->param_slots_cap - 1;
  for (size_t i = name_hash(name) & mask;; i = (i + 1) & mask) {
    size_t *slot = &r->param_slots[i];
    if (*slot == 0 || strcmp(r->params[*slot - 1].name, name) == 0) return slot;
  }
}

/* Keeps the table at most half full for one more name; 0, or -1 when out of
 * memory (the result unchanged). */
static int reserve_param_slot(syn_result *r) {
  if (2 * (r->nparams + 1) <= r->param_slots_cap) return 0;
  size_t cap = r->param_slots_cap ? 2 * r->param_slots_cap : 16;
  size_t *slots = syn_calloc(cap, sizeof *slots);
  if (slots == NULL) return -1;
  syn_free(r->param_slots);
  r->param_slots = slots;
  r->param_slots_cap = cap;
  for (size_t i = 0; i < r->nparams; i++) *param_slot(r, r->params[i].name) = i + 1;
  return 0;
}

syn_status syn_result_add_param(syn_result *r, const char *name, const char *units,
                                double value, syn_error *err) {
  if (r == NULL) return syn_error_set(err, SYN_EINVAL, "result: parameter on a NULL result");
  if (name == NULL || name[0] == 0)
    return syn_error_set(err, SYN_EINVAL, "result: parameter without a name");
  if (reserve_param_slot(r) != 0)
    return syn_error_set(err, SYN_ENOMEM, "result: out of memory storing parameter '%s'", name);
  size_t *slot = param_slot(r, name);
  if (*slot != 0) return syn_error_set(err, SYN_EINVAL, "result: duplicate parameter '%s'", name);
  char *n = syn_strdup(name);
  char *u = syn_strdup(or_empty(units));
  void *p = r->params;
  if (n == NULL || u == NULL ||
      syn_grow(&p, &r->params_cap, r->nparams + 1, sizeof *r->params) != 0) {
    syn_free(n);
    syn_free(u);
    return syn_error_set(err, SYN_ENOMEM, "result: out of memory storing parameter '%s'", name);
  }
  r->params = p;
  r->params[r->nparams++] = (param_entry){n, u, value};
  *slot = r->nparams;
  return SYN_OK;
}

size_t syn_result_param_count(const syn_result *r) { return r ? r->nparams : 0; }

void syn_result_param(const syn_result *r, size_t i, const char **name, const char **units,
                      double *value) {
  const param_entry *p = (r && i < r->nparams) ? &r->params[i] : NULL;
  if (name) *name = p ? p->name : NULL;
  if (units) *units = p ? p->units : NULL;
  if (value) *value = p ? p->value : 0.0;
}

/* ---- dose records ----------------------------------------------------------------- */

/* The record must describe a dose that can have happened: a finite time, a
 * finite amount, a finite non-negative duration, a route and a target. (Sign
 * and range rules of the scenario language are the scenario layer's.) */
static syn_status check_dose(const syn_dose_record *d, size_t i, syn_error *err) {
  if (d == NULL) return syn_error_set(err, SYN_EINVAL, "result: dose record %zu is NULL", i);
  if (d->route == NULL || d->route[0] == 0)
    return syn_error_set(err, SYN_EINVAL, "result: dose record %zu has no route", i);
  if (d->target == NULL || d->target[0] == 0)
    return syn_error_set(err, SYN_EINVAL, "result: dose record %zu (route '%s') has no target",
                         i, d->route);
  if (!isfinite(d->time) || !isfinite(d->amount))
    return syn_error_set(err, SYN_EINVAL,
                         "result: dose record %zu (route '%s') has a non-finite time or amount "
                         "(t=%g, amount=%g)",
                         i, d->route, d->time, d->amount);
  if (!isfinite(d->duration) || d->duration < 0.0)
    return syn_error_set(err, SYN_EINVAL,
                         "result: dose record %zu (route '%s') has duration %g (want a finite "
                         "value >= 0)",
                         i, d->route, d->duration);
  return SYN_OK;
}

syn_status syn_result_add_dose(syn_result *r, const syn_dose_record *d, syn_error *err) {
  if (r == NULL) return syn_error_set(err, SYN_EINVAL, "result: dose on a NULL result");
  syn_status st = check_dose(d, r->ndoses, err);
  if (st != SYN_OK) return st;
  syn_dose_record c = {d->time, d->amount, d->duration, syn_strdup(d->route),
                       syn_strdup(d->target), syn_strdup(or_empty(d->joint)),
                       syn_strdup(or_empty(d->units))};
  void *p = r->doses;
  if (c.route == NULL || c.target == NULL || c.joint == NULL || c.units == NULL ||
      syn_grow(&p, &r->doses_cap, r->ndoses + 1, sizeof *r->doses) != 0) {
    free_dose_strings(&c);
    return syn_error_set(err, SYN_ENOMEM, "result: out of memory storing dose %zu (route '%s')",
                         r->ndoses, d->route);
  }
  r->doses = p;
  r->doses[r->ndoses++] = c;
  return SYN_OK;
}

size_t syn_result_dose_count(const syn_result *r) { return r ? r->ndoses : 0; }

const syn_dose_record *syn_result_dose(const syn_result *r, size_t i) {
  return (r && i < r->ndoses) ? &r->doses[i] : NULL;
}

/* ---- event executions ------------------------------------------------------------- */

syn_status syn_result_add_event(syn_result *r, double time, const char *name, syn_error *err) {
  if (r == NULL) return syn_error_set(err, SYN_EINVAL, "result: event on a NULL result");
  if (name == NULL || name[0] == 0 || !isfinite(time))
    return syn_error_set(err, SYN_EINVAL, "result: event execution %zu has no name or a "
                         "non-finite time", r->nevents);
  char *copy = syn_strdup(name);
  void *p = r->events;
  if (copy == NULL || syn_grow(&p, &r->events_cap, r->nevents + 1, sizeof *r->events) != 0) {
    syn_free(copy);
    return syn_error_set(err, SYN_ENOMEM, "result: out of memory storing event '%s'", name);
  }
  r->events = p;
  r->events[r->nevents++] = (event_entry){time, copy};
  return SYN_OK;
}

size_t syn_result_event_count(const syn_result *r) { return r ? r->nevents : 0; }

double syn_result_event(const syn_result *r, size_t i, const char **name) {
  if (r == NULL || i >= r->nevents) {
    if (name) *name = NULL;
    return (double)NAN;
  }
  if (name) *name = r->events[i].name;
  return r->events[i].time;
}

/* ---- metrics ----------------------------------------------------------------------- */

syn_status syn_result_add_metric(syn_result *r, const char *name, const char *units,
                                 const char *description, double value, syn_error *err) {
  if (r == NULL) return syn_error_set(err, SYN_EINVAL, "result: metric on a NULL result");
  if (name == NULL || name[0] == 0)
    return syn_error_set(err, SYN_EINVAL, "result: metric without a name");
  if (r->sens.ngrad > 0)
    return syn_error_set(err, SYN_EINVAL,
                         "result: metric '%s' added after the metric gradients (add every "
                         "metric first)", name);
  for (size_t i = 0; i < r->nmetrics; i++)
    if (strcmp(r->metrics[i].name, name) == 0)
      return syn_error_set(err, SYN_EINVAL, "result: duplicate metric '%s'", name);
  metric_entry m = {syn_strdup(name), syn_strdup(or_empty(units)),
                    syn_strdup(or_empty(description)), value};
  void *p = r->metrics;
  if (m.name == NULL || m.units == NULL || m.description == NULL ||
      syn_grow(&p, &r->metrics_cap, r->nmetrics + 1, sizeof *r->metrics) != 0) {
    free_metric_strings(&m);
    return syn_error_set(err, SYN_ENOMEM, "result: out of memory storing metric '%s'", name);
  }
  r->metrics = p;
  r->metrics[r->nmetrics++] = m;
  return SYN_OK;
}

size_t syn_result_metric_count(const syn_result *r) { return r ? r->nmetrics : 0; }

void syn_result_metric(const syn_result *r, size_t i, const char **name, const char **units,
                       const char **description, double *value) {
  const metric_entry *m = (r && i < r->nmetrics) ? &r->metrics[i] : NULL;
  if (name) *name = m ? m->name : NULL;
  if (units) *units = m ? m->units : NULL;
  if (description) *description = m ? m->description : NULL;
  if (value) *value = m ? m->value : (double)NAN;
}

/* ---- forward sensitivities ------------------------------------------------------- */

/* Names present, non-empty and unique (n is small: the free parameters). */
static syn_status check_sens_names(size_t nsens, const char *const *names, syn_error *err) {
  if (names == NULL) return syn_error_set(err, SYN_EINVAL, "result: %zu sensitivities but no parameter names", nsens);
  for (size_t k = 0; k < nsens; k++) {
    if (names[k] == NULL || names[k][0] == 0)
      return syn_error_set(err, SYN_EINVAL, "result: sensitivity parameter %zu has no name", k);
    for (size_t j = 0; j < k; j++)
      if (strcmp(names[j], names[k]) == 0)
        return syn_error_set(err, SYN_EINVAL, "result: duplicate sensitivity parameter '%s'",
                             names[k]);
  }
  return SYN_OK;
}

/* (p / y) * dy/dp: NaN where y is 0 (the relative change is undefined). */
static double normalised(double p, double y, double dydp) {
  return y == 0.0 ? (double)NAN : p / y * dydp;
}

/* Copies sens [k][t][s] into b's [s][k][t] and the log form beside it. */
static void take_sens(sens_block *b, const syn_result *r, const double *sens) {
  const size_t nt = b->ntimes, nk = b->nsens;
  for (size_t s = 0; s < r->nseries; s++) {
    const double *y = r->data + s * r->cap;
    for (size_t k = 0; k < nk; k++) {
      double *raw = b->raw + (s * nk + k) * nt, *lg = b->log + (s * nk + k) * nt;
      for (size_t t = 0; t < nt; t++) {
        raw[t] = sens[(k * nt + t) * r->nseries + s];
        lg[t] = normalised(b->values[k], y[t], raw[t]);
      }
    }
  }
}

/* b filled from the arguments (names, units, values copied, the blocks
 * allocated); -1 when out of memory (b then holds what to free). */
static int build_sens(sens_block *b, size_t cells, size_t nsens, const char *const *names,
                      const char *const *units, const double *values) {
  b->names = syn_calloc(nsens, sizeof *b->names);
  b->units = syn_calloc(nsens, sizeof *b->units);
  b->values = syn_malloc(nsens * sizeof *b->values);
  b->raw = syn_malloc((cells ? cells : 1) * sizeof *b->raw);
  b->log = syn_malloc((cells ? cells : 1) * sizeof *b->log);
  if (b->names == NULL || b->units == NULL || b->values == NULL || b->raw == NULL ||
      b->log == NULL)
    return -1;
  b->nsens = nsens; /* free_sens walks the (calloc'ed) name arrays from here on */
  for (size_t k = 0; k < nsens; k++) {
    b->names[k] = syn_strdup(names[k]);
    b->units[k] = syn_strdup(units ? or_empty(units[k]) : "");
    b->values[k] = values[k];
    if (b->names[k] == NULL || b->units[k] == NULL) return -1;
  }
  return 0;
}

syn_status syn_result_set_sensitivities(syn_result *r, size_t nsens, const char *const *names,
                                        const char *const *units, const double *values,
                                        const double *sens, syn_error *err) {
  if (r == NULL) return syn_error_set(err, SYN_EINVAL, "result: sensitivities on a NULL result");
  if (nsens == 0) {
    free_sens(&r->sens);
    return SYN_OK;
  }
  syn_status st = check_sens_names(nsens, names, err);
  if (st != SYN_OK) return st;
  if (values == NULL || (sens == NULL && r->ntimes * r->nseries > 0))
    return syn_error_set(err, SYN_EINVAL, "result: sensitivities without %s",
                         values == NULL ? "parameter values" : "values");
  const size_t per = r->nseries * r->ntimes;
  if (r->ntimes > 0 && (r->nseries > ((size_t)-1) / r->ntimes ||
                        nsens > ((size_t)-1) / sizeof(double) / (per ? per : 1)))
    return syn_error_set(err, SYN_ELIMIT, "result: %zu sensitivities of %zu series x %zu time "
                         "points is too large", nsens, r->nseries, r->ntimes);
  sens_block b = {0};
  b.ntimes = r->ntimes;
  if (build_sens(&b, per * nsens, nsens, names, units, values) != 0) {
    free_sens(&b);
    return syn_error_set(err, SYN_ENOMEM, "result: out of memory storing %zu sensitivities",
                         nsens);
  }
  take_sens(&b, r, sens);
  free_sens(&r->sens);
  r->sens = b;
  return SYN_OK;
}

size_t syn_result_sens_count(const syn_result *r) { return r ? r->sens.nsens : 0; }

void syn_result_sens_param(const syn_result *r, size_t k, const char **name, const char **units,
                           double *value) {
  const int in = r != NULL && k < r->sens.nsens;
  if (name) *name = in ? r->sens.names[k] : NULL;
  if (units) *units = in ? r->sens.units[k] : NULL;
  if (value) *value = in ? r->sens.values[k] : 0.0;
}

static const double *sens_row(const syn_result *r, const double *block, size_t s, size_t k) {
  if (r == NULL || s >= r->nseries || k >= r->sens.nsens) return NULL;
  return block + (s * r->sens.nsens + k) * r->sens.ntimes;
}

const double *syn_result_sensitivity(const syn_result *r, size_t s, size_t k) {
  return sens_row(r, r ? r->sens.raw : NULL, s, k);
}

const double *syn_result_sensitivity_log(const syn_result *r, size_t s, size_t k) {
  return sens_row(r, r ? r->sens.log : NULL, s, k);
}

syn_status syn_result_set_metric_gradients(syn_result *r, const double *dm, syn_error *err) {
  if (r == NULL) return syn_error_set(err, SYN_EINVAL, "result: gradients on a NULL result");
  sens_block *b = &r->sens;
  if (b->nsens == 0)
    return syn_error_set(err, SYN_EINVAL, "result: metric gradients without sensitivities "
                         "(set the sensitivities first: they name the parameters)");
  if (r->nmetrics == 0)
    return syn_error_set(err, SYN_EINVAL, "result: metric gradients but no metrics");
  if (dm == NULL) return syn_error_set(err, SYN_EINVAL, "result: metric gradients without values");
  const size_t n = r->nmetrics * b->nsens;
  double *g = syn_malloc(n * sizeof *g), *gl = syn_malloc(n * sizeof *gl);
  if (g == NULL || gl == NULL) {
    syn_free(g);
    syn_free(gl);
    return syn_error_set(err, SYN_ENOMEM, "result: out of memory storing metric gradients");
  }
  for (size_t i = 0; i < r->nmetrics; i++)
    for (size_t k = 0; k < b->nsens; k++) {
      const double m = r->metrics[i].value, d = dm[i * b->nsens + k];
      g[i * b->nsens + k] = d;
      gl[i * b->nsens + k] = isnan(m) ? (double)NAN : normalised(b->values[k], m, d);
    }
  free_grad(b);
  b->grad = g;
  b->grad_log = gl;
  b->ngrad = r->nmetrics;
  return SYN_OK;
}

int syn_result_has_metric_gradients(const syn_result *r) { return r != NULL && r->sens.ngrad > 0; }

const double *syn_result_metric_gradient(const syn_result *r, size_t i) {
  return r != NULL && i < r->sens.ngrad ? r->sens.grad + i * r->sens.nsens : NULL;
}

const double *syn_result_metric_gradient_log(const syn_result *r, size_t i) {
  return r != NULL && i < r->sens.ngrad ? r->sens.grad_log + i * r->sens.nsens : NULL;
}
