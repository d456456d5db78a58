/* lib_k8s_quantity.c: Kubernetes quantities (apimachinery's resource.Quantity) for CEL: parsing,
 * exact decimal arithmetic, comparison and the canonical text Kubernetes prints. */
#include "k8s.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define A(i) (&c->args[i])

enum { F_DEC_EXP, F_BIN_SI, F_DEC_SI };

#define BASE 1000000000u
#define MAXL 112     /* storage, in limbs of 9 digits */
#define CAPL 110     /* what arithmetic may fill; the canonical text may add two digits */
#define MAX_DIGITS 990

static const uint32_t pow10u32[10] = {1,      10,      100,      1000,      10000,
				      100000, 1000000, 10000000, 100000000, 1000000000};

/* A magnitude in base 10^9, least significant limb first; n == 0 is zero. */
typedef struct {
	uint32_t n;
	uint32_t d[MAXL];
} mag;

/* ±m × 10^-scale: inf.Dec's form, also used for every exact computation. */
typedef struct {
	bool neg;
	int64_t scale;
	mag m;
} dec;

/* A quantity keeps apimachinery's two representations, because isInteger, asInteger and
 * asApproximateFloat answer from the representation, not the value: an int64Amount (value ×
 * 10^scale) from the fast parse and from int arithmetic that fits, or an inf.Dec (unscaled ×
 * 10^-scale, arbitrary precision) otherwise. Here the inf.Dec's unscaled part has at most
 * CAPL limbs; a result that needs more (Kubernetes would go on, slowly) is an error, so
 * hostile exponents cannot make work or memory grow. */
typedef struct {
	kv_cel_obj base;
	uint8_t format;
	bool big;            /* inf.Dec (neg, limbs, dscale) rather than int64Amount */
	bool neg;
	int32_t scale;       /* int64Amount: value × 10^scale */
	int64_t value;
	int64_t dscale;      /* inf.Dec: limbs × 10^-dscale */
	uint32_t nlimbs;
	const uint32_t *limbs;
	const char *text;    /* the parsed text, which Kubernetes keeps when it is canonical */
	uint32_t textlen;
} quantity;

static const char ERR_FORMAT[] = "quantities must match the regular expression "
				 "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
static const char ERR_NUMERIC[] = "unable to parse numeric part of quantity";
static const char ERR_SUFFIX[] = "unable to parse quantity's suffix";
static const char ERR_DIGITS[] = "the quantity needs more than 990 digits, which kvet does not compute";

/* ---- magnitudes ---- */

static void mag_trim(mag *a)
{
	while (a->n && !a->d[a->n - 1])
		a->n--;
}

static void mag_from_u64(mag *a, uint64_t v)
{
	a->n = 0;
	for (; v; v /= BASE)
		a->d[a->n++] = (uint32_t)(v % BASE);
}

static int mag_cmp(const mag *a, const mag *b)
{
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	for (uint32_t i = a->n; i-- > 0;)
		if (a->d[i] != b->d[i])
			return a->d[i] < b->d[i] ? -1 : 1;
	return 0;
}

static uint64_t mag_digits(const mag *a)
{
	if (!a->n)
		return 0;
	uint64_t top = 1;
	while (top < 10 && a->d[a->n - 1] >= pow10u32[top])
		top++;
	return (uint64_t)(a->n - 1) * 9 + top;
}

/* r = a + b; r may be a. False when the sum needs more than CAPL limbs. */
static bool mag_add(mag *r, const mag *a, const mag *b)
{
	uint32_t n = a->n > b->n ? a->n : b->n, carry = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t s = (i < a->n ? a->d[i] : 0) + (i < b->n ? b->d[i] : 0) + carry;
		carry = s >= BASE;
		r->d[i] = carry ? s - BASE : s;
	}
	if (carry) {
		if (n >= CAPL)
			return false;
		r->d[n++] = 1;
	}
	r->n = n;
	return true;
}

/* r = a - b for a >= b; r may be a. */
static void mag_sub(mag *r, const mag *a, const mag *b)
{
	int64_t borrow = 0;
	for (uint32_t i = 0; i < a->n; i++) {
		int64_t s = (int64_t)a->d[i] - (i < b->n ? b->d[i] : 0) - borrow;
		borrow = s < 0;
		r->d[i] = (uint32_t)(s < 0 ? s + BASE : s);
	}
	r->n = a->n;
	mag_trim(r);
}

/* a *= m for m <= 2^32 - 1; false when the product needs more than limit limbs. */
static bool mag_mul_small(mag *a, uint32_t m, uint32_t limit)
{
	uint64_t carry = 0;
	for (uint32_t i = 0; i < a->n; i++) {
		uint64_t p = (uint64_t)a->d[i] * m + carry;
		a->d[i] = (uint32_t)(p % BASE);
		carry = p / BASE;
	}
	for (; carry; carry /= BASE) {
		if (a->n >= limit)
			return false;
		a->d[a->n++] = (uint32_t)(carry % BASE);
	}
	return true;
}

/* a /= m for 0 < m <= BASE; returns the remainder. */
static uint32_t mag_div_small(mag *a, uint32_t m)
{
	uint64_t rem = 0;
	for (uint32_t i = a->n; i-- > 0;) {
		uint64_t cur = rem * BASE + a->d[i];
		a->d[i] = (uint32_t)(cur / m);
		rem = cur % m;
	}
	mag_trim(a);
	return (uint32_t)rem;
}

/* a *= 10^k; false past CAPL limbs. */
static bool mag_shift10(mag *a, uint64_t k)
{
	if (!a->n || !k)
		return true;
	uint64_t limbs = k / 9;
	if (limbs >= CAPL || a->n + limbs > CAPL)
		return false;
	memmove(a->d + limbs, a->d, a->n * sizeof a->d[0]);
	memset(a->d, 0, (size_t)limbs * sizeof a->d[0]);
	a->n += (uint32_t)limbs;
	return mag_mul_small(a, pow10u32[k % 9], CAPL);
}

/* a = a / 10^k rounded away from zero (inf.RoundUp on a magnitude). */
static void mag_div10_up(mag *a, uint64_t k)
{
	if (!a->n || !k)
		return;
	bool inexact = false;
	uint64_t limbs = k / 9;
	if (limbs >= a->n) {
		a->n = 0;
		inexact = true;
	} else {
		for (uint64_t i = 0; i < limbs; i++)
			inexact |= a->d[i] != 0;
		memmove(a->d, a->d + limbs, (a->n - limbs) * sizeof a->d[0]);
		a->n -= (uint32_t)limbs;
		inexact |= mag_div_small(a, pow10u32[k % 9]) != 0;
	}
	if (inexact) {
		mag one = {.n = 1, .d = {1}};
		mag_add(a, a, &one);
	}
}

/* Decimal digits (no sign, no point) into a; false past MAX_DIGITS significant digits. */
static bool mag_from_digits(mag *a, const char *s, size_t n)
{
	while (n && *s == '0')
		s++, n--;
	if (n > MAX_DIGITS)
		return false;
	a->n = 0;
	for (size_t end = n; end > 0;) {
		size_t start = end > 9 ? end - 9 : 0;
		uint32_t limb = 0;
		for (size_t i = start; i < end; i++)
			limb = limb * 10 + (uint32_t)(s[i] - '0');
		a->d[a->n++] = limb;
		end = start;
	}
	mag_trim(a);
	return true;
}

static void mag_text(kv_buf *out, const mag *a)
{
	if (!a->n) {
		kv_buf_putc(out, '0');
		return;
	}
	kv_buf_printf(out, "%u", a->d[a->n - 1]);
	for (uint32_t i = a->n - 1; i-- > 0;)
		kv_buf_printf(out, "%09u", a->d[i]);
}

/* ---- exact decimals ---- */

static void dec_of(const quantity *q, dec *d)
{
	if (q->big) {
		d->neg = q->neg;
		d->scale = q->dscale;
		d->m.n = q->nlimbs;
		memcpy(d->m.d, q->limbs, q->nlimbs * sizeof q->limbs[0]);
		return;
	}
	d->neg = q->value < 0;
	d->scale = -(int64_t)q->scale;
	mag_from_u64(&d->m, q->value < 0 ? 0 - (uint64_t)q->value : (uint64_t)q->value);
}

static int dec_sign(const dec *d)
{
	return !d->m.n ? 0 : d->neg ? -1 : 1;
}

/* The power of ten just above the magnitude: comparing it settles most comparisons without
 * aligning scales that may be far apart. */
static int64_t dec_order(const dec *d)
{
	return (int64_t)mag_digits(&d->m) - d->scale;
}

/* Exact three-way comparison. Equal orders keep the alignment within the digits at hand. */
static int dec_cmp(const dec *a, const dec *b)
{
	int sa = dec_sign(a), sb = dec_sign(b);
	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (!sa)
		return 0;
	int64_t oa = dec_order(a), ob = dec_order(b);
	if (oa != ob)
		return oa < ob ? -sa : sa;
	dec x = *a, y = *b;
	if (x.scale < y.scale)
		mag_shift10(&x.m, (uint64_t)(y.scale - x.scale));
	else
		mag_shift10(&y.m, (uint64_t)(x.scale - y.scale));
	return mag_cmp(&x.m, &y.m) * sa;
}

/* r = a + b with inf.Dec's rule: the result has the larger scale. False past CAPL limbs. */
static bool dec_add(dec *r, const dec *a, const dec *b)
{
	dec x = *a, y = *b;
	if (x.scale < y.scale && !mag_shift10(&x.m, (uint64_t)(y.scale - x.scale)))
		return false;
	if (y.scale < x.scale && !mag_shift10(&y.m, (uint64_t)(x.scale - y.scale)))
		return false;
	r->scale = x.scale > y.scale ? x.scale : y.scale;
	if (x.neg == y.neg) {
		r->neg = x.neg;
		return mag_add(&r->m, &x.m, &y.m);
	}
	bool x_big = mag_cmp(&x.m, &y.m) >= 0;
	mag_sub(&r->m, x_big ? &x.m : &y.m, x_big ? &y.m : &x.m);
	r->neg = r->m.n && (x_big ? x.neg : y.neg);
	return true;
}

/* Whether the value is a whole number (inf.Dec's Round to scale 0 loses nothing). */
static bool dec_is_integer(const dec *d)
{
	if (d->scale <= 0)
		return true;
	mag m = d->m;
	mag_div10_up(&m, (uint64_t)d->scale);
	/* A whole value has at least scale digits, so only a fraction fails to shift back. */
	return mag_shift10(&m, (uint64_t)d->scale) && mag_cmp(&m, &d->m) == 0;
}

/* ---- quantities ---- */

static bool q_equal(const void *a, const void *b);
static void q_text(kv_buf *out, const void *obj);

static const kv_cel_objops quantity_ops = {q_equal, q_text, "quantity"};

static quantity *q_new(kv_cel_run *r, uint8_t format)
{
	quantity *q = kv_cel_alloc(r, sizeof *q);
	memset(q, 0, sizeof *q);
	q->base.ops = &quantity_ops;
	q->format = format;
	return q;
}

static quantity *q_small(kv_cel_run *r, uint8_t format, int64_t value, int32_t scale)
{
	quantity *q = q_new(r, format);
	q->value = value;
	q->scale = scale;
	return q;
}

static quantity *q_big(kv_cel_run *r, uint8_t format, const dec *d)
{
	quantity *q = q_new(r, format);
	uint32_t *limbs = kv_cel_alloc(r, (d->m.n ? d->m.n : 1) * sizeof *limbs);
	memcpy(limbs, d->m.d, d->m.n * sizeof *limbs);
	q->big = true;
	q->neg = d->neg && d->m.n;
	q->dscale = d->scale;
	q->nlimbs = d->m.n;
	q->limbs = limbs;
	return q;
}

static bool q_equal(const void *a, const void *b)
{
	dec x, y;
	dec_of(a, &x);
	dec_of(b, &y);
	return dec_cmp(&x, &y) == 0;
}

/* ---- parsing (apimachinery's ParseQuantity, step for step) ---- */

typedef struct {
	bool positive;
	const char *value, *num, *denom, *suffix;
	size_t vlen, nlen, dlen, slen;
} qparts;

static size_t digits_end(const char *s, size_t i, size_t n)
{
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

/* The numeric part: numerator and optional '.' with denominator; returns where it ends. */
static size_t scan_number(const char *s, size_t pos, size_t n, qparts *p)
{
	size_t end = digits_end(s, pos, n);
	if (end > pos) {
		p->num = s + pos;
		p->nlen = end - pos;
	}
	if ((pos = end) < n && s[pos] == '.') {
		end = digits_end(s, pos + 1, n);
		p->denom = s + pos + 1;
		p->dlen = end - pos - 1;
		pos = end;
	}
	p->value = s;
	p->vlen = pos;
	return pos;
}

/* parseQuantityString: sign, leading zeros, the number, then a suffix of [eEinumkKMGTP]*
 * with an optional signed number. All zeros read as "0". */
static bool scan_quantity(const char *s, size_t n, qparts *p)
{
	*p = (qparts){.positive = true, .value = "0", .vlen = 1, .num = "0", .nlen = 1,
		      .denom = "", .suffix = ""};
	size_t pos = 0;
	if (n && (s[0] == '-' || s[0] == '+'))
		p->positive = s[pos++] != '-';
	while (pos < n && s[pos] == '0')
		pos++;
	if (pos == n)
		return true;
	size_t start = pos = scan_number(s, pos, n, p);
	while (pos < n && memchr("eEinumkKMGTP", s[pos], 12))
		pos++;
	if (pos < n && (s[pos] == '-' || s[pos] == '+'))
		pos++;
	if (digits_end(s, pos, n) < n)
		return false;
	p->suffix = s + start;
	p->slen = n - start;
	return true;
}

/* Go's strconv.ParseInt(s, 10, 64). */
static bool go_parse_int(const char *s, size_t n, int64_t *out)
{
	bool neg = n && s[0] == '-';
	size_t i = n && (s[0] == '-' || s[0] == '+');
	if (i == n)
		return false;
	uint64_t v = 0;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (uint64_t)INT64_MAX + neg)
		return false;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

typedef struct {
	int base;
	int32_t exp;
	uint8_t format;
} qsuffix;

/* The suffix tables, then e<int> or E<int> (the exponent truncated to int32, as in Go). */
static bool interpret_suffix(const char *s, size_t n, qsuffix *out)
{
	static const struct {
		char s[3];
		int8_t base, exp;
	} table[] = {{"", 10, 0},  {"n", 10, -9}, {"u", 10, -6}, {"m", 10, -3}, {"k", 10, 3},
		     {"M", 10, 6}, {"G", 10, 9},  {"T", 10, 12}, {"P", 10, 15}, {"E", 10, 18},
		     {"Ki", 2, 10}, {"Mi", 2, 20}, {"Gi", 2, 30}, {"Ti", 2, 40}, {"Pi", 2, 50},
		     {"Ei", 2, 60}};
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (strlen(table[i].s) == n && memcmp(table[i].s, s, n) == 0) {
			*out = (qsuffix){table[i].base, table[i].exp, table[i].base == 2 ? F_BIN_SI : F_DEC_SI};
			return true;
		}
	int64_t e;
	if (n < 2 || (s[0] != 'e' && s[0] != 'E') || !go_parse_int(s + 1, n - 1, &e))
		return false;
	*out = (qsuffix){10, (int32_t)(uint32_t)(uint64_t)e, F_DEC_EXP};
	return true;
}

/* Whether Kubernetes keeps the parsed text as the quantity's string (it is canonical). */
static bool keeps_text(const qparts *p, const qsuffix *sf, int64_t digits, int32_t scale)
{
	if (sf->format == F_BIN_SI)
		return sf->exp % 10 == 0 && (digits & 7) != 0;
	char tail[3];
	size_t have = 0;
	for (size_t i = p->dlen; i-- > 0 && have < 3;)
		tail[2 - have++] = p->denom[i];
	for (size_t i = p->nlen; i-- > 0 && have < 3;)
		tail[2 - have++] = p->num[i];
	bool zeros = have == 3 && memcmp(tail, "000", 3) == 0;
	return scale % 3 == 0 && !zeros && p->num[0] != '0';
}

/* How many decimal digits the int64 fast path has to spare (negative: none), and the
 * factor a binary suffix multiplies by. */
static int64_t fast_precision(const qparts *p, const qsuffix *sf, int64_t *mantissa)
{
	*mantissa = 1;
	if (sf->format != F_BIN_SI)
		return 18 - (int64_t)(p->nlen + p->dlen);
	if (p->dlen)
		return -1;
	*mantissa = (int64_t)1 << sf->exp;
	return 15 - (int64_t)p->nlen - sf->exp * 3 / 10 - 1;
}

/* The int64Amount fast path: few enough digits and a scale no finer than nano. NULL when
 * the value needs an inf.Dec. */
static quantity *parse_fast(kv_cel_run *r, const char *s, size_t n, const qparts *p, const qsuffix *sf)
{
	int64_t mantissa, digits = 0, result;
	if (fast_precision(p, sf, &mantissa) < 0)
		return NULL;
	int32_t exp = sf->format == F_BIN_SI ? 0 : sf->exp;
	int32_t scale = (int32_t)((uint32_t)exp - (uint32_t)p->dlen);
	if (scale < -9)
		return NULL;
	for (size_t i = 0; i < p->nlen + p->dlen; i++)
		digits = digits * 10 + ((i < p->nlen ? p->num[i] : p->denom[i - p->nlen]) - '0');
	if (__builtin_mul_overflow(digits, mantissa, &result))
		return NULL;
	quantity *q = q_small(r, sf->format, p->positive ? result : -result, scale);
	if (keeps_text(p, sf, digits, scale)) {
		q->text = s;
		q->textlen = (uint32_t)n;
	}
	return q;
}

/* The digits of the numeric part without sign or point, into buf (sized by the caller). */
static size_t value_digits(const qparts *p, char *buf, size_t *frac)
{
	size_t n = 0;
	bool after = false;
	*frac = 0;
	for (size_t i = 0; i < p->vlen; i++) {
		char ch = p->value[i];
		if (ch == '.')
			after = true;
		if (ch >= '0' && ch <= '9') {
			buf[n++] = ch;
			*frac += after;
		}
	}
	return n;
}

/* ceil(G × 10^k) for the digit string G: exact when k >= 0, else the dropped digits round
 * the kept ones up. */
static bool round_digits(mag *m, const char *g, size_t n, int64_t k)
{
	if (k >= 0) {
		while (n && *g == '0')
			g++, n--;
		if ((uint64_t)k > MAX_DIGITS || n + (uint64_t)k > MAX_DIGITS)
			return false;
		return mag_from_digits(m, g, n) && mag_shift10(m, (uint64_t)k);
	}
	size_t drop = (uint64_t)-k >= n ? n : (size_t)-k;
	bool sticky = false;
	for (size_t i = n - drop; i < n; i++)
		sticky |= g[i] != '0';
	if (!mag_from_digits(m, g, n - drop))
		return false;
	if (sticky) {
		mag one = {.n = 1, .d = {1}};
		mag_add(m, m, &one);
	}
	return true;
}

/* Base 2: G × 2^exp at scale frac, then rounded up to scale 9; capped at 2^63-1. */
static bool binary_amount(dec *d, const char *g, size_t n, size_t frac, int exp, uint8_t *format)
{
	if (!mag_from_digits(&d->m, g, n))
		return false;
	for (int e = exp; e > 0; e -= 30)
		if (!mag_mul_small(&d->m, 1u << (e > 30 ? 30 : e), CAPL))
			return false;
	d->scale = (int64_t)frac;
	if (!d->m.n)
		return true;
	if (frac <= 9 && !mag_shift10(&d->m, 9 - frac))
		return false;
	if (frac > 9)
		mag_div10_up(&d->m, frac - 9);
	d->scale = 9;
	dec max = {.scale = 0}, one = {.scale = 0};
	mag_from_u64(&max.m, INT64_MAX);
	mag_from_u64(&one.m, 1);
	if (dec_cmp(d, &max) > 0)
		d->m = max.m, d->scale = 0;
	if (dec_cmp(d, &one) < 0)
		*format = F_DEC_SI;
	return true;
}

/* The inf.Dec path: the exact value rounded up (away from zero) to nano, or an error. */
static const char *parse_slow(kv_cel_run *r, const qparts *p, const qsuffix *sf, quantity **out)
{
	char *g = kv_cel_alloc(r, p->vlen);
	size_t frac, n = value_digits(p, g, &frac);
	if (!n)
		return ERR_NUMERIC;
	dec d = {.neg = false};
	uint8_t format = sf->format;
	if (sf->base == 2) {
		if (!binary_amount(&d, g, n, frac, sf->exp, &format))
			return ERR_DIGITS;
	} else {
		/* inf.Dec's scale is an int32 and wraps, as in Go; zero is not rounded. */
		d.scale = (int32_t)((uint32_t)frac - (uint32_t)sf->exp);
		size_t lead = 0;
		while (lead < n && g[lead] == '0')
			lead++;
		if (lead < n && !round_digits(&d.m, g, n, 9 - d.scale))
			return ERR_DIGITS;
		if (lead < n)
			d.scale = 9;
	}
	d.neg = !p->positive;
	*out = q_big(r, format, &d);
	return NULL;
}

static const char *parse_quantity(kv_cel_run *r, const char *s, size_t n, quantity **out)
{
	if (n == 0)
		return ERR_FORMAT;
	if (n == 1 && s[0] == '0') {
		*out = q_small(r, F_DEC_SI, 0, 0);
		return NULL;
	}
	qparts p;
	qsuffix sf;
	if (!scan_quantity(s, n, &p))
		return ERR_FORMAT;
	if (!interpret_suffix(p.suffix, p.slen, &sf))
		return ERR_SUFFIX;
	if ((*out = parse_fast(r, s, n, &p, &sf)))
		return NULL;
	return parse_slow(r, &p, &sf, out);
}

/* ---- the canonical text (CanonicalizeBytes) ---- */

/* Moves factors of ten into the exponent, then lowers the exponent to a multiple of three. */
static void canonical_decimal(mag *m, int64_t *e)
{
	while (m->n && !m->d[0]) {
		memmove(m->d, m->d + 1, (m->n - 1) * sizeof m->d[0]);
		m->n--;
		*e += 9;
	}
	while (m->n && m->d[0] % 10 == 0) {
		mag_div_small(m, 10);
		++*e;
	}
	while (*e % 3 != 0) {
		mag_mul_small(m, 10, MAXL);
		--*e;
	}
}

static void decimal_text(kv_buf *out, const dec *d, uint8_t format)
{
	static const char *const si[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
	mag m = d->m;
	int64_t e = -d->scale;
	canonical_decimal(&m, &e);
	if (d->neg)
		kv_buf_putc(out, '-');
	mag_text(out, &m);
	/* Past the largest suffix (E) the exponent form is used, as Kubernetes does since it
	 * stopped printing such values without a suffix (kubernetes#140459). */
	if (format == F_DEC_SI && e >= -9 && e <= 18)
		kv_buf_puts(out, si[(e + 9) / 3]);
	else if (e != 0)
		kv_buf_printf(out, "e%lld", (long long)e);
}

/* A whole value as a multiple of the largest power of 1024 that divides it. False when the
 * value is too large to write out. */
static bool binary_text(kv_buf *out, const dec *d)
{
	static const char *const bin[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
	mag m = d->m;
	if (d->scale < 0 && !mag_shift10(&m, (uint64_t)-d->scale))
		return false;
	if (d->scale > 0)
		mag_div10_up(&m, (uint64_t)d->scale);
	/* Ei is the largest suffix: a larger power of 1024 stays in the number. */
	unsigned times = 0;
	for (mag t = m; times < 6 && t.n && mag_div_small(&t, 1024) == 0; times++)
		m = t;
	if (d->neg)
		kv_buf_putc(out, '-');
	mag_text(out, &m);
	kv_buf_puts(out, bin[times]);
	return true;
}

static void q_text(kv_buf *out, const void *obj)
{
	const quantity *q = obj;
	if (q->text) {
		kv_buf_add(out, q->text, q->textlen);
		return;
	}
	dec d;
	dec_of(q, &d);
	if (!d.m.n) {
		kv_buf_putc(out, '0');
		return;
	}
	uint8_t format = q->format;
	if (format == F_BIN_SI) {
		/* Values under 1024 in magnitude, and fractions, print as decimal SI. */
		dec k = {.scale = 0};
		mag_from_u64(&k.m, 1024);
		dec abs = d;
		abs.neg = false;
		if (dec_cmp(&abs, &k) < 0 || !dec_is_integer(&d))
			format = F_DEC_SI;
	}
	if (format != F_BIN_SI || !binary_text(out, &d))
		decimal_text(out, &d, format == F_BIN_SI ? F_DEC_SI : format);
}

/* ---- arithmetic ---- */

/* base × 10^k with overflow detection (positiveScaleInt64). */
static bool scale_up(int64_t *v, int64_t k)
{
	for (int64_t i = 0; i < k && *v; i++)
		if (i >= 19 || __builtin_mul_overflow(*v, 10, v))
			return false;
	return true;
}

/* int64Amount.Add: false (nothing changed) when the sum does not fit. */
static bool small_add(quantity *a, int64_t bv, int32_t bs)
{
	if (bv == 0)
		return true;
	if (a->value == 0) {
		a->value = bv;
		a->scale = bs;
		return true;
	}
	int64_t x = a->value, y = bv, s;
	if (a->scale > bs && !scale_up(&x, (int64_t)a->scale - bs))
		return false;
	if (bs > a->scale && !scale_up(&y, (int64_t)bs - a->scale))
		return false;
	if (__builtin_add_overflow(x, y, &s))
		return false;
	a->value = s;
	a->scale = a->scale < bs ? a->scale : bs;
	return true;
}

static bool q_is_zero(const quantity *q)
{
	return q->big ? q->nlimbs == 0 : q->value == 0;
}

/* Quantity.Add and Quantity.Sub: a zero receiver takes the operand's format; int64Amounts
 * stay so while the result fits, else both become inf.Decs. */
static kv_cel_val q_add(kv_cel_call *c, const quantity *a, const quantity *b, bool sub)
{
	quantity *q = q_new(c->r, q_is_zero(a) ? b->format : a->format);
	if (!a->big && !b->big && !(sub && b->value == INT64_MIN)) {
		q->value = a->value;
		q->scale = a->scale;
		if (small_add(q, sub ? -b->value : b->value, b->scale))
			return kv_cel_object(KV_CEL_T_QUANTITY, &q->base);
	}
	dec x, y, z;
	dec_of(a, &x);
	dec_of(b, &y);
	y.neg = sub ? !y.neg : y.neg;
	if (!dec_add(&z, &x, &y))
		return kv_cel_errorf(c->r, KV_CEL_E_OVERFLOW, c->pos, "%s", ERR_DIGITS);
	quantity *big = q_big(c->r, q->format, &z);
	return kv_cel_object(KV_CEL_T_QUANTITY, &big->base);
}

/* ---- the CEL functions ---- */

static bool charge_q(kv_cel_call *c, const quantity *q)
{
	return kv_cel_charge(c->r, 1 + (q->big ? q->nlimbs / 8 : 0));
}

/* Parses the string argument into *q; false with the error (a bad quantity, or the budget
 * spent) in *err. */
static bool parse_arg(kv_cel_call *c, quantity **q, kv_cel_val *err)
{
	if (!kv_cel_charge(c->r, A(0)->len / 16 + 1)) {
		*err = kv_cel_budget_error(c->r, c->pos);
		return false;
	}
	const char *why = parse_quantity(c->r, A(0)->u.s, A(0)->len, q);
	if (why)
		*err = kv_cel_errorf(c->r, KV_CEL_E_INVALID_ARG, c->pos, "%s", why);
	return !why;
}

kv_cel_val kv_k8s_quantity(kv_cel_call *c)
{
	quantity *q;
	kv_cel_val err;
	return parse_arg(c, &q, &err) ? kv_cel_object(KV_CEL_T_QUANTITY, &q->base) : err;
}

kv_cel_val kv_k8s_is_quantity(kv_cel_call *c)
{
	quantity *q;
	kv_cel_val err;
	if (parse_arg(c, &q, &err))
		return kv_cel_bool(true);
	return err.u.err->code == KV_CEL_E_BUDGET ? err : kv_cel_bool(false);
}

kv_cel_val kv_k8s_q_sign(kv_cel_call *c)
{
	const quantity *q = A(0)->u.obj;
	if (q->big)
		return kv_cel_int(!q->nlimbs ? 0 : q->neg ? -1 : 1);
	return kv_cel_int((q->value > 0) - (q->value < 0));
}

/* Quantity.AsInt64: only an int64Amount at a non-negative scale that fits answers. */
static bool as_int64(const quantity *q, int64_t *v)
{
	if (q->big || q->scale < 0)
		return false;
	*v = q->value;
	return scale_up(v, q->scale);
}

kv_cel_val kv_k8s_q_is_integer(kv_cel_call *c)
{
	int64_t v;
	return kv_cel_bool(as_int64(A(0)->u.obj, &v));
}

kv_cel_val kv_k8s_q_as_integer(kv_cel_call *c)
{
	int64_t v;
	if (!as_int64(A(0)->u.obj, &v))
		return kv_cel_errorf(c->r, KV_CEL_E_RANGE, c->pos, "cannot convert value to integer");
	return kv_cel_int(v);
}

/* Go's math.Pow10, with its tables, so products round as they do there. */
static double go_pow10(int64_t n)
{
	static const double tab[32] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
				       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
				       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23,
				       1e24, 1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31};
	static const double pos32[10] = {1e0,   1e32,  1e64,  1e96,  1e128,
					 1e160, 1e192, 1e224, 1e256, 1e288};
	static const double neg32[11] = {1e-0,   1e-32,  1e-64,  1e-96,  1e-128, 1e-160,
					 1e-192, 1e-224, 1e-256, 1e-288, 1e-320};
	if (n >= 0 && n <= 308)
		return pos32[n / 32] * tab[n % 32];
	if (n < 0 && n >= -323)
		return neg32[-n / 32] / tab[-n % 32];
	return n > 0 ? INFINITY : 0;
}

/* AsApproximateFloat64: the unscaled part as the nearest double, times Pow10(exponent). */
kv_cel_val kv_k8s_q_as_float(kv_cel_call *c)
{
	const quantity *q = A(0)->u.obj;
	if (!charge_q(c, q))
		return kv_cel_budget_error(c->r, c->pos);
	double base;
	int64_t exponent;
	if (q->big) {
		dec d;
		dec_of(q, &d);
		kv_buf b = KV_BUF_INIT;
		mag_text(&b, &d.m);
		base = strtod(kv_buf_cstr(&b), NULL) * (q->neg ? -1 : 1);
		kv_buf_free(&b);
		exponent = -q->dscale;
	} else {
		base = (double)q->value;
		exponent = q->scale;
	}
	return kv_cel_double(exponent == 0 ? base : base * go_pow10(exponent));
}

/* The operand of add and sub: a quantity, or an int as NewQuantity(v, DecimalExponent). */
static const quantity *operand(kv_cel_call *c)
{
	if (A(1)->type == KV_CEL_T_QUANTITY)
		return A(1)->u.obj;
	if (A(1)->type == KV_CEL_T_INT)
		return q_small(c->r, F_DEC_EXP, A(1)->u.i, 0);
	return NULL;
}

static kv_cel_val add_or_sub(kv_cel_call *c, bool sub)
{
	const quantity *b = operand(c);
	if (!b)
		return kv_cel_no_overload(c);
	if (!charge_q(c, A(0)->u.obj) || !charge_q(c, b))
		return kv_cel_budget_error(c->r, c->pos);
	return q_add(c, A(0)->u.obj, b, sub);
}

kv_cel_val kv_k8s_q_add(kv_cel_call *c)
{
	return add_or_sub(c, false);
}

kv_cel_val kv_k8s_q_sub(kv_cel_call *c)
{
	return add_or_sub(c, true);
}

/* Quantity.Cmp of the receiver and a quantity operand; 2 when the operand is not one. */
static int compare_args(kv_cel_call *c)
{
	if (A(1)->type != KV_CEL_T_QUANTITY)
		return 2;
	charge_q(c, A(0)->u.obj);
	dec x, y;
	dec_of(A(0)->u.obj, &x);
	dec_of(A(1)->u.obj, &y);
	return dec_cmp(&x, &y);
}

kv_cel_val kv_k8s_q_compare_to(kv_cel_call *c)
{
	int r = compare_args(c);
	return r == 2 ? kv_cel_no_overload(c) : kv_cel_int(r);
}

kv_cel_val kv_k8s_q_is_less(kv_cel_call *c)
{
	int r = compare_args(c);
	return r == 2 ? kv_cel_no_overload(c) : kv_cel_bool(r < 0);
}

kv_cel_val kv_k8s_q_is_greater(kv_cel_call *c)
{
	int r = compare_args(c);
	return r == 2 ? kv_cel_no_overload(c) : kv_cel_bool(r > 0);
}
