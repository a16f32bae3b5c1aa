/* synovia — the files beside a sweep's output that the command line looks
 * after for batch systems (src/cli/sweep_files.c). */
#ifndef SYN_CLI_SWEEP_FILES_H
#define SYN_CLI_SWEEP_FILES_H

#include <stddef.h>

/* One run of an output at a time: an advisory fcntl lock on TARGET.lock,
 * holding "pid N on host H". Two runs of one output (a task submitted twice,
 * a requeued task beside its first attempt) would destroy each other's
 * unsaved parts. */
typedef struct cli_lock {
  int fd; /* -1: none held */
  char path[1200];
} cli_lock;

/* 1 with the lock held (or none needed: no folder yet, or locks unsupported
 * there, said on stderr); 0 after printing who holds it or what failed. */
int cli_lock_output(const char *target, cli_lock *l);
/* Removes and releases the lock; nothing when none is held. */
void cli_unlock_output(cli_lock *l);

/* For `synovia merge OUT.h5`: given the shard files found beside OUT, 1 when
 * every task of their split has one; else 0 after printing which tasks did
 * not finish (interrupted, still running) and the sbatch and synovia
 * commands that run just them (the array template's folder is taken from
 * SYNOVIA_TEMPLATES, default scripts/slurm). */
int cli_shards_complete(const char *out, char **shards, size_t nshards);

#endif
