/*
 * rest_page.c - walks the pages of one endpoint, handing each page's items
 * to a callback before asking for the next, so memory holds one page.
 *
 *   none    one request
 *   page    page=start, start+1, ... until a short or empty page (or the
 *           page count at "total_pages")
 *   offset  offset=0, n, 2n, ... until a short or empty page
 *   cursor  param=<the token at "next" in the body> until there is none
 *   link    the Link: <...>; rel="next" header until there is none
 *   next_url  the URL at "next" in the body (JSON:API links.next, HAL
 *           _links.next, OData @odata.nextLink) until there is none
 *   starting_after  param=<id of the last item> while "has_more" is true
 *           (Stripe)
 * A 204 No Content is an empty page, the last.
 *
 * A partner that sends the same cursor or next link twice, or (page and
 * offset walks without a page count) the same full page twice in a row,
 * would keep portex busy forever: that is detected and reported as bad
 * data. A paging value that cannot be read is an error, never an end. Loop
 * detection keeps a 64-bit hash per page seen (16 bytes a page at most),
 * nothing else grows with pages.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rest.h"

#define DEFAULT_MAX_PAGES 100000

/* An open-addressing set of 64-bit hashes (0 marks an empty slot). */
struct seen {
	uint64_t *slot;
	size_t n, cap;
};

static uint64_t fnv1a(const void *p, size_t n)
{
	const unsigned char *c = p;
	uint64_t h = 14695981039346656037ULL;

	while (n--)
		h = (h ^ *c++) * 1099511628211ULL;
	return h ? h : 1;
}

/* Returns 1 when h was there already, 0 when added, -1 on OOM. */
static int seen_add(struct seen *s, uint64_t h)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap) {
		struct seen g = {calloc(s->cap ? s->cap * 2 : 64, 8), 0,
				 s->cap ? s->cap * 2 : 64};
		if (!g.slot)
			return -1;
		for (i = 0; i < s->cap; i++)
			if (s->slot[i])
				seen_add(&g, s->slot[i]);
		free(s->slot);
		*s = g;
	}
	for (i = h % s->cap; s->slot[i]; i = (i + 1) % s->cap)
		if (s->slot[i] == h)
			return 1;
	s->slot[i] = h;
	s->n++;
	return 0;
}

static long long num(const json_t *pg, const char *k, long long dflt)
{
	json_t *v = json_object_get(pg, k);

	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static const char *param(const json_t *pg, const char *dflt)
{
	const char *p = json_string_value(json_object_get(pg, "param"));

	return p ? p : dflt;
}

/* Same scheme, host and port as base_url: credentials never follow a
 * next link to another server. */
int rest_same_origin(const char *a, const char *b)
{
	static const CURLUPart parts[] = {CURLUPART_SCHEME, CURLUPART_HOST,
					  CURLUPART_PORT};
	CURLU *ua = curl_url(), *ub = curl_url();
	int same = ua && ub && !curl_url_set(ua, CURLUPART_URL, a, 0) &&
		   !curl_url_set(ub, CURLUPART_URL, b, 0);

	for (size_t i = 0; same && i < 3; i++) {
		char *x = NULL, *y = NULL;

		same = !curl_url_get(ua, parts[i], &x, CURLU_DEFAULT_PORT) &&
		       !curl_url_get(ub, parts[i], &y, CURLU_DEFAULT_PORT) &&
		       !strcasecmp(x, y);
		curl_free(x);
		curl_free(y);
	}
	curl_url_cleanup(ua);
	curl_url_cleanup(ub);
	return same;
}

/* The link relative to the page it came from, made absolute. */
static char *resolve_link(const char *from, const char *link)
{
	CURLU *u = curl_url();
	char *out = NULL, *dup = NULL;

	if (u && !curl_url_set(u, CURLUPART_URL, from, 0) &&
	    !curl_url_set(u, CURLUPART_URL, link, 0) &&
	    !curl_url_get(u, CURLUPART_URL, &out, 0))
		dup = strdup(out);
	curl_free(out);
	curl_url_cleanup(u);
	return dup;
}

struct walk {
	px_source *s;
	const json_t *pg;
	const char *type, *what;
	CURLU *base;
	char *url;    /* this page's URL */
	char *cursor; /* cursor for the next page */
	long long page, offset, size;
	struct seen seen;
	uint64_t last_body;
	int body_loops; /* page/offset without a page count */
	int follows;	/* link, next_url: the next URL comes from the answer */
};

static int loop_error(struct walk *w, const char *how, px_error *err)
{
	char red[512];

	rest_redact(w->s, w->url, red, sizeof(red));
	return px_error_set(err, PX_EXIT_DATA,
			    "source %s: %s: GET %s: page loop: %s; stopped "
			    "instead of following it forever",
			    w->s->cfg->name, w->what, red, how);
}

/* Follows a next URL (relative to this page's): same origin, never seen. */
static int follow(struct walk *w, const char *link, px_error *err)
{
	char *next = resolve_link(w->url, link);
	int rc;

	if (!next)
		return px_error_oom(err);
	if (!rest_same_origin(next, w->s->base_url)) {
		free(next);
		return loop_error(
		    w, "the next link leaves the partner's server", err);
	}
	rc = seen_add(&w->seen, fnv1a(next, strlen(next)));
	free(w->url);
	w->url = next;
	if (rc)
		return rc > 0
			   ? loop_error(w, "the same next link came back", err)
			   : px_error_oom(err);
	return 1;
}

char *rest_id_text(const json_t *v)
{
	const char *dig = px_decimal_digits(v);
	char b[32];

	if (dig)
		return strdup(dig);
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (json_is_integer(v)) {
		snprintf(b, sizeof(b), "%lld",
			 (long long)json_integer_value(v));
		return strdup(b);
	}
	return NULL;
}

/* A paging value that is there but cannot be read: an error, never an
 * end (which would deliver a package cut short). */
static int unreadable(struct walk *w, const char *what, const char *ptr,
		      px_error *err)
{
	char red[512];

	rest_redact(w->s, w->url, red, sizeof(red));
	return px_error_set(err, PX_EXIT_DATA,
			    "source %s: %s: GET %s: no %s at \"%s\" in the "
			    "answer; cannot tell whether more pages follow",
			    w->s->cfg->name, w->what, red, what, ptr);
}

static int page_url(struct walk *w, px_error *err)
{
	CURLU *u;
	char *out = NULL, n[32];
	const char *sp =
	    json_string_value(json_object_get(w->pg, "size_param"));
	int bad;

	if (w->follows && w->url)
		return 0; /* already the next link */
	if (!(u = curl_url_dup(w->base)))
		return px_error_oom(err);
	bad = 0;
	if (sp && w->size) {
		snprintf(n, sizeof(n), "%lld", w->size);
		bad |= rest_url_add_query(u, sp, n);
	}
	if (!strcmp(w->type, "page") || !strcmp(w->type, "offset")) {
		snprintf(n, sizeof(n), "%lld",
			 w->type[0] == 'p' ? w->page : w->offset);
		bad |= rest_url_add_query(
		    u, param(w->pg, w->type[0] == 'p' ? "page" : "offset"), n);
	} else if (!strcmp(w->type, "cursor") && w->cursor) {
		bad |= rest_url_add_query(u, param(w->pg, "cursor"), w->cursor);
	} else if (!strcmp(w->type, "starting_after") && w->cursor) {
		bad |= rest_url_add_query(u, param(w->pg, "starting_after"),
					  w->cursor);
	}
	bad = bad || curl_url_get(u, CURLUPART_URL, &out, 0);
	curl_url_cleanup(u);
	free(w->url);
	w->url = out ? strdup(out) : NULL;
	curl_free(out);
	return bad || !w->url ? px_error_oom(err) : 0;
}

/* Decides the next page from this one; returns 1 to go on, 0 to stop. */
static int advance(struct walk *w, json_t *doc, json_t *items, rest_resp *r,
		   size_t count, px_error *err)
{
	const char *t = w->type;
	json_t *v;

	if (!strcmp(t, "page") || !strcmp(t, "offset")) {
		const char *tpp =
		    json_string_value(json_object_get(w->pg, "total_pages"));
		json_t *tp = tpp ? rest_pointer(doc, tpp) : NULL;
		long long total;

		if (tpp && rest_json_int(tp, &total))
			return unreadable(w, "integer page count", tpp, err);
		if (!count || (w->size && (long long)count < w->size))
			return 0;
		if (tpp && w->page >= total)
			return 0;
		w->page++;
		w->offset += (long long)count;
		return 1;
	}
	if (!strcmp(t, "cursor")) {
		v = rest_pointer(
		    doc, json_string_value(json_object_get(w->pg, "next")));
		free(w->cursor);
		w->cursor = NULL;
		if (!v || json_is_null(v) || json_is_false(v) ||
		    (json_is_string(v) && !json_string_length(v)))
			return 0;
		if (px_decimal_digits(v)) {
			/* a number past int64: its digits, not a double */
			w->cursor = strdup(px_decimal_digits(v));
		} else if (json_is_string(v)) {
			w->cursor = strdup(json_string_value(v));
		} else if (json_is_integer(v)) {
			char b[32];
			snprintf(b, sizeof(b), "%lld",
				 (long long)json_integer_value(v));
			w->cursor = strdup(b);
		} else {
			return px_error_set(err, PX_EXIT_DATA,
					    "source %s: %s: the next cursor is "
					    "neither a string nor an integer",
					    w->s->cfg->name, w->what);
		}
		if (!w->cursor)
			return px_error_oom(err);
		switch (
		    seen_add(&w->seen, fnv1a(w->cursor, strlen(w->cursor)))) {
		case 1:
			return loop_error(w, "the same cursor came back", err);
		case -1:
			return px_error_oom(err);
		}
		return 1;
	}
	if (!strcmp(t, "link") && r->link_bad)
		return loop_error(w, "cannot read the Link header", err);
	if (!strcmp(t, "link") && r->link_next)
		return follow(w, r->link_next, err);
	if (!strcmp(t, "next_url")) {
		const char *np =
		    json_string_value(json_object_get(w->pg, "next"));

		v = rest_pointer(doc, np);
		/* HAL: {"next": {"href": "..."}} */
		if (json_is_object(v))
			v = json_object_get(v, "href");
		if (!v || json_is_null(v) ||
		    (json_is_string(v) && !json_string_length(v)))
			return 0;
		if (!json_is_string(v))
			return unreadable(w, "next URL", np, err);
		return follow(w, json_string_value(v), err);
	}
	if (!strcmp(t, "starting_after")) {
		const char *hp =
		    json_string_value(json_object_get(w->pg, "has_more"));
		const char *ip =
		    json_string_value(json_object_get(w->pg, "id"));
		json_t *last;

		hp = hp ? hp : "/has_more";
		v = rest_pointer(doc, hp);
		if (!json_is_boolean(v))
			return unreadable(w, "has_more (a boolean)", hp, err);
		if (json_is_false(v))
			return 0;
		last = json_array_get(items, count ? count - 1 : 0);
		free(w->cursor);
		w->cursor = NULL;
		if (!count || !(w->cursor = rest_id_text(
				    rest_pointer(last, ip ? ip : "/id"))))
			return unreadable(w, "last item id (has_more is true)",
					  ip ? ip : "/id", err);
		switch (
		    seen_add(&w->seen, fnv1a(w->cursor, strlen(w->cursor)))) {
		case 1:
			return loop_error(w, "the same last id came back", err);
		case -1:
			return px_error_oom(err);
		}
		return 1;
	}
	return 0;
}

static void walk_free(struct walk *w)
{
	curl_url_cleanup(w->base);
	free(w->url);
	free(w->cursor);
	free(w->seen.slot);
}

/* The walk of a step and the call its requests make. */
static int walk_init(px_source *s, const json_t *step, const json_t *keys,
		     const char *what, int allow_404, struct walk *w,
		     rest_step_req *sr, px_error *err)
{
	memset(w, 0, sizeof(*w));
	w->s = s;
	w->type = "none";
	w->what = what;
	w->pg = json_object_get(step, "pagination");
	if (!w->pg && !allow_404)
		w->pg = json_object_get(s->profile, "pagination");
	if (w->pg)
		w->type = json_string_value(json_object_get(w->pg, "type"));
	w->size = num(w->pg, "size", 0);
	w->page = num(w->pg, "start", 1);
	w->offset = num(w->pg, "start", 0);
	w->body_loops = !strcmp(w->type, "offset") ||
			(!strcmp(w->type, "page") &&
			 !json_object_get(w->pg, "total_pages"));
	w->follows = !strcmp(w->type, "link") || !strcmp(w->type, "next_url");
	if (rest_step_prepare(s, step, keys, what, sr, err))
		return -1;
	sr->call.allow_404 = allow_404;
	if (!(w->base = rest_url_build(s, step, keys, what, err))) {
		rest_step_release(sr);
		return -1;
	}
	return 0;
}

int rest_first_request(px_source *s, const json_t *step, const json_t *keys,
		       const char *what, int allow_404, char **url,
		       rest_step_req *sr, px_error *err)
{
	struct walk w;

	*url = NULL;
	if (walk_init(s, step, keys, what, allow_404, &w, sr, err))
		return -1;
	if (page_url(&w, err)) {
		walk_free(&w);
		rest_step_release(sr);
		return -1;
	}
	*url = w.url;
	w.url = NULL;
	walk_free(&w);
	return 0;
}

int rest_paginate(px_source *s, const json_t *step, const json_t *keys,
		  const char *what, int allow_404, rest_items_fn fn, void *ctx,
		  px_error *err)
{
	const char *ip = json_string_value(json_object_get(step, "items"));
	struct walk w;
	long long max_pages, pages;
	rest_resp r = {0};
	rest_step_req sr;
	int rc = -1;

	if (walk_init(s, step, keys, what, allow_404, &w, &sr, err))
		return -1;
	max_pages = num(w.pg, "max_pages", DEFAULT_MAX_PAGES);
	for (pages = 1;; pages++) {
		json_t *doc, *items, *one = NULL;
		uint64_t h;
		size_t count;
		int go;

		if (page_url(&w, err))
			goto out;
		/* A next link back to the first page is a loop too. */
		if (pages == 1 && w.follows &&
		    seen_add(&w.seen, fnv1a(w.url, strlen(w.url))) < 0) {
			px_error_oom(err);
			goto out;
		}
		if (rest_request(s, w.url, what, &sr.call, &r, err))
			goto out;
		if (r.status == 404) {
			rc = 1; /* a lookup: not known there */
			goto out;
		}
		if (r.status == 204)
			break; /* No Content: an empty page, the last */
		if (!(doc = rest_json_parse(s, &r, what, w.url, err)))
			goto out;
		items = rest_pointer(doc, ip ? ip : "");
		/* A single object is a page of one (a profile, a lookup). */
		if (json_is_object(items) && !(one = json_pack("[O]", items))) {
			json_decref(doc);
			px_error_oom(err);
			goto out;
		}
		items = one ? one : items;
		if (!items || !(json_is_array(items) || json_is_null(items))) {
			json_decref(doc);
			px_error_set(err, PX_EXIT_DATA,
				     "source %s: %s: no array of items at "
				     "\"%s\" in the answer",
				     s->cfg->name, what, ip ? ip : "");
			goto out;
		}
		count = json_array_size(items);
		/* A loop is judged by the request: cursor and link walks
		 * refuse a request they made before, whatever the bodies. A
		 * page or offset walk makes a new request each time, so there
		 * the only sign of a partner ignoring the parameter is the
		 * same full page twice in a row, unless a page count bounds
		 * the walk. */
		h = fnv1a(r.body.data, r.body.len);
		if (w.body_loops && count && pages > 1 && h == w.last_body) {
			json_decref(one);
			json_decref(doc);
			loop_error(&w, "the same page came back twice", err);
			goto out;
		}
		w.last_body = h;
		go = fn(ctx, items, err)
			 ? -1
			 : advance(&w, doc, items, &r, count, err);
		json_decref(one);
		json_decref(doc);
		rest_resp_free(&r);
		if (go < 0)
			goto out;
		if (!go)
			break;
		if (pages >= max_pages) {
			px_error_set(err, PX_EXIT_DATA,
				     "source %s: %s: more than %lld pages "
				     "(the profile's max_pages); stopped",
				     s->cfg->name, what, max_pages);
			goto out;
		}
	}
	rc = 0;
out:
	rest_resp_free(&r);
	rest_step_release(&sr);
	walk_free(&w);
	return rc;
}
