/*
 * ledger.c - opening a ledger (SQLite or PostgreSQL), its schema and
 * migrations, and requests as rows. Every change runs in one write
 * transaction together with its audit entry: both are stored or neither.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger/ledger_backend.h"
#include "path.h"
#include "timefmt.h"

enum kind { K_TEXT, K_INT, K_JSON };

static const struct col {
	const char *name;
	enum kind kind;
} cols[] = {
    {"id", K_INT},
    {"type", K_TEXT},
    {"subject", K_JSON},
    {"requester", K_TEXT},
    {"relation", K_TEXT},
    {"channel", K_TEXT},
    {"received", K_TEXT},
    {"calendar", K_TEXT},
    {"identity", K_TEXT},
    {"suspensions", K_JSON},
    {"extension_reason", K_TEXT},
    {"extension_notified", K_TEXT},
    {"due", K_TEXT},
    {"extended_due", K_TEXT},
    {"status", K_TEXT},
    {"package_path", K_TEXT},
    {"package_sha256", K_TEXT},
    {"delivery_method", K_TEXT},
    {"delivered", K_TEXT},
    {"rejection_reason", K_TEXT},
    {"closed", K_TEXT},
    {"created_at", K_TEXT},
    {"updated_at", K_TEXT},
    {"delivery", K_JSON},
    {"package_pending", K_JSON},
};
#define NCOLS ((int)(sizeof(cols) / sizeof(cols[0])))

/* Migrations, one statement each, in order; entry i brings the schema to
 * version migrations[i].version. SQL common to SQLite and PostgreSQL. */
static const struct migration {
	int version;
	const char *sql;
} migrations[] = {
    {1, "CREATE TABLE px_requests ("
	" id BIGINT PRIMARY KEY,"
	" type TEXT NOT NULL, subject TEXT NOT NULL,"
	" requester TEXT NOT NULL, relation TEXT NOT NULL,"
	" channel TEXT NOT NULL, received TEXT NOT NULL,"
	" calendar TEXT NOT NULL, identity TEXT NOT NULL,"
	" suspensions TEXT NOT NULL, extension_reason TEXT,"
	" extension_notified TEXT, due TEXT NOT NULL,"
	" extended_due TEXT NOT NULL, status TEXT NOT NULL,"
	" package_path TEXT, package_sha256 TEXT, delivery_method TEXT,"
	" delivered TEXT, rejection_reason TEXT, closed TEXT,"
	" created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"},
    {1, "CREATE INDEX px_requests_status ON px_requests (status)"},
    {1, "CREATE TABLE px_audit ("
	" seq BIGINT PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL,"
	" action TEXT NOT NULL, request_id BIGINT, details TEXT NOT NULL,"
	" prev_hash TEXT NOT NULL, hash TEXT NOT NULL)"},
    {1, "CREATE INDEX px_audit_request ON px_audit (request_id)"},
    /* The newest entry, kept apart so that deleting the last entries
     * of the trail is seen too. */
    {1, "CREATE TABLE px_audit_head (seq BIGINT NOT NULL,"
	" hash TEXT NOT NULL)"},
    /* How the package went out when portex sent it itself (email): the
     * Message-ID recorded before sending, then the server's answer. */
    {2, "ALTER TABLE px_requests ADD COLUMN delivery TEXT"},
    /* The job queue (src/queue/queue.c). Times are Unix seconds. */
    {3, "CREATE TABLE px_jobs ("
	" id BIGINT PRIMARY KEY, batch TEXT NOT NULL,"
	" package TEXT NOT NULL UNIQUE, subject TEXT NOT NULL,"
	" scope TEXT NOT NULL, retrievable_until TEXT, request_id BIGINT,"
	" state TEXT NOT NULL, attempts INTEGER NOT NULL,"
	" max_attempts INTEGER NOT NULL, run_after BIGINT NOT NULL,"
	" lease_owner TEXT, lease_until BIGINT, last_error TEXT,"
	" last_code INTEGER, result TEXT,"
	" created_at TEXT NOT NULL, updated_at TEXT NOT NULL)"},
    {3, "CREATE INDEX px_jobs_ready ON px_jobs (state, run_after)"},
    {3, "CREATE INDEX px_jobs_batch ON px_jobs (batch)"},
    /* serve asks for the job of a request at every status poll. */
    {4, "CREATE INDEX px_jobs_request ON px_jobs (request_id)"},
    /* Signed heads of the audit trail (checkpoint.c): statement is the
     * signed text, signature its detached CMS (DER, base64). */
    {5, "CREATE TABLE px_checkpoints ("
	" seq BIGINT PRIMARY KEY, at TEXT NOT NULL,"
	" statement TEXT NOT NULL, signature TEXT NOT NULL)"},
    /* A package about to be published by `request export`
     * (ledger_pending.c): never a file the ledger does not know. */
    {6, "ALTER TABLE px_requests ADD COLUMN package_pending TEXT"},
};

int px_ledger_begin(px_ledger *l, int write, px_error *err)
{
	if (l->in_tx++)
		return 0; /* already inside the caller's transaction */
	if (l->be->begin(l->db, write, err)) {
		l->in_tx = 0;
		return -1;
	}
	return 0;
}

int px_ledger_commit(px_ledger *l, px_error *err)
{
	if (l->in_tx <= 0 || --l->in_tx)
		return 0;
	if (l->be->commit(l->db, err)) {
		l->be->rollback(l->db);
		return -1;
	}
	return 0;
}

void px_ledger_rollback(px_ledger *l)
{
	if (l->in_tx <= 0 || --l->in_tx)
		return;
	l->be->rollback(l->db);
}

int px_ledger_query(px_ledger *l, const char *sql, int n,
		    const char *const *params, json_t **rows, px_error *err)
{
	return l->be->query(l->db, sql, n, params, rows, err);
}

/* The one text value of a one-row, one-column result (NULL if none). */
static const char *scalar(json_t *rows)
{
	return json_string_value(json_array_get(json_array_get(rows, 0), 0));
}

static int schema_version(px_ledger *l, int *version, px_error *err)
{
	const char *name = "px_schema";
	json_t *rows = NULL;
	const char *v;

	*version = 0;
	if (px_ledger_query(l, l->be->table_exists_sql, 1, &name, &rows, err))
		return -1;
	v = scalar(rows);
	if (v && atoi(v) > 0) {
		json_decref(rows);
		if (px_ledger_query(l, "SELECT max(version) FROM px_schema", 0,
				    NULL, &rows, err))
			return -1;
		v = scalar(rows);
		*version = v ? atoi(v) : 0;
	}
	json_decref(rows);
	return 0;
}

/* A new ledger goes into an empty file, never into another program's
 * database (a source named by mistake). */
static int not_a_ledger(px_ledger *l, px_error *err)
{
	json_t *rows = NULL;
	const char *v;
	int n;

	if (!l->be->foreign_tables_sql)
		return 0;
	if (px_ledger_begin(l, 0, err))
		return -1;
	if (px_ledger_query(l, l->be->foreign_tables_sql, 0, NULL, &rows,
			    err)) {
		px_ledger_rollback(l);
		return -1;
	}
	px_ledger_rollback(l);
	v = scalar(rows);
	n = v ? atoi(v) : 0;
	json_decref(rows);
	if (n)
		return px_error_set(err, PX_EXIT_DATA,
				    "%s is a database with %d table%s of its "
				    "own, not a portex ledger: it was left "
				    "untouched",
				    l->desc, n, n == 1 ? "" : "s");
	return 0;
}

static int migrate(px_ledger *l, px_error *err)
{
	int version, latest = PX_LEDGER_SCHEMA_VERSION;
	char num[16];
	const char *p = num;

	/* Most opens find the schema current: check under a read lock. */
	if (px_ledger_begin(l, 0, err))
		return -1;
	if (schema_version(l, &version, err)) {
		px_ledger_rollback(l);
		return -1;
	}
	px_ledger_rollback(l);
	if (version == latest)
		return 0;
	if (version > latest)
		goto too_new;
	if (!version && not_a_ledger(l, err))
		return -1;
	if (px_ledger_begin(l, 1, err))
		return -1;
	if (px_ledger_query(l,
			    "CREATE TABLE IF NOT EXISTS px_schema "
			    "(version INTEGER NOT NULL)",
			    0, NULL, NULL, err) ||
	    schema_version(l, &version, err))
		goto fail;
	if (version > latest) {
		px_ledger_rollback(l);
		goto too_new;
	}
	for (size_t i = 0; i < sizeof(migrations) / sizeof(*migrations); i++)
		if (migrations[i].version > version &&
		    px_ledger_query(l, migrations[i].sql, 0, NULL, NULL, err))
			goto fail;
	snprintf(num, sizeof(num), "%d", latest);
	if (version < latest &&
	    px_ledger_query(l, "INSERT INTO px_schema (version) VALUES ($1)", 1,
			    &p, NULL, err))
		goto fail;
	return px_ledger_commit(l, err);
fail:
	px_ledger_rollback(l);
	return px_error_prefix(err, "migrating the ledger schema to version %d",
			       latest);
too_new:
	return px_error_set(err, PX_EXIT_CONFIG,
			    "%s has schema version %d, newer than this portex "
			    "knows (%d): upgrade portex",
			    l->desc, version, latest);
}

/* "postgresql://user:secret@host/db?password=x" -> without the secrets. */
static char *redacted(const char *uri)
{
	const char *auth = strstr(uri, "://") + 3;
	const char *at = strchr(auth, '@'), *slash = strchr(auth, '/');
	const char *colon = strchr(auth, ':'), *q = strchr(uri, '?');
	size_t n = q ? (size_t)(q - uri) : strlen(uri);
	char *out = malloc(n + 16);

	if (!out)
		return NULL;
	if (at && (!slash || at < slash) && colon && colon < at)
		snprintf(out, n + 16, "%.*s:***%.*s", (int)(colon - uri), uri,
			 (int)(n - (size_t)(at - uri)), at);
	else
		snprintf(out, n + 16, "%.*s", (int)n, uri);
	return out;
}

px_ledger *px_ledger_open(const char *uri, const char *base_dir, px_error *err)
{
	px_ledger *l = calloc(1, sizeof(*l));
	char *target = NULL, *shown = NULL;
	size_t n;

	if (!l) {
		px_error_oom(err);
		return NULL;
	}
	if (!uri || !*uri) {
		px_error_set(err, PX_EXIT_CONFIG,
			     "no ledger given: expected \"sqlite:FILE\" or a "
			     "postgresql:// URI");
		goto fail;
	}
	if (!strncmp(uri, "postgresql://", 13) ||
	    !strncmp(uri, "postgres://", 11)) {
		l->be = &px_ledger_postgres;
		target = strdup(uri);
		shown = redacted(uri);
	} else if (strstr(uri, "://") && strncmp(uri, "sqlite:", 7)) {
		px_error_set(err, PX_EXIT_CONFIG,
			     "ledger '%.*s': unknown kind; expected "
			     "\"sqlite:FILE\" or a postgresql:// URI",
			     (int)(strstr(uri, "://") - uri), uri);
		goto fail;
	} else {
		const char *path = strncmp(uri, "sqlite:", 7) ? uri : uri + 7;

		if (!*path) {
			px_error_set(err, PX_EXIT_CONFIG,
				     "ledger \"sqlite:\" names no file");
			goto fail;
		}
		l->be = &px_ledger_sqlite;
		target = px_path_join(base_dir, path);
		shown = target ? strdup(target) : NULL;
	}
	if (!target || !shown) {
		px_error_oom(err);
		goto fail;
	}
	n = strlen(shown) + 32;
	l->desc = malloc(n);
	if (!l->desc) {
		px_error_oom(err);
		goto fail;
	}
	snprintf(l->desc, n, "%s ledger %s", l->be->kind, shown);
	if (l->be->open(target, l->desc, &l->db, err))
		goto fail;
	if (migrate(l, err))
		goto fail;
	free(target);
	free(shown);
	return l;
fail:
	free(target);
	free(shown);
	px_ledger_close(l);
	return NULL;
}

px_ledger *px_ledger_open_config(const px_config *cfg, const char *uri,
				 px_error *err)
{
	if (uri)
		return px_ledger_open(uri, NULL, err);
	if (!cfg) {
		px_error_set(err, PX_EXIT_USAGE,
			     "no ledger: give --config F or --ledger URI");
		return NULL;
	}
	uri = px_config_str(cfg, "ledger");
	if (!uri) {
		px_error_set(err, PX_EXIT_CONFIG,
			     "%s: /ledger: missing; expected \"sqlite:FILE\" "
			     "or a PostgreSQL URI",
			     cfg->path);
		return NULL;
	}
	return px_ledger_open(uri, cfg->base_dir, err);
}

void px_ledger_close(px_ledger *l)
{
	if (!l)
		return;
	if (l->db)
		l->be->close(l->db);
	free(l->desc);
	free(l);
}

const char *px_ledger_name(const px_ledger *l)
{
	return l->desc;
}

/* ---- requests as rows ---- */

static void now_rfc3339(char *buf, size_t n)
{
	px_rfc3339_from_epoch((int64_t)time(NULL), 0, buf, n);
}

static json_t *row_to_request(px_ledger *l, const json_t *row, px_error *err)
{
	json_t *req = json_object();

	if (!req) {
		px_error_oom(err);
		return NULL;
	}
	for (int c = 0; c < NCOLS; c++) {
		const char *v = json_string_value(json_array_get(row, c));
		json_t *j = NULL;

		if (!v)
			continue;
		if (cols[c].kind == K_INT) {
			j = json_integer(strtoll(v, NULL, 10));
		} else if (cols[c].kind == K_JSON) {
			j = json_loads(v, JSON_DECODE_ANY, NULL);
			if (!j) {
				px_error_set(
				    err, PX_EXIT_DATA,
				    "%s: request %s: column %s is "
				    "not JSON",
				    l->desc,
				    json_string_value(json_array_get(row, 0)),
				    cols[c].name);
				json_decref(req);
				return NULL;
			}
		} else {
			j = json_string(v);
		}
		if (json_object_set_new(req, cols[c].name, j)) {
			px_error_oom(err);
			json_decref(req);
			return NULL;
		}
	}
	return req;
}

/* Text values for every column of req, in column order. */
struct params {
	const char *v[NCOLS];
	char *owned[NCOLS];
};

static void params_free(struct params *p)
{
	for (int c = 0; c < NCOLS; c++)
		free(p->owned[c]);
}

static int request_params(const json_t *req, struct params *p, px_error *err)
{
	memset(p, 0, sizeof(*p));
	for (int c = 0; c < NCOLS; c++) {
		json_t *j = json_object_get(req, cols[c].name);

		if (!j || json_is_null(j))
			continue;
		if (cols[c].kind == K_INT && json_is_integer(j)) {
			p->owned[c] = malloc(24);
			if (p->owned[c])
				snprintf(p->owned[c], 24,
					 "%" JSON_INTEGER_FORMAT,
					 json_integer_value(j));
		} else if (cols[c].kind == K_JSON) {
			p->owned[c] = json_dumps(
			    j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		} else if (json_is_string(j)) {
			p->v[c] = json_string_value(j);
			continue;
		} else {
			params_free(p);
			return px_error_set(err, PX_EXIT_SOFTWARE,
					    "request field %s has the wrong "
					    "type",
					    cols[c].name);
		}
		if (!p->owned[c]) {
			params_free(p);
			return px_error_oom(err);
		}
		p->v[c] = p->owned[c];
	}
	return 0;
}

static char *select_sql(const char *tail)
{
	size_t n = 64 + strlen(tail);
	char *sql;

	for (int c = 0; c < NCOLS; c++)
		n += strlen(cols[c].name) + 2;
	sql = malloc(n);
	if (!sql)
		return NULL;
	strcpy(sql, "SELECT ");
	for (int c = 0; c < NCOLS; c++) {
		strcat(sql, cols[c].name);
		strcat(sql, c + 1 < NCOLS ? ", " : " ");
	}
	strcat(sql, "FROM px_requests ");
	strcat(sql, tail);
	return sql;
}

/* Writes req: INSERT when insert is set, else UPDATE by id. */
static int store(px_ledger *l, const json_t *req, int insert, px_error *err)
{
	char sql[2048];
	size_t len;
	struct params p;
	int rc;

	if (request_params(req, &p, err))
		return -1;
	if (insert) {
		len = (size_t)snprintf(sql, sizeof(sql),
				       "INSERT INTO px_requests (");
		for (int c = 0; c < NCOLS; c++)
			len += (size_t)snprintf(sql + len, sizeof(sql) - len,
						"%s%s", cols[c].name,
						c + 1 < NCOLS ? ", " : ")");
		len +=
		    (size_t)snprintf(sql + len, sizeof(sql) - len, " VALUES (");
		for (int c = 0; c < NCOLS; c++)
			len += (size_t)snprintf(sql + len, sizeof(sql) - len,
						"$%d%s", c + 1,
						c + 1 < NCOLS ? ", " : ")");
	} else {
		len = (size_t)snprintf(sql, sizeof(sql),
				       "UPDATE px_requests SET ");
		for (int c = 1; c < NCOLS; c++)
			len += (size_t)snprintf(
			    sql + len, sizeof(sql) - len, "%s = $%d%s",
			    cols[c].name, c + 1, c + 1 < NCOLS ? ", " : "");
		snprintf(sql + len, sizeof(sql) - len, " WHERE id = $1");
	}
	rc = px_ledger_query(l, sql, NCOLS, p.v, NULL, err);
	params_free(&p);
	return rc;
}

static int fetch(px_ledger *l, const char *tail, int n,
		 const char *const *params, json_t **out, px_error *err)
{
	char *sql = select_sql(tail);
	json_t *rows = NULL, *list;
	size_t i;
	json_t *row;

	if (!sql)
		return px_error_oom(err);
	if (px_ledger_query(l, sql, n, params, &rows, err)) {
		free(sql);
		return -1;
	}
	free(sql);
	list = json_array();
	if (!list) {
		json_decref(rows);
		return px_error_oom(err);
	}
	json_array_foreach (rows, i, row) {
		json_t *req = row_to_request(l, row, err);

		if (!req || json_array_append_new(list, req)) {
			json_decref(rows);
			json_decref(list);
			return req ? px_error_oom(err) : -1;
		}
	}
	json_decref(rows);
	*out = list;
	return 0;
}

static int get_in_tx(px_ledger *l, long id, json_t **out, px_error *err)
{
	char num[24];
	const char *p = num;
	json_t *list;

	snprintf(num, sizeof(num), "%ld", id);
	if (fetch(l, "WHERE id = $1", 1, &p, &list, err))
		return -1;
	if (!json_array_size(list)) {
		json_decref(list);
		return px_error_set(err, PX_EXIT_DATA,
				    "no request %ld in the %s "
				    "(see 'portex request list')",
				    id, l->desc);
	}
	*out = json_incref(json_array_get(list, 0));
	json_decref(list);
	return 0;
}

int px_ledger_get(px_ledger *l, long id, json_t **out, px_error *err)
{
	int rc;

	if (px_ledger_begin(l, 0, err))
		return -1;
	rc = get_in_tx(l, id, out, err);
	px_ledger_rollback(l);
	return rc;
}

int px_ledger_list(px_ledger *l, json_t **out, px_error *err)
{
	int rc;

	if (px_ledger_begin(l, 0, err))
		return -1;
	rc = fetch(l,
		   "ORDER BY CASE WHEN extension_reason IS NULL THEN due "
		   "ELSE extended_due END, id",
		   0, NULL, out, err);
	px_ledger_rollback(l);
	return rc;
}

int px_ledger_find_subject(px_ledger *l, const json_t *subject, json_t **out,
			   px_error *err)
{
	/* The text the subject column holds (request_params). */
	char *key = json_dumps(subject,
			       JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	const char *p = key;
	int rc;

	if (!key)
		return px_error_oom(err);
	if (px_ledger_begin(l, 0, err)) {
		free(key);
		return -1;
	}
	rc = fetch(l, "WHERE subject = $1 ORDER BY id DESC", 1, &p, out, err);
	px_ledger_rollback(l);
	free(key);
	return rc;
}

/* What changed, field by field: {"status": ["ready", "exported"]}. */
static json_t *changes(const json_t *before, const json_t *after)
{
	json_t *out = json_object();

	for (int c = 0; out && c < NCOLS; c++) {
		json_t *a = json_object_get(before, cols[c].name);
		json_t *b = json_object_get(after, cols[c].name);

		if (!strcmp(cols[c].name, "updated_at") ||
		    (a && b && json_equal(a, b)) || (!a && !b))
			continue;
		json_object_set_new(out, cols[c].name,
				    json_pack("[OO]", a ? a : json_null(),
					      b ? b : json_null()));
	}
	return out;
}

/* Stores req, reads it back and appends the audit entry with the stored
 * state, so that audit verify can compare the row with its last entry. */
static int commit_change(px_ledger *l, json_t *before, json_t *req,
			 json_t *details, int insert, const char *action,
			 const char *actor, json_t **out, px_error *err)
{
	long id = (long)json_integer_value(json_object_get(req, "id"));
	json_t *stored = NULL;

	if (store(l, req, insert, err) || get_in_tx(l, id, &stored, err))
		return -1;
	if (!insert)
		json_object_set_new(details, "changes",
				    changes(before, stored));
	json_object_set(details, "state", stored);
	if (px_audit_append(l, actor, action, id, details, err) ||
	    px_ledger_commit(l, err)) {
		json_decref(stored);
		return -1;
	}
	if (out)
		*out = stored;
	else
		json_decref(stored);
	return 0;
}

int px_ledger_add(px_ledger *l, const json_t *in, const char *actor,
		  json_t **out, px_error *err)
{
	json_t *req = json_deep_copy(in), *rows = NULL, *details;
	char now[48];
	long id;

	details = json_object();
	if (!req || !details) {
		json_decref(req);
		json_decref(details);
		return px_error_oom(err);
	}
	now_rfc3339(now, sizeof(now));
	if (px_ledger_begin(l, 1, err))
		goto fail;
	if (px_ledger_query(l,
			    "SELECT coalesce(max(id), 0) + 1 FROM px_requests",
			    0, NULL, &rows, err))
		goto rollback;
	id = atol(scalar(rows) ? scalar(rows) : "1");
	json_object_set_new(req, "id", json_integer(id));
	json_object_set_new(req, "status", json_string("received"));
	if (!json_object_get(req, "identity"))
		json_object_set_new(req, "identity", json_string("unverified"));
	json_object_set_new(req, "suspensions", json_array());
	json_object_set_new(req, "created_at", json_string(now));
	json_object_set_new(req, "updated_at", json_string(now));
	if (px_request_recompute(req, px_today(), err) ||
	    commit_change(l, NULL, req, details, 1, "request.add", actor, out,
			  err))
		goto rollback;
	json_decref(rows);
	json_decref(req);
	json_decref(details);
	return 0;
rollback:
	px_ledger_rollback(l);
fail:
	json_decref(rows);
	json_decref(req);
	json_decref(details);
	return -1;
}

int px_ledger_change(px_ledger *l, long id, const char *action,
		     const char *actor, px_request_change_fn fn, void *ctx,
		     json_t **out, px_error *err)
{
	json_t *req = NULL, *before = NULL, *details = json_object();
	char now[48];

	if (!details)
		return px_error_oom(err);
	if (px_ledger_begin(l, 1, err)) {
		json_decref(details);
		return -1;
	}
	if (get_in_tx(l, id, &req, err))
		goto fail;
	before = json_deep_copy(req);
	if (!before) {
		px_error_oom(err);
		goto fail;
	}
	if (fn(ctx, req, details, err))
		goto fail;
	now_rfc3339(now, sizeof(now));
	json_object_set_new(req, "id", json_integer(id));
	json_object_set_new(req, "updated_at", json_string(now));
	if (commit_change(l, before, req, details, 0, action, actor, out, err))
		goto fail;
	json_decref(req);
	json_decref(before);
	json_decref(details);
	return 0;
fail:
	px_ledger_rollback(l);
	json_decref(req);
	json_decref(before);
	json_decref(details);
	return -1;
}

px_day px_today(void)
{
	time_t t = time(NULL);
	struct tm tm;
	px_day d = 0;

	localtime_r(&t, &tm);
	px_date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, &d,
			 NULL);
	return d;
}
