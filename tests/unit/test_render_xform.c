/* test_render_xform.c: the built-in transformers (namespace, prefix/suffix, labels,
 * annotations, replicas, images) on objects built in memory, with kustomize v5.5's results
 * (each checked against kubectl kustomize): what changes, what is left alone, where the new
 * nodes point, and the problems malformed entries give. */
#include "harness.h"

#include "../../src/render/internal.h"
#include "../../src/render/xform.h"

#include "kvet/alloc.h"

/* A kustomization and its objects, as a build holds them before the transformers run. */
typedef struct {
	kv_render *r;
	rn_kust k;
	rn_acc a;
} bench;

static size_t load(kv_render *r, const char *text, kv_node **out, size_t max)
{
	kv_diags d;
	kv_diags_init(&d, NULL, 0);
	kv_limits lim;
	kv_limits_default(&lim);
	kv_loader *l = kv_loader_new(text, strlen(text), KV_SYNTAX_YAML, &lim, &d);
	kv_doc doc = {0};
	size_t n = 0;
	while (n < max && kv_loader_next(l, r->arena, &doc) == 1)
		out[n++] = doc.root;
	kv_loader_free(l);
	kv_diags_free(&d);
	return n;
}

static void open_bench(bench *b, const char *kust, const char *objects)
{
	kv_render_opts o = {.root = "."};
	memset(b, 0, sizeof *b);
	b->r = kv_render_new(&o);
	kv_node *docs[32];
	CHECK(load(b->r, kust, docs, 1) == 1);
	b->k.root = docs[0];
	b->k.dir = "";
	b->k.path = "kustomization.yaml";
	b->a.cfg = rn_config_defaults(b->r);
	size_t n = load(b->r, objects, docs, 32);
	for (size_t i = 0; i < n; i++)
		rn_list_add(&b->a.res, rn_res_new(b->r, docs[i]));
}

static kv_node *obj(bench *b, size_t i)
{
	return b->a.res.items[i]->obj;
}

/* Makes the objects come from a resource file of the build, as a real build's do. */
static void from_resource_file(bench *b)
{
	KV_GROW(b->r->files, b->r->capfiles, b->r->nfiles + 1);
	b->r->files[b->r->nfiles++] = (rn_file){.path = (char *)"resources.yaml", .applied = true};
	for (size_t i = 0; i < b->a.res.n; i++)
		kv_node_set_source(obj(b, i), (uint16_t)b->r->nfiles);
}

static void close_bench(bench *b)
{
	rn_list_free(&b->a.res);
	kv_render_free(b->r);
}

/* The node at a dotted path ("spec.template.metadata.labels"), list items by number. */
static const kv_node *at(const kv_node *n, const char *path)
{
	char key[128];
	while (n && *path) {
		size_t k = 0;
		while (*path && *path != '.' && k + 1 < sizeof key)
			key[k++] = *path++;
		key[k] = '\0';
		if (*path == '.')
			path++;
		if (n->type == KV_LIST) {
			size_t i = (size_t)atoi(key);
			n = i < n->len ? n->u.items[i] : NULL;
		} else {
			n = kv_map_get(n, key);
		}
	}
	return n;
}

static const char *str_at(const kv_node *n, const char *path)
{
	return kv_str(at(n, path));
}

/* ---- defaults and scope ---- */

static void test_defaults_parse(void)
{
	kv_render_opts o = {.root = "."};
	kv_render *r = kv_render_new(&o);
	rn_config *c = rn_config_defaults(r);
	CHECK_INT(kv_render_problem_count(r), 0);
	CHECK_INT(c->prefix.n, 1);
	CHECK_INT(c->suffix.n, 1);
	CHECK_INT(c->labels.n, 32); /* 23 selectors and 9 more metadata labels */
	CHECK_INT(c->template_labels.n, 10);
	CHECK_INT(c->annotations.n, 9);
	CHECK_INT(c->namespace.n, 3);
	CHECK_INT(c->images.n, 4);
	CHECK_INT(c->replicas.n, 4);
	CHECK_INT(c->varref.n, 72);
	CHECK_STR(c->namespace.items[0].path, "metadata/name");
	CHECK_STR(c->namespace.items[0].kind, "Namespace");
	CHECK(c->namespace.items[0].create);
	CHECK_STR(c->labels.items[0].path, "spec/selector");
	CHECK_STR(c->labels.items[0].version, "v1");
	kv_render_free(r);
}

static void test_scope(void)
{
	CHECK(rn_cluster_scoped_gvk("", "v1", "Namespace"));
	CHECK(rn_cluster_scoped_gvk("rbac.authorization.k8s.io", "v1beta1", "ClusterRole"));
	CHECK(!rn_cluster_scoped_gvk("rbac.authorization.k8s.io", "v1alpha1", "ClusterRole"));
	CHECK(!rn_cluster_scoped_gvk("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicy"));
	CHECK(!rn_cluster_scoped_gvk("flowcontrol.apiserver.k8s.io", "v1", "FlowSchema"));
	CHECK(!rn_cluster_scoped_gvk("", "v2", "Namespace"));
	CHECK(!rn_cluster_scoped_gvk("example.com", "v1", "Namespace"));
	CHECK(!rn_cluster_scoped_gvk("", "v1", "ConfigMap"));
	CHECK(rn_cluster_scoped("", NULL, "Namespace"));
	CHECK(rn_cluster_scoped("storage.k8s.io", NULL, "StorageClass"));
	CHECK(!rn_cluster_scoped("example.com", NULL, "Widget"));
}

/* ---- namespace ---- */

static const char *ns_objects = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
				"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n"
				"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: placeholder\n"
				"---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: b\n"
				"subjects:\n- {kind: ServiceAccount, name: default}\n- {kind: ServiceAccount, name: robot}\n"
				"---\napiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata:\n  name: v1.x\n"
				"---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: old\n";

static void test_namespace(void)
{
	bench b;
	open_bench(&b, "resources: []\nnamespace: team\n", ns_objects);
	CHECK_INT(rn_namespace(b.r, &b.k, &b.a), 0);
	CHECK_STR(str_at(obj(&b, 0), "metadata.namespace"), "team");
	CHECK(at(obj(&b, 1), "metadata.namespace") == NULL);
	CHECK_STR(str_at(obj(&b, 2), "metadata.name"), "team");
	CHECK(at(obj(&b, 2), "metadata.namespace") == NULL);
	CHECK_STR(str_at(obj(&b, 3), "subjects.0.namespace"), "team");
	CHECK(at(obj(&b, 3), "subjects.1.namespace") == NULL);
	CHECK_STR(str_at(obj(&b, 4), "spec.service.namespace"), "team");
	CHECK_STR(str_at(obj(&b, 5), "metadata.namespace"), "team");
	/* the old name and namespace are remembered for references */
	CHECK_STR(b.a.res.items[5]->prev[0].ns, "old");
	CHECK_STR(b.a.res.items[2]->prev[b.a.res.items[2]->nprev - 1].name, "placeholder");
	/* the new namespace points at the kustomization's line */
	const kv_node *set = at(obj(&b, 0), "metadata.namespace");
	CHECK_INT(set->line, 2);
	CHECK_INT(kv_render_problem_count(b.r), 0);
	close_bench(&b);
}

static void test_namespace_conflict(void)
{
	bench b;
	open_bench(&b, "namespace: one\n",
		   "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n"
		   "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n");
	CHECK_INT(rn_namespace(b.r, &b.k, &b.a), -1);
	CHECK_INT(kv_render_problem_count(b.r), 1);
	close_bench(&b);
}

/* ---- prefix and suffix ---- */

static void test_prefix_suffix(void)
{
	bench b;
	open_bench(&b, "namePrefix: p-\nnameSuffix: -s\n",
		   "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n"
		   "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n"
		   "---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: w.example.com\n"
		   "---\napiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata:\n  name: v1.x\n"
		   "---\napiVersion: example.com/v1\nkind: APIService\nmetadata:\n  name: mine\n");
	CHECK_INT(rn_prefix_suffix(b.r, &b.k, &b.a), 0);
	CHECK_STR(str_at(obj(&b, 0), "metadata.name"), "p-web-s");
	CHECK_STR(str_at(obj(&b, 1), "metadata.name"), "apps");
	CHECK_STR(str_at(obj(&b, 2), "metadata.name"), "w.example.com");
	CHECK_STR(str_at(obj(&b, 3), "metadata.name"), "v1.x");
	CHECK_STR(str_at(obj(&b, 4), "metadata.name"), "p-mine-s");
	CHECK_INT(at(obj(&b, 0), "metadata.name")->line, 2); /* the nameSuffix line, set last */
	const rn_res *web = b.a.res.items[0];
	CHECK_INT(web->nprev, 2);
	CHECK_STR(web->prev[0].name, "web");
	CHECK_STR(web->prev[1].name, "p-web");
	close_bench(&b);
}

/* ---- labels and annotations ---- */

static void test_common_labels(void)
{
	bench b;
	open_bench(&b, "commonLabels:\n  app: shop\ncommonAnnotations:\n  note: hi\n",
		   "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: null\n"
		   "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n"
		   "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\n");
	CHECK_INT(rn_labels(b.r, &b.k, &b.a), 0);
	CHECK_INT(rn_annotations(b.r, &b.k, &b.a), 0);
	CHECK_STR(str_at(obj(&b, 0), "metadata.labels.app"), "shop");
	CHECK_STR(str_at(obj(&b, 0), "spec.selector.matchLabels.app"), "shop");
	CHECK_STR(str_at(obj(&b, 0), "spec.template.metadata.labels.app"), "shop");
	CHECK_STR(str_at(obj(&b, 0), "spec.template.metadata.annotations.note"), "hi");
	CHECK_STR(str_at(obj(&b, 1), "spec.selector.app"), "shop");
	CHECK(at(obj(&b, 2), "spec") == NULL); /* PDB selectors are not made */
	/* a label made here: the value at the kustomization's value, the key at its key */
	const kv_node *labels = at(obj(&b, 0), "metadata.labels");
	CHECK_INT(labels->u.pairs[0].key->line, 2);
	CHECK_INT(labels->u.pairs[0].key->col, 3);
	CHECK_INT(labels->u.pairs[0].value->col, 8);
	close_bench(&b);
}

static void test_label_entries(void)
{
	bench b;
	open_bench(&b,
		   "labels:\n- pairs: {a: \"1\"}\n- pairs: {b: \"2\"}\n  includeTemplates: true\n"
		   "- pairs: {c: \"3\"}\n  includeSelectors: true\n"
		   "- pairs: {d: \"4\"}\n  fields:\n  - {kind: Widget, path: spec/x, create: true}\n",
		   "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
		   "---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n");
	CHECK_INT(rn_labels(b.r, &b.k, &b.a), 0);
	const kv_node *d = obj(&b, 0);
	CHECK_STR(str_at(d, "metadata.labels.a"), "1");
	CHECK(at(d, "spec.template.metadata.labels.a") == NULL);
	CHECK_STR(str_at(d, "spec.template.metadata.labels.b"), "2");
	CHECK(at(d, "spec.selector.matchLabels.b") == NULL);
	CHECK_STR(str_at(d, "spec.selector.matchLabels.c"), "3");
	CHECK_STR(str_at(d, "spec.template.metadata.labels.c"), "3");
	CHECK_STR(str_at(obj(&b, 1), "spec.x.d"), "4");
	CHECK_STR(str_at(obj(&b, 1), "metadata.labels.d"), "4");
	close_bench(&b);
}

/* Many labels at once (set through an index): existing keys keep their place. */
static void test_many_labels(void)
{
	kv_buf k = KV_BUF_INIT;
	kv_buf_puts(&k, "commonLabels:\n");
	for (int i = 0; i < 300; i++)
		kv_buf_printf(&k, "  k%d: v%d\n", i, i);
	bench b;
	open_bench(&b, kv_buf_cstr(&k),
		   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {k7: old, mine: kept}\n");
	CHECK_INT(rn_labels(b.r, &b.k, &b.a), 0);
	const kv_node *labels = at(obj(&b, 0), "metadata.labels");
	CHECK_INT(labels->len, 301);
	CHECK_STR(kv_str(labels->u.pairs[0].value), "v7");
	CHECK_STR(kv_str(labels->u.pairs[1].value), "kept");
	CHECK_STR(str_at(obj(&b, 0), "metadata.labels.k299"), "v299");
	close_bench(&b);
	kv_buf_free(&k);
}

/* A label one transformer added to several maps of an object is one value: a later
 * transformer that sets it in the metadata sets it everywhere (kustomize's node sharing);
 * a key that was there keeps its own value, and a map a YAML alias shares is not shared. */
static void test_shared_label_values(void)
{
	bench b;
	open_bench(&b, "commonLabels: {app: web, tier: a}\n",
		   "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
		   "spec:\n  selector:\n    matchLabels: {tier: old}\n"
		   "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: &l {x: y1}\n"
		   "data: {}\nspec:\n  selector: *l\n");
	from_resource_file(&b);
	CHECK_INT(rn_labels(b.r, &b.k, &b.a), 0);
	kv_node *next[1];
	CHECK(load(b.r, "labels:\n- pairs: {app: shop, tier: b, x: y2}\n", next, 1) == 1);
	b.k.root = next[0];
	CHECK_INT(rn_labels(b.r, &b.k, &b.a), 0);
	const kv_node *d = obj(&b, 0);
	CHECK_STR(str_at(d, "metadata.labels.app"), "shop");
	CHECK_STR(str_at(d, "spec.selector.matchLabels.app"), "shop");
	CHECK_STR(str_at(d, "spec.template.metadata.labels.app"), "shop");
	CHECK_STR(str_at(d, "spec.selector.matchLabels.tier"), "a"); /* was there: its own node */
	CHECK_STR(str_at(d, "spec.template.metadata.labels.tier"), "b");
	CHECK_STR(str_at(obj(&b, 1), "metadata.labels.x"), "y2");
	CHECK_STR(str_at(obj(&b, 1), "spec.selector.x"), "y1");
	CHECK(at(obj(&b, 1), "spec.selector.app") == NULL);
	CHECK_INT(kv_render_problem_count(b.r), 0);
	close_bench(&b);
}

static void test_label_problems(void)
{
	bench b;
	open_bench(&b, "commonLabels: {app: web}\nlabels:\n- pairs: {n: 5}\n  extra: true\n",
		   "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: app=web\n");
	CHECK_INT(rn_labels(b.r, &b.k, &b.a), -1);
	/* the number, the unknown field, and the selector that is a string */
	CHECK_INT(kv_render_problem_count(b.r), 3);
	close_bench(&b);
}

/* ---- replicas ---- */

static void test_replicas(void)
{
	bench b;
	open_bench(&b, "replicas:\n- {name: web, count: 3}\n- {name: db}\n",
		   "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
		   "---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: web\n"
		   "---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  replicas: 4\n");
	/* names are matched as they were, too */
	kv_node *meta = kv_map_get(obj(&b, 0), "metadata");
	rn_res_remember(b.r, b.a.res.items[0]);
	rn_set(b.r, meta, "name", rn_new_string(b.r, "p-web", 5, NULL), NULL);
	CHECK_INT(rn_replicas(b.r, &b.k, &b.a), 0);
	const kv_node *n = at(obj(&b, 0), "spec.replicas");
	CHECK(n && n->type == KV_INT && n->u.i == 3);
	CHECK(at(obj(&b, 1), "spec.replicas") == NULL);
	n = at(obj(&b, 2), "spec.replicas");
	CHECK(n && n->type == KV_INT && n->u.i == 0);
	close_bench(&b);

	open_bench(&b, "replicas:\n- {name: nothing, count: 2}\n- {name: web, count: \"2\", size: 1}\n",
		   "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n");
	CHECK_INT(rn_replicas(b.r, &b.k, &b.a), -1);
	CHECK_INT(kv_render_problem_count(b.r), 3);
	close_bench(&b);
}

/* ---- images ---- */

/* The image after the rule entry (YAML flow map) is applied to image. */
static const char *image_after(bench *b, const char *entry, const char *image)
{
	char kust[512], objects[512];
	snprintf(kust, sizeof kust, "images:\n- %s\n", entry);
	snprintf(objects, sizeof objects,
		 "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: \"%s\"\n",
		 image);
	open_bench(b, kust, objects);
	if (rn_images(b->r, &b->k, &b->a) < 0)
		return "(failed)";
	return str_at(obj(b, 0), "spec.containers.0.image");
}

static void test_images(void)
{
	static const struct {
		const char *entry, *image, *want;
	} cases[] = {
		{"{name: nginx, newTag: \"1.27\"}", "nginx", "nginx:1.27"},
		{"{name: nginx, newTag: \"1.27\"}", "nginx:1.0@sha256:aa", "nginx:1.27"},
		{"{name: nginx, newTag: \"1.27\"}", "nginx-extra", "nginx-extra"},
		{"{name: nginx, newTag: \"1.27\"}", "docker.io/nginx", "docker.io/nginx"},
		{"{name: nginx, digest: \"sha256:bb\"}", "nginx:1.0", "nginx@sha256:bb"},
		{"{name: nginx, newTag: t, digest: \"sha256:bb\"}", "nginx@sha256:aa", "nginx:t@sha256:bb"},
		{"{name: \"reg.io:5000/app\", newName: other.io/app}", "reg.io:5000/app:1.0", "other.io/app:1.0"},
		{"{name: \"reg.io:5000/app\", newName: other.io/app}", "reg.io:5000/app@sha256:cc", "other.io/app@sha256:cc"},
		{"{name: my.app, newName: x}", "myXapp:3", "x:3"},
		{"{name: a, tagSuffix: -x}", "a", "a:-x-x"},             /* both passes add it */
		{"{name: a, tagSuffix: -x}", "a:1@sha256:dd", "a:1-x-x"}, /* and drop the digest */
		{"{name: a, newTag: \"2\", tagSuffix: -x}", "a:1", "a:2"}, /* ignored with a new tag */
		{"{name: \"f:1\", newTag: \"3\"}", "f:1", "f:3"},
		{"{name: nginx}", "nginx:1", "nginx:1"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bench b;
		const char *got = image_after(&b, cases[i].entry, cases[i].image);
		CHECK_STR(got, cases[i].want);
		close_bench(&b);
	}
}

static void test_images_everywhere(void)
{
	bench b;
	open_bench(&b, "images:\n- name: web\n  newName: mirror/web\n",
		   "apiVersion: example.com/v1\nkind: Runner\nmetadata:\n  name: r\n"
		   "spec:\n  stages:\n  - steps:\n      initContainers:\n      - image: web:1\n  image: web\n"
		   "---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: c\n"
		   "spec:\n  containers:\n  - image: web\n");
	CHECK_INT(rn_images(b.r, &b.k, &b.a), 0);
	const kv_node *img = at(obj(&b, 0), "spec.stages.0.steps.initContainers.0.image");
	CHECK_STR(kv_str(img), "mirror/web:1");
	CHECK_INT(img->line, 3); /* the newName line of the kustomization */
	CHECK_STR(str_at(obj(&b, 0), "spec.image"), "web");
	CHECK_INT(at(obj(&b, 0), "spec.image")->line, 10); /* untouched: still the object's line */
	CHECK_STR(str_at(obj(&b, 1), "spec.containers.0.image"), "web");
	close_bench(&b);
}

static void test_image_problems(void)
{
	bench b;
	open_bench(&b, "images:\n- {name: nginx, newTag: 1.25}\n- {name: \"a(\", newTag: x}\n- {name: b, tag: x}\n",
		   "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - image: {name: x}\n");
	CHECK_INT(rn_images(b.r, &b.k, &b.a), -1);
	CHECK_INT(kv_render_problem_count(b.r), 3);
	close_bench(&b);

	open_bench(&b, "images:\n- {name: nginx, newTag: x}\n",
		   "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - image: {name: x}\n");
	CHECK_INT(rn_images(b.r, &b.k, &b.a), -1); /* an image that is a map */
	CHECK_INT(kv_render_problem_count(b.r), 1);
	close_bench(&b);
}

/* A hostile name pattern runs out of its matching budget: one problem, no hang. */
static void test_image_budget(void)
{
	bench b;
	open_bench(&b, "images:\n- {name: \"(a|aa)+(a|aa)+(a|aa)+\", newTag: x}\n",
		   "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
		   "  - image: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac\n"
		   "  - image: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaad\n");
	rn_images(b.r, &b.k, &b.a);
	CHECK_INT(kv_render_problem_count(b.r), 1);
	CHECK(kv_render_problem_count(b.r) == 1 && kv_render_problem_at(b.r, 0)->rule == KV_RULE_LIMIT_REGEX);
	close_bench(&b);
}

int main(void)
{
	static const th_test tests[] = {
		TEST(test_defaults_parse), TEST(test_scope),          TEST(test_namespace),
		TEST(test_namespace_conflict), TEST(test_prefix_suffix), TEST(test_common_labels),
		TEST(test_label_entries), TEST(test_many_labels), TEST(test_shared_label_values), TEST(test_label_problems),  TEST(test_replicas),
		TEST(test_images),        TEST(test_images_everywhere), TEST(test_image_problems), TEST(test_image_budget),
	};
	return th_run(tests, sizeof tests / sizeof tests[0]);
}
