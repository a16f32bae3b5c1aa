/* synovia — what the commands that run jobs of the sweep runner share
 * (`synovia sweep`, `synovia fit`): stop signals, the shard of a job-array
 * task, the progress line, the shards beside an output. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jobs.h"
#include "synovia/sweep.h"

/* ---- signals: the handler only sets a flag the runner polls between rows ------------- */

/* SIGTERM and SIGUSR1 come from schedulers, often more than once for one stop
 * (at a hard time limit Slurm signals the job and srun signals its tasks
 * again), so repeating them only repeats the request: every rank still
 * finishes its sample and commits what is done. Only a person insists: a
 * second SIGINT (Ctrl-C twice) stops at once, like SIGKILL. */
static volatile sig_atomic_t stop_flag = 0;

static void on_signal(int sig) {
  if (stop_flag && sig == SIGINT) {
    signal(sig, SIG_DFL);
    raise(sig);
  }
  stop_flag = 1;
}

void cli_catch_stop_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGUSR1, &sa, NULL);
}

const volatile sig_atomic_t *cli_stop_flag(void) { return &stop_flag; }

int cli_parse_count(const char *cmd, const char *option, const char *text, long min, size_t *out) {
  long v;
  if (!cli_parse_long(text, &v) || v < min) {
    cli_usage_error(cmd, "%s must be a whole number of at least %ld (got '%s')", option, min,
                    text);
    return 0;
  }
  *out = (size_t)v;
  return 1;
}

/* ---- the shard of a job-array task ------------------------------------------------ */

/* Slurm's description of the job array this process is a task of. */
typedef struct slurm_array {
  long id, min, max, count, step;
} slurm_array;

/* 1 and *out when the variable holds a number; 1 and *out = fallback when it
 * is unset; 0 (after a usage error) when it holds anything else. */
static int env_long(const char *cmd, const char *name, long fallback, long *out) {
  const char *text = getenv(name);
  *out = fallback;
  if (text == NULL) return 1;
  if (cli_parse_long(text, out) && *out >= 0) return 1;
  cli_usage_error(cmd, "%s is not a whole number (got '%s')", name, text);
  return 0;
}

/* 1 with *in_array set when Slurm says this is an array task, 0 on bad values. */
static int read_slurm_array(const char *cmd, slurm_array *s, int *in_array) {
  *in_array = getenv("SLURM_ARRAY_TASK_ID") != NULL;
  if (!*in_array) return 1;
  return env_long(cmd, "SLURM_ARRAY_TASK_ID", 0, &s->id) &&
         env_long(cmd, "SLURM_ARRAY_TASK_COUNT", 1, &s->count) &&
         env_long(cmd, "SLURM_ARRAY_TASK_MIN", s->id, &s->min) &&
         env_long(cmd, "SLURM_ARRAY_TASK_STEP", 1, &s->step) &&
         env_long(cmd, "SLURM_ARRAY_TASK_MAX", s->min + (s->count - 1) * s->step, &s->max);
}

/* An array that numbers its tasks 0..N-1 (--array=0-15) is one split into N
 * shards. Any other numbering (--array=1-16, 0-30:2, one task resubmitted
 * alone as --array=5) does not say how many shards there are: it is refused
 * unless --task-count says it. */
static int array_is_whole_split(const slurm_array *s) {
  return s->min == 0 && s->step == 1 && s->max == s->count - 1;
}

static int task_from_array(const char *cmd, const slurm_array *s, const char *count_text, size_t *i,
                           size_t *n) {
  if (count_text == NULL && !array_is_whole_split(s)) {
    cli_usage_error(cmd,
                    "this Slurm job array (tasks %ld to %ld, step %ld: %ld task%s) is not "
                    "numbered 0 to N-1, so its task IDs are not the shards of one split. Submit "
                    "the whole %s as --array=0-(N-1); to rerun some tasks of a %s of N "
                    "tasks, give N: --task-count N (sweep-array.sbatch: TASKS=N), or pass "
                    "--task-index and --task-count",
                    s->min, s->max, s->step, s->count, s->count == 1 ? "" : "s", cmd, cmd);
    return 0;
  }
  if (count_text == NULL) {
    *n = (size_t)s->count;
  } else if (!cli_parse_count(cmd, "--task-count", count_text, 1, n)) {
    return 0;
  } else if ((size_t)s->max >= *n) {
    cli_usage_error(cmd, "the job array's task IDs go up to %ld, but --task-count is %zu: "
                    "shards are numbered 0 to %zu", s->max, *n, *n - 1);
    return 0;
  }
  *i = (size_t)s->id;
  return 1;
}

/* --task-index/--task-count, else (or --task-count alone) Slurm's job-array
 * variables, never silently the wrong shard. */
int cli_task_options(const char *cmd, const char *idx, const char *cnt, size_t *index,
                     size_t *count) {
  slurm_array s = {0};
  int in_array = 0;
  size_t i, n;
  if (idx == NULL && !read_slurm_array(cmd, &s, &in_array)) return 0;
  if (idx == NULL && in_array) {
    if (!task_from_array(cmd, &s, cnt, &i, &n)) return 0;
  } else if (idx == NULL && cnt == NULL) {
    return 1;
  } else if (idx == NULL || cnt == NULL) {
    cli_usage_error(cmd, "--task-index and --task-count go together (--task-count alone "
                    "only in a Slurm job array, which gives the index)");
    return 0;
  } else if (!cli_parse_count(cmd, "--task-index", idx, 0, &i) ||
             !cli_parse_count(cmd, "--task-count", cnt, 1, &n)) {
    return 0;
  }
  if (i >= n) {
    cli_usage_error(cmd, "task index %zu is outside the %zu tasks (0 to %zu)", i, n, n - 1);
    return 0;
  }
  *index = i;
  *count = n;
  return 1;
}

/* ---- progress ------------------------------------------------------------------------ */

void cli_format_duration(double s, char *buf, size_t n) {
  if (!isfinite(s) || s < 0) snprintf(buf, n, "?");
  else if (s < 60) snprintf(buf, n, "%.0fs", s);
  else if (s < 3600) snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
  else snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

void cli_show_progress(void *ctx, const syn_sweep_progress *p) {
  const char *rows = ctx;
  size_t ran = p->done - p->skipped;
  double rate = p->elapsed > 0 ? (double)ran / p->elapsed : 0;
  char eta[32];
  cli_format_duration(rate > 0 ? (double)(p->total - p->done) / rate : (double)NAN, eta, sizeof eta);
  fprintf(stderr, "\r  %zu/%zu %s (%.1f%%), %.1f/s, ETA %s, %zu failed   ", p->done,
          p->total, rows, p->total ? 100.0 * (double)p->done / (double)p->total : 100.0, rate, eta,
          p->failed);
  fflush(stderr);
}

/* ---- shards ---------------------------------------------------------------------------- */

/* OUT.task-*-of-*.h5 beside OUT, sorted. */
char **cli_find_shards(const char *out, size_t *n) {
  char pattern[1100], probe[1100];
  *n = 0;
  syn_error err;
  if (syn_sweep_shard_path(out, 0, 1, probe, sizeof probe, &err) != SYN_OK) return NULL;
  /* probe is "<stem>.task-0000-of-0001<ext>": turn it into a glob */
  char *t = strstr(probe, ".task-0000-of-0001");
  if (t == NULL) return NULL;
  snprintf(pattern, sizeof pattern, "%.*s.task-*-of-*%s", (int)(t - probe), probe,
           t + strlen(".task-0000-of-0001"));
  return cli_glob(pattern, n);
}

