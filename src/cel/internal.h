/* internal.h: what the evaluator and the function libraries of src/cel share. Not installed.
 *
 * A library is a table of kv_cel_fn entries ending with a NULL name. Compiling binds each call
 * to the entries of its name; at run time the evaluator evaluates the arguments (functions are
 * strict: an error argument is the result, without calling), picks the entry whose receiver
 * type and arity fit, and calls it. An implementation checks its argument types and answers
 * kv_cel_no_overload when they do not fit. */
#ifndef KVET_CEL_INTERNAL_H
#define KVET_CEL_INTERNAL_H

#include "kvet/arena.h"
#include "kvet/buf.h"
#include "kvet/celeval.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

typedef struct kv_cel_regex kv_cel_regex;

/* A library object (QUANTITY, URL, IP, CIDR, FORMAT) starts with its operations. */
typedef struct {
	bool (*equal)(const void *a, const void *b);
	/* The text form, for output: "1500m", "https://x", "10.0.0.0/8". */
	void (*text)(kv_buf *out, const void *obj);
	/* The constructor's name for kv_cel_val_literal: quantity("1500m"). */
	const char *ctor;
} kv_cel_objops;

typedef struct {
	const kv_cel_objops *ops;
} kv_cel_obj;

/* A lazily computed table bound in one run: the results so far. */
typedef struct lazy_memo lazy_memo;

struct kv_cel_run {
	kv_arena *arena; /* values of this evaluation; emptied by kv_cel_run_reset */
	uint64_t budget, steps;
	bool exhausted;
	const kv_cel_val *vars;
	size_t nvars;
	kv_cel_val *locals; /* comprehension variables and cel.block entries, by slot */
	size_t caplocals, ltop; /* ltop: the first slot free for a nested program */
	lazy_memo *memos;   /* one per kv_cel_lazy read since the last reset */
	/* Regular expressions compiled at run time (patterns that are not constants). */
	struct {
		char *pattern;
		size_t len;
		kv_cel_regex *re;
	} recache[16];
	unsigned renext;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
};

/* One call: args[0] is the receiver of a method. aux is what the entry's prepare hook
 * attached to this call at compile time (a constant argument compiled once), or NULL. */
typedef struct {
	kv_cel_run *r;
	const char *name;
	uint32_t pos;
	kv_cel_val *args;
	uint32_t nargs;
	const void *aux;
} kv_cel_call;

typedef kv_cel_val (*kv_cel_impl)(kv_cel_call *c);

enum {
	KV_CEL_FN_GLOBAL = 1, /* f(x) */
	KV_CEL_FN_METHOD = 2, /* x.f() */
	KV_CEL_FN_BOTH = 3,
};

#define KV_CEL_T_ANY 0xFF

/* Compile-time hook: sees the call's argument nodes (receiver first for a method) and may
 * attach *aux, which lives as long as the program (free_aux releases it). Returns 0, or -1
 * with msg and *pos (a byte offset into the expression) describing the problem. */
typedef int (*kv_cel_prepare)(const kv_cel_node *const *args, size_t nargs, const void **aux,
			      char *msg, size_t msgsize, uint32_t *pos);

typedef struct {
	const char *name;  /* as written, with any namespace: "size", "optional.of" */
	uint8_t style;     /* KV_CEL_FN_* */
	uint8_t min, max;  /* arguments, counting a method's receiver */
	uint8_t recv;      /* the receiver (first argument) type this entry serves, or KV_CEL_T_ANY */
	kv_cel_impl impl;
	kv_cel_prepare prepare;
	void (*free_aux)(void *aux);
} kv_cel_fn;

/* The libraries, each ending with an entry whose name is NULL. */
extern const kv_cel_fn kv_cel_lib_core[];
extern const kv_cel_fn kv_cel_lib_time[];
extern const kv_cel_fn kv_cel_lib_strings[];
extern const kv_cel_fn kv_cel_lib_math[];
extern const kv_cel_fn kv_cel_lib_encoders[];
extern const kv_cel_fn kv_cel_lib_k8s[];
extern const kv_cel_fn kv_cel_lib_authz[];

/* A program's call group (the entries a call may dispatch to, and their name), and the
 * number of comprehension-variable slots it needs. */
const kv_cel_fn *const *kv_cel_prog_group(const kv_cel_prog *p, uint32_t index, size_t *n,
					  const char **name);
uint32_t kv_cel_prog_nlocals(const kv_cel_prog *p);

/* Errors. The message is formatted into the run's memory. */
kv_cel_val kv_cel_errorf(kv_cel_run *r, kv_cel_errcode code, uint32_t pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* "no matching overload for 'name' applied to (string, int)". */
kv_cel_val kv_cel_no_overload(kv_cel_call *c);
/* Spends n steps; false (and the run is exhausted) when the budget is gone. Functions whose
 * work grows with their input charge for it: one step per 16 bytes or per item is the rule. */
bool kv_cel_charge(kv_cel_run *r, uint64_t n);
kv_cel_val kv_cel_budget_error(kv_cel_run *r, uint32_t pos);

/* Run memory and values built in it. */
void *kv_cel_alloc(kv_cel_run *r, size_t n);
kv_cel_val kv_cel_string_copy(kv_cel_run *r, const char *s, size_t n);
kv_cel_val kv_cel_bytes_copy(kv_cel_run *r, const char *s, size_t n);
/* Takes the buffer's contents as a string (or bytes) value and empties the buffer. */
kv_cel_val kv_cel_string_buf(kv_cel_run *r, kv_buf *b, bool bytes);
/* A list of n items to fill in; *items points at them. */
kv_cel_val kv_cel_list_new(kv_cel_run *r, size_t n, kv_cel_val **items);
kv_cel_val kv_cel_optional(kv_cel_run *r, const kv_cel_val *v);
kv_cel_val kv_cel_optional_none(void);
kv_cel_val kv_cel_duration(int64_t nanos);
kv_cel_val kv_cel_timestamp(int64_t seconds, uint32_t nanos);
kv_cel_val kv_cel_object(kv_cel_vtype t, const kv_cel_obj *obj);

/* Map lookup for ARRAY and NODE maps (not LAZY: the evaluator handles those). Keys compare
 * with CEL equality, so {1: x}[1u] finds x. */
bool kv_cel_map_find(const kv_cel_val *m, const kv_cel_val *key, kv_cel_val *out);
/* Three-way comparison of two values of comparable types (numbers across types, strings,
 * bytes, bools, durations, timestamps): -1, 0 or 1; 2 for unordered (NaN); -2 when the
 * types cannot be compared. */
int kv_cel_compare(const kv_cel_val *a, const kv_cel_val *b);
/* Numbers for formatting: CEL's string(double), as Go formats with 'g' and the shortest
 * precision that reads back ("1e+100", "0.1", "1"). */
void kv_cel_fmt_double(kv_buf *out, double d);
void kv_cel_fmt_duration(kv_buf *out, int64_t nanos);
void kv_cel_fmt_timestamp(kv_buf *out, int64_t seconds, uint32_t nanos);
/* Days since 1970-01-01 for a proleptic Gregorian date, and back. */
int64_t kv_cel_days_from_civil(int64_t y, unsigned m, unsigned d);
void kv_cel_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

/* Timestamps range over years 1 to 9999. */
#define KV_CEL_TS_MIN (-62135596800LL)
#define KV_CEL_TS_MAX 253402300799LL

/* Code points of a UTF-8 string (strings are valid UTF-8 by construction), and the byte
 * offset of code point i (n when i is the count). */
size_t kv_cel_cp_count(const char *s, size_t n);
size_t kv_cel_cp_offset(const char *s, size_t n, size_t i);

/* Regular expressions (RE2 syntax through PCRE2; backreferences and lookaround are rejected,
 * as RE2 has none). kv_cel_regex_compile returns NULL with msg and *errpos on a bad pattern. */
kv_cel_regex *kv_cel_regex_compile(const char *pattern, size_t len, char *msg, size_t msgsize,
				   size_t *errpos);
void kv_cel_regex_free(kv_cel_regex *re);
/* The call's pattern argument args[i]: the constant compiled at compile time (c->aux), or
 * compiled now through the run's cache. NULL with *err set when the pattern is bad. */
const kv_cel_regex *kv_cel_regex_for(kv_cel_call *c, size_t i, kv_cel_val *err);
/* Searches s[from..len); 1 with the match's byte span in *start, *end, 0 when there is none,
 * or -1 with *err set when the match limit is reached. */
int kv_cel_regex_search(kv_cel_call *c, const kv_cel_regex *re, const char *s, size_t len,
			size_t from, size_t *start, size_t *end, kv_cel_val *err);
/* A prepare hook for functions whose argument argi is a pattern. */
int kv_cel_regex_prepare_arg1(const kv_cel_node *const *args, size_t nargs, const void **aux,
			      char *msg, size_t msgsize, uint32_t *pos);
void kv_cel_regex_free_aux(void *aux);
void kv_cel_regex_run_free(kv_cel_run *r);

#endif
