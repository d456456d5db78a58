/* build.h: helpers the YAML and JSON loaders share to make nodes: scalar resolution and the
 * finishing of maps (duplicate keys). Internal to src/yaml. */
#ifndef KVET_YAML_BUILD_H
#define KVET_YAML_BUILD_H

#include "kvet/diag.h"
#include "kvet/node.h"

kv_node *kv_build_node(kv_arena *a, kv_type type, uint32_t line, uint32_t col);
kv_node *kv_build_string(kv_arena *a, const char *s, size_t len, uint32_t line, uint32_t col);

/* Resolves a plain YAML scalar as YAML 1.1 does (go-yaml v2, which kubectl and the API
 * server's YAML decoding use), flagging the forms YAML 1.2 reads differently. */
kv_node *kv_build_plain(kv_arena *a, const char *s, size_t len, uint32_t line, uint32_t col);

/* Makes a map node from n pairs. A later duplicate key replaces the earlier entry (the last
 * value wins, as in the Go decoders) and is reported. pairs is copied. */
kv_node *kv_build_map(kv_arena *a, kv_pair *pairs, size_t n, uint32_t line, uint32_t col,
		      kv_diags *diags);

#endif
