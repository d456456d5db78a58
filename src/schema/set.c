/* set.c: the ordered sources of schemas a run uses. The repository's CRDs come first, then
 * each schema location in the order given. Frozen before validation starts: one hash index
 * over every eager source, consulted read-only by all threads; lazy sources (templates) are
 * asked only when they come earlier than the indexed hit, or nothing is indexed. */
#include "internal.h"

#include "kvet/alloc.h"
#include "kvet/map.h"
#include "kvet/strutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct source {
	kv_schema *schema; /* NULL for a lazy source */
	kv_schema_lazy_fn fn;
	void *ud;
	void (*free_ud)(void *);
};

struct hit {
	kv_sref ref;
	size_t position; /* where the hit's source stands in the lookup order */
};

struct kv_schemaset {
	struct source *repo, *src;
	size_t nrepo, caprepo, nsrc, capsrc;
	kv_map *index; /* "group/version/kind" -> hit index + 1 */
	struct hit *hits;
	size_t nhits, caphits;
	bool frozen;
	/* Suggestions already made, by "group/version/kind": the same unknown kind tends to
	 * appear in many files. Guarded by mu; the strings live in the arena. */
	pthread_mutex_t mu;
	kv_map *suggested;
	kv_arena *strings;
};

kv_schemaset *kv_schemaset_new(void)
{
	kv_schemaset *set = kv_xcalloc(1, sizeof(kv_schemaset));
	pthread_mutex_init(&set->mu, NULL);
	set->suggested = kv_map_new();
	set->strings = kv_arena_new();
	return set;
}

static void free_sources(struct source *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		kv_schema_free(s[i].schema);
		if (s[i].free_ud)
			s[i].free_ud(s[i].ud);
	}
	free(s);
}

void kv_schemaset_free(kv_schemaset *set)
{
	if (!set)
		return;
	free_sources(set->repo, set->nrepo);
	free_sources(set->src, set->nsrc);
	kv_map_free(set->index);
	kv_map_free(set->suggested);
	kv_arena_free(set->strings);
	pthread_mutex_destroy(&set->mu);
	free(set->hits);
	free(set);
}

void kv_schemaset_add(kv_schemaset *set, kv_schema *s)
{
	KV_GROW(set->src, set->capsrc, set->nsrc + 1);
	set->src[set->nsrc++] = (struct source){.schema = s};
}

void kv_schemaset_add_lazy(kv_schemaset *set, kv_schema_lazy_fn fn, void *ud,
			   void (*free_ud)(void *))
{
	KV_GROW(set->src, set->capsrc, set->nsrc + 1);
	set->src[set->nsrc++] = (struct source){.fn = fn, .ud = ud, .free_ud = free_ud};
}

void kv_schemaset_add_repo(kv_schemaset *set, kv_schema *s)
{
	KV_GROW(set->repo, set->caprepo, set->nrepo + 1);
	set->repo[set->nrepo++] = (struct source){.schema = s};
}

size_t kv_schemaset_count(const kv_schemaset *set)
{
	return set->nrepo + set->nsrc;
}

/* "group/version/kind" into b, replacing what b held; no length limit. */
static void gvk_key(kv_buf *b, const char *g, const char *v, const char *k)
{
	kv_buf_truncate(b, 0);
	kv_buf_puts(b, g);
	kv_buf_putc(b, '/');
	kv_buf_puts(b, v);
	kv_buf_putc(b, '/');
	kv_buf_puts(b, k);
}

static void index_schema(kv_schemaset *set, const kv_schema *s, size_t position, kv_buf *key)
{
	for (uint32_t i = 0; i < kv_schema_gvk_count(s); i++) {
		const char *g, *v, *k;
		kv_sref ref;
		kv_schema_gvk_at(s, i, &g, &v, &k, &ref);
		gvk_key(key, g, v, k);
		bool added;
		uint64_t *slot = kv_map_slot(set->index, key->data, key->len, &added);
		if (!added)
			continue;
		KV_GROW(set->hits, set->caphits, set->nhits + 1);
		set->hits[set->nhits++] = (struct hit){ref, position};
		*slot = set->nhits;
	}
}

/* Builds the index anew, so the repository's CRDs can join after a first freeze. */
void kv_schemaset_freeze(kv_schemaset *set)
{
	kv_map_free(set->index);
	set->nhits = 0;
	set->index = kv_map_new();
	kv_buf key = KV_BUF_INIT;
	for (size_t i = 0; i < set->nrepo; i++)
		index_schema(set, set->repo[i].schema, 0, &key);
	for (size_t i = 0; i < set->nsrc; i++)
		if (set->src[i].schema)
			index_schema(set, set->src[i].schema, i + 1, &key);
	kv_buf_free(&key);
	set->frozen = true;
}

static bool ask_lazy(const struct source *s, const char *g, const char *v, const char *k,
		     kv_sref *out)
{
	const kv_schema *found = s->fn(s->ud, g, v, k);
	return found && kv_schema_find(found, g, v, k, out);
}

bool kv_schemaset_find(const kv_schemaset *set, const char *group, const char *version,
		       const char *kind, kv_sref *out)
{
	kv_buf key = KV_BUF_INIT;
	gvk_key(&key, group, version, kind);
	uint64_t *slot = set->index ? kv_map_find(set->index, key.data, key.len) : NULL;
	kv_buf_free(&key);
	const struct hit *hit = slot ? &set->hits[*slot - 1] : NULL;
	size_t limit = hit ? hit->position : set->nsrc + 1;
	for (size_t i = 0; i + 1 < limit && i < set->nsrc; i++)
		if (set->src[i].fn && ask_lazy(&set->src[i], group, version, kind, out))
			return true;
	if (hit) {
		*out = hit->ref;
		return true;
	}
	return false;
}

bool kv_schemaset_objectmeta(const kv_schemaset *set, kv_sref *out)
{
	for (size_t i = 0; i < set->nsrc; i++)
		if (set->src[i].schema && kv_schema_objectmeta(set->src[i].schema, out))
			return true;
	return false;
}

uint32_t kv_schemaset_cel_rules(const kv_schemaset *set)
{
	uint32_t n = 0;
	for (size_t i = 0; i < set->nrepo; i++)
		n += kv_schema_cel_rules(set->repo[i].schema);
	for (size_t i = 0; i < set->nsrc; i++)
		if (set->src[i].schema)
			n += kv_schema_cel_rules(set->src[i].schema);
	return n;
}

typedef struct {
	const char *group, *version, *kind;
	char served[256];  /* the same kind in another version or group */
	char similar[128]; /* a close spelling in the same group and version */
	unsigned best;
} suggestion;

static void consider(suggestion *sg, const char *g, const char *v, const char *k)
{
	if (strcmp(k, sg->kind) == 0) {
		if (!sg->served[0] || strcmp(g, sg->group) == 0)
			snprintf(sg->served, sizeof sg->served, "%s%s%s", g, *g ? "/" : "", v);
		return;
	}
	if (strcmp(g, sg->group) != 0 || strcmp(v, sg->version) != 0)
		return;
	unsigned d = kv_edit_distance(k, strlen(k), sg->kind, strlen(sg->kind), 2);
	if (d <= 2 && d < sg->best) {
		sg->best = d;
		snprintf(sg->similar, sizeof sg->similar, "%s", k);
	}
}

static void consider_schema(suggestion *sg, const kv_schema *s)
{
	for (uint32_t i = 0; i < kv_schema_gvk_count(s); i++) {
		const char *g, *v, *k;
		kv_schema_gvk_at(s, i, &g, &v, &k, NULL);
		consider(sg, g, v, k);
	}
}

static void compute_suggestion(const kv_schemaset *set, const char *group, const char *version,
			       const char *kind, kv_buf *out)
{
	suggestion sg = {group, version, kind, "", "", 3};
	for (size_t i = 0; i < set->nrepo; i++)
		consider_schema(&sg, set->repo[i].schema);
	for (size_t i = 0; i < set->nsrc; i++)
		if (set->src[i].schema)
			consider_schema(&sg, set->src[i].schema);
	if (sg.served[0])
		kv_buf_printf(out, "%s is served as %s", kind, sg.served);
	else if (sg.similar[0])
		kv_buf_printf(out, "did you mean %s?", sg.similar);
}

void kv_schemaset_suggest(const kv_schemaset *cset, const char *group, const char *version,
			  const char *kind, kv_buf *out)
{
	kv_schemaset *set = (kv_schemaset *)cset; /* only the memo, under its lock, changes */
	kv_buf key = KV_BUF_INIT;
	gvk_key(&key, group, version, kind);
	pthread_mutex_lock(&set->mu);
	uint64_t *slot = kv_map_find(set->suggested, key.data, key.len);
	const char *memo = slot ? (const char *)(uintptr_t)*slot : NULL;
	pthread_mutex_unlock(&set->mu);
	if (memo) {
		kv_buf_puts(out, memo);
		kv_buf_free(&key);
		return;
	}
	size_t start = out->len;
	compute_suggestion(set, group, version, kind, out);
	pthread_mutex_lock(&set->mu);
	char *copy = kv_arena_strndup(set->strings, out->data ? out->data + start : "", out->len - start);
	*kv_map_slot(set->suggested, key.data, key.len, NULL) = (uintptr_t)copy;
	pthread_mutex_unlock(&set->mu);
	kv_buf_free(&key);
}
