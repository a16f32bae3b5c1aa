/* synovia — "did you mean" suggestions by edit distance (internal, lang layer).
 *
 * Shared by the unit vocabulary, the parser's declaration keywords and (later)
 * the model layer's name resolution, so every suggestion follows one rule. */
#ifndef SYN_LANG_SUGGEST_H
#define SYN_LANG_SUGGEST_H

#include <stddef.h>

/* Levenshtein distance between a[0..alen) and b[0..blen), capped: any value
 * above `limit` is returned as limit + 1 (the caller only cares about small
 * distances, and the cap keeps the work bounded for long words). */
size_t syn_edit_distance(const char *a, size_t alen, const char *b, size_t blen, size_t limit);

/* The candidate closest to word[0..len): distance <= 2 and < len (so a one-
 * letter word never gets a suggestion), the first of equally close ones;
 * a candidate differing only in letter case wins outright.
 * Exact matches are not suggested. NULL when nothing is close. */
const char *syn_suggest(const char *word, size_t len, const char *const *candidates, size_t n);

#endif
