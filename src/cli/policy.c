/* policy.c: `kvet policy list|explain|test`, for policy authors: what the policies are, what
 * one does, and whether policies behave as their test cases say. */
#include "cli.h"
#include "opts.h"

#include "kvet/alloc.h"
#include "kvet/arena.h"
#include "kvet/fileutil.h"
#include "kvet/k8s.h"
#include "kvet/sort.h"
#include "kvet/strutil.h"
#include "kvet/yaml.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { O_POLICY, O_NO_BUILTIN, O_CONFIG, O_HELP };

static const kv_opt opts[] = {
	[O_POLICY] = {"policy", 'p', "PATH", "policy file or folder to add; repeatable"},
	[O_NO_BUILTIN] = {"no-builtin-policies", 0, NULL, "leave out the built-in policy pack"},
	[O_CONFIG] = {"config", 'c', "FILE", "configuration (default: .kvet.yaml if present)"},
	[O_HELP] = {"help", 'h', NULL, "show this help"},
};

#define NOPTS (sizeof opts / sizeof opts[0])

static void print_help(FILE *to)
{
	kv_buf b = KV_BUF_INIT;
	kv_buf_puts(&b,
		    "usage: kvet policy list [options]\n"
		    "       kvet policy explain ID [options]\n"
		    "       kvet policy test PATH... [options]\n"
		    "\n"
		    "  list      every policy: id, severity, where it comes from, what it checks\n"
		    "  explain   one policy in full: description, remediation, what it applies to, its\n"
		    "            variables and validations\n"
		    "  test      runs the PolicyTest cases in PATH (files or folders) against the\n"
		    "            policies in PATH, or the built-in ones they name\n"
		    "\noptions:\n");
	kv_opt_help(&b, opts, NOPTS);
	kv_buf_puts(&b, "\nexit codes: 0 fine, 1 a test case failed, 2 usage error or a bad policy or test,\n"
			"3 a file cannot be read\n");
	fputs(kv_buf_cstr(&b), to);
	kv_buf_free(&b);
}

typedef struct {
	const char **paths;
	size_t npaths;
	const char *config;
	bool no_builtin;
	char **pos;
	size_t npos;
} options;

static int usage(const char *msg)
{
	fprintf(stderr, "kvet policy: error: %s (kvet policy --help)\n", msg);
	return KV_EXIT_USAGE;
}

static int load_config(const char *path, kv_config *cfg, bool *have, kv_buf *err)
{
	kv_buf data = KV_BUF_INIT;
	const char *p = path ? path : ".kvet.yaml";
	int rc = kv_file_read(p, 1 << 20, &data, err);
	*have = rc == 0;
	if (rc != 0 && !path) {
		kv_buf_truncate(err, 0);
		rc = 0; /* no configuration in the current folder is fine */
	} else if (rc == 0) {
		rc = kv_config_parse(cfg, data.data ? data.data : "", data.len, p, err);
	} else if (rc > 0) {
		kv_buf_printf(err, "%s: larger than 1 MiB", p);
	}
	kv_buf_free(&data);
	return rc == 0 ? 0 : -1;
}

/* The policy set for list and explain: the pack, the configuration's and --policy's. */
static kv_policyset *build(const options *o, bool builtin, const char *const *extra, size_t nextra, kv_buf *err)
{
	kv_config cfg;
	kv_config_init(&cfg);
	bool have = false;
	kv_policyset *ps = NULL;
	if (load_config(o->config, &cfg, &have, err) < 0)
		goto done;
	kv_policy_opts po = {cfg.kubernetes_version, cfg.pod_security_version, 0};
	ps = kv_policyset_new(&po);
	const char **paths = kv_xcalloc(o->npaths + nextra + 1, sizeof *paths);
	memcpy(paths, o->paths, sizeof *paths * o->npaths);
	if (nextra)
		memcpy(paths + o->npaths, extra, sizeof *paths * nextra);
	char *dir = NULL;
	if (o->config && strrchr(o->config, '/'))
		dir = kv_xstrndup(o->config, (size_t)(strrchr(o->config, '/') - o->config));
	kv_cli_policy_src s = {have ? &cfg : NULL, dir, NULL, paths, o->npaths + nextra, !builtin};
	int rc = kv_cli_load_policies(ps, &s, err);
	free(dir);
	free(paths);
	if (rc != 0) {
		kv_policyset_free(ps);
		ps = NULL;
	}
done:
	kv_config_free(&cfg);
	return ps;
}

static int list(const options *o)
{
	kv_buf err = KV_BUF_INIT;
	kv_policyset *ps = build(o, !o->no_builtin, NULL, 0, &err);
	if (!ps) {
		fputs(kv_buf_cstr(&err), stderr);
		kv_buf_free(&err);
		return KV_EXIT_USAGE;
	}
	for (size_t i = 0; i < kv_policyset_count(ps); i++) {
		kv_policy_info in;
		kv_policy_describe(kv_policyset_at(ps, i), &in);
		const char *d = in.description ? in.description : "";
		const char *stop = strstr(d, ". ");
		printf("%-36s %-8s %.*s%s\n", in.id, kv_severity_name(in.severity),
		       stop ? (int)(stop - d + 1) : (int)strlen(d), d, in.builtin ? "" : "");
	}
	kv_policyset_free(ps);
	kv_buf_free(&err);
	return KV_EXIT_OK;
}

static int explain(const options *o, const char *id)
{
	kv_buf err = KV_BUF_INIT, out = KV_BUF_INIT;
	kv_policyset *ps = build(o, !o->no_builtin, NULL, 0, &err);
	int code = KV_EXIT_OK;
	if (!ps) {
		fputs(kv_buf_cstr(&err), stderr);
		code = KV_EXIT_USAGE;
	} else if (!kv_policyset_find(ps, id)) {
		fprintf(stderr, "kvet policy: error: no policy '%s' (kvet policy list)\n", id);
		code = KV_EXIT_USAGE;
	} else {
		kv_policy_explain(kv_policyset_find(ps, id), &out);
		fputs(kv_buf_cstr(&out), stdout);
	}
	kv_policyset_free(ps);
	kv_buf_free(&err);
	kv_buf_free(&out);
	return code;
}

/* ---- test ---- */

typedef struct {
	unsigned passed, failed;
	kv_buf err;  /* problems with the test files themselves */
	kv_policyset *ps, *pack;
	kv_policy_runner *runner, *pack_runner;
} tester;

typedef enum { EXPECT_PASS, EXPECT_FAIL, EXPECT_SKIP, EXPECT_ERROR } expectation;

static const char *const expect_names[] = {"pass", "fail", "skip", "error"};

static bool parse_expect(const kv_node *n, expectation *out)
{
	for (int i = 0; i < 4; i++)
		if (kv_str_eq(n, expect_names[i])) {
			*out = (expectation)i;
			return true;
		}
	return false;
}

/* What the policy did with the object. */
static expectation outcome(tester *t, const kv_policy *p, kv_policy_runner *r, const kv_node *obj,
			   kv_diags *d, bool *bad_type)
{
	char group[256], version[256];
	const char *av = kv_str(kv_map_get(obj, "apiVersion")), *kind = kv_str(kv_map_get(obj, "kind"));
	*bad_type = !av || !kind || kv_k8s_split_api_version(av, group, version, sizeof group) < 0;
	if (*bad_type)
		return EXPECT_ERROR;
	kv_objtype type = {group, version, kind, 0};
	bool matched;
	size_t violations = kv_policy_check_one(r, p, obj, &type, d, &matched);
	(void)t;
	if (!matched)
		return EXPECT_SKIP;
	for (size_t i = 0; i < d->n; i++)
		if (d->items[i].rule == KV_RULE_POLICY_ERROR || d->items[i].rule == KV_RULE_POLICY_CLUSTER)
			return EXPECT_ERROR;
	return violations ? EXPECT_FAIL : EXPECT_PASS;
}

static void run_case(tester *t, const char *path, const kv_node *c, const kv_policy *p, kv_policy_runner *r)
{
	const kv_node *name = kv_map_get(c, "name"), *obj = kv_map_get(c, "object");
	const kv_node *ex = kv_map_get(c, "expect"), *msg = kv_map_get(c, "message");
	const kv_node *field = kv_map_get(c, "field");
	expectation want;
	if (!name || !kv_str(name) || !obj || obj->type != KV_MAP || !ex || !parse_expect(ex, &want)) {
		kv_buf_printf(&t->err, "%s:%u:%u: a case needs a name, an object (a map) and expect: pass, fail, skip or error\n",
			      path, c->line, c->col);
		return;
	}
	kv_diags d;
	kv_diags_init(&d, NULL, 0);
	bool bad_type;
	kv_policy_runner_versions(r, kv_str(kv_map_get(c, "kubernetesVersion")),
				  kv_str(kv_map_get(c, "podSecurityVersion")));
	expectation got = outcome(t, p, r, obj, &d, &bad_type);
	kv_policy_runner_versions(r, NULL, NULL);
	kv_buf why = KV_BUF_INIT;
	if (bad_type)
		kv_buf_puts(&why, "the object needs apiVersion and kind");
	else if (got != want)
		kv_buf_printf(&why, "want %s, got %s", expect_names[want], expect_names[got]);
	for (size_t i = 0; !why.len && msg && i < d.n + 1; i++) {
		if (i == d.n)
			kv_buf_printf(&why, "no finding's message contains \"%s\"", kv_str(msg) ? kv_str(msg) : "?");
		else if (kv_str(msg) && strstr(d.items[i].message, kv_str(msg)))
			break;
	}
	for (size_t i = 0; !why.len && field && i < d.n + 1; i++) {
		if (i == d.n)
			kv_buf_printf(&why, "no finding is at field %s", kv_str(field) ? kv_str(field) : "?");
		else if (kv_str(field) && d.items[i].field && strcmp(d.items[i].field, kv_str(field)) == 0)
			break;
	}
	if (why.len) {
		kv_policy_info in;
		kv_policy_describe(p, &in);
		t->failed++;
		printf("FAIL %s: %s (%s:%u)\n     %s\n", in.id, kv_str(name), path, c->line, kv_buf_cstr(&why));
		for (size_t i = 0; i < d.n; i++)
			printf("     finding: %s [%s]%s%s\n", d.items[i].message, kv_finding_rule(&d.items[i]),
			       d.items[i].field ? " at " : "", d.items[i].field ? d.items[i].field : "");
	} else {
		t->passed++;
	}
	kv_buf_free(&why);
	kv_diags_free(&d);
}

/* The policy a test names, from the tested paths or else the built-in pack. */
static const kv_policy *policy_for(tester *t, const char *id, kv_policy_runner **r)
{
	const kv_policy *p = kv_policyset_find(t->ps, id);
	*r = t->runner;
	if (!p && t->pack) {
		p = kv_policyset_find(t->pack, id);
		*r = t->pack_runner;
	}
	return p;
}

static void run_test_doc(tester *t, const char *path, const kv_node *doc)
{
	const char *id = kv_str(kv_map_get(kv_map_get(doc, "metadata"), "name"));
	const kv_node *cases = kv_map_get(kv_map_get(doc, "spec"), "cases");
	if (!id || !cases || cases->type != KV_LIST) {
		kv_buf_printf(&t->err, "%s:%u:%u: a PolicyTest needs metadata.name (the policy id) and spec.cases (a list)\n",
			      path, doc->line, doc->col);
		return;
	}
	kv_policy_runner *r;
	const kv_policy *p = policy_for(t, id, &r);
	if (!p) {
		kv_buf_printf(&t->err, "%s:%u:%u: no policy '%s' to test\n", path, doc->line, doc->col, id);
		return;
	}
	for (uint32_t i = 0; i < cases->len; i++)
		run_case(t, path, cases->u.items[i], p, r);
}

static void run_test_file(tester *t, const char *path)
{
	kv_buf data = KV_BUF_INIT, e = KV_BUF_INIT;
	if (kv_file_read(path, 4u << 20, &data, &e) != 0) {
		kv_buf_printf(&t->err, "%s: %s\n", path, e.len ? kv_buf_cstr(&e) : "larger than 4 MiB");
		goto done;
	}
	kv_diags d;
	kv_diags_init(&d, NULL, 0);
	kv_limits lim;
	kv_limits_default(&lim);
	kv_loader *l = kv_loader_new(data.data ? data.data : "", data.len, kv_syntax_for_path(path), &lim, &d);
	kv_arena *a = kv_arena_new();
	kv_doc doc;
	while (kv_loader_next(l, a, &doc) == 1)
		if (doc.root && kv_str_eq(kv_map_get(doc.root, "kind"), "PolicyTest"))
			run_test_doc(t, path, doc.root);
	for (size_t i = 0; i < d.n; i++)
		kv_buf_printf(&t->err, "%s:%u:%u: %s\n", path, d.items[i].line, d.items[i].col, d.items[i].message);
	kv_loader_free(l);
	kv_arena_free(a);
	kv_diags_free(&d);
done:
	kv_buf_free(&data);
	kv_buf_free(&e);
}

static int test(const options *o)
{
	tester t = {.err = KV_BUF_INIT};
	kv_buf err = KV_BUF_INIT;
	int code = KV_EXIT_USAGE;
	/* The tested paths' own policies; the pack, apart, for tests of built-in policies. */
	options only = *o;
	t.ps = build(&only, false, (const char *const *)o->pos, o->npos, &err);
	if (!t.ps)
		goto done;
	if (!o->no_builtin) {
		kv_policy_opts po = {NULL, NULL, 0};
		t.pack = kv_policyset_new(&po);
		if (kv_policyset_add_builtin(t.pack, &err) != 0)
			goto done;
		t.pack_runner = kv_policy_runner_new(t.pack);
	}
	t.runner = kv_policy_runner_new(t.ps);
	char **files = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < o->npos; i++) {
		struct stat st;
		if (stat(o->pos[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			kv_cli_yaml_files(o->pos[i], &files, &n);
			cap = n;
		} else {
			KV_GROW(files, cap, n + 1);
			files[n++] = kv_xstrdup(o->pos[i]);
		}
	}
	for (size_t i = 0; i < n; i++) {
		run_test_file(&t, files[i]);
		free(files[i]);
	}
	free(files);
	printf("kvet policy test: %u passed, %u failed\n", t.passed, t.failed);
	code = t.err.len ? KV_EXIT_USAGE : t.failed ? KV_EXIT_FINDINGS : KV_EXIT_OK;
	if (!t.passed && !t.failed && !t.err.len)
		kv_buf_puts(&t.err, "no PolicyTest cases found\n");
	if (!t.passed && !t.failed)
		code = KV_EXIT_USAGE;
done:
	fputs(kv_buf_cstr(&err), stderr);
	fputs(kv_buf_cstr(&t.err), stderr);
	kv_policy_runner_free(t.runner);
	kv_policy_runner_free(t.pack_runner);
	kv_policyset_free(t.ps);
	kv_policyset_free(t.pack);
	kv_buf_free(&t.err);
	kv_buf_free(&err);
	return code;
}

int kv_cmd_policy(int argc, char **argv)
{
	if (argc < 1) {
		print_help(stderr);
		return KV_EXIT_USAGE;
	}
	if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
		print_help(stdout);
		return KV_EXIT_OK;
	}
	const char *sub = argv[0];
	options o = {0};
	o.paths = kv_xcalloc((size_t)argc + 1, sizeof *o.paths);
	kv_optparser p;
	kv_opt_init(&p, argc - 1, argv + 1, opts, NOPTS);
	int id, code = KV_EXIT_USAGE;
	while ((id = kv_opt_next(&p)) != -1) {
		if (id == -2) {
			code = usage(p.err);
			goto done;
		}
		if (id == O_HELP) {
			print_help(stdout);
			code = KV_EXIT_OK;
			goto done;
		}
		if (id == O_POLICY)
			o.paths[o.npaths++] = p.value;
		else if (id == O_NO_BUILTIN)
			o.no_builtin = true;
		else if (id == O_CONFIG)
			o.config = p.value;
	}
	o.pos = p.pos;
	o.npos = p.npos;
	if (strcmp(sub, "list") == 0 && !o.npos)
		code = list(&o);
	else if (strcmp(sub, "explain") == 0 && o.npos == 1)
		code = explain(&o, o.pos[0]);
	else if (strcmp(sub, "test") == 0 && o.npos >= 1)
		code = test(&o);
	else
		code = usage("expected list, explain ID or test PATH...");
done:
	free(o.paths);
	free(p.pos);
	return code;
}
