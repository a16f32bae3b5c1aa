/* synovia — the compiled problem's insides (internal, problem layer; see
 * include/synovia/problem.h).
 *
 * problem.c builds the problem (free parameters resolved through the one
 * table of kinds) and the workspaces; eval.c evaluates an arm; armrun.c is
 * syn_scenario_run_arm on top of it. */
#ifndef SYN_PROBLEM_IMPL_H
#define SYN_PROBLEM_IMPL_H

#include <stddef.h>

#include "scenario/metrics.h"
#include "synovia/psens.h"
#include "scenario/scenario_impl.h"
#include "synovia/problem.h"
#include "synovia/run.h"

typedef struct fp_kind fp_kind;
typedef struct arm_ws arm_ws;

/* One free parameter, resolved. */
typedef struct free_param {
  const fp_kind *kind;
  char *name;             /* as given (owned) */
  size_t arm;             /* doses: the scenario arm; SIZE_MAX: every arm */
  size_t dose;            /* doses: index in that arm's doses */
  syn_symkind *tkind;     /* model values: the symbols it sets (owned) */
  size_t *tindex;
  size_t ntargets;
} free_param;

/* A kind of free parameter: how it is named, resolved and applied. One
 * table (problem.c) holds them all. */
typedef enum fp_id { FP_AMOUNT, FP_TIME, FP_VALUE } fp_id;

struct fp_kind {
  fp_id id;               /* which kind (the sensitivities tell them apart) */
  const char *what;       /* "model value", "dose amount", "dose time" */
  /* 1 when name has this kind's form (the first kind that claims it resolves it) */
  int (*claims)(const char *name);
  syn_status (*resolve)(const syn_problem *p, const char *name, free_param *fp, syn_error *err);
  /* Put value into the arm's workspace (it applies to that arm) */
  syn_status (*apply)(arm_ws *a, const free_param *fp, double value, syn_error *err);
};

struct syn_problem {
  const syn_scenario *s;  /* borrowed, or own */
  syn_scenario *own;      /* a plain model's (syn_problem_create_model), else NULL */
  size_t *arms;           /* scenario arm indices */
  size_t narms;
  free_param *fp;
  size_t nfree;
  syn_solver_opts opts;   /* resolved; atol_vec -> atol when the model's state tolerances apply */
  double *atol;
  syn_run_opts ro;        /* the grid and opts, for the record */
  double *grid;
  size_t npts;
  size_t nstates, noutputs, nseries;
  /* sensitivities (sens.c): the model values' exact derivatives */
  syn_psens *ps;
  syn_psens_pattern pat[SYN_PSENS_PART_COUNT];
  long *ps_col;           /* per free parameter: its psens column, -1 for a dose's */
};

/* Per arm of the problem, in a workspace. */
struct arm_ws {
  const scn_arm *arm;
  size_t scn_arm;         /* index in the scenario */
  double t_start;         /* of the simulation */
  syn_instance *inst;     /* the arm's settings applied; free parameters on top */
  syn_ode ode;
  syn_solver *solver;
  scn_schedule sched;
  int moves_doses;        /* a dose time of this arm is free: the schedule is refilled */
  double *amount, *at;    /* per dose: the amount and first time as run */
  double *dose_scale;     /* per dose: the route's scale */
  size_t *inf_dose;       /* per infusion: its dose */
  size_t *running;        /* infusions running now */
  size_t nrunning;
  size_t *touched;        /* target states changed at the current stop */
  size_t next;            /* next event to apply */
  syn_metrics **round;    /* per metric round: an engine for all its calls (NULL: none) */
  syn_psens_work *pw;     /* sensitivities: prepared from inst per evaluation */
  double *dsc;            /* [ndoses][nfree]: d(route scale)/dtheta_k of each dose */
  double *jval;           /* the Jacobian's values (the steady start's derivative) */
};

/* Steady-state baselines found, keyed by everything that decides them. */
typedef struct baseline_entry {
  int used;
  double *key, *y;
  syn_baseline_info info;
} baseline_entry;

enum { PROBLEM_BASELINE_CACHE = 8 };

struct syn_problem_ws {
  const syn_problem *p;
  arm_ws *arms;
  double *y0;             /* [nstates]: the start */
  double *values;         /* [nseries]: one output time */
  double *series;         /* [npts][nseries] */
  double *calls;          /* [ncalls]: metric call values */
  double *metrics;        /* [nmetrics] */
  unsigned char *no_window; /* [ncalls] */
  syn_probe *probes;      /* [ncalls] */
  size_t *which;          /* [ncalls] */
  baseline_entry cache[PROBLEM_BASELINE_CACHE];
  size_t nkey, cache_next;
  double *key;            /* [nkey] */
  /* during an evaluation */
  arm_ws *cur;
  syn_metrics *engine;    /* the probes of the current run, or NULL */
  int record;             /* 0: outputs are not recorded (reruns, or no series asked) */
  int check;              /* 1: outputs are evaluated and checked (the first run) */
  size_t nrec;
  const double *at;       /* the caller's times (syn_problem_want.at), during the first run */
  double *at_out;
  size_t nat, at_next;
  double *at_y;           /* [nseries]: the state there */
  /* sensitivities (sens.c) */
  size_t *sel, ns;        /* this evaluation's: free parameter indices */
  int sens_run;           /* the current run integrates them */
  int grad;               /* the current run is the metrics' gradient pass */
  double *sens;           /* [nfree][npts][nseries] */
  double *sens_at;        /* the caller's [ns][nat][nseries] */
  double *S0, *Sbuf, *Sdot; /* [nfree][nstates] each */
  double **S0p, **Sbp, **Sdp;
  double *pbar;
  double *dmetrics;       /* [nmetrics][ns] */
  double *dcalls;         /* [ncalls][nfree] */
  double *call_where;     /* [ncalls]: the argmax / crossing of round-0 calls */
  unsigned char *gdone;   /* [ncalls][2]: points taken in the gradient pass */
  double *gdist, *gx1;    /* [ncalls] */
  syn_probe *gprobe;      /* [ncalls]: windows of the gradient pass, by call */
  size_t *gcall, ngcalls; /* the calls it differentiates */
  double *vals, *vals2;   /* psens values */
  double *lu;             /* [nstates]^2 */
  size_t *piv;
  double *ydot, *yddot, *yy, *gtmp;
  long *evcol;            /* per sensitivity: its psens column or -1 (the events' jumps) */
  const syn_sens_opts *sens_opts;
  syn_sens_stats sens_stats;
  size_t ev_lo, at_lo;    /* at a stop: the first event / caller's time applied there */
  size_t runs;            /* integrations of an arm so far (tests count the reruns) */
};

/* sens.c */
syn_status problem_sens_create(syn_problem *p, syn_error *err);
syn_status problem_sens_ws_create(const syn_problem *p, syn_problem_ws *ws, syn_error *err);
void problem_sens_ws_destroy(syn_problem_ws *ws);
syn_status problem_sens_arm_create(const syn_problem *p, arm_ws *a, syn_error *err);
void problem_sens_arm_destroy(arm_ws *a);
syn_status problem_sens_select(syn_problem_ws *ws, const syn_problem_want *w, syn_error *err);
syn_status problem_sens_prepare(syn_problem_ws *ws, arm_ws *a, const double *theta,
                                syn_error *err);
syn_status problem_sens_start(syn_problem_ws *ws, arm_ws *a, syn_error *err);
syn_status problem_sens_begin(syn_problem_ws *ws, arm_ws *a, const syn_sens_opts *opts,
                              syn_error *err);
syn_status problem_sens_grid_row(syn_problem_ws *ws, double t, const double *y, size_t row,
                                 syn_error *err);
syn_status problem_sens_at_row(syn_problem_ws *ws, double t, const double *y, double *const *S,
                               size_t row, syn_error *err);
syn_status problem_sens_at_step(syn_problem_ws *ws, double t, const double *y, size_t row,
                                syn_error *err);
syn_status problem_grad_start(syn_problem_ws *ws, double t0, syn_error *err);
syn_status problem_grad_hook(const syn_solver *s, double t_prev, double t_now, void *ctx,
                             syn_error *err);
void problem_grad_metrics(syn_problem_ws *ws);

#endif
