/* json6902.c: JSON patches (RFC 6902) on an object's tree, as kustomize applies them
 * (evanphx/json-patch): add, remove, replace, move, copy and test, with JSON pointers
 * (RFC 6901: ~0 for ~, ~1 for /, "-" for the end of a list, negative indexes from the end).
 * A path that is not there is a problem at the operation, as kustomize refuses it. Values
 * are copied from the patch with their positions. */
#include "patch.h"

#include "kvet/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	kv_render *r;
	const kv_node *op; /* the operation, for problems */
	const char *name;  /* its op */
} ctx;

static int fail(ctx *c, const kv_node *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(ctx *c, const kv_node *at, const char *fmt, ...)
{
	kv_buf msg = KV_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kv_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	rn_problem(c->r, at->src, at, KV_RULE_RENDER_CONFLICT, NULL, "%s: kustomize refuses the patch", kv_buf_cstr(&msg));
	kv_buf_free(&msg);
	return -1;
}

bool rn_json6902_is_patch(const kv_node *doc)
{
	return doc && doc->type == KV_LIST;
}

/* ---- pointers ---- */

typedef struct {
	char **tok; /* unescaped, render arena */
	size_t *len;
	size_t n;
} pointer;

/* pointer = *( "/" token ), token with ~0 and ~1 escapes. */
static int parse_pointer(ctx *c, const kv_node *path, pointer *out)
{
	const char *s = kv_str(path);
	memset(out, 0, sizeof *out);
	if (!s)
		return fail(c, path ? path : c->op, "%s needs a path (a JSON pointer string)", c->name);
	if (*s && *s != '/')
		return fail(c, path, "the path %s must start with /", s);
	size_t n = 0;
	for (const char *p = s; p < s + path->len; p++)
		n += *p == '/';
	out->tok = kv_arena_alloc(c->r->arena, sizeof *out->tok * (n ? n : 1));
	out->len = kv_arena_alloc(c->r->arena, sizeof *out->len * (n ? n : 1));
	const char *p = s, *end = s + path->len;
	while (p < end) {
		p++; /* the slash */
		const char *e = memchr(p, '/', (size_t)(end - p));
		if (!e)
			e = end;
		char *t = kv_arena_alloc(c->r->arena, (size_t)(e - p) + 1);
		size_t k = 0;
		for (const char *q = p; q < e; q++) {
			if (*q != '~') {
				t[k++] = *q;
				continue;
			}
			if (q + 1 < e && (q[1] == '0' || q[1] == '1')) {
				t[k++] = q[1] == '0' ? '~' : '/';
				q++;
				continue;
			}
			return fail(c, path, "the path %s has a ~ that is neither ~0 nor ~1", s);
		}
		t[k] = '\0';
		out->tok[out->n] = t;
		out->len[out->n++] = k;
		p = e;
	}
	return 0;
}

/* A list index: digits, optionally negative (from the end, as evanphx/json-patch allows);
 * -1 when the token is no index or out of range. end is the largest index allowed. */
static long list_index(const char *t, size_t len, long end, long size)
{
	if (len == 0 || len > 18)
		return -1;
	size_t i = t[0] == '-' ? 1 : 0;
	if (i == len)
		return -1;
	long v = 0;
	for (; i < len; i++) {
		if (t[i] < '0' || t[i] > '9')
			return -1;
		v = v * 10 + (t[i] - '0');
	}
	if (t[0] == '-')
		v = size - v;
	return v >= 0 && v <= end ? v : -1;
}

static long map_index(const kv_node *m, const char *key, size_t len)
{
	for (uint32_t i = 0; i < m->len; i++)
		if (m->u.pairs[i].key->len == len && memcmp(m->u.pairs[i].key->u.s, key, len) == 0)
			return (long)i;
	return -1;
}

/* The container of the pointer's last token: NULL with a problem when the way is not there. */
static kv_node *container(ctx *c, kv_node *root, const pointer *p, const kv_node *path)
{
	kv_node *n = root;
	for (size_t i = 0; i + 1 < p->n; i++) {
		kv_node *next = NULL;
		if (n->type == KV_MAP) {
			long at = map_index(n, p->tok[i], p->len[i]);
			next = at >= 0 ? n->u.pairs[at].value : NULL;
		} else if (n->type == KV_LIST) {
			long at = list_index(p->tok[i], p->len[i], (long)n->len - 1, n->len);
			next = at >= 0 ? n->u.items[at] : NULL;
		}
		if (!next) {
			fail(c, path, "%s: %s is not in the object", c->name, kv_str(path));
			return NULL;
		}
		n = next;
	}
	if (n->type != KV_MAP && n->type != KV_LIST) {
		fail(c, path, "%s: %s leads into a scalar", c->name, kv_str(path));
		return NULL;
	}
	return n;
}

/* ---- operations on one place ---- */

/* The value at p. A key missing from a map reads as null, as evanphx/json-patch reads it
 * (copy and test), unless missing_ok is false. */
static kv_node *get_at(ctx *c, kv_node *root, const pointer *p, const kv_node *path, bool missing_ok)
{
	if (p->n == 0)
		return root;
	kv_node *box = container(c, root, p, path);
	if (!box)
		return NULL;
	const char *t = p->tok[p->n - 1];
	size_t len = p->len[p->n - 1];
	kv_node *v = NULL;
	if (box->type == KV_MAP) {
		long at = map_index(box, t, len);
		v = at >= 0 ? box->u.pairs[at].value : NULL;
		if (!v && missing_ok) {
			v = kv_arena_alloc(c->r->arena, sizeof *v);
			*v = (kv_node){.type = KV_NULL, .src = path->src, .line = path->line, .col = path->col};
		}
	} else {
		long at = list_index(t, len, (long)box->len - 1, box->len);
		v = at >= 0 ? box->u.items[at] : NULL;
	}
	if (!v)
		fail(c, path, "%s: %s is not in the object", c->name, kv_str(path));
	return v;
}

static int remove_at(ctx *c, kv_node *root, const pointer *p, const kv_node *path)
{
	if (p->n == 0)
		return fail(c, path, "%s: the whole object cannot be removed", c->name);
	kv_node *box = container(c, root, p, path);
	if (!box)
		return -1;
	const char *t = p->tok[p->n - 1];
	size_t len = p->len[p->n - 1];
	if (box->type == KV_MAP) {
		long at = map_index(box, t, len);
		if (at < 0)
			return fail(c, path, "%s: %s is not in the object", c->name, kv_str(path));
		memmove(&box->u.pairs[at], &box->u.pairs[at + 1], sizeof *box->u.pairs * (box->len - (uint32_t)at - 1));
		box->len--;
		return 0;
	}
	long at = list_index(t, len, (long)box->len - 1, box->len);
	if (at < 0)
		return fail(c, path, "%s: %s is not in the object", c->name, kv_str(path));
	memmove(&box->u.items[at], &box->u.items[at + 1], sizeof *box->u.items * (box->len - (uint32_t)at - 1));
	box->len--;
	return 0;
}

/* add (replace false): a key set, or an item inserted; replace: a key set, or a list item
 * that must be there (evanphx/json-patch sets a missing key on replace). */
static int put_at(ctx *c, kv_node **root, const pointer *p, const kv_node *path, kv_node *v, bool replace)
{
	if (p->n == 0)
		return fail(c, path, "%s: the whole object cannot be replaced", c->name);
	kv_node *box = container(c, *root, p, path);
	if (!box)
		return -1;
	const char *t = p->tok[p->n - 1];
	size_t len = p->len[p->n - 1];
	if (box->type == KV_MAP) {
		long at = map_index(box, t, len);
		if (at >= 0) {
			box->u.pairs[at].value = v;
			return 0;
		}
		kv_pair *pairs = kv_arena_alloc(c->r->arena, sizeof *pairs * (box->len + 1));
		if (box->len)
			memcpy(pairs, box->u.pairs, sizeof *pairs * box->len);
		pairs[box->len].key = rn_new_string(c->r, t, len, path);
		pairs[box->len].value = v;
		box->u.pairs = pairs;
		box->len++;
		return 0;
	}
	if (replace) {
		long at = list_index(t, len, (long)box->len - 1, box->len);
		if (at < 0)
			return fail(c, path, "%s: %s is not in the object", c->name, kv_str(path));
		box->u.items[at] = v;
		return 0;
	}
	/* insertion: -1 is after the last item */
	long at = len == 1 && t[0] == '-' ? (long)box->len : list_index(t, len, box->len, (long)box->len + 1);
	if (at < 0)
		return fail(c, path, "%s: %s is past the end of the list", c->name, kv_str(path));
	kv_node **items = kv_arena_alloc(c->r->arena, sizeof *items * (box->len + 1));
	memcpy(items, box->u.items, sizeof *items * (size_t)at);
	items[at] = v;
	memcpy(items + at + 1, box->u.items + at, sizeof *items * (box->len - (size_t)at));
	box->u.items = items;
	box->len++;
	return 0;
}

/* ---- one operation ---- */

static int apply_op(kv_render *r, kv_node **obj, const kv_node *op)
{
	ctx c = {r, op, "?"};
	if (op->type != KV_MAP)
		return fail(&c, op, "a JSON patch operation must be a map with op and path, not %s",
			    kv_type_phrase((kv_type)op->type));
	const kv_node *name = kv_map_get(op, "op"), *path = kv_map_get(op, "path");
	const kv_node *value = kv_map_get(op, "value"), *from = kv_map_get(op, "from");
	c.name = kv_str(name) ? kv_str(name) : "?";
	if (!kv_str(name))
		return fail(&c, name ? name : op, "a JSON patch operation needs op (add, remove, replace, move, copy or test)");
	pointer p, fp;
	if (parse_pointer(&c, path, &p) < 0)
		return -1;
	kv_node null_value = {.type = KV_NULL, .src = op->src, .line = op->line, .col = op->col};
	if (!value)
		value = &null_value; /* as kustomize: an operation without a value gives null */
	if (strcmp(c.name, "add") == 0)
		return put_at(&c, obj, &p, path, rn_copy(r, value), false);
	if (strcmp(c.name, "replace") == 0)
		return put_at(&c, obj, &p, path, rn_copy(r, value), true);
	if (strcmp(c.name, "remove") == 0)
		return remove_at(&c, *obj, &p, path);
	if (strcmp(c.name, "test") == 0) {
		kv_node *have = get_at(&c, *obj, &p, path, true);
		if (!have)
			return -1;
		if (!kv_node_equal(have, value))
			return fail(&c, value, "test: the value at %s is not the one given", kv_str(path));
		return 0;
	}
	if (strcmp(c.name, "move") == 0 || strcmp(c.name, "copy") == 0) {
		if (parse_pointer(&c, from, &fp) < 0)
			return -1;
		kv_node *v = get_at(&c, *obj, &fp, from, strcmp(c.name, "copy") == 0);
		if (!v)
			return -1;
		if (strcmp(c.name, "copy") == 0)
			return put_at(&c, obj, &p, path, rn_copy(r, v), false);
		if (fp.n == 0)
			return fail(&c, from, "move: the whole object cannot be moved");
		if (remove_at(&c, *obj, &fp, from) < 0)
			return -1;
		return put_at(&c, obj, &p, path, v, false);
	}
	return fail(&c, name, "%s is not a JSON patch operation (add, remove, replace, move, copy, test)", c.name);
}

int rn_json6902_apply(kv_render *r, kv_node **obj, const kv_node *ops)
{
	for (uint32_t i = 0; i < ops->len; i++)
		if (apply_op(r, obj, ops->u.items[i]) < 0)
			return -1;
	return 0;
}
