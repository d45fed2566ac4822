/*
 * index_html_head.c - what every page of the package shares: its head
 * (language, a Content-Security-Policy that forbids scripts and every
 * remote load, the styles) and its end.
 */
#include "html/index_html.h"

/* Phones first: nothing wider than the screen but a table, which scrolls
 * inside its own box; short values never break mid-word (long unbroken
 * ones do, where they would overflow). */
static const char css[] =
    "*{box-sizing:border-box}"
    "body{font-family:system-ui,\"Segoe UI\",Roboto,Helvetica,Arial,"
    "sans-serif;margin:0 auto;max-width:75rem;padding:1rem;"
    "color:#1a1a1a;background:#fff;line-height:1.5}\n"
    "h1{font-size:1.6rem;margin:.2rem 0}"
    "h2{border-bottom:2px solid #767676;padding-bottom:.2rem;"
    "margin-top:2rem;font-size:1.35rem}"
    "h3{margin-top:1.5rem;font-size:1.15rem}.name{font-weight:normal;"
    "color:#4a4a4a}p,li,dd,dt{overflow-wrap:break-word}\n"
    ".field{font-family:ui-monospace,monospace;font-weight:normal;"
    "font-size:.8em;color:#4a4a4a}\n"
    "a{color:#0b4fa8}a:focus-visible,[tabindex]:focus-visible{"
    "outline:3px solid #b35900;outline-offset:2px}\n"
    ".warning{border:3px solid #b00020;background:#fdecea;color:#7a0014;"
    "padding:.8rem 1rem;font-weight:bold}\n"
    ".lead{background:#eef4fb;border-left:4px solid #0b4fa8;"
    "padding:.6rem 1rem}\n"
    "dl.summary{display:grid;grid-template-columns:minmax(8rem,max-content)"
    " minmax(0,1fr);gap:.4rem 1.2rem}dl.summary dt{font-weight:bold}"
    "dl.summary dd{margin:0;min-width:0}dd ul{margin:0;padding-left:1.2rem}"
    "\n@media (max-width:40rem){dl.summary{display:block}"
    "dl.summary dd{margin:0 0 .7rem}}\n"
    ".scroll{overflow-x:auto;max-width:100%}"
    "table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}"
    "caption{position:absolute;width:1px;height:1px;overflow:hidden;"
    "clip:rect(0 0 0 0);white-space:nowrap}"
    "th,td{border:1px solid #8a8a8a;padding:.25rem .45rem;text-align:left;"
    "vertical-align:top}th{background:#eee}"
    "td{overflow-wrap:break-word;max-width:28rem}td.nw{white-space:nowrap}"
    "td.long{min-width:14rem}td.num{text-align:right;"
    "font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "code,pre,.hash{font-family:ui-monospace,\"DejaVu Sans Mono\",Menlo,"
    "Consolas,monospace;font-size:.85em}code{overflow-wrap:anywhere}"
    "pre{background:#f4f4f4;border:1px solid #ccc;padding:.6rem;"
    "white-space:pre-wrap;overflow-wrap:anywhere}.hash{word-break:break-all}"
    ".more{font-style:italic}nav.pages ul{list-style:none;padding:0;"
    "display:flex;flex-wrap:wrap;gap:.3rem}nav.pages a{display:inline-block;"
    "min-width:2.6rem;padding:.2rem .4rem;border:1px solid #8a8a8a;"
    "text-align:center}nav.pages [aria-current]{font-weight:bold;"
    "background:#eee}\nfooter{margin-top:2rem;color:#4a4a4a;"
    "font-size:.85rem}\n"
    "@media print{body{max-width:none;padding:0;font-size:10pt}"
    ".scroll{overflow:visible}nav{display:none}h2,h3{break-after:avoid}"
    "tr{break-inside:avoid}td{max-width:none}"
    "a{color:inherit;text-decoration:none}.lead{border:1px solid #000}}\n";

void px_html_doc_open(FILE *out, px_lang lang, const char *title,
		      const char *controller)
{
	fprintf(out,
		"<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
		"<meta charset=\"utf-8\"/>\n"
		"<meta http-equiv=\"Content-Security-Policy\" "
		"content=\"default-src 'none'; style-src 'unsafe-inline'; "
		"img-src 'none'; base-uri 'none'; form-action 'none'\"/>\n"
		"<meta name=\"viewport\" content=\"width=device-width, "
		"initial-scale=1\"/>\n<title>",
		px_i18n_code(lang));
	px_html_text(out, title);
	if (controller) {
		fputs(" \xE2\x80\x94 ", out);
		px_html_text(out, controller);
	}
	fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", css);
}

void px_html_table_open(FILE *out, const char *caption)
{
	/* Focusable, so a keyboard can scroll a table wider than the screen. */
	fputs("<div class=\"scroll\" tabindex=\"0\"><table>\n<caption>", out);
	px_html_text(out, caption);
	fputs("</caption>\n<thead><tr>", out);
}
