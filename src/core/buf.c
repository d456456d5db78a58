/* buf.c: growable byte buffer. */
#include "kvet/buf.h"

#include "kvet/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

void kv_buf_free(kv_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void kv_buf_reserve(kv_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	b->data = kv_xrealloc(b->data, cap);
	b->cap = cap;
}

void kv_buf_add(kv_buf *b, const void *p, size_t n)
{
	kv_buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void kv_buf_puts(kv_buf *b, const char *s)
{
	kv_buf_add(b, s, strlen(s));
}

void kv_buf_putc(kv_buf *b, char c)
{
	kv_buf_add(b, &c, 1);
}

void kv_buf_vprintf(kv_buf *b, const char *fmt, va_list ap)
{
	va_list copy;
	va_copy(copy, ap);
	char small[256];
	int n = vsnprintf(small, sizeof small, fmt, copy);
	va_end(copy);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		kv_buf_add(b, small, (size_t)n);
		return;
	}
	kv_buf_reserve(b, (size_t)n);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void kv_buf_printf(kv_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kv_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void kv_buf_truncate(kv_buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

const char *kv_buf_cstr(const kv_buf *b)
{
	return b->data ? b->data : "";
}

char *kv_buf_detach(kv_buf *b)
{
	char *p = b->data ? b->data : kv_xstrdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void kv_buf_base64(kv_buf *b, const void *p, size_t n)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
		char out[4] = {digits[v >> 18 & 63], digits[v >> 12 & 63], i + 1 < n ? digits[v >> 6 & 63] : '=',
			       i + 2 < n ? digits[v & 63] : '='};
		kv_buf_add(b, out, 4);
	}
}
