/* diag.c: the rule and severity tables, and the per-file finding collector, which attaches the
 * source line and the span to underline to each finding as it is made. */
#include "kvet/diag.h"

#include "kvet/alloc.h"
#include "kvet/buf.h"
#include "kvet/sort.h"
#include "kvet/strutil.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const severity_names[] = {
#define X(e, s) s,
	KV_SEVERITIES(X)
#undef X
};

static const struct {
	const char *name, *doc;
	kv_severity sev;
} rules[] = {
#define X(e, name, sev, doc) {name, doc, KV_SEV_##sev},
	KV_RULES(X)
#undef X
};

const char *kv_severity_name(kv_severity s)
{
	return s < KV_SEV_COUNT ? severity_names[s] : "?";
}

int kv_severity_parse(kv_severity *out, const char *name)
{
	for (int i = 0; i < KV_SEV_COUNT; i++) {
		if (strcmp(name, severity_names[i]) == 0) {
			*out = (kv_severity)i;
			return 0;
		}
	}
	return -1;
}

const char *kv_rule_name(kv_rule r)
{
	return r < KV_RULE_COUNT ? rules[r].name : "?";
}

const char *kv_rule_doc(kv_rule r)
{
	return r < KV_RULE_COUNT ? rules[r].doc : "";
}

kv_severity kv_rule_default_severity(kv_rule r)
{
	return rules[r].sev;
}

int kv_rule_lookup(kv_rule *out, const char *name)
{
	for (int i = 0; i < KV_RULE_COUNT; i++) {
		if (strcmp(name, rules[i].name) == 0) {
			*out = (kv_rule)i;
			return 0;
		}
	}
	return -1;
}

void kv_rule_config_defaults(kv_rule_config *rc)
{
	for (int i = 0; i < KV_RULE_COUNT; i++)
		rc->sev[i] = (uint8_t)rules[i].sev;
}

void kv_finding_free(kv_finding *f)
{
	free(f->message);
	free(f->hint);
	free(f->field);
	free(f->api_version);
	free(f->kind);
	free(f->ns);
	free(f->name);
	free(f->source);
	free(f->rule_id);
	free(f->suppressed);
}

const char *kv_finding_rule(const kv_finding *f)
{
	return f->rule_id ? f->rule_id : kv_rule_name(f->rule);
}

void kv_diags_init(kv_diags *d, const kv_rule_config *rc, uint32_t file)
{
	memset(d, 0, sizeof *d);
	d->rules = rc;
	d->file = file;
}

void kv_diags_free(kv_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		kv_finding_free(&d->items[i]);
	free(d->items);
	free(d->lines);
	d->items = NULL;
	d->lines = NULL;
	d->n = d->cap = d->nlines = 0;
}

void kv_diags_set_source(kv_diags *d, const char *src, size_t len, uint32_t line0)
{
	free(d->lines);
	d->lines = NULL;
	d->nlines = 0;
	d->src = src;
	d->srclen = len;
	d->src_line0 = line0 ? line0 : 1;
}

static void build_lines(kv_diags *d)
{
	size_t cap = 0;
	KV_GROW(d->lines, cap, 64);
	d->lines[d->nlines++] = 0;
	for (const char *p = d->src, *end = d->src + d->srclen;
	     (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++) {
		KV_GROW(d->lines, cap, d->nlines + 1);
		d->lines[d->nlines++] = (uint32_t)(p + 1 - d->src);
	}
}

/* Columns a span covers: a quoted scalar to its closing quote, a plain token to the end of
 * the line (less a trailing comment), stopping at flow punctuation inside flow collections. */
static uint32_t token_cols(const char *s, size_t n, bool flow)
{
	if (!n)
		return 1;
	size_t i = 0;
	if (s[0] == '"' || s[0] == '\'') {
		for (i = 1; i < n; i++) {
			if (s[0] == '"' && s[i] == '\\' && i + 1 < n) {
				i++; /* the escaped character; a backslash that ends the line ends the span */
				continue;
			}
			if (s[i] == s[0]) {
				if (s[0] == '\'' && i + 1 < n && s[i + 1] == '\'') {
					i++;
					continue;
				}
				i++;
				break;
			}
		}
	} else if (s[0] == '{' || s[0] == '[' || s[0] == '-') {
		i = 1;
	} else {
		for (; i < n; i++) {
			if ((s[i] == '#' && i && (s[i - 1] == ' ' || s[i - 1] == '\t')) ||
			    (s[i] == ':' && (i + 1 == n || s[i + 1] == ' ' || s[i + 1] == '\t')) ||
			    (flow && (s[i] == ',' || s[i] == ']' || s[i] == '}')))
				break;
		}
		while (i > 1 && (s[i - 1] == ' ' || s[i - 1] == '\t'))
			i--;
	}
	if (i > n)
		i = n;
	uint32_t cols = (uint32_t)kv_utf8_count(s, i);
	return cols ? cols : 1;
}

#define MAX_SOURCE_LINE 400

static bool source_line(kv_diags *d, uint32_t line, const char **text, size_t *len);

static void attach_source(kv_diags *d, kv_finding *f)
{
	const char *line;
	size_t len;
	if (!source_line(d, f->line, &line, &len) || len > MAX_SOURCE_LINE || !kv_utf8_valid(line, len, NULL))
		return; /* minified, generated or not text: a caret line would not help */
	f->source = kv_xstrndup(line, len);
	f->caret_col = f->col ? f->col : 1;
	size_t off = kv_utf8_col_offset(line, len, f->caret_col);
	bool flow = memchr(line, '{', off) || memchr(line, '[', off);
	f->caret_len = token_cols(line + off, len - off, flow);
}

/* The bytes of one source line; false when the line is unknown. */
static bool source_line(kv_diags *d, uint32_t line, const char **text, size_t *len)
{
	if (!d->src || line < d->src_line0)
		return false;
	if (!d->lines)
		build_lines(d);
	size_t idx = line - d->src_line0;
	if (idx >= d->nlines)
		return false;
	size_t start = d->lines[idx];
	size_t end = idx + 1 < d->nlines ? d->lines[idx + 1] : d->srclen;
	while (end > start && (d->src[end - 1] == '\n' || d->src[end - 1] == '\r'))
		end--;
	*text = d->src + start;
	*len = end - start;
	return true;
}

size_t kv_diags_token(kv_diags *d, uint32_t line, uint32_t col, char *out, size_t cap)
{
	const char *text;
	size_t len;
	if (!cap || !source_line(d, line, &text, &len))
		return 0;
	size_t off = kv_utf8_col_offset(text, len, col);
	bool flow = memchr(text, '{', off) || memchr(text, '[', off);
	uint32_t cols = token_cols(text + off, len - off, flow);
	size_t bytes = kv_utf8_col_offset(text + off, len - off, cols + 1);
	if (bytes >= cap)
		return 0;
	memcpy(out, text + off, bytes);
	out[bytes] = '\0';
	return bytes;
}

static char *dup_or_null(const char *s)
{
	return s ? kv_xstrdup(s) : NULL;
}

static void add_finding(kv_diags *d, kv_rule rule, const char *id, kv_severity sev, uint32_t line,
			uint32_t col, const char *field, const char *hint, const char *fmt, va_list ap)
{
	if (sev == KV_SEV_OFF) {
		d->count[KV_SEV_OFF]++;
		return;
	}
	KV_GROW(d->items, d->cap, d->n + 1);
	kv_finding *f = &d->items[d->n++];
	memset(f, 0, sizeof *f);
	f->file = d->file;
	f->line = line;
	f->col = col;
	f->seq = d->seq++;
	f->rule = rule;
	f->severity = sev;
	f->rule_id = dup_or_null(id);
	kv_buf b = KV_BUF_INIT;
	kv_buf_vprintf(&b, fmt, ap);
	f->message = kv_buf_detach(&b);
	f->hint = dup_or_null(hint);
	f->field = field && *field ? kv_xstrdup(field) : NULL;
	if (d->obj) {
		f->api_version = dup_or_null(d->obj->api_version);
		f->kind = dup_or_null(d->obj->kind);
		f->ns = dup_or_null(d->obj->ns);
		f->name = dup_or_null(d->obj->name);
	}
	if (line)
		attach_source(d, f);
	const char *why = d->exempt ? d->exempt(d->exempt_ud, f, d->src, d->srclen, d->src_line0) : NULL;
	if (why) {
		f->suppressed = kv_xstrdup(why);
		d->suppressed++;
		return;
	}
	d->count[sev]++;
}

void kv_diag(kv_diags *d, kv_rule rule, uint32_t line, uint32_t col, const char *field,
	     const char *hint, const char *fmt, ...)
{
	kv_severity sev = d->rules ? (kv_severity)d->rules->sev[rule] : rules[rule].sev;
	va_list ap;
	va_start(ap, fmt);
	add_finding(d, rule, NULL, sev, line, col, field, hint, fmt, ap);
	va_end(ap);
}

void kv_diag_as(kv_diags *d, kv_rule rule, const char *id, kv_severity sev, uint32_t line,
		uint32_t col, const char *field, const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_finding(d, rule, id, sev, line, col, field, hint, fmt, ap);
	va_end(ap);
}

void kv_diags_take(kv_diags *d, kv_finding **out, size_t *n)
{
	*out = d->items;
	*n = d->n;
	d->items = NULL;
	d->n = d->cap = 0;
}

static int finding_cmp(const void *pa, const void *pb)
{
	const kv_finding *a = pa, *b = pb;
	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

void kv_findings_sort(kv_finding *f, size_t n)
{
	if (n > 1)
		kv_sort(f, n, sizeof *f, finding_cmp);
}
