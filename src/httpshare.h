/*
 * httpshare.h - what portex's HTTP clients (the REST connector, portex
 * transmit) share: reading Retry-After, an OAuth2 client-credentials
 * token answer, and keeping secrets out of messages.
 */
#ifndef PX_HTTPSHARE_H
#define PX_HTTPSHARE_H

#include <jansson.h>
#include <stddef.h>

/* Longest wait a Retry-After is read as (a year): a server's "1e300" or
 * far date is capped before any conversion to an integer type. */
#define PX_RETRY_AFTER_MAX (366.0 * 86400)

/* A Retry-After value: delay-seconds or an HTTP-date (RFC 9110 10.2.3),
 * in seconds from now, within 0..PX_RETRY_AFTER_MAX; -1 when it is
 * neither. */
double px_retry_after(const char *v);

/* A JSON integer, an exact decimal integer (json_exact.c) or a string of
 * digits, into *out: 0, or -1 (not an integer, out of range). */
int px_json_int(const json_t *v, long long *out);

/* A token endpoint's answer (RFC 6749 5.1): a non-empty "access_token"
 * whose "token_type", if any, is "bearer", and an "expires_in", if any,
 * that is a whole number of seconds >= 0. Returns 0 with *token
 * malloc'd (the caller wipes and frees it) and *ttl the seconds, or -1
 * for none given; -1 when the answer is not that (nothing allocated;
 * *why says what was wrong). */
int px_oauth2_answer(const json_t *doc, char **token, long long *ttl,
		     const char **why);

/* When to ask for a new token got at `now` (seconds, any clock) living
 * ttl seconds: a little before expiry, so it never dies in flight (a
 * minute early, or at half a short life); 0 when ttl < 0 (no expiry). */
long px_oauth2_refresh_at(long now, long long ttl);

/* in copied into out (n bytes, always terminated) with every one of the
 * n_secrets secrets (those of 4 bytes or more; NULL entries skipped),
 * credential-like URL query values and user:password@ replaced by ***.
 * Reads a bounded window of in (enough to fill out many times over). */
void px_redact(const char *const *secrets, size_t n_secrets, const char *in,
	       char *out, size_t n);

#endif
