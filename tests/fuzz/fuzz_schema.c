/* fuzz_schema.c: libFuzzer target for the schema loader. Each input is compiled as a schema
 * document (OpenAPI v2/v3 or CRDs); what compiles is put in a set, every GVK looked up, and a
 * few fixed objects validated against each root. */
#include "kvet/arena.h"
#include "kvet/buf.h"
#include "kvet/diag.h"
#include "kvet/location.h"
#include "kvet/schema.h"
#include "kvet/validate.h"
#include "kvet/yaml.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A schema with many kinds would multiply the work; lookups still cover all of them. */
#define MAX_VALIDATED_GVKS 16u
#define FUZZ_STEPS 50000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Values of every type, a string made for backtracking patterns, a templated value, SOPS
 * ciphertext, patch directives, and roots that are not maps. */
static const char *const objects[] = {
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n  namespace: default\n"
	"  labels: {app: demo, app.kubernetes.io/name: demo}\n  annotations: {note: x}\n"
	"data:\n  key: value\n",

	"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 3\n"
	"  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
	"    spec:\n      containers:\n      - name: web\n        image: nginx:1.25\n"
	"        ports: [{containerPort: 80, protocol: TCP}, {containerPort: 80}]\n"
	"        resources: {limits: {cpu: 500m, memory: 128Mi}}\n",

	"apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, generateName: w-}\n"
	"spec:\n  size: 1.5\n  count: -7\n  big: 12345678901234567890\n  enabled: yes\n"
	"  nothing: null\n  text: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\n"
	"  when: 2024-01-02T03:04:05Z\n  templated: ${NAME}\n  secret: ENC[AES256_GCM,data:abc]\n"
	"  list: [1, two, 3.0, [], {}, {a: b}, 1]\n  map: {a: {b: {c: [x, y, x]}}}\n"
	"  $patch: replace\nsops: {version: 3.8.0}\n",

	"- just\n- a\n- list\n",
	"a plain string\n",
	"42\n",
};

#define NOBJECTS (sizeof objects / sizeof objects[0])

static const unsigned flag_sets[] = {0, KV_VALIDATE_PATCH, KV_VALIDATE_SOPS | KV_VALIDATE_PATCH};

static void drop_findings(kv_diags *d)
{
	kv_finding *f;
	size_t n;
	kv_diags_take(d, &f, &n);
	for (size_t i = 0; i < n; i++) {
		if (f[i].rule >= KV_RULE_COUNT || !f[i].message)
			abort();
		kv_finding_free(&f[i]);
	}
	free(f);
}

/* The fixed objects, parsed into arena; a slot stays NULL if its text did not load. */
static void load_objects(const kv_node **out, kv_arena *arena)
{
	kv_limits lim;
	kv_limits_default(&lim);
	for (size_t i = 0; i < NOBJECTS; i++) {
		kv_diags d;
		kv_diags_init(&d, NULL, 0);
		kv_loader *l = kv_loader_new(objects[i], strlen(objects[i]), KV_SYNTAX_YAML, &lim, &d);
		kv_doc doc;
		out[i] = kv_loader_next(l, arena, &doc) == 1 ? doc.root : NULL;
		kv_loader_free(l);
		kv_diags_free(&d);
	}
}

static void validate_all(kv_validator *v, kv_sref root, const kv_node *const *objs)
{
	for (size_t i = 0; i < NOBJECTS; i++) {
		if (!objs[i])
			continue;
		for (size_t f = 0; f < sizeof flag_sets / sizeof flag_sets[0]; f++) {
			kv_diags d;
			kv_diags_init(&d, NULL, 0);
			kv_validate(v, root, objs[i], flag_sets[f], &d);
			drop_findings(&d);
		}
	}
}

static void lookup_gvk(const kv_schemaset *set, const char *group, const char *version,
		       const char *kind)
{
	kv_sref found;
	if (!group || !version || !kind || !kv_schemaset_find(set, group, version, kind, &found)) {
		fprintf(stderr, "fuzz_schema: GVK %s/%s %s listed but not found\n", group ? group : "(null)",
			version ? version : "(null)", kind ? kind : "(null)");
		abort();
	}
	/* A near miss, as a misspelt manifest would ask. */
	kv_buf hint = KV_BUF_INIT;
	kv_schemaset_suggest(set, group, "v0", kind, &hint);
	kv_buf_free(&hint);
}

static void exercise(kv_schema *s)
{
	(void)kv_schema_origin(s);
	(void)kv_schema_dialect(s);
	(void)kv_schema_size(s);
	(void)kv_schema_cel_rules(s);
	kv_schemaset *set = kv_schemaset_new();
	kv_schemaset_add(set, s); /* the set owns s from here */
	kv_schemaset_freeze(set);
	(void)kv_schemaset_count(set);
	(void)kv_schemaset_cel_rules(set);

	kv_arena *arena = kv_arena_new();
	const kv_node *objs[NOBJECTS];
	load_objects(objs, arena);
	kv_vopts o = {.set = set, .max_steps = FUZZ_STEPS, .regex_limit = KV_REGEX_LIMIT_DEFAULT};
	kv_validator *v = kv_validator_new(&o);
	uint32_t n = kv_schema_gvk_count(s);
	for (uint32_t i = 0; i < n; i++) {
		const char *group, *version, *kind;
		kv_sref ref;
		kv_schema_gvk_at(s, i, &group, &version, &kind, &ref);
		lookup_gvk(set, group, version, kind);
		if (i < MAX_VALIDATED_GVKS)
			validate_all(v, ref, objs);
	}
	kv_sref meta;
	if (kv_schemaset_objectmeta(set, &meta))
		validate_all(v, meta, objs);
	(void)kv_validator_templated(v);
	kv_validator_free(v);
	kv_arena_free(arena);
	kv_schemaset_free(set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so reads past the end are caught whoever owns the buffer. */
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	if (size)
		memcpy(text, data, size);
	kv_schema *s = NULL;
	kv_docinfo info;
	kv_buf err = KV_BUF_INIT;
	int rc = kv_schemadoc_compile(&s, text, size, "fuzz", &info, &err);
	if ((rc == 0) != (s != NULL))
		abort(); /* a schema exactly when the compile succeeds */
	if (s)
		exercise(s);
	kv_buf_free(&err);
	free(text);
	return 0;
}
