/* map.h: an open-addressing hash map from byte strings to 64-bit values. Keys are copied into
 * storage the map owns. */
#ifndef KVET_MAP_H
#define KVET_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kv_map kv_map;

/* Caller frees with kv_map_free. */
kv_map *kv_map_new(void);
void kv_map_free(kv_map *m);

/* The value slot for key, inserted as 0 when absent (then *added is true). The pointer is
 * valid until the next insertion. */
uint64_t *kv_map_slot(kv_map *m, const void *key, size_t len, bool *added);
/* The value slot for key, or NULL. */
uint64_t *kv_map_find(const kv_map *m, const void *key, size_t len);
size_t kv_map_count(const kv_map *m);

uint64_t kv_hash(const void *p, size_t n);

#endif
