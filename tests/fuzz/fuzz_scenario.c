/* synovia — libFuzzer harness: arbitrary bytes as a .scenario file, through
 * the scenario parser and the loader (model, grid, arms, doses, presets,
 * settings, metric expressions), against a fixed model with joints, routes,
 * presets and outputs written once next to it as m.model.
 *
 * Must never crash, hang, leak or trip a sanitizer: every input either loads
 * or gives an error with a non-empty message. The loader reads files, so each
 * input is written to a scratch directory first. Arms are not run (a fuzzed
 * grid can ask for any number of points); the metric expressions of a loaded
 * scenario are evaluated once, with unknown values. Build: make
 * build/fuzz/fuzz_scenario */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/scenario_impl.h"
#include "synovia/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char model_text[] =
    "time unit h\n"
    "joints knee_L knee_R\n"
    "compartment V = 20 L\n"
    "param k = 0.2 /h\n"
    "param F = 0.5\n"
    "state A = 0 mg\n"
    "state B = 0\n"
    "d/dt A = -k * A\n"
    "d/dt B = k * A - k * B\n"
    "output C = A / V\n"
    "route IV -> A \"intravenous\"\n"
    "route PO -> A scale F\n"
    "preset fast { k = 0.4; knee_R.severity = 2 }\n"
    "per joint {\n"
    "  param severity = 1\n"
    "  state MSC = 0 cells\n"
    "  d/dt MSC = -k * severity * MSC\n"
    "  route IA -> MSC scale F\n"
    "  output load = severity * MSC\n"
    "}\n";

/* The scratch directory, made once per process (libFuzzer runs inputs in one process). */
static const char *scratch(void) {
  static char dir[64];
  if (dir[0]) return dir;
  snprintf(dir, sizeof dir, "/tmp/fuzz_scenario.XXXXXX");
  if (mkdtemp(dir) == NULL) abort();
  char path[128];
  snprintf(path, sizeof path, "%s/m.model", dir);
  FILE *f = fopen(path, "w");
  if (f == NULL || fputs(model_text, f) == EOF || fclose(f) != 0) abort();
  return dir;
}

static void touch_loaded(const syn_scenario *s) {
  for (size_t i = 0; i < syn_scenario_arm_count(s); i++) {
    size_t j;
    if (syn_scenario_find_arm(s, syn_scenario_arm_name(s, i), &j, NULL) != SYN_OK || j != i)
      abort();
  }
  for (size_t i = 0; i < s->nmetrics; i++) (void)scn_eval(s, s->metrics[i].value, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char path[128];
  snprintf(path, sizeof path, "%s/s.scenario", scratch());
  FILE *f = fopen(path, "wb");
  if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0) abort();
  syn_scenario *s = NULL;
  syn_error err;
  syn_error_clear(&err);
  syn_status st = syn_scenario_load(path, &s, &err);
  if ((st == SYN_OK) != (s != NULL)) abort();
  if (st != SYN_OK && err.message[0] == 0) abort();
  char text[4096];
  syn_error_format(&err, text, sizeof text);
  if (s) touch_loaded(s);
  syn_scenario_destroy(s);
  return 0;
}
