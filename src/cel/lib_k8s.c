/* lib_k8s.c: the Kubernetes CEL libraries (k8s.io/apiserver/pkg/cel/library) as one table, with
 * the regex and list functions; quantities, URLs, IP/CIDR and formats are in lib_k8s_*.c. */
#include "k8s.h"

#include <string.h>

#define A(i) (&c->args[i])

/* Runes Go's strconv.IsPrint rejects, beyond ASCII controls: C1 controls, format characters
 * and private use. Unassigned code points are not listed (their set changes with Unicode
 * versions); they print as themselves here. */
static bool go_unprintable(uint32_t r)
{
	return (r >= 0x80 && r <= 0xA0) || r == 0xAD || r == 0x61C || r == 0x180E ||
	       (r >= 0x200B && r <= 0x200F) || (r >= 0x2028 && r <= 0x202E) ||
	       (r >= 0x2060 && r <= 0x206F) || r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB) ||
	       (r >= 0xE000 && r <= 0xF8FF) || r >= 0xF0000 || r == 0xFFFE || r == 0xFFFF;
}

static uint32_t decode_rune(const unsigned char *s, size_t n, size_t *width)
{
	unsigned char b = s[0];
	size_t w = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
	if (w > n)
		w = n;
	uint32_t r = w == 1 ? b : w == 2 ? b & 0x1Fu : w == 3 ? b & 0x0Fu : b & 0x07u;
	for (size_t i = 1; i < w; i++)
		r = r << 6 | (s[i] & 0x3Fu);
	*width = w;
	return r;
}

static void quote_rune(kv_buf *out, uint32_t r, const char *raw, size_t w)
{
	static const char esc[] = "abtnvfr"; /* \a \b \t \n \v \f \r are 7 to 13 */
	static const char hex[] = "0123456789abcdef";
	if (r == '"' || r == '\\') {
		kv_buf_putc(out, '\\');
		kv_buf_putc(out, (char)r);
	} else if (r >= 7 && r <= 13) {
		kv_buf_putc(out, '\\');
		kv_buf_putc(out, esc[r - 7]);
	} else if (r < 0x20 || r == 0x7F) {
		kv_buf_printf(out, "\\x%c%c", hex[r >> 4], hex[r & 15]);
	} else if (r >= 0x80 && go_unprintable(r)) {
		kv_buf_printf(out, r < 0x10000 ? "\\u%04x" : "\\U%08x", (unsigned)r);
	} else {
		kv_buf_add(out, raw, w);
	}
}

void kv_k8s_quote(kv_buf *out, const char *s, size_t n)
{
	kv_buf_putc(out, '"');
	for (size_t i = 0, w; i < n; i += w) {
		/* Runs of plain ASCII go in one copy: inputs may be megabytes long. */
		for (w = 0; i + w < n && s[i + w] >= 0x20 && s[i + w] < 0x7F && s[i + w] != '"' &&
			    s[i + w] != '\\';)
			w++;
		if (w) {
			kv_buf_add(out, s + i, w);
			continue;
		}
		uint32_t r = decode_rune((const unsigned char *)s + i, n - i, &w);
		quote_rune(out, r, s + i, w);
	}
	kv_buf_putc(out, '"');
}

kv_cel_val kv_k8s_error_buf(kv_cel_call *c, kv_cel_errcode code, kv_buf *msg)
{
	kv_cel_val e = kv_cel_errorf(c->r, code, c->pos, "%s", kv_buf_cstr(msg));
	kv_buf_free(msg);
	return e;
}

/* <string>.find(<regex>): the leftmost match, or "" when there is none. */
static kv_cel_val fn_find(kv_cel_call *c)
{
	if (A(1)->type != KV_CEL_T_STRING)
		return kv_cel_no_overload(c);
	kv_cel_val err;
	const kv_cel_regex *re = kv_cel_regex_for(c, 1, &err);
	if (!re)
		return err;
	size_t s, e;
	int rc = kv_cel_regex_search(c, re, A(0)->u.s, A(0)->len, 0, &s, &e, &err);
	if (rc < 0)
		return err;
	return rc ? kv_cel_string(A(0)->u.s + s, e - s) : kv_cel_string("", 0);
}

/* The byte length of the UTF-8 sequence at s[i] (Go moves past an empty match by one rune). */
static size_t rune_width(const char *s, size_t n, size_t i)
{
	size_t w = 1;
	while (i + w < n && ((unsigned char)s[i + w] & 0xC0) == 0x80)
		w++;
	return w;
}

typedef struct {
	size_t start, end;
} span;

/* Go's Regexp.FindAllString: successive non-overlapping matches, where an empty match right
 * after the previous match does not count. Up to limit spans go to *out. */
static int find_spans(kv_cel_call *c, const kv_cel_regex *re, uint64_t limit, kv_buf *out,
		      kv_cel_val *err)
{
	const char *str = A(0)->u.s;
	size_t len = A(0)->len, pos = 0, prev_end = SIZE_MAX, count = 0;
	while (count < limit && pos <= len) {
		span m;
		int rc = kv_cel_regex_search(c, re, str, len, pos, &m.start, &m.end, err);
		if (rc <= 0)
			return rc;
		bool accept = true;
		if (m.end == pos) {
			accept = m.start != prev_end;
			pos += pos < len ? rune_width(str, len, pos) : 1;
		} else {
			pos = m.end;
		}
		prev_end = m.end;
		if (accept) {
			kv_buf_add(out, &m, sizeof m);
			count++;
		}
	}
	return 0;
}

/* <string>.findAll(<regex>[, <limit>]): a negative limit means all matches. */
static kv_cel_val fn_find_all(kv_cel_call *c)
{
	if (A(1)->type != KV_CEL_T_STRING || (c->nargs == 3 && A(2)->type != KV_CEL_T_INT))
		return kv_cel_no_overload(c);
	int64_t n = c->nargs == 3 ? A(2)->u.i : -1;
	kv_cel_val err;
	const kv_cel_regex *re = kv_cel_regex_for(c, 1, &err);
	if (!re)
		return err;
	kv_buf spans = KV_BUF_INIT;
	if (find_spans(c, re, n < 0 ? UINT64_MAX : (uint64_t)n, &spans, &err) < 0) {
		kv_buf_free(&spans);
		return err;
	}
	size_t count = spans.len / sizeof(span);
	kv_cel_val *items;
	kv_cel_val out = kv_cel_list_new(c->r, count, &items);
	for (size_t i = 0; i < count; i++) {
		span m;
		memcpy(&m, spans.data + i * sizeof m, sizeof m);
		items[i] = kv_cel_string(A(0)->u.s + m.start, m.end - m.start);
	}
	kv_buf_free(&spans);
	return out;
}

/* The types cel-go orders (its traits.Comparer). */
static bool orderable(const kv_cel_val *v)
{
	switch (v->type) {
	case KV_CEL_T_BOOL:
	case KV_CEL_T_INT:
	case KV_CEL_T_UINT:
	case KV_CEL_T_DOUBLE:
	case KV_CEL_T_STRING:
	case KV_CEL_T_BYTES:
	case KV_CEL_T_DURATION:
	case KV_CEL_T_TIMESTAMP: return true;
	default: return false;
	}
}

static kv_cel_val unordered_item(kv_cel_call *c, const kv_cel_val *v)
{
	return kv_cel_errorf(c->r, KV_CEL_E_NO_OVERLOAD, c->pos,
			    "no matching overload for '%s': the list holds a %s, which has no order",
			    c->name, kv_cel_vtype_name((kv_cel_vtype)v->type));
}

/* One step per item, and one per 16 bytes of a string or bytes item that is compared. */
static bool charge_item(kv_cel_call *c, const kv_cel_val *v)
{
	bool text = v->type == KV_CEL_T_STRING || v->type == KV_CEL_T_BYTES;
	return kv_cel_charge(c->r, 1 + (text ? v->len / 16 : 0));
}

/* <list>.isSorted(): no item is greater than the next. Pairs cel-go cannot order (NaN, or
 * items of types that do not compare) do not break the order, as there. */
static kv_cel_val fn_is_sorted(kv_cel_call *c)
{
	size_t n = kv_cel_list_len(A(0));
	kv_cel_val prev = {0};
	for (size_t i = 0; i < n; i++) {
		kv_cel_val next = kv_cel_list_at(A(0), i);
		if (!charge_item(c, &next))
			return kv_cel_budget_error(c->r, c->pos);
		if (!orderable(&next))
			return unordered_item(c, &next);
		if (i > 0 && kv_cel_compare(&prev, &next) == 1)
			return kv_cel_bool(false);
		prev = next;
	}
	return kv_cel_bool(true);
}

/* <list>.min() and <list>.max(): the first item no other item is preferred to; prefer is the
 * comparison of the current pick with an item that replaces it (1 for min, -1 for max). */
static kv_cel_val extreme(kv_cel_call *c, int prefer)
{
	size_t n = kv_cel_list_len(A(0));
	if (n == 0)
		return kv_cel_errorf(c->r, KV_CEL_E_INVALID_ARG, c->pos, "%s called on empty list", c->name);
	kv_cel_val best = {0};
	for (size_t i = 0; i < n; i++) {
		kv_cel_val next = kv_cel_list_at(A(0), i);
		if (!charge_item(c, &next))
			return kv_cel_budget_error(c->r, c->pos);
		if (!orderable(&next))
			return unordered_item(c, &next);
		if (i == 0 || kv_cel_compare(&best, &next) == prefer)
			best = next;
	}
	return best;
}

static kv_cel_val fn_min(kv_cel_call *c)
{
	return extreme(c, 1);
}

static kv_cel_val fn_max(kv_cel_call *c)
{
	return extreme(c, -1);
}

static kv_cel_val sum_overflow(kv_cel_call *c, const char *what)
{
	return kv_cel_errorf(c->r, KV_CEL_E_OVERFLOW, c->pos, "%s overflow in 'sum'", what);
}

/* acc + x for two summable values of one type (int, uint, double, duration). */
static kv_cel_val add_item(kv_cel_call *c, const kv_cel_val *acc, const kv_cel_val *x)
{
	if (x->type != acc->type)
		return kv_cel_errorf(c->r, KV_CEL_E_NO_OVERLOAD, c->pos,
				    "no matching overload for 'sum': the list mixes %s and %s",
				    kv_cel_vtype_name((kv_cel_vtype)acc->type),
				    kv_cel_vtype_name((kv_cel_vtype)x->type));
	int64_t i;
	uint64_t u;
	switch (acc->type) {
	case KV_CEL_T_INT:
		return __builtin_add_overflow(acc->u.i, x->u.i, &i) ? sum_overflow(c, "int") : kv_cel_int(i);
	case KV_CEL_T_UINT:
		return __builtin_add_overflow(acc->u.u, x->u.u, &u) ? sum_overflow(c, "uint") : kv_cel_uint(u);
	case KV_CEL_T_DOUBLE: return kv_cel_double(acc->u.d + x->u.d);
	case KV_CEL_T_DURATION:
		if (__builtin_add_overflow(acc->u.i, x->u.i, &i))
			return kv_cel_errorf(c->r, KV_CEL_E_RANGE, c->pos, "duration out of range");
		return kv_cel_duration(i);
	default:
		return kv_cel_errorf(c->r, KV_CEL_E_NO_OVERLOAD, c->pos,
				    "no matching overload for 'sum': the list holds a %s",
				    kv_cel_vtype_name((kv_cel_vtype)x->type));
	}
}

/* <list>.sum(): int, uint, double or duration items, of one type; [].sum() is 0. */
static kv_cel_val fn_sum(kv_cel_call *c)
{
	size_t n = kv_cel_list_len(A(0));
	if (!kv_cel_charge(c->r, n))
		return kv_cel_budget_error(c->r, c->pos);
	kv_cel_val acc = kv_cel_int(0);
	for (size_t i = 0; i < n; i++) {
		kv_cel_val x = kv_cel_list_at(A(0), i);
		if (i == 0 && x.type == KV_CEL_T_UINT)
			acc = kv_cel_uint(0); /* the first item's type is the sum's, from its zero */
		else if (i == 0 && x.type == KV_CEL_T_DOUBLE)
			acc = kv_cel_double(0);
		else if (i == 0 && x.type == KV_CEL_T_DURATION)
			acc = kv_cel_duration(0);
		acc = add_item(c, &acc, &x);
		if (acc.type == KV_CEL_T_ERROR)
			return acc;
	}
	return acc;
}

static kv_cel_val index_of(kv_cel_call *c, bool last)
{
	size_t n = kv_cel_list_len(A(0));
	for (size_t k = 0; k < n; k++) {
		size_t i = last ? n - 1 - k : k;
		kv_cel_val x = kv_cel_list_at(A(0), i);
		if (!charge_item(c, &x))
			return kv_cel_budget_error(c->r, c->pos);
		if (kv_cel_equal(&x, A(1)))
			return kv_cel_int((int64_t)i);
	}
	return kv_cel_int(-1);
}

static kv_cel_val fn_index_of(kv_cel_call *c)
{
	return index_of(c, false);
}

static kv_cel_val fn_last_index_of(kv_cel_call *c)
{
	return index_of(c, true);
}

#define G KV_CEL_FN_GLOBAL
#define M KV_CEL_FN_METHOD
#define ANY KV_CEL_T_ANY
#define STR KV_CEL_T_STRING
#define REGEX kv_cel_regex_prepare_arg1, kv_cel_regex_free_aux

/* Kubernetes declares sign as a global function (cel.Overload), so quantity(x).sign() does
 * not compile there; it is global here too. format.<name>() takes no argument, so its
 * receiver type is ANY. */
const kv_cel_fn kv_cel_lib_k8s[] = {
	{"find", M, 2, 2, STR, fn_find, REGEX},
	{"findAll", M, 2, 3, STR, fn_find_all, REGEX},
	{"isSorted", M, 1, 1, KV_CEL_T_LIST, fn_is_sorted, NULL, NULL},
	{"sum", M, 1, 1, KV_CEL_T_LIST, fn_sum, NULL, NULL},
	{"min", M, 1, 1, KV_CEL_T_LIST, fn_min, NULL, NULL},
	{"max", M, 1, 1, KV_CEL_T_LIST, fn_max, NULL, NULL},
	{"indexOf", M, 2, 2, KV_CEL_T_LIST, fn_index_of, NULL, NULL},
	{"lastIndexOf", M, 2, 2, KV_CEL_T_LIST, fn_last_index_of, NULL, NULL},

	{"quantity", G, 1, 1, STR, kv_k8s_quantity, NULL, NULL},
	{"isQuantity", G, 1, 1, STR, kv_k8s_is_quantity, NULL, NULL},
	{"sign", G, 1, 1, KV_CEL_T_QUANTITY, kv_k8s_q_sign, NULL, NULL},
	{"isInteger", M, 1, 1, KV_CEL_T_QUANTITY, kv_k8s_q_is_integer, NULL, NULL},
	{"asInteger", M, 1, 1, KV_CEL_T_QUANTITY, kv_k8s_q_as_integer, NULL, NULL},
	{"asApproximateFloat", M, 1, 1, KV_CEL_T_QUANTITY, kv_k8s_q_as_float, NULL, NULL},
	{"add", M, 2, 2, KV_CEL_T_QUANTITY, kv_k8s_q_add, NULL, NULL},
	{"sub", M, 2, 2, KV_CEL_T_QUANTITY, kv_k8s_q_sub, NULL, NULL},
	{"compareTo", M, 2, 2, KV_CEL_T_QUANTITY, kv_k8s_q_compare_to, NULL, NULL},
	{"isLessThan", M, 2, 2, KV_CEL_T_QUANTITY, kv_k8s_q_is_less, NULL, NULL},
	{"isGreaterThan", M, 2, 2, KV_CEL_T_QUANTITY, kv_k8s_q_is_greater, NULL, NULL},

	{"url", G, 1, 1, STR, kv_k8s_url, NULL, NULL},
	{"isURL", G, 1, 1, STR, kv_k8s_is_url, NULL, NULL},
	{"getScheme", M, 1, 1, KV_CEL_T_URL, kv_k8s_url_scheme, NULL, NULL},
	{"getHost", M, 1, 1, KV_CEL_T_URL, kv_k8s_url_host, NULL, NULL},
	{"getHostname", M, 1, 1, KV_CEL_T_URL, kv_k8s_url_hostname, NULL, NULL},
	{"getPort", M, 1, 1, KV_CEL_T_URL, kv_k8s_url_port, NULL, NULL},
	{"getEscapedPath", M, 1, 1, KV_CEL_T_URL, kv_k8s_url_escaped_path, NULL, NULL},
	{"getQuery", M, 1, 1, KV_CEL_T_URL, kv_k8s_url_query, NULL, NULL},

	{"ip", G, 1, 1, STR, kv_k8s_ip, NULL, NULL},
	{"isIP", G, 1, 1, STR, kv_k8s_is_ip, NULL, NULL},
	{"ip.isCanonical", G, 1, 1, STR, kv_k8s_ip_is_canonical, NULL, NULL},
	{"family", M, 1, 1, KV_CEL_T_IP, kv_k8s_ip_family, NULL, NULL},
	{"isUnspecified", M, 1, 1, KV_CEL_T_IP, kv_k8s_ip_is_unspecified, NULL, NULL},
	{"isLoopback", M, 1, 1, KV_CEL_T_IP, kv_k8s_ip_is_loopback, NULL, NULL},
	{"isLinkLocalMulticast", M, 1, 1, KV_CEL_T_IP, kv_k8s_ip_is_ll_multicast, NULL, NULL},
	{"isLinkLocalUnicast", M, 1, 1, KV_CEL_T_IP, kv_k8s_ip_is_ll_unicast, NULL, NULL},
	{"isGlobalUnicast", M, 1, 1, KV_CEL_T_IP, kv_k8s_ip_is_global_unicast, NULL, NULL},
	{"cidr", G, 1, 1, STR, kv_k8s_cidr, NULL, NULL},
	{"isCIDR", G, 1, 1, STR, kv_k8s_is_cidr, NULL, NULL},
	{"containsIP", M, 2, 2, KV_CEL_T_CIDR, kv_k8s_cidr_contains_ip, NULL, NULL},
	{"containsCIDR", M, 2, 2, KV_CEL_T_CIDR, kv_k8s_cidr_contains_cidr, NULL, NULL},
	{"ip", M, 1, 1, KV_CEL_T_CIDR, kv_k8s_cidr_ip, NULL, NULL},
	{"masked", M, 1, 1, KV_CEL_T_CIDR, kv_k8s_cidr_masked, NULL, NULL},
	{"prefixLength", M, 1, 1, KV_CEL_T_CIDR, kv_k8s_cidr_prefix_length, NULL, NULL},

	{"format.named", G, 1, 1, STR, kv_k8s_format_named, NULL, NULL},
	{"format.dns1123Label", G, 0, 0, ANY, kv_k8s_format_const, NULL, NULL},
	{"format.dns1123Subdomain", G, 0, 0, ANY, kv_k8s_format_const, NULL, NULL},
	{"format.dns1035Label", G, 0, 0, ANY, kv_k8s_format_const, NULL, NULL},
	{"format.qualifiedName", G, 0, 0, ANY, kv_k8s_format_const, NULL, NULL},
	{"format.dns1123LabelPrefix", G, 0, 0, ANY, kv_k8s_format_const, NULL, NULL},
	{"format.dns1123SubdomainPrefix", G, 0, 0, ANY, kv_k8s_format_const, NULL, NULL},
	{"format.dns1035LabelPrefix", G, 0, 0, ANY, kv_k8s_format_const, NULL, NULL},
	{"format.labelValue", G, 0, 0, ANY, kv_k8s_format_const, NULL, NULL},
	{"format.uri", G, 0, 0, ANY, kv_k8s_format_const, NULL, NULL},
	{"format.uuid", G, 0, 0, ANY, kv_k8s_format_const, NULL, NULL},
	{"format.byte", G, 0, 0, ANY, kv_k8s_format_const, NULL, NULL},
	{"format.date", G, 0, 0, ANY, kv_k8s_format_const, NULL, NULL},
	{"format.datetime", G, 0, 0, ANY, kv_k8s_format_const, NULL, NULL},
	{"validate", M, 2, 2, KV_CEL_T_FORMAT, kv_k8s_format_validate, NULL, NULL},
	{NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
