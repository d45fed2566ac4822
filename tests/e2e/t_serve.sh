#!/bin/bash
# End-to-end: `portex serve` over HTTP with curl, the way a learner portal
# and a learner's browser use it: create, poll, download, verify; the
# refusals (token, signature, expiry, bodies), the bounds, SIGTERM and
# restart, the webhook, TLS.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"
. "$PX_TOP/tests/e2e/ledger.sh"
. "$PX_TOP/tests/e2e/serve.sh"

# ready_export: Alice's export, created and ready; $ID and $URL (its link)
ready_export() {
	[ "$(create "$ALICE")" = 202 ] || fail "POST: $(cat "$T/body")"
	ID=$(body 'j["id"]')
	wait_status "$ID" ready
	URL=$(body 'j["download_url"]')
}

# packages_left: what the package folder holds
packages_left() {
	ls -A "$T/out/packages"
}

# ledger_requests: how many requests the ledger holds
ledger_requests() {
	"$PORTEX" request list --ledger "sqlite:$T/ledger.db" --json |
		/usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

test_portal_creates_polls_downloads_and_the_package_verifies() {
	serve_setup
	serve_start
	[ "$(create "$ALICE")" = 202 ] || fail "POST: $(cat "$T/body")"
	conforms Export
	ID=$(body 'j["id"]')
	[ "$(header Location)" = "$BASE/v1/exports/$ID" ] || fail "Location: $(header Location)"
	[ "$(body 'j["due"]')" = "$("$PORTEX" due "$(date +%F)")" ] ||
		fail "due date is not the legal one: $(cat "$T/body")"
	st=$(body 'j["status"]')
	case $st in queued | running | ready) ;; *) fail "status $st" ;; esac
	wait_status "$ID" ready
	conforms Export
	URL=$(body 'j["download_url"]')
	until=$(body 'j["retrievable_until"]')
	# The learner's browser: the link alone, no token.
	code=$(curl -s -o "$T/got.zip" -D "$T/dl" -w '%{http_code}' "$URL")
	[ "$code" = 200 ] || fail "download: $code $(cat "$T/got.zip")"
	expect_exit 0 "$PORTEX" verify "$T/got.zip"
	/usr/bin/python3 "$PX_TOP/tests/tools/check_package.py" "$T/got.zip" \
		--repo-schemas "$PX_TOP/schemas" >"$T/check" 2>&1 ||
		fail "check_package.py: $(cat "$T/check")"
	grep -qi "^content-disposition: attachment; filename=\"portex-export-$ID.zip\"" "$T/dl" ||
		fail "Content-Disposition: $(cat "$T/dl")"
	sha=$(sha256sum <"$T/got.zip" | cut -d' ' -f1)
	grep -qi "^etag: \"$sha\"" "$T/dl" || fail "ETag is not the package's SHA-256: $(cat "$T/dl")"
	grep -qi "^content-length: $(stat -c %s "$T/got.zip")" "$T/dl" || fail "Content-Length"
	unpack "$T/got.zip" "$T/pkg"
	[ "$(jget "$T/pkg/manifest.json" 'j["request"]')" = "$ID" ] || fail "manifest names another request"
	# The package itself says until when the link works.
	[ "$(jget "$T/pkg/manifest.json" 'j["retrievable_until"]')" = "${until%%T*}" ] ||
		fail "manifest retrievable_until $(jget "$T/pkg/manifest.json" 'j.get("retrievable_until")'), link until $until"
	grep -qF alice.martin@example.org "$T/pkg/data/profile.json" || fail "not Alice's data"
	# The ledger: a portal request, identity confirmed, delivered by the
	# download, each step in the audit trail, which verifies.
	"$PORTEX" request show "$ID" --ledger "sqlite:$T/ledger.db" --json >"$T/req.json"
	[ "$(jget "$T/req.json" 'j["channel"]')" = portal ] || fail "channel"
	[ "$(jget "$T/req.json" 'j["status"]')" = delivered ] || fail "not delivered: $(cat "$T/req.json")"
	[ "$(jget "$T/req.json" 'j["delivery_method"]')" = download ] || fail "delivery method"
	[ "$(jget "$T/req.json" '[e["action"] for e in j["audit"]]')" = \
		"['request.add', 'request.identity-verified', 'request.export-pending', 'request.exported', 'package.download']" ] ||
		fail "audit: $(jget "$T/req.json" '[e["action"] for e in j["audit"]]')"
	expect_exit 0 "$PORTEX" audit verify --ledger "sqlite:$T/ledger.db"
	# The link's expiry is the one announced: seven days by default.
	[ "$(date -u -d "$until" +%s)" -gt "$(date -d '+6 days' +%s)" ] || fail "retrievable until $until"
	serve_stop
}

test_no_token_or_a_wrong_one_is_401_and_nothing_is_recorded() {
	serve_setup
	serve_start
	for auth in "" "Authorization: Bearer wrong" "Authorization: Bearer ${PX_TEST_TOKEN}x" \
		"Authorization: Basic $(printf 'portal:%s' "$PX_TEST_TOKEN" | base64)" \
		"Authorization: Bearer ${PX_TEST_TOKEN%?}"; do
		code=$(curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' \
			-H "$auth" -H 'Content-Type: application/json' --data "$ALICE" "$BASE/v1/exports")
		[ "$code" = 401 ] || fail "'$auth': $code"
		[ "$(body 'j["code"]')" = unauthorized ] || fail "body: $(cat "$T/body")"
		grep -qi '^www-authenticate: Bearer' "$T/headers" || fail "no WWW-Authenticate"
	done
	code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/v1/exports/1")
	[ "$code" = 401 ] || fail "GET without token: $code"
	[ "$(ledger_requests)" = 0 ] || fail "a refused request was recorded"
	[ -z "$(packages_left)" ] || fail "something was exported"
	serve_stop
}

test_an_altered_link_is_403_an_expired_one_410() {
	serve_setup
	serve_start
	ready_export
	sig=${URL##*sig=}
	exp=${URL#*expires=}
	exp=${exp%%&*}
	base="$BASE/v1/exports/$ID/package"
	flip=$(printf '%s' "$sig" | /usr/bin/python3 -c 'import sys; s=sys.stdin.read(); print(("B" if s[5]=="A" else "A").join([s[:5], s[6:]]))')
	for q in "expires=$exp&sig=$flip" "expires=$((exp + 86400))&sig=$sig" \
		"expires=$exp" "sig=$sig" "" "expires=$exp&sig=" "expires=0$exp&sig=$sig"; do
		code=$(curl -s -o "$T/body" -w '%{http_code}' "$base?$q")
		[ "$code" = 403 ] || fail "?$q: $code"
		[ "$(body 'j["code"]')" = bad_signature ] || fail "body: $(cat "$T/body")"
	done
	# A genuine signature over an expiry in the past, made with the key
	# the way any HMAC-SHA-256 implementation would.
	past=$(($(date +%s) - 60))
	old=$(/usr/bin/python3 -c '
import base64, hashlib, hmac, sys
m = hmac.new(sys.argv[1].encode(), ("portex-package\n%s\n%s" % (sys.argv[2], sys.argv[3])).encode(), hashlib.sha256)
print(base64.urlsafe_b64encode(m.digest()).decode().rstrip("="))' "$PX_TEST_LINK_KEY" "$ID" "$past")
	code=$(curl -s -o "$T/body" -w '%{http_code}' "$base?expires=$past&sig=$old")
	[ "$code" = 410 ] || fail "expired link: $code $(cat "$T/body")"
	[ "$(body 'j["code"]')" = link_expired ] || fail "body: $(cat "$T/body")"
	# The same computation with a future expiry is accepted: the test's
	# signature is the real scheme, so 410 above was for the expiry.
	fut=$(($(date +%s) + 600))
	new=$(/usr/bin/python3 -c '
import base64, hashlib, hmac, sys
m = hmac.new(sys.argv[1].encode(), ("portex-package\n%s\n%s" % (sys.argv[2], sys.argv[3])).encode(), hashlib.sha256)
print(base64.urlsafe_b64encode(m.digest()).decode().rstrip("="))' "$PX_TEST_LINK_KEY" "$ID" "$fut")
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$base?expires=$fut&sig=$new")" = 200 ] ||
		fail "a link signed with the key is refused"
	"$PORTEX" audit log --ledger "sqlite:$T/ledger.db" --request "$ID" >"$T/audit"
	[ "$(grep -c package.download "$T/audit")" = 1 ] || fail "refused downloads were audited as downloads: $(cat "$T/audit")"
	serve_stop
}

test_someone_elses_id_without_its_link_gets_no_package() {
	serve_setup
	serve_start
	ready_export
	alice=$ID
	alice_url=$URL
	[ "$(create '{"subject": {"email": "alice.dubois@example.org"}}')" = 202 ] || fail "POST"
	other=$(body 'j["id"]')
	wait_status "$other" ready
	q=${alice_url#*\?}
	for try in "$BASE/v1/exports/$other/package" "$BASE/v1/exports/$other/package?$q"; do
		code=$(curl -s -o "$T/body" -w '%{http_code}' "$try")
		[ "$code" = 403 ] || fail "$try: $code"
		code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $PX_TEST_TOKEN" "$try")
		[ "$code" = 403 ] || fail "$try with the portal's token: $code"
		/usr/bin/python3 -m zipfile -l "$T/body" >/dev/null 2>&1 && fail "a package was sent"
	done
	# A request recorded by the officer (another channel) is not the
	# portal's to see.
	"$PORTEX" request add --ledger "sqlite:$T/ledger.db" --subject email=x@example.org \
		--received "$(date +%F)" --channel mail --json >"$T/mail.json"
	mail=$(jget "$T/mail.json" 'j["id"]')
	[ "$(api GET "/v1/exports/$mail")" = 404 ] || fail "another channel's request is visible"
	[ "$(api GET "/v1/exports/999")" = 404 ] || fail "unknown id"
	[ "$(body 'j["code"]')" = not_found ] || fail "body: $(cat "$T/body")"
	serve_stop
}

test_bad_requests_get_clear_4xx_and_the_service_keeps_running() {
	serve_setup
	serve_start
	check() { # WANT CODE BODY [curl args]
		local want=$1 word=$2 data=$3
		shift 3
		code=$(api POST /v1/exports -H 'Content-Type: application/json' --data-binary "$data" "$@")
		[ "$code" = "$want" ] || fail "$data: $code, expected $want: $(cat "$T/body")"
		[ "$(body 'j["code"]')" = "$word" ] || fail "$data: $(cat "$T/body")"
		[ "$(body 'j["status"]')" = "$want" ] || fail "problem status"
		conforms Problem
		grep -qi '^content-type: application/problem+json' "$T/headers" || fail "content type"
	}
	check 400 malformed_json '{"subject": {"email": "a@b"'
	check 400 malformed_json 'not json at all'
	check 400 malformed_json ''
	check 400 malformed_request '["subject"]'
	check 400 unknown_field '{"subject": {"email": "a@b.org"}, "password": "x"}'
	expect_body_says() { grep -qF -- "$1" "$T/body" || fail "body lacks '$1': $(cat "$T/body")"; }
	expect_body_says '/password: unknown field'
	check 400 malformed_request '{"subject": {}}'
	check 400 malformed_request '{"subject": {"email": 42}}'
	check 400 malformed_request '{"subject": {"e mail": "a@b.org"}}'
	check 400 malformed_request '{"subject": {"email": "a@b.org"}, "scope": "everything"}'
	check 400 malformed_json '{"subject": {"email": "a"}, "subject": {"email": "b"}}'
	head -c 70000 /dev/zero | tr '\0' ' ' >"$T/big"
	printf '%s' "$ALICE" >>"$T/big"
	check 413 body_too_large "@$T/big"
	check 413 body_too_large "@$T/big" -H 'Transfer-Encoding: chunked'
	code=$(api POST /v1/exports -H 'Content-Type: text/plain' --data "$ALICE")
	[ "$code" = 415 ] || fail "text/plain: $code"
	code=$(api DELETE /v1/exports/1)
	[ "$code" = 405 ] || fail "DELETE: $code"
	grep -qi '^allow: GET, HEAD' "$T/headers" || fail "Allow: $(cat "$T/headers")"
	[ "$(api GET /v2/exports)" = 404 ] || fail "unknown path"
	[ "$(ledger_requests)" = 0 ] || fail "a refused request was recorded"
	# Still serving, and a good request still works.
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200 ] || fail "healthz"
	[ "$(create "$ALICE")" = 202 ] || fail "a good request after the bad ones"
	serve_stop
}

test_an_unknown_subject_is_refused_at_post_and_nothing_is_recorded() {
	serve_setup
	serve_start
	[ "$(create '{"subject": {"email": "nobody@example.org"}}')" = 422 ] || fail "POST: $(cat "$T/body")"
	[ "$(body 'j["code"]')" = subject_not_found ] || fail "body: $(cat "$T/body")"
	grep -qi '^content-type: application/problem+json' "$T/headers" || fail "not a problem+json"
	conforms Problem
	# A key no source starts from.
	[ "$(create '{"subject": {"phone": "+33 6 12 34 56 78"}}')" = 422 ] || fail "POST: $(cat "$T/body")"
	[ "$(body 'j["code"]')" = unknown_subject_key ] || fail "body: $(cat "$T/body")"
	[ "$(ledger_requests)" = 0 ] || fail "a refused subject was recorded"
	[ "$(sqlite3 "$T/ledger.db" "SELECT count(*) FROM px_jobs")" = 0 ] || fail "a job was queued"
	[ -z "$(packages_left)" ] || fail "a package was written: $(packages_left)"
	# Still serving: a known subject is taken.
	[ "$(create "$ALICE")" = 202 ] || fail "a known subject after the unknown ones: $(cat "$T/body")"
	serve_stop
}

test_an_email_in_another_case_is_the_same_subject() {
	serve_setup
	serve_start
	[ "$(create '{"subject": {"email": " Alice.Martin@Example.ORG"}}')" = 202 ] || fail "POST: $(cat "$T/body")"
	ID=$(body 'j["id"]')
	[ "$(create "$ALICE")" = 429 ] || fail "same person, other case: $(cat "$T/body")"
	[ "$(body 'j["id"]')" = "$ID" ] || fail "not the existing request"
	"$PORTEX" request show "$ID" --ledger "sqlite:$T/ledger.db" --json >"$T/req.json"
	[ "$(jget "$T/req.json" 'j["subject"]["email"]')" = alice.martin@example.org ] ||
		fail "recorded as $(jget "$T/req.json" 'j["subject"]')"
	wait_status "$ID" ready
	serve_stop
}

test_asking_again_too_soon_is_429_with_the_existing_request() {
	serve_setup
	serve_start
	ready_export
	[ "$(create "$ALICE")" = 429 ] || fail "second request: $(cat "$T/body")"
	[ "$(body 'j["id"]')" = "$ID" ] || fail "not the existing request: $(cat "$T/body")"
	[ "$(body 'j["status"]')" = ready ] || fail "status"
	after=$(header Retry-After)
	[ "$after" -gt 86000 ] && [ "$after" -le 86400 ] || fail "Retry-After: $after"
	[ "$(ledger_requests)" = 1 ] || fail "a second request was recorded"
	# Other keys are another subject.
	[ "$(create '{"subject": {"email": "alice.dubois@example.org"}}')" = 202 ] || fail "other subject"
	serve_stop
}

test_downloads_resume_with_range_and_revalidate_with_etag() {
	serve_setup
	serve_start
	ready_export
	curl -s -o "$T/full.zip" "$URL"
	size=$(stat -c %s "$T/full.zip")
	code=$(curl -s -o "$T/part1" -D "$T/h1" -w '%{http_code}' -H 'Range: bytes=0-999' "$URL")
	[ "$code" = 206 ] || fail "Range: $code"
	grep -qi "^content-range: bytes 0-999/$size" "$T/h1" || fail "Content-Range: $(cat "$T/h1")"
	etag=$(tr -d '\r' <"$T/h1" | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
	code=$(curl -s -o "$T/part2" -w '%{http_code}' -H 'Range: bytes=1000-' -H "If-Range: $etag" "$URL")
	[ "$code" = 206 ] || fail "second half: $code"
	cat "$T/part1" "$T/part2" | cmp -s - "$T/full.zip" || fail "the two ranges are not the package"
	code=$(curl -s -o "$T/tail" -w '%{http_code}' -H 'Range: bytes=-100' "$URL")
	[ "$code" = 206 ] && tail -c 100 "$T/full.zip" | cmp -s - "$T/tail" || fail "suffix range"
	code=$(curl -s -o /dev/null -D "$T/h3" -w '%{http_code}' -H "Range: bytes=$size-" "$URL")
	[ "$code" = 416 ] || fail "past the end: $code"
	grep -qi "^content-range: bytes \*/$size" "$T/h3" || fail "416 Content-Range"
	code=$(curl -s -o "$T/whole" -w '%{http_code}' -H 'Range: bytes=0-10' -H 'If-Range: "another"' "$URL")
	[ "$code" = 200 ] && cmp -s "$T/whole" "$T/full.zip" || fail "If-Range mismatch must send the whole file"
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$URL")
	[ "$code" = 304 ] || fail "If-None-Match: $code"
	serve_stop
}

test_sigterm_during_an_export_leaves_no_package_and_restart_completes_it() {
	serve_setup "s['workers'] = 1"
	slow_source 3000000
	serve_start
	[ "$(create "$ALICE")" = 202 ] || fail "POST"
	ID=$(body 'j["id"]')
	wait_status "$ID" running
	sleep 0.5
	serve_stop
	grep -q '"event":"export.released"' "$T/serve.log" || fail "the export was not stopped: $(tail -5 "$T/serve.log")"
	expect_no_file "$T/out/packages/portex-request-$ID.zip"
	[ -z "$(packages_left)" ] || fail "left in the package folder: $(packages_left)"
	[ "$(sqlite3 "$T/ledger.db" "SELECT state FROM px_jobs WHERE request_id = $ID")" = queued ] ||
		fail "the job was not given back to the queue"
	"$PORTEX" request show "$ID" --ledger "sqlite:$T/ledger.db" --json >"$T/req.json"
	[ "$(jget "$T/req.json" 'j["status"]')" = ready ] || fail "request is $(jget "$T/req.json" 'j["status"]')"
	# The next start takes the request up; the source is quick now.
	sqlite3 "$T/out/demo.db" "UPDATE knob SET n = 5"
	serve_start
	wait_status "$ID" ready
	curl -s -o "$T/got.zip" "$(body 'j["download_url"]')"
	expect_exit 0 "$PORTEX" verify "$T/got.zip"
	[ "$(/usr/bin/python3 -c 'import json,sys,zipfile; print(len(json.loads(zipfile.ZipFile(sys.argv[1]).read("data/connection.json"))["records"]))' "$T/got.zip")" -ge 5 ] ||
		fail "connection records missing"
	serve_stop
}

test_a_portex_worker_exports_what_serve_queued_and_a_restart_keeps_it() {
	serve_setup "s['workers'] = 0"
	serve_start
	[ "$(create "$ALICE")" = 202 ] || fail "POST: $(cat "$T/body")"
	ID=$(body 'j["id"]')
	[ "$(body 'j["status"]')" = queued ] || fail "status: $(cat "$T/body")"
	serve_stop
	# The job is in the ledger's queue, attached to the portal's request.
	[ "$(sqlite3 "$T/ledger.db" "SELECT state, batch FROM px_jobs WHERE request_id = $ID")" = "queued|portal" ] ||
		fail "jobs: $(sqlite3 "$T/ledger.db" "SELECT * FROM px_jobs")"
	expect_exit 0 "$PORTEX" worker --config "$T/demo.json" --once
	serve_start
	wait_status "$ID" ready
	curl -s -o "$T/got.zip" "$(body 'j["download_url"]')"
	expect_exit 0 "$PORTEX" verify "$T/got.zip"
	unpack "$T/got.zip" "$T/pkg"
	[ "$(jget "$T/pkg/manifest.json" 'j["request"]')" = "$ID" ] || fail "manifest names another request"
	# One request, the portal's: the worker did not record a second one.
	[ "$(ledger_requests)" = 1 ] || fail "requests: $(ledger_requests)"
	"$PORTEX" request show "$ID" --ledger "sqlite:$T/ledger.db" --json >"$T/req.json"
	[ "$(jget "$T/req.json" 'j["channel"]')" = portal ] || fail "channel"
	expect_exit 0 "$PORTEX" audit verify --ledger "sqlite:$T/ledger.db"
	serve_stop
}

# A bulk batch queued in the same ledger is for `portex worker`: serve's
# pool exports only its own (batch portal) jobs.
test_serve_exports_only_its_own_batch_and_worker_batch_selects() {
	serve_setup "c['bulk'] = {'salt_env': 'PX_TEST_SALT'}"
	export PX_TEST_SALT=bulk-salt-5e0f1c2b3a496877
	mkdir -p "$T/bulk"
	printf 'email\nalice.martin@example.org\n' >"$T/subjects.csv"
	expect_exit 0 "$PORTEX" bulk --config "$T/demo.json" --out-dir "$T/bulk" \
		--subjects "$T/subjects.csv" --enqueue --json
	batch=$(jget "$T/stdout" 'j["batch"]')
	serve_start
	ready_export
	serve_stop
	[ "$(sqlite3 "$T/ledger.db" "SELECT batch, state FROM px_jobs ORDER BY id")" = "$batch|queued
portal|done" ] || fail "jobs: $(sqlite3 "$T/ledger.db" "SELECT id, batch, state FROM px_jobs")"
	[ -z "$(ls -A "$T/bulk" | grep '\.zip$')" ] || fail "serve exported the bulk job: $(ls "$T/bulk")"
	# A worker for the portal only has nothing to do; one for the bulk
	# batch exports it.
	expect_exit 0 "$PORTEX" worker --config "$T/demo.json" --once --batch portal --json
	[ "$(jget "$T/stdout" 'j["exported"]')" = 0 ] || fail "worker --batch portal: $(cat "$T/stdout")"
	expect_exit 0 "$PORTEX" worker --config "$T/demo.json" --once --batch "$batch" --json
	[ "$(jget "$T/stdout" 'j["exported"]')" = 1 ] || fail "worker --batch bulk: $(cat "$T/stdout")"
	[ "$(sqlite3 "$T/ledger.db" "SELECT state FROM px_jobs WHERE batch = '$batch'")" = done ] ||
		fail "the bulk job is not done"
}

# queued_for EMAIL: a portal request for EMAIL recorded and queued by a
# serve without workers (then stopped); $ID, $PKG (its package path).
queued_for() {
	serve_setup "s['workers'] = 0"
	serve_start
	[ "$(create "{\"subject\": {\"email\": \"$1\"}}")" = 202 ] || fail "POST: $(cat "$T/body")"
	ID=$(body 'j["id"]')
	serve_stop
	PKG=$(sqlite3 "$T/ledger.db" "SELECT package FROM px_jobs WHERE request_id = $ID")
	cc -shared -fPIC -o "$T/kill.so" "$PX_TOP/tests/tools/kill_at_publish.c" -ldl ||
		fail "cannot build tests/tools/kill_at_publish.c"
}

# killed_worker WHEN: `portex worker` SIGKILLed just before or after
# publishing $PKG, then rerun once its lease has run out.
killed_worker() {
	local got=0
	PX_KILL_PATH="$PKG" PX_KILL_WHEN=$1 LD_PRELOAD="$T/kill.so" \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		"$PORTEX" worker --config "$T/demo.json" --once >/dev/null 2>&1 || got=$?
	[ "$got" = 137 ] || fail "worker was not killed at publishing (exit $got)"
	PORTEX_QUEUE_NOW=$(($(date +%s) + 3600)) \
		expect_exit 0 "$PORTEX" worker --config "$T/demo.json" --once --json
}

# settled_once: the ledger names the file on disk, nothing pending, the
# job done, the trail intact.
settled_once() {
	expect_exit 0 "$PORTEX" request show "$ID" --ledger "sqlite:$T/ledger.db" --json
	[ "$(jget "$T/stdout" 'j["package_sha256"]')" = "$(sha256sum <"$PKG" | cut -d' ' -f1)" ] ||
		fail "the ledger names $(jget "$T/stdout" 'j.get("package_sha256")'), not the file on disk"
	[ "$(jget "$T/stdout" 'j["status"]')" = exported ] || fail "status $(jget "$T/stdout" 'j["status"]')"
	[ "$(jget "$T/stdout" 'j.get("package_pending")')" = None ] ||
		fail "a pending package is left: $(jget "$T/stdout" 'j["package_pending"]')"
	[ "$(sqlite3 "$T/ledger.db" "SELECT count(*), state FROM px_jobs GROUP BY state")" = "1|done" ] ||
		fail "jobs: $(sqlite3 "$T/ledger.db" "SELECT * FROM px_jobs")"
	expect_exit 0 "$PORTEX" verify "$PKG"
	expect_exit 0 "$PORTEX" audit verify --ledger "sqlite:$T/ledger.db"
	"$PORTEX" audit log --ledger "sqlite:$T/ledger.db" --request "$ID" >"$T/audit"
}

test_a_worker_killed_just_before_publishing_exports_again_on_rerun() {
	queued_for alice.martin@example.org
	killed_worker before
	[ "$(jget "$T/stdout" 'j["exported"]')" = 1 ] || fail "rerun: $(cat "$T/stdout")"
	settled_once
	for a in request.export-pending request.export-abandoned request.exported; do
		grep -q "$a" "$T/audit" || fail "$a not in the trail: $(cat "$T/audit")"
	done
	[ "$(grep -c 'request.exported' "$T/audit")" = 1 ] || fail "exported twice: $(cat "$T/audit")"
}

test_a_worker_killed_just_after_publishing_is_recorded_once_on_rerun() {
	queued_for alice.martin@example.org
	killed_worker after
	expect_file "$PKG"
	[ "$(jget "$T/stdout" 'j["adopted"]')" = 1 ] || fail "rerun: $(cat "$T/stdout")"
	expect_err "was published by an export that stopped before recording it"
	settled_once
	grep -q request.export-recovered "$T/audit" || fail "not recovered: $(cat "$T/audit")"
	! grep -q 'request.exported' "$T/audit" || fail "recorded twice: $(cat "$T/audit")"
}

# serve itself SIGKILLed just after one of its workers published a
# package: the next start records it (no second export) and it downloads.
test_serve_killed_just_after_publishing_records_the_package_at_restart() {
	serve_setup
	cc -shared -fPIC -o "$T/kill.so" "$PX_TOP/tests/tools/kill_at_publish.c" -ldl ||
		fail "cannot build tests/tools/kill_at_publish.c"
	PKG="$(realpath "$T/out")/packages/portex-request-1.zip"
	PX_KILL_PATH="$PKG" LD_PRELOAD="$T/kill.so" \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 serve_start
	[ "$(create "$ALICE")" = 202 ] || fail "POST: $(cat "$T/body")"
	ID=$(body 'j["id"]')
	[ "$ID" = 1 ] || fail "first request is $ID"
	local rc=0
	wait "$SERVE_PID" || rc=$?
	trap - EXIT
	[ "$rc" = 137 ] || fail "serve was not killed at publishing (exit $rc)"
	expect_file "$PKG"
	PORTEX_QUEUE_NOW=$(($(date +%s) + 3600)) serve_start
	grep -q '"event":"export.settled"' "$T/serve.log" || fail "not settled: $(cat "$T/serve.log")"
	wait_status "$ID" ready
	URL=$(body 'j["download_url"]')
	settled_once
	curl -s -o "$T/got.zip" "$URL"
	cmp -s "$T/got.zip" "$PKG" || fail "downloaded another file"
	serve_stop
	grep -q request.export-recovered "$T/audit" || fail "not recovered: $(cat "$T/audit")"
	! grep -q 'request.exported' "$T/audit" || fail "recorded twice: $(cat "$T/audit")"
}

# A finish that meets the ledger locked past SQLite's busy timeout (a
# long `request` command, a backup) is tried again; the worker does not
# stop, and the job is recorded once the lock is gone.
test_a_busy_ledger_at_finish_is_retried_not_fatal() {
	queued_for alice.martin@example.org
	cc -shared -fPIC -o "$T/stall.so" "$PX_TOP/tests/tools/stall_at_publish.c" -ldl ||
		fail "cannot build tests/tools/stall_at_publish.c"
	PX_STALL_PATH="$PKG" PX_STALL_FLAG="$T/stalled" LD_PRELOAD="$T/stall.so" \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		PORTEX_LEDGER_RETRY_MS=100 \
		"$PORTEX" worker --config "$T/demo.json" --once --json >"$T/stdout" 2>"$T/stderr" &
	local worker=$! rc=0
	for _ in $(seq 600); do [ -e "$T/stalled" ] && break; sleep 0.05; done
	[ -e "$T/stalled" ] || fail "the worker never reached publishing: $(cat "$T/stderr")"
	/usr/bin/python3 - "$T/ledger.db" "$T/locked" "$T/unlock" <<'PY' &
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
db.execute("ROLLBACK")
PY
	local locker=$!
	for _ in $(seq 200); do [ -e "$T/locked" ] && break; sleep 0.05; done
	rm "$T/stalled"
	for _ in $(seq 600); do grep -q "trying again" "$T/stderr" && break; sleep 0.05; done
	touch "$T/unlock"
	wait "$locker"
	wait "$worker" || rc=$?
	[ "$rc" = 0 ] || fail "worker exited $rc: $(cat "$T/stderr")"
	grep -q "is locked by another process.*trying again in 100 ms" "$T/stderr" ||
		fail "no retry said: $(cat "$T/stderr")"
	[ "$(jget "$T/stdout" 'j["exported"]')" = 1 ] || fail "worker: $(cat "$T/stdout")"
	settled_once
}

# Serve's package folder holds packages only: the identity keys of
# index.ndjson are neither written there nor served by any route.
test_serve_package_folder_has_no_index_and_no_route_serves_one() {
	serve_setup
	serve_start
	ready_export
	[ ! -e "$T/out/packages/index.ndjson" ] || fail "index.ndjson in serve's folder: $(cat "$T/out/packages/index.ndjson")"
	# One left there (by an older portex): no path reaches it.
	echo '{"subject": {"email": "alice.martin@example.org"}}' >"$T/out/packages/index.ndjson"
	for path in /index.ndjson /v1/index.ndjson /v1/exports/index.ndjson \
		/v1/exports/index.ndjson/package /v1/exports/../index.ndjson \
		/v1/exports/%2e%2e/index.ndjson /v1/exports/$ID/../../index.ndjson \
		"/v1/exports/$ID/package/../index.ndjson" /packages/index.ndjson; do
		code=$(api GET "$path" --path-as-is)
		case $code in 4??) ;; *) fail "GET $path: $code" ;; esac
		! grep -q alice "$T/body" || fail "GET $path served the index: $(cat "$T/body")"
	done
	# Nor with the package's signed link and another name.
	code=$(curl -s --path-as-is -o "$T/body" -w '%{http_code}' "${URL/\/package?/\/..\/..\/index.ndjson?}")
	case $code in 4??) ;; *) fail "signed link to the index: $code" ;; esac
	! grep -q alice "$T/body" || fail "the index was served"
	serve_stop
	# The next start points the leftover out, without its contents.
	serve_start
	grep -q '"event":"out_dir.index"' "$T/serve.log" || fail "leftover index not said: $(cat "$T/serve.log")"
	! grep -q alice "$T/serve.log" || fail "the log shows the index's contents"
	serve_stop
}

test_expired_packages_are_purged_and_audited_their_requests_kept() {
	serve_setup
	serve_start
	ready_export
	serve_stop
	pkg="$T/out/packages/portex-request-$ID.zip"
	expect_file "$pkg"
	# Eight days later, as far as the package's age goes; and a file that
	# is not serve's, just as old.
	touch -d '8 days ago' "$pkg"
	echo keep >"$T/out/packages/not-ours.zip"
	touch -d '30 days ago' "$T/out/packages/not-ours.zip"
	serve_start
	for _ in $(seq 100); do grep -q '"event":"package.purged"' "$T/serve.log" && break; sleep 0.1; done
	expect_no_file "$pkg"
	expect_file "$T/out/packages/not-ours.zip"
	[ "$(api GET "/v1/exports/$ID")" = 200 ] || fail "the request is gone"
	[ "$(body 'j["status"]')" = expired ] || fail "status $(body 'j["status"]')"
	[ "$(body '"download_url" in j')" = False ] || fail "a link to nothing"
	# The same link (this start listens on another port).
	code=$(curl -s -o "$T/body" -w '%{http_code}' "$BASE/${URL#*://*/}")
	[ "$code" = 410 ] || fail "old link: $code"
	[ "$(body 'j["code"]')" = package_gone ] || fail "body: $(cat "$T/body")"
	"$PORTEX" audit log --ledger "sqlite:$T/ledger.db" --request "$ID" >"$T/audit"
	grep -q package.purged "$T/audit" || fail "purge not audited: $(cat "$T/audit")"
	expect_exit 0 "$PORTEX" audit verify --ledger "sqlite:$T/ledger.db"
	serve_stop
}

test_a_full_queue_answers_503_with_retry_after() {
	serve_setup "s['workers'] = 1; s['queue'] = 1"
	slow_source 3000000
	sqlite3 "$T/out/demo.db" "INSERT INTO users (id, email, created_at, username) VALUES
		(901, 'b@example.org', '2024-09-01 08:00:00', 'b'), (902, 'c@example.org', '2024-09-01 08:00:00', 'c')"
	serve_start
	[ "$(create "$ALICE")" = 202 ] || fail "first"
	wait_status "$(body 'j["id"]')" running
	[ "$(create '{"subject": {"email": "b@example.org"}}')" = 202 ] || fail "second: queued: $(cat "$T/body")"
	[ "$(body 'j["status"]')" = queued ] || fail "second is $(body 'j["status"]')"
	[ "$(create '{"subject": {"email": "c@example.org"}}')" = 503 ] || fail "third: $(cat "$T/body")"
	[ "$(body 'j["code"]')" = queue_full ] || fail "body"
	[ -n "$(header Retry-After)" ] || fail "no Retry-After"
	[ "$(ledger_requests)" = 2 ] || fail "the refused request was recorded"
	serve_stop
}

# A package a `portex worker` exported (serve without workers) is
# announced by serve, once, even across a restart in the middle of its
# delivery (the portal down, serve stopped before the retry).
test_webhook_for_a_worker_export_is_delivered_once_across_restarts() {
	hook_start
	touch "$T/hook.fail"
	serve_setup "s['workers'] = 0; s['webhook'] = {'url': '$HOOK_URL', 'secret': '\${PX_TEST_HOOK_SECRET}'}"
	sqlite3 "$T/out/demo.db" "INSERT INTO users (id, email, created_at, username) VALUES
		(901, 'b@example.org', '2024-09-01 08:00:00', 'b')"
	serve_start
	[ "$(create "$ALICE")" = 202 ] || fail "POST: $(cat "$T/body")"
	ID=$(body 'j["id"]')
	expect_exit 0 "$PORTEX" worker --config "$T/demo.json" --once
	hook_calls 1
	serve_stop
	rm "$T/hook.fail"
	serve_start
	hook_taken 1
	# Once delivered it is not sent again: a restart, then a second
	# export, whose webhook comes after any repeat of the first would.
	for _ in $(seq 100); do grep -q '"event":"webhook.delivered"' "$T/serve.log" && break; sleep 0.1; done
	serve_stop
	serve_start
	[ "$(create '{"subject": {"email": "b@example.org"}}')" = 202 ] || fail "POST b: $(cat "$T/body")"
	ID2=$(body 'j["id"]')
	expect_exit 0 "$PORTEX" worker --config "$T/demo.json" --once
	hook_taken 2
	for _ in $(seq 100); do [ "$(grep -c 'webhook.delivered' <("$PORTEX" audit log --ledger "sqlite:$T/ledger.db"))" = 2 ] && break; sleep 0.1; done
	serve_stop
	kill "$hook"
	hook_signed
	# Refused while the portal was down (once, or again before the
	# stop), then taken once; the second once.
	/usr/bin/python3 - "$T/hook.log" "$ID" "$ID2" <<'PY' || fail "deliveries: $(cat "$T/hook.log")"
import json, sys
calls = [json.loads(l) for l in open(sys.argv[1])]
assert [c["id"] for c in calls if c["answered"] == 204] == sys.argv[2:], calls
assert all(c["id"] == sys.argv[2] for c in calls if c["answered"] != 204), calls
PY
	"$PORTEX" audit log --ledger "sqlite:$T/ledger.db" --request "$ID" >"$T/audit"
	[ "$(grep -c webhook.delivered "$T/audit")" = 1 ] || fail "trail: $(cat "$T/audit")"
	expect_exit 0 "$PORTEX" audit verify --ledger "sqlite:$T/ledger.db"
}

test_webhook_is_signed_and_retried_until_the_portal_takes_it() {
	hook_start
	serve_setup "s['webhook'] = {'url': '$HOOK_URL', 'secret': '\${PX_TEST_HOOK_SECRET}'}"
	serve_start
	ready_export
	hook_calls 2
	kill "$hook"
	[ "$(wc -l <"$T/hook.log")" = 2 ] || fail "expected a failed attempt and a retry: $(cat "$T/hook.log")"
	hook_signed
	/usr/bin/python3 - "$T/hook.log" "$ID" "$URL" <<'PY' || fail "webhook body: $(cat "$T/hook.log")"
import json, sys
for line in open(sys.argv[1]):
    b = json.loads(json.loads(line)["body"])
    assert b["event"] == "export.ready", b
    assert b["export"]["id"] == int(sys.argv[2]) and b["export"]["status"] == "ready", b
    assert b["export"]["download_url"] == sys.argv[3], b
PY
	# The export it carries is the document's Export (webhooks.exportReady).
	/usr/bin/python3 -c 'import json, sys; json.dump(json.loads(json.loads(open(sys.argv[1]).readline())["body"])["export"], open(sys.argv[2], "w"))' "$T/hook.log" "$T/body"
	conforms Export
	grep -q '"event":"webhook.retry"' "$T/serve.log" || fail "retry not logged"
	grep -q '"event":"webhook.delivered"' "$T/serve.log" || fail "delivery not logged"
	serve_stop
}

test_metrics_are_prometheus_text_and_count_what_happened() {
	serve_setup
	serve_start
	ready_export
	curl -s -o /dev/null "$URL"
	curl -s -o /dev/null "$BASE/v1/exports/1"
	curl -s "$BASE/metrics" >"$T/metrics"
	/usr/bin/python3 - "$T/metrics" <<'PY' || fail "metrics: $(cat "$T/metrics")"
import sys
from prometheus_client.parser import text_string_to_metric_families
m = {}
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in fam.samples:
        m[(s.name, tuple(sorted(s.labels.items())))] = s.value
assert m[("portex_http_requests_total", (("code", "202"),))] == 1, m
assert m[("portex_http_requests_total", (("code", "401"),))] == 1, m
assert m[("portex_exports_total", (("outcome", "ok"),))] == 1, m
assert m[("portex_export_duration_seconds_count", ())] == 1, m
assert m[("portex_export_duration_seconds_bucket", (("le", "+Inf"),))] == 1, m
assert m[("portex_queue_depth", ())] == 0, m
PY
	[ "$(curl -s "$BASE/healthz" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')" = ok ] ||
		fail "healthz"
	serve_stop
}

test_access_log_is_json_lines_without_identities_tokens_or_signatures() {
	serve_setup
	serve_start
	ready_export
	curl -s -o /dev/null "$URL"
	curl -s -o /dev/null "$BASE/v1/exports/$ID/package?expires=1&sig=forged"
	serve_stop
	sig=${URL##*sig=}
	/usr/bin/python3 - "$T/serve.log" <<'PY' || fail "a line is not JSON: $(cat "$T/serve.log")"
import json, sys
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    assert "at" in e and "event" in e, e
    n += e["event"] == "request"
assert n >= 4, n
PY
	for secret in alice.martin@example.org alice.martin "$PX_TEST_TOKEN" "$PX_TEST_LINK_KEY" "$sig" forged expires; do
		if grep -qF -- "$secret" "$T/serve.log"; then
			fail "'$secret' is in the log: $(grep -F -- "$secret" "$T/serve.log" | head -3)"
		fi
	done
	grep -q '"route":"/v1/exports/{id}/package","id":'"$ID"',"status":200' "$T/serve.log" ||
		fail "the download is not logged: $(cat "$T/serve.log")"
}

test_plain_http_off_loopback_is_refused_unless_allowed() {
	serve_setup
	expect_exit 78 "$PORTEX" serve --config "$T/demo.json" --listen 0.0.0.0:0
	expect_err "plain HTTP is only served on loopback"
	expect_exit 64 "$PORTEX" serve --config "$T/demo.json" --listen nowhere
	expect_err "--listen nowhere: expected ADDRESS:PORT"
	edit_config "c['serve']['token'] = 'tiny-tok'"
	expect_exit 78 "$PORTEX" serve --config "$T/demo.json"
	expect_err "/serve/token: too short"
	grep -qF tiny-tok "$T/stderr" && fail "the token's value is in the message"
	edit_config "c['serve']['token'] = '\${PX_TEST_TOKEN}'; c['serve']['allow_plain_http'] = True"
	serve_start --listen 0.0.0.0:0
	[ "$(curl -s -o /dev/null -w '%{http_code}' "${BASE/0.0.0.0/127.0.0.1}/healthz")" = 200 ] || fail "allowed"
	serve_stop
}

test_a_misspelt_serve_key_is_refused() {
	serve_setup "s['link_day'] = 7; s['webhook'] = {'url': 'http://127.0.0.1:9/', 'secret': 'x' * 20, 'atempts': 3}"
	expect_exit 78 "$PORTEX" serve --config "$T/demo.json"
	expect_err "$T/demo.json: /serve/link_day: unknown key"
	expect_err 'did you mean "link_days"?'
	edit_config "del c['serve']['link_day']"
	expect_exit 78 "$PORTEX" serve --config "$T/demo.json"
	expect_err "/serve/webhook/atempts: unknown key"
}

test_tls_with_a_certificate_and_key() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout "$T/tls.key" -out "$T/tls.crt" 2>/dev/null
	serve_setup "s['tls'] = {'cert': '$T/tls.crt', 'key': '$T/tls.key'}"
	serve_start
	case $BASE in https://*) ;; *) fail "not https: $BASE" ;; esac
	code=$(curl -s --cacert "$T/tls.crt" -o "$T/body" -D "$T/headers" -w '%{http_code}' \
		-H "Authorization: Bearer $PX_TEST_TOKEN" -H 'Content-Type: application/json' \
		--data "$ALICE" "$BASE/v1/exports")
	[ "$code" = 202 ] || fail "POST over TLS: $code"
	curl -s -o /dev/null "${BASE/https/http}/healthz" && fail "plain HTTP answered on the TLS port"
	serve_stop
}

test_openapi_document_passes_redocly_lint() {
	lint="$PX_TOP/build/npm/node_modules/.bin/redocly"
	have_npm_tool "$lint" redocly || return 0
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
		"$lint" lint "$PX_TOP/docs/openapi.yaml" >"$T/lint" 2>&1 || fail "redocly: $(cat "$T/lint")"
	grep -q "openapi: 3.1" "$PX_TOP/docs/openapi.yaml" || fail "not OpenAPI 3.1"
}

test_systemd_unit_is_hardened_and_valid() {
	unit="$PX_TOP/examples/portex.service"
	for d in DynamicUser=yes ProtectSystem=strict PrivateTmp=yes NoNewPrivileges=yes \
		KillSignal=SIGTERM StateDirectory=portex; do
		grep -qx "$d" "$unit" || fail "$unit lacks $d"
	done
	grep -q '^ExecStart=.*portex serve --config ' "$unit" || fail "ExecStart"
	if command -v systemd-analyze >/dev/null 2>&1; then
		sed "s|^ExecStart=/usr/local/bin/portex|ExecStart=$PORTEX|" "$unit" >"$T/portex.service"
		systemd-analyze verify "$T/portex.service" >"$T/verify" 2>&1 || fail "systemd-analyze: $(cat "$T/verify")"
		[ ! -s "$T/verify" ] || fail "systemd-analyze: $(cat "$T/verify")"
	fi
}

run_tests
