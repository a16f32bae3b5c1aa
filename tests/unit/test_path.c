/* Unit tests of src/base/path.c (include/synovia/path.h): which paths may be
 * outputs (absent or regular, in an existing folder), which are the same file
 * as an input (device and inode through symlinks, hard links and ".."), and
 * which inputs may be opened without blocking (not a FIFO). Device nodes are
 * left to tests/integration/outputs.sh (mknod needs root); a FIFO, a socket
 * and a folder are made here, in a temporary folder. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "synovia/path.h"

typedef struct fixture {
  char dir[64];
  char buf[8][160];
} fixture;

/* dir/name in one of the fixture's buffers */
static const char *at(fixture *f, int slot, const char *name) {
  char dir[sizeof f->dir]; /* a copy: the destination is in *f too */
  memcpy(dir, f->dir, sizeof dir);
  snprintf(f->buf[slot], sizeof f->buf[slot], "%s/%s", dir, name);
  return f->buf[slot];
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  if (f == NULL) return -1;
  snprintf(f->dir, sizeof f->dir, "/tmp/synovia-path.XXXXXX");
  if (mkdtemp(f->dir) == NULL) return -1;
  FILE *m = fopen(at(f, 0, "m.model"), "w");
  if (m == NULL) return -1;
  fputs("time unit h\n", m);
  fclose(m);
  if (mkfifo(at(f, 0, "fifo"), 0600) != 0 || mkdir(at(f, 0, "sub"), 0700) != 0 ||
      symlink("m.model", at(f, 0, "link.model")) != 0 ||
      link(at(f, 0, "m.model"), at(f, 1, "hard.model")) != 0 ||
      symlink("nowhere", at(f, 0, "dangling")) != 0)
    return -1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  const char *names[] = {"m.model", "fifo", "sub", "link.model", "hard.model", "dangling", "sock"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) remove(at(f, 0, names[i]));
  rmdir(f->dir);
  free(f);
  return 0;
}

static void test_output_kinds(void **state) {
  fixture *f = *state;
  syn_error e;
  assert_int_equal(syn_path_check_output(at(f, 0, "new.h5"), NULL, &e), SYN_OK);
  assert_int_equal(syn_path_check_output(at(f, 0, "m.model"), NULL, &e), SYN_OK);
  assert_int_equal(syn_path_check_output(at(f, 0, "link.model"), NULL, &e), SYN_OK);
  assert_int_equal(syn_path_check_output(at(f, 0, "dangling"), NULL, &e), SYN_OK);
  assert_int_equal(syn_path_check_output(at(f, 0, "fifo"), NULL, &e), SYN_EINVAL);
  assert_non_null(strstr(e.message, "exists and is a FIFO (named pipe), not a regular file"));
  assert_non_null(strstr(e.hint, "renames it over NAME"));
  assert_int_equal(syn_path_check_output(at(f, 0, "sub"), "temporary output", &e), SYN_EINVAL);
  assert_non_null(strstr(e.message, "the temporary output '"));
  assert_non_null(strstr(e.message, "is a directory, not a regular file"));
  assert_int_equal(syn_path_check_output(at(f, 0, "no/such/x.h5"), NULL, &e), SYN_EIO);
  assert_non_null(strstr(e.message, "its folder"));
  assert_int_equal(syn_path_check_output(at(f, 0, "m.model/x.h5"), NULL, &e), SYN_EIO);
  assert_int_equal(syn_path_check_output("", NULL, &e), SYN_EINVAL);
  assert_int_equal(syn_path_check_output(at(f, 0, "fifo"), NULL, NULL), SYN_EINVAL);
}

static void test_output_socket(void **state) {
  fixture *f = *state;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  const char *path = at(f, 0, "sock");
  assert_true(strlen(path) < sizeof sa.sun_path);
  memcpy(sa.sun_path, path, strlen(path) + 1);
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  assert_true(s >= 0);
  assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
  syn_error e;
  assert_int_equal(syn_path_check_output(sa.sun_path, NULL, &e), SYN_EINVAL);
  assert_non_null(strstr(e.message, "is a socket"));
  assert_int_equal(syn_path_check_input(sa.sun_path, NULL, &e), SYN_EINVAL);
  close(s);
}

static void test_same_file(void **state) {
  fixture *f = *state;
  syn_error e;
  size_t which = 99;
  const char *inputs[] = {NULL, "", at(f, 1, "other.model"), at(f, 2, "m.model")};
  assert_int_equal(syn_path_check_not_input(at(f, 0, "new.h5"), inputs, 4, &which, &e), SYN_OK);
  assert_int_equal(which, 99);
  assert_int_equal(syn_path_check_not_input(at(f, 0, "m.model"), inputs, 4, &which, &e),
                   SYN_EINVAL);
  assert_int_equal(which, 3);
  assert_non_null(strstr(e.message, "is also an input of this command"));
  const char *others[] = {at(f, 3, "link.model"), at(f, 4, "hard.model"),
                          at(f, 5, "sub/../m.model")};
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(syn_path_check_not_input(others[i], inputs, 4, &which, &e), SYN_EINVAL);
    assert_int_equal(which, 3);
    assert_non_null(strstr(e.message, "(the same file by another name)"));
  }
  assert_int_equal(syn_path_check_not_input(at(f, 0, "m.model"), inputs, 3, NULL, &e), SYN_OK);
  assert_int_equal(syn_path_check_not_input(NULL, inputs, 4, NULL, &e), SYN_OK);
}

static void test_temporary(void **state) {
  fixture *f = *state;
  syn_error e;
  assert_int_equal(syn_path_check_temporary(at(f, 0, "new.h5.tmp"), &e), SYN_OK);
  assert_int_equal(syn_path_check_temporary(at(f, 0, "m.model"), &e), SYN_OK);
  assert_int_equal(syn_path_check_temporary(at(f, 0, "link.model"), &e), SYN_EINVAL);
  assert_non_null(strstr(e.message, "is a symbolic link"));
  assert_int_equal(syn_path_check_temporary(at(f, 0, "dangling"), &e), SYN_EINVAL);
  assert_int_equal(syn_path_check_temporary(at(f, 0, "fifo"), &e), SYN_EINVAL);
  assert_non_null(strstr(e.message, "is a FIFO (named pipe), not a regular file"));
  assert_non_null(strstr(e.hint, "delete '"));
}

static void test_inputs(void **state) {
  fixture *f = *state;
  syn_error e;
  assert_int_equal(syn_path_check_input(at(f, 0, "m.model"), NULL, &e), SYN_OK);
  assert_int_equal(syn_path_check_input(at(f, 0, "link.model"), NULL, &e), SYN_OK);
  /* the readers word these themselves */
  assert_int_equal(syn_path_check_input(at(f, 0, "missing.h5"), NULL, &e), SYN_OK);
  assert_int_equal(syn_path_check_input(at(f, 0, "sub"), NULL, &e), SYN_OK);
  assert_int_equal(syn_path_check_input(at(f, 0, "fifo"), "result file", &e), SYN_EINVAL);
  assert_non_null(strstr(e.message, "cannot read the result file '"));
  assert_non_null(strstr(e.message, "it is a FIFO (named pipe), not a regular file"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_output_kinds),
      cmocka_unit_test(test_output_socket),
      cmocka_unit_test(test_same_file),
      cmocka_unit_test(test_temporary),
      cmocka_unit_test(test_inputs),
  };
  return cmocka_run_group_tests_name("path", tests, setup, teardown);
}
