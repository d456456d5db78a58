/* xform.c: namespace, namePrefix/nameSuffix, labels, annotations, replicas, images.
 * SCAFFOLDING until written. */
#include "internal.h"

static int pending(kv_render *r, const rn_kust *k, const char *field)
{
	const kv_pair *p = kv_map_pair(k->root, field);
	if (!p || p->value->type == KV_NULL)
		return 0;
	rn_problem(r, k->src, p->key, KV_RULE_RENDER_UNSUPPORTED, NULL, "%s is not rendered yet", field);
	return -1;
}

int rn_namespace(kv_render *r, const rn_kust *k, rn_acc *a)
{
	(void)a;
	return pending(r, k, "namespace");
}

int rn_prefix_suffix(kv_render *r, const rn_kust *k, rn_acc *a)
{
	(void)a;
	return pending(r, k, "namePrefix") | pending(r, k, "nameSuffix");
}

int rn_labels(kv_render *r, const rn_kust *k, rn_acc *a)
{
	(void)a;
	return pending(r, k, "labels") | pending(r, k, "commonLabels");
}

int rn_annotations(kv_render *r, const rn_kust *k, rn_acc *a)
{
	(void)a;
	return pending(r, k, "commonAnnotations");
}

int rn_replicas(kv_render *r, const rn_kust *k, rn_acc *a)
{
	(void)a;
	return pending(r, k, "replicas");
}

int rn_images(kv_render *r, const rn_kust *k, rn_acc *a)
{
	(void)a;
	return pending(r, k, "images") | pending(r, k, "imageTags");
}
