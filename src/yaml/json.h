/* json.h: a strict JSON (RFC 8259) parser producing the same value tree as the YAML loader,
 * with positions. Internal to src/yaml. */
#ifndef KVET_YAML_JSON_H
#define KVET_YAML_JSON_H

#include "kvet/yaml.h"

/* Parses exactly one JSON value (surrounding whitespace allowed) into arena. Returns 0, or -1
 * after reporting the problem to diags. The text must already be valid UTF-8. */
int kv_json_parse(kv_node **out, const char *data, size_t len, const kv_limits *lim,
		  kv_arena *arena, kv_diags *diags);

#endif
