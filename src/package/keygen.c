/*
 * keygen.c - a signing key and its certificate, for demos and tests. The
 * key is written 0600 into a file with no name, which gets its name only
 * when complete (package/workfile.h); missing folders are created, a
 * key's with mode 0700.
 *
 * The certificate is issued by a one-shot CA whose key never leaves this
 * process: validators (NSS, GnuTLS, gpgsm, pkijs) want a trust anchor that
 * is a CA and a signer that is not, and a CA key thrown away can issue
 * nothing else. The certificate file holds the signer then the CA; the CA
 * alone, the trust anchor to hand out, goes to --ca.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "package/workfile.h"
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

/* A certificate for key, named cn, signed by issuer_key under issuer's
 * name (itself when issuer is NULL), with the extensions in ext. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, int days, X509 *issuer,
		       EVP_PKEY *issuer_key, const char *const ext[][2])
{
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX ctx;
	const EVP_MD *md =
	    EVP_PKEY_is_a(issuer_key, "ED25519") ? NULL : EVP_sha256();

	if (!x || !X509_set_version(x, 2) || !set_serial(x))
		goto fail;
	if (!X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL))
		goto fail;
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer)
					    : name) ||
	    !X509_set_pubkey(x, key))
		goto fail;
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	for (int i = 0; ext[i][0]; i++)
		if (!add_ext(x, &ctx, OBJ_sn2nid(ext[i][0]), ext[i][1]))
			goto fail;
	if (!X509_sign(x, issuer_key, md))
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

static const char *const ca_ext[][2] = {
    {"basicConstraints", "critical,CA:TRUE,pathlen:0"},
    {"keyUsage", "critical,keyCertSign,cRLSign"},
    {"subjectKeyIdentifier", "hash"},
    {"authorityKeyIdentifier", "keyid:always"},
    {NULL, NULL},
};

/* digitalSignature and nonRepudiation: a CAdES signer (EN 319 412-2
 * wants nonRepudiation on certificates for signatures of origin). */
static const char *const signer_ext[][2] = {
    {"basicConstraints", "critical,CA:FALSE"},
    {"keyUsage", "critical,digitalSignature,nonRepudiation"},
    {"subjectKeyIdentifier", "hash"},
    {"authorityKeyIdentifier", "keyid:always"},
    {NULL, NULL},
};

/* The signer's certificate into *cert and its one-shot CA's into *ca. */
static int make_certs(EVP_PKEY *key, const char *cn, int days, X509 **cert,
		      X509 **ca)
{
	/* P-256 whatever the signer's type: quick to make, read everywhere */
	EVP_PKEY *ca_key = make_key(PX_KEY_EC);
	char ca_cn[300];

	*cert = *ca = NULL;
	snprintf(ca_cn, sizeof(ca_cn), "%.280s CA", cn);
	if (ca_key)
		*ca = make_cert(ca_key, ca_cn, days, NULL, ca_key, ca_ext);
	if (*ca)
		*cert = make_cert(key, cn, days, *ca, ca_key, signer_ext);
	EVP_PKEY_free(ca_key);
	if (*cert)
		return 0;
	X509_free(*ca);
	*ca = NULL;
	return -1;
}

/* The folder part of path ("." when none): malloc'ed, or NULL. */
static char *folder_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	return strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

/* mkdir -p of path's folder, each folder made with mode (0700 for a
 * key's: nobody else lists or reaches what is in it). A folder that is
 * there is used as it is. */
static int make_folders(const char *path, const char *opt, mode_t mode,
			px_error *err)
{
	char *dir = folder_of(path);
	struct stat st;
	int rc = 0;

	if (!dir)
		return px_error_oom(err);
	for (char *p = dir + 1;; p++) {
		char c = *p;

		if (c && c != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, mode) && errno != EEXIST) {
			rc = px_error_set(err, PX_EXIT_CANTCREAT,
					  "%s %s: cannot create the folder "
					  "%s: %s",
					  opt, path, dir, strerror(errno));
			break;
		}
		if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
			rc = px_error_set(err, PX_EXIT_CANTCREAT,
					  "%s %s: %s is not a folder", opt,
					  path, dir);
			break;
		}
		*p = c;
		if (!c)
			break;
	}
	free(dir);
	return rc;
}

/* The files keygen writes: key, certificate (signer then CA) and, when
 * asked, the CA alone. Each is written whole into a nameless file beside
 * its target (package/workfile.h), so a crash leaves no copy of the key
 * under any name; then they are published, the key last: a kill on the
 * way leaves at most certificates, never a key without its certificate. A
 * failure takes back what was published. */
struct out {
	const char *path, *opt;
	BIO *bio;
	mode_t mode, dir_mode;
	px_workfile w;
	int placed;
};

static int write_one(struct out *f, px_error *err)
{
	char *data, *dir;
	long len = BIO_get_mem_data(f->bio, &data);
	ssize_t w;

	if (make_folders(f->path, f->opt, f->dir_mode, err))
		return -1;
	if (!(dir = folder_of(f->path)))
		return px_error_oom(err);
	if (px_workfile_new(&f->w, dir, f->path, err)) {
		free(dir);
		return -1;
	}
	free(dir);
	/* umask may only have removed bits; make the mode exact. */
	if (fchmod(f->w.fd, f->mode))
		goto fail;
	while (len > 0) {
		w = write(f->w.fd, data, (size_t)len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		data += w;
		len -= w;
	}
	return 0;
fail:
	return px_error_set(err, PX_EXIT_CANTCREAT, "cannot write %s: %s",
			    f->path, strerror(errno));
}

/* Gives f its name. Without force the link fails when a file is there,
 * so one that appeared since the first check is still never replaced. */
static int place(struct out *f, int force, px_error *err)
{
	int eexist;

	if (!px_workfile_publish(&f->w, f->path, force, &eexist, err))
		return 0;
	if (eexist)
		px_error_set(err, PX_EXIT_USAGE,
			     "%s exists; give --force to replace it", f->path);
	return -1;
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

static int write_files(struct out *f, int n, int force, px_error *err)
{
	int i, rc = -1;

	for (i = 0; i < n; i++)
		if (write_one(&f[i], err))
			goto out;
	for (i = n - 1; i >= 0; i--) { /* f[0], the key, last */
		if (place(&f[i], force, err))
			goto out;
		f[i].placed = 1;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++) {
		px_workfile_drop(&f[i].w);
		/* a certificate without its key is of no use: take it back */
		if (rc && f[i].placed)
			unlink(f[i].path);
	}
	return rc;
}

static int check_paths(const px_keygen_opts *o, px_error *err)
{
	const char *p[3] = {o->key_path, o->cert_path, o->ca_path};
	const char *opt[3] = {"--key", "--cert", "--ca"};

	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (p[i] && p[j] && !strcmp(p[i], p[j]))
				return px_error_set(err, PX_EXIT_USAGE,
						    "%s and %s name the same "
						    "file %s",
						    opt[i], opt[j], p[i]);
	for (int i = 0; i < 3 && !o->force; i++)
		if (p[i] && refuse_existing(p[i], err))
			return -1;
	return 0;
}

static int write_all(const px_keygen_opts *o, EVP_PKEY *key, X509 *cert,
		     X509 *ca, px_error *err)
{
	struct out f[3] = {
	    {o->key_path, "--key", NULL, 0600, 0700, {.fd = -1}, 0},
	    {o->cert_path, "--cert", NULL, 0644, 0755, {.fd = -1}, 0},
	    {o->ca_path, "--ca", NULL, 0644, 0755, {.fd = -1}, 0},
	};
	int n = o->ca_path ? 3 : 2, rc = -1;

	for (int i = 0; i < n; i++)
		if (!(f[i].bio = BIO_new(BIO_s_mem())))
			goto out;
	if (!PEM_write_bio_PrivateKey(f[0].bio, key, NULL, NULL, 0, NULL,
				      NULL) ||
	    !PEM_write_bio_X509(f[1].bio, cert) ||
	    !PEM_write_bio_X509(f[1].bio, ca) ||
	    (n == 3 && !PEM_write_bio_X509(f[2].bio, ca)))
		goto out;
	rc = write_files(f, n, o->force, err);
out:
	if (rc && !err->code)
		px_error_oom(err);
	for (int i = 0; i < 3; i++)
		BIO_free(f[i].bio);
	return rc;
}

int px_keygen(const px_keygen_opts *o, px_error *err)
{
	const char *cn = o->name && *o->name ? o->name : "portex";
	int days = o->days ? o->days : 365;
	EVP_PKEY *key;
	X509 *cert, *ca;
	int rc;

	if (check_paths(o, err))
		return -1;
	if (days < 1 || days > 36500)
		return px_error_set(err, PX_EXIT_USAGE,
				    "--days %d: expected 1 to 36500", days);
	key = make_key(o->type);
	if (!key)
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "cannot generate a key");
	if (make_certs(key, cn, days, &cert, &ca)) {
		EVP_PKEY_free(key);
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "cannot make the certificate for CN=%s",
				    cn);
	}
	rc = write_all(o, key, cert, ca, err);
	X509_free(cert);
	X509_free(ca);
	EVP_PKEY_free(key);
	return rc;
}
