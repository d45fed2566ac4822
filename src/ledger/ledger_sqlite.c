/*
 * ledger_sqlite.c - the ledger on an SQLite file. Writers take the write
 * lock up front (BEGIN IMMEDIATE) and wait for it up to the busy timeout,
 * so two processes appending at once are serialised, never interleaved.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/ledger_backend.h"

#define BUSY_TIMEOUT_MS 5000

struct lite {
	sqlite3 *db;
	const char *desc;
};

static int lite_fail(struct lite *s, int rc, const char *what, px_error *err)
{
	int code = PX_EXIT_SOFTWARE;
	const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return px_error_set(err, PX_EXIT_UNAVAILABLE,
				    "%s is locked by another process "
				    "(waited %d s); try again later",
				    s->desc, BUSY_TIMEOUT_MS / 1000);
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return px_error_set(err, PX_EXIT_DATA,
				    "%s is not a usable SQLite database (%s); "
				    "it was left untouched",
				    s->desc, msg);
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_FULL:
		code = PX_EXIT_CANTCREAT;
		break;
	case SQLITE_IOERR:
		code = PX_EXIT_IOERR;
		break;
	}
	return px_error_set(err, code, "%s: %s: %s", s->desc, what, msg);
}

static int lite_open(const char *target, const char *desc, void **out,
		     px_error *err)
{
	struct lite *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return px_error_oom(err);
	s->desc = desc;
	rc = sqlite3_open_v2(target, &s->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				 SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		lite_fail(s, rc, "cannot open", err);
		sqlite3_close(s->db);
		free(s);
		return -1;
	}
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	*out = s;
	return 0;
}

static void lite_close(void *h)
{
	struct lite *s = h;

	if (s) {
		sqlite3_close(s->db);
		free(s);
	}
}

static int lite_exec(struct lite *s, const char *sql, px_error *err)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : lite_fail(s, rc, sql, err);
}

static int lite_begin(void *h, int write, px_error *err)
{
	return lite_exec(h, write ? "BEGIN IMMEDIATE" : "BEGIN", err);
}

static int lite_commit(void *h, px_error *err)
{
	return lite_exec(h, "COMMIT", err);
}

static void lite_rollback(void *h)
{
	struct lite *s = h;

	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Binds each $k parameter sqlite found in the statement to params[k-1]
 * (NULL: SQL NULL). A $k beyond n is a bug in the SQL, never left NULL. */
static int bind_all(struct lite *s, sqlite3_stmt *st, int n,
		    const char *const *params, px_error *err)
{
	for (int idx = 1; idx <= sqlite3_bind_parameter_count(st); idx++) {
		const char *name = sqlite3_bind_parameter_name(st, idx);
		int i = name && name[0] == '$' ? atoi(name + 1) - 1 : -1;
		int rc;

		if (i < 0 || i >= n)
			return px_error_set(err, PX_EXIT_SOFTWARE,
					    "%s: parameter %s has no value",
					    s->desc, name ? name : "?");
		rc = params[i] ? sqlite3_bind_text(st, idx, params[i], -1,
						   SQLITE_STATIC)
			       : sqlite3_bind_null(st, idx);
		if (rc != SQLITE_OK)
			return lite_fail(s, rc, "bind", err);
	}
	return 0;
}

static json_t *row_of(sqlite3_stmt *st)
{
	int cols = sqlite3_column_count(st);
	json_t *row = json_array();

	for (int c = 0; row && c < cols; c++) {
		const unsigned char *v = sqlite3_column_text(st, c);
		json_t *j =
		    v ? json_stringn((const char *)v,
				     (size_t)sqlite3_column_bytes(st, c))
		      : json_null();

		if (json_array_append_new(row, j)) {
			json_decref(row);
			return NULL;
		}
	}
	return row;
}

static int lite_query(void *h, const char *sql, int n,
		      const char *const *params, json_t **rows, px_error *err)
{
	struct lite *s = h;
	sqlite3_stmt *st = NULL;
	json_t *out = rows ? json_array() : NULL;
	int rc;

	if (rows && !out)
		return px_error_oom(err);
	rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		lite_fail(s, rc, sql, err);
		goto fail;
	}
	if (bind_all(s, st, n, params, err))
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (out && json_array_append_new(out, row_of(st))) {
			px_error_oom(err);
			goto fail;
		}
	}
	if (rc != SQLITE_DONE) {
		lite_fail(s, rc, sql, err);
		goto fail;
	}
	sqlite3_finalize(st);
	if (rows)
		*rows = out;
	return 0;
fail:
	sqlite3_finalize(st);
	json_decref(out);
	return -1;
}

const struct px_ledger_backend px_ledger_sqlite = {
    .kind = "SQLite",
    .open = lite_open,
    .close = lite_close,
    .begin = lite_begin,
    .commit = lite_commit,
    .rollback = lite_rollback,
    .query = lite_query,
    .table_exists_sql = "SELECT count(*) FROM sqlite_master "
			"WHERE type = 'table' AND name = $1",
    .foreign_tables_sql = "SELECT count(*) FROM sqlite_master "
			  "WHERE type = 'table' AND name NOT LIKE 'px!_%' "
			  "ESCAPE '!' AND name NOT LIKE 'sqlite!_%' ESCAPE '!'",
};
