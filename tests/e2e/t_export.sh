#!/bin/bash
# End-to-end: `portex export` on the SQLite demo platform, checked the way a
# recipient would, with tools portex did not write.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"

test_demo_export_passes_zipfile_and_jsonschema() {
	demo_setup
	expect_exit 0 export_alice
	expect_out "records: 20"
	/usr/bin/python3 -m zipfile -t "$T/alice.zip" >/dev/null ||
		fail "python3 -m zipfile -t rejects the package"
	/usr/bin/python3 "$PX_TOP/tests/tools/check_package.py" "$T/alice.zip" \
		--repo-schemas "$PX_TOP/schemas" >"$T/check" 2>&1 ||
		fail "check_package.py: $(cat "$T/check")"
}

test_mimetype_is_first_and_stored() {
	demo_setup
	expect_exit 0 export_alice
	/usr/bin/python3 - "$T/alice.zip" <<'PY' || fail "mimetype is not first/stored"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
first = z.infolist()[0]
assert first.filename == "mimetype", first.filename
assert first.compress_type == zipfile.ZIP_STORED
assert first.extra == b""
assert z.read("mimetype") == b"application/vnd.etsi.asic-e+zip"
PY
}

test_counts_in_manifest_match_the_database() {
	demo_setup
	expect_exit 0 export_alice --scope access
	unpack "$T/alice.zip" "$T/pkg"
	db="$T/out/demo.db"
	for pair in "score:SELECT count(*) FROM attempts WHERE user_id=1" \
		"answer:SELECT count(*) FROM responses r JOIN attempts a ON a.id=r.attempt_id WHERE a.user_id=1" \
		"progress:SELECT count(*) FROM enrolments WHERE user_id=1" \
		"purchase:SELECT count(*) FROM orders WHERE user_id=1" \
		"connection:SELECT count(*) FROM logins WHERE user_id=1" \
		"annotation:SELECT (SELECT count(*) FROM notes WHERE user_id=1) + (SELECT count(*) FROM recommendations WHERE user_id=1)"; do
		entity=${pair%%:*}
		want=$(sqlite3 "$db" "${pair#*:}")
		got=$(/usr/bin/python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(m['sources'][0]['counts']['$entity'])" "$T/pkg/manifest.json")
		n=$(/usr/bin/python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['records']))" "$T/pkg/data/$entity.json")
		[ "$got" = "$want" ] && [ "$n" = "$want" ] ||
			fail "$entity: manifest says $got, file holds $n, database has $want"
	done
}

test_other_learner_never_appears_in_the_package() {
	demo_setup
	expect_exit 0 export_alice --scope access
	unpack "$T/alice.zip" "$T/pkg"
	# Everything that identifies Alice Dubois, the other Alice.
	for needle in Dubois dubois adubois "98 76 54 32" "Victor Hugo" \
		"Le petit tailleur" SAV-990 CMD-2025-0300 "198.51.100.23" \
		"Il était une fois" "lecture guidée" "Français 6e"; do
		if grep -rlF -- "$needle" "$T/pkg" >"$T/hits"; then
			fail "'$needle' (the other learner) found in: $(cat "$T/hits")"
		fi
	done
	grep -qF "alice.martin@example.org" "$T/pkg/data/profile.json" ||
		fail "the subject's own profile is missing"
}

test_portability_leaves_out_derived_data() {
	demo_setup
	expect_exit 0 export_alice
	unpack "$T/alice.zip" "$T/pkg"
	grep -q '"category":"derived"' "$T/pkg/data/annotation.json" &&
		fail "derived recommendation exported under portability"
	grep -qF "Revoir le present perfect" "$T/pkg/data/annotation.json" ||
		fail "the learner's own note is missing"
	grep -q '"scope": "portability"' "$T/pkg/manifest.json" ||
		fail "manifest does not say portability"
	grep -q '"derived"' "$T/pkg/manifest.json" &&
		fail "manifest lists the derived category under portability"
	return 0
}

test_access_includes_derived_recommendation() {
	demo_setup
	expect_exit 0 export_alice --scope access
	unpack "$T/alice.zip" "$T/pkg"
	grep -q '"category":"derived"' "$T/pkg/data/annotation.json" ||
		fail "derived recommendation missing under access"
	grep -qF "compréhension orale" "$T/pkg/data/annotation.json" ||
		fail "recommendation text missing"
	grep -q '"scope": "access"' "$T/pkg/manifest.json" ||
		fail "manifest does not say access"
}

test_values_follow_the_common_rules() {
	demo_setup
	expect_exit 0 export_alice
	unpack "$T/alice.zip" "$T/pkg"
	/usr/bin/python3 - "$T/pkg" <<'PY' || fail "a value breaks the common rules"
import json, sys, re
d = sys.argv[1] + "/data/"
rec = lambda e: json.load(open(d + e + ".json"))["records"]
p = rec("purchase")
assert [x["amount"] for x in p] == ["49.90", "19.90"], p
c = rec("connection")
# 1763660531 seconds since the epoch, logged by the platform
assert c[0]["at"] == "2025-11-20T17:42:11Z", c[0]
assert "duration_seconds" not in c[1]          # NULL stays absent
a = {x["question"] + x["assessment"]: x["response"] for x in rec("answer")}
assert a["q2EN-B2-01-Q3"] == {"give up": "abandonner", "put off": "reporter"}
assert a["q1EN-B2-02-Q1"] == ["10:15", "10:50"]
s = rec("score")
assert s[0]["passed"] is True and s[1]["passed"] is False
assert all(isinstance(x["id"], str) for x in s)
# fields in the schema's order, whatever order the query chose
props = list(json.load(open(sys.argv[1] + "/schemas/score.schema.json"))
             ["properties"]["records"]["items"]["properties"])
for r in s:
    keys = list(r)
    assert keys == [k for k in props if k in r], (keys, props)
cl = rec("claim")[0]
assert cl["messages"][1]["at"] == "2025-11-05T16:00:00Z"
ts = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
for e in ("profile", "licence", "progress", "score", "answer"):
    for r in rec(e):
        for k, v in r.items():
            if k.endswith("_at"):
                assert ts.match(v), (e, k, v)
PY
}

test_document_is_stored_under_a_safe_name() {
	demo_setup
	expect_exit 0 export_alice
	unpack "$T/alice.zip" "$T/pkg"
	f="$T/pkg/files/classe/rédaction_anglais.txt"
	[ -f "$f" ] || fail "document not at files/classe/rédaction_anglais.txt: $(ls -R "$T/pkg/files")"
	grep -q "My favourite place" "$f" || fail "document bytes differ"
	want=$(sha256sum "$f" | cut -d' ' -f1)
	grep -q "\"sha256\":\"$want\"" "$T/pkg/data/document.json" ||
		fail "document.json does not carry the file's SHA-256"
	/usr/bin/python3 -c "
import sys, zipfile
for n in zipfile.ZipFile(sys.argv[1]).namelist():
    assert '..' not in n and not n.startswith('/'), n
" "$T/alice.zip" || fail "an entry name escapes the package"
}

test_export_never_overwrites_without_force() {
	demo_setup
	echo "precious" >"$T/alice.zip"
	expect_exit 73 export_alice
	expect_err "already exists"
	expect_err "--force"
	[ "$(cat "$T/alice.zip")" = precious ] || fail "existing file was changed"
	ls -A "$T" | grep -q '\.tmp' && fail "temporary file left behind"
	expect_exit 0 export_alice --force
	/usr/bin/python3 -m zipfile -t "$T/alice.zip" >/dev/null || fail "not replaced"
}

test_unwritable_output_folder_is_refused() {
	demo_setup
	expect_exit 73 export_alice --out "$T/no/such/dir/p.zip"
	expect_err "folder $T/no/such/dir does not exist"
	mkdir "$T/ro"
	chmod 555 "$T/ro"
	chmod 755 "$T"
	chmod -R a+rX "$T/out" "$T/demo.json"
	# root may write anywhere: check as an ordinary user, with a copy of
	# the binary that user can run wherever the clone is (root's 0700
	# home, say).
	as_user=""
	bin=$PORTEX
	if [ "$(id -u)" = 0 ]; then
		as_user="runuser -u nobody --"
		bin=$T/portex
		cp "$PORTEX" "$bin"
		chmod 755 "$bin"
		# Under valgrind $PORTEX is a wrapper running $PORTEX_REAL,
		# which lives in the clone too.
		if [ -n "${PORTEX_REAL:-}" ]; then
			cp "$PORTEX_REAL" "$T/portex-real"
			chmod 755 "$T/portex-real"
			export PORTEX_REAL=$T/portex-real
		fi
	fi
	expect_exit 73 $as_user "$bin" export --config "$T/demo.json" \
		--subject email=alice.martin@example.org --unsigned \
		--out "$T/ro/p.zip"
	expect_err "folder $T/ro is not writable"
	expect_no_file "$T/ro/p.zip"
}

test_missing_config_is_a_config_error() {
	expect_exit 78 "$PORTEX" export --config "$T/nope.json" \
		--subject email=a@b.c --out "$T/p.zip" --unsigned
	expect_err "cannot read config $T/nope.json"
	expect_no_file "$T/p.zip"
}

test_invalid_json_names_line_and_column() {
	demo_setup
	printf '{\n  "controller": {"name": "X"},\n  "sources": [,]\n}\n' >"$T/demo.json"
	expect_exit 78 export_alice
	expect_err "$T/demo.json: line 3, column"
	expect_err "invalid JSON"
	expect_no_file "$T/alice.zip"
}

test_unknown_connector_names_the_json_path() {
	demo_setup
	edit_config 'c["sources"][0]["connector"] = "mongodb"'
	expect_exit 78 export_alice
	expect_err "/sources/0/connector"
	expect_err "unknown connector \"mongodb\""
	expect_no_file "$T/alice.zip"
}

test_unset_variable_is_named() {
	demo_setup
	edit_config 'c["sources"][0]["path"] = "${PX_TEST_UNSET_VAR}"'
	unset PX_TEST_UNSET_VAR
	expect_exit 78 export_alice
	expect_err "/sources/0/path"
	expect_err "environment variable PX_TEST_UNSET_VAR is not set"
	expect_no_file "$T/alice.zip"
}

test_variable_is_substituted_from_the_environment() {
	demo_setup
	edit_config 'c["sources"][0]["path"] = "${PX_TEST_DB}"'
	PX_TEST_DB="$T/out/demo.db" expect_exit 0 export_alice
}

test_placeholder_no_source_provides_is_a_config_error() {
	demo_setup
	edit_config 'c["sources"][0]["collections"][0]["query"] = "SELECT email FROM users WHERE id = :crm_id"'
	expect_exit 78 export_alice
	expect_err "/sources/0/collections/0"
	expect_err "placeholder :crm_id"
	expect_no_file "$T/alice.zip"
}

test_sql_error_names_source_and_collection() {
	demo_setup
	edit_config 'c["sources"][0]["collections"][4]["query"] = "SELECT quiz AS assessment FROM no_such_table WHERE user_id = :classe_user_id"'
	expect_exit 65 export_alice
	expect_err "source classe"
	expect_err "collection score"
	expect_err "no such table: no_such_table"
	expect_no_file "$T/alice.zip"
}

test_unknown_entity_is_a_config_error() {
	demo_setup
	edit_config 'c["sources"][0]["collections"][4]["entity"] = "grade"'
	expect_exit 78 export_alice
	expect_err "/sources/0/collections/4/entity"
	expect_err "unknown entity \"grade\""
	expect_no_file "$T/alice.zip"
}

test_record_breaking_its_schema_names_source_entity_record_field() {
	demo_setup
	sqlite3 "$T/out/demo.db" "UPDATE attempts SET taken_at = 'last tuesday' WHERE id = 101"
	expect_exit 65 export_alice
	expect_err "source classe: entity score: record 2: field taken_at"
	expect_err "expected a timestamp"
	expect_no_file "$T/alice.zip"
}

test_record_with_a_bad_enum_value_is_rejected() {
	demo_setup
	sqlite3 "$T/out/demo.db" "UPDATE enrolments SET status = 'done' WHERE course_id = 'MA-T-05'"
	expect_exit 65 export_alice
	expect_err "entity progress: record 3: field status"
	expect_no_file "$T/alice.zip"
}

test_column_alias_outside_the_schema_is_rejected() {
	demo_setup
	edit_config 'c["sources"][0]["collections"][0]["query"] = "SELECT first_name AS givn_name FROM users WHERE id = :classe_user_id"'
	expect_exit 65 export_alice
	expect_err "entity profile: record 1"
	expect_err "givn_name"
	expect_no_file "$T/alice.zip"
}

test_subject_found_in_no_source_exits_67() {
	demo_setup
	expect_exit 67 "$PORTEX" export --config "$T/demo.json" \
		--subject email=nobody@example.org --out "$T/p.zip"
	expect_err "found in no source"
	expect_no_file "$T/p.zip"
}

test_sql_in_the_identifier_returns_nothing_and_changes_nothing() {
	demo_setup
	before=$(sqlite3 "$T/out/demo.db" .dump | sha256sum)
	expect_exit 67 "$PORTEX" export --config "$T/demo.json" \
		--subject "email=x' OR '1'='1" --out "$T/p.zip"
	expect_no_file "$T/p.zip"
	expect_exit 67 "$PORTEX" export --config "$T/demo.json" \
		--subject "email=x'; DELETE FROM users; --" --out "$T/p.zip"
	after=$(sqlite3 "$T/out/demo.db" .dump | sha256sum)
	[ "$before" = "$after" ] || fail "the source database changed"
}

test_a_query_that_writes_is_refused() {
	demo_setup
	edit_config 'c["sources"][0]["collections"][4]["query"] = "DELETE FROM attempts WHERE user_id = :classe_user_id"'
	expect_exit 65 export_alice
	expect_err "collection score"
	[ "$(sqlite3 "$T/out/demo.db" 'SELECT count(*) FROM attempts')" = 3 ] ||
		fail "rows were deleted"
	expect_no_file "$T/alice.zip"
}

test_usage_errors_exit_64() {
	expect_exit 64 "$PORTEX" export --subject email=a@b.c
	expect_err "--config"
	expect_exit 64 "$PORTEX" export --config x.json --subject nokey
	expect_err "KEY=VALUE"
	expect_exit 64 "$PORTEX" export --config x.json --subject a=b --scope all
	expect_err "portability or access"
	expect_exit 0 "$PORTEX" export --help
	expect_out "--scope"
}

test_interrupted_export_leaves_nothing_behind() {
	demo_setup
	# Enough answers that the export is still running when stopped.
	sqlite3 "$T/out/demo.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400000) INSERT INTO responses SELECT 10000 + i, 100, 'q' || i, 'p', '\"a\"', 1, 1, '2025-01-01 00:00:00' FROM n"
	mkdir "$T/spool" "$T/pk"
	TMPDIR="$T/spool" "$PORTEX" export --config "$T/demo.json" \
		--subject email=alice.martin@example.org --out "$T/pk/p.zip" \
		>"$T/stdout" 2>"$T/stderr" &
	pid=$!
	# Stopped once it has begun writing (it holds its spool open).
	wait_working "$pid" "$T/spool" || fail "the export never began writing"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" = 130 ] || fail "exit $rc, expected 130: $(cat "$T/stderr")"
	expect_err "interrupted: no package written"
	[ -z "$(ls -A "$T/pk")" ] || fail "left in the output folder: $(ls -A "$T/pk")"
	[ -z "$(ls -A "$T/spool")" ] || fail "left in TMPDIR: $(ls -A "$T/spool")"
}

test_ambiguous_identity_is_refused() {
	demo_setup
	edit_config 'c["sources"][0]["resolve"][0]["query"] = "SELECT id FROM users WHERE first_name = '"'"'Alice'"'"' AND :email <> '"'"''"'"'"'
	expect_exit 65 export_alice
	expect_err "more than one"
	expect_no_file "$T/alice.zip"
}

run_tests
