/* units.c: the reconciler units of a repository. SCAFFOLDING until written. */
#include "internal.h"

#include <string.h>

int kv_render_units(kv_render *r, kv_units *out)
{
	(void)r;
	memset(out, 0, sizeof *out);
	return 0;
}
