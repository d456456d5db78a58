/* test_cel_eval.c: runs the evaluator cases of tests/cel/eval/ (one file per library), plus evaluation bounds
 * and the document locations of results.
 *
 * A case is an expression (one or more lines), then "=> " and the expected value as a CEL
 * literal (kv_cel_val_literal's form), or "!> " and text the error message must contain (a
 * compile error counts). Lines before the expression bind variables for that case only:
 *   %let NAME = EXPR     the value of a CEL expression
 *   %yaml NAME = TEXT    a YAML (flow) document, bound as a view of its nodes
 * Cases are separated by blank lines; lines starting with # are comments. */
#include "harness.h"

#include "kvet/buf.h"
#include "kvet/celeval.h"
#include "kvet/diag.h"
#include "kvet/yaml.h"

#include <dirent.h>
#include <stdlib.h>

#define MAX_VARS 16

typedef struct {
	char *names[MAX_VARS];
	char *exprs[MAX_VARS];
	bool yaml[MAX_VARS];
	size_t n;
} bindings;

static void bindings_clear(bindings *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->names[i]);
		free(b->exprs[i]);
	}
	b->n = 0;
}

static kv_node *load_yaml(const char *text, kv_arena *a)
{
	kv_diags diags;
	kv_diags_init(&diags, NULL, 0);
	kv_limits lim;
	kv_limits_default(&lim);
	kv_loader *l = kv_loader_new(text, strlen(text), KV_SYNTAX_YAML, &lim, &diags);
	kv_doc doc = {0};
	kv_node *root = kv_loader_next(l, a, &doc) == 1 ? doc.root : NULL;
	kv_loader_free(l);
	kv_diags_free(&diags);
	return root;
}

/* The value borrows from *prog (string literals), which the caller frees after use. */
static int value_of(const char *expr, kv_cel_env *env, kv_cel_run *r, kv_cel_prog **prog, kv_cel_val *out)
{
	kv_cel_error err;
	if (kv_cel_compile(prog, env, expr, strlen(expr), &err) != 0)
		return -1;
	*out = kv_cel_eval(r, *prog, NULL, 0);
	return 0;
}

/* Evaluates expr with the bindings; the outcome as "=> literal" or "!> message". */
static void outcome(const char *expr, const bindings *b, kv_buf *out)
{
	kv_arena *a = kv_arena_new();
	kv_cel_run *r = kv_cel_run_new();
	kv_cel_env *env = kv_cel_env_new(KV_CEL_LIB_ALL);
	kv_cel_env *empty = kv_cel_env_new(KV_CEL_LIB_ALL);
	kv_cel_prog *lets[MAX_VARS] = {0};
	kv_cel_val vars[MAX_VARS];
	kv_buf_truncate(out, 0);
	for (size_t i = 0; i < b->n; i++) {
		size_t slot = kv_cel_env_var(env, b->names[i]);
		if (b->yaml[i]) {
			kv_node *root = load_yaml(b->exprs[i], a);
			vars[slot] = root ? kv_cel_from_node(root) : kv_cel_null();
		} else if (value_of(b->exprs[i], empty, r, &lets[i], &vars[slot]) != 0) {
			kv_buf_printf(out, "!> (bad %%let %s)", b->names[i]);
			goto done;
		}
	}
	kv_cel_prog *p;
	kv_cel_error err;
	if (kv_cel_compile(&p, env, expr, strlen(expr), &err) != 0) {
		kv_buf_printf(out, "!> %u:%u: %s", err.line, err.col, err.msg);
		goto done;
	}
	kv_cel_val v = kv_cel_eval(r, p, vars, b->n);
	if (v.type == KV_CEL_T_ERROR) {
		kv_buf_printf(out, "!> %s", v.u.err->msg);
	} else {
		kv_buf_puts(out, "=> ");
		kv_cel_val_literal(out, &v);
	}
	kv_cel_prog_free(p);
done:
	for (size_t i = 0; i < MAX_VARS; i++)
		kv_cel_prog_free(lets[i]);
	kv_cel_env_free(empty);
	kv_cel_env_free(env);
	kv_cel_run_free(r);
	kv_arena_free(a);
}

static void run_case(const char *file, unsigned line, const char *expr, const bindings *b, const char *want)
{
	kv_buf got = KV_BUF_INIT;
	outcome(expr, b, &got);
	const char *g = kv_buf_cstr(&got);
	bool ok = want[0] == '=' ? strcmp(g, want) == 0
				 : strncmp(g, "!> ", 3) == 0 && strstr(g + 3, want + 3) != NULL;
	if (ok) {
		th_passed++;
	} else {
		th_failed++;
		fprintf(stderr, "%s:%u: %s\n  got  %s\n  want %s\n", file, line, expr, g, want);
	}
	kv_buf_free(&got);
}

static bool binding_line(const char *line, bindings *b)
{
	bool yaml = strncmp(line, "%yaml ", 6) == 0;
	if (!yaml && strncmp(line, "%let ", 5) != 0)
		return false;
	const char *name = line + (yaml ? 6 : 5);
	const char *eq = strstr(name, " = ");
	if (!eq || b->n == MAX_VARS)
		return false;
	b->names[b->n] = strndup(name, (size_t)(eq - name));
	b->exprs[b->n] = strdup(eq + 3);
	b->yaml[b->n] = yaml;
	b->n++;
	return true;
}

static unsigned run_file(const char *path)
{
	FILE *f = fopen(path, "r");
	CHECK(f != NULL);
	if (!f)
		return 0;
	char *line = NULL;
	size_t cap = 0;
	kv_buf expr = KV_BUF_INIT;
	bindings b = {0};
	unsigned n = 0, start = 0, cases = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) >= 0) {
		n++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || (!line[0] && !expr.len))
			continue;
		if (!expr.len && line[0] == '%') {
			if (!binding_line(line, &b)) {
				th_failed++;
				fprintf(stderr, "%s:%u: bad binding line\n", path, n);
			}
			continue;
		}
		if (strncmp(line, "=> ", 3) == 0 || strncmp(line, "!> ", 3) == 0) {
			run_case(path, start, kv_buf_cstr(&expr), &b, line);
			kv_buf_truncate(&expr, 0);
			bindings_clear(&b);
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
	if (expr.len) {
		th_failed++;
		fprintf(stderr, "%s:%u: an expression without its expectation\n", path, start);
	}
	free(line);
	fclose(f);
	kv_buf_free(&expr);
	bindings_clear(&b);
	return cases;
}

static void test_case_files(void)
{
	DIR *d = opendir("tests/cel/eval");
	CHECK(d != NULL);
	if (!d)
		return;
	struct dirent *e;
	unsigned cases = 0;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 4, ".txt") != 0)
			continue;
		char path[512];
		snprintf(path, sizeof path, "tests/cel/eval/%s", e->d_name);
		cases += run_file(path);
	}
	closedir(d);
	CHECK(cases > 100);
}

static const th_test tests[] = {
	TEST(test_case_files),
};

RUN_TESTS(tests)
