/*
 * test_convert.c - the declared value conversions (src/convert.c) every
 * driver shares: money scale, ISO durations, dd/mm/yyyy, local times.
 */
#include "unit.h"

#include <string.h>

#include "convert.h"

static void expect_scaled(const char *in, int scale, const char *want)
{
	char out[64];

	assert_int_equal(px_conv_scaled(in, scale, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void test_money_in_minor_units_and_scales(void **state)
{
	char out[64];

	(void)state;
	expect_scaled("1990", 2, "19.90");
	expect_scaled("-2010", 2, "-20.10");
	expect_scaled("-5", 2, "-0.05");
	expect_scaled("7", 0, "7");
	expect_scaled("0", 2, "0.00");
	expect_scaled("-0", 2, "0.00");
	expect_scaled("12", -2, "1200");
	expect_scaled("1234567890123456789012345", 3,
		      "1234567890123456789012.345");
	assert_int_equal(px_conv_scaled("19.9", 2, out, sizeof(out)), -1);
	assert_int_equal(px_conv_scaled("", 2, out, sizeof(out)), -1);
	assert_int_equal(px_conv_scaled("1", 31, out, sizeof(out)), -1);
}

static void expect_duration(const char *in, const char *want)
{
	char out[64];

	if (!want) {
		assert_int_equal(px_conv_iso_duration(in, out, sizeof(out)),
				 -1);
		return;
	}
	assert_int_equal(px_conv_iso_duration(in, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void test_iso_durations_to_seconds(void **state)
{
	(void)state;
	expect_duration("PT1H15M", "4500");
	expect_duration("P1DT2H3M4.5S", "93784.5");
	expect_duration("P2W", "1209600");
	expect_duration("PT0S", "0");
	expect_duration("P1M", NULL); /* months have no fixed length */
	expect_duration("P1Y", NULL);
	expect_duration("PT", NULL);
	expect_duration("1H", NULL);
	expect_duration("PT5X", NULL);
}

static void test_day_month_year_dates(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(px_conv_dmy("14/07/1990", out, sizeof(out)), 0);
	assert_string_equal(out, "1990-07-14");
	assert_int_equal(px_conv_dmy("29/02/2024", out, sizeof(out)), 0);
	assert_int_equal(px_conv_dmy("29/02/2023", out, sizeof(out)), -1);
	assert_int_equal(px_conv_dmy("31/04/2024", out, sizeof(out)), -1);
	assert_int_equal(px_conv_dmy("07/14/1990", out, sizeof(out)), -1);
	assert_int_equal(px_conv_dmy("14/07/1990x", out, sizeof(out)), -1);
}

static void expect_local(const char *in, const char *zone, const char *want)
{
	char out[64];

	if (!want) {
		assert_int_equal(px_conv_local_time(in, zone, out, sizeof(out)),
				 -1);
		return;
	}
	assert_int_equal(px_conv_local_time(in, zone, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void test_local_times_in_a_named_zone(void **state)
{
	char out[64];

	(void)state;
	expect_local("2024-07-02 09:00:00", "Europe/Paris",
		     "2024-07-02T07:00:00Z");
	expect_local("2024-01-15T08:30:00", "Europe/Paris",
		     "2024-01-15T07:30:00Z");
	expect_local("2024-01-15 08:30:00.250", "Europe/Paris",
		     "2024-01-15T07:30:00.250Z");
	/* spring: 02:30 does not exist; 03:30 is CEST */
	expect_local("2024-03-31 02:30:00", "Europe/Paris", NULL);
	expect_local("2024-03-31 03:30:00", "Europe/Paris",
		     "2024-03-31T01:30:00Z");
	expect_local("2024-03-31 01:59:00", "Europe/Paris",
		     "2024-03-31T00:59:00Z");
	/* autumn: 02:30 happens twice; the first (CEST) reading */
	expect_local("2024-10-27 02:30:00", "Europe/Paris",
		     "2024-10-27T00:30:00Z");
	expect_local("2024-10-27 03:30:00", "Europe/Paris",
		     "2024-10-27T02:30:00Z");
	/* a text with its own offset says its own zone */
	expect_local("2024-07-02T09:00:00+01:00", "Europe/Paris",
		     "2024-07-02T08:00:00Z");
	assert_int_equal(px_conv_local_time("2024-07-02 09:00:00",
					    "Europe/Atlantis", out,
					    sizeof(out)),
			 -2);
	assert_int_equal(px_conv_local_time("2024-07-02 09:00:00",
					    "../../etc/passwd", out,
					    sizeof(out)),
			 -2);
	expect_local("02/07/2024", "Europe/Paris", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_money_in_minor_units_and_scales),
	    cmocka_unit_test(test_iso_durations_to_seconds),
	    cmocka_unit_test(test_day_month_year_dates),
	    cmocka_unit_test(test_local_times_in_a_named_zone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
