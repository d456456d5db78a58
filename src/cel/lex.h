/* lex.h: the CEL lexer. Internal to src/cel. */
#ifndef KVET_CEL_LEX_H
#define KVET_CEL_LEX_H

#include "kvet/cel.h"

typedef enum {
	T_EOF, T_ERROR,
	T_IDENT, T_QIDENT, T_INT, T_UINT, T_DOUBLE, T_STRING, T_BYTES, T_TRUE, T_FALSE, T_NULL, T_IN,
	T_LPAREN, T_RPAREN, T_LBRACKET, T_RBRACKET, T_LBRACE, T_RBRACE,
	T_COMMA, T_DOT, T_COLON, T_QUESTION,
	T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PERCENT,
	T_NOT, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_AND, T_OR,
} kv_tok_kind;

typedef struct {
	kv_tok_kind kind;
	uint32_t pos, end; /* byte offsets */
	bool int_overflow; /* an INT literal above INT64_MAX (only -9223372036854775808 fits) */
	bool raw;          /* a raw string literal */
	uint64_t u;        /* INT and UINT magnitude */
	double d;
	const char *s;     /* IDENT, QIDENT (without the backticks): points into the source; STRING, BYTES: decoded, in the arena */
	uint32_t len;
} kv_token;

typedef struct {
	const char *src;
	size_t len;
	size_t pos;
	kv_arena *arena;
	kv_cel_error *err; /* filled on T_ERROR */
	kv_buf scratch;
} kv_lexer;

void kv_lex_init(kv_lexer *lx, const char *src, size_t len, kv_arena *arena, kv_cel_error *err);
void kv_lex_free(kv_lexer *lx);
/* The next token; T_ERROR with lx->err set on a malformed one. */
kv_token kv_lex_next(kv_lexer *lx);
/* Fills err at pos with a message (line and column computed from the source). */
void kv_lex_fail(const char *src, size_t len, uint32_t pos, kv_cel_error *err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* True for the words CEL reserves, which cannot name an identifier. */
bool kv_lex_reserved(const char *s, size_t n);

#endif
