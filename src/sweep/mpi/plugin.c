/* synovia — the MPI plugin: the only code that calls MPI (see
 * src/sweep/mpi_ops.h). Built as a shared object linked with libmpi,
 * embedded in the program, loaded by src/sweep/parallel.c under a launcher. */
#include <mpi.h>

#include "sweep/mpi_ops.h"

static int ok(int rc) { return rc == MPI_SUCCESS ? 0 : -1; }
static int any_source(int s) { return s < 0 ? MPI_ANY_SOURCE : s; }
static int any_tag(int t) { return t < 0 ? MPI_ANY_TAG : t; }

static int init(int *argc, char ***argv, int *rank, int *size) {
  int inited = 0;
  MPI_Initialized(&inited);
  if (!inited && MPI_Init(argc, argv) != MPI_SUCCESS) return -1;
  /* Errors come back as codes (the sweep reports them) instead of aborting. */
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, rank);
  MPI_Comm_size(MPI_COMM_WORLD, size);
  return 0;
}

static void finalize(void) { MPI_Finalize(); }

static int allreduce_min(int mine, int *all) {
  return ok(MPI_Allreduce(&mine, all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD));
}

static int send_bytes(const void *buf, int bytes, int to, int tag) {
  return ok(MPI_Send(buf, bytes, MPI_BYTE, to, tag, MPI_COMM_WORLD));
}

static int recv_bytes(void *buf, int bytes, int source, int tag, int *from, int *got_tag) {
  MPI_Status st;
  if (MPI_Recv(buf, bytes, MPI_BYTE, any_source(source), any_tag(tag), MPI_COMM_WORLD, &st) !=
      MPI_SUCCESS)
    return -1;
  if (from) *from = st.MPI_SOURCE;
  if (got_tag) *got_tag = st.MPI_TAG;
  return 0;
}

static int iprobe(int source, int tag, int *flag, int *from, int *got_tag) {
  MPI_Status st;
  *flag = 0;
  if (MPI_Iprobe(any_source(source), any_tag(tag), MPI_COMM_WORLD, flag, &st) != MPI_SUCCESS)
    return -1;
  if (*flag && from) *from = st.MPI_SOURCE;
  if (*flag && got_tag) *got_tag = st.MPI_TAG;
  return 0;
}

static int probe_any(void) {
  MPI_Status st;
  return ok(MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st));
}

static int barrier(void) { return ok(MPI_Barrier(MPI_COMM_WORLD)); }

static int bcast(void *buf, int bytes, int root) {
  return ok(MPI_Bcast(buf, bytes, MPI_BYTE, root, MPI_COMM_WORLD));
}

const sweep_mpi_ops sweep_mpi_ops_v1 = {init,   finalize,  allreduce_min, send_bytes, recv_bytes,
                                        iprobe, probe_any, barrier,       bcast};
