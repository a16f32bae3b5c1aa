/* synovia — metric probes on the solver's dense output (scenario layer; see metrics.h).
 *
 * Every internal step [a, b] of the solver is clipped to each probe's window
 * and read through CVODE's interpolant:
 *   - areas: 3-point Gauss–Legendre per clipped step, exact for the BDF
 *     interpolant of a state (a polynomial of degree <= 5);
 *   - extrema and crossings of a state: from the step's polynomial itself
 *     (Taylor coefficients about the step's end, read once per step for all
 *     states): the ends and the real zeros of the slope; the first root of
 *     (state - level) after which the state is beyond it. Real roots are
 *     isolated between the roots of the derivative, recursively, so nothing
 *     hides between samples;
 *   - extrema of an output: the clipped step is sampled at SYN_SAMPLES + 1
 *     points; a sample that beats both neighbours brackets a local extremum,
 *     located as the zero of the interpolant's slope (central differences,
 *     bisection), which is far sharper than comparing values (those are flat
 *     to sqrt(eps) at the top);
 *   - crossings of an output: the first sample beyond the level brackets the
 *     crossing, refined by bisection on the interpolant down to ~1e-13
 *     relative in time (an excursion between two samples can be missed);
 *   - point values (at, change, the window start): interpolated at the exact
 *     time; at a dose time the value after the dose (syn_metrics_jump).
 * The value just before a dose (the limit from the left, e.g. the trough before
 * the next dose) counts for extrema and crossings, at the dose time.
 *
 * Point values at a window edge are final once the run has moved past it: a
 * step ending exactly at t1 gives the value before a dose there, which the
 * jump then replaces. So "already below at t1" is decided by the first step
 * that covers part of the window (or by finish for an empty window).
 *
 * Each time inside a step is interpolated once, whatever the number of probes
 * that read it (a few slots: the Gauss nodes of areas over the same range are
 * shared). Outputs are evaluated from the interpolated state, only those the
 * probes read (a syn_output_set), into buffers allocated at create; nothing
 * is allocated per step. Inside a step only the outputs of the probes that
 * read every step (areas, extrema, crossings) are evaluated: a point value
 * (at, change) of another output evaluates the rest at its own time only.
 * Both sets run the same instructions as the outputs program for what they
 * share, so an output's value is the same bits whichever set gave it. */
#include "scenario/metrics.h"

#include <math.h>
#include <string.h>

#include "base/alloc.h"
#include "solve/dense_output.h"

/* SYN_POLY_MAX: the highest interpolant degree read exactly (CVODE's BDF order
 * is at most 5, its Adams order at most 12). */
enum { SYN_SAMPLES = 8, SYN_REFINE_ITERS = 200, SYN_POLY_MAX = 12, SYN_SLOTS = 4 };

/* What one probe has gathered so far. */
typedef struct probe_state {
  double v1, v2;        /* values at t1 and t2 (after any dose there) */
  int have1, have2;
  int start_checked;    /* TIME_BELOW/ABOVE: the value at t1 was looked at */
  double acc;           /* AUC */
  double best, tbest;   /* extrema; crossing time for TIME_BELOW/ABOVE */
  int found;            /* an extreme or a crossing is known */
} probe_state;

struct syn_metrics {
  syn_instance *inst;   /* borrowed */
  syn_probe *probes;    /* borrowed */
  size_t n;
  size_t cap;            /* the most probes it holds (those given at create) */
  unsigned char *readable; /* per output: read by a probe given at create (in outset) */
  size_t nstates, noutputs;
  int any_output;       /* some probe reads an output */
  probe_state *ps;
  /* Interpolated points of the current step, SYN_SLOTS of them (the three
   * Gauss nodes that every area probe over the same range shares, and one
   * more), plus slot SYN_SLOTS for a given state (start, jumps). Each holds
   * the state and, once asked for, the outputs there. */
  double *slot_y, *slot_out;       /* (SYN_SLOTS + 1) x nstates / x noutputs */
  double slot_t[SYN_SLOTS + 1];
  int slot_valid[SYN_SLOTS + 1];
  int slot_has_out[SYN_SLOTS + 1]; /* 0: no outputs yet, 1: stepset's, 2: outset's (all) */
  int cur;              /* the slot the last value came from */
  int victim;           /* the next slot to reuse */
  syn_output_set *outset; /* the outputs some probe reads (NULL: none) */
  syn_output_set *stepset; /* ... some probe reads inside steps (NULL: none) */
  unsigned char *in_step; /* per output: in stepset */
  size_t points;        /* interpolations so far (syn_metrics_points) */
  int any_exact;        /* some extreme or crossing probe reads a state */
  double *taylor;       /* (SYN_POLY_MAX + 1) x nstates: the step's Taylor coefficients */
  double t_ref;         /* ... about t_ref (the step's end) */
  int deg;              /* their degree; -1: not read yet this step; -2: unavailable */
  double *samp_out;     /* (SYN_SAMPLES + 1) x noutputs: outputs at the samples of */
  double samp_lo, samp_hi; /* ... [samp_lo, samp_hi] in this step, shared by probes */
  int samp_valid;
  const syn_solver *solver; /* during a step */
  double t0, reached;   /* the run covers [t0, reached] */
  int started;
  double rtol;          /* a `change` below it is 0 (syn_metrics_set_rtol) */
};

/* --- evaluation ------------------------------------------------------------------- */

static int is_output(const syn_metrics *m, size_t series) { return series >= m->nstates; }

static double *slot_y(const syn_metrics *m, int k) { return m->slot_y + (size_t)k * m->nstates; }
static double *slot_out(const syn_metrics *m, int k) {
  return m->slot_out + (size_t)k * m->noutputs;
}

/* Does a probe of this kind read its series inside every step? */
static int reads_steps(syn_probe_kind k) {
  return k != PROBE_AT && k != PROBE_CHANGE;
}

/* The series' value from the state in the current slot at its time (the
 * outputs evaluated once per slot: those read inside steps, or all that some
 * probe reads when the series is not among them). A non-finite output is not
 * an error here: its metrics become NaN. */
static syn_status series_from_state(syn_metrics *m, size_t series, double *v, syn_error *err) {
  int k = m->cur;
  if (!is_output(m, series)) {
    *v = slot_y(m, k)[series];
    return SYN_OK;
  }
  size_t o = series - m->nstates;
  int need = m->in_step[o] ? 1 : 2;
  if (m->slot_has_out[k] < need) {
    syn_status st = syn_instance_outputs_of(m->inst, need == 1 ? m->stepset : m->outset,
                                            m->slot_t[k], slot_y(m, k), slot_out(m, k), err);
    if (st != SYN_OK && st != SYN_ENONFINITE) return st;
    m->slot_has_out[k] = need;
  }
  *v = slot_out(m, k)[o];
  return SYN_OK;
}

static void forget_points(syn_metrics *m) {
  for (int k = 0; k <= SYN_SLOTS; k++) m->slot_valid[k] = 0;
}

/* The series at time t inside the current step, from the interpolant: each
 * time is interpolated once while its slot lasts (probes visit the same
 * Gauss nodes one after the other). */
static syn_status value_at(syn_metrics *m, size_t series, double t, double *v, syn_error *err) {
  int k = 0;
  while (k < SYN_SLOTS && !(m->slot_valid[k] && m->slot_t[k] == t)) k++;
  if (k == SYN_SLOTS) {
    k = m->victim;
    m->victim = (m->victim + 1) % SYN_SLOTS;
    m->slot_valid[k] = 0;
    syn_status st = syn_solver_interpolate(m->solver, t, slot_y(m, k), err);
    if (st != SYN_OK) return st;
    m->points++;
    m->slot_t[k] = t;
    m->slot_valid[k] = 1;
    m->slot_has_out[k] = 0;
  }
  m->cur = k;
  return series_from_state(m, series, v, err);
}

/* Take a given state (start, jumps) at time t; the interpolated points are
 * void from here on. */
static void take_state(syn_metrics *m, double t, const double *y) {
  forget_points(m);
  memcpy(slot_y(m, SYN_SLOTS), y, m->nstates * sizeof *y);
  m->slot_t[SYN_SLOTS] = t;
  m->slot_valid[SYN_SLOTS] = 1;
  m->slot_has_out[SYN_SLOTS] = 0;
  m->cur = SYN_SLOTS;
}

/* --- create / destroy ------------------------------------------------------------ */

static syn_status check_probe(const syn_metrics *m, const syn_probe *p, size_t i,
                              syn_error *err) {
  if (p->series >= m->nstates + m->noutputs)
    return syn_error_set(err, SYN_EINVAL, "metric %zu reads series %zu, but the model has %zu "
                                          "states and %zu outputs",
                         i, p->series, m->nstates, m->noutputs);
  if (!isfinite(p->t1) || !isfinite(p->t2) || p->t2 < p->t1)
    return syn_error_set(err, SYN_EINVAL, "metric %zu has an invalid window [%g, %g]", i, p->t1,
                         p->t2);
  if ((p->kind == PROBE_TIME_BELOW || p->kind == PROBE_TIME_ABOVE) && !isfinite(p->level))
    return syn_error_set(err, SYN_EINVAL, "metric %zu has a non-finite level (%g)", i, p->level);
  if ((int)p->kind < (int)PROBE_AT || (int)p->kind > (int)PROBE_TIME_ABOVE)
    return syn_error_set(err, SYN_EINVAL, "metric %zu has an unknown kind %d", i, (int)p->kind);
  return SYN_OK;
}

static void reset_states(syn_metrics *m) {
  for (size_t i = 0; i < m->n; i++) {
    probe_state *s = &m->ps[i];
    memset(s, 0, sizeof *s);
    s->tbest = (double)NAN;
    s->best = (double)NAN;
  }
}

/* The outputs the probes read (all of them, or only those read inside steps:
 * steps_only) into *set; only those (and what they need) are evaluated. NULL
 * when there are none. */
static syn_status make_output_set(syn_metrics *m, const syn_model *model, int steps_only,
                                  syn_output_set **set, syn_error *err) {
  size_t *which = syn_calloc(m->n + 1, sizeof *which), k = 0;
  if (which == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory for the metrics");
  for (size_t i = 0; i < m->n; i++)
    if (is_output(m, m->probes[i].series) && (!steps_only || reads_steps(m->probes[i].kind)))
      which[k++] = m->probes[i].series - m->nstates;
  syn_status st = k > 0 ? syn_output_set_create(model, which, k, set, err) : SYN_OK;
  for (size_t i = 0; i < k && steps_only; i++) m->in_step[which[i]] = 1;
  syn_free(which);
  return st;
}

size_t syn_metrics_points(const syn_metrics *m) { return m != NULL ? m->points : 0; }

void syn_metrics_set_rtol(syn_metrics *m, double rtol) {
  if (m != NULL && rtol >= 0) m->rtol = rtol;
}

syn_status syn_metrics_create(syn_instance *inst, syn_probe *probes, size_t n,
                              syn_metrics **out, syn_error *err) {
  syn_metrics *m = NULL;
  syn_status st = SYN_OK;
  if (out == NULL) return syn_error_set(err, SYN_EINVAL, "syn_metrics_create: out is NULL");
  *out = NULL;
  if (inst == NULL || (n > 0 && probes == NULL))
    return syn_error_set(err, SYN_EINVAL, "syn_metrics_create: no instance or no probes");
  const syn_model *model = syn_instance_model(inst);
  m = syn_calloc(1, sizeof *m);
  if (m == NULL) {
    st = syn_error_set(err, SYN_ENOMEM, "out of memory for the metrics");
    goto fail;
  }
  m->inst = inst;
  m->probes = probes;
  m->n = n;
  m->cap = n;
  m->nstates = syn_model_count(model, SYN_SYM_STATE);
  m->noutputs = syn_model_count(model, SYN_SYM_OUTPUT);
  for (size_t i = 0; i < n && st == SYN_OK; i++) {
    st = check_probe(m, &probes[i], i, err);
    m->any_output |= is_output(m, probes[i].series);
    m->any_exact |= !is_output(m, probes[i].series) && probes[i].kind != PROBE_AUC &&
                    probes[i].kind != PROBE_AT && probes[i].kind != PROBE_CHANGE;
  }
  if (st != SYN_OK) goto fail;
  m->in_step = syn_calloc(m->noutputs + 1, 1);
  if (m->in_step == NULL) {
    st = syn_error_set(err, SYN_ENOMEM, "out of memory for the metrics");
    goto fail;
  }
  if (m->any_output) st = make_output_set(m, model, 0, &m->outset, err);
  if (st == SYN_OK && m->any_output) st = make_output_set(m, model, 1, &m->stepset, err);
  if (st != SYN_OK) goto fail;
  m->ps = syn_calloc(n > 0 ? n : 1, sizeof *m->ps);
  m->readable = syn_calloc(m->noutputs + 1, 1);
  for (size_t i = 0; m->readable && i < n; i++)
    if (is_output(m, probes[i].series)) m->readable[probes[i].series - m->nstates] = 1;
  m->slot_y = syn_calloc((SYN_SLOTS + 1) * (m->nstates > 0 ? m->nstates : 1), sizeof *m->slot_y);
  m->slot_out = syn_calloc((SYN_SLOTS + 1) * (m->noutputs > 0 ? m->noutputs : 1),
                           sizeof *m->slot_out);
  if (m->any_exact) m->taylor = syn_calloc((SYN_POLY_MAX + 1) * m->nstates, sizeof *m->taylor);
  if (m->any_output) m->samp_out = syn_calloc((SYN_SAMPLES + 1) * m->noutputs, sizeof *m->samp_out);
  if (m->ps == NULL || m->readable == NULL || m->slot_y == NULL || m->slot_out == NULL ||
      (m->any_exact && m->taylor == NULL) || (m->any_output && m->samp_out == NULL)) {
    st = syn_error_set(err, SYN_ENOMEM, "out of memory for the metrics");
    goto fail;
  }
  reset_states(m);
  *out = m;
  return SYN_OK;
fail:
  syn_metrics_destroy(m);
  return st;
}

/* Is every output probes[0..n) read in m's output set? */
static int outputs_covered(const syn_metrics *m, const syn_probe *probes, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (is_output(m, probes[i].series) && !m->readable[probes[i].series - m->nstates])
      return 0;
  return 1;
}

syn_status syn_metrics_reset(syn_metrics *m, syn_probe *probes, size_t n, syn_error *err) {
  if (m == NULL || (n > 0 && probes == NULL) || n > m->cap)
    return syn_error_set(err, SYN_EINVAL, "syn_metrics_reset: no metrics, or more probes than "
                                          "it was made for");
  int any_output = 0, any_exact = 0;
  syn_status st = SYN_OK;
  for (size_t i = 0; i < n && st == SYN_OK; i++) {
    st = check_probe(m, &probes[i], i, err);
    any_output |= is_output(m, probes[i].series);
    any_exact |= !is_output(m, probes[i].series) && probes[i].kind != PROBE_AUC &&
                 probes[i].kind != PROBE_AT && probes[i].kind != PROBE_CHANGE;
  }
  if (st != SYN_OK) return st;
  if ((any_output && !outputs_covered(m, probes, n)) || (any_exact && m->taylor == NULL))
    return syn_error_set(err, SYN_EINVAL, "syn_metrics_reset: a probe reads what the metrics "
                                          "were not made for");
  m->probes = probes;
  m->n = n;
  m->any_output = any_output;
  m->any_exact = any_exact;
  m->points = 0;
  m->started = 0;
  m->solver = NULL;
  forget_points(m);
  reset_states(m);
  return SYN_OK;
}

void syn_metrics_destroy(syn_metrics *m) {
  if (m == NULL) return;
  syn_free(m->ps);
  syn_free(m->readable);
  syn_free(m->slot_y);
  syn_free(m->slot_out);
  syn_output_set_destroy(m->outset);
  syn_output_set_destroy(m->stepset);
  syn_free(m->in_step);
  syn_free(m->taylor);
  syn_free(m->samp_out);
  syn_free(m);
}

/* --- folding values into probes --------------------------------------------------- */

static int wants_max(syn_probe_kind k) { return k == PROBE_MAX || k == PROBE_TMAX; }
static int wants_min(syn_probe_kind k) { return k == PROBE_MIN || k == PROBE_TMIN; }
static int is_extreme(syn_probe_kind k) { return wants_max(k) || wants_min(k); }
static int is_crossing(syn_probe_kind k) {
  return k == PROBE_TIME_BELOW || k == PROBE_TIME_ABOVE;
}

/* A candidate for an extreme at time t; ties keep the earlier time. */
static void offer_extreme(const syn_probe *p, probe_state *s, double t, double v) {
  if (isnan(v)) return;
  int better = !s->found || (wants_max(p->kind) ? v > s->best : v < s->best) ||
               (v == s->best && t < s->tbest);
  if (better) {
    s->best = v;
    s->tbest = t;
    s->found = 1;
  }
}

/* Beyond the level (strictly). */
static int beyond(const syn_probe *p, double v) {
  return p->kind == PROBE_TIME_BELOW ? v < p->level : v > p->level;
}

static void offer_crossing(probe_state *s, double t) {
  if (!s->found || t < s->tbest) {
    s->tbest = t;
    s->found = 1;
  }
}

/* The value at t1 is final: for extrema it is a candidate, for crossings
 * "already beyond at t1" gives t1. */
static void settle_start(const syn_probe *p, probe_state *s) {
  if (s->start_checked || !s->have1) return;
  s->start_checked = 1;
  if (is_extreme(p->kind)) offer_extreme(p, s, p->t1, s->v1);
  if (is_crossing(p->kind) && beyond(p, s->v1)) offer_crossing(s, p->t1);
}

/* A point value from a known state (start or jump) at time t. */
static syn_status point_from_state(syn_metrics *m, double t, const double *y, int is_jump,
                                   syn_error *err) {
  syn_status st = SYN_OK;
  take_state(m, t, y);
  for (size_t i = 0; i < m->n && st == SYN_OK; i++) {
    const syn_probe *p = &m->probes[i];
    probe_state *s = &m->ps[i];
    if (t < p->t1 || t > p->t2) continue;
    double v;
    st = series_from_state(m, p->series, &v, err);
    if (st != SYN_OK) break;
    if (t == p->t1) {
      s->v1 = v;
      s->have1 = 1;
    }
    if (t == p->t2) {
      s->v2 = v;
      s->have2 = 1;
    }
    /* inside the window after its start: the post-dose value is a candidate */
    if (is_jump && t > p->t1) {
      if (is_extreme(p->kind)) offer_extreme(p, s, t, v);
      if (is_crossing(p->kind) && beyond(p, v)) offer_crossing(s, t);
    }
  }
  return st;
}

syn_status syn_metrics_start(syn_metrics *m, double t0, const double *y0, syn_error *err) {
  if (m == NULL || y0 == NULL)
    return syn_error_set(err, SYN_EINVAL, "syn_metrics_start: no metrics or no state");
  reset_states(m);
  m->t0 = t0;
  m->reached = t0;
  m->started = 1;
  return point_from_state(m, t0, y0, 0, err);
}

syn_status syn_metrics_jump(syn_metrics *m, double t, const double *y, syn_error *err) {
  if (m == NULL || y == NULL)
    return syn_error_set(err, SYN_EINVAL, "syn_metrics_jump: no metrics or no state");
  return point_from_state(m, t, y, 1, err);
}

/* --- per step ------------------------------------------------------------------- */

static const double gl_node = 0.77459666924148337704; /* sqrt(3/5) */

/* ∫ over [lo, hi] by 3-point Gauss–Legendre. */
static syn_status area(syn_metrics *m, size_t series, double lo, double hi, double *out,
                       syn_error *err) {
  double c = 0.5 * (lo + hi), h = 0.5 * (hi - lo), f0, fm, fp;
  syn_status st = value_at(m, series, c, &f0, err);
  if (st == SYN_OK) st = value_at(m, series, c - gl_node * h, &fm, err);
  if (st == SYN_OK) st = value_at(m, series, c + gl_node * h, &fp, err);
  *out = h * ((8.0 / 9.0) * f0 + (5.0 / 9.0) * (fm + fp));
  return st;
}

/* The slope of the interpolated series at t (central difference inside [lo, hi]). */
static syn_status slope(syn_metrics *m, size_t series, double t, double lo, double hi,
                        double *d, syn_error *err) {
  double h = 1e-4 * (hi - lo);
  double ta = fmax(lo, t - h), tb = fmin(hi, t + h), fa, fb;
  syn_status st = value_at(m, series, ta, &fa, err);
  if (st == SYN_OK) st = value_at(m, series, tb, &fb, err);
  *d = (fb - fa) / (tb - ta);
  return st;
}

/* A local extremum bracketed by samples [lo, hi] around x: the zero of the
 * slope by bisection (sign(slope) = +1 before a max, -1 before a min); if the
 * slope does not change sign, the best of the three samples stands. */
static syn_status refine_extreme(syn_metrics *m, const syn_probe *p, double lo, double hi,
                                 double step_lo, double step_hi, double *t_out, double *v_out,
                                 syn_error *err) {
  double sgn = wants_max(p->kind) ? 1.0 : -1.0, dl = 0.0, dh = 0.0;
  /* the bracket's outer end first: a series monotone over the whole range
   * fails there (its best sample is that end), which spares the other slope */
  int hi_first = hi == step_hi || hi == p->t2;
  syn_status st = slope(m, p->series, hi_first ? hi : lo, step_lo, step_hi, hi_first ? &dh : &dl,
                        err);
  if (st != SYN_OK) return st;
  if (hi_first ? !(sgn * dh < 0.0) : !(sgn * dl > 0.0)) return SYN_OK; /* keep the samples */
  st = slope(m, p->series, hi_first ? lo : hi, step_lo, step_hi, hi_first ? &dl : &dh, err);
  if (st != SYN_OK) return st;
  if (!(sgn * dl > 0.0 && sgn * dh < 0.0)) return SYN_OK;
  for (int it = 0; it < SYN_REFINE_ITERS && hi - lo > 1e-13 * fmax(fabs(hi), step_hi - step_lo);
       it++) {
    double mid = 0.5 * (lo + hi), dm;
    st = slope(m, p->series, mid, step_lo, step_hi, &dm, err);
    if (st != SYN_OK) return st;
    if (sgn * dm > 0.0)
      lo = mid;
    else
      hi = mid;
  }
  double t = 0.5 * (lo + hi), v;
  st = value_at(m, p->series, t, &v, err);
  if (st == SYN_OK) {
    *t_out = t;
    *v_out = v;
  }
  return st;
}

/* The series at the SYN_SAMPLES + 1 sample times of [lo, hi] into t and v.
 * Outputs at those times are kept for the step: probes over the same range
 * (most windows cover whole steps) share one evaluation of the outputs. */
static syn_status sample_range(syn_metrics *m, size_t series, double lo, double hi, double *t,
                               double *v, syn_error *err) {
  syn_status st = SYN_OK;
  for (int k = 0; k <= SYN_SAMPLES; k++) t[k] = k == SYN_SAMPLES ? hi : lo + (hi - lo) * k / SYN_SAMPLES;
  if (!is_output(m, series)) {
    for (int k = 0; k <= SYN_SAMPLES && st == SYN_OK; k++) st = value_at(m, series, t[k], &v[k], err);
    return st;
  }
  if (!(m->samp_valid && m->samp_lo == lo && m->samp_hi == hi)) {
    m->samp_valid = 0;
    for (int k = 0; k <= SYN_SAMPLES && st == SYN_OK; k++) {
      st = value_at(m, series, t[k], &v[k], err); /* fills the slot's outputs */
      memcpy(m->samp_out + (size_t)k * m->noutputs, slot_out(m, m->cur),
             m->noutputs * sizeof *m->samp_out);
    }
    if (st != SYN_OK) return st;
    m->samp_lo = lo, m->samp_hi = hi, m->samp_valid = 1;
  }
  for (int k = 0; k <= SYN_SAMPLES; k++)
    v[k] = m->samp_out[(size_t)k * m->noutputs + (series - m->nstates)];
  return SYN_OK;
}

/* Extremes over [lo, hi] (part of the step [a, b]). */
static syn_status step_extreme(syn_metrics *m, const syn_probe *p, probe_state *s, double lo,
                               double hi, double a, double b, syn_error *err) {
  double t[SYN_SAMPLES + 1], v[SYN_SAMPLES + 1];
  syn_status st = sample_range(m, p->series, lo, hi, t, v, err);
  if (st != SYN_OK) return st;
  double sgn = wants_max(p->kind) ? 1.0 : -1.0;
  /* a sample at least as good as its neighbours brackets a local extremum
   * (at the ends of the range too: the peak may lie just inside the step) */
  for (int k = 0; k <= SYN_SAMPLES && st == SYN_OK; k++) {
    int kl = k > 0 ? k - 1 : k, kr = k < SYN_SAMPLES ? k + 1 : k;
    int local = sgn * (v[k] - v[kl]) >= 0.0 && sgn * (v[k] - v[kr]) >= 0.0;
    if (local && kl < kr) {
      double tr = t[k], vr = v[k];
      st = refine_extreme(m, p, t[kl], t[kr], a, b, &tr, &vr, err);
      if (sgn * (vr - v[k]) > 0.0) offer_extreme(p, s, tr, vr);
    }
    offer_extreme(p, s, t[k], v[k]);
  }
  return st;
}

/* The first crossing of the level in [lo, hi]: the first sample beyond it,
 * then bisection between it and the previous sample. */
static syn_status step_crossing(syn_metrics *m, const syn_probe *p, probe_state *s, double lo,
                                double hi, syn_error *err) {
  double tprev = lo, t[SYN_SAMPLES + 1], v[SYN_SAMPLES + 1];
  syn_status st = sample_range(m, p->series, lo, hi, t, v, err);
  if (st != SYN_OK) return st;
  for (int k = 0; k <= SYN_SAMPLES; k++) {
    double tk = t[k], vk = v[k];
    if (!beyond(p, vk)) {
      tprev = tk;
      continue;
    }
    if (k == 0) {
      offer_crossing(s, tk);
      return SYN_OK;
    }
    double a = tprev, b = tk; /* not beyond at a, beyond at b */
    for (int it = 0; it < SYN_REFINE_ITERS && b - a > 1e-13 * fmax(fabs(b), hi - lo); it++) {
      double mid = 0.5 * (a + b), vm;
      st = value_at(m, p->series, mid, &vm, err);
      if (st != SYN_OK) return st;
      if (beyond(p, vm))
        b = mid;
      else
        a = mid;
    }
    offer_crossing(s, 0.5 * (a + b));
    return SYN_OK;
  }
  return SYN_OK;
}

/* Point values inside the step (a, b]; at a, the post-dose value if none yet. */
static syn_status step_points(syn_metrics *m, const syn_probe *p, probe_state *s, double a,
                              double b, syn_error *err) {
  syn_status st = SYN_OK;
  if ((p->t1 > a && p->t1 <= b) || (p->t1 == a && !s->have1)) {
    st = value_at(m, p->series, p->t1, &s->v1, err);
    s->have1 = 1;
  }
  if (st == SYN_OK && ((p->t2 > a && p->t2 <= b) || (p->t2 == a && !s->have2))) {
    st = value_at(m, p->series, p->t2, &s->v2, err);
    s->have2 = 1;
  }
  return st;
}

/* --- states: the step's polynomial, exactly --------------------------------------- */

/* c[0] + c[1] x + ... + c[deg] x^deg */
static double horner(const double *c, int deg, double x) {
  double v = c[deg];
  for (int k = deg - 1; k >= 0; k--) v = v * x + c[k];
  return v;
}

/* The root of c in [u, v], where c is monotone and changes sign. */
static double bisect_root(const double *c, int deg, double u, double v) {
  int neg_u = horner(c, deg, u) < 0.0;
  for (int it = 0; it < SYN_REFINE_ITERS; it++) {
    double mid = 0.5 * (u + v);
    if (!(mid > u && mid < v)) break; /* adjacent doubles */
    if ((horner(c, deg, mid) < 0.0) == neg_u)
      u = mid;
    else
      v = mid;
  }
  return 0.5 * (u + v);
}

/* The real roots of c (degree deg <= SYN_POLY_MAX) in [a, b], ascending, at
 * most cap, into r; returns how many. Between consecutive roots of the
 * derivative (found the same way, recursively) c is monotone, so each sign
 * change there is exactly one root: nothing between samples is missed. A
 * root where c only touches zero counts if c is exactly 0 at it. */
static int poly_roots(const double *c, int deg, double a, double b, double *r, int cap) {
  while (deg > 0 && c[deg] == 0.0) deg--;
  if (deg == 0 || cap <= 0) return 0;
  double d[SYN_POLY_MAX] = {0}, knots[SYN_POLY_MAX + 2];
  for (int k = 0; k < deg; k++) d[k] = (k + 1) * c[k + 1];
  int nk = 0, n = 0;
  knots[nk++] = a;
  nk += poly_roots(d, deg - 1, a, b, knots + 1, deg);
  knots[nk++] = b;
  for (int j = 0; j + 1 < nk && n < cap; j++) {
    double u = knots[j], v = knots[j + 1], pu = horner(c, deg, u), pv = horner(c, deg, v);
    double x = pu == 0.0 ? u : (pv != 0.0 && (pu < 0.0) != (pv < 0.0)) ? bisect_root(c, deg, u, v)
                                                                          : (double)NAN;
    if (!isnan(x) && (n == 0 || x > r[n - 1])) r[n++] = x;
  }
  if (n < cap && horner(c, deg, b) == 0.0 && (n == 0 || b > r[n - 1])) r[n++] = b;
  return n;
}

/* A bound on |c[from] x^from + ... + c[deg] x^deg| for |x| <= h, with a
 * margin for rounding: a cheap test that a step is monotone, or stays away
 * from a level, before isolating roots. */
static double tail_bound(const double *c, int deg, int from, double h) {
  double hk = 1.0, sum = 0.0;
  for (int k = 1; k <= deg; k++) {
    hk *= h;
    if (k >= from) sum += fabs(c[k]) * hk;
  }
  return sum * (1.0 + 1e-9);
}

/* The Taylor coefficients of every state about the step's end b, read once per
 * step; m->deg -2 when the solver cannot give them (then sampling is used). */
static syn_status read_taylor(syn_metrics *m, double b, syn_error *err) {
  if (m->deg != -1) return SYN_OK;
  int q = syn_solver_interp_degree(m->solver);
  m->deg = -2;
  if (q < 1 || q > SYN_POLY_MAX) return SYN_OK;
  double fact = 1.0;
  for (int k = 0; k <= q; k++) {
    double *ck = m->taylor + (size_t)k * m->nstates;
    syn_status st = syn_solver_interpolate_deriv(m->solver, b, k, ck, err);
    if (st != SYN_OK) return st;
    if (k > 0) fact *= k;
    for (size_t i = 0; i < m->nstates; i++) ck[i] /= fact;
  }
  m->t_ref = b;
  m->deg = q;
  return SYN_OK;
}

/* The polynomial of state `series` in x = t - m->t_ref (level subtracted). */
static int state_poly(const syn_metrics *m, size_t series, double level, double *c) {
  for (int k = 0; k <= m->deg; k++) c[k] = m->taylor[(size_t)k * m->nstates + series];
  c[0] -= level;
  return m->deg;
}

/* Extremes of a state over [lo, hi]: the ends and every zero of the slope. */
static void exact_extreme(const syn_metrics *m, const syn_probe *p, probe_state *s, double lo,
                          double hi) {
  double c[SYN_POLY_MAX + 1] = {0}, d[SYN_POLY_MAX] = {0}, x[SYN_POLY_MAX + 1], x0 = m->t_ref;
  int deg = state_poly(m, p->series, 0.0, c), n = 0;
  for (int k = 0; k < deg; k++) d[k] = (k + 1) * c[k + 1];
  /* the slope keeps the sign of d[0] over the step unless the rest can outweigh it */
  if (!(fabs(d[0]) > tail_bound(d, deg - 1, 1, x0 - lo)))
    n = poly_roots(d, deg - 1, lo - x0, hi - x0, x, SYN_POLY_MAX);
  offer_extreme(p, s, lo, horner(c, deg, lo - x0));
  for (int j = 0; j < n; j++) offer_extreme(p, s, x0 + x[j], horner(c, deg, x[j]));
  offer_extreme(p, s, hi, horner(c, deg, hi - x0));
}

/* The first time in [lo, hi] a state is beyond the level: the first root of
 * (state - level) after which it is beyond (or lo, or hi). */
static void exact_crossing(const syn_metrics *m, const syn_probe *p, probe_state *s, double lo,
                           double hi) {
  double c[SYN_POLY_MAX + 1] = {0}, x[SYN_POLY_MAX + 1], x0 = m->t_ref;
  int deg = state_poly(m, p->series, p->level, c);
  double a = lo - x0, b = hi - x0;
  if (beyond(p, horner(c, deg, a) + p->level)) {
    offer_crossing(s, lo);
    return;
  }
  /* the state stays on the side of the level it ends on */
  if (fabs(c[0]) > tail_bound(c, deg, 1, x0 - lo)) return;
  int n = poly_roots(c, deg, a, b, x, SYN_POLY_MAX + 1);
  double prev = a;
  for (int j = 0; j <= n; j++) {
    double next = j < n ? x[j] : b;
    if (prev < next && beyond(p, horner(c, deg, 0.5 * (prev + next)) + p->level)) {
      offer_crossing(s, x0 + prev);
      return;
    }
    prev = next;
  }
  if (beyond(p, horner(c, deg, b) + p->level)) offer_crossing(s, hi);
}

static syn_status step_probe(syn_metrics *m, size_t i, double a, double b, syn_error *err) {
  const syn_probe *p = &m->probes[i];
  probe_state *s = &m->ps[i];
  syn_status st = step_points(m, p, s, a, b, err);
  double lo = fmax(a, p->t1), hi = fmin(b, p->t2);
  if (st != SYN_OK || !(lo < hi)) return st;
  /* the window has begun before b: its start value is final */
  settle_start(p, s);
  switch (p->kind) {
    case PROBE_AUC: {
      double part = 0.0;
      st = area(m, p->series, lo, hi, &part, err);
      s->acc += part;
      break;
    }
    case PROBE_MAX:
    case PROBE_MIN:
    case PROBE_TMAX:
    case PROBE_TMIN:
      if (!is_output(m, p->series)) st = read_taylor(m, b, err);
      if (st == SYN_OK && !is_output(m, p->series) && m->deg > 0)
        exact_extreme(m, p, s, lo, hi);
      else if (st == SYN_OK)
        st = step_extreme(m, p, s, lo, hi, a, b, err);
      break;
    case PROBE_TIME_BELOW:
    case PROBE_TIME_ABOVE:
      if (s->found) break;
      if (!is_output(m, p->series)) st = read_taylor(m, b, err);
      if (st == SYN_OK && !is_output(m, p->series) && m->deg > 0)
        exact_crossing(m, p, s, lo, hi);
      else if (st == SYN_OK)
        st = step_crossing(m, p, s, lo, hi, err);
      break;
    case PROBE_AT:
    case PROBE_CHANGE:
      break;
  }
  return st;
}

syn_status syn_metrics_step(const syn_solver *s, double t_prev, double t_now, void *ctx,
                            syn_error *err) {
  syn_metrics *m = ctx;
  syn_status st = SYN_OK;
  if (m == NULL || s == NULL)
    return syn_error_set(err, SYN_EINVAL, "syn_metrics_step: no metrics or no solver");
  m->solver = s;
  forget_points(m);
  m->deg = -1;
  m->samp_valid = 0;
  /* areas first: their Gauss nodes stay in the slots for every area probe,
   * before extrema and crossings read points of their own (the probes are
   * independent: the order changes no value) */
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < m->n && st == SYN_OK; i++)
      if ((m->probes[i].kind == PROBE_AUC) == (pass == 0)) st = step_probe(m, i, t_prev, t_now, err);
  m->solver = NULL;
  forget_points(m);
  if (t_now > m->reached) m->reached = t_now;
  return st;
}

/* --- finish ----------------------------------------------------------------------- */

static double final_value(const syn_metrics *m, const syn_probe *p, probe_state *s) {
  /* a window the run did not cover has no value */
  if (!m->started || p->t1 < m->t0 || p->t2 > m->reached) return (double)NAN;
  settle_start(p, s);
  switch (p->kind) {
    case PROBE_AT: return s->have1 ? s->v1 : (double)NAN;
    case PROBE_AUC: return s->acc;
    case PROBE_MAX:
    case PROBE_MIN: return s->found ? s->best : (double)NAN;
    case PROBE_TMAX:
    case PROBE_TMIN: return s->found ? s->tbest : (double)NAN;
    case PROBE_CHANGE:
      if (!s->have1 || !s->have2 || s->v1 == 0.0) return (double)NAN;
      if (fabs(s->v2 - s->v1) < m->rtol * fmax(fabs(s->v1), fabs(s->v2))) return 0.0;
      return 100.0 * (s->v2 - s->v1) / s->v1;
    case PROBE_TIME_BELOW:
    case PROBE_TIME_ABOVE: return s->found ? s->tbest : (double)NAN;
  }
  return (double)NAN;
}

syn_status syn_metrics_finish(syn_metrics *m, syn_error *err) {
  if (m == NULL) return syn_error_set(err, SYN_EINVAL, "syn_metrics_finish: no metrics");
  for (size_t i = 0; i < m->n; i++) {
    syn_probe *p = &m->probes[i];
    p->value = final_value(m, p, &m->ps[i]);
    p->where = (is_extreme(p->kind) || is_crossing(p->kind)) && m->ps[i].found ? m->ps[i].tbest
                                                                              : (double)NAN;
  }
  return SYN_OK;
}
