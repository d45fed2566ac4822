/* unit_pg.h - for the tests that talk to the throwaway PostgreSQL server
 * themselves (tests/run-unit.sh starts one; PGHOST points at it). Include
 * after unit.h. */
#ifndef PX_UNIT_PG_H
#define PX_UNIT_PG_H
#include <libpq-fe.h>

/* A blocking connection to database db, or the test fails. The caller
 * PQfinish()es it. */
static inline PGconn *admin_connect(const char *db)
{
	const char *keys[] = {"dbname", NULL}, *vals[] = {db, NULL};
	PGconn *c = PQconnectdbParams(keys, vals, 0);

	if (PQstatus(c) != CONNECTION_OK) {
		print_error("cannot connect to %s: %s", db, PQerrorMessage(c));
		fail();
	}
	return c;
}
#endif
