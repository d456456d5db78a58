/* smp.c: strategic merge, as kustomize v5.5 applies a patch (kyaml's merge2 with the
 * built-in Kubernetes schema, items of the patch first in merged lists).
 *
 * Rules, checked against `kubectl kustomize`:
 * - maps merge key by key; a null in the patch deletes the key; `$patch: delete` deletes the
 *   map, `$patch: replace` puts the patch in its place, `$patch: merge` is the default (at
 *   the top of a patch, `$patch: replace` leaves the object as it is);
 * - a list merges by key only where the schema gives it strategy merge (mergekeys.c); the
 *   merged list holds the patch's items first (merged with the object's item of the same
 *   key), then the object's other items; an item `$patch: delete` removes its match; an item
 *   that is only `$patch: replace|delete|merge` applies to the whole list;
 * - lists with two keys (ports: containerPort and protocol) follow kyaml's steps literally
 *   (merge_keyed_literal): no simpler rule gives its results when protocols are given for
 *   some items only;
 * - items without any key: an object's leaves only its last keyless item; a patch's leaves
 *   only the patch's keyed items; a repeated key keeps its last item, as written, at the
 *   place of the first (the object's repeats over what the patch merged);
 * - kustomize walks the whole object, so the merge lists the patch does not touch are
 *   tidied the same way (normalize);
 * - a list of scalars with strategy merge (finalizers) is the patch's values then the
 *   object's others, without repeats;
 * - every other list (and every list of a custom resource, or of a kind newer than
 *   kustomize's Kubernetes 1.21 schema) is replaced, directives and all;
 * - a number or boolean over a quoted string takes its quotes (kyaml keeps the replaced
 *   value's style), so it stays a string;
 * - $setElementOrder, $retainKeys and $deleteFromPrimitiveList mean nothing to kustomize:
 *   they stay in the object as fields, as kustomize leaves them (schema validation then
 *   reports them at the patch's line);
 * - a map where the object has a list (or any such mismatch) is refused.
 * Everything taken from the patch is copied with its positions, so a finding on a patched
 * field points at the patch. Lists and big maps are merged through hash indexes: linear in
 * their size. */
#include "patch.h"

#include "kvet/alloc.h"
#include "kvet/map.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deeper patches are refused (the loader bounds nesting too; this guards the recursion). */
#define MAX_DEPTH 256
#define MAX_KEYS 4

/* ---- the schema ---- */

static int kind_cmp(const void *key, const void *elem)
{
	const rn_mk_kind *a = key, *b = elem;
	int c = strcmp(a->group, b->group);
	if (c == 0)
		c = strcmp(a->version, b->version);
	return c ? c : strcmp(a->kind, b->kind);
}

int rn_mk_kind_type(const char *group, const char *version, const char *kind)
{
	if (!group || !version || !kind)
		return -1;
	rn_mk_kind key = {group, version, kind, -1};
	const rn_mk_kind *k = bsearch(&key, rn_mk_kinds, rn_mk_nkinds, sizeof *rn_mk_kinds, kind_cmp);
	return k ? k->type : -1;
}

const rn_mk_field *rn_mk_field_of(int type, const char *key, size_t klen)
{
	if (type < 0)
		return NULL;
	const rn_mk_type *t = &rn_mk_types[type];
	for (uint16_t i = 0; i < t->n; i++) {
		const rn_mk_field *f = &rn_mk_fields[t->first + i];
		if (strlen(f->name) == klen && memcmp(f->name, key, klen) == 0)
			return f;
	}
	return NULL;
}

/* Where a value stands in the schema: a map of a type, a map of maps of a type, or a list. */
typedef struct {
	int type;                  /* for a map: its type, or -1 */
	bool mapof;                /* a map whose values are of type */
	const rn_mk_field *list;   /* for a list: its field */
} sch;

static const sch no_schema = {-1, false, NULL};

static sch child_of(sch s, const char *key, size_t klen)
{
	if (s.mapof)
		return (sch){s.type, false, NULL};
	const rn_mk_field *f = rn_mk_field_of(s.type, key, klen);
	if (!f)
		return no_schema;
	switch (f->how) {
	case RN_MK_OBJECT:
		return (sch){f->type, false, NULL};
	case RN_MK_MAPOF:
		return (sch){f->type, true, NULL};
	default:
		return (sch){-1, false, f};
	}
}

/* kyaml looks a map without a schema up by its own apiVersion and kind (embedded objects). */
static int type_of_object(const kv_node *obj)
{
	const char *av = kv_str(kv_map_get(obj, "apiVersion")), *kind = kv_str(kv_map_get(obj, "kind"));
	if (!av || !kind)
		return -1;
	char group[128] = "", version[64];
	const char *slash = strchr(av, '/');
	if (slash) {
		size_t gl = (size_t)(slash - av);
		if (gl >= sizeof group || strlen(slash + 1) >= sizeof version)
			return -1;
		memcpy(group, av, gl);
		group[gl] = '\0';
		snprintf(version, sizeof version, "%s", slash + 1);
	} else {
		if (strlen(av) >= sizeof version)
			return -1;
		snprintf(version, sizeof version, "%s", av);
	}
	return rn_mk_kind_type(group, version, kind);
}

/* ---- merging ---- */

typedef struct {
	kv_render *r;
	int depth;
	bool failed;
} smp;

static kv_node *merge(smp *m, kv_node *dest, const kv_node *patch, sch s);
static kv_node *normalize(smp *m, kv_node *n, sch s);

static void fail(smp *m, const kv_node *at, const char *hint, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void fail(smp *m, const kv_node *at, const char *hint, const char *fmt, ...)
{
	if (m->failed)
		return;
	m->failed = true;
	kv_buf msg = KV_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kv_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	rn_problem(m->r, at->src, at, KV_RULE_RENDER_CONFLICT, hint, "%s", kv_buf_cstr(&msg));
	kv_buf_free(&msg);
}

typedef enum { D_NONE, D_MERGE, D_REPLACE, D_DELETE, D_BAD } directive;

static directive directive_of(const kv_node *v)
{
	if (kv_str_eq(v, "merge"))
		return D_MERGE;
	if (kv_str_eq(v, "replace"))
		return D_REPLACE;
	if (kv_str_eq(v, "delete"))
		return D_DELETE;
	return D_BAD;
}

static const char *shape(const kv_node *n)
{
	return n->type == KV_MAP ? "a map" : n->type == KV_LIST ? "a list" : "a scalar";
}

static bool same_shape(const kv_node *a, const kv_node *b)
{
	bool am = a->type == KV_MAP, al = a->type == KV_LIST, bm = b->type == KV_MAP, bl = b->type == KV_LIST;
	return am == bm && al == bl;
}

/* The position in dest of key, through idx when built. */
static long find_key(const kv_pair *pairs, uint32_t n, kv_map *idx, const kv_node *key)
{
	if (idx) {
		uint64_t *slot = kv_map_find(idx, key->u.s, key->len);
		return slot ? (long)*slot - 1 : -1;
	}
	for (uint32_t i = 0; i < n; i++)
		if (pairs[i].key->len == key->len && memcmp(pairs[i].key->u.s, key->u.s, key->len) == 0)
			return (long)i;
	return -1;
}

static kv_node *merge_map(smp *m, kv_node *dest, const kv_node *patch, sch s)
{
	const kv_node *pd = kv_map_get(patch, "$patch");
	directive d = pd ? directive_of(pd) : D_NONE;
	if (d == D_BAD) {
		fail(m, pd, "use delete, replace or merge", "$patch: %s is not a patch strategy", kv_str(pd) ? kv_str(pd) : "?");
		return dest;
	}
	if (d == D_DELETE)
		return NULL;
	if (d == D_REPLACE || !dest)
		dest = rn_new_map(m->r, patch);
	if (s.type < 0 && !s.mapof && !s.list) {
		s.type = type_of_object(dest);
		if (s.type < 0)
			s.type = type_of_object(patch);
	}
	uint32_t cap = dest->len + patch->len;
	kv_pair *pairs = kv_arena_alloc(m->r->arena, sizeof *pairs * (cap ? cap : 1));
	if (dest->len)
		memcpy(pairs, dest->u.pairs, sizeof *pairs * dest->len);
	uint32_t n = dest->len;
	kv_map *idx = NULL;
	if (cap > 16) {
		idx = kv_map_new();
		for (uint32_t i = 0; i < n; i++) {
			uint64_t *slot = kv_map_slot(idx, pairs[i].key->u.s, pairs[i].key->len, NULL);
			if (!*slot)
				*slot = i + 1;
		}
	}
	bool removed = false;
	uint32_t nd = n;
	bool *touched = kv_xcalloc(nd ? nd : 1, sizeof *touched);
	for (uint32_t i = 0; i < patch->len && !m->failed; i++) {
		const kv_pair *p = &patch->u.pairs[i];
		if (kv_str_eq(p->key, "$patch"))
			continue;
		long at = find_key(pairs, n, idx, p->key);
		if (at >= 0 && (uint32_t)at < nd)
			touched[at] = true;
		kv_node *v = merge(m, at >= 0 ? pairs[at].value : NULL, p->value, child_of(s, p->key->u.s, p->key->len));
		if (at >= 0) {
			pairs[at].value = v;
			removed |= v == NULL;
		} else if (v) {
			pairs[n].key = rn_copy(m->r, p->key);
			pairs[n].value = v;
			if (idx)
				*kv_map_slot(idx, p->key->u.s, p->key->len, NULL) = n + 1;
			n++;
		}
	}
	kv_map_free(idx);
	/* kustomize walks the object's other fields too, which tidies their merge lists */
	for (uint32_t i = 0; i < nd && !m->failed; i++)
		if (!touched[i] && pairs[i].value)
			pairs[i].value = normalize(m, pairs[i].value, child_of(s, pairs[i].key->u.s, pairs[i].key->len));
	free(touched);
	if (removed) {
		uint32_t kept = 0;
		for (uint32_t i = 0; i < n; i++)
			if (pairs[i].value)
				pairs[kept++] = pairs[i];
		n = kept;
	}
	dest->u.pairs = pairs;
	dest->len = n;
	return dest;
}

/* The text kyaml compares list keys by: a scalar's value; "" for anything else. */
static void scalar_text(const kv_node *n, kv_buf *out)
{
	if (!n)
		return;
	switch ((kv_type)n->type) {
	case KV_STRING:
		kv_buf_add(out, n->u.s, n->len);
		break;
	case KV_INT:
		kv_buf_printf(out, "%lld", (long long)n->u.i);
		break;
	case KV_DOUBLE:
		kv_buf_printf(out, "%.17g", n->u.d);
		break;
	case KV_BOOL:
		kv_buf_puts(out, n->u.b ? "true" : "false");
		break;
	default:
		break;
	}
}

typedef struct {
	const char *names[MAX_KEYS];
	size_t lens[MAX_KEYS];
	int n;
} keyset;

static void keys_parse(const char *spec, keyset *k)
{
	k->n = 0;
	const char *p = spec;
	while (*p && k->n < MAX_KEYS) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		k->names[k->n] = p;
		k->lens[k->n++] = len;
		p += len + (e ? 1 : 0);
	}
}

/* The identity of item under keys: a mask of the keys it has (non-empty), then their values.
 * Keys it lacks do not take part in matching, as kustomize does; with none at all, every key
 * takes part (with empty values). */
static unsigned item_id(const kv_node *item, const keyset *k, unsigned want, kv_buf *out)
{
	kv_buf t = KV_BUF_INIT;
	unsigned mask = want;
	for (int i = 0; !want && i < k->n; i++) {
		kv_buf_truncate(&t, 0);
		scalar_text(kv_map_getn(item, k->names[i], k->lens[i]), &t);
		if (t.len)
			mask |= 1u << i;
	}
	if (!mask)
		mask = (1u << k->n) - 1;
	kv_buf_truncate(out, 0);
	kv_buf_putc(out, (char)mask);
	for (int i = 0; i < k->n; i++) {
		if (!(mask & (1u << i)))
			continue;
		scalar_text(kv_map_getn(item, k->names[i], k->lens[i]), out);
		kv_buf_putc(out, '\0');
	}
	kv_buf_free(&t);
	return mask;
}

/* The mask of the keys an item has (non-empty values). */
static unsigned item_mask(const kv_node *item, const keyset *k)
{
	unsigned mask = 0;
	kv_buf t = KV_BUF_INIT;
	for (int i = 0; i < k->n; i++) {
		kv_buf_truncate(&t, 0);
		scalar_text(kv_map_getn(item, k->names[i], k->lens[i]), &t);
		if (t.len)
			mask |= 1u << i;
	}
	kv_buf_free(&t);
	return mask;
}

/* The first item of dest with the identity id (made by item_id with mask), through a lazily
 * built index per mask. An item matches only with the same keys present: an item without a
 * protocol is not the same port as one with it, as kustomize sees them. With primary set,
 * whether an item has the first key of id (made with mask 1) with other keys present than
 * mask (slot 0 holds, per first key, the set of key sets seen). */
typedef struct {
	kv_map *by_mask[1 << MAX_KEYS];
} dest_index;

static long find_item(const kv_node *dest, const keyset *k, dest_index *ix, unsigned mask, const kv_buf *id, bool primary)
{
	if (!dest)
		return -1;
	unsigned slot_of = primary ? 0 : mask;
	if (!ix->by_mask[slot_of]) {
		kv_map *idx = kv_map_new();
		kv_buf key = KV_BUF_INIT;
		for (uint32_t i = 0; i < dest->len; i++) {
			const kv_node *it = dest->u.items[i];
			if (it->type != KV_MAP)
				continue;
			unsigned have = item_mask(it, k);
			if (primary ? !(have & 1u) : have != mask)
				continue;
			item_id(it, k, primary ? 1u : mask, &key);
			uint64_t *slot = kv_map_slot(idx, key.data, key.len, NULL);
			if (primary)
				*slot |= (uint64_t)1 << have; /* the key sets seen with this first key */
			else if (!*slot)
				*slot = i + 1;
		}
		kv_buf_free(&key);
		ix->by_mask[slot_of] = idx;
	}
	uint64_t *slot = kv_map_find(ix->by_mask[slot_of], id->data, id->len);
	if (primary) /* 1 when an item has this first key with other keys than mask */
		return slot && (*slot & ~((uint64_t)1 << mask)) ? 1 : -1;
	return slot ? (long)*slot - 1 : -1;
}

static bool empty_map(const kv_node *n)
{
	return n->type == KV_MAP && n->len == 0;
}

/* A list's own directive: its first item holding $patch, when that is all the item holds. */
static directive list_directive(smp *m, const kv_node *patch, uint32_t *at)
{
	for (uint32_t i = 0; i < patch->len; i++) {
		const kv_node *it = patch->u.items[i];
		const kv_node *pd = it->type == KV_MAP ? kv_map_get(it, "$patch") : NULL;
		if (!pd)
			continue;
		if (it->len > 1)
			return D_NONE;
		directive d = directive_of(pd);
		if (d == D_BAD)
			fail(m, pd, "use delete, replace or merge", "$patch: %s is not a patch strategy", kv_str(pd) ? kv_str(pd) : "?");
		*at = i;
		return d;
	}
	return D_NONE;
}

typedef struct {
	kv_node **items;
	uint32_t n;
} items;

static void push(smp *m, items *out, kv_node *it, uint32_t cap)
{
	(void)m;
	if (out->n < cap)
		out->items[out->n++] = it;
}

/* A list of scalars merged as a set: the patch's values, then the object's others. */
static void merge_scalars(smp *m, const kv_node *dest, const kv_node *patch, uint32_t skip, items *out, uint32_t cap)
{
	kv_map *seen = kv_map_new();
	kv_buf t = KV_BUF_INIT;
	const kv_node *lists[2] = {patch, dest};
	for (int l = 0; l < 2; l++) {
		for (uint32_t i = 0; lists[l] && i < lists[l]->len; i++) {
			if (l == 0 && i == skip)
				continue;
			kv_node *it = lists[l]->u.items[i];
			kv_buf_truncate(&t, 0);
			scalar_text(it, &t);
			bool added = false;
			kv_map_slot(seen, t.data, t.len, &added);
			if (added)
				push(m, out, l == 0 ? rn_copy(m->r, it) : it, cap);
		}
	}
	kv_buf_free(&t);
	kv_map_free(seen);
}

static int bits(unsigned m)
{
	int n = 0;
	for (; m; m &= m - 1)
		n++;
	return n;
}

/* Maps merged by key: each of the patch's items merged with the object's of the same key, in
 * the patch's order, then the object's items the patch did not name. Lists with two keys
 * (ports: containerPort and protocol) behave as kustomize's do: an item matched on both keys
 * stays at the object's position; a patch item whose first key matches an object's item
 * with other keys present is dropped (kustomize loses it). */
static void merge_items(smp *m, const kv_node *dest, const kv_node *patch, uint32_t skip, const rn_mk_field *lf,
			items *out, uint32_t cap)
{
	keyset k;
	keys_parse(lf->keys, &k);
	/* Items without any key throw kustomize off, with results kubectl shows: an object's
	 * keyless item leaves only the last of them; a patch's keyless item leaves only the
	 * patch's keyed items (merged). */
	const kv_node *keyless = NULL;
	bool patch_keyless = false;
	const kv_node *base = dest ? dest : patch; /* without the object's list, kustomize merges the patch's with itself */
	for (uint32_t i = 0; i < base->len; i++)
		if (base->u.items[i]->type == KV_MAP && (base != patch || i != skip) && item_mask(base->u.items[i], &k) == 0)
			keyless = base->u.items[i];
	if (keyless && !dest)
		keyless = rn_copy(m->r, keyless);
	if (keyless) {
		push(m, out, (kv_node *)keyless, cap);
		return;
	}
	for (uint32_t i = 0; i < patch->len; i++)
		if (i != skip && patch->u.items[i]->type == KV_MAP && item_mask(patch->u.items[i], &k) == 0)
			patch_keyless = true;
	dest_index ix = {{0}};
	uint32_t nd = dest ? dest->len : 0;
	enum { KEEP, USED, GONE, REPLACED };
	uint8_t *state = kv_xcalloc(nd ? nd : 1, 1);
	kv_node **repl = kv_xcalloc(nd ? nd : 1, sizeof *repl);
	kv_map *seen = kv_map_new(), *last = NULL, *dlast = kv_map_new(), *dseen = kv_map_new();
	kv_buf id = KV_BUF_INIT, pid = KV_BUF_INIT;
	sch item = {lf->type, false, NULL};
	/* An object's repeated key: kustomize puts its last item back, as written, at the place
	 * of the first (over what the patch merged into the first). */
	for (uint32_t i = 0; i < nd; i++)
		if (dest->u.items[i]->type == KV_MAP) {
			item_id(dest->u.items[i], &k, 0, &id);
			*kv_map_slot(dlast, id.data, id.len, NULL) = i + 1;
		}
	if (!dest) {
		/* the patch merged with itself: of items with one key, the first is merged (and may
		 * delete them all), then the last is put back, as written, at its place */
		last = kv_map_new();
		for (uint32_t i = 0; i < patch->len; i++)
			if (i != skip && patch->u.items[i]->type == KV_MAP) {
				item_id(patch->u.items[i], &k, 0, &id);
				*kv_map_slot(last, id.data, id.len, NULL) = i + 1;
			}
	}
	for (uint32_t i = 0; i < patch->len && !m->failed; i++) {
		const kv_node *p = patch->u.items[i];
		if (i == skip)
			continue;
		if (p->type != KV_MAP) {
			if (p->type != KV_NULL)
				fail(m, p, NULL, "an item of a list merged by %s must be a map, not %s", lf->keys, shape(p));
			continue;
		}
		if (patch_keyless && item_mask(p, &k) == 0)
			continue;
		unsigned mask = item_id(p, &k, 0, &id);
		bool added = false;
		kv_map_slot(seen, id.data, id.len, &added);
		if (!added)
			continue; /* kustomize merges the first item of a key only */
		const kv_node *raw_last = NULL;
		if (last) {
			uint32_t li = (uint32_t)*kv_map_find(last, id.data, id.len) - 1;
			raw_last = li != i ? patch->u.items[li] : NULL;
		}
		long at = find_item(dest, &k, &ix, mask, &id, false);
		if (at < 0 && k.n > 1 && (mask & 1u)) {
			item_id(p, &k, 1u, &pid);
			if (find_item(dest, &k, &ix, mask, &pid, true) >= 0)
				continue;
		}
		kv_node *v = merge(m, at >= 0 ? dest->u.items[at] : NULL, p, item);
		if (v && raw_last)
			v = rn_copy(m->r, raw_last); /* kustomize puts the last item back as written */
		if (at >= 0) {
			item_id(dest->u.items[at], &k, 0, &pid);
			kv_map_slot(dseen, pid.data, pid.len, NULL);
			uint64_t dl = *kv_map_find(dlast, pid.data, pid.len);
			if (v && dl != (uint64_t)at + 1)
				v = dest->u.items[dl - 1];
		}
		bool keep = v && !empty_map(v);
		if (at >= 0 && k.n > 1 && bits(mask) > 1) {
			state[at] = keep ? REPLACED : GONE;
			repl[at] = v;
			continue;
		}
		if (at >= 0)
			state[at] = USED;
		if (keep)
			push(m, out, v, cap);
	}
	for (uint32_t i = 0; i < nd && !m->failed; i++) {
		kv_node *it = dest->u.items[i];
		if (state[i] == REPLACED) {
			push(m, out, repl[i], cap);
			continue;
		}
		if (state[i] != KEEP || patch_keyless)
			continue;
		if (it->type != KV_MAP) {
			push(m, out, it, cap);
			continue;
		}
		item_id(it, &k, 0, &id);
		bool added = false;
		kv_map_slot(dseen, id.data, id.len, &added);
		if (!added)
			continue;
		uint64_t dl = *kv_map_find(dlast, id.data, id.len);
		push(m, out, dl != (uint64_t)i + 1 ? dest->u.items[dl - 1] : normalize(m, it, item), cap);
	}
	for (int i = 0; i < (1 << MAX_KEYS); i++)
		kv_map_free(ix.by_mask[i]);
	kv_buf_free(&id);
	kv_buf_free(&pid);
	kv_map_free(seen);
	kv_map_free(last);
	kv_map_free(dlast);
	kv_map_free(dseen);
	free(state);
	free(repl);
}

/* ---- lists with several keys, step by step as kyaml merges them ----
 * kustomize's merge of lists with two keys (ports: containerPort and protocol) depends on
 * the order of its steps in ways no simpler rule reproduces, so it is followed literally:
 * the key tuples of the patch's items then the object's (without repeats); each tuple's
 * items (first match, all keys present and equal) merged into a new list (replacing an item
 * with the same keys there, else appended); a deleted one removed from the object; then the
 * object's items put into the new list (each replacing, at the end, the items with its
 * keys). That costs a pass over the list per item, so it is used for lists of up to
 * LITERAL_MAX items (longer ones take merge_items' indexed rules). */
#define LITERAL_MAX 256

typedef struct {
	kv_node **v;
	uint32_t n, cap;
} nlist;

static void nl_push(nlist *l, kv_node *n)
{
	KV_GROW(l->v, l->cap, l->n + 1);
	l->v[l->n++] = n;
}

/* The text of item's field key, "" when absent, null or empty (kyaml's ElementValuesList). */
static char *field_text(kv_render *r, const kv_node *item, const char *key, size_t klen)
{
	const kv_node *v = item->type == KV_MAP ? kv_map_getn(item, key, klen) : NULL;
	kv_buf t = KV_BUF_INIT;
	scalar_text(v, &t);
	char *out = kv_arena_strndup(r->arena, t.data ? t.data : "", t.len);
	kv_buf_free(&t);
	return out;
}

/* kyaml's MatchField: the field is there and its scalar text is value. */
static bool field_is(const kv_node *item, const char *key, size_t klen, const char *value)
{
	const kv_node *v = kv_map_getn(item, key, klen);
	if (!v)
		return false;
	kv_buf t = KV_BUF_INIT;
	scalar_text(v, &t);
	bool eq = t.len == strlen(value) && (t.len == 0 || memcmp(t.data, value, t.len) == 0);
	kv_buf_free(&t);
	return eq;
}

/* A tuple of key values, with which keys take part. */
typedef struct {
	char *val[MAX_KEYS];
	int n;
} tuple;

/* kyaml's ElementList: the first map item with every key present and equal (its index, or
 * -1). */
static long element_list(const nlist *l, const keyset *k, const int *which, const tuple *t)
{
	for (uint32_t i = 0; i < l->n; i++) {
		const kv_node *it = l->v[i];
		if (it->type != KV_MAP)
			continue;
		bool all = true;
		for (int j = 0; j < t->n && all; j++)
			all = field_is(it, k->names[which[j]], k->lens[which[j]], t->val[j]);
		if (all)
			return (long)i;
	}
	return -1;
}

/* item without its $patch field (a shallow copy). */
static kv_node *without_directive(kv_render *r, const kv_node *item)
{
	kv_node *c = rn_new_map(r, item);
	c->u.pairs = kv_arena_alloc(r->arena, sizeof *c->u.pairs * (item->len ? item->len : 1));
	for (uint32_t i = 0; i < item->len; i++)
		if (!kv_str_eq(item->u.pairs[i].key, "$patch"))
			c->u.pairs[c->len++] = item->u.pairs[i];
	return c;
}

/* kyaml's ElementSetter: drops empty items; replaces (element) or removes (NULL) every map
 * item whose keys match (an empty value matches any value; keys past the values count as
 * the last one did); appends element when none matched. */
static void element_setter(nlist *l, kv_node *element, const keyset *k, const int *which, int nkeys, char **vals,
			   int nvals)
{
	uint32_t kept = 0;
	bool found_any = false;
	for (uint32_t i = 0; i < l->n; i++) {
		kv_node *it = l->v[i];
		if (it->type == KV_NULL || (it->type == KV_MAP && it->len == 0))
			continue;
		if (it->type != KV_MAP && nkeys > 0 && nvals > 0 && *vals[0]) {
			l->v[kept++] = it;
			continue;
		}
		bool found = true, last = false;
		for (int j = 0; j < nkeys; j++) {
			if (j < nvals) {
				const kv_node *f = it->type == KV_MAP ? kv_map_getn(it, k->names[which[j]], k->lens[which[j]]) : NULL;
				last = f && (!*vals[j] || field_is(it, k->names[which[j]], k->lens[which[j]], vals[j]));
			}
			if (!last) {
				found = false;
				break;
			}
		}
		if (!found) {
			l->v[kept++] = it;
			continue;
		}
		found_any = true;
		if (element)
			l->v[kept++] = element;
	}
	l->n = kept;
	if (element && !found_any)
		nl_push(l, element);
}

/* kyaml's validateKeys over the whole list of tuples: the keys some tuple has, and this
 * tuple's values for them. */
static int valid_keys(const tuple *all, uint32_t nall, const tuple *t, int nkeys, int *which, tuple *out)
{
	unsigned have = 0;
	for (uint32_t i = 0; i < nall; i++)
		for (int j = 0; j < nkeys; j++)
			if (*all[i].val[j])
				have |= 1u << j;
	out->n = 0;
	if (!have)
		have = (1u << nkeys) - 1;
	for (int j = 0; j < nkeys; j++)
		if (have & (1u << j)) {
			which[out->n] = j;
			out->val[out->n++] = t->val[j];
		}
	return out->n;
}

static bool tuple_eq(const tuple *a, const tuple *b, int n)
{
	for (int j = 0; j < n; j++)
		if (strcmp(a->val[j], b->val[j]) != 0)
			return false;
	return true;
}

/* kyaml's mergeValues: tuples that agree where both have a value (and share one) become
 * one; the outer tuple is read once per round, the inner ones as they are then. */
static void merge_tuples(tuple *ts, uint32_t n, int nkeys)
{
	for (uint32_t i = 0; i < n; i++) {
		tuple v1 = ts[i];
		for (uint32_t j = 0; j < n; j++) {
			tuple v2 = ts[j], res = v1;
			bool common = false, clash = false;
			for (int x = 0; x < nkeys && !clash; x++) {
				if (strcmp(v1.val[x], v2.val[x]) == 0)
					common = true;
				else if (*v1.val[x] && *v2.val[x])
					clash = true;
				else if (!*v1.val[x])
					res.val[x] = v2.val[x];
			}
			if (!common || clash)
				continue;
			ts[i] = res;
			ts[j] = res;
		}
	}
}

static kv_node *merge_keyed_literal(smp *m, kv_node *dest, const kv_node *patch, uint32_t skip, const rn_mk_field *lf)
{
	keyset k;
	keys_parse(lf->keys, &k);
	sch item = {lf->type, false, NULL};
	nlist d = {0}, p = {0}, res = {0};
	/* without the object's list, kyaml merges the patch's with itself */
	const kv_node *dsrc = dest ? dest : patch;
	for (uint32_t i = 0; i < dsrc->len; i++)
		if (dest || i != skip)
			nl_push(&d, dest ? dsrc->u.items[i] : rn_copy(m->r, dsrc->u.items[i]));
	for (uint32_t i = 0; i < patch->len; i++)
		if (i != skip)
			nl_push(&p, patch->u.items[i]);
	/* the tuples: the patch's items, then the object's */
	tuple *ts = kv_xcalloc(p.n + d.n + 1, sizeof *ts);
	uint32_t nt = 0;
	const nlist *srcs[2] = {&p, &d};
	for (int s2 = 0; s2 < 2; s2++)
		for (uint32_t i = 0; i < srcs[s2]->n; i++) {
			tuple t = {.n = k.n};
			for (int j = 0; j < k.n; j++)
				t.val[j] = field_text(m->r, srcs[s2]->v[i], k.names[j], k.lens[j]);
			bool seen = false;
			for (uint32_t x = 0; x < nt && !seen; x++)
				seen = tuple_eq(&ts[x], &t, k.n);
			if (!seen)
				ts[nt++] = t;
		}
	merge_tuples(ts, nt, k.n);
	bool *elided = kv_xcalloc(p.n + 1, sizeof *elided);
	int which[MAX_KEYS], last_which[MAX_KEYS] = {0};
	tuple vt, last_vt = {.n = 0};
	for (uint32_t i = 0; i < nt && !m->failed; i++) {
		valid_keys(ts, nt, &ts[i], k.n, which, &vt);
		/* the sources are looked up with the keys this tuple has */
		int own[MAX_KEYS];
		tuple ot;
		valid_keys(&ts[i], 1, &ts[i], k.n, own, &ot);
		long di = element_list(&d, &k, own, &ot), pi = element_list(&p, &k, own, &ot);
		kv_node *de = di >= 0 ? d.v[di] : NULL;
		const kv_node *pe = pi >= 0 ? p.v[pi] : NULL;
		/* kyaml takes a $patch out of the patch's item once it has read it: an item met
		 * again (tuples made one by mergeValues) has none */
		if (pe && kv_map_get(pe, "$patch")) {
			if (elided[pi])
				pe = without_directive(m->r, pe);
			elided[pi] = true;
		}
		kv_node *val = pe ? merge(m, de, pe, item) : de ? normalize(m, de, item) : NULL;
		memcpy(last_which, which, sizeof which);
		last_vt = vt;
		if (!val || (val->type == KV_MAP && val->len == 0)) {
			element_setter(&d, NULL, &k, which, vt.n, vt.val, vt.n);
			continue;
		}
		element_setter(&res, val, &k, which, vt.n, vt.val, vt.n);
	}
	if (nt > 0) {
		/* the object's items into the new list, with the keys of the last tuple */
		for (uint32_t i = 0; i < d.n && !m->failed; i++) {
			kv_node *it = d.v[i];
			char *v[MAX_KEYS];
			int nv = 0;
			for (int j = 0; j < last_vt.n; j++) {
				const kv_node *f = it->type == KV_MAP ? kv_map_getn(it, k.names[last_which[j]], k.lens[last_which[j]]) : NULL;
				if (!f) {
					nl_push(&res, it);
					continue;
				}
				v[nv++] = field_text(m->r, it, k.names[last_which[j]], k.lens[last_which[j]]);
			}
			if (last_vt.n > 1)
				element_setter(&res, NULL, &k, last_which, last_vt.n, v, nv);
			element_setter(&res, it, &k, last_which, last_vt.n, v, nv);
		}
	} else {
		res = d;
		d = (nlist){0};
	}
	kv_node *l = dest ? dest : rn_new_list(m->r, patch);
	l->u.items = kv_arena_alloc(m->r->arena, sizeof *l->u.items * (res.n ? res.n : 1));
	if (res.n)
		memcpy(l->u.items, res.v, sizeof *l->u.items * res.n);
	l->len = res.n;
	free(ts);
	free(elided);
	free(d.v);
	free(p.v);
	free(res.v);
	return l;
}

static kv_node *merge_list(smp *m, kv_node *dest, const kv_node *patch, sch s)
{
	if (!s.list || !s.list->merge)
		return rn_copy(m->r, patch);
	uint32_t skip = UINT32_MAX;
	/* without the object's list, kyaml takes the patch's as it is, directives and all */
	directive d = dest ? list_directive(m, patch, &skip) : D_NONE;
	if (d == D_DELETE)
		return NULL;
	if (d == D_REPLACE)
		dest = NULL;
	uint32_t cap = patch->len + (dest ? dest->len : 0);
	if (strchr(s.list->keys, ',') && cap <= LITERAL_MAX)
		return merge_keyed_literal(m, dest, patch, skip, s.list);
	items out = {kv_arena_alloc(m->r->arena, sizeof(kv_node *) * (cap ? cap : 1)), 0};
	if (*s.list->keys)
		merge_items(m, dest, patch, skip, s.list, &out, cap);
	else
		merge_scalars(m, dest, patch, skip, &out, cap);
	kv_node *l = dest ? dest : rn_new_list(m->r, patch);
	l->u.items = out.items;
	l->len = out.n;
	return l;
}

/* A scalar of the patch in place of dest's. kyaml gives the new value the old one's style:
 * over a quoted (or block) string, a number or boolean is written quoted, so it becomes a
 * string. */
static kv_node *scalar_over(smp *m, const kv_node *dest, const kv_node *patch)
{
	if (!dest || !(dest->flags & KV_NF_QUOTED) || patch->type == KV_STRING)
		return rn_copy(m->r, patch);
	kv_buf t = KV_BUF_INIT;
	scalar_text(patch, &t);
	kv_node *v = rn_new_string(m->r, t.data ? t.data : "", t.len, patch);
	kv_buf_free(&t);
	return v;
}

/* The merge of patch into dest (NULL: absent), at schema position s: the new value, or NULL
 * to delete it. */
static kv_node *merge(smp *m, kv_node *dest, const kv_node *patch, sch s)
{
	if (m->failed)
		return dest;
	if (patch->type == KV_NULL)
		return NULL;
	if (dest && dest->type == KV_NULL)
		dest = NULL;
	if (dest && !same_shape(dest, patch)) {
		fail(m, patch, "kustomize refuses a patch whose value has another shape than the object's",
		     "the patch has %s where the object has %s", shape(patch), shape(dest));
		return dest;
	}
	if (++m->depth > MAX_DEPTH) {
		m->depth--;
		fail(m, patch, NULL, "the patch nests deeper than %d levels", MAX_DEPTH);
		return dest;
	}
	kv_node *v;
	if (patch->type == KV_MAP)
		v = merge_map(m, dest, patch, s);
	else if (patch->type == KV_LIST)
		v = merge_list(m, dest, patch, s);
	else
		v = scalar_over(m, dest, patch);
	m->depth--;
	return v;
}

/* What kustomize's walk does to a value the patch does not touch: its merge lists are
 * merged with nothing (repeated keys and keyless items then behave as in merge_items),
 * the rest is kept. */
static kv_node *normalize(smp *m, kv_node *n, sch s)
{
	if (m->failed || !n)
		return n;
	if (++m->depth > MAX_DEPTH) {
		m->depth--;
		fail(m, n, NULL, "the object nests deeper than %d levels", MAX_DEPTH);
		return n;
	}
	if (n->type == KV_MAP) {
		if (s.type < 0 && !s.mapof && !s.list)
			s.type = type_of_object(n);
		for (uint32_t i = 0; i < n->len; i++)
			n->u.pairs[i].value = normalize(m, n->u.pairs[i].value,
							child_of(s, n->u.pairs[i].key->u.s, n->u.pairs[i].key->len));
	} else if (n->type == KV_LIST && s.list && s.list->merge) {
		static const kv_node nothing = {.type = KV_LIST};
		kv_node *v = merge_list(m, n, &nothing, s);
		n = v ? v : n;
	}
	m->depth--;
	return n;
}

int rn_smp_apply(kv_render *r, kv_node **obj, const kv_node *patch)
{
	smp m = {r, 0, false};
	if (patch->type != KV_MAP) {
		rn_problem(r, patch->src, patch, KV_RULE_RENDER_CONFLICT, NULL, "a strategic merge patch must be a map, not %s",
			   kv_type_phrase((kv_type)patch->type));
		return -1;
	}
	/* kustomize leaves the object as it is for `$patch: replace` at the top of a patch */
	if (kv_str_eq(kv_map_get(patch, "$patch"), "replace"))
		return 0;
	sch top = {type_of_object(*obj), false, NULL};
	*obj = merge(&m, *obj, patch, top);
	return m.failed ? -1 : 0;
}
