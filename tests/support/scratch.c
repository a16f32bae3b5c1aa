/* synovia tests — the scratch folder of a test program (see scratch.h). */
#include "scratch.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[256];

int scratch_setup(const char *prefix) {
  snprintf(dir, sizeof dir, "/tmp/%.200s_XXXXXX", prefix);
  return mkdtemp(dir) == NULL ? -1 : 0;
}

int scratch_teardown(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) != 0 ? -1 : 0;
}

const char *scratch_dir(void) { return dir; }

const char *scratch_path(const char *name) {
  static char path[4][512];
  static int k;
  k = (k + 1) % 4;
  snprintf(path[k], sizeof path[k], "%s/%s", dir, name);
  return path[k];
}

void scratch_write(const char *name, const char *text) {
  FILE *f = fopen(scratch_path(name), "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

syn_status scratch_load_scenario(const char *model_name, const char *model, const char *scenario,
                                 syn_scenario **s, syn_error *err) {
  scratch_write(model_name, model);
  scratch_write("s.scenario", scenario);
  *s = NULL;
  return syn_scenario_load(scratch_path("s.scenario"), s, err);
}

syn_scenario *scratch_scenario(const char *model, const char *scenario) {
  syn_error err;
  syn_scenario *s = NULL;
  if (scratch_load_scenario("m.model", model, scenario, &s, &err) != SYN_OK)
    fail_msg("%s", err.message);
  return s;
}
