/* fetch.h: downloading one document with libcurl (http, https, file), bounded in size and
 * time. Used only for schemas, and never when --offline is given. */
#ifndef KVET_FETCH_H
#define KVET_FETCH_H

#include <stdint.h>

#include "kvet/buf.h"

#define KV_FETCH_MAX_DEFAULT (64u << 20)

/* Appends the body of url to body. Returns 0, 1 when the server says it does not exist (404
 * or a missing file), or -1 with a reason in err. */
int kv_fetch(const char *url, uint64_t max, kv_buf *body, kv_buf *err);

#endif
