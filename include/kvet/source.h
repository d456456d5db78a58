/* source.h: where manifests come from: files and folders of a work tree, the tree of any git
 * revision (read from the object database; no checkout, works in bare clones), or stdin.
 * Selection: *.yaml *.yml *.json, minus exclusion globs, minus .git/ and .github/. Nothing is
 * skipped silently: every entry not read becomes a note. */
#ifndef KVET_SOURCE_H
#define KVET_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvet/buf.h"
#include "kvet/diag.h"

typedef struct {
	char *display; /* the path findings show */
	char *rel;     /* relative to the project root, for exclusions and messages */
	char *fs;      /* what to open (work tree), else NULL */
	unsigned char oid[20];
	bool has_oid;  /* a git blob */
	bool is_stdin;
} kv_entry;

/* An entry that was not read, and why (rule is SOURCE_SYMLINK, SOURCE_SKIPPED or
 * SOURCE_UNREADABLE). */
typedef struct {
	char *path;
	kv_rule rule;
	char *message;
} kv_note;

typedef struct kv_source kv_source;

/* Work tree paths (files or folders). The project root is the nearest folder at or above the
 * first path holding .kvet.yaml, not crossing the top of a git work tree; without one, the
 * git top, else the first path's folder. Caller frees with kv_source_free. */
int kv_source_worktree(kv_source **out, const char *const *paths, size_t n, kv_buf *err);
/* The tree of revision rev in the repository at or above repo_path. paths, relative to the
 * current directory, restrict the tree to those folders or files. */
int kv_source_rev(kv_source **out, const char *repo_path, const char *rev,
		  const char *const *paths, size_t n, kv_buf *err);
/* A single YAML stream read from standard input. */
int kv_source_stdin(kv_source **out, kv_buf *err);
void kv_source_free(kv_source *s);

/* The project root as shown to the user ("." or a path); borrowed. */
const char *kv_source_root(const kv_source *s);
/* A short description: "work tree", "revision 1a2b3c4 (HEAD~2)", "stdin". Borrowed. */
const char *kv_source_describe(const kv_source *s);

/* Reads the configuration file at the project root. Returns 0 with *data (caller frees) and
 * *path (borrowed), 1 when there is none, -1 on error. */
int kv_source_config(kv_source *s, char **data, size_t *len, const char **path, kv_buf *err);

/* Lists the entries to check, sorted by path. excludes are globs on project-relative paths. */
int kv_source_scan(kv_source *s, const char *const *excludes, size_t nexcludes, kv_buf *err);
size_t kv_source_count(const kv_source *s);
const kv_entry *kv_source_entry(const kv_source *s, size_t i);
size_t kv_source_note_count(const kv_source *s);
const kv_note *kv_source_note(const kv_source *s, size_t i);

/* Revision mode only: files by path inside the revision's tree, for schema locations that a
 * revision's .kvet.yaml names. kv_source_rev_kind returns 0 (absent), 1 (file), 2 (folder). */
bool kv_source_is_rev(const kv_source *s);
int kv_source_rev_kind(kv_source *s, const char *path);
/* Reads a file: 0 with data appended and the blob id in oid (41 bytes), 1 when absent or
 * larger than max, -1 on error. */
int kv_source_rev_read(kv_source *s, const char *path, uint64_t max, kv_buf *data, char *oid,
		       kv_buf *err);
/* Every file below a folder (paths relative to the tree root, sorted); caller frees each and
 * the array. */
int kv_source_rev_list(kv_source *s, const char *dir, char ***out, size_t *n);

/* File contents; release with kv_blob_release. */
typedef struct {
	const char *data;
	size_t len;
	void *owner;
	bool is_git;
} kv_blob;

void kv_blob_release(kv_blob *b);

/* A per-thread reader. Caller frees with kv_reader_free. */
typedef struct kv_reader kv_reader;
kv_reader *kv_reader_new(kv_source *s);
void kv_reader_free(kv_reader *r);
/* Reads entry i. Returns 0, 1 when it is larger than max (out->len holds the size; nothing
 * is read), or -1 with a message in err. */
int kv_reader_read(kv_reader *r, size_t i, uint64_t max, kv_blob *out, kv_buf *err);

#endif
