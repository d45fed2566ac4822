/*
 * tz.c - TZif files (RFC 8536) read into plain data. The transitions of the
 * version 2 block give the past; the footer's POSIX TZ rule
 * ("CET-1CEST,M3.5.0,M10.5.0/3") gives every instant after the last one,
 * which is all of them for a "slim" file.
 */
#include "tz.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

#define MAX_FILE (1 << 20)

typedef struct ttype {
	int32_t off;
	uint8_t dst;
	uint8_t abbr; /* index into chars */
} ttype;

/* A POSIX rule's date: Mm.w.d, Jn (1..365, no 29 February) or n
 * (0..365), at secs local time. */
typedef struct rule_date {
	char kind; /* 'M', 'J' or 'n' */
	int m, w, d, secs;
} rule_date;

typedef struct posix_rule {
	char std_abbr[16], dst_abbr[16];
	int std_off, dst_off, has_dst;
	rule_date start, end;
} posix_rule;

struct px_tz {
	char *name;
	size_t n_trans, n_types, n_chars;
	int64_t *trans;
	uint8_t *idx;
	ttype *types;
	char *chars;
	int has_rule;
	posix_rule rule;
};

static int64_t be(const unsigned char *p, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	if (bytes == 4)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

/* The six counts of a header: isut, isstd, leap, time, type, char. */
static int header(const unsigned char *p, size_t left, uint32_t c[6])
{
	if (left < 44 || memcmp(p, "TZif", 4))
		return -1;
	for (int i = 0; i < 6; i++)
		c[i] = (uint32_t)be(p + 20 + 4 * i, 4);
	return 0;
}

static size_t block_size(const uint32_t c[6], int tbytes)
{
	return (size_t)c[3] * (size_t)tbytes + c[3] + (size_t)c[4] * 6 + c[5] +
	       (size_t)c[2] * (size_t)(tbytes + 4) + c[1] + c[0];
}

/* [+-]hh[:mm[:ss]] -> seconds; NULL when it is not one. */
static const char *hms(const char *s, int *out)
{
	int sign = 1, v[3] = {0, 0, 0}, i = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (!isdigit((unsigned char)*s))
		return NULL;
	for (;;) {
		int n = 0;
		while (isdigit((unsigned char)*s) && n < 1000)
			n = n * 10 + (*s++ - '0');
		v[i++] = n;
		if (i == 3 || *s != ':' || !isdigit((unsigned char)s[1]))
			break;
		s++;
	}
	*out = sign * (v[0] * 3600 + v[1] * 60 + v[2]);
	return s;
}

static const char *abbr(const char *s, char *out, size_t n)
{
	size_t len = 0;
	const char *start = s;

	if (*s == '<') {
		start = ++s;
		while (*s && *s != '>')
			s++;
		if (*s != '>')
			return NULL;
		len = (size_t)(s - start);
		s++;
	} else {
		while (isalpha((unsigned char)*s))
			s++;
		len = (size_t)(s - start);
	}
	if (len < 3 || len >= n)
		return NULL;
	memcpy(out, start, len);
	out[len] = '\0';
	return s;
}

static const char *date(const char *s, rule_date *r)
{
	char *end;

	r->secs = 7200;
	if (*s == 'M') {
		r->kind = 'M';
		if (sscanf(s + 1, "%d.%d.%d", &r->m, &r->w, &r->d) != 3 ||
		    r->m < 1 || r->m > 12 || r->w < 1 || r->w > 5 || r->d < 0 ||
		    r->d > 6)
			return NULL;
		s++;
		for (int dots = 0;
		     isdigit((unsigned char)*s) || (*s == '.' && dots < 2); s++)
			dots += *s == '.';
	} else {
		r->kind = *s == 'J' ? 'J' : 'n';
		if (*s == 'J')
			s++;
		if (!isdigit((unsigned char)*s))
			return NULL;
		r->d = (int)strtol(s, &end, 10);
		s = end;
		if (r->d > 365 || (r->kind == 'J' && r->d < 1))
			return NULL;
	}
	if (*s == '/' && !(s = hms(s + 1, &r->secs)))
		return NULL;
	return s;
}

/* The footer: POSIX offsets count west, ours east. */
static int parse_rule(const char *s, posix_rule *r)
{
	int v;

	memset(r, 0, sizeof(*r));
	if (!(s = abbr(s, r->std_abbr, sizeof(r->std_abbr))) ||
	    !(s = hms(s, &v)))
		return -1;
	r->std_off = -v;
	if (!*s)
		return 0;
	if (!(s = abbr(s, r->dst_abbr, sizeof(r->dst_abbr))))
		return -1;
	r->has_dst = 1;
	r->dst_off = r->std_off + 3600;
	if (*s && *s != ',') {
		if (!(s = hms(s, &v)))
			return -1;
		r->dst_off = -v;
	}
	if (*s++ != ',' || !(s = date(s, &r->start)) || *s++ != ',' ||
	    !(s = date(s, &r->end)) || *s)
		return -1;
	return 0;
}

static int leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The local time (as seconds) the rule's date falls on in year y. */
static int64_t rule_local(const rule_date *r, int64_t y)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30,
				    31, 31, 30, 31, 30, 31};
	int64_t days = px_days_from_civil(y, 1, 1);

	if (r->kind == 'J')
		days += r->d - 1 + (leap(y) && r->d >= 60);
	else if (r->kind == 'n')
		days += r->d;
	else {
		int64_t first = px_days_from_civil(y, (unsigned)r->m, 1);
		int wd = (int)(((first + 4) % 7 + 7) % 7);
		int dim = mdays[r->m - 1] + (r->m == 2 && leap(y));
		int day = 1 + (r->d - wd + 7) % 7 + (r->w - 1) * 7;

		while (day > dim)
			day -= 7;
		days = first + day - 1;
	}
	return days * 86400 + r->secs;
}

static int rule_dst(const posix_rule *r, int64_t t)
{
	int64_t y, start, end;
	unsigned m, d;

	if (!r->has_dst)
		return 0;
	px_civil_from_days((t + r->std_off) / 86400 -
			       ((t + r->std_off) % 86400 < 0),
			   &y, &m, &d);
	start = rule_local(&r->start, y) - r->std_off;
	end = rule_local(&r->end, y) - r->dst_off;
	if (start < end)
		return t >= start && t < end;
	return !(t >= end && t < start);
}

static int parse(px_tz *tz, const unsigned char *p, size_t len)
{
	uint32_t c[6];
	size_t skip, need;
	const unsigned char *q;

	if (header(p, len, c) || p[4] < '2')
		return -1;
	skip = 44 + block_size(c, 4);
	if (skip > len || header(p + skip, len - skip, c))
		return -1;
	q = p + skip + 44;
	need = block_size(c, 8);
	if (c[4] == 0 || c[4] > 256 || need > len - skip - 44)
		return -1;
	tz->n_trans = c[3];
	tz->n_types = c[4];
	tz->n_chars = c[5];
	tz->trans = calloc(c[3] + 1, sizeof(*tz->trans));
	tz->idx = calloc(c[3] + 1, 1);
	tz->types = calloc(c[4], sizeof(*tz->types));
	tz->chars = calloc(c[5] + 1, 1);
	if (!tz->trans || !tz->idx || !tz->types || !tz->chars)
		return -1;
	for (size_t i = 0; i < c[3]; i++, q += 8)
		tz->trans[i] = be(q, 8);
	for (size_t i = 0; i < c[3]; i++, q++) {
		if (*q >= c[4])
			return -1;
		tz->idx[i] = *q;
	}
	for (size_t i = 0; i < c[4]; i++, q += 6) {
		tz->types[i].off = (int32_t)be(q, 4);
		tz->types[i].dst = q[4];
		tz->types[i].abbr = q[5];
		if (q[5] >= c[5])
			return -1;
	}
	memcpy(tz->chars, q, c[5]);
	q += need - (size_t)c[3] * 9 - (size_t)c[4] * 6;
	/* The footer: "\n" rule "\n" (empty when the file has none). */
	if ((size_t)(q - p) < len && *q == '\n') {
		const unsigned char *nl =
		    memchr(q + 1, '\n', len - (size_t)(q - p) - 1);
		char buf[128];

		if (nl && nl - q - 1 > 0 &&
		    (size_t)(nl - q - 1) < sizeof(buf)) {
			memcpy(buf, q + 1, (size_t)(nl - q - 1));
			buf[nl - q - 1] = '\0';
			if (parse_rule(buf, &tz->rule))
				return -1;
			tz->has_rule = 1;
		}
	}
	return 0;
}

static int name_ok(const char *zone)
{
	if (!zone || !*zone || zone[0] == '/' || strstr(zone, "..") ||
	    strlen(zone) > 100)
		return 0;
	for (const char *s = zone; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("/_+-", *s))
			return 0;
	return 1;
}

px_tz *px_tz_load(const char *zone)
{
	const char *dir = getenv("TZDIR");
	char path[512];
	unsigned char *buf = NULL;
	size_t len = 0;
	px_tz *tz;
	FILE *f;

	if (!name_ok(zone))
		return NULL;
	snprintf(path, sizeof(path), "%s/%s",
		 dir && *dir ? dir : "/usr/share/zoneinfo", zone);
	if (!(f = fopen(path, "rb")))
		return NULL;
	if ((buf = malloc(MAX_FILE)))
		len = fread(buf, 1, MAX_FILE, f);
	fclose(f);
	tz = calloc(1, sizeof(*tz));
	if (!buf || !tz || !(tz->name = strdup(zone)) || parse(tz, buf, len)) {
		free(buf);
		px_tz_free(tz);
		return NULL;
	}
	free(buf);
	return tz;
}

void px_tz_free(px_tz *tz)
{
	if (!tz)
		return;
	free(tz->name);
	free(tz->trans);
	free(tz->idx);
	free(tz->types);
	free(tz->chars);
	free(tz);
}

const char *px_tz_name(const px_tz *tz)
{
	return tz->name;
}

/* snprintf(out, n, "%s", s) without printf's machinery: every date of
 * every record of the html/ pages comes here. */
static void copy_abbr(char *out, size_t n, const char *s)
{
	size_t len = strlen(s);

	if (!n)
		return;
	if (len >= n)
		len = n - 1;
	memcpy(out, s, len);
	out[len] = '\0';
}

void px_tz_at(const px_tz *tz, int64_t t, int *offset, char *out, size_t n)
{
	const ttype *ty = &tz->types[0];

	if (tz->has_rule && (!tz->n_trans || t >= tz->trans[tz->n_trans - 1])) {
		int dst = rule_dst(&tz->rule, t);

		*offset = dst ? tz->rule.dst_off : tz->rule.std_off;
		copy_abbr(out, n, dst ? tz->rule.dst_abbr : tz->rule.std_abbr);
		return;
	}
	if (tz->n_trans && t >= tz->trans[0]) {
		size_t lo = 0,
		       hi = tz->n_trans; /* trans[lo] <= t < trans[hi] */

		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;
			if (tz->trans[mid] <= t)
				lo = mid;
			else
				hi = mid;
		}
		ty = &tz->types[tz->idx[lo]];
	}
	*offset = ty->off;
	copy_abbr(out, n, tz->chars + ty->abbr);
}

static int try_offset(const px_tz *tz, int64_t wall, int off, int64_t *best,
		      int found)
{
	char ab[16];
	int got;
	int64_t t = wall - off;

	px_tz_at(tz, t, &got, ab, sizeof(ab));
	if (got != off || (found && t >= *best))
		return found;
	*best = t;
	return 1;
}

int px_tz_from_local(const px_tz *tz, int64_t wall, int64_t *t)
{
	int found = 0;

	/* Each offset the zone ever had: the instants whose reading is wall
	 * are those where that offset was in force. */
	for (size_t i = 0; i < tz->n_types; i++)
		found = try_offset(tz, wall, tz->types[i].off, t, found);
	if (tz->has_rule) {
		found = try_offset(tz, wall, tz->rule.std_off, t, found);
		if (tz->rule.has_dst)
			found =
			    try_offset(tz, wall, tz->rule.dst_off, t, found);
	}
	return found ? 0 : -1;
}

/* Zones stay loaded for the process: a conversion per row must not read
 * a file per row, and a loaded zone never changes. */
typedef struct shared_zone {
	struct shared_zone *next;
	px_tz *tz;
} shared_zone;

static pthread_mutex_t shared_mu = PTHREAD_MUTEX_INITIALIZER;
static shared_zone *shared;

const px_tz *px_tz_shared(const char *zone)
{
	shared_zone *z;
	px_tz *tz = NULL;

	pthread_mutex_lock(&shared_mu);
	for (z = shared; z; z = z->next)
		if (!strcmp(z->tz->name, zone))
			break;
	if (!z && (tz = px_tz_load(zone)) && (z = malloc(sizeof(*z)))) {
		z->tz = tz;
		z->next = shared;
		shared = z;
		tz = NULL;
	}
	pthread_mutex_unlock(&shared_mu);
	px_tz_free(tz);
	return z ? z->tz : NULL;
}
