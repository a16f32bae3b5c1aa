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
 *   /metrics              all arms' metrics at commit, when any arm has metrics:
 *                         `arm` and `metric` dimension scales, value(arm, metric)
 *                         (NaN where an arm lacks a metric), units(metric) and
 *                         description(metric) (vlen strings)
 *
 * The file is written as <path>.tmp and renamed to <path> by syn_h5_commit, so
 * a failure never leaves a partial file (or damages an old one) under <path>.
 * Strings are variable-length UTF-8; data are shuffle+deflate(1), NaN-filled,
 * chunks <= 1 MiB; groups track creation order. */
#ifndef SYNOVIA_H5_H
#define SYNOVIA_H5_H

#include <stddef.h>

#include "synovia/result.h"
#include "synovia/status.h"

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
 * writable or path is empty. */
syn_status syn_h5_create(const char *path, const syn_provenance *prov, syn_h5 **out,
                         syn_error *err);

/* Write one arm group. Arm names are unique within a file. */
syn_status syn_h5_write_arm(syn_h5 *h, const char *arm, const syn_result *r, syn_error *err);

/* Close the file and rename <path>.tmp to <path> (replacing an old file). */
syn_status syn_h5_commit(syn_h5 *h, syn_error *err);

/* Free; if not committed, closes and removes <path>.tmp. NULL allowed. */
void syn_h5_destroy(syn_h5 *h);

#ifdef __cplusplus
}
#endif
#endif
