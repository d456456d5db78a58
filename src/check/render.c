/* render.c: rendering for `kvet check`: the units are rendered while the file pass reads the
 * files; a finding on a rendered node goes to the file and line that node came from (a patch,
 * a generator entry, the kustomization line that added a label), with that file's source line
 * and exemptions. */
#include "render.h"

#include "kvet/alloc.h"
#include "kvet/map.h"
#include "kvet/sort.h"
#include "kvet/strutil.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

struct ck_render {
	kv_source *src;
	const kv_check_opts *o;
	kv_render *r;
	kv_units units;
	int rc;
	bool threaded, started;
	pthread_t th;
	size_t nentries, nnotes;
	const char *root;     /* the folder rendered (work tree), as the user sees paths */
	kv_map *entry_by_path; /* an entry's path (canonical) -> entry + 1 */
	kv_map *note_by_path; /* a note's path (canonical) -> note + 1 */
	kv_map *entry_dirs;   /* folders that directly hold a checked file (canonical) */
	kv_map *extra_index;  /* path -> extra + 1 */
	char **extra;
	size_t nextra, capextra;
	uint32_t *file_of;    /* by render file number: the check's file index */
	size_t nsrc;
	bool *applied;        /* by entry: its objects are validated in rendered form */
	bool *read;           /* by entry: a unit renders its objects */
	bool *built;          /* by entry: a kustomize build renders its objects (not the plain unit) */
	ck_robj *objs;
	size_t nobjs, capobjs;
	pthread_mutex_t mu;
	kv_finding *items;
	uint64_t *keys;  /* by finding: its place in a stable order (object, creation) */
	size_t n, cap, capkeys;
	uint32_t serial; /* findings made outside the parallel pass, in order */
	kv_summary sum;
};

static bool is_stdin(kv_source *src)
{
	return kv_source_count(src) == 1 && kv_source_entry(src, 0)->is_stdin;
}

ck_render *ck_render_new(kv_source *src, const kv_check_opts *o)
{
	if (is_stdin(src))
		return NULL;
	ck_render *cr = kv_xcalloc(1, sizeof *cr);
	cr->src = src;
	cr->o = o;
	cr->nentries = kv_source_count(src);
	cr->nnotes = kv_source_note_count(src);
	cr->threaded = !kv_source_is_rev(src);
	cr->root = kv_source_is_rev(src) ? "" : o->render_dir ? o->render_dir : kv_source_root(src);
	pthread_mutex_init(&cr->mu, NULL);
	return cr;
}

static char *canon(const char *path);
static char *key_of(const char *path);

static void render_at(ck_render *cr, const char *root)
{
	kv_render_opts ro = {
		.root = kv_source_is_rev(cr->src) ? NULL : root,
		.rev = kv_source_is_rev(cr->src) ? cr->src : NULL,
		.limits = cr->o->limits,
		.max_files = KV_RENDER_MAX_FILES,
		.max_objects = KV_RENDER_MAX_OBJECTS,
		.plain_files = true, /* the check reads plain files itself */
	};
	cr->root = root;
	cr->r = kv_render_new(&ro);
	cr->rc = kv_render_units(cr->r, &cr->units);
}

static bool folder_below(const char *root, const char *rel)
{
	char *p = kv_xasprintf("%s/%s", root, rel);
	struct stat st;
	bool dir = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
	free(p);
	return dir;
}

/* Rendered from a folder below the project root, the units may need the rest: a
 * kustomization reaching above it (render/path), or a Flux or Argo CD path that is no folder
 * below it (their paths start at the repository's root). Then the project root is rendered
 * instead. */
static bool needs_root(ck_render *cr)
{
	const char *top = kv_source_root(cr->src);
	char *a = key_of(cr->root), *b = key_of(top);
	bool below = strcmp(a, b) != 0;
	free(a);
	free(b);
	for (size_t i = 0; below && i < kv_render_problem_count(cr->r); i++)
		if (kv_render_problem_at(cr->r, i)->rule == KV_RULE_RENDER_PATH)
			return true;
	for (size_t k = 0; below && cr->rc == 0 && k < cr->units.n; k++) {
		const kv_unit *u = &cr->units.items[k];
		if ((u->kind == KV_UNIT_FLUX || u->kind == KV_UNIT_ARGO) && !u->rendered && !u->external && u->path &&
		    !folder_below(cr->root, u->path))
			return true;
	}
	return false;
}

static void *render_main(void *ud)
{
	ck_render *cr = ud;
	render_at(cr, cr->root);
	if (!kv_source_is_rev(cr->src) && needs_root(cr)) {
		kv_render_free(cr->r);
		render_at(cr, kv_source_root(cr->src));
	}
	return NULL;
}

void ck_render_start(ck_render *cr)
{
	if (!cr)
		return;
	if (cr->threaded && pthread_create(&cr->th, NULL, render_main, cr) == 0) {
		cr->started = true;
		return;
	}
	render_main(cr);
}

/* ---- files ---- */

static const char *file_path(const ck_render *cr, uint32_t file)
{
	if (file < cr->nentries)
		return kv_source_entry(cr->src, file)->display;
	if (file < cr->nentries + cr->nnotes)
		return kv_source_note(cr->src, file - cr->nentries)->path;
	return cr->extra[file - cr->nentries - cr->nnotes];
}

/* A path as the user sees it, in one spelling: "a/./b//c" and "a/b/c" are the same file. */
static char *canon(const char *path)
{
	bool abs = path[0] == '/';
	char *n = kv_path_normalize(path);
	if (!n)
		return kv_xstrdup(path); /* above the current folder: as written */
	if (!abs)
		return n;
	char *a = kv_xasprintf("/%s", n);
	free(n);
	return a;
}

/* A path in the one spelling paths are matched in: absolute and normalized, so "../x/a.yaml"
 * and "/work/x/a.yaml" are one file. */
static char *key_of(const char *path)
{
	static char cwd[PATH_MAX];
	if (!cwd[0] && !getcwd(cwd, sizeof cwd))
		strcpy(cwd, ".");
	char *abs = path[0] == '/' ? kv_xstrdup(path) : kv_xasprintf("%s/%s", cwd, path);
	char *k = canon(abs);
	free(abs);
	return k;
}

/* The check's file index for a path relative to the render root. */
static uint32_t file_for_path(ck_render *cr, const char *path)
{
	char *joined = kv_path_join(cr->root, path);
	char *display = canon(joined), *key = key_of(joined);
	free(joined);
	uint64_t *v = kv_map_find(cr->entry_by_path, key, strlen(key));
	if (!v)
		v = kv_map_find(cr->note_by_path, key, strlen(key));
	bool note = v && !kv_map_find(cr->entry_by_path, key, strlen(key));
	free(key);
	if (v && !note) {
		free(display);
		return (uint32_t)(*v - 1);
	}
	uint32_t file;
	if (v) {
		file = (uint32_t)(cr->nentries + *v - 1);
		free(display);
		return file;
	}
	bool added;
	v = kv_map_slot(cr->extra_index, display, strlen(display), &added);
	if (added) {
		KV_GROW(cr->extra, cr->capextra, cr->nextra + 1);
		cr->extra[cr->nextra++] = display;
		*v = cr->nextra;
	} else {
		free(display);
	}
	return (uint32_t)(cr->nentries + cr->nnotes + *v - 1);
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? kv_xstrndup(path, (size_t)(slash - path)) : kv_xstrdup("");
}

static void index_files(ck_render *cr)
{
	cr->entry_by_path = kv_map_new();
	cr->note_by_path = kv_map_new();
	cr->entry_dirs = kv_map_new();
	cr->extra_index = kv_map_new();
	for (size_t i = 0; i < cr->nentries; i++) {
		char *p = key_of(kv_source_entry(cr->src, i)->display);
		*kv_map_slot(cr->entry_by_path, p, strlen(p), NULL) = i + 1;
		char *dir = dir_of(p);
		*kv_map_slot(cr->entry_dirs, dir, strlen(dir), NULL) = 1;
		free(dir);
		free(p);
	}
	for (size_t i = 0; i < cr->nnotes; i++) {
		char *p = key_of(kv_source_note(cr->src, i)->path);
		*kv_map_slot(cr->note_by_path, p, strlen(p), NULL) = i + 1;
		free(p);
	}
	for (uint32_t s = 1; s <= UINT16_MAX && kv_render_file_path(cr->r, (uint16_t)s); s++)
		cr->nsrc = s;
	cr->file_of = kv_xcalloc(cr->nsrc + 1, sizeof *cr->file_of);
	for (size_t s = 1; s <= cr->nsrc; s++)
		cr->file_of[s] = file_for_path(cr, kv_render_file_path(cr->r, (uint16_t)s));
	cr->file_of[0] = UINT32_MAX;
}

static void mark_read(ck_render *cr, const kv_node *obj, bool built, int depth)
{
	const kv_node *items = kv_map_get(obj, "items");
	if (items && items->type == KV_LIST && depth < 8)
		for (uint32_t i = 0; i < items->len; i++)
			mark_read(cr, items->u.items[i], built, depth + 1);
	uint32_t file = obj->src && obj->src <= cr->nsrc ? cr->file_of[obj->src] : UINT32_MAX;
	if (file < cr->nentries) {
		cr->read[file] = true;
		cr->built[file] |= built;
	}
}

/* A file is applied when a unit renders its objects, or when it lies in the folder of a unit
 * kvet could not render (that unit's problem says why; calling its files unapplied would
 * mislead). */
static void find_read(ck_render *cr)
{
	cr->read = kv_xcalloc(cr->nentries ? cr->nentries : 1, sizeof *cr->read);
	cr->built = kv_xcalloc(cr->nentries ? cr->nentries : 1, sizeof *cr->built);
	kv_map *unrendered = kv_map_new(); /* the folders of units not rendered (canonical) */
	for (size_t k = 0; k < cr->units.n; k++) {
		const kv_unit *u = &cr->units.items[k];
		for (size_t i = 0; i < u->result.n; i++)
			mark_read(cr, u->result.objects[i], u->kind != KV_UNIT_PLAIN, 0);
		for (size_t i = 0; i < u->nfiles; i++) {
			uint32_t file = u->files[i] <= cr->nsrc ? cr->file_of[u->files[i]] : UINT32_MAX;
			if (file < cr->nentries)
				cr->read[file] = true;
		}
		if (u->rendered || !u->path)
			continue;
		char *joined = kv_path_join(cr->root, u->path);
		char *dir = key_of(joined);
		*kv_map_slot(unrendered, dir, strlen(dir), NULL) = 1;
		free(dir);
		free(joined);
	}
	for (size_t i = 0; i < cr->nentries && kv_map_count(unrendered); i++) {
		char *p = key_of(kv_source_entry(cr->src, i)->display);
		for (char *slash = strrchr(p, '/'); !cr->read[i]; slash = strrchr(p, '/')) {
			if (slash)
				*slash = '\0';
			else
				*p = '\0';
			cr->read[i] = kv_map_find(unrendered, p, strlen(p)) != NULL;
			if (!slash || !*p)
				break;
		}
		free(p);
	}
	kv_map_free(unrendered);
}

/* Findings are kept in checked files, and in files that are not manifests (generator inputs)
 * in or below a folder that holds a checked file: a manifest that is not checked was
 * excluded or not selected. */
static bool below_entries(const ck_render *cr, const char *display)
{
	char *key = key_of(display);
	char *dir = dir_of(key);
	free(key);
	bool found = false;
	for (;;) {
		if (kv_map_find(cr->entry_dirs, dir, strlen(dir))) {
			found = true;
			break;
		}
		char *slash = strrchr(dir, '/');
		if (!*dir || slash == dir)
			break;
		if (slash)
			*slash = '\0';
		else
			*dir = '\0';
	}
	free(dir);
	return found;
}

static bool in_scope(const ck_render *cr, uint32_t file)
{
	if (file < cr->nentries)
		return true;
	if (file == UINT32_MAX || file < cr->nentries + cr->nnotes)
		return false;
	const char *display = file_path(cr, file);
	return !kv_path_is_manifest(display) && below_entries(cr, display);
}

static uint32_t file_of_src(const ck_render *cr, uint16_t src)
{
	return src && src <= cr->nsrc ? cr->file_of[src] : UINT32_MAX;
}

/* ---- findings ---- */

typedef struct {
	uint32_t file;
	const char *text; /* the file's bytes, or NULL */
	size_t len;
	const kv_node *obj;
	const kv_objref *ref;
} place;

/* Findings of rendered objects arrive in the order threads finish; key (the object's index
 * and the finding's creation order, or a serial number after the objects) restores one. */
static void keep(ck_render *cr, kv_diags *d, uint64_t key)
{
	kv_finding *items;
	size_t n;
	kv_diags_take(d, &items, &n);
	pthread_mutex_lock(&cr->mu);
	if (n) {
		KV_GROW(cr->items, cr->cap, cr->n + n);
		KV_GROW(cr->keys, cr->capkeys, cr->n + n);
		memcpy(cr->items + cr->n, items, n * sizeof *items);
		for (size_t i = 0; i < n; i++)
			cr->keys[cr->n + i] = key + i;
		cr->n += n;
	}
	cr->sum.findings[KV_SEV_OFF] += d->count[KV_SEV_OFF];
	pthread_mutex_unlock(&cr->mu);
	free(items);
}

/* Serial findings (problems, render checks) follow every object's. Not thread-safe: made
 * outside the parallel pass. */
static uint64_t serial_key(ck_render *cr)
{
	return (uint64_t)UINT32_MAX << 32 | cr->serial++;
}

/* A collector for one finding in p's file, with that file's exemptions. */
static void place_diags(ck_render *cr, const place *p, kv_diags *d, kv_exempt_ctx *ex)
{
	kv_diags_init(d, cr->o->rules, p->file);
	if (p->text)
		kv_diags_set_source(d, p->text, p->len, 1);
	d->obj = p->ref;
	memset(ex, 0, sizeof *ex);
	if (!cr->o->exempt)
		return;
	ex->rules = cr->o->exempt;
	ex->path = file_path(cr, p->file);
	ex->rel = p->file < cr->nentries ? kv_source_entry(cr->src, p->file)->rel : NULL;
	ex->obj = p->obj;
	d->exempt = kv_exempt_check;
	d->exempt_ud = ex;
}

static bool place_of(ck_render *cr, uint16_t src, place *p)
{
	p->file = file_of_src(cr, src);
	if (!in_scope(cr, p->file))
		return false;
	p->text = kv_render_file_text(cr->r, src, &p->len);
	return true;
}

/* ---- locating a finding in a rendered object ---- */

#define MAX_HITS 8

typedef struct {
	uint32_t line, col;
	const kv_node *hits[MAX_HITS];
	size_t n;
} search;

static void find_at(search *s, const kv_node *n, int depth)
{
	if (!n || depth > 512 || s->n == MAX_HITS)
		return;
	if (n->line == s->line && n->col == s->col)
		s->hits[s->n++] = n;
	if (n->type == KV_LIST) {
		for (uint32_t i = 0; i < n->len; i++)
			find_at(s, n->u.items[i], depth + 1);
	} else if (n->type == KV_MAP) {
		for (uint32_t i = 0; i < n->len; i++) {
			find_at(s, n->u.pairs[i].key, depth + 1);
			find_at(s, n->u.pairs[i].value, depth + 1);
		}
	}
}

/* The file a finding at line:col of a rendered object is in: the node at that position
 * (several files may share a position: the one at the finding's field wins), else the
 * object's own file. */
static uint16_t locate(const kv_node *obj, const kv_finding *f)
{
	if (!f->line)
		return obj->src;
	search s = {f->line, f->col, {0}, 0};
	find_at(&s, obj, 0);
	if (!s.n)
		return obj->src;
	const kv_node *best = s.hits[0];
	for (size_t i = 1; i < s.n && f->field; i++) {
		if (s.hits[i]->src == best->src)
			continue;
		kv_buf path = KV_BUF_INIT;
		if (kv_node_path(obj, s.hits[i], &path) && strcmp(kv_buf_cstr(&path), f->field) == 0)
			best = s.hits[i];
		kv_buf_free(&path);
	}
	return best->src ? best->src : obj->src;
}

void ck_render_route(ck_render *cr, const ck_robj *o, const kv_objref *ref, kv_diags *scratch, bool no_schema,
		     bool invalid)
{
	kv_finding *items;
	size_t n;
	kv_diags_take(scratch, &items, &n);
	for (size_t i = 0; i < n; i++) {
		kv_finding *f = &items[i];
		place p = {.obj = o->obj, .ref = ref};
		if (!place_of(cr, locate(o->obj, f), &p)) {
			invalid |= f->severity == KV_SEV_ERROR;
		} else {
			kv_diags d;
			kv_exempt_ctx ex;
			place_diags(cr, &p, &d, &ex);
			kv_diag_as(&d, f->rule, f->rule_id, f->severity, f->line, f->col, f->field, f->hint, "%s",
				   f->message);
			invalid |= d.count[KV_SEV_ERROR] > 0; /* not suppressed */
			keep(cr, &d, (uint64_t)(o - cr->objs) << 32 | f->seq);
			kv_diags_free(&d);
		}
		kv_finding_free(f);
	}
	free(items);
	pthread_mutex_lock(&cr->mu);
	cr->sum.objects++;
	cr->sum.findings[KV_SEV_OFF] += scratch->count[KV_SEV_OFF];
	if (no_schema)
		cr->sum.no_schema++;
	else if (invalid)
		cr->sum.invalid++;
	else
		cr->sum.valid++;
	pthread_mutex_unlock(&cr->mu);
}

static void report_at(ck_render *cr, const place *p, const kv_node *at, kv_rule rule, const char *hint,
		      const char *msg)
{
	kv_diags d;
	kv_exempt_ctx ex;
	place_diags(cr, p, &d, &ex);
	kv_diag(&d, rule, at ? at->line : 0, at ? at->col : 0, NULL, hint, "%s", msg);
	keep(cr, &d, serial_key(cr));
	kv_diags_free(&d);
}

void ck_render_report(ck_render *cr, uint16_t src, const kv_node *at, const kv_node *obj, kv_rule rule,
		      const char *hint, const char *fmt, ...)
{
	if (!src)
		src = at && at->src ? at->src : obj ? obj->src : 0;
	const kv_node *meta = obj ? kv_map_get(obj, "metadata") : NULL;
	kv_objref ref = {
		kv_str(kv_map_get(obj, "apiVersion")), kv_str(kv_map_get(obj, "kind")),
		kv_str(kv_map_get(meta, "namespace")), kv_str(kv_map_get(meta, "name")),
	};
	place p = {.obj = obj, .ref = obj ? &ref : NULL};
	if (!place_of(cr, src, &p))
		return;
	kv_buf msg = KV_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kv_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	report_at(cr, &p, at, rule, hint, kv_buf_cstr(&msg));
	kv_buf_free(&msg);
}

void ck_render_unapplied(ck_render *cr, size_t entry)
{
	place p = {.file = (uint32_t)entry};
	const char *hint = "add it to a kustomization or a reconciler's path, or exclude it";
	report_at(cr, &p, NULL, KV_RULE_RENDER_UNAPPLIED, hint,
		  "no reconciler unit applies this file: it was checked as a file only");
}

/* A render problem names its file by path: the render's own copy of the bytes gives the
 * source line. */
static void problems(ck_render *cr, kv_map *src_by_path)
{
	for (size_t i = 0; i < kv_render_problem_count(cr->r); i++) {
		const kv_render_problem *pr = kv_render_problem_at(cr->r, i);
		const char *path = pr->path ? pr->path : "";
		place p = {.file = file_for_path(cr, path)};
		if (!in_scope(cr, p.file))
			continue;
		uint64_t *src = kv_map_find(src_by_path, path, strlen(path));
		if (src)
			p.text = kv_render_file_text(cr->r, (uint16_t)*src, &p.len);
		kv_diags d;
		kv_exempt_ctx ex;
		place_diags(cr, &p, &d, &ex);
		kv_diag(&d, pr->rule, pr->line, pr->col, NULL, pr->hint, "%s", pr->message);
		keep(cr, &d, serial_key(cr));
		kv_diags_free(&d);
	}
}

/* ---- the objects to validate ---- */

static bool kind_ok(const char *k)
{
	bool ok = (k[0] >= 'A' && k[0] <= 'Z') || (k[0] >= 'a' && k[0] <= 'z');
	for (; ok && *k; k++)
		ok = (*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9');
	return ok;
}

static bool never_applied(const kv_node *obj)
{
	const char *av = kv_str(kv_map_get(obj, "apiVersion"));
	const char *kind = kv_str(kv_map_get(obj, "kind"));
	if (!av || !kind || !kind_ok(kind))
		return true; /* the file pass reports it (manifest/type) */
	/* kvet's policies and kustomize's own documents are not the cluster's; a CRD was checked
	 * in its file already (the file pass compiles it before anything is validated). */
	return strncmp(av, "kvet.dev/", 9) == 0 || strncmp(av, "kustomize.config.k8s.io/", 24) == 0 ||
	       (strncmp(av, "apiextensions.k8s.io/", 21) == 0 && strcmp(kind, "CustomResourceDefinition") == 0);
}

/* True when a node of the tree comes from a checked file. */
static bool touches_entry(const ck_render *cr, const kv_node *n, int depth)
{
	if (!n || depth > 512)
		return false;
	if (file_of_src(cr, n->src) < cr->nentries)
		return true;
	for (uint32_t i = 0; n->type == KV_LIST && i < n->len; i++)
		if (touches_entry(cr, n->u.items[i], depth + 1))
			return true;
	for (uint32_t i = 0; n->type == KV_MAP && i < n->len; i++)
		if (touches_entry(cr, n->u.pairs[i].key, depth + 1) || touches_entry(cr, n->u.pairs[i].value, depth + 1))
			return true;
	return false;
}

static void pick(ck_render *cr, const bool *patch, const kv_node *obj, size_t unit, int depth)
{
	const char *kind = kv_str(kv_map_get(obj, "kind"));
	const kv_node *items = kv_map_get(obj, "items");
	if (kind && kv_str_has_suffix(kind, "List") && items && items->type == KV_LIST && depth < 8) {
		/* kubectl applies a List's items (plain manifests keep their Lists) */
		for (uint32_t i = 0; i < items->len; i++)
			pick(cr, patch, items->u.items[i], unit, depth + 1);
		return;
	}
	uint32_t file = file_of_src(cr, obj->src);
	if (obj->type != KV_MAP || never_applied(obj))
		return;
	if (file < cr->nentries && patch[file])
		return;
	if (file < cr->nentries)
		cr->applied[file] = true;
	else if (file == UINT32_MAX || (file >= cr->nentries + cr->nnotes && below_entries(cr, file_path(cr, file))) ||
		 !touches_entry(cr, obj, 0))
		return; /* excluded, or nothing of it is in the checked files */
	else
		file = UINT32_MAX; /* a base outside them that a checked patch or overlay changes */
	KV_GROW(cr->objs, cr->capobjs, cr->nobjs + 1);
	cr->objs[cr->nobjs++] = (ck_robj){obj, (uint32_t)unit, file};
}

/* Only a complete render stands for what the reconciler applies: where a unit could not be
 * rendered whole, its files are checked as written. So are the plain unit's: kubectl applies
 * them as written (YAML 1.1: an unquoted yes is a boolean), where kustomize would have
 * rewritten them (to the string "yes"). */
static void pick_objects(ck_render *cr, const bool *patch)
{
	cr->applied = kv_xcalloc(cr->nentries ? cr->nentries : 1, sizeof *cr->applied);
	for (size_t u = 0; u < cr->units.n; u++) {
		const kv_unit *unit = &cr->units.items[u];
		bool whole = unit->rendered && unit->result.complete && unit->kind != KV_UNIT_PLAIN;
		for (size_t i = 0; whole && i < unit->result.n; i++)
			pick(cr, patch, unit->result.objects[i], u, 0);
	}
}

void ck_render_finish(ck_render *cr, const bool *patch)
{
	if (!cr)
		return;
	if (cr->started)
		pthread_join(cr->th, NULL);
	cr->started = false;
	index_files(cr);
	kv_map *src_by_path = kv_map_new();
	for (size_t s = 1; s <= cr->nsrc; s++) {
		const char *p = kv_render_file_path(cr->r, (uint16_t)s);
		*kv_map_slot(src_by_path, p, strlen(p), NULL) = s;
	}
	problems(cr, src_by_path);
	kv_map_free(src_by_path);
	if (cr->rc == 0) {
		pick_objects(cr, patch);
		find_read(cr);
	}
}

bool ck_render_applied(const ck_render *cr, size_t entry)
{
	return cr && cr->applied && entry < cr->nentries && cr->applied[entry];
}

bool ck_render_active(const ck_render *cr)
{
	return cr && cr->rc == 0 && cr->units.n > 0;
}

bool ck_render_read(const ck_render *cr, size_t entry)
{
	return cr && cr->read && entry < cr->nentries && cr->read[entry];
}

bool ck_render_built(const ck_render *cr, size_t entry)
{
	return cr && cr->built && entry < cr->nentries && cr->built[entry];
}

size_t ck_render_object_count(const ck_render *cr)
{
	return cr ? cr->nobjs : 0;
}

const ck_robj *ck_render_object(const ck_render *cr, size_t i)
{
	return &cr->objs[i];
}

const kv_units *ck_render_units(const ck_render *cr)
{
	return &cr->units;
}

kv_render *ck_render_renderer(ck_render *cr)
{
	return cr->r;
}

size_t ck_render_extra_count(const ck_render *cr)
{
	return cr ? cr->nextra : 0;
}

const char *ck_render_extra_path(const ck_render *cr, size_t i)
{
	return cr->extra[i];
}

typedef struct {
	const kv_finding *f;
	uint64_t key;
} ranked;

static int ranked_cmp(const void *a, const void *b)
{
	const ranked *x = a, *y = b;
	if (x->f->file != y->f->file)
		return x->f->file < y->f->file ? -1 : 1;
	if (x->f->line != y->f->line)
		return x->f->line < y->f->line ? -1 : 1;
	if (x->f->col != y->f->col)
		return x->f->col < y->f->col ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* The findings in a stable order whatever the thread count: each one's seq is its rank, after
 * every seq the file pass gives at the same place. */
static void stable_order(ck_render *cr)
{
	ranked *r = kv_xmalloc(sizeof *r * (cr->n ? cr->n : 1));
	for (size_t i = 0; i < cr->n; i++)
		r[i] = (ranked){&cr->items[i], cr->keys[i]};
	kv_sort(r, cr->n, sizeof *r, ranked_cmp);
	kv_finding *sorted = kv_xmalloc(sizeof *sorted * (cr->n ? cr->n : 1));
	for (size_t i = 0; i < cr->n; i++) {
		sorted[i] = *r[i].f;
		sorted[i].seq = 0x80000000u + (uint32_t)i;
	}
	free(r);
	free(cr->items);
	cr->items = sorted;
	cr->cap = cr->n;
}

void ck_render_take(ck_render *cr, kv_finding **out, size_t *n, kv_summary *sum)
{
	*out = NULL;
	*n = 0;
	if (!cr)
		return;
	stable_order(cr);
	*out = cr->items;
	*n = cr->n;
	cr->items = NULL;
	cr->n = cr->cap = 0;
	sum->objects += cr->sum.objects;
	sum->valid += cr->sum.valid;
	sum->invalid += cr->sum.invalid;
	sum->no_schema += cr->sum.no_schema;
	sum->findings[KV_SEV_OFF] += cr->sum.findings[KV_SEV_OFF];
}

void ck_render_free(ck_render *cr)
{
	if (!cr)
		return;
	if (cr->started)
		pthread_join(cr->th, NULL);
	for (size_t i = 0; i < cr->n; i++)
		kv_finding_free(&cr->items[i]);
	free(cr->items);
	free(cr->keys);
	for (size_t i = 0; i < cr->nextra; i++)
		free(cr->extra[i]);
	free(cr->extra);
	kv_map_free(cr->entry_by_path);
	kv_map_free(cr->note_by_path);
	kv_map_free(cr->entry_dirs);
	kv_map_free(cr->extra_index);
	free(cr->file_of);
	free(cr->applied);
	free(cr->read);
	free(cr->built);
	free(cr->objs);
	kv_render_free(cr->r);
	pthread_mutex_destroy(&cr->mu);
	free(cr);
}
