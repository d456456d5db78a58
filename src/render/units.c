/* units.c: the reconciler units of a repository. One scan of the whole tree finds the
 * reconciler objects (Flux Kustomizations, Argo CD Applications and ApplicationSets); with
 * none, every top-level kustomization folder is a unit and the manifests no unit applies form
 * one plain unit, which is what `kubectl apply -k`/`-f` by hand would take. */
#include "units.h"

#include "kvet/alloc.h"
#include "kvet/sort.h"
#include "kvet/strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Folders nested deeper than this are not scanned (a bound on hostile trees). */
#define MAX_SCAN_DEPTH 64


const char *un_str(kv_render *r, const char *s)
{
	return kv_arena_strndup(r->arena, s, strlen(s));
}

kv_unit *un_add(kv_render *r, un_scan *s, kv_unit_kind kind, const char *name, const char *path)
{
	kv_units *u = s->out;
	if (u->n == s->capunits) {
		size_t cap = s->capunits ? s->capunits * 2 : 16;
		kv_unit *grown = kv_arena_alloc(r->arena, sizeof *grown * cap);
		if (u->n)
			memcpy(grown, u->items, sizeof *grown * u->n);
		u->items = grown;
		s->capunits = cap;
	}
	kv_unit *unit = &u->items[u->n++];
	memset(unit, 0, sizeof *unit);
	unit->kind = kind;
	unit->name = un_str(r, name);
	unit->path = un_str(r, path);
	return unit;
}

static bool is_kust_name(const char *name)
{
	for (size_t i = 0; i < RN_NKUST_NAMES; i++)
		if (strcmp(name, rn_kust_names[i]) == 0)
			return true;
	return false;
}

bool un_has_kust(kv_render *r, const char *dir)
{
	for (size_t i = 0; i < RN_NKUST_NAMES; i++) {
		char *p = rn_path_child(dir, rn_kust_names[i]);
		bool found = rn_fs_kind(r, p) == RN_FILE;
		free(p);
		if (found)
			return true;
	}
	return false;
}

/* Drops the problems reported since mark: the scan reads every file, and a file's own
 * problems are reported by whatever builds or checks it, once. */
static void forget_problems(kv_render *r, size_t mark)
{
	for (size_t i = mark; i < r->nproblems; i++) {
		free(r->problems[i].message);
		free(r->problems[i].hint);
	}
	r->nproblems = mark;
}

void un_drop_problems(kv_render *r, size_t from, size_t to)
{
	if (from >= to || to > r->nproblems)
		return;
	for (size_t i = from; i < to; i++) {
		free(r->problems[i].message);
		free(r->problems[i].hint);
	}
	memmove(r->problems + from, r->problems + to, sizeof *r->problems * (r->nproblems - to));
	r->nproblems -= to - from;
}

static void push_path(char ***items, size_t *n, size_t *cap, const char *path)
{
	KV_GROW(*items, *cap, *n + 1);
	(*items)[(*n)++] = kv_xstrdup(path);
}

/* Folders no reconciler reads: version control and CI configuration. */
static bool skipped_dir(const char *name)
{
	return strcmp(name, ".git") == 0 || strcmp(name, ".github") == 0;
}

static void walk(kv_render *r, un_scan *s, const char *dir, int depth)
{
	char **names;
	size_t n;
	if (rn_fs_list(r, dir, &names, &n) != 0)
		return;
	size_t use = n;
	if (depth >= MAX_SCAN_DEPTH && n) {
		rn_problem_path(r, dir, KV_RULE_RENDER_LIMIT, NULL, "folders nest deeper than %d: not scanned for units",
				MAX_SCAN_DEPTH);
		use = 0;
	}
	bool kust = false;
	for (size_t i = 0; i < use; i++) {
		char *path = rn_path_child(dir, names[i]);
		rn_kind k = rn_fs_kind(r, path);
		if (k == RN_DIR && !skipped_dir(names[i]))
			walk(r, s, path, depth + 1);
		if (k == RN_FILE) {
			if (is_kust_name(names[i]))
				kust = true;
			if (strcmp(names[i], "Chart.yaml") == 0)
				push_path(&s->charts, &s->ncharts, &s->capcharts, dir);
			if (kv_path_is_manifest(names[i]))
				push_path(&s->files, &s->nfiles, &s->capfiles, path);
		}
		free(path);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (kust)
		push_path(&s->kdirs, &s->nkdirs, &s->capkdirs, dir);
}

static void add_doc(un_docs *d, kv_node *doc, uint16_t src)
{
	KV_GROW(d->items, d->cap, d->n + 1);
	d->items[d->n++] = (un_doc){doc, src};
}

static bool prefixed(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static void classify(un_scan *s, kv_node *doc, uint16_t src)
{
	const char *av = kv_str(kv_map_get(doc, "apiVersion")), *kind = kv_str(kv_map_get(doc, "kind"));
	if (!av || !kind)
		return;
	if (prefixed(av, "kustomize.toolkit.fluxcd.io/") && strcmp(kind, "Kustomization") == 0)
		add_doc(&s->flux, doc, src);
	else if (prefixed(av, "source.toolkit.fluxcd.io/") && strcmp(kind, "GitRepository") == 0)
		add_doc(&s->gitrepos, doc, src);
	else if (prefixed(av, "source.extensions.fluxcd.io/") && strcmp(kind, "ArtifactGenerator") == 0)
		add_doc(&s->generators, doc, src);
	else if (prefixed(av, "argoproj.io/") && strcmp(kind, "Application") == 0)
		add_doc(&s->apps, doc, src);
	else if (prefixed(av, "argoproj.io/") && strcmp(kind, "ApplicationSet") == 0)
		add_doc(&s->appsets, doc, src);
	else if (strcmp(av, "v1") == 0 && (strcmp(kind, "ConfigMap") == 0 || strcmp(kind, "Secret") == 0))
		add_doc(&s->sources, doc, src);
}

static bool in_any(const char *path, char *const *dirs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rn_path_below(path, dirs[i], strlen(dirs[i])))
			return true;
	return false;
}

static bool mentions(const kv_buf *b, const char *word)
{
	return b->len && memmem(b->data, b->len, word, strlen(word)) != NULL;
}

/* Parses file i and sorts out its reconciler objects. */
static void classify_file(kv_render *r, un_scan *s, size_t i)
{
	kv_node **docs;
	size_t mark = r->nproblems;
	r->files[s->srcs[i] - 1].keep = true; /* a unit's build reads it again */
	size_t n = rn_load_docs(r, s->srcs[i], &docs);
	forget_problems(r, mark);
	for (size_t d = 0; d < n; d++)
		if (docs[d]->type == KV_MAP)
			classify(s, docs[d], s->srcs[i]);
}

/* Numbers every manifest file (Helm templates aside) and sorts out the reconciler objects.
 * Files are only looked at here, not kept: only those that name a reconciler's kind and API
 * group are parsed (most files do not), and ConfigMaps and Secrets (substitution sources)
 * only when there are Flux Kustomizations. A file a build needs later is read then. */
static void read_all(kv_render *r, un_scan *s)
{
	s->srcs = kv_xcalloc(s->nfiles ? s->nfiles : 1, sizeof *s->srcs);
	s->objs = kv_xcalloc(s->nfiles ? s->nfiles : 1, sizeof *s->objs);
	bool *sources = kv_xcalloc(s->nfiles ? s->nfiles : 1, sizeof *sources);
	kv_buf text = KV_BUF_INIT;
	for (size_t i = 0; i < s->nfiles; i++) {
		if (in_any(s->files[i], s->charts, s->ncharts))
			continue;
		size_t mark = r->nproblems;
		uint16_t src = rn_fs_register(r, s->files[i]);
		if (!src) /* the file limit: said once */
			break;
		forget_problems(r, mark);
		kv_buf_truncate(&text, 0);
		if (rn_fs_peek(r, s->files[i], &text) != 0)
			continue;
		s->srcs[i] = src;
		s->objs[i] = mentions(&text, "apiVersion") && mentions(&text, "kind");
		if ((mentions(&text, "kustomize.toolkit.fluxcd.io") && mentions(&text, "Kustomization")) ||
		    mentions(&text, "source.extensions.fluxcd.io") ||
		    (mentions(&text, "source.toolkit.fluxcd.io") && mentions(&text, "GitRepository")) ||
		    (mentions(&text, "argoproj.io") && mentions(&text, "Application")))
			classify_file(r, s, i);
		else
			sources[i] = mentions(&text, "ConfigMap") || mentions(&text, "Secret");
	}
	kv_buf_free(&text);
	for (size_t i = 0; s->flux.n && i < s->nfiles; i++)
		if (sources[i])
			classify_file(r, s, i);
	free(sources);
}

/* ---- the fallback: kustomization roots and plain manifests ---- */

/* Marks the folders kustomization dir includes (resources, bases, components), and dir itself
 * when it is a Component. */
static void mark_included(kv_render *r, const char *dir, kv_map *included)
{
	for (size_t i = 0; i < RN_NKUST_NAMES; i++) {
		char *p = rn_path_child(dir, rn_kust_names[i]);
		size_t mark = r->nproblems;
		uint16_t src = rn_fs_kind(r, p) == RN_FILE ? rn_fs_read(r, p, 0, NULL) : 0;
		free(p);
		kv_node **docs;
		size_t n = src ? rn_load_docs(r, src, &docs) : 0;
		static const char *const fields[] = {"resources", "bases", "components"};
		if (n && kv_str_eq(kv_map_get(docs[0], "kind"), "Component")) /* a part to compose, not a unit */
			*kv_map_slot(included, dir, strlen(dir), NULL) = 1;
		for (size_t f = 0; n && f < 3; f++) {
			const kv_node *list = kv_map_get(docs[0], fields[f]);
			for (uint32_t j = 0; list && list->type == KV_LIST && j < list->len; j++) {
				const char *rel = kv_str(list->u.items[j]);
				char *to = rel ? rn_path_join(r, dir, rel, 0, NULL) : NULL;
				if (to && rn_fs_kind(r, to) == RN_DIR)
					*kv_map_slot(included, to, strlen(to), NULL) = 1;
				free(to);
			}
		}
		forget_problems(r, mark);
		if (src)
			return;
	}
}

static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void kustomize_units(kv_render *r, un_scan *s)
{
	kv_sort(s->kdirs, s->nkdirs, sizeof *s->kdirs, path_cmp);
	kv_map *included = kv_map_new();
	for (size_t i = 0; i < s->nkdirs; i++)
		mark_included(r, s->kdirs[i], included);
	for (size_t i = 0; i < s->nkdirs; i++) {
		const char *dir = s->kdirs[i];
		if (kv_map_find(included, dir, strlen(dir)) || in_any(dir, s->charts, s->ncharts))
			continue;
		kv_unit *u = un_add(r, s, KV_UNIT_KUSTOMIZE, *dir ? dir : ".", dir);
		u->rendered = kv_kustomize_build(r, dir, &u->result) == 0;
	}
	kv_map_free(included);
}

/* Helm charts are not rendered: said once per chart (not per chart below another). */
static void chart_problems(kv_render *r, un_scan *s)
{
	for (size_t i = 0; i < s->ncharts; i++) {
		bool nested = false;
		for (size_t j = 0; j < s->ncharts; j++)
			nested |= j != i && rn_path_below(s->charts[i], s->charts[j], strlen(s->charts[j])) && strcmp(s->charts[i], s->charts[j]) != 0;
		if (nested)
			continue;
		char *p = rn_path_child(s->charts[i], "Chart.yaml");
		rn_problem_path(r, p, KV_RULE_RENDER_UNSUPPORTED, "kvet does not run helm template; check the chart's output with kvet check -",
				"%s is a Helm chart: not rendered", *s->charts[i] ? s->charts[i] : "the repository root");
		free(p);
	}
}

/* The folder of a file path ("" for the root). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? kv_xstrndup(path, (size_t)(slash - path)) : kv_xstrdup("");
}

/* Files no unit applied, outside kustomization folders and charts: their objects (or, with
 * plain_files, the files that hold objects: an apiVersion and a kind). */
static void plain_unit(kv_render *r, un_scan *s)
{
	kv_node **objs = NULL;
	size_t n = 0, cap = 0, nsrcs = 0, capsrcs = 0;
	uint16_t *srcs = NULL;
	for (size_t i = 0; i < s->nfiles; i++) {
		uint16_t src = s->srcs[i];
		char *dir = dir_of(s->files[i]);
		bool skip = !src || kv_render_file_applied(r, src) || in_any(dir, s->kdirs, s->nkdirs) ||
			    in_any(dir, s->charts, s->ncharts);
		free(dir);
		if (skip)
			continue;
		bool applies;
		if (r->o.plain_files) {
			applies = s->objs[i];
		} else {
			kv_node **docs;
			size_t nd = rn_load_docs(r, src, &docs), before = n;
			for (size_t d = 0; d < nd; d++) {
				if (!kv_str(kv_map_get(docs[d], "apiVersion")) || !kv_str(kv_map_get(docs[d], "kind")))
					continue;
				KV_GROW(objs, cap, n + 1);
				objs[n++] = docs[d];
			}
			applies = n > before;
		}
		r->files[src - 1].applied = applies; /* the plain unit applies it */
		if (applies) {
			KV_GROW(srcs, capsrcs, nsrcs + 1);
			srcs[nsrcs++] = src;
		}
	}
	if (nsrcs) {
		kv_unit *u = un_add(r, s, KV_UNIT_PLAIN, "plain", "");
		u->rendered = true;
		u->result.objects = kv_arena_alloc(r->arena, sizeof *u->result.objects * (n ? n : 1));
		if (n)
			memcpy(u->result.objects, objs, sizeof *objs * n);
		u->result.n = n;
		u->result.complete = true;
		uint16_t *files = kv_arena_alloc(r->arena, sizeof *files * nsrcs);
		memcpy(files, srcs, sizeof *files * nsrcs);
		u->files = files;
		u->nfiles = nsrcs;
	}
	free(objs);
	free(srcs);
}

static void free_paths(char **p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i]);
	free(p);
}

static void scan_free(un_scan *s)
{
	free_paths(s->files, s->nfiles);
	free_paths(s->kdirs, s->nkdirs);
	free_paths(s->charts, s->ncharts);
	free(s->srcs);
	free(s->objs);
	un_docs *all[] = {&s->flux, &s->gitrepos, &s->generators, &s->apps, &s->appsets, &s->sources};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		free(all[i]->items);
}

/* One problem once: units that build the same folder (two clusters sharing a base) meet the
 * same problem at the same place. */
static void dedupe_problems(kv_render *r, size_t from)
{
	kv_map *seen = kv_map_new();
	kv_buf key = KV_BUF_INIT;
	size_t kept = from;
	for (size_t i = from; i < r->nproblems; i++) {
		kv_render_problem *p = &r->problems[i];
		kv_buf_truncate(&key, 0);
		kv_buf_printf(&key, "%s:%u:%u:%d:%s", p->path, p->line, p->col, (int)p->rule, p->message);
		bool added;
		kv_map_slot(seen, key.data, key.len, &added);
		if (!added) {
			free(p->message);
			free(p->hint);
			continue;
		}
		r->problems[kept++] = *p;
	}
	r->nproblems = kept;
	kv_buf_free(&key);
	kv_map_free(seen);
}

int kv_render_units(kv_render *r, kv_units *out)
{
	memset(out, 0, sizeof *out);
	size_t first_problem = r->nproblems;
	if (rn_fs_kind(r, "") != RN_DIR) {
		rn_problem_path(r, "", KV_RULE_RENDER_MISSING, NULL, "the repository cannot be read");
		return -1;
	}
	un_scan s = {0};
	s.out = out;
	walk(r, &s, "", 0);
	read_all(r, &s);
	if (s.flux.n || s.apps.n || s.appsets.n) {
		un_flux_units(r, &s);
		un_argo_units(r, &s);
	} else {
		kustomize_units(r, &s);
		plain_unit(r, &s);
		chart_problems(r, &s); /* a reconciler's unit says it of the charts it names */
	}
	dedupe_problems(r, first_problem);
	scan_free(&s);
	return 0;
}
