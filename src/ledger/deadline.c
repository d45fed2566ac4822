/*
 * deadline.c - date arithmetic and the legal limits of a request.
 * Pure: no I/O, no clock, no globals (see deadline.h for the rules).
 */
#include "portex/deadline.h"

#include <stdio.h>
#include <string.h>

#include "timefmt.h"

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int px_days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31};

	if (m == 2 && is_leap(y))
		return 29;
	return days[m - 1];
}

/* Civil-date conversion is timefmt.c's (Howard Hinnant's algorithms). */
static px_day days_from_civil(int y, int m, int d)
{
	return (px_day)px_days_from_civil(y, (unsigned)m, (unsigned)d);
}

void px_date_to_ymd(px_day z, int *y, int *m, int *d)
{
	int64_t yy;
	unsigned mm, dd;

	px_civil_from_days(z, &yy, &mm, &dd);
	*y = (int)yy;
	*m = (int)mm;
	*d = (int)dd;
}

static const char *const month_names[] = {
    "January", "February", "March",	"April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

int px_date_from_ymd(int y, int m, int d, px_day *out, px_error *err)
{
	if (y < 1583 || y > 9999)
		return px_error_set(err, PX_EXIT_DATA,
				    "%04d-%02d-%02d: year %d is outside "
				    "1583-9999",
				    y, m, d, y);
	if (m < 1 || m > 12)
		return px_error_set(err, PX_EXIT_DATA,
				    "%04d-%02d-%02d: there is no month %d", y,
				    m, d, m);
	if (d < 1 || d > px_days_in_month(y, m))
		return px_error_set(err, PX_EXIT_DATA,
				    "%04d-%02d-%02d is not a date: %s %d has "
				    "%d days",
				    y, m, d, month_names[m - 1], y,
				    px_days_in_month(y, m));
	*out = days_from_civil(y, m, d);
	return 0;
}

int px_date_parse(const char *s, px_day *out, px_error *err)
{
	int y, m, d;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    (y = px_digits(s, 4)) < 0 || (m = px_digits(s + 5, 2)) < 0 ||
	    (d = px_digits(s + 8, 2)) < 0)
		return px_error_set(err, PX_EXIT_DATA,
				    "'%s' is not a date: expected YYYY-MM-DD",
				    s ? s : "");
	return px_date_from_ymd(y, m, d, out, err);
}

void px_date_format(px_day day, char *buf)
{
	int y, m, d;

	px_date_to_ymd(day, &y, &m, &d);
	snprintf(buf, 11, "%04d-%02d-%02d", y % 10000, m, d);
}

int px_weekday(px_day day)
{
	/* 1970-01-01 was a Thursday (3 in Monday-first numbering). */
	long w = (day + 3) % 7;

	return (int)(w < 0 ? w + 7 : w);
}

px_day px_easter(int year)
{
	int a = year % 19, b = year / 100, c = year % 100;
	int d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3;
	int h = (19 * a + b - d - g + 15) % 30;
	int i = c / 4, k = c % 4;
	int l = (32 + 2 * e + 2 * i - h - k) % 7;
	int m = (a + 11 * h + 22 * l) / 451;
	int month = (h + l - 7 * m + 114) / 31;
	int dd = (h + l - 7 * m + 114) % 31 + 1;

	return days_from_civil(year, month, dd);
}

px_day px_add_months(px_day day, int months)
{
	int y, m, d, last;
	long idx;

	px_date_to_ymd(day, &y, &m, &d);
	idx = (long)y * 12 + (m - 1) + months;
	y = (int)(idx / 12);
	m = (int)(idx % 12) + 1;
	last = px_days_in_month(y, m);
	return days_from_civil(y, m, d > last ? last : d);
}

void px_deadline_compute(const px_calendar *cal, px_day received,
			 long suspended_days, px_deadline *out)
{
	if (suspended_days < 0)
		suspended_days = 0;
	/* The day of receipt is not counted: a month from 31 January ends
	 * at the end of the "same date" a month later, i.e. add_months. */
	out->due = px_next_working_day(cal, px_add_months(received, 1) +
						suspended_days);
	out->extended = px_next_working_day(cal, px_add_months(received, 3) +
						     suspended_days);
}
