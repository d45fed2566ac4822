/*
 * export.c - one subject, every source, one package:
 *   config -> identity resolution -> connectors -> normaliser -> packager
 *   -> signer.
 * Sources are opened up front (a source that cannot be reached fails the
 * export before anything is written); resolve steps run as soon as the keys
 * they need are known, in rounds, so a key found in one source can open
 * another; then each collection in scope streams its records through the
 * normaliser and validator into the packager.
 */
#include "portex/export.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "portex/asic.h"
#include "portex/config.h"
#include "portex/connector.h"
#include "portex/schema.h"
#include "interrupt.h"
#include "encode/rowenc.h"
#include "normalise.h"
#include "package/package.h"
#include "xapi/xapi.h"
#include "processing.h"
#include "progress.h"
#include "secret.h"
#include "timefmt.h"

struct src {
	const px_connector *conn;
	px_source *handle;
	json_t *plan;
	px_source_cfg cfg;
	char json_path[32];
	int found;
	json_t *counts; /* entity -> records */
};

/* What lives as long as a worker: schemas, signer, one open handle per
 * source (its connection and prepared statements), reused for every
 * subject. */
struct px_exporter {
	px_export_opts o; /* per-subject fields unused */
	px_schemas *schemas;
	px_signer *signer;
	struct src *srcs;
	size_t n_srcs;
	int opened;	       /* sources are open and their plans checked */
	int ran;	       /* a subject ran since they were opened */
	int reopen;	       /* the last subject lost a source: open afresh */
	json_t *entities;      /* entity -> records of the last subject */
	px_progress *progress; /* the terminal display, or NULL */
	/* The package folder last swept of crashed runs' leftovers, and
	 * when (CLOCK_MONOTONIC seconds). */
	char *swept_dir;
	time_t swept_at;
};

/* One subject's run. o is the exporter's options with this subject's
 * fields filled in. */
struct run {
	const px_export_opts *o;
	px_exporter *x;
	struct src *srcs;
	size_t n_srcs;
	json_t *keys; /* identity keys known so far */
	px_schemas *schemas;
	px_package *pkg;
	px_signer *signer;
	const char *retrievable_until;
	px_xapi *xapi; /* NULL: no xapi/statements.json (--format) */
	int simulate;  /* resolve steps are told, not run (sources check) */
};

/* What a fetch's records go through on their way to the package. */
struct sink {
	struct run *r;
	struct src *s;
	const char *entity, *category;
	const json_t *schema;
	const json_t *json_cols;
	px_normaliser *norm;
	px_rowenc *enc; /* NULL: every record takes the generic path */
	int enc_ok;	/* the statement's columns compiled */
	px_buf text;
	uint64_t n;
};

static const char *const scope_names[] = {"portability", "access"};

int px_scope_parse(const char *s, px_scope *out)
{
	for (int i = 0; i < 2; i++)
		if (!strcmp(s, scope_names[i])) {
			*out = (px_scope)i;
			return 0;
		}
	return -1;
}

const char *px_scope_name(px_scope s)
{
	return scope_names[s];
}

static int in_scope(px_scope scope, const char *category)
{
	return strcmp(category, "derived") || scope == PX_SCOPE_ACCESS;
}

static int needs_known(const json_t *keys, const json_t *needs)
{
	const json_t *n;
	size_t i;

	json_array_foreach (needs, i, n)
		if (!json_object_get(keys, json_string_value(n)))
			return 0;
	return 1;
}

static int open_sources(px_exporter *x, px_error *err)
{
	json_t *arr = json_object_get(x->o.config->root, "sources"), *sj;
	size_t i;

	x->srcs = calloc(json_array_size(arr), sizeof(*x->srcs));
	if (!x->srcs)
		return px_error_oom(err);
	json_array_foreach (arr, i, sj) {
		struct src *s = &x->srcs[i];
		const char *cname =
		    json_string_value(json_object_get(sj, "connector"));

		snprintf(s->json_path, sizeof(s->json_path), "/sources/%zu", i);
		s->cfg.name = json_string_value(json_object_get(sj, "name"));
		s->cfg.json = sj;
		s->cfg.config_file = x->o.config->path;
		s->cfg.json_path = s->json_path;
		s->cfg.base_dir = x->o.config->base_dir;
		s->conn = px_connector_find(cname);
		x->n_srcs = i + 1;
		if (s->conn->open(&s->cfg, &s->handle, &s->plan, err))
			return -1;
	}
	return 0;
}

static void close_sources(px_exporter *x)
{
	for (size_t i = 0; i < x->n_srcs; i++) {
		if (x->srcs[i].handle)
			x->srcs[i].conn->close(x->srcs[i].handle);
		json_decref(x->srcs[i].plan);
		json_decref(x->srcs[i].counts);
	}
	free(x->srcs);
	x->srcs = NULL;
	x->n_srcs = 0;
	x->opened = x->ran = x->reopen = 0;
}

/* 1 when some source's resolve step provides key. */
static int provided_anywhere(const struct run *r, const char *key)
{
	for (size_t a = 0; a < r->n_srcs; a++) {
		json_t *steps = json_object_get(r->srcs[a].plan, "resolve"),
		       *st;
		size_t b;

		json_array_foreach (steps, b, st) {
			const char *p =
			    json_string_value(json_object_get(st, "provides"));
			if (p && !strcmp(p, key))
				return 1;
		}
	}
	return 0;
}

static int unknown_entity(const struct run *r, const struct src *s, size_t j,
			  const char *entity, px_error *err)
{
	char known[512] = "";
	const char *name;

	for (size_t i = 0; (name = px_schemas_name(r->schemas, i)); i++) {
		if (!strcmp(name, "manifest"))
			continue;
		size_t n = strlen(known);
		snprintf(known + n, sizeof(known) - n, "%s%s", n ? ", " : "",
			 name);
	}
	return px_error_set(err, PX_EXIT_CONFIG,
			    "%s: %s/collections/%zu/entity: unknown entity "
			    "\"%s\"; expected one of %s",
			    s->cfg.config_file, s->json_path, j, entity, known);
}

/* Adds to out (a set: key -> true) every key some step needs that no
 * resolve step provides: the keys the sources can start from. */
static int entry_keys(const struct run *r, json_t *out)
{
	static const char *const members[] = {"resolve", "collections"};

	for (size_t i = 0; i < r->n_srcs; i++)
		for (size_t m = 0; m < 2; m++) {
			json_t *steps =
				   json_object_get(r->srcs[i].plan, members[m]),
			       *st, *n;
			size_t j, k;

			json_array_foreach (steps, j, st) {
				json_array_foreach (
				    json_object_get(st, "needs"), k, n) {
					const char *key = json_string_value(n);
					if (!provided_anywhere(r, key) &&
					    json_object_set_new(out, key,
								json_true()))
						return -1;
				}
			}
		}
	return 0;
}

/* A --subject key no source can start from ("mail=" for "email") would
 * otherwise end as "found in no source" (67), which an operator could read
 * as "we hold nothing about this person": a usage error instead. */
static int check_subject_keys(const struct run *r, px_error *err)
{
	json_t *entry = json_object();
	const char *names[64], *key, *near;
	char list[512];
	size_t n = 0;
	json_t *v;
	int rc = 0;

	if (!entry || entry_keys(r, entry)) {
		json_decref(entry);
		return px_error_oom(err);
	}
	json_object_foreach (entry, key, v) {
		if (n < 64)
			names[n++] = key;
	}
	px_list_join(names, n, list, sizeof(list));
	json_object_foreach ((json_t *)r->o->subject, key, v) {
		if (json_object_get(entry, key))
			continue;
		near = px_nearest(key, names, n);
		rc = px_error_set(err, PX_EXIT_USAGE,
				  "--subject %s: no source starts from this "
				  "key%s%s%s; the sources can start from: %s",
				  key, near ? " (did you mean " : "",
				  near ? near : "", near ? "?)" : "",
				  n ? list : "no key at all");
		break;
	}
	json_decref(entry);
	return rc;
}

/* Every entity named, every placeholder given by --subject or provided by
 * some resolve step: checked before any query runs. */
/* A source's or collection's declared conversions (normalise.h) onto n.
 * obj: the source or collection config object; where: its JSON path. */
static int declared(px_normaliser *n, const struct src *s, const json_t *obj,
		    const char *where, int all_fields, px_error *err)
{
	const json_t *tz = json_object_get(obj, "timezone");
	const json_t *mu = json_object_get(obj, "minor_units"), *v;
	const char *k;
	char why[PX_ERROR_MAX];

	if (tz && (!json_is_string(tz) ||
		   px_normaliser_set_zone(n, json_string_value(tz), err))) {
		snprintf(why, sizeof(why), "%s",
			 json_is_string(tz) ? err->msg
					    : "expected an IANA time zone name "
					      "(\"Europe/Paris\")");
		return px_error_set(err, PX_EXIT_CONFIG, "%s: %s/timezone: %s",
				    s->cfg.config_file, where, why);
	}
	if (mu && !json_is_object(mu))
		return px_error_set(err, PX_EXIT_CONFIG,
				    "%s: %s/minor_units: expected an object "
				    "{\"field\": digits after the point}",
				    s->cfg.config_file, where);
	json_object_foreach ((json_t *)mu, k, v) {
		/* A source's table covers all its collections: a field
		 * another entity has is not an error here. */
		if (all_fields && px_normaliser_kind(n, k) == PX_NK_NONE)
			continue;
		if (!json_is_integer(v))
			return px_error_set(err, PX_EXIT_CONFIG,
					    "%s: %s/minor_units/%s: expected "
					    "a number of digits (2 for cents)",
					    s->cfg.config_file, where, k);
		if (px_normaliser_set_minor_units(
			n, k, (int)json_integer_value(v), err)) {
			snprintf(why, sizeof(why), "%s", err->msg);
			return px_error_set(err, PX_EXIT_CONFIG,
					    "%s: %s/minor_units/%s: %s",
					    s->cfg.config_file, where, k, why);
		}
	}
	return 0;
}

/* The source's conversions, then its collection j's (which win). */
static int conversions(px_normaliser *n, const struct src *s, size_t j,
		       px_error *err)
{
	const json_t *coll =
	    json_array_get(json_object_get(s->cfg.json, "collections"), j);
	char where[64];

	snprintf(where, sizeof(where), "%s/collections/%zu", s->json_path, j);
	return declared(n, s, s->cfg.json, s->json_path, 1, err) ||
		       (json_is_object(coll) &&
			declared(n, s, coll, where, 0, err))
		   ? -1
		   : 0;
}

static int check_plans(struct run *r, px_error *err)
{
	for (size_t i = 0; i < r->n_srcs; i++) {
		struct src *s = &r->srcs[i];
		json_t *colls = json_object_get(s->plan, "collections"), *c;
		size_t j;

		json_array_foreach (colls, j, c) {
			const char *entity =
			    json_string_value(json_object_get(c, "entity"));
			json_t *needs = json_object_get(c, "needs"), *n;
			size_t k;

			const json_t *schema;
			px_normaliser *probe;
			int bad;

			if (!(schema = px_schemas_record(r->schemas, entity)))
				return unknown_entity(r, s, j, entity, err);
			/* Declared conversions are checked before any
			 * source is read. */
			if (!(probe = px_normaliser_new(schema, NULL, "", "")))
				return px_error_oom(err);
			bad = conversions(probe, s, j, err);
			px_normaliser_free(probe);
			if (bad)
				return -1;
			json_array_foreach (needs, k, n) {
				const char *key = json_string_value(n);
				if (!json_object_get(r->keys, key) &&
				    !provided_anywhere(r, key))
					return px_error_set(
					    err, PX_EXIT_CONFIG,
					    "%s: %s/collections/%zu: "
					    "placeholder :%s is neither a "
					    "--subject key nor provided by "
					    "any \"resolve\" step",
					    s->cfg.config_file, s->json_path, j,
					    key);
			}
		}
	}
	return check_subject_keys(r, err);
}

/* Runs one resolve step and records the key it finds. */
static int resolve_step(struct run *r, struct src *s, size_t j,
			const json_t *st, px_error *err)
{
	const char *key = json_string_value(json_object_get(st, "provides"));
	const json_t *known;
	char *value = NULL;
	px_export_step told = {.kind = PX_STEP_RESOLVE,
			       .source = s->cfg.name,
			       .key = key,
			       .found = 1,
			       .needs = json_object_get(st, "needs")};
	int rc = r->simulate
		     ? 1
		     : s->conn->resolve(s->handle, j, r->keys, &value, err);

	if (rc >= 0 && r->o->on_step) {
		told.found = rc;
		r->o->on_step(r->o->on_step_ctx, &told);
	}
	if (rc <= 0)
		return rc;
	if (r->simulate)
		return json_object_get(r->keys, key) ||
			       !json_object_set_new(r->keys, key,
						    json_string("?"))
			   ? 0
			   : px_error_oom(err);
	s->found = 1;
	known = json_object_get(r->keys, key);
	if (known && strcmp(json_string_value(known), value))
		rc = px_error_set(err, PX_EXIT_DATA,
				  "source %s: resolve %s: gives a different "
				  "%s than another source; refusing to mix "
				  "two people's data",
				  s->cfg.name, key, key);
	else if (!known &&
		 json_object_set_new(r->keys, key, json_string(value)))
		rc = px_error_oom(err);
	else
		rc = 0;
	free(value);
	return rc;
}

/* Runs resolve steps in rounds until no new key appears: a step runs
 * once, as soon as every key it needs is known. done[] flags the steps of
 * all sources, one after the other. */
static int resolve_identity(struct run *r, px_error *err)
{
	size_t total = 0;
	unsigned char *done;
	int progress = 1, rc = 0;

	for (size_t i = 0; i < r->n_srcs; i++)
		total += json_array_size(
		    json_object_get(r->srcs[i].plan, "resolve"));
	done = calloc(total + 1, 1);
	if (!done)
		return px_error_oom(err);
	while (progress && !rc) {
		unsigned char *flag = done;
		progress = 0;
		for (size_t i = 0; i < r->n_srcs && !rc; i++) {
			json_t *steps =
				   json_object_get(r->srcs[i].plan, "resolve"),
			       *st;
			size_t j;

			json_array_foreach (steps, j, st) {
				if (rc || flag[j] ||
				    !needs_known(r->keys,
						 json_object_get(st, "needs")))
					continue;
				flag[j] = 1;
				progress = 1;
				rc = resolve_step(r, &r->srcs[i], j, st, err);
			}
			flag += json_array_size(steps);
		}
	}
	free(done);
	return rc ? -1 : 0;
}

static void show_progress(struct sink *k, int final)
{
	const px_export_opts *o = k->r->o;
	px_export_step st = {.kind = final ? PX_STEP_FETCHED : PX_STEP_RECORDS,
			     .source = k->s->cfg.name,
			     .entity = k->entity,
			     .category = k->category,
			     .records = k->n};

	if (o->on_step && (final || !(k->n % 256)))
		o->on_step(o->on_step_ctx, &st);
}

static int record_error(px_error *err, struct sink *k, const char *fmt, ...)
    PX_PRINTF(3, 4);
static int record_error(px_error *err, struct sink *k, const char *fmt, ...)
{
	char msg[PX_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return px_error_set(
	    err, PX_EXIT_DATA, "source %s: entity %s: record %llu: %s",
	    k->s->cfg.name, k->entity, (unsigned long long)k->n, msg);
}

/* One record, on its way from the driver to the package. The driver's
 * object is coerced in place (connector.h allows it): no copy per row. */
static int emit(void *ctx, const px_record *rec, px_error *err)
{
	struct sink *k = ctx;
	json_t *out = rec->fields;
	int is_doc = !strcmp(k->entity, "document");
	/* a driver older than ABI 4 has no content_file in its records */
	FILE *file = k->s->conn->abi >= 4 ? rec->content_file : NULL;
	int has = rec->content || file;

	k->n++;
	if (px_interrupt_check(err, "no package written"))
		return -1;
	if (px_normaliser_apply(k->norm, out, err))
		return record_error(err, k, "%s", err->msg);
	if (is_doc && !has)
		return record_error(err, k,
				    "a document needs a \"content\" column "
				    "with its bytes");
	if (!is_doc && has)
		return record_error(err, k,
				    "field content: only a document carries "
				    "content");
	/* no package: sources check counts, and validates as the
	 * packager would (a document's size, sha256 and path come from
	 * writing its bytes: it is not validated here) */
	if (!k->r->pkg) {
		px_validator *v =
		    is_doc
			? NULL
			: px_schemas_record_validator(k->r->schemas, k->entity);
		px_schema_fail fail;

		if (v && !px_validator_check(v, out, &fail))
			return record_error(err, k, "%s%s%s%s",
					    fail.path[0] ? "field " : "",
					    fail.path[0] ? fail.path + 1 : "",
					    fail.path[0] ? ": " : "", fail.msg);
		show_progress(k, 0);
		return 0;
	}
	if (is_doc && px_package_document(k->r->pkg, k->s->cfg.name, out,
					  rec->content, rec->content_len,
					  rec->content ? NULL : file, err))
		return -1;
	if (k->r->xapi &&
	    px_xapi_add(k->r->xapi, k->entity, k->s->cfg.json, out, err))
		return -1;
	/* Validated on the packager's worker thread, beside this one. */
	if (px_package_record(k->r->pkg, k->entity, json_incref(out),
			      k->s->cfg.name, k->n, err))
		return -1;
	show_progress(k, 0);
	return 0;
}

/* The typed-row path (rows.h): a row written as text by the encoder, or
 * handed back to the driver for emit(). */
static int row_columns(void *ctx, const char *const *names, size_t n,
		       px_error *err)
{
	struct sink *k = ctx;
	int rc = k->enc ? px_rowenc_columns(k->enc, names, n) : 0;

	if (rc < 0)
		return px_error_oom(err);
	k->enc_ok = rc;
	return 0;
}

static int row(void *ctx, const px_cell *cells, size_t n, px_error *err)
{
	struct sink *k = ctx;
	int rc;

	if (!k->enc_ok)
		return 1;
	if ((rc = px_rowenc_row(k->enc, cells, n, &k->text)))
		return rc < 0 ? px_error_oom(err) : 1;
	k->n++;
	if (!k->r->pkg) { /* sources check counts */
		show_progress(k, 0);
		return px_interrupt_check(err, "stopped");
	}
	if (px_interrupt_check(err, "no package written") ||
	    (k->r->xapi &&
	     px_xapi_add_text(k->r->xapi, k->entity, k->s->cfg.json,
			      k->text.data, k->text.len, err)) ||
	    px_package_text(k->r->pkg, k->entity, k->text.data, k->text.len,
			    k->s->cfg.name, k->n, err))
		return -1;
	show_progress(k, 0);
	return 0;
}

/* One collection through the driver's typed-row path when it has one. */
static int fetch_one(struct run *r, struct src *s, size_t j, struct sink *k,
		     px_error *err)
{
	px_fetch_rows_fn rows = px_connector_rows(s->conn);
	px_row_sink rs = {row_columns, row, emit, k};
	int rc;

	if (!rows)
		return s->conn->fetch(s->handle, j, r->keys, emit, k, err);
	/* A document's bytes go through the generic path. */
	if (strcmp(k->entity, "document")) {
		k->enc = px_rowenc_new(
		    px_schemas_entity(r->schemas, k->entity),
		    px_schemas_record_validator(r->schemas, k->entity),
		    k->norm);
		if (!k->enc)
			return px_error_oom(err);
	}
	rc = rows(s->handle, j, r->keys, &rs, err);
	px_rowenc_free(k->enc);
	px_buf_free(&k->text);
	return rc;
}

static int fetch_all(struct run *r, px_error *err)
{
	for (size_t i = 0; i < r->n_srcs; i++) {
		struct src *s = &r->srcs[i];
		json_t *colls = json_object_get(s->plan, "collections"), *c;
		size_t j;

		json_array_foreach (colls, j, c) {
			struct sink k = {
			    .r = r,
			    .s = s,
			    .entity =
				json_string_value(json_object_get(c, "entity")),
			    .category = json_string_value(
				json_object_get(c, "category")),
			    .json_cols = json_object_get(c, "json"),
			};
			json_t *cnt;

			if (!in_scope(r->o->scope, k.category) ||
			    !needs_known(r->keys, json_object_get(c, "needs")))
				continue;
			/* check_plans() made sure the entity has a schema;
			 * the packager validates against it. */
			k.schema = px_schemas_record(r->schemas, k.entity);
			k.norm = px_normaliser_new(k.schema, k.json_cols,
						   s->cfg.name, k.category);
			if (!k.norm)
				return px_error_oom(err);
			if (conversions(k.norm, s, j, err)) {
				px_normaliser_free(k.norm);
				return -1;
			}
			show_progress(&k, 0);
			int rc = fetch_one(r, s, j, &k, err);
			px_normaliser_free(k.norm);
			if (rc)
				return -1;
			show_progress(&k, 1);
			if (k.n)
				s->found = 1;
			cnt = json_object_get(s->counts, k.entity);
			json_object_set_new(
			    s->counts, k.entity,
			    json_integer(json_integer_value(cnt) +
					 (json_int_t)k.n));
		}
	}
	return 0;
}

static void now_rfc3339(char *out, size_t n)
{
	px_rfc3339_from_epoch(px_now(), 0, out, n);
}

/* The controller's zone: the manifest's "timezone", the views' dates. */
static const char *zone_of(const px_config *cfg)
{
	const char *z = px_config_str(cfg, "timezone");

	return z ? z : "Europe/Paris";
}

static const char *locale_of(const px_config *cfg)
{
	const char *l = px_config_str(cfg, "locale");

	return l ? l : "fr";
}

static json_t *build_manifest(struct run *r)
{
	const px_config *cfg = r->o->config;
	json_t *m, *controller, *sources, *given = json_object(), *resolved;
	const char *k;
	json_t *v;
	char now[48];

	now_rfc3339(now, sizeof(now));
	json_object_foreach ((json_t *)r->o->subject, k, v) {
		json_object_set(given, k, v);
	}
	resolved = json_object();
	json_object_foreach (r->keys, k, v) {
		if (!json_object_get(r->o->subject, k))
			json_object_set(resolved, k, v);
	}
	controller = json_deep_copy(json_object_get(cfg->root, "controller"));
	sources = json_array();
	for (size_t i = 0; i < r->n_srcs; i++)
		json_array_append_new(
		    sources, json_pack("{s:s, s:s, s:s, s:O}", "name",
				       r->srcs[i].cfg.name, "connector",
				       r->srcs[i].conn->name, "status",
				       r->srcs[i].found ? "found" : "not_found",
				       "counts", r->srcs[i].counts));
	m = json_pack("{s:s, s:{s:s, s:s}, s:s}", "format", "portex-package/1",
		      "generator", "name", "portex", "version", PX_VERSION,
		      "created_at", now);
	if (!m)
		return NULL;
	if (r->o->request_id)
		json_object_set_new(m, "request",
				    json_string(r->o->request_id));
	json_object_set_new(m, "controller", controller);
	json_object_set_new(
	    m, "subject",
	    json_pack("{s:o, s:o}", "given", given, "resolved", resolved));
	json_object_set_new(m, "scope",
			    json_string(px_scope_name(r->o->scope)));
	json_object_set_new(
	    m, "categories",
	    r->o->scope == PX_SCOPE_ACCESS
		? json_pack("[s,s,s]", "provided", "observed", "derived")
		: json_pack("[s,s]", "provided", "observed"));
	json_object_set_new(m, "locale", json_string(locale_of(cfg)));
	json_object_set_new(m, "timezone", json_string(zone_of(cfg)));
	json_object_set_new(m, "signed", json_boolean(r->signer != NULL));
	if (r->signer)
		json_object_set_new(m, "signer",
				    json_string(px_signer_subject(r->signer)));
	if (r->o->password)
		json_object_set_new(m, "encrypted", json_true());
	if (r->retrievable_until)
		json_object_set_new(m, "retrievable_until",
				    json_string(r->retrievable_until));
	json_object_set_new(m, "sources", sources);
	/* The ledger's chain head: each package is a witness of the trail. */
	if (r->o->audit)
		json_object_set_new(m, "audit", json_deep_copy(r->o->audit));
	/* Checked with the plans; absent when the config has none. */
	if (json_object_get(cfg->root, "processing"))
		json_object_set_new(m, "processing",
				    px_processing_manifest(cfg, r->o->scope));
	return m;
}

/* Reads a passphrase: the first line of a file, or an environment
 * variable. Never from argv, where other users could read it. */
static char *read_secret(const px_config *cfg, px_error *err)
{
	const char *file = px_config_str(cfg, "signing.passphrase_file");
	const char *var = px_config_str(cfg, "signing.passphrase_env");
	char buf[1024], *path;

	if (var) {
		const char *v = getenv(var);
		if (!v) {
			px_error_set(err, PX_EXIT_CONFIG,
				     "%s: /signing/passphrase_env: variable "
				     "%s is not set",
				     cfg->path, var);
			return NULL;
		}
		return strdup(v);
	}
	if (!file)
		return strdup("");
	path = px_config_path(cfg, file);
	if (!path) {
		px_error_oom(err);
		return NULL;
	}
	if (px_secret_read_file(path, buf, sizeof(buf), PX_EXIT_CONFIG, err) <
	    0) {
		px_error_prefix(err, "%s: /signing/passphrase_file", cfg->path);
		free(path);
		return NULL;
	}
	free(path);
	char *s = strdup(buf);
	OPENSSL_cleanse(buf, sizeof(buf));
	return s;
}

int px_export_signer(const px_export_opts *o, px_signer **out, px_error *err)
{
	const char *key = o->sign_key, *cert = o->sign_cert;
	char *kp = NULL, *cp = NULL, *pass;

	if (!key && !cert) {
		key = px_config_str(o->config, "signing.key");
		cert = px_config_str(o->config, "signing.cert");
		kp = key ? px_config_path(o->config, key) : NULL;
		cp = cert ? px_config_path(o->config, cert) : NULL;
		key = kp;
		cert = cp;
	}
	*out = NULL;
	if (o->unsigned_ok && !o->sign_key) {
		free(kp);
		free(cp);
		return 0;
	}
	if (!key || !cert) {
		free(kp);
		free(cp);
		return px_error_set(
		    err, PX_EXIT_CONFIG,
		    "%s: /signing: no signing key and certificate; set "
		    "\"signing\": {\"key\": ..., \"cert\": ...}, pass "
		    "--sign-key and --sign-cert, or --unsigned",
		    o->config->path);
	}
	pass = read_secret(o->config, err);
	if (pass)
		*out = px_signer_load(key, cert, *pass ? pass : NULL, err);
	if (*out &&
	    px_signer_set_tsa(*out, px_config_str(o->config, "signing.tsa_url"),
			      err)) {
		px_signer_free(*out);
		*out = NULL;
	}
	if (pass) {
		OPENSSL_cleanse(pass, strlen(pass));
		free(pass);
	}
	free(kp);
	free(cp);
	return *out ? 0 : -1;
}

px_exporter *px_exporter_new(const px_export_opts *o, px_error *err)
{
	px_exporter *x = calloc(1, sizeof(*x));

	if (!x) {
		px_error_oom(err);
		return NULL;
	}
	x->o = *o;
	x->o.subject = NULL;
	x->o.out_path = x->o.request_id = NULL;
	if (o->password && !(x->o.password = strdup(o->password))) {
		free(x);
		px_error_oom(err);
		return NULL;
	}
	x->o.audit = NULL;
	if (o->progress && !o->on_step && isatty(2) &&
	    (x->progress = px_progress_new(stderr))) {
		x->o.on_step = px_progress_step;
		x->o.on_step_ctx = x->progress;
	}
	x->schemas = px_schemas_load(err);
	if (!x->schemas || px_export_signer(&x->o, &x->signer, err)) {
		if (!err->code)
			px_error_oom(err);
		px_exporter_free(x);
		return NULL;
	}
	return x;
}

void px_exporter_free(px_exporter *x)
{
	if (!x)
		return;
	close_sources(x);
	px_signer_free(x->signer);
	px_schemas_free(x->schemas);
	free(x->swept_dir);
	json_decref(x->entities);
	px_progress_free(x->progress);
	if (x->o.password) {
		OPENSSL_cleanse((char *)x->o.password, strlen(x->o.password));
		free((char *)x->o.password);
	}
	free(x);
}

const json_t *px_exporter_entities(const px_exporter *x)
{
	return x->entities;
}

/* Sources stay open between subjects. Each starts a subject afresh: its
 * counts are zeroed and a driver that keeps per-subject state (a
 * PostgreSQL snapshot) resets it; a source the last subject lost (exit
 * 69) or whose reset fails is opened again. */
static int prepare_sources(px_exporter *x, px_error *err)
{
	if (x->reopen)
		close_sources(x);
	if (!x->opened) {
		if (open_sources(x, err)) {
			close_sources(x);
			return -1;
		}
		x->opened = 1;
	} else if (x->ran) {
		for (size_t i = 0; i < x->n_srcs; i++) {
			struct src *s = &x->srcs[i];
			px_error ignored = PX_ERROR_INIT;

			/* A driver built for ABI 1 or 2 has no reset. */
			if (s->conn->abi < 3 || !s->conn->reset ||
			    !s->conn->reset(s->handle, &ignored))
				continue;
			s->conn->close(s->handle);
			s->handle = NULL;
			json_decref(s->plan);
			s->plan = NULL;
			if (s->conn->open(&s->cfg, &s->handle, &s->plan, err)) {
				x->reopen = 1;
				return -1;
			}
		}
	}
	for (size_t i = 0; i < x->n_srcs; i++) {
		struct src *s = &x->srcs[i];

		s->found = 0;
		json_decref(s->counts);
		if (!(s->counts = json_object()))
			return px_error_oom(err);
	}
	x->ran = 1;
	return 0;
}

/* The subject's reads are over: each source releases what it held for
 * them (a read transaction and its locks) before the package is built
 * and signed, and while the worker waits for the next subject. Safe to
 * call twice. */
static void end_sources(px_exporter *x)
{
	for (size_t i = 0; i < x->n_srcs; i++) {
		struct src *s = &x->srcs[i];

		if (s->handle && s->conn->abi >= 5 && s->conn->end)
			s->conn->end(s->handle);
	}
}

/* entity -> records, all sources together, for index.ndjson. */
static json_t *entity_totals(const struct run *r)
{
	json_t *all = json_object();

	for (size_t i = 0; all && i < r->n_srcs; i++) {
		const char *k;
		json_t *v;

		json_object_foreach (r->srcs[i].counts, k, v) {
			json_int_t n =
			    json_integer_value(json_object_get(all, k));
			json_object_set_new(
			    all, k, json_integer(n + json_integer_value(v)));
		}
	}
	return all;
}

/* xapi/statements.json into the package and its summary into the
 * manifest: how many statements, and what could not be mapped. */
static int add_statements(struct run *r, json_t *manifest, px_error *err)
{
	json_t *summary = NULL;
	uint64_t n = 0;
	FILE *f = NULL;

	if (px_xapi_finish(r->xapi, &f, &n, &summary, err))
		return -1;
	if (json_object_set_new(manifest, "xapi", summary))
		return px_error_oom(err);
	/* Not a data file: its count is manifest.xapi.statements, and the
	 * records a package holds stay the data's. */
	return f ? px_package_stream(r->pkg, "xapi/statements.json", f,
				     "application/json", -1, err)
		 : 0;
}

/* 1 when this exporter swept out_path's folder (and the spool folder)
 * less than SWEEP_EVERY_S ago, so that a worker reads its folder once
 * a minute, not once per package; 0 when the package should sweep, which
 * is then recorded. */
#define SWEEP_EVERY_S 60
static int swept_lately(px_exporter *x, const char *out_path)
{
	const char *slash = strrchr(out_path, '/');
	size_t n = slash ? (size_t)(slash - out_path) : 0;
	struct timespec ts;
	char *dir;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (x->swept_dir && strlen(x->swept_dir) == n &&
	    !strncmp(x->swept_dir, out_path, n) &&
	    ts.tv_sec - x->swept_at < SWEEP_EVERY_S)
		return 1;
	if ((dir = strndup(out_path, n))) {
		free(x->swept_dir);
		x->swept_dir = dir;
		x->swept_at = ts.tv_sec;
	}
	return 0;
}

int px_exporter_run(px_exporter *x, const px_export_subject *js,
		    px_export_result *res, px_error *err)
{
	px_export_opts o = x->o;
	struct run r = {.o = &o, .x = x};
	px_package_opts po = {0};
	json_t *manifest = NULL;
	int rc = -1, any = 0;

	memset(res, 0, sizeof(*res));
	json_decref(x->entities);
	x->entities = NULL;
	o.subject = js->subject;
	o.out_path = js->out_path;
	o.request_id = js->request_id;
	o.force = js->force;
	o.audit = js->audit;
	if (js->scope && px_scope_parse(js->scope, &o.scope))
		return px_error_set(err, PX_EXIT_DATA,
				    "scope \"%s\": expected portability or "
				    "access",
				    js->scope);
	r.retrievable_until = js->retrievable_until;
	r.schemas = x->schemas;
	r.signer = x->signer;
	r.keys = json_deep_copy(o.subject);
	if (!r.keys) {
		px_error_oom(err);
		goto out;
	}
	po.target = o.out_path;
	po.swept = swept_lately(x, o.out_path);
	po.force = o.force;
	po.password = o.password;
	po.signer = r.signer;
	po.schemas = r.schemas;
	po.locale = locale_of(o.config);
	po.controller = json_string_value(json_object_get(
	    json_object_get(o.config->root, "controller"), "name"));
	po.timezone = zone_of(o.config);
	po.before_publish =
	    js->before_publish ? js->before_publish : o.before_publish;
	po.before_publish_ctx =
	    js->before_publish ? js->before_publish_ctx : o.before_publish_ctx;
	/* The output is checked before any source is read. */
	if (!(r.pkg = px_package_new(&po, err)))
		goto out;
	if (!o.no_xapi && !(r.xapi = px_xapi_new(o.config, o.subject, err)))
		goto out;
	if (prepare_sources(x, err))
		goto out;
	r.srcs = x->srcs;
	r.n_srcs = x->n_srcs;
	/* The record of processing after the plans: a bad entity is named
	 * where the collection is, not where a purpose covers it. */
	if (check_plans(&r, err) ||
	    px_processing_check(o.config, r.schemas, err) ||
	    resolve_identity(&r, err) || fetch_all(&r, err))
		goto out;
	end_sources(x);
	for (size_t i = 0; i < r.n_srcs; i++)
		any |= r.srcs[i].found;
	if (!any) {
		px_error_set(err, PX_EXIT_NOUSER,
			     "subject found in no source; no package written");
		goto out;
	}
	manifest = build_manifest(&r);
	if (!manifest || !(x->entities = entity_totals(&r))) {
		px_error_oom(err);
		goto out;
	}
	if (r.xapi && add_statements(&r, manifest, err))
		goto out;
	for (size_t i = 0; i < r.n_srcs; i++) {
		const char *k;
		json_t *v;
		json_object_foreach (r.srcs[i].counts, k, v)
			res->records += (uint64_t)json_integer_value(v);
	}
	rc = px_package_finish(r.pkg, manifest, res->sha256, &res->size,
			       &res->files, err);
	r.pkg = NULL;
out:
	end_sources(x);
	if (rc && err->code == PX_EXIT_UNAVAILABLE)
		x->reopen = 1;
	px_package_abort(r.pkg);
	px_xapi_free(r.xapi);
	json_decref(manifest);
	json_decref(r.keys);
	return rc;
}

/* 1 when, with the keys known now, some collection in scope could still
 * find records in a source no resolve step found the subject in. */
static int could_fetch(const struct run *r, px_scope scope)
{
	for (size_t i = 0; i < r->n_srcs; i++) {
		json_t *colls = json_object_get(r->srcs[i].plan, "collections"),
		       *c;
		size_t j;

		json_array_foreach (colls, j, c)
			if (in_scope(scope, json_string_value(json_object_get(
						c, "category"))) &&
			    needs_known(r->keys, json_object_get(c, "needs")))
				return 1;
	}
	return 0;
}

int px_exporter_resolve(px_exporter *x, const json_t *subject,
			const char *scope, json_t **keys, px_error *err)
{
	px_export_opts o = x->o;
	struct run r = {.o = &o, .x = x, .schemas = x->schemas};
	int rc = -1, any = 0;

	if (keys)
		*keys = NULL;
	o.subject = subject;
	if (scope && px_scope_parse(scope, &o.scope))
		return px_error_set(err, PX_EXIT_DATA,
				    "scope \"%s\": expected portability or "
				    "access",
				    scope);
	if (!(r.keys = json_deep_copy(subject)))
		return px_error_oom(err);
	if (prepare_sources(x, err))
		goto out;
	r.srcs = x->srcs;
	r.n_srcs = x->n_srcs;
	if (check_plans(&r, err) || resolve_identity(&r, err))
		goto out;
	for (size_t i = 0; i < r.n_srcs; i++)
		any |= r.srcs[i].found;
	/* No resolve step knows the subject: it is unknown for sure only
	 * when no collection could be read with the keys given. */
	rc = any || could_fetch(&r, o.scope);
	if (rc && keys)
		*keys = json_incref(r.keys);
out:
	end_sources(x);
	if (rc < 0 && err->code == PX_EXIT_UNAVAILABLE)
		x->reopen = 1;
	json_decref(r.keys);
	return rc;
}

int px_exporter_check(px_exporter *x, const json_t *subject, uint64_t *records,
		      px_error *err)
{
	px_export_opts o = x->o;
	struct run r = {.o = &o, .x = x, .schemas = x->schemas};
	int rc = -1, any = 0;

	*records = 0;
	if (prepare_sources(x, err))
		return -1;
	r.srcs = x->srcs;
	r.n_srcs = x->n_srcs;
	r.simulate = !subject;
	r.keys = subject ? json_deep_copy(subject) : json_object();
	if (!r.keys || (!subject && entry_keys(&r, r.keys))) {
		px_error_oom(err);
		goto out;
	}
	o.subject = r.keys;
	if (check_plans(&r, err) ||
	    px_processing_check(o.config, r.schemas, err) ||
	    resolve_identity(&r, err) || (subject && fetch_all(&r, err)))
		goto out;
	for (size_t i = 0; i < r.n_srcs; i++) {
		const char *k;
		json_t *v;

		any |= r.srcs[i].found;
		json_object_foreach (r.srcs[i].counts, k, v)
			*records += (uint64_t)json_integer_value(v);
	}
	if (subject && !any)
		px_error_set(err, PX_EXIT_NOUSER, "subject found in no source");
	else
		rc = 0;
out:
	if (rc && err->code == PX_EXIT_UNAVAILABLE)
		x->reopen = 1;
	json_decref(r.keys);
	return rc;
}

int px_export(const px_export_opts *o, px_export_result *res, px_error *err)
{
	px_export_subject js = {
	    .subject = o->subject,
	    .out_path = o->out_path,
	    .request_id = o->request_id,
	    .force = o->force,
	    .audit = o->audit,
	};
	px_exporter *x;
	int rc;

	memset(res, 0, sizeof(*res));
	if (!(x = px_exporter_new(o, err)))
		return -1;
	rc = px_exporter_run(x, &js, res, err);
	px_exporter_free(x);
	return rc;
}
