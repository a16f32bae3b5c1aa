/* synovia — unit tests of the sweep layer (src/sweep/sweep.c, eval.c, run.c,
 * designfile.c): loading the fixtures of tests/sweep/ (counts, names, units
 * and their time conversion, ranges, distribution texts, the configuration
 * hash), the load errors with their exact located messages (names, arms,
 * differences, the scenario, design files), evaluating samples (a logistic
 * closed form, failing samples, difference arms), shards (ranges and file
 * names), and whole serial runs read back from the file, interrupted and
 * resumed, and under allocation failures.
 *
 * Run from the repository root (the fixtures are opened by relative paths). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "synovia/h5sweep.h"
#include "synovia/sweep.h"
#include "sweep/sweep_internal.h"
#include "support/scratch.h"

static const double PI = 3.141592653589793;

/* ---- files ---------------------------------------------------------------------------- */

static int setup_dir(void **state) {
  (void)state;
  return scratch_setup("test_sweep");
}

/* Short names for the scratch folder's helpers (tests/support/scratch.h). */
static void write_file(const char *name, const char *text) { scratch_write(name, text); }
static const char *in_dir(const char *name) { return scratch_path(name); }

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* The text of a file (malloc'd). */
static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = malloc((size_t)n + 1);
  assert_non_null(text);
  assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
  text[n] = 0;
  fclose(f);
  return text;
}

/* <dir>/<name> into a buffer of the caller (for paths kept across calls). */
static const char *path_in(char *buf, size_t size, const char *name) {
  snprintf(buf, size, "%s/%s", scratch_dir(), name);
  return buf;
}

/* Copies tests/sweep/<name> into the temporary folder. */
static void copy_fixture(const char *name) {
  char path[256];
  snprintf(path, sizeof path, "tests/sweep/%s", name);
  char *text = read_text(path);
  write_file(name, text);
  free(text);
}

/* The Ishigami model with units declared on x1, x2, x3 (rates and a time on
 * the hour clock): a value written in another unit is converted to them. */
static void write_ishigami_with_units(const char *x1, const char *x2, const char *x3) {
  char *text = read_text("tests/sweep/ishigami.model"), buf[4096];
  const char *from[3] = {"param x1 = 0 ", "param x2 = 0 ", "param x3 = 0 "};
  const char *unit[3] = {x1, x2, x3};
  size_t len = 0;
  for (const char *p = text; *p;) {
    int k = 0;
    while (k < 3 && strncmp(p, from[k], strlen(from[k])) != 0) k++;
    if (k < 3) {
      len += (size_t)snprintf(buf + len, sizeof buf - len, "param x%d = 0 %s ", k + 1, unit[k]);
      p += strlen(from[k]);
    } else {
      buf[len++] = *p++;
    }
  }
  buf[len] = 0;
  write_file("ishigami.model", buf);
  free(text);
}

static void copy_growth(void) {
  copy_fixture("growth.model");
  copy_fixture("growth.scenario");
  copy_fixture("growth.sweep");
}

/* Removes a file, or a folder of files (a sweep's parts), if there. */
static void remove_tree(const char *path) {
  DIR *d = opendir(path);
  if (d == NULL) {
    unlink(path);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    char file[1024];
    snprintf(file, sizeof file, "%s/%s", path, e->d_name);
    assert_int_equal(unlink(file), 0);
  }
  closedir(d);
  assert_int_equal(rmdir(path), 0);
}

static syn_sweep *load_ok(const char *path) {
  syn_error err;
  syn_sweep *sw = NULL;
  syn_status st = syn_sweep_load(path, &sw, &err);
  if (st != SYN_OK) {
    char buf[4096];
    syn_error_format(&err, buf, sizeof buf);
    fprintf(stderr, "%s", buf);
  }
  assert_int_equal(st, SYN_OK);
  assert_non_null(sw);
  return sw;
}

/* ---- the fixtures ------------------------------------------------------------------------ */

static void test_load_ishigami(void **state) {
  (void)state;
  syn_sweep *sw = load_ok("tests/sweep/ishigami.sweep");
  assert_string_equal(syn_sweep_title(sw), "Sobol indices of the Ishigami function");
  assert_string_equal(syn_sweep_path(sw), "tests/sweep/ishigami.sweep");
  assert_non_null(strstr(syn_sweep_text(sw), "design saltelli 4096 seed 11\n"));
  assert_string_equal(syn_sweep_design_name(sw), "saltelli");
  assert_true(syn_sweep_seed(sw) == 11);
  assert_int_equal(syn_sweep_base_count(sw), 4096);
  assert_false(syn_sweep_second_order(sw));
  assert_int_equal(syn_sweep_count(sw), 4096 * (3 + 2));
  assert_int_equal(syn_sweep_param_count(sw), 3);
  const char *names[] = {"x1", "x2", "x3"};
  for (size_t j = 0; j < 3; j++) {
    double lo, hi;
    assert_string_equal(syn_sweep_param_name(sw, j), names[j]);
    assert_string_equal(syn_sweep_param_units(sw, j), "");
    assert_string_equal(syn_sweep_param_distribution(sw, j),
                        "uniform -3.141592653589793 3.141592653589793");
    syn_sweep_param_range(sw, j, &lo, &hi);
    assert_true(lo == -PI && hi == PI);
  }
  assert_int_equal(syn_sweep_arm_count(sw), 1);
  assert_string_equal(syn_sweep_arm_name(sw, 0), "f");
  assert_int_equal(syn_sweep_metric_count(sw), 1);
  assert_string_equal(syn_sweep_metric_name(sw, 0), "Y");
  assert_false(syn_sweep_keeps_trajectories(sw));
  assert_int_equal(syn_sweep_series_count(sw), 0);
  assert_int_equal(syn_sweep_time_count(sw), 2); /* 0 h to 1 h every 1 h */
  assert_true(syn_sweep_times(sw)[0] == 0 && syn_sweep_times(sw)[1] == 1);
  assert_string_equal(syn_scenario_title(syn_sweep_scenario(sw)),
                      "Ishigami function, evaluated once");
  assert_int_equal(strlen(syn_sweep_sha256(sw)), 64);
  assert_int_equal(strlen(syn_sweep_config_sha256(sw)), 64);
  assert_string_not_equal(syn_sweep_sha256(sw), syn_sweep_config_sha256(sw));

  /* SALib's row order: A, AB_1..AB_D, B per base row (stride D + 2) */
  double rows[5][3];
  syn_error err;
  for (size_t base = 0; base < 50; base += 7) {
    for (size_t k = 0; k < 5; k++)
      assert_int_equal(syn_sweep_params(sw, base * 5 + k, rows[k], &err), SYN_OK);
    for (size_t j = 0; j < 3; j++)
      for (size_t c = 0; c < 3; c++)
        assert_true(rows[1 + j][c] == (c == j ? rows[4][c] : rows[0][c]));
  }
  assert_int_equal(syn_sweep_params(sw, 20480, rows[0], &err), SYN_EINVAL);
  assert_string_equal(err.message, "sample 20480 is out of range (the sweep has 20480)");
  syn_sweep_destroy(sw);
}

static void test_load_sobol_g_and_growth(void **state) {
  (void)state;
  syn_sweep *sw = load_ok("tests/sweep/sobol_g.sweep");
  assert_int_equal(syn_sweep_param_count(sw), 6);
  assert_int_equal(syn_sweep_count(sw), 4096 * 8);
  assert_true(syn_sweep_seed(sw) == 5);
  for (size_t j = 0; j < 6; j++) {
    char name[8];
    double lo, hi;
    snprintf(name, sizeof name, "x%zu", j + 1);
    assert_string_equal(syn_sweep_param_name(sw, j), name);
    assert_string_equal(syn_sweep_param_distribution(sw, j), "uniform 0 1");
    syn_sweep_param_range(sw, j, &lo, &hi);
    assert_true(lo == 0 && hi == 1);
  }
  assert_string_equal(syn_sweep_arm_name(sw, 0), "g");
  assert_string_equal(syn_sweep_metric_name(sw, 0), "G");
  syn_sweep_destroy(sw);

  /* growth: a day-clock model, `/d` kept as written and not scaled */
  sw = load_ok("tests/sweep/growth.sweep");
  assert_string_equal(syn_sweep_design_name(sw), "lhs");
  assert_int_equal(syn_sweep_count(sw), 60);
  assert_int_equal(syn_sweep_base_count(sw), 60);
  assert_true(syn_sweep_seed(sw) == 3);
  assert_int_equal(syn_sweep_param_count(sw), 2);
  assert_string_equal(syn_sweep_param_name(sw, 0), "r");
  assert_string_equal(syn_sweep_param_units(sw, 0), "/d");
  assert_string_equal(syn_sweep_param_distribution(sw, 0), "uniform -0.1 2 /d");
  assert_string_equal(syn_sweep_param_name(sw, 1), "K");
  assert_string_equal(syn_sweep_param_units(sw, 1), "");
  assert_string_equal(syn_sweep_param_distribution(sw, 1), "loguniform 2 50");
  double lo, hi;
  syn_sweep_param_range(sw, 0, &lo, &hi);
  assert_true(lo == -0.1 && hi == 2);
  syn_sweep_param_range(sw, 1, &lo, &hi);
  assert_true(lo == 2 && hi == 50);
  assert_int_equal(syn_sweep_arm_count(sw), 2);
  assert_string_equal(syn_sweep_arm_name(sw, 0), "slow");
  assert_string_equal(syn_sweep_arm_name(sw, 1), "fast");
  assert_int_equal(syn_sweep_metric_count(sw), 2);
  assert_string_equal(syn_sweep_metric_name(sw, 0), "N_end");
  assert_string_equal(syn_sweep_metric_name(sw, 1), "N_auc");
  assert_int_equal(syn_sweep_time_count(sw), 11);
  /* every sample inside its range; the LHS strata of r each hit once */
  int strata[60] = {0};
  syn_error err;
  for (size_t i = 0; i < 60; i++) {
    double x[2];
    assert_int_equal(syn_sweep_params(sw, i, x, &err), SYN_OK);
    assert_true(x[0] >= -0.1 && x[0] <= 2 && x[1] >= 2 && x[1] <= 50);
    int s = (int)floor((x[0] + 0.1) / 2.1 * 60);
    assert_true(s >= 0 && s < 60);
    strata[s]++;
  }
  for (int s = 0; s < 60; s++) assert_int_equal(strata[s], 1);
  syn_sweep_destroy(sw);

  sw = load_ok("tests/sweep/morris_linear.sweep");
  assert_string_equal(syn_sweep_design_name(sw), "morris");
  assert_int_equal(syn_sweep_count(sw), 20 * 4);
  syn_sweep_destroy(sw);
  syn_sweep_destroy(NULL);
}

/* Units of time are converted to the model's clock: `/d` on an hour clock is
 * /24, `h` is 1, and a lognormal's unit shifts its mu by log(factor). */
static void test_units_hour_clock(void **state) {
  (void)state;
  write_ishigami_with_units("/h", "h", "/h");
  copy_fixture("ishigami.scenario");
  write_file("h.sweep", "scenario \"ishigami.scenario\"\n"
                        "design random 200 seed 1\n"
                        "vary x1 uniform 24 48 /d\n"
                        "vary x2 uniform 2 h 3 h\n"
                        "vary x3 lognormal 0 0.5 /d within 0.5 /d 2 /d\n"
                        "vary a  normal 1 2 within -1 3\n");
  syn_sweep *sw = load_ok(in_dir("h.sweep"));
  double lo, hi;
  assert_string_equal(syn_sweep_param_units(sw, 0), "/h"); /* the label of the clock values */
  assert_string_equal(syn_sweep_param_distribution(sw, 0), "uniform 24 48 /d");
  syn_sweep_param_range(sw, 0, &lo, &hi);
  assert_true(fabs(lo - 1) < 1e-15 && fabs(hi - 2) < 1e-15);
  assert_string_equal(syn_sweep_param_units(sw, 1), "h");
  syn_sweep_param_range(sw, 1, &lo, &hi);
  assert_true(lo == 2 && hi == 3);
  assert_string_equal(syn_sweep_param_units(sw, 2), "/h");
  assert_string_equal(syn_sweep_param_distribution(sw, 2),
                      "lognormal 0 0.5 /d within 0.5 /d 2 /d");
  syn_sweep_param_range(sw, 2, &lo, &hi);
  assert_true(fabs(lo - 0.5 / 24) < 1e-15 && fabs(hi - 2.0 / 24) < 1e-15);
  assert_string_equal(syn_sweep_param_units(sw, 3), "");
  assert_string_equal(syn_sweep_param_distribution(sw, 3), "normal 1 2 within -1 3");
  syn_sweep_param_range(sw, 3, &lo, &hi);
  assert_true(lo == -1 && hi == 3);
  /* the samples: x1 in [1, 2] /h; x3 = e^N(0, 0.5) per day = that / 24 per hour,
   * truncated to [0.5, 2] per day */
  syn_error err;
  double sum_log = 0;
  size_t n = syn_sweep_count(sw);
  for (size_t i = 0; i < n; i++) {
    double x[4];
    assert_int_equal(syn_sweep_params(sw, i, x, &err), SYN_OK);
    assert_true(x[0] >= 1 && x[0] <= 2);
    assert_true(x[1] >= 2 && x[1] <= 3);
    assert_true(x[2] >= 0.5 / 24 && x[2] <= 2.0 / 24);
    assert_true(x[3] >= -1 && x[3] <= 3);
    sum_log += log(x[2] * 24);
  }
  /* the mean of log(24 x3) is 0 (a truncation symmetric in log space) */
  assert_true(fabs(sum_log / (double)n) < 3 * 0.5 / sqrt((double)n));
  syn_sweep_destroy(sw);
}

/* The units of a parameter are those of its values (the file's param_units
 * is "units of param_value"): read back with them, a value means the same
 * quantity, so on an hour clock a rate written per day is labelled per hour. */
static void test_units_label_the_values(void **state) {
  (void)state;
  write_ishigami_with_units("/h", "h", "mg/h");
  copy_fixture("ishigami.scenario");
  write_file("h.sweep", "scenario \"ishigami.scenario\"\ndesign random 10 seed 1\n"
                        "vary x1 uniform 24 48 /d\nvary x2 uniform 30 90 min\n"
                        "vary x3 uniform 1 2 mg/d\n");
  syn_sweep *sw = load_ok(in_dir("h.sweep"));
  const syn_model *m = syn_scenario_model(syn_sweep_scenario(sw));
  const double clock_lo[3] = {1, 0.5, 1.0 / 24}; /* 24 /d, 30 min, 1 mg/d in h */
  int converted = 1, labelled = 1;
  for (size_t j = 0; j < 3; j++) {
    double lo, hi, back = NAN;
    syn_sweep_param_range(sw, j, &lo, &hi);
    converted &= fabs(lo - clock_lo[j]) < 1e-15;
    char text[128];
    snprintf(text, sizeof text, "%.17g %s", lo, syn_sweep_param_units(sw, j));
    syn_error err;
    converted &= syn_model_parse_value(m, text, &back, &err) == SYN_OK;
    if (!(fabs(back - lo) <= 1e-15)) {
      fprintf(stderr, "parameter %s: the value %g is labelled '%s', which reads as %g\n",
              syn_sweep_param_name(sw, j), lo, syn_sweep_param_units(sw, j), back);
      labelled = 0;
    }
  }
  syn_sweep_destroy(sw);
  assert_true(converted);
  assert_true(labelled);
}

/* A run's configuration hash tells the model's state tolerances (cells:
 * SYN_CELLS_ATOL) from an atol the user gives with the same value, which
 * replaces them and gives other rows; a model without any hashes the same
 * either way. */
static void test_config_hash_state_tolerances(void **state) {
  (void)state;
  write_file("cells.model", "time unit d\nparam r = 0.5 /d\nstate N = 1e6 cells\nd/dt N = -r * N\n");
  write_file("cells.scenario", "model \"cells.model\"\nsimulate 0 d to 10 d every 1 d\n"
                               "arm \"a\"\nmetric N_end = at(N, 10 d)\n");
  write_file("cells.sweep", "scenario \"cells.scenario\"\ndesign lhs 4 seed 3\n"
                            "vary r uniform 0.1 1 /d\n");
  copy_growth();
  const char *paths[2] = {in_dir("cells.sweep"), in_dir("growth.sweep")};
  for (int k = 0; k < 2; k++) {
    syn_sweep *sw = load_ok(paths[k]);
    syn_solver_opts model, given;
    syn_solver_opts_default(&model);
    given = model;
    assert_int_equal(syn_solver_setting_apply(&given, SYN_SETTING_ATOL, "1e-9", NULL), SYN_OK);
    char h_model[SYN_SHA256_HEX], h_given[SYN_SHA256_HEX];
    char *t_model = NULL, *t_given = NULL;
    assert_int_equal(sweep_run_config(sw, &model, h_model, &t_model, NULL), SYN_OK);
    assert_int_equal(sweep_run_config(sw, &given, h_given, &t_given, NULL), SYN_OK);
    if (k == 0) assert_string_not_equal(h_model, h_given);
    else assert_string_equal(h_model, h_given);
    /* the text says why: the state's own tolerance, in its unit */
    if (k == 0) assert_non_null(strstr(t_model, "; state atol N 0.001 cells"));
    assert_null(strstr(t_given, "state atol"));
    syn_free(t_model);
    syn_free(t_given);
    syn_sweep_destroy(sw);
  }
}

/* The configuration records the linear solver asked for and the one `auto`
 * resolves to (a dense model here: `linsol auto used dense`), and the
 * per-state tolerances of the sweep's `atol` lines and of a caller's vector;
 * another per-state override is another configuration. */
static void test_config_records_solver(void **state) {
  (void)state;
  write_file("cells.model", "time unit d\nparam r = 0.5 /d\nstate N = 1e6 cells\n"
                            "state M = 1 mg/L\nd/dt N = -r * N\nd/dt M = -r * M\n");
  write_file("cells.scenario", "model \"cells.model\"\nsimulate 0 d to 10 d every 1 d\n"
                               "arm \"a\"\nmetric N_end = at(N, 10 d)\n");
  write_file("cells.sweep", "scenario \"cells.scenario\"\ndesign lhs 4 seed 3\n"
                            "vary r uniform 0.1 1 /d\natol M = 2 ug/L\n");
  syn_sweep *sw = load_ok(in_dir("cells.sweep"));
  syn_solver_opts o;
  syn_sweep_solver_opts(sw, &o);
  char h0[SYN_SHA256_HEX], h1[SYN_SHA256_HEX], h2[SYN_SHA256_HEX];
  char *t0 = NULL, *t1 = NULL, *t2 = NULL;
  assert_int_equal(sweep_run_config(sw, &o, h0, &t0, NULL), SYN_OK);
  assert_string_equal(h0, syn_sweep_config_sha256(sw));
  assert_non_null(strstr(t0, "linsol auto used dense"));
  assert_non_null(strstr(t0, "; state atol N 0.001 cells; state atol M 0.002 mg/L"));
  double v[2] = {5, 0.002};
  o.atol_vec = v;
  assert_int_equal(sweep_run_config(sw, &o, h1, &t1, NULL), SYN_OK);
  assert_non_null(strstr(t1, "; state atol N 5 cells"));
  assert_string_not_equal(h0, h1);
  o.linsol = SYN_LINSOL_KLU;
  assert_int_equal(sweep_run_config(sw, &o, h2, &t2, NULL), SYN_OK);
  assert_non_null(strstr(t2, "linsol klu used klu"));
  syn_free(t0);
  syn_free(t1);
  syn_free(t2);
  syn_sweep_destroy(sw);
}

/* The configuration hash follows every text that decides the rows: the
 * sweep, the scenario and the model; not the output (nor where the files are). */
static void test_config_hash(void **state) {
  (void)state;
  copy_growth();
  syn_sweep *sw = load_ok(in_dir("growth.sweep"));
  char h0[65], s0[65];
  snprintf(h0, sizeof h0, "%s", syn_sweep_config_sha256(sw));
  snprintf(s0, sizeof s0, "%s", syn_sweep_sha256(sw));
  syn_sweep_destroy(sw);

  /* the same texts elsewhere: the same hash */
  sw = load_ok("tests/sweep/growth.sweep");
  assert_string_equal(syn_sweep_config_sha256(sw), h0);
  assert_string_equal(syn_sweep_sha256(sw), s0);
  syn_sweep_destroy(sw);

  /* the scenario changes (only a comment): another configuration, same sweep text */
  char *scn = read_text("tests/sweep/growth.scenario");
  char *changed = malloc(strlen(scn) + 32);
  assert_non_null(changed);
  sprintf(changed, "%s# changed\n", scn);
  write_file("growth.scenario", changed);
  sw = load_ok(in_dir("growth.sweep"));
  assert_string_not_equal(syn_sweep_config_sha256(sw), h0);
  assert_string_equal(syn_sweep_sha256(sw), s0);
  char h1[65];
  snprintf(h1, sizeof h1, "%s", syn_sweep_config_sha256(sw));
  syn_sweep_destroy(sw);
  write_file("growth.scenario", scn);
  free(changed);
  free(scn);

  /* the model changes */
  char *model = read_text("tests/sweep/growth.model");
  changed = malloc(strlen(model) + 32);
  assert_non_null(changed);
  sprintf(changed, "%s# changed\n", model);
  write_file("growth.model", changed);
  sw = load_ok(in_dir("growth.sweep"));
  assert_string_not_equal(syn_sweep_config_sha256(sw), h0);
  assert_string_not_equal(syn_sweep_config_sha256(sw), h1);
  syn_sweep_destroy(sw);
  write_file("growth.model", model);
  free(changed);
  free(model);

  /* the sweep changes */
  write_file("g2.sweep", "scenario \"growth.scenario\"\ndesign lhs 60 seed 4\n"
                         "vary r uniform -0.1 2 /d\nvary K loguniform 2 50\n");
  sw = load_ok(in_dir("g2.sweep"));
  assert_string_not_equal(syn_sweep_config_sha256(sw), h0);
  assert_string_not_equal(syn_sweep_sha256(sw), s0);
  syn_sweep_destroy(sw);

  /* restored texts: the first hash again */
  sw = load_ok(in_dir("growth.sweep"));
  assert_string_equal(syn_sweep_config_sha256(sw), h0);

  /* two runs into different outputs record the same configuration */
  char outs[2][512];
  path_in(outs[0], sizeof outs[0], "a.h5");
  path_in(outs[1], sizeof outs[1], "sub.b.h5");
  for (int k = 0; k < 2; k++) {
    syn_sweep_run_opts o;
    syn_sweep_run_opts_default(&o);
    o.out_path = outs[k];
    o.n_boot = 10;
    syn_error err;
    assert_int_equal(syn_sweep_run(sw, &o, NULL, &err), SYN_OK);
    syn_h5sweep_reader *rd = NULL;
    assert_int_equal(syn_h5sweep_open(outs[k], &rd, &err), SYN_OK);
    assert_string_equal(syn_h5sweep_reader_spec(rd)->config_sha256, h0);
    assert_string_equal(syn_h5sweep_reader_spec(rd)->sweep_sha256, s0);
    syn_h5sweep_reader_destroy(rd);
  }

  /* another rtol: another configuration (--resume and merge refuse to mix them) */
  syn_solver_opts so;
  syn_solver_opts_default(&so);
  so.rtol = 1e-3;
  syn_sweep_run_opts o;
  syn_sweep_run_opts_default(&o);
  o.out_path = outs[0];
  o.n_boot = 10;
  o.solver = &so;
  syn_error err;
  unlink(outs[0]);
  assert_int_equal(syn_sweep_run(sw, &o, NULL, &err), SYN_OK);
  syn_h5sweep_reader *rd = NULL;
  assert_int_equal(syn_h5sweep_open(outs[0], &rd, &err), SYN_OK);
  assert_string_not_equal(syn_h5sweep_reader_spec(rd)->config_sha256, h0);
  syn_h5sweep_reader_destroy(rd);
  syn_sweep_destroy(sw);
}

/* ---- load errors ------------------------------------------------------------------------ */

/* Loading `text` (written as <dir>/b.sweep beside a copy of the growth files)
 * fails with exactly `want` as syn_error_format renders it, after "<dir>/"
 * when it starts with "b.sweep:" or "d.csv" or "error: <dir>/". */
static void load_fails(const char *text, const char *want) {
  write_file("b.sweep", text);
  syn_error err;
  syn_sweep *sw = (syn_sweep *)&err; /* must be reset to NULL */
  syn_status st = syn_sweep_load(in_dir("b.sweep"), &sw, &err);
  assert_int_not_equal(st, SYN_OK);
  assert_null(sw);
  char got[4096], full[4096];
  syn_error_format(&err, got, sizeof got);
  /* "@" in `want` stands for the temporary folder */
  size_t k = 0;
  for (const char *p = want; *p && k + 300 < sizeof full; p++) {
    if (*p == '@') k += (size_t)snprintf(full + k, sizeof full - k, "%s", scratch_dir());
    else full[k++] = *p;
  }
  full[k] = 0;
  if (strcmp(got, full) != 0) fprintf(stderr, "got:\n%swant:\n%s", got, full);
  assert_string_equal(got, full);
}

#define SCN "scenario \"growth.scenario\"\n"

static void test_load_errors_names(void **state) {
  (void)state;
  copy_growth();
  load_fails(SCN "design random 5\nvary rr uniform 0 1\n",
             "@/b.sweep:3:6: error: unknown name 'rr' (did you mean 'r'?)\n"
             "  vary rr uniform 0 1\n"
             "       ^~\n");
  load_fails(SCN "design random 5\nvary r uniform 0 1\nmetrics N_end N_ed\n",
             "@/b.sweep:4:15: error: the scenario has no metric 'N_ed' (did you mean 'N_end'?)\n"
             "  metrics N_end N_ed\n"
             "                ^~~~\n"
             "  hint: its metrics: N_end, N_auc\n");
  load_fails(SCN "design random 5\nvary r uniform 0 1\nmetrics volume\n",
             "@/b.sweep:4:9: error: the scenario has no metric 'volume'\n"
             "  metrics volume\n"
             "          ^~~~~~\n"
             "  hint: its metrics: N_end, N_auc\n");
  load_fails(SCN "design random 5\nvary r uniform 0 1\narms fast \"slw\"\n",
             "@/b.sweep:4:11: error: unknown arm 'slw' (did you mean 'slow'?)\n"
             "  arms fast \"slw\"\n"
             "            ^~~~~\n"
             "  hint: the scenario's arms: slow, fast\n");
  load_fails("scenario \"nowhere.scenario\"\ndesign random 5\nvary r uniform 0 1\n",
             "@/b.sweep:1:10: error: cannot read the scenario '@/nowhere.scenario': cannot open "
             "'@/nowhere.scenario': No such file or directory\n"
             "  scenario \"nowhere.scenario\"\n"
             "           ^~~~~~~~~~~~~~~~~~\n"
             "  hint: the path is relative to the sweep file's folder\n");
  /* the scenario's own errors stay located in the scenario */
  write_file("bad.scenario", "scenario \"x\"\nmodel \"growth.model\"\n"
                             "simulate 0 d to 10 d every 1 d\narm a\nmetric m = at(Q, 1 d)\n");
  write_file("b.sweep", "scenario \"bad.scenario\"\ndesign random 5\nvary r uniform 0 1\n");
  syn_error err;
  syn_sweep *sw = NULL;
  assert_int_not_equal(syn_sweep_load(in_dir("b.sweep"), &sw, &err), SYN_OK);
  assert_string_equal(err.file, in_dir("bad.scenario"));
  assert_int_equal(err.line, 5);
  /* a bad distribution, located at the distribution */
  load_fails(SCN "design random 5\nvary K loguniform 0 1\n",
             "@/b.sweep:3:8: error: K: loguniform 0 1 needs 0 < a < b\n"
             "  vary K loguniform 0 1\n"
             "         ^~~~~~~~~~\n");
  /* a syntax error comes from the parser, with its location */
  load_fails(SCN "design random 5\nvary r uniform 0\n",
             "@/b.sweep:3:8: error: 'uniform' takes two numbers (low and high), found one\n"
             "  vary r uniform 0\n"
             "         ^~~~~~~\n");
  assert_int_equal(syn_sweep_load(in_dir("none.sweep"), &sw, &err), SYN_EIO);
  assert_null(sw);
  assert_int_equal(syn_sweep_load(NULL, &sw, &err), SYN_EINVAL);
}

static void test_load_errors_difference(void **state) {
  (void)state;
  copy_growth();
  load_fails(SCN "design random 5\nvary r uniform 0 1\narms slow\ndifference fast slow\n",
             "@/b.sweep:5:12: error: the arm 'fast' is not among the sweep's arms\n"
             "  difference fast slow\n"
             "             ^~~~\n"
             "  hint: add it to the `arms` line\n");
  load_fails(SCN "design random 5\nvary r uniform 0 1\narms \"slow\"\ndifference \"slow\" fast\n",
             "@/b.sweep:5:19: error: the arm 'fast' is not among the sweep's arms\n"
             "  difference \"slow\" fast\n"
             "                    ^~~~\n"
             "  hint: add it to the `arms` line\n");
  load_fails(SCN "design random 5\nvary r uniform 0 1\ndifference fast slo\n",
             "@/b.sweep:4:17: error: unknown arm 'slo' (did you mean 'slow'?)\n"
             "  difference fast slo\n"
             "                  ^~~\n"
             "  hint: the scenario's arms: slow, fast\n");
  load_fails(SCN "design random 5\nvary r uniform 0 1\ndifference fast fast\n",
             "@/b.sweep:4:17: error: the difference of an arm with itself is zero\n"
             "  difference fast fast\n"
             "                  ^~~~\n");
  load_fails(SCN "design random 5\nvary r uniform 0 1\ndifference fast slow\n"
                 "difference \"fast\" \"slow\"\n",
             "@/b.sweep:5:1: error: this difference is already listed\n"
             "  difference \"fast\" \"slow\"\n"
             "  ^~~~~~~~~~\n");
  /* both orders are different arms */
  write_file("b.sweep", SCN "design random 5\nvary r uniform 0 1\ndifference fast slow\n"
                            "difference slow fast\n");
  syn_sweep *sw = load_ok(in_dir("b.sweep"));
  assert_int_equal(syn_sweep_arm_count(sw), 4);
  assert_string_equal(syn_sweep_arm_name(sw, 2), "fast - slow");
  assert_string_equal(syn_sweep_arm_name(sw, 3), "slow - fast");
  syn_sweep_destroy(sw);
}

/* Issue 12 point 15: a sweep loaded for a dry run has every check and count
 * of a full load, but no design built, and cannot be run by mistake. */
static void test_load_plan(void **state) {
  (void)state;
  copy_growth();
  write_file("b.sweep", SCN "design lhs 1000000000\nvary r uniform 0 1\nvary K uniform 5 20\n");
  syn_sweep *sw = NULL;
  syn_error err;
  long before = syn_alloc_test_count();
  assert_int_equal(syn_sweep_load_plan(in_dir("b.sweep"), &sw, &err), SYN_OK);
  assert_true(syn_alloc_test_count() - before < 10000); /* not 2e9 permutation entries */
  assert_true(syn_sweep_is_plan(sw));
  assert_int_equal(syn_sweep_count(sw), 1000000000);
  double x[2];
  assert_int_equal(syn_sweep_params(sw, 0, x, &err), SYN_EINVAL);
  syn_sweep_eval *ev = NULL;
  assert_int_equal(syn_sweep_eval_create(sw, NULL, &ev, &err), SYN_EINVAL);
  assert_null(ev);
  syn_sweep_run_opts o;
  syn_sweep_run_opts_default(&o);
  o.out_path = in_dir("plan.h5");
  assert_int_not_equal(syn_sweep_run(sw, &o, NULL, &err), SYN_OK);
  assert_int_equal(access(in_dir("plan.h5"), F_OK), -1);
  assert_int_equal(access(in_dir("plan.h5.parts"), F_OK), -1);
  syn_sweep_destroy(sw);
  /* the limit is checked by both loads before anything is built */
  write_file("b.sweep", SCN "design lhs 1000000001\nvary r uniform 0 1\n");
  before = syn_alloc_test_count();
  assert_int_equal(syn_sweep_load(in_dir("b.sweep"), &sw, &err), SYN_EINPUT);
  assert_string_equal(err.message, "the design has 1000000001 samples: at most 1000000000 are "
                                   "supported");
  assert_true(syn_alloc_test_count() - before < 10000);
  assert_int_equal(syn_sweep_load_plan(in_dir("b.sweep"), &sw, &err), SYN_EINPUT);
  /* a small one loaded fully runs as before */
  write_file("b.sweep", SCN "design lhs 4\nvary r uniform 0 1\n");
  sw = load_ok(in_dir("b.sweep"));
  assert_false(syn_sweep_is_plan(sw));
  assert_int_equal(syn_sweep_params(sw, 3, x, &err), SYN_OK);
  syn_sweep_destroy(sw);
}

/* Issue 12 point 17: the name of a difference ("a - b") must not be an arm's
 * the sweep runs, nor another difference's: the result has one group per
 * arm (it failed after the samples, without a location). */
static void test_load_errors_difference_names(void **state) {
  (void)state;
  copy_growth();
  write_file("n.scenario", "model \"growth.model\"\nsimulate 0 d to 10 d every 1 d\n"
                           "arm \"a\"\narm \"b\"\narm \"a - b\"\narm \"b - c\"\narm \"c\"\n"
                           "metric N_end = at(N, 10 d)\n");
  load_fails("scenario \"n.scenario\"\ndesign random 5\nvary r uniform 0 1\n"
             "difference \"a\" \"b\"\n",
             "@/b.sweep:4:1: error: this difference is named 'a - b', like an arm of the scenario "
             "the sweep runs\n"
             "  difference \"a\" \"b\"\n"
             "  ^~~~~~~~~~\n"
             "  hint: rename the scenario's arm 'a - b': the result has one group per arm\n");
  load_fails("scenario \"n.scenario\"\ndesign random 5\nvary r uniform 0 1\n"
             "arms \"a - b\" \"c\" \"a\" \"b - c\"\n"
             "difference \"a - b\" \"c\"\ndifference \"a\" \"b - c\"\n",
             "@/b.sweep:6:1: error: this difference is named 'a - b - c', like the difference on "
             "line 5\n"
             "  difference \"a\" \"b - c\"\n"
             "  ^~~~~~~~~~\n"
             "  hint: rename one of the scenario's arms they use: the result has one group per "
             "arm\n");
  /* the arm "a - b" not run: no clash in the result */
  write_file("b.sweep", "scenario \"n.scenario\"\ndesign random 5\nvary r uniform 0 1\n"
                        "arms \"a\" \"b\"\ndifference \"a\" \"b\"\n");
  syn_sweep *sw = load_ok(in_dir("b.sweep"));
  assert_string_equal(syn_sweep_arm_name(sw, 2), "a - b");
  syn_sweep_destroy(sw);
}

/* Issue 12 point 7: a compartment's size must stay positive, so a vary whose
 * range reaches 0 or below, or a design file column with such a value, is
 * refused at load and names the compartment. */
static void test_load_errors_compartment(void **state) {
  (void)state;
  write_file("cpt.model", "time unit h\ncompartment V = 2 L\nstate A = 1 mg\nd/dt A = -A / V\n"
                          "output C = A / V\n");
  write_file("cpt.scenario", "model \"cpt.model\"\nsimulate 0 h to 2 h every 1 h\narm a\n"
                             "metric C_max = max(C)\n");
  load_fails("scenario \"cpt.scenario\"\ndesign random 5\nvary V uniform -1 3\n",
             "@/b.sweep:3:6: error: compartment 'V' must have a positive size (found -1)\n"
             "  vary V uniform -1 3\n"
             "       ^\n"
             "  hint: 'uniform -1 3' reaches -1\n");
  load_fails("scenario \"cpt.scenario\"\ndesign grid\nvary V uniform 0 3 levels 3\n",
             "@/b.sweep:3:6: error: compartment 'V' must have a positive size (found 0)\n"
             "  vary V uniform 0 3 levels 3\n"
             "       ^\n"
             "  hint: 'uniform 0 3' reaches 0\n");
  write_file("d.csv", "V\n2\n-0.5\n3\n");
  load_fails("scenario \"cpt.scenario\"\ndesign file \"d.csv\"\n",
             "error: @/d.csv:1: column 'V': compartment 'V' must have a positive size (found "
             "-0.5)\n");
  write_file("b.sweep", "scenario \"cpt.scenario\"\ndesign random 5\nvary V loguniform 0.5 3\n");
  syn_sweep *sw = load_ok(in_dir("b.sweep"));
  syn_sweep_destroy(sw);
}

/* A design file `csv` with the sweep `design file "d.csv"` fails with `want`. */
static void csv_fails(const char *csv, const char *want) {
  write_file("d.csv", csv);
  load_fails(SCN "design file \"d.csv\"\n", want);
}

static void test_load_errors_design_file(void **state) {
  (void)state;
  copy_growth();
  /* an empty file is refused by the source loader, at the file */
  csv_fails("", "@/d.csv: error: file is empty\n");
  csv_fails("# only a comment\n\n", "error: @/d.csv:3: the design file is empty: it needs a "
                                    "header line\n");
  csv_fails("r,K\n", "error: @/d.csv:2: the design file has a header but no rows\n");
  csv_fails("r,K\n# no rows\n\n",
            "error: @/d.csv:4: the design file has a header but no rows\n");
  csv_fails("r,0.5\n1,2\n", "error: @/d.csv:1: the first line must name the parameters, found "
                            "the number '0.5'\n");
  csv_fails("r, \"r\"\n1,2\n", "error: @/d.csv:1: the parameter 'r' is named twice\n");
  csv_fails(",K\n1,2\n", "error: @/d.csv:1: column 1 of the header has no name\n");
  csv_fails("r,K\n1,2\n3\n", "error: @/d.csv:3: 1 values for 2 columns\n");
  csv_fails("r,K\n1,2\n3,4,5\n", "error: @/d.csv:3: 3 values for 2 columns\n");
  csv_fails("r,K\n1,x\n", "error: @/d.csv:2: column 'K': 'x' is not a finite decimal number\n");
  csv_fails("r,K\n1,2\n\n# gap\n1,nan\n",
            "error: @/d.csv:5: column 'K': 'nan' is not a finite decimal number\n");
  csv_fails("r,K\n1,\n", "error: @/d.csv:2: column 'K': '' is not a finite decimal number\n");
  csv_fails("r,K\n1e999,2\n", "error: @/d.csv:2: column 'r': '1e999' is not a finite decimal number\n");
  /* decimal only, as the language (issue 12, point 7): hex and inf/nan spellings are refused */
  static const char *const not_decimal[] = {"0x10", "0x1p-1", "0X1P3", "inf", "-inf", "INF",
                                            "infinity", "Infinity", "NaN", "nan(0)", "1e", "1,5"};
  for (size_t i = 0; i < sizeof not_decimal / sizeof *not_decimal; i++) {
    char csv[64], want[160];
    if (strchr(not_decimal[i], ',')) continue; /* a comma is a separator: covered by the counts */
    snprintf(csv, sizeof csv, "r,K\n1,%s\n", not_decimal[i]);
    snprintf(want, sizeof want, "error: @/d.csv:2: column 'K': '%s' is not a finite decimal number\n",
             not_decimal[i]);
    csv_fails(csv, want);
  }
  /* a header of hex is not taken for a number either: it is an unknown name */
  csv_fails("r,0x10\n1,2\n", "error: @/d.csv:1: column '0x10': unknown name '0x10'\n");
  csv_fails("r,Kx\n1,2\n",
            "error: @/d.csv:1: column 'Kx': unknown name 'Kx' (did you mean 'K'?)\n");
  /* the header's own line, after comments and blank lines */
  csv_fails("# a population\n\nr,Kx\n1,2\n",
            "error: @/d.csv:3: column 'Kx': unknown name 'Kx' (did you mean 'K'?)\n");
  load_fails(SCN "design file \"nowhere.csv\"\n",
             "@/b.sweep:2:13: error: cannot open '@/nowhere.csv': No such file or directory\n"
             "  design file \"nowhere.csv\"\n"
             "              ^~~~~~~~~~~~~\n");

  /* a good one: a byte-order mark (a spreadsheet's), quoted, padded names, CRLF, comments;
   * values as written */
  write_file("d.csv",
             "\xEF\xBB\xBF# virtual population\r\n\"K\" , r\r\n\r\n20, 0.5\r\n 3,1.5 \r\n# end\r\n");
  write_file("b.sweep", SCN "design file \"d.csv\"\n");
  syn_sweep *sw = load_ok(in_dir("b.sweep"));
  assert_string_equal(syn_sweep_design_name(sw), "file");
  assert_int_equal(syn_sweep_count(sw), 2);
  assert_int_equal(syn_sweep_base_count(sw), 0);
  assert_int_equal(syn_sweep_param_count(sw), 2);
  assert_string_equal(syn_sweep_param_name(sw, 0), "K");
  assert_string_equal(syn_sweep_param_name(sw, 1), "r");
  assert_string_equal(syn_sweep_param_distribution(sw, 0), "design file");
  double lo, hi, x[2];
  syn_sweep_param_range(sw, 0, &lo, &hi);
  assert_true(lo == 3 && hi == 20);
  syn_sweep_param_range(sw, 1, &lo, &hi);
  assert_true(lo == 0.5 && hi == 1.5);
  syn_error err;
  assert_int_equal(syn_sweep_params(sw, 1, x, &err), SYN_OK);
  assert_true(x[0] == 3 && x[1] == 1.5);
  syn_sweep_destroy(sw);
  /* the mark right before the header: the first column is still 'K' */
  write_file("d.csv", "\xEF\xBB\xBF" "K,r\n20,0.5\n");
  sw = load_ok(in_dir("b.sweep"));
  assert_string_equal(syn_sweep_param_name(sw, 0), "K");
  syn_sweep_destroy(sw);
}

/* ---- evaluating samples ----------------------------------------------------------------- */

/* The logistic N' = c N (1 - N/K), N(0) = 1: N(10) and its integral over [0, 10]. */
static double logistic_end(double c, double K) {
  return K / (1 + (K - 1) * exp(-c * 10));
}
static double logistic_auc(double c, double K) {
  return K / c * log(1 + (exp(c * 10) - 1) / K);
}

static syn_sweep_eval *eval_create(const syn_sweep *sw) {
  syn_solver_opts o;
  syn_solver_opts_default(&o);
  o.rtol = 1e-10;
  o.atol = 1e-12;
  syn_sweep_eval *ev = NULL;
  syn_error err;
  assert_int_equal(syn_sweep_eval_create(sw, &o, &ev, &err), SYN_OK);
  return ev;
}

static void close_to(double got, double want, double rel) {
  if (!(fabs(got - want) <= rel * fabs(want))) fprintf(stderr, "got %.17g, want %.17g\n", got, want);
  assert_true(fabs(got - want) <= rel * fabs(want));
}

static void test_eval_growth(void **state) {
  (void)state;
  syn_sweep *sw = load_ok("tests/sweep/growth.sweep");
  syn_sweep_eval *ev = eval_create(sw);
  syn_error err;
  size_t nok = 0, nbad = 0;
  const double speed[2] = {0.5, 1}; /* slow, fast */
  for (size_t i = 0; i < syn_sweep_count(sw); i++) {
    syn_sweep_sample s;
    assert_int_equal(syn_sweep_eval_sample(ev, i, &s, &err), SYN_OK);
    assert_int_equal(s.index, i);
    assert_null(s.traj);
    double r = s.params[0], K = s.params[1];
    if (r >= 0) {
      nok++;
      assert_int_equal(s.status, SYN_SWEEP_OK);
      assert_string_equal(s.reason, "");
      for (size_t a = 0; a < 2; a++) {
        double c = speed[a] * sqrt(r);
        close_to(s.metrics[a * 2 + 0], logistic_end(c, K), 1e-6);
        if (c > 0) close_to(s.metrics[a * 2 + 1], logistic_auc(c, K), 1e-6);
      }
    } else {
      nbad++;
      assert_int_equal(s.status, SYN_SWEEP_NONFINITE);
      assert_true(strncmp(s.reason, "arm 'slow': ", 12) == 0);
      for (size_t k = 0; k < 4; k++) assert_true(isnan(s.metrics[k]));
    }
  }
  assert_true(nok > 0 && nbad > 0);
  syn_sweep_sample s;
  assert_int_equal(syn_sweep_eval_sample(ev, 60, &s, &err), SYN_EINVAL);
  syn_sweep_eval_destroy(ev);
  syn_sweep_eval_destroy(NULL);
  syn_sweep_destroy(sw);
}


/* A dose as a sweep parameter: x' = -k x with a bolus of A mg at T h into x,
 * so x(10 h) = A e^(-k (10 - T)) in the dosed arm, whatever the other arm
 * does; names checked against the arms run, the unit the dose statement's. */
static void write_bolus(void) {
  write_file("bolus.model", "time unit h\nparam k = 0.2 /h\nstate x = 0 mg\nd/dt x = -k * x\n"
                            "route IV -> x\n");
  write_file("bolus.scenario", "scenario \"bolus\"\nmodel \"bolus.model\"\n"
                               "simulate 0 h to 10 h every 1 h\narm \"dosed\"\n"
                               "  dose IV 10 mg at 1 h\narm \"other\"\n  dose IV 3 mg at 0 h\n"
                               "metric x_end = at(x, 10 h)\n");
}

static void test_eval_dose_parameters(void **state) {
  (void)state;
  write_bolus();
  write_file("b.sweep", "scenario \"bolus.scenario\"\ndesign grid\n"
                        "vary \"dose:dosed:IV.amount\" uniform 5 20 mg levels 3\n"
                        "vary \"dose:dosed:IV.time\" uniform 60 240 min levels 2\n");
  syn_sweep *sw = load_ok(in_dir("b.sweep"));
  syn_sweep_eval *ev = eval_create(sw);
  syn_error err;
  assert_int_equal(syn_sweep_count(sw), 6);
  for (size_t i = 0; i < 6; i++) {
    syn_sweep_sample smp;
    assert_int_equal(syn_sweep_eval_sample(ev, i, &smp, &err), SYN_OK);
    assert_int_equal(smp.status, SYN_SWEEP_OK);
    double A = smp.params[0], T = smp.params[1];
    assert_true(T == 1 || T == 4); /* minutes converted to the clock (h) */
    close_to(smp.metrics[0], A * exp(-0.2 * (10 - T)), 1e-6);
    close_to(smp.metrics[1], 3 * exp(-0.2 * 10), 1e-6); /* the other arm: as written */
  }
  syn_sweep_eval_destroy(ev);
  syn_sweep_destroy(sw);
  /* a design file's column */
  write_file("d.csv", "dose:dosed:IV.amount,k\n7,0.1\n");
  write_file("b.sweep", "scenario \"bolus.scenario\"\ndesign file \"d.csv\"\n");
  sw = load_ok(in_dir("b.sweep"));
  ev = eval_create(sw);
  syn_sweep_sample one;
  assert_int_equal(syn_sweep_eval_sample(ev, 0, &one, &err), SYN_OK);
  close_to(one.metrics[0], 7 * exp(-0.1 * 9), 1e-6);
  syn_sweep_eval_destroy(ev);
  syn_sweep_destroy(sw);
  write_file("d.csv", "dose:dosed:IW.amount\n7\n");
  write_file("b.sweep", "scenario \"bolus.scenario\"\ndesign file \"d.csv\"\n");
  syn_sweep *bad = NULL;
  assert_int_not_equal(syn_sweep_load(in_dir("b.sweep"), &bad, &err), SYN_OK);
  assert_null(bad);
  assert_non_null(strstr(err.message, "d.csv:1: column 'dose:dosed:IW.amount': "
                                      "'dose:dosed:IW.amount': arm 'dosed' has no dose of 'IW'"));
  load_fails("scenario \"bolus.scenario\"\ndesign random 5\n"
             "vary \"dose:dosed:IB.amount\" uniform 5 20\n",
             "@/b.sweep:3:6: error: 'dose:dosed:IB.amount': arm 'dosed' has no dose of 'IB' "
             "(did you mean 'IV'?)\n"
             "  vary \"dose:dosed:IB.amount\" uniform 5 20\n"
             "       ^~~~~~~~~~~~~~~~~~~~~~\n"
             "  hint: the arm's doses go by IV\n");
  load_fails("scenario \"bolus.scenario\"\ndesign random 5\narms \"other\"\n"
             "vary \"dose:dosed:IV.amount\" uniform 5 20\n",
             "@/b.sweep:4:6: error: 'dose:dosed:IV.amount': arm 'dosed' is not one of the "
             "problem's arms\n"
             "  vary \"dose:dosed:IV.amount\" uniform 5 20\n"
             "       ^~~~~~~~~~~~~~~~~~~~~~\n");
  load_fails("scenario \"bolus.scenario\"\ndesign random 5\n"
             "vary \"dose:dosed:IV.amount\" uniform 5 20 g\n",
             "@/b.sweep:3:42: error: 'dose:dosed:IV.amount' is in mg, the unit of its dose "
             "statement, not g\n"
             "  vary \"dose:dosed:IV.amount\" uniform 5 20 g\n"
             "                                           ^\n");
}

/* A difference arm is its first arm minus its second, exactly, metric by
 * metric and point by point; NaN with the rest when the sample fails. */
static void test_eval_difference(void **state) {
  (void)state;
  copy_growth();
  write_file("d.sweep", SCN "design random 12 seed 8\nvary r uniform -0.5 1 /d\n"
                            "arms fast slow\ndifference fast slow\ndifference slow fast\n"
                            "keep trajectories\n");
  syn_sweep *sw = load_ok(in_dir("d.sweep"));
  assert_int_equal(syn_sweep_arm_count(sw), 4);
  assert_string_equal(syn_sweep_arm_name(sw, 0), "fast");
  assert_string_equal(syn_sweep_arm_name(sw, 1), "slow");
  assert_string_equal(syn_sweep_arm_name(sw, 2), "fast - slow");
  assert_string_equal(syn_sweep_arm_name(sw, 3), "slow - fast");
  assert_true(syn_sweep_keeps_trajectories(sw));
  size_t S = syn_sweep_series_count(sw), T = syn_sweep_time_count(sw), M = 2;
  assert_int_equal(S, 2); /* N and half */
  assert_string_equal(syn_sweep_series_name(sw, 0), "N");
  assert_string_equal(syn_sweep_series_name(sw, 1), "half");
  assert_int_equal(T, 11);
  syn_sweep_eval *ev = eval_create(sw);
  syn_error err;
  int seen_ok = 0, seen_bad = 0;
  for (size_t i = 0; i < syn_sweep_count(sw); i++) {
    syn_sweep_sample s;
    assert_int_equal(syn_sweep_eval_sample(ev, i, &s, &err), SYN_OK);
    assert_non_null(s.traj);
    if (s.status != SYN_SWEEP_OK) {
      seen_bad = 1;
      assert_true(strncmp(s.reason, "arm 'fast': ", 12) == 0);
      for (size_t k = 0; k < 4 * M; k++) assert_true(isnan(s.metrics[k]));
      for (size_t k = 0; k < 4 * S * T; k++) assert_true(isnan(s.traj[k]));
      continue;
    }
    seen_ok = 1;
    for (size_t m = 0; m < M; m++) {
      assert_true(s.metrics[2 * M + m] == s.metrics[0 * M + m] - s.metrics[1 * M + m]);
      assert_true(s.metrics[3 * M + m] == s.metrics[1 * M + m] - s.metrics[0 * M + m]);
    }
    for (size_t k = 0; k < S * T; k++) {
      assert_true(s.traj[2 * S * T + k] == s.traj[k] - s.traj[S * T + k]);
      assert_true(s.traj[3 * S * T + k] == s.traj[S * T + k] - s.traj[k]);
    }
    /* the trajectories are the arms' own: N(10) of the trajectory is N_end */
    assert_true(s.traj[0 * S * T + 10] == s.metrics[0]);
    close_to(s.traj[1 * S * T + 10], logistic_end(0.5 * sqrt(s.params[0]), 10), 1e-6);
    close_to(s.traj[1 * S * T + T + 10], logistic_end(0.5 * sqrt(s.params[0]), 10) / 10, 1e-6);
  }
  assert_true(seen_ok && seen_bad);
  syn_sweep_eval_destroy(ev);
  syn_sweep_destroy(sw);
}

/* ---- shards ----------------------------------------------------------------------------- */

static void test_shard_range(void **state) {
  (void)state;
  size_t first, end;
  const size_t want[3][2] = {{0, 4}, {4, 7}, {7, 10}};
  for (size_t k = 0; k < 3; k++) {
    syn_sweep_shard_range(10, k, 3, &first, &end);
    assert_int_equal(first, want[k][0]);
    assert_int_equal(end, want[k][1]);
  }
  syn_sweep_shard_range(10, 0, 0, &first, &end); /* no shards: everything */
  assert_int_equal(first, 0);
  assert_int_equal(end, 10);
  /* contiguous, covering, sizes differing by at most one, larger ones first */
  for (size_t n = 1; n <= 70; n++)
    for (size_t count = 1; count <= n; count++) {
      size_t next = 0, smallest = n, largest = 0, prev = n;
      for (size_t k = 0; k < count; k++) {
        syn_sweep_shard_range(n, k, count, &first, &end);
        assert_int_equal(first, next);
        assert_true(end > first);
        size_t size = end - first;
        assert_true(size <= prev);
        prev = size;
        smallest = size < smallest ? size : smallest;
        largest = size > largest ? size : largest;
        next = end;
      }
      assert_int_equal(next, n);
      assert_true(largest - smallest <= 1);
    }
}

static void shard_path_is(const char *out, size_t i, size_t n, const char *want) {
  char buf[256];
  syn_error err;
  assert_int_equal(syn_sweep_shard_path(out, i, n, buf, sizeof buf, &err), SYN_OK);
  assert_string_equal(buf, want);
}

static void test_shard_path(void **state) {
  (void)state;
  shard_path_is("out.h5", 1, 3, "out.task-0001-of-0003.h5");
  shard_path_is("out", 1, 3, "out.task-0001-of-0003.h5");
  shard_path_is("runs/out.h5", 0, 8, "runs/out.task-0000-of-0008.h5");
  shard_path_is("runs.d/out", 2, 3, "runs.d/out.task-0002-of-0003.h5");
  shard_path_is("runs.d/out.nc", 2, 3, "runs.d/out.task-0002-of-0003.nc");
  shard_path_is("/a.b/c.d/sweep.v2.h5", 12, 100, "/a.b/c.d/sweep.v2.task-0012-of-0100.h5");
  shard_path_is(".h5", 0, 2, ".h5.task-0000-of-0002.h5");
  shard_path_is("dir/.hidden", 0, 2, "dir/.hidden.task-0000-of-0002.h5");
  shard_path_is("x.h5", 12345, 20000, "x.task-12345-of-20000.h5");
  char buf[25]; /* "out.task-0001-of-0003.h5" and its NUL, just */
  syn_error err;
  assert_int_equal(syn_sweep_shard_path("out.h5", 1, 3, buf, sizeof buf - 1, &err), SYN_ELIMIT);
  assert_string_equal(err.message, "the output name 'out.h5' is too long");
  assert_int_equal(syn_sweep_shard_path("out.h5", 1, 3, buf, sizeof buf, &err), SYN_OK);
  assert_string_equal(buf, "out.task-0001-of-0003.h5");
}

/* ---- whole runs ------------------------------------------------------------------------- */

typedef struct progress_log {
  size_t calls, last_done, last_total, last_failed;
  size_t stop_at;                 /* set *stop when done reaches this (0: never) */
  volatile sig_atomic_t *stop;
} progress_log;

static void on_progress(void *ctx, const syn_sweep_progress *p) {
  progress_log *log = ctx;
  assert_true(p->done >= log->last_done); /* never goes back */
  assert_true(p->done <= p->total);
  assert_true(p->failed <= p->done);
  log->calls++;
  log->last_done = p->done;
  log->last_total = p->total;
  log->last_failed = p->failed;
  if (log->stop_at && p->done >= log->stop_at) *log->stop = 1;
}

/* Reads every row of a sweep file: statuses and parameters. */
static void read_rows(const char *path, size_t n, size_t np, signed char *status, double *params) {
  syn_h5sweep_reader *rd = NULL;
  syn_error err;
  assert_int_equal(syn_h5sweep_open(path, &rd, &err), SYN_OK);
  assert_int_equal(syn_h5sweep_reader_spec(rd)->nsamples, n);
  assert_int_equal(syn_h5sweep_reader_spec(rd)->nparams, np);
  assert_int_equal(syn_h5sweep_read_rows(rd, 0, n, params, status, NULL, NULL, &err), SYN_OK);
  syn_h5sweep_reader_destroy(rd);
}

static void test_run_serial(void **state) {
  (void)state;
  syn_sweep *sw = load_ok("tests/sweep/growth.sweep");
  syn_sweep_run_opts o;
  syn_sweep_run_opts_default(&o);
  progress_log log = {0};
  char out[512];
  o.out_path = path_in(out, sizeof out, "serial.h5");
  o.command_line = "test_sweep serial";
  o.progress = on_progress;
  o.progress_ctx = &log;
  syn_sweep_report rep;
  syn_error err;
  assert_int_equal(syn_sweep_run(sw, &o, &rep, &err), SYN_OK);
  assert_int_equal(rep.total, 60);
  assert_int_equal(rep.ran, 60);
  assert_int_equal(rep.skipped, 0);
  assert_false(rep.interrupted);
  assert_string_equal(rep.out_path, in_dir("serial.h5"));
  assert_true(log.calls >= 2 && log.last_done == 60 && log.last_total == 60);
  assert_true(exists(in_dir("serial.h5")));
  assert_false(exists(in_dir("serial.h5.tmp")));
  assert_false(exists(in_dir("serial.h5.parts")));

  syn_h5sweep_reader *rd = NULL;
  assert_int_equal(syn_h5sweep_open(in_dir("serial.h5"), &rd, &err), SYN_OK);
  const syn_h5sweep_spec *sp = syn_h5sweep_reader_spec(rd);
  assert_int_equal(sp->nsamples, 60);
  assert_int_equal(sp->nparams, 2);
  assert_int_equal(sp->narms, 2);
  assert_int_equal(sp->nmetrics, 2);
  assert_int_equal(sp->task_count, 0);
  assert_string_equal(sp->design, "lhs");
  assert_string_equal(sp->param_names[0], "r");
  assert_string_equal(sp->param_units[0], "/d");
  assert_string_equal(sp->arm_names[1], "fast");
  assert_string_equal(sp->metric_names[1], "N_auc");
  assert_string_equal(sp->prov->command_line, "test_sweep serial");
  signed char status[60];
  double params[120], metrics[240];
  assert_int_equal(syn_h5sweep_read_rows(rd, 0, 60, params, status, metrics, NULL, &err), SYN_OK);
  size_t failed = 0;
  syn_sweep_eval *ev = NULL; /* default solver options, as the run */
  assert_int_equal(syn_sweep_eval_create(sw, NULL, &ev, &err), SYN_OK);
  for (size_t i = 0; i < 60; i++) {
    double x[2];
    assert_int_equal(syn_sweep_params(sw, i, x, &err), SYN_OK);
    assert_true(params[2 * i] == x[0] && params[2 * i + 1] == x[1]);
    assert_int_equal(status[i], x[0] >= 0 ? SYN_SWEEP_OK : SYN_SWEEP_NONFINITE);
    failed += status[i] != SYN_SWEEP_OK;
    char reason[256];
    assert_int_equal(syn_h5sweep_read_reason(rd, i, reason, sizeof reason, NULL, &err), SYN_OK);
    assert_true(status[i] == SYN_SWEEP_OK ? reason[0] == 0 : strncmp(reason, "arm '", 5) == 0);
    /* the rows are what evaluating the sample gives, bit for bit */
    syn_sweep_sample s;
    assert_int_equal(syn_sweep_eval_sample(ev, i, &s, &err), SYN_OK);
    assert_int_equal(s.status, status[i]);
    for (size_t k = 0; k < 4; k++)
      assert_true(status[i] == SYN_SWEEP_OK ? metrics[4 * i + k] == s.metrics[k]
                                            : isnan(metrics[4 * i + k]));
  }
  syn_sweep_eval_destroy(ev);
  assert_int_equal(rep.failed, failed);
  assert_true(failed > 0 && log.last_failed == failed);
  syn_h5sweep_indices ix;
  assert_int_equal(syn_h5sweep_read_indices(rd, 0, &ix, &err), SYN_OK);
  assert_int_equal(ix.kind, SYN_H5SWEEP_NO_INDICES); /* lhs: no indices */
  syn_h5sweep_indices_free(&ix);
  syn_h5sweep_reader_destroy(rd);

  /* the same output again: the file is replaced, the data are the same */
  log = (progress_log){0};
  signed char status2[60];
  double params2[120];
  assert_int_equal(syn_sweep_run(sw, &o, &rep, &err), SYN_OK);
  read_rows(in_dir("serial.h5"), 60, 2, status2, params2);
  assert_memory_equal(status, status2, sizeof status);
  assert_memory_equal(params, params2, sizeof params);

  /* bad options */
  o.progress = NULL;
  o.out_path = "";
  assert_int_equal(syn_sweep_run(sw, &o, &rep, &err), SYN_EINVAL);
  assert_string_equal(err.message, "no output file given");
  o.out_path = path_in(out, sizeof out, "bad.h5");
  o.task_count = 3;
  o.task_index = 3;
  log = (progress_log){0};
  o.progress = on_progress; /* a run that never began reports no progress */
  assert_int_equal(syn_sweep_run(sw, &o, &rep, &err), SYN_EINVAL);
  assert_string_equal(err.message, "task index 3 is not below the task count 3");
  assert_int_equal(log.calls, 0);
  o.progress = NULL;
  o.task_count = 61;
  o.task_index = 0;
  assert_int_equal(syn_sweep_run(sw, &o, &rep, &err), SYN_EINVAL);
  assert_string_equal(err.message, "61 tasks for 60 samples: some would be empty");
  assert_false(exists(in_dir("bad.h5")));
  syn_sweep_destroy(sw);
}

/* Shards: each runs its own range into its task file; together they are the
 * serial run. */
static void test_run_shards(void **state) {
  (void)state;
  syn_sweep *sw = load_ok("tests/sweep/growth.sweep");
  syn_sweep_run_opts o;
  syn_sweep_run_opts_default(&o);
  char out[512], paths[3][512];
  o.out_path = path_in(out, sizeof out, "sh.h5");
  o.task_count = 3;
  syn_sweep_report rep;
  syn_error err;
  const char *parts[3];
  for (size_t t = 0; t < 3; t++) {
    char name[64];
    snprintf(name, sizeof name, "sh.task-%04zu-of-0003.h5", t);
    parts[t] = path_in(paths[t], sizeof paths[t], name);
    o.task_index = t;
    assert_int_equal(syn_sweep_run(sw, &o, &rep, &err), SYN_OK);
    assert_int_equal(rep.total, 20);
    assert_int_equal(rep.ran, 20);
    assert_string_equal(rep.out_path, parts[t]);
    signed char status[60];
    double params[120];
    read_rows(parts[t], 60, 2, status, params);
    for (size_t i = 0; i < 60; i++)
      assert_true((status[i] != SYN_SWEEP_NOT_RUN) == (i >= 20 * t && i < 20 * (t + 1)));
  }
  assert_false(exists(in_dir("sh.h5")));
  syn_sweep_report mrep;
  assert_int_equal(syn_sweep_merge_files(in_dir("merged.h5"), parts, 3, "merge", 0, 0, &mrep,
                                         &err),
                   SYN_OK);
  assert_int_equal(mrep.total, 60);
  signed char status[60];
  double params[120];
  read_rows(in_dir("merged.h5"), 60, 2, status, params);
  for (size_t i = 0; i < 60; i++) {
    double x[2];
    assert_int_equal(syn_sweep_params(sw, i, x, &err), SYN_OK);
    assert_true(params[2 * i] == x[0] && params[2 * i + 1] == x[1]);
    assert_int_equal(status[i], x[0] >= 0 ? SYN_SWEEP_OK : SYN_SWEEP_NONFINITE);
  }
  /* a missing shard is refused and leaves nothing */
  assert_int_equal(syn_sweep_merge_files(in_dir("m2.h5"), parts, 2, NULL, 0, 0, NULL, &err),
                   SYN_EINVAL);
  assert_false(exists(in_dir("m2.h5")));
  assert_int_equal(syn_sweep_merge_files(in_dir("m3.h5"), parts, 0, NULL, 0, 0, NULL, &err),
                   SYN_EINVAL);
  syn_sweep_destroy(sw);
}

/* A stop request: the finished samples are committed in parts, no final file;
 * resume runs the rest, and the data equal an uninterrupted run's. */
static void test_run_stop_and_resume(void **state) {
  (void)state;
  syn_sweep *sw = load_ok("tests/sweep/growth.sweep");
  volatile sig_atomic_t stop = 0;
  progress_log log = {0};
  log.stop_at = 25;
  log.stop = &stop;
  syn_sweep_run_opts o;
  syn_sweep_run_opts_default(&o);
  char out[512];
  o.out_path = path_in(out, sizeof out, "st.h5");
  o.stop = &stop;
  o.progress = on_progress;
  o.progress_ctx = &log;
  o.progress_every = 1e-9; /* every sample */
  syn_sweep_report rep;
  syn_error err;
  assert_int_equal(syn_sweep_run(sw, &o, &rep, &err), SYN_EINTR);
  assert_true(rep.interrupted);
  assert_int_equal(rep.ran, 25);
  char want[700];
  snprintf(want, sizeof want, "interrupted: 25 of 60 samples are done and kept in '%s'",
           in_dir("st.h5.parts"));
  assert_string_equal(err.message, want);
  assert_string_equal(err.hint, "run the same command with --resume to finish the sweep");
  assert_false(exists(in_dir("st.h5")));
  assert_true(exists(in_dir("st.h5.parts")));

  /* without resume: refused, the parts kept */
  stop = 0;
  log = (progress_log){0};
  assert_int_equal(syn_sweep_run(sw, &o, &rep, &err), SYN_EINVAL);
  snprintf(want, sizeof want, "'%s' holds 1 part of an earlier, unfinished run of this sweep",
           in_dir("st.h5.parts"));
  assert_string_equal(err.message, want);
  assert_true(exists(in_dir("st.h5.parts")));

  o.resume = 1;
  assert_int_equal(syn_sweep_run(sw, &o, &rep, &err), SYN_OK);
  assert_int_equal(rep.total, 60);
  assert_int_equal(rep.skipped, 25);
  assert_int_equal(rep.ran, 35);
  assert_false(exists(in_dir("st.h5.parts")));

  o.resume = 0;
  o.stop = NULL;
  log = (progress_log){0};
  o.out_path = path_in(out, sizeof out, "ref.h5");
  assert_int_equal(syn_sweep_run(sw, &o, &rep, &err), SYN_OK);
  signed char s1[60], s2[60];
  double p1[120], p2[120];
  read_rows(in_dir("st.h5"), 60, 2, s1, p1);
  read_rows(in_dir("ref.h5"), 60, 2, s2, p2);
  assert_memory_equal(s1, s2, sizeof s1);
  assert_memory_equal(p1, p2, sizeof p1);
  /* the failures before the stop are counted after the resume too */
  assert_int_equal(rep.failed, log.last_failed);
  syn_sweep_destroy(sw);
}

/* Another process that holds the lock of <out> like a running sweep: it
 * writes its holder line, says so through a pipe and keeps the lock until
 * the write end of `release` is closed. */
static pid_t hold_lock(const char *out, int release[2]) {
  int ready[2];
  assert_int_equal(pipe(ready), 0);
  assert_int_equal(pipe(release), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    char path[600], line[64], c;
    snprintf(path, sizeof path, "%s.lock", out);
    int fd = open(path, O_RDWR | O_CREAT, 0666);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fd < 0 || fcntl(fd, F_SETLK, &fl) != 0) _exit(1);
    int n = snprintf(line, sizeof line, "pid %ld on host testhost\n", (long)getpid());
    if (write(fd, line, (size_t)n) != n) _exit(1);
    close(release[1]);
    if (write(ready[1], "x", 1) != 1) _exit(1);
    while (read(release[0], &c, 1) > 0) {}
    _exit(0);
  }
  close(ready[1]);
  close(release[0]);
  char c;
  assert_int_equal(read(ready[0], &c, 1), 1);
  close(ready[0]);
  return pid;
}

/* A run (or a merge) of an output another run holds is refused at once,
 * naming the holder, and touches nothing: the other run's unsaved part
 * (.h5.tmp) in the parts folder stays. Once the lock is free, the run goes
 * on. */
static void test_run_locked_output(void **state) {
  (void)state;
  syn_sweep *sw = load_ok("tests/sweep/growth.sweep");
  syn_sweep_run_opts o;
  syn_sweep_run_opts_default(&o);
  char out[512], tmp[600], want[1400];
  o.out_path = path_in(out, sizeof out, "lk.h5");
  o.resume = 1;
  assert_int_equal(mkdir(in_dir("lk.h5.parts"), 0777), 0);
  snprintf(tmp, sizeof tmp, "%s", in_dir("lk.h5.parts/g1-r0-0.h5.tmp"));
  write_file("lk.h5.parts/g1-r0-0.h5.tmp", "the running run's unsaved samples");
  int release[2];
  pid_t holder = hold_lock(out, release);
  syn_sweep_report rep;
  syn_error err;
  assert_int_equal(syn_sweep_run(sw, &o, &rep, &err), SYN_EINVAL);
  snprintf(want, sizeof want, "'%s' is being written by another run: pid %ld on host testhost "
           "(lock '%s.lock')", out, (long)holder, out);
  assert_string_equal(err.message, want);
  assert_true(exists(tmp));
  assert_false(exists(out));
  const char *parts[] = {tmp};
  assert_int_equal(syn_sweep_merge_files(out, parts, 1, NULL, 0, 0, NULL, &err), SYN_EINVAL);
  assert_string_equal(err.message, want);
  assert_true(exists(tmp));
  assert_false(exists(out));

  close(release[1]);
  int status = 0;
  assert_int_equal(waitpid(holder, &status, 0), holder);
  assert_int_equal(status, 0);
  assert_int_equal(syn_sweep_run(sw, &o, &rep, &err), SYN_OK);
  assert_int_equal(rep.ran, 60);
  assert_false(exists(tmp));
  assert_false(exists(in_dir("lk.h5.lock")));
  syn_sweep_destroy(sw);
}

/* Flips a bit of part `path` once the resumed run has taken it in and runs
 * its own samples: a disk going bad under a long run. */
typedef struct spoiler {
  const char *path;
  int done;
} spoiler;

static void spoil_part(void *ctx, const syn_sweep_progress *p) {
  spoiler *s = ctx;
  if (s->done || p->skipped == 0 || p->done == p->skipped) return;
  FILE *f = fopen(s->path, "r+b");
  assert_non_null(f);
  assert_int_equal(fseek(f, 2000, SEEK_SET), 0);
  int c = fgetc(f);
  assert_int_equal(fseek(f, 2000, SEEK_SET), 0);
  fputc(c ^ 0x10, f);
  fclose(f);
  s->done = 1;
}

/* A part damaged after the resume read it is refused by the final merge, by
 * name, and nothing is written; deleted, its samples run again and the data
 * are those of an uninterrupted run. */
static void test_run_refuses_damaged_part_at_merge(void **state) {
  (void)state;
  syn_sweep *sw = load_ok("tests/sweep/growth.sweep");
  volatile sig_atomic_t stop = 0;
  progress_log log = {0};
  log.stop_at = 20;
  log.stop = &stop;
  syn_sweep_run_opts o;
  syn_sweep_run_opts_default(&o);
  char out[512], part[600], want[1400];
  o.out_path = path_in(out, sizeof out, "dm.h5");
  o.stop = &stop;
  o.progress = on_progress;
  o.progress_ctx = &log;
  o.progress_every = 1e-9;
  syn_sweep_report rep;
  syn_error err;
  assert_int_equal(syn_sweep_run(sw, &o, &rep, &err), SYN_EINTR);
  snprintf(part, sizeof part, "%s", in_dir("dm.h5.parts/g1-r0-0.h5"));
  assert_true(exists(part));
  spoiler sp = {part, 0};
  o.stop = NULL;
  o.resume = 1;
  o.progress = spoil_part;
  o.progress_ctx = &sp;
  assert_int_equal(syn_sweep_run(sw, &o, &rep, &err), SYN_EIO);
  assert_true(sp.done);
  snprintf(want, sizeof want,
           "'%s' is damaged (checksum mismatch): delete it and run again with --resume", part);
  assert_string_equal(err.message, want);
  assert_false(exists(out));
  assert_true(exists(part));
  assert_int_equal(unlink(part), 0);
  o.progress = NULL;
  assert_int_equal(syn_sweep_run(sw, &o, &rep, &err), SYN_OK);
  assert_true(rep.ran >= 20); /* the deleted part's samples again */
  o.resume = 0;
  o.out_path = path_in(out, sizeof out, "dmref.h5");
  assert_int_equal(syn_sweep_run(sw, &o, &rep, &err), SYN_OK);
  signed char s1[60], s2[60];
  double p1[120], p2[120];
  read_rows(in_dir("dm.h5"), 60, 2, s1, p1);
  read_rows(in_dir("dmref.h5"), 60, 2, s2, p2);
  assert_memory_equal(s1, s2, sizeof s1);
  assert_memory_equal(p1, p2, sizeof p1);
  syn_sweep_destroy(sw);
}

/* Every allocation failure during a run (setup, samples, parts, merge,
 * indices) returns an error, leaks nothing and leaves no final file. */
static void test_run_allocation_failures(void **state) {
  (void)state;
  copy_fixture("ishigami.model");
  copy_fixture("ishigami.scenario");
  write_file("small.sweep", "scenario \"ishigami.scenario\"\ndesign saltelli 4 seed 1\n"
                            "vary x1 uniform -3 3\nvary x2 uniform -3 3\nvary x3 uniform -3 3\n"
                            "difference f f2\narms f f2\n");
  /* a second arm so that a difference arm is analysed too */
  char *scn = read_text(in_dir("ishigami.scenario"));
  char *two = malloc(strlen(scn) + 64);
  assert_non_null(two);
  sprintf(two, "%sarm \"f2\"\n  set a = 6\n", scn);
  write_file("ishigami.scenario", two);
  free(two);
  free(scn);
  syn_sweep *sw = load_ok(in_dir("small.sweep"));
  assert_int_equal(syn_sweep_count(sw), 20);
  syn_sweep_run_opts o;
  syn_sweep_run_opts_default(&o);
  char out[512];
  o.out_path = path_in(out, sizeof out, "small.h5");
  o.n_boot = 20;
  syn_sweep_report rep;
  syn_error err;
  long before = syn_alloc_test_count();
  assert_int_equal(syn_sweep_run(sw, &o, &rep, &err), SYN_OK);
  long total = syn_alloc_test_count() - before;
  assert_true(total > 100);
  remove_tree(in_dir("small.h5"));
  /* every n up to 400 (setup and the first samples), then a spread over the rest */
  size_t tried = 0;
  for (long n = 1; n < total; n += n < 400 ? 1 : 1 + total / 300) {
    syn_alloc_test_fail_after(n);
    syn_status st = syn_sweep_run(sw, &o, &rep, &err);
    syn_alloc_test_fail_after(0);
    if (st == SYN_OK) fprintf(stderr, "allocation %ld of %ld failed, yet the run succeeded\n",
                              n, total);
    assert_int_not_equal(st, SYN_OK);
    assert_false(exists(in_dir("small.h5")));
    assert_false(exists(in_dir("small.h5.tmp")));
    remove_tree(in_dir("small.h5.parts"));
    tried++;
  }
  /* every allocation of the first 400 was made to fail (a run that allocates
   * fewer, its samples allocating nothing, had each of them fail) */
  assert_true(tried >= (total - 1 < 400 ? (size_t)(total - 1) : 400));
  /* and then it works */
  assert_int_equal(syn_sweep_run(sw, &o, &rep, &err), SYN_OK);
  syn_h5sweep_reader *rd = NULL;
  assert_int_equal(syn_h5sweep_open(in_dir("small.h5"), &rd, &err), SYN_OK);
  syn_h5sweep_indices ix;
  assert_int_equal(syn_h5sweep_read_indices(rd, 2, &ix, &err), SYN_OK);
  assert_int_equal(ix.kind, SYN_H5SWEEP_SOBOL);
  syn_h5sweep_indices_free(&ix);
  syn_h5sweep_reader_destroy(rd);
  syn_sweep_destroy(sw);

  /* loading under allocation failures */
  int ok = 0;
  for (long n = 1; n < 100000 && !ok; n += n < 500 ? 1 : 7) {
    syn_sweep *s2 = NULL;
    syn_alloc_test_fail_after(n);
    syn_status st = syn_sweep_load(in_dir("small.sweep"), &s2, &err);
    syn_alloc_test_fail_after(0);
    if (st == SYN_OK) {
      ok = 1;
      syn_sweep_destroy(s2);
    } else {
      assert_null(s2);
    }
  }
  assert_true(ok);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_load_ishigami),
      cmocka_unit_test(test_load_sobol_g_and_growth),
      cmocka_unit_test(test_units_hour_clock),
      cmocka_unit_test(test_units_label_the_values),
      cmocka_unit_test(test_config_hash),
      cmocka_unit_test(test_config_hash_state_tolerances),
      cmocka_unit_test(test_config_records_solver),
      cmocka_unit_test(test_load_errors_names),
      cmocka_unit_test(test_load_errors_difference),
      cmocka_unit_test(test_load_errors_compartment),
      cmocka_unit_test(test_load_errors_difference_names),
      cmocka_unit_test(test_load_plan),
      cmocka_unit_test(test_eval_dose_parameters),
      cmocka_unit_test(test_load_errors_design_file),
      cmocka_unit_test(test_eval_growth),
      cmocka_unit_test(test_eval_difference),
      cmocka_unit_test(test_shard_range),
      cmocka_unit_test(test_shard_path),
      cmocka_unit_test(test_run_serial),
      cmocka_unit_test(test_run_shards),
      cmocka_unit_test(test_run_stop_and_resume),
      cmocka_unit_test(test_run_locked_output),
      cmocka_unit_test(test_run_refuses_damaged_part_at_merge),
      cmocka_unit_test(test_run_allocation_failures),
  };
  return cmocka_run_group_tests(tests, setup_dir, scratch_teardown);
}
