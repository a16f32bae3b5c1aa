/* synovia — a fit as a PEtab v1 problem (fit layer; docs/petab.md).
 *
 * Everything is composed in memory and checked first (what PEtab v1 cannot
 * say is refused: doses, presets, per-arm parameters, estimated doses, arm
 * names that are not ids, dotted names in formulas); then the five files are
 * written as NAME.tmp and renamed when all are complete. The model goes with
 * them as SBML (syn_sbml_export, model.xml), so that any PEtab tool reads it;
 * the scenario's settings are the condition table's, not the model's. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/strbuf.h"
#include "fit_impl.h"
#include "scenario/scenario_impl.h"
#include "synovia/model.h"
#include "synovia/sbml.h"

enum { EX_YAML, EX_PAR, EX_COND, EX_OBS, EX_MEAS, EX_MODEL, EX_COUNT };
static const char *const ex_name[EX_COUNT] = {"problem.yaml", "parameters.tsv", "conditions.tsv",
                                              "observables.tsv", "measurements.tsv", "model.xml"};
static const char *const scale_name[] = {"lin", "log", "log10"};

static int is_id(const char *s) {
  if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_')) return 0;
  for (s++; *s; s++)
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return 0;
  return 1;
}

static syn_status refuse(syn_error *err, const char *what, const char *name, const char *hint) {
  syn_error_set(err, SYN_EINVAL, "PEtab v1 cannot say %s '%s'", what, name);
  syn_error_hint(err, "%s", hint);
  return SYN_EINVAL;
}

static syn_status check_scenario(const syn_fit *f, syn_error *err) {
  const syn_scenario *sc = f->scenario;
  for (size_t a = 0; a < f->narms; a++) {
    const scn_arm *arm = &sc->arms[f->arms[a]];
    if (!is_id(arm->name)) return refuse(err, "the arm name", arm->name, "PEtab condition ids are letters, digits and _: rename the arm");
    if (arm->ndoses) return refuse(err, "the doses of arm", arm->name, "PEtab v1 conditions set values; doses need events in the model");
    for (size_t s = 0; s < arm->nsettings; s++)
      if (arm->settings[s].is_preset) return refuse(err, "the preset", arm->settings[s].name, "write the preset's values as set lines");
  }
  for (size_t s = 0; s < sc->ncommon; s++)
    if (sc->common[s].is_preset) return refuse(err, "the preset", sc->common[s].name, "write the preset's values as set lines");
  return SYN_OK;
}

static int dotted(const char *s) {
  for (const char *p = s; *p; p++)
    if (*p == '.' && p > s && !(p[-1] >= '0' && p[-1] <= '9') && p[1] && !(p[1] >= '0' && p[1] <= '9')) return 1;
  return 0;
}

static void term_text(const syn_fit *f, const syn_fit_term *t, syn_strbuf *b) {
  if (t->param != SYN_FIT_NONE) syn_strbuf_append(b, f->params[t->param].name);
  else syn_strbuf_appendf(b, "%.17g", t->value);
}

static syn_status write_observables(const syn_fit *f, syn_strbuf *b, syn_error *err) {
  syn_strbuf_append(b, "observableId\tobservableFormula\tnoiseFormula\tobservableTransformation\tnoiseDistribution\n");
  for (size_t i = 0; i < f->nobs; i++) {
    const syn_fit_observable *o = &f->obs[i];
    if (dotted(o->formula)) return refuse(err, "the dotted names of observable", o->name, "PEtab formulas name model entities by ids: use a model without joints");
    syn_strbuf_appendf(b, "%s\t", o->name);
    for (const char *s = o->formula; *s; s++) syn_strbuf_appendn(b, *s == '\n' || *s == '\t' ? " " : s, 1);
    syn_strbuf_append(b, "\t");
    if (o->from_data) {
      syn_strbuf_appendf(b, "noiseParameter1_%s", o->name);
    } else {
      int add = o->add.param != SYN_FIT_NONE || o->add.value != 0;
      int prop = o->prop.param != SYN_FIT_NONE || o->prop.value != 0;
      if (add || !prop) term_text(f, &o->add, b);
      if (add && prop) syn_strbuf_append(b, " + ");
      if (prop) {
        term_text(f, &o->prop, b);
        syn_strbuf_appendf(b, " * %s", o->name);
      }
    }
    syn_strbuf_appendf(b, "\t%s\t%s\n", fit_noise_kinds[o->dist].petab_transformation,
                       fit_noise_kinds[o->dist].petab_distribution);
  }
  return SYN_OK;
}

static const char *prior_type(const syn_fit_prior *p) {
  switch (p->kind) {
  case SYN_FIT_PRIOR_NORMAL: return p->on_scale ? "parameterScaleNormal" : "normal";
  case SYN_FIT_PRIOR_LOGNORMAL: return "logNormal";
  case SYN_FIT_PRIOR_UNIFORM: return p->on_scale ? "parameterScaleUniform" : "uniform";
  default: return "";
  }
}

static double nominal_of(const syn_fit_param *p) {
  if (p->has_start) return p->start;
  return p->scale == SYN_FIT_LIN ? 0.5 * (p->lower + p->upper) : sqrt(p->lower * p->upper);
}

/* A condition-specific parameter: a model value estimated for one arm, or
 * under another name than the value's (a PEtab import's, docs/petab.md); it
 * goes to the condition table as its name in the arms it applies to. */
static int condition_specific(const syn_fit_param *p) {
  return p->kind == SYN_FIT_MODEL && (p->arm != SYN_FIT_NONE || strcmp(p->name, p->target) != 0);
}

/* 1 when an estimated parameter sets free parameter k in some arm. */
static int estimated_free(const syn_fit *f, size_t k) {
  for (size_t j = 0; j < f->nparams; j++)
    if (f->params[j].free_index == k) return 1;
  return 0;
}

static syn_status write_params(const syn_fit *f, syn_strbuf *b, syn_error *err) {
  syn_strbuf_append(b, "parameterId\tparameterScale\tlowerBound\tupperBound\tnominalValue\testimate\tobjectivePriorType\tobjectivePriorParameters\n");
  for (size_t j = 0; j < f->nparams; j++) {
    const syn_fit_param *p = &f->params[j];
    if (!is_id(p->name) || (condition_specific(p) && strncmp(p->target, "dose:", 5) == 0))
      return refuse(err, "the parameter", p->name, "PEtab v1 estimates one value per parameter id: estimate it for every arm");
    syn_strbuf_appendf(b, "%s\t%s\t%.17g\t%.17g\t%.17g\t1\t%s\t", p->name, scale_name[p->scale], p->lower, p->upper,
                       nominal_of(p), prior_type(&p->prior));
    if (p->prior.kind != SYN_FIT_PRIOR_NONE) syn_strbuf_appendf(b, "%.17g;%.17g", p->prior.a, p->prior.b);
    syn_strbuf_append(b, "\n");
  }
  for (size_t k = 0; k < f->nfree; k++) {  /* fixed values: the same in every arm */
    if (estimated_free(f, k)) continue;
    double v = f->theta_value[k];
    syn_strbuf_appendf(b, "%s\tlin\t%.17g\t%.17g\t%.17g\t0\t\t\n", f->free_names[k], v, v, v);
  }
  return SYN_OK;
}

static size_t add_name(const char **names, size_t n, size_t max, const char *name) {
  size_t k = 0;
  while (k < n && strcmp(names[k], name) != 0) k++;
  if (k == n && n < max) names[n++] = name;
  return n;
}

/* The columns of the condition table: every name an arm or the common part
 * sets, and what condition-specific parameters set. */
static size_t setting_names(const syn_fit *f, const char **names, size_t max) {
  const syn_scenario *sc = f->scenario;
  size_t n = 0;
  for (size_t j = 0; j < f->nparams; j++)
    if (condition_specific(&f->params[j])) n = add_name(names, n, max, f->params[j].target);
  for (size_t a = 0; a <= f->narms; a++) {
    const scn_setting *s = a < f->narms ? sc->arms[f->arms[a]].settings : sc->common;
    size_t ns = a < f->narms ? sc->arms[f->arms[a]].nsettings : sc->ncommon;
    for (size_t i = 0; i < ns; i++) n = add_name(names, n, max, s[i].name);
  }
  return n;
}

static int arm_setting(const syn_scenario *sc, const scn_arm *arm, const char *name, double *v) {
  int found = 0;
  for (size_t i = 0; i < sc->ncommon; i++)
    if (strcmp(sc->common[i].name, name) == 0) *v = sc->common[i].value, found = 1;
  for (size_t i = 0; i < arm->nsettings; i++)
    if (strcmp(arm->settings[i].name, name) == 0) *v = arm->settings[i].value, found = 1;
  return found;
}

/* The condition-specific parameter setting `name` in fit arm a, or NULL. */
static const syn_fit_param *param_in_arm(const syn_fit *f, const char *name, size_t a) {
  for (size_t j = 0; j < f->nparams; j++) {
    const syn_fit_param *p = &f->params[j];
    if (condition_specific(p) && strcmp(p->target, name) == 0 && (p->arm == SYN_FIT_NONE || p->arm == a)) return p;
  }
  return NULL;
}

static syn_status write_conditions(const syn_fit *f, syn_strbuf *b, syn_error *err) {
  const char *names[256];
  size_t n = setting_names(f, names, 256);
  syn_symkind kind;
  size_t idx;
  syn_strbuf_append(b, "conditionId");
  for (size_t k = 0; k < n; k++) {
    if (!is_id(names[k])) return refuse(err, "the setting of", names[k], "PEtab condition columns are model ids: use a model without joints");
    syn_strbuf_appendf(b, "\t%s", names[k]);
  }
  syn_strbuf_append(b, "\n");
  for (size_t a = 0; a < f->narms; a++) {
    const scn_arm *arm = &f->scenario->arms[f->arms[a]];
    syn_strbuf_append(b, arm->name);
    for (size_t k = 0; k < n; k++) {
      double v = 0;
      const syn_fit_param *p = param_in_arm(f, names[k], a);
      if (p != NULL) {
        syn_strbuf_appendf(b, "\t%s", p->name);
        continue;
      }
      if (!arm_setting(f->scenario, arm, names[k], &v) && syn_model_find(f->scenario->model, names[k], &kind, &idx))
        v = syn_model_symbol(f->scenario->model, kind, idx)->value;
      syn_strbuf_appendf(b, "\t%.17g", v);
    }
    syn_strbuf_append(b, "\n");
  }
  return SYN_OK;
}

static void write_measurements(const syn_fit *f, syn_strbuf *b) {
  syn_strbuf_append(b, "observableId\tpreequilibrationConditionId\tsimulationConditionId\tmeasurement\ttime\tnoiseParameters\tdatasetId\n");
  for (size_t i = 0; i < f->npoints; i++) {
    const syn_fit_point *p = &f->points[i];
    const syn_fit_observable *o = &f->obs[p->observable];
    const char *arm = f->scenario->arms[f->arms[p->arm]].name;
    syn_strbuf_appendf(b, "%s\t%s\t%s\t%.17g\t%.17g\t", o->name, f->scenario->steady ? arm : "", arm, p->value, p->time);
    if (o->from_data) syn_strbuf_appendf(b, "%.17g", p->sd);
    syn_strbuf_append(b, "\t");
    for (const char *s = p->source; s && *s; s++) syn_strbuf_appendn(b, *s == '\t' || *s == '\n' ? " " : s, 1);
    syn_strbuf_append(b, "\n");
  }
}

static void write_yaml(syn_strbuf *b) {
  syn_strbuf_appendf(b, "format_version: 1\nparameter_file: %s\nproblems:\n- condition_files: [%s]\n  measurement_files: [%s]\n"
                        "  observable_files: [%s]\n  sbml_files: [%s]\n", ex_name[EX_PAR], ex_name[EX_COND],
                     ex_name[EX_MEAS], ex_name[EX_OBS], ex_name[EX_MODEL]);
}

/* The scenario's model as SBML Level 3 Version 2, with its declared values:
 * the model as written, without the outputs the fit appended for its
 * observables (PEtab's observables are not the model's). */
static syn_status write_model(const syn_fit *f, syn_strbuf *b, syn_error *err) {
  const syn_model *m = f->scenario->model;
  char *xml = NULL;
  syn_model *plain = NULL;
  syn_sbml_options o = {.note = "the model of a PEtab problem written by synovia export --petab"};
  syn_status st = syn_model_load_text(syn_model_file_path(m, 0), syn_model_file_text(m, 0),
                                      f->model_plain_len, &plain, err);
  if (st == SYN_OK) st = syn_sbml_export(plain, &o, &xml, err);
  if (st == SYN_OK) syn_strbuf_append(b, xml);
  free(xml);
  syn_model_destroy(plain);
  return st;
}

static syn_status write_all(const char *dir, syn_strbuf *b, syn_error *err) {
  char tmp[EX_COUNT][4096], fin[EX_COUNT][4096];
  syn_status st = SYN_OK;
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) return syn_error_set(err, SYN_EIO, "cannot make the folder %s: %s", dir, strerror(errno));
  for (size_t i = 0; i < EX_COUNT && st == SYN_OK; i++) {
    snprintf(fin[i], sizeof fin[i], "%s/%s", dir, ex_name[i]);
    snprintf(tmp[i], sizeof tmp[i], "%s.tmp", fin[i]);
    FILE *o = fopen(tmp[i], "w");
    int ok = o && fputs(syn_strbuf_str(&b[i]), o) >= 0;
    if (o && fclose(o) != 0) ok = 0;
    if (!ok) st = syn_error_set(err, SYN_EIO, "cannot write %s", tmp[i]);
  }
  for (size_t i = 0; i < EX_COUNT; i++)
    if (st == SYN_OK) rename(tmp[i], fin[i]);
    else remove(tmp[i]);
  return st;
}

syn_status syn_fit_export_petab(const syn_fit *f, const char *dir, syn_error *err) {
  if (f == NULL || dir == NULL) return syn_error_set(err, SYN_EINVAL, "no fit or folder given");
  syn_strbuf b[EX_COUNT];
  for (size_t i = 0; i < EX_COUNT; i++) b[i] = (syn_strbuf)SYN_STRBUF_INIT;
  syn_status st = check_scenario(f, err);
  if (st == SYN_OK) st = write_params(f, &b[EX_PAR], err);
  if (st == SYN_OK) st = write_observables(f, &b[EX_OBS], err);
  if (st == SYN_OK) st = write_conditions(f, &b[EX_COND], err);
  if (st == SYN_OK) write_measurements(f, &b[EX_MEAS]);
  if (st == SYN_OK) st = write_model(f, &b[EX_MODEL], err);
  if (st == SYN_OK) write_yaml(&b[EX_YAML]);
  for (size_t i = 0; i < EX_COUNT && st == SYN_OK; i++)
    if (b[i].failed) st = syn_error_set(err, SYN_ENOMEM, "out of memory");
  if (st == SYN_OK) st = write_all(dir, b, err);
  for (size_t i = 0; i < EX_COUNT; i++) syn_strbuf_free(&b[i]);
  return st;
}
