/* fs.c: the files a render reads: a work tree below its root, or the tree of a git
 * revision. Every path is relative to the root and normalized first; one that climbs out of
 * it, or a work-tree symbolic link that leads out of it, is refused with a problem. Each file
 * is read once and numbered, so trees can say where every node came from. */
#include "internal.h"

#include "kvet/alloc.h"
#include "kvet/fileutil.h"
#include "kvet/sort.h"
#include "kvet/strutil.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void rn_problem(kv_render *r, uint16_t src, const kv_node *at, kv_rule rule, const char *hint,
		const char *fmt, ...)
{
	KV_GROW(r->problems, r->capproblems, r->nproblems + 1);
	kv_render_problem *p = &r->problems[r->nproblems++];
	kv_buf b = KV_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kv_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	uint16_t file = at && at->src ? at->src : src;
	*p = (kv_render_problem){
		.path = file && file <= r->nfiles ? r->files[file - 1].path : "",
		.line = at ? at->line : 0,
		.col = at ? at->col : 0,
		.rule = rule,
		.message = kv_buf_detach(&b),
		.hint = hint ? kv_xstrdup(hint) : NULL,
	};
}

void rn_problem_path(kv_render *r, const char *path, kv_rule rule, const char *hint, const char *fmt, ...)
{
	KV_GROW(r->problems, r->capproblems, r->nproblems + 1);
	kv_render_problem *p = &r->problems[r->nproblems++];
	kv_buf b = KV_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kv_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	*p = (kv_render_problem){
		.path = kv_arena_strndup(r->arena, path, strlen(path)),
		.rule = rule,
		.message = kv_buf_detach(&b),
		.hint = hint ? kv_xstrdup(hint) : NULL,
	};
}

size_t kv_render_problem_count(const kv_render *r)
{
	return r->nproblems;
}

const kv_render_problem *kv_render_problem_at(const kv_render *r, size_t i)
{
	return &r->problems[i];
}

const char *kv_render_file_path(const kv_render *r, uint16_t src)
{
	return src && src <= r->nfiles ? r->files[src - 1].path : NULL;
}

const char *kv_render_file_text(const kv_render *r, uint16_t src, size_t *len)
{
	if (!src || src > r->nfiles)
		return NULL;
	*len = r->files[src - 1].len;
	return r->files[src - 1].text;
}

char *rn_path_child(const char *dir, const char *name)
{
	return *dir ? kv_xasprintf("%s/%s", dir, name) : kv_xstrdup(name);
}

bool rn_path_below(const char *path, const char *dir, size_t dirlen)
{
	return dirlen == 0 || (strncmp(path, dir, dirlen) == 0 && (path[dirlen] == '/' || path[dirlen] == '\0'));
}

char *rn_path_join(kv_render *r, const char *dir, const char *rel, uint16_t src, const kv_node *at)
{
	if (rel[0] == '/') {
		rn_problem(r, src, at, KV_RULE_RENDER_PATH, NULL,
			   "%s is an absolute path: kustomizations name files relative to their folder", rel);
		return NULL;
	}
	char *joined = rn_path_child(dir, rel);
	char *norm = kv_path_normalize(joined);
	free(joined);
	if (!norm) {
		rn_problem(r, src, at, KV_RULE_RENDER_PATH, NULL,
			   "%s leads out of the repository: kvet reads nothing outside it", rel);
		return NULL;
	}
	return norm;
}

/* The work-tree path of rel; NULL when a symbolic link on the way leads out of the root. */
static char *worktree_path(kv_render *r, const char *rel)
{
	char *full = *rel ? kv_xasprintf("%s/%s", r->o.root, rel) : kv_xstrdup(r->o.root);
	char real[PATH_MAX];
	if (!realpath(full, real))
		return full; /* absent: the caller says so */
	size_t n = strlen(r->root_real);
	if (strncmp(real, r->root_real, n) != 0 || (real[n] != '\0' && real[n] != '/')) {
		free(full);
		return NULL;
	}
	return full;
}

/* What a work tree path is, as far as known: kinds are cached per path (value: kind + 1, plus
 * SAFE when the path is no symbolic link and lies in a folder known to be in the repository,
 * so reading it needs no realpath). Listing a folder fills the cache for its entries. */
#define SAFE 0x100u
#define ESCAPES 0x200u /* a symbolic link that leads out of the repository */

static void remember_kind(kv_render *r, const char *path, size_t len, rn_kind k, bool safe)
{
	*kv_map_slot(r->kinds, path, len, NULL) = (uint64_t)k + 1 + (safe ? SAFE : 0);
}

static bool known_safe(kv_render *r, const char *path)
{
	uint64_t *v = kv_map_find(r->kinds, path, strlen(path));
	return v && (*v & SAFE);
}

/* Lists the folder of path, once, so that what its entries are is known; false when that
 * folder is not known to be a folder of the repository. */
static bool list_parent(kv_render *r, const char *path, int depth)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;
	if (kv_map_find(r->listed, path, n))
		return true;
	if (depth > 64)
		return false;
	if (n) {
		char *dir = kv_xstrndup(path, n);
		bool ok = list_parent(r, dir, depth + 1);
		uint64_t *v = ok ? kv_map_find(r->kinds, dir, n) : NULL;
		free(dir);
		if (!v || (*v & 0xff) != RN_DIR + 1 || !(*v & SAFE))
			return false;
	}
	char *dir = kv_xstrndup(path, n), **names;
	size_t count;
	bool ok = rn_fs_list(r, dir, &names, &count) == 0;
	for (size_t i = 0; ok && i < count; i++)
		free(names[i]);
	if (ok)
		free(names);
	free(dir);
	return ok;
}

rn_kind rn_fs_kind(kv_render *r, const char *path)
{
	if (r->o.rev) {
		int k = kv_source_rev_kind(r->o.rev, path);
		return k == 1 ? RN_FILE : k == 2 ? RN_DIR : RN_ABSENT;
	}
	uint64_t *v = kv_map_find(r->kinds, path, strlen(path));
	if (v)
		return (rn_kind)((*v & 0xff) - 1);
	if (*path && list_parent(r, path, 0)) {
		v = kv_map_find(r->kinds, path, strlen(path));
		if (v)
			return (rn_kind)((*v & 0xff) - 1);
		/* a link (listings do not vouch for those), or nothing */
		char *slash = strrchr(path, '/');
		const char *name = slash ? slash + 1 : path;
		if (!kv_map_find(r->links, path, strlen(path)) || !*name)
			return RN_ABSENT;
	}
	char *full = worktree_path(r, path);
	struct stat st;
	rn_kind k = !full || stat(full, &st) != 0 ? RN_ABSENT : S_ISDIR(st.st_mode) ? RN_DIR : S_ISREG(st.st_mode) ? RN_FILE : RN_ABSENT;
	free(full);
	remember_kind(r, path, strlen(path), k, false);
	if (!full)
		*kv_map_find(r->kinds, path, strlen(path)) |= ESCAPES;
	return k;
}

bool rn_fs_escapes(kv_render *r, const char *path)
{
	uint64_t *v = r->o.rev ? NULL : kv_map_find(r->kinds, path, strlen(path));
	return v && (*v & ESCAPES);
}

static int read_bytes(kv_render *r, const char *path, kv_buf *data, kv_buf *err)
{
	uint64_t max = r->o.limits.file_size;
	if (r->o.rev) {
		char oid[41];
		int rc = kv_source_rev_read(r->o.rev, path, max, data, oid, err);
		if (rc == 1)
			kv_buf_puts(err, "absent from the revision, or larger than limits.fileSize");
		return rc == 0 ? 0 : -1;
	}
	char *full = known_safe(r, path) ? kv_xasprintf("%s/%s", r->o.root, path) : worktree_path(r, path);
	if (!full) {
		kv_buf_puts(err, "a symbolic link that leads out of the repository");
		return -1;
	}
	int rc = kv_file_read(full, max, data, err);
	size_t n = strlen(full);
	if (rc != 0 && err->len > n + 2 && memcmp(err->data, full, n) == 0 && memcmp(err->data + n, ": ", 2) == 0) {
		/* the caller names the file by its path in the repository */
		memmove(err->data, err->data + n + 2, err->len - n - 2);
		err->len -= n + 2;
		err->data[err->len] = '\0';
	}
	free(full);
	if (rc == 1)
		kv_buf_printf(err, "larger than limits.fileSize (%llu bytes)", (unsigned long long)max);
	return rc == 0 ? 0 : -1;
}

/* A new file entry for path, without its bytes; 0 (with a problem at src, at) past the limit. */
static uint16_t new_entry(kv_render *r, const char *path, uint16_t src, const kv_node *at)
{
	if (r->nfiles >= r->o.max_files || r->nfiles >= UINT16_MAX - 1) {
		rn_problem(r, src, at, KV_RULE_RENDER_LIMIT, NULL,
			   "the render reads more than %u files: stopped at %s", r->o.max_files, path);
		return 0;
	}
	KV_GROW(r->files, r->capfiles, r->nfiles + 1);
	rn_file *f = &r->files[r->nfiles++];
	memset(f, 0, sizeof *f);
	f->path = kv_arena_strndup(r->arena, path, strlen(path));
	*kv_map_slot(r->file_index, path, strlen(path), NULL) = r->nfiles;
	return (uint16_t)r->nfiles;
}

uint16_t rn_fs_register(kv_render *r, const char *path)
{
	uint64_t *slot = kv_map_find(r->file_index, path, strlen(path));
	return slot ? (uint16_t)*slot : new_entry(r, path, 0, NULL);
}

uint16_t rn_fs_lookup(kv_render *r, const char *path)
{
	uint64_t *slot = kv_map_find(r->file_index, path, strlen(path));
	return slot ? (uint16_t)*slot : 0;
}

int rn_fs_peek(kv_render *r, const char *path, kv_buf *data)
{
	kv_buf err = KV_BUF_INIT;
	int rc = read_bytes(r, path, data, &err);
	kv_buf_free(&err);
	return rc;
}

uint16_t rn_fs_read(kv_render *r, const char *path, uint16_t src, const kv_node *at)
{
	uint64_t *slot = kv_map_find(r->file_index, path, strlen(path));
	uint16_t n = slot ? (uint16_t)*slot : 0;
	if (n && r->files[n - 1].text)
		return n;
	kv_buf data = KV_BUF_INIT, err = KV_BUF_INIT;
	if (read_bytes(r, path, &data, &err) != 0) {
		rn_problem(r, src, at, KV_RULE_RENDER_MISSING, NULL, "cannot read %s: %s", path, kv_buf_cstr(&err));
		kv_buf_free(&data);
		kv_buf_free(&err);
		return 0;
	}
	kv_buf_free(&err);
	if (!n)
		n = new_entry(r, path, src, at);
	if (n) {
		rn_file *f = &r->files[n - 1];
		f->len = data.len;
		f->text = kv_arena_memdup(r->arena, data.data ? data.data : "", data.len + 1);
		f->text[data.len] = '\0';
	}
	kv_buf_free(&data);
	return n;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int rn_fs_list(kv_render *r, const char *dir, char ***names, size_t *n)
{
	*names = NULL;
	*n = 0;
	if (r->o.rev) {
		/* The revision lists every file below the folder; keep its direct entries. */
		char **all;
		size_t count;
		if (kv_source_rev_list(r->o.rev, dir, &all, &count) != 0)
			return -1;
		size_t cap = 0, plen = *dir ? strlen(dir) + 1 : 0;
		for (size_t i = 0; i < count; i++) {
			const char *rest = all[i] + plen;
			const char *slash = strchr(rest, '/');
			char *entry = kv_xstrndup(rest, slash ? (size_t)(slash - rest) : strlen(rest));
			if (*n && strcmp((*names)[*n - 1], entry) == 0) {
				free(entry);
			} else {
				KV_GROW(*names, cap, *n + 1);
				(*names)[(*n)++] = entry;
			}
			free(all[i]);
		}
		free(all);
		return 0;
	}
	char *full = known_safe(r, dir) ? kv_xasprintf("%s/%s", r->o.root, dir) : worktree_path(r, dir);
	DIR *d = full ? opendir(full) : NULL;
	free(full);
	if (!d)
		return -1;
	*kv_map_slot(r->listed, dir, strlen(dir), NULL) = 1;
	size_t cap = 0;
	struct dirent *e;
	kv_buf entry = KV_BUF_INIT;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		KV_GROW(*names, cap, *n + 1);
		(*names)[(*n)++] = kv_xstrdup(e->d_name);
		kv_buf_truncate(&entry, 0);
		kv_buf_printf(&entry, "%s%s%s", dir, *dir ? "/" : "", e->d_name);
		if (e->d_type == DT_DIR || e->d_type == DT_REG) /* no link, in a folder of the repository */
			remember_kind(r, entry.data, entry.len, e->d_type == DT_DIR ? RN_DIR : RN_FILE, true);
		else if (e->d_type != DT_REG)
			*kv_map_slot(r->links, entry.data, entry.len, NULL) = 1; /* found out when asked */
	}
	kv_buf_free(&entry);
	closedir(d);
	kv_sort(*names, *n, sizeof **names, str_cmp);
	return 0;
}

/* Where line (1 for the first) of file f starts, or NULL past its end. The line starts are
 * found once per file, when first needed. */
static const char *line_start(rn_file *f, uint32_t line)
{
	if (!f->lines) {
		size_t cap = 0;
		KV_GROW(f->lines, cap, 1);
		f->lines[f->nlines++] = 0;
		for (size_t i = 0; i < f->len; i++)
			if (f->text[i] == '\n') {
				KV_GROW(f->lines, cap, f->nlines + 1);
				f->lines[f->nlines++] = i + 1;
			}
	}
	return line >= 1 && line <= f->nlines ? f->text + f->lines[line - 1] : NULL;
}

size_t rn_scalar_text(kv_render *r, const kv_node *n, const char **text)
{
	*text = NULL;
	if (!n || !n->src || n->src > r->nfiles || !r->files[n->src - 1].text || n->line == 0 || n->col == 0)
		return 0;
	rn_file *f = &r->files[n->src - 1];
	const char *p = line_start(f, n->line), *end = f->text + f->len;
	if (!p)
		return 0;
	if ((size_t)(end - p) < n->col - 1)
		return 0;
	p += n->col - 1;
	const char *e = p;
	while (e < end && *e != '\n' && *e != '\r' && *e != ',' && *e != '}' && *e != ']' && !(*e == '#' && e > p && e[-1] == ' '))
		e++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e == p || *p == '"' || *p == '\'' || *p == '[' || *p == '{' || *p == '|' || *p == '>')
		return 0;
	*text = p;
	return (size_t)(e - p);
}

/* kustomize reads the objects and patches it edits with kyaml, where YAML 1.1's other booleans
 * (yes, no, on, off, y, n in their spellings) are strings; kvet's loader reads booleans. In a
 * render they are strings, spelled as written (still flagged KV_NF_YAML11). Configuration files
 * (kustomizations) are read as kustomize reads them, with YAML 1.1: booleans stay. */
static void yaml11_strings(kv_render *r, rn_file *f, kv_node *n, int depth)
{
	if (depth > 10000)
		return;
	if (n->type == KV_LIST) {
		for (uint32_t i = 0; i < n->len; i++)
			yaml11_strings(r, f, n->u.items[i], depth + 1);
	} else if (n->type == KV_MAP) {
		for (uint32_t i = 0; i < n->len; i++)
			yaml11_strings(r, f, n->u.pairs[i].value, depth + 1);
	} else if (n->type == KV_BOOL && (n->flags & KV_NF_YAML11)) {
		const char *line = line_start(f, n->line);
		const char *end = f->text + f->len;
		const char *s = line && n->col >= 1 ? line + n->col - 1 : NULL;
		size_t len = 0;
		while (s && s + len < end && len < 8 && ((s[len] | 0x20) >= 'a' && (s[len] | 0x20) <= 'z'))
			len++;
		if (!len) {
			s = n->u.b ? "true" : "false";
			len = strlen(s);
		}
		n->type = KV_STRING;
		n->u.s = kv_arena_strndup(r->arena, s, len);
		n->len = (uint32_t)len;
	}
}

/* Copies of the documents kept for a file loaded more than once (rn_load_docs). */
static size_t cloned_docs(kv_render *r, const rn_file *f, kv_node ***docs)
{
	kv_node **arr = kv_arena_alloc(r->arena, sizeof *arr * (f->ndocs ? f->ndocs : 1));
	for (size_t i = 0; i < f->ndocs; i++)
		arr[i] = kv_node_clone(r->arena, f->docs[i]);
	*docs = arr;
	return f->ndocs;
}

size_t rn_load_docs(kv_render *r, uint16_t src, kv_node ***docs)
{
	rn_file *f = &r->files[src - 1];
	if (!f->text) { /* registered, never read: read it now */
		*docs = NULL;
		if (!rn_fs_read(r, f->path, 0, NULL))
			return 0;
		f = &r->files[src - 1];
	}
	/* A file most builds read once is parsed when read; one read again (a base or component
	 * several units share) is parsed a second time and kept, and copied from then on. */
	if (f->kept && f->kept_config == f->config)
		return cloned_docs(r, f, docs);
	bool keep = (f->loads++ == 1 || f->keep) && !f->kept;
	kv_diags d;
	kv_diags_init(&d, NULL, 0);
	kv_loader *l = kv_loader_new(f->text, f->len, kv_syntax_for_path(f->path), &r->o.limits, &d);
	kv_node **out = NULL;
	size_t n = 0, cap = 0;
	kv_doc doc;
	while (kv_loader_next(l, r->arena, &doc) == 1) {
		if (!doc.root)
			continue;
		kv_node_set_source(doc.root, src);
		if (!f->config)
			yaml11_strings(r, f, doc.root, 0);
		KV_GROW(out, cap, n + 1);
		out[n++] = doc.root;
	}
	kv_loader_free(l);
	for (size_t i = 0; i < d.n; i++) {
		kv_node at = {.src = src, .line = d.items[i].line, .col = d.items[i].col};
		rn_problem(r, src, d.items[i].line ? &at : NULL, d.items[i].rule, d.items[i].hint, "%s", d.items[i].message);
	}
	kv_diags_free(&d);
	kv_node **arr = kv_arena_alloc(r->arena, sizeof *arr * (n ? n : 1));
	if (n)
		memcpy(arr, out, sizeof *arr * n);
	free(out);
	if (keep) {
		f->docs = arr;
		f->ndocs = n;
		f->kept = true;
		f->kept_config = f->config;
		return cloned_docs(r, f, docs);
	}
	*docs = arr;
	return n;
}

kv_render *kv_render_new(const kv_render_opts *o)
{
	kv_render *r = kv_xcalloc(1, sizeof *r);
	r->o = *o;
	if (!r->o.max_files)
		r->o.max_files = KV_RENDER_MAX_FILES;
	if (!r->o.max_objects)
		r->o.max_objects = KV_RENDER_MAX_OBJECTS;
	if (!r->o.limits.file_size)
		kv_limits_default(&r->o.limits);
	r->arena = kv_arena_new();
	r->file_index = kv_map_new();
	r->kinds = kv_map_new();
	r->listed = kv_map_new();
	r->links = kv_map_new();
	r->grown = kv_map_new();
	r->regex_index = kv_map_new();
	if (o->root) {
		char real[PATH_MAX];
		r->root_real = kv_xstrdup(realpath(o->root, real) ? real : o->root);
	}
	return r;
}

void kv_render_free(kv_render *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nproblems; i++) {
		free(r->problems[i].message);
		free(r->problems[i].hint);
	}
	free(r->problems);
	for (size_t i = 0; i < r->nfiles; i++)
		free(r->files[i].lines);
	free(r->files);
	free(r->stack);
	free(r->root_real);
	kv_map_free(r->file_index);
	kv_map_free(r->kinds);
	kv_map_free(r->listed);
	kv_map_free(r->links);
	kv_map_free(r->grown);
	rn_regex_cache_free(r);
	kv_arena_free(r->arena);
	free(r);
}
