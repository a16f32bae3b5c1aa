/* synovia — edit-distance suggestions (see suggest.h). */
#include "suggest.h"

#include <string.h>

enum { SUGGEST_MAX_DISTANCE = 2, SUGGEST_MAX_WORD = 64 };

size_t syn_edit_distance(const char *a, size_t alen, const char *b, size_t blen, size_t limit) {
  /* Words longer than this are never close to a short keyword; bail out
   * before the row buffer would overflow. */
  size_t diff = alen > blen ? alen - blen : blen - alen;
  if (diff > limit || blen >= SUGGEST_MAX_WORD || alen >= SUGGEST_MAX_WORD) return limit + 1;
  size_t row[SUGGEST_MAX_WORD + 1];
  for (size_t j = 0; j <= blen; j++) row[j] = j;
  for (size_t i = 1; i <= alen; i++) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= blen; j++) {
      size_t up = row[j];
      size_t best = diag + (a[i - 1] != b[j - 1]);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[blen] > limit ? limit + 1 : row[blen];
}

static int equal_ignoring_case(const char *a, size_t alen, const char *b, size_t blen) {
  if (alen != blen) return 0;
  for (size_t i = 0; i < alen; i++) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
    if (x != y) return 0;
  }
  return 1;
}

const char *syn_suggest(const char *word, size_t len, const char *const *candidates, size_t n) {
  const char *best = NULL;
  size_t best_d = SUGGEST_MAX_DISTANCE + 1;
  for (size_t i = 0; i < n; i++) {
    size_t clen = strlen(candidates[i]);
    /* "ml" means "mL" far more often than "mol": a case slip wins. */
    if (clen == len && memcmp(word, candidates[i], len) != 0 &&
        equal_ignoring_case(word, len, candidates[i], clen))
      return candidates[i];
    size_t d = syn_edit_distance(word, len, candidates[i], clen, SUGGEST_MAX_DISTANCE);
    if (d == 0 || d >= len) continue;
    if (d < best_d) {
      best_d = d;
      best = candidates[i];
    }
  }
  return best;
}
