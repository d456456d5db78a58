/* report.h: the only stage that turns results into text. Each format renders a whole result
 * into a buffer; the CLI decides where it goes. */
#ifndef KVET_REPORT_H
#define KVET_REPORT_H

#include <stdbool.h>

#include "kvet/buf.h"
#include "kvet/check.h"

#define KV_FORMATS_OUT(X)          \
	X(TEXT, "text")            \
	X(JSON, "json")            \
	X(GITHUB, "github")

typedef enum {
#define X(e, s) KV_OUT_##e,
	KV_FORMATS_OUT(X)
#undef X
	KV_OUT_COUNT
} kv_out_format;

/* Returns 0 and sets *out, or -1 for an unknown name. */
int kv_out_format_parse(kv_out_format *out, const char *name);

typedef struct {
	bool color;          /* ANSI colours (text) */
	bool summary;        /* the closing summary line (text) */
	const char *source;  /* what was checked, e.g. "work tree" (json) */
} kv_report_opts;

void kv_report(kv_buf *out, kv_out_format f, const kv_result *r, const kv_report_opts *o);

#endif
