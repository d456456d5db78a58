/* exempt.h: exemptions. A finding can be suppressed (kept, reported as suppressed with the
 * reason, never counted toward the exit code) by an exemption in the configuration (rule,
 * path glob, object), an inline comment `# kvet:ignore RULE[,RULE] -- reason` on or above
 * its line, or the object's annotation `kvet.dev/ignore: RULE[,RULE] -- reason`. RULE is a
 * rule or policy id, or a glob over them such as "bp/" followed by a star. */
#ifndef KVET_EXEMPT_H
#define KVET_EXEMPT_H

#include <stdbool.h>

#include "kvet/config.h"
#include "kvet/diag.h"
#include "kvet/node.h"

typedef struct {
	const kv_exemption *entries; /* borrowed from the configuration */
	size_t n;
	bool inline_ignores;         /* honour comments and annotations (--no-inline-ignores: no) */
} kv_exempt_rules;

/* What a kv_diags hook needs about where findings are being made; the caller updates path
 * and obj as it moves through files and objects. */
typedef struct {
	const kv_exempt_rules *rules;
	const char *path;   /* the file's path as reported */
	const char *rel;    /* and relative to the project root (exclusions' base); may be NULL */
	const kv_node *obj; /* the object being checked, or NULL */
	char reason[512];   /* the last reason returned: valid until the next call */
} kv_exempt_ctx;

/* A kv_exempt_fn: ud is a kv_exempt_ctx. */
const char *kv_exempt_check(void *ud, const kv_finding *f, const char *src, size_t len, uint32_t line0);

/* True when pattern (a glob where * matches any run, '/' included) matches id. */
bool kv_exempt_id_match(const char *pattern, const char *id);

#endif
