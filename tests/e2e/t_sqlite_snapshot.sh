#!/bin/bash
# SQLite sources read one snapshot for the whole export, as PostgreSQL's
# REPEATABLE READ does: a change committed while the export runs (here by
# a plugin, between two sources reading the same file) never mixes into
# the package. Without a read transaction the second source saw it.
. "$PX_TOP/tests/e2e/lib.sh"

setup() {
	cc -std=c11 -shared -fPIC -I"$PX_TOP/include" $(pkg-config --cflags jansson) \
		-o "$T/writer.so" "$PX_TOP/tests/fixtures/plugin_writer.c" ||
		fail "cannot build the writer plugin"
	# WAL: the application keeps writing while portex holds its snapshot.
	sqlite3 "$T/app.db" "PRAGMA journal_mode=WAL;
		CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT, first_name TEXT);
		INSERT INTO users VALUES (1, 'a@example.org', 'Before');" >/dev/null
	cat >"$T/c.json" <<'JSON'
{"controller": {"name": "T"},
 "plugins": ["writer.so"],
 "sources": [
  {"name": "first", "connector": "sqlite", "path": "app.db",
   "collections": [{"entity": "profile", "category": "provided",
     "query": "SELECT first_name AS given_name FROM users WHERE email = :email"}]},
  {"name": "app", "connector": "writer", "path": "app.db",
   "sql": "UPDATE users SET first_name = 'After'"},
  {"name": "second", "connector": "sqlite", "path": "app.db",
   "collections": [{"entity": "account", "category": "provided",
     "query": "SELECT first_name AS username FROM users WHERE email = :email"},
    {"entity": "profile", "category": "provided",
     "query": "SELECT first_name AS given_name FROM users WHERE email = :email"}]}]}
JSON
}

test_sqlite_sources_read_the_state_the_export_began_with() {
	setup
	expect_exit 0 "$PORTEX" export --config "$T/c.json" \
		--subject email=a@example.org --unsigned --out "$T/p.zip"
	[ "$(sqlite3 "$T/app.db" "SELECT first_name FROM users")" = After ] ||
		fail "the writer did not commit its change: the test proves nothing"
	/usr/bin/python3 - "$T/p.zip" <<'PY' || fail "the package mixes two states of app.db"
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
rec = lambda e: json.loads(z.read("data/%s.json" % e))["records"]
names = sorted((r["source"], r["given_name"]) for r in rec("profile"))
assert names == [("first", "Before"), ("second", "Before")], names
assert [r["username"] for r in rec("account")] == ["Before"], rec("account")
PY
}

run_tests
