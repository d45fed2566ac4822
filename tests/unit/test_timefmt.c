/* test_timefmt.c - the common rules' timestamps and dates. */
#include "unit.h"

#include <string.h>

#include "timefmt.h"

static void expect_utc(const char *in, const char *want)
{
	char out[64];
	assert_int_equal(px_rfc3339_utc(in, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void expect_bad(const char *in)
{
	char out[64];
	assert_int_equal(px_rfc3339_utc(in, out, sizeof(out)), -1);
}

static void test_naive_sql_time_is_taken_as_utc(void **state)
{
	(void)state;
	expect_utc("2026-01-05 10:00:00", "2026-01-05T10:00:00Z");
	expect_utc("2026-01-05T10:00", "2026-01-05T10:00:00Z");
}

static void test_offsets_become_the_same_instant_in_utc(void **state)
{
	(void)state;
	/* PostgreSQL's text for a timestamptz in Europe/Paris (winter) */
	expect_utc("2026-01-05 10:00:00+01", "2026-01-05T09:00:00Z");
	expect_utc("2026-07-14T00:30:00+02:00", "2026-07-13T22:30:00Z");
	expect_utc("2026-01-01T01:00:00-0530", "2026-01-01T06:30:00Z");
	expect_utc("2024-02-29T23:00:00-01:00", "2024-03-01T00:00:00Z");
	expect_utc("2026-12-31T23:59:59z", "2026-12-31T23:59:59Z");
}

static void test_fractions_are_kept(void **state)
{
	(void)state;
	expect_utc("2026-01-05 10:00:00.123456+00",
		   "2026-01-05T10:00:00.123456Z");
	expect_utc("2026-01-05T10:00:00.5Z", "2026-01-05T10:00:00.5Z");
}

static void test_impossible_times_are_rejected(void **state)
{
	(void)state;
	expect_bad("2026-02-29 10:00:00"); /* 2026 is not a leap year */
	expect_bad("2026-13-01 10:00:00");
	expect_bad("2026-01-05 24:00:00");
	expect_bad("2026-01-05");
	expect_bad("last tuesday");
	expect_bad("2026-01-05 10:00:00 +01");
	expect_bad("2026-01-05 10:00:00.");
}

static void test_epoch_seconds_and_milliseconds(void **state)
{
	char out[64];
	(void)state;
	px_rfc3339_from_epoch(0, 0, out, sizeof(out));
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	px_rfc3339_from_epoch(1763660531, 0, out, sizeof(out));
	assert_string_equal(out, "2025-11-20T17:42:11Z");
	px_rfc3339_from_epoch(1763660531042LL, 1, out, sizeof(out));
	assert_string_equal(out, "2025-11-20T17:42:11.042Z");
	px_rfc3339_from_epoch(-1, 0, out, sizeof(out));
	assert_string_equal(out, "1969-12-31T23:59:59Z");
}

static void test_dates(void **state)
{
	char out[16];
	(void)state;
	assert_int_equal(px_date_only("1990-04-12", out, sizeof(out)), 0);
	assert_string_equal(out, "1990-04-12");
	assert_int_equal(px_date_only("1990-04-12 00:00:00", out, sizeof(out)),
			 0);
	assert_int_equal(px_date_only("1990-04-12 13:00:00", out, sizeof(out)),
			 -1);
	assert_int_equal(px_date_only("1990-02-30", out, sizeof(out)), -1);
}

static void test_civil_days_round_trip(void **state)
{
	(void)state;
	for (int64_t z = -800000; z < 800000; z += 97) {
		int64_t y;
		unsigned m, d;
		px_civil_from_days(z, &y, &m, &d);
		assert_int_equal(px_days_from_civil(y, m, d), z);
	}
	assert_int_equal(px_days_from_civil(2000, 3, 1), 11017);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_naive_sql_time_is_taken_as_utc),
	    cmocka_unit_test(test_offsets_become_the_same_instant_in_utc),
	    cmocka_unit_test(test_fractions_are_kept),
	    cmocka_unit_test(test_impossible_times_are_rejected),
	    cmocka_unit_test(test_epoch_seconds_and_milliseconds),
	    cmocka_unit_test(test_dates),
	    cmocka_unit_test(test_civil_days_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
