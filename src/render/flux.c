/* flux.c: Flux's side of rendering: the kustomization kustomize-controller generates for a
 * folder without one, a Kustomization object as a unit (its source, path and the fields it adds
 * to the build), and what it does after the build: postBuild variable substitution and
 * commonMetadata. Facts follow fluxcd/pkg's kustomize generator and varsub and
 * kustomize-controller; where kvet differs, the difference is written here. */
#include "units.h"

#include "kvet/alloc.h"
#include "kvet/strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GEN_DEPTH 64
#define MAX_SUBST_DEPTH 200

/* ---- the generated kustomization ---- */

/* What source-controller leaves out of an artifact by default (VCS, CI and Flux's own
 * files); .sourceignore files are not read by kvet. */
static bool ignored(const char *name, bool dir)
{
	static const char *const dirs[] = {".git", ".github", ".circleci"};
	static const char *const files[] = {".gitignore", ".gitmodules", ".gitattributes", ".travis.yml", ".gitlab-ci.yml",
					    "appveyor.yml", ".drone.yml", "cloudbuild.yaml", "codeship-services.yml",
					    "codeship-steps.yml", ".goreleaser.yml", ".sops.yaml", ".flux.yaml"};
	const char *const *list = dir ? dirs : files;
	size_t n = dir ? sizeof dirs / sizeof dirs[0] : sizeof files / sizeof files[0];
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, list[i]) == 0)
			return true;
	return false;
}

/* Walks dir as filepath.Walk does (entries in byte order, folders descended in place): a
 * .yaml/.yml file is a resource; a folder with a kustomization file is one, not descended. */
static void gen_walk(kv_render *r, const char *top, const char *dir, kv_node *list, const kv_node *cause, int depth)
{
	char **names;
	size_t n;
	if (rn_fs_list(r, dir, &names, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		char *path = rn_path_child(dir, names[i]);
		rn_kind k = rn_fs_kind(r, path);
		bool take = false;
		if (k == RN_DIR && !ignored(names[i], true)) {
			if (un_has_kust(r, path))
				take = true;
			else if (depth < MAX_GEN_DEPTH)
				gen_walk(r, top, path, list, cause, depth + 1);
			else
				rn_problem(r, 0, cause, KV_RULE_RENDER_LIMIT, NULL, "folders below %s nest deeper than %d", top,
					   MAX_GEN_DEPTH);
		} else if (k == RN_FILE && !ignored(names[i], false)) {
			take = kv_str_has_suffix(names[i], ".yaml") || kv_str_has_suffix(names[i], ".yml");
		}
		if (take) {
			char *rel = kv_xasprintf("./%s", path + (*top ? strlen(top) + 1 : 0));
			rn_append(r, list, rn_new_string(r, rel, strlen(rel), cause));
			free(rel);
		}
		free(path);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

kv_node *rn_flux_generated(kv_render *r, const char *dir, const kv_node *cause)
{
	if (rn_fs_kind(r, dir) != RN_DIR) {
		rn_problem(r, 0, cause, KV_RULE_RENDER_MISSING, NULL, "%s is not a folder of the %s", *dir ? dir : ".",
			   r->o.rev ? "revision" : "repository");
		return NULL;
	}
	kv_node *k = rn_new_map(r, cause);
	kv_node *list = rn_new_list(r, cause);
	gen_walk(r, dir, dir, list, cause, 0);
	rn_set(r, k, "resources", list, cause);
	return k;
}

/* ---- Kustomization objects as units ---- */

static const char *meta_str(const kv_node *doc, const char *key)
{
	return kv_str(kv_map_get(kv_map_get(doc, "metadata"), key));
}

static const char *ns_of(const kv_node *doc)
{
	const char *ns = meta_str(doc, "namespace");
	return ns && *ns ? ns : "default";
}

static const un_doc *find_named(const un_docs *d, const char *ns, const char *name)
{
	for (size_t i = 0; name && i < d->n; i++)
		if (kv_str_eq(kv_map_get(kv_map_get(d->items[i].doc, "metadata"), "name"), name) &&
		    strcmp(ns_of(d->items[i].doc), ns) == 0)
			return &d->items[i];
	return NULL;
}

/* Whether GitRepository ns/name is this repository: the one `flux bootstrap` makes
 * (flux-system), or one with the same URL as it. */
static bool this_repo(un_scan *s, const char *ns, const char *name, const kv_node **url_out)
{
	*url_out = NULL;
	if (name && strcmp(name, "flux-system") == 0)
		return true;
	const un_doc *g = find_named(&s->gitrepos, ns, name);
	if (!g)
		return false;
	const kv_node *url = kv_map_get(kv_map_get(g->doc, "spec"), "url");
	*url_out = url;
	for (size_t i = 0; url && i < s->gitrepos.n; i++) {
		const kv_node *d = s->gitrepos.items[i].doc;
		if (kv_str_eq(kv_map_get(kv_map_get(d, "metadata"), "name"), "flux-system") &&
		    kv_node_equal(kv_map_get(kv_map_get(d, "spec"), "url"), url))
			return true;
	}
	return false;
}

/* "@alias/some/dir/" followed by two stars -> alias and "some/dir"; false for other glob forms. */
static bool split_copy(const char *s, char *alias, size_t cap, const char **rest, size_t *restlen)
{
	if (!s || s[0] != '@')
		return false;
	const char *slash = strchr(s, '/');
	size_t an = slash ? (size_t)(slash - s - 1) : strlen(s) - 1;
	if (an == 0 || an >= cap)
		return false;
	memcpy(alias, s + 1, an);
	alias[an] = '\0';
	const char *p = slash ? slash + 1 : s + strlen(s);
	size_t n = strlen(p);
	if (n >= 2 && strcmp(p + n - 2, "**") == 0)
		n -= 2;
	while (n && p[n - 1] == '/')
		n--;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '*' || p[i] == '?' || p[i] == '[')
			return false;
	*rest = p;
	*restlen = n;
	return true;
}

/* The repository folder that path of ExternalArtifact ns/name stands for, when an
 * ArtifactGenerator of the repository copies it from this repository; NULL otherwise. */
static char *artifact_path(un_scan *s, const char *ns, const char *name, const char *path)
{
	for (size_t i = 0; i < s->generators.n; i++) {
		const kv_node *gen = s->generators.items[i].doc, *spec = kv_map_get(gen, "spec");
		if (strcmp(ns_of(gen), ns) != 0)
			continue;
		const kv_node *arts = kv_map_get(spec, "artifacts"), *srcs = kv_map_get(spec, "sources");
		for (uint32_t a = 0; arts && arts->type == KV_LIST && a < arts->len; a++) {
			const kv_node *art = arts->u.items[a];
			if (!kv_str_eq(kv_map_get(art, "name"), name))
				continue;
			const kv_node *copy = kv_map_get(art, "copy");
			char *best = NULL;
			size_t bestlen = 0;
			for (uint32_t c = 0; copy && copy->type == KV_LIST && c < copy->len; c++) {
				char alias[128], artalias[16];
				const char *from, *to;
				size_t fromlen, tolen;
				if (!split_copy(kv_str(kv_map_get(copy->u.items[c], "from")), alias, sizeof alias, &from, &fromlen) ||
				    !split_copy(kv_str(kv_map_get(copy->u.items[c], "to")), artalias, sizeof artalias, &to, &tolen) ||
				    strcmp(artalias, "artifact") != 0 || !rn_path_below(path, to, tolen) || (best && tolen < bestlen))
					continue;
				const kv_node *src = NULL;
				for (uint32_t k = 0; srcs && srcs->type == KV_LIST && k < srcs->len; k++)
					if (kv_str_eq(kv_map_get(srcs->u.items[k], "alias"), alias))
						src = srcs->u.items[k];
				const char *sns = kv_str(kv_map_get(src, "namespace"));
				const kv_node *url;
				if (!src || !kv_str_eq(kv_map_get(src, "kind"), "GitRepository") ||
				    !this_repo(s, sns ? sns : ns, kv_str(kv_map_get(src, "name")), &url))
					continue;
				const char *tail = path + tolen + (tolen && path[tolen] == '/' ? 1 : 0);
				free(best);
				best = kv_xasprintf("%.*s%s%s", (int)fromlen, from, fromlen && *tail ? "/" : "", tail);
				bestlen = tolen;
			}
			if (best)
				return best;
		}
	}
	return NULL;
}

/* path joined inside the source's root as Flux joins it (securejoin): "/" and ".." never
 * climb above the root, they stop at it. Heap. */
static char *inside_root(const char *path)
{
	kv_buf b = KV_BUF_INIT;
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = b.len ? strrchr(b.data, '/') : NULL;
			kv_buf_truncate(&b, slash ? (size_t)(slash - b.data) : 0);
		} else if (n && !(n == 1 && p[0] == '.')) {
			if (b.len)
				kv_buf_putc(&b, '/');
			kv_buf_add(&b, p, n);
		}
		p += n;
	}
	return kv_buf_detach(&b);
}

/* The folder a Kustomization renders, relative to the repository root (heap), or NULL when
 * its source is not this repository (said) or its path leads out of it. */
static char *unit_folder(kv_render *r, un_scan *s, const un_doc *ks, const char *ns, bool *external)
{
	const kv_node *spec = kv_map_get(ks->doc, "spec");
	const kv_node *ref = kv_map_get(spec, "sourceRef"), *pathn = kv_map_get(spec, "path");
	const char *kind = kv_str(kv_map_get(ref, "kind")), *name = kv_str(kv_map_get(ref, "name"));
	const char *sns = kv_str(kv_map_get(ref, "namespace"));
	if (!sns || !*sns)
		sns = ns;
	if (!kind || !name) {
		rn_problem(r, ks->src, ref ? ref : spec ? spec : ks->doc, KV_RULE_RENDER_KUSTOMIZATION, NULL,
			   "a Flux Kustomization needs spec.sourceRef with kind and name");
		return NULL;
	}
	if (pathn && pathn->type != KV_NULL && !kv_str(pathn)) {
		rn_problem(r, ks->src, pathn, KV_RULE_RENDER_KUSTOMIZATION, NULL, "spec.path must be a string, not %s",
			   kv_type_phrase((kv_type)pathn->type));
		return NULL;
	}
	char *rel = inside_root(kv_str(pathn) ? kv_str(pathn) : "");
	const kv_node *url = NULL;
	char *folder = NULL;
	if (strcmp(kind, "GitRepository") == 0 && this_repo(s, sns, name, &url))
		folder = rel, rel = NULL;
	else if (strcmp(kind, "ExternalArtifact") == 0)
		folder = artifact_path(s, sns, name, rel);
	if (!folder) {
		*external = true;
		const char *u = kv_str(url);
		rn_problem(r, ks->src, ref, KV_RULE_RENDER_EXTERNAL,
			   "kvet renders what this repository holds; check the other source on its own",
			   "the source %s %s/%s is %s%s%s: not rendered", kind, sns, name,
			   u ? "another repository (" : strcmp(kind, "GitRepository") == 0 ? "not defined in this repository"
			       : strcmp(kind, "ExternalArtifact") == 0 ? "not an artifact an ArtifactGenerator of this repository copies from it"
			       : "not this repository",
			   u ? u : "", u ? ")" : "");
	}
	free(rel);
	return folder;
}

/* A path that is no folder from the top may be from the root of a repository kept below it
 * (a folder of several repositories checked at once): the folder below the highest folder
 * above the Kustomization's file where it is one, or folder itself (heap, folder consumed). */
static char *nested_root(kv_render *r, const char *file, char *folder)
{
	if (!file)
		return folder;
	for (const char *slash = strchr(file, '/'); slash; slash = strchr(slash + 1, '/')) {
		char *try = kv_xasprintf("%.*s%s%s", (int)(slash - file), file, *folder ? "/" : "", folder);
		if (rn_fs_kind(r, try) == RN_DIR) {
			free(folder);
			return try;
		}
		free(try);
	}
	return folder;
}

/* The kustomization fields the Kustomization adds (fluxcd/pkg's generator), made at its own
 * nodes so findings point there. */
static kv_node *flux_overlay(kv_render *r, const un_doc *ks, const kv_node *spec)
{
	static const struct {
		const char *flux, *kust;
	} fields[] = {
		{"targetNamespace", "namespace"}, {"namePrefix", "namePrefix"}, {"nameSuffix", "nameSuffix"},
		{"patches", "patches"}, {"images", "images"}, {"components", "components"},
	};
	kv_node *ov = rn_new_map(r, spec);
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		const kv_pair *p = kv_map_pair(spec, fields[i].flux);
		if (p && p->value->type != KV_NULL)
			rn_set(r, ov, fields[i].kust, p->value, p->key);
	}
	static const char *const old[] = {"patchesStrategicMerge", "patchesJson6902"};
	for (size_t i = 0; i < 2; i++) {
		const kv_pair *p = kv_map_pair(spec, old[i]);
		if (p)
			rn_problem(r, ks->src, p->key, KV_RULE_RENDER_UNSUPPORTED, "write them as spec.patches (v1)",
				   "%s of a v1beta2 Kustomization is not rendered by kvet", old[i]);
	}
	return ov;
}

static void depends(kv_render *r, kv_unit *u, const kv_node *spec, const char *ns)
{
	const kv_node *deps = kv_map_get(spec, "dependsOn");
	if (deps && deps->type != KV_LIST && deps->type != KV_NULL)
		rn_problem(r, deps->src, deps, KV_RULE_RENDER_KUSTOMIZATION, NULL, "dependsOn must be a list of {name, namespace}");
	if (!deps || deps->type != KV_LIST || deps->len == 0)
		return;
	u->depends_on = kv_arena_alloc(r->arena, sizeof *u->depends_on * deps->len);
	u->depends_at = kv_arena_alloc(r->arena, sizeof *u->depends_at * deps->len);
	for (uint32_t i = 0; i < deps->len; i++) {
		const kv_node *name = kv_map_get(deps->u.items[i], "name");
		const char *dns = kv_str(kv_map_get(deps->u.items[i], "namespace"));
		if (!kv_str(name))
			continue;
		char *full = kv_xasprintf("%s/%s", dns && *dns ? dns : ns, kv_str(name));
		u->depends_on[u->ndepends] = un_str(r, full);
		u->depends_at[u->ndepends++] = name;
		free(full);
	}
}

static void flux_post(kv_render *r, un_scan *s, kv_unit *u);

/* Renders Kustomization doc (from the scan or rendered by another unit) as a unit, then
 * substitutes and labels its objects as Flux does; ns is its namespace. */
static void flux_unit(kv_render *r, un_scan *s, const kv_node *doc, const char *ns)
{
	const un_doc ks = {(kv_node *)doc, doc->src};
	const kv_node *spec = kv_map_get(doc, "spec");
	const char *name = meta_str(doc, "name");
	char *full = kv_xasprintf("%s/%s", ns, name ? name : "?");
	bool external = false;
	char *folder = spec && spec->type == KV_MAP ? unit_folder(r, s, &ks, ns, &external) : NULL;
	const char *written = kv_str(kv_map_get(spec, "path"));
	kv_unit *u = un_add(r, s, KV_UNIT_FLUX, full, folder ? folder : written ? written : "");
	u->external = external;
	free(full);
	u->def = doc;
	if (!name)
		rn_problem(r, doc->src, kv_map_get(doc, "metadata") ? kv_map_get(doc, "metadata") : doc,
			   KV_RULE_RENDER_KUSTOMIZATION, NULL, "a Flux Kustomization needs metadata.name");
	if (!spec || spec->type != KV_MAP) {
		rn_problem(r, doc->src, doc, KV_RULE_RENDER_KUSTOMIZATION, NULL, "a Flux Kustomization needs a spec map");
		return;
	}
	const kv_node *tns = kv_map_get(spec, "targetNamespace"), *prune = kv_map_get(spec, "prune");
	u->namespace = kv_str(tns) && *kv_str(tns) ? kv_str(tns) : NULL;
	u->prune = prune && prune->type == KV_BOOL && prune->u.b;
	u->decryption = kv_map_get(spec, "decryption") && kv_map_get(spec, "decryption")->type == KV_MAP;
	depends(r, u, spec, ns);
	if (!folder)
		return;
	if (rn_fs_kind(r, folder) != RN_DIR) {
		folder = nested_root(r, kv_render_file_path(r, doc->src), folder);
		u->path = un_str(r, folder);
	}
	if (rn_fs_kind(r, folder) != RN_DIR) {
		const kv_node *at = kv_map_get(spec, "path") ? kv_map_get(spec, "path") : spec;
		rn_problem(r, doc->src, at, KV_RULE_RENDER_MISSING, NULL, "%s is not a folder of the %s: Flux fails the Kustomization",
			   *folder ? folder : ".", r->o.rev ? "revision" : "repository");
		free(folder);
		return;
	}
	kv_build_opts bo = {.overlay = flux_overlay(r, &ks, spec), .generate = true, .unrestricted = true};
	u->rendered = kv_kustomize_build_ex(r, folder, &bo, &u->result) == 0;
	free(folder);
	if (u->rendered)
		flux_post(r, s, u);
}

static bool is_flux_ks(const kv_node *o)
{
	const char *av = kv_str(kv_map_get(o, "apiVersion"));
	return av && strncmp(av, "kustomize.toolkit.fluxcd.io/", 28) == 0 && kv_str_eq(kv_map_get(o, "kind"), "Kustomization");
}

static bool same_place(const kv_node *a, const kv_node *b)
{
	return a && b && a->src == b->src && a->line == b->line && a->col == b->col;
}

/* A seed: a Kustomization as a file holds it, rendered once to learn which files it applies. */
typedef struct {
	const un_doc *doc;
	size_t unit;          /* its unit's index */
	size_t p0, p1;        /* the problems its build reported */
	uint16_t *applied;    /* the files its build applied */
	size_t napplied;
	bool root;
} seed;

/* Builds a seed, recording the files it applies (and leaving every file's flag as it was, or
 * set). */
static void build_seed(kv_render *r, un_scan *s, seed *sd)
{
	bool *before = kv_xcalloc(r->nfiles + 1, sizeof *before);
	size_t nbefore = r->nfiles;
	for (size_t i = 0; i < nbefore; i++) {
		before[i] = r->files[i].applied;
		r->files[i].applied = false;
	}
	sd->unit = s->out->n;
	sd->p0 = r->nproblems;
	flux_unit(r, s, sd->doc->doc, ns_of(sd->doc->doc));
	sd->p1 = r->nproblems;
	size_t cap = 0;
	for (size_t i = 0; i < r->nfiles; i++) {
		if (r->files[i].applied) {
			KV_GROW(sd->applied, cap, sd->napplied + 1);
			sd->applied[sd->napplied++] = (uint16_t)(i + 1);
		}
		if (i < nbefore)
			r->files[i].applied |= before[i];
	}
	free(before);
}

static bool applies(const seed *sd, uint16_t src)
{
	for (size_t i = 0; i < sd->napplied; i++)
		if (sd->applied[i] == src)
			return true;
	return false;
}

/* The flux-system Kustomization `flux bootstrap` makes for a cluster folder F (it applies F),
 * when F/flux-system holds gotk-components.yaml but no Kustomization (the placeholders of a
 * repository not bootstrapped yet, as example repositories ship them). Made at the first
 * line of gotk-components.yaml. */
static kv_node *bootstrap_doc(kv_render *r, const char *folder, uint16_t src)
{
	kv_node *at = rn_new_map(r, NULL);
	at->src = src;
	at->line = at->col = 1;
	kv_node *doc = rn_new_map(r, at), *meta = rn_new_map(r, at), *spec = rn_new_map(r, at), *ref = rn_new_map(r, at);
	char *path = kv_xasprintf("./%s", folder);
#define STR(s) rn_new_string(r, s, strlen(s), at)
	rn_set(r, doc, "apiVersion", STR("kustomize.toolkit.fluxcd.io/v1"), at);
	rn_set(r, doc, "kind", STR("Kustomization"), at);
	rn_set(r, meta, "name", STR("flux-system"), at);
	rn_set(r, meta, "namespace", STR("flux-system"), at);
	rn_set(r, doc, "metadata", meta, at);
	rn_set(r, ref, "kind", STR("GitRepository"), at);
	rn_set(r, ref, "name", STR("flux-system"), at);
	rn_set(r, spec, "path", STR(path), at);
	kv_node *prune = rn_new_map(r, at);
	prune->type = KV_BOOL;
	prune->u.b = true;
	rn_set(r, spec, "prune", prune, at);
	rn_set(r, spec, "sourceRef", ref, at);
	rn_set(r, doc, "spec", spec, at);
#undef STR
	free(path);
	return doc;
}

static void implied_roots(kv_render *r, un_scan *s, un_docs *out)
{
	static const char marker[] = "flux-system/gotk-components.yaml";
	for (size_t i = 0; i < s->nfiles; i++) {
		const char *f = s->files[i];
		size_t n = strlen(f), m = sizeof marker - 1;
		if (!s->srcs[i] || n < m || strcmp(f + n - m, marker) != 0 || (n > m && f[n - m - 1] != '/'))
			continue;
		size_t dirlen = n - (sizeof "gotk-components.yaml" - 1); /* ".../flux-system/" */
		bool has = false;
		for (size_t k = 0; k < s->flux.n && !has; k++) {
			const char *p = kv_render_file_path(r, s->flux.items[k].src);
			has = p && strncmp(p, f, dirlen) == 0;
		}
		if (has)
			continue;
		char *folder = kv_xstrndup(f, n > m ? n - m - 1 : 0);
		KV_GROW(out->items, out->cap, out->n + 1);
		out->items[out->n++] = (un_doc){bootstrap_doc(r, folder, s->srcs[i]), s->srcs[i]};
		free(folder);
	}
}

/* Units are trees: Kustomizations in the repository that no other one applies are the roots
 * (Flux's bootstrap applies them); every Kustomization a unit renders is a unit in turn, as
 * rendered (its namespace, patches, path as its parent made them). */
void un_flux_units(kv_render *r, un_scan *s)
{
	un_docs boot = {0};
	implied_roots(r, s, &boot);
	seed *seeds = kv_xcalloc(s->flux.n + boot.n + 1, sizeof *seeds);
	size_t n = 0, first = s->out->n;
	for (size_t i = 0; i < boot.n; i++) {
		seeds[n].doc = &boot.items[i];
		build_seed(r, s, &seeds[n++]);
	}
	for (size_t i = 0; i < s->flux.n; i++) {
		const kv_node *spec = kv_map_get(s->flux.items[i].doc, "spec");
		if (spec && spec->type == KV_MAP && !kv_map_get(spec, "sourceRef"))
			continue; /* a patch or a fragment, not an object Flux is given */
		seeds[n].doc = &s->flux.items[i];
		build_seed(r, s, &seeds[n++]);
	}
	size_t roots = 0;
	for (size_t i = 0; i < n; i++) {
		seeds[i].root = true;
		for (size_t j = 0; j < n && seeds[i].root; j++)
			if (j != i && applies(&seeds[j], seeds[i].doc->src))
				seeds[i].root = false;
		roots += seeds[i].root;
	}
	/* Keep the roots (every seed when they apply each other in a ring); forget the rest. */
	for (size_t i = n; i-- > 0;)
		if (roots && !seeds[i].root)
			un_drop_problems(r, seeds[i].p0, seeds[i].p1);
	size_t kept = first;
	size_t *parent = NULL, cap = 0;
	for (size_t i = 0; i < n; i++) {
		if (roots && !seeds[i].root)
			continue;
		s->out->items[kept++] = s->out->items[seeds[i].unit];
	}
	s->out->n = kept;
	KV_GROW(parent, cap, kept + 1);
	for (size_t i = 0; i < kept; i++)
		parent[i] = SIZE_MAX;
	for (size_t i = first; i < s->out->n; i++) {
		for (size_t j = 0; s->out->items[i].rendered && j < s->out->items[i].result.n; j++) {
			const kv_node *o = s->out->items[i].result.objects[j];
			bool self = !is_flux_ks(o);
			for (size_t a = i; !self && a != SIZE_MAX; a = parent[a])
				self = same_place(o, s->out->items[a].def);
			if (self)
				continue;
			if (s->out->n >= UN_MAX_UNITS) {
				rn_problem(r, o->src, o, KV_RULE_RENDER_LIMIT, NULL, "more than %d units", UN_MAX_UNITS);
				break;
			}
			const char *ns = meta_str(o, "namespace");
			if (!ns || !*ns)
				ns = s->out->items[i].namespace ? s->out->items[i].namespace : "default";
			KV_GROW(parent, cap, s->out->n + 1);
			parent[s->out->n] = i;
			flux_unit(r, s, o, ns);
		}
	}
	free(parent);
	for (size_t i = 0; i < n; i++)
		free(seeds[i].applied);
	free(seeds);
	free(boot.items);
}

/* ---- after the build: postBuild substitution, commonMetadata ---- */

typedef struct {
	kv_map *index; /* name -> position + 1 */
	const char **names, **values;
	size_t n, cap;
	bool bad; /* a name Flux refuses: the substitution fails */
} vars;

static void var_set(kv_render *r, vars *v, const char *name, size_t nlen, const char *val, size_t vlen)
{
	bool added;
	uint64_t *slot = kv_map_slot(v->index, name, nlen, &added);
	if (added) {
		if (v->n == v->cap) {
			v->cap = v->cap ? v->cap * 2 : 16;
			v->names = kv_xrealloc(v->names, sizeof *v->names * v->cap);
			v->values = kv_xrealloc(v->values, sizeof *v->values * v->cap);
		}
		v->names[v->n] = kv_arena_strndup(r->arena, name, nlen);
		*slot = ++v->n;
	}
	/* Flux drops line breaks from every value */
	char *copy = kv_arena_alloc(r->arena, vlen + 1);
	size_t k = 0;
	for (size_t i = 0; i < vlen; i++)
		if (val[i] != '\n')
			copy[k++] = val[i];
	copy[k] = '\0';
	v->values[*slot - 1] = copy;
}

static const char *var_get(void *ctx, const char *name, size_t len)
{
	const vars *v = ctx;
	uint64_t *slot = kv_map_find(v->index, name, len);
	return slot ? v->values[*slot - 1] : NULL;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes standard base64 (line breaks and padding allowed); false when malformed. */
static bool b64decode(const char *s, size_t n, kv_buf *out)
{
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n' || s[i] == '\r' || s[i] == '=')
			continue;
		int v = b64val(s[i]);
		if (v < 0)
			return false;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			kv_buf_putc(out, (char)((acc >> bits) & 0xFF));
		}
	}
	return true;
}

/* Adds the variables of one map (substitute, or a source's data), checking their names. */
static void add_vars(kv_render *r, vars *v, const kv_node *map, bool base64, uint16_t src)
{
	for (uint32_t i = 0; map && map->type == KV_MAP && i < map->len; i++) {
		const kv_node *k = map->u.pairs[i].key, *val = map->u.pairs[i].value;
		if (!un_var_name_ok(k->u.s, k->len)) {
			rn_problem(r, src, k, KV_RULE_RENDER_SUBSTITUTE, "a name is a letter or _, then letters, digits or _",
				   "'%s' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$': Flux fails the substitution",
				   k->u.s);
			v->bad = true;
			continue;
		}
		const char *s = kv_str(val);
		if (!s) {
			if (val->type != KV_NULL)
				rn_problem(r, src, val, KV_RULE_RENDER_SUBSTITUTE, NULL, "the value of %s must be a string", k->u.s);
			continue;
		}
		if (!base64) {
			var_set(r, v, k->u.s, k->len, s, val->len);
			continue;
		}
		kv_buf dec = KV_BUF_INIT;
		if (b64decode(s, val->len, &dec))
			var_set(r, v, k->u.s, k->len, dec.data ? dec.data : "", dec.len);
		else
			rn_problem(r, src, val, KV_RULE_RENDER_SUBSTITUTE, NULL, "the value of %s is not base64", k->u.s);
		kv_buf_free(&dec);
	}
}

static bool obj_is(const kv_node *obj, const char *kind, const char *name)
{
	return kv_str_eq(kv_map_get(obj, "kind"), kind) && kv_str_eq(kv_map_get(kv_map_get(obj, "metadata"), "name"), name);
}

/* A ConfigMap or Secret ns/name as some unit renders it, else as a file of the repository holds it. */
static const kv_node *find_source(un_scan *s, const char *kind, const char *name, const char *ns)
{
	for (size_t i = 0; i < s->out->n; i++) {
		const kv_unit *u = &s->out->items[i];
		for (size_t j = 0; u->rendered && j < u->result.n; j++) {
			const kv_node *o = u->result.objects[j];
			const char *ons = meta_str(o, "namespace");
			if (!ons || !*ons)
				ons = u->namespace ? u->namespace : "";
			if (obj_is(o, kind, name) && strcmp(ons, ns) == 0)
				return o;
		}
	}
	for (size_t i = 0; i < s->sources.n; i++) {
		const kv_node *o = s->sources.items[i].doc;
		const char *ons = meta_str(o, "namespace");
		if (obj_is(o, kind, name) && (!ons || strcmp(ons, ns) == 0))
			return o;
	}
	return NULL;
}

/* The variables of a Kustomization: substituteFrom in order, then substitute over them. */
static void load_vars(kv_render *r, un_scan *s, const kv_unit *u, const kv_node *pb, vars *v)
{
	uint16_t src = u->def->src;
	const char *ns = ns_of(u->def);
	const kv_node *from = kv_map_get(pb, "substituteFrom");
	for (uint32_t i = 0; from && from->type == KV_LIST && i < from->len; i++) {
		const kv_node *ref = from->u.items[i];
		const char *kind = kv_str(kv_map_get(ref, "kind")), *name = kv_str(kv_map_get(ref, "name"));
		const kv_node *opt = kv_map_get(ref, "optional");
		bool optional = opt && opt->type == KV_BOOL && opt->u.b;
		if (!kind || !name || (strcmp(kind, "ConfigMap") != 0 && strcmp(kind, "Secret") != 0)) {
			rn_problem(r, src, ref, KV_RULE_RENDER_SUBSTITUTE, NULL,
				   "a substituteFrom entry needs kind (ConfigMap or Secret) and name");
			continue;
		}
		const kv_node *obj = find_source(s, kind, name, ns);
		if (!obj) {
			if (!optional)
				rn_problem(r, src, ref, KV_RULE_RENDER_SUBSTITUTE,
					   "define it in the repository, or mark the reference optional: true",
					   "substitute from '%s/%s' (namespace %s): not in the repository, so its values are unknown",
					   kind, name, ns);
			continue;
		}
		if (kv_map_get(obj, "sops")) {
			rn_problem(r, src, ref, KV_RULE_RENDER_SUBSTITUTE, "kvet does not decrypt SOPS files",
				   "substitute from '%s/%s': the %s is SOPS-encrypted, so its values are unknown", kind, name, kind);
			continue;
		}
		bool secret = strcmp(kind, "Secret") == 0;
		add_vars(r, v, kv_map_get(obj, "data"), secret, obj->src);
		if (secret)
			add_vars(r, v, kv_map_get(obj, "stringData"), false, obj->src);
	}
	add_vars(r, v, kv_map_get(pb, "substitute"), false, src);
}

typedef struct {
	kv_render *r;
	vars *v;
	bool failed;
} subst_ctx;

static void place(kv_node *n, const kv_node *at, int depth)
{
	n->src = at->src;
	n->line = at->line;
	n->col = at->col;
	if (depth > MAX_SUBST_DEPTH)
		return;
	for (uint32_t i = 0; n->type == KV_LIST && i < n->len; i++)
		place(n->u.items[i], at, depth + 1);
	for (uint32_t i = 0; n->type == KV_MAP && i < n->len; i++) {
		place(n->u.pairs[i].key, at, depth + 1);
		place(n->u.pairs[i].value, at, depth + 1);
	}
}

/* A plain scalar's new text read as YAML, as Flux reads the substituted document: NULL (with
 * a problem) when it is not a value that can stand after "key: ". */
static kv_node *reparse(kv_render *r, const char *text, size_t len, const kv_node *at)
{
	kv_diags d;
	kv_diags_init(&d, NULL, 0);
	kv_loader *l = kv_loader_new(text, len, KV_SYNTAX_YAML, &r->o.limits, &d);
	kv_node *out = NULL;
	size_t ndocs = 0;
	kv_doc doc;
	while (kv_loader_next(l, r->arena, &doc) == 1)
		if (ndocs++ == 0)
			out = doc.root;
	kv_loader_free(l);
	bool errors = false;
	for (size_t i = 0; i < d.n; i++)
		errors |= d.items[i].severity >= KV_SEV_ERROR;
	kv_diags_free(&d);
	size_t lead = strspn(text, " \t");
	bool block = out && (out->type == KV_MAP || out->type == KV_LIST) && text[lead] != '{' && text[lead] != '[';
	if (errors || ndocs > 1 || block || memchr(text, '\n', len)) {
		rn_problem(r, at->src, at, KV_RULE_RENDER_SUBSTITUTE, NULL,
			   "after substitution this value reads \"%.60s%s\", which is not valid YAML here: Flux fails the Kustomization",
			   text, len > 60 ? "..." : "");
		return NULL;
	}
	if (!out) {
		out = rn_new_map(r, at);
		out->type = KV_NULL;
		out->len = 0;
	}
	place(out, at, 0);
	return out;
}

static kv_node *subst_node(subst_ctx *c, kv_node *n, int depth);

static kv_node *subst_string(subst_ctx *c, kv_node *n, bool key)
{
	if (!memchr(n->u.s, '$', n->len))
		return n;
	kv_buf out = KV_BUF_INIT, err = KV_BUF_INIT;
	kv_node *res = n;
	if (un_envsubst(n->u.s, n->len, var_get, c->v, &out, &err) != 0) {
		rn_problem(c->r, n->src, n, KV_RULE_RENDER_SUBSTITUTE, NULL, "variable substitution failed: %s",
			   kv_buf_cstr(&err));
		c->failed = true;
	} else if (out.len != n->len || memcmp(out.data, n->u.s, n->len) != 0) {
		if (key || (n->flags & KV_NF_QUOTED)) {
			res = rn_new_string(c->r, out.data ? out.data : "", out.len, n);
		} else {
			res = reparse(c->r, kv_buf_cstr(&out), out.len, n);
			if (!res) {
				c->failed = true;
				res = n;
			}
		}
	}
	kv_buf_free(&out);
	kv_buf_free(&err);
	return res;
}

/* The node with every string substituted: n itself when nothing changed, else a copy of the
 * nodes on the way (trees may share nodes, so none is edited in place). */
static kv_node *subst_node(subst_ctx *c, kv_node *n, int depth)
{
	if (depth > MAX_SUBST_DEPTH)
		return n;
	if (n->type == KV_STRING)
		return subst_string(c, n, false);
	if (n->type != KV_MAP && n->type != KV_LIST)
		return n;
	kv_node *copy = NULL;
	for (uint32_t i = 0; i < n->len; i++) {
		kv_node *old = n->type == KV_LIST ? n->u.items[i] : n->u.pairs[i].value;
		kv_node *oldk = n->type == KV_MAP ? n->u.pairs[i].key : NULL;
		kv_node *nv = subst_node(c, old, depth + 1);
		kv_node *nk = oldk ? subst_string(c, oldk, true) : NULL;
		if (nv == old && nk == oldk)
			continue;
		if (!copy) {
			copy = kv_arena_alloc(c->r->arena, sizeof *copy);
			*copy = *n;
			size_t sz = n->type == KV_LIST ? sizeof *n->u.items : sizeof *n->u.pairs;
			void *items = kv_arena_alloc(c->r->arena, sz * (n->len ? n->len : 1));
			memcpy(items, n->type == KV_LIST ? (void *)n->u.items : (void *)n->u.pairs, sz * n->len);
			if (n->type == KV_LIST)
				copy->u.items = items;
			else
				copy->u.pairs = items;
		}
		if (n->type == KV_LIST) {
			copy->u.items[i] = nv;
		} else {
			copy->u.pairs[i].value = nv;
			copy->u.pairs[i].key = nk;
		}
	}
	return copy ? copy : n;
}

static bool disabled(const kv_node *obj)
{
	const kv_node *m = kv_map_get(obj, "metadata");
	const char *key = "kustomize.toolkit.fluxcd.io/substitute";
	return kv_str_eq(kv_map_get(kv_map_get(m, "labels"), key), "disabled") ||
	       kv_str_eq(kv_map_get(kv_map_get(m, "annotations"), key), "disabled");
}

static void substitute(kv_render *r, un_scan *s, kv_unit *u, const kv_node *pb)
{
	vars v = {kv_map_new(), NULL, NULL, 0, 0, false};
	load_vars(r, s, u, pb, &v);
	if (v.n > 0 && !v.bad) { /* Flux substitutes only when there are variables */
		subst_ctx c = {r, &v, false};
		for (size_t i = 0; i < u->result.n; i++)
			if (!disabled(u->result.objects[i]))
				u->result.objects[i] = subst_node(&c, u->result.objects[i], 0);
		if (c.failed)
			u->result.complete = false;
	}
	kv_map_free(v.index);
	free(v.names);
	free(v.values);
}

/* commonMetadata: labels and annotations set on every object's own metadata (not selectors or
 * templates), replacing values already there, as kustomize-controller does when it applies. */
static void common_metadata(kv_render *r, kv_unit *u, const kv_node *cm)
{
	static const char *const fields[] = {"labels", "annotations"};
	for (size_t f = 0; f < 2; f++) {
		const kv_pair *p = kv_map_pair(cm, fields[f]);
		if (!p || p->value->type != KV_MAP || p->value->len == 0)
			continue;
		for (size_t i = 0; i < u->result.n; i++) {
			kv_node *meta = rn_path_map(r, u->result.objects[i], "metadata", true, p->key);
			kv_node *m = meta ? rn_path_map(r, meta, fields[f], true, p->key) : NULL;
			for (uint32_t k = 0; m && k < p->value->len; k++) {
				const kv_pair *e = &p->value->u.pairs[k];
				if (e->value->type == KV_STRING)
					rn_set(r, m, e->key->u.s, e->value, e->key);
			}
		}
	}
}

/* What kustomize-controller does to the objects of a build before it applies them (and
 * before the Kustomizations among them are reconciled in turn). */
static void flux_post(kv_render *r, un_scan *s, kv_unit *u)
{
	const kv_node *spec = kv_map_get(u->def, "spec");
	const kv_node *pb = kv_map_get(spec, "postBuild"), *cm = kv_map_get(spec, "commonMetadata");
	if (pb && pb->type == KV_MAP)
		substitute(r, s, u, pb);
	if (cm && cm->type == KV_MAP)
		common_metadata(r, u, cm);
}
