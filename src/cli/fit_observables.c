/* synovia fit — the /observable table of the fit file (fit_observables.h).
 *
 * Why the sd model is rebuilt as text from the resolved terms and not copied
 * from the fit file: the fit keeps only the resolved model (constants in the
 * observable's unit, parameters by index), and that is what the fit used. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fit_observables.h"


struct fit_obs_table {
  syn_h5fit_observables view;
  const char **name, **formula, **units, **dist;
  char **sd; /* owned */
};

/* The shortest %g text that reads back as v. */
static void shortest_number(char *buf, size_t size, double v) {
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, size, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) return;
  }
}

/* One term: a parameter's name or the constant (with unit, when given). */
static void term_text(const syn_fit *fit, syn_fit_term t, const char *unit, char *buf,
                      size_t size) {
  if (t.param != SYN_FIT_NONE) {
    snprintf(buf, size, "%s", syn_fit_param_at(fit, t.param)->name);
    return;
  }
  char num[32];
  shortest_number(num, sizeof num, t.value);
  snprintf(buf, size, "%s%s%s", num, unit[0] ? " " : "", unit);
}

static int term_present(syn_fit_term t) { return t.param != SYN_FIT_NONE || t.value != 0.0; }

/* "data", "0.5 mg/L", "sigma", "0.1 * y", "sigma + rel * y" (malloc'd). */
static char *sd_model_text(const syn_fit *fit, const syn_fit_observable *o) {
  enum { SIZE = 640 };
  char add[300], prop[300], *out = malloc(SIZE);
  /* a constant sd carries the observable's unit; a transformed value's sd has none */
  const char *unit = syn_fit_dist_transform(o->dist) == SYN_FIT_LIN && strcmp(o->units, "?") != 0 ? o->units : "";
  if (out == NULL) return NULL;
  term_text(fit, o->add, unit, add, sizeof add);
  term_text(fit, o->prop, "", prop, sizeof prop);
  if (o->from_data)
    snprintf(out, SIZE, "data");
  else if (!term_present(o->prop))
    snprintf(out, SIZE, "%s", add);
  else if (!term_present(o->add))
    snprintf(out, SIZE, "%s * y", prop);
  else
    snprintf(out, SIZE, "%s + %s * y", add, prop);
  return out;
}

static int fill_row(fit_obs_table *t, const syn_fit *fit, size_t i) {
  const syn_fit_observable *o = syn_fit_observable_at(fit, i);
  t->name[i] = o->name;
  t->formula[i] = o->formula;
  t->units[i] = o->units;
  t->dist[i] = syn_fit_dist_name(o->dist);
  return (t->sd[i] = sd_model_text(fit, o)) != NULL;
}

fit_obs_table *fit_obs_table_create(const syn_fit *fit) {
  size_t n = syn_fit_observable_count(fit), m = n ? n : 1;
  fit_obs_table *t = calloc(1, sizeof *t);
  if (t == NULL) return NULL;
  t->name = calloc(m, sizeof *t->name);
  t->formula = calloc(m, sizeof *t->formula);
  t->units = calloc(m, sizeof *t->units);
  t->dist = calloc(m, sizeof *t->dist);
  t->sd = calloc(m, sizeof *t->sd);
  int ok = t->name && t->formula && t->units && t->dist && t->sd;
  t->view.n = ok ? n : 0; /* how many sd texts destroy frees */
  for (size_t i = 0; ok && i < n; i++) ok = fill_row(t, fit, i);
  if (!ok) {
    fit_obs_table_destroy(t);
    return NULL;
  }
  t->view = (syn_h5fit_observables){n,       t->name, t->formula, t->units, t->dist,
                                     (const char *const *)t->sd};
  return t;
}

const syn_h5fit_observables *fit_obs_table_view(const fit_obs_table *t) { return &t->view; }

void fit_obs_table_destroy(fit_obs_table *t) {
  if (t == NULL) return;
  for (size_t i = 0; t->sd != NULL && i < t->view.n; i++) free(t->sd[i]);
  free(t->name);
  free(t->formula);
  free(t->units);
  free(t->dist);
  free(t->sd);
  free(t);
}
