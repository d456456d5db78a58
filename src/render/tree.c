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
	kv_pair *pairs = kv_arena_alloc(r->arena, sizeof *pairs * (map->len + 1));
	if (map->len)
		memcpy(pairs, map->u.pairs, sizeof *pairs * map->len);
	pairs[map->len].key = rn_new_string(r, key, klen, cause ? cause : map);
	pairs[map->len].value = value;
	map->u.pairs = pairs;
	map->len++;
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

/* The array rn_append last gave a list, and its room: appends fill it in place, so building a
 * list of n items costs O(n), not O(n^2) copies. A list whose items were set another way (its
 * array is not the recorded one) gets a new array first. */
typedef struct {
	kv_node **items;
	uint32_t cap;
} grown;

void rn_append(kv_render *r, kv_node *list, kv_node *item)
{
	uint64_t *slot = kv_map_slot(r->grown, &list, sizeof list, NULL);
	grown *g = (grown *)(uintptr_t)*slot;
	if (!g || g->items != list->u.items || list->len >= g->cap) {
		uint32_t cap = list->len < 4 ? 8 : list->len * 2;
		kv_node **items = kv_arena_alloc(r->arena, sizeof *items * cap);
		if (list->len)
			memcpy(items, list->u.items, sizeof *items * list->len);
		if (!g) {
			g = kv_arena_alloc(r->arena, sizeof *g);
			*slot = (uint64_t)(uintptr_t)g;
		}
		g->items = items;
		g->cap = cap;
		list->u.items = items;
	}
	list->u.items[list->len++] = item;
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
