/* validate.c: walks a value tree against a compiled schema. Recursion follows the data, so its
 * depth is bounded by the loader's depth limit; combinators, which do not descend, have a cap
 * of their own; every object has a step budget. Field paths are kept as a stack of segments and
 * only rendered when a finding is made (`spec.containers[0].image`, `data[key]`). */
#include "kvet/validate.h"

#include "internal.h"
#include "kvet/alloc.h"
#include "kvet/format.h"
#include "kvet/sort.h"
#include "kvet/strutil.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#define MAX_COMBINATOR_DEPTH 64

enum seg_kind { SEG_FIELD, SEG_KEY, SEG_INDEX, SEG_PATH /* a rendered path below the last */ };

typedef struct {
	const char *s;
	uint32_t len;
	uint32_t index;
	uint8_t kind;
} seg;

struct kv_validator {
	kv_vopts o;
	kv_diags *d;
	seg *segs;
	size_t nsegs, capsegs;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	uint64_t steps;
	bool out_of_steps, sops, patch;
	uint32_t mute, trial_errors, comb_depth;
	kv_buf trial_first; /* the first message of a muted trial */
	kv_buf path, msg, scratch;
	kv_sref objectmeta;
	bool has_objectmeta;
	uint64_t templated;
	kv_crd_rules *rules; /* created on the first x-kubernetes-validations rule */
	kv_cel_counts cel;
	uint64_t schema_reports; /* findings about the schema itself, not its CEL rules */
};

/* The extension records of one node, gathered in one pass. */
typedef struct {
	const uint32_t *enm, *min, *max, *multiple, *pattern, *listkeys, *not_;
	uint32_t enum_tag;
	uint64_t minlen, maxlen, minitems, maxitems, minprops, maxprops;
	bool has_minlen, has_maxlen, has_minitems, has_maxitems, has_minprops, has_maxprops;
	const uint32_t *allof, *anyof, *oneof, *cel;
} exts;

kv_validator *kv_validator_new(const kv_vopts *o)
{
	kv_validator *v = kv_xcalloc(1, sizeof *v);
	v->o = *o;
	v->md = pcre2_match_data_create(16, NULL);
	v->mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(v->mctx, o->regex_limit ? o->regex_limit : KV_REGEX_LIMIT_DEFAULT);
	pcre2_set_depth_limit(v->mctx, 10000);
	if (o->set)
		v->has_objectmeta = kv_schemaset_objectmeta(o->set, &v->objectmeta);
	return v;
}

void kv_validator_free(kv_validator *v)
{
	if (!v)
		return;
	pcre2_match_data_free(v->md);
	pcre2_match_context_free(v->mctx);
	kv_crd_rules_free(v->rules);
	free(v->segs);
	kv_buf_free(&v->trial_first);
	kv_buf_free(&v->path);
	kv_buf_free(&v->msg);
	kv_buf_free(&v->scratch);
	free(v);
}

static void push(kv_validator *v, uint8_t kind, const char *s, uint32_t len, uint32_t index)
{
	KV_GROW(v->segs, v->capsegs, v->nsegs + 1);
	v->segs[v->nsegs++] = (seg){s, len, index, kind};
}

static void pop(kv_validator *v)
{
	v->nsegs--;
}

static const char *render_path(kv_validator *v)
{
	kv_buf *b = &v->path;
	kv_buf_truncate(b, 0);
	for (size_t i = 0; i < v->nsegs; i++) {
		const seg *s = &v->segs[i];
		if (s->kind == SEG_INDEX) {
			kv_buf_printf(b, "[%u]", s->index);
		} else if (s->kind == SEG_PATH) {
			if (b->len && s->len && s->s[0] != '[')
				kv_buf_putc(b, '.');
			kv_buf_add(b, s->s, s->len);
		} else if (s->kind == SEG_KEY) {
			kv_buf_putc(b, '[');
			kv_buf_add(b, s->s, s->len);
			kv_buf_putc(b, ']');
		} else {
			if (b->len)
				kv_buf_putc(b, '.');
			kv_buf_add(b, s->s, s->len);
		}
	}
	return kv_buf_cstr(b);
}

static void report(kv_validator *v, kv_rule rule, const kv_node *at, const char *hint,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void report(kv_validator *v, kv_rule rule, const kv_node *at, const char *hint,
		   const char *fmt, ...)
{
	kv_buf_truncate(&v->msg, 0);
	va_list ap;
	va_start(ap, fmt);
	kv_buf_vprintf(&v->msg, fmt, ap);
	va_end(ap);
	if (v->mute) {
		if (!v->trial_errors++) {
			kv_buf_truncate(&v->trial_first, 0);
			const char *path = render_path(v);
			if (*path)
				kv_buf_printf(&v->trial_first, "%s: ", path);
			kv_buf_puts(&v->trial_first, kv_buf_cstr(&v->msg));
		}
		return;
	}
	if (rule != KV_RULE_SCHEMA_RULE && rule != KV_RULE_SCHEMA_RULE_ERROR)
		v->schema_reports++;
	kv_diag(v->d, rule, at->line, at->col, render_path(v), hint, "%s", kv_buf_cstr(&v->msg));
}

/* A candidate at a smaller edit distance wins; at the same distance, one of the input's own
 * length ("modle" suggests "model" rather than "mode"). */
static bool better(unsigned d, uint32_t len, unsigned best, uint32_t best_len, uint32_t want)
{
	return d < best || (d == best && len == want && best_len != want);
}

static void gather(const kv_schema *s, const kv_snode *n, exts *e)
{
	memset(e, 0, sizeof *e);
	if (!n->ext)
		return;
	for (const uint32_t *w = s->words + n->ext; *w != KV_X_END;) {
		uint32_t tag = *w++;
		switch (tag) {
		case KV_X_ENUM:
		case KV_X_ENUM_K8S:
			e->enm = w, e->enum_tag = tag;
			break;
		case KV_X_MIN: e->min = w; break;
		case KV_X_MAX: e->max = w; break;
		case KV_X_MULTIPLE: e->multiple = w; break;
		case KV_X_MINLEN: e->minlen = sb_u64(w), e->has_minlen = true; break;
		case KV_X_MAXLEN: e->maxlen = sb_u64(w), e->has_maxlen = true; break;
		case KV_X_MINITEMS: e->minitems = sb_u64(w), e->has_minitems = true; break;
		case KV_X_MAXITEMS: e->maxitems = sb_u64(w), e->has_maxitems = true; break;
		case KV_X_MINPROPS: e->minprops = sb_u64(w), e->has_minprops = true; break;
		case KV_X_MAXPROPS: e->maxprops = sb_u64(w), e->has_maxprops = true; break;
		case KV_X_PATTERN: e->pattern = w; break;
		case KV_X_ALLOF: e->allof = w; break;
		case KV_X_ANYOF: e->anyof = w; break;
		case KV_X_ONEOF: e->oneof = w; break;
		case KV_X_NOT: e->not_ = w; break;
		case KV_X_LISTKEYS: e->listkeys = w; break;
		case KV_X_CEL: e->cel = w; break;
		default: break;
		}
		w += kv_sb_ext_size(tag, w);
	}
}

static bool integral(double d)
{
	return isfinite(d) && d == floor(d) && fabs(d) < 9.2e18;
}

static bool type_ok(uint8_t types, const kv_node *node)
{
	switch (node->type) {
	case KV_NULL: return types & KV_ST_NULL;
	case KV_BOOL: return types & KV_ST_BOOL;
	case KV_INT: return types & (KV_ST_INT | KV_ST_NUM);
	case KV_DOUBLE:
		return (types & KV_ST_NUM) || ((types & KV_ST_INT) && integral(node->u.d) &&
					       !(node->flags & KV_NF_BIGNUM));
	case KV_STRING: return types & KV_ST_STR;
	case KV_LIST: return types & KV_ST_LIST;
	case KV_MAP: return types & KV_ST_MAP;
	default: return false;
	}
}

static void describe_types(kv_buf *b, uint8_t types)
{
	static const struct {
		uint8_t bit;
		const char *name;
	} names[] = {
		{KV_ST_STR, "string"}, {KV_ST_INT, "integer"}, {KV_ST_BOOL, "boolean"},
		{KV_ST_MAP, "map"},    {KV_ST_LIST, "list"},   {KV_ST_NULL, "null"},
	};
	if ((types & KV_ST_NUM) && !(types & KV_ST_STR))
		types &= (uint8_t)~KV_ST_INT;
	size_t count = 0;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		count += (types & names[i].bit) != 0;
	if (types & KV_ST_NUM)
		count++;
	size_t k = 0;
	for (size_t i = 0; i <= sizeof names / sizeof names[0]; i++) {
		const char *name;
		if (i == sizeof names / sizeof names[0]) {
			if (!(types & KV_ST_NUM))
				break;
			name = "number";
		} else if (types & names[i].bit) {
			name = names[i].name;
		} else {
			continue;
		}
		if (k)
			kv_buf_puts(b, k + 1 == count ? " or " : ", ");
		kv_buf_puts(b, name);
		k++;
	}
}

static bool looks_numeric(const kv_node *n)
{
	if (n->type != KV_STRING || !n->len)
		return false;
	char *end;
	strtod(n->u.s, &end);
	return *end == '\0' && !(n->u.s[0] == ' ');
}

/* A hint for the mistakes behind most type errors: unquoted YAML 1.1 words, numbers where a
 * string belongs, quotes around a number. */
static void type_hint(kv_validator *v, uint8_t types, const kv_node *node, kv_buf *hint)
{
	char tok[128];
	bool scalar = node->type == KV_BOOL || node->type == KV_INT || node->type == KV_DOUBLE;
	if ((types & KV_ST_STR) && scalar && kv_diags_token(v->d, node->line, node->col, tok, sizeof tok)) {
		if ((node->flags & KV_NF_YAML11) && node->type == KV_BOOL)
			kv_buf_printf(hint, "unquoted %s is YAML 1.1 for %s; quote it: \"%s\"", tok,
				      node->u.b ? "true" : "false", tok);
		else if ((node->flags & KV_NF_YAML11) && node->type == KV_INT)
			kv_buf_printf(hint, "unquoted %s is YAML 1.1 for the number %lld; quote it: \"%s\"",
				      tok, (long long)node->u.i, tok);
		else
			kv_buf_printf(hint, "quote it: \"%s\"", tok);
	} else if ((types & (KV_ST_INT | KV_ST_NUM)) && looks_numeric(node)) {
		kv_buf_puts(hint, "remove the quotes to write a number");
	} else if ((types & KV_ST_BOOL) && (kv_str_eq(node, "true") || kv_str_eq(node, "false"))) {
		kv_buf_puts(hint, "remove the quotes to write a boolean");
	} else if ((types & KV_ST_LIST) && node->type == KV_MAP) {
		kv_buf_puts(hint, "a list is expected: start each item with \"- \"");
	}
}

static void type_error(kv_validator *v, uint8_t types, const kv_node *node)
{
	if (v->mute) {
		report(v, KV_RULE_SCHEMA_TYPE, node, NULL, "wrong type");
		return;
	}
	kv_buf want = KV_BUF_INIT, hint = KV_BUF_INIT;
	describe_types(&want, types);
	type_hint(v, types, node, &hint);
	const char *got = node->type == KV_DOUBLE ? "number" : kv_type_name((kv_type)node->type);
	report(v, KV_RULE_SCHEMA_TYPE, node, hint.len ? kv_buf_cstr(&hint) : NULL,
	       "expected %s, got %s", kv_buf_cstr(&want), got);
	kv_buf_free(&want);
	kv_buf_free(&hint);
}

static bool value_matches(const kv_schema *s, const uint32_t *w, const kv_node *n)
{
	switch (w[0]) {
	case KV_XV_NULL: return n->type == KV_NULL;
	case KV_XV_BOOL: return n->type == KV_BOOL && n->u.b == (w[1] != 0);
	case KV_XV_INT:
		return (n->type == KV_INT && n->u.i == (int64_t)sb_u64(w + 1)) ||
		       (n->type == KV_DOUBLE && n->u.d == (double)(int64_t)sb_u64(w + 1));
	case KV_XV_NUM:
		return (n->type == KV_DOUBLE && n->u.d == sb_double(w + 1)) ||
		       (n->type == KV_INT && (double)n->u.i == sb_double(w + 1));
	case KV_XV_STR:
		return n->type == KV_STRING && n->len == sb_strlen(s, w[1]) &&
		       memcmp(n->u.s, sb_str(s, w[1]), n->len) == 0;
	default: return false;
	}
}

static void render_value(kv_buf *b, const kv_schema *s, const uint32_t *w)
{
	switch (w[0]) {
	case KV_XV_NULL: kv_buf_puts(b, "null"); break;
	case KV_XV_BOOL: kv_buf_puts(b, w[1] ? "true" : "false"); break;
	case KV_XV_INT: kv_buf_printf(b, "%lld", (long long)sb_u64(w + 1)); break;
	case KV_XV_NUM: kv_buf_printf(b, "%g", sb_double(w + 1)); break;
	default: kv_buf_add(b, sb_str(s, w[1]), sb_strlen(s, w[1]));
	}
}

static void check_enum(kv_validator *v, const kv_schema *s, const exts *e, const kv_node *n)
{
	uint32_t count = e->enm[0];
	const uint32_t *vals = e->enm + 1;
	for (uint32_t i = 0; i < count; i++)
		if (value_matches(s, vals + 3 * i, n))
			return;
	kv_rule rule = e->enum_tag == KV_X_ENUM_K8S ? KV_RULE_K8S_ENUM : KV_RULE_SCHEMA_ENUM;
	if (v->mute) {
		report(v, rule, n, NULL, "not an allowed value");
		return;
	}
	kv_buf list = KV_BUF_INIT, hint = KV_BUF_INIT;
	unsigned best = 3;
	uint32_t best_len = 0;
	const char *prefixed = NULL; /* the one allowed value the input begins, if unique */
	int prefixes = 0;
	for (uint32_t i = 0; i < count && list.len < 300; i++) {
		const uint32_t *w = vals + 3 * i;
		if (i)
			kv_buf_puts(&list, ", ");
		render_value(&list, s, w);
		if (w[0] != KV_XV_STR || n->type != KV_STRING)
			continue;
		const char *cand = sb_str(s, w[1]);
		uint32_t clen = sb_strlen(s, w[1]);
		unsigned d = kv_edit_distance(n->u.s, n->len, cand, clen, 2);
		if (d <= 2 && better(d, clen, best, best_len, n->len)) {
			best = d;
			best_len = clen;
			kv_buf_truncate(&hint, 0);
			kv_buf_printf(&hint, "did you mean %s?", cand);
		}
		if (n->len >= 3 && n->len < sb_strlen(s, w[1]) && strncasecmp(cand, n->u.s, n->len) == 0) {
			prefixed = cand;
			prefixes++;
		}
	}
	if (!hint.len && prefixes == 1)
		kv_buf_printf(&hint, "did you mean %s?", prefixed);
	if (n->type == KV_STRING)
		report(v, rule, n, hint.len ? kv_buf_cstr(&hint) : NULL, "\"%s\" is not one of: %s",
		       n->u.s, kv_buf_cstr(&list));
	else
		report(v, rule, n, NULL, "the value is not one of: %s", kv_buf_cstr(&list));
	kv_buf_free(&list);
	kv_buf_free(&hint);
}

static bool sops_value(const kv_validator *v, const kv_node *n)
{
	return v->sops && n->len >= 4 && memcmp(n->u.s, "ENC[", 4) == 0;
}

static const char *format_error(uint8_t format, const kv_node *n)
{
	const char *s = n->u.s;
	size_t len = n->len;
	switch (format) {
	case KV_FMT_BYTE: return kv_fmt_base64(s, len);
	case KV_FMT_DATE_TIME: return kv_fmt_date_time(s, len);
	case KV_FMT_DATE: return kv_fmt_date(s, len);
	case KV_FMT_DURATION: return kv_fmt_duration(s, len);
	case KV_FMT_UUID: return kv_fmt_uuid(s, len);
	case KV_FMT_IPV4: return kv_fmt_ipv4(s, len);
	case KV_FMT_IPV6: return kv_fmt_ipv6(s, len);
	case KV_FMT_CIDR: return kv_fmt_cidr(s, len);
	case KV_FMT_HOSTNAME: return kv_fmt_dns1123_subdomain(s, len);
	case KV_FMT_QUANTITY: return kv_fmt_quantity(s, len);
	default: return NULL;
	}
}

static void check_pattern(kv_validator *v, const kv_schema *s, const uint32_t *w, const kv_node *n)
{
	pcre2_code *re = kv_sb_pattern(s, w[1]);
	if (!re)
		return; /* reported when the schema was compiled */
	int rc = pcre2_match(re, (PCRE2_SPTR)n->u.s, n->len, 0, PCRE2_NO_UTF_CHECK, v->md, v->mctx);
	if (rc >= 0)
		return;
	if (rc == PCRE2_ERROR_NOMATCH)
		report(v, KV_RULE_SCHEMA_PATTERN, n, NULL, "\"%.*s\" does not match the pattern %s",
		       n->len > 200 ? 200 : (int)n->len, n->u.s, sb_str(s, w[0]));
	else if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
		 rc == PCRE2_ERROR_HEAPLIMIT)
		report(v, KV_RULE_LIMIT_REGEX, n, "simplify the pattern or the value",
		       "matching the pattern %s ran out of its work budget", sb_str(s, w[0]));
}

static void check_string(kv_validator *v, const kv_schema *s, const kv_snode *sn, const exts *e,
			 const kv_node *n)
{
	if (sops_value(v, n))
		return;
	const char *ferr = format_error(sn->format, n);
	if (ferr)
		report(v, sn->format == KV_FMT_QUANTITY ? KV_RULE_K8S_QUANTITY : KV_RULE_SCHEMA_FORMAT,
		       n, NULL, "\"%.*s\" is %s", n->len > 100 ? 100 : (int)n->len, n->u.s, ferr);
	if (e->has_minlen || e->has_maxlen) {
		size_t len = kv_utf8_count(n->u.s, n->len);
		if (e->has_minlen && len < e->minlen)
			report(v, KV_RULE_SCHEMA_SIZE, n, NULL, "shorter than %llu characters",
			       (unsigned long long)e->minlen);
		if (e->has_maxlen && len > e->maxlen)
			report(v, KV_RULE_SCHEMA_SIZE, n, NULL, "longer than %llu characters (%zu)",
			       (unsigned long long)e->maxlen, len);
	}
	if (e->pattern)
		check_pattern(v, s, e->pattern, n);
}

static void check_number(kv_validator *v, const kv_snode *sn, const exts *e, const kv_node *n)
{
	double d = n->type == KV_INT ? (double)n->u.i : n->u.d;
	if (sn->format == KV_FMT_INT32 && (d < -2147483648.0 || d > 2147483647.0)) {
		if (n->type == KV_INT)
			report(v, KV_RULE_SCHEMA_RANGE, n, NULL, "%lld does not fit a 32-bit integer",
			       (long long)n->u.i);
		else
			report(v, KV_RULE_SCHEMA_RANGE, n, NULL, "%g does not fit a 32-bit integer", d);
	}
	if ((sn->format == KV_FMT_INT64 || (sn->types & KV_ST_INT)) && (n->flags & KV_NF_BIGNUM))
		report(v, KV_RULE_SCHEMA_RANGE, n, NULL, "the number does not fit a 64-bit integer");
	if (e->min) {
		double m = sb_double(e->min);
		if (e->min[2] ? d <= m : d < m)
			report(v, KV_RULE_SCHEMA_RANGE, n, NULL, "%g is less than the minimum %s%g", d,
			       e->min[2] ? "(exclusive) " : "", m);
	}
	if (e->max) {
		double m = sb_double(e->max);
		if (e->max[2] ? d >= m : d > m)
			report(v, KV_RULE_SCHEMA_RANGE, n, NULL, "%g is more than the maximum %s%g", d,
			       e->max[2] ? "(exclusive) " : "", m);
	}
	if (e->multiple) {
		double m = sb_double(e->multiple), q = d / m;
		if (fabs(q - nearbyint(q)) > 1e-9)
			report(v, KV_RULE_SCHEMA_RANGE, n, NULL, "%g is not a multiple of %g", d, m);
	}
}

static void validate_node(kv_validator *v, const kv_schema *s, uint32_t idx, const kv_node *n);

static uint32_t find_prop(const kv_schema *s, const kv_snode *sn, const char *key, uint32_t len)
{
	uint32_t lo = sn->props, hi = sn->props + sn->nprops;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		uint32_t name = s->props[mid].name, nl = sb_strlen(s, name);
		int c = memcmp(key, sb_str(s, name), len < nl ? len : nl);
		if (!c)
			c = len < nl ? -1 : len > nl ? 1 : 0;
		if (!c)
			return s->props[mid].node;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return KV_SNONE;
}

static bool nullable(const kv_schema *s, uint32_t idx)
{
	const kv_snode *n = sb_node(s, idx);
	return (n->flags & KV_SF_NULLABLE) || (n->types & KV_ST_NULL);
}

static void unknown_field(kv_validator *v, const kv_schema *s, const kv_snode *sn, const kv_node *key)
{
	char hint[160] = "";
	unsigned best = 3;
	uint32_t best_len = 0;
	for (uint32_t i = 0; i < sn->nprops && !v->mute; i++) {
		uint32_t name = s->props[sn->props + i].name, len = sb_strlen(s, name);
		unsigned d = kv_edit_distance(key->u.s, key->len, sb_str(s, name), len, 2);
		if (d <= 2 && better(d, len, best, best_len, key->len)) {
			best = d;
			best_len = len;
			snprintf(hint, sizeof hint, "did you mean %s?", sb_str(s, name));
		}
	}
	push(v, SEG_FIELD, key->u.s, key->len, 0);
	report(v, KV_RULE_SCHEMA_UNKNOWN_FIELD, key, hint[0] ? hint : NULL, "unknown field \"%s\"",
	       key->u.s);
	pop(v);
}

/* Fields every custom resource root and embedded resource has, whatever its schema says. */
static bool resource_field(kv_validator *v, const kv_schema *s, const kv_snode *sn,
			   const kv_pair *p)
{
	const kv_node *k = p->key;
	if (kv_str_eq(k, "apiVersion") || kv_str_eq(k, "kind")) {
		push(v, SEG_FIELD, k->u.s, k->len, 0);
		if (p->value->type != KV_STRING)
			type_error(v, KV_ST_STR, p->value);
		pop(v);
		return true;
	}
	if (!kv_str_eq(k, "metadata"))
		return false;
	push(v, SEG_FIELD, k->u.s, k->len, 0);
	if (v->has_objectmeta)
		validate_node(v, v->objectmeta.schema, v->objectmeta.node, p->value);
	else if (find_prop(s, sn, "metadata", 8) == KV_SNONE && p->value->type != KV_MAP)
		type_error(v, KV_ST_MAP, p->value);
	pop(v);
	return true;
}

static void check_required(kv_validator *v, const kv_schema *s, const kv_snode *sn, const kv_node *n)
{
	uint32_t count = s->words[sn->req];
	for (uint32_t i = 0; i < count; i++) {
		uint32_t name = s->words[sn->req + 1 + i];
		const kv_node *val = kv_map_getn(n, sb_str(s, name), sb_strlen(s, name));
		if (val && val->type != KV_NULL)
			continue;
		uint32_t prop = find_prop(s, sn, sb_str(s, name), sb_strlen(s, name));
		if (val && prop != KV_SNONE && nullable(s, prop))
			continue;
		report(v, KV_RULE_SCHEMA_REQUIRED, n, NULL, "missing required field \"%s\"", sb_str(s, name));
	}
}

static void check_map(kv_validator *v, const kv_schema *s, const kv_snode *sn, const exts *e,
		      const kv_node *n)
{
	bool resource = sn->flags & (KV_SF_ROOT | KV_SF_EMBEDDED);
	bool closed = (sn->flags & KV_SF_CLOSED) && !(sn->flags & KV_SF_PRESERVE) && !v->o.allow_unknown;
	for (uint32_t i = 0; i < n->len; i++) {
		const kv_pair *p = &n->u.pairs[i];
		const kv_node *k = p->key, *val = p->value;
		uint32_t prop = find_prop(s, sn, k->u.s, k->len);
		if (resource && (prop == KV_SNONE || kv_str_eq(k, "metadata")) && resource_field(v, s, sn, p))
			continue;
		if (prop != KV_SNONE) {
			if (val->type == KV_NULL && !nullable(s, prop))
				continue; /* null is absent, as the API server decodes it */
			push(v, SEG_FIELD, k->u.s, k->len, 0);
			validate_node(v, s, prop, val);
			pop(v);
		} else if (sn->addl != KV_SNONE) {
			if (val->type == KV_NULL)
				continue;
			push(v, SEG_KEY, k->u.s, k->len, 0);
			validate_node(v, s, sn->addl, val);
			pop(v);
		} else if (closed && !(v->sops && v->nsegs == 0 && kv_str_eq(k, "sops")) &&
			   !(v->patch && k->len && k->u.s[0] == '$')) {
			unknown_field(v, s, sn, k);
		}
	}
	if (sn->req && !v->patch)
		check_required(v, s, sn, n);
	if ((sn->flags & KV_SF_EMBEDDED) && !(sn->flags & KV_SF_ROOT) && !v->patch) {
		if (!kv_str(kv_map_get(n, "apiVersion")))
			report(v, KV_RULE_SCHEMA_REQUIRED, n, NULL, "an embedded resource needs apiVersion");
		if (!kv_str(kv_map_get(n, "kind")))
			report(v, KV_RULE_SCHEMA_REQUIRED, n, NULL, "an embedded resource needs kind");
	}
	if (e->has_minprops && n->len < e->minprops)
		report(v, KV_RULE_SCHEMA_SIZE, n, NULL, "fewer than %llu entries",
		       (unsigned long long)e->minprops);
	if (e->has_maxprops && n->len > e->maxprops)
		report(v, KV_RULE_SCHEMA_SIZE, n, NULL, "more than %llu entries",
		       (unsigned long long)e->maxprops);
}

/* The default the schema gives an item's key field, when the item leaves it out. */
static const uint32_t *key_default(const kv_schema *s, uint32_t items, const char *name, uint32_t len)
{
	if (items == KV_SNONE)
		return NULL;
	uint32_t prop = find_prop(s, sb_node(s, items), name, len);
	if (prop == KV_SNONE || !sb_node(s, prop)->ext)
		return NULL;
	for (const uint32_t *w = s->words + sb_node(s, prop)->ext; *w != KV_X_END;) {
		uint32_t tag = *w++;
		if (tag == KV_X_DEFAULT)
			return w;
		w += kv_sb_ext_size(tag, w);
	}
	return NULL;
}

static void render_scalar(kv_buf *b, const kv_node *n)
{
	switch (n->type) {
	case KV_STRING: kv_buf_printf(b, "\"%.*s\"", n->len > 80 ? 80 : (int)n->len, n->u.s); break;
	case KV_INT: kv_buf_printf(b, "%lld", (long long)n->u.i); break;
	case KV_DOUBLE: kv_buf_printf(b, "%g", n->u.d); break;
	case KV_BOOL: kv_buf_puts(b, n->u.b ? "true" : "false"); break;
	case KV_NULL: kv_buf_puts(b, "null"); break;
	default: kv_buf_printf(b, "<%s>", kv_type_name((kv_type)n->type)); break;
	}
}

typedef struct {
	size_t off, len;
	uint32_t item;
} keyent;

static int keyent_cmp(const void *a, const void *b, void *ctx)
{
	const keyent *x = a, *y = b;
	const char *base = ctx;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	int c = memcmp(base + x->off, base + y->off, x->len);
	return c ? c : (x->item < y->item ? -1 : 1);
}

/* Renders an item's key ("name=\"web\"" or "containerPort=80, protocol=\"TCP\"") into the
 * scratch buffer; the rendering doubles as the comparison key. */
static void item_key(kv_validator *v, const kv_schema *s, uint32_t items, const uint32_t *keys,
		     const kv_node *item)
{
	kv_buf *b = &v->scratch;
	for (uint32_t k = 0; k < keys[0]; k++) {
		uint32_t name = keys[1 + k], nl = sb_strlen(s, name);
		if (k)
			kv_buf_puts(b, ", ");
		kv_buf_printf(b, "%s=", sb_str(s, name));
		const kv_node *val = kv_map_getn(item, sb_str(s, name), nl);
		const uint32_t *dflt = val ? NULL : key_default(s, items, sb_str(s, name), nl);
		if (val)
			render_scalar(b, val);
		else if (dflt && dflt[0] == KV_XV_STR)
			kv_buf_printf(b, "\"%s\"", sb_str(s, dflt[1]));
		else if (dflt)
			render_value(b, s, dflt);
		else
			kv_buf_puts(b, "(unset)");
	}
}

static void check_unique(kv_validator *v, const kv_schema *s, const kv_snode *sn, const exts *e,
			 const kv_node *n)
{
	bool by_keys = (sn->flags & KV_SF_LIST_MAP) && e->listkeys;
	if (n->len < 2 || (!by_keys && !(sn->flags & (KV_SF_LIST_SET | KV_SF_UNIQUE))))
		return;
	kv_buf_truncate(&v->scratch, 0);
	keyent *ents = kv_xmalloc(sizeof *ents * n->len);
	size_t count = 0;
	for (uint32_t i = 0; i < n->len; i++) {
		const kv_node *item = n->u.items[i];
		if (by_keys && item->type != KV_MAP)
			continue;
		size_t off = v->scratch.len;
		if (by_keys)
			item_key(v, s, sn->items, e->listkeys, item);
		else if (item->type == KV_MAP || item->type == KV_LIST)
			continue; /* sets of scalars only; deep equality is not worth its cost here */
		else
			render_scalar(&v->scratch, item);
		ents[count++] = (keyent){off, v->scratch.len - off, i};
	}
	kv_sort_r(ents, count, sizeof *ents, keyent_cmp, v->scratch.data);
	for (size_t i = 1; i < count; i++) {
		if (ents[i].len != ents[i - 1].len ||
		    memcmp(v->scratch.data + ents[i].off, v->scratch.data + ents[i - 1].off, ents[i].len))
			continue;
		const kv_node *first = n->u.items[ents[i - 1].item], *dup = n->u.items[ents[i].item];
		push(v, SEG_INDEX, NULL, 0, ents[i].item);
		report(v, KV_RULE_SCHEMA_UNIQUE, dup, NULL, "duplicate entry %.*s (first at line %u)",
		       (int)ents[i].len, v->scratch.data + ents[i].off, first->line);
		pop(v);
	}
	free(ents);
}

static void check_list(kv_validator *v, const kv_schema *s, const kv_snode *sn, const exts *e,
		       const kv_node *n)
{
	if (sn->items != KV_SNONE) {
		for (uint32_t i = 0; i < n->len; i++) {
			push(v, SEG_INDEX, NULL, 0, i);
			validate_node(v, s, sn->items, n->u.items[i]);
			pop(v);
		}
	}
	check_unique(v, s, sn, e, n);
	if (e->has_minitems && n->len < e->minitems)
		report(v, KV_RULE_SCHEMA_SIZE, n, NULL, "fewer than %llu items",
		       (unsigned long long)e->minitems);
	if (e->has_maxitems && n->len > e->maxitems)
		report(v, KV_RULE_SCHEMA_SIZE, n, NULL, "more than %llu items (%u)",
		       (unsigned long long)e->maxitems, n->len);
}

/* Runs one subschema muted; returns the errors it would have reported. */
static uint32_t trial(kv_validator *v, const kv_schema *s, uint32_t idx, const kv_node *n)
{
	uint32_t before = v->trial_errors;
	v->trial_errors = 0;
	kv_buf saved = v->trial_first;
	v->trial_first = (kv_buf)KV_BUF_INIT;
	v->mute++;
	validate_node(v, s, idx, n);
	v->mute--;
	uint32_t errors = v->trial_errors;
	v->trial_errors = before;
	if (v->mute) {
		kv_buf_free(&v->trial_first);
		v->trial_first = saved;
	} else {
		kv_buf_free(&saved);
	}
	return errors;
}

static void check_alternatives(kv_validator *v, const kv_schema *s, const uint32_t *list,
			       bool one, const kv_node *n)
{
	uint32_t count = list[0], passed = 0, best = UINT32_MAX;
	kv_buf closest = KV_BUF_INIT;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t errors = trial(v, s, list[1 + i], n);
		if (!errors) {
			passed++;
		} else if (errors < best && !v->mute) {
			best = errors;
			kv_buf_truncate(&closest, 0);
			kv_buf_puts(&closest, kv_buf_cstr(&v->trial_first));
		}
		if (passed && !one)
			break;
	}
	const char *which = one ? "oneOf" : "anyOf";
	if (!passed)
		report(v, KV_RULE_SCHEMA_COMBINATOR, n, closest.len ? kv_buf_cstr(&closest) : NULL,
		       "matches none of the %u alternatives (%s)", count, which);
	else if (one && passed > 1)
		report(v, KV_RULE_SCHEMA_COMBINATOR, n, NULL,
		       "matches %u of the oneOf alternatives; exactly one must match", passed);
	kv_buf_free(&closest);
}

static void combinators(kv_validator *v, const kv_schema *s, const exts *e, const kv_node *n)
{
	if (!e->allof && !e->anyof && !e->oneof && !e->not_)
		return;
	if (v->comb_depth >= MAX_COMBINATOR_DEPTH) {
		report(v, KV_RULE_LIMIT_VALIDATION, n, NULL,
		       "allOf/anyOf/oneOf/not nest deeper than %d levels", MAX_COMBINATOR_DEPTH);
		return;
	}
	v->comb_depth++;
	for (uint32_t i = 0; e->allof && i < e->allof[0]; i++)
		validate_node(v, s, e->allof[1 + i], n);
	if (e->anyof)
		check_alternatives(v, s, e->anyof, false, n);
	if (e->oneof)
		check_alternatives(v, s, e->oneof, true, n);
	if (e->not_ && trial(v, s, e->not_[0], n) == 0)
		report(v, KV_RULE_SCHEMA_COMBINATOR, n, NULL, "matches a schema it must not match (not)");
	v->comb_depth--;
}

/* The value's x-kubernetes-validations rules, after the value itself validated cleanly as
 * far as its own node goes (the API server runs them on well-formed values). Inside a trial
 * of anyOf/oneOf they do not run: they belong to the schema the value is reported against. */
static void check_rules(kv_validator *v, const kv_schema *s, const uint32_t *w, const kv_node *n)
{
	if (v->mute || v->patch)
		return;
	if (!v->rules)
		v->rules = kv_crd_rules_new(v->o.rule_steps);
	for (uint32_t i = 0; i < w[0]; i++) {
		const uint32_t *rule = w + 1 + i * KV_CEL_WORDS;
		kv_buf_truncate(&v->scratch, 0);
		const kv_node *at;
		switch (kv_crd_rule_eval(v->rules, s, rule, n, &v->scratch, &at)) {
		case KV_CRD_PASS: v->cel.evaluated++; break;
		case KV_CRD_FAIL: {
			v->cel.evaluated++;
			/* Reported where the rule points (fieldPath) or the node it read: the path
			 * goes on below the rule's own field. */
			kv_buf below = KV_BUF_INIT;
			bool deeper = at != n && kv_node_path(n, at, &below) && below.len;
			if (deeper)
				push(v, SEG_PATH, below.data, (uint32_t)below.len, 0);
			/* A map or list reads best at its key ("canary:"). */
			const kv_node *key = deeper && (at->type == KV_MAP || at->type == KV_LIST) ? kv_node_key_of(n, at) : NULL;
			report(v, KV_RULE_SCHEMA_RULE, key ? key : at, NULL, "%s", kv_buf_cstr(&v->scratch));
			if (deeper)
				pop(v);
			kv_buf_free(&below);
			break;
		}
		case KV_CRD_ERROR:
			v->cel.evaluated++;
			report(v, KV_RULE_SCHEMA_RULE_ERROR, at, NULL, "%s", kv_buf_cstr(&v->scratch));
			break;
		case KV_CRD_TRANSITION: v->cel.transition++; break;
		case KV_CRD_INVALID: v->cel.invalid++; break;
		}
	}
}

static void validate_node(kv_validator *v, const kv_schema *s, uint32_t idx, const kv_node *n)
{
	if (v->out_of_steps)
		return;
	if (++v->steps > v->o.max_steps) {
		v->out_of_steps = true;
		uint32_t mute = v->mute;
		v->mute = 0;
		report(v, KV_RULE_LIMIT_VALIDATION, n, NULL, "validation stopped after %llu steps",
		       (unsigned long long)v->o.max_steps);
		v->mute = mute;
		return;
	}
	const kv_snode *sn = sb_node(s, idx);
	if (sn->flags & KV_SF_OPEN_ANY)
		return;
	if (n->type == KV_STRING && kv_is_templated(n->u.s, n->len)) {
		v->templated += !v->mute;
		return;
	}
	if (sn->types && !type_ok(sn->types, n)) {
		type_error(v, sn->types, n);
		return;
	}
	exts e;
	gather(s, sn, &e);
	uint32_t saved_comb = v->comb_depth;
	uint64_t reports = v->schema_reports;
	switch (n->type) {
	case KV_STRING:
		check_string(v, s, sn, &e, n);
		break;
	case KV_INT:
	case KV_DOUBLE:
		check_number(v, sn, &e, n);
		break;
	case KV_MAP:
		v->comb_depth = 0; /* descending into data resets the combinator cap */
		check_map(v, s, sn, &e, n);
		break;
	case KV_LIST:
		v->comb_depth = 0;
		check_list(v, s, sn, &e, n);
		break;
	default:
		break;
	}
	v->comb_depth = saved_comb;
	if (e.enm && !(n->type == KV_STRING && sops_value(v, n)))
		check_enum(v, s, &e, n);
	combinators(v, s, &e, n);
	/* Rules run on values that are valid as far as the schema goes: on others they would
	 * only repeat the problem in other words. */
	if (e.cel && !v->sops && v->schema_reports == reports)
		check_rules(v, s, e.cel, n);
}

void kv_validator_cel_counts(const kv_validator *v, kv_cel_counts *out)
{
	*out = v->cel;
}

uint64_t kv_validator_templated(const kv_validator *v)
{
	return v->templated;
}

void kv_validate(kv_validator *v, kv_sref root, const kv_node *obj, unsigned flags,
		 kv_diags *diags)
{
	v->d = diags;
	v->sops = flags & KV_VALIDATE_SOPS;
	v->patch = flags & KV_VALIDATE_PATCH;
	v->steps = 0;
	v->out_of_steps = false;
	v->mute = 0;
	v->trial_errors = 0;
	v->comb_depth = 0;
	v->nsegs = 0;
	validate_node(v, root.schema, root.node, obj);
}
