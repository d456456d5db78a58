/* config.c: .kvet.yaml parsing. A table maps each key to its handler; nothing unknown passes. */
#include "kvet/config.h"

#include "kvet/alloc.h"
#include "kvet/strutil.h"
#include "kvet/validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	kv_config *c;
	const char *path;
	kv_buf *err;
	int errors;
} parser;

static void problem(parser *p, const kv_node *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(parser *p, const kv_node *at, const char *fmt, ...)
{
	if (p->err->len)
		kv_buf_putc(p->err, '\n');
	kv_buf_printf(p->err, "%s:%u:%u: ", p->path, at->line, at->col);
	va_list ap;
	va_start(ap, fmt);
	kv_buf_vprintf(p->err, fmt, ap);
	va_end(ap);
	p->errors++;
}

void kv_config_init(kv_config *c)
{
	memset(c, 0, sizeof *c);
	kv_rule_config_defaults(&c->rules);
	c->fail_on = KV_SEV_ERROR;
	c->strict = -1;
	c->builtin_policies = -1;
	kv_limits_default(&c->limits);
	c->validation_steps = KV_VALIDATE_STEPS_DEFAULT;
	c->regex_steps = KV_REGEX_LIMIT_DEFAULT;
}

static void free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void kv_config_free(kv_config *c)
{
	free(c->path);
	free(c->kubernetes_version);
	free(c->schema_url);
	free_list(c->schemas, c->nschemas);
	free_list(c->exclude, c->nexclude);
	free_list(c->policies, c->npolicies);
	free(c->pod_security_version);
	for (size_t i = 0; i < c->npolicy_rules; i++)
		free(c->policy_rules[i].pattern);
	free(c->policy_rules);
	for (size_t i = 0; i < c->nexemptions; i++) {
		kv_exemption *e = &c->exemptions[i];
		free(e->rule);
		free(e->path);
		free(e->kind);
		free(e->ns);
		free(e->name);
		free(e->reason);
		free_list(e->labels, e->nlabels);
	}
	free(c->exemptions);
	memset(c, 0, sizeof *c);
}

static bool want_string(parser *p, const kv_node *v, const char *key)
{
	if (v->type == KV_STRING)
		return true;
	problem(p, v, "%s must be a string, not %s", key, kv_type_phrase((kv_type)v->type));
	return false;
}

static void set_string(parser *p, const kv_node *v, const char *key, char **out)
{
	if (want_string(p, v, key)) {
		free(*out);
		*out = kv_xstrndup(v->u.s, v->len);
	}
}

static void string_list(parser *p, const kv_node *v, const char *key, char ***out, size_t *n)
{
	if (v->type != KV_LIST) {
		problem(p, v, "%s must be a list of strings", key);
		return;
	}
	free_list(*out, *n);
	*n = 0;
	*out = kv_xcalloc(v->len ? v->len : 1, sizeof **out);
	for (uint32_t i = 0; i < v->len; i++)
		if (want_string(p, v->u.items[i], key))
			(*out)[(*n)++] = kv_xstrndup(v->u.items[i]->u.s, v->u.items[i]->len);
}

static void on_version(parser *p, const kv_node *v)
{
	if (v->type == KV_DOUBLE || v->type == KV_INT) {
		problem(p, v, "kubernetesVersion must be quoted (\"1.35.0\"): unquoted, YAML reads a number");
		return;
	}
	set_string(p, v, "kubernetesVersion", &p->c->kubernetes_version);
}

static void on_schemas(parser *p, const kv_node *v)
{
	string_list(p, v, "schemas", &p->c->schemas, &p->c->nschemas);
}

static void on_exclude(parser *p, const kv_node *v)
{
	string_list(p, v, "exclude", &p->c->exclude, &p->c->nexclude);
}

static void on_schema_url(parser *p, const kv_node *v)
{
	set_string(p, v, "schemaURL", &p->c->schema_url);
}

static bool severity_of(parser *p, const kv_node *v, kv_severity *out)
{
	if (v->type == KV_BOOL && !v->u.b) {
		*out = KV_SEV_OFF; /* `off` unquoted is YAML 1.1 for false */
		return true;
	}
	if (v->type == KV_STRING && kv_severity_parse(out, v->u.s) == 0)
		return true;
	problem(p, v, "a severity is one of error, warning, info, off");
	return false;
}

static void on_rules(parser *p, const kv_node *v)
{
	if (v->type != KV_MAP) {
		problem(p, v, "rules must map rule ids to severities (error, warning, info, off)");
		return;
	}
	for (uint32_t i = 0; i < v->len; i++) {
		const kv_node *k = v->u.pairs[i].key;
		kv_rule rule;
		kv_severity sev;
		if (!severity_of(p, v->u.pairs[i].value, &sev))
			continue;
		if (kv_rule_lookup(&rule, k->u.s) == 0) {
			p->c->rules.sev[rule] = (uint8_t)sev;
			continue;
		}
		/* A policy id, checked against the loaded policies later. */
		kv_config *c = p->c;
		KV_GROW(c->policy_rules, c->cap_policy_rules, c->npolicy_rules + 1);
		c->policy_rules[c->npolicy_rules++] = (kv_policy_rule){kv_xstrdup(k->u.s), sev, k->line, k->col};
	}
}

static void on_fail_on(parser *p, const kv_node *v)
{
	kv_severity sev;
	if (want_string(p, v, "failOn") && (kv_severity_parse(&sev, v->u.s) < 0 || sev == KV_SEV_OFF)) {
		problem(p, v, "failOn is one of error, warning, info");
		return;
	}
	if (v->type == KV_STRING) {
		p->c->fail_on = sev;
		p->c->has_fail_on = true;
	}
}

static void on_strict(parser *p, const kv_node *v)
{
	if (v->type != KV_BOOL)
		problem(p, v, "strict must be true or false");
	else
		p->c->strict = v->u.b;
}

static bool positive(parser *p, const kv_node *v, const char *key, uint64_t *out)
{
	if (v->type == KV_INT && v->u.i > 0) {
		*out = (uint64_t)v->u.i;
		return true;
	}
	if (v->type == KV_STRING && kv_parse_size(out, v->u.s) == 0 && *out > 0)
		return true;
	problem(p, v, "limits.%s must be a positive number", key);
	return false;
}

static void on_limits(parser *p, const kv_node *v)
{
	if (v->type != KV_MAP) {
		problem(p, v, "limits must be a map");
		return;
	}
	kv_config *c = p->c;
	for (uint32_t i = 0; i < v->len; i++) {
		const kv_node *k = v->u.pairs[i].key, *val = v->u.pairs[i].value;
		uint64_t n;
		if (kv_str_eq(k, "fileSize")) {
			if (positive(p, val, "fileSize", &n))
				c->limits.file_size = n;
		} else if (kv_str_eq(k, "depth")) {
			/* Validation recurses along the data: the cap keeps it within any stack. */
			if (positive(p, val, "depth", &n) && n > KV_LIMIT_DEPTH_MAX)
				problem(p, val, "limits.depth can be at most %u", KV_LIMIT_DEPTH_MAX);
			else if (n <= KV_LIMIT_DEPTH_MAX)
				c->limits.depth = (uint32_t)n;
		} else if (kv_str_eq(k, "aliasNodes")) {
			if (positive(p, val, "aliasNodes", &n))
				c->limits.alias_nodes = n;
		} else if (kv_str_eq(k, "documents")) {
			if (positive(p, val, "documents", &n))
				c->limits.documents = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
		} else if (kv_str_eq(k, "validationSteps")) {
			if (positive(p, val, "validationSteps", &n))
				c->validation_steps = n;
		} else if (kv_str_eq(k, "regexSteps")) {
			if (positive(p, val, "regexSteps", &n))
				c->regex_steps = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
		} else {
			problem(p, k, "unknown key limits.%s (fileSize, depth, aliasNodes, documents, "
				      "validationSteps, regexSteps)", k->u.s);
		}
	}
}

static void on_policies(parser *p, const kv_node *v)
{
	string_list(p, v, "policies", &p->c->policies, &p->c->npolicies);
}

static void on_builtin(parser *p, const kv_node *v)
{
	if (v->type != KV_BOOL)
		problem(p, v, "builtinPolicies must be true or false");
	else
		p->c->builtin_policies = v->u.b;
}

static void on_pss_version(parser *p, const kv_node *v)
{
	const char *s = kv_str(v);
	int major, minor;
	if (s && (strcmp(s, "latest") == 0 || (sscanf(s[0] == 'v' ? s + 1 : s, "%d.%d", &major, &minor) == 2 && major == 1)))
		set_string(p, v, "podSecurityVersion", &p->c->pod_security_version);
	else
		problem(p, v, "podSecurityVersion is latest or a Kubernetes release such as v1.30");
}

/* A string field of an exemption; "" when absent. */
static char *exemption_field(parser *p, const kv_node *e, const char *key)
{
	const kv_node *v = kv_map_get(e, key);
	if (!v)
		return kv_xstrdup("");
	if (v->type != KV_STRING) {
		problem(p, v, "exemptions: %s must be a string", key);
		return kv_xstrdup("");
	}
	return kv_xstrdup(v->u.s);
}

static void on_exemption(parser *p, const kv_node *e)
{
	static const char *const known[] = {"rule", "path", "object", "reason"};
	if (e->type != KV_MAP) {
		problem(p, e, "each exemption is a map: rule, path, object, reason");
		return;
	}
	for (uint32_t i = 0; i < e->len; i++) {
		size_t k = 0;
		while (k < 4 && !kv_str_eq(e->u.pairs[i].key, known[k]))
			k++;
		if (k == 4)
			problem(p, e->u.pairs[i].key, "unknown key \"%s\" in an exemption (rule, path, object, reason)",
				e->u.pairs[i].key->u.s);
	}
	kv_exemption x = {.line = e->line, .col = e->col};
	x.rule = exemption_field(p, e, "rule");
	x.path = exemption_field(p, e, "path");
	x.reason = exemption_field(p, e, "reason");
	const kv_node *obj = kv_map_get(e, "object");
	if (obj && obj->type != KV_MAP)
		problem(p, obj, "exemptions: object is a map of kind, namespace and name");
	const kv_node *o = obj && obj->type == KV_MAP ? obj : NULL;
	x.kind = o ? exemption_field(p, o, "kind") : kv_xstrdup("");
	x.ns = o ? exemption_field(p, o, "namespace") : kv_xstrdup("");
	x.name = o ? exemption_field(p, o, "name") : kv_xstrdup("");
	const kv_node *labels = o ? kv_map_get(o, "labels") : NULL;
	if (labels && labels->type != KV_MAP)
		problem(p, labels, "exemptions: object.labels is a map of label values");
	for (uint32_t i = 0; labels && labels->type == KV_MAP && i < labels->len; i++) {
		const kv_node *v = labels->u.pairs[i].value;
		if (v->type != KV_STRING) {
			problem(p, v, "exemptions: a label value is a string");
			continue;
		}
		x.labels = kv_xreallocarray(x.labels, x.nlabels + 1, sizeof *x.labels);
		x.labels[x.nlabels++] = kv_xasprintf("%s=%s", labels->u.pairs[i].key->u.s, v->u.s);
	}
	for (uint32_t i = 0; o && i < o->len; i++) {
		const kv_node *k = o->u.pairs[i].key;
		if (!kv_str_eq(k, "kind") && !kv_str_eq(k, "namespace") && !kv_str_eq(k, "name") && !kv_str_eq(k, "labels"))
			problem(p, k, "unknown key \"%s\" in an exemption's object (kind, namespace, name, labels)", k->u.s);
	}
	if (!*x.rule)
		problem(p, e, "an exemption needs the rule (or policy) id it exempts from (globs allowed)");
	if (!*x.reason)
		problem(p, e, "an exemption needs a reason: it is shown with every finding it suppresses");
	kv_config *c = p->c;
	KV_GROW(c->exemptions, c->cap_exemptions, c->nexemptions + 1);
	c->exemptions[c->nexemptions++] = x;
}

static void on_exemptions(parser *p, const kv_node *v)
{
	if (v->type != KV_LIST) {
		problem(p, v, "exemptions must be a list");
		return;
	}
	for (uint32_t i = 0; i < v->len; i++)
		on_exemption(p, v->u.items[i]);
}

static const struct {
	const char *key;
	void (*fn)(parser *p, const kv_node *v);
} keys[] = {
	{"kubernetesVersion", on_version}, {"schemas", on_schemas}, {"exclude", on_exclude},
	{"rules", on_rules}, {"failOn", on_fail_on}, {"strict", on_strict},
	{"schemaURL", on_schema_url}, {"limits", on_limits}, {"policies", on_policies},
	{"builtinPolicies", on_builtin}, {"podSecurityVersion", on_pss_version},
	{"exemptions", on_exemptions},
};

static void on_key(parser *p, const kv_pair *pair)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (kv_str_eq(pair->key, keys[i].key)) {
			if (pair->value->type != KV_NULL)
				keys[i].fn(p, pair->value);
			return;
		}
	}
	kv_buf known = KV_BUF_INIT;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		kv_buf_printf(&known, "%s%s", i ? ", " : "", keys[i].key);
	problem(p, pair->key, "unknown key \"%s\" (known: %s)", pair->key->u.s, kv_buf_cstr(&known));
	kv_buf_free(&known);
}

int kv_config_parse(kv_config *c, const char *data, size_t len, const char *path, kv_buf *err)
{
	parser p = {c, path, err, 0};
	free(c->path);
	c->path = kv_xstrdup(path);
	kv_limits lim;
	kv_limits_default(&lim);
	kv_arena *arena = kv_arena_new();
	kv_diags d;
	kv_diags_init(&d, NULL, 0);
	kv_loader *l = kv_loader_new(data, len, KV_SYNTAX_YAML, &lim, &d);
	kv_doc doc;
	const kv_node *root = NULL;
	int rc;
	/* One document of keys; empty documents (a leading or trailing ---) are no matter. */
	while ((rc = kv_loader_next(l, arena, &doc)) == 1) {
		if (!doc.root)
			continue;
		if (root) {
			problem(&p, doc.root, "the configuration must be one YAML document");
			break;
		}
		root = doc.root;
		if (root->type != KV_MAP)
			problem(&p, root, "the configuration must be a map of keys");
		else
			for (uint32_t i = 0; i < root->len; i++)
				on_key(&p, &root->u.pairs[i]);
	}
	for (size_t i = 0; i < d.n; i++) {
		kv_buf_printf(err, "%s%s:%u:%u: %s", err->len ? "\n" : "", path, d.items[i].line,
			      d.items[i].col, d.items[i].message);
		p.errors++;
	}
	kv_loader_free(l);
	kv_diags_free(&d);
	kv_arena_free(arena);
	return p.errors ? -1 : 0;
}
