/* validate.h: validating value trees against compiled schemas. A validator holds per-thread
 * scratch (path stack, regex match data); schemas are shared read-only. */
#ifndef KVET_VALIDATE_H
#define KVET_VALIDATE_H

#include "kvet/diag.h"
#include "kvet/node.h"
#include "kvet/schema.h"

typedef struct {
	const kv_schemaset *set; /* for ObjectMeta of custom resources; borrowed */
	bool allow_unknown;      /* unknown fields are not findings */
	uint64_t max_steps;      /* schema nodes visited per object */
	uint32_t regex_limit;    /* PCRE2 match limit per pattern match */
	uint64_t rule_steps;     /* evaluation steps per x-kubernetes-validations rule; 0: default */
} kv_vopts;

#define KV_VALIDATE_STEPS_DEFAULT 2000000u
#define KV_REGEX_LIMIT_DEFAULT 100000u

typedef struct kv_validator kv_validator;

/* Caller frees with kv_validator_free. One per thread. */
kv_validator *kv_validator_new(const kv_vopts *o);
void kv_validator_free(kv_validator *v);

enum {
	/* The document is SOPS-encrypted: ENC[...] values and the top-level sops key are not
	 * checked as plaintext. */
	KV_VALIDATE_SOPS = 1 << 0,
	/* A strategic-merge patch: a partial object, so required fields are not required and
	 * patch directives ($patch, $setElementOrder/..., $retainKeys) are allowed. */
	KV_VALIDATE_PATCH = 1 << 1,
};

/* Validates obj against root; findings go to diags, whose object context the caller sets.
 * Values holding ${VAR} references are not checked: they are only known after substitution. */
void kv_validate(kv_validator *v, kv_sref root, const kv_node *obj, unsigned flags,
		 kv_diags *diags);

/* Values skipped because they hold ${VAR} references, since the validator was made. */
uint64_t kv_validator_templated(const kv_validator *v);

/* x-kubernetes-validations rules since the validator was made: evaluated on a value, not run
 * because they read oldSelf (transition rules need the previous revision), or not run
 * because they do not compile (reported where the CRD is checked). */
typedef struct {
	uint64_t evaluated, transition, invalid;
} kv_cel_counts;

void kv_validator_cel_counts(const kv_validator *v, kv_cel_counts *out);

#endif
