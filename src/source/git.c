/* git.c: the tree of a revision, read straight from the object database with libgit2. The
 * index, the work tree and HEAD are never touched, so this works in bare clones and leaves a
 * checkout exactly as it was. */
#include "internal.h"

#include "gitapi.h"

#include "kvet/alloc.h"
#include "kvet/sort.h"
#include "kvet/strutil.h"

#include <limits.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *git_message(void)
{
	const git_error *e = kv_git()->git_error_last();
	return e && e->message ? e->message : "unknown error";
}

/* A path argument as a path inside the repository, or NULL when it lies outside. */
static char *repo_path_of(git_repository *repo, const char *arg)
{
	const char *workdir = kv_git()->git_repository_workdir(repo);
	if (!workdir || arg[0] == '/') {
		char real[PATH_MAX], top[PATH_MAX];
		if (workdir && realpath(arg, real) && realpath(workdir, top)) {
			size_t n = strlen(top);
			if (strncmp(real, top, n) == 0 && (real[n] == '/' || !real[n]))
				return kv_xstrdup(real[n] ? real + n + 1 : "");
		}
		return workdir ? NULL : kv_path_normalize(arg);
	}
	char cwd[PATH_MAX], top[PATH_MAX];
	if (!getcwd(cwd, sizeof cwd) || !realpath(workdir, top))
		return NULL;
	size_t n = strlen(top);
	if (strncmp(cwd, top, n) != 0 || (cwd[n] && cwd[n] != '/'))
		return NULL;
	char *joined = kv_path_join(cwd[n] ? cwd + n + 1 : "", arg);
	char *norm = kv_path_normalize(joined);
	free(joined);
	return norm;
}

static int resolve_args(kv_source *s, const char *const *paths, size_t n, kv_buf *err)
{
	s->nargs = n;
	s->args = kv_xcalloc(n ? n : 1, sizeof *s->args);
	s->arg_rel = kv_xcalloc(n ? n : 1, sizeof *s->arg_rel);
	for (size_t i = 0; i < n; i++) {
		s->args[i] = kv_xstrdup(paths[i]);
		s->arg_rel[i] = repo_path_of(s->repo, paths[i]);
		if (!s->arg_rel[i]) {
			kv_buf_printf(err, "%s: not inside the repository", paths[i]);
			return -1;
		}
	}
	return 0;
}

int kv_source_rev(kv_source **out, const char *repo_path, const char *rev,
		  const char *const *paths, size_t n, kv_buf *err)
{
	*out = NULL;
	if (!kv_git_load(err))
		return -1;
	kv_git()->git_libgit2_init();
	kv_source *s = kv_xcalloc(1, sizeof *s);
	s->kind = SRC_REV;
	*out = NULL;
	git_object *obj = NULL;
	/* A path may exist only in the revision: search for the repository from the nearest
	 * ancestor that exists in the work tree. */
	char *start = kv_xstrdup(repo_path);
	struct stat st;
	while (stat(start, &st) < 0 && strcmp(start, ".") != 0 && strcmp(start, "/") != 0) {
		char *slash = strrchr(start, '/');
		if (slash)
			*slash = '\0';
		if (!slash || !*start) {
			free(start);
			start = kv_xstrdup(slash ? "/" : ".");
		}
	}
	int open_rc = kv_git()->git_repository_open_ext(&s->repo, start, 0, NULL);
	free(start);
	if (open_rc < 0) {
		kv_buf_printf(err, "%s: not a git repository (or a damaged one): %s", repo_path,
			      git_message());
		goto fail;
	}
	s->gitdir = kv_xstrdup(kv_git()->git_repository_path(s->repo));
	if (kv_git()->git_revparse_single(&obj, s->repo, rev) < 0) {
		kv_buf_printf(err, "revision \"%s\" not found: %s", rev, git_message());
		goto fail;
	}
	if (kv_git()->git_object_peel((git_object **)&s->tree, obj, GIT_OBJECT_TREE) < 0) {
		kv_buf_printf(err, "revision \"%s\" has no tree: %s", rev, git_message());
		goto fail;
	}
	char sha[GIT_OID_HEXSZ + 1];
	kv_git()->git_oid_tostr(sha, sizeof sha, kv_git()->git_object_id(obj));
	s->describe = kv_xasprintf("revision %.12s (%s)", sha, rev);
	s->root_display = kv_xstrdup(".");
	kv_git()->git_object_free(obj);
	obj = NULL;
	if (resolve_args(s, paths, n, err) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	kv_git()->git_object_free(obj);
	kv_source_free(s);
	return -1;
}

void kv_git_free(kv_source *s)
{
	kv_git()->git_tree_free(s->tree);
	kv_git()->git_repository_free(s->repo);
	free(s->gitdir);
	kv_git()->git_libgit2_shutdown();
}

int kv_git_config(kv_source *s, char **data, size_t *len, kv_buf *err)
{
	git_tree_entry *te;
	if (kv_git()->git_tree_entry_bypath(&te, s->tree, ".kvet.yaml") < 0)
		return 1;
	int rc = -1;
	git_blob *blob = NULL;
	if (kv_git()->git_tree_entry_type(te) != GIT_OBJECT_BLOB ||
	    kv_git()->git_blob_lookup(&blob, s->repo, kv_git()->git_tree_entry_id(te)) < 0) {
		kv_buf_printf(err, ".kvet.yaml at the revision cannot be read: %s", git_message());
		goto done;
	}
	if (kv_git()->git_blob_rawsize(blob) > (1 << 20)) {
		kv_buf_printf(err, ".kvet.yaml at the revision is larger than 1 MiB");
		goto done;
	}
	*len = (size_t)kv_git()->git_blob_rawsize(blob);
	*data = kv_xstrndup(kv_git()->git_blob_rawcontent(blob), *len);
	free(s->config_path);
	s->config_path = kv_xstrdup(".kvet.yaml");
	rc = 0;
done:
	kv_git()->git_blob_free(blob);
	kv_git()->git_tree_entry_free(te);
	return rc;
}

typedef struct {
	kv_source *s;
	const char *const *excludes;
	size_t nexcludes;
} scan;

/* Whether full (a file, or a folder when dir) lies in, or leads to, one of the paths. */
static bool wanted(const kv_source *s, const char *full, bool dir)
{
	if (!s->nargs)
		return true;
	size_t fl = strlen(full);
	for (size_t i = 0; i < s->nargs; i++) {
		const char *a = s->arg_rel[i];
		size_t al = strlen(a);
		if (!al || (strncmp(full, a, al) == 0 && (full[al] == '/' || !full[al])))
			return true;
		if (dir && al > fl && strncmp(a, full, fl) == 0 && a[fl] == '/')
			return true;
	}
	return false;
}

static bool named(const kv_source *s, const char *full)
{
	for (size_t i = 0; i < s->nargs; i++)
		if (strcmp(s->arg_rel[i], full) == 0)
			return true;
	return false;
}

static int walk_cb(const char *root, const git_tree_entry *e, void *payload)
{
	scan *sc = payload;
	char *full = kv_xasprintf("%s%s", root, kv_git()->git_tree_entry_name(e));
	git_filemode_t mode = kv_git()->git_tree_entry_filemode(e);
	int rc = 0;
	bool dir = mode == GIT_FILEMODE_TREE;
	if (kv_source_excluded(full, sc->excludes, sc->nexcludes) || !wanted(sc->s, full, dir)) {
		rc = dir ? 1 : 0;
		goto done;
	}
	if (dir)
		goto done;
	if (mode == GIT_FILEMODE_COMMIT) {
		kv_source_add_note(sc->s, full, KV_RULE_SOURCE_SKIPPED, "a git submodule; not read");
		goto done;
	}
	if (!kv_path_is_manifest(full) && !named(sc->s, full))
		goto done;
	if (mode == GIT_FILEMODE_LINK) {
		kv_source_add_note(sc->s, full, KV_RULE_SOURCE_SYMLINK,
				   "a symbolic link in the revision; not read");
		goto done;
	}
	kv_source_add_entry(sc->s, kv_xstrdup(full), kv_xstrdup(full), NULL);
	kv_entry *entry = &sc->s->entries[sc->s->nentries - 1];
	memcpy(entry->oid, kv_git()->git_tree_entry_id(e)->id, sizeof entry->oid);
	entry->has_oid = true;
done:
	free(full);
	return rc;
}

int kv_git_scan(kv_source *s, const char *const *excludes, size_t n, kv_buf *err)
{
	scan sc = {s, excludes, n};
	if (kv_git()->git_tree_walk(s->tree, GIT_TREEWALK_PRE, walk_cb, &sc) < 0) {
		kv_buf_printf(err, "reading the revision's tree failed: %s", git_message());
		return -1;
	}
	for (size_t i = 0; i < s->nargs; i++) {
		if (!*s->arg_rel[i])
			continue;
		bool found = false;
		for (size_t j = 0; j < s->nentries && !found; j++)
			found = wanted(s, s->entries[j].rel, false) &&
				strncmp(s->entries[j].rel, s->arg_rel[i], strlen(s->arg_rel[i])) == 0;
		git_tree_entry *te;
		if (!found && kv_git()->git_tree_entry_bypath(&te, s->tree, s->arg_rel[i]) < 0) {
			kv_buf_printf(err, "%s: no such path in the revision", s->args[i]);
			return -1;
		}
		if (!found)
			kv_git()->git_tree_entry_free(te);
	}
	return 0;
}

bool kv_source_is_rev(const kv_source *s)
{
	return s->kind == SRC_REV;
}

int kv_source_rev_kind(kv_source *s, const char *path)
{
	char *norm = kv_path_normalize(path);
	git_tree_entry *te = NULL;
	int kind = 0;
	if (norm && !*norm)
		kind = 2;
	else if (norm && kv_git()->git_tree_entry_bypath(&te, s->tree, norm) == 0)
		kind = kv_git()->git_tree_entry_type(te) == GIT_OBJECT_TREE ? 2 : 1;
	kv_git()->git_tree_entry_free(te);
	free(norm);
	return kind;
}

int kv_source_rev_read(kv_source *s, const char *path, uint64_t max, kv_buf *data, char *oid,
		       kv_buf *err)
{
	char *norm = kv_path_normalize(path);
	git_tree_entry *te = NULL;
	git_blob *blob = NULL;
	int rc = 1;
	if (!norm || kv_git()->git_tree_entry_bypath(&te, s->tree, norm) < 0 ||
	    kv_git()->git_tree_entry_type(te) != GIT_OBJECT_BLOB)
		goto done;
	if (kv_git()->git_blob_lookup(&blob, s->repo, kv_git()->git_tree_entry_id(te)) < 0) {
		kv_buf_printf(err, "%s: %s", path, git_message());
		rc = -1;
		goto done;
	}
	if ((uint64_t)kv_git()->git_blob_rawsize(blob) > max)
		goto done;
	kv_buf_add(data, kv_git()->git_blob_rawcontent(blob), (size_t)kv_git()->git_blob_rawsize(blob));
	kv_git()->git_oid_tostr(oid, GIT_OID_HEXSZ + 1, kv_git()->git_tree_entry_id(te));
	rc = 0;
done:
	kv_git()->git_blob_free(blob);
	kv_git()->git_tree_entry_free(te);
	free(norm);
	return rc;
}

typedef struct {
	const char *prefix;
	size_t plen;
	char **names;
	size_t n, cap;
} lister;

static int list_cb(const char *root, const git_tree_entry *e, void *payload)
{
	lister *l = payload;
	if (kv_git()->git_tree_entry_filemode(e) == GIT_FILEMODE_TREE)
		return 0;
	char *full = kv_xasprintf("%s%s", root, kv_git()->git_tree_entry_name(e));
	if (kv_git()->git_tree_entry_type(e) == GIT_OBJECT_BLOB && strncmp(full, l->prefix, l->plen) == 0 &&
	    (!l->plen || full[l->plen] == '/')) {
		KV_GROW(l->names, l->cap, l->n + 1);
		l->names[l->n++] = full;
		return 0;
	}
	free(full);
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int kv_source_rev_list(kv_source *s, const char *dir, char ***out, size_t *n)
{
	char *norm = kv_path_normalize(dir);
	lister l = {norm ? norm : "", norm ? strlen(norm) : 0, NULL, 0, 0};
	int rc = kv_git()->git_tree_walk(s->tree, GIT_TREEWALK_PRE, list_cb, &l) < 0 ? -1 : 0;
	free(norm);
	kv_sort(l.names, l.n, sizeof *l.names, str_cmp);
	*out = l.names;
	*n = l.n;
	return rc;
}
