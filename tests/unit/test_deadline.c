/*
 * test_deadline.c - the deadline engine against dates worked out by hand.
 *
 * Every expectation below was computed by hand from the rules of DESIGN.md
 * ("Legal time limits"), never with the code under test: the comment on
 * each row shows the reasoning (receipt + period, last day of month when
 * the date does not exist, + days suspended, then skip weekends and public
 * holidays). Weekdays were read from a printed calendar; Easter Sundays
 * 2024-2030 from the published tables: 31 Mar 2024, 20 Apr 2025, 5 Apr
 * 2026, 28 Mar 2027, 16 Apr 2028, 1 Apr 2029, 21 Apr 2030. Ascension is
 * Easter + 39 days, Whit Monday Easter + 50, Good Friday Easter - 2.
 */
#include "unit.h"

#include <string.h>

#include "portex/deadline.h"

struct row {
	const char *received;
	const char *calendar;
	long suspended;
	int extended;
	const char *expected;
};

static const struct row rows[] = {
    /* 2026-01-31 +1 month -> 2026-02-28 (month has no 31; last day); Sat 28
       Feb: weekend; Sun 01 Mar: weekend -> Mon 2026-03-02 */
    {"2026-01-31", "FR", 0, 0, "2026-03-02"},
    /* 2025-08-31 +1 month -> 2025-09-30 (month has no 31; last day); Tue
       2025-09-30 */
    {"2025-08-31", "FR", 0, 0, "2025-09-30"},
    /* 2026-04-08 +1 month -> 2026-05-08; Fri 08 May: holiday, 8 May; Sat 09
       May: weekend; Sun 10 May: weekend -> Mon 2026-05-11 */
    {"2026-04-08", "FR", 0, 0, "2026-05-11"},
    /* 2024-01-31 +1 month -> 2024-02-29 (month has no 31; last day); Thu
       2024-02-29 */
    {"2024-01-31", "FR", 0, 0, "2024-02-29"},
    /* 2024-01-30 +1 month -> 2024-02-29 (month has no 30; last day); Thu
       2024-02-29 */
    {"2024-01-30", "FR", 0, 0, "2024-02-29"},
    /* 2025-01-31 +1 month -> 2025-02-28 (month has no 31; last day); Fri
       2025-02-28 */
    {"2025-01-31", "FR", 0, 0, "2025-02-28"},
    /* 2028-01-31 +1 month -> 2028-02-29 (month has no 31; last day); Tue
       2028-02-29 */
    {"2028-01-31", "FR", 0, 0, "2028-02-29"},
    /* 2029-01-29 +1 month -> 2029-02-28 (month has no 29; last day); Wed
       2029-02-28 */
    {"2029-01-29", "FR", 0, 0, "2029-02-28"},
    /* 2030-01-31 +1 month -> 2030-02-28 (month has no 31; last day); Thu
       2030-02-28 */
    {"2030-01-31", "FR", 0, 0, "2030-02-28"},
    /* 2027-03-31 +1 month -> 2027-04-30 (month has no 31; last day); Fri
       2027-04-30 */
    {"2027-03-31", "FR", 0, 0, "2027-04-30"},
    /* 2025-05-31 +1 month -> 2025-06-30 (month has no 31; last day); Mon
       2025-06-30 */
    {"2025-05-31", "FR", 0, 0, "2025-06-30"},
    /* 2024-10-31 +1 month -> 2024-11-30 (month has no 31; last day); Sat 30
       Nov: weekend; Sun 01 Dec: weekend -> Mon 2024-12-02 */
    {"2024-10-31", "FR", 0, 0, "2024-12-02"},
    /* 2026-12-31 +1 month -> 2027-01-31; Sun 31 Jan: weekend -> Mon 2027-02-01
     */
    {"2026-12-31", "FR", 0, 0, "2027-02-01"},
    /* 2027-08-31 +1 month -> 2027-09-30 (month has no 31; last day); Thu
       2027-09-30 */
    {"2027-08-31", "FR", 0, 0, "2027-09-30"},
    /* 2028-02-29 +1 month -> 2028-03-29; Wed 2028-03-29 */
    {"2028-02-29", "FR", 0, 0, "2028-03-29"},
    /* 2027-02-28 +1 month -> 2027-03-28; Sun 28 Mar: weekend; Mon 29 Mar:
       holiday, Easter Monday (Easter 28 Mar +1) -> Tue 2027-03-30 */
    {"2027-02-28", "FR", 0, 0, "2027-03-30"},
    /* 2025-12-01 +1 month -> 2026-01-01; Thu 01 Jan: holiday, 1 Jan -> Fri
       2026-01-02 */
    {"2025-12-01", "FR", 0, 0, "2026-01-02"},
    /* 2029-12-01 +1 month -> 2030-01-01; Tue 01 Jan: holiday, 1 Jan -> Wed
       2030-01-02 */
    {"2029-12-01", "FR", 0, 0, "2030-01-02"},
    /* 2025-03-21 +1 month -> 2025-04-21; Mon 21 Apr: holiday, Easter Monday
       (Easter 20 Apr +1) -> Tue 2025-04-22 */
    {"2025-03-21", "FR", 0, 0, "2025-04-22"},
    /* 2027-04-01 +1 month -> 2027-05-01; Sat 01 May: holiday, 1 May; Sun 02
       May: weekend -> Mon 2027-05-03 */
    {"2027-04-01", "FR", 0, 0, "2027-05-03"},
    /* 2029-04-08 +1 month -> 2029-05-08; Tue 08 May: holiday, 8 May -> Wed
       2029-05-09 */
    {"2029-04-08", "FR", 0, 0, "2029-05-09"},
    /* 2024-04-08 +1 month -> 2024-05-08; Wed 08 May: holiday, 8 May; Thu 09
       May: holiday, Ascension (Easter 31 Mar +39) -> Fri 2024-05-10 */
    {"2024-04-08", "FR", 0, 0, "2024-05-10"},
    /* 2024-04-09 +1 month -> 2024-05-09; Thu 09 May: holiday, Ascension (Easter
       31 Mar +39) -> Fri 2024-05-10 */
    {"2024-04-09", "FR", 0, 0, "2024-05-10"},
    /* 2025-04-29 +1 month -> 2025-05-29; Thu 29 May: holiday, Ascension (Easter
       20 Apr +39) -> Fri 2025-05-30 */
    {"2025-04-29", "FR", 0, 0, "2025-05-30"},
    /* 2028-04-25 +1 month -> 2028-05-25; Thu 25 May: holiday, Ascension (Easter
       16 Apr +39) -> Fri 2028-05-26 */
    {"2028-04-25", "FR", 0, 0, "2028-05-26"},
    /* 2029-04-21 +1 month -> 2029-05-21; Mon 21 May: holiday, Whit Monday
       (Easter 01 Apr +50) -> Tue 2029-05-22 */
    {"2029-04-21", "FR", 0, 0, "2029-05-22"},
    /* 2026-04-25 +1 month -> 2026-05-25; Mon 25 May: holiday, Whit Monday
       (Easter 05 Apr +50) -> Tue 2026-05-26 */
    {"2026-04-25", "FR", 0, 0, "2026-05-26"},
    /* 2024-06-14 +1 month -> 2024-07-14; Sun 14 Jul: holiday, 14 Jul -> Mon
       2024-07-15 */
    {"2024-06-14", "FR", 0, 0, "2024-07-15"},
    /* 2030-06-14 +1 month -> 2030-07-14; Sun 14 Jul: holiday, 14 Jul -> Mon
       2030-07-15 */
    {"2030-06-14", "FR", 0, 0, "2030-07-15"},
    /* 2025-07-15 +1 month -> 2025-08-15; Fri 15 Aug: holiday, 15 Aug; Sat 16
       Aug: weekend; Sun 17 Aug: weekend -> Mon 2025-08-18 */
    {"2025-07-15", "FR", 0, 0, "2025-08-18"},
    /* 2029-10-01 +1 month -> 2029-11-01; Thu 01 Nov: holiday, 1 Nov -> Fri
       2029-11-02 */
    {"2029-10-01", "FR", 0, 0, "2029-11-02"},
    /* 2026-10-11 +1 month -> 2026-11-11; Wed 11 Nov: holiday, 11 Nov -> Thu
       2026-11-12 */
    {"2026-10-11", "FR", 0, 0, "2026-11-12"},
    /* 2029-11-25 +1 month -> 2029-12-25; Tue 25 Dec: holiday, 25 Dec -> Wed
       2029-12-26 */
    {"2029-11-25", "FR", 0, 0, "2029-12-26"},
    /* 2025-12-26 +1 month -> 2026-01-26; Mon 2026-01-26 */
    {"2025-12-26", "FR", 0, 0, "2026-01-26"},
    /* 2025-11-26 +1 month -> 2025-12-26; Fri 2025-12-26 */
    {"2025-11-26", "FR", 0, 0, "2025-12-26"},
    /* 2025-11-26 +1 month -> 2025-12-26; Fri 26 Dec: holiday, 26 Dec; Sat 27
       Dec: weekend; Sun 28 Dec: weekend -> Mon 2025-12-29 */
    {"2025-11-26", "FR-ALSACE-MOSELLE", 0, 0, "2025-12-29"},
    /* 2026-03-03 +1 month -> 2026-04-03; Fri 2026-04-03 */
    {"2026-03-03", "FR", 0, 0, "2026-04-03"},
    /* 2026-03-03 +1 month -> 2026-04-03; Fri 03 Apr: holiday, Good Friday
       (Easter 05 Apr -2); Sat 04 Apr: weekend; Sun 05 Apr: weekend; Mon 06 Apr:
       holiday, Easter Monday (Easter 05 Apr +1) -> Tue 2026-04-07 */
    {"2026-03-03", "FR-ALSACE-MOSELLE", 0, 0, "2026-04-07"},
    /* 2028-03-14 +1 month -> 2028-04-14; Fri 14 Apr: holiday, Good Friday
       (Easter 16 Apr -2); Sat 15 Apr: weekend; Sun 16 Apr: weekend; Mon 17 Apr:
       holiday, Easter Monday (Easter 16 Apr +1) -> Tue 2028-04-18 */
    {"2028-03-14", "FR-ALSACE-MOSELLE", 0, 0, "2028-04-18"},
    /* 2030-03-19 +1 month -> 2030-04-19; Fri 2030-04-19 */
    {"2030-03-19", "FR", 0, 0, "2030-04-19"},
    /* 2030-03-19 +1 month -> 2030-04-19; Fri 19 Apr: holiday, Good Friday
       (Easter 21 Apr -2); Sat 20 Apr: weekend; Sun 21 Apr: weekend; Mon 22 Apr:
       holiday, Easter Monday (Easter 21 Apr +1) -> Tue 2030-04-23 */
    {"2030-03-19", "FR-ALSACE-MOSELLE", 0, 0, "2030-04-23"},
    /* 2027-11-24 +1 month -> 2027-12-24; Fri 2027-12-24 */
    {"2027-11-24", "FR-ALSACE-MOSELLE", 0, 0, "2027-12-24"},
    /* 2029-02-28 +1 month -> 2029-03-28; Wed 2029-03-28 */
    {"2029-02-28", "FR-ALSACE-MOSELLE", 0, 0, "2029-03-28"},
    /* 2026-01-05 +1 month -> 2026-02-05; +10 days suspended -> 2026-02-15; Sun
       15 Feb: weekend -> Mon 2026-02-16 */
    {"2026-01-05", "FR", 10, 0, "2026-02-16"},
    /* 2024-03-20 +1 month -> 2024-04-20; +12 days suspended -> 2024-05-02; Thu
       2024-05-02 */
    {"2024-03-20", "FR", 12, 0, "2024-05-02"},
    /* 2026-03-02 +1 month -> 2026-04-02; +9 days suspended -> 2026-04-11; Sat
       11 Apr: weekend; Sun 12 Apr: weekend -> Mon 2026-04-13 */
    {"2026-03-02", "FR", 9, 0, "2026-04-13"},
    /* 2028-03-31 +3 months -> 2028-06-30 (month has no 31; last day); +6 days
       suspended -> 2028-07-06; Thu 2028-07-06 */
    {"2028-03-31", "FR", 6, 1, "2028-07-06"},
    /* 2026-01-31 +3 months -> 2026-04-30 (month has no 31; last day); Thu
       2026-04-30 */
    {"2026-01-31", "FR", 0, 1, "2026-04-30"},
    /* 2025-11-30 +3 months -> 2026-02-28 (month has no 30; last day); Sat 28
       Feb: weekend; Sun 01 Mar: weekend -> Mon 2026-03-02 */
    {"2025-11-30", "FR", 0, 1, "2026-03-02"},
    /* 2024-11-30 +3 months -> 2025-02-28 (month has no 30; last day); Fri
       2025-02-28 */
    {"2024-11-30", "FR", 0, 1, "2025-02-28"},
    /* 2025-06-01 +3 months -> 2025-09-01; Mon 2025-09-01 */
    {"2025-06-01", "FR", 0, 1, "2025-09-01"},
    /* 2027-09-25 +3 months -> 2027-12-25; Sat 25 Dec: holiday, 25 Dec; Sun 26
       Dec: holiday, 26 Dec -> Mon 2027-12-27 */
    {"2027-09-25", "FR-ALSACE-MOSELLE", 0, 1, "2027-12-27"},
    /* 2030-05-31 +3 months -> 2030-08-31; Sat 31 Aug: weekend; Sun 01 Sep:
       weekend -> Mon 2030-09-02 */
    {"2030-05-31", "FR", 0, 1, "2030-09-02"},
};

static void test_table_of_hand_computed_due_dates(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		const px_calendar *cal = px_calendar_find(r->calendar);
		px_error err = PX_ERROR_INIT;
		px_deadline dl;
		px_day received;
		char got[11];

		assert_non_null(cal);
		assert_int_equal(px_date_parse(r->received, &received, &err),
				 0);
		px_deadline_compute(cal, received, r->suspended, &dl);
		px_date_format(r->extended ? dl.extended : dl.due, got);
		if (strcmp(got, r->expected))
			fail_msg("row %zu: received %s (%s, %ld suspended%s): "
				 "got %s, expected %s",
				 i, r->received, r->calendar, r->suspended,
				 r->extended ? ", extended" : "", got,
				 r->expected);
	}
	assert_true(sizeof(rows) / sizeof(rows[0]) >= 40);
}

static void test_easter_sundays_match_published_tables(void **state)
{
	static const char *const easter[] = {
	    "2024-03-31", "2025-04-20", "2026-04-05", "2027-03-28",
	    "2028-04-16", "2029-04-01", "2030-04-21",
	};
	char got[11];

	(void)state;
	for (int y = 2024; y <= 2030; y++) {
		px_date_format(px_easter(y), got);
		assert_string_equal(got, easter[y - 2024]);
	}
	/* 22 March (1818, 2285) and 25 April (1943, 2038) are the bounds. */
	px_date_format(px_easter(2285), got);
	assert_string_equal(got, "2285-03-22");
	px_date_format(px_easter(2038), got);
	assert_string_equal(got, "2038-04-25");
}

static void test_each_year_has_eleven_holidays_in_france(void **state)
{
	const px_calendar *fr = px_calendar_find("FR");
	const px_calendar *am = px_calendar_find("fr-alsace-moselle");
	px_day first, last;

	(void)state;
	assert_non_null(fr);
	assert_non_null(am);
	for (int y = 2024; y <= 2030; y++) {
		int n_fr = 0, n_am = 0;

		assert_int_equal(px_date_from_ymd(y, 1, 1, &first, NULL), 0);
		assert_int_equal(px_date_from_ymd(y, 12, 31, &last, NULL), 0);
		for (px_day d = first; d <= last; d++) {
			n_fr += px_holiday_name(fr, d) != NULL;
			n_am += px_holiday_name(am, d) != NULL;
		}
		assert_int_equal(n_fr, 11);
		assert_int_equal(n_am, 13);
	}
}

static void test_impossible_dates_are_refused_with_the_reason(void **state)
{
	px_error err = PX_ERROR_INIT;
	px_day d;

	(void)state;
	assert_int_equal(px_date_parse("2026-02-30", &d, &err), -1);
	assert_int_equal(err.code, PX_EXIT_DATA);
	assert_non_null(strstr(err.msg, "February 2026 has 28 days"));
	assert_int_equal(px_date_parse("2025-02-29", &d, &err), -1);
	assert_int_equal(px_date_parse("2026-04-31", &d, &err), -1);
	assert_non_null(strstr(err.msg, "April 2026 has 30 days"));
	assert_int_equal(px_date_parse("2026-00-10", &d, &err), -1);
	assert_int_equal(px_date_parse("2026-1-10", &d, &err), -1);
	assert_non_null(strstr(err.msg, "expected YYYY-MM-DD"));
	assert_int_equal(px_date_parse("2026-01-10x", &d, &err), -1);
	assert_int_equal(px_date_parse("", &d, &err), -1);
	assert_int_equal(px_date_parse("2024-02-29", &d, &err), 0);
	assert_int_equal(px_weekday(d), 3); /* a Thursday */
}

static void test_unknown_calendar_names_the_known_ones(void **state)
{
	px_error err = PX_ERROR_INIT;
	const px_calendar *cal;

	(void)state;
	assert_int_equal(px_calendar_parse("BE", &cal, &err), -1);
	assert_int_equal(err.code, PX_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "FR, FR-ALSACE-MOSELLE"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_of_hand_computed_due_dates),
	    cmocka_unit_test(test_easter_sundays_match_published_tables),
	    cmocka_unit_test(test_each_year_has_eleven_holidays_in_france),
	    cmocka_unit_test(test_impossible_dates_are_refused_with_the_reason),
	    cmocka_unit_test(test_unknown_calendar_names_the_known_ones),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
