/* synovia — what a result file holds, as a cli_doc (summary, report). */
#ifndef SYN_CLI_SUMMARY_H
#define SYN_CLI_SUMMARY_H

#include "doc.h"
#include "synovia/h5sweep.h"
#include "synovia/synovia.h"

/* Fills doc with the summary of a run file or a sweep file (decided by
 * syn_h5_probe, returned in *kind when kind is not NULL). */
syn_status summary_build(const char *path, cli_doc *doc, syn_h5_kind *kind, syn_error *err);

/* The Sobol or Morris tables of every arm of an open sweep file. */
syn_status summary_indices(syn_h5sweep_reader *rd, cli_doc *doc, syn_error *err);

#endif
