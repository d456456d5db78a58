/* namereference.c: at the top of a build, the content hash on the names of generated
 * ConfigMaps and Secrets, then every name reference to a renamed object fixed, as
 * kustomize's name reference transformer does: a field that (by the nameReference
 * configuration) refers to a kind by name, and names an earlier name of one object of that
 * kind the referrer can see, takes that object's current name. */
#include "internal.h"

#include "hash.h"
#include "kvet/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- content hashes ---- */

int rn_hash_names(kv_render *r, rn_acc *a)
{
	int rc = 0;
	for (size_t i = 0; i < a->res.n; i++) {
		rn_res *res = a->res.items[i];
		if (!(res->flags & RN_NEEDS_HASH))
			continue;
		kv_node *meta = rn_get(res->obj, "metadata");
		kv_node *name = rn_get(meta, "name");
		if (!kv_str(name)) {
			rn_problem(r, 0, name ? name : res->obj, KV_RULE_RENDER_KUSTOMIZATION, NULL,
				   "a generated object needs a name to take its content hash");
			rc = -1;
			continue;
		}
		char h[11];
		rn_content_hash(res->obj, h);
		rn_res_remember(r, res);
		char *renamed = kv_xasprintf("%s-%s", name->u.s, h);
		rn_set(r, meta, "name", rn_new_string(r, renamed, strlen(renamed), name), name);
		free(renamed);
	}
	rn_list_touch(&a->res);
	return rc;
}

/* ---- what kustomize knows of each object ---- */

typedef struct {
	const char *kind, *ns, *name; /* current */
	const char *orig_ns;          /* the namespace of kustomize's original id */
	const char *eff, *orig_eff;   /* effective namespaces of both */
	char group[128], version[64];
	bool cluster;
	bool renamed; /* kustomize keeps earlier ids only for renamed or moved objects */
} info;

typedef struct {
	size_t *items;
	size_t n, cap;
} idxvec;

static void push_idx(idxvec *v, size_t i)
{
	KV_GROW(v->items, v->cap, v->n + 1);
	v->items[v->n++] = i;
}

static void info_of(const rn_res *res, info *out)
{
	rn_id id;
	rn_id_of(res, &id);
	snprintf(out->group, sizeof out->group, "%s", id.group);
	snprintf(out->version, sizeof out->version, "%s", id.version);
	out->kind = id.kind ? id.kind : "";
	out->ns = id.ns ? id.ns : "";
	out->name = id.name ? id.name : "";
	out->cluster = rn_cluster_scoped(out->group, out->version, out->kind);
	out->renamed = false;
	for (size_t i = 0; i < res->nprev; i++)
		if (strcmp(res->prev[i].name ? res->prev[i].name : "", out->name) != 0 ||
		    strcmp(res->prev[i].ns ? res->prev[i].ns : "", out->ns) != 0)
			out->renamed = true;
	out->orig_ns = out->renamed && res->nprev && res->prev[0].ns ? res->prev[0].ns : out->ns;
	out->eff = rn_effective_ns(out->group, out->version, out->kind, out->ns);
	out->orig_eff = rn_effective_ns(out->group, out->version, out->kind, out->orig_ns);
}

/* ---- the prefixes and suffixes kustomize compares ----
 * kustomize records the prefixes and suffixes put on each name; kvet reads them back from
 * the name: what stands before and after the first name in the name before its hash. */

typedef struct {
	const char *pre, *suf;
	size_t npre, nsuf;
} affixes;

static void affixes_of(const rn_res *res, const info *cur, affixes *out)
{
	memset(out, 0, sizeof *out);
	out->pre = out->suf = "";
	const char *orig = res->nprev && res->prev[0].name ? res->prev[0].name : cur->name;
	const char *base = cur->name;
	if ((res->flags & RN_NEEDS_HASH) && res->nprev && res->prev[res->nprev - 1].name)
		base = res->prev[res->nprev - 1].name;
	const char *at = *orig ? strstr(base, orig) : NULL;
	if (!at)
		return;
	out->pre = base;
	out->npre = (size_t)(at - base);
	out->suf = at + strlen(orig);
	out->nsuf = strlen(out->suf);
}

/* kustomize's SameEndingSubSlice on the recorded lists, read on the joined strings: the
 * outermost prefix starts the name, the outermost suffix ends it. */
static bool affixes_equal(const affixes *a, const affixes *b)
{
	bool pre = a->npre == 0 || b->npre == 0
			   ? a->npre == b->npre
			   : strncmp(a->pre, b->pre, a->npre < b->npre ? a->npre : b->npre) == 0;
	size_t n = a->nsuf < b->nsuf ? a->nsuf : b->nsuf;
	bool suf = a->nsuf == 0 || b->nsuf == 0 ? a->nsuf == b->nsuf
						: memcmp(a->suf + a->nsuf - n, b->suf + b->nsuf - n, n) == 0;
	return pre && suf;
}

/* ---- the pass ----
 * Objects are indexed by their earlier names, so each reference looks only at the objects
 * that had its name; the namespaces objects were first in are indexed for the narrowing a
 * namespace beside a name does. No step is quadratic in the number of objects. */

typedef struct {
	kv_render *r;
	rn_acc *a;
	info *infos;      /* by position in a->res */
	kv_map *by_name;  /* earlier name, and earlier name "\x01" namespace -> group number + 1 */
	idxvec *groups;
	size_t ngroups, capgroups;
	kv_map *orig_any;  /* original effective namespace, of any object */
	kv_map *orig_with; /* "current effective\x01original effective" */
	kv_map *orig_raw;  /* "current as written\x01original effective" */
	bool any_cluster;
	/* the reference being fixed */
	rn_res *referrer;
	info rid;
	bool binding; /* the referrer is a RoleBinding (it sees its subjects' namespaces) */
	const char *rr_group, *rr_kind; /* roleRef's, when the field is roleRef/name; else NULL */
	const rn_nameref *target;
	const rn_fspec *fs;
	uint64_t work; /* candidates looked at, against MAX_WORK */
	int rc;
} fixer;

/* A bound on the candidates all references may look at: many objects that shared one name,
 * each named by many referrers, would otherwise cost their product. */
#define MAX_WORK 20000000u

static void mark(kv_map *m, const char *a, const char *b)
{
	char *key = kv_xasprintf("%s\x01%s", a, b);
	kv_map_slot(m, key, strlen(key), NULL);
	free(key);
}

static bool marked(const kv_map *m, const char *a, const char *b)
{
	char *key = kv_xasprintf("%s\x01%s", a, b);
	bool found = kv_map_find(m, key, strlen(key)) != NULL;
	free(key);
	return found;
}

/* The group of objects that had name (in namespace ns, "\x02" for cluster-scoped ones; NULL
 * for all): made when make is set. Positions are added in order, each once. */
static idxvec *group_of(fixer *f, const char *name, const char *ns, bool make)
{
	char *key = ns ? kv_xasprintf("%s\x01%s", name, ns) : NULL;
	const char *k = key ? key : name;
	uint64_t *slot;
	if (make) {
		bool added;
		slot = kv_map_slot(f->by_name, k, strlen(k), &added);
		if (added) {
			KV_GROW(f->groups, f->capgroups, f->ngroups + 1);
			f->groups[f->ngroups] = (idxvec){0};
			*slot = ++f->ngroups;
		}
	} else {
		slot = kv_map_find(f->by_name, k, strlen(k));
	}
	free(key);
	return slot ? &f->groups[*slot - 1] : NULL;
}

static void group_add(fixer *f, const char *name, const char *ns, size_t i)
{
	idxvec *g = group_of(f, name, ns, true);
	if (g->n == 0 || g->items[g->n - 1] != i)
		push_idx(g, i);
}

static void index_objects(fixer *f)
{
	size_t n = f->a->res.n;
	f->infos = kv_xcalloc(n ? n : 1, sizeof *f->infos);
	f->by_name = kv_map_new();
	f->orig_any = kv_map_new();
	f->orig_with = kv_map_new();
	f->orig_raw = kv_map_new();
	for (size_t i = 0; i < n; i++) {
		rn_res *res = f->a->res.items[i];
		info *in = &f->infos[i];
		info_of(res, in);
		kv_map_slot(f->orig_any, in->orig_eff, strlen(in->orig_eff), NULL);
		mark(f->orig_with, in->eff, in->orig_eff);
		mark(f->orig_raw, in->ns, in->orig_eff);
		f->any_cluster |= in->cluster;
		if (!in->renamed)
			continue;
		for (size_t p = 0; p < res->nprev; p++) {
			const char *name = res->prev[p].name;
			if (!name)
				continue;
			group_add(f, name, NULL, i);
			group_add(f, name, in->cluster ? "\x02" : in->eff, i);
		}
	}
}

static void fixer_free(fixer *f)
{
	for (size_t i = 0; i < f->ngroups; i++)
		free(f->groups[i].items);
	free(f->groups);
	free(f->infos);
	kv_map_free(f->by_name);
	kv_map_free(f->orig_any);
	kv_map_free(f->orig_with);
	kv_map_free(f->orig_raw);
}

/* The namespaces of the ServiceAccounts a RoleBinding's subjects name: it sees those. */
static bool binding_sees(const rn_res *referrer, const char *ns)
{
	if (!kv_str_eq(rn_get(referrer->obj, "kind"), "RoleBinding"))
		return false;
	const kv_node *subjects = rn_get(referrer->obj, "subjects");
	for (uint32_t i = 0; subjects && subjects->type == KV_LIST && i < subjects->len; i++) {
		const kv_node *s = subjects->u.items[i];
		const char *sns = kv_str(rn_get(s, "namespace"));
		if (kv_str_eq(rn_get(s, "kind"), "ServiceAccount") && sns && strcmp(sns, ns) == 0)
			return true;
	}
	return false;
}

/* kustomize's SubsetThatCouldBeReferencedByResource, for one object. */
static bool visible(const fixer *f, const info *c)
{
	return f->rid.cluster || c->cluster || strcmp(f->rid.eff, c->eff) == 0 ||
	       (f->binding && binding_sees(f->referrer, c->ns));
}

/* Whether any object the referrer sees was first in namespace want (kustomize then narrows
 * to those; else to the objects now in it). */
static bool seen_first_in(const fixer *f, const char *want)
{
	if (f->rid.cluster)
		return kv_map_find(f->orig_any, want, strlen(want)) != NULL;
	if (f->any_cluster && strcmp(want, "_non_namespaceable_") == 0)
		return true;
	if (marked(f->orig_with, f->rid.eff, want))
		return true;
	const kv_node *subjects = kv_str_eq(rn_get(f->referrer->obj, "kind"), "RoleBinding") ? rn_get(f->referrer->obj, "subjects") : NULL;
	for (uint32_t i = 0; subjects && subjects->type == KV_LIST && i < subjects->len; i++) {
		const kv_node *s = subjects->u.items[i];
		const char *sns = kv_str(rn_get(s, "namespace"));
		if (kv_str_eq(rn_get(s, "kind"), "ServiceAccount") && sns && marked(f->orig_raw, sns, want))
			return true;
	}
	return false;
}

/* An empty or absent part matches anything, as in field specs. */
static bool part_is(const char *want, const char *have)
{
	return !want || !*want || strcmp(want, have) == 0;
}

/* The target kind of the reference, and for roleRef/name roleRef's apiGroup and kind. */
static bool kind_ok(const fixer *f, const info *c)
{
	const rn_nameref *t = f->target;
	if (!part_is(t->group, c->group) || !part_is(t->version, c->version) || !part_is(t->kind, c->kind))
		return false;
	return !f->rr_kind || (part_is(f->rr_group, c->group) && part_is(f->rr_kind, c->kind));
}

/* Reads roleRef when the field is roleRef/name (kustomize ignores a roleRef without apiGroup
 * or kind). */
static void read_roleref(fixer *f)
{
	size_t n = strlen(f->fs->path);
	f->rr_group = f->rr_kind = NULL;
	if (n < 12 || strcmp(f->fs->path + n - 12, "roleRef/name") != 0)
		return;
	const kv_node *rr = rn_get(f->referrer->obj, "roleRef");
	const kv_node *group = rn_get(rr, "apiGroup"), *kind = rn_get(rr, "kind");
	if (!group || !kind)
		return;
	f->rr_group = kv_str(group) ? kv_str(group) : "";
	f->rr_kind = kv_str(kind) ? kv_str(kind) : "";
}

static bool same_ns_as_referrer(const fixer *f, const info *c)
{
	if (f->rid.cluster || c->cluster || strcmp(c->kind, "ServiceAccount") == 0)
		return true;
	return strcmp(f->rid.eff, c->eff) == 0;
}

/* The objects an old name can mean, after kustomize's sieves but the last. want (or NULL)
 * is the namespace written beside the name. */
/* One candidate: kept when it passes kustomize's sieves. */
static void consider(fixer *f, size_t i, const char *want, bool first, idxvec *out)
{
	const info *c = &f->infos[i];
	if (!kind_ok(f, c) || !visible(f, c) || !same_ns_as_referrer(f, c))
		return;
	if (want && strcmp(first ? c->orig_eff : c->eff, want) != 0)
		return;
	push_idx(out, i);
}

/* The objects an old name can mean, after kustomize's sieves but the last, in the build's
 * order. want (or NULL) is the namespace written beside the name. A namespaced referrer
 * that is no RoleBinding sees only its namespace and cluster-scoped objects: it looks at
 * those groups alone. */
static void candidates(fixer *f, const char *old, const char *want, idxvec *out)
{
	bool wide = f->rid.cluster || f->binding;
	const idxvec *g1 = group_of(f, old, wide ? NULL : f->rid.eff, false);
	const idxvec *g2 = wide ? NULL : group_of(f, old, "\x02", false);
	size_t n1 = g1 ? g1->n : 0, n2 = g2 ? g2->n : 0;
	if (n1 + n2 == 0 || f->work > MAX_WORK)
		return;
	f->work += n1 + n2;
	if (f->work > MAX_WORK) {
		rn_problem(f->r, 0, f->referrer->obj, KV_RULE_RENDER_LIMIT,
			   "give the objects distinct names, or split the build",
			   "fixing name references looks at more than %u candidates: the references left are not fixed",
			   MAX_WORK);
		f->rc = -1;
		return;
	}
	bool first = want && seen_first_in(f, want);
	for (size_t a = 0, b = 0; a < n1 || b < n2;) {
		bool take1 = b == n2 || (a < n1 && g1->items[a] < g2->items[b]);
		consider(f, take1 ? g1->items[a++] : g2->items[b++], want, first, out);
	}
}

/* kustomize's selectReferral: the one object an old name means, NULL for none; a problem at
 * at when several with different names remain. */
static rn_res *select_referral(fixer *f, const char *old, const char *want, const kv_node *at)
{
	idxvec keep = {0};
	candidates(f, old, want, &keep);
	if (keep.n > 1) {
		affixes ra, ca;
		affixes_of(f->referrer, &f->rid, &ra);
		size_t kept = 0;
		for (size_t k = 0; k < keep.n; k++) {
			affixes_of(f->a->res.items[keep.items[k]], &f->infos[keep.items[k]], &ca);
			if (affixes_equal(&ra, &ca))
				keep.items[kept++] = keep.items[k];
		}
		keep.n = kept;
	}
	rn_res *pick = keep.n ? f->a->res.items[keep.items[0]] : NULL;
	for (size_t k = 1; k < keep.n; k++) {
		if (strcmp(f->infos[keep.items[k]].name, f->infos[keep.items[0]].name) == 0)
			continue;
		kv_buf ids = KV_BUF_INIT;
		for (size_t j = 0; j < keep.n; j++) {
			const info *c = &f->infos[keep.items[j]];
			kv_buf_printf(&ids, "%s%s %s%s%s", j ? ", " : "", c->kind, c->ns, *c->ns ? "/" : "", c->name);
		}
		rn_problem(f->r, 0, at, KV_RULE_RENDER_CONFLICT, "give the objects names that differ before the renames",
			   "%s may refer to any of %s: kustomize refuses the ambiguity", old, kv_buf_cstr(&ids));
		kv_buf_free(&ids);
		f->rc = -1;
		pick = NULL;
		break;
	}
	free(keep.items);
	return pick;
}

/* ---- fixing one field ---- */

static void set_scalar(fixer *f, kv_node **slot)
{
	kv_node *n = *slot;
	if (n->type != KV_STRING)
		return;
	rn_res *ref = select_referral(f, n->u.s, NULL, n);
	const char *name = ref ? rn_res_name(ref) : NULL;
	if (name && strcmp(name, n->u.s) != 0)
		*slot = rn_new_string(f->r, name, strlen(name), n);
}

/* A map with name, and maybe namespace (which narrows the candidates, and takes the
 * namespace of the object picked). */
static void set_mapping(fixer *f, kv_node *m)
{
	kv_node *name = rn_get(m, "name"), *nsn = rn_get(m, "namespace");
	if (!name) {
		rn_problem(f->r, 0, m, KV_RULE_RENDER_CONFLICT, NULL,
			   "name reference field %s holds a map without name: kustomize refuses it", f->fs->path);
		f->rc = -1;
		return;
	}
	if (name->type != KV_STRING)
		return;
	const char *want = nsn ? (kv_str(nsn) ? kv_str(nsn) : "") : NULL;
	rn_res *ref = select_referral(f, name->u.s, want, name);
	if (!ref)
		return;
	const char *rname = rn_res_name(ref), *rns = rn_res_ns(ref);
	if (rname && strcmp(rname, name->u.s) != 0)
		rn_set(f->r, m, "name", rn_new_string(f->r, rname, strlen(rname), name), name);
	if (rns && *rns && (!kv_str(nsn) || strcmp(kv_str(nsn), rns) != 0))
		rn_set(f->r, m, "namespace", rn_new_string(f->r, rns, strlen(rns), nsn ? nsn : name), name);
}

static int visit(kv_render *r, kv_node **slot, void *ctx)
{
	fixer *f = ctx;
	kv_node *n = *slot;
	if (!n || n->type == KV_NULL)
		return 0;
	if (n->type == KV_MAP) {
		set_mapping(f, n);
		return 0;
	}
	if (n->type != KV_LIST) {
		set_scalar(f, slot);
		return 0;
	}
	for (uint32_t i = 0; i < n->len; i++) {
		kv_node *item = n->u.items[i];
		if (item->type == KV_MAP)
			set_mapping(f, item);
		else if (item->type == KV_LIST) {
			rn_problem(r, 0, item, KV_RULE_RENDER_CONFLICT, NULL,
				   "name reference field %s holds a list in a list: kustomize refuses it", f->fs->path);
			f->rc = -1;
		} else if (item->type != KV_NULL)
			set_scalar(f, &n->u.items[i]);
	}
	return 0;
}

int rn_fix_references(kv_render *r, rn_acc *a)
{
	const rn_config *cfg = a->cfg ? a->cfg : rn_config_defaults(r);
	fixer f = {.r = r, .a = a};
	index_objects(&f);
	for (size_t i = 0; i < a->res.n; i++) {
		f.referrer = a->res.items[i];
		f.rid = f.infos[i];
		f.binding = kv_str_eq(rn_get(f.referrer->obj, "kind"), "RoleBinding");
		for (size_t t = 0; t < cfg->nnamerefs; t++) {
			f.target = &cfg->namerefs[t];
			for (size_t s = 0; s < f.target->by.n; s++) {
				f.fs = &f.target->by.items[s];
				if (!rn_fspec_selects(f.fs, f.referrer->obj))
					continue;
				read_roleref(&f);
				if (rn_fspec_walk(r, f.referrer->obj, f.fs, KV_NULL, NULL, visit, &f) < 0)
					f.rc = -1;
			}
		}
	}
	fixer_free(&f);
	return f.rc;
}

/* kustomize's built-in nameReference configuration (v5.5): for each kind, the fields of
 * other kinds that name an object of it. Pod templates are listed for every workload. */
const char rn_default_namerefs_yaml[] =
	"nameReference:\n"
	"- kind: Deployment\n"
	"  fieldSpecs:\n"
	"  - {path: spec/scaleTargetRef/name, kind: HorizontalPodAutoscaler}\n"
	"- kind: ReplicationController\n"
	"  fieldSpecs:\n"
	"  - {path: spec/scaleTargetRef/name, kind: HorizontalPodAutoscaler}\n"
	"- kind: ReplicaSet\n"
	"  fieldSpecs:\n"
	"  - {path: spec/scaleTargetRef/name, kind: HorizontalPodAutoscaler}\n"
	"- kind: StatefulSet\n"
	"  fieldSpecs:\n"
	"  - {path: spec/scaleTargetRef/name, kind: HorizontalPodAutoscaler}\n"
	"- kind: ConfigMap\n"
	"  version: v1\n"
	"  fieldSpecs:\n"
	"  - {path: spec/volumes/configMap/name, version: v1, kind: Pod}\n"
	"  - {path: spec/containers/env/valueFrom/configMapKeyRef/name, version: v1, kind: Pod}\n"
	"  - {path: spec/initContainers/env/valueFrom/configMapKeyRef/name, version: v1, kind: Pod}\n"
	"  - {path: spec/containers/envFrom/configMapRef/name, version: v1, kind: Pod}\n"
	"  - {path: spec/initContainers/envFrom/configMapRef/name, version: v1, kind: Pod}\n"
	"  - {path: spec/volumes/projected/sources/configMap/name, version: v1, kind: Pod}\n"
	"  - {path: template/spec/volumes/configMap/name, kind: PodTemplate}\n"
	"  - {path: template/spec/containers/env/valueFrom/configMapKeyRef/name, kind: PodTemplate}\n"
	"  - {path: template/spec/initContainers/env/valueFrom/configMapKeyRef/name, kind: PodTemplate}\n"
	"  - {path: template/spec/containers/envFrom/configMapRef/name, kind: PodTemplate}\n"
	"  - {path: template/spec/initContainers/envFrom/configMapRef/name, kind: PodTemplate}\n"
	"  - {path: template/spec/volumes/projected/sources/configMap/name, kind: PodTemplate}\n"
	"  - {path: spec/template/spec/volumes/configMap/name, kind: Deployment}\n"
	"  - {path: spec/template/spec/containers/env/valueFrom/configMapKeyRef/name, kind: Deployment}\n"
	"  - {path: spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name, kind: Deployment}\n"
	"  - {path: spec/template/spec/containers/envFrom/configMapRef/name, kind: Deployment}\n"
	"  - {path: spec/template/spec/initContainers/envFrom/configMapRef/name, kind: Deployment}\n"
	"  - {path: spec/template/spec/volumes/projected/sources/configMap/name, kind: Deployment}\n"
	"  - {path: spec/template/spec/volumes/configMap/name, kind: ReplicaSet}\n"
	"  - {path: spec/template/spec/containers/env/valueFrom/configMapKeyRef/name, kind: ReplicaSet}\n"
	"  - {path: spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name, kind: ReplicaSet}\n"
	"  - {path: spec/template/spec/containers/envFrom/configMapRef/name, kind: ReplicaSet}\n"
	"  - {path: spec/template/spec/initContainers/envFrom/configMapRef/name, kind: ReplicaSet}\n"
	"  - {path: spec/template/spec/volumes/projected/sources/configMap/name, kind: ReplicaSet}\n"
	"  - {path: spec/template/spec/volumes/configMap/name, kind: DaemonSet}\n"
	"  - {path: spec/template/spec/containers/env/valueFrom/configMapKeyRef/name, kind: DaemonSet}\n"
	"  - {path: spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name, kind: DaemonSet}\n"
	"  - {path: spec/template/spec/containers/envFrom/configMapRef/name, kind: DaemonSet}\n"
	"  - {path: spec/template/spec/initContainers/envFrom/configMapRef/name, kind: DaemonSet}\n"
	"  - {path: spec/template/spec/volumes/projected/sources/configMap/name, kind: DaemonSet}\n"
	"  - {path: spec/template/spec/volumes/configMap/name, kind: StatefulSet}\n"
	"  - {path: spec/template/spec/containers/env/valueFrom/configMapKeyRef/name, kind: StatefulSet}\n"
	"  - {path: spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name, kind: StatefulSet}\n"
	"  - {path: spec/template/spec/containers/envFrom/configMapRef/name, kind: StatefulSet}\n"
	"  - {path: spec/template/spec/initContainers/envFrom/configMapRef/name, kind: StatefulSet}\n"
	"  - {path: spec/template/spec/volumes/projected/sources/configMap/name, kind: StatefulSet}\n"
	"  - {path: spec/template/spec/volumes/configMap/name, kind: Job}\n"
	"  - {path: spec/template/spec/containers/env/valueFrom/configMapKeyRef/name, kind: Job}\n"
	"  - {path: spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name, kind: Job}\n"
	"  - {path: spec/template/spec/containers/envFrom/configMapRef/name, kind: Job}\n"
	"  - {path: spec/template/spec/initContainers/envFrom/configMapRef/name, kind: Job}\n"
	"  - {path: spec/template/spec/volumes/projected/sources/configMap/name, kind: Job}\n"
	"  - {path: spec/jobTemplate/spec/template/spec/volumes/configMap/name, kind: CronJob}\n"
	"  - {path: spec/jobTemplate/spec/template/spec/containers/env/valueFrom/configMapKeyRef/name, kind: CronJob}\n"
	"  - {path: spec/jobTemplate/spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name, kind: CronJob}\n"
	"  - {path: spec/jobTemplate/spec/template/spec/containers/envFrom/configMapRef/name, kind: CronJob}\n"
	"  - {path: spec/jobTemplate/spec/template/spec/initContainers/envFrom/configMapRef/name, kind: CronJob}\n"
	"  - {path: spec/jobTemplate/spec/template/spec/volumes/projected/sources/configMap/name, kind: CronJob}\n"
	"  - {path: spec/configSource/configMap, kind: Node}\n"
	"  - {path: rules/resourceNames, kind: Role}\n"
	"  - {path: rules/resourceNames, kind: ClusterRole}\n"
	"  - {path: metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap, kind: Ingress}\n"
	"- kind: Secret\n"
	"  version: v1\n"
	"  fieldSpecs:\n"
	"  - {path: spec/volumes/secret/secretName, version: v1, kind: Pod}\n"
	"  - {path: spec/containers/env/valueFrom/secretKeyRef/name, version: v1, kind: Pod}\n"
	"  - {path: spec/initContainers/env/valueFrom/secretKeyRef/name, version: v1, kind: Pod}\n"
	"  - {path: spec/containers/envFrom/secretRef/name, version: v1, kind: Pod}\n"
	"  - {path: spec/initContainers/envFrom/secretRef/name, version: v1, kind: Pod}\n"
	"  - {path: spec/imagePullSecrets/name, version: v1, kind: Pod}\n"
	"  - {path: spec/volumes/projected/sources/secret/name, version: v1, kind: Pod}\n"
	"  - {path: template/spec/volumes/secret/secretName, kind: PodTemplate}\n"
	"  - {path: template/spec/containers/env/valueFrom/secretKeyRef/name, kind: PodTemplate}\n"
	"  - {path: template/spec/initContainers/env/valueFrom/secretKeyRef/name, kind: PodTemplate}\n"
	"  - {path: template/spec/containers/envFrom/secretRef/name, kind: PodTemplate}\n"
	"  - {path: template/spec/initContainers/envFrom/secretRef/name, kind: PodTemplate}\n"
	"  - {path: template/spec/imagePullSecrets/name, kind: PodTemplate}\n"
	"  - {path: template/spec/volumes/projected/sources/secret/name, kind: PodTemplate}\n"
	"  - {path: spec/template/spec/volumes/secret/secretName, kind: Deployment}\n"
	"  - {path: spec/template/spec/containers/env/valueFrom/secretKeyRef/name, kind: Deployment}\n"
	"  - {path: spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name, kind: Deployment}\n"
	"  - {path: spec/template/spec/containers/envFrom/secretRef/name, kind: Deployment}\n"
	"  - {path: spec/template/spec/initContainers/envFrom/secretRef/name, kind: Deployment}\n"
	"  - {path: spec/template/spec/imagePullSecrets/name, kind: Deployment}\n"
	"  - {path: spec/template/spec/volumes/projected/sources/secret/name, kind: Deployment}\n"
	"  - {path: spec/template/spec/volumes/secret/secretName, kind: ReplicaSet}\n"
	"  - {path: spec/template/spec/containers/env/valueFrom/secretKeyRef/name, kind: ReplicaSet}\n"
	"  - {path: spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name, kind: ReplicaSet}\n"
	"  - {path: spec/template/spec/containers/envFrom/secretRef/name, kind: ReplicaSet}\n"
	"  - {path: spec/template/spec/initContainers/envFrom/secretRef/name, kind: ReplicaSet}\n"
	"  - {path: spec/template/spec/imagePullSecrets/name, kind: ReplicaSet}\n"
	"  - {path: spec/template/spec/volumes/projected/sources/secret/name, kind: ReplicaSet}\n"
	"  - {path: spec/template/spec/volumes/secret/secretName, kind: DaemonSet}\n"
	"  - {path: spec/template/spec/containers/env/valueFrom/secretKeyRef/name, kind: DaemonSet}\n"
	"  - {path: spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name, kind: DaemonSet}\n"
	"  - {path: spec/template/spec/containers/envFrom/secretRef/name, kind: DaemonSet}\n"
	"  - {path: spec/template/spec/initContainers/envFrom/secretRef/name, kind: DaemonSet}\n"
	"  - {path: spec/template/spec/imagePullSecrets/name, kind: DaemonSet}\n"
	"  - {path: spec/template/spec/volumes/projected/sources/secret/name, kind: DaemonSet}\n"
	"  - {path: spec/template/spec/volumes/secret/secretName, kind: StatefulSet}\n"
	"  - {path: spec/template/spec/containers/env/valueFrom/secretKeyRef/name, kind: StatefulSet}\n"
	"  - {path: spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name, kind: StatefulSet}\n"
	"  - {path: spec/template/spec/containers/envFrom/secretRef/name, kind: StatefulSet}\n"
	"  - {path: spec/template/spec/initContainers/envFrom/secretRef/name, kind: StatefulSet}\n"
	"  - {path: spec/template/spec/imagePullSecrets/name, kind: StatefulSet}\n"
	"  - {path: spec/template/spec/volumes/projected/sources/secret/name, kind: StatefulSet}\n"
	"  - {path: spec/template/spec/volumes/secret/secretName, kind: Job}\n"
	"  - {path: spec/template/spec/containers/env/valueFrom/secretKeyRef/name, kind: Job}\n"
	"  - {path: spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name, kind: Job}\n"
	"  - {path: spec/template/spec/containers/envFrom/secretRef/name, kind: Job}\n"
	"  - {path: spec/template/spec/initContainers/envFrom/secretRef/name, kind: Job}\n"
	"  - {path: spec/template/spec/imagePullSecrets/name, kind: Job}\n"
	"  - {path: spec/template/spec/volumes/projected/sources/secret/name, kind: Job}\n"
	"  - {path: spec/jobTemplate/spec/template/spec/volumes/secret/secretName, kind: CronJob}\n"
	"  - {path: spec/jobTemplate/spec/template/spec/containers/env/valueFrom/secretKeyRef/name, kind: CronJob}\n"
	"  - {path: spec/jobTemplate/spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name, kind: CronJob}\n"
	"  - {path: spec/jobTemplate/spec/template/spec/containers/envFrom/secretRef/name, kind: CronJob}\n"
	"  - {path: spec/jobTemplate/spec/template/spec/initContainers/envFrom/secretRef/name, kind: CronJob}\n"
	"  - {path: spec/jobTemplate/spec/template/spec/imagePullSecrets/name, kind: CronJob}\n"
	"  - {path: spec/jobTemplate/spec/template/spec/volumes/projected/sources/secret/name, kind: CronJob}\n"
	"  - {path: spec/tls/secretName, kind: Ingress}\n"
	"  - {path: metadata/annotations/ingress.kubernetes.io\\/auth-secret, kind: Ingress}\n"
	"  - {path: metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret, kind: Ingress}\n"
	"  - {path: metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret, kind: Ingress}\n"
	"  - {path: imagePullSecrets/name, kind: ServiceAccount}\n"
	"  - {path: parameters/secretName, kind: StorageClass}\n"
	"  - {path: parameters/adminSecretName, kind: StorageClass}\n"
	"  - {path: parameters/userSecretName, kind: StorageClass}\n"
	"  - {path: parameters/secretRef, kind: StorageClass}\n"
	"  - {path: rules/resourceNames, kind: Role}\n"
	"  - {path: rules/resourceNames, kind: ClusterRole}\n"
	"  - {path: spec/template/spec/containers/env/valueFrom/secretKeyRef/name, group: serving.knative.dev, version: v1, kind: Service}\n"
	"  - {path: spec/azureFile/secretName, kind: PersistentVolume}\n"
	"- kind: Service\n"
	"  version: v1\n"
	"  fieldSpecs:\n"
	"  - {path: spec/serviceName, group: apps, kind: StatefulSet}\n"
	"  - {path: spec/rules/http/paths/backend/serviceName, kind: Ingress}\n"
	"  - {path: spec/backend/serviceName, kind: Ingress}\n"
	"  - {path: spec/rules/http/paths/backend/service/name, kind: Ingress}\n"
	"  - {path: spec/defaultBackend/service/name, kind: Ingress}\n"
	"  - {path: spec/service/name, group: apiregistration.k8s.io, kind: APIService}\n"
	"  - {path: webhooks/clientConfig/service, group: admissionregistration.k8s.io, kind: ValidatingWebhookConfiguration}\n"
	"  - {path: webhooks/clientConfig/service, group: admissionregistration.k8s.io, kind: MutatingWebhookConfiguration}\n"
	"  - {path: spec/rules/backendRefs/name, kind: HTTPRoute}\n"
	"- kind: Role\n"
	"  group: rbac.authorization.k8s.io\n"
	"  fieldSpecs:\n"
	"  - {path: roleRef/name, group: rbac.authorization.k8s.io, kind: RoleBinding}\n"
	"- kind: ClusterRole\n"
	"  group: rbac.authorization.k8s.io\n"
	"  fieldSpecs:\n"
	"  - {path: roleRef/name, group: rbac.authorization.k8s.io, kind: RoleBinding}\n"
	"  - {path: roleRef/name, group: rbac.authorization.k8s.io, kind: ClusterRoleBinding}\n"
	"- kind: ServiceAccount\n"
	"  version: v1\n"
	"  fieldSpecs:\n"
	"  - {path: subjects, group: rbac.authorization.k8s.io, kind: RoleBinding}\n"
	"  - {path: subjects, group: rbac.authorization.k8s.io, kind: ClusterRoleBinding}\n"
	"  - {path: spec/serviceAccountName, kind: Pod}\n"
	"  - {path: spec/template/spec/serviceAccountName, kind: StatefulSet}\n"
	"  - {path: spec/template/spec/serviceAccountName, kind: Deployment}\n"
	"  - {path: spec/template/spec/serviceAccountName, kind: ReplicationController}\n"
	"  - {path: spec/jobTemplate/spec/template/spec/serviceAccountName, kind: CronJob}\n"
	"  - {path: spec/template/spec/serviceAccountName, kind: Job}\n"
	"  - {path: spec/template/spec/serviceAccountName, kind: DaemonSet}\n"
	"- kind: PersistentVolumeClaim\n"
	"  version: v1\n"
	"  fieldSpecs:\n"
	"  - {path: spec/volumes/persistentVolumeClaim/claimName, kind: Pod}\n"
	"  - {path: spec/template/spec/volumes/persistentVolumeClaim/claimName, kind: StatefulSet}\n"
	"  - {path: spec/template/spec/volumes/persistentVolumeClaim/claimName, kind: Deployment}\n"
	"  - {path: spec/template/spec/volumes/persistentVolumeClaim/claimName, kind: ReplicationController}\n"
	"  - {path: spec/jobTemplate/spec/template/spec/volumes/persistentVolumeClaim/claimName, kind: CronJob}\n"
	"  - {path: spec/template/spec/volumes/persistentVolumeClaim/claimName, kind: Job}\n"
	"  - {path: spec/template/spec/volumes/persistentVolumeClaim/claimName, kind: DaemonSet}\n"
	"- kind: PersistentVolume\n"
	"  version: v1\n"
	"  fieldSpecs:\n"
	"  - {path: spec/volumeName, kind: PersistentVolumeClaim}\n"
	"  - {path: rules/resourceNames, kind: ClusterRole}\n"
	"- kind: StorageClass\n"
	"  version: v1\n"
	"  group: storage.k8s.io\n"
	"  fieldSpecs:\n"
	"  - {path: spec/storageClassName, kind: PersistentVolume}\n"
	"  - {path: spec/storageClassName, kind: PersistentVolumeClaim}\n"
	"  - {path: spec/volumeClaimTemplates/spec/storageClassName, kind: StatefulSet}\n"
	"- kind: PriorityClass\n"
	"  version: v1\n"
	"  group: scheduling.k8s.io\n"
	"  fieldSpecs:\n"
	"  - {path: spec/priorityClassName, kind: Pod}\n"
	"  - {path: spec/template/spec/priorityClassName, kind: StatefulSet}\n"
	"  - {path: spec/template/spec/priorityClassName, kind: Deployment}\n"
	"  - {path: spec/template/spec/priorityClassName, kind: ReplicationController}\n"
	"  - {path: spec/jobTemplate/spec/template/spec/priorityClassName, kind: CronJob}\n"
	"  - {path: spec/template/spec/priorityClassName, kind: Job}\n"
	"  - {path: spec/template/spec/priorityClassName, kind: DaemonSet}\n"
	"- kind: IngressClass\n"
	"  version: v1\n"
	"  group: networking.k8s.io/v1\n"
	"  fieldSpecs:\n"
	"  - {path: spec/ingressClassName, kind: Ingress}\n"
	;
