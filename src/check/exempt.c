/* exempt.c: deciding whether a finding is exempt: configured exemptions first, then the
 * object's kvet.dev/ignore annotation, then a kvet:ignore comment on the finding's line or the
 * line above. An inline ignore without a reason does not count: the reason is what a reviewer
 * reads. */
#include "kvet/exempt.h"

#include "kvet/strutil.h"

#include <stdio.h>
#include <string.h>

bool kv_exempt_id_match(const char *pat, const char *s)
{
	if (!*pat)
		return !*s;
	if (*pat == '*') {
		for (;; s++) {
			if (kv_exempt_id_match(pat + 1, s))
				return true;
			if (!*s)
				return false;
		}
	}
	return *s && *pat == *s && kv_exempt_id_match(pat + 1, s + 1);
}

static bool field_match(const char *want, const char *have)
{
	return !*want || (have && kv_exempt_id_match(want, have));
}

/* Every "key=value" of the exemption is among the object's labels. */
static bool labels_match(const kv_exemption *e, const kv_node *obj)
{
	const kv_node *labels = kv_map_get(kv_map_get(obj, "metadata"), "labels");
	for (size_t i = 0; i < e->nlabels; i++) {
		const char *eq = strchr(e->labels[i], '=');
		const kv_node *v = labels ? kv_map_getn(labels, e->labels[i], (size_t)(eq - e->labels[i])) : NULL;
		if (!v || !kv_str_eq(v, eq + 1))
			return false;
	}
	return true;
}

static const char *configured(kv_exempt_ctx *c, const kv_finding *f)
{
	for (size_t i = 0; i < c->rules->n; i++) {
		const kv_exemption *e = &c->rules->entries[i];
		if (!kv_exempt_id_match(e->rule, kv_finding_rule(f)))
			continue;
		if (*e->path && !(c->path && kv_glob_match(e->path, c->path)) &&
		    !(c->rel && kv_glob_match(e->path, c->rel)))
			continue;
		if (!field_match(e->kind, f->kind) || !field_match(e->ns, f->ns) || !field_match(e->name, f->name))
			continue;
		if (e->nlabels && (!c->obj || !labels_match(e, c->obj)))
			continue;
		snprintf(c->reason, sizeof c->reason, "%s (exemption at %u:%u of the configuration)", e->reason,
			 e->line, e->col);
		return c->reason;
	}
	return NULL;
}

/* "RULE[,RULE] -- reason" (n bytes at s): the reason when one RULE matches id, else NULL. */
static const char *ignore_list(kv_exempt_ctx *c, const char *s, size_t n, const char *id, const char *where)
{
	const char *sep = NULL;
	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] == '-' && s[i + 1] == '-' && (i == 0 || s[i - 1] == ' ')) {
			sep = s + i;
			break;
		}
	if (!sep)
		return NULL;
	const char *reason = sep + 2, *end = s + n;
	while (reason < end && *reason == ' ')
		reason++;
	while (end > reason && (end[-1] == ' ' || end[-1] == '\r'))
		end--;
	if (reason == end)
		return NULL;
	char rule[160];
	for (const char *p = s; p < sep;) {
		while (p < sep && (*p == ' ' || *p == ','))
			p++;
		const char *q = p;
		while (q < sep && *q != ' ' && *q != ',')
			q++;
		if (q > p && (size_t)(q - p) < sizeof rule) {
			memcpy(rule, p, (size_t)(q - p));
			rule[q - p] = '\0';
			if (kv_exempt_id_match(rule, id)) {
				snprintf(c->reason, sizeof c->reason, "%.*s (%s)", (int)(end - reason), reason, where);
				return c->reason;
			}
		}
		p = q;
	}
	return NULL;
}

static const char *annotation(kv_exempt_ctx *c, const kv_finding *f)
{
	const kv_node *a = kv_map_get(kv_map_get(kv_map_get(c->obj, "metadata"), "annotations"), "kvet.dev/ignore");
	if (!a || a->type != KV_STRING)
		return NULL;
	return ignore_list(c, a->u.s, a->len, kv_finding_rule(f), "annotation kvet.dev/ignore");
}


static const char *comment(kv_exempt_ctx *c, const kv_finding *f, const char *src, size_t len, uint32_t line0)
{
	static const char mark[] = "# kvet:ignore ";
	for (uint32_t line = f->line; line && line + 1 >= f->line; line--) {
		const char *s;
		size_t n;
		if (!src || line < line0 || !kv_text_line(src, len, line - line0 + 1, &s, &n))
			continue;
		const char *m = memmem(s, n, mark, sizeof mark - 1);
		if (!m)
			continue;
		const char *list = m + sizeof mark - 1;
		char where[64];
		snprintf(where, sizeof where, "kvet:ignore comment on line %u", line);
		const char *r = ignore_list(c, list, (size_t)(s + n - list), kv_finding_rule(f), where);
		if (r)
			return r;
	}
	return NULL;
}

const char *kv_exempt_check(void *ud, const kv_finding *f, const char *src, size_t len, uint32_t line0)
{
	kv_exempt_ctx *c = ud;
	const char *r = configured(c, f);
	if (r || !c->rules->inline_ignores)
		return r;
	if (c->obj && (r = annotation(c, f)))
		return r;
	return f->line ? comment(c, f, src, len, line0) : NULL;
}
