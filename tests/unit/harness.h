/* harness.h: the unit-test harness. A test file defines `static void test_x(void)` functions and
 * lists them in TESTS; main runs each and ends with "N passed, N failed". */
#ifndef KVET_TEST_HARNESS_H
#define KVET_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int th_passed, th_failed;
static const char *th_current;

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (cond) {                                                                \
			th_passed++;                                                       \
		} else {                                                                   \
			th_failed++;                                                       \
			fprintf(stderr, "%s:%d: %s: check failed: %s\n", __FILE__, __LINE__, \
				th_current, #cond);                                        \
		}                                                                          \
	} while (0)

#define CHECK_STR(got, want)                                                                \
	do {                                                                                \
		const char *g_ = (got), *w_ = (want);                                       \
		if (g_ && w_ && strcmp(g_, w_) == 0) {                                      \
			th_passed++;                                                        \
		} else {                                                                    \
			th_failed++;                                                        \
			fprintf(stderr, "%s:%d: %s: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
				th_current, g_ ? g_ : "(null)", w_ ? w_ : "(null)");        \
		}                                                                           \
	} while (0)

#define CHECK_INT(got, want)                                                                \
	do {                                                                                \
		long long g_ = (long long)(got), w_ = (long long)(want);                    \
		if (g_ == w_) {                                                             \
			th_passed++;                                                        \
		} else {                                                                    \
			th_failed++;                                                        \
			fprintf(stderr, "%s:%d: %s: %s: got %lld, want %lld\n", __FILE__, __LINE__, \
				th_current, #got, g_, w_);                                  \
		}                                                                           \
	} while (0)

typedef struct {
	const char *name;
	void (*fn)(void);
} th_test;

#define TEST(fn) {#fn, fn}

static int th_run(const th_test *tests, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		th_current = tests[i].name;
		tests[i].fn();
	}
	printf("%d passed, %d failed\n", th_passed, th_failed);
	return th_failed ? 1 : 0;
}

#define RUN_TESTS(list) int main(void) { return th_run(list, sizeof list / sizeof list[0]); }

#endif
