/* test_render_generate.c: SHA-256, Go's JSON encoding and kustomize's content hash (the
 * expected suffixes are what `kubectl kustomize` printed for the same objects), and the
 * generators run on small folders: sources, positions, binary data, merge, and the
 * problems kustomize's refusals become (duplicate keys, bad literals, files over the size
 * limit, endless env lines). */
#include "harness.h"
#include "render_util.h"

#include "../../src/render/hash.h"
#include "../../src/render/internal.h"

#include "kvet/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static kv_node *doc(kv_arena *a, const char *text)
{
	return rt_doc(a, text);
}

/* ---- SHA-256 ---- */

static void test_sha256_vectors(void)
{
	char hex[65];
	rn_sha256_hex("", 0, hex);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	rn_sha256_hex("abc", 3, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	rn_sha256_hex(two, strlen(two), hex);
	CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* a million 'a's, fed in uneven pieces across block boundaries */
	rn_sha256 s;
	rn_sha256_init(&s);
	char chunk[997];
	memset(chunk, 'a', sizeof chunk);
	size_t left = 1000000;
	for (size_t step = 1; left > 0; step = (step * 7 + 3) % sizeof chunk + 1) {
		size_t n = step < left ? step : left;
		rn_sha256_add(&s, chunk, n);
		left -= n;
	}
	unsigned char d[32];
	rn_sha256_end(&s, d);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* 55, 56 and 64 bytes: the padding edge cases */
	char buf[64];
	memset(buf, 'x', sizeof buf);
	char one[65], again[65];
	rn_sha256_hex(buf, 55, one);
	rn_sha256_init(&s);
	rn_sha256_add(&s, buf, 30);
	rn_sha256_add(&s, buf, 25);
	rn_sha256_end(&s, d);
	for (int i = 0; i < 32; i++)
		snprintf(again + 2 * i, 3, "%02x", d[i]);
	CHECK_STR(again, one);
	rn_sha256_hex(buf, 56, hex);
	CHECK(strcmp(hex, one) != 0);
}

/* ---- Go's JSON ---- */

static const char *json_of(kv_arena *a, const char *yaml, kv_buf *out)
{
	kv_buf_truncate(out, 0);
	rn_json_go(out, doc(a, yaml));
	return kv_buf_cstr(out);
}

static void test_json_go(void)
{
	kv_arena *a = kv_arena_new();
	kv_buf b = KV_BUF_INIT;
	CHECK_STR(json_of(a, "\"<a href='x'>&</a>\"", &b), "\"\\u003ca href='x'\\u003e\\u0026\\u003c/a\\u003e\"");
	CHECK_STR(json_of(a, "\"\\b\\f\\n\\r\\t\\x01\\x7f\\\"\\\\\"", &b), "\"\\b\\f\\n\\r\\t\\u0001\x7f\\\"\\\\\"");
	CHECK_STR(json_of(a, "\"\\u2028\\u2029 \\u00e9 \\U0001F600\"", &b), "\"\\u2028\\u2029 \xc3\xa9 \xf0\x9f\x98\x80\"");
	CHECK_STR(json_of(a, "{b: 1, a: [true, null, 1.5], B: x, aa: {}}", &b), "{\"B\":\"x\",\"a\":[true,null,1.5],\"aa\":{},\"b\":1}");
	CHECK_STR(json_of(a, "[1e21, 1e20, 0.000001, 0.0000001, -2.5e-8, 123456789012345678, 100, -0.0]", &b),
		  "[1e+21,100000000000000000000,0.000001,1e-7,-2.5e-8,123456789012345680,100,-0]");
	/* invalid UTF-8 reads as U+FFFD, byte by byte */
	kv_buf_truncate(&b, 0);
	kv_node bad = {.type = KV_STRING, .len = 4, .u.s = "a\xff\xc3z"};
	rn_json_go(&b, &bad);
	CHECK_STR(kv_buf_cstr(&b), "\"a\\ufffd\\ufffdz\"");
	kv_buf_free(&b);
	kv_arena_free(a);
}

/* ---- kustomize's hash: the suffixes kubectl kustomize gave these objects ---- */

static void test_content_hash(void)
{
	static const struct {
		const char *yaml, *want;
	} cases[] = {
		{"kind: ConfigMap\nmetadata: {name: empty}", "6ct58987ht"},
		{"kind: ConfigMap\nmetadata: {name: x}\nimmutable: true", "6ct58987ht"}, /* the name never counts */
		{"kind: ConfigMap\nmetadata: {name: x}\ndata: {b: \"1\"}", "k2572242mg"},
		{"kind: ConfigMap\nmetadata: {name: num}\ndata: {n: \"1\"}", "4kd2bbkc9b"},
		{"kind: ConfigMap\nmetadata: {name: sep}\ndata: {s: \"\\u2028\\u2029\"}", "2hh5gh92mh"},
		{"kind: Secret\nmetadata: {name: s2}\ntype: Opaque\ndata: {}", "46f8b28mk5"},
		{"kind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/tls\ndata: {a: Yg==}", "92982c4m8f"},
		{"kind: Secret\nmetadata: {name: bin}\ntype: Opaque\ndata: {b.bin: AP8=}", "2hhd4b8hmt"},
	};
	kv_arena *a = kv_arena_new();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char h[11];
		rn_content_hash(doc(a, cases[i].yaml), h);
		CHECK_STR(h, cases[i].want);
	}
	kv_arena_free(a);
}

/* ---- generators on folders ---- */

static rt_scratch scratch;

static void put_file(const char *rel, const char *text, size_t n)
{
	rt_put(&scratch, rel, text, n);
}

static void put(const char *rel, const char *text)
{
	put_file(rel, text, strlen(text));
}

static void clean(void)
{
	rt_scratch_free(&scratch);
}

static void fresh(void)
{
	rt_scratch_new(&scratch, "gen");
}

static kv_render *build(kv_render_result *out, uint64_t file_size)
{
	kv_render_opts o = {.root = scratch.root};
	kv_limits_default(&o.limits);
	if (file_size)
		o.limits.file_size = file_size;
	kv_render *r = kv_render_new(&o);
	if (kv_kustomize_build(r, "", out) != 0)
		out->n = 0;
	return r;
}

static const kv_node *object(const kv_render_result *res, const char *kind)
{
	for (size_t i = 0; i < res->n; i++)
		if (kv_str_eq(kv_map_get(res->objects[i], "kind"), kind))
			return res->objects[i];
	return NULL;
}

static const kv_node *at(const kv_node *obj, const char *a, const char *b)
{
	return kv_map_get(kv_map_get(obj, a), b);
}

static bool has_problem(const kv_render *r, const char *text, uint32_t line)
{
	for (size_t i = 0; i < kv_render_problem_count(r); i++) {
		const kv_render_problem *p = kv_render_problem_at(r, i);
		if (strstr(p->message, text) && (!line || p->line == line))
			return true;
	}
	return false;
}

static void test_sources_and_positions(void)
{
	fresh();
	put("kustomization.yaml", "configMapGenerator:\n"
				  "- name: app\n"
				  "  envs: [app.env]\n"
				  "  literals:\n"
				  "  - q='x'\n"
				  "  files: [k=data.bin, notes.txt]\n");
	put("app.env", "# comment\n\n  A=1\nB\r\n");
	put_file("data.bin", "\x00\xff\x10", 3);
	put("notes.txt", "hello\n");
	kv_render_result res;
	kv_render *r = build(&res, 0);
	CHECK_INT(kv_render_problem_count(r), 0);
	const kv_node *cm = object(&res, "ConfigMap");
	CHECK(cm != NULL);
	const kv_node *a = at(cm, "data", "A"), *b = at(cm, "data", "B"), *q = at(cm, "data", "q");
	CHECK_STR(kv_str(a), "1");
	CHECK_STR(kv_str(b), "");
	CHECK_STR(kv_str(q), "x");
	CHECK_STR(kv_str(at(cm, "data", "notes.txt")), "hello\n");
	CHECK_STR(kv_str(at(cm, "binaryData", "k")), "AP8Q");
	CHECK(at(cm, "data", "k") == NULL);
	/* an env value sits at its line of the env file, a literal at the literal */
	if (a && b && q) {
		CHECK_STR(kv_render_file_path(r, a->src), "app.env");
		CHECK_INT(a->line, 3);
		CHECK_INT(a->col, 3);
		CHECK_INT(b->line, 4);
		CHECK_STR(kv_render_file_path(r, q->src), "kustomization.yaml");
		CHECK_INT(q->line, 5);
	}
	/* the name carries the hash; the generator's line is kept */
	const kv_node *name = at(cm, "metadata", "name");
	CHECK(kv_str(name) && strncmp(kv_str(name), "app-", 4) == 0 && strlen(kv_str(name)) == 14);
	if (name)
		CHECK_INT(name->line, 2);
	kv_render_free(r);
	clean();
}

static void test_merge_and_secret(void)
{
	fresh();
	put("kustomization.yaml", "generatorOptions:\n  labels: {g: global, l: global}\n"
				  "configMapGenerator:\n"
				  "- name: c\n  literals: [a=1, b=2]\n  options: {labels: {l: local}}\n"
				  "- name: c\n  behavior: merge\n  literals: [b=3]\n"
				  "secretGenerator:\n"
				  "- name: s\n  literals: [k=v]\n  options: {disableNameSuffixHash: true}\n");
	kv_render_result res;
	kv_render *r = build(&res, 0);
	CHECK_INT(kv_render_problem_count(r), 0);
	CHECK_INT(res.n, 2);
	const kv_node *cm = object(&res, "ConfigMap"), *s = object(&res, "Secret");
	CHECK_STR(kv_str(at(cm, "data", "a")), "1");
	CHECK_STR(kv_str(at(cm, "data", "b")), "3");
	/* the second entry's labels (global ones only) over the first's */
	CHECK_STR(kv_str(kv_map_get(at(cm, "metadata", "labels"), "l")), "global");
	CHECK_STR(kv_str(at(s, "metadata", "name")), "s");
	CHECK_STR(kv_str(at(s, "data", "k")), "dg==");
	CHECK_STR(kv_str(kv_map_get(s, "type")), "Opaque");
	kv_render_free(r);
	clean();
}

static void test_refusals(void)
{
	fresh();
	put("kustomization.yaml", "configMapGenerator:\n"
				  "- name: dup\n  envs: [d.env]\n  literals: [K=2]\n"
				  "- name: lit\n  literals: [novalue]\n"
				  "- name: gone\n  behavior: replace\n"
				  "- literals: [a=1]\n");
	put("d.env", "K=1\n");
	kv_render_result res;
	kv_render *r = build(&res, 0);
	CHECK(has_problem(r, "repeats the key K", 4));
	CHECK(has_problem(r, "invalid literal source novalue", 6));
	CHECK(has_problem(r, "no ConfigMap gone to replace", 8));
	CHECK(has_problem(r, "needs a name", 9));
	CHECK(!res.complete);
	kv_render_free(r);
	clean();
}

/* Inputs are bounded: a file over limits.fileSize is a problem, and so is an env line longer
 * than kustomize's reader takes. */
static void test_bounds(void)
{
	fresh();
	put("kustomization.yaml", "configMapGenerator:\n- name: big\n  files: [big.txt]\n- name: long\n  envs: [long.env]\n");
	size_t n = 200000;
	char *big = kv_xmalloc(n + 1);
	memset(big, 'x', n);
	big[n] = '\0';
	put("big.txt", big);
	big[0] = 'K';
	big[1] = '=';
	put("long.env", big);
	free(big);
	kv_render_result res;
	kv_render *r = build(&res, 150000);
	CHECK(has_problem(r, "larger than limits.fileSize", 3));
	kv_render_free(r);
	r = build(&res, 0);
	CHECK(has_problem(r, "longer than 64 KiB", 1));
	kv_render_free(r);
	clean();
}

/* Hostile sources: env files and files of random bytes (NULs, lone surrogates, CRs, '=' and
 * '#' at random) never crash the generator; each run ends with objects or problems. */
static void test_random_sources(void)
{
	fresh();
	put("kustomization.yaml", "configMapGenerator:\n- name: r\n  envs: [r.env]\n  files: [r.bin]\n"
				  "secretGenerator:\n- name: s\n  envs: [r.env]\n");
	static const char alphabet[] = "ab=#\n\r \t\x00\xc3\xa9\xed\xa0\x80\xef\xbb\xbf\xff'\"";
	uint32_t seed = 12345;
	char buf[512];
	for (int round = 0; round < 200; round++) {
		size_t n = 0, len = (size_t)(round * 7 % 500);
		for (; n < len; n++) {
			seed = seed * 1103515245u + 12345u;
			buf[n] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
		}
		put_file("r.env", buf, n);
		put_file("r.bin", buf, n / 2);
		kv_render_result res;
		kv_render *r = build(&res, 0);
		CHECK(res.n >= 1 || kv_render_problem_count(r) > 0);
		kv_render_free(r);
	}
	clean();
}

int main(void)
{
	static const th_test tests[] = {
		TEST(test_sha256_vectors), TEST(test_json_go), TEST(test_content_hash), TEST(test_sources_and_positions),
		TEST(test_merge_and_secret), TEST(test_refusals), TEST(test_bounds), TEST(test_random_sources),
	};
	return th_run(tests, sizeof tests / sizeof tests[0]);
}
