/* facts.h: facts about Kubernetes fields that the OpenAPI v2 document leaves out: enumerations
 * the API server enforces and defaults it applies before checking list-map keys. Internal to
 * src/schema; applied when a Kubernetes OpenAPI document is compiled. */
#ifndef KVET_SCHEMA_FACTS_H
#define KVET_SCHEMA_FACTS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
	const char *def;  /* OpenAPI definition name */
	const char *prop; /* property of that definition */
	bool items;       /* the enumeration applies to the items of a list */
	const char *const *values; /* NULL-terminated */
	const char *dflt; /* the API server's default, or NULL */
} kv_fact_prop;

/* The facts for one property, or NULL. Static data. */
const kv_fact_prop *kv_facts_prop(const char *def, const char *prop);
/* The whole table, for tests (sorted by def, then prop). */
const kv_fact_prop *kv_facts_table(size_t *n);

#endif
