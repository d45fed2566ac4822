#!/bin/bash
# End-to-end: `portex transmit` against a small LRS on 127.0.0.1
# (tests/mock/lrs.py: the Statement API's POST/GET, version header, Basic
# auth, 204/409 conflict rules), the statements it stored checked with
# Learning Locker's xapi-validation, the receipt read from the ledger.
. "$PX_TOP/tests/e2e/lib.sh"
. "$PX_TOP/tests/e2e/ledger.sh"
. "$PX_TOP/tests/e2e/demo.sh"
BACKEND=sqlite
LRS_USER=portex-lrs
LRS_PASS=lrs-s3cret-58c1e0
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost
export PORTEX_BACKOFF_MS=20

# lrs_start [lrs.py args]: the LRS on $LRS_URL, its store in $T/lrs.json
lrs_start() {
	rm -f "$T/lrs.port"
	/usr/bin/python3 "$PX_TOP/tests/mock/lrs.py" --port-file "$T/lrs.port" \
		--store "$T/lrs.json" --log "$T/lrs.log" --user "$LRS_USER" \
		--password "$LRS_PASS" "$@" >/dev/null 2>"$T/lrs.err" &
	LRS_PID=$!
	# shellcheck disable=SC2064 # this LRS's pid, expanded now
	trap "kill $LRS_PID 2>/dev/null || true; wait $LRS_PID 2>/dev/null || true" EXIT
	for _ in $(seq 100); do
		[ -s "$T/lrs.port" ] && break
		sleep 0.05
	done
	[ -s "$T/lrs.port" ] || fail "LRS did not start: $(cat "$T/lrs.err")"
	LRS_URL="http://127.0.0.1:$(cat "$T/lrs.port")/xapi/"
}

lrs_stop() {
	kill "$LRS_PID" 2>/dev/null || true
	wait "$LRS_PID" 2>/dev/null || true
}

# tx_setup: demo config with ledger and xapi.lrs.campus; an exported
# request $ID for Alice, package $T/alice.zip with $N statements.
tx_setup() {
	demo_setup
	ledger_new
	export LRS_KEY=$LRS_USER LRS_SECRET=$LRS_PASS
	edit_config "c['ledger'] = '$LEDGER'; c.setdefault('xapi', {})['lrs'] = {'campus': {'endpoint': '$LRS_URL', 'username': '\${LRS_KEY}', 'password': '\${LRS_SECRET}', 'batch_size': 4}}"
	C="--config $T/demo.json"
	ID=$(exported_request "$T/alice.zip" "$(today)" \
		--requester alice.martin@example.org)
	unpack "$T/alice.zip" "$T/pkg"
	N=$(jget "$T/pkg/xapi/statements.json" 'len(j)')
	[ "$N" -gt 8 ] || fail "the demo has only $N statements: batches untested"
}

show() {
	"$PORTEX" request show "$ID" $C --json >"$T/show.json" || fail "show failed"
	jget "$T/show.json" "$1"
}

# stored_check: the LRS holds each statement of the package exactly once,
# as sent
stored_check() {
	/usr/bin/python3 - "$T/pkg/xapi/statements.json" "$T/lrs.json" <<'PY' || fail "LRS store differs from the package"
import json, sys
sent = json.load(open(sys.argv[1]))
store = json.load(open(sys.argv[2]))
strip = lambda s: {k: v for k, v in s.items() if k != "stored"}
assert len(store) == len(sent), (len(store), len(sent))
for s in sent:
    assert strip(store[s["id"]]) == s, s["id"]
PY
}

OA_ID=portex-client-7d2
OA_SECRET=oauth-s3cret-91be44

# oauth_start [lrs.py args]: an LRS that takes OAuth2 bearer tokens only
# (from its /oauth/token, for $OA_ID:$OA_SECRET, scope statements/write)
oauth_start() {
	lrs_start --client-id "$OA_ID" --client-secret "$OA_SECRET" \
		--scope statements/write --token-log "$T/tokens.log" "$@"
}

# oauth_config: campus authenticates with OAuth2 client credentials
oauth_config() {
	export LRS_CLIENT=$OA_ID LRS_CLIENT_SECRET=$OA_SECRET
	edit_config "e = c['xapi']['lrs']['campus']; e.pop('username'); e.pop('password'); e['oauth2'] = {'token_url': '${LRS_URL%xapi/}oauth/token', 'client_id': '\${LRS_CLIENT}', 'client_secret': '\${LRS_CLIENT_SECRET}', 'scope': 'statements/write'}"
}

tokens() { grep -c "^$1" "$T/tokens.log" 2>/dev/null || true; }

# no_leak SECRET...: none of them in portex's output, the ledger or the
# request as shown; nor any token the LRS issued
no_leak() {
	"$PORTEX" request show "$ID" $C --json >"$T/show.json" 2>&1
	"$PORTEX" request show "$ID" $C >"$T/show.txt" 2>&1
	for s in "$@" tok-; do
		! grep -rqF -- "$s" "$T/show.json" "$T/show.txt" "$T/stdout" "$T/stderr" "$T/ledger.db" ||
			fail "'$s' leaked: $(grep -rlF -- "$s" "$T/show.json" "$T/show.txt" "$T/stdout" "$T/stderr" "$T/ledger.db")"
	done
}

posts() { if [ -f "$T/lrs.log" ]; then wc -l <"$T/lrs.log" | tr -d ' '; else echo 0; fi; }

test_transmit_stores_every_statement_once_and_records_the_receipt() {
	lrs_start
	tx_setup
	expect_exit 0 "$PORTEX" transmit "$T/alice.zip" --to campus --request "$ID" $C
	expect_out "request $ID delivered by xAPI transmission to campus"
	stored_check
	batches=$(( (N + 3) / 4 ))
	[ "$(posts)" = "$batches" ] || fail "$(posts) POSTs for $N statements in batches of 4"
	[ "$(show 'j["status"]')" = delivered ] || fail "not delivered"
	[ "$(show 'j["delivery_method"]')" = transmission ] || fail "method"
	[ "$(show 'j["delivery"]["state"]')" = sent ] || fail "state"
	[ "$(show 'j["delivery"]["confirmed"]')" = "$N" ] || fail "confirmed"
	[ "$(show 'j["delivery"]["statements"]')" = "$N" ] || fail "count"
	[ "$(show 'j["delivery"]["lrs_version"]')" = 1.0.3 ] || fail "version"
	[ "$(show 'j["delivery"]["to"]')" = "$LRS_URL" ] || fail "to"
	# Times are now's, in seconds (regression: they were read as milliseconds: 1970).
	[ "$(show 'j["delivery"]["sent_at"][:4]')" = "$(date -u +%Y)" ] || fail "sent_at: $(show 'j["delivery"]["sent_at"]')"
	[ "$(show 'j["delivery"]["started_at"][:4]')" = "$(date -u +%Y)" ] || fail "started_at"
	"$PORTEX" request show "$ID" $C >"$T/show.txt" 2>&1
	"$PORTEX" audit verify $C >/dev/null || fail "audit trail broken"
	! grep -rqF "$LRS_PASS" "$T/show.json" "$T/show.txt" "$T/stdout" "$T/stderr" "$T/ledger.db" ||
		fail "the LRS password leaked"
	# Every stored statement passes a validator portex did not write.
	if [ -d "$PX_TOP/build/npm/node_modules/xapi-validation" ] && command -v node >/dev/null; then
		/usr/bin/python3 -c 'import json,sys; json.dump(list(json.load(open(sys.argv[1])).values()), open(sys.argv[2], "w"))' \
			"$T/lrs.json" "$T/stored.json"
		out=$(node "$PX_TOP/tests/tools/xapi_validate.js" "$T/stored.json") || fail "validator: $out"
		[ "$out" = "xapi: $N statements, 0 rejected" ] || fail "validator said: $out"
	else
		echo "  xapi-validation not installed (scripts/deps.sh npm): stored statements not validated" >&2
	fi
	# Delivered is final: a second transmission is refused, nothing sent.
	expect_exit 65 "$PORTEX" transmit "$T/alice.zip" --to campus --request "$ID" $C
	expect_err "delivered"
	[ "$(posts)" = "$batches" ] || fail "sent again after delivery"
}

test_rerun_after_the_lrs_went_away_mid_transmission_resends_only_the_rest() {
	lrs_start --drop-after 2
	tx_setup
	expect_exit 69 "$PORTEX" transmit "$T/alice.zip" --to campus --request "$ID" $C
	expect_err "LRS campus"
	[ "$(show 'j["status"]')" = exported ] || fail "recorded as delivered"
	[ "$(show 'j["delivery"]["state"]')" = failed ] || fail "failure not recorded"
	# The first batch was confirmed; the second was stored but its answer lost.
	[ "$(show 'j["delivery"]["confirmed"]')" = 4 ] || fail "confirmed: $(show 'j["delivery"]')"
	wait "$LRS_PID" 2>/dev/null || true
	before=$(posts)
	lrs_start --port "$(cat "$T/lrs.port")"
	expect_exit 0 "$PORTEX" transmit "$T/alice.zip" --to "$LRS_URL" --request "$ID" $C
	expect_err "resuming after the 4 statements"
	# The rerun starts at statement 5: the one batch whose answer was lost
	# is sent again (the LRS already holds it: 204), then the rest.
	first=$(sed -n "$((before + 1))p" "$T/lrs.log")
	want=$(jget "$T/pkg/xapi/statements.json" 'j[4]["id"]')
	[ "$first" = "4 $want 204" ] || fail "rerun began with: $first (expected 4 $want 204)"
	[ "$(( $(posts) - before ))" = "$(( (N - 4 + 3) / 4 ))" ] || fail "rerun sent $(( $(posts) - before )) batches"
	stored_check
	[ "$(show 'j["status"]')" = delivered ] || fail "not delivered"
	[ "$(show 'j["delivery"]["confirmed"]')" = "$N" ] || fail "confirmed"
	[ "$(show 'j["delivery"]["resumed_from"]')" = 4 ] || fail "resumed_from"
}

test_wrong_credentials_fail_clearly_and_nothing_is_delivered() {
	lrs_start
	tx_setup
	export LRS_SECRET=not-the-password-e4f1
	expect_exit 78 "$PORTEX" transmit "$T/alice.zip" --to campus --request "$ID" $C
	expect_err "HTTP 401: credentials refused"
	expect_err "LRS campus"
	! grep -qF "not-the-password-e4f1" "$T/stderr" || fail "password in the error"
	[ "$(show 'j["status"]')" = exported ] || fail "recorded as delivered"
	[ "$(show 'j["delivery"]["state"]')" = failed ] || fail "failure not recorded"
	! grep -qF "not-the-password-e4f1" "$T/show.json" || fail "password in the ledger"
	[ ! -s "$T/lrs.json" ] || [ "$(jget "$T/lrs.json" 'len(j)')" = 0 ] || fail "LRS stored statements"
}

test_a_statement_the_lrs_holds_differently_is_a_conflict_naming_it() {
	lrs_start
	tx_setup
	# Another sender stored statement 6 under the same id, with other content.
	/usr/bin/python3 - "$T/pkg/xapi/statements.json" "$T/lrs.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))[5]
s["verb"]["display"]["en-US"] = "something else"
json.dump({s["id"]: s}, open(sys.argv[2], "w"))
PY
	cid=$(jget "$T/pkg/xapi/statements.json" 'j[5]["id"]')
	expect_exit 65 "$PORTEX" transmit "$T/alice.zip" --to campus --request "$ID" $C
	expect_err "statement 6, id $cid"
	expect_err "409 Conflict"
	[ "$(show 'j["status"]')" = exported ] || fail "recorded as delivered"
	[ "$(show 'j["delivery"]["conflict"]')" = "$cid" ] || fail "conflict not recorded"
	[ "$(jget "$T/lrs.json" 'j["'"$cid"'"]["verb"]["display"]["en-US"]')" = "something else" ] ||
		fail "the LRS's statement was overwritten"
}

test_unreachable_lrs_and_bad_answers_are_errors_not_deliveries() {
	lrs_start
	tx_setup
	lrs_stop
	expect_exit 69 "$PORTEX" transmit "$T/alice.zip" --to campus --request "$ID" $C
	expect_err "gave up after 4 attempts"
	[ "$(show 'j["status"]')" = exported ] || fail "recorded as delivered"
	# Something answering 200 to any POST is not an LRS.
	port=$(cat "$T/lrs.port")
	lrs_start --bad-answer
	edit_config "c['xapi']['lrs']['campus']['endpoint'] = '$LRS_URL'"
	expect_exit 69 "$PORTEX" transmit "$T/alice.zip" --to campus --request "$ID" $C
	expect_err "not the list of the statement ids sent"
	[ "$(show 'j["status"]')" = exported ] || fail "bad answer taken as delivery"
	lrs_stop
	lrs_start --no-version
	edit_config "c['xapi']['lrs']['campus']['endpoint'] = '$LRS_URL'"
	expect_exit 69 "$PORTEX" transmit "$T/alice.zip" --to campus --request "$ID" $C
	expect_err "no X-Experience-API-Version header"
	[ "$(show 'j["status"]')" = exported ] || fail "bad answer taken as delivery"
	: "$port"
}

test_transmit_refuses_what_it_must_not_send() {
	lrs_start
	tx_setup
	# Another package than the request's.
	cp "$T/alice.zip" "$T/other.zip"
	printf 'x' >>"$T/other.zip"
	expect_exit 65 "$PORTEX" transmit "$T/other.zip" --to campus --request "$ID" $C
	expect_err "not the"
	# Learners' records in clear over the network; credentials in the URL.
	expect_exit 64 "$PORTEX" transmit "$T/alice.zip" --to http://lrs.example.org/xapi/ --request "$ID" $C
	expect_err "use https://"
	expect_exit 64 "$PORTEX" transmit "$T/alice.zip" --to "https://u:p@lrs.example.org/xapi/" --request "$ID" $C
	expect_err "credentials do not belong in the URL"
	expect_exit 64 "$PORTEX" transmit "$T/alice.zip" --to nowhere --request "$ID" $C
	expect_err "no LRS of that name"
	expect_exit 64 "$PORTEX" transmit "$T/alice.zip" --request "$ID" $C
	# A misspelt key of an LRS entry is a config error naming it.
	edit_config "c['xapi']['lrs']['campus']['pasword'] = 'x'"
	expect_exit 78 "$PORTEX" transmit "$T/alice.zip" --to campus --request "$ID" $C
	expect_err "/xapi/lrs/campus"
	expect_err "password"
	[ "$(posts)" = 0 ] || fail "something was sent"
	edit_config "del c['xapi']['lrs']['campus']['pasword']"
	[ "$(show 'j["status"]')" = exported ] || fail "status changed"
}

test_request_deliver_transmission_points_at_transmit() {
	lrs_start
	tx_setup
	expect_exit 64 "$PORTEX" request deliver "$ID" --method transmission $C
	expect_err "portex transmit"
	expect_exit 0 "$PORTEX" request deliver "$ID" --method transmission --sent-elsewhere $C
	[ "$(show 'j["delivery_method"]')" = transmission ] || fail "method"
}

# An LRS that names only the statements it stored now: the others are
# read back (GET ?statementId=) before the batch counts as confirmed; one
# that answers 200 and loses a statement is caught the same way.
test_statements_a_200_leaves_out_are_read_back_from_the_lrs() {
	lrs_start --new-ids-only
	tx_setup
	/usr/bin/python3 - "$T/pkg/xapi/statements.json" "$T/lrs.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))[1]
json.dump({s["id"]: s}, open(sys.argv[2], "w"))
PY
	expect_exit 0 "$PORTEX" transmit "$T/alice.zip" --to campus --request "$ID" $C
	stored_check
	[ "$(show 'j["status"]')" = delivered ] || fail "not delivered"
	lrs_stop
	rm -rf "$T/lrs.json" "$T/out" "$T/pkg" "$T/ledger.db" "$T/alice.zip"
	lrs_start --forget-last
	tx_setup
	expect_exit 69 "$PORTEX" transmit "$T/alice.zip" --to campus --request "$ID" $C
	expect_err "statement 4, id $(jget "$T/pkg/xapi/statements.json" 'j[3]["id"]')"
	expect_err "does not return the statement"
	[ "$(show 'j["status"]')" = exported ] || fail "a lost statement taken as delivered"
	[ "$(show 'j["delivery"]["confirmed"]')" = 0 ] || fail "confirmed: $(show 'j["delivery"]')"
}

# A transmission killed before its first answer leaves "sending"; that is
# not an email of unknown outcome, so email delivery is not blocked by it
# (regression: the email guard looked at the state only).
test_a_killed_transmission_does_not_block_email_delivery() {
	lrs_start --hang
	tx_setup
	timeout -s KILL 3 "$PORTEX" transmit "$T/alice.zip" --to campus --request "$ID" $C >/dev/null 2>&1 || true
	[ "$(show 'j["delivery"]["state"]')" = sending ] || fail "state: $(show 'j["delivery"]')"
	expect_exit 64 "$PORTEX" request deliver "$ID" --method email $C
	expect_err "smtp"
	! grep -q "Message-ID" "$T/stderr" || fail "email blocked by the transmission: $(cat "$T/stderr")"
}

test_oauth2_client_credentials_deliver_every_statement() {
	oauth_start
	tx_setup
	oauth_config
	expect_exit 0 "$PORTEX" transmit "$T/alice.zip" --to campus --request "$ID" $C
	expect_out "request $ID delivered by xAPI transmission to campus"
	stored_check
	[ "$(posts)" = "$(( (N + 3) / 4 ))" ] || fail "$(posts) POSTs"
	[ "$(tokens grant)" = 1 ] || fail "tokens: $(cat "$T/tokens.log")"
	[ "$(tokens 401)" = 0 ] || fail "refused: $(cat "$T/tokens.log")"
	[ "$(show 'j["status"]')" = delivered ] || fail "not delivered"
	no_leak "$OA_SECRET"
	"$PORTEX" audit verify $C >/dev/null || fail "audit trail broken"
	[ ! -s "$T/stderr" ] || fail "stderr not empty on a pipe: $(cat -v "$T/stderr")"
}

# On a terminal, the statements confirmed so far (progress.h's line, redrawn
# in place), ending with all of them; the receipt stays on stdout.
test_progress_on_a_terminal_counts_the_confirmed_statements() {
	lrs_start
	tx_setup
	on_tty "$PORTEX" transmit "$T/alice.zip" --to campus --request "$ID" $C || return 0
	expect_out "request $ID delivered by xAPI transmission to campus"
	grep -q $'\r' "$T/tty" || fail "no line redrawn in place: $(cat -v "$T/tty")"
	tr '\r' '\n' <"$T/tty" | sed 's/\x1b\[K//g' >"$T/lines"
	grep -Eq "^  campus/statements: 0 records, " "$T/lines" || fail "no line before the first batch: $(cat "$T/lines")"
	grep -Eq "^  campus/statements: $N records, [0-9]+/s, [0-9.]+ s \(total $N, " "$T/lines" ||
		fail "the last line is not all $N statements: $(cat "$T/lines")"
	! grep -q "campus/statements" "$T/stdout" || fail "progress on stdout"
}

# Art. 20(2) is the person's right: a transmission is always a request's
# delivery, so there is none without a request.
test_transmit_without_a_request_is_refused_saying_why() {
	lrs_start
	tx_setup
	expect_exit 64 "$PORTEX" transmit "$T/alice.zip" --to campus $C
	expect_err "--request ID is required: GDPR Art. 20(2)"
	expect_err "portex request add"
	[ "$(posts)" = 0 ] || fail "something was sent"
	[ "$(show 'j["status"]')" = exported ] || fail "status changed"
}

# A token announced as expiring at once (expires_in 0) is renewed before
# each request, never sent stale; one the LRS stops accepting early
# (revoked, or a clock ahead) is renewed once on the 401.
test_an_expiring_oauth2_token_is_refreshed() {
	oauth_start --expires-in 0 --token-uses 1
	tx_setup
	oauth_config
	expect_exit 0 "$PORTEX" transmit "$T/alice.zip" --to campus --request "$ID" $C
	stored_check
	[ "$(tokens grant)" = "$(posts)" ] || fail "$(tokens grant) tokens for $(posts) POSTs"
	[ "$(tokens 401)" = 0 ] || fail "a stale token was sent: $(cat "$T/tokens.log")"
	[ "$(show 'j["status"]')" = delivered ] || fail "not delivered"
	lrs_stop
	rm -rf "$T/lrs.json" "$T/lrs.log" "$T/tokens.log" "$T/out" "$T/pkg" "$T/ledger.db" "$T/alice.zip"
	oauth_start --token-uses 2
	tx_setup
	oauth_config
	expect_exit 0 "$PORTEX" transmit "$T/alice.zip" --to campus --request "$ID" $C
	stored_check
	b=$(posts)
	[ "$(tokens grant)" = "$(( (b + 1) / 2 ))" ] || fail "$(tokens grant) tokens for $b POSTs: $(cat "$T/tokens.log")"
	[ "$(tokens "401 expired")" = "$(( (b + 1) / 2 - 1 ))" ] || fail "401s: $(cat "$T/tokens.log")"
	[ "$(show 'j["status"]')" = delivered ] || fail "not delivered"
	no_leak "$OA_SECRET"
}

test_oauth2_credentials_refused_fail_with_78_and_leak_nothing() {
	oauth_start
	tx_setup
	oauth_config
	export LRS_CLIENT_SECRET=not-the-client-secret-3a9d
	expect_exit 78 "$PORTEX" transmit "$T/alice.zip" --to campus --request "$ID" $C
	expect_err "LRS campus: OAuth2 token: POST ${LRS_URL%xapi/}oauth/token: HTTP 401: client credentials refused"
	grep -q '"got": "Basic \*\*\*"' "$T/stderr" || fail "the echoed Basic header is not masked: $(cat "$T/stderr")"
	[ "$(show 'j["status"]')" = exported ] || fail "recorded as delivered"
	[ "$(show 'j["delivery"]["state"]')" = failed ] || fail "failure not recorded"
	[ "$(posts)" = 0 ] || fail "statements were sent"
	[ ! -s "$T/lrs.json" ] || [ "$(jget "$T/lrs.json" 'len(j)')" = 0 ] || fail "LRS stored statements"
	echoed=$(printf '%s' "$OA_ID:not-the-client-secret-3a9d" | base64 -w0)
	no_leak not-the-client-secret-3a9d "$echoed"
	# A token the LRS never accepts (a client without the right): one
	# renewal, then 78 as well.
	lrs_stop
	oauth_start --port "$(cat "$T/lrs.port")" --token-uses 0
	export LRS_CLIENT_SECRET=$OA_SECRET
	expect_exit 78 "$PORTEX" transmit "$T/alice.zip" --to campus --request "$ID" $C
	expect_err "HTTP 401: credentials refused (an OAuth2 bearer token, refreshed once)"
	[ "$(tokens grant)" = 2 ] || fail "tokens: $(cat "$T/tokens.log")"
	[ "$(show 'j["status"]')" = exported ] || fail "recorded as delivered"
	no_leak "$OA_SECRET"
}

# 429/503 with Retry-After: the LRS is given the time it asks for (the
# mock answers 429 again, logged "early", to a POST that comes sooner),
# in seconds and as an HTTP date.
test_retry_after_in_seconds_or_as_a_date_is_waited_for() {
	lrs_start --busy 2 --retry-after 1,date+2
	tx_setup
	expect_exit 0 "$PORTEX" transmit "$T/alice.zip" --to campus --request "$ID" $C
	! grep -q early "$T/lrs.log" || fail "retried before Retry-After: $(cat "$T/lrs.log")"
	stored_check
	[ "$(show 'j["status"]')" = delivered ] || fail "not delivered"
}

test_a_retry_after_beyond_max_wait_ends_with_69_naming_it() {
	lrs_start --busy 1 --retry-after 1e300
	tx_setup
	expect_exit 69 "$PORTEX" transmit "$T/alice.zip" --to campus --request "$ID" $C
	expect_err "Retry-After: 1e300"
	expect_err "more than max_wait_seconds (300)"
	[ "$(show 'j["status"]')" = exported ] || fail "recorded as delivered"
	[ "$(show 'j["delivery"]["state"]')" = failed ] || fail "failure not recorded"
	lrs_stop
	lrs_start --port "$(cat "$T/lrs.port")" --busy 1 --busy-status 429 --retry-after 90
	edit_config "c['xapi']['lrs']['campus']['max_wait_seconds'] = 60"
	expect_exit 69 "$PORTEX" transmit "$T/alice.zip" --to campus --request "$ID" $C
	expect_err "HTTP 429: the LRS asks to wait 90 s (Retry-After: 90), more than max_wait_seconds (60)"
	[ "$(show 'j["status"]')" = exported ] || fail "recorded as delivered"
	[ ! -s "$T/lrs.json" ] || [ "$(jget "$T/lrs.json" 'len(j)')" = 0 ] || fail "LRS stored statements"
}

run_tests
