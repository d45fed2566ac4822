/* test_asic.c - signing a package (px_asic_sign), loading keys
 * (px_signer_load), and reading it back with px_verify: real keys from
 * px_keygen, real ZIPs from libzip, real CMS from OpenSSL. */
#include "unit.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "portex/asic.h"
#include "portex/verify.h"

typedef struct fixture {
	char dir[PATH_MAX];
	char key[PATH_MAX + 16], cert[PATH_MAX + 16], zip[PATH_MAX + 16];
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	px_error err = PX_ERROR_INIT;

	snprintf(f->dir, sizeof(f->dir), "/tmp/px_asic_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->key, sizeof(f->key), "%s/k.pem", f->dir);
	snprintf(f->cert, sizeof(f->cert), "%s/c.pem", f->dir);
	snprintf(f->zip, sizeof(f->zip), "%s/p.zip", f->dir);
	px_keygen_opts o = {
	    .key_path = f->key, .cert_path = f->cert, .name = "unit signer"};
	assert_int_equal(px_keygen(&o, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void add(zip_t *za, const char *name, const char *text, int store)
{
	zip_source_t *s = zip_source_buffer(za, text, strlen(text), 0);
	zip_int64_t i = zip_file_add(za, name, s, ZIP_FL_ENC_UTF_8);

	assert_true(i >= 0);
	if (store)
		assert_int_equal(zip_set_file_compression(za, (zip_uint64_t)i,
							  ZIP_CM_STORE, 0),
				 0);
}

static const char data_a[] = "{\"entity\":\"score\",\"records\":[]}\n";
static const char data_b[] = "bonjour, \xc3\xa9t\xc3\xa9\n";

/* A package as the packager builds it: mimetype, data, manifest.json,
 * then px_asic_sign with every data file. */
static void build(fixture *f, const char *manifest_json)
{
	px_error err = PX_ERROR_INIT;
	px_digest_entry d[3];
	int zerr;
	zip_t *za = zip_open(f->zip, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
	px_signer *s = px_signer_load(f->key, f->cert, NULL, &err);

	assert_non_null(za);
	assert_non_null(s);
	add(za, "mimetype", PX_ASIC_MIMETYPE, 1);
	add(za, "data/score.json", data_a, 0);
	add(za, "files/src/r\xc3\xa9sum\xc3\xa9 & co.txt", data_b, 0);
	add(za, "manifest.json", manifest_json, 0);
	d[0].name = "data/score.json";
	EVP_Digest(data_a, strlen(data_a), d[0].sha256, NULL, EVP_sha256(),
		   NULL);
	d[1].name = "files/src/r\xc3\xa9sum\xc3\xa9 & co.txt";
	EVP_Digest(data_b, strlen(data_b), d[1].sha256, NULL, EVP_sha256(),
		   NULL);
	d[2].name = "manifest.json";
	EVP_Digest(manifest_json, strlen(manifest_json), d[2].sha256, NULL,
		   EVP_sha256(), NULL);
	assert_int_equal(px_asic_sign(za, d, 3, s, &err), 0);
	assert_int_equal(zip_close(za), 0);
	px_signer_free(s);
}

static char *manifest_json(void)
{
	static char buf[1024];
	unsigned char h[32];
	char hex[65];

	EVP_Digest(data_a, strlen(data_a), h, NULL, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", h[i]);
	snprintf(buf, sizeof(buf),
		 "{\"signer\":\"CN=unit signer\",\"files\":[{\"path\":"
		 "\"data/score.json\",\"size\":%zu,\"sha256\":\"%s\","
		 "\"records\":7}]}",
		 strlen(data_a), hex);
	return buf;
}

static void signed_package_verifies(void **state)
{
	fixture *f = *state;
	px_error err = PX_ERROR_INIT;
	px_verify_opts o = {.path = f->zip, .ca_path = f->cert};
	px_verify_result r;

	build(f, manifest_json());
	assert_int_equal(px_verify(&o, &r, &err), 0);
	for (size_t i = 0; i < r.n_problems; i++)
		print_message("problem: %s\n", r.problems[i]);
	assert_true(r.valid);
	assert_true(r.is_signed && r.signature_ok && r.chain_checked);
	assert_string_equal(r.signer, "CN=unit signer");
	assert_int_equal(r.files, 3);
	assert_int_equal(r.records, 7);
	assert_int_equal(strlen(r.signing_time), 20);
	px_verify_result_free(&r);
}

static void manifest_json_disagreeing_is_a_problem(void **state)
{
	fixture *f = *state;
	px_error err = PX_ERROR_INIT;
	px_verify_opts o = {.path = f->zip};
	px_verify_result r;
	char *m = strdup(manifest_json()), *p;

	/* one hex digit of the digest changed, then signed as such */
	p = strstr(m, "\"sha256\":\"") + 10;
	*p = *p == '0' ? '1' : '0';
	build(f, m);
	free(m);
	assert_int_equal(px_verify(&o, &r, &err), 0);
	assert_false(r.valid);
	assert_int_equal(r.n_problems, 1);
	assert_string_equal(
	    r.problems[0],
	    "data/score.json: SHA-256 differs from manifest.json");
	px_verify_result_free(&r);
}

static void manifest_xml_encodes_uris(void **state)
{
	px_digest_entry d = {.name = "files/a b&c\"<\xc3\xa9>.txt"};
	px_asic_manifest m;
	char why[256];
	size_t len;
	char *xml;

	(void)state;
	memset(d.sha256, 0xab, 32);
	xml = px_asic_manifest_xml(&d, 1, &len);
	assert_non_null(xml);
	assert_non_null(
	    strstr(xml, "URI=\"files/a%20b%26c%22%3C%C3%A9%3E.txt\""));
	assert_non_null(strstr(xml, "xmlns:asic=\"" PX_ASIC_NS "\""));
	assert_non_null(strstr(
	    xml, "<ds:DigestValue>q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=<"
		 "/ds:DigestValue>"));
	/* and reads back to the same name and digest */
	assert_int_equal(
	    px_asic_manifest_parse(xml, len, 10, &m, why, sizeof(why)), 0);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.refs[0].name, d.name);
	assert_memory_equal(m.refs[0].digest, d.sha256, 32);
	assert_string_equal(m.sig_uri, PX_ASIC_SIG_NAME);
	px_asic_manifest_free(&m);
	free(xml);
}

static void key_readable_by_group_is_refused(void **state)
{
	fixture *f = *state;
	px_error err = PX_ERROR_INIT;
	char want[PATH_MAX + 64];

	assert_int_equal(chmod(f->key, 0640), 0);
	assert_null(px_signer_load(f->key, f->cert, NULL, &err));
	assert_int_equal(err.code, PX_EXIT_CONFIG);
	snprintf(want, sizeof(want), "signing key %s has mode 0640", f->key);
	assert_non_null(strstr(err.msg, want));
}

static void missing_files_are_config_errors(void **state)
{
	fixture *f = *state;
	px_error err = PX_ERROR_INIT;

	assert_null(px_signer_load("/nonexistent/k.pem", f->cert, NULL, &err));
	assert_int_equal(err.code, PX_EXIT_CONFIG);
	assert_non_null(strstr(err.msg, "/nonexistent/k.pem"));
	px_error_clear(&err);
	assert_null(px_signer_load(f->key, "/nonexistent/c.pem", NULL, &err));
	assert_int_equal(err.code, PX_EXIT_CONFIG);
	assert_non_null(strstr(err.msg, "signing certificate /nonexistent"));
	px_error_clear(&err);
	/* a certificate file is not a key */
	assert_int_equal(chmod(f->cert, 0600), 0);
	assert_null(px_signer_load(f->cert, f->cert, NULL, &err));
	assert_non_null(strstr(err.msg, "cannot read a PEM private key"));
}

static void short_rsa_key_is_refused(void **state)
{
	fixture *f = *state;
	px_error err = PX_ERROR_INIT;
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	FILE *fp;

	assert_non_null(k);
	fp = fopen(f->key, "w");
	assert_non_null(fp);
	assert_true(PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL, NULL));
	fclose(fp);
	EVP_PKEY_free(k);
	assert_null(px_signer_load(f->key, f->cert, NULL, &err));
	assert_non_null(strstr(err.msg, "RSA key of 1024 bits; at least 2048"));
}

static void encrypted_key_takes_its_passphrase(void **state)
{
	fixture *f = *state;
	px_error err = PX_ERROR_INIT;
	EVP_PKEY *k;
	px_signer *s;
	FILE *fp = fopen(f->key, "r");

	k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	fp = fopen(f->key, "w");
	assert_true(PEM_write_PrivateKey(fp, k, EVP_aes_256_cbc(), NULL, 0,
					 NULL, (void *)"phrase-123"));
	fclose(fp);
	EVP_PKEY_free(k);
	assert_null(px_signer_load(f->key, f->cert, NULL, &err));
	assert_non_null(strstr(err.msg, "is encrypted: give its passphrase"));
	px_error_clear(&err);
	assert_null(px_signer_load(f->key, f->cert, "wrong", &err));
	assert_null(strstr(err.msg, "wrong"));
	px_error_clear(&err);
	s = px_signer_load(f->key, f->cert, "phrase-123", &err);
	assert_non_null(s);
	assert_string_equal(px_signer_subject(s), "CN=unit signer");
	px_signer_free(s);
}

/* A self-signed certificate valid from `from` to `to` days from now. */
static X509 *cert_between(EVP_PKEY *k, long from, long to)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_get_subject_name(x);

	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), from * 86400);
	X509_gmtime_adj(X509_getm_notAfter(x), to * 86400);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
				   (const unsigned char *)"old", -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	return x;
}

static void certificate_expired_at_signing_time(void **state)
{
	fixture *f = *state;
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = cert_between(k, -10, -5);
	BIO *in = BIO_new_mem_buf("content", 7);
	CMS_ContentInfo *cms =
	    CMS_sign(x, k, NULL, in, CMS_BINARY | CMS_DETACHED | CMS_CADES);
	unsigned char *der = NULL;
	int len = i2d_CMS_ContentInfo(cms, &der);
	px_error err = PX_ERROR_INIT;
	px_verify_result r = {.valid = 1};
	FILE *fp;

	assert_true(len > 0);
	assert_int_equal(
	    px_verify_cms(der, (size_t)len, "content", 7, NULL, NULL, &r, &err),
	    0);
	assert_false(r.valid);
	assert_true(r.signature_ok);
	assert_int_equal(r.n_problems, 1);
	assert_non_null(strstr(r.problems[0], "the signer certificate was not "
					      "valid at the signing time"));
	px_verify_result_free(&r);
	/* and the signer refuses it before any export */
	fp = fopen(f->key, "w");
	PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL, NULL);
	fclose(fp);
	fp = fopen(f->cert, "w");
	PEM_write_X509(fp, x);
	fclose(fp);
	assert_null(px_signer_load(f->key, f->cert, NULL, &err));
	assert_int_equal(err.code, PX_EXIT_CONFIG);
	assert_non_null(strstr(err.msg, "c.pem expired on 20"));
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void content_changed_after_signing(void **state)
{
	fixture *f = *state;
	px_error err = PX_ERROR_INIT;
	px_signer *s = px_signer_load(f->key, f->cert, NULL, &err);
	BIO *in = BIO_new_mem_buf("content", 7);
	CMS_ContentInfo *cms =
	    CMS_sign(px_signer_cert(s), px_signer_key(s), NULL, in,
		     CMS_BINARY | CMS_DETACHED | CMS_CADES);
	unsigned char *der = NULL;
	int len = i2d_CMS_ContentInfo(cms, &der);
	px_verify_result r = {.valid = 1};

	assert_int_equal(px_verify_cms(der, (size_t)len, "c0ntent", 7, f->cert,
				       NULL, &r, &err),
			 0);
	assert_false(r.valid);
	assert_false(r.signature_ok);
	assert_non_null(strstr(r.problems[0], "does not match its signature"));
	px_verify_result_free(&r);
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	px_signer_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(manifest_xml_encodes_uris),
	    cmocka_unit_test_setup_teardown(signed_package_verifies, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		manifest_json_disagreeing_is_a_problem, setup, teardown),
	    cmocka_unit_test_setup_teardown(key_readable_by_group_is_refused,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(missing_files_are_config_errors,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(short_rsa_key_is_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(encrypted_key_takes_its_passphrase,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(certificate_expired_at_signing_time,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(content_changed_after_signing,
					    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
