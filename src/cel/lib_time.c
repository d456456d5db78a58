/* lib_time.c: durations and timestamps: duration(), timestamp() and the getters (getHours...)
 * in UTC, at a fixed offset or in an IANA zone read from the system's tz database (TZif, RFC
 * 8536). Behaviour follows cel-go, so Go's time package: ParseDuration, Parse, LoadLocation. */
#include "internal.h"

#include "kvet/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define A(i) (&c->args[i])

#define NANOS 1000000000LL
#define DAY 86400

/* Error messages quote at most this many bytes of a hostile argument. */
#define QUOTE_MAX 64

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* The length of s[0..n) cut to QUOTE_MAX bytes at a code point boundary. */
static int clip(const char *s, size_t n)
{
	if (n <= QUOTE_MAX)
		return (int)n;
	n = QUOTE_MAX;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return (int)n;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

static bool is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static unsigned days_in_month(unsigned m, int64_t y)
{
	static const unsigned char days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* ---- duration(string): Go's time.ParseDuration ---------------------------------------- */

/* The reason that makes a range error rather than a syntax error. */
static const char out_of_range[] = "out of range";

/* Nanoseconds per unit; "µs" is U+00B5 (micro sign) and "μs" U+03BC (Greek mu), as in Go. */
static uint64_t unit_nanos(const char *u, size_t n)
{
	static const struct {
		const char *name;
		uint64_t nanos;
	} units[] = {
		{"ns", 1},
		{"us", 1000},
		{"\xC2\xB5s", 1000},
		{"\xCE\xBCs", 1000},
		{"ms", 1000000},
		{"s", NANOS},
		{"m", 60 * NANOS},
		{"h", 3600 * NANOS},
	};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strlen(units[i].name) == n && memcmp(units[i].name, u, n) == 0)
			return units[i].nanos;
	return 0;
}

/* Go's leadingInt: digits from s[*i], false past 2^63. */
static bool leading_int(const char *s, size_t n, size_t *i, uint64_t *out)
{
	uint64_t x = 0;
	for (; *i < n && is_digit(s[*i]); (*i)++) {
		if (x > (1ULL << 63) / 10)
			return false;
		x = x * 10 + (uint64_t)(s[*i] - '0');
		if (x > 1ULL << 63)
			return false;
	}
	*out = x;
	return true;
}

/* Go's leadingFraction: digits from s[*i] as x / scale; precision stops growing rather than
 * overflowing. */
static void leading_fraction(const char *s, size_t n, size_t *i, uint64_t *x, double *scale)
{
	bool overflow = false;
	*x = 0;
	*scale = 1;
	for (; *i < n && is_digit(s[*i]); (*i)++) {
		uint64_t y = *x * 10 + (uint64_t)(s[*i] - '0');
		overflow = overflow || *x > (uint64_t)INT64_MAX / 10 || y > 1ULL << 63;
		if (overflow)
			continue;
		*x = y;
		*scale *= 10;
	}
}

/* One "<number><unit>" element from s[*i], added to *total (at most 2^63). NULL, or why not. */
static const char *duration_element(const char *s, size_t n, size_t *i, uint64_t *total)
{
	if (!(s[*i] == '.' || is_digit(s[*i])))
		return "expected a number";
	size_t start = *i;
	uint64_t v, f = 0;
	double scale = 1;
	if (!leading_int(s, n, i, &v))
		return out_of_range;
	bool pre = *i > start, post = false;
	if (*i < n && s[*i] == '.') {
		size_t at = ++*i;
		leading_fraction(s, n, i, &f, &scale);
		post = *i > at;
	}
	if (!pre && !post)
		return "expected a number";
	size_t u = *i;
	while (*i < n && s[*i] != '.' && !is_digit(s[*i]))
		(*i)++;
	if (*i == u)
		return "missing unit (ns, us, ms, s, m or h)";
	uint64_t unit = unit_nanos(s + u, *i - u);
	if (!unit)
		return "unknown unit (want ns, us, ms, s, m or h)";
	if (v > (1ULL << 63) / unit)
		return out_of_range;
	v *= unit;
	/* As Go does it: a double is exact enough for fractions of the largest unit, the hour. */
	if (f > 0)
		v += (uint64_t)((double)f * ((double)unit / scale));
	if (v > 1ULL << 63 || __builtin_add_overflow(*total, v, total) || *total > 1ULL << 63)
		return out_of_range;
	return NULL;
}

/* "[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+", or "0" alone; nanoseconds within int64. */
static const char *parse_duration(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	bool neg = false;
	if (n > 0 && (s[0] == '-' || s[0] == '+'))
		neg = s[i++] == '-';
	if (n - i == 1 && s[i] == '0') {
		*out = 0;
		return NULL;
	}
	if (i == n)
		return "empty";
	uint64_t total = 0;
	while (i < n) {
		const char *why = duration_element(s, n, &i, &total);
		if (why)
			return why;
	}
	if (!neg && total > INT64_MAX)
		return out_of_range;
	*out = neg ? (int64_t)(0 - total) : (int64_t)total;
	return NULL;
}

static kv_cel_val fn_duration(kv_cel_call *c)
{
	const kv_cel_val *v = A(0);
	if (v->type == KV_CEL_T_DURATION)
		return *v;
	if (v->type != KV_CEL_T_STRING)
		return kv_cel_no_overload(c);
	if (!kv_cel_charge(c->r, v->len / 16))
		return kv_cel_budget_error(c->r, c->pos);
	int64_t d;
	const char *why = parse_duration(v->u.s, v->len, &d);
	if (!why)
		return kv_cel_duration(d);
	bool range = why == out_of_range;
	return kv_cel_errorf(c->r, range ? KV_CEL_E_RANGE : KV_CEL_E_INVALID_ARG, c->pos,
			    "invalid duration '%.*s': %s%s", clip(v->u.s, v->len), v->u.s, why,
			    range ? " (durations are within about 292 years)"
				  : "; want e.g. '90s', '1h30m' or '-1.5h'");
}

/* ---- timestamp(string): RFC 3339 -------------------------------------------------------- */

/* s[0..n) as a decimal number within [min, max]. */
static bool number_in(const char *s, size_t n, int min, int max, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return v >= min && v <= max;
}

/* The fraction after a '.' at s[*i]: nanoseconds from its first nine digits (Go reads any
 * number of digits and keeps nanoseconds). */
static uint32_t fraction_nanos(const char *s, size_t n, size_t *i)
{
	if (*i + 1 >= n || s[*i] != '.' || !is_digit(s[*i + 1]))
		return 0;
	uint32_t nanos = 0, digits = 0;
	for ((*i)++; *i < n && is_digit(s[*i]); (*i)++, digits++)
		if (digits < 9)
			nanos = nanos * 10 + (uint32_t)(s[*i] - '0');
	for (; digits < 9; digits++)
		nanos *= 10;
	return nanos;
}

/* "Z", or "+hh:mm" / "-hh:mm" with hh up to 23 and mm up to 59: seconds east of UTC. */
static bool zone_suffix(const char *s, size_t n, int *off)
{
	int h, m;
	if (n == 1 && s[0] == 'Z') {
		*off = 0;
		return true;
	}
	if (n != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' || !number_in(s + 1, 2, 0, 23, &h) ||
	    !number_in(s + 4, 2, 0, 59, &m))
		return false;
	*off = (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
	return true;
}

/* Go's time.Parse(time.RFC3339, s) behind cel-go's strict gate: "2006-01-02T15:04:05", an
 * optional fraction, then a zone; fields of exactly two digits (four for the year), 'T' and
 * 'Z' in capitals, no leap second. Seconds since the epoch in *secs, or why not. */
static const char *parse_rfc3339(const char *s, size_t n, int64_t *secs, uint32_t *nanos)
{
	int y, mo, d, h, mi, se, off;
	if (n < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return "not of the form 2006-01-02T15:04:05Z";
	if (!number_in(s, 4, 0, 9999, &y) || !number_in(s + 5, 2, 1, 12, &mo))
		return "bad year or month";
	if (!number_in(s + 8, 2, 1, (int)days_in_month((unsigned)mo, y), &d))
		return "the day is out of range for the month";
	if (!number_in(s + 11, 2, 0, 23, &h) || !number_in(s + 14, 2, 0, 59, &mi) ||
	    !number_in(s + 17, 2, 0, 59, &se))
		return "bad hour, minute or second";
	size_t i = 19;
	*nanos = fraction_nanos(s, n, &i);
	if (!zone_suffix(s + i, n - i, &off))
		return "the time must end with Z or an offset like +01:00";
	*secs = kv_cel_days_from_civil(y, (unsigned)mo, (unsigned)d) * DAY + h * 3600 + mi * 60 + se - off;
	return NULL;
}

static kv_cel_val timestamp_range(kv_cel_call *c)
{
	return kv_cel_errorf(c->r, KV_CEL_E_RANGE, c->pos,
			    "timestamp out of range: timestamps are within the years 0001 to 9999 (UTC)");
}

static kv_cel_val timestamp_from_string(kv_cel_call *c, const kv_cel_val *v)
{
	int64_t secs;
	uint32_t nanos;
	const char *why = parse_rfc3339(v->u.s, v->len, &secs, &nanos);
	if (why)
		return kv_cel_errorf(c->r, KV_CEL_E_INVALID_ARG, c->pos,
				    "invalid timestamp '%.*s': %s; want RFC 3339, e.g. "
				    "'2024-05-01T12:00:00Z' or '2024-05-01T14:00:00.5+02:00'",
				    clip(v->u.s, v->len), v->u.s, why);
	if (secs < KV_CEL_TS_MIN || secs > KV_CEL_TS_MAX)
		return timestamp_range(c);
	return kv_cel_timestamp(secs, nanos);
}

static kv_cel_val fn_timestamp(kv_cel_call *c)
{
	const kv_cel_val *v = A(0);
	switch (v->type) {
	case KV_CEL_T_TIMESTAMP: return *v;
	case KV_CEL_T_STRING: return timestamp_from_string(c, v);
	case KV_CEL_T_INT:
		if (v->u.i < KV_CEL_TS_MIN || v->u.i > KV_CEL_TS_MAX)
			return timestamp_range(c);
		return kv_cel_timestamp(v->u.i, 0);
	default: return kv_cel_no_overload(c);
	}
}

/* ---- POSIX TZ rules: the footer of a TZif file (Go's tzset) ----------------------------- */

enum { RULE_JULIAN, RULE_DOY, RULE_MWD };

/* A change of time: day kind and numbers, at time seconds after local midnight. */
typedef struct {
	uint8_t kind, mon, week;
	int day;
	int32_t time;
} tz_rule;

/* "STD offset [DST [offset] [,start[/time],end[/time]]]"; offsets in seconds east of UTC. */
typedef struct {
	bool ok, dst;
	int32_t std_off, dst_off;
	tz_rule start, end;
} posix_tz;

typedef struct {
	const char *s, *end;
} cursor;

/* tzsetName: "<anything>", or three or more characters up to a digit, ',', '-' or '+'. */
static bool tz_name(cursor *c)
{
	if (c->s == c->end)
		return false;
	if (*c->s == '<') {
		const char *gt = memchr(c->s, '>', (size_t)(c->end - c->s));
		c->s = gt ? gt + 1 : c->s;
		return gt != NULL;
	}
	const char *p = c->s;
	while (p < c->end && !is_digit(*p) && *p != ',' && *p != '-' && *p != '+')
		p++;
	if (p - c->s < 3)
		return false;
	c->s = p;
	return true;
}

/* Consumes ch if it is next. */
static bool tz_char(cursor *c, char ch)
{
	if (c->s == c->end || *c->s != ch)
		return false;
	c->s++;
	return true;
}

/* tzsetNum: at least one digit, within [min, max]. */
static bool tz_num(cursor *c, int min, int max, int *out)
{
	int v = 0;
	const char *start = c->s;
	for (; c->s < c->end && is_digit(*c->s); c->s++) {
		v = v * 10 + (*c->s - '0');
		if (v > max)
			return false;
	}
	*out = v;
	return c->s > start && v >= min;
}

/* tzsetOffset: [+-]hh[:mm[:ss]], hours up to a week. */
static bool tz_offset(cursor *c, int32_t *out)
{
	int h, m = 0, s = 0;
	bool neg = tz_char(c, '-');
	if (!neg)
		tz_char(c, '+');
	if (!tz_num(c, 0, 24 * 7, &h))
		return false;
	if (tz_char(c, ':') && (!tz_num(c, 0, 59, &m) || (tz_char(c, ':') && !tz_num(c, 0, 59, &s))))
		return false;
	*out = (neg ? -1 : 1) * (h * 3600 + m * 60 + s);
	return true;
}

/* Mm.w.d: weekday d (0 = Sunday) of week w (5 = the last) of month m. */
static bool tz_mwd(cursor *c, tz_rule *r)
{
	int m, w;
	if (!tz_num(c, 1, 12, &m) || !tz_char(c, '.') || !tz_num(c, 1, 5, &w) || !tz_char(c, '.') ||
	    !tz_num(c, 0, 6, &r->day))
		return false;
	r->kind = RULE_MWD;
	r->mon = (uint8_t)m;
	r->week = (uint8_t)w;
	return true;
}

/* tzsetRule: Jn (1..365, never counting February 29), n (0..365) or Mm.w.d, then an optional
 * /time (02:00 when absent). */
static bool tz_rule_parse(cursor *c, tz_rule *r)
{
	bool ok;
	r->time = 2 * 3600;
	if (tz_char(c, 'J')) {
		r->kind = RULE_JULIAN;
		ok = tz_num(c, 1, 365, &r->day);
	} else if (tz_char(c, 'M')) {
		ok = tz_mwd(c, r);
	} else {
		r->kind = RULE_DOY;
		ok = tz_num(c, 0, 365, &r->day);
	}
	return ok && (!tz_char(c, '/') || tz_offset(c, &r->time));
}

/* ",start,end" (tzcode also takes ';' first); when absent, tzcode's default: US rules. */
static bool tz_rules(cursor *c, posix_tz *p)
{
	static const char def[] = ",M3.2.0,M11.1.0";
	cursor d = {def, def + sizeof def - 1};
	if (c->s == c->end)
		c = &d;
	if (!tz_char(c, ',') && !tz_char(c, ';'))
		return false;
	return tz_rule_parse(c, &p->start) && tz_char(c, ',') && tz_rule_parse(c, &p->end) &&
	       c->s == c->end;
}

/* Parses the footer; p->ok stays false when it is not a rule Go would use. */
static void posix_parse(posix_tz *p, const char *s, size_t n)
{
	cursor c = {s, s + n};
	int32_t off;
	memset(p, 0, sizeof *p);
	if (!tz_name(&c) || !tz_offset(&c, &off))
		return;
	p->std_off = -off; /* POSIX offsets are west of UTC */
	if (c.s == c.end || *c.s == ',') {
		p->ok = true;
		return;
	}
	if (!tz_name(&c))
		return;
	p->dst_off = p->std_off + 3600;
	if (c.s < c.end && *c.s != ',') {
		if (!tz_offset(&c, &off))
			return;
		p->dst_off = -off;
	}
	p->dst = p->ok = tz_rules(&c, p);
}

/* Seconds from the start of year y (UTC) to when rule r takes effect, at offset off. */
static int64_t rule_time(int64_t y, const tz_rule *r, int32_t off)
{
	int64_t jan1 = kv_cel_days_from_civil(y, 1, 1), day;
	if (r->kind == RULE_JULIAN) {
		day = r->day - 1 + (is_leap(y) && r->day >= 60);
	} else if (r->kind == RULE_DOY) {
		day = r->day;
	} else {
		/* Weekday r->day of week r->week (5 = the last) of month r->mon. */
		int64_t first = kv_cel_days_from_civil(y, r->mon, 1);
		int64_t d = r->day - (first + 4 - floor_div(first + 4, 7) * 7);
		if (d < 0)
			d += 7;
		for (int i = 1; i < r->week && d + 7 < days_in_month(r->mon, y); i++)
			d += 7;
		day = first - jan1 + d;
	}
	return day * DAY + r->time - off;
}

/* The offset of rule p at sec. Like Go, the year is sec's year in UTC, and sec % DAY truncates
 * (so times before 1970 are off by a day; only zones with no transitions reach there). */
static int32_t posix_offset(const posix_tz *p, int64_t sec)
{
	if (!p->dst)
		return p->std_off;
	int64_t days = floor_div(sec, DAY), y;
	unsigned m, d;
	kv_cel_civil_from_days(days, &y, &m, &d);
	int64_t ysec = (days - kv_cel_days_from_civil(y, 1, 1)) * DAY + sec % DAY;
	int64_t start = rule_time(y, &p->start, p->std_off), end = rule_time(y, &p->end, p->dst_off);
	int32_t std = p->std_off, dst = p->dst_off;
	if (end < start) { /* southern hemisphere: summer spans the new year */
		int64_t t = start;
		start = end;
		end = t;
		std = p->dst_off;
		dst = p->std_off;
	}
	return ysec < start || ysec >= end ? std : dst;
}

/* ---- TZif files (RFC 8536), read as Go's LoadLocationFromTZData does --------------------- */

/* A time zone: a fixed offset, or the data of a TZif file. */
typedef struct {
	int64_t fixed;         /* seconds east of UTC, when data is NULL */
	uint8_t *data;         /* the file, owned; NULL for a fixed offset */
	size_t size;           /* bytes of data */
	const uint8_t *times;  /* ntx transition times, big-endian, of tsize bytes, ascending */
	const uint8_t *idx;    /* ntx indices into types */
	const uint8_t *types;  /* ntypes records: UT offset (4 bytes), is DST (1), abbreviation (1) */
	uint32_t ntx, ntypes;
	unsigned tsize;
	posix_tz extend;       /* the footer: the rule after the last transition */
} tz_zone;

/* The six counts of a TZif header, in file order. */
enum { N_ISUT, N_ISSTD, N_LEAP, N_TIME, N_TYPE, N_CHAR };

typedef struct {
	const uint8_t *p;
	uint64_t n;
	bool bad;
} reader;

static const uint8_t *take(reader *r, uint64_t n)
{
	if (r->bad || n > r->n) {
		r->bad = true;
		return NULL;
	}
	const uint8_t *at = r->p;
	r->p += n;
	r->n -= n;
	return at;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t tx_time(const tz_zone *z, uint32_t i)
{
	const uint8_t *p = z->times + (size_t)i * z->tsize;
	if (z->tsize == 4)
		return (int32_t)be32(p);
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static int32_t type_offset(const tz_zone *z, uint32_t t)
{
	return (int32_t)be32(z->types + 6 * (size_t)t);
}

static bool type_dst(const tz_zone *z, uint32_t t)
{
	return z->types[6 * (size_t)t + 4] != 0;
}

/* Version 0 is version 1; later versions are '2', '3' and '4'. */
static bool header(reader *r, uint32_t n[6], uint8_t *version)
{
	const uint8_t *h = take(r, 44);
	if (!h || memcmp(h, "TZif", 4) != 0)
		return false;
	*version = h[4];
	for (int i = 0; i < 6; i++)
		n[i] = be32(h + 20 + 4 * i);
	return *version == 0 || (*version >= '2' && *version <= '4');
}

/* Bytes of the data block that follows a header whose times are tsize bytes. */
static uint64_t block_size(const uint32_t n[6], unsigned tsize)
{
	return (uint64_t)n[N_TIME] * (tsize + 1) + (uint64_t)n[N_TYPE] * 6 + n[N_CHAR] +
	       (uint64_t)n[N_LEAP] * (tsize + 4) + n[N_ISSTD] + n[N_ISUT];
}

/* Every index names a type, abbreviations start inside the character block, and times ascend. */
static bool records_valid(const tz_zone *z, uint32_t nchar)
{
	for (uint32_t t = 0; t < z->ntypes; t++)
		if (z->types[6 * (size_t)t + 5] >= nchar)
			return false;
	for (uint32_t i = 0; i < z->ntx; i++)
		if (z->idx[i] >= z->ntypes || (i > 0 && tx_time(z, i) <= tx_time(z, i - 1)))
			return false;
	return true;
}

static bool tzif_parse(tz_zone *z)
{
	reader r = {z->data, z->size, false};
	uint32_t n[6];
	uint8_t version;
	if (!header(&r, n, &version))
		return false;
	z->tsize = 4;
	if (version != 0) {
		/* Version 2 and later repeat everything with 64-bit times after the 32-bit data. */
		if (!take(&r, block_size(n, 4)) || !header(&r, n, &version))
			return false;
		z->tsize = 8;
	}
	z->times = take(&r, (uint64_t)n[N_TIME] * z->tsize);
	z->idx = take(&r, n[N_TIME]);
	z->types = take(&r, (uint64_t)n[N_TYPE] * 6);
	take(&r, (uint64_t)n[N_CHAR] + (uint64_t)n[N_LEAP] * (z->tsize + 4) + n[N_ISSTD] + n[N_ISUT]);
	if (r.bad || n[N_TYPE] == 0)
		return false;
	z->ntx = n[N_TIME];
	z->ntypes = n[N_TYPE];
	if (!records_valid(z, n[N_CHAR]))
		return false;
	if (z->tsize == 8 && r.n > 2 && r.p[0] == '\n' && r.p[r.n - 1] == '\n')
		posix_parse(&z->extend, (const char *)r.p + 1, (size_t)r.n - 2);
	return true;
}

/* Go's lookupFirstZone: the type in force before the first transition. */
static uint32_t first_type(const tz_zone *z)
{
	bool used = false;
	for (uint32_t i = 0; i < z->ntx && !used; i++)
		used = z->idx[i] == 0;
	if (!used)
		return 0;
	if (z->ntx > 0 && type_dst(z, z->idx[0]))
		for (uint32_t t = z->idx[0]; t-- > 0;)
			if (!type_dst(z, t))
				return t;
	for (uint32_t t = 0; t < z->ntypes; t++)
		if (!type_dst(z, t))
			return t;
	return 0;
}

/* Seconds east of UTC in zone z at sec (Go's Location.lookup). */
static int64_t zone_offset_at(const tz_zone *z, int64_t sec)
{
	if (!z->data)
		return z->fixed;
	if (z->ntx == 0) /* Go covers all time with type 0, then the footer */
		return z->extend.ok ? posix_offset(&z->extend, sec) : type_offset(z, 0);
	if (sec < tx_time(z, 0))
		return type_offset(z, first_type(z));
	uint32_t lo = 0, hi = z->ntx;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (sec < tx_time(z, mid))
			hi = mid;
		else
			lo = mid;
	}
	if (lo == z->ntx - 1 && z->extend.ok)
		return posix_offset(&z->extend, sec);
	return type_offset(z, z->idx[lo]);
}

/* ---- Resolving a zone argument ---------------------------------------------------------- */

/* Where Go looks for the database on Unix systems. */
static const char *const zone_dirs[] = {
	"/usr/share/zoneinfo",
	"/usr/share/lib/zoneinfo",
	"/usr/lib/locale/TZ",
	"/etc/zoneinfo",
};

/* Real zone names are under 40 bytes and real zone files a few kilobytes; anything much
 * larger is not one. */
#define ZONE_NAME_MAX 200
#define ZONE_FILE_MAX (1024 * 1024)

/* Reads up to cap bytes of fd into a new buffer (one byte more reads as too large: the file
 * grew). 0, or an errno value. */
static int read_all(int fd, size_t cap, uint8_t **data, size_t *size)
{
	*data = kv_xmalloc(cap + 1);
	*size = 0;
	while (*size <= cap) {
		ssize_t got = read(fd, *data + *size, cap + 1 - *size);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return errno;
		if (got == 0)
			return 0;
		*size += (size_t)got;
	}
	return EFBIG;
}

/* Reads a regular file (never blocking on a FIFO or a device). 0, or an errno value; ENOENT
 * for anything that is not a regular file. */
static int read_file(const char *path, uint8_t **data, size_t *size)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOTDIR || errno == ELOOP || errno == ENAMETOOLONG ? ENOENT : errno;
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		rc = ENOENT;
	else if (st.st_size > ZONE_FILE_MAX)
		rc = EFBIG;
	else
		rc = read_all(fd, (size_t)st.st_size, data, size);
	close(fd);
	return rc;
}

static void zone_free(tz_zone *z)
{
	if (z)
		free(z->data);
	free(z);
}

static void zone_free_aux(void *aux)
{
	zone_free(aux);
}

static tz_zone *zone_fixed(int64_t secs)
{
	tz_zone *z = kv_xcalloc(1, sizeof *z);
	z->fixed = secs;
	return z;
}

/* The first directory of the database that exists, or NULL. */
static const char *database_dir(void)
{
	struct stat st;
	for (size_t i = 0; i < sizeof zone_dirs / sizeof zone_dirs[0]; i++)
		if (stat(zone_dirs[i], &st) == 0 && S_ISDIR(st.st_mode))
			return zone_dirs[i];
	return NULL;
}

static void unknown_zone(const char *s, size_t n, char *why, size_t whysize)
{
	const char *db = database_dir();
	if (!db)
		snprintf(why, whysize,
			 "cannot resolve time zone '%.*s': no time zone database is installed "
			 "(/usr/share/zoneinfo is missing; install the tzdata package)", clip(s, n), s);
	else
		snprintf(why, whysize,
			 "unknown time zone '%.*s' (not in %s); use an IANA name such as "
			 "'America/New_York', 'UTC', or an offset such as '+05:30'", clip(s, n), s, db);
}

/* Go's LoadLocation for a name other than "", "UTC" and "Local": the first directory holding
 * a valid file of that name. */
static tz_zone *zone_named(const char *name, char *why, size_t whysize)
{
	const char *bad = NULL;
	for (size_t i = 0; i < sizeof zone_dirs / sizeof zone_dirs[0]; i++) {
		char path[320];
		snprintf(path, sizeof path, "%s/%s", zone_dirs[i], name);
		tz_zone *z = kv_xcalloc(1, sizeof *z);
		int rc = read_file(path, &z->data, &z->size);
		if (rc == 0 && tzif_parse(z))
			return z;
		if (rc != ENOENT && !bad)
			bad = zone_dirs[i];
		zone_free(z);
	}
	if (bad)
		snprintf(why, whysize, "cannot read time zone '%s': its file in %s is not valid TZif data",
			 name, bad);
	else
		unknown_zone(name, strlen(name), why, whysize);
	return NULL;
}

/* Go's strconv.Atoi: an optional sign, then decimal digits, within int64. */
static bool go_atoi(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	bool neg = n > 0 && s[0] == '-';
	if (n > 0 && (s[0] == '-' || s[0] == '+'))
		i++;
	if (i == n)
		return false;
	uint64_t v = 0;
	for (; i < n; i++) {
		if (!is_digit(s[i]) || v > (uint64_t)INT64_MAX / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > (uint64_t)INT64_MAX + neg)
			return false;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* cel-go's offsets: the text before the first ':' is hours and the rest minutes, each read by
 * Atoi; the minutes count against the hours when the text starts with '-' ("-02:30"). Offsets
 * that would overflow Go's Duration (beyond about 292 years) are refused. */
static bool parse_offset(const char *s, size_t n, const char *colon, int64_t *secs)
{
	int64_t h, m, mins;
	if (!go_atoi(s, (size_t)(colon - s), &h) || !go_atoi(colon + 1, (size_t)(s + n - colon - 1), &m))
		return false;
	if (__builtin_mul_overflow(h, 60, &mins) ||
	    (s[0] == '-' ? __builtin_sub_overflow(mins, m, &mins) : __builtin_add_overflow(mins, m, &mins)))
		return false;
	if (mins > INT64_MAX / (60 * NANOS) || mins < -(INT64_MAX / (60 * NANOS)))
		return false;
	*secs = mins * 60;
	return true;
}

/* The zone a getter's argument names: "" or "UTC", an offset (any text with a ':'), or an
 * IANA name. NULL with a message in why when it cannot be resolved. Caller frees with
 * zone_free. */
static tz_zone *zone_open(const char *s, size_t n, char *why, size_t whysize)
{
	const char *colon = memchr(s, ':', n);
	int64_t secs;
	if (colon) {
		if (parse_offset(s, n, colon, &secs))
			return zone_fixed(secs);
		snprintf(why, whysize,
			 "invalid time zone offset '%.*s'; want [+-]hh:mm such as '+05:30' or '-08:00', "
			 "or a name such as 'Europe/Paris'", clip(s, n), s);
		return NULL;
	}
	if (n == 0 || (n == 3 && memcmp(s, "UTC", 3) == 0))
		return zone_fixed(0);
	if (n == 5 && memcmp(s, "Local", 5) == 0) {
		snprintf(why, whysize, "time zone 'Local' (the zone of the machine) is not supported, "
				       "as kvet's results must not depend on where it runs; name the zone, "
				       "such as 'UTC' or 'Europe/Paris'");
		return NULL;
	}
	/* Go refuses ".." anywhere and a leading slash; names are paths under the database. */
	if (memmem(s, n, "..", 2) || s[0] == '/' || s[0] == '\\' || memchr(s, '\0', n)) {
		snprintf(why, whysize, "invalid time zone name '%.*s'", clip(s, n), s);
		return NULL;
	}
	if (n > ZONE_NAME_MAX) { /* longer than any name in the database */
		unknown_zone(s, n, why, whysize);
		return NULL;
	}
	char name[ZONE_NAME_MAX + 1];
	memcpy(name, s, n);
	name[n] = '\0';
	return zone_named(name, why, whysize);
}

/* A zone argument compiled once when it is a constant. A zone that cannot be resolved is
 * reported when the call is evaluated, as cel-go does, and not as a compile error. */
static int zone_prepare(const kv_cel_node *const *args, size_t nargs, const void **aux, char *msg,
			size_t msgsize, uint32_t *pos)
{
	(void)msg;
	(void)msgsize;
	(void)pos;
	char why[400];
	if (nargs == 2 && args[1]->kind == KV_CEL_STRING)
		*aux = zone_open(args[1]->str, args[1]->len, why, sizeof why);
	return 0;
}

/* ---- The getters ------------------------------------------------------------------------ */

enum { GET_YEAR, GET_MONTH, GET_DATE, GET_DAY_OF_MONTH, GET_DAY_OF_WEEK, GET_DAY_OF_YEAR, GET_HOURS,
       GET_MINUTES, GET_SECONDS, GET_MILLIS };

/* Seconds east of UTC at sec in the zone of the call's second argument. */
static bool call_zone_offset(kv_cel_call *c, int64_t sec, int64_t *off, kv_cel_val *err)
{
	if (c->aux) {
		*off = zone_offset_at(c->aux, sec);
		return true;
	}
	if (A(1)->type != KV_CEL_T_STRING) {
		*err = kv_cel_no_overload(c);
		return false;
	}
	char why[400];
	tz_zone *z = zone_open(A(1)->u.s, A(1)->len, why, sizeof why);
	if (!z) {
		*err = kv_cel_errorf(c->r, KV_CEL_E_INVALID_ARG, c->pos, "%s", why);
		return false;
	}
	*off = zone_offset_at(z, sec);
	bool paid = kv_cel_charge(c->r, z->size / 16);
	zone_free(z);
	if (!paid)
		*err = kv_cel_budget_error(c->r, c->pos);
	return paid;
}

/* Field which of the local time at secs (seconds since the epoch, shifted to the zone). */
static int64_t civil_field(int64_t secs, uint32_t nanos, int which)
{
	int64_t days = floor_div(secs, DAY), rem = secs - days * DAY, y;
	unsigned m, d;
	kv_cel_civil_from_days(days, &y, &m, &d);
	switch (which) {
	case GET_YEAR: return y;
	case GET_MONTH: return m - 1;
	case GET_DATE: return d;
	case GET_DAY_OF_MONTH: return d - 1;
	case GET_DAY_OF_WEEK: return days + 4 - floor_div(days + 4, 7) * 7; /* 1970-01-01: Thursday */
	case GET_DAY_OF_YEAR: return days - kv_cel_days_from_civil(y, 1, 1);
	case GET_HOURS: return rem / 3600;
	case GET_MINUTES: return rem / 60 % 60;
	case GET_SECONDS: return rem % 60;
	default: return nanos / 1000000;
	}
}

static kv_cel_val timestamp_get(kv_cel_call *c, int which)
{
	int64_t off = 0, local;
	kv_cel_val err;
	if (c->nargs == 2 && !call_zone_offset(c, A(0)->u.i, &off, &err))
		return err;
	if (__builtin_add_overflow(A(0)->u.i, off, &local))
		return kv_cel_errorf(c->r, KV_CEL_E_RANGE, c->pos, "the time zone offset is out of range");
	return kv_cel_int(civil_field(local, A(0)->len, which));
}

/* Go's Duration.Hours(), Minutes() and Seconds() are float64 (whole units plus the rest as a
 * fraction) that cel-go truncates; near a whole unit the sum rounds up, so this computes the
 * same sum rather than an integer quotient. */
static int64_t go_units(int64_t d, int64_t unit)
{
	return (int64_t)((double)(d / unit) + (double)(d % unit) / (double)unit);
}

static kv_cel_val duration_get(kv_cel_call *c, int which)
{
	int64_t d = A(0)->u.i;
	switch (which) {
	case GET_HOURS: return kv_cel_int(go_units(d, 3600 * NANOS));
	case GET_MINUTES: return kv_cel_int(go_units(d, 60 * NANOS));
	case GET_SECONDS: return kv_cel_int(go_units(d, NANOS));
	/* The spec's (and the conformance tests') milliseconds of the second, not cel-go's total. */
	default: return kv_cel_int(d % NANOS / 1000000);
	}
}

static kv_cel_val fn_full_year(kv_cel_call *c) { return timestamp_get(c, GET_YEAR); }
static kv_cel_val fn_month(kv_cel_call *c) { return timestamp_get(c, GET_MONTH); }
static kv_cel_val fn_date(kv_cel_call *c) { return timestamp_get(c, GET_DATE); }
static kv_cel_val fn_day_of_month(kv_cel_call *c) { return timestamp_get(c, GET_DAY_OF_MONTH); }
static kv_cel_val fn_day_of_week(kv_cel_call *c) { return timestamp_get(c, GET_DAY_OF_WEEK); }
static kv_cel_val fn_day_of_year(kv_cel_call *c) { return timestamp_get(c, GET_DAY_OF_YEAR); }
static kv_cel_val fn_hours(kv_cel_call *c) { return timestamp_get(c, GET_HOURS); }
static kv_cel_val fn_minutes(kv_cel_call *c) { return timestamp_get(c, GET_MINUTES); }
static kv_cel_val fn_seconds(kv_cel_call *c) { return timestamp_get(c, GET_SECONDS); }
static kv_cel_val fn_millis(kv_cel_call *c) { return timestamp_get(c, GET_MILLIS); }
static kv_cel_val fn_dur_hours(kv_cel_call *c) { return duration_get(c, GET_HOURS); }
static kv_cel_val fn_dur_minutes(kv_cel_call *c) { return duration_get(c, GET_MINUTES); }
static kv_cel_val fn_dur_seconds(kv_cel_call *c) { return duration_get(c, GET_SECONDS); }
static kv_cel_val fn_dur_millis(kv_cel_call *c) { return duration_get(c, GET_MILLIS); }

#define TS_GETTER(name, fn) \
	{name, KV_CEL_FN_METHOD, 1, 2, KV_CEL_T_TIMESTAMP, fn, zone_prepare, zone_free_aux}
#define DUR_GETTER(name, fn) {name, KV_CEL_FN_METHOD, 1, 1, KV_CEL_T_DURATION, fn, NULL, NULL}

const kv_cel_fn kv_cel_lib_time[] = {
	{"duration", KV_CEL_FN_GLOBAL, 1, 1, KV_CEL_T_ANY, fn_duration, NULL, NULL},
	{"timestamp", KV_CEL_FN_GLOBAL, 1, 1, KV_CEL_T_ANY, fn_timestamp, NULL, NULL},
	TS_GETTER("getFullYear", fn_full_year),
	TS_GETTER("getMonth", fn_month),
	TS_GETTER("getDate", fn_date),
	TS_GETTER("getDayOfMonth", fn_day_of_month),
	TS_GETTER("getDayOfWeek", fn_day_of_week),
	TS_GETTER("getDayOfYear", fn_day_of_year),
	TS_GETTER("getHours", fn_hours),
	TS_GETTER("getMinutes", fn_minutes),
	TS_GETTER("getSeconds", fn_seconds),
	TS_GETTER("getMilliseconds", fn_millis),
	DUR_GETTER("getHours", fn_dur_hours),
	DUR_GETTER("getMinutes", fn_dur_minutes),
	DUR_GETTER("getSeconds", fn_dur_seconds),
	DUR_GETTER("getMilliseconds", fn_dur_millis),
	{NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
