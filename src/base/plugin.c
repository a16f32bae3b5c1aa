/* synovia — a shared object held in memory, loaded with dlopen (see plugin.h). */
#define _GNU_SOURCE /* memfd_create */
#include "plugin.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Write size bytes to fd; 0 when all of them are written. */
static int write_all(int fd, const unsigned char *bytes, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t w = write(fd, bytes + done, size - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    done += (size_t)w;
  }
  return 0;
}

/* An anonymous file named name, or an unlinked temporary file; -1 on failure. */
static int anonymous_file(const char *name) {
  int fd = memfd_create(name, MFD_CLOEXEC);
  if (fd >= 0) return fd;
  const char *dir = getenv("TMPDIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.XXXXXX", dir != NULL && *dir ? dir : "/tmp", name);
  fd = mkstemp(path);
  if (fd >= 0) unlink(path);
  return fd;
}

void *syn_plugin_open(const char *name, const unsigned char *bytes, size_t size, int dlflags,
                      char *why, size_t why_size) {
  int fd = anonymous_file(name);
  if (fd < 0 || write_all(fd, bytes, size) != 0) {
    snprintf(why, why_size, "writing its plugin: %s", strerror(errno));
    if (fd >= 0) close(fd);
    return NULL;
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  void *lib = dlopen(path, dlflags);
  if (lib == NULL) snprintf(why, why_size, "%s", dlerror());
  close(fd);
  return lib;
}
