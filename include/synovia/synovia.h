/* synovia — umbrella header: the whole public API (and the version).
 * A simulator of the cytokine network of an arthritic joint under MSC therapy. */
#ifndef SYNOVIA_H
#define SYNOVIA_H

#include "synovia/version.h" /* SYN_VERSION_STRING, syn_version() */
#include "synovia/status.h"
#include "synovia/ode.h"
#include "synovia/model.h"
#include "synovia/sbml.h"
#include "synovia/psens.h"
#include "synovia/solver.h"
#include "synovia/result.h"
#include "synovia/run.h"
#include "synovia/scenario.h"
#include "synovia/problem.h"
#include "synovia/steady.h"
#include "synovia/h5.h"

#endif
