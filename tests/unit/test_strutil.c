/* test_strutil.c: UTF-8, globs, paths, edit distance, sizes and ${VAR} detection; the hash map;
 * and the order of the schema facts table, which its binary search depends on. */
#include "harness.h"

#include "kvet/buf.h"
#include "kvet/map.h"
#include "kvet/strutil.h"

#include "../../src/schema/facts.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>

/* A byte string with an explicit length: inputs may hold NULs. */
#define BYTES(lit) lit, sizeof(lit) - 1

static const struct {
	const char *s;
	size_t n;
	bool valid;
	size_t bad; /* the first offending byte, when invalid */
} utf8_cases[] = {
	{BYTES(""), true, 0},
	{BYTES("hello"), true, 0},
	{BYTES("a\0b"), true, 0},
	{BYTES("h\xc3\xa9llo"), true, 0},
	{BYTES("\xe2\x82\xac"), true, 0},                 /* U+20AC */
	{BYTES("\xf0\x9f\x98\x80"), true, 0},             /* U+1F600 */
	{BYTES("\xf4\x8f\xbf\xbf"), true, 0},             /* U+10FFFF, the last code point */
	{BYTES("\xed\x9f\xbf"), true, 0},                 /* U+D7FF, just below the surrogates */
	{BYTES("\xee\x80\x80"), true, 0},                 /* U+E000, just above them */
	{BYTES("\xef\xbf\xbf"), true, 0},                 /* U+FFFF */
	{BYTES("\xc2\x80\xdf\xbf\xe0\xa0\x80"), true, 0}, /* U+0080, U+07FF, U+0800 */
	{BYTES("\xc0\x80"), false, 0},                    /* overlong NUL */
	{BYTES("\xc1\xbf"), false, 0},                    /* overlong U+007F */
	{BYTES("\xe0\x80\xaf"), false, 0},                /* overlong '/' */
	{BYTES("\xe0\x9f\xbf"), false, 0},                /* overlong U+07FF */
	{BYTES("\xf0\x8f\xbf\xbf"), false, 0},            /* overlong U+FFFF */
	{BYTES("\xed\xa0\x80"), false, 0},                /* U+D800 */
	{BYTES("\xed\xbf\xbf"), false, 0},                /* U+DFFF */
	{BYTES("\xf4\x90\x80\x80"), false, 0},            /* U+110000 */
	{BYTES("\xf5\x80\x80\x80"), false, 0},
	{BYTES("\xf8\x88\x80\x80\x80"), false, 0},        /* five-byte form */
	{BYTES("\xfe"), false, 0},
	{BYTES("\xff"), false, 0},
	{BYTES("\x80"), false, 0},                        /* a lone continuation byte */
	{BYTES("ab\xc3"), false, 2},                      /* truncated at the end */
	{BYTES("ab\xe2\x82"), false, 2},
	{BYTES("ab\xf0\x9f\x98"), false, 2},
	{BYTES("ab\xe2\x82z"), false, 2},                 /* continuation replaced by ASCII */
	{BYTES("abcdefgh\x80"), false, 8},                /* just past the 8-byte fast path */
	{BYTES("abcdefghij\xc3\xa9\xff"), false, 12},
	{BYTES("0123456789abcdef\xed\xa0\x80xyz"), false, 16},
	{BYTES("\xc3\xa9\xc3\xa9\xc3"), false, 4},
};

static void test_utf8_valid(void)
{
	for (size_t i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0]; i++) {
		size_t bad = 9999;
		bool v = kv_utf8_valid(utf8_cases[i].s, utf8_cases[i].n, &bad);
		if (v != utf8_cases[i].valid)
			fprintf(stderr, "  utf8 case %zu: got %d\n", i, v);
		CHECK(v == utf8_cases[i].valid);
		if (!utf8_cases[i].valid)
			CHECK_INT(bad, utf8_cases[i].bad);
	}
	CHECK(!kv_utf8_valid("\xff", 1, NULL)); /* bad may be NULL */
	CHECK(kv_utf8_valid("ab\xc3\xa9", 2, NULL)); /* only n bytes are read */
}

static void test_utf8_count_and_columns(void)
{
	CHECK_INT(kv_utf8_count("", 0), 0);
	CHECK_INT(kv_utf8_count("abc", 3), 3);
	CHECK_INT(kv_utf8_count("h\xc3\xa9llo", 6), 5);
	CHECK_INT(kv_utf8_count("\xf0\x9f\x98\x80x", 5), 2);
	CHECK_INT(kv_utf8_count("\xe2\x82\xac\xe2\x82\xac", 6), 2);

	const char *line = "h\xc3\xa9llo"; /* h é l l o at bytes 0 1 3 4 5 */
	CHECK_INT(kv_utf8_col_offset(line, 6, 0), 0);
	CHECK_INT(kv_utf8_col_offset(line, 6, 1), 0);
	CHECK_INT(kv_utf8_col_offset(line, 6, 2), 1);
	CHECK_INT(kv_utf8_col_offset(line, 6, 3), 3);
	CHECK_INT(kv_utf8_col_offset(line, 6, 5), 5);
	CHECK_INT(kv_utf8_col_offset(line, 6, 6), 6);
	CHECK_INT(kv_utf8_col_offset(line, 6, 100), 6);
	CHECK_INT(kv_utf8_col_offset("\xf0\x9f\x98\x80" "a", 5, 2), 4);
	CHECK_INT(kv_utf8_col_offset("", 0, 3), 0);
}

static const struct {
	uint32_t cp;
	const char *bytes;
	size_t n;
} encode_cases[] = {
	{0x0, BYTES("\0")},
	{0x41, BYTES("A")},
	{0x7F, BYTES("\x7f")},
	{0x80, BYTES("\xc2\x80")},
	{0xE9, BYTES("\xc3\xa9")},
	{0x7FF, BYTES("\xdf\xbf")},
	{0x800, BYTES("\xe0\xa0\x80")},
	{0x20AC, BYTES("\xe2\x82\xac")},
	{0xFFFF, BYTES("\xef\xbf\xbf")},
	{0x10000, BYTES("\xf0\x90\x80\x80")},
	{0x1F600, BYTES("\xf0\x9f\x98\x80")},
	{0x10FFFF, BYTES("\xf4\x8f\xbf\xbf")},
};

static void test_utf8_encode(void)
{
	for (size_t i = 0; i < sizeof encode_cases / sizeof encode_cases[0]; i++) {
		char out[4];
		size_t n = kv_utf8_encode(encode_cases[i].cp, out);
		CHECK_INT(n, encode_cases[i].n);
		CHECK(n == encode_cases[i].n && memcmp(out, encode_cases[i].bytes, n) == 0);
	}
	/* Every scalar value encodes to one well-formed code point. */
	size_t wrong = 0;
	for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		char out[4];
		size_t n = kv_utf8_encode(cp, out), bad;
		if (!kv_utf8_valid(out, n, &bad) || kv_utf8_count(out, n) != 1)
			wrong++;
	}
	CHECK_INT(wrong, 0);
}

static const struct {
	const char *pattern, *path;
	bool match;
} glob_cases[] = {
	/* No slash: matches any one segment, at any depth. */
	{"*.yaml", "a.yaml", true},
	{"*.yaml", "dir/sub/a.yaml", true},
	{"*.yaml", "a.yml", false},
	{"*.yaml", "a.yaml/b", true},
	{"base", "overlays/base/kustomization.yaml", true},
	{"base", "overlays/database/x.yaml", false},
	{"a?b", "a/b", false},
	{"**", "a/b/c", true},
	/* With a slash: anchored at the start; `*` and `?` stay inside a segment. */
	{"k8s/*.yaml", "k8s/a.yaml", true},
	{"k8s/*.yaml", "k8s/sub/a.yaml", false},
	{"k8s/*.yaml", "x/k8s/a.yaml", false},
	{"a/?.yaml", "a/b.yaml", true},
	{"a/?.yaml", "a/bc.yaml", false},
	{"a/b", "a/b", true},
	{"a/b", "a/b/c", false},
	{"a/b/c", "a/b", false},
	{"a/*", "a/", false},
	/* `**` spans zero or more segments. */
	{"k8s/**/*.yaml", "k8s/a.yaml", true},
	{"k8s/**/*.yaml", "k8s/a/b/c.yaml", true},
	{"k8s/**/*.yaml", "k8s/a/b/c.json", false},
	{"**/test/*.yaml", "test/a.yaml", true},
	{"**/test/*.yaml", "a/b/test/a.yaml", true},
	{"**/test/*.yaml", "a/b/test/c/a.yaml", false},
	{"a/**/b", "a/b", true},
	{"a/**/b", "a/x/y/b", true},
	{"a/**/b", "a/x/y/bc", false},
	{"k8s/**", "k8s/a/b", true},
	{"k8s/**", "k8sx/a", false},
	/* Character classes. */
	{"[abc].yaml", "b.yaml", true},
	{"[abc].yaml", "d.yaml", false},
	{"[a-c]x", "bx", true},
	{"[a-c]x", "dx", false},
	{"[!a-c]x", "dx", true},
	{"[!a-c]x", "ax", false},
	{"[^a]x", "bx", true},
	{"[]]x", "]x", true},
	{"[a-]x", "-x", true},
	{"a[b", "a[b", true},                   /* no closing bracket: a literal '[' */
	{"app[0-9].yaml", "dir/app7.yaml", true},
	{"*[0-9].yaml", "app12.yaml", true},
	{"*[0-9].yaml", "appx.yaml", false},
	/* Star backtracking. */
	{"*a*b*c", "xaybzc", true},
	{"a*b", "acbcb", true},
	{"a*b", "acbc", false},
	{"a*", "a", true},
	{"*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	/* A trailing slash: the folder and everything below; with no other slash, anywhere. */
	{"vendor/", "vendor/a.yaml", true},
	{"vendor/", "x/vendor/a/b.yaml", true},
	{"vendor/", "vendors/a.yaml", false},
	{"vendor/", "x/myvendor/a.yaml", false},
	{"charts/vendor/", "charts/vendor/a.yaml", true},
	{"charts/vendor/", "x/charts/vendor/a.yaml", false},
	/* A leading "./" or "/" is ignored; a leading "/" still anchors at the root. */
	{"./k8s/*.yaml", "k8s/a.yaml", true},
	{"/k8s/*.yaml", "k8s/a.yaml", true},
	{"/k8s/", "k8s/a/b.yaml", true},
	{"/k8s/", "x/k8s/a.yaml", false},
	{"/a.yaml", "a.yaml", true},
	{"/a.yaml", "x/a.yaml", false},
	{"././k8s/*.yaml", "k8s/a.yaml", true},
};

static void test_glob(void)
{
	for (size_t i = 0; i < sizeof glob_cases / sizeof glob_cases[0]; i++) {
		bool m = kv_glob_match(glob_cases[i].pattern, glob_cases[i].path);
		if (m != glob_cases[i].match)
			fprintf(stderr, "  kv_glob_match(\"%s\", \"%s\"): got %d\n", glob_cases[i].pattern,
				glob_cases[i].path, m);
		CHECK(m == glob_cases[i].match);
	}
}

static const struct {
	const char *a, *b, *want;
} join_cases[] = {
	{"a", "b", "a/b"},
	{"a/", "b", "a/b"},
	{"a//", "b", "a/b"},
	{"a/b", "c/d.yaml", "a/b/c/d.yaml"},
	{"", "b", "b"},
	{".", "b", "b"},
	{"a", "./b", "a/b"},
	{"a", "././b", "a/b"},
	{"a", "", "a"},
	{"/", "b", "/b"},
	{"/srv", "b", "/srv/b"},
};

static const struct {
	const char *in, *want; /* want NULL: ".." climbs above the start */
} normalize_cases[] = {
	{"a/b/c", "a/b/c"},
	{"a/b/../c", "a/c"},
	{"./a//b/", "a/b"},
	{"a/./b", "a/b"},
	{"a/..", ""},
	{"", ""},
	{".", ""},
	{"/a/b", "a/b"},
	{"a/b/../../c", "c"},
	{"a/../b/../c", "c"},
	{"ab/../c", "c"},
	{"..a/b", "..a/b"},
	{"a/...", "a/..."},
	{"..", NULL},
	{"../a", NULL},
	{"a/../..", NULL},
	{"a/b/../../../c", NULL},
	{"./..", NULL},
};

static void test_paths(void)
{
	for (size_t i = 0; i < sizeof join_cases / sizeof join_cases[0]; i++) {
		char *got = kv_path_join(join_cases[i].a, join_cases[i].b);
		CHECK_STR(got, join_cases[i].want);
		free(got);
	}
	for (size_t i = 0; i < sizeof normalize_cases / sizeof normalize_cases[0]; i++) {
		char *got = kv_path_normalize(normalize_cases[i].in);
		if (normalize_cases[i].want)
			CHECK_STR(got, normalize_cases[i].want);
		else if (got)
			fprintf(stderr, "  kv_path_normalize(\"%s\"): got \"%s\", want NULL\n",
				normalize_cases[i].in, got);
		if (!normalize_cases[i].want)
			CHECK(got == NULL);
		free(got);
	}

	CHECK(kv_path_is_manifest("a.yaml"));
	CHECK(kv_path_is_manifest("a.yml"));
	CHECK(kv_path_is_manifest("a.json"));
	CHECK(kv_path_is_manifest("A.YAML"));
	CHECK(kv_path_is_manifest("dir/kustomization.Yml"));
	CHECK(kv_path_is_manifest("app.tpl.yaml"));
	CHECK(!kv_path_is_manifest("a.yaml.bak"));
	CHECK(!kv_path_is_manifest("a.txt"));
	CHECK(!kv_path_is_manifest("yaml"));
	CHECK(!kv_path_is_manifest("a.yaml/b"));
	CHECK(!kv_path_is_manifest("a.jsonnet"));

	CHECK(kv_str_has_suffix("abc.yaml", ".yaml"));
	CHECK(kv_str_has_suffix("abc", ""));
	CHECK(!kv_str_has_suffix("ml", "yaml"));
}

/* The textbook optimal-string-alignment distance (Levenshtein plus adjacent
 * transpositions), over a full matrix, ASCII case folded as kv_edit_distance does. */
static unsigned ref_distance(const char *a, size_t an, const char *b, size_t bn)
{
	unsigned d[8][8];
	for (size_t i = 0; i <= an; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= bn; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= an; i++) {
		for (size_t j = 1; j <= bn; j++) {
			int x = tolower((unsigned char)a[i - 1]), y = tolower((unsigned char)b[j - 1]);
			unsigned v = d[i - 1][j - 1] + (x != y);
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && x == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == y && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[an][bn];
}

/* Writes the len-character word numbered k over alphabet al into out. */
static void word(char *out, size_t len, unsigned k, const char *al, unsigned nal)
{
	for (size_t i = 0; i < len; i++, k /= nal)
		out[i] = al[k % nal];
	out[len] = '\0';
}

static const struct {
	const char *a, *b;
	unsigned max, want;
} distance_cases[] = {
	{"kind", "kind", 2, 0},
	{"Kind", "kind", 2, 0},                 /* case is folded */
	{"image", "imag", 2, 1},
	{"replicas", "replcias", 2, 1},         /* a transposition costs one */
	{"containers", "contianers", 2, 1},
	{"modle", "model", 1, 1},
	{"ab", "ba", 0, 1},
	{"abc", "ca", 3, 3},                    /* OSA: no edit after a transposition */
	{"", "abc", 3, 3},
	{"", "abc", 2, 3},                      /* too far: max + 1 */
	{"abc", "xyz", 1, 2},
	{"replicas", "replica", 0, 1},
	{"ba", "acb", 1, 2},                    /* the last row was returned unclamped */
	{"imagePullPolicy", "imagePulPolicy", 2, 1},
	{"selector", "spec", 2, 3},
};

static void test_edit_distance(void)
{
	for (size_t i = 0; i < sizeof distance_cases / sizeof distance_cases[0]; i++) {
		const char *a = distance_cases[i].a, *b = distance_cases[i].b;
		CHECK_INT(kv_edit_distance(a, strlen(a), b, strlen(b), distance_cases[i].max),
			  distance_cases[i].want);
	}
	/* 64 bytes is the longest input it measures. */
	char x[65], y[65];
	memset(x, 'a', 64);
	memset(y, 'a', 64);
	y[63] = 'b';
	CHECK_INT(kv_edit_distance(x, 64, x, 64, 2), 0);
	CHECK_INT(kv_edit_distance(x, 64, y, 64, 2), 1);

	/* Every pair of words up to 4 letters over {a, b, C}: the exact distance when it is at
	 * most max, else max + 1. */
	static const char al[] = "abC";
	size_t wrong = 0, total = 0;
	char a[8], b[8];
	for (size_t la = 0; la <= 4; la++) {
		for (size_t lb = 0; lb <= 4; lb++) {
			unsigned na = 1, nb = 1;
			for (size_t k = 0; k < la; k++)
				na *= 3;
			for (size_t k = 0; k < lb; k++)
				nb *= 3;
			for (unsigned ka = 0; ka < na; ka++) {
				for (unsigned kb = 0; kb < nb; kb++) {
					word(a, la, ka, al, 3);
					word(b, lb, kb, al, 3);
					unsigned d = ref_distance(a, la, b, lb);
					for (unsigned max = 0; max <= 3; max++) {
						unsigned want = d <= max ? d : max + 1;
						total++;
						if (kv_edit_distance(a, la, b, lb, max) != want)
							wrong++;
					}
				}
			}
		}
	}
	CHECK(total > 10000);
	CHECK_INT(wrong, 0);
}

static const struct {
	const char *s;
	int rc;
	uint64_t want;
} size_cases[] = {
	{"16MiB", 0, 16777216},
	{"512k", 0, 512000},
	{"1048576", 0, 1048576},
	{"1Ki", 0, 1024},
	{"1kib", 0, 1024},
	{"2G", 0, 2000000000},
	{"1GiB", 0, 1073741824},
	{"3mb", 0, 3000000},
	{"10b", 0, 10},
	{"0", 0, 0},
	{"18446744073709551615", 0, UINT64_MAX},
	{"17179869183GiB", 0, 18446744072635809792ULL},
	{"MiB", -1, 0},
	{"-1", -1, 0},
	{"+1", -1, 0},
	{"1.5M", -1, 0},
	{"", -1, 0},
	{" 16", -1, 0},
	{"16 MiB", -1, 0},
	{"16MiBs", -1, 0},
	{"1T", -1, 0},
	{"0x10", -1, 0},
	{"18446744073709551616", -1, 0},        /* past UINT64_MAX */
	{"17179869184GiB", -1, 0},              /* 2^34 GiB = 2^64 */
};

static void test_parse_size(void)
{
	for (size_t i = 0; i < sizeof size_cases / sizeof size_cases[0]; i++) {
		uint64_t v = 12345;
		int rc = kv_parse_size(&v, size_cases[i].s);
		if (rc != size_cases[i].rc)
			fprintf(stderr, "  kv_parse_size(\"%s\"): rc %d\n", size_cases[i].s, rc);
		CHECK_INT(rc, size_cases[i].rc);
		if (size_cases[i].rc == 0)
			CHECK(v == size_cases[i].want);
	}
}

static const struct {
	const char *s;
	size_t n;
	bool templated;
} templated_cases[] = {
	{BYTES("${APP}"), true},
	{BYTES("${_X}"), true},
	{BYTES("${A}"), true},
	{BYTES("prefix-${ENV}-suffix"), true},
	{BYTES("$5 then ${x}"), true},
	{BYTES("${APP:=default}"), true},
	{BYTES("$APP"), false},
	{BYTES("${"), false},
	{BYTES("price: $5"), false},
	{BYTES("${1}"), false},
	{BYTES("${}"), false},
	{BYTES("${APP"), false},
	{BYTES("$${APP}"), false},                 /* Flux's escape: the literal "${APP}" */
	{BYTES("$$$${APP}"), false},
	{BYTES("$$${APP}"), true},                 /* "$$" then a reference */
	{BYTES("cost $$ and ${FEE}"), true},
	{BYTES("${ APP}"), false},
	{BYTES("a$"), false},
	{BYTES("$"), false},
	{BYTES(""), false},
	{"${APP}", 5, false},                   /* the '}' is past n */
};

static void test_templated(void)
{
	for (size_t i = 0; i < sizeof templated_cases / sizeof templated_cases[0]; i++) {
		bool t = kv_is_templated(templated_cases[i].s, templated_cases[i].n);
		if (t != templated_cases[i].templated)
			fprintf(stderr, "  kv_is_templated(\"%s\", %zu): got %d\n", templated_cases[i].s,
				templated_cases[i].n, t);
		CHECK(t == templated_cases[i].templated);
	}
}

static void test_map_basics(void)
{
	kv_map *m = kv_map_new();
	bool added = false;
	CHECK_INT(kv_map_count(m), 0);
	CHECK(kv_map_find(m, "a", 1) == NULL);

	uint64_t *v = kv_map_slot(m, "a", 1, &added);
	CHECK(added);
	CHECK(*v == 0);
	*v = 42;
	v = kv_map_slot(m, "a", 1, &added);
	CHECK(!added);
	CHECK(*v == 42);
	CHECK(kv_map_slot(m, "a", 1, NULL) == v); /* added may be NULL */
	CHECK_INT(kv_map_count(m), 1);

	/* The map copies keys: changing the caller's buffer changes nothing. */
	char key[] = "bb";
	*kv_map_slot(m, key, 2, NULL) = 7;
	key[0] = 'x';
	CHECK(kv_map_find(m, "bb", 2) && *kv_map_find(m, "bb", 2) == 7);
	CHECK(kv_map_find(m, "xb", 2) == NULL);

	/* Embedded NULs and the empty key are keys like any other. */
	*kv_map_slot(m, "k\0a", 3, &added) = 1;
	CHECK(added);
	*kv_map_slot(m, "k\0b", 3, &added) = 2;
	CHECK(added);
	*kv_map_slot(m, "k", 1, &added) = 3;
	CHECK(added);
	*kv_map_slot(m, "", 0, &added) = 4;
	CHECK(added);
	*kv_map_slot(m, "\0", 1, &added) = 5;
	CHECK(added);
	CHECK(*kv_map_find(m, "k\0a", 3) == 1);
	CHECK(*kv_map_find(m, "k\0b", 3) == 2);
	CHECK(*kv_map_find(m, "k", 1) == 3);
	CHECK(*kv_map_find(m, "", 0) == 4);
	CHECK(*kv_map_find(m, "\0", 1) == 5);
	CHECK(kv_map_find(m, "k\0", 2) == NULL);
	CHECK_INT(kv_map_count(m), 7);
	kv_map_free(m);
	kv_map_free(NULL);

	CHECK(kv_hash("", 0) == 0xcbf29ce484222325ULL);    /* FNV-1a 64 offset basis */
	CHECK(kv_hash("a", 1) == 0xaf63dc4c8601ec8cULL);
	CHECK(kv_hash("foobar", 6) == 0x85944171f73967e8ULL);
}

static void test_map_growth(void)
{
	enum { N = 10000 };
	kv_map *m = kv_map_new();
	char key[32];
	size_t fresh = 0;
	for (unsigned i = 0; i < N; i++) {
		int n = snprintf(key, sizeof key, "key-%u", i);
		bool added = false;
		uint64_t *v = kv_map_slot(m, key, (size_t)n, &added);
		fresh += added;
		*v = (uint64_t)i * 3 + 1;
	}
	CHECK_INT(fresh, N);
	CHECK_INT(kv_map_count(m), N);
	size_t wrong = 0, again = 0;
	for (unsigned i = 0; i < N; i++) {
		int n = snprintf(key, sizeof key, "key-%u", i);
		const uint64_t *v = kv_map_find(m, key, (size_t)n);
		if (!v || *v != (uint64_t)i * 3 + 1)
			wrong++;
		bool added = true;
		kv_map_slot(m, key, (size_t)n, &added);
		again += added;
	}
	CHECK_INT(wrong, 0);
	CHECK_INT(again, 0);
	CHECK_INT(kv_map_count(m), N);
	size_t phantom = 0;
	for (unsigned i = N; i < 2 * N; i++) {
		int n = snprintf(key, sizeof key, "key-%u", i);
		phantom += kv_map_find(m, key, (size_t)n) != NULL;
	}
	CHECK_INT(phantom, 0);
	kv_map_free(m);
}

static void test_facts_table(void)
{
	size_t n = 0;
	const kv_fact_prop *t = kv_facts_table(&n);
	CHECK(n > 0);
	size_t unsorted = 0;
	for (size_t i = 1; i < n; i++) {
		int c = strcmp(t[i - 1].def, t[i].def);
		if (c > 0 || (c == 0 && strcmp(t[i - 1].prop, t[i].prop) >= 0)) {
			fprintf(stderr, "  facts out of order at %zu: %s.%s before %s.%s\n", i,
				t[i - 1].def, t[i - 1].prop, t[i].def, t[i].prop);
			unsorted++;
		}
	}
	CHECK_INT(unsorted, 0);
	/* Every entry can be found by the binary search, and has values. */
	size_t lost = 0, empty = 0;
	for (size_t i = 0; i < n; i++) {
		lost += kv_facts_prop(t[i].def, t[i].prop) != &t[i];
		empty += !t[i].values || !t[i].values[0];
	}
	CHECK_INT(lost, 0);
	CHECK_INT(empty, 0);

	const kv_fact_prop *f = kv_facts_prop("io.k8s.api.core.v1.Container", "imagePullPolicy");
	CHECK(f != NULL);
	if (f) {
		CHECK(!f->items);
		CHECK_STR(f->values[0], "Always");
		CHECK_STR(f->values[1], "Never");
		CHECK_STR(f->values[2], "IfNotPresent");
		CHECK(f->values[3] == NULL);
		CHECK(f->dflt == NULL);
	}
	f = kv_facts_prop("io.k8s.api.core.v1.ServicePort", "protocol");
	CHECK(f && f->dflt && strcmp(f->dflt, "TCP") == 0);
	CHECK(kv_facts_prop("io.k8s.api.core.v1.Container", "noSuchField") == NULL);
	CHECK(kv_facts_prop("io.k8s.api.core.v1.NoSuchKind", "imagePullPolicy") == NULL);
	CHECK(kv_facts_prop("", "") == NULL);
}

/* RFC 4648's test vectors, and bytes that are not text. */
static void test_base64(void)
{
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
		kv_buf b = KV_BUF_INIT;
		kv_buf_base64(&b, plain[i], strlen(plain[i]));
		CHECK_STR(kv_buf_cstr(&b), coded[i]);
		kv_buf_free(&b);
	}
	kv_buf b = KV_BUF_INIT;
	kv_buf_base64(&b, "\x00\xff\xfe", 3);
	CHECK_STR(kv_buf_cstr(&b), "AP/+");
	kv_buf_free(&b);
}

static const th_test tests[] = {
	TEST(test_utf8_valid),   TEST(test_utf8_count_and_columns), TEST(test_utf8_encode),
	TEST(test_glob),         TEST(test_paths),                  TEST(test_edit_distance),
	TEST(test_parse_size),   TEST(test_templated),              TEST(test_map_basics),
	TEST(test_map_growth),   TEST(test_facts_table), TEST(test_base64),
};

RUN_TESTS(tests)
