/* cel.h: kvet's policy language, a subset of CEL (the expression language of Kubernetes
 * admission policies and CRD validation rules). This header covers the syntax tree and the
 * parser: source text -> tree, with positions, a recursion cap and errors with line:col. */
#ifndef KVET_CEL_H
#define KVET_CEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvet/arena.h"
#include "kvet/buf.h"

#define KV_CEL_KINDS(X)                                                         \
	X(NULL, "null")                                                         \
	X(BOOL, "bool")                                                         \
	X(INT, "int")                                                           \
	X(UINT, "uint")                                                         \
	X(DOUBLE, "double")                                                     \
	X(STRING, "string")                                                     \
	X(BYTES, "bytes")                                                       \
	X(IDENT, "ident")     /* name; a leading dot is CEL_F_ROOT */           \
	X(SELECT, "select")   /* kids[0].name; .?name is CEL_F_OPTIONAL */      \
	X(HAS, "has")         /* has(kids[0].name): a presence test */          \
	X(INDEX, "index")     /* kids[0][kids[1]]; [?i] is CEL_F_OPTIONAL */    \
	X(CALL, "call")       /* name(kids...) */                              \
	X(MCALL, "mcall")     /* kids[0].name(kids[1...]) */                    \
	X(LIST, "list")       /* [kids...], per element CEL_F_OPTIONAL in opt */ \
	X(MAP, "map")         /* {k0: v0, ...}: kids alternate key, value */   \
	X(STRUCT, "struct")   /* name{f0: v0, ...}: kids are values, fields */  \
	X(UNARY, "unary")     /* op kids[0] */                                  \
	X(BINARY, "binary")   /* kids[0] op kids[1] */                          \
	X(AND, "and")                                                           \
	X(OR, "or")                                                             \
	X(COND, "cond")       /* kids[0] ? kids[1] : kids[2] */                 \
	X(COMP, "comp")       /* a macro: see kv_cel_macro */

typedef enum {
#define X(e, s) KV_CEL_##e,
	KV_CEL_KINDS(X)
#undef X
	KV_CEL_KIND_COUNT
} kv_cel_kind;

/* Operators, with the spelling the S-expression dump uses. */
#define KV_CEL_OPS(X)                     \
	X(NOT, "!")                       \
	X(NEG, "-")                       \
	X(ADD, "+")                       \
	X(SUB, "-")                       \
	X(MUL, "*")                       \
	X(DIV, "/")                       \
	X(MOD, "%")                       \
	X(EQ, "==")                       \
	X(NE, "!=")                       \
	X(LT, "<")                        \
	X(LE, "<=")                       \
	X(GT, ">")                        \
	X(GE, ">=")                       \
	X(IN, "in")

typedef enum {
#define X(e, s) KV_CEL_OP_##e,
	KV_CEL_OPS(X)
#undef X
	KV_CEL_OP_COUNT
} kv_cel_op;

/* Macros, kept as nodes of their own rather than expanded, so evaluation and error
 * positions stay with what the author wrote. kids: [range, body...]; var (and var2). */
#define KV_CEL_MACROS(X)                                                          \
	X(ALL, "all")               /* range, predicate */                          \
	X(EXISTS, "exists")                                                         \
	X(EXISTS_ONE, "exists_one")                                                 \
	X(MAP, "map")               /* range, transform */                          \
	X(MAP_FILTER, "map_filter") /* range, predicate, transform */               \
	X(FILTER, "filter")         /* range, predicate */                          \
	X(TRANSFORM_LIST, "transformList") /* range, [predicate,] transform */      \
	X(TRANSFORM_MAP, "transformMap")                                            \
	X(TRANSFORM_MAP_ENTRY, "transformMapEntry")                                 \
	X(OPT_MAP, "optMap")        /* optional, transform */                       \
	X(OPT_FLAT_MAP, "optFlatMap")                                               \
	X(BIND, "bind")             /* init, body */                                \
	X(BLOCK, "block")           /* cel.block([e0, e1...], body): kids e0, e1..., body */

typedef enum {
#define X(e, s) KV_CEL_MACRO_##e,
	KV_CEL_MACROS(X)
#undef X
	KV_CEL_MACRO_COUNT
} kv_cel_macro;

enum {
	KV_CEL_F_OPTIONAL = 1 << 0, /* .?field, [?index], an optional list element or entry */
	KV_CEL_F_ROOT = 1 << 1,     /* .name: resolved from the root scope */
	KV_CEL_F_RAW = 1 << 2,      /* a raw string literal (for the dump only) */
	/* Set by compiling (celeval.h), which resolves every name once: */
	KV_CEL_F_VAR = 1 << 3,        /* IDENT, SELECT: the declared variable in slot ref */
	KV_CEL_F_LOCAL = 1 << 4,      /* IDENT: the comprehension variable in local slot ref */
	KV_CEL_F_TYPE = 1 << 5,       /* IDENT, SELECT: the type value of kv_cel_vtype ref */
	KV_CEL_F_UNRESOLVED = 1 << 6, /* IDENT, SELECT, CALL, MCALL: unknown; an error if evaluated */
};

typedef struct kv_cel_node kv_cel_node;

struct kv_cel_node {
	uint8_t kind;  /* kv_cel_kind */
	uint8_t op;    /* kv_cel_op for UNARY and BINARY; kv_cel_macro for COMP */
	uint8_t flags; /* KV_CEL_F_* */
	uint32_t pos;  /* byte offset of the node in the source */
	uint32_t nkids;
	kv_cel_node **kids;
	uint8_t *opt;  /* LIST, MAP, STRUCT: KV_CEL_F_OPTIONAL per element or entry, or NULL */
	const char *str; /* IDENT, SELECT, HAS, CALL, MCALL, STRUCT: a name; STRING, BYTES: text */
	uint32_t len;    /* bytes of str */
	const char *var, *var2; /* COMP: the iteration variable(s); var2 NULL when one */
	const char **fields;   /* STRUCT: field names, one per value */
	uint32_t ref;          /* after compiling: a slot, a type, or a CALL's function group;
				* COMP: the first local slot of its variables */
	const void *aux;       /* after compiling, CALL: what the function's prepare hook kept */
	union {
		bool b;
		int64_t i;
		uint64_t u;
		double d;
	} lit;
};

typedef struct {
	uint32_t max_depth; /* nesting of the expression (parentheses, calls, operators) */
	uint32_t max_size;  /* bytes of source */
} kv_cel_limits;

#define KV_CEL_DEPTH_DEFAULT 250u
#define KV_CEL_SIZE_DEFAULT (100u * 1024u)

typedef struct {
	kv_cel_node *root; /* in the arena passed to kv_cel_parse */
	const char *src;   /* borrowed: the text that was parsed */
	size_t len;
} kv_cel_ast;

/* A parse error: where and what; line and col are 1-based (col counts code points). */
typedef struct {
	uint32_t pos, line, col;
	char msg[200];
} kv_cel_error;

/* Parses src (of len bytes; it must outlive the tree). Returns 0 with *out filled, or -1 with
 * *err. limits may be NULL for the defaults. Nodes live in arena. */
int kv_cel_parse(kv_cel_ast *out, const char *src, size_t len, const kv_cel_limits *limits,
		 kv_arena *arena, kv_cel_error *err);

/* Appends the tree as a stable S-expression ("(+ a (* b 2))"), for tests and `kvet cel parse`. */
void kv_cel_dump(kv_buf *out, const kv_cel_node *n);

/* Appends "line:col: message" followed by the source line and a caret under the position. */
void kv_cel_error_render(kv_buf *out, const char *src, size_t len, const kv_cel_error *err);

/* line:col of a byte offset in src. */
void kv_cel_position(const char *src, size_t len, uint32_t pos, uint32_t *line, uint32_t *col);

const char *kv_cel_op_name(kv_cel_op op);
const char *kv_cel_macro_name(kv_cel_macro m);

#endif
