/* synovia fit FILE.fit — a multistart (include/synovia/multistart.h: the starts
 * run by the sweep runner, alone, under MPI or as job-array shards, resumable),
 * whose starts and best estimate go to an HDF5 fit file (include/synovia/h5fit.h,
 * written whole through OUT.tmp at the end); --evaluate: the objective of a fit
 * at one point, its parts and its gradient (include/synovia/objective.h). */
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "cli.h"
#include "fit_observables.h"
#include "fit_uncertainty.h"
#include "jobs.h"
#include "run.h"
#include "synovia/h5fit.h"
#include "synovia/problem.h"
#include "synovia/fit.h"
#include "synovia/multistart.h"
#include "synovia/objective.h"
#include "synovia/optim.h"
#include "synovia/sweep.h"

static const char fit_help[] =
    "usage: synovia fit FILE.fit [-o OUT.h5] [--starts N] [--seed S] [--optimizer NAME]\n"
    "           [--resume] [--task-index I --task-count N] [--checkpoint S]\n"
    "           [--no-profiles] [-q]\n"
    "       synovia fit FILE.fit --merge [-o OUT.h5]\n"
    "       synovia fit FILE.fit --evaluate [--at NAME=VALUE]...\n"
    "FILE.fit may be a PEtab v1 problem file, problem.yaml (docs/petab.md).\n"
    "\n"
    "Evaluate a fit's objective (docs/fitting.md): the negative log-likelihood of\n"
    "its data with PEtab's constant terms, plus the negative log-priors, at the\n"
    "estimated parameters' starts (the middle of their bounds on their scale when\n"
    "they have none), and its exact gradient from the forward sensitivities.\n"
    "Prints the objective, its parts (data, priors), a table of the parameters\n"
    "(name, scale, value, d objective / d scaled value) and whether the fit has\n"
    "a residual form for least-squares methods. Without --evaluate: estimate the\n"
    "parameters from N starts (multistart; under mpirun/srun rank 0 hands them\n"
    "out, as sweeps do) and print each start's outcome and the best estimate;\n"
    "then the profiles, a second job of the same runner: each side of each\n"
    "parameter's profile a row, spread over the MPI ranks too (docs/fitting.md).\n"
    "\n"
    "options:\n"
    "  --evaluate        evaluate the objective and its gradient at one point\n"
    "  --at NAME=VALUE   a parameter's value (linear scale, in the unit of its\n"
    "                    bounds; NAME as the table prints it, 'w_p[control]' for\n"
    "                    a per-arm copy); repeatable\n"
    "  --starts N        starts (default: the fit file's `starts`)\n"
    "  --seed S          seed of the start design (default: the fit file's `seed`)\n"
    "  --optimizer NAME  lm, lbfgs, slsqp or bobyqa (default: the fit file's)\n"
    "  -o, --output OUT  the fit's HDF5 file (default: FILE.h5 in the current\n"
    "                    folder; docs/fitting.md \"The fit's output file\")\n"
    "  --resume          keep the starts and profile walks an interrupted run\n"
    "                    finished (OUT.parts/, OUT.profiles.parts/)\n"
    "  --task-index I    run shard I (0-based) of --task-count N only, into\n"
    "  --task-count N    OUT.task-000I-of-000N.h5 (in a Slurm job array: from\n"
    "                    SLURM_ARRAY_TASK_ID/COUNT); join them with --merge\n"
    "  --merge           join the shards OUT.task-*-of-*.h5 into the fit file OUT\n"
    "  --checkpoint S    commit finished starts at least every S seconds (30)\n"
    "  --no-profiles     no profile likelihoods (the Fisher intervals, predictions\n"
    "                    and fitted curves still go to the file)\n"
    "  -q                no progress lines (starts, profile walks) on stderr\n"
    "Exit status: 0 evaluated or estimated (its file written), 1 the fit file, the\n"
    "evaluation, every start or the output failed (nothing written), 2 bad usage,\n"
    "3 interrupted (SIGINT, SIGTERM, SIGUSR1: the finished starts are kept; rerun\n"
    "with --resume).\n";

/* Apply "NAME=VALUE" to x (parameter scale). */
static int apply_at(const syn_fit *fit, const char *arg, double *x) {
  const char *eq = strrchr(arg, '=');
  if (eq == NULL || eq == arg) {
    cli_usage_error("fit", "--at '%s' is not NAME=VALUE", arg);
    return 0;
  }
  size_t n = (size_t)(eq - arg), np = syn_fit_param_count(fit);
  for (size_t j = 0; j < np; j++) {
    const syn_fit_param *p = syn_fit_param_at(fit, j);
    if (strlen(p->name) != n || strncmp(p->name, arg, n) != 0) continue;
    double v;
    if (!cli_parse_double(eq + 1, &v) || (p->scale != SYN_FIT_LIN && !(v > 0))) {
      cli_usage_error("fit", "--at %s: '%s' is not a %snumber", p->name, eq + 1,
                      p->scale != SYN_FIT_LIN ? "positive " : "");
      return 0;
    }
    x[j] = syn_objective_to_scale(p, v);
    return 1;
  }
  cli_usage_error("fit", "--at: '%.*s' is not an estimated parameter of %s (see the table "
                  "'synovia fit FILE --evaluate' prints)", (int)n, arg, syn_fit_path(fit));
  return 0;
}

static const char *scale_name(syn_fit_scale s) {
  return s == SYN_FIT_LOG ? "log" : s == SYN_FIT_LOG10 ? "log10" : "lin";
}

static void print_evaluation(const syn_fit *fit, const double *x, const syn_objective_value *v,
                             const double *grad) {
  printf("%s: objective %.12g (data %.12g, priors %.12g)\n", syn_fit_path(fit), v->total, v->data,
         v->prior);
  printf("%-32s %-6s %-16s %s\n", "parameter", "scale", "value", "d objective/d scaled value");
  for (size_t j = 0; j < syn_fit_param_count(fit); j++) {
    const syn_fit_param *p = syn_fit_param_at(fit, j);
    double val = syn_objective_unscale(p, x[j]);
    int outside = val < p->lower || val > p->upper;
    printf("%-32s %-6s %-16.10g %.10g%s\n", p->name, scale_name(p->scale), val, grad[j],
           outside ? "   (outside the bounds)" : "");
  }
  char why[256];
  if (syn_objective_residual_form(fit, why, sizeof why))
    printf("residual form: yes (%zu residuals)\n", syn_objective_residual_count(fit));
  else
    printf("residual form: no (%s)\n", why);
}

static int evaluate(const char *path, const char *const *at, size_t nat) {
  syn_error err;
  syn_error_clear(&err);
  syn_fit *fit = NULL;
  syn_objective *obj = NULL;
  double *x = NULL, *grad = NULL;
  int rc = CLI_FAILED;
  if (syn_fit_load(path, &fit, &err) != SYN_OK) {
    cli_print_error(&err);
    goto done;
  }
  size_t np = syn_fit_param_count(fit);
  x = malloc((np ? np : 1) * sizeof *x);
  grad = malloc((np ? np : 1) * sizeof *grad);
  if (x == NULL || grad == NULL) {
    fputs("synovia fit: error: out of memory\n", stderr);
    goto done;
  }
  syn_objective_default_x(fit, x);
  for (size_t i = 0; i < nat; i++)
    if (!apply_at(fit, at[i], x)) {
      rc = CLI_USAGE;
      goto done;
    }
  syn_objective_value v;
  if (syn_objective_create(fit, &obj, &err) != SYN_OK ||
      syn_objective_eval(obj, x, &v, grad, &err) != SYN_OK) {
    fprintf(stderr, "synovia fit: error: %s: %s\n", path, err.message);
    goto done;
  }
  print_evaluation(fit, x, &v, grad);
  rc = CLI_OK;
done:
  syn_objective_destroy(obj);
  syn_fit_destroy(fit);
  free(x);
  free(grad);
  return rc;
}

/* ---- multistart: the starts run by the library (synovia/multistart.h) ------------ */

typedef struct ms_opts {
  long starts, seed;  /* -1: the fit file's */
  const char *optimizer;
  int quiet, resume, merge;
  const char *task_index, *task_count; /* as given; NULL: not given */
  size_t task, tasks;  /* what they (or Slurm's array) say; tasks 0: the whole fit */
  double checkpoint;  /* seconds between part commits; 0: the runner's default */
  const char *output; /* the HDF5 file written (checked before any work) */
  const char *command_line;
  const syn_parallel *par;
  int no_profiles;
} ms_opts;

/* The whole text of a file (NULL when it cannot be read; caller frees). */
static char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  size_t len = 0, cap = 0;
  if (f == NULL) return NULL;
  for (;;) {
    if (len + 4096 + 1 > cap) {
      char *b = realloc(buf, cap = 2 * cap + 8192);
      if (b == NULL) { free(buf); buf = NULL; break; }
      buf = b;
    }
    size_t got = fread(buf + len, 1, cap - len - 1, f);
    len += got;
    if (got == 0) break;
  }
  if (buf != NULL) buf[len] = 0;
  fclose(f);
  return buf;
}

/* Every file the fit read (the fit file, the scenario, its model files, the
 * data tables) may not be the output: cli_output_usable against them all. */
static int output_usable(const syn_fit *fit, const char *out) {
  const syn_scenario *sc = syn_fit_scenario(fit);
  const syn_model *m = syn_scenario_model(sc);
  size_t nm = syn_model_file_count(m), npt = syn_fit_point_count(fit), n = 0;
  const char **in = malloc((nm + npt + 2) * sizeof *in);
  if (in == NULL) {
    fputs("synovia fit: error: out of memory\n", stderr);
    return 0;
  }
  in[n++] = syn_fit_path(fit);
  in[n++] = syn_scenario_path(sc);
  for (size_t i = 0; i < nm; i++) in[n++] = syn_model_file_path(m, i);
  for (size_t i = 0; i < npt; i++) {
    const char *file = syn_fit_point_at(fit, i)->file;
    if (i == 0 || strcmp(file, syn_fit_point_at(fit, i - 1)->file) != 0) in[n++] = file;
  }
  int ok = cli_output_usable(out, in, n);
  free(in);
  return ok;
}

/* The simulated observable at each data point for the estimate xlin
 * (linear values): each arm once, at its points' times. */
static syn_status fitted_values(const syn_fit *fit, const double *xlin, double *fitted,
                                syn_error *err) {
  const syn_problem *p = syn_fit_problem(fit);
  syn_problem_ws *ws = NULL;
  size_t nfree = syn_problem_free_count(p), ns = syn_problem_series_count(p);
  size_t npt = syn_fit_point_count(fit);
  double *theta = malloc((nfree + 1) * sizeof *theta), *at = malloc((npt + 1) * sizeof *at);
  double *vals = malloc((npt + 1) * (ns + 1) * sizeof *vals);
  syn_status st = SYN_ENOMEM;
  if (theta == NULL || at == NULL || vals == NULL) {
    syn_error_set(err, st, "out of memory");
    goto done;
  }
  if ((st = syn_problem_ws_create(p, &ws, err)) != SYN_OK) goto done;
  for (size_t arm = 0; arm < syn_fit_arm_count(fit) && st == SYN_OK; arm++) {
    size_t first, n = syn_fit_arm_points(fit, arm, &first);
    if (n == 0) continue;
    for (size_t i = 0; i < n; i++) at[i] = syn_fit_point_at(fit, first + i)->time;
    syn_fit_theta(fit, arm, xlin, theta);
    syn_problem_want want = {0, NULL, at, n, vals, NULL, 0, NULL, NULL};
    syn_problem_result res;
    st = syn_problem_eval(ws, arm, theta, &want, &res, err);
    for (size_t i = 0; st == SYN_OK && i < n; i++) {
      const syn_fit_point *pt = syn_fit_point_at(fit, first + i);
      fitted[first + i] = vals[i * ns + syn_fit_observable_at(fit, pt->observable)->series];
    }
  }
done:
  syn_problem_ws_destroy(ws);
  free(theta);
  free(at);
  free(vals);
  return st;
}

/* The data residuals' sum of squares at xlin (linear values): the first
 * syn_fit_point_count residuals of the residual form, ((m - y) / sigma) or
 * its log-normal counterpart; NaN when the fit has no residual form or they
 * cannot be computed (summary then shows none). */
static double data_chi2(const syn_fit *fit, const double *xlin) {
  size_t np = syn_fit_param_count(fit), npt = syn_fit_point_count(fit);
  size_t nr = syn_objective_residual_count(fit);
  double *x = malloc((np + 1) * sizeof *x), *r = malloc((nr + 1) * sizeof *r), chi2 = NAN;
  syn_objective *obj = NULL;
  syn_error err;
  syn_error_clear(&err);
  if (x == NULL || r == NULL || !syn_objective_residual_form(fit, NULL, 0) || nr < npt ||
      syn_objective_create(fit, &obj, &err) != SYN_OK)
    goto done;
  for (size_t j = 0; j < np; j++) x[j] = syn_objective_to_scale(syn_fit_param_at(fit, j), xlin[j]);
  if (syn_objective_residuals(obj, x, r, NULL, NULL, &err) != SYN_OK) goto done;
  chi2 = 0;
  for (size_t i = 0; i < npt; i++) chi2 += r[i] * r[i];
done:
  syn_objective_destroy(obj);
  free(x);
  free(r);
  return chi2;
}

/* The provenance of a fit file: the fit file, the scenario, its model files
 * (root first), with their texts, as run files keep theirs. */
typedef struct prov_files {
  size_t n;
  const char **paths;
  char **texts; /* [0] borrowed (the fit text), the others owned */
} prov_files;

static void prov_files_free(prov_files *f) {
  for (size_t i = 1; f->texts != NULL && i < f->n; i++) free(f->texts[i]);
  free(f->paths);
  free(f->texts);
}

static int provenance_files(const syn_fit *fit, char *fit_text, prov_files *f) {
  const syn_scenario *sc = syn_fit_scenario(fit);
  const syn_model *m = syn_scenario_model(sc);
  size_t nm = syn_model_file_count(m);
  f->paths = calloc(nm + 2, sizeof *f->paths);
  f->texts = calloc(nm + 2, sizeof *f->texts);
  if (f->paths == NULL || f->texts == NULL) {
    fputs("synovia fit: error: out of memory\n", stderr);
    return 0;
  }
  f->paths[0] = syn_fit_path(fit);
  f->texts[0] = fit_text;
  f->paths[1] = syn_scenario_path(sc);
  for (size_t i = 0; i < nm; i++) f->paths[2 + i] = syn_model_file_path(m, i);
  /* The scenario as loaded: a PEtab problem's exists only in memory (docs/petab.md). */
  if ((f->texts[1] = strdup(syn_scenario_text(sc))) == NULL) {
    fputs("synovia fit: error: out of memory\n", stderr);
    return 0;
  }
  /* A model file as read from disk; a PEtab problem's SBML translation exists
   * only in memory (docs/petab.md): its text as loaded. */
  for (f->n = 2; f->n < nm + 2; f->n++)
    if ((f->texts[f->n] = read_text(f->paths[f->n])) == NULL &&
        (f->texts[f->n] = strdup(syn_model_file_text(m, f->n - 2))) == NULL) {
      fprintf(stderr, "synovia fit: error: %s: cannot read it again for the output file\n",
              f->paths[f->n]);
      return 0;
    }
  return 1;
}

/* The fit's HDF5 file: everything in memory, then one write through
 * <out>.tmp, renamed when complete (a failure leaves an older file intact). */
static int write_output(const syn_fit *fit, const ms_opts *o, const syn_optim_type *t,
                        uint64_t seed, const syn_multistart_table *r, const double *best,
                        const fit_unc *unc) {
  size_t np = syn_fit_param_count(fit), npt = syn_fit_point_count(fit);
  const char **pname = malloc((np + 1) * sizeof *pname), **pscale = malloc((np + 1) * sizeof *pscale);
  const char **arm = malloc((npt + 1) * sizeof *arm), **obs = malloc((npt + 1) * sizeof *obs);
  double *lo = malloc((np + 1) * sizeof *lo), *hi = malloc((np + 1) * sizeof *hi);
  double *cols = malloc((5 * npt + 1) * sizeof *cols);
  char *text = read_text(syn_fit_path(fit));
  fit_obs_table *otab = fit_obs_table_create(fit);
  prov_files files = {0, NULL, NULL};
  int ok = 0;
  syn_error err;
  syn_error_clear(&err);
  if (!pname || !pscale || !arm || !obs || !lo || !hi || !cols || !otab) {
    fputs("synovia fit: error: out of memory\n", stderr);
    goto done;
  }
  if (text == NULL) {
    fprintf(stderr, "synovia fit: error: %s: cannot read it again for the output file\n",
            syn_fit_path(fit));
    goto done;
  }
  for (size_t j = 0; j < np; j++) {
    const syn_fit_param *p = syn_fit_param_at(fit, j);
    pname[j] = p->name;
    pscale[j] = scale_name(p->scale);
    lo[j] = p->lower;
    hi[j] = p->upper;
  }
  double *time = cols, *value = cols + npt, *sd = cols + 2 * npt, *fitted = cols + 3 * npt,
         *resid = cols + 4 * npt;
  for (size_t i = 0; i < npt; i++) {
    const syn_fit_point *pt = syn_fit_point_at(fit, i);
    arm[i] = syn_fit_arm_name(fit, pt->arm);
    obs[i] = syn_fit_observable_at(fit, pt->observable)->name;
    time[i] = pt->time;
    value[i] = pt->value;
    sd[i] = pt->sd;
  }
  if (fitted_values(fit, best, fitted, &err) != SYN_OK) {
    fprintf(stderr, "synovia fit: error: %s: simulating the best estimate: %s\n",
            syn_fit_path(fit), err.message);
    goto done;
  }
  for (size_t i = 0; i < npt; i++) resid[i] = value[i] - fitted[i];
  const syn_scenario *sc = syn_fit_scenario(fit);
  if (!provenance_files(fit, text, &files)) goto done;
  syn_provenance prov = {syn_fit_title(fit), o->command_line ? o->command_line : "",
                         syn_model_sha256(syn_scenario_model(sc)), files.n,
                         (const char *const *)files.paths, (const char *const *)files.texts, NULL,
                         syn_scenario_sha256(sc), syn_scenario_path(sc)};
  syn_h5fit_data d = {&prov, text, syn_optim_type_name(t), (unsigned long long)seed,
                      r->nstarts, np, npt, pname, pscale, lo, hi, best, r->start, r->end,
                      r->objective, (const char *const *)r->status, r->iterations,
                      r->evaluations, r->best, r->best_objective, arm, obs, time, value, sd,
                      fitted, resid, NULL, NULL, NULL, fit_obs_table_view(otab),
                      data_chi2(fit, best)};
  fit_uncertainty_attach(unc, &d);
  if (syn_h5fit_write(o->output, &d, &err) != SYN_OK) {
    fprintf(stderr, "synovia fit: error: %s\n", err.message);
    goto done;
  }
  printf("wrote %s\n", o->output);
  ok = 1;
done:
  free(pname);
  free(pscale);
  free(arm);
  free(obs);
  free(lo);
  free(hi);
  free(cols);
  free(text);
  fit_obs_table_destroy(otab);
  prov_files_free(&files);
  return ok;
}

/* What the fit file needs once the starts are merged (rank 0). */
typedef struct deliver_ctx {
  const syn_fit *fit;
  const ms_opts *o;
  const syn_optim_type *t;
  uint64_t seed;
  const char *config_sha256; /* the multistart's */
  int all_failed; /* every start failed: nothing written, exit 1 */
  int reported;   /* the failure was printed where it happened */
  int progress_open; /* the starts' progress line wants its newline */
} deliver_ctx;

static void print_starts(const syn_multistart_table *t) {
  printf("%-6s %-20s %-12s %-12s %s\n", "start", "objective", "iterations", "evaluations",
         "status");
  for (size_t k = 0; k < t->nstarts; k++)
    printf("%-6zu %-20.14g %-12lld %-12lld %s\n", k, t->objective[k], t->iterations[k],
           t->evaluations[k], t->status[k]);
}

static void print_best(const syn_fit *fit, const syn_multistart_table *t) {
  const double *best = t->end + t->best * t->nparams;
  printf("best: objective %.14g (start %zu)\n", t->best_objective, t->best);
  printf("%-32s %-6s %-16s %-12s %-12s\n", "parameter", "scale", "value", "lower", "upper");
  for (size_t j = 0; j < t->nparams; j++) {
    const syn_fit_param *p = syn_fit_param_at(fit, j);
    printf("%-32s %-6s %-16.10g %-12g %-12g\n", p->name, scale_name(p->scale), best[j],
           p->lower, p->upper);
  }
}

/* How the profiles run after the starts (the same ranks, flags and output). */
static fit_unc_opts unc_opts(const deliver_ctx *c) {
  const ms_opts *o = c->o;
  return (fit_unc_opts){o->no_profiles, o->quiet, o->resume, o->output, c->config_sha256,
                        o->command_line, o->checkpoint, o->par};
}

/* The runner's end of a whole fit, on every rank (a collective step: the
 * profiles run as a job on all of them): the table of starts, the best
 * estimate and, on rank 0, the fit file. A failure keeps the starts for
 * --resume. */
static syn_status deliver_fit(void *ctx, const syn_multistart_table *t, const char *out,
                              syn_error *err) {
  deliver_ctx *c = ctx;
  int rank0 = c->o->par->rank == 0;
  (void)out; /* c->o->output */
  if (rank0 && c->progress_open) fputc('\n', stderr);
  c->progress_open = 0;
  if (rank0) print_starts(t);
  if (!isfinite(t->best_objective)) {
    c->all_failed = 1;
    return SYN_OK; /* a complete (if useless) result: nothing to resume */
  }
  if (rank0) print_best(c->fit, t);
  fflush(stdout);
  const double *best = t->end + t->best * t->nparams;
  fit_unc *unc = NULL;
  fit_unc_opts uo = unc_opts(c);
  syn_status st = fit_uncertainty_run(c->fit, c->t, best, t->best_objective, &uo, &unc,
                                      &c->reported, err);
  if (st != SYN_OK || !rank0) return st;
  int ok = write_output(c->fit, c->o, c->t, c->seed, t, best, unc);
  fit_uncertainty_free(unc);
  if (ok) return SYN_OK;
  c->reported = 1;
  return syn_error_set(err, SYN_EIO, "the fit file was not written");
}

static void show_notice(void *ctx, const char *text) {
  (void)ctx;
  fprintf(stderr, "synovia fit: warning: %s\n", text);
}

/* The shards of OUT beside it (found by rank 0), merged into the fit file;
 * under MPI every rank takes part (the profiles run on all of them). */
static syn_status merge_shards(syn_multistart *ms, const ms_opts *o, deliver_ctx *dc,
                               syn_sweep_report *rep, syn_error *err) {
  size_t n = 0;
  int rank0 = o->par->rank == 0;
  char **found = rank0 ? cli_find_shards(o->output, &n) : NULL;
  syn_status st = SYN_OK;
  for (size_t i = 0; i < n && st == SYN_OK; i++)
    if (!cli_input_usable(found[i], "shard file")) st = SYN_EINVAL;
  if (st != SYN_OK) {
    dc->reported = 1;
  } else if (rank0 && n == 0) {
    st = syn_error_set(err, SYN_EINVAL, "no shard files of '%s' (%s) found beside it",
                       o->output, "<name>.task-*-of-*.h5");
    syn_error_hint(err, "did the tasks of the job array run? Their logs say why not");
  }
  if (!syn_parallel_agree(o->par, st == SYN_OK)) {
    if (st == SYN_OK) st = syn_error_set(err, SYN_EINVAL, "rank 0 found no shards to merge");
  } else {
    st = syn_multistart_merge(ms, o->output, (const char *const *)found, n, deliver_fit, dc,
                              o->par, rep, err);
  }
  cli_glob_free(found, n);
  return st;
}

static syn_status run_starts(syn_multistart *ms, const ms_opts *o, deliver_ctx *dc,
                             syn_sweep_report *rep, syn_error *err) {
  syn_sweep_run_opts ro;
  syn_sweep_run_opts_default(&ro);
  ro.out_path = o->output;
  ro.command_line = o->command_line;
  ro.resume = o->resume;
  if (o->checkpoint > 0) ro.checkpoint = o->checkpoint;
  ro.par = o->par;
  ro.stop = cli_stop_flag();
  ro.notice = show_notice;
  ro.progress = !o->quiet && o->par->rank == 0 ? cli_show_progress : NULL;
  ro.progress_ctx = (void *)"starts";
  ro.task_index = o->task;
  ro.task_count = o->tasks;
  /* caught before the run takes the output's lock (as sweeps do) */
  cli_catch_stop_signals();
  dc->progress_open = ro.progress != NULL;
  syn_status st = syn_multistart_run(ms, &ro, deliver_fit, dc, rep, err);
  if (dc->progress_open) fputc('\n', stderr);
  return st;
}

/* What the run or merge says at its end (rank 0). */
static int finish(const char *path, const deliver_ctx *dc, const syn_sweep_report *rep,
                  syn_status st, const syn_error *err, const ms_opts *o) {
  if (st != SYN_OK && !dc->reported) cli_print_error(err);
  if (st == SYN_EINTR) return CLI_INTERRUPTED;
  if (st != SYN_OK) return CLI_FAILED;
  if (dc->all_failed) {
    fprintf(stderr, "synovia fit: error: %s: every start failed (see the table)\n", path);
    return CLI_FAILED;
  }
  if (!o->merge && rep->out_path[0] && strcmp(rep->out_path, o->output) != 0)
    printf("%zu starts of this task: %zu run now, %zu kept from before\nwrote %s\n", rep->total,
           rep->ran, rep->skipped, rep->out_path);
  return CLI_OK;
}

/* The optimiser asked for: --optimizer, else the fit file's (a usage error
 * with a did-you-mean for an unknown name). */
static int choose_type(const syn_fit *fit, const ms_opts *o, const syn_optim_type **out) {
  const char *name = o->optimizer ? o->optimizer : syn_fit_optimizer(fit);
  *out = syn_optim_type_find(name);
  if (*out != NULL) return 1;
  const char *near = NULL;
  for (size_t i = 0; i < syn_optim_type_count(); i++) {
    const char *c = syn_optim_type_name(syn_optim_type_at(i));
    if (strncmp(c, name, 2) == 0) near = c;
  }
  if (near)
    cli_usage_error("fit", "unknown optimizer '%s' (did you mean '%s'? lm, lbfgs, slsqp or "
                    "bobyqa)", name, near);
  else
    cli_usage_error("fit", "unknown optimizer '%s' (lm, lbfgs, slsqp or bobyqa)", name);
  return 0;
}

static int run_multistart(const syn_fit *fit, const ms_opts *o, const syn_optim_type *t) {
  syn_error err;
  syn_error_clear(&err);
  syn_multistart *ms = NULL;
  syn_multistart_opts mo = {o->starts > 0 ? (size_t)o->starts : 0, o->seed, t, o->command_line};
  syn_status st = syn_multistart_create(fit, &mo, &ms, &err);
  if (!syn_parallel_agree(o->par, st == SYN_OK)) {
    if (o->par->rank == 0 && st != SYN_OK)
      fprintf(stderr, "synovia fit: error: %s: %s\n", syn_fit_path(fit), err.message);
    syn_multistart_destroy(ms);
    return CLI_FAILED;
  }
  deliver_ctx dc = {fit, o, syn_multistart_type(ms), syn_multistart_seed(ms),
                    syn_multistart_config_sha256(ms), 0, 0, 0};
  if (o->par->rank == 0)
    printf("%s: %zu starts, optimizer %s, design %s, seed %llu\n", syn_fit_path(fit),
           syn_multistart_count(ms), syn_optim_type_name(dc.t), syn_fit_start_design(fit),
           (unsigned long long)dc.seed);
  fflush(stdout);
  syn_sweep_report rep = {0};
  st = o->merge ? merge_shards(ms, o, &dc, &rep, &err) : run_starts(ms, o, &dc, &rep, &err);
  int rc = o->par->rank == 0 ? finish(syn_fit_path(fit), &dc, &rep, st, &err, o)
                             : (st == SYN_OK ? CLI_OK : st == SYN_EINTR ? CLI_INTERRUPTED
                                                                        : CLI_FAILED);
  syn_multistart_destroy(ms);
  return rc;
}

/* The files a run writes besides OUT: a task's shard, and the lock. */
static int side_files_usable(const syn_fit *fit, const ms_opts *o) {
  size_t ti = o->task, tc = o->tasks;
  char shard[1100], lock[1200];
  syn_error err;
  if (tc > 0 && syn_sweep_shard_path(o->output, ti, tc, shard, sizeof shard, &err) != SYN_OK) {
    cli_print_error(&err);
    return 0;
  }
  snprintf(lock, sizeof lock, "%s.lock", tc > 0 ? shard : o->output);
  const char *path = syn_fit_path(fit);
  return (tc == 0 || output_usable(fit, shard)) && cli_written_usable(lock, "lock file", &path, 1);
}

static int multistart(const char *path, const ms_opts *given) {
  syn_error err;
  syn_error_clear(&err);
  syn_fit *fit = NULL;
  const syn_optim_type *t = NULL;
  ms_opts o = *given;
  int rank0 = o.par->rank == 0, rc = CLI_FAILED;
  syn_status st = syn_fit_load(path, &fit, &err);
  if (st != SYN_OK && rank0) cli_print_error(&err);
  int ok = st == SYN_OK;
  if (ok && (!choose_type(fit, &o, &t) ||
             !cli_task_options("fit", o.task_index, o.task_count, &o.task, &o.tasks)))
    rc = CLI_USAGE, ok = 0;
  if (ok && rank0) ok = output_usable(fit, o.output) && side_files_usable(fit, &o);
  if (syn_parallel_agree(o.par, ok)) rc = run_multistart(fit, &o, t);
  syn_fit_destroy(fit);
  return rc;
}

/* The output named or defaulted, refused early ("-", a folder, an input)
 * before the fit file is even loaded, then the multistart. */
static int multistart_to_file(const char *path, ms_opts *o) {
  if (cli_refuse_stdout_h5("fit", o->output, "fit.h5")) return CLI_USAGE;
  char *dflt = o->output ? NULL : run_default_output(path);
  if (o->output == NULL && dflt == NULL) {
    fputs("synovia fit: error: out of memory\n", stderr);
    return CLI_FAILED;
  }
  if (o->output == NULL) o->output = dflt;
  int usable = o->par->rank != 0 || cli_output_usable(o->output, &path, 1);
  int rc = syn_parallel_agree(o->par, usable) ? multistart(path, o) : CLI_FAILED;
  o->output = NULL;
  free(dflt);
  return rc;
}

/* MPI begins only for a multistart, after its arguments are known good. */
static int multistart_parallel(const char *path, ms_opts *o) {
  syn_parallel par;
  syn_error err;
  if (syn_parallel_begin(NULL, NULL, &par, &err) != SYN_OK) {
    cli_print_error(&err);
    return CLI_FAILED;
  }
  o->par = &par;
  int rc = multistart_to_file(path, o);
  syn_parallel_end(&par);
  o->par = NULL;
  return rc;
}

int cmd_fit(int argc, char **argv, const char *command_line) {
  const char *path = NULL;
  const char **at = calloc((size_t)argc + 1, sizeof *at);
  size_t nat = 0;
  int evaluate_flag = 0, rc = CLI_USAGE;
  ms_opts ms = {-1, -1, NULL, 0, 0, 0, NULL, NULL, 0, 0, 0, NULL, command_line, NULL, 0};
  if (at == NULL) {
    fputs("synovia fit: error: out of memory\n", stderr);
    return CLI_FAILED;
  }
  for (int i = 0; i < argc; i++) {
    const char *value = NULL;
    int took;
    if (cli_is_help(argv[i])) {
      fputs(fit_help, stdout);
      rc = CLI_OK;
      goto done;
    }
    if (strcmp(argv[i], "--evaluate") == 0) {
      evaluate_flag = 1;
    } else if (strcmp(argv[i], "--no-profiles") == 0) {
      ms.no_profiles = 1;
    } else if (strcmp(argv[i], "-q") == 0) {
      ms.quiet = 1;
    } else if (strcmp(argv[i], "--resume") == 0) {
      ms.resume = 1;
    } else if (strcmp(argv[i], "--merge") == 0) {
      ms.merge = 1;
    } else if ((took = cli_take_value(argc, argv, &i, "--checkpoint", "fit", &value)) != 0) {
      if (took < 0) goto done;
      if (!cli_parse_double(value, &ms.checkpoint) || !(ms.checkpoint > 0)) {
        cli_usage_error("fit", "--checkpoint must be a positive number of seconds (got '%s')",
                        value);
        goto done;
      }
    } else if ((took = cli_take_value(argc, argv, &i, "--task-index", "fit", &value)) != 0) {
      if (took < 0) goto done;
      ms.task_index = value;
    } else if ((took = cli_take_value(argc, argv, &i, "--task-count", "fit", &value)) != 0) {
      if (took < 0) goto done;
      ms.task_count = value;
    } else if ((took = cli_take_value(argc, argv, &i, "-o", "fit", &value)) != 0 ||
               (took = cli_take_value(argc, argv, &i, "--output", "fit", &value)) != 0) {
      if (took < 0) goto done;
      ms.output = value;
    } else if ((took = cli_take_value(argc, argv, &i, "--optimizer", "fit", &value)) != 0) {
      if (took < 0) goto done;
      ms.optimizer = value;
    } else if ((took = cli_take_value(argc, argv, &i, "--starts", "fit", &value)) != 0) {
      if (took < 0) goto done;
      if (!cli_parse_long(value, &ms.starts) || ms.starts < 1) {
        cli_usage_error("fit", "--starts '%s' is not a positive integer (give 1 or more)", value);
        goto done;
      }
    } else if ((took = cli_take_value(argc, argv, &i, "--seed", "fit", &value)) != 0) {
      if (took < 0) goto done;
      if (!cli_parse_long(value, &ms.seed) || ms.seed < 0) {
        cli_usage_error("fit", "--seed '%s' is not a non-negative integer", value);
        goto done;
      }
    } else if ((took = cli_take_value(argc, argv, &i, "--at", "fit", &value)) != 0) {
      if (took < 0) goto done;
      at[nat++] = value;
    } else if (argv[i][0] == '-' && argv[i][1] != 0) {
      cli_usage_error("fit", "unknown option '%s'", argv[i]);
      goto done;
    } else if (path != NULL) {
      cli_usage_error("fit", "one fit file at a time ('%s' and '%s')", path, argv[i]);
      goto done;
    } else {
      path = argv[i];
    }
  }
  if (path == NULL) {
    cli_usage_error("fit", "no fit file given");
  } else if (!evaluate_flag) {
    rc = multistart_parallel(path, &ms);
  } else {
    rc = evaluate(path, at, nat);
  }
done:
  free(at);
  return rc;
}

/* ---- synovia export --petab FILE -o DIR ----------------------------------------------------- */

int cli_export_petab(int argc, char **argv) {
  const char *path = NULL, *dir = NULL;
  for (int i = 0; i < argc; i++) {
    const char *v;
    int got;
    if (strcmp(argv[i], "--petab") == 0) continue;
    if ((got = cli_take_value(argc, argv, &i, "-o", "export", &v)) != 0) {
      if (got < 0) return CLI_USAGE;
      dir = v;
    } else if (argv[i][0] == '-' && argv[i][1] != 0) {
      cli_usage_error("export", "--petab: unknown option '%s'", argv[i]);
      return CLI_USAGE;
    } else if (path != NULL) {
      cli_usage_error("export", "--petab: one fit at a time ('%s' and '%s')", path, argv[i]);
      return CLI_USAGE;
    } else {
      path = argv[i];
    }
  }
  if (path == NULL || dir == NULL) {
    cli_usage_error("export", "%s (synovia export --petab FILE.fit -o DIR)", path == NULL ? "which fit?" : "where to? give -o DIR");
    return CLI_USAGE;
  }
  syn_error err;
  syn_error_clear(&err);
  syn_fit *fit = NULL;
  syn_status st = syn_fit_load(path, &fit, &err);
  if (st == SYN_OK) st = syn_fit_export_petab(fit, dir, &err);
  if (st != SYN_OK) cli_print_error(&err);
  else printf("wrote %s/problem.yaml and its tables\n", dir);
  syn_fit_destroy(fit);
  return st == SYN_OK ? CLI_OK : CLI_FAILED;
}
