/* diag.h: findings are data. Every stage reports into a per-file collector; only the report
 * stage prints. Rules and severities come from one X-macro list each, so names cannot drift. */
#ifndef KVET_DIAG_H
#define KVET_DIAG_H

#include <stddef.h>
#include <stdint.h>

/* Ordered: a finding fails the run when its severity >= --fail-on. */
#define KV_SEVERITIES(X)      \
	X(OFF, "off")         \
	X(INFO, "info")       \
	X(WARNING, "warning") \
	X(ERROR, "error")

typedef enum {
#define X(e, s) KV_SEV_##e,
	KV_SEVERITIES(X)
#undef X
	KV_SEV_COUNT
} kv_severity;

/* id, name, default severity, one-line description (shown by `kvet rules`). */
#define KV_RULES(X)                                                                                      \
	X(YAML_SYNTAX, "yaml/syntax", ERROR, "the file is not well-formed YAML or JSON")                  \
	X(YAML_ENCODING, "yaml/encoding", ERROR, "the file is not UTF-8 text (binary, invalid UTF-8, UTF-16)") \
	X(YAML_DUPLICATE_KEY, "yaml/duplicate-key", ERROR, "a mapping defines the same key twice")         \
	X(YAML_ANCHOR, "yaml/anchor", ERROR, "an alias names an anchor that is not defined before it")     \
	X(YAML_KEY, "yaml/key", ERROR, "a mapping key is not a string (Kubernetes keys are strings)")      \
	X(LIMIT_FILE_SIZE, "limit/file-size", ERROR, "a file is larger than limits.fileSize")              \
	X(LIMIT_DEPTH, "limit/depth", ERROR, "nesting is deeper than limits.depth")                        \
	X(LIMIT_ALIASES, "limit/aliases", ERROR, "aliases expand to more nodes than limits.aliasNodes")    \
	X(LIMIT_DOCUMENTS, "limit/documents", ERROR, "a file holds more documents than limits.documents")  \
	X(LIMIT_REGEX, "limit/regex", ERROR, "a pattern match ran out of its work budget")                 \
	X(LIMIT_VALIDATION, "limit/validation", ERROR, "validating one object took more than its step budget") \
	X(SOURCE_UNREADABLE, "source/unreadable", ERROR, "a file or git object could not be read")        \
	X(SOURCE_SYMLINK, "source/symlink", WARNING, "a symbolic link was not followed")                   \
	X(SOURCE_SKIPPED, "source/skipped", INFO, "a directory entry kvet does not read (submodule, special file)") \
	X(MANIFEST_TYPE, "manifest/type", ERROR, "apiVersion or kind is missing or malformed")             \
	X(SCHEMA_MISSING, "schema/missing", ERROR, "no schema is known for the object's group, version and kind") \
	X(SCHEMA_INVALID, "schema/invalid", ERROR, "a schema in a CRD or schema document cannot be used")  \
	X(SCHEMA_TYPE, "schema/type", ERROR, "a value has the wrong type")                                 \
	X(SCHEMA_UNKNOWN_FIELD, "schema/unknown-field", ERROR, "a field the schema does not define")       \
	X(SCHEMA_REQUIRED, "schema/required", ERROR, "a required field is missing")                        \
	X(SCHEMA_ENUM, "schema/enum", ERROR, "a value is not one of the schema's allowed values")          \
	X(SCHEMA_FORMAT, "schema/format", ERROR, "a value does not have the schema's format (int32, byte, date-time, ...)") \
	X(SCHEMA_PATTERN, "schema/pattern", ERROR, "a string does not match the schema's pattern")        \
	X(SCHEMA_RANGE, "schema/range", ERROR, "a number is outside the schema's minimum, maximum or multipleOf") \
	X(SCHEMA_SIZE, "schema/size", ERROR, "a string, list or map is shorter or longer than the schema allows") \
	X(SCHEMA_UNIQUE, "schema/unique", ERROR, "a list repeats an item or a list-map key that must be unique") \
	X(SCHEMA_COMBINATOR, "schema/combinator", ERROR, "a value fails the schema's allOf, anyOf, oneOf or not") \
	X(K8S_NAME, "k8s/name", ERROR, "metadata.name is missing or has the wrong syntax for its kind")    \
	X(K8S_NAMESPACE, "k8s/namespace", ERROR, "metadata.namespace has the wrong syntax")         \
	X(K8S_CLUSTER_NAMESPACE, "k8s/cluster-scoped-namespace", WARNING, "a cluster-scoped object sets metadata.namespace, which the API server rejects or ignores") \
	X(K8S_LABEL, "k8s/label", ERROR, "a label or selector key or value has the wrong syntax")          \
	X(K8S_ANNOTATION, "k8s/annotation", ERROR, "an annotation key has the wrong syntax, or annotations are too large") \
	X(K8S_QUANTITY, "k8s/quantity", ERROR, "a resource quantity has the wrong syntax")                 \
	X(K8S_ENUM, "k8s/enum", ERROR, "a value is not one the API server accepts for the field")          \
	X(K8S_SELECTOR, "k8s/selector", ERROR, "a workload's selector is empty or does not match its pod template labels") \
	X(K8S_DUPLICATE, "k8s/duplicate-object", ERROR, "the same object (group, kind, namespace, name) is defined twice") \
	X(SCHEMA_RULE, "schema/rule", ERROR, "a value fails a CRD's x-kubernetes-validations rule")       \
	X(SCHEMA_RULE_ERROR, "schema/rule-error", WARNING, "a CRD validation rule could not be evaluated on a value") \
	X(POLICY, "policy", ERROR, "a policy's validation failed (each policy reports under its own id: kvet policy list)") \
	X(POLICY_ERROR, "policy/error", WARNING, "a policy expression could not be evaluated on an object")    \
	X(POLICY_CLUSTER, "policy/needs-cluster", INFO, "a policy needs a live cluster (authorizer checks) and was not evaluated") \
	X(ADMISSION_INVALID, "admission/invalid", ERROR, "a ValidatingAdmissionPolicy or binding in the repository cannot be used") \
	X(ADMISSION_PARAMS, "admission/params", WARNING, "a binding's parameter object is not in the repository") \
	X(RENDER_KUSTOMIZATION, "render/kustomization", ERROR, "a kustomization is malformed (an unknown field, a wrong type, a bad entry)") \
	X(RENDER_MISSING, "render/missing", ERROR, "a file or folder a kustomization names is not there") \
	X(RENDER_PATH, "render/path", ERROR, "a path leads out of the repository, or out of the kustomization's folder where kustomize forbids it") \
	X(RENDER_CYCLE, "render/cycle", ERROR, "kustomizations include each other in a cycle") \
	X(RENDER_CONFLICT, "render/conflict", ERROR, "two objects of one build have the same identity, or a patch or generator cannot be applied") \
	X(RENDER_UNSUPPORTED, "render/unsupported", WARNING, "kvet does not render this (Helm charts, plugins, remote bases, vars): not rendered, said so") \
	X(RENDER_LIMIT, "render/limit", ERROR, "a render read too many files or made too many objects") \
	X(RENDER_SUBSTITUTE, "render/substitute", ERROR, "a Flux postBuild substitution is malformed, its source is missing or encrypted, or its result is not valid YAML") \
	X(RENDER_EXTERNAL, "render/external", INFO, "a unit's source is another repository (or a Helm chart repository): not rendered") \
	X(RENDER_UNAPPLIED, "render/unapplied", INFO, "a manifest file no reconciler unit applies: checked as a file only") \
	X(RENDER_NO_NAMESPACE, "render/no-namespace", ERROR, "a namespaced object a unit renders will have no namespace (Flux fails with \"namespace not specified\")") \
	X(RENDER_MISSING_CRD, "render/missing-crd", WARNING, "a custom resource whose CRD no unit it depends on (or itself) applies") \
	X(RENDER_MISSING_NAMESPACE, "render/missing-namespace", WARNING, "an object's namespace is created by no unit") \
	X(RENDER_DUPLICATE, "render/duplicate", ERROR, "one object (group, kind, namespace, name) is rendered by two units") \
	X(RENDER_UNHASHED, "render/unhashed-ref", ERROR, "a HelmRelease valuesFrom names a generated ConfigMap or Secret by its name without the hash suffix") \
	X(RENDER_DEPENDS, "render/depends-on", ERROR, "dependsOn names a unit that does not exist, or units depend on each other in a cycle") \
	X(RENDER_DECRYPTION, "render/decryption", ERROR, "a Flux unit applies SOPS-encrypted objects without spec.decryption")

typedef enum {
#define X(e, name, sev, doc) KV_RULE_##e,
	KV_RULES(X)
#undef X
	KV_RULE_COUNT
} kv_rule;

const char *kv_severity_name(kv_severity s);
/* Returns 0 and sets *out, or -1 for an unknown name. */
int kv_severity_parse(kv_severity *out, const char *name);
const char *kv_rule_name(kv_rule r);
const char *kv_rule_doc(kv_rule r);
kv_severity kv_rule_default_severity(kv_rule r);
/* Returns 0 and sets *out, or -1 for an unknown rule id. */
int kv_rule_lookup(kv_rule *out, const char *name);

/* Effective severity of each rule: defaults overridden by configuration. */
typedef struct {
	uint8_t sev[KV_RULE_COUNT];
} kv_rule_config;

void kv_rule_config_defaults(kv_rule_config *rc);

/* The object a finding is about. Strings borrowed by the collector, copied into findings. */
typedef struct {
	const char *api_version, *kind, *ns, *name;
} kv_objref;

typedef struct {
	uint32_t file;     /* index into the run's file table */
	uint32_t line, col; /* 1-based; 0 when the finding is about the whole file */
	uint32_t seq;      /* creation order, the last sort key */
	kv_rule rule;
	kv_severity severity;
	char *message;
	char *hint;   /* NULL when none */
	char *field;  /* field path, NULL when none */
	char *api_version, *kind, *ns, *name; /* the object; NULL when none */
	char *source; /* the source line, NULL when unknown */
	uint32_t caret_col, caret_len; /* underline in source, columns (1-based) */
	char *rule_id;    /* a policy's own id (rule is KV_RULE_POLICY), else NULL */
	char *suppressed; /* why an exemption suppressed it, else NULL */
} kv_finding;

void kv_finding_free(kv_finding *f);
/* The id a finding is reported under: a policy's id, or the rule's name. */
const char *kv_finding_rule(const kv_finding *f);

/* Decides whether a finding is exempt; returns the reason (a string that outlives the
 * findings) or NULL. */
typedef const char *(*kv_exempt_fn)(void *ud, const kv_finding *f, const char *source_text,
				     size_t source_len, uint32_t source_line0);

/* Collects one file's findings. The source text gives each finding its source line. */
typedef struct {
	const kv_rule_config *rules; /* borrowed; NULL means defaults */
	uint32_t file;
	const char *src; /* borrowed; may be NULL */
	size_t srclen;
	uint32_t src_line0; /* the line number of src's first line */
	uint32_t *lines;    /* line start offsets, built on first use */
	size_t nlines;
	const kv_objref *obj; /* the object being checked; borrowed, may be NULL */
	kv_finding *items;
	size_t n, cap;
	uint32_t seq;
	uint32_t count[KV_SEV_COUNT]; /* findings kept, by severity; [OFF] counts rules switched off */
	uint32_t suppressed;          /* findings an exemption suppressed (not in count) */
	kv_exempt_fn exempt;          /* NULL when nothing is exempt */
	void *exempt_ud;
} kv_diags;

void kv_diags_init(kv_diags *d, const kv_rule_config *rules, uint32_t file);
/* Frees the line index and any findings still held. */
void kv_diags_free(kv_diags *d);
void kv_diags_set_source(kv_diags *d, const char *src, size_t len, uint32_t line0);

/* Reports a finding unless its rule is off. field and hint may be NULL. */
void kv_diag(kv_diags *d, kv_rule rule, uint32_t line, uint32_t col, const char *field,
	     const char *hint, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* Reports a finding under an id of its own (a policy's) with a severity the caller decided;
 * rule says what kind of finding it is. Nothing is reported when sev is OFF. */
void kv_diag_as(kv_diags *d, kv_rule rule, const char *id, kv_severity sev, uint32_t line,
		uint32_t col, const char *field, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 9, 10)));

/* The source text of the token at line:col (a scalar as written), into out; returns its
 * length, 0 when unknown. */
size_t kv_diags_token(kv_diags *d, uint32_t line, uint32_t col, char *out, size_t cap);

/* Moves the findings out: the caller owns *out (free each with kv_finding_free, then free()). */
void kv_diags_take(kv_diags *d, kv_finding **out, size_t *n);

/* Sorts by file, line, column, then creation order: the stable report order. */
void kv_findings_sort(kv_finding *f, size_t n);

#endif
