/*
 * index_html_format.c - values as the page's language writes them: dates
 * and times in the controller's time zone with the zone named, numbers
 * grouped with the locale's separators, money with its currency, closed
 * lists' values in words. The data files keep the exact values; only the
 * page is written for a person.
 */
#include "html/index_html.h"
#include "portex/connector.h"
#include "timefmt.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* U+202F, the narrow no-break space French groups digits with, and
 * U+00A0 before a currency sign. */
#define NNBSP "\xE2\x80\xAF"
#define NBSP  "\xC2\xA0"

const px_tz *px_html_zone(const json_t *manifest)
{
	const char *z =
	    json_string_value(json_object_get(manifest, "timezone"));

	return z ? px_tz_shared(z) : NULL;
}

/* "YYYY-MM-DDTHH:MM:SS[.frac]Z" -> seconds, fraction digits. Read by
 * hand: a table cell of every record of a long entity comes here. */
static int parse_utc(const char *ts, int64_t *t, const char **frac,
		     size_t *nfrac)
{
	int y, mo, d, h, mi, s;
	size_t len;

	if (!ts || strlen(ts) < 20 || ts[4] != '-' || ts[7] != '-' ||
	    ts[10] != 'T' || ts[13] != ':' || ts[16] != ':')
		return -1;
	y = px_digits(ts, 4);
	mo = px_digits(ts + 5, 2);
	d = px_digits(ts + 8, 2);
	h = px_digits(ts + 11, 2);
	mi = px_digits(ts + 14, 2);
	s = px_digits(ts + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || s < 0 || s > 60)
		return -1;
	*frac = ts + 19;
	*nfrac = 0;
	if (**frac == '.') {
		(*frac)++;
		while (isdigit((unsigned char)(*frac)[*nfrac]))
			(*nfrac)++;
		if (!*nfrac)
			return -1;
	}
	len = 19 + (*nfrac ? *nfrac + 1 : 0);
	if (ts[len] != 'Z' || ts[len + 1])
		return -1;
	*t = px_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	     h * 3600 + mi * 60 + s;
	return 0;
}

/* "UTC+01:00", "UTC-03:30", "UTC" */
static void utc_offset(FILE *out, int off)
{
	fputs("UTC", out);
	if (!off)
		return;
	fprintf(out, "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 3600,
		abs(off) % 3600 / 60);
}

/* v as exactly n decimal digits (v < 10^n). */
static char *put_digits(char *p, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--, v /= 10)
		p[i] = (char)('0' + v % 10);
	return p + n;
}

/* The day as the page's language writes it: 31/12/2024, 2024-12-31. By
 * hand rather than printf: the dates of every record of a long entity
 * come here. */
static void write_day(FILE *out, px_lang lang, int64_t y, unsigned mo,
		      unsigned d)
{
	char b[16], *p = b;

	if (y < 0 || y > 9999) { /* an offset across year 0 or 9999 */
		if (lang == PX_LANG_EN)
			fprintf(out, "%04lld-%02u-%02u", (long long)y, mo, d);
		else
			fprintf(out, "%02u/%02u/%04lld", d, mo, (long long)y);
		return;
	}
	if (lang == PX_LANG_EN) {
		p = put_digits(p, (unsigned)y, 4);
		*p++ = '-';
		p = put_digits(p, mo, 2);
		*p++ = '-';
		p = put_digits(p, d, 2);
	} else {
		p = put_digits(p, d, 2);
		*p++ = '/';
		p = put_digits(p, mo, 2);
		*p++ = '/';
		p = put_digits(p, (unsigned)y, 4);
	}
	fwrite(b, 1, (size_t)(p - b), out);
}

/* secs since midnight as 08:32:08. */
static void write_clock(FILE *out, unsigned secs)
{
	char b[8], *p = put_digits(b, secs / 3600, 2);

	*p++ = ':';
	p = put_digits(p, secs % 3600 / 60, 2);
	*p++ = ':';
	p = put_digits(p, secs % 60, 2);
	fwrite(b, 1, (size_t)(p - b), out);
}

int px_html_datetime(FILE *out, px_lang lang, const px_tz *tz, const char *ts,
		     int long_form)
{
	const char *frac;
	size_t nfrac;
	int64_t t, y;
	unsigned mo, d;
	int off = 0;
	char abbr[16] = "UTC";

	if (parse_utc(ts, &t, &frac, &nfrac))
		return -1;
	if (tz)
		px_tz_at(tz, t, &off, abbr, sizeof(abbr));
	t += off;
	px_civil_from_days(t / 86400 - (t % 86400 < 0), &y, &mo, &d);
	t = (t % 86400 + 86400) % 86400;
	fputs("<time datetime=\"", out);
	px_html_text(out, ts);
	fputs("\">", out);
	write_day(out, lang, y, mo, d);
	fputs(long_form ? (lang == PX_LANG_EN ? " at " : " \xC3\xA0 ") : " ",
	      out);
	write_clock(out, (unsigned)t);
	if (nfrac) {
		fputc(lang == PX_LANG_EN ? '.' : ',', out);
		fwrite(frac, 1, nfrac, out);
	}
	fputc(' ', out);
	/* Some zones have no letters ("+03"): the offset says it all. */
	if (abbr[0] == '+' || abbr[0] == '-')
		utc_offset(out, off);
	else
		px_html_text(out, abbr);
	if (long_form && strcmp(abbr, "UTC")) {
		fputs(" (", out);
		utc_offset(out, off);
		fputc(')', out);
	}
	fputs("</time>", out);
	return 0;
}

/* "YYYY-MM-DD" -> "31/12/2024" in French; English keeps ISO 8601. */
int px_html_date(FILE *out, px_lang lang, const char *s)
{
	char day[16];

	if (strlen(s) != 10 || px_date_only(s, day, sizeof(day)))
		return -1;
	fputs("<time datetime=\"", out);
	px_html_text(out, s);
	fputs("\">", out);
	if (lang == PX_LANG_EN)
		px_html_text(out, s);
	else
		fprintf(out, "%.2s/%.2s/%.4s", s + 8, s + 5, s);
	fputs("</time>", out);
	return 0;
}

static int plain_decimal(const char *s)
{
	const char *p = s + (*s == '-');
	int dot = 0, any = 0;

	for (; *p; p++) {
		if (*p == '.' && !dot++ && any)
			continue;
		if (!isdigit((unsigned char)*p))
			return 0;
		any = 1;
	}
	return any && s[strlen(s) - 1] != '.';
}

/* "-1234567.25" -> "-1 234 567,25" (fr) or "-1,234,567.25" (en). Anything
 * but plain digits (an exact "1e400" from a source) is written as stored:
 * grouping an exponent would change what the number says. */
void px_html_decimal(FILE *out, px_lang lang, const char *digits)
{
	const char *dot = strchr(digits, '.'), *p = digits;
	size_t ilen;

	if (!plain_decimal(digits)) {
		px_html_text(out, digits);
		return;
	}
	if (*p == '-')
		fputc(*p++, out);
	ilen = dot ? (size_t)(dot - p) : strlen(p);
	for (size_t i = 0; i < ilen; i++) {
		if (i && (ilen - i) % 3 == 0)
			fputs(lang == PX_LANG_EN ? "," : NNBSP, out);
		fputc(p[i], out);
	}
	if (dot) {
		fputc(lang == PX_LANG_EN ? '.' : ',', out);
		px_html_text(out, dot + 1);
	}
}

void px_html_grouped(FILE *out, px_lang lang, json_int_t n)
{
	char digits[PX_INT_TEXT];

	px_html_decimal(out, lang, px_int_text((long long)n, digits));
}

/* "49,90 €" (fr), "€49.90" (en); a currency without a sign here keeps its
 * ISO 4217 code: "49,90 CHF", "CHF 49.90". */
static int money(FILE *out, px_lang lang, const char *amount,
		 const char *currency)
{
	static const struct {
		const char *code, *sign;
	} signs[] = {
	    {"EUR", "\xE2\x82\xAC"}, {"GBP", "\xC2\xA3"}, {"JPY", "\xC2\xA5"}};
	const char *sign = NULL;
	int neg = amount[0] == '-';

	if (!plain_decimal(amount) || !currency || strlen(currency) != 3)
		return -1;
	for (size_t i = 0; i < sizeof(signs) / sizeof(signs[0]); i++)
		if (!strcmp(signs[i].code, currency))
			sign = signs[i].sign;
	if (lang == PX_LANG_FR) {
		px_html_decimal(out, lang, amount);
		fputs(NBSP, out);
		px_html_text(out, sign ? sign : currency);
		return 0;
	}
	if (neg)
		fputc('-', out);
	px_html_text(out, sign ? sign : currency);
	if (!sign)
		fputs(NBSP, out);
	px_html_decimal(out, lang, amount + neg);
	return 0;
}

int px_html_cell(FILE *out, px_lang lang, const px_tz *tz,
		 const px_html_col *col, const px_jmember *v, const char *s,
		 size_t len, const char *currency)
{
	const char *word;
	char digits[64];

	if (v->kind == PX_JK_DECIMAL) { /* its exact digits */
		px_buf b = {0};
		int short_one = v->vlen < sizeof(digits);

		if (short_one) {
			memcpy(digits, v->val, v->vlen);
			digits[v->vlen] = 0;
		} else if (!px_jtext(v, &b)) {
			return -1;
		}
		px_html_decimal(out, lang, short_one ? digits : b.data);
		px_buf_free(&b);
		return 0;
	}
	if (v->kind == PX_JK_INTEGER) {
		px_html_grouped(out, lang, px_jinteger(v));
		return 0;
	}
	if (v->kind != PX_JK_STRING || strlen(s) != len)
		return -1;
	if (col->amount && !money(out, lang, s, currency))
		return 0;
	if (col->words && (word = px_i18n_value(lang, col->name, s))) {
		px_html_text(out, word);
		return 0;
	}
	if (!px_html_datetime(out, lang, tz, s, 0) ||
	    !px_html_date(out, lang, s))
		return 0;
	return -1;
}
