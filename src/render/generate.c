/* generate.c: configMapGenerator and secretGenerator as kustomize v5.5 runs them: each entry
 * makes one ConfigMap or Secret from env files, literals and files (in that order), with the
 * entry's options over the kustomization's generatorOptions, and adds it to the build, or
 * merges it into (replaces) the object of that identity the build holds already.
 *
 * Every node made here sits at the line a person edits to change it: data from a literal at
 * the literal, from an env file at its line there, from a file at the file entry; the rest
 * at the generator entry. */
#include "internal.h"

#include "kvet/alloc.h"
#include "kvet/sort.h"
#include "kvet/strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* bufio.Scanner's longest line: kustomize stops reading an env file at a longer one. */
#define ENV_MAX_LINE (64 * 1024)

typedef struct {
	kv_node *labels, *annotations; /* maps whose values are the kustomization's nodes, or NULL */
	bool nohash, immutable;
} gen_opts;

/* One key and value of the object being made. */
typedef struct {
	const char *key, *val;
	size_t klen, vlen;
	const kv_node *at; /* where both are written */
} kvpair;

typedef struct {
	kvpair *items;
	size_t n, cap;
} kvpairs;

/* The build's objects by every name they have or had, so finding the object a merge or
 * replace names costs the same however many objects the build holds. */
typedef struct {
	rn_res **items;
	size_t n, cap;
} bucket;

typedef struct {
	kv_map *by_name; /* name -> bucket number + 1 */
	bucket *buckets;
	size_t nb, capb;
} name_index;

typedef struct {
	kv_render *r;
	const rn_kust *k;
	const kv_node *entry;
	const char *name;
	bool secret;
	name_index *names;
} gen;

/* ---- reading the kustomization ---- */

static kv_node *node_at(kv_render *r, uint16_t src, uint32_t line, uint32_t col)
{
	kv_node *n = rn_new_string(r, "", 0, NULL);
	n->src = src;
	n->line = line;
	n->col = col;
	return n;
}

/* A field that must be a string (kustomize reads the kustomization as YAML 1.1 into Go
 * strings: a number or a boolean such as an unquoted y or on is refused). NULL when
 * absent; *ok turns false with a problem when it is no string. */
static const char *field_string(gen *g, const kv_node *map, const char *key, bool *ok)
{
	const kv_node *v = kv_map_get(map, key);
	if (!v || v->type == KV_NULL)
		return NULL;
	if (v->type == KV_STRING)
		return v->u.s;
	rn_problem(g->r, g->k->src, v, KV_RULE_RENDER_KUSTOMIZATION,
		   (v->flags & KV_NF_YAML11) ? "kustomize reads YAML 1.1, where this is not a string: quote it" : NULL,
		   "%s must be a string, not %s: kustomize refuses the kustomization", key, kv_type_phrase((kv_type)v->type));
	*ok = false;
	return NULL;
}

/* A field that must be a list of strings, or NULL. */
static const kv_node *field_strings(gen *g, const kv_node *map, const char *key, bool *ok)
{
	const kv_node *v = kv_map_get(map, key);
	if (!v || v->type == KV_NULL)
		return NULL;
	const kv_node *bad = v->type == KV_LIST ? NULL : v;
	for (uint32_t i = 0; !bad && i < v->len; i++)
		if (v->u.items[i]->type != KV_STRING)
			bad = v->u.items[i];
	if (!bad)
		return v;
	rn_problem(g->r, g->k->src, bad, KV_RULE_RENDER_KUSTOMIZATION,
		   (bad->flags & KV_NF_YAML11) ? "kustomize reads YAML 1.1, where this is not a string: quote it" : NULL,
		   "%s must be a list of strings: kustomize refuses the kustomization", key);
	*ok = false;
	return NULL;
}

static bool field_bool(gen *g, const kv_node *map, const char *key, bool *ok)
{
	const kv_node *v = kv_map_get(map, key);
	if (!v || v->type == KV_NULL)
		return false;
	if (v->type == KV_BOOL)
		return v->u.b;
	rn_problem(g->r, g->k->src, v, KV_RULE_RENDER_KUSTOMIZATION, NULL,
		   "%s must be true or false, not %s: kustomize refuses the kustomization", key,
		   kv_type_phrase((kv_type)v->type));
	*ok = false;
	return false;
}

static bool known_keys(gen *g, const kv_node *map, const char *const *keys, const char *what)
{
	bool ok = true;
	for (uint32_t i = 0; i < map->len; i++) {
		const kv_node *key = map->u.pairs[i].key;
		bool known = false;
		for (size_t j = 0; keys[j] && !known; j++)
			known = strcmp(keys[j], key->u.s) == 0;
		if (!known) {
			rn_problem(g->r, g->k->src, key, KV_RULE_RENDER_KUSTOMIZATION, NULL,
				   "%s is not a field of %s: kustomize refuses the kustomization", key->u.s, what);
			ok = false;
		}
	}
	return ok;
}

/* A map of strings (labels, annotations), or NULL. */
static kv_node *string_map(gen *g, const kv_node *map, const char *key, bool *ok)
{
	kv_node *v = kv_map_get(map, key);
	if (!v || v->type == KV_NULL)
		return NULL;
	const kv_node *bad = v->type == KV_MAP ? NULL : v;
	for (uint32_t i = 0; !bad && i < v->len; i++)
		if (v->u.pairs[i].value->type != KV_STRING)
			bad = v->u.pairs[i].value;
	if (!bad)
		return v;
	rn_problem(g->r, g->k->src, bad, KV_RULE_RENDER_KUSTOMIZATION,
		   (bad->flags & KV_NF_YAML11) || bad->type == KV_BOOL || bad->type == KV_INT ? "quote the value" : NULL,
		   "%s must be a map of strings: kustomize refuses the kustomization", key);
	*ok = false;
	return NULL;
}

static bool read_opts(gen *g, const kv_node *o, gen_opts *out)
{
	static const char *const keys[] = {"labels", "annotations", "disableNameSuffixHash", "immutable", NULL};
	memset(out, 0, sizeof *out);
	if (!o || o->type == KV_NULL)
		return true;
	if (o->type != KV_MAP) {
		rn_problem(g->r, g->k->src, o, KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   "generator options must be a map: kustomize refuses the kustomization");
		return false;
	}
	bool ok = known_keys(g, o, keys, "generator options");
	out->labels = string_map(g, o, "labels", &ok);
	out->annotations = string_map(g, o, "annotations", &ok);
	out->nohash = field_bool(g, o, "disableNameSuffixHash", &ok);
	out->immutable = field_bool(g, o, "immutable", &ok);
	return ok;
}

/* The entry's labels (or annotations) with those of generatorOptions it does not set. */
static kv_node *merge_map(kv_render *r, kv_node *local, kv_node *global)
{
	if (!global || global->len == 0)
		return local;
	if (!local)
		return global;
	kv_node *m = rn_new_map(r, local);
	for (uint32_t i = 0; i < local->len; i++)
		rn_set(r, m, local->u.pairs[i].key->u.s, local->u.pairs[i].value, local->u.pairs[i].key);
	for (uint32_t i = 0; i < global->len; i++)
		if (!kv_map_get(local, global->u.pairs[i].key->u.s))
			rn_set(r, m, global->u.pairs[i].key->u.s, global->u.pairs[i].value, global->u.pairs[i].key);
	return m;
}

/* ---- key and value sources ---- */

static void add_pair(kvpairs *ps, const char *key, size_t klen, const char *val, size_t vlen, const kv_node *at)
{
	KV_GROW(ps->items, ps->cap, ps->n + 1);
	ps->items[ps->n++] = (kvpair){key, val, klen, vlen, at};
}

/* Length of the Unicode white space (Go's unicode.IsSpace) at s, or 0. */
static size_t space_at(const unsigned char *s, size_t n)
{
	if (n >= 1 && (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')))
		return 1;
	if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
		return 2;
	if (n >= 3 && s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80)
		return 3;
	if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 && ((s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf))
		return 3;
	if (n >= 3 && s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f)
		return 3;
	if (n >= 3 && s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
		return 3;
	return 0;
}

/* One line of an env file: KEY=VALUE (the value as written, to the end of the line), KEY
 * alone for an empty value; blank lines and # comments say nothing. */
static bool env_line(gen *g, kvpairs *ps, uint16_t src, const char *line, size_t n, uint32_t lineno)
{
	size_t bad;
	if (!kv_utf8_valid(line, n, &bad)) {
		rn_problem(g->r, src, node_at(g->r, src, lineno, (uint32_t)bad + 1), KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   "the line is not valid UTF-8: kustomize refuses the env file");
		return false;
	}
	size_t skip = lineno == 1 && n >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	for (size_t w; (w = space_at((const unsigned char *)line + skip, n - skip)) > 0;)
		skip += w;
	line += skip;
	n -= skip;
	if (n == 0 || line[0] == '#')
		return true;
	const char *eq = memchr(line, '=', n);
	size_t klen = eq ? (size_t)(eq - line) : n;
	if (klen == 0)
		return true; /* kustomize drops a line without a key */
	const char *val = eq ? eq + 1 : "";
	size_t vlen = eq ? n - klen - 1 : 0;
	add_pair(ps, line, klen, val, vlen, node_at(g->r, src, lineno, (uint32_t)skip + 1));
	return true;
}

/* An env file, line by line as Go's bufio.Scanner splits it ("\n", a "\r" before it
 * dropped). */
static bool env_file(gen *g, kvpairs *ps, const kv_node *entry)
{
	uint16_t src = rn_kust_file(g->r, g->k, entry);
	if (!src)
		return false;
	size_t len;
	const char *text = kv_render_file_text(g->r, src, &len);
	uint32_t lineno = 0;
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
		size_t next = at + n + (nl != NULL);
		lineno++;
		if (n >= ENV_MAX_LINE) {
			rn_problem(g->r, src, node_at(g->r, src, lineno, 1), KV_RULE_RENDER_LIMIT, NULL,
				   "the line is longer than 64 KiB: kustomize stops reading the env file here");
			return false;
		}
		if (n > 0 && text[at + n - 1] == '\r')
			n--;
		if (!env_line(g, ps, src, text + at, n, lineno))
			return false;
		at = next;
	}
	return true;
}

/* key=value; the value loses one pair of quotes around it. */
static bool literal(gen *g, kvpairs *ps, const kv_node *entry)
{
	const char *s = entry->u.s, *eq = memchr(s, '=', entry->len);
	if (!eq || eq == s) {
		rn_problem(g->r, g->k->src, entry, KV_RULE_RENDER_KUSTOMIZATION, "write key=value",
			   "invalid literal source %s: kustomize refuses it", s);
		return false;
	}
	const char *v = eq + 1;
	size_t vlen = entry->len - (size_t)(v - s);
	if (vlen >= 2 && v[0] == v[vlen - 1] && (v[0] == '"' || v[0] == '\'')) {
		v++;
		vlen -= 2;
	}
	add_pair(ps, s, (size_t)(eq - s), v, vlen, entry);
	return true;
}

/* The last element of a slash path, as Go's path.Base. */
static void path_base(const char *p, size_t n, const char **out, size_t *outn)
{
	while (n > 1 && p[n - 1] == '/')
		n--;
	if (n == 0) {
		*out = ".";
		*outn = 1;
		return;
	}
	size_t start = n;
	while (start > 0 && p[start - 1] != '/')
		start--;
	if (start == n) { /* the path is "/" */
		*out = "/";
		*outn = 1;
		return;
	}
	*out = p + start;
	*outn = n - start;
}

/* path, or key=path: the file's bytes under its base name or the key. */
static bool file_source(gen *g, kvpairs *ps, const kv_node *entry)
{
	const char *s = entry->u.s, *eq = memchr(s, '=', entry->len);
	const char *key = NULL, *path = s;
	size_t klen = 0, plen = entry->len;
	if (eq == s) {
		rn_problem(g->r, g->k->src, entry, KV_RULE_RENDER_KUSTOMIZATION, "write key=path, or the path alone",
			   "missing key name for file path %s: kustomize refuses it", s + 1);
		return false;
	}
	if (eq) {
		key = s;
		klen = (size_t)(eq - s);
		path = eq + 1;
		plen = entry->len - klen - 1;
		if (strncmp(path, "http://", 7) != 0 && strncmp(path, "https://", 8) != 0 && memchr(path, '=', plen)) {
			rn_problem(g->r, g->k->src, entry, KV_RULE_RENDER_KUSTOMIZATION, NULL,
				   "source %s: the key name or file path contains '=': kustomize refuses it", s);
			return false;
		}
		if (plen == 0) {
			rn_problem(g->r, g->k->src, entry, KV_RULE_RENDER_KUSTOMIZATION, NULL,
				   "missing file path for key name %.*s: kustomize refuses it", (int)klen, s);
			return false;
		}
	} else {
		path_base(s, entry->len, &key, &klen);
	}
	if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0) {
		rn_problem(g->r, g->k->src, entry, KV_RULE_RENDER_UNSUPPORTED,
			   "kvet reads only the repository; put the file in it to have it checked",
			   "%s is a remote file: not rendered", path);
		return false;
	}
	kv_node *pn = rn_new_string(g->r, path, plen, entry);
	uint16_t src = rn_kust_file(g->r, g->k, pn);
	if (!src)
		return false;
	size_t len;
	const char *text = kv_render_file_text(g->r, src, &len);
	add_pair(ps, key, klen, text, len, entry);
	return true;
}

/* Every key and value of an entry: env files, then literals, then files, as kustomize reads
 * them; a key given twice is refused. */
static bool gather(gen *g, const kv_node *envs, const kv_node *env, const kv_node *lits, const kv_node *files,
		   kvpairs *ps)
{
	bool ok = true;
	for (uint32_t i = 0; envs && i < envs->len; i++)
		ok &= env_file(g, ps, envs->u.items[i]);
	if (env)
		ok &= env_file(g, ps, env);
	for (uint32_t i = 0; lits && i < lits->len; i++)
		ok &= literal(g, ps, lits->u.items[i]);
	for (uint32_t i = 0; files && i < files->len; i++)
		ok &= file_source(g, ps, files->u.items[i]);
	kv_map *seen = kv_map_new(); /* key -> position + 1 */
	for (size_t i = 0; ok && i < ps->n; i++) {
		const kvpair *b = &ps->items[i];
		bool added;
		uint64_t *v = kv_map_slot(seen, b->key, b->klen, &added);
		if (added) {
			*v = i + 1;
			continue;
		}
		const kvpair *a = &ps->items[*v - 1];
		const char *first = kv_render_file_path(g->r, a->at->src);
		char hint[256];
		snprintf(hint, sizeof hint, "it is first given at %s:%u", first ? first : "?", a->at->line);
		rn_problem(g->r, b->at->src, b->at, KV_RULE_RENDER_CONFLICT, hint, "%s %s repeats the key %.*s: kustomize refuses it",
			   g->secret ? "secret" : "configmap", g->name, (int)b->klen, b->key);
		ok = false;
	}
	kv_map_free(seen);
	return ok;
}

/* ---- the object ---- */

static char *base64(kv_render *r, const char *s, size_t n, size_t *outn)
{
	kv_buf b = KV_BUF_INIT;
	kv_buf_base64(&b, s, n);
	*outn = b.len;
	char *out = kv_arena_strndup(r->arena, b.data ? b.data : "", b.len);
	kv_buf_free(&b);
	return out;
}

static int pair_cmp(const void *pa, const void *pb)
{
	const kvpair *a = pa, *b = pb;
	size_t n = a->klen < b->klen ? a->klen : b->klen;
	int c = memcmp(a->key, b->key, n);
	return c ? c : a->klen < b->klen ? -1 : a->klen > b->klen;
}

static kv_node *copy_map(kv_render *r, const kv_node *m)
{
	return m ? rn_copy(r, m) : NULL;
}

/* The ConfigMap or Secret of an entry: data (binaryData for a ConfigMap's bytes that are not
 * UTF-8; base64 for every value of a Secret), sorted by key as kustomize writes them. */
static kv_node *make_object(gen *g, const kv_node *name, const kv_node *ns, const char *type, const kv_node *type_at,
			    kvpairs *ps, const gen_opts *o)
{
	kv_render *r = g->r;
	const kv_node *e = g->entry;
	kv_node *obj = rn_new_map(r, e);
	rn_set(r, obj, "apiVersion", rn_new_string(r, "v1", 2, e), e);
	rn_set(r, obj, "kind", rn_new_string(r, g->secret ? "Secret" : "ConfigMap", g->secret ? 6 : 9, e), e);
	kv_node *meta = rn_new_map(r, e);
	rn_set(r, obj, "metadata", meta, e);
	rn_set(r, meta, "name", rn_copy(r, name), e);
	if (ns && *ns->u.s)
		rn_set(r, meta, "namespace", rn_copy(r, ns), e);
	if (o->labels && o->labels->len)
		rn_set(r, meta, "labels", copy_map(r, o->labels), e);
	if (o->annotations && o->annotations->len)
		rn_set(r, meta, "annotations", copy_map(r, o->annotations), e);
	if (g->secret)
		rn_set(r, obj, "type", type && *type ? rn_copy(r, type_at) : rn_new_string(r, "Opaque", 6, e), e);
	kv_sort(ps->items, ps->n, sizeof *ps->items, pair_cmp);
	kv_node *data = NULL, *binary = NULL;
	if (g->secret) {
		data = rn_new_map(r, e);
		rn_set(r, obj, "data", data, e);
	}
	for (size_t i = 0; i < ps->n; i++) {
		const kvpair *p = &ps->items[i];
		size_t bad, n = p->vlen;
		bool text = !g->secret && kv_utf8_valid(p->val, p->vlen, &bad);
		const char *v = text ? p->val : base64(r, p->val, p->vlen, &n);
		kv_node **target = text || g->secret ? &data : &binary;
		if (!*target) {
			*target = rn_new_map(r, e);
			rn_set(r, obj, *target == data ? "data" : "binaryData", *target, e);
		}
		/* keys are distinct (gather refused repeats): added without a search */
		rn_push(r, *target, rn_new_string(r, p->key, p->klen, p->at), rn_new_string(r, v, n, p->at));
	}
	if (o->immutable) {
		kv_node *t = rn_new_string(r, "", 0, e); /* a node at the entry, made a boolean */
		t->type = KV_BOOL;
		t->flags = 0;
		t->len = 0;
		t->u.b = true;
		rn_set(r, obj, "immutable", t, e);
	}
	return obj;
}

/* ---- into the build ---- */

static bool same_ns(const rn_id *a, const char *ns)
{
	return strcmp(rn_effective_ns(a->group, a->version, a->kind, a->ns), rn_effective_ns(a->group, a->version, a->kind, ns)) == 0;
}

/* True when res has, or had, obj's group, version, kind, namespace and name. */
static bool any_id_matches(const rn_res *res, const kv_node *obj)
{
	rn_id want, have;
	rn_res tmp = {.obj = (kv_node *)obj};
	rn_id_of(&tmp, &want);
	rn_id_of(res, &have);
	if (strcmp(want.group, have.group) != 0 || strcmp(want.version, have.version) != 0 || !have.kind ||
	    strcmp(want.kind, have.kind) != 0)
		return false;
	if (have.name && strcmp(have.name, want.name) == 0 && same_ns(&want, have.ns))
		return true;
	for (size_t i = 0; i < res->nprev; i++)
		if (res->prev[i].name && strcmp(res->prev[i].name, want.name) == 0 && same_ns(&want, res->prev[i].ns))
			return true;
	return false;
}

/* old's entries with those of add over them, or NULL when both are empty. */
static kv_node *merged(kv_render *r, const kv_node *old, const kv_node *add, const kv_node *cause)
{
	bool o = old && old->type == KV_MAP && old->len, a = add && add->type == KV_MAP && add->len;
	if (!o && !a)
		return NULL;
	kv_node *m = rn_new_map(r, a ? add : cause);
	for (uint32_t i = 0; o && i < old->len; i++)
		rn_set(r, m, old->u.pairs[i].key->u.s, old->u.pairs[i].value, old->u.pairs[i].key);
	for (uint32_t i = 0; a && i < add->len; i++)
		rn_set(r, m, add->u.pairs[i].key->u.s, add->u.pairs[i].value, add->u.pairs[i].key);
	return m;
}

static void merge_field(kv_render *r, kv_node *into, const kv_node *old, const char *key, const kv_node *cause)
{
	kv_node *m = merged(r, rn_get(old, key), rn_get(into, key), cause);
	if (m)
		rn_set(r, into, key, m, cause);
}

/* kustomize's merge (data too) or replace of the object old holds by obj: labels and
 * annotations merged, old's name and namespace kept, the hash only when both want it. */
static void merge_into(kv_render *r, rn_res *old, kv_node *obj, unsigned flags, const kv_node *entry, bool data)
{
	kv_node *meta = rn_get(obj, "metadata");
	const kv_node *ometa = rn_get(old->obj, "metadata");
	merge_field(r, meta, ometa, "labels", entry);
	merge_field(r, meta, ometa, "annotations", entry);
	const kv_node *name = rn_get(ometa, "name"), *ns = rn_get(ometa, "namespace");
	if (name)
		rn_set(r, meta, "name", (kv_node *)name, entry);
	rn_del(meta, "namespace");
	if (ns && kv_str(ns) && *kv_str(ns))
		rn_set(r, meta, "namespace", (kv_node *)ns, entry);
	if (data) {
		merge_field(r, obj, old->obj, "data", entry);
		merge_field(r, obj, old->obj, "binaryData", entry);
	}
	bool hash = (old->flags & RN_NEEDS_HASH) && (flags & RN_NEEDS_HASH);
	old->obj = obj;
	old->flags = (old->flags & ~(unsigned)RN_NEEDS_HASH) | RN_GENERATED | (flags & (RN_BEHAVIOR_MERGE | RN_BEHAVIOR_REPLACE));
	if (hash)
		old->flags |= RN_NEEDS_HASH;
	old->cause = entry;
}

static void index_name(name_index *x, const char *name, rn_res *res)
{
	if (!name)
		return;
	bool added;
	uint64_t *slot = kv_map_slot(x->by_name, name, strlen(name), &added);
	if (added) {
		KV_GROW(x->buckets, x->capb, x->nb + 1);
		x->buckets[x->nb] = (bucket){0};
		*slot = ++x->nb;
	}
	bucket *b = &x->buckets[*slot - 1];
	if (b->n && b->items[b->n - 1] == res)
		return;
	KV_GROW(b->items, b->cap, b->n + 1);
	b->items[b->n++] = res;
}

static void index_res(name_index *x, rn_res *res)
{
	index_name(x, rn_res_name(res), res);
	for (size_t i = 0; i < res->nprev; i++)
		index_name(x, res->prev[i].name, res);
}

static void index_free(name_index *x)
{
	for (size_t i = 0; i < x->nb; i++)
		free(x->buckets[i].items);
	free(x->buckets);
	kv_map_free(x->by_name);
}

static bool add_object(gen *g, rn_acc *a, kv_node *obj, unsigned flags, const kv_node *behavior)
{
	kv_render *r = g->r;
	rn_res *match = NULL;
	size_t nmatch = 0;
	uint64_t *slot = kv_map_find(g->names->by_name, g->name, strlen(g->name));
	const bucket *same = slot ? &g->names->buckets[*slot - 1] : NULL;
	for (size_t i = 0; same && i < same->n; i++)
		if (any_id_matches(same->items[i], obj)) {
			match = nmatch ? match : same->items[i];
			nmatch++;
		}
	const char *kind = g->secret ? "Secret" : "ConfigMap";
	bool change = flags & (RN_BEHAVIOR_MERGE | RN_BEHAVIOR_REPLACE);
	if (nmatch > 1) {
		rn_problem(r, g->k->src, g->entry, KV_RULE_RENDER_CONFLICT, NULL,
			   "%zu objects could take the %s %s: kustomize refuses the ambiguity", nmatch, kind, g->name);
		return false;
	}
	if (nmatch == 0 && change) {
		rn_problem(r, g->k->src, behavior, KV_RULE_RENDER_CONFLICT,
			   "merge and replace change an object a resource or an earlier generator made; use create for a new one",
			   "no %s %s to %s: kustomize refuses it", kind, g->name, kv_str(behavior));
		return false;
	}
	if (nmatch == 1 && !change) {
		const char *first = kv_render_file_path(r, match->obj->src);
		char hint[256];
		snprintf(hint, sizeof hint, "the first is at %s:%u; set behavior: merge or replace to change it",
			 first ? first : "?", match->obj->line);
		rn_problem(r, g->k->src, g->entry, KV_RULE_RENDER_CONFLICT, hint,
			   "the %s %s exists already: kustomize refuses a second", kind, g->name);
		return false;
	}
	if (nmatch == 1) {
		merge_into(r, match, obj, flags, g->entry, flags & RN_BEHAVIOR_MERGE);
		return true;
	}
	rn_res *res = rn_res_new(r, obj);
	res->flags = flags;
	res->cause = g->entry;
	if (r->objects > r->o.max_objects) {
		rn_problem(r, g->k->src, g->entry, KV_RULE_RENDER_LIMIT, NULL, "the render makes more than %llu objects",
			   (unsigned long long)r->o.max_objects);
		return false;
	}
	rn_list_add(&a->res, res);
	index_res(g->names, res);
	return true;
}

static unsigned behavior_flags(const char *b)
{
	if (b && strcmp(b, "merge") == 0)
		return RN_BEHAVIOR_MERGE;
	if (b && strcmp(b, "replace") == 0)
		return RN_BEHAVIOR_REPLACE;
	return 0; /* create, and anything else kustomize reads as create */
}

static bool generate_one(kv_render *r, const rn_kust *k, rn_acc *a, const kv_node *e, bool secret,
			 const gen_opts *global, name_index *names)
{
	static const char *const cm_keys[] = {"name", "namespace", "behavior", "files", "literals", "envs", "env",
					      "options", NULL};
	static const char *const secret_keys[] = {"name", "namespace", "behavior", "files", "literals", "envs", "env",
						  "options", "type", NULL};
	gen g = {r, k, e, NULL, secret, names};
	if (e->type != KV_MAP) {
		rn_problem(r, k->src, e, KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   "a generator entry must be a map with name, and literals, files or envs");
		return false;
	}
	bool ok = known_keys(&g, e, secret ? secret_keys : cm_keys, secret ? "a secretGenerator entry" : "a configMapGenerator entry");
	g.name = field_string(&g, e, "name", &ok);
	field_string(&g, e, "namespace", &ok);
	const char *behavior = field_string(&g, e, "behavior", &ok);
	const char *type = secret ? field_string(&g, e, "type", &ok) : NULL;
	const kv_node *envs = field_strings(&g, e, "envs", &ok), *lits = field_strings(&g, e, "literals", &ok);
	const kv_node *files = field_strings(&g, e, "files", &ok);
	const char *env_path = field_string(&g, e, "env", &ok); /* legacy; "" is none */
	const kv_node *env = env_path && *env_path ? kv_map_get(e, "env") : NULL;
	gen_opts local, o;
	ok &= read_opts(&g, kv_map_get(e, "options"), &local);
	if (!ok)
		return false;
	if (!g.name || !*g.name) {
		rn_problem(r, k->src, g.name ? kv_map_get(e, "name") : e, KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   "a %s needs a name: kustomize refuses it", secret ? "secret" : "configmap");
		return false;
	}
	o.labels = merge_map(r, local.labels, global->labels);
	o.annotations = merge_map(r, local.annotations, global->annotations);
	o.nohash = local.nohash || global->nohash;
	o.immutable = local.immutable || global->immutable;
	kvpairs ps = {0};
	ok = gather(&g, envs, env, lits, files, &ps);
	if (ok) {
		kv_node *obj = make_object(&g, kv_map_get(e, "name"), kv_map_get(e, "namespace"), type,
					   kv_map_get(e, "type"), &ps, &o);
		unsigned flags = RN_GENERATED | (o.nohash ? 0 : RN_NEEDS_HASH) | behavior_flags(behavior);
		ok = add_object(&g, a, obj, flags, kv_map_get(e, "behavior"));
	}
	free(ps.items);
	return ok;
}

int rn_generators(kv_render *r, const rn_kust *k, rn_acc *a)
{
	static const char *const lists[] = {"configMapGenerator", "secretGenerator"};
	const kv_node *cms = kv_map_get(k->root, lists[0]), *secrets = kv_map_get(k->root, lists[1]);
	gen g = {r, k, k->root, NULL, false, NULL};
	gen_opts global;
	if (!read_opts(&g, kv_map_get(k->root, "generatorOptions"), &global))
		return -1;
	if ((!cms || cms->type != KV_LIST || cms->len == 0) && (!secrets || secrets->type != KV_LIST || secrets->len == 0))
		return 0;
	bool ok = true;
	name_index names = {kv_map_new(), NULL, 0, 0};
	for (size_t i = 0; i < a->res.n; i++)
		index_res(&names, a->res.items[i]);
	for (size_t l = 0; l < 2; l++) {
		const kv_node *list = l ? secrets : cms;
		for (uint32_t i = 0; list && list->type == KV_LIST && i < list->len; i++)
			ok &= generate_one(r, k, a, list->u.items[i], l == 1, &global, &names);
	}
	index_free(&names);
	if (ok)
		rn_list_touch(&a->res);
	return ok ? 0 : -1;
}
