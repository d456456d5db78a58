/* internal.h: what the files of src/policy share: the compiled form of a policy and of a
 * policy set. Not installed. */
#ifndef KVET_POLICY_INTERNAL_H
#define KVET_POLICY_INTERNAL_H

#include "kvet/arena.h"
#include "kvet/celeval.h"
#include "kvet/map.h"
#include "kvet/policy.h"

/* Variable slots, the same in every environment of a set (kvet policies declare all nine;
 * admission policies the first seven, as Kubernetes does). */
enum {
	V_OBJECT,
	V_OLD_OBJECT,
	V_REQUEST,
	V_PARAMS,
	V_NAMESPACE_OBJECT,
	V_VARIABLES,
	V_AUTHORIZER,
	V_POD_SPEC, /* kvet policies only */
	V_KVET,     /* kvet policies only: {kubernetesVersion, kubernetesMinor, podSecurityMinor} */
	V_COUNT,
};

#define V_ADMISSION_COUNT V_POD_SPEC

typedef enum { ORIGIN_POLICY, ORIGIN_ADMISSION } origin;

/* A label selector requirement; matchLabels entries become In with one value. */
typedef enum { SEL_IN, SEL_NOT_IN, SEL_EXISTS, SEL_DOES_NOT_EXIST } sel_op;

typedef struct {
	const char *key;
	sel_op op;
	const char **values;
	size_t nvalues;
} sel_req;

typedef struct {
	sel_req *reqs;
	size_t n;
	bool present; /* a selector was written (an empty one matches everything) */
} selector;

/* apiGroups x kinds (kvet policies) or apiGroups x resources (admission rules). */
typedef struct {
	const char **groups, **names, **versions;
	size_t ngroups, nnames, nversions;
	bool exclude; /* an excludeResourceRules entry */
} kind_rule;

typedef struct {
	const char *name;
	kv_cel_prog *prog;
	uint32_t line, col; /* the expression in its file */
	const char *text;
} expr;

typedef struct {
	expr check;
	const char *message;
	expr message_expr; /* prog NULL when none */
	const char *reason; /* admission: the reason field, for messages */
} validation;

struct kv_policy {
	const char *id, *description, *remediation, *path;
	kv_severity severity, default_severity;
	bool builtin;
	origin from;
	kind_rule *rules;
	size_t nrules;
	bool pod_spec;       /* match.podSpec: every kind with a pod template */
	const char **namespaces, **excluded;
	size_t nnamespaces, nexcluded;
	selector labels;     /* objectSelector / labelSelector */
	selector ns_labels;  /* namespaceSelector (admission) */
	expr *conditions;
	size_t nconditions;
	expr *variables;
	size_t nvariables;
	kv_cel_lazy lazy;    /* the variables, as `variables` sees them */
	const char **lazy_names;
	const kv_cel_prog **lazy_progs;
	validation *validations;
	size_t nvalidations;
	const kv_node *params; /* spec.params (kvet policies) */
	kv_severity action_sev; /* admission: from the binding's validationActions */
	bool action_set;
	/* Admission policies: rules name resources (with versions); the binding's own match
	 * narrows the policy's; parameters come from repository objects. */
	bool by_resource;
	bool any_kind;           /* a binding's matchResources without resourceRules */
	const kv_policy *also;
	bool fail_closed;        /* failurePolicy: Fail */
	const char *param_kind;  /* "group/Kind" ("/ConfigMap" for core), or NULL */
	const char *param_name, *param_ns;
	selector param_sel;
	bool param_deny;         /* parameterNotFoundAction: Deny */
	const char *binding;     /* the binding's name */
};

/* An admission document kept from phase A, with its file for carets and findings. */
typedef struct {
	const kv_node *node;
	uint32_t file;
	const char *path, *text;
	size_t len;
} adm_doc;

struct kv_policyset {
	kv_policy_opts opts;
	kv_arena *arena;  /* policies, their strings and params */
	kv_cel_env *env;  /* kvet policies */
	kv_cel_env *admission_env;
	kv_policy **items;
	size_t n, cap;
	kv_cel_prog **progs; /* every compiled program, freed with the set */
	size_t nprogs, capprogs;
	kv_map *ids;         /* id -> index + 1 */
	kv_cel_val kvet;     /* the kvet variable */
	int k8s_minor, pss_minor;
	/* Namespace objects of the repository by name, for namespaceObject and selectors. */
	kv_map *namespaces;
	const kv_node **ns_nodes;
	size_t nns, capns;
	adm_doc *vaps, *bindings;
	size_t nvaps, capvaps, nbindings, capbindings;
	kv_map *plurals;          /* "group/Kind" -> index + 1 into plural_names (CRDs) */
	const char **plural_names;
	size_t nplurals, capplurals;
	const kv_node **params;   /* repository objects of the param kinds bindings use */
	size_t nparams, capparams;
};

/* set.c */
#define KV_POLICY_LATEST_MINOR 35
int kv_policy_minor_of(const char *v);
void kv_policy_minors(const char *k8s, const char *pss, int *k8s_minor, int *pss_minor);
kv_cel_val kv_policy_kvet_var(kv_arena *arena, int k8s_minor, int pss_minor);

/* vap.c */
const char *kv_policy_resource_of(const kv_policyset *ps, const char *group, const char *kind, char *buf,
				  size_t size);

/* load.c */
int kv_policy_load_doc(kv_policyset *ps, const kv_node *doc, const char *path, const char *text,
		       size_t len, bool builtin, kv_buf *err);
/* Compiles an expression written at node n of a file; on failure appends the error, with
 * the file's line and a caret, to err and returns NULL. */
kv_cel_prog *kv_policy_compile(kv_policyset *ps, kv_cel_env *env, const kv_node *n, const char *path,
			       const char *text, size_t len, kv_buf *err);
void kv_policy_add(kv_policyset *ps, kv_policy *p);

/* match.c */
/* has_pod: obj carries a pod spec (kv_policy_pod_spec), worked out once per object. */
bool kv_policy_matches(const kv_policyset *ps, const kv_policy *p, const kv_node *obj, const kv_objtype *t,
		       bool has_pod);
bool kv_selector_matches(const selector *s, const kv_node *labels);
/* Parses matchLabels / matchExpressions at n into s (strings in arena); false with a
 * message in err (the node it concerns in *at). */
bool kv_selector_parse(selector *s, const kv_node *n, kv_arena *arena, char *err, size_t errsize,
		       const kv_node **at);
const kv_node *kv_policyset_namespace(const kv_policyset *ps, const char *name);

#endif
