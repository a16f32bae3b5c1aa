/* synovia — `synovia sweep FILE.sweep` and `synovia merge`: parameter sweeps,
 * alone, under mpirun/srun, or as Slurm job-array shards. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "jobs.h"
#include "summary.h"
#include "sweep_files.h"
#include "run.h"
#include "synovia/h5sweep.h"
#include "synovia/scenario.h"
#include "synovia/sweep.h"

static const char sweep_help[] =
    "usage: synovia sweep FILE.sweep [options]\n"
    "\n"
    "Run a scenario many times with parameters drawn by the sweep's design\n"
    "(docs/sweeps.md) and write every sample's metrics to one HDF5 file, with\n"
    "Sobol (saltelli designs) or Morris (morris designs) sensitivity indices.\n"
    "The same command runs under mpirun or srun: rank 0 hands out blocks of\n"
    "samples to every rank and merges their parts at the end.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE     result file (default: the sweep's name with .h5, here);\n"
    "                        not '-': HDF5 cannot be written to standard output;\n"
    "                        an existing FILE must be a regular file, not an input\n"
    "  --resume              keep the samples an interrupted run finished\n"
    "                        (they are in FILE.parts/); refused if anything changed;\n"
    "                        with nothing to resume, the sweep simply runs\n"
    "  --task-index I        run shard I (0-based) of --task-count N only, into\n"
    "  --task-count N        FILE.task-000I-of-000N.h5; join them with `synovia merge`.\n"
    "                        Default from a Slurm job array numbered 0..N-1\n"
    "                        (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT); in an\n"
    "                        array numbered otherwise (rerunning some tasks), give\n"
    "                        --task-count N and the task ID is the index\n"
    "  --dry-run             check everything, print the plan and the work split, run\n"
    "                        nothing (the design is counted, not built)\n"
    "  --checkpoint SECONDS  commit finished samples at least this often (default 30)\n"
    "  --block N             samples per block handed to a rank (default: automatic)\n"
    "  --bootstrap B         resamples for the Sobol confidence intervals (default 1000)\n"
    "  --rtol R              relative tolerance of the solver (default 1e-6)\n"
    "  --atol A              absolute tolerance for every state (default: a state's\n"
    "                        own atol, 1e-3 for cells, else 1e-9)\n"
    "  --atol STATE=A        absolute tolerance for one state (repeatable; A may have\n"
    "                        a unit: --atol knee_R.MSC_F='1 cells')\n"
    "  --linear-solver KIND  auto (default), dense or klu (sparse)\n"
    "  --max-steps N         solver steps per output interval (default 50000)\n"
    "                        These override the scenario's `solver` line; they are part\n"
    "                        of the configuration (--resume refuses other values)\n"
    "  -q, --quiet           no progress line, no summary\n"
    "  -h, --help            show this help\n"
    "\n"
    "One run of an output at a time: a second is refused (lock FILE.lock).\n"
    "SIGINT, SIGTERM or SIGUSR1 (Slurm's --signal) finish the current sample, keep\n"
    "what is done and exit with status 3; rerun with --resume to go on. Repeated\n"
    "SIGTERM/SIGUSR1 change nothing; a second SIGINT (Ctrl-C twice) stops at once.\n"
    "\n"
    "examples:\n"
    "  synovia sweep examples/ia_iv_sobol.sweep\n"
    "  mpirun -np 4 synovia sweep examples/virtual_population.sweep -o vp.h5\n"
    "  synovia sweep big.sweep --task-index 0 --task-count 8   # one job-array task\n";

static const char merge_help[] =
    "usage: synovia merge -o OUT.h5 PART.h5 [PART.h5 ...]\n"
    "       synovia merge OUT.h5\n"
    "\n"
    "Join the shard files of a sweep run as a job array (`synovia sweep\n"
    "--task-index I --task-count N`) into one file, and compute its sensitivity\n"
    "indices. With only OUT.h5, the shards are OUT.task-*-of-*.h5 beside it.\n"
    "Refuses missing, duplicated or mismatched shards.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE     the merged file (not '-': HDF5 cannot go to standard output;\n"
    "                        an existing FILE must be a regular file, not a part)\n"
    "  --bootstrap B         resamples for the Sobol confidence intervals (default 1000)\n"
    "  -q, --quiet           no summary\n"
    "  -h, --help            show this help\n";

/* ---- arguments ---------------------------------------------------------------------- */

/* --atol NAME=A options a sweep takes (more belong in the sweep file). */
enum { SWEEP_MAX_STATE_ATOLS = 64 };

typedef struct sweep_args {
  const char *path, *output;
  const char *task_index, *task_count, *checkpoint, *block, *bootstrap;
  int resume, dry_run, quiet;
  const char *solver[SYN_SETTING_COUNT]; /* --rtol, --atol, ... as given; NULL: not given */
  name_value atols[SWEEP_MAX_STATE_ATOLS]; /* --atol NAME=A, in order */
  size_t natols;
} sweep_args;

/* --atol NAME=A: one state's tolerance (the name is cut at the '='). */
static int add_state_atol(sweep_args *a, const char *text) {
  const char *eq = strchr(text, '=');
  if (eq == text || eq[1] == 0) {
    cli_usage_error("sweep", "--atol '%s' is not NAME=VALUE", text);
    return -1;
  }
  if (a->natols == SWEEP_MAX_STATE_ATOLS) {
    cli_usage_error("sweep", "more than %d --atol NAME=A options (use `atol` lines in the sweep "
                    "file)", SWEEP_MAX_STATE_ATOLS);
    return -1;
  }
  char *name = malloc((size_t)(eq - text) + 1);
  if (name == NULL) {
    fputs("synovia: error: out of memory\n", stderr);
    return -1;
  }
  memcpy(name, text, (size_t)(eq - text));
  name[eq - text] = 0;
  a->atols[a->natols++] = (name_value){"--atol", name, eq + 1};
  return 1;
}

static void free_sweep_args(sweep_args *a) {
  for (size_t i = 0; i < a->natols; i++) free(a->atols[i].name);
  a->natols = 0;
}

/* The solver options, named as the settings of the one table
 * (syn_solver_setting): --rtol, --atol, --linear-solver, --max-steps. */
static int take_solver_option(int argc, char **argv, int *i, sweep_args *a) {
  for (int k = 0; k < SYN_SETTING_COUNT; k++) {
    char name[64];
    snprintf(name, sizeof name, "--%s", syn_solver_setting_name((syn_solver_setting)k));
    const char *v = NULL;
    int r = cli_take_value(argc, argv, i, name, "sweep", &v);
    if (r <= 0) {
      if (r < 0) return r;
      continue;
    }
    if (k == SYN_SETTING_ATOL && strchr(v, '=') != NULL) return add_state_atol(a, v);
    a->solver[k] = v;
    return 1;
  }
  return 0;
}

/* The defaults, then the scenario's `solver` and `atol` lines and the
 * sweep's `atol` lines (sw NULL: none, to check the values early), then the
 * command line's; its --atol NAME=A into *atol_vec (malloc'd; NULL when none).
 * A bad --atol NAME=A is printed when report is set (rank 0). */
static int solver_options(const sweep_args *a, const syn_sweep *sw, int report,
                          syn_solver_opts *o, double **atol_vec) {
  *atol_vec = NULL;
  if (sw != NULL) syn_sweep_solver_opts(sw, o);
  else syn_solver_opts_default(o);
  for (int k = 0; k < SYN_SETTING_COUNT; k++) {
    syn_error e;
    if (a->solver[k] != NULL &&
        syn_solver_setting_apply(o, (syn_solver_setting)k, a->solver[k], &e) != SYN_OK) {
      cli_usage_error("sweep", "--%s", e.message);
      return 0;
    }
  }
  if (sw == NULL || a->natols == 0) return 1;
  *atol_vec = run_state_atols("sweep", syn_scenario_model(syn_sweep_scenario(sw)), o, a->atols,
                              a->natols, report);
  o->atol_vec = *atol_vec;
  return *atol_vec != NULL;
}

static int take_sweep_option(int argc, char **argv, int *i, sweep_args *a) {
  static const struct {
    const char *name;
    size_t offset;
  } valued[] = {
      {"--output", offsetof(sweep_args, output)},
      {"-o", offsetof(sweep_args, output)},
      {"--task-index", offsetof(sweep_args, task_index)},
      {"--task-count", offsetof(sweep_args, task_count)},
      {"--checkpoint", offsetof(sweep_args, checkpoint)},
      {"--block", offsetof(sweep_args, block)},
      {"--bootstrap", offsetof(sweep_args, bootstrap)},
  };
  for (size_t k = 0; k < sizeof valued / sizeof *valued; k++) {
    const char **slot = (const char **)(void *)((char *)a + valued[k].offset);
    int r = cli_take_value(argc, argv, i, valued[k].name, "sweep", slot);
    if (r != 0) return r;
  }
  return 0;
}

static int parse_sweep_args(int argc, char **argv, sweep_args *a) {
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i];
    if (cli_is_help(arg)) {
      fputs(sweep_help, stdout);
      return -1;
    }
    int r = take_sweep_option(argc, argv, &i, a);
    if (r == 0) r = take_solver_option(argc, argv, &i, a);
    if (r < 0) return CLI_USAGE;
    if (r > 0) continue;
    if (strcmp(arg, "--resume") == 0) a->resume = 1;
    else if (strcmp(arg, "--dry-run") == 0) a->dry_run = 1;
    else if (strcmp(arg, "--quiet") == 0 || strcmp(arg, "-q") == 0) a->quiet = 1;
    else if (arg[0] == '-' && arg[1] != 0) {
      cli_usage_error("sweep", "unknown option '%s'", arg);
      return CLI_USAGE;
    } else if (a->path == NULL) a->path = arg;
    else {
      cli_usage_error("sweep", "one sweep file at a time (got '%s' and '%s')", a->path, arg);
      return CLI_USAGE;
    }
  }
  if (a->path == NULL) {
    cli_usage_error("sweep", "no sweep file given");
    return CLI_USAGE;
  }
  if (cli_refuse_stdout_h5("sweep", a->output, "sweep.h5")) return CLI_USAGE;
  return CLI_OK;
}

/* --task-index/--task-count, else Slurm's job-array variables (cli_task_options). */
static int task_options(const sweep_args *a, syn_sweep_run_opts *o) {
  return cli_task_options("sweep", a->task_index, a->task_count, &o->task_index,
                          &o->task_count);
}

static int run_options(const sweep_args *a, syn_sweep_run_opts *o) {
  syn_solver_opts scratch;
  double *none;
  if (!solver_options(a, NULL, 1, &scratch, &none)) return 0; /* bad values before anything runs */
  if (!task_options(a, o)) return 0;
  if (a->block && !cli_parse_count("sweep", "--block", a->block, 1, &o->block)) return 0;
  if (a->bootstrap && !cli_parse_count("sweep", "--bootstrap", a->bootstrap, 0, &o->n_boot)) return 0;
  if (a->bootstrap && o->n_boot == 1) {
    cli_usage_error("sweep", "--bootstrap must be 0 (no intervals) or at least 2");
    return 0;
  }
  if (a->checkpoint &&
      (!cli_parse_double(a->checkpoint, &o->checkpoint) || !(o->checkpoint > 0))) {
    cli_usage_error("sweep", "--checkpoint must be a positive number of seconds (got '%s')",
                    a->checkpoint);
    return 0;
  }
  o->resume = a->resume;
  return 1;
}

/* ---- printing ---------------------------------------------------------------------- */

/* The states whose absolute tolerance is not the scalar atol (their own,
 * the cells default, `atol` lines, --atol NAME=A), as the samples use them. */
static void print_state_atols(const syn_model *m, const syn_solver_opts *so) {
  size_t n = syn_model_count(m, SYN_SYM_STATE), shown = 0;
  double *v = malloc((n ? n : 1) * sizeof *v);
  if (v == NULL) return;
  syn_state_atols_apply(m, so, NULL, 0, v);
  for (size_t i = 0; i < n; i++) {
    if (v[i] == so->atol) continue;
    const syn_symbol *sym = syn_model_symbol(m, SYN_SYM_STATE, i);
    printf("%s %s %g%s%s", shown++ ? "," : "  state atol", sym->name, v[i], sym->units[0] ? " " : "",
           sym->units);
  }
  if (shown) putchar('\n');
  free(v);
}

static void print_plan(const syn_sweep *sw, const syn_sweep_run_opts *o, const syn_parallel *par,
                       const char *out) {
  size_t n = syn_sweep_count(sw), first, end;
  syn_sweep_shard_range(n, o->task_index, o->task_count, &first, &end);
  printf("sweep %s%s%s\n", syn_sweep_path(sw), syn_sweep_title(sw)[0] ? ": " : "",
         syn_sweep_title(sw));
  printf("  scenario   %s\n", syn_scenario_path(syn_sweep_scenario(sw)));
  printf("  design     %s, seed %llu: %zu samples", syn_sweep_design_name(sw),
         (unsigned long long)syn_sweep_seed(sw), n);
  if (syn_sweep_base_count(sw))
    printf(" (N = %zu, D = %zu%s)", syn_sweep_base_count(sw), syn_sweep_param_count(sw),
           syn_sweep_second_order(sw) ? ", second order" : "");
  printf("\n  parameters\n");
  for (size_t j = 0; j < syn_sweep_param_count(sw); j++)
    printf("    %-24s %s\n", syn_sweep_param_name(sw, j), syn_sweep_param_distribution(sw, j));
  printf("  arms      ");
  for (size_t k = 0; k < syn_sweep_arm_count(sw); k++) printf(" \"%s\"", syn_sweep_arm_name(sw, k));
  printf("\n  metrics   ");
  for (size_t k = 0; k < syn_sweep_metric_count(sw); k++)
    printf(" %s", syn_sweep_metric_name(sw, k));
  printf("\n  trajectories %s\n", syn_sweep_keeps_trajectories(sw) ? "kept" : "not kept");
  if (o->solver)
    printf("  solver     rtol %g, atol %g, linear-solver %s, max-steps %ld\n", o->solver->rtol,
           o->solver->atol, syn_linsol_name(o->solver->linsol), o->solver->max_steps);
  if (o->solver) print_state_atols(syn_scenario_model(syn_sweep_scenario(sw)), o->solver);
  if (o->task_count)
    printf("  this task  %zu of %zu: samples %zu to %zu (%zu)\n", o->task_index, o->task_count,
           first, end - 1, end - first);
  if (par->size > 1) {
    size_t per = (end - first) / ((size_t)par->size * 8);
    size_t block = o->block ? o->block : per < 1 ? 1 : per > 64 ? 64 : per;
    printf("  work split %d MPI ranks (rank 0 also computes), blocks of %zu samples: about "
           "%zu blocks per rank\n",
           par->size, block, (end - first + block * (size_t)par->size - 1) /
                                 (block * (size_t)par->size));
  } else {
    printf("  work split one process (run it under mpirun/srun to use more)\n");
  }
  printf("  output     %s (parts in %s.parts/ while it runs)\n", out, out);
  if (syn_sweep_base_count(sw) && strcmp(syn_sweep_design_name(sw), "saltelli") == 0) {
    size_t N = syn_sweep_base_count(sw);
    if ((N & (N - 1)) != 0)
      printf("  note       N = %zu is not a power of two: Sobol points are balanced only for "
             "powers of two\n", N);
  }
}

static void print_report(const syn_sweep_report *r) {
  char dur[32];
  cli_format_duration(r->seconds, dur, sizeof dur);
  printf("%zu samples: %zu run now (%.1f/s), %zu kept from before, %zu failed, in %s\n", r->total,
         r->ran, r->seconds > 0 ? (double)r->ran / r->seconds : 0.0, r->skipped, r->failed, dur);
  printf("wrote %s\n", r->out_path);
  if (r->coord_blocks > 0) /* under MPI: what coordinating cost rank 0 (make bench uses it) */
    printf("rank 0: %zu blocks handled, %.2f us each; %zu samples of its own\n", r->coord_blocks,
           1e6 * r->coord_seconds / (double)r->coord_blocks, r->own_samples);
}

/* ---- indices ----------------------------------------------------------------------- */

static void print_indices(const char *path) {
  syn_h5sweep_reader *rd = NULL;
  syn_error err;
  cli_doc doc = {0};
  if (syn_h5sweep_open(path, &rd, &err) == SYN_OK && summary_indices(rd, &doc, &err) == SYN_OK) {
    if (doc.n) fputc('\n', stdout); /* a blank line after the sweep's report */
    cli_doc_print_text(stdout, &doc);
  }
  cli_doc_free(&doc);
  syn_h5sweep_reader_destroy(rd);
}

/* ---- the commands ------------------------------------------------------------------- */

static char *default_output(const char *sweep_path, const char *given) {
  if (given) {
    char *copy = malloc(strlen(given) + 1);
    if (copy) strcpy(copy, given);
    return copy;
  }
  return run_default_output(sweep_path);
}

/* What the run says without stopping (no locks on this file system). */
static void show_notice(void *ctx, const char *text) {
  (void)ctx;
  fprintf(stderr, "synovia: warning: %s\n", text);
}

/* The files this run writes (OUT, or a task's shard, with its .tmp and its
 * .lock; and for a task the OUT its merge will write) may be written and are
 * none of INPUTS; rank 0 checks and says why not, every rank learns the
 * answer. */
static int outputs_usable(const syn_parallel *par, const char *target, const char *merged,
                          const char *const *inputs, size_t n) {
  char lock[1200];
  snprintf(lock, sizeof lock, "%s.lock", target);
  int ok = par->rank != 0 || (cli_output_usable(target, inputs, n) &&
                              cli_written_usable(lock, "lock file", inputs, n) &&
                              (merged == NULL || cli_written_usable(merged, "output", inputs, n)));
  return syn_parallel_agree(par, ok);
}

/* The same, once the sweep is loaded: none of the files it read (the sweep,
 * its design file, the scenario, the model and its imports). */
static int outputs_not_inputs(const syn_parallel *par, const char *target, const char *merged,
                              const syn_sweep *sw) {
  const syn_scenario *sc = syn_sweep_scenario(sw);
  const syn_model *m = syn_scenario_model(sc);
  size_t nm = syn_model_file_count(m), n = 0;
  const char **in = malloc((nm + 3) * sizeof *in);
  if (in != NULL) {
    in[n++] = syn_sweep_path(sw);
    in[n++] = syn_sweep_design_file(sw);
    in[n++] = syn_scenario_path(sc);
    for (size_t i = 0; i < nm; i++) in[n++] = syn_model_file_path(m, i);
  } else if (par->rank == 0) {
    fputs("synovia: error: out of memory\n", stderr);
  }
  int ok = outputs_usable(par, target, merged, in, in ? n : 0) && in != NULL;
  free(in);
  return ok;
}

static int sweep_with(const sweep_args *a, const syn_parallel *par, const char *command_line) {
  syn_error err;
  syn_sweep *sw = NULL;
  syn_sweep_run_opts o;
  syn_sweep_run_opts_default(&o);
  int ok = run_options(a, &o);
  /* the output before any work: before the sweep is loaded (its design built) */
  char *out = ok ? default_output(a->path, a->output) : NULL;
  char shard[1100];
  if (ok && out == NULL) fputs("synovia: error: out of memory\n", stderr);
  if (ok && out && o.task_count &&
      syn_sweep_shard_path(out, o.task_index, o.task_count, shard, sizeof shard, &err) != SYN_OK) {
    if (par->rank == 0) cli_print_error(&err);
    free(out);
    out = NULL;
  }
  const char *target = o.task_count ? shard : out, *merged = o.task_count ? out : NULL;
  int usable = ok && out && outputs_usable(par, target, merged, &a->path, 1);
  /* a dry run reports the design without building it (gigabytes for a large lhs) */
  syn_status st = !usable      ? SYN_EINVAL
                  : a->dry_run ? syn_sweep_load_plan(a->path, &sw, &err)
                               : syn_sweep_load(a->path, &sw, &err);
  if (usable && st != SYN_OK && par->rank == 0) cli_print_error(&err);
  if (!syn_parallel_agree(par, st == SYN_OK) || !outputs_not_inputs(par, target, merged, sw)) {
    syn_sweep_destroy(sw);
    free(out);
    return ok ? CLI_FAILED : CLI_USAGE;
  }
  int rc = CLI_OK;
  syn_solver_opts solver;
  double *atol_vec = NULL;
  /* the values were checked above; the states named by --atol only now */
  if (!solver_options(a, sw, par->rank == 0, &solver, &atol_vec)) {
    syn_sweep_destroy(sw);
    free(out);
    return CLI_USAGE;
  }
  o.solver = &solver;
  if (a->dry_run) {
    if (par->rank == 0) print_plan(sw, &o, par, target);
  } else { /* the run locks its output (syn_sweep_run) */
    o.out_path = out;
    o.notice = show_notice;
    o.command_line = command_line;
    o.stop = cli_stop_flag();
    o.par = par;
    int tty = !a->quiet && par->rank == 0 && isatty(STDERR_FILENO);
    o.progress = tty ? cli_show_progress : NULL;
    o.progress_ctx = (void *)"samples";
    /* Caught before syn_sweep_run takes the output's lock: a stop landing just
     * after it (a Slurm requeue at start-up) must end the run as interrupted
     * (status 3), not kill it with the lock file left behind. */
    cli_catch_stop_signals();
    syn_sweep_report rep;
    st = syn_sweep_run(sw, &o, &rep, &err);
    if (tty) fputc('\n', stderr);
    if (par->rank == 0 && st != SYN_OK) cli_print_error(&err);
    if (par->rank == 0 && st == SYN_OK && !a->quiet) {
      print_report(&rep);
      print_indices(rep.out_path);
    }
    rc = st == SYN_OK ? CLI_OK : st == SYN_EINTR ? CLI_INTERRUPTED : CLI_FAILED;
  }
  free(atol_vec);
  free(out);
  syn_sweep_destroy(sw);
  return rc;
}

/* srun without an MPI plugin starts separate copies: each would run the
 * whole sweep into the same files and fail after doing all the work. They
 * are refused at once, unless each was given its own shard (--task-index,
 * e.g. from SLURM_PROCID), which is a job array by other means. */
static int separate_copies_refused(const sweep_args *a, const syn_parallel *par) {
  long copies = syn_parallel_separate_copies(par);
  if (copies < 2 || a->task_index != NULL) return 0;
  fprintf(stderr,
          "synovia: error: srun started %ld copies of synovia that do not form one MPI job "
          "(each is rank 0 of 1): each would run the whole sweep into the same files\n"
          "  hint: launch it with `srun --mpi=pmix synovia sweep ...` (check with --dry-run "
          "under the same srun: it must say '%ld MPI ranks'), or run one task (srun -n 1)\n",
          copies, copies);
  return 1;
}

int cmd_sweep(int argc, char **argv, const char *command_line) {
  sweep_args a = {0};
  syn_parallel par;
  syn_error err;
  int rc = parse_sweep_args(argc, argv, &a);
  if (rc != CLI_OK) {
    free_sweep_args(&a);
    return rc < 0 ? CLI_OK : rc;
  }
  /* MPI is started after the arguments are known to be good and only here:
   * no other command pays for it. */
  if (syn_parallel_begin(NULL, NULL, &par, &err) != SYN_OK) {
    cli_print_error(&err);
    free_sweep_args(&a);
    return CLI_FAILED;
  }
  rc = separate_copies_refused(&a, &par) ? CLI_FAILED : sweep_with(&a, &par, command_line);
  syn_parallel_end(&par);
  free_sweep_args(&a);
  return rc;
}

/* ---- merge ------------------------------------------------------------------------ */

/* Before a merge reads anything: every part is a file (a FIFO would hang
 * it), and the output may be written and is none of them. */
static int merge_files_usable(const char *out, const char *const *parts, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!cli_input_usable(parts[i], "shard file")) return 0;
  return cli_output_usable(out, parts, n);
}

int cmd_merge(int argc, char **argv, const char *command_line) {
  const char *output = NULL, *bootstrap = NULL;
  int quiet = 0, nparts = 0, rc = CLI_OK;
  const char **parts = calloc((size_t)argc + 1, sizeof *parts);
  if (parts == NULL) return CLI_FAILED;
  for (int i = 0; i < argc && rc == CLI_OK; i++) {
    int r;
    if (cli_is_help(argv[i])) {
      fputs(merge_help, stdout);
      free(parts);
      return CLI_OK;
    }
    if ((r = cli_take_value(argc, argv, &i, "--output", "merge", &output)) != 0 ||
        (r = cli_take_value(argc, argv, &i, "-o", "merge", &output)) != 0 ||
        (r = cli_take_value(argc, argv, &i, "--bootstrap", "merge", &bootstrap)) != 0) {
      if (r < 0) rc = CLI_USAGE;
      continue;
    }
    if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) quiet = 1;
    else if (argv[i][0] == '-' && argv[i][1] != 0) {
      cli_usage_error("merge", "unknown option '%s'", argv[i]);
      rc = CLI_USAGE;
    } else parts[nparts++] = argv[i];
  }
  if (rc == CLI_OK && cli_refuse_stdout_h5("merge", output, "merged.h5")) rc = CLI_USAGE;
  size_t n_boot = 1000;
  if (rc == CLI_OK && bootstrap && !cli_parse_count("sweep", "--bootstrap", bootstrap, 0, &n_boot))
    rc = CLI_USAGE;
  char **found = NULL;
  size_t nfound = 0;
  if (rc == CLI_OK && output == NULL && nparts == 1) { /* synovia merge OUT.h5 */
    output = parts[0];
    found = cli_find_shards(output, &nfound);
    if (!merge_files_usable(output, (const char *const *)found, nfound) ||
        !cli_shards_complete(output, found, nfound)) {
      rc = CLI_FAILED;
    } else if (nfound == 0) {
      fprintf(stderr, "synovia: error: no shard files %s.task-*-of-*.h5 found beside '%s'\n"
              "  hint: did the tasks of the job array run? Their logs say why not\n",
              "<name>", output);
      rc = CLI_FAILED;
    }
  } else if (rc == CLI_OK && (output == NULL || nparts == 0)) {
    cli_usage_error("merge", output ? "no shard files given" : "no output file given (-o)");
    rc = CLI_USAGE;
  }
  if (rc == CLI_OK) {
    syn_error err;
    syn_sweep_report rep;
    const char *const *list = found ? (const char *const *)found : parts;
    size_t count = found ? nfound : (size_t)nparts;
    if (!merge_files_usable(output, list, count)) {
      rc = CLI_FAILED;
    } else if (syn_sweep_merge_files(output, list, count, command_line, n_boot, 0, &rep, &err) !=
               SYN_OK) {
      cli_print_error(&err);
      rc = CLI_FAILED;
    } else if (!quiet) {
      printf("merged %zu files: %zu samples\nwrote %s\n", count, rep.total, rep.out_path);
      print_indices(rep.out_path);
    }
  }
  cli_glob_free(found, nfound);
  free(parts);
  return rc;
}
