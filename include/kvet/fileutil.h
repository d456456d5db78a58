/* fileutil.h: whole-file reads with a bound, folder creation, and atomic writes (a temporary
 * file in the same folder, renamed into place), the only way kvet writes its cache. */
#ifndef KVET_FILEUTIL_H
#define KVET_FILEUTIL_H

#include <stdint.h>

#include "kvet/buf.h"

/* Appends the file's contents to out. Returns 0, 1 when larger than max, -1 with err. */
int kv_file_read(const char *path, uint64_t max, kv_buf *out, kv_buf *err);
/* mkdir -p. */
int kv_mkdirs(const char *path);
int kv_file_write_atomic(const char *path, const void *data, size_t len, kv_buf *err);

#endif
