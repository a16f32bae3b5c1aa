/* synovia — writes a small sweep file for the Python readers
 * (tests/python/test_h5sweep_read.py): 3 parameters, 10 samples, 2 arms
 * (IA, IV), 2 metrics and one trajectory (IL6, 5 times) per arm.
 *
 *   h5sweep_sample OUT.h5 [disk]
 *
 * ("disk": a memory limit of 1 byte, so the file is written on disk.)
 * Samples are written in reverse order; 8 and 9 are never written (NaN,
 * status 0); 3 is a solver failure and 5 non-finite, both with a reason and
 * no metrics or trajectories. Every value is a closed form of the sample i,
 * the parameter p, the arm a and the time t, repeated in the Python test:
 *   param_value[i][p] = 1 + p + 0.1 i
 *   metric_value[a][i] = {100 a + i, 100 a + i + 0.5}        (auc, cmax)
 *   IL6[a][i][t] = (a + 1) * 10 exp(-param_value[i][0] t)   t = 0, 0.5, ..., 2 h */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "synovia/h5sweep.h"

enum { NS = 10, NP = 3, NA = 2, NM = 2, NT = 5 };

static int fail(const syn_error *err) {
  char buf[2048];
  syn_error_format(err, buf, sizeof buf);
  fputs(buf, stderr);
  fputc('\n', stderr);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs("usage: h5sweep_sample OUT.h5 [disk]\n", stderr);
    return 2;
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
  double times[NT];
  for (int k = 0; k < NT; k++) times[k] = 0.5 * k;
  static const char *const paths[1] = {"examples/tiny.sweep"};
  static const char *const texts[1] = {"sweep tiny { design lhs }\n"};
  const syn_provenance prov = {"tiny sweep", "synovia sweep examples/tiny.sweep", "ab12",
                               1, paths, texts, "2026-01-02T03:04:05Z", NULL, NULL};
  syn_h5sweep_spec spec;
  memset(&spec, 0, sizeof spec);
  spec.prov = &prov;
  spec.sweep_sha256 = "cd34";
  spec.sweep_file = "examples/tiny.sweep";
  spec.design = "lhs";
  spec.seed = 42;
  spec.base_seed = UINT64_C(12345678901);
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
  spec.memory_limit = (argc > 2 && strcmp(argv[2], "disk") == 0) ? 1 : 0;

  syn_error err;
  syn_error_clear(&err);
  syn_h5sweep *h = NULL;
  if (syn_h5sweep_create(argv[1], &spec, &h, &err) != SYN_OK) return fail(&err);
  for (int i = 7; i >= 0; i--) {
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
    if (syn_h5sweep_write_sample(h, (size_t)i, p, status, reason, ok ? m : NULL,
                                 ok ? traj : NULL, &err) != SYN_OK) {
      syn_h5sweep_destroy(h);
      return fail(&err);
    }
  }
  syn_status st = syn_h5sweep_commit(h, &err);
  syn_h5sweep_destroy(h);
  return st == SYN_OK ? 0 : fail(&err);
}
