/*
 * convert.c - the declared conversions of convert.h, in one place for
 * every driver.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "convert.h"
#include "timefmt.h"
#include "tz.h"

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

int px_conv_zoned_time(const char *text, const px_tz *tz, char *out, size_t n)
{
	char utc[48];
	const char *frac;
	int y, mo, d, h, mi, sec;
	int64_t t;
	size_t len = strlen(text);

	if (px_rfc3339_utc(text, utc, sizeof(utc)))
		return -1;
	/* An offset or Z after the time: the text says its own zone. */
	if (len > 16 && (strchr(text + 16, 'Z') || strchr(text + 16, '+') ||
			 strchr(text + 16, '-'))) {
		snprintf(out, n, "%s", utc);
		return 0;
	}
	if (!tz)
		return -2;
	if (sscanf(utc, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi,
		   &sec) != 6)
		return -1;
	if (px_tz_from_local(tz,
			     px_days_from_civil(y, (unsigned)mo, (unsigned)d) *
				     86400 +
				 h * 3600 + mi * 60 + sec,
			     &t))
		return -1;
	px_rfc3339_from_epoch(t, 0, out, n);
	/* keep the fraction of seconds the text had */
	if ((frac = strchr(utc + 19, '.')) && strlen(out) > 1) {
		out[strlen(out) - 1] = '\0';
		strncat(out, frac, n - strlen(out) - 1);
	}
	return 0;
}

int px_conv_local_time(const char *text, const char *zone, char *out, size_t n)
{
	return px_conv_zoned_time(text, px_tz_shared(zone), out, n);
}
