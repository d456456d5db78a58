/* lib_k8s_net.c: Kubernetes' IP and CIDR libraries (net.IP, net.CIDR): Go's net/netip parsing
 * and formatting, with Kubernetes' refusals (zones, IPv4-mapped IPv6) and its messages. */
#include "k8s.h"

#include <string.h>

#define A(i) (&c->args[i])

typedef struct {
	bool is4;
	uint8_t b[16]; /* IPv4 uses b[0..3] */
} addr;

typedef struct {
	kv_cel_obj base;
	addr a;
} ip_obj;

typedef struct {
	kv_cel_obj base;
	addr a;
	int bits;
} cidr_obj;

/* ---- parsing (netip.ParseAddr) ---- */

/* ParseAddr's error text: ParseAddr("in"): msg (at "rest"). */
static bool addr_error(kv_buf *err, const char *in, size_t n, const char *msg, const char *at, size_t atn)
{
	kv_buf_puts(err, "ParseAddr(");
	kv_k8s_quote(err, in, n);
	kv_buf_puts(err, "): ");
	kv_buf_puts(err, msg);
	if (atn) {
		kv_buf_puts(err, " (at ");
		kv_k8s_quote(err, at, atn);
		kv_buf_putc(err, ')');
	}
	return false;
}

static bool parse_ipv4(const char *s, size_t n, uint8_t out[4], kv_buf *err)
{
	unsigned val = 0, pos = 0, digits = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (digits == 1 && val == 0)
				return addr_error(err, s, n, "IPv4 field has octet with leading zero", NULL, 0);
			val = val * 10 + (unsigned)(s[i] - '0');
			digits++;
			if (val > 255)
				return addr_error(err, s, n, "IPv4 field has value >255", NULL, 0);
		} else if (s[i] == '.') {
			if (i == 0 || i == n - 1 || s[i - 1] == '.')
				return addr_error(err, s, n, "IPv4 field must have at least one digit", s + i, n - i);
			if (pos == 3)
				return addr_error(err, s, n, "IPv4 address too long", NULL, 0);
			out[pos++] = (uint8_t)val;
			val = digits = 0;
		} else {
			return addr_error(err, s, n, "unexpected character", s + i, n - i);
		}
	}
	if (pos < 3)
		return addr_error(err, s, n, "IPv4 address too short", NULL, 0);
	out[3] = (uint8_t)val;
	return true;
}

typedef struct {
	const char *in;
	size_t inlen;
	const char *s; /* what is left to read */
	size_t n;
	uint8_t ip[16];
	int i;        /* bytes filled */
	int ellipsis; /* byte offset of ::, or -1 */
} v6state;

static bool v6_error(v6state *st, kv_buf *err, const char *msg)
{
	return addr_error(err, st->in, st->inlen, msg, st->s, st->n);
}

static void v6_advance(v6state *st, size_t k)
{
	st->s += k;
	st->n -= k;
}

/* A dotted quad in the last four bytes; its own error is nested as Go nests it. */
static bool v6_embedded_ipv4(v6state *st, kv_buf *err)
{
	if (st->ellipsis < 0 && st->i != 12)
		return v6_error(st, err, "embedded IPv4 address must replace the final 2 fields of the address");
	if (st->i + 4 > 16)
		return v6_error(st, err, "too many hex fields to fit an embedded IPv4 at the end of the address");
	kv_buf inner = KV_BUF_INIT;
	if (!parse_ipv4(st->s, st->n, st->ip + st->i, &inner)) {
		v6_error(st, err, kv_buf_cstr(&inner));
		kv_buf_free(&inner);
		return false;
	}
	st->i += 4;
	v6_advance(st, st->n);
	return true;
}

/* The hex digits at the start of what is left: their count, or 0 with *err set. */
static size_t v6_hex(v6state *st, uint32_t *acc, kv_buf *err)
{
	size_t off = 0;
	*acc = 0;
	for (; off < st->n; off++) {
		char ch = st->s[off];
		int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
			: ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
		if (d < 0)
			break;
		*acc = *acc << 4 | (uint32_t)d;
		if (*acc > 0xFFFF)
			return v6_error(st, err, "IPv6 field has value >=2^16");
	}
	if (off == 0)
		v6_error(st, err, "each colon-separated field must have at least one digit");
	return off;
}

/* After a field: the end, or a colon and more, where a second colon is the ellipsis. */
static bool v6_separator(v6state *st, kv_buf *err, bool *done)
{
	if ((*done = st->n == 0))
		return true;
	if (st->s[0] != ':')
		return v6_error(st, err, "unexpected character, want colon");
	if (st->n == 1)
		return v6_error(st, err, "colon must be followed by more characters");
	v6_advance(st, 1);
	if (st->s[0] == ':') {
		if (st->ellipsis >= 0)
			return v6_error(st, err, "multiple :: in address");
		st->ellipsis = st->i;
		v6_advance(st, 1);
		*done = st->n == 0;
	}
	return true;
}

/* One hex field (or the embedded dotted quad) and what follows it; *done at the end. */
static bool v6_field(v6state *st, kv_buf *err, bool *done)
{
	uint32_t acc;
	size_t off = v6_hex(st, &acc, err);
	if (off == 0)
		return false;
	if (off < st->n && st->s[off] == '.') {
		*done = true;
		return v6_embedded_ipv4(st, err);
	}
	st->ip[st->i] = (uint8_t)(acc >> 8);
	st->ip[st->i + 1] = (uint8_t)acc;
	st->i += 2;
	v6_advance(st, off);
	return v6_separator(st, err, done);
}

/* Moves the fields after :: to the end and zero-fills the gap. */
static bool v6_expand(v6state *st, kv_buf *err)
{
	if (st->n)
		return v6_error(st, err, "trailing garbage after address");
	if (st->i < 16) {
		if (st->ellipsis < 0)
			return addr_error(err, st->in, st->inlen, "address string too short", NULL, 0);
		int gap = 16 - st->i;
		memmove(st->ip + st->ellipsis + gap, st->ip + st->ellipsis, (size_t)(st->i - st->ellipsis));
		memset(st->ip + st->ellipsis, 0, (size_t)gap);
	} else if (st->ellipsis >= 0) {
		return addr_error(err, st->in, st->inlen, "the :: must expand to at least one field of zeros", NULL, 0);
	}
	return true;
}

/* parseIPv6; *zone tells whether a %zone followed (Kubernetes refuses those). */
static bool parse_ipv6(const char *in, size_t inlen, addr *out, bool *zone, kv_buf *err)
{
	v6state st = {.in = in, .inlen = inlen, .s = in, .n = inlen, .ellipsis = -1};
	const char *pct = memchr(in, '%', inlen);
	*zone = pct != NULL;
	if (pct) {
		if (pct == in + inlen - 1)
			return addr_error(err, in, inlen, "zone must be a non-empty string", NULL, 0);
		st.n = (size_t)(pct - in);
	}
	if (st.n >= 2 && st.s[0] == ':' && st.s[1] == ':') {
		st.ellipsis = 0;
		v6_advance(&st, 2);
	}
	for (bool done = st.n == 0; st.i < 16 && !done;)
		if (!v6_field(&st, err, &done))
			return false;
	if (!v6_expand(&st, err))
		return false;
	out->is4 = false;
	memcpy(out->b, st.ip, 16);
	return true;
}

static bool parse_addr(const char *s, size_t n, addr *out, bool *zone, kv_buf *err)
{
	*zone = false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			out->is4 = true;
			return parse_ipv4(s, n, out->b, err);
		}
		if (s[i] == ':')
			return parse_ipv6(s, n, out, zone, err);
		if (s[i] == '%')
			return addr_error(err, s, n, "missing IPv6 address", NULL, 0);
	}
	return addr_error(err, s, n, "unable to parse IP", NULL, 0);
}

static bool is_4in6(const addr *a)
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
	return !a->is4 && memcmp(a->b, prefix, 12) == 0;
}

/* Kubernetes' parseIPAddr: netip.ParseAddr without zones or IPv4-mapped IPv6. */
static bool parse_k8s_ip(const char *s, size_t n, addr *out, kv_buf *err)
{
	bool zone;
	kv_buf inner = KV_BUF_INIT;
	bool ok = parse_addr(s, n, out, &zone, &inner);
	if (!ok) {
		kv_buf_puts(err, "IP Address ");
		kv_k8s_quote(err, s, n);
		kv_buf_printf(err, " parse error during conversion from string: %s", kv_buf_cstr(&inner));
	} else if (zone || is_4in6(out)) {
		kv_buf_puts(err, zone ? "IP address " : "IPv4-mapped IPv6 address ");
		kv_k8s_quote(err, s, n);
		kv_buf_puts(err, zone ? " with zone value is not allowed" : " is not allowed");
		ok = false;
	}
	kv_buf_free(&inner);
	return ok;
}

/* ---- formatting (Addr.String) ---- */

static unsigned u16_at(const addr *a, int i)
{
	return (unsigned)a->b[2 * i] << 8 | a->b[2 * i + 1];
}

/* RFC 5952: lowercase hex without leading zeros, the longest run of two or more zero
 * fields (the first of equals) as ::. */
static void ipv6_text(kv_buf *out, const addr *a)
{
	int zs = -1, ze = -1;
	for (int i = 0; i < 8; i++) {
		int j = i;
		while (j < 8 && u16_at(a, j) == 0)
			j++;
		if (j - i >= 2 && j - i > ze - zs)
			zs = i, ze = j;
	}
	for (int i = 0; i < 8; i++) {
		if (i == zs) {
			kv_buf_puts(out, "::");
			i = ze;
			if (i >= 8)
				break;
		} else if (i > 0) {
			kv_buf_putc(out, ':');
		}
		kv_buf_printf(out, "%x", u16_at(a, i));
	}
}

static void addr_text(kv_buf *out, const addr *a)
{
	if (a->is4)
		kv_buf_printf(out, "%u.%u.%u.%u", a->b[0], a->b[1], a->b[2], a->b[3]);
	else
		ipv6_text(out, a);
}

static bool addr_equal(const addr *x, const addr *y)
{
	return x->is4 == y->is4 && memcmp(x->b, y->b, x->is4 ? 4 : 16) == 0;
}

static bool ip_equal(const void *x, const void *y)
{
	return addr_equal(&((const ip_obj *)x)->a, &((const ip_obj *)y)->a);
}

static void ip_text(kv_buf *out, const void *obj)
{
	addr_text(out, &((const ip_obj *)obj)->a);
}

static bool cidr_equal(const void *x, const void *y)
{
	const cidr_obj *p = x, *q = y;
	return p->bits == q->bits && addr_equal(&p->a, &q->a);
}

static void cidr_text(kv_buf *out, const void *obj)
{
	const cidr_obj *p = obj;
	addr_text(out, &p->a);
	kv_buf_printf(out, "/%d", p->bits);
}

static const kv_cel_objops ip_ops = {ip_equal, ip_text, "ip"};
static const kv_cel_objops cidr_ops = {cidr_equal, cidr_text, "cidr"};

static kv_cel_val ip_value(kv_cel_run *r, const addr *a)
{
	ip_obj *o = kv_cel_alloc(r, sizeof *o);
	o->base.ops = &ip_ops;
	o->a = *a;
	return kv_cel_object(KV_CEL_T_IP, &o->base);
}

static kv_cel_val cidr_value(kv_cel_run *r, const addr *a, int bits)
{
	cidr_obj *o = kv_cel_alloc(r, sizeof *o);
	o->base.ops = &cidr_ops;
	o->a = *a;
	o->bits = bits;
	return kv_cel_object(KV_CEL_T_CIDR, &o->base);
}

/* ---- prefixes (netip.ParsePrefix) ---- */

static bool prefix_error(kv_buf *err, const char *s, size_t n, const char *msg, const char *bits, size_t bn)
{
	kv_buf_puts(err, "netip.ParsePrefix(");
	kv_k8s_quote(err, s, n);
	kv_buf_printf(err, "): %s", msg);
	if (bits) {
		kv_buf_puts(err, "bad bits after slash: ");
		kv_k8s_quote(err, bits, bn);
	}
	return false;
}

/* The prefix length: decimal without sign or leading zeros (Go 1.22); 1 ok, 0 bad, -1 out
 * of range. */
static int prefix_bits(const char *s, size_t n, int max, int *bits)
{
	if (!n || (n > 1 && (s[0] < '1' || s[0] > '9')))
		return 0;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > ((uint64_t)INT64_MAX - d) / 10)
			return 0; /* strconv.Atoi's range error */
		v = v * 10 + d;
	}
	if (v > (uint64_t)max)
		return -1;
	*bits = (int)v;
	return 1;
}

static bool parse_prefix(const char *s, size_t n, addr *a, int *bits, kv_buf *err)
{
	size_t slash = n;
	while (slash > 0 && s[slash - 1] != '/')
		slash--;
	if (!slash)
		return prefix_error(err, s, n, "no '/'", NULL, 0);
	slash--;
	bool zone;
	kv_buf inner = KV_BUF_INIT;
	if (!parse_addr(s, slash, a, &zone, &inner)) {
		prefix_error(err, s, n, kv_buf_cstr(&inner), NULL, 0);
		kv_buf_free(&inner);
		return false;
	}
	kv_buf_free(&inner);
	if (zone)
		return prefix_error(err, s, n, "IPv6 zones cannot be present in a prefix", NULL, 0);
	int rc = prefix_bits(s + slash + 1, n - slash - 1, a->is4 ? 32 : 128, bits);
	if (rc == 0)
		return prefix_error(err, s, n, "", s + slash + 1, n - slash - 1);
	if (rc < 0)
		return prefix_error(err, s, n, "prefix length out of range", NULL, 0);
	return true;
}

/* Kubernetes' parseCIDR, with stringToCIDR's prefix: the two nest as they do there. */
static bool parse_k8s_cidr(const char *s, size_t n, addr *a, int *bits, kv_buf *err)
{
	static const char lead[] = "network address parse error during conversion from string: ";
	kv_buf inner = KV_BUF_INIT;
	bool ok = parse_prefix(s, n, a, bits, &inner);
	if (!ok) {
		kv_buf_printf(err, "%s%s%s", lead, lead, kv_buf_cstr(&inner));
	} else if (is_4in6(a)) {
		kv_buf_printf(err, "%sIPv4-mapped IPv6 address ", lead);
		kv_k8s_quote(err, s, n);
		kv_buf_puts(err, " is not allowed");
		ok = false;
	}
	kv_buf_free(&inner);
	return ok;
}

static void mask(addr *a, int bits)
{
	int len = a->is4 ? 4 : 16;
	for (int i = 0; i < len; i++) {
		int keep = bits - 8 * i;
		a->b[i] &= keep >= 8 ? 0xFF : keep <= 0 ? 0 : (uint8_t)(0xFF << (8 - keep));
	}
}

/* ---- the CEL functions ---- */

static bool charge_arg(kv_cel_call *c)
{
	return kv_cel_charge(c->r, A(0)->len / 16 + 1);
}

kv_cel_val kv_k8s_ip(kv_cel_call *c)
{
	if (!charge_arg(c))
		return kv_cel_budget_error(c->r, c->pos);
	addr a;
	kv_buf err = KV_BUF_INIT;
	if (!parse_k8s_ip(A(0)->u.s, A(0)->len, &a, &err))
		return kv_k8s_error_buf(c, KV_CEL_E_INVALID_ARG, &err);
	kv_buf_free(&err);
	return ip_value(c->r, &a);
}

kv_cel_val kv_k8s_is_ip(kv_cel_call *c)
{
	if (!charge_arg(c))
		return kv_cel_budget_error(c->r, c->pos);
	addr a;
	kv_buf err = KV_BUF_INIT;
	bool ok = parse_k8s_ip(A(0)->u.s, A(0)->len, &a, &err);
	kv_buf_free(&err);
	return kv_cel_bool(ok);
}

/* ip.isCanonical: the string is Addr.String() of itself; an invalid address is an error. */
kv_cel_val kv_k8s_ip_is_canonical(kv_cel_call *c)
{
	if (!charge_arg(c))
		return kv_cel_budget_error(c->r, c->pos);
	addr a;
	kv_buf err = KV_BUF_INIT;
	if (!parse_k8s_ip(A(0)->u.s, A(0)->len, &a, &err))
		return kv_k8s_error_buf(c, KV_CEL_E_INVALID_ARG, &err);
	addr_text(&err, &a);
	bool same = err.len == A(0)->len && memcmp(err.data, A(0)->u.s, err.len) == 0;
	kv_buf_free(&err);
	return kv_cel_bool(same);
}

static const addr *IP(kv_cel_call *c)
{
	return &((const ip_obj *)A(0)->u.obj)->a;
}

kv_cel_val kv_k8s_ip_family(kv_cel_call *c)
{
	return kv_cel_int(IP(c)->is4 ? 4 : 6);
}

static bool is_zero_addr(const addr *a)
{
	static const uint8_t zero[16];
	return memcmp(a->b, zero, a->is4 ? 4 : 16) == 0;
}

static bool is_loopback(const addr *a)
{
	static const uint8_t one[16] = {[15] = 1};
	return a->is4 ? a->b[0] == 127 : memcmp(a->b, one, 16) == 0;
}

static bool is_multicast(const addr *a)
{
	return a->is4 ? (a->b[0] & 0xF0) == 0xE0 : a->b[0] == 0xFF;
}

static bool is_ll_unicast(const addr *a)
{
	return a->is4 ? a->b[0] == 169 && a->b[1] == 254 : (u16_at(a, 0) & 0xFFC0) == 0xFE80;
}

kv_cel_val kv_k8s_ip_is_unspecified(kv_cel_call *c)
{
	return kv_cel_bool(is_zero_addr(IP(c)));
}

kv_cel_val kv_k8s_ip_is_loopback(kv_cel_call *c)
{
	return kv_cel_bool(is_loopback(IP(c)));
}

kv_cel_val kv_k8s_ip_is_ll_multicast(kv_cel_call *c)
{
	const addr *a = IP(c);
	if (a->is4)
		return kv_cel_bool(a->b[0] == 224 && a->b[1] == 0 && a->b[2] == 0);
	return kv_cel_bool((u16_at(a, 0) & 0xFF0F) == 0xFF02);
}

kv_cel_val kv_k8s_ip_is_ll_unicast(kv_cel_call *c)
{
	return kv_cel_bool(is_ll_unicast(IP(c)));
}

/* Not unspecified, limited broadcast, loopback, multicast or link-local unicast; private
 * ranges count as global, as in Go. */
kv_cel_val kv_k8s_ip_is_global_unicast(kv_cel_call *c)
{
	const addr *a = IP(c);
	static const uint8_t bcast[4] = {255, 255, 255, 255};
	if (is_zero_addr(a) || (a->is4 && memcmp(a->b, bcast, 4) == 0))
		return kv_cel_bool(false);
	return kv_cel_bool(!is_loopback(a) && !is_multicast(a) && !is_ll_unicast(a));
}

kv_cel_val kv_k8s_cidr(kv_cel_call *c)
{
	if (!charge_arg(c))
		return kv_cel_budget_error(c->r, c->pos);
	addr a;
	int bits;
	kv_buf err = KV_BUF_INIT;
	if (!parse_k8s_cidr(A(0)->u.s, A(0)->len, &a, &bits, &err))
		return kv_k8s_error_buf(c, KV_CEL_E_INVALID_ARG, &err);
	kv_buf_free(&err);
	return cidr_value(c->r, &a, bits);
}

kv_cel_val kv_k8s_is_cidr(kv_cel_call *c)
{
	if (!charge_arg(c))
		return kv_cel_budget_error(c->r, c->pos);
	addr a;
	int bits;
	kv_buf err = KV_BUF_INIT;
	bool ok = parse_k8s_cidr(A(0)->u.s, A(0)->len, &a, &bits, &err);
	kv_buf_free(&err);
	return kv_cel_bool(ok);
}

static const cidr_obj *CIDR(kv_cel_call *c)
{
	return A(0)->u.obj;
}

/* Prefix.Contains: same family, and the first bits agree. */
kv_cel_val kv_k8s_cidr_contains_ip(kv_cel_call *c)
{
	addr ip;
	if (A(1)->type == KV_CEL_T_IP) {
		ip = ((const ip_obj *)A(1)->u.obj)->a;
	} else if (A(1)->type == KV_CEL_T_STRING) {
		kv_buf err = KV_BUF_INIT;
		if (!parse_k8s_ip(A(1)->u.s, A(1)->len, &ip, &err))
			return kv_k8s_error_buf(c, KV_CEL_E_INVALID_ARG, &err);
		kv_buf_free(&err);
	} else {
		return kv_cel_no_overload(c);
	}
	addr net = CIDR(c)->a;
	if (ip.is4 != net.is4)
		return kv_cel_bool(false);
	mask(&ip, CIDR(c)->bits);
	mask(&net, CIDR(c)->bits);
	return kv_cel_bool(addr_equal(&ip, &net));
}

/* Kubernetes compares the masked network with the other CIDR's address as written
 * (netip.PrefixFrom does not mask), so cidr('10.0.0.0/8').containsCIDR('10.1.0.0/16') is
 * false there, and here. */
kv_cel_val kv_k8s_cidr_contains_cidr(kv_cel_call *c)
{
	addr other;
	int bits;
	if (A(1)->type == KV_CEL_T_CIDR) {
		other = ((const cidr_obj *)A(1)->u.obj)->a;
		bits = ((const cidr_obj *)A(1)->u.obj)->bits;
	} else if (A(1)->type == KV_CEL_T_STRING) {
		kv_buf err = KV_BUF_INIT;
		if (!parse_k8s_cidr(A(1)->u.s, A(1)->len, &other, &bits, &err))
			return kv_k8s_error_buf(c, KV_CEL_E_INVALID_ARG, &err);
		kv_buf_free(&err);
	} else {
		return kv_cel_no_overload(c);
	}
	addr net = CIDR(c)->a;
	mask(&net, CIDR(c)->bits);
	return kv_cel_bool(addr_equal(&net, &other) && CIDR(c)->bits <= bits);
}

kv_cel_val kv_k8s_cidr_ip(kv_cel_call *c)
{
	return ip_value(c->r, &CIDR(c)->a);
}

kv_cel_val kv_k8s_cidr_masked(kv_cel_call *c)
{
	addr a = CIDR(c)->a;
	mask(&a, CIDR(c)->bits);
	return cidr_value(c->r, &a, CIDR(c)->bits);
}

kv_cel_val kv_k8s_cidr_prefix_length(kv_cel_call *c)
{
	return kv_cel_int(CIDR(c)->bits);
}
