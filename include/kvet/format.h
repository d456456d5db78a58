/* format.h: syntax checks of the string formats Kubernetes uses: OpenAPI formats (byte,
 * date-time, ...), resource quantities, and the name and label grammars of apimachinery's
 * validation package. Each returns NULL when s is valid, else a static reason. */
#ifndef KVET_FORMAT_H
#define KVET_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

const char *kv_fmt_base64(const char *s, size_t n);
const char *kv_fmt_date_time(const char *s, size_t n); /* RFC 3339 */
const char *kv_fmt_date(const char *s, size_t n);      /* YYYY-MM-DD */
const char *kv_fmt_duration(const char *s, size_t n);  /* Go: 1h30m, 250ms */
const char *kv_fmt_uuid(const char *s, size_t n);
const char *kv_fmt_ipv4(const char *s, size_t n);
const char *kv_fmt_ipv6(const char *s, size_t n);
const char *kv_fmt_cidr(const char *s, size_t n);
const char *kv_fmt_quantity(const char *s, size_t n);

/* DNS-1123 label: at most 63 of [a-z0-9-], alphanumeric at both ends. */
const char *kv_fmt_dns1123_label(const char *s, size_t n);
/* DNS-1123 subdomain: at most 253, dot-separated labels of [a-z0-9-]. */
const char *kv_fmt_dns1123_subdomain(const char *s, size_t n);
/* DNS-1035 label: a DNS-1123 label that starts with a letter. */
const char *kv_fmt_dns1035_label(const char *s, size_t n);
/* A name that can be a path segment: not "." or "..", no "/" or "%". */
const char *kv_fmt_path_segment(const char *s, size_t n);
/* Qualified name (label and annotation keys): [prefix/]name, prefix a DNS subdomain, name at
 * most 63 of [A-Za-z0-9-_.] alphanumeric at both ends. */
const char *kv_fmt_qualified_name(const char *s, size_t n);
/* Label value: empty, or a name part as above. */
const char *kv_fmt_label_value(const char *s, size_t n);

#endif
