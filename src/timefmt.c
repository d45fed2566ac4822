/*
 * timefmt.c - dates and instants as the package's common rules want them.
 * Civil-date arithmetic is Howard Hinnant's days_from_civil: no time zone
 * database and no dependence on the process's TZ.
 */
#include "timefmt.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t px_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void px_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int px_digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* px_digits() for a chain of checks: 0 with *out, or -1. */
static int digits(const char *s, int n, int *out)
{
	return (*out = px_digits(s, n)) < 0 ? -1 : 0;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30,
				 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 ? 28 + leap : dm[m - 1];
}

static int parse_date(const char *s, int *y, int *m, int *d)
{
	if (digits(s, 4, y) || s[4] != '-' || digits(s + 5, 2, m) ||
	    s[7] != '-' || digits(s + 8, 2, d))
		return -1;
	if (*m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
		return -1;
	return 0;
}

int px_rfc3339_utc(const char *s, char *out, size_t outsz)
{
	int y, mo, d, h, mi, sec = 0, oh = 0, om = 0, sign = 0;
	char frac[11] = "";
	const char *p;
	int64_t t;

	if (parse_date(s, &y, &mo, &d) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' '))
		return -1;
	p = s + 11;
	if (digits(p, 2, &h) || p[2] != ':' || digits(p + 3, 2, &mi))
		return -1;
	p += 5;
	if (*p == ':') {
		if (digits(p + 1, 2, &sec))
			return -1;
		p += 3;
		if (*p == '.') {
			size_t n = 0;
			for (p++; isdigit((unsigned char)*p); p++)
				if (n < 9)
					frac[1 + n++] = *p;
			if (!n)
				return -1;
			frac[0] = '.';
			frac[1 + n] = '\0';
		}
	}
	if (h > 23 || mi > 59 || sec > 60)
		return -1;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (digits(p + 1, 2, &oh))
			return -1;
		p += 3;
		if (*p == ':')
			p++;
		if (isdigit((unsigned char)*p)) {
			if (digits(p, 2, &om))
				return -1;
			p += 2;
		}
		if (oh > 23 || om > 59)
			return -1;
	}
	if (*p)
		return -1;
	/* A leap second keeps its :60 rather than spilling into a minute. */
	t = px_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 - sign * (oh * 3600 + om * 60);
	int leap = sec == 60;
	t += leap ? 59 : sec;
	px_rfc3339_from_epoch(t, 0, out, outsz);
	if (leap)
		out[17] = '6', out[18] = '0';
	if (frac[0]) {
		size_t n = strlen(out);
		snprintf(out + n - 1, outsz - n + 1, "%sZ", frac);
	}
	return 0;
}

static char *put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

/* Formatted by hand: this runs once per timestamp of every record, and
 * snprintf was a measurable part of an export. */
void px_rfc3339_from_epoch(int64_t t, int ms, char *out, size_t outsz)
{
	int64_t y, days, rem, millis = 0;
	unsigned m, d;
	char buf[48], *p = buf;

	if (ms) {
		millis = t % 1000;
		t /= 1000;
		if (millis < 0) {
			millis += 1000;
			t--;
		}
	}
	days = t / 86400;
	rem = t % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	px_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		snprintf(out, outsz, "%04lld-%02u-%02uT%02d:%02d:%02dZ",
			 (long long)y, m, d, (int)(rem / 3600),
			 (int)(rem / 60 % 60), (int)(rem % 60));
		return;
	}
	p = put2(p, (unsigned)(y / 100));
	p = put2(p, (unsigned)(y % 100));
	*p++ = '-';
	p = put2(p, m);
	*p++ = '-';
	p = put2(p, d);
	*p++ = 'T';
	p = put2(p, (unsigned)(rem / 3600));
	*p++ = ':';
	p = put2(p, (unsigned)(rem / 60 % 60));
	*p++ = ':';
	p = put2(p, (unsigned)(rem % 60));
	if (ms && millis) {
		*p++ = '.';
		*p++ = (char)('0' + millis / 100);
		p = put2(p, (unsigned)(millis % 100));
	}
	*p++ = 'Z';
	*p = '\0';
	snprintf(out, outsz, "%s", buf);
}

int px_is_rfc3339_utc(const char *s, size_t len)
{
	int y, mo, d, h, mi, sec;

	return len == 20 && s[10] == 'T' && s[19] == 'Z' &&
	       !parse_date(s, &y, &mo, &d) && !digits(s + 11, 2, &h) &&
	       s[13] == ':' && !digits(s + 14, 2, &mi) && s[16] == ':' &&
	       !digits(s + 17, 2, &sec) && h < 24 && mi < 60 && sec <= 60;
}

int px_date_only(const char *s, char *out, size_t outsz)
{
	int y, m, d;

	if (parse_date(s, &y, &m, &d))
		return -1;
	if (s[10] && strcmp(s + 10, " 00:00:00") &&
	    strcmp(s + 10, "T00:00:00") && strcmp(s + 10, "T00:00:00Z"))
		return -1;
	snprintf(out, outsz, "%04d-%02d-%02d", y, m, d);
	return 0;
}

int64_t px_now(void)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long t;

	if (sde && *sde) {
		t = strtoll(sde, &end, 10);
		if (!*end && t >= 0)
			return (int64_t)t;
	}
	return (int64_t)time(NULL);
}
