/* regex.c: CEL's regular expressions, which are RE2's: compiled by PCRE2 after a check that
 * the pattern uses nothing RE2 lacks (backreferences, lookaround, atomic groups, possessive
 * quantifiers, recursion, conditionals), since those can take exponential time and a policy
 * must not. Matching is bounded by PCRE2's match and depth limits; reaching one is an error,
 * never a hang. Constant patterns compile once, with the program. */
#include "internal.h"

#include "kvet/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MATCH_LIMIT 200000u
#define DEPTH_LIMIT 2000u
#define HEAP_LIMIT_KIB 16384u

struct kv_cel_regex {
	pcre2_code *code;
};

/* The first construct of pattern RE2 does not have, as a message, or NULL. */
static const char *not_re2(const char *p, size_t n, size_t *at)
{
	bool in_class = false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		*at = i;
		if (c == '\\') {
			if (i + 1 >= n)
				return NULL;
			char e = p[++i];
			if (in_class)
				continue;
			if (e >= '1' && e <= '9')
				return "backreferences are not supported (CEL regular expressions are RE2)";
			if (e == 'g' || e == 'k')
				return "backreferences are not supported (CEL regular expressions are RE2)";
			if (e == 'K' || e == 'Z' || e == 'G' || e == 'R' || e == 'X')
				return "this escape is not part of RE2 syntax";
			if (e == 'Q') { /* literal text up to \E */
				const char *end = NULL;
				for (size_t k = i + 1; k + 1 < n; k++)
					if (p[k] == '\\' && p[k + 1] == 'E') {
						end = p + k;
						break;
					}
				i = end ? (size_t)(end - p) + 1 : n;
			}
			continue;
		}
		if (in_class) {
			if (c == ']')
				in_class = false;
			else if (c == '[' && i + 1 < n && p[i + 1] == ':') {
				const char *close = memchr(p + i + 2, ']', n - i - 2);
				if (close)
					i = (size_t)(close - p);
			}
			continue;
		}
		if (c == '[') {
			in_class = true;
			if (i + 1 < n && p[i + 1] == '^')
				i++;
			if (i + 1 < n && p[i + 1] == ']')
				i++; /* a leading ] is a literal */
			continue;
		}
		if (c == '(' && i + 1 < n && p[i + 1] == '*')
			return "PCRE verbs are not part of RE2 syntax";
		if (c == '(' && i + 2 < n && p[i + 1] == '?') {
			char k = p[i + 2];
			if (k == '=' || k == '!')
				return "lookahead is not supported (CEL regular expressions are RE2)";
			if (k == '<' && i + 3 < n && (p[i + 3] == '=' || p[i + 3] == '!'))
				return "lookbehind is not supported (CEL regular expressions are RE2)";
			if (k == '>' || k == '|')
				return "atomic and branch-reset groups are not part of RE2 syntax";
			if (k == '(' || k == 'R' || k == '&' || (k >= '0' && k <= '9') || k == '+' || k == 'C')
				return "recursion, conditionals and callouts are not part of RE2 syntax";
			if (k == 'P' && i + 3 < n && (p[i + 3] == '>' || p[i + 3] == '='))
				return "backreferences are not supported (CEL regular expressions are RE2)";
			continue;
		}
		if ((c == '*' || c == '+' || c == '?' || c == '}') && i + 1 < n && p[i + 1] == '+' &&
		    !(c == '+' && i > 0 && p[i - 1] == '\\'))
			return "possessive quantifiers are not part of RE2 syntax";
	}
	return NULL;
}

kv_cel_regex *kv_cel_regex_compile(const char *pattern, size_t len, char *msg, size_t msgsize,
				   size_t *errpos)
{
	const char *why = not_re2(pattern, len, errpos);
	if (why) {
		snprintf(msg, msgsize, "%s", why);
		return NULL;
	}
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, len,
				       PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C, &code,
				       &off, NULL);
	if (!re) {
		PCRE2_UCHAR text[160];
		pcre2_get_error_message(code, text, sizeof text);
		snprintf(msg, msgsize, "%s", (const char *)text);
		*errpos = off;
		return NULL;
	}
	kv_cel_regex *r = kv_xmalloc(sizeof *r);
	r->code = re;
	return r;
}

void kv_cel_regex_free(kv_cel_regex *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	free(re);
}

void kv_cel_regex_free_aux(void *aux)
{
	kv_cel_regex_free(aux);
}

/* The pattern argument is args[1] (a method's receiver, or a global's subject, is args[0]).
 * A constant pattern compiles now, so a bad one is a compile error at its position. */
int kv_cel_regex_prepare_arg1(const kv_cel_node *const *args, size_t nargs, const void **aux,
			      char *msg, size_t msgsize, uint32_t *pos)
{
	if (nargs < 2 || args[1]->kind != KV_CEL_STRING)
		return 0;
	size_t at = 0;
	char why[160];
	kv_cel_regex *re = kv_cel_regex_compile(args[1]->str, args[1]->len, why, sizeof why, &at);
	if (!re) {
		snprintf(msg, msgsize, "invalid regular expression: %s (at offset %zu of the pattern)", why, at);
		*pos = args[1]->pos;
		return -1;
	}
	*aux = re;
	return 0;
}

void kv_cel_regex_run_free(kv_cel_run *r)
{
	for (size_t i = 0; i < sizeof r->recache / sizeof r->recache[0]; i++) {
		free(r->recache[i].pattern);
		kv_cel_regex_free(r->recache[i].re);
	}
	pcre2_match_data_free(r->md);
	pcre2_match_context_free(r->mctx);
}

const kv_cel_regex *kv_cel_regex_for(kv_cel_call *c, size_t i, kv_cel_val *err)
{
	if (c->aux)
		return c->aux;
	kv_cel_run *r = c->r;
	const kv_cel_val *p = &c->args[i];
	size_t slots = sizeof r->recache / sizeof r->recache[0];
	for (size_t k = 0; k < slots; k++)
		if (r->recache[k].re && r->recache[k].len == p->len && memcmp(r->recache[k].pattern, p->u.s, p->len) == 0)
			return r->recache[k].re;
	if (!kv_cel_charge(r, p->len / 4 + 1)) {
		*err = kv_cel_budget_error(r, c->pos);
		return NULL;
	}
	char why[160];
	size_t at = 0;
	kv_cel_regex *re = kv_cel_regex_compile(p->u.s, p->len, why, sizeof why, &at);
	if (!re) {
		*err = kv_cel_errorf(r, KV_CEL_E_BAD_REGEX, c->pos, "invalid regular expression: %s (at offset %zu of the pattern)", why, at);
		return NULL;
	}
	size_t k = r->renext++ % slots;
	free(r->recache[k].pattern);
	kv_cel_regex_free(r->recache[k].re);
	r->recache[k].pattern = kv_xmalloc(p->len + 1);
	memcpy(r->recache[k].pattern, p->u.s, p->len);
	r->recache[k].len = p->len;
	r->recache[k].re = re;
	return re;
}

int kv_cel_regex_search(kv_cel_call *c, const kv_cel_regex *re, const char *s, size_t len,
			size_t from, size_t *start, size_t *end, kv_cel_val *err)
{
	kv_cel_run *r = c->r;
	if (!r->md) {
		r->md = pcre2_match_data_create(1, NULL);
		r->mctx = pcre2_match_context_create(NULL);
		pcre2_set_match_limit(r->mctx, MATCH_LIMIT);
		pcre2_set_depth_limit(r->mctx, DEPTH_LIMIT);
		pcre2_set_heap_limit(r->mctx, HEAP_LIMIT_KIB);
	}
	if (!kv_cel_charge(r, (len - from) / 16 + 1)) {
		*err = kv_cel_budget_error(r, c->pos);
		return -1;
	}
	int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, from, 0, r->md, r->mctx);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0) {
		bool limit = rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
			     rc == PCRE2_ERROR_HEAPLIMIT;
		if (limit)
			*err = kv_cel_errorf(r, KV_CEL_E_REGEX_LIMIT, c->pos,
					    "the regular expression needs too much work on this input "
					    "(match limit reached); simplify nested repetition");
		else
			*err = kv_cel_errorf(r, KV_CEL_E_BAD_REGEX, c->pos, "regular expression match failed (PCRE2 error %d)", rc);
		return -1;
	}
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
	*start = ov[0];
	*end = ov[1];
	return 1;
}
