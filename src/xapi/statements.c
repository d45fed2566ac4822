/*
 * statements.c - one xAPI statement per activity record (docs/xapi.md).
 *
 * Verbs are ADL's (completed, progressed, passed, failed, attempted,
 * answered; logged-in and logged-out from the ADL vocabulary on w3id.org);
 * activity ids are the source's xapi.activity_base followed by the kind
 * and the record's identifier, percent-encoded; each statement's id is a
 * UUID v5 over source, entity and the record's id (or, without one, the
 * record itself), so importing the same package twice, or transmitting
 * it again, makes no duplicate.
 */
#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"
#include "jsonscan.h"
#include "package/workfile.h"
#include "portex/connector.h"
#include "xapi/xapi.h"

#define ADL	      "http://adlnet.gov/expapi/verbs/"
#define ADL_W3ID      "https://w3id.org/xapi/adl/verbs/"
#define ACT	      "http://adlnet.gov/expapi/activities/"
#define CMI5_PROGRESS "https://w3id.org/xapi/cmi5/result/extensions/progress"

/* portex's UUID namespace for statement ids (random, fixed forever). */
static const unsigned char namespace_uuid[16] = {
    0x3b, 0x1e, 0x6c, 0x52, 0x9a, 0x0d, 0x4f, 0x7e,
    0xb4, 0x21, 0x58, 0xc3, 0xe7, 0x90, 0x2a, 0x6d};

struct px_xapi {
	FILE *out;
	json_t *actor;
	px_buf actor_text; /* its JSON text, written into every statement */
	json_t *unmapped;  /* entity -> reason -> count */
	uint64_t n;
	/* Reused for every record: no allocation per statement. */
	px_jfields f;	     /* the record's members */
	px_buf s[4];	     /* decoded string values */
	px_buf line;	     /* the statement */
	px_buf res, ctx, sc; /* its result, context and result.score */
	px_buf id;	     /* an activity id, then the statement id's name */
	px_buf rec;	     /* a generic-path record as text */
	json_t *real;	     /* jansson writes reals (score.scaled) */
};

void px_uuid5(const char *name, size_t len, char out[37])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	static const char hex[] = "0123456789abcdef";
	int o = 0;

	if (c && EVP_DigestInit_ex(c, EVP_sha1(), NULL) &&
	    EVP_DigestUpdate(c, namespace_uuid, 16) &&
	    EVP_DigestUpdate(c, name, len))
		EVP_DigestFinal_ex(c, md, &mdlen);
	EVP_MD_CTX_free(c);
	if (mdlen < 16)
		memset(md, 0, 16);
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[md[i] >> 4];
		out[o++] = hex[md[i] & 15];
	}
	out[o] = 0;
}

/* The statements' work file could not be written (a full disk): the
 * output cannot be written, as for the package's other work files. */
static int xapi_cantwrite(px_error *err)
{
	return px_error_set(err, PX_EXIT_CANTCREAT,
			    "cannot write xAPI statements in %s: %s",
			    px_tmpdir(), strerror(errno));
}

static int cfg_fail(const px_config *cfg, px_error *err, const char *path,
		    const char *what)
{
	return px_error_set(err, PX_EXIT_CONFIG, "%s: %s: %s", cfg->path, path,
			    what);
}

static int is_iri(const char *s)
{
	const char *colon = strchr(s, ':');

	if (!colon || colon == s ||
	    !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	for (const char *p = s; p < colon; p++)
		if (!strchr(
			"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"0123456789+-.",
			*p))
			return 0;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || strchr("<>\"{}|\\^`", *p))
			return 0;
	return colon[1] != 0;
}

px_xapi *px_xapi_new(const px_config *cfg, const json_t *subject, px_error *err)
{
	px_xapi *x = calloc(1, sizeof(*x));
	json_t *xc = json_object_get(cfg->root, "xapi");
	const char *email =
	    json_string_value(json_object_get(subject, "email"));
	const char *home = json_string_value(json_object_get(xc, "home_page"));

	if (!x) {
		px_error_oom(err);
		return NULL;
	}
	if (xc && !json_is_object(xc)) {
		cfg_fail(cfg, err, "/xapi", "expected an object");
		goto fail;
	}
	if (json_object_get(xc, "home_page") && (!home || !is_iri(home))) {
		cfg_fail(cfg, err, "/xapi/home_page",
			 "expected an absolute IRI (https://...)");
		goto fail;
	}
	if (email && strchr(email, '@')) {
		char *mbox = malloc(strlen(email) + 8);

		if (mbox)
			sprintf(mbox, "mailto:%s", email);
		x->actor = mbox ? json_pack("{s:s, s:s}", "objectType", "Agent",
					    "mbox", mbox)
				: NULL;
		free(mbox);
	} else if (home) {
		const char *k;
		json_t *v;

		json_object_foreach ((json_t *)subject, k, v) {
			x->actor = json_pack(
			    "{s:s, s:{s:s, s:s}}", "objectType", "Agent",
			    "account", "homePage", home, "name",
			    json_string_value(v) ? json_string_value(v) : k);
			break;
		}
	}
	if (x->actor && px_json_append(&x->actor_text, x->actor)) {
		px_error_oom(err);
		goto fail;
	}
	x->unmapped = json_object();
	x->real = json_real(0);
	if (!x->unmapped || !x->real) {
		px_error_oom(err);
		goto fail;
	}
	if (!(x->out = px_workfile_stream("xAPI statements", err)))
		goto fail;
	if (fputs("[\n", x->out) == EOF) {
		xapi_cantwrite(err);
		goto fail;
	}
	return x;
fail:
	px_xapi_free(x);
	return NULL;
}

void px_xapi_free(px_xapi *x)
{
	if (!x)
		return;
	if (x->out)
		fclose(x->out);
	json_decref(x->actor);
	json_decref(x->unmapped);
	json_decref(x->real);
	px_jfields_free(&x->f);
	px_buf_free(&x->actor_text);
	px_buf_free(&x->s[0]);
	px_buf_free(&x->s[1]);
	px_buf_free(&x->s[2]);
	px_buf_free(&x->s[3]);
	px_buf_free(&x->line);
	px_buf_free(&x->res);
	px_buf_free(&x->ctx);
	px_buf_free(&x->sc);
	px_buf_free(&x->id);
	px_buf_free(&x->rec);
	free(x);
}

int px_xapi_maps(const char *entity)
{
	return !strcmp(entity, "progress") || !strcmp(entity, "score") ||
	       !strcmp(entity, "answer") || !strcmp(entity, "connection");
}

static int unmapped(px_xapi *x, const char *entity, const char *reason,
		    px_error *err)
{
	json_t *e = json_object_get(x->unmapped, entity);
	json_t *n;

	if (!e && json_object_set_new(x->unmapped, entity, e = json_object()))
		return px_error_oom(err);
	n = json_object_get(e, reason);
	if (json_object_set_new(
		e, reason, json_integer(n ? json_integer_value(n) + 1 : 1)))
		return px_error_oom(err);
	return 0;
}

static const px_jmember *get(px_xapi *x, const char *key)
{
	return px_jfields_get(&x->f, key);
}

/* A string member, or NULL (absent or another kind). */
static const px_jmember *sget(px_xapi *x, const char *key)
{
	const px_jmember *m = get(x, key);

	return m && m->kind == PX_JK_STRING ? m : NULL;
}

/* A string member's value into scratch slot i (NUL-terminated), or NULL.
 * A slot stays valid until it is used again. */
static const char *sdec(px_xapi *x, int i, const char *key, int *oom)
{
	const px_jmember *m = sget(x, key);

	if (!m)
		return NULL;
	if (px_jstring_decode(m->val, m->vlen, &x->s[i])) {
		*oom = 1;
		return NULL;
	}
	return x->s[i].data;
}

static int lit(px_buf *b, const char *s)
{
	return px_buf_add(b, s, strlen(s));
}

static int jtext(px_buf *b, const char *s)
{
	return px_json_append_text(b, s, strlen(s));
}

static int raw(px_buf *b, const px_jmember *m)
{
	return px_buf_add(b, m->val, m->vlen);
}

/* A string member as px_json_append() writes its value: the record's own
 * text unless it holds an escape another writer may spell otherwise
 * ("\u00e9" for "é"). */
static int str_out(px_xapi *x, px_buf *b, const px_jmember *m)
{
	if (px_jescapes_canonical(m->val, m->vlen))
		return raw(b, m);
	if (px_jstring_decode(m->val, m->vlen, &x->s[3]))
		return -1;
	return px_json_append_text(b, x->s[3].data, x->s[3].len);
}

/* ,"key": (no comma before the first member of a buffer) */
static int key(px_buf *b, const char *k)
{
	return (b->len && px_buf_add(b, ",", 1)) || jtext(b, k) ||
	       px_buf_add(b, ":", 1);
}

/* A double as jansson writes a real (precision 17); nothing for a value
 * jansson refuses (inf, NaN), as json_real() gives NULL there. */
static int real(px_xapi *x, px_buf *b, const char *k, double d)
{
	if (json_real_set(x->real, d))
		return 0;
	return key(b, k) || px_json_append(b, x->real);
}

static int pct_put(px_buf *b, const char *id)
{
	char e[4];

	for (const unsigned char *c = (const unsigned char *)id; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || strchr("-._~", *c)) {
			if (px_buf_add(b, c, 1))
				return -1;
		} else {
			snprintf(e, sizeof(e), "%%%02X", *c);
			if (px_buf_add(b, e, 3))
				return -1;
		}
	}
	return 0;
}

/* base + kind + "/" + id [+ "/" + kind2 + "/" + id2] as a JSON string,
 * each id percent-encoded outside the unreserved set. */
/* A non-string member's JSON text as a JSON string (xAPI's response is
 * a string). A container with another writer's escapes is read and
 * written again, so its text is px_json_append()'s. */
static int value_text(px_xapi *x, px_buf *b, const px_jmember *m)
{
	json_error_t je;
	json_t *v;
	int rc;

	if (m->kind != PX_JK_CONTAINER ||
	    px_jescapes_canonical(m->val, m->vlen))
		return px_json_append_text(b, m->val, m->vlen);
	if (!(v = px_json_load_exact(m->val, m->vlen, JSON_DECODE_ANY, &je,
				     NULL)))
		return -1;
	x->s[3].len = 0;
	rc = px_json_append(&x->s[3], v) ||
	     px_json_append_text(b, x->s[3].data, x->s[3].len);
	json_decref(v);
	return rc ? -1 : 0;
}

static int activity_id(px_xapi *x, px_buf *b, const char *base,
		       const char *kind, const char *id, const char *kind2,
		       const char *id2)
{
	size_t bl = strlen(base);
	char last = bl ? base[bl - 1] : '/';
	px_buf *s = &x->id;

	s->len = 0;
	if (lit(s, base) ||
	    lit(s, last == '/' || last == '#' || last == ':' ? "" : "/") ||
	    lit(s, kind) || lit(s, "/") || pct_put(s, id ? id : ""))
		return -1;
	if (kind2 && (lit(s, "/") || lit(s, kind2) || lit(s, "/") ||
		      pct_put(s, id2 ? id2 : "")))
		return -1;
	return px_json_append_text(b, s->data, s->len);
}

/* {"objectType":"Activity","id":...,"definition":{"type":...[,"name":
 * {"und":title}]}}; title: a string member, left out when empty. */
static int activity(px_xapi *x, px_buf *b, const char *base, const char *kind,
		    const char *id, const char *kind2, const char *id2,
		    const char *type, const px_jmember *title)
{
	if (lit(b, "{\"objectType\":\"Activity\",\"id\":") ||
	    activity_id(x, b, base, kind, id, kind2, id2) ||
	    lit(b, ",\"definition\":{\"type\":") || jtext(b, type))
		return -1;
	if (title && title->vlen > 2 &&
	    (lit(b, ",\"name\":{\"und\":") || str_out(x, b, title) ||
	     lit(b, "}")))
		return -1;
	return lit(b, "}}");
}

/* "verb":{"id":<vocabulary><name>,"display":{"en-US":<name>}} */
static int verb(px_buf *b, const char *vocabulary, const char *name)
{
	return lit(b, "\"verb\":{\"id\":\"") || lit(b, vocabulary) ||
	       lit(b, name) || lit(b, "\",\"display\":{\"en-US\":\"") ||
	       lit(b, name) || lit(b, "\"}}");
}

/* "key":"PT<n>S" for a non-negative integer member. */
static int duration(px_buf *b, const char *k, const px_jmember *m)
{
	char d[40];
	long long s;

	if (!m || m->kind != PX_JK_INTEGER ||
	    (s = strtoll(m->val, NULL, 10)) < 0)
		return 0;
	snprintf(d, sizeof(d), "PT%lldS", s);
	return key(b, k) || jtext(b, d);
}

/* result.score from raw and max into x->sc; 1 with *why when they
 * disagree. A decimal max counts as a number, as a real one does on the
 * JSON path. */
static int score(px_xapi *x, const px_jmember *raw_m, const px_jmember *max,
		 const char **why)
{
	px_buf *s = &x->sc;

	s->len = 0;
	if (raw_m && px_jkind_number(raw_m->kind) &&
	    (key(s, "raw") || raw(s, raw_m)))
		return -1;
	if (max && px_jkind_number(max->kind) && px_jnumber(max) > 0) {
		double r = px_jnumber(raw_m), m = px_jnumber(max);

		if (r > m || r < -m) {
			*why = "score outside -max_score..max_score";
			return 1;
		}
		if (key(s, "max") || raw(s, max) ||
		    (r < 0 && real(x, s, "min", -m)) ||
		    real(x, s, "scaled", round(r / m * 1e6) / 1e6))
			return -1;
	}
	return 0;
}

static int boolean(const px_jmember *m)
{
	return m && (m->kind == PX_JK_TRUE || m->kind == PX_JK_FALSE);
}

/* The verb and object of the record into x->line, its result into x->res
 * and context into x->ctx, *at its timestamp member. 0; 1 with *why when
 * the record has no statement; -1 on out of memory. */
static int map(px_xapi *x, const char *entity, const char *base,
	       const px_jmember **at, const char **why)
{
	px_buf *b = &x->line, *res = &x->res;
	int oom = 0, rc;

	*at = NULL;
	if (!strcmp(entity, "progress")) {
		const char *status = sdec(x, 0, "status", &oom);
		const char *course = sdec(x, 1, "course", &oom);
		const char *module = sdec(x, 2, "module", &oom);
		int done = status && !strcmp(status, "completed");
		const px_jmember *pc = get(x, "percent");

		if (oom)
			return -1;
		if (!course || !status || !strcmp(status, "not_started")) {
			*why = "not_started: no activity to state";
			return 1;
		}
		*at = done && sget(x, "completed_at") ? sget(x, "completed_at")
		      : sget(x, "updated_at")	      ? sget(x, "updated_at")
						      : sget(x, "started_at");
		if (verb(b, ADL, done ? "completed" : "progressed") ||
		    lit(b, ",\"object\":") ||
		    activity(x, b, base, "course", course,
			     module ? "module" : NULL, module,
			     module ? ACT "module" : ACT "course",
			     sget(x, "course_title")))
			return -1;
		if (done && (key(res, "completion") || lit(res, "true")))
			return -1;
		if (pc && px_jkind_number(pc->kind) &&
		    (key(res, "extensions") || lit(res, "{") ||
		     jtext(res, CMI5_PROGRESS) || lit(res, ":") ||
		     px_json_append_int(res,
					(long long)floor(px_jnumber(pc))) ||
		     lit(res, "}")))
			return -1;
		if (duration(res, "duration", get(x, "time_spent_seconds")))
			return -1;
	} else if (!strcmp(entity, "score")) {
		const px_jmember *passed = get(x, "passed");
		const char *as = sdec(x, 0, "assessment", &oom);
		int t = passed && passed->kind == PX_JK_TRUE;
		int f = passed && passed->kind == PX_JK_FALSE;

		if (oom)
			return -1;
		*at = sget(x, "taken_at");
		if (verb(b, ADL,
			 t   ? "passed"
			 : f ? "failed"
			     : "attempted") ||
		    lit(b, ",\"object\":") ||
		    activity(x, b, base, "assessment", as, NULL, NULL,
			     ACT "assessment", sget(x, "assessment_title")))
			return -1;
		if ((rc = score(x, get(x, "score"), get(x, "max_score"), why)))
			return rc;
		if (key(res, "score") || lit(res, "{") ||
		    px_buf_add(res, x->sc.data, x->sc.len) || lit(res, "}") ||
		    (boolean(passed) &&
		     (key(res, "success") || raw(res, passed))) ||
		    key(res, "completion") || lit(res, "true"))
			return -1;
	} else if (!strcmp(entity, "answer")) {
		const px_jmember *resp = get(x, "response");
		const px_jmember *correct = get(x, "correct");
		const px_jmember *sc = get(x, "score");
		const char *q = sdec(x, 0, "question", &oom);
		const char *as = sdec(x, 1, "assessment", &oom);

		if (oom)
			return -1;
		*at = sget(x, "submitted_at");
		if (verb(b, ADL, "answered") || lit(b, ",\"object\":") ||
		    activity(x, b, base, "question", q, NULL, NULL,
			     ACT "cmi.interaction", sget(x, "prompt")))
			return -1;
		/* xAPI's response is a string: any other value as its JSON
		 * text */
		if (resp &&
		    (key(res, "response") ||
		     (resp->kind == PX_JK_STRING ? str_out(x, res, resp)
						 : value_text(x, res, resp))))
			return -1;
		if (boolean(correct) &&
		    (key(res, "success") || raw(res, correct)))
			return -1;
		if (sc && px_jkind_number(sc->kind) &&
		    (key(res, "score") || lit(res, "{\"raw\":") ||
		     raw(res, sc) || lit(res, "}")))
			return -1;
		if (as &&
		    (lit(&x->ctx, "{\"contextActivities\":{\"parent\":[") ||
		     activity(x, &x->ctx, base, "assessment", as, NULL, NULL,
			      ACT "assessment", NULL) ||
		     lit(&x->ctx, "]}}")))
			return -1;
	} else if (!strcmp(entity, "connection")) {
		const char *ev = sdec(x, 0, "event", &oom);
		int in = ev && !strcmp(ev, "login");

		if (oom)
			return -1;
		*at = sget(x, "at");
		if (!in && !(ev && !strcmp(ev, "logout"))) {
			*why = "event with no xAPI verb (not login or logout)";
			return 1;
		}
		if (verb(b, ADL_W3ID, in ? "logged-in" : "logged-out") ||
		    lit(b,
			",\"object\":{\"objectType\":\"Activity\",\"id\":") ||
		    jtext(b, base) ||
		    lit(b, ",\"definition\":{\"type\":"
			   "\"http://id.tincanapi.com/activitytype/lms\"}}") ||
		    duration(res, "duration", get(x, "duration_seconds")))
			return -1;
	}
	if (!*at) {
		*why = "no timestamp";
		return 1;
	}
	return 0;
}

/* The statement id: source, entity and the record's own id, else the
 * record's text. */
static int statement_id(px_xapi *x, const char *source, const char *entity,
			const char *text, size_t len, char uuid[37])
{
	px_buf *n = &x->id;
	int oom = 0;
	const char *id = sdec(x, 0, "id", &oom);
	size_t start;

	if (oom)
		return -1;
	n->len = 0;
	if (lit(n, source ? source : "") || lit(n, "\x1f") || lit(n, entity) ||
	    lit(n, "\x1f"))
		return -1;
	start = n->len;
	if (id ? lit(n, id)
	       : lit(n, "{") || px_buf_add(n, text, len) || lit(n, "}"))
		return -1;
	/* the record as px_json_append() writes it, whoever wrote it */
	if (!id && !px_jescapes_canonical(text, len)) {
		json_error_t je;
		json_t *r = px_json_load_exact(n->data + start, n->len - start,
					       0, &je, NULL);
		int rc;

		n->len = start;
		rc = !r || px_json_append(n, r);
		json_decref(r);
		if (rc)
			return -1;
	}
	px_uuid5(n->data, n->len, uuid);
	return 0;
}

int px_xapi_add_text(px_xapi *x, const char *entity, const json_t *source_cfg,
		     const char *text, size_t len, px_error *err)
{
	const char *base = json_string_value(json_object_get(
	    json_object_get(source_cfg, "xapi"), "activity_base"));
	const char *source =
	    json_string_value(json_object_get(source_cfg, "name"));
	const char *why = NULL;
	const px_jmember *at;
	char uuid[37];
	px_buf *b = &x->line;
	int rc;

	if (!px_xapi_maps(entity))
		return 0;
	if (!x->actor)
		return unmapped(x, entity,
				"no actor (subject has no email "
				"and xapi.home_page is not set)",
				err);
	if (!base)
		return unmapped(x, entity, "source has no xapi.activity_base",
				err);
	if ((rc = px_jfields_scan(&x->f, text, len)))
		return rc < 0 ? px_error_oom(err)
			      : px_error_set(err, PX_EXIT_SOFTWARE,
					     "xAPI: a %s record's text is not "
					     "compact JSON members",
					     entity);
	b->len = x->res.len = x->ctx.len = 0;
	if ((x->n && lit(b, ",\n")) || lit(b, "{"))
		return px_error_oom(err);
	if ((rc = map(x, entity, base, &at, &why)))
		return rc > 0 ? unmapped(x, entity, why, err)
			      : px_error_oom(err);
	if (lit(b, ",\"actor\":") ||
	    px_buf_add(b, x->actor_text.data, x->actor_text.len) ||
	    (x->res.len &&
	     (lit(b, ",\"result\":{") ||
	      px_buf_add(b, x->res.data, x->res.len) || lit(b, "}"))) ||
	    (x->ctx.len && (lit(b, ",\"context\":") ||
			    px_buf_add(b, x->ctx.data, x->ctx.len))) ||
	    lit(b, ",\"timestamp\":") || str_out(x, b, at) ||
	    lit(b, ",\"version\":\"1.0.3\",\"id\":") ||
	    statement_id(x, source, entity, text, len, uuid) ||
	    jtext(b, uuid) || lit(b, "}"))
		return px_error_oom(err);
	if (fwrite(b->data, 1, b->len, x->out) != b->len)
		return xapi_cantwrite(err);
	x->n++;
	return 0;
}

/* A record from the generic path goes through the same text mapping. */
int px_xapi_add(px_xapi *x, const char *entity, const json_t *source_cfg,
		const json_t *record, px_error *err)
{
	if (!px_xapi_maps(entity))
		return 0;
	x->rec.len = 0;
	if (px_json_append(&x->rec, record))
		return px_error_oom(err);
	if (x->rec.len < 2 || x->rec.data[0] != '{')
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "xAPI: a %s record is not an object",
				    entity);
	return px_xapi_add_text(x, entity, source_cfg, x->rec.data + 1,
				x->rec.len - 2, err);
}

int px_xapi_finish(px_xapi *x, FILE **file, uint64_t *statements,
		   json_t **summary, px_error *err)
{
	*file = NULL;
	*statements = x->n;
	*summary = json_pack("{s:I, s:O, s:s}", "statements", (json_int_t)x->n,
			     "unmapped", x->unmapped, "mapping",
			     "portex xAPI mapping 1 (docs/xapi.md)");
	if (!*summary)
		return px_error_oom(err);
	if (!x->n)
		return 0;
	if (fputs("\n]\n", x->out) == EOF || fflush(x->out) ||
	    fseek(x->out, 0, SEEK_SET)) {
		json_decref(*summary);
		*summary = NULL;
		return xapi_cantwrite(err);
	}
	*file = x->out;
	x->out = NULL;
	return 0;
}
