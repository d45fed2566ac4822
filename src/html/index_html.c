/*
 * index_html.c - the package's index.html: the page around the entity
 * tables (summary, sources, files, how to check the signature), built from
 * manifest.json's content. See index_html.h.
 */
#include "html/index_html.h"

#include <errno.h>
#include <string.h>

typedef struct page {
	FILE *out;
	px_lang lang;
	const json_t *m; /* the manifest */
	const px_tz *tz; /* its timezone; NULL: UTC */
} page;

static const char *str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static void text(const page *p, const char *s)
{
	px_html_text(p->out, s);
}

static void msg(const page *p, enum px_msg id)
{
	px_html_text(p->out, px_i18n(p->lang, id));
}

/* ":" in English, " :" in French (espace avant les deux-points) */
static void colon(const page *p)
{
	fputs(p->lang == PX_LANG_EN ? ":" : " :", p->out);
}

/* "<tag>message</tag>" */
static void tag_msg_inline(const page *p, const char *tag, enum px_msg id)
{
	fprintf(p->out, "<%s>", tag);
	msg(p, id);
	fprintf(p->out, "</%s>", tag);
}

static void tag_msg(const page *p, const char *tag, enum px_msg id)
{
	tag_msg_inline(p, tag, id);
	fputc('\n', p->out);
}

static void heading(const page *p, const char *id, enum px_msg title)
{
	fprintf(p->out, "<section id=\"%s\">\n<h2>", id);
	msg(p, title);
	fputs("</h2>\n", p->out);
}

/* An instant in the controller's zone, with the zone: 22/11/2026 à
 * 08:32:08 CET (UTC+01:00); anything else as given. */
static void timestamp(const page *p, const char *ts)
{
	if (px_html_datetime(p->out, p->lang, p->tz, ts, 1))
		text(p, ts);
}

static void grouped(const page *p, json_int_t n)
{
	px_html_grouped(p->out, p->lang, n);
}

/* "title:" then {"email": "a@b"} as a list "email : a@b" */
static void key_list(const page *p, enum px_msg title, const json_t *obj)
{
	const char *k;
	json_t *v;

	fputs("<p>", p->out);
	msg(p, title);
	colon(p);
	fputs("</p><ul>", p->out);
	json_object_foreach ((json_t *)obj, k, v) {
		fputs("<li><code>", p->out);
		text(p, k);
		fputs("</code>", p->out);
		colon(p);
		fputc(' ', p->out);
		px_html_value(p->out, p->lang, v);
		fputs("</li>", p->out);
	}
	fputs("</ul>", p->out);
}

static void li_msg(const page *p, enum px_msg id)
{
	tag_msg_inline(p, "li", id);
}

/* What this is and what the person can do with it, before any detail. */
static void write_lead(const page *p)
{
	int has_rights = json_object_get(json_object_get(p->m, "processing"),
					 "rights") != NULL;

	fputs("<section class=\"lead\" id=\"about\">\n<h2>", p->out);
	msg(p, PX_MSG_WHAT_IS_THIS);
	fputs("</h2>\n", p->out);
	tag_msg(p, "p", PX_MSG_INTRO);
	fputs("<h2>", p->out);
	msg(p, PX_MSG_WHAT_CAN_I_DO);
	fputs("</h2>\n<ul>", p->out);
	li_msg(p, PX_MSG_DO_READ);
	li_msg(p, PX_MSG_DO_CSV);
	li_msg(p, PX_MSG_DO_JSON);
	fputs("<li><a href=\"#verify\">", p->out);
	msg(p, PX_MSG_DO_VERIFY);
	fputs("</a></li>", p->out);
	if (has_rights) {
		fputs("<li><a href=\"#rights\">", p->out);
		msg(p, PX_MSG_DO_RIGHTS);
		fputs("</a></li>", p->out);
	}
	fputs("</ul>\n</section>\n", p->out);
}

static void write_head(const page *p)
{
	const char *controller =
	    str(json_object_get(p->m, "controller"), "name");

	px_html_doc_open(p->out, p->lang, px_i18n(p->lang, PX_MSG_TITLE),
			 controller);
	fputs("<header>\n<h1>", p->out);
	msg(p, PX_MSG_TITLE);
	fputs("</h1>\n<p>", p->out);
	if (controller) {
		text(p, controller);
		fputs(" \xE2\x80\x94 ", p->out);
	}
	timestamp(p, str(p->m, "created_at"));
	fputs("</p>\n</header>\n", p->out);
	if (!json_is_true(json_object_get(p->m, "signed"))) {
		fputs("<p class=\"warning\" id=\"unsigned\">", p->out);
		msg(p, PX_MSG_UNSIGNED_WARNING);
		fputs("</p>\n", p->out);
	}
	write_lead(p);
}

/* The processing and rights sections, when the manifest has them. */
static void nav_optional(const page *p)
{
	const json_t *proc = json_object_get(p->m, "processing");

	if (json_array_size(json_object_get(proc, "purposes"))) {
		fputs("<li><a href=\"#processing\">", p->out);
		msg(p, PX_MSG_PROCESSING);
		fputs("</a></li>\n", p->out);
	}
	if (json_object_get(proc, "rights")) {
		fputs("<li><a href=\"#rights\">", p->out);
		msg(p, PX_MSG_RIGHTS);
		fputs("</a></li>\n", p->out);
	}
}

static void write_nav(const page *p, const px_html_entity *ents, size_t n)
{
	fputs("<nav>\n<h2>", p->out);
	msg(p, PX_MSG_CONTENTS);
	fputs("</h2>\n<ul>\n<li><a href=\"#summary\">", p->out);
	msg(p, PX_MSG_SUMMARY);
	fputs("</a></li>\n<li><a href=\"#sources\">", p->out);
	msg(p, PX_MSG_SOURCES);
	fputs("</a></li>\n<li><a href=\"#data\">", p->out);
	msg(p, PX_MSG_DATA);
	fputs("</a>", p->out);
	if (n)
		fputs("<ul>\n", p->out);
	for (size_t i = 0; i < n; i++) {
		const char *label = px_i18n_entity(p->lang, ents[i].entity);
		fprintf(p->out, "<li><a href=\"#entity-%zu\">", i);
		text(p, label ? label : ents[i].entity);
		fprintf(p->out, "</a> (%lu)</li>\n", ents[i].records);
	}
	if (n)
		fputs("</ul>", p->out);
	fputs("</li>\n", p->out);
	nav_optional(p);
	fputs("<li><a href=\"#files\">", p->out);
	msg(p, PX_MSG_FILES);
	fputs("</a></li>\n<li><a href=\"#verify\">", p->out);
	msg(p, PX_MSG_VERIFY);
	fputs("</a></li>\n</ul>\n</nav>\n", p->out);
}

static void dt(const page *p, enum px_msg id)
{
	fputs("<dt>", p->out);
	msg(p, id);
	fputs("</dt><dd>", p->out);
}

static void write_subject(const page *p)
{
	const json_t *subject = json_object_get(p->m, "subject");
	const json_t *given = json_object_get(subject, "given");
	const json_t *resolved = json_object_get(subject, "resolved");

	dt(p, PX_MSG_SUBJECT);
	key_list(p, PX_MSG_SUBJECT_GIVEN, given);
	if (json_object_size(resolved))
		key_list(p, PX_MSG_SUBJECT_RESOLVED, resolved);
	fputs("</dd>\n", p->out);
}

static void write_scope(const page *p)
{
	const char *scope = str(p->m, "scope");
	int access = scope && !strcmp(scope, "access");
	int known = scope && (access || !strcmp(scope, "portability"));
	const json_t *cats = json_object_get(p->m, "categories");
	json_t *c;
	size_t i;

	dt(p, PX_MSG_SCOPE);
	fputs("<strong>", p->out);
	if (known)
		msg(p, access ? PX_MSG_SCOPE_ACCESS : PX_MSG_SCOPE_PORTABILITY);
	else
		text(p, scope);
	fputs("</strong>", p->out);
	if (known) {
		fputs("<br/>", p->out);
		msg(p, access ? PX_MSG_SCOPE_ACCESS_TEXT
			      : PX_MSG_SCOPE_PORTABILITY_TEXT);
	}
	fputs("</dd>\n", p->out);
	dt(p, PX_MSG_CATEGORIES);
	fputs("<ul>", p->out);
	json_array_foreach (cats, i, c) {
		const char *words =
		    px_i18n_value(p->lang, "category", json_string_value(c));
		fputs("<li><code>", p->out);
		px_html_value(p->out, p->lang, c);
		fputs("</code>", p->out);
		if (words) {
			fputs(" \xE2\x80\x94 ", p->out);
			text(p, words);
		}
		fputs("</li>", p->out);
	}
	fputs("</ul></dd>\n", p->out);
}

static void write_summary(const page *p)
{
	const json_t *controller = json_object_get(p->m, "controller");
	const char *contact = str(controller, "contact");
	const char *request = str(p->m, "request");
	const char *until = str(p->m, "retrievable_until");

	heading(p, "summary", PX_MSG_SUMMARY);
	fputs("<dl class=\"summary\">\n", p->out);
	write_subject(p);
	dt(p, PX_MSG_CONTROLLER);
	text(p, str(controller, "name"));
	fputs("</dd>\n", p->out);
	if (contact) {
		dt(p, PX_MSG_CONTACT);
		text(p, contact);
		fputs("</dd>\n", p->out);
	}
	dt(p, PX_MSG_CREATED_AT);
	timestamp(p, str(p->m, "created_at"));
	fputs("</dd>\n", p->out);
	dt(p, PX_MSG_TIMEZONE);
	text(p, p->tz ? px_tz_name(p->tz) : "UTC");
	fputs(" \xE2\x80\x94 ", p->out);
	msg(p, PX_MSG_TIMEZONE_TEXT);
	fputs("</dd>\n", p->out);
	dt(p, PX_MSG_REQUEST);
	if (request)
		text(p, request);
	else
		msg(p, PX_MSG_NO_REQUEST);
	fputs("</dd>\n", p->out);
	if (until) {
		dt(p, PX_MSG_RETRIEVABLE_UNTIL);
		fputs("<span class=\"retrievable-until\">", p->out);
		if (px_html_date(p->out, p->lang, until) &&
		    px_html_datetime(p->out, p->lang, p->tz, until, 1))
			text(p, until);
		fputs("</span></dd>\n", p->out);
	}
	write_scope(p);
	if (json_is_true(json_object_get(p->m, "encrypted"))) {
		dt(p, PX_MSG_ENCRYPTION);
		msg(p, PX_MSG_ENCRYPTED_TEXT);
		fputs("</dd>\n", p->out);
	}
	if (json_is_true(json_object_get(p->m, "signed"))) {
		dt(p, PX_MSG_SIGNED_BY);
		text(p, str(p->m, "signer"));
		fputs("</dd>\n", p->out);
	}
	fputs("</dl>\n</section>\n", p->out);
}

static void table_head(const page *p, enum px_msg caption,
		       const enum px_msg *cols, size_t n)
{
	px_html_table_open(p->out, px_i18n(p->lang, caption));
	for (size_t i = 0; i < n; i++) {
		fputs("<th scope=\"col\">", p->out);
		msg(p, cols[i]);
		fputs("</th>", p->out);
	}
	fputs("</tr></thead>\n<tbody>\n", p->out);
}

static void write_counts(const page *p, const json_t *counts)
{
	const char *entity;
	json_t *n;
	int first = 1;

	json_object_foreach ((json_t *)counts, entity, n) {
		const char *label = px_i18n_entity(p->lang, entity);
		if (!first)
			fputs("<br/>", p->out);
		first = 0;
		text(p, label ? label : entity);
		colon(p);
		fputc(' ', p->out);
		px_html_value(p->out, p->lang, n);
	}
	if (first)
		fputs("0", p->out);
}

static void write_sources(const page *p)
{
	static const enum px_msg cols[] = {PX_MSG_SOURCE, PX_MSG_CONNECTOR,
					   PX_MSG_STATUS, PX_MSG_RECORDS};
	const json_t *sources = json_object_get(p->m, "sources");
	json_t *s;
	size_t i;

	heading(p, "sources", PX_MSG_SOURCES);
	if (!json_array_size(sources)) {
		tag_msg(p, "p", PX_MSG_NO_SOURCES);
		fputs("</section>\n", p->out);
		return;
	}
	tag_msg(p, "p", PX_MSG_SOURCES_TEXT);
	table_head(p, PX_MSG_SOURCES, cols, sizeof(cols) / sizeof(cols[0]));
	json_array_foreach (sources, i, s) {
		const char *status = str(s, "status");
		fputs("<tr><td>", p->out);
		text(p, str(s, "name"));
		fputs("</td><td>", p->out);
		text(p, str(s, "connector"));
		fputs("</td><td>", p->out);
		if (status && !strcmp(status, "found"))
			msg(p, PX_MSG_STATUS_FOUND);
		else if (status && !strcmp(status, "not_found"))
			msg(p, PX_MSG_STATUS_NOT_FOUND);
		else
			text(p, status);
		fputs("</td><td>", p->out);
		write_counts(p, json_object_get(s, "counts"));
		fputs("</td></tr>\n", p->out);
	}
	fputs("</tbody>\n</table></div>\n</section>\n", p->out);
}

static int write_data(const page *p, const px_html_entity *ents, size_t n,
		      const px_schemas *schemas, px_error *err)
{
	heading(p, "data", PX_MSG_DATA);
	tag_msg(p, "p", n ? PX_MSG_DATA_TEXT : PX_MSG_NO_DATA);
	for (size_t i = 0; i < n; i++)
		if (px_html_entity_section(p->out, p->lang, p->tz, &ents[i], i,
					   schemas, err))
			return -1;
	fputs("</section>\n", p->out);
	return 0;
}

static void write_files(const page *p)
{
	static const enum px_msg cols[] = {PX_MSG_PATH, PX_MSG_MEDIA_TYPE,
					   PX_MSG_SIZE, PX_MSG_RECORDS,
					   PX_MSG_SHA256};
	const json_t *files = json_object_get(p->m, "files");
	json_t *f, *records;
	size_t i;

	heading(p, "files", PX_MSG_FILES);
	tag_msg(p, "p", PX_MSG_FILES_TEXT);
	table_head(p, PX_MSG_FILES, cols, sizeof(cols) / sizeof(cols[0]));
	json_array_foreach (files, i, f) {
		json_t *size = json_object_get(f, "size");
		fputs("<tr><td><code>", p->out);
		text(p, str(f, "path"));
		fputs("</code></td><td>", p->out);
		text(p, str(f, "media_type"));
		fputs("</td><td class=\"num\">", p->out);
		if (json_is_integer(size))
			grouped(p, json_integer_value(size));
		fputs("</td><td class=\"num\">", p->out);
		records = json_object_get(f, "records");
		if (json_is_integer(records))
			grouped(p, json_integer_value(records));
		fputs("</td><td class=\"hash\">", p->out);
		text(p, str(f, "sha256"));
		fputs("</td></tr>\n", p->out);
	}
	fputs("</tbody>\n</table></div>\n</section>\n", p->out);
}

/* commands, then more (NULL or the rest), as one block of commands */
static void pre(const page *p, const char *commands, const char *more)
{
	fputs("<pre>", p->out);
	text(p, commands);
	text(p, more);
	fputs("</pre>\n", p->out);
}

/* AB:CD:... as `openssl x509 -fingerprint -sha256` prints it, and how to
 * get the certificate out of the signature to compare. */
static void write_fingerprint(const page *p)
{
	const char *fp = str(p->m, "signer_sha256");

	if (!fp || strlen(fp) != 64)
		return;
	fputs("<p><strong>", p->out);
	msg(p, PX_MSG_FINGERPRINT);
	colon(p);
	fputs("</strong> <span class=\"hash\" id=\"fingerprint\">", p->out);
	for (int i = 0; i < 64; i += 2)
		fprintf(p->out, "%s%c%c", i ? ":" : "",
			fp[i] >= 'a' ? fp[i] - 32 : fp[i],
			fp[i + 1] >= 'a' ? fp[i + 1] - 32 : fp[i + 1]);
	fputs("</span></p>\n", p->out);
	tag_msg(p, "p", PX_MSG_FINGERPRINT_TEXT);
	pre(p,
	    "openssl pkcs7 -inform DER -in META-INF/signature001.p7s "
	    "-print_certs -out CERT.pem\n",
	    "openssl x509 -in CERT.pem -noout -fingerprint -sha256");
}

static void write_verify(const page *p)
{
	int encrypted = json_is_true(json_object_get(p->m, "encrypted"));
	/* Info-ZIP's unzip cannot read AES entries; 7-Zip can. */
	const char *extract = encrypted
				  ? "7z x -opkg PACKAGE.zip && cd pkg\n"
				  : "unzip -d pkg PACKAGE.zip && cd pkg\n";

	heading(p, "verify", PX_MSG_VERIFY);
	if (!json_is_true(json_object_get(p->m, "signed"))) {
		fputs("<p class=\"warning\">", p->out);
		msg(p, PX_MSG_UNSIGNED_TEXT);
		fputs("</p>\n", p->out);
		tag_msg(p, "p", PX_MSG_UNSIGNED_DIGESTS);
		pre(p, extract, "sha256sum <file>\n");
		fputs("</section>\n", p->out);
		return;
	}
	fputs("<p><strong>", p->out);
	msg(p, PX_MSG_SIGNED_BY);
	colon(p);
	fputs("</strong> ", p->out);
	text(p, str(p->m, "signer"));
	fputs(" \xE2\x80\x94 ", p->out);
	timestamp(p, str(p->m, "created_at"));
	fputs("</p>\n", p->out);
	tag_msg(p, "p", PX_MSG_SIGNED_TEXT);
	tag_msg(p, "p", PX_MSG_VERIFY_OPENSSL);
	pre(p, extract,
	    "openssl cms -verify -binary -cades -inform DER "
	    "-in META-INF/signature001.p7s "
	    "-content META-INF/ASiCManifest.xml -CAfile CERT.pem "
	    "-purpose any -out /dev/null");
	write_fingerprint(p);
	tag_msg(p, "p", PX_MSG_VERIFY_OPENSSL_OK);
	pre(p, "sha256sum <file>\n",
	    "openssl dgst -sha256 -binary <file> | openssl base64");
	tag_msg(p, "p", PX_MSG_VERIFY_PORTEX);
	pre(p, "portex verify PACKAGE.zip", NULL);
	fputs("</section>\n", p->out);
}

static void write_footer(const page *p)
{
	const json_t *gen = json_object_get(p->m, "generator");

	fputs("<footer><p>", p->out);
	msg(p, PX_MSG_GENERATED_BY);
	fputs(" ", p->out);
	text(p, str(gen, "name") ? str(gen, "name") : "portex");
	if (str(gen, "version")) {
		fputs(" ", p->out);
		text(p, str(gen, "version"));
	}
	if (str(p->m, "format")) {
		fputs(" \xE2\x80\x94 ", p->out);
		text(p, str(p->m, "format"));
	}
	fputs("</p></footer>\n</body>\n</html>\n", p->out);
}

int px_index_html_write(FILE *out, const json_t *manifest,
			const px_html_entity *ents, size_t n,
			const px_schemas *schemas, px_error *err)
{
	page p = {out, px_i18n_lang(str(manifest, "locale")), manifest,
		  px_html_zone(manifest)};

	if (!json_is_object(manifest))
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "index.html: the manifest is not a JSON "
				    "object");
	write_head(&p);
	write_nav(&p, ents, n);
	write_summary(&p);
	write_sources(&p);
	if (write_data(&p, ents, n, schemas, err))
		return px_error_prefix(err, "index.html");
	px_html_processing(out, p.lang,
			   json_object_get(manifest, "processing"));
	px_html_rights(out, p.lang, json_object_get(manifest, "processing"));
	write_files(&p);
	write_verify(&p);
	write_footer(&p);
	if (fflush(out) || ferror(out))
		return px_error_set(err, PX_EXIT_IOERR,
				    "index.html: cannot write: %s",
				    strerror(errno));
	return 0;
}
