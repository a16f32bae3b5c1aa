/* synovia — profile likelihoods of a fit's parameters, their confidence
 * intervals and identifiability classes (include/synovia/profile.h says the
 * algorithm and the rules). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"
#include "synovia/h5sweep.h"
#include "synovia/profile.h"

static const char *const ident_names[] = {
#define SYN_IDENT_NAME_(name, text) text,
    SYN_IDENT_LIST(SYN_IDENT_NAME_)
#undef SYN_IDENT_NAME_
};

const char *syn_identifiability_name(syn_identifiability c) {
  return (size_t)c < sizeof ident_names / sizeof *ident_names ? ident_names[c] : "unknown";
}

void syn_profile_settings_default(syn_profile_settings *s) {
  s->confidence = 0.95;
  s->step_rise = syn_profile_threshold(0.95) / 5;
  s->flat_tol = 0.01;
  s->max_steps = 100;
  s->max_refine = 8;
  s->crossing_tol = 1e-9;
  s->type = NULL;
  syn_optim_settings_default(&s->optim);
}

/* ---- the reduced problem: every parameter but the profiled one ---------------- */

typedef struct reduced {
  syn_objective *obj;
  size_t n, m, j;       /* full size, residuals, the fixed parameter */
  double *full, *grad;  /* [n] */
  double *jac;          /* [m][n] */
} reduced;

static void expand(reduced *r, const double *x) {
  for (size_t i = 0, k = 0; i < r->n; i++)
    if (i != r->j) r->full[i] = x[k++];
}

static int reduced_f(const double *x, double *f, double *grad, void *user) {
  reduced *r = user;
  syn_error err;
  syn_objective_value v;
  expand(r, x);
  if (syn_objective_eval(r->obj, r->full, &v, grad ? r->grad : NULL, &err) != SYN_OK) return 1;
  *f = v.total;
  for (size_t i = 0, k = 0; grad != NULL && i < r->n; i++)
    if (i != r->j) grad[k++] = r->grad[i];
  return 0;
}

static int reduced_r(const double *x, double *res, double *jac, void *user) {
  reduced *r = user;
  syn_error err;
  expand(r, x);
  if (syn_objective_residuals(r->obj, r->full, res, jac ? r->jac : NULL, NULL, &err) != SYN_OK)
    return 1;
  for (size_t a = 0; jac != NULL && a < r->m; a++)
    for (size_t i = 0, k = 0; i < r->n; i++)
      if (i != r->j) jac[a * (r->n - 1) + k++] = r->jac[a * r->n + i];
  return 0;
}

/* ---- the walk ------------------------------------------------------------------- */

/* Everything one computation shares. */
typedef struct prof {
  const syn_fit *f;
  const syn_profile_settings *s;
  syn_uncertainty *u;
  reduced red;
  syn_optim *opt;             /* n - 1 parameters; NULL when n == 1 */
  syn_optim_problem prob;
  double *lo, *hi;            /* [n] on the scale */
  double *lo_r, *hi_r, *xr;   /* [n - 1] the reduced bounds and point */
  const char **names_r;
  size_t cap;                 /* of the point arrays */
} prof;

/* One profile point: what a re-optimisation gave (x on the scale). */
typedef struct ppoint {
  double v, f;                /* the fixed value (scale) and the objective (NaN: failed) */
  double *x;                  /* [n] owned by the walk */
} ppoint;

static int grow(prof *P) {
  syn_uncertainty *u = P->u;
  size_t cap = P->cap ? 2 * P->cap : 64, n = u->nparam;
  size_t *pp = realloc(u->point_param, cap * sizeof *pp);
  if (pp) u->point_param = pp;
  double *pv = realloc(u->point_value, cap * sizeof *pv);
  if (pv) u->point_value = pv;
  double *po = realloc(u->point_objective, cap * sizeof *po);
  if (po) u->point_objective = po;
  const char **ps = realloc(u->point_status, cap * sizeof *ps);
  if (ps) u->point_status = ps;
  double *px = realloc(u->point_x, cap * n * sizeof *px);
  if (px) u->point_x = px;
  if (!pp || !pv || !po || !ps || !px) return 0;
  P->cap = cap;
  return 1;
}

/* Appends a point (x on the scale) to the record, linear values. */
static int record(prof *P, size_t j, const ppoint *q, const char *status) {
  syn_uncertainty *u = P->u;
  if (u->npoints == P->cap && !grow(P)) return 0;
  size_t k = u->npoints++, n = u->nparam;
  u->point_param[k] = j;
  u->point_value[k] = syn_objective_unscale(syn_fit_param_at(P->f, j), q->v);
  u->point_objective[k] = q->f;
  u->point_status[k] = status;
  for (size_t i = 0; i < n; i++)
    u->point_x[k * n + i] = syn_objective_unscale(syn_fit_param_at(P->f, i), q->x[i]);
  if (isfinite(q->f) && q->f < u->lowest_objective) {
    u->lowest_objective = q->f;
    for (size_t i = 0; i < n; i++) u->lowest_x[i] = u->point_x[k * n + i];
  }
  return 1;
}

/* Re-optimises every parameter but j at x_j = v from `from` (scale) into q. */
static syn_status reoptimise(prof *P, size_t j, double v, const double *from, ppoint *q,
                             syn_error *err) {
  size_t n = P->u->nparam;
  memcpy(q->x, from, n * sizeof *q->x);
  q->x[j] = q->v = v;
  P->red.j = j;
  P->red.full[j] = v;
  const char *status = "evaluated";
  if (P->opt == NULL) {
    double f;
    q->f = reduced_f(q->x, &f, NULL, &P->red) == 0 ? f : (double)NAN;
    if (isnan(q->f)) status = "failed";
  } else {
    for (size_t i = 0, k = 0; i < n; i++)
      if (i != j) {
        P->lo_r[k] = P->lo[i];
        P->hi_r[k] = P->hi[i];
        P->names_r[k] = syn_fit_param_at(P->f, i)->name;
        P->xr[k++] = fmin(P->hi[i], fmax(P->lo[i], from[i]));
      }
    syn_optim_result res;
    syn_status st = syn_optim_minimize(P->opt, &P->prob, &P->s->optim, P->xr, &res, err);
    if (st != SYN_OK) return st;
    expand(&P->red, P->xr);
    memcpy(q->x, P->red.full, n * sizeof *q->x);
    q->f = isfinite(res.f) ? res.f : (double)NAN;
    status = syn_optim_status_name(res.status);
  }
  return record(P, j, q, status) ? SYN_OK : syn_error_set(err, SYN_ENOMEM, "out of memory");
}

/* g = sqrt(rise) - sqrt(threshold): linear in the value for a quadratic profile. */
static double crossing_g(const prof *P, double f) {
  return sqrt(fmax(0.0, f - P->u->best_objective)) - sqrt(P->u->threshold);
}

/* Refines the crossing between a (below) and b (above) by regula falsi on
 * g (Illinois); returns the crossing's value on the scale. */
static syn_status refine(prof *P, size_t j, ppoint *a, ppoint *b, ppoint *t, double *cross,
                         syn_error *err) {
  double ga = crossing_g(P, a->f), gb = crossing_g(P, b->f);
  syn_status st = SYN_OK;
  int side = 0;
  size_t n = P->u->nparam;
  for (size_t it = 0; st == SYN_OK && it < P->s->max_refine; it++) {
    double v = a->v + (b->v - a->v) * ga / (ga - gb);
    if (fabs(gb) * (sqrt(P->u->threshold) + fabs(gb)) * 2 <= P->s->crossing_tol ||
        fabs(b->v - a->v) <= 1e-13 * fmax(1.0, fabs(v)))
      break;
    st = reoptimise(P, j, v, a->x, t, err);
    if (st != SYN_OK || isnan(t->f)) break;
    double gt = crossing_g(P, t->f);
    ppoint *keep = gt < 0 ? a : b; /* t replaces the end of its sign */
    double *swap = keep->x;
    keep->x = t->x;
    t->x = swap;
    keep->v = t->v;
    keep->f = t->f;
    if (gt < 0) {
      ga = gt;
      gb *= side == -1 ? 0.5 : 1.0;
      side = -1;
    } else {
      gb = gt;
      ga *= side == 1 ? 0.5 : 1.0;
      side = 1;
    }
    if (fabs(gt) * (sqrt(P->u->threshold) + fabs(gt)) * 2 <= P->s->crossing_tol) {
      *cross = t->v;
      return SYN_OK;
    }
  }
  (void)n;
  *cross = a->v + (b->v - a->v) * ga / (ga - gb);
  return st;
}

/* The next step: aim at step_rise from the rise of the last one. */
static double next_step(const prof *P, double step, double rise) {
  double factor = sqrt(P->s->step_rise / fmax(fabs(rise), 1e-12));
  return step * fmin(2.0, fmax(0.5, factor));
}

/* One side (dir = -1 or +1) of parameter j's profile from best (scale):
 * *cross the crossing on the scale (NaN: none); *max_rise updated. */
static syn_status walk(prof *P, size_t j, int dir, const double *best, double step0,
                       ppoint *prev, ppoint *cur, ppoint *tmp, double *cross, double *max_rise,
                       syn_error *err) {
  size_t n = P->u->nparam;
  double bound = dir < 0 ? P->lo[j] : P->hi[j], step = step0;
  memcpy(prev->x, best, n * sizeof *best);
  prev->v = best[j];
  prev->f = P->u->best_objective;
  *cross = NAN;
  syn_status st = SYN_OK;
  for (size_t k = 0; st == SYN_OK && k < P->s->max_steps && prev->v != bound; k++) {
    double v = prev->v + dir * step;
    if ((v - bound) * dir > 0) v = bound;
    st = reoptimise(P, j, v, prev->x, cur, err);
    if (st != SYN_OK) break;
    if (isnan(cur->f)) { /* a failed point: a shorter step, the same start */
      step *= 0.5;
      if (step < 1e-10 * fmax(1.0, fabs(best[j]))) break;
      continue;
    }
    double rise = cur->f - P->u->best_objective;
    *max_rise = fmax(*max_rise, rise);
    if (rise >= P->u->threshold) return refine(P, j, prev, cur, tmp, cross, err);
    step = next_step(P, step, cur->f - prev->f);
    ppoint t = *prev;
    *prev = *cur;
    *cur = t;
  }
  return st;
}

/* ---- sorting the record by parameter, then value ------------------------------- */

typedef struct order_key {
  size_t param, index;
  double value;
} order_key;

static int key_order(const void *pa, const void *pb) {
  const order_key *a = pa, *b = pb;
  if (a->param != b->param) return a->param < b->param ? -1 : 1;
  if (a->value != b->value) return a->value < b->value ? -1 : 1;
  return a->index < b->index ? -1 : a->index > b->index;
}

static int sort_points(syn_uncertainty *u) {
  size_t m = u->npoints, n = u->nparam;
  order_key *key = malloc((m + 1) * sizeof *key);
  double *v = malloc((m + 1) * sizeof *v), *x = malloc((m * n + 1) * sizeof *x);
  const char **s = malloc((m + 1) * sizeof *s);
  int ok = key && v && x && s;
  for (size_t i = 0; ok && i < m; i++) key[i] = (order_key){u->point_param[i], i, u->point_value[i]};
  if (ok) qsort(key, m, sizeof *key, key_order);
  for (size_t i = 0; ok && i < m; i++) {
    v[i] = u->point_objective[key[i].index];
    s[i] = u->point_status[key[i].index];
    memcpy(x + i * n, u->point_x + key[i].index * n, n * sizeof *x);
  }
  for (size_t i = 0; ok && i < m; i++) {
    u->point_param[i] = key[i].param;
    u->point_value[i] = key[i].value;
    u->point_objective[i] = v[i];
    u->point_status[i] = s[i];
  }
  if (ok && m) memcpy(u->point_x, x, m * n * sizeof *x);
  free(key);
  free(v);
  free(x);
  free(s);
  return ok;
}

/* ---- one parameter ------------------------------------------------------------- */

static syn_identifiability classify(int down, int up, double max_rise, double flat_tol) {
  if (down && up) return SYN_IDENT_IDENTIFIABLE;
  if (max_rise < flat_tol) return SYN_IDENT_STRUCTURAL;
  return SYN_IDENT_PRACTICAL;
}

/* The first step of parameter j's walks (scale): the Fisher prediction for
 * step_rise, else 1 % of the bounds' span. */
static double first_step(const prof *P, size_t j, double se) {
  double span = P->hi[j] - P->lo[j];
  double step0 = isfinite(se) && se > 0 ? se * sqrt(2 * P->s->step_rise) : 0.01 * span;
  return fmin(fmax(step0, 1e-6 * fmax(span, 1e-12)), 0.25 * span);
}

/* A side's outcome into the record: its crossing (scale, NaN: none). */
static void set_bound(syn_uncertainty *u, const syn_fit *f, size_t j, int dir, double cross) {
  double v = isnan(cross) ? (double)NAN : syn_objective_unscale(syn_fit_param_at(f, j), cross);
  if (dir < 0) u->lower[j] = v;
  else u->upper[j] = v;
}

static syn_status profile_one(prof *P, size_t j, const double *best, double se, ppoint *pts,
                              syn_error *err) {
  double cross[2], max_rise = 0, step0 = first_step(P, j, se);
  syn_status st = SYN_OK;
  for (int side = 0; side < 2 && st == SYN_OK; side++) {
    st = walk(P, j, side ? 1 : -1, best, step0, &pts[0], &pts[1], &pts[2], &cross[side],
              &max_rise, err);
    set_bound(P->u, P->f, j, side ? 1 : -1, cross[side]);
  }
  P->u->ident[j] = classify(!isnan(cross[0]), !isnan(cross[1]), max_rise, P->s->flat_tol);
  return st;
}

/* ---- set-up and entry ------------------------------------------------------------ */

void syn_uncertainty_destroy(syn_uncertainty *u) {
  if (u == NULL) return;
  free(u->lower);
  free(u->upper);
  free(u->ident);
  free(u->fisher_lower);
  free(u->fisher_upper);
  free(u->point_param);
  free(u->point_value);
  free(u->point_objective);
  free(u->point_status);
  free(u->point_x);
  free(u->lowest_x);
  free(u);
}

static syn_uncertainty *uncertainty_new(size_t n, double confidence, double fbest) {
  syn_uncertainty *u = calloc(1, sizeof *u);
  if (u == NULL) return NULL;
  u->nparam = n;
  u->confidence = confidence;
  u->threshold = syn_profile_threshold(confidence);
  u->best_objective = u->lowest_objective = fbest;
  u->lower = malloc(n * sizeof *u->lower);
  u->upper = malloc(n * sizeof *u->upper);
  u->ident = malloc(n * sizeof *u->ident);
  u->fisher_lower = malloc(n * sizeof *u->fisher_lower);
  u->fisher_upper = malloc(n * sizeof *u->fisher_upper);
  u->lowest_x = calloc(n, sizeof *u->lowest_x);
  if (!u->lower || !u->upper || !u->ident || !u->fisher_lower || !u->fisher_upper || !u->lowest_x) {
    syn_uncertainty_destroy(u);
    return NULL;
  }
  for (size_t j = 0; j < n; j++) {
    u->lower[j] = u->upper[j] = NAN;
    u->ident[j] = SYN_IDENT_NOT_PROFILED;
  }
  return u;
}

static void prof_free(prof *P, ppoint *pts) {
  for (int i = 0; i < 3; i++) free(pts[i].x);
  syn_optim_destroy(P->opt);
  free(P->red.full);
  free(P->red.grad);
  free(P->red.jac);
  free(P->lo);
  free(P->hi);
  free(P->lo_r);
  free(P->hi_r);
  free(P->xr);
  free(P->names_r);
}

/* The optimiser and buffers of the reduced problems. */
static syn_status prof_init(prof *P, syn_objective *o, const double *best, ppoint *pts,
                            syn_error *err) {
  size_t n = syn_fit_param_count(P->f);
  int lsq = syn_objective_residual_form(P->f, NULL, 0);
  const syn_optim_type *t = P->s->type ? P->s->type : lsq ? syn_optim_lm() : syn_optim_lbfgs();
  if (syn_optim_type_needs_residuals(t) && !lsq) t = syn_optim_lbfgs();
  int use_r = syn_optim_type_needs_residuals(t);
  size_t m = syn_objective_residual_count(P->f);
  P->red = (reduced){o, n, use_r ? m : 0, 0, malloc(n * sizeof(double)), malloc(n * sizeof(double)),
                     malloc((m * n + 1) * sizeof(double))};
  P->lo = malloc(n * sizeof *P->lo);
  P->hi = malloc(n * sizeof *P->hi);
  P->lo_r = malloc(n * sizeof *P->lo_r);
  P->hi_r = malloc(n * sizeof *P->hi_r);
  P->xr = malloc(n * sizeof *P->xr);
  P->names_r = malloc(n * sizeof *P->names_r);
  for (int i = 0; i < 3; i++) pts[i].x = malloc(n * sizeof *pts[i].x);
  if (!P->red.full || !P->red.grad || !P->red.jac || !P->lo || !P->hi || !P->lo_r || !P->hi_r ||
      !P->xr || !P->names_r || !pts[0].x || !pts[1].x || !pts[2].x)
    return syn_error_set(err, SYN_ENOMEM, "out of memory");
  memcpy(P->red.full, best, n * sizeof *best);
  for (size_t j = 0; j < n; j++) {
    const syn_fit_param *p = syn_fit_param_at(P->f, j);
    P->lo[j] = syn_objective_to_scale(p, p->lower);
    P->hi[j] = syn_objective_to_scale(p, p->upper);
  }
  double c = 0;
  if (use_r && (syn_objective_residuals(o, best, P->red.jac, NULL, &c, err)) != SYN_OK)
    return err->code;
  P->prob = (syn_optim_problem){n - 1, use_r ? m : 0, reduced_f, use_r ? reduced_r : NULL, c,
                                P->lo_r, P->hi_r, P->names_r, &P->red};
  return n > 1 ? syn_optim_create(t, n - 1, m, &P->opt, err) : SYN_OK;
}

static syn_status check_settings(const syn_profile_settings *s, syn_error *err) {
  if (!(s->confidence > 0 && s->confidence < 1) || !(s->step_rise > 0) || s->max_steps == 0)
    return syn_error_set(err, SYN_EINVAL, "profile settings: confidence must be in (0, 1), "
                         "step_rise positive, max_steps at least 1");
  return SYN_OK;
}

/* The Fisher standard errors se[n] (NaN with the reason in u->fisher_why when
 * the Hessian cannot be computed: not the end) and the Wald intervals. */
static void fisher_part(prof *P, syn_objective *o, const double *best, double *se) {
  size_t n = P->u->nparam;
  syn_error ferr;
  syn_error_clear(&ferr);
  syn_uncertainty *u = P->u;
  if (syn_fisher_se(P->f, o, best, se, u->fisher_why, sizeof u->fisher_why, &ferr) != SYN_OK) {
    for (size_t j = 0; j < n; j++) se[j] = NAN;
    snprintf(u->fisher_why, sizeof u->fisher_why, "the Hessian could not be computed: %.200s",
             ferr.message);
  }
  double z = sqrt(2 * u->threshold);
  for (size_t j = 0; j < n; j++) {
    const syn_fit_param *p = syn_fit_param_at(P->f, j);
    u->fisher_lower[j] = syn_objective_unscale(p, best[j] - z * se[j]);
    u->fisher_upper[j] = syn_objective_unscale(p, best[j] + z * se[j]);
  }
}

/* Everything a profile computation needs around best (scale): the record,
 * the reduced problem, the three walk points and se[n]. */
static syn_status prof_open(prof *P, const syn_fit *f, syn_objective *o,
                            const syn_profile_settings *s, const double *best, double fbest,
                            ppoint *pts, double **se, syn_error *err) {
  size_t n = syn_fit_param_count(f);
  *P = (prof){f, s, uncertainty_new(n, s->confidence, fbest), {0}, NULL, {0}, NULL, NULL, NULL,
              NULL, NULL, NULL, 0};
  for (int i = 0; i < 3; i++) pts[i] = (ppoint){0, 0, NULL};
  *se = malloc((n + 1) * sizeof **se);
  syn_status st = P->u && *se ? SYN_OK : syn_error_set(err, SYN_ENOMEM, "out of memory");
  if (st == SYN_OK) st = prof_init(P, o, best, pts, err);
  if (st == SYN_OK) fisher_part(P, o, best, *se);
  return st;
}

/* The record's points sorted and the check against the best. */
static syn_status prof_close(syn_uncertainty *u, syn_error *err) {
  if (!sort_points(u)) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  double fbest = u->best_objective;
  u->below_best = u->lowest_objective < fbest - 1e-6 * fmax(1.0, fabs(fbest));
  return SYN_OK;
}

syn_status syn_uncertainty_compute(const syn_fit *f, syn_objective *o, const double *best,
                                   double fbest, const unsigned char *which,
                                   const syn_profile_settings *s, syn_uncertainty **out,
                                   syn_error *err) {
  *out = NULL;
  syn_status st = check_settings(s, err);
  if (st != SYN_OK) return st;
  size_t n = syn_fit_param_count(f);
  prof P;
  ppoint pts[3];
  double *se = NULL;
  st = prof_open(&P, f, o, s, best, fbest, pts, &se, err);
  for (size_t j = 0; st == SYN_OK && j < n; j++)
    if (which == NULL || which[j]) st = profile_one(&P, j, best, se[j], pts, err);
  if (st == SYN_OK) st = prof_close(P.u, err);
  prof_free(&P, pts);
  free(se);
  if (st != SYN_OK) syn_uncertainty_destroy(P.u);
  else *out = P.u;
  return st;
}

/* ---- profiles as a job of the sweep runner --------------------------------------- */

/* A walk's row (profile.h): params parameter, direction; arm "summary" then
 * one arm per point slot, each with the metrics value, objective, status,
 * then "x NAME" per parameter. */
enum { W_VALUE, W_OBJECTIVE, W_STATUS, W_FIXED };
static const char *const walk_fixed_metrics[W_FIXED] = {"value", "objective", "status"};
static const char *const walk_param_names[2] = {"parameter", "direction"};
/* The points' statuses that are not an optimiser's (codes below its list). */
enum { PS_EVALUATED = -1, PS_FAILED = -2 };

struct syn_profile_job {
  const syn_fit *f;
  syn_profile_settings s;
  syn_objective *obj;
  prof P;
  ppoint pts[3];
  double *best, *se;          /* [n] scale */
  double fbest;
  size_t n, nwalks, slots, nm; /* parameters, rows, point arms, metrics per arm */
  size_t *walk_param;         /* [nwalks / 2] the profiled parameters */
  double *row;                /* [(slots + 1) * nm] */
  double params[2], plo[2], phi[2];
  char **names;               /* [slots + 1 + n] owned: the arms', then "x NAME" */
  const char **arm_names, **metric_names; /* [slots + 1], [nm] */
  char config_sha256[SYN_SHA256_HEX];
  syn_h5sweep_spec spec;
  syn_uncertainty *result;    /* what the last run delivered */
};

static double status_code(const char *s) {
  if (strcmp(s, "evaluated") == 0) return PS_EVALUATED;
  for (int c = 0; c <= (int)SYN_OPTIM_FAILED; c++)
    if (strcmp(s, syn_optim_status_name((syn_optim_status)c)) == 0) return c;
  return PS_FAILED;
}

static const char *status_of_code(double c) {
  if (c == PS_EVALUATED) return "evaluated";
  if (!(c >= 0 && c <= (double)SYN_OPTIM_FAILED)) return "failed";
  return syn_optim_status_name((syn_optim_status)(int)c);
}

size_t syn_profile_job_count(const syn_profile_job *pj) { return pj->nwalks; }
const char *syn_profile_job_config_sha256(const syn_profile_job *pj) { return pj->config_sha256; }

/* Walk i into pj->row: i / 2 the profiled parameter, i % 2 the side. */
static syn_status eval_walk(void *ctx, size_t i, syn_sweep_sample *out, syn_error *err) {
  syn_profile_job *pj = ctx;
  size_t j = pj->walk_param[i / 2], n = pj->n, nm = pj->nm;
  int dir = i % 2 ? 1 : -1;
  syn_uncertainty *u = pj->P.u;
  double cross, max_rise = 0;
  u->npoints = 0;
  syn_status st = walk(&pj->P, j, dir, pj->best, first_step(&pj->P, j, pj->se[j]), &pj->pts[0],
                       &pj->pts[1], &pj->pts[2], &cross, &max_rise, err);
  if (st == SYN_OK && u->npoints > pj->slots)
    st = syn_error_set(err, SYN_ELIMIT, "a profile walk took %zu points (at most %zu)",
                       u->npoints, pj->slots);
  if (st != SYN_OK) return st;
  for (size_t k = 0; k < (pj->slots + 1) * nm; k++) pj->row[k] = NAN;
  set_bound(u, pj->f, j, dir, cross);
  pj->row[W_VALUE] = dir < 0 ? u->lower[j] : u->upper[j];
  pj->row[W_OBJECTIVE] = max_rise;
  pj->row[W_STATUS] = (double)u->npoints;
  for (size_t k = 0; k < u->npoints; k++) {
    double *r = pj->row + (k + 1) * nm;
    r[W_VALUE] = u->point_value[k];
    r[W_OBJECTIVE] = u->point_objective[k];
    r[W_STATUS] = status_code(u->point_status[k]);
    memcpy(r + W_FIXED, u->point_x + k * n, n * sizeof *r);
  }
  pj->params[0] = (double)j;
  pj->params[1] = dir;
  *out = (syn_sweep_sample){i, SYN_SWEEP_OK, "", pj->params, pj->row, NULL};
  return SYN_OK;
}

/* ---- the rows back into a syn_uncertainty ---------------------------------------- */

/* Appends a point given in linear values (a row's) to Q's record. */
static int append_linear(prof *Q, size_t j, const double *r) {
  syn_uncertainty *u = Q->u;
  if (u->npoints == Q->cap && !grow(Q)) return 0;
  size_t k = u->npoints++, n = u->nparam;
  u->point_param[k] = j;
  u->point_value[k] = r[W_VALUE];
  u->point_objective[k] = r[W_OBJECTIVE];
  u->point_status[k] = status_of_code(r[W_STATUS]);
  memcpy(u->point_x + k * n, r + W_FIXED, n * sizeof *r);
  if (isfinite(r[W_OBJECTIVE]) && r[W_OBJECTIVE] < u->lowest_objective) {
    u->lowest_objective = r[W_OBJECTIVE];
    memcpy(u->lowest_x, r + W_FIXED, n * sizeof *r);
  }
  return 1;
}

/* Row i's walk into Q's record; max_rise[j] updated. */
static syn_status absorb_walk(syn_profile_job *pj, prof *Q, syn_h5sweep_reader *rd, size_t i,
                              double *max_rise, syn_error *err) {
  double params[2];
  signed char status;
  syn_status st = syn_h5sweep_read_rows(rd, i, 1, params, &status, pj->row, NULL, err);
  if (st != SYN_OK) return st;
  size_t j = pj->walk_param[i / 2], npts = (size_t)pj->row[W_STATUS];
  if (i % 2) Q->u->upper[j] = pj->row[W_VALUE];
  else Q->u->lower[j] = pj->row[W_VALUE];
  max_rise[j] = fmax(max_rise[j], pj->row[W_OBJECTIVE]);
  for (size_t k = 0; k < npts && k < pj->slots; k++)
    if (!append_linear(Q, j, pj->row + (k + 1) * pj->nm))
      return syn_error_set(err, SYN_ENOMEM, "out of memory");
  return SYN_OK;
}

/* The whole record from the walks' rows (NULL: none ran), with the Fisher
 * intervals computed at creation. */
static syn_status assemble(syn_profile_job *pj, syn_h5sweep_reader *rd, syn_uncertainty **out,
                           syn_error *err) {
  size_t n = pj->n;
  const syn_uncertainty *fu = pj->P.u;
  prof Q = {pj->f, &pj->s, uncertainty_new(n, pj->s.confidence, pj->fbest), {0}, NULL, {0},
            NULL, NULL, NULL, NULL, NULL, NULL, 0};
  double *max_rise = calloc(n + 1, sizeof *max_rise);
  syn_status st = Q.u && max_rise ? SYN_OK : syn_error_set(err, SYN_ENOMEM, "out of memory");
  if (st == SYN_OK) {
    memcpy(Q.u->fisher_lower, fu->fisher_lower, n * sizeof *fu->fisher_lower);
    memcpy(Q.u->fisher_upper, fu->fisher_upper, n * sizeof *fu->fisher_upper);
    memcpy(Q.u->fisher_why, fu->fisher_why, sizeof fu->fisher_why);
  }
  for (size_t i = 0; st == SYN_OK && rd != NULL && i < pj->nwalks; i++)
    st = absorb_walk(pj, &Q, rd, i, max_rise, err);
  for (size_t w = 0; st == SYN_OK && w < pj->nwalks / 2; w++) {
    size_t j = pj->walk_param[w];
    Q.u->ident[j] = classify(!isnan(Q.u->lower[j]), !isnan(Q.u->upper[j]), max_rise[j],
                             pj->s.flat_tol);
  }
  if (st == SYN_OK) st = prof_close(Q.u, err);
  free(max_rise);
  if (st != SYN_OK) syn_uncertainty_destroy(Q.u);
  else *out = Q.u;
  return st;
}

static syn_status deliver_walks(void *ctx, const char *rows_path, const char *out,
                                syn_error *err) {
  syn_profile_job *pj = ctx;
  syn_h5sweep_reader *rd = NULL;
  (void)out; /* the record stays in memory: the caller writes it (a fit file) */
  syn_uncertainty_destroy(pj->result);
  pj->result = NULL;
  syn_status st = syn_h5sweep_open(rows_path, &rd, err);
  if (st == SYN_OK) st = assemble(pj, rd, &pj->result, err);
  syn_h5sweep_reader_destroy(rd);
  return st;
}

/* ---- creating and running the job ------------------------------------------------ */

void syn_profile_job_destroy(syn_profile_job *pj) {
  if (pj == NULL) return;
  prof_free(&pj->P, pj->pts);
  syn_uncertainty_destroy(pj->P.u);
  syn_uncertainty_destroy(pj->result);
  syn_objective_destroy(pj->obj);
  for (size_t k = 0; pj->names != NULL && k < pj->slots + 1 + pj->n; k++) free(pj->names[k]);
  free(pj->names);
  free(pj->arm_names);
  free(pj->metric_names);
  free(pj->best);
  free(pj->se);
  free(pj->walk_param);
  free(pj->row);
  free(pj);
}

/* "<prefix><s>" or, for s NULL, "<prefix><k as %04zu>"; NULL without memory. */
static char *name_of(const char *prefix, const char *s, size_t k) {
  char num[32];
  snprintf(num, sizeof num, "%04zu", k);
  size_t len = strlen(prefix) + strlen(s ? s : num) + 1;
  char *c = malloc(len);
  if (c != NULL) snprintf(c, len, "%s%s", prefix, s ? s : num);
  return c;
}

/* The arms' and metrics' names (profile.h's row layout). */
static int make_names(syn_profile_job *pj) {
  size_t na = pj->slots + 1, n = pj->n;
  pj->names = calloc(na + n, sizeof *pj->names);
  pj->arm_names = calloc(na, sizeof *pj->arm_names);
  pj->metric_names = calloc(pj->nm, sizeof *pj->metric_names);
  if (!pj->names || !pj->arm_names || !pj->metric_names) return 0;
  for (size_t k = 0; k < na; k++) pj->names[k] = k ? name_of("point_", NULL, k) : name_of("summary", "", 0);
  for (size_t j = 0; j < n; j++) pj->names[na + j] = name_of("x ", syn_fit_param_at(pj->f, j)->name, 0);
  for (size_t k = 0; k < na + n; k++)
    if (pj->names[k] == NULL) return 0;
  for (size_t k = 0; k < na; k++) pj->arm_names[k] = pj->names[k];
  for (size_t k = 0; k < W_FIXED; k++) pj->metric_names[k] = walk_fixed_metrics[k];
  for (size_t j = 0; j < n; j++) pj->metric_names[W_FIXED + j] = pj->names[na + j];
  return 1;
}

static void hash_double(syn_sha256 *h, double v) { syn_sha256_update(h, &v, sizeof v); }

/* What decides the rows: the caller's hash (the fit's), the best point and
 * objective, what is profiled and the settings. */
static void make_hash(syn_profile_job *pj, const char *base_sha256, const unsigned char *which) {
  syn_sha256 h;
  syn_sha256_init(&h);
  syn_sha256_update(&h, "profiles", 9);
  syn_sha256_update(&h, base_sha256 ? base_sha256 : "", strlen(base_sha256 ? base_sha256 : ""));
  for (size_t j = 0; j < pj->n; j++) hash_double(&h, pj->best[j]);
  hash_double(&h, pj->fbest);
  for (size_t j = 0; j < pj->n; j++) syn_sha256_update(&h, which && !which[j] ? "n" : "y", 1);
  const syn_profile_settings *s = &pj->s;
  double v[] = {s->confidence, s->step_rise, s->flat_tol, (double)s->max_steps,
                (double)s->max_refine, s->crossing_tol};
  for (size_t k = 0; k < sizeof v / sizeof *v; k++) hash_double(&h, v[k]);
  const char *t = s->type ? syn_optim_type_name(s->type) : "default";
  syn_sha256_update(&h, t, strlen(t));
  syn_sha256_hex(&h, pj->config_sha256);
}

static void fill_walk_spec(syn_profile_job *pj) {
  syn_h5sweep_spec *s = &pj->spec;
  *s = (syn_h5sweep_spec){0};
  s->config_sha256 = pj->config_sha256;
  s->sweep_file = syn_fit_path(pj->f);
  s->design = "";
  s->nsamples = pj->nwalks;
  s->nparams = 2;
  s->param_names = walk_param_names;
  pj->plo[0] = 0;
  pj->phi[0] = (double)(pj->n - 1);
  pj->plo[1] = -1;
  pj->phi[1] = 1;
  s->param_lower = pj->plo;
  s->param_upper = pj->phi;
  s->narms = pj->slots + 1;
  s->arm_names = pj->arm_names;
  s->nmetrics = pj->nm;
  s->metric_names = pj->metric_names;
}

static syn_status job_setup(syn_profile_job *pj, const double *best_lin,
                            const unsigned char *which, const char *base_sha256,
                            syn_error *err) {
  size_t n = pj->n = syn_fit_param_count(pj->f);
  pj->best = malloc((n + 1) * sizeof *pj->best);
  pj->walk_param = malloc((n + 1) * sizeof *pj->walk_param);
  pj->slots = pj->s.max_steps + pj->s.max_refine;
  pj->nm = W_FIXED + n;
  pj->row = malloc((pj->slots + 1) * pj->nm * sizeof *pj->row);
  if (!pj->best || !pj->walk_param || !pj->row || !make_names(pj))
    return syn_error_set(err, SYN_ENOMEM, "out of memory");
  for (size_t j = 0; j < n; j++) {
    pj->best[j] = syn_objective_to_scale(syn_fit_param_at(pj->f, j), best_lin[j]);
    if (which == NULL || which[j]) {
      pj->walk_param[pj->nwalks / 2] = j; /* its two sides: walks 2w and 2w + 1 */
      pj->nwalks += 2;
    }
  }
  make_hash(pj, base_sha256, which);
  fill_walk_spec(pj);
  syn_status st = syn_objective_create(pj->f, &pj->obj, err);
  if (st == SYN_OK) st = prof_open(&pj->P, pj->f, pj->obj, &pj->s, pj->best, pj->fbest, pj->pts,
                                   &pj->se, err);
  return st;
}

syn_status syn_profile_job_create(const syn_fit *f, const double *best_lin, double fbest,
                                  const unsigned char *which, const syn_profile_settings *s,
                                  const char *base_sha256, syn_profile_job **out,
                                  syn_error *err) {
  *out = NULL;
  syn_status st = check_settings(s, err);
  if (st != SYN_OK) return st;
  syn_profile_job *pj = calloc(1, sizeof *pj);
  if (pj == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  pj->f = f;
  pj->s = *s;
  pj->fbest = fbest;
  st = job_setup(pj, best_lin, which, base_sha256, err);
  if (st != SYN_OK) syn_profile_job_destroy(pj);
  else *out = pj;
  return st;
}

syn_status syn_profile_job_run(syn_profile_job *pj, const syn_sweep_run_opts *o,
                               syn_uncertainty **out, syn_sweep_report *report,
                               syn_error *err) {
  *out = NULL;
  syn_status st = SYN_OK;
  if (report != NULL) *report = (syn_sweep_report){0};
  if (o->task_count > 0)
    return syn_error_set(err, SYN_EINVAL, "profiles run whole, not as shards of a job array");
  if (pj->nwalks > 0) {
    syn_job job = {"fit's profiles", "profile walk",
                   "the fit, its best estimate or the profile settings", &pj->spec, NULL,
                   eval_walk, NULL, deliver_walks, pj, SYN_OK};
    st = syn_job_run(&job, o, report, err);
  } else {
    st = assemble(pj, NULL, &pj->result, err);
  }
  if (st == SYN_OK) {
    *out = pj->result;
    pj->result = NULL;
  }
  return st;
}
