/* scalarpos.c: where a byte of a string scalar's value sits in the source text: for an error
 * inside an expression written in YAML (a policy's, a CRD rule's), so it can be reported at
 * its own line and column. Block scalars map line by line under their indentation; quoted and
 * plain scalars by walking the source beside the value (escapes, folded line breaks). */
#include "kvet/yaml.h"

#include "kvet/strutil.h"

#include <string.h>


/* Columns of the source from the scalar's start to where decoded byte pos lies: block
 * scalars line by line under their indentation; quoted and plain scalars by walking the
 * source beside the value (escapes, folded line breaks). */
static void block_pos(const char *text, size_t len, const kv_node *n, uint32_t pos, uint32_t *line,
		      uint32_t *col)
{
	uint32_t k = 0; /* which line of the value */
	size_t start = 0;
	for (size_t i = 0; i < pos && i < n->len; i++)
		if (n->u.s[i] == '\n') {
			k++;
			start = i + 1;
		}
	const char *s;
	size_t sn;
	uint32_t indent = 0;
	for (uint32_t l = n->line + 1; kv_text_line(text, len, l, &s, &sn); l++) {
		size_t sp = 0;
		while (sp < sn && s[sp] == ' ')
			sp++;
		if (sp < sn) {
			indent = (uint32_t)sp;
			break;
		}
	}
	*line = n->line + 1 + k;
	*col = indent + 1 + (uint32_t)kv_utf8_count(n->u.s + start, pos - start);
}

void kv_yaml_scalar_pos(const char *text, size_t len, const kv_node *n, uint32_t pos, uint32_t *line,
			  uint32_t *col)
{
	*line = n->line;
	*col = n->col;
	const char *s;
	size_t sn;
	if (!kv_text_line(text, len, n->line, &s, &sn))
		return;
	size_t i = kv_utf8_col_offset(s, sn, n->col);
	char style = i < sn ? s[i] : 0;
	if (style == '|' || style == '>') {
		block_pos(text, len, n, pos, line, col);
		return;
	}
	const char *p = s + i, *end = text + len;
	bool quoted = style == '"' || style == '\'';
	if (quoted)
		p++;
	uint32_t l = n->line;
	const char *linestart = s;
	for (uint32_t d = 0; d < pos && p < end;) {
		if (*p == '\n') {
			p++;
			l++;
			linestart = p;
			while (p < end && (*p == ' ' || *p == '\t'))
				p++;
			d++;
			continue;
		}
		if (style == '"' && *p == '\\' && p + 1 < end) {
			p += p[1] == 'x' ? 4 : p[1] == 'u' ? 6 : p[1] == 'U' ? 10 : 2;
			d++;
			continue;
		}
		if (style == '\'' && *p == '\'' && p + 1 < end && p[1] == '\'')
			p++;
		p++;
		d++;
	}
	if (p > end)
		p = end;
	*line = l;
	*col = 1 + (uint32_t)kv_utf8_count(linestart, (size_t)(p - linestart));
}

