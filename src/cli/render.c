/* render.c: `kvet render`: what a reconciler would apply, printed as `kustomize build`
 * prints it. `--kustomize DIR` builds one kustomization folder exactly as `kustomize build
 * DIR` does (the compatibility test compares the two). Problems go to stderr as findings. */
#include "cli.h"
#include "opts.h"

#include "kvet/alloc.h"
#include "kvet/render.h"
#include "kvet/strutil.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { O_KUSTOMIZE, O_ROOT, O_FORMAT, O_HELP };

static const kv_opt opts[] = {
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
	kv_buf_puts(&b, "usage: kvet render --kustomize DIR [--root DIR] [--format yaml|json]\n"
			"\n"
			"Prints the objects a kustomization folder builds, as `kustomize build DIR` prints\n"
			"them: keys sorted, objects in kustomize's order, \"---\" between them. Problems\n"
			"(a missing file, a cycle, what kvet cannot render) are printed to stderr with\n"
			"their file:line:col.\n"
			"\noptions:\n");
	kv_opt_help(&b, opts, NOPTS);
	kv_buf_puts(&b, "\nexit codes: 0 rendered, 1 rendered with errors (the output is incomplete),\n"
			"2 usage error, 3 the folder cannot be read\n");
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

static int render_kustomize(const char *dir, const char *root_opt, bool json)
{
	char *root, *rel;
	if (place(dir, root_opt, &root, &rel) != 0)
		return KV_EXIT_INTERNAL;
	kv_render_opts o = {.root = root};
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

int kv_cmd_render(int argc, char **argv)
{
	kv_optparser p;
	kv_opt_init(&p, argc, argv, opts, NOPTS);
	const char *kdir = NULL, *root = NULL, *format = "yaml";
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
		case O_HELP:
			print_help(stdout);
			free(p.pos);
			return KV_EXIT_OK;
		}
	}
	int code = KV_EXIT_USAGE;
	if (o == -2)
		fprintf(stderr, "kvet render: error: %s\n", p.err);
	else if (strcmp(format, "yaml") != 0 && strcmp(format, "json") != 0)
		fprintf(stderr, "kvet render: error: --format must be yaml or json, not %s\n", format);
	else if (!kdir || p.npos)
		fprintf(stderr, "kvet render: error: give the folder to build with --kustomize DIR\n");
	else
		code = render_kustomize(kdir, root, strcmp(format, "json") == 0);
	if (code == KV_EXIT_USAGE && o != -2 && (!kdir || p.npos))
		print_help(stderr);
	free(p.pos);
	return code;
}
