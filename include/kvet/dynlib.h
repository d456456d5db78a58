/* dynlib.h: libraries loaded on first use. libgit2 and libcurl cost ~11 ms of start-up
 * (their constructors pull in TLS, Kerberos, LDAP...), which a one-file check should not pay:
 * they are opened with dlopen by the soname kvet was built against, only when a revision is
 * read or a schema downloaded. */
#ifndef KVET_DYNLIB_H
#define KVET_DYNLIB_H

#include <stddef.h>

#include "kvet/buf.h"

/* Opens soname and resolves each of names[0..n) into fns. Returns 0, or -1 with the reason
 * (naming the Debian package to install) in err. The library stays loaded. */
int kv_dynlib_load(const char *soname, const char *package, const char *const *names,
		   void **fns, size_t n, kv_buf *err);

#endif
