/* load.c: libyaml events to value trees, one document at a time. Collections are built on an
 * explicit stack (never by recursion), aliases share the anchored node and are charged their
 * expanded size against a budget, and merge keys are applied when their map ends. */
#include "kvet/yaml.h"

#include "build.h"
#include "json.h"
#include "kvet/alloc.h"
#include "kvet/map.h"
#include "kvet/strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

void kv_limits_default(kv_limits *lim)
{
	lim->file_size = KV_LIMIT_FILE_SIZE_DEFAULT;
	lim->depth = KV_LIMIT_DEPTH_DEFAULT;
	lim->alias_nodes = KV_LIMIT_ALIAS_NODES_DEFAULT;
	lim->documents = KV_LIMIT_DOCUMENTS_DEFAULT;
}

kv_syntax kv_syntax_for_path(const char *path)
{
	const char *dot = strrchr(path, '.');
	return dot && (strcmp(dot, ".json") == 0 || strcmp(dot, ".JSON") == 0) ? KV_SYNTAX_JSON
										 : KV_SYNTAX_YAML;
}

struct frame {
	size_t start; /* first child on the value stack */
	uint32_t line, col;
	bool is_map;
	char *anchor; /* owned; registered when the collection ends */
};

struct anchor {
	char *name;
	kv_node *node;
	uint64_t weight;
};

struct kv_loader {
	const char *data;
	size_t len;
	kv_syntax syntax;
	kv_limits lim;
	kv_diags *diags;
	bool parser_ready, finished;
	yaml_parser_t parser;
	uint32_t ndocs;
	uint32_t doc_line;
	uint64_t expanded; /* alias budget used in this document */
	kv_arena *arena;   /* the current document's arena */
	/* Children waiting for their collection to end; weights count nodes as expanded. */
	kv_node **vals;
	uint64_t *weights;
	size_t nvals, capvals, capweights;
	struct frame *frames;
	size_t nframes, capframes;
	struct anchor *anchors;
	size_t nanchors, capanchors;
	kv_map *anchor_index; /* name -> index + 1 of its latest definition; made at the first */
	kv_pair *scratch;
	size_t capscratch;
};

static bool check_encoding(kv_loader *l)
{
	const char *p = l->data;
	size_t n = l->len;
	if (n >= 2 && (((unsigned char)p[0] == 0xFF && (unsigned char)p[1] == 0xFE) ||
		       ((unsigned char)p[0] == 0xFE && (unsigned char)p[1] == 0xFF))) {
		kv_diag(l->diags, KV_RULE_YAML_ENCODING, 0, 0, NULL, "convert the file to UTF-8",
			"the file is UTF-16; kvet reads UTF-8");
		return false;
	}
	const char *nul = memchr(p, '\0', n);
	if (nul) {
		kv_diag(l->diags, KV_RULE_YAML_ENCODING, 0, 0, NULL, NULL,
			"binary file: a NUL byte at offset %zu", (size_t)(nul - p));
		return false;
	}
	size_t bad;
	if (!kv_utf8_valid(p, n, &bad)) {
		uint32_t line = 1;
		size_t ls = 0;
		for (size_t i = 0; i < bad; i++)
			if (p[i] == '\n')
				line++, ls = i + 1;
		uint32_t col = (uint32_t)kv_utf8_count(p + ls, bad - ls) + 1;
		kv_diag(l->diags, KV_RULE_YAML_ENCODING, line, col, NULL, NULL,
			"invalid UTF-8: byte 0x%02x", (unsigned char)p[bad]);
		return false;
	}
	return true;
}

kv_loader *kv_loader_new(const char *data, size_t len, kv_syntax syntax, const kv_limits *lim,
			 kv_diags *diags)
{
	kv_loader *l = kv_xcalloc(1, sizeof *l);
	l->data = data;
	l->len = len;
	l->syntax = syntax;
	l->lim = *lim;
	l->diags = diags;
	if (!check_encoding(l)) {
		l->finished = true;
		return l;
	}
	if (syntax == KV_SYNTAX_YAML) {
		yaml_parser_initialize(&l->parser);
		yaml_parser_set_input_string(&l->parser, (const unsigned char *)data, len);
		l->parser_ready = true;
	}
	return l;
}

static void drop_anchors(kv_loader *l)
{
	for (size_t i = 0; i < l->nanchors; i++)
		free(l->anchors[i].name);
	l->nanchors = 0;
	kv_map_free(l->anchor_index);
	l->anchor_index = NULL;
}

static void drop_frames(kv_loader *l)
{
	for (size_t i = 0; i < l->nframes; i++)
		free(l->frames[i].anchor);
	l->nframes = 0;
	l->nvals = 0;
}

void kv_loader_free(kv_loader *l)
{
	if (!l)
		return;
	if (l->parser_ready)
		yaml_parser_delete(&l->parser);
	drop_anchors(l);
	drop_frames(l);
	free(l->vals);
	free(l->weights);
	free(l->frames);
	free(l->anchors);
	free(l->scratch);
	free(l);
}

uint32_t kv_loader_count(const kv_loader *l)
{
	return l->ndocs;
}

static void push_val(kv_loader *l, kv_node *n, uint64_t weight)
{
	KV_GROW(l->vals, l->capvals, l->nvals + 1);
	KV_GROW(l->weights, l->capweights, l->nvals + 1);
	l->vals[l->nvals] = n;
	l->weights[l->nvals] = weight;
	l->nvals++;
}

/* Hashed, so many aliases to many anchors stay linear. */
static struct anchor *find_anchor(kv_loader *l, const char *name)
{
	uint64_t *slot = l->anchor_index ? kv_map_find(l->anchor_index, name, strlen(name)) : NULL;
	return slot ? &l->anchors[*slot - 1] : NULL;
}

/* Anchors may be redefined; the index then points at the latest definition. */
static void add_anchor(kv_loader *l, char *name, kv_node *n, uint64_t weight)
{
	KV_GROW(l->anchors, l->capanchors, l->nanchors + 1);
	l->anchors[l->nanchors++] = (struct anchor){name, n, weight};
	if (!l->anchor_index)
		l->anchor_index = kv_map_new();
	*kv_map_slot(l->anchor_index, name, strlen(name), NULL) = l->nanchors;
}

static uint32_t ev_line(const yaml_event_t *e)
{
	return (uint32_t)e->start_mark.line + 1;
}

static uint32_t ev_col(const yaml_event_t *e)
{
	return (uint32_t)e->start_mark.column + 1;
}

static bool is_str_tag(const unsigned char *tag)
{
	return tag && (strcmp((const char *)tag, "!") == 0 ||
		       strcmp((const char *)tag, YAML_STR_TAG) == 0);
}

static int on_scalar(kv_loader *l, yaml_event_t *e)
{
	const char *s = (const char *)e->data.scalar.value;
	size_t len = e->data.scalar.length;
	kv_node *n;
	bool plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	const struct frame *top = l->nframes ? &l->frames[l->nframes - 1] : NULL;
	bool is_key = top && top->is_map && (l->nvals - top->start) % 2 == 0;
	if (!plain || is_key || is_str_tag(e->data.scalar.tag)) {
		/* Keys keep their text as written: `1: x` has the key "1". */
		n = kv_build_string(l->arena, s, len, ev_line(e), ev_col(e));
		if (!plain)
			n->flags |= KV_NF_QUOTED;
	} else {
		n = kv_build_plain(l->arena, s, len, ev_line(e), ev_col(e));
	}
	if (e->data.scalar.anchor)
		add_anchor(l, kv_xstrdup((const char *)e->data.scalar.anchor), n, 1);
	push_val(l, n, 1);
	return 0;
}

static int on_alias(kv_loader *l, yaml_event_t *e)
{
	const char *name = (const char *)e->data.alias.anchor;
	struct anchor *a = find_anchor(l, name);
	if (!a) {
		kv_diag(l->diags, KV_RULE_YAML_ANCHOR, ev_line(e), ev_col(e), NULL, NULL,
			"alias *%s names no anchor defined before it", name);
		push_val(l, kv_build_node(l->arena, KV_NULL, ev_line(e), ev_col(e)), 1);
		return 0;
	}
	l->expanded += a->weight;
	if (l->expanded > l->lim.alias_nodes) {
		kv_diag(l->diags, KV_RULE_LIMIT_ALIASES, ev_line(e), ev_col(e), NULL,
			"raise limits.aliasNodes if this is intended",
			"aliases expand to more than %llu nodes",
			(unsigned long long)l->lim.alias_nodes);
		return -1;
	}
	push_val(l, a->node, a->weight);
	return 0;
}

static int on_start(kv_loader *l, yaml_event_t *e, bool is_map)
{
	if (l->nframes >= l->lim.depth) {
		kv_diag(l->diags, KV_RULE_LIMIT_DEPTH, ev_line(e), ev_col(e), NULL,
			"raise limits.depth if this is intended", "nesting deeper than %u levels",
			l->lim.depth);
		return -1;
	}
	const unsigned char *anchor = is_map ? e->data.mapping_start.anchor
					     : e->data.sequence_start.anchor;
	KV_GROW(l->frames, l->capframes, l->nframes + 1);
	l->frames[l->nframes++] = (struct frame){
		.start = l->nvals,
		.line = ev_line(e),
		.col = ev_col(e),
		.is_map = is_map,
		.anchor = anchor ? kv_xstrdup((const char *)anchor) : NULL,
	};
	return 0;
}

static kv_node *end_list(kv_loader *l, struct frame *f)
{
	size_t n = l->nvals - f->start;
	kv_node *list = kv_build_node(l->arena, KV_LIST, f->line, f->col);
	list->u.items = kv_arena_alloc(l->arena, sizeof(kv_node *) * (n ? n : 1));
	if (n)
		memcpy(list->u.items, l->vals + f->start, sizeof(kv_node *) * n);
	list->len = (uint32_t)n;
	return list;
}

/* Keys reached through an alias may be any node: scalars become their text, as the Go
 * YAML-to-JSON conversion does; collections cannot be keys. */
static kv_node *key_string(kv_loader *l, kv_node *k)
{
	char buf[64];
	switch (k->type) {
	case KV_STRING:
		return k;
	case KV_NULL:
		snprintf(buf, sizeof buf, "null");
		break;
	case KV_BOOL:
		snprintf(buf, sizeof buf, "%s", k->u.b ? "true" : "false");
		break;
	case KV_INT:
		snprintf(buf, sizeof buf, "%lld", (long long)k->u.i);
		break;
	case KV_DOUBLE:
		snprintf(buf, sizeof buf, "%g", k->u.d);
		break;
	default:
		kv_diag(l->diags, KV_RULE_YAML_KEY, k->line, k->col, NULL, NULL,
			"%s used as a mapping key; Kubernetes keys are strings",
			kv_type_phrase((kv_type)k->type));
		return NULL;
	}
	return kv_build_string(l->arena, buf, strlen(buf), k->line, k->col);
}

static bool is_merge_key(const kv_node *k)
{
	return k->type == KV_STRING && !(k->flags & KV_NF_QUOTED) && k->len == 2 &&
	       k->u.s[0] == '<' && k->u.s[1] == '<';
}

/* The map being built by merges: keys already present win over merged ones, and among merged
 * maps the earlier wins. Keys are hashed, so a large map merged into a large map stays linear. */
typedef struct {
	kv_pair *pairs;
	size_t n, cap;
	kv_map *keys;
} merged;

static bool add_if_absent(merged *m, const kv_pair *p)
{
	bool added;
	kv_map_slot(m->keys, p->key->u.s, p->key->len, &added);
	if (!added)
		return false;
	KV_GROW(m->pairs, m->cap, m->n + 1);
	m->pairs[m->n++] = *p;
	return true;
}

static int merge_from(kv_loader *l, merged *m, const kv_node *src, const kv_node *at)
{
	if (src->type == KV_NULL)
		return 0; /* nothing to merge; an unresolved alias was already reported */
	if (src->type != KV_MAP) {
		kv_diag(l->diags, KV_RULE_YAML_SYNTAX, at->line, at->col, NULL, NULL,
			"a merge key (<<) takes a map or a list of maps, not %s",
			kv_type_phrase((kv_type)src->type));
		return 0;
	}
	l->expanded += src->len;
	if (l->expanded > l->lim.alias_nodes) {
		kv_diag(l->diags, KV_RULE_LIMIT_ALIASES, at->line, at->col, NULL,
			"raise limits.aliasNodes if this is intended",
			"merge keys expand to more than %llu nodes",
			(unsigned long long)l->lim.alias_nodes);
		return -1;
	}
	for (uint32_t i = 0; i < src->len; i++)
		add_if_absent(m, &src->u.pairs[i]);
	return 0;
}

static int apply_merges(kv_loader *l, kv_node *map, kv_node **merges, size_t nmerges)
{
	merged m = {NULL, 0, 0, kv_map_new()};
	for (uint32_t i = 0; i < map->len; i++)
		add_if_absent(&m, &map->u.pairs[i]);
	int rc = 0;
	for (size_t k = 0; k < nmerges && rc == 0; k++) {
		kv_node *v = merges[k];
		if (v->type == KV_LIST) {
			for (uint32_t i = 0; i < v->len && rc == 0; i++)
				rc = merge_from(l, &m, v->u.items[i], v);
		} else {
			rc = merge_from(l, &m, v, v);
		}
	}
	map->u.pairs = kv_arena_alloc(l->arena, (m.n ? m.n : 1) * sizeof *m.pairs);
	if (m.n)
		memcpy(map->u.pairs, m.pairs, m.n * sizeof *m.pairs);
	map->len = (uint32_t)m.n;
	free(m.pairs);
	kv_map_free(m.keys);
	return rc;
}

static int end_map(kv_loader *l, struct frame *f, kv_node **result)
{
	size_t nv = l->nvals - f->start;
	KV_GROW(l->scratch, l->capscratch, nv / 2 + 1);
	kv_node *merges[8];
	size_t np = 0, nmerges = 0;
	for (size_t i = 0; i + 1 < nv; i += 2) {
		kv_node *k = l->vals[f->start + i], *v = l->vals[f->start + i + 1];
		if (is_merge_key(k) && nmerges < sizeof merges / sizeof merges[0]) {
			merges[nmerges++] = v;
			continue;
		}
		k = key_string(l, k);
		if (k)
			l->scratch[np++] = (kv_pair){k, v};
	}
	kv_node *map = kv_build_map(l->arena, l->scratch, np, f->line, f->col, l->diags);
	*result = map;
	return nmerges ? apply_merges(l, map, merges, nmerges) : 0;
}

static int on_end(kv_loader *l)
{
	struct frame f = l->frames[--l->nframes];
	uint64_t weight = 1;
	for (size_t i = f.start; i < l->nvals; i++)
		weight += l->weights[i];
	kv_node *n;
	int rc = 0;
	if (f.is_map)
		rc = end_map(l, &f, &n);
	else
		n = end_list(l, &f);
	l->nvals = f.start;
	if (f.anchor)
		add_anchor(l, f.anchor, n, weight);
	push_val(l, n, weight);
	return rc;
}

static void syntax_error(kv_loader *l)
{
	yaml_parser_t *p = &l->parser;
	const char *problem = p->problem ? p->problem : "malformed YAML";
	uint32_t line = (uint32_t)p->problem_mark.line + 1, col = (uint32_t)p->problem_mark.column + 1;
	if (p->context) {
		char hint[160];
		snprintf(hint, sizeof hint, "%s at line %zu column %zu", p->context,
			 p->context_mark.line + 1, p->context_mark.column + 1);
		kv_diag(l->diags, KV_RULE_YAML_SYNTAX, line, col, NULL, hint, "%s", problem);
	} else {
		kv_diag(l->diags, KV_RULE_YAML_SYNTAX, line, col, NULL, NULL, "%s", problem);
	}
}

static void start_document(kv_loader *l, const yaml_event_t *e)
{
	drop_anchors(l);
	drop_frames(l);
	l->expanded = 0;
	l->doc_line = ev_line(e);
}

static int finish_document(kv_loader *l, const yaml_event_t *e, kv_doc *doc)
{
	if (l->ndocs >= l->lim.documents) {
		kv_diag(l->diags, KV_RULE_LIMIT_DOCUMENTS, l->doc_line, 1, NULL,
			"raise limits.documents if this is intended",
			"more than %u documents in one file", l->lim.documents);
		return -1;
	}
	kv_node *root = l->nvals ? l->vals[0] : NULL;
	/* An empty document is a null scalar with no text: only comments or markers. */
	if (root && root->type == KV_NULL && l->nvals == 1)
		root = NULL;
	*doc = (kv_doc){root, l->ndocs++, l->doc_line, (uint32_t)e->end_mark.line + 1};
	l->nvals = 0;
	return 1;
}

/* Handles one event; returns 1 when a document is complete, 0 to go on, -1 to stop. */
static int on_event(kv_loader *l, yaml_event_t *e, kv_doc *doc)
{
	switch (e->type) {
	case YAML_DOCUMENT_START_EVENT:
		start_document(l, e);
		return 0;
	case YAML_DOCUMENT_END_EVENT:
		return finish_document(l, e, doc);
	case YAML_STREAM_END_EVENT:
		l->finished = true;
		return 0;
	case YAML_SCALAR_EVENT:
		return on_scalar(l, e);
	case YAML_ALIAS_EVENT:
		return on_alias(l, e);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(l, e, false);
	case YAML_MAPPING_START_EVENT:
		return on_start(l, e, true);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(l);
	default:
		return 0;
	}
}

static int next_yaml(kv_loader *l, kv_doc *doc)
{
	while (!l->finished) {
		yaml_event_t e;
		if (!yaml_parser_parse(&l->parser, &e)) {
			syntax_error(l);
			l->finished = true;
			return -1;
		}
		int rc = on_event(l, &e, doc);
		yaml_event_delete(&e);
		if (rc < 0)
			l->finished = true;
		if (rc)
			return rc;
	}
	return 0;
}

int kv_loader_next(kv_loader *l, kv_arena *arena, kv_doc *doc)
{
	if (l->finished)
		return 0;
	l->arena = arena;
	if (l->syntax == KV_SYNTAX_JSON) {
		l->finished = true;
		kv_node *root;
		if (kv_json_parse(&root, l->data, l->len, &l->lim, arena, l->diags) < 0)
			return -1;
		uint32_t end = 1;
		for (size_t i = 0; i < l->len; i++)
			end += l->data[i] == '\n';
		*doc = (kv_doc){root, l->ndocs++, 1, end};
		return 1;
	}
	return next_yaml(l, doc);
}
