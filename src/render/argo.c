/* argo.c: Argo CD Applications (and the Applications an ApplicationSet's list and git
 * directory generators make) as units. A source's tool is found as Argo CD finds it: a
 * kustomization file means kustomize (with source.kustomize's options added to the build), a
 * Chart.yaml means Helm (not rendered by kvet, said so), else a directory of manifests
 * (directory.recurse, include, exclude). Whether repoURL is this repository cannot be known
 * from the files: a source whose path is a folder of the repository is rendered from it, any
 * other is reported as another repository. */
#include "units.h"

#include "kvet/alloc.h"
#include "kvet/strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DIR_DEPTH 64
#define GLOB_BUDGET 1000000u
#define MAX_GENERATED 2000

/* ---- Argo CD's glob (gobwas/glob without separators): '*' matches any text, '/' included;
 * '?' one character; [...] a class ([!...] negated); {a,b} alternatives. ---- */

static int amatch(const char *p, const char *pe, const char *t, const char *te, unsigned long *budget);

/* The end of the alternative group that starts at p ('{'), or NULL. */
static const char *group_end(const char *p, const char *pe)
{
	int depth = 0;
	for (const char *q = p; q < pe; q++) {
		if (*q == '\\' && q + 1 < pe)
			q++;
		else if (*q == '{')
			depth++;
		else if (*q == '}' && --depth == 0)
			return q;
	}
	return NULL;
}

static int alternatives(const char *p, const char *pe, const char *t, const char *te, unsigned long *budget)
{
	const char *end = group_end(p, pe);
	if (!end)
		return -1;
	const char *alt = p + 1;
	int depth = 0;
	for (const char *q = p + 1; q <= end; q++) {
		if (*q == '\\' && q + 1 < end) {
			q++;
			continue;
		}
		if (*q == '{')
			depth++;
		else if (*q == '}' && depth > 0 && q != end)
			depth--;
		else if ((*q == ',' && depth == 0) || q == end) {
			/* try this alternative followed by the rest of the pattern */
			size_t an = (size_t)(q - alt), rn = (size_t)(pe - end - 1);
			char *cat = kv_xmalloc(an + rn + 1);
			memcpy(cat, alt, an);
			memcpy(cat + an, end + 1, rn);
			int m = amatch(cat, cat + an + rn, t, te, budget);
			free(cat);
			if (m != 0)
				return m;
			alt = q + 1;
		}
	}
	return 0;
}

static int amatch(const char *p, const char *pe, const char *t, const char *te, unsigned long *budget)
{
	while (p < pe) {
		if ((*budget)-- == 0)
			return -1;
		switch (*p) {
		case '*':
			while (p < pe && *p == '*')
				p++;
			if (p == pe)
				return 1;
			for (const char *s = t; s <= te; s++) {
				int m = amatch(p, pe, s, te, budget);
				if (m != 0)
					return m;
			}
			return 0;
		case '?':
			if (t == te)
				return 0;
			p++, t++;
			break;
		case '{':
			return alternatives(p, pe, t, te, budget);
		case '[': {
			const char *q = p + 1;
			bool neg = q < pe && (*q == '!' || *q == '^'), hit = false;
			if (neg)
				q++;
			while (q < pe && *q != ']') {
				char lo = *q++, hi = lo;
				if (q + 1 < pe && *q == '-' && q[1] != ']') {
					hi = q[1];
					q += 2;
				}
				if (t < te && lo <= *t && *t <= hi)
					hit = true;
			}
			if (q >= pe)
				return -1;
			if (t == te || hit == neg)
				return 0;
			p = q + 1, t++;
			break;
		}
		case '\\':
			if (p + 1 < pe)
				p++;
			/* fall through */
		default:
			if (t == te || *p != *t)
				return 0;
			p++, t++;
		}
	}
	return t == te;
}

/* 1 when text matches, 0 when not, -1 for a malformed or too costly pattern. */
static int argo_glob(const char *pattern, const char *text)
{
	unsigned long budget = GLOB_BUDGET;
	return amatch(pattern, pattern + strlen(pattern), text, text + strlen(text), &budget);
}

/* ---- directory sources ---- */

typedef struct {
	kv_node **items;
	size_t n, cap;
} objs;

static bool manifest_name(const char *name)
{
	return kv_str_has_suffix(name, ".yaml") || kv_str_has_suffix(name, ".yml") || kv_str_has_suffix(name, ".json");
}

/* Include/exclude: a pattern, or Argo CD's "{a,b}" list of them; problems at the field. */
static bool selected(kv_render *r, const kv_node *inc, const kv_node *exc, const char *rel)
{
	const kv_node *f[2] = {exc, inc};
	for (int i = 0; i < 2; i++) {
		const char *pat = kv_str(f[i]);
		if (!pat || !*pat)
			continue;
		int m = argo_glob(pat, rel);
		if (m < 0) {
			rn_problem(r, f[i]->src, f[i], KV_RULE_RENDER_KUSTOMIZATION, NULL,
				   "%s is not a pattern kvet can match (malformed, or too costly)", pat);
			return false;
		}
		if ((i == 0) == (m == 1))
			return false;
	}
	return true;
}

static void add_file_objects(kv_render *r, const char *path, objs *o, const kv_node *cause)
{
	uint16_t src = rn_fs_read(r, path, cause ? cause->src : 0, cause);
	if (!src)
		return;
	kv_node **docs;
	size_t n = rn_load_docs(r, src, &docs);
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		kv_node *d = docs[i];
		if (d->type == KV_NULL)
			continue;
		if (d->type != KV_MAP || !kv_str(kv_map_get(d, "apiVersion")) || !kv_str(kv_map_get(d, "kind"))) {
			rn_problem(r, src, d, KV_RULE_RENDER_KUSTOMIZATION, NULL,
				   "a document without apiVersion and kind: Argo CD fails to generate the manifests");
			continue;
		}
		KV_GROW(o->items, o->cap, o->n + 1);
		o->items[o->n++] = d;
		any = true;
	}
	if (any)
		r->files[src - 1].applied = true;
}

static void walk_dir(kv_render *r, const char *top, const char *dir, const kv_node *dirspec, objs *o, const kv_node *cause,
		     int depth)
{
	char **names;
	size_t n;
	if (rn_fs_list(r, dir, &names, &n) != 0)
		return;
	const kv_node *rec = kv_map_get(dirspec, "recurse");
	bool recurse = rec && rec->type == KV_BOOL && rec->u.b;
	for (size_t i = 0; i < n; i++) {
		char *path = rn_path_child(dir, names[i]);
		const char *rel = path + (*top ? strlen(top) + 1 : 0);
		rn_kind k = rn_fs_kind(r, path);
		if (k == RN_DIR && recurse && strcmp(names[i], ".git") != 0) {
			if (depth < MAX_DIR_DEPTH)
				walk_dir(r, top, path, dirspec, o, cause, depth + 1);
		} else if (k == RN_FILE && kv_str_has_suffix(names[i], ".jsonnet")) {
			rn_problem(r, cause ? cause->src : 0, cause, KV_RULE_RENDER_UNSUPPORTED, NULL,
				   "%s is Jsonnet, which kvet does not evaluate: not rendered", path);
		} else if (k == RN_FILE && manifest_name(names[i]) &&
			   selected(r, kv_map_get(dirspec, "include"), kv_map_get(dirspec, "exclude"), rel)) {
			add_file_objects(r, path, o, cause);
		}
		free(path);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* ---- kustomize sources: source.kustomize as the build's overlay ---- */

/* "name=newName:tag", "name:tag", "name@digest" (kustomize edit set image) as an images entry. */
static kv_node *image_entry(kv_render *r, const kv_node *at)
{
	const char *s = kv_str(at);
	kv_node *m = rn_new_map(r, at);
	const char *eq = strchr(s, '=');
	const char *img = eq ? eq + 1 : s;
	const char *at_sign = strchr(img, '@');
	const char *slash = strrchr(img, '/');
	const char *colon = strrchr(img, ':');
	if (colon && slash && colon < slash)
		colon = NULL;
	if (at_sign)
		colon = NULL;
	size_t reflen = at_sign ? (size_t)(at_sign - img) : colon ? (size_t)(colon - img) : strlen(img);
	size_t namelen = eq ? (size_t)(eq - s) : reflen;
	rn_set(r, m, "name", rn_new_string(r, s, namelen, at), at);
	if (eq)
		rn_set(r, m, "newName", rn_new_string(r, img, reflen, at), at);
	if (colon)
		rn_set(r, m, "newTag", rn_new_string(r, colon + 1, strlen(colon + 1), at), at);
	if (at_sign)
		rn_set(r, m, "digest", rn_new_string(r, at_sign + 1, strlen(at_sign + 1), at), at);
	return m;
}

static kv_node *argo_overlay(kv_render *r, const kv_node *kz)
{
	static const char *const same[] = {"namePrefix", "nameSuffix", "commonLabels", "commonAnnotations", "namespace",
					   "components", "patches"};
	kv_node *ov = rn_new_map(r, kz);
	for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
		const kv_pair *p = kv_map_pair(kz, same[i]);
		if (p && p->value->type != KV_NULL)
			rn_set(r, ov, same[i], p->value, p->key);
	}
	const kv_pair *imgs = kv_map_pair(kz, "images");
	if (imgs && imgs->value->type == KV_LIST) {
		kv_node *list = rn_new_list(r, imgs->value);
		for (uint32_t i = 0; i < imgs->value->len; i++) {
			const kv_node *e = imgs->value->u.items[i];
			if (kv_str(e))
				rn_append(r, list, image_entry(r, e));
			else
				rn_problem(r, e->src, e, KV_RULE_RENDER_KUSTOMIZATION, NULL,
					   "an image override is a string (name=newName:tag)");
		}
		rn_set(r, ov, "images", list, imgs->key);
	}
	const kv_pair *reps = kv_map_pair(kz, "replicas");
	if (reps && reps->value->type == KV_LIST) {
		kv_node *list = rn_new_list(r, reps->value);
		for (uint32_t i = 0; i < reps->value->len; i++) {
			kv_node *e = reps->value->u.items[i];
			kv_node *count = kv_map_get(e, "count");
			if (kv_str(count)) { /* Argo CD accepts "3": kustomize wants a number */
				char *end;
				long v = strtol(kv_str(count), &end, 10);
				if (*end == '\0' && end != kv_str(count)) {
					kv_node *c = rn_copy(r, e);
					kv_node *num = rn_copy(r, count);
					num->type = KV_INT;
					num->u.i = v;
					rn_set(r, c, "count", num, count);
					e = c;
				}
			}
			rn_append(r, list, e);
		}
		rn_set(r, ov, "replicas", list, reps->key);
	}
	static const char *const unsupported[] = {"version", "forceCommonLabels", "forceCommonAnnotations", "commonAnnotationsEnvsubst",
						  "labelWithoutSelector", "kubeVersion", "apiVersions"};
	for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++) {
		const kv_pair *p = kv_map_pair(kz, unsupported[i]);
		if (p)
			rn_problem(r, p->key->src, p->key, KV_RULE_RENDER_UNSUPPORTED, NULL,
				   "source.kustomize.%s is not applied by kvet", unsupported[i]);
	}
	return ov;
}

/* ---- Applications ---- */

static bool has_file(kv_render *r, const char *dir, const char *name)
{
	char *p = rn_path_child(dir, name);
	bool f = rn_fs_kind(r, p) == RN_FILE;
	free(p);
	return f;
}

static void render_source(kv_render *r, kv_unit *u, const kv_node *src, const char *dir)
{
	const kv_node *kz = kv_map_get(src, "kustomize"), *dirspec = kv_map_get(src, "directory");
	bool kust = un_has_kust(r, dir), helm = has_file(r, dir, "Chart.yaml");
	if (kv_map_get(src, "plugin")) {
		rn_problem(r, src->src, kv_map_get(src, "plugin"), KV_RULE_RENDER_UNSUPPORTED, NULL,
			   "a config management plugin source is not rendered by kvet");
		return;
	}
	if (kv_map_get(src, "helm") || (helm && !kust && !kz && !dirspec)) {
		rn_problem(r, src->src, src, KV_RULE_RENDER_UNSUPPORTED, "check the chart's output with helm template | kvet check -",
			   "%s is a Helm chart: not rendered by kvet", *dir ? dir : ".");
		return;
	}
	if (kust && !dirspec) {
		kv_build_opts bo = {.overlay = kz ? argo_overlay(r, kz) : NULL, .generate = false};
		u->rendered = kv_kustomize_build_ex(r, dir, &bo, &u->result) == 0;
		return;
	}
	if (kz)
		rn_problem(r, src->src, kz, KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   "source.kustomize is set but %s has no kustomization file: Argo CD fails", *dir ? dir : ".");
	objs o = {0};
	walk_dir(r, dir, dir, dirspec, &o, src, 0);
	u->result.objects = kv_arena_alloc(r->arena, sizeof *u->result.objects * (o.n ? o.n : 1));
	if (o.n)
		memcpy(u->result.objects, o.items, sizeof *o.items * o.n);
	u->result.n = o.n;
	u->result.complete = true;
	u->rendered = true;
	free(o.items);
}

static void app_source(kv_render *r, un_scan *s, const kv_node *app, const kv_node *src, const char *name)
{
	const kv_node *spec = kv_map_get(app, "spec");
	const kv_node *dest = kv_map_get(kv_map_get(spec, "destination"), "namespace");
	const kv_node *auto_ = kv_map_get(kv_map_get(spec, "syncPolicy"), "automated");
	const kv_node *prune = kv_map_get(auto_, "prune");
	const char *path = kv_str(kv_map_get(src, "path"));
	const char *repo = kv_str(kv_map_get(src, "repoURL"));
	char *norm = path ? kv_path_normalize(path[0] == '/' ? path + 1 : path) : NULL;
	kv_unit *u = un_add(r, s, KV_UNIT_ARGO, name, norm ? norm : path ? path : "");
	u->def = app;
	u->namespace = kv_str(dest) && *kv_str(dest) ? kv_str(dest) : NULL;
	u->prune = prune && prune->type == KV_BOOL && prune->u.b;
	if (kv_map_get(src, "chart")) {
		u->external = true;
		rn_problem(r, src->src, kv_map_get(src, "chart"), KV_RULE_RENDER_EXTERNAL, NULL,
			   "the source is chart %s of the Helm repository %s: not rendered", kv_str(kv_map_get(src, "chart")),
			   repo ? repo : "?");
	} else if (!path) {
		rn_problem(r, src->src, src, KV_RULE_RENDER_KUSTOMIZATION, NULL, "a source needs path (or chart)");
	} else if (!norm || rn_fs_kind(r, norm) != RN_DIR) {
		rn_problem(r, src->src, kv_map_get(src, "path"), KV_RULE_RENDER_EXTERNAL,
			   "kvet renders sources whose path is a folder of this repository",
			   "%s is not a folder of this repository: the source (%s) is taken as another repository, not rendered",
			   path, repo ? repo : "no repoURL");
	} else {
		render_source(r, u, src, norm);
	}
	free(norm);
}

static void app_unit(kv_render *r, un_scan *s, const kv_node *app)
{
	const kv_node *spec = kv_map_get(app, "spec");
	const char *name = kv_str(kv_map_get(kv_map_get(app, "metadata"), "name"));
	if (!name) {
		rn_problem(r, app->src, kv_map_get(app, "metadata") ? kv_map_get(app, "metadata") : app,
			   KV_RULE_RENDER_KUSTOMIZATION, NULL, "an Application needs metadata.name");
		name = "?";
	}
	const kv_node *src = kv_map_get(spec, "source"), *srcs = kv_map_get(spec, "sources");
	if (srcs && srcs->type == KV_LIST && srcs->len) {
		for (uint32_t i = 0; i < srcs->len; i++) {
			const kv_node *one = srcs->u.items[i];
			if (!kv_map_get(one, "path") && !kv_map_get(one, "chart"))
				continue; /* a values source (ref) only */
			char *full = kv_xasprintf("%s/sources[%u]", name, i);
			app_source(r, s, app, one, full);
			free(full);
		}
	} else if (src && src->type == KV_MAP) {
		app_source(r, s, app, src, name);
	} else {
		kv_unit *u = un_add(r, s, KV_UNIT_ARGO, name, "");
		u->def = app;
		rn_problem(r, app->src, spec ? spec : app, KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   "an Application needs spec.source or spec.sources");
	}
}

/* ---- ApplicationSets ---- */

typedef struct {
	const char **keys, **values;
	size_t n, cap;
} params;

static void param_add(params *p, const char *k, const char *v)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 8;
		p->keys = kv_xrealloc(p->keys, sizeof *p->keys * p->cap);
		p->values = kv_xrealloc(p->values, sizeof *p->values * p->cap);
	}
	p->keys[p->n] = k;
	p->values[p->n++] = v;
}

static const char *param_get(const params *p, const char *k, size_t n)
{
	for (size_t i = 0; i < p->n; i++)
		if (strlen(p->keys[i]) == n && memcmp(p->keys[i], k, n) == 0)
			return p->values[i];
	return NULL;
}

/* Replaces {{ key }} (fasttemplate) or {{ .key }} and {{ index .path.segments N }}
 * (goTemplate; nothing else of Go templates) in a string; unknown keys stay as written. */
static kv_node *subst_str(kv_render *r, kv_node *n, const params *p, bool go, bool *unsupported)
{
	if (!strstr(n->u.s, "{{"))
		return n;
	kv_buf b = KV_BUF_INIT;
	const char *s = n->u.s;
	while (*s) {
		const char *open = strstr(s, "{{"), *close = open ? strstr(open + 2, "}}") : NULL;
		if (!open || !close) {
			kv_buf_puts(&b, s);
			break;
		}
		kv_buf_add(&b, s, (size_t)(open - s));
		const char *k = open + 2, *ke = close;
		while (k < ke && (*k == ' ' || *k == '-'))
			k++;
		while (ke > k && (ke[-1] == ' ' || ke[-1] == '-'))
			ke--;
		const char *v = NULL;
		static const char seg[] = "index .path.segments ";
		if (go && (size_t)(ke - k) > sizeof seg - 1 && memcmp(k, seg, sizeof seg - 1) == 0) {
			char key[32];
			int len = snprintf(key, sizeof key, "path[%.*s]", (int)(ke - k - (sizeof seg - 1)), k + sizeof seg - 1);
			if (len > 0 && (size_t)len < sizeof key)
				v = param_get(p, key, (size_t)len);
		} else if (go && k < ke && *k == '.')
			v = param_get(p, k + 1, (size_t)(ke - k - 1));
		else if (!go)
			v = param_get(p, k, (size_t)(ke - k));
		if (v)
			kv_buf_puts(&b, v);
		else {
			if (go)
				*unsupported = true;
			kv_buf_add(&b, open, (size_t)(close + 2 - open));
		}
		s = close + 2;
	}
	kv_node *out = rn_new_string(r, b.data ? b.data : "", b.len, n);
	out->flags = n->flags;
	kv_buf_free(&b);
	return out;
}

static kv_node *subst_tree(kv_render *r, const kv_node *n, const params *p, bool go, bool *unsupported, int depth)
{
	kv_node *c = rn_copy(r, n);
	if (depth > 100)
		return c;
	if (c->type == KV_STRING)
		return subst_str(r, c, p, go, unsupported);
	for (uint32_t i = 0; c->type == KV_LIST && i < c->len; i++)
		c->u.items[i] = subst_tree(r, c->u.items[i], p, go, unsupported, depth + 1);
	for (uint32_t i = 0; c->type == KV_MAP && i < c->len; i++) {
		c->u.pairs[i].key = subst_str(r, c->u.pairs[i].key, p, go, unsupported);
		c->u.pairs[i].value = subst_tree(r, c->u.pairs[i].value, p, go, unsupported, depth + 1);
	}
	return c;
}

/* The Application an ApplicationSet's template makes with one parameter set. */
static void generate_app(kv_render *r, un_scan *s, const kv_node *set, const params *p, size_t *made)
{
	const kv_node *spec = kv_map_get(set, "spec"), *tmpl = kv_map_get(spec, "template");
	const kv_node *gt = kv_map_get(spec, "goTemplate");
	bool go = gt && gt->type == KV_BOOL && gt->u.b, unsupported = false;
	if (!tmpl || tmpl->type != KV_MAP) {
		rn_problem(r, set->src, spec ? spec : set, KV_RULE_RENDER_KUSTOMIZATION, NULL, "an ApplicationSet needs spec.template");
		return;
	}
	if (++*made > MAX_GENERATED) {
		if (*made == MAX_GENERATED + 1)
			rn_problem(r, set->src, set, KV_RULE_RENDER_LIMIT, NULL, "the ApplicationSet makes more than %d Applications",
				   MAX_GENERATED);
		return;
	}
	kv_node *app = subst_tree(r, tmpl, p, go, &unsupported, 0);
	if (unsupported)
		rn_problem(r, set->src, tmpl, KV_RULE_RENDER_UNSUPPORTED, NULL,
			   "the template uses Go template forms other than {{.field}}: kvet leaves them as written");
	app_unit(r, s, app);
}

static void gen_list(kv_render *r, un_scan *s, const kv_node *set, const kv_node *g, size_t *made)
{
	const kv_node *els = kv_map_get(g, "elements");
	for (uint32_t i = 0; els && els->type == KV_LIST && i < els->len; i++) {
		const kv_node *e = els->u.items[i];
		params p = {0};
		for (uint32_t k = 0; e->type == KV_MAP && k < e->len; k++) {
			const kv_node *v = e->u.pairs[k].value;
			if (kv_str(v))
				param_add(&p, e->u.pairs[k].key->u.s, kv_str(v));
			for (uint32_t j = 0; v->type == KV_MAP && j < v->len; j++)
				if (kv_str(v->u.pairs[j].value)) {
					char *key = kv_xasprintf("%s.%s", e->u.pairs[k].key->u.s, v->u.pairs[j].key->u.s);
					param_add(&p, un_str(r, key), kv_str(v->u.pairs[j].value));
					free(key);
				}
		}
		generate_app(r, s, set, &p, made);
		free(p.keys);
		free(p.values);
	}
}

/* Folders of the repository matching a git directories pattern (path.Match: '*' stays in a
 * segment), collected by walking. */
static void match_dirs(kv_render *r, const char *dir, const char *pattern, char ***out, size_t *n, size_t *cap, int depth)
{
	char **names;
	size_t count;
	if (depth > MAX_DIR_DEPTH || rn_fs_list(r, dir, &names, &count) != 0)
		return;
	for (size_t i = 0; i < count; i++) {
		char *path = rn_path_child(dir, names[i]);
		if (names[i][0] != '.' && rn_fs_kind(r, path) == RN_DIR) {
			/* path.Match: a pattern without a slash names a top-level folder only */
			if (kv_glob_match(pattern, path) && (strchr(pattern, '/') || !strchr(path, '/'))) {
				KV_GROW(*out, *cap, *n + 1);
				(*out)[(*n)++] = kv_xstrdup(path);
			}
			match_dirs(r, path, pattern, out, n, cap, depth + 1);
		}
		free(path);
		free(names[i]);
	}
	free(names);
}

static void dir_params(kv_render *r, params *p, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char *norm = kv_xstrdup(base);
	for (char *c = norm; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '.'))
			*c = (*c >= 'A' && *c <= 'Z') ? (char)(*c - 'A' + 'a') : '-';
	const char *p1 = un_str(r, path), *b1 = un_str(r, base), *n1 = un_str(r, norm);
	free(norm);
	param_add(p, "path", p1);
	param_add(p, "path.path", p1);
	param_add(p, "path.basename", b1);
	param_add(p, "path.basenameNormalized", n1);
	const char *seg = path;
	for (int i = 0; *seg && i < 32; i++) {
		const char *slash = strchr(seg, '/');
		size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
		char key[24];
		snprintf(key, sizeof key, "path[%d]", i);
		param_add(p, un_str(r, key), kv_arena_strndup(r->arena, seg, len));
		if (!slash)
			break;
		seg = slash + 1;
	}
}

static void gen_git(kv_render *r, un_scan *s, const kv_node *set, const kv_node *g, size_t *made)
{
	const kv_node *dirs = kv_map_get(g, "directories");
	if (!dirs || dirs->type != KV_LIST) {
		rn_problem(r, set->src, g, KV_RULE_RENDER_UNSUPPORTED, NULL,
			   "a git generator without directories (files) is not expanded by kvet");
		return;
	}
	char **found = NULL;
	size_t n = 0, cap = 0;
	for (uint32_t i = 0; i < dirs->len; i++) {
		const kv_node *e = dirs->u.items[i], *ex = kv_map_get(e, "exclude");
		const char *pat = kv_str(kv_map_get(e, "path"));
		if (!pat || (ex && ex->type == KV_BOOL && ex->u.b))
			continue;
		match_dirs(r, "", pat, &found, &n, &cap, 0);
	}
	for (size_t i = 0; i < n; i++) {
		bool excluded = false;
		for (size_t j = 0; j < i && !excluded; j++)
			excluded = strcmp(found[i], found[j]) == 0;
		for (uint32_t k = 0; k < dirs->len && !excluded; k++) {
			const kv_node *e = dirs->u.items[k], *ex = kv_map_get(e, "exclude");
			const char *pat = kv_str(kv_map_get(e, "path"));
			excluded = pat && ex && ex->type == KV_BOOL && ex->u.b && kv_glob_match(pat, found[i]) &&
				   (strchr(pat, '/') || !strchr(found[i], '/'));
		}
		if (!excluded) {
			params p = {0};
			dir_params(r, &p, found[i]);
			generate_app(r, s, set, &p, made);
			free(p.keys);
			free(p.values);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(found[i]);
	free(found);
}

static void appset(kv_render *r, un_scan *s, const kv_node *set)
{
	const kv_node *gens = kv_map_get(kv_map_get(set, "spec"), "generators");
	size_t made = 0;
	if (!gens || gens->type != KV_LIST)
		rn_problem(r, set->src, gens ? gens : set, KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   "an ApplicationSet needs spec.generators, a list");
	for (uint32_t i = 0; gens && gens->type == KV_LIST && i < gens->len; i++) {
		const kv_node *g = gens->u.items[i];
		if (kv_map_get(g, "list"))
			gen_list(r, s, set, kv_map_get(g, "list"), &made);
		else if (kv_map_get(g, "git"))
			gen_git(r, s, set, kv_map_get(g, "git"), &made);
		else
			rn_problem(r, set->src, g, KV_RULE_RENDER_UNSUPPORTED, NULL,
				   "%s generator needs a cluster or an API to expand: its Applications are not rendered",
				   g->type == KV_MAP && g->len ? g->u.pairs[0].key->u.s : "this");
	}
}

void un_argo_units(kv_render *r, un_scan *s)
{
	for (size_t i = 0; i < s->apps.n; i++)
		app_unit(r, s, s->apps.items[i].doc);
	for (size_t i = 0; i < s->appsets.n; i++)
		appset(r, s, s->appsets.items[i].doc);
}
