/* render_util.h: what the render unit tests share: a YAML text loaded as a tree into an
 * arena, and a render over the current folder. */
#ifndef KVET_TEST_RENDER_UTIL_H
#define KVET_TEST_RENDER_UTIL_H

#include "kvet/render.h"
#include "kvet/yaml.h"

#include <string.h>

/* The first document of text, in arena a; NULL when there is none. */
static inline kv_node *rt_doc(kv_arena *a, const char *text)
{
	kv_diags d;
	kv_diags_init(&d, NULL, 0);
	kv_limits lim;
	kv_limits_default(&lim);
	kv_loader *l = kv_loader_new(text, strlen(text), KV_SYNTAX_YAML, &lim, &d);
	kv_doc out = {0};
	int rc = kv_loader_next(l, a, &out);
	kv_loader_free(l);
	kv_diags_free(&d);
	return rc == 1 ? out.root : NULL;
}

static inline kv_render *rt_render(void)
{
	kv_render_opts o = {.root = "."};
	return kv_render_new(&o);
}

#endif
