/* fieldspec.c: kustomize's field specs: which fields of which kinds a transformer edits, the
 * walk that finds them in an object, and transformer configurations (the built-in defaults
 * and a kustomization's `configurations` files), merged as kustomize merges them. */
#include "internal.h"

#include "kvet/alloc.h"
#include "kvet/k8s.h"

#include <stdio.h>
#include <string.h>

/* ---- matching and walking ---- */

static bool part_matches(const char *want, const char *have)
{
	return !want || !*want || strcmp(want, have ? have : "") == 0;
}

bool rn_fspec_selects(const rn_fspec *fs, const kv_node *obj)
{
	if (fs->kind && *fs->kind && !kv_str_eq(kv_map_get(obj, "kind"), fs->kind))
		return false;
	if ((!fs->group || !*fs->group) && (!fs->version || !*fs->version))
		return true;
	char group[128] = "", version[128] = "";
	const char *av = kv_str(kv_map_get(obj, "apiVersion"));
	if (av && kv_k8s_split_api_version(av, group, version, sizeof version) < 0)
		group[0] = version[0] = '\0';
	return part_matches(fs->group, group) && part_matches(fs->version, version);
}

typedef struct {
	kv_render *r;
	const rn_fspec *fs;
	kv_type create;
	const kv_node *cause;
	rn_visit fn;
	void *ctx;
	char **parts;
	size_t nparts;
} walk;

static kv_node *made(walk *w, kv_type t)
{
	if (t == KV_LIST)
		return rn_new_list(w->r, w->cause);
	if (t == KV_STRING)
		return rn_new_string(w->r, "", 0, w->cause);
	kv_node *n = rn_new_map(w->r, w->cause);
	n->type = (uint8_t)t;
	return n;
}

static int walk_at(walk *w, kv_node **slot, size_t i);

/* The field named by part i of the path, in map *m: found, made, or absent. */
static int walk_field(walk *w, kv_node *m, size_t i)
{
	const char *part = w->parts[i];
	size_t len = strlen(part);
	bool seq = len >= 2 && strcmp(part + len - 2, "[]") == 0;
	if (seq)
		len -= 2;
	kv_node **slot = NULL;
	for (uint32_t k = 0; k < m->len; k++) {
		kv_node *key = m->u.pairs[k].key;
		if (key->len == len && memcmp(key->u.s, part, len) == 0) {
			slot = &m->u.pairs[k].value;
			break;
		}
	}
	bool last = i + 1 == w->nparts;
	bool create = w->fs->create && w->create && !seq;
	kv_type kind = !create ? (seq ? KV_LIST : KV_NULL) : last ? w->create : KV_MAP;
	if (!slot) {
		if (!create)
			return 0;
		char key[256];
		snprintf(key, sizeof key, "%.*s", (int)len, part);
		rn_set(w->r, m, key, made(w, kind), w->cause);
		slot = &m->u.pairs[m->len - 1].value;
	} else if ((*slot)->type == KV_NULL && kind != KV_NULL) {
		/* A null field takes the type the spec expects, as in kustomize. */
		*slot = made(w, kind);
	}
	return walk_at(w, slot, i + 1);
}

static int walk_at(walk *w, kv_node **slot, size_t i)
{
	if (i == w->nparts)
		return w->fn(w->r, slot, w->ctx);
	kv_node *n = *slot;
	if (n->type == KV_LIST) {
		for (uint32_t k = 0; k < n->len; k++)
			if (walk_at(w, &n->u.items[k], i) < 0)
				return -1;
		return 0;
	}
	if (n->type == KV_MAP)
		return walk_field(w, n, i);
	if (n->type == KV_NULL && i > 0)
		return 0; /* a null on the way: nothing below it */
	rn_problem(w->r, 0, n, KV_RULE_RENDER_CONFLICT, NULL,
		   "field spec %s meets %s where it expects a map or a list", w->fs->path,
		   kv_type_phrase((kv_type)n->type));
	return -1;
}

/* Splits a spec path at '/', where "\/" keeps a slash inside a key. */
static size_t split_path(kv_render *r, const char *path, char ***out)
{
	size_t n = 1;
	for (const char *p = path; *p; p++)
		if (*p == '/')
			n++;
	char **parts = kv_arena_alloc(r->arena, sizeof *parts * n);
	size_t count = 0;
	const char *p = path;
	char *buf = kv_arena_alloc(r->arena, strlen(path) + 1);
	while (count < n) {
		char *o = buf;
		while (*p && *p != '/') {
			if (p[0] == '\\' && p[1] == '/') {
				*o++ = '/';
				p += 2;
				continue;
			}
			*o++ = *p++;
		}
		*o++ = '\0';
		parts[count++] = buf;
		buf = o;
		if (!*p)
			break;
		p++;
	}
	*out = parts;
	return count;
}

int rn_fspec_walk(kv_render *r, kv_node *obj, const rn_fspec *fs, kv_type create, const kv_node *cause,
		  rn_visit fn, void *ctx)
{
	if (!obj || obj->type != KV_MAP || !rn_fspec_selects(fs, obj) || !fs->path || !*fs->path)
		return 0;
	walk w = {r, fs, create, cause, fn, ctx, NULL, 0};
	w.nparts = split_path(r, fs->path, &w.parts);
	kv_node *root = obj;
	return walk_at(&w, &root, 0);
}

int rn_fspecs_walk(kv_render *r, kv_node *obj, const rn_fspecs *fss, kv_type create, const kv_node *cause,
		   rn_visit fn, void *ctx)
{
	for (size_t i = 0; i < fss->n; i++)
		if (rn_fspec_walk(r, obj, &fss->items[i], create, cause, fn, ctx) < 0)
			return -1;
	return 0;
}

/* ---- configurations ---- */

static bool same_gvk(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static bool fspec_same(const rn_fspec *a, const rn_fspec *b)
{
	return same_gvk(a->group, b->group) && same_gvk(a->version, b->version) && same_gvk(a->kind, b->kind) &&
	       strcmp(a->path, b->path) == 0;
}

/* A part of a group/version/kind that selects another: empty selects anything. */
static bool part_selects(const char *sel, const char *x)
{
	return !sel || !*sel || same_gvk(sel, x);
}

/* Whether a spec the list holds stands for fs, as kustomize merges field specs: the same path,
 * and fs's group, version and kind select the held spec's (so a default spec for every kind
 * adds nothing to a custom one for Foo: only Foo objects get the field). */
static bool fspec_covers(const rn_fspec *held, const rn_fspec *fs)
{
	return part_selects(fs->group, held->group) && part_selects(fs->version, held->version) &&
	       part_selects(fs->kind, held->kind) && strcmp(held->path, fs->path) == 0;
}

/* Adds fs unless the list holds a spec that stands for it; kustomize refuses the same field
 * with a different create flag. */
static int fspecs_add(kv_render *r, rn_fspecs *l, const rn_fspec *fs, const kv_node *at)
{
	for (size_t i = 0; i < l->n; i++) {
		if (!(at ? fspec_same(&l->items[i], fs) : fspec_covers(&l->items[i], fs)))
			continue;
		if (l->items[i].create != fs->create && at) {
			rn_problem(r, 0, at, KV_RULE_RENDER_KUSTOMIZATION, NULL,
				   "field spec %s is configured twice, with create true and false", fs->path);
			return -1;
		}
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		rn_fspec *grown = kv_arena_alloc(r->arena, sizeof *grown * cap);
		if (l->n)
			memcpy(grown, l->items, sizeof *grown * l->n);
		l->items = grown;
		l->cap = cap;
	}
	l->items[l->n++] = *fs;
	return 0;
}

static rn_nameref *nameref_find(kv_render *r, rn_config *c, const char *group, const char *version,
				const char *kind)
{
	for (size_t i = 0; i < c->nnamerefs; i++) {
		rn_nameref *n = &c->namerefs[i];
		if (same_gvk(n->group, group) && same_gvk(n->version, version) && same_gvk(n->kind, kind))
			return n;
	}
	if (c->nnamerefs == c->capnamerefs) {
		size_t cap = c->capnamerefs ? c->capnamerefs * 2 : 32;
		rn_nameref *grown = kv_arena_alloc(r->arena, sizeof *grown * cap);
		if (c->nnamerefs)
			memcpy(grown, c->namerefs, sizeof *grown * c->nnamerefs);
		c->namerefs = grown;
		c->capnamerefs = cap;
	}
	rn_nameref *n = &c->namerefs[c->nnamerefs++];
	*n = (rn_nameref){group, version, kind, {0}};
	return n;
}

static const char *opt_string(kv_render *r, const kv_node *map, const char *key, bool *ok)
{
	const kv_node *v = kv_map_get(map, key);
	if (!v || v->type == KV_NULL)
		return NULL;
	if (v->type != KV_STRING) {
		rn_problem(r, 0, v, KV_RULE_RENDER_KUSTOMIZATION, NULL, "%s must be a string, not %s", key,
			   kv_type_phrase((kv_type)v->type));
		*ok = false;
		return NULL;
	}
	return v->u.s;
}

/* One field spec: a map with group, version, kind, path and create. */
static int parse_fspec(kv_render *r, const kv_node *n, rn_fspec *out)
{
	if (n->type != KV_MAP) {
		rn_problem(r, 0, n, KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   "a field spec must be a map with path, and optionally group, version, kind and create");
		return -1;
	}
	bool ok = true;
	*out = (rn_fspec){0};
	out->group = opt_string(r, n, "group", &ok);
	out->version = opt_string(r, n, "version", &ok);
	out->kind = opt_string(r, n, "kind", &ok);
	out->path = opt_string(r, n, "path", &ok);
	const kv_node *create = kv_map_get(n, "create");
	if (create && create->type == KV_BOOL)
		out->create = create->u.b;
	else if (create && create->type != KV_NULL) {
		rn_problem(r, 0, create, KV_RULE_RENDER_KUSTOMIZATION, NULL, "create must be true or false");
		ok = false;
	}
	if (ok && !out->path) {
		rn_problem(r, 0, n, KV_RULE_RENDER_KUSTOMIZATION, NULL, "a field spec needs a path");
		ok = false;
	}
	return ok ? 0 : -1;
}

static int add_fspecs(kv_render *r, rn_fspecs *l, const kv_node *list)
{
	if (list->type == KV_NULL)
		return 0;
	if (list->type != KV_LIST) {
		rn_problem(r, 0, list, KV_RULE_RENDER_KUSTOMIZATION, NULL, "a list of field specs is expected here");
		return -1;
	}
	int rc = 0;
	for (uint32_t i = 0; i < list->len; i++) {
		rn_fspec fs;
		if (parse_fspec(r, list->u.items[i], &fs) < 0 || fspecs_add(r, l, &fs, list->u.items[i]) < 0)
			rc = -1;
	}
	return rc;
}

static int add_namerefs(kv_render *r, rn_config *c, const kv_node *list)
{
	if (list->type == KV_NULL)
		return 0;
	if (list->type != KV_LIST) {
		rn_problem(r, 0, list, KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   "nameReference must be a list of kinds, each with the fieldSpecs that refer to it");
		return -1;
	}
	int rc = 0;
	for (uint32_t i = 0; i < list->len; i++) {
		const kv_node *e = list->u.items[i];
		bool ok = e->type == KV_MAP;
		const char *group = ok ? opt_string(r, e, "group", &ok) : NULL;
		const char *version = ok ? opt_string(r, e, "version", &ok) : NULL;
		const char *kind = ok ? opt_string(r, e, "kind", &ok) : NULL;
		if (!ok || !kind) {
			rn_problem(r, 0, e, KV_RULE_RENDER_KUSTOMIZATION, NULL,
				   "a nameReference entry needs a kind (and fieldSpecs)");
			rc = -1;
			continue;
		}
		rn_nameref *n = nameref_find(r, c, group, version, kind);
		const kv_node *fss = kv_map_get(e, "fieldSpecs");
		if (fss && add_fspecs(r, &n->by, fss) < 0)
			rc = -1;
	}
	return rc;
}

int rn_config_add(kv_render *r, rn_config *c, const kv_node *doc)
{
	if (!doc || doc->type == KV_NULL)
		return 0;
	if (doc->type != KV_MAP) {
		rn_problem(r, 0, doc, KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   "a transformer configuration must be a map of field spec lists");
		return -1;
	}
	int rc = 0;
	for (uint32_t i = 0; i < doc->len; i++) {
		const kv_node *key = doc->u.pairs[i].key, *val = doc->u.pairs[i].value;
		const char *k = key->u.s;
		if (strcmp(k, "nameReference") == 0) {
			rc |= add_namerefs(r, c, val);
			continue;
		}
#define X(field, name)                                              \
	if (strcmp(k, name) == 0) {                                 \
		rc |= add_fspecs(r, &c->field, val);                \
		continue;                                           \
	}
		RN_CONFIG_SECTIONS(X)
#undef X
		rn_problem(r, 0, key, KV_RULE_RENDER_UNSUPPORTED, NULL,
			   "%s is not a section of a transformer configuration: kustomize ignores it, and so does kvet", k);
	}
	return rc ? -1 : 0;
}

static void fspecs_merge(kv_render *r, rn_fspecs *dst, const rn_fspecs *src)
{
	for (size_t i = 0; i < src->n; i++)
		fspecs_add(r, dst, &src->items[i], NULL);
}

void rn_config_merge(kv_render *r, rn_config *dst, const rn_config *src)
{
#define X(field, name) fspecs_merge(r, &dst->field, &src->field);
	RN_CONFIG_SECTIONS(X)
#undef X
	for (size_t i = 0; i < src->nnamerefs; i++) {
		const rn_nameref *s = &src->namerefs[i];
		rn_nameref *d = nameref_find(r, dst, s->group, s->version, s->kind);
		fspecs_merge(r, &d->by, &s->by);
	}
}

/* Parses one of the built-in configuration texts into c. */
static void add_builtin(kv_render *r, rn_config *c, const char *text)
{
	kv_diags d;
	kv_diags_init(&d, NULL, 0);
	kv_loader *l = kv_loader_new(text, strlen(text), KV_SYNTAX_YAML, &r->o.limits, &d);
	kv_doc doc;
	while (kv_loader_next(l, r->arena, &doc) == 1)
		rn_config_add(r, c, doc.root);
	kv_loader_free(l);
	kv_diags_free(&d);
}

rn_config *rn_config_defaults(kv_render *r)
{
	if (!r->defaults_ready) {
		add_builtin(r, &r->defaults, rn_default_config_yaml);
		add_builtin(r, &r->defaults, rn_default_namerefs_yaml);
		r->defaults_ready = true;
	}
	return &r->defaults;
}

void rn_acc_config(kv_render *r, rn_acc *a, const rn_config *add)
{
	rn_config *defaults = rn_config_defaults(r);
	if (add == a->cfg)
		return;
	if (!a->cfg && add == defaults) {
		a->cfg = defaults;
		return;
	}
	if (!a->cfg || a->cfg == defaults) {
		rn_config *own = kv_arena_alloc(r->arena, sizeof *own);
		*own = (rn_config){0};
		if (a->cfg)
			rn_config_merge(r, own, defaults);
		a->cfg = own;
	}
	rn_config_merge(r, a->cfg, add);
}
