/* argo.c: Argo CD Applications and ApplicationSets as units. SCAFFOLDING until written. */
#include "units.h"

void un_argo_units(kv_render *r, un_scan *s)
{
	for (size_t i = 0; i < s->apps.n; i++)
		rn_problem(r, s->apps.items[i].src, s->apps.items[i].doc, KV_RULE_RENDER_UNSUPPORTED, NULL,
			   "Argo CD Applications are not rendered yet");
}
