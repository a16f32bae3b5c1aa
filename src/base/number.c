/* synovia — decimal numbers only (see synovia/number.h). */
#include "synovia/number.h"

#include <math.h>
#include <stdlib.h>

static size_t digits(const char *s) {
  size_t n = 0;
  while (s[n] >= '0' && s[n] <= '9') n++;
  return n;
}

size_t syn_number_span(const char *text) {
  size_t i = text[0] == '+' || text[0] == '-';
  size_t whole = digits(text + i), frac = 0;
  i += whole;
  if (text[i] == '.') {
    frac = digits(text + i + 1);
    if (whole == 0 && frac == 0) return 0;
    i += 1 + frac;
  } else if (whole == 0) {
    return 0;
  }
  if (text[i] == 'e' || text[i] == 'E') {
    size_t sign = text[i + 1] == '+' || text[i + 1] == '-';
    size_t exp = digits(text + i + 1 + sign);
    if (exp) i += 1 + sign + exp;
  }
  return i;
}

int syn_number_parse(const char *text, double *out) {
  if (text == NULL) return 0;
  size_t n = syn_number_span(text);
  if (n == 0 || text[n] != 0) return 0;
  /* the span is checked decimal syntax, so strtod reads exactly it; an
   * overflow gives HUGE_VAL, an underflow 0 or a subnormal (both finite) */
  double v = strtod(text, NULL);
  if (!isfinite(v)) return 0;
  *out = v;
  return 1;
}
