/* synovia — merging the parts of a sweep into one file (io layer; see
 * synovia/h5sweep.h, syn_h5sweep_merge).
 *
 * Parts are the files the writers of one sweep commit: each has the full
 * sample axis and some rows written (status != 0). A sweep of hours under
 * MPI commits a part per rank every half minute, so there may be thousands
 * of parts, and a sweep may have millions of samples: the merge never holds
 * more than a window of rows, and never more than a few dozen parts open
 * (with a bounded chunk cache each).
 *
 * First pass, one part open at a time: its spec must match the first part's
 * (configuration hash, samples, parameters, arms, metrics, trajectories, time
 * grid), its task must be new (job-array shards), and each row it has is
 * marked in the output writer's bitmap, so a row in two parts is found
 * without any memory per sample of our own; the first and last row of each
 * part are kept. Only the chunks of a part's /status that have storage are
 * read, so the pass costs what the parts hold, not parts x samples. Then the
 * tasks and the required rows must be complete.
 *
 * Second pass, the copy: the output is built window by window in ascending
 * sample order; for each window, every part whose rows [first, last] meet it
 * is read over that span into a scratch block (in one read per dataset, or
 * run by run when its rows are a few runs among many of other parts), its
 * rows are moved into the window, and the window is written with one write
 * per dataset per run of rows (syn_h5sweep_write_rows). The data written are
 * therefore the same whichever way the rows were split among parts. */
#include "synovia/h5sweep.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <hdf5.h>

#include "base/alloc.h"
#include "io/h5sweep_impl.h"
#include "io/h5util.h"

enum {
  SCAN_ROWS = 1 << 16,       /* statuses read at a time in the first pass */
  WINDOW_BYTES = 32 << 20,   /* window + scratch buffers of the copy */
  WINDOW_MAX_ROWS = 1 << 16,
  WINDOW_ALIGN = 64,         /* rows; the trajectories' chunk height */
  /* Parts kept open across windows: each dataset read caches one chunk (the
   * writer's chunks are at most 256 KiB), all of them within OPEN_BYTES. */
  PART_CACHE_BYTES = 320 << 10,
  OPEN_BYTES = 64 << 20,
  MAX_OPEN = 32,
  /* A span of a part is read run by run when that saves reading this many
   * rows per run (what one more read call per dataset costs, roughly). */
  RUN_COST_ROWS = 256
};

typedef struct part {
  size_t lo, hi;         /* the first and last row it has; lo > hi: none */
  syn_h5sweep_reader *r; /* kept open in the copy pass, or NULL */
} part;

/* A block of rows in the public layouts. */
typedef struct block {
  double *params, *metrics, *traj;
  signed char *status;
  char **reasons; /* HDF5's strings (H5free_memory) or NULL */
} block;

typedef struct merge {
  const char *out_path;
  const char *const *paths;
  size_t nparts;
  syn_h5sweep_merge_opts o;
  syn_error *err;
  syn_h5sweep_reader *ref; /* part 0: the reference spec, open throughout */
  const syn_h5sweep_spec *spec;
  part *parts;
  size_t *task_part; /* [task_count] with check_tasks: the part of each task */
  size_t nopen, max_open;
  syn_h5sweep *h;
  size_t np, mc, tc; /* values per row */
  size_t wrows;      /* rows per window */
  block win, scratch;
  char first_created[40], last_created[40]; /* the parts' date_created, "" when none */
} merge;

/* ---- matching parts ---------------------------------------------------------------- */

static int same_strings(size_t n, const char *const *a, const char *const *b) {
  for (size_t i = 0; i < n; i++) {
    const char *x = a ? a[i] : "", *y = b ? b[i] : "";
    if (strcmp(x ? x : "", y ? y : "") != 0) return 0;
  }
  return 1;
}

static const char *text(const char *s) { return s ? s : ""; }

/* How spec b differs from a, into buf; NULL when they belong together. */
static const char *difference(const syn_h5sweep_spec *a, const syn_h5sweep_spec *b, char *buf,
                              size_t size) {
  if (strcmp(text(a->config_sha256), text(b->config_sha256)) != 0) {
    snprintf(buf, size, "different configuration (config_sha256 '%s' vs '%s')",
             text(b->config_sha256), text(a->config_sha256));
    return buf;
  }
  if (a->nsamples != b->nsamples) {
    snprintf(buf, size, "different numbers of samples (%zu vs %zu)", b->nsamples, a->nsamples);
    return buf;
  }
  if (a->nparams != b->nparams || !same_strings(a->nparams, a->param_names, b->param_names) ||
      !same_strings(a->nparams, a->param_units, b->param_units))
    return "different parameters";
  if (a->narms != b->narms || !same_strings(a->narms, a->arm_names, b->arm_names))
    return "different arms";
  if (a->nmetrics != b->nmetrics ||
      !same_strings(a->nmetrics, a->metric_names, b->metric_names) ||
      !same_strings(a->nmetrics, a->metric_units, b->metric_units))
    return "different metrics";
  if (a->nseries != b->nseries || !same_strings(a->nseries, a->series_names, b->series_names) ||
      !same_strings(a->nseries, a->series_units, b->series_units))
    return "different trajectories";
  int same_times = a->ntimes == b->ntimes && strcmp(text(a->time_units), text(b->time_units)) == 0;
  for (size_t k = 0; same_times && k < a->ntimes; k++) same_times = a->times[k] == b->times[k];
  if (!same_times) return "different time grids";
  return NULL;
}

static syn_status match_part(const merge *m, size_t i, const syn_h5sweep_reader *r) {
  char detail[600];
  const char *why = difference(m->spec, syn_h5sweep_reader_spec(r), detail, sizeof detail);
  if (why == NULL) return SYN_OK;
  return syn_error_set(m->err, SYN_EINVAL, "merge into '%s': '%s' does not match '%s': %s",
                       m->out_path, m->paths[i], m->paths[0], why);
}

/* With check_tasks: part i is a shard of the same array, of a task not seen. */
static syn_status record_task(merge *m, size_t i, const syn_h5sweep_reader *r) {
  const syn_h5sweep_spec *s = syn_h5sweep_reader_spec(r);
  const size_t n = m->spec->task_count;
  if (!m->o.check_tasks) return SYN_OK;
  if (s->task_count == 0)
    return syn_error_set(m->err, SYN_EINVAL,
                         "merge into '%s': '%s' is not a shard of a job array (no task_count)",
                         m->out_path, m->paths[i]);
  if (s->task_count != n)
    return syn_error_set(m->err, SYN_EINVAL, "merge into '%s': '%s' is a task of %zu but '%s' of "
                         "%zu", m->out_path, m->paths[i], s->task_count, m->paths[0], n);
  if (m->task_part == NULL) {
    if ((m->task_part = syn_malloc(n * sizeof *m->task_part)) == NULL)
      return syn_error_set(m->err, SYN_ENOMEM, "merge into '%s': out of memory", m->out_path);
    for (size_t k = 0; k < n; k++) m->task_part[k] = SIZE_MAX;
  }
  if (m->task_part[s->task_index] != SIZE_MAX)
    return syn_error_set(m->err, SYN_EINVAL, "merge into '%s': task %zu appears twice: '%s' and "
                         "'%s'", m->out_path, s->task_index, m->paths[m->task_part[s->task_index]],
                         m->paths[i]);
  m->task_part[s->task_index] = i;
  return SYN_OK;
}

static syn_status tasks_complete(const merge *m) {
  const size_t n = m->spec->task_count;
  size_t missing = 0, first = 0;
  if (!m->o.check_tasks) return SYN_OK;
  for (size_t k = 0; k < n; k++)
    if (m->task_part[k] == SIZE_MAX && missing++ == 0) first = k;
  if (missing == 1)
    return syn_error_set(m->err, SYN_EINVAL, "merge into '%s': task %zu of %zu is missing",
                         m->out_path, first, n);
  if (missing > 1)
    return syn_error_set(m->err, SYN_EINVAL, "merge into '%s': %zu tasks of %zu are missing (the "
                         "first is task %zu)", m->out_path, missing, n, first);
  return SYN_OK;
}

/* Part j (j < i) that has row s, for the message about a duplicate. */
static const char *other_owner(merge *m, size_t i, size_t s) {
  for (size_t j = 0; j < i; j++) {
    if (m->parts[j].lo > s || m->parts[j].hi < s) continue;
    syn_h5sweep_reader *r = m->ref;
    signed char status = 0;
    if (j > 0 && syn_h5s_open(m->paths[j], PART_CACHE_BYTES, &r, NULL) != SYN_OK) continue;
    syn_status st = syn_h5sweep_read_status(r, s, 1, &status, NULL);
    if (j > 0) syn_h5sweep_reader_destroy(r);
    if (st == SYN_OK && status != SYN_SWEEP_NOT_RUN) return m->paths[j];
  }
  return "an earlier part";
}

/* Marks the rows [first, first + count) of part i that it has. */
static syn_status scan_block(merge *m, size_t i, syn_h5sweep_reader *r, size_t first,
                             size_t count, signed char *buf) {
  part *p = &m->parts[i];
  syn_status st = syn_h5sweep_read_status(r, first, count, buf, m->err);
  for (size_t k = 0; st == SYN_OK && k < count; k++) {
    if (buf[k] == SYN_SWEEP_NOT_RUN) continue;
    const size_t s = first + k;
    if (syn_h5s_writer_mark(m->h, s))
      return syn_error_set(m->err, SYN_EINVAL, "merge into '%s': sample %zu is in both '%s' "
                           "and '%s'", m->out_path, s, other_owner(m, i, s), m->paths[i]);
    if (s < p->lo) p->lo = s; /* blocks may come in any order */
    if (s > p->hi) p->hi = s;
  }
  return st;
}

/* Marks the rows of part i, refusing one already marked. Only the blocks of
 * /status with storage are read: what the part wrote. */
static syn_status scan_rows(merge *m, size_t i, syn_h5sweep_reader *r, signed char *buf) {
  part *p = &m->parts[i];
  const size_t n = m->spec->nsamples;
  size_t *firsts = NULL, nblocks = 0, rows = 0;
  p->lo = SIZE_MAX;
  p->hi = 0;
  syn_status st = syn_h5s_status_blocks(r, &firsts, &nblocks, &rows, m->err);
  for (size_t b = 0; b < nblocks && st == SYN_OK; b++) {
    const size_t end = n - firsts[b] < rows ? n : firsts[b] + rows;
    for (size_t first = firsts[b]; first < end && st == SYN_OK; first += SCAN_ROWS)
      st = scan_block(m, i, r, first, end - first < SCAN_ROWS ? end - first : SCAN_ROWS, buf);
  }
  syn_free(firsts);
  return st;
}

/* Keeps the earliest and latest date_created of the parts (ISO 8601 UTC
 * texts, whose order is their time order). */
static void note_created(merge *m, const syn_h5sweep_reader *r) {
  const syn_provenance *p = syn_h5sweep_reader_spec(r)->prov;
  const char *c = p != NULL && p->created != NULL ? p->created : "";
  if (c[0] == 0 || strlen(c) >= sizeof m->first_created) return;
  if (m->first_created[0] == 0 || strcmp(c, m->first_created) < 0)
    snprintf(m->first_created, sizeof m->first_created, "%s", c);
  if (strcmp(c, m->last_created) > 0)
    snprintf(m->last_created, sizeof m->last_created, "%s", c);
}

/* The merged file's date_created is its own (create_output); when the parts
 * were made is kept as the ISO 8601 interval "first/last" of theirs. */
static syn_status write_parts_created(merge *m) {
  char interval[96];
  if (m->first_created[0] == 0) return SYN_OK;
  snprintf(interval, sizeof interval, "%s/%s", m->first_created, m->last_created);
  return syn_h5s_writer_attr_string(m->h, "parts_date_created", interval, m->err);
}

static syn_status scan_parts(merge *m) {
  syn_status st = SYN_OK;
  signed char *buf = syn_malloc(SCAN_ROWS);
  if (buf == NULL)
    return syn_error_set(m->err, SYN_ENOMEM, "merge into '%s': out of memory", m->out_path);
  for (size_t i = 0; i < m->nparts && st == SYN_OK; i++) {
    syn_h5sweep_reader *r = m->ref;
    if (i > 0) st = syn_h5s_open(m->paths[i], PART_CACHE_BYTES, &r, m->err);
    if (st != SYN_OK) break;
    st = match_part(m, i, r);
    if (st == SYN_OK) st = record_task(m, i, r);
    if (st == SYN_OK) st = scan_rows(m, i, r, buf);
    if (st == SYN_OK) note_created(m, r);
    if (i > 0) syn_h5sweep_reader_destroy(r);
  }
  syn_free(buf);
  return st;
}

static syn_status rows_complete(const merge *m) {
  const size_t n = m->spec->nsamples;
  const size_t first = m->o.require_first, end = m->o.require_end < n ? m->o.require_end : n;
  size_t missing = 0, first_missing = 0;
  if (end <= first) return SYN_OK;
  missing = syn_h5s_writer_unmarked(m->h, first, end, &first_missing);
  if (missing == 0) return SYN_OK;
  return syn_error_set(m->err, SYN_EINVAL,
                       "merge into '%s': %zu sample%s of %zu..%zu %s missing (the first is "
                       "sample %zu)",
                       m->out_path, missing, missing == 1 ? "" : "s", first, end - 1,
                       missing == 1 ? "is" : "are", first_missing);
}

/* ---- copying ----------------------------------------------------------------------- */

static void free_reasons(char **v, size_t n) {
  for (size_t k = 0; v != NULL && k < n; k++)
    if (v[k] != NULL) {
      H5free_memory(v[k]);
      v[k] = NULL;
    }
}

static int block_alloc(block *b, size_t rows, size_t np, size_t mc, size_t tc) {
  b->params = syn_malloc(rows * np * sizeof *b->params);
  b->metrics = mc ? syn_malloc(rows * mc * sizeof *b->metrics) : NULL;
  b->traj = tc ? syn_malloc(rows * tc * sizeof *b->traj) : NULL;
  b->status = syn_malloc(rows);
  b->reasons = syn_calloc(rows, sizeof *b->reasons);
  return b->params != NULL && (mc == 0 || b->metrics != NULL) && (tc == 0 || b->traj != NULL) &&
                 b->status != NULL && b->reasons != NULL
             ? 0
             : -1;
}

static void block_free(block *b, size_t rows) {
  free_reasons(b->reasons, rows);
  syn_free(b->params);
  syn_free(b->metrics);
  syn_free(b->traj);
  syn_free(b->status);
  syn_free(b->reasons);
}

static void fill_nan(double *v, size_t n) {
  for (size_t k = 0; v != NULL && k < n; k++) v[k] = NAN;
}

size_t syn_h5s_merge_window_rows(size_t row_values, size_t nsamples, size_t requested) {
  const size_t row = sizeof(double) * row_values + 1 + sizeof(char *);
  size_t w = WINDOW_BYTES / (2 * row);
  if (w > WINDOW_MAX_ROWS) w = WINDOW_MAX_ROWS;
  if (w >= WINDOW_ALIGN) w -= w % WINDOW_ALIGN;
  if (w == 0) w = 1;
  /* a request may ask for fewer rows, never for more memory: rank 0 must stay
   * flat in the samples also when a row holds every trajectory of a sample */
  if (requested > 0 && requested < w) w = requested;
  return w < nsamples ? w : nsamples;
}

static size_t window_rows(const merge *m) {
  return syn_h5s_merge_window_rows(m->np + m->mc + m->tc, m->spec->nsamples, m->o.window_rows);
}

/* The reader of part i for this window; *temp: close it after use. */
static syn_status part_reader(merge *m, size_t i, syn_h5sweep_reader **r, int *temp) {
  *temp = 0;
  if (i == 0) {
    *r = m->ref;
    return SYN_OK;
  }
  if (m->parts[i].r != NULL) {
    *r = m->parts[i].r;
    return SYN_OK;
  }
  syn_status st = syn_h5s_open(m->paths[i], PART_CACHE_BYTES, r, m->err);
  if (st != SYN_OK) return st;
  if (m->nopen < m->max_open) {
    m->parts[i].r = *r;
    m->nopen++;
  } else {
    *temp = 1;
  }
  return SYN_OK;
}

static void close_part(merge *m, size_t i) {
  if (m->parts[i].r == NULL) return;
  syn_h5sweep_reader_destroy(m->parts[i].r);
  m->parts[i].r = NULL;
  m->nopen--;
}

static int has_row(signed char status) { return status != SYN_SWEEP_NOT_RUN; }
static int has_reason(signed char status) {
  return status != SYN_SWEEP_NOT_RUN && status != SYN_SWEEP_OK;
}

typedef syn_status (*read_fn)(merge *m, syn_h5sweep_reader *r, size_t first, size_t a, size_t b);

/* Calls read for the scratch rows [0, n) (rows first..) that pass `want`: in
 * one call over their whole extent, or, when they are a few runs among many
 * rows that do not (a part of an MPI rank that took blocks in turn with the
 * others; the rare failed rows), once per run. */
static syn_status read_runs(merge *m, syn_h5sweep_reader *r, size_t first, size_t n,
                            int (*want)(signed char), read_fn read) {
  const signed char *status = m->scratch.status;
  size_t rows = 0, runs = 0, lo = n, hi = 0;
  for (size_t k = 0; k < n; k++)
    if (want(status[k])) {
      rows++;
      if (k == 0 || !want(status[k - 1])) runs++;
      if (lo == n) lo = k;
      hi = k + 1;
    }
  if (rows == 0) return SYN_OK;
  if (runs * RUN_COST_ROWS >= (hi - lo) - rows) return read(m, r, first, first + lo, first + hi);
  syn_status st = SYN_OK;
  for (size_t k = lo; k < hi && st == SYN_OK;) {
    while (k < hi && !want(status[k])) k++;
    size_t e = k;
    while (e < hi && want(status[e])) e++;
    if (e > k) st = read(m, r, first, first + k, first + e);
    k = e;
  }
  return st;
}

/* Reads rows [a, b) of the part into the scratch block at row a - first. */
static syn_status read_data(merge *m, syn_h5sweep_reader *r, size_t first, size_t a, size_t b) {
  block *s = &m->scratch;
  const size_t k = a - first;
  return syn_h5sweep_read_rows(r, a, b - a, s->params + k * m->np, NULL,
                               m->mc ? s->metrics + k * m->mc : NULL,
                               m->tc ? s->traj + k * m->tc : NULL, m->err);
}

static syn_status read_reasons(merge *m, syn_h5sweep_reader *r, size_t first, size_t a,
                               size_t b) {
  return syn_h5s_read_reasons(syn_h5s_reader_tables(r), syn_h5sweep_reader_path(r), a, b - a,
                              m->scratch.reasons + (a - first), m->err);
}

/* Moves scratch row k to window row w. */
static void move_row(merge *m, size_t k, size_t w) {
  block *s = &m->scratch, *d = &m->win;
  memcpy(d->params + w * m->np, s->params + k * m->np, m->np * sizeof *d->params);
  if (m->mc) memcpy(d->metrics + w * m->mc, s->metrics + k * m->mc, m->mc * sizeof *d->metrics);
  if (m->tc) memcpy(d->traj + w * m->tc, s->traj + k * m->tc, m->tc * sizeof *d->traj);
  d->status[w] = s->status[k];
  d->reasons[w] = s->reasons[k];
  s->reasons[k] = NULL;
}

/* Copies the rows part i has in [w0, w1) into the window. */
static syn_status copy_part(merge *m, size_t i, size_t w0, size_t w1) {
  const part *p = &m->parts[i];
  const size_t a = p->lo > w0 ? p->lo : w0, b = p->hi + 1 < w1 ? p->hi + 1 : w1;
  syn_h5sweep_reader *r = NULL;
  int temp = 0;
  syn_status st = part_reader(m, i, &r, &temp);
  if (st == SYN_OK) st = syn_h5sweep_read_status(r, a, b - a, m->scratch.status, m->err);
  if (st == SYN_OK) st = read_runs(m, r, a, b - a, has_row, read_data);
  if (st == SYN_OK) st = read_runs(m, r, a, b - a, has_reason, read_reasons);
  for (size_t k = 0; st == SYN_OK && k < b - a; k++)
    if (m->scratch.status[k] != SYN_SWEEP_NOT_RUN) move_row(m, k, a + k - w0);
  free_reasons(m->scratch.reasons, b - a);
  if (temp) syn_h5sweep_reader_destroy(r);
  if (p->hi < w1) close_part(m, i); /* its last window */
  return st;
}

static syn_status copy_window(merge *m, size_t w0, size_t w1) {
  const size_t n = w1 - w0;
  block *w = &m->win;
  fill_nan(w->params, n * m->np);
  fill_nan(w->metrics, n * m->mc);
  fill_nan(w->traj, n * m->tc);
  memset(w->status, 0, n);
  syn_status st = SYN_OK;
  int any = 0;
  for (size_t i = 0; i < m->nparts && st == SYN_OK; i++) {
    const part *p = &m->parts[i];
    if (p->lo > p->hi || p->lo >= w1 || p->hi < w0) continue;
    st = copy_part(m, i, w0, w1);
    any = 1;
  }
  if (st == SYN_OK && any)
    st = syn_h5sweep_write_rows(m->h, w0, n, w->params, w->status,
                                (const char *const *)w->reasons, w->metrics, w->traj, m->err);
  free_reasons(w->reasons, n);
  return st;
}

static syn_status copy_rows(merge *m) {
  const syn_h5sweep_spec *s = m->spec;
  m->np = s->nparams;
  m->mc = s->narms * s->nmetrics;
  m->tc = s->narms * s->nseries * s->ntimes;
  m->wrows = window_rows(m);
  const size_t datasets = 3 + s->narms * ((s->nmetrics > 0) + s->nseries);
  m->max_open = OPEN_BYTES / (datasets * PART_CACHE_BYTES);
  if (m->max_open > MAX_OPEN) m->max_open = MAX_OPEN;
  if (block_alloc(&m->win, m->wrows, m->np, m->mc, m->tc) < 0 ||
      block_alloc(&m->scratch, m->wrows, m->np, m->mc, m->tc) < 0)
    return syn_error_set(m->err, SYN_ENOMEM, "merge into '%s': out of memory", m->out_path);
  syn_status st = SYN_OK;
  for (size_t w0 = 0; w0 < s->nsamples && st == SYN_OK; w0 += m->wrows)
    st = copy_window(m, w0, s->nsamples - w0 < m->wrows ? s->nsamples : w0 + m->wrows);
  return st;
}

/* ---- the merge --------------------------------------------------------------------- */

static syn_status create_output(merge *m) {
  syn_h5sweep_spec spec = *m->spec;
  syn_provenance prov;
  memset(&prov, 0, sizeof prov);
  if (spec.prov != NULL) prov = *spec.prov;
  if (m->o.command_line != NULL) prov.command_line = m->o.command_line;
  prov.created = m->o.created; /* NULL: now, not the first part's */
  spec.prov = &prov;
  spec.part = 0; /* a file to read: "" in every row of /status_reason */
  spec.task_index = m->o.task_index;
  spec.task_count = m->o.task_count;
  spec.memory_limit = m->o.memory_limit;
  syn_status st = syn_h5sweep_create(m->out_path, &spec, &m->h, m->err);
  if (st == SYN_OK)
    st = syn_h5sweep_write_solver_config(m->h, syn_h5sweep_reader_solver_config(m->ref), m->err);
  return st;
}

static syn_status run_merge(merge *m) {
  syn_status st = syn_h5s_open(m->paths[0], PART_CACHE_BYTES, &m->ref, m->err);
  if (st != SYN_OK) return st;
  m->spec = syn_h5sweep_reader_spec(m->ref);
  if ((m->parts = syn_calloc(m->nparts, sizeof *m->parts)) == NULL)
    return syn_error_set(m->err, SYN_ENOMEM, "merge into '%s': out of memory", m->out_path);
  st = create_output(m);
  if (st == SYN_OK) st = scan_parts(m);
  if (st == SYN_OK) st = tasks_complete(m);
  if (st == SYN_OK) st = rows_complete(m);
  if (st == SYN_OK) st = write_parts_created(m);
  if (st != SYN_OK) return st;
  syn_h5s_writer_clear_marks(m->h); /* the writer marks them again as it writes */
  return copy_rows(m);
}

syn_status syn_h5sweep_merge(const char *out_path, const char *const *parts, size_t nparts,
                             const syn_h5sweep_merge_opts *opts, syn_h5sweep **out,
                             syn_error *err) {
  if (out == NULL) return syn_error_set(err, SYN_EINVAL, "merge: no place for the writer");
  *out = NULL;
  if (out_path == NULL || out_path[0] == 0)
    return syn_error_set(err, SYN_EINVAL, "merge: empty output file name");
  if (nparts == 0 || parts == NULL)
    return syn_error_set(err, SYN_EINVAL, "merge into '%s': no parts", out_path);
  for (size_t i = 0; i < nparts; i++)
    if (parts[i] == NULL || parts[i][0] == 0)
      return syn_error_set(err, SYN_EINVAL, "merge into '%s': part %zu has no file name",
                           out_path, i);
  merge m;
  memset(&m, 0, sizeof m);
  m.out_path = out_path;
  m.paths = parts;
  m.nparts = nparts;
  m.err = err;
  if (opts != NULL) m.o = *opts;
  syn_h5u_quiet q; /* the reasons are read here directly */
  syn_h5u_quiet_begin(&q);
  syn_status st = run_merge(&m);
  for (size_t i = 0; m.parts != NULL && i < nparts; i++) close_part(&m, i);
  block_free(&m.win, m.wrows);
  block_free(&m.scratch, m.wrows);
  syn_free(m.parts);
  syn_free(m.task_part);
  if (st == SYN_OK) {
    *out = m.h;
  } else {
    syn_h5sweep_destroy(m.h);
  }
  syn_h5sweep_reader_destroy(m.ref);
  syn_h5u_quiet_end(&q);
  return st;
}
