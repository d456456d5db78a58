/* labels.c: the label and annotation transformers of a kustomization: `labels` entries
 * (pairs, includeSelectors, includeTemplates, fields), then commonLabels, then
 * commonAnnotations, each on the fields its field specs select, as kustomize v5.5 does.
 * A label set here is a key made at the kustomization's key and a value made at its value. */
#include "internal.h"
#include "xform.h"

#include "kvet/alloc.h"
#include "kvet/map.h"

#include <stdlib.h>
#include <string.h>

/* kustomize's label and annotation setter makes one value node per object and key, and
 * puts that same node into every map where the key is new; where the key is there already,
 * it copies the value into the node that holds it. So a label one transformer added to the
 * metadata, the selector and the template of an object stays one node, and a later
 * transformer that sets it in one of them (an overlay's metadata-only `labels`) changes it
 * in all of them. kvet shares the node the same way and, when it sets a value that
 * transformer made and several places hold, sets it in all of them. (Nodes shared in a
 * resource file by YAML aliases are not: kustomize expands aliases when it reads files.) */
typedef struct {
	const kv_node *pairs; /* map of string keys to string values, from the kustomization */
	const char *what;     /* "labels", "commonLabels", "commonAnnotations" */
	const char *spec;     /* the field spec being walked */
	kv_node *obj;         /* the object */
	kv_node **fresh;      /* by key: the node shared by the maps where this call adds it */
	kv_map *uses;         /* node address -> places in obj that hold it (made when needed) */
	kv_map *made;         /* addresses of the nodes this call made for obj */
} pairs_ctx;

/* Label entries one transformer may set over a whole build (pairs times objects): a bound
 * on hostile kustomizations, whose output would otherwise grow as their product. */
#define MAX_SETS 5000000u
/* Nesting the search for shared nodes follows (the loader bounds trees well below it). */
#define MAX_DEPTH 512

/* The index of key among the n pairs, or -1; through idx (key -> index + 1) when there is one. */
static long find_key(const kv_pair *pairs, uint32_t n, const kv_map *idx, const kv_node *key)
{
	if (idx) {
		uint64_t *at = kv_map_find(idx, key->u.s, key->len);
		return at ? (long)*at - 1 : -1;
	}
	for (uint32_t i = 0; i < n; i++)
		if (pairs[i].key->len == key->len && memcmp(pairs[i].key->u.s, key->u.s, key->len) == 0)
			return (long)i;
	return -1;
}

static void count_uses(kv_map *uses, const kv_node *n, int depth)
{
	if (depth > MAX_DEPTH || (n->type != KV_MAP && n->type != KV_LIST))
		return;
	for (uint32_t i = 0; i < n->len; i++) {
		const kv_node *v = n->type == KV_MAP ? n->u.pairs[i].value : n->u.items[i];
		(*kv_map_slot(uses, &v, sizeof v, NULL))++;
		count_uses(uses, v, depth + 1);
	}
}

/* Puts to where from is, everywhere in n. */
static void replace_node(kv_node *n, const kv_node *from, kv_node *to, int depth)
{
	if (depth > MAX_DEPTH || (n->type != KV_MAP && n->type != KV_LIST))
		return;
	for (uint32_t i = 0; i < n->len; i++) {
		kv_node **v = n->type == KV_MAP ? &n->u.pairs[i].value : &n->u.items[i];
		if (*v == from)
			*v = to;
		else
			replace_node(*v, from, to, depth + 1);
	}
}

static kv_node *made_node(kv_render *r, pairs_ctx *c, const kv_node *val)
{
	kv_node *v = rn_new_string(r, kv_str(val) ? val->u.s : "", kv_str(val) ? val->len : 0, val);
	*kv_map_slot(c->made, &v, sizeof v, NULL) = 1;
	return v;
}

/* The node that holds key i's value where the map holds old: old itself when this call made
 * it; a new node put in every place of the object that holds old, when a transformer made
 * old and several places hold it; else a new node for this place. */
static kv_node *update_value(kv_render *r, pairs_ctx *c, const kv_node *val, kv_node *old)
{
	if (kv_map_find(c->made, &old, sizeof old))
		return old;
	kv_node *v = made_node(r, c, val);
	if (kv_render_file_applied(r, old->src))
		return v; /* a node of a resource file: shared only by a YAML alias */
	if (!c->uses) {
		c->uses = kv_map_new();
		count_uses(c->uses, c->obj, 0);
	}
	uint64_t *at = kv_map_find(c->uses, &old, sizeof old);
	uint64_t uses = at ? *at : 0; /* read before the map grows */
	if (uses > 1) {
		replace_node(c->obj, old, v, 0);
		*kv_map_slot(c->uses, &v, sizeof v, NULL) = uses;
	}
	return v;
}

/* Sets every pair in the map a field spec selects (made when absent and the spec says so),
 * in a new map node with the same position: a map a resource file shares by a YAML alias
 * keeps its other uses as they were. */
static int set_pairs(kv_render *r, kv_node **slot, void *ctx)
{
	pairs_ctx *c = ctx;
	kv_node *m = *slot;
	if (!m)
		return 0;
	if (m->type != KV_MAP) {
		rn_problem(r, 0, m, KV_RULE_RENDER_CONFLICT, NULL, "%s field spec %s selects %s, where a map is expected",
			   c->what, c->spec, kv_type_phrase((kv_type)m->type));
		return -1;
	}
	const kv_node *pairs = c->pairs;
	kv_map *idx = NULL;
	if ((uint64_t)m->len * pairs->len > 256) {
		idx = kv_map_new();
		for (uint32_t i = 0; i < m->len; i++)
			*kv_map_slot(idx, m->u.pairs[i].key->u.s, m->u.pairs[i].key->len, NULL) = i + 1;
	}
	kv_pair *grown = kv_arena_alloc(r->arena, sizeof *grown * (m->len + pairs->len));
	if (m->len)
		memcpy(grown, m->u.pairs, sizeof *grown * m->len);
	uint32_t n = m->len;
	for (uint32_t i = 0; i < pairs->len; i++) {
		const kv_node *key = pairs->u.pairs[i].key, *val = pairs->u.pairs[i].value;
		long at = find_key(grown, n, idx, key);
		if (at >= 0) {
			grown[at].value = update_value(r, c, val, grown[at].value);
			continue;
		}
		if (!c->fresh[i])
			c->fresh[i] = made_node(r, c, val);
		grown[n].key = rn_new_string(r, key->u.s, key->len, key);
		grown[n].value = c->fresh[i];
		if (idx)
			*kv_map_slot(idx, key->u.s, key->len, NULL) = n + 1;
		n++;
	}
	kv_map_free(idx);
	kv_node *copy = rn_new_map(r, m);
	*copy = *m;
	copy->u.pairs = grown;
	copy->len = n;
	*slot = copy;
	return 0;
}

/* Applies pairs to every object on the fields of fss. */
static bool apply_pairs(kv_render *r, rn_acc *a, const kv_node *pairs, const rn_fspecs *fss, const char *what)
{
	if (!pairs || pairs->type != KV_MAP || pairs->len == 0)
		return true;
	if ((uint64_t)pairs->len * a->res.n > MAX_SETS) {
		rn_problem(r, 0, pairs, KV_RULE_RENDER_LIMIT, NULL,
			   "%s would set %u entries on each of %zu objects: more than kvet sets in one build (%u)", what,
			   pairs->len, a->res.n, MAX_SETS);
		return false;
	}
	bool ok = true;
	pairs_ctx c = {pairs, what, NULL, NULL, kv_xcalloc(pairs->len, sizeof *c.fresh), NULL, NULL};
	for (size_t i = 0; i < a->res.n; i++) {
		c.obj = a->res.items[i]->obj;
		memset(c.fresh, 0, sizeof *c.fresh * pairs->len);
		c.made = kv_map_new();
		for (size_t j = 0; j < fss->n; j++) {
			c.spec = fss->items[j].path;
			ok &= rn_fspec_walk(r, c.obj, &fss->items[j], KV_MAP, pairs, set_pairs, &c) == 0;
		}
		kv_map_free(c.made);
		kv_map_free(c.uses);
		c.uses = NULL;
	}
	free(c.fresh);
	return ok;
}

/* ---- labels entries ---- */

static bool check_bool(kv_render *r, const rn_kust *k, const kv_node *v, const char *key)
{
	if (!v || v->type == KV_BOOL || v->type == KV_NULL)
		return true;
	rn_problem(r, k->src, v, KV_RULE_RENDER_KUSTOMIZATION, NULL, "%s must be true or false, not %s", key,
		   kv_type_phrase((kv_type)v->type));
	return false;
}

static bool is_true(const kv_node *v)
{
	return v && v->type == KV_BOOL && v->u.b;
}

/* Checks the shape of one `labels` entry, as kustomize's strict reading does. */
static bool label_entry_ok(kv_render *r, const rn_kust *k, const kv_node *e)
{
	static const char *const keys[] = {"pairs", "includeSelectors", "includeTemplates", "fields"};
	if (e->type != KV_MAP) {
		rn_problem(r, k->src, e, KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   "a labels entry must be a map with pairs, and optionally includeSelectors, includeTemplates and fields");
		return false;
	}
	bool ok = true;
	for (uint32_t i = 0; i < e->len; i++) {
		const kv_node *key = e->u.pairs[i].key;
		bool known = false;
		for (size_t j = 0; j < sizeof keys / sizeof keys[0]; j++)
			known |= strcmp(key->u.s, keys[j]) == 0;
		if (!known) {
			rn_problem(r, k->src, key, KV_RULE_RENDER_KUSTOMIZATION, NULL,
				   "%s is not a field of a labels entry (pairs, includeSelectors, includeTemplates, fields): kustomize refuses the file",
				   key->u.s);
			ok = false;
		}
	}
	const kv_node *pairs = kv_map_get(e, "pairs");
	if (pairs && pairs->type != KV_MAP && pairs->type != KV_NULL) {
		rn_problem(r, k->src, pairs, KV_RULE_RENDER_KUSTOMIZATION, NULL, "pairs must be a map of strings, not %s",
			   kv_type_phrase((kv_type)pairs->type));
		ok = false;
	}
	for (uint32_t i = 0; pairs && pairs->type == KV_MAP && i < pairs->len; i++) {
		const kv_node *v = pairs->u.pairs[i].value;
		if (v->type != KV_STRING) {
			rn_problem(r, k->src, v, KV_RULE_RENDER_KUSTOMIZATION, "quote the value",
				   "the value of label %s must be a string, not %s", pairs->u.pairs[i].key->u.s,
				   kv_type_phrase((kv_type)v->type));
			ok = false;
		}
	}
	ok &= check_bool(r, k, kv_map_get(e, "includeSelectors"), "includeSelectors");
	ok &= check_bool(r, k, kv_map_get(e, "includeTemplates"), "includeTemplates");
	return ok;
}

/* The field specs of one entry: its own fields, then the selectors and templates of
 * commonLabels (includeSelectors), or metadata labels and, with includeTemplates, the
 * template labels. */
static bool entry_specs(kv_render *r, rn_acc *a, const kv_node *e, rn_config *out)
{
	const kv_node *fields = kv_map_get(e, "fields");
	if (fields && fields->type != KV_NULL) {
		kv_node *doc = rn_new_map(r, e);
		rn_set(r, doc, "commonLabels", (kv_node *)fields, fields);
		if (rn_config_add(r, out, doc) < 0)
			return false;
	}
	rn_config add = {0};
	if (is_true(kv_map_get(e, "includeSelectors"))) {
		add.labels = a->cfg->labels;
	} else {
		rn_fspec meta = {NULL, NULL, NULL, "metadata/labels", true};
		add.labels = (rn_fspecs){&meta, 1, 1};
		rn_config_merge(r, out, &add);
		add.labels = is_true(kv_map_get(e, "includeTemplates")) ? a->cfg->template_labels : (rn_fspecs){0};
	}
	rn_config_merge(r, out, &add);
	return true;
}

static bool label_entry(kv_render *r, const rn_kust *k, rn_acc *a, const kv_node *e)
{
	if (!label_entry_ok(r, k, e))
		return false;
	rn_config specs = {0};
	if (!entry_specs(r, a, e, &specs))
		return false;
	return apply_pairs(r, a, kv_map_get(e, "pairs"), &specs.labels, "labels");
}

int rn_labels(kv_render *r, const rn_kust *k, rn_acc *a)
{
	const kv_node *list = kv_map_get(k->root, "labels");
	bool ok = true;
	for (uint32_t i = 0; list && list->type == KV_LIST && i < list->len; i++)
		ok &= label_entry(r, k, a, list->u.items[i]);
	ok &= apply_pairs(r, a, kv_map_get(k->root, "commonLabels"), &a->cfg->labels, "commonLabels");
	return ok ? 0 : -1;
}

int rn_annotations(kv_render *r, const rn_kust *k, rn_acc *a)
{
	return apply_pairs(r, a, kv_map_get(k->root, "commonAnnotations"), &a->cfg->annotations, "commonAnnotations")
		       ? 0
		       : -1;
}
