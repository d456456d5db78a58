/* cache.c: the schema cache commands: import documents, pull a Kubernetes release's spec,
 * list what is cached. A Kubernetes spec is kept raw and compiled, so a kvet upgrade that
 * changes the compiled format recompiles it without downloading again. */
#include "kvet/location.h"

#include "kvet/alloc.h"
#include "kvet/fetch.h"
#include "kvet/fileutil.h"
#include "kvet/sort.h"
#include "kvet/strutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DOC (64u << 20)

static int store_kubernetes(const char *cache_dir, const char *version, const kv_schema *s,
			    const kv_buf *raw, kv_buf *log, kv_buf *err)
{
	char *dir = kv_xasprintf("%s/kubernetes/%s", cache_dir, version);
	char *rawpath = kv_path_join(dir, "swagger.json");
	char *kvs = kv_path_join(dir, "schema.kvs");
	int rc = kv_mkdirs(dir);
	if (rc < 0)
		kv_buf_printf(err, "cannot create %s", dir);
	if (rc == 0)
		rc = kv_file_write_atomic(rawpath, raw->data, raw->len, err);
	if (rc == 0)
		rc = kv_schema_save(s, kvs, 0, err);
	if (rc == 0)
		kv_buf_printf(log, "Kubernetes %s: %u kinds (%s)\n", version, kv_schema_gvk_count(s), dir);
	free(dir);
	free(rawpath);
	free(kvs);
	return rc;
}

static char *doc_name(const char *file)
{
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	const char *dot = strrchr(base, '.');
	return kv_xstrndup(base, dot && dot != base ? (size_t)(dot - base) : strlen(base));
}

static int store_document(const char *cache_dir, const char *file, const kv_schema *s, kv_buf *log,
			  kv_buf *err)
{
	char *dir = kv_path_join(cache_dir, "documents");
	char *name = doc_name(file);
	char *kvs = kv_xasprintf("%s/%s.kvs", dir, name);
	int rc = kv_mkdirs(dir);
	if (rc < 0)
		kv_buf_printf(err, "cannot create %s", dir);
	if (rc == 0)
		rc = kv_schema_save(s, kvs, 0, err);
	if (rc == 0)
		kv_buf_printf(log, "%s: %u kinds (%s)\n", name, kv_schema_gvk_count(s), kvs);
	free(dir);
	free(name);
	free(kvs);
	return rc;
}

static int import_bytes(const char *cache_dir, const char *name, const kv_buf *data,
			const char *version, kv_buf *log, kv_buf *err)
{
	kv_schema *s;
	kv_docinfo info;
	if (kv_schemadoc_compile(&s, data->data ? data->data : "", data->len, name, &info, err) < 0)
		return -1;
	int rc;
	if (info.kubernetes) {
		char v[32];
		const char *use = version ? version : info.version[0] ? info.version : NULL;
		if (!use || kv_k8s_version_normalize(use, v) < 0) {
			kv_buf_printf(err, "%s: a Kubernetes spec without a release version: "
					   "pass --kubernetes-version", name);
			rc = -1;
		} else {
			rc = store_kubernetes(cache_dir, v, s, data, log, err);
		}
	} else {
		rc = store_document(cache_dir, name, s, log, err);
	}
	kv_schema_free(s);
	return rc;
}

int kv_cache_import(const char *cache_dir, const char *const *files, size_t n,
		    const char *version, kv_buf *log, kv_buf *err)
{
	for (size_t i = 0; i < n; i++) {
		kv_buf data = KV_BUF_INIT;
		int rc = kv_file_read(files[i], MAX_DOC, &data, err);
		if (rc == 1)
			kv_buf_printf(err, "%s: larger than 64 MiB", files[i]);
		if (rc == 0)
			rc = import_bytes(cache_dir, files[i], &data, version, log, err);
		kv_buf_free(&data);
		if (rc)
			return -1;
	}
	return 0;
}

static char *expand_version(const char *tmpl, const char *version)
{
	kv_buf b = KV_BUF_INIT;
	for (const char *p = tmpl; *p;) {
		if (strncmp(p, "{version}", 9) == 0) {
			kv_buf_puts(&b, version);
			p += 9;
		} else {
			kv_buf_putc(&b, *p++);
		}
	}
	return kv_buf_detach(&b);
}

int kv_cache_pull(const char *cache_dir, const char *version, const char *url_template,
		  kv_buf *log, kv_buf *err)
{
	char v[32];
	if (kv_k8s_version_normalize(version, v) < 0) {
		kv_buf_printf(err, "\"%s\" is not a Kubernetes version (like 1.35.0)", version);
		return -1;
	}
	char *url = expand_version(url_template, v);
	kv_buf body = KV_BUF_INIT;
	int rc = kv_fetch(url, MAX_DOC, &body, err);
	if (rc == 1)
		kv_buf_printf(err, "%s: not found (is %s a Kubernetes release?)", url, v);
	if (rc == 0) {
		kv_buf_printf(log, "downloaded %s (%zu bytes)\n", url, body.len);
		rc = import_bytes(cache_dir, url, &body, v, log, err);
	}
	free(url);
	kv_buf_free(&body);
	return rc ? -1 : 0;
}

static int str_cmp_desc(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	unsigned p[3] = {0}, q[3] = {0};
	sscanf(x, "v%u.%u.%u", &p[0], &p[1], &p[2]);
	sscanf(y, "v%u.%u.%u", &q[0], &q[1], &q[2]);
	for (int i = 0; i < 3; i++)
		if (p[i] != q[i])
			return p[i] < q[i] ? 1 : -1;
	return strcmp(x, y);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t list_dir(const char *dir, char ***names)
{
	size_t n = 0, cap = 0;
	*names = NULL;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		KV_GROW(*names, cap, n + 1);
		(*names)[n++] = kv_xstrdup(de->d_name);
	}
	closedir(d);
	return n;
}

static void describe(kv_buf *out, const char *label, const char *path, const char *note)
{
	kv_schema *s;
	kv_buf err = KV_BUF_INIT;
	if (kv_schema_open(&s, path, &err) == 0) {
		kv_buf_printf(out, "  %-28s %5u kinds %8zu KiB%s\n", label, kv_schema_gvk_count(s),
			      kv_schema_size(s) / 1024, note);
		kv_schema_free(s);
	} else {
		kv_buf_printf(out, "  %-28s (compiled form unreadable; recompiled on next use)%s\n",
			      label, note);
	}
	kv_buf_free(&err);
}

int kv_cache_list(const char *cache_dir, kv_buf *out, kv_buf *err)
{
	(void)err;
	kv_buf_printf(out, "cache: %s\n", cache_dir);
	char *kdir = kv_path_join(cache_dir, "kubernetes");
	char **versions;
	size_t nv = list_dir(kdir, &versions);
	kv_sort(versions, nv, sizeof *versions, str_cmp_desc);
	kv_buf_printf(out, "Kubernetes specs:%s\n", nv ? "" : " none (kvet schemas pull)");
	for (size_t i = 0; i < nv; i++) {
		char *p = kv_xasprintf("%s/%s/schema.kvs", kdir, versions[i]);
		describe(out, versions[i], p, i == 0 ? "  (default: the newest)" : "");
		free(p);
		free(versions[i]);
	}
	free(versions);
	free(kdir);
	char *ddir = kv_path_join(cache_dir, "documents");
	char **docs;
	size_t nd = list_dir(ddir, &docs);
	kv_sort(docs, nd, sizeof *docs, name_cmp);
	size_t shown = 0;
	for (size_t i = 0; i < nd; i++)
		shown += kv_str_has_suffix(docs[i], ".kvs");
	kv_buf_printf(out, "Imported documents:%s\n", shown ? "" : " none");
	for (size_t i = 0; i < nd; i++) {
		if (kv_str_has_suffix(docs[i], ".kvs")) {
			char *p = kv_path_join(ddir, docs[i]);
			docs[i][strlen(docs[i]) - 4] = '\0';
			describe(out, docs[i], p, "");
			free(p);
		}
		free(docs[i]);
	}
	free(docs);
	free(ddir);
	return 0;
}
