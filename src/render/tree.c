/* tree.c: editing value trees during a render. Trees live in the render's arena; maps and
 * lists grow by copying their arrays (old ones are left to the arena). A node made here
 * takes the position of the node that caused it, so findings on it point at the line of the
 * kustomization (or patch) that put it there. */
#include "internal.h"

#include <string.h>

static kv_node *new_node(kv_render *r, kv_type type, const kv_node *cause)
{
	kv_node *n = kv_arena_alloc(r->arena, sizeof *n);
	memset(n, 0, sizeof *n);
	n->type = (uint8_t)type;
	if (cause) {
		n->src = cause->src;
		n->line = cause->line;
		n->col = cause->col;
	}
	return n;
}

kv_node *rn_new_map(kv_render *r, const kv_node *cause)
{
	return new_node(r, KV_MAP, cause);
}

kv_node *rn_new_list(kv_render *r, const kv_node *cause)
{
	return new_node(r, KV_LIST, cause);
}

kv_node *rn_new_string(kv_render *r, const char *s, size_t len, const kv_node *cause)
{
	kv_node *n = new_node(r, KV_STRING, cause);
	n->u.s = kv_arena_strndup(r->arena, s, len);
	n->len = (uint32_t)len;
	n->flags = KV_NF_QUOTED; /* a string made here is a string, whatever it looks like */
	return n;
}

kv_node *rn_copy(kv_render *r, const kv_node *n)
{
	return kv_node_clone(r->arena, n);
}

kv_node *rn_get(const kv_node *map, const char *key)
{
	return map && map->type == KV_MAP ? kv_map_get(map, key) : NULL;
}

/* The array grow last gave a list or a map, and its room: entries added fill it in place, so
 * building a list or map of n entries costs O(n) copies, not O(n^2). A node whose entries were
 * set another way (its array is not the recorded one) gets a new array first. */
typedef struct {
	void *items;
	uint32_t cap;
} grown;

/* Room for one more entry (size bytes) at the end of list or map n: the slot; n->len counts
 * it. */
static void *grow(kv_render *r, kv_node *n, size_t size)
{
	uint64_t *slot = kv_map_slot(r->grown, &n, sizeof n, NULL);
	grown *g = (grown *)(uintptr_t)*slot;
	void *cur = n->type == KV_MAP ? (void *)n->u.pairs : (void *)n->u.items;
	if (!g || g->items != cur || n->len >= g->cap) {
		uint32_t cap = n->len < 4 ? 8 : n->len * 2;
		void *items = kv_arena_alloc(r->arena, size * cap);
		if (n->len)
			memcpy(items, cur, size * n->len);
		if (!g) {
			g = kv_arena_alloc(r->arena, sizeof *g);
			*slot = (uint64_t)(uintptr_t)g;
		}
		g->items = items;
		g->cap = cap;
		if (n->type == KV_MAP)
			n->u.pairs = items;
		else
			n->u.items = items;
		cur = items;
	}
	return (char *)cur + size * n->len++;
}

void rn_set(kv_render *r, kv_node *map, const char *key, kv_node *value, const kv_node *cause)
{
	size_t klen = strlen(key);
	for (uint32_t i = 0; i < map->len; i++) {
		kv_node *k = map->u.pairs[i].key;
		if (k->len == klen && memcmp(k->u.s, key, klen) == 0) {
			map->u.pairs[i].value = value;
			return;
		}
	}
	kv_node *knode = rn_new_string(r, key, klen, cause ? cause : map);
	kv_pair *p = grow(r, map, sizeof *map->u.pairs);
	p->key = knode;
	p->value = value;
}

void rn_push(kv_render *r, kv_node *map, kv_node *key, kv_node *value)
{
	kv_pair *p = grow(r, map, sizeof *map->u.pairs);
	p->key = key;
	p->value = value;
}

bool rn_del(kv_node *map, const char *key)
{
	size_t klen = strlen(key);
	for (uint32_t i = 0; map && map->type == KV_MAP && i < map->len; i++) {
		kv_node *k = map->u.pairs[i].key;
		if (k->len == klen && memcmp(k->u.s, key, klen) == 0) {
			memmove(&map->u.pairs[i], &map->u.pairs[i + 1], sizeof *map->u.pairs * (map->len - i - 1));
			map->len--;
			return true;
		}
	}
	return false;
}

void rn_append(kv_render *r, kv_node *list, kv_node *item)
{
	*(kv_node **)grow(r, list, sizeof *list->u.items) = item;
}

kv_node *rn_path_map(kv_render *r, kv_node *root, const char *path, bool create, const kv_node *cause)
{
	kv_node *n = root;
	char key[256];
	const char *p = path;
	while (n && *p) {
		/* Field specs escape a slash inside a key as "\/". */
		size_t k = 0;
		while (*p && *p != '/' && k + 1 < sizeof key) {
			if (p[0] == '\\' && p[1] == '/')
				p++;
			key[k++] = *p++;
		}
		key[k] = '\0';
		if (*p == '/')
			p++;
		kv_node *next = rn_get(n, key);
		if ((!next || next->type == KV_NULL) && create && n->type == KV_MAP) {
			next = rn_new_map(r, cause);
			rn_set(r, n, key, next, cause);
		}
		n = next;
	}
	return n && n->type == KV_MAP ? n : NULL;
}
