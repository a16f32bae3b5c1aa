/* synovia — a fit's objective, its gradient and its residual form (fit
 * layer; see include/synovia/objective.h).
 *
 * Each arm is evaluated once at its data times (want.at: the arm's points
 * are contiguous and sorted by time, so their times are the `at` list as
 * they stand), with the sensitivities of the free parameters some estimated
 * parameter drives in that arm. Every buffer is sized at creation for the
 * largest arm, so an evaluation allocates nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "fit_impl.h"
#include "synovia/objective.h"

/* Per arm: the free parameters to differentiate by and the estimated
 * parameter giving each. */
typedef struct arm_sens {
  size_t *free_index;
  size_t *param;
  size_t n;
} arm_sens;

struct syn_objective {
  const syn_fit *f;
  const syn_problem *problem;
  syn_problem_ws *ws;
  size_t nparams, nfree, nseries;
  double *times;          /* [npoints]: each point's time */
  arm_sens *sens;         /* [narms] */
  size_t *sens_store;     /* backing of the arms' lists */
  double *xlin;           /* [nparams] linear values */
  double *dvdx;           /* [nparams] d(linear value)/d(scaled value) */
  double *theta;          /* [nfree] */
  double *at_values;      /* [max points of an arm][nseries] */
  double *sens_at;        /* [nfree][max points of an arm][nseries] */
  unsigned char *metrics; /* [nmetrics or 1]: all 0, no metric computed */
  size_t *err_row;        /* [npoints]: the row of the point's sigma residual, or SYN_FIT_NONE */
};

/* What one data point contributes, from its simulated value y. */
typedef struct point_term {
  double value;   /* the negative log-likelihood term */
  double dy;      /* its total derivative in y (through sigma too) */
  double dsigma;  /* its derivative in sigma, y fixed */
  double sigma;
  double dsdy;    /* d sigma / dy (the proportional term) */
  double resid;   /* the residual (T(y) - T(m)) / sigma, T the noise model's transformation */
  double dresid;  /* d resid / dy (sigma fixed) */
} point_term;

static const double LN_2PI = 1.8378770664093454836;

double syn_objective_to_scale(const syn_fit_param *p, double v) {
  return p->scale == SYN_FIT_LOG ? log(v) : p->scale == SYN_FIT_LOG10 ? log10(v) : v;
}

double syn_objective_unscale(const syn_fit_param *p, double x) {
  return p->scale == SYN_FIT_LOG ? exp(x) : p->scale == SYN_FIT_LOG10 ? pow(10.0, x) : x;
}

/* d v / d x at the linear value v. */
static double unscale_derivative(const syn_fit_param *p, double v) {
  return p->scale == SYN_FIT_LOG ? v : p->scale == SYN_FIT_LOG10 ? v * log(10.0) : 1.0;
}

void syn_objective_default_x(const syn_fit *f, double *x) {
  for (size_t j = 0; j < f->nparams; j++) {
    const syn_fit_param *p = &f->params[j];
    double v = p->has_start ? p->start
               : p->scale != SYN_FIT_LIN ? sqrt(p->lower * p->upper)
                                         : 0.5 * (p->lower + p->upper);
    x[j] = syn_objective_to_scale(p, v);
  }
}

static size_t max_arm_points(const syn_fit *f) {
  size_t m = 0;
  for (size_t a = 0; a < f->narms; a++)
    if (f->arm_count[a] > m) m = f->arm_count[a];
  return m;
}

/* A dose amount or time of another arm ("dose:ARM:…" not naming this one):
 * it has no effect here (problem.h), so its sensitivity is zero and not
 * integrated. */
static int dose_of_other_arm(const char *free_name, const char *arm) {
  if (strncmp(free_name, "dose:", 5) != 0) return 0;
  size_t n = strlen(arm);
  return !(strncmp(free_name + 5, arm, n) == 0 && free_name[5 + n] == ':');
}

/* The arms' sensitivity lists from the fit's theta map. */
static void build_sens_lists(syn_objective *o) {
  const syn_fit *f = o->f;
  size_t *next = o->sens_store;
  for (size_t a = 0; a < f->narms; a++) {
    arm_sens *s = &o->sens[a];
    s->free_index = next;
    s->param = next + o->nfree;
    s->n = 0;
    for (size_t k = 0; k < o->nfree; k++) {
      size_t p = f->theta_param[a * o->nfree + k];
      if (p == SYN_FIT_NONE || dose_of_other_arm(f->free_names[k], syn_fit_arm_name(f, a)))
        continue;
      s->free_index[s->n] = k;
      s->param[s->n++] = p;
    }
    next += 2 * o->nfree;
  }
}

/* 1 if the sd of the observable's points changes with x: an estimated term,
 * or a proportional one (through y). */
static int sigma_varies(const syn_fit_observable *ob) {
  return !ob->from_data &&
         (ob->add.param != SYN_FIT_NONE || ob->prop.param != SYN_FIT_NONE || ob->prop.value != 0);
}

static size_t sigma_row_count(const syn_fit *f) {
  size_t n = 0;
  for (size_t i = 0; i < f->npoints; i++) n += sigma_varies(&f->obs[f->points[i].observable]);
  return n;
}

/* The sigma residuals' rows: after the data points' own, in point order. */
static void number_sigma_rows(syn_objective *o) {
  size_t row = o->f->npoints;
  for (size_t i = 0; i < o->f->npoints; i++)
    o->err_row[i] = sigma_varies(&o->f->obs[o->f->points[i].observable]) ? row++ : SYN_FIT_NONE;
}

syn_status syn_objective_create(const syn_fit *f, syn_objective **out, syn_error *err) {
  if (f == NULL || out == NULL)
    return syn_error_set(err, SYN_EINVAL, "syn_objective_create: no fit or no result pointer");
  *out = NULL;
  syn_objective *o = syn_calloc(1, sizeof *o);
  if (o == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory");
  o->f = f;
  o->problem = f->problem;
  o->nparams = f->nparams;
  o->nfree = f->nfree;
  o->nseries = syn_problem_series_count(f->problem);
  size_t maxn = max_arm_points(f), nmet = syn_scenario_metric_count(f->scenario);
  size_t nf = o->nfree ? o->nfree : 1, np = o->nparams ? o->nparams : 1;
  o->times = syn_malloc((f->npoints ? f->npoints : 1) * sizeof *o->times);
  o->sens = syn_calloc(f->narms ? f->narms : 1, sizeof *o->sens);
  o->sens_store = syn_malloc((f->narms ? f->narms : 1) * 2 * nf * sizeof *o->sens_store);
  o->xlin = syn_malloc(np * sizeof *o->xlin);
  o->dvdx = syn_malloc(np * sizeof *o->dvdx);
  o->theta = syn_malloc(nf * sizeof *o->theta);
  o->at_values = syn_malloc((maxn ? maxn : 1) * o->nseries * sizeof *o->at_values);
  o->sens_at = syn_malloc(nf * (maxn ? maxn : 1) * o->nseries * sizeof *o->sens_at);
  o->metrics = syn_calloc(nmet ? nmet : 1, 1);
  o->err_row = syn_malloc((f->npoints ? f->npoints : 1) * sizeof *o->err_row);
  syn_status st = SYN_OK;
  if (!o->times || !o->sens || !o->sens_store || !o->xlin || !o->dvdx || !o->theta ||
      !o->at_values || !o->sens_at || !o->metrics || !o->err_row)
    st = syn_error_set(err, SYN_ENOMEM, "out of memory");
  if (st == SYN_OK) st = syn_problem_ws_create(f->problem, &o->ws, err);
  if (st != SYN_OK) {
    syn_objective_destroy(o);
    return st;
  }
  for (size_t i = 0; i < f->npoints; i++) o->times[i] = f->points[i].time;
  build_sens_lists(o);
  number_sigma_rows(o);
  *out = o;
  return SYN_OK;
}

void syn_objective_destroy(syn_objective *o) {
  if (o == NULL) return;
  syn_problem_ws_destroy(o->ws);
  syn_free(o->times);
  syn_free(o->sens);
  syn_free(o->sens_store);
  syn_free(o->xlin);
  syn_free(o->dvdx);
  syn_free(o->theta);
  syn_free(o->at_values);
  syn_free(o->sens_at);
  syn_free(o->metrics);
  syn_free(o->err_row);
  syn_free(o);
}

size_t syn_objective_sens_count(const syn_objective *o, size_t arm) {
  return arm < o->f->narms ? o->sens[arm].n : 0;
}

/* x (parameter scale) to linear values and the scale derivatives. */
static syn_status take_x(syn_objective *o, const double *x, syn_error *err) {
  for (size_t j = 0; j < o->nparams; j++) {
    const syn_fit_param *p = &o->f->params[j];
    if (!isfinite(x[j]))
      return syn_error_set(err, SYN_EINVAL, "the value of %s is not finite (%g)", p->name, x[j]);
    o->xlin[j] = syn_objective_unscale(p, x[j]);
    o->dvdx[j] = unscale_derivative(p, o->xlin[j]);
  }
  return SYN_OK;
}

static double term_value(const syn_objective *o, const syn_fit_term *t) {
  return t->param == SYN_FIT_NONE ? t->value : o->xlin[t->param];
}

/* The point's sigma at simulated value y. */
static double point_sigma(const syn_objective *o, const syn_fit_observable *ob,
                          const syn_fit_point *pt, double y) {
  if (ob->from_data) return pt->sd;
  return term_value(o, &ob->add) + term_value(o, &ob->prop) * y;
}

/* T(v) for the transformation tf (identity, ln, log10); with dT/dv in *d
 * (when d) and ln |dT/dv|^-1 in *jac: the term the density of T(m) gains as
 * a density of m (0, ln m, ln(m ln 10); PEtab v1's likelihoods). */
static double transformed(syn_fit_scale tf, double v, double *d, double *jac) {
  static const double LN10 = 2.302585092994045684;
  if (tf == SYN_FIT_LIN) {
    if (d) *d = 1.0;
    *jac = 0.0;
    return v;
  }
  double k = tf == SYN_FIT_LOG10 ? LN10 : 1.0;
  if (d) *d = 1.0 / (v * k);
  *jac = log(v * k);
  return log(v) / k;
}

/* The point's term, or an error naming the point when y or sigma does not
 * allow one. */
static syn_status point_eval(const syn_objective *o, const syn_fit_point *pt, double y,
                             point_term *t, syn_error *err) {
  const syn_fit_observable *ob = &o->f->obs[pt->observable];
  double s = point_sigma(o, ob, pt, y);
  if (!(s > 0) || !isfinite(s))
    return syn_error_set(err, SYN_EINVAL,
                         "%s:%d: the sd of this %s point is %g at the simulated value %g "
                         "(it must be positive)", pt->file, pt->line, ob->name, s, y);
  double dsdy = ob->from_data ? 0.0 : term_value(o, &ob->prop);
  t->sigma = s;
  t->dsdy = dsdy;
  syn_fit_scale tf = syn_fit_dist_transform(ob->dist);
  if (tf != SYN_FIT_LIN && !(y > 0))
    return syn_error_set(err, SYN_EINVAL,
                         "%s:%d: the simulated %s is %g in arm '%s' (a %s observable needs "
                         "positive values)", pt->file, pt->line, ob->name, y,
                         syn_fit_arm_name(o->f, pt->arm), syn_fit_dist_name(ob->dist));
  double jac, ty = transformed(tf, y, &t->dresid, &jac);
  t->resid = (ty - transformed(tf, pt->value, NULL, &jac)) / s;  /* jac: of the data's m */
  t->dresid /= s;
  if (syn_fit_dist_laplace(ob->dist)) {
    /* |r| has no derivative at r = 0: the gradient takes 0 there (a
     * subgradient), and the fit has no residual form (L-BFGS, not lm). */
    double a = fabs(t->resid), sign = t->resid > 0 ? 1.0 : t->resid < 0 ? -1.0 : 0.0;
    t->value = log(2.0 * s) + jac + a;
    t->dsigma = (1.0 - a) / s;
    t->dy = sign * t->dresid + t->dsigma * dsdy;
  } else {
    t->value = 0.5 * (LN_2PI + 2.0 * log(s)) + jac + 0.5 * t->resid * t->resid;
    t->dsigma = (1.0 - t->resid * t->resid) / s;
    t->dy = t->resid * t->dresid + t->dsigma * dsdy;
  }
  return SYN_OK;
}

/* Evaluate arm a at its data times (with sensitivities when sens). */
static syn_status eval_arm(syn_objective *o, size_t a, int sens, syn_error *err) {
  const syn_fit *f = o->f;
  syn_fit_theta(f, a, o->xlin, o->theta);
  const arm_sens *as = &o->sens[a];
  syn_problem_want want = {0};
  want.series = 0;
  want.metrics = o->metrics;
  want.at = o->times + f->arm_first[a];
  want.nat = f->arm_count[a];
  want.at_values = o->at_values;
  if (sens && as->n > 0) {
    want.sens = as->free_index;
    want.nsens = as->n;
    want.sens_at_values = o->sens_at;
  }
  syn_problem_result res;
  syn_status st = syn_problem_eval(o->ws, a, o->theta, &want, &res, err);
  if (st != SYN_OK && err != NULL) {
    /* Name the arm in front of the problem's message (cut to fit). */
    char msg[SYN_ERROR_MSG_MAX];
    int n = snprintf(msg, sizeof msg, "arm '%s': ", syn_fit_arm_name(f, a));
    int named = n > 0 && strncmp(err->message, msg, (size_t)n) == 0; /* the problem's own */
    if (!named && n > 0 && (size_t)n < sizeof msg) {
      size_t room = sizeof msg - (size_t)n;
      memcpy(msg + n, err->message, room - 1);
      msg[sizeof msg - 1] = 0;
      memcpy(err->message, msg, sizeof msg);
    }
  }
  return st;
}

/* The derivative of arm a's point i (index within the arm) in parameter
 * scale: add w * dy/dx_j for every parameter driving the arm. */
static void add_point_gradient(const syn_objective *o, size_t a, size_t i, size_t series, double w,
                               double *g) {
  const arm_sens *as = &o->sens[a];
  size_t nat = o->f->arm_count[a];
  for (size_t k = 0; k < as->n; k++) {
    double dy = o->sens_at[(k * nat + i) * o->nseries + series];
    g[as->param[k]] += w * dy * o->dvdx[as->param[k]];
  }
}

static syn_status data_part(syn_objective *o, double *value, double *grad, syn_error *err) {
  const syn_fit *f = o->f;
  double sum = 0;
  for (size_t a = 0; a < f->narms; a++) {
    syn_status st = eval_arm(o, a, grad != NULL, err);
    if (st != SYN_OK) return st;
    size_t first = f->arm_first[a];
    for (size_t i = 0; i < f->arm_count[a]; i++) {
      const syn_fit_point *pt = &f->points[first + i];
      const syn_fit_observable *ob = &f->obs[pt->observable];
      double y = o->at_values[i * o->nseries + ob->series];
      point_term t;
      st = point_eval(o, pt, y, &t, err);
      if (st != SYN_OK) return st;
      sum += t.value;
      if (grad == NULL) continue;
      add_point_gradient(o, a, i, ob->series, t.dy, grad);
      if (ob->from_data) continue;
      if (ob->add.param != SYN_FIT_NONE) grad[ob->add.param] += t.dsigma * o->dvdx[ob->add.param];
      if (ob->prop.param != SYN_FIT_NONE)
        grad[ob->prop.param] += t.dsigma * y * o->dvdx[ob->prop.param];
    }
  }
  *value = sum;
  return SYN_OK;
}

/* One parameter's negative log-prior and its derivative in its scaled value. */
static double prior_term(const syn_fit_param *p, double v, double x, double dvdx, double *d) {
  const syn_fit_prior *q = &p->prior;
  double u = q->on_scale ? x : v, dudx = q->on_scale ? 1.0 : dvdx;
  switch (q->kind) {
  case SYN_FIT_PRIOR_NORMAL: {
    double z = (u - q->a) / q->b;
    *d = z / q->b * dudx;
    return 0.5 * (LN_2PI + 2.0 * log(q->b)) + 0.5 * z * z;
  }
  case SYN_FIT_PRIOR_LOGNORMAL: {
    if (!(u > 0)) {
      *d = 0;
      return INFINITY;
    }
    double z = (log(u) - q->a) / q->b;
    *d = (1.0 + z / q->b) / u * dudx;
    return log(u) + 0.5 * (LN_2PI + 2.0 * log(q->b)) + 0.5 * z * z;
  }
  case SYN_FIT_PRIOR_UNIFORM:
    *d = 0;
    return u < q->a || u > q->b ? (double)INFINITY : log(q->b - q->a);
  case SYN_FIT_PRIOR_NONE:
  default:
    *d = 0;
    return 0;
  }
}

static double prior_part(const syn_objective *o, const double *x, double *grad) {
  double sum = 0;
  for (size_t j = 0; j < o->nparams; j++) {
    double d;
    sum += prior_term(&o->f->params[j], o->xlin[j], x[j], o->dvdx[j], &d);
    if (grad) grad[j] += d;
  }
  return sum;
}

syn_status syn_objective_eval(syn_objective *o, const double *x, syn_objective_value *out,
                              double *grad, syn_error *err) {
  if (o == NULL || out == NULL || (x == NULL && o->nparams > 0))
    return syn_error_set(err, SYN_EINVAL, "syn_objective_eval: no workspace, point or result");
  syn_status st = take_x(o, x, err);
  if (st != SYN_OK) return st;
  if (grad) memset(grad, 0, o->nparams * sizeof *grad);
  double data = 0;
  st = data_part(o, &data, grad, err);
  if (st != SYN_OK) return st;
  out->data = data;
  out->prior = prior_part(o, x, grad);
  out->total = out->data + out->prior;
  return SYN_OK;
}

/* --- the residual form --------------------------------------------------- */

static int prior_constant_inside(const syn_fit_param *p) {
  const syn_fit_prior *q = &p->prior;
  double lo = q->on_scale ? syn_objective_to_scale(p, p->lower) : p->lower;
  double hi = q->on_scale ? syn_objective_to_scale(p, p->upper) : p->upper;
  return q->a <= lo && hi <= q->b;
}

int syn_objective_residual_form(const syn_fit *f, char *why, size_t size) {
  for (size_t i = 0; i < f->nobs; i++) {
    if (!syn_fit_dist_laplace(f->obs[i].dist)) continue;
    if (why) snprintf(why, size, "observable '%s' has %s noise (|r| is no square)", f->obs[i].name, syn_fit_dist_name(f->obs[i].dist));
    return 0;
  }
  for (size_t j = 0; j < f->nparams; j++) {
    const syn_fit_param *p = &f->params[j];
    if (p->prior.kind != SYN_FIT_PRIOR_UNIFORM || prior_constant_inside(p)) continue;
    if (why)
      snprintf(why, size, "parameter '%s' has a uniform prior narrower than its bounds", p->name);
    return 0;
  }
  if (why && size) why[0] = 0;
  return 1;
}

/* Rows of the priors: one for a normal prior, two for a log-normal one (its
 * square and its ln u term). */
static size_t prior_row_count(const syn_fit *f) {
  size_t n = 0;
  for (size_t j = 0; j < f->nparams; j++) {
    syn_fit_prior_kind k = f->params[j].prior.kind;
    n += k == SYN_FIT_PRIOR_NORMAL ? 1 : k == SYN_FIT_PRIOR_LOGNORMAL ? 2 : 0;
  }
  return n;
}

size_t syn_objective_residual_count(const syn_fit *f) {
  return f->npoints + sigma_row_count(f) + prior_row_count(f);
}

/* The residual of a ln term: e = sqrt(2 ln s + SYN_OBJECTIVE_LOG_SHIFT), so
 * that 0.5 e^2 = ln s + constant; and de/ds. Non-zero when s is too small for
 * a real, non-zero e (s <= exp(-SHIFT/2)). */
static int log_residual(double s, double *e, double *deds) {
  double q = 2.0 * log(s) + SYN_OBJECTIVE_LOG_SHIFT;
  if (!(q > 0) || !isfinite(q)) return 1;
  *e = sqrt(q);
  *deds = 1.0 / (*e * s);
  return 0;
}

/* The Jacobian rows of a point whose sigma varies: the data residual's
 * d(resid)/dx = dresid dy/dx - resid/s ds/dx and the sigma residual's
 * de/dx = de/ds ds/dx, with ds/dx = dsdy dy/dx + the estimated sd terms. */
static void sigma_point_jacobian(const syn_objective *o, size_t a, size_t i, double y,
                                 const point_term *t, double deds, double *jr, double *je) {
  const syn_fit_observable *ob = &o->f->obs[o->f->points[o->f->arm_first[a] + i].observable];
  double wr = -t->resid / t->sigma;
  add_point_gradient(o, a, i, ob->series, t->dresid + wr * t->dsdy, jr);
  add_point_gradient(o, a, i, ob->series, deds * t->dsdy, je);
  if (ob->add.param != SYN_FIT_NONE) {
    double ds = o->dvdx[ob->add.param];
    jr[ob->add.param] += wr * ds;
    je[ob->add.param] += deds * ds;
  }
  if (ob->prop.param != SYN_FIT_NONE) {
    double ds = y * o->dvdx[ob->prop.param];
    jr[ob->prop.param] += wr * ds;
    je[ob->prop.param] += deds * ds;
  }
}

/* Point k's residuals (and Jacobian rows), its part of the constant. */
static syn_status point_residuals(syn_objective *o, size_t a, size_t i, double *r, double *jac,
                                  double *constant, syn_error *err) {
  size_t k = o->f->arm_first[a] + i, np = o->nparams;
  const syn_fit_point *pt = &o->f->points[k];
  const syn_fit_observable *ob = &o->f->obs[pt->observable];
  double y = o->at_values[i * o->nseries + ob->series];
  point_term t;
  syn_status st = point_eval(o, pt, y, &t, err);
  if (st != SYN_OK) return st;
  r[k] = t.resid;
  *constant += t.value - 0.5 * t.resid * t.resid;
  size_t row = o->err_row[k];
  if (row == SYN_FIT_NONE) {
    if (jac) add_point_gradient(o, a, i, ob->series, t.dresid, jac + k * np);
    return SYN_OK;
  }
  double deds;
  if (log_residual(t.sigma, &r[row], &deds) != 0)
    return syn_error_set(err, SYN_EINVAL,
                         "%s:%d: the sd of this %s point is %g, too small for the residual "
                         "form (it needs sd > exp(-%g/2))", pt->file, pt->line, ob->name,
                         t.sigma, SYN_OBJECTIVE_LOG_SHIFT);
  *constant -= 0.5 * r[row] * r[row];
  if (jac) sigma_point_jacobian(o, a, i, y, &t, deds, jac + k * np, jac + row * np);
  return SYN_OK;
}

static syn_status data_residuals(syn_objective *o, double *r, double *jac, double *constant,
                                 syn_error *err) {
  const syn_fit *f = o->f;
  for (size_t a = 0; a < f->narms; a++) {
    syn_status st = eval_arm(o, a, jac != NULL, err);
    for (size_t i = 0; st == SYN_OK && i < f->arm_count[a]; i++)
      st = point_residuals(o, a, i, r, jac, constant, err);
    if (st != SYN_OK) return st;
  }
  return SYN_OK;
}

/* A log-normal prior's two rows: z = (ln u - a) / b and the ln u term. */
static syn_status lognormal_prior_rows(const syn_objective *o, size_t j, double u, double dudx,
                                       double *r, double *jac, size_t row, syn_error *err) {
  const syn_fit_param *p = &o->f->params[j];
  double deds;
  if (!(u > 0) || log_residual(u, &r[row + 1], &deds) != 0)
    return syn_error_set(err, SYN_EINVAL,
                         "parameter '%s': the value %g is too small for the residual form of "
                         "its log-normal prior (it needs > exp(-%g/2))",
                         p->name, u, SYN_OBJECTIVE_LOG_SHIFT);
  r[row] = (log(u) - p->prior.a) / p->prior.b;
  if (jac) {
    jac[row * o->nparams + j] = dudx / (u * p->prior.b);
    jac[(row + 1) * o->nparams + j] = deds * dudx;
  }
  return SYN_OK;
}

static syn_status prior_residuals(const syn_objective *o, const double *x, double *r, double *jac,
                                  double *constant, syn_error *err) {
  size_t row = o->f->npoints + sigma_row_count(o->f);
  for (size_t j = 0; j < o->nparams; j++) {
    const syn_fit_param *p = &o->f->params[j];
    double d, v = prior_term(p, o->xlin[j], x[j], o->dvdx[j], &d);
    double u = p->prior.on_scale ? x[j] : o->xlin[j], dudx = p->prior.on_scale ? 1.0 : o->dvdx[j];
    *constant += v;
    if (p->prior.kind == SYN_FIT_PRIOR_NORMAL) {
      r[row] = (u - p->prior.a) / p->prior.b;
      if (jac) jac[row * o->nparams + j] = dudx / p->prior.b;
      *constant -= 0.5 * r[row] * r[row];
      row++;
    } else if (p->prior.kind == SYN_FIT_PRIOR_LOGNORMAL) {
      syn_status st = lognormal_prior_rows(o, j, u, dudx, r, jac, row, err);
      if (st != SYN_OK) return st;
      *constant -= 0.5 * (r[row] * r[row] + r[row + 1] * r[row + 1]);
      row += 2;
    }
  }
  return SYN_OK;
}

syn_status syn_objective_residuals(syn_objective *o, const double *x, double *r, double *jac,
                                   double *constant, syn_error *err) {
  if (o == NULL || r == NULL || (x == NULL && o->nparams > 0))
    return syn_error_set(err, SYN_EINVAL, "syn_objective_residuals: no workspace, point or buffer");
  char why[256];
  if (!syn_objective_residual_form(o->f, why, sizeof why))
    return syn_error_set(err, SYN_EINVAL, "no residual form for this fit: %s", why);
  syn_status st = take_x(o, x, err);
  if (st != SYN_OK) return st;
  if (jac) memset(jac, 0, syn_objective_residual_count(o->f) * o->nparams * sizeof *jac);
  double c = 0;
  st = data_residuals(o, r, jac, &c, err);
  if (st == SYN_OK) st = prior_residuals(o, x, r, jac, &c, err);
  if (st == SYN_OK && constant) *constant = c;
  return st;
}
