/* build.c: node construction shared by the loaders: YAML 1.1 scalar resolution with the
 * hazards YAML 1.2 reads differently, and map finishing with duplicate-key detection. */
#include "build.h"

#include "kvet/alloc.h"
#include "kvet/sort.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

kv_node *kv_build_node(kv_arena *a, kv_type type, uint32_t line, uint32_t col)
{
	kv_node *n = kv_arena_alloc(a, sizeof *n);
	memset(n, 0, sizeof *n);
	n->type = (uint8_t)type;
	n->line = line;
	n->col = col;
	return n;
}

kv_node *kv_build_string(kv_arena *a, const char *s, size_t len, uint32_t line, uint32_t col)
{
	kv_node *n = kv_build_node(a, KV_STRING, line, col);
	n->u.s = kv_arena_strndup(a, s, len);
	n->len = (uint32_t)len;
	return n;
}

static bool in_list(const char *s, size_t len, const char *const *list)
{
	for (; *list; list++)
		if (strlen(*list) == len && memcmp(*list, s, len) == 0)
			return true;
	return false;
}

static const char *const nulls[] = {"~", "null", "Null", "NULL", NULL};
static const char *const trues[] = {"true", "True", "TRUE", NULL};
static const char *const falses[] = {"false", "False", "FALSE", NULL};
/* YAML 1.1 booleans that YAML 1.2 reads as strings. */
static const char *const trues11[] = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON", NULL};
static const char *const falses11[] = {"n", "N", "no", "No", "NO", "off", "Off", "OFF", NULL};

/* Integer syntax as go-yaml v2 accepts it: strconv.ParseInt(base 0) after removing '_'. */
static bool parse_int(const char *s, size_t len, int64_t *out, bool *yaml11, bool *overflow)
{
	char buf[80];
	size_t n = 0;
	bool underscore = false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '_') {
			underscore = true;
			continue;
		}
		if (n + 1 >= sizeof buf)
			return false;
		buf[n++] = s[i];
	}
	buf[n] = '\0';
	const char *p = buf;
	bool neg = false;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	int base = 10;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16, p += 2;
	else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
		base = 2, p += 2, *yaml11 = true;
	else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
		base = 8, p += 2;
	else if (p[0] == '0' && p[1])
		base = 8, p += 1, *yaml11 = true;
	if (!*p)
		return false;
	uint64_t v = 0;
	for (; *p; p++) {
		int d;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			return false;
		if (d >= base)
			return false;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) {
			*overflow = true;
			return false;
		}
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX) {
		*overflow = true;
		return false;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	*yaml11 = *yaml11 || underscore;
	return true;
}

/* YAML 1.1 float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? and .inf/.nan forms. */
static bool parse_float(const char *s, size_t len, double *out)
{
	static const char *const infs[] = {".inf", ".Inf", ".INF", NULL};
	static const char *const nans[] = {".nan", ".NaN", ".NAN", NULL};
	const char *p = s, *end = s + len;
	bool neg = false;
	if (p < end && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	if (in_list(p, (size_t)(end - p), infs)) {
		*out = neg ? -INFINITY : INFINITY;
		return true;
	}
	if (p == s && in_list(p, len, nans)) {
		*out = NAN;
		return true;
	}
	const char *q = p;
	size_t digits = 0;
	while (q < end && ((*q >= '0' && *q <= '9') || *q == '_'))
		q++, digits++;
	if (q < end && *q == '.') {
		q++;
		while (q < end && ((*q >= '0' && *q <= '9') || *q == '_'))
			q++, digits++;
	}
	if (!digits)
		return false;
	if (q < end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < end && (*q == '+' || *q == '-'))
			q++;
		const char *e = q;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
		if (q == e)
			return false;
	}
	if (q != end || len > 64)
		return false;
	char buf[80];
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] != '_')
			buf[n++] = s[i];
	buf[n] = '\0';
	errno = 0;
	*out = strtod(buf, NULL);
	return true;
}

/* Only scalars starting with one of these can be anything but a string. */
static bool maybe_special(char c)
{
	switch (c) {
	case '~': case 'n': case 'N': case 't': case 'T': case 'f': case 'F': case 'y': case 'Y':
	case 'o': case 'O': case '-': case '+': case '.':
		return true;
	default:
		return c >= '0' && c <= '9';
	}
}

kv_node *kv_build_plain(kv_arena *a, const char *s, size_t len, uint32_t line, uint32_t col)
{
	kv_node *n;
	if (len == 0)
		return kv_build_node(a, KV_NULL, line, col);
	if (!maybe_special(s[0]) || len > 64)
		return kv_build_string(a, s, len, line, col);
	if (in_list(s, len, nulls))
		return kv_build_node(a, KV_NULL, line, col);
	bool t = in_list(s, len, trues), t11 = !t && in_list(s, len, trues11);
	bool f = !t && !t11 && in_list(s, len, falses), f11 = !t && !t11 && !f && in_list(s, len, falses11);
	if (t || t11 || f || f11) {
		n = kv_build_node(a, KV_BOOL, line, col);
		n->u.b = t || t11;
		n->flags = (t11 || f11) ? KV_NF_YAML11 : 0;
		return n;
	}
	char c = s[0];
	if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.') {
		int64_t i;
		bool yaml11 = false, overflow = false;
		if (parse_int(s, len, &i, &yaml11, &overflow)) {
			n = kv_build_node(a, KV_INT, line, col);
			n->u.i = i;
			n->flags = yaml11 ? KV_NF_YAML11 : 0;
			return n;
		}
		double d;
		if (parse_float(s, len, &d)) {
			n = kv_build_node(a, KV_DOUBLE, line, col);
			n->u.d = d;
			n->flags = overflow ? KV_NF_BIGNUM : 0;
			if (memchr(s, '_', len))
				n->flags |= KV_NF_YAML11;
			return n;
		}
	}
	return kv_build_string(a, s, len, line, col);
}

static int key_cmp(const void *pa, const void *pb)
{
	const kv_pair *a = *(const kv_pair *const *)pa, *b = *(const kv_pair *const *)pb;
	const kv_node *x = a->key, *y = b->key;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	int c = memcmp(x->u.s, y->u.s, x->len);
	if (c)
		return c;
	/* Equal keys keep source order, so the later one is reported. */
	return a < b ? -1 : a > b ? 1 : 0;
}

static bool same_key(const kv_node *x, const kv_node *y)
{
	return x->len == y->len && memcmp(x->u.s, y->u.s, x->len) == 0;
}

static void report_dup(kv_diags *diags, const kv_pair *first, kv_pair *later)
{
	if (diags)
		kv_diag(diags, KV_RULE_YAML_DUPLICATE_KEY, later->key->line, later->key->col, NULL,
			"the last value wins in kubectl and the API server; remove one",
			"duplicate key \"%s\" (first defined at line %u)", later->key->u.s,
			first->key->line);
	/* Mark the earlier entry for removal; the later value is the one that applies. */
	((kv_pair *)first)->key = NULL;
}

/* Small maps compare all pairs; larger ones sort pointers, so a hostile map with many keys
 * costs n log n, not n squared. */
static size_t find_duplicates(kv_pair *pairs, size_t n, kv_diags *diags)
{
	size_t dups = 0;
	if (n <= 16) {
		for (size_t i = 1; i < n; i++) {
			for (size_t j = 0; j < i; j++) {
				if (pairs[j].key && same_key(pairs[j].key, pairs[i].key)) {
					report_dup(diags, &pairs[j], &pairs[i]);
					dups++;
				}
			}
		}
		return dups;
	}
	kv_pair **idx = kv_xmalloc(n * sizeof *idx);
	for (size_t i = 0; i < n; i++)
		idx[i] = &pairs[i];
	kv_sort(idx, n, sizeof *idx, key_cmp);
	for (size_t i = 1; i < n; i++) {
		if (same_key(idx[i - 1]->key, idx[i]->key)) {
			report_dup(diags, idx[i - 1], idx[i]);
			dups++;
		}
	}
	free(idx);
	return dups;
}

kv_node *kv_build_map(kv_arena *a, kv_pair *pairs, size_t n, uint32_t line, uint32_t col,
		      kv_diags *diags)
{
	kv_node *m = kv_build_node(a, KV_MAP, line, col);
	size_t dups = n > 1 ? find_duplicates(pairs, n, diags) : 0;
	kv_pair *out = kv_arena_alloc(a, sizeof *out * (n - dups ? n - dups : 1));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (pairs[i].key)
			out[k++] = pairs[i];
	m->u.pairs = out;
	m->len = (uint32_t)k;
	return m;
}
