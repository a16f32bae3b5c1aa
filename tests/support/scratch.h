/* synovia tests — one scratch folder for a whole test program (made by the
 * cmocka group setup, removed by its teardown), the files the tests write in
 * it, and a scenario loaded from texts written there. Shared by the unit
 * tests of problems, scenarios, sweeps and fits (test_problem, test_scenario,
 * test_sweep, test_fit_load); tests/support/tmpdir.h is the per-test kind.
 *
 * The folder is the test program's one piece of state: cmocka runs the tests
 * of a group one after the other, and each program has one group. */
#ifndef SYN_TEST_SCRATCH_H
#define SYN_TEST_SCRATCH_H

#include "synovia/scenario.h"

/* Makes the folder /tmp/<prefix>_XXXXXX; 0 or -1 (a group setup's result). */
int scratch_setup(const char *prefix);

/* Removes the folder and everything in it; 0 or -1. A cmocka group teardown. */
int scratch_teardown(void **state);

/* The folder (after scratch_setup). */
const char *scratch_dir(void);

/* <folder>/<name>, in one of four buffers used in turn: valid until the
 * fourth call after it. */
const char *scratch_path(const char *name);

/* Writes `text` to <folder>/<name>; fails the test when it cannot. */
void scratch_write(const char *name, const char *text);

/* Writes `model` as <folder>/<model_name> and `scenario` as
 * <folder>/s.scenario, then loads the scenario (*s NULL on failure). */
syn_status scratch_load_scenario(const char *model_name, const char *model, const char *scenario,
                                 syn_scenario **s, syn_error *err);

/* The same with the model as m.model; a scenario that does not load fails the test with
 * its message. */
syn_scenario *scratch_scenario(const char *model, const char *scenario);

#endif
