/*
 * convert.c - the declared conversions of convert.h, in one place for
 * every driver.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "convert.h"
#include "timefmt.h"

int px_conv_scaled(const char *integer, int scale, char *out, size_t n)
{
	const char *d = integer;
	int neg = 0;
	size_t len, o = 0;

	if (*d == '-' || *d == '+')
		neg = *d++ == '-';
	len = strlen(d);
	if (!len || d[strspn(d, "0123456789")] || scale < -30 || scale > 30)
		return -1;
	while (len > 1 && *d == '0') { /* leading zeros */
		d++;
		len--;
	}
	/* sign, "0.", the digits, padding zeros, NUL */
	if (len + (size_t)(scale < 0 ? -scale : scale) + 4 > n)
		return -1;
	if (neg && strspn(d, "0") != len)
		out[o++] = '-';
	if (scale <= 0) {
		memcpy(out + o, d, len);
		o += len;
		if (strcmp(d, "0"))
			for (int i = 0; i < -scale; i++)
				out[o++] = '0';
	} else if ((size_t)scale >= len) {
		out[o++] = '0';
		out[o++] = '.';
		for (size_t i = len; i < (size_t)scale; i++)
			out[o++] = '0';
		memcpy(out + o, d, len);
		o += len;
	} else {
		memcpy(out + o, d, len - (size_t)scale);
		o += len - (size_t)scale;
		out[o++] = '.';
		memcpy(out + o, d + len - (size_t)scale, (size_t)scale);
		o += (size_t)scale;
	}
	out[o] = '\0';
	return 0;
}

int px_conv_iso_duration(const char *text, char *out, size_t n)
{
	const char *p = text;
	long double total = 0;
	int in_time = 0, any = 0, frac = 0;

	if (*p++ != 'P')
		return -1;
	while (*p) {
		char *e;
		long double v;

		if (*p == 'T') {
			if (in_time)
				return -1;
			in_time = 1;
			p++;
			continue;
		}
		if (!isdigit((unsigned char)*p))
			return -1;
		v = strtold(p, &e);
		if (e == p)
			return -1;
		if (memchr(p, '.', (size_t)(e - p)) ||
		    memchr(p, ',', (size_t)(e - p)))
			frac = 1;
		p = e;
		switch (in_time ? *p | 0x100 : *p) {
		case 'W':
			total += v * 604800;
			break;
		case 'D':
			total += v * 86400;
			break;
		case 'H' | 0x100:
			total += v * 3600;
			break;
		case 'M' | 0x100:
			total += v * 60;
			break;
		case 'S' | 0x100:
			total += v;
			break;
		default: /* Y and M (months): no fixed length */
			return -1;
		}
		p++;
		any = 1;
	}
	if (!any || (in_time && p[-1] == 'T') || total > 1e15L)
		return -1;
	if (frac)
		snprintf(out, n, "%.3Lf", total);
	else
		snprintf(out, n, "%.0Lf", total);
	if (frac) { /* "5400.500" -> "5400.5" */
		size_t l = strlen(out);
		while (l && out[l - 1] == '0')
			out[--l] = '\0';
		if (l && out[l - 1] == '.')
			out[--l] = '\0';
	}
	return 0;
}

static int leap(long y)
{
	return (y % 4 == 0 && y % 100) || y % 400 == 0;
}

int px_conv_dmy(const char *text, char *out, size_t n)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};
	unsigned d, m, y;
	int used = 0;

	if (sscanf(text, "%2u/%2u/%4u%n", &d, &m, &y, &used) != 3 ||
	    text[used] || strlen(text) < 8 || !isdigit((unsigned char)text[0]))
		return -1;
	if (y < 1 || m < 1 || m > 12 || d < 1 ||
	    d > (unsigned)(mdays[m - 1] + (m == 2 && leap((long)y))))
		return -1;
	snprintf(out, n, "%04u-%02u-%02u", y, m, d);
	return 0;
}

/* The C library knows one zone at a time (TZ): switching it is
 * serialised here, the only place portex does. */
static pthread_mutex_t tz_mu = PTHREAD_MUTEX_INITIALIZER;

static int zone_known(const char *zone)
{
	char path[256];

	if (!*zone || zone[0] == '/' || strstr(zone, "..") ||
	    strlen(zone) > 100)
		return 0;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", zone);
	return !access(path, R_OK);
}

int px_conv_local_time(const char *text, const char *zone, char *out, size_t n)
{
	char utc[48], tzv[128], *old, *saved = NULL;
	const char *frac;
	struct tm tm = {0}, back;
	time_t t;
	size_t len = strlen(text);
	int ok;

	if (px_rfc3339_utc(text, utc, sizeof(utc)))
		return -1;
	/* An offset or Z after the time: the text says its own zone. */
	if (len > 16 && (strchr(text + 16, 'Z') || strchr(text + 16, '+') ||
			 strchr(text + 16, '-'))) {
		snprintf(out, n, "%s", utc);
		return 0;
	}
	if (!zone_known(zone))
		return -2;
	if (sscanf(utc, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	back = tm;
	snprintf(tzv, sizeof(tzv), ":%s", zone);
	pthread_mutex_lock(&tz_mu);
	old = getenv("TZ");
	if (old)
		saved = strdup(old);
	setenv("TZ", tzv, 1);
	tzset();
	t = mktime(&tm);
	/* mktime moves a wall time in the spring gap: it did not exist. */
	ok = t != (time_t)-1 && tm.tm_hour == back.tm_hour &&
	     tm.tm_min == back.tm_min && tm.tm_mday == back.tm_mday;
	if (ok && tm.tm_isdst == 0) {
		/* In the autumn overlap take the first (summer) reading. */
		struct tm dst = back;
		time_t t2;

		dst.tm_isdst = 1;
		t2 = mktime(&dst);
		if (t2 != (time_t)-1 && t2 < t && dst.tm_isdst == 1 &&
		    dst.tm_hour == back.tm_hour && dst.tm_min == back.tm_min)
			t = t2;
	}
	if (saved)
		setenv("TZ", saved, 1);
	else
		unsetenv("TZ");
	tzset();
	pthread_mutex_unlock(&tz_mu);
	free(saved);
	if (!ok)
		return -1;
	px_rfc3339_from_epoch((int64_t)t, 0, out, n);
	/* keep the fraction of seconds the text had */
	if ((frac = strchr(utc + 19, '.')) && strlen(out) > 1) {
		out[strlen(out) - 1] = '\0';
		strncat(out, frac, n - strlen(out) - 1);
	}
	return 0;
}
