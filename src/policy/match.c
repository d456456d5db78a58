/* match.c: which objects a policy applies to: kinds (or every kind with a pod template),
 * namespaces, and Kubernetes label selectors (matchLabels and matchExpressions, with the API
 * server's semantics), evaluated in C before any expression runs. */
#include "internal.h"

#include "kvet/schema.h"

#include <stdio.h>
#include <string.h>

/* Where each workload kind keeps its pod spec. */
static const struct {
	const char *kind;
	const char *path[5];
} pod_paths[] = {
	{"Pod", {"spec"}},
	{"PodTemplate", {"template", "spec"}},
	{"Deployment", {"spec", "template", "spec"}},
	{"ReplicaSet", {"spec", "template", "spec"}},
	{"StatefulSet", {"spec", "template", "spec"}},
	{"DaemonSet", {"spec", "template", "spec"}},
	{"Job", {"spec", "template", "spec"}},
	{"ReplicationController", {"spec", "template", "spec"}},
	{"CronJob", {"spec", "jobTemplate", "spec", "template", "spec"}},
};

const kv_node *kv_policy_pod_spec(const kv_node *obj, const char *kind)
{
	for (size_t i = 0; i < sizeof pod_paths / sizeof pod_paths[0]; i++) {
		if (strcmp(kind, pod_paths[i].kind) != 0)
			continue;
		const kv_node *n = obj;
		for (size_t k = 0; n && k < 5 && pod_paths[i].path[k]; k++)
			n = kv_map_get(n, pod_paths[i].path[k]);
		return n && n->type == KV_MAP ? n : NULL;
	}
	return NULL;
}

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], "*") == 0 || strcmp(list[i], s) == 0)
			return true;
	return false;
}

static bool rule_match(const kind_rule *k, const kv_objtype *t, const char *resource)
{
	if (!in_list(k->groups, k->ngroups, t->group) || (k->nversions && !in_list(k->versions, k->nversions, t->version)))
		return false;
	for (size_t i = 0; i < k->nnames; i++)
		if (strcmp(k->names[i], "*") == 0 || strcmp(k->names[i], "*/*") == 0 || strcmp(k->names[i], resource) == 0)
			return true;
	return false;
}

/* Admission resource rules: included by one rule and excluded by none. */
static bool resources_match(const kv_policyset *ps, const kv_policy *p, const kv_objtype *t)
{
	if (p->any_kind)
		return true;
	char buf[300];
	const char *res = kv_policy_resource_of(ps, t->group, t->kind, buf, sizeof buf);
	bool included = false;
	for (size_t i = 0; i < p->nrules; i++) {
		if (!rule_match(&p->rules[i], t, res))
			continue;
		if (p->rules[i].exclude)
			return false;
		included = true;
	}
	return included;
}

static bool kinds_match(const kv_policy *p, bool has_pod, const kv_objtype *t)
{
	if (p->pod_spec && has_pod)
		return true;
	for (size_t i = 0; i < p->nrules; i++)
		if (in_list(p->rules[i].groups, p->rules[i].ngroups, t->group) &&
		    in_list(p->rules[i].names, p->rules[i].nnames, t->kind))
			return true;
	return false;
}

static const kv_node *labels_of(const kv_node *obj)
{
	return kv_map_get(kv_map_get(obj, "metadata"), "labels");
}

/* ns_name, when set, is the namespace the labels belong to: the API server labels every
 * namespace kubernetes.io/metadata.name=<name>, whether or not the repository defines it. */
static bool selector_matches(const selector *s, const kv_node *labels, const char *ns_name)
{
	for (size_t i = 0; i < s->n; i++) {
		const sel_req *r = &s->reqs[i];
		const kv_node *v = labels && labels->type == KV_MAP ? kv_map_get(labels, r->key) : NULL;
		const char *val = v ? kv_str(v) : NULL;
		if (!v && ns_name && strcmp(r->key, "kubernetes.io/metadata.name") == 0)
			val = ns_name;
		bool in = false;
		for (size_t k = 0; val && k < r->nvalues; k++)
			in = in || strcmp(r->values[k], val) == 0;
		switch (r->op) {
		case SEL_IN: if (!in) return false; break;
		case SEL_NOT_IN: if (in) return false; break; /* absent keys satisfy NotIn */
		case SEL_EXISTS: if (!val) return false; break;
		case SEL_DOES_NOT_EXIST: if (val) return false; break;
		}
	}
	return true;
}

bool kv_selector_matches(const selector *s, const kv_node *labels)
{
	return selector_matches(s, labels, NULL);
}

static bool add_req(selector *s, kv_arena *arena, const char *key, sel_op op, const char **values, size_t n)
{
	sel_req *grown = kv_arena_alloc(arena, sizeof *grown * (s->n + 1));
	if (s->n)
		memcpy(grown, s->reqs, sizeof *grown * s->n);
	grown[s->n++] = (sel_req){key, op, values, n};
	s->reqs = grown;
	return true;
}

static bool parse_expression(selector *s, const kv_node *e, kv_arena *arena, char *err, size_t errsize,
			     const kv_node **at)
{
	static const struct {
		const char *name;
		sel_op op;
	} ops[] = {{"In", SEL_IN}, {"NotIn", SEL_NOT_IN}, {"Exists", SEL_EXISTS}, {"DoesNotExist", SEL_DOES_NOT_EXIST}};
	*at = e;
	const char *key = kv_str(kv_map_get(e, "key")), *opname = kv_str(kv_map_get(e, "operator"));
	if (e->type != KV_MAP || !key || !opname) {
		snprintf(err, errsize, "a matchExpressions entry needs a key and an operator");
		return false;
	}
	size_t k = 0;
	while (k < 4 && strcmp(ops[k].name, opname) != 0)
		k++;
	if (k == 4) {
		*at = kv_map_get(e, "operator");
		snprintf(err, errsize, "the operator must be In, NotIn, Exists or DoesNotExist, not '%s'", opname);
		return false;
	}
	const kv_node *vals = kv_map_get(e, "values");
	size_t n = vals && vals->type == KV_LIST ? vals->len : 0;
	bool needs = ops[k].op == SEL_IN || ops[k].op == SEL_NOT_IN;
	if (needs != (n > 0)) {
		*at = vals ? vals : e;
		snprintf(err, errsize, needs ? "%s needs a non-empty values list" : "%s takes no values", opname);
		return false;
	}
	const char **values = kv_arena_alloc(arena, sizeof *values * (n ? n : 1));
	for (size_t i = 0; i < n; i++) {
		values[i] = kv_str(vals->u.items[i]);
		if (!values[i]) {
			*at = vals->u.items[i];
			snprintf(err, errsize, "selector values are strings");
			return false;
		}
		values[i] = kv_arena_strndup(arena, values[i], strlen(values[i]));
	}
	return add_req(s, arena, kv_arena_strndup(arena, key, strlen(key)), ops[k].op, values, n);
}

bool kv_selector_parse(selector *s, const kv_node *n, kv_arena *arena, char *err, size_t errsize,
		       const kv_node **at)
{
	memset(s, 0, sizeof *s);
	*at = n;
	if (n->type != KV_MAP) {
		snprintf(err, errsize, "a label selector is a map (matchLabels, matchExpressions)");
		return false;
	}
	s->present = true;
	for (uint32_t i = 0; i < n->len; i++) {
		const kv_node *k = n->u.pairs[i].key, *v = n->u.pairs[i].value;
		if (kv_str_eq(k, "matchLabels") && v->type == KV_MAP) {
			for (uint32_t j = 0; j < v->len; j++) {
				const char *val = kv_str(v->u.pairs[j].value);
				if (!val) {
					*at = v->u.pairs[j].value;
					snprintf(err, errsize, "label values are strings");
					return false;
				}
				const char **values = kv_arena_alloc(arena, sizeof *values);
				values[0] = kv_arena_strndup(arena, val, strlen(val));
				add_req(s, arena, kv_arena_strndup(arena, v->u.pairs[j].key->u.s, v->u.pairs[j].key->len),
					SEL_IN, values, 1);
			}
		} else if (kv_str_eq(k, "matchExpressions") && v->type == KV_LIST) {
			for (uint32_t j = 0; j < v->len; j++)
				if (!parse_expression(s, v->u.items[j], arena, err, errsize, at))
					return false;
		} else {
			*at = k;
			snprintf(err, errsize, "unknown key %s (a selector has matchLabels and matchExpressions)", k->u.s);
			return false;
		}
	}
	return true;
}

const kv_node *kv_policyset_namespace(const kv_policyset *ps, const char *name)
{
	if (!name || !ps->namespaces)
		return NULL;
	uint64_t *slot = kv_map_find(ps->namespaces, name, strlen(name));
	return slot ? ps->ns_nodes[*slot - 1] : NULL;
}

/* Namespaced objects that name no namespace land in the one their reconciler gives them:
 * they match no `namespaces` list, and no exclusion removes them. */
static bool namespace_match(const kv_policyset *ps, const kv_policy *p, const kv_node *obj, const kv_objtype *t)
{
	bool cluster = t->scope == KV_SCOPE_CLUSTER || (t->scope == KV_SCOPE_UNKNOWN &&
							 kv_k8s_builtin_scope(t->group, t->kind) == KV_SCOPE_CLUSTER);
	/* A cluster-scoped object has no namespace, whatever it writes (k8s/cluster-scoped-namespace). */
	const char *ns = cluster ? NULL : kv_str(kv_map_get(kv_map_get(obj, "metadata"), "namespace"));
	if (p->nnamespaces && (!ns || !in_list(p->namespaces, p->nnamespaces, ns)))
		return false;
	if (p->nexcluded && ns && in_list(p->excluded, p->nexcluded, ns))
		return false;
	/* namespaceSelector: cluster-scoped objects pass; a namespaced object that names no
	 * namespace cannot be placed, so it does not match. */
	if (p->ns_labels.present && p->ns_labels.n && !cluster) {
		const kv_node *nso = kv_policyset_namespace(ps, ns);
		if (!ns || !selector_matches(&p->ns_labels, nso ? labels_of(nso) : NULL, ns))
			return false;
	}
	return true;
}

bool kv_policy_matches(const kv_policyset *ps, const kv_policy *p, const kv_node *obj, const kv_objtype *t,
		       bool has_pod)
{
	bool kinds = p->by_resource ? resources_match(ps, p, t) : kinds_match(p, has_pod, t);
	return kinds && namespace_match(ps, p, obj, t) &&
	       (!p->labels.present || kv_selector_matches(&p->labels, labels_of(obj))) &&
	       (!p->also || kv_policy_matches(ps, p->also, obj, t, has_pod));
}
