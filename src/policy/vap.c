/* vap.c: the repository's ValidatingAdmissionPolicies, run as written. Each binding makes one
 * policy: the admission policy's matchConstraints narrowed by the binding's matchResources,
 * its parameters found among the repository's objects, its validationActions turned into a
 * severity (Deny: error, Warn: warning, Audit: info). Expressions compile in Kubernetes'
 * environment (no kvet extensions); a problem is a finding at the offending line. */
#include "internal.h"

#include "kvet/alloc.h"
#include "kvet/k8s.h"
#include "kvet/strutil.h"
#include "kvet/yaml.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	kv_policyset *ps;
	const adm_doc *doc;
	kv_policy_problem *items;
	size_t n, cap;
	bool failed;
} problems;

static void problem(problems *pr, const kv_node *at, kv_rule rule, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void problem(problems *pr, const kv_node *at, kv_rule rule, const char *fmt, ...)
{
	kv_buf b = KV_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kv_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	KV_GROW(pr->items, pr->cap, pr->n + 1);
	pr->items[pr->n++] = (kv_policy_problem){pr->doc->file, at ? at->line : 0, at ? at->col : 0, rule,
						 kv_buf_detach(&b), pr->doc->text, pr->doc->len};
	pr->failed = true;
}

static const char *dup(kv_policyset *ps, const char *s)
{
	return s ? kv_arena_strndup(ps->arena, s, strlen(s)) : NULL;
}

static void record(adm_doc **list, size_t *n, size_t *cap, kv_policyset *ps, const kv_node *obj, uint32_t file,
		   const char *path, const char *text, size_t len)
{
	KV_GROW(*list, *cap, *n + 1);
	bool keep_text = text && len < (1u << 20);
	(*list)[(*n)++] = (adm_doc){kv_node_clone(ps->arena, obj), file, dup(ps, path),
				    keep_text ? kv_arena_strndup(ps->arena, text, len) : NULL, keep_text ? len : 0};
}

void kv_policyset_add_admission(kv_policyset *ps, const kv_node *obj, uint32_t file, const char *path,
				const char *text, size_t len)
{
	const char *kind = kv_str(kv_map_get(obj, "kind"));
	if (kind && strcmp(kind, "ValidatingAdmissionPolicy") == 0)
		record(&ps->vaps, &ps->nvaps, &ps->capvaps, ps, obj, file, path, text, len);
	else if (kind && strcmp(kind, "ValidatingAdmissionPolicyBinding") == 0)
		record(&ps->bindings, &ps->nbindings, &ps->capbindings, ps, obj, file, path, text, len);
}

static void group_kind(char *out, size_t size, const char *group, const char *kind)
{
	snprintf(out, size, "%s/%s", group, kind);
}

void kv_policyset_add_crd(kv_policyset *ps, const kv_node *crd)
{
	const kv_node *spec = kv_map_get(crd, "spec"), *names = kv_map_get(spec, "names");
	const char *group = kv_str(kv_map_get(spec, "group")), *kind = kv_str(kv_map_get(names, "kind"));
	const char *plural = kv_str(kv_map_get(names, "plural"));
	if (!group || !kind || !plural)
		return;
	char key[512];
	group_kind(key, sizeof key, group, kind);
	if (!ps->plurals)
		ps->plurals = kv_map_new();
	bool added;
	uint64_t *slot = kv_map_slot(ps->plurals, key, strlen(key), &added);
	if (!added)
		return;
	KV_GROW(ps->plural_names, ps->capplurals, ps->nplurals + 1);
	ps->plural_names[ps->nplurals++] = dup(ps, plural);
	*slot = ps->nplurals;
}

/* The resource name of a kind: a CRD's plural, else Kubernetes' own guess (lower case, then
 * s, es after s, ies for a final y), which is right for every built-in kind but Endpoints. */
const char *kv_policy_resource_of(const kv_policyset *ps, const char *group, const char *kind, char *buf,
				  size_t size)
{
	char key[512];
	group_kind(key, sizeof key, group, kind);
	uint64_t *slot = ps->plurals ? kv_map_find(ps->plurals, key, strlen(key)) : NULL;
	if (slot)
		return ps->plural_names[*slot - 1];
	if (!*group && strcmp(kind, "Endpoints") == 0)
		return "endpoints";
	size_t n = strlen(kind);
	if (!n || n + 4 >= size)
		return "";
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)kind[i]);
	buf[n] = '\0';
	if (buf[n - 1] == 's')
		strcpy(buf + n, "es");
	else if (buf[n - 1] == 'y')
		strcpy(buf + n - 1, "ies");
	else
		strcpy(buf + n, "s");
	return buf;
}

/* ---- parsing ---- */

static const char **strings(problems *pr, const kv_node *n, size_t *count)
{
	*count = 0;
	if (!n)
		return NULL;
	if (n->type != KV_LIST) {
		problem(pr, n, KV_RULE_ADMISSION_INVALID, "expected a list of strings");
		return NULL;
	}
	const char **out = kv_arena_alloc(pr->ps->arena, sizeof *out * (n->len ? n->len : 1));
	for (uint32_t i = 0; i < n->len; i++) {
		const char *s = kv_str(n->u.items[i]);
		if (s)
			out[(*count)++] = dup(pr->ps, s);
	}
	return out;
}

static bool has_create(const char *const *ops, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ops[i], "*") == 0 || strcmp(ops[i], "CREATE") == 0)
			return true;
	return n == 0;
}

/* resourceRules / excludeResourceRules into p->rules. kvet sees each object as a CREATE:
 * rules for other operations never match. */
static void resource_rules(problems *pr, kv_policy *p, const kv_node *list, bool exclude)
{
	if (!list || list->type != KV_LIST)
		return;
	kind_rule *grown = kv_arena_alloc(pr->ps->arena, sizeof *grown * (p->nrules + list->len + 1));
	if (p->nrules)
		memcpy(grown, p->rules, sizeof *grown * p->nrules);
	p->rules = grown;
	for (uint32_t i = 0; i < list->len; i++) {
		const kv_node *r = list->u.items[i];
		kind_rule *k = &p->rules[p->nrules];
		memset(k, 0, sizeof *k);
		k->exclude = exclude;
		size_t nops;
		const char **ops = strings(pr, kv_map_get(r, "operations"), &nops);
		k->groups = strings(pr, kv_map_get(r, "apiGroups"), &k->ngroups);
		k->versions = strings(pr, kv_map_get(r, "apiVersions"), &k->nversions);
		k->names = strings(pr, kv_map_get(r, "resources"), &k->nnames);
		if (!exclude && !has_create(ops, nops))
			k->nnames = 0; /* never a CREATE: matches nothing here */
		p->nrules++;
	}
}

static void selector_at(problems *pr, selector *s, const kv_node *n, const char *what)
{
	char msg[256];
	const kv_node *at = n;
	if (n && !kv_selector_parse(s, n, pr->ps->arena, msg, sizeof msg, &at))
		problem(pr, at, KV_RULE_ADMISSION_INVALID, "%s: %s", what, msg);
}

static void match_block(problems *pr, kv_policy *p, const kv_node *m)
{
	p->by_resource = true;
	if (!m)
		return;
	resource_rules(pr, p, kv_map_get(m, "resourceRules"), false);
	resource_rules(pr, p, kv_map_get(m, "excludeResourceRules"), true);
	selector_at(pr, &p->ns_labels, kv_map_get(m, "namespaceSelector"), "namespaceSelector");
	selector_at(pr, &p->labels, kv_map_get(m, "objectSelector"), "objectSelector");
}

static kv_cel_prog *compile(problems *pr, const kv_node *x, const char *what)
{
	if (!x || x->type != KV_STRING) {
		problem(pr, x, KV_RULE_ADMISSION_INVALID, "%s must be a string expression", what);
		return NULL;
	}
	kv_cel_prog *prog;
	kv_cel_error e;
	if (kv_cel_compile(&prog, pr->ps->admission_env, x->u.s, x->len, &e) == 0) {
		KV_GROW(pr->ps->progs, pr->ps->capprogs, pr->ps->nprogs + 1);
		pr->ps->progs[pr->ps->nprogs++] = prog;
		return prog;
	}
	uint32_t line = x->line, col = x->col;
	if (pr->doc->text)
		kv_yaml_scalar_pos(pr->doc->text, pr->doc->len, x, e.pos, &line, &col);
	kv_node at = {.line = line, .col = col};
	problem(pr, &at, KV_RULE_ADMISSION_INVALID, "%s does not compile: %s", what, e.msg);
	return NULL;
}

static expr *named_exprs(problems *pr, const kv_node *list, const char *what, size_t *count)
{
	*count = 0;
	if (!list || list->type != KV_LIST)
		return NULL;
	expr *out = kv_arena_alloc(pr->ps->arena, sizeof *out * (list->len ? list->len : 1));
	for (uint32_t i = 0; i < list->len; i++) {
		const kv_node *e = list->u.items[i], *x = kv_map_get(e, "expression");
		expr *d = &out[*count];
		memset(d, 0, sizeof *d);
		d->name = dup(pr->ps, kv_str(kv_map_get(e, "name")));
		if (!d->name) {
			problem(pr, e, KV_RULE_ADMISSION_INVALID, "each of %s needs a name", what);
			continue;
		}
		d->prog = compile(pr, x, what);
		if (!d->prog)
			continue;
		d->text = dup(pr->ps, x->u.s);
		d->line = x->line;
		d->col = x->col;
		(*count)++;
	}
	return out;
}

static void validations(problems *pr, kv_policy *p, const kv_node *list)
{
	if (!list || list->type != KV_LIST || !list->len)
		return;
	p->validations = kv_arena_alloc(pr->ps->arena, sizeof *p->validations * list->len);
	for (uint32_t i = 0; i < list->len; i++) {
		const kv_node *v = list->u.items[i], *x = kv_map_get(v, "expression");
		validation *d = &p->validations[p->nvalidations];
		memset(d, 0, sizeof *d);
		d->check.prog = compile(pr, x, "a validation");
		if (!d->check.prog)
			continue;
		d->check.text = dup(pr->ps, x->u.s);
		d->message = dup(pr->ps, kv_str(kv_map_get(v, "message")));
		d->reason = dup(pr->ps, kv_str(kv_map_get(v, "reason")));
		const kv_node *me = kv_map_get(v, "messageExpression");
		if (me) {
			d->message_expr.prog = compile(pr, me, "a messageExpression");
			d->message_expr.text = d->message_expr.prog ? dup(pr->ps, me->u.s) : NULL;
		}
		p->nvalidations++;
	}
}

static void lazy_of(kv_policyset *ps, kv_policy *p)
{
	p->lazy_names = kv_arena_alloc(ps->arena, sizeof *p->lazy_names * (p->nvariables + 1));
	p->lazy_progs = kv_arena_alloc(ps->arena, sizeof *p->lazy_progs * (p->nvariables + 1));
	for (size_t i = 0; i < p->nvariables; i++) {
		p->lazy_names[i] = p->variables[i].name;
		p->lazy_progs[i] = p->variables[i].prog;
	}
	p->lazy = (kv_cel_lazy){p->nvariables, p->lazy_names, p->lazy_progs};
}

/* The compiled admission policy a binding instantiates; NULL when it does not compile. */
static kv_policy *template_of(problems *pr, const adm_doc *d)
{
	const kv_node *spec = kv_map_get(d->node, "spec");
	const char *name = kv_str(kv_map_get(kv_map_get(d->node, "metadata"), "name"));
	kv_policy *p = kv_arena_alloc(pr->ps->arena, sizeof *p);
	memset(p, 0, sizeof *p);
	if (!name || !spec || spec->type != KV_MAP) {
		problem(pr, d->node, KV_RULE_ADMISSION_INVALID, "a ValidatingAdmissionPolicy needs metadata.name and spec");
		return NULL;
	}
	char id[300];
	snprintf(id, sizeof id, "admission/%s", name);
	p->id = dup(pr->ps, id);
	p->path = d->path;
	p->from = ORIGIN_ADMISSION;
	p->severity = p->default_severity = KV_SEV_ERROR;
	const char *fp = kv_str(kv_map_get(spec, "failurePolicy"));
	p->fail_closed = !fp || strcmp(fp, "Ignore") != 0;
	match_block(pr, p, kv_map_get(spec, "matchConstraints"));
	p->conditions = named_exprs(pr, kv_map_get(spec, "matchConditions"), "matchConditions", &p->nconditions);
	p->variables = named_exprs(pr, kv_map_get(spec, "variables"), "variables", &p->nvariables);
	lazy_of(pr->ps, p);
	validations(pr, p, kv_map_get(spec, "validations"));
	const kv_node *pk = kv_map_get(spec, "paramKind");
	if (pk) {
		char group[256], version[256];
		const char *av = kv_str(kv_map_get(pk, "apiVersion")), *kind = kv_str(kv_map_get(pk, "kind"));
		if (!av || !kind || kv_k8s_split_api_version(av, group, version, sizeof group) < 0) {
			problem(pr, pk, KV_RULE_ADMISSION_INVALID, "paramKind needs apiVersion and kind");
		} else {
			char key[512];
			group_kind(key, sizeof key, group, kind);
			p->param_kind = dup(pr->ps, key);
		}
	}
	if (!p->nvalidations && !pr->failed)
		problem(pr, spec, KV_RULE_ADMISSION_INVALID, "the policy has no validations");
	return p;
}

static kv_severity action_severity(problems *pr, const kv_node *actions, bool *ok)
{
	kv_severity sev = KV_SEV_OFF;
	*ok = false;
	for (uint32_t i = 0; actions && actions->type == KV_LIST && i < actions->len; i++) {
		const kv_node *a = actions->u.items[i];
		kv_severity s = kv_str_eq(a, "Deny") ? KV_SEV_ERROR : kv_str_eq(a, "Warn") ? KV_SEV_WARNING
							      : kv_str_eq(a, "Audit") ? KV_SEV_INFO : KV_SEV_OFF;
		if (s == KV_SEV_OFF)
			problem(pr, a, KV_RULE_ADMISSION_INVALID, "validationActions are Deny, Warn and Audit");
		if (s > sev)
			sev = s;
	}
	*ok = sev != KV_SEV_OFF;
	if (!*ok && !pr->failed)
		problem(pr, actions, KV_RULE_ADMISSION_INVALID, "a binding needs validationActions (Deny, Warn, Audit)");
	return sev;
}

static const adm_doc *find_vap(kv_policyset *ps, const char *name)
{
	for (size_t i = 0; i < ps->nvaps; i++)
		if (kv_str_eq(kv_map_get(kv_map_get(ps->vaps[i].node, "metadata"), "name"), name))
			return &ps->vaps[i];
	return NULL;
}

static void param_ref(problems *pr, kv_policy *inst, const kv_node *ref)
{
	inst->param_name = dup(pr->ps, kv_str(kv_map_get(ref, "name")));
	inst->param_ns = dup(pr->ps, kv_str(kv_map_get(ref, "namespace")));
	selector_at(pr, &inst->param_sel, kv_map_get(ref, "selector"), "paramRef.selector");
	const char *action = kv_str(kv_map_get(ref, "parameterNotFoundAction"));
	inst->param_deny = !action || strcmp(action, "Allow") != 0;
}

static void bind_one(kv_policyset *ps, const adm_doc *b, kv_policy **templates, problems *pr)
{
	pr->doc = b;
	pr->failed = false;
	const kv_node *spec = kv_map_get(b->node, "spec");
	const kv_node *pname = kv_map_get(spec, "policyName");
	if (!kv_str(pname)) {
		problem(pr, spec ? spec : b->node, KV_RULE_ADMISSION_INVALID, "a binding needs spec.policyName");
		return;
	}
	const adm_doc *vap = find_vap(ps, kv_str(pname));
	if (!vap) {
		problem(pr, pname, KV_RULE_ADMISSION_INVALID,
			"no ValidatingAdmissionPolicy named %s in the repository: the binding does nothing", kv_str(pname));
		return;
	}
	size_t vi = (size_t)(vap - ps->vaps);
	if (!templates[vi])
		return; /* the policy itself has problems, already reported */
	bool ok;
	kv_severity sev = action_severity(pr, kv_map_get(spec, "validationActions"), &ok);
	if (!ok)
		return;
	kv_policy *inst = kv_arena_alloc(ps->arena, sizeof *inst);
	*inst = *templates[vi];
	inst->action_sev = sev;
	inst->action_set = true;
	inst->binding = dup(ps, kv_str(kv_map_get(kv_map_get(b->node, "metadata"), "name")));
	const kv_node *mr = kv_map_get(spec, "matchResources");
	if (mr) {
		kv_policy *also = kv_arena_alloc(ps->arena, sizeof *also);
		memset(also, 0, sizeof *also);
		match_block(pr, also, mr);
		also->any_kind = !also->nrules; /* no resourceRules: the policy's constraints decide */
		inst->also = also;
	}
	const kv_node *ref = kv_map_get(spec, "paramRef");
	if (ref)
		param_ref(pr, inst, ref);
	if (inst->param_kind && !ref)
		problem(pr, spec, KV_RULE_ADMISSION_INVALID, "the policy has a paramKind, so the binding needs a paramRef");
	if (!pr->failed)
		kv_policy_add(ps, inst);
}

void kv_policyset_resolve(kv_policyset *ps, kv_policy_problem **out, size_t *n)
{
	problems pr = {.ps = ps};
	kv_policy **templates = kv_xcalloc(ps->nvaps ? ps->nvaps : 1, sizeof *templates);
	for (size_t i = 0; i < ps->nvaps; i++) {
		pr.doc = &ps->vaps[i];
		pr.failed = false;
		kv_policy *t = template_of(&pr, &ps->vaps[i]);
		templates[i] = pr.failed ? NULL : t;
	}
	for (size_t i = 0; i < ps->nbindings; i++)
		bind_one(ps, &ps->bindings[i], templates, &pr);
	free(templates);
	*out = pr.items;
	*n = pr.n;
}

bool kv_policyset_wants_param(const kv_policyset *ps, const char *group, const char *kind)
{
	char key[512];
	group_kind(key, sizeof key, group, kind);
	for (size_t i = 0; i < ps->n; i++)
		if (ps->items[i]->param_kind && strcmp(ps->items[i]->param_kind, key) == 0)
			return true;
	return false;
}

void kv_policyset_add_param(kv_policyset *ps, const kv_node *obj)
{
	KV_GROW(ps->params, ps->capparams, ps->nparams + 1);
	ps->params[ps->nparams++] = kv_node_clone(ps->arena, obj);
}
