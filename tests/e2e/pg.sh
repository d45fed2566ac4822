# pg.sh - sourced by e2e tests after lib.sh and demo.sh: the PostgreSQL
# demo platform (examples/postgres/campus.sql) combined with the SQLite
# demo, on the throwaway cluster tests/run-e2e.sh started (PGHOST,
# PX_PG_DIR).

CLUSTER=$PX_TOP/tests/pg/cluster.sh

# pg_setup: a fresh database loaded with campus.sql ($DB, $CAMPUS_DSN), the
# SQLite demo in $T/out, keys, and the combined config as $T/demo.json
# (its paths made relative to $T, so demo.sh's edit_config applies).
pg_setup() {
	[ -n "${PGHOST:-}" ] && [ -n "${PX_PG_DIR:-}" ] ||
		fail "no test PostgreSQL cluster (PGHOST/PX_PG_DIR unset): run through tests/run-e2e.sh"
	demo_setup
	sed 's|"\.\./out/|"out/|g' "$PX_TOP/examples/postgres/combined.json" \
		>"$T/demo.json"
	DB=px_e2e_$(basename "$T" | tr -cd 'a-zA-Z0-9' | tr 'A-Z' 'a-z')
	"$CLUSTER" load "$DB" "$PX_TOP/examples/postgres/campus.sql"
	export CAMPUS_DSN="dbname=$DB"
}

export_campus() {
	"$PORTEX" export --config "$T/demo.json" \
		--subject email=alice.martin@example.org --out "$T/a.zip" "$@"
}

sql() {
	psql -X -A -t -v ON_ERROR_STOP=1 -d "$DB" -c "$1"
}

# set_query ENTITY SQL: replaces the campus collection ENTITY's query
set_query() {
	edit_config "[x for x in c['sources'][0]['collections'] if x['entity'] == '$1'][0]['query'] = '''$2'''"
}

