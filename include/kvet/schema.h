/* schema.h: compiled schemas. OpenAPI v2 and v3 documents, CRD manifests and JSON schemas all
 * compile to one flat format that validates directly and maps straight from the cache; a
 * schema set looks objects up by group, version and kind across sources in priority order. */
#ifndef KVET_SCHEMA_H
#define KVET_SCHEMA_H

#include <stdbool.h>
#include <stdint.h>

#include "kvet/buf.h"
#include "kvet/diag.h"
#include "kvet/node.h"

typedef struct kv_schema kv_schema;

typedef enum {
	KV_DIALECT_OPENAPI2,   /* Swagger 2.0: the Kubernetes swagger.json, /openapi/v2 */
	KV_DIALECT_OPENAPI3,   /* /openapi/v3/apis/<group>/<version> */
	KV_DIALECT_CRD,        /* CustomResourceDefinition openAPIV3Schema */
	KV_DIALECT_JSONSCHEMA, /* kubeconform-layout JSON schema files */
} kv_dialect;

/* Whether a kind's objects live in a namespace, as its schema source says. */
enum { KV_SCOPE_UNKNOWN = 0, KV_SCOPE_NAMESPACED = 1, KV_SCOPE_CLUSTER = 2 };

/* One schema node inside a compiled schema; scope is KV_SCOPE_* for a GVK's root. */
typedef struct {
	const kv_schema *schema;
	uint32_t node;
	uint32_t scope;
} kv_sref;

/* Resolves a reference to another document ("other.json#/definitions/x") for the JSON schema
 * dialect: returns the document's root (owned by the resolver) or NULL. */
typedef const kv_node *(*kv_doc_resolver)(void *ud, const char *path);

/* Compiles an OpenAPI v2 or v3 document: every definition with x-kubernetes-group-version-kind
 * becomes a GVK root. Problems are findings in diags (rule schema/invalid, with the document's
 * line:col). Returns 0, or -1 when nothing usable came out. Caller frees *out. */
int kv_schema_compile_openapi(kv_schema **out, const kv_node *doc, const char *origin,
			      kv_diags *diags);

/* Compiles CustomResourceDefinitions (apiextensions.k8s.io v1 or v1beta1) into one schema:
 * each served version becomes a GVK root. Returns -1 when none yields a GVK. Caller frees
 * *out. */
int kv_schema_compile_crds(kv_schema **out, const kv_node *const *crds, size_t n,
			   const char *origin, kv_diags *diags);

/* Compiles one JSON schema file for the given group/version/kind. resolver may be NULL. */
int kv_schema_compile_jsonschema(kv_schema **out, const kv_node *doc, const char *group,
				 const char *version, const char *kind, const char *origin,
				 kv_doc_resolver resolver, void *ud, kv_diags *diags);

/* Maps a compiled schema file written by kv_schema_save. Caller frees *out. */
int kv_schema_open(kv_schema **out, const char *path, kv_buf *err);
/* Writes atomically (temporary file, then rename), recording signature: what the schema was
 * compiled from, so a cache can tell a stale entry. */
int kv_schema_save(const kv_schema *s, const char *path, uint64_t signature, kv_buf *err);
uint64_t kv_schema_signature(const kv_schema *s);
void kv_schema_free(kv_schema *s);

const char *kv_schema_origin(const kv_schema *s);
kv_dialect kv_schema_dialect(const kv_schema *s);
uint32_t kv_schema_gvk_count(const kv_schema *s);
/* The i-th GVK, sorted by group, version, kind. Strings borrowed from s. */
void kv_schema_gvk_at(const kv_schema *s, uint32_t i, const char **group, const char **version,
		      const char **kind, kv_sref *ref);
bool kv_schema_find(const kv_schema *s, const char *group, const char *version, const char *kind,
		    kv_sref *out);
/* x-kubernetes-validations rules held by the schema's nodes. */
uint32_t kv_schema_cel_rules(const kv_schema *s);
/* The ObjectMeta definition, if the document has one. */
bool kv_schema_objectmeta(const kv_schema *s, kv_sref *out);
size_t kv_schema_size(const kv_schema *s);

/* A lazily consulted source of schemas: called for a GVK no earlier source knows. Must be
 * thread-safe. Returns a schema the source keeps owning, or NULL. */
typedef const kv_schema *(*kv_schema_lazy_fn)(void *ud, const char *group, const char *version,
					       const char *kind);

typedef struct kv_schemaset kv_schemaset;

kv_schemaset *kv_schemaset_new(void);
/* Frees the set, its schemas, and calls each lazy source's free function. */
void kv_schemaset_free(kv_schemaset *set);
/* Appends a source; lookups try sources in order. The set takes ownership of s. */
void kv_schemaset_add(kv_schemaset *set, kv_schema *s);
void kv_schemaset_add_lazy(kv_schemaset *set, kv_schema_lazy_fn fn, void *ud,
			   void (*free_ud)(void *));
/* The repository's own CRDs: consulted before every other source. Takes ownership. */
void kv_schemaset_add_repo(kv_schemaset *set, kv_schema *s);
/* Builds the lookup index; finds are thread-safe until the next add. May be called again after
 * more adds (the repository's CRDs join after the files holding them are read). */
void kv_schemaset_freeze(kv_schemaset *set);
size_t kv_schemaset_count(const kv_schemaset *set);

bool kv_schemaset_find(const kv_schemaset *set, const char *group, const char *version,
		       const char *kind, kv_sref *out);
bool kv_schemaset_objectmeta(const kv_schemaset *set, kv_sref *out);
/* Appends a suggestion for an object with no schema ("served as apps/v1", "did you mean
 * Deployment?") to out, or nothing. */
void kv_schemaset_suggest(const kv_schemaset *set, const char *group, const char *version,
			  const char *kind, kv_buf *out);
/* Total x-kubernetes-validations rules across sources. */
uint32_t kv_schemaset_cel_rules(const kv_schemaset *set);

#endif
