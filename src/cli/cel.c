/* cel.c: `kvet cel`, tools for policy authors: parse an expression and print its syntax
 * tree, or evaluate it against objects from files and print the result as JSON. */
#include "cli.h"
#include "opts.h"

#include "kvet/alloc.h"
#include "kvet/arena.h"
#include "kvet/cel.h"
#include "kvet/celeval.h"
#include "kvet/diag.h"
#include "kvet/fileutil.h"
#include "kvet/policy.h"
#include "kvet/yaml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { O_OBJECT, O_VAR, O_BUDGET, O_HELP };

static const kv_opt opts[] = {
	[O_OBJECT] = {"object", 0, "FILE", "bind object (and self) to the first document of FILE (- for stdin)"},
	[O_VAR] = {"var", 0, "NAME=FILE", "bind NAME to the first document of FILE (repeatable)"},
	[O_BUDGET] = {"budget", 0, "STEPS", "the evaluation step budget (default 1000000)"},
	[O_HELP] = {"help", 'h', NULL, "show this help"},
};

#define NOPTS (sizeof opts / sizeof opts[0])

/* Names a policy expression may use; each is null unless bound. */
static const char *const known_vars[] = {
	"object", "oldObject", "self", "oldSelf", "request", "params", "namespaceObject", "variables",
	"podSpec",
};

static void print_help(FILE *to)
{
	kv_buf b = KV_BUF_INIT;
	kv_buf_puts(&b,
		    "usage: kvet cel parse EXPR\n"
		    "       kvet cel eval EXPR [--object FILE] [--var NAME=FILE]...\n"
		    "\n"
		    "Tools for writing policies in kvet's policy language (CEL).\n"
		    "\n"
		    "  parse   print EXPR's syntax tree as an S-expression, or its syntax error\n"
		    "  eval    evaluate EXPR and print the result as JSON; object, oldObject, self,\n"
		    "          oldSelf, request, params, namespaceObject and variables are null unless\n"
		    "          bound, podSpec is the pod spec of --object's workload, and --var declares\n"
		    "          any other name\n"
		    "\noptions (eval):\n");
	kv_opt_help(&b, opts, NOPTS);
	kv_buf_puts(&b, "\nexit codes: 0 parsed or evaluated, 1 a syntax, compile or evaluation error in EXPR,\n"
			"2 usage error, 3 a file cannot be read\n");
	fputs(kv_buf_cstr(&b), to);
	kv_buf_free(&b);
}

static int parse(const char *expr)
{
	kv_arena *arena = kv_arena_new();
	kv_cel_ast ast;
	kv_cel_error err;
	kv_buf out = KV_BUF_INIT;
	int code = KV_EXIT_OK;
	if (kv_cel_parse(&ast, expr, strlen(expr), NULL, arena, &err) == 0) {
		kv_cel_dump(&out, ast.root);
		kv_buf_putc(&out, '\n');
		fputs(kv_buf_cstr(&out), stdout);
	} else {
		kv_cel_error_render(&out, expr, strlen(expr), &err);
		fputs(kv_buf_cstr(&out), stderr);
		code = KV_EXIT_FINDINGS;
	}
	kv_buf_free(&out);
	kv_arena_free(arena);
	return code;
}

typedef struct {
	char *name;
	const char *path;
	kv_buf text; /* the file's bytes: the nodes' strings point into the arena, not here */
} binding;

/* Reads the first document of path into arena; NULL after printing why. */
static kv_node *load_first(const char *path, kv_arena *arena, kv_buf *text)
{
	kv_buf err = KV_BUF_INIT;
	int rc;
	if (strcmp(path, "-") == 0) {
		char chunk[8192];
		size_t n;
		while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0 && text->len < KV_LIMIT_FILE_SIZE_DEFAULT)
			kv_buf_add(text, chunk, n);
		rc = text->len >= KV_LIMIT_FILE_SIZE_DEFAULT ? 1 : 0;
	} else {
		rc = kv_file_read(path, KV_LIMIT_FILE_SIZE_DEFAULT, text, &err);
	}
	if (rc != 0) {
		fprintf(stderr, "kvet cel: error: %s: %s\n", path,
			rc > 0 ? "larger than 16 MiB" : kv_buf_cstr(&err));
		kv_buf_free(&err);
		return NULL;
	}
	kv_buf_free(&err);
	kv_diags diags;
	kv_diags_init(&diags, NULL, 0);
	kv_limits lim;
	kv_limits_default(&lim);
	kv_loader *l = kv_loader_new(text->data ? text->data : "", text->len, kv_syntax_for_path(path), &lim, &diags);
	kv_doc doc = {0};
	kv_node *root = NULL;
	while (!root && kv_loader_next(l, arena, &doc) == 1)
		root = doc.root;
	kv_loader_free(l);
	kv_finding *f;
	size_t n;
	kv_diags_take(&diags, &f, &n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s:%u:%u: %s\n", path, f[i].line, f[i].col, f[i].message);
	bool bad = n > 0;
	for (size_t i = 0; i < n; i++)
		kv_finding_free(&f[i]);
	free(f);
	kv_diags_free(&diags);
	if (!root || bad) {
		if (!root && !bad)
			fprintf(stderr, "kvet cel: error: %s holds no document\n", path);
		return NULL;
	}
	return root;
}

static int evaluate(const char *expr, binding *b, size_t nb, uint64_t budget)
{
	kv_cel_env *env = kv_cel_env_new(KV_CEL_LIB_ALL);
	kv_arena *arena = kv_arena_new();
	size_t nknown = sizeof known_vars / sizeof known_vars[0];
	kv_cel_val *vars = kv_xcalloc(nknown + nb, sizeof *vars);
	int code = KV_EXIT_OK;
	for (size_t i = 0; i < nknown; i++)
		vars[kv_cel_env_var(env, known_vars[i])] = kv_cel_null();
	for (size_t i = 0; i < nb; i++) {
		kv_node *root = load_first(b[i].path, arena, &b[i].text);
		if (!root) {
			code = KV_EXIT_INTERNAL;
			goto done;
		}
		vars[kv_cel_env_var(env, b[i].name)] = kv_cel_from_node(root);
		const char *kind = kv_str(kv_map_get(root, "kind"));
		const kv_node *pod = kind && strcmp(b[i].name, "object") == 0 ? kv_policy_pod_spec(root, kind) : NULL;
		if (pod)
			vars[kv_cel_env_var(env, "podSpec")] = kv_cel_from_node(pod);
	}
	kv_cel_prog *p;
	kv_cel_error err;
	kv_buf out = KV_BUF_INIT;
	if (kv_cel_compile(&p, env, expr, strlen(expr), &err) != 0) {
		kv_cel_error_render(&out, expr, strlen(expr), &err);
		fputs(kv_buf_cstr(&out), stderr);
		kv_buf_free(&out);
		code = KV_EXIT_FINDINGS;
		goto done;
	}
	kv_cel_run *r = kv_cel_run_new();
	kv_cel_run_budget(r, budget);
	kv_cel_val v = kv_cel_eval(r, p, vars, nknown + nb);
	if (v.type == KV_CEL_T_ERROR) {
		kv_cel_error e = {.pos = v.u.err->pos};
		kv_cel_position(expr, strlen(expr), e.pos, &e.line, &e.col);
		snprintf(e.msg, sizeof e.msg, "%s", v.u.err->msg);
		kv_cel_error_render(&out, expr, strlen(expr), &e);
		fputs(kv_buf_cstr(&out), stderr);
		code = KV_EXIT_FINDINGS;
	} else {
		kv_cel_val_json(&out, &v);
		kv_buf_putc(&out, '\n');
		fputs(kv_buf_cstr(&out), stdout);
	}
	kv_buf_free(&out);
	kv_cel_run_free(r);
	kv_cel_prog_free(p);
done:
	free(vars);
	kv_arena_free(arena);
	kv_cel_env_free(env);
	return code;
}

static bool valid_name(const char *s, size_t n)
{
	if (n == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static int add_binding(binding **b, size_t *n, size_t *cap, const char *name, size_t len, const char *path)
{
	if (!valid_name(name, len)) {
		fprintf(stderr, "kvet cel: error: --var takes NAME=FILE with NAME an identifier, not '%.*s'\n",
			(int)len, name);
		return -1;
	}
	KV_GROW(*b, *cap, *n + 1);
	(*b)[*n] = (binding){.name = kv_xstrndup(name, len), .path = path, .text = KV_BUF_INIT};
	(*n)++;
	return 0;
}

static int eval_command(int argc, char **argv)
{
	kv_optparser p;
	kv_opt_init(&p, argc, argv, opts, NOPTS);
	binding *b = NULL;
	size_t nb = 0, cap = 0;
	uint64_t budget = KV_CEL_BUDGET_DEFAULT;
	int id, code = KV_EXIT_USAGE;
	while ((id = kv_opt_next(&p)) != -1) {
		if (id == -2) {
			fprintf(stderr, "kvet cel: error: %s (kvet cel --help)\n", p.err);
			goto done;
		}
		if (id == O_HELP) {
			print_help(stdout);
			code = KV_EXIT_OK;
			goto done;
		}
		if (id == O_OBJECT) {
			if (add_binding(&b, &nb, &cap, "object", 6, p.value) || add_binding(&b, &nb, &cap, "self", 4, p.value))
				goto done;
		} else if (id == O_VAR) {
			const char *eq = strchr(p.value, '=');
			if (!eq) {
				fprintf(stderr, "kvet cel: error: --var takes NAME=FILE, not '%s'\n", p.value);
				goto done;
			}
			if (add_binding(&b, &nb, &cap, p.value, (size_t)(eq - p.value), eq + 1))
				goto done;
		} else if (id == O_BUDGET) {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(p.value, &end, 10);
			if (*end || errno || v == 0) {
				fprintf(stderr, "kvet cel: error: --budget takes a positive number of steps, not '%s'\n", p.value);
				goto done;
			}
			budget = v;
		}
	}
	if (p.npos != 1) {
		fprintf(stderr, "kvet cel: error: eval takes one expression (quote it)\n");
		goto done;
	}
	code = evaluate(p.pos[0], b, nb, budget);
done:
	for (size_t i = 0; i < nb; i++) {
		free(b[i].name);
		kv_buf_free(&b[i].text);
	}
	free(b);
	free(p.pos);
	return code;
}

int kv_cmd_cel(int argc, char **argv)
{
	if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
		print_help(stdout);
		return KV_EXIT_OK;
	}
	if (argc == 2 && strcmp(argv[0], "parse") == 0)
		return parse(argv[1]);
	if (argc >= 1 && strcmp(argv[0], "eval") == 0)
		return eval_command(argc - 1, argv + 1);
	print_help(stderr);
	return KV_EXIT_USAGE;
}
