/* opts.h: command-line options from a static table per subcommand: --name VALUE,
 * --name=VALUE, -x VALUE, -xVALUE, grouped flags (-qv), `--` to end options; a lone `-` is a
 * positional argument (standard input). */
#ifndef KVET_CLI_OPTS_H
#define KVET_CLI_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "kvet/buf.h"

typedef struct {
	const char *name;  /* long name, without "--" */
	char short_name;   /* 0 when none */
	const char *arg;   /* metavariable when the option takes a value, else NULL */
	const char *help;
} kv_opt;

typedef struct {
	int argc;
	char **argv;
	int i;
	const char *cluster; /* rest of a group of short flags */
	const kv_opt *opts;
	size_t nopts;
	const char *value;   /* the current option's value */
	char **pos;          /* positional arguments, in order (caller frees the array) */
	size_t npos;
	bool ended;
	char err[256];
} kv_optparser;

void kv_opt_init(kv_optparser *p, int argc, char **argv, const kv_opt *opts, size_t nopts);
/* The index in opts of the next option; -1 when all arguments are read; -2 on an error,
 * described in p->err. */
int kv_opt_next(kv_optparser *p);
/* The options' help block, aligned. */
void kv_opt_help(kv_buf *b, const kv_opt *opts, size_t n);

#endif
