#!/bin/bash
# Strict config keys: a key no object may hold is a config error (78) naming
# the file, the JSON path and the nearest valid key, never silently ignored.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"

# typo_refused PYTHON PATH NEAR: after the edit, the export is refused
typo_refused() {
	demo_setup
	edit_config "$1"
	expect_exit 78 export_alice
	expect_err "$T/demo.json: $2: unknown key"
	expect_err "did you mean \"$3\"?"
	expect_no_file "$T/alice.zip"
}

test_misspelt_collections_is_refused_not_an_empty_package() {
	typo_refused 's = c["sources"][0]; s["colections"] = s.pop("collections")' \
		/sources/0/colections collections
}

test_misspelt_contact_is_refused() {
	typo_refused 'c["controller"]["contcat"] = c["controller"].pop("contact")' \
		/controller/contcat contact
}

test_misspelt_json_in_a_collection_is_refused() {
	typo_refused 'q = c["sources"][0]["collections"][5]; q["jsn"] = q.pop("json")' \
		/sources/0/collections/5/jsn json
}

test_misspelt_locale_is_refused() {
	typo_refused 'c["locael"] = c.pop("locale")' /locael locale
}

test_misspelt_calendar_is_refused() {
	typo_refused 'c["deadline"]["calender"] = c["deadline"].pop("calendar")' \
		/deadline/calender calendar
}

test_misspelt_resolve_key_is_refused() {
	typo_refused 'r = c["sources"][0]["resolve"][0]; r["provide"] = r.pop("provides")' \
		/sources/0/resolve/0/provide provides
}

test_unknown_key_lists_the_valid_ones() {
	demo_setup
	edit_config 'c["sources"][0]["zzzzzzzzzz"] = 1'
	expect_exit 78 export_alice
	expect_err "/sources/0/zzzzzzzzzz: unknown key"
	expect_err "expected one of: name, connector"
	expect_err "path, resolve, collections)"
	if grep -q "did you mean" "$T/stderr"; then
		fail "suggested a key for a word near none: $(cat "$T/stderr")"
	fi
}

test_misspelt_key_in_a_postgres_source_is_refused() {
	cat >"$T/pg.json" <<'JSON'
{"controller": {"name": "T"},
 "sources": [{"name": "lms", "connector": "postgres", "conninfo": "dbname=x",
   "statment_timeout": "5s", "collections": []}]}
JSON
	expect_exit 78 "$PORTEX" export --config "$T/pg.json" \
		--subject email=a@example.org --unsigned --out "$T/p.zip"
	expect_err "/sources/0/statment_timeout"
	expect_err 'did you mean "statement_timeout"?'
}

test_misspelt_key_in_a_rest_source_is_refused() {
	cat >"$T/rest.json" <<'JSON'
{"controller": {"name": "T"},
 "sources": [{"name": "p", "connector": "rest", "profile": "polylearn.json",
   "base_url": "http://127.0.0.1:1", "auth": {"client_id": "a",
   "clientsecret": "b"}}]}
JSON
	expect_exit 78 "$PORTEX" export --config "$T/rest.json" \
		--subject email=a@example.org --unsigned --out "$T/p.zip"
	expect_err "/sources/0/auth/clientsecret"
	expect_err 'did you mean "client_secret"?'
}

test_every_command_reading_a_config_is_strict() {
	demo_setup
	edit_config 'c["locael"] = c.pop("locale")'
	expect_exit 78 "$PORTEX" request list --config "$T/demo.json"
	expect_err "/locael"
}

run_tests
