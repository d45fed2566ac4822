/*
 * rest_jwt.c - private_key_jwt client authentication (RFC 7523 2.2, OpenID
 * Connect Core 9) for partners that refuse shared secrets: the token
 * request carries a short-lived JWT signed with the client's RSA key
 * (RS256), naming the key's id (kid) when the config gives one. The key
 * is read from a PEM file once, at open (decrypted with its passphrase
 * when it has one, never asked for on a terminal); neither reaches a
 * message, and the key's bytes are freed with the source.
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

/* The passphrase of an encrypted key: never a prompt on the terminal. */
struct pass {
	const char *text; /* or NULL */
	int asked;
};

static int pass_cb(char *buf, int size, int rwflag, void *u)
{
	struct pass *p = u;
	size_t n = p->text ? strlen(p->text) : 0;

	(void)rwflag;
	p->asked = 1;
	if (!p->text || n > (size_t)size)
		return 0;
	memcpy(buf, p->text, n);
	return (int)n;
}

int rest_jwt_load_key(px_source *s, const char *path, const char *passphrase,
		      const char *kid, px_error *err)
{
	struct pass p = {passphrase, 0};
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, pass_cb, &p) : NULL;

	if (f)
		fclose(f);
	if (!k && p.asked && !passphrase)
		return px_cfg_error(err, s->cfg, "/auth/private_key",
				    "%s: the key is encrypted; give its "
				    "passphrase as auth.private_key_passphrase "
				    "(${VARIABLE})",
				    path);
	if (!k && p.asked)
		return px_cfg_error(err, s->cfg, "/auth/private_key_passphrase",
				    "does not decrypt the key in %s", path);
	if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
		EVP_PKEY_free(k);
		return px_cfg_error(err, s->cfg, "/auth/private_key",
				    "%s: expected a PEM RSA private key "
				    "(private_key_jwt signs with RS256)",
				    path);
	}
	if (kid && !(s->jwt_kid = strdup(kid))) {
		EVP_PKEY_free(k);
		return px_error_oom(err);
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
	json_t *claims, *hdr;
	char *cj = NULL, *hj = NULL;
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
	/* kid: which of the client's registered keys signed (RFC 7515 4.1.4) */
	hdr = s->jwt_kid
		  ? json_pack("{s:s, s:s, s:s}", "alg", "RS256", "typ", "JWT",
			      "kid", s->jwt_kid)
		  : json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT");
	hj = hdr ? json_dumps(hdr, JSON_COMPACT) : NULL;
	head = hj ? b64url(hj, strlen(hj)) : NULL;
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
	json_decref(hdr);
	free(cj);
	free(hj);
	free(head);
	free(body);
	free(sig);
	free(sig64);
	return out;
}
