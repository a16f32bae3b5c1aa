/* synovia — version string. SYN_GIT_REV is passed in by the Makefile when the
 * build happens in a git checkout. */
#include "synovia/version.h"

#ifndef SYN_GIT_REV
#define SYN_GIT_REV ""
#endif

const char *syn_version(void) {
  return SYN_GIT_REV[0] ? SYN_VERSION_STRING " (" SYN_GIT_REV ")" : SYN_VERSION_STRING;
}
