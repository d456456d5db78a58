/* fuzz_kustomize.c: libFuzzer target for the kustomization loader and the native kustomize
 * build. The input is a small repository: lines starting with "#> PATH" begin a file at PATH
 * (letters, digits, ".", "-", "_" and "/" only; no ".."); text before the first such line is the
 * root's kustomization.yaml. The files are written to a scratch folder, the root is built, and
 * the result printed as YAML and JSON; then the folder is rendered as a repository of reconciler
 * units (Flux Kustomizations with substitutions, Argo CD Applications, or the fallback). A build must never crash, hang or read outside the
 * folder, and every problem must carry a message. */
#include "kvet/buf.h"
#include "kvet/render.h"

#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FILES 24
#define MAX_DEPTH 6

static char root[64];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level > 0)
		remove(path);
	return 0;
}

static void clear_root(void)
{
	nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void remove_root(void)
{
	clear_root();
	rmdir(root);
}

/* A path the target may write: relative, plain characters, no "..", not too deep. */
static bool safe_path(const char *p, size_t n)
{
	if (n == 0 || n > 120 || p[0] == '/')
		return false;
	int depth = 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		      c == '_' || c == '/'))
			return false;
		if (c == '/' && ++depth > MAX_DEPTH)
			return false;
		if (c == '.' && i + 1 < n && p[i + 1] == '.')
			return false;
	}
	return p[n - 1] != '/';
}

static void write_file(const char *rel, size_t rlen, const uint8_t *text, size_t len)
{
	if (!safe_path(rel, rlen))
		return;
	char path[256];
	snprintf(path, sizeof path, "%s/%.*s", root, (int)rlen, rel);
	for (char *s = path + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(path, 0700);
		*s = '/';
	}
	FILE *f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(text, 1, len, f);
	fclose(f);
}

/* Splits the input at "#> PATH" lines and writes each part. */
static void write_repository(const uint8_t *data, size_t size)
{
	const char *name = "kustomization.yaml";
	size_t nlen = strlen(name), start = 0, files = 0;
	for (size_t i = 0; i <= size; i++) {
		bool header = i + 3 <= size && (i == 0 || data[i - 1] == '\n') && memcmp(data + i, "#> ", 3) == 0;
		if (!header && i < size)
			continue;
		if (files++ < MAX_FILES)
			write_file(name, nlen, data + start, i - start);
		if (i == size)
			break;
		const uint8_t *eol = memchr(data + i, '\n', size - i);
		size_t end = eol ? (size_t)(eol - data) : size;
		name = (const char *)data + i + 3;
		nlen = end - i - 3;
		start = eol ? end + 1 : size;
		i = start - 1;
	}
}

/* Every problem has a message and a path. */
static void check_problems(const kv_render *r)
{
	for (size_t i = 0; i < kv_render_problem_count(r); i++) {
		const kv_render_problem *p = kv_render_problem_at(r, i);
		if (!p->message || !*p->message || !p->path) {
			fprintf(stderr, "fuzz_kustomize: a problem without a message or a path\n");
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!root[0]) {
		const char *tmp = getenv("TMPDIR");
		snprintf(root, sizeof root, "%s/kvet-fuzz-XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
		if (!mkdtemp(root)) {
			perror("fuzz_kustomize: mkdtemp");
			abort();
		}
		atexit(remove_root);
	}
	clear_root();
	write_repository(data, size);
	kv_render_opts o = {.root = root, .max_files = 200, .max_objects = 2000};
	kv_limits_default(&o.limits);
	o.limits.file_size = 1 << 20;
	kv_render *r = kv_render_new(&o);
	kv_render_result res;
	if (kv_kustomize_build(r, "", &res) == 0) {
		kv_buf out = KV_BUF_INIT;
		kv_render_emit_yaml(&out, (const kv_node *const *)res.objects, res.n);
		kv_render_emit_json(&out, (const kv_node *const *)res.objects, res.n);
		kv_buf_free(&out);
	}
	check_problems(r);
	kv_render_free(r);
	/* The same files as a repository of reconciler units (Flux, Argo CD, or the fallback). */
	r = kv_render_new(&o);
	kv_units us;
	if (kv_render_units(r, &us) == 0) {
		kv_buf out = KV_BUF_INIT;
		for (size_t i = 0; i < us.n; i++)
			kv_render_emit_yaml(&out, (const kv_node *const *)us.items[i].result.objects, us.items[i].result.n);
		kv_buf_free(&out);
	}
	check_problems(r);
	kv_render_free(r);
	return 0;
}
