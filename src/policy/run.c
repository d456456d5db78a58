/* run.c: evaluating policies against one object. The object is bound as a view (no copy);
 * request, podSpec and namespaceObject are derived once per object; each policy's
 * matchConditions gate its validations, and a failing validation is reported at the most
 * specific document node it read, with the field path to it. */
#include "internal.h"

#include "kvet/alloc.h"
#include "kvet/strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kv_policy_runner {
	const kv_policyset *ps;
	kv_cel_run *run;
	kv_arena *arena; /* per object: the request map */
	kv_cel_err authz;
	kv_arena *varena; /* the versions override */
	kv_cel_val kvet;
	bool versions;
	uint64_t templated; /* violations not reported: at a ${VAR} value, known only later */
};

kv_policy_runner *kv_policy_runner_new(const kv_policyset *ps)
{
	kv_policy_runner *r = kv_xcalloc(1, sizeof *r);
	r->ps = ps;
	r->run = kv_cel_run_new();
	if (ps->opts.budget)
		kv_cel_run_budget(r->run, ps->opts.budget);
	r->arena = kv_arena_new();
	r->authz = (kv_cel_err){KV_CEL_E_NEEDS_CLUSTER, 0, "authorizer checks need a live cluster"};
	return r;
}

void kv_policy_runner_free(kv_policy_runner *r)
{
	if (!r)
		return;
	kv_cel_run_free(r->run);
	kv_arena_free(r->arena);
	kv_arena_free(r->varena);
	free(r);
}

static kv_cel_val str(const char *s)
{
	return s ? kv_cel_string(s, strlen(s)) : kv_cel_string("", 0);
}

/* A map of n string pairs (key, value, key, value...) in the runner's per-object arena. */
static kv_cel_val strings_map(kv_policy_runner *r, const char *const *kv, size_t n)
{
	kv_cel_val *m = kv_arena_alloc(r->arena, sizeof *m * 2 * n);
	for (size_t i = 0; i < 2 * n; i++)
		m[i] = str(kv[i]);
	return kv_cel_map(m, n);
}

/* request, as an admission webhook sees a CREATE of the object. */
static kv_cel_val request_of(kv_policy_runner *r, const kv_node *obj, const kv_objtype *t)
{
	const kv_node *meta = kv_map_get(obj, "metadata");
	char buf[300];
	const char *res = kv_policy_resource_of(r->ps, t->group, t->kind, buf, sizeof buf);
	const char *kind[] = {"group", t->group, "version", t->version, "kind", t->kind};
	const char *resource[] = {"group", t->group, "version", t->version, "resource", res};
	kv_cel_val *m = kv_arena_alloc(r->arena, sizeof *m * 22);
	size_t n = 0;
	m[n++] = str("operation");
	m[n++] = str("CREATE");
	kv_cel_val kinds = strings_map(r, kind, 3), resources = strings_map(r, resource, 3);
	m[n++] = str("kind");
	m[n++] = kinds;
	m[n++] = str("requestKind");
	m[n++] = kinds;
	m[n++] = str("resource");
	m[n++] = resources;
	m[n++] = str("requestResource");
	m[n++] = resources;
	m[n++] = str("subResource");
	m[n++] = str("");
	m[n++] = str("name");
	m[n++] = str(kv_str(kv_map_get(meta, "name")));
	m[n++] = str("namespace");
	m[n++] = str(kv_str(kv_map_get(meta, "namespace")));
	m[n++] = str("dryRun");
	m[n++] = kv_cel_bool(true);
	m[n++] = str("userInfo");
	m[n++] = kv_cel_map(NULL, 0);
	return kv_cel_map(m, n / 2);
}

static void bind(kv_policy_runner *r, kv_cel_val *vars, const kv_node *obj, const kv_objtype *t)
{
	const kv_policyset *ps = r->ps;
	kv_arena_reset(r->arena);
	vars[V_OBJECT] = kv_cel_from_node(obj);
	vars[V_OLD_OBJECT] = kv_cel_null();
	vars[V_REQUEST] = request_of(r, obj, t);
	vars[V_PARAMS] = kv_cel_null();
	const char *ns = kv_str(kv_map_get(kv_map_get(obj, "metadata"), "namespace"));
	const kv_node *nso = kv_policyset_namespace(ps, ns);
	vars[V_NAMESPACE_OBJECT] = nso ? kv_cel_from_node(nso) : kv_cel_null();
	vars[V_VARIABLES] = kv_cel_map(NULL, 0);
	vars[V_AUTHORIZER] = (kv_cel_val){.type = KV_CEL_T_ERROR, .u.err = &r->authz};
	const kv_node *pod = kv_policy_pod_spec(obj, t->kind);
	vars[V_POD_SPEC] = pod ? kv_cel_from_node(pod) : kv_cel_null();
	vars[V_KVET] = r->versions ? r->kvet : ps->kvet;
}

/* Where to point for node n of obj: a map or list at its key ("resources:"), not at its
 * first entry. */
static const kv_node *place(const kv_node *obj, const kv_node *n)
{
	if (n->type != KV_MAP && n->type != KV_LIST)
		return n;
	const kv_node *key = kv_node_key_of(obj, n);
	return key ? key : n;
}

/* Where a finding about obj goes when nothing more specific is known: metadata.name, else
 * the first key. */
static const kv_node *default_at(const kv_node *obj)
{
	const kv_node *name = kv_map_get(kv_map_get(obj, "metadata"), "name");
	if (name)
		return name;
	return obj->type == KV_MAP && obj->len ? obj->u.pairs[0].key : obj;
}

static kv_cel_val eval(kv_policy_runner *r, const kv_cel_prog *p, const kv_cel_val *vars)
{
	return kv_cel_eval(r->run, p, vars, V_COUNT);
}

/* An evaluation error as a finding: "needs a cluster" is info; anything else a warning
 * about the policy, at the node the evaluation had reached. */
static void report_error(kv_policy_runner *r, const kv_policy *p, const char *what, const kv_cel_val *v,
			 const kv_node *obj, kv_diags *d)
{
	(void)r;
	const kv_node *at = v->src ? v->src : default_at(obj);
	kv_buf path = KV_BUF_INIT;
	if (!kv_node_path(obj, at, &path))
		at = default_at(obj);
	at = place(obj, at);
	if (p->from == ORIGIN_ADMISSION && p->fail_closed && v->u.err->code != KV_CEL_E_NEEDS_CLUSTER)
		/* failurePolicy: Fail: the API server rejects what it cannot evaluate. */
		kv_diag_as(d, KV_RULE_POLICY, p->id, p->action_sev, at->line, at->col, kv_buf_cstr(&path), NULL,
			   "%s could not be evaluated, so the API server rejects the object (failurePolicy: Fail): %s",
			   what, v->u.err->msg);
	else if (v->u.err->code == KV_CEL_E_NEEDS_CLUSTER)
		kv_diag(d, KV_RULE_POLICY_CLUSTER, at->line, at->col, kv_buf_cstr(&path), NULL,
			"policy %s: %s not evaluated: %s", p->id, what, v->u.err->msg);
	else
		kv_diag(d, KV_RULE_POLICY_ERROR, at->line, at->col, kv_buf_cstr(&path),
			"the policy does not expect an object shaped like this one; fix the policy, or exempt the object",
			"policy %s: %s could not be evaluated: %s", p->id, what, v->u.err->msg);
	kv_buf_free(&path);
}

#define MAX_ITEMS 64

/* A failing validation: one finding per offending item when it is an all() over items (so
 * each can be fixed, or exempted, on its own line), else one at the node it read. */
static size_t violation(kv_policy_runner *r, const kv_policy *p, const validation *v, const kv_node *at,
			const kv_cel_val *vars, const kv_node *obj, kv_diags *d)
{
	kv_buf msg = KV_BUF_INIT, path = KV_BUF_INIT;
	if (v->message_expr.prog) {
		kv_cel_val m = eval(r, v->message_expr.prog, vars);
		if (m.type == KV_CEL_T_STRING && m.len)
			kv_buf_add(&msg, m.u.s, m.len);
	}
	if (!msg.len && v->message)
		kv_buf_puts(&msg, v->message);
	if (!msg.len)
		kv_buf_printf(&msg, "failed expression: %s", v->check.text);
	if (v->reason)
		kv_buf_printf(&msg, " (reason: %s)", v->reason);
	if (p->binding)
		kv_buf_printf(&msg, " [binding %s]", p->binding);
	kv_severity sev = p->action_set ? p->action_sev : p->severity;
	if (sev == KV_SEV_OFF)
		sev = KV_SEV_ERROR; /* only kv_policy_check_one runs a policy that is off */
	const kv_node *items[MAX_ITEMS];
	size_t n = kv_cel_failing_elements(r->run, v->check.prog, vars, V_COUNT, items, MAX_ITEMS);
	if (!n) {
		items[0] = at;
		n = 1;
	}
	size_t reported = 0;
	for (size_t i = 0; i < n; i++) {
		kv_buf_truncate(&path, 0);
		/* A node of another document (params, a namespace) is no place for the finding. */
		if (!kv_node_path(obj, items[i], &path))
			items[i] = default_at(obj);
		/* A value with ${VAR} substitutions is only known after substitution (as in schema
		 * validation): counted, not reported. */
		if (items[i]->type == KV_STRING && kv_is_templated(items[i]->u.s, items[i]->len)) {
			r->templated++;
			continue;
		}
		reported++;
		const kv_node *pt = place(obj, items[i]);
		kv_diag_as(d, KV_RULE_POLICY, p->id, sev, pt->line, pt->col, kv_buf_cstr(&path),
			   p->remediation, "%s", kv_buf_cstr(&msg));
	}
	kv_buf_free(&msg);
	kv_buf_free(&path);
	return reported;
}

/* Evaluates one policy with the parameters in vars; returns its violations. *applied is
 * false when a matchCondition turned it away. */
static size_t evaluate(kv_policy_runner *r, const kv_policy *p, kv_cel_val *vars, const kv_node *obj,
		       kv_diags *d, bool *applied)
{
	vars[V_VARIABLES] = kv_cel_lazy_map(&p->lazy);
	kv_cel_run_reset(r->run);
	for (size_t i = 0; i < p->nconditions; i++) {
		kv_cel_val c = eval(r, p->conditions[i].prog, vars);
		if (c.type == KV_CEL_T_BOOL && !c.u.b) {
			*applied = false;
			return 0;
		}
		if (c.type != KV_CEL_T_BOOL) {
			char what[160];
			snprintf(what, sizeof what, "matchCondition %s", p->conditions[i].name);
			if (c.type == KV_CEL_T_ERROR)
				report_error(r, p, what, &c, obj, d);
			return 0;
		}
	}
	size_t violations = 0;
	for (size_t i = 0; i < p->nvalidations; i++) {
		const validation *v = &p->validations[i];
		kv_cel_val res = eval(r, v->check.prog, vars);
		char what[64];
		snprintf(what, sizeof what, "validation %zu", i + 1);
		if (res.type == KV_CEL_T_ERROR) {
			report_error(r, p, what, &res, obj, d);
		} else if (res.type != KV_CEL_T_BOOL) {
			kv_cel_val e = {.type = KV_CEL_T_ERROR, .src = res.src};
			kv_cel_err err = {KV_CEL_E_NO_OVERLOAD, 0, "the expression must be a bool"};
			e.u.err = &err;
			report_error(r, p, what, &e, obj, d);
		} else if (!res.u.b) {
			violations += violation(r, p, v, res.src ? res.src : default_at(obj), vars, obj, d);
		}
	}
	return violations;
}

/* Does param (an object of the policy's paramKind) serve this binding for obj? */
static bool param_fits(const kv_policy *p, const kv_node *param, const kv_node *obj)
{
	const kv_node *meta = kv_map_get(param, "metadata");
	const char *name = kv_str(kv_map_get(meta, "name")), *ns = kv_str(kv_map_get(meta, "namespace"));
	if (p->param_name && (!name || strcmp(name, p->param_name) != 0))
		return false;
	const char *want_ns = p->param_ns ? p->param_ns : kv_str(kv_map_get(kv_map_get(obj, "metadata"), "namespace"));
	if (ns && (!want_ns || strcmp(ns, want_ns) != 0))
		return false;
	return !p->param_sel.present || kv_selector_matches(&p->param_sel, kv_map_get(meta, "labels"));
}

static bool param_kind_is(const kv_policy *p, const kv_node *param)
{
	char group[256], version[256];
	const char *av = kv_str(kv_map_get(param, "apiVersion")), *kind = kv_str(kv_map_get(param, "kind"));
	if (!av || !kind || kv_k8s_split_api_version(av, group, version, sizeof group) < 0)
		return false;
	const char *slash = strchr(p->param_kind, '/');
	return (size_t)(slash - p->param_kind) == strlen(group) && strncmp(p->param_kind, group, strlen(group)) == 0 &&
	       strcmp(slash + 1, kind) == 0;
}

/* Evaluates a policy once, or once per parameter object of an admission binding: the API
 * server denies when any of them denies. */
static size_t check_policy(kv_policy_runner *r, const kv_policy *p, kv_cel_val *vars, const kv_node *obj,
			   kv_diags *d, bool *applied)
{
	*applied = true;
	if (!p->param_kind) {
		vars[V_PARAMS] = p->params ? kv_cel_from_node(p->params) : kv_cel_null();
		return evaluate(r, p, vars, obj, d, applied);
	}
	size_t violations = 0, found = 0;
	for (size_t i = 0; i < r->ps->nparams; i++) {
		const kv_node *param = r->ps->params[i];
		if (!param_kind_is(p, param) || !param_fits(p, param, obj))
			continue;
		found++;
		vars[V_PARAMS] = kv_cel_from_node(param);
		violations += evaluate(r, p, vars, obj, d, applied);
	}
	if (!found && p->param_deny) {
		const kv_node *at = default_at(obj);
		kv_diag(d, KV_RULE_ADMISSION_PARAMS, at->line, at->col, NULL,
			"define the parameter object in the repository, or set parameterNotFoundAction: Allow",
			"%s [binding %s]: no parameter object %s%s%s in the repository; the API server "
			"denies objects this binding matches (parameterNotFoundAction: Deny)",
			p->id, p->binding ? p->binding : "?", p->param_kind, p->param_name ? " " : "",
			p->param_name ? p->param_name : "");
	}
	return violations;
}

size_t kv_policy_check(kv_policy_runner *r, const kv_node *obj, const kv_objtype *t, kv_diags *d)
{
	const kv_policyset *ps = r->ps;
	kv_cel_val vars[V_COUNT];
	bool bound = false, has_pod = kv_policy_pod_spec(obj, t->kind) != NULL;
	size_t violations = 0;
	for (size_t i = 0; i < ps->n; i++) {
		const kv_policy *p = ps->items[i];
		kv_severity sev = p->action_set ? p->action_sev : p->severity;
		if (sev == KV_SEV_OFF || !kv_policy_matches(ps, p, obj, t, has_pod))
			continue;
		if (!bound) {
			bind(r, vars, obj, t);
			bound = true;
		}
		bool applied;
		violations += check_policy(r, p, vars, obj, d, &applied);
	}
	return violations;
}

size_t kv_policy_check_one(kv_policy_runner *r, const kv_policy *p, const kv_node *obj,
			   const kv_objtype *t, kv_diags *d, bool *matched)
{
	*matched = kv_policy_matches(r->ps, p, obj, t, kv_policy_pod_spec(obj, t->kind) != NULL);
	if (!*matched)
		return 0;
	kv_cel_val vars[V_COUNT];
	bind(r, vars, obj, t);
	size_t n = check_policy(r, p, vars, obj, d, matched);
	return n;
}

void kv_policy_runner_versions(kv_policy_runner *r, const char *kubernetes_version,
			       const char *pod_security_version)
{
	if (!kubernetes_version && !pod_security_version) {
		r->versions = false;
		return;
	}
	if (!r->varena)
		r->varena = kv_arena_new();
	kv_arena_reset(r->varena);
	int k8s, pss;
	kv_policy_minors(kubernetes_version, pod_security_version, &k8s, &pss);
	if (!kubernetes_version)
		k8s = r->ps->k8s_minor;
	if (!pod_security_version)
		pss = r->ps->pss_minor;
	r->kvet = kv_policy_kvet_var(r->varena, k8s, pss);
	r->versions = true;
}

uint64_t kv_policy_runner_templated(const kv_policy_runner *r)
{
	return r->templated;
}
