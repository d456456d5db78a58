/* test_render_envsubst.c: Flux's post-build substitution language as fluxcd/pkg/envsubst
 * evaluates it: the ${var} forms and their functions, the $$ escape, undefined variables, the
 * errors it gives for malformed text, and the variable-name rule. */
#include "harness.h"

#include "../../src/render/units.h"

static const struct {
	const char *name, *value;
} vars_table[] = {
	{"A", "hello"}, {"P", "a/b/c"}, {"C", "ABC"}, {"X", "x"}, {"EMPTY", ""}, {"N", "3"},
};

static const char *lookup(void *ctx, const char *name, size_t len)
{
	(void)ctx;
	for (size_t i = 0; i < sizeof vars_table / sizeof vars_table[0]; i++)
		if (strlen(vars_table[i].name) == len && memcmp(vars_table[i].name, name, len) == 0)
			return vars_table[i].value;
	return NULL;
}

static const struct {
	const char *in, *out;
} ok_cases[] = {
	{"plain text", "plain text"},
	{"${A}", "hello"},
	{"x${A}y", "xhelloy"},
	{"${UNDEFINED}", ""},
	{"a${UNDEFINED}b", "ab"},
	{"$A stays", "$A stays"},          /* only the braced form is a reference */
	{"$${A}", "${A}"},                 /* Flux's escape for a literal ${A} */
	{"cost: $$5", "cost: $5"},
	{"a$b$", "a$b$"},
	{"${A:=default}", "hello"},
	{"${UNDEFINED:=default}", "default"},
	{"${UNDEFINED:-default}", "default"},
	{"${EMPTY:-default}", "default"},
	{"${UNDEFINED=default}", "default"},
	{"${UNDEFINED:+alt}", "alt"},      /* every default form returns the default when empty */
	{"${UNDEFINED:-${A}}", "hello"},
	{"${UNDEFINED:-a:b c}", "a:b c"},
	{"${A^}", "Hello"},
	{"${A^^}", "HELLO"},
	{"${C,}", "aBC"},
	{"${C,,}", "abc"},
	{"${#A}", "5"},
	{"${#UNDEFINED}", "0"},
	{"${A:1}", "ello"},
	{"${A:1:3}", "ell"},
	{"${A:10}", ""},
	{"${A#he}", "llo"},
	{"${A#x}", "hello"},
	{"${P#*/}", "b/c"},
	{"${P##*/}", "b/c"},               /* path.Match: '*' never matches '/' */
	{"${P%/*}", "a/b"},
	{"${A%lo}", "hel"},
	{"${A/l/L}", "heLlo"},
	{"${A//l/L}", "heLLo"},
	{"${A/#he/HE}", "HEllo"},
	{"${A/%lo/LO}", "helLO"},
	{"${A/l/}", "helo"},
	{"replicas: ${N}", "replicas: 3"},
	{"${X}${X}", "xx"},
};

static void test_eval(void)
{
	for (size_t i = 0; i < sizeof ok_cases / sizeof ok_cases[0]; i++) {
		kv_buf out = KV_BUF_INIT, err = KV_BUF_INIT;
		int rc = un_envsubst(ok_cases[i].in, strlen(ok_cases[i].in), lookup, NULL, &out, &err);
		CHECK_INT(rc, 0);
		if (rc != 0)
			fprintf(stderr, "  input %s: %s\n", ok_cases[i].in, kv_buf_cstr(&err));
		CHECK_STR(kv_buf_cstr(&out), ok_cases[i].out);
		kv_buf_free(&out);
		kv_buf_free(&err);
	}
}

static const struct {
	const char *in, *err;
} bad_cases[] = {
	{"${A", "missing closing brace"},
	{"${A-default}", "missing closing brace"}, /* only :=, :-, :?, :+ and = are default forms */
	{"${}", "unable to parse variable name"},
	{"${ A}", "unable to parse variable name"},
	{"${A:}", "unable to parse substitution within function"},
	{"${A:-x", "unable to parse substitution within function"},
	{"${A/x}", "bad substitution"},
	{"${#}", "bad substitution"},
};

static void test_errors(void)
{
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		kv_buf out = KV_BUF_INIT, err = KV_BUF_INIT;
		CHECK_INT(un_envsubst(bad_cases[i].in, strlen(bad_cases[i].in), lookup, NULL, &out, &err), -1);
		CHECK_STR(kv_buf_cstr(&err), bad_cases[i].err);
		kv_buf_free(&out);
		kv_buf_free(&err);
	}
}

/* Hostile input: deep nesting is refused, a costly pattern is bounded. */
static void test_limits(void)
{
	kv_buf in = KV_BUF_INIT, out = KV_BUF_INIT, err = KV_BUF_INIT;
	for (int i = 0; i < 100; i++)
		kv_buf_puts(&in, "${U:-");
	for (int i = 0; i < 100; i++)
		kv_buf_putc(&in, '}');
	CHECK_INT(un_envsubst(in.data, in.len, lookup, NULL, &out, &err), -1);
	CHECK_STR(kv_buf_cstr(&err), "substitutions nest too deeply");
	kv_buf_free(&in);
	kv_buf_free(&out);
	kv_buf_free(&err);
	const char *nul = "a\0${A}";
	kv_buf o2 = KV_BUF_INIT, e2 = KV_BUF_INIT;
	CHECK_INT(un_envsubst(nul, 6, lookup, NULL, &o2, &e2), 0); /* a NUL ends the text, as in Go's scanner */
	CHECK_STR(kv_buf_cstr(&o2), "a");
	kv_buf_free(&o2);
	kv_buf_free(&e2);
}

static void test_names(void)
{
	CHECK(un_var_name_ok("A", 1));
	CHECK(un_var_name_ok("_a1", 3));
	CHECK(un_var_name_ok("cluster_name", 12));
	CHECK(!un_var_name_ok("1A", 2));
	CHECK(!un_var_name_ok("a-b", 3));
	CHECK(!un_var_name_ok("a.b", 3));
	CHECK(!un_var_name_ok("", 0));
}

static const th_test tests[] = {
	TEST(test_eval),
	TEST(test_errors),
	TEST(test_limits),
	TEST(test_names),
};

RUN_TESTS(tests)
