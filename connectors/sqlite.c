/*
 * sqlite.c - the SQLite driver. Opens the file read-only (and immutable
 * to other writers' journals it never touches), binds :name placeholders
 * as parameters, and steps rows straight into the sink.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "portex/connector.h"
#include "rows.h"

struct px_source {
	const px_source_cfg *cfg;
	sqlite3 *db;
	json_t *plan;
};

static int open_sqlite(const px_source_cfg *cfg, px_source **out, json_t **plan,
		       px_error *err)
{
	json_t *path = json_object_get(cfg->json, "path");
	px_source *s;
	char *file;
	int rc;

	if (!json_is_string(path) || !json_string_length(path))
		return px_cfg_error(err, cfg, "/path",
				    "expected the path of an SQLite file");
	s = calloc(1, sizeof(*s));
	file = px_cfg_resolve_path(cfg, json_string_value(path));
	if (!s || !file) {
		free(s);
		free(file);
		return px_error_oom(err);
	}
	s->cfg = cfg;
	/* One thread uses the connection: no per-call mutex. */
	rc = sqlite3_open_v2(file, &s->db,
			     SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(s->db, 5000);
		/* One read transaction for the whole export, begun by the
		 * schema read: every collection sees the file as it was
		 * when the export began, never a mix of two states (the
		 * snapshot PostgreSQL's REPEATABLE READ gives). Opening is
		 * lazy too: reading the schema now makes a missing or
		 * corrupt file "unavailable", not an SQL error later. */
		rc = sqlite3_exec(s->db,
				  "BEGIN; SELECT count(*) FROM sqlite_schema",
				  NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		px_error_set(
		    err, PX_EXIT_UNAVAILABLE,
		    "source %s: cannot open SQLite file %s: %s", cfg->name,
		    file, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		sqlite3_close(s->db);
		free(s);
		free(file);
		return -1;
	}
	free(file);
	if (px_sql_plan(cfg, &s->plan, err)) {
		sqlite3_close(s->db);
		free(s);
		return -1;
	}
	*plan = json_incref(s->plan);
	*out = s;
	return 0;
}

/* Binds every :name parameter sqlite found in the statement to the
 * identity key of that name. The pipeline runs a step only once its keys
 * are known, so a missing one is a bug, not a user error. */
static int bind_keys(sqlite3_stmt *st, const json_t *keys)
{
	for (int i = 1; i <= sqlite3_bind_parameter_count(st); i++) {
		const char *name = sqlite3_bind_parameter_name(st, i);
		json_t *v = name ? json_object_get(keys, name + 1) : NULL;

		if (!json_is_string(v) ||
		    sqlite3_bind_text(st, i, json_string_value(v),
				      (int)json_string_length(v),
				      SQLITE_TRANSIENT) != SQLITE_OK)
			return -1;
	}
	return 0;
}

static int prepare(px_source *s, const char *member, size_t i,
		   const json_t *keys, sqlite3_stmt **st, const char **what,
		   px_error *err)
{
	json_t *step = json_array_get(json_object_get(s->cfg->json, member), i);
	const char *sql = json_string_value(json_object_get(step, "query"));
	int resolve = !strcmp(member, "resolve");
	const char *kind = resolve ? "resolve" : "collection";

	*what = json_string_value(
	    json_object_get(step, resolve ? "provides" : "entity"));
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
		return px_error_set(
		    err, PX_EXIT_DATA, "source %s: %s %s: SQL error: %s",
		    s->cfg->name, kind, *what, sqlite3_errmsg(s->db));
	/* A statement that would write is refused before it runs, on top
	 * of the read-only connection. */
	if (!sqlite3_stmt_readonly(*st)) {
		sqlite3_finalize(*st);
		return px_error_set(err, PX_EXIT_DATA,
				    "source %s: %s %s: the query writes; "
				    "sources are read-only",
				    s->cfg->name, kind, *what);
	}
	if (bind_keys(*st, keys)) {
		sqlite3_finalize(*st);
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "source %s: %s %s: cannot bind identity "
				    "keys",
				    s->cfg->name, kind, *what);
	}
	return 0;
}

/* The row's cells: the database's values as they are. */
static void row_cells(sqlite3_stmt *st, px_cell *cells, int ncol)
{
	for (int c = 0; c < ncol; c++) {
		px_cell *x = &cells[c];

		switch ((x->type = PX_CELL_NULL, sqlite3_column_type(st, c))) {
		case SQLITE_INTEGER:
			x->type = PX_CELL_INTEGER;
			x->i = sqlite3_column_int64(st, c);
			break;
		case SQLITE_FLOAT:
			x->type = PX_CELL_REAL;
			x->d = sqlite3_column_double(st, c);
			break;
		case SQLITE_TEXT:
			x->type = PX_CELL_TEXT;
			x->text = (const char *)sqlite3_column_text(st, c);
			x->len = (size_t)sqlite3_column_bytes(st, c);
			if (!x->text)
				x->text = "";
			break;
		case SQLITE_BLOB:
			x->type = PX_CELL_BLOB;
			x->text = sqlite3_column_blob(st, c);
			x->len = (size_t)sqlite3_column_bytes(st, c);
			if (!x->text)
				x->text = "";
			break;
		}
	}
}

/* Cell -> JSON. Text must be UTF-8: a record that is not is bad data,
 * not something to pass on garbled. */
static int column_json(px_source *s, sqlite3_stmt *st, int c, const px_cell *x,
		       json_t **out, const char *what, px_error *err)
{
	if (x->type == PX_CELL_BLOB)
		return px_error_set(err, PX_EXIT_DATA,
				    "source %s: collection %s: column %s holds "
				    "bytes; only a document's \"content\" may",
				    s->cfg->name, what,
				    sqlite3_column_name(st, c));
	if ((*out = px_cell_json(x)))
		return 0;
	if (x->type == PX_CELL_TEXT)
		return px_error_set(err, PX_EXIT_DATA,
				    "source %s: collection %s: column %s: text "
				    "is not valid UTF-8",
				    s->cfg->name, what,
				    sqlite3_column_name(st, c));
	return px_error_oom(err);
}

/* The generic path: the row as a JSON record, pushed through emit. */
static int emit_row(px_source *s, sqlite3_stmt *st, const px_cell *cells,
		    int ncol, const char *what, const px_row_sink *sink,
		    px_error *err)
{
	px_record rec = {json_object(), NULL, 0, NULL};
	int bad = !rec.fields;

	if (bad)
		px_error_oom(err);
	for (int c = 0; c < ncol && !bad; c++) {
		const char *name = sqlite3_column_name(st, c);
		const px_cell *x = &cells[c];
		json_t *v;

		if (x->type == PX_CELL_NULL)
			continue;
		if (!strcmp(name, "content") &&
		    (x->type == PX_CELL_BLOB || x->type == PX_CELL_TEXT)) {
			rec.content = (const unsigned char *)x->text;
			rec.content_len = x->len;
			continue;
		}
		bad = column_json(s, st, c, x, &v, what, err) ||
		      json_object_set_new(rec.fields, name, v);
	}
	if (!bad)
		bad = sink->emit(sink->ctx, &rec, err);
	json_decref(rec.fields);
	return bad ? -1 : 0;
}

static int step_error(px_source *s, const char *what, px_error *err)
{
	return px_error_set(err, PX_EXIT_DATA, "source %s: collection %s: %s",
			    s->cfg->name, what, sqlite3_errmsg(s->db));
}

static int resolve_sqlite(px_source *s, size_t i, const json_t *keys,
			  char **value, px_error *err)
{
	sqlite3_stmt *st;
	const char *what;
	char *found = NULL;
	int rc;

	if (prepare(s, "resolve", i, keys, &st, &what, err))
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		if (!v)
			continue;
		if (found && strcmp(found, v)) {
			free(found);
			sqlite3_finalize(st);
			return px_error_set(
			    err, PX_EXIT_DATA,
			    "source %s: resolve %s: the identity matches "
			    "more than one record; refusing to guess",
			    s->cfg->name, what);
		}
		if (!found && !(found = strdup(v))) {
			sqlite3_finalize(st);
			return px_error_oom(err);
		}
	}
	if (rc != SQLITE_DONE) {
		free(found);
		step_error(s, what, err);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	*value = found;
	return found != NULL;
}

/* Rows go to the sink's row function when it has one, and through the
 * generic path (emit) when it hands a row back or has none. */
int px_sqlite_fetch_rows(px_source *s, size_t i, const json_t *keys,
			 const px_row_sink *sink, px_error *err)
{
	sqlite3_stmt *st;
	const char *what, **names = NULL;
	px_cell *cells = NULL;
	int rc = SQLITE_DONE, ncol, bad = 0;

	if (prepare(s, "collections", i, keys, &st, &what, err))
		return -1;
	ncol = sqlite3_column_count(st);
	cells = calloc((size_t)ncol + 1, sizeof(*cells));
	names = calloc((size_t)ncol + 1, sizeof(*names));
	if (!cells || !names)
		bad = px_error_oom(err);
	for (int c = 0; c < ncol && !bad; c++)
		names[c] = sqlite3_column_name(st, c);
	if (!bad && sink->columns &&
	    sink->columns(sink->ctx, names, (size_t)ncol, err))
		bad = -1;
	while (!bad && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int taken = 1;

		row_cells(st, cells, ncol);
		if (sink->row)
			taken = sink->row(sink->ctx, cells, (size_t)ncol, err);
		if (taken < 0 ||
		    (taken && emit_row(s, st, cells, ncol, what, sink, err)))
			bad = -1;
	}
	if (!bad && rc != SQLITE_DONE)
		bad = step_error(s, what, err);
	sqlite3_finalize(st);
	free(cells);
	free(names);
	return bad ? -1 : 0;
}

static int fetch_sqlite(px_source *s, size_t i, const json_t *keys,
			px_emit_fn emit, void *ctx, px_error *err)
{
	px_row_sink sink = {.emit = emit, .ctx = ctx};

	return px_sqlite_fetch_rows(s, i, keys, &sink, err);
}

static void close_sqlite(px_source *s)
{
	if (!s)
		return;
	/* Nothing was written: ending the read transaction is all. */
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(s->db);
	json_decref(s->plan);
	free(s);
}

static const char *const source_keys[] = {"path", "resolve", "collections",
					  NULL};
static const px_config_keys config_keys[] = {
    {"", source_keys},
    PX_SQL_CONFIG_KEYS,
    {NULL, NULL},
};

const px_connector px_connector_sqlite = {
    .abi = PX_CONNECTOR_ABI,
    .name = "sqlite",
    .open = open_sqlite,
    .resolve = resolve_sqlite,
    .fetch = fetch_sqlite,
    .close = close_sqlite,
    .config_keys = config_keys,
};
