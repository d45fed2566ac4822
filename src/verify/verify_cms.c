/*
 * verify_cms.c - checks META-INF/signature001.p7s over the manifest's
 * bytes: one signer, CAdES-BES signed attributes, the signature itself,
 * the signer certificate's validity at the signing time and, given a CA,
 * its chain at that time. Each failure becomes one problem line that says
 * what it means for the package.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "portex/asic.h"
#include "portex/verify.h"
#include "timefmt.h"
#include "verify/verify_tst.h"

#define SIG PX_ASIC_SIG_NAME

static int signing_time(CMS_SignerInfo *si, time_t *out)
{
	int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	X509_ATTRIBUTE *a = idx >= 0 ? CMS_signed_get_attr(si, idx) : NULL;
	ASN1_TYPE *t = a ? X509_ATTRIBUTE_get0_type(a, 0) : NULL;
	struct tm tm;

	if (!t ||
	    (t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME))
		return -1;
	/* utctime and generalizedtime are both ASN1_TIME underneath */
	if (!ASN1_TIME_to_tm(t->value.utctime, &tm))
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* Validity of the signer certificate when it signed. */
static int check_validity(X509 *cert, time_t t, px_verify_result *res)
{
	char from[32], to[32];

	if (X509_cmp_time(X509_get0_notBefore(cert), &t) < 0 &&
	    X509_cmp_time(X509_get0_notAfter(cert), &t) > 0)
		return 0;
	px_asic_time_string(X509_get0_notBefore(cert), from, sizeof(from));
	px_asic_time_string(X509_get0_notAfter(cert), to, sizeof(to));
	return px_verify_problem(res,
				 "%s: the signer certificate was not valid at "
				 "the signing time %s (valid from %s to %s)",
				 SIG, res->signing_time, from, to);
}

/* The chain from the signer to a certificate of ca_path, as it was at
 * the signing time, with the certificates the signature carries. */
static int check_chain(X509 *cert, STACK_OF(X509) * certs, const char *ca_path,
		       time_t t, px_verify_result *res, px_error *err)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = -1, ok;

	if (!store || !ctx) {
		px_error_oom(err);
		goto out;
	}
	if (X509_STORE_load_file(store, ca_path) != 1) {
		ERR_clear_error();
		px_error_set(err, PX_EXIT_USAGE,
			     "--ca %s: cannot read PEM certificates from it",
			     ca_path);
		goto out;
	}
	if (!X509_STORE_CTX_init(ctx, store, cert, certs)) {
		px_error_oom(err);
		goto out;
	}
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY);
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), t);
	ok = X509_verify_cert(ctx);
	ERR_clear_error();
	rc = 0;
	res->chain_checked = 1;
	if (ok != 1)
		rc = px_verify_problem(
		    res,
		    "%s: the signer (%s) is not trusted by --ca %s at the "
		    "signing time: %s",
		    SIG, res->signer, ca_path,
		    X509_verify_cert_error_string(
			X509_STORE_CTX_get_error(ctx)));
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}

/* The ESS signing-certificate(-v2) attribute binds the signature to the
 * signer's certificate: without it another certificate with the same key
 * could be swapped in. CMS_verify(CMS_CADES) would check it only together
 * with the chain, so it is checked here on its own. */
static int check_ess(CMS_SignerInfo *si, X509 *signer, px_verify_result *res)
{
	ASN1_STRING *v2 = CMS_signed_get0_data_by_OBJ(
	    si, OBJ_nid2obj(NID_id_smime_aa_signingCertificateV2), -3,
	    V_ASN1_SEQUENCE);
	ASN1_STRING *v1 = CMS_signed_get0_data_by_OBJ(
	    si, OBJ_nid2obj(NID_id_smime_aa_signingCertificate), -3,
	    V_ASN1_SEQUENCE);
	ESS_SIGNING_CERT_V2 *ss2 = NULL;
	ESS_SIGNING_CERT *ss1 = NULL;
	STACK_OF(X509) *chain = sk_X509_new_null();
	const unsigned char *p;
	int ok = 0;

	if (!chain || !sk_X509_push(chain, signer)) {
		sk_X509_free(chain);
		return -1;
	}
	if (v2) {
		p = ASN1_STRING_get0_data(v2);
		ss2 = d2i_ESS_SIGNING_CERT_V2(NULL, &p, ASN1_STRING_length(v2));
	}
	if (v1) {
		p = ASN1_STRING_get0_data(v1);
		ss1 = d2i_ESS_SIGNING_CERT(NULL, &p, ASN1_STRING_length(v1));
	}
	if ((ss1 || ss2) &&
	    OSSL_ESS_check_signing_certs(ss1, ss2, chain, 1) > 0)
		ok = 1;
	ERR_clear_error();
	ESS_SIGNING_CERT_V2_free(ss2);
	ESS_SIGNING_CERT_free(ss1);
	sk_X509_free(chain);
	if (ok || (!v1 && !v2)) /* absent: reported by inspect() */
		return 0;
	return px_verify_problem(res,
				 "%s: the signing-certificate attribute does "
				 "not match the signer's certificate",
				 SIG);
}

/* The signature over content. The chain is checked apart, so its errors
 * can be told from these. */
static int check_signature(CMS_ContentInfo *cms, const char *content,
			   size_t content_len, px_verify_result *res)
{
	const unsigned flags =
	    CMS_BINARY | CMS_DETACHED | CMS_NO_SIGNER_CERT_VERIFY;
	BIO *dc = BIO_new_mem_buf(content, (int)content_len);
	unsigned long e;
	int ok;

	if (!dc)
		return -1;
	ok = CMS_verify(cms, NULL, NULL, dc, NULL, flags);
	BIO_free(dc);
	if (ok == 1) {
		res->signature_ok = 1;
		return 0;
	}
	e = ERR_peek_last_error();
	ERR_clear_error();
	if (ERR_GET_LIB(e) == ERR_LIB_CMS &&
	    ERR_GET_REASON(e) == CMS_R_CONTENT_VERIFY_ERROR)
		return px_verify_problem(res,
					 "%s: does not match its signature "
					 "(the manifest was changed after "
					 "signing, or the signature replaced)",
					 PX_ASIC_MANIFEST_NAME);
	return px_verify_problem(
	    res, "%s: the signature does not verify (%s)", SIG,
	    ERR_reason_error_string(e) ? ERR_reason_error_string(e)
				       : "unknown error");
}

/* Signer facts for the report, and the checks that need no signature. */
static int inspect(CMS_ContentInfo *cms, X509 **signer, time_t *t,
		   int *have_time, px_verify_result *res)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	CMS_SignerInfo *si;

	if (sk_CMS_SignerInfo_num(sis) != 1)
		return px_verify_problem(res, "%s: %d signers; expected one",
					 SIG, sk_CMS_SignerInfo_num(sis));
	si = sk_CMS_SignerInfo_value(sis, 0);
	if (CMS_set1_signers_certs(cms, NULL, 0) < 1) {
		ERR_clear_error();
		return px_verify_problem(res,
					 "%s: the signer's certificate is "
					 "not included",
					 SIG);
	}
	CMS_SignerInfo_get0_algs(si, NULL, signer, NULL, NULL);
	px_asic_name_string(X509_get_subject_name(*signer), res->signer,
			    sizeof(res->signer));
	px_asic_name_string(X509_get_issuer_name(*signer), res->issuer,
			    sizeof(res->issuer));
	*have_time = !signing_time(si, t);
	if (*have_time)
		px_rfc3339_from_epoch((int64_t)*t, 0, res->signing_time,
				      sizeof(res->signing_time));
	else if (px_verify_problem(res, "%s: no signing-time attribute", SIG))
		return -1;
	if (CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2,
				       -1) < 0 &&
	    CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificate,
				       -1) < 0)
		return px_verify_problem(res,
					 "%s: not CAdES-BES: no "
					 "signing-certificate attribute",
					 SIG);
	return 0;
}

int px_verify_cms(const unsigned char *sig, size_t sig_len, const char *content,
		  size_t content_len, const char *ca_path,
		  const char *tsa_ca_path, px_verify_result *res, px_error *err)
{
	const unsigned char *p = sig;
	CMS_ContentInfo *cms;
	STACK_OF(X509) *certs = NULL;
	X509 *signer = NULL;
	time_t t = 0;
	int have_time = 0, rc = -1;

	cms = d2i_CMS_ContentInfo(NULL, &p, (long)sig_len);
	if (!cms || p != sig + sig_len ||
	    OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		ERR_clear_error();
		CMS_ContentInfo_free(cms);
		return px_verify_problem(res, "%s: not a DER CMS SignedData",
					 SIG);
	}
	if (!CMS_is_detached(cms)) {
		rc =
		    px_verify_problem(res, "%s: not a detached signature", SIG);
		goto out;
	}
	if (inspect(cms, &signer, &t, &have_time, res))
		goto out;
	if (!signer) {
		rc = 0;
		goto out;
	}
	if (check_signature(cms, content, content_len, res) ||
	    check_ess(sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0),
		      signer, res))
		goto out;
	if (have_time && check_validity(signer, t, res))
		goto out;
	if (px_verify_timestamp(
		sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0),
		tsa_ca_path, res, err))
		goto out;
	rc = 0;
	if (ca_path && have_time) {
		certs = CMS_get1_certs(cms);
		rc = check_chain(signer, certs, ca_path, t, res, err);
	}
out:
	if (rc && !err->code) /* px_verify_problem() fails only so */
		px_error_oom(err);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	return rc;
}
