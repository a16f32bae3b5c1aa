/* synovia — the model's namespace: a string hash table, kind nouns and
 * "did you mean" suggestions (model layer). */
#include <string.h>

#include "base/alloc.h"
#include "lang/suggest.h"
#include "model/model_impl.h"

static size_t hash_str(const char *s) {
  size_t h = 1469598103934665603ULL;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

static int rehash(name_table *t, size_t cap) {
  name_entry *slots = syn_calloc(cap, sizeof *slots);
  if (slots == NULL) return -1;
  for (size_t i = 0; i < t->cap; i++) {
    if (t->slots[i].name == NULL) continue;
    size_t j = hash_str(t->slots[i].name) & (cap - 1);
    while (slots[j].name != NULL) j = (j + 1) & (cap - 1);
    slots[j] = t->slots[i];
  }
  syn_free(t->slots);
  t->slots = slots;
  t->cap = cap;
  return 0;
}

int syn_names_put(name_table *t, const char *name, syn_symkind kind, uint32_t index) {
  if (syn_names_get(t, name) != NULL) return 1;
  if ((t->count + 1) * 2 > t->cap && rehash(t, t->cap ? t->cap * 2 : 64) != 0) return -1;
  size_t j = hash_str(name) & (t->cap - 1);
  while (t->slots[j].name != NULL) j = (j + 1) & (t->cap - 1);
  t->slots[j] = (name_entry){.name = name, .kind = (uint8_t)kind, .index = index};
  t->count++;
  return 0;
}

const name_entry *syn_names_get(const name_table *t, const char *name) {
  if (t->cap == 0) return NULL;
  size_t j = hash_str(name) & (t->cap - 1);
  while (t->slots[j].name != NULL) {
    if (strcmp(t->slots[j].name, name) == 0) return &t->slots[j];
    j = (j + 1) & (t->cap - 1);
  }
  return NULL;
}

void syn_names_free(name_table *t) {
  syn_free(t->slots);
  memset(t, 0, sizeof *t);
}

/* The lang layer's rule (lang/suggest.h): within 2 edits and fewer edits
 * than the word has bytes, so a one-letter name is never "close". */
int syn_close_enough(const char *word, const char *candidate, size_t *dist) {
  size_t lw = strlen(word);
  size_t d = syn_edit_distance(word, lw, candidate, strlen(candidate), 2);
  *dist = d;
  return d >= 1 && d <= 2 && d < lw;
}

/* Between equally close candidates, one with the same first letter reads as
 * the likelier typo ('foo' -> 'floor' rather than 'log'). */
int syn_better_tie(const char *word, const char *candidate, const char *best) {
  return best != NULL && candidate[0] == word[0] && best[0] != word[0];
}

const char *syn_names_suggest(const syn_model *m, const char *name, unsigned kind_mask) {
  const char *best = NULL;
  size_t best_d = 3, d;
  for (int k = 0; k < SYN_SYM_KIND_COUNT; k++) {
    if (!(kind_mask & (1u << k))) continue;
    for (size_t i = 0; i < m->nsym[k]; i++) {
      if (syn_close_enough(name, m->sym[k][i].name, &d) &&
          (d < best_d || (d == best_d && syn_better_tie(name, m->sym[k][i].name, best)))) {
        best_d = d;
        best = m->sym[k][i].name;
      }
    }
  }
  return best;
}

const char *syn_kind_noun(syn_symkind kind) {
  static const char *const nouns[] = {"compartment", "parameter", "state", "let", "output"};
  return kind < SYN_SYM_KIND_COUNT ? nouns[kind] : "name";
}

const char *syn_kind_article(syn_symkind kind) { return kind == SYN_SYM_OUTPUT ? "an" : "a"; }

int syn_model_lookup(const syn_model *m, const char *name, int joint, syn_symkind *kind,
                     size_t *index) {
  if (joint >= 0) {
    const name_entry *b = syn_names_get(&m->pj_names, name);
    if (b != NULL) {
      *kind = m->pj[b->index].kind;
      *index = m->pj[b->index].copies[joint];
      return 1;
    }
  }
  const name_entry *e = syn_names_get(&m->names, name);
  if (e == NULL) return 0;
  *kind = (syn_symkind)e->kind;
  *index = e->index;
  return 1;
}

/* In names.c, below both model.c and resolve.c, which call it (presets are
 * converted while the model is resolved). */
const char *syn_model_setting_units(const syn_model *m, const char *name) {
  syn_symkind kind;
  size_t index;
  const name_entry *base = syn_names_get(&m->pj_names, name);
  if (base != NULL) return m->sym[m->pj[base->index].kind][m->pj[base->index].copies[0]].units;
  if (!syn_model_lookup(m, name, -1, &kind, &index)) return NULL;
  return m->sym[kind][index].units;
}
