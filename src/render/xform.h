/* xform.h: what the built-in transformers' files (xform.c, labels.c, images.c, scope.c)
 * share. Private to src/render. */
#ifndef KVET_RENDER_XFORM_H
#define KVET_RENDER_XFORM_H

#include "internal.h"

/* True when kustomize treats objects of group/version/kind as cluster-scoped (scope.c);
 * a NULL version matches any version kustomize knows. */
bool rn_cluster_scoped_gvk(const char *group, const char *version, const char *kind);

/* The object's group, version and kind as they are now. */
void rn_gvk_of(const kv_node *obj, char *group, char *version, size_t size, const char **kind);

/* A string node holding s, made at cause: the value a transformer sets. */
kv_node *rn_set_string(kv_render *r, kv_node **slot, const char *s, size_t len, const kv_node *cause);

#endif
