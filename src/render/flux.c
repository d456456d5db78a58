/* flux.c: Flux's side of rendering. SCAFFOLDING until written. */
#include "internal.h"

kv_node *rn_flux_generated(kv_render *r, const char *dir, const kv_node *cause)
{
	rn_problem(r, 0, cause, KV_RULE_RENDER_UNSUPPORTED, NULL, "%s has no kustomization file: not rendered yet", dir);
	return NULL;
}
