/* synovia — writes a result file with exact forward sensitivities for the
 * Python readers, synovia-plot and summary tests (tests/python/test_h5_sens.py):
 *   decay   x = x0 e^(-kt) and d = x0 - x with d/dk, d/dx0 (tests/support/sens_decay.h),
 *           metrics x_auc and x_end with their gradients
 *   plain   the same series, no sensitivities (so a file may mix both)
 *
 *   h5_sens_sample OUT.h5 */
#include <stdio.h>

#include "support/sens_decay.h"
#include "synovia/h5.h"
#include "synovia/result.h"

static syn_status plain_result(syn_result **out, syn_error *err) {
  static const syn_series_info info[DECAY_NSERIES] = {
      {"x", "pg/mL", "decaying amount", SYN_SERIES_STATE},
      {"d", "pg/mL", "amount cleared", SYN_SERIES_OUTPUT}};
  syn_status st = syn_result_create(DECAY_NSERIES, info, DECAY_NT, "h", out, err);
  for (size_t i = 0; st == SYN_OK && i < DECAY_NT; i++) {
    const double t = decay_time(i), v[2] = {decay_value(0, t), decay_value(1, t)};
    st = syn_result_append(*out, t, v, err);
  }
  return st;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s OUT.h5\n", argv[0]);
    return 2;
  }
  const syn_provenance prov = {"decay with sensitivities", "h5_sens_sample", "", 0, NULL, NULL,
                               "2026-01-02T03:04:05Z", NULL, NULL};
  syn_error err;
  syn_result *decay = NULL, *plain = NULL;
  syn_h5 *h = NULL;
  syn_status st = decay_result(1, &decay, &err);
  if (st == SYN_OK) st = plain_result(&plain, &err);
  if (st == SYN_OK) st = syn_h5_create(argv[1], &prov, &h, &err);
  if (st == SYN_OK) st = syn_h5_write_arm(h, "decay", decay, &err);
  if (st == SYN_OK) st = syn_h5_write_arm(h, "plain", plain, &err);
  if (st == SYN_OK) st = syn_h5_commit(h, &err);
  syn_h5_destroy(h);
  syn_result_destroy(decay);
  syn_result_destroy(plain);
  if (st != SYN_OK) {
    char buf[2048];
    syn_error_format(&err, buf, sizeof buf);
    fputs(buf, stderr);
    return 1;
  }
  return 0;
}
