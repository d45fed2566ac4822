/*
 * tsa.c - an RFC 3161 client: one time-stamp request over HTTP, its
 * answer checked against the request (status, imprint, nonce) before the
 * token is kept. The token's own signature is the TSA's; verify checks it.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ts.h>

#include "package/tsa.h"

#define MAX_REPLY (1u << 20) /* a token is a few KB */

struct reply {
	unsigned char *data;
	size_t len;
	int too_big;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct reply *r = ud;
	size_t add = size * n;
	unsigned char *d;

	if (r->len + add > MAX_REPLY) {
		r->too_big = 1;
		return 0;
	}
	d = realloc(r->data, r->len + add);
	if (!d)
		return 0;
	memcpy(d + r->len, p, add);
	r->data = d;
	r->len += add;
	return add;
}

/* A DER TimeStampReq over SHA-256(data) with a 64-bit nonce. */
static TS_REQ *make_request(const unsigned char *data, size_t len,
			    ASN1_INTEGER **nonce)
{
	unsigned char md[32], rnd[8];
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	BIGNUM *bn = NULL;
	int ok = 0;

	*nonce = NULL;
	if (!req || !mi || !alg ||
	    !EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL) ||
	    RAND_bytes(rnd, sizeof(rnd)) != 1)
		goto out;
	rnd[0] &= 0x7f;
	X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL);
	bn = BN_bin2bn(rnd, sizeof(rnd), NULL);
	*nonce = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	ok = *nonce && TS_REQ_set_version(req, 1) &&
	     TS_MSG_IMPRINT_set_algo(mi, alg) &&
	     TS_MSG_IMPRINT_set_msg(mi, md, sizeof(md)) &&
	     TS_REQ_set_msg_imprint(req, mi) && TS_REQ_set_nonce(req, *nonce) &&
	     TS_REQ_set_cert_req(req, 1);
out:
	BN_free(bn);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	if (!ok) {
		TS_REQ_free(req);
		ASN1_INTEGER_free(*nonce);
		*nonce = NULL;
		return NULL;
	}
	return req;
}

static int post(const char *url, const unsigned char *q, size_t qlen,
		struct reply *r, px_error *err)
{
	char cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();
	CURLcode rc = CURLE_FAILED_INIT;
	long status = 0;

	h = curl_slist_append(h, "Content-Type: application/timestamp-query");
	if (c && h && !curl_easy_setopt(c, CURLOPT_URL, url) &&
	    !curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr) &&
	    !curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) &&
	    !curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") &&
	    !curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L) &&
	    !curl_easy_setopt(c, CURLOPT_HTTPHEADER, h) &&
	    !curl_easy_setopt(c, CURLOPT_POSTFIELDS, q) &&
	    !curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)qlen) &&
	    !curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) &&
	    !curl_easy_setopt(c, CURLOPT_WRITEDATA, r) &&
	    !curl_easy_setopt(c, CURLOPT_USERAGENT, "portex/" PX_VERSION))
		rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	if (c)
		curl_easy_cleanup(c);
	if (rc != CURLE_OK)
		return px_error_set(err, PX_EXIT_UNAVAILABLE,
				    "time-stamp authority %s: %s", url,
				    r->too_big ? "answer larger than 1 MiB"
				    : cerr[0]  ? cerr
					       : curl_easy_strerror(rc));
	if (status != 200)
		return px_error_set(err, PX_EXIT_UNAVAILABLE,
				    "time-stamp authority %s: HTTP %ld", url,
				    status);
	return 0;
}

/* The answer is for this request: granted, same imprint, same nonce. */
static int check_reply(const char *url, TS_RESP *resp, TS_REQ *req,
		       const ASN1_INTEGER *nonce, px_error *err)
{
	TS_STATUS_INFO *si = TS_RESP_get_status_info(resp);
	const ASN1_INTEGER *st = si ? TS_STATUS_INFO_get0_status(si) : NULL;
	TS_TST_INFO *tst = TS_RESP_get_tst_info(resp);
	TS_MSG_IMPRINT *want = TS_REQ_get_msg_imprint(req), *got;
	ASN1_OCTET_STRING *a, *b;
	long s = st ? ASN1_INTEGER_get(st) : -1;

	if (s != 0 && s != 1) /* granted, grantedWithMods */
		return px_error_set(err, PX_EXIT_UNAVAILABLE,
				    "time-stamp authority %s refused the "
				    "request (PKIStatus %ld)",
				    url, s);
	if (!tst || !TS_RESP_get_token(resp))
		return px_error_set(err, PX_EXIT_UNAVAILABLE,
				    "time-stamp authority %s: granted but no "
				    "token",
				    url);
	got = TS_TST_INFO_get_msg_imprint(tst);
	a = TS_MSG_IMPRINT_get_msg(want);
	b = got ? TS_MSG_IMPRINT_get_msg(got) : NULL;
	if (!b || ASN1_OCTET_STRING_cmp(a, b) ||
	    OBJ_obj2nid(TS_MSG_IMPRINT_get_algo(got)->algorithm) != NID_sha256)
		return px_error_set(err, PX_EXIT_UNAVAILABLE,
				    "time-stamp authority %s: the token is "
				    "over other data than asked",
				    url);
	if (!TS_TST_INFO_get_nonce(tst) ||
	    ASN1_INTEGER_cmp(TS_TST_INFO_get_nonce(tst), nonce))
		return px_error_set(err, PX_EXIT_UNAVAILABLE,
				    "time-stamp authority %s: the token's "
				    "nonce is not the request's (a replay?)",
				    url);
	return 0;
}

int px_tsa_stamp(const char *url, const unsigned char *data, size_t len,
		 unsigned char **token, size_t *token_len, px_error *err)
{
	ASN1_INTEGER *nonce = NULL;
	TS_REQ *req = make_request(data, len, &nonce);
	struct reply r = {0};
	unsigned char *q = NULL, *p;
	const unsigned char *cp;
	TS_RESP *resp = NULL;
	int qlen = -1, n, rc = -1;

	*token = NULL;
	if (req)
		qlen = i2d_TS_REQ(req, &q);
	if (qlen <= 0) {
		px_error_set(err, PX_EXIT_SOFTWARE,
			     "cannot make a time-stamp request");
		goto out;
	}
	if (post(url, q, (size_t)qlen, &r, err))
		goto out;
	cp = r.data;
	resp = d2i_TS_RESP(NULL, &cp, (long)r.len);
	if (!resp || cp != r.data + r.len) {
		px_error_set(err, PX_EXIT_UNAVAILABLE,
			     "time-stamp authority %s: the answer is not a "
			     "DER TimeStampResp (%zu bytes)",
			     url, r.len);
		goto out;
	}
	if (check_reply(url, resp, req, nonce, err))
		goto out;
	n = i2d_PKCS7(TS_RESP_get_token(resp), NULL);
	if (n <= 0 || !(*token = malloc((size_t)n))) {
		px_error_oom(err);
		goto out;
	}
	p = *token;
	i2d_PKCS7(TS_RESP_get_token(resp), &p);
	*token_len = (size_t)n;
	rc = 0;
out:
	TS_RESP_free(resp);
	TS_REQ_free(req);
	ASN1_INTEGER_free(nonce);
	OPENSSL_free(q);
	free(r.data);
	return rc;
}
