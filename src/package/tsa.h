/* tsa.h - RFC 3161 time-stamps over a signature value (CAdES-T). */
#ifndef PX_TSA_H
#define PX_TSA_H

#include <stddef.h>

#include "portex/error.h"

/* Asks the time-stamping authority at url (HTTP POST of an
 * application/timestamp-query) for a token over SHA-256(data), with a
 * random nonce and the TSA's certificate requested. The answer must be
 * "granted" and carry the same imprint and nonce. On success *token is
 * the token (a DER ContentInfo), malloc'ed, *token_len bytes; the caller
 * frees it with free(). Errors: PX_EXIT_UNAVAILABLE (TSA unreachable or
 * refusing), PX_EXIT_SOFTWARE. */
int px_tsa_stamp(const char *url, const unsigned char *data, size_t len,
		 unsigned char **token, size_t *token_len, px_error *err);

#endif
