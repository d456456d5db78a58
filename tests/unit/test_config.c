/* test_config.c: .kvet.yaml parsing: every key with good values, and bad configurations whose
 * errors must name the exact line and column. */
#include "harness.h"

#include "kvet/config.h"
#include "kvet/validate.h"

#include <stdint.h>

typedef struct {
	kv_config c;
	kv_buf err;
	int rc;
} parsed;

static void parse_at(parsed *p, const char *text, const char *path)
{
	kv_config_init(&p->c);
	p->err = (kv_buf)KV_BUF_INIT;
	p->rc = kv_config_parse(&p->c, text, strlen(text), path, &p->err);
}

static void parse(parsed *p, const char *text)
{
	parse_at(p, text, ".kvet.yaml");
}

static void done(parsed *p)
{
	kv_config_free(&p->c);
	kv_buf_free(&p->err);
}

static void test_defaults(void)
{
	kv_config c;
	kv_config_init(&c);
	CHECK(c.path == NULL);
	CHECK(c.kubernetes_version == NULL);
	CHECK_INT(c.nschemas, 0);
	CHECK_INT(c.nexclude, 0);
	CHECK(!c.has_fail_on);
	CHECK_INT(c.fail_on, KV_SEV_ERROR);
	CHECK_INT(c.strict, -1);
	CHECK(c.schema_url == NULL);
	CHECK(c.limits.file_size == KV_LIMIT_FILE_SIZE_DEFAULT);
	CHECK_INT(c.limits.depth, KV_LIMIT_DEPTH_DEFAULT);
	CHECK(c.limits.alias_nodes == KV_LIMIT_ALIAS_NODES_DEFAULT);
	CHECK_INT(c.limits.documents, KV_LIMIT_DOCUMENTS_DEFAULT);
	CHECK(c.validation_steps == KV_VALIDATE_STEPS_DEFAULT);
	CHECK_INT(c.regex_steps, KV_REGEX_LIMIT_DEFAULT);
	size_t differ = 0;
	for (int r = 0; r < KV_RULE_COUNT; r++)
		differ += c.rules.sev[r] != kv_rule_default_severity((kv_rule)r);
	CHECK_INT(differ, 0);
	kv_config_free(&c);
	kv_config_free(&c); /* leaves c empty: a second free is harmless */

	/* Empty texts, comments and null values leave the defaults alone. */
	static const char *const empty[] = {"", "# only a comment\n", "---\n",
					    "strict:\nkubernetesVersion: ~\nschemas:\nlimits:\n"};
	for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
		parsed p;
		parse(&p, empty[i]);
		CHECK_INT(p.rc, 0);
		CHECK_STR(kv_buf_cstr(&p.err), "");
		CHECK_STR(p.c.path, ".kvet.yaml");
		CHECK_INT(p.c.strict, -1);
		CHECK(p.c.kubernetes_version == NULL);
		CHECK_INT(p.c.nschemas, 0);
		CHECK(p.c.limits.file_size == KV_LIMIT_FILE_SIZE_DEFAULT);
		done(&p);
	}
}

static void test_every_key(void)
{
	parsed p;
	parse(&p, "# the project's settings\n"
		  "kubernetesVersion: \"1.35.0\"\n"
		  "schemas:\n"
		  "  - ./schemas\n"
		  "  - https://example.com/{kind}.json\n"
		  "exclude: [\"vendor/\", \"**/*.tmpl.yaml\"]\n"
		  "rules:\n"
		  "  schema/unknown-field: warning\n"
		  "  k8s/label: info\n"
		  "  yaml/duplicate-key: off\n"
		  "  k8s/enum: \"off\"\n"
		  "  source/symlink: error\n"
		  "  \"pss-restricted/*\": error\n"
		  "  bp/replicas: off\n"
		  "failOn: warning\n"
		  "strict: true\n"
		  "schemaURL: \"https://example.com/{version}/{kind}.json\"\n"
		  "limits:\n"
		  "  fileSize: 16MiB\n"
		  "  depth: 64\n"
		  "  aliasNodes: 5000\n"
		  "  documents: 100\n"
		  "  validationSteps: 1000000\n"
		  "  regexSteps: 5000\n"
		  "policies: [policies/, extra.yaml]\n"
		  "builtinPolicies: false\n"
		  "podSecurityVersion: v1.30\n"
		  "exemptions:\n"
		  "  - rule: bp/image-tag\n"
		  "    path: legacy/**\n"
		  "    object: {kind: Deployment, name: old, labels: {team: vendor}}\n"
		  "    reason: vendor chart\n");
	CHECK_INT(p.rc, 0);
	CHECK_STR(kv_buf_cstr(&p.err), "");
	CHECK_STR(p.c.kubernetes_version, "1.35.0");
	CHECK_INT(p.c.nschemas, 2);
	if (p.c.nschemas == 2) {
		CHECK_STR(p.c.schemas[0], "./schemas");
		CHECK_STR(p.c.schemas[1], "https://example.com/{kind}.json");
	}
	CHECK_INT(p.c.nexclude, 2);
	if (p.c.nexclude == 2) {
		CHECK_STR(p.c.exclude[0], "vendor/");
		CHECK_STR(p.c.exclude[1], "**/*.tmpl.yaml");
	}
	CHECK_INT(p.c.rules.sev[KV_RULE_SCHEMA_UNKNOWN_FIELD], KV_SEV_WARNING);
	CHECK_INT(p.c.rules.sev[KV_RULE_K8S_LABEL], KV_SEV_INFO);
	CHECK_INT(p.c.rules.sev[KV_RULE_YAML_DUPLICATE_KEY], KV_SEV_OFF); /* `off` unquoted */
	CHECK_INT(p.c.rules.sev[KV_RULE_K8S_ENUM], KV_SEV_OFF);
	CHECK_INT(p.c.rules.sev[KV_RULE_SOURCE_SYMLINK], KV_SEV_ERROR);
	CHECK_INT(p.c.rules.sev[KV_RULE_YAML_SYNTAX], kv_rule_default_severity(KV_RULE_YAML_SYNTAX));
	CHECK(p.c.has_fail_on);
	CHECK_INT(p.c.fail_on, KV_SEV_WARNING);
	CHECK_INT(p.c.strict, 1);
	CHECK_STR(p.c.schema_url, "https://example.com/{version}/{kind}.json");
	CHECK(p.c.limits.file_size == 16u << 20);
	CHECK_INT(p.c.limits.depth, 64);
	CHECK(p.c.limits.alias_nodes == 5000);
	CHECK_INT(p.c.limits.documents, 100);
	CHECK(p.c.validation_steps == 1000000);
	CHECK_INT(p.c.regex_steps, 5000);
	/* Ids that are not kvet's rules are policies', resolved once policies are loaded. */
	CHECK_INT(p.c.npolicy_rules, 2);
	if (p.c.npolicy_rules == 2) {
		CHECK_STR(p.c.policy_rules[0].pattern, "pss-restricted/*");
		CHECK_INT(p.c.policy_rules[0].severity, KV_SEV_ERROR);
		CHECK_INT(p.c.policy_rules[0].line, 13);
		CHECK_STR(p.c.policy_rules[1].pattern, "bp/replicas");
		CHECK_INT(p.c.policy_rules[1].severity, KV_SEV_OFF);
	}
	CHECK_INT(p.c.npolicies, 2);
	CHECK_INT(p.c.builtin_policies, 0);
	CHECK_STR(p.c.pod_security_version, "v1.30");
	CHECK_INT(p.c.nexemptions, 1);
	if (p.c.nexemptions == 1) {
		CHECK_STR(p.c.exemptions[0].rule, "bp/image-tag");
		CHECK_STR(p.c.exemptions[0].path, "legacy/**");
		CHECK_STR(p.c.exemptions[0].kind, "Deployment");
		CHECK_STR(p.c.exemptions[0].ns, "");
		CHECK_STR(p.c.exemptions[0].name, "old");
		CHECK_STR(p.c.exemptions[0].reason, "vendor chart");
		CHECK_INT(p.c.exemptions[0].nlabels, 1);
		if (p.c.exemptions[0].nlabels == 1)
			CHECK_STR(p.c.exemptions[0].labels[0], "team=vendor");
	}
	done(&p);
}

static void test_value_forms(void)
{
	parsed p;
	/* Sizes as plain numbers or with units; large counts are clamped to what fits, and depth
	 * may reach its maximum (past it is an error: see bad_cases). */
	parse(&p, "kubernetesVersion: '1.35'\n"
		  "strict: false\n"
		  "failOn: info\n"
		  "limits:\n"
		  "  fileSize: 1048576\n"
		  "  depth: 1000\n"
		  "  aliasNodes: 1Ki\n"
		  "  documents: 5000000000\n"
		  "  validationSteps: \"2M\"\n"
		  "  regexSteps: 5000000000\n");
	CHECK_INT(p.rc, 0);
	CHECK_STR(kv_buf_cstr(&p.err), "");
	CHECK_STR(p.c.kubernetes_version, "1.35");
	CHECK_INT(p.c.strict, 0);
	CHECK_INT(p.c.fail_on, KV_SEV_INFO);
	CHECK(p.c.limits.file_size == 1048576);
	CHECK_INT(p.c.limits.depth, KV_LIMIT_DEPTH_MAX);
	CHECK(p.c.limits.alias_nodes == 1024);
	CHECK_INT(p.c.limits.documents, UINT32_MAX);
	CHECK(p.c.validation_steps == 2000000);
	CHECK_INT(p.c.regex_steps, UINT32_MAX);
	done(&p);

	/* YAML 1.1 booleans: `no` and `false` switch a rule off as `off` does; `yes` is true. */
	parse(&p, "rules: {yaml/key: no, k8s/label: false, k8s/enum: 'off'}\nstrict: yes\n");
	CHECK_INT(p.rc, 0);
	CHECK_INT(p.c.rules.sev[KV_RULE_YAML_KEY], KV_SEV_OFF);
	CHECK_INT(p.c.rules.sev[KV_RULE_K8S_LABEL], KV_SEV_OFF);
	CHECK_INT(p.c.rules.sev[KV_RULE_K8S_ENUM], KV_SEV_OFF);
	CHECK_INT(p.c.strict, 1);
	done(&p);

	/* Flow style and quoted keys are the same configuration. */
	parse(&p, "{\"strict\": true, failOn: error, exclude: []}");
	CHECK_INT(p.rc, 0);
	CHECK_INT(p.c.strict, 1);
	CHECK(p.c.has_fail_on);
	CHECK_INT(p.c.fail_on, KV_SEV_ERROR);
	CHECK_INT(p.c.nexclude, 0);
	done(&p);
}

/* Each text and the whole error text it must produce. */
static const struct {
	const char *text, *want;
} bad_cases[] = {
	{"strict: true\nfoo: 1\n",
	 ".kvet.yaml:2:1: unknown key \"foo\" (known: kubernetesVersion, schemas, exclude, rules, "
	 "failOn, strict, schemaURL, limits, policies, builtinPolicies, podSecurityVersion, exemptions)"},
	{"# settings\n\n   kubernetesversion: \"1.35.0\"\n",
	 ".kvet.yaml:3:4: unknown key \"kubernetesversion\" (known: kubernetesVersion, schemas, "
	 "exclude, rules, failOn, strict, schemaURL, limits, policies, builtinPolicies, "
	 "podSecurityVersion, exemptions)"},
	{"limits:\n  fileSize: 1\n  sizeLimit: 2\n",
	 ".kvet.yaml:3:3: unknown key limits.sizeLimit (fileSize, depth, aliasNodes, documents, "
	 "validationSteps, regexSteps)"},
	/* An unquoted version is a number to YAML: 1.30 would become 1.3. */
	{"kubernetesVersion: 1.35\n",
	 ".kvet.yaml:1:20: kubernetesVersion must be quoted (\"1.35.0\"): unquoted, YAML reads a number"},
	{"kubernetesVersion: 1.30\n",
	 ".kvet.yaml:1:20: kubernetesVersion must be quoted (\"1.35.0\"): unquoted, YAML reads a number"},
	{"kubernetesVersion: 1\n",
	 ".kvet.yaml:1:20: kubernetesVersion must be quoted (\"1.35.0\"): unquoted, YAML reads a number"},
	{"kubernetesVersion: [1]\n", ".kvet.yaml:1:20: kubernetesVersion must be a string, not a list"},
	{"kubernetesVersion: true\n", ".kvet.yaml:1:20: kubernetesVersion must be a string, not a boolean"},
	{"schemas: ./schemas\n", ".kvet.yaml:1:10: schemas must be a list of strings"},
	{"schemas:\n  - a\n  - {b: c}\n", ".kvet.yaml:3:5: schemas must be a string, not a map"},
	{"exclude: [a, 1, b]\n", ".kvet.yaml:1:14: exclude must be a string, not an integer"},
	{"exclude: {a: b}\n", ".kvet.yaml:1:10: exclude must be a list of strings"},
	{"schemaURL: 1\n", ".kvet.yaml:1:12: schemaURL must be a string, not an integer"},
	{"rules: [a]\n",
	 ".kvet.yaml:1:8: rules must map rule ids to severities (error, warning, info, off)"},
	{"rules:\n  nope/x: loud\n", ".kvet.yaml:2:11: a severity is one of error, warning, info, off"},
	{"policies: policies/\n", ".kvet.yaml:1:11: policies must be a list of strings"},
	{"builtinPolicies: \"no\"\n", ".kvet.yaml:1:18: builtinPolicies must be true or false"},
	{"podSecurityVersion: v2.1\n",
	 ".kvet.yaml:1:21: podSecurityVersion is latest or a Kubernetes release such as v1.30"},
	{"exemptions: {rule: x}\n", ".kvet.yaml:1:13: exemptions must be a list"},
	{"exemptions:\n  - rule: bp/x\n",
	 ".kvet.yaml:2:5: an exemption needs a reason: it is shown with every finding it suppresses"},
	{"exemptions:\n  - {reason: r, objekt: {}}\n",
	 ".kvet.yaml:2:17: unknown key \"objekt\" in an exemption (rule, path, object, reason)\n"
	 ".kvet.yaml:2:5: an exemption needs the rule (or policy) id it exempts from (globs allowed)"},
	{"exemptions:\n  - {rule: x, reason: r, object: web}\n",
	 ".kvet.yaml:2:34: exemptions: object is a map of kind, namespace and name"},
	{"rules:\n  yaml/key: loud\n", ".kvet.yaml:2:13: a severity is one of error, warning, info, off"},
	{"rules:\n  yaml/key: Error\n", ".kvet.yaml:2:13: a severity is one of error, warning, info, off"},
	{"rules:\n  yaml/key: on\n", ".kvet.yaml:2:13: a severity is one of error, warning, info, off"},
	{"rules:\n  yaml/key: 1\n", ".kvet.yaml:2:13: a severity is one of error, warning, info, off"},
	{"failOn: off\n", ".kvet.yaml:1:9: failOn must be a string, not a boolean"},
	{"failOn: 'off'\n", ".kvet.yaml:1:9: failOn is one of error, warning, info"},
	{"failOn: fatal\n", ".kvet.yaml:1:9: failOn is one of error, warning, info"},
	{"failOn: 2\n", ".kvet.yaml:1:9: failOn must be a string, not an integer"},
	{"strict: 1\n", ".kvet.yaml:1:9: strict must be true or false"},
	{"strict: \"true\"\n", ".kvet.yaml:1:9: strict must be true or false"},
	{"limits: 5\n", ".kvet.yaml:1:9: limits must be a map"},
	{"limits:\n  fileSize: 0\n", ".kvet.yaml:2:13: limits.fileSize must be a positive number"},
	{"limits:\n  fileSize: 1.5MiB\n", ".kvet.yaml:2:13: limits.fileSize must be a positive number"},
	{"limits:\n  fileSize: 1.5\n", ".kvet.yaml:2:13: limits.fileSize must be a positive number"},
	{"limits:\n  depth: -1\n", ".kvet.yaml:2:10: limits.depth must be a positive number"},
	{"limits:\n  depth: 1001\n", ".kvet.yaml:2:10: limits.depth can be at most 1000"},
	{"limits:\n  aliasNodes: true\n", ".kvet.yaml:2:15: limits.aliasNodes must be a positive number"},
	{"limits:\n  documents: many\n", ".kvet.yaml:2:14: limits.documents must be a positive number"},
	{"limits:\n  validationSteps: 0\n",
	 ".kvet.yaml:2:20: limits.validationSteps must be a positive number"},
	{"limits:\n  regexSteps: []\n", ".kvet.yaml:2:15: limits.regexSteps must be a positive number"},
	{"- strict\n", ".kvet.yaml:1:1: the configuration must be a map of keys"},
	{"just text\n", ".kvet.yaml:1:1: the configuration must be a map of keys"},
	{"42\n", ".kvet.yaml:1:1: the configuration must be a map of keys"},
	{"strict: true\n---\nstrict: false\n",
	 ".kvet.yaml:3:1: the configuration must be one YAML document"},
	{"strict: true\nstrict: false\n",
	 ".kvet.yaml:2:1: duplicate key \"strict\" (first defined at line 1)"},
	/* Every problem is reported, in order, one per line. */
	{"kubernetesVersion: [1]\nschemaURL: 1\nrules: [a]\nlimits: 5\nfailOn: 1\nexclude: {a: b}\n",
	 ".kvet.yaml:1:20: kubernetesVersion must be a string, not a list\n"
	 ".kvet.yaml:2:12: schemaURL must be a string, not an integer\n"
	 ".kvet.yaml:3:8: rules must map rule ids to severities (error, warning, info, off)\n"
	 ".kvet.yaml:4:9: limits must be a map\n"
	 ".kvet.yaml:5:9: failOn must be a string, not an integer\n"
	 ".kvet.yaml:6:10: exclude must be a list of strings"},
	{"limits: {fileSize: 0, depth: -1, x: 1}\n",
	 ".kvet.yaml:1:20: limits.fileSize must be a positive number\n"
	 ".kvet.yaml:1:30: limits.depth must be a positive number\n"
	 ".kvet.yaml:1:34: unknown key limits.x (fileSize, depth, aliasNodes, documents, "
	 "validationSteps, regexSteps)"},
};

static void test_bad_configs(void)
{
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		parsed p;
		parse(&p, bad_cases[i].text);
		CHECK_INT(p.rc, -1);
		CHECK_STR(kv_buf_cstr(&p.err), bad_cases[i].want);
		done(&p);
	}
}

static void test_partial_and_syntax(void)
{
	parsed p;
	/* A bad key does not stop the good ones from applying. */
	parse(&p, "foo: 1\nstrict: true\nexclude: [a, 1, b]\n");
	CHECK_INT(p.rc, -1);
	CHECK_INT(p.c.strict, 1);
	CHECK_INT(p.c.nexclude, 2);
	if (p.c.nexclude == 2) {
		CHECK_STR(p.c.exclude[0], "a");
		CHECK_STR(p.c.exclude[1], "b");
	}
	done(&p);

	/* A YAML syntax error is reported at its position with the file's path. */
	parse_at(&p, "strict: [true\n", "conf/kvet.yaml");
	CHECK_INT(p.rc, -1);
	CHECK(strncmp(kv_buf_cstr(&p.err), "conf/kvet.yaml:2:1: ", 20) == 0);
	CHECK_STR(p.c.path, "conf/kvet.yaml");
	done(&p);

	parse_at(&p, "- a\n", "other.yaml");
	CHECK_STR(kv_buf_cstr(&p.err), "other.yaml:1:1: the configuration must be a map of keys");
	done(&p);

	/* Invalid UTF-8 is a loader finding, not a crash or a silent pass. */
	parse(&p, "strict: true\nschemaURL: \"\xff\"\n");
	CHECK_INT(p.rc, -1);
	CHECK(strncmp(kv_buf_cstr(&p.err), ".kvet.yaml:", 11) == 0);
	done(&p);
}

/* Documents: empty ones are no matter, a second one with keys or a broken one is an error. */
static void test_documents(void)
{
	parsed p;
	parse(&p, "strict: true\n---\nfoo: [\n");
	CHECK_INT(p.rc, -1);
	CHECK_STR(kv_buf_cstr(&p.err), ".kvet.yaml:4:1: did not find expected node content");
	done(&p);
	parse(&p, "---\n---\nfoo: 1\n");
	CHECK_INT(p.rc, -1);
	CHECK(strncmp(kv_buf_cstr(&p.err), ".kvet.yaml:3:1: unknown key \"foo\"", 33) == 0);
	done(&p);
	parse(&p, "strict: false\n---\n");
	CHECK_INT(p.rc, 0);
	CHECK_INT(p.c.strict, 0);
	done(&p);
	parse(&p, "strict: false\n---\nstrict: true\n");
	CHECK_STR(kv_buf_cstr(&p.err), ".kvet.yaml:3:1: the configuration must be one YAML document");
	done(&p);
}

/* Parsing into the same configuration again replaces lists rather than overrunning them. */
static void test_reparse(void)
{
	parsed p;
	parse(&p, "schemas: [a, b]\nexclude: [p, q, r]\n");
	CHECK_INT(p.rc, 0);
	kv_buf_truncate(&p.err, 0);
	const char *again = "schemas: [c]\nexclude: [w]\n";
	CHECK_INT(kv_config_parse(&p.c, again, strlen(again), ".kvet.yaml", &p.err), 0);
	CHECK_INT(p.c.nschemas, 1);
	CHECK_INT(p.c.nexclude, 1);
	if (p.c.nschemas == 1 && p.c.nexclude == 1) {
		CHECK_STR(p.c.schemas[0], "c");
		CHECK_STR(p.c.exclude[0], "w");
	}
	done(&p);
}

static const th_test tests[] = {
	TEST(test_defaults),    TEST(test_every_key),          TEST(test_value_forms),
	TEST(test_bad_configs), TEST(test_partial_and_syntax), TEST(test_documents),
	TEST(test_reparse),
};

RUN_TESTS(tests)
