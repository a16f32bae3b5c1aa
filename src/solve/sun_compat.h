/* synovia — what CVODE and KINSOL users in the solve layer share (internal):
 * the SUNDIALS 6.x / 7.x differences, and an error handler that keeps
 * SUNDIALS' last message in a buffer instead of printing it (library code
 * never prints). Written for SUNDIALS 6.x; 7.x is shimmed here (checked with
 * 6.4.1, the build's own, and 7.1.1 and 7.5.0 as site installations: SUNDIALS_DIR, see
 * docs/building.md). */
#ifndef SYN_SOLVE_SUN_COMPAT_H
#define SYN_SOLVE_SUN_COMPAT_H

#include <sundials/sundials_context.h>
#include <sundials/sundials_version.h>

#if SUNDIALS_VERSION_MAJOR >= 7
#define SYN_SUN_COMM_NULL SUN_COMM_NULL
/* 7.x replaced the modules' own success codes (SUNLS_SUCCESS, SUNMAT_SUCCESS) by SUN_SUCCESS */
#define SYN_SUNLS_SUCCESS SUN_SUCCESS
#else
#define SYN_SUN_COMM_NULL NULL
#define SYN_SUNLS_SUCCESS SUNLS_SUCCESS
#endif

/* The size of a message buffer given to the capture functions. */
enum { SYN_SUN_MSG_MAX = 512 };

/* From now on, messages of the CVODE (KINSOL) instance mem, created in ctx,
 * go into buf (char[SYN_SUN_MSG_MAX], the last one kept), never to stderr.
 * 0 on success. */
int syn_sun_capture_cvode(SUNContext ctx, void *mem, char *buf);
int syn_sun_capture_kinsol(SUNContext ctx, void *mem, char *buf);

#endif
