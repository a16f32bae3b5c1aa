/* synovia — conditional doses (scenario layer; docs/scenarios.md, Conditional
 * doses): a dose given each time a condition on the model becomes true.
 *
 * Each one is an event appended to the model's text at load, so the model's
 * own event machinery finds the crossing (CVODE's root-finding) and applies
 * the dose exactly there; nothing here finds roots. The event's condition is
 * the user's, joined with the dose's limits, all of them root functions:
 *
 *   event cdose_K when (COND) && cdose_K_on > 0.5 && cdose_K_n < N
 *                      && t >= AFTER && t <= BEFORE && t >= cdose_K_last + APART {
 *     TARGET = TARGET + cdose_K_amt; cdose_K_n = cdose_K_n + 1; cdose_K_last = t }
 *
 * cdose_K_on is 0 in every arm but its own; cdose_K_amt (the amount times
 * the route's scale) is set when the arm runs, as the scale may depend on
 * parameters a sweep varies. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "scenario_impl.h"

/* printf onto the end of *buf, growing it. */
static int append(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int append(char **buf, size_t *len, size_t *cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return -1;
  if (*len + (size_t)n + 1 > *cap) {
    size_t want = (*len + (size_t)n + 1) * 2;
    char *b = syn_realloc(*buf, want);
    if (b == NULL) return -1;
    *buf = b;
    *cap = want;
  }
  va_start(ap, fmt);
  vsnprintf(*buf + *len, *cap - *len, fmt, ap);
  va_end(ap);
  *len += (size_t)n;
  return 0;
}

/* " && t >= 2160 h" for one bound of the window, nothing when it is open. */
static int append_bound(char **buf, size_t *len, size_t *cap, const char *op, double v,
                        const char *clock) {
  if (isnan(v)) return 0;
  return append(buf, len, cap, " && t %s %.17g%s%s", op, v, clock[0] ? " " : "", clock);
}

static int append_params(char **buf, size_t *len, size_t *cap, const scn_cdose_text *c) {
  const char *sp = c->clock[0] ? " " : "", *usp = c->unit[0] ? " " : "";
  return append(buf, len, cap,
                "param cdose_%zu_on = 0\nparam cdose_%zu_amt = 0%s%s\nparam cdose_%zu_n = 0\n"
                "param cdose_%zu_last = -1e300%s%s\n",
                c->k, c->k, usp, c->unit, c->k, c->k, sp, c->clock);
}

int scn_cdose_append_text(char **buf, size_t *len, size_t *cap, const scn_cdose_text *c) {
  size_t k = c->k;
  const char *sp = c->clock[0] ? " " : "";
  if (append_params(buf, len, cap, c) != 0 ||
      append(buf, len, cap, "event cdose_%zu when (%.*s) && cdose_%zu_on > 0.5", k,
             (int)c->cond_len, c->cond, k) != 0)
    return -1;
  if (c->most > 0 && append(buf, len, cap, " && cdose_%zu_n < %ld", k, c->most) != 0) return -1;
  if (append_bound(buf, len, cap, ">=", c->after, c->clock) != 0 ||
      append_bound(buf, len, cap, "<=", c->before, c->clock) != 0)
    return -1;
  if (c->apart > 0 &&
      append(buf, len, cap, " && t >= cdose_%zu_last + %.17g%s%s", k, c->apart, sp, c->clock) != 0)
    return -1;
  return append(buf, len, cap,
                " {\n  %s = %s + cdose_%zu_amt\n  cdose_%zu_n = cdose_%zu_n + 1\n"
                "  cdose_%zu_last = t\n}\n",
                c->target, c->target, k, k, k, k);
}

syn_status scn_cdose_prepare(const syn_scenario *s, const scn_arm *arm, const double *amount,
                             const double *scale, int on, syn_instance *inst, syn_error *err) {
  syn_status st = SYN_OK;
  size_t n = 0;
  for (size_t i = 0; i < arm->ndoses && st == SYN_OK; i++) {
    const scn_dose *d = &arm->doses[i];
    if (!d->is_cond) continue;
    size_t p = s->cond_param[d->cond];
    st = syn_instance_set_index(inst, SYN_SYM_PARAM, p, on ? 1.0 : 0.0, err);
    if (st == SYN_OK)
      st = syn_instance_set_index(inst, SYN_SYM_PARAM, p + 1, amount[i] * scale[i], err);
    n++;
  }
  if (st == SYN_OK && n > 0) st = syn_instance_prepare(inst, err);
  return st;
}

size_t scn_cdose_of_event(const syn_scenario *s, const scn_arm *arm, size_t event) {
  for (size_t i = 0; i < arm->ndoses; i++)
    if (arm->doses[i].is_cond && s->cond_event[arm->doses[i].cond] == event) return i;
  return SIZE_MAX;
}
