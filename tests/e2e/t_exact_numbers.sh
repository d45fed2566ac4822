#!/bin/bash
# Numbers past double and int64 (a PostgreSQL numeric >= 2^63, 1e400, a
# 25-digit integer) keep their exact digits in data/*.json and index.html;
# they once failed the export with exit 70 naming an internal spool path,
# or were clamped to 9223372036854775807.
. "$PX_TOP/tests/e2e/lib.sh"

BIG=1234567890123456789012345      # 25 digits
HUGE=99999999999999999999          # past int64 (strtoll clamped it)
TWO63=9223372036854775808          # 2^63

# raw ENTITY FIELD: the field's JSON text in the first record, numbers as
# written (Python reads 1e400 as inf and would hide a change)
raw() {
	/usr/bin/python3 - "$T/pkg/data/$1.json" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]), parse_float=lambda s: "F:" + s,
              parse_int=lambda s: "I:" + s)
print(json.dumps(d["records"][0][sys.argv[2]], sort_keys=True))
PY
}

check_package() {
	expect_valid_package "$T/p.zip"
	/usr/bin/python3 -m zipfile -e "$T/p.zip" "$T/pkg"
}

# index.html groups digits as French writes them (U+202F every three); a
# number there keeps its digits if they read the same with the groups gone.
page_digits() {
	sed 's/\xe2\x80\xaf//g' "$T/pkg/index.html"
}

test_sqlite_text_numbers_keep_their_digits_everywhere() {
	sqlite3 "$T/s.db" "CREATE TABLE t(email TEXT);
		INSERT INTO t VALUES ('a@example.org');"
	cat >"$T/c.json" <<JSON
{"controller": {"name": "T"},
 "sources": [{"name": "s", "connector": "sqlite", "path": "s.db",
  "collections": [
   {"entity": "score", "category": "observed",
    "query": "SELECT 'Q1' AS assessment, '$BIG' AS score, '1e400' AS max_score, '$HUGE' AS attempt, '2026-01-05 10:00:00' AS taken_at FROM t WHERE email = :email"},
   {"entity": "answer", "category": "observed", "json": ["response"],
    "query": "SELECT 'q' AS question, '{\"n\": $BIG, \"x\": 1e400, \"y\": 0.1}' AS response, '2026-01-05 10:00:00' AS submitted_at FROM t WHERE email = :email"}]}]}
JSON
	expect_exit 0 "$PORTEX" export --config "$T/c.json" \
		--subject email=a@example.org --unsigned --out "$T/p.zip"
	check_package
	[ "$(raw score score)" = "\"I:$BIG\"" ] || fail "score: $(raw score score)"
	[ "$(raw score max_score)" = '"F:1e400"' ] || fail "max_score: $(raw score max_score)"
	[ "$(raw score attempt)" = "\"I:$HUGE\"" ] || fail "attempt clamped: $(raw score attempt)"
	[ "$(raw answer response)" = "{\"n\": \"I:$BIG\", \"x\": \"F:1e400\", \"y\": \"F:0.1\"}" ] ||
		fail "response: $(raw answer response)"
	for n in "$BIG" 1e400 "$HUGE"; do
		page_digits | grep -qF -- "$n" || fail "index.html lacks $n"
	done
	# An exponent is not grouped: "1e 400" would read as two numbers.
	grep -qF -- '>1e400<' "$T/pkg/index.html" ||
		fail "index.html does not show 1e400 as stored"
}

test_postgres_numeric_past_int64_keeps_its_digits_everywhere() {
	[ -n "${PGHOST:-}" ] || fail "no test PostgreSQL cluster: run through tests/run-e2e.sh"
	DB=px_e2e_$(basename "$T" | tr -cd 'a-zA-Z0-9' | tr 'A-Z' 'a-z')
	cat >"$T/db.sql" <<'SQL'
CREATE TABLE t(email text);
INSERT INTO t VALUES ('a@example.org');
SQL
	"$PX_TOP/tests/pg/cluster.sh" load "$DB" "$T/db.sql"
	cat >"$T/c.json" <<JSON
{"controller": {"name": "T"},
 "sources": [{"name": "p", "connector": "postgres", "conninfo": "dbname=$DB",
  "collections": [
   {"entity": "score", "category": "observed",
    "query": "SELECT 'Q1' AS assessment, $BIG::numeric AS score, 1e400::numeric AS max_score, $TWO63::numeric AS attempt, now() AS taken_at FROM t WHERE email = :email"},
   {"entity": "answer", "category": "observed",
    "query": "SELECT 'q' AS question, '{\"n\": $BIG, \"x\": 1e400}'::jsonb AS response, now() AS submitted_at FROM t WHERE email = :email"}]}]}
JSON
	expect_exit 0 "$PORTEX" export --config "$T/c.json" \
		--subject email=a@example.org --unsigned --out "$T/p.zip"
	check_package
	e400="1$(printf '0%.0s' $(seq 400))"
	[ "$(raw score score)" = "\"I:$BIG\"" ] || fail "score: $(raw score score)"
	[ "$(raw score max_score)" = "\"I:$e400\"" ] || fail "max_score: $(raw score max_score)"
	[ "$(raw score attempt)" = "\"I:$TWO63\"" ] || fail "attempt: $(raw score attempt)"
	raw answer response | grep -qF "\"I:$BIG\"" || fail "response: $(raw answer response)"
	for n in "$BIG" "$TWO63" "$e400"; do
		page_digits | grep -qF -- "$n" || fail "index.html lacks $n"
	done
}

run_tests
