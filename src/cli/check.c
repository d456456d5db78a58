/* check.c: `kvet check`: options, configuration, schema locations, the run, the reports and
 * the exit code. */
#include "cli.h"
#include "opts.h"

#include "kvet/alloc.h"
#include "kvet/check.h"
#include "kvet/config.h"
#include "kvet/fileutil.h"
#include "kvet/location.h"
#include "kvet/pool.h"
#include "kvet/report.h"
#include "kvet/strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	O_REV, O_SCHEMA, O_K8S, O_OFFLINE, O_UNKNOWN, O_EXCLUDE, O_CONFIG, O_FORMAT, O_OUTPUT,
	O_FAIL_ON, O_COLOR, O_JOBS, O_QUIET, O_POLICY, O_NO_BUILTIN, O_NO_INLINE, O_HELP,
};

static const kv_opt opts[] = {
	[O_REV] = {"rev", 0, "REV", "check a git revision's tree (sha, branch, tag, HEAD~2)"},
	[O_SCHEMA] = {"schema-location", 's', "LOC", "where schemas come from; repeatable, in order"},
	[O_K8S] = {"kubernetes-version", 0, "VERSION", "the cached Kubernetes spec to use"},
	[O_OFFLINE] = {"offline", 0, NULL, "never download: URL locations must be cached"},
	[O_UNKNOWN] = {"allow-unknown-fields", 0, NULL, "fields no schema defines are no finding"},
	[O_EXCLUDE] = {"exclude", 'e', "GLOB", "skip matching paths; repeatable"},
	[O_CONFIG] = {"config", 'c', "FILE", "configuration (default: .kvet.yaml, see README)"},
	[O_FORMAT] = {"format", 'f', "FORMAT", "text (default), json or github; repeatable"},
	[O_OUTPUT] = {"output", 'o', "FILE", "where the preceding --format goes (default: stdout)"},
	[O_FAIL_ON] = {"fail-on", 0, "SEVERITY", "exit 1 from this severity up: error, warning, info"},
	[O_COLOR] = {"color", 0, "WHEN", "auto (default), always or never; NO_COLOR means never"},
	[O_JOBS] = {"jobs", 'j', "N", "files checked in parallel (default: the CPUs)"},
	[O_QUIET] = {"quiet", 'q', NULL, "no summary line"},
	[O_POLICY] = {"policy", 'p', "PATH", "policy file or folder to add; repeatable"},
	[O_NO_BUILTIN] = {"no-builtin-policies", 0, NULL, "leave out the built-in policy pack"},
	[O_NO_INLINE] = {"no-inline-ignores", 0, NULL, "refuse kvet:ignore comments and annotations"},
	[O_HELP] = {"help", 'h', NULL, "show this help"},
};

#define NOPTS (sizeof opts / sizeof opts[0])

static const char help_text[] =
	"usage: kvet check [options] [PATH...]\n"
	"\n"
	"Validates every manifest (*.yaml, *.yml, *.json) under each PATH (default: .) against\n"
	"Kubernetes schemas and the API server's own rules. `-` reads one YAML stream from stdin.\n"
	"With --rev, PATHs name folders or files inside the revision.\n"
	"\n"
	"options:\n";

static const char help_tail[] =
	"\n"
	"schema locations (--schema-location, or `schemas:` in .kvet.yaml; default: cache):\n"
	"  cache                the cached Kubernetes spec (kvet schemas pull) and imported documents\n"
	"  FILE                 an OpenAPI v2/v3 document (swagger.json, /openapi/v3/...) or CRDs\n"
	"  FOLDER               CRD manifests in it, and kubeconform-layout {kind}-{group}-{version}.json\n"
	"  TEMPLATE             a path or URL with {kind} {group} {version} (or {{ .ResourceKind }})\n"
	"  URL                  one document, downloaded once into the cache\n"
	"CRDs found among the checked files are always used, before any location.\n"
	"\n"
	"exit codes: 0 clean (or only findings below --fail-on), 1 findings at or above it,\n"
	"2 usage or configuration error, 3 internal or I/O error.\n";

typedef struct {
	kv_out_format format;
	const char *path;
} output;

typedef struct {
	const char *rev, *k8s, *config, *color;
	const char **schemas, **excludes, **policies;
	size_t nschemas, nexcludes, npolicies;
	output outs[16];
	size_t nouts;
	bool offline, allow_unknown, quiet, has_fail_on, no_builtin, no_inline;
	kv_severity fail_on;
	int jobs;
	char **paths;
	size_t npaths;
} options;

static int usage_error(const char *msg)
{
	fprintf(stderr, "kvet check: error: %s (kvet check --help)\n", msg);
	return KV_EXIT_USAGE;
}

static int add_output(options *o, kv_out_format f)
{
	if (o->nouts == sizeof o->outs / sizeof o->outs[0])
		return -1;
	o->outs[o->nouts++] = (output){f, "-"};
	return 0;
}

static int set_option(options *o, int id, const char *v)
{
	char msg[200];
	switch (id) {
	case O_REV: o->rev = v; break;
	case O_SCHEMA: o->schemas[o->nschemas++] = v; break;
	case O_K8S: o->k8s = v; break;
	case O_OFFLINE: o->offline = true; break;
	case O_UNKNOWN: o->allow_unknown = true; break;
	case O_EXCLUDE: o->excludes[o->nexcludes++] = v; break;
	case O_CONFIG: o->config = v; break;
	case O_FORMAT: {
		kv_out_format f;
		if (kv_out_format_parse(&f, v) < 0) {
			snprintf(msg, sizeof msg, "unknown format \"%s\" (text, json, github)", v);
			return usage_error(msg);
		}
		if (add_output(o, f) < 0)
			return usage_error("too many --format options");
		break;
	}
	case O_OUTPUT:
		if (!o->nouts)
			add_output(o, KV_OUT_TEXT);
		o->outs[o->nouts - 1].path = v;
		break;
	case O_FAIL_ON:
		if (kv_severity_parse(&o->fail_on, v) < 0 || o->fail_on == KV_SEV_OFF)
			return usage_error("--fail-on takes error, warning or info");
		o->has_fail_on = true;
		break;
	case O_COLOR:
		if (strcmp(v, "auto") && strcmp(v, "always") && strcmp(v, "never"))
			return usage_error("--color takes auto, always or never");
		o->color = v;
		break;
	case O_JOBS: {
		char *end;
		long n = strtol(v, &end, 10);
		if (*end || n < 1 || n > 256)
			return usage_error("--jobs takes a number from 1 to 256");
		o->jobs = (int)n;
		break;
	}
	case O_QUIET: o->quiet = true; break;
	case O_POLICY: o->policies[o->npolicies++] = v; break;
	case O_NO_BUILTIN: o->no_builtin = true; break;
	case O_NO_INLINE: o->no_inline = true; break;
	default: break;
	}
	return 0;
}

static int parse_options(options *o, int argc, char **argv, bool *help)
{
	kv_optparser p;
	kv_opt_init(&p, argc, argv, opts, NOPTS);
	o->schemas = kv_xcalloc((size_t)argc + 1, sizeof *o->schemas);
	o->excludes = kv_xcalloc((size_t)argc + 1, sizeof *o->excludes);
	o->policies = kv_xcalloc((size_t)argc + 1, sizeof *o->policies);
	int id, rc = 0;
	while (rc == 0 && (id = kv_opt_next(&p)) != -1) {
		if (id == -2)
			rc = usage_error(p.err);
		else if (id == O_HELP)
			*help = true;
		else
			rc = set_option(o, id, p.value);
	}
	o->paths = p.pos;
	o->npaths = p.npos;
	return rc;
}

static void print_help(void)
{
	kv_buf b = KV_BUF_INIT;
	kv_buf_puts(&b, help_text);
	kv_opt_help(&b, opts, NOPTS);
	kv_buf_puts(&b, help_tail);
	fputs(kv_buf_cstr(&b), stdout);
	kv_buf_free(&b);
}

static int open_source(const options *o, kv_source **src, kv_buf *err)
{
	bool use_stdin = o->npaths == 1 && strcmp(o->paths[0], "-") == 0;
	if (use_stdin && o->rev) {
		kv_buf_puts(err, "--rev and - (stdin) cannot be combined");
		return -1;
	}
	for (size_t i = 0; i < o->npaths && !use_stdin; i++) {
		if (strcmp(o->paths[i], "-") == 0) {
			kv_buf_puts(err, "- (stdin) must be the only PATH");
			return -1;
		}
	}
	if (use_stdin)
		return kv_source_stdin(src, err);
	if (o->rev)
		return kv_source_rev(src, o->npaths ? o->paths[0] : ".", o->rev,
				     (const char *const *)o->paths, o->npaths, err);
	return kv_source_worktree(src, (const char *const *)o->paths, o->npaths, err);
}

static int load_config(const options *o, kv_source *src, kv_config *cfg, kv_buf *err)
{
	char *data = NULL;
	size_t len = 0;
	const char *path = NULL;
	int rc;
	if (o->config) {
		kv_buf b = KV_BUF_INIT;
		rc = kv_file_read(o->config, 1 << 20, &b, err);
		if (rc == 1) {
			kv_buf_printf(err, "%s: larger than 1 MiB", o->config);
			rc = -1;
		}
		len = b.len;
		data = kv_buf_detach(&b);
		path = o->config;
	} else {
		rc = kv_source_config(src, &data, &len, &path, err);
	}
	if (rc == 0)
		rc = kv_config_parse(cfg, data, len, path, err);
	free(data);
	return rc < 0 ? -1 : 0;
}

static int build_schemas(const options *o, const kv_config *cfg, kv_source *src,
			 kv_schemaset *set, kv_buf *err)
{
	char *cache = kv_cli_cache_dir();
	kv_location_opts lo = {
		.cache_dir = cache,
		.kubernetes_version = o->k8s ? o->k8s : cfg->kubernetes_version,
		.offline = o->offline,
	};
	const char *const *locs = o->schemas;
	size_t n = o->nschemas;
	static const char *const fallback[] = {"cache"};
	if (!n && cfg->nschemas) {
		/* The configuration's relative paths are relative to its folder (or the revision). */
		locs = (const char *const *)cfg->schemas;
		n = cfg->nschemas;
		lo.base_dir = o->config ? NULL : kv_source_root(src);
		lo.rev = kv_source_is_rev(src) && !o->config ? src : NULL;
	} else if (!n) {
		locs = fallback;
		n = 1;
	}
	char *config_dir = NULL;
	if (o->config && locs == (const char *const *)cfg->schemas) {
		const char *slash = strrchr(o->config, '/');
		config_dir = slash ? kv_xstrndup(o->config, (size_t)(slash - o->config)) : NULL;
		lo.base_dir = config_dir;
	}
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = kv_location_add(set, locs[i], &lo, err);
	free(config_dir);
	free(cache);
	return rc;
}

/* The folder the configuration's relative paths start from: its own folder for --config,
 * else the repository root (or, with --rev, the revision). Caller frees. */
static char *config_dir(const options *o, kv_source *src)
{
	if (!o->config) {
		const char *root = kv_source_root(src);
		return root ? kv_xstrdup(root) : NULL;
	}
	const char *slash = strrchr(o->config, '/');
	return slash ? kv_xstrndup(o->config, (size_t)(slash - o->config)) : NULL;
}

static int build_policies(const options *o, const kv_config *cfg, kv_source *src, kv_policyset **out,
			  kv_buf *err)
{
	kv_policy_opts po = {
		.kubernetes_version = o->k8s ? o->k8s : cfg->kubernetes_version,
		.pod_security_version = cfg->pod_security_version,
		.budget = 0,
	};
	kv_policyset *ps = kv_policyset_new(&po);
	char *dir = config_dir(o, src);
	kv_cli_policy_src s = {
		.cfg = cfg,
		.config_dir = dir,
		.rev = kv_source_is_rev(src) && !o->config ? src : NULL,
		.paths = o->policies,
		.npaths = o->npolicies,
		.no_builtin = o->no_builtin,
	};
	int rc = kv_cli_load_policies(ps, &s, err);
	free(dir);
	/* Even without any loaded policy the set stays: the repository's own admission
	 * policies join it during the check. */
	if (rc != 0) {
		kv_policyset_free(ps);
		ps = NULL;
	}
	*out = ps;
	return rc;
}

static bool want_color(const options *o, const char *path)
{
	if (strcmp(path, "-") != 0)
		return false;
	const char *when = o->color ? o->color : "auto";
	if (strcmp(when, "always") == 0)
		return true;
	if (strcmp(when, "never") == 0 || getenv("NO_COLOR"))
		return false;
	const char *term = getenv("TERM");
	return isatty(STDOUT_FILENO) && !(term && strcmp(term, "dumb") == 0);
}

static int write_reports(options *o, kv_source *src, const kv_result *res)
{
	if (!o->nouts)
		add_output(o, KV_OUT_TEXT);
	for (size_t i = 0; i < o->nouts; i++) {
		kv_report_opts ro = {want_color(o, o->outs[i].path), !o->quiet, kv_source_describe(src)};
		kv_buf b = KV_BUF_INIT;
		kv_report(&b, o->outs[i].format, res, &ro);
		int rc = kv_cli_write(o->outs[i].path, kv_buf_cstr(&b), b.len);
		kv_buf_free(&b);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* A PATH's folder in one spelling ("a/./b/" is "a/b"; "" is the current folder); NULL when it
 * climbs above the current folder. */
static char *path_folder(const char *path)
{
	struct stat st;
	char *dir;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		dir = kv_xstrdup(path);
	} else {
		const char *slash = strrchr(path, '/');
		dir = slash ? kv_xstrndup(path, (size_t)(slash - path)) : kv_xstrdup(".");
	}
	bool abs = dir[0] == '/';
	char *n = kv_path_normalize(dir);
	free(dir);
	if (n && abs) {
		char *a = kv_xasprintf("/%s", n);
		free(n);
		n = a;
	}
	return n;
}

/* The folder rendering treats as the repository: the one every PATH lies in (work tree);
 * NULL for the project root (no PATH, or one above the current folder). Caller frees. */
static char *render_dir(const options *o)
{
	if (o->rev || !o->npaths)
		return NULL;
	char *common = path_folder(o->paths[0]);
	for (size_t i = 1; common && i < o->npaths; i++) {
		char *f = path_folder(o->paths[i]);
		if (!f) {
			free(common);
			common = NULL;
			break;
		}
		size_t n = 0, keep = 0;
		for (; common[n] && common[n] == f[n]; n++)
			if (common[n] == '/')
				keep = n;
		if (!common[n] && (!f[n] || f[n] == '/'))
			keep = n;
		if (keep == 0 && common[0] == '/')
			keep = 1; /* both absolute: "/" at least */
		common[keep] = '\0';
		free(f);
	}
	if (common && !*common) {
		free(common);
		common = kv_xstrdup(".");
	}
	return common;
}

static int exit_code(const kv_result *res, kv_severity fail_on)
{
	if (res->summary.io_error)
		return KV_EXIT_INTERNAL;
	for (int s = fail_on; s < KV_SEV_COUNT; s++)
		if (res->summary.findings[s])
			return KV_EXIT_FINDINGS;
	return KV_EXIT_OK;
}

static int run(options *o)
{
	kv_buf err = KV_BUF_INIT;
	kv_source *src = NULL;
	kv_schemaset *set = kv_schemaset_new();
	kv_config cfg;
	kv_config_init(&cfg);
	kv_result res = {0};
	kv_policyset *policies = NULL;
	int code = KV_EXIT_USAGE;
	if (open_source(o, &src, &err) < 0 || load_config(o, src, &cfg, &err) < 0 ||
	    build_schemas(o, &cfg, src, set, &err) < 0 || build_policies(o, &cfg, src, &policies, &err) < 0)
		goto done;
	const char **ex = kv_xcalloc(cfg.nexclude + o->nexcludes + 1, sizeof *ex);
	for (size_t i = 0; i < cfg.nexclude; i++)
		ex[i] = cfg.exclude[i];
	for (size_t i = 0; i < o->nexcludes; i++)
		ex[cfg.nexclude + i] = o->excludes[i];
	int rc = kv_source_scan(src, ex, cfg.nexclude + o->nexcludes, &err);
	free(ex);
	if (rc < 0)
		goto done;
	kv_exempt_rules exempt = {cfg.exemptions, cfg.nexemptions, !o->no_inline};
	kv_check_opts co = {
		.rules = &cfg.rules,
		.limits = cfg.limits,
		.vopts = {NULL, o->allow_unknown || cfg.strict == 0, cfg.validation_steps, cfg.regex_steps, 0},
		.jobs = o->jobs ? o->jobs : kv_cpu_count(),
		.policies = policies,
		.exempt = &exempt,
		.render_dir = NULL,
	};
	char *rdir = render_dir(o);
	co.render_dir = rdir;
	rc = kv_check_run(src, set, &co, &res);
	free(rdir);
	if (rc < 0) {
		code = KV_EXIT_INTERNAL;
		goto done;
	}
	code = write_reports(o, src, &res) < 0 ? KV_EXIT_INTERNAL
						: exit_code(&res, o->has_fail_on ? o->fail_on : cfg.fail_on);
done:
	if (err.len)
		kv_cli_error("kvet check", kv_buf_cstr(&err));
	kv_result_free(&res);
	kv_policyset_free(policies);
	kv_config_free(&cfg);
	kv_schemaset_free(set);
	kv_source_free(src);
	kv_buf_free(&err);
	return code;
}

int kv_cmd_check(int argc, char **argv)
{
	options o = {0};
	bool help = false;
	int code = parse_options(&o, argc, argv, &help);
	if (code == 0 && help)
		print_help();
	else if (code == 0)
		code = run(&o);
	free(o.schemas);
	free(o.excludes);
	free(o.policies);
	free(o.paths);
	return code;
}
