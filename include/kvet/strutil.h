/* strutil.h: small string helpers shared by every stage: UTF-8, globs, paths, edit distance. */
#ifndef KVET_STRUTIL_H
#define KVET_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when s[0..n) is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
 * Otherwise *bad is the offset of the first offending byte. */
bool kv_utf8_valid(const char *s, size_t n, size_t *bad);
/* Number of code points in well-formed UTF-8. */
size_t kv_utf8_count(const char *s, size_t n);
/* Byte offset of the code point that starts column col (1-based) of a line; clamps to n. */
size_t kv_utf8_col_offset(const char *line, size_t n, uint32_t col);
/* Encodes cp as UTF-8 into out (at least 4 bytes); returns the length. */
size_t kv_utf8_encode(uint32_t cp, char *out);

/* Matches a slash-separated path against a glob: `*` and `?` stay inside one segment, `**` as
 * a whole segment matches any number of segments, `[...]` is a character class. A pattern
 * with no slash matches any one segment (a file or folder of that name anywhere); a trailing
 * slash matches a folder and everything below it. */
bool kv_glob_match(const char *pattern, const char *path);

/* Joins a and b with one slash, collapsing "./" prefixes; caller frees. */
char *kv_path_join(const char *a, const char *b);
/* Normalises a slash path: drops "." and empty segments, resolves "..". Returns NULL when
 * ".." climbs above the start; caller frees. */
char *kv_path_normalize(const char *path);
/* True when name ends with one of kvet's manifest extensions (.yaml .yml .json). */
bool kv_path_is_manifest(const char *name);
bool kv_str_has_suffix(const char *s, const char *suffix);
/* The bytes of line number line (1 for the first) of text, without its line break; false
 * when the text has fewer lines. */
bool kv_text_line(const char *text, size_t len, uint32_t line, const char **start, size_t *n);

/* True when s holds a ${NAME} variable reference (Flux post-build substitution, envsubst):
 * its final value is unknown until substitution. "$${NAME}" is Flux's escape for a literal
 * "${NAME}", not a reference. */
bool kv_is_templated(const char *s, size_t n);

/* Edit distance for suggestions: insertions, deletions, substitutions and adjacent
 * transpositions each cost one, ASCII case is ignored. Returns max + 1 once the distance
 * exceeds max, and for inputs longer than 64 bytes. */
unsigned kv_edit_distance(const char *a, size_t an, const char *b, size_t bn, unsigned max);

/* Parses a size like 16MiB, 512k, 1048576 into bytes; returns 0 or -1. */
int kv_parse_size(uint64_t *out, const char *s);

#endif
