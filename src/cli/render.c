/* render.c: `kvet render`: what the reconcilers of a repository would apply, unit by unit
 * (Flux Kustomizations, Argo CD Applications, else kustomization folders and plain files),
 * printed as `kustomize build` prints it. `--kustomize DIR` builds one kustomization folder
 * exactly as `kustomize build DIR` does (the compatibility test compares the two). Problems
 * go to stderr as findings. */
#include "cli.h"
#include "opts.h"

#include "kvet/alloc.h"
#include "kvet/config.h"
#include "kvet/fileutil.h"
#include "kvet/render.h"
#include "kvet/source.h"
#include "kvet/strutil.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { O_KUSTOMIZE, O_ROOT, O_REV, O_UNIT, O_FORMAT, O_HELP };

static const kv_opt opts[] = {
	[O_REV] = {"rev", 0, "REV", "render a git revision's tree (sha, branch, tag, HEAD~2), not the work tree"},
	[O_UNIT] = {"unit", 'u', "NAME", "print only the unit of that name (namespace/name for Flux; may repeat)"},
	[O_KUSTOMIZE] = {"kustomize", 0, "DIR", "build the kustomization in DIR, as `kustomize build DIR` does"},
	[O_ROOT] = {"root", 0, "DIR", "the repository root: nothing outside it is read (default: the git\n"
				       "work tree holding DIR, else the current folder when it holds DIR,\n"
				       "else DIR)"},
	[O_FORMAT] = {"format", 'f', "FORMAT", "yaml (default) or json"},
	[O_HELP] = {"help", 'h', NULL, "show this help"},
};

#define NOPTS (sizeof opts / sizeof opts[0])

static void print_help(FILE *to)
{
	kv_buf b = KV_BUF_INIT;
	kv_buf_puts(&b, "usage: kvet render [PATH] [--rev REV] [--unit NAME] [--format yaml|json]\n"
			"       kvet render --kustomize DIR [--root DIR] [--format yaml|json]\n"
			"\n"
			"Prints what the reconcilers of the repository at PATH (default: the git work\n"
			"tree holding the current folder, else the current folder) would apply, unit by\n"
			"unit: each Flux Kustomization and Argo CD Application found in it; with neither,\n"
			"each top-level kustomization folder and one \"plain\" unit of the manifests no\n"
			"kustomization applies. Each unit starts with a \"# unit\" comment line, then its\n"
			"objects as kustomize prints them (JSON: an array of\n"
			"{unit, kind, path, objects}).\n"
			"\n"
			"--kustomize DIR prints the objects one kustomization folder builds, as\n"
			"`kustomize build DIR` prints them: keys sorted, objects in kustomize's order,\n"
			"\"---\" between them.\n"
			"\n"
			"Problems (a missing file, a cycle, what kvet cannot render) are printed to stderr\n"
			"with their file:line:col.\n"
			"\noptions:\n");
	kv_opt_help(&b, opts, NOPTS);
	kv_buf_puts(&b, "\nexit codes: 0 rendered, 1 rendered with errors (the output is incomplete),\n"
			"2 usage error, 3 the folder or revision cannot be read\n");
	fputs(kv_buf_cstr(&b), to);
	kv_buf_free(&b);
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The folder of real path p that holds .git, or NULL. */
static char *git_top(const char *p)
{
	char *dir = kv_xstrdup(p);
	for (;;) {
		char *dotgit = kv_xasprintf("%s/.git", dir);
		bool found = access(dotgit, F_OK) == 0;
		free(dotgit);
		if (found)
			return dir;
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir) {
			free(dir);
			return NULL;
		}
		*slash = '\0';
	}
}

static bool below(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strcmp(dir, "/") == 0 || (strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0'));
}

/* Splits the real path of dir into a root and dir relative to it. */
static int place(const char *dir, const char *root_opt, char **root, char **rel)
{
	char real[PATH_MAX], cwd[PATH_MAX], rootreal[PATH_MAX];
	if (!realpath(dir, real) || !is_dir(real)) {
		fprintf(stderr, "kvet render: error: %s: %s\n", dir, is_dir(dir) ? strerror(errno) : "not a folder");
		return -1;
	}
	if (root_opt) {
		if (!realpath(root_opt, rootreal) || !below(real, rootreal)) {
			fprintf(stderr, "kvet render: error: --root %s does not hold %s\n", root_opt, dir);
			return -1;
		}
		*root = kv_xstrdup(rootreal);
	} else if ((*root = git_top(real)) == NULL) {
		*root = kv_xstrdup(getcwd(cwd, sizeof cwd) && below(real, cwd) ? cwd : real);
	}
	size_t n = strlen(*root);
	const char *r = real + (strcmp(*root, "/") == 0 ? 1 : n);
	*rel = kv_xstrdup(*r == '/' ? r + 1 : r);
	return 0;
}

static bool print_problems(const kv_render *r)
{
	bool errors = false;
	for (size_t i = 0; i < kv_render_problem_count(r); i++) {
		const kv_render_problem *p = kv_render_problem_at(r, i);
		kv_severity sev = kv_rule_default_severity(p->rule);
		errors |= sev >= KV_SEV_ERROR;
		if (p->line)
			fprintf(stderr, "%s:%u:%u: ", p->path, p->line, p->col);
		else
			fprintf(stderr, "%s: ", *p->path ? p->path : ".");
		fprintf(stderr, "%s: %s [%s]\n", kv_severity_name(sev), p->message, kv_rule_name(p->rule));
		if (p->hint)
			fprintf(stderr, "  hint: %s\n", p->hint);
	}
	return errors;
}

/* The limits of the repository's .kvet.yaml (in the work tree at root, or in revision src),
 * as kvet check reads them: 0, or -1 (said) when the file is bad. */
static int repo_limits(kv_render_opts *o, const char *root, kv_source *src)
{
	char *data = NULL;
	size_t len = 0;
	const char *path = NULL;
	kv_buf err = KV_BUF_INIT;
	int rc;
	char *p = NULL;
	if (src) {
		rc = kv_source_config(src, &data, &len, &path, &err);
	} else {
		p = kv_path_join(root, ".kvet.yaml");
		struct stat st;
		rc = 1;
		if (stat(p, &st) == 0) {
			kv_buf b = KV_BUF_INIT;
			rc = kv_file_read(p, 1 << 20, &b, &err);
			if (rc == 1) {
				kv_buf_printf(&err, "%s: larger than 1 MiB", p);
				rc = -1;
			}
			len = b.len;
			data = kv_buf_detach(&b);
			path = p;
		}
	}
	kv_config cfg;
	kv_config_init(&cfg);
	if (rc == 0)
		rc = kv_config_parse(&cfg, data, len, path, &err);
	if (rc == 0)
		o->limits = cfg.limits;
	if (rc < 0)
		fprintf(stderr, "kvet render: error: %s\n", kv_buf_cstr(&err));
	kv_config_free(&cfg);
	kv_buf_free(&err);
	free(data);
	free(p);
	return rc < 0 ? -1 : 0;
}

static int render_kustomize(const char *dir, const char *root_opt, bool json)
{
	char *root, *rel;
	if (place(dir, root_opt, &root, &rel) != 0)
		return KV_EXIT_INTERNAL;
	kv_render_opts o = {.root = root};
	if (repo_limits(&o, root, NULL) != 0) {
		free(root);
		free(rel);
		return KV_EXIT_USAGE;
	}
	kv_render *r = kv_render_new(&o);
	kv_render_result res;
	int rc = kv_kustomize_build(r, rel, &res);
	kv_buf out = KV_BUF_INIT;
	if (rc == 0) {
		if (json)
			kv_render_emit_json(&out, (const kv_node *const *)res.objects, res.n);
		else
			kv_render_emit_yaml(&out, (const kv_node *const *)res.objects, res.n);
	}
	int code = kv_cli_write("-", out.data ? out.data : "", out.len) == 0 ? KV_EXIT_OK : KV_EXIT_INTERNAL;
	bool errors = print_problems(r);
	if (code == KV_EXIT_OK && (rc != 0 || errors))
		code = KV_EXIT_FINDINGS;
	kv_buf_free(&out);
	kv_render_free(r);
	free(root);
	free(rel);
	return code;
}

static const char *const kind_names[] = {
	[KV_UNIT_FLUX] = "flux", [KV_UNIT_ARGO] = "argo", [KV_UNIT_KUSTOMIZE] = "kustomize", [KV_UNIT_PLAIN] = "plain",
};

static bool wanted(const kv_unit *u, char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(u->name, names[i]) == 0)
			return true;
	return n == 0;
}

/* "# unit NAME (KIND, path P, defined at F:L): N objects" */
static void unit_header(kv_buf *b, const kv_render *r, const kv_unit *u)
{
	kv_buf_printf(b, "# unit %s (%s, path %s", u->name, kind_names[u->kind], *u->path ? u->path : ".");
	const char *def = u->def ? kv_render_file_path(r, u->def->src) : NULL;
	if (def)
		kv_buf_printf(b, ", defined at %s:%u", def, u->def->line);
	if (!u->rendered)
		kv_buf_puts(b, "): not rendered\n");
	else
		kv_buf_printf(b, "): %zu object%s%s\n", u->result.n, u->result.n == 1 ? "" : "s",
			      u->result.complete ? "" : ", incomplete");
}

static void json_string(kv_buf *b, const char *s)
{
	kv_buf_putc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			kv_buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			kv_buf_printf(b, "\\u%04x", c);
		else
			kv_buf_putc(b, (char)c);
	}
	kv_buf_putc(b, '"');
}

static void emit_units(kv_buf *out, const kv_render *r, const kv_units *us, char *const *names, size_t nnames,
		       bool json)
{
	bool first = true;
	if (json)
		kv_buf_puts(out, "[");
	for (size_t i = 0; i < us->n; i++) {
		const kv_unit *u = &us->items[i];
		if (!wanted(u, names, nnames))
			continue;
		const kv_node *const *objs = (const kv_node *const *)u->result.objects;
		if (json) {
			kv_buf_puts(out, first ? "\n{\"unit\": " : ",\n{\"unit\": ");
			json_string(out, u->name);
			kv_buf_printf(out, ", \"kind\": \"%s\", \"path\": ", kind_names[u->kind]);
			json_string(out, u->path);
			kv_buf_printf(out, ", \"rendered\": %s, \"objects\": ", u->rendered ? "true" : "false");
			kv_render_emit_json(out, objs, u->rendered ? u->result.n : 0);
			while (out->len && out->data[out->len - 1] == '\n')
				out->len--;
			kv_buf_puts(out, "}");
		} else {
			if (!first)
				kv_buf_puts(out, "---\n");
			unit_header(out, r, u);
			if (u->rendered)
				kv_render_emit_yaml(out, objs, u->result.n);
		}
		first = false;
	}
	if (json)
		kv_buf_puts(out, "\n]\n");
}

/* The units of the repository at path (its work tree, or revision rev). */
static int render_units(const char *path, bool given, const char *rev, char *const *names, size_t nnames, bool json)
{
	kv_source *src = NULL;
	char real[PATH_MAX];
	kv_render_opts o = {0};
	if (rev) {
		kv_buf err = KV_BUF_INIT;
		if (kv_source_rev(&src, path, rev, NULL, 0, &err) != 0) {
			fprintf(stderr, "kvet render: error: %s\n", kv_buf_cstr(&err));
			kv_buf_free(&err);
			return KV_EXIT_USAGE;
		}
		kv_buf_free(&err);
		o.rev = src;
	} else if (!realpath(path, real) || !is_dir(real)) {
		fprintf(stderr, "kvet render: error: %s: %s\n", path, is_dir(path) ? strerror(errno) : "not a folder");
		return KV_EXIT_INTERNAL;
	} else {
		o.root = real;
	}
	/* Without PATH, the git work tree holding the current folder: reconcilers name paths from
	 * the repository's root. */
	char *top = !rev && !given ? git_top(real) : NULL;
	if (top)
		o.root = top;
	if (repo_limits(&o, o.root, src) != 0) {
		kv_source_free(src);
		free(top);
		return KV_EXIT_USAGE;
	}
	kv_render *r = kv_render_new(&o);
	kv_units us;
	int rc = kv_render_units(r, &us);
	int code = KV_EXIT_OK;
	size_t shown = 0;
	for (size_t i = 0; i < us.n; i++)
		shown += wanted(&us.items[i], names, nnames);
	if (rc == 0 && nnames && shown == 0) {
		fprintf(stderr, "kvet render: error: no unit is named %s; the units are:\n", names[0]);
		for (size_t i = 0; i < us.n; i++)
			fprintf(stderr, "  %s\n", us.items[i].name);
		code = KV_EXIT_USAGE;
	} else {
		kv_buf out = KV_BUF_INIT;
		if (rc == 0)
			emit_units(&out, r, &us, names, nnames, json);
		code = kv_cli_write("-", out.data ? out.data : "", out.len) == 0 ? KV_EXIT_OK : KV_EXIT_INTERNAL;
		kv_buf_free(&out);
		bool errors = print_problems(r);
		if (rc != 0)
			code = KV_EXIT_INTERNAL;
		else if (code == KV_EXIT_OK && errors)
			code = KV_EXIT_FINDINGS;
	}
	kv_render_free(r);
	kv_source_free(src);
	free(top);
	return code;
}

int kv_cmd_render(int argc, char **argv)
{
	kv_optparser p;
	kv_opt_init(&p, argc, argv, opts, NOPTS);
	const char *kdir = NULL, *root = NULL, *rev = NULL, *format = "yaml";
	char **units = NULL;
	size_t nunits = 0, capunits = 0;
	int o;
	while ((o = kv_opt_next(&p)) >= 0) {
		switch (o) {
		case O_KUSTOMIZE:
			kdir = p.value;
			break;
		case O_ROOT:
			root = p.value;
			break;
		case O_FORMAT:
			format = p.value;
			break;
		case O_REV:
			rev = p.value;
			break;
		case O_UNIT:
			KV_GROW(units, capunits, nunits + 1);
			units[nunits++] = (char *)p.value;
			break;
		case O_HELP:
			print_help(stdout);
			free(p.pos);
			free(units);
			return KV_EXIT_OK;
		}
	}
	int code = KV_EXIT_USAGE;
	if (o == -2)
		fprintf(stderr, "kvet render: error: %s\n", p.err);
	else if (strcmp(format, "yaml") != 0 && strcmp(format, "json") != 0)
		fprintf(stderr, "kvet render: error: --format must be yaml or json, not %s\n", format);
	else if (kdir && (p.npos || rev || nunits))
		fprintf(stderr, "kvet render: error: --kustomize DIR takes no PATH, --rev or --unit\n");
	else if (!kdir && root)
		fprintf(stderr, "kvet render: error: --root goes with --kustomize DIR (PATH is the repository root)\n");
	else if (p.npos > 1)
		fprintf(stderr, "kvet render: error: give one repository PATH\n");
	else if (kdir)
		code = render_kustomize(kdir, root, strcmp(format, "json") == 0);
	else
		code = render_units(p.npos ? p.pos[0] : ".", p.npos > 0, rev, units, nunits, strcmp(format, "json") == 0);
	free(p.pos);
	free(units);
	return code;
}
