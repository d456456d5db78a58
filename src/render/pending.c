/* pending.c: SCAFFOLDING while the transformers are written: each step reports its field
 * as not rendered. Removed file by file as the real steps land. */
#include "internal.h"

static int pending(kv_render *r, const rn_kust *k, const char *field)
{
	const kv_pair *p = kv_map_pair(k->root, field);
	if (!p || p->value->type == KV_NULL)
		return 0;
	rn_problem(r, k->src, p->key, KV_RULE_RENDER_UNSUPPORTED, NULL, "%s is not rendered yet", field);
	return -1;
}

int rn_generators(kv_render *r, const rn_kust *k, rn_acc *a)
{
	(void)a;
	return pending(r, k, "configMapGenerator") | pending(r, k, "secretGenerator");
}

int rn_patches(kv_render *r, const rn_kust *k, rn_acc *a)
{
	(void)a;
	return pending(r, k, "patchesStrategicMerge") | pending(r, k, "patches");
}

int rn_patches_json6902(kv_render *r, const rn_kust *k, rn_acc *a)
{
	(void)a;
	return pending(r, k, "patchesJson6902");
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

int rn_replacements(kv_render *r, const rn_kust *k, rn_acc *a)
{
	(void)a;
	return pending(r, k, "replacements");
}

int rn_hash_names(kv_render *r, rn_acc *a)
{
	(void)r;
	(void)a;
	return 0;
}

int rn_fix_references(kv_render *r, rn_acc *a)
{
	(void)r;
	(void)a;
	return 0;
}

const char rn_default_config_yaml[] = "";
const char rn_default_namerefs_yaml[] = "";
