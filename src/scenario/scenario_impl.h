/* synovia — the resolved form of a scenario (internal, scenario layer).
 *
 * scenario.c builds it from the syntax tree (every name checked against the
 * model, every time in clock units); schedule.c turns an arm's doses into
 * sorted events; the problem layer (src/problem/) runs an arm. A scenario
 * never changes after load: evaluations keep their state in a workspace. */
#ifndef SYN_SCENARIO_IMPL_H
#define SYN_SCENARIO_IMPL_H

#include <stddef.h>

#include "lang/scenario_ast.h"
#include "metrics.h"
#include "synovia/result.h"
#include "synovia/scenario.h"

/* A `use` or `set` of an arm (or of the whole scenario), in order. */
typedef struct scn_setting {
  int is_preset;        /* 1: use NAME; 0: set NAME = value */
  const char *name;     /* arena string */
  double value;         /* clock units */
} scn_setting;

/* One dose statement, resolved. */
typedef struct scn_dose {
  const char *route;    /* route name as written */
  const char *joint;    /* "" for a systemic route */
  const char *target;   /* name of the target state */
  const char *units;    /* unit of the amount as written, "" if none */
  size_t route_index;   /* in syn_model_route */
  size_t state;         /* target state */
  double amount;        /* as written (before the route's scale) */
  double at;            /* first dose, clock units */
  double over;          /* infusion length; 0 for a bolus */
  double every;         /* repeat interval; 0 when given once */
  long times;           /* number of doses (1 when given once; 0 for a conditional dose,
                           which the schedule does not hold) */
  /* A conditional dose (cdose.c): given by the model event `cdose_K` (K = cond + 1)
   * appended to the model at load, each time its condition becomes true. */
  int is_cond;
  size_t cond;          /* its index among the scenario's conditional doses */
} scn_dose;

typedef struct scn_arm {
  const char *name;
  scn_setting *settings;
  size_t nsettings;
  scn_dose *doses;
  size_t ndoses;
} scn_arm;

/* A call of a metric function inside a metric expression. Its arguments
 * (window, level) are expressions that may contain other calls; a call is
 * evaluated in round 1 + the highest round of the calls in its arguments
 * (0 when none), each round being one run of the arm. */
typedef struct scn_call {
  const ast_expr *node;  /* the AST_CALL */
  syn_probe_kind kind;
  size_t series;         /* as syn_probe.series */
  const ast_expr *t1, *t2, *level; /* NULL: the whole simulation / no level */
  int round;
} scn_call;

typedef struct scn_metric {
  const char *name;
  const char *units;
  const char *description; /* "" if none */
  const ast_expr *value;
  scn_call *calls;         /* points into syn_scenario.calls */
  size_t ncalls;
} scn_metric;

struct syn_scenario {
  syn_scenario_ast *ast;   /* owned; literals in metric expressions hold clock values */
  syn_model *model;        /* owned */
  char *path, *sha256;
  double t_start, t_end, every;
  int steady;
  scn_setting *common;
  size_t ncommon;
  scn_arm *arms;
  size_t narms;
  scn_metric *metrics;
  size_t nmetrics;
  scn_call *calls;         /* every metric's calls, metric by metric */
  size_t ncalls;
  int max_round;           /* -1 when there are no calls */
  const char *clock;       /* the model's time unit ("" if none) */
  const char *show_unit;   /* unit times are shown in: the one of `simulate`'s end time
                              when it has one (times written in days are shown in days),
                              else the clock */
  double show_factor;      /* clock units per show_unit */
  const char *solver[SYN_SETTING_COUNT]; /* the `solver` lines' values as written (checked),
                                            NULL when not given */
  syn_state_atol *atols;   /* owned: the `atol` lines, resolved, in order */
  size_t natols;
  double *atol_vec;        /* owned, one per state, when natols > 0: the tolerances every
                              arm runs with unless the caller's options say otherwise */
  const char **sens;       /* owned array of AST strings: the `sensitivities` line, checked */
  size_t nsens;
  size_t ncond;            /* conditional doses over all arms */
  size_t *cond_event;      /* arena, per conditional dose: its model event */
  size_t *cond_param;      /* arena, per conditional dose: its parameters `cdose_K_on` and
                              `cdose_K_amt` are cond_param[K] and cond_param[K] + 1 */
};

/* --- cdose.c: conditional doses ------------------------------------------------------- */

/* The model text that gives conditional dose K (1-based) when cond becomes true:
 * its parameters (`cdose_K_on`, `cdose_K_amt` in unit, `cdose_K_n`, `cdose_K_last`)
 * and event `cdose_K`. after/before: the window (NAN: open), most: at most that
 * many (0: no limit), apart: the shortest interval (0: none), all in clock units
 * written with clock. Appended to buf (*len of *cap, grown); -1 out of memory. */
typedef struct scn_cdose_text {
  size_t k;
  const char *cond, *target, *unit, *clock;
  size_t cond_len;
  double after, before, apart;
  long most;
} scn_cdose_text;
int scn_cdose_append_text(char **buf, size_t *len, size_t *cap, const scn_cdose_text *c);

/* Before an arm runs: its own conditional doses switched on (on = 1; 0 while
 * its untreated baseline is found) and each given amount[i] * scale[i] (per
 * dose of the arm, as the run gives it); the instance is prepared again. */
syn_status scn_cdose_prepare(const syn_scenario *s, const scn_arm *arm, const double *amount,
                             const double *scale, int on, syn_instance *inst, syn_error *err);

/* The arm's dose that model event `event` gives, or SIZE_MAX when it gives none. */
size_t scn_cdose_of_event(const syn_scenario *s, const scn_arm *arm, size_t event);

/* --- schedule.c ------------------------------------------------------------------ */

typedef enum scn_event_kind { SCN_BOLUS, SCN_INFUSION_START, SCN_INFUSION_END } scn_event_kind;

typedef struct scn_event {
  double t;
  scn_event_kind kind;
  size_t dose;      /* index in the arm's doses */
  size_t infusion;  /* infusions: index of this infusion (start and end share it) */
  size_t seq;       /* order of creation: ties at one time keep the scenario's order */
} scn_event;

typedef struct scn_schedule {
  scn_event *events;  /* sorted by time, then seq; only times in [t_start, t_end] */
  size_t nevents;
  double *stops;      /* the distinct event times, increasing */
  size_t nstops;
  size_t ninfusions;  /* infusions that start within the simulation */
  double *length;     /* per infusion: its length as run (end minus start after snapping;
                         the written length when it ends after the simulation) */
  char **warnings;    /* doses skipped because they come after t_end */
  size_t nwarnings;
  size_t nskipped;    /* doses skipped (after t_end) */
  size_t capacity;    /* events the arrays hold (every dose of the arm, ends included) */
  double *start;      /* scratch: per infusion, its start */
} scn_schedule;

/* Expand the arm's doses (repeats, infusion ends) into events inside
 * [t_start, t_end]; doses after t_end become warnings (times shown in
 * `unit`, of `factor` clock units). An infusion that runs past t_end has no end event.
 * Event times within rounding (SCN_SNAP_REL of the run's times) of an
 * output time grid[0..npts) become that output time, and events within
 * rounding of each other one stop: 0.1 + 3 * 0.3 h is the output at 1 h,
 * not a stop 1e-16 h before it (which the integrator could not reach). */
#define SCN_SNAP_REL 1e-12

/* The shortest infusion, relative to the run's time scale (the larger of
 * |start| and |end| of the simulation). Far above the snapping tolerance, so
 * an infusion's end never joins its start (which would give nothing); and
 * the integrator places times to within a rounding of the time scale (about
 * 2e-16 of it), which over an infusion this short is 2e-9 of the dose, below
 * any tolerance the solver runs with. Shorter infusions are refused at load:
 * they are boluses. */
#define SCN_MIN_INFUSION_REL 1e-7

/* The largest rate of an infusion (per clock unit, in the target's units
 * after the route's scale). The solver weighs a rate of change against the
 * tolerances, by 1 / atol (1e6 to 1e12) where the state is still near 0 as at
 * an infusion's start, and squares that in its error norms, which overflows
 * past about 1e154: 1e300 mg over 1 h failed. Far beyond any real infusion,
 * and below that overflow with margin. (A bolus sets a state, which is
 * weighed relative to its own size: its amount need only be finite.) */
#define SCN_MAX_RATE 1e100
syn_status scn_schedule_build(const scn_arm *arm, double t_start, double t_end,
                              const double *grid, size_t npts, const char *unit, double factor,
                              scn_schedule *out, syn_error *err);
/* The schedule of the same arm again with the doses' first times at[i]
 * (clock units; repeats follow at + k * every), into s's arrays: nothing is
 * allocated, no warning is written (nskipped counts the doses skipped).
 * s must come from scn_schedule_build for this arm. */
syn_status scn_schedule_refill(const scn_arm *arm, const double *at, double t_start,
                               double t_end, const double *grid, size_t npts, scn_schedule *s,
                               syn_error *err);
void scn_schedule_free(scn_schedule *s);

/* Append a copy of text to a list of warnings (*list of *n, grown by one);
 * on failure the list is unchanged and still the caller's to free. */
syn_status scn_add_warning(char ***list, size_t *n, const char *text, syn_error *err);

/* --- scenario.c: evaluating metric expressions --------------------------------------- */

/* Value of a (sub)expression of a metric: literals are already in clock
 * units; a call takes values[index of the call in s->calls] (NaN when not
 * yet known). */
double scn_eval(const syn_scenario *s, const ast_expr *e, const double *values);

#endif
