/* source.c: work-tree walking with symlink confinement, stdin, selection and the per-thread
 * readers. The work tree is only ever opened for reading. */
#include "internal.h"

#include "gitapi.h"

#include "kvet/alloc.h"
#include "kvet/map.h"
#include "kvet/sort.h"
#include "kvet/strutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_NAME ".kvet.yaml"
#define MAX_WALK_DEPTH 128

void kv_source_add_entry(kv_source *s, char *display, char *rel, char *fs)
{
	KV_GROW(s->entries, s->capentries, s->nentries + 1);
	s->entries[s->nentries++] = (kv_entry){.display = display, .rel = rel, .fs = fs};
}

void kv_source_add_note(kv_source *s, const char *path, kv_rule rule, const char *fmt, ...)
{
	kv_buf b = KV_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	kv_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	KV_GROW(s->notes, s->capnotes, s->nnotes + 1);
	s->notes[s->nnotes++] = (kv_note){kv_xstrdup(path), rule, kv_buf_detach(&b)};
}

/* True when one segment of path is exactly name. */
static bool has_segment(const char *path, const char *name)
{
	size_t n = strlen(name);
	for (const char *s = path; (s = strstr(s, name)) != NULL; s += n)
		if ((s == path || s[-1] == '/') && (s[n] == '/' || !s[n]))
			return true;
	return false;
}

bool kv_source_excluded(const char *rel, const char *const *excludes, size_t n)
{
	if (has_segment(rel, ".git") || has_segment(rel, ".github"))
		return true;
	for (size_t i = 0; i < n; i++)
		if (kv_glob_match(excludes[i], rel))
			return true;
	return false;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const kv_entry *)a)->display, ((const kv_entry *)b)->display);
}

static int note_cmp(const void *a, const void *b)
{
	return strcmp(((const kv_note *)a)->path, ((const kv_note *)b)->path);
}

static void free_entry(kv_entry *e)
{
	free(e->display);
	free(e->rel);
	free(e->fs);
}

/* Folders holding Chart.yaml: their templates/ are Go templates, not YAML, until rendered. */
static kv_map *chart_dirs(const kv_source *s)
{
	kv_map *dirs = kv_map_new();
	for (size_t i = 0; i < s->nentries; i++) {
		const char *r = s->entries[i].rel;
		size_t n = strlen(r);
		if (n >= 10 && strcmp(r + n - 10, "Chart.yaml") == 0 && (n == 10 || r[n - 11] == '/'))
			*kv_map_slot(dirs, r, n - 10, NULL) = 1;
	}
	return dirs;
}

static bool in_chart_templates(const kv_map *dirs, const char *rel)
{
	for (const char *t = strstr(rel, "templates/"); t; t = strstr(t + 1, "templates/"))
		if ((t == rel || t[-1] == '/') && kv_map_find(dirs, rel, (size_t)(t - rel)))
			return true;
	return false;
}

void kv_source_finish(kv_source *s)
{
	kv_sort(s->entries, s->nentries, sizeof *s->entries, entry_cmp);
	size_t k = 0;
	for (size_t i = 0; i < s->nentries; i++) {
		if (k && strcmp(s->entries[k - 1].display, s->entries[i].display) == 0) {
			free_entry(&s->entries[i]);
			continue;
		}
		s->entries[k++] = s->entries[i];
	}
	s->nentries = k;
	kv_map *dirs = chart_dirs(s);
	k = 0;
	for (size_t i = 0; i < s->nentries; i++) {
		if (kv_map_count(dirs) && in_chart_templates(dirs, s->entries[i].rel)) {
			kv_source_add_note(s, s->entries[i].display, KV_RULE_SOURCE_SKIPPED,
					   "a Helm chart template: not rendered, not checked");
			free_entry(&s->entries[i]);
			continue;
		}
		s->entries[k++] = s->entries[i];
	}
	s->nentries = k;
	kv_map_free(dirs);
	kv_sort(s->notes, s->nnotes, sizeof *s->notes, note_cmp);
}

static bool exists(const char *dir, const char *name)
{
	char *p = kv_path_join(dir, name);
	struct stat st;
	bool ok = lstat(p, &st) == 0;
	free(p);
	return ok;
}

static char *dirname_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return kv_xstrdup(".");
	if (slash == path)
		return kv_xstrdup("/");
	return kv_xstrndup(path, (size_t)(slash - path));
}

/* Walks up from start: the nearest folder with .kvet.yaml is the project root; the top of a
 * git work tree ends the search (and bounds symlinks). */
static void discover_root(kv_source *s, const char *start_real)
{
	char *dir = kv_xstrdup(start_real);
	char *config = NULL, *top = NULL;
	for (;;) {
		if (!config && exists(dir, CONFIG_NAME))
			config = kv_xstrdup(dir);
		if (exists(dir, ".git")) {
			top = kv_xstrdup(dir);
			break;
		}
		if (config || strcmp(dir, "/") == 0)
			break;
		char *up = dirname_of(dir);
		free(dir);
		dir = up;
	}
	free(dir);
	s->root_real = config ? config : top ? kv_xstrdup(top) : kv_xstrdup(start_real);
	s->top_real = top ? top : kv_xstrdup(s->root_real);
	if (config && !top) {
		free(s->top_real);
		s->top_real = kv_xstrdup(config);
	}
}

/* Path of real relative to base, or NULL when real is not below base. */
static char *relative_to(const char *base, const char *real)
{
	size_t n = strlen(base);
	if (strcmp(base, "/") == 0)
		return kv_xstrdup(real + 1);
	if (strncmp(real, base, n) != 0 || (real[n] && real[n] != '/'))
		return NULL;
	return kv_xstrdup(real[n] ? real + n + 1 : "");
}

/* How the project root reads from the current directory. */
static char *display_root(const char *root_real)
{
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd))
		return kv_xstrdup(root_real);
	char *rel = relative_to(cwd, root_real);
	if (rel && !*rel) {
		free(rel);
		return kv_xstrdup(".");
	}
	return rel ? rel : kv_xstrdup(root_real);
}

int kv_source_worktree(kv_source **out, const char *const *paths, size_t n, kv_buf *err)
{
	static const char *const dot[] = {"."};
	if (!n) {
		paths = dot;
		n = 1;
	}
	/* The root is found from the folder holding the first path, not from where a symbolic
	 * link named on the command line leads. */
	struct stat st;
	if (lstat(paths[0], &st) < 0) {
		kv_buf_printf(err, "%s: %s", paths[0], strerror(errno));
		return -1;
	}
	char *dir = S_ISDIR(st.st_mode) ? kv_xstrdup(paths[0]) : dirname_of(paths[0]);
	char first[PATH_MAX];
	if (!realpath(dir, first)) {
		kv_buf_printf(err, "%s: %s", paths[0], strerror(errno));
		free(dir);
		return -1;
	}
	free(dir);
	kv_source *s = kv_xcalloc(1, sizeof *s);
	s->kind = SRC_WORKTREE;
	s->describe = kv_xstrdup("work tree");
	discover_root(s, first);
	s->root_display = display_root(s->root_real);
	s->args = kv_xcalloc(n, sizeof *s->args);
	s->arg_rel = kv_xcalloc(n, sizeof *s->arg_rel);
	s->nargs = n;
	for (size_t i = 0; i < n; i++) {
		char real[PATH_MAX];
		s->args[i] = kv_xstrdup(paths[i]);
		if (realpath(paths[i], real))
			s->arg_rel[i] = relative_to(s->root_real, real);
	}
	*out = s;
	return 0;
}

int kv_source_stdin(kv_source **out, kv_buf *err)
{
	(void)err;
	kv_source *s = kv_xcalloc(1, sizeof *s);
	s->kind = SRC_STDIN;
	s->describe = kv_xstrdup("stdin");
	s->root_display = kv_xstrdup(".");
	*out = s;
	return 0;
}

void kv_source_free(kv_source *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nentries; i++)
		free_entry(&s->entries[i]);
	for (size_t i = 0; i < s->nnotes; i++) {
		free(s->notes[i].path);
		free(s->notes[i].message);
	}
	for (size_t i = 0; i < s->nargs; i++) {
		free(s->args[i]);
		free(s->arg_rel[i]);
	}
	free(s->args);
	free(s->arg_rel);
	free(s->entries);
	free(s->notes);
	free(s->root_display);
	free(s->root_real);
	free(s->top_real);
	free(s->describe);
	free(s->stdin_data);
	free(s->config_path);
	if (s->kind == SRC_REV)
		kv_git_free(s);
	free(s);
}

const char *kv_source_root(const kv_source *s)
{
	return s->root_display;
}

const char *kv_source_describe(const kv_source *s)
{
	return s->describe;
}

static int read_file(const char *path, uint64_t max, char **data, size_t *len, kv_buf *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		kv_buf_printf(err, "%s", strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		kv_buf_printf(err, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size > max) {
		*len = (size_t)st.st_size;
		close(fd);
		return 1;
	}
	size_t cap = (size_t)st.st_size, n = 0;
	char *buf = kv_xmalloc(cap + 1);
	for (;;) {
		if (n == cap) {
			/* The file grew, or reports no size (/proc): read on, within the bound. */
			if (cap >= max) {
				free(buf);
				close(fd);
				*len = cap + 1;
				return 1;
			}
			cap = cap ? cap * 2 : 4096;
			if (cap > max)
				cap = (size_t)max;
			buf = kv_xrealloc(buf, cap + 1);
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			kv_buf_printf(err, "%s", strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		/* A regular file that gave the size fstat reported is read: no probe for EOF. */
		if (S_ISREG(st.st_mode) && st.st_size > 0 && n == (size_t)st.st_size)
			break;
	}
	close(fd);
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

int kv_source_config(kv_source *s, char **data, size_t *len, const char **path, kv_buf *err)
{
	if (s->kind == SRC_STDIN)
		return 1;
	if (s->kind == SRC_REV) {
		int rc = kv_git_config(s, data, len, err);
		*path = s->config_path;
		return rc;
	}
	char *p = kv_path_join(s->root_real, CONFIG_NAME);
	struct stat st;
	if (stat(p, &st) < 0) {
		free(p);
		return 1;
	}
	free(s->config_path);
	char *rel = kv_path_join(s->root_display, CONFIG_NAME);
	s->config_path = rel;
	kv_buf e = KV_BUF_INIT;
	int rc = read_file(p, 1 << 20, data, len, &e);
	if (rc)
		kv_buf_printf(err, "%s: %s", rel, rc > 0 ? "larger than 1 MiB" : kv_buf_cstr(&e));
	kv_buf_free(&e);
	free(p);
	*path = s->config_path;
	return rc ? -1 : 0;
}

typedef struct {
	kv_source *s;
	const char *const *excludes;
	size_t nexcludes;
	kv_buf *err;
} walker;

static void add_file(walker *w, const char *display, const char *rel, const char *fs)
{
	kv_source_add_entry(w->s, kv_xstrdup(display), kv_xstrdup(rel ? rel : display),
			    kv_xstrdup(fs));
}

/* A symbolic link is read only when it leads to a regular file inside the repository (and
 * is named like a manifest, or was named on the command line). A link to a folder is never
 * followed, and says so. */
static void follow_link(walker *w, const char *display, const char *rel, const char *fs, bool named)
{
	char real[PATH_MAX];
	struct stat st;
	if (!realpath(fs, real) || stat(real, &st) < 0) {
		kv_source_add_note(w->s, display, KV_RULE_SOURCE_SYMLINK,
				   "a symbolic link to nothing (dangling); not read");
		return;
	}
	char *inside = relative_to(w->s->top_real, real);
	if (!inside) {
		kv_source_add_note(w->s, display, KV_RULE_SOURCE_SYMLINK,
				   "a symbolic link to %s, outside the repository; not read", real);
		return;
	}
	free(inside);
	if (S_ISDIR(st.st_mode))
		kv_source_add_note(w->s, display, KV_RULE_SOURCE_SKIPPED,
				   "a symbolic link to a folder; not followed");
	else if (!named && !kv_path_is_manifest(fs))
		return;
	else if (S_ISREG(st.st_mode))
		add_file(w, display, rel, real);
	else
		kv_source_add_note(w->s, display, KV_RULE_SOURCE_SKIPPED, "not a regular file; not read");
}

static void walk(walker *w, const char *display, const char *rel, const char *fs, int depth);

/* dtype is readdir's d_type, or DT_UNKNOWN: then (and for anything worth reading) lstat. */
static void visit(walker *w, const char *display, const char *rel, const char *fs, bool named,
		  int depth, unsigned char dtype)
{
	/* Most entries are files kvet does not read: readdir already said what they are. */
	if (dtype == DT_REG && !named && !kv_path_is_manifest(fs))
		return;
	struct stat st;
	if (dtype == DT_REG) {
		st.st_mode = S_IFREG;
	} else if (dtype == DT_DIR) {
		st.st_mode = S_IFDIR;
	} else if (lstat(fs, &st) < 0) {
		kv_source_add_note(w->s, display, KV_RULE_SOURCE_UNREADABLE, "%s", strerror(errno));
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		walk(w, display, rel, fs, depth + 1);
		return;
	}
	if (S_ISLNK(st.st_mode)) {
		follow_link(w, display, rel, fs, named);
		return;
	}
	if (!named && !kv_path_is_manifest(fs))
		return;
	if (S_ISREG(st.st_mode))
		add_file(w, display, rel, fs);
	else
		kv_source_add_note(w->s, display, KV_RULE_SOURCE_SKIPPED, "not a regular file; not read");
}

static void walk(walker *w, const char *display, const char *rel, const char *fs, int depth)
{
	if (depth > MAX_WALK_DEPTH) {
		kv_source_add_note(w->s, display, KV_RULE_SOURCE_SKIPPED,
				   "folders nested deeper than %d levels; not read", MAX_WALK_DEPTH);
		return;
	}
	DIR *d = opendir(fs);
	if (!d) {
		kv_source_add_note(w->s, display, KV_RULE_SOURCE_UNREADABLE, "%s", strerror(errno));
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char *crel = rel ? kv_path_join(rel, de->d_name) : NULL;
		char *cdisp = kv_path_join(display, de->d_name);
		char *cfs = kv_path_join(fs, de->d_name);
		if (!kv_source_excluded(crel ? crel : cdisp, w->excludes, w->nexcludes))
			visit(w, cdisp, crel, cfs, false, depth, de->d_type);
		free(crel);
		free(cdisp);
		free(cfs);
	}
	closedir(d);
}

static int scan_worktree(kv_source *s, const char *const *excludes, size_t n, kv_buf *err)
{
	walker w = {s, excludes, n, err};
	for (size_t i = 0; i < s->nargs; i++) {
		const char *rel = s->arg_rel[i];
		struct stat st;
		if (stat(s->args[i], &st) < 0 && lstat(s->args[i], &st) < 0) {
			kv_buf_printf(err, "%s: %s", s->args[i], strerror(errno));
			return -1;
		}
		if (S_ISDIR(st.st_mode)) {
			const char *display = strcmp(s->args[i], ".") == 0 ? "" : s->args[i];
			walk(&w, display, rel, s->args[i], 0);
		} else {
			visit(&w, s->args[i], rel && *rel ? rel : NULL, s->args[i], true, 0, DT_UNKNOWN);
		}
	}
	return 0;
}

int kv_source_scan(kv_source *s, const char *const *excludes, size_t n, kv_buf *err)
{
	int rc = 0;
	if (s->kind == SRC_WORKTREE)
		rc = scan_worktree(s, excludes, n, err);
	else if (s->kind == SRC_REV)
		rc = kv_git_scan(s, excludes, n, err);
	else
		kv_source_add_entry(s, kv_xstrdup("<stdin>"), kv_xstrdup("<stdin>"), NULL);
	if (s->kind == SRC_STDIN)
		s->entries[0].is_stdin = true;
	kv_source_finish(s);
	return rc;
}

size_t kv_source_count(const kv_source *s)
{
	return s->nentries;
}

const kv_entry *kv_source_entry(const kv_source *s, size_t i)
{
	return &s->entries[i];
}

size_t kv_source_note_count(const kv_source *s)
{
	return s->nnotes;
}

const kv_note *kv_source_note(const kv_source *s, size_t i)
{
	return &s->notes[i];
}

struct kv_reader {
	kv_source *s;
	git_repository *repo;
};

kv_reader *kv_reader_new(kv_source *s)
{
	kv_reader *r = kv_xcalloc(1, sizeof *r);
	r->s = s;
	if (s->kind == SRC_REV && kv_git()->git_repository_open(&r->repo, s->gitdir) < 0)
		r->repo = NULL;
	return r;
}

void kv_reader_free(kv_reader *r)
{
	if (!r)
		return;
	if (r->repo)
		kv_git()->git_repository_free(r->repo);
	free(r);
}

void kv_blob_release(kv_blob *b)
{
	if (b->is_git)
		kv_git()->git_blob_free(b->owner);
	else
		free(b->owner);
	memset(b, 0, sizeof *b);
}

/* Standard input can be read only once, so its bytes stay with the source and every read
 * after the first hands out the same copy. */
static int read_stdin(kv_source *s, uint64_t max, kv_blob *out, kv_buf *err)
{
	if (s->stdin_data || s->stdin_too_large) {
		out->data = s->stdin_data;
		out->len = s->stdin_len;
		return s->stdin_too_large ? 1 : 0;
	}
	kv_buf b = KV_BUF_INIT;
	char chunk[65536];
	for (;;) {
		ssize_t r = read(STDIN_FILENO, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			kv_buf_printf(err, "standard input: %s", strerror(errno));
			kv_buf_free(&b);
			return -1;
		}
		if (r == 0)
			break;
		if (b.len + (size_t)r > max) {
			out->len = s->stdin_len = b.len + (size_t)r;
			s->stdin_too_large = true;
			kv_buf_free(&b);
			return 1;
		}
		kv_buf_add(&b, chunk, (size_t)r);
	}
	s->stdin_len = out->len = b.len;
	s->stdin_data = kv_buf_detach(&b);
	out->data = s->stdin_data;
	return 0;
}

static int read_git(kv_reader *r, const kv_entry *e, uint64_t max, kv_blob *out, kv_buf *err)
{
	git_oid oid;
	memcpy(oid.id, e->oid, sizeof oid.id);
	git_odb *odb;
	size_t size;
	git_object_t type;
	if (!r->repo || kv_git()->git_repository_odb(&odb, r->repo) < 0) {
		kv_buf_printf(err, "cannot open the repository");
		return -1;
	}
	int rc = kv_git()->git_odb_read_header(&size, &type, odb, &oid);
	kv_git()->git_odb_free(odb);
	if (rc == 0 && size > max) {
		out->len = size;
		return 1;
	}
	git_blob *blob;
	if (kv_git()->git_blob_lookup(&blob, r->repo, &oid) < 0) {
		const git_error *ge = kv_git()->git_error_last();
		kv_buf_printf(err, "cannot read blob %s: %s", kv_git()->git_oid_tostr_s(&oid), ge ? ge->message : "?");
		return -1;
	}
	out->data = kv_git()->git_blob_rawcontent(blob);
	out->len = (size_t)kv_git()->git_blob_rawsize(blob);
	out->owner = blob;
	out->is_git = true;
	if (!out->data)
		out->data = "";
	return 0;
}

int kv_reader_read(kv_reader *r, size_t i, uint64_t max, kv_blob *out, kv_buf *err)
{
	const kv_entry *e = &r->s->entries[i];
	memset(out, 0, sizeof *out);
	if (e->is_stdin)
		return read_stdin(r->s, max, out, err);
	if (e->has_oid)
		return read_git(r, e, max, out, err);
	char *data;
	size_t len;
	int rc = read_file(e->fs, max, &data, &len, err);
	if (rc == 0) {
		out->data = out->owner = data;
		out->len = len;
	} else if (rc == 1) {
		out->len = len;
	}
	return rc;
}
