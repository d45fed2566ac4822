#!/bin/bash
# End-to-end: `portex export` on the PostgreSQL demo platform
# (examples/postgres/campus.sql) combined with the SQLite demo, against the
# throwaway cluster tests/run-e2e.sh started (PGHOST, PX_PG_DIR).
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"
. "$PX_TOP/tests/e2e/pg.sh"

# field ENTITY N FIELD: the campus record N's FIELD, as JSON text
field() {
	/usr/bin/python3 - "$T/pkg/data/$1.json" "$2" "$3" <<'PY'
import json, sys
recs = [r for r in json.load(open(sys.argv[1]))["records"] if r["source"] == "campus"]
print(json.dumps(recs[int(sys.argv[2])].get(sys.argv[3]), ensure_ascii=False))
PY
}

test_postgres_and_sqlite_combine_into_one_valid_package() {
	pg_setup
	expect_exit 0 export_campus --scope access
	/usr/bin/python3 -m zipfile -t "$T/a.zip" >/dev/null ||
		fail "python3 -m zipfile -t rejects the package"
	/usr/bin/python3 "$PX_TOP/tests/tools/check_package.py" "$T/a.zip" \
		--repo-schemas "$PX_TOP/schemas" >"$T/check" 2>&1 ||
		fail "check_package.py: $(cat "$T/check")"
	unpack "$T/a.zip" "$T/pkg"
	/usr/bin/python3 - "$T/pkg/manifest.json" <<'PY' || fail "manifest sources"
import json, sys
m = json.load(open(sys.argv[1]))
got = {s["name"]: (s["connector"], s["status"]) for s in m["sources"]}
assert got == {"campus": ("postgres", "found"), "classe": ("sqlite", "found")}, got
PY
}

test_counts_in_manifest_equal_rows_in_postgres() {
	pg_setup
	expect_exit 0 export_campus --scope access
	unpack "$T/a.zip" "$T/pkg"
	for pair in "account:SELECT count(*) FROM accounts WHERE id = 1001" \
		"licence:SELECT count(*) FROM licences WHERE account_id = 1001" \
		"progress:SELECT count(*) FROM course_progress WHERE account_id = 1001" \
		"score:SELECT count(*) FROM scores WHERE account_id = 1001" \
		"answer:SELECT count(*) FROM answers a JOIN scores s ON s.id = a.score_id WHERE s.account_id = 1001" \
		"purchase:SELECT count(*) FROM purchases WHERE account_id = 1001" \
		"claim:SELECT count(*) FROM claims WHERE account_id = 1001" \
		"document:SELECT count(*) FROM certificates WHERE account_id = 1001"; do
		entity=${pair%%:*}
		want=$(sql "${pair#*:}")
		[ "$want" -gt 0 ] || fail "$entity: fixture has no rows"
		got=$(/usr/bin/python3 - "$T/pkg" "$entity" <<'PY'
import json, sys
d, e = sys.argv[1:]
m = json.load(open(d + "/manifest.json"))
counts = [s for s in m["sources"] if s["name"] == "campus"][0]["counts"]
n = sum(r["source"] == "campus" for r in json.load(open(d + "/data/" + e + ".json"))["records"])
print(counts.get(e), n)
PY
)
		[ "$got" = "$want $want" ] ||
			fail "$entity: manifest and file say '$got', database has $want"
	done
	# the other Alice's rows never appear
	! grep -rqF -e "CMP-2025-0050" -e "RCL-2025-312" "$T/pkg/data" ||
		fail "Alice Dubois's data is in Alice Martin's package"
}

test_numeric_amount_keeps_its_exact_digits() {
	pg_setup
	expect_exit 0 export_campus
	unpack "$T/a.zip" "$T/pkg"
	grep -qF '"amount":"19.90"' "$T/pkg/data/purchase.json" ||
		fail "19.90 lost: $(grep -o '"amount":[^,]*' "$T/pkg/data/purchase.json")"
	grep -qF '"amount":"1234567890.05"' "$T/pkg/data/purchase.json" ||
		fail "1234567890.05 lost"
	# a numeric in a number field is a JSON number with the same digits
	grep -qF '"percent":37.50' "$T/pkg/data/progress.json" ||
		fail "percent: $(grep -o '"percent":[^,]*' "$T/pkg/data/progress.json")"
}

test_paris_timestamps_become_the_right_utc_instant() {
	pg_setup
	# Neither the database's nor the session's time zone may matter.
	sql "ALTER DATABASE $DB SET timezone TO 'Asia/Tokyo'" >/dev/null
	PGTZ=America/New_York expect_exit 0 export_campus
	unpack "$T/a.zip" "$T/pkg"
	# 2025-08-28 21:14 in Paris (summer, +02) and 2026-07-01 12:30 (+02)
	[ "$(field purchase 0 purchased_at)" = '"2025-08-28T19:14:00Z"' ] ||
		fail "summer time: $(field purchase 0 purchased_at)"
	[ "$(field purchase 1 purchased_at)" = '"2026-07-01T10:30:00Z"' ] ||
		fail "summer time: $(field purchase 1 purchased_at)"
	# 2026-01-05 10:00 in Paris (winter, +01)
	[ "$(field account 0 last_login_at)" = '"2026-01-05T09:00:00Z"' ] ||
		fail "winter time: $(field account 0 last_login_at)"
	[ "$(field answer 2 submitted_at)" = '"2025-09-15T08:19:59.25Z"' ] ||
		fail "fraction: $(field answer 2 submitted_at)"
}

test_non_ascii_and_emoji_survive_byte_for_byte() {
	pg_setup
	expect_exit 0 export_campus
	unpack "$T/a.zip" "$T/pkg"
	for col in subject description; do
		sql "SELECT $col FROM claims WHERE reference = 'RCL-2025-311'" >"$T/want"
		/usr/bin/python3 - "$T/pkg/data/claim.json" "$col" >"$T/got" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["records"]
sys.stdout.write([x for x in r if x["source"] == "campus"][0][sys.argv[2]] + "\n")
PY
		cmp "$T/want" "$T/got" || fail "$col differs: $(cat "$T/got")"
	done
	grep -qF 'Accès impossible au manuel 😕' "$T/pkg/data/claim.json" ||
		fail "the emoji is not written as UTF-8 in claim.json"
	grep -qF 'bonne rentrée ! 🎒' "$T/pkg/data/claim.json" ||
		fail "nested message text changed"
	# the bytea document, byte for byte
	sql "SELECT encode(data, 'hex') FROM certificates WHERE account_id = 1001" >"$T/want"
	f=$(ls "$T/pkg/files/campus/")
	od -An -v -tx1 "$T/pkg/files/campus/$f" | tr -d ' \n' >"$T/got"
	echo >>"$T/got"
	cmp -s "$T/want" "$T/got" || fail "document bytes differ"
}

# expect_write_refused ENTITY SQL: the export fails, names the write, leaves
# no package and every row in place.
expect_write_refused() {
	local before after
	before=$(sql "SELECT (SELECT count(*) FROM purchases) || '/' || (SELECT count(*) FROM accounts) || '/' || (SELECT count(*) FROM audit_log) || '/' || (SELECT string_agg(amount::text, ',' ORDER BY id) FROM purchases)")
	set_query "$1" "$2"
	expect_exit 65 export_campus
	expect_err "source campus: collection $1: the query tried to write, and sources are read-only"
	expect_no_file "$T/a.zip"
	after=$(sql "SELECT (SELECT count(*) FROM purchases) || '/' || (SELECT count(*) FROM accounts) || '/' || (SELECT count(*) FROM audit_log) || '/' || (SELECT string_agg(amount::text, ',' ORDER BY id) FROM purchases)")
	[ "$before" = "$after" ] || fail "the source changed: $before -> $after"
}

test_delete_in_a_query_fails_and_rows_remain() {
	pg_setup
	expect_write_refused purchase "DELETE FROM purchases WHERE account_id = :campus_account_id::bigint RETURNING id, order_ref AS \"order\", product, amount, currency, purchased_at"
}

test_update_in_a_query_fails_and_rows_remain() {
	pg_setup
	expect_write_refused purchase "UPDATE purchases SET amount = 0 WHERE account_id = :campus_account_id::bigint RETURNING id, order_ref AS \"order\", product, amount, currency, purchased_at"
}

test_function_with_side_effects_fails_and_nothing_is_written() {
	pg_setup
	expect_write_refused account "SELECT log_access(id) AS id, login AS username FROM accounts WHERE id = :campus_account_id::bigint"
}

test_statement_timeout_is_a_clear_error() {
	pg_setup
	edit_config "c['sources'][0]['statement_timeout'] = 300"
	set_query score "SELECT id, assessment, score, taken_at FROM scores, pg_sleep(3) WHERE account_id = :campus_account_id::bigint"
	expect_exit 65 export_campus
	expect_err "source campus: collection score: statement timeout after 300 ms"
	expect_no_file "$T/a.zip"
}

test_sql_error_names_source_collection_and_server_message() {
	pg_setup
	set_query claim "SELECT reference, subject, opened_at FROM claimz WHERE account_id = :campus_account_id::bigint"
	expect_exit 65 export_campus
	expect_err 'source campus: collection claim: SQL error: relation "claimz" does not exist'
	expect_no_file "$T/a.zip"
}

test_wrong_password_exits_69_and_never_shows_it() {
	pg_setup
	# px_password must give a password on the socket (tests/pg/cluster.sh)
	psql -X -q -d "$DB" -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
SET client_min_messages = warning;
DO $$BEGIN CREATE ROLE px_password LOGIN;
EXCEPTION WHEN duplicate_object THEN NULL; END$$;
ALTER ROLE px_password PASSWORD 'right-Pw-e2e';
GRANT SELECT ON ALL TABLES IN SCHEMA public TO px_password;
SQL
	edit_config "c['sources'][0]['conninfo'] = 'user=px_password password=\${CAMPUS_PW} dbname=\${CAMPUS_DB}'"
	CAMPUS_DB=$DB CAMPUS_PW=Wrong-Secret-913 expect_exit 69 export_campus
	expect_err "source campus: cannot connect to PostgreSQL (host $PGHOST, database $DB)"
	expect_err "password authentication failed"
	! grep -rqF "Wrong-Secret-913" "$T" || fail "the password was written somewhere: $(grep -rlF Wrong-Secret-913 "$T")"
	expect_no_file "$T/a.zip"
	# the right one works
	CAMPUS_DB=$DB CAMPUS_PW=right-Pw-e2e expect_exit 0 export_campus
}

test_unreachable_server_exits_69_naming_host_and_database() {
	pg_setup
	CAMPUS_DSN="host=$T/nowhere dbname=campus" expect_exit 69 export_campus
	expect_err "source campus: cannot connect to PostgreSQL (host $T/nowhere, database campus)"
	expect_no_file "$T/a.zip"
}

test_server_stopped_mid_way_exits_69_without_package() {
	pg_setup
	# A cluster of its own: stopping the shared one would break the rest.
	local env pid rc=0
	env=$("$CLUSTER" start) || fail "cannot start a second cluster"
	(
		eval "$env"
		trap '"$CLUSTER" stop' EXIT
		"$CLUSTER" load campus "$PX_TOP/examples/postgres/campus.sql"
		# slow rows (10 ms each): the export is mid-way when the server stops
		set_query answer "SELECT g AS id, 'Q' || g AS question, to_jsonb(g) AS response, pg_sleep(0.01)::text = '' AS correct, now() AS submitted_at FROM generate_series(1, 100000) g WHERE :campus_account_id::bigint > 0"
		CAMPUS_DSN="dbname=campus" export_campus >"$T/stdout" 2>"$T/stderr" &
		pid=$!
		# stop it once the slow collection runs (not before: that would
		# test "cannot connect")
		for _ in $(seq 300); do
			[ "$(psql -X -A -t -d campus -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'portex' AND query LIKE '%generate_series%'")" = 1 ] && break
			sleep 0.1
		done
		sleep 0.5
		"$CLUSTER" halt
		wait $pid || rc=$?
		[ "$rc" = 69 ] || fail "exit $rc, expected 69: $(cat "$T/stderr")"
	)
	expect_err "source campus: collection answer: lost the connection to PostgreSQL"
	expect_no_file "$T/a.zip"
}

run_tests
