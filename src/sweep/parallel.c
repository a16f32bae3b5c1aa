/* synovia — MPI for sweeps (sweep layer; the only file that includes mpi.h).
 *
 * MPI is initialised only when a launcher started the process (mpirun,
 * mpiexec, srun): their environment variables say so. Otherwise the sweep
 * runs alone and MPI is never touched, so the same binary works on a laptop
 * without mpirun, and a plain `synovia run` never pays for MPI start-up.
 *
 * Messages are one small fixed-size struct (sweep_msg) sent as bytes: every
 * rank runs the same binary on the same platform, so no MPI datatype is
 * needed. An error (a syn_error, 3 KB) is sent apart, only when there is one. */
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

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

syn_status syn_parallel_begin(int *argc, char ***argv, syn_parallel *p, syn_error *err) {
  *p = (syn_parallel){0, 1, 0};
  if (!launched_by_mpi()) return SYN_OK;
  int inited = 0;
  MPI_Initialized(&inited);
  if (!inited && MPI_Init(argc, argv) != MPI_SUCCESS)
    return syn_error_set(err, SYN_EIO, "MPI could not be initialised");
  /* Errors come back as codes (the sweep reports them) instead of aborting. */
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &p->rank);
  MPI_Comm_size(MPI_COMM_WORLD, &p->size);
  p->mpi = 1;
  return SYN_OK;
}

void syn_parallel_end(syn_parallel *p) {
  if (p == NULL || !p->mpi) return;
  MPI_Finalize();
  p->mpi = 0;
}

int syn_parallel_agree(const syn_parallel *p, int ok) {
  if (p == NULL || !p->mpi || p->size < 2) return ok;
  int mine = ok != 0, all = 0;
  if (MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD) != MPI_SUCCESS) return 0;
  return all;
}

static int tag_of(sweep_msg_kind k) { return (int)k; }

int sweep_mpi_send(const syn_parallel *p, int to, sweep_msg_kind kind, const sweep_msg *m) {
  (void)p;
  return MPI_Send(m, (int)sizeof *m, MPI_BYTE, to, tag_of(kind), MPI_COMM_WORLD) == MPI_SUCCESS
             ? 0
             : -1;
}

static int recv_from(int source, int tag, int *from, sweep_msg_kind *kind, sweep_msg *m) {
  MPI_Status st;
  if (MPI_Recv(m, (int)sizeof *m, MPI_BYTE, source, tag, MPI_COMM_WORLD, &st) != MPI_SUCCESS)
    return -1;
  if (from) *from = st.MPI_SOURCE;
  if (kind) *kind = (sweep_msg_kind)st.MPI_TAG;
  return 0;
}

int sweep_mpi_recv(const syn_parallel *p, int *from, sweep_msg_kind *kind, sweep_msg *m) {
  (void)p;
  return recv_from(MPI_ANY_SOURCE, MPI_ANY_TAG, from, kind, m);
}

int sweep_mpi_poll(const syn_parallel *p, int source, int any_kind, sweep_msg_kind kind,
                   int *from, sweep_msg_kind *got, sweep_msg *m) {
  (void)p;
  int flag = 0, src = source < 0 ? MPI_ANY_SOURCE : source;
  int tag = any_kind ? MPI_ANY_TAG : tag_of(kind);
  MPI_Status st;
  if (MPI_Iprobe(src, tag, MPI_COMM_WORLD, &flag, &st) != MPI_SUCCESS) return -1;
  if (!flag) return 0;
  return recv_from(st.MPI_SOURCE, st.MPI_TAG, from, got, m) == 0 ? 1 : -1;
}

int sweep_mpi_wait(const syn_parallel *p) {
  (void)p;
  MPI_Status st;
  return MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st) == MPI_SUCCESS ? 0 : -1;
}

int sweep_mpi_barrier(const syn_parallel *p) {
  (void)p;
  return MPI_Barrier(MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : -1;
}

int sweep_mpi_bcast(const syn_parallel *p, sweep_msg *m) {
  (void)p;
  return MPI_Bcast(m, (int)sizeof *m, MPI_BYTE, 0, MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : -1;
}

int sweep_mpi_send_error(const syn_parallel *p, int to, const syn_error *e) {
  (void)p;
  return MPI_Send(e, (int)sizeof *e, MPI_BYTE, to, tag_of(SWEEP_MSG_ERROR), MPI_COMM_WORLD) ==
                 MPI_SUCCESS
             ? 0
             : -1;
}

int sweep_mpi_recv_error(const syn_parallel *p, int from, syn_error *e) {
  (void)p;
  return MPI_Recv(e, (int)sizeof *e, MPI_BYTE, from, tag_of(SWEEP_MSG_ERROR), MPI_COMM_WORLD,
                  MPI_STATUS_IGNORE) == MPI_SUCCESS
             ? 0
             : -1;
}

int sweep_mpi_bcast_error(const syn_parallel *p, syn_error *e) {
  (void)p;
  return MPI_Bcast(e, (int)sizeof *e, MPI_BYTE, 0, MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : -1;
}
