/* patch.c: a kustomization's patchesStrategicMerge, patches and patchesJson6902, as kustomize
 * v5.5 applies them (strategic merge in smp.c, JSON patch in json6902.c).
 *
 * A patch is a file (path) or text in the kustomization (patch, or an entry of
 * patchesStrategicMerge holding YAML); text patches are read with positions in the
 * kustomization, so what they put in an object points at the kustomization's line. A patch
 * that is a list is a JSON patch and needs a target; otherwise each of its documents is a
 * strategic merge patch: applied to every object the target selects, or without a target to
 * the one object whose identity (now or before a rename) is the patch's. As in kustomize, a
 * patch keeps the object's apiVersion and namespace, and its name and kind unless the
 * options allowNameChange / allowKindChange say otherwise; a patch `$patch: delete` removes
 * the object. */
#include "patch.h"

#include "kvet/alloc.h"
#include "kvet/k8s.h"
#include "kvet/map.h"
#include "kvet/strutil.h"
#include "kvet/yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	const kv_node **docs;
	size_t n;
	bool json; /* a JSON patch (one document, a list) */
} patch_docs;

typedef struct {
	bool name_change, kind_change;
} patch_opts;

/* ---- reading patches ---- */

/* The file a node of the kustomization is in: its own (a reconciler's overlay may set
 * fields from another file), else the kustomization's. */
static uint16_t src_of(const rn_kust *k, const kv_node *n)
{
	return n && n->src ? n->src : k->src;
}

/* Moves the nodes of a tree parsed from text to the kustomization: line/col of the text
 * (1-based) become positions in the file, for a literal block scalar (|) line by line, for
 * any other scalar at the scalar itself. */
typedef struct {
	uint16_t src;
	bool block;
	uint32_t line0, col0; /* where the text's first byte is */
	const kv_node *at;    /* the scalar */
} relocation;

static void relocate(kv_node *n, const relocation *rl, int depth)
{
	if (!n || depth > 1000)
		return;
	n->src = rl->src;
	if (rl->block) {
		n->col = rl->col0 + n->col - 1;
		n->line = rl->line0 + n->line - 1;
	} else {
		n->line = rl->at->line;
		n->col = rl->at->col;
	}
	if (n->type == KV_LIST)
		for (uint32_t i = 0; i < n->len; i++)
			relocate(n->u.items[i], rl, depth + 1);
	else if (n->type == KV_MAP)
		for (uint32_t i = 0; i < n->len; i++) {
			relocate(n->u.pairs[i].key, rl, depth + 1);
			relocate(n->u.pairs[i].value, rl, depth + 1);
		}
}

static void relocation_of(kv_render *r, const rn_kust *k, const kv_node *s, relocation *rl)
{
	memset(rl, 0, sizeof *rl);
	rl->src = src_of(k, s);
	rl->at = s;
	if (!rl->src || rl->src > r->nfiles)
		return;
	const rn_file *f = &r->files[rl->src - 1];
	const char *line;
	size_t n;
	if (!kv_text_line(f->text, f->len, s->line, &line, &n))
		return;
	size_t i = kv_utf8_col_offset(line, n, s->col);
	if (i >= n || line[i] != '|')
		return;
	/* The first byte that is not blank, its line and column in the text, then in the file;
	 * the text's line 1, column 1 is where the difference puts it. */
	uint32_t pos = 0, tl = 1, tc = 1;
	while (pos < s->len && (s->u.s[pos] == ' ' || s->u.s[pos] == '\t' || s->u.s[pos] == '\n' || s->u.s[pos] == '\r')) {
		tl += s->u.s[pos] == '\n';
		tc = s->u.s[pos] == '\n' ? 1 : tc + 1;
		pos++;
	}
	uint32_t fl, fc;
	kv_yaml_scalar_pos(f->text, f->len, s, pos, &fl, &fc);
	if (fl < tl || fc < tc)
		return;
	rl->block = true;
	rl->line0 = fl - tl + 1;
	rl->col0 = fc - tc + 1;
}

/* The documents of text s (a string of the kustomization). */
static size_t load_text(kv_render *r, const rn_kust *k, const kv_node *s, kv_node ***docs)
{
	kv_diags d;
	kv_diags_init(&d, NULL, 0);
	kv_loader *l = kv_loader_new(s->u.s, s->len, KV_SYNTAX_YAML, &r->o.limits, &d);
	relocation rl;
	relocation_of(r, k, s, &rl);
	kv_node **out = NULL;
	size_t n = 0, cap = 0;
	kv_doc doc;
	while (kv_loader_next(l, r->arena, &doc) == 1) {
		if (!doc.root)
			continue;
		relocate(doc.root, &rl, 0);
		KV_GROW(out, cap, n + 1);
		out[n++] = doc.root;
	}
	kv_loader_free(l);
	for (size_t i = 0; i < d.n; i++) {
		kv_node at = {.src = rl.src, .line = s->line, .col = s->col};
		if (rl.block && d.items[i].line) {
			at.line = rl.line0 + d.items[i].line - 1;
			at.col = rl.col0 + d.items[i].col - 1;
		}
		rn_problem(r, src_of(k, &at), &at, d.items[i].rule, d.items[i].hint, "in the patch: %s", d.items[i].message);
	}
	bool bad = d.n > 0;
	kv_diags_free(&d);
	*docs = kv_arena_alloc(r->arena, sizeof **docs * (n ? n : 1));
	if (n)
		memcpy(*docs, out, sizeof **docs * n);
	free(out);
	return bad ? 0 : n;
}

static bool blank(const kv_node *s)
{
	for (uint32_t i = 0; i < s->len; i++)
		if (s->u.s[i] != ' ' && s->u.s[i] != '\t' && s->u.s[i] != '\n' && s->u.s[i] != '\r')
			return false;
	return true;
}

/* Reads a patch from a file (path) or text (text), one of the two; false with a problem. */
static bool read_patch(kv_render *r, const rn_kust *k, const kv_node *entry, const kv_node *path, const kv_node *text,
		       patch_docs *out)
{
	memset(out, 0, sizeof *out);
	if (path && text) {
		rn_problem(r, src_of(k, text), text, KV_RULE_RENDER_KUSTOMIZATION, "keep one of them",
			   "a patch has both path and patch: kustomize refuses it");
		return false;
	}
	const kv_node *given = path ? path : text;
	if (!given || given->type == KV_NULL || (kv_str(given) && blank(given))) {
		const kv_node *where = given ? given : entry;
		rn_problem(r, src_of(k, where), where, KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   "a patch needs path (a file) or patch (the patch itself): kustomize refuses it");
		return false;
	}
	if (!kv_str(given)) {
		rn_problem(r, src_of(k, given), given, KV_RULE_RENDER_KUSTOMIZATION, NULL, "%s must be a string, not %s",
			   path ? "path" : "patch", kv_type_phrase((kv_type)given->type));
		return false;
	}
	kv_node **docs;
	size_t n;
	if (path) {
		uint16_t src = rn_kust_file(r, k, path);
		if (!src)
			return false;
		size_t probs = r->nproblems;
		n = rn_load_docs(r, src, &docs);
		if (r->nproblems != probs)
			return false;
	} else {
		size_t probs = r->nproblems;
		n = load_text(r, k, text, &docs);
		if (r->nproblems != probs)
			return false;
	}
	if (n == 0) {
		rn_problem(r, src_of(k, given), given, KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   "the patch is empty or unreadable: kustomize refuses it");
		return false;
	}
	out->docs = (const kv_node **)docs;
	out->n = n;
	out->json = n == 1 && rn_json6902_is_patch(docs[0]);
	for (size_t i = 0; !out->json && i < n; i++) {
		const kv_node *d = docs[i];
		const char *bad = d->type != KV_MAP ? "a patch document must be a map (a strategic merge patch) or a list (a JSON patch)"
				  : !kv_str(kv_map_get(d, "kind")) ? "a strategic merge patch needs a kind"
				  : !kv_str(kv_map_get(kv_map_get(d, "metadata"), "name")) ? "a strategic merge patch needs metadata.name"
											  : NULL;
		if (bad) {
			rn_problem(r, d->src, d, KV_RULE_RENDER_KUSTOMIZATION, NULL, "%s: kustomize refuses it", bad);
			return false;
		}
	}
	return true;
}

/* ---- applying ---- */

static kv_pair *meta_pair(kv_node *obj, const char *key)
{
	kv_node *meta = kv_map_get(obj, "metadata");
	return meta && meta->type == KV_MAP ? (kv_pair *)kv_map_pair(meta, key) : NULL;
}

/* The fields kustomize puts back after a patch: their value nodes before it. */
typedef struct {
	kv_node *api, *kind, *name, *ns;
} kept_ids;

static kv_node *value_of(kv_pair *p)
{
	return p ? p->value : NULL;
}

static void keep_ids(kv_node *obj, kept_ids *k)
{
	k->api = kv_map_get(obj, "apiVersion");
	k->kind = kv_map_get(obj, "kind");
	k->name = value_of(meta_pair(obj, "name"));
	k->ns = value_of(meta_pair(obj, "namespace"));
}

static void put_back(kv_render *r, kv_node *obj, const char *key, kv_node *v, bool meta)
{
	kv_node *m = obj;
	if (meta) {
		m = kv_map_get(obj, "metadata");
		if (!m || m->type != KV_MAP) {
			if (!v)
				return;
			m = rn_new_map(r, obj);
			rn_set(r, obj, "metadata", m, obj);
		}
	}
	if (v)
		rn_set(r, m, key, v, v);
	else
		rn_del(m, key);
}

/* Applies one strategic merge patch document to res: -1 with a problem when it cannot;
 * *gone when the patch deleted the object. */
static int smp_one(kv_render *r, rn_res *res, const kv_node *patch, patch_opts o, bool *gone)
{
	kept_ids was;
	keep_ids(res->obj, &was);
	if (o.name_change || o.kind_change)
		rn_res_remember(r, res);
	kv_node *obj = res->obj;
	int rc = rn_smp_apply(r, &obj, patch);
	if (!obj || (obj->type == KV_MAP && obj->len == 0)) {
		*gone = true;
		return rc;
	}
	res->obj = obj;
	put_back(r, obj, "apiVersion", was.api, false);
	if (!o.kind_change)
		put_back(r, obj, "kind", was.kind, false);
	if (!o.name_change)
		put_back(r, obj, "name", was.name, true);
	put_back(r, obj, "namespace", was.ns, true);
	return rc;
}

/* The patch's identity as kustomize compares it with an object's current or earlier ones. */
typedef struct {
	char group[128], version[64];
	const char *kind, *name, *ns;
} patch_id;

static void patch_id_of(const kv_node *doc, patch_id *id)
{
	memset(id, 0, sizeof *id);
	const char *av = kv_str(kv_map_get(doc, "apiVersion"));
	if (!av || kv_k8s_split_api_version(av, id->group, id->version, sizeof id->version) < 0)
		id->group[0] = id->version[0] = '\0';
	id->kind = kv_str(kv_map_get(doc, "kind"));
	const kv_node *meta = kv_map_get(doc, "metadata");
	id->name = kv_str(kv_map_get(meta, "name"));
	id->ns = kv_str(kv_map_get(meta, "namespace"));
}

/* The objects of a build by identity (current and earlier), so that finding the object of a
 * patch without target is not a scan of the build for every patch. */
#define AMBIGUOUS UINT64_MAX

typedef struct {
	kv_map *ids; /* identity -> position + 1, or AMBIGUOUS */
	bool stale;  /* names or objects changed since it was built */
} id_index;

static void id_key(kv_buf *out, const char *group, const char *version, const char *kind, const char *ns, const char *name)
{
	kv_buf_truncate(out, 0);
	const char *parts[] = {group, version, kind, rn_effective_ns(group, version, kind, ns), name};
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		kv_buf_puts(out, parts[i] ? parts[i] : "");
		kv_buf_putc(out, '\0');
	}
}

static void index_add(kv_map *m, const kv_buf *key, size_t pos)
{
	uint64_t *slot = kv_map_slot(m, key->data, key->len, NULL);
	if (!*slot)
		*slot = pos + 1;
	else if (*slot != pos + 1)
		*slot = AMBIGUOUS;
}

static void index_build(id_index *ix, const rn_list *l)
{
	kv_map_free(ix->ids);
	ix->ids = kv_map_new();
	ix->stale = false;
	kv_buf key = KV_BUF_INIT;
	for (size_t i = 0; i < l->n; i++) {
		rn_id id;
		rn_id_of(l->items[i], &id);
		id_key(&key, id.group, id.version, id.kind, id.ns, id.name);
		index_add(ix->ids, &key, i);
		for (size_t p = 0; p < l->items[i]->nprev; p++) {
			id_key(&key, id.group, id.version, id.kind, l->items[i]->prev[p].ns, l->items[i]->prev[p].name);
			index_add(ix->ids, &key, i);
		}
	}
	kv_buf_free(&key);
}

static void describe(const patch_id *p, kv_buf *out)
{
	if (*p->group)
		kv_buf_printf(out, "%s/", p->group);
	kv_buf_printf(out, "%s %s ", *p->version ? p->version : "(no apiVersion)", p->kind ? p->kind : "?");
	if (p->ns && *p->ns)
		kv_buf_printf(out, "%s/", p->ns);
	kv_buf_puts(out, p->name ? p->name : "?");
}

/* Removes the objects marked gone (obj NULL) from the list. */
static void drop_gone(rn_list *l)
{
	size_t kept = 0;
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i]->obj)
			l->items[kept++] = l->items[i];
	if (kept != l->n) {
		l->n = kept;
		rn_list_touch(l);
	}
}

/* A strategic merge patch without a target: the one object with its identity. */
static int smp_untargeted(kv_render *r, rn_acc *a, const kv_node *doc, patch_opts o, id_index *ix)
{
	patch_id pid;
	patch_id_of(doc, &pid);
	if (!ix->ids || ix->stale)
		index_build(ix, &a->res);
	kv_buf key = KV_BUF_INIT;
	id_key(&key, pid.group, pid.version, pid.kind, pid.ns, pid.name);
	uint64_t *slot = kv_map_find(ix->ids, key.data, key.len);
	kv_buf_free(&key);
	rn_res *hit = slot && *slot != AMBIGUOUS ? a->res.items[*slot - 1] : NULL;
	size_t hits = !slot ? 0 : *slot == AMBIGUOUS ? 2 : 1;
	const kv_node *at = kv_map_get(kv_map_get(doc, "metadata"), "name");
	if (hits != 1) {
		kv_buf what = KV_BUF_INIT;
		describe(&pid, &what);
		rn_problem(r, at->src, at, KV_RULE_RENDER_CONFLICT,
			   hits ? "give the patch a target to patch several objects"
				: "the patch applies to an object of this build by apiVersion, kind, name and namespace; check them, or give the patch a target",
			   "%s object of the build is %s: kustomize refuses the patch", hits ? "more than one" : "no",
			   kv_buf_cstr(&what));
		kv_buf_free(&what);
		return -1;
	}
	bool gone = false;
	int rc = smp_one(r, hit, doc, o, &gone);
	if (gone)
		hit->obj = NULL;
	drop_gone(&a->res);
	if (o.name_change || o.kind_change)
		rn_list_touch(&a->res);
	ix->stale |= gone || o.name_change || o.kind_change;
	return rc;
}

/* A patch (strategic merge documents or a JSON patch) on every object target selects. */
static int apply_targeted(kv_render *r, const rn_kust *k, rn_acc *a, const kv_node *target, const patch_docs *pd,
			  patch_opts o, id_index *ix)
{
	if (ix)
		ix->stale = true; /* names may change (a JSON patch, allowNameChange), objects go */
	if (target->type != KV_MAP) {
		rn_problem(r, src_of(k, target), target, KV_RULE_RENDER_KUSTOMIZATION, NULL, "target must be a map (a selector)");
		return -1;
	}
	rn_select *sel = rn_select_parse(r, src_of(k, target), target);
	if (!sel)
		return -1;
	int rc = 0;
	for (size_t d = 0; d < pd->n && rc == 0; d++) {
		for (size_t i = 0; i < a->res.n && rc == 0; i++) {
			rn_res *res = a->res.items[i];
			int m = rn_select_match(r, sel, res);
			if (m < 0)
				rc = -1;
			if (m <= 0)
				continue;
			if (pd->json) {
				kv_node *obj = res->obj;
				rc = rn_json6902_apply(r, &obj, pd->docs[d]);
				res->obj = obj;
				if (rc == 0 && !rn_res_name(res)) {
					rn_problem(r, pd->docs[d]->src, pd->docs[d], KV_RULE_RENDER_CONFLICT, NULL,
						   "the patch leaves a %s without metadata.name: kustomize refuses it",
						   rn_res_kind(res) ? rn_res_kind(res) : "object");
					rc = -1;
				}
				continue;
			}
			bool gone = false;
			rc = smp_one(r, res, pd->docs[d], o, &gone);
			if (gone)
				res->obj = NULL;
		}
		drop_gone(&a->res);
	}
	rn_list_touch(&a->res);
	rn_select_free(sel);
	return rc;
}

static bool option(kv_render *r, const rn_kust *k, const kv_node *opts, const char *name)
{
	const kv_node *v = kv_map_get(opts, name);
	if (!v || v->type == KV_NULL)
		return false;
	if (v->type != KV_BOOL) {
		rn_problem(r, src_of(k, v), v, KV_RULE_RENDER_KUSTOMIZATION, NULL, "options.%s must be true or false", name);
		return false;
	}
	return v->u.b;
}

/* One entry of patches: {path | patch, target, options}. */
static int patch_entry(kv_render *r, const rn_kust *k, rn_acc *a, const kv_node *e, id_index *ix)
{
	if (e->type != KV_MAP) {
		rn_problem(r, src_of(k, e), e, KV_RULE_RENDER_KUSTOMIZATION, NULL, "an entry of patches must be a map with path or patch");
		return -1;
	}
	for (uint32_t i = 0; i < e->len; i++) {
		const kv_node *key = e->u.pairs[i].key;
		if (!kv_str_eq(key, "path") && !kv_str_eq(key, "patch") && !kv_str_eq(key, "target") && !kv_str_eq(key, "options")) {
			rn_problem(r, src_of(k, key), key, KV_RULE_RENDER_KUSTOMIZATION, NULL,
				   "%s is not a field of a patch (path, patch, target, options): kustomize refuses it", key->u.s);
			return -1;
		}
	}
	const kv_node *target = kv_map_get(e, "target"), *opts = kv_map_get(e, "options");
	if (opts && opts->type != KV_MAP && opts->type != KV_NULL) {
		rn_problem(r, src_of(k, opts), opts, KV_RULE_RENDER_KUSTOMIZATION, NULL, "options must be a map");
		return -1;
	}
	patch_opts o = {option(r, k, opts, "allowNameChange"), option(r, k, opts, "allowKindChange")};
	patch_docs pd;
	if (!read_patch(r, k, e, kv_map_get(e, "path"), kv_map_get(e, "patch"), &pd))
		return -1;
	if (target && target->type == KV_NULL)
		target = NULL;
	if (target)
		return apply_targeted(r, k, a, target, &pd, o, ix);
	if (pd.json) {
		rn_problem(r, src_of(k, e), e, KV_RULE_RENDER_KUSTOMIZATION, "add a target (a selector of the objects to patch)",
			   "a JSON patch needs a target: kustomize refuses it");
		return -1;
	}
	int rc = 0;
	for (size_t d = 0; d < pd.n; d++)
		rc |= smp_untargeted(r, a, pd.docs[d], o, ix);
	return rc;
}

/* One entry of patchesStrategicMerge: a file, or the patch itself (YAML text). */
static int psm_entry(kv_render *r, const rn_kust *k, rn_acc *a, const kv_node *e, id_index *ix)
{
	const char *s = kv_str(e);
	if (!s) {
		rn_problem(r, src_of(k, e), e, KV_RULE_RENDER_KUSTOMIZATION, NULL, "an entry of patchesStrategicMerge must be a string");
		return -1;
	}
	/* kustomize reads an entry as a patch first (YAML with several lines, or a flow map),
	 * and as a file name when that fails */
	const char *first = s;
	while (*first == ' ' || *first == '\t')
		first++;
	bool inline_text = memchr(s, '\n', e->len) != NULL || *first == '{';
	patch_docs pd;
	if (!read_patch(r, k, e, inline_text ? NULL : e, inline_text ? e : NULL, &pd))
		return -1;
	if (pd.json) {
		rn_problem(r, src_of(k, e), e, KV_RULE_RENDER_KUSTOMIZATION, "move it to patches, with a target",
			   "patchesStrategicMerge holds a JSON patch: kustomize refuses it");
		return -1;
	}
	int rc = 0;
	patch_opts o = {false, false};
	for (size_t d = 0; d < pd.n; d++)
		rc |= smp_untargeted(r, a, pd.docs[d], o, ix);
	return rc;
}

static const kv_node *list_field(const rn_kust *k, const char *field)
{
	const kv_node *l = kv_map_get(k->root, field);
	return l && l->type == KV_LIST ? l : NULL;
}

int rn_patches(kv_render *r, const rn_kust *k, rn_acc *a)
{
	int rc = 0;
	id_index ix = {NULL, true};
	const kv_node *psm = list_field(k, "patchesStrategicMerge"), *patches = list_field(k, "patches");
	for (uint32_t i = 0; psm && i < psm->len; i++)
		rc |= psm_entry(r, k, a, psm->u.items[i], &ix);
	for (uint32_t i = 0; patches && i < patches->len; i++)
		rc |= patch_entry(r, k, a, patches->u.items[i], &ix);
	kv_map_free(ix.ids);
	return rc ? -1 : 0;
}

/* One entry of patchesJson6902: {target, path | patch}. */
static int json_entry(kv_render *r, const rn_kust *k, rn_acc *a, const kv_node *e)
{
	if (e->type != KV_MAP) {
		rn_problem(r, src_of(k, e), e, KV_RULE_RENDER_KUSTOMIZATION, NULL, "an entry of patchesJson6902 must be a map with target and path or patch");
		return -1;
	}
	const kv_node *target = kv_map_get(e, "target");
	if (!target || target->type == KV_NULL) {
		rn_problem(r, src_of(k, e), e, KV_RULE_RENDER_KUSTOMIZATION, NULL, "an entry of patchesJson6902 needs a target: kustomize refuses it");
		return -1;
	}
	patch_docs pd;
	if (!read_patch(r, k, e, kv_map_get(e, "path"), kv_map_get(e, "patch"), &pd))
		return -1;
	if (!pd.json) {
		rn_problem(r, src_of(k, e), e, KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   "a patch of patchesJson6902 must be a list of operations: kustomize refuses it");
		return -1;
	}
	patch_opts o = {false, false};
	return apply_targeted(r, k, a, target, &pd, o, NULL);
}

int rn_patches_json6902(kv_render *r, const rn_kust *k, rn_acc *a)
{
	int rc = 0;
	const kv_node *l = list_field(k, "patchesJson6902");
	for (uint32_t i = 0; l && i < l->len; i++)
		rc |= json_entry(r, k, a, l->u.items[i]);
	return rc ? -1 : 0;
}
