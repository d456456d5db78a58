/* flux.c: Flux's side of rendering. SCAFFOLDING until written. */
#include "units.h"

kv_node *rn_flux_generated(kv_render *r, const char *dir, const kv_node *cause)
{
	rn_problem(r, 0, cause, KV_RULE_RENDER_UNSUPPORTED, NULL, "%s has no kustomization file: not rendered yet", dir);
	return NULL;
}

void un_flux_units(kv_render *r, un_scan *s)
{
	for (size_t i = 0; i < s->flux.n; i++)
		rn_problem(r, s->flux.items[i].src, s->flux.items[i].doc, KV_RULE_RENDER_UNSUPPORTED, NULL,
			   "Flux Kustomizations are not rendered yet");
}

void un_flux_post(kv_render *r, un_scan *s)
{
	(void)r;
	(void)s;
}
