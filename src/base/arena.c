/* synovia — bump allocator (see arena.h). */
#include "arena.h"

#include <stdint.h>
#include <string.h>

#include "alloc.h"

enum { ARENA_BLOCK = 64 * 1024, ARENA_ALIGN = 16 };

typedef struct arena_block {
  struct arena_block *next;
  size_t size, used;
  _Alignas(16) unsigned char data[];
} arena_block;

struct syn_arena {
  arena_block *head;
};

syn_arena *syn_arena_create(void) { return syn_calloc(1, sizeof(syn_arena)); }

void syn_arena_destroy(syn_arena *a) {
  if (a == NULL) return;
  arena_block *b = a->head;
  while (b) {
    arena_block *next = b->next;
    syn_free(b);
    b = next;
  }
  syn_free(a);
}

static arena_block *new_block(size_t min_size) {
  size_t size = min_size > ARENA_BLOCK ? min_size : ARENA_BLOCK;
  arena_block *b = syn_calloc(1, sizeof(arena_block) + size);
  if (b) b->size = size;
  return b;
}

void *syn_arena_alloc(syn_arena *a, size_t size) {
  if (size > SIZE_MAX - ARENA_ALIGN) return NULL;
  size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
  if (size == 0) size = ARENA_ALIGN;
  arena_block *b = a->head;
  if (b == NULL || b->size - b->used < size) {
    b = new_block(size);
    if (b == NULL) return NULL;
    b->next = a->head;
    a->head = b;
  }
  void *p = b->data + b->used;
  b->used += size;
  return p;
}

char *syn_arena_strndup(syn_arena *a, const char *s, size_t n) {
  if (s == NULL || n == SIZE_MAX) return NULL;
  char *d = syn_arena_alloc(a, n + 1);
  if (d == NULL) return NULL;
  memcpy(d, s, n);
  d[n] = 0;
  return d;
}

char *syn_arena_strdup(syn_arena *a, const char *s) {
  return s ? syn_arena_strndup(a, s, strlen(s)) : NULL;
}

int syn_arena_grow(syn_arena *a, void **arr, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return 0;
  size_t ncap = *cap ? *cap * 2 : 4;
  while (ncap < need) ncap *= 2;
  if (ncap > SIZE_MAX / elem) return -1;
  void *n = syn_arena_alloc(a, ncap * elem);
  if (n == NULL) return -1;
  if (*cap) memcpy(n, *arr, *cap * elem);
  *arr = n;
  *cap = ncap;
  return 0;
}
