# conversions.sh - sourced by t_conversions.sh (SQLite) and
# t_conversions_pg.sh (PostgreSQL): the declared conversions of SQL sources
# (issue 9), one table of cases and the scenarios both backends must pass
# alike. Money kept in integer minor units ("minor_units": {"amount": 2}:
# 1990 -> "19.90") and timestamps written as text without an offset in a
# named IANA "timezone" (per source, per collection), DST-correct on both
# transition days. These go through portex's own conversion paths
# (src/convert.c via the normaliser), the same as REST's "minor_units" and
# "local_time".
#
# BACKEND=sqlite|pg picks the source; for pg, pg.sh's cluster (PGHOST).

# The orders: integer cents, the same as a float, and a Paris wall-clock
# time as text. o2/o3: the spring-forward day (02:00 -> 03:00 on 29 March),
# o4/o5: the autumn day (03:00 -> 02:00 on 25 October; 02:30 happens twice
# and is read as the first, summer-time one), o6: an offset that is kept.
# lat: the same times in a TIMESTAMP column (PostgreSQL's timestamp without
# time zone, which has no offset: o6 as Paris time).
conv_sql() {
	cat <<'SQL'
CREATE TABLE orders(email TEXT, ref TEXT, cents BIGINT,
	fcents DOUBLE PRECISION, at TEXT, lat TIMESTAMP);
INSERT INTO orders VALUES
 ('a@example.org', 'o1', 1990, 1990.0, '2026-07-01 12:00:00', '2026-07-01 12:00:00'),
 ('a@example.org', 'o2', -5, -5.0, '2026-03-29 01:30:00', '2026-03-29 01:30:00'),
 ('a@example.org', 'o3', 7, 7.0, '2026-03-29 03:30:00', '2026-03-29 03:30:00'),
 ('a@example.org', 'o4', 123456789012345678, 0.0, '2026-10-25 02:30:00', '2026-10-25 02:30:00'),
 ('a@example.org', 'o5', 0, 0.0, '2026-10-25 03:30:00', '2026-10-25 03:30:00'),
 ('a@example.org', 'o6', 100, 100.0, '2026-07-01 12:00:00+00:00', '2026-07-01 14:00:00');
SQL
}

# What the package must hold for them, with "minor_units": {"amount": 2}
# and "timezone": "Europe/Paris".
conv_want() {
	cat <<'TXT'
order=o1 amount=19.90 purchased_at=2026-07-01T10:00:00Z
order=o2 amount=-0.05 purchased_at=2026-03-29T00:30:00Z
order=o3 amount=0.07 purchased_at=2026-03-29T01:30:00Z
order=o4 amount=1234567890123456.78 purchased_at=2026-10-25T00:30:00Z
order=o5 amount=0.00 purchased_at=2026-10-25T02:30:00Z
order=o6 amount=1.00 purchased_at=2026-07-01T12:00:00Z
TXT
}

# conv_db: the orders in a fresh database; $SOURCE is the source's
# connection part of the config.
conv_db() {
	case "$BACKEND" in
	sqlite)
		conv_sql | sqlite3 "$T/s.db"
		SOURCE='"connector": "sqlite", "path": "s.db"'
		;;
	pg)
		[ -n "${PGHOST:-}" ] || fail "no test PostgreSQL cluster (PGHOST unset): run through tests/run-e2e.sh"
		CONV_DB=px_conv_$(basename "$T" | tr -cd 'a-zA-Z0-9' | tr 'A-Z' 'a-z')
		conv_sql >"$T/orders.sql"
		"$PX_TOP/tests/pg/cluster.sh" load "$CONV_DB" "$T/orders.sql"
		SOURCE="\"connector\": \"postgres\", \"conninfo\": \"dbname=$CONV_DB\""
		;;
	*) fail "BACKEND must be sqlite or pg" ;;
	esac
}

# conv_exec SQL: runs SQL on the source database by hand
conv_exec() {
	case "$BACKEND" in
	sqlite) sqlite3 "$T/s.db" "$1" ;;
	pg) psql -X -q -v ON_ERROR_STOP=1 -d "$CONV_DB" -c "$1" ;;
	esac
}

# fields ENTITY: "field=value" of every record, one record a line
fields() {
	/usr/bin/python3 - "$T/pkg/data/$1.json" "${@:2}" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]), parse_float=lambda s: "F:" + s)
for r in d["records"]:
    print(" ".join("%s=%s" % (k, r.get(k)) for k in sys.argv[2:]))
PY
}

# config TIMEZONE COLLECTION_EXTRA: one purchase collection
config() {
	cat >"$T/c.json" <<JSON
{"controller": {"name": "T"},
 "sources": [{"name": "s", $SOURCE,
  "timezone": "$1",
  "collections": [
   {"entity": "purchase", "category": "provided", $2
    "query": "SELECT ref AS \"order\", 'p' AS product, cents AS amount, 'EUR' AS currency, at AS purchased_at FROM orders WHERE email = :email ORDER BY ref"}]}]}
JSON
}

export_ok() {
	expect_exit 0 "$PORTEX" export --config "$T/c.json" \
		--subject email=a@example.org --unsigned --out "$T/p.zip"
	expect_valid_package "$T/p.zip"
	/usr/bin/python3 -m zipfile -e "$T/p.zip" "$T/pkg"
}

# export_fails CODE MESSAGE: the export exits CODE saying MESSAGE; no package
export_fails() {
	expect_exit "$1" "$PORTEX" export --config "$T/c.json" \
		--subject email=a@example.org --unsigned --out "$T/q.zip"
	expect_err "$2"
	expect_no_file "$T/q.zip"
}

# expect_the_cases COLUMN: with cents and Paris times (read from COLUMN),
# the package holds conv_want
expect_the_cases() {
	conv_db
	config Europe/Paris '"minor_units": {"amount": 2},'
	sed -i "s/ at AS purchased_at/ $1 AS purchased_at/" "$T/c.json"
	export_ok
	fields purchase order amount purchased_at >"$T/got"
	conv_want >"$T/want"
	diff "$T/want" "$T/got" >"$T/diff" || fail "records differ: $(cat "$T/diff")"
}

scenario_cents_and_paris_wall_clock_times_become_decimals_and_utc() {
	expect_the_cases at
	# The page writes money as the locale does (French by default).
	grep -qF "19,90" "$T/pkg/index.html" || fail "index.html lacks 19,90"
}

# A column of wall-clock times typed as such (PostgreSQL: timestamp
# without time zone) is read in the declared zone too, not as UTC.
scenario_a_timestamp_column_is_read_in_the_declared_zone() {
	expect_the_cases lat
}

scenario_float_cents_convert_only_when_whole() {
	conv_db
	config Europe/Paris '"minor_units": {"amount": 2},'
	sed -i 's/cents AS amount/fcents AS amount/' "$T/c.json"
	export_ok
	[ "$(fields purchase amount | head -1)" = "amount=19.90" ] ||
		fail "float cents: $(fields purchase amount | head -1)"
	conv_exec "UPDATE orders SET fcents = 1990.5 WHERE ref = 'o1'"
	export_fails 65 "field amount: expected a whole number of minor units (\"minor_units\": 2), got 1990.5"
}

scenario_a_collection_timezone_wins_over_the_source() {
	conv_db
	config Europe/Paris '"timezone": "America/New_York", "minor_units": {"amount": 2},'
	export_ok
	[ "$(fields purchase purchased_at | head -1)" = "purchased_at=2026-07-01T16:00:00Z" ] ||
		fail "New York summer time: $(fields purchase purchased_at | head -1)"
}

scenario_a_time_in_the_spring_gap_is_refused() {
	conv_db
	conv_exec "UPDATE orders SET at = '2026-03-29 02:30:00' WHERE ref = 'o3'"
	config Europe/Paris '"minor_units": {"amount": 2},'
	export_fails 65 "field purchased_at: expected a timestamp (RFC 3339, or YYYY-MM-DD HH:MM:SS in Europe/Paris) that exists there, got \"2026-03-29 02:30:00\""
	expect_err "record 3"
}

# refused TIMEZONE EXTRA MESSAGE: that declaration is a config error
refused() {
	config "$1" "$2"
	export_fails 78 "$3"
}

scenario_bad_declarations_are_config_errors_naming_the_path() {
	conv_db
	refused Europe/Pari '"minor_units": {"amount": 2},' \
		"c.json: /sources/0/timezone: unknown time zone \"Europe/Pari\""
	refused Europe '' "unknown time zone \"Europe\""
	refused UTC '"minor_units": {"currency": 2},' \
		"/sources/0/collections/0/minor_units/currency: field currency is not money"
	refused UTC '"minor_units": {"amount": "2"},' \
		"/sources/0/collections/0/minor_units/amount: expected a number of digits"
	refused UTC '"minor_unit": {"amount": 2},' "did you mean \"minor_units\"?"
}
