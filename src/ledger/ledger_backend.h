/*
 * ledger_backend.h - what the ledger needs from a database, so that SQLite
 * and PostgreSQL behave the same: transactions and parameterised SQL with
 * every value passed and returned as text. Private to src/ledger*.c and
 * src/audit.c.
 *
 * SQL is written once, with $1..$n placeholders (SQLite reads "$1" as a
 * named parameter and the backend binds it by name).
 */
#ifndef PX_LEDGER_BACKEND_H
#define PX_LEDGER_BACKEND_H

#include <jansson.h>

#include "portex/error.h"
#include "portex/ledger.h"

struct px_ledger_backend {
	const char *kind; /* "SQLite", "PostgreSQL" */
	/* Connects; *db is the backend's handle. desc names the ledger in
	 * messages (never with a password). */
	int (*open)(const char *target, const char *desc, void **db,
		    px_error *err);
	void (*close)(void *db);
	/* A write transaction holds the ledger's write lock until commit
	 * or rollback, so "read the last hash, append" is atomic. A lock
	 * not obtained within the busy timeout is PX_EXIT_UNAVAILABLE. */
	int (*begin)(void *db, int write, px_error *err);
	int (*commit)(void *db, px_error *err);
	void (*rollback)(void *db);
	/* Runs one statement with params[i] bound to $(i+1) (NULL: SQL
	 * NULL). When rows is not NULL, *rows is a new array of rows, each
	 * an array of strings or nulls; release it with json_decref(). */
	int (*query)(void *db, const char *sql, int n,
		     const char *const *params, json_t **rows, px_error *err);
	/* SQL counting tables named $1 in the ledger's schema. */
	const char *table_exists_sql;
	/* SQL counting tables that are not the ledger's, or NULL: a file
	 * holding other tables is someone else's database, never written. */
	const char *foreign_tables_sql;
};

extern const struct px_ledger_backend px_ledger_sqlite;
extern const struct px_ledger_backend px_ledger_postgres;

struct px_ledger {
	const struct px_ledger_backend *be;
	void *db;
	char *desc; /* "SQLite ledger /path/portex.db" */
	int in_tx;
};

/* Shorthands over l->be with the ledger named in errors. */
int px_ledger_begin(px_ledger *l, int write, px_error *err);
int px_ledger_commit(px_ledger *l, px_error *err);
void px_ledger_rollback(px_ledger *l);
int px_ledger_query(px_ledger *l, const char *sql, int n,
		    const char *const *params, json_t **rows, px_error *err);

/* Appends one audit entry inside the caller's write transaction.
 * details is borrowed; it is stored in canonical form. */
int px_audit_append(px_ledger *l, const char *actor, const char *action,
		    long request_id, const json_t *details, px_error *err);

/* The previous hash of entry 1, and the head of an empty trail. */
#define PX_AUDIT_GENESIS                                                       \
	"0000000000000000000000000000000000000000000000000000000000000000"

/* Marks res broken at entry seq (0: none) with problem (static) and a
 * message. Returns 0. */
int px_audit_verdict(px_audit_result *res, long seq, const char *problem,
		     const char *fmt, ...) PX_PRINTF(4, 5);

/* *rows: every px_audit row, in seq order (new array). */
int px_audit_rows(px_ledger *l, json_t **rows, px_error *err);

/* The hashes the entries rows (px_audit rows in seq order) would have,
 * recomputed from their content at their position: 65 bytes (hex, NUL)
 * per entry, malloc'ed (free()), or NULL when out of memory. */
char *px_audit_rehash(const json_t *rows);

/* checkpoint.c: compares rows (as above) with every stored checkpoint
 * and o's witnesses; fills res (its valid, bad_seq, problem, message and
 * counts). Returns -1 only when they cannot be read. */
int px_checkpoints_check(px_ledger *l, const json_t *rows,
			 const px_audit_verify_opts *o, px_audit_result *res,
			 px_error *err);

#endif
