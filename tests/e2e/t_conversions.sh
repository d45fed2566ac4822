#!/bin/bash
# Declared conversions on SQL sources (issue 9): money kept in integer
# minor units ("minor_units": {"amount": 2}: 1990 -> "19.90") and
# timestamps written without an offset in a named IANA "timezone" (per
# source, per collection), DST-correct on both transition days. These go
# through portex's own conversion paths (src/convert.c via the
# normaliser), the same as REST's "minor_units" and "local_time".
. "$PX_TOP/tests/e2e/lib.sh"

# fields ENTITY: "field=value" of every record, one record a line
fields() {
	/usr/bin/python3 - "$T/pkg/data/$1.json" "${@:2}" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]), parse_float=lambda s: "F:" + s)
for r in d["records"]:
    print(" ".join("%s=%s" % (k, r.get(k)) for k in sys.argv[2:]))
PY
}

setup_db() {
	sqlite3 "$T/s.db" "CREATE TABLE orders(email TEXT, ref TEXT,
			cents INTEGER, fcents REAL, at TEXT);
		INSERT INTO orders VALUES
		 ('a@example.org', 'o1', 1990, 1990.0, '2026-07-01 12:00:00'),
		 ('a@example.org', 'o2', -5, -5.0, '2026-03-29 01:30:00'),
		 ('a@example.org', 'o3', 7, 7.0, '2026-03-29 03:30:00'),
		 ('a@example.org', 'o4', 123456789012345678, 0.0, '2026-10-25 02:30:00'),
		 ('a@example.org', 'o5', 0, 0.0, '2026-10-25 03:30:00'),
		 ('a@example.org', 'o6', 100, 100.0, '2026-07-01 12:00:00+00:00');"
}

# config TIMEZONE COLLECTION_EXTRA: one purchase collection
config() {
	cat >"$T/c.json" <<JSON
{"controller": {"name": "T"},
 "sources": [{"name": "s", "connector": "sqlite", "path": "s.db",
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

test_cents_and_paris_wall_clock_times_become_decimals_and_utc() {
	setup_db
	config Europe/Paris '"minor_units": {"amount": 2},'
	export_ok
	fields purchase order amount purchased_at >"$T/got"
	cat >"$T/want" <<'TXT'
order=o1 amount=19.90 purchased_at=2026-07-01T10:00:00Z
order=o2 amount=-0.05 purchased_at=2026-03-29T00:30:00Z
order=o3 amount=0.07 purchased_at=2026-03-29T01:30:00Z
order=o4 amount=1234567890123456.78 purchased_at=2026-10-25T00:30:00Z
order=o5 amount=0.00 purchased_at=2026-10-25T02:30:00Z
order=o6 amount=1.00 purchased_at=2026-07-01T12:00:00Z
TXT
	diff "$T/want" "$T/got" >"$T/diff" || fail "records differ: $(cat "$T/diff")"
	# The page writes money as the locale does (French by default).
	grep -qF "19,90" "$T/pkg/index.html" || fail "index.html lacks 19,90"
}

test_float_cents_convert_only_when_whole() {
	setup_db
	config Europe/Paris '"minor_units": {"amount": 2},'
	sed -i 's/cents AS amount/fcents AS amount/' "$T/c.json"
	export_ok
	[ "$(fields purchase amount | head -1)" = "amount=19.90" ] ||
		fail "float cents: $(fields purchase amount | head -1)"
	sqlite3 "$T/s.db" "UPDATE orders SET fcents = 1990.5 WHERE ref = 'o1'"
	expect_exit 65 "$PORTEX" export --config "$T/c.json" \
		--subject email=a@example.org --unsigned --out "$T/q.zip"
	expect_err "field amount: expected a whole number of minor units (\"minor_units\": 2), got 1990.5"
	expect_no_file "$T/q.zip"
}

test_a_collection_timezone_wins_over_the_source() {
	setup_db
	config Europe/Paris '"timezone": "America/New_York", "minor_units": {"amount": 2},'
	export_ok
	[ "$(fields purchase purchased_at | head -1)" = "purchased_at=2026-07-01T16:00:00Z" ] ||
		fail "New York summer time: $(fields purchase purchased_at | head -1)"
}

test_a_time_in_the_spring_gap_is_refused() {
	setup_db
	sqlite3 "$T/s.db" "UPDATE orders SET at = '2026-03-29 02:30:00' WHERE ref = 'o3'"
	config Europe/Paris '"minor_units": {"amount": 2},'
	expect_exit 65 "$PORTEX" export --config "$T/c.json" \
		--subject email=a@example.org --unsigned --out "$T/p.zip"
	expect_err "field purchased_at: expected a timestamp (RFC 3339, or YYYY-MM-DD HH:MM:SS in Europe/Paris) that exists there, got \"2026-03-29 02:30:00\""
	expect_err "record 3"
	expect_no_file "$T/p.zip"
}

# refused TIMEZONE EXTRA MESSAGE: that declaration is a config error
refused() {
	config "$1" "$2"
	expect_exit 78 "$PORTEX" export --config "$T/c.json" \
		--subject email=a@example.org --unsigned --out "$T/p.zip"
	expect_err "$3"
	expect_no_file "$T/p.zip"
}

test_bad_declarations_are_config_errors_naming_the_path() {
	setup_db
	refused Europe/Pari '"minor_units": {"amount": 2},' \
		"c.json: /sources/0/timezone: unknown time zone \"Europe/Pari\""
	refused Europe '' "unknown time zone \"Europe\""
	refused UTC '"minor_units": {"currency": 2},' \
		"/sources/0/collections/0/minor_units/currency: field currency is not money"
	refused UTC '"minor_units": {"amount": "2"},' \
		"/sources/0/collections/0/minor_units/amount: expected a number of digits"
	refused UTC '"minor_unit": {"amount": 2},' "did you mean \"minor_units\"?"
}

run_tests
