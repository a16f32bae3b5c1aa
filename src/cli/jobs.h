/* synovia — what the commands that run jobs of the sweep runner share
 * (src/cli/jobs.c: `synovia sweep` and `synovia fit`). */
#ifndef SYN_CLI_JOBS_H
#define SYN_CLI_JOBS_H

#include <signal.h>
#include <stddef.h>

#include "synovia/sweep.h"

/* The exit status of a run stopped by a signal, its rows kept for --resume. */
enum { CLI_INTERRUPTED = 3 };

/* SIGINT, SIGTERM and SIGUSR1 set the flag the runner polls between rows
 * (finish the row, commit, exit interrupted); repeated SIGTERM/SIGUSR1
 * change nothing, a second SIGINT stops at once. */
void cli_catch_stop_signals(void);
const volatile sig_atomic_t *cli_stop_flag(void);

/* TEXT as a whole number >= min into *out; else a usage error of command
 * CMD naming OPTION, and 0. */
int cli_parse_count(const char *cmd, const char *option, const char *text, long min,
                    size_t *out);

/* The shard to run: --task-index IDX --task-count CNT (NULL: not given),
 * else Slurm's job-array variables (SLURM_ARRAY_TASK_ID, ...); *count stays
 * as it is (0) when neither says one. 0 after a usage error of CMD. */
int cli_task_options(const char *cmd, const char *idx, const char *cnt, size_t *index,
                     size_t *count);

/* "12s", "3m05s", "2h10m"; "?" when unknown. */
void cli_format_duration(double s, char *buf, size_t n);
/* The progress line on stderr; ctx: the rows' plural ("samples", "starts"). */
void cli_show_progress(void *ctx, const syn_sweep_progress *p);

/* OUT.task-*-of-*.h5 beside OUT, sorted (cli_glob_free); NULL when none. */
char **cli_find_shards(const char *out, size_t *n);

#endif
