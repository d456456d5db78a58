/* dynlib.c: dlopen with a clear message when a library is missing. */
#include "kvet/dynlib.h"

#include <dlfcn.h>

int kv_dynlib_load(const char *soname, const char *package, const char *const *names,
		   void **fns, size_t n, kv_buf *err)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		kv_buf_printf(err, "cannot load %s (install the Debian package %s): %s", soname,
			      package, dlerror());
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		fns[i] = dlsym(h, names[i]);
		if (!fns[i]) {
			kv_buf_printf(err, "%s lacks %s: a different library version than kvet was built for",
				      soname, names[i]);
			return -1;
		}
	}
	return 0;
}
