/* hash.h: SHA-256 (FIPS 180-4) and kustomize's content hash of a generated ConfigMap or
 * Secret, private to the generator and name reference code of the render. */
#ifndef KVET_RENDER_HASH_H
#define KVET_RENDER_HASH_H

#include "kvet/buf.h"
#include "kvet/node.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint32_t h[8];
	uint64_t bytes; /* hashed so far */
	unsigned char block[64];
	size_t used; /* bytes waiting in block */
} rn_sha256;

void rn_sha256_init(rn_sha256 *s);
void rn_sha256_add(rn_sha256 *s, const void *p, size_t n);
void rn_sha256_end(rn_sha256 *s, unsigned char out[32]);
/* The digest of p[0..n) as 64 lowercase hex digits and a NUL. */
void rn_sha256_hex(const void *p, size_t n, char out[65]);

/* Appends v as Go's encoding/json writes the value kustomize decodes from YAML: strings with
 * Go's escapes (<, >, & and U+2028/U+2029 as \u escapes, invalid UTF-8 as U+FFFD), map keys
 * sorted by their bytes, numbers as float64. */
void rn_json_go(kv_buf *out, const kv_node *v);

/* kustomize's name suffix for a ConfigMap or Secret object obj (its kind, name, data,
 * binaryData or type and stringData): 10 characters and a NUL. */
void rn_content_hash(const kv_node *obj, char out[11]);

#endif
