/* synovia — the files beside a sweep's output that the command line looks
 * after for batch systems: the lock that lets one run write an output at a
 * time, and the census of a job array's shard files that tells a merge which
 * tasks did not finish and how to run them again. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "sweep_files.h"
#include "synovia/h5sweep.h"
#include "synovia/sweep.h"

/* ---- one run of an output at a time ------------------------------------------------ */

/* Two runs of the same output (a shard resubmitted while it still runs, a
 * requeued task beside its first attempt) would delete and overwrite each
 * other's unsaved parts. Each run therefore holds an advisory fcntl lock on
 * OUT.lock (fcntl locks also work over NFS) and writes its pid and host into
 * it; the second run refuses, naming them. The lock is released when the
 * process ends, however it ends. */
static void describe_holder(int fd, char *buf, size_t n) {
  ssize_t got = pread(fd, buf, n - 1, 0);
  buf[got > 0 ? got : 0] = 0;
  buf[strcspn(buf, "\n")] = 0;
  if (buf[0] == 0) snprintf(buf, n, "a process that has not said which");
}

/* 1 when the lock is ours, or locks are not supported there (say so, go on);
 * 0 after printing who holds it. */
static int take_lock(int fd, const char *target, const char *path) {
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
  if (fcntl(fd, F_SETLK, &fl) == 0) return 1;
  if (errno != EACCES && errno != EAGAIN) {
    fprintf(stderr, "synovia: warning: cannot lock '%s' (%s): nothing stops a second run of "
            "the same output\n", path, strerror(errno));
    return 1;
  }
  char holder[300];
  describe_holder(fd, holder, sizeof holder);
  fprintf(stderr, "synovia: error: '%s' is being written by another run: %s (lock '%s')\n"
          "  hint: wait until it ends or stop it (scancel); two runs of one output would "
          "destroy each other's unsaved samples\n", target, holder, path);
  return 0;
}

/* 1 and a held lock, 0 (reported) when another run holds it or it cannot be made. */
int cli_lock_output(const char *target, cli_lock *l) {
  l->fd = -1;
  snprintf(l->path, sizeof l->path, "%s.lock", target);
  for (int attempt = 0; attempt < 100; attempt++) {
    int fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0 && errno == ENOENT) return 1; /* no folder: the run reports it */
    if (fd < 0) {
      fprintf(stderr, "synovia: error: cannot create '%s': %s\n", l->path, strerror(errno));
      return 0;
    }
    if (!take_lock(fd, target, l->path)) {
      close(fd);
      return 0;
    }
    /* The run before us may have removed the file between our open and our
     * lock: then the lock is on a file nobody else will see; take it again. */
    struct stat mine, named;
    if (fstat(fd, &mine) == 0 && stat(l->path, &named) == 0 && mine.st_ino == named.st_ino &&
        mine.st_dev == named.st_dev) {
      char host[256] = "?", line[400];
      gethostname(host, sizeof host - 1);
      int w = snprintf(line, sizeof line, "pid %ld on host %s\n", (long)getpid(), host);
      if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)w, 0) != w) { /* only a note */ }
      l->fd = fd;
      return 1;
    }
    close(fd);
  }
  fprintf(stderr, "synovia: error: cannot lock '%s': it keeps being replaced\n", l->path);
  return 0;
}

/* Removed before it is unlocked, so a waiting run that then locks the old
 * file sees that it is gone and takes a fresh one. */
void cli_unlock_output(cli_lock *l) {
  if (l->fd < 0) return;
  unlink(l->path);
  close(l->fd);
  l->fd = -1;
}

/* ---- the tasks a merge lacks --------------------------------------------------------- */

/* What the files beside OUT say about each task of the split: finished
 * (OUT.task-I-of-N.h5), interrupted (its .parts folder), still running (its
 * .lock). Looked at before merging, so that a merge after a job array some of
 * whose tasks failed, timed out or were cancelled names them and says the
 * exact command that finishes them. */
enum { TASK_FINISHED = 1, TASK_INTERRUPTED = 2, TASK_RUNNING = 4 };

typedef struct task_census {
  size_t count;          /* N of the split; 0 when the names disagree */
  unsigned char *state;  /* [count] TASK_* bits */
  char sweep[1024];      /* the sweep file a shard names, or "" */
} task_census;

static int shard_numbers(const char *path, size_t *i, size_t *n) {
  const char *t = strstr(path, ".task-"), *next;
  while (t && (next = strstr(t + 1, ".task-")) != NULL) t = next;
  return t && sscanf(t, ".task-%zu-of-%zu", i, n) == 2 && *n > 0 && *i < *n;
}

static void census_add(task_census *c, char **paths, size_t np, int bit) {
  for (size_t k = 0; k < np && c->count; k++) {
    size_t i, n;
    if (!shard_numbers(paths[k], &i, &n)) continue;
    if (c->state == NULL) {
      c->count = n;
      c->state = calloc(n, 1);
      if (c->state == NULL) { c->count = 0; return; }
    }
    if (n != c->count) { c->count = 0; return; } /* two splits: the merge explains */
    c->state[i] = (unsigned char)(c->state[i] | bit);
  }
}

static void census_scan(const char *out, const char *suffix, task_census *c, int bit) {
  char pattern[1200], probe[1100];
  syn_error err;
  if (syn_sweep_shard_path(out, 0, 1, probe, sizeof probe, &err) != SYN_OK) return;
  char *t = strstr(probe, ".task-0000-of-0001");
  if (t == NULL) return;
  snprintf(pattern, sizeof pattern, "%.*s.task-*-of-*%s%s", (int)(t - probe), probe,
           t + strlen(".task-0000-of-0001"), suffix);
  size_t np = 0;
  char **paths = cli_glob(pattern, &np);
  census_add(c, paths, np, bit);
  cli_glob_free(paths, np);
}

static void census_sweep_file(const char *path, task_census *c) {
  syn_h5sweep_reader *rd = NULL;
  syn_error err;
  if (syn_h5sweep_open(path, &rd, &err) != SYN_OK) return;
  const char *f = syn_h5sweep_reader_spec(rd)->sweep_file;
  snprintf(c->sweep, sizeof c->sweep, "%s", f ? f : "");
  syn_h5sweep_reader_destroy(rd);
}

/* The tasks whose bit is (present) or is not set, as Slurm's --array takes
 * them: ranges and commas ("1-3,7"). */
static void print_task_list(const task_census *c, int bit, int present) {
  const char *sep = "";
  for (size_t i = 0; i < c->count; i++) {
    if (((c->state[i] & bit) != 0) != present) continue;
    size_t j = i;
    while (j + 1 < c->count && ((c->state[j + 1] & bit) != 0) == present) j++;
    if (j == i) fprintf(stderr, "%s%zu", sep, i);
    else fprintf(stderr, "%s%zu-%zu", sep, i, j);
    sep = ",";
    i = j;
  }
}

/* 1 when every task of the split has its shard file, else 0 after saying
 * which do not and how to run them again. */
int cli_shards_complete(const char *out, char **shards, size_t nshards) {
  task_census c = {.count = 1};
  census_add(&c, shards, nshards, TASK_FINISHED);
  census_scan(out, ".parts", &c, TASK_INTERRUPTED);
  census_scan(out, ".lock", &c, TASK_RUNNING);
  size_t missing = 0, running = 0, interrupted = 0;
  if (c.state == NULL) c.count = 0; /* no task files at all: the caller says so */
  for (size_t i = 0; i < c.count; i++) {
    missing += !(c.state[i] & TASK_FINISHED);
    running += !(c.state[i] & TASK_FINISHED) && (c.state[i] & TASK_RUNNING);
    interrupted += !(c.state[i] & TASK_FINISHED) && (c.state[i] & TASK_INTERRUPTED);
  }
  if (c.count == 0 || missing == 0) {
    free(c.state);
    return 1;
  }
  if (nshards > 0) census_sweep_file(shards[0], &c);
  const char *sweep = c.sweep[0] ? c.sweep : "FILE.sweep";
  const char *templates = getenv("SYNOVIA_TEMPLATES");
  fprintf(stderr, "synovia: error: merge into '%s': %zu of the %zu tasks did not finish: ", out,
          missing, c.count);
  print_task_list(&c, TASK_FINISHED, 0);
  if (interrupted) {
    fprintf(stderr, "\n  interrupted, their finished samples kept (OUT.task-I-of-N.h5.parts): ");
    print_task_list(&c, TASK_INTERRUPTED, 1);
  }
  if (running) {
    fprintf(stderr, "\n  still running (a .lock beside the output): ");
    print_task_list(&c, TASK_RUNNING, 1);
  }
  fprintf(stderr, "\n  hint: run them again (each keeps what it finished), then merge again; "
          "in a Slurm job array:\n    sbatch --array=");
  print_task_list(&c, TASK_FINISHED, 0);
  fprintf(stderr, " %s%ssweep-array.sbatch %s %s TASKS=%zu\n  or one by one:\n"
          "    synovia sweep %s -o %s --resume --task-count %zu --task-index I\n",
          templates ? templates : "scripts/slurm", "/", sweep, out, c.count, sweep, out, c.count);
  free(c.state);
  return 0;
}
