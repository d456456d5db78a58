/* conformance.c: runs the CEL conformance tests (JSON lines written by export.mjs from
 * @bufbuild/cel-spec) through kvet's evaluator and prints passed/total per suite.
 *
 *   cel_conformance [--failures] [--suite NAME] [--target PERCENT] TESTS.jsonl
 *
 * A test passes when the result is identical to the expected value (same types, NaN equal
 * to NaN), or, when an error is expected, when evaluation (or compilation) fails. Tests
 * that need protobuf message types are counted apart and not run; tests that only check a
 * type checker's deductions count as failures, since kvet has no static type checker. Exits
 * 1 when the pass rate over the tests without message types is below the target (95). */
#include "kvet/buf.h"
#include "kvet/celeval.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	char name[64];
	unsigned passed, total, proto;
} suite_stat;

static suite_stat stats[64];
static size_t nstats;

static suite_stat *stat_for(const char *name)
{
	for (size_t i = 0; i < nstats; i++)
		if (strcmp(stats[i].name, name) == 0)
			return &stats[i];
	if (nstats == sizeof stats / sizeof stats[0])
		return &stats[nstats - 1];
	snprintf(stats[nstats].name, sizeof stats[nstats].name, "%s", name);
	return &stats[nstats++];
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

static char *unbase64(kv_cel_run *r, const char *s, size_t *n)
{
	size_t len = strlen(s);
	char *out = kv_cel_run_alloc(r, len + 1);
	size_t k = 0;
	unsigned acc = 0, bits = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b64val((unsigned char)s[i]);
		if (v < 0)
			continue;
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[k++] = (char)(acc >> bits & 0xFF);
		}
	}
	*n = k;
	return out;
}

/* A value computed by a CEL expression (durations and timestamps given as text). */
static int eval_text(kv_cel_run *r, const char *fn, const char *arg, kv_cel_val *out)
{
	char src[256];
	snprintf(src, sizeof src, "%s('%s')", fn, arg);
	kv_cel_env *env = kv_cel_env_new(KV_CEL_LIB_ALL);
	kv_cel_prog *p;
	kv_cel_error err;
	int rc = -1;
	if (kv_cel_compile(&p, env, src, strlen(src), &err) == 0) {
		*out = kv_cel_eval(r, p, NULL, 0);
		rc = out->type == KV_CEL_T_ERROR ? -1 : 0;
		kv_cel_prog_free(p);
	}
	kv_cel_env_free(env);
	return rc;
}

static const struct {
	const char *name;
	kv_cel_vtype type;
} type_values[] = {
	{"null_type", KV_CEL_T_NULL}, {"bool", KV_CEL_T_BOOL}, {"int", KV_CEL_T_INT},
	{"uint", KV_CEL_T_UINT}, {"double", KV_CEL_T_DOUBLE}, {"string", KV_CEL_T_STRING},
	{"bytes", KV_CEL_T_BYTES}, {"list", KV_CEL_T_LIST}, {"map", KV_CEL_T_MAP},
	{"type", KV_CEL_T_TYPE}, {"optional_type", KV_CEL_T_OPTIONAL},
	{"google.protobuf.Duration", KV_CEL_T_DURATION}, {"google.protobuf.Timestamp", KV_CEL_T_TIMESTAMP},
};

/* A cel.expr.Value in protobuf JSON. Returns 0, or -1 for a form kvet cannot represent. */
static int from_json(kv_cel_run *r, json_t *j, kv_cel_val *out)
{
	json_t *v;
	if (json_object_get(j, "nullValue")) {
		*out = kv_cel_null();
		return 0;
	}
	if ((v = json_object_get(j, "boolValue"))) {
		*out = kv_cel_bool(json_is_true(v));
		return 0;
	}
	if ((v = json_object_get(j, "int64Value"))) {
		*out = kv_cel_int(json_is_string(v) ? strtoll(json_string_value(v), NULL, 10) : (long long)json_number_value(v));
		return 0;
	}
	if ((v = json_object_get(j, "uint64Value"))) {
		*out = kv_cel_uint(json_is_string(v) ? strtoull(json_string_value(v), NULL, 10)
						      : (unsigned long long)json_number_value(v));
		return 0;
	}
	if ((v = json_object_get(j, "doubleValue"))) {
		if (json_is_string(v)) {
			const char *s = json_string_value(v);
			*out = kv_cel_double(strcmp(s, "NaN") == 0 ? NAN : s[0] == '-' ? -INFINITY : INFINITY);
		} else {
			*out = kv_cel_double(json_number_value(v));
		}
		return 0;
	}
	if ((v = json_object_get(j, "stringValue"))) {
		*out = kv_cel_string(json_string_value(v), json_string_length(v));
		return 0;
	}
	if ((v = json_object_get(j, "bytesValue"))) {
		size_t n;
		char *b = unbase64(r, json_string_value(v), &n);
		*out = kv_cel_bytes(b, n);
		return 0;
	}
	if ((v = json_object_get(j, "listValue"))) {
		json_t *vals = json_object_get(v, "values");
		size_t n = json_array_size(vals);
		kv_cel_val *items = kv_cel_run_alloc(r, sizeof *items * (n ? n : 1));
		for (size_t i = 0; i < n; i++)
			if (from_json(r, json_array_get(vals, i), &items[i]) != 0)
				return -1;
		*out = kv_cel_list(items, n);
		return 0;
	}
	if ((v = json_object_get(j, "mapValue"))) {
		json_t *entries = json_object_get(v, "entries");
		size_t n = json_array_size(entries);
		kv_cel_val *items = kv_cel_run_alloc(r, sizeof *items * 2 * (n ? n : 1));
		for (size_t i = 0; i < n; i++) {
			json_t *e = json_array_get(entries, i);
			if (from_json(r, json_object_get(e, "key"), &items[2 * i]) != 0 ||
			    from_json(r, json_object_get(e, "value"), &items[2 * i + 1]) != 0)
				return -1;
		}
		*out = kv_cel_map(items, n);
		return 0;
	}
	if ((v = json_object_get(j, "typeValue"))) {
		for (size_t i = 0; i < sizeof type_values / sizeof type_values[0]; i++) {
			if (strcmp(type_values[i].name, json_string_value(v)) == 0) {
				*out = kv_cel_type(type_values[i].type);
				return 0;
			}
		}
		return -1;
	}
	if ((v = json_object_get(j, "objectValue"))) {
		const char *type = json_string_value(json_object_get(v, "@type"));
		const char *text = json_string_value(json_object_get(v, "value"));
		if (!type || !text)
			return -1;
		if (strstr(type, "google.protobuf.Duration"))
			return eval_text(r, "duration", text, out);
		if (strstr(type, "google.protobuf.Timestamp"))
			return eval_text(r, "timestamp", text, out);
		return -1;
	}
	return -1;
}

typedef struct {
	bool failures;
	const char *only_suite;
	double target;
} options;

/* Runs one test; returns 1 passed, 0 failed (with why), -1 not run (protobuf). */
static int run_test(json_t *t, kv_cel_run *r, kv_buf *why)
{
	if (json_is_true(json_object_get(t, "proto")))
		return -1;
	if (json_is_true(json_object_get(t, "checkOnly"))) {
		kv_buf_puts(why, "checks static types only (kvet has no type checker)");
		return 0;
	}
	json_t *expect_value = json_object_get(t, "value");
	json_t *typed = json_object_get(t, "typedResult");
	if (!expect_value && typed)
		expect_value = json_object_get(typed, "result");
	bool expect_error = json_object_get(t, "evalError") != NULL || json_object_get(t, "anyEvalErrors");
	kv_cel_env *env = kv_cel_env_new(KV_CEL_LIB_ALL);
	kv_cel_env_lenient(env, json_is_true(json_object_get(t, "disableCheck")));
	kv_cel_env_container(env, json_string_value(json_object_get(t, "container")));
	json_t *decls = json_object_get(t, "typeEnv");
	for (size_t i = 0; i < json_array_size(decls); i++) {
		json_t *d = json_array_get(decls, i);
		if (json_object_get(d, "ident"))
			kv_cel_env_var(env, json_string_value(json_object_get(d, "name")));
	}
	json_t *bindings = json_object_get(t, "bindings");
	const char *key;
	json_t *b;
	json_object_foreach(bindings, key, b) kv_cel_env_var(env, key);
	static const kv_cel_err unbound = {KV_CEL_E_UNDECLARED, 0, "no value bound"};
	kv_cel_val vars[32];
	for (size_t i = 0; i < 32; i++)
		vars[i] = (kv_cel_val){.type = KV_CEL_T_ERROR, .u.err = &unbound};
	size_t nvars = 32;
	int result = 0;
	kv_cel_prog *p = NULL;
	json_object_foreach(bindings, key, b)
	{
		size_t slot = kv_cel_env_var(env, key);
		if (slot >= 32 || from_json(r, json_object_get(b, "value"), &vars[slot]) != 0) {
			kv_buf_printf(why, "cannot represent the binding of %s", key);
			goto done;
		}
	}
	json_t *jexpr = json_object_get(t, "expr");
	const char *expr = json_string_value(jexpr);
	kv_cel_error err;
	if (kv_cel_compile(&p, env, expr, json_string_length(jexpr), &err) != 0) {
		if (expect_error) {
			result = 1;
			goto done;
		}
		kv_buf_printf(why, "compile error %u:%u: %s", err.line, err.col, err.msg);
		goto done;
	}
	kv_cel_val got = kv_cel_eval(r, p, vars, nvars);
	if (expect_error) {
		result = got.type == KV_CEL_T_ERROR;
		if (!result) {
			kv_buf_puts(why, "want an error, got ");
			kv_cel_val_literal(why, &got);
		}
		goto done;
	}
	/* A test that states neither a value nor an error expects true (cel-spec's rule). */
	kv_cel_val want = kv_cel_bool(true);
	if (expect_value && from_json(r, expect_value, &want) != 0) {
		kv_buf_puts(why, "cannot represent the expected value");
		goto done;
	}
	result = kv_cel_identical(&got, &want);
	if (!result) {
		kv_buf_puts(why, "got ");
		kv_cel_val_literal(why, &got);
		kv_buf_puts(why, ", want ");
		kv_cel_val_literal(why, &want);
	}
done:
	kv_cel_prog_free(p);
	kv_cel_env_free(env);
	return result;
}

static int usage(void)
{
	fprintf(stderr, "usage: cel_conformance [--failures] [--suite NAME] [--target PERCENT] TESTS.jsonl\n");
	return 2;
}

int main(int argc, char **argv)
{
	options o = {.target = 95.0};
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--failures") == 0)
			o.failures = true;
		else if (strcmp(argv[i], "--suite") == 0 && i + 1 < argc)
			o.only_suite = argv[++i];
		else if (strcmp(argv[i], "--target") == 0 && i + 1 < argc)
			o.target = atof(argv[++i]);
		else if (argv[i][0] == '-')
			return usage();
		else
			path = argv[i];
	}
	if (!path)
		return usage();
	FILE *f = fopen(path, "r");
	if (!f) {
		perror(path);
		return 2;
	}
	kv_cel_run *r = kv_cel_run_new();
	char *line = NULL;
	size_t cap = 0;
	kv_buf why = KV_BUF_INIT;
	while (getline(&line, &cap, f) > 0) {
		json_error_t jerr;
		json_t *t = json_loads(line, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &jerr);
		if (!t) {
			fprintf(stderr, "%s: %s\n", path, jerr.text);
			return 2;
		}
		const char *suite = json_string_value(json_object_get(t, "suite"));
		if (!suite || (o.only_suite && strcmp(suite, o.only_suite) != 0)) {
			json_decref(t);
			continue;
		}
		suite_stat *s = stat_for(suite);
		kv_buf_truncate(&why, 0);
		int rc = run_test(t, r, &why);
		kv_cel_run_reset(r);
		if (rc < 0) {
			s->proto++;
		} else {
			s->total++;
			s->passed += (unsigned)rc;
			if (!rc && o.failures)
				printf("FAIL %s/%s/%s: %s\n    %s\n", suite,
				       json_string_value(json_object_get(t, "section")),
				       json_string_value(json_object_get(t, "name")),
				       json_string_value(json_object_get(t, "expr")), kv_buf_cstr(&why));
		}
		json_decref(t);
	}
	free(line);
	fclose(f);
	kv_buf_free(&why);
	kv_cel_run_free(r);
	unsigned passed = 0, total = 0, proto = 0;
	printf("%-18s %8s %8s %8s\n", "suite", "passed", "total", "proto");
	for (size_t i = 0; i < nstats; i++) {
		printf("%-18s %8u %8u %8u\n", stats[i].name, stats[i].passed, stats[i].total, stats[i].proto);
		passed += stats[i].passed;
		total += stats[i].total;
		proto += stats[i].proto;
	}
	double rate = total ? 100.0 * passed / total : 0;
	printf("%-18s %8u %8u %8u\n", "all", passed, total, proto);
	printf("conformance: %u of %u tests without protobuf messages pass (%.1f%%; target %.0f%%); "
	       "%u tests need protobuf messages and were not run\n",
	       passed, total, rate, o.target, proto);
	return rate >= o.target ? 0 : 1;
}
