/* internal.h: the source object shared by the work-tree, git and stdin readers. Internal to
 * src/source. */
#ifndef KVET_SOURCE_INTERNAL_H
#define KVET_SOURCE_INTERNAL_H

#include <git2.h>

#include "kvet/source.h"

typedef enum { SRC_WORKTREE, SRC_REV, SRC_STDIN } src_kind;

struct kv_source {
	src_kind kind;
	char *root_display; /* project root as shown */
	char *root_real;    /* realpath of the project root (work tree) */
	char *top_real;     /* symlinks may point anywhere below this (work tree) */
	char *describe;
	char **args;        /* paths given (display form) */
	char **arg_rel;     /* the same relative to the project root; NULL when outside it */
	size_t nargs;
	kv_entry *entries;
	size_t nentries, capentries;
	kv_note *notes;
	size_t nnotes, capnotes;
	/* revision mode */
	char *gitdir;
	git_repository *repo;
	git_tree *tree;
	char *config_path;
	/* stdin mode */
	char *stdin_data;
	size_t stdin_len;
	bool stdin_too_large;
};

void kv_source_add_entry(kv_source *s, char *display, char *rel, char *fs);
void kv_source_add_note(kv_source *s, const char *path, kv_rule rule, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* True when the project-relative path is excluded by default or by one of the globs. */
bool kv_source_excluded(const char *rel, const char *const *excludes, size_t n);
/* Sorts entries by path, drops duplicates, and moves Helm chart templates to notes. */
void kv_source_finish(kv_source *s);

int kv_git_scan(kv_source *s, const char *const *excludes, size_t n, kv_buf *err);
int kv_git_config(kv_source *s, char **data, size_t *len, kv_buf *err);
void kv_git_free(kv_source *s);

#endif
