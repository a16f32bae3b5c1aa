/* synovia — `run`'s result file while it is written: a SIGINT or SIGTERM
 * removes <out>.tmp and ends the process by that signal.
 *
 * Why here and so: the library never installs signal handlers, and a run has
 * nothing to keep when it is stopped (unlike a sweep's committed parts), so
 * the handler does not wait for the solver or the writer to notice a flag: it
 * removes the tmp file (unlink is async-signal-safe), says so with write(2),
 * and re-raises the signal with its default action, so that the shell sees a
 * process killed by SIGINT/SIGTERM (and stops a loop on Ctrl-C). The writer's
 * lock on the tmp file goes with the process. An older result of that name
 * is never touched: it is replaced only by the rename at commit.
 *
 * The guard is armed only while the tmp file is ours: from its creation to
 * the commit's rename. Both are made with the two signals blocked, so that a
 * signal cannot fall between creating the tmp and arming (leaving it behind)
 * or between the rename and disarming (removing a new tmp of another run). A
 * signal that arrives during the commit is delivered after it: the result is
 * then complete, and the process still ends by the signal. SIGKILL cannot be
 * caught: its tmp stays, unlocked, and the next run of that output takes it
 * over (src/io/h5.c). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

/* What the handler needs, set before arming and read only by it. The CLI
 * writes one output at a time, so one guard is enough. */
static char *volatile guard_tmp;     /* <out>.tmp while armed, NULL otherwise */
static char *volatile guard_message; /* said on stderr when it fires */
static volatile size_t guard_message_len;

static void on_stop_signal(int sig) {
  char *tmp = guard_tmp;
  if (tmp != NULL) {
    unlink(tmp);
    if (write(STDERR_FILENO, guard_message, guard_message_len) < 0) {
      /* nothing more can be done in a handler */
    }
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

static void block_stop_signals(sigset_t *saved) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, saved);
}

/* A signal ignored when synovia started (nohup, SIGINT in a script's
 * background job) stays ignored, as the shell asked. */
static void catch_unless_ignored(int sig, const struct sigaction *sa) {
  struct sigaction old;
  if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN) return;
  sigaction(sig, sa, NULL);
}

/* Arms the guard for out_path (signals blocked by the caller). Without
 * memory for the names it stays unarmed: a signal then leaves the tmp file,
 * which the next run takes over. */
static void arm(const char *out_path) {
  size_t n = strlen(out_path);
  char *tmp = malloc(n + sizeof ".tmp");
  int len = snprintf(NULL, 0, "synovia run: interrupted: '%s' was not written (an older file of "
                              "that name is unchanged)\n", out_path);
  char *msg = len > 0 ? malloc((size_t)len + 1) : NULL;
  if (tmp == NULL || msg == NULL) {
    free(tmp);
    free(msg);
    return;
  }
  memcpy(tmp, out_path, n);
  memcpy(tmp + n, ".tmp", sizeof ".tmp");
  snprintf(msg, (size_t)len + 1,
           "synovia run: interrupted: '%s' was not written (an older file of that name is "
           "unchanged)\n", out_path);
  guard_message = msg;
  guard_message_len = (size_t)len;
  guard_tmp = tmp;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  catch_unless_ignored(SIGINT, &sa);
  catch_unless_ignored(SIGTERM, &sa);
}

syn_status run_create_output(const char *out_path, const syn_provenance *prov, syn_h5 **h,
                             syn_error *err) {
  sigset_t saved;
  block_stop_signals(&saved);
  syn_status st = syn_h5_create(out_path, prov, h, err);
  if (st == SYN_OK) arm(out_path);
  sigprocmask(SIG_SETMASK, &saved, NULL);
  return st;
}

void run_release_output(void) {
  sigset_t saved;
  block_stop_signals(&saved);
  char *tmp = guard_tmp, *msg = guard_message;
  guard_tmp = NULL;
  guard_message = NULL;
  guard_message_len = 0;
  free(tmp);
  free(msg);
  sigprocmask(SIG_SETMASK, &saved, NULL);
}

syn_status run_commit_output(syn_h5 *h, syn_error *err) {
  sigset_t saved;
  block_stop_signals(&saved);
  syn_status st = syn_h5_commit(h, err);
  if (st == SYN_OK) run_release_output(); /* renamed: the tmp name is no longer ours */
  sigprocmask(SIG_SETMASK, &saved, NULL);
  return st;
}
