/*
 * test_index_html.c - the package's index.html, read the way a person (and
 * a browser) would: what it shows, in which language, that data cannot
 * inject markup, that it references nothing outside the package, and that
 * large entities are capped.
 */
#include "unit.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "html/i18n.h"
#include "html/index_html.h"

#define MAX_FILES 8

typedef struct fix {
	char dir[64];
	char paths[MAX_FILES][PATH_MAX];
	size_t nfiles;
	px_schemas *schemas;
	char *html; /* last page rendered */
} fix;

static int setup(void **state)
{
	fix *f = calloc(1, sizeof(*f));
	px_error err = PX_ERROR_INIT;

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/px-html-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->schemas = px_schemas_load(&err);
	if (!f->schemas) {
		fprintf(stderr, "schemas: %s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fix *f = *state;

	for (size_t i = 0; i < f->nfiles; i++)
		unlink(f->paths[i]);
	rmdir(f->dir);
	px_schemas_free(f->schemas);
	free(f->html);
	free(f);
	return 0;
}

static const char *new_path(fix *f, const char *name)
{
	char dir[sizeof(f->dir)];

	assert_true(f->nfiles < MAX_FILES);
	memcpy(dir, f->dir, sizeof(dir)); /* -Wrestrict: same struct */
	snprintf(f->paths[f->nfiles], PATH_MAX, "%s/%s", dir, name);
	return f->paths[f->nfiles++];
}

/* Writes records (stolen) in the packager's line layout; returns the path. */
static const char *data_file(fix *f, const char *entity, json_t *records)
{
	const char *path = new_path(f, entity);
	FILE *o = fopen(path, "w");
	size_t i, n = json_array_size(records);
	json_t *r;

	assert_non_null(o);
	fprintf(o,
		"{\"entity\":\"%s\",\"schema\":\"schemas/%s.schema.json\","
		"\"records\":[\n",
		entity, entity);
	json_array_foreach (records, i, r) {
		char *s = json_dumps(r, JSON_COMPACT);
		fprintf(o, "%s%s\n", s, i + 1 < n ? "," : "");
		free(s);
	}
	fputs("]}\n", o);
	assert_int_equal(fclose(o), 0);
	json_decref(records);
	return path;
}

/* A raw data file, for layouts the packager must never produce. */
static const char *raw_file(fix *f, const char *name, const char *text)
{
	const char *path = new_path(f, name);
	FILE *o = fopen(path, "w");

	assert_non_null(o);
	fputs(text, o);
	assert_int_equal(fclose(o), 0);
	return path;
}

static json_t *manifest(const char *locale, int is_signed)
{
	json_t *m = json_pack(
	    "{s:s, s:{s:s, s:s}, s:s, s:s, s:{s:s, s:s},"
	    " s:{s:{s:s}, s:{s:s}}, s:s, s:[s, s], s:b,"
	    " s:[{s:s, s:s, s:s, s:{s:i}}, {s:s, s:s, s:s, s:{}}],"
	    " s:[{s:s, s:i, s:s, s:s, s:i}]}",
	    "format", "portex-package/1", "generator", "name", "portex",
	    "version", "0.1.0", "created_at", "2026-11-22T07:32:08Z", "request",
	    "REQ-2026-0042", "controller", "name", "SEJER", "contact",
	    "contact-donnees@sejer.fr", "subject", "given", "email",
	    "alice@example.org", "resolved", "lms_user_id", "4242", "scope",
	    "portability", "categories", "provided", "observed", "signed",
	    is_signed, "sources", "name", "lms", "connector", "sqlite",
	    "status", "found", "counts", "score", 3, "name", "polylearn",
	    "connector", "rest", "status", "not_found", "counts", "files",
	    "path", "data/score.json", "size", 1234567, "sha256",
	    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	    "media_type", "application/json", "records", 3);

	assert_non_null(m);
	if (locale)
		json_object_set_new(m, "locale", json_string(locale));
	if (is_signed)
		json_object_set_new(m, "signer",
				    json_string("CN=SEJER DPO,O=SEJER,C=FR"));
	return m;
}

static json_t *scores(void)
{
	return json_pack(
	    "[{s:s, s:s, s:s, s:f, s:i, s:b, s:s, s:s},"
	    " {s:s, s:s, s:s, s:i, s:i, s:b, s:s, s:s},"
	    " {s:s, s:s, s:i, s:i, s:s, s:s}]",
	    "taken_at", "2026-03-01T10:00:00Z", "assessment", "quiz-1",
	    "assessment_title", "Fractions", "score", 17.5, "max_score", 20,
	    "passed", 1, "source", "lms", "category", "observed", "taken_at",
	    "2026-03-02T10:00:00Z", "assessment", "quiz-2", "assessment_title",
	    "Décimaux", "score", 8, "max_score", 20, "passed", 0, "source",
	    "lms", "category", "observed", "taken_at", "2026-03-03T10:00:00Z",
	    "assessment", "quiz-3", "score", 20, "max_score", 20, "source",
	    "lms", "category", "observed");
}

/* Renders to a temporary file and keeps the page in f->html. */
static int render(fix *f, const json_t *m, const px_html_entity *ents, size_t n,
		  const px_schemas *schemas, px_error *err)
{
	FILE *out = tmpfile();
	long len;
	int rc;

	assert_non_null(out);
	rc = px_index_html_write(out, m, ents, n, schemas, err);
	len = ftell(out);
	free(f->html);
	f->html = calloc(1, (size_t)len + 1);
	assert_non_null(f->html);
	rewind(out);
	assert_int_equal(fread(f->html, 1, (size_t)len, out), (size_t)len);
	fclose(out);
	return rc;
}

/* The usual page: one entity (score) with three records. */
static void render_scores(fix *f, const char *locale, int is_signed)
{
	px_html_entity e = {"score", data_file(f, "score", scores()), 3, 0, -1,
			    0};
	json_t *m = manifest(locale, is_signed);
	px_error err = PX_ERROR_INIT;

	assert_int_equal(render(f, m, &e, 1, f->schemas, &err), 0);
	json_decref(m);
}

static void assert_has(const char *html, const char *needle)
{
	if (!strstr(html, needle))
		fail_msg("page lacks: %s", needle);
}

static void assert_lacks(const char *html, const char *needle)
{
	if (strstr(html, needle))
		fail_msg("page has: %s", needle);
}

static size_t count(const char *html, const char *needle)
{
	size_t n = 0;

	for (const char *p = html; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_page_shows_who_when_controller_and_request(void **state)
{
	fix *f = *state;

	render_scores(f, NULL, 1);
	assert_has(f->html, "<!DOCTYPE html>");
	assert_has(f->html, "<meta charset=\"utf-8\"/>");
	assert_has(f->html, "<html lang=\"fr\">");
	assert_has(f->html, "Personne concernée");
	assert_has(f->html, "<p>identifiants fournis :</p><ul><li><code>"
			    "email</code> : alice@example.org</li></ul>");
	assert_has(f->html, "<code>lms_user_id</code> : 4242");
	assert_has(f->html, "Responsable du traitement</dt><dd>SEJER</dd>");
	assert_has(f->html, "contact-donnees@sejer.fr");
	assert_has(f->html, "22/11/2026 à 07:32:08 UTC");
	assert_has(f->html, "Demande n°</dt><dd>REQ-2026-0042</dd>");
	assert_has(f->html, "Portabilité (article 20 du RGPD)");
	assert_has(f->html, "demande d&#39;accès (article 15)");
	assert_has(f->html, "générées par votre activité");
	assert_lacks(f->html, "déduites par le responsable du traitement");
}

static void test_access_scope_is_explained_with_article_15(void **state)
{
	fix *f = *state;
	json_t *m = manifest("fr", 1);
	px_error err = PX_ERROR_INIT;

	json_object_set_new(m, "scope", json_string("access"));
	json_object_set_new(
	    m, "categories",
	    json_pack("[s,s,s]", "provided", "observed", "derived"));
	json_object_del(m, "request");
	assert_int_equal(render(f, m, NULL, 0, f->schemas, &err), 0);
	assert_has(f->html, "Accès (article 15 du RGPD)");
	assert_has(f->html, "<code>derived</code> — déduites par le "
			    "responsable du traitement");
	assert_has(f->html, "Demande n°</dt><dd>aucune référence</dd>");
	assert_lacks(f->html, "Portabilité");
	json_decref(m);
}

static void test_each_source_shows_its_status_and_counts(void **state)
{
	fix *f = *state;

	render_scores(f, "fr", 1);
	assert_has(f->html, "<tr><td>lms</td><td>sqlite</td><td>données "
			    "trouvées</td><td>Résultats aux évaluations : "
			    "3</td></tr>");
	assert_has(f->html,
		   "<tr><td>polylearn</td><td>rest</td><td>aucune donnée : "
		   "vous êtes inconnu(e) de cette source</td><td>0</td></tr>");
}

/* The field names of the first table's headers, in order, joined by '|'. */
static void headers_of(const char *html, char *buf, size_t size)
{
	static const char open[] = "<span class=\"field\">";
	const char *p = strstr(html, "<section id=\"entity-0\">");
	const char *end = p ? strstr(p, "</thead>") : NULL;

	buf[0] = '\0';
	assert_non_null(end);
	while ((p = strstr(p, open)) && p < end) {
		const char *name = p + strlen(open);
		const char *close = strstr(name, "</span></th>");
		assert_non_null(close);
		strncat(buf, name, (size_t)(close - name));
		strncat(buf, "|", size - strlen(buf) - 1);
		p = close;
	}
}

static void test_entity_table_follows_the_schema(void **state)
{
	fix *f = *state;
	const json_t *rs = px_schemas_record(f->schemas, "score");
	const json_t *desc = json_object_get(
	    json_object_get(json_object_get(rs, "properties"), "taken_at"),
	    "description");
	char headers[512], th[512];

	render_scores(f, "fr", 1);
	assert_has(f->html, "<h3>Résultats aux évaluations <span "
			    "class=\"name\">(score)</span> — 3 "
			    "enregistrements</h3>");
	/* schema order, only the columns some record has */
	headers_of(f->html, headers, sizeof(headers));
	assert_string_equal(headers, "assessment|assessment_title|score|"
				     "max_score|passed|taken_at|source|"
				     "category|");
	/* descriptions in the page's language, as tooltips and in a
	 * <details> a phone can open; the schema's English is not used */
	assert_non_null(json_string_value(desc));
	snprintf(th, sizeof(th),
		 "<th scope=\"col\" title=\"%s\">Passée le<br/><span "
		 "class=\"field\">taken_at</span></th>",
		 "Date à laquelle l&#39;évaluation a été passée.");
	assert_has(f->html, th);
	assert_lacks(f->html, json_string_value(desc));
	assert_has(f->html, "<details class=\"columns\"><summary>Que contient "
			    "chaque colonne ?</summary>\n<dl><dt>Évaluation "
			    "<span class=\"field\">assessment</span></dt><dd>"
			    "Identifiant de l&#39;évaluation.</dd>");
	assert_string_equal(px_i18n_column(PX_LANG_EN, "answer", "score"),
			    "Points the response earned.");
	assert_string_equal(px_i18n_column(PX_LANG_EN, "score", "score"),
			    "Score obtained.");
	/* cells */
	assert_has(f->html,
		   "<tr><td class=\"nw\">quiz-1</td><td "
		   "class=\"nw\">Fractions</td><td "
		   "class=\"num\">17,5</td><td class=\"num\">20</td>"
		   "<td>oui</td><td class=\"nw\"><time "
		   "datetime=\"2026-03-01T10:00:00Z\">"
		   "01/03/2026 10:00:00 UTC</time></td>"
		   "<td class=\"nw\">lms</td><td class=\"nw\">générées par "
		   "votre activité</td></tr>");
	assert_has(f->html, "<td class=\"nw\">Décimaux</td>");
	assert_has(f->html, "<td>non</td>");
}

static void test_without_schemas_columns_are_the_records_keys(void **state)
{
	fix *f = *state;
	px_html_entity e = {"score", data_file(f, "score", scores()), 3, 0, -1,
			    0};
	json_t *m = manifest("en", 1);
	px_error err = PX_ERROR_INIT;
	char headers[512];

	assert_int_equal(render(f, m, &e, 1, NULL, &err), 0);
	headers_of(f->html, headers, sizeof(headers));
	assert_string_equal(headers, "taken_at|assessment|assessment_title|"
				     "score|max_score|passed|source|category|");
	assert_lacks(f->html, " title=");
	json_decref(m);
}

static void test_unknown_entity_is_shown_by_its_name(void **state)
{
	fix *f = *state;
	px_html_entity e = {
	    "badge",
	    data_file(f, "badge", json_pack("[{s:s}]", "label", "gold")),
	    1,
	    0,
	    -1,
	    0};
	json_t *m = manifest("en", 1);
	px_error err = PX_ERROR_INIT;

	assert_int_equal(render(f, m, &e, 1, f->schemas, &err), 0);
	assert_has(f->html, "<h3>badge — 1 record</h3>");
	assert_has(f->html,
		   "<th scope=\"col\"><span class=\"field\">label</span></th>");
	assert_has(f->html, "<td class=\"nw\">gold</td>");
	json_decref(m);
}

static void test_values_from_data_cannot_inject_markup(void **state)
{
	fix *f = *state;
	const char *evil = "<script>alert(1)</script>\"'&";
	const char *escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
			      "&quot;&#39;&amp;";
	px_html_entity e = {
	    "score",
	    data_file(f, "score",
		      json_pack("[{s:s, s:s, s:s}]", "assessment", evil,
				"<img src=x onerror=alert(2)>", "k", "taken_at",
				"bell\x01")),
	    1,
	    0,
	    -1,
	    0};
	json_t *m = manifest("fr", 1);
	px_error err = PX_ERROR_INIT;

	/* and from the manifest, which repeats what sources returned */
	json_object_set_new(json_object_get(m, "controller"), "name",
			    json_string(evil));
	json_object_set_new(
	    json_object_get(json_object_get(m, "subject"), "given"), "email",
	    json_string(evil));
	json_object_set_new(m, "request", json_string(evil));
	json_object_set_new(m, "signer", json_string(evil));
	json_object_set_new(json_array_get(json_object_get(m, "sources"), 0),
			    "name", json_string(evil));
	assert_int_equal(render(f, m, &e, 1, f->schemas, &err), 0);
	assert_has(f->html, escaped);
	/* cell, controller (title, header, summary), subject, request,
	 * signer (summary, verification), source */
	assert_int_equal(count(f->html, escaped), 9);
	assert_lacks(f->html, "<script");
	assert_lacks(f->html, "<img");
	assert_has(f->html,
		   "<th scope=\"col\"><span class=\"field\">&lt;img src=x "
		   "onerror=alert(2)&gt;</span></th>");
	/* a control character becomes U+FFFD */
	assert_has(f->html, "<td class=\"nw\">bell\xEF\xBF\xBD</td>");
	json_decref(m);
}

static void test_nested_values_are_compact_json(void **state)
{
	fix *f = *state;
	px_html_entity e = {
	    "claim",
	    data_file(f, "claim",
		      json_pack("[{s:s, s:s, s:s, s:[{s:s, s:s, s:s}]}]",
				"reference", "C-7", "subject", "Facture",
				"opened_at", "2026-01-05T08:00:00Z", "messages",
				"at", "2026-01-05T08:00:00Z", "from", "alice",
				"text", "<b>Bonjour</b>")),
	    1,
	    0,
	    -1,
	    0};
	json_t *m = manifest("fr", 1);
	px_error err = PX_ERROR_INIT;

	assert_int_equal(render(f, m, &e, 1, f->schemas, &err), 0);
	assert_has(f->html, "<h3>Réclamations <span class=\"name\">(claim)"
			    "</span>");
	assert_has(f->html, "<td><code>[{&quot;at&quot;:&quot;2026-01-05T08:"
			    "00:00Z&quot;,&quot;from&quot;:&quot;alice&quot;,"
			    "&quot;text&quot;:&quot;&lt;b&gt;Bonjour&lt;/b&gt;"
			    "&quot;}]</code></td>");
	json_decref(m);
}

static void test_page_in_english(void **state)
{
	fix *f = *state;

	render_scores(f, "en", 1);
	assert_has(f->html, "<html lang=\"en\">");
	assert_has(f->html, "<h1>Your personal data</h1>");
	assert_has(f->html, "Data subject");
	assert_has(f->html, "<code>email</code>: alice@example.org");
	assert_has(f->html, "2026-11-22 at 07:32:08 UTC");
	assert_has(f->html, "Portability (GDPR Article 20)");
	assert_has(f->html, "<td>data found</td>");
	assert_has(f->html, "no data: you are unknown to this source");
	assert_has(f->html, "Assessment scores <span class=\"name\">(score)"
			    "</span> — 3 records");
	assert_has(f->html, ">Taken<br/><span class=\"field\">taken_at</span>");
	assert_has(f->html, "<td>yes</td>");
	assert_has(f->html, "1,234,567");
	assert_lacks(f->html, "Personne concernée");
	assert_lacks(f->html, "données");
}

static void test_french_is_the_default_language(void **state)
{
	fix *f = *state;

	render_scores(f, NULL, 1);
	assert_has(f->html, "<h1>Vos données personnelles</h1>");
	assert_has(f->html, "1\xE2\x80\xAF"
			    "234\xE2\x80\xAF"
			    "567");
	render_scores(f, "de", 1);
	assert_has(f->html, "<html lang=\"fr\">");
	assert_int_equal(px_i18n_lang("en-GB"), PX_LANG_EN);
	assert_int_equal(px_i18n_lang("en_US"), PX_LANG_EN);
	assert_int_equal(px_i18n_lang("eng"), PX_LANG_FR);
}

static void test_every_message_exists_in_both_languages(void **state)
{
	(void)state;
	for (int id = 0; id < PX_MSG__COUNT; id++)
		for (int l = 0; l < PX_LANG__COUNT; l++)
			if (!px_i18n((px_lang)l, (enum px_msg)id)[0])
				fail_msg("message %d missing in language %d",
					 id, l);
	for (int l = 0; l < PX_LANG__COUNT; l++)
		assert_non_null(px_i18n_entity((px_lang)l, "consent"));
}

/* Every field of every schema has a column heading in both languages
 * (src/i18n.c, table "fields"). */
static void test_every_schema_field_has_a_heading(void **state)
{
	static const char *const entities[] = {
	    "profile",	  "account",	"licence",  "progress",
	    "score",	  "answer",	"purchase", "claim",
	    "connection", "annotation", "document", "consent"};
	fix *f = *state;
	const char *k;
	json_t *v;

	for (size_t i = 0; i < sizeof(entities) / sizeof(entities[0]); i++) {
		const json_t *rs = px_schemas_record(f->schemas, entities[i]);
		assert_non_null(rs);
		json_object_foreach (json_object_get(rs, "properties"), k, v) {
			for (int l = 0; l < PX_LANG__COUNT; l++) {
				if (!px_i18n_field((px_lang)l, k))
					fail_msg(
					    "%s.%s: no heading in language "
					    "%d",
					    entities[i], k, l);
				if (!px_i18n_column((px_lang)l, entities[i], k))
					fail_msg("%s.%s: no description in "
						 "language %d",
						 entities[i], k, l);
			}
		}
	}
}

static void test_unsigned_package_warns_and_gives_no_openssl(void **state)
{
	fix *f = *state;

	render_scores(f, "fr", 0);
	assert_has(f->html, "<p class=\"warning\" id=\"unsigned\">Attention "
			    ": ce paquet n&#39;est PAS signé.");
	assert_has(f->html, "Ce paquet n&#39;est PAS signé : ni son origine");
	assert_has(f->html, "sha256sum &lt;file&gt;");
	assert_lacks(f->html, "openssl cms");
	assert_lacks(f->html, "Signé par");
	render_scores(f, "en", 0);
	assert_has(f->html, "Warning: this package is NOT signed.");
}

static void test_signed_package_says_who_and_how_to_verify(void **state)
{
	fix *f = *state;

	render_scores(f, "en", 1);
	assert_lacks(f->html, "id=\"unsigned\"");
	assert_lacks(f->html, "NOT signed");
	assert_has(f->html,
		   "Signed by:</strong> CN=SEJER DPO,O=SEJER,C=FR "
		   "— <time datetime=\"2026-11-22T07:32:08Z\">2026-11-22 at "
		   "07:32:08 UTC</time>");
	assert_has(f->html, "<pre>unzip -d pkg PACKAGE.zip &amp;&amp; cd pkg\n"
			    "openssl cms -verify -binary -cades -inform DER "
			    "-in META-INF/signature001.p7s -content "
			    "META-INF/ASiCManifest.xml -CAfile CERT.pem "
			    "-purpose any -out /dev/null</pre>");
	assert_has(f->html, "sha256sum &lt;file&gt;\n");
	assert_has(f->html, "openssl dgst -sha256 -binary &lt;file&gt; | "
			    "openssl base64");
	assert_has(f->html, "<pre>portex verify PACKAGE.zip</pre>");
	assert_has(f->html, "CAdES Verification successful");
}

static void test_encrypted_package_is_extracted_with_7z(void **state)
{
	fix *f = *state;
	json_t *m = manifest("fr", 1);
	px_error err = PX_ERROR_INIT;

	json_object_set_new(m, "encrypted", json_true());
	assert_int_equal(render(f, m, NULL, 0, f->schemas, &err), 0);
	assert_has(f->html, "<dt>Chiffrement</dt>");
	assert_has(f->html, "<pre>7z x -opkg PACKAGE.zip &amp;&amp; cd pkg\n");
	assert_lacks(f->html, "unzip -d");
	json_decref(m);
}

static void test_files_section_lists_size_and_sha256(void **state)
{
	fix *f = *state;

	render_scores(f, "en", 1);
	assert_has(f->html, "<tr><td><code>data/score.json</code></td><td>"
			    "application/json</td><td class=\"num\">1,234,567"
			    "</td><td class=\"num\">3</td><td class=\"hash\">"
			    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd"
			    "15d6c15b0f00a08</td></tr>");
	assert_has(f->html, "This page (index.html) is not listed");
}

/* Every href stays inside the page or the package. */
static void assert_self_contained(const char *html)
{
	const char *p = html;

	assert_lacks(html, "<script");
	assert_lacks(html, "<link");
	assert_lacks(html, "<img");
	assert_lacks(html, "<iframe");
	assert_lacks(html, "src=");
	assert_lacks(html, "url(");
	assert_lacks(html, "@import");
	assert_lacks(html, "http://");
	assert_lacks(html, "https://");
	while ((p = strstr(p, "href=\""))) {
		p += 6;
		if (*p != '#' && strncmp(p, "files/", 6) &&
		    strncmp(p, "data/", 5) && strncmp(p, "csv/", 4) &&
		    strncmp(p, "html/", 5))
			fail_msg("href outside the package: %.40s", p);
	}
}

static void test_page_references_nothing_outside_the_package(void **state)
{
	fix *f = *state;
	px_html_entity e[2] = {
	    {"score", data_file(f, "score", scores()), 3, 0, -1, 0},
	    {"document",
	     data_file(f, "document",
		       json_pack("[{s:s, s:s, s:i, s:s},"
				 " {s:s, s:s, s:i, s:s},"
				 " {s:s, s:s, s:i, s:s}]",
				 "name", "cv final.pdf", "path",
				 "files/lms/cv final.pdf", "size", 10, "source",
				 "lms", "name", "evil", "path",
				 "files/../../etc/passwd", "size", 1, "source",
				 "lms", "name", "web", "path",
				 "javascript:alert(1)", "size", 1, "source",
				 "lms")),
	     3, 0, -1, 0}};
	json_t *m = manifest("fr", 1);
	px_error err = PX_ERROR_INIT;

	assert_int_equal(render(f, m, e, 2, f->schemas, &err), 0);
	assert_self_contained(f->html);
	/* documents link to their file, relative, percent-encoded */
	assert_has(f->html, "<td><a href=\"files/lms/cv%20final.pdf\">cv "
			    "final.pdf</a></td>");
	assert_int_equal(count(f->html, "href=\"files/"), 2);
	/* unsafe paths are shown, never linked */
	assert_has(f->html, "<td class=\"nw\">files/../../etc/passwd</td>");
	assert_has(f->html, "<td class=\"nw\">javascript:alert(1)</td>");
	/* the contents link to every section */
	assert_has(f->html, "<a href=\"#entity-1\">Documents déposés</a> (3)");
	render_scores(f, "en", 0);
	assert_self_contained(f->html);
	json_decref(m);
}

static json_t *many_scores(int n)
{
	json_t *a = json_array();

	for (int i = 0; i < n; i++) {
		char q[16];
		snprintf(q, sizeof(q), "q-%04d", i);
		json_array_append_new(
		    a, json_pack("{s:s, s:i, s:s}", "assessment", q, "score", i,
				 "taken_at", "2026-03-01T10:00:00Z"));
	}
	return a;
}

/* index.html holds 500; past that, pages of 5,000 from the first record. */
static void test_pages_an_entity_gets(void **state)
{
	(void)state;
	assert_int_equal(px_html_pages(0), 0);
	assert_int_equal(px_html_pages(PX_HTML_MAX_ROWS), 0);
	assert_int_equal(px_html_pages(PX_HTML_MAX_ROWS + 1), 1);
	assert_int_equal(px_html_pages(PX_HTML_PAGE_ROWS), 1);
	assert_int_equal(px_html_pages(PX_HTML_PAGE_ROWS + 1), 2);
	assert_int_equal(px_html_pages(10000001), 2001);
}

static void test_large_entity_shows_500_rows_and_how_many_more(void **state)
{
	fix *f = *state;
	px_html_entity e = {
	    "score", data_file(f, "score", many_scores(1234)), 1234, 0, -1, 0};
	json_t *m = manifest("en", 1);
	px_error err = PX_ERROR_INIT;

	assert_int_equal(render(f, m, &e, 1, f->schemas, &err), 0);
	assert_has(f->html, "— 1,234 records</h3>");
	assert_int_equal(count(f->html, "<td class=\"nw\">q-"),
			 PX_HTML_MAX_ROWS);
	assert_has(f->html, "<td class=\"nw\">q-0499</td>");
	assert_lacks(f->html, "<td class=\"nw\">q-0500</td>");
	assert_has(f->html, "<p class=\"more\">734 more rows are not shown "
			    "here. Every row, page by page:</p>");
	/* 1234 rows: one page of PX_HTML_PAGE_ROWS holds them all */
	assert_has(f->html, "<a href=\"html/score-0001.html\">1</a>");
	assert_lacks(f->html, "score-0002");
	json_object_set_new(m, "locale", json_string("fr"));
	assert_int_equal(render(f, m, &e, 1, f->schemas, &err), 0);
	assert_has(f->html, "<p class=\"more\">734 autres lignes ne sont pas "
			    "affichées ici. Toutes les lignes, page par "
			    "page :</p>");
	json_decref(m);
}

static void test_exactly_500_rows_need_no_note(void **state)
{
	fix *f = *state;
	px_html_entity e = {
	    "score", data_file(f, "score", many_scores(500)), 500, 0, -1, 0};
	json_t *m = manifest("en", 1);
	px_error err = PX_ERROR_INIT;

	assert_int_equal(render(f, m, &e, 1, f->schemas, &err), 0);
	assert_int_equal(count(f->html, "<td class=\"nw\">q-"), 500);
	assert_lacks(f->html, "class=\"more\"");
	json_decref(m);
}

/* Rows past the cap are counted, not parsed: a line there that is not
 * JSON goes unnoticed, which shows they cost no parsing. */
static void test_rows_past_the_cap_are_counted_not_parsed(void **state)
{
	fix *f = *state;
	char *text = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&text, &len);
	px_html_entity e = {"score", NULL, 502, 0, -1, 0};
	json_t *m = manifest("en", 1);
	px_error err = PX_ERROR_INIT;

	fputs("{\"entity\":\"score\",\"records\":[\n", o);
	for (int i = 0; i < 500; i++)
		fprintf(o, "{\"assessment\":\"q-%04d\"},\n", i);
	fputs("not json at all,\n{\"assessment\":\"last\"}\n]}\n", o);
	fclose(o);
	e.path = raw_file(f, "score", text);
	assert_int_equal(render(f, m, &e, 1, f->schemas, &err), 0);
	assert_has(f->html, "2 more rows are not shown here.");
	assert_lacks(f->html, "<td class=\"nw\">last</td>");
	free(text);
	json_decref(m);
}

static void test_empty_package_says_so(void **state)
{
	fix *f = *state;
	json_t *m = manifest("en", 1);
	px_html_entity e = {
	    "score", data_file(f, "score", json_array()), 0, 0, -1, 0};
	px_error err = PX_ERROR_INIT;

	json_object_set_new(m, "sources", json_array());
	assert_int_equal(render(f, m, NULL, 0, f->schemas, &err), 0);
	assert_has(f->html, "<p>No data was found.</p>");
	assert_has(f->html, "<p>No source.</p>");
	assert_int_equal(render(f, m, &e, 1, f->schemas, &err), 0);
	assert_has(f->html, "— 0 records</h3>\n<p>No records.</p>");
	json_decref(m);
}

/* A data file the packager did not write as promised fails with the file,
 * the line and what was expected. */
static void expect_data_error(fix *f, const char *text, unsigned long records,
			      int code, const char *needle)
{
	px_html_entity e = {"score", raw_file(f, "bad", text), records, 0, -1,
			    0};
	json_t *m = manifest("en", 1);
	px_error err = PX_ERROR_INIT;

	assert_int_equal(render(f, m, &e, 1, f->schemas, &err), -1);
	assert_int_equal(err.code, code);
	if (!strstr(err.msg, needle) || strncmp(err.msg, "index.html: ", 12) ||
	    !strstr(err.msg, "data/score.json"))
		fail_msg("error '%s' lacks '%s'", err.msg, needle);
	json_decref(m);
	unlink(f->paths[--f->nfiles]);
}

static void test_malformed_data_files_are_reported(void **state)
{
	fix *f = *state;
	const char *head = "{\"entity\":\"score\",\"records\":[\n";
	char text[256];

	expect_data_error(f, "", 0, PX_EXIT_SOFTWARE,
			  "line 1: file ends before the closing ]}");
	expect_data_error(f, "[1,2]\n]}\n", 0, PX_EXIT_SOFTWARE,
			  "line 1: expected {\"entity\":...,\"records\":[");
	snprintf(text, sizeof(text), "%s{\"a\":1},\n", head);
	expect_data_error(f, text, 1, PX_EXIT_SOFTWARE,
			  "line 3: file ends before the closing ]}");
	snprintf(text, sizeof(text), "%s{\"a\":1},\n{\"a\":\n]}\n", head);
	expect_data_error(f, text, 2, PX_EXIT_SOFTWARE,
			  "line 3: expected one JSON object");
	snprintf(text, sizeof(text), "%s{\"a\":1},\n{\"a\":}\n]}\n", head);
	expect_data_error(f, text, 2, PX_EXIT_SOFTWARE,
			  "line 3: expected one compact JSON object");
	snprintf(text, sizeof(text), "%s{\"a\":\"x\\u0000\"}\n]}\n", head);
	expect_data_error(f, text, 1, PX_EXIT_SOFTWARE,
			  "line 2: expected one JSON object: the JSON holds a "
			  "NUL character");
	snprintf(text, sizeof(text), "%s[1]\n]}\n", head);
	expect_data_error(f, text, 1, PX_EXIT_SOFTWARE,
			  "line 2: expected one JSON object");
	snprintf(text, sizeof(text), "%s{\"a\":1}\n]}\n", head);
	expect_data_error(f, text, 2, PX_EXIT_SOFTWARE,
			  "1 records, expected 2");
}

static void test_missing_data_file_is_an_io_error(void **state)
{
	fix *f = *state;
	px_html_entity e = {"score", "/nonexistent/score.json", 1, 0, -1, 0};
	json_t *m = manifest("en", 1);
	px_error err = PX_ERROR_INIT;

	assert_int_equal(render(f, m, &e, 1, f->schemas, &err), -1);
	assert_int_equal(err.code, PX_EXIT_IOERR);
	assert_string_equal(err.msg, "index.html: data/score.json: cannot read "
				     "/nonexistent/score.json: No such file or "
				     "directory");
	json_decref(m);
}

static void test_unwritable_output_is_an_io_error(void **state)
{
	fix *f = *state;
	FILE *full = fopen("/dev/full", "w");
	json_t *m = manifest("en", 1), *array = json_array();
	px_error err = PX_ERROR_INIT;

	(void)f;
	if (!full)
		skip();
	assert_int_equal(px_index_html_write(full, m, NULL, 0, NULL, &err), -1);
	assert_int_equal(err.code, PX_EXIT_IOERR);
	assert_string_equal(
	    err.msg, "index.html: cannot write: No space left on device");
	fclose(full);
	assert_int_equal(
	    px_index_html_write(stdout, array, NULL, 0, NULL, &err), -1);
	assert_string_equal(err.msg,
			    "index.html: the manifest is not a JSON object");
	json_decref(array);
	json_decref(m);
}

static void test_text_is_always_valid_utf8(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&text, &len);
	/* valid 2-, 3- and 4-byte characters, then: a lone continuation
	 * byte, an overlong '/', a surrogate, a truncated sequence, a C1
	 * control, U+FFFF, NUL inside the length */
	static const char in[] = "é€😀|\x80|\xC0\xAF|\xED\xA0\x80|\xE2\x82|"
				 "\xC2\x85|\xEF\xBF\xBF|\0|";

	(void)state;
	px_html_textn(o, in, sizeof(in) - 1);
	fclose(o);
	assert_string_equal(text, "é€😀|\xEF\xBF\xBD|\xEF\xBF\xBD\xEF\xBF\xBD|"
				  "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD|"
				  "\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD|"
				  "\xEF\xBF\xBD|\xEF\xBF\xBD|");
	free(text);
}

/* The page is well-formed XML too: an independent parser (libxml2's
 * xmllint) accepts it, hostile data included. */
static void test_page_is_well_formed_for_an_xml_parser(void **state)
{
	fix *f = *state;
	px_html_entity e = {
	    "score",
	    data_file(f, "score",
		      json_pack("[{s:s, s:s}]", "assessment",
				"<script>alert(1)</script>\"'&]]>", "<x a='1'>",
				"&amp;")),
	    1,
	    0,
	    -1,
	    0};
	json_t *m = manifest("fr", 0);
	px_error err = PX_ERROR_INIT;
	const char *path = new_path(f, "index.html");
	char cmd[PATH_MAX + 64];
	FILE *out;

	if (access("/usr/bin/xmllint", X_OK))
		skip();
	out = fopen(path, "w");
	assert_non_null(out);
	assert_int_equal(px_index_html_write(out, m, &e, 1, f->schemas, &err),
			 0);
	assert_int_equal(fclose(out), 0);
	snprintf(cmd, sizeof(cmd), "/usr/bin/xmllint --noout '%s'", path);
	assert_int_equal(system(cmd), 0);
	json_decref(m);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* The controller's zone: instants in it with the zone named, the zone in
 * the summary; the data files keep UTC. */
static void test_dates_in_the_controllers_zone(void **state)
{
	fix *f = *state;
	json_t *recs = json_pack(
	    "[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}]", "id", "c1",
	    "at", "2026-01-15T07:32:08Z", "event", "login", "id", "c2", "at",
	    "2026-07-15T07:32:08.250Z", "event", "logout", "id", "c3", "at",
	    "2026-07-15 07:32", "event", "sso");
	px_html_entity e = {
	    "connection", data_file(f, "connection", recs), 3, 0, -1, 0};
	json_t *m = manifest("fr", 1);
	px_error err = PX_ERROR_INIT;

	json_object_set_new(m, "timezone", json_string("Europe/Paris"));
	assert_int_equal(render(f, m, &e, 1, f->schemas, &err), 0);
	assert_has(f->html, "<time datetime=\"2026-11-22T07:32:08Z\">"
			    "22/11/2026 à 08:32:08 CET (UTC+01:00)</time>");
	assert_has(f->html, "<dt>Fuseau horaire</dt><dd>Europe/Paris — les "
			    "dates et heures de cette page y sont données");
	assert_has(f->html, "<time datetime=\"2026-01-15T07:32:08Z\">"
			    "15/01/2026 08:32:08 CET</time>");
	assert_has(f->html, "<time datetime=\"2026-07-15T07:32:08.250Z\">"
			    "15/07/2026 09:32:08,250 CEST</time>");
	/* not an RFC 3339 UTC instant: shown as it is */
	assert_has(f->html, "<td>2026-07-15 07:32</td>");
	json_object_set_new(m, "locale", json_string("en"));
	json_object_set_new(m, "timezone", json_string("America/New_York"));
	assert_int_equal(render(f, m, &e, 1, f->schemas, &err), 0);
	assert_has(f->html, "2026-11-22 at 02:32:08 EST (UTC-05:00)</time>");
	assert_has(f->html, "2026-07-15 03:32:08.250 EDT</time>");
	assert_has(f->html, "<dt>Time zone</dt><dd>America/New_York — ");
	/* a zone without letters is named by its offset */
	json_object_set_new(m, "timezone", json_string("America/Sao_Paulo"));
	assert_int_equal(render(f, m, &e, 1, f->schemas, &err), 0);
	assert_has(f->html, "2026-11-22 at 04:32:08 UTC-03:00 (UTC-03:00)");
	json_decref(m);
}

/* Numbers, money and closed lists as each language writes them. */
static void test_numbers_money_and_words_as_the_locale_writes_them(void **state)
{
	fix *f = *state;
	json_t *buys = json_pack(
	    "[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, "
	    "s:s}]",
	    "id", "p1", "amount", "1249.90", "currency", "EUR", "category",
	    "provided", "id", "p2", "amount", "-5.00", "currency", "CHF",
	    "category", "provided", "id", "p3", "amount", "49.9x", "currency",
	    "EUR", "category", "derived");
	json_t *prog =
	    json_pack("[{s:s, s:s, s:i}]", "course", "EN-B2", "status",
		      "completed", "time_spent_seconds", 12345);
	px_html_entity e[] = {
	    {"purchase", data_file(f, "purchase", buys), 3, 0, -1, 0},
	    {"progress", data_file(f, "progress", prog), 1, 0, -1, 0}};
	json_t *m = manifest("fr", 1);
	px_error err = PX_ERROR_INIT;

	assert_int_equal(render(f, m, e, 2, f->schemas, &err), 0);
	assert_has(f->html, "<td class=\"num\">1\xE2\x80\xAF"
			    "249,90\xC2\xA0\xE2\x82\xAC</td>");
	assert_has(f->html, "<td class=\"num\">-5,00\xC2\xA0"
			    "CHF</td>");
	/* not an amount: as it is, never a guess */
	assert_has(f->html, "<td class=\"num\">49.9x</td>");
	assert_has(f->html, ">fournies par vous</td>");
	assert_has(f->html, ">déduites par le responsable du traitement</td>");
	assert_has(f->html, "<td class=\"nw\">terminé</td>");
	assert_has(f->html, "<td class=\"num\">12\xE2\x80\xAF"
			    "345</td>");
	assert_has(f->html, "— 1 enregistrement</h3>");
	assert_has(f->html, "— 3 enregistrements</h3>");
	json_object_set_new(m, "locale", json_string("en"));
	assert_int_equal(render(f, m, e, 2, f->schemas, &err), 0);
	assert_has(f->html, "<td class=\"num\">\xE2\x82\xAC"
			    "1,249.90</td>");
	assert_has(f->html, "<td class=\"num\">-CHF\xC2\xA0"
			    "5.00</td>");
	assert_has(f->html, "<td class=\"nw\">completed</td>");
	assert_has(f->html, ">provided by you</td>");
	assert_has(f->html, "<td class=\"num\">12,345</td>");
	assert_has(f->html, "— 1 record</h3>");
	assert_int_equal(
	    strcmp(px_i18n_count(PX_LANG_FR, PX_MSG_RECORD_COUNT, 0),
		   "enregistrement"),
	    0);
	assert_int_equal(
	    strcmp(px_i18n_count(PX_LANG_EN, PX_MSG_RECORD_COUNT, 0),
		   "records"),
	    0);
	assert_string_equal(px_i18n_value(PX_LANG_FR, "event", "login"),
			    "connexion");
	assert_null(px_i18n_value(PX_LANG_FR, "status", "login"));
	/* what a table asks once per column instead of per cell */
	assert_true(px_i18n_has_values("status"));
	assert_true(px_i18n_has_values("event"));
	assert_false(px_i18n_has_values("prompt"));
	assert_false(px_i18n_has_values(NULL));
	json_decref(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_dates_in_the_controllers_zone),
	    T(test_numbers_money_and_words_as_the_locale_writes_them),
	    T(test_page_shows_who_when_controller_and_request),
	    T(test_access_scope_is_explained_with_article_15),
	    T(test_each_source_shows_its_status_and_counts),
	    T(test_entity_table_follows_the_schema),
	    T(test_without_schemas_columns_are_the_records_keys),
	    T(test_unknown_entity_is_shown_by_its_name),
	    T(test_values_from_data_cannot_inject_markup),
	    T(test_nested_values_are_compact_json),
	    T(test_page_in_english),
	    T(test_french_is_the_default_language),
	    T(test_every_message_exists_in_both_languages),
	    T(test_every_schema_field_has_a_heading),
	    T(test_unsigned_package_warns_and_gives_no_openssl),
	    T(test_signed_package_says_who_and_how_to_verify),
	    T(test_encrypted_package_is_extracted_with_7z),
	    T(test_files_section_lists_size_and_sha256),
	    T(test_page_references_nothing_outside_the_package),
	    T(test_large_entity_shows_500_rows_and_how_many_more),
	    T(test_pages_an_entity_gets),
	    T(test_exactly_500_rows_need_no_note),
	    T(test_rows_past_the_cap_are_counted_not_parsed),
	    T(test_empty_package_says_so),
	    T(test_malformed_data_files_are_reported),
	    T(test_missing_data_file_is_an_io_error),
	    T(test_unwritable_output_is_an_io_error),
	    T(test_text_is_always_valid_utf8),
	    T(test_page_is_well_formed_for_an_xml_parser),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
