/* text.c: the compiler-style report:
 *
 *   apps/web.yaml:12:13: error: expected integer, got string [schema/type]
 *     apps/v1 Deployment prod/web: spec.replicas
 *      12 |   replicas: "3"
 *         |             ^~~
 *     hint: remove the quotes to write a number
 *
 * and one summary line. */
#include "internal.h"

#include "kvet/strutil.h"

#include <stdio.h>
#include <string.h>

#define RESET "\033[0m"
#define BOLD "\033[1m"
#define DIM "\033[2m"
#define RED "\033[1;31m"
#define MAGENTA "\033[1;35m"
#define CYAN "\033[1;36m"
#define GREEN "\033[1;32m"

static const char *sev_color(kv_severity s)
{
	return s == KV_SEV_ERROR ? RED : s == KV_SEV_WARNING ? MAGENTA : CYAN;
}

static void paint(kv_buf *b, bool color, const char *code, const char *text)
{
	if (color)
		kv_buf_printf(b, "%s%s%s", code, text, RESET);
	else
		kv_buf_puts(b, text);
}

static void object_line(kv_buf *b, const kv_finding *f, bool color)
{
	if (!f->kind && !f->field)
		return;
	kv_buf_puts(b, "  ");
	if (color)
		kv_buf_puts(b, DIM);
	if (f->kind) {
		kv_buf_printf(b, "%s %s", f->api_version ? f->api_version : "?", f->kind);
		if (f->name)
			kv_buf_printf(b, " %s%s%s", f->ns ? f->ns : "", f->ns ? "/" : "", f->name);
	}
	if (f->field)
		kv_buf_printf(b, "%s%s", f->kind ? ": " : "", f->field);
	if (color)
		kv_buf_puts(b, RESET);
	kv_buf_putc(b, '\n');
}

/* The source line and a caret under the span; tabs are echoed so the caret lines up. */
static void source_lines(kv_buf *b, const kv_finding *f, bool color)
{
	if (!f->source)
		return;
	char num[16];
	int w = snprintf(num, sizeof num, "%u", f->line);
	kv_buf_printf(b, "  %*s | %s\n", w > 4 ? w : 4, num, f->source);
	kv_buf_printf(b, "  %*s | ", w > 4 ? w : 4, "");
	size_t len = strlen(f->source);
	size_t off = kv_utf8_col_offset(f->source, len, f->caret_col);
	for (size_t i = 0; i < off; i++) {
		if (((unsigned char)f->source[i] & 0xC0) == 0x80)
			continue;
		kv_buf_putc(b, f->source[i] == '\t' ? '\t' : ' ');
	}
	if (color)
		kv_buf_puts(b, GREEN);
	kv_buf_putc(b, '^');
	for (uint32_t i = 1; i < f->caret_len && i < 200; i++)
		kv_buf_putc(b, '~');
	if (color)
		kv_buf_puts(b, RESET);
	kv_buf_putc(b, '\n');
}

static void finding(kv_buf *b, const kv_result *r, const kv_finding *f, bool color)
{
	const char *path = r->paths[f->file];
	if (color)
		kv_buf_puts(b, BOLD);
	if (f->line)
		kv_buf_printf(b, "%s:%u:%u:", path, f->line, f->col);
	else
		kv_buf_printf(b, "%s:", path);
	if (color)
		kv_buf_puts(b, RESET);
	kv_buf_putc(b, ' ');
	char sev[16];
	snprintf(sev, sizeof sev, "%s:", f->suppressed ? "suppressed" : kv_severity_name(f->severity));
	paint(b, color, f->suppressed ? DIM : sev_color(f->severity), sev);
	kv_buf_printf(b, " %s [%s]\n", f->message, kv_finding_rule(f));
	object_line(b, f, color);
	if (f->suppressed) {
		kv_buf_printf(b, "  suppressed: %s\n", f->suppressed);
		return;
	}
	source_lines(b, f, color);
	if (f->hint)
		kv_buf_printf(b, "  hint: %s\n", f->hint);
}

static void plural(kv_buf *b, uint32_t n, const char *one, const char *many)
{
	kv_buf_printf(b, "%u %s", n, n == 1 ? one : many);
}

static void summary(kv_buf *b, const kv_summary *s)
{
	kv_buf_puts(b, "kvet: ");
	plural(b, s->files, "file", "files");
	if (s->skipped)
		kv_buf_printf(b, " (%u not read)", s->skipped);
	kv_buf_puts(b, ", ");
	plural(b, s->documents, "document", "documents");
	kv_buf_puts(b, ": ");
	plural(b, s->objects, "object", "objects");
	kv_buf_printf(b, " (%u valid, %u invalid", s->valid, s->invalid);
	if (s->no_schema)
		kv_buf_printf(b, ", %u without a schema", s->no_schema);
	kv_buf_putc(b, ')');
	uint32_t other = 0;
	for (int i = 0; i < KV_CLASS_COUNT; i++)
		other += s->classes[i];
	if (other) {
		kv_buf_printf(b, ", %u other (", other);
		bool first = true;
		for (int i = 0; i < KV_CLASS_COUNT; i++) {
			if (!s->classes[i])
				continue;
			kv_buf_printf(b, "%s%u %s", first ? "" : ", ", s->classes[i], kv_class_name((kv_class)i));
			first = false;
		}
		kv_buf_putc(b, ')');
	}
	kv_buf_puts(b, "; ");
	plural(b, s->findings[KV_SEV_ERROR], "error", "errors");
	kv_buf_puts(b, ", ");
	plural(b, s->findings[KV_SEV_WARNING], "warning", "warnings");
	if (s->findings[KV_SEV_INFO])
		kv_buf_printf(b, ", %u info", s->findings[KV_SEV_INFO]);
	if (s->suppressed)
		kv_buf_printf(b, ", %u suppressed", s->suppressed);
	kv_buf_putc(b, '\n');
	if (s->patches_checked > 1)
		kv_buf_printf(b, "kvet: %u kustomize patches checked as partial objects\n", s->patches_checked);
	if (s->templated)
		kv_buf_printf(b, "kvet: %llu %s with ${VAR} substitutions not checked (known only after "
			      "substitution)\n", (unsigned long long)s->templated,
			      s->templated == 1 ? "value" : "values");
	if (s->cel_transition)
		kv_buf_printf(b, "kvet: %llu CRD transition %s (x-kubernetes-validations reading oldSelf) not "
			      "evaluated: they need the previous revision\n", (unsigned long long)s->cel_transition,
			      s->cel_transition == 1 ? "rule" : "rules");
	if (s->cel_invalid)
		kv_buf_printf(b, "kvet: %llu CRD validation %s not evaluated: %s not compile\n",
			      (unsigned long long)s->cel_invalid, s->cel_invalid == 1 ? "rule" : "rules",
			      s->cel_invalid == 1 ? "it does" : "they do");
	if (s->findings[KV_SEV_OFF])
		kv_buf_printf(b, "kvet: %u %s of rules switched off by the configuration\n",
			      s->findings[KV_SEV_OFF], s->findings[KV_SEV_OFF] == 1 ? "finding" : "findings");
	if (s->patches_checked == 1)
		kv_buf_puts(b, "kvet: 1 kustomize patch checked as a partial object\n");
	if (s->io_error)
		kv_buf_puts(b, "kvet: some files could not be read: the check is incomplete\n");
}

void kv_report_text(kv_buf *b, const kv_result *r, const kv_report_opts *o)
{
	for (size_t i = 0; i < r->nfindings; i++)
		finding(b, r, &r->findings[i], o->color);
	if (o->summary)
		summary(b, &r->summary);
}
