/*
 * test_tz.c - zones read from the system's TZif files (src/tz.c): the
 * offset and abbreviation at an instant, local wall times back to
 * instants, the footer rule after the last transition, and many threads
 * on many zones at once (what serve/worker do; TZ could not).
 */
#include "unit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"
#include "tz.h"

static int64_t at(int y, unsigned m, unsigned d, int h, int mi)
{
	return px_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60;
}

static void expect_at(const char *zone, int64_t t, int off, const char *ab)
{
	const px_tz *tz = px_tz_shared(zone);
	char got[16];
	int o;

	assert_non_null(tz);
	px_tz_at(tz, t, &o, got, sizeof(got));
	assert_int_equal(o, off);
	assert_string_equal(got, ab);
}

static void test_offsets_and_abbreviations(void **state)
{
	(void)state;
	expect_at("Europe/Paris", at(2026, 1, 15, 12, 0), 3600, "CET");
	expect_at("Europe/Paris", at(2026, 7, 15, 12, 0), 7200, "CEST");
	/* the switch itself: 2026-03-29 01:00 UTC, 2026-10-25 01:00 UTC */
	expect_at("Europe/Paris", at(2026, 3, 29, 0, 59), 3600, "CET");
	expect_at("Europe/Paris", at(2026, 3, 29, 1, 0), 7200, "CEST");
	expect_at("Europe/Paris", at(2026, 10, 25, 0, 59), 7200, "CEST");
	expect_at("Europe/Paris", at(2026, 10, 25, 1, 0), 3600, "CET");
	/* after every transition a file lists: the footer rule decides */
	expect_at("Europe/Paris", at(2100, 7, 1, 0, 0), 7200, "CEST");
	expect_at("Europe/Paris", at(2100, 12, 1, 0, 0), 3600, "CET");
	expect_at("Europe/Paris", at(2100, 3, 28, 0, 59), 3600, "CET");
	expect_at("Europe/Paris", at(2100, 3, 28, 1, 0), 7200, "CEST");
	/* history: Paris kept summer time all year in 1941-1942 wartime */
	expect_at("Europe/Paris", at(1942, 1, 1, 12, 0), 7200, "CEST");
	/* southern hemisphere: summer time spans the new year */
	expect_at("Australia/Sydney", at(2100, 1, 1, 0, 0), 39600, "AEDT");
	expect_at("Australia/Sydney", at(2100, 7, 1, 0, 0), 36000, "AEST");
	expect_at("America/New_York", at(2026, 7, 4, 12, 0), -14400, "EDT");
	expect_at("UTC", at(2026, 7, 4, 12, 0), 0, "UTC");
	expect_at("Asia/Kolkata", at(2026, 7, 4, 12, 0), 19800, "IST");
}

static void test_local_wall_times(void **state)
{
	const px_tz *tz = px_tz_shared("Europe/Paris");
	int64_t t;

	(void)state;
	assert_int_equal(px_tz_from_local(tz, at(2026, 7, 2, 9, 0), &t), 0);
	assert_int_equal(t, at(2026, 7, 2, 7, 0));
	/* the spring gap does not exist; the autumn overlap is summer time */
	assert_int_equal(px_tz_from_local(tz, at(2026, 3, 29, 2, 30), &t), -1);
	assert_int_equal(px_tz_from_local(tz, at(2026, 10, 25, 2, 30), &t), 0);
	assert_int_equal(t, at(2026, 10, 25, 0, 30));
	assert_int_equal(px_tz_from_local(tz, at(2100, 3, 28, 2, 30), &t), -1);
}

static void test_unknown_zones(void **state)
{
	(void)state;
	assert_null(px_tz_shared("Europe/Atlantis"));
	assert_null(px_tz_shared("../../etc/passwd"));
	assert_null(px_tz_shared("/etc/passwd"));
	assert_null(px_tz_shared(""));
	/* a file that is not TZif */
	assert_null(px_tz_load("zone1970.tab"));
}

static const char *const zones[] = {"Europe/Paris", "America/New_York",
				    "Asia/Tokyo", "Australia/Sydney"};
static const int summer[] = {7200, -14400, 32400, 36000};

static void *convert_many(void *arg)
{
	size_t i = (size_t)(uintptr_t)arg;
	intptr_t bad = 0;

	for (int n = 0; n < 2000; n++) {
		size_t z = (i + (size_t)n) % 4;
		const px_tz *tz = px_tz_shared(zones[z]);
		char ab[16];
		int off;

		px_tz_at(tz, at(2026, 7, 15, 12, 0), &off, ab, sizeof(ab));
		bad += off != summer[z];
	}
	return (void *)bad;
}

static void test_threads_each_in_their_zone(void **state)
{
	pthread_t th[8];
	void *bad;

	(void)state;
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&th[i], NULL, convert_many,
						(void *)(uintptr_t)i),
				 0);
	for (size_t i = 0; i < 8; i++) {
		assert_int_equal(pthread_join(th[i], &bad), 0);
		assert_int_equal((intptr_t)bad, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_offsets_and_abbreviations),
	    cmocka_unit_test(test_local_wall_times),
	    cmocka_unit_test(test_unknown_zones),
	    cmocka_unit_test(test_threads_each_in_their_zone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
