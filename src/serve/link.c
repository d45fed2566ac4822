/* link.c - HMAC-SHA-256 download links (see link.h). */
#include "serve/link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

static void mac(const char *key, long id, int64_t expires,
		unsigned char out[32])
{
	char msg[64];
	unsigned int n = 32;
	int len = snprintf(msg, sizeof(msg), "portex-package\n%ld\n%lld", id,
			   (long long)expires);

	HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)msg,
	     (size_t)len, out, &n);
}

void px_link_sign(const char *key, long id, int64_t expires,
		  char sig[PX_LINK_SIG_LEN])
{
	static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "abcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char d[33] = {0};
	size_t o = 0;

	mac(key, id, expires, d);
	/* 32 bytes: ten groups of three, then two bytes = 43 characters. */
	for (size_t i = 0; i < 33; i += 3) {
		unsigned v =
		    (unsigned)d[i] << 16 | (unsigned)d[i + 1] << 8 | d[i + 2];
		sig[o++] = b64url[v >> 18 & 63];
		sig[o++] = b64url[v >> 12 & 63];
		sig[o++] = b64url[v >> 6 & 63];
		if (i + 3 < 33)
			sig[o++] = b64url[v & 63];
	}
	sig[o] = '\0';
	OPENSSL_cleanse(d, sizeof(d));
}

int px_link_url(const char *public_url, const char *key, long id,
		int64_t expires, char *out, size_t n)
{
	char sig[PX_LINK_SIG_LEN];
	size_t len = strlen(public_url);
	int w;

	/* "https://h/base/" and "https://h/base" give the same link. */
	while (len && public_url[len - 1] == '/')
		len--;
	px_link_sign(key, id, expires, sig);
	w = snprintf(out, n, "%.*s/v1/exports/%ld/package?expires=%lld&sig=%s",
		     (int)len, public_url, id, (long long)expires, sig);
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

/* A decimal Unix time, nothing else (no sign, no spaces, no 0x). */
static int parse_time(const char *s, int64_t *out)
{
	char *end;
	long long v;

	/* One spelling per number: "0123" is not the link portex made. */
	if (!s || !*s || strlen(s) > 18 || *s < '0' || *s > '9' ||
	    (*s == '0' && s[1]))
		return -1;
	v = strtoll(s, &end, 10);
	if (*end)
		return -1;
	*out = v;
	return 0;
}

px_link_verdict px_link_check(const char *key, long id, const char *expires,
			      const char *sig, int64_t now)
{
	char want[PX_LINK_SIG_LEN];
	int64_t exp;
	int same;

	if (parse_time(expires, &exp) || !sig ||
	    strlen(sig) != PX_LINK_SIG_LEN - 1)
		return PX_LINK_ALTERED;
	px_link_sign(key, id, exp, want);
	same = CRYPTO_memcmp(want, sig, PX_LINK_SIG_LEN - 1) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	if (!same)
		return PX_LINK_ALTERED;
	return now > exp ? PX_LINK_EXPIRED : PX_LINK_OK;
}
