/*
 * auth.c - bearer token check. Both sides are hashed first so the
 * comparison runs over 32 bytes whatever was sent: neither a matching
 * prefix nor the length of the real token can be timed from outside.
 */
#include "serve/auth.h"

#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

int px_serve_auth_ok(const char *authorization, const char *token)
{
	unsigned char got[SHA256_DIGEST_LENGTH], want[SHA256_DIGEST_LENGTH];
	const char *given;
	int ok;

	if (!authorization || !token ||
	    strncasecmp(authorization, "Bearer ", 7))
		return 0;
	given = authorization + 7;
	while (*given == ' ')
		given++;
	SHA256((const unsigned char *)given, strlen(given), got);
	SHA256((const unsigned char *)token, strlen(token), want);
	ok = CRYPTO_memcmp(got, want, sizeof(got)) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	OPENSSL_cleanse(want, sizeof(want));
	return ok;
}
