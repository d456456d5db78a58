/* check.h: one `kvet check` run: every selected file is read, parsed once, and each object
 * validated against its schema and the Kubernetes rules. Files are processed in parallel;
 * results are kept by file and sorted, so output does not depend on the thread count. */
#ifndef KVET_CHECK_H
#define KVET_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "kvet/diag.h"
#include "kvet/exempt.h"
#include "kvet/policy.h"
#include "kvet/schema.h"
#include "kvet/source.h"
#include "kvet/validate.h"
#include "kvet/yaml.h"

/* Documents that are not Kubernetes objects, by what they are. */
/* id, name in text reports, key in JSON reports */
#define KV_CLASSES(X)                                              \
	X(KUSTOMIZATION, "kustomization", "kustomization")         \
	X(HELM_CHART, "Helm chart", "helmChart")                   \
	X(HELM_VALUES, "Helm values", "helmValues")                \
	X(SOPS_CONFIG, "SOPS configuration", "sopsConfig")         \
	X(KVET_CONFIG, "kvet configuration", "kvetConfig")         \
	X(KVET_POLICY, "kvet policy", "kvetPolicy")                \
	X(PATCH, "kustomize patch", "kustomizePatch")              \
	X(OTHER, "other", "other")

typedef enum {
#define X(e, s, k) KV_CLASS_##e,
	KV_CLASSES(X)
#undef X
	KV_CLASS_COUNT
} kv_class;

const char *kv_class_name(kv_class c);
const char *kv_class_key(kv_class c);

typedef struct {
	uint32_t files;     /* files read */
	uint32_t skipped;   /* entries not read (symlinks, chart templates, unreadable, too large) */
	uint32_t documents; /* non-empty YAML documents */
	uint32_t empty;     /* documents with only comments or markers */
	uint32_t objects;   /* Kubernetes objects (items of a List count one by one) */
	uint32_t valid, invalid, no_schema; /* objects: clean, with errors, without a schema */
	uint32_t classes[KV_CLASS_COUNT];   /* documents that are not objects */
	uint32_t patches_checked; /* kustomize patches validated as partial objects */
	uint32_t crds;      /* CustomResourceDefinitions found in the checked files */
	uint64_t cel_evaluated;  /* x-kubernetes-validations rules run on values */
	uint64_t cel_transition; /* rules not run: they read oldSelf (need the previous revision) */
	uint64_t cel_invalid;    /* rules not run: they do not compile */
	uint64_t templated; /* values holding ${VAR} references, not checked before substitution */
	uint32_t findings[KV_SEV_COUNT]; /* by severity; [OFF] counts findings switched off */
	uint32_t suppressed; /* findings exemptions suppressed (listed, not counted above) */
	bool io_error;      /* something could not be read: the check is incomplete */
} kv_summary;

typedef struct {
	kv_finding *findings; /* sorted by path, line, column */
	size_t nfindings;
	char **paths;         /* file table: findings' file indexes point here */
	size_t npaths;
	kv_summary summary;
} kv_result;

void kv_result_free(kv_result *r);

typedef struct {
	const kv_rule_config *rules;
	kv_limits limits;
	kv_vopts vopts; /* set is filled in by the run */
	int jobs;
	kv_policyset *policies;       /* NULL for none; the run adds the repository's Namespaces */
	const kv_exempt_rules *exempt; /* NULL for none */
	/* The folder whose reconciler units are rendered, as a path from the current folder
	 * (work tree only): the folder the PATHs share; NULL for the project root. */
	const char *render_dir;
} kv_check_opts;

/* Runs the check. CRDs found in the files are compiled and added to set before validation.
 * Returns 0 (findings and I/O problems are in out), -1 only if the run could not start. */
int kv_check_run(kv_source *src, kv_schemaset *set, const kv_check_opts *o, kv_result *out);

#endif
