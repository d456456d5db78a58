/* compare.c: compares two YAML streams of rendered objects, kustomize's and kvet's, for the
 * compatibility test. Prints one line:
 *   identical            the same bytes
 *   equivalent           the same objects with the same content in the same order (the text
 *                        differs only in form: quoting, folding, number spelling)
 *   different: WHAT      the first difference: a missing or extra object, another order, or
 *                        the first field whose value differs
 * Exit status: 0 identical or equivalent, 1 different, 2 an input cannot be read. */
#include "kvet/alloc.h"
#include "kvet/arena.h"
#include "kvet/buf.h"
#include "kvet/fileutil.h"
#include "kvet/yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	kv_buf text;
	kv_node **docs;
	size_t n, cap;
} stream;

static int load(const char *path, stream *s, kv_arena *arena)
{
	kv_buf err = KV_BUF_INIT;
	if (kv_file_read(path, 1u << 30, &s->text, &err) != 0) {
		fprintf(stderr, "compare: %s: %s\n", path, kv_buf_cstr(&err));
		kv_buf_free(&err);
		return -1;
	}
	kv_buf_free(&err);
	kv_diags d;
	kv_diags_init(&d, NULL, 0);
	kv_limits lim;
	kv_limits_default(&lim);
	lim.documents = 1000000;
	kv_loader *l = kv_loader_new(s->text.data ? s->text.data : "", s->text.len, KV_SYNTAX_YAML, &lim, &d);
	kv_doc doc;
	while (kv_loader_next(l, arena, &doc) == 1) {
		if (!doc.root)
			continue;
		KV_GROW(s->docs, s->cap, s->n + 1);
		s->docs[s->n++] = doc.root;
	}
	kv_loader_free(l);
	int rc = 0;
	for (size_t i = 0; i < d.n; i++) {
		if (d.items[i].severity >= KV_SEV_ERROR) {
			fprintf(stderr, "compare: %s:%u:%u: %s\n", path, d.items[i].line, d.items[i].col, d.items[i].message);
			rc = -1;
		}
	}
	kv_diags_free(&d);
	return rc;
}

static void ident(const kv_node *obj, kv_buf *out)
{
	const kv_node *meta = kv_map_get(obj, "metadata");
	const char *ns = kv_str(kv_map_get(meta, "namespace"));
	kv_buf_printf(out, "%s %s %s%s%s", kv_str(kv_map_get(obj, "apiVersion")) ? kv_str(kv_map_get(obj, "apiVersion")) : "?",
		      kv_str(kv_map_get(obj, "kind")) ? kv_str(kv_map_get(obj, "kind")) : "?", ns ? ns : "", ns ? "/" : "",
		      kv_str(kv_map_get(meta, "name")) ? kv_str(kv_map_get(meta, "name")) : "?");
}

static void scalar_text(const kv_node *n, kv_buf *out)
{
	switch ((kv_type)n->type) {
	case KV_NULL:
		kv_buf_puts(out, "null");
		break;
	case KV_BOOL:
		kv_buf_puts(out, n->u.b ? "true" : "false");
		break;
	case KV_INT:
		kv_buf_printf(out, "%lld", (long long)n->u.i);
		break;
	case KV_DOUBLE:
		kv_buf_printf(out, "%g", n->u.d);
		break;
	case KV_STRING:
		kv_buf_printf(out, "\"%.*s\"", n->len > 60 ? 60 : (int)n->len, n->u.s);
		if (n->len > 60)
			kv_buf_puts(out, "...");
		break;
	default:
		kv_buf_printf(out, "a %s of %u", kv_type_name((kv_type)n->type), n->len);
	}
}

/* Appends the path of the first difference between a and b and the two values. */
static bool first_diff(const kv_node *a, const kv_node *b, kv_buf *path)
{
	if (kv_node_equal(a, b))
		return false;
	if (a->type == KV_MAP && b->type == KV_MAP) {
		for (uint32_t i = 0; i < a->len; i++) {
			const kv_node *bv = kv_map_getn(b, a->u.pairs[i].key->u.s, a->u.pairs[i].key->len);
			size_t mark = path->len;
			kv_buf_printf(path, ".%s", a->u.pairs[i].key->u.s);
			if (!bv) {
				kv_buf_puts(path, ": only in kustomize's");
				return true;
			}
			if (first_diff(a->u.pairs[i].value, bv, path))
				return true;
			kv_buf_truncate(path, mark);
		}
		for (uint32_t i = 0; i < b->len; i++) {
			if (!kv_map_getn(a, b->u.pairs[i].key->u.s, b->u.pairs[i].key->len)) {
				kv_buf_printf(path, ".%s: only in kvet's", b->u.pairs[i].key->u.s);
				return true;
			}
		}
	}
	if (a->type == KV_LIST && b->type == KV_LIST && a->len == b->len) {
		for (uint32_t i = 0; i < a->len; i++) {
			size_t mark = path->len;
			kv_buf_printf(path, "[%u]", i);
			if (first_diff(a->u.items[i], b->u.items[i], path))
				return true;
			kv_buf_truncate(path, mark);
		}
	}
	kv_buf_puts(path, ": kustomize ");
	scalar_text(a, path);
	kv_buf_puts(path, ", kvet ");
	scalar_text(b, path);
	return true;
}

static void describe(const stream *want, const stream *got, kv_buf *out)
{
	kv_buf id = KV_BUF_INIT;
	for (size_t i = 0; i < want->n && i < got->n; i++) {
		kv_buf_truncate(&id, 0);
		ident(want->docs[i], &id);
		kv_buf other = KV_BUF_INIT;
		ident(got->docs[i], &other);
		if (strcmp(kv_buf_cstr(&id), kv_buf_cstr(&other)) != 0) {
			kv_buf_printf(out, "object %zu is %s in kustomize's output, %s in kvet's", i + 1, kv_buf_cstr(&id),
				      kv_buf_cstr(&other));
			kv_buf_free(&other);
			kv_buf_free(&id);
			return;
		}
		kv_buf_free(&other);
		kv_buf path = KV_BUF_INIT;
		if (first_diff(want->docs[i], got->docs[i], &path)) {
			kv_buf_printf(out, "%s: %s", kv_buf_cstr(&id), kv_buf_cstr(&path));
			kv_buf_free(&path);
			kv_buf_free(&id);
			return;
		}
		kv_buf_free(&path);
	}
	kv_buf_free(&id);
	kv_buf_printf(out, "kustomize made %zu objects, kvet %zu", want->n, got->n);
	const stream *longer = want->n > got->n ? want : got;
	size_t from = want->n > got->n ? got->n : want->n;
	if (from < longer->n) {
		kv_buf_printf(out, "; the first extra in %s's: ", longer == want ? "kustomize" : "kvet");
		ident(longer->docs[from], out);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: compare KUSTOMIZE.yaml KVET.yaml\n");
		return 2;
	}
	kv_arena *arena = kv_arena_new();
	stream want = {KV_BUF_INIT, NULL, 0, 0}, got = {KV_BUF_INIT, NULL, 0, 0};
	int code = 2;
	if (load(argv[1], &want, arena) != 0 || load(argv[2], &got, arena) != 0)
		goto done;
	if (want.text.len == got.text.len && (want.text.len == 0 || memcmp(want.text.data, got.text.data, want.text.len) == 0)) {
		puts("identical");
		code = 0;
		goto done;
	}
	bool same = want.n == got.n;
	for (size_t i = 0; same && i < want.n; i++)
		same = kv_node_equal(want.docs[i], got.docs[i]);
	if (same) {
		puts("equivalent");
		code = 0;
		goto done;
	}
	kv_buf out = KV_BUF_INIT;
	describe(&want, &got, &out);
	printf("different: %s\n", kv_buf_cstr(&out));
	kv_buf_free(&out);
	code = 1;
done:
	kv_buf_free(&want.text);
	kv_buf_free(&got.text);
	free(want.docs);
	free(got.docs);
	kv_arena_free(arena);
	return code;
}
