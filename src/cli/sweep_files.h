/* synovia — the files beside a sweep's output that the command line looks
 * after for batch systems (src/cli/sweep_files.c). */
#ifndef SYN_CLI_SWEEP_FILES_H
#define SYN_CLI_SWEEP_FILES_H

#include <stddef.h>

/* For `synovia merge OUT.h5`: given the shard files found beside OUT, 1 when
 * every task of their split has one; else 0 after printing which tasks did
 * not finish (interrupted, still running) and the sbatch and synovia
 * commands that run just them (the array template's folder is taken from
 * SYNOVIA_TEMPLATES, default scripts/slurm). */
int cli_shards_complete(const char *out, char **shards, size_t nshards);

#endif
