/* synovia run (no arguments) — the built-in demonstration.
 *
 * The embedded scenario and models (src/cli/demo.h) are written to a private
 * temporary folder under their repository paths; the scenario runs from there
 * like any other (so its provenance reads "examples/knee_ia_vs_iv.scenario",
 * "models/knee_oa.model", …) and writes synovia-demo.h5 in the directory the
 * command was started from. The folder is removed afterwards, whatever
 * happened. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "demo.h"
#include "run.h"

enum { DEMO_PATH_MAX = 4096 };

/* mkdir -p for the folders of a relative path inside the current directory. */
static int make_parents(const char *path) {
  char buf[DEMO_PATH_MAX];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf; (p = strchr(p, '/')) != NULL; p++) {
    *p = 0;
    if (mkdir(buf, 0700) != 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  return 0;
}

static int write_file(const cli_embedded_file *f) {
  if (make_parents(f->path) != 0) return -1;
  FILE *out = fopen(f->path, "wb");
  if (out == NULL) return -1;
  size_t n = fwrite(f->data, 1, f->size, out);
  int closed = fclose(out);
  return n == f->size && closed == 0 ? 0 : -1;
}

/* Remove the files and then their folders (deepest first: rmdir of a folder
 * that still has content fails harmlessly and is retried by its parent's turn). */
static void remove_tree(void) {
  for (size_t i = 0; i < cli_demo_file_count; i++) remove(cli_demo_files[i].path);
  for (int pass = 0; pass < 4; pass++)
    for (size_t i = 0; i < cli_demo_file_count; i++) {
      char buf[DEMO_PATH_MAX];
      snprintf(buf, sizeof buf, "%s", cli_demo_files[i].path);
      char *slash;
      while ((slash = strrchr(buf, '/')) != NULL) {
        *slash = 0;
        rmdir(buf);
      }
    }
}

static const char *temp_root(void) {
  const char *t = getenv("TMPDIR");
  return t && t[0] ? t : "/tmp";
}

int run_demo(const char *command_line) {
  char cwd[DEMO_PATH_MAX], dir[DEMO_PATH_MAX], out[DEMO_PATH_MAX + 32];
  int rc = CLI_FAILED, moved = 0;
  if (getcwd(cwd, sizeof cwd) == NULL) {
    fprintf(stderr, "synovia: error: cannot read the current directory: %s\n", strerror(errno));
    return CLI_FAILED;
  }
  snprintf(out, sizeof out, "%s/%s", cwd, CLI_DEMO_OUTPUT);
  snprintf(dir, sizeof dir, "%s/synovia-demo-XXXXXX", temp_root());
  if (mkdtemp(dir) == NULL || chdir(dir) != 0) {
    fprintf(stderr, "synovia: error: cannot make a temporary folder in %s: %s\n", temp_root(),
            strerror(errno));
    return CLI_FAILED;
  }
  moved = 1;
  for (size_t i = 0; i < cli_demo_file_count; i++)
    if (write_file(&cli_demo_files[i]) != 0) {
      fprintf(stderr, "synovia: error: cannot write the demonstration's files in %s: %s\n", dir,
              strerror(errno));
      goto done;
    }
  run_args a = {0};
  a.model_path = CLI_DEMO_SCENARIO;
  a.output_path = out;
  a.demo = 1;
  rc = run_scenario(&a, command_line);
done:
  remove_tree();
  if (moved && chdir(cwd) != 0) {
    fprintf(stderr, "synovia: error: cannot return to %s: %s\n", cwd, strerror(errno));
    rc = CLI_FAILED;
  }
  if (rmdir(dir) != 0 && rc == CLI_OK)
    fprintf(stderr, "synovia: warning: could not remove the temporary folder %s\n", dir);
  return rc;
}
