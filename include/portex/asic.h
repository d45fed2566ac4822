/*
 * asic.h - ETSI EN 319 162-1 ASiC-E signing of a package (issue 5).
 *
 * The packager writes every data entry, then hands the list of entries and
 * their digests to px_asic_sign(), which adds META-INF/ASiCManifest.xml and
 * META-INF/signature001.p7s (CAdES-BES, detached, over the manifest).
 */
#ifndef PORTEX_ASIC_H
#define PORTEX_ASIC_H

#include <stddef.h>
#include <stdint.h>
#include <zip.h>

#include <openssl/x509.h>

#include "portex/error.h"

/* One file of the package outside META-INF/ and other than mimetype. */
typedef struct px_digest_entry {
	const char *name;	  /* path inside the package */
	unsigned char sha256[32]; /* of the uncompressed bytes */
	uint64_t size;
} px_digest_entry;

typedef struct px_signer px_signer;

/* Loads a private key and its certificate (PEM). key_pass: a passphrase
 * for an encrypted key, or NULL. Refuses a key file readable by group or
 * others. Returns a new signer (free with px_signer_free) or NULL. */
px_signer *px_signer_load(const char *key_path, const char *cert_path,
			  const char *key_pass, px_error *err);
void px_signer_free(px_signer *s);

/* CAdES-T: every signature gets an RFC 3161 time-stamp from the TSA at
 * url (http or https; NULL: none, CAdES-BES). Returns 0 or -1 (out of
 * memory). px_signer_tsa() is the URL, valid until px_signer_free(). */
int px_signer_set_tsa(px_signer *s, const char *url, px_error *err);
const char *px_signer_tsa(const px_signer *s);

/* The signer certificate's subject, for manifest and index.html. Valid
 * until px_signer_free(). */
const char *px_signer_subject(const px_signer *s);

/* Adds the two META-INF entries to za (not yet closed). The buffers are
 * handed to libzip, which frees them at zip_close()/zip_discard(). */
int px_asic_sign(zip_t *za, const px_digest_entry *entries, size_t n,
		 px_signer *signer, px_error *err);

/* A detached CMS signature (DER) over len bytes of data, as the package's
 * (CAdES-BES, or CAdES-T with a TSA); `what` names data in errors. Returns
 * a malloc'ed buffer of *der_len bytes the caller frees with free(), or
 * NULL with err set. */
unsigned char *px_signer_sign(px_signer *s, const char *data, size_t len,
			      const char *what, size_t *der_len, px_error *err);

/* Names and URIs of the container (ETSI EN 319 162-1). */
#define PX_ASIC_MIMETYPE      "application/vnd.etsi.asic-e+zip"
#define PX_ASIC_NS	      "http://uri.etsi.org/02918/v1.2.1#"
#define PX_DS_NS	      "http://www.w3.org/2000/09/xmldsig#"
#define PX_SHA256_URI	      "http://www.w3.org/2001/04/xmlenc#sha256"
#define PX_ASIC_MANIFEST_NAME "META-INF/ASiCManifest.xml"
#define PX_ASIC_SIG_NAME      "META-INF/signature001.p7s"

/* The ASiCManifest.xml for entries (URIs percent-encoded). Returns a
 * malloc'ed buffer of *len bytes (NUL-terminated) the caller frees with
 * free(), or NULL when out of memory. */
char *px_asic_manifest_xml(const px_digest_entry *entries, size_t n,
			   size_t *len);

/* The signer's key, certificate and chain (certificates after the first
 * in the certificate file). Valid until px_signer_free(). */
EVP_PKEY *px_signer_key(const px_signer *s);
X509 *px_signer_cert(const px_signer *s);
STACK_OF(X509) * px_signer_chain(const px_signer *s);

/* The reason of OpenSSL's last error into buf, then clears the queue. */
void px_asic_ossl_reason(char *buf, size_t n);

/* t as RFC 3339 UTC ("2026-01-31T12:00:00Z") into buf, "?" if invalid. */
void px_asic_time_string(const ASN1_TIME *t, char *buf, size_t n);

/* name as an RFC 2253 string ("CN=portex,O=SEJER") into buf. */
void px_asic_name_string(const X509_NAME *name, char *buf, size_t n);

/* portex keygen: a private key (mode 0600) and a certificate for it
 * issued by a one-shot CA (its key is discarded): the certificate file
 * holds the signer's certificate then the CA's; ca_path, when set, gets
 * the CA's alone (the trust anchor). No file is replaced unless force;
 * each is written to a temporary file first and moved into place
 * complete. */
typedef enum px_key_type {
	PX_KEY_EC,	/* ECDSA P-256, the default */
	PX_KEY_RSA,	/* RSA 3072 */
	PX_KEY_ED25519, /* Ed25519 (OpenSSL 3.0 cannot sign CMS with it) */
} px_key_type;

typedef struct px_keygen_opts {
	const char *key_path;
	const char *cert_path;
	const char *ca_path; /* or NULL */
	const char *name;    /* subject CN; "portex" when NULL */
	int days;	     /* validity from now; 365 when 0 */
	px_key_type type;
	int force;
} px_keygen_opts;

int px_keygen(const px_keygen_opts *o, px_error *err);

#endif
