/* synovia — writes a representative HDF5 result file for the Python readers
 * (tests/python/test_h5_read.py): two states with units, one output,
 * a parameter table, result attributes, provenance with two files.
 *
 *   h5_sample OUT.h5
 *
 * Values are closed forms of t (IL6 = 10 exp(-0.3 t), TNF = 2 + sin t,
 * ratio = IL6 / TNF, t = 0, 0.5, ..., 24 h) so the reader can recompute them. */
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
  static const char *const paths[] = {"models/knee.model", "models/lib/cytokines.model"};
  static const char *const texts[] = {"model knee\nuse \"lib/cytokines.model\"\n",
                                      "# cytokines \xce\xb2\nstate IL6\n"};
  const syn_provenance prov = {"Knee OA \xe2\x80\x94 IA dose", "synovia run models/knee.model",
                               "0123abcd", 2, paths, texts, "2024-05-06T07:08:09Z"};
  syn_error err;
  syn_result *r = NULL;
  syn_h5 *h = NULL;
  syn_status st = syn_result_create(3, info, 8, "h", &r, &err);
  if (st == SYN_OK) st = fill(r, &err);
  if (st == SYN_OK) st = syn_h5_create(argv[1], &prov, &h, &err);
  if (st == SYN_OK) st = syn_h5_write_arm(h, "run", r, &err);
  if (st == SYN_OK) st = syn_h5_write_arm(h, "IV", r, &err);
  if (st == SYN_OK) st = syn_h5_commit(h, &err);
  syn_h5_destroy(h);
  syn_result_destroy(r);
  return st == SYN_OK ? 0 : fail(&err);
}
