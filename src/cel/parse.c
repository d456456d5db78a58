/* parse.c: recursive-descent CEL parser. Each function carries the grammar rule it parses
 * (from the CEL language definition). Binary operators are left-associative loops; recursion
 * happens only through expr(), which counts depth against a cap, so hostile nesting is an
 * error, not a stack overflow. Macros become KV_CEL_COMP nodes here. */
#include "lex.h"

#include "kvet/alloc.h"
#include "kvet/strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	kv_lexer lx;
	kv_token tok;
	const char *src;
	size_t len;
	kv_arena *arena;
	kv_cel_error *err;
	uint32_t depth, max_depth;
	bool failed;
} parser;

static void advance(parser *p)
{
	if (p->failed)
		return;
	p->tok = kv_lex_next(&p->lx);
	if (p->tok.kind == T_ERROR)
		p->failed = true;
}

static const char *describe(const kv_token *t)
{
	switch (t->kind) {
	case T_EOF: return "the end of the expression";
	case T_IDENT: case T_QIDENT: return "a name";
	case T_INT: case T_UINT: case T_DOUBLE: return "a number";
	case T_STRING: return "a string";
	case T_BYTES: return "bytes";
	default: return NULL;
	}
}

/* An error at the current token; the first error wins. */
static kv_cel_node *fail(parser *p, const char *expected)
{
	if (p->failed)
		return NULL;
	p->failed = true;
	const char *what = describe(&p->tok);
	if (what)
		kv_lex_fail(p->src, p->len, p->tok.pos, p->err, "expected %s, found %s", expected, what);
	else
		kv_lex_fail(p->src, p->len, p->tok.pos, p->err, "expected %s, found '%.*s'", expected,
			    (int)(p->tok.end - p->tok.pos), p->src + p->tok.pos);
	return NULL;
}

static kv_cel_node *fail_at(parser *p, uint32_t pos, const char *msg)
{
	if (!p->failed)
		kv_lex_fail(p->src, p->len, pos, p->err, "%s", msg);
	p->failed = true;
	return NULL;
}

static bool accept(parser *p, kv_tok_kind k)
{
	if (p->failed || p->tok.kind != k)
		return false;
	advance(p);
	return true;
}

static bool expect(parser *p, kv_tok_kind k, const char *what)
{
	if (accept(p, k))
		return true;
	fail(p, what);
	return false;
}

static kv_cel_node *node(parser *p, kv_cel_kind kind, uint32_t pos, uint32_t nkids)
{
	kv_cel_node *n = kv_arena_alloc(p->arena, sizeof *n);
	memset(n, 0, sizeof *n);
	n->kind = (uint8_t)kind;
	n->pos = pos;
	n->nkids = nkids;
	if (nkids)
		n->kids = kv_arena_alloc(p->arena, sizeof *n->kids * nkids);
	return n;
}

static kv_cel_node *binary(parser *p, kv_cel_kind kind, kv_cel_op op, kv_cel_node *l, kv_cel_node *r,
			   uint32_t pos)
{
	kv_cel_node *n = node(p, kind, pos, 2);
	n->op = (uint8_t)op;
	n->kids[0] = l;
	n->kids[1] = r;
	return n;
}

/* A growable list of nodes and optional flags, copied to the arena when complete. */
typedef struct {
	kv_cel_node **items;
	uint8_t *opt;
	const char **names;
	size_t n, cap, capopt, capnames;
	bool any_opt;
} nodelist;

static void push(nodelist *l, kv_cel_node *n, bool optional)
{
	KV_GROW(l->items, l->cap, l->n + 1);
	KV_GROW(l->opt, l->capopt, l->n + 1);
	l->items[l->n] = n;
	l->opt[l->n] = optional ? KV_CEL_F_OPTIONAL : 0;
	l->any_opt = l->any_opt || optional;
	l->n++;
}

static void nodelist_free(nodelist *l)
{
	free(l->items);
	free(l->opt);
	free(l->names);
}

static void attach(parser *p, kv_cel_node *n, nodelist *l, size_t first)
{
	for (size_t i = first; i < l->n; i++)
		n->kids[i - first + (n->nkids - (l->n - first))] = l->items[i];
	if (l->any_opt) {
		n->opt = kv_arena_alloc(p->arena, l->n ? l->n : 1);
		memcpy(n->opt, l->opt, l->n);
	}
}

static kv_cel_node *expr(parser *p);

/* ExprList = Expr {"," Expr} ; ending at close, which is consumed. */
static bool expr_list(parser *p, nodelist *l, kv_tok_kind close, const char *what)
{
	if (accept(p, close))
		return true;
	for (;;) {
		kv_cel_node *e = expr(p);
		if (!e)
			return false;
		push(l, e, false);
		if (accept(p, close))
			return true;
		if (!expect(p, T_COMMA, what))
			return false;
	}
}

static char *name_of(parser *p, const kv_token *t)
{
	return kv_arena_strndup(p->arena, t->s, t->len);
}

static bool simple_name(const kv_cel_node *n)
{
	return n->kind == KV_CEL_IDENT && !(n->flags & KV_CEL_F_ROOT);
}

/* Where an expression starts in the source: a selection's position is its '.', a binary
 * node's its operator, so walk to the leftmost operand. */
static uint32_t start_of(const kv_cel_node *n)
{
	for (;;) {
		switch (n->kind) {
		case KV_CEL_SELECT:
		case KV_CEL_INDEX:
		case KV_CEL_MCALL:
		case KV_CEL_BINARY:
		case KV_CEL_AND:
		case KV_CEL_OR:
		case KV_CEL_COND:
			n = n->kids[0];
			continue;
		case KV_CEL_COMP:
			if (n->op != KV_CEL_MACRO_BIND) {
				n = n->kids[0];
				continue;
			}
			return n->pos;
		default:
			return n->pos;
		}
	}
}

/* Macros named as a global call: has(e.f). */
static kv_cel_node *global_macro(parser *p, const char *name, nodelist *args, uint32_t pos,
				 bool *is_macro)
{
	*is_macro = false;
	if (strcmp(name, "has") != 0 || args->n != 1)
		return NULL;
	*is_macro = true;
	kv_cel_node *a = args->items[0];
	if (a->kind != KV_CEL_SELECT || (a->flags & KV_CEL_F_OPTIONAL))
		return fail_at(p, start_of(a), "has() takes a field selection, as in has(object.spec)");
	kv_cel_node *h = node(p, KV_CEL_HAS, pos, 1);
	h->kids[0] = a->kids[0];
	h->str = a->str;
	h->len = a->len;
	return h;
}

/* How a comprehension macro's arguments divide: the variables, then the bodies. */
typedef enum {
	SHAPE_PRED,      /* (x, p) or (k, v, p) */
	SHAPE_MAP,       /* (x, t) or (x, p, t) */
	SHAPE_ONE_VAR,   /* (x, e) only */
	SHAPE_TRANSFORM, /* (k, v, t) or (k, v, p, t) */
} macro_shape;

static const struct {
	const char *name;
	kv_cel_macro macro;
	macro_shape shape;
} method_macros[] = {
	{"all", KV_CEL_MACRO_ALL, SHAPE_PRED},
	{"exists", KV_CEL_MACRO_EXISTS, SHAPE_PRED},
	{"exists_one", KV_CEL_MACRO_EXISTS_ONE, SHAPE_PRED},
	{"existsOne", KV_CEL_MACRO_EXISTS_ONE, SHAPE_PRED},
	{"map", KV_CEL_MACRO_MAP, SHAPE_MAP},
	{"filter", KV_CEL_MACRO_FILTER, SHAPE_ONE_VAR},
	{"transformList", KV_CEL_MACRO_TRANSFORM_LIST, SHAPE_TRANSFORM},
	{"transformMap", KV_CEL_MACRO_TRANSFORM_MAP, SHAPE_TRANSFORM},
	{"transformMapEntry", KV_CEL_MACRO_TRANSFORM_MAP_ENTRY, SHAPE_TRANSFORM},
	{"optMap", KV_CEL_MACRO_OPT_MAP, SHAPE_ONE_VAR},
	{"optFlatMap", KV_CEL_MACRO_OPT_FLAT_MAP, SHAPE_ONE_VAR},
};

/* The number of variables for a macro of this shape called with n arguments, or 0 when
 * n does not fit the shape (then it is an ordinary method call). */
static size_t macro_vars(macro_shape shape, size_t n)
{
	switch (shape) {
	case SHAPE_PRED: return n == 2 ? 1 : n == 3 ? 2 : 0;
	case SHAPE_MAP: return n == 2 || n == 3 ? 1 : 0;
	case SHAPE_ONE_VAR: return n == 2 ? 1 : 0;
	case SHAPE_TRANSFORM: return n == 3 || n == 4 ? 2 : 0;
	}
	return 0;
}

static bool is_ident(const kv_cel_node *n, const char *name)
{
	return simple_name(n) && n->len == strlen(name) && memcmp(n->str, name, n->len) == 0;
}

static bool int_literal(const kv_cel_node *n)
{
	return n->kind == KV_CEL_INT && n->lit.i >= 0 && n->lit.i < 1000000;
}

/* The cel.* macros: cel.bind(x, init, body); cel.block([e0, e1...], body) with cel.index(i)
 * naming ei, and cel.iterVar(i, j) naming a comprehension variable (the forms cel-go's
 * common-subexpression optimizer writes). */
static kv_cel_node *cel_macro(parser *p, const char *name, nodelist *args, uint32_t pos, bool *is_macro)
{
	*is_macro = true;
	kv_cel_node **a = args->items;
	if (strcmp(name, "bind") == 0 && args->n == 3) {
		if (!simple_name(a[0]))
			return fail_at(p, start_of(a[0]), "cel.bind() takes a simple name first");
		kv_cel_node *c = node(p, KV_CEL_COMP, pos, 2);
		c->op = KV_CEL_MACRO_BIND;
		c->var = a[0]->str;
		c->kids[0] = a[1];
		c->kids[1] = a[2];
		return c;
	}
	if (strcmp(name, "block") == 0 && args->n == 2) {
		if (a[0]->kind != KV_CEL_LIST || a[0]->opt)
			return fail_at(p, start_of(a[0]), "cel.block() takes a list of expressions first");
		kv_cel_node *c = node(p, KV_CEL_COMP, pos, a[0]->nkids + 1);
		c->op = KV_CEL_MACRO_BLOCK;
		for (uint32_t i = 0; i < a[0]->nkids; i++)
			c->kids[i] = a[0]->kids[i];
		c->kids[a[0]->nkids] = a[1];
		return c;
	}
	char tmp[64];
	if (strcmp(name, "index") == 0 && args->n == 1 && int_literal(a[0]))
		snprintf(tmp, sizeof tmp, "@index%lld", (long long)a[0]->lit.i);
	else if (strcmp(name, "iterVar") == 0 && args->n == 2 && int_literal(a[0]) && int_literal(a[1]))
		snprintf(tmp, sizeof tmp, "@it:%lld:%lld", (long long)a[0]->lit.i, (long long)a[1]->lit.i);
	else
		return *is_macro = false, NULL;
	kv_cel_node *n = node(p, KV_CEL_IDENT, pos, 0);
	n->len = (uint32_t)strlen(tmp);
	n->str = kv_arena_strndup(p->arena, tmp, n->len);
	return n;
}

/* target.all(x, p) and the other comprehension macros. */
static kv_cel_node *method_macro(parser *p, kv_cel_node *target, const char *name, nodelist *args,
				 uint32_t pos, bool *is_macro)
{
	*is_macro = false;
	if (is_ident(target, "cel"))
		return cel_macro(p, name, args, pos, is_macro);
	for (size_t i = 0; i < sizeof method_macros / sizeof method_macros[0]; i++) {
		if (strcmp(name, method_macros[i].name) != 0)
			continue;
		size_t nvars = macro_vars(method_macros[i].shape, args->n);
		if (!nvars)
			return NULL; /* not the macro's shape: an ordinary method call */
		*is_macro = true;
		kv_cel_macro m = method_macros[i].macro;
		if (m == KV_CEL_MACRO_MAP && args->n == 3)
			m = KV_CEL_MACRO_MAP_FILTER;
		for (size_t v = 0; v < nvars; v++)
			if (!simple_name(args->items[v]))
				return fail_at(p, start_of(args->items[v]),
					       "the macro's variable must be a simple name");
		kv_cel_node *c = node(p, KV_CEL_COMP, pos, (uint32_t)(1 + args->n - nvars));
		c->op = (uint8_t)m;
		c->var = args->items[0]->str;
		c->var2 = nvars == 2 ? args->items[1]->str : NULL;
		c->kids[0] = target;
		for (size_t k = nvars; k < args->n; k++)
			c->kids[1 + k - nvars] = args->items[k];
		return c;
	}
	return NULL;
}

static kv_cel_node *call(parser *p, kv_cel_node *target, const kv_token *name, uint32_t pos)
{
	nodelist args = {0};
	kv_cel_node *n = NULL;
	if (!expr_list(p, &args, T_RPAREN, "',' or ')' after an argument"))
		goto done;
	char *fn = name_of(p, name);
	bool is_macro;
	n = target ? method_macro(p, target, fn, &args, pos, &is_macro)
		   : global_macro(p, fn, &args, pos, &is_macro);
	if (is_macro)
		goto done;
	n = node(p, target ? KV_CEL_MCALL : KV_CEL_CALL, pos, (uint32_t)(args.n + (target ? 1 : 0)));
	n->str = fn;
	n->len = name->len;
	if (target)
		n->kids[0] = target;
	attach(p, n, &args, 0);
done:
	nodelist_free(&args);
	return n;
}

/* A dotted name made only of identifiers and selections, as a message type name. */
static bool qualified_name(const kv_cel_node *n, kv_buf *out)
{
	if (n->kind == KV_CEL_IDENT) {
		if (n->flags & KV_CEL_F_ROOT)
			kv_buf_putc(out, '.');
		kv_buf_add(out, n->str, n->len);
		return true;
	}
	if (n->kind != KV_CEL_SELECT || (n->flags & KV_CEL_F_OPTIONAL) || !qualified_name(n->kids[0], out))
		return false;
	kv_buf_putc(out, '.');
	kv_buf_add(out, n->str, n->len);
	return true;
}

/* FieldInits = ["?"] SELECTOR ":" Expr {"," ["?"] SELECTOR ":" Expr} ; */
static kv_cel_node *struct_init(parser *p, kv_cel_node *type, uint32_t pos)
{
	kv_buf name = KV_BUF_INIT;
	if (!qualified_name(type, &name)) {
		kv_buf_free(&name);
		return fail_at(p, pos, "only a type name can be followed by { }");
	}
	nodelist vals = {0};
	kv_cel_node *n = NULL;
	for (;;) {
		if (accept(p, T_RBRACE))
			break;
		bool optional = accept(p, T_QUESTION);
		kv_token field = p->tok;
		if ((!accept(p, T_QIDENT) && !expect(p, T_IDENT, "a field name")) ||
		    !expect(p, T_COLON, "':' after the field name"))
			goto done;
		kv_cel_node *v = expr(p);
		if (!v)
			goto done;
		push(&vals, v, optional);
		KV_GROW(vals.names, vals.capnames, vals.n);
		vals.names[vals.n - 1] = name_of(p, &field);
		if (accept(p, T_COMMA))
			continue;
		if (!expect(p, T_RBRACE, "',' or '}' in the message"))
			goto done;
		break;
	}
	n = node(p, KV_CEL_STRUCT, pos, (uint32_t)vals.n);
	n->str = kv_arena_strndup(p->arena, kv_buf_cstr(&name), name.len);
	n->len = (uint32_t)name.len;
	attach(p, n, &vals, 0);
	n->fields = kv_arena_alloc(p->arena, sizeof *n->fields * (vals.n ? vals.n : 1));
	for (size_t i = 0; i < vals.n; i++)
		n->fields[i] = vals.names[i];
done:
	nodelist_free(&vals);
	kv_buf_free(&name);
	return n;
}

/* Member = Primary
 *        | Member "." ["?"] SELECTOR ["(" [ExprList] ")"]
 *        | Member "[" ["?"] Expr "]"
 *        | Member "{" [FieldInits] "}"         (when Member is a qualified name) */
static kv_cel_node *member(parser *p, kv_cel_node *n)
{
	while (n && !p->failed) {
		uint32_t pos = p->tok.pos;
		if (accept(p, T_DOT)) {
			bool optional = accept(p, T_QUESTION);
			kv_token name = p->tok;
			bool quoted = accept(p, T_QIDENT);
			if (!quoted && !expect(p, T_IDENT, "a field or method name after '.'"))
				return NULL;
			if (!optional && !quoted && accept(p, T_LPAREN)) {
				n = call(p, n, &name, pos);
				continue;
			}
			kv_cel_node *s = node(p, KV_CEL_SELECT, pos, 1);
			s->kids[0] = n;
			s->str = name_of(p, &name);
			s->len = name.len;
			s->flags = optional ? KV_CEL_F_OPTIONAL : 0;
			n = s;
		} else if (accept(p, T_LBRACKET)) {
			bool optional = accept(p, T_QUESTION);
			kv_cel_node *i = expr(p);
			if (!i || !expect(p, T_RBRACKET, "']' after the index"))
				return NULL;
			n = binary(p, KV_CEL_INDEX, 0, n, i, pos);
			n->flags = optional ? KV_CEL_F_OPTIONAL : 0;
		} else if (p->tok.kind == T_LBRACE && (n->kind == KV_CEL_IDENT || n->kind == KV_CEL_SELECT)) {
			advance(p);
			n = struct_init(p, n, n->pos);
		} else {
			break;
		}
	}
	return n;
}

/* "[" [["?"] Expr {"," ["?"] Expr}] [","] "]" ; the "[" is consumed. */
static kv_cel_node *list_lit(parser *p, uint32_t pos)
{
	nodelist l = {0};
	kv_cel_node *n = NULL;
	for (;;) {
		if (accept(p, T_RBRACKET))
			break; /* empty, or after a trailing comma */
		bool optional = accept(p, T_QUESTION);
		kv_cel_node *e = expr(p);
		if (!e)
			goto done;
		push(&l, e, optional);
		if (accept(p, T_COMMA))
			continue;
		if (!expect(p, T_RBRACKET, "',' or ']' in the list"))
			goto done;
		break;
	}
	n = node(p, KV_CEL_LIST, pos, (uint32_t)l.n);
	attach(p, n, &l, 0);
done:
	nodelist_free(&l);
	return n;
}

/* "{" [["?"] Expr ":" Expr {"," ["?"] Expr ":" Expr}] [","] "}" ; the "{" is consumed. */
static kv_cel_node *map_lit(parser *p, uint32_t pos)
{
	nodelist l = {0};
	kv_cel_node *n = NULL;
	for (;;) {
		if (accept(p, T_RBRACE))
			break;
		bool optional = accept(p, T_QUESTION);
		kv_cel_node *k = expr(p);
		if (!k || !expect(p, T_COLON, "':' after the map key"))
			goto done;
		kv_cel_node *v = expr(p);
		if (!v)
			goto done;
		push(&l, k, optional);
		push(&l, v, false);
		if (accept(p, T_COMMA))
			continue;
		if (!expect(p, T_RBRACE, "',' or '}' in the map"))
			goto done;
		break;
	}
	n = node(p, KV_CEL_MAP, pos, (uint32_t)l.n);
	attach(p, n, &l, 0);
done:
	nodelist_free(&l);
	return n;
}

/* A literal node for token t (not consumed here). */
static kv_cel_node *literal_of(parser *p, const kv_token *t, kv_cel_kind kind)
{
	kv_cel_node *n = node(p, kind, t->pos, 0);
	switch (kind) {
	case KV_CEL_INT: n->lit.i = (int64_t)t->u; break;
	case KV_CEL_UINT: n->lit.u = t->u; break;
	case KV_CEL_DOUBLE: n->lit.d = t->d; break;
	case KV_CEL_BOOL: n->lit.b = t->kind == T_TRUE; break;
	case KV_CEL_STRING:
	case KV_CEL_BYTES:
		n->str = t->s;
		n->len = t->len;
		n->flags = t->raw ? KV_CEL_F_RAW : 0;
		break;
	default: break;
	}
	return n;
}

static kv_cel_node *literal(parser *p, kv_cel_kind kind)
{
	if (kind == KV_CEL_INT && p->tok.int_overflow)
		return fail_at(p, p->tok.pos, "the int literal is out of range");
	kv_cel_node *n = literal_of(p, &p->tok, kind);
	advance(p);
	return n;
}

/* Primary = ["."] IDENT ["(" [ExprList] ")"]
 *         | "(" Expr ")"
 *         | "[" ... "]" | "{" ... "}"
 *         | LITERAL */
static kv_cel_node *primary(parser *p)
{
	uint32_t pos = p->tok.pos;
	switch (p->tok.kind) {
	case T_INT: return literal(p, KV_CEL_INT);
	case T_UINT: return literal(p, KV_CEL_UINT);
	case T_DOUBLE: return literal(p, KV_CEL_DOUBLE);
	case T_STRING: return literal(p, KV_CEL_STRING);
	case T_BYTES: return literal(p, KV_CEL_BYTES);
	case T_TRUE:
	case T_FALSE: return literal(p, KV_CEL_BOOL);
	case T_NULL: return literal(p, KV_CEL_NULL);
	case T_LPAREN: {
		advance(p);
		kv_cel_node *e = expr(p);
		return e && expect(p, T_RPAREN, "')'") ? e : NULL;
	}
	case T_LBRACKET:
		advance(p);
		return list_lit(p, pos);
	case T_LBRACE:
		advance(p);
		return map_lit(p, pos);
	default: break;
	}
	bool root = accept(p, T_DOT);
	kv_token name = p->tok;
	if (!expect(p, T_IDENT, root ? "a name after the leading '.'" : "an expression"))
		return NULL;
	if (kv_lex_reserved(name.s, name.len))
		return fail_at(p, name.pos, "a reserved word cannot be used as a name");
	if (accept(p, T_LPAREN))
		return call(p, NULL, &name, pos);
	kv_cel_node *n = node(p, KV_CEL_IDENT, pos, 0);
	n->str = name_of(p, &name);
	n->len = name.len;
	n->flags = root ? KV_CEL_F_ROOT : 0;
	return n;
}

/* Unary = Member | "!" {"!"} Member | "-" {"-"} Member ;
 * A minus directly before a bare number literal is the literal's sign (so the literal
 * -9223372036854775808 exists); before -1.f() or -1[0] it negates the whole member. */
static kv_cel_node *unary(parser *p)
{
	uint32_t pos = p->tok.pos;
	kv_tok_kind k = p->tok.kind;
	if (k != T_NOT && k != T_MINUS)
		return member(p, primary(p));
	size_t count = 0;
	while (p->tok.kind == k && !p->failed) {
		advance(p);
		count++;
	}
	kv_cel_node *n;
	kv_token t = p->tok;
	if (k == T_MINUS && (t.kind == T_INT || t.kind == T_DOUBLE) && !p->failed) {
		advance(p);
		bool bare = p->tok.kind != T_DOT && p->tok.kind != T_LBRACKET;
		if (!bare && t.kind == T_INT && t.int_overflow)
			return fail_at(p, t.pos, "the int literal is out of range");
		n = literal_of(p, &t, t.kind == T_INT ? KV_CEL_INT : KV_CEL_DOUBLE);
		if (bare) {
			n->pos = pos + (uint32_t)(count - 1);
			if (t.kind == T_INT)
				n->lit.i = t.int_overflow ? INT64_MIN : -(int64_t)t.u;
			else
				n->lit.d = -t.d;
			count--;
		} else {
			n = member(p, n);
		}
	} else {
		n = member(p, primary(p));
	}
	for (size_t i = 0; i < count && n; i++) {
		kv_cel_node *u = node(p, KV_CEL_UNARY, pos, 1);
		u->op = k == T_NOT ? KV_CEL_OP_NOT : KV_CEL_OP_NEG;
		u->kids[0] = n;
		n = u;
	}
	return p->failed ? NULL : n;
}

static bool mul_op(kv_tok_kind k, kv_cel_op *op)
{
	switch (k) {
	case T_STAR: *op = KV_CEL_OP_MUL; return true;
	case T_SLASH: *op = KV_CEL_OP_DIV; return true;
	case T_PERCENT: *op = KV_CEL_OP_MOD; return true;
	default: return false;
	}
}

static bool add_op(kv_tok_kind k, kv_cel_op *op)
{
	switch (k) {
	case T_PLUS: *op = KV_CEL_OP_ADD; return true;
	case T_MINUS: *op = KV_CEL_OP_SUB; return true;
	default: return false;
	}
}

static bool rel_op(kv_tok_kind k, kv_cel_op *op)
{
	switch (k) {
	case T_LT: *op = KV_CEL_OP_LT; return true;
	case T_LE: *op = KV_CEL_OP_LE; return true;
	case T_GT: *op = KV_CEL_OP_GT; return true;
	case T_GE: *op = KV_CEL_OP_GE; return true;
	case T_EQ: *op = KV_CEL_OP_EQ; return true;
	case T_NE: *op = KV_CEL_OP_NE; return true;
	case T_IN: *op = KV_CEL_OP_IN; return true;
	default: return false;
	}
}

/* Multiplication = [Multiplication ("*" | "/" | "%")] Unary ; */
static kv_cel_node *multiplication(parser *p)
{
	kv_cel_node *l = unary(p);
	kv_cel_op op;
	while (l && mul_op(p->tok.kind, &op)) {
		uint32_t pos = p->tok.pos;
		advance(p);
		kv_cel_node *r = unary(p);
		l = r ? binary(p, KV_CEL_BINARY, op, l, r, pos) : NULL;
	}
	return l;
}

/* Addition = [Addition ("+" | "-")] Multiplication ; */
static kv_cel_node *addition(parser *p)
{
	kv_cel_node *l = multiplication(p);
	kv_cel_op op;
	while (l && add_op(p->tok.kind, &op)) {
		uint32_t pos = p->tok.pos;
		advance(p);
		kv_cel_node *r = multiplication(p);
		l = r ? binary(p, KV_CEL_BINARY, op, l, r, pos) : NULL;
	}
	return l;
}

/* Relation = [Relation ("<" | "<=" | ">=" | ">" | "==" | "!=" | "in")] Addition ; */
static kv_cel_node *relation(parser *p)
{
	kv_cel_node *l = addition(p);
	kv_cel_op op;
	while (l && rel_op(p->tok.kind, &op)) {
		uint32_t pos = p->tok.pos;
		advance(p);
		kv_cel_node *r = addition(p);
		l = r ? binary(p, KV_CEL_BINARY, op, l, r, pos) : NULL;
	}
	return l;
}

/* Builds a balanced tree over operands [lo, hi): && and || are commutative in CEL, and a
 * balanced tree keeps a chain of a thousand conditions a dozen levels deep, as cel-go does. */
static kv_cel_node *balance(parser *p, kv_cel_kind kind, nodelist *terms, uint32_t *ops, size_t lo,
			    size_t hi)
{
	if (hi - lo == 1)
		return terms->items[lo];
	size_t mid = lo + (hi - lo) / 2;
	kv_cel_node *l = balance(p, kind, terms, ops, lo, mid);
	kv_cel_node *r = balance(p, kind, terms, ops, mid, hi);
	return binary(p, kind, 0, l, r, ops[mid - 1]);
}

/* ConditionalOr = [ConditionalOr "||"] ConditionalAnd ;
 * ConditionalAnd = [ConditionalAnd "&&"] Relation ; */
static kv_cel_node *logical(parser *p, kv_tok_kind tok)
{
	kv_cel_node *first = tok == T_OR ? logical(p, T_AND) : relation(p);
	if (!first || p->tok.kind != tok)
		return first;
	nodelist terms = {0};
	uint32_t *ops = NULL;
	size_t capops = 0;
	kv_cel_node *n = NULL;
	push(&terms, first, false);
	while (p->tok.kind == tok) {
		KV_GROW(ops, capops, terms.n);
		ops[terms.n - 1] = p->tok.pos;
		advance(p);
		kv_cel_node *r = tok == T_OR ? logical(p, T_AND) : relation(p);
		if (!r)
			goto done;
		push(&terms, r, false);
	}
	n = balance(p, tok == T_OR ? KV_CEL_OR : KV_CEL_AND, &terms, ops, 0, terms.n);
done:
	free(ops);
	nodelist_free(&terms);
	return n;
}

static kv_cel_node *cond_or(parser *p)
{
	return logical(p, T_OR);
}

/* Expr = ConditionalOr ["?" ConditionalOr ":" Expr] ; */
static kv_cel_node *expr(parser *p)
{
	if (++p->depth > p->max_depth) {
		fail_at(p, p->tok.pos, "the expression nests too deeply");
		return NULL;
	}
	kv_cel_node *c = cond_or(p);
	if (c && p->tok.kind == T_QUESTION) {
		uint32_t pos = p->tok.pos;
		advance(p);
		kv_cel_node *t = cond_or(p);
		kv_cel_node *e = t && expect(p, T_COLON, "':' in the conditional") ? expr(p) : NULL;
		if (e) {
			kv_cel_node *n = node(p, KV_CEL_COND, pos, 3);
			n->kids[0] = c;
			n->kids[1] = t;
			n->kids[2] = e;
			c = n;
		} else {
			c = NULL;
		}
	}
	p->depth--;
	return p->failed ? NULL : c;
}

/* The tree's height, measured without recursion: long left-leaning chains (a + a + ...,
 * !!!...x) are built by loops, and evaluation must not recurse deeper than the cap either. */
static bool check_height(parser *p, kv_cel_node *root)
{
	typedef struct {
		const kv_cel_node *n;
		uint32_t depth;
	} frame;
	frame *stack = NULL;
	size_t n = 0, cap = 0;
	bool ok = true;
	KV_GROW(stack, cap, 1);
	stack[n++] = (frame){root, 1};
	while (n && ok) {
		frame f = stack[--n];
		if (f.depth > p->max_depth) {
			fail_at(p, f.n->pos, "the expression nests too deeply");
			ok = false;
			break;
		}
		KV_GROW(stack, cap, n + f.n->nkids);
		for (uint32_t i = 0; i < f.n->nkids; i++)
			stack[n++] = (frame){f.n->kids[i], f.depth + 1};
	}
	free(stack);
	return ok;
}

int kv_cel_parse(kv_cel_ast *out, const char *src, size_t len, const kv_cel_limits *limits,
		 kv_arena *arena, kv_cel_error *err)
{
	kv_cel_limits lim = limits ? *limits : (kv_cel_limits){KV_CEL_DEPTH_DEFAULT, KV_CEL_SIZE_DEFAULT};
	memset(err, 0, sizeof *err);
	out->root = NULL;
	out->src = src;
	out->len = len;
	if (len > lim.max_size) {
		kv_lex_fail(src, len, 0, err, "the expression is longer than %u bytes", lim.max_size);
		return -1;
	}
	size_t bad;
	if (!kv_utf8_valid(src, len, &bad)) {
		kv_lex_fail(src, len, (uint32_t)bad, err, "invalid UTF-8");
		return -1;
	}
	parser p = {.src = src, .len = len, .arena = arena, .err = err, .max_depth = lim.max_depth};
	kv_lex_init(&p.lx, src, len, arena, err);
	advance(&p);
	kv_cel_node *root = p.failed ? NULL : expr(&p);
	if (root && p.tok.kind != T_EOF)
		fail(&p, "an operator or the end of the expression");
	kv_lex_free(&p.lx);
	if (!p.failed)
		check_height(&p, root);
	if (p.failed)
		return -1;
	out->root = root;
	return 0;
}
