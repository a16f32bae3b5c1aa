/* synovia export FILE --csv DIR — a result file as tidy CSV files;
 * synovia export --sbml MODEL -o FILE.xml [--arm NAME] — a model as SBML (at the end).
 *
 * Tidy: one observation per row, one variable per column, one table per
 * file; names and units in their own tables to join on. Numbers are written
 * with the fewest of 15-17 significant digits that read back as the same double; a missing
 * value (NaN) is an empty field, which R's read.csv and pandas read as NA/NaN.
 * Text is quoted as RFC 4180 says when it holds a comma, quote or line break.
 *
 * Every file is written as NAME.csv.tmp and renamed only when all of them
 * are complete, so a failure leaves the folder as it was. Before any is
 * written, each NAME.csv (and its .tmp) must be absent or a regular file and
 * not the file exported. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "synovia/h5sweep.h"
#include "synovia/sbml.h"
#include "synovia/steady.h"
#include "synovia/synovia.h"

static const char export_help[] =
    "usage: synovia export FILE.h5 --csv DIR\n"
    "       synovia export --sbml MODEL -o FILE.xml\n"
    "       synovia export --sbml SCENARIO --arm NAME -o FILE.xml [--rtol R] [--atol A]\n"
    "       synovia export --petab FILE.fit -o DIR   (a fit as a PEtab v1 problem: docs/petab.md)\n"
    "\n"
    "--sbml writes the model as SBML Level 3 Version 2 (docs/sbml.md):\n"
    "parameters, species and rate rules, lets and outputs as assignment rules,\n"
    "joints unrolled, units where SBML has them. With a scenario (a .scenario\n"
    "file) and --arm, the arm's presets and settings give the values, its doses\n"
    "become events, and a steady baseline is solved first (with --rtol/--atol,\n"
    "as synovia run does).\n"
    "-o - writes to standard output. The document passes libSBML's consistency\n"
    "checks or nothing is written.\n"
    "\n"
    "--csv writes the result file as tidy CSV files into DIR (created if missing;\n"
    "files of the same names are replaced, nothing else is touched). Several\n"
    "files need a folder: --csv - (standard output) is refused.\n"
    "A run file gives:\n"
    "  series.csv      arm, variable, time, value      every time series, long format\n"
    "  variables.csv   variable, units, kind, description (and the time axis)\n"
    "  metrics.csv     arm, metric, value, units, description\n"
    "  parameters.csv  arm, parameter, value, units\n"
    "  doses.csv       arm, time, route, amount, units, duration, target, joint\n"
    "  events.csv      arm, time, event      the model's events executed, in order\n"
    "  provenance.csv  key, value (title, version, date, command, files, hashes)\n"
    "A sweep file gives:\n"
    "  samples.csv     sample, status, reason, then one column per parameter\n"
    "  metrics.csv     sample, arm, metric, value (ok and failed samples)\n"
    "  parameters.csv  parameter, units, lower, upper, distribution\n"
    "  indices.csv     arm, metric, parameter, index, value, half_width\n"
    "  trajectories.csv sample, arm, variable, time, value (when kept)\n"
    "  provenance.csv  key, value\n"
    "Numbers read back exactly (15-17 significant digits); a missing value is an\n"
    "empty field.\n";

/* Sweep rows are read EXPORT_ROWS at a time, fewer when a row's trajectories
 * are large (3 arms x 45 series x 181 times is 200 kB a row): a block stays
 * under EXPORT_BLOCK_BYTES. */
enum { MAX_FILES = 8, EXPORT_ROWS = 4096 };
static const size_t EXPORT_BLOCK_BYTES = (size_t)64 << 20;

typedef struct exporter {
  const char *dir;
  char *tmp[MAX_FILES], *final[MAX_FILES];
  size_t nfiles;
  FILE *out;  /* the file being written */
  int failed; /* a write failed: message printed */
} exporter;

static void csv_text(FILE *f, const char *s, int last);

/* Start DIR/name.csv.tmp with its header line: `header`, then the column
 * names more[0..nmore) quoted as text when they must be. */
static int csv_open_cols(exporter *e, const char *name, const char *header,
                         const char *const *more, size_t nmore) {
  size_t n = strlen(e->dir) + strlen(name) + 16;
  char *fin = malloc(n), *tmp = malloc(n);
  if (fin == NULL || tmp == NULL || e->nfiles == MAX_FILES) {
    free(fin);
    free(tmp);
    fprintf(stderr, "synovia: error: out of memory\n");
    return 0;
  }
  snprintf(fin, n, "%s/%s.csv", e->dir, name);
  snprintf(tmp, n, "%s/%s.csv.tmp", e->dir, name);
  e->final[e->nfiles] = fin;
  e->tmp[e->nfiles++] = tmp;
  e->out = cli_fopen_tmp(tmp);
  if (e->out == NULL) {
    fprintf(stderr, "synovia: error: cannot write '%s': %s\n", tmp, strerror(errno));
    return 0;
  }
  fprintf(e->out, "%s%s", header, nmore ? "," : "\n");
  for (size_t i = 0; i < nmore; i++) csv_text(e->out, more[i], i + 1 == nmore);
  return 1;
}

static int csv_open(exporter *e, const char *name, const char *header) {
  return csv_open_cols(e, name, header, NULL, 0);
}

static int csv_close(exporter *e) {
  int bad = ferror(e->out);
  if (fclose(e->out) != 0) bad = 1;
  e->out = NULL;
  if (bad)
    fprintf(stderr, "synovia: error: cannot write '%s': %s\n", e->tmp[e->nfiles - 1],
            strerror(errno));
  return !bad;
}

/* A text field, quoted when it must be. */
static void csv_text(FILE *f, const char *s, int last) {
  if (strpbrk(s, ",\"\r\n") != NULL || (s[0] == ' ' || (s[0] && s[strlen(s) - 1] == ' '))) {
    fputc('"', f);
    for (; *s; s++) {
      if (*s == '"') fputc('"', f);
      fputc(*s, f);
    }
    fputc('"', f);
  } else {
    fputs(s, f);
  }
  fputc(last ? '\n' : ',', f);
}

/* The shortest of %.15g, %.16g, %.17g that reads back as the same double. */
static void csv_number(FILE *f, double v, int last) {
  if (!isnan(v)) {
    char buf[40];
    for (int digits = 15; digits <= 17; digits++) {
      snprintf(buf, sizeof buf, "%.*g", digits, v);
      if (strtod(buf, NULL) == v) break;
    }
    fputs(buf, f);
  }
  fputc(last ? '\n' : ',', f);
}

static void csv_fact(FILE *f, const char *key, const char *value) {
  csv_text(f, key, 0);
  csv_text(f, value, 1);
}

/* Rename every finished file; on failure remove every temporary file. */
static int finish(exporter *e, int ok) {
  if (e->out) fclose(e->out);
  e->out = NULL;
  for (size_t i = 0; i < e->nfiles; i++) {
    if (ok && rename(e->tmp[i], e->final[i]) != 0) {
      fprintf(stderr, "synovia: error: cannot write '%s': %s\n", e->final[i], strerror(errno));
      ok = 0;
    }
  }
  for (size_t i = 0; i < e->nfiles; i++) {
    if (!ok) remove(e->tmp[i]);
    free(e->tmp[i]);
    free(e->final[i]);
  }
  return ok;
}

/* ---- run files --------------------------------------------------------------------- */

static int run_series(exporter *e, syn_h5_reader *r, size_t narms) {
  syn_error err;
  if (!csv_open(e, "series", "arm,variable,time,value")) return 0;
  for (size_t k = 0; k < narms; k++) {
    const syn_h5_arm_info *a = syn_h5_reader_arm(r, k);
    double *v = calloc(a->ntimes + 1, sizeof *v);
    if (v == NULL) {
      fprintf(stderr, "synovia: error: out of memory\n");
      return 0;
    }
    for (size_t i = 0; i < a->nvars; i++) {
      if (syn_h5_read_var(r, k, i, v, &err) != SYN_OK) {
        cli_print_error(&err);
        free(v);
        return 0;
      }
      for (size_t t = 0; t < a->ntimes; t++) {
        csv_text(e->out, a->name, 0);
        csv_text(e->out, a->var_names[i], 0);
        csv_number(e->out, a->times[t], 0);
        csv_number(e->out, v[t], 1);
      }
    }
    free(v);
  }
  return csv_close(e);
}

/* Each variable once (the first arm that has it), and the time axis. */
static int run_variables(exporter *e, syn_h5_reader *r, size_t narms) {
  if (!csv_open(e, "variables", "variable,units,kind,description")) return 0;
  if (narms) {
    const syn_h5_arm_info *a0 = syn_h5_reader_arm(r, 0);
    csv_text(e->out, "time", 0);
    csv_text(e->out, a0->time_units, 0);
    csv_text(e->out, "time", 0);
    csv_text(e->out, "time", 1);
  }
  for (size_t k = 0; k < narms; k++) {
    const syn_h5_arm_info *a = syn_h5_reader_arm(r, k);
    for (size_t i = 0; i < a->nvars; i++) {
      int seen = 0;
      for (size_t j = 0; j < k && !seen; j++) {
        const syn_h5_arm_info *b = syn_h5_reader_arm(r, j);
        for (size_t q = 0; q < b->nvars && !seen; q++)
          seen = strcmp(b->var_names[q], a->var_names[i]) == 0;
      }
      if (seen) continue;
      csv_text(e->out, a->var_names[i], 0);
      csv_text(e->out, a->var_units[i], 0);
      csv_text(e->out, a->var_is_output[i] ? "output" : "state", 0);
      csv_text(e->out, a->var_long_names[i], 1);
    }
  }
  return csv_close(e);
}

static int run_tables(exporter *e, syn_h5_reader *r, size_t narms) {
  if (!csv_open(e, "metrics", "arm,metric,value,units,description")) return 0;
  for (size_t k = 0; k < narms; k++) {
    const syn_h5_arm_info *a = syn_h5_reader_arm(r, k);
    for (size_t i = 0; i < a->nmetrics; i++) {
      csv_text(e->out, a->name, 0);
      csv_text(e->out, a->metric_names[i], 0);
      csv_number(e->out, a->metric_values[i], 0);
      csv_text(e->out, a->metric_units[i], 0);
      csv_text(e->out, a->metric_descriptions[i], 1);
    }
  }
  if (!csv_close(e) || !csv_open(e, "parameters", "arm,parameter,value,units")) return 0;
  for (size_t k = 0; k < narms; k++) {
    const syn_h5_arm_info *a = syn_h5_reader_arm(r, k);
    for (size_t i = 0; i < a->nparams; i++) {
      csv_text(e->out, a->name, 0);
      csv_text(e->out, a->param_names[i], 0);
      csv_number(e->out, a->param_values[i], 0);
      csv_text(e->out, a->param_units[i], 1);
    }
  }
  if (!csv_close(e) ||
      !csv_open(e, "doses", "arm,time,route,amount,units,duration,target,joint"))
    return 0;
  for (size_t k = 0; k < narms; k++) {
    const syn_h5_arm_info *a = syn_h5_reader_arm(r, k);
    for (size_t i = 0; i < a->ndoses; i++) {
      csv_text(e->out, a->name, 0);
      csv_number(e->out, a->dose_time[i], 0);
      csv_text(e->out, a->dose_route[i], 0);
      csv_number(e->out, a->dose_amount[i], 0);
      csv_text(e->out, a->dose_units[i], 0);
      csv_number(e->out, a->dose_duration[i], 0);
      csv_text(e->out, a->dose_target[i], 0);
      csv_text(e->out, a->dose_joint[i], 1);
    }
  }
  return csv_close(e);
}

static int run_events(exporter *e, syn_h5_reader *r, size_t narms) {
  if (!csv_open(e, "events", "arm,time,event")) return 0;
  for (size_t k = 0; k < narms; k++) {
    const syn_h5_arm_info *a = syn_h5_reader_arm(r, k);
    for (size_t i = 0; i < a->nevents; i++) {
      csv_text(e->out, a->name, 0);
      csv_number(e->out, a->event_time[i], 0);
      csv_text(e->out, a->event_name[i], 1);
    }
  }
  return csv_close(e);
}

static int run_provenance(exporter *e, const syn_h5_file_info *f, const char *time_units) {
  if (!csv_open(e, "provenance", "key,value")) return 0;
  csv_fact(e->out, "kind", "run");
  csv_fact(e->out, "title", f->title);
  csv_fact(e->out, "synovia_version", f->synovia_version);
  csv_fact(e->out, "date_created", f->created);
  csv_fact(e->out, "command_line", f->command_line);
  csv_fact(e->out, "model_file", f->model_file);
  csv_fact(e->out, "model_sha256", f->model_sha256);
  csv_fact(e->out, "scenario_file", f->scenario_file);
  csv_fact(e->out, "scenario_sha256", f->scenario_sha256);
  csv_fact(e->out, "time_units", time_units);
  return csv_close(e);
}

/* Before anything is written: each DIR/NAME.csv (and its .tmp) of names[n]
 * may be replaced, and none is the file read. */
static int outputs_usable(const exporter *e, const char *path, const char *const *names,
                          size_t n) {
  int ok = 1;
  for (size_t i = 0; ok && i < n; i++) {
    size_t size = strlen(e->dir) + strlen(names[i]) + 8;
    char *csv = malloc(size);
    if (csv == NULL) {
      fputs("synovia: error: out of memory\n", stderr);
      return 0;
    }
    snprintf(csv, size, "%s/%s.csv", e->dir, names[i]);
    ok = cli_output_usable(csv, &path, 1);
    free(csv);
  }
  return ok;
}

static int export_run(exporter *e, const char *path) {
  syn_h5_reader *r = NULL;
  syn_error err;
  if (syn_h5_open(path, &r, &err) != SYN_OK) {
    cli_print_error(&err);
    return 0;
  }
  const syn_h5_file_info *f = syn_h5_reader_file(r);
  const char *tu = f->narms ? syn_h5_reader_arm(r, 0)->time_units : "";
  static const char *const names[] = {"series", "variables", "metrics",   "parameters",
                                      "doses",  "events",    "provenance"};
  int ok = outputs_usable(e, path, names, sizeof names / sizeof *names) &&
           run_series(e, r, f->narms) && run_variables(e, r, f->narms) &&
           run_tables(e, r, f->narms) && run_events(e, r, f->narms) &&
           run_provenance(e, f, tu);
  syn_h5_reader_destroy(r);
  return ok;
}

/* ---- sweep files ------------------------------------------------------------------- */

static const char *status_name(int s) {
  switch (s) {
  case SYN_SWEEP_OK: return "ok";
  case SYN_SWEEP_SOLVER_FAILURE: return "solver_failure";
  case SYN_SWEEP_NONFINITE: return "nonfinite";
  case SYN_SWEEP_ERROR: return "error";
  default: return "not_run";
  }
}

typedef struct sweep_rows {
  double *params, *metrics, *traj;
  signed char *status;
  char *reason; /* grown to the longest reason */
  size_t reason_size;
} sweep_rows;

/* The whole reason of a sample into b->reason, however long. */
static int read_reason(syn_h5sweep_reader *rd, size_t sample, sweep_rows *b) {
  syn_error err;
  size_t len = 0;
  syn_status st = syn_h5sweep_read_reason(rd, sample, b->reason, b->reason_size, &len, &err);
  if (st == SYN_OK && len >= b->reason_size) {
    char *grown = realloc(b->reason, len + 1);
    if (grown == NULL) {
      fprintf(stderr, "synovia: error: out of memory\n");
      return 0;
    }
    b->reason = grown;
    b->reason_size = len + 1;
    st = syn_h5sweep_read_reason(rd, sample, b->reason, b->reason_size, NULL, &err);
  }
  if (st != SYN_OK) cli_print_error(&err);
  return st == SYN_OK;
}

/* Rows per block: EXPORT_ROWS, fewer for large rows, at least one. */
static size_t block_rows(size_t doubles_per_row) {
  size_t most = EXPORT_BLOCK_BYTES / (doubles_per_row * sizeof(double) + 1);
  return most < 1 ? 1 : most < EXPORT_ROWS ? most : EXPORT_ROWS;
}

/* samples.csv, metrics.csv and trajectories.csv in one pass over the rows. */
static int sweep_samples(exporter *e, syn_h5sweep_reader *rd, const syn_h5sweep_spec *s) {
  size_t P = s->nparams, M = s->narms * s->nmetrics, T = s->narms * s->nseries * s->ntimes;
  size_t rows = block_rows(P + M + T);
  sweep_rows b = {malloc(rows * P * sizeof(double)), malloc(rows * (M ? M : 1) * sizeof(double)),
                  T ? malloc(rows * T * sizeof(double)) : NULL, malloc(rows), NULL, 0};
  FILE *files[3] = {NULL, NULL, NULL};
  syn_error err;
  int ok = b.params && b.metrics && b.status && (T == 0 || b.traj);
  if (!ok) fprintf(stderr, "synovia: error: out of memory\n");
  /* the three files are open at once: each has its own exporter slot */
  const char *names[3] = {"samples", "metrics", "trajectories"};
  const char *headers[3] = {"sample,status,reason", "sample,arm,metric,value",
                            "sample,arm,variable,time,value"};
  for (int k = 0; ok && k < (T ? 3 : 2); k++) {
    ok = k == 0 ? csv_open_cols(e, names[k], headers[k], s->param_names, P)
                : csv_open(e, names[k], headers[k]);
    files[k] = e->out;
  }
  e->out = NULL;
  for (size_t first = 0; ok && first < s->nsamples; first += rows) {
    size_t n = s->nsamples - first < rows ? s->nsamples - first : rows;
    if (syn_h5sweep_read_rows(rd, first, n, b.params, b.status, b.metrics, b.traj, &err) !=
        SYN_OK) {
      cli_print_error(&err);
      ok = 0;
      break;
    }
    for (size_t i = 0; ok && i < n; i++) {
      if (!read_reason(rd, first + i, &b)) {
        ok = 0;
        break;
      }
      fprintf(files[0], "%zu,", first + i);
      csv_text(files[0], status_name(b.status[i]), 0);
      csv_text(files[0], b.reason ? b.reason : "", P == 0);
      for (size_t j = 0; j < P; j++) csv_number(files[0], b.params[i * P + j], j + 1 == P);
      for (size_t a = 0; a < s->narms; a++)
        for (size_t m = 0; m < s->nmetrics; m++) {
          fprintf(files[1], "%zu,", first + i);
          csv_text(files[1], s->arm_names[a], 0);
          csv_text(files[1], s->metric_names[m], 0);
          csv_number(files[1], b.metrics[i * M + a * s->nmetrics + m], 1);
        }
      for (size_t a = 0; T && a < s->narms; a++)
        for (size_t v = 0; v < s->nseries; v++)
          for (size_t t = 0; t < s->ntimes; t++) {
            fprintf(files[2], "%zu,", first + i);
            csv_text(files[2], s->arm_names[a], 0);
            csv_text(files[2], s->series_names[v], 0);
            csv_number(files[2], s->times[t], 0);
            csv_number(files[2], b.traj[i * T + (a * s->nseries + v) * s->ntimes + t], 1);
          }
    }
  }
  for (int k = 0; k < 3; k++) {
    if (files[k] == NULL) continue;
    e->out = files[k];
    if (!csv_close(e)) ok = 0;
  }
  free(b.params);
  free(b.metrics);
  free(b.traj);
  free(b.status);
  free(b.reason);
  return ok;
}

static int sweep_parameters(exporter *e, const syn_h5sweep_spec *s) {
  if (!csv_open(e, "parameters", "parameter,units,lower,upper,distribution")) return 0;
  for (size_t j = 0; j < s->nparams; j++) {
    csv_text(e->out, s->param_names[j], 0);
    csv_text(e->out, s->param_units ? s->param_units[j] : "", 0);
    csv_number(e->out, s->param_lower ? s->param_lower[j] : (double)NAN, 0);
    csv_number(e->out, s->param_upper ? s->param_upper[j] : (double)NAN, 0);
    csv_text(e->out, s->param_distribution ? s->param_distribution[j] : "", 1);
  }
  return csv_close(e);
}

static void index_rows(FILE *f, const syn_h5sweep_spec *s, size_t arm, const char *index,
                       const double *v, const double *conf) {
  if (v == NULL) return;
  for (size_t m = 0; m < s->nmetrics; m++)
    for (size_t j = 0; j < s->nparams; j++) {
      size_t k = m * s->nparams + j;
      csv_text(f, s->arm_names[arm], 0);
      csv_text(f, s->metric_names[m], 0);
      csv_text(f, s->param_names[j], 0);
      csv_text(f, index, 0);
      csv_number(f, v[k], 0);
      csv_number(f, conf ? conf[k] : (double)NAN, 1);
    }
}

static int sweep_indices(exporter *e, syn_h5sweep_reader *rd, const syn_h5sweep_spec *s) {
  syn_error err;
  if (!csv_open(e, "indices", "arm,metric,parameter,index,value,half_width")) return 0;
  for (size_t a = 0; a < s->narms; a++) {
    syn_h5sweep_indices ix;
    if (syn_h5sweep_read_indices(rd, a, &ix, &err) != SYN_OK) {
      cli_print_error(&err);
      return 0;
    }
    index_rows(e->out, s, a, "S1", ix.S1, ix.S1_conf);
    index_rows(e->out, s, a, "ST", ix.ST, ix.ST_conf);
    index_rows(e->out, s, a, "mu", ix.mu, NULL);
    index_rows(e->out, s, a, "mu_star", ix.mu_star, ix.mu_star_conf);
    index_rows(e->out, s, a, "sigma", ix.sigma, NULL);
    syn_h5sweep_indices_free(&ix);
  }
  return csv_close(e);
}

static int sweep_provenance(exporter *e, const syn_h5sweep_spec *s) {
  const syn_provenance *p = s->prov;
  char number[64];
  if (!csv_open(e, "provenance", "key,value")) return 0;
  csv_fact(e->out, "kind", "sweep");
  csv_fact(e->out, "title", p && p->title ? p->title : "");
  csv_fact(e->out, "date_created", p && p->created ? p->created : "");
  csv_fact(e->out, "command_line", p && p->command_line ? p->command_line : "");
  csv_fact(e->out, "sweep_file", s->sweep_file ? s->sweep_file : "");
  csv_fact(e->out, "sweep_sha256", s->sweep_sha256 ? s->sweep_sha256 : "");
  csv_fact(e->out, "config_sha256", s->config_sha256 ? s->config_sha256 : "");
  csv_fact(e->out, "scenario_file", p && p->scenario_file ? p->scenario_file : "");
  csv_fact(e->out, "model_sha256", p && p->model_sha256 ? p->model_sha256 : "");
  csv_fact(e->out, "design", s->design ? s->design : "");
  snprintf(number, sizeof number, "%llu", (unsigned long long)s->seed);
  csv_fact(e->out, "seed", number);
  snprintf(number, sizeof number, "%zu", s->nsamples);
  csv_fact(e->out, "n_samples", number);
  csv_fact(e->out, "time_units", s->nseries ? (s->time_units ? s->time_units : "1") : "");
  return csv_close(e);
}

static int export_sweep(exporter *e, const char *path) {
  syn_h5sweep_reader *rd = NULL;
  syn_error err;
  if (syn_h5sweep_open(path, &rd, &err) != SYN_OK) {
    cli_print_error(&err);
    return 0;
  }
  const syn_h5sweep_spec *s = syn_h5sweep_reader_spec(rd);
  static const char *const names[] = {"samples", "metrics", "parameters", "indices",
                                      "provenance", "trajectories"};
  size_t nnames = sizeof names / sizeof *names - (s->nseries == 0); /* trajectories when kept */
  int ok = outputs_usable(e, path, names, nnames) && sweep_samples(e, rd, s) &&
           sweep_parameters(e, s) && sweep_indices(e, rd, s) && sweep_provenance(e, s);
  syn_h5sweep_reader_destroy(rd);
  return ok;
}

/* ---- the command ------------------------------------------------------------------- */

/* DIR, created with its parents when missing. */
static int make_dir(const char *dir) {
  struct stat sb;
  if (stat(dir, &sb) == 0) {
    if (S_ISDIR(sb.st_mode)) return 1;
    fprintf(stderr, "synovia: error: cannot export into '%s': it is a file, not a folder\n", dir);
    return 0;
  }
  char *copy = malloc(strlen(dir) + 1);
  if (copy == NULL) return 0;
  strcpy(copy, dir);
  int ok = 1;
  for (char *p = copy + 1; ok; p++) {
    char c = *p;
    if (c != '/' && c != 0) continue;
    *p = 0;
    if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
      fprintf(stderr, "synovia: error: cannot create the folder '%s': %s\n", copy,
              strerror(errno));
      ok = 0;
    }
    *p = c;
    if (c == 0) break;
  }
  free(copy);
  return ok;
}

static int export_sbml(int argc, char **argv);

int cmd_export(int argc, char **argv) {
  const char *path = NULL, *dir = NULL;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--petab") == 0) return cli_export_petab(argc, argv); /* a fit, not a result */
    if (strcmp(argv[i], "--sbml") == 0 || strncmp(argv[i], "--sbml=", 7) == 0)
      return export_sbml(argc, argv);
  }
  for (int i = 0; i < argc; i++) {
    const char *v;
    int got;
    if (cli_is_help(argv[i])) {
      fputs(export_help, stdout);
      return CLI_OK;
    }
    if ((got = cli_take_value(argc, argv, &i, "--csv", "export", &v)) != 0) {
      if (got < 0) return CLI_USAGE;
      dir = v;
    } else if (argv[i][0] == '-' && argv[i][1] != 0) {
      cli_usage_error("export", "unknown option '%s'", argv[i]);
      return CLI_USAGE;
    } else if (path) {
      cli_usage_error("export", "one file at a time ('%s' and '%s')", path, argv[i]);
      return CLI_USAGE;
    } else {
      path = argv[i];
    }
  }
  if (path == NULL || dir == NULL || dir[0] == 0) {
    cli_usage_error("export", "%s (synovia export FILE.h5 --csv DIR)",
                    path == NULL ? "which file?" : "where to? give --csv DIR");
    return CLI_USAGE;
  }
  if (strcmp(dir, "-") == 0) { /* several files cannot share one stream */
    cli_usage_error("export", "--csv -: the export is several CSV files, so it needs a folder, "
                              "not standard output; give a folder name, e.g. --csv results-csv");
    return CLI_USAGE;
  }
  syn_h5_kind kind;
  syn_error err;
  if (!cli_input_usable(path, "result file")) return CLI_FAILED;
  if (syn_h5_probe(path, &kind, &err) != SYN_OK) {
    cli_print_error(&err);
    return CLI_FAILED;
  }
  exporter e = {.dir = dir};
  struct stat sb;
  int existed = stat(dir, &sb) == 0;
  int ok = make_dir(dir) && (kind == SYN_H5_SWEEP ? export_sweep(&e, path) : export_run(&e, path));
  size_t n = e.nfiles;
  ok = finish(&e, ok);
  if (!ok && !existed) rmdir(dir); /* a folder made for a failed export goes (only if empty) */
  if (!ok) return CLI_FAILED;
  printf("wrote %zu CSV files into %s/\n", n, dir);
  return CLI_OK;
}

/* ---- SBML (synovia export --sbml) -------------------------------------------------- */

typedef struct sbml_args {
  const char *model, *out, *arm, *rtol, *atol;
} sbml_args;

static int sbml_take(int argc, char **argv, int *i, sbml_args *a) {
  static const char *const names[] = {"--sbml", "-o", "--arm", "--rtol", "--atol"};
  const char **slots[] = {&a->model, &a->out, &a->arm, &a->rtol, &a->atol};
  for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
    int got = cli_take_value(argc, argv, i, names[k], "export", slots[k]);
    if (got != 0) return got;
  }
  cli_usage_error("export", "%s '%s' with --sbml (synovia export --sbml MODEL -o FILE.xml)",
                  argv[*i][0] == '-' ? "unknown option" : "unexpected argument", argv[*i]);
  return -1;
}

enum { HELP_SHOWN = -1 }; /* sbml_args_parse: --help was asked for and shown */

/* --sbml's options into a: CLI_OK, HELP_SHOWN or CLI_USAGE (after the message). */
static int sbml_args_parse(int argc, char **argv, sbml_args *a) {
  for (int i = 0; i < argc; i++)
    if (cli_is_help(argv[i])) { /* also where it would be an option's value */
      fputs(export_help, stdout);
      return HELP_SHOWN;
    }
  for (int i = 0; i < argc; i++)
    if (sbml_take(argc, argv, &i, a) < 0) return CLI_USAGE;
  if (a->model == NULL || a->model[0] == 0 || a->out == NULL || a->out[0] == 0) {
    cli_usage_error("export", "%s (synovia export --sbml MODEL -o FILE.xml)",
                    a->out ? "which model? give --sbml MODEL" : "where to? give -o FILE.xml");
    return CLI_USAGE;
  }
  return CLI_OK;
}

static int is_scenario_path(const char *path) {
  size_t n = strlen(path);
  return n > 9 && strcmp(path + n - 9, ".scenario") == 0;
}

/* What an arm adds to the export: settings (a conditional dose's switch, the
 * steady start as state values too), doses expanded, the other arms'
 * conditional doses left out, a note. */
typedef struct arm_export {
  syn_sbml_setting *settings;
  size_t nsettings;
  syn_sbml_dose *doses;
  size_t ndoses;
  const char **omit;
  size_t nomit;
  char note[1024];
} arm_export;

static void arm_export_free(arm_export *e) {
  free(e->settings);
  free(e->doses);
  free(e->omit);
}

static const char *param_name(const syn_scenario *s, size_t i) {
  return syn_model_symbol(syn_scenario_model(s), SYN_SYM_PARAM, i)->name;
}

/* A conditional dose: its amount parameter and its switch on (settings has room). */
static void arm_cond_dose(const syn_scenario *s, const syn_dose_statement *d, arm_export *e) {
  e->doses[e->ndoses++] =
      (syn_sbml_dose){d->at, d->route, d->amount, 0.0, param_name(s, d->amount_param)};
  e->settings[e->nsettings++] = (syn_sbml_setting){NULL, param_name(s, d->on_param), 1.0};
}

/* The arm's doses, each timed one at the times the scenario gives it: at + j * every. */
static int arm_doses(const syn_scenario *s, size_t arm, arm_export *e) {
  syn_dose_statement d;
  size_t n = syn_scenario_dose(s, arm, (size_t)-1, &d), total = 0;
  for (size_t k = 0; k < n; k++) {
    syn_scenario_dose(s, arm, k, &d);
    total += (size_t)d.times + (d.event != SIZE_MAX);
  }
  e->doses = calloc(total + 1, sizeof *e->doses);
  if (e->doses == NULL) return 0;
  for (size_t k = 0; k < n; k++) {
    syn_scenario_dose(s, arm, k, &d);
    if (d.event != SIZE_MAX) arm_cond_dose(s, &d, e);
    for (long j = 0; j < d.times; j++)
      e->doses[e->ndoses++] =
          (syn_sbml_dose){d.at + (double)j * d.every, d.route, d.amount, d.over, NULL};
  }
  return 1;
}

/* The events of the other arms' conditional doses, which cannot fire in this one. */
static int arm_omit(const syn_scenario *s, size_t arm, arm_export *e) {
  syn_dose_statement d;
  size_t total = 0;
  for (size_t a = 0; a < syn_scenario_arm_count(s); a++)
    total += syn_scenario_dose(s, a, (size_t)-1, &d);
  e->omit = calloc(total + 1, sizeof *e->omit);
  if (e->omit == NULL) return 0;
  for (size_t a = 0; a < syn_scenario_arm_count(s); a++)
    for (size_t k = 0; a != arm && k < syn_scenario_dose(s, a, (size_t)-1, &d); k++)
      if (syn_scenario_dose(s, a, k, &d) && d.event != SIZE_MAX)
        e->omit[e->nomit++] = syn_model_event_name(syn_scenario_model(s), d.event);
  return 1;
}

/* The solver options of a steady start, as synovia run gives the scenario's
 * problem: the scenario's, then --rtol/--atol, then the states' own
 * tolerances (into atol, one per state) where neither gave an atol. */
static int steady_opts(const syn_scenario *s, const sbml_args *a, syn_steady_opts *so,
                       double *atol) {
  syn_error err;
  syn_steady_opts_default(so);
  syn_solver_opts_default(&so->solver);
  syn_scenario_solver_opts(s, &so->solver);
  const char *given[] = {a->rtol, a->atol};
  const syn_solver_setting which[] = {SYN_SETTING_RTOL, SYN_SETTING_ATOL};
  for (int k = 0; k < 2; k++)
    if (given[k] && syn_solver_setting_apply(&so->solver, which[k], given[k], &err) != SYN_OK) {
      cli_usage_error("export", "%s", err.message);
      return 0;
    }
  syn_solver_opts *o = &so->solver;
  if (o->atol_vec == NULL && !o->atol_given &&
      syn_model_state_atols(syn_scenario_model(s), o->atol, atol) > 0)
    o->atol_vec = atol;
  return 1;
}

/* A steady baseline: the arm's settings on an instance, its steady state
 * appended to e->settings as the states' values. */
static int arm_steady(const syn_scenario *s, const sbml_args *a, arm_export *e) {
  const syn_model *m = syn_scenario_model(s);
  size_t ns = syn_model_count(m, SYN_SYM_STATE);
  syn_instance *inst = NULL;
  syn_steady_opts so;
  syn_steady_info info;
  syn_ode ode;
  syn_error err;
  double *y = calloc(2 * ns + 1, sizeof *y);
  syn_status st =
      y && steady_opts(s, a, &so, y + ns) ? syn_instance_create(m, &inst, &err) : SYN_EINVAL;
  for (size_t k = 0; st == SYN_OK && k < e->nsettings; k++)
    st = e->settings[k].preset
             ? syn_instance_use_preset(inst, e->settings[k].preset, &err)
             : syn_instance_set(inst, e->settings[k].name, e->settings[k].value, &err);
  if (st == SYN_OK) st = syn_instance_prepare(inst, &err);
  if (st == SYN_OK) {
    syn_instance_ode(inst, &ode);
    syn_instance_initial(inst, y);
    double t0, t1, every;
    syn_scenario_grid(s, &t0, &t1, &every);
    st = syn_steady_state(&ode, t0, y, &so, &info, &err);
  }
  for (size_t i = 0; st == SYN_OK && i < ns; i++)
    e->settings[e->nsettings++] =
        (syn_sbml_setting){NULL, syn_model_symbol(m, SYN_SYM_STATE, i)->name, y[i]};
  if (st != SYN_OK && y != NULL && st != SYN_EINVAL) cli_print_error(&err);
  syn_instance_destroy(inst);
  free(y);
  return st == SYN_OK;
}

static int arm_collect(const syn_scenario *s, size_t arm, const sbml_args *a, arm_export *e) {
  const syn_model *m = syn_scenario_model(s);
  const char *preset, *name;
  double value;
  size_t n = syn_scenario_setting(s, arm, (size_t)-1, &preset, &name, &value);
  int steady = strcmp(syn_scenario_baseline(s), "steady") == 0;
  syn_dose_statement d;
  size_t room = n + syn_scenario_dose(s, arm, (size_t)-1, &d) + syn_model_count(m, SYN_SYM_STATE);
  e->settings = calloc(room + 1, sizeof *e->settings);
  if (e->settings == NULL || !arm_doses(s, arm, e) || !arm_omit(s, arm, e)) {
    fputs("synovia: error: out of memory\n", stderr);
    return 0;
  }
  for (size_t k = 0; k < n; k++) {
    syn_scenario_setting(s, arm, k, &preset, &name, &value);
    e->settings[e->nsettings++] = (syn_sbml_setting){preset, name, value};
  }
  snprintf(e->note, sizeof e->note, "Arm '%s' of the scenario %s (baseline %s).",
           syn_scenario_arm_name(s, arm), syn_scenario_path(s), syn_scenario_baseline(s));
  return !steady || arm_steady(s, a, e);
}

/* The document, to FILE.tmp and renamed, or to standard output. */
static int write_document(const char *out, const char *xml) {
  if (strcmp(out, "-") == 0) return fputs(xml, stdout) >= 0 && fflush(stdout) == 0;
  size_t n = strlen(out) + 5;
  char *tmp = malloc(n);
  FILE *f = tmp ? (snprintf(tmp, n, "%s.tmp", out), cli_fopen_tmp(tmp)) : NULL;
  int ok = f != NULL && fputs(xml, f) >= 0;
  if (f != NULL && fclose(f) != 0) ok = 0;
  if (ok && rename(tmp, out) != 0) ok = 0;
  if (!ok) {
    fprintf(stderr, "synovia: error: cannot write '%s': %s\n", out, strerror(errno));
    if (tmp) remove(tmp);
  }
  free(tmp);
  return ok;
}

/* The model, or the arm's scenario; its export into *xml. */
static int sbml_document(const sbml_args *a, char **xml) {
  syn_error err;
  syn_model *m = NULL;
  syn_scenario *s = NULL;
  arm_export e = {0};
  size_t arm = 0;
  int scenario = is_scenario_path(a->model);
  syn_status st = scenario ? syn_scenario_load(a->model, &s, &err)
                           : syn_model_load(a->model, &m, &err);
  if (st == SYN_OK && scenario) st = syn_scenario_find_arm(s, a->arm, &arm, &err);
  int ok = st == SYN_OK;
  if (!ok) cli_print_error(&err);
  if (ok && scenario) ok = arm_collect(s, arm, a, &e);
  syn_sbml_options o = {e.settings, e.nsettings, e.doses, e.ndoses, e.note, e.omit, e.nomit};
  if (ok && syn_sbml_export(scenario ? syn_scenario_model(s) : m, scenario ? &o : NULL, xml,
                            &err) != SYN_OK) {
    fprintf(stderr, "synovia: error: %s: cannot export as SBML: ", a->model);
    cli_print_error(&err);
    ok = 0;
  }
  arm_export_free(&e);
  syn_scenario_destroy(s);
  syn_model_destroy(m);
  return ok;
}

static int export_sbml(int argc, char **argv) {
  sbml_args a = {0};
  int rc = sbml_args_parse(argc, argv, &a);
  if (rc != CLI_OK) return rc == HELP_SHOWN ? CLI_OK : rc;
  int scenario = is_scenario_path(a.model);
  if (scenario != (a.arm != NULL)) {
    cli_usage_error("export", scenario ? "'%s' is a scenario: say which arm to export with "
                                         "--arm NAME"
                                       : "--arm needs a scenario, and '%s' is a model",
                    a.model);
    return CLI_USAGE;
  }
  if (!cli_input_usable(a.model, scenario ? "scenario" : "model") ||
      (strcmp(a.out, "-") != 0 && !cli_output_usable(a.out, &a.model, 1)))
    return CLI_FAILED;
  char *xml = NULL;
  int ok = sbml_document(&a, &xml) && write_document(a.out, xml);
  free(xml);
  if (ok && strcmp(a.out, "-") != 0) fprintf(stderr, "wrote %s\n", a.out);
  return ok ? CLI_OK : CLI_FAILED;
}
