/* map.c: linear-probing hash map with FNV-1a hashing; keys live in the map's own arena. */
#include "kvet/map.h"

#include "kvet/alloc.h"
#include "kvet/arena.h"

#include <stdlib.h>
#include <string.h>

struct entry {
	const char *key; /* NULL: empty slot */
	size_t len;
	uint64_t hash, value;
};

struct kv_map {
	struct entry *slots;
	size_t cap, count;
	kv_arena *keys;
};

uint64_t kv_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

kv_map *kv_map_new(void)
{
	kv_map *m = kv_xcalloc(1, sizeof *m);
	m->cap = 16;
	m->slots = kv_xcalloc(m->cap, sizeof *m->slots);
	m->keys = kv_arena_new();
	return m;
}

void kv_map_free(kv_map *m)
{
	if (!m)
		return;
	free(m->slots);
	kv_arena_free(m->keys);
	free(m);
}

static struct entry *probe(const kv_map *m, const void *key, size_t len, uint64_t h)
{
	size_t mask = m->cap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		struct entry *e = &m->slots[i];
		if (!e->key || (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0))
			return e;
	}
}

static void grow(kv_map *m)
{
	struct entry *old = m->slots;
	size_t oldcap = m->cap;
	m->cap *= 2;
	m->slots = kv_xcalloc(m->cap, sizeof *m->slots);
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key)
			*probe(m, old[i].key, old[i].len, old[i].hash) = old[i];
	free(old);
}

uint64_t *kv_map_slot(kv_map *m, const void *key, size_t len, bool *added)
{
	if ((m->count + 1) * 4 > m->cap * 3)
		grow(m);
	uint64_t h = kv_hash(key, len);
	struct entry *e = probe(m, key, len, h);
	if (added)
		*added = !e->key;
	if (!e->key) {
		/* The key must be non-NULL even when empty. */
		e->key = kv_arena_memdup(m->keys, key, len ? len : 1);
		e->len = len;
		e->hash = h;
		e->value = 0;
		m->count++;
	}
	return &e->value;
}

uint64_t *kv_map_find(const kv_map *m, const void *key, size_t len)
{
	struct entry *e = probe(m, key, len, kv_hash(key, len));
	return e->key ? &e->value : NULL;
}

size_t kv_map_count(const kv_map *m)
{
	return m->count;
}
