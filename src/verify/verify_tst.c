/*
 * verify_tst.c - checks the signature time-stamp (CAdES-T, EN 319 122-1
 * 5.3) of a package's signature: the token is over this signature's value
 * (imprint), is signed by the time-stamping authority whose certificate it
 * carries (an authority with extended key usage timeStamping), and, when
 * the recipient names the TSAs they trust, chains to one of them. Its time
 * is the proof of when the package was signed that does not rest on the
 * controller's clock.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "portex/asic.h"
#include "verify/verify_tst.h"

#define SIG PX_ASIC_SIG_NAME

/* The token of the attribute: a DER ContentInfo, or NULL. */
static PKCS7 *token_of(CMS_SignerInfo *si, int idx)
{
	X509_ATTRIBUTE *a = CMS_unsigned_get_attr(si, idx);
	ASN1_TYPE *t = a && X509_ATTRIBUTE_count(a) == 1
			   ? X509_ATTRIBUTE_get0_type(a, 0)
			   : NULL;
	const unsigned char *p, *end;
	PKCS7 *p7;

	if (!t || t->type != V_ASN1_SEQUENCE)
		return NULL;
	p = ASN1_STRING_get0_data(t->value.sequence);
	end = p + ASN1_STRING_length(t->value.sequence);
	p7 = d2i_PKCS7(NULL, &p, end - p);
	if (p7 && p != end) {
		PKCS7_free(p7);
		return NULL;
	}
	return p7;
}

/* The imprint is the digest, by the token's own algorithm, of the
 * signature value. */
static int imprint_matches(TS_TST_INFO *tst, CMS_SignerInfo *si)
{
	TS_MSG_IMPRINT *mi = TS_TST_INFO_get_msg_imprint(tst);
	X509_ALGOR *alg = mi ? TS_MSG_IMPRINT_get_algo(mi) : NULL;
	ASN1_OCTET_STRING *want = mi ? TS_MSG_IMPRINT_get_msg(mi) : NULL;
	ASN1_OCTET_STRING *sv = CMS_SignerInfo_get0_signature(si);
	const EVP_MD *md = alg ? EVP_get_digestbyobj(alg->algorithm) : NULL;
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (!md || !want || !sv ||
	    !EVP_Digest(ASN1_STRING_get0_data(sv),
			(size_t)ASN1_STRING_length(sv), d, &n, md, NULL))
		return 0;
	return (int)n == ASN1_STRING_length(want) &&
	       !memcmp(d, ASN1_STRING_get0_data(want), n);
}

/* The token's signature, by the certificate it carries; with a store,
 * also its chain and the TSA's timeStamping purpose. */
static int token_signed(PKCS7 *p7, const char *tsa_ca_path,
			px_verify_result *res, px_error *err)
{
	TS_VERIFY_CTX *ctx;
	X509_STORE *store;
	int ok;

	if (!tsa_ca_path) {
		ok = PKCS7_verify(p7, NULL, NULL, NULL, NULL, PKCS7_NOVERIFY) ==
		     1;
		ERR_clear_error();
		return ok ? 0 : 1;
	}
	ctx = TS_VERIFY_CTX_new();
	store = X509_STORE_new();
	if (!ctx || !store) {
		TS_VERIFY_CTX_free(ctx);
		X509_STORE_free(store);
		return px_error_oom(err);
	}
	if (X509_STORE_load_file(store, tsa_ca_path) != 1) {
		ERR_clear_error();
		TS_VERIFY_CTX_free(ctx);
		X509_STORE_free(store);
		return px_error_set(err, PX_EXIT_USAGE,
				    "--tsa-ca %s: cannot read PEM "
				    "certificates from it",
				    tsa_ca_path);
	}
	TS_VERIFY_CTX_set_store(ctx, store); /* ctx owns it now */
	TS_VERIFY_CTX_set_flags(ctx, TS_VFY_SIGNATURE | TS_VFY_SIGNER);
	ok = TS_RESP_verify_token(ctx, p7) == 1;
	ERR_clear_error();
	TS_VERIFY_CTX_free(ctx);
	if (ok)
		res->tsa_checked = 1;
	return ok ? 0 : 1;
}

static void tsa_name(PKCS7 *p7, px_verify_result *res)
{
	STACK_OF(X509) *signers = PKCS7_get0_signers(p7, NULL, 0);

	if (sk_X509_num(signers) > 0)
		px_asic_name_string(
		    X509_get_subject_name(sk_X509_value(signers, 0)), res->tsa,
		    sizeof(res->tsa));
	sk_X509_free(signers);
	ERR_clear_error();
}

int px_verify_timestamp(CMS_SignerInfo *si, const char *tsa_ca_path,
			px_verify_result *res, px_error *err)
{
	int idx = CMS_unsigned_get_attr_by_NID(
	    si, NID_id_smime_aa_timeStampToken, -1);
	PKCS7 *p7;
	TS_TST_INFO *tst = NULL;
	int rc = 0, bad;

	if (idx < 0) {
		if (tsa_ca_path)
			return px_verify_problem(res,
						 "%s: no signature time-stamp "
						 "(CAdES-T), but --tsa-ca was "
						 "given",
						 SIG)
				   ? px_error_oom(err)
				   : 0;
		return 0;
	}
	if (CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken,
					 idx) >= 0 &&
	    px_verify_problem(res, "%s: more than one signature time-stamp",
			      SIG))
		return px_error_oom(err);
	p7 = token_of(si, idx);
	tst = p7 ? PKCS7_to_TS_TST_INFO(p7) : NULL;
	ERR_clear_error();
	if (!tst) {
		rc = px_verify_problem(res,
				       "%s: the signature time-stamp is not "
				       "an RFC 3161 token",
				       SIG);
		goto out;
	}
	px_asic_time_string(TS_TST_INFO_get_time(tst), res->tsa_time,
			    sizeof(res->tsa_time));
	tsa_name(p7, res);
	if (!imprint_matches(tst, si)) {
		rc = px_verify_problem(res,
				       "%s: the time-stamp of %s is over other "
				       "data than this signature",
				       SIG, res->tsa_time);
		goto out;
	}
	bad = token_signed(p7, tsa_ca_path, res, err);
	if (bad < 0) {
		rc = -1;
		goto out;
	}
	if (bad) {
		rc = px_verify_problem(
		    res,
		    "%s: the time-stamp's signature (%s) does not verify%s%s",
		    SIG, res->tsa[0] ? res->tsa : "unknown TSA",
		    tsa_ca_path ? " against --tsa-ca " : "",
		    tsa_ca_path ? tsa_ca_path : "");
		goto out;
	}
	res->timestamped = 1;
out:
	if (rc > 0)
		rc = 0;
	else if (rc && !err->code)
		rc = px_error_oom(err);
	TS_TST_INFO_free(tst);
	PKCS7_free(p7);
	return rc;
}
