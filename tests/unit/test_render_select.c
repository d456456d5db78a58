/* test_render_select.c: selectors of patch targets and replacements: anchored patterns,
 * original and current names and namespaces, effective namespaces, label and annotation
 * selectors, malformed selectors and the regex budget. */
#include "harness.h"
#include "render_util.h"

#include "../../src/render/internal.h"

#include "kvet/alloc.h"

/* The first document of text, loaded into the render's arena. */
static kv_node *doc(kv_render *r, const char *text)
{
	return rt_doc(r->arena, text);
}

static kv_render *new_render(void)
{
	return rt_render();
}

static rn_res *res(kv_render *r, const char *text)
{
	return rn_res_new(r, doc(r, text));
}

/* Whether selector sel (YAML) picks object obj (YAML). */
static int picks(const char *sel, const char *obj)
{
	kv_render *r = new_render();
	rn_select *s = rn_select_parse(r, 0, doc(r, sel));
	int m = s ? rn_select_match(r, s, res(r, obj)) : -2;
	rn_select_free(s);
	kv_render_free(r);
	return m;
}

static const char *deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n"
			    "  labels: {app: web, tier: front, rev: \"3\"}\n  annotations: {team: blue}\n";
static const char *cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n";
static const char *role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n";

static void test_patterns_are_anchored(void)
{
	CHECK_INT(picks("kind: Deployment", deploy), 1);
	CHECK_INT(picks("kind: Deploy", deploy), 0);
	CHECK_INT(picks("kind: Deploy.*", deploy), 1);
	CHECK_INT(picks("name: web", cm), 0);
	CHECK_INT(picks("name: web|web-config", cm), 1);
	CHECK_INT(picks("group: apps\nversion: v1", deploy), 1);
	CHECK_INT(picks("group: apps", cm), 0);
	CHECK_INT(picks("group: \"\"\nkind: ConfigMap", cm), 1); /* empty: anything */
	CHECK_INT(picks("{}", cm), 1);
}

static void test_effective_namespace(void)
{
	CHECK_INT(picks("namespace: default", cm), 1);
	CHECK_INT(picks("namespace: shop", cm), 0);
	CHECK_INT(picks("namespace: shop", deploy), 1);
	CHECK_INT(picks("namespace: default", role), 0);
	CHECK_STR(rn_effective_ns("rbac.authorization.k8s.io", "v1", "ClusterRole", ""), "_non_namespaceable_");
	CHECK_STR(rn_effective_ns("", "v1", "ConfigMap", NULL), "default");
	/* kustomize's schema knows ClusterRole in v1 only: another version is namespaced */
	CHECK_STR(rn_effective_ns("rbac.authorization.k8s.io", "v1alpha1", "ClusterRole", ""), "default");
	CHECK_STR(rn_effective_ns("", "v1", "ConfigMap", "x"), "x");
}

static void test_original_and_current_names(void)
{
	kv_render *r = new_render();
	rn_res *x = res(r, cm);
	rn_set(r, kv_map_get(x->obj, "metadata"), "name", rn_new_string(r, "p-web-config", 12, NULL), NULL);
	rn_set(r, kv_map_get(x->obj, "metadata"), "namespace", rn_new_string(r, "prod", 4, NULL), NULL);
	rn_res_remember(r, x);
	const char *sels[] = {"name: web-config", "name: p-web-config", "namespace: default", "namespace: prod",
			      "name: other", "namespace: dev"};
	int want[] = {1, 1, 1, 1, 0, 0};
	for (size_t i = 0; i < sizeof sels / sizeof sels[0]; i++) {
		rn_select *s = rn_select_parse(r, 0, doc(r, sels[i]));
		CHECK(s != NULL);
		CHECK_INT(rn_select_match(r, s, x), want[i]);
		rn_select_free(s);
	}
	kv_render_free(r);
}

static void test_label_selectors(void)
{
	CHECK_INT(picks("labelSelector: app=web", deploy), 1);
	CHECK_INT(picks("labelSelector: app==web,tier=front", deploy), 1);
	CHECK_INT(picks("labelSelector: app=web,tier=back", deploy), 0);
	CHECK_INT(picks("labelSelector: app!=web", deploy), 0);
	CHECK_INT(picks("labelSelector: missing!=x", deploy), 1);
	CHECK_INT(picks("labelSelector: tier in (back, front)", deploy), 1);
	CHECK_INT(picks("labelSelector: tier notin (back,front)", deploy), 0);
	CHECK_INT(picks("labelSelector: app", deploy), 1);
	CHECK_INT(picks("labelSelector: '!app'", deploy), 0);
	CHECK_INT(picks("labelSelector: '!nothere'", deploy), 1);
	CHECK_INT(picks("labelSelector: rev>2", deploy), 1);
	CHECK_INT(picks("labelSelector: rev<2", deploy), 0);
	CHECK_INT(picks("labelSelector: app=web", cm), 0);
	CHECK_INT(picks("annotationSelector: team=blue", deploy), 1);
	CHECK_INT(picks("annotationSelector: team=red", deploy), 0);
	CHECK_INT(picks("labelSelector: ''", cm), 1);
}

/* A malformed selector is a problem at the bad field, and no selector. */
static void expect_problem(const char *sel, const char *text, kv_rule rule, uint32_t line)
{
	kv_render *r = new_render();
	rn_select *s = rn_select_parse(r, 0, doc(r, sel));
	CHECK(s == NULL);
	CHECK_INT(kv_render_problem_count(r), 1);
	if (kv_render_problem_count(r) == 1) {
		const kv_render_problem *p = kv_render_problem_at(r, 0);
		CHECK(strstr(p->message, text) != NULL);
		CHECK_INT(p->rule, rule);
		CHECK_INT(p->line, line);
	}
	rn_select_free(s);
	kv_render_free(r);
}

static void test_malformed(void)
{
	expect_problem("kind: Deployment\nnmae: web", "nmae is not a field", KV_RULE_RENDER_KUSTOMIZATION, 2);
	expect_problem("kind: Deployment\nname: 'web(('", "not a valid regular expression", KV_RULE_RENDER_KUSTOMIZATION, 2);
	expect_problem("name: [a]", "must be a string", KV_RULE_RENDER_KUSTOMIZATION, 1);
	expect_problem("labelSelector: 'a in b'", "parentheses", KV_RULE_RENDER_KUSTOMIZATION, 1);
	expect_problem("labelSelector: 'a=b c=d'", "separated by commas", KV_RULE_RENDER_KUSTOMIZATION, 1);
	expect_problem("labelSelector: 'a > x'", "whole number", KV_RULE_RENDER_KUSTOMIZATION, 1);
	expect_problem("labelSelector: ',a'", "start with a key", KV_RULE_RENDER_KUSTOMIZATION, 1);
	expect_problem("- kind: x", "must be a map", KV_RULE_RENDER_KUSTOMIZATION, 1);
}

/* A pattern that backtracks exponentially runs out of its budget: one limit/regex problem,
 * however many objects it meets. */
static void test_regex_budget(void)
{
	kv_render *r = new_render();
	rn_select *s = rn_select_parse(r, 0, doc(r, "name: '(a|aa)+'"));
	CHECK(s != NULL);
	rn_res *x = res(r, "kind: ConfigMap\napiVersion: v1\nmetadata:\n  name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac\n");
	CHECK_INT(rn_select_match(r, s, x), -1);
	CHECK_INT(rn_select_match(r, s, x), -1);
	CHECK_INT(kv_render_problem_count(r), 1);
	if (kv_render_problem_count(r) == 1)
		CHECK_INT(kv_render_problem_at(r, 0)->rule, KV_RULE_LIMIT_REGEX);
	rn_select_free(s);
	kv_render_free(r);
}

int main(void)
{
	static const th_test tests[] = {
		TEST(test_patterns_are_anchored), TEST(test_effective_namespace), TEST(test_original_and_current_names),
		TEST(test_label_selectors), TEST(test_malformed), TEST(test_regex_budget),
	};
	return th_run(tests, sizeof tests / sizeof tests[0]);
}
