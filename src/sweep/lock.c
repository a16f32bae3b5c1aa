/* synovia — one run of a sweep's output at a time (sweep layer).
 *
 * Two runs of the same output (a shard resubmitted while it still runs, a
 * requeued task beside its first attempt, a --resume started twice, a
 * `synovia merge` into a file a sweep is writing) would delete and overwrite
 * each other's files: a resume deletes the .h5.tmp parts a killed run left,
 * which are the unsaved part of a running one, and both write OUT.tmp. So a
 * run holds an advisory fcntl lock on OUT.lock (fcntl locks also work over
 * NFS, and go with the process however it ends) from before it looks at its
 * parts folder until it has merged it, and writes its pid and host into it;
 * a second run is refused before it touches anything, naming them. Under MPI
 * rank 0 holds it: only rank 0 scans, deletes and merges; the workers only
 * add parts of their own generation. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sweep_internal.h"

/* The holder's "pid N on host H", or a note that it wrote nothing (yet). */
static void describe_holder(int fd, char *buf, size_t n) {
  ssize_t got = pread(fd, buf, n - 1, 0);
  buf[got > 0 ? got : 0] = 0;
  buf[strcspn(buf, "\n")] = 0;
  if (buf[0] == 0) snprintf(buf, n, "a process that has not said which");
}

/* SYN_OK when the lock is ours (or locks are not supported there: then
 * l->unsupported says why); else the error naming who holds it. */
static syn_status take(int fd, const char *target, sweep_lock *l, syn_error *err) {
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
  if (fcntl(fd, F_SETLK, &fl) == 0) return SYN_OK;
  if (errno != EACCES && errno != EAGAIN) {
    snprintf(l->unsupported, sizeof l->unsupported,
             "cannot lock '%s' (%s): nothing stops a second run of the same output", l->path,
             strerror(errno));
    return SYN_OK;
  }
  char holder[300];
  describe_holder(fd, holder, sizeof holder);
  syn_error_set(err, SYN_EINVAL, "'%s' is being written by another run: %s (lock '%s')", target,
                holder, l->path);
  syn_error_hint(err, "wait until it ends or stop it (scancel); two runs of one output would "
                      "destroy each other's unsaved samples, so nothing was touched");
  return SYN_EINVAL;
}

/* Ours when the name still leads to the file we locked: the run before us
 * may have removed it between our open and our lock (it removes the file
 * before it lets go), and a lock on a file nobody else sees protects
 * nothing. */
static int still_named(int fd, const char *path) {
  struct stat mine, named;
  return fstat(fd, &mine) == 0 && stat(path, &named) == 0 && mine.st_ino == named.st_ino &&
         mine.st_dev == named.st_dev;
}

static void write_holder(int fd) {
  char host[256] = "?", line[400];
  gethostname(host, sizeof host - 1);
  host[sizeof host - 1] = 0;
  int w = snprintf(line, sizeof line, "pid %ld on host %s\n", (long)getpid(), host);
  if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)w, 0) != w) { /* only a note */ }
}

syn_status sweep_lock_take(const char *target, sweep_lock *l, syn_error *err) {
  *l = (sweep_lock){.fd = -1};
  if (snprintf(l->path, sizeof l->path, "%s.lock", target) >= (int)sizeof l->path)
    return syn_error_set(err, SYN_ELIMIT, "the output name '%s' is too long", target);
  for (int attempt = 0; attempt < 100; attempt++) {
    int fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0 && errno == ENOENT) return SYN_OK; /* no folder: creating the output says so */
    if (fd < 0)
      return syn_error_set(err, SYN_EIO, "cannot create the lock '%s': %s", l->path,
                           strerror(errno));
    syn_status st = take(fd, target, l, err);
    if (st != SYN_OK || l->unsupported[0]) {
      close(fd);
      return st;
    }
    if (still_named(fd, l->path)) {
      write_holder(fd);
      l->fd = fd;
      return SYN_OK;
    }
    close(fd);
  }
  return syn_error_set(err, SYN_EIO, "cannot lock '%s': it keeps being replaced", l->path);
}

/* Removed before it is unlocked, so a run waiting on the old file sees that
 * it is gone and takes a fresh one. */
void sweep_lock_release(sweep_lock *l) {
  if (l->fd < 0) return;
  unlink(l->path);
  close(l->fd);
  l->fd = -1;
}
