/* select.c: which resources a selector picks, as kustomize's patch targets and replacement
 * selectors do. group, version, kind, name and namespace are regular expressions anchored at
 * both ends; a resource's name or namespace matches when its original or its current one does.
 * Label and annotation selectors follow Kubernetes' label selector grammar.
 *
 * Patterns are matched within regex.c's work budget: running out is a limit/regex problem,
 * reported once per selector. */
#include "internal.h"

#include "kvet/alloc.h"
#include "kvet/strutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Requirements and values one label selector may hold (bounds on hostile input). */
#define MAX_TERMS 256

enum { F_GROUP, F_VERSION, F_KIND, F_NAME, F_NAMESPACE, F_PATTERNS };
static const char *const pattern_keys[F_PATTERNS] = {"group", "version", "kind", "name", "namespace"};

typedef enum { OP_EXISTS, OP_ABSENT, OP_IN, OP_NOTIN, OP_GT, OP_LT } req_op;

typedef struct {
	char *key;
	req_op op;
	char **vals;
	size_t nvals;
	long long num; /* OP_GT, OP_LT */
} req;

typedef struct {
	req *items;
	size_t n;
} lsel;

struct rn_select {
	rn_regex *re[F_PATTERNS]; /* NULL matches anything */
	lsel labels, annotations;
	const kv_node *at; /* the selector, for problems */
	uint16_t src;
	bool *reported;    /* a limit was reported (the selector is otherwise read-only) */
};

/* ---- label selectors ---- */

static void lsel_free(lsel *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].key);
		for (size_t j = 0; j < l->items[i].nvals; j++)
			free(l->items[i].vals[j]);
		free(l->items[i].vals);
	}
	free(l->items);
	memset(l, 0, sizeof *l);
}

typedef struct {
	const char *p, *end;
	const char *err;
} lexer;

static void skip_space(lexer *x)
{
	while (x->p < x->end && isspace((unsigned char)*x->p))
		x->p++;
}

/* A key or value: everything up to a space or one of the selector's punctuation marks. */
static char *word(lexer *x)
{
	skip_space(x);
	const char *s = x->p;
	while (x->p < x->end && !isspace((unsigned char)*x->p) && !strchr(",=!()<>", *x->p))
		x->p++;
	return x->p > s ? kv_xstrndup(s, (size_t)(x->p - s)) : NULL;
}

static bool eat(lexer *x, const char *tok)
{
	skip_space(x);
	size_t n = strlen(tok);
	if ((size_t)(x->end - x->p) >= n && memcmp(x->p, tok, n) == 0) {
		x->p += n;
		return true;
	}
	return false;
}

static void add_val(req *q, char *v)
{
	q->vals = kv_xrealloc(q->vals, sizeof *q->vals * (q->nvals + 1));
	q->vals[q->nvals++] = v;
}

/* "(a, b, c)" after in / notin. */
static bool value_set(lexer *x, req *q)
{
	if (!eat(x, "(")) {
		x->err = "a set of values in parentheses must follow in and notin";
		return false;
	}
	for (;;) {
		char *v = word(x);
		if (q->nvals >= MAX_TERMS) {
			free(v);
			x->err = "too many values in one set";
			return false;
		}
		add_val(q, v ? v : kv_xstrdup("")); /* "(a,)" holds an empty value, as in Kubernetes */
		if (eat(x, ")"))
			return true;
		if (!eat(x, ",")) {
			x->err = "values in a set are separated by commas and closed by )";
			return false;
		}
	}
}

/* The whole number after > or <. */
static bool number(lexer *x, req *q)
{
	char *v = word(x), *end = NULL;
	errno = 0;
	q->num = v ? strtoll(v, &end, 10) : 0;
	bool ok = v && *end == '\0' && errno == 0;
	free(v);
	if (!ok)
		x->err = "> and < compare with a whole number";
	return ok;
}

static bool requirement(lexer *x, req *q)
{
	bool negated = eat(x, "!");
	q->key = word(x);
	if (!q->key) {
		x->err = "a requirement must start with a key";
		return false;
	}
	skip_space(x);
	if (negated) {
		q->op = OP_ABSENT;
		return true;
	}
	if (x->p == x->end || *x->p == ',') {
		q->op = OP_EXISTS;
		return true;
	}
	if (eat(x, "==") || eat(x, "=")) {
		q->op = OP_IN;
	} else if (eat(x, "!=")) {
		q->op = OP_NOTIN;
	} else if (eat(x, ">") || eat(x, "<")) {
		q->op = x->p[-1] == '>' ? OP_GT : OP_LT;
		return number(x, q);
	} else {
		const char *save = x->p;
		char *op = word(x);
		if (op && strcmp(op, "in") == 0)
			q->op = OP_IN;
		else if (op && strcmp(op, "notin") == 0)
			q->op = OP_NOTIN;
		else {
			free(op);
			x->p = save;
			x->err = "expected =, ==, !=, in, notin, > or < after the key";
			return false;
		}
		free(op);
		return value_set(x, q);
	}
	char *v = word(x);
	add_val(q, v ? v : kv_xstrdup(""));
	return true;
}

/* Parses text into l; NULL, or what is wrong. */
static const char *lsel_parse(const char *text, size_t len, lsel *l)
{
	lexer x = {text, text + len, NULL};
	skip_space(&x);
	if (x.p == x.end)
		return NULL;
	for (;;) {
		if (l->n >= MAX_TERMS)
			return "too many requirements in one selector";
		l->items = kv_xrealloc(l->items, sizeof *l->items * (l->n + 1));
		req *q = &l->items[l->n++];
		memset(q, 0, sizeof *q);
		if (!requirement(&x, q))
			return x.err;
		skip_space(&x);
		if (x.p == x.end)
			return NULL;
		if (!eat(&x, ","))
			return "requirements are separated by commas";
	}
}

static bool in_set(const req *q, const char *v)
{
	for (size_t i = 0; i < q->nvals; i++)
		if (strcmp(q->vals[i], v) == 0)
			return true;
	return false;
}

/* True when the map of labels (or annotations) m meets every requirement of l. */
static bool lsel_match(const lsel *l, const kv_node *m)
{
	for (size_t i = 0; i < l->n; i++) {
		const req *q = &l->items[i];
		const kv_node *v = m && m->type == KV_MAP ? kv_map_get(m, q->key) : NULL;
		const char *s = kv_str(v);
		bool ok = false;
		switch (q->op) {
		case OP_EXISTS:
			ok = v != NULL;
			break;
		case OP_ABSENT:
			ok = v == NULL;
			break;
		case OP_IN:
			ok = s && in_set(q, s);
			break;
		case OP_NOTIN:
			ok = !s || !in_set(q, s);
			break;
		case OP_GT:
		case OP_LT: {
			char *end = NULL;
			long long n = s ? strtoll(s, &end, 10) : 0;
			ok = s && *s && *end == '\0' && (q->op == OP_GT ? n > q->num : n < q->num);
			break;
		}
		}
		if (!ok)
			return false;
	}
	return true;
}

/* ---- the selector ---- */

void rn_select_free(rn_select *s)
{
	if (!s)
		return;
	for (int i = 0; i < F_PATTERNS; i++)
		rn_regex_free(s->re[i]);
	lsel_free(&s->labels);
	lsel_free(&s->annotations);
	free(s->reported);
	free(s);
}

static bool compile(kv_render *r, rn_select *s, int f, const kv_node *v)
{
	if (v->len == 0)
		return true;
	kv_buf b = KV_BUF_INIT;
	kv_buf_printf(&b, "^(?:%s)$", v->u.s);
	char why[160];
	s->re[f] = rn_regex_new(b.data, b.len, why, sizeof why);
	kv_buf_free(&b);
	if (!s->re[f]) {
		rn_problem(r, s->src, v, KV_RULE_RENDER_KUSTOMIZATION, NULL, "%s is not a valid regular expression: %s",
			   pattern_keys[f], why);
		return false;
	}
	return true;
}

rn_select *rn_select_parse(kv_render *r, uint16_t src, const kv_node *sel)
{
	if (!sel || sel->type != KV_MAP) {
		rn_problem(r, src, sel, KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   "a selector must be a map (group, version, kind, name, namespace, labelSelector, annotationSelector)");
		return NULL;
	}
	rn_select *s = kv_xcalloc(1, sizeof *s);
	s->at = sel;
	s->src = src;
	s->reported = kv_xcalloc(1, sizeof *s->reported);
	bool ok = true;
	for (uint32_t i = 0; i < sel->len; i++) {
		const kv_node *key = sel->u.pairs[i].key, *v = sel->u.pairs[i].value;
		int f = -1;
		for (int j = 0; j < F_PATTERNS; j++)
			if (strcmp(key->u.s, pattern_keys[j]) == 0)
				f = j;
		bool label = strcmp(key->u.s, "labelSelector") == 0, ann = strcmp(key->u.s, "annotationSelector") == 0;
		if (f < 0 && !label && !ann) {
			rn_problem(r, src, key, KV_RULE_RENDER_KUSTOMIZATION, NULL,
				   "%s is not a field of a selector (group, version, kind, name, namespace, labelSelector, annotationSelector)",
				   key->u.s);
			ok = false;
			continue;
		}
		if (v->type == KV_NULL)
			continue;
		if (v->type != KV_STRING) {
			rn_problem(r, src, v, KV_RULE_RENDER_KUSTOMIZATION, NULL, "%s must be a string, not %s", key->u.s,
				   kv_type_phrase((kv_type)v->type));
			ok = false;
			continue;
		}
		if (f >= 0) {
			ok &= compile(r, s, f, v);
			continue;
		}
		const char *why = lsel_parse(v->u.s, v->len, label ? &s->labels : &s->annotations);
		if (why) {
			rn_problem(r, src, v, KV_RULE_RENDER_KUSTOMIZATION, NULL, "%s is not a valid selector: %s", key->u.s, why);
			ok = false;
		}
	}
	if (!ok) {
		rn_select_free(s);
		return NULL;
	}
	return s;
}

/* 1, 0, or -1 when the pattern ran out of its budget. */
static int match_re(kv_render *r, const rn_select *s, int f, const char *str)
{
	if (!s->re[f])
		return 1;
	if (!str)
		str = "";
	int rc = rn_regex_match(s->re[f], str, strlen(str));
	if (rc >= 0)
		return rc;
	if (!*s->reported) {
		*s->reported = true;
		const kv_pair *p = kv_map_pair(s->at, pattern_keys[f]);
		if (rc == RN_RE_LIMIT)
			rn_problem(r, s->src, p ? p->value : s->at, KV_RULE_LIMIT_REGEX, "simplify the pattern",
				   "the %s pattern ran out of its matching budget on \"%.60s\"", pattern_keys[f], str);
		else
			rn_problem(r, s->src, p ? p->value : s->at, KV_RULE_RENDER_KUSTOMIZATION, NULL,
				   "the %s pattern cannot be matched against \"%.60s\"", pattern_keys[f], str);
	}
	return -1;
}

const char *rn_effective_ns(const char *group, const char *version, const char *kind, const char *ns)
{
	if (kind && rn_cluster_scoped(group ? group : "", version, kind))
		return "_non_namespaceable_";
	return ns && *ns ? ns : "default";
}

int rn_select_match(kv_render *r, const rn_select *s, const rn_res *res)
{
	rn_id id;
	rn_id_of(res, &id);
	const char *orig_name = res->nprev ? res->prev[0].name : id.name;
	const char *orig_ns = res->nprev ? res->prev[0].ns : id.ns;
	int m;
	if (s->re[F_NAMESPACE]) {
		m = match_re(r, s, F_NAMESPACE, rn_effective_ns(id.group, id.version, id.kind, orig_ns));
		if (m == 0)
			m = match_re(r, s, F_NAMESPACE, rn_effective_ns(id.group, id.version, id.kind, id.ns));
		if (m <= 0)
			return m;
	}
	if (s->re[F_NAME]) {
		m = match_re(r, s, F_NAME, orig_name);
		if (m == 0)
			m = match_re(r, s, F_NAME, id.name);
		if (m <= 0)
			return m;
	}
	const char *gvk[3] = {id.group, id.version, id.kind};
	for (int f = F_GROUP; f <= F_KIND; f++)
		if ((m = match_re(r, s, f, gvk[f])) <= 0)
			return m;
	const kv_node *meta = kv_map_get(res->obj, "metadata");
	if (s->labels.n && !lsel_match(&s->labels, kv_map_get(meta, "labels")))
		return 0;
	if (s->annotations.n && !lsel_match(&s->annotations, kv_map_get(meta, "annotations")))
		return 0;
	return 1;
}
