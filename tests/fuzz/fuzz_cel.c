/* fuzz_cel.c: libFuzzer target for the policy language. The input is an expression, then
 * optionally a line "---" and a YAML document bound as `object`. Each input is parsed (and
 * its tree dumped), compiled in a strict and a lenient environment, and evaluated under a
 * small step budget; the result is rendered as JSON and as a literal. Nothing may crash, leak
 * or run past the budget. */
#include "kvet/arena.h"
#include "kvet/buf.h"
#include "kvet/cel.h"
#include "kvet/celeval.h"
#include "kvet/diag.h"
#include "kvet/yaml.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_BUDGET 20000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char default_object[] =
	"{metadata: {name: web, labels: {app: web}}, spec: {replicas: 2, containers: "
	"[{name: a, image: 'nginx:1', ports: [{containerPort: 80}]}, {name: b, image: redis}]}}";

static kv_node *load(const char *text, size_t len, kv_arena *a)
{
	kv_diags diags;
	kv_diags_init(&diags, NULL, 0);
	kv_limits lim;
	kv_limits_default(&lim);
	lim.depth = 32;
	lim.alias_nodes = 2000;
	kv_loader *l = kv_loader_new(text, len, KV_SYNTAX_YAML, &lim, &diags);
	kv_doc doc = {0};
	kv_node *root = kv_loader_next(l, a, &doc) == 1 ? doc.root : NULL;
	kv_loader_free(l);
	kv_diags_free(&diags);
	return root;
}

static void evaluate(const char *expr, size_t len, bool lenient, const kv_cel_val *object)
{
	kv_cel_env *env = kv_cel_env_new(KV_CEL_LIB_ALL);
	kv_cel_env_lenient(env, lenient);
	kv_cel_val vars[2] = {*object, kv_cel_null()};
	kv_cel_env_var(env, "object");
	kv_cel_env_var(env, "params");
	kv_cel_prog *p;
	kv_cel_error err;
	if (kv_cel_compile(&p, env, expr, len, &err) == 0) {
		kv_cel_run *r = kv_cel_run_new();
		kv_cel_run_budget(r, FUZZ_BUDGET);
		kv_cel_val v = kv_cel_eval(r, p, vars, 2);
		if (kv_cel_run_steps(r) > FUZZ_BUDGET + 4096) {
			fprintf(stderr, "fuzz_cel: %llu steps, over the budget\n", (unsigned long long)kv_cel_run_steps(r));
			abort();
		}
		kv_buf out = KV_BUF_INIT;
		kv_cel_val_json(&out, &v);
		kv_cel_val_literal(&out, &v);
		kv_buf_free(&out);
		kv_cel_run_free(r);
		kv_cel_prog_free(p);
	} else if (!err.line || !err.col || !err.msg[0]) {
		fprintf(stderr, "fuzz_cel: an error without position or message\n");
		abort();
	}
	kv_cel_env_free(env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *sep = size >= 5 ? memmem(text, size, "\n---\n", 5) : NULL;
	size_t elen = sep ? (size_t)(sep - text) : size;
	kv_arena *a = kv_arena_new();
	kv_cel_ast ast;
	kv_cel_error err;
	if (kv_cel_parse(&ast, text, elen, NULL, a, &err) == 0) {
		kv_buf dump = KV_BUF_INIT;
		kv_cel_dump(&dump, ast.root);
		kv_buf_free(&dump);
	} else {
		kv_buf msg = KV_BUF_INIT;
		kv_cel_error_render(&msg, text, elen, &err);
		kv_buf_free(&msg);
	}
	kv_node *root = sep ? load(sep + 5, size - elen - 5, a) : load(default_object, sizeof default_object - 1, a);
	kv_cel_val object = root ? kv_cel_from_node(root) : kv_cel_null();
	evaluate(text, elen, false, &object);
	evaluate(text, elen, true, &object);
	kv_arena_free(a);
	return 0;
}
