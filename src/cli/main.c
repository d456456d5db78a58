/* main.c: kvet's entry point: the subcommand dispatch and the top-level help. */
#include "cli.h"

#include "kvet/alloc.h"
#include "kvet/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: kvet <command> [options]\n"
	"\n"
	"Checks a GitOps config repository: every manifest against Kubernetes schemas and policies,\n"
	"with exact file:line:col locations.\n"
	"\n"
	"commands:\n"
	"  check [PATH...]      validate manifests of a work tree, a git revision (--rev), or stdin (-)\n"
	"  schemas import|pull|list\n"
	"                       manage the schema cache\n"
	"  render [PATH]        print what the repository's reconcilers apply, unit by unit (Flux,\n"
	"                       Argo CD, kustomization folders); --kustomize DIR: one folder's build\n"
	"  rules                list the rules, their ids and default severities\n"
	"  policy list|explain|test\n"
	"                       the policies: list them, explain one, run their test cases\n"
	"  cel parse|eval EXPR  print a policy-language expression's syntax tree, or evaluate it\n"
	"  version              print the version\n"
	"\n"
	"exit codes:\n"
	"  0  clean, or only findings below --fail-on\n"
	"  1  findings at or above --fail-on (default: error)\n"
	"  2  usage or configuration error\n"
	"  3  internal or I/O error (something could not be read)\n"
	"\n"
	"`kvet <command> --help` describes a command.\n";

char *kv_cli_cache_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	if (xdg && *xdg == '/')
		return kv_xasprintf("%s/kvet", xdg);
	const char *home = getenv("HOME");
	if (home && *home)
		return kv_xasprintf("%s/.cache/kvet", home);
	return NULL;
}

void kv_cli_error(const char *prog, const char *msg)
{
	const char *p = msg;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len >= 2 && p[0] == ' ' && p[1] == '|')
			fprintf(stderr, "%.*s\n", (int)len, p); /* a source line or its caret */
		else
			fprintf(stderr, "%s: error: %.*s\n", prog, (int)len, p);
		p += len + (nl ? 1 : 0);
	}
}

int kv_cli_write(const char *path, const char *text, size_t len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (!f) {
		fprintf(stderr, "kvet: error: %s: %s\n", path, strerror(errno));
		return -1;
	}
	bool ok = fwrite(text, 1, len, f) == len;
	ok = (f == stdout ? fflush(f) == 0 : fclose(f) == 0) && ok;
	if (!ok) {
		fprintf(stderr, "kvet: error: writing %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return KV_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "check") == 0)
		return kv_cmd_check(argc - 2, argv + 2);
	if (strcmp(cmd, "schemas") == 0)
		return kv_cmd_schemas(argc - 2, argv + 2);
	if (strcmp(cmd, "render") == 0)
		return kv_cmd_render(argc - 2, argv + 2);
	if (strcmp(cmd, "rules") == 0)
		return kv_cmd_rules(argc - 2, argv + 2);
	if (strcmp(cmd, "cel") == 0)
		return kv_cmd_cel(argc - 2, argv + 2);
	if (strcmp(cmd, "policy") == 0)
		return kv_cmd_policy(argc - 2, argv + 2);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("kvet %s\n", KV_VERSION);
		return KV_EXIT_OK;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		fputs(usage, stdout);
		return KV_EXIT_OK;
	}
	fprintf(stderr, "kvet: error: unknown command \"%s\"\n\n%s", cmd, usage);
	return KV_EXIT_USAGE;
}
