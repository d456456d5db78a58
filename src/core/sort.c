/* sort.c: qsort for arrays that may be empty and NULL. */
#include "kvet/sort.h"

#include <stdlib.h>

void kv_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

void kv_sort_r(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *, void *),
	       void *ctx)
{
	if (n > 1)
		qsort_r(base, n, size, cmp, ctx);
}
