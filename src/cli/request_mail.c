/*
 * request_mail.c - `request deliver ID --method email` and `request
 * remind`.
 *
 * A delivery by email is three ledger changes around one send: the
 * Message-ID is recorded first ("sending"), then either the server's
 * answer ("sent", the request becomes delivered) or the failure ("failed",
 * the request stays exported). A crash between the first and the last
 * leaves "sending", and the next attempt refuses to send a second copy
 * unless told (--resend): the mail server's log, searched for that
 * Message-ID, says whether the first one left.
 */
#include <errno.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/delivery.h"
#include "cli/request_mail.h"
#include "digest.h"
#include "jsonout.h"
#include "mail/mail.h"
#include "package/manifest_read.h"
#include "package/workfile.h"
#include "secret.h"
#include "serve/link.h"
#include "serve/serve_config.h"
#include "timefmt.h"

static const char *str(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

/* ---- message text ---------------------------------------------------- */

struct vars {
	const char *names[16];
	const char *values[16];
	int n;
};

static void var(struct vars *v, const char *name, const char *value)
{
	v->names[v->n] = name;
	v->values[v->n++] = value ? value : "";
}

/* tpl with every {{name}} replaced; an unknown name is an error, so a
 * typo in a configured template does not reach a learner as is. */
static int expand(const char *tpl, const struct vars *v, const char *where,
		  px_buf *out, px_error *err)
{
	const char *p = tpl, *open;

	while ((open = strstr(p, "{{"))) {
		const char *close = strstr(open + 2, "}}");
		int i;

		if (!close)
			break;
		if (px_buf_add(out, p, (size_t)(open - p)))
			return px_error_oom(err);
		for (i = 0; i < v->n; i++)
			if (strlen(v->names[i]) == (size_t)(close - open - 2) &&
			    !strncmp(open + 2, v->names[i],
				     (size_t)(close - open - 2)))
				break;
		if (i == v->n)
			return px_error_set(err, PX_EXIT_CONFIG,
					    "%s: unknown placeholder "
					    "{{%.*s}}",
					    where, (int)(close - open - 2),
					    open + 2);
		if (px_buf_add(out, v->values[i], strlen(v->values[i])))
			return px_error_oom(err);
		p = close + 2;
	}
	if (px_buf_add(out, p, strlen(p) + 1))
		return px_error_oom(err);
	out->len--;
	return 0;
}

static const char fr_subject[] = "Vos données personnelles ({{controller}}, "
				 "demande {{request}})";
static const char fr_text[] =
    "Bonjour,\n\n"
    "Vous avez demandé à {{controller}} une copie de vos données "
    "personnelles (demande n° {{request}}). {{delivery_fr}}\n\n"
    "{{until_fr}}"
    "Ouvrez-le avec n'importe quel outil ZIP, puis ouvrez index.html dans "
    "un navigateur : la page présente vos données, et le dossier data/ "
    "les contient au format JSON pour les réutiliser ailleurs.\n\n"
    "Le paquet est signé électroniquement (ASiC-E, CAdES).\n"
    "Empreinte SHA-256 du paquet : {{sha256}}\n"
    "Empreinte SHA-256 du certificat de signature : {{fingerprint}}\n"
    "Pour vérifier la signature : décompressez le paquet, puis\n"
    "  openssl cms -verify -binary -cades -inform DER -in "
    "META-INF/signature001.p7s -content META-INF/ASiCManifest.xml "
    "-noverify -out /dev/null\n"
    "et comparez l'empreinte du certificat avec celle ci-dessus.\n\n"
    "{{password_fr}}"
    "Pour toute question, ou pour exercer vos autres droits : "
    "{{contact}}\n\n{{controller}}\n";
static const char en_subject[] = "Your personal data ({{controller}}, "
				 "request {{request}})";
static const char en_text[] =
    "Hello,\n\n"
    "You asked {{controller}} for a copy of your personal data (request "
    "{{request}}). {{delivery_en}}\n\n"
    "{{until_en}}"
    "Open it with any ZIP tool, then open index.html in a browser: the "
    "page shows your data, and the data/ folder holds it as JSON to reuse "
    "elsewhere.\n\n"
    "The package is electronically signed (ASiC-E, CAdES).\n"
    "SHA-256 of the package: {{sha256}}\n"
    "SHA-256 fingerprint of the signing certificate: {{fingerprint}}\n"
    "To check the signature: unzip the package, then\n"
    "  openssl cms -verify -binary -cades -inform DER -in "
    "META-INF/signature001.p7s -content META-INF/ASiCManifest.xml "
    "-noverify -out /dev/null\n"
    "and compare the certificate's fingerprint with the one above.\n\n"
    "{{password_en}}"
    "For any question, or to exercise your other rights: {{contact}}\n\n"
    "{{controller}}\n";

/* The configured template smtp.templates.LANG.FIELD, else the built-in. */
static const char *template_for(const px_config *cfg, const char *lang,
				const char *field, const char *builtin)
{
	json_t *t = json_object_get(
	    json_object_get(json_object_get(cfg->root, "smtp"), "templates"),
	    lang);
	const char *v = json_string_value(json_object_get(t, field));

	return v ? v : builtin;
}

/* Subject and text, in lang then the other language below it. */
static int compose(const px_config *cfg, const char *lang, const struct vars *v,
		   px_buf *subject, px_buf *text, px_error *err)
{
	const char *other = strcmp(lang, "en") ? "en" : "fr";
	char where[96];

	snprintf(where, sizeof(where), "%s: /smtp/templates/%s", cfg->path,
		 lang);
	if (expand(template_for(cfg, lang, "subject",
				strcmp(lang, "en") ? fr_subject : en_subject),
		   v, where, subject, err) ||
	    expand(template_for(cfg, lang, "text",
				strcmp(lang, "en") ? fr_text : en_text),
		   v, where, text, err))
		return -1;
	if (px_buf_add(text, "\n-- \n", 5))
		return px_error_oom(err);
	snprintf(where, sizeof(where), "%s: /smtp/templates/%s", cfg->path,
		 other);
	return expand(template_for(cfg, other, "text",
				   strcmp(other, "en") ? fr_text : en_text),
		      v, where, text, err);
}

/* "AB:CD:..." as `openssl x509 -fingerprint -sha256` prints it. */
static int cert_fingerprint(const px_config *cfg, char *out, size_t n,
			    px_error *err)
{
	const char *rel = px_config_str(cfg, "signing.cert");
	char *path = rel ? px_config_path(cfg, rel) : NULL;
	unsigned char md[32];
	unsigned int len = 0;
	X509 *x = NULL;
	FILE *f;

	if (!rel)
		return px_error_set(err, PX_EXIT_CONFIG,
				    "%s: /signing/cert: missing (the email "
				    "gives its fingerprint)",
				    cfg->path);
	if (!path)
		return px_error_oom(err);
	f = fopen(path, "r");
	if (f) {
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (!x || !X509_digest(x, EVP_sha256(), md, &len) || len != 32) {
		X509_free(x);
		px_error_set(err, PX_EXIT_CONFIG,
			     "signing certificate %s: cannot read it", path);
		free(path);
		return -1;
	}
	X509_free(x);
	free(path);
	for (unsigned i = 0; i < 32 && 3 * i + 3 <= n; i++)
		snprintf(out + 3 * i, n - 3 * i, "%02X%s", md[i],
			 i < 31 ? ":" : "");
	return 0;
}

/* ---- deliver ----------------------------------------------------------- */

static const char *recipient(const json_t *req, const char *to)
{
	const char *r = str(req, "requester");

	if (to)
		return to;
	if (strchr(r, '@'))
		return r;
	r = str(json_object_get(req, "subject"), "email");
	return *r ? r : NULL;
}

static void now_rfc3339(char *out, size_t n)
{
	px_rfc3339_from_epoch((int64_t)time(NULL), 0, out, n);
}

/* Sends m from the smtp section's sender, dated now, through an unlinked
 * temporary file. */
static int send_one(const px_smtp *s, px_mail *m, char *reply, size_t n,
		    px_error *err)
{
	FILE *f = px_workfile_stream("email message", err);
	int rc;

	m->from = s->from;
	m->from_name = s->from_name;
	m->reply_to = s->reply_to;
	m->date = time(NULL);
	if (!f)
		return -1;
	rc = px_mail_write(m, f, err);
	if (!rc) {
		rewind(f);
		rc = px_smtp_send(s, m->to, f, reply, n, err);
	}
	fclose(f);
	return rc;
}

static int send_password(const px_smtp *s, const px_config *cfg,
			 const struct px_deliver_opts *o, const char *to,
			 json_t *delivery, px_error *err)
{
	char pw[256], id[96], reply[512], text[700];
	px_mail m = {0};
	int rc;

	if (px_secret_read_file(o->password_file, pw, sizeof(pw), PX_EXIT_USAGE,
				err) < 0)
		return -1;
	if (px_mail_message_id(s->from, id, sizeof(id), err)) {
		OPENSSL_cleanse(pw, sizeof(pw));
		return -1;
	}
	snprintf(text, sizeof(text),
		 "Mot de passe du paquet envoyé séparément / Password of the "
		 "package sent separately (%s, %ld):\n\n%s\n",
		 str(json_object_get(cfg->root, "controller"), "name"), o->id,
		 pw);
	m.to = to;
	m.subject = "Mot de passe / Password";
	m.message_id = id;
	m.text = text;
	rc = send_one(s, &m, reply, sizeof(reply), err);
	OPENSSL_cleanse(pw, sizeof(pw));
	OPENSSL_cleanse(text, sizeof(text));
	if (rc)
		return px_error_prefix(err,
				       "the package was sent, its password "
				       "was not");
	json_object_set_new(delivery, "password_message_id", json_string(id));
	json_object_set_new(delivery, "password_reply", json_string(reply));
	return 0;
}

/* ---- download link, retrievable-until ----------------------------- */

/* The link `portex serve` answers for request id's package (the config's
 * serve section: link_key, link_days, public_url, which must be set: the
 * address a learner reaches). It runs from when the package was written,
 * as serve's downloads do. */
static int download_link(const px_config *cfg, long id, const char *path,
			 char *url, size_t n, px_error *err)
{
	px_serve_config sc;
	struct stat st;
	int64_t expires;
	int rc = 0;

	if (!px_config_str(cfg, "serve.public_url"))
		return px_error_set(err, PX_EXIT_CONFIG,
				    "%s: /serve/public_url: not set; a package "
				    "over smtp.attach_max_bytes goes as a "
				    "download link from portex serve, which "
				    "needs the address learners reach",
				    cfg->path);
	memset(&sc, 0, sizeof(sc));
	if (px_serve_config_load(cfg, NULL, &sc, err))
		return -1;
	if (stat(path, &st))
		rc = px_error_set(err, PX_EXIT_IOERR, "%s: %s", path,
				  strerror(errno));
	else if ((expires = (int64_t)st.st_mtime + sc.link_seconds) <=
		 (int64_t)time(NULL))
		rc = px_error_set(err, PX_EXIT_DATA,
				  "request %ld: the download link of %s "
				  "expired (serve.link_days after it was "
				  "written); export it again",
				  id, path);
	else if (px_link_url(sc.public_url, sc.link_key, id, expires, url, n))
		rc = px_error_set(err, PX_EXIT_CONFIG,
				  "%s: /serve/public_url: too long for a link",
				  cfg->path);
	px_serve_config_clear(&sc);
	return rc;
}

/* "YYYY-MM-DD" as a French and an English reader write it. */
static int spell_date(const char *ymd, char *fr, char *en, size_t n)
{
	static const char *const mois[] = {"janvier", "février",  "mars",
					   "avril",   "mai",	  "juin",
					   "juillet", "août",	  "septembre",
					   "octobre", "novembre", "décembre"};
	static const char *const months[] = {"January", "February", "March",
					     "April",	"May",	    "June",
					     "July",	"August",   "September",
					     "October", "November", "December"};
	int y, m, d;

	if (!ymd || sscanf(ymd, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 ||
	    m > 12 || d < 1 || d > 31)
		return -1;
	snprintf(fr, n, "%d%s %s %d", d, d == 1 ? "er" : "", mois[m - 1], y);
	snprintf(en, n, "%d %s %d", d, months[m - 1], y);
	return 0;
}

/* The package's own retrievable-until date (manifest.json), spelt into
 * the {{until_fr}} / {{until_en}} lines; both stay "" when the package
 * has none. */
static int until_lines(const char *path, char *fr, char *en, size_t n,
		       px_error *err)
{
	json_t *m = px_package_manifest(path, err);
	const char *until;
	char dfr[64], den[64];

	*fr = *en = '\0';
	if (!m)
		return -1;
	until = json_string_value(json_object_get(m, "retrievable_until"));
	if (until && spell_date(until, dfr, den, sizeof(dfr))) {
		json_decref(m);
		return px_error_set(err, PX_EXIT_DATA,
				    "%s: manifest.json: retrievable_until "
				    "\"%s\" is not a date YYYY-MM-DD",
				    path, until);
	}
	if (until) {
		snprintf(fr, n, "Le paquet peut être récupéré jusqu'au %s.\n\n",
			 dfr);
		snprintf(en, n, "The package can be retrieved until %s.\n\n",
			 den);
	}
	json_decref(m);
	return 0;
}

int px_request_deliver_email(px_ledger *l, const px_config *cfg,
			     const struct px_deliver_opts *o, px_error *err)
{
	json_t *req = NULL, *prev, *delivery = NULL, *out = NULL;
	struct px_package_facts pkg = {0};
	px_smtp s = {0};
	px_buf subject = {0}, text = {0};
	char id[96], reply[512] = "", fp[100], at[40], num[24];
	char url[1200], how_fr[1500], how_en[1500], until_fr[160],
	    until_en[160];
	const char *lang, *to;
	struct vars v = {0};
	px_mail m = {0};
	int rc = -1, linked;

	if (px_ledger_get(l, o->id, &req, err))
		return -1;
	if (px_delivery_possible(req, err))
		goto out;
	prev = json_object_get(req, "delivery");
	if (!strcmp(str(prev, "method"), "email") &&
	    !strcmp(str(prev, "state"), "sending") && !o->resend) {
		px_error_set(err, PX_EXIT_DATA,
			     "request %ld: an email (Message-ID %s) was being "
			     "sent to %s at %s and its outcome is unknown; "
			     "search the mail server's log for that "
			     "Message-ID, then send again with --resend if it "
			     "did not leave",
			     o->id, str(prev, "message_id"), str(prev, "to"),
			     str(prev, "started_at"));
		goto out;
	}
	if (!cfg) {
		px_error_set(err, PX_EXIT_USAGE,
			     "deliver --method email needs --config F (its "
			     "smtp section)");
		goto out;
	}
	if (px_smtp_from_config(cfg, &s, err) ||
	    px_delivery_package(req, NULL, &pkg, err) ||
	    cert_fingerprint(cfg, fp, sizeof(fp), err))
		goto out;
	if (!(to = recipient(req, o->to))) {
		px_error_set(err, PX_EXIT_USAGE,
			     "request %ld names no email address (requester "
			     "or subject email): give --to ADDRESS",
			     o->id);
		goto out;
	}
	/* Too big to attach: a link to portex serve instead. */
	linked = pkg.bytes > (uint64_t)s.attach_max;
	if ((linked &&
	     download_link(cfg, o->id, pkg.path, url, sizeof(url), err)) ||
	    until_lines(pkg.path, until_fr, until_en, sizeof(until_fr), err))
		goto out;
	if (linked) {
		snprintf(how_fr, sizeof(how_fr),
			 "Le paquet (%s, %s octets) est trop volumineux pour "
			 "être joint : téléchargez-le à cette adresse :\n%s",
			 pkg.name, pkg.size, url);
		snprintf(how_en, sizeof(how_en),
			 "The package (%s, %s bytes) is too large to attach: "
			 "download it from this address:\n%s",
			 pkg.name, pkg.size, url);
	} else {
		snprintf(how_fr, sizeof(how_fr),
			 "Le paquet est joint à ce message : %s, %s octets.",
			 pkg.name, pkg.size);
		snprintf(how_en, sizeof(how_en),
			 "The package is attached to this message: %s, %s "
			 "bytes.",
			 pkg.name, pkg.size);
	}
	lang = o->lang ? o->lang : px_config_str(cfg, "locale");
	if (!lang)
		lang = "fr";
	snprintf(num, sizeof(num), "%ld", o->id);
	var(&v, "controller",
	    str(json_object_get(cfg->root, "controller"), "name"));
	var(&v, "contact",
	    str(json_object_get(cfg->root, "controller"), "contact"));
	var(&v, "request", num);
	var(&v, "package", pkg.name);
	var(&v, "size", pkg.size);
	var(&v, "sha256", pkg.sha256);
	var(&v, "fingerprint", fp);
	var(&v, "until_fr", until_fr);
	var(&v, "until_en", until_en);
	var(&v, "delivery_fr", how_fr);
	var(&v, "delivery_en", how_en);
	var(&v, "link", linked ? url : "");
	var(&v, "password_fr",
	    o->password_file ? "Le paquet est chiffré : son mot de passe vous "
			       "parvient dans un message séparé.\n\n"
			     : "");
	var(&v, "password_en",
	    o->password_file ? "The package is encrypted: its password reaches "
			       "you in a separate message.\n\n"
			     : "");
	if (compose(cfg, lang, &v, &subject, &text, err) ||
	    px_mail_message_id(s.from, id, sizeof(id), err))
		goto out;

	now_rfc3339(at, sizeof(at));
	delivery = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "method",
			     "email", "to", to, "message_id", id, "started_at",
			     at, "attached", !linked, "sha256", pkg.sha256);
	if (!delivery) {
		px_error_oom(err);
		goto out;
	}
	if (px_delivery_record(l, o->id, o->actor, "email", "sending", delivery,
			       NULL, err))
		goto out;

	m.to = to;
	m.subject = subject.data;
	m.message_id = id;
	m.text = text.data;
	if (!linked) {
		m.attach_path = pkg.path;
		m.attach_name = pkg.name;
		m.attach_type = "application/vnd.etsi.asic-e+zip";
	}
	if (send_one(&s, &m, reply, sizeof(reply), err) ||
	    (o->password_file &&
	     send_password(&s, cfg, o, to, delivery, err))) {
		px_error send_err = *err;

		json_object_set_new(delivery, "error", json_string(err->msg));
		px_error_clear(err);
		if (px_delivery_record(l, o->id, o->actor, "email", "failed",
				       delivery, NULL, err))
			px_error_prefix(err, "recording the failure of: %s",
					send_err.msg);
		else
			*err = send_err;
		goto out;
	}
	now_rfc3339(at, sizeof(at));
	json_object_set_new(delivery, "sent_at", json_string(at));
	json_object_set_new(delivery, "reply", json_string(reply));
	if (px_delivery_record(l, o->id, o->actor, "email", "sent", delivery,
			       &out, err)) {
		px_error_prefix(err,
				"the email left (%s, %s) but recording it "
				"failed",
				id, reply);
		goto out;
	}
	if (o->json) {
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
	} else {
		printf(
		    "request %ld delivered by email to %s\n  message-id  %s\n"
		    "  server      %s\n",
		    o->id, to, id, reply);
	}
	rc = PX_OK;
out:
	json_decref(out);
	json_decref(delivery);
	json_decref(req);
	px_buf_free(&subject);
	px_buf_free(&text);
	px_smtp_clear(&s);
	return rc;
}

/* ---- remind ------------------------------------------------------------ */

/* The date the open suspension was asked on, or NULL. */
static const char *asked_since(const json_t *req)
{
	json_t *sp = json_object_get(req, "suspensions");
	json_t *last = json_array_get(sp, json_array_size(sp) - 1);

	return last && !json_object_get(last, "answered")
		   ? json_string_value(json_object_get(last, "asked"))
		   : NULL;
}

static const char *missing(const char *status)
{
	if (!strcmp(status, "received"))
		return "identity check or export";
	if (!strcmp(status, "ready"))
		return "export";
	if (!strcmp(status, "exported"))
		return "delivery to the requester";
	return "proof of identity from the requester";
}

/* One line per request to report, earliest limit first; *overdue counts
 * those past their limit. */
static int digest(px_ledger *l, long within, px_buf *b, json_t *items,
		  int *overdue, px_error *err)
{
	px_day today = px_today(), due, asked;
	json_t *all = NULL, *req;
	char line[768];
	size_t i;

	if (px_ledger_list(l, &all, err))
		return -1;
	json_array_foreach (all, i, req) {
		const char *status = str(req, "status"), *kind = NULL;
		const char *since = asked_since(req);
		long left = 0;
		int n;

		if (!px_request_is_open(req) ||
		    px_date_parse(px_request_effective_due(req), &due, NULL))
			continue;
		left = due - today;
		if (!strcmp(status, "awaiting_identity")) {
			if (since && !px_date_parse(since, &asked, NULL) &&
			    today - asked > within)
				kind = "awaiting_identity";
		} else if (left < 0) {
			kind = "overdue";
			(*overdue)++;
		} else if (left <= within) {
			kind = "due_soon";
		}
		if (!kind)
			continue;
		if (!strcmp(kind, "awaiting_identity"))
			n = snprintf(
			    line, sizeof(line),
			    "#%" JSON_INTEGER_FORMAT
			    "  awaiting identity since %s (%ld days), "
			    "clock suspended; limit then %s; "
			    "missing: %s\n",
			    json_integer_value(json_object_get(req, "id")),
			    since, (long)(today - asked),
			    px_request_effective_due(req), missing(status));
		else
			n = snprintf(
			    line, sizeof(line),
			    "#%" JSON_INTEGER_FORMAT
			    "  %s  limit %s (%s %ld days)  status %s; "
			    "missing: %s\n",
			    json_integer_value(json_object_get(req, "id")),
			    left < 0 ? "OVERDUE " : "due soon",
			    px_request_effective_due(req),
			    left < 0 ? "overdue by" : "in",
			    left < 0 ? -left : left, status, missing(status));
		if (n < 0 || px_buf_add(b, line, strlen(line)) ||
		    json_array_append_new(
			items, json_pack("{s:O, s:s, s:s, s:s, s:I, s:s}", "id",
					 json_object_get(req, "id"), "kind",
					 kind, "status", status, "limit",
					 px_request_effective_due(req),
					 "days_left", (json_int_t)left,
					 "missing", missing(status)))) {
			json_decref(all);
			return px_error_oom(err);
		}
	}
	json_decref(all);
	return px_buf_add(b, "", 1) ? px_error_oom(err) : 0;
}

int px_request_remind(px_ledger *l, const px_config *cfg,
		      const struct px_remind_opts *o, px_error *err)
{
	json_t *items = json_array();
	px_buf text = {0};
	px_smtp s = {0};
	int overdue = 0, rc = -1;
	const char *to = o->to;

	if (!items)
		return px_error_oom(err);
	if (digest(l, o->within, &text, items, &overdue, err))
		goto out;
	if (o->json) {
		json_t *j =
		    json_pack("{s:O, s:i, s:I}", "requests", items, "overdue",
			      overdue, "within", (json_int_t)o->within);

		json_dumpf(j, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(j);
	} else {
		fputs(json_array_size(items) ? text.data
					     : "nothing overdue or due soon\n",
		      stdout);
	}
	if (json_array_size(items) && !o->dry_run && cfg &&
	    json_object_get(cfg->root, "smtp")) {
		char id[96], reply[512], subj[160];
		px_mail m = {0};

		if (px_smtp_from_config(cfg, &s, err))
			goto out;
		if (!to)
			to = s.officer
				 ? s.officer
				 : px_config_str(cfg, "controller.contact");
		if (!to) {
			px_error_set(err, PX_EXIT_CONFIG,
				     "%s: /smtp/officer: missing (where "
				     "reminders go); or give --to ADDRESS",
				     cfg->path);
			goto out;
		}
		snprintf(subj, sizeof(subj),
			 "portex: %d en retard / overdue, %zu à traiter / "
			 "to handle",
			 overdue, json_array_size(items));
		if (px_mail_message_id(s.from, id, sizeof(id), err))
			goto out;
		m.to = to;
		m.subject = subj;
		m.message_id = id;
		m.text = text.data;
		if (send_one(&s, &m, reply, sizeof(reply), err))
			goto out;
		fprintf(stderr,
			"portex request remind: digest sent to %s (%s)\n", to,
			reply);
	} else if (o->to && !o->dry_run && json_array_size(items)) {
		px_error_set(err, PX_EXIT_USAGE,
			     "--to needs an smtp section in the config");
		goto out;
	}
	rc = overdue ? 1 : 0;
out:
	json_decref(items);
	px_buf_free(&text);
	px_smtp_clear(&s);
	return rc;
}
