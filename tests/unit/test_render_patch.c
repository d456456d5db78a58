/* test_render_patch.c: strategic merge (maps, nulls, merge keys and the order kustomize
 * gives merged lists, scalar sets, directives, custom resources, shape mismatches), JSON
 * patches (every operation, pointer escapes, missing paths), where patched values point
 * (the patch's lines, also for inline patches in a kustomization), and lists of 20,000
 * items merged in linear time. */
#include "harness.h"
#include "render_util.h"

#include "../../src/render/patch.h"

#include "kvet/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static kv_node *doc(kv_render *r, const char *text)
{
	return rt_doc(r->arena, text);
}

static kv_render *new_render(void)
{
	return rt_render();
}

/* The string at a dotted path ("spec.containers.0.image"), list items by index. */
static const kv_node *at(const kv_node *n, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *tok = strtok(buf, "."); n && tok; tok = strtok(NULL, ".")) {
		if (n->type == KV_LIST) {
			long i = strtol(tok, NULL, 10);
			n = i >= 0 && (uint32_t)i < n->len ? n->u.items[i] : NULL;
		} else {
			n = kv_map_get(n, tok);
		}
	}
	return n;
}

static const char *str_at(const kv_node *n, const char *path)
{
	const kv_node *v = at(n, path);
	return v ? kv_str(v) : NULL;
}

static long len_at(const kv_node *n, const char *path)
{
	const kv_node *v = at(n, path);
	return v ? (long)v->len : -1;
}

/* obj patched with patch (both YAML): the result, or NULL; *rc gets the return code. */
static kv_node *smp(kv_render *r, const char *obj, const char *patch, int *rc)
{
	kv_node *o = doc(r, obj);
	*rc = rn_smp_apply(r, &o, doc(r, patch));
	return o;
}

static const char *deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
			    "  labels: {app: web, tier: front}\n  finalizers: [a, b]\n"
			    "spec:\n  template:\n    spec:\n      containers:\n"
			    "      - name: b\n        image: b:1\n        env: [{name: X, value: x}]\n"
			    "      - name: a\n        image: a:1\n"
			    "      tolerations: [{key: k1}]\n";

static void test_maps_merge_nulls_delete(void)
{
	kv_render *r = new_render();
	int rc;
	kv_node *o = smp(r, deploy, "metadata:\n  labels: {tier: null, team: core}\n", &rc);
	CHECK_INT(rc, 0);
	CHECK_STR(str_at(o, "metadata.labels.app"), "web");
	CHECK_STR(str_at(o, "metadata.labels.team"), "core");
	CHECK(at(o, "metadata.labels.tier") == NULL);
	CHECK_STR(str_at(o, "metadata.name"), "web");
	/* a null below a new map is not added */
	o = smp(r, deploy, "spec:\n  extra: {a: null, b: x}\n", &rc);
	CHECK(at(o, "spec.extra.a") == NULL);
	CHECK_STR(str_at(o, "spec.extra.b"), "x");
	kv_render_free(r);
}

static void test_containers_by_name_patch_first(void)
{
	kv_render *r = new_render();
	int rc;
	kv_node *o = smp(r, deploy,
			 "spec:\n  template:\n    spec:\n      containers:\n"
			 "      - name: c\n        image: c:1\n"
			 "      - name: b\n        env: [{name: WANT, value: w}]\n",
			 &rc);
	CHECK_INT(rc, 0);
	CHECK_INT(len_at(o, "spec.template.spec.containers"), 3);
	CHECK_STR(str_at(o, "spec.template.spec.containers.0.name"), "c");
	CHECK_STR(str_at(o, "spec.template.spec.containers.1.name"), "b");
	CHECK_STR(str_at(o, "spec.template.spec.containers.1.image"), "b:1");
	CHECK_STR(str_at(o, "spec.template.spec.containers.2.name"), "a");
	/* env merges by name too, the patch's first */
	CHECK_STR(str_at(o, "spec.template.spec.containers.1.env.0.name"), "WANT");
	CHECK_STR(str_at(o, "spec.template.spec.containers.1.env.1.name"), "X");
	/* tolerations have no merge key: replaced */
	o = smp(r, deploy, "spec:\n  template:\n    spec:\n      tolerations: [{key: k2}]\n", &rc);
	CHECK_INT(len_at(o, "spec.template.spec.tolerations"), 1);
	CHECK_STR(str_at(o, "spec.template.spec.tolerations.0.key"), "k2");
	kv_render_free(r);
}

/* Ports merge by containerPort and protocol, with kustomize's order: what kubectl gives. */
static void test_ports_with_two_keys(void)
{
	kv_render *r = new_render();
	int rc;
	const char *pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    ports:\n"
			  "    - {containerPort: 53, protocol: UDP, name: u}\n    - {containerPort: 53, protocol: TCP, name: t}\n";
	kv_node *o = smp(r, pod,
			 "spec:\n  containers:\n  - name: c\n    ports:\n"
			 "    - {containerPort: 53, protocol: TCP, name: t2}\n    - {containerPort: 9153, name: m}\n",
			 &rc);
	CHECK_INT(rc, 0);
	CHECK_INT(len_at(o, "spec.containers.0.ports"), 3);
	CHECK_STR(str_at(o, "spec.containers.0.ports.0.name"), "m");
	CHECK_STR(str_at(o, "spec.containers.0.ports.1.name"), "u");
	CHECK_STR(str_at(o, "spec.containers.0.ports.2.name"), "t2");
	/* a patch port with a protocol does not match one without: kustomize keeps the object's */
	o = smp(r, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    ports:\n"
		   "    - {containerPort: 80, name: a}\n",
		"spec:\n  containers:\n  - name: c\n    ports:\n    - {containerPort: 80, protocol: TCP, name: x}\n", &rc);
	CHECK_INT(len_at(o, "spec.containers.0.ports"), 1);
	CHECK_STR(str_at(o, "spec.containers.0.ports.0.name"), "a");
	kv_render_free(r);
}

static void test_scalar_set_and_custom_resources(void)
{
	kv_render *r = new_render();
	int rc;
	kv_node *o = smp(r, deploy, "metadata:\n  finalizers: [c, a, c]\n", &rc);
	CHECK_INT(len_at(o, "metadata.finalizers"), 3);
	CHECK_STR(str_at(o, "metadata.finalizers.0"), "c");
	CHECK_STR(str_at(o, "metadata.finalizers.1"), "a");
	CHECK_STR(str_at(o, "metadata.finalizers.2"), "b");
	/* a custom resource has no schema: every list is replaced */
	o = smp(r, "apiVersion: x.io/v1\nkind: Thing\nmetadata:\n  name: t\n  finalizers: [a]\nspec:\n  items: [{name: one}, {name: two}]\n",
		"spec:\n  items: [{name: two, v: 2}]\nmetadata:\n  finalizers: [b]\n", &rc);
	CHECK_INT(len_at(o, "spec.items"), 1);
	CHECK_STR(str_at(o, "spec.items.0.name"), "two");
	CHECK_STR(str_at(o, "metadata.finalizers.0"), "b");
	CHECK_INT(len_at(o, "metadata.finalizers"), 1);
	kv_render_free(r);
}

/* kustomize walks the whole object: a merge list the patch does not touch is merged with
 * nothing, which collapses a repeated key to its last item at the place of the first. */
static void test_untouched_lists_are_tidied_as_kustomize_does(void)
{
	kv_render *r = new_render();
	int rc;
	kv_node *o = smp(r,
			 "apiVersion: v1\nkind: Pod\nmetadata: {name: p, finalizers: [f, g, f]}\nspec:\n  containers:\n"
			 "  - {name: a, image: one}\n  - {name: b, image: b}\n  - {name: a, image: two}\n"
			 "  tolerations: [{key: k}, {key: k}]\n",
			 "spec:\n  hostname: h\n", &rc);
	CHECK_INT(rc, 0);
	CHECK_INT(len_at(o, "spec.containers"), 2);
	CHECK_STR(str_at(o, "spec.containers.0.image"), "two");
	CHECK_STR(str_at(o, "spec.containers.1.name"), "b");
	CHECK_INT(len_at(o, "metadata.finalizers"), 2);
	CHECK_INT(len_at(o, "spec.tolerations"), 2); /* no merge key: left alone */
	kv_render_free(r);
}

/* kyaml keeps the style of the value it replaces: a number over a quoted string is quoted. */
static void test_scalars_keep_the_quoting_they_replace(void)
{
	kv_render *r = new_render();
	int rc;
	kv_node *o = smp(r, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: \"8080\"\n  c: plain\n",
			 "data:\n  a: 9090\n  c: 8\n", &rc);
	CHECK_INT(rc, 0);
	CHECK_STR(str_at(o, "data.a"), "9090");
	CHECK(at(o, "data.c") && at(o, "data.c")->type == KV_INT);
	kv_render_free(r);
}

static void test_directives(void)
{
	kv_render *r = new_render();
	int rc;
	kv_node *o = smp(r, deploy,
			 "metadata:\n  labels:\n    $patch: replace\n    only: me\n"
			 "spec:\n  template:\n    spec:\n      containers:\n      - name: a\n        $patch: delete\n"
			 "      - name: b\n        env:\n        - $patch: replace\n        - name: Z\n",
			 &rc);
	CHECK_INT(rc, 0);
	CHECK_INT(len_at(o, "metadata.labels"), 1);
	CHECK_STR(str_at(o, "metadata.labels.only"), "me");
	CHECK_INT(len_at(o, "spec.template.spec.containers"), 1);
	CHECK_INT(len_at(o, "spec.template.spec.containers.0.env"), 1);
	CHECK_STR(str_at(o, "spec.template.spec.containers.0.env.0.name"), "Z");
	o = smp(r, deploy, "spec:\n  template:\n    $patch: delete\n", &rc);
	CHECK(at(o, "spec.template") == NULL);
	/* a whole list */
	o = smp(r, deploy, "spec:\n  template:\n    spec:\n      containers:\n      - $patch: delete\n", &rc);
	CHECK(at(o, "spec.template.spec.containers") == NULL);
	/* the whole object */
	o = smp(r, deploy, "$patch: delete\n", &rc);
	CHECK(o == NULL);
	/* an unknown strategy is refused */
	size_t before = kv_render_problem_count(r);
	smp(r, deploy, "spec:\n  $patch: remove\n", &rc);
	CHECK_INT(rc, -1);
	CHECK_INT(kv_render_problem_count(r), before + 1);
	kv_render_free(r);
}

static void test_shape_mismatch_is_refused_at_the_patch(void)
{
	kv_render *r = new_render();
	int rc;
	smp(r, deploy, "spec:\n  template:\n    spec:\n      containers: {name: x}\n", &rc);
	CHECK_INT(rc, -1);
	CHECK_INT(kv_render_problem_count(r), 1);
	const kv_render_problem *p = kv_render_problem_at(r, 0);
	CHECK_INT(p->line, 4);
	CHECK(strstr(p->message, "a map where the object has a list") != NULL);
	kv_render_free(r);
}

static void test_patched_values_keep_the_patch_position(void)
{
	kv_render *r = new_render();
	int rc;
	kv_node *o = smp(r, deploy,
			 "spec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: a:2\n"
			 "      - name: fresh\n        image: n:1\n",
			 &rc);
	const kv_node *img = at(o, "spec.template.spec.containers.0.image"); /* a, merged */
	CHECK_STR(kv_str(img), "a:2");
	CHECK_INT(img->line, 6);
	CHECK_INT(img->col, 16);
	const kv_node *added = at(o, "spec.template.spec.containers.1");
	CHECK_STR(str_at(added, "name"), "fresh");
	CHECK_INT(added->line, 7);
	/* what the patch did not touch keeps the object's line */
	CHECK_INT(at(o, "spec.template.spec.containers.2.image")->line, 12);
	kv_render_free(r);
}

/* 20,000 containers merged with 20,000 in reverse order: linear through the index (a
 * quadratic merge takes minutes here). */
static void test_big_lists_merge_fast(void)
{
	kv_render *r = new_render();
	enum { N = 20000 };
	kv_buf a = KV_BUF_INIT, b = KV_BUF_INIT;
	kv_buf_puts(&a, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n");
	kv_buf_puts(&b, "spec:\n  containers:\n");
	for (int i = 0; i < N; i++) {
		kv_buf_printf(&a, "  - {name: c%d, image: x}\n", i);
		kv_buf_printf(&b, "  - {name: c%d, image: new}\n", N - 1 - i);
	}
	clock_t t0 = clock();
	int rc;
	kv_node *o = smp(r, kv_buf_cstr(&a), kv_buf_cstr(&b), &rc);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	CHECK_INT(rc, 0);
	CHECK_INT(len_at(o, "spec.containers"), N);
	CHECK_STR(str_at(o, "spec.containers.0.name"), "c19999");
	CHECK_STR(str_at(o, "spec.containers.0.image"), "new");
	CHECK(secs < 10.0);
	kv_buf_free(&a);
	kv_buf_free(&b);
	kv_render_free(r);
}

/* obj patched with the JSON patch ops (both YAML). */
static kv_node *jp(kv_render *r, const char *obj, const char *ops, int *rc)
{
	kv_node *o = doc(r, obj);
	*rc = rn_json6902_apply(r, &o, doc(r, ops));
	return o;
}

static void test_json_patch_operations(void)
{
	kv_render *r = new_render();
	int rc;
	kv_node *o = jp(r, "metadata:\n  annotations: {a/b: x, t~n: yes-string}\nspec:\n  args: [one, two]\n  n: 1\n",
			"- {op: test, path: /spec/n, value: 1}\n"
			"- {op: replace, path: /spec/n, value: 2}\n"
			"- {op: add, path: /spec/args/-, value: three}\n"
			"- {op: add, path: /spec/args/0, value: zero}\n"
			"- {op: remove, path: /spec/args/1}\n"
			"- {op: replace, path: /metadata/annotations/a~1b, value: z}\n"
			"- {op: copy, from: /metadata/annotations/t~0n, path: /metadata/annotations/c}\n"
			"- {op: move, from: /spec/n, path: /spec/m}\n",
			&rc);
	CHECK_INT(rc, 0);
	CHECK_INT(len_at(o, "spec.args"), 3);
	CHECK_STR(str_at(o, "spec.args.0"), "zero");
	CHECK_STR(str_at(o, "spec.args.1"), "two");
	CHECK_STR(str_at(o, "spec.args.2"), "three");
	CHECK_STR(str_at(o, "metadata.annotations.a/b"), "z");
	CHECK_STR(str_at(o, "metadata.annotations.c"), "yes-string");
	CHECK(at(o, "spec.n") == NULL);
	CHECK_INT(at(o, "spec.m")->u.i, 2);
	/* as evanphx/json-patch: a missing key copies as null, and tests equal to null */
	o = jp(r, "spec: {a: 1}\n", "- {op: copy, from: /spec/gone, path: /spec/b}\n- {op: test, path: /spec/gone, value: null}\n", &rc);
	CHECK_INT(rc, 0);
	CHECK(at(o, "spec.b") && at(o, "spec.b")->type == KV_NULL);
	kv_render_free(r);
}

static void test_json_patch_refusals_point_at_the_operation(void)
{
	static const char *const bad[] = {
		"- {op: remove, path: /spec/missing}\n",
		"- {op: replace, path: /spec/args/1, value: 1}\n",
		"- {op: add, path: '', value: 1}\n",
		"- {op: add, path: /spec/missing/deeper, value: 1}\n",
		"- {op: add, path: /spec/args/5, value: 1}\n",
		"- {op: test, path: /spec/n, value: 2}\n",
		"- {op: frobnicate, path: /spec}\n",
		"- {op: add, path: spec, value: 1}\n",
		"- {op: add, path: /spec/a~2b, value: 1}\n",
		"- {op: add, path: /spec/n/x, value: 1}\n",
		"- {op: move, from: /spec/gone, path: /spec/b}\n",
		"- {op: test, path: /spec/gone, value: 1}\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		kv_render *r = new_render();
		int rc;
		jp(r, "spec:\n  args: [one]\n  n: 1\n", bad[i], &rc);
		CHECK_INT(rc, -1);
		CHECK_INT(kv_render_problem_count(r), 1);
		if (kv_render_problem_count(r))
			CHECK_INT(kv_render_problem_at(r, 0)->line, 1);
		kv_render_free(r);
	}
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* A whole build: an inline patch's values point at the kustomization's lines; a targetless
 * patch that matches nothing is refused there. */
static void test_build_with_inline_patch(void)
{
	char dir[] = "/tmp/kvet-patch-XXXXXX";
	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	put(dir, "deploy.yaml", deploy);
	put(dir, "kustomization.yaml",
	    "resources:\n- deploy.yaml\n"
	    "patches:\n"
	    "- patch: |-\n"
	    "    apiVersion: apps/v1\n"
	    "    kind: Deployment\n"
	    "    metadata:\n"
	    "      name: web\n"
	    "    spec:\n"
	    "      replicas: 3\n"
	    "- target: {kind: Deployment}\n"
	    "  patch: |-\n"
	    "    - op: add\n"
	    "      path: /spec/paused\n"
	    "      value: true\n");
	kv_render_opts o = {.root = dir};
	kv_render *r = kv_render_new(&o);
	kv_render_result res;
	CHECK_INT(kv_kustomize_build(r, ".", &res), 0);
	CHECK_INT(res.n, 1);
	if (res.n == 1) {
		const kv_node *rep = at(res.objects[0], "spec.replicas");
		CHECK(rep && rep->type == KV_INT && rep->u.i == 3);
		CHECK_STR(kv_render_file_path(r, rep->src), "kustomization.yaml");
		CHECK_INT(rep->line, 10);
		CHECK_INT(rep->col, 17);
		const kv_node *paused = at(res.objects[0], "spec.paused");
		CHECK(paused && paused->type == KV_BOOL && paused->u.b);
		CHECK_INT(paused->line, 15);
	}
	CHECK_INT(kv_render_problem_count(r), 0);
	kv_render_free(r);

	put(dir, "kustomization.yaml",
	    "resources:\n- deploy.yaml\n"
	    "patches:\n"
	    "- patch: |-\n"
	    "    apiVersion: apps/v1\n"
	    "    kind: Deployment\n"
	    "    metadata:\n"
	    "      name: nope\n");
	r = kv_render_new(&o);
	kv_kustomize_build(r, ".", &res);
	CHECK_INT(kv_render_problem_count(r), 1);
	if (kv_render_problem_count(r)) {
		const kv_render_problem *p = kv_render_problem_at(r, 0);
		CHECK_INT(p->line, 8);
		CHECK(strstr(p->message, "apps/v1 Deployment nope") != NULL);
	}
	kv_render_free(r);
	char path[512];
	snprintf(path, sizeof path, "%s/deploy.yaml", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/kustomization.yaml", dir);
	unlink(path);
	rmdir(dir);
}

/* 5,000 objects, each patched by its own document of one patch file: the objects are found
 * through an index, not a scan per patch. */
static void test_many_patches_find_their_objects(void)
{
	char dir[] = "/tmp/kvet-patches-XXXXXX";
	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	enum { N = 5000 };
	kv_buf objs = KV_BUF_INIT, patches = KV_BUF_INIT;
	for (int i = 0; i < N; i++) {
		kv_buf_printf(&objs, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm%d\ndata:\n  a: one\n", i);
		kv_buf_printf(&patches, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm%d\ndata:\n  b: two\n", N - 1 - i);
	}
	put(dir, "objects.yaml", kv_buf_cstr(&objs));
	put(dir, "patches.yaml", kv_buf_cstr(&patches));
	put(dir, "kustomization.yaml", "resources:\n- objects.yaml\npatches:\n- path: patches.yaml\n");
	kv_render_opts o = {.root = dir};
	kv_render *r = kv_render_new(&o);
	kv_render_result res;
	clock_t t0 = clock();
	CHECK_INT(kv_kustomize_build(r, ".", &res), 0);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	CHECK_INT(res.n, N);
	size_t patched = 0;
	for (size_t i = 0; i < res.n; i++)
		patched += kv_str_eq(at(res.objects[i], "data.b"), "two");
	CHECK_INT(patched, N);
	CHECK_INT(kv_render_problem_count(r), 0);
	CHECK(secs < 20.0);
	kv_render_free(r);
	kv_buf_free(&objs);
	kv_buf_free(&patches);
	static const char *const files[] = {"objects.yaml", "patches.yaml", "kustomization.yaml"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		char path[512];
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void test_merge_key_table(void)
{
	int pod = rn_mk_kind_type("", "v1", "Pod");
	CHECK(pod >= 0);
	CHECK(rn_mk_kind_type("example.com", "v1", "Thing") < 0);
	const rn_mk_field *spec = rn_mk_field_of(pod, "spec", 4);
	CHECK(spec != NULL);
	if (spec) {
		const rn_mk_field *c = rn_mk_field_of(spec->type, "containers", 10);
		CHECK(c && c->merge && strcmp(c->keys, "name") == 0);
		const rn_mk_field *t = rn_mk_field_of(spec->type, "tolerations", 11);
		CHECK(t == NULL);
	}
	/* apps/v1 Deployment and batch/v1beta1 CronJob (kustomize's schema is Kubernetes 1.21) */
	CHECK(rn_mk_kind_type("apps", "v1", "Deployment") >= 0);
	CHECK(rn_mk_kind_type("batch", "v1beta1", "CronJob") >= 0);
}

int main(void)
{
	static const th_test tests[] = {
		TEST(test_maps_merge_nulls_delete),
		TEST(test_containers_by_name_patch_first),
		TEST(test_ports_with_two_keys),
		TEST(test_scalar_set_and_custom_resources),
		TEST(test_untouched_lists_are_tidied_as_kustomize_does),
		TEST(test_scalars_keep_the_quoting_they_replace),
		TEST(test_directives),
		TEST(test_shape_mismatch_is_refused_at_the_patch),
		TEST(test_patched_values_keep_the_patch_position),
		TEST(test_big_lists_merge_fast),
		TEST(test_json_patch_operations),
		TEST(test_json_patch_refusals_point_at_the_operation),
		TEST(test_build_with_inline_patch),
		TEST(test_many_patches_find_their_objects),
		TEST(test_merge_key_table),
	};
	return th_run(tests, sizeof tests / sizeof tests[0]);
}
