/* synovia — reading a number the way the language writes one (base layer).
 *
 * The language is decimal: `12`, `0.5`, `.5`, `5.`, `1e-3`, `2.5E+6`. strtod
 * alone also takes hexadecimal (`0x10`, `0x1p-1`), `inf`, `infinity` and
 * `nan`, which a model never means; every number a user gives outside a
 * model file — command-line values, design CSV cells, solver settings —
 * is read here so that all of them accept exactly the same spellings. */
#ifndef SYNOVIA_NUMBER_H
#define SYNOVIA_NUMBER_H

#include <stddef.h>

/* Exported from libsynovia.so; everything else is hidden (docs/c-api.md). */
#pragma GCC visibility push(default)
#ifdef __cplusplus
extern "C" {
#endif

/* The length of the decimal number at the start of text:
 *   [+|-] ( digits ['.' [digits]] | '.' digits ) [(e|E) [+|-] digits]
 * 0 when text does not start with one. An `e` not followed by digits ends
 * the number before it ("2e" -> 1). Needs LC_NUMERIC "C" (the default). */
size_t syn_number_span(const char *text);

/* The whole text is one finite decimal number (no spaces, no hex, no inf or
 * nan, not out of double's range; an underflow reads as 0 or a subnormal,
 * as in model files). Returns 1 and sets *out, or 0 and leaves *out alone. */
int syn_number_parse(const char *text, double *out);

#ifdef __cplusplus
}
#endif
#pragma GCC visibility pop
#endif
