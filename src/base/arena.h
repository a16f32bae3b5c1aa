/* synovia — bump allocator for things that die together (internal).
 * The AST of a model and its symbol tables live in one arena and are freed
 * with one syn_arena_destroy(). Memory from the arena is zeroed. */
#ifndef SYN_BASE_ARENA_H
#define SYN_BASE_ARENA_H

#include <stddef.h>

typedef struct syn_arena syn_arena;

syn_arena *syn_arena_create(void);          /* NULL when out of memory */
void syn_arena_destroy(syn_arena *a);       /* NULL allowed */
void *syn_arena_alloc(syn_arena *a, size_t size);   /* zeroed, 16-byte aligned; NULL on OOM */
char *syn_arena_strndup(syn_arena *a, const char *s, size_t n);
char *syn_arena_strdup(syn_arena *a, const char *s); /* NULL in -> NULL out */

/* Grow the arena array *arr (*cap elements of elem bytes) to hold at least
 * need elements, doubling from 4 (the old block stays in the arena). Returns
 * 0, or -1 when out of memory (then *arr and *cap are unchanged). */
int syn_arena_grow(syn_arena *a, void **arr, size_t *cap, size_t need, size_t elem);

#endif
