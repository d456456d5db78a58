/* arena.h: a bump allocator. Every node of a loaded file and every string it holds lives in
 * one arena, so a whole tree goes away with one call and no per-node free exists. */
#ifndef KVET_ARENA_H
#define KVET_ARENA_H

#include <stddef.h>

typedef struct kv_arena kv_arena;

/* Caller frees with kv_arena_free. */
kv_arena *kv_arena_new(void);
void kv_arena_free(kv_arena *a);

/* Frees everything allocated so far; keeps a little memory for reuse. */
void kv_arena_reset(kv_arena *a);

/* Memory valid until the next reset or free; aligned for any scalar type. */
void *kv_arena_alloc(kv_arena *a, size_t n);
void *kv_arena_memdup(kv_arena *a, const void *p, size_t n);
/* Copies n bytes and appends a NUL. */
char *kv_arena_strndup(kv_arena *a, const char *s, size_t n);

#endif
