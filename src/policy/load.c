/* load.c: kvet Policy documents (kvet.dev/v1alpha1) into compiled policies. Every key is
 * checked (an unknown one is an error, never ignored), every expression is compiled once, and
 * every problem is reported at its line and column in the policy file with the source line
 * and a caret, including errors inside an expression, mapped through the YAML scalar. */
#include "internal.h"

#include "kvet/alloc.h"
#include "kvet/strutil.h"
#include "kvet/yaml.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	kv_policyset *ps;
	const char *path, *text;
	size_t len;
	kv_buf *err;
	bool failed, builtin;
} loader;


static void report_at(kv_buf *err, const char *path, const char *text, size_t len, uint32_t line,
		      uint32_t col, const char *msg)
{
	kv_buf_printf(err, "%s:%u:%u: %s\n", path, line, col, msg);
	const char *s;
	size_t n;
	if (!line || !kv_text_line(text, len, line, &s, &n) || n > 400)
		return;
	kv_buf_printf(err, " | %.*s\n | ", (int)n, s);
	size_t off = kv_utf8_col_offset(s, n, col);
	for (size_t i = 0; i < off; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			kv_buf_putc(err, s[i] == '\t' ? '\t' : ' ');
	kv_buf_puts(err, "^\n");
}

static void fail(loader *l, const kv_node *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail(loader *l, const kv_node *at, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	report_at(l->err, l->path, l->text, l->len, at ? at->line : 0, at ? at->col : 0, msg);
	l->failed = true;
}

kv_cel_prog *kv_policy_compile(kv_policyset *ps, kv_cel_env *env, const kv_node *n, const char *path,
			       const char *text, size_t len, kv_buf *err)
{
	kv_cel_prog *prog;
	kv_cel_error e;
	if (kv_cel_compile(&prog, env, n->u.s, n->len, &e) == 0) {
		KV_GROW(ps->progs, ps->capprogs, ps->nprogs + 1);
		ps->progs[ps->nprogs++] = prog;
		return prog;
	}
	uint32_t line, col;
	kv_yaml_scalar_pos(text, len, n, e.pos, &line, &col);
	report_at(err, path, text, len, line, col, e.msg);
	return NULL;
}

static const kv_node *want(loader *l, const kv_node *n, kv_type type, const char *what)
{
	if (!n)
		return NULL;
	if (n->type != type) {
		fail(l, n, "%s must be %s, not %s", what, kv_type_phrase(type), kv_type_phrase((kv_type)n->type));
		return NULL;
	}
	return n;
}

static const char *str_of(loader *l, const kv_node *n, const char *what)
{
	n = want(l, n, KV_STRING, what);
	return n ? kv_arena_strndup(l->ps->arena, n->u.s, n->len) : NULL;
}

/* Rejects keys of map n not in allowed (NULL-terminated). */
static void known_keys(loader *l, const kv_node *n, const char *where, const char *const *allowed)
{
	for (uint32_t i = 0; n && i < n->len; i++) {
		const kv_node *k = n->u.pairs[i].key;
		size_t a = 0;
		while (allowed[a] && !kv_str_eq(k, allowed[a]))
			a++;
		if (allowed[a])
			continue;
		kv_buf list = KV_BUF_INIT;
		for (a = 0; allowed[a]; a++)
			kv_buf_printf(&list, "%s%s", a ? ", " : "", allowed[a]);
		fail(l, k, "unknown key %s in %s (known: %s)", k->u.s, where, kv_buf_cstr(&list));
		kv_buf_free(&list);
	}
}

static const char **string_list(loader *l, const kv_node *n, const char *what, size_t *count)
{
	*count = 0;
	if (!want(l, n, KV_LIST, what))
		return NULL;
	const char **out = kv_arena_alloc(l->ps->arena, sizeof *out * (n->len ? n->len : 1));
	for (uint32_t i = 0; i < n->len; i++) {
		const char *s = str_of(l, n->u.items[i], what);
		if (s)
			out[(*count)++] = s;
	}
	return out;
}

static bool valid_id(const char *s)
{
	/* Lower-case words of letters, digits and dashes, joined by slashes. */
	size_t n = strlen(s);
	if (!n || n > 128 || s[0] == '/' || s[n - 1] == '/' || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '-' || c == '/'))
			return false;
		if (c == '/' && (s[i + 1] == '/' || s[i + 1] == '-' || s[i - 1] == '-'))
			return false;
	}
	return true;
}

static void parse_kinds(loader *l, kv_policy *p, const kv_node *list)
{
	if (!want(l, list, KV_LIST, "match.kinds"))
		return;
	p->rules = kv_arena_alloc(l->ps->arena, sizeof *p->rules * (list->len ? list->len : 1));
	static const char *const keys[] = {"apiGroups", "kinds", NULL};
	for (uint32_t i = 0; i < list->len; i++) {
		const kv_node *r = want(l, list->u.items[i], KV_MAP, "a match.kinds entry");
		if (!r)
			continue;
		known_keys(l, r, "match.kinds", keys);
		kind_rule *k = &p->rules[p->nrules++];
		memset(k, 0, sizeof *k);
		const kv_node *g = kv_map_get(r, "apiGroups"), *names = kv_map_get(r, "kinds");
		if (!g || !names)
			fail(l, r, "a match.kinds entry needs apiGroups (\"\" is the core group) and kinds");
		k->groups = string_list(l, g, "apiGroups", &k->ngroups);
		k->names = string_list(l, names, "kinds", &k->nnames);
	}
}

static void parse_selector(loader *l, selector *s, const kv_node *n, const char *what)
{
	char msg[256];
	const kv_node *at = n;
	if (n && !kv_selector_parse(s, n, l->ps->arena, msg, sizeof msg, &at))
		fail(l, at, "%s: %s", what, msg);
}

static void parse_match(loader *l, kv_policy *p, const kv_node *m)
{
	if (!want(l, m, KV_MAP, "spec.match"))
		return;
	static const char *const keys[] = {"kinds", "podSpec", "namespaces", "excludedNamespaces",
					   "labelSelector", NULL};
	known_keys(l, m, "spec.match", keys);
	const kv_node *kinds = kv_map_get(m, "kinds"), *pod = kv_map_get(m, "podSpec");
	if (kinds)
		parse_kinds(l, p, kinds);
	if (want(l, pod, KV_BOOL, "match.podSpec"))
		p->pod_spec = pod->u.b;
	if (!p->nrules && !p->pod_spec)
		fail(l, m, "spec.match needs kinds, or podSpec: true");
	const kv_node *ns = kv_map_get(m, "namespaces"), *ex = kv_map_get(m, "excludedNamespaces");
	if (ns)
		p->namespaces = string_list(l, ns, "match.namespaces", &p->nnamespaces);
	if (ex)
		p->excluded = string_list(l, ex, "match.excludedNamespaces", &p->nexcluded);
	parse_selector(l, &p->labels, kv_map_get(m, "labelSelector"), "match.labelSelector");
}

/* name + expression entries (matchConditions, variables). */
static expr *parse_named(loader *l, const kv_node *list, const char *what, size_t *count)
{
	*count = 0;
	if (!want(l, list, KV_LIST, what))
		return NULL;
	expr *out = kv_arena_alloc(l->ps->arena, sizeof *out * (list->len ? list->len : 1));
	static const char *const keys[] = {"name", "expression", NULL};
	for (uint32_t i = 0; i < list->len; i++) {
		const kv_node *e = want(l, list->u.items[i], KV_MAP, what);
		if (!e)
			continue;
		known_keys(l, e, what, keys);
		const kv_node *name = kv_map_get(e, "name"), *x = kv_map_get(e, "expression");
		if (!name || !x) {
			fail(l, e, "each entry of %s needs a name and an expression", what);
			continue;
		}
		expr *d = &out[*count];
		memset(d, 0, sizeof *d);
		d->name = str_of(l, name, "name");
		if (!want(l, x, KV_STRING, "expression"))
			continue;
		for (size_t k = 0; d->name && k < *count; k++)
			if (strcmp(out[k].name, d->name) == 0)
				fail(l, name, "%s defines '%s' twice", what, d->name);
		d->prog = kv_policy_compile(l->ps, l->ps->env, x, l->path, l->text, l->len, l->err);
		l->failed = l->failed || !d->prog;
		d->line = x->line;
		d->col = x->col;
		d->text = kv_arena_strndup(l->ps->arena, x->u.s, x->len);
		(*count)++;
	}
	return out;
}

static void parse_validations(loader *l, kv_policy *p, const kv_node *list)
{
	if (!want(l, list, KV_LIST, "spec.validations"))
		return;
	if (!list->len)
		fail(l, list, "spec.validations is empty: a policy needs at least one");
	p->validations = kv_arena_alloc(l->ps->arena, sizeof *p->validations * (list->len ? list->len : 1));
	static const char *const keys[] = {"expression", "message", "messageExpression", NULL};
	for (uint32_t i = 0; i < list->len; i++) {
		const kv_node *v = want(l, list->u.items[i], KV_MAP, "a validation");
		if (!v)
			continue;
		known_keys(l, v, "a validation", keys);
		const kv_node *x = kv_map_get(v, "expression"), *me = kv_map_get(v, "messageExpression");
		if (!x) {
			fail(l, v, "a validation needs an expression");
			continue;
		}
		if (!want(l, x, KV_STRING, "expression"))
			continue;
		validation *d = &p->validations[p->nvalidations++];
		memset(d, 0, sizeof *d);
		d->check.prog = kv_policy_compile(l->ps, l->ps->env, x, l->path, l->text, l->len, l->err);
		l->failed = l->failed || !d->check.prog;
		d->check.line = x->line;
		d->check.col = x->col;
		d->check.text = kv_arena_strndup(l->ps->arena, x->u.s, x->len);
		d->message = str_of(l, kv_map_get(v, "message"), "message");
		if (me && want(l, me, KV_STRING, "messageExpression")) {
			d->message_expr.prog = kv_policy_compile(l->ps, l->ps->env, me, l->path, l->text, l->len, l->err);
			l->failed = l->failed || !d->message_expr.prog;
			d->message_expr.text = kv_arena_strndup(l->ps->arena, me->u.s, me->len);
		}
	}
}

static void build_lazy(kv_policyset *ps, kv_policy *p)
{
	p->lazy_names = kv_arena_alloc(ps->arena, sizeof *p->lazy_names * (p->nvariables + 1));
	p->lazy_progs = kv_arena_alloc(ps->arena, sizeof *p->lazy_progs * (p->nvariables + 1));
	for (size_t i = 0; i < p->nvariables; i++) {
		p->lazy_names[i] = p->variables[i].name;
		p->lazy_progs[i] = p->variables[i].prog;
	}
	p->lazy = (kv_cel_lazy){p->nvariables, p->lazy_names, p->lazy_progs};
}

static void parse_spec(loader *l, kv_policy *p, const kv_node *spec)
{
	static const char *const keys[] = {"description", "remediation", "severity", "match",
					   "matchConditions", "variables", "params", "validations", NULL};
	known_keys(l, spec, "spec", keys);
	p->description = str_of(l, kv_map_get(spec, "description"), "spec.description");
	p->remediation = str_of(l, kv_map_get(spec, "remediation"), "spec.remediation");
	const kv_node *sev = kv_map_get(spec, "severity");
	p->severity = KV_SEV_ERROR;
	if (want(l, sev, KV_STRING, "spec.severity") && kv_severity_parse(&p->severity, sev->u.s) < 0)
		fail(l, sev, "spec.severity must be error, warning, info or off, not '%s'", sev->u.s);
	p->default_severity = p->severity;
	const kv_node *match = kv_map_get(spec, "match");
	if (!match)
		fail(l, spec, "spec.match is missing: say which objects the policy applies to");
	parse_match(l, p, match);
	if (kv_map_get(spec, "matchConditions"))
		p->conditions = parse_named(l, kv_map_get(spec, "matchConditions"), "spec.matchConditions", &p->nconditions);
	if (kv_map_get(spec, "variables"))
		p->variables = parse_named(l, kv_map_get(spec, "variables"), "spec.variables", &p->nvariables);
	build_lazy(l->ps, p);
	const kv_node *params = kv_map_get(spec, "params");
	if (params)
		p->params = kv_node_clone(l->ps->arena, params);
	const kv_node *v = kv_map_get(spec, "validations");
	if (!v)
		fail(l, spec, "spec.validations is missing");
	else
		parse_validations(l, p, v);
}

void kv_policy_add(kv_policyset *ps, kv_policy *p)
{
	KV_GROW(ps->items, ps->cap, ps->n + 1);
	ps->items[ps->n++] = p;
	*kv_map_slot(ps->ids, p->id, strlen(p->id), NULL) = ps->n;
}

int kv_policy_load_doc(kv_policyset *ps, const kv_node *doc, const char *path, const char *text,
		       size_t len, bool builtin, kv_buf *err)
{
	loader l = {.ps = ps, .path = path, .text = text, .len = len, .err = err, .builtin = builtin};
	static const char *const keys[] = {"apiVersion", "kind", "metadata", "spec", NULL};
	known_keys(&l, doc, "a Policy", keys);
	const kv_node *meta = want(&l, kv_map_get(doc, "metadata"), KV_MAP, "metadata");
	const kv_node *name = meta ? kv_map_get(meta, "name") : NULL;
	const kv_node *spec = want(&l, kv_map_get(doc, "spec"), KV_MAP, "spec");
	if (!name || !spec) {
		fail(&l, doc, "a Policy needs metadata.name (its id) and spec");
		return -1;
	}
	const char *id = str_of(&l, name, "metadata.name");
	if (id && !valid_id(id))
		fail(&l, name, "the policy id '%s' must be lower-case letters, digits and dashes, "
			       "in words joined by '/' (as in bp/image-tag)", id);
	kv_rule builtin_rule;
	if (id && kv_rule_lookup(&builtin_rule, id) == 0)
		fail(&l, name, "'%s' is the name of one of kvet's own rules", id);
	if (id && kv_map_find(ps->ids, id, strlen(id)))
		fail(&l, name, "a policy named '%s' is already loaded (from %s)", id,
		     kv_policyset_find(ps, id)->path);
	kv_policy *p = kv_arena_alloc(ps->arena, sizeof *p);
	memset(p, 0, sizeof *p);
	p->id = id;
	p->path = kv_arena_strndup(ps->arena, path, strlen(path));
	p->builtin = builtin;
	p->from = ORIGIN_POLICY;
	parse_spec(&l, p, spec);
	if (l.failed || !id)
		return -1;
	kv_policy_add(ps, p);
	return 0;
}
