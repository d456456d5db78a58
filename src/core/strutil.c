/* strutil.c: UTF-8 checks, glob matching, path joining and edit distance. */
#include "kvet/strutil.h"

#include "kvet/alloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Length of the UTF-8 sequence starting at s, or 0 when it is malformed. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	size_t len;
	uint32_t min, cp;
	if ((c & 0xE0) == 0xC0) {
		len = 2, min = 0x80, cp = c & 0x1F;
	} else if ((c & 0xF0) == 0xE0) {
		len = 3, min = 0x800, cp = c & 0x0F;
	} else if ((c & 0xF8) == 0xF0) {
		len = 4, min = 0x10000, cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

bool kv_utf8_valid(const char *s, size_t n, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		/* Fast path over ASCII, eight bytes at a time. */
		while (i + 8 <= n) {
			uint64_t w;
			memcpy(&w, p + i, 8);
			if (w & 0x8080808080808080ULL)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		size_t len = utf8_seq(p + i, n - i);
		if (!len) {
			if (bad)
				*bad = i;
			return false;
		}
		i += len;
	}
	return true;
}

size_t kv_utf8_count(const char *s, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			count++;
	return count;
}

size_t kv_utf8_col_offset(const char *line, size_t n, uint32_t col)
{
	size_t i = 0;
	for (uint32_t c = 1; c < col && i < n; c++) {
		i++;
		while (i < n && ((unsigned char)line[i] & 0xC0) == 0x80)
			i++;
	}
	return i;
}

size_t kv_utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Matches one character class starting after '['; *pp is left after the closing ']'.
 * A class with no closing bracket is taken literally as '['. */
static bool class_match(const char **pp, char c, bool *ok)
{
	const char *p = *pp;
	bool negate = *p == '!' || *p == '^';
	if (negate)
		p++;
	bool matched = false;
	const char *start = p;
	while (*p && (*p != ']' || p == start)) {
		if (p[1] == '-' && p[2] && p[2] != ']') {
			if (c >= p[0] && c <= p[2])
				matched = true;
			p += 3;
		} else {
			if (*p == c)
				matched = true;
			p++;
		}
	}
	if (*p != ']') {
		*ok = false;
		return false;
	}
	*ok = true;
	*pp = p + 1;
	return matched != negate;
}

/* Glob match within one segment: pattern [p, pe) against text [t, te). Iterative with one
 * backtrack point for '*', so hostile patterns stay linear-ish. */
static bool segment_match(const char *p, const char *pe, const char *t, const char *te)
{
	const char *star_p = NULL, *star_t = NULL;
	while (t < te) {
		if (p < pe && *p == '*') {
			star_p = ++p;
			star_t = t;
			continue;
		}
		if (p < pe && *p == '[') {
			const char *q = p + 1;
			bool ok;
			bool m = class_match(&q, *t, &ok);
			if (ok && q <= pe) {
				if (m) {
					p = q;
					t++;
					continue;
				}
				goto backtrack;
			}
		}
		if (p < pe && (*p == '?' || *p == *t)) {
			p++;
			t++;
			continue;
		}
	backtrack:
		if (!star_p)
			return false;
		p = star_p;
		t = ++star_t;
	}
	while (p < pe && *p == '*')
		p++;
	return p == pe;
}

static const char *seg_end(const char *s)
{
	const char *e = strchr(s, '/');
	return e ? e : s + strlen(s);
}

/* Matches pattern segments against path segments, with `**` spanning segments. With prefix,
 * the pattern need only match the path's leading segments (a folder and what is below it). */
static bool path_match(const char *p, const char *t, bool prefix)
{
	for (;;) {
		if (!*p)
			return prefix || !*t;
		const char *pe = seg_end(p);
		if (pe - p == 2 && p[0] == '*' && p[1] == '*') {
			const char *rest = *pe ? pe + 1 : pe;
			if (!*rest)
				return true;
			for (const char *q = t;;) {
				if (path_match(rest, q, prefix))
					return true;
				const char *qe = seg_end(q);
				if (!*qe)
					return false;
				q = qe + 1;
			}
		}
		if (!*t)
			return false;
		const char *te = seg_end(t);
		if (!segment_match(p, pe, t, te))
			return false;
		p = *pe ? pe + 1 : pe;
		t = *te ? te + 1 : te;
		if (!*p && *t && !prefix)
			return false;
	}
}

/* True when any one segment of path matches the segment pattern [p, pe). */
static bool any_segment(const char *p, const char *pe, const char *path)
{
	for (const char *s = path;;) {
		const char *e = seg_end(s);
		if (segment_match(p, pe, s, e))
			return true;
		if (!*e)
			return false;
		s = e + 1;
	}
}

bool kv_glob_match(const char *pattern, const char *path)
{
	while (pattern[0] == '.' && pattern[1] == '/')
		pattern += 2;
	size_t plen = strlen(pattern);
	bool folder = plen > 1 && pattern[plen - 1] == '/';
	if (folder)
		plen--; /* a folder and everything below it */
	if (!memchr(pattern, '/', plen))
		return any_segment(pattern, pattern + plen, path); /* a name anywhere, as .gitignore */
	if (pattern[0] == '/')
		pattern++, plen--;
	if (!folder)
		return path_match(pattern, path, false);
	char small[256];
	char *copy = plen < sizeof small ? small : kv_xmalloc(plen + 1);
	memcpy(copy, pattern, plen);
	copy[plen] = '\0';
	bool m = path_match(copy, path, true);
	if (copy != small)
		free(copy);
	return m;
}

char *kv_path_join(const char *a, const char *b)
{
	while (b[0] == '.' && b[1] == '/')
		b += 2;
	if (!*a || (a[0] == '.' && !a[1]))
		return kv_xstrdup(b);
	if (!*b)
		return kv_xstrdup(a);
	size_t al = strlen(a), bl = strlen(b);
	while (al > 1 && a[al - 1] == '/')
		al--;
	if (al == 1 && a[0] == '/')
		al = 0; /* "/" joins as "/b", not "//b" */
	char *p = kv_xmalloc(al + bl + 2);
	memcpy(p, a, al);
	p[al] = '/';
	memcpy(p + al + 1, b, bl + 1);
	return p;
}

char *kv_path_normalize(const char *path)
{
	char *out = kv_xmalloc(strlen(path) + 1);
	size_t n = 0;
	const char *p = path;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			if (!n) {
				free(out);
				return NULL;
			}
			while (n && out[n - 1] != '/')
				n--;
			if (n)
				n--;
		} else if (len && !(len == 1 && p[0] == '.')) {
			if (n)
				out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
		}
		p += len;
		if (*p == '/')
			p++;
	}
	out[n] = '\0';
	return out;
}

bool kv_str_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

bool kv_path_is_manifest(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (!dot)
		return false;
	return strcasecmp(dot, ".yaml") == 0 || strcasecmp(dot, ".yml") == 0 ||
	       strcasecmp(dot, ".json") == 0;
}

bool kv_is_templated(const char *s, size_t n)
{
	for (size_t i = 0; i + 3 < n; i++) {
		if (s[i] != '$')
			continue;
		if (s[i + 1] == '$') {
			i++; /* "$$" escapes: the next "$" is literal */
			continue;
		}
		if (s[i + 1] == '{' && (isalpha((unsigned char)s[i + 2]) || s[i + 2] == '_') &&
		    memchr(s + i + 2, '}', n - i - 2))
			return true;
	}
	return false;
}

static unsigned min3(unsigned a, unsigned b, unsigned c)
{
	unsigned m = a < b ? a : b;
	return m < c ? m : c;
}

/* Optimal string alignment: Levenshtein plus adjacent transpositions at cost one, since
 * swapped letters are the commonest typo. Three rows: i-2, i-1 and i. */
unsigned kv_edit_distance(const char *a, size_t an, const char *b, size_t bn, unsigned max)
{
	if (an > 64 || bn > 64)
		return max + 1;
	if ((an > bn ? an - bn : bn - an) > max)
		return max + 1;
	unsigned rows[3][65];
	unsigned *two = rows[0], *prev = rows[1], *cur = rows[2];
	for (size_t j = 0; j <= bn; j++)
		prev[j] = (unsigned)j;
	unsigned prev_min = 0;
	for (size_t i = 1; i <= an; i++) {
		cur[0] = (unsigned)i;
		unsigned row_min = cur[0];
		char ca = (char)tolower((unsigned char)a[i - 1]);
		for (size_t j = 1; j <= bn; j++) {
			char cb = (char)tolower((unsigned char)b[j - 1]);
			unsigned v = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb));
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && two[j - 2] + 1 < v)
				v = two[j - 2] + 1;
			cur[j] = v;
			if (v < row_min)
				row_min = v;
		}
		/* Later cells come from this row or, by a transposition, from the one before. */
		if (row_min > max && prev_min + 1 > max)
			return max + 1;
		prev_min = row_min;
		unsigned *t = two;
		two = prev;
		prev = cur;
		cur = t;
	}
	return prev[bn] <= max ? prev[bn] : max + 1;
}

int kv_parse_size(uint64_t *out, const char *s)
{
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {
		{"", 1}, {"b", 1}, {"k", 1000}, {"kb", 1000}, {"ki", 1024}, {"kib", 1024},
		{"m", 1000000}, {"mb", 1000000}, {"mi", 1 << 20}, {"mib", 1 << 20},
		{"g", 1000000000}, {"gb", 1000000000}, {"gi", 1 << 30}, {"gib", 1 << 30},
	};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcasecmp(end, units[i].suffix) == 0) {
			if (v > UINT64_MAX / units[i].mult)
				return -1;
			*out = v * units[i].mult;
			return 0;
		}
	}
	return -1;
}

bool kv_text_line(const char *text, size_t len, uint32_t line, const char **start, size_t *n)
{
	const char *p = text, *end = text + len;
	for (uint32_t l = 1; l < line; l++) {
		p = memchr(p, '\n', (size_t)(end - p));
		if (!p)
			return false;
		p++;
	}
	if (!line || p > end)
		return false;
	const char *e = memchr(p, '\n', (size_t)(end - p));
	*start = p;
	*n = e ? (size_t)(e - p) : (size_t)(end - p);
	if (*n && p[*n - 1] == '\r')
		(*n)--;
	return true;
}
