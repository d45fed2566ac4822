/* test_pattern_fast.c - the hand-written matchers answer as regexec does. */
#include "unit.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "schema/pattern_fast.h"

static const char *const patterns[] = {
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    ("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
     "(\\.[0-9]{1,9})?Z$"),
    "^-?[0-9]+(\\.[0-9]+)?$",
};

static const char *const seeds[] = {
    "2026-01-05",
    "2026-01-05T10:00:00Z",
    "2026-01-05T10:00:00.123456789Z",
    "2026-01-05T10:00:00.1234567890Z",
    "2026-01-05T10:00:00.Z",
    "2026-01-05 10:00:00",
    "19.90",
    "-0.5",
    "12",
    "1.",
    ".5",
    "--1",
    "",
    "Z",
    "2026-1-05",
    "20260105",
    "2026-01-05T10:00:00z",
    "2026-01-05T10:00:00Zx",
    "x2026-01-05",
    "0000-00-00",
};

/* Every seed and many random edits of it: the two must agree. */
static void test_fast_matchers_agree_with_regexec(void **state)
{
	const char alphabet[] = "0123456789-.:TZz x";
	unsigned seed = 12345;
	size_t checked = 0;

	(void)state;
	for (size_t p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++) {
		px_pattern_fn fast = px_pattern_fast(patterns[p]);
		regex_t re;

		assert_non_null(fast);
		assert_int_equal(
		    regcomp(&re, patterns[p], REG_EXTENDED | REG_NOSUB), 0);
		for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
			for (int round = 0; round < 2000; round++) {
				char buf[40];
				size_t len = strlen(seeds[s]);
				memcpy(buf, seeds[s], len + 1);
				/* 0-3 edits: replace, insert or delete. */
				for (int e = 0; round && e < round % 4; e++) {
					seed = seed * 1103515245u + 12345u;
					size_t at =
					    len ? (seed >> 8) % (len + 1) : 0;
					char c =
					    alphabet[(seed >> 20) %
						     (sizeof(alphabet) - 1)];
					int op = (int)((seed >> 16) % 3);
					if (op == 0 && at < len) {
						buf[at] = c;
					} else if (op == 1 &&
						   len + 1 < sizeof(buf)) {
						memmove(buf + at + 1, buf + at,
							len - at + 1);
						buf[at] = c;
						len++;
					} else if (at < len) {
						memmove(buf + at, buf + at + 1,
							len - at);
						len--;
					}
				}
				int want = regexec(&re, buf, 0, NULL, 0) == 0;
				if (fast(buf) != want)
					fail_msg("pattern %s, string \"%s\": "
						 "regexec says %d",
						 patterns[p], buf, want);
				checked++;
			}
		}
		regfree(&re);
	}
	assert_true(checked > 100000);
}

static void test_other_patterns_keep_regexec(void **state)
{
	(void)state;
	assert_null(px_pattern_fast("^[A-Z]{3}$"));
	assert_null(px_pattern_fast("^[0-9]{4}-[0-9]{2}-[0-9]{2}"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fast_matchers_agree_with_regexec),
	    cmocka_unit_test(test_other_patterns_keep_regexec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
