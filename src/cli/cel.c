/* cel.c: `kvet cel`, tools for policy authors: parse an expression and print its syntax tree. */
#include "cli.h"

#include "kvet/arena.h"
#include "kvet/cel.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: kvet cel parse EXPR\n"
	"\n"
	"  parse   print EXPR's syntax tree as an S-expression, or its syntax error with line:col\n"
	"\n"
	"exit codes: 0 parsed, 1 a syntax error in EXPR, 2 usage error\n";

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

int kv_cmd_cel(int argc, char **argv)
{
	if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
		fputs(usage, stdout);
		return KV_EXIT_OK;
	}
	if (argc == 2 && strcmp(argv[0], "parse") == 0)
		return parse(argv[1]);
	fputs(usage, stderr);
	return KV_EXIT_USAGE;
}
