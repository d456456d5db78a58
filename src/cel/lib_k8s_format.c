/* lib_k8s_format.c: Kubernetes' named formats (format.named, format.dns1123Label() ...) and
 * <format>.validate(string), with apimachinery's messages word for word (users see them). */
#include "k8s.h"

#include <string.h>

#define A(i) (&c->args[i])

#define MAX_ERRS 6

typedef struct {
	kv_buf msg[MAX_ERRS];
	int n;
} errs;

static kv_buf *errs_next(errs *e)
{
	return &e->msg[e->n < MAX_ERRS - 1 ? e->n++ : MAX_ERRS - 1];
}

static void errs_add(errs *e, const char *msg)
{
	kv_buf_puts(errs_next(e), msg);
}

typedef struct {
	kv_cel_obj base;
	const char *key;  /* the CEL name: dns1123Label */
	const char *name; /* Kubernetes' Name, which equality compares */
	void (*validate)(const char *s, size_t n, errs *e);
} format;

/* ---- character-class grammars ----
 * Each pattern is a simple grammar of character classes, matched by hand: no regular
 * expression engine, no match limits to reach. */

static bool lower_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

static bool alnum(char ch)
{
	return lower_alnum(ch) || (ch >= 'A' && ch <= 'Z');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])?, or with first_alpha [a-z]([-a-z0-9]*[a-z0-9])? */
static bool is_label(const char *s, size_t n, bool first_alpha)
{
	if (!n || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
		return false;
	if (first_alpha && !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* Labels joined by dots. */
static bool is_subdomain(const char *s, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (!is_label(s + start, i - start, false))
			return false;
		start = i + 1;
	}
	return true;
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static bool is_qualified_part(const char *s, size_t n)
{
	if (!n || !alnum(s[0]) || !alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

/* ---- apimachinery's messages ---- */

static const char LABEL_FMT[] = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
static const char SUBDOMAIN_FMT[] = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
static const char DNS1035_FMT[] = "[a-z]([-a-z0-9]*[a-z0-9])?";
static const char QNAME_FMT[] = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
static const char LABEL_VALUE_FMT[] = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
static const char QNAME_MSG[] = "must consist of alphanumeric characters, '-', '_' or '.', and must "
				"start and end with an alphanumeric character";

/* validation.RegexError: msg (e.g. 'a',  or 'b', regex used for validation is 'fmt'). */
static void regex_error(kv_buf *out, const char *msg, const char *fmt, const char *const *examples)
{
	kv_buf_puts(out, msg);
	kv_buf_puts(out, " (e.g. ");
	for (int i = 0; examples[i]; i++)
		kv_buf_printf(out, "%s'%s', ", i ? " or " : "", examples[i]);
	kv_buf_printf(out, "regex used for validation is '%s')", fmt);
}

static void max_len(kv_buf *out, const char *prefix, int max)
{
	kv_buf_printf(out, "%smust be no more than %d characters", prefix, max);
}

static void dns1123_subdomain_prefixed(const char *s, size_t n, errs *e, const char *prefix)
{
	static const char *const ex[] = {"example.com", NULL};
	if (n > 253)
		max_len(errs_next(e), prefix, 253);
	if (!is_subdomain(s, n)) {
		kv_buf *b = errs_next(e);
		kv_buf_puts(b, prefix);
		regex_error(b, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
			       "characters, '-' or '.', and must start and end with an alphanumeric character",
			    SUBDOMAIN_FMT, ex);
	}
}

static void dns1123_subdomain(const char *s, size_t n, errs *e)
{
	dns1123_subdomain_prefixed(s, n, e, "");
}

static void dns1123_label(const char *s, size_t n, errs *e)
{
	static const char *const ex[] = {"my-name", "123-abc", NULL};
	if (n > 63)
		max_len(errs_next(e), "", 63);
	if (is_label(s, n, false))
		return;
	if (is_subdomain(s, n))
		errs_add(e, "must not contain dots");
	else
		regex_error(errs_next(e), "a lowercase RFC 1123 label must consist of lower case alphanumeric "
					  "characters or '-', and must start and end with an alphanumeric character",
			    LABEL_FMT, ex);
}

static void dns1035_label(const char *s, size_t n, errs *e)
{
	static const char *const ex[] = {"my-name", "abc-123", NULL};
	if (n > 63)
		max_len(errs_next(e), "", 63);
	if (!is_label(s, n, true))
		regex_error(errs_next(e), "a DNS-1035 label must consist of lower case alphanumeric characters "
					  "or '-', start with an alphabetic character, and end with an "
					  "alphanumeric character",
			    DNS1035_FMT, ex);
}

static void qualified_regex_error(kv_buf *b)
{
	static const char *const ex[] = {"MyName", "my.name", "123-abc", NULL};
	regex_error(b, QNAME_MSG, QNAME_FMT, ex);
}

static void name_part(const char *name, size_t n, errs *e)
{
	if (!n)
		errs_add(e, "name part must be non-empty");
	else if (n > 63)
		max_len(errs_next(e), "name part ", 63);
	if (!is_qualified_part(name, n)) {
		kv_buf *b = errs_next(e);
		kv_buf_puts(b, "name part ");
		qualified_regex_error(b);
	}
}

/* validation.IsQualifiedName: an optional subdomain prefix and '/', then a name part. */
static void qualified_name(const char *s, size_t n, errs *e)
{
	const char *slash = memchr(s, '/', n);
	if (!slash) {
		name_part(s, n, e);
		return;
	}
	if (memchr(slash + 1, '/', n - (size_t)(slash + 1 - s))) {
		kv_buf *b = errs_next(e);
		kv_buf_puts(b, "a qualified name ");
		qualified_regex_error(b);
		kv_buf_puts(b, " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
		return;
	}
	if (slash == s)
		errs_add(e, "prefix part must be non-empty");
	else
		dns1123_subdomain_prefixed(s, (size_t)(slash - s), e, "prefix part ");
	name_part(slash + 1, n - (size_t)(slash + 1 - s), e);
}

static void label_value(const char *s, size_t n, errs *e)
{
	static const char *const ex[] = {"MyValue", "my_value", "12345", NULL};
	if (n > 63)
		max_len(errs_next(e), "", 63);
	if (n && !is_qualified_part(s, n))
		regex_error(errs_next(e), "a valid label must be an empty string or consist of alphanumeric "
					  "characters, '-', '_' or '.', and must start and end with an "
					  "alphanumeric character",
			    LABEL_VALUE_FMT, ex);
}

/* The *Prefix formats validate a generateName: a trailing dash is masked as apimachinery
 * does (its last two characters become "a"). */
static void with_prefix(const char *s, size_t n, errs *e, void (*check)(const char *, size_t, errs *))
{
	if (n <= 1 || s[n - 1] != '-') {
		check(s, n, e);
		return;
	}
	kv_buf masked = KV_BUF_INIT;
	kv_buf_add(&masked, s, n - 2);
	kv_buf_putc(&masked, 'a');
	check(masked.data, masked.len, e);
	kv_buf_free(&masked);
}

static void dns1123_label_prefix(const char *s, size_t n, errs *e)
{
	with_prefix(s, n, e, dns1123_label);
}

static void dns1123_subdomain_prefix(const char *s, size_t n, errs *e)
{
	with_prefix(s, n, e, dns1123_subdomain);
}

static void dns1035_label_prefix(const char *s, size_t n, errs *e)
{
	with_prefix(s, n, e, dns1035_label);
}

static void uri(const char *s, size_t n, errs *e)
{
	kv_buf err = KV_BUF_INIT;
	if (!kv_k8s_url_valid(s, n, &err))
		kv_buf_add(errs_next(e), err.data, err.len);
	kv_buf_free(&err);
}

static bool is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f');
}

/* (?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$ */
static void uuid(const char *s, size_t n, errs *e)
{
	static const int groups[] = {8, 4, 4, 4, 12};
	size_t pos = 0;
	for (int g = 0; g < 5; g++) {
		if (g && pos < n && s[pos] == '-')
			pos++;
		for (int k = 0; k < groups[g]; k++, pos++)
			if (pos >= n || !is_hex(s[pos])) {
				errs_add(e, "does not match the UUID format");
				return;
			}
	}
	if (pos != n)
		errs_add(e, "does not match the UUID format");
}

static bool b64_char(char ch)
{
	return alnum(ch) || ch == '+' || ch == '/';
}

/* govalidator's base64 pattern: whole quads, the last one padded with = or ==. */
static void base64(const char *s, size_t n, errs *e)
{
	size_t pad = n >= 2 && s[n - 1] == '=' ? (s[n - 2] == '=' ? 2 : 1) : 0;
	bool ok = n >= 4 && n % 4 == 0;
	for (size_t i = 0; ok && i < n - pad; i++)
		ok = b64_char(s[i]);
	if (!ok)
		errs_add(e, "invalid base64");
}

static int two_digits(const char *s)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* time.Parse("2006-01-02"): four-digit year, month 01-12, a day that exists. */
static bool is_date(const char *s, size_t n)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (n != 10 || s[4] != '-' || s[7] != '-')
		return false;
	int hi = two_digits(s), lo = two_digits(s + 2), m = two_digits(s + 5), d = two_digits(s + 8);
	if (hi < 0 || lo < 0 || m < 1 || m > 12 || d < 1)
		return false;
	int y = hi * 100 + lo;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= days[m - 1] + (m == 2 && leap);
}

static void date(const char *s, size_t n, errs *e)
{
	if (!is_date(s, n))
		errs_add(e, "invalid date");
}

/* z or [+-]dd:dd. */
static bool is_zone(const char *s, size_t n)
{
	if (n == 1)
		return s[0] == 'z' || s[0] == 'Z';
	return n == 6 && (s[0] == '+' || s[0] == '-') && two_digits(s + 1) >= 0 && s[3] == ':' &&
	       two_digits(s + 4) >= 0;
}

/* strfmt's time part: ^(dd):(dd):(dd)(.[0-9]+)?(z|[+-]dd:dd)$ with hh <= 23, mm and ss <= 59,
 * where '.' is any one character but a newline. */
static bool is_time(const char *s, size_t n)
{
	if (n < 9 || s[2] != ':' || s[5] != ':')
		return false;
	int h = two_digits(s), m = two_digits(s + 3), sec = two_digits(s + 6);
	if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59)
		return false;
	for (size_t zone = 1; zone <= 6; zone += 5) {
		if (zone > n - 8 || !is_zone(s + n - zone, zone))
			continue;
		const char *f = s + 8;
		size_t fn = n - 8 - zone;
		if (!fn)
			return true;
		size_t w = 1;
		while (w < fn && ((unsigned char)f[w] & 0xC0) == 0x80)
			w++;
		bool digits = fn > w && f[0] != '\n';
		for (size_t i = w; digits && i < fn; i++)
			digits = f[i] >= '0' && f[i] <= '9';
		if (digits)
			return true;
	}
	return false;
}

/* strfmt.IsDateTime: split on 't' (after lowercasing); the part before the first 't' is a
 * date, the part after it a time; anything after a second 't' is not looked at. */
static void datetime(const char *s, size_t n, errs *e)
{
	const char *t = NULL;
	for (size_t i = 0; i < n && !t; i++)
		if (s[i] == 't' || s[i] == 'T')
			t = s + i;
	bool ok = n >= 4 && t && is_date(s, (size_t)(t - s));
	if (ok) {
		const char *end = t + 1;
		while (end < s + n && *end != 't' && *end != 'T')
			end++;
		ok = is_time(t + 1, (size_t)(end - t - 1));
	}
	if (!ok)
		errs_add(e, "invalid datetime");
}

/* ---- the formats ---- */

static bool format_equal(const void *a, const void *b)
{
	return strcmp(((const format *)a)->name, ((const format *)b)->name) == 0;
}

static void format_text(kv_buf *out, const void *obj)
{
	kv_buf_puts(out, ((const format *)obj)->key);
}

static const kv_cel_objops format_ops = {format_equal, format_text, "kubernetes.NamedFormat"};

static const format formats[] = {
	{{&format_ops}, "dns1123Label", "DNS1123Label", dns1123_label},
	{{&format_ops}, "dns1123Subdomain", "DNS1123Subdomain", dns1123_subdomain},
	{{&format_ops}, "dns1035Label", "DNS1035Label", dns1035_label},
	{{&format_ops}, "qualifiedName", "QualifiedName", qualified_name},
	{{&format_ops}, "dns1123LabelPrefix", "DNS1123LabelPrefix", dns1123_label_prefix},
	{{&format_ops}, "dns1123SubdomainPrefix", "DNS1123SubdomainPrefix", dns1123_subdomain_prefix},
	{{&format_ops}, "dns1035LabelPrefix", "DNS1035LabelPrefix", dns1035_label_prefix},
	{{&format_ops}, "labelValue", "LabelValue", label_value},
	{{&format_ops}, "uri", "URI", uri},
	{{&format_ops}, "uuid", "uuid", uuid},
	{{&format_ops}, "byte", "byte", base64},
	{{&format_ops}, "date", "date", date},
	{{&format_ops}, "datetime", "datetime", datetime},
};

static const format *find_format(const char *key, size_t n)
{
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
		if (strlen(formats[i].key) == n && memcmp(formats[i].key, key, n) == 0)
			return &formats[i];
	return NULL;
}

kv_cel_val kv_k8s_format_named(kv_cel_call *c)
{
	const format *f = find_format(A(0)->u.s, A(0)->len);
	if (!f)
		return kv_cel_optional_none();
	kv_cel_val v = kv_cel_object(KV_CEL_T_FORMAT, &f->base);
	return kv_cel_optional(c->r, &v);
}

/* format.<name>(): the name is the call's, after "format.". */
kv_cel_val kv_k8s_format_const(kv_cel_call *c)
{
	const char *key = strchr(c->name, '.');
	const format *f = key ? find_format(key + 1, strlen(key + 1)) : NULL;
	if (!f)
		return kv_cel_no_overload(c);
	return kv_cel_object(KV_CEL_T_FORMAT, &f->base);
}

/* <format>.validate(<string>): optional.none() when valid, else the messages. */
kv_cel_val kv_k8s_format_validate(kv_cel_call *c)
{
	if (A(1)->type != KV_CEL_T_STRING)
		return kv_cel_no_overload(c);
	if (!kv_cel_charge(c->r, A(1)->len / 16 + 1))
		return kv_cel_budget_error(c->r, c->pos);
	const format *f = A(0)->u.obj;
	errs e = {.n = 0};
	for (int i = 0; i < MAX_ERRS; i++)
		e.msg[i] = (kv_buf)KV_BUF_INIT;
	f->validate(A(1)->u.s, A(1)->len, &e);
	if (!e.n)
		return kv_cel_optional_none();
	kv_cel_val *items;
	kv_cel_val list = kv_cel_list_new(c->r, (size_t)e.n, &items);
	for (int i = 0; i < e.n; i++) {
		items[i] = kv_cel_string_buf(c->r, &e.msg[i], false);
		kv_buf_free(&e.msg[i]);
	}
	return kv_cel_optional(c->r, &list);
}
