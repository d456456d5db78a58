/* k8s.h: the API server's own rules that schemas do not express: name syntax by kind,
 * namespace syntax, label and annotation syntax and size, and workload selectors that must
 * select their own pod template. */
#ifndef KVET_K8S_H
#define KVET_K8S_H

#include <stdint.h>

#include "kvet/diag.h"
#include "kvet/node.h"

typedef struct {
	const char *group, *version, *kind; /* from apiVersion and kind */
	uint32_t scope; /* KV_SCOPE_*; unknown falls back to kvet's table of built-in kinds */
} kv_objtype;

/* Checks one object; findings go to d, whose object context the caller sets. */
void kv_k8s_check(kv_diags *d, const kv_node *obj, const kv_objtype *t);

/* KV_SCOPE_CLUSTER for the built-in cluster-scoped kinds, else KV_SCOPE_UNKNOWN. */
uint32_t kv_k8s_builtin_scope(const char *group, const char *kind);

/* Splits "group/version" or "version" into its parts, written to group and version (each at
 * least n bytes). Returns 0, or -1 when the apiVersion is malformed. */
int kv_k8s_split_api_version(const char *api_version, char *group, char *version, size_t n);

#endif
