/* loc.c: turns schema locations into sources of a schema set. Documents are compiled once and
 * their compiled form kept in the cache, keyed by path and checked against a signature of the
 * file (size, mtime, inode; or the git blob id), so the next run maps it instead of parsing. */
#include "kvet/location.h"

#include "internal.h"
#include "kvet/alloc.h"
#include "kvet/fetch.h"
#include "kvet/fileutil.h"
#include "kvet/map.h"
#include "kvet/sort.h"
#include "kvet/strutil.h"
#include "kvet/yaml.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DOC (64u << 20)

/* ---- reading: the filesystem, or a revision's tree ---- */

typedef struct {
	kv_source *rev;
} fsys;

static int fs_kind(const fsys *f, const char *path)
{
	if (f->rev)
		return kv_source_rev_kind(f->rev, path);
	struct stat st;
	if (stat(path, &st) < 0)
		return 0;
	return S_ISDIR(st.st_mode) ? 2 : 1;
}

/* A file's identity and version, without reading it: size, modification time and inode. */
static bool stat_signature(const char *path, uint64_t *sig)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return false;
	uint64_t parts[4] = {(uint64_t)st.st_size, (uint64_t)st.st_mtim.tv_sec,
			     (uint64_t)st.st_mtim.tv_nsec, (uint64_t)st.st_ino};
	*sig = kv_hash(parts, sizeof parts);
	return true;
}

/* Reads path; sig receives a signature of the file's identity and version. */
static int fs_read(const fsys *f, const char *path, kv_buf *data, uint64_t *sig, kv_buf *err)
{
	if (f->rev) {
		char oid[64];
		int rc = kv_source_rev_read(f->rev, path, MAX_DOC, data, oid, err);
		if (rc == 1)
			kv_buf_printf(err, "%s: not in the revision, or larger than 64 MiB", path);
		*sig = kv_hash(oid, strlen(oid));
		return rc ? -1 : 0;
	}
	if (!stat_signature(path, sig)) {
		kv_buf_printf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	int rc = kv_file_read(path, MAX_DOC, data, err);
	if (rc == 1)
		kv_buf_printf(err, "%s: larger than 64 MiB", path);
	return rc ? -1 : 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_fs(const char *dir, int depth, char ***names, size_t *n, size_t *cap)
{
	DIR *d = depth < 32 ? opendir(dir) : NULL;
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *p = kv_path_join(dir, de->d_name);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			list_fs(p, depth + 1, names, n, cap);
			free(p);
		} else {
			KV_GROW(*names, *cap, *n + 1);
			(*names)[(*n)++] = p;
		}
	}
	closedir(d);
}

/* Every file below dir, sorted, so the folder compiles the same way every time. */
static void fs_list(const fsys *f, const char *dir, char ***names, size_t *n)
{
	*names = NULL;
	*n = 0;
	if (f->rev) {
		kv_source_rev_list(f->rev, dir, names, n);
		return;
	}
	size_t cap = 0;
	list_fs(dir, 0, names, n, &cap);
	kv_sort(*names, *n, sizeof **names, name_cmp);
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* ---- compiling documents ---- */

static void render_problems(kv_diags *d, const char *name, kv_buf *err)
{
	for (size_t i = 0; i < d->n; i++) {
		const kv_finding *f = &d->items[i];
		if (f->line)
			kv_buf_printf(err, "%s%s:%u:%u: %s", err->len ? "\n" : "", name, f->line, f->col,
				      f->message);
		else
			kv_buf_printf(err, "%s%s: %s", err->len ? "\n" : "", name, f->message);
	}
}

static bool is_crd(const kv_node *n)
{
	return kv_str_eq(kv_map_get(n, "kind"), "CustomResourceDefinition") &&
	       kv_str(kv_map_get(n, "apiVersion")) &&
	       strncmp(kv_str(kv_map_get(n, "apiVersion")), "apiextensions.k8s.io/", 21) == 0;
}

static void collect_crds(const kv_node *root, const kv_node ***crds, size_t *n, size_t *cap)
{
	if (is_crd(root)) {
		KV_GROW(*crds, *cap, *n + 1);
		(*crds)[(*n)++] = root;
		return;
	}
	const kv_node *items = kv_map_get(root, "items");
	if (kv_str_eq(kv_map_get(root, "kind"), "List") && items && items->type == KV_LIST)
		for (uint32_t i = 0; i < items->len; i++)
			collect_crds(items->u.items[i], crds, n, cap);
}

static kv_syntax sniff_syntax(const char *data, size_t len)
{
	size_t i = 0;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len && isspace((unsigned char)data[i]))
		i++;
	return i < len && data[i] == '{' ? KV_SYNTAX_JSON : KV_SYNTAX_YAML;
}

static void describe_doc(const kv_node *root, kv_docinfo *info)
{
	const kv_node *i = kv_map_get(root, "info");
	info->kubernetes = kv_str_eq(kv_map_get(i, "title"), "Kubernetes");
	const char *v = kv_str(kv_map_get(i, "version"));
	if (!v || strcmp(v, "master") == 0 || kv_k8s_version_normalize(v, info->version) < 0)
		info->version[0] = '\0';
}

int kv_schemadoc_compile(kv_schema **out, const char *data, size_t len, const char *name,
			 kv_docinfo *info, kv_buf *err)
{
	*out = NULL;
	if (info)
		*info = (kv_docinfo){false, ""};
	kv_limits lim;
	kv_limits_default(&lim);
	lim.depth = 1024;
	kv_arena *arena = kv_arena_new();
	kv_diags d;
	kv_diags_init(&d, NULL, 0);
	kv_loader *l = kv_loader_new(data, len, sniff_syntax(data, len), &lim, &d);
	const kv_node **crds = NULL;
	size_t ncrds = 0, cap = 0;
	kv_doc doc;
	int rc = -1, more;
	bool openapi = false;
	/* Documents stay in one arena: CRDs are compiled together at the end. */
	while ((more = kv_loader_next(l, arena, &doc)) == 1) {
		if (!doc.root)
			continue;
		if (kv_map_get(doc.root, "swagger") || kv_map_get(doc.root, "openapi")) {
			rc = kv_schema_compile_openapi(out, doc.root, name, &d);
			if (info)
				describe_doc(doc.root, info);
			openapi = true;
			break;
		}
		collect_crds(doc.root, &crds, &ncrds, &cap);
	}
	if (!openapi && more == 0) {
		if (ncrds)
			rc = kv_schema_compile_crds(out, crds, ncrds, name, &d);
		else if (!d.n)
			kv_diag(&d, KV_RULE_SCHEMA_INVALID, 0, 0, NULL, NULL,
				"not a schema document: no OpenAPI definitions and no CustomResourceDefinition");
	}
	if (d.n && (rc < 0 || d.count[KV_SEV_ERROR]))
		render_problems(&d, name, err);
	if (rc == 0 && d.count[KV_SEV_ERROR]) {
		kv_schema_free(*out);
		*out = NULL;
		rc = -1;
	}
	free(crds);
	kv_loader_free(l);
	kv_diags_free(&d);
	kv_arena_free(arena);
	return rc;
}

/* ---- the compiled cache ---- */

static char *cache_file(const char *cache_dir, const char *sub, const char *key, const char *ext)
{
	char *dir = kv_path_join(cache_dir, sub);
	char *path = kv_xasprintf("%s/%016llx%s", dir, (unsigned long long)kv_hash(key, strlen(key)), ext);
	kv_mkdirs(dir);
	free(dir);
	return path;
}

/* The compiled form of a document from the cache, when its signature matches; else NULL. */
static kv_schema *cached(const kv_location_opts *o, const char *key, uint64_t sig)
{
	if (!o->cache_dir)
		return NULL;
	char *path = cache_file(o->cache_dir, "compiled", key, ".kvs");
	kv_schema *s = NULL;
	kv_buf ignored = KV_BUF_INIT;
	if (kv_schema_open(&s, path, &ignored) == 0 && kv_schema_signature(s) != sig) {
		kv_schema_free(s);
		s = NULL;
	}
	kv_buf_free(&ignored);
	free(path);
	return s;
}

/* Compiles a document and keeps the compiled form in the cache. */
static int compile_cached(kv_schema **out, const kv_location_opts *o, const char *key,
			  uint64_t sig, const char *data, size_t len, const char *name, kv_buf *err)
{
	*out = cached(o, key, sig);
	if (*out)
		return 0;
	int rc = kv_schemadoc_compile(out, data, len, name, NULL, err);
	if (rc == 0 && o->cache_dir) {
		char *path = cache_file(o->cache_dir, "compiled", key, ".kvs");
		kv_buf ignored = KV_BUF_INIT;
		kv_schema_save(*out, path, sig, &ignored); /* a cache that cannot be written is no error */
		kv_buf_free(&ignored);
		free(path);
	}
	return rc;
}

/* ---- locations ---- */

static char *resolve_path(const kv_location_opts *o, const char *loc)
{
	if (loc[0] == '/' || !o->base_dir || !*o->base_dir || strcmp(o->base_dir, ".") == 0)
		return kv_xstrdup(loc);
	return kv_path_join(o->base_dir, loc);
}

/* A document is checked cheaply before compiling: only a map or stream can be a schema. */
static int add_file(kv_schemaset *set, const fsys *f, const char *path, const kv_location_opts *o,
		    kv_buf *err)
{
	char real[PATH_MAX];
	const char *keypath = !f->rev && realpath(path, real) ? real : path;
	char *key = kv_xasprintf("%s:%s", f->rev ? "rev" : "file", keypath);
	uint64_t sig;
	/* A work-tree file is read only when its compiled form is missing or stale. */
	kv_schema *s = !f->rev && stat_signature(path, &sig) ? cached(o, key, sig) : NULL;
	int rc = 0;
	if (!s) {
		kv_buf data = KV_BUF_INIT;
		rc = fs_read(f, path, &data, &sig, err);
		if (rc == 0)
			rc = compile_cached(&s, o, key, sig, data.data ? data.data : "", data.len, path, err);
		kv_buf_free(&data);
	}
	free(key);
	if (rc == 0)
		kv_schemaset_add(set, s);
	return rc;
}

static bool is_yaml_name(const char *p)
{
	return kv_str_has_suffix(p, ".yaml") || kv_str_has_suffix(p, ".yml");
}

/* CRD manifests in the folder's YAML files, compiled together. */
static int add_folder_crds(kv_schemaset *set, const fsys *f, const char *dir,
			   const kv_location_opts *o, kv_buf *err)
{
	char **names;
	size_t n;
	fs_list(f, dir, &names, &n);
	kv_buf all = KV_BUF_INIT;
	uint64_t sig = 0;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!is_yaml_name(names[i]))
			continue;
		kv_buf data = KV_BUF_INIT;
		uint64_t s;
		rc = fs_read(f, names[i], &data, &s, err);
		if (rc == 0 && memmem(data.data ? data.data : "", data.len, "CustomResourceDefinition", 24)) {
			kv_buf_add(&all, "\n---\n", 5);
			kv_buf_add(&all, data.data, data.len);
			sig = sig * 31 + s;
		}
		kv_buf_free(&data);
	}
	free_names(names, n);
	if (rc == 0 && all.len) {
		char *key = kv_xasprintf("folder:%s", dir);
		kv_schema *s;
		rc = compile_cached(&s, o, key, sig, all.data, all.len, dir, err);
		free(key);
		if (rc == 0)
			kv_schemaset_add(set, s);
	}
	kv_buf_free(&all);
	return rc;
}

/* ---- lazily read templates ---- */

typedef struct {
	char *tmpl;
	bool url;
	fsys fs;
	char *cache_dir;
	bool offline;
	char *k8sver;
	pthread_mutex_t mu;
	kv_map *seen; /* "g/v/k" -> schema index + 1, or 0 for a miss */
	kv_schema **schemas;
	size_t n, cap;
	/* Documents referenced by $ref while compiling one schema. */
	kv_arena *docs;
	kv_map *docmap;
	char *current; /* the file being compiled, for relative $refs */
} lazy;

static void put_lower(kv_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kv_buf_putc(b, (char)tolower((unsigned char)s[i]));
}

static void put_var(kv_buf *b, const char *name, size_t len, const char *g, const char *v,
		    const char *k, const char *k8sver)
{
	size_t gp = strcspn(g, ".");
#define IS(lit) (len == sizeof(lit) - 1 && memcmp(name, lit, len) == 0)
	if (IS("kind") || IS("ResourceKind"))
		put_lower(b, k, strlen(k));
	else if (IS("Kind"))
		kv_buf_puts(b, k);
	else if (IS("group") || IS("Group"))
		kv_buf_puts(b, g);
	else if (IS("groupPrefix"))
		kv_buf_add(b, g, gp);
	else if (IS("version") || IS("ResourceAPIVersion"))
		kv_buf_puts(b, v);
	else if (IS("kindSuffix") || IS("KindSuffix")) {
		kv_buf_putc(b, '-');
		if (*g) {
			put_lower(b, g, gp);
			kv_buf_putc(b, '-');
		}
		kv_buf_puts(b, v);
	} else if (IS("kubernetesVersion") || IS("NormalizedKubernetesVersion"))
		kv_buf_puts(b, k8sver);
	else if (IS("strictSuffix") || IS("StrictSuffix"))
		kv_buf_puts(b, "-strict");
	else
		kv_buf_add(b, name - 1, len + 2); /* unknown: left as written */
#undef IS
}

/* Expands {name} and {{ .Name }} placeholders. */
static char *expand(const char *t, const char *g, const char *v, const char *k, const char *k8sver)
{
	kv_buf b = KV_BUF_INIT;
	while (*t) {
		bool go = t[0] == '{' && t[1] == '{';
		const char *end = go ? strstr(t, "}}") : t[0] == '{' ? strchr(t, '}') : NULL;
		if (!end) {
			kv_buf_putc(&b, *t++);
			continue;
		}
		const char *name = t + (go ? 2 : 1);
		const char *e = end;
		while (name < e && (*name == ' ' || *name == '.'))
			name++;
		while (e > name && e[-1] == ' ')
			e--;
		put_var(&b, name, (size_t)(e - name), g, v, k, k8sver);
		t = end + (go ? 2 : 1);
	}
	return kv_buf_detach(&b);
}

static bool has_template(const char *loc)
{
	return strchr(loc, '{') && strchr(loc, '}');
}

static bool is_url(const char *loc)
{
	return strncmp(loc, "http://", 7) == 0 || strncmp(loc, "https://", 8) == 0 ||
	       strncmp(loc, "file://", 7) == 0;
}

/* A URL's body, from the cache's http/ folder when present; downloaded (unless offline) and
 * stored otherwise. Returns 0, 1 when absent, -1 on error. */
static int fetch_cached(const char *cache_dir, bool offline, const char *url, kv_buf *body,
			kv_buf *err)
{
	char *path = cache_dir && strncmp(url, "file://", 7) != 0 ? cache_file(cache_dir, "http", url, ".doc") : NULL;
	uint64_t sig;
	fsys plain = {NULL};
	if (path && fs_kind(&plain, path) == 1) {
		kv_buf ignored = KV_BUF_INIT;
		int rc = fs_read(&plain, path, body, &sig, &ignored);
		kv_buf_free(&ignored);
		if (rc == 0) {
			free(path);
			return 0;
		}
	}
	if (offline && strncmp(url, "file://", 7) != 0) {
		kv_buf_printf(err, "%s: not in the cache, and --offline forbids downloading it", url);
		free(path);
		return -1;
	}
	int rc = kv_fetch(url, MAX_DOC, body, err);
	if (rc == 0 && path) {
		kv_buf ignored = KV_BUF_INIT;
		kv_file_write_atomic(path, body->data ? body->data : "", body->len, &ignored);
		kv_buf_free(&ignored);
	}
	free(path);
	return rc;
}

static int lazy_read(lazy *z, const char *where, kv_buf *body)
{
	kv_buf err = KV_BUF_INIT;
	int rc;
	if (z->url) {
		rc = fetch_cached(z->cache_dir, z->offline, where, body, &err);
	} else {
		uint64_t sig;
		rc = fs_kind(&z->fs, where) == 1 ? fs_read(&z->fs, where, body, &sig, &err) : 1;
	}
	kv_buf_free(&err);
	return rc;
}

static char *sibling(const char *of, const char *path)
{
	const char *slash = strrchr(of, '/');
	if (path[0] == '/' || is_url(path) || !slash)
		return kv_xstrdup(path);
	return kv_xasprintf("%.*s/%s", (int)(slash - of), of, path);
}

/* Resolves "other.json" in "$ref: other.json#/definitions/x", next to the current file. */
static const kv_node *lazy_resolve(void *ud, const char *path)
{
	lazy *z = ud;
	char *where = sibling(z->current, path);
	uint64_t *slot = kv_map_find(z->docmap, where, strlen(where));
	if (slot) {
		free(where);
		return (const kv_node *)(uintptr_t)*slot;
	}
	kv_buf body = KV_BUF_INIT;
	const kv_node *root = NULL;
	if (lazy_read(z, where, &body) == 0) {
		kv_limits lim;
		kv_limits_default(&lim);
		lim.depth = 1024;
		kv_diags d;
		kv_diags_init(&d, NULL, 0);
		char *copy = kv_arena_strndup(z->docs, body.data ? body.data : "", body.len);
		kv_loader *l = kv_loader_new(copy, body.len, sniff_syntax(copy, body.len), &lim, &d);
		kv_doc doc;
		if (kv_loader_next(l, z->docs, &doc) == 1)
			root = doc.root;
		kv_loader_free(l);
		kv_diags_free(&d);
	}
	*kv_map_slot(z->docmap, where, strlen(where), NULL) = (uintptr_t)root;
	kv_buf_free(&body);
	free(where);
	return root;
}

static kv_schema *lazy_load(lazy *z, const char *g, const char *v, const char *k)
{
	z->current = expand(z->tmpl, g, v, k, z->k8sver);
	z->docs = kv_arena_new();
	z->docmap = kv_map_new();
	const kv_node *root = lazy_resolve(z, z->current);
	kv_schema *s = NULL;
	if (root) {
		kv_diags d;
		kv_diags_init(&d, NULL, 0);
		if (kv_schema_compile_jsonschema(&s, root, g, v, k, z->current, lazy_resolve, z, &d) < 0)
			s = NULL;
		kv_diags_free(&d);
	}
	kv_map_free(z->docmap);
	kv_arena_free(z->docs);
	free(z->current);
	z->current = NULL;
	return s;
}

static const kv_schema *lazy_find(void *ud, const char *g, const char *v, const char *k)
{
	lazy *z = ud;
	char key[768];
	int n = snprintf(key, sizeof key, "%s/%s/%s", g, v, k);
	if (n < 0 || (size_t)n >= sizeof key)
		return NULL;
	pthread_mutex_lock(&z->mu);
	bool added;
	uint64_t *slot = kv_map_slot(z->seen, key, (size_t)n, &added);
	if (added) {
		kv_schema *s = lazy_load(z, g, v, k);
		slot = kv_map_find(z->seen, key, (size_t)n);
		if (s) {
			KV_GROW(z->schemas, z->cap, z->n + 1);
			z->schemas[z->n++] = s;
			*slot = z->n;
		}
	}
	const kv_schema *found = *slot ? z->schemas[*slot - 1] : NULL;
	pthread_mutex_unlock(&z->mu);
	return found;
}

static void lazy_free(void *ud)
{
	lazy *z = ud;
	for (size_t i = 0; i < z->n; i++)
		kv_schema_free(z->schemas[i]);
	free(z->schemas);
	kv_map_free(z->seen);
	pthread_mutex_destroy(&z->mu);
	free(z->tmpl);
	free(z->cache_dir);
	free(z->k8sver);
	free(z);
}

static void add_lazy(kv_schemaset *set, const char *tmpl, const fsys *f, const kv_location_opts *o)
{
	lazy *z = kv_xcalloc(1, sizeof *z);
	z->url = is_url(tmpl);
	z->tmpl = kv_xstrdup(tmpl);
	z->fs = *f;
	z->cache_dir = o->cache_dir ? kv_xstrdup(o->cache_dir) : NULL;
	z->offline = o->offline;
	char ver[32];
	z->k8sver = kv_xstrdup(o->kubernetes_version &&
					       kv_k8s_version_normalize(o->kubernetes_version, ver) == 0
				       ? ver
				       : "master");
	pthread_mutex_init(&z->mu, NULL);
	z->seen = kv_map_new();
	kv_schemaset_add_lazy(set, lazy_find, z, lazy_free);
}

static int add_url(kv_schemaset *set, const char *url, const kv_location_opts *o, kv_buf *err)
{
	kv_buf body = KV_BUF_INIT;
	int rc = fetch_cached(o->cache_dir, o->offline, url, &body, err);
	if (rc == 1)
		kv_buf_printf(err, "%s: not found", url);
	kv_schema *s = NULL;
	if (rc == 0)
		rc = kv_schemadoc_compile(&s, body.data ? body.data : "", body.len, url, NULL, err);
	kv_buf_free(&body);
	if (rc == 0)
		kv_schemaset_add(set, s);
	return rc ? -1 : 0;
}

/* ---- the cache location ---- */

int kv_k8s_version_normalize(const char *in, char *out)
{
	if (strcmp(in, "master") == 0) {
		strcpy(out, "master");
		return 0;
	}
	const char *p = in[0] == 'v' ? in + 1 : in;
	unsigned a, b, c = 0;
	char tail;
	if (!*p || strspn(p, "0123456789.") != strlen(p) || p[strlen(p) - 1] == '.')
		return -1;
	if (sscanf(p, "%3u.%3u.%3u%c", &a, &b, &c, &tail) != 3 &&
	    (c = 0, sscanf(p, "%3u.%3u%c", &a, &b, &tail) != 2))
		return -1;
	snprintf(out, 32, "v%u.%u.%u", a, b, c);
	return 0;
}

static int version_cmp(const char *x, const char *y)
{
	unsigned a[3] = {0}, b[3] = {0};
	sscanf(x, "v%u.%u.%u", &a[0], &a[1], &a[2]);
	sscanf(y, "v%u.%u.%u", &b[0], &b[1], &b[2]);
	for (int i = 0; i < 3; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return strcmp(x, y);
}

/* The newest cached Kubernetes version, into out (32 bytes); -1 when none. */
static int newest_version(const char *cache_dir, char *out)
{
	char *dir = kv_path_join(cache_dir, "kubernetes");
	DIR *d = opendir(dir);
	free(dir);
	if (!d)
		return -1;
	out[0] = '\0';
	struct dirent *de;
	char norm[32];
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] == 'v' && kv_k8s_version_normalize(de->d_name, norm) == 0 &&
		    strcmp(norm, de->d_name) == 0 && (!out[0] || version_cmp(de->d_name, out) > 0))
			snprintf(out, 32, "%s", norm);
	closedir(d);
	return out[0] ? 0 : -1;
}

/* The compiled spec of one cached version, recompiled from the raw document when the compiled
 * form is missing or was written by another kvet version. */
static int open_kubernetes(kv_schema **out, const char *cache_dir, const char *version, kv_buf *err)
{
	char *kvs = kv_xasprintf("%s/kubernetes/%s/schema.kvs", cache_dir, version);
	char *raw = kv_xasprintf("%s/kubernetes/%s/swagger.json", cache_dir, version);
	kv_buf ignored = KV_BUF_INIT;
	int rc = kv_schema_open(out, kvs, &ignored);
	if (rc < 0) {
		kv_buf data = KV_BUF_INIT;
		uint64_t sig;
		fsys plain = {NULL};
		rc = fs_read(&plain, raw, &data, &sig, err);
		if (rc == 0)
			rc = kv_schemadoc_compile(out, data.data ? data.data : "", data.len, raw, NULL, err);
		if (rc == 0)
			kv_schema_save(*out, kvs, 0, &ignored);
		kv_buf_free(&data);
	}
	kv_buf_free(&ignored);
	free(kvs);
	free(raw);
	return rc;
}

static int add_documents(kv_schemaset *set, const char *cache_dir)
{
	char *dir = kv_path_join(cache_dir, "documents");
	char **names;
	size_t n;
	fsys plain = {NULL};
	fs_list(&plain, dir, &names, &n);
	free(dir);
	for (size_t i = 0; i < n; i++) {
		kv_schema *s;
		kv_buf ignored = KV_BUF_INIT;
		if (kv_str_has_suffix(names[i], ".kvs") && kv_schema_open(&s, names[i], &ignored) == 0)
			kv_schemaset_add(set, s);
		kv_buf_free(&ignored);
	}
	free_names(names, n);
	return 0;
}

static int add_cache(kv_schemaset *set, const kv_location_opts *o, kv_buf *err)
{
	if (!o->cache_dir) {
		kv_buf_puts(err, "no schema cache: set XDG_CACHE_HOME or HOME, or pass --schema-location");
		return -1;
	}
	char version[32];
	if (o->kubernetes_version) {
		if (kv_k8s_version_normalize(o->kubernetes_version, version) < 0) {
			kv_buf_printf(err, "\"%s\" is not a Kubernetes version (like 1.35.0)", o->kubernetes_version);
			return -1;
		}
	} else if (newest_version(o->cache_dir, version) < 0) {
		kv_buf_printf(err, "no Kubernetes schema in the cache (%s): run `kvet schemas pull`, "
				   "or pass --schema-location", o->cache_dir);
		return -1;
	}
	char *dir = kv_xasprintf("%s/kubernetes/%s", o->cache_dir, version);
	fsys plain = {NULL};
	bool present = fs_kind(&plain, dir) == 2;
	free(dir);
	if (!present) {
		kv_buf_printf(err, "Kubernetes %s is not in the cache (%s): run `kvet schemas pull "
				   "--kubernetes-version %s`", version, o->cache_dir, version + 1);
		return -1;
	}
	kv_schema *s;
	if (open_kubernetes(&s, o->cache_dir, version, err) < 0)
		return -1;
	kv_schemaset_add(set, s);
	return add_documents(set, o->cache_dir);
}

int kv_location_add(kv_schemaset *set, const char *loc, const kv_location_opts *o, kv_buf *err)
{
	if (strcmp(loc, "cache") == 0 || strcmp(loc, "default") == 0)
		return add_cache(set, o, err);
	fsys f = {o->rev && !is_url(loc) && loc[0] != '/' ? o->rev : NULL};
	if (has_template(loc)) {
		char *t = is_url(loc) ? kv_xstrdup(loc) : resolve_path(o, loc);
		add_lazy(set, t, &f, o);
		free(t);
		return 0;
	}
	if (is_url(loc))
		return add_url(set, loc, o, err);
	char *path = resolve_path(o, loc);
	int kind = fs_kind(&f, path), rc;
	if (kind == 0) {
		kv_buf_printf(err, "schema location %s does not exist", path);
		rc = -1;
	} else if (kind == 2) {
		rc = add_folder_crds(set, &f, path, o, err);
		char *t = kv_path_join(path, "{kind}{kindSuffix}.json");
		add_lazy(set, t, &f, o);
		free(t);
	} else {
		rc = add_file(set, &f, path, o, err);
	}
	free(path);
	return rc;
}
