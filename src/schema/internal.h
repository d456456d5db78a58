/* internal.h: the in-memory view of a compiled schema image, shared by the compiler, the
 * image reader and the validator. Internal to src/schema. */
#ifndef KVET_SCHEMA_INTERNAL_H
#define KVET_SCHEMA_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "blob.h"
#include "kvet/schema.h"

struct kv_schema {
	const unsigned char *base;
	size_t size;
	bool mapped; /* munmap on free; else free(base) */
	const kv_sheader *h;
	const kv_snode *nodes;
	const kv_sprop *props;
	const uint32_t *words;
	const kv_sgvk *gvks;
	const char *strs;
	/* Compiled lazily on first match, installed with compare-and-swap; an invalid pattern
	 * is stored as the sentinel KV_PATTERN_INVALID. */
	_Atomic(pcre2_code *) *patterns;
	uint32_t npatterns;
};

#define KV_PATTERN_INVALID ((pcre2_code *)1)

/* Wraps an image; takes ownership of base. Verifies every index and offset first, so a
 * corrupt or hostile cache file is rejected rather than trusted. */
int kv_schema_from_image(kv_schema **out, const unsigned char *base, size_t size, bool mapped,
			 kv_buf *err);

static inline uint32_t sb_strlen(const kv_schema *s, uint32_t off)
{
	uint32_t len;
	memcpy(&len, s->strs + off, sizeof len);
	return len;
}

static inline const char *sb_str(const kv_schema *s, uint32_t off)
{
	return s->strs + off + 4;
}

static inline const kv_snode *sb_node(const kv_schema *s, uint32_t i)
{
	return &s->nodes[i];
}

static inline double sb_double(const uint32_t *w)
{
	double d;
	memcpy(&d, w, sizeof d);
	return d;
}

static inline uint64_t sb_u64(const uint32_t *w)
{
	return (uint64_t)w[0] | ((uint64_t)w[1] << 32);
}

/* Words of payload following an extension tag, given the payload's first word. */
size_t kv_sb_ext_size(uint32_t tag, const uint32_t *payload);

/* The pattern with index i, compiled on first use; NULL if it does not compile. */
pcre2_code *kv_sb_pattern(const kv_schema *s, uint32_t i);

/* Compiles an RE2-style pattern with PCRE2. On failure, writes the reason to err. */
pcre2_code *kv_pattern_compile(const char *pattern, size_t len, kv_buf *err);

/* celrules.c: x-kubernetes-validations. */
typedef struct kv_crd_rules kv_crd_rules;
typedef enum { KV_CRD_PASS, KV_CRD_FAIL, KV_CRD_ERROR, KV_CRD_TRANSITION, KV_CRD_INVALID } kv_crd_outcome;

/* Reports a rule (and its messageExpression) of a CRD being compiled that does not compile. */
void kv_crd_rule_check(kv_diags *d, const kv_node *rule, const kv_node *message_expr);
/* Per-validator state: compiled rules and an evaluation run. budget: steps per rule (0: the
 * default). */
kv_crd_rules *kv_crd_rules_new(uint64_t budget);
void kv_crd_rules_free(kv_crd_rules *cr);
/* Runs one rule (KV_CEL_WORDS words at rule) on self. FAIL and ERROR put a message in msg;
 * *at is where to report: the fieldPath's node, else the most specific node the rule read
 * (within self). */
kv_crd_outcome kv_crd_rule_eval(kv_crd_rules *cr, const kv_schema *s, const uint32_t *rule, const kv_node *self,
				kv_buf *msg, const kv_node **at);

#endif
