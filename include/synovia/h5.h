/* synovia — HDF5 output (NetCDF-4 compatible).
 *
 * Layout (docs/output-format.md):
 *   /                     global attributes: Conventions, title, source, synovia_version,
 *                         date_created, command_line, model_sha256, model_file
 *   /provenance/file      vlen UTF-8 strings: the input file paths (dimension scale "file"),
 *                         the scenario first when there is one, then the model and imports
 *   /provenance/text      vlen UTF-8 strings: their full texts (dimension "file")
 *   /arms/<arm>/          one group per arm (a single run is arm "run"), attributes =
 *                         solver settings and statistics (the result's attributes)
 *      time               dimension scale, units = clock symbol ("h")
 *      <state>, <output>  float64 (time), units, long_name, kind = "state"|"output"
 *      param              dimension scale of parameter names
 *      param_value        float64 (param), units in param_units
 *      doses/             when the result has dose records: dimension `dose`,
 *                         time, amount, duration (float64), route, target, joint,
 *                         units (vlen strings)
 *      metric, metric_value  when the result has metrics: names (dimension scale),
 *                         values, with metric_units and metric_description
 *      sensitivities/     when the result has sensitivities (synovia/result.h):
 *                         `param` dimension scale (the free parameters), param_value,
 *                         param_units; per series <name>(param, time) = d(series)/d(param),
 *                         units "pg/mL per (1/h)"; metric_gradient(metric, param) and
 *                         metric_gradient_log when the metrics have gradients
 *         log/            per series <name>(param, time) = d ln(series) / d ln(param)
 *   /metrics              all arms' metrics at commit, when any arm has metrics:
 *                         `arm` and `metric` dimension scales, value(arm, metric)
 *                         (NaN where an arm lacks a metric), units(metric) and
 *                         description(metric) (vlen strings)
 *
 * The file is written as <path>.tmp and renamed to <path> by syn_h5_commit, so
 * a failure never leaves a partial file (or damages an old one) under <path>.
 * String datasets are variable-length UTF-8, text attributes fixed-length UTF-8
 * (never in the unchecksummed global heap); data are shuffle+deflate(1), NaN-filled,
 * with a Fletcher-32 checksum per chunk,
 * chunks <= 1 MiB; groups track creation order. */
#ifndef SYNOVIA_H5_H
#define SYNOVIA_H5_H

#include <stddef.h>

#include "synovia/result.h"
#include "synovia/status.h"

/* Exported from libsynovia.so; everything else is hidden (docs/c-api.md). */
#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

typedef struct syn_provenance {
  const char *title;          /* model title; may be "" */
  const char *command_line;   /* the command as typed; may be "" */
  const char *model_sha256;   /* hex; may be "" */
  size_t nfiles;              /* model files, root first */
  const char *const *file_paths;
  const char *const *file_texts;
  const char *created;        /* ISO 8601 UTC; NULL: the writer uses now */
  const char *scenario_sha256;/* hex, when the run came from a scenario; NULL or "" otherwise */
  const char *scenario_file;  /* the scenario's path; NULL or "" otherwise (its text is
                                 among file_paths/file_texts, first) */
} syn_provenance;

typedef struct syn_h5 syn_h5;

/* Start writing <path>.tmp. Fails (nothing created) if the directory is not
 * writable or path is empty, or if <path>.tmp exists and is not a regular
 * file (SYN_EIO, "...: it exists and is not a regular file"). <path>.tmp is
 * locked (fcntl) until commit has renamed it or destroy has removed it: while
 * another process writes <path>, this fails with SYN_EINVAL ("HDF5 output
 * 'x.h5' is being written by process 1234 (it holds 'x.h5.tmp')"); a
 * <path>.tmp that nobody holds (its writer was killed) is taken over.
 * Time, memory and file size grow linearly with the series written. */
syn_status syn_h5_create(const char *path, const syn_provenance *prov, syn_h5 **out,
                         syn_error *err);

/* Write one arm group. Arm names are unique within a file. */
syn_status syn_h5_write_arm(syn_h5 *h, const char *arm, const syn_result *r, syn_error *err);

/* Close the file and rename <path>.tmp to <path> (replacing an old file). */
syn_status syn_h5_commit(syn_h5 *h, syn_error *err);

/* Free; if not committed, closes and removes <path>.tmp. NULL allowed. */
void syn_h5_destroy(syn_h5 *h);

/* ---- reading a result file back ------------------------------------------------ */

/* What kind of synovia file a path holds, decided by its layout. */
typedef enum syn_h5_kind {
  SYN_H5_RUN = 1,  /* the layout above: /arms/<arm>/time ... (synovia run, a scenario) */
  SYN_H5_SWEEP = 2 /* a sweep file (synovia/h5sweep.h): /status, /param_value, ... */
} syn_h5_kind;

/* Tells a run file from a sweep file (a sweep file has /arms too: its
 * /status decides). Errors name the file:
 *   "cannot open 'x.h5': No such file or directory"                        (SYN_EIO)
 *   "'x.h5' is not an HDF5 file"                                           (SYN_EIO)
 *   "'x.h5' is truncated or damaged (HDF5: <detail>)"                      (SYN_EIO)
 *   "'x.h5' is damaged: cannot read '/status' (HDF5: <detail>)"            (SYN_EIO)
 *   "'x.h5' is not a synovia result: it has neither /arms nor /status"     (SYN_EINVAL)
 * ("damaged" when /status or /arms is named but cannot be read: a checksum
 * that fails, a header that does not decode; never taken for absent). */
syn_status syn_h5_probe(const char *path, syn_h5_kind *kind, syn_error *err);

typedef struct syn_h5_reader syn_h5_reader;

/* An attribute of an arm group (solver settings and statistics). */
typedef enum syn_h5_attr_kind { SYN_H5_ATTR_TEXT, SYN_H5_ATTR_REAL, SYN_H5_ATTR_INTEGER } syn_h5_attr_kind;

/* The whole file but the time series, as read by syn_h5_open. Every string is
 * non-NULL ("" when the file lacks it) and owned by the reader. */
typedef struct syn_h5_file_info {
  const char *title, *source, *synovia_version, *created, *command_line;
  const char *model_sha256, *model_file;
  const char *scenario_sha256, *scenario_file; /* "" when the run had no scenario */
  size_t nfiles;                    /* /provenance: paths and full texts, in file order */
  const char *const *file_paths;
  const char *const *file_texts;
  size_t narms;                     /* arms in the order they were written */
} syn_h5_file_info;

typedef struct syn_h5_arm_info {
  const char *name;
  size_t ntimes;
  const double *times;              /* [ntimes] */
  const char *time_units;           /* "h"; "1" when the model has no clock unit */
  size_t nvars;                     /* states and outputs, in the file's order */
  const char *const *var_names;
  const char *const *var_units;     /* "1" for dimensionless */
  const char *const *var_long_names;
  const int *var_is_output;         /* 1 output, 0 state */
  size_t nparams;
  const char *const *param_names;
  const double *param_values;
  const char *const *param_units;
  size_t ndoses;                    /* 0 when the arm has no doses/ group */
  const double *dose_time, *dose_amount, *dose_duration; /* clock units; amount as written */
  const char *const *dose_route, *const *dose_target, *const *dose_joint, *const *dose_units;
  size_t nevents;                   /* 0 when the arm has no events/ group */
  const double *event_time;         /* clock units, in the order applied */
  const char *const *event_name;
  size_t nmetrics;                  /* 0 when the arm has no metrics */
  const char *const *metric_names;
  const double *metric_values;      /* NaN when undefined */
  const char *const *metric_units;  /* "" when unknown */
  const char *const *metric_descriptions;
  size_t nattrs;                    /* the arm group's attributes, in creation order */
  const char *const *attr_names;
  const syn_h5_attr_kind *attr_kinds;
  const char *const *attr_texts;    /* text as is; integers as %lld; reals as the shortest of
                                       %.15g, %.16g, %.17g that reads back exactly ("1e-06") */
  const double *attr_reals;         /* the number (NaN for text) */
} syn_h5_arm_info;

/* Opens a result file of `synovia run` and reads everything but the series.
 * Errors name the file and the first thing wrong:
 *   "cannot open result file 'x.h5': No such file or directory"           (SYN_EIO)
 *   "result file 'x.h5' is not an HDF5 file"                              (SYN_EIO)
 *   "result file 'x.h5' is truncated or damaged (HDF5: <detail>)"         (SYN_EIO)
 *   "result file 'x.h5' is a sweep file, not the result of a run"        (SYN_EINVAL)
 *   "result file 'x.h5' is not a synovia result: no group '/arms'"        (SYN_EINVAL)
 *   "result file 'x.h5': arm 'A' has no 'time' dataset"                   (SYN_EINVAL)
 *   "result file 'x.h5': <what is wrong>", e.g. "no dataset '/arms/A/param_value'" (SYN_EINVAL)
 *   "result file 'x.h5': cannot read '/arms/A/X' (HDF5: <detail>)"        (SYN_EIO)
 *   "result file 'x.h5' is damaged: <what>" (an object, a chunk index or a
 *     text that does not check out: see docs/output-format.md, Storage)   (SYN_EIO)
 *   "result file 'x.h5' cannot be read: attribute 'title' of '/': its text
 *     is stored as variable-length strings ... (an older synovia)"        (SYN_EINVAL)
 *   "result file 'x.h5': out of memory"                                    (SYN_ENOMEM)
 * A file written by an older or newer synovia with extra datasets or
 * attributes opens; what is not in this layout is ignored. The series of an
 * arm are its 1-D float datasets on the arm's time axis with kind = "state"
 * or "output"; arms and series in creation order (name order in a file
 * that does not track it). The file stays open until the reader is
 * destroyed. */
syn_status syn_h5_open(const char *path, syn_h5_reader **out, syn_error *err);
void syn_h5_reader_destroy(syn_h5_reader *r); /* NULL allowed */

const syn_h5_file_info *syn_h5_reader_file(const syn_h5_reader *r);
/* Arm i < narms; NULL otherwise. Owned by the reader. */
const syn_h5_arm_info *syn_h5_reader_arm(const syn_h5_reader *r, size_t i);

/* The time series of variable `var` of arm `arm`: [ntimes] values into out
 * (out may be NULL when ntimes is 0). An index out of range is SYN_EINVAL
 * ("result file 'x.h5': arm 3 is out of range (3 arms)"); a damaged chunk
 * SYN_EIO naming the dataset. */
syn_status syn_h5_read_var(syn_h5_reader *r, size_t arm, size_t var, double *out,
                           syn_error *err);

/* ---- sensitivities of an arm (docs/output-format.md, "Sensitivities") ---- */

/* What syn_h5_open read of an arm's sensitivities/ group; owned by the reader. */
typedef struct syn_h5_sens_info {
  size_t nparams;                   /* the free parameters, in the file's order */
  const char *const *param_names;
  const double *param_values;
  const char *const *param_units;   /* "1" for dimensionless */
  const int *var_has;               /* [the arm's nvars]: 1 when sensitivities/<var> exists */
  size_t nmetrics;                  /* the arm's nmetrics when the metrics have gradients, else 0 */
  const double *metric_gradient;    /* [nmetrics][nparams] d(metric)/d(param) */
  const double *metric_gradient_log;/* [nmetrics][nparams] d ln(metric)/d ln(param); NaN where
                                       the metric is 0 or NaN */
} syn_h5_sens_info;

/* The sensitivities of arm `arm`; NULL when the arm has none (or arm is out of range). */
const syn_h5_sens_info *syn_h5_reader_sens(const syn_h5_reader *r, size_t arm);

/* d(var)/d(param) (normalised 0) or d ln(var)/d ln(param) (normalised 1) of
 * arm `arm`: [nparams][ntimes] values into out. SYN_EINVAL when the arm has
 * no sensitivities or var has none ("result file 'x.h5': arm 'A' has no
 * sensitivities of 'X'"); a damaged chunk SYN_EIO naming the dataset. */
syn_status syn_h5_read_sens(syn_h5_reader *r, size_t arm, size_t var, int normalised,
                            double *out, syn_error *err);

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
