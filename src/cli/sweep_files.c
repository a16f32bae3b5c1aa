/* synovia — the files beside a sweep's output that the command line looks
 * after for batch systems: the census of a job array's shard files that
 * tells a merge which tasks did not finish and how to run them again (the
 * lock that lets one run write an output at a time is the sweep's own,
 * src/sweep/lock.c; its OUT.lock files say here which tasks still run). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sweep_files.h"
#include "synovia/h5sweep.h"
#include "synovia/sweep.h"

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
