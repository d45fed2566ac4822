/*
 * keygen.c - a signing key and a self-signed certificate for it, for
 * demos and tests. The key is created 0600 from the first byte on (never
 * chmod'ed after the fact) in a temporary file, then moved into place.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "portex/asic.h"

static EVP_PKEY *make_key(px_key_type type)
{
	switch (type) {
	case PX_KEY_RSA:
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	case PX_KEY_ED25519:
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	case PX_KEY_EC:
	default:
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	}
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = e && X509_add_ext(x, e, -1);

	X509_EXTENSION_free(e);
	return ok;
}

/* A random positive 128-bit serial, as RFC 5280 allows (<= 20 octets). */
static int set_serial(X509 *x)
{
	unsigned char r[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return 0;
	r[0] &= 0x7f;
	r[0] |= 0x40;
	bn = BN_bin2bn(r, sizeof(r), NULL);
	ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	return ok;
}

/* Self-signed end-entity certificate. CA:FALSE with digitalSignature and
 * nonRepudiation: `openssl cms -verify -CAfile cert -purpose any` takes a
 * self-signed certificate in CAfile as its own trust anchor. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, int days)
{
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX ctx;
	const EVP_MD *md = EVP_PKEY_is_a(key, "ED25519") ? NULL : EVP_sha256();

	if (!x || !X509_set_version(x, 2) || !set_serial(x))
		goto fail;
	if (!X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL))
		goto fail;
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, name) || !X509_set_pubkey(x, key))
		goto fail;
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (!add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(x, &ctx, NID_key_usage,
		     "critical,digitalSignature,nonRepudiation") ||
	    !add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always"))
		goto fail;
	if (!X509_sign(x, key, md))
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

/* Writes the bytes of b to a new file beside `path` created with mode,
 * O_EXCL so nothing already there is followed or truncated. Fills tmp. */
static int write_tmp(const char *path, BIO *b, mode_t mode, char *tmp,
		     size_t tmp_size, px_error *err)
{
	char *data;
	long len = BIO_get_mem_data(b, &data);
	ssize_t w;
	int fd;

	snprintf(tmp, tmp_size, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return px_error_set(err, PX_EXIT_CANTCREAT,
				    "cannot create %s: %s", path,
				    strerror(errno));
	/* umask may only have removed bits; make the mode exact. */
	if (fchmod(fd, mode))
		goto fail;
	while (len > 0) {
		w = write(fd, data, (size_t)len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		data += w;
		len -= w;
	}
	if (fsync(fd))
		goto fail;
	if (close(fd)) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	px_error_set(err, PX_EXIT_CANTCREAT, "cannot write %s: %s", path,
		     strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

/* Moves tmp to path. Without force, link() fails when path exists, so a
 * file that appeared since the first check is still never replaced. */
static int place(const char *tmp, const char *path, int force, px_error *err)
{
	int rc = force ? rename(tmp, path) : link(tmp, path);

	if (rc)
		return px_error_set(
		    err, errno == EEXIST ? PX_EXIT_USAGE : PX_EXIT_CANTCREAT,
		    errno == EEXIST ? "%s exists; give --force to "
				      "replace it"
				    : "cannot create %s: %s",
		    path, strerror(errno));
	if (!force)
		unlink(tmp);
	return 0;
}

static int refuse_existing(const char *path, px_error *err)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return px_error_set(err, PX_EXIT_USAGE,
				    "%s exists; give --force to replace it",
				    path);
	return 0;
}

static int write_files(const px_keygen_opts *o, EVP_PKEY *key, X509 *cert,
		       px_error *err)
{
	char ktmp[PATH_MAX + 32], ctmp[PATH_MAX + 32];
	BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
	int rc = -1;

	ktmp[0] = ctmp[0] = '\0';
	if (!kb || !cb ||
	    !PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(cb, cert)) {
		px_error_oom(err);
		goto out;
	}
	if (write_tmp(o->key_path, kb, 0600, ktmp, sizeof(ktmp), err)) {
		ktmp[0] = '\0';
		goto out;
	}
	if (write_tmp(o->cert_path, cb, 0644, ctmp, sizeof(ctmp), err)) {
		ctmp[0] = '\0';
		goto out;
	}
	if (place(ktmp, o->key_path, o->force, err))
		goto out;
	ktmp[0] = '\0';
	if (place(ctmp, o->cert_path, o->force, err)) {
		/* a key without its certificate is of no use: take it back */
		unlink(o->key_path);
		goto out;
	}
	ctmp[0] = '\0';
	rc = 0;
out:
	if (ktmp[0])
		unlink(ktmp);
	if (ctmp[0])
		unlink(ctmp);
	BIO_free(kb);
	BIO_free(cb);
	return rc;
}

int px_keygen(const px_keygen_opts *o, px_error *err)
{
	const char *cn = o->name && *o->name ? o->name : "portex";
	int days = o->days ? o->days : 365;
	EVP_PKEY *key;
	X509 *cert;
	int rc;

	if (!strcmp(o->key_path, o->cert_path))
		return px_error_set(err, PX_EXIT_USAGE,
				    "--key and --cert name the same file %s",
				    o->key_path);
	if (days < 1 || days > 36500)
		return px_error_set(err, PX_EXIT_USAGE,
				    "--days %d: expected 1 to 36500", days);
	if (!o->force && (refuse_existing(o->key_path, err) ||
			  refuse_existing(o->cert_path, err)))
		return -1;
	key = make_key(o->type);
	if (!key)
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "cannot generate a key");
	cert = make_cert(key, cn, days);
	if (!cert) {
		EVP_PKEY_free(key);
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "cannot make the certificate for CN=%s",
				    cn);
	}
	rc = write_files(o, key, cert, err);
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}
