/* test_schema.c: schema compilation and validation. Compiled images are untrusted input (they
 * come from the cache), so every single-byte corruption and every truncation of one must be
 * rejected or, if accepted, validated against without any fault (run under ASan). */
#include "harness.h"

#include "kvet/location.h"
#include "kvet/schema.h"
#include "kvet/validate.h"
#include "kvet/yaml.h"

#include <stdlib.h>
#include <unistd.h>

static const char doc[] =
	"{\"swagger\": \"2.0\", \"info\": {\"title\": \"t\", \"version\": \"1\"},\n"
	" \"definitions\": {\n"
	"  \"io.example.v1.Thing\": {\"type\": \"object\", \"required\": [\"spec\"],\n"
	"   \"properties\": {\"apiVersion\": {\"type\": \"string\"}, \"kind\": {\"type\": \"string\"},\n"
	"    \"metadata\": {\"type\": \"object\"},\n"
	"    \"spec\": {\"$ref\": \"#/definitions/io.example.v1.Spec\"}},\n"
	"   \"x-kubernetes-group-version-kind\": [{\"group\": \"example.io\", \"version\": \"v1\", \"kind\": \"Thing\"}]},\n"
	"  \"io.example.v1.Spec\": {\"type\": \"object\", \"properties\": {\n"
	"    \"size\": {\"type\": \"integer\", \"format\": \"int32\", \"minimum\": 1},\n"
	"    \"name\": {\"type\": \"string\", \"pattern\": \"^[a-z]+$\", \"enum\": [\"ab\", \"cd\"]},\n"
	"    \"items\": {\"type\": \"array\", \"x-kubernetes-list-type\": \"map\",\n"
	"      \"x-kubernetes-list-map-keys\": [\"k\"], \"items\": {\"type\": \"object\",\n"
	"      \"properties\": {\"k\": {\"type\": \"string\"}, \"v\": {\"type\": \"string\"}}}},\n"
	"    \"child\": {\"$ref\": \"#/definitions/io.example.v1.Spec\"},\n"
	"    \"either\": {\"oneOf\": [{\"type\": \"string\"}, {\"type\": \"integer\"}]}}}\n"
	" }}\n";

static const char object[] =
	"apiVersion: example.io/v1\n"
	"kind: Thing\n"
	"metadata: {name: t}\n"
	"spec:\n"
	"  size: 0\n"
	"  name: Zz\n"
	"  items: [{k: a}, {k: a, v: x}]\n"
	"  child: {size: 2, child: {size: 99999999999, bogus: 1}}\n"
	"  either: [1]\n";

static kv_schema *compile(const char *text, kv_diags *d)
{
	kv_limits lim;
	kv_limits_default(&lim);
	kv_arena *a = kv_arena_new();
	kv_loader *l = kv_loader_new(text, strlen(text), KV_SYNTAX_JSON, &lim, d);
	kv_doc dd;
	kv_schema *s = NULL;
	if (kv_loader_next(l, a, &dd) == 1)
		kv_schema_compile_openapi(&s, dd.root, "test", d);
	kv_loader_free(l);
	kv_arena_free(a);
	return s;
}

/* Validates object against the Thing schema of s; returns the findings' rules, joined. */
static void validate_with(kv_schema *s, const char *obj, kv_buf *rules, uint64_t steps)
{
	kv_schemaset *set = kv_schemaset_new();
	kv_schemaset_add(set, s);
	kv_schemaset_freeze(set);
	kv_limits lim;
	kv_limits_default(&lim);
	kv_arena *a = kv_arena_new();
	kv_diags d;
	kv_diags_init(&d, NULL, 0);
	kv_loader *l = kv_loader_new(obj, strlen(obj), KV_SYNTAX_YAML, &lim, &d);
	kv_doc dd;
	kv_vopts vo = {set, false, steps, 0, 0};
	kv_validator *v = kv_validator_new(&vo);
	kv_sref ref;
	if (kv_loader_next(l, a, &dd) == 1 && kv_schemaset_find(set, "example.io", "v1", "Thing", &ref))
		kv_validate(v, ref, dd.root, 0, &d);
	for (size_t i = 0; i < d.n; i++)
		kv_buf_printf(rules, "%s%s@%s", i ? " " : "", kv_rule_name(d.items[i].rule),
			      d.items[i].field ? d.items[i].field : "-");
	kv_validator_free(v);
	kv_loader_free(l);
	kv_diags_free(&d);
	kv_arena_free(a);
	kv_schemaset_free(set); /* frees s */
}

static void test_compile_and_validate(void)
{
	kv_diags d;
	kv_diags_init(&d, NULL, 0);
	kv_schema *s = compile(doc, &d);
	CHECK(s != NULL);
	CHECK_INT(d.n, 0);
	CHECK_INT(kv_schema_gvk_count(s), 1);
	kv_buf rules = KV_BUF_INIT;
	validate_with(s, object, &rules, KV_VALIDATE_STEPS_DEFAULT);
	CHECK_STR(kv_buf_cstr(&rules),
		  "schema/range@spec.size schema/pattern@spec.name schema/enum@spec.name "
		  "schema/unique@spec.items[1] schema/range@spec.child.child.size "
		  "schema/unknown-field@spec.child.child.bogus schema/combinator@spec.either");
	kv_buf_free(&rules);
	kv_diags_free(&d);
}

static void test_step_budget(void)
{
	kv_diags d;
	kv_diags_init(&d, NULL, 0);
	kv_buf rules = KV_BUF_INIT;
	validate_with(compile(doc, &d), object, &rules, 5);
	CHECK(strstr(kv_buf_cstr(&rules), "limit/validation") != NULL);
	kv_buf_free(&rules);
	kv_diags_free(&d);
}

static void test_ref_cycles(void)
{
	/* A cycle of bare references has nothing to validate against: reported, not followed. */
	const char *cyc = "{\"swagger\": \"2.0\", \"definitions\": {"
			  "\"A\": {\"$ref\": \"#/definitions/B\"}, \"B\": {\"$ref\": \"#/definitions/A\"},"
			  "\"T\": {\"type\": \"object\", \"properties\": {\"a\": {\"$ref\": \"#/definitions/A\"}},"
			  " \"x-kubernetes-group-version-kind\": [{\"group\": \"example.io\", \"version\": \"v1\", \"kind\": \"Thing\"}]}}}";
	kv_diags d;
	kv_diags_init(&d, NULL, 0);
	kv_schema *s = compile(cyc, &d);
	CHECK(s != NULL);
	CHECK(d.n >= 1 && d.items[0].rule == KV_RULE_SCHEMA_INVALID);
	kv_schema_free(s);
	kv_diags_free(&d);
	/* allOf of itself: compiles (a cycle of indices) and the validator's cap ends it. */
	const char *self = "{\"swagger\": \"2.0\", \"definitions\": {"
			   "\"T\": {\"allOf\": [{\"$ref\": \"#/definitions/T\"}], \"type\": \"object\","
			   " \"x-kubernetes-group-version-kind\": [{\"group\": \"example.io\", \"version\": \"v1\", \"kind\": \"Thing\"}]}}}";
	kv_diags_init(&d, NULL, 0);
	s = compile(self, &d);
	CHECK(s != NULL);
	kv_buf rules = KV_BUF_INIT;
	validate_with(s, "apiVersion: example.io/v1\nkind: Thing\n", &rules, KV_VALIDATE_STEPS_DEFAULT);
	CHECK_STR(kv_buf_cstr(&rules), "limit/validation@-");
	kv_buf_free(&rules);
	kv_diags_free(&d);
}

static void test_not_openapi(void)
{
	kv_diags d;
	kv_diags_init(&d, NULL, 0);
	CHECK(compile("{\"hello\": 1}", &d) == NULL);
	CHECK(d.n == 1 && d.items[0].rule == KV_RULE_SCHEMA_INVALID);
	kv_diags_free(&d);
	kv_schema *s;
	kv_buf err = KV_BUF_INIT;
	CHECK_INT(kv_schemadoc_compile(&s, "a: 1\n", 5, "x.yaml", NULL, &err), -1);
	CHECK_STR(kv_buf_cstr(&err), "x.yaml: not a schema document: no OpenAPI definitions and no CustomResourceDefinition");
	kv_buf_free(&err);
}

/* The image bytes of a compiled schema, by saving it. */
static unsigned char *image_of(kv_schema *s, size_t *n, const char *path)
{
	kv_buf err = KV_BUF_INIT;
	CHECK_INT(kv_schema_save(s, path, 42, &err), 0);
	kv_buf_free(&err);
	FILE *f = fopen(path, "rb");
	fseek(f, 0, SEEK_END);
	*n = (size_t)ftell(f);
	rewind(f);
	unsigned char *b = malloc(*n);
	CHECK(fread(b, 1, *n, f) == *n);
	fclose(f);
	return b;
}

/* A fresh temporary file name in path (at least 32 bytes). */
static void temp_path(char *path)
{
	strcpy(path, "/tmp/kvet-test-schema-XXXXXX");
	close(mkstemp(path));
}

static void test_save_open(void)
{
	kv_diags d;
	kv_diags_init(&d, NULL, 0);
	kv_schema *s = compile(doc, &d);
	char path[32];
	temp_path(path);
	size_t n;
	unsigned char *img = image_of(s, &n, path);
	kv_schema *back;
	kv_buf err = KV_BUF_INIT;
	CHECK_INT(kv_schema_open(&back, path, &err), 0);
	CHECK_INT(kv_schema_signature(back), 42);
	CHECK_INT(kv_schema_gvk_count(back), 1);
	kv_buf rules = KV_BUF_INIT;
	validate_with(back, object, &rules, KV_VALIDATE_STEPS_DEFAULT);
	CHECK(strstr(kv_buf_cstr(&rules), "schema/unique@spec.items[1]") != NULL);
	kv_buf_free(&rules);
	kv_buf_free(&err);
	free(img);
	unlink(path);
	kv_schema_free(s);
	kv_diags_free(&d);
}

/* Opens a (possibly corrupt) image from memory; when it is accepted, uses it. */
static bool try_image(const unsigned char *img, size_t n)
{
	unsigned char *copy = malloc(n ? n : 1);
	memcpy(copy, img, n);
	kv_schema *s;
	kv_buf err = KV_BUF_INIT;
	/* kv_schema_open maps files; the in-memory path takes the same verification. */
	char path[32];
	temp_path(path);
	FILE *f = fopen(path, "wb");
	CHECK(f && fwrite(copy, 1, n, f) == n);
	fclose(f);
	free(copy);
	bool ok = kv_schema_open(&s, path, &err) == 0;
	unlink(path);
	kv_buf_free(&err);
	if (!ok)
		return false;
	kv_buf rules = KV_BUF_INIT;
	validate_with(s, object, &rules, 100000);
	kv_buf_free(&rules);
	return true;
}

static void test_corrupt_images(void)
{
	kv_diags d;
	kv_diags_init(&d, NULL, 0);
	kv_schema *s = compile(doc, &d);
	char path[32];
	temp_path(path);
	size_t n;
	unsigned char *img = image_of(s, &n, path);
	unlink(path);
	size_t accepted = 0, rejected = 0;
	for (size_t i = 0; i < n; i++) {
		img[i] ^= 0xFF;
		try_image(img, n) ? accepted++ : rejected++;
		img[i] ^= 0xFF;
	}
	for (size_t len = 0; len < n; len += 7)
		CHECK(!try_image(img, len)); /* a truncated image never passes */
	/* Most bytes matter; those that do not (padding, unused fields) may flip harmlessly. */
	CHECK(rejected > n / 4);
	CHECK(accepted + rejected == n);
	free(img);
	kv_schema_free(s);
	kv_diags_free(&d);
}

static const th_test tests[] = {
	TEST(test_compile_and_validate), TEST(test_step_budget), TEST(test_ref_cycles),
	TEST(test_not_openapi),          TEST(test_save_open),   TEST(test_corrupt_images),
};

RUN_TESTS(tests)
