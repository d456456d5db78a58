/* fileutil.c: bounded reads, mkdir -p and atomic writes. */
#include "kvet/fileutil.h"

#include "kvet/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int kv_file_read(const char *path, uint64_t max, kv_buf *out, kv_buf *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		kv_buf_printf(err, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		kv_buf_printf(err, "%s: is a folder", path);
		close(fd);
		return -1;
	}
	size_t start = out->len;
	char chunk[65536];
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			kv_buf_printf(err, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		if (out->len - start + (size_t)r > max) {
			close(fd);
			return 1;
		}
		kv_buf_add(out, chunk, (size_t)r);
	}
	close(fd);
	return 0;
}

int kv_mkdirs(const char *path)
{
	char *p = kv_xstrdup(path);
	int rc = 0;
	for (char *s = p + 1; *s && rc == 0; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (rc == 0 && mkdir(p, 0755) < 0 && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

int kv_file_write_atomic(const char *path, const void *data, size_t len, kv_buf *err)
{
	char *tmp = kv_xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int rc = -1;
	if (fd < 0) {
		kv_buf_printf(err, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	const char *p = data;
	size_t left = len;
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			break;
		p += w;
		left -= (size_t)w;
	}
	if (left || fsync(fd) < 0 || close(fd) < 0) {
		kv_buf_printf(err, "%s: %s", tmp, strerror(errno));
		if (left)
			close(fd);
		unlink(tmp);
		goto done;
	}
	if (rename(tmp, path) < 0) {
		kv_buf_printf(err, "%s: %s", path, strerror(errno));
		unlink(tmp);
		goto done;
	}
	rc = 0;
done:
	free(tmp);
	return rc;
}
