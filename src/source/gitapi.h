/* gitapi.h: the libgit2 functions kvet calls, resolved on first use (see kvet/dynlib.h).
 * Internal to src/source. */
#ifndef KVET_SOURCE_GITAPI_H
#define KVET_SOURCE_GITAPI_H

#include <git2.h>

#include "kvet/buf.h"

#define KV_GIT_FUNCS(X)                                                                      \
	X(git_libgit2_init) X(git_libgit2_shutdown) X(git_error_last)                        \
	X(git_repository_open) X(git_repository_open_ext) X(git_repository_free)            \
	X(git_repository_path) X(git_repository_workdir) X(git_repository_odb)               \
	X(git_odb_read_header) X(git_odb_free) X(git_revparse_single) X(git_object_peel)     \
	X(git_object_id) X(git_object_free) X(git_oid_tostr) X(git_oid_tostr_s)              \
	X(git_tree_free) X(git_tree_walk) X(git_tree_entry_name) X(git_tree_entry_filemode)  \
	X(git_tree_entry_id) X(git_tree_entry_type) X(git_tree_entry_bypath)                 \
	X(git_tree_entry_free) X(git_blob_lookup) X(git_blob_rawcontent) X(git_blob_rawsize) \
	X(git_blob_free)

typedef struct {
#define X(f) __typeof__(&f) f;
	KV_GIT_FUNCS(X)
#undef X
} kv_git_api;

/* The functions, loading libgit2 the first time; NULL with the reason in err. */
const kv_git_api *kv_git_load(kv_buf *err);
/* The functions once kv_git_load has succeeded. */
const kv_git_api *kv_git(void);

#endif
