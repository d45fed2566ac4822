#!/bin/bash
# End-to-end: xapi/statements.json, checked with Learning Locker's
# xapi-validation (npm), which portex did not write.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"

VALIDATOR="$PX_TOP/build/npm/node_modules/xapi-validation"

need_validator() {
	have_npm_tool "$VALIDATOR" xapi-validation
}

# xvalidate FILE: every statement accepted (prints the counts)
xvalidate() {
	node "$PX_TOP/tests/tools/xapi_validate.js" "$1" >"$T/xv.out" 2>"$T/xv.err" ||
		fail "xapi-validation rejected statements: $(cat "$T/xv.out" "$T/xv.err" | head -c 1500)"
	cat "$T/xv.out"
}

jq_py() {
	/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

test_demo_statements_pass_an_xapi_validator_and_are_signed() {
	need_validator || return 0
	demo_setup
	expect_exit 0 export_alice
	unpack "$T/alice.zip" "$T/pkg"
	expect_file "$T/pkg/xapi/statements.json"
	out=$(xvalidate "$T/pkg/xapi/statements.json")
	n=$(jq_py "$T/pkg/xapi/statements.json" 'len(j)')
	[ "$out" = "xapi: $n statements, 0 rejected" ] || fail "validator said: $out"
	[ "$(jq_py "$T/pkg/manifest.json" 'j["xapi"]["statements"]')" = "$n" ] ||
		fail "manifest count differs from the file"
	[ "$(jq_py "$T/pkg/manifest.json" '[f["media_type"] for f in j["files"] if f["path"] == "xapi/statements.json"]')" = "['application/json']" ] ||
		fail "xapi/statements.json not listed in the manifest's files"
	grep -q 'URI="xapi/statements.json"' "$T/pkg/META-INF/ASiCManifest.xml" ||
		fail "statements not covered by the signature"
	expect_exit 0 "$PORTEX" verify "$T/alice.zip"
	# Every verb of the mapping the demo can show, one actor, UTC times.
	verbs=$(jq_py "$T/pkg/xapi/statements.json" 'sorted(set(s["verb"]["display"]["en-US"] for s in j))')
	[ "$verbs" = "['answered', 'completed', 'failed', 'logged-in', 'logged-out', 'passed', 'progressed']" ] ||
		fail "verbs: $verbs"
	[ "$(jq_py "$T/pkg/xapi/statements.json" 'set(s["actor"]["mbox"] for s in j)')" = \
		"{'mailto:alice.martin@example.org'}" ] || fail "actor"
	[ "$(jq_py "$T/pkg/xapi/statements.json" 'all(s["timestamp"].endswith("Z") for s in j)')" = True ] ||
		fail "a timestamp is not UTC"
	# not_started progress has nothing to state: counted, not guessed.
	[ "$(jq_py "$T/pkg/manifest.json" 'j["xapi"]["unmapped"]["progress"]["not_started: no activity to state"]')" = 1 ] ||
		fail "unmapped record not counted: $(jq_py "$T/pkg/manifest.json" 'j["xapi"]')"
}

test_statement_ids_are_stable_across_exports() {
	demo_setup
	expect_exit 0 export_alice
	expect_exit 0 "$PORTEX" export --config "$T/demo.json" \
		--subject email=alice.martin@example.org --out "$T/again.zip"
	unpack "$T/alice.zip" "$T/a"
	unpack "$T/again.zip" "$T/b"
	ids_a=$(jq_py "$T/a/xapi/statements.json" 'sorted(s["id"] for s in j)')
	ids_b=$(jq_py "$T/b/xapi/statements.json" 'sorted(s["id"] for s in j)')
	[ "$ids_a" = "$ids_b" ] || fail "statement ids changed between two exports"
	[ "$(jq_py "$T/a/xapi/statements.json" 'len(set(s["id"] for s in j)) == len(j)')" = True ] ||
		fail "two statements share an id"
}

test_format_none_leaves_xapi_out() {
	demo_setup
	expect_exit 0 export_alice --format none
	unpack "$T/alice.zip" "$T/pkg"
	[ ! -e "$T/pkg/xapi" ] || fail "xapi/ written with --format none"
	[ "$(jq_py "$T/pkg/manifest.json" '"xapi" in j')" = False ] || fail "manifest names xapi"
	expect_exit 64 export_alice --format pdf --force
	expect_err "--format pdf: 'pdf' is not a format"
}

test_source_without_activity_base_is_counted_not_guessed() {
	demo_setup
	edit_config "del c['sources'][0]['xapi']"
	expect_exit 0 export_alice
	unpack "$T/alice.zip" "$T/pkg"
	[ ! -e "$T/pkg/xapi/statements.json" ] || fail "statements made without activity_base"
	[ "$(jq_py "$T/pkg/manifest.json" 'j["xapi"]["unmapped"]["answer"]["source has no xapi.activity_base"]')" -gt 0 ] ||
		fail "not counted: $(jq_py "$T/pkg/manifest.json" 'j["xapi"]')"
}

test_misspelt_xapi_key_is_refused() {
	demo_setup
	edit_config "c['sources'][0]['xapi'] = {'activity_bse': 'https://x.example/'}"
	expect_exit 78 export_alice
	expect_err "/sources/0/xapi"
	expect_err "activity_base"
}

test_ten_thousand_answers_all_pass_the_validator() {
	need_validator || return 0
	demo_setup
	sqlite3 "$T/out/demo.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
		INSERT INTO responses (attempt_id, question, prompt, response, correct, points, submitted_at)
		SELECT 100, 'gen-' || i, 'Question « n° ' || i || ' »', json_quote('réponse ' || i), i % 2, i % 3,
		       strftime('%Y-%m-%d %H:%M:%S', 1700000000 + i * 60, 'unixepoch') FROM n;" ||
		fail "could not add answers"
	expect_exit 0 export_alice
	unpack "$T/alice.zip" "$T/pkg"
	out=$(xvalidate "$T/pkg/xapi/statements.json")
	n=$(jq_py "$T/pkg/xapi/statements.json" 'len([s for s in j if s["verb"]["display"]["en-US"] == "answered"])')
	[ "$n" -ge 10000 ] || fail "only $n answered statements"
	case "$out" in *", 0 rejected") ;; *) fail "validator said: $out" ;; esac
}

test_the_validator_does_reject_a_broken_statement() {
	need_validator || return 0
	demo_setup
	expect_exit 0 export_alice
	unpack "$T/alice.zip" "$T/pkg"
	/usr/bin/python3 - "$T/pkg/xapi/statements.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s[0]["verb"]["id"] = "not an iri"
s[1]["timestamp"] = "yesterday"
json.dump(s, open(sys.argv[1], "w"))
PY
	! node "$PX_TOP/tests/tools/xapi_validate.js" "$T/pkg/xapi/statements.json" >"$T/xv.txt" 2>&1 ||
		fail "a broken statement passed"
	grep -q "2 rejected" "$T/xv.txt" || fail "validator output: $(cat "$T/xv.txt")"
}

# schemas/xapi-config.json (for editors) accepts what portex accepts and
# refuses the typos portex refuses, checked by ajv (strict, draft 2020-12).
test_xapi_config_schema_agrees_with_portex() {
	AJV="$PX_TOP/build/npm/node_modules/.bin/ajv"
	have_npm_tool "$AJV" ajv || return 0
	ajv() { "$AJV" validate --spec=draft2020 --strict=true -c ajv-formats \
		-s "$PX_TOP/schemas/xapi-config.json" -d "$1" >"$T/ajv.out" 2>&1; }
	demo_setup
	edit_config "c['xapi'] = {'home_page': 'https://campus.example/', 'lrs': {'campus': {'endpoint': 'https://lrs.example/xapi/', 'username': 'k', 'password': 'p', 'batch_size': 50, 'timeout_seconds': 30}}}"
	ajv "$T/demo.json" || fail "ajv refuses a config portex accepts: $(cat "$T/ajv.out")"
	expect_exit 0 export_alice
	cp "$T/demo.json" "$T/good.json"
	# OAuth2 client credentials instead of Basic, and a Retry-After bound.
	edit_config "e = c['xapi']['lrs']['campus']; e.pop('username'); e.pop('password'); e['max_wait_seconds'] = 120; e['oauth2'] = {'token_url': 'https://lrs.example/oauth/token', 'client_id': 'i', 'client_secret': 's', 'scope': 'statements/write'}"
	ajv "$T/demo.json" || fail "ajv refuses an OAuth2 config portex accepts: $(cat "$T/ajv.out")"
	expect_exit 0 export_alice --force
	cp "$T/demo.json" "$T/good-oauth2.json"
	for bad in "c['xapi']['lrs']['campus']['oauth2']['scpe'] = 'x'" \
		"del c['xapi']['lrs']['campus']['oauth2']['client_secret']" \
		"c['xapi']['lrs']['campus']['oauth2']['token_url'] = 'http://lrs.example/oauth/token'" \
		"c['xapi']['lrs']['campus'].update(username='k', password='p')" \
		"c['xapi']['lrs']['campus']['max_wait_seconds'] = 0"; do
		cp "$T/good-oauth2.json" "$T/demo.json"
		edit_config "$bad"
		! ajv "$T/demo.json" || fail "ajv accepts: $bad"
		"$PORTEX" transmit "$T/alice.zip" --to campus --request 1 \
			--config "$T/demo.json" --ledger "sqlite:$T/l.db" >"$T/stdout" 2>"$T/stderr" && fail "portex accepts: $bad"
		grep -q "/xapi/lrs/campus" "$T/stderr" || fail "portex on '$bad': $(cat "$T/stderr")"
	done
	for bad in "c['xapi']['lrs']['campus']['batch_sise'] = 5" \
		"c['xapi']['lrs']['campus']['endpoint'] = 'http://lrs.example/xapi/'" \
		"del c['xapi']['lrs']['campus']['password']" \
		"c['xapi']['lrs']['campus']['batch_size'] = 0" \
		"c['sources'][0]['xapi']['activity_bse'] = 'https://x.example/'"; do
		cp "$T/good.json" "$T/demo.json"
		edit_config "$bad"
		! ajv "$T/demo.json" || fail "ajv accepts: $bad"
		case "$bad" in
		*sources*)
			expect_exit 78 export_alice --force ;;
		*)
			"$PORTEX" transmit "$T/alice.zip" --to campus --request 1 \
				--config "$T/demo.json" --ledger "sqlite:$T/l.db" >"$T/stdout" 2>"$T/stderr" && fail "portex accepts: $bad"
			grep -q "/xapi/lrs/campus" "$T/stderr" || fail "portex on '$bad': $(cat "$T/stderr")" ;;
		esac
	done
}

run_tests
