/* synovia — the summary of a result file: what is in it (model, scenario or
 * sweep, arms or design, provenance) and its numbers as tables. Built as a
 * cli_doc so that `synovia summary` (text) and `synovia report` (HTML) show
 * the same thing. */
#include "summary.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "synovia/h5fit.h"
#include "table.h"

enum {
  SUMMARY_ROWS = 4096,  /* sweep rows read at a time */
  SHOWN_FAILURES = 5,   /* failed samples whose reasons are listed */
  SHORT_HASH = 12       /* hex digits of a SHA-256 shown */
};

static void fact_file(cli_doc *d, const char *key, const char *path, const char *sha) {
  if (path[0] == 0 && sha[0] == 0) return;
  if (sha[0])
    cli_doc_fact(d, key, "%s (sha256 %.*s…)", path[0] ? path : "(no file)", SHORT_HASH, sha);
  else
    cli_doc_fact(d, key, "%s", path);
}

static void provenance_facts(cli_doc *d, const char *version, const char *created,
                             const char *command, size_t nfiles, const char *const *paths) {
  if (version[0])
    cli_doc_fact(d, "written by", "synovia %s on %s", version, created[0] ? created : "?");
  else if (created[0])
    cli_doc_fact(d, "written on", "%s", created);
  if (command[0]) cli_doc_fact_verbatim(d, "command", command);
  if (nfiles) cli_doc_fact_list(d, "files", paths, nfiles, "", " (full texts kept in /provenance)");
}

/* ---- run files ------------------------------------------------------------------- */

static const char *plural(size_t n) { return n == 1 ? "" : "s"; }

static double arm_attr(const syn_h5_arm_info *a, const char *name) {
  for (size_t i = 0; i < a->nattrs; i++)
    if (strcmp(a->attr_names[i], name) == 0) return a->attr_reals[i];
  return NAN;
}

static const char *arm_attr_text(const syn_h5_arm_info *a, const char *name) {
  for (size_t i = 0; i < a->nattrs; i++)
    if (strcmp(a->attr_names[i], name) == 0) return a->attr_texts[i];
  return "";
}

static void run_arms(cli_doc *d, syn_h5_reader *r, size_t narms) {
  cli_doc_heading(d, "Arms");
  cli_doc_table_begin(d, "lrrrrl");
  cli_doc_cell(d, "arm");
  cli_doc_cell(d, "time");
  cli_doc_cell(d, "points");
  cli_doc_cell(d, "series");
  cli_doc_cell(d, "doses");
  cli_doc_cell(d, "solver");
  for (size_t k = 0; k < narms; k++) {
    const syn_h5_arm_info *a = syn_h5_reader_arm(r, k);
    cli_doc_cell(d, a->name);
    if (a->ntimes)
      cli_doc_cellf(d, "%g to %g %s", a->times[0], a->times[a->ntimes - 1], a->time_units);
    else
      cli_doc_cell(d, "none");
    cli_doc_cellf(d, "%zu", a->ntimes);
    cli_doc_cellf(d, "%zu", a->nvars);
    cli_doc_cellf(d, "%zu", a->ndoses);
    double rtol = arm_attr(a, "rtol"), steps = arm_attr(a, "cvode_nsteps");
    const char *ls = arm_attr_text(a, "linear_solver");
    if (isnan(rtol))
      cli_doc_cell(d, "");
    else
      cli_doc_cellf(d, "rtol %g, %s, %.0f steps", rtol, ls[0] ? ls : "?", steps);
  }
  cli_doc_table_end(d);
}

static void run_doses(cli_doc *d, syn_h5_reader *r, size_t narms) {
  size_t total = 0;
  for (size_t k = 0; k < narms; k++) total += syn_h5_reader_arm(r, k)->ndoses;
  if (total == 0) return;
  cli_doc_heading(d, "Doses");
  cli_doc_table_begin(d, "lrlrlrl");
  const char *head[] = {"arm", "time", "route", "amount", "units", "duration", "into"};
  for (size_t c = 0; c < 7; c++) cli_doc_cell(d, head[c]);
  for (size_t k = 0; k < narms; k++) {
    const syn_h5_arm_info *a = syn_h5_reader_arm(r, k);
    for (size_t i = 0; i < a->ndoses; i++) {
      cli_doc_cell(d, a->name);
      cli_doc_cellf(d, "%g %s", a->dose_time[i], a->time_units);
      cli_doc_cell(d, a->dose_route[i]);
      cli_doc_value(d, a->dose_amount[i]);
      cli_doc_cell(d, a->dose_units[i]);
      if (a->dose_duration[i] > 0)
        cli_doc_cellf(d, "%g %s", a->dose_duration[i], a->time_units);
      else
        cli_doc_cell(d, "bolus");
      cli_doc_cell(d, a->dose_target[i]);
    }
  }
  cli_doc_table_end(d);
}

/* Index of metric `name` in arm a, or SIZE_MAX. */
static size_t metric_index(const syn_h5_arm_info *a, const char *name) {
  for (size_t i = 0; i < a->nmetrics; i++)
    if (strcmp(a->metric_names[i], name) == 0) return i;
  return SIZE_MAX;
}

/* Columns: metric, units, one per arm (every arm: the terminal shows many
 * in groups); rows: every metric, first seen first. */
static void run_metrics(cli_doc *d, syn_h5_reader *r, size_t narms) {
  size_t ncols = narms + 2;
  cli_doc_heading(d, "Metrics");
  cli_doc_table_begin_wide(d, "ll", narms);
  cli_doc_cell(d, "metric");
  cli_doc_cell(d, "units");
  for (size_t k = 0; k + 2 < ncols; k++) cli_doc_cell(d, syn_h5_reader_arm(r, k)->name);
  for (size_t k = 0; k < narms; k++) {
    const syn_h5_arm_info *a = syn_h5_reader_arm(r, k);
    for (size_t i = 0; i < a->nmetrics; i++) {
      size_t first = k;
      for (size_t j = 0; j < k; j++)
        if (metric_index(syn_h5_reader_arm(r, j), a->metric_names[i]) != SIZE_MAX) first = j;
      if (first != k) continue; /* listed with an earlier arm */
      cli_doc_cell(d, a->metric_names[i]);
      cli_doc_cell(d, cli_units_shown(a->metric_units[i]));
      int pct = strcmp(a->metric_units[i], "%") == 0;
      for (size_t j = 0; j + 2 < ncols; j++) {
        const syn_h5_arm_info *b = syn_h5_reader_arm(r, j);
        size_t m = metric_index(b, a->metric_names[i]);
        char text[64];
        cli_format_value(m == SIZE_MAX ? (double)NAN : b->metric_values[m], pct, text,
                         sizeof text);
        cli_doc_cell(d, text);
      }
    }
  }
  cli_doc_table_end(d);
}

/* Without metrics: every series at the start and the end, with its range, for
 * each arm in turn (so a plain run shows where each state went). */
static syn_status run_series(cli_doc *d, syn_h5_reader *r, size_t narms, syn_error *err) {
  size_t most = 0;
  for (size_t k = 0; k < narms; k++)
    if (syn_h5_reader_arm(r, k)->ntimes > most) most = syn_h5_reader_arm(r, k)->ntimes;
  double *v = calloc(most + 1, sizeof *v);
  syn_status st = v ? SYN_OK : syn_error_set(err, SYN_ENOMEM, "out of memory");
  for (size_t k = 0; k < narms && st == SYN_OK; k++) {
    const syn_h5_arm_info *a = syn_h5_reader_arm(r, k);
    cli_doc_heading(d, "Series of arm \"%s\" (t = %g to %g %s)", a->name,
                    a->ntimes ? a->times[0] : 0.0, a->ntimes ? a->times[a->ntimes - 1] : 0.0,
                    a->time_units);
    cli_doc_table_begin(d, "llrrrrl");
    const char *head[] = {"name", "units", "at start", "at end", "min", "max", "description"};
    for (size_t c = 0; c < 7; c++) cli_doc_cell(d, head[c]);
    for (size_t i = 0; i < a->nvars && st == SYN_OK; i++) {
      st = syn_h5_read_var(r, k, i, v, err);
      double lo = NAN, hi = NAN; /* NaN values are skipped; all NaN: n/a */
      for (size_t t = 0; st == SYN_OK && t < a->ntimes; t++) {
        if (v[t] < lo || isnan(lo)) lo = v[t];
        if (v[t] > hi || isnan(hi)) hi = v[t];
      }
      cli_doc_cell(d, a->var_names[i]);
      cli_doc_cell(d, cli_units_shown(a->var_units[i]));
      cli_doc_value(d, a->ntimes ? v[0] : (double)NAN);
      cli_doc_value(d, a->ntimes ? v[a->ntimes - 1] : (double)NAN);
      cli_doc_value(d, lo);
      cli_doc_value(d, hi);
      cli_doc_cell(d, strcmp(a->var_long_names[i], a->var_names[i]) ? a->var_long_names[i] : "");
    }
    cli_doc_table_end(d);
  }
  free(v);
  return st;
}

/* Parameters whose values differ between arms (the arms' settings and presets). */
static void run_param_differences(cli_doc *d, syn_h5_reader *r, size_t narms) {
  const syn_h5_arm_info *a0 = syn_h5_reader_arm(r, 0);
  if (narms < 2) return;
  for (size_t k = 1; k < narms; k++) {
    const syn_h5_arm_info *a = syn_h5_reader_arm(r, k);
    if (a->nparams != a0->nparams) return;
    for (size_t j = 0; j < a->nparams; j++)
      if (strcmp(a->param_names[j], a0->param_names[j]) != 0) return;
  }
  int any = 0;
  for (size_t j = 0; j < a0->nparams; j++) {
    int differs = 0;
    for (size_t k = 1; k < narms; k++) {
      double x = syn_h5_reader_arm(r, k)->param_values[j], y = a0->param_values[j];
      differs |= !(x == y || (isnan(x) && isnan(y)));
    }
    if (!differs) continue;
    if (!any) {
      cli_doc_heading(d, "Parameters that differ between arms");
      cli_doc_table_begin_wide(d, "ll", narms);
      cli_doc_cell(d, "parameter");
      cli_doc_cell(d, "units");
      for (size_t k = 0; k < narms; k++) cli_doc_cell(d, syn_h5_reader_arm(r, k)->name);
      any = 1;
    }
    cli_doc_cell(d, a0->param_names[j]);
    cli_doc_cell(d, cli_units_shown(a0->param_units[j]));
    for (size_t k = 0; k < narms; k++) cli_doc_value(d, syn_h5_reader_arm(r, k)->param_values[j]);
  }
  if (any) cli_doc_table_end(d);
}

/* ---- sensitivities ---------------------------------------------------------------- */

/* Orders the parameters of metric m by |d ln m / d ln p|, largest first (a
 * NaN last; ties keep the file's order): an insertion sort, p is small. */
static void rank_params(const syn_h5_sens_info *s, size_t m, size_t *order) {
  const double *g = s->metric_gradient_log + m * s->nparams;
  for (size_t i = 0; i < s->nparams; i++) {
    size_t j = i;
    for (; j > 0; j--) {
      const double a = fabs(g[order[j - 1]]), b = fabs(g[i]);
      if (!(isnan(a) ? !isnan(b) : b > a)) break;
      order[j] = order[j - 1];
    }
    order[j] = i;
  }
}

/* The units of d(metric)/d(param): "pg/mL per (1/h)", the metric's own for a
 * dimensionless parameter. */
static void gradient_units(char *buf, size_t size, const char *mu, const char *pu) {
  const char *m = cli_units_shown(mu);
  if (pu[0] == 0 || strcmp(pu, "1") == 0)
    snprintf(buf, size, "%s", m);
  else
    snprintf(buf, size, "%s per (%s)", m, pu);
}

/* For each arm whose metrics have gradients: one table, the parameters of
 * each metric ranked by |d ln metric / d ln param| (a 1 % change of the
 * parameter changes the metric by about that many %). An arm with
 * sensitivities but no gradients lists its parameters. */
static syn_status run_sensitivities(cli_doc *d, syn_h5_reader *r, size_t narms, syn_error *err) {
  for (size_t k = 0; k < narms; k++) {
    const syn_h5_arm_info *a = syn_h5_reader_arm(r, k);
    const syn_h5_sens_info *s = syn_h5_reader_sens(r, k);
    if (s == NULL) continue;
    if (s->nmetrics == 0) {
      cli_doc_heading(d, "Sensitivities of arm \"%s\"", a->name);
      cli_doc_fact_list(d, "parameters", s->param_names, s->nparams, "",
                        " (no metric gradients)");
      continue;
    }
    size_t *order = calloc(s->nparams ? s->nparams : 1, sizeof *order);
    if (order == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
    cli_doc_heading(d, "Parameters ranked by their effect on the metrics of arm \"%s\"", a->name);
    cli_doc_table_begin(d, "lrlrrl");
    const char *head[] = {"metric", "rank", "parameter", "d ln m / d ln p", "d m / d p", "units"};
    for (size_t c = 0; c < 6; c++) cli_doc_cell(d, head[c]);
    for (size_t m = 0; m < s->nmetrics; m++) {
      rank_params(s, m, order);
      for (size_t i = 0; i < s->nparams; i++) {
        const size_t p = order[i];
        char units[256];
        gradient_units(units, sizeof units, a->metric_units[m], s->param_units[p]);
        cli_doc_cell(d, i == 0 ? a->metric_names[m] : "");
        cli_doc_cellf(d, "%zu", i + 1);
        cli_doc_cell(d, s->param_names[p]);
        cli_doc_value(d, s->metric_gradient_log[m * s->nparams + p]);
        cli_doc_value(d, s->metric_gradient[m * s->nparams + p]);
        cli_doc_cell(d, units);
      }
    }
    cli_doc_table_end(d);
    cli_doc_note(d, "d ln m / d ln p: the %% change of the metric per %% change of the "
                    "parameter (n/a where the metric is 0)");
    free(order);
  }
  return SYN_OK;
}

static syn_status summarise_run(const char *path, cli_doc *d, syn_error *err) {
  syn_h5_reader *r = NULL;
  syn_status st = syn_h5_open(path, &r, err);
  if (st != SYN_OK) return st;
  const syn_h5_file_info *f = syn_h5_reader_file(r);
  size_t nmetrics = 0;
  for (size_t k = 0; k < f->narms; k++) nmetrics += syn_h5_reader_arm(r, k)->nmetrics;
  cli_doc_heading(d, "%s: the result of a run, %zu arm%s", path, f->narms, plural(f->narms));
  if (f->title[0]) cli_doc_fact(d, "title", "%s", f->title);
  fact_file(d, "scenario", f->scenario_file, f->scenario_sha256);
  fact_file(d, "model", f->model_file, f->model_sha256);
  provenance_facts(d, f->synovia_version, f->created, f->command_line, f->nfiles,
                   f->file_paths);
  if (f->narms) {
    run_arms(d, r, f->narms);
    run_doses(d, r, f->narms);
    run_param_differences(d, r, f->narms);
    if (nmetrics)
      run_metrics(d, r, f->narms);
    else
      st = run_series(d, r, f->narms, err);
    if (st == SYN_OK) st = run_sensitivities(d, r, f->narms, err);
  }
  syn_h5_reader_destroy(r);
  return st;
}

/* ---- sweep files ----------------------------------------------------------------- */

static void sweep_design(cli_doc *d, const syn_h5sweep_spec *s) {
  char base[96] = "";
  if (s->design_n)
    snprintf(base, sizeof base, " (N = %zu, D = %zu%s%s)", s->design_n, s->nparams,
             s->second_order ? ", second order" : "", s->morris_levels ? ", levels " : "");
  if (s->design_n && s->morris_levels) {
    size_t n = strlen(base);
    snprintf(base + n - 1, sizeof base - n + 1, "%zu)", s->morris_levels);
  }
  cli_doc_fact(d, "design", "%s, seed %llu: %zu samples%s", s->design[0] ? s->design : "?",
               (unsigned long long)s->seed, s->nsamples, base);
  if (s->task_count)
    cli_doc_fact(d, "shard", "task %zu of %zu of a job array (merge the tasks with synovia merge)",
                 s->task_index, s->task_count);
}

static void sweep_params(cli_doc *d, const syn_h5sweep_spec *s) {
  cli_doc_heading(d, "Parameters");
  cli_doc_table_begin(d, "llrrl");
  cli_doc_cell(d, "parameter");
  cli_doc_cell(d, "units");
  cli_doc_cell(d, "lower");
  cli_doc_cell(d, "upper");
  cli_doc_cell(d, "distribution");
  for (size_t j = 0; j < s->nparams; j++) {
    cli_doc_cell(d, s->param_names[j]);
    cli_doc_cell(d, cli_units_shown(s->param_units ? s->param_units[j] : ""));
    cli_doc_value(d, s->param_lower ? s->param_lower[j] : (double)NAN);
    cli_doc_value(d, s->param_upper ? s->param_upper[j] : (double)NAN);
    cli_doc_cell(d, s->param_distribution ? s->param_distribution[j] : "");
  }
  cli_doc_table_end(d);
}

/* The whole reason of a failed sample, however long (*out: malloc). */
static syn_status read_reason(syn_h5sweep_reader *rd, size_t sample, char **out,
                              syn_error *err) {
  size_t len = 0;
  syn_status st = syn_h5sweep_read_reason(rd, sample, NULL, 0, &len, err);
  *out = st == SYN_OK ? malloc(len + 1) : NULL;
  if (st == SYN_OK && *out == NULL) st = syn_error_set(err, SYN_ENOMEM, "out of memory");
  if (st == SYN_OK) st = syn_h5sweep_read_reason(rd, sample, *out, len + 1, NULL, err);
  return st;
}

/* Counts of each status, and the first failed samples with their reasons. */
static syn_status sweep_status(cli_doc *d, syn_h5sweep_reader *rd, const syn_h5sweep_spec *s,
                               syn_error *err) {
  size_t count[5] = {0}; /* not run, ok, solver failure, nonfinite, error */
  size_t shown[SHOWN_FAILURES], nshown = 0;
  signed char *status = malloc(SUMMARY_ROWS);
  syn_status st = status ? SYN_OK : syn_error_set(err, SYN_ENOMEM, "out of memory");
  for (size_t first = 0; st == SYN_OK && first < s->nsamples; first += SUMMARY_ROWS) {
    size_t n = s->nsamples - first < SUMMARY_ROWS ? s->nsamples - first : SUMMARY_ROWS;
    st = syn_h5sweep_read_status(rd, first, n, status, err);
    for (size_t i = 0; st == SYN_OK && i < n; i++) {
      int v = status[i];
      size_t slot = v == SYN_SWEEP_OK ? 1 : v == SYN_SWEEP_SOLVER_FAILURE ? 2
                  : v == SYN_SWEEP_NONFINITE ? 3 : v == SYN_SWEEP_NOT_RUN ? 0 : 4;
      count[slot]++;
      if (slot >= 2 && nshown < SHOWN_FAILURES) shown[nshown++] = first + i;
    }
  }
  free(status);
  if (st != SYN_OK) return st;
  cli_doc_fact(d, "samples", "%zu ok, %zu failed (solver %zu, non-finite %zu, other %zu), "
               "%zu not run", count[1], count[2] + count[3] + count[4], count[2], count[3],
               count[4], count[0]);
  if (nshown == 0) return SYN_OK;
  cli_doc_heading(d, "Failed samples (the first %zu)", nshown);
  cli_doc_table_begin(d, "rl");
  cli_doc_cell(d, "sample");
  cli_doc_cell(d, "reason");
  for (size_t i = 0; i < nshown && st == SYN_OK; i++) {
    char *reason = NULL;
    st = read_reason(rd, shown[i], &reason, err);
    cli_doc_cellf(d, "%zu", shown[i]);
    cli_doc_cell(d, st == SYN_OK ? reason : "");
    free(reason);
  }
  cli_doc_table_end(d);
  return st;
}

/* One row of the metric statistics: the ok samples' values, sorted here. */
static void metric_row(cli_doc *d, const char *arm, const char *metric, const char *units,
                       double *v, size_t n) {
  cli_doc_cell(d, arm);
  cli_doc_cell(d, metric);
  cli_doc_cell(d, cli_units_shown(units));
  cli_doc_cellf(d, "%zu", n);
  if (n == 0) {
    for (int c = 0; c < 7; c++) cli_doc_cell(d, "n/a"); /* mean .. max */
    return;
  }
  gsl_sort(v, 1, n);
  cli_doc_value(d, gsl_stats_mean(v, 1, n));
  cli_doc_value(d, n > 1 ? gsl_stats_sd(v, 1, n) : (double)NAN);
  cli_doc_value(d, v[0]);
  cli_doc_value(d, gsl_stats_quantile_from_sorted_data(v, 1, n, 0.05));
  cli_doc_value(d, gsl_stats_quantile_from_sorted_data(v, 1, n, 0.5));
  cli_doc_value(d, gsl_stats_quantile_from_sorted_data(v, 1, n, 0.95));
  cli_doc_value(d, v[n - 1]);
}

/* Statistics of every metric of every arm over the ok samples (finite values). */
static syn_status sweep_metrics(cli_doc *d, syn_h5sweep_reader *rd, const syn_h5sweep_spec *s,
                                syn_error *err) {
  size_t width = s->narms * s->nmetrics;
  double *rows = malloc(SUMMARY_ROWS * (width ? width : 1) * sizeof *rows);
  signed char *status = malloc(SUMMARY_ROWS);
  double *col = malloc((s->nsamples ? s->nsamples : 1) * sizeof *col);
  syn_status st = rows && status && col ? SYN_OK : syn_error_set(err, SYN_ENOMEM, "out of memory");
  if (st == SYN_OK && width) {
    cli_doc_heading(d, "Metrics over the ok samples");
    cli_doc_table_begin(d, "lllrrrrrrrr");
    const char *head[] = {"arm", "metric", "units", "n", "mean", "sd", "min", "5%",
                          "median", "95%", "max"};
    for (size_t c = 0; c < 11; c++) cli_doc_cell(d, head[c]);
  }
  /* One column (arm, metric) at a time, so memory is one value per sample. */
  for (size_t a = 0; st == SYN_OK && a < s->narms; a++) {
    for (size_t m = 0; st == SYN_OK && m < s->nmetrics; m++) {
      size_t n = 0;
      for (size_t first = 0; st == SYN_OK && first < s->nsamples; first += SUMMARY_ROWS) {
        size_t cnt = s->nsamples - first < SUMMARY_ROWS ? s->nsamples - first : SUMMARY_ROWS;
        st = syn_h5sweep_read_rows(rd, first, cnt, NULL, status, rows, NULL, err);
        for (size_t i = 0; st == SYN_OK && i < cnt; i++) {
          double v = rows[i * width + a * s->nmetrics + m];
          if (status[i] == SYN_SWEEP_OK && isfinite(v)) col[n++] = v;
        }
      }
      if (st == SYN_OK)
        metric_row(d, s->arm_names[a], s->metric_names[m],
                   s->metric_units ? s->metric_units[m] : "", col, n);
    }
  }
  if (st == SYN_OK && width) cli_doc_table_end(d);
  free(rows);
  free(status);
  free(col);
  return st;
}

/* An index to three decimals: a value that rounds to zero is "0.000", never
 * "-0.000" (a sign the estimate's noise gave it, not a finding). */
static double shown_index(double v) { return fabs(v) < 0.0005 ? 0.0 : v; }

static void index_cell(cli_doc *d, double v, const double *conf, size_t k) {
  double c = conf ? conf[k] : (double)NAN;
  if (isnan(v)) cli_doc_cell(d, "n/a");
  else if (isnan(c)) cli_doc_cellf(d, "%.3f", shown_index(v));
  else cli_doc_cellf(d, "%.3f ± %.3f", shown_index(v), shown_index(fabs(c)));
}

/* Half-widths from which indices are called noisy (the estimates then tell
 * apart little more than "large" from "small"). */
static const double NOISY_HALF_WIDTH = 0.1;

/* "saltelli2010" -> "Saltelli 2010", as a reader would cite it. */
static const char *estimator_name(const char *id, const char *fallback) {
  if (id == NULL || id[0] == 0) return fallback;
  if (strcmp(id, "saltelli2010") == 0) return "Saltelli 2010";
  if (strcmp(id, "jansen1999") == 0) return "Jansen 1999";
  return id;
}

/* Under a table of Sobol indices of one metric: the indices outside [0, 1]
 * (where no true index lies) named with their intervals. Returns the widest
 * half-width of the table. */
static double sobol_outside_note(cli_doc *d, const syn_h5sweep_spec *s,
                                 const syn_h5sweep_indices *ix, size_t m) {
  const size_t D = s->nparams;
  double widest = 0;
  char outside[320] = "";
  size_t nout = 0, used = 0;
  for (size_t j = 0; j < D; j++) {
    size_t k = m * D + j;
    const double v[2] = {ix->S1[k], ix->ST[k]};
    const double c[2] = {ix->S1_conf ? fabs(ix->S1_conf[k]) : (double)NAN,
                         ix->ST_conf ? fabs(ix->ST_conf[k]) : (double)NAN};
    for (int q = 0; q < 2; q++) {
      if (isfinite(c[q]) && c[q] > widest) widest = c[q];
      if (!isfinite(v[q]) || (shown_index(v[q]) >= 0 && v[q] < 1.0005)) continue;
      if (nout++ < 3 && used < sizeof outside)
        used += (size_t)snprintf(outside + used, sizeof outside - used, "%s%s %s = %.3f ± %.3f",
                                 used ? ", " : "", s->param_names[j], q ? "ST" : "S1", v[q],
                                 isfinite(c[q]) ? c[q] : 0.0);
    }
  }
  if (nout > 0)
    cli_doc_note(d, "note: %s%s %s outside [0, 1], where every true index lies: the estimator's "
                    "noise (see the note after the tables)",
                 outside, nout > 3 ? ", ..." : "", nout > 1 ? "lie" : "lies");
  return widest;
}

/* After the tables of Sobol indices: what the estimator's noise means, when
 * it shows (wide intervals), from the intervals the file has. */
static void sobol_noise_note(cli_doc *d, const syn_h5sweep_indices *ix, double widest) {
  if (widest < NOISY_HALF_WIDTH) return;
  char level[32] = "";
  if (ix->confidence_level > 0) snprintf(level, sizeof level, "%g%% ", 100 * ix->confidence_level);
  cli_doc_note(d,
               "note: Sobol indices are estimates (%s for S1, %s for ST) from N = %zu base "
               "rows of the design, and noisy at this N: their %sbootstrap intervals (the ±) "
               "reach ± %.3f. A true index lies between 0 and 1, so an estimate outside is noise; "
               "an index whose interval includes 0 cannot be told from 0. The ± shrinks about as "
               "1/sqrt(N): 4 times N halves it.",
               estimator_name(ix->estimator_S1, "Saltelli 2010"),
               estimator_name(ix->estimator_ST, "Jansen 1999"), ix->n_base, level, widest);
}

syn_status summary_indices(syn_h5sweep_reader *rd, cli_doc *d, syn_error *err) {
  const syn_h5sweep_spec *s = syn_h5sweep_reader_spec(rd);
  syn_status st = SYN_OK;
  syn_h5sweep_indices last = {0};
  double widest = 0;
  for (size_t a = 0; a < s->narms && st == SYN_OK; a++) {
    syn_h5sweep_indices ix;
    st = syn_h5sweep_read_indices(rd, a, &ix, err);
    if (st != SYN_OK || ix.kind == SYN_H5SWEEP_NO_INDICES) continue;
    const size_t D = s->nparams;
    int sobol = ix.kind == SYN_H5SWEEP_SOBOL;
    for (size_t m = 0; m < s->nmetrics; m++) {
      cli_doc_heading(d, "%s indices of %s, arm \"%s\"%s", sobol ? "Sobol" : "Morris",
                      s->metric_names[m], s->arm_names[a],
                      sobol ? " (± half-width of the interval)" : "");
      cli_doc_table_begin(d, sobol ? "lrr" : "lrrr");
      cli_doc_cell(d, "parameter");
      cli_doc_cell(d, sobol ? "first order S1" : "mu*");
      cli_doc_cell(d, sobol ? "total ST" : "mu");
      if (!sobol) cli_doc_cell(d, "sigma");
      for (size_t j = 0; j < D; j++) {
        size_t k = m * D + j;
        cli_doc_cell(d, s->param_names[j]);
        if (sobol) {
          index_cell(d, ix.S1[k], ix.S1_conf, k);
          index_cell(d, ix.ST[k], ix.ST_conf, k);
        } else {
          cli_doc_value(d, ix.mu_star[k]);
          cli_doc_value(d, ix.mu[k]);
          cli_doc_value(d, ix.sigma[k]);
        }
      }
      cli_doc_table_end(d);
      if (sobol) {
        double w = sobol_outside_note(d, s, &ix, m);
        if (w > widest) widest = w;
      }
    }
    if (ix.kind == SYN_H5SWEEP_SOBOL) { /* keep its design facts for the final note */
      syn_h5sweep_indices_free(&last);
      last = ix;
    } else {
      syn_h5sweep_indices_free(&ix);
    }
  }
  if (st == SYN_OK && last.kind == SYN_H5SWEEP_SOBOL) sobol_noise_note(d, &last, widest);
  syn_h5sweep_indices_free(&last);
  return st;
}

/* The model among the provenance files: the first ".model" file. */
static const char *model_path(const syn_provenance *p) {
  for (size_t i = 0; i < p->nfiles; i++) {
    size_t n = strlen(p->file_paths[i]);
    if (n > 6 && strcmp(p->file_paths[i] + n - 6, ".model") == 0) return p->file_paths[i];
  }
  return "";
}

static syn_status summarise_sweep(const char *path, cli_doc *d, syn_error *err) {
  syn_h5sweep_reader *rd = NULL;
  syn_status st = syn_h5sweep_open(path, &rd, err);
  if (st != SYN_OK) return st;
  const syn_h5sweep_spec *s = syn_h5sweep_reader_spec(rd);
  const syn_provenance *p = s->prov;
  cli_doc_heading(d, "%s: a sweep of %zu samples, %zu parameter%s, %zu arm%s", path,
                  s->nsamples, s->nparams, plural(s->nparams), s->narms, plural(s->narms));
  if (p && p->title && p->title[0]) cli_doc_fact(d, "title", "%s", p->title);
  fact_file(d, "sweep", s->sweep_file ? s->sweep_file : "", s->sweep_sha256 ? s->sweep_sha256 : "");
  if (p)
    fact_file(d, "scenario", p->scenario_file ? p->scenario_file : "",
              p->scenario_sha256 ? p->scenario_sha256 : "");
  if (p) fact_file(d, "model", model_path(p), p->model_sha256 ? p->model_sha256 : "");
  sweep_design(d, s);
  cli_doc_fact_list(d, "arms", s->arm_names, s->narms, "\"", "");
  if (s->nseries)
    cli_doc_fact(d, "trajectories", "%zu series at %zu times per arm and sample", s->nseries,
                 s->ntimes);
  st = sweep_status(d, rd, s, err);
  if (st == SYN_OK && p)
    provenance_facts(d, syn_h5sweep_reader_version(rd), p->created ? p->created : "", p->command_line ? p->command_line : "",
                     p->nfiles, p->file_paths);
  if (st == SYN_OK) sweep_params(d, s);
  if (st == SYN_OK) st = sweep_metrics(d, rd, s, err);
  if (st == SYN_OK) st = summary_indices(rd, d, err);
  syn_h5sweep_reader_destroy(rd);
  return st;
}

/* ---- fit files ------------------------------------------------------------------- */

/* On the parameter's scale, so that a log parameter at 1e-7 of a lower bound
 * 1e-6 is not "at" it: within 1e-6 of the bounds' span there. */
static const char *at_bound(const char *scale, double v, double lo, double hi) {
  int lg = strcmp(scale, "lin") != 0;
  double x = lg ? log(v) : v, a = lg ? log(lo) : lo, b = lg ? log(hi) : hi;
  double tol = 1e-6 * fabs(b - a);
  return fabs(x - a) <= tol ? "lower" : fabs(x - b) <= tol ? "upper" : "";
}

static int compare_finals(const void *pa, const void *pb) {
  double a = *(const double *)pa, b = *(const double *)pb;
  if (isnan(a) || isnan(b)) return isnan(a) - isnan(b); /* failed starts last */
  return (a > b) - (a < b);
}

/* The sorted final objectives (the waterfall) as rows of at most ten. */
static void fit_waterfall(cli_doc *d, const syn_h5fit_file *f) {
  double *v = malloc((f->nstarts + 1) * sizeof *v);
  if (v == NULL) {
    d->failed = 1;
    return;
  }
  memcpy(v, f->objective, f->nstarts * sizeof *v);
  qsort(v, f->nstarts, sizeof *v, compare_finals);
  size_t near = 0, failed = 0;
  for (size_t k = 0; k < f->nstarts; k++) {
    if (isnan(v[k])) failed++;
    else if (v[k] - f->best_objective <= 0.01) near++;
  }
  cli_doc_fact(d, "waterfall", "%zu of %zu start%s within 0.01 of the best, %zu failed", near,
               f->nstarts, plural(f->nstarts), failed);
  cli_doc_table_begin(d, "rr");
  cli_doc_cell(d, "rank");
  cli_doc_cell(d, "final objective");
  for (size_t k = 0; k < f->nstarts; k++) {
    cli_doc_cellf(d, "%zu", k + 1);
    cli_doc_cellf(d, "%.10g", v[k]);
  }
  cli_doc_table_end(d);
  free(v);
}

/* The intervals and classes of /uncertainty (written by synovia fit). */
static void fit_uncertainty(cli_doc *d, const syn_h5fit_file *f) {
  if (!f->has_uncertainty) return;
  cli_doc_fact(d, "uncertainty", "%g %% intervals: profile likelihood at the objective rise %.6g "
               "(%zu profile points); Fisher information (Wald) at the best estimate",
               100 * f->confidence, f->threshold, f->nprofile_points);
  if (f->lowest_objective < f->best_objective - 1e-6 * fmax(1.0, fabs(f->best_objective)))
    cli_doc_note(d, "warning: a profile found objective %.12g, below the best %.12g: the starts "
                 "did not reach the optimum", f->lowest_objective, f->best_objective);
  if (f->fisher_note[0]) cli_doc_note(d, "Fisher intervals NaN: %s", f->fisher_note);
  cli_doc_table_begin(d, "lrrrrrl");
  const char *head[] = {"parameter", "value", "profile lower", "profile upper", "Fisher lower",
                        "Fisher upper", "identifiability"};
  for (size_t c = 0; c < 7; c++) cli_doc_cell(d, head[c]);
  for (size_t j = 0; j < f->nparam; j++) {
    cli_doc_cell(d, f->param_name[j]);
    cli_doc_cellf(d, "%.8g", f->estimate[j]);
    cli_doc_cellf(d, "%.8g", f->interval_lower[j]);
    cli_doc_cellf(d, "%.8g", f->interval_upper[j]);
    cli_doc_cellf(d, "%.8g", f->fisher_lower[j]);
    cli_doc_cellf(d, "%.8g", f->fisher_upper[j]);
    cli_doc_cell(d, f->identifiability[j]);
  }
  cli_doc_table_end(d);
}

static void fit_predictions(cli_doc *d, const syn_h5fit_file *f) {
  if (f->npred == 0) return;
  cli_doc_fact(d, "predictions", "interval: %s", f->pred_method);
  cli_doc_table_begin(d, "lrrrll");
  const char *head[] = {"prediction", "estimate", "lower", "upper", "units", "formula"};
  for (size_t c = 0; c < 6; c++) cli_doc_cell(d, head[c]);
  for (size_t i = 0; i < f->npred; i++) {
    cli_doc_cell(d, f->pred_name[i]);
    cli_doc_cellf(d, "%.8g", f->pred_estimate[i]);
    cli_doc_cellf(d, "%.8g", f->pred_lower[i]);
    cli_doc_cellf(d, "%.8g", f->pred_upper[i]);
    cli_doc_cell(d, f->pred_units[i]);
    cli_doc_cell(d, f->pred_formula[i]);
  }
  cli_doc_table_end(d);
}

static syn_status summarise_fit(const char *path, cli_doc *d, syn_error *err) {
  syn_h5fit_file *f = NULL;
  syn_status st = syn_h5fit_read(path, &f, err);
  if (st != SYN_OK) return st;
  double k = (double)f->nparam, n = (double)f->npoints;
  cli_doc_heading(d, "%s: a fit of %zu parameter%s to %zu data points, %zu start%s", path,
                  f->nparam, plural(f->nparam), f->npoints, f->nstarts, plural(f->nstarts));
  fact_file(d, "fit", f->fit_file, f->fit_sha256);
  fact_file(d, "scenario", f->scenario_file, f->scenario_sha256);
  cli_doc_fact(d, "written by", "synovia %s", f->version);
  cli_doc_fact(d, "optimizer", "%s", f->optimizer);
  cli_doc_fact(d, "best objective", "%.12g (start %zu)", f->best_objective, f->best_start);
  if (isfinite(f->chi2))
    cli_doc_fact(d, "chi2", "%.12g (sum of ((m - y)/sd)^2 over the %zu data points, logs for "
                 "log-normal; degrees of freedom %g)", f->chi2, f->npoints, n - k);
  cli_doc_fact(d, "AIC", "%.12g (2k + 2 nllh, k = %zu)", 2 * k + 2 * f->best_objective,
               f->nparam);
  cli_doc_fact(d, "BIC", "%.12g (k ln n + 2 nllh, n = %zu)", k * log(n) + 2 * f->best_objective,
               f->npoints);
  cli_doc_table_begin(d, "llrrrl");
  const char *head[] = {"parameter", "scale", "value", "lower", "upper", "at bound"};
  for (size_t c = 0; c < 6; c++) cli_doc_cell(d, head[c]);
  for (size_t j = 0; j < f->nparam; j++) {
    cli_doc_cell(d, f->param_name[j]);
    cli_doc_cell(d, f->param_scale[j]);
    cli_doc_cellf(d, "%.10g", f->estimate[j]);
    cli_doc_cellf(d, "%g", f->lower[j]);
    cli_doc_cellf(d, "%g", f->upper[j]);
    cli_doc_cell(d, at_bound(f->param_scale[j], f->estimate[j], f->lower[j], f->upper[j]));
  }
  cli_doc_table_end(d);
  fit_uncertainty(d, f);
  fit_predictions(d, f);
  fit_waterfall(d, f);
  syn_h5fit_file_destroy(f);
  return SYN_OK;
}

syn_status summary_build(const char *path, cli_doc *doc, syn_h5_kind *kind, syn_error *err) {
  syn_h5_kind k;
  if (syn_h5fit_probe(path)) {
    if (kind != NULL) /* report: not for fit files yet */
      return syn_error_set(err, SYN_EINVAL, "'%s' is a fit file: 'synovia summary %s' shows it",
                           path, path);
    syn_status st = summarise_fit(path, doc, err);
    if (st == SYN_OK && doc->failed) st = syn_error_set(err, SYN_ENOMEM, "out of memory");
    return st;
  }
  syn_status st = syn_h5_probe(path, &k, err);
  if (st != SYN_OK) return st;
  if (kind) *kind = k;
  st = k == SYN_H5_SWEEP ? summarise_sweep(path, doc, err) : summarise_run(path, doc, err);
  if (st == SYN_OK && doc->failed) st = syn_error_set(err, SYN_ENOMEM, "out of memory");
  return st;
}
