/* test_render_replace.c: replacements built on small folders: where replaced values point
 * (the source's line), scalars keeping their type, create under a null making nothing, aliases
 * not leaking a replacement, and the bounds on hostile field paths (a pattern its created
 * item does not match, bad regular expressions, wildcards over huge lists). The expected
 * outputs are what `kubectl kustomize` printed for the same folders. */
#include "harness.h"
#include "render_util.h"

#include "../../src/render/internal.h"

#include "kvet/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static rt_scratch scratch;

static void put(const char *rel, const char *text)
{
	rt_put(&scratch, rel, text, strlen(text));
}

static void clean(void)
{
	rt_scratch_free(&scratch);
}

static void fresh(void)
{
	rt_scratch_new(&scratch, "repl");
}

static kv_render *build(kv_render_result *out)
{
	kv_render_opts o = {.root = scratch.root};
	kv_limits_default(&o.limits);
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

/* The node at a path of map keys and list indices ("spec", "0", ...), NULL-terminated. */
static const kv_node *dig(const kv_node *n, const char *const *path)
{
	for (; n && *path; path++) {
		if (n->type == KV_LIST) {
			long i = strtol(*path, NULL, 10);
			n = i >= 0 && (uint32_t)i < n->len ? n->u.items[i] : NULL;
		} else {
			n = kv_map_get(n, *path);
		}
	}
	return n;
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

static const char *src_path(const kv_render *r, const kv_node *n)
{
	return n ? kv_render_file_path(r, n->src) : NULL;
}

static const char resources[] = "apiVersion: v1\n"
				"kind: ConfigMap\n"
				"metadata:\n"
				"  name: settings\n"
				"data:\n"
				"  replicas: \"3\"\n"  /* line 6 */
				"  port: 8080\n"       /* line 7 */
				"  level: high\n"      /* line 8 */
				"---\n"
				"apiVersion: apps/v1\n"
				"kind: Deployment\n"
				"metadata:\n"
				"  name: web\n"
				"  labels:\n"
				"spec:\n"
				"  replicas: 1\n"
				"  template:\n"
				"    spec:\n"
				"      containers:\n"
				"      - name: web\n"
				"        image: web:1.0\n";

/* A string "3" into the integer replicas stays an integer; 8080 into the string image
 * becomes the string "8080"; both point at the ConfigMap's lines. A field create makes
 * points at the kustomization's field path. */
static void test_types_and_positions(void)
{
	fresh();
	put("resources.yaml", resources);
	put("kustomization.yaml", "resources: [resources.yaml]\n"
				  "replacements:\n"
				  "- source: {kind: ConfigMap, fieldPath: data.replicas}\n"
				  "  targets:\n"
				  "  - select: {kind: Deployment}\n"
				  "    fieldPaths: [spec.replicas]\n"
				  "- source: {kind: ConfigMap, fieldPath: data.port}\n"
				  "  targets:\n"
				  "  - select: {kind: Deployment}\n"
				  "    options: {create: true}\n"
				  "    fieldPaths:\n"
				  "    - spec.template.spec.containers.[name=web].image\n"
				  "    - spec.template.metadata.annotations.port\n"); /* line 13 */
	kv_render_result res;
	kv_render *r = build(&res);
	CHECK_INT(kv_render_problem_count(r), 0);
	const kv_node *dep = object(&res, "Deployment");
	const kv_node *rep = dig(dep, (const char *const[]){"spec", "replicas", NULL});
	CHECK(rep && rep->type == KV_INT && rep->u.i == 3);
	CHECK_STR(src_path(r, rep), "resources.yaml");
	CHECK_INT(rep ? rep->line : 0, 6);
	const kv_node *img = dig(dep, (const char *const[]){"spec", "template", "spec", "containers", "0", "image", NULL});
	CHECK(img && img->type == KV_STRING);
	CHECK_STR(kv_str(img), "8080");
	CHECK_INT(img ? img->line : 0, 7);
	/* the created annotations map is made at the field path; the value is the source's */
	const kv_node *ann = dig(dep, (const char *const[]){"spec", "template", "metadata", "annotations", NULL});
	CHECK_STR(src_path(r, ann), "kustomization.yaml");
	CHECK_INT(ann ? ann->line : 0, 13);
	const kv_node *port = kv_map_get(ann, "port");
	CHECK(port && port->type == KV_INT && port->u.i == 8080); /* a made scalar reads its text */
	CHECK_STR(src_path(r, port), "resources.yaml");
	kv_render_free(r);
	clean();
}

/* kustomize "creates" under a null (labels:) where nothing ever shows, and says nothing. */
static void test_create_under_null(void)
{
	fresh();
	put("resources.yaml", resources);
	put("kustomization.yaml", "resources: [resources.yaml]\n"
				  "replacements:\n"
				  "- source: {kind: ConfigMap, fieldPath: data.level}\n"
				  "  targets:\n"
				  "  - select: {kind: Deployment}\n"
				  "    options: {create: true}\n"
				  "    fieldPaths: [metadata.labels.level]\n");
	kv_render_result res;
	kv_render *r = build(&res);
	CHECK_INT(kv_render_problem_count(r), 0);
	const kv_node *labels = dig(object(&res, "Deployment"), (const char *const[]){"metadata", "labels", NULL});
	CHECK(labels && labels->type == KV_NULL);
	kv_render_free(r);
	clean();
}

/* A type the target cannot take is a problem at the target's field path (kubectl fails to
 * decode the object); the rest of the build goes on. */
static void test_type_mismatch(void)
{
	fresh();
	put("resources.yaml", resources);
	put("kustomization.yaml", "resources: [resources.yaml]\n"
				  "replacements:\n"
				  "- source: {kind: ConfigMap, fieldPath: data.level}\n"
				  "  targets:\n"
				  "  - select: {kind: Deployment}\n"
				  "    fieldPaths:\n"
				  "    - spec.replicas\n" /* line 7 */
				  "    - spec.template.spec.containers.0.name\n");
	kv_render_result res;
	kv_render *r = build(&res);
	CHECK(has_problem(r, "is an integer, and the replacement value \"high\" is not one", 7));
	const kv_node *dep = object(&res, "Deployment");
	CHECK_STR(kv_str(dig(dep, (const char *const[]){"spec", "template", "spec", "containers", "0", "name", NULL})),
		  "high");
	kv_render_free(r);
	clean();
}

/* An alias shares a node in kvet's trees; kustomize copies aliases apart, so replacing one
 * occurrence leaves the other. */
static void test_alias_not_shared(void)
{
	fresh();
	put("resources.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: src}\ndata: {v: new}\n---\n"
			      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dst}\n"
			      "data:\n  a: &x old\n  b: *x\n");
	put("kustomization.yaml", "resources: [resources.yaml]\n"
				  "replacements:\n"
				  "- source: {name: src, fieldPath: data.v}\n"
				  "  targets:\n"
				  "  - select: {name: dst}\n"
				  "    fieldPaths: [data.a]\n");
	kv_render_result res;
	kv_render *r = build(&res);
	CHECK_INT(kv_render_problem_count(r), 0);
	const kv_node *dst = NULL;
	for (size_t i = 0; i < res.n; i++)
		if (kv_str_eq(dig(res.objects[i], (const char *const[]){"metadata", "name", NULL}), "dst"))
			dst = res.objects[i];
	CHECK_STR(kv_str(dig(dst, (const char *const[]){"data", "a", NULL})), "new");
	CHECK_STR(kv_str(dig(dst, (const char *const[]){"data", "b", NULL})), "old");
	kv_render_free(r);
	clean();
}

/* kustomize loops for ever when an item create makes does not match its own pattern
 * ("^x$" makes an item named "^x$"); kvet stops with a problem. A bad pattern is one too. */
static void test_hostile_patterns(void)
{
	fresh();
	put("resources.yaml", resources);
	put("kustomization.yaml", "resources: [resources.yaml]\n"
				  "replacements:\n"
				  "- source: {kind: ConfigMap, fieldPath: data.level}\n"
				  "  targets:\n"
				  "  - select: {kind: Deployment}\n"
				  "    options: {create: true}\n"
				  "    fieldPaths:\n"
				  "    - spec.template.spec.containers.[name=^x$].image\n"
				  "    - spec.template.spec.containers.[name=(].image\n");
	put("slow.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: slow}\nspec:\n  containers:\n"
			 "  - name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\n");
	kv_render_result res;
	kv_render *r = build(&res);
	CHECK(has_problem(r, "does not match its own pattern", 8));
	CHECK(has_problem(r, "is not a valid regular expression", 9));
	kv_render_free(r);
	/* catastrophic backtracking runs out of the pattern's budget */
	put("kustomization.yaml", "resources: [slow.yaml]\n"
				  "replacements:\n"
				  "- source: {kind: Pod, fieldPath: metadata.name}\n"
				  "  targets:\n"
				  "  - select: {kind: Pod}\n"
				  "    fieldPaths: ['spec.containers.[name=^(a|a)+$].image']\n");
	clock_t t0 = clock();
	r = build(&res);
	CHECK(has_problem(r, "ran out of its matching budget", 6));
	CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 10);
	kv_render_free(r);
	clean();
}

/* A wildcard over a list of 150,000 items stops at the bound on selected fields, quickly. */
static void test_wildcard_bound(void)
{
	fresh();
	kv_buf b = KV_BUF_INIT;
	kv_buf_puts(&b, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata: {v: x}\nlist:\n");
	for (int i = 0; i < 150000; i++)
		kv_buf_puts(&b, "- a\n");
	put("resources.yaml", kv_buf_cstr(&b));
	kv_buf_free(&b);
	put("kustomization.yaml", "resources: [resources.yaml]\n"
				  "replacements:\n"
				  "- source: {name: big, fieldPath: data.v}\n"
				  "  targets:\n"
				  "  - select: {name: big}\n"
				  "    fieldPaths: [list.*]\n");
	clock_t t0 = clock();
	kv_render_result res;
	kv_render *r = build(&res);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	CHECK(has_problem(r, "selects more than 100000 fields", 6));
	CHECK(secs < 10);
	kv_render_free(r);
	clean();
}

/* Sources: exact names (never patterns), the first document of a path file, escapes. */
static void test_sources(void)
{
	fresh();
	put("resources.yaml", resources);
	put("more.yaml", "- source: {kind: ConfigMap, name: settings, fieldPath: data.replicas}\n"
			 "  targets:\n"
			 "  - select: {kind: Deployment}\n"
			 "    fieldPaths: [spec.template.spec.containers.0.name]\n"
			 "---\n"
			 "- source: {kind: ConfigMap, name: sett.*}\n"
			 "  targets:\n"
			 "  - select: {kind: Deployment}\n");
	put("kustomization.yaml", "resources: [resources.yaml]\n"
				  "replacements:\n"
				  "- path: more.yaml\n"
				  "- source: {name: sett.*}\n" /* line 4: a name is no pattern */
				  "  targets:\n"
				  "  - select: {kind: Deployment}\n");
	kv_render_result res;
	kv_render *r = build(&res);
	CHECK_INT(kv_render_problem_count(r), 1);
	CHECK(has_problem(r, "selects no object", 4));
	const kv_node *dep = object(&res, "Deployment");
	CHECK_STR(kv_str(dig(dep, (const char *const[]){"spec", "template", "spec", "containers", "0", "name", NULL})), "3");
	kv_render_free(r);
	clean();
}

static const th_test tests[] = {
	TEST(test_types_and_positions), TEST(test_create_under_null), TEST(test_type_mismatch),
	TEST(test_alias_not_shared),    TEST(test_hostile_patterns),  TEST(test_wildcard_bound),
	TEST(test_sources),
};

RUN_TESTS(tests)
