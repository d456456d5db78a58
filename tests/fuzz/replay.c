/* replay.c: runs a fuzz target's LLVMFuzzerTestOneInput over saved inputs without libFuzzer,
 * so the corpus is a regression suite in the normal test run (and under the sanitizer builds).
 *
 *   fuzz_X_replay [-v] DIR|FILE...   every regular file in each DIR (sorted by name), each FILE;
 *                                    -v names each input before running it, to find the one
 *                                    that crashes */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads a whole file into an exact-size buffer, so an overread is a sanitizer error. Returns
 * 0, or -1 with errno set. */
static int read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0;
	int rc = -1;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			uint8_t *grown = realloc(buf, cap);
			if (!grown)
				goto done;
			buf = grown;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f))
		goto done;
	*out = malloc(n ? n : 1);
	if (!*out)
		goto done;
	if (n)
		memcpy(*out, buf, n);
	*len = n;
	rc = 0;
done:
	free(buf);
	fclose(f);
	return rc;
}

static int replay_file(const char *path, int verbose)
{
	if (verbose) {
		fprintf(stderr, "replay: %s\n", path);
		fflush(stderr);
	}
	uint8_t *data;
	size_t len;
	if (read_file(path, &data, &len) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_regular(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The regular files directly in dir, sorted bytewise (not by locale). Returns the count, or
 * -1 with errno set; caller frees each name and *out. */
static long list_dir(const char *dir, char ***out)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t need = strlen(dir) + strlen(e->d_name) + 2;
		char *path = malloc(need);
		if (!path)
			abort();
		snprintf(path, need, "%s/%s", dir, e->d_name);
		if (!is_regular(path)) {
			free(path);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof *names);
			if (!names)
				abort();
		}
		names[n++] = path;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, by_name);
	*out = names;
	return (long)n;
}

static int replay_dir(const char *dir, int verbose, size_t *count)
{
	char **paths;
	long n = list_dir(dir, &paths);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	int rc = 0;
	for (long i = 0; i < n; i++) {
		if (replay_file(paths[i], verbose) < 0)
			rc = -1;
		else
			(*count)++;
		free(paths[i]);
	}
	free(paths);
	return rc;
}

int main(int argc, char **argv)
{
	int first = 1, verbose = 0;
	if (argc > 1 && strcmp(argv[1], "-v") == 0)
		first = 2, verbose = 1;
	if (argc <= first) {
		fprintf(stderr, "usage: %s [-v] DIR|FILE...\n", argv[0]);
		return 2;
	}
	int status = 0;
	for (int i = first; i < argc; i++) {
		struct stat st;
		size_t count = 0;
		int rc;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			rc = replay_dir(argv[i], verbose, &count);
		} else {
			rc = replay_file(argv[i], verbose);
			count = rc == 0;
		}
		if (rc < 0)
			status = 1;
		printf("replayed %zu inputs from %s\n", count, argv[i]);
	}
	return status;
}
