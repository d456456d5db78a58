/* json.c: recursive-descent JSON parser. Columns count code points, as libyaml's do, and are
 * tracked incrementally so a minified one-line file stays linear. Recursion is capped by
 * limits.depth.
 *
 *   value  = object | array | string | number | "true" | "false" | "null"
 *   object = "{" [ string ":" value *( "," string ":" value ) ] "}"
 *   array  = "[" [ value *( "," value ) ] "]"
 */
#include "json.h"

#include "build.h"
#include "kvet/alloc.h"
#include "kvet/buf.h"
#include "kvet/strutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	const char *p, *end;
	uint32_t line, col;
	uint32_t depth;
	const kv_limits *lim;
	kv_arena *arena;
	kv_diags *diags;
	kv_buf str; /* decoding scratch */
	kv_pair *pairs; /* scratch for objects, used as a stack */
	size_t npairs, cappairs;
	kv_node **items;
	size_t nitems, capitems;
	bool failed;
} parser;

static void fail_at(parser *ps, uint32_t line, uint32_t col, const char *msg)
{
	if (!ps->failed)
		kv_diag(ps->diags, KV_RULE_YAML_SYNTAX, line, col, NULL, NULL, "%s", msg);
	ps->failed = true;
}

static void fail(parser *ps, const char *msg)
{
	fail_at(ps, ps->line, ps->col, msg);
}

static void advance(parser *ps)
{
	if (*ps->p == '\n') {
		ps->line++;
		ps->col = 1;
	} else if (((unsigned char)*ps->p & 0xC0) != 0x80) {
		ps->col++;
	}
	ps->p++;
}

static void skip_ws(parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		advance(ps);
}

static bool literal(parser *ps, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		advance(ps);
	return true;
}

static int hex4(const char *p, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* \uXXXX, with a surrogate pair combined into one code point. */
static int unicode_escape(parser *ps, kv_buf *b)
{
	uint32_t cp, lo, line = ps->line, col = ps->col;
	if (ps->end - ps->p < 6 || hex4(ps->p + 2, &cp) < 0) {
		fail(ps, "invalid \\u escape in string");
		return -1;
	}
	for (int i = 0; i < 6; i++)
		advance(ps);
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u' ||
		    hex4(ps->p + 2, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF) {
			fail_at(ps, line, col, "unpaired UTF-16 surrogate in \\u escape");
			return -1;
		}
		for (int i = 0; i < 6; i++)
			advance(ps);
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
	} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
		fail_at(ps, line, col, "unpaired UTF-16 surrogate in \\u escape");
		return -1;
	}
	char enc[4];
	kv_buf_add(b, enc, kv_utf8_encode(cp, enc));
	return 0;
}

static int escape(parser *ps, kv_buf *b)
{
	if (ps->end - ps->p < 2) {
		fail(ps, "unterminated string");
		return -1;
	}
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *k = strchr(from, ps->p[1]);
	if (ps->p[1] == 'u')
		return unicode_escape(ps, b);
	if (!k || !ps->p[1]) {
		fail(ps, "invalid escape in string");
		return -1;
	}
	kv_buf_putc(b, to[k - from]);
	advance(ps);
	advance(ps);
	return 0;
}

static kv_node *string(parser *ps)
{
	uint32_t line = ps->line, col = ps->col;
	kv_buf *b = &ps->str;
	kv_buf_truncate(b, 0);
	advance(ps); /* the opening quote */
	for (;;) {
		const char *run = ps->p;
		while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\\' &&
		       (unsigned char)*ps->p >= 0x20)
			advance(ps);
		kv_buf_add(b, run, (size_t)(ps->p - run));
		if (ps->p >= ps->end) {
			fail(ps, "unterminated string");
			return NULL;
		}
		if (*ps->p == '"')
			break;
		if (*ps->p != '\\') {
			fail(ps, "control character in string (escape it)");
			return NULL;
		}
		if (escape(ps, b) < 0)
			return NULL;
	}
	advance(ps);
	kv_node *n = kv_build_string(ps->arena, kv_buf_cstr(b), b->len, line, col);
	n->flags |= KV_NF_QUOTED;
	return n;
}

/* RFC 8259 number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? */
static kv_node *number(parser *ps)
{
	uint32_t line = ps->line, col = ps->col;
	const char *s = ps->p, *p = s;
	bool is_int = true;
	if (p < ps->end && *p == '-')
		p++;
	if (p < ps->end && *p == '0')
		p++;
	else if (p < ps->end && *p >= '1' && *p <= '9')
		while (p < ps->end && *p >= '0' && *p <= '9')
			p++;
	else
		goto bad;
	if (p < ps->end && *p == '.') {
		is_int = false;
		const char *d = ++p;
		while (p < ps->end && *p >= '0' && *p <= '9')
			p++;
		if (p == d)
			goto bad;
	}
	if (p < ps->end && (*p == 'e' || *p == 'E')) {
		is_int = false;
		p++;
		if (p < ps->end && (*p == '+' || *p == '-'))
			p++;
		const char *d = p;
		while (p < ps->end && *p >= '0' && *p <= '9')
			p++;
		if (p == d)
			goto bad;
	}
	while (ps->p < p)
		advance(ps);
	char buf[64];
	size_t n = (size_t)(p - s);
	if (n >= sizeof buf) {
		char *big = kv_xstrndup(s, n);
		kv_node *node = kv_build_node(ps->arena, KV_DOUBLE, line, col);
		node->u.d = strtod(big, NULL);
		node->flags = is_int ? KV_NF_BIGNUM : 0;
		free(big);
		return node;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (is_int) {
		char *end;
		errno = 0;
		long long v = strtoll(buf, &end, 10);
		if (!errno) {
			kv_node *node = kv_build_node(ps->arena, KV_INT, line, col);
			node->u.i = v;
			return node;
		}
	}
	kv_node *node = kv_build_node(ps->arena, KV_DOUBLE, line, col);
	node->u.d = strtod(buf, NULL);
	node->flags = is_int ? KV_NF_BIGNUM : 0;
	return node;
bad:
	fail(ps, "invalid number");
	return NULL;
}

static kv_node *value(parser *ps);

static bool enter(parser *ps)
{
	if (ps->depth >= ps->lim->depth) {
		if (!ps->failed)
			kv_diag(ps->diags, KV_RULE_LIMIT_DEPTH, ps->line, ps->col, NULL,
				"raise limits.depth if this is intended",
				"nesting deeper than %u levels", ps->lim->depth);
		ps->failed = true;
		return false;
	}
	ps->depth++;
	return true;
}

/* Members go on the shared pair stack; the map takes its slice when the object ends. */
static kv_node *object(parser *ps)
{
	uint32_t line = ps->line, col = ps->col;
	if (!enter(ps))
		return NULL;
	advance(ps);
	size_t base = ps->npairs;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		advance(ps);
	} else {
		for (;;) {
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != '"') {
				fail(ps, "expected a string key");
				return NULL;
			}
			kv_node *k = string(ps);
			if (!k)
				return NULL;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				fail(ps, "expected ':' after key");
				return NULL;
			}
			advance(ps);
			kv_node *v = value(ps);
			if (!v)
				return NULL;
			KV_GROW(ps->pairs, ps->cappairs, ps->npairs + 1);
			ps->pairs[ps->npairs++] = (kv_pair){k, v};
			skip_ws(ps);
			if (ps->p < ps->end && *ps->p == ',') {
				advance(ps);
				continue;
			}
			if (ps->p < ps->end && *ps->p == '}') {
				advance(ps);
				break;
			}
			fail(ps, "expected ',' or '}' in object");
			return NULL;
		}
	}
	/* The pair stack is NULL until the first member anywhere: no pointer arithmetic on it. */
	kv_node *m = kv_build_map(ps->arena, ps->npairs > base ? ps->pairs + base : NULL,
				  ps->npairs - base, line, col, ps->diags);
	ps->npairs = base;
	ps->depth--;
	return m;
}

static kv_node *array(parser *ps)
{
	uint32_t line = ps->line, col = ps->col;
	if (!enter(ps))
		return NULL;
	advance(ps);
	size_t base = ps->nitems;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		advance(ps);
	} else {
		for (;;) {
			kv_node *v = value(ps);
			if (!v)
				return NULL;
			KV_GROW(ps->items, ps->capitems, ps->nitems + 1);
			ps->items[ps->nitems++] = v;
			skip_ws(ps);
			if (ps->p < ps->end && *ps->p == ',') {
				advance(ps);
				continue;
			}
			if (ps->p < ps->end && *ps->p == ']') {
				advance(ps);
				break;
			}
			fail(ps, "expected ',' or ']' in array");
			return NULL;
		}
	}
	size_t n = ps->nitems - base;
	kv_node *list = kv_build_node(ps->arena, KV_LIST, line, col);
	list->u.items = kv_arena_alloc(ps->arena, sizeof(kv_node *) * (n ? n : 1));
	if (n)
		memcpy(list->u.items, ps->items + base, sizeof(kv_node *) * n);
	list->len = (uint32_t)n;
	ps->nitems = base;
	ps->depth--;
	return list;
}

static kv_node *value(parser *ps)
{
	skip_ws(ps);
	if (ps->p >= ps->end) {
		fail(ps, "unexpected end of input");
		return NULL;
	}
	uint32_t line = ps->line, col = ps->col;
	kv_node *n;
	switch (*ps->p) {
	case '{':
		return object(ps);
	case '[':
		return array(ps);
	case '"':
		return string(ps);
	case 't':
	case 'f': {
		bool truth = *ps->p == 't';
		if (literal(ps, truth ? "true" : "false")) {
			n = kv_build_node(ps->arena, KV_BOOL, line, col);
			n->u.b = truth;
			return n;
		}
		break;
	}
	case 'n':
		if (literal(ps, "null"))
			return kv_build_node(ps->arena, KV_NULL, line, col);
		break;
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
			return number(ps);
	}
	fail(ps, "unexpected character; expected a JSON value");
	return NULL;
}

int kv_json_parse(kv_node **out, const char *data, size_t len, const kv_limits *lim,
		  kv_arena *arena, kv_diags *diags)
{
	parser ps = {
		.p = data, .end = data + len, .line = 1, .col = 1, .lim = lim, .arena = arena,
		.diags = diags,
	};
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		ps.p += 3;
	kv_node *root = value(&ps);
	if (root) {
		skip_ws(&ps);
		if (ps.p < ps.end)
			fail(&ps, "unexpected text after the JSON value");
	}
	kv_buf_free(&ps.str);
	free(ps.pairs);
	free(ps.items);
	*out = root;
	return ps.failed ? -1 : 0;
}
