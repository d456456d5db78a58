/* node.c: read-only accessors for the value tree, and deep copy. */
#include "kvet/node.h"

#include <string.h>

static const char *const type_names[] = {
#define X(e, s) s,
	KV_TYPES(X)
#undef X
};

const char *kv_type_name(kv_type t)
{
	return t < KV_TYPE_COUNT ? type_names[t] : "?";
}

const char *kv_type_phrase(kv_type t)
{
	static const char *const phrases[] = {"null", "a boolean", "an integer", "a number",
					      "a string", "a list", "a map"};
	return t < KV_TYPE_COUNT ? phrases[t] : "?";
}

const kv_pair *kv_map_pair(const kv_node *n, const char *key)
{
	if (!n || n->type != KV_MAP)
		return NULL;
	size_t klen = strlen(key);
	for (uint32_t i = 0; i < n->len; i++) {
		const kv_node *k = n->u.pairs[i].key;
		if (k->len == klen && memcmp(k->u.s, key, klen) == 0)
			return &n->u.pairs[i];
	}
	return NULL;
}

kv_node *kv_map_getn(const kv_node *n, const char *key, size_t klen)
{
	if (!n || n->type != KV_MAP)
		return NULL;
	for (uint32_t i = 0; i < n->len; i++) {
		const kv_node *k = n->u.pairs[i].key;
		if (k->len == klen && memcmp(k->u.s, key, klen) == 0)
			return n->u.pairs[i].value;
	}
	return NULL;
}

kv_node *kv_map_get(const kv_node *n, const char *key)
{
	return kv_map_getn(n, key, strlen(key));
}

const char *kv_str(const kv_node *n)
{
	return n && n->type == KV_STRING ? n->u.s : NULL;
}

bool kv_str_eq(const kv_node *n, const char *s)
{
	size_t len = strlen(s);
	return n && n->type == KV_STRING && n->len == len && memcmp(n->u.s, s, len) == 0;
}

static bool numbers_equal(const kv_node *a, const kv_node *b)
{
	if (a->type == KV_INT && b->type == KV_INT)
		return a->u.i == b->u.i;
	double x = a->type == KV_INT ? (double)a->u.i : a->u.d;
	double y = b->type == KV_INT ? (double)b->u.i : b->u.d;
	return x == y;
}

/* Recursion is bounded by the loader's depth limit. */
bool kv_node_equal(const kv_node *a, const kv_node *b)
{
	if (a == b)
		return true;
	bool anum = a->type == KV_INT || a->type == KV_DOUBLE;
	bool bnum = b->type == KV_INT || b->type == KV_DOUBLE;
	if (anum && bnum)
		return numbers_equal(a, b);
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case KV_NULL:
		return true;
	case KV_BOOL:
		return a->u.b == b->u.b;
	case KV_STRING:
		return a->len == b->len && memcmp(a->u.s, b->u.s, a->len) == 0;
	case KV_LIST:
		if (a->len != b->len)
			return false;
		for (uint32_t i = 0; i < a->len; i++)
			if (!kv_node_equal(a->u.items[i], b->u.items[i]))
				return false;
		return true;
	case KV_MAP:
		if (a->len != b->len)
			return false;
		for (uint32_t i = 0; i < a->len; i++) {
			const kv_node *k = a->u.pairs[i].key;
			const kv_node *v = kv_map_getn(b, k->u.s, k->len);
			if (!v || !kv_node_equal(a->u.pairs[i].value, v))
				return false;
		}
		return true;
	default:
		return false;
	}
}

kv_node *kv_node_clone(kv_arena *a, const kv_node *n)
{
	kv_node *c = kv_arena_memdup(a, n, sizeof *n);
	switch (n->type) {
	case KV_STRING:
		c->u.s = kv_arena_strndup(a, n->u.s, n->len);
		break;
	case KV_LIST:
		c->u.items = kv_arena_alloc(a, sizeof(kv_node *) * (n->len ? n->len : 1));
		for (uint32_t i = 0; i < n->len; i++)
			c->u.items[i] = kv_node_clone(a, n->u.items[i]);
		break;
	case KV_MAP:
		c->u.pairs = kv_arena_alloc(a, sizeof(kv_pair) * (n->len ? n->len : 1));
		for (uint32_t i = 0; i < n->len; i++) {
			c->u.pairs[i].key = kv_node_clone(a, n->u.pairs[i].key);
			c->u.pairs[i].value = kv_node_clone(a, n->u.pairs[i].value);
		}
		break;
	default:
		break;
	}
	return c;
}

static bool path_from(const kv_node *n, const kv_node *target, kv_buf *out, size_t start)
{
	if (n == target)
		return true;
	size_t mark = out->len;
	if (n->type == KV_MAP) {
		for (uint32_t i = 0; i < n->len; i++) {
			const kv_pair *p = &n->u.pairs[i];
			kv_buf_printf(out, "%s%s", mark > start ? "." : "", p->key->u.s);
			if (p->key == target || path_from(p->value, target, out, start))
				return true;
			kv_buf_truncate(out, mark);
		}
	} else if (n->type == KV_LIST) {
		for (uint32_t i = 0; i < n->len; i++) {
			kv_buf_printf(out, "[%u]", i);
			if (path_from(n->u.items[i], target, out, start))
				return true;
			kv_buf_truncate(out, mark);
		}
	}
	return false;
}

bool kv_node_path(const kv_node *root, const kv_node *target, kv_buf *out)
{
	return path_from(root, target, out, out->len);
}

const kv_node *kv_node_key_of(const kv_node *root, const kv_node *target)
{
	if (root->type == KV_MAP) {
		for (uint32_t i = 0; i < root->len; i++) {
			if (root->u.pairs[i].value == target)
				return root->u.pairs[i].key;
			const kv_node *k = kv_node_key_of(root->u.pairs[i].value, target);
			if (k)
				return k;
		}
	} else if (root->type == KV_LIST) {
		for (uint32_t i = 0; i < root->len; i++) {
			const kv_node *k = kv_node_key_of(root->u.items[i], target);
			if (k)
				return k;
		}
	}
	return NULL;
}

void kv_node_set_source(kv_node *n, uint16_t src)
{
	n->src = src;
	if (n->type == KV_MAP) {
		for (uint32_t i = 0; i < n->len; i++) {
			n->u.pairs[i].key->src = src;
			kv_node_set_source(n->u.pairs[i].value, src);
		}
	} else if (n->type == KV_LIST) {
		for (uint32_t i = 0; i < n->len; i++)
			kv_node_set_source(n->u.items[i], src);
	}
}
