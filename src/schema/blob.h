/* blob.h: the compiled schema format. One flat, position-independent image: arrays indexed by
 * uint32, no pointers, so the same bytes serve from memory after compiling and from an mmap of
 * the cache. Internal to src/schema.
 *
 * Layout: header | nodes | props | words | gvks | strings
 * - a node is one schema object; $ref is resolved at compile time to the target's index;
 * - props are a node's properties, sorted by name bytes for binary search;
 * - words hold variable-length records: required lists and extension records;
 * - strings are [u32 length][bytes][NUL], 4-byte aligned, addressed by byte offset.
 */
#ifndef KVET_SCHEMA_BLOB_H
#define KVET_SCHEMA_BLOB_H

#include <stdint.h>

#define KV_SB_MAGIC "KVSCHEMA"
#define KV_SB_VERSION 4u
#define KV_SB_ENDIAN 0x01020304u
#define KV_SNONE 0xFFFFFFFFu

/* Value types a schema accepts. NUMBER schemas also accept integers. */
enum {
	KV_ST_NULL = 1 << 0,
	KV_ST_BOOL = 1 << 1,
	KV_ST_INT = 1 << 2,
	KV_ST_NUM = 1 << 3,
	KV_ST_STR = 1 << 4,
	KV_ST_LIST = 1 << 5,
	KV_ST_MAP = 1 << 6,
};

enum {
	KV_SF_CLOSED = 1 << 0,    /* properties not listed are unknown fields */
	KV_SF_PRESERVE = 1 << 1,  /* x-kubernetes-preserve-unknown-fields */
	KV_SF_EMBEDDED = 1 << 2,  /* x-kubernetes-embedded-resource */
	KV_SF_NULLABLE = 1 << 3,
	KV_SF_LIST_MAP = 1 << 4,  /* x-kubernetes-list-type: map */
	KV_SF_LIST_SET = 1 << 5,  /* x-kubernetes-list-type: set */
	KV_SF_ROOT = 1 << 6,      /* a custom resource's root: apiVersion, kind, metadata implied */
	KV_SF_UNIQUE = 1 << 7,    /* uniqueItems */
	KV_SF_OPEN_ANY = 1 << 8,  /* no constraints at all: skip the subtree */
};

#define KV_FORMATS(X)                   \
	X(NONE, "")                     \
	X(INT32, "int32")               \
	X(INT64, "int64")               \
	X(BYTE, "byte")                 \
	X(DATE_TIME, "date-time")       \
	X(DATE, "date")                 \
	X(DURATION, "duration")         \
	X(UUID, "uuid")                 \
	X(IPV4, "ipv4")                 \
	X(IPV6, "ipv6")                 \
	X(CIDR, "cidr")                 \
	X(HOSTNAME, "hostname")         \
	X(QUANTITY, "quantity")

typedef enum {
#define X(e, s) KV_FMT_##e,
	KV_FORMATS(X)
#undef X
	KV_FMT_COUNT
} kv_sformat;

/* Extension record tags. Payload sizes in words follow each tag. */
enum {
	KV_X_END = 0,
	KV_X_ENUM,      /* n, then n values of 3 words (see KV_XV_*) */
	KV_X_ENUM_K8S,  /* as ENUM; from kvet's table of what the API server enforces */
	KV_X_MIN,       /* double (2 words), exclusive flag */
	KV_X_MAX,       /* double (2 words), exclusive flag */
	KV_X_MULTIPLE,  /* double (2 words) */
	KV_X_MINLEN,    /* u64 (2 words) */
	KV_X_MAXLEN,
	KV_X_MINITEMS,
	KV_X_MAXITEMS,
	KV_X_MINPROPS,
	KV_X_MAXPROPS,
	KV_X_PATTERN,   /* string, pattern index */
	KV_X_ALLOF,     /* n, nodes */
	KV_X_ANYOF,
	KV_X_ONEOF,
	KV_X_NOT,       /* node */
	KV_X_LISTKEYS,  /* n, strings */
	KV_X_DEFAULT,   /* one value of 3 words */
	KV_X_CEL,       /* n, then n x-kubernetes-validations rules of KV_CEL_WORDS words */
};

/* One rule: rule, message, messageExpression, fieldPath, reason (strings, or KV_SNONE when
 * absent), flags. */
enum { KV_CEL_RULE, KV_CEL_MESSAGE, KV_CEL_MESSAGE_EXPR, KV_CEL_FIELD_PATH, KV_CEL_REASON, KV_CEL_FLAGS,
       KV_CEL_WORDS };
enum { KV_CELF_OPTIONAL_OLD_SELF = 1 << 0 };

/* Scalar value encoding in 3 words: type, then payload. */
enum { KV_XV_NULL, KV_XV_BOOL, KV_XV_INT, KV_XV_NUM, KV_XV_STR };

typedef struct {
	uint8_t types;  /* KV_ST_*; 0 accepts any type */
	uint8_t format; /* kv_sformat */
	uint16_t flags; /* KV_SF_* */
	uint32_t props, nprops;
	uint32_t items; /* node, or KV_SNONE */
	uint32_t addl;  /* additionalProperties node, or KV_SNONE */
	uint32_t req;   /* word index of [n, strings...], or 0 */
	uint32_t ext;   /* word index of an extension record, or 0 */
} kv_snode;

typedef struct {
	uint32_t name; /* string */
	uint32_t node;
} kv_sprop;

typedef struct {
	uint32_t group, version, kind; /* strings */
	uint32_t node;
	uint32_t scope;
} kv_sgvk;

typedef struct {
	char magic[8];
	uint32_t version, endian;
	uint32_t size; /* total bytes */
	uint32_t nnodes, nprops, nwords, ngvks, strbytes, npatterns;
	uint32_t off_nodes, off_props, off_words, off_gvks, off_strs;
	uint32_t patterns;   /* word index of the pattern list: n strings */
	uint32_t objectmeta; /* node of ObjectMeta, or KV_SNONE */
	uint32_t origin;     /* string: where the schemas came from */
	uint32_t cel_rules;  /* x-kubernetes-validations rules in all nodes */
	uint32_t dialect;    /* kv_dialect it was compiled from */
	uint32_t reserved[4];
} kv_sheader;

#endif
