/* format.c: string format checks, written from the grammars in the OpenAPI formats, RFC 3339,
 * RFC 4648 and Kubernetes apimachinery's validation rules (names, labels, quantities). */
#include "kvet/format.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || is_digit(c);
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_b64(char c)
{
	return is_alnum(c) || c == '+' || c == '/';
}

/* Standard alphabet with padding, as Go's base64.StdEncoding (newlines are ignored). */
const char *kv_fmt_base64(const char *s, size_t n)
{
	size_t count = 0, pad = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
		} else if (!is_b64(c)) {
			return "not base64: a character outside A-Z a-z 0-9 + /";
		} else if (pad) {
			return "not base64: data after '=' padding";
		}
		count++;
	}
	if (count % 4)
		return "not base64: the length is not a multiple of 4";
	if (pad > 2)
		return "not base64: too much '=' padding";
	return NULL;
}

static bool digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

static int num(const char *s, size_t n)
{
	int v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

const char *kv_fmt_date(const char *s, size_t n)
{
	if (n != 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
	    !digits(s + 8, 2))
		return "not a date (YYYY-MM-DD)";
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y = num(s, 4), m = num(s + 5, 2), d = num(s + 8, 2);
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 && !leap(y)))
		return "not a valid calendar date";
	return NULL;
}

const char *kv_fmt_date_time(const char *s, size_t n)
{
	static const char *const msg = "not an RFC 3339 date-time (2006-01-02T15:04:05Z)";
	if (n < 20 || kv_fmt_date(s, 10) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2) ||
	    s[13] != ':' || !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
		return msg;
	/* Second 60 (a leap second) is RFC 3339, but Go's time.Parse, which the API server uses,
	 * rejects it. */
	if (num(s + 11, 2) > 23 || num(s + 14, 2) > 59 || num(s + 17, 2) > 59)
		return msg;
	size_t i = 19;
	if (s[i] == '.') {
		size_t start = ++i;
		while (i < n && is_digit(s[i]))
			i++;
		if (i == start)
			return msg;
	}
	if (i < n && (s[i] == 'Z' || s[i] == 'z'))
		return i + 1 == n ? NULL : msg;
	if (i + 6 == n && (s[i] == '+' || s[i] == '-') && digits(s + i + 1, 2) && s[i + 3] == ':' &&
	    digits(s + i + 4, 2) && num(s + i + 1, 2) <= 23 && num(s + i + 4, 2) <= 59)
		return NULL;
	return msg;
}

/* Go's time.ParseDuration: [-+]? then one or more <decimal><unit>, or "0". */
const char *kv_fmt_duration(const char *s, size_t n)
{
	static const char *const units[] = {"ns", "us", "\xc2\xb5s", "\xce\xbcs", "ms", "s", "m", "h"};
	size_t i = 0;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	if (n - i == 1 && s[i] == '0')
		return NULL;
	if (i == n)
		return "not a duration (like 1h30m or 250ms)";
	while (i < n) {
		size_t start = i;
		while (i < n && is_digit(s[i]))
			i++;
		if (i < n && s[i] == '.')
			for (i++; i < n && is_digit(s[i]);)
				i++;
		if (i == start || (i == start + 1 && s[start] == '.'))
			return "not a duration (like 1h30m or 250ms)";
		size_t best = 0;
		for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
			size_t ul = strlen(units[u]);
			if (ul > best && n - i >= ul && memcmp(s + i, units[u], ul) == 0)
				best = ul;
		}
		if (!best)
			return "not a duration: a number needs a unit (ns, us, ms, s, m, h)";
		i += best;
	}
	return NULL;
}

const char *kv_fmt_uuid(const char *s, size_t n)
{
	if (n != 36)
		return "not a UUID";
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !is_hex(s[i]))
			return "not a UUID";
	}
	return NULL;
}

static bool parse_ip(int af, const char *s, size_t n, unsigned char *out)
{
	char buf[64];
	if (n == 0 || n >= sizeof buf)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(af, buf, out) == 1;
}

const char *kv_fmt_ipv4(const char *s, size_t n)
{
	unsigned char a[16];
	return parse_ip(AF_INET, s, n, a) ? NULL : "not an IPv4 address";
}

const char *kv_fmt_ipv6(const char *s, size_t n)
{
	unsigned char a[16];
	return memchr(s, ':', n) && parse_ip(AF_INET6, s, n, a) ? NULL : "not an IPv6 address";
}

const char *kv_fmt_cidr(const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);
	if (!slash)
		return "not a CIDR (address/prefix)";
	size_t an = (size_t)(slash - s), pn = n - an - 1;
	bool v6 = memchr(s, ':', an) != NULL;
	unsigned char a[16];
	if (!parse_ip(v6 ? AF_INET6 : AF_INET, s, an, a) || !pn || pn > 3 || !digits(slash + 1, pn) ||
	    num(slash + 1, pn) > (v6 ? 128 : 32))
		return "not a CIDR (address/prefix)";
	return NULL;
}

/* <quantity> ::= <signedNumber><suffix>; suffix binary (Ki..Ei), decimal (n, u, m, "", k..E),
 * or an exponent e/E<signedNumber>. */
const char *kv_fmt_quantity(const char *s, size_t n)
{
	static const char *const msg =
		"not a quantity: a number with an optional suffix (100m, 1.5, 512Mi, 2G, 1e3)";
	size_t i = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	size_t start = i, ndig = 0;
	while (i < n && is_digit(s[i]))
		i++, ndig++;
	if (i < n && s[i] == '.')
		for (i++; i < n && is_digit(s[i]); i++)
			ndig++;
	if (!ndig || i == start)
		return msg;
	const char *suf = s + i;
	size_t sl = n - i;
	if (sl == 0)
		return NULL;
	static const char *const suffixes[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u",
					       "m",  "k",  "M",  "G",  "T",  "P",  "E"};
	for (size_t k = 0; k < sizeof suffixes / sizeof suffixes[0]; k++)
		if (strlen(suffixes[k]) == sl && memcmp(suf, suffixes[k], sl) == 0)
			return NULL;
	if (suf[0] == 'e' || suf[0] == 'E') {
		size_t j = 1;
		if (j < sl && (suf[j] == '+' || suf[j] == '-'))
			j++;
		if (j < sl && digits(suf + j, sl - j))
			return NULL;
	}
	return msg;
}

const char *kv_fmt_dns1123_label(const char *s, size_t n)
{
	if (n == 0)
		return "must not be empty";
	if (n > 63)
		return "must be no more than 63 characters";
	for (size_t i = 0; i < n; i++) {
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return "must consist of lower case alphanumeric characters or '-'";
	}
	if (s[0] == '-' || s[n - 1] == '-')
		return "must start and end with an alphanumeric character";
	return NULL;
}

const char *kv_fmt_dns1035_label(const char *s, size_t n)
{
	const char *err = kv_fmt_dns1123_label(s, n);
	if (err)
		return err;
	if (!(s[0] >= 'a' && s[0] <= 'z'))
		return "must start with a lower case letter";
	return NULL;
}

const char *kv_fmt_dns1123_subdomain(const char *s, size_t n)
{
	if (n == 0)
		return "must not be empty";
	if (n > 253)
		return "must be no more than 253 characters";
	for (size_t i = 0; i < n; i++) {
		if (!is_lower_alnum(s[i]) && s[i] != '-' && s[i] != '.')
			return "must consist of lower case alphanumeric characters, '-' or '.'";
	}
	for (size_t i = 0; i < n; i++) {
		bool start = i == 0 || s[i - 1] == '.';
		bool end = i + 1 == n || s[i + 1] == '.';
		if (s[i] == '.' && i + 1 < n && s[i + 1] == '.')
			return "must not have empty parts between dots";
		if ((start || end) && !is_lower_alnum(s[i]))
			return "must start and end with an alphanumeric character (also around dots)";
	}
	return NULL;
}

const char *kv_fmt_path_segment(const char *s, size_t n)
{
	if (n == 0)
		return "must not be empty";
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return "must not be '.' or '..'";
	if (memchr(s, '/', n) || memchr(s, '%', n))
		return "must not contain '/' or '%'";
	return NULL;
}

static const char *name_part(const char *s, size_t n)
{
	if (n == 0)
		return "the name part must not be empty";
	if (n > 63)
		return "the name part must be no more than 63 characters";
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return "must consist of alphanumeric characters, '-', '_' or '.'";
	if (!is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return "must start and end with an alphanumeric character";
	return NULL;
}

const char *kv_fmt_qualified_name(const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);
	if (!slash)
		return name_part(s, n);
	size_t pn = (size_t)(slash - s);
	if (memchr(slash + 1, '/', n - pn - 1))
		return "must have at most one '/' (prefix/name)";
	if (pn == 0)
		return "the prefix before '/' must not be empty";
	if (kv_fmt_dns1123_subdomain(s, pn))
		return "the prefix before '/' must be a DNS subdomain (lower case, like example.com)";
	return name_part(slash + 1, n - pn - 1);
}

const char *kv_fmt_label_value(const char *s, size_t n)
{
	return n == 0 ? NULL : name_part(s, n);
}
