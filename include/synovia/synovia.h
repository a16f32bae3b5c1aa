/* synovia — umbrella header and version.
 * A simulator of the cytokine network of an arthritic joint under MSC therapy. */
#ifndef SYNOVIA_H
#define SYNOVIA_H

#define SYN_VERSION_MAJOR 0
#define SYN_VERSION_MINOR 1
#define SYN_VERSION_PATCH 0
#define SYN_VERSION_STRING "0.1.0"

#include "synovia/status.h"
#include "synovia/ode.h"
#include "synovia/model.h"
#include "synovia/solver.h"
#include "synovia/result.h"
#include "synovia/run.h"
#include "synovia/scenario.h"
#include "synovia/steady.h"
#include "synovia/h5.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version string (may include the git revision it was built from). */
const char *syn_version(void);

#ifdef __cplusplus
}
#endif
#endif
