/* test_check_render.c: `kvet check` on rendered units, through kv_check_run on the fixture
 * repositories under fixtures/render: findings on rendered objects land on the line that
 * introduced the value (a patch, a generator entry, a commonLabels line), a base two overlays
 * render is reported once, render problems become findings, and each render-dependent check
 * fires where it should and nowhere else. Run from the repository root. */
#include "harness.h"

#include "kvet/check.h"
#include "kvet/location.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
	kv_result res;
	kv_source *src;
	kv_schemaset *set;
	kv_rule_config rules;
	kv_exempt_rules exempt;
} fx;

static void run(fx *f, const char *dir)
{
	memset(f, 0, sizeof *f);
	kv_buf err = KV_BUF_INIT;
	const char *paths[] = {dir};
	CHECK_INT(kv_source_worktree(&f->src, paths, 1, &err), 0);
	CHECK_INT(kv_source_scan(f->src, NULL, 0, &err), 0);
	f->set = kv_schemaset_new();
	kv_location_opts lo = {0};
	CHECK_INT(kv_location_add(f->set, "fixtures/demo/schemas/kubernetes-mini.json", &lo, &err), 0);
	kv_rule_config_defaults(&f->rules);
	kv_check_opts o = {.rules = &f->rules, .jobs = 2, .exempt = &f->exempt, .render_dir = dir};
	kv_limits_default(&o.limits);
	o.vopts.max_steps = KV_VALIDATE_STEPS_DEFAULT;
	o.vopts.regex_limit = KV_REGEX_LIMIT_DEFAULT;
	CHECK_INT(kv_check_run(f->src, f->set, &o, &f->res), 0);
	if (err.len)
		fprintf(stderr, "%s\n", kv_buf_cstr(&err));
	kv_buf_free(&err);
}

static void done(fx *f)
{
	kv_result_free(&f->res);
	kv_schemaset_free(f->set);
	kv_source_free(f->src);
}

/* Findings of rule id at path (below the fixture) and line (0: any); col 0 matches any. */
static size_t count(const fx *f, const char *rule, const char *path, uint32_t line, uint32_t col)
{
	size_t n = 0;
	for (size_t i = 0; i < f->res.nfindings; i++) {
		const kv_finding *x = &f->res.findings[i];
		const char *p = f->res.paths[x->file];
		size_t pl = strlen(p), l = strlen(path);
		bool at = pl >= l && strcmp(p + pl - l, path) == 0 && (pl == l || p[pl - l - 1] == '/');
		n += at && strcmp(kv_finding_rule(x), rule) == 0 && (!line || x->line == line) && (!col || x->col == col);
	}
	return n;
}

static size_t count_rule(const fx *f, const char *rule)
{
	size_t n = 0;
	for (size_t i = 0; i < f->res.nfindings; i++)
		n += strcmp(kv_finding_rule(&f->res.findings[i]), rule) == 0;
	return n;
}

/* A patch's value is reported at the patch; what the kustomization adds, at its line. */
static void test_provenance(void)
{
	fx f;
	run(&f, "fixtures/render/patch-finding");
	CHECK_INT(count(&f, "schema/type", "replicas.yaml", 6, 13), 1);
	/* commonLabels puts the bad value on both objects, in three places of the Deployment:
	 * one line to edit, one finding */
	CHECK_INT(count(&f, "k8s/label", "kustomization.yaml", 6, 9), 1);
	CHECK_INT(count_rule(&f, "k8s/label"), 1);
	/* the generated name is the generator entry's */
	CHECK_INT(count(&f, "k8s/name", "kustomization.yaml", 10, 11), 1);
	/* the base itself is valid: nothing at deployment.yaml */
	CHECK_INT(count(&f, "schema/type", "deployment.yaml", 0, 0), 0);
	CHECK_INT(f.res.summary.findings[KV_SEV_ERROR], 3);
	done(&f);
}

/* Two overlays render one base: its invalid line is one finding; both objects count. */
static void test_overlays_once(void)
{
	fx f;
	run(&f, "fixtures/render/overlays");
	CHECK_INT(count(&f, "schema/type", "base/service.yaml", 9, 13), 1);
	CHECK_INT(f.res.nfindings, 1);
	CHECK_INT(f.res.summary.objects, 2);
	CHECK_INT(f.res.summary.invalid, 2);
	CHECK_INT(count_rule(&f, "render/unapplied"), 0);
	done(&f);
}

static void test_flux_checks(void)
{
	fx f;
	run(&f, "fixtures/render/flux");
	CHECK_INT(count(&f, "render/no-namespace", "apps/deployment.yaml", 4, 9), 1);
	CHECK_INT(count_rule(&f, "render/no-namespace"), 1); /* the others have a namespace */
	CHECK_INT(count(&f, "render/unhashed-ref", "apps/release.yaml", 16, 13), 1);
	CHECK_INT(count(&f, "render/missing-crd", "apps/widget.yaml", 2, 7), 1);
	CHECK_INT(count(&f, "render/missing-crd", "secrets/gadget.yaml", 2, 7), 1);
	CHECK_INT(count_rule(&f, "render/missing-crd"), 2); /* Flux's kinds come with flux-system */
	/* the cycle once, at the edge that closes it; the dangling name at its line */
	CHECK_INT(count(&f, "render/depends-on", "clusters/prod/units.yaml", 14, 13), 1);
	CHECK_INT(count(&f, "render/depends-on", "clusters/prod/units.yaml", 45, 13), 1);
	CHECK_INT(count_rule(&f, "render/depends-on"), 2);
	/* vault comes from targetNamespace: reported there, once; web has its Namespace */
	CHECK_INT(count(&f, "render/missing-namespace", "clusters/prod/units.yaml", 40, 20), 1);
	CHECK_INT(count_rule(&f, "render/missing-namespace"), 1);
	CHECK_INT(count(&f, "render/duplicate", "infra/namespace.yaml", 4, 9), 1);
	CHECK_INT(count(&f, "render/duplicate", "infra/gadgets-crd.yaml", 4, 9), 1);
	CHECK_INT(count_rule(&f, "render/duplicate"), 2);
	CHECK_INT(count(&f, "render/decryption", "secrets/db.yaml", 7, 1), 1);
	CHECK_INT(count(&f, "render/unapplied", "unused/orphan.yaml", 0, 0), 1);
	CHECK_INT(count_rule(&f, "render/unapplied"), 1);
	done(&f);
}

/* Without a reconciler, kustomization roots are units: no namespace or CRD is demanded, and
 * objects are checked in their rendered form (the kustomization's namespace is theirs). */
static void test_fallback(void)
{
	fx f;
	run(&f, "fixtures/demo");
	CHECK_INT(count_rule(&f, "render/missing-namespace"), 0);
	CHECK_INT(count_rule(&f, "render/missing-crd"), 0);
	CHECK_INT(count_rule(&f, "render/unapplied"), 0);
	size_t shop = 0;
	for (size_t i = 0; i < f.res.nfindings; i++)
		shop += f.res.findings[i].ns && strcmp(f.res.findings[i].ns, "shop") == 0;
	CHECK(shop > 0);
	done(&f);
}

/* Two clusters from one repository share unit names and apply the same folders: nothing is
 * a duplicate, every dependsOn resolves in its own cluster, each creates its namespace. */
static void test_clusters(void)
{
	fx f;
	run(&f, "fixtures/render/clusters");
	CHECK_INT(count_rule(&f, "render/duplicate"), 0);
	CHECK_INT(count_rule(&f, "k8s/duplicate-object"), 0);
	CHECK_INT(count_rule(&f, "render/depends-on"), 0);
	CHECK_INT(count_rule(&f, "render/missing-namespace"), 0);
	CHECK_INT(count_rule(&f, "render/unapplied"), 0);
	CHECK_INT(f.res.summary.objects, 10); /* each cluster's Kustomizations and apps, once per cluster */
	done(&f);
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* Checking an overlay folder whose kustomization reaches a base above it: the render starts
 * at the project root instead, so the overlay's patch is checked on the built object and no
 * render/path problem is made up; the base, outside the selection, is not reported on. */
static void test_overlay_below_root(void)
{
	char top[] = "/tmp/kvet-check-render-XXXXXX";
	CHECK(mkdtemp(top) != NULL);
	char dir[600];
	const char *subs[] = {".git", "base", "overlay"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(dir, sizeof dir, "%s/%s", top, subs[i]);
		CHECK(mkdir(dir, 0755) == 0);
	}
	snprintf(dir, sizeof dir, "%s/base", top);
	put(dir, "kustomization.yaml", "resources:\n  - service.yaml\n");
	put(dir, "service.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: 80\n");
	snprintf(dir, sizeof dir, "%s/overlay", top);
	put(dir, "kustomization.yaml", "resources:\n  - ../base\npatches:\n  - path: port.yaml\n");
	put(dir, "port.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: Sideways\n");
	fx f;
	run(&f, dir);
	CHECK_INT(count_rule(&f, "render/path"), 0);
	CHECK_INT(count(&f, "k8s/enum", "overlay/port.yaml", 6, 9), 1);
	CHECK_INT(f.res.summary.objects, 2); /* the patch, and the Service the overlay builds */
	done(&f);
	const char *files[] = {"base/kustomization.yaml", "base/service.yaml", "overlay/kustomization.yaml",
			       "overlay/port.yaml", "base", "overlay", ".git", ""};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(dir, sizeof dir, "%s/%s", top, files[i]);
		CHECK(i < 4 ? unlink(dir) == 0 : rmdir(dir) == 0);
	}
}

static const th_test tests[] = {
	TEST(test_provenance),
	TEST(test_overlays_once),
	TEST(test_flux_checks),
	TEST(test_fallback),
	TEST(test_overlay_below_root),
	TEST(test_clusters),
};

RUN_TESTS(tests)
