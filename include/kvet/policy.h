/* policy.h: policies in kvet's policy language (CEL), run against every object a check reads.
 *
 * A policy set holds kvet Policy documents (kvet.dev/v1alpha1, shaped like a Kubernetes
 * ValidatingAdmissionPolicy: match, matchConditions, variables, validations), from the
 * built-in pack, --policy folders and the config file, and the repository's own
 * ValidatingAdmissionPolicies with their bindings. Every expression is compiled once when its
 * policy is added; a set is read-only once frozen and shared by the check's threads, each of
 * which evaluates through its own kv_policy_runner. */
#ifndef KVET_POLICY_H
#define KVET_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvet/buf.h"
#include "kvet/diag.h"
#include "kvet/k8s.h"
#include "kvet/node.h"

typedef struct kv_policyset kv_policyset;
typedef struct kv_policy kv_policy;
typedef struct kv_policy_runner kv_policy_runner;

typedef struct {
	/* The Kubernetes release objects are meant for (removed APIs), "v1.35.0" or "1.35". */
	const char *kubernetes_version;
	/* The Pod Security Standards version ("latest" or "v1.30"). */
	const char *pod_security_version;
	uint64_t budget; /* evaluation steps per expression; 0 for the default */
} kv_policy_opts;

/* Caller frees with kv_policyset_free. */
kv_policyset *kv_policyset_new(const kv_policy_opts *o);
void kv_policyset_free(kv_policyset *ps);

/* Adds the kvet Policy documents of one file (text of len bytes, named path in messages).
 * Returns 0, or -1 with every problem in err as "path:line:col: message" followed by the
 * source line and a caret. Documents of other kinds in the file are an error too, except
 * PolicyTest documents, which are skipped (kvet policy test reads them). */
int kv_policyset_add_file(kv_policyset *ps, const char *path, const char *text, size_t len, kv_buf *err);
/* Adds the built-in pack (policies/, embedded at build time). */
int kv_policyset_add_builtin(kv_policyset *ps, kv_buf *err);

/* Records a Namespace object of the repository (copied), for namespaceObject and namespace
 * selectors. Not thread-safe: the caller serialises calls, all before any kv_policy_check. */
void kv_policyset_add_namespace(kv_policyset *ps, const kv_node *ns);

/* The repository's admission objects, recorded in a first pass over the files (copied; not
 * thread-safe: the caller serialises calls): ValidatingAdmissionPolicy and
 * ValidatingAdmissionPolicyBinding documents (file is the caller's index for problems, text the
 * file's bytes for carets), and CRDs, whose plural names resource rules use. */
void kv_policyset_add_admission(kv_policyset *ps, const kv_node *obj, uint32_t file, const char *path,
				const char *text, size_t len);
void kv_policyset_add_crd(kv_policyset *ps, const kv_node *crd);

typedef struct {
	uint32_t file, line, col;
	kv_rule rule;
	char *message;    /* caller frees */
	const char *text; /* the file's bytes (borrowed from the set), for the source line; or NULL */
	size_t len;
} kv_policy_problem;

/* Turns the recorded admission objects into policies, one per binding (a policy without a
 * binding does nothing, as in a cluster). Problems (an expression that does not compile, a
 * binding naming no policy) come back in *out; the caller frees each message and the array. */
void kv_policyset_resolve(kv_policyset *ps, kv_policy_problem **out, size_t *n);
/* True when an object of this type may be some binding's parameter object; then the caller
 * adds each such object with kv_policyset_add_param before any kv_policy_check. */
bool kv_policyset_wants_param(const kv_policyset *ps, const char *group, const char *kind);
void kv_policyset_add_param(kv_policyset *ps, const kv_node *obj);

/* The policies, in the order added. */
size_t kv_policyset_count(const kv_policyset *ps);
const kv_policy *kv_policyset_at(const kv_policyset *ps, size_t i);
const kv_policy *kv_policyset_find(const kv_policyset *ps, const char *id);

typedef struct {
	const char *id, *description, *remediation, *path;
	kv_severity severity; /* after configuration */
	bool builtin;
} kv_policy_info;

void kv_policy_describe(const kv_policy *p, kv_policy_info *out);
/* True for an admission binding whose policy takes parameter objects. */
bool kv_policy_takes_params(const kv_policy *p);
/* Appends a readable account of the policy: what it matches and each expression. */
void kv_policy_explain(const kv_policy *p, kv_buf *out);

/* Sets the severity of every policy whose id matches pattern (a glob: * matches within and
 * across '/'); returns how many matched. */
size_t kv_policyset_set_severity(kv_policyset *ps, const char *pattern, kv_severity sev);

/* Per-thread evaluation state. Caller frees with kv_policy_runner_free. */
kv_policy_runner *kv_policy_runner_new(const kv_policyset *ps);
void kv_policy_runner_free(kv_policy_runner *r);

/* Evaluates every policy that matches obj (of type t); violations and evaluation errors go to
 * d, at the most specific node each failing validation read. Returns the number of
 * violations. */
size_t kv_policy_check(kv_policy_runner *r, const kv_node *obj, const kv_objtype *t, kv_diags *d);

/* Violations not reported because they were found at a value holding ${VAR} substitutions,
 * known only once the reconciler substitutes it. */
uint64_t kv_policy_runner_templated(const kv_policy_runner *r);

/* Evaluates one policy only, whatever its severity; *matched says whether it applied to obj.
 * For policy tests. */
size_t kv_policy_check_one(kv_policy_runner *r, const kv_policy *p, const kv_node *obj,
			   const kv_objtype *t, kv_diags *d, bool *matched);

/* Evaluates as if the set were made for these versions (either may be NULL: the set's own);
 * both NULL restores the set's. For policy tests. */
void kv_policy_runner_versions(kv_policy_runner *r, const char *kubernetes_version,
			       const char *pod_security_version);

/* The pod spec of a workload (Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job,
 * CronJob, ReplicationController, PodTemplate), or NULL. Borrowed from obj. */
const kv_node *kv_policy_pod_spec(const kv_node *obj, const char *kind);

#endif
