#!/bin/bash
# t_sources_check.sh - `portex sources check` against real sources: the
# PostgreSQL campus (throwaway cluster), the SQLite demo and the mock REST
# partner. Its counts are what an actual export's manifest.json says; it
# writes nothing; it fails as export fails (same exit code, same source
# named).
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"
. "$PX_TOP/tests/e2e/pg.sh"
. "$PX_TOP/tests/e2e/rest_lib.sh"

export PL_CLIENT_ID=portex-test-client
export PL_CLIENT_SECRET=pl-secret-9f8e7d6c5b4a3921
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost

ALICE=email=alice.martin@example.org

# setup: campus (PostgreSQL) and classe (SQLite) from pg.sh, plus the
# Polylearn partner on the mock, in $T/demo.json.
setup() {
	pg_setup
	mock_start
	edit_config "c['sources'].append({'name': 'polylearn', 'connector': 'rest', 'profile': '$PX_TOP/connectors/polylearn.json', 'base_url': '$URL', 'auth': {'client_id': '\${PL_CLIENT_ID}', 'client_secret': '\${PL_CLIENT_SECRET}'}})"
}

check() {
	"$PORTEX" sources check --config "$T/demo.json" "$@"
}

# listing: every file under $T but the mock's own and the test's outputs
listing() {
	(cd "$T" && find . -path ./stdout -o -path ./stderr -o -name 'mock.*' -o -print | sort)
}

test_counts_equal_what_the_export_manifest_says() {
	setup
	before=$(listing)
	expect_exit 0 check --subject "$ALICE" --scope access --json
	[ "$before" = "$(listing)" ] ||
		fail "sources check wrote: $(diff <(echo "$before") <(listing))"
	cp "$T/stdout" "$T/check.json"
	[ ! -e "$T/out/portex.db" ] || fail "a ledger was created"
	expect_exit 0 export_campus --scope access
	/usr/bin/python3 - "$T/check.json" "$T/a.zip" <<'EOF' || fail "counts differ from the manifest"
import json, sys, zipfile
chk = json.load(open(sys.argv[1]))
man = json.loads(zipfile.ZipFile(sys.argv[2]).read("manifest.json"))
got = {}
for c in chk["collections"]:
    k = (c["source"], c["entity"])
    got[k] = got.get(k, 0) + c["records"]
want = {(s["name"], e): n for s in man["sources"] for e, n in s["counts"].items()}
assert got == want, (got, want)
assert chk["records"] == sum(want.values()), chk["records"]
# all three kinds of source took part, with records
assert {s for s, _ in want} == {"campus", "classe", "polylearn"}, want
assert all(want[k] > 0 for k in want if k[1] in ("score", "progress")), want
assert [s["name"] for s in chk["sources"]] == ["campus", "classe", "polylearn"]
print(chk["records"])
EOF
	# the text form says the same total
	expect_exit 0 check --subject "$ALICE" --scope access
	expect_out "total: $(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["records"])' "$T/check.json")"
	expect_out "campus/score"
	expect_out "polylearn/score"
}

test_portability_leaves_derived_out_as_export_does() {
	setup
	expect_exit 0 check --subject "$ALICE" --json
	grep -q '"derived"' "$T/stdout" && fail "derived collection counted for portability"
	expect_out '"scope": "portability"'
}

test_resolve_order_follows_the_keys_not_the_config() {
	setup
	# classe comes first in the file, but its step needs campus's key
	edit_config "s = c['sources'].pop(1); s['resolve'][0]['query'] = 'SELECT id FROM users WHERE lower(email) = lower(:email) AND :campus_account_id IS NOT NULL'; c['sources'].insert(0, s)"
	expect_exit 0 check --json
	/usr/bin/python3 - "$T/stdout" <<'EOF' || fail "wrong order: $(cat "$T/stdout")"
import json, sys
r = json.load(open(sys.argv[1]))
order = [(s["source"], s["provides"]) for s in r["resolve"]]
assert order == [("campus", "campus_account_id"), ("polylearn", "polylearn_id"),
                 ("classe", "classe_user_id")], order
assert r["resolve"][0]["needs"] == ["email"], r["resolve"][0]
assert sorted(r["resolve"][2]["needs"]) == ["campus_account_id", "email"], r["resolve"][2]
assert "collections" not in r
EOF
	expect_exit 0 check
	expect_out "1. campus: campus_account_id (from email)"
	expect_out "3. classe: classe_user_id (from "
	# with a subject: the steps that ran, found or not
	expect_exit 0 check --subject email=alice.dubois@example.org
	expect_out "1. campus: campus_account_id (from email) found"
	expect_out "polylearn_id (from email) not found"
}

# same_failure CODE TEXT: sources check and export both exit CODE naming TEXT
same_failure() {
	expect_exit "$1" check --subject "$ALICE"
	expect_err "$2"
	expect_exit "$1" export_campus
	expect_err "$2"
	expect_no_file "$T/a.zip"
}

test_unreachable_postgres_is_69_naming_it() {
	setup
	export CAMPUS_DSN="host=127.0.0.1 port=1 dbname=x connect_timeout=2"
	same_failure 69 "campus"
	expect_exit 69 check
	expect_err "campus"
}

test_unreachable_partner_is_69_naming_it() {
	setup
	edit_config "c['sources'][2]['base_url'] = 'http://127.0.0.1:1'"
	edit_config "c['sources'][2]['max_attempts'] = 1"
	same_failure 69 "polylearn"
}

test_missing_sqlite_file_fails_as_export_does() {
	setup
	rm "$T/out/demo.db"
	code=0
	export_campus >/dev/null 2>&1 || code=$?
	[ "$code" != 0 ] || fail "export succeeded without its SQLite file"
	same_failure "$code" "classe"
}

test_subject_nowhere_is_67_and_unknown_key_64() {
	setup
	expect_exit 67 check --subject email=nobody@example.org
	expect_err "subject found in no source"
	expect_exit 64 check --subject mail=x@example.org
	expect_err "did you mean email?"
	expect_exit 64 export_campus --subject mail=x@example.org
}

# Values the normaliser takes but the schema refuses (a pattern, a bound):
# only the record validator catches them, as the packager does for export.
test_bad_record_is_65_naming_it_as_export_does() {
	setup
	edit_config "[x for x in c['sources'][1]['collections'] if x['entity'] == 'purchase'][0]['query'] = '''SELECT id AS [order], product, '1.00' AS amount, 'euro' AS currency, ordered_at AS purchased_at FROM orders WHERE user_id = :classe_user_id'''"
	same_failure 65 "source classe: entity purchase: record 1: field currency"
}

test_bad_postgres_record_is_65_naming_it_as_export_does() {
	setup
	set_query score "SELECT 'q' AS assessment, 1 AS score, now() AS taken_at, 0 AS attempt"
	same_failure 65 "source campus: entity score: record 1: field attempt"
}

test_config_error_is_78_with_its_path() {
	setup
	edit_config "c['sources'][1]['colections'] = []"
	same_failure 78 "/sources/1"
}

test_usage() {
	expect_exit 64 "$PORTEX" sources
	expect_err "expected 'check'"
	expect_exit 64 "$PORTEX" sources list --config x
	expect_err "'list': expected 'check'"
	expect_exit 64 "$PORTEX" sources check
	expect_err "--config is needed"
	expect_exit 64 "$PORTEX" sources check --config x --subject novalue
	expect_err "expected KEY=VALUE"
}

run_tests
