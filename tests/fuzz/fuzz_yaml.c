/* fuzz_yaml.c: libFuzzer target for the loaders. Each input is read as a YAML stream and as a
 * JSON text under small bounds, and every document is walked to check the tree's invariants. */
#include "kvet/arena.h"
#include "kvet/diag.h"
#include "kvet/node.h"
#include "kvet/yaml.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Small enough that one run stays in milliseconds, large enough to reach both limits. */
#define FUZZ_DEPTH 48u
#define FUZZ_ALIAS_NODES 4000u
/* Keys are checked for uniqueness pairwise, so only in maps up to this size. */
#define UNIQUE_CHECK_MAX 64u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const kv_node *n, const char *what)
{
	fprintf(stderr, "fuzz_yaml: invariant broken at %u:%u: %s\n", n->line, n->col, what);
	abort();
}

static bool same_string(const kv_node *a, const kv_node *b)
{
	return a->len == b->len && memcmp(a->u.s, b->u.s, a->len) == 0;
}

static void check_map_keys(const kv_node *n)
{
	for (uint32_t i = 0; i < n->len; i++) {
		const kv_pair *p = &n->u.pairs[i];
		if (!p->key || !p->value)
			broken(n, "a map entry without key or value");
		if (p->key->type != KV_STRING)
			broken(p->key, "a map key that is not a string");
	}
	if (n->len > UNIQUE_CHECK_MAX)
		return;
	for (uint32_t i = 1; i < n->len; i++)
		for (uint32_t j = 0; j < i; j++)
			if (same_string(n->u.pairs[j].key, n->u.pairs[i].key))
				broken(n->u.pairs[i].key, "a map key that is not unique");
}

/* Counts nodes as expanded (shared nodes once per reference). The loader bounds both the
 * nesting (limits.depth) and the expansion (limits.aliasNodes), so neither the recursion nor
 * the count can run away; a tree deeper than the limit is a loader bug. */
static size_t count_nodes(const kv_node *n, uint32_t depth, uint32_t max_depth)
{
	if (!n)
		broken(&(kv_node){0}, "a NULL node inside a tree");
	if (depth > max_depth)
		broken(n, "a tree deeper than limits.depth");
	if (n->type >= KV_TYPE_COUNT)
		broken(n, "an unknown node type");
	if (n->line == 0 || n->col == 0)
		broken(n, "a node without a position");
	size_t count = 1;
	switch (n->type) {
	case KV_STRING:
		if (!n->u.s || n->u.s[n->len] != '\0')
			broken(n, "a string that is not NUL-terminated at its length");
		break;
	case KV_LIST:
		for (uint32_t i = 0; i < n->len; i++)
			count += count_nodes(n->u.items[i], depth + 1, max_depth);
		break;
	case KV_MAP:
		check_map_keys(n);
		for (uint32_t i = 0; i < n->len; i++)
			count += count_nodes(n->u.pairs[i].value, depth + 1, max_depth);
		break;
	default:
		break;
	}
	return count;
}

/* Copies and compares the tree as the checks do. The comparison is not asserted: a NaN is
 * rightly unequal to itself. */
static void exercise_tree(const kv_node *root, kv_arena *scratch)
{
	kv_node *copy = kv_node_clone(scratch, root);
	(void)kv_node_equal(root, copy);
	(void)kv_map_get(root, "apiVersion");
	(void)kv_str(kv_map_get(root, "kind"));
	kv_arena_reset(scratch);
}

static void check_findings(kv_diags *d)
{
	kv_finding *f;
	size_t n;
	kv_diags_take(d, &f, &n);
	kv_findings_sort(f, n);
	for (size_t i = 0; i < n; i++) {
		if (f[i].rule >= KV_RULE_COUNT || !f[i].message)
			abort();
		kv_finding_free(&f[i]);
	}
	free(f);
}

static void load(const char *text, size_t len, kv_syntax syntax)
{
	kv_limits lim;
	kv_limits_default(&lim);
	lim.depth = FUZZ_DEPTH;
	lim.alias_nodes = FUZZ_ALIAS_NODES;
	kv_arena *arena = kv_arena_new(), *scratch = kv_arena_new();
	kv_diags d;
	kv_diags_init(&d, NULL, 0);
	kv_diags_set_source(&d, text, len, 1);
	kv_loader *l = kv_loader_new(text, len, syntax, &lim, &d);
	kv_doc doc;
	while (kv_loader_next(l, arena, &doc) == 1) {
		if (doc.root) {
			/* Scalars sit one level below the deepest collection. */
			size_t nodes = count_nodes(doc.root, 1, lim.depth + 1);
			if (nodes > (size_t)lim.alias_nodes + 2 * len + 1)
				broken(doc.root, "more nodes than the text and the alias budget allow");
			exercise_tree(doc.root, scratch);
		}
		kv_arena_reset(arena);
	}
	(void)kv_loader_count(l);
	kv_loader_free(l);
	check_findings(&d);
	kv_diags_free(&d);
	kv_arena_free(scratch);
	kv_arena_free(arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so reads past the end are caught even when the caller's buffer is
	 * larger (the replay driver, a corpus file in memory). */
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	load(text, size, KV_SYNTAX_YAML);
	load(text, size, KV_SYNTAX_JSON);
	free(text);
	return 0;
}
