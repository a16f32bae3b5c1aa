/* synovia — the files a command writes and reads: which paths may be
 * replaced by an output and which may be opened as an input.
 *
 * Every output of synovia (a result, a sweep, a merged file, a report, an
 * export's CSV files) is written as NAME.tmp and renamed over NAME when
 * complete. That rename replaces whatever NAME is: as root, `-o /dev/null`
 * would replace the device with a regular file, and `-o` naming one of the
 * command's own inputs would destroy that input. So an output must be absent
 * or a regular file, and must not be (by device and inode, through symlinks,
 * hard links and "..") any file the command reads. Inputs must be regular
 * files: open(2) of a FIFO blocks until someone writes to it.
 *
 * These are checks of the paths as they are now, made by the command line
 * before any work; they print nothing and fill a syn_error (message and
 * hint, no location). */
#ifndef SYNOVIA_PATH_H
#define SYNOVIA_PATH_H

#include <stddef.h>

#include "synovia/status.h"

/* Exported from libsynovia.so; everything else is hidden (docs/c-api.md). */
#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

/* SYN_OK when PATH may be written by renaming a new file over it: it does not
 * exist (nor does it lead through a dangling symlink) and its folder does, or
 * it is (or a symlink leads to) a regular file. SYN_EINVAL when it exists and
 * is anything else (a directory, a device, a FIFO, a socket); SYN_EIO when it
 * cannot be looked at (permission, a file where a folder should be, no such
 * folder). ROLE names the path in the message ("output", "temporary output",
 * "lock file"); NULL means "output". */
syn_status syn_path_check_output(const char *path, const char *role, syn_error *err);

/* SYN_OK when PATH, the NAME.tmp an output is written to before it is
 * renamed, is absent or a regular file that is not a symlink: it is opened
 * for writing, and a link there would send the output (and the truncation)
 * to another file. SYN_EINVAL otherwise, saying to delete it. */
syn_status syn_path_check_temporary(const char *path, syn_error *err);

/* SYN_OK when PATH does not exist or is none of the n INPUTS (compared by
 * device and inode, following symlinks; inputs that do not exist match
 * nothing; NULL and empty entries are skipped). Else SYN_EINVAL naming the
 * input it is; *which (may be NULL) gets its index. */
syn_status syn_path_check_not_input(const char *path, const char *const *inputs, size_t n,
                                    size_t *which, syn_error *err);

/* SYN_OK when PATH may be opened for reading without blocking: a regular
 * file (or a symlink to one), or a path that does not exist or is a
 * directory (the reader then reports that in its own words). SYN_EINVAL for
 * a FIFO, a device or a socket. WHAT names it in the message ("result
 * file"); NULL means "input". */
syn_status syn_path_check_input(const char *path, const char *what, syn_error *err);

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
