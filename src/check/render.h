/* render.h: what `kvet check` takes from rendering: the repository's reconciler units are
 * rendered beside the file pass, their objects are validated in rendered form, and every
 * finding on a rendered node is routed to the file and line that node came from. Private to
 * src/check.
 *
 * Files and findings: the check numbers files as entries (the checked files), then notes (the
 * entries not read), then "extra" files only rendering names (generator inputs, missing
 * paths). A rendered finding is kept when its file is a checked entry, or a file that is not
 * a manifest lying in or below a folder that holds one (an excluded or unselected manifest
 * is never reported on). The same rule, location and message is reported once. */
#ifndef KVET_CHECK_RENDER_H
#define KVET_CHECK_RENDER_H

#include "kvet/check.h"
#include "kvet/render.h"

#include <pthread.h>

typedef struct ck_render ck_render;

/* One rendered object the check validates. */
typedef struct {
	const kv_node *obj;
	uint32_t unit;  /* index into the units */
	uint32_t entry; /* the checked file its document came from; UINT32_MAX for an object from
			 * outside them that a checked file changes (a patch on a base) */
} ck_robj;

/* The rendering for source src, or NULL when there is nothing to render (stdin). Caller frees
 * with ck_render_free. */
ck_render *ck_render_new(kv_source *src, const kv_check_opts *o);
void ck_render_free(ck_render *cr);

/* Renders every unit: on a thread of its own for a work tree (so it overlaps the file pass),
 * in the caller for a revision (its repository handle is not shared between threads). */
void ck_render_start(ck_render *cr);
/* Waits for the render, then turns its problems into findings and picks the objects to
 * validate (patch[i] says entry i is a kustomize patch: its objects are never applied). */
void ck_render_finish(ck_render *cr, const bool *patch);

/* True when a unit renders entry i's objects: the file pass checks it for YAML and counts it,
 * and its objects are validated in rendered form only. */
bool ck_render_applied(const ck_render *cr, size_t entry);
/* True when a unit renders entry i's objects (or could not be rendered, and the file lies in
 * its folder). */
bool ck_render_read(const ck_render *cr, size_t entry);
/* True when a kustomize build (a kustomization folder, a Flux or Argo CD unit) renders entry
 * i's objects: duplicates between such files are the render's to judge (render/conflict in one
 * build, render/duplicate between units of one cluster). */
bool ck_render_built(const ck_render *cr, size_t entry);
/* True when rendering found units (otherwise nothing is rendered and no file is unapplied). */
bool ck_render_active(const ck_render *cr);

size_t ck_render_object_count(const ck_render *cr);
const ck_robj *ck_render_object(const ck_render *cr, size_t i);
const kv_units *ck_render_units(const ck_render *cr);

/* Routes the findings a rendered object's checks left in scratch (a collector made with the
 * run's rules and file 0) to the files their nodes come from, with exemptions of those files,
 * and counts the object: without a schema, invalid (an error not exempted, or invalid set:
 * its document had YAML errors), else valid. Thread-safe. */
void ck_render_route(ck_render *cr, const ck_robj *o, const kv_objref *ref, kv_diags *scratch,
		     bool no_schema, bool invalid);

/* A finding at node at of rendered file src (at NULL: the whole file), about obj (or NULL);
 * src 0 takes obj's own file. Thread-safe. */
void ck_render_report(ck_render *cr, uint16_t src, const kv_node *at, const kv_node *obj, kv_rule rule,
		      const char *hint, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* One render/unapplied finding on entry i. */
void ck_render_unapplied(ck_render *cr, size_t entry);

/* The render-dependent checks (rendercheck.c): namespaces, CRDs, objects two units render,
 * unhashed references, dependsOn, decryption. crd_kinds holds "group/Kind" of every CRD
 * found in the checked files. */
void ck_render_checks(ck_render *cr, kv_schemaset *set, const char *const *crd_kinds, size_t ncrd);

/* Files only rendering names, numbered after the entries and notes. */
size_t ck_render_extra_count(const ck_render *cr);
const char *ck_render_extra_path(const ck_render *cr, size_t i);

/* Moves the findings out (the caller frees them) and adds the counts to sum. */
void ck_render_take(ck_render *cr, kv_finding **out, size_t *n, kv_summary *sum);

/* For rendercheck.c. */
kv_render *ck_render_renderer(ck_render *cr);

#endif
