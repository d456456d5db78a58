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
	/* The plain unit (kv_render_units) lists its files without parsing their objects, for a
	 * caller that reads those files itself (kvet check). */
	bool plain_files;
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

/* What a reconciler adds to the kustomization it builds. */
typedef struct {
	/* Kustomization fields set from outside the folder (Flux's targetNamespace, namePrefix,
	 * patches, images, components...; Argo CD's source.kustomize), as a map whose nodes
	 * belong to the file that set them, so findings point there. Merged into the folder's
	 * kustomization: a list is appended to the folder's own (an `images` entry replaces the
	 * folder's entry for the same name, as Flux does), anything else replaces it.
	 * NULL for none. */
	const kv_node *overlay;
	/* A folder without a kustomization file is built as Flux builds it (rn_flux_generated):
	 * every manifest below it, and sub-folders with their own kustomization as resources.
	 * Without it, such a folder is a problem, as in `kustomize build`. */
	bool generate;
	/* Files may be read from anywhere in the repository, not only below the kustomization
	 * that names them (Flux builds with kustomize's load restrictions off). */
	bool unrestricted;
} kv_build_opts;

/* kv_kustomize_build with a reconciler's additions (bo may be NULL). */
int kv_kustomize_build_ex(kv_render *r, const char *dir, const kv_build_opts *bo, kv_render_result *out);

/* True when file src was read as manifests by a build of this render (a resource file, not a
 * kustomization, patch or generator input). */
bool kv_render_file_applied(const kv_render *r, uint16_t src);

/* ---- reconciler units ----
 * What a reconciler applies as one: a Flux Kustomization, an Argo CD Application (or one an
 * ApplicationSet generates), a top-level kustomization folder, or the plain manifests no
 * other unit applies. */
typedef enum { KV_UNIT_FLUX, KV_UNIT_ARGO, KV_UNIT_KUSTOMIZE, KV_UNIT_PLAIN } kv_unit_kind;

typedef struct {
	kv_unit_kind kind;
	const char *name;      /* Flux: namespace/name; Argo CD: the Application's name; a folder; "plain" */
	const char *path;      /* the folder rendered, relative to the root ("" for the root) */
	const kv_node *def;    /* the object that defines the unit (in the render), or NULL */
	const char *namespace; /* given to namespaced objects without one (targetNamespace,
				  destination.namespace), or NULL */
	bool prune;
	bool decryption;       /* Flux: spec.decryption is set */
	const char **depends_on; /* names of units it depends on (Flux dependsOn) */
	const kv_node **depends_at; /* where each is written */
	size_t ndepends;
	bool rendered;         /* false when kvet could not render it (the reason is a problem) */
	bool external;         /* its source is another repository or a chart repository */
	const uint16_t *files; /* the plain unit: the files it applies (render file numbers) */
	size_t nfiles;
	kv_render_result result;
} kv_unit;

typedef struct {
	kv_unit *items; /* render arena */
	size_t n;
} kv_units;

/* Finds the reconciler units of the repository and renders each (units.c). Returns 0, or -1
 * when the repository could not be read at all. */
int kv_render_units(kv_render *r, kv_units *out);

/* Appends the objects as a YAML stream ("---" between documents), as kustomize prints them:
 * block style, strings quoted only where YAML would read them otherwise. */
void kv_render_emit_yaml(kv_buf *out, const kv_node *const *objects, size_t n);
/* As a JSON array of the objects. */
void kv_render_emit_json(kv_buf *out, const kv_node *const *objects, size_t n);

#endif
