/* images.c: the image transformer of a kustomization (`images`, then the legacy `imageTags`):
 * each entry {name, newName, newTag, digest, tagSuffix} rewrites the images it matches, as
 * kustomize v5.5 does, in two passes per entry over every object but a
 * CustomResourceDefinition: first every `image` of an item of a list named containers or
 * initContainers at any depth, then the fields of the images field specs.
 *
 * kustomize matches with the regular expression "^" NAME "(:TAG)?(@sha256:DIGEST)?$", the
 * name written into it as it is (so a dot in it matches any character); PCRE2 reads it the
 * same way, within match limits. */
#include "internal.h"
#include "xform.h"


#include "kvet/alloc.h"
#include "kvet/map.h"

#include <stdlib.h>
#include <string.h>

/* Nesting the search for containers follows (the loader bounds trees well below it). */
#define MAX_DEPTH 512

typedef struct {
	const kv_node *entry;
	const char *new_name, *new_tag, *digest, *suffix;
	const kv_node *cause; /* the most telling field of the entry, for the new value's position */
	rn_regex *re;
	bool limit_hit;
} image_rule;

/* ---- one entry ---- */

static const char *const entry_keys[] = {"name", "newName", "newTag", "digest", "tagSuffix"};

static bool entry_field(kv_render *r, const rn_kust *k, const kv_node *e, const char *key, const char **out,
			const kv_node **at)
{
	const kv_node *v = kv_map_get(e, key);
	*out = NULL;
	if (!v || v->type == KV_NULL)
		return true;
	if (v->type != KV_STRING) {
		rn_problem(r, k->src, v, KV_RULE_RENDER_KUSTOMIZATION, "quote the value",
			   "%s must be a string, not %s: kustomize refuses the file", key, kv_type_phrase((kv_type)v->type));
		return false;
	}
	*out = v->len ? v->u.s : NULL;
	if (*out && at)
		*at = v;
	return true;
}

static bool compile_rule(kv_render *r, const rn_kust *k, image_rule *ir, const char *name, const kv_node *at)
{
	kv_buf b = KV_BUF_INIT;
	kv_buf_printf(&b, "^%s(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?$", name);
	char why[160];
	ir->re = rn_regex_new(b.data, b.len, why, sizeof why);
	kv_buf_free(&b);
	if (!ir->re) {
		rn_problem(r, k->src, at, KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   "image name %s does not make a valid pattern (kustomize matches names as regular expressions): %s",
			   name, why);
		return false;
	}
	return true;
}

static void rule_free(image_rule *ir)
{
	rn_regex_free(ir->re);
}

/* Reads entry e into ir; false (with problems) when it is malformed. */
static bool parse_rule(kv_render *r, const rn_kust *k, const kv_node *e, image_rule *ir)
{
	memset(ir, 0, sizeof *ir);
	ir->entry = ir->cause = e;
	if (e->type != KV_MAP) {
		rn_problem(r, k->src, e, KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   "an images entry must be a map with name, and newName, newTag, digest or tagSuffix");
		return false;
	}
	bool ok = true;
	for (uint32_t i = 0; i < e->len; i++) {
		const kv_node *key = e->u.pairs[i].key;
		bool known = false;
		for (size_t j = 0; j < sizeof entry_keys / sizeof entry_keys[0]; j++)
			known |= strcmp(key->u.s, entry_keys[j]) == 0;
		if (!known) {
			rn_problem(r, k->src, key, KV_RULE_RENDER_KUSTOMIZATION, NULL,
				   "%s is not a field of an images entry (name, newName, newTag, digest, tagSuffix): kustomize refuses the file",
				   key->u.s);
			ok = false;
		}
	}
	const char *name;
	ok &= entry_field(r, k, e, "name", &name, NULL);
	ok &= entry_field(r, k, e, "tagSuffix", &ir->suffix, &ir->cause);
	ok &= entry_field(r, k, e, "newName", &ir->new_name, &ir->cause);
	ok &= entry_field(r, k, e, "newTag", &ir->new_tag, &ir->cause);
	ok &= entry_field(r, k, e, "digest", &ir->digest, &ir->cause);
	if (!ok)
		return false;
	const kv_node *at = kv_map_get(e, "name");
	return compile_rule(r, k, ir, name ? name : "", at ? at : e);
}

/* ---- rewriting one image ---- */

/* 1 when image s matches, 0 when not, -1 when the pattern ran out of its budget. */
static int rule_matches(kv_render *r, image_rule *ir, const kv_node *s)
{
	int rc = rn_regex_match(ir->re, s->u.s, s->len);
	if (rc >= 0)
		return rc;
	if (!ir->limit_hit) {
		ir->limit_hit = true;
		const kv_node *at = kv_map_get(ir->entry, "name");
		if (rc == RN_RE_LIMIT)
			rn_problem(r, 0, at ? at : ir->entry, KV_RULE_LIMIT_REGEX, "simplify the name",
				   "image name pattern ran out of its matching budget on \"%.60s\"", s->u.s);
		else
			rn_problem(r, 0, at ? at : ir->entry, KV_RULE_RENDER_KUSTOMIZATION, NULL,
				   "image name pattern cannot be matched against \"%.60s\"", s->u.s);
	}
	return -1;
}

typedef struct {
	size_t name, tag_at, tag_len, digest_at; /* lengths and offsets into the image */
	bool has_tag, has_digest;
} image_parts;

/* kustomize's split of [host[:port]/]path[:tag][@digest]: the first ':' or '@' after the
 * first '/' (or anywhere without one) ends the name. */
static void split_image(const char *s, size_t len, image_parts *p)
{
	memset(p, 0, sizeof *p);
	const char *slash = memchr(s, '/', len);
	size_t from = slash && slash > s ? (size_t)(slash - s) : 0;
	const char *at = memchr(s + from, '@', len - from);
	const char *colon = memchr(s + from, ':', len - from);
	if (!at && !colon) {
		p->name = len;
		return;
	}
	if (at && (!colon || at < colon)) {
		p->name = (size_t)(at - s);
		p->has_digest = true;
		p->digest_at = p->name + 1;
		return;
	}
	p->name = (size_t)(colon - s);
	p->has_tag = true;
	p->tag_at = p->name + 1;
	p->tag_len = (at ? (size_t)(at - s) : len) - p->tag_at;
	if (at) {
		p->has_digest = true;
		p->digest_at = (size_t)(at - s) + 1;
	}
}

/* The new image for s by rule ir, in out. */
static void rewrite(const image_rule *ir, const kv_node *s, kv_buf *out)
{
	image_parts p;
	split_image(s->u.s, s->len, &p);
	kv_buf tag = KV_BUF_INIT, digest = KV_BUF_INIT;
	if (p.has_tag)
		kv_buf_add(&tag, s->u.s + p.tag_at, p.tag_len);
	if (p.has_digest)
		kv_buf_add(&digest, s->u.s + p.digest_at, s->len - p.digest_at);
	if (ir->new_tag || ir->digest) {
		/* a new tag or digest replaces both the old tag and the old digest */
		kv_buf_truncate(&tag, 0);
		kv_buf_truncate(&digest, 0);
		if (ir->new_tag)
			kv_buf_puts(&tag, ir->new_tag);
		if (ir->digest)
			kv_buf_puts(&digest, ir->digest);
	} else if (ir->suffix) {
		/* a tag suffix extends the tag and drops the digest */
		kv_buf_puts(&tag, ir->suffix);
		kv_buf_truncate(&digest, 0);
	}
	kv_buf_truncate(out, 0);
	if (ir->new_name)
		kv_buf_puts(out, ir->new_name);
	else
		kv_buf_add(out, s->u.s, p.name);
	if (tag.len)
		kv_buf_printf(out, ":%s", kv_buf_cstr(&tag));
	if (digest.len)
		kv_buf_printf(out, "@%s", kv_buf_cstr(&digest));
	kv_buf_free(&tag);
	kv_buf_free(&digest);
}

/* Rewrites the image in *slot when the rule matches it. */
static int update_image(kv_render *r, kv_node **slot, image_rule *ir, const char *field)
{
	kv_node *v = *slot;
	if (!v || v->type == KV_NULL)
		return 0;
	if (v->type == KV_MAP || v->type == KV_LIST) {
		rn_problem(r, 0, v, KV_RULE_RENDER_CONFLICT, NULL, "%s is %s, where the image transformer expects a string",
			   field, kv_type_phrase((kv_type)v->type));
		return -1;
	}
	if (v->type != KV_STRING || rule_matches(r, ir, v) <= 0)
		return 0;
	kv_buf out = KV_BUF_INIT;
	rewrite(ir, v, &out);
	/* an image the entry leaves as it was keeps its own position */
	if (out.len != v->len || memcmp(kv_buf_cstr(&out), v->u.s, v->len) != 0)
		rn_set_string(r, slot, kv_buf_cstr(&out), out.len, ir->cause);
	kv_buf_free(&out);
	return 0;
}

/* ---- finding the image fields ----
 * kustomize runs each entry over every object twice: the legacy search, then the field
 * specs. A field is rewritten once by each pass that finds it, entry after entry, and
 * fields do not depend on each other; so the fields of an object are found once, each
 * with how many passes find it, and every entry is applied that many times in order. */

typedef struct {
	kv_node **slot;
	const char *field;
	unsigned times; /* passes that find it: 1 or 2 */
} image_field;

typedef struct {
	image_field *items;
	size_t n, cap;
	kv_map *seen; /* slot address -> index + 1 */
} field_set;

static void add_field(field_set *fs, kv_node **slot, const char *field)
{
	bool added = false;
	uint64_t *at = kv_map_slot(fs->seen, &slot, sizeof slot, &added);
	if (!added) {
		fs->items[*at - 1].times++;
		return;
	}
	KV_GROW(fs->items, fs->cap, fs->n + 1);
	fs->items[fs->n] = (image_field){slot, field, 1};
	*at = ++fs->n;
}

static bool is_container_list(const kv_node *key)
{
	return kv_str_eq(key, "containers") || kv_str_eq(key, "initContainers");
}

static void add_containers(field_set *fs, kv_node *list)
{
	for (uint32_t i = 0; i < list->len; i++) {
		kv_node *c = list->u.items[i];
		for (uint32_t j = 0; c->type == KV_MAP && j < c->len; j++)
			if (kv_str_eq(c->u.pairs[j].key, "image"))
				add_field(fs, &c->u.pairs[j].value, "image");
	}
}

/* kustomize's legacy search: every map at any depth; below a containers or initContainers
 * list first, then its items' images. */
static bool legacy_walk(kv_render *r, kv_node *n, field_set *fs, int depth)
{
	if (depth > MAX_DEPTH) {
		rn_problem(r, 0, n, KV_RULE_RENDER_LIMIT, NULL, "the image transformer stops at %d levels of nesting", MAX_DEPTH);
		return false;
	}
	bool ok = true;
	if (n->type == KV_LIST) {
		for (uint32_t i = 0; i < n->len; i++)
			ok &= legacy_walk(r, n->u.items[i], fs, depth + 1);
		return ok;
	}
	if (n->type != KV_MAP)
		return true;
	for (uint32_t i = 0; i < n->len; i++) {
		kv_node *v = n->u.pairs[i].value;
		ok &= legacy_walk(r, v, fs, depth + 1);
		if (is_container_list(n->u.pairs[i].key) && v->type == KV_LIST)
			add_containers(fs, v);
	}
	return ok;
}

typedef struct {
	field_set *fs;
	const char *path;
} spec_ctx;

static int visit_image(kv_render *r, kv_node **slot, void *ctx)
{
	(void)r;
	spec_ctx *c = ctx;
	if (*slot)
		add_field(c->fs, slot, c->path);
	return 0;
}

/* Applies every rule, in order, to the image fields of one object. */
static bool image_object(kv_render *r, rn_acc *a, kv_node *obj, image_rule *rules, size_t nrules, field_set *fs)
{
	if (kv_str_eq(kv_map_get(obj, "kind"), "CustomResourceDefinition"))
		return true; /* kustomize leaves the examples in CRDs alone */
	fs->n = 0;
	kv_map_free(fs->seen);
	fs->seen = kv_map_new();
	bool ok = legacy_walk(r, obj, fs, 0);
	const rn_fspecs *fss = &a->cfg->images;
	for (size_t j = 0; j < fss->n; j++) {
		spec_ctx c = {fs, fss->items[j].path};
		ok &= rn_fspec_walk(r, obj, &fss->items[j], KV_NULL, NULL, visit_image, &c) == 0;
	}
	for (size_t i = 0; i < fs->n; i++) {
		image_field *f = &fs->items[i];
		bool field_ok = true;
		for (size_t k = 0; k < nrules && field_ok; k++)
			for (unsigned t = 0; t < f->times && field_ok; t++)
				field_ok = update_image(r, f->slot, &rules[k], f->field) == 0;
		ok &= field_ok;
	}
	return ok;
}

/* The entries of images and imageTags, in order; malformed ones are problems. */
static bool parse_rules(kv_render *r, const rn_kust *k, image_rule **out, size_t *n)
{
	static const char *const lists[] = {"images", "imageTags"};
	bool ok = true;
	*out = NULL;
	*n = 0;
	size_t cap = 0;
	for (size_t l = 0; l < 2; l++) {
		const kv_node *list = kv_map_get(k->root, lists[l]);
		for (uint32_t i = 0; list && list->type == KV_LIST && i < list->len; i++) {
			KV_GROW(*out, cap, *n + 1);
			if (parse_rule(r, k, list->u.items[i], &(*out)[*n])) {
				(*n)++;
			} else {
				rule_free(&(*out)[*n]);
				ok = false;
			}
		}
	}
	return ok;
}

int rn_images(kv_render *r, const rn_kust *k, rn_acc *a)
{
	image_rule *rules;
	size_t nrules;
	bool ok = parse_rules(r, k, &rules, &nrules);
	field_set fs = {0};
	for (size_t i = 0; nrules && i < a->res.n; i++)
		ok &= image_object(r, a, a->res.items[i]->obj, rules, nrules, &fs);
	for (size_t i = 0; i < nrules; i++)
		rule_free(&rules[i]);
	free(rules);
	free(fs.items);
	kv_map_free(fs.seen);
	return ok ? 0 : -1;
}
