/* ast.c: the syntax tree's stable S-expression form, and parse errors rendered with a caret.
 *
 *   a.b + f(1, "x")        (+ (. a b) (f 1 "x"))
 *   s.startsWith("k")      (.startsWith s "k")
 *   xs.all(x, x > 0)       (all x xs (> x 0))
 *   m[?k].orValue(0)       (.orValue (index? m k) 0)
 */
#include "kvet/cel.h"

#include "kvet/strutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[] = {
#define X(e, s) s,
	KV_CEL_OPS(X)
#undef X
};

static const char *const macro_names[] = {
#define X(e, s) s,
	KV_CEL_MACROS(X)
#undef X
};

const char *kv_cel_op_name(kv_cel_op op)
{
	return op < KV_CEL_OP_COUNT ? op_names[op] : "?";
}

const char *kv_cel_macro_name(kv_cel_macro m)
{
	return m < KV_CEL_MACRO_COUNT ? macro_names[m] : "?";
}

static void quoted(kv_buf *b, const char *s, uint32_t n, bool bytes)
{
	kv_buf_puts(b, bytes ? "b\"" : "\"");
	for (uint32_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			kv_buf_printf(b, "\\%c", c);
		else if (c == '\n')
			kv_buf_puts(b, "\\n");
		else if (c == '\t')
			kv_buf_puts(b, "\\t");
		else if (c < 0x20 || c == 0x7f || (bytes && c >= 0x80))
			kv_buf_printf(b, "\\x%02x", c);
		else
			kv_buf_putc(b, (char)c);
	}
	kv_buf_putc(b, '"');
}

/* The shortest %g that reads back as the same double, so the dump is stable. */
static void number(kv_buf *b, double d)
{
	if (d > -1e15 && d < 1e15 && d == (double)(long long)d) {
		kv_buf_printf(b, "%.1f", d); /* 1000.0, not 1e+03 */
		return;
	}
	char tmp[40];
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	kv_buf_puts(b, tmp);
	if (!strpbrk(tmp, ".eEn")) /* keep doubles visibly doubles: 1.0, not 1 */
		kv_buf_puts(b, ".0");
}

static void kids(kv_buf *b, const kv_cel_node *n, uint32_t from)
{
	for (uint32_t i = from; i < n->nkids; i++) {
		kv_buf_putc(b, ' ');
		if (n->opt && (n->opt[i] & KV_CEL_F_OPTIONAL)) {
			kv_buf_puts(b, "(? ");
			kv_cel_dump(b, n->kids[i]);
			kv_buf_putc(b, ')');
		} else {
			kv_cel_dump(b, n->kids[i]);
		}
	}
}

static void dump_map(kv_buf *b, const kv_cel_node *n)
{
	kv_buf_puts(b, "(map");
	for (uint32_t i = 0; i + 1 < n->nkids; i += 2) {
		bool optional = n->opt && (n->opt[i] & KV_CEL_F_OPTIONAL);
		kv_buf_puts(b, optional ? " (? " : " (");
		kv_cel_dump(b, n->kids[i]);
		kv_buf_putc(b, ' ');
		kv_cel_dump(b, n->kids[i + 1]);
		kv_buf_putc(b, ')');
	}
	kv_buf_putc(b, ')');
}

/* A field name, in backticks when it is not an identifier: m.`content-type`. */
static void field(kv_buf *b, const char *s, uint32_t n)
{
	bool plain = n > 0 && !isdigit((unsigned char)s[0]);
	for (uint32_t i = 0; i < n && plain; i++)
		plain = isalnum((unsigned char)s[i]) || s[i] == '_';
	kv_buf_printf(b, plain ? "%.*s" : "`%.*s`", (int)n, s);
}

static void dump_struct(kv_buf *b, const kv_cel_node *n)
{
	kv_buf_printf(b, "(struct %.*s", (int)n->len, n->str);
	for (uint32_t i = 0; i < n->nkids; i++) {
		bool optional = n->opt && (n->opt[i] & KV_CEL_F_OPTIONAL);
		kv_buf_printf(b, " (%s", optional ? "?" : "");
		field(b, n->fields[i], (uint32_t)strlen(n->fields[i]));
		kv_buf_putc(b, ' ');
		kv_cel_dump(b, n->kids[i]);
		kv_buf_putc(b, ')');
	}
	kv_buf_putc(b, ')');
}

static void dump_comp(kv_buf *b, const kv_cel_node *n)
{
	kv_buf_printf(b, "(%s", kv_cel_macro_name((kv_cel_macro)n->op));
	if (n->var)
		kv_buf_printf(b, " %s", n->var);
	if (n->var2)
		kv_buf_printf(b, " %s", n->var2);
	kids(b, n, 0);
	kv_buf_putc(b, ')');
}

/* Recursion is bounded by the parser's depth cap. */
void kv_cel_dump(kv_buf *b, const kv_cel_node *n)
{
	switch ((kv_cel_kind)n->kind) {
	case KV_CEL_NULL: kv_buf_puts(b, "null"); break;
	case KV_CEL_BOOL: kv_buf_puts(b, n->lit.b ? "true" : "false"); break;
	case KV_CEL_INT: kv_buf_printf(b, "%lld", (long long)n->lit.i); break;
	case KV_CEL_UINT: kv_buf_printf(b, "%lluu", (unsigned long long)n->lit.u); break;
	case KV_CEL_DOUBLE: number(b, n->lit.d); break;
	case KV_CEL_STRING: quoted(b, n->str, n->len, false); break;
	case KV_CEL_BYTES: quoted(b, n->str, n->len, true); break;
	case KV_CEL_IDENT:
		kv_buf_printf(b, "%s%.*s", (n->flags & KV_CEL_F_ROOT) ? "." : "", (int)n->len, n->str);
		break;
	case KV_CEL_SELECT:
		kv_buf_puts(b, (n->flags & KV_CEL_F_OPTIONAL) ? "(.? " : "(. ");
		kv_cel_dump(b, n->kids[0]);
		kv_buf_putc(b, ' ');
		field(b, n->str, n->len);
		kv_buf_putc(b, ')');
		break;
	case KV_CEL_HAS:
		kv_buf_puts(b, "(has ");
		kv_cel_dump(b, n->kids[0]);
		kv_buf_putc(b, ' ');
		field(b, n->str, n->len);
		kv_buf_putc(b, ')');
		break;
	case KV_CEL_INDEX:
		kv_buf_puts(b, (n->flags & KV_CEL_F_OPTIONAL) ? "(index?" : "(index");
		kids(b, n, 0);
		kv_buf_putc(b, ')');
		break;
	case KV_CEL_CALL:
		kv_buf_printf(b, "(%.*s", (int)n->len, n->str);
		kids(b, n, 0);
		kv_buf_putc(b, ')');
		break;
	case KV_CEL_MCALL:
		kv_buf_printf(b, "(.%.*s", (int)n->len, n->str);
		kids(b, n, 0);
		kv_buf_putc(b, ')');
		break;
	case KV_CEL_LIST:
		kv_buf_puts(b, "(list");
		kids(b, n, 0);
		kv_buf_putc(b, ')');
		break;
	case KV_CEL_MAP: dump_map(b, n); break;
	case KV_CEL_STRUCT: dump_struct(b, n); break;
	case KV_CEL_UNARY:
	case KV_CEL_BINARY:
		kv_buf_printf(b, "(%s", kv_cel_op_name((kv_cel_op)n->op));
		kids(b, n, 0);
		kv_buf_putc(b, ')');
		break;
	case KV_CEL_AND:
	case KV_CEL_OR:
		kv_buf_puts(b, n->kind == KV_CEL_AND ? "(&&" : "(||");
		kids(b, n, 0);
		kv_buf_putc(b, ')');
		break;
	case KV_CEL_COND:
		kv_buf_puts(b, "(?:");
		kids(b, n, 0);
		kv_buf_putc(b, ')');
		break;
	case KV_CEL_COMP: dump_comp(b, n); break;
	default: kv_buf_puts(b, "?"); break;
	}
}

void kv_cel_error_render(kv_buf *out, const char *src, size_t len, const kv_cel_error *err)
{
	kv_buf_printf(out, "%u:%u: %s\n", err->line, err->col, err->msg);
	size_t start = err->pos < len ? err->pos : len;
	while (start > 0 && src[start - 1] != '\n')
		start--;
	size_t end = start;
	while (end < len && src[end] != '\n')
		end++;
	kv_buf_printf(out, " | %.*s\n | ", (int)(end - start), src + start);
	for (size_t i = start; i < err->pos && i < end; i++) {
		if (((unsigned char)src[i] & 0xC0) == 0x80)
			continue;
		kv_buf_putc(out, src[i] == '\t' ? '\t' : ' ');
	}
	kv_buf_puts(out, "^\n");
}
