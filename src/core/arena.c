/* arena.c: chunked bump allocation. Built with -DKV_ARENA_DEBUG every allocation is a plain
 * malloc kept on a list, so AddressSanitizer sees each one's bounds (as libgit2's git_pool). */
#include "kvet/arena.h"

#include "kvet/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN 16
#define FIRST_CHUNK (64 * 1024)
#define MAX_CHUNK (1024 * 1024)

struct chunk {
	struct chunk *next;
	size_t size, used;
	_Alignas(ALIGN) unsigned char data[];
};

struct kv_arena {
	struct chunk *head;
	size_t next_size;
};

kv_arena *kv_arena_new(void)
{
	kv_arena *a = kv_xcalloc(1, sizeof *a);
	a->next_size = FIRST_CHUNK;
	return a;
}

static void free_chunks(struct chunk *c, struct chunk *keep)
{
	while (c) {
		struct chunk *next = c->next;
		if (c != keep)
			free(c);
		c = next;
	}
}

void kv_arena_free(kv_arena *a)
{
	if (!a)
		return;
	free_chunks(a->head, NULL);
	free(a);
}

#ifdef KV_ARENA_DEBUG

void kv_arena_reset(kv_arena *a)
{
	free_chunks(a->head, NULL);
	a->head = NULL;
}

void *kv_arena_alloc(kv_arena *a, size_t n)
{
	struct chunk *c = kv_xmalloc(sizeof *c + n);
	c->size = c->used = n;
	c->next = a->head;
	a->head = c;
	return c->data;
}

#else

/* Keeps the most recent chunk when it is not oversized, so a per-document reset in a large
 * multi-document file does not go back to malloc every time. */
void kv_arena_reset(kv_arena *a)
{
	struct chunk *keep = a->head && a->head->size <= MAX_CHUNK ? a->head : NULL;
	free_chunks(a->head, keep);
	a->head = keep;
	if (keep) {
		keep->next = NULL;
		keep->used = 0;
	}
}

static struct chunk *new_chunk(kv_arena *a, size_t need)
{
	size_t size = a->next_size;
	if (size < need)
		size = need;
	struct chunk *c = kv_xmalloc(sizeof *c + size);
	c->size = size;
	c->used = 0;
	if (a->next_size < MAX_CHUNK)
		a->next_size *= 2;
	return c;
}

void *kv_arena_alloc(kv_arena *a, size_t n)
{
	n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	if (n == 0)
		n = ALIGN;
	struct chunk *c = a->head;
	if (!c || c->size - c->used < n) {
		c = new_chunk(a, n);
		if (a->head && n > a->next_size / 4) {
			/* A large block gets its own chunk behind the current one, which stays open. */
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	void *p = c->data + c->used;
	c->used += n;
	return p;
}

#endif

void *kv_arena_memdup(kv_arena *a, const void *p, size_t n)
{
	void *q = kv_arena_alloc(a, n);
	if (n)
		memcpy(q, p, n);
	return q;
}

char *kv_arena_strndup(kv_arena *a, const char *s, size_t n)
{
	char *p = kv_arena_alloc(a, n + 1);
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
