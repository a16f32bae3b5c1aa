/* synovia — the library's version (base layer).
 *
 * Its own header so that the lower layers (the HDF5 writer records the
 * version in every file) can name it without the umbrella header
 * synovia/synovia.h, which pulls in every layer. */
#ifndef SYNOVIA_VERSION_H
#define SYNOVIA_VERSION_H

#define SYN_VERSION_MAJOR 0
#define SYN_VERSION_MINOR 1
#define SYN_VERSION_PATCH 0
#define SYN_VERSION_STRING "0.1.0"

/* Exported from libsynovia.so; everything else is hidden (docs/c-api.md). */
#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

/* The version string: SYN_VERSION_STRING, followed by " (<git revision>)"
 * when the library was built in a git checkout. Static storage; never NULL. */
const char *syn_version(void);

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
