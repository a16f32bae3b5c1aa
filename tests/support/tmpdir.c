/* synovia tests — scratch folders (see tmpdir.h). */
#include "tmpdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int syn_test_dir_setup(void **state, const char *prefix, const char *name) {
  syn_test_dir *f = calloc(1, sizeof *f);
  if (f == NULL) return -1;
  snprintf(f->dir, sizeof f->dir, "/tmp/%.40s_XXXXXX", prefix);
  if (mkdtemp(f->dir) == NULL) {
    free(f);
    return -1;
  }
  snprintf(f->path, sizeof f->path, "%s/%.40s", f->dir, name);
  snprintf(f->tmp, sizeof f->tmp, "%s.tmp", f->path);
  *state = f;
  return 0;
}

int syn_test_dir_teardown(void **state) {
  syn_test_dir *f = *state;
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  int rc = system(cmd);
  free(f);
  return rc == 0 ? 0 : -1;
}
