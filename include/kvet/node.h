/* node.h: the value tree every loader produces: null, bool, int64, double, string, list and
 * map, each node with the line and column it came from. Trees are immutable after loading and
 * live in an arena; aliases share nodes, so a tree may be a DAG but never has a cycle. */
#ifndef KVET_NODE_H
#define KVET_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvet/arena.h"
#include "kvet/buf.h"

#define KV_TYPES(X)              \
	X(NULL, "null")          \
	X(BOOL, "boolean")       \
	X(INT, "integer")        \
	X(DOUBLE, "number")      \
	X(STRING, "string")      \
	X(LIST, "list")          \
	X(MAP, "map")

typedef enum {
#define X(e, s) KV_##e,
	KV_TYPES(X)
#undef X
	KV_TYPE_COUNT
} kv_type;

enum {
	KV_NF_QUOTED = 1 << 0, /* a quoted or block scalar: always a string */
	KV_NF_YAML11 = 1 << 1, /* a plain scalar whose YAML 1.1 and 1.2 readings differ */
	KV_NF_BIGNUM = 1 << 2, /* an integer literal too large for int64, held as a double */
};

typedef struct kv_node kv_node;
typedef struct kv_pair kv_pair;

struct kv_node {
	uint8_t type;  /* kv_type */
	uint8_t flags; /* KV_NF_* */
	uint16_t src;  /* which file line and col are in: 0 for the document's own; rendering
			* numbers the files it reads (kv_node_set_source) */
	uint32_t line, col;
	uint32_t len; /* bytes of a string; items of a list or map */
	union {
		bool b;
		int64_t i;
		double d;
		const char *s; /* NUL-terminated, but may hold NULs: use len */
		kv_node **items;
		kv_pair *pairs;
	} u;
};

struct kv_pair {
	kv_node *key; /* always a KV_STRING */
	kv_node *value;
};

const char *kv_type_name(kv_type t);
/* The name with its article, for messages: "an integer", "a map". */
const char *kv_type_phrase(kv_type t);

/* Lookup by key in a map; NULL when n is not a map or has no such key. Borrowed. */
kv_node *kv_map_get(const kv_node *n, const char *key);
kv_node *kv_map_getn(const kv_node *n, const char *key, size_t klen);
/* The key node of an entry, for locations of findings about the key itself. */
const kv_pair *kv_map_pair(const kv_node *n, const char *key);
/* The string value of a string node, else NULL. */
const char *kv_str(const kv_node *n);
/* Equal strings, compared by length then bytes. */
bool kv_str_eq(const kv_node *n, const char *s);
/* Deep structural equality; ints and doubles compare by value. */
bool kv_node_equal(const kv_node *a, const kv_node *b);

/* Appends the path from root to target ("spec.containers[0].image"; "" when they are the
 * same node, a key node names its entry), found by search: true when target is in root's
 * tree. Recursion follows the tree, whose depth the loader bounds. */
bool kv_node_path(const kv_node *root, const kv_node *target, kv_buf *out);

/* The key whose value is target, searched in root's tree; NULL for the root itself and for
 * list items. A finding about a whole map or list reads best at its key ("resources:"). */
const kv_node *kv_node_key_of(const kv_node *root, const kv_node *target);

/* Marks every node of a tree as coming from file number src (its own numbering). */
void kv_node_set_source(kv_node *root, uint16_t src);

/* Copies a tree into another arena, preserving shared nodes' contents (not their sharing). */
kv_node *kv_node_clone(kv_arena *a, const kv_node *n);

#endif
