/* k8s.h: what the files of the Kubernetes library share (lib_k8s.c holds the table, each
 * lib_k8s_*.c one of k8s.io/apiserver/pkg/cel/library's libraries). Not installed.
 *
 * Implementations check their argument types, as internal.h's do; what they build lives in
 * the run's memory. */
#ifndef KVET_CEL_K8S_H
#define KVET_CEL_K8S_H

#include "internal.h"

/* Go's strconv.Quote of s (valid UTF-8), which Kubernetes' messages use to show an input. */
void kv_k8s_quote(kv_buf *out, const char *s, size_t n);
/* An error whose message is the buffer's text; empties the buffer. */
kv_cel_val kv_k8s_error_buf(kv_cel_call *c, kv_cel_errcode code, kv_buf *msg);

/* Quantities (lib_k8s_quantity.c): resource.Quantity with its two representations. */
kv_cel_val kv_k8s_quantity(kv_cel_call *c);
kv_cel_val kv_k8s_is_quantity(kv_cel_call *c);
kv_cel_val kv_k8s_q_sign(kv_cel_call *c);
kv_cel_val kv_k8s_q_is_integer(kv_cel_call *c);
kv_cel_val kv_k8s_q_as_integer(kv_cel_call *c);
kv_cel_val kv_k8s_q_as_float(kv_cel_call *c);
kv_cel_val kv_k8s_q_add(kv_cel_call *c);
kv_cel_val kv_k8s_q_sub(kv_cel_call *c);
kv_cel_val kv_k8s_q_compare_to(kv_cel_call *c);
kv_cel_val kv_k8s_q_is_less(kv_cel_call *c);
kv_cel_val kv_k8s_q_is_greater(kv_cel_call *c);

/* URLs (lib_k8s_url.c): Go's net/url ParseRequestURI and Parse. */
kv_cel_val kv_k8s_url(kv_cel_call *c);
kv_cel_val kv_k8s_is_url(kv_cel_call *c);
kv_cel_val kv_k8s_url_scheme(kv_cel_call *c);
kv_cel_val kv_k8s_url_host(kv_cel_call *c);
kv_cel_val kv_k8s_url_hostname(kv_cel_call *c);
kv_cel_val kv_k8s_url_port(kv_cel_call *c);
kv_cel_val kv_k8s_url_escaped_path(kv_cel_call *c);
kv_cel_val kv_k8s_url_query(kv_cel_call *c);
/* ParseRequestURI: true, or false with Go's error text ("parse \"x\": ...") in *err. */
bool kv_k8s_url_valid(const char *s, size_t n, kv_buf *err);

/* IP addresses and CIDRs (lib_k8s_net.c): Go's net/netip with Kubernetes' restrictions. */
kv_cel_val kv_k8s_ip(kv_cel_call *c);
kv_cel_val kv_k8s_is_ip(kv_cel_call *c);
kv_cel_val kv_k8s_ip_is_canonical(kv_cel_call *c);
kv_cel_val kv_k8s_ip_family(kv_cel_call *c);
kv_cel_val kv_k8s_ip_is_unspecified(kv_cel_call *c);
kv_cel_val kv_k8s_ip_is_loopback(kv_cel_call *c);
kv_cel_val kv_k8s_ip_is_ll_multicast(kv_cel_call *c);
kv_cel_val kv_k8s_ip_is_ll_unicast(kv_cel_call *c);
kv_cel_val kv_k8s_ip_is_global_unicast(kv_cel_call *c);
kv_cel_val kv_k8s_cidr(kv_cel_call *c);
kv_cel_val kv_k8s_is_cidr(kv_cel_call *c);
kv_cel_val kv_k8s_cidr_contains_ip(kv_cel_call *c);
kv_cel_val kv_k8s_cidr_contains_cidr(kv_cel_call *c);
kv_cel_val kv_k8s_cidr_ip(kv_cel_call *c);
kv_cel_val kv_k8s_cidr_masked(kv_cel_call *c);
kv_cel_val kv_k8s_cidr_prefix_length(kv_cel_call *c);

/* Named formats (lib_k8s_format.c). kv_k8s_format_const serves every format.<name>(),
 * reading the name from the call. */
kv_cel_val kv_k8s_format_named(kv_cel_call *c);
kv_cel_val kv_k8s_format_const(kv_cel_call *c);
kv_cel_val kv_k8s_format_validate(kv_cel_call *c);

#endif
