/* res.c: the resources of a build: their identity (group, version, kind, namespace, name),
 * the names they had before renames (for fixing references), and kustomize's legacy output
 * order. */
#include "internal.h"

#include "kvet/alloc.h"
#include "kvet/k8s.h"
#include "kvet/map.h"
#include "kvet/sort.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void identity_key(const rn_res *res, kv_buf *out);

rn_res *rn_res_new(kv_render *r, kv_node *obj)
{
	rn_res *res = kv_arena_alloc(r->arena, sizeof *res);
	memset(res, 0, sizeof *res);
	res->obj = obj;
	rn_res_remember(r, res);
	r->objects++;
	return res;
}

void rn_list_add(rn_list *l, rn_res *res)
{
	KV_GROW(l->items, l->cap, l->n + 1);
	l->items[l->n++] = res;
	if (l->index) {
		kv_buf key = KV_BUF_INIT;
		identity_key(res, &key);
		uint64_t *slot = kv_map_slot(l->index, key.data, key.len, NULL);
		if (!*slot)
			*slot = l->n;
		kv_buf_free(&key);
	}
}

void rn_list_free(rn_list *l)
{
	free(l->items);
	kv_map_free(l->index);
	memset(l, 0, sizeof *l);
}

static const kv_node *meta(const rn_res *res)
{
	return kv_map_get(res->obj, "metadata");
}

const char *rn_res_name(const rn_res *res)
{
	return kv_str(kv_map_get(meta(res), "name"));
}

const char *rn_res_ns(const rn_res *res)
{
	return kv_str(kv_map_get(meta(res), "namespace"));
}

const char *rn_res_kind(const rn_res *res)
{
	return kv_str(kv_map_get(res->obj, "kind"));
}

void rn_res_remember(kv_render *r, rn_res *res)
{
	const char *name = rn_res_name(res), *ns = rn_res_ns(res);
	if (res->nprev && res->prev[res->nprev - 1].name == name && res->prev[res->nprev - 1].ns == ns)
		return;
	if (res->nprev == res->capprev) {
		size_t cap = res->capprev ? res->capprev * 2 : 4;
		rn_prev *grown = kv_arena_alloc(r->arena, sizeof *grown * cap);
		if (res->nprev)
			memcpy(grown, res->prev, sizeof *grown * res->nprev);
		res->prev = grown;
		res->capprev = cap;
	}
	res->prev[res->nprev++] = (rn_prev){name, ns};
}

void rn_id_of(const rn_res *r, rn_id *out)
{
	memset(out, 0, sizeof *out);
	const char *av = kv_str(kv_map_get(r->obj, "apiVersion"));
	if (!av || kv_k8s_split_api_version(av, out->group, out->version, sizeof out->version) < 0)
		out->group[0] = out->version[0] = '\0';
	out->kind = rn_res_kind(r);
	out->ns = rn_res_ns(r);
	out->name = rn_res_name(r);
}

/* kustomize's legacy order: the kinds of order_first first, in that order, those of order_last
 * last, everything else between; then by group_version_kind ("~G", "~V", "~K" for empty
 * parts), then by "gvk|namespace|name" ("~X", "~N" for empty ones), compared as whole
 * strings as kustomize does. */
static const char *const default_first[] = {
	"Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition", "ServiceAccount",
	"PodSecurityPolicy", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ConfigMap",
	"Secret", "Endpoints", "Service", "LimitRange", "PriorityClass", "PersistentVolume",
	"PersistentVolumeClaim", "Deployment", "StatefulSet", "CronJob", "PodDisruptionBudget",
};
static const char *const default_last[] = {"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"};

typedef struct {
	rn_res *res;
	int rank;
	char *gvk; /* group_version_kind */
	char *id;  /* gvk string|namespace|name */
} sort_key;

static int kind_rank(const char *kind, const rn_order *o)
{
	for (size_t i = 0; kind && i < o->nfirst; i++)
		if (strcmp(kind, o->first[i]) == 0)
			return (int)i - (int)o->nfirst;
	for (size_t i = 0; kind && i < o->nlast; i++)
		if (strcmp(kind, o->last[i]) == 0)
			return (int)i + 1;
	return 0;
}

static int legacy_cmp(const void *pa, const void *pb)
{
	const sort_key *a = pa, *b = pb;
	if (strcmp(a->gvk, b->gvk) != 0) {
		if (a->rank != b->rank)
			return a->rank < b->rank ? -1 : 1;
		return strcmp(a->gvk, b->gvk);
	}
	return strcmp(a->id, b->id);
}

void rn_order_default(rn_order *o)
{
	o->first = default_first;
	o->nfirst = sizeof default_first / sizeof default_first[0];
	o->last = default_last;
	o->nlast = sizeof default_last / sizeof default_last[0];
}

static const char *or_mark(const char *s, const char *mark)
{
	return s && *s ? s : mark;
}

void rn_sort_legacy(rn_list *l, const rn_order *o)
{
	sort_key *keys = kv_xcalloc(l->n ? l->n : 1, sizeof *keys);
	for (size_t i = 0; i < l->n; i++) {
		rn_id id;
		rn_id_of(l->items[i], &id);
		keys[i].res = l->items[i];
		keys[i].rank = kind_rank(id.kind, o);
		keys[i].gvk = kv_xasprintf("%s_%s_%s", or_mark(id.group, "~G"), or_mark(id.version, "~V"),
					   or_mark(id.kind, "~K"));
		/* kustomize's Gvk.String(): "kind.version.group", "[noGrp]" for the core group */
		keys[i].id = kv_xasprintf("%s.%s.%s|%s|%s", or_mark(id.kind, ""), or_mark(id.version, ""),
					  or_mark(id.group, "[noGrp]"), or_mark(id.ns, "~X"), or_mark(id.name, "~N"));
	}
	kv_sort(keys, l->n, sizeof *keys, legacy_cmp);
	for (size_t i = 0; i < l->n; i++) {
		l->items[i] = keys[i].res;
		free(keys[i].gvk);
		free(keys[i].id);
	}
	free(keys);
}

/* The identity duplicates are found by: group, version, kind, name, and the namespace
 * kustomize compares (an empty one is "default" for namespaced kinds, ignored for
 * cluster-scoped ones). */
static void identity_key(const rn_res *res, kv_buf *out)
{
	rn_id id;
	rn_id_of(res, &id);
	const char *ns = id.ns && *id.ns ? id.ns : "default";
	if (rn_cluster_scoped(id.group, id.version, id.kind ? id.kind : ""))
		ns = "";
	kv_buf_truncate(out, 0);
	kv_buf_printf(out, "%s|%s|%s|%s|%s", id.group, id.version, id.kind ? id.kind : "", ns, id.name ? id.name : "");
}

rn_res *rn_list_find(kv_render *r, rn_list *l, const rn_res *res)
{
	(void)r;
	kv_buf key = KV_BUF_INIT;
	if (!l->index) {
		l->index = kv_map_new();
		for (size_t i = 0; i < l->n; i++) {
			identity_key(l->items[i], &key);
			uint64_t *slot = kv_map_slot(l->index, key.data, key.len, NULL);
			if (!*slot)
				*slot = i + 1;
		}
	}
	identity_key(res, &key);
	uint64_t *slot = kv_map_find(l->index, key.data, key.len);
	kv_buf_free(&key);
	return slot ? l->items[*slot - 1] : NULL;
}

void rn_list_touch(rn_list *l)
{
	kv_map_free(l->index);
	l->index = NULL;
}
