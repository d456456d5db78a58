/* units.h: what the reconciler files of src/render share (units.c, flux.c, argo.c,
 * envsubst.c): the repository scan that finds reconciler objects, and the list of units
 * being made. Private to src/render. */
#ifndef KVET_RENDER_UNITS_H
#define KVET_RENDER_UNITS_H

#include "internal.h"

/* A document found in the repository, with the file it came from. */
typedef struct {
	kv_node *doc;
	uint16_t src;
} un_doc;

typedef struct {
	un_doc *items;
	size_t n, cap;
} un_docs;

/* What a scan of the whole repository found. */
typedef struct {
	char **files;    /* manifest files (*.yaml, *.yml, *.json), sorted; heap */
	uint16_t *srcs;  /* their file numbers (0 when unreadable); text read when needed */
	bool *objs;      /* the file seems to hold objects (an apiVersion and a kind) */
	size_t nfiles, capfiles;
	char **kdirs;    /* folders holding a kustomization file; heap */
	size_t nkdirs, capkdirs;
	char **charts;   /* folders holding a Chart.yaml; heap */
	size_t ncharts, capcharts;
	un_docs flux;    /* Flux Kustomizations */
	un_docs gitrepos; /* Flux GitRepositories */
	un_docs generators; /* Flux ArtifactGenerators */
	un_docs apps;    /* Argo CD Applications */
	un_docs appsets; /* Argo CD ApplicationSets */
	un_docs sources; /* ConfigMaps and Secrets (postBuild.substituteFrom) */
	kv_units *out;
	size_t capunits;
} un_scan;

/* Adds a unit (zeroed but for kind, name and path, copied into the render) and returns it. */
kv_unit *un_add(kv_render *r, un_scan *s, kv_unit_kind kind, const char *name, const char *path);
/* Units a repository may have (a bound on Kustomizations that render Kustomizations). */
#define UN_MAX_UNITS 10000

/* Removes problems [from, to) (reported by a build whose result is thrown away). */
void un_drop_problems(kv_render *r, size_t from, size_t to);
/* True when folder dir holds a kustomization file (any of kustomize's three names). */
bool un_has_kust(kv_render *r, const char *dir);
/* A string made in the render's arena. */
const char *un_str(kv_render *r, const char *s);

/* flux.c: one unit per Flux Kustomization of the scan, and per Kustomization a unit renders;
 * each built, substituted (postBuild) and labelled (commonMetadata). */
void un_flux_units(kv_render *r, un_scan *s);

/* argo.c: one unit per Argo CD Application (and per Application an ApplicationSet makes). */
void un_argo_units(kv_render *r, un_scan *s);

/* envsubst.c: Flux's envsubst on text. fn(ctx, name, len) gives a variable's value (borrowed),
 * or NULL when it is undefined (then it is ""). Appends the result to out and returns 0, or
 * returns -1 with Flux's message in err ("missing closing brace", "bad substitution"...). */
typedef const char *(*un_lookup)(void *ctx, const char *name, size_t len);
int un_envsubst(const char *in, size_t len, un_lookup fn, void *ctx, kv_buf *out, kv_buf *err);
/* True when name is a valid variable name for Flux: [_a-zA-Z][_a-zA-Z0-9]*. */
bool un_var_name_ok(const char *name, size_t len);

#endif
