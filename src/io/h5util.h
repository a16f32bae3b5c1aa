/* synovia — helpers shared by the HDF5 writers and readers (io layer,
 * internal; only src/io/ includes this header, as it includes hdf5.h).
 *
 * Every function that makes HDF5 objects returns < 0 on failure and closes
 * whatever it opened; the caller turns that into a syn_error with
 * syn_h5u_fail, which reads the innermost HDF5 error description. Callers
 * bracket their HDF5 calls with syn_h5u_quiet_begin/_end so that HDF5 never
 * prints (the library must not), without changing the process-wide handler
 * for other HDF5 users. */
#ifndef SYNOVIA_IO_H5UTIL_H
#define SYNOVIA_IO_H5UTIL_H

#include <stdarg.h>
#include <stddef.h>

#include <hdf5.h>

#include "base/arena.h"
#include "synovia/h5.h"
#include "synovia/status.h"

/* ---- the HDF5 error stack ---- */
typedef struct syn_h5u_quiet {
  H5E_auto2_t func;
  void *data;
  int saved;
} syn_h5u_quiet;

void syn_h5u_quiet_begin(syn_h5u_quiet *q);
void syn_h5u_quiet_end(const syn_h5u_quiet *q);

/* Sets err to SYN_EIO: "HDF5 output '<path>': cannot <what> (HDF5: <detail>)". */
syn_status syn_h5u_fail(const char *path, syn_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same for any file: "<noun> '<path>': cannot <what> (HDF5: <detail>)"
 * (the readers' "sweep file", "result file"). */
syn_status syn_h5u_failv(const char *noun, const char *path, syn_error *err, const char *fmt,
                         va_list ap) __attribute__((format(printf, 4, 0)));

syn_status syn_h5u_fail_noun(const char *noun, const char *path, syn_error *err,
                             const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The innermost (most specific) description on HDF5's error stack into buf,
 * "" when the stack is empty. Read it before the next HDF5 call clears it. */
void syn_h5u_innermost(char *buf, size_t size);

/* ---- attributes ---- */
hid_t syn_h5u_utf8_vlen_type(void);
hid_t syn_h5u_utf8_fixed_type(size_t size); /* null-padded, size >= 1 */
herr_t syn_h5u_attr_scalar(hid_t obj, const char *name, hid_t ftype, hid_t mtype,
                           const void *value);
/* Fixed-length UTF-8 of the text's length (never in the global heap). */
herr_t syn_h5u_attr_string(hid_t obj, const char *name, const char *value);
herr_t syn_h5u_attr_double(hid_t obj, const char *name, double value);
herr_t syn_h5u_attr_int64(hid_t obj, const char *name, long long value);
herr_t syn_h5u_attr_nan_fill(hid_t d); /* _FillValue = NaN (float64) */
const char *syn_h5u_cf_units(const char *units); /* "1" for empty/NULL */

/* ---- groups and datasets (NetCDF-4 compatible: creation order tracked) ---- */
hid_t syn_h5u_ordered_gcpl(void);
hid_t syn_h5u_create_group(hid_t loc, const char *name);
/* Chunk shape of at most 1 MiB of doubles, the last axis first. */
void syn_h5u_chunk_shape(int rank, const hsize_t *dims, hsize_t *chunk);
/* Attribute creation order; no empty axis: chunks and Fletcher-32; float64
 * also shuffle + deflate(1) and a NaN fill. */
hid_t syn_h5u_dataset_dcpl(int is_f64, int rank, const hsize_t *dims);
/* Datasets written whole from buf; return the open dataset or < 0. */
hid_t syn_h5u_write_nd(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int is_f64,
                       int rank, const hsize_t *dims, const void *buf);
hid_t syn_h5u_write_1d(hid_t loc, const char *name, hid_t ftype, hid_t mtype, int is_f64,
                       size_t n, const void *buf);
hid_t syn_h5u_write_f64(hid_t loc, const char *name, size_t n, const double *v);
hid_t syn_h5u_write_i64(hid_t loc, const char *name, size_t n, const long long *v);
/* vlen UTF-8, NULL entries written as "", fill value "", sealed: the
 * attribute text_sha256 is the SHA-256 (hex) of the strings in row order,
 * each followed by a NUL, which the readers check (the global heap that
 * holds the strings has no checksum of its own). */
hid_t syn_h5u_write_strings(hid_t loc, const char *name, size_t n, const char *const *v);
/* (Re)writes the seal of a 1-D vlen string dataset from what it holds now
 * (rows written one block at a time: /status_reason at commit). */
herr_t syn_h5u_seal_strings(hid_t d);
/* 0 when the strings of d match its seal (or it has none); -3 or -5 when
 * not (damaged), -1 HDF5, -2 memory, -4 a form not read. Reads every row. */
int syn_h5u_check_seal(hid_t d);
/* Fill value "" (vlen UTF-8) on dataset creation properties: every vlen
 * string dataset has it, so no reader ever meets a NULL string. */
herr_t syn_h5u_set_empty_string_fill(hid_t dcpl);

/* ---- what every synovia file has ---- */
syn_status syn_h5u_check_provenance(const char *path, const syn_provenance *prov,
                                    syn_error *err);
/* Root attributes: Conventions, title, source, synovia_version, date_created,
 * command_line, model_sha256, model_file (+ scenario_* for scenario runs). */
syn_status syn_h5u_write_globals(hid_t file, const char *path, const syn_provenance *prov,
                                 syn_error *err);
/* /provenance/file (scale) and /provenance/text. */
syn_status syn_h5u_write_provenance(hid_t file, const char *path, const syn_provenance *prov,
                                    syn_error *err);

/* ---- reading ---- */
/* Why syn_h5u_open_read failed: errnum != 0 when open(2) did (EISDIR for a
 * directory), else not_hdf5 when there is no HDF5 signature, else HDF5 could
 * not open it (truncated or damaged; detail from the error stack). */
typedef struct syn_h5u_open_failure {
  int errnum;
  int not_hdf5;
  char detail[256];
} syn_h5u_open_failure;

/* Opens path read-only with the access list fapl (H5P_DEFAULT allowed):
 * open(2) first for a real errno, then HDF5's signature, then H5Fopen.
 * Returns the file, or < 0 with *why filled. */
hid_t syn_h5u_open_read(const char *path, hid_t fapl, syn_h5u_open_failure *why);

/* The n strings (variable or fixed length, "" for a null one) of a dataset
 * (is_attr 0) or an attribute (is_attr 1), read whole into arena copies.
 * Variable-length strings are read by syn_h5u_read_vlen_rows, never by
 * HDF5; a variable-length attribute is not read at all (-4: HDF5 would
 * follow its heap reference unchecked). Returns 0, -1 on an HDF5 error, -2
 * when out of memory, -3 when the file is damaged, -4 when the strings are
 * stored in a form this does not read, -5 when a dataset's strings do not
 * match its seal (syn_h5u_strings_problem says which). */
int syn_h5u_read_strings(hid_t obj, int is_attr, size_t n, syn_arena *a, const char **out);

/* Receives string i of a read (s has len bytes, no NUL); < 0 stops it (no memory). */
typedef int (*syn_h5u_string_sink)(void *data, size_t i, const char *s, size_t len);

/* Rows [first, first + count) of the 1-D variable-length string dataset d,
 * each handed to sink, read without HDF5's global heap code (which a
 * damaged file crashes): the heap references as stored (contiguous, or
 * chunked without filters), then each heap collection read and walked with
 * every size checked. Returns 0, -1
 * HDF5 error, -2 no memory, -3 damaged, -4 a layout or filter this does not
 * read (compressed references). */
int syn_h5u_read_vlen_rows(hid_t d, size_t first, size_t count, syn_h5u_string_sink sink,
                           void *data);

/* What -3, -4 and -5 of the string readers mean, for a message ("" otherwise). */
const char *syn_h5u_strings_problem(int rc);

/* The error for a return code rc < 0 of the string readers, what being
 * the strings' place ("'/arms/A/param'", "attribute 'units' of '/x'"):
 *   -2 "<noun> '<path>': out of memory"                              SYN_ENOMEM
 *   -3, -5 "<noun> '<path>' is damaged: <what>: <problem>"            SYN_EIO
 *   -4 "<noun> '<path>' cannot be read: <what>: <problem> (make ...)" SYN_EINVAL
 *   -1 "<noun> '<path>': cannot read <what> (HDF5: <detail>)"         SYN_EIO */
syn_status syn_h5u_strings_fail(const char *noun, const char *path, int rc, syn_error *err,
                                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* 1 when every value of dataset d has storage (contiguous with an address,
 * or chunked with every chunk listed by its index), 0 when not, -1 when
 * HDF5 fails. A dataset written whole that lacks storage is damaged: HDF5
 * would read its missing chunks as the fill value (NaN), silently (a
 * damaged chunk index). */
int syn_h5u_storage_complete(hid_t d);

/* 1 when each of the first max_walk allocated chunks of d (not a string
 * dataset: the creation properties are read) lies on the chunk grid inside
 * the dataspace with storage; 0 when one does not (a damaged chunk index,
 * whose chunk HDF5 would not find, reading the fill value instead); -1
 * HDF5. For datasets that may lack chunks (a part's rows not written). The
 * walk costs O(chunks^2) in HDF5 1.10 (each H5Dget_chunk_info walks the
 * index from its start), hence max_walk. Contiguous: 1. */
int syn_h5u_chunks_in_place(hid_t d, unsigned long long max_walk);

/* The datasets attached to a dimension scale, from its REFERENCE_LIST
 * (never from their DIMENSION_LIST, a variable-length attribute that HDF5
 * reads through the unchecked global heap: what H5DSis_attached does). */
typedef struct syn_h5u_scale_refs {
  size_t n;
  void *entries; /* sorted (reference, axis) pairs */
  hid_t scale;
} syn_h5u_scale_refs;
/* 0 (none when the scale has no REFERENCE_LIST), -1 HDF5, -2 no memory. */
int syn_h5u_scale_refs_read(hid_t scale, syn_h5u_scale_refs *out);
void syn_h5u_scale_refs_free(syn_h5u_scale_refs *r);
/* 1 when axis dim of d is attached to the scale, 0 when not, -1 HDF5. */
int syn_h5u_scale_refs_has(const syn_h5u_scale_refs *r, hid_t d, unsigned dim);

/* Dimension scales attached in bulk. H5DSattach_scale rewrites the scale's
 * REFERENCE_LIST one entry longer at every attachment: N datasets cost N^2,
 * and past 64 KiB (about 5000 entries) the list lives in dense attribute
 * storage, where every dropped copy stays in the file (8000 kept series made
 * a 360 MB sweep file). A scale list collects the scale's entries and writes
 * REFERENCE_LIST once; each dataset gets its DIMENSION_LIST when attached.
 * Both attributes have exactly the types HDF5's dimension-scale API (1.10)
 * gives them, so H5DS, netCDF, h5py and xarray read them as if
 * H5DSattach_scale had written them (the run writer's time axis, h5.c, does
 * the same for 1-D series). */
typedef struct syn_h5u_scale_list {
  hid_t scale;        /* borrowed */
  hobj_ref_t self;    /* a reference to the scale */
  void *entries;      /* (dataset reference, axis) pairs, in attachment order */
  size_t n, cap;
} syn_h5u_scale_list;
/* For the dimension scale `scale` (H5DSset_scale done), with room for
 * `expect` attachments (more are allowed: the list grows). 0, -1 HDF5, -2 no
 * memory; the list can be freed either way. */
int syn_h5u_scale_list_open(syn_h5u_scale_list *l, hid_t scale, size_t expect);
/* Writes DIMENSION_LIST of d (rank axes, none yet): axis k is attached to
 * lists[k] (noted for its REFERENCE_LIST), or to nothing when lists[k] is
 * NULL, for H5DSattach_scale to attach later. 0, -1 HDF5, -2 no memory. */
int syn_h5u_scale_attach(hid_t d, int rank, syn_h5u_scale_list *const *lists);
/* Writes the scale's REFERENCE_LIST once: the entries it already has (from
 * H5DSattach_scale), then the list's. Then frees the list. 0, -1, -2. */
int syn_h5u_scale_list_finish(syn_h5u_scale_list *l);
/* Frees without writing (on failure). */
void syn_h5u_scale_list_free(syn_h5u_scale_list *l);

/* The names of the links of group g in creation order (name order when the
 * group does not track it), into the arena. Returns 0, -1 on an HDF5 error,
 * -2 when out of memory. */
int syn_h5u_link_names(hid_t g, syn_arena *a, size_t *n, const char ***out);

/* ---- files ---- */
char *syn_h5u_dir_of(const char *path);             /* syn_malloc'ed; NULL: no memory */
void syn_h5u_iso8601_now(char *buf, size_t size);
int syn_h5u_write_all(int fd, const unsigned char *buf, size_t n); /* 0 or -1 + errno */
void syn_h5u_sync_dir(const char *path); /* fsync the directory of path (best effort) */

/* Caps HDF5's metadata cache of files opened with fapl at max_bytes (the
 * default cache grows to tens of MB with many objects); the run writer, the
 * sweep writer and the sweep reader use it. Returns < 0 on failure. */
herr_t syn_h5u_bound_metadata_cache(hid_t fapl, size_t max_bytes);

#endif
