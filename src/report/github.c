/* github.c: GitHub Actions workflow commands, one annotation per finding:
 *   ::error file=apps/web.yaml,line=12,col=13,title=schema/type::expected integer, got string */
#include "internal.h"

static void escape(kv_buf *b, const char *s, bool property)
{
	for (; *s; s++) {
		switch (*s) {
		case '%': kv_buf_puts(b, "%25"); break;
		case '\r': kv_buf_puts(b, "%0D"); break;
		case '\n': kv_buf_puts(b, "%0A"); break;
		case ':': kv_buf_puts(b, property ? "%3A" : ":"); break;
		case ',': kv_buf_puts(b, property ? "%2C" : ","); break;
		default: kv_buf_putc(b, *s);
		}
	}
}

void kv_report_github(kv_buf *b, const kv_result *r, const kv_report_opts *o)
{
	(void)o;
	for (size_t i = 0; i < r->nfindings; i++) {
		const kv_finding *f = &r->findings[i];
		if (f->suppressed)
			continue;
		const char *cmd = f->severity == KV_SEV_ERROR ? "error" :
				  f->severity == KV_SEV_WARNING ? "warning" : "notice";
		kv_buf_printf(b, "::%s file=", cmd);
		escape(b, r->paths[f->file], true);
		if (f->line)
			kv_buf_printf(b, ",line=%u,col=%u", f->line, f->col);
		kv_buf_puts(b, ",title=");
		escape(b, kv_finding_rule(f), true);
		kv_buf_puts(b, "::");
		escape(b, f->message, false);
		if (f->field) {
			kv_buf_puts(b, " (");
			escape(b, f->field, false);
			kv_buf_putc(b, ')');
		}
		if (f->hint) {
			kv_buf_puts(b, "%0Ahint: ");
			escape(b, f->hint, false);
		}
		kv_buf_putc(b, '\n');
	}
}
