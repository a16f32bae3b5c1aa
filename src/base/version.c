/* synovia — version string. The git revision comes from a header the
 * Makefile generates and rewrites only when HEAD or the dirty state changes
 * (SYN_GIT_REV_H names it; see GIT_REV_H in the Makefile), so that this file
 * alone is recompiled then. Built some other way, there is no revision. */
#include "synovia/version.h"

#ifdef SYN_GIT_REV_H
#include SYN_GIT_REV_H
#endif
#ifndef SYN_GIT_REV
#define SYN_GIT_REV ""
#endif

const char *syn_version(void) {
  return SYN_GIT_REV[0] ? SYN_VERSION_STRING " (" SYN_GIT_REV ")" : SYN_VERSION_STRING;
}
