/* schemas.c: `kvet schemas import|pull|list`, the schema cache. */
#include "cli.h"
#include "opts.h"

#include "kvet/alloc.h"
#include "kvet/config.h"
#include "kvet/fileutil.h"
#include "kvet/location.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { O_K8S, O_URL, O_OFFLINE, O_HELP };

static const kv_opt opts[] = {
	[O_K8S] = {"kubernetes-version", 0, "VERSION", "the release (pull; import of a spec without one)"},
	[O_URL] = {"url-template", 0, "URL", "where pull downloads from; {version} is replaced"},
	[O_OFFLINE] = {"offline", 0, NULL, "refuse to download (pull fails)"},
	[O_HELP] = {"help", 'h', NULL, "show this help"},
};

#define NOPTS (sizeof opts / sizeof opts[0])

static void print_help(void)
{
	kv_buf b = KV_BUF_INIT;
	kv_buf_puts(&b,
		    "usage: kvet schemas import [--kubernetes-version V] FILE...\n"
		    "       kvet schemas pull [--kubernetes-version V] [--url-template URL]\n"
		    "       kvet schemas list\n"
		    "\n"
		    "The schema cache ($XDG_CACHE_HOME/kvet, else ~/.cache/kvet) holds Kubernetes specs by\n"
		    "release, compiled for fast loading, and imported documents (CRDs, OpenAPI v3 group\n"
		    "documents). `kvet check` uses the newest cached spec unless told otherwise.\n"
		    "\n"
		    "  import   add documents: a Kubernetes swagger.json (or a cluster's /openapi/v2) goes\n"
		    "           under its release; CRDs and other OpenAPI documents are used by every check\n"
		    "  pull     download a release's api/openapi-spec/swagger.json (default release: the\n"
		    "           config's kubernetesVersion, else " KV_K8S_VERSION_DEFAULT ")\n"
		    "  list     show what the cache holds\n"
		    "\noptions:\n");
	kv_opt_help(&b, opts, NOPTS);
	kv_buf_printf(&b, "\nThe default URL template is %s;\n.kvet.yaml's schemaURL overrides it.\n",
		      KV_SCHEMA_URL_DEFAULT);
	fputs(kv_buf_cstr(&b), stdout);
	kv_buf_free(&b);
}

/* The project's .kvet.yaml in the current folder, for pull's defaults; absent is fine. */
static void read_config(kv_config *cfg)
{
	kv_buf data = KV_BUF_INIT, err = KV_BUF_INIT;
	if (kv_file_read(".kvet.yaml", 1 << 20, &data, &err) == 0 &&
	    kv_config_parse(cfg, kv_buf_cstr(&data), data.len, ".kvet.yaml", &err) < 0)
		kv_cli_error("kvet schemas", kv_buf_cstr(&err));
	kv_buf_free(&data);
	kv_buf_free(&err);
}

static int run(const char *sub, char **args, size_t nargs, const char *version, const char *url,
	       bool offline)
{
	char *cache = kv_cli_cache_dir();
	if (!cache) {
		fprintf(stderr, "kvet schemas: error: no cache folder: set XDG_CACHE_HOME or HOME\n");
		return KV_EXIT_USAGE;
	}
	kv_buf log = KV_BUF_INIT, err = KV_BUF_INIT;
	int rc, code = KV_EXIT_OK;
	if (strcmp(sub, "list") == 0) {
		rc = kv_cache_list(cache, &log, &err);
	} else if (strcmp(sub, "import") == 0) {
		rc = kv_cache_import(cache, (const char *const *)args, nargs, version, &log, &err);
	} else {
		kv_config cfg;
		kv_config_init(&cfg);
		read_config(&cfg);
		const char *v = version ? version : cfg.kubernetes_version ? cfg.kubernetes_version
									   : KV_K8S_VERSION_DEFAULT;
		const char *t = url ? url : cfg.schema_url ? cfg.schema_url : KV_SCHEMA_URL_DEFAULT;
		if (offline) {
			kv_buf_puts(&err, "pull downloads, and --offline forbids it");
			rc = -1;
		} else {
			rc = kv_cache_pull(cache, v, t, &log, &err);
		}
		kv_config_free(&cfg);
	}
	fputs(kv_buf_cstr(&log), stdout);
	if (rc < 0) {
		kv_cli_error("kvet schemas", kv_buf_cstr(&err));
		code = offline ? KV_EXIT_USAGE : KV_EXIT_INTERNAL;
	}
	kv_buf_free(&log);
	kv_buf_free(&err);
	free(cache);
	return code;
}

int kv_cmd_schemas(int argc, char **argv)
{
	kv_optparser p;
	kv_opt_init(&p, argc, argv, opts, NOPTS);
	const char *version = NULL, *url = NULL;
	bool offline = false, help = false;
	int id, code = KV_EXIT_OK;
	while ((id = kv_opt_next(&p)) != -1) {
		if (id == -2) {
			fprintf(stderr, "kvet schemas: error: %s (kvet schemas --help)\n", p.err);
			free(p.pos);
			return KV_EXIT_USAGE;
		}
		if (id == O_K8S)
			version = p.value;
		else if (id == O_URL)
			url = p.value;
		else if (id == O_OFFLINE)
			offline = true;
		else
			help = true;
	}
	const char *sub = p.npos ? p.pos[0] : NULL;
	if (help) {
		print_help();
	} else if (!sub || (strcmp(sub, "import") && strcmp(sub, "pull") && strcmp(sub, "list"))) {
		fprintf(stderr, "kvet schemas: error: %s (import, pull or list)\n",
			sub ? "unknown subcommand" : "missing subcommand");
		code = KV_EXIT_USAGE;
	} else if (strcmp(sub, "import") == 0 && p.npos < 2) {
		fprintf(stderr, "kvet schemas import: error: name the files to import\n");
		code = KV_EXIT_USAGE;
	} else if (strcmp(sub, "import") != 0 && p.npos > 1) {
		fprintf(stderr, "kvet schemas %s: error: unexpected argument \"%s\"\n", sub, p.pos[1]);
		code = KV_EXIT_USAGE;
	} else {
		code = run(sub, p.pos + 1, p.npos - 1, version, url, offline);
	}
	free(p.pos);
	return code;
}
