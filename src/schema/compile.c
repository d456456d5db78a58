/* compile.c: schema documents (as value trees) to the flat compiled image. $ref is resolved
 * here, once: a target is compiled the first time it is reached and memoized by its node, so
 * recursive definitions become cycles of indices and validation never looks a name up.
 * Recursion is capped; a $ref cycle without structure between is reported, not followed. */
#include "internal.h"

#include "facts.h"
#include "kvet/alloc.h"
#include "kvet/map.h"
#include "kvet/sort.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 2000

typedef struct {
	uint32_t *v;
	size_t n, cap;
} words;

typedef struct {
	kv_snode *nodes;
	size_t nnodes, capnodes;
	kv_sprop *props;
	size_t nprops, capprops;
	words w; /* word 0 is reserved, so index 0 means "none" */
	kv_sgvk *gvks;
	size_t ngvks, capgvks;
	kv_buf strs;
	kv_map *interned; /* string -> offset */
	kv_map *memo;     /* schema node address -> node index */
	words patterns;   /* string offsets */
	const kv_node *doc;
	kv_dialect dialect;
	kv_diags *diags;
	kv_doc_resolver resolver;
	void *resolver_ud;
	uint32_t depth;
	uint32_t cel;
	uint32_t objectmeta;
	bool too_deep;
} compiler;

static void wpush(words *w, uint32_t v)
{
	KV_GROW(w->v, w->cap, w->n + 1);
	w->v[w->n++] = v;
}

static void wpush64(words *w, uint64_t v)
{
	wpush(w, (uint32_t)v);
	wpush(w, (uint32_t)(v >> 32));
}

static void wpushd(words *w, double d)
{
	uint64_t v;
	memcpy(&v, &d, sizeof v);
	wpush64(w, v);
}

static uint32_t intern(compiler *c, const char *s, size_t len)
{
	bool added;
	uint64_t *slot = kv_map_slot(c->interned, s, len, &added);
	if (!added)
		return (uint32_t)*slot;
	uint32_t off = (uint32_t)c->strs.len;
	uint32_t len32 = (uint32_t)len;
	kv_buf_add(&c->strs, &len32, sizeof len32);
	kv_buf_add(&c->strs, s, len);
	kv_buf_putc(&c->strs, '\0');
	while (c->strs.len % 4)
		kv_buf_putc(&c->strs, '\0');
	*slot = off;
	return off;
}

static uint32_t intern_node(compiler *c, const kv_node *n)
{
	return intern(c, n->u.s, n->len);
}

static void invalid(compiler *c, const kv_node *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void invalid(compiler *c, const kv_node *at, const char *fmt, ...)
{
	kv_buf msg = KV_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kv_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	kv_diag(c->diags, KV_RULE_SCHEMA_INVALID, at ? at->line : 0, at ? at->col : 0, NULL, NULL,
		"%s", kv_buf_cstr(&msg));
	kv_buf_free(&msg);
}

static uint32_t new_node(compiler *c)
{
	KV_GROW(c->nodes, c->capnodes, c->nnodes + 1);
	c->nodes[c->nnodes] = (kv_snode){.items = KV_SNONE, .addl = KV_SNONE};
	return (uint32_t)c->nnodes++;
}

/* A node that accepts anything; each caller gets its own, as flags may be set on it. */
static uint32_t any_node(compiler *c)
{
	uint32_t i = new_node(c);
	c->nodes[i].flags = KV_SF_OPEN_ANY;
	return i;
}

static uint8_t type_bit(const kv_node *t)
{
	static const struct {
		const char *name;
		uint8_t bits;
	} types[] = {
		{"null", KV_ST_NULL},  {"boolean", KV_ST_BOOL},	       {"integer", KV_ST_INT},
		{"number", KV_ST_INT | KV_ST_NUM}, {"string", KV_ST_STR}, {"array", KV_ST_LIST},
		{"object", KV_ST_MAP},
	};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (kv_str_eq(t, types[i].name))
			return types[i].bits;
	return 0;
}

static uint8_t parse_types(compiler *c, const kv_node *t)
{
	if (t->type == KV_STRING) {
		uint8_t b = type_bit(t);
		if (!b)
			invalid(c, t, "unknown type \"%s\"", t->u.s);
		return b;
	}
	uint8_t bits = 0;
	if (t->type == KV_LIST)
		for (uint32_t i = 0; i < t->len; i++)
			bits |= t->u.items[i]->type == KV_STRING ? type_bit(t->u.items[i]) : 0;
	return bits;
}

static uint8_t parse_format(const kv_node *f)
{
	static const char *const names[] = {
#define X(e, s) s,
		KV_FORMATS(X)
#undef X
	};
	if (!f || f->type != KV_STRING)
		return KV_FMT_NONE;
	if (kv_str_eq(f, "datetime"))
		return KV_FMT_DATE_TIME;
	for (int i = 1; i < KV_FMT_COUNT; i++)
		if (kv_str_eq(f, names[i]))
			return (uint8_t)i;
	return KV_FMT_NONE;
}

static bool is_true(const kv_node *n)
{
	return n && n->type == KV_BOOL && n->u.b;
}

static bool as_number(const kv_node *n, double *out)
{
	if (n && n->type == KV_INT) {
		*out = (double)n->u.i;
		return true;
	}
	if (n && n->type == KV_DOUBLE) {
		*out = n->u.d;
		return true;
	}
	return false;
}

static void push_value(compiler *c, words *w, const kv_node *v)
{
	switch (v->type) {
	case KV_BOOL:
		wpush(w, KV_XV_BOOL), wpush(w, v->u.b), wpush(w, 0);
		break;
	case KV_INT:
		wpush(w, KV_XV_INT), wpush64(w, (uint64_t)v->u.i);
		break;
	case KV_DOUBLE:
		wpush(w, KV_XV_NUM), wpushd(w, v->u.d);
		break;
	case KV_STRING:
		wpush(w, KV_XV_STR), wpush(w, intern_node(c, v)), wpush(w, 0);
		break;
	default:
		wpush(w, KV_XV_NULL), wpush(w, 0), wpush(w, 0);
	}
}

static void push_enum(compiler *c, words *ext, const kv_node *e)
{
	if (e->type != KV_LIST) {
		invalid(c, e, "%s must be a list", "enum");
		return;
	}
	wpush(ext, KV_X_ENUM);
	wpush(ext, e->len);
	for (uint32_t i = 0; i < e->len; i++)
		push_value(c, ext, e->u.items[i]);
}

static void push_fact_enum(compiler *c, words *ext, const char *const *values)
{
	uint32_t n = 0;
	while (values[n])
		n++;
	wpush(ext, KV_X_ENUM_K8S);
	wpush(ext, n);
	for (uint32_t i = 0; i < n; i++)
		wpush(ext, KV_XV_STR), wpush(ext, intern(c, values[i], strlen(values[i]))), wpush(ext, 0);
}

static uint32_t compile(compiler *c, const kv_node *s, const char *defname,
			const kv_fact_prop *fact);

/* JSON pointer resolution ("/definitions/a~1b"), with ~0, ~1 and %XX decoding. */
static const kv_node *resolve_pointer(const kv_node *root, const char *p)
{
	const kv_node *n = root;
	char seg[512];
	while (*p == '/') {
		p++;
		size_t len = 0;
		while (*p && *p != '/' && len + 1 < sizeof seg) {
			char ch = *p++;
			if (ch == '~' && (*p == '0' || *p == '1'))
				ch = *p++ == '0' ? '~' : '/';
			else if (ch == '%' && p[0] && p[1]) {
				char hex[3] = {p[0], p[1], 0};
				ch = (char)strtol(hex, NULL, 16);
				p += 2;
			}
			seg[len++] = ch;
		}
		if (n->type == KV_MAP) {
			n = kv_map_getn(n, seg, len);
		} else if (n->type == KV_LIST) {
			seg[len] = '\0';
			char *end;
			unsigned long i = strtoul(seg, &end, 10);
			n = *end || i >= n->len ? NULL : n->u.items[i];
		} else {
			n = NULL;
		}
		if (!n)
			return NULL;
	}
	return *p ? NULL : n;
}

static const char *last_segment(const char *ref)
{
	const char *slash = strrchr(ref, '/');
	return slash ? slash + 1 : ref;
}

static uint32_t compile_ref(compiler *c, const kv_node *ref)
{
	if (ref->type != KV_STRING) {
		invalid(c, ref, "%s must be a string", "$ref");
		return any_node(c);
	}
	const char *r = ref->u.s;
	const char *hash = strchr(r, '#');
	const kv_node *doc = c->doc;
	if (hash != r) {
		char *path = kv_xstrndup(r, hash ? (size_t)(hash - r) : ref->len);
		doc = c->resolver ? c->resolver(c->resolver_ud, path) : NULL;
		free(path);
		if (!doc) {
			invalid(c, ref, "cannot load the document $ref \"%s\" points to", r);
			return any_node(c);
		}
	}
	const kv_node *target = resolve_pointer(doc, hash ? hash + 1 : "");
	if (!target) {
		invalid(c, ref, "$ref \"%s\" does not resolve", r);
		return any_node(c);
	}
	const kv_node *saved = c->doc;
	c->doc = doc;
	uint32_t idx = compile(c, target, last_segment(r), NULL);
	c->doc = saved;
	return idx;
}

/* OpenAPI v3 wraps references that carry a default: {allOf: [{$ref}], default: ...}. */
static bool is_allof_wrapper(const kv_node *s)
{
	const kv_node *all = kv_map_get(s, "allOf");
	if (!all || all->type != KV_LIST || all->len != 1)
		return false;
	static const char *const ok[] = {"allOf", "description", "default", "title", "example", NULL};
	for (uint32_t i = 0; i < s->len; i++) {
		bool known = false;
		for (const char *const *k = ok; *k && !known; k++)
			known = kv_str_eq(s->u.pairs[i].key, *k);
		if (!known)
			return false;
	}
	return true;
}

typedef struct {
	uint32_t name, node;
} propent;

static int propent_cmp_ctx(const void *a, const void *b, void *ctx)
{
	const kv_buf *strs = ctx;
	const propent *x = a, *y = b;
	uint32_t xl, yl;
	memcpy(&xl, strs->data + x->name, 4);
	memcpy(&yl, strs->data + y->name, 4);
	int cmp = memcmp(strs->data + x->name + 4, strs->data + y->name + 4, xl < yl ? xl : yl);
	return cmp ? cmp : (xl < yl ? -1 : xl > yl ? 1 : 0);
}

static void compile_props(compiler *c, kv_snode *n, const kv_node *props, const char *defname)
{
	if (props->type != KV_MAP) {
		invalid(c, props, "%s must be a map", "properties");
		return;
	}
	propent *tmp = kv_xmalloc(sizeof *tmp * (props->len ? props->len : 1));
	for (uint32_t i = 0; i < props->len; i++) {
		const kv_pair *p = &props->u.pairs[i];
		const kv_fact_prop *fact = defname ? kv_facts_prop(defname, p->key->u.s) : NULL;
		tmp[i].name = intern_node(c, p->key);
		tmp[i].node = compile(c, p->value, NULL, fact);
	}
	kv_sort_r(tmp, props->len, sizeof *tmp, propent_cmp_ctx, &c->strs);
	n->props = (uint32_t)c->nprops;
	n->nprops = props->len;
	KV_GROW(c->props, c->capprops, c->nprops + props->len);
	for (uint32_t i = 0; i < props->len; i++)
		c->props[c->nprops++] = (kv_sprop){tmp[i].name, tmp[i].node};
	free(tmp);
}

static uint32_t compile_required(compiler *c, const kv_node *req)
{
	if (req->type != KV_LIST) {
		invalid(c, req, "%s must be a list", "required");
		return 0;
	}
	uint32_t at = (uint32_t)c->w.n;
	wpush(&c->w, 0);
	uint32_t n = 0;
	for (uint32_t i = 0; i < req->len; i++) {
		if (req->u.items[i]->type == KV_STRING) {
			wpush(&c->w, intern_node(c, req->u.items[i]));
			n++;
		}
	}
	c->w.v[at] = n;
	return n ? at : 0;
}

static void compile_list_of(compiler *c, words *ext, uint32_t tag, const kv_node *list)
{
	if (list->type != KV_LIST) {
		invalid(c, list, "allOf, anyOf and oneOf take a list of schemas");
		return;
	}
	uint32_t *idx = kv_xmalloc(sizeof *idx * (list->len ? list->len : 1));
	for (uint32_t i = 0; i < list->len; i++)
		idx[i] = compile(c, list->u.items[i], NULL, NULL);
	wpush(ext, tag);
	wpush(ext, list->len);
	for (uint32_t i = 0; i < list->len; i++)
		wpush(ext, idx[i]);
	free(idx);
}

/* True when every branch only names types: the anyOf spelling of int-or-string. */
static bool only_types(const kv_node *list)
{
	if (list->type != KV_LIST)
		return false;
	for (uint32_t i = 0; i < list->len; i++) {
		const kv_node *b = list->u.items[i];
		if (b->type != KV_MAP || b->len != 1 || !kv_map_get(b, "type"))
			return false;
	}
	return true;
}

static void compile_pattern(compiler *c, words *ext, const kv_node *p)
{
	if (p->type != KV_STRING) {
		invalid(c, p, "%s must be a string", "pattern");
		return;
	}
	kv_buf err = KV_BUF_INIT;
	pcre2_code *code = kv_pattern_compile(p->u.s, p->len, &err);
	if (!code) {
		kv_diag(c->diags, KV_RULE_SCHEMA_INVALID, p->line, p->col, NULL, NULL,
			"pattern does not compile: %s", kv_buf_cstr(&err));
		kv_buf_free(&err);
		return;
	}
	pcre2_code_free(code);
	kv_buf_free(&err);
	uint32_t str = intern_node(c, p);
	wpush(ext, KV_X_PATTERN);
	wpush(ext, str);
	wpush(ext, (uint32_t)c->patterns.n);
	wpush(&c->patterns, str);
}

static void bound(words *ext, uint32_t tag, const kv_node *v)
{
	double d;
	if (v && as_number(v, &d) && d >= 0) {
		wpush(ext, tag);
		wpush64(ext, (uint64_t)d);
	}
}

/* minimum/maximum; exclusive* is a flag in OpenAPI and draft 4, a bound of its own later. */
static void limits(compiler *c, const kv_node *s, words *ext)
{
	static const struct {
		const char *bound, *excl;
		uint32_t tag;
	} lims[] = {{"minimum", "exclusiveMinimum", KV_X_MIN}, {"maximum", "exclusiveMaximum", KV_X_MAX}};
	for (int i = 0; i < 2; i++) {
		double d;
		const kv_node *excl = kv_map_get(s, lims[i].excl);
		if (as_number(kv_map_get(s, lims[i].bound), &d)) {
			wpush(ext, lims[i].tag), wpushd(ext, d), wpush(ext, is_true(excl));
		} else if (as_number(excl, &d)) {
			wpush(ext, lims[i].tag), wpushd(ext, d), wpush(ext, 1);
		}
	}
	double m;
	if (as_number(kv_map_get(s, "multipleOf"), &m) && m > 0)
		wpush(ext, KV_X_MULTIPLE), wpushd(ext, m);
	bound(ext, KV_X_MINLEN, kv_map_get(s, "minLength"));
	bound(ext, KV_X_MAXLEN, kv_map_get(s, "maxLength"));
	bound(ext, KV_X_MINITEMS, kv_map_get(s, "minItems"));
	bound(ext, KV_X_MAXITEMS, kv_map_get(s, "maxItems"));
	bound(ext, KV_X_MINPROPS, kv_map_get(s, "minProperties"));
	bound(ext, KV_X_MAXPROPS, kv_map_get(s, "maxProperties"));
	(void)c;
}

static void cel_rules(compiler *c, words *ext, const kv_node *rules);

static void kubernetes_ext(compiler *c, kv_snode *n, const kv_node *s, words *ext)
{
	if (is_true(kv_map_get(s, "x-kubernetes-int-or-string")))
		n->types = KV_ST_INT | KV_ST_STR;
	if (is_true(kv_map_get(s, "x-kubernetes-preserve-unknown-fields")))
		n->flags |= KV_SF_PRESERVE;
	if (is_true(kv_map_get(s, "x-kubernetes-embedded-resource")))
		n->flags |= KV_SF_EMBEDDED;
	const kv_node *lt = kv_map_get(s, "x-kubernetes-list-type");
	if (kv_str_eq(lt, "map"))
		n->flags |= KV_SF_LIST_MAP;
	else if (kv_str_eq(lt, "set"))
		n->flags |= KV_SF_LIST_SET;
	const kv_node *keys = kv_map_get(s, "x-kubernetes-list-map-keys");
	if (keys && keys->type == KV_LIST && keys->len) {
		wpush(ext, KV_X_LISTKEYS);
		wpush(ext, keys->len);
		for (uint32_t i = 0; i < keys->len; i++)
			wpush(ext, keys->u.items[i]->type == KV_STRING ? intern_node(c, keys->u.items[i])
								       : intern(c, "", 0));
	}
	const kv_node *rules = kv_map_get(s, "x-kubernetes-validations");
	if (rules && rules->type == KV_LIST && rules->len)
		cel_rules(c, ext, rules);
}

static uint32_t opt_string(compiler *c, const kv_node *rule, const char *key)
{
	const kv_node *v = kv_map_get(rule, key);
	return v && v->type == KV_STRING ? intern_node(c, v) : KV_SNONE;
}

/* x-kubernetes-validations: each rule is kept as text and compiled where it runs; a rule of
 * the repository's own CRDs that does not compile is reported here, at its line. */
static void cel_rules(compiler *c, words *ext, const kv_node *rules)
{
	size_t at = ext->n;
	wpush(ext, KV_X_CEL);
	wpush(ext, 0);
	uint32_t n = 0;
	for (uint32_t i = 0; i < rules->len; i++) {
		const kv_node *r = rules->u.items[i], *text = kv_map_get(r, "rule");
		if (!text || text->type != KV_STRING) {
			invalid(c, r, "an x-kubernetes-validations entry needs a rule (a CEL expression)");
			continue;
		}
		if (c->diags)
			kv_crd_rule_check(c->diags, text, kv_map_get(r, "messageExpression"));
		wpush(ext, intern_node(c, text));
		wpush(ext, opt_string(c, r, "message"));
		wpush(ext, opt_string(c, r, "messageExpression"));
		wpush(ext, opt_string(c, r, "fieldPath"));
		wpush(ext, opt_string(c, r, "reason"));
		const kv_node *opt = kv_map_get(r, "optionalOldSelf");
		wpush(ext, opt && opt->type == KV_BOOL && opt->u.b ? KV_CELF_OPTIONAL_OLD_SELF : 0);
		n++;
	}
	if (!n)
		ext->n = at;
	else
		ext->v[at + 1] = n;
	c->cel += n;
}

static void additional(compiler *c, kv_snode *n, const kv_node *s)
{
	const kv_node *addl = kv_map_get(s, "additionalProperties");
	bool has_props = n->nprops > 0;
	if (addl && addl->type == KV_BOOL) {
		if (!addl->u.b)
			n->flags |= KV_SF_CLOSED;
	} else if (addl && addl->type == KV_MAP) {
		n->addl = compile(c, addl, NULL, NULL);
	} else if (has_props) {
		n->flags |= KV_SF_CLOSED; /* strict: fields must be declared */
	} else if (c->dialect == KV_DIALECT_CRD && (n->types & KV_ST_MAP)) {
		n->flags |= KV_SF_CLOSED; /* the API server prunes undeclared fields */
	}
	if (n->flags & KV_SF_PRESERVE)
		n->flags &= (uint16_t)~KV_SF_CLOSED;
}

static void special_types(kv_snode *n, const char *defname)
{
	if (!defname)
		return;
	size_t len = strlen(defname);
	static const char quantity[] = "pkg.api.resource.Quantity";
	static const char intstr[] = "pkg.util.intstr.IntOrString";
	if (len >= sizeof quantity - 1 && strcmp(defname + len - (sizeof quantity - 1), quantity) == 0) {
		n->types = KV_ST_STR | KV_ST_INT | KV_ST_NUM;
		n->format = KV_FMT_QUANTITY;
	} else if (len >= sizeof intstr - 1 &&
		   strcmp(defname + len - (sizeof intstr - 1), intstr) == 0) {
		n->types = KV_ST_INT | KV_ST_STR;
	}
}

static void keywords(compiler *c, kv_snode *n, const kv_node *s, const char *defname,
		     const kv_fact_prop *fact, words *ext)
{
	const kv_node *t = kv_map_get(s, "type");
	if (t)
		n->types = parse_types(c, t);
	n->format = parse_format(kv_map_get(s, "format"));
	if (kv_str_eq(kv_map_get(s, "format"), "int-or-string"))
		n->types = KV_ST_INT | KV_ST_STR;
	kubernetes_ext(c, n, s, ext);
	special_types(n, defname);
	if (is_true(kv_map_get(s, "nullable"))) {
		n->flags |= KV_SF_NULLABLE;
		if (n->types)
			n->types |= KV_ST_NULL;
	}
	const kv_node *props = kv_map_get(s, "properties");
	if (props)
		compile_props(c, n, props, defname);
	const kv_node *req = kv_map_get(s, "required");
	if (req)
		n->req = compile_required(c, req);
	additional(c, n, s);
	const kv_node *items = kv_map_get(s, "items");
	if (items && items->type == KV_MAP)
		n->items = compile(c, items, NULL, fact && fact->items ? fact : NULL);
	else if (items && items->type == KV_LIST && items->len)
		n->items = compile(c, items->u.items[0], NULL, NULL);
	if (is_true(kv_map_get(s, "uniqueItems")))
		n->flags |= KV_SF_UNIQUE;
}

static void constraints(compiler *c, const kv_snode *n, const kv_node *s,
			const kv_fact_prop *fact, words *ext)
{
	const kv_node *e = kv_map_get(s, "enum");
	if (e)
		push_enum(c, ext, e);
	const kv_node *cst = kv_map_get(s, "const");
	if (cst) {
		wpush(ext, KV_X_ENUM), wpush(ext, 1);
		push_value(c, ext, cst);
	}
	if (!e && fact && !fact->items)
		push_fact_enum(c, ext, fact->values);
	const kv_node *dflt = kv_map_get(s, "default");
	if (dflt && dflt->type != KV_LIST && dflt->type != KV_MAP) {
		wpush(ext, KV_X_DEFAULT);
		push_value(c, ext, dflt);
	} else if (fact && fact->dflt && !fact->items) {
		wpush(ext, KV_X_DEFAULT);
		wpush(ext, KV_XV_STR), wpush(ext, intern(c, fact->dflt, strlen(fact->dflt))), wpush(ext, 0);
	}
	limits(c, s, ext);
	const kv_node *pat = kv_map_get(s, "pattern");
	if (pat)
		compile_pattern(c, ext, pat);
	const kv_node *all = kv_map_get(s, "allOf");
	if (all)
		compile_list_of(c, ext, KV_X_ALLOF, all);
	const kv_node *any = kv_map_get(s, "anyOf");
	if (any && !(n->types == (KV_ST_INT | KV_ST_STR) && only_types(any)))
		compile_list_of(c, ext, KV_X_ANYOF, any);
	const kv_node *one = kv_map_get(s, "oneOf");
	if (one && !(n->types == (KV_ST_INT | KV_ST_STR) && only_types(one)))
		compile_list_of(c, ext, KV_X_ONEOF, one);
	const kv_node *not = kv_map_get(s, "not");
	if (not) {
		uint32_t idx = compile(c, not, NULL, NULL);
		wpush(ext, KV_X_NOT), wpush(ext, idx);
	}
}

static bool schema_is_empty(const kv_snode *n)
{
	return !n->types && !n->format && !n->nprops && n->items == KV_SNONE &&
	       n->addl == KV_SNONE && !n->req && !n->ext &&
	       !(n->flags & (KV_SF_CLOSED | KV_SF_EMBEDDED | KV_SF_LIST_MAP | KV_SF_LIST_SET));
}

static uint32_t compile_body(compiler *c, const kv_node *s, const char *defname,
			     const kv_fact_prop *fact)
{
	uint32_t idx = new_node(c);
	*kv_map_slot(c->memo, &s, sizeof s, NULL) = idx;
	if (defname && strcmp(defname, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta") == 0)
		c->objectmeta = idx;
	kv_snode n = c->nodes[idx];
	words ext = {0};
	keywords(c, &n, s, defname, fact, &ext);
	constraints(c, &n, s, fact, &ext);
	if (ext.n) {
		wpush(&ext, KV_X_END);
		n.ext = (uint32_t)c->w.n;
		for (size_t i = 0; i < ext.n; i++)
			wpush(&c->w, ext.v[i]);
	}
	free(ext.v);
	if (schema_is_empty(&n))
		n.flags |= KV_SF_OPEN_ANY;
	c->nodes[idx] = n;
	return idx;
}

static uint32_t compile(compiler *c, const kv_node *s, const char *defname,
			const kv_fact_prop *fact)
{
	if (s->type == KV_BOOL)
		return any_node(c); /* `true`; a `false` subschema is treated as permissive */
	if (s->type != KV_MAP) {
		invalid(c, s, "a schema must be a map");
		return any_node(c);
	}
	uint64_t *memo = kv_map_find(c->memo, &s, sizeof s);
	if (memo)
		return (uint32_t)*memo;
	if (c->depth >= MAX_DEPTH) {
		if (!c->too_deep)
			invalid(c, s, "schema nesting deeper than %d levels, or a $ref cycle", MAX_DEPTH);
		c->too_deep = true;
		return any_node(c);
	}
	c->depth++;
	uint32_t idx;
	const kv_node *ref = kv_map_get(s, "$ref");
	if (ref)
		idx = compile_ref(c, ref);
	else if (is_allof_wrapper(s))
		idx = compile(c, kv_map_get(s, "allOf")->u.items[0], defname, fact);
	else
		idx = compile_body(c, s, defname, fact);
	c->depth--;
	return idx;
}

static void compiler_init(compiler *c, const kv_node *doc, kv_dialect dialect, kv_diags *diags)
{
	memset(c, 0, sizeof *c);
	c->doc = doc;
	c->dialect = dialect;
	c->diags = diags;
	c->interned = kv_map_new();
	c->memo = kv_map_new();
	c->objectmeta = KV_SNONE;
	wpush(&c->w, 0);
	intern(c, "", 0);
}

static void compiler_free(compiler *c)
{
	free(c->nodes);
	free(c->props);
	free(c->w.v);
	free(c->gvks);
	free(c->patterns.v);
	kv_buf_free(&c->strs);
	kv_map_free(c->interned);
	kv_map_free(c->memo);
}

static void add_gvk(compiler *c, const char *group, const char *version, const char *kind,
		    uint32_t node, uint32_t scope)
{
	KV_GROW(c->gvks, c->capgvks, c->ngvks + 1);
	c->gvks[c->ngvks++] = (kv_sgvk){
		intern(c, group, strlen(group)), intern(c, version, strlen(version)),
		intern(c, kind, strlen(kind)), node, scope,
	};
}

static int gvk_cmp_ctx(const void *a, const void *b, void *ctx)
{
	const kv_buf *strs = ctx;
	const kv_sgvk *x = a, *y = b;
	int r = strcmp(strs->data + x->group + 4, strs->data + y->group + 4);
	if (!r)
		r = strcmp(strs->data + x->version + 4, strs->data + y->version + 4);
	if (!r)
		r = strcmp(strs->data + x->kind + 4, strs->data + y->kind + 4);
	return r;
}

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* Lays the sections out into one image and wraps it. */
static int finish(kv_schema **out, compiler *c, const char *origin)
{
	uint32_t origin_off = intern(c, origin, strlen(origin));
	kv_sort_r(c->gvks, c->ngvks, sizeof *c->gvks, gvk_cmp_ctx, &c->strs);
	uint32_t patterns = (uint32_t)c->w.n;
	wpush(&c->w, (uint32_t)c->patterns.n);
	for (size_t i = 0; i < c->patterns.n; i++)
		wpush(&c->w, c->patterns.v[i]);
	kv_sheader h = {.version = KV_SB_VERSION, .endian = KV_SB_ENDIAN};
	memcpy(h.magic, KV_SB_MAGIC, 8);
	size_t off = align8(sizeof h);
	h.off_nodes = (uint32_t)off, off = align8(off + c->nnodes * sizeof(kv_snode));
	h.off_props = (uint32_t)off, off = align8(off + c->nprops * sizeof(kv_sprop));
	h.off_words = (uint32_t)off, off = align8(off + c->w.n * sizeof(uint32_t));
	h.off_gvks = (uint32_t)off, off = align8(off + c->ngvks * sizeof(kv_sgvk));
	h.off_strs = (uint32_t)off, off = align8(off + c->strs.len);
	h.size = (uint32_t)off;
	h.nnodes = (uint32_t)c->nnodes, h.nprops = (uint32_t)c->nprops;
	h.nwords = (uint32_t)c->w.n, h.ngvks = (uint32_t)c->ngvks;
	h.strbytes = (uint32_t)c->strs.len, h.npatterns = (uint32_t)c->patterns.n;
	h.patterns = patterns, h.objectmeta = c->objectmeta, h.origin = origin_off;
	h.cel_rules = c->cel, h.dialect = c->dialect;
	unsigned char *img = kv_xcalloc(1, off);
	memcpy(img, &h, sizeof h);
	/* Empty sections have NULL arrays, which memcpy may not be given even for 0 bytes. */
	if (c->nnodes)
		memcpy(img + h.off_nodes, c->nodes, c->nnodes * sizeof(kv_snode));
	if (c->nprops)
		memcpy(img + h.off_props, c->props, c->nprops * sizeof(kv_sprop));
	memcpy(img + h.off_words, c->w.v, c->w.n * sizeof(uint32_t));
	if (c->ngvks)
		memcpy(img + h.off_gvks, c->gvks, c->ngvks * sizeof(kv_sgvk));
	memcpy(img + h.off_strs, c->strs.data, c->strs.len);
	kv_buf err = KV_BUF_INIT;
	int rc = kv_schema_from_image(out, img, off, false, &err);
	if (rc < 0)
		kv_diag(c->diags, KV_RULE_SCHEMA_INVALID, 0, 0, NULL, NULL,
			"internal error: compiled schema failed verification: %s", kv_buf_cstr(&err));
	kv_buf_free(&err);
	return rc;
}

/* "group/version/kind" -> scope, from the document's paths: a GVK is namespaced when any of
 * its paths has a {namespace} parameter. */
static void collect_scopes(kv_map *scopes, const kv_node *paths)
{
	if (!paths || paths->type != KV_MAP)
		return;
	for (uint32_t i = 0; i < paths->len; i++) {
		const kv_node *ops = paths->u.pairs[i].value;
		bool namespaced = strstr(paths->u.pairs[i].key->u.s, "{namespace}") != NULL;
		for (uint32_t j = 0; ops && ops->type == KV_MAP && j < ops->len; j++) {
			const kv_node *gvk = kv_map_get(ops->u.pairs[j].value, "x-kubernetes-group-version-kind");
			const char *g = kv_str(kv_map_get(gvk, "group")), *v = kv_str(kv_map_get(gvk, "version"));
			const char *k = kv_str(kv_map_get(gvk, "kind"));
			if (!g || !v || !k)
				continue;
			char key[512];
			int n = snprintf(key, sizeof key, "%s/%s/%s", g, v, k);
			if (n < 0 || (size_t)n >= sizeof key)
				continue;
			uint64_t *slot = kv_map_slot(scopes, key, (size_t)n, NULL);
			if (namespaced || *slot != KV_SCOPE_NAMESPACED)
				*slot = namespaced ? KV_SCOPE_NAMESPACED : KV_SCOPE_CLUSTER;
		}
	}
}

static uint32_t scope_of(kv_map *scopes, const char *g, const char *v, const char *k)
{
	char key[512];
	int n = snprintf(key, sizeof key, "%s/%s/%s", g, v, k);
	uint64_t *slot = n > 0 && (size_t)n < sizeof key ? kv_map_find(scopes, key, (size_t)n) : NULL;
	return slot ? (uint32_t)*slot : KV_SCOPE_UNKNOWN;
}

static void add_definition_gvks(compiler *c, kv_map *scopes, const kv_pair *def)
{
	const kv_node *gvks = kv_map_get(def->value, "x-kubernetes-group-version-kind");
	if (!gvks || gvks->type != KV_LIST)
		return;
	uint32_t idx = compile(c, def->value, def->key->u.s, NULL);
	for (uint32_t j = 0; j < gvks->len; j++) {
		const kv_node *e = gvks->u.items[j];
		const char *g = kv_str(kv_map_get(e, "group")), *v = kv_str(kv_map_get(e, "version"));
		const char *k = kv_str(kv_map_get(e, "kind"));
		if (g && v && k)
			add_gvk(c, g, v, k, idx, scope_of(scopes, g, v, k));
	}
}

/* A problem with a whole document, reported at its start. */
static void doc_invalid(kv_diags *diags, const kv_node *doc, const char *msg)
{
	kv_diag(diags, KV_RULE_SCHEMA_INVALID, doc ? doc->line : 0, doc ? doc->col : 0, NULL, NULL,
		"%s", msg);
}

int kv_schema_compile_openapi(kv_schema **out, const kv_node *doc, const char *origin,
			      kv_diags *diags)
{
	*out = NULL;
	const kv_node *defs = NULL;
	kv_dialect dialect = KV_DIALECT_OPENAPI2;
	/* Present is enough: unquoted in YAML, `swagger: 2.0` is a number. */
	if (kv_map_get(doc, "swagger")) {
		defs = kv_map_get(doc, "definitions");
	} else if (kv_map_get(doc, "openapi")) {
		dialect = KV_DIALECT_OPENAPI3;
		defs = kv_map_get(kv_map_get(doc, "components"), "schemas");
	}
	if (!defs || defs->type != KV_MAP) {
		doc_invalid(diags, doc, "not an OpenAPI document: no definitions or components.schemas");
		return -1;
	}
	compiler c;
	compiler_init(&c, doc, dialect, diags);
	kv_map *scopes = kv_map_new();
	collect_scopes(scopes, kv_map_get(doc, "paths"));
	for (uint32_t i = 0; i < defs->len; i++)
		add_definition_gvks(&c, scopes, &defs->u.pairs[i]);
	const kv_pair *meta = kv_map_pair(defs, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
	if (meta)
		compile(&c, meta->value, meta->key->u.s, NULL);
	kv_map_free(scopes);
	int rc = -1;
	if (!c.ngvks)
		doc_invalid(diags, defs, "no definition carries x-kubernetes-group-version-kind");
	else
		rc = finish(out, &c, origin);
	compiler_free(&c);
	return rc;
}

static const kv_node *crd_version_schema(const kv_node *version, const kv_node *spec)
{
	const kv_node *s = kv_map_get(kv_map_get(version, "schema"), "openAPIV3Schema");
	return s ? s : kv_map_get(kv_map_get(spec, "validation"), "openAPIV3Schema");
}

static void crd_add_version(compiler *c, const kv_node *spec, const kv_node *version,
			    const char *vname, const char *group, const char *kind, uint32_t scope)
{
	const kv_node *s = crd_version_schema(version, spec);
	uint32_t idx;
	if (s) {
		idx = compile(c, s, NULL, NULL);
	} else {
		idx = any_node(c);
		c->nodes[idx].flags = KV_SF_PRESERVE;
	}
	c->nodes[idx].flags |= KV_SF_ROOT;
	c->nodes[idx].flags &= (uint16_t)~KV_SF_OPEN_ANY;
	add_gvk(c, group, vname, kind, idx, scope);
}

static void crd_add(compiler *c, const kv_node *crd)
{
	const kv_node *spec = kv_map_get(crd, "spec");
	const char *group = kv_str(kv_map_get(spec, "group"));
	const char *kind = kv_str(kv_map_get(kv_map_get(spec, "names"), "kind"));
	if (!group || !kind) {
		invalid(c, crd, "CustomResourceDefinition without spec.group or spec.names.kind");
		return;
	}
	c->doc = crd;
	const kv_node *scope_node = kv_map_get(spec, "scope");
	uint32_t scope = kv_str_eq(scope_node, "Cluster") ? KV_SCOPE_CLUSTER : KV_SCOPE_NAMESPACED;
	size_t before = c->ngvks;
	const kv_node *versions = kv_map_get(spec, "versions");
	for (uint32_t i = 0; versions && versions->type == KV_LIST && i < versions->len; i++) {
		const kv_node *v = versions->u.items[i];
		const char *vname = kv_str(kv_map_get(v, "name"));
		const kv_node *served = kv_map_get(v, "served");
		if (vname && !(served && served->type == KV_BOOL && !served->u.b))
			crd_add_version(c, spec, v, vname, group, kind, scope);
	}
	const char *single = kv_str(kv_map_get(spec, "version"));
	if (c->ngvks == before && single)
		crd_add_version(c, spec, NULL, single, group, kind, scope);
	if (c->ngvks == before)
		invalid(c, spec ? spec : crd, "CustomResourceDefinition %s serves no version", kind);
}

int kv_schema_compile_crds(kv_schema **out, const kv_node *const *crds, size_t n,
			   const char *origin, kv_diags *diags)
{
	*out = NULL;
	compiler c;
	compiler_init(&c, n ? crds[0] : NULL, KV_DIALECT_CRD, diags);
	for (size_t i = 0; i < n; i++)
		crd_add(&c, crds[i]);
	int rc = c.ngvks ? finish(out, &c, origin) : -1;
	compiler_free(&c);
	return rc;
}

int kv_schema_compile_jsonschema(kv_schema **out, const kv_node *doc, const char *group,
				 const char *version, const char *kind, const char *origin,
				 kv_doc_resolver resolver, void *ud, kv_diags *diags)
{
	*out = NULL;
	if (!doc || doc->type != KV_MAP) {
		doc_invalid(diags, doc, "a JSON schema must be a map");
		return -1;
	}
	compiler c;
	compiler_init(&c, doc, KV_DIALECT_JSONSCHEMA, diags);
	c.resolver = resolver;
	c.resolver_ud = ud;
	uint32_t idx = compile(&c, doc, NULL, NULL);
	add_gvk(&c, group, version, kind, idx, KV_SCOPE_UNKNOWN);
	int rc = finish(out, &c, origin);
	compiler_free(&c);
	return rc;
}
