/* buf.h: the one growable byte buffer, used for all text kvet renders. The contents are always
 * NUL-terminated after any append, so data can be read as a C string. */
#ifndef KVET_BUF_H
#define KVET_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct {
	char *data;
	size_t len, cap;
} kv_buf;

#define KV_BUF_INIT {NULL, 0, 0}

void kv_buf_free(kv_buf *b);
void kv_buf_reserve(kv_buf *b, size_t extra);
void kv_buf_add(kv_buf *b, const void *p, size_t n);
void kv_buf_puts(kv_buf *b, const char *s);
/* Appends n bytes as standard base64 (RFC 4648 alphabet, padded with '='). */
void kv_buf_base64(kv_buf *b, const void *p, size_t n);
void kv_buf_putc(kv_buf *b, char c);
void kv_buf_printf(kv_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kv_buf_vprintf(kv_buf *b, const char *fmt, va_list ap);
void kv_buf_truncate(kv_buf *b, size_t len);
/* "" for an empty buffer; borrowed, valid until the next append. */
const char *kv_buf_cstr(const kv_buf *b);
/* Hands the storage to the caller (free() it) and leaves the buffer empty. Never NULL. */
char *kv_buf_detach(kv_buf *b);

#endif
