/* synovia — writes a small sweep file for the Python readers
 * (tests/python/test_h5sweep_read.py): 3 parameters, 10 samples, 2 arms
 * (IA, IV), 2 metrics and one trajectory (IL6, 5 times) per arm.
 *
 *   h5sweep_sample OUT.h5 [disk|merged]
 *
 * ("disk": a memory limit of 1 byte, so the file is written on disk.
 * "merged": the rows are written into three parts, OUT.h5.part-<k>.h5 (task
 * 1 of 3 like the others, memory and disk), which are merged into OUT.h5 (a
 * whole sweep: no task attributes; command line "synovia merge"), with Sobol
 * indices in arm IA and Morris statistics in arm IV; the parts are removed.)
 * Samples are written in reverse order; 8 and 9 are never written (NaN,
 * status 0); 3 is a solver failure and 5 non-finite, both with a reason and
 * no metrics or trajectories. Every value is a closed form of the sample i,
 * the parameter p, the metric m, the arm a and the time t, repeated in the
 * Python test:
 *   param_value[i][p] = 1 + p + 0.1 i
 *   metric_value[a][i] = {100 a + i, 100 a + i + 0.5}        (auc, cmax)
 *   IL6[a][i][t] = (a + 1) * 10 exp(-param_value[i][0] t)   t = 0, 0.5, ..., 2 h
 *   IA: sobol_S1[m][p] = 0.05 + 0.1 m + 0.01 p, sobol_ST = sobol_S1 + 0.1,
 *       sobol_S1_conf[m][p] = 0.001 (p + 1), sobol_ST_conf NaN,
 *       sobol_n_used[m] = 8 - m, sobol_n_dropped[m] = m;
 *       sobol_n_base 2, sobol_n_boot 50, sobol_confidence_level 0.9
 *   IV: morris_mu[m][p] = m - p, morris_mu_star = m + p, morris_sigma = (m + p) / 2,
 *       morris_mu_star_conf NaN; morris_n_trajectories 4, morris_num_levels 4 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "synovia/h5sweep.h"

enum { NS = 10, NP = 3, NA = 2, NM = 2, NT = 5, NPARTS = 3 };

static int fail(const syn_error *err) {
  char buf[2048];
  syn_error_format(err, buf, sizeof buf);
  fputs(buf, stderr);
  fputc('\n', stderr);
  return 1;
}

static const char *const params[NP] = {"k_deg", "V_joint", "hill"};
static const char *const punits[NP] = {"1/h", "mL", ""};
static const double lower[NP] = {0.5, 1.5, 2.5}, upper[NP] = {2.5, 3.5, 4.5};
static const char *const dist[NP] = {"uniform(0.5, 2.5)", "uniform(1.5, 3.5)",
                                     "loguniform(2.5, 4.5)"};
static const char *const arms[NA] = {"IA", "IV"};
static const char *const metrics[NM] = {"auc", "cmax"};
static const char *const munits[NM] = {"pg/mL*h", "pg/mL"};
static const char *const series[1] = {"IL6"};
static const char *const sunits[1] = {"pg/mL"};
static const char *const paths[1] = {"examples/tiny.sweep"};
static const char *const texts[1] = {"sweep tiny { design lhs }\n"};
static const syn_provenance prov = {"tiny sweep", "synovia sweep examples/tiny.sweep", "ab12",
                                    1, paths, texts, "2026-01-02T03:04:05Z", NULL, NULL};
static double times[NT];

static syn_h5sweep_spec make_spec(size_t memory_limit) {
  syn_h5sweep_spec spec;
  memset(&spec, 0, sizeof spec);
  for (int k = 0; k < NT; k++) times[k] = 0.5 * k;
  spec.prov = &prov;
  spec.sweep_sha256 = "cd34";
  spec.config_sha256 = "ef56";
  spec.sweep_file = "examples/tiny.sweep";
  spec.design = "lhs";
  spec.seed = 42;
  spec.base_seed = UINT64_C(12345678901);
  spec.design_n = NS;
  spec.nsamples = NS;
  spec.task_index = 1;
  spec.task_count = 3;
  spec.nparams = NP;
  spec.param_names = params;
  spec.param_units = punits;
  spec.param_lower = lower;
  spec.param_upper = upper;
  spec.param_distribution = dist;
  spec.narms = NA;
  spec.arm_names = arms;
  spec.nmetrics = NM;
  spec.metric_names = metrics;
  spec.metric_units = munits;
  spec.nseries = 1;
  spec.series_names = series;
  spec.series_units = sunits;
  spec.ntimes = NT;
  spec.times = times;
  spec.time_units = "h";
  spec.memory_limit = memory_limit;
  return spec;
}

/* Writes the samples i of 7..0 with i % nparts == part into h (all: nparts 1). */
static syn_status write_samples(syn_h5sweep *h, int part, int nparts, syn_error *err) {
  for (int i = 7; i >= 0; i--) {
    if (i % nparts != part) continue;
    double p[NP], m[NA * NM], traj[NA * NT];
    for (int k = 0; k < NP; k++) p[k] = 1.0 + k + 0.1 * i;
    for (int a = 0; a < NA; a++) {
      m[a * NM] = 100.0 * a + i;
      m[a * NM + 1] = 100.0 * a + i + 0.5;
      for (int t = 0; t < NT; t++) traj[a * NT + t] = (a + 1) * 10.0 * exp(-p[0] * times[t]);
    }
    int status = SYN_SWEEP_OK;
    const char *reason = "";
    if (i == 3) {
      status = SYN_SWEEP_SOLVER_FAILURE;
      reason = "CVODE: too much work at t = 1.2 h";
    } else if (i == 5) {
      status = SYN_SWEEP_NONFINITE;
      reason = "IL6 is NaN at t = 0.5 h";
    }
    const int ok = status == SYN_SWEEP_OK;
    syn_status st = syn_h5sweep_write_sample(h, (size_t)i, p, status, reason, ok ? m : NULL,
                                             ok ? traj : NULL, err);
    if (st != SYN_OK) return st;
  }
  return SYN_OK;
}

static syn_status write_indices(syn_h5sweep *h, syn_error *err) {
  double s1[NM * NP], st[NM * NP], s1c[NM * NP], mu[NM * NP], mus[NM * NP], sg[NM * NP];
  size_t used[NM], dropped[NM];
  for (int m = 0; m < NM; m++) {
    used[m] = (size_t)(8 - m);
    dropped[m] = (size_t)m;
    for (int p = 0; p < NP; p++) {
      s1[m * NP + p] = 0.05 + 0.1 * m + 0.01 * p;
      st[m * NP + p] = s1[m * NP + p] + 0.1;
      s1c[m * NP + p] = 0.001 * (p + 1);
      mu[m * NP + p] = m - p;
      mus[m * NP + p] = m + p;
      sg[m * NP + p] = 0.5 * (m + p);
    }
  }
  const syn_h5sweep_sobol sobol = {s1, st, s1c, NULL, used, dropped, 2, 50, 0.9,
                                   "saltelli2010", "jansen1999"};
  const syn_h5sweep_morris morris = {mu, mus, sg, NULL, used, dropped, 4, 4, 0, 0};
  syn_status s = syn_h5sweep_write_sobol(h, 0, &sobol, err);
  if (s == SYN_OK) s = syn_h5sweep_write_morris(h, 1, &morris, err);
  return s;
}

/* Three parts (one on disk), merged, with indices; the parts removed. */
static syn_status write_merged(const char *out, syn_error *err) {
  char part[NPARTS][1024];
  const char *names[NPARTS];
  syn_status st = SYN_OK;
  for (int k = 0; k < NPARTS && st == SYN_OK; k++) {
    snprintf(part[k], sizeof part[k], "%s.part-%d.h5", out, k);
    names[k] = part[k];
    syn_h5sweep_spec spec = make_spec(k == 1 ? 1 : 0);
    syn_h5sweep *h = NULL;
    st = syn_h5sweep_create(part[k], &spec, &h, err);
    if (st == SYN_OK) st = write_samples(h, k, NPARTS, err);
    if (st == SYN_OK) st = syn_h5sweep_commit(h, err);
    syn_h5sweep_destroy(h);
  }
  syn_h5sweep_merge_opts o;
  memset(&o, 0, sizeof o);
  o.command_line = "synovia merge";
  o.require_end = 8;
  syn_h5sweep *h = NULL;
  if (st == SYN_OK) st = syn_h5sweep_merge(out, names, NPARTS, &o, &h, err);
  if (st == SYN_OK) st = write_indices(h, err);
  if (st == SYN_OK) st = syn_h5sweep_commit(h, err);
  syn_h5sweep_destroy(h);
  for (int k = 0; k < NPARTS; k++) unlink(part[k]);
  return st;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs("usage: h5sweep_sample OUT.h5 [disk|merged]\n", stderr);
    return 2;
  }
  const char *mode = argc > 2 ? argv[2] : "";
  syn_error err;
  syn_error_clear(&err);
  if (strcmp(mode, "merged") == 0) return write_merged(argv[1], &err) == SYN_OK ? 0 : fail(&err);
  syn_h5sweep_spec spec = make_spec(strcmp(mode, "disk") == 0 ? 1 : 0);
  syn_h5sweep *h = NULL;
  syn_status st = syn_h5sweep_create(argv[1], &spec, &h, &err);
  if (st == SYN_OK) st = write_samples(h, 0, 1, &err);
  if (st == SYN_OK) st = syn_h5sweep_commit(h, &err);
  syn_h5sweep_destroy(h);
  return st == SYN_OK ? 0 : fail(&err);
}
