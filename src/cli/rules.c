/* rules.c: `kvet rules`, the table of rule ids, default severities and what each finds. */
#include "cli.h"

#include "kvet/diag.h"

#include <stdio.h>
#include <string.h>

int kv_cmd_rules(int argc, char **argv)
{
	if (argc > 0 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
		puts("usage: kvet rules\n\nLists every rule: its id (for .kvet.yaml `rules:`), its default "
		     "severity, and what it finds.");
		return KV_EXIT_OK;
	}
	if (argc > 0) {
		fprintf(stderr, "kvet rules: error: unexpected argument \"%s\"\n", argv[0]);
		return KV_EXIT_USAGE;
	}
	for (int i = 0; i < KV_RULE_COUNT; i++)
		printf("%-30s %-8s %s\n", kv_rule_name((kv_rule)i),
		       kv_severity_name(kv_rule_default_severity((kv_rule)i)), kv_rule_doc((kv_rule)i));
	return KV_EXIT_OK;
}
