/* test_render_units.c: the reconciler units of the fixture repositories under fixtures/units:
 * the fallback (kustomization roots and plain files), Flux Kustomizations (sources, generated
 * kustomizations, overlay fields, substitution, commonMetadata, provenance of what Flux adds),
 * their errors, and Argo CD Applications and ApplicationSets. Run from the repository root. */
#include "harness.h"

#include "kvet/render.h"

typedef struct {
	kv_render *r;
	kv_units us;
} fx;

static void load(fx *f, const char *root)
{
	kv_render_opts o = {.root = root};
	f->r = kv_render_new(&o);
	CHECK_INT(kv_render_units(f->r, &f->us), 0);
}

static const kv_unit *unit(const fx *f, const char *name)
{
	for (size_t i = 0; i < f->us.n; i++)
		if (strcmp(f->us.items[i].name, name) == 0)
			return &f->us.items[i];
	return NULL;
}

static const kv_node *object(const kv_unit *u, const char *kind, const char *name)
{
	for (size_t i = 0; u && i < u->result.n; i++) {
		const kv_node *o = u->result.objects[i];
		if (kv_str_eq(kv_map_get(o, "kind"), kind) && kv_str_eq(kv_map_get(kv_map_get(o, "metadata"), "name"), name))
			return o;
	}
	return NULL;
}

/* The node at a path of keys and list positions ("spec", "#0", ...), or NULL. */
static const kv_node *at(const kv_node *n, const char *const *path)
{
	for (; n && *path; path++)
		n = (*path)[0] == '#' ? (n->type == KV_LIST && (uint32_t)atoi(*path + 1) < n->len ? n->u.items[atoi(*path + 1)] : NULL)
				      : kv_map_get(n, *path);
	return n;
}

static const char *file_of(const fx *f, const kv_node *n)
{
	return n ? kv_render_file_path(f->r, n->src) : NULL;
}

/* How many problems of rule a file has, at line (0: any line). */
static size_t problems(const fx *f, kv_rule rule, const char *path, uint32_t line)
{
	size_t n = 0;
	for (size_t i = 0; i < kv_render_problem_count(f->r); i++) {
		const kv_render_problem *p = kv_render_problem_at(f->r, i);
		n += p->rule == rule && strcmp(p->path, path) == 0 && (line == 0 || p->line == line);
	}
	return n;
}

static void test_fallback(void)
{
	fx f;
	load(&f, "fixtures/units/plain");
	CHECK_INT(f.us.n, 2);
	const kv_unit *k = unit(&f, "overlay"), *p = unit(&f, "plain");
	CHECK(k && k->kind == KV_UNIT_KUSTOMIZE && k->rendered && strcmp(k->path, "overlay") == 0);
	CHECK(!unit(&f, "base")); /* included by overlay: not a root */
	CHECK(object(k, "Deployment", "web") && object(k, "ConfigMap", "web-settings"));
	CHECK(p && p->kind == KV_UNIT_PLAIN && p->rendered);
	CHECK_INT(p ? p->result.n : 0, 2);
	CHECK(object(p, "Service", "loose") && object(p, "ConfigMap", "loose"));
	CHECK_STR(file_of(&f, object(p, "Service", "loose")), "loose/service.yaml");
	CHECK(!object(p, "ConfigMap", "{{ .Release.Name }}")); /* chart templates are not manifests */
	CHECK_INT(problems(&f, KV_RULE_RENDER_UNSUPPORTED, "chart/Chart.yaml", 0), 1);
	kv_render_free(f.r);
}

static void test_flux(void)
{
	fx f;
	load(&f, "fixtures/units/flux");
	CHECK_INT(f.us.n, 4);
	const char *order[] = {"flux-system/flux-system", "flux-system/apps", "flux-system/infra", "flux-system/shared"};
	for (size_t i = 0; i < 4 && i < f.us.n; i++)
		CHECK_STR(f.us.items[i].name, order[i]);
	const kv_unit *apps = unit(&f, "flux-system/apps");
	CHECK(apps && apps->kind == KV_UNIT_FLUX && apps->rendered && apps->prune);
	CHECK_STR(apps ? apps->namespace : NULL, "web");
	CHECK_STR(apps ? apps->path : NULL, "apps");
	CHECK_INT(apps ? apps->ndepends : 0, 1);
	if (apps && apps->ndepends) {
		CHECK_STR(apps->depends_on[0], "flux-system/infra");
		CHECK_STR(file_of(&f, apps->depends_at[0]), "clusters/prod/apps.yaml");
		CHECK_INT(apps->depends_at[0]->line, 8);
	}
	const kv_node *dep = object(apps, "Deployment", "web");
	const kv_node *replicas = at(dep, (const char *[]){"spec", "replicas", NULL});
	CHECK(replicas && replicas->type == KV_INT && replicas->u.i == 3); /* ${REPLICAS:=1} read as YAML again */
	CHECK_STR(file_of(&f, replicas), "apps/deployment.yaml");
	const kv_node *env = at(dep, (const char *[]){"spec", "template", "spec", "containers", "#0", "env", NULL});
	CHECK_STR(kv_str(at(env, (const char *[]){"#0", "value", NULL})), "web.example.com"); /* from the ConfigMap */
	CHECK_STR(kv_str(at(env, (const char *[]){"#1", "value", NULL})), "${NOT_A_VAR}");
	CHECK_STR(kv_str(at(env, (const char *[]){"#2", "value", NULL})), "xy");
	CHECK_STR(kv_str(at(dep, (const char *[]){"spec", "template", "spec", "containers", "#0", "image", NULL})), "nginx:1.27");
	CHECK_STR(kv_str(at(dep, (const char *[]){"metadata", "namespace", NULL})), "web");
	const kv_node *team = at(dep, (const char *[]){"metadata", "labels", "team", NULL});
	CHECK_STR(kv_str(team), "web");
	CHECK_STR(file_of(&f, team), "clusters/prod/apps.yaml"); /* commonMetadata: points at the Kustomization */
	CHECK(!at(dep, (const char *[]){"spec", "template", "metadata", NULL})); /* not templates */
	const kv_node *script = object(apps, "ConfigMap", "script");
	CHECK_STR(kv_str(at(script, (const char *[]){"data", "run.sh", NULL})), "echo ${HOME}"); /* substitute: disabled */

	const kv_unit *infra = unit(&f, "flux-system/infra");
	CHECK(infra && infra->rendered && !infra->prune);
	CHECK_INT(infra ? infra->result.n : 0, 3);
	CHECK(object(infra, "Namespace", "web") && object(infra, "ResourceQuota", "web") && object(infra, "LimitRange", "web"));
	CHECK(!object(infra, "ConfigMap", "unlisted") && !object(infra, "ConfigMap", "not-applied"));
	/* the parent (flux-system) substituted ${CLUSTER} in infra's commonMetadata before infra was built */
	const kv_node *cl = at(object(infra, "LimitRange", "web"), (const char *[]){"metadata", "annotations", "cluster", NULL});
	CHECK_STR(kv_str(cl), "prod");
	CHECK_STR(file_of(&f, cl), "clusters/prod/infra.yaml");
	CHECK_INT(cl ? cl->line : 0, 12);

	const kv_unit *shared = unit(&f, "flux-system/shared");
	CHECK(shared && !shared->rendered);
	CHECK_INT(problems(&f, KV_RULE_RENDER_EXTERNAL, "clusters/prod/infra.yaml", 36), 1);
	kv_render_free(f.r);
}

/* What Flux adds replaces the folder's own image entry for the same name, and Flux builds
 * with kustomize's load restrictions off. */
static void test_flux_overlay(void)
{
	fx f;
	load(&f, "fixtures/units/flux-overlay");
	const kv_unit *app = unit(&f, "flux-system/app");
	CHECK(app && app->rendered);
	const kv_node *dep = object(app, "Deployment", "web");
	const kv_node *img = at(dep, (const char *[]){"spec", "template", "spec", "containers", "#0", "image", NULL});
	CHECK_STR(kv_str(img), "nginx:1.27");
	CHECK_STR(kv_str(at(dep, (const char *[]){"spec", "template", "spec", "initContainers", "#0", "image", NULL})),
		  "busybox:1.36");
	CHECK(object(app, "ConfigMap", "settings") != NULL);
	CHECK_INT(kv_render_problem_count(f.r), 0);
	kv_render_free(f.r);
}

static void test_flux_errors(void)
{
	fx f;
	load(&f, "fixtures/units/flux-errors");
	CHECK_INT(f.us.n, 4);
	CHECK_INT(problems(&f, KV_RULE_RENDER_SUBSTITUTE, "clusters/ks.yaml", 15), 1); /* bad-name */
	CHECK_INT(problems(&f, KV_RULE_RENDER_SUBSTITUTE, "app2/configmap.yaml", 7), 1); /* ${OBJ unclosed */
	CHECK_INT(problems(&f, KV_RULE_RENDER_SUBSTITUTE, "app2/configmap.yaml", 8), 1); /* "a: b" is no value */
	CHECK_INT(problems(&f, KV_RULE_RENDER_SUBSTITUTE, "clusters/ks.yaml", 45), 1);  /* SOPS */
	CHECK_INT(problems(&f, KV_RULE_RENDER_SUBSTITUTE, "clusters/ks.yaml", 47), 1);  /* absent */
	CHECK_INT(problems(&f, KV_RULE_RENDER_MISSING, "clusters/ks.yaml", 57), 1);
	const kv_unit *bad = unit(&f, "flux-system/bad-name");
	/* a refused variable name stops the whole substitution, as in Flux */
	CHECK_STR(kv_str(at(object(bad, "ConfigMap", "app"), (const char *[]){"data", "good", NULL})), "${GOOD}");
	const kv_unit *none = unit(&f, "flux-system/no-folder");
	CHECK(none && !none->rendered);
	kv_render_free(f.r);
}

static void test_argo(void)
{
	fx f;
	load(&f, "fixtures/units/argo");
	CHECK_INT(f.us.n, 10);
	const kv_unit *gb = unit(&f, "guestbook");
	CHECK(gb && gb->kind == KV_UNIT_ARGO && gb->rendered && gb->prune);
	CHECK_STR(gb ? gb->namespace : NULL, "guestbook");
	CHECK_INT(gb ? gb->result.n : 0, 2); /* smoke-test.yaml excluded, extra/ not recursed */
	CHECK(object(gb, "Deployment", "guestbook") && object(gb, "Service", "guestbook"));
	const kv_unit *chart = unit(&f, "chart"), *remote = unit(&f, "remote");
	CHECK(chart && !chart->rendered && remote && !remote->rendered);
	CHECK_INT(problems(&f, KV_RULE_RENDER_UNSUPPORTED, "apps/helm.yaml", 9), 1);
	CHECK_INT(problems(&f, KV_RULE_RENDER_EXTERNAL, "apps/helm.yaml", 24), 1);
	const kv_unit *kust = unit(&f, "kust");
	const kv_node *img = at(object(kust, "Deployment", "kust"),
				(const char *[]){"spec", "template", "spec", "containers", "#0", "image", NULL});
	CHECK_STR(kv_str(img), "registry.example.com/nginx:1.27");
	const char *gen[] = {"env-dev", "env-prod", "listed-dev", "listed-prod"};
	for (size_t i = 0; i < 4; i++) {
		const kv_unit *u = unit(&f, gen[i]);
		CHECK(u && u->rendered && u->result.n == 1);
	}
	const kv_unit *prod = unit(&f, "env-prod");
	CHECK_STR(prod ? prod->namespace : NULL, "prod");
	CHECK_INT(problems(&f, KV_RULE_RENDER_UNSUPPORTED, "apps/envs.yaml", 36), 1); /* clusters generator */
	/* sources: the values-only source is no unit; recurse with {a,b} include and an exclude */
	const kv_unit *picked = unit(&f, "picked/sources[1]");
	CHECK(!unit(&f, "picked/sources[0]"));
	CHECK_INT(picked ? picked->result.n : 0, 3);
	CHECK(object(picked, "ConfigMap", "not-recursed") && !object(picked, "Pod", "smoke"));
	/* goTemplate: {{ .path.basename }}, {{ index .path.segments 0 }}; an exclude entry */
	const kv_unit *go = unit(&f, "go-prod-envs");
	CHECK(go && go->rendered && strcmp(go->path, "envs/prod") == 0);
	CHECK(!unit(&f, "go-dev-envs"));
	kv_render_free(f.r);
}

/* Not a folder: no units, and the reason. */
static void test_unreadable(void)
{
	kv_render_opts o = {.root = "fixtures/units/does-not-exist"};
	kv_render *r = kv_render_new(&o);
	kv_units us;
	CHECK_INT(kv_render_units(r, &us), -1);
	CHECK_INT(us.n, 0);
	CHECK(kv_render_problem_count(r) == 1);
	kv_render_free(r);
}

static const th_test tests[] = {
	TEST(test_fallback),
	TEST(test_flux),
	TEST(test_flux_overlay),
	TEST(test_flux_errors),
	TEST(test_argo),
	TEST(test_unreadable),
};

RUN_TESTS(tests)
