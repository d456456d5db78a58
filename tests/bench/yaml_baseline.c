/* The benchmark's yardstick: a plain libyaml event parse of the same files kvet checks, each event
 * discarded, so kvet's CPU time can be quoted as a multiple of the parse it cannot avoid. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static const char usage[] =
	"usage: yaml_baseline FILE...\n"
	"       yaml_baseline -l LIST    (LIST names one file a line)\n"
	"Parses each file with libyaml, events only, and prints: files N events N bytes N errors N\n";

typedef struct {
	unsigned char *data;
	size_t len, cap;
	unsigned long long files, events, bytes, errors;
} run;

/* The whole file into r->data, as kvet reads it; 0 ok, -1 unreadable. */
static int slurp(run *r, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	r->len = 0;
	for (;;) {
		if (r->cap - r->len < 65536) {
			r->cap = r->cap ? r->cap * 2 : 1 << 20;
			r->data = realloc(r->data, r->cap);
			if (!r->data) {
				fputs("yaml_baseline: out of memory\n", stderr);
				exit(3);
			}
		}
		size_t n = fread(r->data + r->len, 1, r->cap - r->len, f);
		r->len += n;
		if (n == 0)
			break;
	}
	int bad = ferror(f);
	fclose(f);
	return bad ? -1 : 0;
}

/* Every event of every document, until the stream ends or the first syntax error. */
static void parse(run *r, const char *path)
{
	yaml_parser_t p;
	yaml_event_t ev;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, r->data, r->len);
	for (;;) {
		if (!yaml_parser_parse(&p, &ev)) {
			fprintf(stderr, "yaml_baseline: %s:%zu: %s\n", path, p.problem_mark.line + 1,
				p.problem ? p.problem : "parse error");
			r->errors++;
			break;
		}
		r->events++;
		int end = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		if (end)
			break;
	}
	yaml_parser_delete(&p);
}

static int one(run *r, const char *path)
{
	if (slurp(r, path) != 0) {
		fprintf(stderr, "yaml_baseline: %s: %s\n", path, strerror(errno));
		return -1;
	}
	r->files++;
	r->bytes += r->len;
	parse(r, path);
	return 0;
}

static int from_list(run *r, const char *list)
{
	FILE *f = fopen(list, "r");
	if (!f) {
		fprintf(stderr, "yaml_baseline: %s: %s\n", list, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;
	while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (n > 0)
			rc = one(r, line);
	}
	free(line);
	fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	run r = {0};
	int rc = 0;
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "-l") == 0) {
		if (argc != 3) {
			fputs(usage, stderr);
			return 2;
		}
		rc = from_list(&r, argv[2]);
	} else {
		for (int i = 1; i < argc && rc == 0; i++)
			rc = one(&r, argv[i]);
	}
	free(r.data);
	printf("files %llu events %llu bytes %llu errors %llu\n", r.files, r.events, r.bytes,
	       r.errors);
	return rc == 0 ? 0 : 3;
}
