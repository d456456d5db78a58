/* check.c: the `kvet check` pipeline.
 *
 * Custom resources need their CRDs, which may sit in any file, so files run in two phases:
 *   A. every file is read once and sniffed; files that hold CRDs or kustomizations are parsed
 *      and processed now: CRDs are compiled (and validated), kustomizations give the list of
 *      patch files, and their other documents are kept (copied) for phase B;
 *   B. with the repository's CRDs added to the schema set, every other file is parsed and
 *      checked, and the documents kept in phase A are checked.
 * Meanwhile the reconciler units are rendered (render.c); an object a complete unit renders is
 * validated in its rendered form after phase B (findings routed to the files its nodes come
 * from), so in phase B its file only records its identity. Each file is parsed exactly once by
 * the check. Results are stored per file and sorted at the end, so the output never depends on
 * the thread count. */
#include "kvet/check.h"

#include "render.h"

#include "kvet/alloc.h"
#include "kvet/k8s.h"
#include "kvet/map.h"
#include "kvet/pool.h"
#include "kvet/sort.h"
#include "kvet/strutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const char *const class_names[] = {
#define X(e, s, k) s,
	KV_CLASSES(X)
#undef X
};

static const char *const class_keys[] = {
#define X(e, s, k) k,
	KV_CLASSES(X)
#undef X
};

const char *kv_class_name(kv_class c)
{
	return c < KV_CLASS_COUNT ? class_names[c] : "?";
}

const char *kv_class_key(kv_class c)
{
	return c < KV_CLASS_COUNT ? class_keys[c] : "?";
}

typedef struct {
	char *key; /* group \0 kind \0 namespace \0 name [\0 folder] */
	size_t keylen;
	char *api_version;
	uint32_t file, line, col;
	uint32_t obj_line; /* the object's own line, to find it rendered */
	bool valid;   /* counted valid: a duplicate makes it invalid */
	bool applied; /* counted in its rendered form */
} ident;

typedef struct {
	kv_node *root;
	char *src;
	size_t srclen;
	uint32_t line0;
	bool load_errors;
} deferred;

typedef struct {
	kv_finding *findings;
	size_t n, cap;
	kv_summary sum;
	ident *ids;
	size_t nids, capids;
	kv_arena *darena;
	deferred *defs;
	size_t ndefs, capdefs;
	char **patch_refs;
	size_t npatch, cappatch;
	bool done, patch, unread;
	bool has_objects; /* the file holds Kubernetes objects (for render/unapplied) */
	uint32_t *bad_docs; /* lines of applied objects whose documents have YAML errors */
	size_t nbad, capbad;
	char *kept; /* the bytes phase A read, for phase B, within KEEP_BUDGET */
	size_t kept_len;
} file_state;

typedef struct {
	kv_reader *reader;
	kv_validator *validator;
	kv_arena *arena;
	kv_policy_runner *policy;
} worker;

typedef struct {
	kv_schema *schema;
	uint32_t file, seq;
} crd_entry;

/* Bytes phase A may keep for phase B, saving a second read of each file; small enough that
 * peak memory stays well within bounds. */
#define KEEP_BUDGET (16u << 20)

typedef struct {
	kv_source *src;
	kv_schemaset *set;
	const kv_check_opts *o;
	file_state *files;
	size_t nfiles;
	worker *workers;
	int phase;
	pthread_mutex_t mu;
	crd_entry *crds;
	size_t ncrds, capcrds;
	atomic_size_t kept; /* bytes held in file_state.kept */
	ck_render *cr;      /* the units rendered beside the files, or NULL */
	char **crd_kinds;   /* "group/Kind" of the CRDs in the checked files */
	size_t ncrd_kinds, capcrd_kinds;
} run;

/* Everything processing one document needs. */
typedef struct {
	run *r;
	worker *w;
	file_state *fs;
	uint32_t file;
	const kv_entry *e;
	kv_diags *d;
	const char *src;
	size_t srclen;
	uint32_t doc_line, doc_end;
	uint32_t seq;
	const char *cur; /* start of line cur_line in src: documents come in order */
	uint32_t cur_line;
	bool load_errors; /* the document itself has YAML errors (duplicate keys, aliases) */
	kv_exempt_ctx *ex; /* the diags' exemption context: which object findings concern */
} ctx;

/* A collector for file i, with the run's rules and exemptions. */
static void diags_init(run *r, kv_diags *d, uint32_t file, kv_exempt_ctx *ex)
{
	kv_diags_init(d, r->o->rules, file);
	memset(ex, 0, sizeof *ex);
	if (!r->o->exempt)
		return;
	ex->rules = r->o->exempt;
	ex->path = file < r->nfiles ? kv_source_entry(r->src, file)->display
				    : kv_source_note(r->src, file - r->nfiles)->path;
	ex->rel = file < r->nfiles ? kv_source_entry(r->src, file)->rel : NULL;
	d->exempt = kv_exempt_check;
	d->exempt_ud = ex;
}

/* ---- classification ---- */

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static bool is_kustomization_name(const char *path)
{
	const char *b = base_name(path);
	return strcmp(b, "kustomization.yaml") == 0 || strcmp(b, "kustomization.yml") == 0 ||
	       strcmp(b, "Kustomization") == 0;
}

static kv_class class_by_name(const char *path)
{
	const char *b = base_name(path);
	if (is_kustomization_name(path))
		return KV_CLASS_KUSTOMIZATION;
	if (strcmp(b, "Chart.yaml") == 0)
		return KV_CLASS_HELM_CHART;
	if (strncmp(b, "values", 6) == 0 && (kv_str_has_suffix(b, ".yaml") || kv_str_has_suffix(b, ".yml")))
		return KV_CLASS_HELM_VALUES;
	if (strcmp(b, ".sops.yaml") == 0)
		return KV_CLASS_SOPS_CONFIG;
	if (strcmp(b, ".kvet.yaml") == 0)
		return KV_CLASS_KVET_CONFIG;
	return KV_CLASS_OTHER;
}

/* ---- kustomize patches ---- */

static void add_patch_ref(ctx *c, const char *path)
{
	if (strchr(path, '\n') || strstr(path, "://"))
		return; /* an inline patch or a remote one */
	const char *rel = c->e->rel;
	const char *slash = strrchr(rel, '/');
	char *joined = slash ? kv_xasprintf("%.*s/%s", (int)(slash - rel), rel, path) : kv_xstrdup(path);
	char *norm = kv_path_normalize(joined);
	free(joined);
	if (!norm)
		return;
	KV_GROW(c->fs->patch_refs, c->fs->cappatch, c->fs->npatch + 1);
	c->fs->patch_refs[c->fs->npatch++] = norm;
}

static void collect_patches(ctx *c, const kv_node *k)
{
	static const char *const keys[] = {"patches", "patchesJson6902", "patchesStrategicMerge"};
	for (size_t i = 0; i < 3; i++) {
		const kv_node *list = kv_map_get(k, keys[i]);
		for (uint32_t j = 0; list && list->type == KV_LIST && j < list->len; j++) {
			const kv_node *item = list->u.items[j];
			const char *path = item->type == KV_STRING ? item->u.s : kv_str(kv_map_get(item, "path"));
			if (path)
				add_patch_ref(c, path);
		}
	}
}

/* ---- objects ---- */

/* Remembers the object's identity for the duplicate check; false when it has no name. */
static bool record_ident(ctx *c, const kv_objtype *t, const kv_node *obj, const kv_objref *ref)
{
	const kv_node *name = kv_map_get(kv_map_get(obj, "metadata"), "name");
	if (!ref->name)
		return false;
	const char *ns = t->scope == KV_SCOPE_CLUSTER ? "" : ref->ns ? ref->ns : "";
	file_state *fs = c->fs;
	KV_GROW(fs->ids, fs->capids, fs->nids + 1);
	kv_buf key = KV_BUF_INIT;
	kv_buf_add(&key, t->group, strlen(t->group) + 1);
	kv_buf_add(&key, t->kind, strlen(t->kind) + 1);
	kv_buf_add(&key, ns, strlen(ns) + 1);
	kv_buf_add(&key, ref->name, strlen(ref->name) + 1);
	/* A namespaced object that names no namespace lands wherever its reconciler puts it:
	 * folders are usually different apps, so such objects are compared within a folder. */
	if (t->scope != KV_SCOPE_CLUSTER && !ref->ns) {
		const char *slash = strrchr(c->e->rel, '/');
		kv_buf_add(&key, c->e->rel, slash ? (size_t)(slash - c->e->rel) : 0);
		kv_buf_putc(&key, '\0');
	}
	size_t len = key.len;
	fs->ids[fs->nids++] = (ident){kv_buf_detach(&key), len, kv_xstrdup(ref->api_version), c->file,
				      name->line, name->col, obj->line, false, false};
	return true;
}

static void defer_object(ctx *c, const kv_node *obj)
{
	file_state *fs = c->fs;
	if (!fs->darena)
		fs->darena = kv_arena_new();
	KV_GROW(fs->defs, fs->capdefs, fs->ndefs + 1);
	/* The document's own lines, so findings made in phase B still show their source. */
	if (!c->cur || c->cur_line > c->doc_line) {
		c->cur = c->src;
		c->cur_line = 1;
	}
	for (; c->cur && c->cur_line < c->doc_line; c->cur_line++) {
		c->cur = strchr(c->cur, '\n');
		c->cur = c->cur ? c->cur + 1 : NULL;
	}
	const char *start = c->cur;
	const char *end = start;
	for (uint32_t line = c->doc_line; end && line <= c->doc_end; line++) {
		end = strchr(end, '\n');
		end = end ? end + 1 : NULL;
	}
	size_t len = !start ? 0 : end ? (size_t)(end - start) : strlen(start);
	fs->defs[fs->ndefs++] = (deferred){
		kv_node_clone(fs->darena, obj),
		start ? kv_arena_strndup(fs->darena, start, len) : NULL,
		len,
		c->doc_line,
		c->load_errors,
	};
}

static bool is_crd_type(const kv_objtype *t);

static bool is_namespace_type(const kv_objtype *t)
{
	return !*t->group && strcmp(t->kind, "Namespace") == 0;
}

static bool is_admission_type(const kv_objtype *t)
{
	return strcmp(t->group, "admissionregistration.k8s.io") == 0 &&
	       (strcmp(t->kind, "ValidatingAdmissionPolicy") == 0 ||
		strcmp(t->kind, "ValidatingAdmissionPolicyBinding") == 0);
}

/* Phase A: what policies need from the whole repository before any object is checked. */
static void record_for_policies(ctx *c, const kv_node *obj, const kv_objtype *t)
{
	kv_policyset *ps = c->r->o->policies;
	if (!ps)
		return;
	bool ns = is_namespace_type(t), adm = is_admission_type(t), crd = is_crd_type(t);
	if (!ns && !adm && !crd)
		return;
	pthread_mutex_lock(&c->r->mu);
	if (ns)
		kv_policyset_add_namespace(ps, obj);
	else if (adm)
		kv_policyset_add_admission(ps, obj, c->file, c->e->display, c->src, c->srclen);
	else
		kv_policyset_add_crd(ps, obj);
	pthread_mutex_unlock(&c->r->mu);
}

static bool is_crd_type(const kv_objtype *t)
{
	return strcmp(t->group, "apiextensions.k8s.io") == 0 &&
	       strcmp(t->kind, "CustomResourceDefinition") == 0;
}

static void compile_crd(ctx *c, const kv_node *obj)
{
	kv_schema *s;
	if (kv_schema_compile_crds(&s, &obj, 1, c->e->display, c->d) < 0)
		return;
	run *r = c->r;
	const kv_node *spec = kv_map_get(obj, "spec");
	const char *group = kv_str(kv_map_get(spec, "group"));
	const char *kind = kv_str(kv_map_get(kv_map_get(spec, "names"), "kind"));
	pthread_mutex_lock(&r->mu);
	KV_GROW(r->crds, r->capcrds, r->ncrds + 1);
	r->crds[r->ncrds++] = (crd_entry){s, c->file, c->seq++};
	if (group && kind) {
		KV_GROW(r->crd_kinds, r->capcrd_kinds, r->ncrd_kinds + 1);
		r->crd_kinds[r->ncrd_kinds++] = kv_xasprintf("%s/%s", group, kind);
	}
	pthread_mutex_unlock(&r->mu);
	c->fs->sum.crds++;
}

/* Validates against the schema, and learns the kind's scope from it. */
static void validate_object(ctx *c, const kv_node *obj, kv_objtype *t, const kv_node *kind)
{
	kv_sref ref;
	unsigned flags = kv_map_get(obj, "sops") && kv_map_get(obj, "sops")->type == KV_MAP ? KV_VALIDATE_SOPS : 0;
	if (c->fs->patch)
		flags |= KV_VALIDATE_PATCH;
	if (kv_schemaset_find(c->r->set, t->group, t->version, t->kind, &ref)) {
		t->scope = ref.scope;
		kv_validate(c->w->validator, ref, obj, flags, c->d);
		return;
	}
	c->fs->sum.no_schema++;
	if (c->fs->patch)
		return;
	kv_buf hint = KV_BUF_INIT;
	kv_schemaset_suggest(c->r->set, t->group, t->version, t->kind, &hint);
	kv_diag(c->d, KV_RULE_SCHEMA_MISSING, kind->line, kind->col, NULL,
		hint.len ? kv_buf_cstr(&hint) : NULL, "no schema for %s%s%s %s", t->group,
		*t->group ? "/" : "", t->version, t->kind);
	kv_buf_free(&hint);
}

/* An object a unit renders is validated in its rendered form; the file pass only remembers
 * its identity, for duplicates between files. */
static void record_applied(ctx *c, const kv_node *obj, kv_objtype *t, const kv_objref *ref)
{
	kv_sref sref;
	if (kv_schemaset_find(c->r->set, t->group, t->version, t->kind, &sref))
		t->scope = sref.scope;
	if (!t->scope)
		t->scope = kv_k8s_builtin_scope(t->group, t->kind);
	if (record_ident(c, t, obj, ref))
		c->fs->ids[c->fs->nids - 1].applied = true;
	if (c->load_errors) {
		KV_GROW(c->fs->bad_docs, c->fs->capbad, c->fs->nbad + 1);
		c->fs->bad_docs[c->fs->nbad++] = obj->line;
	}
}

static void check_object(ctx *c, const kv_node *obj, const kv_objtype *parsed, const kv_node *kind)
{
	kv_objtype t = *parsed;
	const kv_node *meta = kv_map_get(obj, "metadata");
	kv_objref ref = {
		kv_str(kv_map_get(obj, "apiVersion")), t.kind,
		kv_str(kv_map_get(meta, "namespace")), kv_str(kv_map_get(meta, "name")),
	};
	bool crd = is_crd_type(&t);
	if (c->r->phase == 1)
		record_for_policies(c, obj, &t);
	if (c->r->phase == 1 && !crd) {
		defer_object(c, obj);
		return;
	}
	c->fs->has_objects = true;
	if (!crd && !c->fs->patch && ck_render_applied(c->r->cr, c->file)) {
		record_applied(c, obj, &t, &ref);
		return;
	}
	c->fs->sum.objects++;
	c->d->obj = &ref;
	if (c->ex)
		c->ex->obj = obj;
	uint32_t errors = c->d->count[KV_SEV_ERROR];
	if (crd && c->r->phase == 1)
		compile_crd(c, obj);
	uint32_t no_schema = c->fs->sum.no_schema;
	bool recorded = false;
	validate_object(c, obj, &t, kind);
	if (c->fs->patch) {
		c->fs->sum.patches_checked++;
	} else {
		if (!t.scope)
			t.scope = kv_k8s_builtin_scope(t.group, t.kind);
		kv_k8s_check(c->d, obj, &t);
		if (c->w->policy)
			kv_policy_check(c->w->policy, obj, &t, c->d);
		recorded = record_ident(c, &t, obj, &ref);
	}
	/* Valid, invalid and without a schema partition the objects. */
	if (c->fs->sum.no_schema == no_schema) {
		if (c->d->count[KV_SEV_ERROR] > errors || c->load_errors) {
			c->fs->sum.invalid++;
		} else {
			c->fs->sum.valid++;
			if (c->fs->nids && recorded)
				c->fs->ids[c->fs->nids - 1].valid = true;
		}
	}
	c->d->obj = NULL;
	if (c->ex)
		c->ex->obj = NULL;
}

/* apiVersion and kind must both be there, be strings, and be well-formed. */
static bool object_type(ctx *c, const kv_node *doc, kv_objtype *t, char *group, char *version,
			const kv_node **kind_out)
{
	const kv_node *av = kv_map_get(doc, "apiVersion"), *kind = kv_map_get(doc, "kind");
	const kv_node *at = av ? av : kind;
	if (!av || !kind) {
		kv_diag(c->d, KV_RULE_MANIFEST_TYPE, at->line, at->col, NULL,
			"a Kubernetes object needs both apiVersion and kind", "%s is missing",
			av ? "kind" : "apiVersion");
		return false;
	}
	if (av->type != KV_STRING || kind->type != KV_STRING) {
		const kv_node *bad = av->type != KV_STRING ? av : kind;
		kv_diag(c->d, KV_RULE_MANIFEST_TYPE, bad->line, bad->col, NULL, NULL,
			"%s must be a string, not %s", bad == av ? "apiVersion" : "kind",
			kv_type_phrase((kv_type)bad->type));
		return false;
	}
	if (kv_k8s_split_api_version(av->u.s, group, version, 256) < 0) {
		kv_diag(c->d, KV_RULE_MANIFEST_TYPE, av->line, av->col, NULL,
			"write group/version (apps/v1) or just version (v1) for the core group",
			"malformed apiVersion \"%s\"", av->u.s);
		return false;
	}
	const char *k = kind->u.s;
	bool ok = kind->len > 0 && ((k[0] >= 'A' && k[0] <= 'Z') || (k[0] >= 'a' && k[0] <= 'z'));
	for (uint32_t i = 0; ok && i < kind->len; i++)
		ok = (k[i] >= 'A' && k[i] <= 'Z') || (k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' && k[i] <= '9');
	if (!ok) {
		kv_diag(c->d, KV_RULE_MANIFEST_TYPE, kind->line, kind->col, NULL, NULL,
			"malformed kind \"%s\": a kind is a name of letters and digits", k);
		return false;
	}
	*t = (kv_objtype){group, version, k, 0};
	*kind_out = kind;
	return true;
}

static void count_class(ctx *c, kv_class cls)
{
	c->fs->sum.classes[cls]++;
}

static void check_document(ctx *c, const kv_node *doc);

static void check_list(ctx *c, const kv_node *items)
{
	for (uint32_t i = 0; i < items->len; i++)
		check_document(c, items->u.items[i]);
}

static void check_document(ctx *c, const kv_node *doc)
{
	kv_class by_name = class_by_name(c->e->rel);
	if (doc->type != KV_MAP) {
		count_class(c, c->fs->patch ? KV_CLASS_PATCH : by_name);
		return;
	}
	const kv_node *av = kv_map_get(doc, "apiVersion"), *kind = kv_map_get(doc, "kind");
	const char *avs = kv_str(av);
	bool kustomize_api = avs && strncmp(avs, "kustomize.config.k8s.io/", 24) == 0;
	if (avs && strncmp(avs, "kvet.dev/", 9) == 0) { /* a Policy or PolicyTest: kvet's, not the cluster's */
		count_class(c, KV_CLASS_KVET_POLICY);
		return;
	}
	if (kustomize_api || by_name == KV_CLASS_KUSTOMIZATION) {
		if (c->r->phase == 1)
			collect_patches(c, doc);
		count_class(c, KV_CLASS_KUSTOMIZATION);
		return;
	}
	/* Files that are never objects, whatever keys they hold (Chart.yaml has apiVersion: v2). */
	if ((!av && !kind) || by_name == KV_CLASS_HELM_CHART || by_name == KV_CLASS_SOPS_CONFIG ||
	    by_name == KV_CLASS_KVET_CONFIG) {
		count_class(c, by_name);
		return;
	}
	char group[256], version[256];
	kv_objtype t;
	const kv_node *kind_node;
	if (!object_type(c, doc, &t, group, version, &kind_node)) {
		c->fs->sum.objects++;
		c->fs->sum.invalid++;
		return;
	}
	/* kubectl applies the items of v1 List and of typed lists (RoleList...), never the list. */
	const kv_node *items = kv_map_get(doc, "items");
	if (kv_str_has_suffix(t.kind, "List") && items && items->type == KV_LIST) {
		check_list(c, items);
		return;
	}
	check_object(c, doc, &t, kind_node);
}

/* ---- files ---- */

/* Moves d's findings to the end of a growable array. */
static void append_findings(kv_finding **dst, size_t *len, size_t *cap, kv_diags *d)
{
	kv_finding *items;
	size_t n;
	kv_diags_take(d, &items, &n);
	if (n) {
		KV_GROW(*dst, *cap, *len + n);
		memcpy(*dst + *len, items, n * sizeof *items);
		*len += n;
	}
	free(items);
}

static void keep_findings(file_state *fs, kv_diags *d)
{
	for (int s = 0; s < KV_SEV_COUNT; s++)
		fs->sum.findings[s] += d->count[s];
	fs->sum.suppressed += d->suppressed;
	append_findings(&fs->findings, &fs->n, &fs->cap, d);
}

/* Files processed in phase A: those that may hold CRDs, and kustomizations (kustomize reads
 * only files of these names, so the name decides). */
static bool sniff(const kv_blob *b, const kv_entry *e)
{
	return is_kustomization_name(e->rel) || memmem(b->data, b->len, "CustomResourceDefinition", 24);
}

/* Does the text hold a line "kind: <kind>" (quoted or not)? */
static bool mentions_kind(const kv_blob *b, const char *kind)
{
	size_t n = strlen(kind);
	const char *p = b->data, *end = b->data + b->len;
	while ((p = memmem(p, (size_t)(end - p), kind, n)) != NULL) {
		const char *q = p;
		while (q > b->data && (q[-1] == ' ' || q[-1] == '"' || q[-1] == '\''))
			q--;
		bool after = p + n == end || !((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z'));
		if (after && q - b->data >= 5 && memcmp(q - 5, "kind:", 5) == 0)
			return true;
		p += n;
	}
	return false;
}

/* With policies: files that may hold what policies need from the whole repository
 * (Namespaces for namespaceObject, admission policies and bindings) are read once in phase
 * A for that alone; phase B checks them as any file. */
static bool policy_sniff(run *r, const kv_blob *b)
{
	return r->o->policies && (mentions_kind(b, "Namespace") || memmem(b->data, b->len, "ValidatingAdmissionPolicy", 25));
}

static void record_document(ctx *c, const kv_node *doc)
{
	char group[256], version[256];
	const char *av = kv_str(kv_map_get(doc, "apiVersion")), *kind = kv_str(kv_map_get(doc, "kind"));
	if (!av || !kind || kv_k8s_split_api_version(av, group, version, sizeof group) < 0)
		return;
	const kv_node *items = kv_map_get(doc, "items");
	if (kv_str_has_suffix(kind, "List") && items && items->type == KV_LIST) {
		for (uint32_t i = 0; i < items->len; i++)
			if (items->u.items[i]->type == KV_MAP)
				record_document(c, items->u.items[i]);
		return;
	}
	kv_objtype t = {group, version, kind, 0};
	record_for_policies(c, doc, &t);
}

static void record_only(run *r, worker *w, size_t i, const kv_blob *b)
{
	kv_diags d; /* the findings come in phase B */
	kv_diags_init(&d, NULL, (uint32_t)i);
	const kv_entry *e = kv_source_entry(r->src, i);
	ctx c = {.r = r, .w = w, .fs = &r->files[i], .file = (uint32_t)i, .e = e, .d = &d, .src = b->data,
		 .srclen = b->len};
	kv_loader *l = kv_loader_new(b->data, b->len, kv_syntax_for_path(e->display), &r->o->limits, &d);
	kv_doc doc;
	while (kv_loader_next(l, w->arena, &doc) == 1) {
		if (doc.root && doc.root->type == KV_MAP)
			record_document(&c, doc.root);
		kv_arena_reset(w->arena);
	}
	kv_loader_free(l);
	kv_diags_free(&d);
}

/* Reads entry i; a problem becomes a finding on the file. Returns 0 with b filled. */
static int read_entry(run *r, worker *w, size_t i, kv_blob *b, kv_diags *d)
{
	kv_buf err = KV_BUF_INIT;
	int rc = kv_reader_read(w->reader, i, r->o->limits.file_size, b, &err);
	if (rc == 1)
		kv_diag(d, KV_RULE_LIMIT_FILE_SIZE, 0, 0, NULL, "raise limits.fileSize if this is intended",
			"the file is %zu bytes, more than limits.fileSize (%llu)", b->len,
			(unsigned long long)r->o->limits.file_size);
	else if (rc < 0)
		kv_diag(d, KV_RULE_SOURCE_UNREADABLE, 0, 0, NULL, NULL, "cannot read: %s", kv_buf_cstr(&err));
	if (rc < 0)
		r->files[i].sum.io_error = true;
	if (rc != 0)
		r->files[i].unread = true;
	kv_buf_free(&err);
	return rc;
}

static void parse_and_check(run *r, worker *w, size_t i, const kv_blob *b, kv_diags *d, kv_exempt_ctx *ex)
{
	file_state *fs = &r->files[i];
	const kv_entry *e = kv_source_entry(r->src, i);
	ctx c = {.r = r, .w = w, .fs = fs, .file = (uint32_t)i, .e = e, .d = d, .src = b->data,
		 .srclen = b->len, .ex = ex};
	kv_loader *l = kv_loader_new(b->data, b->len, kv_syntax_for_path(e->display), &r->o->limits, d);
	kv_doc doc;
	uint32_t errors = d->count[KV_SEV_ERROR];
	while (kv_loader_next(l, w->arena, &doc) == 1) {
		c.doc_line = doc.line;
		c.doc_end = doc.end_line;
		c.load_errors = d->count[KV_SEV_ERROR] > errors;
		if (!doc.root)
			fs->sum.empty++;
		else {
			fs->sum.documents++;
			check_document(&c, doc.root);
		}
		kv_arena_reset(w->arena);
		errors = d->count[KV_SEV_ERROR];
	}
	kv_loader_free(l);
}

/* Holds a file's bytes for phase B while the budget lasts: a work-tree file's buffer changes
 * owner; a git blob, which belongs to this thread's repository handle, is copied. */
static void keep_bytes(run *r, file_state *fs, kv_blob *b)
{
	size_t used = atomic_fetch_add(&r->kept, b->len);
	if (used + b->len > KEEP_BUDGET) {
		atomic_fetch_sub(&r->kept, b->len);
		return;
	}
	if (!b->is_git && b->owner == b->data) {
		fs->kept = b->owner;
		b->owner = NULL;
	} else {
		fs->kept = kv_xstrndup(b->data, b->len);
	}
	fs->kept_len = b->len;
}

static void phase_a(void *ud, int wi, size_t i)
{
	run *r = ud;
	worker *w = &r->workers[wi];
	file_state *fs = &r->files[i];
	kv_diags d;
	kv_exempt_ctx ex;
	diags_init(r, &d, (uint32_t)i, &ex);
	kv_blob b;
	int rc = read_entry(r, w, i, &b, &d);
	if (rc != 0) {
		fs->done = true;
	} else if (sniff(&b, kv_source_entry(r->src, i))) {
		kv_diags_set_source(&d, b.data, b.len, 1);
		fs->done = true;
		fs->sum.files = 1;
		parse_and_check(r, w, i, &b, &d, &ex);
	} else if (policy_sniff(r, &b)) {
		record_only(r, w, i, &b);
	}
	if (rc == 0 && !fs->done)
		keep_bytes(r, fs, &b);
	if (rc == 0)
		kv_blob_release(&b);
	keep_findings(fs, &d);
	kv_diags_free(&d);
}

static void check_deferred(run *r, worker *w, size_t i)
{
	file_state *fs = &r->files[i];
	const kv_entry *e = kv_source_entry(r->src, i);
	for (size_t k = 0; k < fs->ndefs; k++) {
		deferred *df = &fs->defs[k];
		kv_diags d;
		kv_exempt_ctx ex;
		diags_init(r, &d, (uint32_t)i, &ex);
		if (df->src)
			kv_diags_set_source(&d, df->src, df->srclen, df->line0);
		ctx c = {.r = r, .w = w, .fs = fs, .file = (uint32_t)i, .e = e, .d = &d, .src = df->src,
			 .doc_line = df->line0, .doc_end = df->line0, .load_errors = df->load_errors, .ex = &ex};
		check_document(&c, df->root);
		keep_findings(fs, &d);
		kv_diags_free(&d);
	}
}

static void phase_b(void *ud, int wi, size_t i)
{
	run *r = ud;
	worker *w = &r->workers[wi];
	file_state *fs = &r->files[i];
	if (fs->done) {
		check_deferred(r, w, i);
		return;
	}
	kv_diags d;
	kv_exempt_ctx ex;
	diags_init(r, &d, (uint32_t)i, &ex);
	kv_blob b = {0};
	int rc = 0;
	if (fs->kept) {
		b.data = fs->kept;
		b.len = fs->kept_len;
	} else {
		rc = read_entry(r, w, i, &b, &d);
	}
	if (rc == 0) {
		kv_diags_set_source(&d, b.data, b.len, 1);
		fs->sum.files = 1;
		parse_and_check(r, w, i, &b, &d, &ex);
		if (fs->kept) {
			free(fs->kept);
			fs->kept = NULL;
		} else {
			kv_blob_release(&b);
		}
	}
	keep_findings(fs, &d);
	kv_diags_free(&d);
}

/* ---- rendered objects ---- */

/* Validates one rendered object as check_object validates a file's, into a collector whose
 * findings the render routes to the files their nodes come from. */
static void phase_render(void *ud, int wi, size_t i)
{
	run *r = ud;
	worker *w = &r->workers[wi];
	const ck_robj *o = ck_render_object(r->cr, i);
	const kv_node *obj = o->obj, *kind = kv_map_get(obj, "kind");
	const char *av = kv_str(kv_map_get(obj, "apiVersion"));
	char group[256], version[256];
	if (!av || !kv_str(kind) || kv_k8s_split_api_version(av, group, version, sizeof group) < 0)
		return; /* the file pass reports it */
	kv_objtype t = {group, version, kind->u.s, 0};
	const kv_node *meta = kv_map_get(obj, "metadata");
	kv_objref ref = {av, t.kind, kv_str(kv_map_get(meta, "namespace")), kv_str(kv_map_get(meta, "name"))};
	kv_diags d;
	kv_diags_init(&d, r->o->rules, 0);
	size_t len;
	const char *text = kv_render_file_text(ck_render_renderer(r->cr), obj->src, &len);
	if (text) /* the tokens type hints quote are read from the object's own file */
		kv_diags_set_source(&d, text, len, 1);
	d.obj = &ref;
	kv_sref sref;
	bool no_schema = !kv_schemaset_find(r->set, t.group, t.version, t.kind, &sref);
	if (!no_schema) {
		const kv_node *sops = kv_map_get(obj, "sops");
		t.scope = sref.scope;
		kv_validate(w->validator, sref, obj, sops && sops->type == KV_MAP ? KV_VALIDATE_SOPS : 0, &d);
	} else {
		kv_buf hint = KV_BUF_INIT;
		kv_schemaset_suggest(r->set, t.group, t.version, t.kind, &hint);
		kv_diag(&d, KV_RULE_SCHEMA_MISSING, kind->line, kind->col, NULL, hint.len ? kv_buf_cstr(&hint) : NULL,
			"no schema for %s%s%s %s", t.group, *t.group ? "/" : "", t.version, t.kind);
		kv_buf_free(&hint);
	}
	if (!t.scope)
		t.scope = kv_k8s_builtin_scope(t.group, t.kind);
	kv_k8s_check(&d, obj, &t);
	if (w->policy)
		kv_policy_check(w->policy, obj, &t, &d);
	const file_state *fs = o->entry < r->nfiles ? &r->files[o->entry] : NULL;
	bool bad = false;
	for (size_t k = 0; fs && k < fs->nbad && !bad; k++)
		bad = fs->bad_docs[k] == obj->line;
	ck_render_route(r->cr, o, &ref, &d, no_schema, bad);
	kv_diags_free(&d);
}

/* Rendering starts with the file pass and must be done before phase B, which leaves the
 * objects units render to the rendered pass. */
static void finish_render(run *r)
{
	if (!r->cr)
		return;
	bool *patch = kv_xcalloc(r->nfiles ? r->nfiles : 1, sizeof *patch);
	for (size_t i = 0; i < r->nfiles; i++)
		patch[i] = r->files[i].patch;
	ck_render_finish(r->cr, patch);
	free(patch);
}

static void check_rendered(run *r, int jobs)
{
	if (!r->cr)
		return;
	kv_parallel_for(ck_render_object_count(r->cr), jobs, phase_render, r);
	ck_render_checks(r->cr, r->set, (const char *const *)r->crd_kinds, r->ncrd_kinds);
	if (!ck_render_active(r->cr))
		return;
	for (size_t i = 0; i < r->nfiles; i++)
		if (r->files[i].has_objects && !r->files[i].patch && !ck_render_read(r->cr, i))
			ck_render_unapplied(r->cr, i);
}

/* ---- between and after the phases ---- */

static int crd_cmp(const void *a, const void *b)
{
	const crd_entry *x = a, *y = b;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void add_repo_crds(run *r)
{
	kv_sort(r->crds, r->ncrds, sizeof *r->crds, crd_cmp);
	for (size_t i = 0; i < r->ncrds; i++)
		kv_schemaset_add_repo(r->set, r->crds[i].schema);
	kv_schemaset_freeze(r->set);
}

/* Problems in the repository's admission policies become findings in their files. */
static void resolve_policies(run *r)
{
	kv_policy_problem *pr;
	size_t n;
	kv_policyset_resolve(r->o->policies, &pr, &n);
	for (size_t i = 0; i < n; i++) {
		file_state *fs = &r->files[pr[i].file];
		kv_diags d;
		kv_exempt_ctx ex;
		diags_init(r, &d, pr[i].file, &ex);
		if (pr[i].text)
			kv_diags_set_source(&d, pr[i].text, pr[i].len, 1);
		kv_diag(&d, pr[i].rule, pr[i].line, pr[i].col, NULL, NULL, "%s", pr[i].message);
		keep_findings(fs, &d);
		kv_diags_free(&d);
		free(pr[i].message);
	}
	free(pr);
}

/* Parameter objects of admission bindings, wherever they are: a pass over every document
 * (only when some binding takes parameters). */
static void collect_params_in(run *r, const kv_node *doc)
{
	char group[256], version[256];
	const char *av = kv_str(kv_map_get(doc, "apiVersion")), *kind = kv_str(kv_map_get(doc, "kind"));
	if (!av || !kind || kv_k8s_split_api_version(av, group, version, sizeof group) < 0)
		return;
	const kv_node *items = kv_map_get(doc, "items");
	if (kv_str_has_suffix(kind, "List") && items && items->type == KV_LIST) {
		for (uint32_t i = 0; i < items->len; i++)
			collect_params_in(r, items->u.items[i]);
		return;
	}
	if (!kv_policyset_wants_param(r->o->policies, group, kind))
		return;
	pthread_mutex_lock(&r->mu);
	kv_policyset_add_param(r->o->policies, doc);
	pthread_mutex_unlock(&r->mu);
}

static void phase_params(void *ud, int wi, size_t i)
{
	run *r = ud;
	worker *w = &r->workers[wi];
	file_state *fs = &r->files[i];
	for (size_t k = 0; k < fs->ndefs; k++)
		collect_params_in(r, fs->defs[k].root);
	if (fs->done)
		return;
	kv_blob b = {0};
	kv_buf err = KV_BUF_INIT;
	bool own = !fs->kept;
	if (fs->kept) {
		b.data = fs->kept;
		b.len = fs->kept_len;
	} else if (kv_reader_read(w->reader, i, r->o->limits.file_size, &b, &err) != 0) {
		kv_buf_free(&err);
		return; /* phase B reports it */
	}
	kv_diags d;
	kv_diags_init(&d, NULL, (uint32_t)i);
	kv_loader *l = kv_loader_new(b.data, b.len, kv_syntax_for_path(kv_source_entry(r->src, i)->display),
				     &r->o->limits, &d);
	kv_doc doc;
	while (kv_loader_next(l, w->arena, &doc) == 1) {
		if (doc.root && doc.root->type == KV_MAP)
			collect_params_in(r, doc.root);
		kv_arena_reset(w->arena);
	}
	kv_loader_free(l);
	kv_diags_free(&d);
	if (own)
		kv_blob_release(&b);
	kv_buf_free(&err);
}

static bool wants_params(run *r)
{
	kv_policyset *ps = r->o->policies;
	for (size_t i = 0; i < kv_policyset_count(ps); i++)
		if (kv_policy_takes_params(kv_policyset_at(ps, i)))
			return true;
	return false;
}

static void mark_patches(run *r)
{
	kv_map *refs = kv_map_new();
	for (size_t i = 0; i < r->nfiles; i++)
		for (size_t k = 0; k < r->files[i].npatch; k++)
			*kv_map_slot(refs, r->files[i].patch_refs[k], strlen(r->files[i].patch_refs[k]), NULL) = 1;
	for (size_t i = 0; i < r->nfiles; i++) {
		const char *rel = kv_source_entry(r->src, i)->rel;
		if (kv_map_count(refs) && kv_map_find(refs, rel, strlen(rel)))
			r->files[i].patch = true;
	}
	kv_map_free(refs);
}

static int ident_cmp(const void *a, const void *b)
{
	const ident *x = *(const ident *const *)a, *y = *(const ident *const *)b;
	size_t n = x->keylen < y->keylen ? x->keylen : y->keylen;
	int c = memcmp(x->key, y->key, n);
	if (c || x->keylen != y->keylen)
		return c ? c : (x->keylen < y->keylen ? -1 : 1);
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static void report_duplicate(run *r, const ident *first, ident *dup)
{
	/* Two environments' overlays or two clusters' units may well define the same object */
	if (ck_render_built(r->cr, first->file) && ck_render_built(r->cr, dup->file))
		return;
	const char *group = dup->key, *kind = group + strlen(group) + 1;
	const char *ns = kind + strlen(kind) + 1, *name = ns + strlen(ns) + 1;
	file_state *fs = &r->files[dup->file];
	kv_objref ref = {dup->api_version, kind, *ns ? ns : NULL, name};
	kv_diags d;
	kv_exempt_ctx ex;
	diags_init(r, &d, dup->file, &ex);
	d.obj = &ref;
	/* Written as kubectl writes a resource: Kind.group namespace/name. */
	kv_diag(&d, KV_RULE_K8S_DUPLICATE, dup->line, dup->col, "metadata.name",
		"the API server keeps only one of them: the one applied last",
		"%s%s%s %s%s%s is also defined at %s:%u", kind, *group ? "." : "", group, ns,
		*ns ? "/" : "", name, kv_source_entry(r->src, first->file)->display, first->line);
	if (dup->valid && d.count[KV_SEV_ERROR]) {
		fs->sum.valid--;
		fs->sum.invalid++;
		dup->valid = false;
	}
	if (dup->applied && d.count[KV_SEV_ERROR]) { /* the rendered pass counts it invalid */
		KV_GROW(fs->bad_docs, fs->capbad, fs->nbad + 1);
		fs->bad_docs[fs->nbad++] = dup->obj_line;
	}
	keep_findings(fs, &d);
	kv_diags_free(&d);
}

static void find_duplicates(run *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nfiles; i++)
		n += r->files[i].nids;
	ident **all = kv_xmalloc(sizeof *all * (n ? n : 1));
	size_t k = 0;
	for (size_t i = 0; i < r->nfiles; i++)
		for (size_t j = 0; j < r->files[i].nids; j++)
			all[k++] = &r->files[i].ids[j];
	kv_sort(all, n, sizeof *all, ident_cmp);
	for (size_t i = 1; i < n; i++) {
		size_t first = i - 1;
		while (i < n && all[i]->keylen == all[first]->keylen &&
		       memcmp(all[i]->key, all[first]->key, all[i]->keylen) == 0)
			report_duplicate(r, all[first], all[i++]);
	}
	free(all);
}

static void sum_into(kv_summary *t, const kv_summary *s)
{
	t->files += s->files;
	t->documents += s->documents;
	t->empty += s->empty;
	t->objects += s->objects;
	t->valid += s->valid;
	t->invalid += s->invalid;
	t->no_schema += s->no_schema;
	t->patches_checked += s->patches_checked;
	t->crds += s->crds;
	for (int i = 0; i < KV_CLASS_COUNT; i++)
		t->classes[i] += s->classes[i];
	for (int i = 0; i < KV_SEV_COUNT; i++)
		t->findings[i] += s->findings[i];
	t->suppressed += s->suppressed;
	t->io_error = t->io_error || s->io_error;
}

static void free_file(file_state *fs)
{
	for (size_t i = 0; i < fs->nids; i++) {
		free(fs->ids[i].key);
		free(fs->ids[i].api_version);
	}
	for (size_t i = 0; i < fs->npatch; i++)
		free(fs->patch_refs[i]);
	free(fs->ids);
	free(fs->patch_refs);
	free(fs->bad_docs);
	free(fs->defs);
	kv_arena_free(fs->darena);
}

static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Notes about entries not read join the findings, at the path they concern. */
static void add_notes(run *r, kv_result *out, kv_finding **all, size_t *n, size_t *cap)
{
	size_t notes = kv_source_note_count(r->src);
	for (size_t i = 0; i < notes; i++) {
		const kv_note *note = kv_source_note(r->src, i);
		kv_diags d;
		kv_exempt_ctx ex;
		diags_init(r, &d, (uint32_t)(r->nfiles + i), &ex);
		kv_diag(&d, note->rule, 0, 0, NULL, NULL, "%s", note->message);
		for (int s = 0; s < KV_SEV_COUNT; s++)
			out->summary.findings[s] += d.count[s];
		out->summary.suppressed += d.suppressed;
		if (note->rule == KV_RULE_SOURCE_UNREADABLE)
			out->summary.io_error = true;
		append_findings(all, n, cap, &d);
		kv_diags_free(&d);
		out->summary.skipped++;
	}
}

static void finding_key(kv_buf *k, const kv_finding *f)
{
	k->len = 0;
	kv_buf_printf(k, "%u:%u:%u:%d:%s:%s", f->file, f->line, f->col, (int)f->rule, f->rule_id ? f->rule_id : "",
		      f->message);
}

/* Findings on rendered objects join the files' findings; one already reported (the same file,
 * position, rule and message: a file's CRD, a base two overlays render) is dropped. */
static void merge_rendered(run *r, kv_result *out, kv_finding **all, size_t *n, size_t *cap)
{
	kv_finding *rf;
	size_t rn;
	ck_render_take(r->cr, &rf, &rn, &out->summary);
	kv_map *seen = kv_map_new();
	kv_buf key = KV_BUF_INIT;
	for (size_t i = 0; rn && i < *n; i++) {
		finding_key(&key, &(*all)[i]);
		kv_map_slot(seen, key.data, key.len, NULL);
	}
	for (size_t i = 0; i < rn; i++) {
		bool added;
		finding_key(&key, &rf[i]);
		kv_map_slot(seen, key.data, key.len, &added);
		if (!added) {
			kv_finding_free(&rf[i]);
			continue;
		}
		if (rf[i].suppressed)
			out->summary.suppressed++;
		else
			out->summary.findings[rf[i].severity]++;
		KV_GROW(*all, *cap, *n + 1);
		(*all)[(*n)++] = rf[i];
	}
	kv_buf_free(&key);
	kv_map_free(seen);
	free(rf);
}

/* Builds the sorted file table and renumbers findings into it. */
static void collect(run *r, kv_result *out)
{
	size_t notes = kv_source_note_count(r->src), extras = ck_render_extra_count(r->cr);
	size_t total = r->nfiles + notes + extras;
	char **names = kv_xcalloc(total ? total : 1, sizeof *names);
	for (size_t i = 0; i < r->nfiles; i++)
		names[i] = kv_source_entry(r->src, i)->display;
	for (size_t i = 0; i < notes; i++)
		names[r->nfiles + i] = kv_source_note(r->src, i)->path;
	for (size_t i = 0; i < extras; i++)
		names[r->nfiles + notes + i] = (char *)ck_render_extra_path(r->cr, i);
	char **sorted = kv_xmalloc(sizeof *sorted * (total ? total : 1));
	memcpy(sorted, names, sizeof *sorted * total);
	kv_sort(sorted, total, sizeof *sorted, path_cmp);
	size_t cap = 0, n = 0;
	kv_finding *all = NULL;
	for (size_t i = 0; i < r->nfiles; i++) {
		file_state *fs = &r->files[i];
		sum_into(&out->summary, &fs->sum);
		if (fs->n) {
			KV_GROW(all, cap, n + fs->n);
			memcpy(all + n, fs->findings, fs->n * sizeof *fs->findings);
			n += fs->n;
		}
		free(fs->findings);
		out->summary.skipped += fs->unread;
	}
	add_notes(r, out, &all, &n, &cap);
	merge_rendered(r, out, &all, &n, &cap);
	out->paths = kv_xcalloc(total ? total : 1, sizeof *out->paths);
	kv_map *index = kv_map_new();
	for (size_t i = 0; i < total; i++) {
		out->paths[i] = kv_xstrdup(sorted[i]);
		*kv_map_slot(index, sorted[i], strlen(sorted[i]), NULL) = i;
	}
	out->npaths = total;
	for (size_t i = 0; i < n; i++) {
		const char *p = names[all[i].file];
		all[i].file = (uint32_t)*kv_map_find(index, p, strlen(p));
	}
	kv_findings_sort(all, n);
	out->findings = all;
	out->nfindings = n;
	kv_map_free(index);
	free(sorted);
	free(names);
}

int kv_check_run(kv_source *src, kv_schemaset *set, const kv_check_opts *o, kv_result *out)
{
	memset(out, 0, sizeof *out);
	run r = {.src = src, .set = set, .o = o, .nfiles = kv_source_count(src)};
	r.files = kv_xcalloc(r.nfiles ? r.nfiles : 1, sizeof *r.files);
	pthread_mutex_init(&r.mu, NULL);
	int jobs = o->jobs > 0 ? o->jobs : 1;
	r.workers = kv_xcalloc((size_t)jobs, sizeof *r.workers);
	kv_vopts vo = o->vopts;
	vo.set = set;
	kv_schemaset_freeze(set);
	for (int i = 0; i < jobs; i++) {
		r.workers[i].reader = kv_reader_new(src);
		r.workers[i].arena = kv_arena_new();
		r.workers[i].validator = kv_validator_new(&vo);
		r.workers[i].policy = o->policies ? kv_policy_runner_new(o->policies) : NULL;
	}
	r.cr = ck_render_new(src, o);
	ck_render_start(r.cr);
	r.phase = 1;
	kv_parallel_for(r.nfiles, jobs, phase_a, &r);
	add_repo_crds(&r);
	mark_patches(&r);
	if (o->policies) {
		resolve_policies(&r);
		if (wants_params(&r))
			kv_parallel_for(r.nfiles, jobs, phase_params, &r);
	}
	finish_render(&r);
	r.phase = 2;
	kv_parallel_for(r.nfiles, jobs, phase_b, &r);
	find_duplicates(&r);
	check_rendered(&r, jobs);
	collect(&r, out);
	for (int i = 0; i < jobs; i++) {
		out->summary.templated += kv_validator_templated(r.workers[i].validator);
		if (r.workers[i].policy)
			out->summary.templated += kv_policy_runner_templated(r.workers[i].policy);
		kv_cel_counts cc;
		kv_validator_cel_counts(r.workers[i].validator, &cc);
		out->summary.cel_evaluated += cc.evaluated;
		out->summary.cel_transition += cc.transition;
		out->summary.cel_invalid += cc.invalid;
	}
	for (int i = 0; i < jobs; i++) {
		kv_reader_free(r.workers[i].reader);
		kv_arena_free(r.workers[i].arena);
		kv_validator_free(r.workers[i].validator);
		kv_policy_runner_free(r.workers[i].policy);
	}
	for (size_t i = 0; i < r.nfiles; i++)
		free_file(&r.files[i]);
	free(r.files);
	free(r.workers);
	free(r.crds);
	for (size_t i = 0; i < r.ncrd_kinds; i++)
		free(r.crd_kinds[i]);
	free(r.crd_kinds);
	ck_render_free(r.cr);
	pthread_mutex_destroy(&r.mu);
	return 0;
}

void kv_result_free(kv_result *r)
{
	for (size_t i = 0; i < r->nfindings; i++)
		kv_finding_free(&r->findings[i]);
	free(r->findings);
	for (size_t i = 0; i < r->npaths; i++)
		free(r->paths[i]);
	free(r->paths);
	memset(r, 0, sizeof *r);
}
