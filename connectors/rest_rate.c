/*
 * rest_rate.c - pacing from the partner's rate-limit headers, before a 429
 * comes: RateLimit-Limit/-Remaining/-Reset (IETF httpapi draft) and the
 * older X-RateLimit-* spelling. When no request remains, the next one
 * waits for the reset; a limit of 0, or nothing left with no reset said,
 * is an error (portex cannot know when to go on). Also the source's
 * overall time budget (max_source_seconds).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "rest.h"

static const char *const names[] = {"RateLimit-Limit", "RateLimit-Remaining",
				    "RateLimit-Reset", NULL};

/* Index 0..2 of the header (with or without "X-"), or -1. */
static int which(const char *p, size_t n)
{
	if (n > 2 && !strncasecmp(p, "X-", 2)) {
		p += 2;
		n -= 2;
	}
	for (int i = 0; names[i]; i++)
		if (n == strlen(names[i]) && !strncasecmp(p, names[i], n))
			return i;
	return -1;
}

int rest_ratelimit_header(const char *p, size_t n)
{
	return which(p, n) >= 0;
}

void rest_ratelimit_read(rest_resp *r, const char *p, size_t n, const char *v)
{
	char *e;
	long long x;
	int i = which(p, n);

	/* "100" or "100;w=60" (the draft's quota policy): the number. */
	x = strtoll(v, &e, 10);
	if (e == v || x < 0 || (*e && *e != ';' && *e != ',' && *e != ' '))
		return; /* unreadable: a 429 will still be honoured */
	if (i == 2 && x > 1000000000LL) {
		/* X-RateLimit-Reset as a Unix time (GitHub style) */
		x -= (long long)time(NULL);
		x = x > 0 ? x : 0;
	}
	if (x > INT_MAX)
		x = INT_MAX;
	if (i == 0)
		r->rl_limit = (long)x;
	else if (i == 1)
		r->rl_remaining = (long)x;
	else if (i == 2)
		r->rl_reset = (long)x;
}

long rest_source_time_left(const px_source *s)
{
	if (!s->source_deadline_ms)
		return LONG_MAX;
	return s->source_deadline_ms - rest_now_ms();
}

void rest_ratelimit_note(px_source *s, const rest_resp *r)
{
	if (r->rl_limit > 0)
		s->rl_limit = r->rl_limit;
	if (r->rl_remaining >= 0)
		s->rl_left = r->rl_remaining;
	if (r->rl_remaining == 0 && r->rl_reset >= 0)
		s->pace_until_ms = rest_now_ms() + r->rl_reset * 1000L;
}

int rest_ratelimit_check(px_source *s, const rest_resp *r, const char *what,
			 const char *url, int note, px_error *err)
{
	long wait;

	if (r->rl_limit == 0)
		return px_error_set(err, PX_EXIT_UNAVAILABLE,
				    "source %s: %s: %s: the partner's rate "
				    "limit is 0 requests (RateLimit-Limit: 0); "
				    "nothing can be fetched",
				    s->cfg->name, what, url);
	if (r->rl_remaining != 0) {
		if (note)
			rest_ratelimit_note(s, r);
		return 0;
	}
	if (r->rl_reset < 0)
		return px_error_set(err, PX_EXIT_UNAVAILABLE,
				    "source %s: %s: %s: the partner says 0 "
				    "requests remain (RateLimit-Remaining: 0) "
				    "and gives no reset time; cannot pace",
				    s->cfg->name, what, url);
	wait = r->rl_reset * 1000L;
	if (wait > s->budget_ms || wait > rest_source_time_left(s))
		return px_error_set(
		    err, PX_EXIT_UNAVAILABLE,
		    "source %s: %s: %s: the rate limit resets "
		    "in %ld s, past the %s (%ld requests so far)",
		    s->cfg->name, what, url, r->rl_reset,
		    wait > rest_source_time_left(s)
			? "source's time budget "
			  "(max_source_seconds)"
			: "retry budget (max_total_seconds)",
		    s->requests);
	if (note)
		rest_ratelimit_note(s, r);
	return 0;
}

void rest_pace(px_source *s)
{
	long d = s->pace_until_ms - rest_now_ms();

	if (s->pace_until_ms && d > 0) {
		s->paced_ms += d;
		rest_sleep_ms(d);
	}
	/* after a reset, the whole quota again (as far as portex knows) */
	if (s->pace_until_ms)
		s->rl_left = s->rl_limit;
	s->pace_until_ms = 0;
}
