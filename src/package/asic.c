/*
 * asic.c - writes META-INF/ASiCManifest.xml and META-INF/signature001.p7s,
 * the ETSI EN 319 162-1 ASiC-E container signature (CAdES-BES, detached,
 * over the manifest's exact bytes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/cms.h>
#include <openssl/evp.h>

#include "jsonout.h"
#include "package/tsa.h"
#include "portex/asic.h"

static int add_str(px_buf *b, const char *s)
{
	return px_buf_add(b, s, strlen(s));
}

/* A path inside the package as a relative URI reference: everything but
 * RFC 3986 unreserved characters and '/' is percent-encoded (UTF-8 bytes
 * included), so the attribute also needs no XML escaping. */
static int add_uri(px_buf *b, const char *name)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[3] = {'%'};

	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p)) {
			if (px_buf_add(b, p, 1))
				return -1;
			continue;
		}
		esc[1] = hex[*p >> 4];
		esc[2] = hex[*p & 15];
		if (px_buf_add(b, esc, 3))
			return -1;
	}
	return 0;
}

char *px_asic_manifest_xml(const px_digest_entry *entries, size_t n,
			   size_t *len)
{
	px_buf b = {0};
	char b64[64];
	int bad;

	bad = add_str(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\" "
			  "standalone=\"yes\"?>\n"
			  "<asic:ASiCManifest xmlns:asic=\"" PX_ASIC_NS "\" "
			  "xmlns:ds=\"" PX_DS_NS "\">\n"
			  "  <asic:SigReference URI=\"" PX_ASIC_SIG_NAME "\" "
			  "MimeType=\"application/pkcs7-signature\"/>\n");
	for (size_t i = 0; i < n && !bad; i++) {
		EVP_EncodeBlock((unsigned char *)b64, entries[i].sha256, 32);
		bad = add_str(&b, "  <asic:DataObjectReference URI=\"") ||
		      add_uri(&b, entries[i].name) ||
		      add_str(&b, "\">\n    <ds:DigestMethod "
				  "Algorithm=\"" PX_SHA256_URI "\"/>\n"
				  "    <ds:DigestValue>") ||
		      add_str(&b, b64) ||
		      add_str(&b, "</ds:DigestValue>\n"
				  "  </asic:DataObjectReference>\n");
	}
	if (bad || add_str(&b, "</asic:ASiCManifest>\n")) {
		px_buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return b.data;
}

/* CAdES-T: an RFC 3161 token over the signature value, added as the
 * signature-time-stamp unsigned attribute (id-aa-signatureTimeStampToken,
 * EN 319 122-1 5.3), so a third party vouches for the signing time. */
static int add_timestamp(CMS_ContentInfo *cms, const char *url, px_error *err)
{
	CMS_SignerInfo *si =
	    sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
	ASN1_OCTET_STRING *sv = si ? CMS_SignerInfo_get0_signature(si) : NULL;
	unsigned char *tok;
	size_t len;
	int ok;

	if (!sv)
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "cannot time-stamp: no signature value");
	if (px_tsa_stamp(url, ASN1_STRING_get0_data(sv),
			 (size_t)ASN1_STRING_length(sv), &tok, &len, err))
		return -1;
	ok = CMS_unsigned_add1_attr_by_NID(si, NID_id_smime_aa_timeStampToken,
					   V_ASN1_SEQUENCE, tok, (int)len);
	free(tok);
	return ok ? 0 : px_error_oom(err);
}

/* DER CMS SignedData over data: detached, CAdES-BES signed attributes
 * (content-type, message-digest, signing-time from OpenSSL, and
 * signing-certificate-v2 from CMS_CADES), signer and chain included;
 * CAdES-T when the signer has a time-stamp authority. */
static unsigned char *cms_sign(px_signer *s, const char *data, size_t len,
			       const char *what, size_t *der_len, px_error *err)
{
	const unsigned flags = CMS_BINARY | CMS_DETACHED | CMS_PARTIAL;
	STACK_OF(X509) *chain = px_signer_chain(s);
	CMS_ContentInfo *cms = NULL;
	unsigned char *der = NULL, *p;
	char why[256];
	BIO *in;
	int n = -1;

	in = BIO_new_mem_buf(data, (int)len);
	if (in)
		cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	if (!cms)
		goto fail;
	/* No S/MIME capabilities: OpenSSL's default list advertises DES and
	 * 40-bit RC2, and a detached signature encrypts nothing anyway. */
	if (!CMS_add1_signer(cms, px_signer_cert(s), px_signer_key(s),
			     EVP_sha256(), flags | CMS_CADES | CMS_NOSMIMECAP))
		goto fail;
	for (int i = 0; i < sk_X509_num(chain); i++)
		if (!CMS_add1_cert(cms, sk_X509_value(chain, i)))
			goto fail;
	if (!CMS_final(cms, in, NULL, flags))
		goto fail;
	if (px_signer_tsa(s) && add_timestamp(cms, px_signer_tsa(s), err)) {
		CMS_ContentInfo_free(cms);
		BIO_free(in);
		return NULL;
	}
	n = i2d_CMS_ContentInfo(cms, NULL);
	/* malloc, not OPENSSL_malloc: libzip frees the buffer with free() */
	if (n <= 0 || !(der = malloc((size_t)n)))
		goto fail;
	p = der;
	if (i2d_CMS_ContentInfo(cms, &p) != n)
		goto fail;
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	*der_len = (size_t)n;
	return der;
fail:
	px_asic_ossl_reason(why, sizeof(why));
	free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	px_error_set(err, PX_EXIT_SOFTWARE, "cannot sign %s: %s", what, why);
	return NULL;
}

unsigned char *px_signer_sign(px_signer *s, const char *data, size_t len,
			      const char *what, size_t *der_len, px_error *err)
{
	return cms_sign(s, data, len, what, der_len, err);
}

/* Hands buf (malloc'ed) to libzip; on failure frees it. */
static int add_buffer(zip_t *za, const char *name, void *buf, size_t len,
		      px_error *err)
{
	zip_source_t *src = zip_source_buffer(za, buf, len, 1);

	if (!src) {
		free(buf);
		return px_error_oom(err);
	}
	if (zip_file_add(za, name, src, ZIP_FL_ENC_UTF_8) < 0) {
		zip_source_free(src);
		return px_error_set(err, PX_EXIT_CANTCREAT,
				    "cannot add %s to the package: %s", name,
				    zip_strerror(za));
	}
	return 0;
}

int px_asic_sign(zip_t *za, const px_digest_entry *entries, size_t n,
		 px_signer *signer, px_error *err)
{
	unsigned char *sig;
	size_t xml_len, sig_len;
	char *xml;

	if (!n)
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "nothing to sign: no file in the package");
	xml = px_asic_manifest_xml(entries, n, &xml_len);
	if (!xml)
		return px_error_oom(err);
	sig = cms_sign(signer, xml, xml_len, PX_ASIC_MANIFEST_NAME, &sig_len,
		       err);
	if (!sig) {
		free(xml);
		return -1;
	}
	if (add_buffer(za, PX_ASIC_MANIFEST_NAME, xml, xml_len, err)) {
		free(sig);
		return -1;
	}
	return add_buffer(za, PX_ASIC_SIG_NAME, sig, sig_len, err);
}
