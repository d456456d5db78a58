/* eval.c: the tree-walking evaluator. Values read from documents are views (no copying);
 * everything built lives in the run's arena until kv_cel_run_reset. Semantics follow the CEL
 * specification: && and || absorb an error when the other side decides, as do all() and
 * exists(); equality is heterogeneous; integer arithmetic is checked; functions are strict.
 * Recursion follows the syntax tree, whose height the parser caps, and every node visited
 * and loop iteration is charged against the run's step budget. */
#include "internal.h"

#include "kvet/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	kv_cel_run *r;
	const kv_cel_prog *p;
	size_t base; /* this program's first slot in r->locals */
} frame;

struct lazy_memo {
	const kv_cel_lazy *table;
	kv_cel_val *vals;
	uint8_t *state; /* 0 not yet, 1 being computed, 2 done */
	lazy_memo *next;
};

static kv_cel_val eval(frame *f, const kv_cel_node *n);

kv_cel_run *kv_cel_run_new(void)
{
	kv_cel_run *r = kv_xcalloc(1, sizeof *r);
	r->arena = kv_arena_new();
	r->budget = KV_CEL_BUDGET_DEFAULT;
	return r;
}

void kv_cel_run_free(kv_cel_run *r)
{
	if (!r)
		return;
	kv_cel_regex_run_free(r);
	kv_arena_free(r->arena);
	free(r->locals);
	free(r);
}

void kv_cel_run_budget(kv_cel_run *r, uint64_t steps)
{
	r->budget = steps;
}

void kv_cel_run_reset(kv_cel_run *r)
{
	kv_arena_reset(r->arena);
	r->memos = NULL;
}

uint64_t kv_cel_run_steps(const kv_cel_run *r)
{
	return r->steps;
}

void *kv_cel_run_alloc(kv_cel_run *r, size_t n)
{
	return kv_arena_alloc(r->arena, n ? n : 1);
}

void *kv_cel_alloc(kv_cel_run *r, size_t n)
{
	return kv_arena_alloc(r->arena, n ? n : 1);
}

bool kv_cel_charge(kv_cel_run *r, uint64_t n)
{
	r->steps += n;
	if (r->steps > r->budget)
		r->exhausted = true;
	return !r->exhausted;
}

kv_cel_val kv_cel_errorf(kv_cel_run *r, kv_cel_errcode code, uint32_t pos, const char *fmt, ...)
{
	kv_cel_err *e = kv_cel_alloc(r, sizeof *e);
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	size_t len = n < 0 ? 0 : (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1;
	e->code = (uint8_t)code;
	e->pos = pos;
	e->msg = kv_arena_strndup(r->arena, tmp, len);
	return (kv_cel_val){.type = KV_CEL_T_ERROR, .u.err = e};
}

kv_cel_val kv_cel_budget_error(kv_cel_run *r, uint32_t pos)
{
	r->exhausted = true;
	return kv_cel_errorf(r, KV_CEL_E_BUDGET, pos,
			    "the evaluation took more than %llu steps (the budget); the expression "
			    "does too much work for its input",
			    (unsigned long long)r->budget);
}

static const char *type_of(const kv_cel_val *v)
{
	return kv_cel_vtype_name((kv_cel_vtype)v->type);
}

kv_cel_val kv_cel_no_overload(kv_cel_call *c)
{
	char types[200];
	size_t off = 0;
	types[0] = '\0';
	for (uint32_t i = 0; i < c->nargs && off < sizeof types; i++)
		off += (size_t)snprintf(types + off, sizeof types - off, "%s%s", i ? ", " : "",
					type_of(&c->args[i]));
	return kv_cel_errorf(c->r, KV_CEL_E_NO_OVERLOAD, c->pos,
			    "no matching overload for '%s' applied to (%s)", c->name, types);
}

kv_cel_val kv_cel_string_copy(kv_cel_run *r, const char *s, size_t n)
{
	return kv_cel_string(kv_arena_memdup(r->arena, s, n ? n : 1), n);
}

kv_cel_val kv_cel_bytes_copy(kv_cel_run *r, const char *s, size_t n)
{
	return kv_cel_bytes(kv_arena_memdup(r->arena, s, n ? n : 1), n);
}

kv_cel_val kv_cel_string_buf(kv_cel_run *r, kv_buf *b, bool bytes)
{
	kv_cel_val v = bytes ? kv_cel_bytes_copy(r, b->data ? b->data : "", b->len)
			     : kv_cel_string_copy(r, b->data ? b->data : "", b->len);
	kv_buf_truncate(b, 0);
	return v;
}

kv_cel_val kv_cel_list_new(kv_cel_run *r, size_t n, kv_cel_val **items)
{
	*items = kv_cel_alloc(r, sizeof **items * (n ? n : 1));
	return kv_cel_list(*items, n);
}

kv_cel_val kv_cel_optional(kv_cel_run *r, const kv_cel_val *v)
{
	kv_cel_val *inner = kv_cel_alloc(r, sizeof *inner);
	*inner = *v;
	return (kv_cel_val){.type = KV_CEL_T_OPTIONAL, .rep = 1, .u.items = inner, .src = v->src};
}

static bool is_error(const kv_cel_val *v)
{
	return v->type == KV_CEL_T_ERROR;
}

static kv_cel_val err_at(frame *f, kv_cel_errcode code, const kv_cel_node *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static kv_cel_val err_at(frame *f, kv_cel_errcode code, const kv_cel_node *n, const char *fmt, ...)
{
	char tmp[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	return kv_cel_errorf(f->r, code, n->pos, "%s", tmp);
}

static kv_cel_val with_src(kv_cel_val v, const kv_node *src)
{
	if (!v.src)
		v.src = src;
	return v;
}

/* Locals live in one array per run; nested programs (lazy variables) take slots above. */
static void reserve_locals(kv_cel_run *r, size_t need)
{
	KV_GROW(r->locals, r->caplocals, need);
}

static kv_cel_val run_program(kv_cel_run *r, const kv_cel_prog *p)
{
	frame f = {.r = r, .p = p, .base = r->ltop};
	size_t top = r->ltop;
	r->ltop += kv_cel_prog_nlocals(p);
	reserve_locals(r, r->ltop + 1);
	kv_cel_val v = eval(&f, kv_cel_prog_ast(p)->root);
	r->ltop = top;
	return v;
}

kv_cel_val kv_cel_eval(kv_cel_run *r, const kv_cel_prog *p, const kv_cel_val *vars, size_t nvars)
{
	r->steps = 0;
	r->exhausted = false;
	r->vars = vars;
	r->nvars = nvars;
	r->ltop = 0;
	kv_cel_val v = run_program(r, p);
	if (r->exhausted && !(is_error(&v) && v.u.err->code == KV_CEL_E_BUDGET))
		v = kv_cel_budget_error(r, 0);
	return v;
}

/* The value of a lazy table's entry i, computed once per reset. */
static kv_cel_val lazy_value(frame *f, const kv_cel_lazy *t, size_t i, const kv_cel_node *at)
{
	kv_cel_run *r = f->r;
	lazy_memo *m = r->memos;
	while (m && m->table != t)
		m = m->next;
	if (!m) {
		m = kv_cel_alloc(r, sizeof *m);
		m->table = t;
		m->vals = kv_cel_alloc(r, sizeof *m->vals * (t->n ? t->n : 1));
		m->state = kv_cel_alloc(r, t->n ? t->n : 1);
		memset(m->state, 0, t->n ? t->n : 1);
		m->next = r->memos;
		r->memos = m;
	}
	if (m->state[i] == 1)
		return err_at(f, KV_CEL_E_GENERIC, at, "variable '%s' depends on itself", t->names[i]);
	if (m->state[i] == 0) {
		m->state[i] = 1;
		m->vals[i] = run_program(r, t->progs[i]);
		m->state[i] = 2;
	}
	return m->vals[i];
}

static bool lazy_find(frame *f, const kv_cel_val *m, const char *name, size_t len, kv_cel_val *out,
		      const kv_cel_node *at)
{
	const kv_cel_lazy *t = m->u.obj;
	for (size_t i = 0; i < t->n; i++) {
		if (strlen(t->names[i]) == len && memcmp(t->names[i], name, len) == 0) {
			if (out)
				*out = lazy_value(f, t, i, at);
			return true;
		}
	}
	return false;
}

/* Kubernetes escapes property names that are not CEL identifiers: foo-bar is read as
 * foo__dash__bar (and __dot__, __slash__, __underscores__, __keyword__). */
static bool unescape_field(const char *s, size_t n, kv_buf *out)
{
	static const struct {
		const char *esc, *plain;
	} tab[] = {{"__underscores__", "__"}, {"__dot__", "."}, {"__dash__", "-"}, {"__slash__", "/"}};
	bool changed = false;
	kv_buf_truncate(out, 0);
	for (size_t i = 0; i < n;) {
		size_t k = 0;
		for (; k < sizeof tab / sizeof tab[0]; k++) {
			size_t el = strlen(tab[k].esc);
			if (i + el <= n && memcmp(s + i, tab[k].esc, el) == 0) {
				kv_buf_puts(out, tab[k].plain);
				i += el;
				changed = true;
				break;
			}
		}
		if (k == sizeof tab / sizeof tab[0])
			kv_buf_putc(out, s[i++]);
	}
	if (!changed && n > 4 && memcmp(s, "__", 2) == 0 && memcmp(s + n - 2, "__", 2) == 0) {
		kv_buf_truncate(out, 0);
		kv_buf_add(out, s + 2, n - 4); /* __namespace__ -> namespace */
		changed = true;
	}
	return changed;
}

/* A field of a map by name: true with *out (which may be an error from a lazy variable). */
static bool map_field(frame *f, const kv_cel_val *m, const char *name, size_t len, kv_cel_val *out,
		      const kv_cel_node *at)
{
	if (m->rep == KV_CEL_REP_LAZY)
		return lazy_find(f, m, name, len, out, at);
	if (m->rep == KV_CEL_REP_NODE) {
		const kv_node *v = kv_map_getn(m->u.node, name, len);
		if (!v && len > 4 && memmem(name, len, "__", 2)) {
			kv_buf plain = KV_BUF_INIT;
			if (unescape_field(name, len, &plain))
				v = kv_map_getn(m->u.node, plain.data, plain.len);
			kv_buf_free(&plain);
		}
		if (!v || v->type == KV_NULL)
			return false;
		if (out)
			*out = kv_cel_from_node(v);
		return true;
	}
	kv_cel_val key = kv_cel_string(name, len), tmp;
	return kv_cel_map_find(m, &key, out ? out : &tmp);
}

static kv_cel_val no_such_key(frame *f, const kv_cel_node *at, const kv_cel_val *m, const char *name,
			      size_t len)
{
	kv_cel_val e = err_at(f, KV_CEL_E_NO_SUCH_KEY, at, "no such key: '%.*s'", (int)len, name);
	e.src = m->src;
	return e;
}

/* target.name, or target.?name (optional set): maps by key; optionals select inside. */
static kv_cel_val select_field(frame *f, const kv_cel_node *n, kv_cel_val t, bool optional)
{
	if (is_error(&t))
		return t;
	if (t.type == KV_CEL_T_OPTIONAL) /* selecting in an optional: a missing key is none */
		return t.rep ? select_field(f, n, *t.u.items, true) : t;
	if (t.type != KV_CEL_T_MAP) {
		kv_cel_val e = err_at(f, KV_CEL_E_NO_SUCH_FIELD, n,
				      "no such key: '%.*s' (a value of type %s has no fields)",
				      (int)n->len, n->str, type_of(&t));
		e.src = t.src;
		return e;
	}
	kv_cel_val v;
	if (!map_field(f, &t, n->str, n->len, &v, n)) {
		if (optional)
			return with_src(kv_cel_optional_none(), t.src);
		return no_such_key(f, n, &t, n->str, n->len);
	}
	return optional && !is_error(&v) ? kv_cel_optional(f->r, &v) : v;
}

static kv_cel_val has_field(frame *f, const kv_cel_node *n)
{
	kv_cel_val t = eval(f, n->kids[0]);
	if (is_error(&t))
		return t;
	if (t.type == KV_CEL_T_OPTIONAL) {
		if (!t.rep)
			return kv_cel_bool(false);
		t = *t.u.items;
	}
	if (t.type != KV_CEL_T_MAP) {
		kv_cel_val e = err_at(f, KV_CEL_E_NO_SUCH_FIELD, n,
				      "has() needs a map or object, not %s", type_of(&t));
		e.src = t.src;
		return e;
	}
	kv_cel_val v = {0};
	bool present = map_field(f, &t, n->str, n->len, t.rep == KV_CEL_REP_NODE ? &v : NULL, n);
	return with_src(kv_cel_bool(present), present && v.src ? v.src : t.src);
}

/* A list index: an int, a uint, or a double with an integral value. */
static bool list_index(const kv_cel_val *i, int64_t *out)
{
	switch (i->type) {
	case KV_CEL_T_INT: *out = i->u.i; return true;
	case KV_CEL_T_UINT: *out = i->u.u > INT64_MAX ? -1 : (int64_t)i->u.u; return true;
	case KV_CEL_T_DOUBLE:
		if (i->u.d != i->u.d || i->u.d < -9.2e18 || i->u.d > 9.2e18 || (double)(int64_t)i->u.d != i->u.d)
			return false;
		*out = (int64_t)i->u.d;
		return true;
	default: return false;
	}
}

static kv_cel_val index_value(frame *f, const kv_cel_node *n, kv_cel_val t, kv_cel_val i, bool optional)
{
	if (is_error(&t))
		return t;
	if (is_error(&i))
		return i;
	if (t.type == KV_CEL_T_OPTIONAL)
		return t.rep ? index_value(f, n, *t.u.items, i, true) : t;
	if (t.type == KV_CEL_T_LIST) {
		int64_t k;
		if (!list_index(&i, &k))
			return err_at(f, KV_CEL_E_INVALID_ARG, n, "a list index must be an int, not %s",
				      type_of(&i));
		if (k < 0 || (uint64_t)k >= kv_cel_list_len(&t)) {
			if (optional)
				return with_src(kv_cel_optional_none(), t.src);
			kv_cel_val e = err_at(f, KV_CEL_E_INVALID_ARG, n,
					      "index %lld out of range for a list of %u items", (long long)k, t.len);
			e.src = t.src;
			return e;
		}
		kv_cel_val v = kv_cel_list_at(&t, (size_t)k);
		return optional ? kv_cel_optional(f->r, &v) : v;
	}
	if (t.type == KV_CEL_T_MAP) {
		kv_cel_val v;
		bool found;
		if (t.rep == KV_CEL_REP_LAZY)
			found = i.type == KV_CEL_T_STRING && lazy_find(f, &t, i.u.s, i.len, &v, n);
		else
			found = kv_cel_map_find(&t, &i, &v);
		if (!found) {
			if (optional)
				return with_src(kv_cel_optional_none(), t.src);
			kv_buf key = KV_BUF_INIT;
			kv_cel_val_literal(&key, &i);
			kv_cel_val e = err_at(f, KV_CEL_E_NO_SUCH_KEY, n, "no such key: %s", kv_buf_cstr(&key));
			kv_buf_free(&key);
			e.src = t.src;
			return e;
		}
		return optional && !is_error(&v) ? kv_cel_optional(f->r, &v) : v;
	}
	return err_at(f, KV_CEL_E_NO_OVERLOAD, n, "no matching overload for index applied to (%s, %s)",
		      type_of(&t), type_of(&i));
}

static kv_cel_val call(frame *f, const kv_cel_node *n)
{
	if (n->flags & KV_CEL_F_UNRESOLVED)
		return err_at(f, KV_CEL_E_UNKNOWN_FUNCTION, n, "unbound function '%.*s'", (int)n->len, n->str);
	size_t count;
	const char *name;
	const kv_cel_fn *const *fns = kv_cel_prog_group(f->p, n->ref, &count, &name);
	kv_cel_val small[8];
	kv_cel_val *args = n->nkids <= 8 ? small : kv_cel_alloc(f->r, sizeof *args * n->nkids);
	for (uint32_t i = 0; i < n->nkids; i++) {
		args[i] = eval(f, n->kids[i]);
		if (is_error(&args[i]))
			return args[i];
	}
	kv_cel_call c = {.r = f->r, .name = name, .pos = n->pos, .args = args, .nargs = n->nkids, .aux = n->aux};
	for (size_t i = 0; i < count; i++) {
		const kv_cel_fn *fn = fns[i];
		if (n->nkids < fn->min || n->nkids > fn->max)
			continue;
		if (fn->recv != KV_CEL_T_ANY && (n->nkids == 0 || args[0].type != fn->recv))
			continue;
		kv_cel_val v = fn->impl(&c);
		for (uint32_t k = 0; k < n->nkids && !v.src; k++)
			v.src = args[k].src;
		return v;
	}
	return kv_cel_no_overload(&c);
}

/* && and ||: commutative, and an error (or a non-bool) on one side is dropped when the other
 * side decides the result. */
static kv_cel_val logical(frame *f, const kv_cel_node *n)
{
	bool decisive = n->kind == KV_CEL_OR; /* the value that decides: true for ||, false for && */
	kv_cel_val l = eval(f, n->kids[0]);
	if (l.type == KV_CEL_T_BOOL && l.u.b == decisive)
		return l;
	if (f->r->exhausted)
		return l;
	kv_cel_val r = eval(f, n->kids[1]);
	if (r.type == KV_CEL_T_BOOL && r.u.b == decisive)
		return r;
	/* Neither side decides: the result is located where the left side read (policy authors
	 * put the most specific test first). */
	if (l.type == KV_CEL_T_BOOL && r.type == KV_CEL_T_BOOL)
		return with_src(l, r.src);
	if (is_error(&l))
		return l;
	if (is_error(&r))
		return r;
	const kv_cel_val *bad = l.type != KV_CEL_T_BOOL ? &l : &r;
	return err_at(f, KV_CEL_E_NO_OVERLOAD, n, "no matching overload for '%s' applied to %s",
		      decisive ? "||" : "&&", type_of(bad));
}

static kv_cel_val conditional(frame *f, const kv_cel_node *n)
{
	kv_cel_val c = eval(f, n->kids[0]);
	if (is_error(&c))
		return c;
	if (c.type != KV_CEL_T_BOOL)
		return err_at(f, KV_CEL_E_NO_OVERLOAD, n, "the condition of ?: must be a bool, not %s",
			      type_of(&c));
	return eval(f, n->kids[c.u.b ? 1 : 2]);
}

static kv_cel_val unary(frame *f, const kv_cel_node *n)
{
	kv_cel_val v = eval(f, n->kids[0]);
	if (is_error(&v))
		return v;
	if (n->op == KV_CEL_OP_NOT && v.type == KV_CEL_T_BOOL)
		return with_src(kv_cel_bool(!v.u.b), v.src);
	if (n->op == KV_CEL_OP_NEG) {
		if (v.type == KV_CEL_T_INT) {
			if (v.u.i == INT64_MIN)
				return err_at(f, KV_CEL_E_OVERFLOW, n, "int overflow in negation");
			return with_src(kv_cel_int(-v.u.i), v.src);
		}
		if (v.type == KV_CEL_T_DOUBLE)
			return with_src(kv_cel_double(-v.u.d), v.src);
		if (v.type == KV_CEL_T_DURATION && v.u.i != INT64_MIN)
			return with_src(kv_cel_duration(-v.u.i), v.src);
	}
	return err_at(f, KV_CEL_E_NO_OVERLOAD, n, "no matching overload for '%s' applied to %s",
		      kv_cel_op_name((kv_cel_op)n->op), type_of(&v));
}

static kv_cel_val overflow(frame *f, const kv_cel_node *n, const char *type)
{
	return err_at(f, KV_CEL_E_OVERFLOW, n, "%s overflow in '%s'", type, kv_cel_op_name((kv_cel_op)n->op));
}

static kv_cel_val int_arith(frame *f, const kv_cel_node *n, int64_t a, int64_t b)
{
	int64_t out;
	bool ovf = false;
	switch (n->op) {
	case KV_CEL_OP_ADD: ovf = __builtin_add_overflow(a, b, &out); break;
	case KV_CEL_OP_SUB: ovf = __builtin_sub_overflow(a, b, &out); break;
	case KV_CEL_OP_MUL: ovf = __builtin_mul_overflow(a, b, &out); break;
	case KV_CEL_OP_DIV:
	case KV_CEL_OP_MOD:
		if (b == 0)
			return err_at(f, KV_CEL_E_DIV_ZERO, n, n->op == KV_CEL_OP_DIV ? "division by zero"
										: "modulus by zero");
		if (a == INT64_MIN && b == -1)
			return overflow(f, n, "int");
		out = n->op == KV_CEL_OP_DIV ? a / b : a % b;
		break;
	default: return err_at(f, KV_CEL_E_NO_OVERLOAD, n, "no matching overload");
	}
	return ovf ? overflow(f, n, "int") : kv_cel_int(out);
}

static kv_cel_val uint_arith(frame *f, const kv_cel_node *n, uint64_t a, uint64_t b)
{
	uint64_t out;
	bool ovf = false;
	switch (n->op) {
	case KV_CEL_OP_ADD: ovf = __builtin_add_overflow(a, b, &out); break;
	case KV_CEL_OP_SUB: ovf = __builtin_sub_overflow(a, b, &out); break;
	case KV_CEL_OP_MUL: ovf = __builtin_mul_overflow(a, b, &out); break;
	case KV_CEL_OP_DIV:
	case KV_CEL_OP_MOD:
		if (b == 0)
			return err_at(f, KV_CEL_E_DIV_ZERO, n, n->op == KV_CEL_OP_DIV ? "division by zero"
										: "modulus by zero");
		out = n->op == KV_CEL_OP_DIV ? a / b : a % b;
		break;
	default: return err_at(f, KV_CEL_E_NO_OVERLOAD, n, "no matching overload");
	}
	return ovf ? overflow(f, n, "uint") : kv_cel_uint(out);
}

static kv_cel_val double_arith(frame *f, const kv_cel_node *n, double a, double b)
{
	switch (n->op) {
	case KV_CEL_OP_ADD: return kv_cel_double(a + b);
	case KV_CEL_OP_SUB: return kv_cel_double(a - b);
	case KV_CEL_OP_MUL: return kv_cel_double(a * b);
	case KV_CEL_OP_DIV: return kv_cel_double(a / b);
	default:
		return err_at(f, KV_CEL_E_NO_OVERLOAD, n, "no matching overload for '%s' applied to (double, double)",
			      kv_cel_op_name((kv_cel_op)n->op));
	}
}

/* Joins two strings, bytes or lists. */
static kv_cel_val concat(frame *f, const kv_cel_val *a, const kv_cel_val *b)
{
	uint64_t total = (uint64_t)a->len + b->len;
	if (total > UINT32_MAX / 2)
		return kv_cel_errorf(f->r, KV_CEL_E_RANGE, 0, "the result is too large");
	if (!kv_cel_charge(f->r, total / 16 + 1))
		return kv_cel_budget_error(f->r, 0);
	if (a->type == KV_CEL_T_LIST) {
		kv_cel_val *items;
		kv_cel_val v = kv_cel_list_new(f->r, (size_t)total, &items);
		for (size_t i = 0; i < a->len; i++)
			items[i] = kv_cel_list_at(a, i);
		for (size_t i = 0; i < b->len; i++)
			items[a->len + i] = kv_cel_list_at(b, i);
		return v;
	}
	char *s = kv_cel_alloc(f->r, (size_t)total + 1);
	memcpy(s, a->u.s, a->len);
	memcpy(s + a->len, b->u.s, b->len);
	return a->type == KV_CEL_T_STRING ? kv_cel_string(s, (size_t)total) : kv_cel_bytes(s, (size_t)total);
}

static kv_cel_val range_error(frame *f, const kv_cel_node *n, const char *what)
{
	return err_at(f, KV_CEL_E_RANGE, n, "%s out of range", what);
}

/* timestamp + nanos, or an error past the years 1 to 9999. */
static kv_cel_val ts_add(frame *f, const kv_cel_node *n, int64_t sec, uint32_t nanos, int64_t d)
{
	int64_t s = sec + d / 1000000000, ns = (int64_t)nanos + d % 1000000000;
	if (ns < 0) {
		ns += 1000000000;
		s--;
	} else if (ns >= 1000000000) {
		ns -= 1000000000;
		s++;
	}
	if (s < KV_CEL_TS_MIN || s > KV_CEL_TS_MAX)
		return range_error(f, n, "timestamp");
	return kv_cel_timestamp(s, (uint32_t)ns);
}

static kv_cel_val time_arith(frame *f, const kv_cel_node *n, const kv_cel_val *a, const kv_cel_val *b)
{
	int64_t out;
	int ta = a->type, tb = b->type;
	if (n->op == KV_CEL_OP_ADD && ta == KV_CEL_T_DURATION && tb == KV_CEL_T_DURATION)
		return __builtin_add_overflow(a->u.i, b->u.i, &out) ? range_error(f, n, "duration")
								      : kv_cel_duration(out);
	if (n->op == KV_CEL_OP_SUB && ta == KV_CEL_T_DURATION && tb == KV_CEL_T_DURATION)
		return __builtin_sub_overflow(a->u.i, b->u.i, &out) ? range_error(f, n, "duration")
								      : kv_cel_duration(out);
	if (n->op == KV_CEL_OP_ADD && ta == KV_CEL_T_TIMESTAMP && tb == KV_CEL_T_DURATION)
		return ts_add(f, n, a->u.i, a->len, b->u.i);
	if (n->op == KV_CEL_OP_ADD && ta == KV_CEL_T_DURATION && tb == KV_CEL_T_TIMESTAMP)
		return ts_add(f, n, b->u.i, b->len, a->u.i);
	if (n->op == KV_CEL_OP_SUB && ta == KV_CEL_T_TIMESTAMP && tb == KV_CEL_T_DURATION) {
		if (b->u.i == INT64_MIN)
			return range_error(f, n, "timestamp");
		return ts_add(f, n, a->u.i, a->len, -b->u.i);
	}
	if (n->op == KV_CEL_OP_SUB && ta == KV_CEL_T_TIMESTAMP && tb == KV_CEL_T_TIMESTAMP) {
		int64_t s = a->u.i - b->u.i, ns = (int64_t)a->len - (int64_t)b->len;
		if (__builtin_mul_overflow(s, (int64_t)1000000000, &out) || __builtin_add_overflow(out, ns, &out))
			return range_error(f, n, "duration");
		return kv_cel_duration(out);
	}
	return err_at(f, KV_CEL_E_NO_OVERLOAD, n, "no matching overload for '%s' applied to (%s, %s)",
		      kv_cel_op_name((kv_cel_op)n->op), type_of(a), type_of(b));
}

static kv_cel_val arith(frame *f, const kv_cel_node *n, const kv_cel_val *a, const kv_cel_val *b)
{
	if (a->type == b->type) {
		switch ((kv_cel_vtype)a->type) {
		case KV_CEL_T_INT: return int_arith(f, n, a->u.i, b->u.i);
		case KV_CEL_T_UINT: return uint_arith(f, n, a->u.u, b->u.u);
		case KV_CEL_T_DOUBLE: return double_arith(f, n, a->u.d, b->u.d);
		case KV_CEL_T_STRING:
		case KV_CEL_T_BYTES:
		case KV_CEL_T_LIST:
			if (n->op == KV_CEL_OP_ADD)
				return concat(f, a, b);
			break;
		default: break;
		}
	}
	return time_arith(f, n, a, b);
}

static kv_cel_val membership(frame *f, const kv_cel_node *n, const kv_cel_val *x, const kv_cel_val *c)
{
	if (c->type == KV_CEL_T_LIST) {
		size_t len = kv_cel_list_len(c);
		if (!kv_cel_charge(f->r, len / 4))
			return kv_cel_budget_error(f->r, n->pos);
		for (size_t i = 0; i < len; i++) {
			kv_cel_val e = kv_cel_list_at(c, i);
			if (kv_cel_equal(&e, x)) /* the value looked for is the subject, not the table */
				return with_src(kv_cel_bool(true), x->src ? x->src : e.src);
		}
		return with_src(kv_cel_bool(false), c->src); /* not there: the list is what to look at */
	}
	if (c->type == KV_CEL_T_MAP) {
		kv_cel_val v = {0};
		bool found;
		if (c->rep == KV_CEL_REP_LAZY)
			found = x->type == KV_CEL_T_STRING && lazy_find(f, c, x->u.s, x->len, NULL, n);
		else
			found = kv_cel_map_find(c, x, &v);
		return with_src(kv_cel_bool(found), found && v.src ? v.src : c->src);
	}
	return err_at(f, KV_CEL_E_NO_OVERLOAD, n, "no matching overload for 'in' applied to (%s, %s)",
		      type_of(x), type_of(c));
}

static kv_cel_val binary(frame *f, const kv_cel_node *n)
{
	kv_cel_val a = eval(f, n->kids[0]);
	if (is_error(&a))
		return a;
	kv_cel_val b = eval(f, n->kids[1]);
	if (is_error(&b))
		return b;
	const kv_node *src = a.src ? a.src : b.src;
	int c;
	switch ((kv_cel_op)n->op) {
	case KV_CEL_OP_EQ: return with_src(kv_cel_bool(kv_cel_equal(&a, &b)), src);
	case KV_CEL_OP_NE: return with_src(kv_cel_bool(!kv_cel_equal(&a, &b)), src);
	case KV_CEL_OP_LT:
	case KV_CEL_OP_LE:
	case KV_CEL_OP_GT:
	case KV_CEL_OP_GE:
		c = kv_cel_compare(&a, &b);
		if (c == -2)
			return err_at(f, KV_CEL_E_NO_OVERLOAD, n, "no matching overload for '%s' applied to (%s, %s)",
				      kv_cel_op_name((kv_cel_op)n->op), type_of(&a), type_of(&b));
		if (c == 2)
			return with_src(kv_cel_bool(false), src);
		switch (n->op) {
		case KV_CEL_OP_LT: return with_src(kv_cel_bool(c < 0), src);
		case KV_CEL_OP_LE: return with_src(kv_cel_bool(c <= 0), src);
		case KV_CEL_OP_GT: return with_src(kv_cel_bool(c > 0), src);
		default: return with_src(kv_cel_bool(c >= 0), src);
		}
	case KV_CEL_OP_IN: return with_src(membership(f, n, &a, &b), a.src);
	default: return with_src(arith(f, n, &a, &b), src);
	}
}

static kv_cel_val list_literal(frame *f, const kv_cel_node *n)
{
	kv_cel_val *items;
	kv_cel_val list = kv_cel_list_new(f->r, n->nkids, &items);
	size_t k = 0;
	for (uint32_t i = 0; i < n->nkids; i++) {
		kv_cel_val v = eval(f, n->kids[i]);
		if (is_error(&v))
			return v;
		if (n->opt && (n->opt[i] & KV_CEL_F_OPTIONAL)) {
			if (v.type != KV_CEL_T_OPTIONAL)
				return err_at(f, KV_CEL_E_NO_OVERLOAD, n->kids[i],
					      "an optional list element (?x) must be an optional, not %s", type_of(&v));
			if (!v.rep)
				continue;
			v = *v.u.items;
		}
		items[k++] = v;
	}
	list.len = (uint32_t)k;
	return list;
}

static bool valid_key(const kv_cel_val *k)
{
	return k->type == KV_CEL_T_INT || k->type == KV_CEL_T_UINT || k->type == KV_CEL_T_BOOL ||
	       k->type == KV_CEL_T_STRING;
}

static kv_cel_val map_literal(frame *f, const kv_cel_node *n)
{
	uint32_t entries = n->nkids / 2;
	kv_cel_val *items = kv_cel_alloc(f->r, sizeof *items * 2 * (entries ? entries : 1));
	size_t k = 0;
	for (uint32_t i = 0; i < entries; i++) {
		kv_cel_val key = eval(f, n->kids[2 * i]);
		if (is_error(&key))
			return key;
		if (!valid_key(&key))
			return err_at(f, KV_CEL_E_INVALID_ARG, n->kids[2 * i], "unsupported key type %s",
				      type_of(&key));
		kv_cel_val v = eval(f, n->kids[2 * i + 1]);
		if (is_error(&v))
			return v;
		if (n->opt && (n->opt[2 * i] & KV_CEL_F_OPTIONAL)) {
			if (v.type != KV_CEL_T_OPTIONAL)
				return err_at(f, KV_CEL_E_NO_OVERLOAD, n->kids[2 * i + 1],
					      "an optional map entry (?k: v) needs an optional value, not %s",
					      type_of(&v));
			if (!v.rep)
				continue;
			v = *v.u.items;
		}
		if (!kv_cel_charge(f->r, k / 8))
			return kv_cel_budget_error(f->r, n->pos);
		for (size_t j = 0; j < k; j++)
			if (kv_cel_equal(&items[2 * j], &key))
				return err_at(f, KV_CEL_E_INVALID_ARG, n->kids[2 * i], "Failed with repeated key");
		items[2 * k] = key;
		items[2 * k + 1] = v;
		k++;
	}
	return kv_cel_map(items, k);
}

/* Iteration over a list (index, element) or a map (key, value). */
typedef struct {
	const kv_cel_val *range;
	size_t i, it;
} iter;

static bool iter_next(frame *f, iter *t, kv_cel_val *a, kv_cel_val *b, const kv_cel_node *at)
{
	const kv_cel_val *r = t->range;
	if (r->type == KV_CEL_T_LIST) {
		if (t->i >= kv_cel_list_len(r))
			return false;
		*a = kv_cel_int((int64_t)t->i);
		*b = kv_cel_list_at(r, t->i++);
		return true;
	}
	if (!kv_cel_map_next(r, &t->it, a, b))
		return false;
	if (r->rep == KV_CEL_REP_LAZY)
		*b = lazy_value(f, r->u.obj, t->it - 1, at);
	return true;
}

static void bind_vars(frame *f, const kv_cel_node *n, bool is_list, const kv_cel_val *a, const kv_cel_val *b)
{
	kv_cel_val *slots = f->r->locals + f->base + n->ref;
	if (n->var2) {
		slots[0] = *a;
		slots[1] = *b;
	} else {
		slots[0] = is_list ? *b : *a;
	}
}

static kv_cel_val not_bool(frame *f, const kv_cel_node *n, const kv_cel_val *v)
{
	return err_at(f, KV_CEL_E_NO_OVERLOAD, n, "the predicate of %s() must be a bool, not %s",
		      kv_cel_macro_name((kv_cel_macro)n->op), type_of(v));
}

/* all (as &&) and exists (as ||): a deciding element wins over errors elsewhere. */
static kv_cel_val quantifier(frame *f, const kv_cel_node *n, const kv_cel_val *range)
{
	bool decisive = n->op == KV_CEL_MACRO_EXISTS;
	bool is_list = range->type == KV_CEL_T_LIST;
	kv_cel_val first_err = {0}, a, b;
	bool have_err = false;
	iter t = {.range = range};
	while (iter_next(f, &t, &a, &b, n)) {
		if (!kv_cel_charge(f->r, 1))
			return kv_cel_budget_error(f->r, n->pos);
		bind_vars(f, n, is_list, &a, &b);
		kv_cel_val v = eval(f, n->kids[1]);
		if (v.type == KV_CEL_T_BOOL) {
			if (v.u.b == decisive)
				return with_src(v, is_list ? b.src : a.src);
			continue;
		}
		if (f->r->exhausted)
			return v;
		if (!have_err)
			first_err = is_error(&v) ? v : not_bool(f, n, &v);
		have_err = true;
	}
	return have_err ? first_err : with_src(kv_cel_bool(!decisive), range->src);
}

static kv_cel_val exists_one(frame *f, const kv_cel_node *n, const kv_cel_val *range)
{
	bool is_list = range->type == KV_CEL_T_LIST;
	size_t count = 0;
	kv_cel_val a, b;
	iter t = {.range = range};
	while (iter_next(f, &t, &a, &b, n)) {
		if (!kv_cel_charge(f->r, 1))
			return kv_cel_budget_error(f->r, n->pos);
		bind_vars(f, n, is_list, &a, &b);
		kv_cel_val v = eval(f, n->kids[1]);
		if (is_error(&v))
			return v;
		if (v.type != KV_CEL_T_BOOL)
			return not_bool(f, n, &v);
		count += v.u.b;
	}
	return with_src(kv_cel_bool(count == 1), range->src);
}

/* map, filter and transformList: a list out of a list or map. With a predicate (map's
 * three-argument form, filter, transformList's four), elements it rejects are left out. */
static kv_cel_val list_builder(frame *f, const kv_cel_node *n, const kv_cel_val *range)
{
	bool is_list = range->type == KV_CEL_T_LIST;
	size_t len = is_list ? kv_cel_list_len(range) : kv_cel_map_len(range);
	if (range->rep == KV_CEL_REP_LAZY)
		len = range->len;
	bool filter = n->op == KV_CEL_MACRO_FILTER;
	bool has_pred = filter || n->nkids == 3;
	kv_cel_val *items;
	kv_cel_val out = kv_cel_list_new(f->r, len, &items);
	size_t k = 0;
	kv_cel_val a, b;
	iter t = {.range = range};
	while (iter_next(f, &t, &a, &b, n)) {
		if (!kv_cel_charge(f->r, 1))
			return kv_cel_budget_error(f->r, n->pos);
		bind_vars(f, n, is_list, &a, &b);
		if (has_pred) {
			kv_cel_val p = eval(f, n->kids[1]);
			if (is_error(&p))
				return p;
			if (p.type != KV_CEL_T_BOOL)
				return not_bool(f, n, &p);
			if (!p.u.b)
				continue;
		}
		kv_cel_val v = filter ? (is_list ? b : a) : eval(f, n->kids[n->nkids - 1]);
		if (is_error(&v))
			return v;
		items[k++] = v;
	}
	out.len = (uint32_t)k;
	return out;
}

/* transformMap (key -> transform) and transformMapEntry (each transform a map of entries
 * to merge) over a list (index, element) or map (key, value). */
static kv_cel_val map_builder(frame *f, const kv_cel_node *n, const kv_cel_val *range)
{
	bool is_list = range->type == KV_CEL_T_LIST;
	bool entry = n->op == KV_CEL_MACRO_TRANSFORM_MAP_ENTRY;
	kv_cel_val *items = NULL;
	size_t k = 0, cap = 0;
	kv_cel_val a, b, result;
	iter t = {.range = range};
	while (iter_next(f, &t, &a, &b, n)) {
		if (!kv_cel_charge(f->r, 1 + k / 8)) {
			result = kv_cel_budget_error(f->r, n->pos);
			goto done;
		}
		bind_vars(f, n, is_list, &a, &b);
		if (n->nkids == 3) {
			kv_cel_val p = eval(f, n->kids[1]);
			if (is_error(&p) || p.type != KV_CEL_T_BOOL) {
				result = is_error(&p) ? p : not_bool(f, n, &p);
				goto done;
			}
			if (!p.u.b)
				continue;
		}
		kv_cel_val v = eval(f, n->kids[n->nkids - 1]);
		if (is_error(&v)) {
			result = v;
			goto done;
		}
		if (entry && v.type != KV_CEL_T_MAP) {
			result = err_at(f, KV_CEL_E_NO_OVERLOAD, n, "transformMapEntry() needs a map per entry, not %s",
					type_of(&v));
			goto done;
		}
		kv_cel_val key = a, val = v;
		for (size_t it = 0; !entry || kv_cel_map_next(&v, &it, &key, &val);) {
			for (size_t j = 0; j < k; j++) {
				if (kv_cel_equal(&items[2 * j], &key)) {
					result = err_at(f, KV_CEL_E_INVALID_ARG, n, "insert failed: key already exists");
					goto done;
				}
			}
			KV_GROW(items, cap, 2 * k + 2);
			items[2 * k] = key;
			items[2 * k + 1] = val;
			k++;
			if (!entry)
				break;
		}
	}
	kv_cel_val *copy = kv_cel_alloc(f->r, sizeof *copy * (2 * k + 1));
	if (k)
		memcpy(copy, items, sizeof *copy * 2 * k);
	result = kv_cel_map(copy, k);
done:
	free(items);
	return result;
}

static kv_cel_val optional_macro(frame *f, const kv_cel_node *n)
{
	kv_cel_val o = eval(f, n->kids[0]);
	if (is_error(&o))
		return o;
	if (o.type != KV_CEL_T_OPTIONAL)
		return err_at(f, KV_CEL_E_NO_OVERLOAD, n, "%s() applies to an optional, not %s",
			      kv_cel_macro_name((kv_cel_macro)n->op), type_of(&o));
	if (!o.rep)
		return o;
	f->r->locals[f->base + n->ref] = *o.u.items;
	kv_cel_val v = eval(f, n->kids[1]);
	if (is_error(&v) || n->op == KV_CEL_MACRO_OPT_MAP)
		return is_error(&v) ? v : kv_cel_optional(f->r, &v);
	if (v.type != KV_CEL_T_OPTIONAL)
		return err_at(f, KV_CEL_E_NO_OVERLOAD, n, "optFlatMap() needs an optional result, not %s",
			      type_of(&v));
	return v;
}

static kv_cel_val comprehension(frame *f, const kv_cel_node *n)
{
	switch (n->op) {
	case KV_CEL_MACRO_BIND:
		f->r->locals[f->base + n->ref] = eval(f, n->kids[0]);
		return eval(f, n->kids[1]);
	case KV_CEL_MACRO_BLOCK:
		for (uint32_t i = 0; i + 1 < n->nkids; i++)
			f->r->locals[f->base + n->ref + i] = eval(f, n->kids[i]);
		return eval(f, n->kids[n->nkids - 1]);
	case KV_CEL_MACRO_OPT_MAP:
	case KV_CEL_MACRO_OPT_FLAT_MAP: return optional_macro(f, n);
	default: break;
	}
	kv_cel_val range = eval(f, n->kids[0]);
	if (is_error(&range))
		return range;
	if (range.type != KV_CEL_T_LIST && range.type != KV_CEL_T_MAP)
		return err_at(f, KV_CEL_E_NO_OVERLOAD, n, "%s() applies to a list or a map, not %s",
			      kv_cel_macro_name((kv_cel_macro)n->op), type_of(&range));
	switch (n->op) {
	case KV_CEL_MACRO_ALL:
	case KV_CEL_MACRO_EXISTS: return quantifier(f, n, &range);
	case KV_CEL_MACRO_EXISTS_ONE: return exists_one(f, n, &range);
	case KV_CEL_MACRO_TRANSFORM_MAP:
	case KV_CEL_MACRO_TRANSFORM_MAP_ENTRY: return map_builder(f, n, &range);
	default: return list_builder(f, n, &range);
	}
}

static kv_cel_val variable(frame *f, const kv_cel_node *n)
{
	if (n->flags & KV_CEL_F_LOCAL)
		return f->r->locals[f->base + n->ref];
	if (n->flags & KV_CEL_F_TYPE)
		return kv_cel_type((kv_cel_vtype)n->ref);
	if ((n->flags & KV_CEL_F_VAR) && n->ref < f->r->nvars)
		return f->r->vars[n->ref];
	return err_at(f, KV_CEL_E_UNDECLARED, n, "undeclared reference to '%.*s'", (int)n->len, n->str);
}

static kv_cel_val eval(frame *f, const kv_cel_node *n)
{
	if (!kv_cel_charge(f->r, 1))
		return kv_cel_budget_error(f->r, n->pos);
	switch ((kv_cel_kind)n->kind) {
	case KV_CEL_NULL: return kv_cel_null();
	case KV_CEL_BOOL: return kv_cel_bool(n->lit.b);
	case KV_CEL_INT: return kv_cel_int(n->lit.i);
	case KV_CEL_UINT: return kv_cel_uint(n->lit.u);
	case KV_CEL_DOUBLE: return kv_cel_double(n->lit.d);
	case KV_CEL_STRING: return kv_cel_string(n->str, n->len);
	case KV_CEL_BYTES: return kv_cel_bytes(n->str, n->len);
	case KV_CEL_IDENT: return variable(f, n);
	case KV_CEL_SELECT:
		if (n->flags & (KV_CEL_F_VAR | KV_CEL_F_TYPE))
			return variable(f, n);
		return select_field(f, n, eval(f, n->kids[0]), n->flags & KV_CEL_F_OPTIONAL);
	case KV_CEL_HAS: return has_field(f, n);
	case KV_CEL_INDEX: {
		kv_cel_val t = eval(f, n->kids[0]);
		if (is_error(&t))
			return t;
		return index_value(f, n, t, eval(f, n->kids[1]), n->flags & KV_CEL_F_OPTIONAL);
	}
	case KV_CEL_CALL:
	case KV_CEL_MCALL: return call(f, n);
	case KV_CEL_LIST: return list_literal(f, n);
	case KV_CEL_MAP: return map_literal(f, n);
	case KV_CEL_STRUCT:
		return err_at(f, KV_CEL_E_NO_OVERLOAD, n, "message types such as %.*s are not supported",
			      (int)n->len, n->str);
	case KV_CEL_UNARY: return unary(f, n);
	case KV_CEL_BINARY: return binary(f, n);
	case KV_CEL_AND:
	case KV_CEL_OR: return logical(f, n);
	case KV_CEL_COND: return conditional(f, n);
	case KV_CEL_COMP: return comprehension(f, n);
	default: return err_at(f, KV_CEL_E_GENERIC, n, "cannot evaluate this expression");
	}
}

size_t kv_cel_failing_elements(kv_cel_run *r, const kv_cel_prog *p, const kv_cel_val *vars, size_t nvars,
			       const kv_node **out, size_t max)
{
	const kv_cel_node *root = kv_cel_prog_ast(p)->root;
	if (root->kind != KV_CEL_COMP || root->op != KV_CEL_MACRO_ALL)
		return 0;
	r->steps = 0;
	r->exhausted = false;
	r->vars = vars;
	r->nvars = nvars;
	r->ltop = kv_cel_prog_nlocals(p);
	reserve_locals(r, r->ltop + 1);
	frame f = {.r = r, .p = p, .base = 0};
	kv_cel_val range = eval(&f, root->kids[0]);
	if (range.type != KV_CEL_T_LIST && range.type != KV_CEL_T_MAP)
		return 0;
	bool is_list = range.type == KV_CEL_T_LIST;
	size_t n = 0;
	kv_cel_val a, b;
	iter t = {.range = &range};
	while (n < max && iter_next(&f, &t, &a, &b, root) && !r->exhausted) {
		bind_vars(&f, root, is_list, &a, &b);
		kv_cel_val v = eval(&f, root->kids[1]);
		if (v.type != KV_CEL_T_BOOL || v.u.b)
			continue; /* errors are not violations: the evaluation reports them */
		const kv_node *at = v.src ? v.src : is_list ? b.src : a.src;
		if (at)
			out[n++] = at;
	}
	r->ltop = 0;
	return n;
}
