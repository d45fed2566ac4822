/*
 * signer.c - loads the signing key and certificate (PEM) for px_asic_sign.
 *
 * The key file must be private to its owner: a key others can read is no
 * longer a proof of origin, so it is refused rather than warned about.
 * An encrypted key takes its passphrase from the caller (a file or an
 * environment variable upstream), never from a terminal prompt.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "portex/asic.h"

struct px_signer {
	EVP_PKEY *key;
	X509 *cert;
	STACK_OF(X509) * chain; /* certificates after the first in cert file */
	char subject[512];
	char *tsa_url; /* CAdES-T, or NULL */
};

void px_asic_ossl_reason(char *buf, size_t n)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	snprintf(buf, n, "%s", r ? r : "unknown OpenSSL error");
	ERR_clear_error();
}

void px_asic_name_string(const X509_NAME *name, char *buf, size_t n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long len;

	buf[0] = '\0';
	if (!b)
		return;
	if (X509_NAME_print_ex(b, name, 0,
			       XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		len = BIO_get_mem_data(b, &p);
		if (len < 0)
			len = 0;
		if ((size_t)len >= n)
			len = (long)n - 1;
		memcpy(buf, p, (size_t)len);
		buf[len] = '\0';
	}
	BIO_free(b);
}

void px_asic_time_string(const ASN1_TIME *t, char *buf, size_t n)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm))
		strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(buf, n, "?");
}

/* Never prompts: no passphrase given means "this key is not encrypted". */
static int pass_cb(char *buf, int size, int rwflag, void *u)
{
	const char *pass = u;
	size_t len;

	(void)rwflag;
	if (!pass)
		return -1;
	len = strlen(pass);
	if (len > (size_t)size)
		return -1;
	memcpy(buf, pass, len);
	return (int)len;
}

/* Opens path for reading and returns a FILE, refusing a key that group or
 * others may read or write. The mode is checked on the opened descriptor
 * so the file checked is the file read. */
static FILE *open_private(const char *path, px_error *err)
{
	struct stat st;
	FILE *f;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		px_error_set(err, PX_EXIT_CONFIG, "signing key %s: %s", path,
			     strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		px_error_set(err, PX_EXIT_CONFIG,
			     "signing key %s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if (st.st_mode & 077) {
		px_error_set(
		    err, PX_EXIT_CONFIG,
		    "signing key %s has mode %04o: group or others may "
		    "access it; run 'chmod 600 %s'",
		    path, (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		px_error_oom(err);
		close(fd);
	}
	return f;
}

static int load_key(px_signer *s, const char *path, const char *pass,
		    px_error *err)
{
	char why[256];
	FILE *f = open_private(path, err);

	if (!f)
		return -1;
	ERR_clear_error();
	s->key = PEM_read_PrivateKey(f, NULL, pass_cb, (void *)pass);
	fclose(f);
	if (s->key)
		return 0;
	px_asic_ossl_reason(why, sizeof(why));
	if (!pass && strstr(why, "bad password"))
		return px_error_set(err, PX_EXIT_CONFIG,
				    "signing key %s is encrypted: give its "
				    "passphrase (signing.passphrase_file or "
				    "signing.passphrase_env)",
				    path);
	return px_error_set(err, PX_EXIT_CONFIG,
			    "signing key %s: cannot read a PEM private key "
			    "(%s%s)",
			    path, why,
			    pass ? "; is the passphrase right?" : "");
}

static int load_certs(px_signer *s, const char *path, px_error *err)
{
	char why[256];
	FILE *f = fopen(path, "re");
	X509 *c;

	if (!f)
		return px_error_set(err, PX_EXIT_CONFIG,
				    "signing certificate %s: %s", path,
				    strerror(errno));
	ERR_clear_error();
	s->cert = PEM_read_X509(f, NULL, NULL, NULL);
	if (!s->cert) {
		fclose(f);
		px_asic_ossl_reason(why, sizeof(why));
		return px_error_set(err, PX_EXIT_CONFIG,
				    "signing certificate %s: no PEM "
				    "certificate (%s)",
				    path, why);
	}
	s->chain = sk_X509_new_null();
	if (!s->chain) {
		fclose(f);
		return px_error_oom(err);
	}
	/* The rest of the file, if any, is the chain up to a CA. */
	while ((c = PEM_read_X509(f, NULL, NULL, NULL))) {
		if (!sk_X509_push(s->chain, c)) {
			X509_free(c);
			fclose(f);
			return px_error_oom(err);
		}
	}
	ERR_clear_error(); /* the loop ends on "no start line" */
	fclose(f);
	return 0;
}

/* OpenSSL 3.0 cannot sign CMS with Ed25519 (RFC 8419 is not implemented):
 * find out now, with a throwaway signature, rather than after an export
 * has done all its work. Newer OpenSSL versions pass. */
static int probe_cms(px_signer *s, const char *key_path, px_error *err)
{
	static const char probe[] = "portex";
	char why[256];
	BIO *in = BIO_new_mem_buf(probe, sizeof(probe) - 1);
	CMS_ContentInfo *cms = NULL;

	if (in)
		cms = CMS_sign(s->cert, s->key, NULL, in,
			       CMS_BINARY | CMS_DETACHED | CMS_CADES);
	BIO_free(in);
	if (cms) {
		CMS_ContentInfo_free(cms);
		return 0;
	}
	px_asic_ossl_reason(why, sizeof(why));
	return px_error_set(err, PX_EXIT_CONFIG,
			    "signing key %s: this OpenSSL cannot make a CMS "
			    "signature with a %s key (%s); use an EC P-256 or "
			    "RSA key ('portex keygen --type ec')",
			    key_path, EVP_PKEY_get0_type_name(s->key), why);
}

/* A package signed outside its certificate's validity never verifies:
 * refuse before the export does its work. */
static int check_validity(px_signer *s, const char *cert_path, px_error *err)
{
	char when[32];
	int late;

	late = X509_cmp_current_time(X509_get0_notAfter(s->cert)) < 0;
	if (!late && X509_cmp_current_time(X509_get0_notBefore(s->cert)) < 0)
		return 0;
	px_asic_time_string(late ? X509_get0_notAfter(s->cert)
				 : X509_get0_notBefore(s->cert),
			    when, sizeof(when));
	return px_error_set(err, PX_EXIT_CONFIG, "signing certificate %s %s %s",
			    cert_path,
			    late ? "expired on" : "is not valid before", when);
}

static int check_key(px_signer *s, const char *key_path, const char *cert_path,
		     px_error *err)
{
	if (EVP_PKEY_is_a(s->key, "RSA") && EVP_PKEY_get_bits(s->key) < 2048)
		return px_error_set(err, PX_EXIT_CONFIG,
				    "signing key %s: RSA key of %d bits; at "
				    "least 2048 are needed",
				    key_path, EVP_PKEY_get_bits(s->key));
	if (check_validity(s, cert_path, err))
		return -1;
	if (X509_check_private_key(s->cert, s->key) != 1) {
		ERR_clear_error();
		return px_error_set(err, PX_EXIT_CONFIG,
				    "signing key %s does not match the "
				    "certificate %s",
				    key_path, cert_path);
	}
	if (!EVP_PKEY_is_a(s->key, "RSA") && !EVP_PKEY_is_a(s->key, "EC"))
		return probe_cms(s, key_path, err);
	return 0;
}

px_signer *px_signer_load(const char *key_path, const char *cert_path,
			  const char *key_pass, px_error *err)
{
	px_signer *s = calloc(1, sizeof(*s));

	if (!s) {
		px_error_oom(err);
		return NULL;
	}
	if (load_key(s, key_path, key_pass, err) ||
	    load_certs(s, cert_path, err) ||
	    check_key(s, key_path, cert_path, err)) {
		px_signer_free(s);
		return NULL;
	}
	px_asic_name_string(X509_get_subject_name(s->cert), s->subject,
			    sizeof(s->subject));
	return s;
}

void px_signer_free(px_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->key);
	X509_free(s->cert);
	sk_X509_pop_free(s->chain, X509_free);
	free(s->tsa_url);
	free(s);
}

int px_signer_set_tsa(px_signer *s, const char *url, px_error *err)
{
	free(s->tsa_url);
	s->tsa_url = NULL;
	if (url && !(s->tsa_url = strdup(url)))
		return px_error_oom(err);
	return 0;
}

const char *px_signer_tsa(const px_signer *s)
{
	return s->tsa_url;
}

const char *px_signer_subject(const px_signer *s)
{
	return s->subject;
}

EVP_PKEY *px_signer_key(const px_signer *s)
{
	return s->key;
}

X509 *px_signer_cert(const px_signer *s)
{
	return s->cert;
}

STACK_OF(X509) * px_signer_chain(const px_signer *s)
{
	return s->chain;
}
