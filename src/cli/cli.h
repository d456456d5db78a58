/* cli.h: the subcommands and what they share. Only the CLI reads the environment, prints
 * outside the report, or decides the exit code. */
#ifndef KVET_CLI_H
#define KVET_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "kvet/buf.h"
#include "kvet/config.h"
#include "kvet/policy.h"
#include "kvet/source.h"

/* Exit codes (README.md, kvet --help). */
enum {
	KV_EXIT_OK = 0,       /* clean, or only findings below --fail-on */
	KV_EXIT_FINDINGS = 1, /* findings at or above --fail-on */
	KV_EXIT_USAGE = 2,    /* usage or configuration error */
	KV_EXIT_INTERNAL = 3, /* internal or I/O error */
};

#define KV_VERSION "0.1.0"

int kv_cmd_check(int argc, char **argv);
int kv_cmd_schemas(int argc, char **argv);
int kv_cmd_rules(int argc, char **argv);
int kv_cmd_cel(int argc, char **argv);
int kv_cmd_policy(int argc, char **argv);
int kv_cmd_render(int argc, char **argv);

/* Where a command's policies come from. */
typedef struct {
	const kv_config *cfg;      /* its policies, builtinPolicies and rules; may be NULL */
	const char *config_dir;    /* what the config's relative paths are relative to; NULL: . */
	kv_source *rev;            /* read the config's policies from this revision; NULL: work tree */
	const char *const *paths;  /* --policy files and folders (work tree) */
	size_t npaths;
	bool no_builtin;           /* --no-builtin-policies */
} kv_cli_policy_src;

/* Appends every *.yaml and *.yml file below dir in the work tree (hidden entries skipped,
 * sorted) to *out (a malloc'd array of n malloc'd paths, both the caller's to free). */
void kv_cli_yaml_files(const char *dir, char ***out, size_t *n);

/* Fills ps; returns 0, or -1 with every problem (path:line:col, caret) in err. */
int kv_cli_load_policies(kv_policyset *ps, const kv_cli_policy_src *s, kv_buf *err);

/* $XDG_CACHE_HOME/kvet or $HOME/.cache/kvet; NULL when neither is set. Caller frees. */
char *kv_cli_cache_dir(void);
/* Prints "kvet: error: msg" (each line of a multi-line message prefixed) to stderr. */
void kv_cli_error(const char *prog, const char *msg);
/* Writes text to path ("-" is stdout); returns 0 or -1 after printing why. */
int kv_cli_write(const char *path, const char *text, size_t len);

#endif
