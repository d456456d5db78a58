/* internal.h: what the files of src/render share: the render context, the resource list a
 * kustomize build accumulates, the kustomization being built, and the helpers transformers
 * use to edit trees. Not installed.
 *
 * Trees in a render are kv_node trees in the render's arena. Transformers edit them in place
 * with the rn_* helpers below; a node they create takes its position (src, line, col) from
 * the kustomization line that caused it, so findings on it point there. */
#ifndef KVET_RENDER_INTERNAL_H
#define KVET_RENDER_INTERNAL_H

#include "kvet/map.h"
#include "kvet/render.h"

#include <stdarg.h>

/* ---- the file system a render reads ---- */

typedef enum { RN_ABSENT, RN_FILE, RN_DIR } rn_kind;

typedef struct {
	char *path; /* relative to the root, normalized */
	char *text;
	size_t len;
	bool applied; /* read as manifests by a build */
	bool config;  /* a kustomization: YAML 1.1 booleans stay booleans (rn_load_docs) */
	/* rn_load_docs: how often loaded; the documents kept (never edited) once loaded twice */
	unsigned loads;
	bool keep; /* keep from the first load (a file read again for certain) */
	bool kept, kept_config;
	kv_node **docs;
	size_t ndocs;
	size_t *lines, nlines; /* line starts, for rn_scalar_text (heap) */
} rn_file;

/* ---- resources ---- */

enum {
	RN_GENERATED = 1 << 0,   /* made by a generator */
	RN_NEEDS_HASH = 1 << 1,  /* a generated ConfigMap/Secret whose name gets the content hash */
	RN_BEHAVIOR_MERGE = 1 << 2,
	RN_BEHAVIOR_REPLACE = 1 << 3,
};

/* One name an object had, for fixing references after renames (prefix, suffix, hash). */
typedef struct {
	const char *name, *ns;
} rn_prev;

typedef struct {
	kv_node *obj;   /* the object; transformers edit it in place */
	unsigned flags; /* RN_* */
	rn_prev *prev;  /* earlier names, oldest first (the name as written is prev[0]) */
	size_t nprev, capprev;
	const kv_node *cause; /* for generated objects: the generator entry, else NULL */
} rn_res;

typedef struct {
	rn_res **items;
	size_t n, cap;
	kv_map *index; /* identity -> position + 1, built by rn_list_find; NULL when stale */
} rn_list;

/* The identity kustomize tracks: group, version, kind, namespace, name. */
typedef struct {
	char group[128], version[64];
	const char *kind, *ns, *name;
} rn_id;

void rn_id_of(const rn_res *r, rn_id *out);

/* ---- transformer configuration (fieldspec.c) ----
 * Which fields each transformer edits, as kustomize's field specs say: a path of keys below
 * objects of a group/version/kind. Lists met on the way are walked item by item; "[]" after
 * a key says the field is a list when it has to be made. */

typedef struct {
	const char *group, *version, *kind; /* NULL matches any */
	const char *path;                   /* "spec/template/metadata/labels" */
	bool create;                        /* make the field when it is absent */
} rn_fspec;

typedef struct {
	rn_fspec *items; /* render arena */
	size_t n, cap;
} rn_fspecs;

/* A kind that other objects refer to by name, and the fields that do. */
typedef struct {
	const char *group, *version, *kind;
	rn_fspecs by;
} rn_nameref;

/* The sections of a transformer configuration (kustomize's `configurations` files use the
 * same keys). */
#define RN_CONFIG_SECTIONS(X)                             \
	X(prefix, "namePrefix")                           \
	X(suffix, "nameSuffix")                           \
	X(namespace, "namespace")                         \
	X(labels, "commonLabels")                         \
	X(template_labels, "templateLabels")              \
	X(annotations, "commonAnnotations")               \
	X(images, "images")                               \
	X(replicas, "replicas")                           \
	X(varref, "varReference")

typedef struct {
#define X(field, key) rn_fspecs field;
	RN_CONFIG_SECTIONS(X)
#undef X
	rn_nameref *namerefs;
	size_t nnamerefs, capnamerefs;
} rn_config;

/* The field specs kustomize uses when a kustomization says nothing, as YAML in the form of a
 * `configurations` file: defaults.c holds every section but nameReference, which lives
 * beside the code that fixes name references (namereference.c). */
extern const char rn_default_config_yaml[];
extern const char rn_default_namerefs_yaml[];

/* Adds the field specs of a configuration document (a map with the section keys) to c,
 * skipping ones it holds already; problems go to the document's file. Returns 0, or -1 when
 * the document is malformed. */
int rn_config_add(kv_render *r, rn_config *c, const kv_node *doc);
/* Adds everything of src to dst. */
void rn_config_merge(kv_render *r, rn_config *dst, const rn_config *src);
/* The defaults, parsed once per render and shared: never modified (a build that adds to its
 * configuration copies them first). */
rn_config *rn_config_defaults(kv_render *r);

/* Called for each field a spec selects in an object, with the slot that holds it (a map
 * value or a list item): *slot is the field, or NULL when the spec was to create it and
 * create was 0 (then fn may set *slot to add the field). Returns 0 to go on, -1 to stop. */
typedef int (*rn_visit)(kv_render *r, kv_node **slot, void *ctx);
/* Walks the fields of obj that fs selects (when obj's group, version and kind match it),
 * as kustomize does: lists met on the way are walked item by item; with fs->create and a
 * non-zero create type, a missing field is made (maps on the way, a node of that type at the
 * end) at cause's position. A scalar on the way is a problem (at cause), as in kustomize.
 * Returns -1 when fn stopped the walk or the path met a scalar. */
int rn_fspec_walk(kv_render *r, kv_node *obj, const rn_fspec *fs, kv_type create, const kv_node *cause,
		  rn_visit fn, void *ctx);
/* Walks every spec of a list in order. */
int rn_fspecs_walk(kv_render *r, kv_node *obj, const rn_fspecs *fss, kv_type create, const kv_node *cause,
		   rn_visit fn, void *ctx);
/* True when obj's group, version and kind match those of fs. */
bool rn_fspec_selects(const rn_fspec *fs, const kv_node *obj);

/* ---- the kustomization being built ---- */

/* What a build has gathered so far: its objects and its transformer configuration (which
 * includes the configurations of the kustomizations below it). */
typedef struct {
	rn_list res;
	rn_config *cfg; /* the render's defaults until something is added (then a copy) */
} rn_acc;

/* Adds a configuration to the build's (copying the shared defaults first). */
void rn_acc_config(kv_render *r, rn_acc *a, const rn_config *add);

typedef struct {
	const kv_node *root; /* the kustomization document */
	const char *dir;     /* its folder, relative to the root ("" for the root itself) */
	const char *path;    /* its file */
	uint16_t src;        /* its file number */
	bool component;      /* kind: Component */
} rn_kust;

/* The names a kustomization file may have, in the order kustomize looks for them. */
#define RN_NKUST_NAMES 3
extern const char *const rn_kust_names[RN_NKUST_NAMES];

/* The file a kustomization names in field entry at (relative to its folder): read once, its
 * number, or 0 with a problem (missing, outside the folder or the repository). Files must be
 * inside the kustomization's folder, as kustomize's load restrictions say. */
uint16_t rn_kust_file(kv_render *r, const rn_kust *k, const kv_node *at);
/* A string field of the kustomization, or NULL (a problem when it is there but no string). */
const char *rn_kust_string(kv_render *r, const rn_kust *k, const char *key);

/* ---- the render ---- */

struct kv_render {
	kv_render_opts o;
	kv_arena *arena;
	char *root_real; /* work tree: the root's real path, for the containment check */
	rn_file *files;  /* by file number - 1 */
	size_t nfiles, capfiles;
	kv_map *file_index; /* path -> file number */
	kv_map *kinds;      /* work tree path -> what it is (fs.c) */
	kv_map *listed;     /* work tree folders listed */
	kv_map *links;      /* entries of listed folders that are links or special files */
	kv_map *grown;      /* list node -> the array rn_append gave it (tree.c) */
	kv_map *regex_index; /* pattern -> position + 1 in regexes (regex.c) */
	struct rn_regex **regexes;
	size_t nregexes, capregexes;
	kv_render_problem *problems;
	size_t nproblems, capproblems;
	const char **stack; /* kustomization folders being built, for cycles */
	size_t depth, capstack;
	uint64_t objects;   /* made so far, against o.max_objects */
	rn_config defaults; /* kustomize's built-in field specs (rn_config_defaults) */
	rn_kust top;        /* the kustomization of the folder being built */
	const kv_build_opts *bo; /* the reconciler's additions to the build under way, or NULL */
	bool defaults_ready;
};

/* Reports a problem at node at of file src (at may be NULL: the whole file). */
void rn_problem(kv_render *r, uint16_t src, const kv_node *at, kv_rule rule, const char *hint,
		const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* A problem about a path (relative to the root) rather than a node. */
void rn_problem_path(kv_render *r, const char *path, kv_rule rule, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* fs.c. Paths are relative to the root and normalized ("a/b"); "" is the root. */
rn_kind rn_fs_kind(kv_render *r, const char *path);
/* True when path was found to be a symbolic link leading out of the repository (rn_fs_kind
 * says RN_ABSENT for it). */
bool rn_fs_escapes(kv_render *r, const char *path);
/* A number for path without reading it (its text is read when first needed), or 0 past the
 * file limit; rn_fs_lookup only finds one. */
uint16_t rn_fs_register(kv_render *r, const char *path);
uint16_t rn_fs_lookup(kv_render *r, const char *path);
/* The bytes of path without keeping them (same rules as rn_fs_read; no problem reported):
 * 0, or -1 when it cannot be read. */
int rn_fs_peek(kv_render *r, const char *path, kv_buf *data);
/* The text of plain scalar n as written in its file (a number's digits, "null", "~"), or 0
 * when it is not known (a node made by a transformer, a quoted or block scalar). Scans the
 * file from its start: for the few values that need it. */
size_t rn_scalar_text(kv_render *r, const kv_node *n, const char **text);
/* Reads a file once per render: its number (>= 1), or 0 with a problem reported against
 * the referrer (src, at). */
uint16_t rn_fs_read(kv_render *r, const char *path, uint16_t src, const kv_node *at);
/* Folder entries (names, sorted); caller frees each and the array. */
int rn_fs_list(kv_render *r, const char *dir, char ***names, size_t *n);
/* dir/name, or name when dir is the root (""): a path relative to the root (heap). */
char *rn_path_child(const char *dir, const char *name);
/* True when path (relative to the root) is the folder dir (its first dirlen bytes) or lies
 * below it; every path is below "" (the root). */
bool rn_path_below(const char *path, const char *dir, size_t dirlen);
/* dir joined with rel, normalized; NULL (with a problem) when it climbs out of the root. */
char *rn_path_join(kv_render *r, const char *dir, const char *rel, uint16_t src, const kv_node *at);
/* Loads the documents of file number src into the render's arena, each marked with src;
 * YAML problems become render problems. Returns how many (the documents in *docs, a
 * render-arena array). */
size_t rn_load_docs(kv_render *r, uint16_t src, kv_node ***docs);

/* tree.c: editing trees. New nodes are made in the render's arena at the position of
 * cause (its src, line, col); cause may be NULL. */
kv_node *rn_new_map(kv_render *r, const kv_node *cause);
kv_node *rn_new_list(kv_render *r, const kv_node *cause);
kv_node *rn_new_string(kv_render *r, const char *s, size_t len, const kv_node *cause);
kv_node *rn_copy(kv_render *r, const kv_node *n); /* deep, keeping positions */
/* The value of key in map, or NULL. */
kv_node *rn_get(const kv_node *map, const char *key);
/* Sets key to value in map (replacing, or appending a new key made at cause). */
void rn_set(kv_render *r, kv_node *map, const char *key, kv_node *value, const kv_node *cause);
/* Adds key (a string node) with value at the end of map, which must not hold key already
 * (no search: for maps built from entries known to be distinct). */
void rn_push(kv_render *r, kv_node *map, kv_node *key, kv_node *value);
/* Removes key from map; true when it was there. */
bool rn_del(kv_node *map, const char *key);
void rn_append(kv_render *r, kv_node *list, kv_node *item);
/* The map at path below root (keys separated by '/', as kustomize field specs write them),
 * made on the way when create is set; NULL when absent or not a map. */
kv_node *rn_path_map(kv_render *r, kv_node *root, const char *path, bool create, const kv_node *cause);

/* res.c: resources. */
rn_res *rn_res_new(kv_render *r, kv_node *obj);
void rn_list_add(rn_list *l, rn_res *res);
void rn_list_free(rn_list *l);
/* The object of l with res's identity (group, version, kind, name and namespace, where an
 * empty namespace is "default" for namespaced kinds), or NULL. */
rn_res *rn_list_find(kv_render *r, rn_list *l, const rn_res *res);
/* Says that names in l may have changed: the next find rebuilds its index. */
void rn_list_touch(rn_list *l);
/* True when kind of group and version is cluster-scoped in kustomize's table of built-in
 * kinds (its schema's versions: rbac's v1alpha1 ClusterRole is not there, so namespaced);
 * a NULL version matches any. */
bool rn_cluster_scoped(const char *group, const char *version, const char *kind);
/* Records the object's current name and namespace as an earlier one (before a rename). */
void rn_res_remember(kv_render *r, rn_res *res);
const char *rn_res_name(const rn_res *res);
const char *rn_res_ns(const rn_res *res);
const char *rn_res_kind(const rn_res *res);
/* The kinds kustomize's legacy order puts first and last. */
typedef struct {
	const char *const *first, *const *last;
	size_t nfirst, nlast;
} rn_order;
void rn_order_default(rn_order *o);
/* Sorts in kustomize's legacy order (kinds first and last, then by id). */
void rn_sort_legacy(rn_list *l, const rn_order *o);

/* ---- regular expressions (regex.c) ----
 * Patterns a kustomization writes, compiled once, matched within one work budget. */
typedef struct rn_regex rn_regex;
enum { RN_RE_MATCH = 1, RN_RE_NONE = 0, RN_RE_LIMIT = -1, RN_RE_ERROR = -2 };
/* NULL with PCRE2's message in msg when pattern is no valid expression. The pattern is
 * searched for anywhere in a subject: anchor it (^...$) to match whole strings. */
rn_regex *rn_regex_new(const char *pattern, size_t len, char *msg, size_t msgsize);
/* RN_RE_MATCH, RN_RE_NONE, RN_RE_LIMIT (the budget ran out) or RN_RE_ERROR. */
int rn_regex_match(const rn_regex *re, const char *s, size_t len);
void rn_regex_free(rn_regex *re);
/* pattern compiled once per render (later calls find it); NULL with msg when invalid. */
const rn_regex *rn_regex_cached(kv_render *r, const char *pattern, char *msg, size_t msgsize);
/* Frees the render's compiled patterns (kv_render_free). */
void rn_regex_cache_free(kv_render *r);

/* ---- selecting resources (select.c) ----
 * A selector as patches' `target` writes it (replacements compare identities exactly and use
 * these only for label and annotation selectors): group,
 * version, kind, name and namespace are regular expressions anchored at both ends (empty or
 * absent matches anything); name matches the object's original or current name, namespace
 * its original or current effective namespace ("default" when it has none, never for a
 * cluster-scoped kind); labelSelector and annotationSelector use Kubernetes label selector
 * syntax (k=v, k==v, k!=v, k in (a,b), k notin (a,b), k, !k, comma-separated). Pattern
 * matching is bounded; running out of the budget is a limit/regex problem at the selector. */
typedef struct rn_select rn_select;
/* Parses the selector map sel of file src: NULL (with a problem at the bad field) when it is
 * malformed. */
rn_select *rn_select_parse(kv_render *r, uint16_t src, const kv_node *sel);
/* 1 when res matches, 0 when not, -1 when a pattern ran out of its budget (reported once). */
int rn_select_match(kv_render *r, const rn_select *s, const rn_res *res);
void rn_select_free(rn_select *s);
/* The effective namespace kustomize matches: the namespace, "default" when empty, or
 * "_non_namespaceable_" for a cluster-scoped kind. */
const char *rn_effective_ns(const char *group, const char *version, const char *kind, const char *ns);

/* The kustomization Flux generates for folder dir, which has none (flux.c): a map with
 * `resources` listing every manifest file below it and each sub-folder that holds a
 * kustomization file (not descended), its nodes made at cause. NULL with a problem when the
 * folder cannot be read. */
kv_node *rn_flux_generated(kv_render *r, const char *dir, const kv_node *cause);

/* ---- the build's steps (build.c calls them in kustomize's order) ----
 * Each reads its own fields of the kustomization, reports problems there, and returns 0, or
 * -1 when the build cannot go on (after reporting why). */
int rn_generators(kv_render *r, const rn_kust *k, rn_acc *a);      /* generate.c: configMapGenerator, secretGenerator */
int rn_patches(kv_render *r, const rn_kust *k, rn_acc *a);         /* patch.c: patchesStrategicMerge, patches */
int rn_patches_json6902(kv_render *r, const rn_kust *k, rn_acc *a); /* patch.c: patchesJson6902 */
int rn_namespace(kv_render *r, const rn_kust *k, rn_acc *a);       /* xform.c */
int rn_prefix_suffix(kv_render *r, const rn_kust *k, rn_acc *a);   /* xform.c: namePrefix, nameSuffix */
int rn_labels(kv_render *r, const rn_kust *k, rn_acc *a);          /* xform.c: labels, commonLabels */
int rn_annotations(kv_render *r, const rn_kust *k, rn_acc *a);     /* xform.c: commonAnnotations */
int rn_replicas(kv_render *r, const rn_kust *k, rn_acc *a);        /* xform.c */
int rn_images(kv_render *r, const rn_kust *k, rn_acc *a);          /* xform.c: images, imageTags */
int rn_replacements(kv_render *r, const rn_kust *k, rn_acc *a);    /* replace.c */
/* After the whole build (namereference.c): content hashes on generated names, then every
 * reference to a renamed object fixed. */
int rn_hash_names(kv_render *r, rn_acc *a);
int rn_fix_references(kv_render *r, rn_acc *a);

#endif
