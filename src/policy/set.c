/* set.c: policy sets: the environments expressions compile in, loading policy files and the
 * built-in pack, lookups, severities by id pattern, and the descriptions `kvet policy list`
 * and `kvet policy explain` print. */
#include "internal.h"

#include "kvet/alloc.h"
#include "kvet/strutil.h"
#include "kvet/yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The built-in pack, generated from policies/ at build time (see Makefile). */
typedef struct {
	const char *path;
	const char *text;
	size_t len;
} kv_pack_file;

extern const kv_pack_file kv_pack_files[];
extern const size_t kv_pack_count;

static const char *const var_names[V_COUNT] = {
	"object", "oldObject", "request", "params", "namespaceObject", "variables", "authorizer",
	"podSpec", "kvet",
};

/* "v1.35.0", "1.35" -> 35; -1 when it is not a 1.x version. */
int kv_policy_minor_of(const char *v)
{
	if (!v)
		return -1;
	if (*v == 'v')
		v++;
	int major, minor;
	if (sscanf(v, "%d.%d", &major, &minor) != 2 || major != 1 || minor < 0)
		return -1;
	return minor;
}

/* kvet: {kubernetesVersion: "1.35", kubernetesMinor: 35, podSecurityMinor: 35}, in arena. */
kv_cel_val kv_policy_kvet_var(kv_arena *arena, int k8s_minor, int pss_minor)
{
	kv_cel_val *m = kv_arena_alloc(arena, sizeof *m * 6);
	char *v = kv_arena_alloc(arena, 16);
	snprintf(v, 16, "1.%d", k8s_minor);
	m[0] = kv_cel_string("kubernetesVersion", 17);
	m[1] = kv_cel_string(v, strlen(v));
	m[2] = kv_cel_string("kubernetesMinor", 15);
	m[3] = kv_cel_int(k8s_minor);
	m[4] = kv_cel_string("podSecurityMinor", 16);
	m[5] = kv_cel_int(pss_minor);
	return kv_cel_map(m, 3);
}

/* The minors for a kubernetesVersion and a podSecurityVersion: defaults for unset ones. */
void kv_policy_minors(const char *k8s, const char *pss, int *k8s_minor, int *pss_minor)
{
	*k8s_minor = kv_policy_minor_of(k8s);
	if (*k8s_minor < 0)
		*k8s_minor = KV_POLICY_LATEST_MINOR;
	*pss_minor = !pss || strcmp(pss, "latest") == 0 ? 1000 : kv_policy_minor_of(pss);
	if (*pss_minor < 0)
		*pss_minor = 1000;
}

kv_policyset *kv_policyset_new(const kv_policy_opts *o)
{
	kv_policyset *ps = kv_xcalloc(1, sizeof *ps);
	ps->opts = *o;
	ps->arena = kv_arena_new();
	ps->ids = kv_map_new();
	ps->env = kv_cel_env_new(KV_CEL_LIB_ALL);
	ps->admission_env = kv_cel_env_new(KV_CEL_LIB_STRINGS | KV_CEL_LIB_KUBERNETES);
	for (int i = 0; i < V_COUNT; i++)
		kv_cel_env_var(ps->env, var_names[i]);
	for (int i = 0; i < V_ADMISSION_COUNT; i++)
		kv_cel_env_var(ps->admission_env, var_names[i]);
	kv_policy_minors(o->kubernetes_version, o->pod_security_version, &ps->k8s_minor, &ps->pss_minor);
	ps->kvet = kv_policy_kvet_var(ps->arena, ps->k8s_minor, ps->pss_minor);
	return ps;
}

void kv_policyset_free(kv_policyset *ps)
{
	if (!ps)
		return;
	for (size_t i = 0; i < ps->nprogs; i++)
		kv_cel_prog_free(ps->progs[i]);
	free(ps->progs);
	free(ps->items);
	free(ps->ns_nodes);
	free(ps->vaps);
	free(ps->bindings);
	free(ps->params);
	free(ps->plural_names);
	kv_map_free(ps->plurals);
	kv_map_free(ps->ids);
	kv_map_free(ps->namespaces);
	kv_cel_env_free(ps->env);
	kv_cel_env_free(ps->admission_env);
	kv_arena_free(ps->arena);
	free(ps);
}

static int load_text(kv_policyset *ps, const char *path, const char *text, size_t len, bool builtin,
		     kv_buf *err)
{
	kv_diags diags;
	kv_diags_init(&diags, NULL, 0);
	kv_limits lim;
	kv_limits_default(&lim);
	kv_loader *l = kv_loader_new(text, len, kv_syntax_for_path(path), &lim, &diags);
	kv_arena *a = kv_arena_new();
	kv_doc doc;
	int rc = 0, docs = 0;
	while (kv_loader_next(l, a, &doc) == 1) {
		if (!doc.root)
			continue;
		const char *kind = kv_str(kv_map_get(doc.root, "kind"));
		const char *av = kv_str(kv_map_get(doc.root, "apiVersion"));
		if (kind && strcmp(kind, "PolicyTest") == 0)
			continue;
		docs++;
		if (!kind || !av || strcmp(kind, "Policy") != 0 || strcmp(av, "kvet.dev/v1alpha1") != 0) {
			kv_buf_printf(err, "%s:%u:1: not a kvet policy: a policy file holds documents with "
					   "apiVersion kvet.dev/v1alpha1 and kind Policy (or PolicyTest)\n", path, doc.line);
			rc = -1;
			continue;
		}
		if (kv_policy_load_doc(ps, doc.root, path, text, len, builtin, err) != 0)
			rc = -1;
	}
	kv_loader_free(l);
	kv_finding *f;
	size_t n;
	kv_diags_take(&diags, &f, &n);
	for (size_t i = 0; i < n; i++) {
		kv_buf_printf(err, "%s:%u:%u: %s\n", path, f[i].line, f[i].col, f[i].message);
		kv_finding_free(&f[i]);
		rc = -1;
	}
	free(f);
	kv_diags_free(&diags);
	kv_arena_free(a);
	(void)docs;
	return rc;
}

int kv_policyset_add_file(kv_policyset *ps, const char *path, const char *text, size_t len, kv_buf *err)
{
	/* Policies keep pointers into their own arena only: the text may go after this call. */
	return load_text(ps, path, text, len, false, err);
}

int kv_policyset_add_builtin(kv_policyset *ps, kv_buf *err)
{
	int rc = 0;
	for (size_t i = 0; i < kv_pack_count; i++)
		if (load_text(ps, kv_pack_files[i].path, kv_pack_files[i].text, kv_pack_files[i].len, true, err) != 0)
			rc = -1;
	return rc;
}

void kv_policyset_add_namespace(kv_policyset *ps, const kv_node *ns)
{
	const char *name = kv_str(kv_map_get(kv_map_get(ns, "metadata"), "name"));
	if (!name)
		return;
	if (!ps->namespaces)
		ps->namespaces = kv_map_new();
	bool added;
	uint64_t *slot = kv_map_slot(ps->namespaces, name, strlen(name), &added);
	if (!added)
		return; /* the first definition wins; the duplicate is reported elsewhere */
	KV_GROW(ps->ns_nodes, ps->capns, ps->nns + 1);
	ps->ns_nodes[ps->nns++] = kv_node_clone(ps->arena, ns);
	*slot = ps->nns;
}

size_t kv_policyset_count(const kv_policyset *ps)
{
	return ps->n;
}

const kv_policy *kv_policyset_at(const kv_policyset *ps, size_t i)
{
	return ps->items[i];
}

const kv_policy *kv_policyset_find(const kv_policyset *ps, const char *id)
{
	uint64_t *slot = kv_map_find(ps->ids, id, strlen(id));
	return slot ? ps->items[*slot - 1] : NULL;
}

/* Globs over ids: * matches any run of characters, '/' included. */
static bool id_match(const char *pat, const char *s)
{
	if (!*pat)
		return !*s;
	if (*pat == '*') {
		for (;; s++) {
			if (id_match(pat + 1, s))
				return true;
			if (!*s)
				return false;
		}
	}
	return *s && *pat == *s && id_match(pat + 1, s + 1);
}

size_t kv_policyset_set_severity(kv_policyset *ps, const char *pattern, kv_severity sev)
{
	size_t n = 0;
	for (size_t i = 0; i < ps->n; i++) {
		if (id_match(pattern, ps->items[i]->id)) {
			ps->items[i]->severity = sev;
			n++;
		}
	}
	return n;
}

bool kv_policy_takes_params(const kv_policy *p)
{
	return p->param_kind != NULL;
}

void kv_policy_describe(const kv_policy *p, kv_policy_info *out)
{
	*out = (kv_policy_info){p->id, p->description, p->remediation, p->path, p->severity, p->builtin};
}

static void list_line(kv_buf *out, const char *label, const char *const *items, size_t n)
{
	if (!n)
		return;
	kv_buf_printf(out, "  %s: ", label);
	for (size_t i = 0; i < n; i++)
		kv_buf_printf(out, "%s%s", i ? ", " : "", *items[i] ? items[i] : "\"\" (core)");
	kv_buf_putc(out, '\n');
}

/* An expression, its later lines indented to stand under the first. */
static void indented(kv_buf *out, const char *text, int indent)
{
	for (const char *t = text; *t; t++) {
		kv_buf_putc(out, *t);
		if (*t == '\n' && t[1])
			kv_buf_printf(out, "%*s", indent, "");
	}
	if (!*text || text[strlen(text) - 1] != '\n')
		kv_buf_putc(out, '\n');
}

void kv_policy_explain(const kv_policy *p, kv_buf *out)
{
	kv_buf_printf(out, "%s (%s, %s)\n", p->id, kv_severity_name(p->severity), p->builtin ? "built in" : p->path);
	if (p->severity != p->default_severity)
		kv_buf_printf(out, "  default severity: %s\n", kv_severity_name(p->default_severity));
	if (p->description)
		kv_buf_printf(out, "\n%s\n", p->description);
	if (p->remediation)
		kv_buf_printf(out, "\nremediation: %s\n", p->remediation);
	kv_buf_puts(out, "\napplies to:\n");
	if (p->pod_spec)
		kv_buf_puts(out, "  every kind with a pod template (Pod, Deployment, StatefulSet, DaemonSet, "
				 "ReplicaSet, Job, CronJob, ReplicationController, PodTemplate)\n");
	for (size_t i = 0; i < p->nrules; i++) {
		list_line(out, "apiGroups", p->rules[i].groups, p->rules[i].ngroups);
		list_line(out, "kinds", p->rules[i].names, p->rules[i].nnames);
	}
	list_line(out, "namespaces", p->namespaces, p->nnamespaces);
	list_line(out, "excluded namespaces", p->excluded, p->nexcluded);
	if (p->labels.present)
		kv_buf_printf(out, "  objects whose labels match %zu selector requirement%s\n", p->labels.n,
			      p->labels.n == 1 ? "" : "s");
	for (size_t i = 0; i < p->nconditions; i++) {
		kv_buf_printf(out, "  when %s: ", p->conditions[i].name);
		indented(out, p->conditions[i].text, 4);
	}
	if (p->params) {
		kv_cel_val params = kv_cel_from_node(p->params);
		kv_buf_puts(out, "\nparams: ");
		kv_cel_val_json(out, &params);
		kv_buf_putc(out, '\n');
	}
	if (p->nvariables)
		kv_buf_puts(out, "\nvariables:\n");
	for (size_t i = 0; i < p->nvariables; i++) {
		kv_buf_printf(out, "  %s = ", p->variables[i].name);
		indented(out, p->variables[i].text, 4);
	}
	kv_buf_puts(out, "\nvalidations:\n");
	for (size_t i = 0; i < p->nvalidations; i++) {
		kv_buf_printf(out, "  %zu. ", i + 1);
		indented(out, p->validations[i].check.text, 5);
		if (p->validations[i].message)
			kv_buf_printf(out, "     message: %s\n", p->validations[i].message);
		if (p->validations[i].message_expr.text) {
			kv_buf_puts(out, "     messageExpression: ");
			indented(out, p->validations[i].message_expr.text, 7);
		}
	}
}
