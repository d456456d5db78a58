/* lib_core.c: CEL's standard functions: size, the string tests (contains, startsWith,
 * endsWith, matches), type conversions (int uint double string bool bytes dyn type) and the
 * optional type's functions. Conversions follow cel-go: int(double) truncates and rejects what
 * is out of range, string(double) prints the shortest form that reads back. */
#include "internal.h"

#include "kvet/strutil.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define A(i) (&c->args[i])

static kv_cel_val conversion_error(kv_cel_call *c, const char *what)
{
	return kv_cel_errorf(c->r, KV_CEL_E_INVALID_ARG, c->pos, "%s", what);
}

static kv_cel_val range(kv_cel_call *c, const char *type)
{
	return kv_cel_errorf(c->r, KV_CEL_E_RANGE, c->pos, "the value is out of range for %s", type);
}

static kv_cel_val fn_size(kv_cel_call *c)
{
	const kv_cel_val *v = A(0);
	switch (v->type) {
	case KV_CEL_T_STRING:
		if (!kv_cel_charge(c->r, v->len / 16))
			return kv_cel_budget_error(c->r, c->pos);
		return kv_cel_int((int64_t)kv_cel_cp_count(v->u.s, v->len));
	case KV_CEL_T_BYTES: return kv_cel_int(v->len);
	case KV_CEL_T_LIST: return kv_cel_int((int64_t)kv_cel_list_len(v));
	case KV_CEL_T_MAP: return kv_cel_int((int64_t)kv_cel_map_len(v));
	default: return kv_cel_no_overload(c);
	}
}

static bool two_strings(kv_cel_call *c)
{
	return A(0)->type == KV_CEL_T_STRING && A(1)->type == KV_CEL_T_STRING;
}

static kv_cel_val fn_contains(kv_cel_call *c)
{
	if (!two_strings(c))
		return kv_cel_no_overload(c);
	if (!kv_cel_charge(c->r, A(0)->len / 16))
		return kv_cel_budget_error(c->r, c->pos);
	return kv_cel_bool(A(1)->len == 0 || memmem(A(0)->u.s, A(0)->len, A(1)->u.s, A(1)->len));
}

static kv_cel_val fn_starts_with(kv_cel_call *c)
{
	if (!two_strings(c))
		return kv_cel_no_overload(c);
	return kv_cel_bool(A(1)->len <= A(0)->len && memcmp(A(0)->u.s, A(1)->u.s, A(1)->len) == 0);
}

static kv_cel_val fn_ends_with(kv_cel_call *c)
{
	if (!two_strings(c))
		return kv_cel_no_overload(c);
	return kv_cel_bool(A(1)->len <= A(0)->len &&
			   memcmp(A(0)->u.s + A(0)->len - A(1)->len, A(1)->u.s, A(1)->len) == 0);
}

static kv_cel_val fn_matches(kv_cel_call *c)
{
	if (!two_strings(c))
		return kv_cel_no_overload(c);
	kv_cel_val err;
	const kv_cel_regex *re = kv_cel_regex_for(c, 1, &err);
	if (!re)
		return err;
	size_t s, e;
	int rc = kv_cel_regex_search(c, re, A(0)->u.s, A(0)->len, 0, &s, &e, &err);
	return rc < 0 ? err : kv_cel_bool(rc == 1);
}

/* Go's strconv.ParseInt(s, 10, 64) and ParseUint: optional sign (ParseInt only), digits. */
static bool parse_decimal(const char *s, size_t n, bool is_signed, bool *neg, uint64_t *mag)
{
	size_t i = 0;
	*neg = false;
	if (is_signed && i < n && (s[i] == '+' || s[i] == '-'))
		*neg = s[i++] == '-';
	if (i == n)
		return false;
	uint64_t v = 0;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
			return false;
	}
	*mag = v;
	return true;
}

static kv_cel_val fn_int(kv_cel_call *c)
{
	const kv_cel_val *v = A(0);
	bool neg;
	uint64_t mag;
	switch (v->type) {
	case KV_CEL_T_INT: return *v;
	case KV_CEL_T_UINT: return v->u.u > INT64_MAX ? range(c, "int") : kv_cel_int((int64_t)v->u.u);
	case KV_CEL_T_DOUBLE:
		if (!(v->u.d > -9223372036854775808.0 && v->u.d < 9223372036854775808.0))
			return range(c, "int");
		return kv_cel_int((int64_t)v->u.d);
	case KV_CEL_T_STRING:
		if (!parse_decimal(v->u.s, v->len, true, &neg, &mag) || mag > (uint64_t)INT64_MAX + neg)
			return conversion_error(c, "the string is not an int");
		return kv_cel_int(neg ? (int64_t)(0 - mag) : (int64_t)mag);
	case KV_CEL_T_TIMESTAMP: return kv_cel_int(v->u.i);
	case KV_CEL_T_DURATION: return kv_cel_int(v->u.i);
	default: return kv_cel_no_overload(c);
	}
}

static kv_cel_val fn_uint(kv_cel_call *c)
{
	const kv_cel_val *v = A(0);
	bool neg;
	uint64_t mag;
	switch (v->type) {
	case KV_CEL_T_UINT: return *v;
	case KV_CEL_T_INT: return v->u.i < 0 ? range(c, "uint") : kv_cel_uint((uint64_t)v->u.i);
	case KV_CEL_T_DOUBLE:
		if (!(v->u.d > -1.0 && v->u.d < 18446744073709551616.0))
			return range(c, "uint");
		return kv_cel_uint((uint64_t)v->u.d);
	case KV_CEL_T_STRING:
		if (!parse_decimal(v->u.s, v->len, false, &neg, &mag))
			return conversion_error(c, "the string is not a uint");
		return kv_cel_uint(mag);
	default: return kv_cel_no_overload(c);
	}
}

/* Go's strconv.ParseFloat: decimal or hexadecimal floats, inf, infinity and nan in any case,
 * with an optional sign; nothing else around them. */
static bool parse_double(const char *s, size_t n, double *out)
{
	char tmp[128];
	if (n == 0 || n >= sizeof tmp)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f' || s[i] == '\v' || s[i] == '_' || s[i] == '\0')
			return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	const char *body = tmp + (tmp[0] == '+' || tmp[0] == '-');
	if (strncasecmp(body, "nan", 3) == 0 && body[3] != '\0')
		return false; /* strtod takes nan(chars); Go does not */
	char *end;
	errno = 0;
	*out = strtod(tmp, &end);
	return *end == '\0' && (errno == 0 || isinf(*out) || *out == 0);
}

static kv_cel_val fn_double(kv_cel_call *c)
{
	const kv_cel_val *v = A(0);
	double d;
	switch (v->type) {
	case KV_CEL_T_DOUBLE: return *v;
	case KV_CEL_T_INT: return kv_cel_double((double)v->u.i);
	case KV_CEL_T_UINT: return kv_cel_double((double)v->u.u);
	case KV_CEL_T_STRING:
		if (!parse_double(v->u.s, v->len, &d))
			return conversion_error(c, "the string is not a double");
		return kv_cel_double(d);
	default: return kv_cel_no_overload(c);
	}
}

static kv_cel_val fn_string(kv_cel_call *c)
{
	const kv_cel_val *v = A(0);
	kv_buf b = KV_BUF_INIT;
	size_t bad;
	switch (v->type) {
	case KV_CEL_T_STRING: return *v;
	case KV_CEL_T_INT: kv_buf_printf(&b, "%lld", (long long)v->u.i); break;
	case KV_CEL_T_UINT: kv_buf_printf(&b, "%llu", (unsigned long long)v->u.u); break;
	case KV_CEL_T_DOUBLE: kv_cel_fmt_double(&b, v->u.d); break;
	case KV_CEL_T_BOOL: kv_buf_puts(&b, v->u.b ? "true" : "false"); break;
	case KV_CEL_T_BYTES:
		if (!kv_utf8_valid(v->u.s, v->len, &bad))
			return conversion_error(c, "the bytes are not valid UTF-8");
		return kv_cel_string(v->u.s, v->len);
	case KV_CEL_T_DURATION: kv_cel_fmt_duration(&b, v->u.i); break;
	case KV_CEL_T_TIMESTAMP: kv_cel_fmt_timestamp(&b, v->u.i, v->len); break;
	case KV_CEL_T_IP: /* as Kubernetes: ip and cidr have string(), quantity and url do not */
	case KV_CEL_T_CIDR: {
		const kv_cel_obj *o = v->u.obj;
		o->ops->text(&b, o);
		break;
	}
	default: return kv_cel_no_overload(c);
	}
	kv_cel_val out = kv_cel_string_buf(c->r, &b, false);
	kv_buf_free(&b);
	return out;
}

static kv_cel_val fn_bool(kv_cel_call *c)
{
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
	const kv_cel_val *v = A(0);
	if (v->type == KV_CEL_T_BOOL)
		return *v;
	if (v->type != KV_CEL_T_STRING)
		return kv_cel_no_overload(c);
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strlen(yes[i]) == v->len && memcmp(yes[i], v->u.s, v->len) == 0)
			return kv_cel_bool(true);
		if (strlen(no[i]) == v->len && memcmp(no[i], v->u.s, v->len) == 0)
			return kv_cel_bool(false);
	}
	return conversion_error(c, "the string is not a bool (true, false, t, f, 1, 0)");
}

static kv_cel_val fn_bytes(kv_cel_call *c)
{
	const kv_cel_val *v = A(0);
	if (v->type == KV_CEL_T_BYTES)
		return *v;
	if (v->type != KV_CEL_T_STRING)
		return kv_cel_no_overload(c);
	return kv_cel_bytes(v->u.s, v->len);
}

static kv_cel_val fn_dyn(kv_cel_call *c)
{
	return *A(0);
}

static kv_cel_val fn_type(kv_cel_call *c)
{
	return kv_cel_type((kv_cel_vtype)A(0)->type);
}

static kv_cel_val fn_optional_of(kv_cel_call *c)
{
	return kv_cel_optional(c->r, A(0));
}

static kv_cel_val fn_optional_none(kv_cel_call *c)
{
	(void)c;
	return kv_cel_optional_none();
}

/* The zero value of each type: null, false, 0, "", empty collections, a zero duration,
 * the epoch. */
static bool is_zero(const kv_cel_val *v)
{
	switch (v->type) {
	case KV_CEL_T_NULL: return true;
	case KV_CEL_T_BOOL: return !v->u.b;
	case KV_CEL_T_INT:
	case KV_CEL_T_DURATION: return v->u.i == 0;
	case KV_CEL_T_UINT: return v->u.u == 0;
	case KV_CEL_T_DOUBLE: return v->u.d == 0;
	case KV_CEL_T_STRING:
	case KV_CEL_T_BYTES: return v->len == 0;
	case KV_CEL_T_LIST: return kv_cel_list_len(v) == 0;
	case KV_CEL_T_MAP: return kv_cel_map_len(v) == 0;
	case KV_CEL_T_TIMESTAMP: return v->u.i == 0 && v->len == 0;
	default: return false;
	}
}

static kv_cel_val fn_optional_nonzero(kv_cel_call *c)
{
	return is_zero(A(0)) ? kv_cel_optional_none() : kv_cel_optional(c->r, A(0));
}

static kv_cel_val fn_has_value(kv_cel_call *c)
{
	return kv_cel_bool(A(0)->rep != 0);
}

static kv_cel_val fn_value(kv_cel_call *c)
{
	if (!A(0)->rep)
		return kv_cel_errorf(c->r, KV_CEL_E_NO_SUCH_KEY, c->pos, "optional.none() has no value");
	return *A(0)->u.items;
}

static kv_cel_val fn_or_value(kv_cel_call *c)
{
	return A(0)->rep ? *A(0)->u.items : *A(1);
}

static kv_cel_val fn_or(kv_cel_call *c)
{
	if (A(1)->type != KV_CEL_T_OPTIONAL)
		return kv_cel_no_overload(c);
	return A(0)->rep ? *A(0) : *A(1);
}

const kv_cel_fn kv_cel_lib_core[] = {
	{"size", KV_CEL_FN_BOTH, 1, 1, KV_CEL_T_ANY, fn_size, NULL, NULL},
	{"contains", KV_CEL_FN_METHOD, 2, 2, KV_CEL_T_STRING, fn_contains, NULL, NULL},
	{"startsWith", KV_CEL_FN_METHOD, 2, 2, KV_CEL_T_STRING, fn_starts_with, NULL, NULL},
	{"endsWith", KV_CEL_FN_METHOD, 2, 2, KV_CEL_T_STRING, fn_ends_with, NULL, NULL},
	{"matches", KV_CEL_FN_BOTH, 2, 2, KV_CEL_T_STRING, fn_matches, kv_cel_regex_prepare_arg1,
	 kv_cel_regex_free_aux},
	{"int", KV_CEL_FN_GLOBAL, 1, 1, KV_CEL_T_ANY, fn_int, NULL, NULL},
	{"uint", KV_CEL_FN_GLOBAL, 1, 1, KV_CEL_T_ANY, fn_uint, NULL, NULL},
	{"double", KV_CEL_FN_GLOBAL, 1, 1, KV_CEL_T_ANY, fn_double, NULL, NULL},
	{"string", KV_CEL_FN_GLOBAL, 1, 1, KV_CEL_T_ANY, fn_string, NULL, NULL},
	{"bool", KV_CEL_FN_GLOBAL, 1, 1, KV_CEL_T_ANY, fn_bool, NULL, NULL},
	{"bytes", KV_CEL_FN_GLOBAL, 1, 1, KV_CEL_T_ANY, fn_bytes, NULL, NULL},
	{"dyn", KV_CEL_FN_GLOBAL, 1, 1, KV_CEL_T_ANY, fn_dyn, NULL, NULL},
	{"type", KV_CEL_FN_GLOBAL, 1, 1, KV_CEL_T_ANY, fn_type, NULL, NULL},
	{"optional.of", KV_CEL_FN_GLOBAL, 1, 1, KV_CEL_T_ANY, fn_optional_of, NULL, NULL},
	{"optional.none", KV_CEL_FN_GLOBAL, 0, 0, KV_CEL_T_ANY, fn_optional_none, NULL, NULL},
	{"optional.ofNonZeroValue", KV_CEL_FN_GLOBAL, 1, 1, KV_CEL_T_ANY, fn_optional_nonzero, NULL, NULL},
	{"hasValue", KV_CEL_FN_METHOD, 1, 1, KV_CEL_T_OPTIONAL, fn_has_value, NULL, NULL},
	{"value", KV_CEL_FN_METHOD, 1, 1, KV_CEL_T_OPTIONAL, fn_value, NULL, NULL},
	{"orValue", KV_CEL_FN_METHOD, 2, 2, KV_CEL_T_OPTIONAL, fn_or_value, NULL, NULL},
	{"or", KV_CEL_FN_METHOD, 2, 2, KV_CEL_T_OPTIONAL, fn_or, NULL, NULL},
	{NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
