/* policies.c: assembling the policy set a command uses: the built-in pack, the configuration's
 * `policies:` (relative to its folder; read from the revision when the configuration came from
 * one) and --policy paths, then the configuration's severities for policy ids. Shared by
 * `kvet check` and `kvet policy`. */
#include "cli.h"

#include "kvet/alloc.h"
#include "kvet/fileutil.h"
#include "kvet/sort.h"
#include "kvet/strutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_POLICY_FILE (4u << 20)
#define MAX_DIR_DEPTH 32

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.yaml / *.yml below dir in the work tree (sorted, hidden entries skipped). */
static void list_dir(const char *dir, int depth, char ***out, size_t *n, size_t *cap)
{
	DIR *d = depth < MAX_DIR_DEPTH ? opendir(dir) : NULL;
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *path = kv_path_join(dir, e->d_name);
		struct stat st;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			list_dir(path, depth + 1, out, n, cap);
			free(path);
		} else if (kv_str_has_suffix(e->d_name, ".yaml") || kv_str_has_suffix(e->d_name, ".yml")) {
			KV_GROW(*out, *cap, *n + 1);
			(*out)[(*n)++] = path;
		} else {
			free(path);
		}
	}
	closedir(d);
}

static int add_text(kv_policyset *ps, const char *path, kv_buf *data, kv_buf *err)
{
	return kv_policyset_add_file(ps, path, data->data ? data->data : "", data->len, err);
}

void kv_cli_yaml_files(const char *dir, char ***out, size_t *n)
{
	size_t cap = *n;
	list_dir(dir, 0, out, n, &cap);
	kv_sort(*out, *n, sizeof **out, str_cmp);
}

static int add_worktree(kv_policyset *ps, const char *path, kv_buf *err)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		kv_buf_printf(err, "%s: no such policy file or folder\n", path);
		return -1;
	}
	char **files = NULL;
	size_t n = 0, cap = 0;
	if (S_ISDIR(st.st_mode)) {
		kv_cli_yaml_files(path, &files, &n);
		cap = n;
	} else {
		KV_GROW(files, cap, 1);
		files[n++] = kv_xstrdup(path);
	}
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		kv_buf data = KV_BUF_INIT, e = KV_BUF_INIT;
		int r = kv_file_read(files[i], MAX_POLICY_FILE, &data, &e);
		if (r != 0) {
			kv_buf_printf(err, "%s: %s\n", files[i], r > 0 ? "larger than 4 MiB" : kv_buf_cstr(&e));
			rc = -1;
		} else if (add_text(ps, files[i], &data, err) != 0) {
			rc = -1;
		}
		kv_buf_free(&data);
		kv_buf_free(&e);
		free(files[i]);
	}
	free(files);
	return rc;
}

static int add_revision(kv_policyset *ps, kv_source *src, const char *path, kv_buf *err)
{
	int kind = kv_source_rev_kind(src, path);
	char **files = NULL;
	size_t n = 0;
	if (kind == 0) {
		kv_buf_printf(err, "%s: no such policy file or folder in the revision\n", path);
		return -1;
	}
	if (kind == 2) {
		kv_source_rev_list(src, path, &files, &n);
	} else {
		files = kv_xmalloc(sizeof *files);
		files[n++] = kv_xstrdup(path);
	}
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		bool yaml = kv_str_has_suffix(files[i], ".yaml") || kv_str_has_suffix(files[i], ".yml");
		kv_buf data = KV_BUF_INIT, e = KV_BUF_INIT;
		char oid[41];
		if (yaml || kind == 1) {
			int r = kv_source_rev_read(src, files[i], MAX_POLICY_FILE, &data, oid, &e);
			if (r != 0) {
				kv_buf_printf(err, "%s: %s\n", files[i], r > 0 ? "absent or larger than 4 MiB" : kv_buf_cstr(&e));
				rc = -1;
			} else if (add_text(ps, files[i], &data, err) != 0) {
				rc = -1;
			}
		}
		kv_buf_free(&data);
		kv_buf_free(&e);
		free(files[i]);
	}
	free(files);
	return rc;
}

/* The rule or policy id closest to a mistyped one, or NULL. */
static const char *closest_id(const kv_policyset *ps, const char *typo)
{
	const char *best = NULL;
	unsigned best_d = 3;
	size_t n = strlen(typo);
	for (int i = 0; i < KV_RULE_COUNT; i++) {
		const char *id = kv_rule_name((kv_rule)i);
		unsigned d = kv_edit_distance(typo, n, id, strlen(id), 2);
		if (d < best_d) {
			best_d = d;
			best = id;
		}
	}
	for (size_t i = 0; i < kv_policyset_count(ps); i++) {
		kv_policy_info in;
		kv_policy_describe(kv_policyset_at(ps, i), &in);
		unsigned d = kv_edit_distance(typo, n, in.id, strlen(in.id), 2);
		if (d < best_d) {
			best_d = d;
			best = in.id;
		}
	}
	return best;
}

int kv_cli_load_policies(kv_policyset *ps, const kv_cli_policy_src *s, kv_buf *err)
{
	int rc = 0;
	bool builtin = s->cfg ? s->cfg->builtin_policies != 0 : true;
	if (s->no_builtin)
		builtin = false;
	if (builtin && kv_policyset_add_builtin(ps, err) != 0)
		rc = -1;
	for (size_t i = 0; s->cfg && i < s->cfg->npolicies; i++) {
		const char *p = s->cfg->policies[i];
		if (s->rev) {
			if (add_revision(ps, s->rev, p, err) != 0)
				rc = -1;
			continue;
		}
		char *full = s->config_dir && p[0] != '/' ? kv_path_join(s->config_dir, p) : kv_xstrdup(p);
		if (add_worktree(ps, full, err) != 0)
			rc = -1;
		free(full);
	}
	for (size_t i = 0; i < s->npaths; i++)
		if (add_worktree(ps, s->paths[i], err) != 0)
			rc = -1;
	for (size_t i = 0; s->cfg && i < s->cfg->npolicy_rules; i++) {
		const kv_policy_rule *r = &s->cfg->policy_rules[i];
		if (kv_policyset_set_severity(ps, r->pattern, r->severity) == 0) {
			const char *near = closest_id(ps, r->pattern);
			kv_buf_printf(err, "%s:%u:%u: rules: \"%s\" names no rule or policy", s->cfg->path ? s->cfg->path : ".kvet.yaml",
				      r->line, r->col, r->pattern);
			if (near)
				kv_buf_printf(err, "; did you mean %s?\n", near);
			else
				kv_buf_puts(err, " (kvet rules, kvet policy list)\n");
			rc = -1;
		}
	}
	return rc;
}
