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
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "demo.h"
#include "run.h"

enum { DEMO_PATH_MAX = 4096 };

/* The demonstration's table: key biomarkers of every arm at clinic-like days,
 * labelled by short forms of the model's descriptions (the units come from
 * the result). The demonstration has 3 arms; the table holds at most
 * DEMO_MAX_ARMS. */
static const struct {
  const char *series, *label;
} demo_markers[] = {
    {"knee.IL6", "synovial fluid IL-6"},
    {"knee.TNF", "synovial fluid TNF-alpha"},
    {"knee.MMP_TIMP_ratio", "MMP:TIMP molar ratio"},
    {"knee.PGE2", "synovial fluid PGE2"},
    {"knee.pain_VAS", "knee pain, VAS"},
    {"knee.cartilage_volume", "cartilage volume relative to normal"},
    {"knee.synovial_thickness", "synovial lining thickness"},
    {"knee.MSC_joint", "MSCs in the knee"},
    {"MSC_lung_viable", "MSCs in the lungs"},
    {"IL6_s", "serum IL-6"},
    {"CRP", "serum CRP"},
};
enum { DEMO_MARKERS = sizeof demo_markers / sizeof demo_markers[0], DEMO_DAYS = 5 };
static const double demo_days[DEMO_DAYS] = {0, 7, 28, 90, 180};
enum { DEMO_MAX_ARMS = 16 };

/* What the table shows, kept while the arms run (each result is freed after
 * its arm). NaN where a series or a day is absent. */
typedef struct demo_table {
  double value[DEMO_MAX_ARMS][DEMO_MARKERS][DEMO_DAYS];
  char units[DEMO_MARKERS][32];
} demo_table;

/* Index of the output time t (model clock) in the result, or -1. */
static long time_index(const syn_result *res, double t) {
  const double *times = syn_result_times(res);
  for (size_t i = 0; i < syn_result_ntimes(res); i++)
    if (fabs(times[i] - t) <= 1e-9 * fmax(1.0, fabs(t))) return (long)i;
  return -1;
}

static void record_markers(void *ctx, const syn_scenario *sc, size_t k, size_t arm,
                           const syn_result *res) {
  demo_table *tb = ctx;
  const syn_model *m = syn_scenario_model(sc);
  (void)arm;
  if (k >= DEMO_MAX_ARMS) return;
  for (size_t j = 0; j < DEMO_MARKERS; j++) {
    size_t s;
    int found = syn_result_find(res, demo_markers[j].series, &s);
    if (found) snprintf(tb->units[j], sizeof tb->units[j], "%s", syn_result_info(res, s)->units);
    for (size_t d = 0; d < DEMO_DAYS; d++) {
      char when[32];
      double t = NAN;
      snprintf(when, sizeof when, "%g d", demo_days[d]);
      long i = syn_model_parse_time(m, when, &t, NULL) == SYN_OK ? time_index(res, t) : -1;
      tb->value[k][j][d] = found && i >= 0 ? syn_result_series(res, s)[i] : (double)NAN;
    }
  }
}

/* "(pg/mL)"; a dimensionless series ("1") shows no unit. */
static void print_marker_label(const demo_table *tb, size_t j) {
  const char *u = tb->units[j];
  int shown = u[0] && strcmp(u, "1") != 0;
  printf("%s%s%s%s\n", demo_markers[j].label, shown ? " (" : "", shown ? u : "", shown ? ")" : "");
}

static void print_markers(void *ctx, const syn_scenario *sc, const size_t *arms, size_t narms) {
  const demo_table *tb = ctx;
  static const char heading[] = "key biomarkers by arm";
  int w = (int)sizeof heading - 1;
  if (narms > DEMO_MAX_ARMS) narms = DEMO_MAX_ARMS;
  for (size_t k = 0; k < narms; k++) {
    int n = (int)strlen(syn_scenario_arm_name(sc, arms[k]));
    if (n + 2 > w) w = n + 2;
  }
  printf("%-*s", w, heading);
  for (size_t d = 0; d < DEMO_DAYS; d++) {
    char day[24];
    snprintf(day, sizeof day, "day %g", demo_days[d]);
    printf("  %13s", day);
  }
  putchar('\n');
  for (size_t j = 0; j < DEMO_MARKERS; j++) {
    print_marker_label(tb, j);
    double scale = 0; /* round-off of a state decaying to 0 (-3e-10 cells) reads 0 */
    for (size_t k = 0; k < narms; k++)
      for (size_t d = 0; d < DEMO_DAYS; d++) {
        double v = fabs(tb->value[k][j][d]);
        if (isfinite(v) && v > scale) scale = v;
      }
    for (size_t k = 0; k < narms; k++) {
      printf("  %-*s", w - 2, syn_scenario_arm_name(sc, arms[k]));
      for (size_t d = 0; d < DEMO_DAYS; d++) {
        double v = tb->value[k][j][d];
        if (isnan(v)) printf("  %13s", "n/a");
        else printf("  %13.4g", fabs(v) <= 1e-9 * scale ? 0.0 : v);
      }
      putchar('\n');
    }
  }
  putchar('\n');
}

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
  if (!cli_output_usable(out, NULL, 0)) return CLI_FAILED; /* before any file is made */
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
  a.output_shown = CLI_DEMO_OUTPUT; /* in the directory the user is in */
  demo_table *tb = calloc(1, sizeof *tb);
  if (tb == NULL) {
    fprintf(stderr, "synovia: error: out of memory\n");
    goto done;
  }
  run_hooks hooks = {tb, record_markers, print_markers};
  rc = run_scenario(&a, command_line, &hooks);
  free(tb);
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
