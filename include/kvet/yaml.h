/* yaml.h: loading YAML streams and JSON texts into value trees, one document at a time, under
 * bounds on nesting, alias expansion and document count. Problems become findings. */
#ifndef KVET_YAML_H
#define KVET_YAML_H

#include <stddef.h>
#include <stdint.h>

#include "kvet/arena.h"
#include "kvet/diag.h"
#include "kvet/node.h"

typedef struct {
	uint64_t file_size;   /* bytes; enforced by whoever reads the file */
	uint32_t depth;       /* nesting of lists and maps */
	uint64_t alias_nodes; /* nodes added to a document by expanding aliases and merges */
	uint32_t documents;   /* documents in one file */
} kv_limits;

#define KV_LIMIT_FILE_SIZE_DEFAULT (16u << 20)
#define KV_LIMIT_DEPTH_DEFAULT 256u
#define KV_LIMIT_DEPTH_MAX 1000u
#define KV_LIMIT_ALIAS_NODES_DEFAULT 100000u
#define KV_LIMIT_DOCUMENTS_DEFAULT 10000u

void kv_limits_default(kv_limits *lim);

typedef enum { KV_SYNTAX_YAML, KV_SYNTAX_JSON } kv_syntax;

typedef struct {
	kv_node *root;     /* NULL for an empty document (only comments or `---`) */
	uint32_t index;    /* 0-based position in the file */
	uint32_t line;     /* where the document starts */
	uint32_t end_line; /* where it ends */
} kv_doc;

typedef struct kv_loader kv_loader;

/* data must stay valid while the loader lives. Findings go to diags (borrowed). Checks that
 * the text is UTF-8 first: a binary file or invalid UTF-8 is one yaml/encoding finding.
 * Caller frees with kv_loader_free. */
kv_loader *kv_loader_new(const char *data, size_t len, kv_syntax syntax, const kv_limits *lim,
			 kv_diags *diags);
void kv_loader_free(kv_loader *l);

/* Loads the next document into arena. Returns 1 with *doc set, 0 at the end of the stream,
 * -1 when the stream cannot go on (the reason is already a finding). */
int kv_loader_next(kv_loader *l, kv_arena *arena, kv_doc *doc);

/* Total documents returned so far. */
uint32_t kv_loader_count(const kv_loader *l);

/* The line and column in text (the file the scalar was loaded from, line 1 first) of byte pos
 * of string scalar n's value; the scalar's own position when it cannot be mapped. */
void kv_yaml_scalar_pos(const char *text, size_t len, const kv_node *n, uint32_t pos, uint32_t *line,
			uint32_t *col);

/* The syntax kvet uses for a file name: JSON for *.json, else YAML. */
kv_syntax kv_syntax_for_path(const char *path);

#endif
