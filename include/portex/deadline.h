/*
 * deadline.h - legal time limits (DESIGN.md "Legal time limits").
 *
 * A pure module: no I/O, no globals, no clock. A date is a px_day, the
 * number of days since 1970-01-01 in the proleptic Gregorian calendar, so
 * "the next day" is +1 and a duration is a subtraction.
 *
 * Rules (GDPR Art. 12(3) read with Regulation 1182/71, as the EDPB applies
 * it): the day of receipt is not counted; a period of N months ends on the
 * same date N months later, or on that month's last day when the date does
 * not exist; days the clock was suspended (waiting for proof of identity)
 * are added; an end falling on a Saturday, Sunday or public holiday of the
 * calendar moves to the next working day. The extended limit is one period
 * of three months from receipt, computed the same way.
 */
#ifndef PORTEX_DEADLINE_H
#define PORTEX_DEADLINE_H

#include "portex/error.h"

typedef long px_day;

/* Days since 1970-01-01 for a valid date; -1 (err: PX_EXIT_DATA, names the
 * date and why it is impossible) otherwise. Years 1583-9999. */
int px_date_from_ymd(int y, int m, int d, px_day *out, px_error *err);
void px_date_to_ymd(px_day day, int *y, int *m, int *d);

/* Strict "YYYY-MM-DD". Returns 0, or -1 with err (PX_EXIT_DATA) saying
 * what was expected or why the date does not exist (2026-02-30). */
int px_date_parse(const char *s, px_day *out, px_error *err);

/* Writes "YYYY-MM-DD" and a NUL into buf (at least 11 bytes). */
void px_date_format(px_day day, char *buf);

int px_days_in_month(int y, int m);
/* 0 = Monday ... 6 = Sunday (ISO 8601 order). */
int px_weekday(px_day day);
/* Easter Sunday of a Gregorian year (anonymous Gregorian algorithm). */
px_day px_easter(int year);
/* Same day-of-month `months` later, or that month's last day. */
px_day px_add_months(px_day day, int months);

/* A holiday calendar. Static data: never freed. */
typedef struct px_calendar px_calendar;

/* The calendar named (case-insensitive), or NULL. */
const px_calendar *px_calendar_find(const char *name);
/* Like px_calendar_find, but -1 with err (PX_EXIT_USAGE) naming the
 * calendars known when there is none by that name. */
int px_calendar_parse(const char *name, const px_calendar **out, px_error *err);
/* The default calendar (FR). */
const px_calendar *px_calendar_default(void);
const char *px_calendar_name(const px_calendar *cal);
/* The i-th calendar of the built-in tables, NULL past the last: for
 * messages and --help. */
const px_calendar *px_calendar_at(int i);
/* The holiday's name ("Ascension") when day is a public holiday of cal,
 * else NULL. Static. */
const char *px_holiday_name(const px_calendar *cal, px_day day);
int px_is_working_day(const px_calendar *cal, px_day day);
/* day itself when it is a working day, else the next one. */
px_day px_next_working_day(const px_calendar *cal, px_day day);

typedef struct px_deadline {
	px_day due;	 /* one month from receipt, plus suspension */
	px_day extended; /* three months from receipt, plus suspension */
} px_deadline;

/* The limits for a request received on `received` whose clock was
 * suspended for `suspended_days` (>= 0) days in all. */
void px_deadline_compute(const px_calendar *cal, px_day received,
			 long suspended_days, px_deadline *out);

#endif
