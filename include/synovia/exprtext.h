/* synovia — a model's resolved expressions as infix text (model layer).
 *
 * What the solver computes, written out: the expressions after name
 * resolution, joint replication, aggregates and unit conversion (literals
 * are numbers in the model clock), with constant parts folded — so a text
 * means exactly the values synovia uses (numbers printed to round-trip).
 * A `let` used inside another expression is written by its name, anything
 * else inline. The syntax is that of libSBML's Level 3 formula parser
 * (SBML_parseL3Formula), which an SBML writer turns into MathML:
 *   numbers (a negative one in parentheses), names, `time`, + - * / ^,
 *   < <= > >= == !=, && || !, piecewise(value, condition, otherwise),
 *   exp ln log10 sqrt abs floor ceil sin cos tan asin acos atan sinh cosh
 *   tanh min max. A comparison used as a number is piecewise(1, c, 0); a
 *   number used as a condition is (x != 0) (NaN counts as true, as in the
 *   model); sign(x) is piecewise(1, x > 0, -1, x < 0, x).
 *
 * Names come from the caller (syn_expr_names), so a writer can give each
 * symbol the identifier its format allows. The printer borrows the model;
 * it is not thread-safe (one per thread); texts are the caller's to free. */
#ifndef SYNOVIA_EXPRTEXT_H
#define SYNOVIA_EXPRTEXT_H

#include <stddef.h>

#include "synovia/model.h"
#include "synovia/status.h"

#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

/* Which expression of a symbol. */
typedef enum syn_expr_part {
  SYN_EXPR_VALUE, /* compartments, params: the defining expression; states: the initial
                     value; lets, outputs: the expression */
  SYN_EXPR_DERIV  /* states: d/dt, with the state's input (infusion rate) added when a
                     route goes to it */
} syn_expr_part;

/* The identifier of symbol (kind, i), and of state i's input (called only
 * for a state some route goes to). Neither may return NULL. */
typedef struct syn_expr_names {
  const char *(*symbol)(void *ctx, syn_symkind kind, size_t i);
  const char *(*input)(void *ctx, size_t state);
  void *ctx;
} syn_expr_names;

typedef struct syn_expr_printer syn_expr_printer;

/* names is copied; m must outlive the printer. SYN_ENOMEM on failure. */
syn_status syn_expr_printer_create(const syn_model *m, const syn_expr_names *names,
                                   syn_expr_printer **out, syn_error *err);
void syn_expr_printer_destroy(syn_expr_printer *p); /* NULL allowed */

/* The text of a symbol's expression into *out (malloc'd; free it). When
 * `constant` is not NULL it is set to 1 if the expression is a number (its
 * value is then the text). SYN_EINVAL for a kind/index/part that has no such
 * expression (a d/dt of a non-state), SYN_ENOMEM. */
syn_status syn_expr_printer_symbol(syn_expr_printer *p, syn_symkind kind, size_t i,
                                   syn_expr_part part, char **out, int *constant,
                                   syn_error *err);

/* The scale of route r (syn_model_route) as text ("1" when it has none). */
syn_status syn_expr_printer_route_scale(syn_expr_printer *p, size_t r, char **out,
                                        syn_error *err);

/* Event e (syn_model_event_count) as text: what an SBML writer needs. */
typedef struct syn_expr_event {
  char *trigger;         /* the condition: comparisons joined with && || ! */
  char *delay;           /* NULL when the event has no `delay` */
  char *priority;        /* NULL when the event has no `priority` */
  int persistent;        /* 0: `transient` */
  int initial_value;     /* the condition's value just before the start: 0 with `initially false` */
  int values_at_trigger; /* 0: `values at execution` */
  size_t nassigns;
  syn_symkind *kind;     /* per assignment: the target (STATE, PARAM or COMPARTMENT) ... */
  size_t *index;         /* ... and its index among that kind (syn_model_symbol) */
  char **value;          /* ... and the assigned value */
} syn_expr_event;

/* Fills *out (free it with syn_expr_event_free, also after an error).
 * SYN_EINVAL for an event index out of range, SYN_ENOMEM. */
syn_status syn_expr_printer_event(syn_expr_printer *p, size_t e, syn_expr_event *out,
                                  syn_error *err);
void syn_expr_event_free(syn_expr_event *ev);

/* The shortest of %.15g, %.16g, %.17g that reads back as v, into buf (room
 * for 32 bytes). The printer writes numbers this way. */
void syn_expr_number(double v, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
