/* regex.c: the regular expressions a kustomization writes (patch targets, image names,
 * replacement item patterns). kustomize's are Go (RE2) patterns; PCRE2 reads the same syntax for
 * what kustomizations write, with Go's reading of `$` (end of text only). Matching is bounded by
 * one match and depth budget for every user, so a hostile pattern costs a bounded amount of
 * work: running out is RN_RE_LIMIT, for the caller to report. */
#include "internal.h"

#include "kvet/alloc.h"
#include "kvet/map.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MATCH_LIMIT 100000u
#define DEPTH_LIMIT 2000u

struct rn_regex {
	pcre2_code *code;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
};

rn_regex *rn_regex_new(const char *pattern, size_t len, char *msg, size_t msgsize)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)pattern, len,
				      PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C,
				      &code, &off, NULL);
	if (!c) {
		PCRE2_UCHAR text[160];
		pcre2_get_error_message(code, text, sizeof text);
		snprintf(msg, msgsize, "%s", (const char *)text);
		return NULL;
	}
	rn_regex *re = kv_xmalloc(sizeof *re);
	re->code = c;
	re->md = pcre2_match_data_create(1, NULL);
	re->mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(re->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(re->mctx, DEPTH_LIMIT);
	return re;
}

int rn_regex_match(const rn_regex *re, const char *s, size_t len)
{
	int rc = pcre2_match(re->code, (PCRE2_SPTR)(s ? s : ""), s ? len : 0, 0, 0, re->md, re->mctx);
	if (rc >= 0)
		return RN_RE_MATCH;
	if (rc == PCRE2_ERROR_NOMATCH)
		return RN_RE_NONE;
	return rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ? RN_RE_LIMIT : RN_RE_ERROR;
}

void rn_regex_free(rn_regex *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	pcre2_match_data_free(re->md);
	pcre2_match_context_free(re->mctx);
	free(re);
}

const rn_regex *rn_regex_cached(kv_render *r, const char *pattern, char *msg, size_t msgsize)
{
	size_t len = strlen(pattern);
	uint64_t *slot = kv_map_find(r->regex_index, pattern, len);
	if (slot)
		return r->regexes[*slot - 1];
	rn_regex *re = rn_regex_new(pattern, len, msg, msgsize);
	if (re) {
		KV_GROW(r->regexes, r->capregexes, r->nregexes + 1);
		r->regexes[r->nregexes++] = re;
		*kv_map_slot(r->regex_index, pattern, len, NULL) = r->nregexes;
	}
	return re;
}

void rn_regex_cache_free(kv_render *r)
{
	for (size_t i = 0; i < r->nregexes; i++)
		rn_regex_free(r->regexes[i]);
	free(r->regexes);
	kv_map_free(r->regex_index);
}
