/* lib_authz.c: the names of Kubernetes' authorizer library (authorizer.group(...).resource(...)
 * .check('get').allowed() and the rest), so policies that use them compile. kvet has no
 * cluster to ask: the `authorizer` variable is bound to a "needs a cluster" error, which these
 * strict functions pass along untouched, and the finding says so instead of guessing. */
#include "internal.h"

static kv_cel_val needs_cluster(kv_cel_call *c)
{
	return kv_cel_errorf(c->r, KV_CEL_E_NEEDS_CLUSTER, c->pos,
			     "'%s' asks the cluster's authorizer, which kvet cannot do offline", c->name);
}

const kv_cel_fn kv_cel_lib_authz[] = {
	{"path", KV_CEL_FN_METHOD, 2, 2, KV_CEL_T_ANY, needs_cluster, NULL, NULL},
	{"group", KV_CEL_FN_METHOD, 2, 2, KV_CEL_T_ANY, needs_cluster, NULL, NULL},
	{"serviceAccount", KV_CEL_FN_METHOD, 3, 3, KV_CEL_T_ANY, needs_cluster, NULL, NULL},
	{"resource", KV_CEL_FN_METHOD, 2, 2, KV_CEL_T_ANY, needs_cluster, NULL, NULL},
	{"subresource", KV_CEL_FN_METHOD, 2, 2, KV_CEL_T_ANY, needs_cluster, NULL, NULL},
	{"namespace", KV_CEL_FN_METHOD, 2, 2, KV_CEL_T_ANY, needs_cluster, NULL, NULL},
	{"name", KV_CEL_FN_METHOD, 2, 2, KV_CEL_T_ANY, needs_cluster, NULL, NULL},
	{"check", KV_CEL_FN_METHOD, 2, 2, KV_CEL_T_ANY, needs_cluster, NULL, NULL},
	{"allowed", KV_CEL_FN_METHOD, 1, 1, KV_CEL_T_ANY, needs_cluster, NULL, NULL},
	{"reason", KV_CEL_FN_METHOD, 1, 1, KV_CEL_T_ANY, needs_cluster, NULL, NULL},
	{"errored", KV_CEL_FN_METHOD, 1, 1, KV_CEL_T_ANY, needs_cluster, NULL, NULL},
	{"error", KV_CEL_FN_METHOD, 1, 1, KV_CEL_T_ANY, needs_cluster, NULL, NULL},
	{"fieldSelector", KV_CEL_FN_METHOD, 2, 2, KV_CEL_T_ANY, needs_cluster, NULL, NULL},
	{"labelSelector", KV_CEL_FN_METHOD, 2, 2, KV_CEL_T_ANY, needs_cluster, NULL, NULL},
	{NULL, 0, 0, 0, 0, NULL, NULL, NULL},
};
