/*
 * index_html_processing.c - index.html's "What we do with your data" and
 * "Your rights" sections, from manifest.json's "processing" (the
 * controller's record of processing, cut to the package's scope): what
 * GDPR Art. 15(1) and 15(2) require besides the data itself.
 */
#include "html/index_html.h"

#include <string.h>

const char *px_html_pick(px_lang lang, const json_t *t)
{
	const char *s;
	const char *k;
	json_t *v;

	if (json_is_string(t))
		return json_string_value(t);
	if ((s = json_string_value(json_object_get(t, px_i18n_code(lang)))))
		return s;
	if ((s = json_string_value(json_object_get(t, "fr"))))
		return s;
	json_object_foreach ((json_t *)t, k, v)
		if (json_is_string(v))
			return json_string_value(v);
	return NULL;
}

static void text(FILE *out, px_lang lang, const json_t *t)
{
	px_html_text(out, px_html_pick(lang, t));
}

static void msg(FILE *out, px_lang lang, enum px_msg id)
{
	px_html_text(out, px_i18n(lang, id));
}

static void dt(FILE *out, px_lang lang, enum px_msg id)
{
	fputs("<dt>", out);
	msg(out, lang, id);
	fputs("</dt><dd>", out);
}

static void term(FILE *out, px_lang lang, enum px_term_kind kind,
		 const char *value)
{
	const char *name = px_i18n_term(lang, kind, value, NULL);

	px_html_text(out, name ? name : value);
}

static void list_texts(FILE *out, px_lang lang, const json_t *arr)
{
	const json_t *t;
	size_t i;

	fputs("<ul>", out);
	json_array_foreach (arr, i, t) {
		fputs("<li>", out);
		text(out, lang, t);
		fputs("</li>", out);
	}
	fputs("</ul>", out);
}

/* "classe/score" -> "Résultats aux évaluations (classe)" */
static void covers(FILE *out, px_lang lang, const json_t *arr)
{
	const json_t *c;
	size_t i;

	fputs("<ul>", out);
	json_array_foreach (arr, i, c) {
		const char *s = json_string_value(c);
		const char *slash = s ? strchr(s, '/') : NULL;
		const char *label =
		    slash ? px_i18n_entity(lang, slash + 1) : NULL;
		fputs("<li>", out);
		if (label && slash) {
			px_html_text(out, label);
			fputs(" (", out);
			px_html_textn(out, s, (size_t)(slash - s));
			fputs(")", out);
		} else {
			px_html_text(out, s);
		}
		fputs("</li>", out);
	}
	fputs("</ul>", out);
}

static void recipients(FILE *out, px_lang lang, const json_t *arr)
{
	const json_t *r;
	size_t i;

	if (!json_array_size(arr)) {
		msg(out, lang, PX_MSG_NO_RECIPIENTS);
		return;
	}
	fputs("<ul>", out);
	json_array_foreach (arr, i, r) {
		fputs("<li>", out);
		text(out, lang, json_object_get(r, "name"));
		fputs(" \xE2\x80\x94 ", out);
		term(out, lang, PX_TERM_ROLE,
		     json_string_value(json_object_get(r, "role")));
		fputs(", ", out);
		px_html_text(out,
			     json_string_value(json_object_get(r, "country")));
		if (json_object_get(r, "purpose")) {
			fputs(" : ", out);
			text(out, lang, json_object_get(r, "purpose"));
		}
		fputs("</li>", out);
	}
	fputs("</ul>", out);
}

static void transfers(FILE *out, px_lang lang, const json_t *arr)
{
	const json_t *t;
	size_t i;

	if (!json_array_size(arr)) {
		msg(out, lang, PX_MSG_NO_TRANSFERS);
		return;
	}
	fputs("<ul>", out);
	json_array_foreach (arr, i, t) {
		fputs("<li>", out);
		px_html_text(out,
			     json_string_value(json_object_get(t, "country")));
		if (json_object_get(t, "recipient")) {
			fputs(" \xE2\x80\x94 ", out);
			text(out, lang, json_object_get(t, "recipient"));
		}
		fputs(" \xE2\x80\x94 ", out);
		msg(out, lang, PX_MSG_SAFEGUARDS);
		fputs(lang == PX_LANG_EN ? ": " : " : ", out);
		text(out, lang, json_object_get(t, "safeguards"));
		fputs("</li>", out);
	}
	fputs("</ul>", out);
}

static void purpose(FILE *out, px_lang lang, const json_t *p)
{
	const json_t *detail = json_object_get(p, "legal_basis_detail");
	const json_t *ad = json_object_get(p, "automated_decisions");

	fputs("<h3>", out);
	text(out, lang, json_object_get(p, "name"));
	fputs("</h3>\n<dl class=\"summary\">\n", out);
	dt(out, lang, PX_MSG_LEGAL_BASIS);
	term(out, lang, PX_TERM_LEGAL_BASIS,
	     json_string_value(json_object_get(p, "legal_basis")));
	if (detail) {
		fputs("<br/>", out);
		text(out, lang, detail);
	}
	fputs("</dd>\n", out);
	dt(out, lang, PX_MSG_DATA_CONCERNED);
	list_texts(out, lang, json_object_get(p, "data"));
	fputs("</dd>\n", out);
	if (json_array_size(json_object_get(p, "covers"))) {
		dt(out, lang, PX_MSG_IN_THIS_PACKAGE);
		covers(out, lang, json_object_get(p, "covers"));
		fputs("</dd>\n", out);
	}
	dt(out, lang, PX_MSG_RECIPIENTS);
	recipients(out, lang, json_object_get(p, "recipients"));
	fputs("</dd>\n", out);
	dt(out, lang, PX_MSG_TRANSFERS);
	transfers(out, lang, json_object_get(p, "transfers"));
	fputs("</dd>\n", out);
	dt(out, lang, PX_MSG_RETENTION);
	text(out, lang, json_object_get(p, "retention"));
	fputs("</dd>\n", out);
	dt(out, lang, PX_MSG_AUTOMATED);
	msg(out, lang,
	    json_is_true(json_object_get(ad, "made")) ? PX_MSG_AUTOMATED_MADE
						      : PX_MSG_AUTOMATED_NONE);
	if (json_object_get(ad, "detail")) {
		fputs("<br/>", out);
		text(out, lang, json_object_get(ad, "detail"));
	}
	fputs("</dd>\n</dl>\n", out);
}

/* "<p><strong>Title :</strong> text</p>" */
static void para(FILE *out, px_lang lang, enum px_msg title, const json_t *t)
{
	if (!t)
		return;
	fputs("<p><strong>", out);
	msg(out, lang, title);
	fputs(lang == PX_LANG_EN ? ":</strong> " : " :</strong> ", out);
	text(out, lang, t);
	fputs("</p>\n", out);
}

void px_html_processing(FILE *out, px_lang lang, const json_t *proc)
{
	const json_t *p;
	size_t i;

	if (!json_array_size(json_object_get(proc, "purposes")))
		return;
	fputs("<section id=\"processing\">\n<h2>", out);
	msg(out, lang, PX_MSG_PROCESSING);
	fputs("</h2>\n<p>", out);
	msg(out, lang, PX_MSG_PROCESSING_TEXT);
	fputs("</p>\n", out);
	json_array_foreach (json_object_get(proc, "purposes"), i, p)
		purpose(out, lang, p);
	para(out, lang, PX_MSG_ORIGIN, json_object_get(proc, "source"));
	fputs("</section>\n", out);
}

/* The authority's page, as text: the page links nowhere outside. */
static void authority(FILE *out, px_lang lang, const json_t *a)
{
	const char *url = json_string_value(json_object_get(a, "url"));

	fputs("<p><strong>", out);
	msg(out, lang, PX_MSG_COMPLAINT);
	fputs(lang == PX_LANG_EN ? ":</strong> " : " :</strong> ", out);
	msg(out, lang, PX_MSG_COMPLAINT_TEXT);
	fputs("</p>\n<address>", out);
	text(out, lang, json_object_get(a, "name"));
	if (json_object_get(a, "address")) {
		fputs("<br/>", out);
		text(out, lang, json_object_get(a, "address"));
	}
	if (url) {
		if (!strncmp(url, "https://", 8))
			url += 8;
		fputs("<br/><code>", out);
		px_html_text(out, url);
		fputs("</code>", out);
	}
	fputs("</address>\n", out);
}

void px_html_rights(FILE *out, px_lang lang, const json_t *proc)
{
	const json_t *rights = json_object_get(proc, "rights");
	const json_t *dpo = json_object_get(proc, "dpo"), *r;
	size_t i;

	if (!rights)
		return;
	fputs("<section id=\"rights\">\n<h2>", out);
	msg(out, lang, PX_MSG_RIGHTS);
	fputs("</h2>\n<p>", out);
	msg(out, lang, PX_MSG_RIGHTS_TEXT);
	fputs("</p>\n<ul>", out);
	json_array_foreach (json_object_get(rights, "rights"), i, r) {
		const char *detail = NULL;
		const char *name = px_i18n_term(lang, PX_TERM_RIGHT,
						json_string_value(r), &detail);
		fputs("<li><strong>", out);
		px_html_text(out, name ? name : json_string_value(r));
		fputs("</strong>", out);
		if (detail) {
			fputs(" \xE2\x80\x94 ", out);
			px_html_text(out, detail);
		}
		fputs("</li>", out);
	}
	fputs("</ul>\n", out);
	para(out, lang, PX_MSG_HOW_TO_EXERCISE, json_object_get(rights, "how"));
	para(out, lang, PX_MSG_WRITE_TO, json_object_get(rights, "contact"));
	if (dpo) {
		fputs("<p><strong>", out);
		msg(out, lang, PX_MSG_DPO);
		fputs(lang == PX_LANG_EN ? ":</strong> " : " :</strong> ", out);
		px_html_text(
		    out, json_string_value(json_object_get(dpo, "contact")));
		fputs("</p>\n", out);
	}
	para(out, lang, PX_MSG_MINORS, json_object_get(proc, "minors"));
	authority(out, lang, json_object_get(proc, "authority"));
	fputs("</section>\n", out);
}
