/* report.c: format names and dispatch. */
#include "internal.h"

#include <string.h>

static const char *const names[] = {
#define X(e, s) s,
	KV_FORMATS_OUT(X)
#undef X
};

int kv_out_format_parse(kv_out_format *out, const char *name)
{
	for (int i = 0; i < KV_OUT_COUNT; i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (kv_out_format)i;
			return 0;
		}
	}
	return -1;
}

void kv_report(kv_buf *out, kv_out_format f, const kv_result *r, const kv_report_opts *o)
{
	switch (f) {
	case KV_OUT_JSON:
		kv_report_json(out, r, o);
		break;
	case KV_OUT_GITHUB:
		kv_report_github(out, r, o);
		break;
	default:
		kv_report_text(out, r, o);
	}
}
