/*
 * calendar.c - public-holiday tables. Adding a calendar is adding a table
 * below: fixed dates (month, day) and movable feasts as offsets from Easter
 * Sunday.
 */
#include "portex/deadline.h"

#include <stddef.h>
#include <stdio.h>
#include <strings.h>

struct fixed_holiday {
	int month, day;
	const char *name;
};

struct easter_holiday {
	int offset; /* days after Easter Sunday */
	const char *name;
};

struct px_calendar {
	const char *name;
	const struct fixed_holiday *fixed;    /* ends with month 0 */
	const struct easter_holiday *movable; /* ends with name NULL */
	const struct px_calendar *base;	      /* whose holidays it adds to */
};

/* Code du travail, article L3133-1. */
static const struct fixed_holiday fr_fixed[] = {{1, 1, "New Year's Day"},
						{5, 1, "Labour Day"},
						{5, 8, "Victory in Europe Day"},
						{7, 14, "Bastille Day"},
						{8, 15, "Assumption"},
						{11, 1, "All Saints' Day"},
						{11, 11, "Armistice Day"},
						{12, 25, "Christmas Day"},
						{0, 0, NULL}};
static const struct easter_holiday fr_movable[] = {
    {1, "Easter Monday"}, {39, "Ascension"}, {50, "Whit Monday"}, {0, NULL}};

/* Alsace-Moselle (Code du travail, article L3134-13): France's holidays
 * plus Good Friday and St Stephen's Day. */
static const struct fixed_holiday am_fixed[] = {{12, 26, "St Stephen's Day"},
						{0, 0, NULL}};
static const struct easter_holiday am_movable[] = {{-2, "Good Friday"},
						   {0, NULL}};

static const struct px_calendar calendars[] = {
    {"FR", fr_fixed, fr_movable, NULL},
    {"FR-ALSACE-MOSELLE", am_fixed, am_movable, &calendars[0]},
};

const px_calendar *px_calendar_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof(calendars) / sizeof(*calendars);
	     i++)
		if (!strcasecmp(name, calendars[i].name))
			return &calendars[i];
	return NULL;
}

const px_calendar *px_calendar_default(void)
{
	return &calendars[0];
}

const char *px_calendar_name(const px_calendar *cal)
{
	return cal->name;
}

const px_calendar *px_calendar_at(int i)
{
	if (i < 0 || (size_t)i >= sizeof(calendars) / sizeof(*calendars))
		return NULL;
	return &calendars[i];
}

const char *px_holiday_name(const px_calendar *cal, px_day day)
{
	int y, m, d;
	px_day easter;

	px_date_to_ymd(day, &y, &m, &d);
	easter = px_easter(y);
	for (; cal; cal = cal->base) {
		for (const struct fixed_holiday *f = cal->fixed; f->month; f++)
			if (f->month == m && f->day == d)
				return f->name;
		for (const struct easter_holiday *e = cal->movable; e->name;
		     e++)
			if (easter + e->offset == day)
				return e->name;
	}
	return NULL;
}

int px_is_working_day(const px_calendar *cal, px_day day)
{
	return px_weekday(day) < 5 && !px_holiday_name(cal, day);
}

px_day px_next_working_day(const px_calendar *cal, px_day day)
{
	while (!px_is_working_day(cal, day))
		day++;
	return day;
}

int px_calendar_parse(const char *name, const px_calendar **out, px_error *err)
{
	char known[256] = "";
	size_t len = 0;

	*out = px_calendar_find(name);
	if (*out)
		return 0;
	for (int i = 0; px_calendar_at(i) && len < sizeof(known); i++)
		len += snprintf(known + len, sizeof(known) - len, "%s%s",
				i ? ", " : "", px_calendar_at(i)->name);
	return px_error_set(err, PX_EXIT_USAGE,
			    "unknown calendar '%s': expected one of %s",
			    name ? name : "", known);
}
