/* json.c: the machine-readable report, one JSON object (README documents every key):
 * {"version":1,"source":...,"findings":[...],"summary":{...}}. Built with jansson; strings
 * that are not valid UTF-8 (file names can be anything) have bad bytes replaced by U+FFFD. */
#include "internal.h"

#include "kvet/alloc.h"
#include "kvet/strutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *str(const char *s)
{
	if (!s)
		return json_null();
	size_t n = strlen(s), bad;
	if (kv_utf8_valid(s, n, &bad))
		return json_stringn(s, n);
	kv_buf b = KV_BUF_INIT;
	size_t i = 0;
	while (i < n) {
		if (kv_utf8_valid(s + i, n - i, &bad)) {
			kv_buf_add(&b, s + i, n - i);
			break;
		}
		kv_buf_add(&b, s + i, bad);
		kv_buf_puts(&b, "\xEF\xBF\xBD");
		i += bad + 1;
	}
	json_t *j = json_stringn(kv_buf_cstr(&b), b.len);
	kv_buf_free(&b);
	return j;
}

static json_t *object(const kv_finding *f)
{
	if (!f->kind)
		return json_null();
	json_t *o = json_object();
	json_object_set_new(o, "apiVersion", str(f->api_version));
	json_object_set_new(o, "kind", str(f->kind));
	json_object_set_new(o, "namespace", str(f->ns));
	json_object_set_new(o, "name", str(f->name));
	return o;
}

static json_t *finding(const kv_result *r, const kv_finding *f)
{
	json_t *o = json_object();
	json_object_set_new(o, "path", str(r->paths[f->file]));
	json_object_set_new(o, "line", json_integer(f->line));
	json_object_set_new(o, "column", json_integer(f->col));
	json_object_set_new(o, "severity", json_string(kv_severity_name(f->severity)));
	json_object_set_new(o, "rule", str(kv_finding_rule(f)));
	json_object_set_new(o, "message", str(f->message));
	json_object_set_new(o, "hint", str(f->hint));
	json_object_set_new(o, "object", object(f));
	json_object_set_new(o, "field", str(f->field));
	json_object_set_new(o, "suppressed", str(f->suppressed));
	return o;
}

static json_t *summary(const kv_summary *s)
{
	json_t *o = json_object();
	json_object_set_new(o, "files", json_integer(s->files));
	json_object_set_new(o, "notRead", json_integer(s->skipped));
	json_object_set_new(o, "documents", json_integer(s->documents));
	json_object_set_new(o, "emptyDocuments", json_integer(s->empty));
	json_object_set_new(o, "objects", json_integer(s->objects));
	json_object_set_new(o, "valid", json_integer(s->valid));
	json_object_set_new(o, "invalid", json_integer(s->invalid));
	json_object_set_new(o, "withoutSchema", json_integer(s->no_schema));
	json_object_set_new(o, "patchesChecked", json_integer(s->patches_checked));
	json_object_set_new(o, "crds", json_integer(s->crds));
	json_t *other = json_object();
	for (int i = 0; i < KV_CLASS_COUNT; i++)
		json_object_set_new(other, kv_class_key((kv_class)i), json_integer(s->classes[i]));
	json_object_set_new(o, "other", other);
	json_object_set_new(o, "errors", json_integer(s->findings[KV_SEV_ERROR]));
	json_object_set_new(o, "warnings", json_integer(s->findings[KV_SEV_WARNING]));
	json_object_set_new(o, "infos", json_integer(s->findings[KV_SEV_INFO]));
	json_object_set_new(o, "switchedOff", json_integer(s->findings[KV_SEV_OFF]));
	json_object_set_new(o, "suppressed", json_integer(s->suppressed));
	json_object_set_new(o, "celRulesEvaluated", json_integer((json_int_t)s->cel_evaluated));
	json_object_set_new(o, "celTransitionRulesNotEvaluated", json_integer((json_int_t)s->cel_transition));
	json_object_set_new(o, "celInvalidRulesNotEvaluated", json_integer((json_int_t)s->cel_invalid));
	json_object_set_new(o, "templatedValues", json_integer((json_int_t)s->templated));
	json_object_set_new(o, "incomplete", json_boolean(s->io_error));
	return o;
}

void kv_report_json(kv_buf *b, const kv_result *r, const kv_report_opts *o)
{
	json_t *root = json_object();
	json_object_set_new(root, "version", json_integer(1));
	json_object_set_new(root, "source", str(o->source));
	json_t *list = json_array();
	for (size_t i = 0; i < r->nfindings; i++)
		json_array_append_new(list, finding(r, &r->findings[i]));
	json_object_set_new(root, "findings", list);
	json_object_set_new(root, "summary", summary(&r->summary));
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text) {
		fprintf(stderr, "kvet: out of memory rendering JSON\n");
		abort();
	}
	kv_buf_puts(b, text);
	kv_buf_putc(b, '\n');
	free(text);
	json_decref(root);
}
