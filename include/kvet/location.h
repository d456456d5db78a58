/* location.h: schema locations and the schema cache.
 *
 * A location is one of:
 *   cache                    the cached Kubernetes spec (kvet schemas pull) and imported documents
 *   FILE                     an OpenAPI v2 or v3 document, or CRD manifests (YAML or JSON)
 *   FOLDER                   CRD manifests in .yaml and .yml files below it, and a kubeconform layout
 *                            ({kind}-{group}-{version}.json) read on demand
 *   TEMPLATE                 a path or URL with {kind} {group} {version} placeholders (or
 *                            kubeconform's {{ .ResourceKind }} forms), read per kind on demand
 *   http(s)://, file:// URL  one document, downloaded once and kept in the cache
 *
 * The cache lives in one folder (the CLI passes $XDG_CACHE_HOME/kvet or ~/.cache/kvet):
 *   kubernetes/v1.35.0/swagger.json, schema.kvs   a Kubernetes release's spec, raw and compiled
 *   documents/NAME.kvs                            imported documents, compiled
 *   compiled/KEY.kvs                              compiled forms of location files
 *   http/KEY                                      downloaded documents
 * Every write is atomic (a temporary file renamed into place). */
#ifndef KVET_LOCATION_H
#define KVET_LOCATION_H

#include <stdbool.h>

#include "kvet/buf.h"
#include "kvet/schema.h"
#include "kvet/source.h"

#define KV_K8S_VERSION_DEFAULT "v1.35.0"
#define KV_SCHEMA_URL_DEFAULT \
	"https://raw.githubusercontent.com/kubernetes/kubernetes/{version}/api/openapi-spec/swagger.json"

typedef struct {
	const char *cache_dir;          /* NULL: no cache: compile in memory, never download */
	const char *kubernetes_version; /* for `cache`: NULL picks the newest cached */
	bool offline;                   /* never download */
	const char *base_dir;           /* relative paths resolve against it; NULL: the cwd */
	kv_source *rev;                 /* relative paths are read from this revision */
} kv_location_opts;

/* Adds one location's schemas to set. Returns 0, or -1 with the reason in err. */
int kv_location_add(kv_schemaset *set, const char *loc, const kv_location_opts *o, kv_buf *err);

/* What a schema document says about itself. */
typedef struct {
	bool kubernetes;  /* an OpenAPI document titled "Kubernetes" */
	char version[32]; /* its info.version when that is a release ("v1.35.0"), else "" */
} kv_docinfo;

/* Compiles a schema document from its bytes: OpenAPI (JSON or YAML) or CRD manifests. name
 * labels messages; info may be NULL. Returns 0, or -1 with every problem in err as
 * name:line:col: message. */
int kv_schemadoc_compile(kv_schema **out, const char *data, size_t len, const char *name,
			 kv_docinfo *info, kv_buf *err);

/* Normalises "1.35.0", "v1.35" or "v1.35.0" to "v1.35.0" (into out, 32 bytes); "master"
 * stays. Returns -1 for anything else. */
int kv_k8s_version_normalize(const char *in, char *out);

/* kvet schemas import: adds documents to the cache. A Kubernetes swagger is stored under its
 * version (from version, else the document's info.version). Progress lines go to log. */
int kv_cache_import(const char *cache_dir, const char *const *files, size_t n,
		    const char *version, kv_buf *log, kv_buf *err);
/* kvet schemas pull: downloads a release's swagger.json from url_template ({version} is
 * replaced) and imports it. */
int kv_cache_pull(const char *cache_dir, const char *version, const char *url_template,
		  kv_buf *log, kv_buf *err);
/* kvet schemas list: a table of what the cache holds. */
int kv_cache_list(const char *cache_dir, kv_buf *out, kv_buf *err);

#endif
