#!/bin/bash
# Tests that catch bugs once planted without any test noticing: the refusal
# to mix two people's data, and PostgreSQL's snapshot across collections.
. "$PX_TOP/tests/e2e/lib.sh"

# Two sources resolving one identity key to different people: with the
# refusal in export.c removed, one learner's package held another's data.
test_two_sources_naming_different_people_are_refused() {
	for n in 1 2; do
		sqlite3 "$T/s$n.db" "CREATE TABLE users(id TEXT, email TEXT, name TEXT);
			INSERT INTO users VALUES ('u$n', 'a@example.org', 'Person $n');"
	done
	cat >"$T/c.json" <<'JSON'
{"controller": {"name": "T"},
 "sources": [
  {"name": "one", "connector": "sqlite", "path": "s1.db",
   "resolve": [{"provides": "user_id", "query": "SELECT id FROM users WHERE email = :email"}],
   "collections": [{"entity": "profile", "category": "provided",
     "query": "SELECT name AS given_name FROM users WHERE id = :user_id"}]},
  {"name": "two", "connector": "sqlite", "path": "s2.db",
   "resolve": [{"provides": "user_id", "query": "SELECT id FROM users WHERE email = :email"}],
   "collections": [{"entity": "account", "category": "provided",
     "query": "SELECT name AS username FROM users WHERE id = :user_id"}]}]}
JSON
	expect_exit 65 "$PORTEX" export --config "$T/c.json" \
		--subject email=a@example.org --unsigned --out "$T/p.zip"
	expect_err "source two: resolve user_id"
	expect_err "refusing to mix two people's data"
	expect_no_file "$T/p.zip"
}

# A change committed by another session while the first collection runs
# (dblink_exec is that other session) must not be seen by the second:
# READ COMMITTED would show it, REPEATABLE READ does not.
test_postgres_collections_share_one_snapshot() {
	[ -n "${PGHOST:-}" ] || fail "no test PostgreSQL cluster: run through tests/run-e2e.sh"
	DB=px_e2e_$(basename "$T" | tr -cd 'a-zA-Z0-9' | tr 'A-Z' 'a-z')
	cat >"$T/db.sql" <<'SQL'
CREATE EXTENSION dblink;
CREATE TABLE users(email text, first_name text);
INSERT INTO users VALUES ('a@example.org', 'Before');
SQL
	"$PX_TOP/tests/pg/cluster.sh" load "$DB" "$T/db.sql"
	cat >"$T/c.json" <<JSON
{"controller": {"name": "T"},
 "sources": [{"name": "p", "connector": "postgres", "conninfo": "dbname=$DB",
  "collections": [
   {"entity": "profile", "category": "provided",
    "query": "SELECT u.first_name AS given_name FROM users u, (SELECT dblink_exec('dbname=$DB host=$PGHOST port=${PGPORT:-5432} user=${PGUSER:-$(id -un)}', 'UPDATE users SET first_name = ''After''')) w WHERE u.email = :email"},
   {"entity": "account", "category": "provided",
    "query": "SELECT first_name AS username FROM users WHERE email = :email"}]}]}
JSON
	expect_exit 0 "$PORTEX" export --config "$T/c.json" \
		--subject email=a@example.org --unsigned --out "$T/p.zip"
	[ "$(psql -X -A -t -d "$DB" -c "SELECT first_name FROM users")" = After ] ||
		fail "the other session did not commit: the test proves nothing"
	/usr/bin/python3 - "$T/p.zip" <<'PY' || fail "the collections saw two states"
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
rec = lambda e: json.loads(z.read("data/%s.json" % e))["records"]
assert [r["given_name"] for r in rec("profile")] == ["Before"], rec("profile")
assert [r["username"] for r in rec("account")] == ["Before"], rec("account")
PY
}

run_tests
