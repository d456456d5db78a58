/* replace.c: kustomize's replacements: a value read at a field path of one source object is
 * copied into field paths of the objects each target selects, as kustomize v5.5 does it.
 *
 * Two field path dialects, as in kustomize: the source is read like kyaml's PathGetter
 * (exact "[key=value]" items, numeric indices, "-" for the last item) and targets are
 * walked like its PathMatcher ("[key=value]" is an unanchored regular expression over every
 * matching item, "*" visits every item, and create makes what is missing). Both split the
 * path on dots, where "\." is a dot and "[a.b]" one key. A scalar target keeps its type (an
 * integer stays one, so the new text must read as one); a map or list target takes the value
 * whole. Replaced values keep the position of the source value, so a finding on them points
 * at the line a person must edit. */
#include "internal.h"

#include "../yaml/build.h"
#include "kvet/alloc.h"


#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Bounds on hostile field paths: parts of one path, fields one path may select, steps of
 * one walk, and the regex budget of one "[key=value]" match. */
#define MAX_PARTS 256
#define MAX_HITS 100000
#define MAX_STEPS 5000000UL

#define DEFAULT_FIELD_PATH "metadata.name"

/* ---- the configuration ---- */

typedef struct {
	const char *group, *version, *kind, *name, *ns; /* "" when absent */
} rp_id;

typedef struct {
	const char *delim; /* "" when absent */
	size_t dlen;
	int64_t index;
	bool create;
	const kv_node *at; /* the index, else the options, or NULL */
} rp_opts;

typedef struct {
	rp_id id;
	rn_select *labels; /* labelSelector and annotationSelector, or NULL */
	bool any_id;       /* some of group..namespace is set (a reject without one rejects by labels only) */
} rp_sel;

typedef struct {
	const kv_node *at;
	rp_sel select;
	rp_sel *reject;
	size_t nreject;
	const kv_node **paths; /* string nodes */
	size_t npaths;
	rp_opts opts;
} rp_target;

typedef struct {
	const kv_node *at, *source_at, *path_at; /* the entry, its source, its fieldPath (or NULL) */
	uint16_t file;
	rp_id source;
	const char *path;
	rp_opts opts;
	rp_target *targets;
	size_t ntargets;
} rp_repl;

/* Reading a replacement: problems go to file; inline entries are strict about unknown keys
 * (kustomize reads the kustomization strictly), entries of a `path` file are not. */
typedef struct {
	kv_render *r;
	uint16_t file;
	bool strict;
	bool ok;
} reader;

/* The entry of a map for key, matched without regard to case as Go's JSON decoder does;
 * the last one wins. */
static const kv_pair *entry_of(const kv_node *map, const char *key)
{
	const kv_pair *found = NULL;
	for (uint32_t i = 0; map && map->type == KV_MAP && i < map->len; i++)
		if (strcasecmp(map->u.pairs[i].key->u.s, key) == 0)
			found = &map->u.pairs[i];
	return found;
}

static const kv_node *value_of(const kv_node *map, const char *key)
{
	const kv_pair *p = entry_of(map, key);
	return p && p->value->type != KV_NULL ? p->value : NULL;
}

static void bad(reader *rd, const kv_node *at, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void bad(reader *rd, const kv_node *at, const char *hint, const char *fmt, ...)
{
	kv_buf b = KV_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kv_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	rn_problem(rd->r, rd->file, at, KV_RULE_RENDER_KUSTOMIZATION, hint, "%s", kv_buf_cstr(&b));
	kv_buf_free(&b);
	rd->ok = false;
}

/* Unknown keys of map, refused in strict mode. keys ends with NULL. */
static void known_keys(reader *rd, const kv_node *map, const char *what, const char *const *keys)
{
	if (!rd->strict)
		return;
	for (uint32_t i = 0; i < map->len; i++) {
		const kv_node *key = map->u.pairs[i].key;
		bool known = false;
		for (size_t j = 0; keys[j] && !known; j++)
			known = strcasecmp(key->u.s, keys[j]) == 0;
		if (!known)
			bad(rd, key, NULL, "%s is not a field of %s: kustomize refuses the kustomization", key->u.s, what);
	}
}

/* A map field: the map, or NULL when absent or null (a problem when it is something else). */
static const kv_node *map_field(reader *rd, const kv_node *map, const char *key)
{
	const kv_node *v = value_of(map, key);
	if (v && v->type != KV_MAP) {
		bad(rd, v, NULL, "%s must be a map, not %s", key, kv_type_phrase((kv_type)v->type));
		return NULL;
	}
	return v;
}

static const kv_node *list_field(reader *rd, const kv_node *map, const char *key)
{
	const kv_node *v = value_of(map, key);
	if (v && v->type != KV_LIST) {
		bad(rd, v, NULL, "%s must be a list, not %s", key, kv_type_phrase((kv_type)v->type));
		return NULL;
	}
	return v;
}

/* kustomize reads its configuration as YAML 1.1, where yes, on, y (and no, off, n) are
 * booleans; a render holds them as strings flagged KV_NF_YAML11. */
static bool yaml11_bool(const kv_node *n)
{
	return n->type == KV_STRING && (n->flags & KV_NF_YAML11);
}

static bool as_bool(const kv_node *n, bool *b)
{
	if (n->type == KV_BOOL)
		*b = n->u.b;
	else if (yaml11_bool(n))
		*b = strchr("yYoO", n->u.s[0]) && strcasecmp(n->u.s, "off") != 0;
	else
		return false;
	return true;
}

static const char *string_field(reader *rd, const kv_node *map, const char *key)
{
	const kv_node *v = value_of(map, key);
	if (!v)
		return "";
	if (yaml11_bool(v)) {
		bad(rd, v, "quote it to make it a string", "%s must be a string: kustomize reads %s as a boolean", key, v->u.s);
		return "";
	}
	if (v->type != KV_STRING) {
		bad(rd, v, NULL, "%s must be a string, not %s", key, kv_type_phrase((kv_type)v->type));
		return "";
	}
	return v->u.s;
}

static void read_opts(reader *rd, const kv_node *map, rp_opts *o)
{
	static const char *const keys[] = {"delimiter", "index", "create", NULL};
	memset(o, 0, sizeof *o);
	o->delim = "";
	const kv_node *m = map_field(rd, map, "options");
	if (!m)
		return;
	known_keys(rd, m, "replacement options (delimiter, index, create)", keys);
	o->delim = string_field(rd, m, "delimiter");
	o->dlen = strlen(o->delim);
	const kv_node *idx = value_of(m, "index"), *create = value_of(m, "create");
	o->at = idx ? idx : m;
	if (idx && idx->type == KV_INT)
		o->index = idx->u.i;
	else if (idx && idx->type == KV_DOUBLE && idx->u.d == floor(idx->u.d) && fabs(idx->u.d) < 1e15)
		o->index = (int64_t)idx->u.d;
	else if (idx)
		bad(rd, idx, NULL, "%s must be %s", "index", "an integer");
	if (create && !as_bool(create, &o->create))
		bad(rd, create, NULL, "%s must be %s", "create", "true or false");
}

static void read_id(reader *rd, const kv_node *map, rp_id *id)
{
	id->group = string_field(rd, map, "group");
	id->version = string_field(rd, map, "version");
	id->kind = string_field(rd, map, "kind");
	id->name = string_field(rd, map, "name");
	id->ns = string_field(rd, map, "namespace");
}

/* A select or reject entry: the identity part, and the label and annotation selectors given
 * to select.c. */
static void read_sel(reader *rd, const kv_node *map, rp_sel *s)
{
	static const char *const keys[] = {"group", "version", "kind", "name", "namespace", "labelSelector",
					   "annotationSelector", NULL};
	memset(s, 0, sizeof *s);
	known_keys(rd, map, "a selector (group, version, kind, name, namespace, labelSelector, annotationSelector)", keys);
	read_id(rd, map, &s->id);
	s->any_id = *s->id.group || *s->id.version || *s->id.kind || *s->id.name || *s->id.ns;
	const kv_pair *lp = entry_of(map, "labelSelector"), *ap = entry_of(map, "annotationSelector");
	if ((!lp || lp->value->type == KV_NULL) && (!ap || ap->value->type == KV_NULL))
		return;
	kv_node *sub = rn_new_map(rd->r, map);
	sub->u.pairs = kv_arena_alloc(rd->r->arena, sizeof *sub->u.pairs * 2);
	if (lp)
		sub->u.pairs[sub->len++] = (kv_pair){rn_new_string(rd->r, "labelSelector", 13, lp->key), lp->value};
	if (ap)
		sub->u.pairs[sub->len++] = (kv_pair){rn_new_string(rd->r, "annotationSelector", 18, ap->key), ap->value};
	s->labels = rn_select_parse(rd->r, rd->file, sub);
	if (!s->labels)
		rd->ok = false;
}

static void read_target(reader *rd, const kv_node *m, rp_target *t)
{
	static const char *const keys[] = {"select", "reject", "fieldPaths", "options", NULL};
	memset(t, 0, sizeof *t);
	t->at = m;
	if (m->type != KV_MAP) {
		bad(rd, m, NULL, "a replacement target must be a map (select, reject, fieldPaths, options), not %s",
		    kv_type_phrase((kv_type)m->type));
		return;
	}
	known_keys(rd, m, "a replacement target (select, reject, fieldPaths, options)", keys);
	const kv_node *sel = map_field(rd, m, "select");
	if (!sel && rd->ok)
		bad(rd, m, "say which objects with select (an empty select: {} selects all)",
		    "a replacement target must select objects");
	else if (sel)
		read_sel(rd, sel, &t->select);
	const kv_node *rej = list_field(rd, m, "reject");
	if (rej && rej->len) {
		t->reject = kv_arena_alloc(rd->r->arena, sizeof *t->reject * rej->len);
		for (uint32_t i = 0; i < rej->len; i++) {
			const kv_node *e = rej->u.items[i];
			if (e->type == KV_MAP)
				read_sel(rd, e, &t->reject[t->nreject++]);
			else if (e->type == KV_NULL)
				bad(rd, e, "remove the empty entry", "an empty reject entry makes kustomize crash");
			else
				bad(rd, e, NULL, "a reject entry must be a map, not %s", kv_type_phrase((kv_type)e->type));
		}
	}
	const kv_node *fps = list_field(rd, m, "fieldPaths");
	if (fps && fps->len) {
		t->paths = kv_arena_alloc(rd->r->arena, sizeof *t->paths * fps->len);
		for (uint32_t i = 0; i < fps->len; i++) {
			const kv_node *e = fps->u.items[i];
			if (yaml11_bool(e))
				bad(rd, e, "quote it to make it a string",
				    "a field path must be a string: kustomize reads %s as a boolean", e->u.s);
			else if (e->type == KV_STRING)
				t->paths[t->npaths++] = e;
			else
				bad(rd, e, NULL, "a field path must be a string, not %s", kv_type_phrase((kv_type)e->type));
		}
	}
	read_opts(rd, m, &t->opts);
}

/* Reads one replacement ({source, targets}); false when it cannot be applied. */
static bool read_repl(reader *rd, const kv_node *m, rp_repl *out)
{
	static const char *const inline_keys[] = {"source", "targets", "path", NULL};
	static const char *const src_keys[] = {"group", "version", "kind", "name", "namespace", "fieldPath", "options", NULL};
	memset(out, 0, sizeof *out);
	out->at = m;
	out->file = rd->file;
	if (m->type != KV_MAP) {
		bad(rd, m, NULL, "a replacement must be a map (source and targets, or path), not %s",
		    kv_type_phrase((kv_type)m->type));
		return false;
	}
	known_keys(rd, m, "a replacement (source, targets, path)", inline_keys);
	const kv_node *src = map_field(rd, m, "source"), *targets = list_field(rd, m, "targets");
	if (!rd->ok)
		return false;
	if (!src || !targets || targets->len == 0) {
		bad(rd, m, "a replacement reads one source (source: {kind: ..., name: ..., fieldPath: ...}) and writes to targets",
		    "replacements must specify a source and at least one target");
		return false;
	}
	out->source_at = src;
	known_keys(rd, src, "a replacement source (group, version, kind, name, namespace, fieldPath, options)", src_keys);
	read_id(rd, src, &out->source);
	out->path = string_field(rd, src, "fieldPath");
	out->path_at = value_of(src, "fieldPath");
	if (!*out->path)
		out->path = DEFAULT_FIELD_PATH;
	read_opts(rd, src, &out->opts);
	out->targets = kv_arena_alloc(rd->r->arena, sizeof *out->targets * targets->len);
	for (uint32_t i = 0; i < targets->len; i++)
		read_target(rd, targets->u.items[i], &out->targets[out->ntargets++]);
	return rd->ok;
}

static void free_repl(rp_repl *rp)
{
	for (size_t i = 0; i < rp->ntargets; i++) {
		rn_select_free(rp->targets[i].select.labels);
		for (size_t j = 0; j < rp->targets[i].nreject; j++)
			rn_select_free(rp->targets[i].reject[j].labels);
	}
}

/* ---- field paths ---- */

typedef struct {
	char **parts; /* render arena */
	size_t n;
} fpath;

static char *dup_n(kv_render *r, const char *s, size_t n)
{
	return kv_arena_strndup(r->arena, s, n);
}

/* Splits as kustomize's SmarterPathSplitter: on dots, where a piece ending in a backslash
 * joins the next with a dot; a piece opening with "[" runs to the piece that closes with
 * "]", and keeps its brackets when it holds "=" (a list item) or loses every bracket at its
 * ends when not (a key with dots). False (with a problem at at) when the path is too long. */
static bool split_path(kv_render *r, const char *s, const kv_node *at, fpath *out)
{
	size_t len = strlen(s), cap = 8, n = 0, dots = 0;
	for (size_t i = 0; i < len; i++)
		dots += s[i] == '.';
	if (dots >= 4 * MAX_PARTS) {
		rn_problem(r, 0, at, KV_RULE_RENDER_LIMIT, NULL, "the field path has more than %d parts", MAX_PARTS);
		return false;
	}
	char **raw = kv_xmalloc(sizeof *raw * cap);
	kv_buf cur = KV_BUF_INIT;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '.') {
			kv_buf_add(&cur, &s[i], 1);
			continue;
		}
		if (i < len && cur.len && cur.data[cur.len - 1] == '\\') {
			cur.data[cur.len - 1] = '.';
			continue;
		}
		KV_GROW(raw, cap, n + 1);
		raw[n++] = dup_n(r, cur.data ? cur.data : "", cur.len);
		kv_buf_truncate(&cur, 0);
	}
	kv_buf_free(&cur);
	out->parts = kv_arena_alloc(r->arena, sizeof *out->parts * n);
	out->n = 0;
	for (size_t i = 0; i < n; i++) {
		const char *e = raw[i];
		size_t el = strlen(e);
		if (e[0] != '[' || (el && e[el - 1] == ']')) {
			out->parts[out->n++] = raw[i];
			continue;
		}
		kv_buf b = KV_BUF_INIT;
		kv_buf_puts(&b, e);
		while (i + 1 < n) {
			i++;
			kv_buf_puts(&b, ".");
			kv_buf_puts(&b, raw[i]);
			size_t l = strlen(raw[i]);
			if (l && raw[i][l - 1] == ']')
				break;
		}
		const char *j = b.data;
		size_t jl = b.len;
		if (!memchr(j, '=', jl)) {
			while (jl && (*j == '[' || *j == ']'))
				j++, jl--;
			while (jl && (j[jl - 1] == '[' || j[jl - 1] == ']'))
				jl--;
		}
		out->parts[out->n++] = dup_n(r, j, jl);
		kv_buf_free(&b);
	}
	free(raw);
	if (out->n > MAX_PARTS) {
		rn_problem(r, 0, at, KV_RULE_RENDER_LIMIT, NULL, "the field path has more than %d parts", MAX_PARTS);
		return false;
	}
	return true;
}

static bool is_list_index(const char *p)
{
	size_t l = strlen(p);
	return l >= 2 && p[0] == '[' && p[l - 1] == ']';
}

/* "[key=value]": key and value in the arena; false without "=". */
static bool split_item(kv_render *r, const char *p, char **key, char **val)
{
	size_t l = strlen(p);
	const char *in = p + 1;
	size_t il = l - 2;
	const char *eq = memchr(in, '=', il);
	if (!eq)
		return false;
	*key = dup_n(r, in, (size_t)(eq - in));
	*val = dup_n(r, eq + 1, il - (size_t)(eq - in) - 1);
	return true;
}

/* Go's strconv.Atoi: an optional sign and decimal digits that fit. */
static bool go_atoi(const char *p, long long *out)
{
	const char *d = p + (*p == '+' || *p == '-');
	if (!*d)
		return false;
	for (const char *c = d; *c; c++)
		if (*c < '0' || *c > '9')
			return false;
	errno = 0;
	*out = strtoll(p, NULL, 10);
	return errno == 0;
}

/* ---- scalars ---- */

/* The text of a plain scalar written at node n's position, when n was read from a file and
 * its text reads back as n: kyaml copies scalars as written ("1.50", "0x1F", "True"). */
static bool written_text(kv_render *r, const kv_node *n, kv_buf *out)
{
	size_t flen;
	const char *text = kv_render_file_text(r, n->src, &flen);
	if (!text || n->line == 0 || n->col == 0)
		return false;
	size_t i = 0;
	for (uint32_t line = 1; line < n->line && i < flen; i++)
		if (text[i] == '\n')
			line++;
	for (uint32_t col = 1; col < n->col && i < flen && text[i] != '\n'; col++) {
		i++; /* one character: its lead byte and continuation bytes */
		while (i < flen && ((unsigned char)text[i] & 0xC0) == 0x80)
			i++;
	}
	size_t start = i;
	while (i < flen && i - start < 64 && !strchr(" \t\r\n,]}#", text[i]))
		i++;
	if (i == start)
		return false;
	kv_node *back = kv_build_plain(r->arena, text + start, i - start, 0, 0);
	bool same = back->type == n->type &&
		    ((n->type == KV_INT && back->u.i == n->u.i) || (n->type == KV_DOUBLE && back->u.d == n->u.d) ||
		     (n->type == KV_BOOL && back->u.b == n->u.b) || n->type == KV_NULL);
	if (same)
		kv_buf_add(out, text + start, i - start);
	return same;
}

/* The text kyaml holds for a node ("" for maps and lists); raw asks for the written form. */
static void node_text(kv_render *r, const kv_node *n, bool raw, kv_buf *out)
{
	switch ((kv_type)n->type) {
	case KV_STRING:
		kv_buf_add(out, n->u.s, n->len);
		return;
	case KV_MAP:
	case KV_LIST:
	case KV_TYPE_COUNT:
		return;
	default:
		break;
	}
	if (raw && written_text(r, n, out))
		return;
	switch ((kv_type)n->type) {
	case KV_NULL:
		if (!raw)
			kv_buf_puts(out, "null");
		break;
	case KV_BOOL:
		kv_buf_puts(out, n->u.b ? "true" : "false");
		break;
	case KV_INT:
		kv_buf_printf(out, "%lld", (long long)n->u.i);
		break;
	case KV_DOUBLE: {
		/* the shortest form that reads back */
		char num[40];
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(num, sizeof num, "%.*g", prec, n->u.d);
			if (strtod(num, NULL) == n->u.d)
				break;
		}
		kv_buf_puts(out, num);
		break;
	}
	default:
		break;
	}
}

/* Reads text as an untagged plain scalar, as go-yaml v3 resolves one (YAML 1.2: "yes" is a
 * string, "010" is ten). The node is made at pos. */
static kv_node *resolve(kv_render *r, const char *text, size_t len, const kv_node *pos)
{
	kv_node *n = kv_build_plain(r->arena, text, len, pos ? pos->line : 0, pos ? pos->col : 0);
	if (n->flags & KV_NF_YAML11) {
		if (n->type == KV_BOOL)
			return rn_new_string(r, text, len, pos);
		if (n->type == KV_INT) {
			const char *d = text + (*text == '-' || *text == '+');
			char digits[72];
			size_t k = 0;
			for (const char *c = d; c < text + len && k + 1 < sizeof digits; c++)
				if (*c != '_')
					digits[k++] = *c;
			digits[k] = '\0';
			bool decimal = k > 0;
			for (size_t i = 0; i < k; i++)
				decimal &= digits[i] >= '0' && digits[i] <= '9';
			if (decimal) {
				errno = 0;
				long long v = strtoll(digits, NULL, 10);
				n->u.i = *text == '-' ? -v : v;
			}
		}
		n->flags &= (uint8_t)~KV_NF_YAML11;
	}
	if (n->type == KV_STRING)
		n->flags |= KV_NF_QUOTED;
	n->src = pos ? pos->src : 0;
	return n;
}

/* A scalar of type want (the tag kyaml keeps on a node it only changes the text of) with
 * text: NULL when the text does not read as that type (kubectl then fails to decode it). */
static kv_node *typed(kv_render *r, kv_type want, const char *text, size_t len, const kv_node *pos)
{
	if (want == KV_STRING)
		return rn_new_string(r, text, len, pos);
	kv_node *n = resolve(r, text, len, pos);
	if (want == KV_DOUBLE && n->type == KV_INT) {
		double d = (double)n->u.i;
		n->type = KV_DOUBLE;
		n->u.d = d;
	}
	if (n->type != want || (want == KV_DOUBLE && !isfinite(n->u.d)))
		return NULL;
	return n;
}

static bool is_scalar(const kv_node *n)
{
	return n->type != KV_MAP && n->type != KV_LIST;
}

/* ---- the value a replacement copies ---- */

typedef struct {
	const kv_node *node; /* the source field: its position and, unrefined, the value itself */
	bool refined;        /* a delimiter took a piece of it: text replaces the node's text */
	kv_buf text;         /* the node's text as kyaml holds it (after refining) */
} rp_value;

/* ---- selecting objects ---- */

static bool gvk_selected(const rn_id *id, const rp_id *s)
{
	return (!*s->group || strcmp(s->group, id->group) == 0) && (!*s->version || strcmp(s->version, id->version) == 0) &&
	       (!*s->kind || (id->kind && strcmp(s->kind, id->kind) == 0));
}

/* The namespace as kustomize's ResId.IsNsEquals compares it: none is "default", whatever
 * the kind (a cluster-scoped object is selected by namespace: default). */
static const char *default_ns(const char *ns)
{
	return ns && *ns ? ns : "default";
}

/* kustomize's ResId.IsSelectedBy for one name and namespace the object has had. */
static bool id_selected(const rn_id *id, const char *name, const char *ns, const rp_id *s)
{
	if (*s->name && strcmp(s->name, name ? name : "") != 0)
		return false;
	if (*s->ns && strcmp(default_ns(s->ns), default_ns(ns)) != 0)
		return false;
	return gvk_selected(id, s);
}

/* Calls ok(id, name, ns) for the object's current and earlier names: true when one does. */
static bool any_id(const rn_res *res, const rp_id *s, const rp_sel *rejects, size_t nrejects)
{
	rn_id id;
	rn_id_of(res, &id);
	for (size_t i = 0; i <= res->nprev; i++) {
		const char *name = i == 0 ? id.name : res->prev[i - 1].name;
		const char *ns = i == 0 ? id.ns : res->prev[i - 1].ns;
		if (!id_selected(&id, name, ns, s))
			continue;
		bool rejected = false;
		for (size_t j = 0; j < nrejects && !rejected; j++)
			rejected = rejects[j].any_id && id_selected(&id, name, ns, &rejects[j].id);
		if (!rejected)
			return true;
	}
	return false;
}

static const char *id_phrase(const rp_id *s, kv_buf *b)
{
	kv_buf_truncate(b, 0);
	const char *parts[] = {s->group, s->version, s->kind, s->name, s->ns};
	const char *names[] = {"group", "version", "kind", "name", "namespace"};
	for (size_t i = 0; i < 5; i++)
		if (*parts[i])
			kv_buf_printf(b, "%s%s %s", b->len ? ", " : "", names[i], parts[i]);
	if (!b->len)
		kv_buf_puts(b, "everything");
	return kv_buf_cstr(b);
}

static const char *obj_phrase(const rn_res *res, kv_buf *b)
{
	kv_buf_truncate(b, 0);
	const char *ns = rn_res_ns(res);
	kv_buf_printf(b, "%s %s%s%s", rn_res_kind(res) ? rn_res_kind(res) : "?", ns && *ns ? ns : "", ns && *ns ? "/" : "",
		      rn_res_name(res) ? rn_res_name(res) : "?");
	return kv_buf_cstr(b);
}

/* ---- reading the source (kyaml's PathGetter) ---- */

/* The item of list l matching "[key=value]" exactly, as ElementMatcher does. */
static const kv_node *find_item(kv_render *r, const kv_node *l, const char *key, const char *val)
{
	kv_buf t = KV_BUF_INIT;
	const kv_node *found = NULL;
	for (uint32_t i = 0; i < l->len && !found; i++) {
		const kv_node *it = l->u.items[i], *v = it;
		if (*key) {
			if (it->type != KV_MAP || !(v = kv_map_get(it, key)))
				continue;
		}
		kv_buf_truncate(&t, 0);
		node_text(r, v, false, &t);
		if (t.len == strlen(val) && memcmp(t.data ? t.data : "", val, t.len) == 0)
			found = it;
	}
	kv_buf_free(&t);
	return found;
}

/* Follows path below obj. Returns 1 with *out, 0 when a part is missing, -1 when the path
 * cannot be followed (*why says why). */
static int lookup(kv_render *r, const kv_node *obj, const fpath *fp, const kv_node **out, kv_buf *why)
{
	const kv_node *n = obj;
	for (size_t i = 0; i < fp->n; i++) {
		const char *p = fp->parts[i];
		while (isspace((unsigned char)*p))
			p++;
		size_t pl = strlen(p);
		while (pl && isspace((unsigned char)p[pl - 1]))
			pl--;
		if (pl == 0)
			continue;
		char *part = dup_n(r, p, pl);
		long long idx;
		if (n->type == KV_NULL)
			return 0;
		bool want_list = go_atoi(part, &idx) || strcmp(part, "-") == 0 || is_list_index(part);
		if (want_list && n->type != KV_LIST) {
			kv_buf_printf(why, "%s needs a list, and finds %s", part, kv_type_phrase((kv_type)n->type));
			return -1;
		}
		if (go_atoi(part, &idx)) {
			if (idx < 0) {
				kv_buf_printf(why, "array index %lld cannot be negative", idx);
				return -1;
			}
			if ((unsigned long long)idx >= n->len)
				return 0;
			n = n->u.items[idx];
		} else if (strcmp(part, "-") == 0) {
			if (n->len == 0)
				return 0;
			n = n->u.items[n->len - 1];
		} else if (is_list_index(part)) {
			char *key, *val;
			if (!split_item(r, part, &key, &val)) {
				kv_buf_printf(why, "%s must be [fieldName=fieldValue] to match a list item", part);
				return -1;
			}
			if (!(n = find_item(r, n, key, val)))
				return 0;
		} else {
			if (n->type != KV_MAP) {
				kv_buf_printf(why, "%s needs a map, and finds %s", part, kv_type_phrase((kv_type)n->type));
				return -1;
			}
			if (!(n = kv_map_get(n, part)))
				return 0;
		}
	}
	*out = n;
	return 1;
}

/* The one object the source selects, or NULL after a problem. */
static const rn_res *source_object(kv_render *r, rn_acc *a, const rp_repl *rp)
{
	kv_buf b = KV_BUF_INIT, o = KV_BUF_INIT, first = KV_BUF_INIT;
	const rn_res *src = NULL;
	for (size_t i = 0; i < a->res.n; i++) {
		if (!any_id(a->res.items[i], &rp->source, NULL, 0))
			continue;
		if (src) {
			rn_problem(r, rp->file, rp->source_at, KV_RULE_RENDER_CONFLICT,
				   "a replacement source must select exactly one object: add kind, name or namespace",
				   "the replacement source (%s) selects more than one object: %s and %s", id_phrase(&rp->source, &b),
				   obj_phrase(src, &first), obj_phrase(a->res.items[i], &o));
			src = NULL;
			goto done;
		}
		src = a->res.items[i];
	}
	if (!src)
		rn_problem(r, rp->file, rp->source_at, KV_RULE_RENDER_CONFLICT, NULL,
			   "the replacement source (%s) selects no object", id_phrase(&rp->source, &b));
done:
	kv_buf_free(&b);
	kv_buf_free(&o);
	kv_buf_free(&first);
	return src;
}

/* Keeps the index-th piece of text between delimiters; false when there is none. */
static bool keep_piece(kv_buf *text, const rp_opts *o)
{
	if (o->index < 0)
		return false;
	const char *s = text->data ? text->data : "", *end = s + text->len, *piece = s, *next;
	for (int64_t k = 0; k < o->index; k++) {
		if (!(next = memmem(piece, (size_t)(end - piece), o->delim, o->dlen)))
			return false;
		piece = next + o->dlen;
	}
	const char *stop = memmem(piece, (size_t)(end - piece), o->delim, o->dlen);
	size_t plen = stop ? (size_t)(stop - piece) : (size_t)(end - piece);
	if (plen)
		memmove(text->data, piece, plen);
	kv_buf_truncate(text, plen);
	return true;
}

/* The replacement's value: the source object, the field at its path, refined by the
 * source's delimiter and index. False after a problem. */
static bool source_value(kv_render *r, rn_acc *a, const rp_repl *rp, rp_value *v)
{
	const rn_res *src = source_object(r, a, rp);
	const kv_node *at = rp->path_at ? rp->path_at : rp->source_at, *n = NULL;
	fpath fp;
	if (!src || !split_path(r, rp->path, at, &fp))
		return false;
	kv_buf why = KV_BUF_INIT, o = KV_BUF_INIT;
	bool ok = false;
	int rc = lookup(r, src->obj, &fp, &n, &why);
	if (rc < 0)
		rn_problem(r, rp->file, at, KV_RULE_RENDER_CONFLICT, NULL, "the source field path %s cannot be read in %s: %s",
			   rp->path, obj_phrase(src, &o), kv_buf_cstr(&why));
	else if (rc == 0 || n->type == KV_NULL || (!is_scalar(n) && n->len == 0))
		rn_problem(r, rp->file, at, KV_RULE_RENDER_CONFLICT, NULL, "the source field %s is %s in %s", rp->path,
			   rc == 0 ? "missing" : "empty", obj_phrase(src, &o));
	else if (rp->opts.dlen && !is_scalar(n))
		rn_problem(r, rp->file, at, KV_RULE_RENDER_CONFLICT, NULL,
			   "the source field %s is %s: a delimiter can only split a scalar", rp->path,
			   kv_type_phrase((kv_type)n->type));
	else
		ok = true;
	if (ok) {
		v->node = n;
		node_text(r, n, true, &v->text);
		kv_buf_truncate(&why, 0);
		kv_buf_add(&why, v->text.data ? v->text.data : "", v->text.len);
		if (rp->opts.dlen && !keep_piece(&v->text, &rp->opts)) {
			rn_problem(r, rp->file, rp->opts.at ? rp->opts.at : rp->source_at, KV_RULE_RENDER_CONFLICT, NULL,
				   "options.index %lld is out of bounds for the source value \"%.80s\" split at \"%s\"",
				   (long long)rp->opts.index, kv_buf_cstr(&why), rp->opts.delim);
			ok = false;
		}
		v->refined = rp->opts.dlen > 0;
	}
	kv_buf_free(&why);
	kv_buf_free(&o);
	return ok;
}

/* ---- writing targets (kyaml's PathMatcher) ---- */

typedef struct {
	kv_node **slot;
	bool fresh; /* made by create: an untagged scalar, read from its new text */
} hit;

typedef struct {
	kv_render *r;
	const kv_node *at; /* the field path (problems, and the position of what create makes) */
	fpath fp;
	kv_type create; /* the value's type when create is on, else KV_TYPE_COUNT */
	hit *hits;
	size_t nhits, cap;
	size_t phantoms; /* fields kustomize "creates" under a null, where they never show */
	unsigned long steps;
	kv_buf why; /* why the walk failed */
	bool failed;
	kv_rule limit; /* the rule of a bound the walk reached (0: none) */
} walker;

static int fail(walker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(walker *w, const char *fmt, ...)
{
	if (!w->failed) {
		va_list ap;
		va_start(ap, fmt);
		kv_buf_vprintf(&w->why, fmt, ap);
		va_end(ap);
		w->failed = true;
	}
	return -1;
}

static bool creating(const walker *w)
{
	return w->create != KV_TYPE_COUNT;
}

static bool is_idx_number(const char *p, long long *idx)
{
	return go_atoi(p, idx) && *idx >= 0;
}

/* What create makes for part i: a list before an item part, the value's type at the end,
 * else a map. */
static kv_node *made_for(walker *w, size_t i)
{
	long long idx;
	if (i == w->fp.n) {
		if (w->create == KV_MAP)
			return rn_new_map(w->r, w->at);
		if (w->create == KV_LIST)
			return rn_new_list(w->r, w->at);
		kv_node *n = rn_new_map(w->r, w->at);
		n->type = KV_NULL;
		return n;
	}
	if (is_list_index(w->fp.parts[i]) || is_idx_number(w->fp.parts[i], &idx))
		return rn_new_list(w->r, w->at);
	return rn_new_map(w->r, w->at);
}

static int walk(walker *w, kv_node **slot, size_t i, bool fresh);

static int add_hit(walker *w, kv_node **slot, bool fresh)
{
	if (w->nhits >= MAX_HITS) {
		w->limit = KV_RULE_RENDER_LIMIT;
		return fail(w, "it selects more than %d fields", MAX_HITS);
	}
	KV_GROW(w->hits, w->cap, w->nhits + 1);
	w->hits[w->nhits++] = (hit){slot, fresh};
	return 0;
}

static int walk_index(walker *w, kv_node **slot, size_t i, long long idx)
{
	kv_node *n = *slot;
	if (n->type != KV_LIST && n->type != KV_NULL)
		return fail(w, "%s needs a list, and finds %s", w->fp.parts[i], kv_type_phrase((kv_type)n->type));
	uint32_t len = n->type == KV_LIST ? n->len : 0;
	if ((unsigned long long)idx == len && creating(w)) {
		if (n->type == KV_NULL) {
			w->phantoms++;
			return 0;
		}
		rn_append(w->r, n, made_for(w, i + 1));
		return walk(w, &n->u.items[len], i + 1, true);
	}
	if ((unsigned long long)idx >= len)
		return fail(w, "index %lld specified but only %u elements found", idx, len);
	return walk(w, &n->u.items[idx], i + 1, false);
}

/* The regular expression of a field path part, compiled once per render. */
static const rn_regex *part_re(walker *w, const char *val)
{
	char why[160];
	const rn_regex *re = rn_regex_cached(w->r, val, why, sizeof why);
	if (!re)
		fail(w, "%s is not a valid regular expression: %s", val, why);
	return re;
}

/* A map or list as YAML text, roughly as kyaml's String() gives it to a pattern (block style,
 * scalars as their text; kyaml keeps each node's own style, so quotes and flow style may
 * differ). Bounded: stops past 64 KiB. */
static void yaml_text(kv_render *r, const kv_node *n, int indent, kv_buf *out)
{
	for (uint32_t i = 0; i < n->len && out->len < 65536; i++) {
		const kv_node *v = n->type == KV_LIST ? n->u.items[i] : n->u.pairs[i].value;
		kv_buf_printf(out, "%*s", indent, "");
		if (n->type == KV_LIST)
			kv_buf_puts(out, "- ");
		else
			kv_buf_printf(out, "%s:%s", n->u.pairs[i].key->u.s, is_scalar(v) || v->len == 0 ? " " : "\n");
		if (is_scalar(v))
			node_text(r, v, true, out);
		else if (v->len == 0)
			kv_buf_puts(out, v->type == KV_LIST ? "[]" : "{}");
		else
			yaml_text(r, v, indent + 2, out);
		if (is_scalar(v) || v->len == 0)
			kv_buf_puts(out, "\n");
	}
}

/* 1 when pattern val finds a match in node n's text, 0 when not, -1 on failure. */
static int item_matches(walker *w, const char *val, const kv_node *n)
{
	const rn_regex *re = part_re(w, val);
	if (!re)
		return -1;
	kv_buf t = KV_BUF_INIT;
	if (is_scalar(n))
		node_text(w->r, n, false, &t);
	else if (n->len == 0)
		kv_buf_puts(&t, n->type == KV_LIST ? "[]" : "{}");
	else
		yaml_text(w->r, n, 0, &t);
	int rc = rn_regex_match(re, t.data, t.len);
	kv_buf_free(&t);
	if (rc >= 0)
		return rc;
	if (rc == RN_RE_LIMIT) {
		w->limit = KV_RULE_LIMIT_REGEX;
		return fail(w, "the pattern %s ran out of its matching budget", val);
	}
	return fail(w, "the pattern %s cannot be matched", val);
}

/* Visits the items "[key=value]" selects: with no key, the items themselves (kustomize stops
 * there, whatever follows); with a key, each map item whose key's value matches. */
static int visit_items(walker *w, kv_node *l, size_t i, const char *key, const char *val, size_t from, bool fresh,
		       size_t *found)
{
	for (size_t j = from; j < l->len; j++) {
		kv_node *it = l->u.items[j];
		const kv_node *v = it;
		if (*key && (it->type != KV_MAP || !(v = kv_map_get(it, key))))
			continue;
		int m = item_matches(w, val, v);
		if (m < 0)
			return -1;
		if (!m)
			continue;
		(*found)++;
		int rc = *key ? walk(w, &l->u.items[j], i + 1, false) : add_hit(w, &l->u.items[j], fresh);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int walk_items(walker *w, kv_node **slot, size_t i)
{
	char *key, *val;
	if (!split_item(w->r, w->fp.parts[i], &key, &val))
		return fail(w, "%s must be [fieldName=fieldValue] to match a list item", w->fp.parts[i]);
	kv_node *n = *slot;
	if (n->type != KV_LIST && n->type != KV_NULL)
		return fail(w, "%s needs a list, and finds %s", w->fp.parts[i], kv_type_phrase((kv_type)n->type));
	size_t found = 0;
	if (n->type == KV_LIST && visit_items(w, n, i, key, val, 0, false, &found) < 0)
		return -1;
	if (found || !creating(w))
		return 0;
	if (n->type == KV_NULL) {
		w->phantoms++;
		return 0;
	}
	/* Create the item, then look again: kustomize loops for ever when the new item does not
	 * match its own pattern; here that is a problem. */
	kv_node *value = resolve(w->r, val, strlen(val), w->at), *item = value;
	if (*key) {
		item = rn_new_map(w->r, w->at);
		rn_set(w->r, item, key, value, w->at);
	}
	size_t at = n->len;
	rn_append(w->r, n, item);
	if (visit_items(w, n, i, key, val, at, true, &found) < 0)
		return -1;
	if (!found)
		return fail(w, "the item %s creates does not match its own pattern (kustomize never stops)", w->fp.parts[i]);
	return 0;
}

static int walk_every(walker *w, kv_node **slot, size_t i)
{
	kv_node *n = *slot;
	if (n->type == KV_NULL)
		return 0;
	if (n->type != KV_LIST)
		return fail(w, "* needs a list, and finds %s", kv_type_phrase((kv_type)n->type));
	for (uint32_t j = 0; j < n->len; j++)
		if (walk(w, &n->u.items[j], i + 1, false) < 0)
			return -1;
	return 0;
}

static int walk_field(walker *w, kv_node **slot, size_t i)
{
	kv_node *n = *slot;
	const char *key = w->fp.parts[i];
	if (n->type == KV_NULL) {
		w->phantoms += creating(w);
		return 0;
	}
	if (n->type != KV_MAP)
		return fail(w, "%s needs a map, and finds %s", key, kv_type_phrase((kv_type)n->type));
	size_t klen = strlen(key);
	for (uint32_t j = 0; j < n->len; j++) {
		const kv_node *k = n->u.pairs[j].key;
		if (k->len == klen && memcmp(k->u.s, key, klen) == 0)
			return walk(w, &n->u.pairs[j].value, i + 1, false);
	}
	if (!creating(w))
		return 0;
	rn_set(w->r, n, key, made_for(w, i + 1), w->at);
	return walk(w, &n->u.pairs[n->len - 1].value, i + 1, true);
}

/* Depth is bounded by the parts of the path (MAX_PARTS). */
static int walk(walker *w, kv_node **slot, size_t i, bool fresh)
{
	if (w->failed)
		return -1;
	if (++w->steps > MAX_STEPS) {
		w->limit = KV_RULE_RENDER_LIMIT;
		return fail(w, "walking it takes more than %lu steps", MAX_STEPS);
	}
	if (i == w->fp.n)
		return add_hit(w, slot, fresh);
	const char *p = w->fp.parts[i];
	long long idx;
	if (is_idx_number(p, &idx))
		return walk_index(w, slot, i, idx);
	if (is_list_index(p))
		return walk_items(w, slot, i);
	if (strcmp(p, "*") == 0)
		return walk_every(w, slot, i);
	return walk_field(w, slot, i);
}

/* ---- setting a field ---- */

/* The value as a node of its own type (a copy of the source field, or its refined text). */
static kv_node *value_node(kv_render *r, const rp_value *v)
{
	if (!v->refined)
		return rn_copy(r, v->node);
	return typed(r, (kv_type)v->node->type, v->text.data ? v->text.data : "", v->text.len, v->node);
}

/* The field's text with the value put among its pieces as kustomize's target delimiter
 * does: in place of the index-th piece, before all of them for a negative index, after them
 * past the end. */
static void splice(const kv_buf *cur, const rp_opts *o, const kv_buf *val, kv_buf *out)
{
	const char *v = val->data ? val->data : "";
	const char *s = cur->data ? cur->data : "", *end = s + cur->len, *piece = s, *next;
	bool placed = false;
	if (o->index < 0) {
		kv_buf_add(out, v, val->len);
		kv_buf_add(out, o->delim, o->dlen);
	}
	for (int64_t k = 0;; k++) {
		next = memmem(piece, (size_t)(end - piece), o->delim, o->dlen);
		size_t plen = next ? (size_t)(next - piece) : (size_t)(end - piece);
		if (k == o->index) {
			kv_buf_add(out, v, val->len);
			placed = true;
		} else {
			kv_buf_add(out, piece, plen);
		}
		if (!next)
			break;
		kv_buf_add(out, o->delim, o->dlen);
		piece = next + o->dlen;
	}
	if (!placed && o->index >= 0) {
		kv_buf_add(out, o->delim, o->dlen);
		kv_buf_add(out, v, val->len);
	}
}

/* Sets one selected field as kustomize's setFieldValue: a scalar field keeps its type and
 * takes the new text (a field create made takes the type its text reads as); anything else
 * becomes the value. */
static bool set_field(kv_render *r, const rp_target *t, const kv_node *fp_at, const rn_res *res, const rp_value *v,
		      const hit *h)
{
	kv_node *old = *h->slot, *now;
	kv_buf text = KV_BUF_INIT, o = KV_BUF_INIT;
	if (t->opts.dlen && !is_scalar(old)) {
		rn_problem(r, 0, fp_at, KV_RULE_RENDER_CONFLICT, NULL,
			   "%s in %s is %s: a delimiter can only be used with a scalar field", fp_at->u.s, obj_phrase(res, &o),
			   kv_type_phrase((kv_type)old->type));
		now = NULL;
	} else if (t->opts.dlen) {
		kv_buf cur = KV_BUF_INIT;
		node_text(r, old, true, &cur); /* a made item holds its pattern's text, a made field none */
		splice(&cur, &t->opts, &v->text, &text);
		kv_buf_free(&cur);
	} else {
		kv_buf_add(&text, v->text.data ? v->text.data : "", v->text.len);
	}
	const char *s = text.data ? text.data : "";
	if (t->opts.dlen && !is_scalar(old))
		now = NULL;
	else if (!is_scalar(old) && !(now = value_node(r, v)))
		rn_problem(r, 0, v->node, KV_RULE_RENDER_CONFLICT, NULL,
			   "the refined source value \"%.80s\" is no longer %s: kubectl fails to decode it", s,
			   kv_type_phrase((kv_type)v->node->type));
	else if (is_scalar(old) && h->fresh)
		now = resolve(r, s, text.len, v->node);
	else if (is_scalar(old) && !(now = typed(r, (kv_type)old->type, s, text.len, v->node)))
		rn_problem(r, 0, fp_at, KV_RULE_RENDER_CONFLICT,
			   "kustomize keeps the type of a scalar it replaces; make the source value fit, or the field a string",
			   "%s in %s is %s, and the replacement value \"%.80s\" is not one: kubectl fails to decode it", fp_at->u.s,
			   obj_phrase(res, &o), kv_type_phrase((kv_type)old->type), s);
	if (now)
		*h->slot = now;
	kv_buf_free(&text);
	kv_buf_free(&o);
	return now != NULL;
}

/* Applies the value to one field path of one target object. */
static bool apply_path(kv_render *r, const rp_target *t, const kv_node *fp_at, const char *path, rn_res *res,
		       const rp_value *v)
{
	kv_buf o = KV_BUF_INIT;
	walker w = {.r = r, .at = fp_at, .create = t->opts.create ? (kv_type)v->node->type : KV_TYPE_COUNT};
	if (w.create != KV_TYPE_COUNT && is_scalar(v->node))
		w.create = KV_STRING; /* any scalar: the new field is untagged */
	if (!split_path(r, path, fp_at, &w.fp))
		return false;
	bool ok = true;
	walk(&w, &res->obj, 0, false);
	const char *verb = creating(&w) ? "find or create" : "find";
	if (w.failed) {
		rn_problem(r, 0, fp_at, w.limit ? w.limit : KV_RULE_RENDER_CONFLICT, NULL,
			   "unable to %s %s in %s: %s", verb, path, obj_phrase(res, &o), kv_buf_cstr(&w.why));
		ok = false;
	} else if (w.nhits == 0 && w.phantoms == 0) {
		rn_problem(r, 0, fp_at, KV_RULE_RENDER_CONFLICT,
			   creating(&w) ? NULL : "kustomize refuses a target field that is not there; add options: {create: true} to make it",
			   "unable to %s %s in %s", verb, path, obj_phrase(res, &o));
		ok = false;
	}
	for (size_t i = 0; ok && i < w.nhits; i++)
		ok = set_field(r, t, fp_at, res, v, &w.hits[i]);
	free(w.hits);
	kv_buf_free(&w.why);
	kv_buf_free(&o);
	return ok;
}

/* 1 when sel's label and annotation selectors match res (or it has none), 0, -1 on failure. */
static int labels_match(kv_render *r, const rp_sel *sel, const rn_res *res)
{
	return sel->labels ? rn_select_match(r, sel->labels, res) : 1;
}

/* Whether target t takes res: its select (labels and identity), and none of its rejects. */
static int takes(kv_render *r, const rp_target *t, const rn_res *res)
{
	int m = labels_match(r, &t->select, res);
	if (m <= 0)
		return m;
	for (size_t j = 0; j < t->nreject; j++) {
		if (!t->reject[j].labels)
			continue;
		if ((m = labels_match(r, &t->reject[j], res)) != 0)
			return m > 0 ? 0 : -1;
	}
	return any_id(res, &t->select.id, t->reject, t->nreject) ? 1 : 0;
}

static bool apply_target(kv_render *r, rn_acc *a, const rp_target *t, const rp_value *v)
{
	bool ok = true;
	for (size_t i = 0; i < a->res.n; i++) {
		rn_res *res = a->res.items[i];
		int m = takes(r, t, res);
		if (m < 0)
			return false;
		if (!m)
			continue;
		if (t->npaths == 0)
			ok &= apply_path(r, t, t->at, DEFAULT_FIELD_PATH, res, v);
		for (size_t j = 0; j < t->npaths; j++)
			ok &= apply_path(r, t, t->paths[j], t->paths[j]->u.s, res, v);
	}
	return ok;
}

static bool apply_repl(kv_render *r, rn_acc *a, const rp_repl *rp)
{
	rp_value v = {.text = KV_BUF_INIT};
	bool ok = source_value(r, a, rp, &v);
	for (size_t i = 0; ok && i < rp->ntargets; i++)
		ok &= apply_target(r, a, &rp->targets[i], &v);
	kv_buf_free(&v.text);
	return ok;
}

/* ---- the kustomization's entries ---- */

static bool one(kv_render *r, rn_acc *a, const kv_node *m, uint16_t file, bool strict)
{
	reader rd = {r, file, strict, true};
	rp_repl rp;
	bool ok = read_repl(&rd, m, &rp) && apply_repl(r, a, &rp);
	free_repl(&rp);
	return ok;
}

/* `path: file`: a replacement, or a list of them, read from the first document of the file
 * (kustomize ignores unknown fields there). */
static bool from_file(kv_render *r, const rn_kust *k, rn_acc *a, const kv_node *entry, const kv_node *path)
{
	const kv_pair *s = entry_of(entry, "source"), *t = entry_of(entry, "targets");
	if ((s && s->value->type != KV_NULL) || (t && t->value->type == KV_LIST && t->value->len)) {
		rn_problem(r, k->src, path, KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   "a replacement has either a path or source and targets, not both");
		return false;
	}
	uint16_t file = rn_kust_file(r, k, path);
	if (!file)
		return false;
	kv_node **docs;
	size_t n = rn_load_docs(r, file, &docs);
	const kv_node *doc = n ? docs[0] : NULL;
	if (!doc || (doc->type != KV_MAP && doc->type != KV_LIST)) {
		rn_problem(r, file, doc, KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   "a replacement file must hold a replacement or a list of them, not %s",
			   doc ? kv_type_phrase((kv_type)doc->type) : "nothing");
		return false;
	}
	if (doc->type == KV_MAP)
		return one(r, a, doc, file, false);
	bool ok = true;
	for (uint32_t i = 0; i < doc->len; i++)
		ok &= one(r, a, doc->u.items[i], file, false);
	return ok;
}

int rn_replacements(kv_render *r, const rn_kust *k, rn_acc *a)
{
	const kv_node *list = kv_map_get(k->root, "replacements");
	if (!list || list->type != KV_LIST)
		return 0;
	bool ok = true;
	for (uint32_t i = 0; i < list->len; i++) {
		const kv_node *e = list->u.items[i];
		const kv_node *path = value_of(e, "path");
		if (path && path->type == KV_STRING && path->len)
			ok &= from_file(r, k, a, e, path);
		else if (path && path->type != KV_STRING) {
			rn_problem(r, k->src, path, KV_RULE_RENDER_KUSTOMIZATION, NULL, "path must be a string, not %s",
				   kv_type_phrase((kv_type)path->type));
			ok = false;
		} else
			ok &= one(r, a, e, k->src, true);
	}
	if (list->len)
		rn_list_touch(&a->res);
	return ok ? 0 : -1;
}
