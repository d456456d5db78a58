/* k8s.c: Kubernetes rules beyond the schema, with the facts they need: which name grammar
 * each kind uses, which built-in kinds are cluster-scoped, which workloads select their pods.
 * The grammars are apimachinery's (see format.c). */
#include "kvet/k8s.h"

#include "kvet/buf.h"
#include "kvet/format.h"
#include "kvet/schema.h"
#include "kvet/strutil.h"

#include <stdio.h>
#include <string.h>

#define ANNOTATIONS_MAX (256 * 1024)

typedef const char *(*name_check)(const char *s, size_t n);

static const struct {
	const char *group, *kind;
	name_check check;
	const char *grammar;
} name_rules[] = {
	{"", "Namespace", kv_fmt_dns1123_label, "a DNS-1123 label"},
	{"", "Service", kv_fmt_dns1035_label, "a DNS-1035 label"},
	{"rbac.authorization.k8s.io", "Role", kv_fmt_path_segment, "a path segment"},
	{"rbac.authorization.k8s.io", "ClusterRole", kv_fmt_path_segment, "a path segment"},
	{"rbac.authorization.k8s.io", "RoleBinding", kv_fmt_path_segment, "a path segment"},
	{"rbac.authorization.k8s.io", "ClusterRoleBinding", kv_fmt_path_segment, "a path segment"},
	{"certificates.k8s.io", "CertificateSigningRequest", kv_fmt_path_segment, "a path segment"},
};

static const struct {
	const char *group, *kind;
} cluster_kinds[] = {
	{"", "Namespace"}, {"", "Node"}, {"", "PersistentVolume"}, {"", "ComponentStatus"},
	{"rbac.authorization.k8s.io", "ClusterRole"}, {"rbac.authorization.k8s.io", "ClusterRoleBinding"},
	{"apiextensions.k8s.io", "CustomResourceDefinition"}, {"apiregistration.k8s.io", "APIService"},
	{"storage.k8s.io", "StorageClass"}, {"storage.k8s.io", "CSIDriver"}, {"storage.k8s.io", "CSINode"},
	{"storage.k8s.io", "VolumeAttachment"}, {"storage.k8s.io", "VolumeAttributesClass"},
	{"scheduling.k8s.io", "PriorityClass"}, {"node.k8s.io", "RuntimeClass"},
	{"admissionregistration.k8s.io", "MutatingWebhookConfiguration"},
	{"admissionregistration.k8s.io", "ValidatingWebhookConfiguration"},
	{"admissionregistration.k8s.io", "ValidatingAdmissionPolicy"},
	{"admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"},
	{"admissionregistration.k8s.io", "MutatingAdmissionPolicy"},
	{"admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"},
	{"networking.k8s.io", "IngressClass"}, {"networking.k8s.io", "IPAddress"},
	{"networking.k8s.io", "ServiceCIDR"}, {"certificates.k8s.io", "CertificateSigningRequest"},
	{"certificates.k8s.io", "ClusterTrustBundle"}, {"flowcontrol.apiserver.k8s.io", "FlowSchema"},
	{"flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"},
	{"resource.k8s.io", "DeviceClass"}, {"resource.k8s.io", "ResourceSlice"},
};

/* Workloads whose spec.selector must select spec.template's labels. */
static const struct {
	const char *group, *kind;
	bool plain_map; /* ReplicationController's selector is a map, not a LabelSelector */
} workloads[] = {
	{"apps", "Deployment", false}, {"apps", "ReplicaSet", false},
	{"apps", "StatefulSet", false}, {"apps", "DaemonSet", false},
	{"extensions", "Deployment", false}, {"extensions", "ReplicaSet", false},
	{"extensions", "DaemonSet", false}, {"", "ReplicationController", true},
};

uint32_t kv_k8s_builtin_scope(const char *group, const char *kind)
{
	for (size_t i = 0; i < sizeof cluster_kinds / sizeof cluster_kinds[0]; i++)
		if (strcmp(group, cluster_kinds[i].group) == 0 && strcmp(kind, cluster_kinds[i].kind) == 0)
			return KV_SCOPE_CLUSTER;
	return KV_SCOPE_UNKNOWN;
}

int kv_k8s_split_api_version(const char *av, char *group, char *version, size_t n)
{
	const char *slash = strchr(av, '/');
	size_t gl = slash ? (size_t)(slash - av) : 0;
	const char *v = slash ? slash + 1 : av;
	if (!*v || strchr(v, '/') || (slash && gl == 0) || gl >= n || strlen(v) >= n ||
	    strpbrk(av, " \t\n"))
		return -1;
	memcpy(group, av, gl);
	group[gl] = '\0';
	strcpy(version, v);
	return 0;
}

static void check_crd_name(kv_diags *d, const kv_node *obj, const kv_node *name)
{
	const kv_node *spec = kv_map_get(obj, "spec");
	const char *plural = kv_str(kv_map_get(kv_map_get(spec, "names"), "plural"));
	const char *group = kv_str(kv_map_get(spec, "group"));
	if (!plural || !group)
		return;
	char want[600];
	snprintf(want, sizeof want, "%s.%s", plural, group);
	if (strcmp(name->u.s, want) != 0)
		kv_diag(d, KV_RULE_K8S_NAME, name->line, name->col, "metadata.name", NULL,
			"a CustomResourceDefinition must be named <spec.names.plural>.<spec.group>: \"%s\"",
			want);
}

static void check_name(kv_diags *d, const kv_node *obj, const kv_node *meta, const kv_objtype *t)
{
	const kv_node *name = kv_map_get(meta, "name");
	if (!name || name->type == KV_NULL) {
		const kv_node *at = meta ? meta : obj;
		bool gen = kv_str(kv_map_get(meta, "generateName")) != NULL;
		const kv_node *notes = kv_map_get(meta, "annotations");
		/* Argo CD and Helm create hooks with generateName. */
		if (gen && (kv_map_get(notes, "argocd.argoproj.io/hook") || kv_map_get(notes, "helm.sh/hook")))
			return;
		kv_diag(d, KV_RULE_K8S_NAME, at->line, at->col, "metadata.name",
			gen ? "generateName works with kubectl create, not with apply or a GitOps reconciler" : NULL,
			"the object has no metadata.name");
		return;
	}
	if (name->type != KV_STRING || kv_is_templated(name->u.s, name->len))
		return; /* the schema reports the type; a ${VAR} is known only after substitution */
	if (strcmp(t->group, "apiextensions.k8s.io") == 0 && strcmp(t->kind, "CustomResourceDefinition") == 0) {
		check_crd_name(d, obj, name);
		return;
	}
	name_check check = kv_fmt_dns1123_subdomain;
	const char *grammar = "a DNS-1123 subdomain";
	for (size_t i = 0; i < sizeof name_rules / sizeof name_rules[0]; i++) {
		if (strcmp(t->group, name_rules[i].group) == 0 && strcmp(t->kind, name_rules[i].kind) == 0) {
			check = name_rules[i].check;
			grammar = name_rules[i].grammar;
		}
	}
	const char *err = check(name->u.s, name->len);
	if (err)
		kv_diag(d, KV_RULE_K8S_NAME, name->line, name->col, "metadata.name", NULL,
			"invalid %s name \"%s\": %s %s", t->kind, name->u.s, grammar, err);
	else if (strcmp(t->group, "batch") == 0 && strcmp(t->kind, "CronJob") == 0 && name->len > 52)
		kv_diag(d, KV_RULE_K8S_NAME, name->line, name->col, "metadata.name", NULL,
			"a CronJob name must be no more than 52 characters (it has %u)", name->len);
}

static void check_namespace(kv_diags *d, const kv_node *meta, const kv_objtype *t)
{
	const kv_node *ns = kv_map_get(meta, "namespace");
	if (!ns || ns->type != KV_STRING || kv_is_templated(ns->u.s, ns->len))
		return;
	uint32_t scope = t->scope ? t->scope : kv_k8s_builtin_scope(t->group, t->kind);
	if (scope == KV_SCOPE_CLUSTER) {
		kv_diag(d, KV_RULE_K8S_CLUSTER_NAMESPACE, ns->line, ns->col, "metadata.namespace",
			"remove it", "%s is cluster-scoped but sets namespace \"%s\"", t->kind, ns->u.s);
		return;
	}
	const char *err = kv_fmt_dns1123_label(ns->u.s, ns->len);
	if (err)
		kv_diag(d, KV_RULE_K8S_NAMESPACE, ns->line, ns->col, "metadata.namespace", NULL,
			"invalid namespace \"%s\": a DNS-1123 label %s", ns->u.s, err);
}

/* Keys and values of a label map (labels, matchLabels, a selector map). */
static void check_label_map(kv_diags *d, const kv_node *m, const char *path)
{
	if (!m || m->type != KV_MAP)
		return;
	kv_buf field = KV_BUF_INIT;
	for (uint32_t i = 0; i < m->len; i++) {
		const kv_node *k = m->u.pairs[i].key, *v = m->u.pairs[i].value;
		kv_buf_truncate(&field, 0);
		kv_buf_printf(&field, "%s[%s]", path, k->u.s);
		const char *err = kv_is_templated(k->u.s, k->len) ? NULL : kv_fmt_qualified_name(k->u.s, k->len);
		if (err)
			kv_diag(d, KV_RULE_K8S_LABEL, k->line, k->col, kv_buf_cstr(&field), NULL,
				"invalid label key \"%s\": %s", k->u.s, err);
		if (v->type != KV_STRING || kv_is_templated(v->u.s, v->len))
			continue; /* the schema reports the type; ${VAR} waits for substitution */
		err = kv_fmt_label_value(v->u.s, v->len);
		if (err)
			kv_diag(d, KV_RULE_K8S_LABEL, v->line, v->col, kv_buf_cstr(&field), NULL,
				"invalid label value \"%.*s\": %s", v->len > 80 ? 80 : (int)v->len,
				v->u.s, err);
	}
	kv_buf_free(&field);
}

static void check_annotations(kv_diags *d, const kv_node *meta, const char *path)
{
	const kv_node *a = kv_map_get(meta, "annotations");
	if (!a || a->type != KV_MAP)
		return;
	size_t total = 0;
	for (uint32_t i = 0; i < a->len; i++) {
		const kv_node *k = a->u.pairs[i].key, *v = a->u.pairs[i].value;
		total += k->len + (v->type == KV_STRING ? v->len : 0);
		const char *err = kv_is_templated(k->u.s, k->len) ? NULL : kv_fmt_qualified_name(k->u.s, k->len);
		if (err) {
			char field[300];
			snprintf(field, sizeof field, "%s[%s]", path, k->u.s);
			kv_diag(d, KV_RULE_K8S_ANNOTATION, k->line, k->col, field, NULL,
				"invalid annotation key \"%s\": %s", k->u.s, err);
		}
	}
	if (total > ANNOTATIONS_MAX)
		kv_diag(d, KV_RULE_K8S_ANNOTATION, a->line, a->col, path, NULL,
			"annotations total %zu bytes; the API server allows %d", total, ANNOTATIONS_MAX);
}

static void check_metadata(kv_diags *d, const kv_node *meta, const char *prefix)
{
	char path[128];
	snprintf(path, sizeof path, "%smetadata.labels", prefix);
	check_label_map(d, kv_map_get(meta, "labels"), path);
	snprintf(path, sizeof path, "%smetadata.annotations", prefix);
	check_annotations(d, meta, path);
}

static bool in_values(const kv_node *values, const kv_node *v)
{
	for (uint32_t i = 0; values && values->type == KV_LIST && i < values->len; i++)
		if (v && v->type == KV_STRING && kv_node_equal(values->u.items[i], v))
			return true;
	return false;
}

/* One matchExpressions requirement against the labels; true when it is met. */
static bool requirement_met(const kv_node *req, const kv_node *labels)
{
	const kv_node *key = kv_map_get(req, "key");
	const char *op = kv_str(kv_map_get(req, "operator"));
	if (!key || key->type != KV_STRING || !op)
		return true; /* malformed: the schema reports it */
	const kv_node *v = kv_map_getn(labels, key->u.s, key->len);
	const kv_node *values = kv_map_get(req, "values");
	if (strcmp(op, "In") == 0)
		return in_values(values, v);
	if (strcmp(op, "NotIn") == 0)
		return !v || !in_values(values, v);
	if (strcmp(op, "Exists") == 0)
		return v != NULL;
	if (strcmp(op, "DoesNotExist") == 0)
		return v == NULL;
	return true;
}

static void render_labels(kv_buf *b, const kv_node *labels)
{
	for (uint32_t i = 0; labels && labels->type == KV_MAP && i < labels->len && b->len < 200; i++) {
		const kv_node *v = labels->u.pairs[i].value;
		kv_buf_printf(b, "%s%s=%s", i ? "," : "", labels->u.pairs[i].key->u.s,
			      v->type == KV_STRING ? v->u.s : "?");
	}
	if (!b->len)
		kv_buf_puts(b, "none");
}

static void mismatch(kv_diags *d, const kv_node *at, const char *field, const char *what,
		     const kv_node *labels)
{
	kv_buf have = KV_BUF_INIT;
	render_labels(&have, labels);
	kv_diag(d, KV_RULE_K8S_SELECTOR, at->line, at->col, field,
		"the selector must select the pod template's own labels",
		"selector %s does not match the pod template labels (%s)", what, kv_buf_cstr(&have));
	kv_buf_free(&have);
}

static void check_match_labels(kv_diags *d, const kv_node *ml, const kv_node *labels, const char *base)
{
	char field[300], what[300];
	for (uint32_t i = 0; ml && ml->type == KV_MAP && i < ml->len; i++) {
		const kv_node *k = ml->u.pairs[i].key, *v = ml->u.pairs[i].value;
		const kv_node *have = kv_map_getn(labels, k->u.s, k->len);
		if (have && kv_node_equal(have, v))
			continue;
		snprintf(field, sizeof field, "%s[%s]", base, k->u.s);
		snprintf(what, sizeof what, "%s=%s", k->u.s, v->type == KV_STRING ? v->u.s : "?");
		mismatch(d, k, field, what, labels);
	}
}

static void check_selector(kv_diags *d, const kv_node *obj, bool plain_map)
{
	const kv_node *spec = kv_map_get(obj, "spec");
	const kv_node *sel = kv_map_get(spec, "selector");
	const kv_node *tmpl = kv_map_get(spec, "template");
	if (!sel || sel->type != KV_MAP || !tmpl || tmpl->type != KV_MAP)
		return;
	const kv_node *labels = kv_map_get(kv_map_get(tmpl, "metadata"), "labels");
	if (plain_map) {
		check_match_labels(d, sel, labels, "spec.selector");
		return;
	}
	const kv_node *ml = kv_map_get(sel, "matchLabels"), *me = kv_map_get(sel, "matchExpressions");
	bool empty = (!ml || ml->type != KV_MAP || !ml->len) && (!me || me->type != KV_LIST || !me->len);
	if (empty) {
		kv_diag(d, KV_RULE_K8S_SELECTOR, sel->line, sel->col, "spec.selector",
			"select the pod template's labels with matchLabels",
			"an empty selector is invalid for a workload (it would select every pod)");
		return;
	}
	check_match_labels(d, ml, labels, "spec.selector.matchLabels");
	for (uint32_t i = 0; me && me->type == KV_LIST && i < me->len; i++) {
		if (requirement_met(me->u.items[i], labels))
			continue;
		char field[64];
		snprintf(field, sizeof field, "spec.selector.matchExpressions[%u]", i);
		const kv_node *req = me->u.items[i];
		const char *key = kv_str(kv_map_get(req, "key"));
		const char *op = kv_str(kv_map_get(req, "operator"));
		kv_buf what = KV_BUF_INIT;
		kv_buf_printf(&what, "%s %s", key ? key : "?", op ? op : "?");
		const kv_node *values = kv_map_get(req, "values");
		for (uint32_t k = 0; values && values->type == KV_LIST && k < values->len; k++) {
			const char *val = kv_str(values->u.items[k]);
			kv_buf_printf(&what, "%s%s", k ? ", " : " (", val ? val : "?");
			if (k + 1 == values->len)
				kv_buf_putc(&what, ')');
		}
		mismatch(d, req, field, kv_buf_cstr(&what), labels);
		kv_buf_free(&what);
	}
}

static bool is_workload(const kv_objtype *t, bool *plain_map)
{
	for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++) {
		if (strcmp(t->group, workloads[i].group) == 0 && strcmp(t->kind, workloads[i].kind) == 0) {
			*plain_map = workloads[i].plain_map;
			return true;
		}
	}
	return false;
}

/* Label maps in pod templates and selectors, where the API server checks their syntax. */
static void check_templates(kv_diags *d, const kv_node *obj)
{
	const kv_node *spec = kv_map_get(obj, "spec");
	const kv_node *tmeta = kv_map_get(kv_map_get(spec, "template"), "metadata");
	if (tmeta)
		check_metadata(d, tmeta, "spec.template.");
	const kv_node *jt = kv_map_get(kv_map_get(spec, "jobTemplate"), "spec");
	const kv_node *jmeta = kv_map_get(kv_map_get(jt, "template"), "metadata");
	if (jmeta)
		check_metadata(d, jmeta, "spec.jobTemplate.spec.template.");
	const kv_node *sel = kv_map_get(spec, "selector");
	if (sel && sel->type == KV_MAP)
		check_label_map(d, kv_map_get(sel, "matchLabels"), "spec.selector.matchLabels");
}

void kv_k8s_check(kv_diags *d, const kv_node *obj, const kv_objtype *t)
{
	const kv_node *meta = kv_map_get(obj, "metadata");
	if (meta && meta->type != KV_MAP)
		return; /* the schema reports the type */
	check_name(d, obj, meta, t);
	if (meta) {
		check_namespace(d, meta, t);
		check_metadata(d, meta, "");
	}
	check_templates(d, obj);
	bool plain_map;
	if (is_workload(t, &plain_map))
		check_selector(d, obj, plain_map);
}
