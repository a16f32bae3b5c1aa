/* synovia tests — a scratch folder per test (cmocka setup/teardown state).
 * Shared by the HDF5 tests (test_h5, test_h5read, test_h5sweep). */
#ifndef SYN_TEST_TMPDIR_H
#define SYN_TEST_TMPDIR_H

typedef struct syn_test_dir {
  char dir[64];   /* /tmp/<prefix>_XXXXXX, made by mkdtemp */
  char path[128]; /* dir/<name>: the file a test writes */
  char tmp[140];  /* path.tmp: where writers keep it before their commit */
} syn_test_dir;

/* Makes the folder and sets *state to a new syn_test_dir; 0 or -1. */
int syn_test_dir_setup(void **state, const char *prefix, const char *name);

/* Removes the folder with everything in it and frees the state; 0 or -1. */
int syn_test_dir_teardown(void **state);

#endif
