/* synovia — the MPI calls of sweeps behind a table of functions (sweep layer,
 * internal).
 *
 * Why: linking Open MPI makes every start of the program load libmpi and the
 * seven libraries it brings (hwloc, pmix, libevent, ...), about a quarter of
 * the start-up of a `synovia run` that never uses MPI. So only the MPI
 * plugin (src/sweep/mpi/plugin.c, a small shared object linked with libmpi)
 * calls MPI; its bytes are embedded in the program (the build generates
 * sweep_mpi_plugin[]), and parallel.c loads it only when a launcher started
 * the process. The program stays one file: nothing to install beside it.
 *
 * The table speaks plain C (no MPI types): messages are bytes, ranks and tags
 * ints, source or tag -1 = any. Every function returns 0 on success, -1 on an
 * MPI error (errors are returned, never fatal). */
#ifndef SYN_SWEEP_MPI_OPS_H
#define SYN_SWEEP_MPI_OPS_H

#include <stddef.h>

typedef struct sweep_mpi_ops {
  /* MPI_Init unless initialised, errors returned; this rank and the size */
  int (*init)(int *argc, char ***argv, int *rank, int *size);
  void (*finalize)(void);
  int (*allreduce_min)(int mine, int *all);
  int (*send)(const void *buf, int bytes, int to, int tag);
  /* from/tag (may be NULL): the sender and the tag of what arrived */
  int (*recv)(void *buf, int bytes, int source, int tag, int *from, int *got_tag);
  /* *flag = 1 if a message from source with tag is waiting (MPI_Iprobe) */
  int (*iprobe)(int source, int tag, int *flag, int *from, int *got_tag);
  int (*probe_any)(void); /* until any message is waiting */
  int (*barrier)(void);
  int (*bcast)(void *buf, int bytes, int root);
} sweep_mpi_ops;

/* The plugin's one exported symbol: its table (versioned by name). */
#define SWEEP_MPI_OPS_SYMBOL "sweep_mpi_ops_v1"
extern const sweep_mpi_ops sweep_mpi_ops_v1;

/* The plugin's bytes, embedded in the program (generated at build time). */
extern const unsigned char sweep_mpi_plugin[];
extern const size_t sweep_mpi_plugin_size;

#endif
