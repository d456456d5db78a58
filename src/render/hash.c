/* hash.c: SHA-256 as FIPS 180-4 defines it, and the content hash kustomize appends to the
 * names of generated ConfigMaps and Secrets: the SHA-256 of a JSON document (kind, name,
 * data...) as Go's encoding/json writes it, its first ten hex digits with five of them
 * swapped for letters so the suffix never reads as a number or a word. */
#include "hash.h"

#include "kvet/alloc.h"
#include "kvet/sort.h"
#include "kvet/strutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- SHA-256 ---- */

static const uint32_t round_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t rotr(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static void compress(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + round_k[i] + w[i];
		uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
}

void rn_sha256_init(rn_sha256 *s)
{
	static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(s->h, iv, sizeof iv);
	s->bytes = 0;
	s->used = 0;
}

void rn_sha256_add(rn_sha256 *s, const void *p, size_t n)
{
	const unsigned char *b = p;
	s->bytes += n;
	while (n > 0) {
		size_t take = 64 - s->used < n ? 64 - s->used : n;
		memcpy(s->block + s->used, b, take);
		s->used += take;
		b += take;
		n -= take;
		if (s->used == 64) {
			compress(s->h, s->block);
			s->used = 0;
		}
	}
}

void rn_sha256_end(rn_sha256 *s, unsigned char out[32])
{
	uint64_t bits = s->bytes * 8;
	unsigned char pad[72] = {0x80};
	size_t padlen = s->used < 56 ? 56 - s->used : 120 - s->used;
	unsigned char len[8];
	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)(bits >> (56 - 8 * i));
	rn_sha256_add(s, pad, padlen);
	rn_sha256_add(s, len, 8);
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 4; j++)
			out[4 * i + j] = (unsigned char)(s->h[i] >> (24 - 8 * j));
}

void rn_sha256_hex(const void *p, size_t n, char out[65])
{
	rn_sha256 s;
	unsigned char d[32];
	rn_sha256_init(&s);
	rn_sha256_add(&s, p, n);
	rn_sha256_end(&s, d);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* ---- Go's encoding/json ---- */

static void json_string(kv_buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	kv_buf_putc(out, '"');
	size_t i = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			if (c == '"' || c == '\\') {
				kv_buf_putc(out, '\\');
				kv_buf_putc(out, (char)c);
			} else if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') {
				kv_buf_putc(out, '\\');
				kv_buf_putc(out, c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : c == '\b' ? 'b' : 'f');
			} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
				kv_buf_puts(out, "\\u00");
				kv_buf_putc(out, hex[c >> 4]);
				kv_buf_putc(out, hex[c & 15]);
			} else {
				kv_buf_putc(out, (char)c);
			}
			i++;
			continue;
		}
		/* One code point: the longest well-formed prefix of at most four bytes. */
		size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2, bad;
		if (i + len > n || !kv_utf8_valid(s + i, len, &bad)) {
			kv_buf_puts(out, "\\ufffd");
			i++;
			continue;
		}
		if (len == 3 && c == 0xe2 && (unsigned char)s[i + 1] == 0x80 &&
		    ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9))
			kv_buf_puts(out, (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
		else
			kv_buf_add(out, s + i, len);
		i += len;
	}
	kv_buf_putc(out, '"');
}

/* A float64 as Go's encoding/json writes it: the shortest digits that read back the same,
 * in plain notation unless the exponent is below -6 or at least 21. */
static void json_number(kv_buf *out, double d)
{
	if (!isfinite(d)) {
		kv_buf_puts(out, "null"); /* Go refuses these; never seen in YAML data */
		return;
	}
	if (d == 0) {
		kv_buf_puts(out, signbit(d) ? "-0" : "0");
		return;
	}
	char e[40];
	for (int p = 1; p <= 17; p++) {
		snprintf(e, sizeof e, "%.*e", p - 1, d);
		if (strtod(e, NULL) == d)
			break;
	}
	/* e is "-d.ddde+XX": digits and exponent */
	char digits[24];
	size_t nd = 0;
	const char *q = e;
	bool neg = *q == '-';
	if (neg)
		q++;
	for (; *q && *q != 'e'; q++)
		if (*q != '.')
			digits[nd++] = *q;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	int exp = atoi(q + 1);
	if (neg)
		kv_buf_putc(out, '-');
	if (exp < -6 || exp >= 21) {
		kv_buf_putc(out, digits[0]);
		if (nd > 1) {
			kv_buf_putc(out, '.');
			kv_buf_add(out, digits + 1, nd - 1);
		}
		if (exp < 0) /* Go writes e-7, never e-07 */
			kv_buf_printf(out, "e-%d", -exp);
		else
			kv_buf_printf(out, "e+%02d", exp);
		return;
	}
	if (exp < 0) {
		kv_buf_puts(out, "0.");
		for (int i = -1; i > exp; i--)
			kv_buf_putc(out, '0');
		kv_buf_add(out, digits, nd);
		return;
	}
	for (int i = 0; i <= exp || (size_t)i < nd; i++) {
		if (i == exp + 1)
			kv_buf_putc(out, '.');
		kv_buf_putc(out, (size_t)i < nd ? digits[i] : '0');
	}
}

static int pair_cmp(const void *pa, const void *pb)
{
	const kv_pair *a = *(const kv_pair *const *)pa, *b = *(const kv_pair *const *)pb;
	size_t n = a->key->len < b->key->len ? a->key->len : b->key->len;
	int c = memcmp(a->key->u.s, b->key->u.s, n);
	if (c)
		return c;
	return a->key->len < b->key->len ? -1 : a->key->len > b->key->len;
}

void rn_json_go(kv_buf *out, const kv_node *v)
{
	switch (v ? v->type : KV_NULL) {
	case KV_NULL:
		kv_buf_puts(out, "null");
		return;
	case KV_BOOL:
		kv_buf_puts(out, v->u.b ? "true" : "false");
		return;
	case KV_INT:
		json_number(out, (double)v->u.i);
		return;
	case KV_DOUBLE:
		json_number(out, v->u.d);
		return;
	case KV_STRING:
		json_string(out, v->u.s, v->len);
		return;
	case KV_LIST:
		kv_buf_putc(out, '[');
		for (uint32_t i = 0; i < v->len; i++) {
			if (i)
				kv_buf_putc(out, ',');
			rn_json_go(out, v->u.items[i]);
		}
		kv_buf_putc(out, ']');
		return;
	case KV_MAP: {
		const kv_pair **pairs = kv_xcalloc(v->len ? v->len : 1, sizeof *pairs);
		for (uint32_t i = 0; i < v->len; i++)
			pairs[i] = &v->u.pairs[i];
		kv_sort(pairs, v->len, sizeof *pairs, pair_cmp);
		kv_buf_putc(out, '{');
		for (uint32_t i = 0; i < v->len; i++) {
			if (i)
				kv_buf_putc(out, ',');
			json_string(out, pairs[i]->key->u.s, pairs[i]->key->len);
			kv_buf_putc(out, ':');
			rn_json_go(out, pairs[i]->value);
		}
		kv_buf_putc(out, '}');
		free(pairs);
		return;
	}
	}
}

/* ---- kustomize's hash ---- */

/* A field as kustomize's hasher reads it: "" when absent, a scalar's text, or the JSON of a
 * map (a list reads as null: it does not decode into a map). */
static void field_json(kv_buf *out, const kv_node *v)
{
	if (!v || v->type == KV_NULL)
		json_string(out, "", 0);
	else if (v->type == KV_LIST)
		kv_buf_puts(out, "null");
	else if (v->type == KV_MAP)
		rn_json_go(out, v);
	else if (v->type == KV_STRING)
		json_string(out, v->u.s, v->len);
	else {
		kv_buf text = KV_BUF_INIT; /* a plain scalar's text: numbers and booleans as written */
		rn_json_go(&text, v);
		json_string(out, text.data, text.len);
		kv_buf_free(&text);
	}
}

static bool is_map_like(const kv_node *v)
{
	return v && (v->type == KV_MAP || v->type == KV_LIST);
}

void rn_content_hash(const kv_node *obj, char out[11])
{
	bool secret = kv_str_eq(kv_map_get(obj, "kind"), "Secret");
	const kv_node *extra = kv_map_get(obj, secret ? "stringData" : "binaryData");
	kv_buf doc = KV_BUF_INIT;
	/* encoding/json writes the keys of a map sorted */
	kv_buf_putc(&doc, '{');
	if (!secret && is_map_like(extra)) {
		kv_buf_puts(&doc, "\"binaryData\":");
		field_json(&doc, extra);
		kv_buf_putc(&doc, ',');
	}
	kv_buf_puts(&doc, "\"data\":");
	field_json(&doc, kv_map_get(obj, "data"));
	kv_buf_printf(&doc, ",\"kind\":\"%s\",\"name\":", secret ? "Secret" : "ConfigMap");
	/* kustomize looks the name up as one key "metadata/name", which no object has: the
	 * hash never depends on the name. Done the same way here, to match. */
	field_json(&doc, kv_map_get(obj, "metadata/name"));
	if (secret && is_map_like(extra)) {
		kv_buf_puts(&doc, ",\"stringData\":");
		field_json(&doc, extra);
	}
	if (secret) {
		kv_buf_puts(&doc, ",\"type\":");
		field_json(&doc, kv_map_get(obj, "type"));
	}
	kv_buf_putc(&doc, '}');
	char hex[65];
	rn_sha256_hex(doc.data, doc.len, hex);
	kv_buf_free(&doc);
	for (int i = 0; i < 10; i++) {
		char c = hex[i];
		out[i] = c == '0' ? 'g' : c == '1' ? 'h' : c == '3' ? 'k' : c == 'a' ? 'm' : c == 'e' ? 't' : c;
	}
	out[10] = '\0';
}
