/* test_verify_parts.c - the pieces px_verify trusts nothing without: the
 * strict ASiCManifest.xml reader, entry-name checks, the ZIP directory
 * pre-scan. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portex/asic.h"
#include "portex/verify.h"

#define HEAD                                                                   \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"                           \
	"<a:ASiCManifest xmlns:a=\"" PX_ASIC_NS "\" xmlns:d=\"" PX_DS_NS "\">" \
	"<a:SigReference URI=\"META-INF/signature001.p7s\"/>"
#define DOR(uri, alg, val)                                                     \
	"<a:DataObjectReference URI=\"" uri "\">"                              \
	"<d:DigestMethod Algorithm=\"" alg "\"/>"                              \
	"<d:DigestValue>" val "</d:DigestValue></a:DataObjectReference>"
#define TAIL "</a:ASiCManifest>"
#define B64  "q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s="
#define SHA  PX_SHA256_URI

static int parse(const char *xml, px_asic_manifest *m, char *why)
{
	return px_asic_manifest_parse(xml, strlen(xml), 100, m, why, 256);
}

static void expect_refused(const char *xml, const char *reason)
{
	px_asic_manifest m;
	char why[256];

	if (parse(xml, &m, why) == 0)
		fail_msg("accepted: %s", xml);
	if (!strstr(why, reason))
		fail_msg("reason \"%s\" lacks \"%s\"", why, reason);
}

static void accepts_other_prefixes_comments_and_entities(void **state)
{
	const char *xml =
	    "\xef\xbb\xbf<!-- made elsewhere -->"
	    "<ASiCManifest xmlns=\"" PX_ASIC_NS "\">\n"
	    "  <SigReference URI='META-INF/signature001.p7s' "
	    "MimeType=\"application/pkcs7-signature\"/>\n"
	    "  <DataObjectReference URI=\"a&amp;b%20c.json\" "
	    "MimeType=\"application/json\">\n"
	    "    <DigestMethod xmlns=\"" PX_DS_NS "\" Algorithm=\"" SHA "\"/>\n"
	    "    <x:DigestValue xmlns:x=\"" PX_DS_NS "\">\n"
	    "q6urq6urq6urq6urq6urq6urq6ur\n q6urq6urq6urq6s=</x:DigestValue>\n"
	    "  </DataObjectReference>\n</ASiCManifest>\n";
	px_asic_manifest m;
	char why[256];

	(void)state;
	if (parse(xml, &m, why))
		fail_msg("refused: %s", why);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.refs[0].name, "a&b c.json");
	assert_int_equal(m.refs[0].digest[0], 0xab);
	px_asic_manifest_free(&m);
}

static void refuses_what_a_cades_manifest_is_not(void **state)
{
	(void)state;
	expect_refused("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e "
		       "SYSTEM \"file:///etc/passwd\">]>" HEAD TAIL,
		       "DOCTYPE");
	expect_refused(HEAD "<![CDATA[x]]>" TAIL, "CDATA");
	expect_refused("<a:ASiCManifest xmlns:a=\"urn:other\"/>",
		       "root element is not an ASiCManifest");
	expect_refused(HEAD "<a:SigReference URI=\"x\"/>" TAIL,
		       "more than one SigReference");
	expect_refused(
	    HEAD DOR("d.json", "http://www.w3.org/2000/09/xmldsig#sha1", B64)
		TAIL,
	    "d.json: digest algorithm "
	    "http://www.w3.org/2000/09/xmldsig#sha1 is not one of SHA-256");
	expect_refused(HEAD DOR("d.json", SHA, "AAAA") TAIL,
		       "d.json: DigestValue is not a base64 SHA-256");
	expect_refused(HEAD DOR("d.json", SHA, "!!" B64) TAIL, "DigestValue");
	expect_refused(HEAD "<a:DataObjectReference URI=\"d.json\">"
			    "</a:DataObjectReference>" TAIL,
		       "without DigestMethod and DigestValue");
	expect_refused(HEAD "<a:Other/>" TAIL, "unexpected element <Other>");
	expect_refused(HEAD "<b:X xmlns:b=\"urn:b\"/>" TAIL,
		       "unexpected element <X>");
	expect_refused(HEAD "<z:DataObjectReference/>" TAIL,
		       "undeclared namespace prefix");
	expect_refused(HEAD "</a:Wrong>", "mismatched end tag");
	expect_refused(HEAD, "ends before the root element");
	expect_refused(HEAD TAIL "<a:ASiCManifest/>",
		       "more than one root element");
	expect_refused(HEAD "text" TAIL, "unexpected text");
	expect_refused(HEAD DOR("x%2", SHA, B64) TAIL, "does not name a file");
	expect_refused(HEAD DOR("x%00y", SHA, B64) TAIL,
		       "does not name a file");
	expect_refused(HEAD DOR("http://evil/x", SHA, B64) TAIL,
		       "does not name a file");
	expect_refused(HEAD DOR("a&bogus;", SHA, B64) TAIL, "entity");
	expect_refused(HEAD DOR("a&#0;", SHA, B64) TAIL, "entity");
	expect_refused(HEAD "<?php ?>" TAIL, "processing instructions");
	expect_refused("<a:ASiCManifest xmlns:a=\"" PX_ASIC_NS
		       "\"><a:SigReference URI=\"",
		       "unterminated");
}

static void refuses_more_references_than_entries(void **state)
{
	const char *xml = HEAD DOR("a", SHA, B64) DOR("b", SHA, B64) TAIL;
	px_asic_manifest m;
	char why[256];

	(void)state;
	assert_int_equal(
	    px_asic_manifest_parse(xml, strlen(xml), 1, &m, why, sizeof(why)),
	    -1);
	assert_non_null(strstr(why, "more than 1 DataObjectReferences"));
}

static void nesting_unknown_elements_stops_at_the_first(void **state)
{
	char xml[4096] = HEAD;

	(void)state;
	for (int i = 0; i < 200; i++)
		strcat(xml, "<a:x>");
	expect_refused(xml, "unexpected element");
}

static void unsafe_names(void **state)
{
	(void)state;
	assert_null(px_verify_bad_name("data/score.json"));
	assert_null(px_verify_bad_name("files/src/r\xc3\xa9sum\xc3\xa9.txt"));
	assert_null(px_verify_bad_name("files/"));
	assert_null(px_verify_bad_name("a..b/c"));
	assert_string_equal(px_verify_bad_name(""), "empty entry name");
	assert_string_equal(px_verify_bad_name("/etc/passwd"), "absolute path");
	assert_string_equal(px_verify_bad_name("C:/x"), "drive letter");
	assert_string_equal(px_verify_bad_name("../x"), "\"..\" in path");
	assert_string_equal(px_verify_bad_name("a/../../x"), "\"..\" in path");
	assert_string_equal(px_verify_bad_name("a/.."), "\"..\" in path");
	assert_string_equal(px_verify_bad_name("a/./b"), "bad path segment");
	assert_string_equal(px_verify_bad_name("a//b"), "bad path segment");
	assert_string_equal(px_verify_bad_name("a\\b"), "backslash in name");
	assert_string_equal(px_verify_bad_name("a\nb"),
			    "control character in name");
	assert_string_equal(px_verify_bad_name("a\x7f"),
			    "control character in name");
	assert_string_equal(px_verify_bad_name("a\xc0\xaf"),
			    "name is not UTF-8");
	assert_string_equal(px_verify_bad_name("a\xed\xa0\x80"),
			    "name is not UTF-8");
}

static void problems_are_safe_to_print(void **state)
{
	px_verify_result r = {.valid = 1};

	(void)state;
	assert_int_equal(
	    px_verify_problem(&r, "%s: bad", "a\x1b[2J\xff\xc3\xa9"), 0);
	assert_false(r.valid);
	assert_string_equal(r.problems[0], "a?[2J?\xc3\xa9: bad");
	for (int i = 0; i < 300; i++)
		assert_int_equal(px_verify_problem(&r, "p%d", i), 0);
	assert_int_equal(r.n_problems, 301); /* counted; 200 kept */
	assert_string_equal(r.problems[199], "p198");
	px_verify_result_free(&r);
}

static int scan(const void *bytes, size_t n, uint64_t *entries, char *why)
{
	FILE *f = tmpfile();
	int rc;

	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, n, f), n);
	fflush(f);
	rc = px_verify_zip_directory(fileno(f), n, 100000, entries, why, 256);
	fclose(f);
	return rc;
}

static void directory_prescan(void **state)
{
	/* an empty archive: just the end record, with a 3-byte comment */
	unsigned char eocd[22 + 3] = {'P', 'K', 5, 6};
	unsigned char lying[22] = {'P', 'K', 5, 6};
	uint64_t n = 99;
	char why[256];

	(void)state;
	eocd[20] = 3;
	assert_int_equal(scan(eocd, sizeof(eocd), &n, why), 0);
	assert_int_equal(n, 0);
	/* 1000 entries declared in a 10-byte directory */
	lying[10] = 0xe8, lying[11] = 0x03, lying[12] = 10;
	assert_int_equal(scan(lying, sizeof(lying), &n, why), -1);
	assert_non_null(strstr(why, "damaged ZIP directory"));
	assert_int_equal(scan("PK", 2, &n, why), -1);
	assert_non_null(strstr(why, "not a ZIP archive (2 bytes)"));
	/* zip64 marker without a zip64 record */
	lying[10] = 0xff, lying[11] = 0xff;
	assert_int_equal(scan(lying, sizeof(lying), &n, why), -1);
	assert_non_null(strstr(why, "ZIP64"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(accepts_other_prefixes_comments_and_entities),
	    cmocka_unit_test(refuses_what_a_cades_manifest_is_not),
	    cmocka_unit_test(refuses_more_references_than_entries),
	    cmocka_unit_test(nesting_unknown_elements_stops_at_the_first),
	    cmocka_unit_test(unsafe_names),
	    cmocka_unit_test(problems_are_safe_to_print),
	    cmocka_unit_test(directory_prescan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
