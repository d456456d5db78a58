/* lib_math.c: cel-go's math extension (ext.Math, version 2): math.greatest and math.least,
 * rounding, abs and sign, floating-point tests, bit operations and sqrt. */
#include "internal.h"

#include <math.h>
#include <stdio.h>

#define A(i) (&c->args[i])

static bool is_number(const kv_cel_val *v)
{
	return v->type == KV_CEL_T_INT || v->type == KV_CEL_T_UINT || v->type == KV_CEL_T_DOUBLE;
}

/* ---- math.greatest and math.least ------------------------------------------------------- */

/* cel-go's macros reject, when parsing, literals that cannot be numbers: any argument that is
 * a string, bytes, bool or null literal, or a list or map literal; except that a lone
 * argument may be a non-empty list literal of such arguments. */
static bool maybe_number(const kv_cel_node *n)
{
	switch (n->kind) {
	case KV_CEL_NULL:
	case KV_CEL_BOOL:
	case KV_CEL_STRING:
	case KV_CEL_BYTES:
	case KV_CEL_LIST:
	case KV_CEL_MAP:
	case KV_CEL_STRUCT: return false;
	default: return true;
	}
}

static bool numeric_list_literal(const kv_cel_node *n)
{
	if (n->kind != KV_CEL_LIST || n->nkids == 0)
		return false;
	for (uint32_t i = 0; i < n->nkids; i++)
		if (!maybe_number(n->kids[i]))
			return false;
	return true;
}

static int extremum_prepare(const kv_cel_node *const *args, size_t nargs, const char *name,
			    char *msg, size_t msgsize, uint32_t *pos)
{
	if (nargs == 1 && !maybe_number(args[0]) && !numeric_list_literal(args[0])) {
		snprintf(msg, msgsize, "%s() takes numbers, or one list of numbers", name);
		*pos = args[0]->pos;
		return -1;
	}
	for (size_t i = 0; nargs > 1 && i < nargs; i++) {
		if (!maybe_number(args[i])) {
			snprintf(msg, msgsize, "%s() of several arguments takes numbers only", name);
			*pos = args[i]->pos;
			return -1;
		}
	}
	return 0;
}

static int greatest_prepare(const kv_cel_node *const *args, size_t nargs, const void **aux,
			    char *msg, size_t msgsize, uint32_t *pos)
{
	(void)aux;
	return extremum_prepare(args, nargs, "math.greatest", msg, msgsize, pos);
}

static int least_prepare(const kv_cel_node *const *args, size_t nargs, const void **aux,
			 char *msg, size_t msgsize, uint32_t *pos)
{
	(void)aux;
	return extremum_prepare(args, nargs, "math.least", msg, msgsize, pos);
}

static kv_cel_val not_a_number(kv_cel_call *c, bool in_list, const kv_cel_val *v)
{
	if (!in_list)
		return kv_cel_no_overload(c);
	return kv_cel_errorf(c->r, KV_CEL_E_NO_OVERLOAD, c->pos,
			    "no matching overload for '%s' applied to a list holding %s; it compares "
			    "int, uint and double", c->name, kv_cel_vtype_name((kv_cel_vtype)v->type));
}

/* The greatest (want 1) or least (want -1) of the call's arguments, or of list's n items:
 * numbers compare across types, the first of equals wins and keeps its own type. */
static kv_cel_val extremum(kv_cel_call *c, const kv_cel_val *list, size_t n, int want)
{
	kv_cel_val best = kv_cel_null();
	for (size_t i = 0; i < n; i++) {
		kv_cel_val next = list ? kv_cel_list_at(list, i) : *A(i);
		if (!is_number(&next))
			return not_a_number(c, list != NULL, &next);
		int cmp = i ? kv_cel_compare(&next, &best) : want;
		if (cmp == 2)
			return kv_cel_errorf(c->r, KV_CEL_E_INVALID_ARG, c->pos,
					    "%s(): NaN values cannot be ordered", c->name);
		if (cmp == want)
			best = next;
	}
	return best;
}

static kv_cel_val greatest_or_least(kv_cel_call *c, int want)
{
	if (c->nargs > 1)
		return extremum(c, NULL, c->nargs, want);
	if (is_number(A(0)))
		return *A(0);
	if (A(0)->type != KV_CEL_T_LIST)
		return kv_cel_no_overload(c);
	size_t n = kv_cel_list_len(A(0));
	if (n == 0)
		return kv_cel_errorf(c->r, KV_CEL_E_INVALID_ARG, c->pos, "%s() of an empty list", c->name);
	if (!kv_cel_charge(c->r, n))
		return kv_cel_budget_error(c->r, c->pos);
	return extremum(c, A(0), n, want);
}

static kv_cel_val fn_greatest(kv_cel_call *c)
{
	return greatest_or_least(c, 1);
}

static kv_cel_val fn_least(kv_cel_call *c)
{
	return greatest_or_least(c, -1);
}

/* ---- Doubles: rounding and tests -------------------------------------------------------- */

/* The double argument, or false when the argument is not a double (no conversions). */
static bool double_arg(kv_cel_call *c, double *d)
{
	*d = A(0)->u.d;
	return A(0)->type == KV_CEL_T_DOUBLE;
}

static kv_cel_val fn_ceil(kv_cel_call *c)
{
	double d;
	return double_arg(c, &d) ? kv_cel_double(ceil(d)) : kv_cel_no_overload(c);
}

static kv_cel_val fn_floor(kv_cel_call *c)
{
	double d;
	return double_arg(c, &d) ? kv_cel_double(floor(d)) : kv_cel_no_overload(c);
}

/* Halves round away from zero (Go's math.Round, C's round). */
static kv_cel_val fn_round(kv_cel_call *c)
{
	double d;
	return double_arg(c, &d) ? kv_cel_double(round(d)) : kv_cel_no_overload(c);
}

static kv_cel_val fn_trunc(kv_cel_call *c)
{
	double d;
	return double_arg(c, &d) ? kv_cel_double(trunc(d)) : kv_cel_no_overload(c);
}

static kv_cel_val fn_is_inf(kv_cel_call *c)
{
	double d;
	return double_arg(c, &d) ? kv_cel_bool(isinf(d)) : kv_cel_no_overload(c);
}

static kv_cel_val fn_is_nan(kv_cel_call *c)
{
	double d;
	return double_arg(c, &d) ? kv_cel_bool(isnan(d)) : kv_cel_no_overload(c);
}

static kv_cel_val fn_is_finite(kv_cel_call *c)
{
	double d;
	return double_arg(c, &d) ? kv_cel_bool(isfinite(d)) : kv_cel_no_overload(c);
}

/* ---- Numbers: abs, sign, sqrt ----------------------------------------------------------- */

static kv_cel_val fn_abs(kv_cel_call *c)
{
	const kv_cel_val *v = A(0);
	switch (v->type) {
	case KV_CEL_T_INT:
		if (v->u.i == INT64_MIN)
			return kv_cel_errorf(c->r, KV_CEL_E_OVERFLOW, c->pos,
					    "integer overflow: math.abs(-9223372036854775808) is not an int");
		return kv_cel_int(v->u.i < 0 ? -v->u.i : v->u.i);
	case KV_CEL_T_UINT: return *v;
	case KV_CEL_T_DOUBLE: return kv_cel_double(fabs(v->u.d));
	default: return kv_cel_no_overload(c);
	}
}

/* -1, 0 or 1 in the argument's type; NaN stays NaN and -0.0 gives 0.0. */
static kv_cel_val fn_sign(kv_cel_call *c)
{
	const kv_cel_val *v = A(0);
	switch (v->type) {
	case KV_CEL_T_INT: return kv_cel_int((v->u.i > 0) - (v->u.i < 0));
	case KV_CEL_T_UINT: return kv_cel_uint(v->u.u != 0);
	case KV_CEL_T_DOUBLE:
		if (isnan(v->u.d))
			return *v;
		return kv_cel_double(v->u.d > 0 ? 1.0 : v->u.d < 0 ? -1.0 : 0.0);
	default: return kv_cel_no_overload(c);
	}
}

/* A double for any number; negative numbers give NaN, not an error. */
static kv_cel_val fn_sqrt(kv_cel_call *c)
{
	const kv_cel_val *v = A(0);
	switch (v->type) {
	case KV_CEL_T_INT: return kv_cel_double(sqrt((double)v->u.i));
	case KV_CEL_T_UINT: return kv_cel_double(sqrt((double)v->u.u));
	case KV_CEL_T_DOUBLE: return kv_cel_double(sqrt(v->u.d));
	default: return kv_cel_no_overload(c);
	}
}

/* ---- Bits ------------------------------------------------------------------------------- */

enum { BIT_AND, BIT_OR, BIT_XOR };

/* Two ints or two uints; the arithmetic is on the 64-bit two's complement pattern. */
static kv_cel_val bit_pair(kv_cel_call *c, int op)
{
	const kv_cel_val *a = A(0), *b = A(1);
	if (a->type != b->type || (a->type != KV_CEL_T_INT && a->type != KV_CEL_T_UINT))
		return kv_cel_no_overload(c);
	uint64_t x = a->u.u, y = b->u.u;
	uint64_t r = op == BIT_AND ? x & y : op == BIT_OR ? x | y : x ^ y;
	return a->type == KV_CEL_T_INT ? kv_cel_int((int64_t)r) : kv_cel_uint(r);
}

static kv_cel_val fn_bit_and(kv_cel_call *c)
{
	return bit_pair(c, BIT_AND);
}

static kv_cel_val fn_bit_or(kv_cel_call *c)
{
	return bit_pair(c, BIT_OR);
}

static kv_cel_val fn_bit_xor(kv_cel_call *c)
{
	return bit_pair(c, BIT_XOR);
}

static kv_cel_val fn_bit_not(kv_cel_call *c)
{
	const kv_cel_val *v = A(0);
	if (v->type == KV_CEL_T_INT)
		return kv_cel_int((int64_t)~v->u.u);
	if (v->type == KV_CEL_T_UINT)
		return kv_cel_uint(~v->u.u);
	return kv_cel_no_overload(c);
}

/* An int or uint shifted by an int: a negative shift is an error, 64 or more gives 0, and
 * right shifts of ints fill with zeros (the sign is not extended). */
static kv_cel_val bit_shift(kv_cel_call *c, bool left)
{
	const kv_cel_val *v = A(0), *by = A(1);
	if ((v->type != KV_CEL_T_INT && v->type != KV_CEL_T_UINT) || by->type != KV_CEL_T_INT)
		return kv_cel_no_overload(c);
	if (by->u.i < 0)
		return kv_cel_errorf(c->r, KV_CEL_E_INVALID_ARG, c->pos, "%s() negative offset: %lld",
				    c->name, (long long)by->u.i);
	uint64_t r = by->u.i >= 64 ? 0 : left ? v->u.u << by->u.i : v->u.u >> by->u.i;
	return v->type == KV_CEL_T_INT ? kv_cel_int((int64_t)r) : kv_cel_uint(r);
}

static kv_cel_val fn_shift_left(kv_cel_call *c)
{
	return bit_shift(c, true);
}

static kv_cel_val fn_shift_right(kv_cel_call *c)
{
	return bit_shift(c, false);
}

#define UNARY(name, fn) {name, KV_CEL_FN_GLOBAL, 1, 1, KV_CEL_T_ANY, fn, NULL, NULL}
#define BINARY(name, fn) {name, KV_CEL_FN_GLOBAL, 2, 2, KV_CEL_T_ANY, fn, NULL, NULL}

const kv_cel_fn kv_cel_lib_math[] = {
	{"math.greatest", KV_CEL_FN_GLOBAL, 1, 255, KV_CEL_T_ANY, fn_greatest, greatest_prepare, NULL},
	{"math.least", KV_CEL_FN_GLOBAL, 1, 255, KV_CEL_T_ANY, fn_least, least_prepare, NULL},
	UNARY("math.ceil", fn_ceil),
	UNARY("math.floor", fn_floor),
	UNARY("math.round", fn_round),
	UNARY("math.trunc", fn_trunc),
	UNARY("math.isInf", fn_is_inf),
	UNARY("math.isNaN", fn_is_nan),
	UNARY("math.isFinite", fn_is_finite),
	UNARY("math.abs", fn_abs),
	UNARY("math.sign", fn_sign),
	UNARY("math.sqrt", fn_sqrt),
	BINARY("math.bitAnd", fn_bit_and),
	BINARY("math.bitOr", fn_bit_or),
	BINARY("math.bitXor", fn_bit_xor),
	UNARY("math.bitNot", fn_bit_not),
	BINARY("math.bitShiftLeft", fn_shift_left),
	BINARY("math.bitShiftRight", fn_shift_right),
	{NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
