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
	json_t *unmapped; /* entity -> reason -> count */
	uint64_t n;
	px_buf line;
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
	x->unmapped = json_object();
	if (!x->unmapped) {
		px_error_oom(err);
		goto fail;
	}
	if (!(x->out = px_workfile_stream("xAPI statements", err)))
		goto fail;
	if (fputs("[\n", x->out) == EOF) {
		px_error_set(err, PX_EXIT_IOERR, "writing xAPI statements: %s",
			     strerror(errno));
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
	px_buf_free(&x->line);
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

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static char *pct_put(char *p, const char *id)
{
	for (const unsigned char *c = (const unsigned char *)id; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || strchr("-._~", *c))
			*p++ = (char)*c;
		else
			p += sprintf(p, "%%%02X", *c);
	}
	*p = 0;
	return p;
}

/* base + kind + "/" + id [+ "/" + kind2 + "/" + id2], each id
 * percent-encoded outside the unreserved set. */
static json_t *activity_id(const char *base, const char *kind, const char *id,
			   const char *kind2, const char *id2)
{
	size_t bl = strlen(base);
	size_t n = bl + strlen(kind) + 3 * strlen(id) + 8 +
		   (kind2 ? strlen(kind2) + 3 * strlen(id2) : 0);
	char *s = malloc(n), *p;
	char last = bl ? base[bl - 1] : '/';
	json_t *j;

	if (!s)
		return NULL;
	p = s + sprintf(s, "%s%s%s/", base,
			last == '/' || last == '#' || last == ':' ? "" : "/",
			kind);
	p = pct_put(p, id);
	if (kind2) {
		p += sprintf(p, "/%s/", kind2);
		pct_put(p, id2);
	}
	j = json_string(s);
	free(s);
	return j;
}

static json_t *activity(json_t *id, const char *type, const char *title)
{
	json_t *a = json_pack("{s:s, s:o, s:{s:s}}", "objectType", "Activity",
			      "id", id, "definition", "type", type);

	if (a && title && *title)
		json_object_set_new(json_object_get(a, "definition"), "name",
				    json_pack("{s:s}", "und", title));
	return a;
}

static json_t *verb(const char *iri, const char *display)
{
	return json_pack("{s:s, s:{s:s}}", "id", iri, "display", "en-US",
			 display);
}

/* A number of the record as a JSON number, exact digits kept. */
static json_t *number(const json_t *v)
{
	if (px_decimal_digits(v))
		return px_decimal_new(px_decimal_digits(v));
	return json_is_number(v) ? json_deep_copy(v) : NULL;
}

static int number_or_null(const json_t *v)
{
	return v && (px_decimal_digits(v) || json_is_number(v));
}

/* Sets key to v (a new reference) when v is not NULL. */
static void set_if(json_t *o, const char *key, json_t *v)
{
	if (v)
		json_object_set_new(o, key, v);
}

static double num(const json_t *v)
{
	const char *d = px_decimal_digits(v);

	return d ? strtod(d, NULL) : json_number_value(v);
}

static json_t *duration(const json_t *seconds)
{
	char d[40];

	if (!json_is_integer(seconds) || json_integer_value(seconds) < 0)
		return NULL;
	snprintf(d, sizeof(d), "PT%" JSON_INTEGER_FORMAT "S",
		 json_integer_value(seconds));
	return json_string(d);
}

/* result.score from raw and max; NULL with *why when they disagree. */
static json_t *score(const json_t *raw, const json_t *max, const char **why)
{
	json_t *s = json_object();

	if (!s)
		return NULL;
	json_object_set_new(s, "raw", number(raw));
	if (max && json_is_number(max) && num(max) > 0) {
		double r = num(raw), m = num(max);

		if (r > m || r < -m) {
			json_decref(s);
			*why = "score outside -max_score..max_score";
			return NULL;
		}
		json_object_set_new(s, "max", number(max));
		if (r < 0)
			json_object_set_new(s, "min", json_real(-m));
		json_object_set_new(s, "scaled",
				    json_real(round(r / m * 1e6) / 1e6));
	}
	return s;
}

/* The statement of one record, or NULL with *why (not an error). */
static json_t *map(const px_xapi *x, const char *entity, const char *base,
		   const json_t *r, const char **why)
{
	json_t *st = json_object(), *res = json_object(), *ctx = NULL;
	const char *at = NULL;

	if (!st || !res)
		goto oom;
	if (!strcmp(entity, "progress")) {
		const char *status = str(r, "status");
		const char *course = str(r, "course"),
			   *module = str(r, "module");

		if (!course || !status || !strcmp(status, "not_started")) {
			*why = "not_started: no activity to state";
			goto none;
		}
		at = !strcmp(status, "completed") && str(r, "completed_at")
			 ? str(r, "completed_at")
		     : str(r, "updated_at") ? str(r, "updated_at")
					    : str(r, "started_at");
		json_object_set_new(st, "verb",
				    !strcmp(status, "completed")
					? verb(ADL "completed", "completed")
					: verb(ADL "progressed", "progressed"));
		json_object_set_new(
		    st, "object",
		    activity(activity_id(base, "course", course,
					 module ? "module" : NULL, module),
			     module ? ACT "module" : ACT "course",
			     str(r, "course_title")));
		if (!strcmp(status, "completed"))
			json_object_set_new(res, "completion", json_true());
		if (json_is_number(json_object_get(r, "percent")) ||
		    px_decimal_digits(json_object_get(r, "percent")))
			json_object_set_new(
			    res, "extensions",
			    json_pack("{s:I}", CMI5_PROGRESS,
				      (json_int_t)floor(
					  num(json_object_get(r, "percent")))));
		set_if(res, "duration",
		       duration(json_object_get(r, "time_spent_seconds")));
	} else if (!strcmp(entity, "score")) {
		json_t *passed = json_object_get(r, "passed"), *sc;

		at = str(r, "taken_at");
		json_object_set_new(st, "verb",
				    json_is_true(passed)
					? verb(ADL "passed", "passed")
				    : json_is_false(passed)
					? verb(ADL "failed", "failed")
					: verb(ADL "attempted", "attempted"));
		json_object_set_new(
		    st, "object",
		    activity(activity_id(base, "assessment",
					 str(r, "assessment"), NULL, NULL),
			     ACT "assessment", str(r, "assessment_title")));
		sc = score(json_object_get(r, "score"),
			   json_object_get(r, "max_score"), why);
		if (!sc)
			goto none;
		json_object_set_new(res, "score", sc);
		if (json_is_boolean(passed))
			json_object_set(res, "success", passed);
		json_object_set_new(res, "completion", json_true());
	} else if (!strcmp(entity, "answer")) {
		json_t *resp = json_object_get(r, "response");
		json_t *correct = json_object_get(r, "correct");

		at = str(r, "submitted_at");
		json_object_set_new(st, "verb",
				    verb(ADL "answered", "answered"));
		json_object_set_new(
		    st, "object",
		    activity(activity_id(base, "question", str(r, "question"),
					 NULL, NULL),
			     ACT "cmi.interaction", str(r, "prompt")));
		if (json_is_string(resp)) {
			json_object_set(res, "response", resp);
		} else if (resp) {
			px_buf b = {0};

			if (px_json_append(&b, resp) || px_buf_add(&b, "", 1))
				goto oom;
			json_object_set_new(res, "response",
					    json_string(b.data));
			px_buf_free(&b);
		}
		if (json_is_boolean(correct))
			json_object_set(res, "success", correct);
		if (number_or_null(json_object_get(r, "score")))
			json_object_set_new(
			    res, "score",
			    json_pack("{s:o}", "raw",
				      number(json_object_get(r, "score"))));
		if (str(r, "assessment"))
			ctx = json_pack(
			    "{s:{s:[o]}}", "contextActivities", "parent",
			    activity(activity_id(base, "assessment",
						 str(r, "assessment"), NULL,
						 NULL),
				     ACT "assessment", NULL));
	} else if (!strcmp(entity, "connection")) {
		const char *ev = str(r, "event");

		at = str(r, "at");
		if (ev && !strcmp(ev, "login"))
			json_object_set_new(
			    st, "verb",
			    verb(ADL_W3ID "logged-in", "logged-in"));
		else if (ev && !strcmp(ev, "logout"))
			json_object_set_new(
			    st, "verb",
			    verb(ADL_W3ID "logged-out", "logged-out"));
		else {
			*why = "event with no xAPI verb (not login or logout)";
			goto none;
		}
		json_object_set_new(
		    st, "object",
		    json_pack("{s:s, s:s, s:{s:s}}", "objectType", "Activity",
			      "id", base, "definition", "type",
			      "http://id.tincanapi.com/activitytype/lms"));
		set_if(res, "duration",
		       duration(json_object_get(r, "duration_seconds")));
	}
	if (!at) {
		*why = "no timestamp";
		goto none;
	}
	if (!json_object_get(st, "object") || !json_object_get(st, "verb"))
		goto oom;
	json_object_set(st, "actor", x->actor);
	if (json_object_size(res))
		json_object_set(st, "result", res);
	if (ctx)
		json_object_set_new(st, "context", ctx);
	json_object_set_new(st, "timestamp", json_string(at));
	json_object_set_new(st, "version", json_string("1.0.3"));
	json_decref(res);
	return st;
none:
	json_decref(ctx);
	json_decref(res);
	json_decref(st);
	return NULL;
oom:
	*why = NULL;
	json_decref(ctx);
	json_decref(res);
	json_decref(st);
	return NULL;
}

int px_xapi_add(px_xapi *x, const char *entity, const json_t *source_cfg,
		const json_t *record, px_error *err)
{
	const char *base =
	    str(json_object_get(source_cfg, "xapi"), "activity_base");
	const char *source = str(source_cfg, "name");
	const char *why = NULL;
	char uuid[37];
	json_t *st;

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
	st = map(x, entity, base, record, &why);
	if (!st)
		return why ? unmapped(x, entity, why, err) : px_error_oom(err);

	/* The id: source, entity and the record's own id, else the record. */
	x->line.len = 0;
	if (px_buf_add(&x->line, source ? source : "",
		       source ? strlen(source) : 0) ||
	    px_buf_add(&x->line, "\x1f", 1) ||
	    px_buf_add(&x->line, entity, strlen(entity)) ||
	    px_buf_add(&x->line, "\x1f", 1) ||
	    (str(record, "id") ? px_buf_add(&x->line, str(record, "id"),
					    strlen(str(record, "id")))
			       : px_json_append(&x->line, record))) {
		json_decref(st);
		return px_error_oom(err);
	}
	px_uuid5(x->line.data, x->line.len, uuid);
	json_object_set_new(st, "id", json_string(uuid));

	x->line.len = 0;
	if ((x->n && px_buf_add(&x->line, ",\n", 2)) ||
	    px_json_append(&x->line, st)) {
		json_decref(st);
		return px_error_oom(err);
	}
	json_decref(st);
	if (fwrite(x->line.data, 1, x->line.len, x->out) != x->line.len)
		return px_error_set(err, PX_EXIT_IOERR,
				    "writing xAPI statements: %s",
				    strerror(errno));
	x->n++;
	return 0;
}

int px_xapi_add_text(px_xapi *x, const char *entity, const json_t *source_cfg,
		     const char *text, size_t len, px_error *err)
{
	json_error_t je;
	json_t *r;
	int rc;

	if (!px_xapi_maps(entity))
		return 0;
	x->line.len = 0;
	if (px_buf_add(&x->line, "{", 1) || px_buf_add(&x->line, text, len) ||
	    px_buf_add(&x->line, "}", 1))
		return px_error_oom(err);
	r = px_json_load_exact(x->line.data, x->line.len, 0, &je, NULL);
	if (!r)
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "xAPI: a %s record's text does not parse "
				    "(%s)",
				    entity, je.text);
	rc = px_xapi_add(x, entity, source_cfg, r, err);
	json_decref(r);
	return rc;
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
		return px_error_set(err, PX_EXIT_IOERR,
				    "writing xAPI statements: %s",
				    strerror(errno));
	}
	*file = x->out;
	x->out = NULL;
	return 0;
}
