/* synovia — an arm's doses as a sorted list of events and exact stop times
 * (scenario layer; see scenario_impl.h).
 *
 * A bolus is one event; an infusion is a start and an end event. Repeated
 * doses (`every P times N`) are expanded, each time computed as at + k*P
 * (no accumulated rounding). Events after the end of the simulation are
 * dropped, with one warning per dose statement whose doses are skipped. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "scenario_impl.h"

static int by_time_then_seq(const void *a, const void *b) {
  const scn_event *x = a, *y = b;
  if (x->t < y->t) return -1;
  if (x->t > y->t) return 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

syn_status scn_add_warning(char ***list, size_t *n, const char *text, syn_error *err) {
  char **w = syn_realloc(*list, (*n + 1) * sizeof *w);
  if (w == NULL) return syn_error_set(err, SYN_ENOMEM, "out of memory for a warning");
  *list = w;
  if ((w[*n] = syn_strdup(text)) == NULL)
    return syn_error_set(err, SYN_ENOMEM, "out of memory for a warning");
  (*n)++;
  return SYN_OK;
}

/* "dose of IA at 200 d is after the end of the simulation (180 d): skipped",
 * or for repeated doses how many of them are skipped. */
static syn_status warn_skipped(scn_schedule *s, const scn_dose *d, long skipped, double first,
                               double t_end, const char *clock, double factor, syn_error *err) {
  char text[512];
  first /= factor;
  t_end /= factor;
  const char *sp = clock[0] ? " " : "";
  if (d->times == 1)
    snprintf(text, sizeof text,
             "dose of %s at %g%s%s is after the end of the simulation (%g%s%s): skipped", d->route,
             first, sp, clock, t_end, sp, clock);
  else
    snprintf(text, sizeof text,
             "%ld of the %ld doses of %s (from %g%s%s) are after the end of the simulation "
             "(%g%s%s): skipped",
             skipped, d->times, d->route, first, sp, clock, t_end, sp, clock);
  return scn_add_warning(&s->warnings, &s->nwarnings, text, err);
}

/* Number of events the doses can give (an upper bound). */
static size_t count_events(const scn_arm *arm) {
  size_t n = 0;
  for (size_t i = 0; i < arm->ndoses; i++)
    n += (size_t)arm->doses[i].times * (arm->doses[i].over > 0 ? 2 : 1);
  return n;
}

typedef struct snapper {
  double t_start, t_end, tol;
  const double *grid;
  size_t npts;
} snapper;

/* t, or the output time it equals up to rounding. The grid is regular
 * (t_start + k * every, the last point t_end), so the nearest point is found
 * by bisection without assuming the spacing. */
static double snap(const snapper *g, double t) {
  if (fabs(t - g->t_end) <= g->tol) return g->t_end;
  if (fabs(t - g->t_start) <= g->tol) return g->t_start;
  if (g->npts == 0 || t < g->grid[0] || t > g->grid[g->npts - 1]) return t;
  size_t lo = 0, hi = g->npts - 1;
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (g->grid[mid] <= t) lo = mid;
    else hi = mid;
  }
  if (fabs(t - g->grid[lo]) <= g->tol) return g->grid[lo];
  if (fabs(t - g->grid[hi]) <= g->tol) return g->grid[hi];
  return t;
}

static syn_status expand(const scn_arm *arm, const double *at, const snapper *g,
                         const char *clock, double factor, int warn, scn_schedule *s,
                         syn_error *err) {
  double t_start = g->t_start, t_end = g->t_end;
  size_t seq = 0;
  syn_status st = SYN_OK;
  for (size_t i = 0; i < arm->ndoses && st == SYN_OK; i++) {
    const scn_dose *d = &arm->doses[i];
    long skipped = 0;
    double first_skipped = 0;
    for (long k = 0; k < d->times; k++) {
      double t = snap(g, (at ? at[i] : d->at) + (double)k * d->every);
      if (t > t_end || t < t_start) { /* before the start is refused at load */
        if (skipped++ == 0) first_skipped = t;
        continue;
      }
      scn_event *e = &s->events[s->nevents++];
      *e = (scn_event){t, d->over > 0 ? SCN_INFUSION_START : SCN_BOLUS, i, s->ninfusions, seq++};
      if (d->over <= 0) continue;
      double end = snap(g, t + d->over);
      if (end <= t_end)
        s->events[s->nevents++] =
            (scn_event){end, SCN_INFUSION_END, i, s->ninfusions, seq++};
      s->ninfusions++;
    }
    s->nskipped += (size_t)skipped;
    if (skipped > 0 && warn)
      st = warn_skipped(s, d, skipped, first_skipped, t_end, clock, factor, err);
  }
  return st;
}

/* Distinct stop times; an event within rounding of the previous stop joins
 * it (its time becomes that stop's). */
static void collect_stops(scn_schedule *s, double tol) {
  for (size_t i = 0; i < s->nevents; i++) {
    scn_event *e = &s->events[i];
    if (s->nstops > 0 && e->t - s->stops[s->nstops - 1] <= tol) e->t = s->stops[s->nstops - 1];
    else s->stops[s->nstops++] = e->t;
  }
}

/* Each infusion's length as it is run: its end's time minus its start's,
 * after both were snapped and joined to stops, so that rate = amount / length
 * gives the amount whole (the written length may differ from it by a
 * rounding of the run's times). An infusion without an end (it runs past the
 * end of the simulation) keeps its written length. */
static void measure_infusions(const scn_arm *arm, scn_schedule *s) {
  for (size_t i = 0; i < s->nevents; i++) {
    const scn_event *e = &s->events[i];
    if (e->kind == SCN_INFUSION_START) {
      s->start[e->infusion] = e->t;
      s->length[e->infusion] = arm->doses[e->dose].over;
    } else if (e->kind == SCN_INFUSION_END) { /* after its start: sorted, seq breaks ties */
      s->length[e->infusion] = e->t - s->start[e->infusion];
    }
  }
}

/* The events of the arm's doses (first times at[], or as written when at is
 * NULL) into s's arrays, which hold s->capacity events. */
static syn_status fill(const scn_arm *arm, const double *at, double t_start, double t_end,
                       const double *grid, size_t npts, const char *unit, double factor,
                       int warn, scn_schedule *s, syn_error *err) {
  snapper g = {t_start, t_end, SCN_SNAP_REL * fmax(fabs(t_start), fabs(t_end)), grid, npts};
  s->nevents = s->nstops = s->ninfusions = s->nskipped = 0;
  syn_status st = expand(arm, at, &g, unit ? unit : "", factor > 0 ? factor : 1.0, warn, s, err);
  if (st == SYN_OK && s->nevents > 1)
    qsort(s->events, s->nevents, sizeof *s->events, by_time_then_seq);
  if (st == SYN_OK) collect_stops(s, g.tol);
  if (st == SYN_OK) measure_infusions(arm, s);
  return st;
}

syn_status scn_schedule_build(const scn_arm *arm, double t_start, double t_end,
                              const double *grid, size_t npts, const char *unit, double factor,
                              scn_schedule *out, syn_error *err) {
  memset(out, 0, sizeof *out);
  size_t cap = count_events(arm);
  syn_status st = SYN_OK;
  out->capacity = cap;
  out->events = syn_calloc(cap + 1, sizeof *out->events);
  out->stops = syn_calloc(cap + 1, sizeof *out->stops);
  out->length = syn_calloc(cap + 1, sizeof *out->length);
  out->start = syn_calloc(cap + 1, sizeof *out->start);
  if (!out->events || !out->stops || !out->length || !out->start)
    st = syn_error_set(err, SYN_ENOMEM, "out of memory for %zu dose events", cap);
  if (st == SYN_OK) st = fill(arm, NULL, t_start, t_end, grid, npts, unit, factor, 1, out, err);
  if (st != SYN_OK) scn_schedule_free(out);
  return st;
}

syn_status scn_schedule_refill(const scn_arm *arm, const double *at, double t_start,
                               double t_end, const double *grid, size_t npts, scn_schedule *s,
                               syn_error *err) {
  if (s->events == NULL || count_events(arm) > s->capacity)
    return syn_error_set(err, SYN_EINVAL, "scn_schedule_refill: the schedule was not built for "
                                          "this arm");
  return fill(arm, at, t_start, t_end, grid, npts, "", 1.0, 0, s, err);
}

void scn_schedule_free(scn_schedule *s) {
  if (s == NULL) return;
  syn_free(s->events);
  syn_free(s->stops);
  syn_free(s->length);
  syn_free(s->start);
  for (size_t i = 0; i < s->nwarnings; i++) syn_free(s->warnings[i]);
  syn_free(s->warnings);
  memset(s, 0, sizeof *s);
}
