/* celeval.h: values, compiled programs and evaluation of the policy language (CEL).
 *
 * An environment declares the variables and libraries an expression may use; compiling checks
 * names against it once, so evaluation never looks a function up by name. A program is
 * immutable after compiling and may be shared by threads; each thread evaluates through its own
 * run, which holds the scratch memory of one evaluation and its step budget.
 *
 * Values read from a document are views of its nodes (no copying): a map or list value from a
 * kv_node points at the node, and every value remembers the document node it came from (src),
 * so a failing rule can be reported at the most specific line it read. */
#ifndef KVET_CELEVAL_H
#define KVET_CELEVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvet/buf.h"
#include "kvet/cel.h"
#include "kvet/node.h"

/* Value types, with the name type() reports. */
#define KV_CEL_VTYPES(X)                                   \
	X(NULL, "null_type")                               \
	X(BOOL, "bool")                                    \
	X(INT, "int")                                      \
	X(UINT, "uint")                                    \
	X(DOUBLE, "double")                                \
	X(STRING, "string")                                \
	X(BYTES, "bytes")                                  \
	X(LIST, "list")                                    \
	X(MAP, "map")                                      \
	X(TYPE, "type")                                    \
	X(OPTIONAL, "optional_type")                       \
	X(DURATION, "google.protobuf.Duration")            \
	X(TIMESTAMP, "google.protobuf.Timestamp")          \
	X(QUANTITY, "kubernetes.Quantity")                 \
	X(URL, "kubernetes.URL")                           \
	X(IP, "net.IP")                                    \
	X(CIDR, "net.CIDR")                                \
	X(FORMAT, "kubernetes.NamedFormat")                \
	X(DYN, "dyn")   /* only as a type value: dyn */    \
	X(ERROR, "error")

typedef enum {
#define X(e, s) KV_CEL_T_##e,
	KV_CEL_VTYPES(X)
#undef X
	KV_CEL_T_COUNT
} kv_cel_vtype;

/* Representations of lists and maps. */
enum {
	KV_CEL_REP_ARRAY = 0, /* items built during evaluation (maps: key, value, key, value...) */
	KV_CEL_REP_NODE = 1,  /* a view of a document node */
	KV_CEL_REP_LAZY = 2,  /* MAP only: named values computed on first use (see kv_cel_lazy) */
};

/* Error kinds, with a short name that messages and tests use. */
#define KV_CEL_ERRORS(X)                                       \
	X(GENERIC, "error")                                    \
	X(NO_SUCH_KEY, "no such key")                          \
	X(NO_SUCH_FIELD, "no such field")                      \
	X(NO_OVERLOAD, "no matching overload")                 \
	X(DIV_ZERO, "division by zero")                        \
	X(OVERFLOW, "overflow")                                \
	X(RANGE, "out of range")                               \
	X(INVALID_ARG, "invalid argument")                     \
	X(UNDECLARED, "undeclared reference")                  \
	X(UNKNOWN_FUNCTION, "unknown function")                \
	X(BAD_REGEX, "invalid regular expression")             \
	X(REGEX_LIMIT, "regular expression match limit")       \
	X(NEEDS_CLUSTER, "needs a cluster")                    \
	X(BUDGET, "evaluation step budget exhausted")

typedef enum {
#define X(e, s) KV_CEL_E_##e,
	KV_CEL_ERRORS(X)
#undef X
	KV_CEL_E_COUNT
} kv_cel_errcode;

typedef struct kv_cel_val kv_cel_val;

typedef struct {
	uint8_t code;   /* kv_cel_errcode */
	uint32_t pos;   /* byte offset in the expression */
	const char *msg;
} kv_cel_err;

struct kv_cel_val {
	uint8_t type; /* kv_cel_vtype */
	uint8_t rep;  /* LIST, MAP: KV_CEL_REP_*; TYPE: the kv_cel_vtype named; OPTIONAL: 1 if set */
	uint32_t len; /* STRING, BYTES: bytes; LIST, MAP (ARRAY): items, entries; TIMESTAMP: nanos */
	union {
		bool b;
		int64_t i;   /* INT; DURATION: nanoseconds; TIMESTAMP: seconds since the epoch */
		uint64_t u;
		double d;
		const char *s;               /* STRING, BYTES (not NUL-terminated) */
		const kv_node *node;         /* LIST, MAP as REP_NODE */
		const kv_cel_val *items;     /* LIST, MAP as REP_ARRAY; OPTIONAL: the value, if set */
		const void *obj;             /* QUANTITY, URL, IP, CIDR, FORMAT; MAP as REP_LAZY */
		const kv_cel_err *err;
	} u;
	const kv_node *src; /* the document node this value was read from, or NULL */
};

const char *kv_cel_vtype_name(kv_cel_vtype t);
const char *kv_cel_errcode_name(kv_cel_errcode c);

/* Values. None allocates; the results borrow what they are given. */
kv_cel_val kv_cel_null(void);
kv_cel_val kv_cel_bool(bool b);
kv_cel_val kv_cel_int(int64_t i);
kv_cel_val kv_cel_uint(uint64_t u);
kv_cel_val kv_cel_double(double d);
kv_cel_val kv_cel_string(const char *s, size_t len);
kv_cel_val kv_cel_bytes(const char *s, size_t len);
kv_cel_val kv_cel_list(const kv_cel_val *items, size_t n);
kv_cel_val kv_cel_map(const kv_cel_val *keys_and_values, size_t entries);
kv_cel_val kv_cel_type(kv_cel_vtype t);
/* A view of a document node: maps and lists are not copied. Map entries whose value is null
 * count as absent, as the API server drops them before admission sees the object. */
kv_cel_val kv_cel_from_node(const kv_node *n);

/* Lists and maps, whatever their representation. An index beyond the end is the caller's
 * error. Maps iterate in insertion (document) order: start with *it = 0. */
size_t kv_cel_list_len(const kv_cel_val *v);
kv_cel_val kv_cel_list_at(const kv_cel_val *v, size_t i);
size_t kv_cel_map_len(const kv_cel_val *v);
bool kv_cel_map_next(const kv_cel_val *v, size_t *it, kv_cel_val *key, kv_cel_val *value);

/* CEL equality (heterogeneous: 1 == 1.0u is true, values of different types are unequal). */
bool kv_cel_equal(const kv_cel_val *a, const kv_cel_val *b);
/* Like kv_cel_equal, but types must match exactly and NaN equals NaN: for tests. */
bool kv_cel_identical(const kv_cel_val *a, const kv_cel_val *b);

/* Appends the value as JSON (bytes as base64, int64 as numbers, durations and timestamps
 * as strings), or as a CEL literal ("[1, 2u, b\"x\"]"), the form tests compare. Recursion
 * follows the value's own nesting, which the document loader and the parser bound. */
void kv_cel_val_json(kv_buf *out, const kv_cel_val *v);
void kv_cel_val_literal(kv_buf *out, const kv_cel_val *v);

/* Libraries an environment may enable. CORE (operators, macros, conversions, size,
 * contains/startsWith/endsWith/matches, optionals, durations and timestamps) is always on. */
enum {
	KV_CEL_LIB_STRINGS = 1 << 0,    /* the strings extension: split, join, format, quote... */
	KV_CEL_LIB_MATH = 1 << 1,       /* math.greatest, math.abs, bit operations... */
	KV_CEL_LIB_ENCODERS = 1 << 2,   /* base64.encode/decode */
	KV_CEL_LIB_KUBERNETES = 1 << 3, /* regex find, lists, quantity, url, ip/cidr, format, authorizer */
	KV_CEL_LIB_ALL = 0xF,
};

typedef struct kv_cel_env kv_cel_env;
typedef struct kv_cel_prog kv_cel_prog;
typedef struct kv_cel_run kv_cel_run;

/* Caller frees with kv_cel_env_free, after every program compiled in it. */
kv_cel_env *kv_cel_env_new(unsigned libs);
void kv_cel_env_free(kv_cel_env *env);
/* Declares a variable; returns its slot, the index of its value in kv_cel_eval's vars. */
size_t kv_cel_env_var(kv_cel_env *env, const char *name);
/* Names resolve against the container first ("a.b" makes x try a.b.x, then a.x, then x). */
void kv_cel_env_container(kv_cel_env *env, const char *container);
/* Lenient environments compile unknown names and functions into errors raised when (and only
 * if) they are evaluated, as CEL does without a type check; strict ones (the default) reject
 * them at compile time, with a suggestion. */
void kv_cel_env_lenient(kv_cel_env *env, bool lenient);
/* Parser limits for kv_cel_compile; the defaults when never set. */
void kv_cel_env_limits(kv_cel_env *env, const kv_cel_limits *limits);

/* Parses and resolves src (copied). Returns 0 with *out (caller frees with kv_cel_prog_free),
 * or -1 with *err (a syntax error, an unknown name or function, an invalid constant regular
 * expression). The program borrows env. */
int kv_cel_compile(kv_cel_prog **out, const kv_cel_env *env, const char *src, size_t len,
		   kv_cel_error *err);
void kv_cel_prog_free(kv_cel_prog *p);
const kv_cel_ast *kv_cel_prog_ast(const kv_cel_prog *p);
/* True when the program names variable slot (so a policy knows whether it reads oldSelf). */
bool kv_cel_prog_uses(const kv_cel_prog *p, size_t slot);

/* A table of named values computed on first use, bound to a variable as a map: how a policy's
 * `variables` are exposed. Each program is evaluated with the same vars as the expression
 * that reads it, at most once per kv_cel_run_reset; a program that reads itself is an error. */
typedef struct {
	size_t n;
	const char *const *names;
	const kv_cel_prog *const *progs;
} kv_cel_lazy;
kv_cel_val kv_cel_lazy_map(const kv_cel_lazy *table);

#define KV_CEL_BUDGET_DEFAULT 1000000u

/* Caller frees with kv_cel_run_free. */
kv_cel_run *kv_cel_run_new(void);
void kv_cel_run_free(kv_cel_run *r);
/* Steps an evaluation may take (node visits, loop iterations, and work proportional to the
 * size of strings and lists that functions touch). */
void kv_cel_run_budget(kv_cel_run *r, uint64_t steps);
/* Releases every value of earlier evaluations and forgets lazy results. */
void kv_cel_run_reset(kv_cel_run *r);
/* Steps the last evaluation used. */
uint64_t kv_cel_run_steps(const kv_cel_run *r);

/* Evaluates p with vars[slot] bound to each declared variable (nvars of them; unbound slots
 * read as an "undeclared reference" error). The result, errors included, borrows from the
 * run (valid until the next kv_cel_run_reset), from p (string literals) and from vars. */
kv_cel_val kv_cel_eval(kv_cel_run *r, const kv_cel_prog *p, const kv_cel_val *vars, size_t nvars);

/* For a program of the form `range.all(x, predicate)` that evaluated to false: the document
 * nodes of every element for which the predicate is false (or does not hold for lack of a
 * field), up to max, in order; returns how many. Other programs give 0. Lets a report name
 * each offending item, not only the first. */
size_t kv_cel_failing_elements(kv_cel_run *r, const kv_cel_prog *p, const kv_cel_val *vars, size_t nvars,
			       const kv_node **out, size_t max);

/* Memory that lives until the next kv_cel_run_reset: for building values to bind. */
void *kv_cel_run_alloc(kv_cel_run *r, size_t n);

#endif
