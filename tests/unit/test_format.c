/* test_format.c: the string format checks, as tables of valid and invalid inputs taken from
 * the grammars they follow: RFC 3339, RFC 4648 with Go's StdEncoding, Go's time.ParseDuration,
 * apimachinery's resource.Quantity and its name and label validation. */
#include "harness.h"

#include "kvet/format.h"

#include <stdbool.h>

typedef const char *(*fmt_fn)(const char *s, size_t n);

typedef struct {
	const char *s;
	bool valid;
} fcase;

/* Runs fn over a table; a mismatch names the function and the input. */
static void run_cases(const char *name, fmt_fn fn, const fcase *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *why = fn(c[i].s, strlen(c[i].s));
		bool ok = (why == NULL) == c[i].valid;
		if (!ok)
			fprintf(stderr, "  %s(\"%s\"): got %s, want %s\n", name, c[i].s,
				why ? why : "valid", c[i].valid ? "valid" : "invalid");
		CHECK(ok);
	}
}

#define RUN(fn, cases) run_cases(#fn, fn, cases, sizeof cases / sizeof cases[0])

/* A string of n copies of c, in buf (at least n + 1 bytes). */
static char *repeat(char *buf, char c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

static const fcase base64_cases[] = {
	{"", true},
	{"QQ==", true},
	{"QUI=", true},
	{"QUJD", true},
	{"QUJDRA==", true},
	{"aGVsbG8gd29ybGQ=", true},
	{"+/+/", true},
	{"QUJD\nRA==", true},     /* newlines are ignored anywhere */
	{"QUJD\r\nRA==\n", true},
	{"QQ=\n=", true},
	{"QQ", false},            /* StdEncoding requires the padding */
	{"QQ=", false},
	{"QUJDR", false},
	{"Q===", false},          /* at most two '=' */
	{"====", false},
	{"QQ=A", false},          /* data after padding */
	{"QQ==QQ==", false},
	{"=QUJ", false},
	{"QU-D", false},          /* URL alphabet, not standard */
	{"QU_D", false},
	{"QUJD ", false},         /* spaces are not ignored */
	{"QU.D", false},
};

static void test_base64(void)
{
	RUN(kv_fmt_base64, base64_cases);
	CHECK_STR(kv_fmt_base64("QQ=A", 4), "not base64: data after '=' padding");
	CHECK_STR(kv_fmt_base64("QQ", 2), "not base64: the length is not a multiple of 4");
	CHECK_STR(kv_fmt_base64("Q===", 4), "not base64: too much '=' padding");
	CHECK_STR(kv_fmt_base64("QU-D", 4), "not base64: a character outside A-Z a-z 0-9 + /");
	CHECK(kv_fmt_base64("QUJDRA==\x01", 8) == NULL); /* only n bytes are read */
}

static const fcase date_cases[] = {
	{"2024-01-31", true},
	{"2024-02-29", true},     /* leap year */
	{"2000-02-29", true},     /* divisible by 400 */
	{"2024-04-30", true},
	{"2024-12-31", true},
	{"0001-01-01", true},
	{"2023-02-29", false},
	{"1900-02-29", false},    /* divisible by 100, not 400 */
	{"2024-02-30", false},
	{"2024-04-31", false},
	{"2024-13-01", false},
	{"2024-00-10", false},
	{"2024-01-00", false},
	{"2024-01-32", false},
	{"2024-1-01", false},
	{"2024/01/01", false},
	{"24-01-01", false},
	{"2024-01-01T00:00:00Z", false},
	{"2024-01-0a", false},
	{"", false},
};

static void test_date(void)
{
	RUN(kv_fmt_date, date_cases);
	CHECK_STR(kv_fmt_date("2023-02-29", 10), "not a valid calendar date");
	CHECK_STR(kv_fmt_date("2024-1-01", 9), "not a date (YYYY-MM-DD)");
}

static const fcase date_time_cases[] = {
	{"2024-01-02T15:04:05Z", true},
	{"2024-01-02T15:04:05.123456789Z", true},
	{"2024-01-02T15:04:05.5+00:00", true},
	{"2024-01-02T15:04:05+05:30", true},
	{"2024-01-02T15:04:05-08:00", true},
	{"2024-01-02t15:04:05z", true},          /* RFC 3339 allows lower case T and Z */
	{"2024-02-29T00:00:00Z", true},
	{"1999-12-31T23:59:59+23:59", true},
	{"2024-13-02T15:04:05Z", false},         /* month 13 */
	{"2023-02-29T00:00:00Z", false},         /* not a leap year */
	{"2024-01-02T24:00:00Z", false},
	{"2024-01-02T15:60:05Z", false},
	{"2016-12-31T23:59:60Z", false},         /* a leap second: RFC 3339, but Go rejects it */
	{"2024-01-02T15:04:61Z", false},
	{"2024-01-02T15:04:05", false},          /* no offset */
	{"2024-01-02 15:04:05Z", false},
	{"2024-01-02T15:04:05.Z", false},        /* empty fraction */
	{"2024-01-02T15:04:05,5Z", false},
	{"2024-01-02T15:04:05+0530", false},
	{"2024-01-02T15:04:05+05", false},
	{"2024-01-02T15:04:05+24:00", false},
	{"2024-01-02T15:04:05+05:60", false},
	{"2024-01-02T15:04Z", false},
	{"2024-01-02T1:04:05Z", false},
	{"2024-01-02T15:04:05ZZ", false},
	{"2024-01-02T15:04:05Z ", false},
	{"2024-01-02T15:04:05+05:30x", false},
	{"2024-01-02", false},
	{"", false},
};

static void test_date_time(void)
{
	RUN(kv_fmt_date_time, date_time_cases);
	/* Only n bytes count: a valid prefix followed by junk past n is valid. */
	CHECK(kv_fmt_date_time("2024-01-02T15:04:05Zjunk", 20) == NULL);
	CHECK(kv_fmt_date_time("2024-01-02T15:04:05.123", 23) != NULL);
}

static const fcase duration_cases[] = {
	{"0", true},
	{"-0", true},
	{"+0", true},
	{"0s", true},
	{"1h30m", true},
	{"250ms", true},
	{"1.5h", true},
	{"-1s", true},
	{"+5m", true},
	{"100ns", true},
	{"1us", true},
	{"1\xc2\xb5s", true},                   /* U+00B5 micro sign */
	{"1\xce\xbcs", true},                   /* U+03BC Greek mu */
	{"1h2m3s4ms5us6ns", true},
	{"2h45m0.5s", true},
	{".5s", true},
	{"5.s", true},
	{"-1.5h", true},
	{"", false},
	{"1", false},                           /* a number needs a unit */
	{"h", false},
	{"1x", false},
	{"1d", false},
	{"1H", false},                          /* units are case-sensitive */
	{"-", false},
	{"+", false},
	{".s", false},
	{"00", false},                          /* only a lone 0 may omit the unit */
	{"0.0", false},
	{"1.5", false},
	{"1m5", false},
	{"1hh", false},
	{"1h-30m", false},                      /* the sign only comes first */
	{"--1s", false},
	{"1 h", false},
	{" 1h", false},
	{"1h ", false},
	{"1.2.3s", false},
};

static void test_duration(void)
{
	RUN(kv_fmt_duration, duration_cases);
	CHECK_STR(kv_fmt_duration("1", 1), "not a duration: a number needs a unit (ns, us, ms, s, m, h)");
	CHECK_STR(kv_fmt_duration("h", 1), "not a duration (like 1h30m or 250ms)");
}

static const fcase uuid_cases[] = {
	{"123e4567-e89b-12d3-a456-426614174000", true},
	{"123E4567-E89B-12D3-A456-426614174000", true},
	{"00000000-0000-0000-0000-000000000000", true},
	{"123e4567e89b12d3a456426614174000", false},
	{"123e4567-e89b-12d3-a456-42661417400", false},
	{"123e4567-e89b-12d3-a456-4266141740000", false},
	{"123e4567-e89b-12d3-a456-42661417400g", false},
	{"123e4567-e89b-12d3a-456-426614174000", false},
	{"{23e4567-e89b-12d3-a456-42661417400}", false},
	{"", false},
};

static void test_uuid(void)
{
	RUN(kv_fmt_uuid, uuid_cases);
}

static const fcase ipv4_cases[] = {
	{"192.168.0.1", true},
	{"0.0.0.0", true},
	{"255.255.255.255", true},
	{"256.1.1.1", false},
	{"1.2.3", false},
	{"1.2.3.4.5", false},
	{"01.2.3.4", false},                    /* leading zeros are ambiguous (octal) */
	{"1.2.3.4 ", false},
	{"::1", false},
	{"1.2.3.4/8", false},
	{"", false},
};

static const fcase ipv6_cases[] = {
	{"::1", true},
	{"::", true},
	{"2001:db8::8a2e:370:7334", true},
	{"2001:0db8:0000:0000:0000:8a2e:0370:7334", true},
	{"::ffff:192.0.2.1", true},
	{"fe80::1", true},
	{"1::2::3", false},
	{"fe80::1%eth0", false},
	{"2001:db8::g", false},
	{"1:2:3:4:5:6:7:8:9", false},
	{"192.168.0.1", false},
	{"", false},
	{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false},
};

static const fcase cidr_cases[] = {
	{"10.0.0.0/8", true},
	{"192.168.1.0/24", true},
	{"0.0.0.0/0", true},
	{"10.0.0.1/32", true},
	{"::/0", true},
	{"2001:db8::/32", true},
	{"::1/128", true},
	{"10.0.0.0/33", false},
	{"::1/129", false},
	{"10.0.0.0", false},
	{"10.0.0.0/", false},
	{"/8", false},
	{"10.0.0.0/1a", false},
	{"10.0.0.0/-1", false},
	{"10.0.0.0/8/8", false},
	{"10.0.0.0/1000", false},
	{"256.0.0.0/8", false},
	{"", false},
};

static void test_ip(void)
{
	RUN(kv_fmt_ipv4, ipv4_cases);
	RUN(kv_fmt_ipv6, ipv6_cases);
	RUN(kv_fmt_cidr, cidr_cases);
}

/* apimachinery resource.Quantity: the OpenAPI pattern
 * ^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?...))?$
 * narrowed where ParseQuantity is stricter (an exponent is an integer). */
static const fcase quantity_cases[] = {
	{"100m", true},
	{"1.5", true},
	{"512Mi", true},
	{"2G", true},
	{"1e3", true},
	{"+1", true},
	{".5", true},
	{"5.", true},
	{"0", true},
	{"-1", true},
	{"-.5", true},
	{"007", true},
	{"0.5Gi", true},
	{"1Ki", true},
	{"1Ti", true},
	{"1Pi", true},
	{"1Ei", true},
	{"1k", true},
	{"1M", true},
	{"1T", true},
	{"1P", true},
	{"1E", true},                           /* exa, not an exponent */
	{"1e-3", true},
	{"1E+3", true},
	{"1e0", true},
	{"100n", true},                         /* nano */
	{"5u", true},                           /* micro */
	{"1 core", false},
	{"1.2.3", false},
	{"Ki", false},
	{"", false},
	{"1KiB", false},
	{"1e", false},
	{"1e+", false},
	{"1e1.5", false},                       /* ParseQuantity: the exponent is an integer */
	{"1K", false},
	{"1mi", false},
	{"1b", false},
	{".", false},
	{"+", false},
	{"-", false},
	{"+-1", false},
	{"1.5.", false},
	{" 1", false},
	{"1Gi ", false},
	{"1e3Mi", false},
};

static void test_quantity(void)
{
	RUN(kv_fmt_quantity, quantity_cases);
	CHECK_STR(kv_fmt_quantity("1 core", 6),
		  "not a quantity: a number with an optional suffix (100m, 1.5, 512Mi, 2G, 1e3)");
	CHECK(kv_fmt_quantity("512Mi!", 5) == NULL);
}

static const fcase label_1123_cases[] = {
	{"a", true},
	{"0", true},                            /* DNS-1123 may start with a digit */
	{"my-app", true},
	{"a--b", true},
	{"web1", true},
	{"1web", true},
	{"", false},
	{"-a", false},
	{"a-", false},
	{"My-app", false},
	{"a_b", false},
	{"a.b", false},
	{"a b", false},
};

static const fcase subdomain_cases[] = {
	{"example.com", true},
	{"a", true},
	{"a.b.c", true},
	{"my-app.example-1.com", true},
	{"0.1", true},
	{"", false},
	{"a..b", false},
	{".a", false},
	{"a.", false},
	{"a-.b", false},
	{"a.-b", false},
	{"-a.b", false},
	{"Example.com", false},
	{"a_b.com", false},
	{"a/b", false},
};

static const fcase label_1035_cases[] = {
	{"a", true},
	{"web", true},
	{"a1", true},
	{"a-1", true},
	{"1a", false},
	{"0", false},
	{"-a", false},
	{"a-", false},
	{"A", false},
	{"", false},
};

static void test_dns(void)
{
	char buf[300];
	RUN(kv_fmt_dns1123_label, label_1123_cases);
	RUN(kv_fmt_dns1123_subdomain, subdomain_cases);
	RUN(kv_fmt_dns1035_label, label_1035_cases);

	CHECK(kv_fmt_dns1123_label(repeat(buf, 'a', 63), 63) == NULL);
	CHECK_STR(kv_fmt_dns1123_label(repeat(buf, 'a', 64), 64), "must be no more than 63 characters");
	CHECK_STR(kv_fmt_dns1123_label("-a", 2), "must start and end with an alphanumeric character");
	CHECK_STR(kv_fmt_dns1123_label("A", 1),
		  "must consist of lower case alphanumeric characters or '-'");
	CHECK_STR(kv_fmt_dns1123_label("", 0), "must not be empty");
	CHECK(kv_fmt_dns1035_label(repeat(buf, 'z', 63), 63) == NULL);
	CHECK(kv_fmt_dns1035_label(repeat(buf, 'z', 64), 64) != NULL);
	CHECK_STR(kv_fmt_dns1035_label("1a", 2), "must start with a lower case letter");

	/* 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253: the longest subdomain. */
	repeat(buf, 'a', 253);
	buf[63] = buf[127] = buf[191] = '.';
	CHECK(kv_fmt_dns1123_subdomain(buf, 253) == NULL);
	repeat(buf, 'a', 254);
	buf[63] = buf[127] = buf[191] = '.';
	CHECK_STR(kv_fmt_dns1123_subdomain(buf, 254), "must be no more than 253 characters");
	/* apimachinery limits only the whole subdomain, not each label. */
	CHECK(kv_fmt_dns1123_subdomain(repeat(buf, 'b', 100), 100) == NULL);
	CHECK_STR(kv_fmt_dns1123_subdomain("a..b", 4), "must not have empty parts between dots");
	CHECK_STR(kv_fmt_dns1123_subdomain("a...b", 5), "must not have empty parts between dots");
	CHECK_STR(kv_fmt_dns1123_subdomain(".a", 2),
		  "must start and end with an alphanumeric character (also around dots)");
	CHECK_STR(kv_fmt_dns1123_subdomain("a-.b", 4),
		  "must start and end with an alphanumeric character (also around dots)");
	/* n bounds the input: the trailing '-' is outside it. */
	CHECK(kv_fmt_dns1123_label("abc-", 3) == NULL);
}

static const fcase path_segment_cases[] = {
	{"foo", true},
	{"...", true},
	{".hidden", true},
	{"a..b", true},
	{"a b", true},
	{"", false},
	{".", false},
	{"..", false},
	{"a/b", false},
	{"a%2Fb", false},
	{"%", false},
};

static void test_path_segment(void)
{
	RUN(kv_fmt_path_segment, path_segment_cases);
}

static const fcase qualified_name_cases[] = {
	{"app", true},
	{"App_Name-1.x", true},
	{"app.kubernetes.io/name", true},
	{"example.com/My_Key-1.x", true},
	{"kubernetes.io/os", true},
	{"a/b", true},
	{"1", true},
	{"", false},
	{"k8s.io/", false},                     /* empty name */
	{"/name", false},                       /* empty prefix */
	{"a/b/c", false},
	{"Example.com/name", false},            /* the prefix is a DNS subdomain: lower case */
	{"example_com/name", false},
	{"example.com./name", false},
	{"_name", false},
	{"name_", false},
	{"-name", false},
	{".name", false},
	{"na me", false},
	{"na:me", false},
	{"example.com/-name", false},
};

static const fcase label_value_cases[] = {
	{"", true},                             /* a label value may be empty */
	{"x", true},
	{"v1.2.3", true},
	{"A_b-c.D", true},
	{"0", true},
	{"-x", false},
	{"x-", false},
	{"x_", false},
	{".x", false},
	{"a/b", false},
	{"a b", false},
	{"a:b", false},
};

static void test_labels(void)
{
	char buf[400];
	RUN(kv_fmt_qualified_name, qualified_name_cases);
	RUN(kv_fmt_label_value, label_value_cases);

	CHECK(kv_fmt_qualified_name(repeat(buf, 'N', 63), 63) == NULL);
	CHECK_STR(kv_fmt_qualified_name(repeat(buf, 'N', 64), 64),
		  "the name part must be no more than 63 characters");
	CHECK_STR(kv_fmt_qualified_name("/name", 5), "the prefix before '/' must not be empty");
	CHECK_STR(kv_fmt_qualified_name("a/b/c", 5), "must have at most one '/' (prefix/name)");
	CHECK_STR(kv_fmt_qualified_name("k8s.io/", 7), "the name part must not be empty");
	CHECK_STR(kv_fmt_qualified_name("Example.com/x", 13),
		  "the prefix before '/' must be a DNS subdomain (lower case, like example.com)");
	CHECK_STR(kv_fmt_qualified_name("_x", 2), "must start and end with an alphanumeric character");
	CHECK_STR(kv_fmt_qualified_name("a b", 3),
		  "must consist of alphanumeric characters, '-', '_' or '.'");

	/* A 253-character prefix is the longest; the name part is still limited to 63. */
	repeat(buf, 'p', 253);
	buf[63] = buf[127] = buf[191] = '.';
	memcpy(buf + 253, "/name", 6);
	CHECK(kv_fmt_qualified_name(buf, 258) == NULL);
	repeat(buf, 'p', 254);
	buf[63] = buf[127] = buf[191] = '.';
	memcpy(buf + 254, "/name", 6);
	CHECK(kv_fmt_qualified_name(buf, 259) != NULL);
	memcpy(buf, "example.com/", 12);
	repeat(buf + 12, 'n', 63);
	CHECK(kv_fmt_qualified_name(buf, 75) == NULL);
	repeat(buf + 12, 'n', 64);
	CHECK(kv_fmt_qualified_name(buf, 76) != NULL);

	CHECK(kv_fmt_label_value(repeat(buf, 'v', 63), 63) == NULL);
	CHECK_STR(kv_fmt_label_value(repeat(buf, 'v', 64), 64),
		  "the name part must be no more than 63 characters");
	CHECK(kv_fmt_label_value("a\0b", 3) != NULL); /* an embedded NUL is not skipped */
}

static const th_test tests[] = {
	TEST(test_base64), TEST(test_date),  TEST(test_date_time),    TEST(test_duration),
	TEST(test_uuid),   TEST(test_ip),    TEST(test_quantity),     TEST(test_dns),
	TEST(test_path_segment), TEST(test_labels),
};

RUN_TESTS(tests)
