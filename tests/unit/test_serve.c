/* test_serve.c - the pieces of `portex serve` that decide who gets what:
 * the bearer check, signed links, the Range header, the listen address,
 * the webhook signature. */
#include "unit.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "serve/auth.h"
#include "serve/link.h"
#include "serve/range.h"
#include "serve/serve_config.h"
#include "serve/webhook.h"

static const char *const key = "link-key-0123456789abcdef0123456789";

static void test_bearer_only_the_exact_token_passes(void **state)
{
	const char *tok = "portal-token-0123456789";
	(void)state;
	assert_int_equal(
	    px_serve_auth_ok("Bearer portal-token-0123456789", tok), 1);
	assert_int_equal(
	    px_serve_auth_ok("bearer portal-token-0123456789", tok), 1);
	assert_int_equal(px_serve_auth_ok(NULL, tok), 0);
	assert_int_equal(px_serve_auth_ok("", tok), 0);
	assert_int_equal(px_serve_auth_ok("Bearer ", tok), 0);
	assert_int_equal(px_serve_auth_ok("Bearer portal-token-012345678", tok),
			 0);
	assert_int_equal(
	    px_serve_auth_ok("Bearer portal-token-01234567890", tok), 0);
	assert_int_equal(px_serve_auth_ok("Basic portal-token-0123456789", tok),
			 0);
	assert_int_equal(px_serve_auth_ok("portal-token-0123456789", tok), 0);
}

static void test_a_signed_link_checks_and_any_change_is_altered(void **state)
{
	char sig[PX_LINK_SIG_LEN], other[PX_LINK_SIG_LEN], exp[24];
	(void)state;
	px_link_sign(key, 42, 2000000000, sig);
	assert_int_equal(strlen(sig), 43);
	snprintf(exp, sizeof(exp), "%d", 2000000000);
	assert_int_equal(px_link_check(key, 42, exp, sig, 1900000000),
			 PX_LINK_OK);
	/* Another request's id, another expiry, another key. */
	assert_int_equal(px_link_check(key, 43, exp, sig, 1900000000),
			 PX_LINK_ALTERED);
	assert_int_equal(px_link_check(key, 42, "2000000001", sig, 1900000000),
			 PX_LINK_ALTERED);
	assert_int_equal(
	    px_link_check("another-key-0123456789", 42, exp, sig, 1900000000),
	    PX_LINK_ALTERED);
	/* One character changed. */
	strcpy(other, sig);
	other[10] = other[10] == 'A' ? 'B' : 'A';
	assert_int_equal(px_link_check(key, 42, exp, other, 1900000000),
			 PX_LINK_ALTERED);
	/* Spellings of the expiry that are not the one signed. */
	assert_int_equal(px_link_check(key, 42, "02000000000", sig, 1900000000),
			 PX_LINK_ALTERED);
	assert_int_equal(px_link_check(key, 42, "+2000000000", sig, 1900000000),
			 PX_LINK_ALTERED);
	assert_int_equal(px_link_check(key, 42, "2000000000 ", sig, 1900000000),
			 PX_LINK_ALTERED);
	assert_int_equal(px_link_check(key, 42, NULL, sig, 1900000000),
			 PX_LINK_ALTERED);
	assert_int_equal(px_link_check(key, 42, exp, NULL, 1900000000),
			 PX_LINK_ALTERED);
	assert_int_equal(px_link_check(key, 42, exp, "", 1900000000),
			 PX_LINK_ALTERED);
}

static void test_a_genuine_link_past_its_expiry_is_expired(void **state)
{
	char sig[PX_LINK_SIG_LEN];
	(void)state;
	px_link_sign(key, 7, 1000, sig);
	assert_int_equal(px_link_check(key, 7, "1000", sig, 1000), PX_LINK_OK);
	assert_int_equal(px_link_check(key, 7, "1000", sig, 1001),
			 PX_LINK_EXPIRED);
}

/* The same HMAC as any implementation computes: RFC 4231-style check
 * against a value computed with Python's hmac module. */
static void test_link_signature_is_hmac_sha256_base64url(void **state)
{
	char sig[PX_LINK_SIG_LEN];
	(void)state;
	/* python3 -c 'import
	 * hmac,hashlib,base64;print(base64.urlsafe_b64encode( hmac.new(b"k"*20,
	 * b"portex-package\n1\n2", hashlib.sha256).digest()))' */
	px_link_sign("kkkkkkkkkkkkkkkkkkkk", 1, 2, sig);
	assert_string_equal(sig, "rJwHmpDscofdgxzeUGUHhg3qTHy3VDudA-cwM262ReI");
}

static void test_range_header(void **state)
{
	uint64_t a, b;
	(void)state;
	assert_int_equal(px_http_range("bytes=0-99", 1000, &a, &b), 0);
	assert_true(a == 0 && b == 99);
	assert_int_equal(px_http_range("bytes=900-", 1000, &a, &b), 0);
	assert_true(a == 900 && b == 999);
	assert_int_equal(px_http_range("bytes=900-5000", 1000, &a, &b), 0);
	assert_true(a == 900 && b == 999);
	assert_int_equal(px_http_range("bytes=-100", 1000, &a, &b), 0);
	assert_true(a == 900 && b == 999);
	assert_int_equal(px_http_range("bytes=-5000", 1000, &a, &b), 0);
	assert_true(a == 0 && b == 999);
	assert_int_equal(px_http_range("bytes=1000-", 1000, &a, &b), -1);
	assert_int_equal(px_http_range("bytes=-0", 1000, &a, &b), -1);
	/* Not usable: the whole file. */
	assert_int_equal(px_http_range(NULL, 1000, &a, &b), 1);
	assert_int_equal(px_http_range("bytes=0-1,5-6", 1000, &a, &b), 1);
	assert_int_equal(px_http_range("items=0-1", 1000, &a, &b), 1);
	assert_int_equal(px_http_range("bytes=5-1", 1000, &a, &b), 1);
	assert_int_equal(px_http_range("bytes=--5", 1000, &a, &b), 1);
	assert_int_equal(px_http_range("bytes=- 5", 1000, &a, &b), 1);
	assert_int_equal(px_http_range("bytes=x-5", 1000, &a, &b), 1);
	assert_int_equal(px_http_range("bytes=1-x", 1000, &a, &b), 1);
}

static void test_listen_addresses(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int lo;
	(void)state;
	assert_int_equal(
	    px_serve_parse_listen("127.0.0.1:8080", &ss, &len, &lo), 0);
	assert_int_equal(lo, 1);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 8080);
	assert_int_equal(px_serve_parse_listen("127.9.9.9:1", &ss, &len, &lo),
			 0);
	assert_int_equal(lo, 1);
	assert_int_equal(px_serve_parse_listen("[::1]:0", &ss, &len, &lo), 0);
	assert_int_equal(lo, 1);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(px_serve_parse_listen("localhost:80", &ss, &len, &lo),
			 0);
	assert_int_equal(lo, 1);
	assert_int_equal(px_serve_parse_listen("0.0.0.0:8080", &ss, &len, &lo),
			 0);
	assert_int_equal(lo, 0);
	assert_int_equal(px_serve_parse_listen("[::]:8080", &ss, &len, &lo), 0);
	assert_int_equal(lo, 0);
	assert_int_equal(px_serve_parse_listen("192.0.2.1:443", &ss, &len, &lo),
			 0);
	assert_int_equal(lo, 0);
	assert_int_equal(px_serve_parse_listen("127.0.0.1", &ss, &len, &lo),
			 -1);
	assert_int_equal(px_serve_parse_listen("127.0.0.1:", &ss, &len, &lo),
			 -1);
	assert_int_equal(
	    px_serve_parse_listen("127.0.0.1:65536", &ss, &len, &lo), -1);
	assert_int_equal(px_serve_parse_listen("127.0.0.1:8x", &ss, &len, &lo),
			 -1);
	assert_int_equal(
	    px_serve_parse_listen("example.org:80", &ss, &len, &lo), -1);
	assert_int_equal(px_serve_parse_listen("::1:80", &ss, &len, &lo), -1);
	assert_int_equal(px_serve_parse_listen(":80", &ss, &len, &lo), -1);
}

static void test_webhook_signature_is_hmac_over_timestamp_dot_body(void **state)
{
	char sig[80];
	(void)state;
	/* python3 -c 'import hmac,hashlib;print(hmac.new(b"s"*16,
	 * b"1700000000.{}", hashlib.sha256).hexdigest())' */
	px_webhook_signature("ssssssssssssssss", 1700000000, "{}", sig);
	assert_string_equal(
	    sig,
	    "v1="
	    "8145b6bbe655be9ac8ceb50795128d861d3a8e4ff497f6921df314ee9c647ce3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bearer_only_the_exact_token_passes),
	    cmocka_unit_test(
		test_a_signed_link_checks_and_any_change_is_altered),
	    cmocka_unit_test(test_a_genuine_link_past_its_expiry_is_expired),
	    cmocka_unit_test(test_link_signature_is_hmac_sha256_base64url),
	    cmocka_unit_test(test_range_header),
	    cmocka_unit_test(test_listen_addresses),
	    cmocka_unit_test(
		test_webhook_signature_is_hmac_over_timestamp_dot_body),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
