/* opts.c: the option parser. */
#include "opts.h"

#include "kvet/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kv_opt_init(kv_optparser *p, int argc, char **argv, const kv_opt *opts, size_t nopts)
{
	memset(p, 0, sizeof *p);
	p->argc = argc;
	p->argv = argv;
	p->opts = opts;
	p->nopts = nopts;
	p->pos = kv_xcalloc((size_t)argc + 1, sizeof *p->pos);
}

static int find_long(kv_optparser *p, const char *name, size_t len)
{
	for (size_t i = 0; i < p->nopts; i++)
		if (strlen(p->opts[i].name) == len && strncmp(p->opts[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

static int find_short(kv_optparser *p, char c)
{
	for (size_t i = 0; i < p->nopts; i++)
		if (p->opts[i].short_name == c)
			return (int)i;
	return -1;
}

static int take_value(kv_optparser *p, int idx, const char *inline_value, const char *shown)
{
	if (!p->opts[idx].arg) {
		if (inline_value) {
			snprintf(p->err, sizeof p->err, "option %s takes no value", shown);
			return -2;
		}
		p->value = NULL;
		return idx;
	}
	if (inline_value) {
		p->value = inline_value;
		return idx;
	}
	if (p->i >= p->argc) {
		snprintf(p->err, sizeof p->err, "option %s needs a value (%s)", shown, p->opts[idx].arg);
		return -2;
	}
	p->value = p->argv[p->i++];
	return idx;
}

static int short_option(kv_optparser *p)
{
	char c = *p->cluster++;
	char shown[3] = {'-', c, 0};
	int idx = find_short(p, c);
	if (idx < 0) {
		snprintf(p->err, sizeof p->err, "unknown option -%c", c);
		return -2;
	}
	if (p->opts[idx].arg && *p->cluster) {
		const char *v = p->cluster;
		p->cluster = NULL;
		return take_value(p, idx, v, shown);
	}
	if (!*p->cluster)
		p->cluster = NULL;
	return take_value(p, idx, NULL, shown);
}

int kv_opt_next(kv_optparser *p)
{
	if (p->cluster)
		return short_option(p);
	while (p->i < p->argc) {
		char *a = p->argv[p->i++];
		if (p->ended || a[0] != '-' || a[1] == '\0') {
			p->pos[p->npos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			p->ended = true;
			continue;
		}
		if (a[1] != '-') {
			p->cluster = a + 1;
			return short_option(p);
		}
		const char *name = a + 2, *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		int idx = find_long(p, name, len);
		if (idx < 0) {
			snprintf(p->err, sizeof p->err, "unknown option --%.*s", (int)len, name);
			return -2;
		}
		char shown[80];
		snprintf(shown, sizeof shown, "--%s", p->opts[idx].name);
		return take_value(p, idx, eq ? eq + 1 : NULL, shown);
	}
	return -1;
}

static int left_column(const kv_opt *o, char *buf, size_t n)
{
	const char *arg = o->arg ? o->arg : "";
	if (o->short_name)
		return snprintf(buf, n, "-%c, --%s%s%s", o->short_name, o->name, *arg ? " " : "", arg);
	return snprintf(buf, n, "    --%s%s%s", o->name, *arg ? " " : "", arg);
}

void kv_opt_help(kv_buf *b, const kv_opt *opts, size_t n)
{
	int width = 0;
	char left[80];
	for (size_t i = 0; i < n; i++) {
		int len = left_column(&opts[i], left, sizeof left);
		if (len > width)
			width = len;
	}
	for (size_t i = 0; i < n; i++) {
		int len = left_column(&opts[i], left, sizeof left);
		kv_buf_printf(b, "  %s%*s  %s\n", left, width - len, "", opts[i].help);
	}
}
