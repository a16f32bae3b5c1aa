/* synovia — writes a representative HDF5 result file for the Python readers
 * (tests/python/test_h5_read.py): two states with units, one output,
 * a parameter table, result attributes, provenance of a scenario run (the
 * scenario and two model files), and three arms:
 *   run   no doses, no metrics
 *   IV    one infusion (systemic: joint ""), metrics IL6_auc and t_half
 *   IA    two boluses into joints, metrics t_half (NaN: never reached) and
 *         TNF_max (so /metrics has NaN where IV lacks TNF_max and run lacks all)
 *   bare  no time points, no parameters, no attributes: zero-length datasets
 *
 *   h5_sample OUT.h5
 *
 * Values are closed forms of t (IL6 = 10 exp(-0.3 t), TNF = 2 + sin t,
 * ratio = IL6 / TNF, t = 0, 0.5, ..., 24 h) so the reader can recompute them;
 * the doses and metrics are the constants below (test_h5_read.py repeats them). */
#include <math.h>
#include <stdio.h>

#include "synovia/h5.h"
#include "synovia/result.h"

enum { NT = 49 };

static int fail(const syn_error *err) {
  char buf[2048];
  syn_error_format(err, buf, sizeof buf);
  fputs(buf, stderr);
  return 1;
}

static syn_status fill(syn_result *r, syn_error *err) {
  syn_status st = SYN_OK;
  for (int k = 0; k < NT && st == SYN_OK; k++) {
    double t = 0.5 * k;
    double il6 = 10.0 * exp(-0.3 * t), tnf = 2.0 + sin(t);
    double v[3] = {il6, tnf, il6 / tnf};
    st = syn_result_append(r, t, v, err);
  }
  if (st == SYN_OK) st = syn_result_attr_string(r, "solver", "CVODE BDF", err);
  if (st == SYN_OK) st = syn_result_attr_double(r, "rtol", 1e-8, err);
  if (st == SYN_OK) st = syn_result_attr_int(r, "nsteps", 321, err);
  if (st == SYN_OK) st = syn_result_add_param(r, "k_deg", "1/h", 0.3, err);
  if (st == SYN_OK) st = syn_result_add_param(r, "V_joint", "mL", 2.5, err);
  if (st == SYN_OK) st = syn_result_add_param(r, "hill", "", 1.5, err);
  return st;
}

static syn_status add_iv(syn_result *r, syn_error *err) {
  const syn_dose_record d = {0.0, 2.5, 1.5, "IV", "plasma.drug", "", "mg"};
  syn_status st = syn_result_add_dose(r, &d, err);
  if (st == SYN_OK)
    st = syn_result_add_metric(r, "IL6_auc", "pg/mL*h", "auc(IL6, 0 h, 24 h)", 33.25, err);
  if (st == SYN_OK)
    st = syn_result_add_metric(r, "t_half", "h", "time_below(IL6, 5 pg/mL)", 2.31, err);
  return st;
}

static syn_status add_ia(syn_result *r, syn_error *err) {
  const syn_dose_record d[] = {{0.0, 10.0, 0.0, "IA", "knee_R.MSC", "knee_R", "Mcell"},
                               {12.0, 5.0, 0.0, "IA", "knee_L.MSC", "knee_L", "Mcell"}};
  syn_status st = SYN_OK;
  for (size_t i = 0; i < 2 && st == SYN_OK; i++) st = syn_result_add_dose(r, &d[i], err);
  if (st == SYN_OK)
    st = syn_result_add_metric(r, "t_half", "h", "time_below(IL6, 5 pg/mL)", NAN, err);
  if (st == SYN_OK) st = syn_result_add_metric(r, "TNF_max", "pg/mL", "", 3.0, err);
  return st;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s OUT.h5\n", argv[0]);
    return 2;
  }
  static const syn_series_info info[] = {
      {"IL6", "pg/mL", "interleukin-6 in synovial fluid", SYN_SERIES_STATE},
      {"TNF", "pg/mL", "", SYN_SERIES_STATE},
      {"ratio", "", "IL6 / TNF ratio", SYN_SERIES_OUTPUT},
  };
  static const char *const paths[] = {"scenarios/ia_vs_iv.scenario", "models/knee.model",
                                      "models/lib/cytokines.model"};
  static const char *const texts[] = {"model \"../models/knee.model\"\n",
                                      "model knee\nuse \"lib/cytokines.model\"\n",
                                      "# cytokines \xce\xb2\nstate IL6\n"};
  const syn_provenance prov = {"Knee OA \xe2\x80\x94 IA dose",
                               "synovia run scenarios/ia_vs_iv.scenario",
                               "0123abcd",
                               3,
                               paths,
                               texts,
                               "2024-05-06T07:08:09Z",
                               "5ce0a1b2",
                               "scenarios/ia_vs_iv.scenario"};
  syn_error err;
  syn_result *r = NULL, *iv = NULL, *ia = NULL, *bare = NULL;
  syn_h5 *h = NULL;
  syn_status st = syn_result_create(3, info, 8, "h", &r, &err);
  if (st == SYN_OK) st = syn_result_create(3, info, 8, "h", &iv, &err);
  if (st == SYN_OK) st = syn_result_create(3, info, 8, "h", &ia, &err);
  if (st == SYN_OK) st = syn_result_create(3, info, 8, "h", &bare, &err);
  if (st == SYN_OK) st = fill(r, &err);
  if (st == SYN_OK) st = fill(iv, &err);
  if (st == SYN_OK) st = fill(ia, &err);
  if (st == SYN_OK) st = add_iv(iv, &err);
  if (st == SYN_OK) st = add_ia(ia, &err);
  if (st == SYN_OK) st = syn_h5_create(argv[1], &prov, &h, &err);
  if (st == SYN_OK) st = syn_h5_write_arm(h, "run", r, &err);
  if (st == SYN_OK) st = syn_h5_write_arm(h, "IV", iv, &err);
  if (st == SYN_OK) st = syn_h5_write_arm(h, "IA", ia, &err);
  if (st == SYN_OK) st = syn_h5_write_arm(h, "bare", bare, &err);
  if (st == SYN_OK) st = syn_h5_commit(h, &err);
  syn_h5_destroy(h);
  syn_result_destroy(r);
  syn_result_destroy(iv);
  syn_result_destroy(ia);
  syn_result_destroy(bare);
  return st == SYN_OK ? 0 : fail(&err);
}
