/* select.c: selecting resources. SCAFFOLDING until written. */
#include "internal.h"

rn_select *rn_select_parse(kv_render *r, uint16_t src, const kv_node *sel)
{
	rn_problem(r, src, sel, KV_RULE_RENDER_UNSUPPORTED, NULL, "selectors are not rendered yet");
	return NULL;
}

int rn_select_match(kv_render *r, const rn_select *s, const rn_res *res)
{
	(void)r;
	(void)s;
	(void)res;
	return 0;
}

void rn_select_free(rn_select *s)
{
	(void)s;
}

const char *rn_effective_ns(const char *group, const char *kind, const char *ns)
{
	if (rn_cluster_scoped(group, kind))
		return "_non_namespaceable_";
	return ns && *ns ? ns : "default";
}
