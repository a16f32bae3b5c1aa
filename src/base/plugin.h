/* synovia — a shared object held in memory, loaded with dlopen (internal).
 *
 * Why: the libraries that cost every start of the program something (Open
 * MPI, libSBML with libxml2 and the C++ run time) are called only from small
 * plugins, shared objects whose bytes the build embeds in the library; they
 * are loaded only when first needed, so the program stays one file with
 * nothing to install beside it (sweep/mpi_ops.h, sbml/plugin_ops.h).
 *
 * syn_plugin_open writes the bytes to an anonymous memory file (memfd), or
 * where there is none (old kernels) to a temporary file in $TMPDIR or /tmp,
 * unlinked at once, and dlopens it through /proc/self/fd with dlflags.
 * Returns the handle (never closed by the callers: the plugins stay loaded),
 * or NULL with why (at most why_size bytes, NUL-terminated) saying what
 * failed: writing the file (errno's text) or dlopen (dlerror's text).
 * Thread safety: may run concurrently (dlopen is), but callers load each
 * plugin once (pthread_once). */
#ifndef SYN_BASE_PLUGIN_H
#define SYN_BASE_PLUGIN_H

#include <stddef.h>

void *syn_plugin_open(const char *name, const unsigned char *bytes, size_t size, int dlflags,
                      char *why, size_t why_size);

#endif
