/* cli.h: the subcommands and what they share. Only the CLI reads the environment, prints
 * outside the report, or decides the exit code. */
#ifndef KVET_CLI_H
#define KVET_CLI_H

#include <stdbool.h>
#include <stddef.h>

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

/* $XDG_CACHE_HOME/kvet or $HOME/.cache/kvet; NULL when neither is set. Caller frees. */
char *kv_cli_cache_dir(void);
/* Prints "kvet: error: msg" (each line of a multi-line message prefixed) to stderr. */
void kv_cli_error(const char *prog, const char *msg);
/* Writes text to path ("-" is stdout); returns 0 or -1 after printing why. */
int kv_cli_write(const char *path, const char *text, size_t len);

#endif
