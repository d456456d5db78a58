/* sort.h: qsort wrappers that accept empty arrays: qsort's base may not be NULL even when the
 * count is 0, and many of kvet's arrays are NULL until their first element. */
#ifndef KVET_SORT_H
#define KVET_SORT_H

#include <stddef.h>

void kv_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
void kv_sort_r(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *, void *),
	       void *ctx);

#endif
