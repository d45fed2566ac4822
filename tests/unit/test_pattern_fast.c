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

/* ajv-formats' email regex in POSIX ERE (its /i flag spelled out). */
#define ATOM  "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+"
#define LABEL "[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?"
static const char email_re[] =
    "^" ATOM "(\\." ATOM ")*@(" LABEL "\\.)+" LABEL "$";

static void test_email_format_answers_as_ajv_formats(void **state)
{
	static const char *const emails[] = {
	    "alice.martin@example.org",
	    "a@b.co",
	    "A+tag@sub.Example.FR",
	    "a..b@example.org",
	    ".a@example.org",
	    "a@example",
	    "a@-x.org",
	    "a@x-.org",
	    "a@x..org",
	    "a b@example.org",
	    "@example.org",
	    "a@",
	    "a@b.c-d.e",
	    "o'neil@example.ie",
	    "\xc3\xa9@example.org",
	};
	const char alphabet[] = "ab.@-+ 9";
	px_pattern_fn fast = px_format_check("email");
	unsigned seed = 777;
	regex_t re;

	(void)state;
	assert_non_null(fast);
	assert_int_equal(regcomp(&re, email_re, REG_EXTENDED | REG_NOSUB), 0);
	for (size_t s = 0; s < sizeof(emails) / sizeof(emails[0]); s++) {
		for (int round = 0; round < 3000; round++) {
			char buf[48];
			size_t len = strlen(emails[s]);
			memcpy(buf, emails[s], len + 1);
			for (int e = 0; round && e < round % 3 + 1; e++) {
				seed = seed * 1103515245u + 12345u;
				size_t at = len ? (seed >> 8) % len : 0;
				if (len)
					buf[at] =
					    alphabet[(seed >> 20) %
						     (sizeof(alphabet) - 1)];
			}
			int want = regexec(&re, buf, 0, NULL, 0) == 0;
			if (fast(buf) != want)
				fail_msg("email \"%s\": regexec says %d", buf,
					 want);
		}
	}
	regfree(&re);
}

static void test_ip_formats(void **state)
{
	px_pattern_fn v4 = px_format_check("ipv4"),
		      v6 = px_format_check("ipv6");

	(void)state;
	assert_true(v4("203.0.113.7"));
	assert_false(v4("203.0.113.07")); /* ajv: no leading zeros */
	assert_false(v4("256.1.1.1"));
	assert_false(v4("1.2.3"));
	assert_false(v4("::1"));
	assert_true(v6("::1"));
	assert_true(v6("2001:db8::8a2e:370:7334"));
	assert_true(v6("::ffff:192.0.2.1"));
	assert_false(v6("2001:db8:::1"));
	assert_false(v6("203.0.113.7"));
	assert_null(px_format_check("date-time")); /* an annotation */
	assert_null(px_format_check(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fast_matchers_agree_with_regexec),
	    cmocka_unit_test(test_other_patterns_keep_regexec),
	    cmocka_unit_test(test_email_format_answers_as_ajv_formats),
	    cmocka_unit_test(test_ip_formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
