/* synovia — what the sweep writer, reader and merge share (io layer,
 * internal; only src/io/h5sweep*.c include this header, as it includes
 * hdf5.h).
 *
 * The per-sample datasets of one open sweep file, for the writer and the
 * reader alike, and moving blocks of rows between them and memory: each
 * block of consecutive rows is one hyperslab per dataset, and the per-arm
 * metric and trajectory datasets are gathered into (or scattered from) the
 * arm-major row layout of the public API through memory hyperslabs, with no
 * copies.
 *
 * Callers above callees: h5sweep_merge.c uses the writer (h5sweep.c) and the
 * reader (h5sweep_read.c); both use h5sweep_rows.c (the tables, rows and
 * syn_h5s_fail), which uses h5util.c. The writer and the reader never call
 * each other. */
#ifndef SYNOVIA_IO_H5SWEEP_IMPL_H
#define SYNOVIA_IO_H5SWEEP_IMPL_H

#include <stddef.h>

#include <hdf5.h>

#include "synovia/h5sweep.h"
#include "synovia/status.h"

typedef struct syn_h5s_tables {
  size_t nsamples, nparams, narms, nmetrics, nseries, ntimes;
  hid_t param_value, status, reason; /* < 0 when closed */
  hid_t *metric_value;               /* [narms]; unused when nmetrics is 0 */
  hid_t *traj;                       /* [narms * nseries] */
} syn_h5s_tables;

/* Allocates the id arrays with every id in them -1 (the counts set before;
 * the ids of the root datasets are left as they are). */
syn_status syn_h5s_tables_alloc(syn_h5s_tables *t);
/* Closes the open datasets and frees the arrays; < 0 if a close failed. */
herr_t syn_h5s_tables_close(syn_h5s_tables *t);

/* Values per row of the whole row block layouts. */
size_t syn_h5s_metric_cols(const syn_h5s_tables *t); /* narms * nmetrics */
size_t syn_h5s_traj_cols(const syn_h5s_tables *t);   /* narms * nseries * ntimes */

/* Rows [first, first + count) of dataset d (1-D when ncols is 0, else
 * (sample, ncols)) from/to buf, a (count, mcols) array of which columns
 * [col, col + ncols) are used (mcols, col ignored for 1-D). count > 0. */
herr_t syn_h5s_read_rows(hid_t d, hsize_t first, hsize_t count, hsize_t ncols, hsize_t mcols,
                         hsize_t col, hid_t mtype, void *buf);
herr_t syn_h5s_write_rows(hid_t d, hsize_t first, hsize_t count, hsize_t ncols, hsize_t mcols,
                          hsize_t col, hid_t mtype, const void *buf);

/* Reads a block of rows of every per-sample dataset (NULL buffers skipped),
 * layouts as syn_h5sweep_read_rows. Errors name `path`. */
syn_status syn_h5s_read_block(const syn_h5s_tables *t, const char *path, size_t first,
                              size_t count, double *params, signed char *status,
                              double *metrics, double *traj, syn_error *err);

/* Reads the reasons of rows [first, first + count) as HDF5 allocates them:
 * out[k] NULL or a string to release with H5free_memory. */
syn_status syn_h5s_read_reasons(const syn_h5s_tables *t, const char *path, size_t first,
                                size_t count, char **out, syn_error *err);

/* "sweep file '<path>': cannot <what> (HDF5: <innermost detail>)", SYN_EIO. */
syn_status syn_h5s_fail(const char *path, syn_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The writer's bitmap of rows written, for the merge's first pass: mark
 * returns whether row i was marked already; unmarked counts the rows of
 * [first, end) not marked and gives the first of them. */
int syn_h5s_writer_mark(syn_h5sweep *h, size_t i);
void syn_h5s_writer_clear_marks(syn_h5sweep *h);
size_t syn_h5s_writer_unmarked(const syn_h5sweep *h, size_t first, size_t end,
                               size_t *first_unmarked);

/* A root attribute (vlen UTF-8) of the writer's file, e.g. the merge's
 * parts_date_created. Errors name the file. */
syn_status syn_h5s_writer_attr_string(syn_h5sweep *h, const char *name, const char *value,
                                      syn_error *err);


/* Opens a reader whose datasets each cache at most cache_bytes of chunks
 * (0: HDF5's default, 1 MiB): the merge keeps many parts open. */
syn_status syn_h5s_open(const char *path, size_t cache_bytes, syn_h5sweep_reader **out,
                        syn_error *err);

/* The blocks of rows of /status that have storage: *n blocks of *rows rows
 * starting at (*firsts)[k], ascending (syn_free the array); the rows a part
 * never wrote to have none, so a merge reads only what a part has. A
 * dataset that is not chunked is one block of every row. */
syn_status syn_h5s_status_blocks(const syn_h5sweep_reader *r, size_t **firsts, size_t *n,
                                 size_t *rows, syn_error *err);

/* The reader's tables (for the merge). */
const syn_h5s_tables *syn_h5s_reader_tables(const syn_h5sweep_reader *r);

/* Rows per window of the merge's copy for rows of row_values doubles: the
 * window and its scratch copy within the merge's 32 MiB, whole trajectory
 * chunks, at most nsamples; requested (syn_h5sweep_merge_opts.window_rows,
 * 0: automatic) asks for fewer rows but never for more memory. */
size_t syn_h5s_merge_window_rows(size_t row_values, size_t nsamples, size_t requested);

/* ---- the seal of a part (h5sweep_seal.c) ----------------------------------------- */

/* A part begins with a user block of this many bytes holding its seal. */
enum { SYN_H5S_SEAL_BYTES = 512 };

/* The seal of the n bytes of data (an in-memory file image that follows it). */
void syn_h5s_seal_text(const unsigned char *data, size_t n, char out[SYN_H5S_SEAL_BYTES]);
/* Seals tmp_path (closed by HDF5, created with the user block): digests its
 * bytes after the block, writes the seal into it and fsyncs. Errors name
 * path. */
syn_status syn_h5s_seal_file(const char *path, const char *tmp_path, syn_error *err);

#endif
