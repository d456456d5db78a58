/* alloc.h: allocation that cannot fail. Out of memory aborts in one place, which removes a
 * whole class of error paths from the rest of kvet. */
#ifndef KVET_ALLOC_H
#define KVET_ALLOC_H

#include <stddef.h>

/* Each returns memory the caller frees with free(). */
void *kv_xmalloc(size_t n);
void *kv_xcalloc(size_t count, size_t size);
void *kv_xrealloc(void *p, size_t n);
/* Reallocates p to count * size bytes, aborting on overflow of the product. */
void *kv_xreallocarray(void *p, size_t count, size_t size);
char *kv_xstrdup(const char *s);
char *kv_xstrndup(const char *s, size_t n);
char *kv_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grows a dynamic array *items of *cap elements so that it can hold need elements. */
#define KV_GROW(items, cap, need)                                                         \
	do {                                                                              \
		if ((need) > (cap)) {                                                     \
			size_t kv_grow_cap_ = (cap) ? (cap) * 2 : 8;                      \
			while (kv_grow_cap_ < (need))                                     \
				kv_grow_cap_ *= 2;                                        \
			(items) = kv_xreallocarray((items), kv_grow_cap_, sizeof *(items)); \
			(cap) = kv_grow_cap_;                                             \
		}                                                                         \
	} while (0)

#endif
