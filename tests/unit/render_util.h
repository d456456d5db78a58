/* render_util.h: what the render unit tests share: a YAML text loaded as a tree into an
 * arena, a render over the current folder, and scratch folders for builds on files. */
#ifndef KVET_TEST_RENDER_UTIL_H
#define KVET_TEST_RENDER_UTIL_H

#include "kvet/render.h"
#include "kvet/yaml.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
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

/* A scratch folder for builds on files: made in /tmp, removed whole. */
typedef struct {
	char root[64];
} rt_scratch;

/* Makes the folder (/tmp/kvet-TAG-XXXXXX); false when it cannot be made. */
static inline bool rt_scratch_new(rt_scratch *s, const char *tag)
{
	snprintf(s->root, sizeof s->root, "/tmp/kvet-%s-XXXXXX", tag);
	if (mkdtemp(s->root))
		return true;
	s->root[0] = '\0';
	return false;
}

/* Writes n bytes of text to rel below the folder (its folders must exist). */
static inline void rt_put(const rt_scratch *s, const char *rel, const char *text, size_t n)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", s->root, rel);
	FILE *f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(text, 1, n, f);
	fclose(f);
}

static inline void rt_scratch_free(rt_scratch *s)
{
	if (!s->root[0])
		return;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->root);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", s->root);
	s->root[0] = '\0';
}

#endif
