/*
 * index_html_pages.c - html/<entity>-NNNN.html: the pages of an entity too
 * long for index.html, so that a person reaches every record. Each page
 * links back to index.html and to the first, previous and next pages;
 * index.html lists them all.
 */
#include "html/index_html.h"

#include <errno.h>
#include <string.h>

static void page_link(FILE *out, const px_html_page *pg, unsigned long to,
		      enum px_msg label)
{
	char name[160];

	px_html_page_name(name, sizeof(name), pg->entity, to);
	fputs("<li><a href=\"", out);
	px_html_href(out, name);
	fputs("\"", out);
	if (to == pg->page)
		fputs(" aria-current=\"page\"", out);
	fputs(">", out);
	px_html_text(out, px_i18n(pg->lang, label));
	fputs("</a></li>", out);
}

static void page_nav(FILE *out, const px_html_page *pg, const char *id)
{
	fprintf(out, "<nav class=\"pages\" aria-labelledby=\"%s\">", id);
	fprintf(out, "<p id=\"%s\" class=\"field\">", id);
	px_html_text(out, px_i18n(pg->lang, PX_MSG_PAGES));
	fputs("</p><ul><li><a href=\"../index.html\">", out);
	px_html_text(out, px_i18n(pg->lang, PX_MSG_BACK_TO_INDEX));
	fputs("</a></li>", out);
	if (pg->page > 1) {
		page_link(out, pg, 1, PX_MSG_PAGE_FIRST);
		page_link(out, pg, pg->page - 1, PX_MSG_PAGE_PREV);
	}
	if (pg->next)
		page_link(out, pg, pg->page + 1, PX_MSG_PAGE_NEXT);
	fputs("</ul></nav>\n", out);
}

px_html_table *px_html_page_begin(FILE *out, const px_html_page *pg,
				  const px_html_rows *rows,
				  const px_schemas *schemas, px_error *err)
{
	const char *label = px_i18n_entity(pg->lang, pg->entity);
	unsigned long first = (pg->page - 1) * PX_HTML_PAGE_ROWS + 1;
	unsigned long last = first + rows->n - 1;

	px_html_doc_open(out, pg->lang, label ? label : pg->entity,
			 pg->controller);
	fputs("<header>\n<h1>", out);
	px_html_text(out, label ? label : pg->entity);
	fprintf(out, "</h1>\n<p>");
	px_html_text(out, px_i18n(pg->lang, PX_MSG_PAGE));
	fprintf(out, " %lu \xE2\x80\x94 ", pg->page);
	px_html_text(out, px_i18n(pg->lang, PX_MSG_RECORDS_RANGE));
	fprintf(out, " %lu\xE2\x80\x93%lu</p>\n</header>\n", first, last);
	page_nav(out, pg, "nav-top");
	fputs("<main>\n", out);
	return px_html_table_begin(out, pg->lang, pg->tz, pg->entity, rows,
				   schemas, "../", err);
}

int px_html_page_end(FILE *out, const px_html_page *pg, px_html_table *rows,
		     px_error *err)
{
	if (px_html_table_end(rows, err))
		return -1;
	fputs("</main>\n", out);
	page_nav(out, pg, "nav-bottom");
	fputs("</body>\n</html>\n", out);
	if (fflush(out) || ferror(out))
		return px_error_set(err, PX_EXIT_IOERR,
				    "html/%s-%04lu.html: cannot write: %s",
				    pg->entity, pg->page, strerror(errno));
	return 0;
}
