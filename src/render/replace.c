/* replace.c: replacements. SCAFFOLDING until written. */
#include "internal.h"

static int pending(kv_render *r, const rn_kust *k, const char *field)
{
	const kv_pair *p = kv_map_pair(k->root, field);
	if (!p || p->value->type == KV_NULL)
		return 0;
	rn_problem(r, k->src, p->key, KV_RULE_RENDER_UNSUPPORTED, NULL, "%s is not rendered yet", field);
	return -1;
}

int rn_replacements(kv_render *r, const rn_kust *k, rn_acc *a)
{
	(void)a;
	return pending(r, k, "replacements");
}
