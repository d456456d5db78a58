/* lib_k8s_url.c: Kubernetes' URL library (url, isURL, the getters) with Go's net/url rules:
 * what url.ParseRequestURI accepts, read as url.Parse reads it; equality on URL.String(). */
#include "k8s.h"

#include "kvet/map.h"

#include <string.h>

#define A(i) (&c->args[i])

typedef struct {
	const char *p;
	size_t n;
} str;

typedef struct {
	kv_cel_obj base;
	str scheme, opaque, user, pass, host, path, rawpath, query, frag, rawfrag;
	bool has_user, has_pass, omit_host, force_query;
	str text; /* URL.String() */
} url;

/* net/url's encoding modes. */
enum { ENC_PATH = 1, ENC_PATH_SEGMENT, ENC_HOST, ENC_ZONE, ENC_USERINFO, ENC_QUERY, ENC_FRAGMENT };

static str S(const char *p, size_t n)
{
	return (str){p, n};
}

static bool str_eq(str a, str b)
{
	return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

static bool has_prefix(str s, const char *pre)
{
	size_t n = strlen(pre);
	return s.n >= n && memcmp(s.p, pre, n) == 0;
}

static size_t index_of(str s, char ch)
{
	const char *at = memchr(s.p, ch, s.n);
	return at ? (size_t)(at - s.p) : SIZE_MAX;
}

static size_t last_index_of(str s, char ch)
{
	for (size_t i = s.n; i-- > 0;)
		if (s.p[i] == ch)
			return i;
	return SIZE_MAX;
}

static bool is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned unhex(unsigned char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* The reserved characters a mode leaves alone (shouldEscape's inner switch). */
static bool reserved_allowed(unsigned char c, int mode)
{
	switch (mode) {
	case ENC_PATH: return c != '?';
	case ENC_PATH_SEGMENT: return c != '/' && c != ';' && c != ',' && c != '?';
	case ENC_USERINFO: return c != '@' && c != '/' && c != '?' && c != ':';
	case ENC_QUERY: return false;
	case ENC_FRAGMENT: return true;
	default: return false;
	}
}

/* net/url's shouldEscape (RFC 3986 with Go's exceptions). */
static bool should_escape(unsigned char c, int mode)
{
	if (is_alnum(c))
		return false;
	if ((mode == ENC_HOST || mode == ENC_ZONE) && c && strchr("!$&'()*+,;=:[]<>\"", c))
		return false;
	if (c == '-' || c == '_' || c == '.' || c == '~')
		return false;
	if (c && strchr("$&+,/:;=?@", c))
		return !reserved_allowed(c, mode);
	if (mode == ENC_FRAGMENT && c && strchr("!()*", c))
		return false;
	return true;
}

static void escape_error(kv_buf *err, str s, size_t i)
{
	kv_buf_puts(err, "invalid URL escape ");
	kv_k8s_quote(err, s.p + i, s.n - i < 3 ? s.n - i : 3);
}

/* Checks one %XX at s[i] under mode's restrictions (RFC 6874 zones in hosts). */
static bool check_percent(str s, size_t i, int mode, kv_buf *err)
{
	if (i + 2 >= s.n || !is_hex((unsigned char)s.p[i + 1]) || !is_hex((unsigned char)s.p[i + 2])) {
		escape_error(err, s, i);
		return false;
	}
	bool pct25 = memcmp(s.p + i, "%25", 3) == 0;
	unsigned v = unhex((unsigned char)s.p[i + 1]) << 4 | unhex((unsigned char)s.p[i + 2]);
	if ((mode == ENC_HOST && unhex((unsigned char)s.p[i + 1]) < 8 && !pct25) ||
	    (mode == ENC_ZONE && !pct25 && v != ' ' && should_escape((unsigned char)v, ENC_HOST))) {
		kv_buf_puts(err, "invalid URL escape ");
		kv_k8s_quote(err, s.p + i, 3);
		return false;
	}
	return true;
}

/* Checks every escape, and in hosts every character, under mode's rules. */
static bool check_escapes(str s, int mode, kv_buf *err)
{
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c == '%') {
			if (!check_percent(s, i, mode, err))
				return false;
			i += 2;
		} else if ((mode == ENC_HOST || mode == ENC_ZONE) && c < 0x80 && should_escape(c, mode)) {
			kv_buf_puts(err, "invalid character ");
			kv_k8s_quote(err, s.p + i, 1);
			kv_buf_puts(err, " in host name");
			return false;
		}
	}
	return true;
}

/* net/url's unescape: validates, then decodes %XX (and + in queries) into arena memory. */
static bool unescape(kv_arena *a, str s, int mode, str *out, kv_buf *err)
{
	if (!check_escapes(s, mode, err))
		return false;
	char *d = kv_arena_alloc(a, s.n + 1);
	size_t n = 0;
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];
		if (c == '%') {
			c = (char)(unhex((unsigned char)s.p[i + 1]) << 4 | unhex((unsigned char)s.p[i + 2]));
			i += 2;
		} else if (c == '+' && mode == ENC_QUERY) {
			c = ' ';
		}
		d[n++] = c;
	}
	*out = S(d, n);
	return true;
}

static void escape(kv_buf *out, str s, int mode)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c == ' ' && mode == ENC_QUERY)
			kv_buf_putc(out, '+');
		else if (should_escape(c, mode))
			kv_buf_printf(out, "%%%c%c", hex[c >> 4], hex[c & 15]);
		else
			kv_buf_putc(out, (char)c);
	}
}

static bool escapes_to(str raw, str decoded, int mode)
{
	kv_buf b = KV_BUF_INIT;
	escape(&b, decoded, mode);
	bool same = str_eq(raw, S(b.data ? b.data : "", b.len));
	kv_buf_free(&b);
	return same;
}

/* ":" followed by digits, or nothing. */
static bool valid_optional_port(str port)
{
	if (!port.n)
		return true;
	if (port.p[0] != ':')
		return false;
	for (size_t i = 1; i < port.n; i++)
		if (port.p[i] < '0' || port.p[i] > '9')
			return false;
	return true;
}

static bool port_error(str port, kv_buf *err)
{
	kv_buf_puts(err, "invalid port ");
	kv_k8s_quote(err, port.p, port.n);
	kv_buf_puts(err, " after host");
	return false;
}

/* An IP literal in brackets, whose zone (after %25) may escape more than a host may. */
static bool parse_bracket_host(kv_arena *a, str host, str *out, kv_buf *err)
{
	size_t i = last_index_of(host, ']');
	if (i == SIZE_MAX) {
		kv_buf_puts(err, "missing ']' in host");
		return false;
	}
	if (!valid_optional_port(S(host.p + i + 1, host.n - i - 1)))
		return port_error(S(host.p + i + 1, host.n - i - 1), err);
	const char *zone = memmem(host.p, i, "%25", 3);
	if (!zone)
		return unescape(a, host, ENC_HOST, out, err);
	size_t z = (size_t)(zone - host.p);
	str h1, h2, h3;
	if (!unescape(a, S(host.p, z), ENC_HOST, &h1, err) ||
	    !unescape(a, S(host.p + z, i - z), ENC_ZONE, &h2, err) ||
	    !unescape(a, S(host.p + i, host.n - i), ENC_HOST, &h3, err))
		return false;
	char *d = kv_arena_alloc(a, h1.n + h2.n + h3.n + 1);
	memcpy(d, h1.p, h1.n);
	memcpy(d + h1.n, h2.p, h2.n);
	memcpy(d + h1.n + h2.n, h3.p, h3.n);
	*out = S(d, h1.n + h2.n + h3.n);
	return true;
}

static bool parse_host(kv_arena *a, str host, str *out, kv_buf *err)
{
	if (has_prefix(host, "["))
		return parse_bracket_host(a, host, out, err);
	size_t i = last_index_of(host, ':');
	if (i != SIZE_MAX && !valid_optional_port(S(host.p + i, host.n - i)))
		return port_error(S(host.p + i, host.n - i), err);
	return unescape(a, host, ENC_HOST, out, err);
}

/* userinfo = *( unreserved / pct-encoded / sub-delims / ":" ), and '@' which Go lets by. */
static bool valid_userinfo(str s)
{
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (!is_alnum(c) && !(c && strchr("-._:~!$&'()*+,;=%@", c)))
			return false;
	}
	return true;
}

static bool parse_authority(kv_arena *a, url *u, str auth, kv_buf *err)
{
	size_t at = last_index_of(auth, '@');
	str host = at == SIZE_MAX ? auth : S(auth.p + at + 1, auth.n - at - 1);
	if (!parse_host(a, host, &u->host, err))
		return false;
	if (at == SIZE_MAX)
		return true;
	str info = S(auth.p, at);
	if (!valid_userinfo(info)) {
		kv_buf_puts(err, "net/url: invalid userinfo");
		return false;
	}
	size_t colon = index_of(info, ':');
	u->has_user = true;
	u->has_pass = colon != SIZE_MAX;
	str name = u->has_pass ? S(info.p, colon) : info;
	if (!unescape(a, name, ENC_USERINFO, &u->user, err))
		return false;
	return !u->has_pass || unescape(a, S(info.p + colon + 1, info.n - colon - 1), ENC_USERINFO, &u->pass, err);
}

static bool set_path(kv_arena *a, url *u, str p, kv_buf *err)
{
	if (!unescape(a, p, ENC_PATH, &u->path, err))
		return false;
	u->rawpath = escapes_to(p, u->path, ENC_PATH) ? S("", 0) : p;
	return true;
}

/* getScheme: [a-zA-Z][a-zA-Z0-9+.-]* before a ':'; 0 when there is none, -1 on ":x". */
static int split_scheme(str raw, size_t *colon)
{
	for (size_t i = 0; i < raw.n; i++) {
		unsigned char c = (unsigned char)raw.p[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			continue;
		if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
			if (i == 0)
				return 0;
			continue;
		}
		if (c != ':')
			return 0;
		*colon = i;
		return i == 0 ? -1 : 1;
	}
	return 0;
}

static bool has_ctl(str s)
{
	for (size_t i = 0; i < s.n; i++)
		if ((unsigned char)s.p[i] < 0x20 || s.p[i] == 0x7f)
			return true;
	return false;
}

static str lower(kv_arena *a, str s)
{
	char *d = kv_arena_alloc(a, s.n + 1);
	for (size_t i = 0; i < s.n; i++)
		d[i] = (char)(s.p[i] >= 'A' && s.p[i] <= 'Z' ? s.p[i] + 32 : s.p[i]);
	return S(d, s.n);
}

/* Scheme and query come off first; what remains is opaque, or [//authority]path. */
static bool parse_scheme_query(kv_arena *a, url *u, str *rest, kv_buf *err)
{
	size_t colon = 0;
	int sc = split_scheme(*rest, &colon);
	if (sc < 0) {
		kv_buf_puts(err, "missing protocol scheme");
		return false;
	}
	if (sc > 0) {
		u->scheme = lower(a, S(rest->p, colon));
		*rest = S(rest->p + colon + 1, rest->n - colon - 1);
	}
	size_t q = index_of(*rest, '?');
	if (q != SIZE_MAX && q == rest->n - 1) {
		u->force_query = true;
		rest->n--;
	} else if (q != SIZE_MAX) {
		u->query = S(rest->p + q + 1, rest->n - q - 1);
		rest->n = q;
	}
	return true;
}

/* A relative reference may not start with a segment that has a colon (it reads as a scheme). */
static bool rootless(url *u, str rest, bool via_request, kv_buf *err)
{
	if (u->scheme.n) {
		u->opaque = rest;
		return true;
	}
	if (via_request) {
		kv_buf_puts(err, "invalid URI for request");
		return false;
	}
	size_t slash = index_of(rest, '/');
	str segment = slash == SIZE_MAX ? rest : S(rest.p, slash);
	if (index_of(segment, ':') != SIZE_MAX) {
		kv_buf_puts(err, "first path segment in URL cannot contain colon");
		return false;
	}
	return true;
}

/* After the scheme: //authority then the path, or just the path. */
static bool parse_hierarchy(kv_arena *a, url *u, str rest, bool via_request, kv_buf *err)
{
	if ((u->scheme.n || (!via_request && !has_prefix(rest, "///"))) && has_prefix(rest, "//")) {
		str auth = S(rest.p + 2, rest.n - 2);
		size_t slash = index_of(auth, '/');
		rest = slash == SIZE_MAX ? S("", 0) : S(auth.p + slash, auth.n - slash);
		auth.n = slash == SIZE_MAX ? auth.n : slash;
		if (!parse_authority(a, u, auth, err))
			return false;
	} else if (u->scheme.n && has_prefix(rest, "/")) {
		u->omit_host = true;
	}
	return set_path(a, u, rest, err);
}

/* net/url's parse: via_request is ParseRequestURI's mode (absolute URIs or absolute paths). */
static bool parse(kv_arena *a, url *u, str raw, bool via_request, kv_buf *err)
{
	memset(u, 0, sizeof *u);
	u->scheme = u->opaque = u->user = u->pass = u->host = u->path = u->rawpath = u->query =
		u->frag = u->rawfrag = S("", 0);
	if (has_ctl(raw)) {
		kv_buf_puts(err, "net/url: invalid control character in URL");
		return false;
	}
	if (!raw.n && via_request) {
		kv_buf_puts(err, "empty url");
		return false;
	}
	if (raw.n == 1 && raw.p[0] == '*') {
		u->path = raw;
		return true;
	}
	str rest = raw;
	if (!parse_scheme_query(a, u, &rest, err))
		return false;
	if (!has_prefix(rest, "/")) {
		if (!rootless(u, rest, via_request, err))
			return false;
		if (u->scheme.n)
			return true; /* opaque */
	}
	return parse_hierarchy(a, u, rest, via_request, err);
}

/* Go's url.Error text: parse "<url>": <reason>. */
static void wrap_error(kv_buf *out, str raw, const kv_buf *reason)
{
	kv_buf_puts(out, "parse ");
	kv_k8s_quote(out, raw.p, raw.n);
	kv_buf_puts(out, ": ");
	kv_buf_add(out, reason->data ? reason->data : "", reason->len);
}

static bool parse_request_uri(kv_arena *a, url *u, str raw, kv_buf *err)
{
	kv_buf reason = KV_BUF_INIT;
	bool ok = parse(a, u, raw, true, &reason);
	if (!ok)
		wrap_error(err, raw, &reason);
	kv_buf_free(&reason);
	return ok;
}

/* url.Parse: the fragment comes off first, then the rest parses as a reference. */
static bool parse_reference(kv_arena *a, url *u, str raw, kv_buf *err)
{
	kv_buf reason = KV_BUF_INIT;
	size_t hash = index_of(raw, '#');
	str head = hash == SIZE_MAX ? raw : S(raw.p, hash);
	bool ok = parse(a, u, head, false, &reason);
	if (!ok)
		wrap_error(err, head, &reason);
	if (ok && hash != SIZE_MAX && hash + 1 < raw.n) {
		str f = S(raw.p + hash + 1, raw.n - hash - 1);
		ok = unescape(a, f, ENC_FRAGMENT, &u->frag, &reason);
		if (ok)
			u->rawfrag = escapes_to(f, u->frag, ENC_FRAGMENT) ? S("", 0) : f;
		else
			wrap_error(err, raw, &reason);
	}
	kv_buf_free(&reason);
	return ok;
}

/* validEncoded: the raw form needs no further escaping. */
static bool valid_encoded(str s, int mode)
{
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c && strchr("!$&'()*+,;=:@[]%", c))
			continue;
		if (should_escape(c, mode))
			return false;
	}
	return true;
}

/* EscapedPath and EscapedFragment: the raw form when it is a valid escaping of the decoded
 * one, else the decoded one escaped. */
static void escaped(kv_buf *out, kv_arena *a, str raw, str decoded, int mode)
{
	str back;
	kv_buf ignored = KV_BUF_INIT;
	if (raw.n && valid_encoded(raw, mode) && unescape(a, raw, mode, &back, &ignored) &&
	    str_eq(back, decoded)) {
		kv_buf_add(out, raw.p, raw.n);
	} else if (mode == ENC_PATH && decoded.n == 1 && decoded.p[0] == '*') {
		kv_buf_putc(out, '*');
	} else {
		escape(out, decoded, mode);
	}
	kv_buf_free(&ignored);
}

static void authority_text(kv_buf *out, const url *u)
{
	if (u->omit_host && !u->host.n && !u->has_user)
		return;
	if (u->host.n || u->path.n || u->has_user)
		kv_buf_puts(out, "//");
	if (u->has_user) {
		escape(out, u->user, ENC_USERINFO);
		if (u->has_pass) {
			kv_buf_putc(out, ':');
			escape(out, u->pass, ENC_USERINFO);
		}
		kv_buf_putc(out, '@');
	}
	escape(out, u->host, ENC_HOST);
}

/* The escaped path, with a / before it after a host and ./ before a first segment that
 * would read as a scheme. */
static void path_text(kv_buf *out, kv_arena *a, const url *u)
{
	kv_buf path = KV_BUF_INIT;
	escaped(&path, a, u->rawpath, u->path, ENC_PATH);
	str p = S(path.data ? path.data : "", path.len);
	if (p.n && p.p[0] != '/' && u->host.n)
		kv_buf_putc(out, '/');
	size_t slash = index_of(p, '/');
	if (!out->len && index_of(slash == SIZE_MAX ? p : S(p.p, slash), ':') != SIZE_MAX)
		kv_buf_puts(out, "./");
	kv_buf_add(out, p.p, p.n);
	kv_buf_free(&path);
}

/* URL.String. */
static void url_string(kv_buf *out, kv_arena *a, const url *u)
{
	if (u->scheme.n) {
		kv_buf_add(out, u->scheme.p, u->scheme.n);
		kv_buf_putc(out, ':');
	}
	if (u->opaque.n) {
		kv_buf_add(out, u->opaque.p, u->opaque.n);
	} else {
		if (u->scheme.n || u->host.n || u->has_user)
			authority_text(out, u);
		path_text(out, a, u);
	}
	if (u->force_query || u->query.n) {
		kv_buf_putc(out, '?');
		kv_buf_add(out, u->query.p, u->query.n);
	}
	if (u->frag.n) {
		kv_buf_putc(out, '#');
		escaped(out, a, u->rawfrag, u->frag, ENC_FRAGMENT);
	}
}

static bool url_equal(const void *a, const void *b)
{
	return str_eq(((const url *)a)->text, ((const url *)b)->text);
}

static void url_text(kv_buf *out, const void *obj)
{
	const url *u = obj;
	kv_buf_add(out, u->text.p, u->text.n);
}

static const kv_cel_objops url_ops = {url_equal, url_text, "url"};

bool kv_k8s_url_valid(const char *s, size_t n, kv_buf *err)
{
	kv_arena *a = kv_arena_new();
	url u;
	bool ok = parse_request_uri(a, &u, S(s, n), err);
	kv_arena_free(a);
	return ok;
}

static kv_cel_val url_error(kv_cel_call *c, kv_buf *reason)
{
	kv_buf msg = KV_BUF_INIT;
	kv_buf_puts(&msg, "URL parse error during conversion from string: ");
	kv_buf_add(&msg, reason->data ? reason->data : "", reason->len);
	kv_buf_free(reason);
	return kv_k8s_error_buf(c, KV_CEL_E_INVALID_ARG, &msg);
}

/* ParseRequestURI decides; Parse reads the parts, as ParseRequestURI keeps a fragment in the
 * path or query. */
kv_cel_val kv_k8s_url(kv_cel_call *c)
{
	if (!kv_cel_charge(c->r, A(0)->len / 4 + 1))
		return kv_cel_budget_error(c->r, c->pos);
	kv_arena *a = c->r->arena;
	str raw = S(A(0)->u.s, A(0)->len);
	kv_buf err = KV_BUF_INIT;
	url probe, *u = kv_cel_alloc(c->r, sizeof *u);
	if (!parse_request_uri(a, &probe, raw, &err) || !parse_reference(a, u, raw, &err))
		return url_error(c, &err);
	u->base.ops = &url_ops;
	kv_buf text = KV_BUF_INIT;
	url_string(&text, a, u);
	u->text = S(kv_arena_memdup(a, text.data ? text.data : "", text.len + 1), text.len);
	kv_buf_free(&text);
	return kv_cel_object(KV_CEL_T_URL, &u->base);
}

kv_cel_val kv_k8s_is_url(kv_cel_call *c)
{
	if (!kv_cel_charge(c->r, A(0)->len / 16 + 1))
		return kv_cel_budget_error(c->r, c->pos);
	kv_buf err = KV_BUF_INIT;
	bool ok = kv_k8s_url_valid(A(0)->u.s, A(0)->len, &err);
	kv_buf_free(&err);
	return kv_cel_bool(ok);
}

static const url *U(kv_cel_call *c)
{
	return A(0)->u.obj;
}

kv_cel_val kv_k8s_url_scheme(kv_cel_call *c)
{
	return kv_cel_string(U(c)->scheme.p, U(c)->scheme.n);
}

kv_cel_val kv_k8s_url_host(kv_cel_call *c)
{
	return kv_cel_string(U(c)->host.p, U(c)->host.n);
}

/* splitHostPort: a trailing :digits is the port; brackets come off the host. */
static void split_host_port(str hp, str *host, str *port)
{
	*host = hp;
	*port = S("", 0);
	size_t colon = last_index_of(hp, ':');
	if (colon != SIZE_MAX && valid_optional_port(S(hp.p + colon, hp.n - colon))) {
		*host = S(hp.p, colon);
		*port = S(hp.p + colon + 1, hp.n - colon - 1);
	}
	if (host->n >= 2 && host->p[0] == '[' && host->p[host->n - 1] == ']')
		*host = S(host->p + 1, host->n - 2);
}

kv_cel_val kv_k8s_url_hostname(kv_cel_call *c)
{
	str host, port;
	split_host_port(U(c)->host, &host, &port);
	return kv_cel_string(host.p, host.n);
}

kv_cel_val kv_k8s_url_port(kv_cel_call *c)
{
	str host, port;
	split_host_port(U(c)->host, &host, &port);
	return kv_cel_string(port.p, port.n);
}

kv_cel_val kv_k8s_url_escaped_path(kv_cel_call *c)
{
	kv_buf b = KV_BUF_INIT;
	escaped(&b, c->r->arena, U(c)->rawpath, U(c)->path, ENC_PATH);
	kv_cel_val v = kv_cel_string_buf(c->r, &b, false);
	kv_buf_free(&b);
	return v;
}

typedef struct {
	str key, value;
	uint32_t group; /* index of the key's first pair */
} qpair;

/* parseQuery: pairs split on '&', key=value; pairs with ';', empty pairs and bad escapes are
 * dropped (URL.Query ignores the error). */
static size_t query_pairs(kv_arena *a, str q, qpair *pairs)
{
	size_t n = 0;
	kv_buf ignored = KV_BUF_INIT;
	for (size_t start = 0; start <= q.n;) {
		size_t amp = index_of(S(q.p + start, q.n - start), '&');
		str item = S(q.p + start, amp == SIZE_MAX ? q.n - start : amp);
		start += item.n + 1;
		if (!item.n || index_of(item, ';') != SIZE_MAX)
			continue;
		size_t eq = index_of(item, '=');
		str k = eq == SIZE_MAX ? item : S(item.p, eq);
		str v = eq == SIZE_MAX ? S("", 0) : S(item.p + eq + 1, item.n - eq - 1);
		if (unescape(a, k, ENC_QUERY, &pairs[n].key, &ignored) &&
		    unescape(a, v, ENC_QUERY, &pairs[n].value, &ignored))
			n++;
	}
	kv_buf_free(&ignored);
	return n;
}

/* Groups pairs by key, in the order keys first appear; returns the number of keys. */
static size_t group_pairs(qpair *pairs, size_t n, uint32_t *counts)
{
	kv_map *seen = kv_map_new();
	size_t keys = 0;
	for (size_t i = 0; i < n; i++) {
		bool added;
		uint64_t *slot = kv_map_slot(seen, pairs[i].key.p, pairs[i].key.n, &added);
		if (added)
			*slot = keys++;
		pairs[i].group = (uint32_t)*slot;
		counts[*slot]++;
	}
	kv_map_free(seen);
	return keys;
}

/* getQuery: a map from each key to its values, in order. */
kv_cel_val kv_k8s_url_query(kv_cel_call *c)
{
	str q = U(c)->query;
	if (!kv_cel_charge(c->r, q.n / 4 + 1))
		return kv_cel_budget_error(c->r, c->pos);
	qpair *pairs = kv_cel_alloc(c->r, (q.n / 2 + 1) * sizeof *pairs);
	size_t n = query_pairs(c->r->arena, q, pairs);
	uint32_t *counts = kv_cel_alloc(c->r, (n + 1) * sizeof *counts);
	uint32_t *fill = kv_cel_alloc(c->r, (n + 1) * sizeof *fill);
	memset(counts, 0, (n + 1) * sizeof *counts);
	memset(fill, 0, (n + 1) * sizeof *fill);
	size_t keys = group_pairs(pairs, n, counts);
	kv_cel_val *kv = kv_cel_alloc(c->r, (2 * keys + 1) * sizeof *kv);
	kv_cel_val **items = kv_cel_alloc(c->r, (keys + 1) * sizeof *items);
	for (size_t g = 0; g < keys; g++)
		kv[2 * g + 1] = kv_cel_list_new(c->r, counts[g], &items[g]);
	for (size_t i = 0; i < n; i++) {
		uint32_t g = pairs[i].group;
		if (!fill[g])
			kv[2 * g] = kv_cel_string(pairs[i].key.p, pairs[i].key.n);
		items[g][fill[g]++] = kv_cel_string(pairs[i].value.p, pairs[i].value.n);
	}
	return kv_cel_map(kv, keys);
}
