/* rendercheck.c: what only the rendered units show: namespaced objects a Flux unit leaves
 * without a namespace, custom resources whose CRD comes from nowhere or too late, namespaces
 * no unit creates, objects two units render, HelmRelease references to generated names
 * without their hash, dependsOn cycles and dangling names, SOPS ciphertext Flux would apply
 * without decryption. Each is reported at the line a person must edit. */
#include "render.h"

#include "kvet/alloc.h"
#include "kvet/k8s.h"
#include "kvet/map.h"
#include "kvet/strutil.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	ck_render *cr;
	const kv_units *us;
	kv_schemaset *set;
	kv_map *unit_by_name; /* cluster and unit name -> index + 1 */
	uint32_t *parent;     /* the unit that applies a unit's defining object, + 1 (0: none) */
	uint32_t *cluster;    /* which cluster a unit applies to (see index_units) */
} rc;

/* An object's type; false for what is not a cluster's object. */
static bool type_of(const kv_node *obj, char *group, char *version, const char **kind)
{
	const char *av = kv_str(kv_map_get(obj, "apiVersion"));
	*kind = kv_str(kv_map_get(obj, "kind"));
	if (obj->type != KV_MAP || !av || !*kind || kv_k8s_split_api_version(av, group, version, 256) < 0)
		return false;
	return strncmp(av, "kvet.dev/", 9) != 0 && strncmp(av, "kustomize.config.k8s.io/", 24) != 0;
}

static uint32_t scope_of(const rc *c, const char *group, const char *version, const char *kind)
{
	kv_sref ref;
	if (kv_schemaset_find(c->set, group, version, kind, &ref) && ref.scope)
		return ref.scope;
	return kv_k8s_builtin_scope(group, kind);
}

static const kv_node *meta_field(const kv_node *obj, const char *key)
{
	return kv_map_get(kv_map_get(obj, "metadata"), key);
}

static const char *str_or_empty(const kv_node *n)
{
	const char *s = kv_str(n);
	return s ? s : "";
}

/* The namespace an object lands in: its own, else the unit's; "" when none. */
static const char *effective_ns(const kv_unit *u, const kv_node *obj)
{
	const char *ns = kv_str(meta_field(obj, "namespace"));
	if (ns && *ns)
		return ns;
	return u->namespace ? u->namespace : "";
}

/* The node to report an object at: its name, else its kind. */
static const kv_node *name_node(const kv_node *obj)
{
	const kv_node *n = meta_field(obj, "name");
	return n ? n : kv_map_get(obj, "kind");
}

/* ---- no namespace ---- */

static void no_namespace(rc *c, const kv_unit *u)
{
	if (u->kind != KV_UNIT_FLUX || (u->namespace && *u->namespace))
		return;
	for (size_t i = 0; i < u->result.n; i++) {
		const kv_node *obj = u->result.objects[i];
		char group[256], version[256];
		const char *kind;
		if (!type_of(obj, group, version, &kind) || *effective_ns(u, obj) ||
		    scope_of(c, group, version, kind) != KV_SCOPE_NAMESPACED)
			continue;
		ck_render_report(c->cr, 0, name_node(obj), obj, KV_RULE_RENDER_NO_NAMESPACE,
				 "set metadata.namespace, or spec.targetNamespace on the Flux Kustomization",
				 "%s %s is namespaced but will have no namespace: unit %s sets no targetNamespace", kind,
				 str_or_empty(meta_field(obj, "name")), u->name);
	}
}

/* ---- namespaces ---- */

static bool builtin_namespace(const char *ns)
{
	static const char *const names[] = {"default", "kube-system", "kube-public", "kube-node-lease",
					    "flux-system", "argocd"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(ns, names[i]) == 0)
			return true;
	return false;
}

/* Argo CD creates the destination namespace itself with the CreateNamespace=true option. */
static bool creates_namespace(const kv_unit *u)
{
	const kv_node *opts = kv_map_get(kv_map_get(kv_map_get(u->def, "spec"), "syncPolicy"), "syncOptions");
	for (uint32_t i = 0; u->kind == KV_UNIT_ARGO && opts && opts->type == KV_LIST && i < opts->len; i++)
		if (kv_str_eq(opts->u.items[i], "CreateNamespace=true"))
			return true;
	return false;
}

/* Keys are per cluster: "cluster\nname". */
static void cluster_key(kv_buf *b, const rc *c, size_t unit, const char *name)
{
	b->len = 0;
	kv_buf_printf(b, "%u\n%s", c->cluster[unit], name);
}

static kv_map *created_namespaces(rc *c)
{
	kv_map *m = kv_map_new();
	kv_buf key = KV_BUF_INIT;
	for (size_t k = 0; k < c->us->n; k++) {
		const kv_unit *u = &c->us->items[k];
		if (creates_namespace(u) && u->namespace) {
			cluster_key(&key, c, k, u->namespace);
			*kv_map_slot(m, key.data, key.len, NULL) = 1;
		}
		for (size_t i = 0; i < u->result.n; i++) {
			const kv_node *obj = u->result.objects[i];
			const char *kind = kv_str(kv_map_get(obj, "kind"));
			const char *name = kv_str(meta_field(obj, "name"));
			if (!kind || !name || strcmp(kind, "Namespace") != 0 || !kv_str_eq(kv_map_get(obj, "apiVersion"), "v1"))
				continue;
			cluster_key(&key, c, k, name);
			*kv_map_slot(m, key.data, key.len, NULL) = 1;
		}
	}
	kv_buf_free(&key);
	return m;
}

/* Where the unit's namespace is written, for objects that take it. */
static const kv_node *unit_ns_node(const kv_unit *u)
{
	const kv_node *spec = kv_map_get(u->def, "spec");
	const kv_node *n = kv_map_get(spec, "targetNamespace");
	return n ? n : kv_map_get(kv_map_get(spec, "destination"), "namespace");
}

/* Only a reconciler's units say how objects reach the cluster: without Flux or Argo CD, the
 * namespaces and CRDs may come from anywhere. */
static bool reconciled(const kv_unit *u)
{
	return u->kind == KV_UNIT_FLUX || u->kind == KV_UNIT_ARGO;
}

static void missing_namespaces(rc *c)
{
	kv_map *created = created_namespaces(c);
	kv_buf key = KV_BUF_INIT;
	for (size_t k = 0; k < c->us->n; k++) {
		const kv_unit *u = &c->us->items[k];
		for (size_t i = 0; reconciled(u) && i < u->result.n; i++) {
			const kv_node *obj = u->result.objects[i];
			char group[256], version[256];
			const char *kind;
			if (!type_of(obj, group, version, &kind) || scope_of(c, group, version, kind) == KV_SCOPE_CLUSTER)
				continue;
			const kv_node *at = meta_field(obj, "namespace");
			const char *ns = kv_str(at);
			if (!ns || !*ns) {
				ns = u->namespace;
				at = unit_ns_node(u);
			}
			if (!ns || !*ns || builtin_namespace(ns) || kv_is_templated(ns, strlen(ns)))
				continue;
			cluster_key(&key, c, k, ns);
			if (kv_map_find(created, key.data, key.len))
				continue;
			ck_render_report(c->cr, 0, at ? at : name_node(obj), obj, KV_RULE_RENDER_MISSING_NAMESPACE,
					 "add a Namespace object to a unit (with Flux, one this unit depends on), or have the "
					 "reconciler create it",
					 "namespace \"%s\" is created by no unit", ns);
		}
	}
	kv_buf_free(&key);
	kv_map_free(created);
}

/* ---- objects two units render ---- */

static void identity(kv_buf *b, const rc *c, const kv_unit *u, const kv_node *obj, const char *group,
		     const char *version, const char *kind)
{
	b->len = 0;
	bool cluster = scope_of(c, group, version, kind) == KV_SCOPE_CLUSTER;
	kv_buf_printf(b, "%u\n%s\n%s\n%s\n%s", c->cluster[u - c->us->items], group, kind,
		      cluster ? "" : effective_ns(u, obj), str_or_empty(meta_field(obj, "name")));
}

static void duplicates(rc *c)
{
	kv_map *seen = kv_map_new(); /* identity -> (unit << 32 | object) + 1 */
	kv_buf id = KV_BUF_INIT;
	for (size_t k = 0; k < c->us->n; k++) {
		const kv_unit *u = &c->us->items[k];
		for (size_t i = 0; i < u->result.n; i++) {
			const kv_node *obj = u->result.objects[i];
			char group[256], version[256];
			const char *kind;
			if (!type_of(obj, group, version, &kind) || !meta_field(obj, "name"))
				continue;
			identity(&id, c, u, obj, group, version, kind);
			bool added;
			uint64_t *v = kv_map_slot(seen, id.data, id.len, &added);
			if (added) {
				*v = ((uint64_t)k << 32 | i) + 1;
				continue;
			}
			size_t fu = (size_t)((*v - 1) >> 32), fi = (size_t)((*v - 1) & 0xffffffffu);
			if (fu == k)
				continue; /* within one build: render/conflict */
			const kv_node *first = c->us->items[fu].result.objects[fi];
			const kv_node *fat = name_node(first);
			const char *fpath = kv_render_file_path(ck_render_renderer(c->cr), fat->src ? fat->src : first->src);
			const char *ns = effective_ns(u, obj);
			const kv_node *at = name_node(obj);
			kv_buf where = KV_BUF_INIT;
			if (fat->src != at->src || fat->line != at->line) /* else both apply the same lines */
				kv_buf_printf(&where, " (the first at %s:%u)", fpath ? fpath : "?", fat->line);
			ck_render_report(c->cr, 0, at, obj, KV_RULE_RENDER_DUPLICATE,
					 "the units fight over it: each apply overwrites the other's, and pruning one deletes it",
					 "%s%s%s %s%s%s is rendered by two units, %s and %s%s", kind, *group ? "." : "", group,
					 ns, *ns ? "/" : "", str_or_empty(meta_field(obj, "name")), c->us->items[fu].name,
					 u->name, kv_buf_cstr(&where));
			kv_buf_free(&where);
		}
	}
	kv_buf_free(&id);
	kv_map_free(seen);
}

/* ---- HelmRelease valuesFrom and generated names ---- */

/* kustomize's content hash: ten characters of its alphabet, after a dash. */
static bool is_hash_suffix(const char *s)
{
	if (strlen(s) != 11 || s[0] != '-')
		return false;
	for (int i = 1; i < 11; i++)
		if (!strchr("bcdfghkmt2456789", s[i]))
			return false;
	return true;
}

/* The generated object of unit u that ref names without its hash, or NULL. */
static const kv_node *hashed_twin(const kv_unit *u, const char *kind, const char *ns, const char *name)
{
	const kv_node *twin = NULL;
	size_t n = strlen(name);
	for (size_t i = 0; i < u->result.n; i++) {
		const kv_node *obj = u->result.objects[i];
		const char *oname = kv_str(meta_field(obj, "name"));
		if (!oname || !kv_str_eq(kv_map_get(obj, "kind"), kind) || !kv_str_eq(kv_map_get(obj, "apiVersion"), "v1") ||
		    strcmp(effective_ns(u, obj), ns) != 0)
			continue;
		if (strcmp(oname, name) == 0)
			return NULL; /* the name exists as written */
		if (strncmp(oname, name, n) == 0 && is_hash_suffix(oname + n))
			twin = obj;
	}
	return twin;
}

static void values_from(rc *c, const kv_unit *u, const kv_node *hr)
{
	const kv_node *list = kv_map_get(kv_map_get(hr, "spec"), "valuesFrom");
	for (uint32_t j = 0; list && list->type == KV_LIST && j < list->len; j++) {
		const kv_node *ref = list->u.items[j];
		const char *kind = kv_str(kv_map_get(ref, "kind"));
		const kv_node *name = kv_map_get(ref, "name");
		if (!kind || !kv_str(name) || (strcmp(kind, "ConfigMap") != 0 && strcmp(kind, "Secret") != 0))
			continue;
		const kv_node *twin = hashed_twin(u, kind, effective_ns(u, hr), name->u.s);
		if (!twin)
			continue;
		ck_render_report(c->cr, 0, name, hr, KV_RULE_RENDER_UNHASHED,
				 "set generatorOptions.disableNameSuffixHash: true for it, or add a nameReference "
				 "configuration for HelmRelease spec/valuesFrom/name",
				 "valuesFrom names %s %s, which the build names %s (a generated name with its content "
				 "hash): the HelmRelease will not find it",
				 kind, name->u.s, kv_str(meta_field(twin, "name")));
	}
}

static void unhashed(rc *c, const kv_unit *u)
{
	for (size_t i = 0; i < u->result.n; i++) {
		const kv_node *obj = u->result.objects[i];
		const char *av = kv_str(kv_map_get(obj, "apiVersion"));
		if (av && strncmp(av, "helm.toolkit.fluxcd.io/", 23) == 0 && kv_str_eq(kv_map_get(obj, "kind"), "HelmRelease"))
			values_from(c, u, obj);
	}
}

/* ---- dependsOn ---- */

/* The unit of that name in the cluster of unit from, + 1 (0: none). */
static uint32_t unit_named(const rc *c, size_t from, const char *name)
{
	kv_buf key = KV_BUF_INIT;
	cluster_key(&key, c, from, name);
	uint64_t *v = kv_map_find(c->unit_by_name, key.data, key.len);
	kv_buf_free(&key);
	return v ? (uint32_t)*v : 0;
}

static void dangling(rc *c, const kv_unit *u)
{
	for (size_t i = 0; i < u->ndepends; i++) {
		if (unit_named(c, (size_t)(u - c->us->items), u->depends_on[i]))
			continue;
		ck_render_report(c->cr, 0, u->depends_at[i], u->def, KV_RULE_RENDER_DEPENDS,
				 "Flux waits for a dependency that never becomes ready: the unit is never applied",
				 "dependsOn names %s, which is no unit in the repository", u->depends_on[i]);
	}
}

/* A cycle closes at the edge from u to the unit at path[from]: reported at that edge. */
static void report_cycle(rc *c, const uint32_t *path, size_t from, size_t len, size_t edge)
{
	const kv_unit *u = &c->us->items[path[len - 1]];
	kv_buf b = KV_BUF_INIT;
	for (size_t i = from; i < len; i++)
		kv_buf_printf(&b, "%s -> ", c->us->items[path[i]].name);
	kv_buf_puts(&b, c->us->items[path[from]].name);
	ck_render_report(c->cr, 0, u->depends_at[edge], u->def, KV_RULE_RENDER_DEPENDS,
			 "Flux never applies units that wait for each other", "dependsOn makes a cycle: %s",
			 kv_buf_cstr(&b));
	kv_buf_free(&b);
}

/* Depth-first over dependsOn with an explicit stack (no recursion on hostile input); each
 * edge that closes a cycle is reported once. */
static void cycles(rc *c)
{
	size_t n = c->us->n;
	uint8_t *state = kv_xcalloc(n ? n : 1, 1); /* 0 new, 1 on the path, 2 done */
	uint32_t *path = kv_xcalloc(n ? n : 1, sizeof *path);
	size_t *next = kv_xcalloc(n ? n : 1, sizeof *next);
	for (size_t s = 0; s < n; s++) {
		if (state[s])
			continue;
		size_t len = 0;
		path[len++] = (uint32_t)s;
		state[s] = 1;
		next[s] = 0;
		while (len) {
			uint32_t at = path[len - 1];
			const kv_unit *u = &c->us->items[at];
			if (next[at] == u->ndepends) {
				state[at] = 2;
				len--;
				continue;
			}
			size_t edge = next[at]++;
			uint32_t to = unit_named(c, at, u->depends_on[edge]);
			if (!to--)
				continue;
			if (state[to] == 1) {
				size_t from = len;
				while (from && path[from - 1] != to)
					from--;
				report_cycle(c, path, from ? from - 1 : 0, len, edge);
			} else if (state[to] == 0) {
				state[to] = 1;
				next[to] = 0;
				path[len++] = to;
			}
		}
	}
	free(state);
	free(path);
	free(next);
}

/* ---- CRDs ---- */

/* Custom resources: a group with a dot that is not Kubernetes' own (*.k8s.io). */
static bool custom_group(const char *group)
{
	return strchr(group, '.') && !kv_str_has_suffix(group, ".k8s.io");
}

static void crd_key(kv_buf *b, const kv_node *crd)
{
	const kv_node *spec = kv_map_get(crd, "spec");
	b->len = 0;
	kv_buf_printf(b, "%s/%s", str_or_empty(kv_map_get(spec, "group")),
		      str_or_empty(kv_map_get(kv_map_get(spec, "names"), "kind")));
}

/* "group/Kind" -> the first unit that applies its CRD, + 1. */
static kv_map *crds_by_unit(const rc *c)
{
	kv_map *m = kv_map_new();
	kv_buf key = KV_BUF_INIT;
	for (size_t k = 0; k < c->us->n; k++) {
		const kv_unit *u = &c->us->items[k];
		for (size_t i = 0; i < u->result.n; i++) {
			const kv_node *obj = u->result.objects[i];
			if (!kv_str_eq(kv_map_get(obj, "kind"), "CustomResourceDefinition"))
				continue;
			crd_key(&key, obj);
			kv_buf_printf(&key, "\n%u", c->cluster[k]);
			bool added;
			uint64_t *v = kv_map_slot(m, key.data, key.len, &added);
			if (added)
				*v = k + 1;
		}
	}
	kv_buf_free(&key);
	return m;
}

/* Units applied before u for sure: u itself, what it depends on, and the units that apply the
 * objects defining them, transitively. */
static void before(const rc *c, size_t u, uint8_t *mark)
{
	size_t n = c->us->n, len = 0;
	uint32_t *stack = kv_xmalloc(sizeof *stack * (n ? n : 1));
	memset(mark, 0, n);
	mark[u] = 1;
	stack[len++] = (uint32_t)u;
	while (len) {
		const kv_unit *x = &c->us->items[stack[--len]];
		uint32_t p = c->parent[x - c->us->items];
		if (p && !mark[p - 1]) {
			mark[p - 1] = 1;
			stack[len++] = p - 1;
		}
		for (size_t i = 0; i < x->ndepends; i++) {
			uint32_t to = unit_named(c, (size_t)(x - c->us->items), x->depends_on[i]);
			if (to && !mark[to - 1]) {
				mark[to - 1] = 1;
				stack[len++] = to - 1;
			}
		}
	}
	free(stack);
}

/* A Flux unit's own reconciler has Flux's CRDs, an Argo CD unit's Argo CD's. */
static bool reconciler_kind(const kv_unit *u, const char *group)
{
	if (u->kind == KV_UNIT_FLUX)
		return kv_str_has_suffix(group, ".toolkit.fluxcd.io") || kv_str_has_suffix(group, ".extensions.fluxcd.io");
	return u->kind == KV_UNIT_ARGO && strcmp(group, "argoproj.io") == 0;
}

/* Each missing CRD is one finding, at the first object that needs it (per unit when the fix
 * is the unit's dependsOn): a message per object would bury the rest. */
static void missing_crds(rc *c, const char *const *file_crds, size_t nfile)
{
	kv_map *by_unit = crds_by_unit(c), *in_files = kv_map_new(), *said = kv_map_new();
	for (size_t i = 0; i < nfile; i++)
		*kv_map_slot(in_files, file_crds[i], strlen(file_crds[i]), NULL) = 1;
	uint8_t *mark = kv_xcalloc(c->us->n ? c->us->n : 1, 1);
	kv_buf key = KV_BUF_INIT;
	for (size_t k = 0; k < c->us->n; k++) {
		const kv_unit *u = &c->us->items[k];
		bool flux = u->kind == KV_UNIT_FLUX;
		if (flux)
			before(c, k, mark);
		for (size_t i = 0; reconciled(u) && i < u->result.n; i++) {
			const kv_node *obj = u->result.objects[i];
			char group[256], version[256];
			const char *kind;
			if (!type_of(obj, group, version, &kind) || !custom_group(group) || reconciler_kind(u, group))
				continue;
			key.len = 0;
			kv_buf_printf(&key, "%s/%s\n%u", group, kind, c->cluster[k]);
			uint64_t *v = kv_map_find(by_unit, key.data, key.len);
			key.len = strlen(key.data) - strlen(strrchr(key.data, '\n'));
			key.data[key.len] = '\0'; /* "group/Kind" */
			const kv_node *at = kv_map_get(obj, "kind");
			bool added;
			size_t klen = key.len;
			if (v && flux)
				kv_buf_printf(&key, "\n%zu", k); /* once per unit */
			kv_map_slot(said, key.data, key.len, &added);
			key.len = klen;
			key.data[klen] = '\0';
			if (!added)
				continue;
			if (v && flux && !mark[*v - 1])
				ck_render_report(c->cr, 0, at, obj, KV_RULE_RENDER_MISSING_CRD,
						 "add the CRD's unit to this unit's dependsOn, so Flux applies it first",
						 "the CRD of %s is applied by unit %s, which unit %s does not depend on", key.data,
						 c->us->items[*v - 1].name, u->name);
			else if (!v && !kv_map_find(in_files, key.data, key.len))
				ck_render_report(c->cr, 0, at, obj, KV_RULE_RENDER_MISSING_CRD,
						 "the cluster must have it from elsewhere (a Helm chart, an installer): make sure "
						 "it is there before this unit",
						 "no unit applies a CRD for %s, and no file of the repository defines one", key.data);
		}
	}
	kv_buf_free(&key);
	free(mark);
	kv_map_free(by_unit);
	kv_map_free(in_files);
	kv_map_free(said);
}

/* ---- SOPS ---- */

static void decryption(rc *c, const kv_unit *u)
{
	if (u->kind != KV_UNIT_FLUX || u->decryption)
		return;
	for (size_t i = 0; i < u->result.n; i++) {
		const kv_node *obj = u->result.objects[i];
		const kv_pair *sops = kv_map_pair(obj, "sops");
		if (!sops || sops->value->type != KV_MAP)
			continue;
		ck_render_report(c->cr, 0, sops->key, obj, KV_RULE_RENDER_DECRYPTION,
				 "add spec.decryption (provider: sops, with the key's Secret) to the Flux Kustomization",
				 "this object is SOPS-encrypted, but unit %s has no spec.decryption: Flux would apply the "
				 "ciphertext",
				 u->name);
	}
}

/* ---- the unit graph ---- */

/* A node's place, to find where a unit's definition is rendered. */
static void place_key(kv_buf *b, const kv_node *n)
{
	b->len = 0;
	kv_buf_printf(b, "%u:%u:%u", n->src, n->line, n->col);
}

/* Units apply to clusters. A Flux unit belongs to the cluster of the unit that applies its
 * Kustomization (found by the place of the defining object among rendered objects: two
 * clusters' units often share names), up to a unit nothing applies, such as flux-system; an
 * Argo CD unit to its destination server; any other unit is a cluster of its own (the
 * top-level kustomizations of a repository are usually environments). */
static void find_clusters(rc *c)
{
	size_t n = c->us->n;
	kv_map *at = kv_map_new(), *servers = kv_map_new();
	kv_buf key = KV_BUF_INIT;
	for (size_t k = 0; k < n; k++) {
		const kv_unit *u = &c->us->items[k];
		for (size_t i = 0; i < u->result.n; i++) {
			place_key(&key, u->result.objects[i]);
			bool added;
			uint64_t *v = kv_map_slot(at, key.data, key.len, &added);
			if (added)
				*v = k + 1;
		}
	}
	for (size_t k = 0; k < n; k++) {
		const kv_node *def = c->us->items[k].def;
		if (!def)
			continue;
		place_key(&key, def);
		uint64_t *v = kv_map_find(at, key.data, key.len);
		if (v && *v - 1 != k)
			c->parent[k] = (uint32_t)*v;
	}
	for (size_t k = 0; k < n; k++) {
		const kv_unit *u = &c->us->items[k];
		size_t top = k;
		for (int steps = 0; c->parent[top] && steps < 64; steps++)
			top = c->parent[top] - 1;
		c->cluster[k] = (uint32_t)top;
		const char *server = kv_str(kv_map_get(kv_map_get(kv_map_get(u->def, "spec"), "destination"), "server"));
		if (u->kind == KV_UNIT_ARGO && server) {
			bool added;
			uint64_t *v = kv_map_slot(servers, server, strlen(server), &added);
			if (added)
				*v = n + kv_map_count(servers);
			c->cluster[k] = (uint32_t)*v;
		}
	}
	kv_buf_free(&key);
	kv_map_free(at);
	kv_map_free(servers);
}

static void index_units(rc *c)
{
	size_t n = c->us->n;
	c->unit_by_name = kv_map_new();
	c->parent = kv_xcalloc(n ? n : 1, sizeof *c->parent);
	c->cluster = kv_xcalloc(n ? n : 1, sizeof *c->cluster);
	find_clusters(c);
	kv_buf key = KV_BUF_INIT;
	for (size_t k = 0; k < n; k++) {
		const char *name = c->us->items[k].name;
		cluster_key(&key, c, k, name ? name : "");
		bool added;
		uint64_t *v = kv_map_slot(c->unit_by_name, key.data, key.len, &added);
		if (added)
			*v = k + 1;
	}
	kv_buf_free(&key);
}

void ck_render_checks(ck_render *cr, kv_schemaset *set, const char *const *crd_kinds, size_t ncrd)
{
	if (!ck_render_active(cr))
		return;
	rc c = {.cr = cr, .us = ck_render_units(cr), .set = set};
	index_units(&c);
	for (size_t k = 0; k < c.us->n; k++) {
		const kv_unit *u = &c.us->items[k];
		no_namespace(&c, u);
		unhashed(&c, u);
		dangling(&c, u);
		decryption(&c, u);
	}
	missing_namespaces(&c);
	duplicates(&c);
	cycles(&c);
	missing_crds(&c, crd_kinds, ncrd);
	kv_map_free(c.unit_by_name);
	free(c.parent);
	free(c.cluster);
}
