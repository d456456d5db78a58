/* value.c: CEL values: construction, views of document nodes, list and map access, equality
 * and ordering as the CEL specification defines them, and the JSON and literal renderings. */
#include "internal.h"

#include "kvet/strutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const vtype_names[] = {
#define X(e, s) s,
	KV_CEL_VTYPES(X)
#undef X
};

static const char *const errcode_names[] = {
#define X(e, s) s,
	KV_CEL_ERRORS(X)
#undef X
};

const char *kv_cel_vtype_name(kv_cel_vtype t)
{
	return t < KV_CEL_T_COUNT ? vtype_names[t] : "?";
}

const char *kv_cel_errcode_name(kv_cel_errcode c)
{
	return c < KV_CEL_E_COUNT ? errcode_names[c] : "?";
}

kv_cel_val kv_cel_null(void)
{
	return (kv_cel_val){.type = KV_CEL_T_NULL};
}

kv_cel_val kv_cel_bool(bool b)
{
	return (kv_cel_val){.type = KV_CEL_T_BOOL, .u.b = b};
}

kv_cel_val kv_cel_int(int64_t i)
{
	return (kv_cel_val){.type = KV_CEL_T_INT, .u.i = i};
}

kv_cel_val kv_cel_uint(uint64_t u)
{
	return (kv_cel_val){.type = KV_CEL_T_UINT, .u.u = u};
}

kv_cel_val kv_cel_double(double d)
{
	return (kv_cel_val){.type = KV_CEL_T_DOUBLE, .u.d = d};
}

kv_cel_val kv_cel_string(const char *s, size_t len)
{
	return (kv_cel_val){.type = KV_CEL_T_STRING, .len = (uint32_t)len, .u.s = s};
}

kv_cel_val kv_cel_bytes(const char *s, size_t len)
{
	return (kv_cel_val){.type = KV_CEL_T_BYTES, .len = (uint32_t)len, .u.s = s};
}

kv_cel_val kv_cel_list(const kv_cel_val *items, size_t n)
{
	return (kv_cel_val){.type = KV_CEL_T_LIST, .rep = KV_CEL_REP_ARRAY, .len = (uint32_t)n,
			    .u.items = items};
}

kv_cel_val kv_cel_map(const kv_cel_val *keys_and_values, size_t entries)
{
	return (kv_cel_val){.type = KV_CEL_T_MAP, .rep = KV_CEL_REP_ARRAY, .len = (uint32_t)entries,
			    .u.items = keys_and_values};
}

kv_cel_val kv_cel_type(kv_cel_vtype t)
{
	return (kv_cel_val){.type = KV_CEL_T_TYPE, .rep = (uint8_t)t};
}

kv_cel_val kv_cel_optional_none(void)
{
	return (kv_cel_val){.type = KV_CEL_T_OPTIONAL};
}

kv_cel_val kv_cel_duration(int64_t nanos)
{
	return (kv_cel_val){.type = KV_CEL_T_DURATION, .u.i = nanos};
}

kv_cel_val kv_cel_timestamp(int64_t seconds, uint32_t nanos)
{
	return (kv_cel_val){.type = KV_CEL_T_TIMESTAMP, .len = nanos, .u.i = seconds};
}

kv_cel_val kv_cel_object(kv_cel_vtype t, const kv_cel_obj *obj)
{
	return (kv_cel_val){.type = (uint8_t)t, .u.obj = obj};
}

kv_cel_val kv_cel_lazy_map(const kv_cel_lazy *table)
{
	return (kv_cel_val){.type = KV_CEL_T_MAP, .rep = KV_CEL_REP_LAZY,
			    .len = (uint32_t)table->n, .u.obj = table};
}

kv_cel_val kv_cel_from_node(const kv_node *n)
{
	kv_cel_val v = {.src = n};
	switch ((kv_type)n->type) {
	case KV_NULL: v.type = KV_CEL_T_NULL; break;
	case KV_BOOL: v.type = KV_CEL_T_BOOL; v.u.b = n->u.b; break;
	case KV_INT:
		if (n->flags & KV_NF_BIGNUM) {
			v.type = KV_CEL_T_DOUBLE;
			v.u.d = n->u.d;
		} else {
			v.type = KV_CEL_T_INT;
			v.u.i = n->u.i;
		}
		break;
	case KV_DOUBLE: v.type = KV_CEL_T_DOUBLE; v.u.d = n->u.d; break;
	case KV_STRING: v.type = KV_CEL_T_STRING; v.u.s = n->u.s; v.len = n->len; break;
	case KV_LIST: v.type = KV_CEL_T_LIST; v.rep = KV_CEL_REP_NODE; v.u.node = n; v.len = n->len; break;
	case KV_MAP: v.type = KV_CEL_T_MAP; v.rep = KV_CEL_REP_NODE; v.u.node = n; v.len = n->len; break;
	default: v.type = KV_CEL_T_NULL; break;
	}
	return v;
}

size_t kv_cel_list_len(const kv_cel_val *v)
{
	return v->len;
}

kv_cel_val kv_cel_list_at(const kv_cel_val *v, size_t i)
{
	if (v->rep == KV_CEL_REP_NODE)
		return kv_cel_from_node(v->u.node->u.items[i]);
	return v->u.items[i];
}

size_t kv_cel_map_len(const kv_cel_val *v)
{
	if (v->rep != KV_CEL_REP_NODE)
		return v->len;
	size_t n = 0;
	for (uint32_t i = 0; i < v->u.node->len; i++)
		n += v->u.node->u.pairs[i].value->type != KV_NULL;
	return n;
}

bool kv_cel_map_next(const kv_cel_val *v, size_t *it, kv_cel_val *key, kv_cel_val *value)
{
	if (v->rep == KV_CEL_REP_NODE) {
		const kv_node *m = v->u.node;
		while (*it < m->len && m->u.pairs[*it].value->type == KV_NULL)
			(*it)++;
		if (*it >= m->len)
			return false;
		*key = kv_cel_from_node(m->u.pairs[*it].key);
		*value = kv_cel_from_node(m->u.pairs[*it].value);
		(*it)++;
		return true;
	}
	if (v->rep == KV_CEL_REP_LAZY) {
		/* Keys only: values need the evaluator (see eval.c). */
		const kv_cel_lazy *t = v->u.obj;
		if (*it >= t->n)
			return false;
		*key = kv_cel_string(t->names[*it], strlen(t->names[*it]));
		*value = kv_cel_null();
		(*it)++;
		return true;
	}
	if (*it >= v->len)
		return false;
	*key = v->u.items[2 * *it];
	*value = v->u.items[2 * *it + 1];
	(*it)++;
	return true;
}

bool kv_cel_map_find(const kv_cel_val *m, const kv_cel_val *key, kv_cel_val *out)
{
	if (m->rep == KV_CEL_REP_NODE) {
		if (key->type != KV_CEL_T_STRING)
			return false;
		const kv_node *n = kv_map_getn(m->u.node, key->u.s, key->len);
		if (!n || n->type == KV_NULL)
			return false;
		*out = kv_cel_from_node(n);
		return true;
	}
	for (uint32_t i = 0; i < m->len; i++) {
		if (kv_cel_equal(&m->u.items[2 * i], key)) {
			*out = m->u.items[2 * i + 1];
			return true;
		}
	}
	return false;
}

static bool is_number(const kv_cel_val *v)
{
	return v->type == KV_CEL_T_INT || v->type == KV_CEL_T_UINT || v->type == KV_CEL_T_DOUBLE;
}

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* An integer against a double compares as doubles, as cel-go does (so the largest int equals
 * 2^63 as a double): lossy at the extremes, which the conformance tests pin down. */
static int cmp_double(double a, double b)
{
	if (a != a || b != b)
		return 2;
	return a < b ? -1 : a > b;
}

static int cmp_int_double(int64_t i, double d)
{
	return cmp_double((double)i, d);
}

static int cmp_uint_double(uint64_t u, double d)
{
	return cmp_double((double)u, d);
}

static int cmp_numbers(const kv_cel_val *a, const kv_cel_val *b)
{
	switch (a->type * 16 + b->type) {
	case KV_CEL_T_INT * 16 + KV_CEL_T_INT: return cmp_i64(a->u.i, b->u.i);
	case KV_CEL_T_UINT * 16 + KV_CEL_T_UINT: return cmp_u64(a->u.u, b->u.u);
	case KV_CEL_T_DOUBLE * 16 + KV_CEL_T_DOUBLE:
		return cmp_double(a->u.d, b->u.d);
	case KV_CEL_T_INT * 16 + KV_CEL_T_UINT:
		return a->u.i < 0 ? -1 : cmp_u64((uint64_t)a->u.i, b->u.u);
	case KV_CEL_T_UINT * 16 + KV_CEL_T_INT:
		return b->u.i < 0 ? 1 : cmp_u64(a->u.u, (uint64_t)b->u.i);
	case KV_CEL_T_INT * 16 + KV_CEL_T_DOUBLE: return cmp_int_double(a->u.i, b->u.d);
	case KV_CEL_T_UINT * 16 + KV_CEL_T_DOUBLE: return cmp_uint_double(a->u.u, b->u.d);
	case KV_CEL_T_DOUBLE * 16 + KV_CEL_T_INT: {
		int c = cmp_int_double(b->u.i, a->u.d);
		return c == 2 ? 2 : -c;
	}
	case KV_CEL_T_DOUBLE * 16 + KV_CEL_T_UINT: {
		int c = cmp_uint_double(b->u.u, a->u.d);
		return c == 2 ? 2 : -c;
	}
	default: return -2;
	}
}

static int cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	if (c)
		return c < 0 ? -1 : 1;
	return an < bn ? -1 : an > bn;
}

int kv_cel_compare(const kv_cel_val *a, const kv_cel_val *b)
{
	if (is_number(a) && is_number(b))
		return cmp_numbers(a, b);
	if (a->type != b->type)
		return -2;
	switch ((kv_cel_vtype)a->type) {
	case KV_CEL_T_STRING:
	case KV_CEL_T_BYTES: return cmp_bytes(a->u.s, a->len, b->u.s, b->len);
	case KV_CEL_T_BOOL: return (int)a->u.b - (int)b->u.b;
	case KV_CEL_T_DURATION: return cmp_i64(a->u.i, b->u.i);
	case KV_CEL_T_TIMESTAMP: {
		int c = cmp_i64(a->u.i, b->u.i);
		return c ? c : cmp_u64(a->len, b->len);
	}
	default: return -2;
	}
}

static bool lists_equal(const kv_cel_val *a, const kv_cel_val *b, bool strict)
{
	if (a->len != b->len)
		return false;
	for (size_t i = 0; i < a->len; i++) {
		kv_cel_val x = kv_cel_list_at(a, i), y = kv_cel_list_at(b, i);
		if (strict ? !kv_cel_identical(&x, &y) : !kv_cel_equal(&x, &y))
			return false;
	}
	return true;
}

static bool maps_equal(const kv_cel_val *a, const kv_cel_val *b, bool strict)
{
	if (a->rep == KV_CEL_REP_LAZY || b->rep == KV_CEL_REP_LAZY)
		return a->u.obj == b->u.obj;
	if (kv_cel_map_len(a) != kv_cel_map_len(b))
		return false;
	kv_cel_val k, v, w;
	for (size_t it = 0; kv_cel_map_next(a, &it, &k, &v);) {
		if (!kv_cel_map_find(b, &k, &w))
			return false;
		if (strict ? !kv_cel_identical(&v, &w) : !kv_cel_equal(&v, &w))
			return false;
	}
	return true;
}

static bool same_value(const kv_cel_val *a, const kv_cel_val *b, bool strict)
{
	switch ((kv_cel_vtype)a->type) {
	case KV_CEL_T_NULL: return true;
	case KV_CEL_T_BOOL: return a->u.b == b->u.b;
	case KV_CEL_T_STRING:
	case KV_CEL_T_BYTES: return a->len == b->len && memcmp(a->u.s, b->u.s, a->len) == 0;
	case KV_CEL_T_LIST: return lists_equal(a, b, strict);
	case KV_CEL_T_MAP: return maps_equal(a, b, strict);
	case KV_CEL_T_TYPE: return a->rep == b->rep;
	case KV_CEL_T_OPTIONAL:
		if (!a->rep || !b->rep)
			return a->rep == b->rep;
		return strict ? kv_cel_identical(a->u.items, b->u.items) : kv_cel_equal(a->u.items, b->u.items);
	case KV_CEL_T_DURATION: return a->u.i == b->u.i;
	case KV_CEL_T_TIMESTAMP: return a->u.i == b->u.i && a->len == b->len;
	case KV_CEL_T_QUANTITY:
	case KV_CEL_T_URL:
	case KV_CEL_T_IP:
	case KV_CEL_T_CIDR:
	case KV_CEL_T_FORMAT: {
		const kv_cel_obj *x = a->u.obj, *y = b->u.obj;
		return x->ops == y->ops && x->ops->equal(x, y);
	}
	default: return false;
	}
}

bool kv_cel_equal(const kv_cel_val *a, const kv_cel_val *b)
{
	if (is_number(a) && is_number(b))
		return cmp_numbers(a, b) == 0;
	return a->type == b->type && same_value(a, b, false);
}

bool kv_cel_identical(const kv_cel_val *a, const kv_cel_val *b)
{
	if (a->type != b->type)
		return false;
	switch ((kv_cel_vtype)a->type) {
	case KV_CEL_T_INT: return a->u.i == b->u.i;
	case KV_CEL_T_UINT: return a->u.u == b->u.u;
	case KV_CEL_T_DOUBLE:
		return (isnan(a->u.d) && isnan(b->u.d)) || a->u.d == b->u.d;
	case KV_CEL_T_ERROR: return true;
	default: return same_value(a, b, true);
	}
}

/* Howard Hinnant's algorithms for the proleptic Gregorian calendar. */
int64_t kv_cel_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void kv_cel_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Nanoseconds as a fraction without trailing zeros: ".5", ".000000001", or nothing. */
static void fraction(kv_buf *out, uint32_t nanos)
{
	if (!nanos)
		return;
	char digits[16];
	snprintf(digits, sizeof digits, "%09u", nanos);
	size_t n = 9;
	while (n > 0 && digits[n - 1] == '0')
		n--;
	kv_buf_printf(out, ".%.*s", (int)n, digits);
}

void kv_cel_fmt_duration(kv_buf *out, int64_t nanos)
{
	uint64_t mag = nanos < 0 ? 0 - (uint64_t)nanos : (uint64_t)nanos;
	kv_buf_printf(out, "%s%llu", nanos < 0 ? "-" : "", (unsigned long long)(mag / 1000000000u));
	fraction(out, (uint32_t)(mag % 1000000000u));
	kv_buf_putc(out, 's');
}

void kv_cel_fmt_timestamp(kv_buf *out, int64_t seconds, uint32_t nanos)
{
	int64_t days = seconds / 86400, rem = seconds % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	int64_t y;
	unsigned m, d;
	kv_cel_civil_from_days(days, &y, &m, &d);
	kv_buf_printf(out, "%04lld-%02u-%02uT%02u:%02u:%02u", (long long)y, m, d, (unsigned)(rem / 3600),
		      (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
	fraction(out, nanos);
	kv_buf_putc(out, 'Z');
}

/* Go's strconv.FormatFloat(d, 'g', -1, 64): the shortest digits that read back, in %e form
 * when the exponent is below -4 or at least 21, else plain. */
void kv_cel_fmt_double(kv_buf *out, double d)
{
	if (isnan(d)) {
		kv_buf_puts(out, "NaN");
		return;
	}
	if (isinf(d)) {
		kv_buf_puts(out, d < 0 ? "-Inf" : "+Inf");
		return;
	}
	char tmp[40];
	int prec = 1;
	for (; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	int exp = atoi(strchr(tmp, 'e') + 1);
	if (exp < -4 || exp >= 21) {
		/* Go writes e+06 as e+06, and Go's 'g' keeps two exponent digits: same as C. */
		char *e = strchr(tmp, 'e');
		char mant[32];
		snprintf(mant, sizeof mant, "%.*s", (int)(e - tmp), tmp);
		kv_buf_printf(out, "%se%c%02d", mant, exp < 0 ? '-' : '+', abs(exp));
		return;
	}
	int decimals = prec - 1 - exp;
	snprintf(tmp, sizeof tmp, "%.*f", decimals > 0 ? decimals : 0, d);
	kv_buf_puts(out, tmp);
}

static void quoted(kv_buf *out, const char *s, size_t n, bool bytes)
{
	kv_buf_puts(out, bytes ? "b\"" : "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			kv_buf_printf(out, "\\%c", c);
		else if (c == '\n')
			kv_buf_puts(out, "\\n");
		else if (c == '\t')
			kv_buf_puts(out, "\\t");
		else if (c < 0x20 || c == 0x7f || (bytes && c >= 0x80))
			kv_buf_printf(out, "\\x%02x", c);
		else
			kv_buf_putc(out, (char)c);
	}
	kv_buf_putc(out, '"');
}

/* A double as a CEL literal: always with a point or exponent, so it reads back as a double. */
static void double_literal(kv_buf *out, double d)
{
	if (isnan(d) || isinf(d)) {
		kv_buf_printf(out, "double(\"%s\")", isnan(d) ? "NaN" : d < 0 ? "-Inf" : "Inf");
		return;
	}
	size_t start = out->len;
	kv_cel_fmt_double(out, d);
	if (!memchr(out->data + start, '.', out->len - start) && !memchr(out->data + start, 'e', out->len - start))
		kv_buf_puts(out, ".0");
}

static void object_text(kv_buf *out, const kv_cel_val *v)
{
	const kv_cel_obj *o = v->u.obj;
	o->ops->text(out, o);
}

void kv_cel_val_literal(kv_buf *out, const kv_cel_val *v)
{
	kv_cel_val k, x;
	switch ((kv_cel_vtype)v->type) {
	case KV_CEL_T_NULL: kv_buf_puts(out, "null"); break;
	case KV_CEL_T_BOOL: kv_buf_puts(out, v->u.b ? "true" : "false"); break;
	case KV_CEL_T_INT: kv_buf_printf(out, "%lld", (long long)v->u.i); break;
	case KV_CEL_T_UINT: kv_buf_printf(out, "%lluu", (unsigned long long)v->u.u); break;
	case KV_CEL_T_DOUBLE: double_literal(out, v->u.d); break;
	case KV_CEL_T_STRING: quoted(out, v->u.s, v->len, false); break;
	case KV_CEL_T_BYTES: quoted(out, v->u.s, v->len, true); break;
	case KV_CEL_T_LIST:
		kv_buf_putc(out, '[');
		for (size_t i = 0; i < v->len; i++) {
			if (i)
				kv_buf_puts(out, ", ");
			x = kv_cel_list_at(v, i);
			kv_cel_val_literal(out, &x);
		}
		kv_buf_putc(out, ']');
		break;
	case KV_CEL_T_MAP: {
		kv_buf_putc(out, '{');
		bool first = true;
		for (size_t it = 0; kv_cel_map_next(v, &it, &k, &x); first = false) {
			kv_buf_puts(out, first ? "" : ", ");
			kv_cel_val_literal(out, &k);
			kv_buf_puts(out, ": ");
			kv_cel_val_literal(out, &x);
		}
		kv_buf_putc(out, '}');
		break;
	}
	case KV_CEL_T_TYPE: kv_buf_puts(out, kv_cel_vtype_name((kv_cel_vtype)v->rep)); break;
	case KV_CEL_T_OPTIONAL:
		if (!v->rep) {
			kv_buf_puts(out, "optional.none()");
			break;
		}
		kv_buf_puts(out, "optional.of(");
		kv_cel_val_literal(out, v->u.items);
		kv_buf_putc(out, ')');
		break;
	case KV_CEL_T_DURATION:
		kv_buf_puts(out, "duration(\"");
		kv_cel_fmt_duration(out, v->u.i);
		kv_buf_puts(out, "\")");
		break;
	case KV_CEL_T_TIMESTAMP:
		kv_buf_puts(out, "timestamp(\"");
		kv_cel_fmt_timestamp(out, v->u.i, v->len);
		kv_buf_puts(out, "\")");
		break;
	case KV_CEL_T_QUANTITY:
	case KV_CEL_T_URL:
	case KV_CEL_T_IP:
	case KV_CEL_T_CIDR:
	case KV_CEL_T_FORMAT: {
		const kv_cel_obj *o = v->u.obj;
		kv_buf_printf(out, "%s(\"", o->ops->ctor);
		object_text(out, v);
		kv_buf_puts(out, "\")");
		break;
	}
	case KV_CEL_T_ERROR:
		kv_buf_printf(out, "error(%s: %s)", kv_cel_errcode_name((kv_cel_errcode)v->u.err->code),
			      v->u.err->msg);
		break;
	default: kv_buf_puts(out, "?"); break;
	}
}

static void json_string(kv_buf *out, const char *s, size_t n)
{
	kv_buf_putc(out, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			kv_buf_printf(out, "\\%c", c);
		else if (c == '\n')
			kv_buf_puts(out, "\\n");
		else if (c == '\t')
			kv_buf_puts(out, "\\t");
		else if (c == '\r')
			kv_buf_puts(out, "\\r");
		else if (c < 0x20 || c == 0x7f)
			kv_buf_printf(out, "\\u%04x", c);
		else
			kv_buf_putc(out, (char)c);
	}
	kv_buf_putc(out, '"');
}

/* A map key as a JSON member name. */
static void json_key(kv_buf *out, const kv_cel_val *k)
{
	if (k->type == KV_CEL_T_STRING) {
		json_string(out, k->u.s, k->len);
		return;
	}
	kv_buf tmp = KV_BUF_INIT;
	kv_cel_val_literal(&tmp, k);
	json_string(out, tmp.data ? tmp.data : "", tmp.len);
	kv_buf_free(&tmp);
}

void kv_cel_val_json(kv_buf *out, const kv_cel_val *v)
{
	kv_cel_val k, x;
	kv_buf tmp = KV_BUF_INIT;
	switch ((kv_cel_vtype)v->type) {
	case KV_CEL_T_NULL: kv_buf_puts(out, "null"); break;
	case KV_CEL_T_BOOL: kv_buf_puts(out, v->u.b ? "true" : "false"); break;
	case KV_CEL_T_INT: kv_buf_printf(out, "%lld", (long long)v->u.i); break;
	case KV_CEL_T_UINT: kv_buf_printf(out, "%llu", (unsigned long long)v->u.u); break;
	case KV_CEL_T_DOUBLE:
		if (isnan(v->u.d) || isinf(v->u.d)) {
			kv_cel_fmt_double(&tmp, v->u.d);
			json_string(out, tmp.data, tmp.len);
		} else {
			double_literal(out, v->u.d);
		}
		break;
	case KV_CEL_T_STRING: json_string(out, v->u.s, v->len); break;
	case KV_CEL_T_BYTES:
		kv_buf_putc(out, '"');
		kv_buf_base64(out, v->u.s, v->len);
		kv_buf_putc(out, '"');
		break;
	case KV_CEL_T_LIST:
		kv_buf_putc(out, '[');
		for (size_t i = 0; i < v->len; i++) {
			if (i)
				kv_buf_putc(out, ',');
			x = kv_cel_list_at(v, i);
			kv_cel_val_json(out, &x);
		}
		kv_buf_putc(out, ']');
		break;
	case KV_CEL_T_MAP: {
		kv_buf_putc(out, '{');
		bool first = true;
		for (size_t it = 0; kv_cel_map_next(v, &it, &k, &x); first = false) {
			if (!first)
				kv_buf_putc(out, ',');
			json_key(out, &k);
			kv_buf_putc(out, ':');
			kv_cel_val_json(out, &x);
		}
		kv_buf_putc(out, '}');
		break;
	}
	case KV_CEL_T_OPTIONAL:
		if (v->rep)
			kv_cel_val_json(out, v->u.items);
		else
			kv_buf_puts(out, "null");
		break;
	case KV_CEL_T_DURATION: kv_cel_fmt_duration(&tmp, v->u.i); json_string(out, tmp.data, tmp.len); break;
	case KV_CEL_T_TIMESTAMP:
		kv_cel_fmt_timestamp(&tmp, v->u.i, v->len);
		json_string(out, tmp.data, tmp.len);
		break;
	case KV_CEL_T_QUANTITY:
	case KV_CEL_T_URL:
	case KV_CEL_T_IP:
	case KV_CEL_T_CIDR:
	case KV_CEL_T_FORMAT:
		object_text(&tmp, v);
		json_string(out, tmp.data ? tmp.data : "", tmp.len);
		break;
	default:
		kv_cel_val_literal(&tmp, v);
		json_string(out, tmp.data ? tmp.data : "", tmp.len);
		break;
	}
	kv_buf_free(&tmp);
}

size_t kv_cel_cp_count(const char *s, size_t n)
{
	return kv_utf8_count(s, n);
}

size_t kv_cel_cp_offset(const char *s, size_t n, size_t i)
{
	size_t off = 0;
	while (off < n && i > 0) {
		off++;
		while (off < n && ((unsigned char)s[off] & 0xC0) == 0x80)
			off++;
		i--;
	}
	return off;
}
