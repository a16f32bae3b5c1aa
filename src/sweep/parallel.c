/* synovia — MPI for sweeps (sweep layer).
 *
 * MPI is initialised only when a launcher started the process (mpirun,
 * mpiexec, srun): their environment variables say so. Otherwise the sweep
 * runs alone and MPI is never touched, so the same binary works on a laptop
 * without mpirun, and a plain `synovia run` never pays for MPI start-up: not
 * even the loading of Open MPI's libraries, for the MPI calls are in a plugin
 * loaded here only under a launcher (mpi_ops.h says why and how).
 *
 * Messages are one small fixed-size struct (sweep_msg) sent as bytes: every
 * rank runs the same binary on the same platform, so no MPI datatype is
 * needed. An error (a syn_error, 3 KB) is sent apart, only when there is one. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/plugin.h"
#include "mpi_ops.h"
#include "sweep_internal.h"

/* Variables set by the launchers for each process they start. */
static const char *const launcher_vars[] = {
    "OMPI_COMM_WORLD_SIZE", /* Open MPI's mpirun */
    "PMI_SIZE",             /* MPICH/Hydra, Slurm's PMI-1/2 */
    "PMIX_RANK",            /* PMIx (Open MPI 5, srun --mpi=pmix) */
    "MPI_LOCALNRANKS",      /* MPICH */
};

static int launched_by_mpi(void) {
  for (size_t i = 0; i < sizeof launcher_vars / sizeof *launcher_vars; i++)
    if (getenv(launcher_vars[i]) != NULL) return 1;
  return 0;
}

/* The number of tasks of the Slurm job step this process is one of (srun
 * sets it; 0 outside srun). Open MPI's mpirun starts its ranks through its
 * own daemons, so under mpirun the step is theirs, not the ranks': not asked. */
static long srun_step_tasks(void) {
  const char *text = getenv("SLURM_STEP_NUM_TASKS");
  if (text == NULL || getenv("OMPI_COMM_WORLD_SIZE") != NULL) return 0;
  char *end = NULL;
  long n = strtol(text, &end, 10);
  return end != text && *end == 0 ? n : 0;
}

/* srun without an MPI plugin (or with one this MPI cannot use) starts
 * independent copies, each rank 0 of 1. (--mpi=pmi2 is not to be offered:
 * Debian's Open MPI cannot use it.) */
long syn_parallel_separate_copies(const syn_parallel *p) {
  long tasks = srun_step_tasks();
  return tasks > 1 && (p == NULL || p->size == 1) ? tasks : 0;
}

/* Load the MPI plugin (and so libmpi) for good: Open MPI cannot be unloaded,
 * and its own components need its symbols global (RTLD_GLOBAL). */
static const sweep_mpi_ops *load_mpi(syn_error *err) {
  char why[512];
  void *lib = syn_plugin_open("synovia-mpi", sweep_mpi_plugin, sweep_mpi_plugin_size,
                              RTLD_NOW | RTLD_GLOBAL, why, sizeof why);
  const sweep_mpi_ops *ops = lib != NULL ? dlsym(lib, SWEEP_MPI_OPS_SYMBOL) : NULL;
  if (lib != NULL && ops == NULL) snprintf(why, sizeof why, "%s", dlerror());
  if (ops == NULL) syn_error_set(err, SYN_EIO, "MPI could not be loaded (%s)", why);
  return ops;
}

static const sweep_mpi_ops *ops_of(const syn_parallel *p) { return p->mpi_ops; }

syn_status syn_parallel_begin(int *argc, char ***argv, syn_parallel *p, syn_error *err) {
  *p = (syn_parallel){0, 1, 0, NULL};
  if (!launched_by_mpi()) return SYN_OK;
  const sweep_mpi_ops *ops = load_mpi(err);
  if (ops == NULL) return SYN_EIO;
  if (ops->init(argc, argv, &p->rank, &p->size) != 0)
    return syn_error_set(err, SYN_EIO, "MPI could not be initialised");
  p->mpi = 1;
  p->mpi_ops = ops;
  return SYN_OK;
}

void syn_parallel_end(syn_parallel *p) {
  if (p == NULL || !p->mpi) return;
  ops_of(p)->finalize();
  p->mpi = 0;
}

int syn_parallel_agree(const syn_parallel *p, int ok) {
  if (p == NULL || !p->mpi || p->size < 2) return ok;
  int all = 0;
  if (ops_of(p)->allreduce_min(ok != 0, &all) != 0) return 0;
  return all;
}

static int tag_of(sweep_msg_kind k) { return (int)k; }

int sweep_mpi_send(const syn_parallel *p, int to, sweep_msg_kind kind, const sweep_msg *m) {
  return ops_of(p)->send(m, (int)sizeof *m, to, tag_of(kind));
}

int sweep_mpi_recv(const syn_parallel *p, int *from, sweep_msg_kind *kind, sweep_msg *m) {
  int tag = 0;
  if (ops_of(p)->recv(m, (int)sizeof *m, -1, -1, from, &tag) != 0) return -1;
  if (kind) *kind = (sweep_msg_kind)tag;
  return 0;
}

int sweep_mpi_poll(const syn_parallel *p, int source, int any_kind, sweep_msg_kind kind,
                   int *from, sweep_msg_kind *got, sweep_msg *m) {
  int flag = 0, src = -1, tag = -1;
  if (ops_of(p)->iprobe(source, any_kind ? -1 : tag_of(kind), &flag, &src, &tag) != 0) return -1;
  if (!flag) return 0;
  if (ops_of(p)->recv(m, (int)sizeof *m, src, tag, from, NULL) != 0) return -1;
  if (got) *got = (sweep_msg_kind)tag;
  return 1;
}

int sweep_mpi_wait(const syn_parallel *p) { return ops_of(p)->probe_any(); }

int sweep_mpi_barrier(const syn_parallel *p) { return ops_of(p)->barrier(); }

int sweep_mpi_bcast(const syn_parallel *p, sweep_msg *m) {
  return ops_of(p)->bcast(m, (int)sizeof *m, 0);
}

int sweep_mpi_send_error(const syn_parallel *p, int to, const syn_error *e) {
  return ops_of(p)->send(e, (int)sizeof *e, to, tag_of(SWEEP_MSG_ERROR));
}

int sweep_mpi_recv_error(const syn_parallel *p, int from, syn_error *e) {
  return ops_of(p)->recv(e, (int)sizeof *e, from, tag_of(SWEEP_MSG_ERROR), NULL, NULL);
}

int sweep_mpi_bcast_error(const syn_parallel *p, syn_error *e) {
  return ops_of(p)->bcast(e, (int)sizeof *e, 0);
}
