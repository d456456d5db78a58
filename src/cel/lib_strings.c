/* lib_strings.c: the strings extension as cel-go's ext.Strings (latest version) defines it:
 * charAt, indexOf, lastIndexOf, lowerAscii, upperAscii, replace, split, substring, trim,
 * reverse, join, format and strings.quote. Positions and lengths count code points.
 *
 * Strings are valid UTF-8 by construction, so a byte search for a needle only matches at
 * code-point boundaries, and pieces of the receiver (substring, split, trim) borrow it. Work
 * is charged to the step budget as it is done and results are capped at the size that
 * concatenation allows, so hostile input can neither run long nor grow memory unbounded. */
#include "internal.h"

#include "kvet/alloc.h"
#include "kvet/strutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define A(i) (&c->args[i])

/* The largest string or list a function builds: what concatenation allows. */
#define MAX_RESULT (UINT32_MAX / 2)

/* ---- Shared helpers ---------------------------------------------------------------------- */

static uint8_t sig_type(char ch)
{
	switch (ch) {
	case 's': return KV_CEL_T_STRING;
	case 'i': return KV_CEL_T_INT;
	case 'l': return KV_CEL_T_LIST;
	default: return KV_CEL_T_ERROR;
	}
}

/* True when the arguments have the types sig spells (s string, i int, l list), as far as
 * the call has arguments: "ssi" serves both indexOf(s) and indexOf(s, i). */
static bool sig_is(const kv_cel_call *c, const char *sig)
{
	for (uint32_t i = 0; i < c->nargs; i++)
		if (!sig[i] || c->args[i].type != sig_type(sig[i]))
			return false;
	return true;
}

/* One step per 16 bytes read or written, the rule every library follows. */
static bool spend(kv_cel_call *c, uint64_t bytes)
{
	return kv_cel_charge(c->r, bytes / 16);
}

static kv_cel_val budget(kv_cel_call *c)
{
	return kv_cel_budget_error(c->r, c->pos);
}

static kv_cel_val too_large(kv_cel_call *c)
{
	return kv_cel_errorf(c->r, KV_CEL_E_RANGE, c->pos, "'%s': the result would be too large",
			    c->name);
}

static kv_cel_val index_error(kv_cel_call *c, int64_t i, size_t count)
{
	return kv_cel_errorf(c->r, KV_CEL_E_RANGE, c->pos,
			    "index out of range: %lld (the string has %zu characters; positions run from 0 to %zu)",
			    (long long)i, count, count);
}

/* Bytes of the UTF-8 sequence its lead byte b starts (1 for a stray byte). */
static size_t seq_len(unsigned char b)
{
	return b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
}

/* The code point at s[0..n), n > 0, and its length in *len. The length never passes n, so
 * even a malformed string cannot make this read beyond it. */
static uint32_t cp_at(const char *s, size_t n, size_t *len)
{
	unsigned char b = (unsigned char)s[0];
	size_t k = seq_len(b);
	if (k > n)
		k = n;
	*len = k;
	if (k == 1)
		return b;
	uint32_t cp = b & (0x3Fu >> (k - 1));
	for (size_t i = 1; i < k; i++)
		cp = cp << 6 | ((unsigned char)s[i] & 0x3Fu);
	return cp;
}

/* The byte offset of the code point before offset off (off > 0). */
static size_t cp_before(const char *s, size_t off)
{
	do
		off--;
	while (off > 0 && ((unsigned char)s[off] & 0xC0) == 0x80);
	return off;
}

/* An int argument that must be a position in [0, count]: its byte offset in s, or false. */
static bool position(const kv_cel_val *s, int64_t i, size_t count, size_t *off)
{
	if (i < 0 || (uint64_t)i > count)
		return false;
	*off = kv_cel_cp_offset(s->u.s, s->len, (size_t)i);
	return true;
}

/* Appends n bytes; a zero-length piece may have no storage at all. */
static void put(kv_buf *b, const char *s, size_t n)
{
	if (n)
		kv_buf_add(b, s, n);
}

/* memcpy for pieces that may be empty (and then have no storage); returns the end. */
static size_t copy_at(char *out, size_t o, const char *s, size_t n)
{
	if (n)
		memcpy(out + o, s, n);
	return o + n;
}

/* ---- Searching ----------------------------------------------------------------------------- */

/* The first byte offset at or after from where needle occurs in hay, or -1. */
static ptrdiff_t find(const char *hay, size_t n, size_t from, const char *needle, size_t m)
{
	if (m == 0)
		return (ptrdiff_t)from;
	if (from > n || n - from < m)
		return -1;
	const char *p = memmem(hay + from, n - from, needle, m);
	return p ? p - hay : -1;
}

static char *reversed_copy(const char *s, size_t n)
{
	char *r = kv_xmalloc(n ? n : 1);
	for (size_t i = 0; i < n; i++)
		r[i] = s[n - 1 - i];
	return r;
}

/* The last byte offset at or before limit where needle (m > 0 bytes) occurs in hay, or -1.
 * Searches the reversed window forwards: memmem is linear, where a backward scan comparing
 * at each position could take n * m steps. */
static ptrdiff_t rfind(const char *hay, size_t n, size_t limit, const char *needle, size_t m)
{
	if (m > n)
		return -1;
	size_t w = limit > n - m ? n : limit + m;
	char *rh = reversed_copy(hay, w), *rn = reversed_copy(needle, m);
	const char *p = memmem(rh, w, rn, m);
	ptrdiff_t at = p ? (ptrdiff_t)(w - (size_t)(p - rh) - m) : -1;
	free(rh);
	free(rn);
	return at;
}

/* ---- charAt, indexOf, lastIndexOf, substring ---------------------------------------------- */

/* s.charAt(i): the character at i, or "" at the end; an error past it. */
static kv_cel_val fn_char_at(kv_cel_call *c)
{
	if (!sig_is(c, "si"))
		return kv_cel_no_overload(c);
	const kv_cel_val *s = A(0);
	if (!spend(c, s->len))
		return budget(c);
	size_t count = kv_cel_cp_count(s->u.s, s->len), off, len = 0;
	if (!position(s, A(1)->u.i, count, &off))
		return index_error(c, A(1)->u.i, count);
	if (off < s->len)
		cp_at(s->u.s + off, s->len - off, &len);
	return kv_cel_string(s->u.s + off, len);
}

/* s.indexOf(sub[, from]): the position of the first occurrence at or after from, or -1. An
 * empty sub is found where the search starts. */
static kv_cel_val fn_index_of(kv_cel_call *c)
{
	if (!sig_is(c, "ssi"))
		return kv_cel_no_overload(c);
	const kv_cel_val *s = A(0), *sub = A(1);
	if (!spend(c, (uint64_t)s->len + sub->len))
		return budget(c);
	size_t from = 0;
	if (c->nargs == 3) {
		size_t count = kv_cel_cp_count(s->u.s, s->len);
		if (!position(s, A(2)->u.i, count, &from))
			return index_error(c, A(2)->u.i, count);
	}
	ptrdiff_t at = find(s->u.s, s->len, from, sub->u.s, sub->len);
	if (at < 0)
		return kv_cel_int(-1);
	return kv_cel_int((int64_t)kv_cel_cp_count(s->u.s, (size_t)at));
}

/* s.lastIndexOf(sub[, last]): the position of the last occurrence starting at or before
 * last (the end when omitted), or -1. An empty sub is found at last. */
static kv_cel_val fn_last_index_of(kv_cel_call *c)
{
	if (!sig_is(c, "ssi"))
		return kv_cel_no_overload(c);
	const kv_cel_val *s = A(0), *sub = A(1);
	if (!spend(c, 2 * ((uint64_t)s->len + sub->len)))
		return budget(c);
	size_t count = kv_cel_cp_count(s->u.s, s->len), limit = s->len;
	int64_t last = (int64_t)count;
	if (c->nargs == 3) {
		last = A(2)->u.i;
		if (!position(s, last, count, &limit))
			return index_error(c, last, count);
	}
	if (sub->len == 0)
		return kv_cel_int(last);
	ptrdiff_t at = rfind(s->u.s, s->len, limit, sub->u.s, sub->len);
	if (at < 0)
		return kv_cel_int(-1);
	return kv_cel_int((int64_t)kv_cel_cp_count(s->u.s, (size_t)at));
}

/* s.substring(start[, end]): the characters in [start, end). */
static kv_cel_val fn_substring(kv_cel_call *c)
{
	if (!sig_is(c, "sii"))
		return kv_cel_no_overload(c);
	const kv_cel_val *s = A(0);
	if (!spend(c, s->len))
		return budget(c);
	size_t count = kv_cel_cp_count(s->u.s, s->len), from, to = s->len;
	int64_t start = A(1)->u.i, end = c->nargs == 3 ? A(2)->u.i : (int64_t)count;
	if (c->nargs == 3 && start > end)
		return kv_cel_errorf(c->r, KV_CEL_E_RANGE, c->pos,
				    "invalid substring range. start: %lld, end: %lld (the start is past the end)",
				    (long long)start, (long long)end);
	if (!position(s, start, count, &from))
		return index_error(c, start, count);
	if (c->nargs == 3 && !position(s, end, count, &to))
		return index_error(c, end, count);
	return kv_cel_string(s->u.s + from, to - from);
}

/* ---- Case, trim, reverse, quote ------------------------------------------------------------ */

/* lowerAscii and upperAscii: only A-Z and a-z change; other characters stay as they are. */
static kv_cel_val ascii_case(kv_cel_call *c, bool upper)
{
	if (!sig_is(c, "s"))
		return kv_cel_no_overload(c);
	const kv_cel_val *s = A(0);
	if (!spend(c, 2 * (uint64_t)s->len))
		return budget(c);
	char *out = kv_cel_alloc(c->r, s->len);
	for (size_t i = 0; i < s->len; i++) {
		char ch = s->u.s[i];
		bool flip = upper ? ch >= 'a' && ch <= 'z' : ch >= 'A' && ch <= 'Z';
		out[i] = flip ? (char)(ch ^ 0x20) : ch;
	}
	return kv_cel_string(out, s->len);
}

static kv_cel_val fn_lower_ascii(kv_cel_call *c)
{
	return ascii_case(c, false);
}

static kv_cel_val fn_upper_ascii(kv_cel_call *c)
{
	return ascii_case(c, true);
}

/* Go's unicode.IsSpace, which strings.TrimSpace uses: the White_Space property. Zero-width
 * characters (U+200B, U+FEFF, U+180E) are not spaces. */
static bool is_space(uint32_t cp)
{
	if (cp < 0x80)
		return cp == ' ' || (cp >= '\t' && cp <= '\r');
	return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
	       cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* s.trim(): s without leading and trailing white space. */
static kv_cel_val fn_trim(kv_cel_call *c)
{
	if (!sig_is(c, "s"))
		return kv_cel_no_overload(c);
	const kv_cel_val *s = A(0);
	if (!spend(c, s->len))
		return budget(c);
	size_t from = 0, to = s->len, len;
	while (from < to && is_space(cp_at(s->u.s + from, to - from, &len)))
		from += len;
	while (to > from) {
		size_t prev = cp_before(s->u.s, to);
		if (!is_space(cp_at(s->u.s + prev, to - prev, &len)))
			break;
		to = prev;
	}
	return kv_cel_string(s->u.s + from, to - from);
}

/* s.reverse(): the code points in reverse order (combining marks move with them). */
static kv_cel_val fn_reverse(kv_cel_call *c)
{
	if (!sig_is(c, "s"))
		return kv_cel_no_overload(c);
	const kv_cel_val *s = A(0);
	if (!spend(c, 2 * (uint64_t)s->len))
		return budget(c);
	char *out = kv_cel_alloc(c->r, s->len);
	size_t len;
	for (size_t off = 0; off < s->len; off += len) {
		cp_at(s->u.s + off, s->len - off, &len);
		memcpy(out + s->len - off - len, s->u.s + off, len);
	}
	return kv_cel_string(out, s->len);
}

/* strings.quote(s): s in double quotes with \a \b \f \n \r \t \v \\ and \" escaped, so it
 * prints as the CEL literal that reads back as s. Other characters stay as they are. */
static kv_cel_val fn_quote(kv_cel_call *c)
{
	static const char from[] = "\a\b\f\n\r\t\v\\\"", to[] = "abfnrtv\\\"";
	if (!sig_is(c, "s"))
		return kv_cel_no_overload(c);
	const kv_cel_val *s = A(0);
	if ((uint64_t)s->len * 2 + 2 > MAX_RESULT)
		return too_large(c);
	if (!spend(c, 3 * (uint64_t)s->len))
		return budget(c);
	kv_buf b = KV_BUF_INIT;
	kv_buf_reserve(&b, s->len + 2);
	kv_buf_putc(&b, '"');
	for (size_t i = 0; i < s->len; i++) {
		const char *e = s->u.s[i] ? strchr(from, s->u.s[i]) : NULL;
		if (e) {
			kv_buf_putc(&b, '\\');
			kv_buf_putc(&b, to[e - from]);
		} else {
			kv_buf_putc(&b, s->u.s[i]);
		}
	}
	kv_buf_putc(&b, '"');
	kv_cel_val v = kv_cel_string_buf(c->r, &b, false);
	kv_buf_free(&b);
	return v;
}

/* ---- replace, split, join ------------------------------------------------------------------ */

/* Replacements s.replace(old, _, limit) makes: Go's strings.Replace counts an empty old as
 * matching before each character and at the end. A negative limit means all. */
static uint64_t count_matches(const kv_cel_val *s, const kv_cel_val *old, int64_t limit)
{
	uint64_t max = limit < 0 ? UINT64_MAX : (uint64_t)limit, k = 0;
	if (old->len == 0) {
		uint64_t slots = (uint64_t)kv_cel_cp_count(s->u.s, s->len) + 1;
		return slots < max ? slots : max;
	}
	for (ptrdiff_t at = 0; k < max; k++) {
		at = find(s->u.s, s->len, (size_t)at, old->u.s, old->len);
		if (at < 0)
			break;
		at += (ptrdiff_t)old->len;
	}
	return k;
}

/* Writes s with its first k matches of old replaced by rep (Go's strings.Replace). */
static void write_replaced(char *out, const kv_cel_val *s, const kv_cel_val *old,
			   const kv_cel_val *rep, uint64_t k)
{
	size_t start = 0, o = 0, len;
	for (uint64_t i = 0; i < k; i++) {
		size_t j = start;
		if (old->len == 0 && i > 0 && start < s->len) {
			cp_at(s->u.s + start, s->len - start, &len);
			j += len;
		} else if (old->len > 0) {
			j = (size_t)find(s->u.s, s->len, start, old->u.s, old->len);
		}
		o = copy_at(out, o, s->u.s + start, j - start);
		o = copy_at(out, o, rep->u.s, rep->len);
		start = j + old->len;
	}
	copy_at(out, o, s->u.s + start, s->len - start);
}

/* s.replace(old, new[, limit]): s with the first limit occurrences of old replaced (all when
 * limit is omitted or negative). */
static kv_cel_val fn_replace(kv_cel_call *c)
{
	if (!sig_is(c, "sssi"))
		return kv_cel_no_overload(c);
	const kv_cel_val *s = A(0), *old = A(1), *rep = A(2);
	int64_t limit = c->nargs == 4 ? A(3)->u.i : -1;
	if (!spend(c, (uint64_t)s->len + old->len))
		return budget(c);
	uint64_t k = count_matches(s, old, limit);
	if (k == 0 || (old->len == rep->len && memcmp(old->u.s, rep->u.s, old->len) == 0))
		return *s;
	uint64_t total = (uint64_t)s->len - k * old->len + k * rep->len;
	if (total > MAX_RESULT)
		return too_large(c);
	if (!spend(c, total) || !kv_cel_charge(c->r, k))
		return budget(c);
	char *out = kv_cel_alloc(c->r, (size_t)total);
	write_replaced(out, s, old, rep, k);
	return kv_cel_string(out, (size_t)total);
}

/* Pieces s.split(sep, limit) makes (Go's strings.SplitN): an empty sep splits between
 * characters; a positive limit caps the count, the last piece keeping the rest. */
static size_t count_pieces(const kv_cel_val *s, const kv_cel_val *sep, int64_t limit)
{
	uint64_t max = limit < 0 ? UINT64_MAX : (uint64_t)limit;
	if (sep->len == 0) {
		size_t count = kv_cel_cp_count(s->u.s, s->len);
		return count < max ? count : (size_t)max;
	}
	size_t k = 1;
	for (ptrdiff_t at = 0; k < max; k++) {
		at = find(s->u.s, s->len, (size_t)at, sep->u.s, sep->len);
		if (at < 0)
			break;
		at += (ptrdiff_t)sep->len;
	}
	return k;
}

/* Fills items with the k pieces; each borrows s. */
static void fill_pieces(kv_cel_val *items, size_t k, const kv_cel_val *s, const kv_cel_val *sep)
{
	size_t start = 0, len;
	for (size_t i = 0; i + 1 < k; i++) {
		size_t end;
		if (sep->len == 0) {
			cp_at(s->u.s + start, s->len - start, &len);
			end = start + len;
		} else {
			end = (size_t)find(s->u.s, s->len, start, sep->u.s, sep->len);
		}
		items[i] = kv_cel_string(s->u.s + start, end - start);
		start = end + sep->len;
	}
	if (k > 0)
		items[k - 1] = kv_cel_string(s->u.s + start, s->len - start);
}

/* s.split(sep[, limit]): the pieces of s between occurrences of sep; limit 0 gives [], a
 * negative limit all pieces. */
static kv_cel_val fn_split(kv_cel_call *c)
{
	if (!sig_is(c, "ssi"))
		return kv_cel_no_overload(c);
	const kv_cel_val *s = A(0), *sep = A(1);
	int64_t limit = c->nargs == 3 ? A(2)->u.i : -1;
	if (!spend(c, (uint64_t)s->len + sep->len))
		return budget(c);
	size_t k = limit == 0 ? 0 : count_pieces(s, sep, limit);
	if (!kv_cel_charge(c->r, k))
		return budget(c);
	kv_cel_val *items;
	kv_cel_val list = kv_cel_list_new(c->r, k, &items);
	fill_pieces(items, k, s, sep);
	return list;
}

/* The length of list.join(sep), or an error for an item that is not a string. */
static bool join_length(kv_cel_call *c, const kv_cel_val *list, size_t seplen, uint64_t *total, kv_cel_val *err)
{
	size_t n = kv_cel_list_len(list);
	*total = n ? (uint64_t)(n - 1) * seplen : 0;
	for (size_t i = 0; i < n; i++) {
		kv_cel_val item = kv_cel_list_at(list, i);
		if (item.type != KV_CEL_T_STRING) {
			*err = kv_cel_errorf(c->r, KV_CEL_E_INVALID_ARG, c->pos,
					     "join: invalid input: the list item at index %zu is a %s, not a string",
					     i, kv_cel_vtype_name((kv_cel_vtype)item.type));
			return false;
		}
		*total += item.len;
	}
	return true;
}

/* list.join([sep]): the strings of the list with sep between them. */
static kv_cel_val fn_join(kv_cel_call *c)
{
	if (!sig_is(c, "ls"))
		return kv_cel_no_overload(c);
	const kv_cel_val *list = A(0);
	kv_cel_val sep = c->nargs == 2 ? *A(1) : kv_cel_string("", 0), err;
	size_t n = kv_cel_list_len(list), o = 0;
	uint64_t total;
	if (!kv_cel_charge(c->r, n))
		return budget(c);
	if (!join_length(c, list, sep.len, &total, &err))
		return err;
	if (total > MAX_RESULT)
		return too_large(c);
	if (!spend(c, total))
		return budget(c);
	char *out = kv_cel_alloc(c->r, (size_t)total);
	for (size_t i = 0; i < n; i++) {
		kv_cel_val item = kv_cel_list_at(list, i);
		if (i)
			o = copy_at(out, o, sep.u.s, sep.len);
		o = copy_at(out, o, item.u.s, item.len);
	}
	return kv_cel_string(out, (size_t)total);
}

/* ---- format ---------------------------------------------------------------------------------
 *
 * "text %s %d %.2f".format([args]): cel-go's format as updated at version 4 of the extension.
 * A clause is '%', an optional precision (.digits, at most MAX_PRECISION) and a verb; "%%" is
 * a percent sign. Verbs and what they take:
 *   %s  any value but optionals and library objects: lists as [a, b], maps as {k: v} with
 *       the entries sorted by their text, strings and bytes bare, doubles in the shortest
 *       plain form (NaN, Infinity, -Infinity), durations in seconds ("1.5s"), timestamps in
 *       RFC 3339, types by name
 *   %d  ints and uints; doubles as %s prints them
 *   %f %e  ints, uints and doubles, with the precision (6 when omitted)
 *   %b  ints, uints and bools; %o ints and uints; %x %X ints, uints, strings and bytes
 * An argument list shorter than the clauses is an error. A constant format string with a
 * list literal is also checked when compiling: the clauses, the arity and literal types. */

/* cel-go's cap (version 5): precision is a count of digits to print. */
#define MAX_PRECISION 100

#define TBIT(t) (1u << KV_CEL_T_##t)

typedef struct {
	char verb;
	unsigned accepts; /* TBIT of each type the verb takes */
	const char *rule; /* what the error says the verb takes */
} verb_info;

static const verb_info verbs[] = {
	{'s',
	 TBIT(NULL) | TBIT(BOOL) | TBIT(INT) | TBIT(UINT) | TBIT(DOUBLE) | TBIT(STRING) | TBIT(BYTES) |
		 TBIT(LIST) | TBIT(MAP) | TBIT(TYPE) | TBIT(DURATION) | TBIT(TIMESTAMP),
	 "string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, "
	 "durations, and timestamps"},
	{'d', TBIT(INT) | TBIT(UINT) | TBIT(DOUBLE), "decimal clause can only be used on ints, uints, and doubles"},
	{'f', TBIT(INT) | TBIT(UINT) | TBIT(DOUBLE), "fixed-point clause can only be used on ints, uints, and doubles"},
	{'e', TBIT(INT) | TBIT(UINT) | TBIT(DOUBLE), "scientific clause can only be used on ints, uints, and doubles"},
	{'b', TBIT(BOOL) | TBIT(INT) | TBIT(UINT), "only ints, uints, and bools can be formatted as binary"},
	{'o', TBIT(INT) | TBIT(UINT), "octal clause can only be used on ints and uints"},
	{'x', TBIT(INT) | TBIT(UINT) | TBIT(STRING) | TBIT(BYTES),
	 "only ints, uints, bytes, and strings can be formatted as hex"},
	{'X', TBIT(INT) | TBIT(UINT) | TBIT(STRING) | TBIT(BYTES),
	 "only ints, uints, bytes, and strings can be formatted as hex"},
};

typedef struct {
	const verb_info *verb;
	int precision; /* 6 when the clause gives none */
	size_t len;    /* bytes of the clause after the '%' */
} clause;

/* The precision digits at s[0..n) after the '.': their count in *len. */
static int parse_precision(const char *s, size_t n, clause *cl, size_t *len, char *why, size_t whysize)
{
	size_t i = 0;
	long value = 0;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		if (value <= MAX_PRECISION)
			value = value * 10 + (s[i] - '0');
	if (i == n)
		snprintf(why, whysize, "could not find end of precision specifier");
	else if (i == 0)
		snprintf(why, whysize, "the precision after '.' has no digits");
	else if (value > MAX_PRECISION)
		snprintf(why, whysize, "precision %.*s exceeds maximum allowed precision %d", (int)(i < 20 ? i : 20),
			 s, MAX_PRECISION);
	else {
		cl->precision = (int)value;
		*len = i;
		return 0;
	}
	return -1;
}

/* Parses the clause after a '%' at s[0..n). Returns 0, or -1 with the error in why. */
static int parse_clause(const char *s, size_t n, clause *cl, char *why, size_t whysize)
{
	char detail[120];
	size_t i = 0, digits;
	if (n == 0) {
		snprintf(why, whysize, "unexpected end of string: the format ends with a lone '%%'");
		return -1;
	}
	cl->precision = 6;
	if (s[0] == '.') {
		if (parse_precision(s + 1, n - 1, cl, &digits, detail, sizeof detail) != 0) {
			snprintf(why, whysize, "could not parse formatting clause: error while parsing precision: %s", detail);
			return -1;
		}
		i = 1 + digits;
	}
	for (size_t v = 0; v < sizeof verbs / sizeof verbs[0]; v++) {
		if (s[i] == verbs[v].verb) {
			cl->verb = &verbs[v];
			cl->len = i + 1;
			return 0;
		}
	}
	size_t len = seq_len((unsigned char)s[i]);
	snprintf(why, whysize, "could not parse formatting clause: unrecognized formatting clause \"%.*s\"",
		 (int)(len <= n - i ? len : n - i), s + i);
	return -1;
}

enum { STEP_END, STEP_TEXT, STEP_CLAUSE };

/* The next piece of the format s[0..n) from *i: text to copy (s[*at..*at+*len)), or a clause
 * whose body starts at *at (the caller parses it and moves *i past it). */
static int next_step(const char *s, size_t n, size_t *i, size_t *at, size_t *len)
{
	if (*i >= n)
		return STEP_END;
	const char *pct = memchr(s + *i, '%', n - *i);
	size_t p = pct ? (size_t)(pct - s) : n;
	*at = *i;
	if (p > *i) {
		*len = p - *i;
		*i = p;
		return STEP_TEXT;
	}
	if (p + 1 < n && s[p + 1] == '%') {
		*len = 1;
		*i = p + 2;
		return STEP_TEXT;
	}
	*at = p + 1;
	return STEP_CLAUSE;
}

/* One format call in progress. Every byte written is charged; the first problem (a bad
 * argument, the budget, the size cap) stops it, with the error in err. */
typedef struct {
	kv_cel_call *c;
	uint64_t pending; /* bytes written but not yet charged (under 16) */
	bool failed;
	kv_cel_val err;
} formatter;

static bool fail(formatter *f, kv_cel_val err)
{
	f->failed = true;
	f->err = err;
	return false;
}

/* Charges for n more bytes in b and one step for the value; false when the run is over. */
static bool account(formatter *f, const kv_buf *b, size_t n)
{
	if (f->failed)
		return false;
	f->pending += n;
	bool ok = kv_cel_charge(f->c->r, 1 + f->pending / 16);
	f->pending %= 16;
	if (!ok)
		return fail(f, budget(f->c));
	if (b->len > MAX_RESULT)
		return fail(f, too_large(f->c));
	return true;
}

static bool emit(formatter *f, kv_buf *b, const char *s, size_t n)
{
	put(b, s, n);
	return account(f, b, n);
}

static bool bad_arg(formatter *f, const verb_info *v, const kv_cel_val *arg)
{
	return fail(f, kv_cel_errorf(f->c->r, KV_CEL_E_INVALID_ARG, f->c->pos,
				     "error during formatting: %s, was given %s", v->rule,
				     kv_cel_vtype_name((kv_cel_vtype)arg->type)));
}

/* Go's strconv.FormatFloat(d, 'f', -1, 64) for finite d: the shortest digits that read back,
 * written without an exponent (1e21 as 1000000000000000000000, 1e-7 as 0.0000001). */
static void put_shortest_fixed(kv_buf *b, double d)
{
	char tmp[40], digits[20];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	/* tmp is [-]D[.DDD]e±XX */
	const char *p = tmp;
	size_t nd = 0;
	if (*p == '-')
		kv_buf_putc(b, *p++);
	for (; *p != 'e'; p++)
		if (*p != '.')
			digits[nd++] = *p;
	long exp = strtol(p + 1, NULL, 10);
	if (exp >= (long)nd - 1) {
		kv_buf_add(b, digits, nd);
		for (long z = exp - ((long)nd - 1); z > 0; z--)
			kv_buf_putc(b, '0');
	} else if (exp >= 0) {
		kv_buf_add(b, digits, (size_t)exp + 1);
		kv_buf_putc(b, '.');
		kv_buf_add(b, digits + exp + 1, nd - (size_t)exp - 1);
	} else {
		kv_buf_puts(b, "0.");
		for (long z = -exp - 1; z > 0; z--)
			kv_buf_putc(b, '0');
		kv_buf_add(b, digits, nd);
	}
}

/* NaN and the infinities as format writes them; false for a finite d. */
static bool put_special(kv_buf *b, double d)
{
	if (isnan(d))
		kv_buf_puts(b, "NaN");
	else if (isinf(d))
		kv_buf_puts(b, d < 0 ? "-Infinity" : "Infinity");
	else
		return false;
	return true;
}

static void put_double(kv_buf *b, double d)
{
	if (!put_special(b, d))
		put_shortest_fixed(b, d);
}

/* A duration as Go's Duration.Seconds() printed shortest: "6347s", "1.5s", "-0.000000001s". */
static void put_duration(kv_buf *b, int64_t nanos)
{
	double secs = (double)(nanos / 1000000000) + (double)(nanos % 1000000000) / 1e9;
	put_shortest_fixed(b, secs);
	kv_buf_putc(b, 's');
}

/* Bytes for %s: valid UTF-8 is copied; each byte that does not start a valid sequence
 * becomes U+FFFD, since a string must stay valid UTF-8. */
static void put_bytes_text(kv_buf *b, const char *s, size_t n)
{
	size_t i = 0, bad;
	while (i < n) {
		size_t k = seq_len((unsigned char)s[i]);
		if (k <= n - i && kv_utf8_valid(s + i, k, &bad)) {
			kv_buf_add(b, s + i, k);
			i += k;
		} else {
			kv_buf_puts(b, "\xEF\xBF\xBD");
			i++;
		}
	}
}

static bool fmt_string(formatter *f, kv_buf *b, const kv_cel_val *v);

static bool fmt_list(formatter *f, kv_buf *b, const kv_cel_val *v)
{
	size_t n = kv_cel_list_len(v);
	if (!emit(f, b, "[", 1))
		return false;
	for (size_t i = 0; i < n; i++) {
		kv_cel_val item = kv_cel_list_at(v, i);
		if ((i && !emit(f, b, ", ", 2)) || !fmt_string(f, b, &item))
			return false;
	}
	return emit(f, b, "]", 1);
}

/* A map entry's key and value as text, in a scratch buffer. */
typedef struct {
	size_t key, keylen, val, vallen, order;
	const char *text;
} map_entry;

static int entry_cmp(const void *pa, const void *pb)
{
	const map_entry *a = pa, *b = pb;
	size_t n = a->keylen < b->keylen ? a->keylen : b->keylen;
	int r = n ? memcmp(a->text + a->key, b->text + b->key, n) : 0;
	if (r == 0)
		r = a->keylen < b->keylen ? -1 : a->keylen > b->keylen;
	if (r == 0)
		r = a->order < b->order ? -1 : a->order > b->order;
	return r;
}

/* Formats every key and value of m into scratch; the count in *n. */
static bool map_entries(formatter *f, const kv_cel_val *m, kv_buf *scratch, map_entry *e, size_t *n)
{
	kv_cel_val k, v;
	size_t i = 0;
	for (size_t it = 0; i < *n && kv_cel_map_next(m, &it, &k, &v); i++) {
		e[i].order = i;
		e[i].key = scratch->len;
		if (!fmt_string(f, scratch, &k))
			return false;
		e[i].keylen = scratch->len - e[i].key;
		e[i].val = scratch->len;
		if (!fmt_string(f, scratch, &v))
			return false;
		e[i].vallen = scratch->len - e[i].val;
	}
	*n = i;
	return true;
}

/* {k: v, ...} with the entries sorted by the text of their keys, as cel-go prints maps. */
static bool fmt_map(formatter *f, kv_buf *b, const kv_cel_val *m)
{
	if (m->rep == KV_CEL_REP_LAZY)
		return fail(f, kv_cel_errorf(f->c->r, KV_CEL_E_INVALID_ARG, f->c->pos,
					     "error during formatting: a map of lazily computed values (such as "
					     "variables) cannot be printed; format its entries instead"));
	size_t n = kv_cel_map_len(m);
	map_entry *e = kv_xcalloc(n ? n : 1, sizeof *e);
	kv_buf scratch = KV_BUF_INIT;
	bool ok = map_entries(f, m, &scratch, e, &n) && emit(f, b, "{", 1);
	const char *text = kv_buf_cstr(&scratch);
	for (size_t i = 0; i < n; i++)
		e[i].text = text;
	qsort(e, n, sizeof *e, entry_cmp);
	for (size_t i = 0; ok && i < n; i++) {
		ok = (!i || emit(f, b, ", ", 2)) && emit(f, b, text + e[i].key, e[i].keylen) &&
		     emit(f, b, ": ", 2) && emit(f, b, text + e[i].val, e[i].vallen);
	}
	ok = ok && emit(f, b, "}", 1);
	kv_buf_free(&scratch);
	free(e);
	return ok;
}

/* %s: any value the verb takes, recursively for lists and maps. */
static bool fmt_string(formatter *f, kv_buf *b, const kv_cel_val *v)
{
	size_t start = b->len;
	switch ((kv_cel_vtype)v->type) {
	case KV_CEL_T_NULL: kv_buf_puts(b, "null"); break;
	case KV_CEL_T_BOOL: kv_buf_puts(b, v->u.b ? "true" : "false"); break;
	case KV_CEL_T_INT: kv_buf_printf(b, "%lld", (long long)v->u.i); break;
	case KV_CEL_T_UINT: kv_buf_printf(b, "%llu", (unsigned long long)v->u.u); break;
	case KV_CEL_T_DOUBLE: put_double(b, v->u.d); break;
	case KV_CEL_T_STRING: put(b, v->u.s, v->len); break;
	case KV_CEL_T_BYTES: put_bytes_text(b, v->u.s, v->len); break;
	case KV_CEL_T_TYPE: kv_buf_puts(b, kv_cel_vtype_name((kv_cel_vtype)v->rep)); break;
	case KV_CEL_T_DURATION: put_duration(b, v->u.i); break;
	case KV_CEL_T_TIMESTAMP: kv_cel_fmt_timestamp(b, v->u.i, v->len); break;
	case KV_CEL_T_LIST: return fmt_list(f, b, v);
	case KV_CEL_T_MAP: return fmt_map(f, b, v);
	default: return bad_arg(f, &verbs[0], v);
	}
	return account(f, b, b->len - start);
}

/* Digits of mag in base (2, 8 or 16), after a '-' when neg. */
static void put_radix(kv_buf *b, bool neg, uint64_t mag, unsigned base, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[72];
	size_t i = sizeof tmp;
	do {
		tmp[--i] = digits[mag % base];
		mag /= base;
	} while (mag);
	if (neg)
		tmp[--i] = '-';
	kv_buf_add(b, tmp + i, sizeof tmp - i);
}

/* %b %o %x %X: an int in signed magnitude ("-ff", as Go prints it), a uint, a bool (%b) or
 * the bytes of a string or bytes value in hex (%x %X). */
static void fmt_radix(kv_buf *b, char verb, const kv_cel_val *v)
{
	unsigned base = verb == 'b' ? 2 : verb == 'o' ? 8 : 16;
	bool upper = verb == 'X';
	switch ((kv_cel_vtype)v->type) {
	case KV_CEL_T_BOOL: kv_buf_putc(b, v->u.b ? '1' : '0'); break;
	case KV_CEL_T_INT:
		put_radix(b, v->u.i < 0, v->u.i < 0 ? 0 - (uint64_t)v->u.i : (uint64_t)v->u.i, base, upper);
		break;
	case KV_CEL_T_UINT: put_radix(b, false, v->u.u, base, upper); break;
	default:
		for (size_t i = 0; i < v->len; i++)
			kv_buf_printf(b, upper ? "%02X" : "%02x", (unsigned char)v->u.s[i]);
		break;
	}
}

/* %f and %e: ints and uints as doubles, NaN and the infinities by name. */
static void fmt_float(kv_buf *b, char verb, int precision, const kv_cel_val *v)
{
	double d = v->type == KV_CEL_T_INT ? (double)v->u.i : v->type == KV_CEL_T_UINT ? (double)v->u.u : v->u.d;
	if (put_special(b, d))
		return;
	kv_buf_printf(b, verb == 'f' ? "%.*f" : "%.*e", precision, d);
}

/* Formats one argument by its clause. */
static bool fmt_clause(formatter *f, kv_buf *b, const clause *cl, const kv_cel_val *arg)
{
	if (!(cl->verb->accepts & (1u << arg->type)))
		return bad_arg(f, cl->verb, arg);
	size_t start = b->len;
	switch (cl->verb->verb) {
	case 's': return fmt_string(f, b, arg);
	case 'd':
		if (arg->type == KV_CEL_T_DOUBLE)
			put_double(b, arg->u.d);
		else if (arg->type == KV_CEL_T_INT)
			kv_buf_printf(b, "%lld", (long long)arg->u.i);
		else
			kv_buf_printf(b, "%llu", (unsigned long long)arg->u.u);
		break;
	case 'f':
	case 'e': fmt_float(b, cl->verb->verb, cl->precision, arg); break;
	default: fmt_radix(b, cl->verb->verb, arg); break;
	}
	return account(f, b, b->len - start);
}

static kv_cel_val format_error(kv_cel_call *c, kv_cel_errcode code, const char *why)
{
	return kv_cel_errorf(c->r, code, c->pos, "%s", why);
}

/* The clause at *at of the format, for argument argi of the list args. */
static bool format_one(formatter *f, kv_buf *b, const kv_cel_val *fmt, size_t *i, size_t at,
		       const kv_cel_val *args, size_t argi)
{
	char why[200];
	clause cl;
	size_t nargs = kv_cel_list_len(args);
	if (argi >= nargs) {
		snprintf(why, sizeof why, "index %zu out of range: the format has more clauses than the %zu "
			 "argument%s in the list", argi, nargs, nargs == 1 ? "" : "s");
		return fail(f, format_error(f->c, KV_CEL_E_RANGE, why));
	}
	if (parse_clause(fmt->u.s + at, fmt->len - at, &cl, why, sizeof why) != 0)
		return fail(f, format_error(f->c, KV_CEL_E_INVALID_ARG, why));
	*i = at + cl.len;
	kv_cel_val arg = kv_cel_list_at(args, argi);
	return fmt_clause(f, b, &cl, &arg);
}

/* fmt.format(args): see the comment above MAX_PRECISION. */
static kv_cel_val fn_format(kv_cel_call *c)
{
	if (!sig_is(c, "sl"))
		return kv_cel_no_overload(c);
	const kv_cel_val *fmt = A(0);
	formatter f = {.c = c};
	kv_buf b = KV_BUF_INIT;
	size_t i = 0, at, len, argi = 0;
	for (int step; (step = next_step(fmt->u.s, fmt->len, &i, &at, &len)) != STEP_END;) {
		bool ok = step == STEP_TEXT ? emit(&f, &b, fmt->u.s + at, len)
					    : format_one(&f, &b, fmt, &i, at, A(1), argi++);
		if (!ok)
			break;
	}
	kv_cel_val v = f.failed ? f.err : kv_cel_string_buf(c->r, &b, false);
	kv_buf_free(&b);
	return v;
}

/* The type of a literal argument node, or KV_CEL_T_DYN when it is not a literal. */
static unsigned literal_type(const kv_cel_node *n)
{
	switch ((kv_cel_kind)n->kind) {
	case KV_CEL_NULL: return KV_CEL_T_NULL;
	case KV_CEL_BOOL: return KV_CEL_T_BOOL;
	case KV_CEL_INT: return KV_CEL_T_INT;
	case KV_CEL_UINT: return KV_CEL_T_UINT;
	case KV_CEL_DOUBLE: return KV_CEL_T_DOUBLE;
	case KV_CEL_STRING: return KV_CEL_T_STRING;
	case KV_CEL_BYTES: return KV_CEL_T_BYTES;
	case KV_CEL_LIST: return KV_CEL_T_LIST;
	case KV_CEL_MAP: return KV_CEL_T_MAP;
	default: return KV_CEL_T_DYN;
	}
}

static bool has_optional_items(const kv_cel_node *list)
{
	for (uint32_t i = 0; list->opt && i < list->nkids; i++)
		if (list->opt[i] & KV_CEL_F_OPTIONAL)
			return true;
	return false;
}

/* Checks one clause of a constant format against the literal list items. */
static int check_clause(const kv_cel_node *fmt, const kv_cel_node *list, size_t *i, size_t at,
			size_t argi, char *msg, size_t msgsize, uint32_t *pos)
{
	clause cl;
	*pos = fmt->pos;
	if (argi >= list->nkids) {
		snprintf(msg, msgsize, "index %zu out of range: the format has more clauses than the %u "
			 "argument%s in the list", argi, list->nkids, list->nkids == 1 ? "" : "s");
		return -1;
	}
	if (parse_clause(fmt->str + at, fmt->len - at, &cl, msg, msgsize) != 0)
		return -1;
	*i = at + cl.len;
	unsigned t = literal_type(list->kids[argi]);
	if (t == KV_CEL_T_DYN || (cl.verb->accepts & (1u << t)))
		return 0;
	*pos = list->kids[argi]->pos;
	snprintf(msg, msgsize, "error during formatting: %s, was given %s", cl.verb->rule,
		 kv_cel_vtype_name((kv_cel_vtype)t));
	return -1;
}

/* Compile-time check of "constant format".format([list literal]), as cel-go's validator does
 * for checked expressions: the clauses parse, each has an argument of a type it takes, and no
 * argument goes unused. Other calls are left to run time. */
static int prepare_format(const kv_cel_node *const *args, size_t nargs, const void **aux, char *msg,
			  size_t msgsize, uint32_t *pos)
{
	(void)aux;
	if (nargs != 2 || args[0]->kind != KV_CEL_STRING || args[1]->kind != KV_CEL_LIST ||
	    has_optional_items(args[1]))
		return 0;
	const kv_cel_node *fmt = args[0], *list = args[1];
	size_t i = 0, at, len, argi = 0;
	for (int step; (step = next_step(fmt->str, fmt->len, &i, &at, &len)) != STEP_END;)
		if (step == STEP_CLAUSE && check_clause(fmt, list, &i, at, argi++, msg, msgsize, pos) != 0)
			return -1;
	if (argi < list->nkids) {
		*pos = list->kids[argi]->pos;
		snprintf(msg, msgsize, "too many arguments supplied to string.format (expected %zu, got %u)",
			 argi, list->nkids);
		return -1;
	}
	return 0;
}

const kv_cel_fn kv_cel_lib_strings[] = {
	{"charAt", KV_CEL_FN_METHOD, 2, 2, KV_CEL_T_STRING, fn_char_at, NULL, NULL},
	{"indexOf", KV_CEL_FN_METHOD, 2, 3, KV_CEL_T_STRING, fn_index_of, NULL, NULL},
	{"lastIndexOf", KV_CEL_FN_METHOD, 2, 3, KV_CEL_T_STRING, fn_last_index_of, NULL, NULL},
	{"lowerAscii", KV_CEL_FN_METHOD, 1, 1, KV_CEL_T_STRING, fn_lower_ascii, NULL, NULL},
	{"upperAscii", KV_CEL_FN_METHOD, 1, 1, KV_CEL_T_STRING, fn_upper_ascii, NULL, NULL},
	{"replace", KV_CEL_FN_METHOD, 3, 4, KV_CEL_T_STRING, fn_replace, NULL, NULL},
	{"split", KV_CEL_FN_METHOD, 2, 3, KV_CEL_T_STRING, fn_split, NULL, NULL},
	{"substring", KV_CEL_FN_METHOD, 2, 3, KV_CEL_T_STRING, fn_substring, NULL, NULL},
	{"trim", KV_CEL_FN_METHOD, 1, 1, KV_CEL_T_STRING, fn_trim, NULL, NULL},
	{"reverse", KV_CEL_FN_METHOD, 1, 1, KV_CEL_T_STRING, fn_reverse, NULL, NULL},
	{"join", KV_CEL_FN_METHOD, 1, 2, KV_CEL_T_LIST, fn_join, NULL, NULL},
	{"format", KV_CEL_FN_METHOD, 2, 2, KV_CEL_T_STRING, fn_format, prepare_format, NULL},
	{"strings.quote", KV_CEL_FN_GLOBAL, 1, 1, KV_CEL_T_ANY, fn_quote, NULL, NULL},
	{NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
