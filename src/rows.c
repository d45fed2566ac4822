/*
 * rows.c - the typed-row path's registry and the one conversion of a cell
 * to the JSON value a driver's record carries (rows.h).
 */
#include "rows.h"

#include <string.h>

#include "jsonout.h"

extern const px_connector px_connector_sqlite;
extern const px_connector px_connector_postgres;

px_fetch_rows_fn px_connector_rows(const px_connector *c)
{
	if (c == &px_connector_sqlite)
		return px_sqlite_fetch_rows;
	if (c == &px_connector_postgres)
		return px_postgres_fetch_rows;
	return NULL;
}

json_t *px_cell_json(const px_cell *c)
{
	switch (c->type) {
	case PX_CELL_INTEGER:
		return json_integer(c->i);
	case PX_CELL_REAL:
		return json_real(c->d);
	case PX_CELL_TEXT:
		if (!c->text || memchr(c->text, 0, c->len))
			return NULL;
		return json_stringn(c->text, c->len);
	case PX_CELL_BOOL:
		return json_boolean(c->i);
	case PX_CELL_DECIMAL:
		return px_decimal_new(c->text);
	case PX_CELL_JSON: {
		json_error_t jerr;
		return px_json_load_exact(c->text, c->len, JSON_DECODE_ANY,
					  &jerr, NULL);
	}
	default:
		return NULL;
	}
}
