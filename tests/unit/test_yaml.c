/* test_yaml.c: the loader: scalar resolution, positions, anchors and merges, duplicate keys,
 * bounds, JSON, encodings. Trees are compared through a compact S-expression dump. */
#include "harness.h"

#include "kvet/alloc.h"
#include "kvet/buf.h"
#include "kvet/yaml.h"

static void dump(kv_buf *b, const kv_node *n)
{
	if (!n) {
		kv_buf_puts(b, "<empty>");
		return;
	}
	switch (n->type) {
	case KV_NULL:
		kv_buf_puts(b, "null");
		break;
	case KV_BOOL:
		kv_buf_puts(b, n->u.b ? "true" : "false");
		break;
	case KV_INT:
		kv_buf_printf(b, "%lld", (long long)n->u.i);
		break;
	case KV_DOUBLE:
		kv_buf_printf(b, "%gd", n->u.d);
		break;
	case KV_STRING:
		kv_buf_printf(b, "\"%s\"", n->u.s);
		break;
	case KV_LIST:
		kv_buf_putc(b, '[');
		for (uint32_t i = 0; i < n->len; i++) {
			if (i)
				kv_buf_putc(b, ' ');
			dump(b, n->u.items[i]);
		}
		kv_buf_putc(b, ']');
		break;
	case KV_MAP:
		kv_buf_putc(b, '{');
		for (uint32_t i = 0; i < n->len; i++) {
			if (i)
				kv_buf_putc(b, ' ');
			kv_buf_printf(b, "%s:", n->u.pairs[i].key->u.s);
			dump(b, n->u.pairs[i].value);
		}
		kv_buf_putc(b, '}');
		break;
	}
}

typedef struct {
	kv_arena *arena;
	kv_diags diags;
	kv_buf out; /* each document's dump, separated by " | " */
	int rc;     /* last kv_loader_next result */
	kv_node *first;
	uint32_t ndocs;
} loaded;

static void load_with(loaded *r, const char *text, size_t len, kv_syntax syntax, const kv_limits *lim)
{
	memset(r, 0, sizeof *r);
	r->arena = kv_arena_new();
	kv_diags_init(&r->diags, NULL, 0);
	kv_diags_set_source(&r->diags, text, len, 1);
	kv_loader *l = kv_loader_new(text, len, syntax, lim, &r->diags);
	kv_doc doc;
	while ((r->rc = kv_loader_next(l, r->arena, &doc)) == 1) {
		if (r->ndocs++)
			kv_buf_puts(&r->out, " | ");
		else
			r->first = doc.root;
		dump(&r->out, doc.root);
	}
	kv_loader_free(l);
}

static void load(loaded *r, const char *text, kv_syntax syntax)
{
	kv_limits lim;
	kv_limits_default(&lim);
	load_with(r, text, strlen(text), syntax, &lim);
}

static void done(loaded *r)
{
	kv_arena_free(r->arena);
	kv_diags_free(&r->diags);
	kv_buf_free(&r->out);
}

/* The first finding as "rule line:col message". */
static const char *first_finding(loaded *r, char *buf, size_t n)
{
	if (!r->diags.n)
		return "(none)";
	kv_finding *f = &r->diags.items[0];
	snprintf(buf, n, "%s %u:%u %s", kv_rule_name(f->rule), f->line, f->col, f->message);
	return buf;
}

static const struct {
	const char *yaml, *want;
} resolve_cases[] = {
	{"a: 1", "{a:1}"},
	{"a: -0x1F", "{a:-31}"},
	{"a: 0755", "{a:493}"},
	{"a: 0o17", "{a:15}"},
	{"a: 1_000", "{a:1000}"},
	{"a: 1.5", "{a:1.5d}"},
	{"a: 1e3", "{a:1000d}"},
	{"a: .inf", "{a:infd}"},
	{"a: yes", "{a:true}"},
	{"a: Off", "{a:false}"},
	{"a: TRUE", "{a:true}"},
	{"a: ~", "{a:null}"},
	{"a:", "{a:null}"},
	{"a: 'yes'", "{a:\"yes\"}"},
	{"a: \"1\"", "{a:\"1\"}"},
	{"a: !!str 12", "{a:\"12\"}"},
	{"a: 1.2.3", "{a:\"1.2.3\"}"},
	{"a: 08", "{a:8d}"},
	{"a: 99999999999999999999", "{a:1e+20d}"},
	{"a: |\n  x\n  y\n", "{a:\"x\ny\n\"}"},
	{"1: x\ntrue: z", "{1:\"x\" true:\"z\"}"},
	{"- a\n- [1, {b: c}]", "[\"a\" [1 {b:\"c\"}]]"},
};

static void test_resolve(void)
{
	for (size_t i = 0; i < sizeof resolve_cases / sizeof resolve_cases[0]; i++) {
		loaded r;
		load(&r, resolve_cases[i].yaml, KV_SYNTAX_YAML);
		CHECK_STR(kv_buf_cstr(&r.out), resolve_cases[i].want);
		CHECK_INT(r.diags.n, 0);
		done(&r);
	}
}

static void test_yaml11_flags(void)
{
	loaded r;
	load(&r, "a: yes\nb: true\nc: 0755\nd: 755\ne: 1_0\n", KV_SYNTAX_YAML);
	const kv_node *m = r.first;
	CHECK(kv_map_get(m, "a")->flags & KV_NF_YAML11);
	CHECK(!(kv_map_get(m, "b")->flags & KV_NF_YAML11));
	CHECK(kv_map_get(m, "c")->flags & KV_NF_YAML11);
	CHECK(!(kv_map_get(m, "d")->flags & KV_NF_YAML11));
	CHECK(kv_map_get(m, "e")->flags & KV_NF_YAML11);
	done(&r);
}

static void test_positions(void)
{
	loaded r;
	load(&r, "---\nkind: Pod\nspec:\n  containers:\n  - name: web\n    image: \"nginx\"\n",
	     KV_SYNTAX_YAML);
	const kv_node *m = r.first;
	const kv_pair *kind = kv_map_pair(m, "kind");
	CHECK_INT(kind->key->line, 2);
	CHECK_INT(kind->key->col, 1);
	CHECK_INT(kind->value->col, 7);
	const kv_node *c = kv_map_get(kv_map_get(m, "spec"), "containers")->u.items[0];
	CHECK_INT(c->line, 5);
	CHECK_INT(c->col, 5);
	const kv_node *image = kv_map_get(c, "image");
	CHECK_INT(image->line, 6);
	CHECK_INT(image->col, 12);
	done(&r);
}

static void test_multi_document(void)
{
	loaded r;
	load(&r, "a: 1\n---\n# only a comment\n---\nb: 2\n...\n---\n", KV_SYNTAX_YAML);
	CHECK_STR(kv_buf_cstr(&r.out), "{a:1} | <empty> | {b:2} | <empty>");
	CHECK_INT(r.rc, 0);
	done(&r);
	load(&r, "# nothing here\n", KV_SYNTAX_YAML);
	CHECK_INT(r.ndocs, 0);
	done(&r);
	load(&r, "", KV_SYNTAX_YAML);
	CHECK_INT(r.ndocs, 0);
	CHECK_INT(r.rc, 0);
	done(&r);
}

static void test_anchors_and_merges(void)
{
	loaded r;
	load(&r, "base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\nl: &l [1]\nm: *l\n", KV_SYNTAX_YAML);
	CHECK_STR(kv_buf_cstr(&r.out), "{base:{x:1 y:2} d:{y:3 x:1} l:[1] m:[1]}");
	CHECK_INT(r.diags.n, 0);
	done(&r);
	load(&r, "a: &a {p: 1}\nb: &b {p: 2, q: 2}\nc:\n  <<: [*a, *b]\n", KV_SYNTAX_YAML);
	CHECK_STR(kv_buf_cstr(&r.out), "{a:{p:1} b:{p:2 q:2} c:{p:1 q:2}}");
	done(&r);
	load(&r, "a: \"<<\"\n'<<': 1\n", KV_SYNTAX_YAML);
	CHECK_STR(kv_buf_cstr(&r.out), "{a:\"<<\" <<:1}");
	done(&r);
}

static void test_alias_errors(void)
{
	char buf[256];
	loaded r;
	load(&r, "a: *nope\n", KV_SYNTAX_YAML);
	CHECK_STR(first_finding(&r, buf, sizeof buf),
		  "yaml/anchor 1:4 alias *nope names no anchor defined before it");
	done(&r);
	/* Billion laughs: each level doubles nine times over. */
	kv_buf bomb = KV_BUF_INIT;
	kv_buf_puts(&bomb, "a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
	for (int i = 1; i < 10; i++)
		kv_buf_printf(&bomb, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n",
			      i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	load(&r, kv_buf_cstr(&bomb), KV_SYNTAX_YAML);
	CHECK_INT(r.rc, -1);
	CHECK(r.diags.n == 1 && r.diags.items[0].rule == KV_RULE_LIMIT_ALIASES);
	CHECK_INT(r.diags.items[0].line, 6);
	done(&r);
	kv_buf_free(&bomb);
}

static void test_duplicate_keys(void)
{
	char buf[256];
	loaded r;
	load(&r, "a: 1\nb: 2\na: 3\n", KV_SYNTAX_YAML);
	CHECK_STR(kv_buf_cstr(&r.out), "{b:2 a:3}");
	CHECK_STR(first_finding(&r, buf, sizeof buf),
		  "yaml/duplicate-key 3:1 duplicate key \"a\" (first defined at line 1)");
	done(&r);
	/* Large maps take the sorting path. */
	kv_buf big = KV_BUF_INIT;
	for (int i = 0; i < 40; i++)
		kv_buf_printf(&big, "k%d: %d\n", i, i);
	kv_buf_puts(&big, "k7: again\n");
	load(&r, kv_buf_cstr(&big), KV_SYNTAX_YAML);
	CHECK_INT(r.diags.n, 1);
	CHECK_STR(first_finding(&r, buf, sizeof buf),
		  "yaml/duplicate-key 41:1 duplicate key \"k7\" (first defined at line 8)");
	CHECK_INT(r.first->len, 40);
	CHECK_STR(kv_str(kv_map_get(r.first, "k7")), "again");
	done(&r);
	kv_buf_free(&big);
}

static void test_syntax_errors(void)
{
	char buf[256];
	loaded r;
	load(&r, "a: 1\nb: [1, 2\nc: 3\n", KV_SYNTAX_YAML);
	CHECK_INT(r.rc, -1);
	CHECK(r.diags.n == 1 && r.diags.items[0].rule == KV_RULE_YAML_SYNTAX);
	CHECK_INT(r.diags.items[0].line, 3);
	done(&r);
	load(&r, "ok: 1\n---\na: b: c\n", KV_SYNTAX_YAML);
	CHECK_INT(r.ndocs, 1);
	CHECK_STR(first_finding(&r, buf, sizeof buf),
		  "yaml/syntax 3:5 mapping values are not allowed in this context");
	done(&r);
}

static void test_depth_limit(void)
{
	kv_buf deep = KV_BUF_INIT;
	for (int i = 0; i < 100000; i++)
		kv_buf_putc(&deep, '[');
	loaded r;
	load(&r, kv_buf_cstr(&deep), KV_SYNTAX_YAML);
	CHECK_INT(r.rc, -1);
	CHECK(r.diags.n == 1 && r.diags.items[0].rule == KV_RULE_LIMIT_DEPTH);
	CHECK_INT(r.diags.items[0].col, KV_LIMIT_DEPTH_DEFAULT + 1);
	done(&r);
	load(&r, kv_buf_cstr(&deep), KV_SYNTAX_JSON);
	CHECK(r.diags.n == 1 && r.diags.items[0].rule == KV_RULE_LIMIT_DEPTH);
	done(&r);
	kv_buf_free(&deep);
}

static void test_document_limit(void)
{
	kv_limits lim;
	kv_limits_default(&lim);
	lim.documents = 3;
	const char *text = "a: 1\n---\na: 2\n---\na: 3\n---\na: 4\n";
	loaded r;
	load_with(&r, text, strlen(text), KV_SYNTAX_YAML, &lim);
	CHECK_INT(r.ndocs, 3);
	CHECK(r.diags.n == 1 && r.diags.items[0].rule == KV_RULE_LIMIT_DOCUMENTS);
	CHECK_INT(r.diags.items[0].line, 6);
	done(&r);
}

static void test_encoding(void)
{
	char buf[256];
	loaded r;
	const char bin[] = "a: 1\n\0\x01\x02";
	load_with(&r, bin, sizeof bin - 1, KV_SYNTAX_YAML, &(kv_limits){16, 10, 10, 10});
	CHECK_STR(first_finding(&r, buf, sizeof buf), "yaml/encoding 0:0 binary file: a NUL byte at offset 5");
	CHECK_INT(r.ndocs, 0);
	done(&r);
	load(&r, "a: b\nc: d\xc3\x28\n", KV_SYNTAX_YAML);
	CHECK_STR(first_finding(&r, buf, sizeof buf), "yaml/encoding 2:5 invalid UTF-8: byte 0xc3");
	done(&r);
	load(&r, "a: \xed\xa0\x80\n", KV_SYNTAX_YAML); /* an encoded surrogate */
	CHECK_INT(r.diags.n, 1);
	done(&r);
	load(&r, "\xef\xbb\xbfkind: Pod\n", KV_SYNTAX_YAML);
	CHECK_STR(kv_buf_cstr(&r.out), "{kind:\"Pod\"}");
	done(&r);
}

static void test_json(void)
{
	char buf[256];
	loaded r;
	load(&r, "{\"a\": [1, -2.5e1, true, false, null, \"x\\u00e9\\ud83d\\ude00\\n\"],\n \"b\": {}}",
	     KV_SYNTAX_JSON);
	CHECK_STR(kv_buf_cstr(&r.out), "{a:[1 -25d true false null \"x\xc3\xa9\xf0\x9f\x98\x80\n\"] b:{}}");
	CHECK_INT(kv_map_pair(r.first, "b")->key->line, 2);
	CHECK_INT(kv_map_pair(r.first, "b")->key->col, 2);
	done(&r);
	load(&r, "{\"\xc3\xa9\": 1, \"x\": 2}", KV_SYNTAX_JSON);
	CHECK_INT(kv_map_pair(r.first, "x")->key->col, 10);
	done(&r);
	load(&r, "{\"a\": 1,}", KV_SYNTAX_JSON);
	CHECK_STR(first_finding(&r, buf, sizeof buf), "yaml/syntax 1:9 expected a string key");
	done(&r);
	load(&r, "{\"a\": 01}", KV_SYNTAX_JSON);
	CHECK_INT(r.rc, -1);
	done(&r);
	load(&r, "{\"a\": \"\\ud800\"}", KV_SYNTAX_JSON);
	CHECK_STR(first_finding(&r, buf, sizeof buf), "yaml/syntax 1:8 unpaired UTF-16 surrogate in \\u escape");
	done(&r);
	load(&r, "{\"a\": 1, \"a\": 2}", KV_SYNTAX_JSON);
	CHECK_STR(kv_buf_cstr(&r.out), "{a:2}");
	CHECK_INT(r.diags.n, 1);
	done(&r);
	load(&r, "[1] x", KV_SYNTAX_JSON);
	CHECK_STR(first_finding(&r, buf, sizeof buf), "yaml/syntax 1:5 unexpected text after the JSON value");
	done(&r);
	load(&r, "123456789012345678901234567890", KV_SYNTAX_JSON);
	CHECK(r.first->type == KV_DOUBLE && (r.first->flags & KV_NF_BIGNUM));
	done(&r);
}

static const th_test tests[] = {
	TEST(test_resolve),           TEST(test_yaml11_flags),  TEST(test_positions),
	TEST(test_multi_document),    TEST(test_anchors_and_merges), TEST(test_alias_errors),
	TEST(test_duplicate_keys),    TEST(test_syntax_errors), TEST(test_depth_limit),
	TEST(test_document_limit),    TEST(test_encoding),      TEST(test_json),
};

RUN_TESTS(tests)
