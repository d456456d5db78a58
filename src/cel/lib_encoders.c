/* lib_encoders.c: the encoders extension, as cel-go's ext.Encoders defines it:
 * base64.encode(bytes) -> string and base64.decode(string) -> bytes (standard alphabet).
 *
 * decode takes padded input and, as cel-go falls back to the unpadded encoding, input with
 * no padding at all; line breaks (\r, \n) are skipped, as Go's decoder skips them. */
#include "internal.h"

#include <string.h>

#define A(i) (&c->args[i])

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* base64.encode(b): b in the standard alphabet, padded with '=' to a multiple of 4. */
static kv_cel_val fn_encode(kv_cel_call *c)
{
	const kv_cel_val *b = A(0);
	if (b->type != KV_CEL_T_BYTES)
		return kv_cel_no_overload(c);
	size_t n = b->len, out_len = (n + 2) / 3 * 4;
	if (!kv_cel_charge(c->r, out_len / 16))
		return kv_cel_budget_error(c->r, c->pos);
	char *out = kv_cel_alloc(c->r, out_len);
	const unsigned char *s = (const unsigned char *)b->u.s;
	for (size_t i = 0, o = 0; i < n; i += 3, o += 4) {
		uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0) |
			     (i + 2 < n ? s[i + 2] : 0);
		out[o] = alphabet[v >> 18];
		out[o + 1] = alphabet[v >> 12 & 63];
		out[o + 2] = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
		out[o + 3] = i + 2 < n ? alphabet[v & 63] : '=';
	}
	return kv_cel_string(out, out_len);
}

static int sextet(unsigned char ch)
{
	const char *p = ch ? strchr(alphabet, ch) : NULL;
	return p ? (int)(p - alphabet) : -1;
}

/* Decoding state: bits gathered but not yet written, and where the text stands. */
typedef struct {
	unsigned char *out;
	size_t n;       /* bytes written */
	uint32_t acc;   /* pending bits */
	unsigned bits;  /* how many */
	size_t chars;   /* alphabet characters read */
	size_t pad;     /* '=' read */
} decoder;

static void take(decoder *d, int v)
{
	d->acc = d->acc << 6 | (uint32_t)v;
	d->bits += 6;
	d->chars++;
	if (d->bits >= 8) {
		d->bits -= 8;
		d->out[d->n++] = (unsigned char)(d->acc >> d->bits);
		d->acc &= (1u << d->bits) - 1;
	}
}

/* Reads s[0..len); returns SIZE_MAX when it is valid, len when its last group is incomplete,
 * else the offset of the first byte that makes it invalid. A
 * group of 4 may end early only at the end of the text, padded ("xx==", "xxx=") or not
 * ("xx", "xxx"); one character alone cannot end a group. Bits left over in the last
 * character are ignored, as Go's (non-strict) decoder ignores them. */
static size_t decode(decoder *d, const char *s, size_t len)
{
	size_t i = 0;
	for (; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '\r' || ch == '\n')
			continue;
		int v = sextet(ch);
		if (ch == '=' && d->chars % 4 >= 2 && d->chars % 4 + d->pad < 4)
			d->pad++;
		else if (v < 0 || d->pad)
			return i;
		else
			take(d, v);
	}
	size_t rem = d->chars % 4;
	if (rem == 1 || (d->pad && rem + d->pad != 4))
		return len;
	return SIZE_MAX;
}

/* base64.decode(s): the bytes s encodes; an error for anything but base64 text. */
static kv_cel_val fn_decode(kv_cel_call *c)
{
	const kv_cel_val *s = A(0);
	if (s->type != KV_CEL_T_STRING)
		return kv_cel_no_overload(c);
	if (!kv_cel_charge(c->r, s->len / 16))
		return kv_cel_budget_error(c->r, c->pos);
	decoder d = {.out = kv_cel_alloc(c->r, s->len / 4 * 3 + 3)};
	size_t bad = decode(&d, s->u.s, s->len);
	if (bad == s->len)
		return kv_cel_errorf(c->r, KV_CEL_E_INVALID_ARG, c->pos,
				    "base64.decode: illegal base64 data at the end of the input: the last group "
				    "of four characters is incomplete (the text has %zu character%s and %zu '=')",
				    d.chars, d.chars == 1 ? "" : "s", d.pad);
	if (bad != SIZE_MAX)
		return kv_cel_errorf(c->r, KV_CEL_E_INVALID_ARG, c->pos,
				    "base64.decode: illegal base64 data at input byte %zu", bad);
	return kv_cel_bytes((const char *)d.out, d.n);
}

const kv_cel_fn kv_cel_lib_encoders[] = {
	{"base64.encode", KV_CEL_FN_GLOBAL, 1, 1, KV_CEL_T_ANY, fn_encode, NULL, NULL},
	{"base64.decode", KV_CEL_FN_GLOBAL, 1, 1, KV_CEL_T_ANY, fn_decode, NULL, NULL},
	{NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
