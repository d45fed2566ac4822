/*
 * link.h - signed download links. A link names a request and an expiry
 * (Unix seconds) and carries sig = base64url(HMAC-SHA-256(key,
 * "portex-package\n<id>\n<expires>")), so whoever holds it may download
 * that one package until then, without the portal's token.
 */
#ifndef PX_SERVE_LINK_H
#define PX_SERVE_LINK_H

#include <stddef.h>
#include <stdint.h>

#define PX_LINK_SIG_LEN 44 /* 43 characters of base64url and NUL */

typedef enum px_link_verdict {
	PX_LINK_OK,
	PX_LINK_ALTERED, /* missing, malformed or wrong signature: 403 */
	PX_LINK_EXPIRED, /* genuine but past its expiry: 410 */
} px_link_verdict;

/* Writes the signature of (id, expires) into sig. */
void px_link_sign(const char *key, long id, int64_t expires,
		  char sig[PX_LINK_SIG_LEN]);

/* The download link of request id's package, valid until expires, as
 * `portex serve` at public_url answers it: "<public_url>/v1/exports/<id>/
 * package?expires=<expires>&sig=<sig>", written into out (n bytes).
 * Used by serve's API and by `request deliver --method email`. 0, or -1
 * when out is too small. */
int px_link_url(const char *public_url, const char *key, long id,
		int64_t expires, char *out, size_t n);

/* Checks the query values (either may be NULL) against id at time now.
 * The signature is compared in constant time and checked before the
 * expiry, so an edited expiry is ALTERED, not EXPIRED. */
px_link_verdict px_link_check(const char *key, long id, const char *expires,
			      const char *sig, int64_t now);

#endif
