/* test_cel_parse.c: runs the parser cases of tests/cel/parse.txt (expression, then "=> " and
 * the expected S-expression or "!> " and the expected error), and the parser's bounds. */
#include "harness.h"

#include "kvet/buf.h"
#include "kvet/cel.h"
#include "kvet/celeval.h"

#include <jansson.h>
#include <stdlib.h>

/* Parses text; returns the dump, or "!> line:col: message" on an error. */
static void outcome(const char *text, size_t len, const kv_cel_limits *lim, kv_buf *out)
{
	kv_arena *a = kv_arena_new();
	kv_cel_ast ast;
	kv_cel_error err;
	kv_buf_truncate(out, 0);
	if (kv_cel_parse(&ast, text, len, lim, a, &err) == 0) {
		kv_buf_puts(out, "=> ");
		kv_cel_dump(out, ast.root);
	} else {
		kv_buf_printf(out, "!> %u:%u: %s", err.line, err.col, err.msg);
	}
	kv_arena_free(a);
}

static void run_case(const char *expr, const char *want, unsigned line)
{
	kv_buf got = KV_BUF_INIT;
	outcome(expr, strlen(expr), NULL, &got);
	if (strcmp(kv_buf_cstr(&got), want) == 0) {
		th_passed++;
	} else {
		th_failed++;
		fprintf(stderr, "tests/cel/parse.txt:%u: %s\n  got  %s\n  want %s\n", line, expr,
			kv_buf_cstr(&got), want);
	}
	kv_buf_free(&got);
}

static void test_cases_file(void)
{
	FILE *f = fopen("tests/cel/parse.txt", "r");
	CHECK(f != NULL);
	if (!f)
		return;
	char line[4096];
	kv_buf expr = KV_BUF_INIT;
	unsigned n = 0, start = 0, cases = 0;
	while (fgets(line, sizeof line, f)) {
		n++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || (!line[0] && !expr.len))
			continue;
		if (strncmp(line, "=> ", 3) == 0 || strncmp(line, "!> ", 3) == 0) {
			run_case(kv_buf_cstr(&expr), line, start);
			kv_buf_truncate(&expr, 0);
			cases++;
			continue;
		}
		if (!line[0])
			continue;
		if (expr.len)
			kv_buf_putc(&expr, '\n');
		else
			start = n;
		kv_buf_puts(&expr, line);
	}
	fclose(f);
	CHECK(expr.len == 0); /* no expression without its expectation */
	CHECK(cases > 80);
	kv_buf_free(&expr);
}

static void test_bounds(void)
{
	kv_buf got = KV_BUF_INIT;
	/* Parentheses nested 40,000 deep: an error at the cap, not a stack overflow. */
	size_t n = 40000;
	char *deep = malloc(2 * n + 2);
	memset(deep, '(', n);
	deep[n] = '1';
	memset(deep + n + 1, ')', n);
	outcome(deep, 2 * n + 1, NULL, &got);
	CHECK_STR(kv_buf_cstr(&got), "!> 1:251: the expression nests too deeply");
	/* Within the cap it parses. */
	kv_cel_limits lim = {KV_CEL_DEPTH_DEFAULT, KV_CEL_SIZE_DEFAULT};
	outcome(deep + n - 200, 401, &lim, &got);
	CHECK_STR(kv_buf_cstr(&got), "=> 1");
	/* Operator chains are parsed by loops, but the tree they make is as deep as the chain,
	 * and evaluation walks it: past the cap it is the same error. */
	kv_buf chain = KV_BUF_INIT;
	for (int i = 0; i < 20000; i++)
		kv_buf_puts(&chain, "a + ");
	kv_buf_puts(&chain, "b");
	outcome(chain.data, chain.len, NULL, &got);
	CHECK(strstr(kv_buf_cstr(&got), "!> 1:") == kv_buf_cstr(&got));
	CHECK(strstr(kv_buf_cstr(&got), ": the expression nests too deeply") != NULL);
	kv_buf_truncate(&chain, 0);
	for (int i = 0; i < 200; i++)
		kv_buf_puts(&chain, "a + ");
	kv_buf_puts(&chain, "b");
	outcome(chain.data, chain.len, NULL, &got);
	CHECK(strncmp(kv_buf_cstr(&got), "=> (+ (+", 8) == 0);
	/* Negation chains likewise. */
	memset(deep, '!', n);
	deep[n] = 'x';
	outcome(deep, n + 1, NULL, &got);
	CHECK(strstr(kv_buf_cstr(&got), ": the expression nests too deeply") != NULL);
	outcome(deep + n - 100, 101, NULL, &got);
	CHECK(strncmp(kv_buf_cstr(&got), "=> (! (!", 8) == 0);
	/* && and || chains are balanced: ten thousand conditions stay shallow. */
	kv_buf_truncate(&chain, 0);
	for (int i = 0; i < 10000; i++)
		kv_buf_printf(&chain, "x%d && ", i);
	kv_buf_puts(&chain, "y || z");
	outcome(chain.data, chain.len, NULL, &got);
	CHECK(strncmp(kv_buf_cstr(&got), "=> (|| (&& (&& (&&", 18) == 0);
	/* The size limit. */
	lim.max_size = 10;
	outcome("aaaaaaaaaaaa", 12, &lim, &got);
	CHECK_STR(kv_buf_cstr(&got), "!> 1:1: the expression is longer than 10 bytes");
	/* Invalid UTF-8 and a NUL byte. */
	outcome("'\xc3\x28'", 4, NULL, &got);
	CHECK_STR(kv_buf_cstr(&got), "!> 1:2: invalid UTF-8");
	outcome("a\0b", 3, NULL, &got);
	CHECK_STR(kv_buf_cstr(&got), "!> 1:2: unexpected character");
	free(deep);
	kv_buf_free(&chain);
	kv_buf_free(&got);
}

static void test_error_render(void)
{
	const char *src = "a &&\n  b +";
	kv_arena *a = kv_arena_new();
	kv_cel_ast ast;
	kv_cel_error err;
	CHECK_INT(kv_cel_parse(&ast, src, strlen(src), NULL, a, &err), -1);
	kv_buf out = KV_BUF_INIT;
	kv_cel_error_render(&out, src, strlen(src), &err);
	CHECK_STR(kv_buf_cstr(&out),
		  "2:6: expected an expression, found the end of the expression\n |   b +\n |      ^\n");
	kv_buf_free(&out);
	kv_arena_free(a);
}

/* The real expressions of ../shared/cel/rules.jsonl all parse, except the defects its README
 * names (a single '=', a missing ')'), which must fail with the matching message. */
static void test_real_rules(void)
{
	const char *path = "../shared/cel/rules.jsonl";
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("test_real_rules: skipped: %s is absent (it is not part of a user's clone)\n", path);
		return;
	}
	char *line = NULL;
	size_t cap = 0;
	unsigned total = 0, parsed = 0, defects = 0, lineno = 0;
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		json_error_t jerr;
		json_t *rec = json_loads(line, 0, &jerr);
		const char *expr = rec ? json_string_value(json_object_get(rec, "expr")) : NULL;
		CHECK(expr != NULL);
		if (!expr) {
			json_decref(rec);
			continue;
		}
		total++;
		kv_arena *a = kv_arena_new();
		kv_cel_ast ast;
		kv_cel_error err;
		if (kv_cel_parse(&ast, expr, strlen(expr), NULL, a, &err) == 0) {
			parsed++;
		} else if (strstr(err.msg, "single =") || strstr(err.msg, "or ')'")) {
			defects++;
		} else {
			th_failed++;
			fprintf(stderr, "%s:%u: %u:%u: %s\n  %s\n", path, lineno, err.line, err.col, err.msg,
				expr);
		}
		kv_arena_free(a);
		json_decref(rec);
	}
	free(line);
	fclose(f);
	printf("test_real_rules: %u of %u expressions parse; %u are the known defects\n", parsed, total,
	       defects);
	CHECK(total > 500);
	CHECK(defects <= 3);
	CHECK_INT(parsed + defects, total);
}

/* Functions the real data calls that are not Kubernetes' (Kyverno's time.now,
 * parseServiceAccount) or are misspelt (startWith): compile errors, and no others. */
static bool known_foreign(const char *msg)
{
	return strstr(msg, "'startWith'") || strstr(msg, "'now'") || strstr(msg, "time") ||
	       strstr(msg, "'parseServiceAccount'");
}

/* The tier 0 to 2 expressions (Kubernetes' own libraries) also compile in kvet's environment
 * with the variables admission policies, CRD rules and Kyverno's CEL policies see. */
static void test_real_rules_compile(void)
{
	static const char *const vars[] = {"self", "oldSelf", "object", "oldObject", "request", "params",
					   "namespaceObject", "variables", "authorizer"};
	const char *path = "../shared/cel/rules.jsonl";
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("test_real_rules_compile: skipped: %s is absent\n", path);
		return;
	}
	kv_cel_env *env = kv_cel_env_new(KV_CEL_LIB_ALL);
	/* The documentation's examples use names of their own (names, items...): in that
	 * environment unknown names are fine, unknown functions still are not. */
	kv_cel_env *docs = kv_cel_env_new(KV_CEL_LIB_ALL);
	kv_cel_env_lenient(docs, true);
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		kv_cel_env_var(env, vars[i]);
		kv_cel_env_var(docs, vars[i]);
	}
	char *line = NULL;
	size_t cap = 0;
	unsigned total = 0, compiled = 0, foreign = 0;
	while (getline(&line, &cap, f) > 0) {
		json_error_t jerr;
		json_t *rec = json_loads(line, 0, &jerr);
		const char *expr = json_string_value(json_object_get(rec, "expr"));
		json_int_t tier = json_integer_value(json_object_get(rec, "tier"));
		const char *kind = json_string_value(json_object_get(rec, "kind"));
		if (expr && tier <= 2) {
			total++;
			kv_cel_prog *p;
			kv_cel_error err;
			kv_cel_env *e = kind && strcmp(kind, "doc-table") == 0 ? docs : env;
			if (kv_cel_compile(&p, e, expr, strlen(expr), &err) == 0) {
				compiled++;
				kv_cel_prog_free(p);
			} else if (known_foreign(err.msg) || strstr(err.msg, "single =") || strstr(err.msg, "or ')'")) {
				foreign++;
			} else {
				th_failed++;
				fprintf(stderr, "%s: %u:%u: %s\n  %s\n", path, err.line, err.col, err.msg, expr);
			}
		}
		json_decref(rec);
	}
	free(line);
	fclose(f);
	kv_cel_env_free(env);
	kv_cel_env_free(docs);
	printf("test_real_rules_compile: %u of %u tier 0-2 expressions compile; %u call functions outside "
	       "Kubernetes' libraries or do not parse (known)\n", compiled, total, foreign);
	CHECK(total > 400);
	CHECK(foreign <= 8);
	CHECK_INT(compiled + foreign, total);
}

static const th_test tests[] = {
	TEST(test_cases_file),
	TEST(test_bounds),
	TEST(test_error_render),
	TEST(test_real_rules),
	TEST(test_real_rules_compile),
};

RUN_TESTS(tests)
