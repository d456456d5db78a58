/* config.h: .kvet.yaml, the project's configuration. Every key is documented in README.md;
 * an unknown key or a wrong type is an error with its line and column, never ignored. */
#ifndef KVET_CONFIG_H
#define KVET_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvet/buf.h"
#include "kvet/diag.h"
#include "kvet/yaml.h"

/* A severity set in rules: for an id that is not one of kvet's own rules: a policy id or a
 * glob over policy ids, resolved once the policies are loaded. */
typedef struct {
	char *pattern;
	kv_severity severity;
	uint32_t line, col;
} kv_policy_rule;

/* An exemption: findings of rule (a glob over rule and policy ids) in files matching path (a
 * glob, empty for any) on objects matching kind, namespace and name (each "" for any) and
 * carrying the labels are reported as suppressed with reason. */
typedef struct {
	char *rule, *path, *kind, *ns, *name, *reason;
	char **labels;   /* "key=value": the object's labels must hold every one */
	size_t nlabels;
	uint32_t line, col;
} kv_exemption;

typedef struct {
	char *path;               /* where it was read from; NULL when there is none */
	char *kubernetes_version; /* kubernetesVersion */
	char **schemas;           /* schemas: locations, relative to the file's folder */
	size_t nschemas;
	char **exclude;           /* exclude: globs */
	size_t nexclude;
	kv_rule_config rules;     /* rules: id -> severity */
	bool has_fail_on;
	kv_severity fail_on;      /* failOn */
	int strict;               /* strict: -1 unset, 0 or 1 */
	char *schema_url;         /* schemaURL: the template kvet schemas pull uses */
	kv_limits limits;         /* limits: fileSize depth aliasNodes documents */
	uint64_t validation_steps; /* limits.validationSteps */
	uint32_t regex_steps;      /* limits.regexSteps */
	kv_policy_rule *policy_rules; /* rules: entries that name policies */
	size_t npolicy_rules, cap_policy_rules;
	char **policies;           /* policies: files and folders, relative to the file's folder */
	size_t npolicies;
	int builtin_policies;      /* builtinPolicies: -1 unset, 0 or 1 */
	char *pod_security_version; /* podSecurityVersion */
	kv_exemption *exemptions;  /* exemptions: */
	size_t nexemptions, cap_exemptions;
} kv_config;

/* Defaults for every key. */
void kv_config_init(kv_config *c);
void kv_config_free(kv_config *c);

/* Reads .kvet.yaml text into c. Returns 0, or -1 with each problem in err as
 * path:line:col: message. */
int kv_config_parse(kv_config *c, const char *data, size_t len, const char *path, kv_buf *err);

#endif
