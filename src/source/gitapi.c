/* gitapi.c: loads libgit2 once. The table is written under pthread_once and only read after:
 * process-wide, but immutable once made, like the library it describes. */
#include "gitapi.h"

#include "kvet/dynlib.h"

#include <pthread.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static kv_git_api api;
static kv_buf load_error = KV_BUF_INIT;
static int loaded;

static void load(void)
{
	static const char *const names[] = {
#define X(f) #f,
		KV_GIT_FUNCS(X)
#undef X
	};
	void *fns[sizeof names / sizeof names[0]];
	if (kv_dynlib_load(KV_LIBGIT2_SONAME, "libgit2-1.5", names, fns, sizeof names / sizeof names[0],
			   &load_error) < 0)
		return;
	size_t i = 0;
#define X(f) api.f = (__typeof__(api.f))fns[i++];
	KV_GIT_FUNCS(X)
#undef X
	loaded = 1;
}

const kv_git_api *kv_git_load(kv_buf *err)
{
	pthread_once(&once, load);
	if (!loaded)
		kv_buf_puts(err, kv_buf_cstr(&load_error));
	return loaded ? &api : NULL;
}

const kv_git_api *kv_git(void)
{
	return &api;
}
