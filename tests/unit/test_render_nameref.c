/* test_render_nameref.c: name references fixed after renames, with objects renamed
 * directly (as namePrefix, nameSuffix and the hash do): which fields are fixed, which
 * candidates a referrer sees (namespaces, cluster scope, RoleBinding subjects), roleRef's
 * kind, the prefix and suffix tie-break, ambiguity, custom configurations, and positions. */
#include "harness.h"
#include "render_util.h"

#include "../../src/render/internal.h"

#include "kvet/alloc.h"

static kv_node *doc(kv_render *r, const char *text)
{
	return rt_doc(r->arena, text);
}

typedef struct {
	kv_render *r;
	rn_acc a;
} world;

static void world_new(world *w)
{
	kv_render_opts o = {.root = "."};
	w->r = kv_render_new(&o);
	w->a = (rn_acc){{0}, rn_config_defaults(w->r)};
}

static void world_free(world *w)
{
	rn_list_free(&w->a.res);
	kv_render_free(w->r);
}

static rn_res *add(world *w, const char *yaml)
{
	rn_res *res = rn_res_new(w->r, doc(w->r, yaml));
	rn_list_add(&w->a.res, res);
	return res;
}

/* Renames res as a transformer does: the old name remembered first. */
static void rename_to(world *w, rn_res *res, const char *name)
{
	rn_res_remember(w->r, res);
	kv_node *meta = rn_get(res->obj, "metadata");
	rn_set(w->r, meta, "name", rn_new_string(w->r, name, strlen(name), rn_get(meta, "name")), NULL);
}

static const char *str_at(const kv_node *n, const char *path)
{
	char key[64];
	while (n && *path) {
		size_t k = strcspn(path, ".");
		snprintf(key, sizeof key, "%.*s", (int)k, path);
		path += k + (path[k] == '.');
		if (n->type == KV_LIST) {
			int i = atoi(key);
			n = i >= 0 && (uint32_t)i < n->len ? n->u.items[i] : NULL;
		} else {
			n = rn_get(n, key);
		}
	}
	return kv_str(n);
}

static const char *cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n";
static const char *deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n"
			    "      containers:\n      - name: c\n        envFrom:\n        - configMapRef: {name: cfg}\n"
			    "        - configMapRef: {name: other}\n"
			    "      volumes:\n      - name: v\n        configMap: {name: cfg}\n";

static void test_rename_fixes_references(void)
{
	world w;
	world_new(&w);
	rn_res *c = add(&w, cm);
	rn_res *d = add(&w, deploy);
	rename_to(&w, c, "cfg-abc");
	CHECK_INT(rn_fix_references(w.r, &w.a), 0);
	CHECK_STR(str_at(d->obj, "spec.template.spec.containers.0.envFrom.0.configMapRef.name"), "cfg-abc");
	CHECK_STR(str_at(d->obj, "spec.template.spec.containers.0.envFrom.1.configMapRef.name"), "other");
	CHECK_STR(str_at(d->obj, "spec.template.spec.volumes.0.configMap.name"), "cfg-abc");
	/* the new value sits where the reference was written */
	const kv_node *ref = rn_get(rn_get(d->obj, "spec"), "template");
	ref = rn_get(rn_get(ref, "spec"), "volumes")->u.items[0];
	ref = rn_get(rn_get(ref, "configMap"), "name");
	CHECK_INT(ref->line, 15);
	CHECK_INT(kv_render_problem_count(w.r), 0);
	world_free(&w);
}

static void test_unrenamed_and_other_namespaces(void)
{
	world w;
	world_new(&w);
	rn_res *c = add(&w, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: a\n");
	rn_res *same = add(&w, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: a\nspec:\n  volumes:\n"
			       "  - configMap: {name: cfg}\n");
	rn_res *other = add(&w, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: b\nspec:\n  volumes:\n"
				"  - configMap: {name: cfg}\n");
	CHECK_INT(rn_fix_references(w.r, &w.a), 0);
	CHECK_STR(str_at(same->obj, "spec.volumes.0.configMap.name"), "cfg"); /* nothing renamed */
	rename_to(&w, c, "x-cfg");
	CHECK_INT(rn_fix_references(w.r, &w.a), 0);
	CHECK_STR(str_at(same->obj, "spec.volumes.0.configMap.name"), "x-cfg");
	CHECK_STR(str_at(other->obj, "spec.volumes.0.configMap.name"), "cfg"); /* cannot see namespace a */
	world_free(&w);
}

/* A namespaced referrer sees cluster-scoped objects, and the objects of its namespace that
 * come after them in the build. */
static void test_cluster_scoped_candidates(void)
{
	world w;
	world_new(&w);
	rn_res *pvc = add(&w, "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: claim\n  namespace: a\n"
			      "spec:\n  volumeName: vol\n  storageClassName: fast\n");
	rn_res *pv = add(&w, "apiVersion: v1\nkind: PersistentVolume\nmetadata:\n  name: vol\n");
	rn_res *sc = add(&w, "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: fast\n");
	rn_res *pod = add(&w, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: a\nspec:\n  volumes:\n"
			      "  - persistentVolumeClaim: {claimName: claim}\n");
	rename_to(&w, pvc, "x-claim");
	rename_to(&w, pv, "x-vol");
	rename_to(&w, sc, "x-fast");
	CHECK_INT(rn_fix_references(w.r, &w.a), 0);
	CHECK_STR(str_at(pvc->obj, "spec.volumeName"), "x-vol");
	CHECK_STR(str_at(pvc->obj, "spec.storageClassName"), "x-fast");
	CHECK_STR(str_at(pod->obj, "spec.volumes.0.persistentVolumeClaim.claimName"), "x-claim");
	world_free(&w);
}

/* A cluster-scoped referrer sees every namespace: two candidates renamed by the hash (which
 * kustomize does not count as a suffix) to different names are kustomize's "multiple
 * possible referrals"; renamed by suffixes the referrer lacks, both are dropped. */
static const char *secret_a = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: a\n";
static const char *secret_b = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: b\n";
static const char *reader_role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n"
			   "rules:\n- resourceNames: [s]\n";

static void test_ambiguous(void)
{
	world w;
	world_new(&w);
	rn_res *a = add(&w, secret_a), *b = add(&w, secret_b), *role = add(&w, reader_role);
	a->flags = b->flags = RN_GENERATED | RN_NEEDS_HASH;
	rename_to(&w, a, "s-1");
	rename_to(&w, b, "s-2");
	CHECK_INT(rn_fix_references(w.r, &w.a), -1);
	CHECK_INT(kv_render_problem_count(w.r), 1);
	if (kv_render_problem_count(w.r) == 1) {
		CHECK(strstr(kv_render_problem_at(w.r, 0)->message, "may refer to any of") != NULL);
		CHECK_INT(kv_render_problem_at(w.r, 0)->line, 6);
	}
	CHECK_STR(str_at(role->obj, "rules.0.resourceNames.0"), "s");
	world_free(&w);

	world_new(&w); /* one new name for both: no ambiguity, the first is taken */
	a = add(&w, secret_a), b = add(&w, secret_b), role = add(&w, reader_role);
	a->flags = b->flags = RN_GENERATED | RN_NEEDS_HASH;
	rename_to(&w, a, "s-1");
	rename_to(&w, b, "s-1");
	CHECK_INT(rn_fix_references(w.r, &w.a), 0);
	CHECK_STR(str_at(role->obj, "rules.0.resourceNames.0"), "s-1");
	world_free(&w);

	world_new(&w);
	a = add(&w, secret_a), b = add(&w, secret_b), role = add(&w, reader_role);
	rename_to(&w, a, "s-x");
	rename_to(&w, b, "s-y");
	CHECK_INT(rn_fix_references(w.r, &w.a), 0);
	CHECK_STR(str_at(role->obj, "rules.0.resourceNames.0"), "s");
	CHECK_INT(kv_render_problem_count(w.r), 0);
	world_free(&w);
}

/* Two bases with their own prefixes, each a ConfigMap cfg and a Deployment naming it: each
 * Deployment takes the ConfigMap that shares its prefix. */
static void test_prefix_tie_break(void)
{
	world w;
	world_new(&w);
	rn_res *ca = add(&w, cm), *da = add(&w, deploy);
	rn_res *cb = add(&w, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: default\n");
	rn_res *db = add(&w, deploy);
	rename_to(&w, ca, "a-cfg");
	rename_to(&w, da, "a-web");
	rename_to(&w, cb, "b-cfg");
	rename_to(&w, db, "b-web");
	CHECK_INT(rn_fix_references(w.r, &w.a), 0);
	CHECK_STR(str_at(da->obj, "spec.template.spec.volumes.0.configMap.name"), "a-cfg");
	CHECK_STR(str_at(db->obj, "spec.template.spec.volumes.0.configMap.name"), "b-cfg");
	world_free(&w);
}

/* roleRef names a Role or a ClusterRole by its kind; subjects are maps whose namespace
 * narrows the ServiceAccounts, and a RoleBinding sees the namespaces its subjects name. */
static void test_rbac(void)
{
	world w;
	world_new(&w);
	rn_res *role = add(&w, "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\n  namespace: a\n");
	rn_res *crole = add(&w, "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n");
	rn_res *sa = add(&w, "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: bot\n  namespace: b\n");
	rn_res *rb = add(&w, "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: rb\n  namespace: a\n"
			     "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}\n"
			     "subjects:\n- {kind: ServiceAccount, name: bot, namespace: b}\n- {kind: User, name: bot}\n");
	rename_to(&w, role, "p-r");
	rename_to(&w, crole, "c-r");
	rename_to(&w, sa, "p-bot");
	CHECK_INT(rn_fix_references(w.r, &w.a), 0);
	CHECK_STR(str_at(rb->obj, "roleRef.name"), "c-r");
	CHECK_STR(str_at(rb->obj, "subjects.0.name"), "p-bot");
	CHECK_STR(str_at(rb->obj, "subjects.0.namespace"), "b");
	/* kustomize renames a User subject too when a renamed ServiceAccount had its name */
	CHECK_STR(str_at(rb->obj, "subjects.1.name"), "p-bot");
	CHECK_STR(str_at(rb->obj, "subjects.1.namespace"), "b");
	world_free(&w);
}

/* A configuration's nameReference adds fields, for custom kinds too. */
static void test_custom_configuration(void)
{
	world w;
	world_new(&w);
	rn_config add_cfg = {0};
	CHECK_INT(rn_config_add(w.r, &add_cfg, doc(w.r, "nameReference:\n- kind: Secret\n  version: v1\n  fieldSpecs:\n"
							"  - {path: spec/credentials/secret, kind: Backup}\n")), 0);
	rn_acc_config(w.r, &w.a, &add_cfg);
	rn_res *s = add(&w, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n");
	rn_res *b = add(&w, "apiVersion: example.com/v1\nkind: Backup\nmetadata:\n  name: nightly\n"
			    "spec:\n  credentials:\n  - secret: creds\n  - secret: creds\n");
	rename_to(&w, s, "creds-5h2k");
	CHECK_INT(rn_fix_references(w.r, &w.a), 0);
	CHECK_STR(str_at(b->obj, "spec.credentials.0.secret"), "creds-5h2k");
	CHECK_STR(str_at(b->obj, "spec.credentials.1.secret"), "creds-5h2k");
	world_free(&w);
}

/* The hash step renames every object marked for it, remembering the old name. */
static void test_hash_names(void)
{
	world w;
	world_new(&w);
	rn_res *c = add(&w, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: empty\n");
	rn_res *d = add(&w, deploy);
	rn_res *plain = add(&w, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n");
	c->flags = RN_GENERATED | RN_NEEDS_HASH;
	CHECK_INT(rn_hash_names(w.r, &w.a), 0);
	CHECK_STR(rn_res_name(c), "empty-6ct58987ht");
	CHECK_STR(rn_res_name(plain), "other");
	CHECK_INT(c->nprev >= 1, 1);
	CHECK_STR(c->prev[c->nprev - 1].name, "empty");
	CHECK_INT(rn_fix_references(w.r, &w.a), 0);
	CHECK_STR(str_at(d->obj, "spec.template.spec.containers.0.envFrom.1.configMapRef.name"), "other");
	world_free(&w);
}

/* Shapes kustomize refuses: a map without name where one is expected. */
static void test_malformed_reference(void)
{
	world w;
	world_new(&w);
	rn_res *s = add(&w, "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\n");
	add(&w, "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: v\n"
		"webhooks:\n- clientConfig:\n    service: {namespace: default}\n");
	rename_to(&w, s, "p-svc");
	CHECK_INT(rn_fix_references(w.r, &w.a), -1);
	CHECK_INT(kv_render_problem_count(w.r), 1);
	if (kv_render_problem_count(w.r) == 1)
		CHECK_INT(kv_render_problem_at(w.r, 0)->line, 7);
	world_free(&w);
}

int main(void)
{
	static const th_test tests[] = {
		TEST(test_rename_fixes_references), TEST(test_unrenamed_and_other_namespaces), TEST(test_cluster_scoped_candidates), TEST(test_ambiguous),
		TEST(test_prefix_tie_break), TEST(test_rbac), TEST(test_custom_configuration), TEST(test_hash_names),
		TEST(test_malformed_reference),
	};
	return th_run(tests, sizeof tests / sizeof tests[0]);
}
