#!/bin/bash
# End-to-end: `portex serve` on a PostgreSQL ledger (t_serve.sh runs the
# same service on SQLite): the portal creates, a `portex worker` on the
# same PostgreSQL queue exports, serve announces it through the ledger's
# webhook outbox, the learner downloads, and the trail verifies.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/demo.sh"
. "$PX_TOP/tests/e2e/ledger.sh"
. "$PX_TOP/tests/e2e/serve.sh"

pg_ledger_setup() {
	[ -n "${PGHOST:-}" ] || fail "no test PostgreSQL cluster: run through tests/run-e2e.sh"
	LDB=px_serve_led_$$_$RANDOM
	createdb "$LDB" || fail "createdb $LDB failed"
	LEDGER_URI=postgresql:///$LDB
}

test_serve_on_a_postgresql_ledger_exports_announces_and_delivers_once() {
	pg_ledger_setup
	hook_start
	serve_setup "c['ledger'] = '$LEDGER_URI'
s['workers'] = 0
s['webhook'] = {'url': '$HOOK_URL', 'secret': '\${PX_TEST_HOOK_SECRET}'}"
	serve_start
	[ "$(create "$ALICE")" = 202 ] || fail "POST: $(cat "$T/body")"
	ID=$(body 'j["id"]')
	# A second ask is answered from the PostgreSQL ledger: the same request.
	[ "$(create "$ALICE")" = 429 ] || fail "second POST: $(cat "$T/body")"
	[ "$(body 'j["id"]')" = "$ID" ] || fail "429 names another request: $(cat "$T/body")"
	expect_exit 0 "$PORTEX" worker --config "$T/demo.json" --once
	wait_status "$ID" ready
	URL=$(body 'j["download_url"]')
	# The first call is refused by the receiver (500), the retry taken.
	hook_taken 1
	code=$(curl -s -o "$T/got.zip" -w '%{http_code}' "$URL")
	[ "$code" = 200 ] || fail "download: $code $(cat "$T/got.zip")"
	expect_exit 0 "$PORTEX" verify "$T/got.zip"
	unpack "$T/got.zip" "$T/pkg"
	[ "$(jget "$T/pkg/manifest.json" 'j["request"]')" = "$ID" ] || fail "manifest names another request"
	grep -qF alice.martin@example.org "$T/pkg/data/profile.json" || fail "not Alice's data"
	for _ in $(seq 100); do grep -q '"event":"webhook.delivered"' "$T/serve.log" && break; sleep 0.1; done
	serve_stop
	# A restart does not announce it again.
	serve_start
	sleep 1.5
	serve_stop
	kill "$hook"
	hook_signed
	[ "$(grep -c '"answered": 204' "$T/hook.log")" = 1 ] || fail "webhook taken more than once: $(cat "$T/hook.log")"
	"$PORTEX" request show "$ID" --ledger "$LEDGER_URI" --json >"$T/req.json"
	[ "$(jget "$T/req.json" 'j["channel"]')" = portal ] || fail "channel"
	[ "$(jget "$T/req.json" 'j["status"]')" = delivered ] || fail "not delivered: $(cat "$T/req.json")"
	[ "$(jget "$T/req.json" 'j["package_sha256"]')" = "$(sha256sum <"$T/got.zip" | cut -d' ' -f1)" ] ||
		fail "the ledger names another package: $(cat "$T/req.json")"
	[ "$(jget "$T/req.json" '[e["action"] for e in j["audit"]].count("webhook.delivered")')" = 1 ] ||
		fail "audit: $(jget "$T/req.json" '[e["action"] for e in j["audit"]]')"
	expect_exit 0 "$PORTEX" audit verify --ledger "$LEDGER_URI"
}

run_tests
