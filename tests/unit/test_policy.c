/* test_policy.c: the policy engine: loading errors and their positions, matching (kinds, pod
 * specs, namespaces, label selectors), findings at the node a validation read, variables,
 * admission policies with bindings and parameters, and exemptions. */
#include "harness.h"

#include "kvet/diag.h"
#include "kvet/exempt.h"
#include "kvet/policy.h"
#include "kvet/yaml.h"

#include <stdlib.h>

static kv_node *load(const char *text, kv_arena *a)
{
	kv_diags d;
	kv_diags_init(&d, NULL, 0);
	kv_limits lim;
	kv_limits_default(&lim);
	kv_loader *l = kv_loader_new(text, strlen(text), KV_SYNTAX_YAML, &lim, &d);
	kv_doc doc = {0};
	kv_node *root = kv_loader_next(l, a, &doc) == 1 ? doc.root : NULL;
	kv_loader_free(l);
	kv_diags_free(&d);
	return root;
}

static kv_policyset *set_of(const char *policy, kv_buf *err)
{
	kv_policy_opts o = {NULL, NULL, 0};
	kv_policyset *ps = kv_policyset_new(&o);
	if (kv_policyset_add_file(ps, "p.yaml", policy, strlen(policy), err) != 0) {
		kv_policyset_free(ps);
		return NULL;
	}
	return ps;
}

/* Loading error text for a policy document. */
static void load_error(const char *policy, const char *want)
{
	kv_buf err = KV_BUF_INIT;
	kv_policyset *ps = set_of(policy, &err);
	CHECK(ps == NULL);
	CHECK_STR(kv_buf_cstr(&err), want);
	kv_policyset_free(ps);
	kv_buf_free(&err);
}

#define HEAD "apiVersion: kvet.dev/v1alpha1\nkind: Policy\nmetadata:\n  name: t/p\nspec:\n"

static void test_load_errors(void)
{
	load_error(HEAD "  match: {podSpec: true}\n  validations:\n    - expression: |\n        object.a &&\n          objet.b\n",
		   "p.yaml:10:11: undeclared reference to 'objet'; did you mean 'object'?\n"
		   " |           objet.b\n |           ^\n");
	load_error(HEAD "  match: {podSpec: true}\n  validations:\n    - expression: \"size(object) > 'a'.lenght()\"\n",
		   "p.yaml:8:39: unknown method 'lenght'\n"
		   " |     - expression: \"size(object) > 'a'.lenght()\"\n |                                       ^\n");
	load_error(HEAD "  match: {kinds: [{kinds: [Pod]}]}\n  validations: [{expression: 'true'}]\n",
		   "p.yaml:6:19: a match.kinds entry needs apiGroups (\"\" is the core group) and kinds\n"
		   " |   match: {kinds: [{kinds: [Pod]}]}\n |                   ^\n");
	load_error(HEAD "  match: {podSpec: true}\n  validations: []\n",
		   "p.yaml:7:16: spec.validations is empty: a policy needs at least one\n"
		   " |   validations: []\n |                ^\n");
	load_error("apiVersion: kvet.dev/v1alpha1\nkind: Policy\nmetadata:\n  name: Bad_Id\nspec:\n"
		   "  match: {podSpec: true}\n  validations: [{expression: 'true'}]\n",
		   "p.yaml:4:9: the policy id 'Bad_Id' must be lower-case letters, digits and dashes, in words "
		   "joined by '/' (as in bp/image-tag)\n |   name: Bad_Id\n |         ^\n");
	load_error("apiVersion: kvet.dev/v1alpha1\nkind: Policy\nmetadata:\n  name: schema/type\nspec:\n"
		   "  match: {podSpec: true}\n  validations: [{expression: 'true'}]\n",
		   "p.yaml:4:9: 'schema/type' is the name of one of kvet's own rules\n"
		   " |   name: schema/type\n |         ^\n");
	load_error("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
		   "p.yaml:1:1: not a kvet policy: a policy file holds documents with apiVersion "
		   "kvet.dev/v1alpha1 and kind Policy (or PolicyTest)\n");
}

/* Runs the set on a YAML object; the findings as "line:col field: message [id]" lines. */
static void findings(kv_policyset *ps, const char *object, kv_buf *out)
{
	kv_arena *a = kv_arena_new();
	kv_node *obj = load(object, a);
	char group[64], version[64];
	kv_k8s_split_api_version(kv_str(kv_map_get(obj, "apiVersion")), group, version, sizeof group);
	kv_objtype t = {group, version, kv_str(kv_map_get(obj, "kind")), 0};
	kv_policy_runner *r = kv_policy_runner_new(ps);
	kv_diags d;
	kv_diags_init(&d, NULL, 0);
	kv_policy_check(r, obj, &t, &d);
	kv_buf_truncate(out, 0);
	for (size_t i = 0; i < d.n; i++)
		kv_buf_printf(out, "%u:%u %s: %s [%s]\n", d.items[i].line, d.items[i].col,
			      d.items[i].field ? d.items[i].field : "", d.items[i].message, kv_finding_rule(&d.items[i]));
	kv_diags_free(&d);
	kv_policy_runner_free(r);
	kv_arena_free(a);
}

static const char pod_policy[] = HEAD
	"  severity: warning\n"
	"  match:\n    podSpec: true\n    excludedNamespaces: [kube-system]\n"
	"    labelSelector:\n      matchExpressions: [{key: tier, operator: NotIn, values: [infra]}]\n"
	"  variables:\n    - name: all\n      expression: podSpec.containers + podSpec.?initContainers.orValue([])\n"
	"  validations:\n"
	"    - expression: variables.all.all(c, c.?securityContext.?privileged.orValue(false) == false)\n"
	"      message: no privileged containers\n"
	"    - expression: object.metadata.name.size() < 10\n"
	"      messageExpression: \"'name ' + object.metadata.name + ' is too long'\"\n";

static void test_matching_and_locations(void)
{
	kv_buf err = KV_BUF_INIT, got = KV_BUF_INIT;
	kv_policyset *ps = set_of(pod_policy, &err);
	CHECK_STR(kv_buf_cstr(&err), "");
	if (!ps)
		return;
	const char *dep = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: a-long-name\n"
			  "spec:\n  template:\n    spec:\n      initContainers:\n        - name: i\n"
			  "          securityContext: {privileged: true}\n      containers:\n"
			  "        - name: a\n        - name: b\n          securityContext:\n"
			  "            privileged: true\n";
	findings(ps, dep, &got);
	CHECK_STR(kv_buf_cstr(&got),
		  "15:25 spec.template.spec.containers[1].securityContext.privileged: no privileged containers [t/p]\n"
		  "10:41 spec.template.spec.initContainers[0].securityContext.privileged: no privileged containers [t/p]\n"
		  "4:9 metadata.name: name a-long-name is too long [t/p]\n");
	/* Excluded by namespace, by label selector, and not a workload. */
	findings(ps, "apiVersion: v1\nkind: Pod\nmetadata: {name: a-long-name, namespace: kube-system}\n"
		     "spec: {containers: [{name: a}]}\n", &got);
	CHECK_STR(kv_buf_cstr(&got), "");
	findings(ps, "apiVersion: v1\nkind: Pod\nmetadata: {name: a-long-name, labels: {tier: infra}}\n"
		     "spec: {containers: [{name: a}]}\n", &got);
	CHECK_STR(kv_buf_cstr(&got), "");
	findings(ps, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a-long-name}\n", &got);
	CHECK_STR(kv_buf_cstr(&got), "");
	/* A shape the policy does not expect is a policy/error, not a violation. */
	findings(ps, "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {containers: 5}\n", &got);
	CHECK(strstr(kv_buf_cstr(&got), "[policy/error]") != NULL);
	kv_policyset_free(ps);
	kv_buf_free(&err);
	kv_buf_free(&got);
}

static void test_severity_globs(void)
{
	kv_buf err = KV_BUF_INIT;
	kv_policyset *ps = set_of(pod_policy, &err);
	if (!ps)
		return;
	CHECK_INT(kv_policyset_set_severity(ps, "t/*", KV_SEV_OFF), 1);
	CHECK_INT(kv_policyset_set_severity(ps, "*", KV_SEV_INFO), 1);
	CHECK_INT(kv_policyset_set_severity(ps, "u/*", KV_SEV_OFF), 0);
	kv_policy_info in;
	kv_policy_describe(kv_policyset_find(ps, "t/p"), &in);
	CHECK_INT(in.severity, KV_SEV_INFO);
	kv_policyset_free(ps);
	kv_buf_free(&err);
}

static const char vap[] =
	"apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n"
	"metadata: {name: floor}\nspec:\n  paramKind: {apiVersion: v1, kind: ConfigMap}\n"
	"  matchConstraints:\n    resourceRules:\n"
	"      - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}\n"
	"  validations:\n    - expression: object.spec.replicas >= int(params.data.min)\n"
	"      message: too few replicas\n";

static void add_doc(kv_policyset *ps, const char *text, kv_arena *a)
{
	kv_policyset_add_admission(ps, load(text, a), 0, "vap.yaml", text, strlen(text));
}

static void test_admission(void)
{
	kv_policy_opts o = {NULL, NULL, 0};
	kv_policyset *ps = kv_policyset_new(&o);
	kv_arena *a = kv_arena_new();
	add_doc(ps, vap, a);
	add_doc(ps, "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\n"
		    "metadata: {name: b}\nspec:\n  policyName: floor\n  validationActions: [Warn, Audit]\n"
		    "  paramRef: {name: floor, namespace: params}\n", a);
	add_doc(ps, "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\n"
		    "metadata: {name: c}\nspec:\n  policyName: nothing\n  validationActions: [Deny]\n", a);
	kv_policy_problem *pr;
	size_t n;
	kv_policyset_resolve(ps, &pr, &n);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(pr[0].message, "no ValidatingAdmissionPolicy named nothing in the repository: the binding does nothing");
		CHECK_INT(pr[0].line, 5);
	}
	for (size_t i = 0; i < n; i++)
		free(pr[i].message);
	free(pr);
	CHECK(kv_policyset_wants_param(ps, "", "ConfigMap"));
	CHECK(!kv_policyset_wants_param(ps, "", "Secret"));
	kv_policyset_add_param(ps, load("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: floor, namespace: params}\n"
					"data: {min: \"3\"}\n", a));
	kv_buf got = KV_BUF_INIT;
	findings(ps, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 2}\n", &got);
	CHECK_STR(kv_buf_cstr(&got), "4:18 spec.replicas: too few replicas [binding b] [admission/floor]\n");
	findings(ps, "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: web}\nspec: {replicas: 2}\n", &got);
	CHECK_STR(kv_buf_cstr(&got), "");
	kv_buf_free(&got);
	kv_arena_free(a);
	kv_policyset_free(ps);
}

static void test_exemptions(void)
{
	kv_exemption cfg[] = {{"bp/*", "apps/**", "Deployment", "", "", "vendor chart", NULL, 0, 3, 5}};
	kv_exempt_rules rules = {cfg, 1, true};
	kv_exempt_ctx ex = {.rules = &rules, .path = "apps/web/deploy.yaml"};
	kv_finding f = {.line = 2, .rule = KV_RULE_POLICY, .rule_id = "bp/image-tag", .kind = "Deployment"};
	const char *src = "a: 1\nb: 2 # kvet:ignore schema/* -- generated\n";
	CHECK_STR(kv_exempt_check(&ex, &f, src, strlen(src), 1), "vendor chart (exemption at 3:5 of the configuration)");
	ex.path = "other/web.yaml";
	CHECK(kv_exempt_check(&ex, &f, src, strlen(src), 1) == NULL);
	f.rule = KV_RULE_SCHEMA_TYPE;
	f.rule_id = NULL;
	CHECK_STR(kv_exempt_check(&ex, &f, src, strlen(src), 1), "generated (kvet:ignore comment on line 2)");
	rules.inline_ignores = false;
	CHECK(kv_exempt_check(&ex, &f, src, strlen(src), 1) == NULL);
	/* Without a reason, an ignore comment does not count. */
	rules.inline_ignores = true;
	const char *bare = "a: 1 # kvet:ignore schema/type\n";
	f.line = 1;
	CHECK(kv_exempt_check(&ex, &f, bare, strlen(bare), 1) == NULL);
	CHECK(kv_exempt_id_match("bp/*", "bp/a/b") && !kv_exempt_id_match("bp/*", "pss/x") && kv_exempt_id_match("*", ""));
	/* An exemption by label needs the object's labels. */
	char *labels[] = {"team=vendor"};
	kv_exemption by_label[] = {{"bp/*", "", "", "", "", "vendor", labels, 1, 1, 1}};
	kv_exempt_rules lr = {by_label, 1, false};
	kv_arena *a = kv_arena_new();
	kv_exempt_ctx lx = {.rules = &lr, .path = "x.yaml"};
	kv_finding g = {.line = 1, .rule = KV_RULE_POLICY, .rule_id = "bp/x"};
	lx.obj = load("metadata: {labels: {team: vendor}}\n", a);
	CHECK(kv_exempt_check(&lx, &g, NULL, 0, 1) != NULL);
	lx.obj = load("metadata: {labels: {team: shop}}\n", a);
	CHECK(kv_exempt_check(&lx, &g, NULL, 0, 1) == NULL);
	lx.obj = NULL;
	CHECK(kv_exempt_check(&lx, &g, NULL, 0, 1) == NULL);
	kv_arena_free(a);
}

/* Authorizer checks need a cluster: reported as such (info), not guessed either way; an
 * expression that decides without them still decides. */
static void test_authorizer(void)
{
	kv_buf err = KV_BUF_INIT, got = KV_BUF_INIT;
	kv_policyset *ps = set_of(HEAD "  match: {kinds: [{apiGroups: [\"\"], kinds: [ConfigMap]}]}\n"
				       "  validations:\n"
				       "    - expression: authorizer.group('').resource('secrets').check('get').allowed()\n"
				       "    - expression: object.metadata.name == 'x' || authorizer.serviceAccount('ns', 'sa').group('').resource('pods').check('list').allowed()\n",
				  &err);
	CHECK_STR(kv_buf_cstr(&err), "");
	if (!ps)
		return;
	findings(ps, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", &got);
	CHECK_STR(kv_buf_cstr(&got),
		  "3:18 metadata.name: policy t/p: validation 1 not evaluated: authorizer checks need a live cluster [policy/needs-cluster]\n");
	kv_policyset_free(ps);
	kv_buf_free(&err);
	kv_buf_free(&got);
}

static const th_test tests[] = {
	TEST(test_load_errors),
	TEST(test_matching_and_locations),
	TEST(test_severity_globs),
	TEST(test_admission),
	TEST(test_exemptions),
	TEST(test_authorizer),
};

RUN_TESTS(tests)
