/* xform.c: the built-in transformers that rename and move objects: namespace, namePrefix and
 * nameSuffix, replicas; and what the transformer files share. labels.c holds labels and
 * annotations, images.c the image transformer.
 *
 * Each follows kustomize v5.5: which objects and fields it edits, what it refuses. A value
 * it sets is a new node made at the kustomization entry that caused it, so a finding on it
 * points at the line a person must edit. */
#include "internal.h"
#include "xform.h"

#include "kvet/k8s.h"

#include <stdio.h>
#include <string.h>

/* ---- shared ---- */

void rn_gvk_of(const kv_node *obj, char *group, char *version, size_t size, const char **kind)
{
	group[0] = version[0] = '\0';
	const char *av = kv_str(kv_map_get(obj, "apiVersion"));
	if (av && kv_k8s_split_api_version(av, group, version, size) < 0)
		group[0] = version[0] = '\0';
	*kind = kv_str(kv_map_get(obj, "kind"));
	if (!*kind)
		*kind = "";
}

kv_node *rn_set_string(kv_render *r, kv_node **slot, const char *s, size_t len, const kv_node *cause)
{
	*slot = rn_new_string(r, s, len, cause);
	return *slot;
}

/* The scalar a kustomization field holds (shapes were checked when it was loaded). */
static const kv_node *kust_value(const rn_kust *k, const char *key)
{
	const kv_node *v = kv_map_get(k->root, key);
	return v && v->type == KV_STRING ? v : NULL;
}

/* ---- namespace ---- */

typedef struct {
	const kv_node *ns; /* the kustomization's namespace value */
	const char *spec;  /* the field spec being walked, for problems */
} ns_ctx;

/* Sets a field a namespace field spec selects; such fields hold a namespace, a scalar. */
static int set_ns_field(kv_render *r, kv_node **slot, void *ctx)
{
	ns_ctx *c = ctx;
	if (*slot && ((*slot)->type == KV_MAP || (*slot)->type == KV_LIST)) {
		rn_problem(r, 0, *slot, KV_RULE_RENDER_CONFLICT, NULL,
			   "namespace field spec %s selects %s: namespace field specs must select scalar fields", c->spec,
			   kv_type_phrase((kv_type)(*slot)->type));
		return -1;
	}
	rn_set_string(r, slot, c->ns->u.s, c->ns->len, c->ns);
	return 0;
}

/* kustomize's default subject rule: a (Cluster)RoleBinding subject named "default" gets the
 * namespace, whatever its kind; other subjects keep theirs. */
static bool bind_subjects(kv_render *r, kv_node *obj, const kv_node *ns)
{
	kv_node *subjects = kv_map_get(obj, "subjects");
	if (!subjects || subjects->type == KV_NULL)
		return true;
	if (subjects->type != KV_LIST) {
		rn_problem(r, 0, subjects, KV_RULE_RENDER_CONFLICT, NULL,
			   "subjects is %s: kustomize expects a list when it sets the namespace of subjects",
			   kv_type_phrase((kv_type)subjects->type));
		return false;
	}
	bool ok = true;
	for (uint32_t i = 0; i < subjects->len; i++) {
		kv_node *s = subjects->u.items[i];
		if (s->type != KV_MAP) {
			rn_problem(r, 0, s, KV_RULE_RENDER_CONFLICT, NULL, "a subject must be a map, not %s",
				   kv_type_phrase((kv_type)s->type));
			ok = false;
			continue;
		}
		if (kv_str_eq(kv_map_get(s, "name"), "default"))
			rn_set(r, s, "namespace", rn_new_string(r, ns->u.s, ns->len, ns), ns);
	}
	return ok;
}

static bool is_binding(const char *kind)
{
	return strcmp(kind, "RoleBinding") == 0 || strcmp(kind, "ClusterRoleBinding") == 0;
}

/* The field specs of the namespace configuration that apply besides kustomize's own rules:
 * never metadata/namespace (set only on namespaced kinds), metadata/name only on objects of
 * apiVersion v1 (Namespace), subjects of bindings only by the rule above. */
static bool ns_spec_applies(const rn_fspec *fs, const char *api_version, const char *kind)
{
	if (strcmp(fs->path, "metadata/namespace") == 0)
		return false;
	if (strcmp(fs->path, "metadata/name") == 0 && strcmp(api_version, "v1") != 0)
		return false;
	if (is_binding(kind) && fs->kind && is_binding(fs->kind) && strcmp(fs->path, "subjects/namespace") == 0)
		return false;
	return true;
}

static bool namespace_one(kv_render *r, rn_acc *a, rn_res *res, const kv_node *ns)
{
	char group[128], version[128];
	const char *kind;
	rn_gvk_of(res->obj, group, version, sizeof group, &kind);
	const char *av = kv_str(kv_map_get(res->obj, "apiVersion"));
	rn_res_remember(r, res);
	bool ok = true;
	if (!rn_cluster_scoped_gvk(group, version, kind)) {
		kv_node *meta = rn_path_map(r, res->obj, "metadata", true, ns);
		const kv_node *old = kv_map_get(meta, "namespace");
		if (old && (old->type == KV_MAP || old->type == KV_LIST)) {
			rn_problem(r, 0, old, KV_RULE_RENDER_CONFLICT, NULL, "metadata.namespace is %s, where a string is expected",
				   kv_type_phrase((kv_type)old->type));
			ok = false;
		} else if (meta) {
			rn_set(r, meta, "namespace", rn_new_string(r, ns->u.s, ns->len, ns), ns);
		}
	}
	if (is_binding(kind))
		ok &= bind_subjects(r, res->obj, ns);
	const rn_fspecs *fss = &a->cfg->namespace;
	for (size_t i = 0; i < fss->n; i++) {
		const rn_fspec *fs = &fss->items[i];
		if (!ns_spec_applies(fs, av ? av : "", kind))
			continue;
		ns_ctx c = {ns, fs->path};
		ok &= rn_fspec_walk(r, res->obj, fs, KV_STRING, ns, set_ns_field, &c) == 0;
	}
	return ok;
}

/* Objects the namespace made equal in identity: kustomize refuses the build. */
static bool ns_conflicts(kv_render *r, rn_acc *a, const kv_node *ns)
{
	kv_map *seen = kv_map_new();
	kv_buf key = KV_BUF_INIT;
	bool ok = true;
	for (size_t i = 0; i < a->res.n; i++) {
		rn_id id;
		rn_id_of(a->res.items[i], &id);
		const char *kind = id.kind ? id.kind : "";
		const char *eff = rn_cluster_scoped_gvk(id.group, id.version, kind) ? "" : id.ns && *id.ns ? id.ns : "default";
		kv_buf_truncate(&key, 0);
		kv_buf_printf(&key, "%s|%s|%s|%s|%s", id.group, id.version, kind, eff, id.name ? id.name : "");
		bool added = false;
		uint64_t *slot = kv_map_slot(seen, key.data, key.len, &added);
		if (added) {
			*slot = i + 1;
			continue;
		}
		const kv_node *first = a->res.items[*slot - 1]->obj;
		char hint[256];
		const char *fp = kv_render_file_path(r, first->src);
		snprintf(hint, sizeof hint, "the other is at %s:%u", fp ? fp : "?", first->line);
		rn_problem(r, 0, ns, KV_RULE_RENDER_CONFLICT, hint,
			   "namespace %s gives two objects one identity (%s %s): kustomize refuses the build", ns->u.s, kind,
			   id.name ? id.name : "?");
		ok = false;
	}
	kv_buf_free(&key);
	kv_map_free(seen);
	return ok;
}

int rn_namespace(kv_render *r, const rn_kust *k, rn_acc *a)
{
	const kv_node *ns = kust_value(k, "namespace");
	if (!ns || ns->len == 0)
		return 0;
	bool ok = true;
	for (size_t i = 0; i < a->res.n; i++)
		ok &= namespace_one(r, a, a->res.items[i], ns);
	rn_list_touch(&a->res);
	ok &= ns_conflicts(r, a, ns);
	return ok ? 0 : -1;
}

/* ---- namePrefix, nameSuffix ---- */

typedef struct {
	const kv_node *affix; /* the kustomization's namePrefix or nameSuffix value */
	bool prefix;
	const char *spec;
} affix_ctx;

static int add_affix(kv_render *r, kv_node **slot, void *ctx)
{
	affix_ctx *c = ctx;
	kv_node *v = *slot;
	if (!v || v->type == KV_NULL)
		return 0;
	if (v->type != KV_STRING) {
		rn_problem(r, 0, v, KV_RULE_RENDER_CONFLICT, NULL, "%s is %s, where %s expects a string", c->spec,
			   kv_type_phrase((kv_type)v->type), c->prefix ? "namePrefix" : "nameSuffix");
		return -1;
	}
	kv_buf b = KV_BUF_INIT;
	if (c->prefix)
		kv_buf_printf(&b, "%s%s", c->affix->u.s, v->u.s);
	else
		kv_buf_printf(&b, "%s%s", v->u.s, c->affix->u.s);
	rn_set_string(r, slot, b.data, b.len, c->affix);
	kv_buf_free(&b);
	return 0;
}

/* Kinds kustomize never renames: Namespace and CustomResourceDefinition of any group, and
 * APIService of apiregistration.k8s.io. */
static bool keeps_name(const char *group, const char *kind)
{
	return strcmp(kind, "Namespace") == 0 || strcmp(kind, "CustomResourceDefinition") == 0 ||
	       (strcmp(kind, "APIService") == 0 && strcmp(group, "apiregistration.k8s.io") == 0);
}

static bool affix_all(kv_render *r, rn_acc *a, const kv_node *affix, bool prefix)
{
	const rn_fspecs *fss = prefix ? &a->cfg->prefix : &a->cfg->suffix;
	bool ok = true;
	for (size_t i = 0; i < a->res.n; i++) {
		rn_res *res = a->res.items[i];
		char group[128], version[128];
		const char *kind;
		rn_gvk_of(res->obj, group, version, sizeof group, &kind);
		if (keeps_name(group, kind))
			continue;
		for (size_t j = 0; j < fss->n; j++) {
			const rn_fspec *fs = &fss->items[j];
			if (!rn_fspec_selects(fs, res->obj))
				continue;
			if (strcmp(fs->path, "metadata/name") == 0)
				rn_res_remember(r, res);
			affix_ctx c = {affix, prefix, fs->path};
			ok &= rn_fspec_walk(r, res->obj, fs, KV_STRING, affix, add_affix, &c) == 0;
		}
	}
	rn_list_touch(&a->res);
	return ok;
}

int rn_prefix_suffix(kv_render *r, const rn_kust *k, rn_acc *a)
{
	const kv_node *prefix = kust_value(k, "namePrefix"), *suffix = kust_value(k, "nameSuffix");
	bool ok = true;
	if (prefix && prefix->len)
		ok &= affix_all(r, a, prefix, true);
	if (suffix && suffix->len)
		ok &= affix_all(r, a, suffix, false);
	return ok ? 0 : -1;
}

/* ---- replicas ---- */

/* True when the object is or was called name (kustomize matches any of its ids). */
static bool named(const rn_res *res, const char *name)
{
	const char *now = rn_res_name(res);
	if (now && strcmp(now, name) == 0)
		return true;
	for (size_t i = 0; i < res->nprev; i++)
		if (res->prev[i].name && strcmp(res->prev[i].name, name) == 0)
			return true;
	return false;
}

static int set_count(kv_render *r, kv_node **slot, void *ctx)
{
	const kv_node *count = ctx;
	if (*slot && ((*slot)->type == KV_MAP || (*slot)->type == KV_LIST)) {
		rn_problem(r, 0, *slot, KV_RULE_RENDER_CONFLICT, NULL, "replicas is %s, where a count is expected",
			   kv_type_phrase((kv_type)(*slot)->type));
		return -1;
	}
	*slot = rn_copy(r, count);
	return 0;
}

/* One entry {name, count}: malformed entries are problems, as kustomize refuses them. */
static bool replica_entry(kv_render *r, const rn_kust *k, const kv_node *e, const kv_node **name, const kv_node **count)
{
	if (e->type != KV_MAP) {
		rn_problem(r, k->src, e, KV_RULE_RENDER_KUSTOMIZATION, NULL, "a replicas entry must be a map with name and count");
		return false;
	}
	bool ok = true;
	for (uint32_t i = 0; i < e->len; i++) {
		const kv_node *key = e->u.pairs[i].key;
		if (strcmp(key->u.s, "name") != 0 && strcmp(key->u.s, "count") != 0) {
			rn_problem(r, k->src, key, KV_RULE_RENDER_KUSTOMIZATION, NULL,
				   "%s is not a field of a replicas entry (name, count): kustomize refuses the file", key->u.s);
			ok = false;
		}
	}
	*name = kv_map_get(e, "name");
	*count = kv_map_get(e, "count");
	if (*count && (*count)->type != KV_INT && (*count)->type != KV_NULL) {
		rn_problem(r, k->src, *count, KV_RULE_RENDER_KUSTOMIZATION, NULL, "count must be a whole number, not %s",
			   kv_type_phrase((kv_type)(*count)->type));
		ok = false;
	}
	if (*name && (*name)->type != KV_STRING && (*name)->type != KV_NULL) {
		rn_problem(r, k->src, *name, KV_RULE_RENDER_KUSTOMIZATION, NULL, "name must be a string, not %s",
			   kv_type_phrase((kv_type)(*name)->type));
		ok = false;
	}
	return ok;
}

static bool replicas_one(kv_render *r, const rn_kust *k, rn_acc *a, const kv_node *e)
{
	const kv_node *name, *count;
	if (!replica_entry(r, k, e, &name, &count))
		return false;
	const char *want = kv_str(name) ? kv_str(name) : "";
	kv_node *zero = NULL;
	if (!count || count->type == KV_NULL) {
		/* kustomize reads a missing count as 0 */
		zero = rn_new_map(r, e);
		zero->type = KV_INT;
		zero->u.i = 0;
		count = zero;
	}
	const rn_fspecs *fss = &a->cfg->replicas;
	bool found = false, ok = true;
	for (size_t j = 0; j < fss->n; j++)
		for (size_t i = 0; i < a->res.n; i++) {
			rn_res *res = a->res.items[i];
			if (!named(res, want) || !rn_fspec_selects(&fss->items[j], res->obj))
				continue;
			found = true;
			ok &= rn_fspec_walk(r, res->obj, &fss->items[j], KV_INT, count, set_count, (void *)count) == 0;
		}
	if (!found) {
		rn_problem(r, k->src, name ? name : e, KV_RULE_RENDER_MISSING,
			   "replicas apply to the kinds of the replicas field specs (Deployment, ReplicaSet, ReplicationController, StatefulSet by default)",
			   "replicas names %s, but no object of a kind it applies to has that name: kustomize refuses the build", want);
		return false;
	}
	return ok;
}

int rn_replicas(kv_render *r, const rn_kust *k, rn_acc *a)
{
	const kv_node *list = kv_map_get(k->root, "replicas");
	bool ok = true;
	for (uint32_t i = 0; list && list->type == KV_LIST && i < list->len; i++)
		ok &= replicas_one(r, k, a, list->u.items[i]);
	return ok ? 0 : -1;
}
