/*
 * rest_jwt.c - private_key_jwt client authentication (RFC 7523 2.2, OpenID
 * Connect Core 9) for partners that refuse shared secrets: the token
 * request carries a short-lived JWT signed with the client's RSA key
 * (RS256). The key is read from a PEM file once, at open; it never reaches
 * a message, and its bytes are freed with the source.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rest.h"

#define LIFETIME_S 300 /* the assertion's life: enough for one request */

int rest_jwt_load_key(px_source *s, const char *path, px_error *err)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
		EVP_PKEY_free(k);
		return px_cfg_error(err, s->cfg, "/auth/private_key",
				    "%s: expected a PEM RSA private key "
				    "without a passphrase (private_key_jwt "
				    "signs with RS256)",
				    path);
	}
	s->jwt_key = k;
	return 0;
}

/* base64url without padding (RFC 7515 2), malloc'd. */
static char *b64url(const void *p, size_t n)
{
	char *o = rest_base64_encode(p, n), *c;

	if (!o)
		return NULL;
	for (c = o; *c && *c != '='; c++)
		*c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
	*c = '\0';
	return o;
}

char *rest_jwt_assertion(px_source *s, px_error *err)
{
	unsigned char jti[16], *sig = NULL;
	char jtix[33], *head = NULL, *body = NULL, *sig64 = NULL, *out = NULL;
	time_t now = time(NULL);
	json_t *claims;
	char *cj = NULL;
	rest_buf in = {0};
	EVP_MD_CTX *md = NULL;
	size_t siglen = 0;

	if (RAND_bytes(jti, sizeof(jti)) != 1) {
		px_error_set(err, PX_EXIT_SOFTWARE,
			     "source %s: OAuth2 token: no random bytes for "
			     "the assertion's jti",
			     s->cfg->name);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(jti); i++)
		snprintf(jtix + 2 * i, 3, "%02x", jti[i]);
	/* iss and sub are the client; aud is the token endpoint */
	claims = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "iss",
			   s->client_id, "sub", s->client_id, "aud",
			   s->token_url, "jti", jtix, "iat", (json_int_t)now,
			   "exp", (json_int_t)(now + LIFETIME_S));
	cj = claims ? json_dumps(claims, JSON_COMPACT) : NULL;
	head = b64url("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", 27);
	body = cj ? b64url(cj, strlen(cj)) : NULL;
	if (!head || !body || rest_buf_printf(&in, "%s.%s", head, body) ||
	    !(md = EVP_MD_CTX_new()) ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, s->jwt_key) != 1 ||
	    EVP_DigestSign(md, NULL, &siglen, (unsigned char *)in.data,
			   in.len) != 1 ||
	    !(sig = malloc(siglen)) ||
	    EVP_DigestSign(md, sig, &siglen, (unsigned char *)in.data,
			   in.len) != 1 ||
	    !(sig64 = b64url(sig, siglen)) ||
	    rest_buf_printf(&in, ".%s", sig64)) {
		px_error_set(err, PX_EXIT_SOFTWARE,
			     "source %s: OAuth2 token: cannot sign the "
			     "private_key_jwt assertion",
			     s->cfg->name);
		free(in.data);
	} else {
		out = in.data;
	}
	EVP_MD_CTX_free(md);
	json_decref(claims);
	free(cj);
	free(head);
	free(body);
	free(sig);
	free(sig64);
	return out;
}
