/* render.h: the desired state a reconciler would apply. A native kustomize builds a
 * kustomization folder into a list of objects, as `kustomize build` does; every node of the
 * result keeps the file and line it came from (kv_node.src numbers the files a render read),
 * so a finding on a rendered object points at the line a person must edit.
 *
 * Files come through a render file system: a work tree below a root, or a git revision;
 * nothing outside the root is ever read. Problems (a missing file, a cycle, a malformed
 * kustomization, what kvet cannot render) are collected with their file and position. */
#ifndef KVET_RENDER_H
#define KVET_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvet/arena.h"
#include "kvet/buf.h"
#include "kvet/diag.h"
#include "kvet/node.h"
#include "kvet/source.h"
#include "kvet/yaml.h"

typedef struct kv_render kv_render;

typedef struct {
	const char *root;  /* work tree: the repository root folder; NULL with rev */
	kv_source *rev;    /* a git revision (kv_source_rev), or NULL */
	kv_limits limits;  /* for every file read */
	uint32_t max_files;   /* files one render may read (a bound on cycles and fan-out) */
	uint64_t max_objects; /* objects one build may produce */
} kv_render_opts;

#define KV_RENDER_MAX_FILES 20000u
#define KV_RENDER_MAX_OBJECTS 200000u

/* Caller frees with kv_render_free; every tree a render returns lives until then. */
kv_render *kv_render_new(const kv_render_opts *o);
void kv_render_free(kv_render *r);

/* A problem found while rendering, at a file (relative to the root) and position (0 when
 * about the whole file). */
typedef struct {
	const char *path; /* borrowed from the render */
	uint32_t line, col;
	kv_rule rule;
	char *message;    /* owned by the render */
	char *hint;       /* or NULL */
} kv_render_problem;

size_t kv_render_problem_count(const kv_render *r);
const kv_render_problem *kv_render_problem_at(const kv_render *r, size_t i);

/* The files a render read, by number (kv_node.src): 1 is the first; 0 is none. */
const char *kv_render_file_path(const kv_render *r, uint16_t src);
/* The file's bytes (for source lines in findings), or NULL. */
const char *kv_render_file_text(const kv_render *r, uint16_t src, size_t *len);

/* The objects of one build, in output order. */
typedef struct {
	kv_node **objects;
	size_t n;
	bool complete; /* false when a problem stopped part of the build */
} kv_render_result;

/* Builds the kustomization in folder dir (relative to the root) as `kustomize build dir`
 * does, sorted in kustomize's legacy order. Returns 0 with *out filled (the objects live in
 * the render), or -1 when nothing could be built (the reason is a problem). */
int kv_kustomize_build(kv_render *r, const char *dir, kv_render_result *out);

/* Appends the objects as a YAML stream ("---" between documents), as kustomize prints them:
 * block style, strings quoted only where YAML would read them otherwise. */
void kv_render_emit_yaml(kv_buf *out, const kv_node *const *objects, size_t n);
/* As a JSON array of the objects. */
void kv_render_emit_json(kv_buf *out, const kv_node *const *objects, size_t n);

#endif
