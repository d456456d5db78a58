/* blob.c: compiled schema images: verification, mapping from the cache, atomic saving,
 * lookups by group/version/kind, and lazily compiled patterns. */
#include "internal.h"

#include "kvet/alloc.h"
#include "kvet/fileutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_IMAGE (1u << 30)

size_t kv_sb_ext_size(uint32_t tag, const uint32_t *p)
{
	switch (tag) {
	case KV_X_ENUM:
	case KV_X_ENUM_K8S:
		return 1 + 3 * (size_t)p[0];
	case KV_X_MIN:
	case KV_X_MAX:
	case KV_X_DEFAULT:
		return 3;
	case KV_X_MULTIPLE:
	case KV_X_MINLEN:
	case KV_X_MAXLEN:
	case KV_X_MINITEMS:
	case KV_X_MAXITEMS:
	case KV_X_MINPROPS:
	case KV_X_MAXPROPS:
	case KV_X_PATTERN:
		return 2;
	case KV_X_ALLOF:
	case KV_X_ANYOF:
	case KV_X_ONEOF:
	case KV_X_LISTKEYS:
		return 1 + (size_t)p[0];
	case KV_X_NOT:
		return 1;
	case KV_X_CEL:
		return 1 + (size_t)p[0] * KV_CEL_WORDS;
	default:
		return 0;
	}
}

typedef struct {
	const kv_sheader *h;
	const uint32_t *words;
	const char *strs;
	kv_buf *err;
} verifier;

static bool bad(verifier *v, const char *what, uint32_t at)
{
	kv_buf_printf(v->err, "corrupt schema image: %s (at %u)", what, at);
	return false;
}

static bool str_ok(verifier *v, uint32_t off)
{
	if (off % 4 || (uint64_t)off + 5 > v->h->strbytes)
		return bad(v, "string offset", off);
	uint32_t len;
	memcpy(&len, v->strs + off, 4);
	if ((uint64_t)off + 4 + len + 1 > v->h->strbytes || v->strs[off + 4 + len] != '\0')
		return bad(v, "string length", off);
	return true;
}

static bool node_ok(verifier *v, uint32_t i)
{
	return i == KV_SNONE || i < v->h->nnodes;
}

static bool value_ok(verifier *v, const uint32_t *w)
{
	if (w[0] > KV_XV_STR)
		return bad(v, "value type", w[0]);
	return w[0] != KV_XV_STR || str_ok(v, w[1]);
}

static bool ext_entry_ok(verifier *v, uint32_t tag, const uint32_t *p)
{
	size_t n = kv_sb_ext_size(tag, p);
	switch (tag) {
	case KV_X_ENUM:
	case KV_X_ENUM_K8S:
		for (size_t i = 0; i < p[0]; i++)
			if (!value_ok(v, p + 1 + 3 * i))
				return false;
		return true;
	case KV_X_DEFAULT:
		return value_ok(v, p);
	case KV_X_PATTERN:
		return str_ok(v, p[0]) && (p[1] < v->h->npatterns || bad(v, "pattern index", p[1]));
	case KV_X_ALLOF:
	case KV_X_ANYOF:
	case KV_X_ONEOF:
		for (size_t i = 1; i < n; i++)
			if (p[i] >= v->h->nnodes)
				return bad(v, "combinator node", p[i]);
		return true;
	case KV_X_NOT:
		return p[0] < v->h->nnodes || bad(v, "not node", p[0]);
	case KV_X_LISTKEYS:
		for (size_t i = 1; i < n; i++)
			if (!str_ok(v, p[i]))
				return false;
		return true;
	case KV_X_CEL:
		for (size_t i = 0; i < p[0]; i++)
			for (size_t k = 0; k < KV_CEL_FLAGS; k++) {
				uint32_t off = p[1 + i * KV_CEL_WORDS + k];
				if ((k == KV_CEL_RULE || off != KV_SNONE) && !str_ok(v, off))
					return false;
			}
		return true;
	default:
		return true;
	}
}

static bool ext_ok(verifier *v, uint32_t at)
{
	const uint32_t nwords = v->h->nwords;
	for (;;) {
		if (at >= nwords)
			return bad(v, "extension record runs off the end", at);
		uint32_t tag = v->words[at++];
		if (tag == KV_X_END)
			return true;
		if (tag > KV_X_CEL)
			return bad(v, "extension tag", tag);
		if (at >= nwords)
			return bad(v, "extension payload", at);
		size_t n = kv_sb_ext_size(tag, v->words + at);
		if ((uint64_t)at + n > nwords)
			return bad(v, "extension payload size", at);
		if (!ext_entry_ok(v, tag, v->words + at))
			return false;
		at += (uint32_t)n;
	}
}

static bool req_ok(verifier *v, uint32_t at)
{
	if (at >= v->h->nwords || (uint64_t)at + 1 + v->words[at] > v->h->nwords)
		return bad(v, "required list", at);
	for (uint32_t i = 0; i < v->words[at]; i++)
		if (!str_ok(v, v->words[at + 1 + i]))
			return false;
	return true;
}

static bool nodes_ok(verifier *v, const kv_snode *nodes, const kv_sprop *props)
{
	for (uint32_t i = 0; i < v->h->nnodes; i++) {
		const kv_snode *n = &nodes[i];
		if ((uint64_t)n->props + n->nprops > v->h->nprops || !node_ok(v, n->items) ||
		    !node_ok(v, n->addl) || n->format >= KV_FMT_COUNT)
			return bad(v, "node", i);
		if ((n->req && !req_ok(v, n->req)) || (n->ext && !ext_ok(v, n->ext)))
			return false;
	}
	for (uint32_t i = 0; i < v->h->nprops; i++)
		if (!str_ok(v, props[i].name) || props[i].node >= v->h->nnodes)
			return bad(v, "property", i);
	return true;
}

static bool gvks_ok(verifier *v, const kv_sgvk *gvks)
{
	for (uint32_t i = 0; i < v->h->ngvks; i++)
		if (!str_ok(v, gvks[i].group) || !str_ok(v, gvks[i].version) ||
		    !str_ok(v, gvks[i].kind) || gvks[i].node >= v->h->nnodes)
			return bad(v, "gvk", i);
	uint32_t p = v->h->patterns;
	if (p >= v->h->nwords || v->words[p] != v->h->npatterns ||
	    (uint64_t)p + 1 + v->h->npatterns > v->h->nwords)
		return bad(v, "pattern list", p);
	for (uint32_t i = 0; i < v->h->npatterns; i++)
		if (!str_ok(v, v->words[p + 1 + i]))
			return false;
	return node_ok(v, v->h->objectmeta) && str_ok(v, v->h->origin);
}

static bool section_ok(const kv_sheader *h, uint32_t off, uint64_t count, size_t elem)
{
	return off % 8 == 0 && off >= sizeof *h && (uint64_t)off + count * elem <= h->size;
}

static bool header_ok(const unsigned char *base, size_t size, kv_buf *err)
{
	const kv_sheader *h = (const kv_sheader *)base;
	if (size < sizeof *h || memcmp(h->magic, KV_SB_MAGIC, 8) != 0) {
		kv_buf_puts(err, "not a compiled kvet schema");
		return false;
	}
	if (h->version != KV_SB_VERSION || h->endian != KV_SB_ENDIAN) {
		kv_buf_puts(err, "compiled by another version of kvet");
		return false;
	}
	if (h->size != size || !section_ok(h, h->off_nodes, h->nnodes, sizeof(kv_snode)) ||
	    !section_ok(h, h->off_props, h->nprops, sizeof(kv_sprop)) ||
	    !section_ok(h, h->off_words, h->nwords, 4) ||
	    !section_ok(h, h->off_gvks, h->ngvks, sizeof(kv_sgvk)) ||
	    !section_ok(h, h->off_strs, h->strbytes, 1)) {
		kv_buf_puts(err, "corrupt schema image: section bounds");
		return false;
	}
	return true;
}

int kv_schema_from_image(kv_schema **out, const unsigned char *base, size_t size, bool mapped,
			 kv_buf *err)
{
	*out = NULL;
	const kv_sheader *h = (const kv_sheader *)base;
	bool ok = header_ok(base, size, err);
	if (ok) {
		verifier v = {h, (const uint32_t *)(base + h->off_words), (const char *)base + h->off_strs, err};
		ok = nodes_ok(&v, (const kv_snode *)(base + h->off_nodes),
			      (const kv_sprop *)(base + h->off_props)) &&
		     gvks_ok(&v, (const kv_sgvk *)(base + h->off_gvks));
	}
	if (!ok) {
		if (mapped)
			munmap((void *)base, size);
		else
			free((void *)base);
		return -1;
	}
	kv_schema *s = kv_xcalloc(1, sizeof *s);
	s->base = base;
	s->size = size;
	s->mapped = mapped;
	s->h = h;
	s->nodes = (const kv_snode *)(base + h->off_nodes);
	s->props = (const kv_sprop *)(base + h->off_props);
	s->words = (const uint32_t *)(base + h->off_words);
	s->gvks = (const kv_sgvk *)(base + h->off_gvks);
	s->strs = (const char *)base + h->off_strs;
	s->npatterns = h->npatterns;
	s->patterns = kv_xcalloc(h->npatterns ? h->npatterns : 1, sizeof *s->patterns);
	*out = s;
	return 0;
}

void kv_schema_free(kv_schema *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->npatterns; i++) {
		pcre2_code *c = atomic_load(&s->patterns[i]);
		if (c && c != KV_PATTERN_INVALID)
			pcre2_code_free(c);
	}
	free(s->patterns);
	if (s->mapped)
		munmap((void *)s->base, s->size);
	else
		free((void *)s->base);
	free(s);
}

int kv_schema_open(kv_schema **out, const char *path, kv_buf *err)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		kv_buf_printf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > MAX_IMAGE) {
		kv_buf_printf(err, "%s: not a compiled schema file", path);
		close(fd);
		return -1;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		kv_buf_printf(err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (kv_schema_from_image(out, p, (size_t)st.st_size, true, err) < 0) {
		kv_buf_printf(err, " in %s", path);
		return -1;
	}
	return 0;
}

uint64_t kv_schema_signature(const kv_schema *s)
{
	return (uint64_t)s->h->reserved[0] | ((uint64_t)s->h->reserved[1] << 32);
}

int kv_schema_save(const kv_schema *s, const char *path, uint64_t signature, kv_buf *err)
{
	unsigned char *copy = kv_xmalloc(s->size);
	memcpy(copy, s->base, s->size);
	kv_sheader *h = (kv_sheader *)copy;
	h->reserved[0] = (uint32_t)signature;
	h->reserved[1] = (uint32_t)(signature >> 32);
	int rc = kv_file_write_atomic(path, copy, s->size, err);
	free(copy);
	return rc;
}

const char *kv_schema_origin(const kv_schema *s)
{
	return sb_str(s, s->h->origin);
}

kv_dialect kv_schema_dialect(const kv_schema *s)
{
	return (kv_dialect)s->h->dialect;
}

uint32_t kv_schema_gvk_count(const kv_schema *s)
{
	return s->h->ngvks;
}

void kv_schema_gvk_at(const kv_schema *s, uint32_t i, const char **group, const char **version,
		      const char **kind, kv_sref *ref)
{
	const kv_sgvk *g = &s->gvks[i];
	*group = sb_str(s, g->group);
	*version = sb_str(s, g->version);
	*kind = sb_str(s, g->kind);
	if (ref)
		*ref = (kv_sref){s, g->node, g->scope};
}

static int gvk_cmp(const kv_schema *s, const kv_sgvk *g, const char *group, const char *version,
		   const char *kind)
{
	int r = strcmp(group, sb_str(s, g->group));
	if (!r)
		r = strcmp(version, sb_str(s, g->version));
	if (!r)
		r = strcmp(kind, sb_str(s, g->kind));
	return r;
}

bool kv_schema_find(const kv_schema *s, const char *group, const char *version, const char *kind,
		    kv_sref *out)
{
	uint32_t lo = 0, hi = s->h->ngvks;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int r = gvk_cmp(s, &s->gvks[mid], group, version, kind);
		if (r == 0) {
			*out = (kv_sref){s, s->gvks[mid].node, s->gvks[mid].scope};
			return true;
		}
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

uint32_t kv_schema_cel_rules(const kv_schema *s)
{
	return s->h->cel_rules;
}

bool kv_schema_objectmeta(const kv_schema *s, kv_sref *out)
{
	if (s->h->objectmeta == KV_SNONE)
		return false;
	*out = (kv_sref){s, s->h->objectmeta, KV_SCOPE_UNKNOWN};
	return true;
}

size_t kv_schema_size(const kv_schema *s)
{
	return s->size;
}

pcre2_code *kv_pattern_compile(const char *pattern, size_t len, kv_buf *err)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, len,
				       PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C, &code, &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(code, msg, sizeof msg);
		kv_buf_printf(err, "%s at offset %zu", (const char *)msg, (size_t)off);
		return NULL;
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

pcre2_code *kv_sb_pattern(const kv_schema *s, uint32_t i)
{
	_Atomic(pcre2_code *) *slot = &s->patterns[i];
	pcre2_code *c = atomic_load_explicit(slot, memory_order_acquire);
	if (c)
		return c == KV_PATTERN_INVALID ? NULL : c;
	uint32_t str = s->words[s->h->patterns + 1 + i];
	kv_buf err = KV_BUF_INIT;
	pcre2_code *mine = kv_pattern_compile(sb_str(s, str), sb_strlen(s, str), &err);
	kv_buf_free(&err);
	pcre2_code *expected = NULL;
	pcre2_code *install = mine ? mine : KV_PATTERN_INVALID;
	if (!atomic_compare_exchange_strong(slot, &expected, install)) {
		if (mine)
			pcre2_code_free(mine);
		return expected == KV_PATTERN_INVALID ? NULL : expected;
	}
	return mine;
}
