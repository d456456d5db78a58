/* lex.c: CEL tokens, following the CEL language definition's lexis: identifiers, int, uint
 * and double literals, string and bytes literals (quoted ' " ''' """, raw r"", bytes b"",
 * with \a \b \f \n \r \t \v \\ \? \" \' \` \xHH \ooo \uHHHH \UHHHHHHHH escapes), operators,
 * and // comments. */
#include "lex.h"

#include "kvet/strutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kv_cel_position(const char *src, size_t len, uint32_t pos, uint32_t *line, uint32_t *col)
{
	uint32_t l = 1;
	size_t start = 0;
	for (size_t i = 0; i < pos && i < len; i++) {
		if (src[i] == '\n') {
			l++;
			start = i + 1;
		}
	}
	*line = l;
	*col = (uint32_t)kv_utf8_count(src + start, pos - start) + 1;
}

void kv_lex_fail(const char *src, size_t len, uint32_t pos, kv_cel_error *err, const char *fmt, ...)
{
	err->pos = pos;
	kv_cel_position(src, len, pos, &err->line, &err->col);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
}

void kv_lex_init(kv_lexer *lx, const char *src, size_t len, kv_arena *arena, kv_cel_error *err)
{
	memset(lx, 0, sizeof *lx);
	lx->src = src;
	lx->len = len;
	lx->arena = arena;
	lx->err = err;
}

void kv_lex_free(kv_lexer *lx)
{
	kv_buf_free(&lx->scratch);
}

bool kv_lex_reserved(const char *s, size_t n)
{
	static const char *const words[] = {
		"as", "break", "const", "continue", "else", "for", "function", "if", "import", "let",
		"loop", "package", "namespace", "return", "var", "void", "while", NULL,
	};
	for (const char *const *w = words; *w; w++)
		if (strlen(*w) == n && memcmp(*w, s, n) == 0)
			return true;
	return false;
}

static int peek(const kv_lexer *lx, size_t ahead)
{
	size_t i = lx->pos + ahead;
	return i < lx->len ? (unsigned char)lx->src[i] : -1;
}

static kv_token error_at(kv_lexer *lx, size_t pos, const char *msg)
{
	kv_lex_fail(lx->src, lx->len, (uint32_t)pos, lx->err, "%s", msg);
	return (kv_token){.kind = T_ERROR, .pos = (uint32_t)pos, .end = (uint32_t)pos};
}

static void skip_space(kv_lexer *lx)
{
	for (;;) {
		int c = peek(lx, 0);
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
			lx->pos++;
		} else if (c == '/' && peek(lx, 1) == '/') {
			while (lx->pos < lx->len && lx->src[lx->pos] != '\n')
				lx->pos++;
		} else {
			return;
		}
	}
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads n hex digits at lx->pos; -1 when they are not there. */
static long hex_digits(kv_lexer *lx, int n)
{
	long v = 0;
	for (int i = 0; i < n; i++) {
		int h = hexval(peek(lx, (size_t)i));
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	lx->pos += (size_t)n;
	return v;
}

/* One escape after the backslash; appends the decoded bytes. Returns 0, or -1 (error set). */
static int escape(kv_lexer *lx, size_t start, bool bytes)
{
	static const char from[] = "abfnrtv\\?\"'`", to[] = "\a\b\f\n\r\t\v\\?\"'`";
	int c = peek(lx, 0);
	const char *k = c > 0 ? strchr(from, c) : NULL;
	if (k && c) {
		kv_buf_putc(&lx->scratch, to[k - from]);
		lx->pos++;
		return 0;
	}
	long v;
	if (c >= '0' && c <= '3') {
		if (peek(lx, 1) < '0' || peek(lx, 1) > '7' || peek(lx, 2) < '0' || peek(lx, 2) > '7') {
			error_at(lx, start, "an octal escape takes three digits, \\000 to \\377");
			return -1;
		}
		v = (c - '0') * 64 + (peek(lx, 1) - '0') * 8 + (peek(lx, 2) - '0');
		lx->pos += 3;
	} else if (c == 'x' || c == 'X') {
		lx->pos++;
		if ((v = hex_digits(lx, 2)) < 0) {
			error_at(lx, start, "\\x takes two hex digits");
			return -1;
		}
	} else if (c == 'u' || c == 'U') {
		if (bytes) {
			error_at(lx, start, "\\u and \\U escapes are not allowed in bytes literals");
			return -1;
		}
		lx->pos++;
		if ((v = hex_digits(lx, c == 'u' ? 4 : 8)) < 0) {
			error_at(lx, start, c == 'u' ? "\\u takes four hex digits" : "\\U takes eight hex digits");
			return -1;
		}
		if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
			error_at(lx, start, "the escape is not a Unicode scalar value");
			return -1;
		}
	} else {
		error_at(lx, start, "invalid escape sequence");
		return -1;
	}
	if (bytes) {
		kv_buf_putc(&lx->scratch, (char)v);
	} else {
		char enc[4];
		kv_buf_add(&lx->scratch, enc, kv_utf8_encode((uint32_t)v, enc));
	}
	return 0;
}

/* A quoted literal; lx->pos is at the first quote. */
static kv_token string_lit(kv_lexer *lx, size_t start, bool raw, bool bytes)
{
	char q = lx->src[lx->pos];
	bool triple = peek(lx, 1) == q && peek(lx, 2) == q;
	lx->pos += triple ? 3 : 1;
	kv_buf_truncate(&lx->scratch, 0);
	for (;;) {
		if (lx->pos >= lx->len)
			return error_at(lx, start, "unterminated string literal");
		char c = lx->src[lx->pos];
		if (c == q && (!triple || (peek(lx, 1) == q && peek(lx, 2) == q))) {
			lx->pos += triple ? 3 : 1;
			break;
		}
		if ((c == '\n' || c == '\r') && !triple)
			return error_at(lx, start, "a newline in a single-quoted string (use ''' or \"\"\" for several lines)");
		if (c == '\\' && !raw) {
			size_t at = lx->pos++;
			if (escape(lx, at, bytes) < 0)
				return (kv_token){.kind = T_ERROR};
			continue;
		}
		kv_buf_putc(&lx->scratch, c);
		lx->pos++;
	}
	kv_token t = {.kind = bytes ? T_BYTES : T_STRING, .pos = (uint32_t)start,
		      .end = (uint32_t)lx->pos, .raw = raw};
	t.s = kv_arena_strndup(lx->arena, kv_buf_cstr(&lx->scratch), lx->scratch.len);
	t.len = (uint32_t)lx->scratch.len;
	if (!bytes && !kv_utf8_valid(t.s, t.len, NULL))
		return error_at(lx, start, "a string literal must be valid UTF-8");
	return t;
}

static kv_token number(kv_lexer *lx)
{
	size_t start = lx->pos;
	kv_token t = {.kind = T_INT, .pos = (uint32_t)start};
	if (peek(lx, 0) == '0' && (peek(lx, 1) == 'x' || peek(lx, 1) == 'X') && hexval(peek(lx, 2)) >= 0) {
		lx->pos += 2;
		uint64_t v = 0;
		bool over = false;
		while (hexval(peek(lx, 0)) >= 0) {
			over = over || v > UINT64_MAX / 16;
			v = v * 16 + (uint64_t)hexval(peek(lx, 0));
			lx->pos++;
		}
		t.u = v;
		t.int_overflow = over;
	} else {
		while (isdigit(peek(lx, 0)))
			lx->pos++;
		bool frac = peek(lx, 0) == '.' && isdigit(peek(lx, 1));
		if (frac)
			for (lx->pos++; isdigit(peek(lx, 0));)
				lx->pos++;
		bool exp = false;
		if ((peek(lx, 0) == 'e' || peek(lx, 0) == 'E') &&
		    (isdigit(peek(lx, 1)) || ((peek(lx, 1) == '+' || peek(lx, 1) == '-') && isdigit(peek(lx, 2))))) {
			exp = true;
			lx->pos += 2;
			while (isdigit(peek(lx, 0)))
				lx->pos++;
		}
		char buf[400];
		size_t n = lx->pos - start;
		if (n >= sizeof buf)
			return error_at(lx, start, "a number literal too long");
		memcpy(buf, lx->src + start, n);
		buf[n] = '\0';
		if (frac || exp) {
			t.kind = T_DOUBLE;
			t.d = strtod(buf, NULL);
			t.end = (uint32_t)lx->pos;
			return t;
		}
		errno = 0;
		t.u = strtoull(buf, NULL, 10);
		t.int_overflow = errno == ERANGE;
	}
	if (peek(lx, 0) == 'u' || peek(lx, 0) == 'U') {
		lx->pos++;
		t.kind = T_UINT;
		if (t.int_overflow)
			return error_at(lx, start, "the uint literal is out of range");
	} else if (t.int_overflow || t.u > (uint64_t)INT64_MAX + 1) {
		return error_at(lx, start, "the int literal is out of range");
	} else {
		t.int_overflow = t.u > (uint64_t)INT64_MAX;
	}
	t.end = (uint32_t)lx->pos;
	return t;
}

static kv_token ident_or_string(kv_lexer *lx)
{
	size_t start = lx->pos;
	/* String prefixes: r, b and both, in either order and case. */
	bool raw = false, bytes = false;
	size_t i = 0;
	while (i < 2) {
		int c = peek(lx, i);
		if ((c == 'r' || c == 'R') && !raw)
			raw = true;
		else if ((c == 'b' || c == 'B') && !bytes)
			bytes = true;
		else
			break;
		i++;
	}
	if (i && (peek(lx, i) == '"' || peek(lx, i) == '\'')) {
		lx->pos += i;
		return string_lit(lx, start, raw, bytes);
	}
	while (isalnum(peek(lx, 0)) || peek(lx, 0) == '_')
		lx->pos++;
	kv_token t = {.kind = T_IDENT, .pos = (uint32_t)start, .end = (uint32_t)lx->pos,
		      .s = lx->src + start, .len = (uint32_t)(lx->pos - start)};
	static const struct {
		const char *word;
		kv_tok_kind kind;
	} keywords[] = {{"true", T_TRUE}, {"false", T_FALSE}, {"null", T_NULL}, {"in", T_IN}};
	for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++)
		if (strlen(keywords[k].word) == t.len && memcmp(keywords[k].word, t.s, t.len) == 0)
			t.kind = keywords[k].kind;
	return t;
}

static kv_token punct(kv_lexer *lx)
{
	static const struct {
		const char *text;
		kv_tok_kind kind;
	} ops[] = {
		{"==", T_EQ}, {"!=", T_NE}, {"<=", T_LE}, {">=", T_GE}, {"&&", T_AND}, {"||", T_OR},
		{"(", T_LPAREN}, {")", T_RPAREN}, {"[", T_LBRACKET}, {"]", T_RBRACKET},
		{"{", T_LBRACE}, {"}", T_RBRACE}, {",", T_COMMA}, {".", T_DOT}, {":", T_COLON},
		{"?", T_QUESTION}, {"+", T_PLUS}, {"-", T_MINUS}, {"*", T_STAR}, {"/", T_SLASH},
		{"%", T_PERCENT}, {"!", T_NOT}, {"<", T_LT}, {">", T_GT},
	};
	size_t left = lx->len - lx->pos;
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		size_t n = strlen(ops[i].text);
		if (n <= left && memcmp(lx->src + lx->pos, ops[i].text, n) == 0) {
			kv_token t = {.kind = ops[i].kind, .pos = (uint32_t)lx->pos,
				      .end = (uint32_t)(lx->pos + n)};
			lx->pos += n;
			return t;
		}
	}
	if (peek(lx, 0) == '=')
		return error_at(lx, lx->pos, "a single = is not an operator (== compares)");
	if (peek(lx, 0) == '&' || peek(lx, 0) == '|')
		return error_at(lx, lx->pos, "a single & or | is not an operator (&& and || are)");
	return error_at(lx, lx->pos, "unexpected character");
}

/* ESC_IDENTIFIER = "`" (LETTER | DIGIT | "_" | "." | "-" | "/" | " ")+ "`" ; a field name that
 * is not an identifier, as in m.`content-type`. */
static kv_token quoted_ident(kv_lexer *lx)
{
	size_t start = lx->pos++;
	while (lx->pos < lx->len) {
		int c = peek(lx, 0);
		if (c == '`')
			break;
		if (!isalnum(c) && !strchr("_.-/ ", c))
			return error_at(lx, lx->pos, "a quoted field name holds only letters, digits and _ . - / or space");
		lx->pos++;
	}
	if (lx->pos >= lx->len)
		return error_at(lx, start, "unterminated quoted field name");
	if (lx->pos == start + 1)
		return error_at(lx, start, "an empty quoted field name");
	lx->pos++;
	return (kv_token){.kind = T_QIDENT, .pos = (uint32_t)start, .end = (uint32_t)lx->pos,
			  .s = lx->src + start + 1, .len = (uint32_t)(lx->pos - start - 2)};
}

kv_token kv_lex_next(kv_lexer *lx)
{
	skip_space(lx);
	if (lx->pos >= lx->len)
		return (kv_token){.kind = T_EOF, .pos = (uint32_t)lx->len, .end = (uint32_t)lx->len};
	int c = peek(lx, 0);
	if (isdigit(c) || (c == '.' && isdigit(peek(lx, 1))))
		return number(lx);
	if (c == '"' || c == '\'')
		return string_lit(lx, lx->pos, false, false);
	if (isalpha(c) || c == '_')
		return ident_or_string(lx);
	if (c == '`')
		return quoted_ident(lx);
	return punct(lx);
}
