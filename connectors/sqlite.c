/*
 * sqlite.c - the SQLite driver. Opens the file read-only, binds :name
 * placeholders as parameters, and steps rows straight into the sink.
 *
 * In bulk one connection serves many subjects. Each statement is prepared
 * the first time a subject needs it and reused (reset, bindings cleared)
 * for the next ones. Each subject gets its own read transaction, begun
 * before its first statement and ended once its last has run (end()):
 * its collections see one state of the file, the next subject sees what
 * was committed since, and no lock is held between subjects, so that
 * the platform's writers are never blocked (in rollback-journal mode a
 * reader's shared lock keeps every writer out) for longer than one
 * subject's reads.
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
	/* Prepared on first use, by step index; NULL: not yet. */
	sqlite3_stmt **resolve_st, **coll_st;
	size_t n_resolve, n_coll;
	/* A fetch's row, reused: room for `cap` columns. */
	px_cell *cells;
	const char **names;
	size_t cap;
	char *file; /* the path, for messages */
	/* BEGIN, the read that takes the snapshot, COMMIT: prepared once. */
	sqlite3_stmt *tx[3];
};

static const char *const tx_sql[3] = {
    "BEGIN", "SELECT count(*) FROM sqlite_schema", "COMMIT"};

/* Runs transaction statement i (prepared the first time). */
static int tx_run(px_source *s, int i)
{
	int rc = SQLITE_OK;

	if (!s->tx[i])
		rc = sqlite3_prepare_v3(s->db, tx_sql[i], -1,
					SQLITE_PREPARE_PERSISTENT, &s->tx[i],
					NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s->tx[i]);
		sqlite3_reset(s->tx[i]);
	}
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* The subject's read transaction. BEGIN alone is deferred: the read of
 * the schema is what takes the snapshot (WAL) or the shared lock
 * (rollback journal), now, before any of the subject's statements, so
 * that the sources of one export start from the same moment. It also
 * makes a missing or corrupt file "unavailable", not an SQL error later. */
static int begin(px_source *s, px_error *err)
{
	int rc = tx_run(s, 0);

	if (rc == SQLITE_OK)
		rc = tx_run(s, 1);
	if (rc == SQLITE_OK)
		return 0;
	px_error_set(err, PX_EXIT_UNAVAILABLE,
		     "source %s: cannot open SQLite file %s: %s", s->cfg->name,
		     s->file, sqlite3_errmsg(s->db));
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Nothing was written: ending the read transaction releases its
 * snapshot and lock. Every statement was reset after its last row. */
static void end_sqlite(px_source *s)
{
	if (s && s->db && !sqlite3_get_autocommit(s->db) &&
	    tx_run(s, 2) != SQLITE_OK)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static void close_sqlite(px_source *s)
{
	if (!s)
		return;
	for (size_t i = 0; s->resolve_st && i < s->n_resolve; i++)
		sqlite3_finalize(s->resolve_st[i]);
	for (size_t i = 0; s->coll_st && i < s->n_coll; i++)
		sqlite3_finalize(s->coll_st[i]);
	end_sqlite(s);
	for (int i = 0; i < 3; i++)
		sqlite3_finalize(s->tx[i]);
	free(s->file);
	sqlite3_close(s->db);
	json_decref(s->plan);
	free(s->resolve_st);
	free(s->coll_st);
	free(s->cells);
	free(s->names);
	free(s);
}

static int open_sqlite(const px_source_cfg *cfg, px_source **out, json_t **plan,
		       px_error *err)
{
	json_t *path = json_object_get(cfg->json, "path");
	px_source *s;
	int rc;

	if (!json_is_string(path) || !json_string_length(path))
		return px_cfg_error(err, cfg, "/path",
				    "expected the path of an SQLite file");
	if (!(s = calloc(1, sizeof(*s))))
		return px_error_oom(err);
	s->cfg = cfg;
	s->file = px_cfg_resolve_path(cfg, json_string_value(path));
	s->n_resolve = json_array_size(json_object_get(cfg->json, "resolve"));
	s->n_coll = json_array_size(json_object_get(cfg->json, "collections"));
	s->resolve_st = calloc(s->n_resolve + 1, sizeof(*s->resolve_st));
	s->coll_st = calloc(s->n_coll + 1, sizeof(*s->coll_st));
	if (!s->file || !s->resolve_st || !s->coll_st) {
		close_sqlite(s);
		return px_error_oom(err);
	}
	/* One thread uses the connection: no per-call mutex. */
	rc = sqlite3_open_v2(s->file, &s->db,
			     SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		px_error_set(err, PX_EXIT_UNAVAILABLE,
			     "source %s: cannot open SQLite file %s: %s",
			     cfg->name, s->file,
			     s->db ? sqlite3_errmsg(s->db)
				   : sqlite3_errstr(rc));
		close_sqlite(s);
		return -1;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (begin(s, err) || px_sql_plan(cfg, &s->plan, err)) {
		close_sqlite(s);
		return -1;
	}
	*plan = json_incref(s->plan);
	*out = s;
	return 0;
}

/* The next subject: a fresh read transaction, so that it sees what was
 * committed since the last one. */
static int reset_sqlite(px_source *s, px_error *err)
{
	end_sqlite(s);
	return begin(s, err);
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

/* The statement of step i of member ("resolve" or "collections"), with
 * the subject's keys bound: prepared the first time, then reused. The
 * caller sqlite3_reset()s it once done, which releases its hold on the
 * read transaction. */
static int prepare(px_source *s, const char *member, size_t i,
		   const json_t *keys, sqlite3_stmt **st, const char **what,
		   px_error *err)
{
	json_t *step = json_array_get(json_object_get(s->cfg->json, member), i);
	const char *sql = json_string_value(json_object_get(step, "query"));
	int resolve = !strcmp(member, "resolve");
	const char *kind = resolve ? "resolve" : "collection";
	sqlite3_stmt **slot = resolve ? &s->resolve_st[i] : &s->coll_st[i];

	*what = json_string_value(
	    json_object_get(step, resolve ? "provides" : "entity"));
	if (i >= (resolve ? s->n_resolve : s->n_coll))
		return px_error_set(err, PX_EXIT_SOFTWARE,
				    "source %s: no %s step %zu", s->cfg->name,
				    kind, i);
	if (*slot) {
		sqlite3_reset(*slot);
		sqlite3_clear_bindings(*slot);
	} else if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
				      slot, NULL) != SQLITE_OK) {
		*slot = NULL;
		return px_error_set(
		    err, PX_EXIT_DATA, "source %s: %s %s: SQL error: %s",
		    s->cfg->name, kind, *what, sqlite3_errmsg(s->db));
	} else if (!sqlite3_stmt_readonly(*slot)) {
		/* A statement that would write is refused before it runs,
		 * on top of the read-only connection. */
		sqlite3_finalize(*slot);
		*slot = NULL;
		return px_error_set(err, PX_EXIT_DATA,
				    "source %s: %s %s: the query writes; "
				    "sources are read-only",
				    s->cfg->name, kind, *what);
	}
	*st = *slot;
	if (bind_keys(*st, keys)) {
		sqlite3_clear_bindings(*st);
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
	int rc, bad = 0;

	if (prepare(s, "resolve", i, keys, &st, &what, err))
		return -1;
	while (!bad && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		if (!v)
			continue;
		if (found && strcmp(found, v))
			bad = px_error_set(
			    err, PX_EXIT_DATA,
			    "source %s: resolve %s: the identity matches "
			    "more than one record; refusing to guess",
			    s->cfg->name, what);
		else if (!found && !(found = strdup(v)))
			bad = px_error_oom(err);
	}
	if (!bad && rc != SQLITE_DONE)
		bad = step_error(s, what, err);
	sqlite3_reset(st);
	if (bad) {
		free(found);
		return -1;
	}
	*value = found;
	return found != NULL;
}

/* Room for a row of ncol columns in s->cells and s->names. */
static int row_room(px_source *s, int ncol, px_error *err)
{
	size_t n = (size_t)ncol + 1;
	px_cell *cells;
	const char **names;

	if (n <= s->cap)
		return 0;
	cells = realloc(s->cells, n * sizeof(*cells));
	if (cells)
		s->cells = cells;
	names = cells ? realloc(s->names, n * sizeof(*names)) : NULL;
	if (!names)
		return px_error_oom(err);
	s->names = names;
	s->cap = n;
	return 0;
}

/* Rows go to the sink's row function when it has one, and through the
 * generic path (emit) when it hands a row back or has none. */
int px_sqlite_fetch_rows(px_source *s, size_t i, const json_t *keys,
			 const px_row_sink *sink, px_error *err)
{
	sqlite3_stmt *st;
	const char *what;
	int rc = SQLITE_DONE, ncol, bad;

	if (prepare(s, "collections", i, keys, &st, &what, err))
		return -1;
	ncol = sqlite3_column_count(st);
	bad = row_room(s, ncol, err);
	for (int c = 0; c < ncol && !bad; c++)
		s->names[c] = sqlite3_column_name(st, c);
	if (!bad && sink->columns &&
	    sink->columns(sink->ctx, s->names, (size_t)ncol, err))
		bad = -1;
	while (!bad && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int taken = 1;

		row_cells(st, s->cells, ncol);
		if (sink->row)
			taken =
			    sink->row(sink->ctx, s->cells, (size_t)ncol, err);
		if (taken < 0 ||
		    (taken && emit_row(s, st, s->cells, ncol, what, sink, err)))
			bad = -1;
	}
	if (!bad && rc != SQLITE_DONE)
		bad = step_error(s, what, err);
	sqlite3_reset(st);
	return bad ? -1 : 0;
}

static int fetch_sqlite(px_source *s, size_t i, const json_t *keys,
			px_emit_fn emit, void *ctx, px_error *err)
{
	px_row_sink sink = {.emit = emit, .ctx = ctx};

	return px_sqlite_fetch_rows(s, i, keys, &sink, err);
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
    .reset = reset_sqlite,
    .end = end_sqlite,
};
