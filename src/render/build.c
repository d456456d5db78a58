/* build.c: `kustomize build` of one folder: the kustomization file, its resources (files,
 * folders with their own kustomization, recursively), generators, components, transformers
 * in kustomize's order, and at the top the content hashes, name references and output order.
 *
 * Like kustomize, a folder may not include itself or a folder above it, files a kustomization
 * reads must lie in its own folder, and two objects of one build may not share an identity.
 * Unlike kustomize, a problem does not end the build: it is reported where it is, and the
 * rest is built, so one run shows every problem (the result is marked incomplete). */
#include "internal.h"

#include "kvet/alloc.h"
#include "kvet/k8s.h"
#include "kvet/strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Kustomizations nested deeper than this are refused (a bound on hostile repositories). */
#define MAX_NESTING 64

const char *const rn_kust_names[RN_NKUST_NAMES] = {"kustomization.yaml", "kustomization.yml", "Kustomization"};

/* The fields of a kustomization and the shape each must have. */
typedef enum { T_STRING, T_STRINGS, T_STRMAP, T_LIST, T_MAP } ftype;

static const struct field {
	const char *name;
	ftype type;
} fields[] = {
	{"apiVersion", T_STRING},
	{"kind", T_STRING},
	{"metadata", T_MAP},
	{"openapi", T_STRMAP},
	{"namePrefix", T_STRING},
	{"nameSuffix", T_STRING},
	{"namespace", T_STRING},
	{"commonLabels", T_STRMAP},
	{"labels", T_LIST},
	{"commonAnnotations", T_STRMAP},
	{"patchesStrategicMerge", T_STRINGS},
	{"patchesJson6902", T_LIST},
	{"patches", T_LIST},
	{"images", T_LIST},
	{"imageTags", T_LIST},
	{"replacements", T_LIST},
	{"replicas", T_LIST},
	{"vars", T_LIST},
	{"sortOptions", T_MAP},
	{"resources", T_STRINGS},
	{"components", T_STRINGS},
	{"crds", T_STRINGS},
	{"bases", T_STRINGS},
	{"configMapGenerator", T_LIST},
	{"secretGenerator", T_LIST},
	{"helmGlobals", T_MAP},
	{"helmCharts", T_LIST},
	{"helmChartInflationGenerator", T_LIST},
	{"generatorOptions", T_MAP},
	{"configurations", T_STRINGS},
	{"generators", T_STRINGS},
	{"transformers", T_STRINGS},
	{"validators", T_STRINGS},
	{"inventory", T_MAP},
	{"buildMetadata", T_STRINGS},
};

/* ---- the kustomization file ---- */

static const char *shape_phrase(ftype t)
{
	switch (t) {
	case T_STRING:
		return "a string";
	case T_STRINGS:
		return "a list of strings";
	case T_STRMAP:
		return "a map of strings";
	case T_LIST:
		return "a list";
	case T_MAP:
		return "a map";
	}
	return "?";
}

static bool has_shape(const kv_node *v, ftype t)
{
	if (v->type == KV_NULL)
		return true;
	switch (t) {
	case T_STRING:
		return v->type == KV_STRING;
	case T_LIST:
		return v->type == KV_LIST;
	case T_MAP:
		return v->type == KV_MAP;
	case T_STRINGS:
		if (v->type != KV_LIST)
			return false;
		for (uint32_t i = 0; i < v->len; i++)
			if (v->u.items[i]->type != KV_STRING)
				return false;
		return true;
	case T_STRMAP:
		if (v->type != KV_MAP)
			return false;
		for (uint32_t i = 0; i < v->len; i++)
			if (v->u.pairs[i].value->type != KV_STRING)
				return false;
		return true;
	}
	return false;
}

/* The first entry of v that breaks shape t, for the location of the problem. */
static const kv_node *bad_entry(const kv_node *v, ftype t)
{
	if (t == T_STRINGS && v->type == KV_LIST)
		for (uint32_t i = 0; i < v->len; i++)
			if (v->u.items[i]->type != KV_STRING)
				return v->u.items[i];
	if (t == T_STRMAP && v->type == KV_MAP)
		for (uint32_t i = 0; i < v->len; i++)
			if (v->u.pairs[i].value->type != KV_STRING)
				return v->u.pairs[i].value;
	return v;
}

static const struct field *field_named(const char *name)
{
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

static const char *closest_field(const char *name)
{
	const char *best = NULL;
	unsigned bestd = 4;
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		unsigned d = kv_edit_distance(name, strlen(name), fields[i].name, strlen(fields[i].name), 3);
		if (d < bestd) {
			bestd = d;
			best = fields[i].name;
		}
	}
	return best;
}

/* Checks every field's name and shape; false when the kustomization cannot be used. */
static bool check_fields(kv_render *r, const rn_kust *k)
{
	bool ok = true;
	for (uint32_t i = 0; i < k->root->len; i++) {
		const kv_node *key = k->root->u.pairs[i].key, *val = k->root->u.pairs[i].value;
		const struct field *f = field_named(key->u.s);
		if (!f) {
			const char *near = closest_field(key->u.s);
			char hint[128];
			if (near)
				snprintf(hint, sizeof hint, "did you mean %s?", near);
			rn_problem(r, k->src, key, KV_RULE_RENDER_KUSTOMIZATION, near ? hint : NULL,
				   "%s is not a field of a kustomization: kustomize refuses the file", key->u.s);
			ok = false;
		} else if (!has_shape(val, f->type)) {
			const kv_node *bad = bad_entry(val, f->type);
			rn_problem(r, k->src, bad, KV_RULE_RENDER_KUSTOMIZATION, NULL, "%s must be %s, not %s", f->name,
				   shape_phrase(f->type), kv_type_phrase((kv_type)bad->type));
			ok = false;
		}
	}
	return ok;
}

/* kind and apiVersion: Kustomization (kustomize.config.k8s.io/v1beta1) or Component
 * (v1alpha1); both may be left out. */
static bool check_kind(kv_render *r, rn_kust *k)
{
	const kv_node *kind = kv_map_get(k->root, "kind"), *av = kv_map_get(k->root, "apiVersion");
	const char *ks = kv_str(kind);
	if (ks && strcmp(ks, "Kustomization") != 0 && strcmp(ks, "Component") != 0) {
		rn_problem(r, k->src, kind, KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   "kind must be Kustomization or Component, not %s", ks);
		return false;
	}
	k->component = ks && strcmp(ks, "Component") == 0;
	const char *want = k->component ? "kustomize.config.k8s.io/v1alpha1" : "kustomize.config.k8s.io/v1beta1";
	const char *as = kv_str(av);
	if (as && strcmp(as, want) != 0) {
		rn_problem(r, k->src, av, KV_RULE_RENDER_KUSTOMIZATION, NULL, "apiVersion of a %s must be %s, not %s",
			   k->component ? "Component" : "Kustomization", want, as);
		return false;
	}
	return true;
}

const char *rn_kust_string(kv_render *r, const rn_kust *k, const char *key)
{
	(void)r;
	return kv_str(kv_map_get(k->root, key)); /* shapes were checked on load */
}

uint16_t rn_kust_file(kv_render *r, const rn_kust *k, const kv_node *at)
{
	const char *rel = kv_str(at);
	if (!rel)
		return 0;
	char *path = rn_path_join(r, k->dir, rel, k->src, at);
	if (!path)
		return 0;
	uint16_t src = 0;
	if (!rn_path_below(path, k->dir, strlen(k->dir)) && !(r->bo && r->bo->unrestricted))
		rn_problem(r, k->src, at, KV_RULE_RENDER_PATH,
			   "kustomize reads files only in or below the kustomization's folder; put the file there, or make its folder a base",
			   "%s is outside %s", rel, *k->dir ? k->dir : "the repository root");
	else if (rn_fs_kind(r, path) == RN_DIR)
		rn_problem(r, k->src, at, KV_RULE_RENDER_MISSING, NULL, "%s is a folder, where a file is expected", rel);
	else
		src = rn_fs_read(r, path, k->src, at);
	free(path);
	return src;
}

/* The folder's images with the reconciler's: an entry for a name the folder has replaces the
 * folder's, others are appended. */
static kv_node *merged_images(kv_render *r, const kv_node *mine, const kv_node *add)
{
	kv_node *l = rn_new_list(r, mine);
	for (uint32_t i = 0; i < mine->len; i++) {
		const char *name = kv_str(rn_get(mine->u.items[i], "name"));
		bool replaced = false;
		for (uint32_t j = 0; name && j < add->len && !replaced; j++)
			replaced = kv_str_eq(rn_get(add->u.items[j], "name"), name);
		if (!replaced)
			rn_append(r, l, mine->u.items[i]);
	}
	for (uint32_t j = 0; j < add->len; j++)
		rn_append(r, l, add->u.items[j]);
	return l;
}

/* The top kustomization with a reconciler's additions (kv_build_opts.overlay): lists are
 * appended to the folder's own, anything else replaces it. The nodes keep their files. */
static kv_node *overlaid(kv_render *r, kv_node *root)
{
	const kv_node *ov = r->bo ? r->bo->overlay : NULL;
	if (!ov || ov->type != KV_MAP || ov->len == 0)
		return root;
	kv_node *m = rn_new_map(r, root);
	m->u.pairs = kv_arena_alloc(r->arena, sizeof *m->u.pairs * (root->len + ov->len));
	memcpy(m->u.pairs, root->u.pairs, sizeof *m->u.pairs * root->len);
	m->len = root->len;
	for (uint32_t i = 0; i < ov->len; i++) {
		const kv_pair *add = &ov->u.pairs[i];
		kv_pair *have = NULL;
		for (uint32_t j = 0; j < m->len; j++)
			if (kv_str_eq(m->u.pairs[j].key, add->key->u.s))
				have = &m->u.pairs[j];
		if (!have) {
			m->u.pairs[m->len++] = *add;
		} else if (have->value->type == KV_LIST && add->value->type == KV_LIST && kv_str_eq(add->key, "images")) {
			have->value = merged_images(r, have->value, add->value);
		} else if (have->value->type == KV_LIST && add->value->type == KV_LIST) {
			kv_node *l = rn_new_list(r, have->value);
			uint32_t n = have->value->len + add->value->len;
			l->u.items = kv_arena_alloc(r->arena, sizeof *l->u.items * (n ? n : 1));
			memcpy(l->u.items, have->value->u.items, sizeof *l->u.items * have->value->len);
			memcpy(l->u.items + have->value->len, add->value->u.items, sizeof *l->u.items * add->value->len);
			l->len = n;
			have->value = l;
		} else {
			have->value = add->value;
		}
	}
	return m;
}

/* Finds and loads the kustomization file of folder dir. */
static bool load_kust(kv_render *r, const char *dir, rn_kust *k, uint16_t from, const kv_node *at)
{
	const char *found = NULL;
	size_t count = 0;
	for (size_t i = 0; i < RN_NKUST_NAMES; i++) {
		char *p = rn_path_child(dir, rn_kust_names[i]);
		if (rn_fs_kind(r, p) == RN_FILE) {
			count++;
			if (!found)
				found = rn_kust_names[i];
		}
		free(p);
	}
	if (count == 0 && r->depth == 0 && r->bo && r->bo->generate) {
		const kv_node *cause = r->bo->overlay ? r->bo->overlay : at;
		kv_node *gen = rn_flux_generated(r, dir, cause);
		if (!gen)
			return false;
		k->src = cause ? cause->src : from;
		k->dir = kv_arena_strndup(r->arena, dir, strlen(dir));
		k->path = *dir ? k->dir : ".";
		k->root = overlaid(r, gen);
		return check_kind(r, k) & check_fields(r, k);
	}
	if (count == 0) {
		rn_problem(r, from, at, KV_RULE_RENDER_MISSING,
			   "a folder kustomize builds needs a kustomization.yaml, kustomization.yml or Kustomization",
			   "no kustomization file in %s", *dir ? dir : "the repository root");
		return false;
	}
	char *path = rn_path_child(dir, found);
	if (count > 1)
		rn_problem_path(r, path, KV_RULE_RENDER_KUSTOMIZATION, "keep one of them",
				"%s holds more than one kustomization file: kustomize refuses to choose", *dir ? dir : "the repository root");
	k->src = count > 1 ? 0 : rn_fs_read(r, path, from, at);
	free(path);
	if (!k->src)
		return false;
	k->dir = kv_arena_strndup(r->arena, dir, strlen(dir));
	k->path = kv_render_file_path(r, k->src);
	kv_node **docs;
	r->files[k->src - 1].config = true;
	size_t n = rn_load_docs(r, k->src, &docs);
	if (n == 0 || docs[0]->type != KV_MAP) {
		rn_problem(r, k->src, n ? docs[0] : NULL, KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   n ? "a kustomization must be a map" : "the kustomization is empty");
		return false;
	}
	k->root = r->depth == 0 ? overlaid(r, docs[0]) : docs[0];
	return check_kind(r, k) & check_fields(r, k);
}

/* ---- resources ---- */

/* A URL or a git repository, as kustomize reads remote bases. */
static bool is_remote(const char *s)
{
	static const char *const prefixes[] = {"http://", "https://", "git@", "git::", "ssh://", "file://",
					       "github.com/", "gitlab.com/", "bitbucket.org/"};
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
		if (strncmp(s, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* A path that is not in the repository but reads like a remote one: "host.tld/org/repo",
 * "...//subfolder", "?ref=". */
static bool looks_remote(const char *s)
{
	const char *slash = strchr(s, '/');
	const char *dot = strchr(s, '.');
	bool host = slash && dot && dot < slash && s[0] != '.';
	return host || strstr(s, "//") || strstr(s, "?ref=") || strstr(s, "?version=");
}

static bool is_list_kind(const kv_node *doc)
{
	const char *kind = kv_str(kv_map_get(doc, "kind"));
	const kv_node *items = kv_map_get(doc, "items");
	return kind && kv_str_has_suffix(kind, "List") && items && items->type == KV_LIST;
}

/* Appends one object, refusing a second object with the same identity. */
static bool add_res(kv_render *r, rn_acc *a, rn_res *res, const kv_node *at)
{
	if (r->objects > r->o.max_objects) {
		if (r->objects == r->o.max_objects + 1)
			rn_problem(r, 0, at, KV_RULE_RENDER_LIMIT, NULL, "the render makes more than %llu objects",
				   (unsigned long long)r->o.max_objects);
		return false;
	}
	rn_res *same = rn_list_find(r, &a->res, res);
	if (same) {
		rn_id id;
		rn_id_of(res, &id);
		kv_buf where = KV_BUF_INIT;
		const char *first = kv_render_file_path(r, same->obj->src);
		kv_buf_printf(&where, "the first is at %s:%u", first ? first : "?", same->obj->line);
		rn_problem(r, 0, res->obj, KV_RULE_RENDER_CONFLICT, kv_buf_cstr(&where),
			   "a second %s%s%s %s%s%s in one build: kustomize refuses duplicate objects", *id.group ? id.group : "",
			   *id.group ? "/" : "", id.kind ? id.kind : "?", id.ns && *id.ns ? id.ns : "",
			   id.ns && *id.ns ? "/" : "", id.name ? id.name : "?");
		kv_buf_free(&where);
		return false;
	}
	rn_list_add(&a->res, res);
	return true;
}

/* A document of a resource file: an object, or a List whose items are objects. */
static bool add_doc(kv_render *r, rn_acc *a, kv_node *doc, int depth)
{
	if (doc->type == KV_MAP && is_list_kind(doc) && depth < 8) {
		const kv_node *items = kv_map_get(doc, "items");
		bool ok = true;
		for (uint32_t i = 0; i < items->len; i++)
			ok &= add_doc(r, a, items->u.items[i], depth + 1);
		return ok;
	}
	const char *problem = NULL;
	const kv_node *at = doc;
	if (doc->type != KV_MAP)
		problem = "a resource must be a map with apiVersion, kind and metadata";
	else if (!kv_str(kv_map_get(doc, "kind")))
		problem = "a resource needs a kind";
	else if (!kv_map_get(kv_map_get(doc, "metadata"), "name")) {
		problem = "a resource needs metadata.name";
		at = kv_map_get(doc, "metadata") ? kv_map_get(doc, "metadata") : doc;
	}
	if (problem) {
		rn_problem(r, 0, at, KV_RULE_RENDER_KUSTOMIZATION, NULL, "%s: kustomize refuses the file", problem);
		return false;
	}
	return add_res(r, a, rn_res_new(r, doc), doc);
}

static bool add_file(kv_render *r, rn_acc *a, uint16_t src)
{
	r->files[src - 1].applied = true;
	kv_node **docs;
	size_t probs = r->nproblems;
	size_t n = rn_load_docs(r, src, &docs);
	bool ok = r->nproblems == probs;
	for (size_t i = 0; i < n; i++)
		ok &= add_doc(r, a, docs[i], 0);
	return ok;
}

/* What a folder is built as: the folder asked for, a resource of another, or a component. */
typedef enum { AS_TOP, AS_RESOURCE, AS_COMPONENT } build_as;

static int build_dir(kv_render *r, const char *dir, rn_acc *a, build_as as, uint16_t from, const kv_node *at);

/* Adds the objects of another build to a, keeping the first of two with one identity. */
static bool absorb(kv_render *r, rn_acc *a, rn_acc *sub)
{
	bool ok = true;
	for (size_t i = 0; i < sub->res.n; i++)
		ok &= add_res(r, a, sub->res.items[i], sub->res.items[i]->obj);
	rn_acc_config(r, a, sub->cfg);
	rn_list_free(&sub->res);
	return ok;
}

/* One entry of resources (or bases): a file, a folder, or something kvet cannot read. */
static bool add_resource(kv_render *r, const rn_kust *k, rn_acc *a, const kv_node *entry)
{
	const char *rel = entry->u.s;
	char *path = NULL;
	if (is_remote(rel)) {
		rn_problem(r, k->src, entry, KV_RULE_RENDER_UNSUPPORTED,
			   "kvet reads only the repository; vendor the base into it to have it checked",
			   "%s is a remote base: not rendered", rel);
		return false;
	}
	path = rn_path_join(r, k->dir, rel, k->src, entry);
	if (!path)
		return false;
	bool ok = false;
	switch (rn_fs_kind(r, path)) {
	case RN_FILE: {
		uint16_t src = rn_kust_file(r, k, entry);
		ok = src && add_file(r, a, src);
		break;
	}
	case RN_DIR: {
		rn_acc sub = {{0}, NULL};
		ok = build_dir(r, path, &sub, AS_RESOURCE, k->src, entry) == 0;
		ok &= absorb(r, a, &sub);
		break;
	}
	case RN_ABSENT:
		if (rn_fs_escapes(r, path))
			rn_problem(r, k->src, entry, KV_RULE_RENDER_PATH, "kvet never reads outside the repository",
				   "%s leads out of the repository through a symbolic link", rel);
		else if (looks_remote(rel))
			rn_problem(r, k->src, entry, KV_RULE_RENDER_UNSUPPORTED,
				   "kvet reads only the repository; vendor the base into it to have it checked",
				   "%s is not in the repository and reads as a remote base: not rendered", rel);
		else
			rn_problem(r, k->src, entry, KV_RULE_RENDER_MISSING, NULL, "%s is not in the %s", rel,
				   r->o.rev ? "revision" : "repository");
		break;
	}
	free(path);
	return ok;
}

static bool add_resources(kv_render *r, const rn_kust *k, rn_acc *a, const char *field)
{
	const kv_node *list = kv_map_get(k->root, field);
	bool ok = true;
	for (uint32_t i = 0; list && list->type == KV_LIST && i < list->len; i++)
		ok &= add_resource(r, k, a, list->u.items[i]);
	return ok;
}

static bool add_components(kv_render *r, const rn_kust *k, rn_acc *a)
{
	const kv_node *list = kv_map_get(k->root, "components");
	bool ok = true;
	for (uint32_t i = 0; list && list->type == KV_LIST && i < list->len; i++) {
		const kv_node *entry = list->u.items[i];
		if (is_remote(entry->u.s)) {
			rn_problem(r, k->src, entry, KV_RULE_RENDER_UNSUPPORTED, NULL, "%s is a remote component: not rendered",
				   entry->u.s);
			ok = false;
			continue;
		}
		char *path = rn_path_join(r, k->dir, entry->u.s, k->src, entry);
		if (!path) {
			ok = false;
			continue;
		}
		if (rn_fs_kind(r, path) != RN_DIR) {
			rn_problem(r, k->src, entry, KV_RULE_RENDER_MISSING, NULL, "%s is not a folder: a component is one",
				   entry->u.s);
			ok = false;
		} else {
			ok &= build_dir(r, path, a, AS_COMPONENT, k->src, entry) == 0;
		}
		free(path);
	}
	return ok;
}

/* The kustomization's transformer configuration: its `configurations` files first, then
 * kustomize's defaults merged into them (a default a custom spec stands for is left out), then
 * merged into what the build holds from its resources. */
static bool add_configurations(kv_render *r, const rn_kust *k, rn_acc *a)
{
	const kv_node *list = kv_map_get(k->root, "configurations");
	if (!list || list->type != KV_LIST || list->len == 0) {
		rn_acc_config(r, a, rn_config_defaults(r));
		return true;
	}
	bool ok = true;
	rn_config *add = kv_arena_alloc(r->arena, sizeof *add);
	*add = (rn_config){0};
	for (uint32_t i = 0; i < list->len; i++) {
		uint16_t src = rn_kust_file(r, k, list->u.items[i]);
		if (!src) {
			ok = false;
			continue;
		}
		kv_node **docs;
		size_t n = rn_load_docs(r, src, &docs);
		for (size_t d = 0; d < n; d++)
			ok &= rn_config_add(r, add, docs[d]) == 0;
	}
	rn_config_merge(r, add, rn_config_defaults(r));
	rn_acc_config(r, a, add);
	return ok;
}

/* Fields kvet does not render: each is said, and the build goes on without it. */
static bool unsupported(kv_render *r, const rn_kust *k)
{
	static const struct {
		const char *field, *why;
	} list[] = {
		{"helmCharts", "Helm charts are not rendered by kvet"},
		{"helmChartInflationGenerator", "Helm charts are not rendered by kvet"},
		{"helmGlobals", "Helm charts are not rendered by kvet"},
		{"generators", "generator plugins are not run by kvet"},
		{"transformers", "transformer plugins are not run by kvet"},
		{"validators", "validator plugins are not run by kvet"},
		{"vars", "vars are not substituted by kvet (kustomize deprecated them for replacements)"},
		{"crds", "crds (custom name reference schemas) are not read by kvet"},
		{"openapi", "a custom OpenAPI schema for strategic merge is not read by kvet"},
		{"buildMetadata", "buildMetadata annotations are not added by kvet"},
	};
	bool ok = true;
	for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
		const kv_pair *p = kv_map_pair(k->root, list[i].field);
		if (!p || p->value->type == KV_NULL || ((p->value->type == KV_LIST || p->value->type == KV_MAP) && p->value->len == 0))
			continue;
		rn_problem(r, k->src, p->key, KV_RULE_RENDER_UNSUPPORTED, NULL, "%s: the result is incomplete", list[i].why);
		ok = false;
	}
	return ok;
}

typedef int (*step_fn)(kv_render *r, const rn_kust *k, rn_acc *a);

/* kustomize's transformer order. */
static const step_fn transformers[] = {
	rn_patches, rn_namespace, rn_prefix_suffix, rn_labels, rn_annotations, rn_patches_json6902,
	rn_replicas, rn_images, rn_replacements,
};

static bool on_stack(kv_render *r, const char *dir, const char **which)
{
	for (size_t i = 0; i < r->depth; i++)
		if (rn_path_below(r->stack[i], dir, strlen(dir))) {
			*which = r->stack[i];
			return true;
		}
	return false;
}

static int build_dir(kv_render *r, const char *dir, rn_acc *a, build_as as, uint16_t from, const kv_node *at)
{
	const char *busy;
	if (on_stack(r, dir, &busy)) {
		const char *hint = "a kustomization may include folders beside or below it, never its own or one above it";
		if (strcmp(dir, busy) == 0)
			rn_problem(r, from, at, KV_RULE_RENDER_CYCLE, hint, "%s is being built already: it includes itself, a cycle",
				   *dir ? dir : "the repository root");
		else
			rn_problem(r, from, at, KV_RULE_RENDER_CYCLE, hint, "%s contains %s, which is being built: a cycle",
				   *dir ? dir : "the repository root", *busy ? busy : "the repository root");
		return -1;
	}
	if (r->depth >= MAX_NESTING) {
		rn_problem(r, from, at, KV_RULE_RENDER_LIMIT, NULL, "kustomizations nest deeper than %d folders", MAX_NESTING);
		return -1;
	}
	rn_kust k = {0};
	if (!load_kust(r, dir, &k, from, at))
		return -1;
	if (as != AS_TOP && (as == AS_COMPONENT) != k.component) {
		rn_problem(r, from, at, KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   as == AS_COMPONENT ? "%s is a Kustomization, where a component (kind: Component) is expected"
				     : "%s is a Component: list it under components, not resources",
			   *dir ? dir : "the repository root");
		return -1;
	}
	KV_GROW(r->stack, r->capstack, r->depth + 1);
	r->stack[r->depth++] = k.dir;
	bool ok = add_resources(r, &k, a, "resources");
	ok &= add_resources(r, &k, a, "bases");
	ok &= add_configurations(r, &k, a);
	ok &= rn_generators(r, &k, a) == 0;
	rn_list_touch(&a->res);
	ok &= add_components(r, &k, a);
	for (size_t i = 0; i < sizeof transformers / sizeof transformers[0]; i++)
		ok &= transformers[i](r, &k, a) == 0;
	rn_list_touch(&a->res);
	ok &= unsupported(r, &k);
	r->depth--;
	if (r->depth == 0)
		r->top = k;
	return ok ? 0 : -1;
}

/* ---- the top of a build ---- */

static bool local_config(const rn_res *res)
{
	const kv_node *ann = kv_map_get(kv_map_get(res->obj, "metadata"), "annotations");
	return kv_str_eq(kv_map_get(ann, "config.kubernetes.io/local-config"), "true");
}

/* kustomize holds annotations as strings: a number, a boolean or null is written as its text
 * ("1.50", "true", "null"), a list or a map as "". */
static void stringify_annotations(kv_render *r, rn_res *res)
{
	kv_node *ann = rn_get(rn_get(res->obj, "metadata"), "annotations");
	for (uint32_t i = 0; ann && ann->type == KV_MAP && i < ann->len; i++) {
		kv_node *v = ann->u.pairs[i].value;
		if (v->type == KV_STRING)
			continue;
		const char *text = NULL;
		size_t len = v->type == KV_LIST || v->type == KV_MAP ? 0 : rn_scalar_text(r, v, &text);
		char buf[64];
		if (!text && v->type != KV_LIST && v->type != KV_MAP) {
			if (v->type == KV_NULL)
				snprintf(buf, sizeof buf, "null");
			else if (v->type == KV_BOOL)
				snprintf(buf, sizeof buf, "%s", v->u.b ? "true" : "false");
			else if (v->type == KV_INT)
				snprintf(buf, sizeof buf, "%lld", (long long)v->u.i);
			else
				snprintf(buf, sizeof buf, "%.17g", v->u.d);
			text = buf;
			len = strlen(buf);
		}
		kv_node *str = rn_new_string(r, text ? text : "", len, v);
		str->flags |= KV_NF_QUOTED;
		ann->u.pairs[i].value = str;
	}
}

/* sortOptions: order legacy (the default) or fifo, legacySortOptions orderFirst/orderLast. */
static bool sort_result(kv_render *r, const rn_kust *k, rn_list *l)
{
	rn_order o;
	rn_order_default(&o);
	const kv_node *so = kv_map_get(k->root, "sortOptions");
	const kv_node *order = kv_map_get(so, "order"), *legacy = kv_map_get(so, "legacySortOptions");
	if (so && (!kv_str(order) || (!kv_str_eq(order, "legacy") && !kv_str_eq(order, "fifo")))) {
		rn_problem(r, k->src, order ? order : so, KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   "sortOptions.order must be legacy or fifo");
		return false;
	}
	if (kv_str_eq(order, "fifo")) {
		if (legacy) {
			rn_problem(r, k->src, legacy, KV_RULE_RENDER_KUSTOMIZATION, NULL,
				   "legacySortOptions is set but the order is fifo");
			return false;
		}
		return true;
	}
	const char **first = NULL, **last = NULL;
	if (legacy) {
		const kv_node *f = kv_map_get(legacy, "orderFirst"), *la = kv_map_get(legacy, "orderLast");
		o.nfirst = f && f->type == KV_LIST ? f->len : 0;
		o.nlast = la && la->type == KV_LIST ? la->len : 0;
		first = kv_xcalloc(o.nfirst + 1, sizeof *first);
		last = kv_xcalloc(o.nlast + 1, sizeof *last);
		for (size_t i = 0; i < o.nfirst; i++)
			first[i] = kv_str(f->u.items[i]) ? kv_str(f->u.items[i]) : "";
		for (size_t i = 0; i < o.nlast; i++)
			last[i] = kv_str(la->u.items[i]) ? kv_str(la->u.items[i]) : "";
		o.first = first;
		o.last = last;
	}
	rn_sort_legacy(l, &o);
	free(first);
	free(last);
	return true;
}

bool kv_render_file_applied(const kv_render *r, uint16_t src)
{
	return src && src <= r->nfiles && r->files[src - 1].applied;
}

int kv_kustomize_build(kv_render *r, const char *dir, kv_render_result *out)
{
	return kv_kustomize_build_ex(r, dir, NULL, out);
}

int kv_kustomize_build_ex(kv_render *r, const char *dir, const kv_build_opts *bo, kv_render_result *out)
{
	r->bo = bo;
	memset(out, 0, sizeof *out);
	char *norm = kv_path_normalize(dir);
	if (!norm) {
		rn_problem_path(r, dir, KV_RULE_RENDER_PATH, NULL, "%s leads out of the repository", dir);
		return -1;
	}
	rn_acc a = {{0}, NULL};
	r->top = (rn_kust){0};
	size_t probs = r->nproblems;
	int rc = build_dir(r, norm, &a, AS_TOP, 0, NULL);
	free(norm);
	if (!r->top.root) {
		rn_list_free(&a.res);
		r->bo = NULL;
		return -1;
	}
	bool ok = rc == 0;
	ok &= rn_hash_names(r, &a) == 0;
	ok &= rn_fix_references(r, &a) == 0;
	size_t kept = 0;
	for (size_t i = 0; i < a.res.n; i++)
		if (!local_config(a.res.items[i]))
			a.res.items[kept++] = a.res.items[i];
	for (size_t i = 0; i < kept; i++)
		stringify_annotations(r, a.res.items[i]);
	a.res.n = kept;
	ok &= sort_result(r, &r->top, &a.res);
	out->objects = kv_arena_alloc(r->arena, sizeof *out->objects * (a.res.n ? a.res.n : 1));
	for (size_t i = 0; i < a.res.n; i++)
		out->objects[i] = a.res.items[i]->obj;
	out->n = a.res.n;
	out->complete = ok && r->nproblems == probs;
	rn_list_free(&a.res);
	r->bo = NULL;
	return 0;
}
