/* synovia — unit tests of what keeps a sweep's coordinating rank cheap at
 * scale (issue 11 §4): the merge's window stays within its memory cap for any
 * row width and any number of samples (rank 0's memory is flat in the
 * samples, also with `keep trajectories`), and the messages of the hot path
 * (a block handed out, a block done) are small enough for MPI's eager
 * protocol, so a send never waits for the receiver. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "io/h5sweep_impl.h"
#include "sweep/sweep_internal.h"

/* The merge's window and scratch copy may use this much (h5sweep_merge.c). */
static const size_t WINDOW_CAP = 32u << 20;

static size_t window_bytes(size_t row_values, size_t rows) {
  return 2 * rows * (sizeof(double) * row_values + 1 + sizeof(char *));
}

/* The knee model with `keep trajectories`: 3 arms x 80 series x 181 times
 * (~0.35 MB a row). Asking for 16,384 rows (what the sweep's merge asked for)
 * gave a window of every sample: 0.7 MB per sample on rank 0. */
static void test_window_within_cap_for_wide_rows(void **state) {
  (void)state;
  const size_t wide = 4 + 3 * 2 + 3 * 80 * 181;
  const size_t samples[] = {64, 1024, 10000, 1000000};
  const size_t asked[] = {0, 1, 64, 16384, 1u << 20};
  for (size_t i = 0; i < sizeof samples / sizeof *samples; i++)
    for (size_t k = 0; k < sizeof asked / sizeof *asked; k++) {
      size_t w = syn_h5s_merge_window_rows(wide, samples[i], asked[k]);
      assert_true(w >= 1);
      assert_true(w <= samples[i]);
      assert_true(window_bytes(wide, w) <= WINDOW_CAP);
      if (asked[k] > 0) assert_true(w <= asked[k]);
    }
}

/* A row wider than the cap itself still gets one row (the least that works). */
static void test_window_of_one_huge_row(void **state) {
  (void)state;
  assert_int_equal(syn_h5s_merge_window_rows(8u << 20, 100, 0), 1);
  assert_int_equal(syn_h5s_merge_window_rows(8u << 20, 100, 16384), 1);
}

/* Narrow rows: a request is honoured (tests use small windows), the
 * automatic window is whole chunks of 64 rows, at most 65,536 rows. */
static void test_window_for_narrow_rows(void **state) {
  (void)state;
  assert_int_equal(syn_h5s_merge_window_rows(10, 1000, 5), 5);
  assert_int_equal(syn_h5s_merge_window_rows(10, 1000, 0), 1000);
  size_t w = syn_h5s_merge_window_rows(10, 1u << 24, 0);
  assert_int_equal(w % 64, 0);
  assert_true(w <= 65536);
  assert_true(window_bytes(10, w) <= WINDOW_CAP);
}

/* Open MPI sends at most 256 bytes eagerly on shared memory; a blocking send
 * of more waits for the receiver. The message once inlined a 1 KB error text
 * (1,072 bytes): rank 0 stalled for half a sample per block. */
static void test_hot_path_message_is_eager(void **state) {
  (void)state;
  assert_true(sizeof(sweep_msg) <= 256);
  assert_true(SWEEP_MSG_EAGER_MAX <= 256);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_window_within_cap_for_wide_rows),
      cmocka_unit_test(test_window_of_one_huge_row),
      cmocka_unit_test(test_window_for_narrow_rows),
      cmocka_unit_test(test_hot_path_message_is_eager),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
